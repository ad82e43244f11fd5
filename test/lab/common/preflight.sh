# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the labs' run.sh after they set HERE (their directory) and PY: --help from the script's
# header (lines 2 to USAGE_LINES), the root check, and need/report_missing for the tools a lab needs.
export PYTHONDONTWRITEBYTECODE=1

usage() { sed -n "2,${USAGE_LINES:-7}p" "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in -h|--help) usage; exit 0 ;; esac
done

# require_root WHAT: exit 2 unless root, saying what the lab creates
require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: must be run as root (it creates $1)." >&2
    echo "        try: sudo $0 ${ARGS_TEXT:-}" >&2
    exit 2
  fi
}

missing=()
need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt-get install $2)")
}

# report_missing INSTALL_HINT...: exit 3 listing what is missing, with the lines of INSTALL_HINT
report_missing() {
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "run.sh: missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  for hint in "$@"; do echo "  $hint" >&2; done
  exit 3
}
