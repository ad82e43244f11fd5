#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SMTP lab orchestrator: plan, namespaces, MTAs, capture, clients, labels, clean-up.

  lab.py plan    --site A|B --seed N [--duration S] [--scale F] --out plan.json   (no root needed)
  lab.py run     --site A|B --seed N --out DIR [--duration S] [--scale F] [--work W] [--keep-work]
  lab.py cleanup --work W      (stops the processes and deletes the namespaces a run recorded)

run.sh is the entry point for users: it checks the tools and calls `cleanup` on every exit. See README.md.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # test/lab: common/
import labels  # noqa: E402
import mta  # noqa: E402
from common import cli  # noqa: E402
from common.netns import PY, Guard  # noqa: E402
from common.results import copy_outputs, tool_versions  # noqa: E402
from netlab import NS_MX, Net, leftover_namespaces  # noqa: E402
from plan import MX_ADDR, SITES, make_plan, plan_json  # noqa: E402


def listening(net, ns, addr_port):
    r = net.sh("ss", "-Htln", "src", addr_port, ns=ns, check=False)
    return r.returncode == 0 and r.stdout.strip() != b""


def start_mtas(net, plan):
    dirs = {}
    if plan["mx"]["greylist"]:
        mta.start_postgrey(net, plan)
        net.wait_for(lambda: listening(net, NS_MX, "127.0.0.1:10023"), 20, "postgrey")
    dirs["mx"] = (NS_MX, mta.write_mx(net, plan))
    mta.start_postfix(net, NS_MX, dirs["mx"][1], "mx")
    for h in plan["hosts"]:
        if h["kind"] == "relay":
            dirs[h["name"]] = (h["name"], mta.write_relay(net, plan, h))
            mta.start_postfix(net, h["name"], dirs[h["name"]][1], h["name"])
    net.wait_for(lambda: listening(net, NS_MX, MX_ADDR + ":25"), 20, "the MX's smtpd")
    for name, (ns, _) in dirs.items():
        if name != "mx":
            net.wait_for(lambda: listening(net, ns, "127.0.0.1:25"), 20, "postfix in " + ns)
    return dirs


def reachability(net, plan):
    """From every client host, a TCP connection attempt to a closed port of the MX: the RST proves the path
    through the router and the emulated link, and nothing of it matches the capture's filter."""
    code = ("import socket,sys\nfor a in sys.argv[1:]:\n s=socket.socket(); s.bind((a,0)); s.settimeout(10)\n"
            " try:\n  s.connect(('%s',9))\n except ConnectionRefusedError:\n  pass\n s.close()\n" % MX_ADDR)
    for h in plan["hosts"]:
        net.sh(PY, "-c", code, h["addrs"][0]["addr"], ns=h["name"], timeout=30)


def start_capture(net, out):
    pcap = os.path.join(out, "smtp.pcap")
    p = net.spawn("tcpdump", NS_MX, ["tcpdump", "-i", "eth0", "-n", "-s", "0", "-U", "-w", pcap,
                                     "tcp port 25 or tcp port 587"])
    log = os.path.join(net.work, "logs", "tcpdump.log")
    net.wait_for(lambda: b"listening on" in open(log, "rb").read(), 10, "tcpdump")
    return p


def run_agents(net, plan, duration):
    t0 = time.time() + 1.5
    end = t0 + duration
    procs = []
    pj = os.path.join(net.work, "plan.json")
    for h in plan["hosts"]:
        procs.append(net.spawn(h["name"] + "-agent", h["name"],
                               [PY, os.path.join(HERE, "agent.py"), "--plan", pj, "--host", h["name"], "--t0",
                                "%.3f" % t0, "--end", "%.3f" % end, "--log",
                                os.path.join(net.work, "logs", h["name"] + "-agent.jsonl")]))
    net.say("%d client hosts running for %.0f s" % (len(procs), duration))
    last = 0
    while time.time() < end + 6 and any(p.poll() is None for p in procs):
        time.sleep(0.5)
        if time.time() - last > 30:
            last = time.time()
            net.say("%d of %d client hosts still running" % (sum(p.poll() is None for p in procs), len(procs)))
    for p in procs:
        net.stop(p)
    return t0, end


TOOLS = (("postfix", ["postconf", "-h", "mail_version"]), ("postgrey", ["postgrey", "--version"]),
         ("tcpdump", ["tcpdump", "--version"]), ("openssl", ["openssl", "version"]), ("python", [PY, "--version"]),
         ("kernel", ["uname", "-r"]))


