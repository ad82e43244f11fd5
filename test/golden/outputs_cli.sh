#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No output of flowdx destroys one of its inputs, a device or a link: an output that names an
# input (a capture, a data file, a model, the configuration file) is refused with exit 2 before
# any work; a link has its target replaced, a device is written as it is; standard output that
# cannot be written is exit 1; a malformed filter or --ipfix destination is a bad value (exit 2).
# Usage: outputs_cli.sh FLOWDX SOURCE_ROOT
set -uo pipefail
flowdx=$1
top=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
cd "$top" || exit 1 # the default models are read from conf/models
pcap=samples/spam/ndpi/emotet.pcap
csv=samples/spam/lab/site-A-seed1.csv

# unchanged FILE SUM: the file still has the checksum it had
unchanged() { [ "$(sha256sum < "$1")" = "$2" ]; }

# ---- run --detect: -o naming the model given with -m, or the default model ----
cp conf/models/spam.fdxm "$tmp/m.fdxm"
sum=$(sha256sum < "$tmp/m.fdxm")
"$flowdx" run --detect spam -r "$pcap" -m "$tmp/m.fdxm" -o "$tmp/m.fdxm" 2> "$tmp/err"
rc=$?
check "run -o = -m: exit 2, said, the model intact" \
    bash -c '[ "$1" -eq 2 ] && grep -q "is also an input (-m " "$2"' _ "$rc" "$tmp/err"
check "... the model file is intact" unchanged "$tmp/m.fdxm" "$sum"
sum=$(sha256sum < conf/models/spam.fdxm)
"$flowdx" run --detect spam -r "$pcap" -o conf/models/spam.fdxm 2> "$tmp/err"
rc=$?
check "run -o = the default model: exit 2" \
    bash -c '[ "$1" -eq 2 ] && grep -q "the default model conf/models/spam.fdxm" "$2"' _ "$rc" "$tmp/err"
check "... the shipped model is intact" unchanged conf/models/spam.fdxm "$sum"

# ---- run -c: an output naming the configuration file or a detector's model ----
cat > "$tmp/self.yaml" << EOY
input: {read: [$top/$pcap]}
detectors: {spam: {enabled: true}}
outputs: {alerts: {enabled: false}, jsonl: {file: $tmp/self.yaml}}
EOY
sum=$(sha256sum < "$tmp/self.yaml")
"$flowdx" run -c "$tmp/self.yaml" 2> "$tmp/err"
rc=$?
check "run -c with outputs.jsonl = the file itself: exit 2, file intact" \
    bash -c '[ "$1" -eq 2 ] && grep -q "(the configuration file " "$2"' _ "$rc" "$tmp/err"
check "... the configuration is intact" unchanged "$tmp/self.yaml" "$sum"
"$flowdx" config check "$tmp/self.yaml" > /dev/null 2>&1
check "config check refuses it too (exit 2)" test $? -eq 2
cp conf/models/spam.fdxm "$tmp/spam.fdxm"
sum=$(sha256sum < "$tmp/spam.fdxm")
cat > "$tmp/dd.yaml" << EOY
input: {read: [$top/$pcap]}
data_dir: $tmp
detectors: {spam: {enabled: true}}
outputs: {alerts: {enabled: false}, csv: {file: $tmp/spam.fdxm}}
EOY
"$flowdx" run -c "$tmp/dd.yaml" 2> "$tmp/err"
rc=$?
check "run -c with outputs.csv = DATA_DIR/spam.fdxm (the detector's default model): exit 2" \
    bash -c '[ "$1" -eq 2 ] && grep -q "(a detector.s model " "$2"' _ "$rc" "$tmp/err"
check "... the model is intact" unchanged "$tmp/spam.fdxm" "$sum"

# ---- analyze: --svg / --output-list naming the data ----
cp "$csv" "$tmp/v.csv"
sum=$(sha256sum < "$tmp/v.csv")
"$flowdx" analyze importance -i "$tmp/v.csv" --svg "$tmp/v.csv" > /dev/null 2> "$tmp/err"
check "analyze importance --svg = -i: exit 2" test $? -eq 2
"$flowdx" analyze universal -a "$tmp/v.csv" -b samples/spam/lab/site-B-seed1.csv \
    --output-list "$tmp/v.csv" > /dev/null 2> "$tmp/err"
