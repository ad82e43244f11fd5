#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""From a capture and the run's records to labels: one row per TCP connection to the MX (labels.csv), one row
per client address (clients.csv), and the per-class and per-behaviour counts (summary.json).

  labels.py --run DIR      redo labels.csv, clients.csv and summary.json of a finished run (plan.json,
                           smtp.pcap and logs/*-agent.jsonl in DIR)

The class comes from the client address alone: every address belongs to exactly one host, and every host to one
class (README.md, "How a label is produced"). Stdlib only."""
import argparse
import collections
import csv
import glob
import json
import os
import re
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))  # test/lab: common/
from common.pcap import read_pcap  # noqa: E402  (Ethernet, Linux cooked v1 and v2)

SMTP_PORTS = (25, 587)
LABEL_FIELDS = ["src_ip", "src_port", "dst_ip", "dst_port", "proto", "first_ts", "last_ts", "packets", "bytes",
                "label", "behaviour", "detail", "outcome", "client", "kind", "group", "host_profile", "link_class",
                "listed", "syn_seen", "end", "mx_messages"]


def connections(pcap, server_ip):
    """TCP connections to server_ip on the SMTP ports: a SYN after the previous connection on the same 4-tuple
    ended (FIN or RST seen) starts a new record."""
    conns, order = {}, []
    for ts, flen, ip in read_pcap(pcap):
        if len(ip) < 20 or ip[9] != 6:
            continue
        ihl = (ip[0] & 0x0F) * 4
        if len(ip) < ihl + 14:
            continue
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        flags = ip[ihl + 13]
        if dst == server_ip and dport in SMTP_PORTS:
            key, fwd = (src, sport, dport), True
        elif src == server_ip and sport in SMTP_PORTS:
            key, fwd = (dst, dport, sport), False
        else:
            continue
        c = conns.get(key)
        syn_only = (flags & 0x12) == 0x02
        if c is None or (syn_only and c["ended"]):
            c = {"client_ip": key[0], "client_port": key[1], "server_port": key[2], "first_ts": ts, "last_ts": ts,
                 "packets": 0, "bytes": 0, "ended": False, "syn": syn_only, "end": ""}
            conns[key] = c
            order.append(c)
        c["last_ts"] = ts
        c["packets"] += 1
        c["bytes"] += flen
        if flags & 0x04:
            c["ended"] = True
            c["end"] = c["end"] or ("rst-client" if fwd else "rst-server")
        elif flags & 0x01:
            c["ended"] = True
            c["end"] = c["end"] or ("fin-client" if fwd else "fin-server")
    return order


def agent_logs(logdir):
    """The events of each agent log in logdir (*-agent.jsonl), one list per log, in name order. A line that is
    not JSON (cut short when the agent was stopped) is skipped."""
    for path in sorted(glob.glob(os.path.join(logdir, "*-agent.jsonl"))):
        events = []
        with open(path) as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
        yield events


def agent_records(logdir):
    """(src, sport) -> list of {'ts','behaviour','detail','outcome'} from the agents' open/end lines."""
    recs = collections.defaultdict(list)
    for events in agent_logs(logdir):
        opened = {}
        for e in events:
            if e.get("ev") == "open":
                rec = {"ts": e["ts"], "behaviour": e["behaviour"], "detail": e.get("detail", ""),
                       "outcome": "unfinished"}
                recs[(e["src"], e["sport"])].append(rec)
                opened[(e["src"], e["sport"])] = rec
            elif e.get("ev") == "end" and (e["src"], e["sport"]) in opened:
                opened.pop((e["src"], e["sport"]))["outcome"] = e.get("outcome", "")
    return recs


# The MX's summary line of one SMTP session (Postfix 3.x): per command, successes or successes/attempts. The
# client port is there when smtpd_client_port_logging = yes (plan version 4 runs made before it was set lack it).
DISCONNECT = re.compile(r"^(\w{3} +\d+ [\d:]{8}) \S+ postfix/smtpd\[\d+\]: disconnect from [^\[]*\[([^\]]+)\]"
                        r"(?::(\d+))?(.*)$")


class MxSession:
    """One disconnect line of the MX's log: when, the client port (None when not logged), the messages accepted,
    and whether a connection has already taken it."""
    __slots__ = ("t", "port", "messages", "taken")

    def __init__(self, t, port, messages):
        self.t, self.port, self.messages, self.taken = t, port, messages, False


def mx_sessions(path, year):
    """(client address) -> list of MxSession from the MX log's disconnect lines. A message is accepted when DATA
    succeeded: smtpd counts DATA as a success only after the whole message was received and queued. The log's
    time stamps are local time, to the second."""
    out = collections.defaultdict(list)
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            m = DISCONNECT.match(line)
            if not m:
                continue
            t = time.mktime(time.strptime("%d %s" % (year, m.group(1)), "%Y %b %d %H:%M:%S"))
            data = re.search(r" data=(\d+)", m.group(4))
            out[m.group(2)].append(MxSession(t, int(m.group(3)) if m.group(3) else None,
                                             int(data.group(1)) if data else 0))
    return out


def mx_messages(sessions, c):
    """Messages the MX accepted on connection c: its disconnect line is the one of the same address (and port,
    when logged) closest to the connection's last packet, within 5 s; None when there is none."""
    best = None
    for s in sessions.get(c["client_ip"], []):
        if s.taken or (s.port is not None and s.port != c["client_port"]):
            continue
        d = abs(s.t - c["last_ts"])
        if s.t >= c["first_ts"] - 2 and d <= 5 and (best is None or d < abs(best.t - c["last_ts"])):
            best = s
    if best is None:
        return None
    best.taken = True
    return best.messages


def profile_string(hp):
    return "ttl%d/mss%d/rmem%d/ts%d/sack%d/ws%d/ecn%d/cwnd%d" % (
        hp["ttl"], hp["advmss"], hp["tcp_rmem"][1], hp["tcp_timestamps"], hp["tcp_sack"], hp["tcp_window_scaling"],
        hp["tcp_ecn"], hp["initcwnd"])


def address_map(plan):
    """Client address -> (host, address entry). Fails if an address is planned twice."""
    m = {}
    for h in plan["hosts"]:
        for a in h["addrs"]:
            if a["addr"] in m:
                raise ValueError("address %s planned for two hosts" % a["addr"])
            m[a["addr"]] = (h, a)
    return m


def label_rows(plan, pcap, logdir):
    amap = address_map(plan)
    recs = agent_records(logdir)
    conns = connections(pcap, plan["mx"]["addr"])
    year = time.localtime(conns[0]["first_ts"]).tm_year if conns else 1970
    sessions = mx_sessions(os.path.join(logdir, "postfix-mx.log"), year)
    rows = []
    for c in conns:
        h, a = amap.get(c["client_ip"], (None, None))
        beh, detail, outcome = "", "", ""
        if h is not None and h["kind"] == "relay":
            beh = "relay"
        elif h is not None:
            cands = [r for r in recs.get((c["client_ip"], c["client_port"]), [])
                     if abs(r["ts"] - c["first_ts"]) < 15.0]
            if cands:
                r = min(cands, key=lambda r: abs(r["ts"] - c["first_ts"]))
                beh, detail, outcome = r["behaviour"], r["detail"], r["outcome"]
            else:
                beh = "unmatched-" + h["kind"]
        rows.append({"src_ip": c["client_ip"], "src_port": c["client_port"], "dst_ip": plan["mx"]["addr"],
                     "dst_port": c["server_port"], "proto": "tcp", "first_ts": "%.6f" % c["first_ts"],
                     "last_ts": "%.6f" % c["last_ts"], "packets": c["packets"], "bytes": c["bytes"],
                     "label": h["label"] if h else "unknown", "behaviour": beh, "detail": detail,
                     "outcome": outcome, "client": h["name"] if h else "", "kind": h["kind"] if h else "",
                     "group": h["group"] if h else "", "host_profile": profile_string(h["host"]) if h else "",
                     "link_class": a["link"]["class"] if a else "", "listed": int(a["listed"]) if a else "",
                     "syn_seen": int(c["syn"]), "end": c["end"]})
    # Matched in order of the connections' ends, so that of two connections of one address whose lines are
    # alike, the earlier takes the earlier line.
    for i in sorted(range(len(conns)), key=lambda i: conns[i]["last_ts"]):
        n = mx_messages(sessions, conns[i])
        rows[i]["mx_messages"] = "" if n is None else n
    return rows


def write_labels(rows, path):
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=LABEL_FIELDS)
        wr.writeheader()
        wr.writerows(rows)


def write_clients(plan, path):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["addr", "label", "client", "kind", "group", "listed", "host_profile", "ttl", "advmss",
                     "tcp_rmem_default", "tcp_timestamps", "link_class", "rtt_ms", "up_kbit", "down_kbit", "loss_up",
                     "loss_down"])
        for h in plan["hosts"]:
            hp = h["host"]
            for a in h["addrs"]:
                ln = a["link"]
                wr.writerow([a["addr"], h["label"], h["name"], h["kind"], h["group"], int(a["listed"]),
                             profile_string(hp), hp["ttl"], hp["advmss"], hp["tcp_rmem"][1], hp["tcp_timestamps"],
                             ln["class"], round(ln["up"]["delay_ms"] + ln["down"]["delay_ms"], 2),
                             ln["up"].get("rate_kbit", 0), ln["down"].get("rate_kbit", 0), ln["up"]["loss"],
                             ln["down"]["loss"]])


def check(rows, plan):
    """The audit the run does itself: every connection has exactly one label, ham or spam, and every client
    address belongs to one class. Returns a list of problems (empty = pass)."""
    problems = []
    seen = collections.Counter((r["src_ip"], r["src_port"], r["first_ts"]) for r in rows)
    problems += ["connection %s:%s at %s listed %d times" % (k[0], k[1], k[2], n) for k, n in seen.items() if n > 1]
    problems += ["connection %s:%s has label %r" % (r["src_ip"], r["src_port"], r["label"]) for r in rows
                 if r["label"] not in ("ham", "spam")]
    classes = collections.defaultdict(set)
    for r in rows:
        classes[r["src_ip"]].add(r["label"])
    problems += ["address %s in classes %s" % (a, sorted(c)) for a, c in classes.items() if len(c) > 1]
    try:
        address_map(plan)
    except ValueError as e:
        problems.append(str(e))
    return problems


def summarize(plan, rows, logdir):
    s = {"per_class": collections.Counter(), "per_behaviour": collections.Counter(),
         "per_outcome": collections.Counter(), "per_group_class": collections.Counter(),
         "per_link_class": collections.Counter(), "end": collections.Counter()}
    for r in rows:
        s["per_class"][r["label"]] += 1
        s["per_behaviour"]["%s/%s" % (r["label"], r["behaviour"])] += 1
        s["per_outcome"]["%s/%s/%s" % (r["label"], r["behaviour"], r["outcome"] or "-")] += 1
        s["per_group_class"]["g%s/%s" % (r["group"], r["label"])] += 1
        s["per_link_class"]["%s/%s" % (r["label"], r["link_class"])] += 1
        s["end"]["%s/%s" % (r["label"], r["end"] or "open")] += 1
    out = {k: dict(sorted(v.items())) for k, v in s.items()}
    # what the MTAs did: the relays' deliveries and deferrals, the MX's temporary and permanent rejections
    mta = {}
    for path in sorted(glob.glob(os.path.join(logdir, "postfix-*.log"))):
        name = os.path.basename(path)[len("postfix-"):-4]
        c = collections.Counter()
        with open(path, errors="replace") as f:
            for line in f:
                for key, pat in (("sent", "status=sent"), ("deferred", "status=deferred"),
                                 ("bounced", "status=bounced"), ("reject_4xx", ": reject: RCPT from"),
                                 ("greylisted", "Greylisted"), ("tls", "TLS connection established"),
                                 ("rate_limited", "Connection rate limit exceeded"),
                                 ("pregreet_or_pipelining", "improper command pipelining"),
                                 ("lost_connection", "lost connection"), ("too_many_errors", "too many errors")):
                    if pat in line:
                        if key == "reject_4xx" and ": 4" not in line.split("RCPT from", 1)[1][:80]:
                            key = "reject_5xx"
                        c[key] += 1
        mta[name] = dict(sorted(c.items()))
    out["mta_logs"] = mta
    out["retries"] = retries(logdir)
    return out


def retries(logdir):
    """Evidence that ham senders retry after a temporary failure and bots do not: relay messages (postfix
    queue ids) delivered after at least one deferral, direct-sender retries, bot connections that ended on a
    4xx (a bot never reconnects for the same message: every planned bot session has its own sender)."""
    out = {"relay_messages_deferred": 0, "relay_messages_sent_after_deferral": 0, "direct_retries": 0,
           "direct_messages_delivered_on_retry": 0, "bot_connections_gave_up_after_4xx": 0}
    for path in sorted(glob.glob(os.path.join(logdir, "postfix-fdxsmtp-h*.log"))):
        state = {}
        with open(path, errors="replace") as f:
            for line in f:
                if "status=deferred" in line or "status=sent" in line:
                    qid = line.split(": ", 2)[1] if line.count(": ") >= 2 else ""
                    if "status=deferred" in line:
                        state[qid] = "deferred"
                    elif state.get(qid) == "deferred":
                        state[qid] = "sent-after-deferral"
        out["relay_messages_deferred"] += len(state)
        out["relay_messages_sent_after_deferral"] += sum(v == "sent-after-deferral" for v in state.values())
    for events in agent_logs(logdir):
        retried = set()
        for e in events:
            if e.get("ev") == "retry-queued":
                out["direct_retries"] += 1
                retried.add(e["i"])
            elif e.get("ev") == "end" and e.get("outcome") == "gave-up-4xx":
                out["bot_connections_gave_up_after_4xx"] += 1
            elif e.get("ev") == "delivered" and e.get("i") in retried:
                out["direct_messages_delivered_on_retry"] += 1
    return out


def main():
    ap = argparse.ArgumentParser(description="redo the labels of a finished SMTP-lab run")
    ap.add_argument("--run", required=True)
    a = ap.parse_args()
    plan = json.load(open(os.path.join(a.run, "plan.json")))
    rows = label_rows(plan, os.path.join(a.run, "smtp.pcap"), os.path.join(a.run, "logs"))
    write_labels(rows, os.path.join(a.run, "labels.csv"))
    write_clients(plan, os.path.join(a.run, "clients.csv"))
    problems = check(rows, plan)
    for p in problems[:20]:
        print("labels: " + p, file=sys.stderr)
    print("%d connections, %s" % (len(rows), dict(collections.Counter(r["label"] for r in rows))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
