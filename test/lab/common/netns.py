# SPDX-License-Identifier: BSD-3-Clause
"""Network namespaces, veth links, the impairment TUN and the processes of one lab run, with a state file
(WORK/state.json) from which `cleanup_recorded` undoes everything after a failure, Ctrl-C, SIGTERM or a
crash; the guard that turns SIGTERM into Ctrl-C and always tears down. Shared by the DoH and SMTP labs, each
of which subclasses NetnsRun with its own topology. Stdlib only."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

LABS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"  # Debian's interpreter: the labs' Python packages (python3-h2) are installed for it
IMPAIR = os.path.join(LABS, "doh", "impair.py")  # the user-space link emulator (TUN), used by both labs
IMPAIR_TABLE = "100"


def leftover_namespaces(prefix):
    """Namespaces whose name starts with prefix: another run of the lab, or one that crashed."""
    out = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return [ln.split()[0] for ln in out.decode().splitlines() if ln.strip() and ln.split()[0].startswith(prefix)]


class NetnsRun:
    """One run's namespaces and processes. Everything it creates is recorded in WORK/state.json before it
    is used, so that cleanup_recorded can remove it whatever happens to this process."""
    sh_timeout = None  # seconds a command run by sh() may take by default (None: no limit)

    def __init__(self, work, tag, verbose=True):
        self.work = work
        self.tag = tag  # the log lines' prefix
        self.procs = []  # (name, Popen)
        self.netns = []
        self.verbose = verbose
        self.t_start = time.time()
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)

    def say(self, msg):
        if self.verbose:
            print("[%s %6.1fs] %s" % (self.tag, time.time() - self.t_start, msg), flush=True)

    def sh(self, *args, ns=None, check=True, timeout=None):
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout if timeout is not None else self.sh_timeout)
        if check and r.returncode != 0:
            raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd),
                                                                 r.stderr.decode(errors="replace")[-2000:]))
        return r

    def record(self):
        tmp = os.path.join(self.work, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"netns": self.netns, "pids": [p.pid for _, p in self.procs]}, f)
        os.replace(tmp, os.path.join(self.work, "state.json"))

    def spawn(self, name, ns, args, env=None):
        """args in namespace ns, in a session of its own (so that a signal reaches all its children), output
        to WORK/logs/NAME.log."""
        logf = open(os.path.join(self.work, "logs", name + ".log"), "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in args], stdout=logf,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                             env=env, cwd=self.work)
        self.procs.append((name, p))
        self.record()
        return p

    def stop(self, p, sig=signal.SIGTERM, wait=3.0):
        """sig to p's process group, SIGKILL after wait seconds."""
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

    def teardown(self):
        """Stops the processes, newest first (SIGINT to the captures and impair.py, so that they flush and
        write their statistics), then everything recorded."""
        for name, p in reversed(self.procs):
            self.stop(p, signal.SIGINT if name.startswith("tcpdump") or name == "impair" else signal.SIGTERM)
        cleanup_recorded(self.work)

    # ------------------------------------------------------------------------------------------ network ---
    def add_ns(self, name):
        self.sh("ip", "netns", "add", name)
        self.netns.append(name)
        self.record()
        self.sh("ip", "-n", name, "link", "set", "lo", "up")

    def sysctl(self, ns, pairs):
        """pairs: (dotted key, value); a list value is written space-separated (tcp_rmem and the like)."""
        for k, v in pairs:
            val = " ".join(str(x) for x in v) if isinstance(v, list) else str(v)
            self.sh("sysctl", "-qw", "%s=%s" % (k, val), ns=ns)

    def offloads_off(self, ns, dev, on=False):
        """Wire-sized segments in the capture instead of 64 KB GSO/TSO super-packets (on=True: TSO and GSO
        left on, as on a real server)."""
        if shutil.which("ethtool"):
            v = "on" if on else "off"
            self.sh("ethtool", "-K", dev, "tso", v, "gso", v, "gro", "off", ns=ns, check=False)

    def host_stack(self, ns, h):
        """The host profile (common.hosts.draw_host): initial TTL, TCP options and buffers, by sysctl."""
        self.sysctl(ns, [("net.ipv4.ip_default_ttl", h["ttl"]), ("net.ipv4.tcp_timestamps", h["tcp_timestamps"]),
                         ("net.ipv4.tcp_sack", h["tcp_sack"]), ("net.ipv4.tcp_window_scaling", h["tcp_window_scaling"]),
                         ("net.ipv4.tcp_ecn", h["tcp_ecn"]), ("net.ipv4.tcp_rmem", h["tcp_rmem"]),
                         ("net.ipv4.tcp_wmem", h["tcp_wmem"])])

    def router(self, ns, bridge_addr, bridge="br-cli"):
        """Namespace ns (already added) as the router: forwarding on, no reverse-path filter, no redirects,
        and the clients' bridge with bridge_addr ("a.b.c.d/len")."""
        self.sysctl(ns, [("net.ipv4.ip_forward", 1), ("net.ipv4.conf.all.rp_filter", 0),
                         ("net.ipv4.conf.default.rp_filter", 0), ("net.ipv4.conf.all.send_redirects", 0),
                         ("net.ipv4.conf.default.send_redirects", 0)])
        self.sh("ip", "-n", ns, "link", "add", bridge, "type", "bridge")
        self.sh("ip", "-n", ns, "addr", "add", bridge_addr, "dev", bridge)
        self.sh("ip", "-n", ns, "link", "set", bridge, "up")

    def routed_link(self, router, ns, dev, net, addrs):
        """A /24 link between the router (dev, net.1) and namespace ns (eth0, addrs), both ends up. Offloads
        and routes in ns are the caller's."""
        self.sh("ip", "link", "add", dev, "netns", router, "type", "veth", "peer", "name", "eth0", "netns", ns)
        self.sh("ip", "-n", router, "addr", "add", net + ".1/24", "dev", dev)
        self.sh("ip", "-n", router, "link", "set", dev, "up")
        for a in addrs:
            self.sh("ip", "-n", ns, "addr", "add", a + "/24", "dev", "eth0")
        self.sh("ip", "-n", ns, "link", "set", "eth0", "up")

    def client_host(self, router, ns, dev, addrs, subnet, gateway, host, bridge="br-cli"):
        """A client host: namespace ns, its eth0 (addrs, "a.b.c.d/len") linked to dev on the router's bridge,
        offloads off, the host profile's stack, and routes (subnet, default via gateway) that carry the
        profile's MSS and initial window."""
        self.add_ns(ns)
        self.sh("ip", "link", "add", dev, "netns", router, "type", "veth", "peer", "name", "eth0", "netns", ns)
        self.sh("ip", "-n", router, "link", "set", dev, "master", bridge)
        self.sh("ip", "-n", router, "link", "set", dev, "up")
        for a in addrs:
            self.sh("ip", "-n", ns, "addr", "add", a, "dev", "eth0")
        self.sh("ip", "-n", ns, "link", "set", "eth0", "up")
        self.offloads_off(router, dev)
        self.offloads_off(ns, "eth0")
        self.host_stack(ns, host)
        # the subnet route carries advmss too, so every route the client uses does
        self.sh("ip", "-n", ns, "route", "replace", subnet, "dev", "eth0", "advmss", host["advmss"], "initcwnd",
                host["initcwnd"])
        self.sh("ip", "-n", ns, "route", "add", "default", "via", gateway, "dev", "eth0", "advmss", host["advmss"],
                "initcwnd", host["initcwnd"])

    def impairment(self, router, cfg, iifs):
        """impair.py on the TUN cfg["tun"] in the router (configuration in WORK/impair.json, statistics in
        WORK/impair-stats.json), and policy routing that sends every packet arriving on one of iifs through it."""
        cpath = os.path.join(self.work, "impair.json")
        with open(cpath, "w") as f:
            json.dump(cfg, f, indent=1)
        ready = os.path.join(self.work, "impair.ready")
        self.spawn("impair", router, [PY, IMPAIR, "--config", cpath, "--stats",
                                      os.path.join(self.work, "impair-stats.json"), "--ready", ready])
        self.wait_for(lambda: os.path.exists(ready), 10, "impair.py TUN")
        tun = cfg["tun"]
        self.sh("ip", "-n", router, "link", "set", tun, "up")
        self.sysctl(router, [("net.ipv4.conf.%s.rp_filter" % tun, 0)])
        self.sh("ip", "-n", router, "route", "add", "default", "dev", tun, "table", IMPAIR_TABLE)
        for pref, dev in enumerate(iifs, 100):
            self.sh("ip", "-n", router, "rule", "add", "pref", pref, "iif", dev, "lookup", IMPAIR_TABLE)


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
        # only a process that still lives in one of this run's namespaces (a pid may have been reused)
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


def _interrupt(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


class Guard:
    """`with Guard(prog, teardown) as g:` around a run's live part. From its start SIGTERM raises
    KeyboardInterrupt, as Ctrl-C does. An interruption in the block is reported and sets g.rc to 130, any
    other exception is reported and sets it to 1 (both are then swallowed); teardown() runs in every case,
    also on an exception the guard lets through."""

    def __init__(self, prog, teardown):
        self.prog, self.teardown, self.rc = prog, teardown, 0

    def __enter__(self):
        signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, etype, e, _tb):
        try:
            if etype is not None and issubclass(etype, KeyboardInterrupt):
                print("%s: interrupted (%s), cleaning up" % (self.prog, e), file=sys.stderr)
                self.rc = 130
            elif etype is not None and issubclass(etype, Exception):
                print("%s: FAILED: %s" % (self.prog, e), file=sys.stderr)
                self.rc = 1
        finally:
            self.teardown()
        return etype is None or issubclass(etype, (KeyboardInterrupt, Exception))
