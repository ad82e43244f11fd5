#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Times flowdx extract, ndpiReader and a bare libpcap read loop on one large replicated capture.
set -euo pipefail

prog=run.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

usage() {
    cat <<EOF
Usage: bench/run.sh [OPTIONS] [BUILD_DIR]

Build one large capture by replicating Ethernet captures with shifted addresses
(bench/mkcapture.c), then time, in the same run and on the same file:
  flowdx extract -r BIG.pcap -f zadnik -o /dev/null   (BUILD_DIR/tools/flowdx)
  ndpiReader -q -i BIG.pcap                           (Debian package libndpi-bin)
  fdx-bench-readloop BIG.pcap                         (bare libpcap read loop)
  flowdx run --detect doh,spam -r BIG.pcap            (the probe: nDPI, both detectors
      --all-tls --format jsonl -o /dev/null            through their plugins, every flow out)
  flowdx extract -r BIG.pcap -f zadnik,moore,doh      (three sets in one pass: the cost of
      -o /dev/null                                     moore and doh over zadnik alone)
Each tool runs once to warm up and check its packet count, then RUNS timed times;
the median wall time is reported with packets/s, peak RSS and the ratios
ndpiReader/flowdx (speed-up), flowdx/readloop (cost over the bare read) and
sets3/flowdx (the three sets against zadnik alone, same run).

BUILD_DIR defaults to 'build' (relative to the current directory, else to the
repository root).

Options:
  -d DIR        take every *.pcap, *.pcapng and *.cap under DIR as input (default: the
                reference set, the public nDPI, Zeek and DoH captures bundled in
                samples/spam/{ndpi,zeek} and samples/doh/{korving,ndpi,synthetic});
                inputs that are not Ethernet are skipped
  -p PACKETS    replicate until the capture has at least PACKETS packets (default 500000)
  -n REPLICAS   use exactly REPLICAS replicas instead of -p
  -s US         start offset between replicas, microseconds (default 1000)
  -g US         shorten silences within an input to US microseconds (default 300000000;
                some test captures are concatenations spanning years)
  -r RUNS       timed runs per tool (default 3)
  -m SPEEDUP    exit 3 if ndpiReader/flowdx is below SPEEDUP (default: report only)
  -o FILE       also keep the generated capture as FILE
  -c            also count user-space instructions of one run of each tool with valgrind's
                callgrind: slow (about a minute) but repeatable, whatever else the machine
                is doing; wall time on a shared machine is not
  -h            show this help

Exit status: 0 done; 1 a tool failed or a prerequisite is missing; 2 usage;
3 speed-up below -m; 77 flowdx not built (its arm skipped, the rest reported).
EOF
}

die() {
    echo "$prog: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

input_dir=
packets=500000
replicas=
spread_us=1000
max_gap_us=300000000
runs=3
min_speedup=
keep=
count_instr=0
while getopts ':d:p:n:s:g:r:m:o:ch' opt; do
    case $opt in
    d) input_dir=$OPTARG ;;
    p) packets=$OPTARG ;;
    n) replicas=$OPTARG ;;
    s) spread_us=$OPTARG ;;
    g) max_gap_us=$OPTARG ;;
    r) runs=$OPTARG ;;
    m) min_speedup=$OPTARG ;;
    o) keep=$OPTARG ;;
    c) count_instr=1 ;;
    h)
        usage
        exit 0
        ;;
    :)
        echo "$prog: -$OPTARG needs a value; try 'bench/run.sh -h'" >&2
        exit 2
        ;;
    *)
        echo "$prog: unknown option -$OPTARG; try 'bench/run.sh -h'" >&2
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -gt 1 ]; then
    echo "$prog: expected at most one BUILD_DIR, got: $*; options go before it" >&2
    exit 2
fi
for pair in "-p:$packets" "-s:$spread_us" "-g:$max_gap_us" "-r:$runs" "-n:${replicas:-1}"; do
    if ! is_uint "${pair#*:}"; then
        echo "$prog: ${pair%%:*}: '${pair#*:}' is not a whole number" >&2
        exit 2
    fi
done
if [ "$runs" -lt 1 ]; then
    echo "$prog: -r: need at least one run" >&2
    exit 2
