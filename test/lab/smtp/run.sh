#!/usr/bin/env bash
# SMTP lab: labelled captures of ham (real Postfix relays, well-behaved senders) and spam (bot behaviours) at a
# receiving Postfix MX, from real parts in network namespaces.
#   test/lab/smtp/run.sh --site A|B --seed N --out DIR [--duration S] [--scale F] [--keep-work]
# Root required. Installs nothing: checks every tool and names the Debian package to install.
# Bounded: the run lasts --duration seconds (default 150) plus about 20-30 s of set-up, drain and tear-down;
# every namespace and process it made is removed on exit, also on failure or Ctrl-C. See README.md here.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
USAGE_LINES=7 ARGS_TEXT="$*"
. "$HERE/../common/preflight.sh"
require_root "network namespaces, veth links, a TUN device, Postfix instances and a capture"
need ip iproute2
need ss iproute2
need sysctl procps
need tcpdump tcpdump
need openssl openssl
need ethtool ethtool
need postfix postfix
need postconf postfix
need postgrey postgrey
[ -x "$PY" ] || missing+=("$PY (apt-get install python3)")
id postfix >/dev/null 2>&1 || missing+=("user postfix (apt-get install postfix)")
id postgrey >/dev/null 2>&1 || missing+=("user postgrey (apt-get install postgrey)")
[ -c /dev/net/tun ] || missing+=("/dev/net/tun (kernel TUN support: modprobe tun)")
[ -f "$HERE/../doh/impair.py" ] || missing+=("$HERE/../doh/impair.py (the DoH lab's link emulator, used as is)")
report_missing "all at once: DEBIAN_FRONTEND=noninteractive apt-get install -y $(grep -v '^#' "$HERE/packages.txt" | tr '\n' ' ')"

WORK="$(mktemp -d /tmp/fdxlab-smtp.XXXXXX)"
cleanup() {
  "$PY" "$HERE/lab.py" cleanup --work "$WORK" 2>/dev/null
  keep=0
  for arg in "$@"; do [ "$arg" = "--keep-work" ] && keep=1; done
  [ "$keep" = 1 ] && echo "run.sh: work directory kept: $WORK" >&2 || rm -rf "$WORK"
}
trap 'cleanup "$@"' EXIT
trap 'exit 130' INT TERM

"$PY" "$HERE/lab.py" run --work "$WORK" "$@"
