#!/usr/bin/env bash
# DoH lab: labelled captures of benign DoH and of DNS tunnels over DoH, from real parts in network namespaces.
#   test/lab/doh/run.sh --seed N --out DIR [--duration S] [--per-scenario K] [--browser] [--link eth|sll]
# Root required. Installs nothing: checks every tool and names the Debian package to install.
# Bounded: the run lasts --duration seconds (default 180) plus about 5-10 s of set-up and tear-down; every
# namespace and process it made is removed on exit, also on failure or Ctrl-C. See README.md here.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
USAGE_LINES=6 ARGS_TEXT="$*"
. "$HERE/../common/preflight.sh"
require_root "network namespaces, veth links, TUN devices and captures"

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
report_missing "all at once: apt-get install -y $(grep -v '^#' "$HERE/packages.txt" | tr '\n' ' ')" \
  "(--browser also needs: $(grep -v '^#' "$HERE/packages-browser.txt" | tr '\n' ' '))"

WORK="$(mktemp -d /tmp/fdxlab-doh.XXXXXX)"
cleanup() {
  "$PY" "$HERE/lab.py" cleanup --work "$WORK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PY" "$HERE/lab.py" run --work "$WORK" "$@"