check "analyze universal --output-list = -a: exit 2" test $? -eq 2
check "... the data is intact" unchanged "$tmp/v.csv" "$sum"

# ---- train and eval: -o, --json, --export-prepared, --svg naming the data, --add or the model ----
tr=(train -q --model tree --feature-set zadnik)
for outopt in -o --json --export-prepared; do
    if [ "$outopt" = -o ]; then more=(); else more=(-o "$tmp/t.fdxm"); fi
    "$flowdx" "${tr[@]}" -i "$tmp/v.csv" "${more[@]}" "$outopt" "$tmp/v.csv" > /dev/null 2>&1
    check "train $outopt = -i: exit 2" test $? -eq 2
done
"$flowdx" "${tr[@]}" -i "$csv" --add "$tmp/v.csv" -o "$tmp/v.csv" > /dev/null 2>&1
check "train -o = --add: exit 2" test $? -eq 2
check "... the data is still intact" unchanged "$tmp/v.csv" "$sum"
"$flowdx" eval -m "$tmp/m.fdxm" -i "$csv" --svg "$tmp/m.fdxm" > /dev/null 2>&1
check "eval --svg = -m: exit 2, model intact" \
    bash -c '[ "$1" -eq 2 ] && [ "$(sha256sum < "$2")" = "$(sha256sum < conf/models/spam.fdxm)" ]' \
    _ $? "$tmp/m.fdxm"

# ---- an output that is a directory, or in one that does not exist: refused before the work ----
"$flowdx" train -q --model weighted-trees -i "$csv" -o "$tmp/no/such/dir/m.fdxm" 2> "$tmp/err"
rc=$?
check "train -o in a directory that does not exist: exit 2 before training, said" \
    bash -c '[ "$1" -eq 2 ] && grep -q "cannot write in .*/no/such/dir/: No such file" "$2"' \
    _ "$rc" "$tmp/err"
"$flowdx" extract -q -r "$pcap" -o "$tmp" 2> "$tmp/err"
rc=$?
check "extract -o DIRECTORY: exit 2, said" \
    bash -c '[ "$1" -eq 2 ] && grep -q "is a directory" "$2"' _ "$rc" "$tmp/err"

# ---- a link keeps being a link; a device stays a device ----
echo old > "$tmp/real.csv"
ln -s real.csv "$tmp/link.csv"
"$flowdx" extract -q -r "$pcap" -o "$tmp/link.csv" 2> /dev/null
check "extract -o LINK: the link is still a link" test -L "$tmp/link.csv"
check "... and its target has the rows (a header and 6 flows: tshark -z conv counts 6)" \
    test "$(wc -l < "$tmp/real.csv")" -eq 7
ln -s svg-target.svg "$tmp/plot.svg"
"$flowdx" analyze importance -i "$csv" --svg "$tmp/plot.svg" > /dev/null 2>&1
check "analyze --svg LINK (dangling): the link stays, its target is made" \
    bash -c 'test -L "$1" && grep -q "<svg" "$2"' _ "$tmp/plot.svg" "$tmp/svg-target.svg"
