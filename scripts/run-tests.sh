#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds flowdx twice (-Dwerror=true, then with ASan+UBSan), runs every test suite on each build,
# and ends with one line of totals: "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
skipped=0

# Sanitizer reports must fail the test that triggers them, not scroll by.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

count_results() {
  # One JSON object per test in meson's test log; count by result.
  python3 - "$1" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print(p, f, s)
PY
}

run_variant() {
  local name=$1; shift
  local dir="build-ci-$name"
  echo "=== $name build: meson setup $dir $*"
  rm -rf "$dir"
  if ! meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log"; echo "=== $name: meson setup FAILED"; failed=$((failed + 1)); return
  fi
  if ! ninja -C "$dir"; then
    echo "=== $name: build FAILED"; failed=$((failed + 1)); return
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 2
  local log="$dir/meson-logs/testlog.json"
  if [ ! -s "$log" ]; then
    echo "=== $name: no test results"; failed=$((failed + 1)); return
  fi
  read -r p f s < <(count_results "$log")
  echo "=== $name: $p passed, $f failed, $s skipped"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_variant werror -Dwerror=true -Dbuildtype=debugoptimized
run_variant sanitize -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
  -Dc_args=-fno-sanitize-recover=all -Dcpp_args=-fno-sanitize-recover=all

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
