#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Network namespaces, veth links, the impairment TUN and the processes of one SMTP-lab run, with a state file
so that `lab.py cleanup` can undo everything after a crash, Ctrl-C or SIGTERM. Stdlib only."""
import json
import os
import shutil
import signal
import subprocess
import time

from plan import MX_ADDR, NET_CLIENTS, NET_MX, PREFIX

HERE = os.path.dirname(os.path.abspath(__file__))
IMPAIR = os.path.join(HERE, "..", "doh", "impair.py")  # the DoH lab's user-space link emulator, invoked as is
PY = "/usr/bin/python3"
NS_ROUTER, NS_MX = PREFIX + "router", PREFIX + "mx"
TUN = "fdxsmtpimp0"


def leftover_namespaces():
    out = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return [ln.split()[0] for ln in out.decode().splitlines() if ln.strip() and ln.split()[0].startswith(PREFIX)]


class Net:
    def __init__(self, work, verbose=True):
        self.work = work
        self.procs = []  # (name, Popen)
        self.netns = []
        self.verbose = verbose
        self.t_start = time.time()
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)

    def say(self, msg):
        if self.verbose:
            print("[smtp-lab %6.1fs] %s" % (time.time() - self.t_start, msg), flush=True)

    def sh(self, *args, ns=None, check=True, timeout=60):
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd),
                                                                 r.stderr.decode(errors="replace")[-1500:]))
        return r

    def record(self):
        tmp = os.path.join(self.work, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"netns": self.netns, "pids": [p.pid for _, p in self.procs]}, f)
        os.replace(tmp, os.path.join(self.work, "state.json"))

    def spawn(self, name, ns, args, env=None):
        logf = open(os.path.join(self.work, "logs", name + ".log"), "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in args], stdout=logf,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                             env=env, cwd=self.work)
        self.procs.append((name, p))
        self.record()
        return p

    def stop(self, p, sig=signal.SIGTERM, wait=3.0):
        if p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(2)
            except subprocess.TimeoutExpired:
                pass

    def wait_for(self, fn, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            if fn():
                return
            time.sleep(0.1)
        raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))

    def add_ns(self, name):
        self.sh("ip", "netns", "add", name)
        self.netns.append(name)
        self.record()
        self.sh("ip", "-n", name, "link", "set", "lo", "up")

    def sysctl(self, ns, pairs):
        for k, v in pairs:
            val = " ".join(str(x) for x in v) if isinstance(v, list) else str(v)
            self.sh("sysctl", "-qw", "%s=%s" % (k, val), ns=ns)

    def offloads_off(self, ns, dev):
        # wire-sized segments in the capture instead of 64 KB GSO/TSO super-packets
        if shutil.which("ethtool"):
            self.sh("ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", ns=ns, check=False)

    def host_stack(self, ns, h):
        """The host profile: initial TTL, TCP options and buffers (sysctl), MSS and initial window (routes)."""
        self.sysctl(ns, [("net.ipv4.ip_default_ttl", h["ttl"]), ("net.ipv4.tcp_timestamps", h["tcp_timestamps"]),
                         ("net.ipv4.tcp_sack", h["tcp_sack"]), ("net.ipv4.tcp_window_scaling", h["tcp_window_scaling"]),
                         ("net.ipv4.tcp_ecn", h["tcp_ecn"]), ("net.ipv4.tcp_rmem", h["tcp_rmem"]),
                         ("net.ipv4.tcp_wmem", h["tcp_wmem"])])

    def setup(self, plan):
        R = NS_ROUTER
        self.add_ns(R)
        self.add_ns(NS_MX)
        self.sysctl(R, [("net.ipv4.ip_forward", 1), ("net.ipv4.conf.all.rp_filter", 0),
                        ("net.ipv4.conf.default.rp_filter", 0), ("net.ipv4.conf.all.send_redirects", 0),
                        ("net.ipv4.conf.default.send_redirects", 0)])
        self.sh("ip", "-n", R, "link", "add", "br-cli", "type", "bridge")
        self.sh("ip", "-n", R, "addr", "add", plan["addresses"]["router_clients"] + "/16", "dev", "br-cli")
        self.sh("ip", "-n", R, "link", "set", "br-cli", "up")
        # the receiving MTA
        self.sh("ip", "link", "add", "r-mx", "netns", R, "type", "veth", "peer", "name", "eth0", "netns", NS_MX)
        self.sh("ip", "-n", R, "addr", "add", NET_MX + ".1/24", "dev", "r-mx")
        self.sh("ip", "-n", R, "link", "set", "r-mx", "up")
        self.sh("ip", "-n", NS_MX, "addr", "add", MX_ADDR + "/24", "dev", "eth0")
        self.sh("ip", "-n", NS_MX, "link", "set", "eth0", "up")
        self.offloads_off(R, "r-mx")
        self.offloads_off(NS_MX, "eth0")
        mh = plan["mx"]["host"]
        self.sysctl(NS_MX, [("net.ipv4.ip_default_ttl", mh["ttl"]), ("net.ipv4.tcp_timestamps", mh["tcp_timestamps"]),
                            ("net.ipv4.tcp_rmem", [4096, mh["tcp_rmem_default"], 6291456])])
        self.sh("ip", "-n", NS_MX, "route", "replace", NET_MX + ".0/24", "dev", "eth0", "advmss", mh["advmss"])
        self.sh("ip", "-n", NS_MX, "route", "add", "default", "via", NET_MX + ".1", "advmss", mh["advmss"])
        # client hosts: one namespace each, all its addresses on one veth into the bridge
        for h in plan["hosts"]:
            ns = h["name"]
            self.add_ns(ns)
            dev = ns[len(PREFIX):]
            self.sh("ip", "link", "add", dev, "netns", R, "type", "veth", "peer", "name", "eth0", "netns", ns)
            self.sh("ip", "-n", R, "link", "set", dev, "master", "br-cli")
            self.sh("ip", "-n", R, "link", "set", dev, "up")
            for a in h["addrs"]:
                self.sh("ip", "-n", ns, "addr", "add", a["addr"] + "/16", "dev", "eth0")
            self.sh("ip", "-n", ns, "link", "set", "eth0", "up")
            self.offloads_off(R, dev)
            self.offloads_off(ns, "eth0")
            hp = h["host"]
            self.host_stack(ns, hp)
            self.sh("ip", "-n", ns, "route", "replace", NET_CLIENTS + ".0.0/16", "dev", "eth0", "advmss",
                    hp["advmss"], "initcwnd", hp["initcwnd"])
            self.sh("ip", "-n", ns, "route", "add", "default", "via", plan["addresses"]["router_clients"], "dev",
                    "eth0", "advmss", hp["advmss"], "initcwnd", hp["initcwnd"])
        # impairment: every forwarded packet passes the TUN program, one emulated link per client address
        links = [dict(name="%s/%s" % (h["name"], a["addr"]), addr=a["addr"], up=a["link"]["up"],
                      down=a["link"]["down"], seed=a["link"]["seed"]) for h in plan["hosts"] for a in h["addrs"]]
        cfg = {"tun": TUN, "links": links, "default": {"name": "other", "up": {}, "down": {}, "seed": 1},
               "default_up_src": [MX_ADDR]}
        cpath = os.path.join(self.work, "impair.json")
        with open(cpath, "w") as f:
            json.dump(cfg, f, indent=1)
        ready = os.path.join(self.work, "impair.ready")
        self.spawn("impair", R, [PY, IMPAIR, "--config", cpath, "--stats",
                                 os.path.join(self.work, "impair-stats.json"), "--ready", ready])
        self.wait_for(lambda: os.path.exists(ready), 10, "impair.py TUN")
        self.sh("ip", "-n", R, "link", "set", TUN, "up")
        self.sysctl(R, [("net.ipv4.conf.%s.rp_filter" % TUN, 0)])
        self.sh("ip", "-n", R, "route", "add", "default", "dev", TUN, "table", "100")
        for pref, dev in ((100, "br-cli"), (101, "r-mx")):
            self.sh("ip", "-n", R, "rule", "add", "pref", pref, "iif", dev, "lookup", "100")

    def teardown(self):
        for name, p in reversed(self.procs):
            self.stop(p, signal.SIGINT if name.startswith("tcpdump") or name == "impair" else signal.SIGTERM)
        cleanup_recorded(self.work)


def cleanup_recorded(work):
    """Stop every process the run recorded and every process still inside its namespaces, then delete the
    namespaces. Only what this run created (pids are checked against the run's namespaces first)."""
    try:
        with open(os.path.join(work, "state.json")) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return
    ours = set(st.get("netns", []))
    for pid in st.get("pids", []):
        r = subprocess.run(["ip", "netns", "identify", str(pid)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if r.stdout.decode().strip() not in ours:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    for _ in range(2):
        for ns in st.get("netns", []):
            r = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        time.sleep(0.3)
    for ns in reversed(st.get("netns", [])):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    with open(os.path.join(work, "state.json"), "w") as f:
        json.dump({"netns": [], "pids": [], "cleaned": True}, f)
