# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the golden test scripts: a scratch directory ($tmp, removed on exit), check NAME COMMAND...
# (prints ok/FAIL and counts failures) and finish (prints the count; its status is the script's result).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
finish() { echo "$fails failed"; [ "$fails" -eq 0 ]; }