fi
# the capture builder's ranges (bench/mkcapture.c), checked before anything is built
in_range() { # OPTION VALUE MIN MAX
    if [ "${#2}" -gt 19 ] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
        echo "$prog: $1: '$2' is not a whole number from $3 to $4" >&2
        exit 2
    fi
}
in_range -p "$packets" 1 4294967295
[ -z "$replicas" ] || in_range -n "$replicas" 1 65536
in_range -s "$spread_us" 0 3600000000
if [ -n "$min_speedup" ] && ! [[ $min_speedup =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "$prog: -m: '$min_speedup' is not a number" >&2
    exit 2
fi

build=${1:-build}
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then
    build=$root/$build
fi

# The reference set: the public captures bundled in samples/ (bench/README.md).
input_dirs=()
if [ -n "$input_dir" ]; then
    [ -d "$input_dir" ] || die "input directory '$input_dir' does not exist (-d DIR)"
    input_dirs=("$input_dir")
else
    input_dir="$root/samples (the reference captures)"
    for d in doh/korving doh/ndpi doh/synthetic spam/ndpi spam/zeek; do
        [ -d "$root/samples/$d" ] || die "samples/$d is missing: the reference set needs it"
        input_dirs+=("$root/samples/$d")
    done
fi

# Prerequisites. Nothing is installed here; we only say what is missing.
ndpi=$(command -v ndpiReader || true)
[ -n "$ndpi" ] ||
    die "ndpiReader not found; install Debian's libndpi-bin (apt-get install libndpi-bin)"
gnu_time=
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
    gnu_time=/usr/bin/time
else
    echo "$prog: note: GNU time not found, peak RSS not measured (apt-get install time)" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdx-bench.XXXXXX")
# Debian's ndpiReader 4.2 always writes /tmp/ses_result.csv and /tmp/des_result.csv (start-up
# self-tests of its smoothing code); remove them afterwards unless they were there before.
ndpi_litter=()
for f in /tmp/ses_result.csv /tmp/des_result.csv; do
    [ -e "$f" ] || ndpi_litter+=("$f")
done
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
    rm -rf "$tmp"
    for f in "${ndpi_litter[@]}"; do
        rm -f "$f"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The helpers come from the meson build; without one, compile them into the temp dir.
mk=$build/bench/fdx-bench-mkcapture
readloop=$build/bench/fdx-bench-readloop
if [ -f "$build/build.ninja" ] && command -v meson >/dev/null; then
    meson compile -C "$build" fdx-bench-mkcapture fdx-bench-readloop >"$tmp/compile.log" 2>&1 ||
        true
fi
if [ ! -x "$mk" ] || [ ! -x "$readloop" ]; then
    echo "$prog: note: $build/bench has no helpers; compiling them with cc into $tmp" >&2
    pcap_flags=$(pkg-config --cflags --libs libpcap 2>/dev/null || echo -lpcap)
    mk=$tmp/fdx-bench-mkcapture
    readloop=$tmp/fdx-bench-readloop
    # shellcheck disable=SC2086 # pcap_flags is a list of flags
    cc -std=c11 -O2 -o "$mk" "$here/mkcapture.c" "$here/mkc_packet.c" "$here/mkc_flows.c" \
        $pcap_flags ||
        die "cannot compile bench/mkcapture.c (needs a C compiler and libpcap-dev)"
    # shellcheck disable=SC2086
    cc -std=c11 -O2 -o "$readloop" "$here/readloop.c" $pcap_flags ||
        die "cannot compile bench/readloop.c (needs a C compiler and libpcap-dev)"
fi
flowdx=$build/tools/flowdx
have_flowdx=1
if [ ! -x "$flowdx" ]; then
    have_flowdx=0
    echo "$prog: note: $flowdx not found; the flowdx arm is SKIPPED (build it with" \
        "'meson compile -C $build')" >&2
fi
# A debug build measures the wrong thing: say so (meson records the build type it was set up with).
buildtype=$(python3 -c 'import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == "buildtype":
        print(o["value"])' "$build/meson-info/intro-buildoptions.json" 2> /dev/null)
if [ "$have_flowdx" = 1 ] && [ -n "$buildtype" ] && [ "$buildtype" != release ]; then
    echo "$prog: warning: $build is a '$buildtype' build; the figures of bench/README.md are of a" \
        "release build (meson setup build-rel --buildtype=release, then bench/run.sh build-rel)" >&2
fi

# Inputs, in a fixed order so the capture is the same byte for byte on every run.
inputs=()
while IFS= read -r -d '' f; do
    inputs+=("$f")
done < <(find "${input_dirs[@]}" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
    -print0 | LC_ALL=C sort -z)
[ ${#inputs[@]} -gt 0 ] || die "no *.pcap, *.pcapng or *.cap files under '$input_dir'"

big=$tmp/big.pcap
size_opt=(-p "$packets")
if [ -n "$replicas" ]; then
    size_opt=(-n "$replicas")
fi
echo "bench: building the capture from ${#inputs[@]} files under $input_dir ..."
"$mk" -k "${size_opt[@]}" -s "$spread_us" -g "$max_gap_us" -o "$big" "${inputs[@]}" \
    >"$tmp/mk.txt" 2>"$tmp/mk.err" || {
    cat "$tmp/mk.err" >&2
    die "building the capture failed"
}
kv() {
    sed -n "s/^$1=//p" "$tmp/mk.txt"
}
n_pkts=$(kv packets)
awk -v p="$n_pkts" -v b="$(kv captured_bytes)" -v f="$(kv flows)" \
    -v pk="$(kv peak_concurrent_flows)" -v r="$(kv replicas)" -v i="$(kv inputs)" \
    -v s="$(kv skipped_inputs)" -v d="$(kv duration_us)" 'BEGIN {
    printf "bench: capture: %d packets, %.1f MB, %d flows, peak %d flows open at once\n",
        p, b / 1e6, f, pk
    printf "bench:          %d replicas of %d Ethernet captures (%d others skipped), " \
        "spans %.1f s\n", r, i, s, d / 1e6
}'
sum=$(sha256sum "$big" | cut -c1-16)
echo "bench:          sha256 $sum... (same inputs and options give the same file)"
if [ -n "$keep" ]; then
    cp "$big" "$keep"
    echo "bench:          kept as $keep"
fi

flowdx_cmd=("$flowdx" extract -r "$big" -f zadnik -o /dev/null)
# The three feature sets in one pass (doh in its ip mode), against zadnik alone above.
sets3_cmd=("$flowdx" extract -r "$big" -f zadnik,moore,doh -o /dev/null -q)
ndpi_cmd=("$ndpi" -q -i "$big")
readloop_cmd=("$readloop" "$big")
# The probe with both detectors (nDPI, zadnik for every TCP flow, doh:ip for every TCP/443 flow,
# both models) writing a JSON line per flow: what a user runs, not just the feature extraction.
# The shipped models are read from conf/models: run from the repository root.
probe_cmd=(env -C "$root" "$flowdx" run --detect doh,spam --all-tls -r "$big" --format jsonl
    -o /dev/null -q)

# run_timed NAME CMD... : runs CMD once and, when it succeeds, appends its wall time (ns) to
# NAME.ns and, with GNU time, its peak RSS (KiB) to NAME.rss and its user+system CPU time (s) to
# NAME.cpu; a failed run records nothing. The caller redirects CMD's output. Returns CMD's exit
# status.
run_timed() {
    local name=$1 t0 t1 rc=0
    shift
    t0=$(date +%s%N)
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f '%M %U %S' -o "$tmp/$name.time" "$@" || rc=$?
    else
        "$@" || rc=$?
    fi
    t1=$(date +%s%N)
    if [ $rc -ne 0 ]; then
        return $rc
    fi
    echo $((t1 - t0)) >>"$tmp/$name.ns"
    if [ -n "$gnu_time" ]; then
        tail -n 1 "$tmp/$name.time" | awk '{ print $1 }' >>"$tmp/$name.rss"
        tail -n 1 "$tmp/$name.time" | awk '{ print $2 + $3 }' >>"$tmp/$name.cpu"
    fi
    return 0
}

# Warm-up runs: fill the page cache and check each tool read every packet.
# status is the exit status only. Each flowdx arm has its own flag, cleared when that arm fails
# (its remaining runs and its ratio are then skipped), and a failed[] entry for the table.
status=0
have_sets3=0
have_probe=0
declare -A failed
# arm_failed NAME WHAT: clears NAME's flag and marks it FAILED, saying so.
arm_failed() {
    failed[$1]=1
    status=1
    case $1 in
    flowdx) have_flowdx=0 ;;
    sets3) have_sets3=0 ;;
    probe) have_probe=0 ;;
    esac
    echo "$prog: $2; its stderr ends:" >&2
    tail -n 20 "$tmp/$1.log" >&2
    echo "$prog: $1: no further runs and no ratio for it; the other tools go on" >&2
}
echo "bench: warm-up and checks ..."
"${readloop_cmd[@]}" >"$tmp/readloop.out" || die "fdx-bench-readloop failed on the capture"
got=$(sed -n 's/^packets=//p' "$tmp/readloop.out")
[ "$got" = "$n_pkts" ] || die "readloop read $got packets, the generator wrote $n_pkts"
# Without -q ndpiReader prints its traffic statistics; run it from the temp dir so anything
# it writes relative to the working directory is cleaned up too.
(cd "$tmp" && "$ndpi" -i "$big") >"$tmp/ndpi.out" 2>&1 || {
    tail -n 20 "$tmp/ndpi.out" >&2
    die "ndpiReader failed on the capture"
}
ndpi_total=$(sed -n 's/.*IP packets:.* of \([0-9]*\) packets total.*/\1/p' "$tmp/ndpi.out")
ndpi_flows=$(sed -n 's/.*Unique flows: *\([0-9]*\).*/\1/p' "$tmp/ndpi.out")
if [ "$ndpi_total" != "$n_pkts" ]; then
    echo "$prog: warning: ndpiReader counted '${ndpi_total}' packets, expected $n_pkts" >&2
fi
echo "bench:   readloop: $got packets; ndpiReader: $ndpi_total packets, $ndpi_flows flows"
if [ $have_flowdx = 1 ]; then
    if "${flowdx_cmd[@]}" >/dev/null 2>"$tmp/flowdx.log"; then
        echo "bench:   flowdx: exit 0; its summary: $(tail -n 1 "$tmp/flowdx.log")"
        if "${sets3_cmd[@]}" >/dev/null 2>"$tmp/sets3.log"; then
            have_sets3=1
        else
            arm_failed sets3 "flowdx extract -f zadnik,moore,doh failed (exit $?) on the capture"
        fi
        if "${probe_cmd[@]}" >/dev/null 2>"$tmp/probe.log"; then
            have_probe=1
        else
            arm_failed probe \
                "the probe (flowdx run --detect doh,spam) failed (exit $?) on the capture"
        fi
    else
        arm_failed flowdx "flowdx extract failed (exit $?) on the capture"
    fi
fi

# Timed runs, round-robin so drifting machine load hits every tool alike.
echo "bench: $runs timed runs per tool ..."
for ((i = 1; i <= runs; i++)); do
    run_timed readloop "${readloop_cmd[@]}" >/dev/null || die "fdx-bench-readloop failed"
    (cd "$tmp" && run_timed ndpiReader "${ndpi_cmd[@]}") >/dev/null 2>&1 ||
        die "ndpiReader failed"
    if [ $have_flowdx = 1 ] &&
        ! run_timed flowdx "${flowdx_cmd[@]}" >/dev/null 2>>"$tmp/flowdx.log"; then
        arm_failed flowdx "flowdx extract failed in timed run $i"
    fi
    if [ $have_probe = 1 ] &&
        ! run_timed probe "${probe_cmd[@]}" >/dev/null 2>>"$tmp/probe.log"; then
        arm_failed probe "the probe (flowdx run --detect doh,spam) failed in timed run $i"
    fi
    if [ $have_sets3 = 1 ] &&
        ! run_timed sets3 "${sets3_cmd[@]}" >/dev/null 2>>"$tmp/sets3.log"; then
        arm_failed sets3 "flowdx extract -f zadnik,moore,doh failed in timed run $i"
    fi
done

# median FILE: the middle value (the lower middle for an even count) of a column of numbers.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

tools=(flowdx sets3 probe ndpiReader readloop)
declare -A med_ns med_cpu
printf '\n%-12s %9s %13s %9s %14s %12s\n' tool "median s" "min-max s" "CPU s" packets/s \
    "peak RSS"
for t in "${tools[@]}"; do
    if [ -n "${failed[$t]:-}" ]; then
        printf '%-12s %10s\n' "$t" FAILED
        continue
    fi
    if [ ! -s "$tmp/$t.ns" ]; then
        printf '%-12s %10s\n' "$t" skipped
        continue
    fi
    med_ns[$t]=$(median "$tmp/$t.ns")
    rss=n/a
    cpu=n/a
    if [ -s "$tmp/$t.rss" ]; then
        rss=$(awk '{ if ($1 > m) m = $1 } END { printf "%.1f MiB", m / 1024 }' "$tmp/$t.rss")
        med_cpu[$t]=$(median "$tmp/$t.cpu")
        cpu=$(awk -v c="${med_cpu[$t]}" 'BEGIN { printf "%.3f", c }')
    fi
    range=$(sort -n "$tmp/$t.ns" | awk 'NR == 1 { lo = $1 } { hi = $1 }
        END { printf "%.3f-%.3f", lo / 1e9, hi / 1e9 }')
    awk -v t="$t" -v ns="${med_ns[$t]}" -v p="$n_pkts" -v range="$range" -v cpu="$cpu" \
        -v rss="$rss" 'BEGIN {
        printf "%-12s %9.3f %13s %9s %12.2f M %12s\n", t, ns / 1e9, range, cpu,
            p / (ns / 1e9) / 1e6, rss
    }'
done
echo

if [ -z "${med_ns[flowdx]:-}" ]; then
    awk -v n="${med_ns[ndpiReader]}" -v r="${med_ns[readloop]}" 'BEGIN {
        printf "ratio ndpiReader / readloop = %.2fx\n", n / r
    }'
    if [ -n "${failed[flowdx]:-}" ]; then
        echo "bench: flowdx FAILED to run; no speed-up measured"
        exit 1
    fi
    echo "bench: flowdx SKIPPED (not built: $flowdx); no speed-up measured"
    exit 77
