#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Golden test: Moore numbers 31-152 from lib/tcp against `tcptrace -l -r` on public and edited captures.
"""Compare flowdx's tcptrace quantities with tcptrace's own, field by field.

Usage: tcptrace_compare.py --conns PROG --doc doc/features/tcptrace.md --samples SAMPLES
       [--flowdx FLOWDX] [--keep DIR] [--also CAPTURE]... [CAPTURE...]

The fields, their tolerances and which are compared come from the table in the doc (one place).
--conns is test/tcptrace_conns (lib/tcp with tcptrace's connection keying); with --flowdx, the rows
of `flowdx extract -f moore` are compared as well. Without CAPTURE arguments: the public SMTP and DoH
captures bundled in SAMPLES (samples/SOURCES.md), edited copies of some of them, and the --also
captures (samples/spam/lab/lab-lossy.pcap). Exit 0 when every compared field matches, 1 on a
mismatch, 77 (skipped) without tcptrace.
"""
import argparse
import csv
import ipaddress
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

N = 122
# A row of the doc's table: numbers, slug, tcptrace field, unit, tolerance, compared, definition.
ROW = re.compile(r'^\|\s*(\d+),\s*(\d+)\s*\|\s*(\S+)\s*\|\s*(\S+)\s*\|[^|]*\|\s*([^|]+?)\s*\|\s*(\S+)\s*\|'
                 r'[^|]*\|\s*$')


class Field:
    def __init__(self, numbers, slug, tt, tol, compared):
        self.numbers = numbers      # (a_b, b_a) Moore numbers
        self.slug = slug
        self.tt = tt                # tcptrace CSV field, '.1'/'.2' = part of an 'x/y' value
        self.tol = tol
        self.compared = compared


def read_table(path):
    fields = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = ROW.match(line)
            if not m:
                continue
            tol = m.group(5)
            if not re.fullmatch(r'exact|exact16|signed64|trunc( rel [0-9.]+)?|abs [0-9.]+( rel [0-9.]+)?',
                                tol):
                raise SystemExit('%s: bad tolerance %r' % (path, tol))
            if m.group(6) not in ('yes', 'no', 'closed', 'unfused'):
                raise SystemExit('%s: bad "compared" %r' % (path, m.group(6)))
            fields.append(Field((int(m.group(1)), int(m.group(2))), m.group(3), m.group(4), tol,
                                m.group(6)))
    seen = sorted(n for f in fields for n in f.numbers)
    if seen != list(range(31, 153)):
        raise SystemExit('%s: the table does not list 31-152 once each' % path)
    return fields


def tt_value(row, name, side, tol=None):
    """tcptrace's value of field name for side 'a2b' or 'b2a', as a number."""
    if tol == 'signed64':
        # tcptrace prints an unsigned 64-bit number; read it whole (a double would round 2^64 - 24
        # to 2^64) and as the signed number it stands for.
        v = row[name + '_' + side].strip()
        if v == 'NA':
            return 0.0
        n = int(v)
        return float(n - 2 ** 64 if n >= 2 ** 63 else n)
    part = None
    if name[-2:] in ('.1', '.2'):
        name, part = name[:-2], int(name[-1]) - 1
    v = row[name + '_' + side].strip()
    if part is not None:
        v = v.split('/')[part]
    if v == 'NA':
        return 0.0
    if v in ('Y', 'N'):
        return 1.0 if v == 'Y' else 0.0
    return float(v)


def run_tcptrace(cap):
    out = subprocess.run(['tcptrace', '-l', '-r', '-n', '--csv', cap], capture_output=True,
                         text=True, check=True).stdout
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith('#')]
    if not lines:
        return []
    header = [h.strip() for h in lines[0].split(',')]
    # tcptrace 6.6.7 writes one header name with a space ("RTT full_sz_stdev_a2b").
    header = [h.replace(' ', '_') for h in header]
    rows = []
    for ln in lines[1:]:
        vals = [v.strip() for v in ln.split(',')]
        rows.append(dict(zip(header, vals)))
    return rows


def norm(addr):
    """An address as Python writes it; tcptrace writes ::1 as ':0001' (its own IPv6 shortening)."""
    for cand in (addr, '::' + addr.lstrip(':'), addr.rstrip(':') + '::'):
        try:
            return str(ipaddress.ip_address(cand))
        except ValueError:
            continue
    return addr


def run_conns(prog, cap):
    out = subprocess.run([prog, cap], capture_output=True, text=True, check=True).stdout
    rows = []
    for ln in out.splitlines():
        v = ln.split(',')
        rows.append({'a': (norm(v[0]), int(v[1])), 'b': (norm(v[2]), int(v[3])),
                     'first_us': int(v[4]), 'last_us': int(v[5]),
                     'values': [float(x) for x in v[6:6 + N]],
                     'fused': (int(v[6 + N]), int(v[7 + N]))})
    return rows


FLOWDX_ARGS = ['extract', '-q', '-f', 'moore', '--active-timeout', '0', '--idle-timeout', '100000000']