def run(a):
    if a.duration < 30 or a.duration > 1800:
        print("lab.py run: --duration must be 30..1800 s", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("lab.py run: must run as root (namespaces, veth, TUN, tcpdump, postfix)", file=sys.stderr)
        return 2
    left = leftover_namespaces()
    if left:
        print("lab.py run: namespaces of this lab already exist: %s\n  another run is going on, or one crashed. "
              "Remove them first: lab.py cleanup --work <its work dir>, or ip netns del <name>"
              % " ".join(left), file=sys.stderr)
        return 3
    plan = make_plan(a.site, a.seed, a.duration, a.scale)
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    for old in ("smtp.pcap", "labels.csv", "clients.csv", "summary.json", "run.json"):
        if os.path.exists(os.path.join(out, old)):
            os.remove(os.path.join(out, old))
    work = a.work or tempfile.mkdtemp(prefix="fdxlab-smtp.")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # postfix and postgrey drop privileges and must reach their directories in it
    with open(os.path.join(out, "plan.json"), "w") as f:
        f.write(plan_json(plan))
    shutil.copy(os.path.join(out, "plan.json"), os.path.join(work, "plan.json"))
    net = Net(work)
    t0, end = None, None
    dirs = {}

    def teardown():
        for name, (ns, d) in dirs.items():
            mta.stop_postfix(net, ns, d)
        net.teardown()
        net.say("namespaces removed")

    with Guard("lab.py", teardown) as guard:
        net.say("site %s, seed %d, %.0f s, %d hosts, work %s, out %s"
                % (a.site, a.seed, a.duration, len(plan["hosts"]), work, out))
        net.setup(plan)
        net.say("namespaces, links and impairment up")
        dirs = start_mtas(net, plan)
        net.say("postfix (MX%s and %d relays) up" % (" + postgrey" if plan["mx"]["greylist"] else "",
                                                     len(dirs) - 1))
        reachability(net, plan)
        start_capture(net, out)
        net.say("capturing tcp port 25/587 on the MX")
        t0, end = run_agents(net, plan, a.duration)
        net.say("clients done")
        for name, (ns, d) in dirs.items():
            if name != "mx":
                mta.stop_postfix(net, ns, d)
        time.sleep(1.0)
    rc = guard.rc
    logs_out = copy_outputs(work, out, ("impair.json", "impair-stats.json"))
    mta.copy_logs(work, out)
    pcap = os.path.join(out, "smtp.pcap")
    if rc == 0 and os.path.exists(pcap):
        rows = labels.label_rows(plan, pcap, logs_out)
        labels.write_labels(rows, os.path.join(out, "labels.csv"))
        labels.write_clients(plan, os.path.join(out, "clients.csv"))
        problems = labels.check(rows, plan)
        summ = labels.summarize(plan, rows, logs_out)
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summ, f, indent=1, sort_keys=True)
        meta = {"site": a.site, "seed": a.seed, "duration": a.duration, "scale": a.scale,
                "plan_sha256": hashlib.sha256(plan_json(plan).encode()).hexdigest(),
                "t0": t0, "end": end, "wall_seconds": round(time.time() - net.t_start, 1),
                "connections": len(rows), "label_check": problems or "pass",
                "versions": tool_versions(TOOLS, 10, 100)}
        with open(os.path.join(out, "run.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        print_summary(summ, meta)
        if problems:
            print("lab.py: label check FAILED:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
            rc = 4
    if not a.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return rc


def print_summary(summ, meta):
    print("\n== SMTP lab: site %s, seed %d, %.0f s, plan sha256 %s..., wall %.0f s, %d connections, labels %s"
          % (meta["site"], meta["seed"], meta["duration"], meta["plan_sha256"][:16], meta["wall_seconds"],
             meta["connections"], "ok" if meta["label_check"] == "pass" else "FAILED"))
    for k, v in summ["per_class"].items():
        print("  %-6s %5d" % (k, v))
    for k, v in summ["per_behaviour"].items():
        print("    %-26s %5d" % (k, v))
    for name, c in summ["mta_logs"].items():
        print("  postfix %-14s %s" % (name, " ".join("%s=%d" % kv for kv in c.items())))


def plan_options(s):
    s.add_argument("--site", choices=sorted(SITES), required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--duration", type=float, default=150.0)
    s.add_argument("--scale", type=float, default=1.0)


def main():
    ap, _ = cli.parser(plan_options)
    return cli.dispatch(ap.parse_args(), lambda a: plan_json(make_plan(a.site, a.seed, a.duration, a.scale)), run)


if __name__ == "__main__":
    sys.exit(main())