fi

speedup=$(awk -v f="${med_ns[flowdx]}" -v n="${med_ns[ndpiReader]}" \
    'BEGIN { printf "%.2f", n / f }')
overhead=$(awk -v f="${med_ns[flowdx]}" -v r="${med_ns[readloop]}" \
    'BEGIN { printf "%.2f", f / r }')
met=$(awk -v s="$speedup" 'BEGIN { print (s >= 2) ? "met" : "NOT met" }')
# cpu_ratio A B: "; A/B CPU time" when both CPU times were measured.
cpu_ratio() {
    if [ -n "${med_cpu[$1]:-}" ] && [ -n "${med_cpu[$2]:-}" ]; then
        awk -v a="${med_cpu[$1]}" -v b="${med_cpu[$2]}" \
            'BEGIN { if (b > 0) printf "; %.2fx in CPU time", a / b }'
    fi
}
echo "ratio ndpiReader / flowdx   = ${speedup}x wall$(cpu_ratio ndpiReader flowdx)" \
    "(speed-up; target >= 2x: $met)"
echo "ratio flowdx / readloop     = ${overhead}x wall$(cpu_ratio flowdx readloop)" \
    "(cost over the bare libpcap read)"
if [ $have_probe = 1 ]; then
    awk -v p="${med_ns[probe]}" -v n="${med_ns[ndpiReader]}" 'BEGIN {
        printf "ratio ndpiReader / probe    = %.2fx wall", n / p }'
    echo "$(cpu_ratio ndpiReader probe) (the probe: nDPI plus both detectors, a JSON line per flow)"