if [ -c /dev/full ]; then
    "$flowdx" analyze importance -i "$csv" --svg /dev/full > /dev/null 2> "$tmp/err"
    rc=$?
    check "analyze --svg /dev/full: exit 1, said, and /dev/full is still a device" \
        bash -c '[ "$1" -eq 1 ] && grep -q "/dev/full: write failed" "$2" && test -c /dev/full' \
        _ "$rc" "$tmp/err"
    # ---- -o that cannot be written: said, exit 1, and the closing line does not name it as an
    # output (emotet's one SMTP flow makes a JSON line, so something is written) ----
    for detect in spam doh,spam; do
        "$flowdx" run --detect "$detect" --format jsonl -r "$pcap" -o /dev/full 2> "$tmp/err"
        rc=$?
        check "run --detect $detect -o /dev/full: exit 1, said, not called an output" \
            bash -c '[ "$1" -eq 1 ] && grep -q "writing /dev/full failed" "$2" &&
                     ! grep -q "output: .*/dev/full" "$2"' _ "$rc" "$tmp/err" || cat "$tmp/err"
    done
    # ---- standard output that cannot be written ----
    for cmd in "features" "model show conf/models/spam.fdxm" "--help" "config check conf/flowdx.yaml"; do
        # shellcheck disable=SC2086 # the command's words
        "$flowdx" $cmd > /dev/full 2> "$tmp/err"
        rc=$?
        check "flowdx $cmd > /dev/full: exit 1, said" \
            bash -c '[ "$1" -eq 1 ] && grep -q "writing standard output failed" "$2"' _ "$rc" "$tmp/err"
    done
fi

# ---- bad values: a filter that does not compile, a malformed --ipfix destination ----
"$flowdx" extract -q -r "$pcap" -o /dev/null --filter 'tcp port' 2> /dev/null
check "extract --filter 'tcp port': exit 2" test $? -eq 2
"$flowdx" run --detect spam -r "$pcap" -o /dev/null --filter 'tcp port' 2> /dev/null
check "run --filter 'tcp port': exit 2" test $? -eq 2
# A filter that compiles for the first capture (Ethernet) but not for a later one (the dns2tcp
# capture is Linux cooked v1, on which tcpdump -r refuses "ether host") is refused before any
# work: exit 2, naming that capture, and no output file.
dns2tcp=samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap
for cmd in extract "run --detect spam"; do
    # shellcheck disable=SC2086 # the command's words
    "$flowdx" $cmd -q -r "$pcap" -r "$dns2tcp" -o "$tmp/lt.out" --filter 'tcp or ether host 00:11:22:33:44:55' 2> "$tmp/err"
    rc=$?
    check "$cmd: a filter the second capture's link type refuses: exit 2, named, nothing written" \
        bash -c '[ "$1" -eq 2 ] && grep -qF "$2: filter '"'"'tcp or ether host" "$3" && [ ! -e "$4" ]' \
        _ "$rc" "$dns2tcp" "$tmp/err" "$tmp/lt.out"
done
# ---- standard input named twice: it can be read once ----
"$flowdx" extract -q -r - -r - -o /dev/null < "$pcap" 2> "$tmp/err"
rc=$?
check "extract -r - -r -: exit 2, said" \
    bash -c '[ "$1" -eq 2 ] && grep -qF -- "-r - and -r - both name standard input" "$2"' _ "$rc" "$tmp/err"
"$flowdx" label -i - -l - -o "$tmp/l.csv" < /dev/null 2> "$tmp/err"
rc=$?
check "label -i - -l -: exit 2, said" \
    bash -c '[ "$1" -eq 2 ] && grep -qF -- "-i - and -l - both name standard input" "$2"' _ "$rc" "$tmp/err"
"$flowdx" extract -q -r - -r "$pcap" -o /dev/null < "$pcap"
check "extract -r - -r FILE: exit 0" test $? -eq 0
# /dev/stdin of a pipe is the same pipe; of a file redirected with "<", the file opened afresh
cat "$pcap" | "$flowdx" extract -q -r - -r /dev/stdin -o /dev/null 2> "$tmp/err"
rc=${PIPESTATUS[1]}
check "cat | extract -r - -r /dev/stdin: exit 2, said" \
    bash -c '[ "$1" -eq 2 ] && grep -qF -- "-r - and -r /dev/stdin both name standard input" "$2"' _ "$rc" "$tmp/err"
"$flowdx" extract -q -r - -r /dev/stdin -o /dev/null < "$pcap"
check "extract -r - -r /dev/stdin < FILE: exit 0" test $? -eq 0
for dest in sctp://x:1 udp://127.0.0.1:99999 ""; do
    "$flowdx" extract -q -r "$pcap" -o /dev/null --ipfix "$dest" 2> /dev/null
    check "extract --ipfix '$dest': exit 2" test $? -eq 2