def run_flowdx(flowdx, cap):
    """Rows of `flowdx extract -f moore`: src = the initiator = side a; no timeouts cut a connection."""
    out = subprocess.run([flowdx] + FLOWDX_ARGS + ['-r', cap], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    reader = csv.DictReader(out.splitlines())
    cols = None
    for r in reader:
        if r['proto'] != '6':
            continue
        if cols is None:
            cols = sorted(c for c in r if re.match(r'moore_(\d{3})_', c)
                          and 31 <= int(c[6:9]) <= 152)
            if len(cols) != N:
                raise SystemExit('flowdx: %d moore columns for 31-152, not %d' % (len(cols), N))
        rows.append({'a': (norm(r['src_addr']), int(r['src_port'])),
                     'b': (norm(r['dst_addr']), int(r['dst_port'])),
                     'first_us': int(r['start_us']), 'last_us': int(r['end_us']),
                     'values': [float(r[c]) for c in cols]})
    return rows


def index_of(number):
    return number - 31


def closed(tt):
    fins = tt_value(tt, 'SYN/FIN_pkts_sent.2', 'a2b') + tt_value(tt, 'SYN/FIN_pkts_sent.2', 'b2a')
    return fins >= 2 or float(tt['resets_sent_a2b']) > 0 or float(tt['resets_sent_b2a']) > 0


def within(ours, theirs, tol):
    """Whether flowdx's value matches tcptrace's printed one under tolerance tol (see the doc)."""
    if tol in ('exact', 'signed64'):
        return ours == theirs
    if tol == 'exact16':
        # tcptrace's MSS is a signed 16-bit number widened to 32 bits: undo the sign extension.
        if theirs > 65535:
            theirs -= 2.0 ** 32 - 65536
        return ours == theirs
    words = tol.split()
    rel = float(words[words.index('rel') + 1]) if 'rel' in words else 0.0
    slack = rel * abs(ours) + 1e-9
    if words[0] == 'trunc':
        return -1e-9 <= ours - theirs <= 1.0 + slack
    return abs(ours - theirs) <= float(words[1]) + slack


# flowdx's default linger after FIN/RST (doc/flows.md), for the connection-identity rules below.
LINGER_S = 2.0


def tt_times(tt):
    return float(tt['first_packet']), float(tt['last_packet'])


def identity_differs(tts, ours):
    """Why flowdx's flow table cuts a 4-tuple's packets differently from tcptrace, by the rules of
    the doc's "Connection identity" paragraph; None where it does not.

    tts: tcptrace's connections of the 4-tuple in order; ours: flowdx's rows of it in order."""
    if len(ours) > len(tts):
        spans = [tt_times(t) for t in tts]
        extra = ours[len(tts):]
        if all(any(f - 1e-6 <= r['first_us'] / 1e6 and r['last_us'] / 1e6 <= l + 1e-6
                   for f, l in spans) for r in extra):
            return 'packets more than the %g s linger after the close start a new flow' % LINGER_S
    return None


def compare(label, fields, tt_rows, our_rows, stats, fused_of, flow_table=False):
    """Pair connections by 4-tuple (k-th with k-th) and compare every field; return failures.

    fused_of maps tcptrace's conn_# to (a2b, b2a) seg_fused: filled from rows that carry it
    (tcptrace_conns), read for rows that do not (flowdx extract). With flow_table, 4-tuples whose
    connections flowdx's flow table cuts differently by a documented rule are reported, not
    compared (tcptrace_conns compares their analysis)."""
    fails = []
    pool = {}
    for r in our_rows:
        key = frozenset((r['a'], r['b']))
        pool.setdefault(key, []).append(r)
    if flow_table:
        by_tuple = {}
        for tt in tt_rows:
            key = frozenset(((norm(tt['host_a']), int(tt['port_a'])),
                             (norm(tt['host_b']), int(tt['port_b']))))
            by_tuple.setdefault(key, []).append(tt)
        for key, tts in by_tuple.items():
            why = identity_differs(tts, pool.get(key, []))
            if why:
                print('%s: conn %s: connection identity (doc/features/tcptrace.md): %s; not compared'
                      % (label, '+'.join(t['conn_#'] for t in tts), why))
                stats['identity'] += len(tts)
                pool.pop(key, None)
                for t in tts:
                    t['_identity'] = True
    for tt in tt_rows:
        if tt.get('_identity') and flow_table:
            continue
        a = (norm(tt['host_a']), int(tt['port_a']))
        b = (norm(tt['host_b']), int(tt['port_b']))
        cands = pool.get(frozenset((a, b)), [])
        if not cands:
            fails.append('%s: conn %s %s:%d-%s:%d: no flowdx row' % (label, tt['conn_#'], a[0], a[1],
                                                                    b[0], b[1]))
            continue
        ours = cands.pop(0)
        swap = ours['a'] != a
        if 'fused' in ours:
            fa, fb = ours['fused']
            fused_of[tt['conn_#']] = (fb, fa) if swap else (fa, fb)
        fused = fused_of.get(tt['conn_#'], (0, 0))
        stats['conns'] += 1
        for f in fields:
            if f.compared == 'no' or (f.compared == 'closed' and not closed(tt)):
                stats['skipped'] += 2
                continue
            for k, side in enumerate(('a2b', 'b2a')):
                if f.compared == 'unfused' and fused[k]:
                    stats['skipped'] += 1
                    continue
                number = f.numbers[k ^ 1 if swap else k]
                mine = ours['values'][index_of(number)]
                theirs = tt_value(tt, f.tt, side, f.tol)
                stats['values'] += 1
                if not within(mine, theirs, f.tol):
                    fails.append('%s: conn %s (%s:%d-%s:%d) %s %s: flowdx %.6g, tcptrace %.6g (%s)' % (
                        label, tt['conn_#'], a[0], a[1], b[0], b[1], f.slug, side, mine, theirs,
                        f.tol))
    for key, rest in pool.items():
        for r in rest:
            fails.append('%s: flowdx connection %s:%d-%s:%d not in tcptrace' % (
                label, r['a'][0], r['a'][1], r['b'][0], r['b'][1]))
    return fails


def is_capture(name):
    return name.endswith(('.pcap', '.pcapng'))


# The public SMTP and DoH captures bundled in samples/ (samples/SOURCES.md), by folder.
PUBLIC_DIRS = ('spam/ndpi', 'spam/zeek', 'doh/korving', 'doh/ndpi', 'doh/synthetic')


def public_captures(samples):
    """(path, label) of the bundled public captures, labelled by their path under samples."""
    caps = []
    for sub in PUBLIC_DIRS:
        for name in os.listdir(os.path.join(samples, sub)):
            if is_capture(name):
                caps.append((os.path.join(samples, sub, name), sub + '/' + name))
    return sorted(caps)


# The captures whose first connection is edited (tcptrace_edit.py): SMTP with retransmissions,
# a DoH capture in Linux cooked framing, and one with SACK.
EDIT_BASES = ('spam/zeek/smtp.pcap', 'spam/ndpi/smtp.pcap',
              'doh/korving/korving_ft_iodine_private_b64_23a0a5a8.pcap', 'doh/ndpi/dns_dot.pcap')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--conns', required=True)
    ap.add_argument('--doc', required=True)
    ap.add_argument('--samples', required=True)
    ap.add_argument('--flowdx')
    ap.add_argument('--keep')
    ap.add_argument('--also', action='append', default=[],
                    help='a capture to compare besides the public and edited ones (repeatable)')
    ap.add_argument('captures', nargs='*')
    args = ap.parse_args()
    if shutil.which('tcptrace') is None:
        print('tcptrace not installed (Debian package tcptrace): skipped')
        return 77
    fields = read_table(args.doc)
    print('fields compared with conditions or not at all (doc/features/tcptrace.md): %s'
          % ', '.join('%s (%s)' % (f.slug, f.compared) for f in fields if f.compared != 'yes'))
    tmp = args.keep or tempfile.mkdtemp(prefix='fdx-tcptrace-')
    os.makedirs(tmp, exist_ok=True)
    caps = [(c, os.path.basename(c)) for c in args.captures]
    if not args.captures:
        caps = public_captures(args.samples)
        if not caps:
            print('no captures under %s' % args.samples)
            return 1
        for base in EDIT_BASES:
            path = os.path.join(args.samples, base)
            dest = os.path.join(tmp, os.path.dirname(base).replace('/', '_'))
            os.makedirs(dest, exist_ok=True)
            out = subprocess.run([sys.executable, os.path.join(HERE, 'tcptrace_edit.py'), path, dest],
                                 capture_output=True, text=True, check=True).stdout
            caps += [(c, os.path.relpath(c, tmp)) for c in out.split()]
    caps += [(c, os.path.basename(c)) for c in args.also]
    stats = {'conns': 0, 'values': 0, 'skipped': 0, 'identity': 0}
    fails = []
    for cap, label in caps:
        tt_rows = run_tcptrace(cap)
        ours = run_conns(args.conns, cap)
        fused_of = {}
        f = compare(label, fields, tt_rows, ours, stats, fused_of)
        print('%s: %d connections, %s' % (label, len(tt_rows), 'ok' if not f else '%d differences' % len(f)))
        fails += f
        if args.flowdx:
            label += ' [flowdx extract -f moore]'
            f = compare(label, fields, tt_rows, run_flowdx(args.flowdx, cap), stats, fused_of,
                        flow_table=True)
            print('%s: %s' % (label, 'ok' if not f else '%d differences' % len(f)))
            fails += f
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d captures, %d connections, %d values compared, %d not compared by the doc\'s rule, '
          '%d connections left to tcptrace_conns by the connection-identity rule'
          % (len(caps), stats['conns'], stats['values'], stats['skipped'], stats['identity']))
    for f in fails:
        print('FAIL: ' + f)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
