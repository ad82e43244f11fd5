#!/usr/bin/env bash
# DoH lab: labelled captures of benign DoH and of DNS tunnels over DoH, from real parts in network namespaces.
#   test/lab/doh/run.sh --seed N --out DIR [--duration S] [--per-scenario K] [--browser] [--link eth|sll]
# Root required. Installs nothing: checks every tool and names the Debian package to install.
# Bounded: the run lasts --duration seconds (default 180) plus about 5-10 s of set-up and tear-down; every
# namespace and process it made is removed on exit, also on failure or Ctrl-C. See README.md here.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in -h|--help) usage; exit 0 ;; esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: must be run as root (it creates network namespaces, veth links, TUN devices and captures)." >&2
  echo "        try: sudo $0 $*" >&2
  exit 2
fi

missing=()
need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt-get install $2)")
}
need ip iproute2
need ss iproute2
need tcpdump tcpdump
need openssl openssl
need unbound unbound
need nsd nsd
need dnsdist dnsdist
need iodine iodine
need iodined iodine
need dns2tcpc dns2tcp
need dns2tcpd dns2tcp
need kdig knot-dnsutils
need curl curl
need ethtool ethtool
need sysctl procps
for arg in "$@"; do
  if [ "$arg" = "--browser" ]; then
    need firefox-esr firefox-esr
    need certutil libnss3-tools
  fi
done
[ -x "$PY" ] || missing+=("$PY (apt-get install python3)")
if [ -x "$PY" ] && ! "$PY" -c 'import h2' 2>/dev/null; then missing+=("python module h2 (apt-get install python3-h2)"); fi
if ! unbound -V 2>/dev/null | grep -q nghttp2; then missing+=("unbound built with libnghttp2 (Debian's unbound >= 1.13)"); fi
[ -c /dev/net/tun ] || missing+=("/dev/net/tun (kernel TUN support: modprobe tun)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "  all at once: apt-get install -y $(grep -v '^#' "$HERE/packages.txt" | tr '\n' ' ')" >&2
  echo "  (--browser also needs: $(grep -v '^#' "$HERE/packages-browser.txt" | tr '\n' ' '))" >&2
  exit 3
fi

WORK="$(mktemp -d /tmp/fdxlab-doh.XXXXXX)"
cleanup() {
  "$PY" "$HERE/lab.py" cleanup --work "$WORK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PY" "$HERE/lab.py" run --work "$WORK" "$@"