done
# ---- --user NAME / input.user: the outputs are opened as NAME, after the capture; one NAME
# cannot write is refused before the capture is opened (exit 2). The interface does not exist:
# an output that passes the check gets as far as opening it (exit 1, "no such interface"). Root
# only: nobody else can take another user's identity to ask. ----
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
    chmod o+x "$tmp" # mktemp -d: 0700
    mkdir "$tmp/rootdir" "$tmp/nobodydir"
    chmod 755 "$tmp/rootdir"
    chown nobody "$tmp/nobodydir"
    : > "$tmp/nobodydir/roots.jsonl" # root's, 644: nobody may not write it
    chmod 644 "$tmp/nobodydir/roots.jsonl"
    noif=fdx-no-such0
    user_refused() { # NAME EXPECTED-MESSAGE COMMAND...
        local name=$1 msg=$2; shift 2
        "$flowdx" "$@" > /dev/null 2> "$tmp/err"
        local rc=$?
        check "$name: exit 2, said before the capture is opened" \
            bash -c '[ "$1" -eq 2 ] && grep -qxF -- "$2" "$3" && ! grep -q "no such interface" "$3"' \
            _ "$rc" "$msg" "$tmp/err" || cat "$tmp/err"
    }
    why="(outputs are opened as that user)"
    user_refused "--user nobody -o in root's directory" \
        "flowdx run: -o $tmp/rootdir/x.jsonl: user nobody cannot write in $tmp/rootdir/: Permission denied $why" \
        run -i "$noif" --detect spam --user nobody -o "$tmp/rootdir/x.jsonl"
    check "... nothing created there" test -z "$(ls "$tmp/rootdir")"
    user_refused "--user nobody -o a file of root's (644) in nobody's directory" \
        "flowdx run: -o $tmp/nobodydir/roots.jsonl: user nobody cannot write it: Permission denied $why" \
        run -i "$noif" --detect spam --user nobody -o "$tmp/nobodydir/roots.jsonl"
    user_refused "--user nobody --ipfix FILE in root's directory" \
        "flowdx run: --ipfix $tmp/rootdir/x.ipfix: user nobody cannot write in $tmp/rootdir/: Permission denied $why" \
        run -i "$noif" --detect spam --user nobody -o /dev/null --ipfix "$tmp/rootdir/x.ipfix"
    user_refused "--detect doh,spam --user nobody -o in root's directory" \
        "flowdx run: --detect doh,spam: outputs.alerts $tmp/rootdir/x.txt: user nobody cannot write in $tmp/rootdir/: Permission denied $why" \
        run -i "$noif" --detect doh,spam --user nobody -o "$tmp/rootdir/x.txt"
    # a configuration: the output named where the file names it (line 4, column 17: "  jsonl: {file: ")
    printf 'input: {interface: %s, user: nobody}\ndetectors: {spam: {}}\noutputs:\n  jsonl: {file: %s}\n' \
        "$noif" "$tmp/rootdir/x.jsonl" > "$tmp/user.yaml"
    msg="$tmp/user.yaml:4:17: outputs.jsonl $tmp/rootdir/x.jsonl: user nobody cannot write in $tmp/rootdir/: Permission denied $why"
    user_refused "run -c with input.user and outputs.jsonl in root's directory" "flowdx run: $msg" \
        run -c "$tmp/user.yaml"
    user_refused "config check of it" "flowdx config: $msg" config check "$tmp/user.yaml"
    # what nobody can write passes: a new file in its directory, standard output, a device
    for out in "$tmp/nobodydir/new.jsonl" - /dev/null; do
        "$flowdx" run -i "$noif" --detect spam --user nobody -o "$out" > /dev/null 2> "$tmp/err"
        rc=$?
        check "--user nobody -o $out: passes the check (exit 1 at the interface)" \
            bash -c '[ "$1" -eq 1 ] && grep -q "no such interface" "$2"' _ "$rc" "$tmp/err" ||
            cat "$tmp/err"
    done
else
    echo "SKIP: --user checks (need root and user nobody)"
fi
finish