elif [ -n "${failed[probe]:-}" ]; then
    echo "ratio ndpiReader / probe    : not measured (the probe FAILED; its stderr is above)"
fi
if [ $have_sets3 = 1 ]; then
    awk -v s="${med_ns[sets3]}" -v f="${med_ns[flowdx]}" 'BEGIN {
        printf "ratio sets3 / flowdx        = %.2fx wall", s / f }'
    echo "$(cpu_ratio sets3 flowdx) (-f zadnik,moore,doh against -f zadnik alone)"
elif [ -n "${failed[sets3]:-}" ]; then
    echo "ratio sets3 / flowdx        : not measured" \
        "(-f zadnik,moore,doh FAILED; its stderr is above)"
fi
# instructions NAME CMD...: user-space instructions of one run under callgrind.
instructions() {
    local name=$1 exe
    exe=$(realpath "$(command -v "$2")")
    shift 2
    (cd "$tmp" && valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.cg" "$exe" "$@") \
        >/dev/null 2>"$tmp/$name.vg" || return 1
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/$name.vg"
}
if [ "$count_instr" -eq 1 ]; then
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "bench: -c needs valgrind (apt-get install valgrind)" >&2
    else
        echo "bench: counting instructions (callgrind, one run each) ..."
        i_f=$(instructions flowdx "${flowdx_cmd[@]}")
        i_n=$(instructions ndpiReader "${ndpi_cmd[@]}")
        i_r=$(instructions readloop "${readloop_cmd[@]}")
        awk -v f="$i_f" -v n="$i_n" -v r="$i_r" 'BEGIN {
            printf "instructions: flowdx %.3f G, ndpiReader %.3f G, readloop %.3f G\n",
                f / 1e9, n / 1e9, r / 1e9
            printf "ratio ndpiReader / flowdx   = %.2fx in instructions\n", n / f
            printf "ratio flowdx / readloop     = %.2fx in instructions\n", f / r
        }'
    fi
fi
awk -v s="$speedup" -v o="$overhead" 'BEGIN {
    printf "bench: flowdx is %.1fx faster than ndpiReader; %.1fx the bare read loop\n", s, o
}'
if [ -n "$min_speedup" ] && awk -v s="$speedup" -v m="$min_speedup" 'BEGIN { exit !(s < m) }'; then
    echo "bench: speed-up ${speedup}x is below the required ${min_speedup}x" >&2
    exit 3
fi
exit $status
