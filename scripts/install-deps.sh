#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs, from Debian 12's archive, everything flowdx needs to build, test and benchmark.
set -euo pipefail

packages=(
  build-essential   # gcc, g++ (C++ header test), make, binutils (nm, export test)
  meson ninja-build pkg-config python3
  libpcap-dev       # capture files and live capture
  libcmocka-dev     # the test suites
  libsvm-dev        # SVM training
  libyaml-dev       # the YAML configuration (lib/config)
  libfixbuf-dev     # libfixbuf 2.4: IPFIX export (lib/export)
  libfftw3-dev      # FFTW 3 (with libfftw3_threads): the moore set's FFT discriminators (lib/feature/moore_fft.c)
  libfixbuf-tools   # ipfixDump: reads the IPFIX output back in the ipfix_cli test
  wireshark-common  # editcap: link-type rewriting in the DoH tests
  tshark            # independent readings of captures: TLS server names (probe_config), flows (collect)
  libndpi-dev       # nDPI 4.2: the dpi feature set (lib/dpi)
  libndpi-bin       # ndpiReader, the benchmark's peer
  time              # GNU time, peak memory in the benchmark
  valgrind          # instruction counts in the benchmark (bench/run.sh -c)
  python3-sklearn   # the scikit-learn comparison (bench/sklearn_compare.py)
  # the SMTP lab (test/lab/smtp/packages.txt) and its test: namespaces, capture, a real MTA
  iproute2 procps tcpdump openssl ethtool postfix postgrey
  # the live-capture test (test/golden/live_cli.sh): replays captures into a veth pair; setpriv
  # (util-linux) runs flowdx without root for the permission check
  tcpreplay util-linux
  # flowdx collect's end-to-end test (test/golden/collect_softflowd.sh): softflowd exports a
  # capture's flows as NetFlow v5, v9 and IPFIX; tshark (above) reads the capture for the expected values
  softflowd
  # nfdump's collector reads flowdx's IPFIX export in test/golden/ipfix_cli.sh (times in ms)
  nfdump
  # the Moore 31-152 conformance test (test/golden/tcptrace_compare.py): tcptrace -l -r is the oracle
  tcptrace
)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: run as root (or install sudo): apt-get needs it" >&2
    exit 1
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The SMTP lab runs its own Postfix instances from private configuration directories; the
# system's Postfix, which the package would set up as an Internet site listening on every
# interface, is set up "Local only" instead (loopback only, no mail from outside).
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  echo "postfix postfix/main_mailer_type select Local only" | "${sudo[@]}" debconf-set-selections
  echo "install-deps: the system's Postfix is set up 'Local only' (the lab does not use it)"
fi
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
