#!/usr/bin/python3
"""DoH lab orchestrator: plan (from a seed), set up namespaces, run, capture, label, clean up.

  lab.py plan    --seed N [--duration S] [--per-scenario K] [--browser] --out plan.json   (no root needed)
  lab.py run     --seed N --out DIR [--duration S] [--per-scenario K] [--link eth|sll] [--keep-work]
  lab.py cleanup --work WORKDIR        (kills the processes and deletes the namespaces a run recorded)
  lab.py labels  --plan plan.json --pcap doh.pcap --out labels.csv

See README.md in this directory. Only Python's standard library plus the Debian tools in packages.txt.
"""
import csv
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # test/lab: common/
from common.hosts import draw_host as pool_host, lognorm  # noqa: E402
from common import cli  # noqa: E402
from common.netns import PY, Guard, NetnsRun, leftover_namespaces  # noqa: E402
from common.pcap import read_pcap  # noqa: E402
from common.results import copy_outputs, tool_versions  # noqa: E402

PLAN_VERSION = 2

NET_CLIENTS = "10.99.1"   # /24 behind the router's client bridge
NET_RES = "10.99.2"       # router .1, resolver .2
NET_AUTH = "10.99.3"      # router .1, nsd .2, iodined .3, dns2tcpd .4, web .10-.17
RESOLVER = NET_RES + ".2"
SNI = "doh.lab.test"
NS_ROUTER, NS_RES, NS_AUTH = "fdxlab-router", "fdxlab-resolver", "fdxlab-auth"
TUN = "fdximp0"
WEB_IPS = ["%s.%d" % (NET_AUTH, i) for i in range(10, 18)]
IODINE_NET = "10.98.0.1/27"

BENIGN = ["kdig", "curl", "h2", "stub-dnsdist", "stub-pyfwd"]
MALICIOUS = ["iodine-dnsdist", "iodine-pyfwd", "dns2tcp-dnsdist", "dns2tcp-pyfwd"]

WORDS = ("alpha amber apex arrow atlas aurora beacon birch blaze bloom bolt breeze bridge brook canyon cedar "
         "cipher citrus cloud cobalt comet coral crest crystal dawn delta drift dune echo ember falcon fern "
         "flint forge frost galaxy garnet glacier grove harbor hazel horizon indigo iris ivory jade jasper "
         "juniper kestrel lagoon lantern lark lemon lotus lunar maple marble meadow mesa mint mosaic nebula "
         "nimbus north oak oasis onyx orbit orchid pearl pebble pine pixel plume polar prism quartz quill "
         "raven reef ridge river robin ruby sable sage shore sierra silver slate solar spark spruce summit "
         "swift tango thistle tide timber topaz trail tulip tundra umber vale vapor velvet vertex violet "
         "willow wind zenith zephyr news shop travel media games sport cloud data bank mail maps video "
         "music photo books wiki forum labs tech health food home style auto").split()
TLDS = ["com"] * 8 + ["net"] * 3 + ["org"] * 2 + ["io", "de", "co", "uk", "info", "app", "dev"]
SUBHOSTS = ["www", "static", "cdn", "img", "api", "assets", "media", "fonts", "js", "css", "m", "login",
            "account", "search", "video", "images", "s1", "s2", "edge", "files"]
THIRD = ["analytics", "metrics", "ads", "adservice", "tag", "pixel", "fonts", "cdnjs", "widgets", "consent",
         "telemetry", "push", "sync", "gstatic", "player"]
COMMANDS = ["id", "whoami", "hostname", "uname -a", "pwd", "ls", "ls -la", "ls -la /home", "ls -la /root",
            "cat /etc/passwd", "cat /etc/hosts", "ps aux", "netstat -tnlp", "ss -tnp", "ip addr", "df -h",
            "w", "last -n 20", "cat ~/.bash_history", "find / -name '*.conf' 2>/dev/null | head -50",
            "ls -la /var/www", "cat /var/www/html/config.php", "crontab -l", "env", "sudo -l",
            "tail -n 100 /var/log/auth.log", "cat ~/.ssh/known_hosts", "ls ~/.ssh", "mount", "free -m"]


# ----------------------------------------------------------------------------------------------------- plan ---

def draw_host(r):
    """TCP/IP host properties; one distribution for every client, whatever its class."""
    rmem_def = r.choice([65536, 87380, 131072, 131072, 262144, 524288])  # drawn first (plans of version 2)
    return pool_host(r, rmem_def, [1048576, 4194304, 6291456, 16777216])


def draw_dir(r, delay):
    return {"delay_ms": round(delay, 2),
            "jitter_ms": round(delay * r.uniform(0.0, 0.3), 2),
            "loss": 0.0 if r.random() < 0.5 else round(r.uniform(0.0005, 0.02), 4),
            "loss_burst": round(r.uniform(0.0, 0.3), 3),
            "queue_ms": r.choice([30, 50, 80, 120, 200])}


def draw_link(r):
    """Access link between a client and the resolver: one-way delays, jitter, loss, rates, queue."""
    up_delay = lognorm(r, 12.0, 0.9, 0.5, 150.0)
    down_delay = up_delay * r.uniform(0.8, 1.25)
    rate = r.choice([2000, 5000, 10000, 20000, 50000, 100000])
    up, down = draw_dir(r, up_delay), draw_dir(r, down_delay)
    down["rate_kbit"] = rate
    up["rate_kbit"] = int(rate * r.choice([0.1, 0.25, 0.5, 1.0]))
    return {"up": up, "down": down, "seed": r.getrandbits(32)}


def draw_doh_policy(r):
    """Connection behaviour of an in-process DoH client (agent h2 and pyfwd): same distribution in both
    classes. `streams`/`max_queries` (a pool of connections with a per-connection limit, short-lived
    connections) are used by pyfwd only; the h2 agent is a browser and multiplexes one connection."""
    pol = {"method": r.choice(["POST", "POST", "GET"]),
           "pad": r.choice([True, True, False]),
           "zero_id": r.choice([True, True, False]),
           "idle_close": r.choice([0, 0, 10, 20, 30, 60]),
           "max_age": r.choice([0, 0, 0, 15, 30, 60, 120]),
           "udp_size": r.choice([1232, 1232, 4096, 512]),
           "timeout": 5.0}
    pol["streams"] = r.choice([0, 0, 1, 1, 2])
    pol["max_queries"] = r.choice([0, 0, 3, 8, 20])
    if pol["streams"]:
        # a pool closes the connections it no longer needs, as HTTP libraries do with idle keep-alives
        pol["idle_close"] = r.choice([0.5, 1, 2, 5, 15, 30])
    return pol


def draw_dnsdist_policy(r):
    # check_interval 0: health checks off (the backend forced up with setUp(), the 1.7 way)
    return {"check_interval": r.choice([0, 1, 1, 5, 10, 30]),
            "max_idle": r.choice([10, 30, 60, 300])}


def make_zone(r):
    sites = []
    used = set()
    while len(sites) < 60:
        a, b = r.choice(WORDS), r.choice(WORDS)
        u = r.random()
        base = "%s%s" % (a, b) if u < 0.6 else "%s-%s" % (a, b) if u < 0.8 else a
        dom = "%s.%s" % (base, r.choice(TLDS))
        if dom in used:
            continue
        used.add(dom)
        hosts = ["www"] + r.sample(SUBHOSTS[1:], r.randint(2, 7))
        sites.append({"domain": dom, "hosts": hosts})
    third = []
    for t in THIRD:
        dom = "%s-%s.%s" % (t, r.choice(WORDS), r.choice(["com", "net", "io"]))
        third.append({"domain": dom, "hosts": r.sample(["www", "cdn", "s", "api", "static", "edge", "js"],
                                                       r.randint(1, 3))})
    cdns = ["%s-edge.net" % r.choice(WORDS), "%scdn.com" % r.choice(WORDS), "%s-cloud.net" % r.choice(WORDS)]
    records = []  # (name, type, ttl, rdata)
    for s in sites + third:
        for h in s["hosts"]:
            name = "%s.%s." % (h, s["domain"]) if h else s["domain"] + "."
            ttl = r.choice([60, 300, 300, 600, 1800, 3600, 86400])
            if r.random() < 0.35:
                target = "%s-%s.%s." % (h, s["domain"].replace(".", "-"), r.choice(cdns))
                records.append((name, "CNAME", ttl, target))
                name, ttl = target, r.choice([20, 60, 300])
            for ip in r.sample(WEB_IPS, r.randint(1, 4)):
                records.append((name, "A", ttl, ip))
            for _ in range(r.choice([0, 1, 1, 2])):
                records.append((name, "AAAA", ttl, "fd99:3::%x" % r.randint(16, 0xffff)))
            if r.random() < 0.2:
                records.append((name, "HTTPS", ttl, '1 . alpn="h2"'))
        records.append((s["domain"] + ".", "A", 3600, r.choice(WEB_IPS)))
        if r.random() < 0.3:
            records.append((s["domain"] + ".", "TXT", 3600, '"v=spf1 include:_spf.%s ~all"' % s["domain"]))
    bg = ["time.%s.org" % r.choice(WORDS), "update.%s.com" % r.choice(WORDS),
          "connectivity-check.%s.net" % r.choice(WORDS), "mail.%s.com" % r.choice(WORDS),
          "push.%s.io" % r.choice(WORDS), "api.%s.com" % r.choice(WORDS)]
    for n in bg:
        records.append((n + ".", "A", r.choice([60, 300]), r.choice(WEB_IPS)))
    tun = {"iodine": "%s.%s.%s" % (r.choice(["t", "d", "ns", "x", "cdn"]), r.choice(WORDS), r.choice(TLDS)),
           "dns2tcp": "%s.%s.%s" % (r.choice(["t", "d", "a", "r", "img"]), r.choice(WORDS), r.choice(TLDS))}
    while tun["dns2tcp"] == tun["iodine"]:
        tun["dns2tcp"] = "r%s" % tun["dns2tcp"]
    return {"sites": sites, "third": third, "bg": bg, "records": records, "tunnel_domains": tun}


def page_names(r, zone, site):
    subs = [("%s.%s" % (h, site["domain"])) for h in r.sample(site["hosts"], min(len(site["hosts"]),
                                                                             r.randint(1, 4)))]
    for t in r.sample(zone["third"], r.randint(0, 6)):
        subs.append("%s.%s" % (r.choice(t["hosts"]), t["domain"]))
    r.shuffle(subs)
    return subs


def benign_events(r, zone, tool, length):
    """Page loads (a main name, then a burst of sub-resource names), idle gaps, background lookups."""
    https_rr = tool in ("h2",) and r.random() < 0.6
    main_q = ["A", "AAAA", "HTTPS"] if https_rr else ["A", "AAAA"]
    sub_q = ["A", "AAAA", "HTTPS"] if (https_rr and r.random() < 0.5) else ["A", "AAAA"]
    fav = r.sample(zone["sites"], 8)
    events = []
    t = r.uniform(0.5, 3.0)
    think_median = r.choice([3.0, 6.0, 10.0, 20.0])
    while t < length:
        site = r.choice(fav) if r.random() < 0.6 else r.choice(zone["sites"])
        subs = page_names(r, zone, site)
        if tool in ("kdig", "curl"):
            subs = subs[:r.randint(0, min(6, len(subs)))]
        ev = {"t": round(t, 3), "kind": "page", "main": "www." + site["domain"], "subs": subs,
              "fetch_ms": int(lognorm(r, 120, 0.7, 15, 1500)),
              "stagger_ms": sorted(int(r.uniform(0, 400)) for _ in subs),
              "main_qtypes": main_q, "sub_qtypes": sub_q}
        if tool == "curl":
            ev["paths"] = ["%s.%s" % (r.choice(["app", "main", "style", "logo", "font", "bundle"]),
                                      r.choice(["js", "css", "png", "woff2"])) for _ in subs]
        events.append(ev)
        # follow-up navigation on the same site sometimes comes quickly (clicks), otherwise think time
        t += lognorm(r, think_median, 1.0, 0.3, 90.0)
        if r.random() < 0.12:
            names = [[r.choice(zone["bg"]), "A"]]
            if r.random() < 0.5:  # NXDOMAIN: typo or random probe
                names.append(["%s.%s" % ("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in
                                                   range(r.randint(7, 15))), r.choice(["lan", "home", "com"])),
                              "A"])
            events.append({"t": round(t - r.uniform(0, 1.0), 3), "kind": "bg", "names": names})
    events.sort(key=lambda e: e["t"])
    return events


def c2_ops(r, workload):
    ops = []
    think_median = r.choice([2.0, 4.0, 8.0])
    for _ in range(200):
        if workload == "bulk" or (workload == "mixed" and r.random() < 0.15):
            n = int(lognorm(r, 60000, 0.8, 4000, 400000))
            ops.append({"op": r.choice(["get", "put", "put"]), "n": n, "seed": r.getrandbits(32),
                        "think": round(lognorm(r, 5.0, 0.8, 0.5, 30.0), 3)})
        else:
            cmd = r.choice(COMMANDS)
            ops.append({"op": "cmd", "text": cmd, "reply": int(lognorm(r, 400, 1.2, 8, 30000)),
                        "think": round(lognorm(r, think_median, 0.9, 0.3, 45.0), 3)})
    return ops


def make_plan(seed, duration, per_scenario=1, browser=False):
    """Everything random in a run comes from here. Independent streams (zone, slots, each client's properties,
    each client's schedule) so that changing --duration changes only the schedules' lengths."""
    def rng(*what):
        return random.Random("fdxlab-doh|%d|%s" % (seed, "|".join(str(w) for w in what)))

    r = rng("run")
    zone = make_zone(rng("zone"))
    plan = {"plan_version": PLAN_VERSION, "seed": seed, "duration": duration, "per_scenario": per_scenario,
            "addresses": {"resolver": RESOLVER, "clients": NET_CLIENTS + ".0/24", "auth_nsd": NET_AUTH + ".2",
                          "iodined": NET_AUTH + ".3", "dns2tcpd": NET_AUTH + ".4", "web": WEB_IPS},
            # QNAME minimisation off: with it, unbound 1.17 asks the tunnel servers for the full name with
            # type A, iodined answers with a CNAME and the tunnels never come up (tried, see README).
            "resolver": {"tcp_idle_timeout_ms": r.choice([10000, 30000, 30000, 60000]),
                         "qname_minimisation": False,
                         # What the server's TLS handshake weighs and how its writes reach the capture
                         # vary from run to run (the same for both classes within a run): public DoH
                         # servers send RSA or ECDSA certificates with 0-2 intermediates (1-5 KB), and a
                         # capture on the server itself sees its TSO/GSO writes as packets up to 64 KB.
                         "pki": {"key": r.choice(["ec256", "rsa2048", "rsa2048", "rsa4096"]),
                                 "intermediates": r.choice([0, 1, 1, 2])},
                         "offload": r.choice([False, True])},
            "upstream_link": {"up": draw_dir(r, lognorm(r, 15.0, 0.6, 2.0, 60.0)),
                              "down": draw_dir(r, lognorm(r, 15.0, 0.6, 2.0, 60.0)), "seed": r.getrandbits(32)},
            "zone": zone,
            "tunnel": {"iodine_password": "".join(r.choice("abcdefghijkmnpqrstuvwxyz23456789")
                                                  for _ in range(16))}}
    for d in ("up", "down"):
        plan["upstream_link"][d]["loss"] = 0.0
    scen = [(s, "benign") for s in BENIGN + (["firefox"] if browser else [])] + [(s, "malicious")
                                                                                 for s in MALICIOUS]
    # Clients come in groups ("sites"): each group has one client of every scenario, and all clients of a
    # group share one host profile and one link profile. Host and link properties are then independent of
    # the class at the level of flows too (within a group both classes come from the same stack and link,
    # in the same scenario mix), not only at the level of clients. --per-scenario K makes K groups.
    slots = [(sc, lb, g) for g in range(per_scenario) for sc, lb in scen]
    rs = rng("slots")
    rs.shuffle(slots)  # client numbers and addresses say nothing about the class
    # every tunnel tool carries both an interactive-ish and a bulk workload in each run
    workloads = {}
    for tool in ("iodine", "dns2tcp"):
        idx = [i for i, (sc, _, _) in enumerate(slots) if sc.startswith(tool + "-")]
        wl = [("bulk" if k % 2 else rs.choice(["interactive", "interactive", "mixed"])) for k in range(len(idx))]
        rs.shuffle(wl)
        workloads.update(zip(idx, wl))
    rp = rng("profiles")
    profiles = [(draw_host(rp), draw_link(rp)) for _ in range(per_scenario)]
    # The proxies' configuration is a site standard for each group: every dnsdist of a group shares one
    # configuration and every pyfwd one policy, so benign stubs and tunnels behind the same proxy behave alike.
    rpx = rng("proxies")
    sites = [{"dnsdist": draw_dnsdist_policy(rpx), "pyfwd": draw_doh_policy(rpx)} for _ in range(per_scenario)]
    plan["proxies"] = sites
    clients = []
    for i, (scenario, label, group) in enumerate(slots):
        host, link = profiles[group]
        link = dict(link, seed=rng("link", i).getrandbits(32))  # same parameters, own loss sequence
        rc, re_ = rng("client", i), rng("schedule", i)
        start = round(rc.uniform(0.0, 0.1) * duration, 3)
        end = round(duration - rc.uniform(0.0, 0.1) * duration, 3)
        cl = {"name": "fdxlab-client-%d" % i, "index": i, "addr": "%s.%d" % (NET_CLIENTS, 10 + i),
              "scenario": scenario, "label": label, "group": group, "start": start, "end": end,
              "host": host, "link": link, "seed": rc.getrandbits(32),
              "policy": draw_doh_policy(rc)}
        tool, _, proxy = scenario.partition("-")
        if label == "benign":
            cl["tool"], cl["proxy"] = ("stub", proxy) if tool == "stub" else (tool, "")
            # (firefox: only the page events are used, chained by the web server)
            cl["events"] = benign_events(re_, zone, cl["tool"], end - start)
        else:
            cl["tool"], cl["proxy"] = tool, proxy
            cl["workload"] = workloads[i]
            cl["ops"] = c2_ops(re_, cl["workload"])
            if tool == "iodine":
                cl["tunnel"] = {"type": rc.choice(["NULL", "PRIVATE", "TXT", "TXT", "MX", "CNAME"]),
                                "lazy": rc.choice([1, 1, 0]), "interval": rc.choice([1, 1, 2]),
                                "max_hostname": rc.choice([255, 255, 200, 150])}
            else:
                cl["tunnel"] = {"type": rc.choice(["TXT", "TXT", "KEY"]), "compression": rc.choice([0, 1])}
        if cl["proxy"] == "dnsdist":
            cl["dnsdist"] = dict(sites[group]["dnsdist"])
        elif cl["proxy"] == "pyfwd":
            cl["policy"] = dict(sites[group]["pyfwd"])
        clients.append(cl)
    plan["clients"] = clients
    return plan


def plan_json(plan):
    return json.dumps(plan, indent=1, sort_keys=True) + "\n"


# ---------------------------------------------------------------------------------------------- processes ---

class Lab(NetnsRun):
    def __init__(self, work, out, plan, link="eth", verbose=True):
        super().__init__(work, "lab", verbose)
        self.out, self.plan, self.link = out, plan, link

    # ------------------------------------------------------------------------------------------- setup ---
    def setup_network(self):
        p = self.plan
        for ns in (NS_ROUTER, NS_RES, NS_AUTH):
            self.add_ns(ns)
        R = NS_ROUTER
        self.router(R, NET_CLIENTS + ".1/24")
        for ns, dev, net, addrs in ((NS_RES, "r-res", NET_RES, [RESOLVER]),
                                    (NS_AUTH, "r-auth", NET_AUTH,
                                     [NET_AUTH + ".2", NET_AUTH + ".3", NET_AUTH + ".4"] + WEB_IPS)):
            self.routed_link(R, ns, dev, net, addrs)
            self.sh("ip", "-n", ns, "route", "add", "default", "via", net + ".1")
            self.offloads_off(R, dev)
            # the resolver's own TSO/GSO (plan: resolver.offload): its capture then shows its large
            # writes as single packets, as a capture on a real server does
            self.offloads_off(ns, "eth0", on=ns == NS_RES and p["resolver"].get("offload", False))
        for cl in p["clients"]:
            self.client_host(R, cl["name"], "c%d" % cl["index"], [cl["addr"] + "/24"], NET_CLIENTS + ".0/24",
                             NET_CLIENTS + ".1", cl["host"])
        # impairment: every packet forwarded by the router goes through the TUN program
        cfg = {"tun": TUN, "links": [dict(name=c["name"], addr=c["addr"], **c["link"]) for c in p["clients"]],
               "default": dict(name="upstream", **p["upstream_link"]), "default_up_src": [RESOLVER]}
        self.impairment(R, cfg, ["br-cli", "r-res", "r-auth"])

    # ----------------------------------------------------------------------------------------- servers ---
    def make_pki(self):
        """Test CA (root), 0-2 intermediates and the DoH server's certificate, with the plan's key type.
        The server sends its certificate and the intermediates; clients trust the root (ca.pem)."""
        w = self.work
        o = lambda *a: self.sh("openssl", *a)  # noqa: E731
        pki = self.plan["resolver"].get("pki", {"key": "ec256", "intermediates": 0})
        key = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if pki["key"] == "ec256" else
               ["-newkey", "rsa:" + pki["key"][3:]])
        o("req", "-x509", *key, "-nodes", "-keyout", w + "/ca.key", "-out", w + "/ca.pem", "-days", "7",
          "-subj", "/CN=fdxlab DoH test CA")
        with open(w + "/ca-ext.cnf", "w") as f:
            f.write("basicConstraints=critical,CA:TRUE,pathlen:2\nkeyUsage=critical,keyCertSign,cRLSign\n")
        issuer, chain = "ca", []
        for i in range(pki["intermediates"]):
            name = "int%d" % i
            o("req", *key, "-nodes", "-keyout", "%s/%s.key" % (w, name), "-out", "%s/%s.csr" % (w, name),
              "-subj", "/CN=fdxlab DoH intermediate %d" % i)
            o("x509", "-req", "-in", "%s/%s.csr" % (w, name), "-CA", "%s/%s.pem" % (w, issuer), "-CAkey",
              "%s/%s.key" % (w, issuer), "-CAcreateserial", "-out", "%s/%s.pem" % (w, name), "-days", "7",
              "-extfile", w + "/ca-ext.cnf")
            chain.insert(0, "%s/%s.pem" % (w, name))
            issuer = name
        o("req", *key, "-nodes", "-keyout", w + "/doh.key", "-out", w + "/doh.csr", "-subj", "/CN=" + SNI)
        with open(w + "/ext.cnf", "w") as f:
            f.write("subjectAltName=DNS:%s,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    % (SNI, RESOLVER))
        o("x509", "-req", "-in", w + "/doh.csr", "-CA", "%s/%s.pem" % (w, issuer), "-CAkey",
          "%s/%s.key" % (w, issuer), "-CAcreateserial", "-out", w + "/doh-leaf.pem", "-days", "7",
          "-extfile", w + "/ext.cnf")
        with open(w + "/doh.pem", "w") as f:  # leaf first, then the intermediates towards the root
            for part in [w + "/doh-leaf.pem"] + chain:
                f.write(open(part).read())
        # web servers: P-256 straight from the root (they are not what the detector looks at)
        # the lab web servers also speak HTTPS (Firefox upgrades to it: HTTPS-First and HTTPS records)
        z = self.plan["zone"]
        doms = sorted({s["domain"] for s in z["sites"] + z["third"]} | {b.split(".", 1)[1] for b in z["bg"]})
        san = ",".join("DNS:%s,DNS:*.%s" % (d, d) for d in doms)
        o("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", w + "/web.key",
          "-out", w + "/web.csr", "-subj", "/CN=lab web")
        with open(w + "/web-ext.cnf", "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
        o("x509", "-req", "-in", w + "/web.csr", "-CA", w + "/ca.pem", "-CAkey", w + "/ca.key",
          "-CAcreateserial", "-out", w + "/web.pem", "-days", "7", "-extfile", w + "/web-ext.cnf")

    def write_zone(self):
        z = self.plan["zone"]
        d = os.path.join(self.work, "nsd")
        os.makedirs(d, exist_ok=True)
        lines = ["$TTL 3600", ". IN SOA a.root-servers.lab. hostmaster.lab. 1 3600 600 86400 300",
                 ". IN NS a.root-servers.lab.", "a.root-servers.lab. IN A %s.2" % NET_AUTH]
        for name, typ, ttl, rdata in z["records"]:
            lines.append("%s %d IN %s %s" % (name, ttl, typ, rdata))
        for kind, ip in (("iodine", NET_AUTH + ".3"), ("dns2tcp", NET_AUTH + ".4")):
            dom = z["tunnel_domains"][kind]
            lines.append("%s. 86400 IN NS ns.%s." % (dom, dom))
            lines.append("ns.%s. 86400 IN A %s" % (dom, ip))
        with open(os.path.join(d, "root.zone"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write("""server:
  ip-address: {ip}
  port: 53
  username: ""
  chroot: ""
  zonesdir: "{d}"
  database: ""
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  pidfile: "{d}/nsd.pid"
  server-count: 1
  verbosity: 1
  hide-version: yes
  do-ip6: no
remote-control:
  control-enable: no
zone:
  name: "."
  zonefile: "root.zone"
""".format(ip=NET_AUTH + ".2", d=d))
        with open(os.path.join(self.work, "root.hints"), "w") as f:
            f.write(".  3600000 NS a.root-servers.lab.\na.root-servers.lab. 3600000 A %s.2\n" % NET_AUTH)

    def write_unbound(self):
        w, rv = self.work, self.plan["resolver"]
        with open(w + "/unbound.conf", "w") as f:
            f.write("""server:
  verbosity: 1
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "{w}"
  pidfile: "{w}/unbound.pid"
  num-threads: 1
  do-ip6: no
  interface: {res}@443
  interface: 127.0.0.1@53
  https-port: 443
  tls-service-key: "{w}/doh.key"
  tls-service-pem: "{w}/doh.pem"
  http-endpoint: "/dns-query"
  http-max-streams: 100
  incoming-num-tcp: 256
  tcp-idle-timeout: {idle}
  outgoing-interface: {res}
  access-control: 10.99.0.0/16 allow
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  root-hints: "{w}/root.hints"
  qname-minimisation: {qm}
  do-not-query-localhost: no
  harden-referral-path: no
  prefetch: no
  infra-keep-probing: yes
  minimal-responses: yes
  trust-anchor-signaling: no
  root-key-sentinel: no
remote-control:
  control-enable: no
""".format(w=w, res=RESOLVER, idle=rv["tcp_idle_timeout_ms"],
           qm="yes" if rv["qname_minimisation"] else "no"))

    def start_servers(self):
        p, w = self.plan, self.work
        self.make_pki()
        self.write_zone()
        self.write_unbound()
        self.spawn("nsd", NS_AUTH, ["nsd", "-d", "-c", os.path.join(w, "nsd", "nsd.conf")])
        self.spawn("c2-server", NS_AUTH, [PY, os.path.join(HERE, "c2.py"), "server", "--listen", "0.0.0.0:7001"])
        self.spawn("web", NS_AUTH, [PY, os.path.join(HERE, "websrv.py"), "--port", "80", "--plan",
                                    os.path.join(w, "plan.json"), "--tls-port", "443", "--cert",
                                    os.path.join(w, "web.pem"), "--key", os.path.join(w, "web.key")])
        tdom = p["zone"]["tunnel_domains"]
        self.spawn("iodined", NS_AUTH, ["iodined", "-f", "-c", "-P", p["tunnel"]["iodine_password"], "-l",
                                        NET_AUTH + ".3", "-p", "53", "-n", NET_AUTH + ".3", "-d", "dns0",
                                        IODINE_NET, tdom["iodine"]])
        chroot = os.path.join(w, "d2t-chroot")
        os.makedirs(chroot, exist_ok=True)
        with open(os.path.join(w, "dns2tcpd.conf"), "w") as f:
            f.write("listen = %s.4\nport = 53\nuser = nobody\nchroot = %s\ndomain = %s\nresources = c2:%s:7001\n"
                    % (NET_AUTH, chroot, tdom["dns2tcp"], "127.0.0.1"))
        # nice: dns2tcpd 0.5.2 busy-loops (100 % of a core) after a session is deleted; keep it off the others
        self.spawn("dns2tcpd", NS_AUTH, ["nice", "-n", "10", "dns2tcpd", "-F", "-d", "1", "-f", os.path.join(w, "dns2tcpd.conf")])
        self.spawn("unbound", NS_RES, ["unbound", "-d", "-c", os.path.join(w, "unbound.conf")])

        def resolver_ok():
            r = self.sh("kdig", "@127.0.0.1", "+timeout=1", "+retry=0", "a.root-servers.lab", "A", ns=NS_RES,
                        check=False)
            return r.returncode == 0 and b"NOERROR" in r.stdout

        self.wait_for(resolver_ok, 20, "unbound + nsd")
        self.wait_for(lambda: self.sh("ss", "-Htln", "sport = :443", ns=NS_RES, check=False).stdout.strip() != b"",
                      10, "unbound DoH listener")

    def start_capture(self):
        iface = "eth0" if self.link == "eth" else "any"
        self.pcap = os.path.join(self.out, "doh.pcap")
        link = [] if self.link == "eth" else ["-y", "LINUX_SLL"]  # SLL v1 (16 octets), as in Korving's pcaps
        self.tcpdump = self.spawn("tcpdump-doh", NS_RES, ["tcpdump", "-i", iface] + link +
                                  ["-n", "-s", "0", "-U", "-w", self.pcap, "tcp port 443"])
        self.tcpdump_up = self.spawn("tcpdump-upstream", NS_RES, ["tcpdump", "-i", "eth0", "-n", "-s", "0",
                                                                  "-w", os.path.join(self.out, "upstream-dns.pcap"),
                                                                  "udp port 53"])
        log = os.path.join(self.work, "logs", "tcpdump-doh.log")
        self.wait_for(lambda: b"listening on" in open(log, "rb").read(), 10, "tcpdump")

    # ----------------------------------------------------------------------------------------- clients ---
    def write_dnsdist(self, cl):
        d = cl["dnsdist"]
        path = os.path.join(self.work, "%s-dnsdist.conf" % cl["name"])
        with open(path, "w") as f:
            f.write("""setSecurityPollSuffix("")
setLocal("127.0.0.1:53")
setDoHDownstreamMaxIdleTime({idle})
newServer({{address="{res}:443", tls="openssl", subjectName="{sni}", dohPath="/dns-query",
  caStore="{ca}", validateCertificates=true, checkInterval={ci}, checkTimeout=2000, maxCheckFailures=3}})
{up}""".format(idle=d["max_idle"], res=RESOLVER, sni=SNI, ca=os.path.join(self.work, "ca.pem"),
               ci=d["check_interval"] or 1, up="getServer(0):setUp()\n" if not d["check_interval"] else ""))
        return path

    def start_firefox(self, cl):
        """Headless Firefox ESR with its own profile: TRR (DoH) only, to the lab resolver, trusting the lab CA;
        it walks the client's pages, chained by meta refresh from the lab web server."""
        home = os.path.join(self.work, cl["name"] + "-ffhome")
        prof = os.path.join(home, "profile")
        os.makedirs(prof, exist_ok=True)
        uri = "https://%s/dns-query" % RESOLVER
        prefs = {"network.trr.mode": 3, "network.trr.uri": uri, "network.trr.custom_uri": uri,
                 "network.trr.confirmationNS": "skip", "network.trr.allow-rfc1918": True,
                 "network.trr.useGET": cl["policy"]["method"] == "GET",
                 "browser.shell.checkDefaultBrowser": False, "browser.startup.homepage_override.mstone": "ignore",
                 "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
                 "toolkit.telemetry.reportingpolicy.firstRun": False, "browser.aboutwelcome.enabled": False,
                 "browser.meta_refresh_when_inactive.disabled": False, "accessibility.blockautorefresh": False}
        with open(os.path.join(prof, "user.js"), "w") as f:
            for k, v in prefs.items():
                f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))
        self.sh("certutil", "-N", "-d", "sql:" + prof, "--empty-password")
        self.sh("certutil", "-A", "-d", "sql:" + prof, "-n", "fdxlab-doh-ca", "-t", "C,,", "-i",
                os.path.join(self.work, "ca.pem"))
        pages = [e for e in cl["events"] if e["kind"] == "page"]
        env = dict(os.environ, HOME=home, MOZ_HEADLESS="1", XDG_RUNTIME_DIR=home,
                   MOZ_CRASHREPORTER_DISABLE="1")
        env.pop("DISPLAY", None)
        return self.spawn(cl["name"] + "-firefox", cl["name"],
                          ["firefox-esr", "--headless", "--no-remote", "--profile", prof,
                           "http://%s/fx/%s/0" % (pages[0]["main"], cl["name"])], env=env)

    def start_client(self, cl, deadline):
        ns, name, w = cl["name"], cl["name"], self.work
        ca = os.path.join(w, "ca.pem")
        procs = []
        if cl["proxy"] == "dnsdist":
            procs.append(self.spawn(name + "-dnsdist", ns, ["dnsdist", "--supervised", "--disable-syslog", "-C",
                                                            self.write_dnsdist(cl)]))
        elif cl["proxy"] == "pyfwd":
            procs.append(self.spawn(name + "-pyfwd", ns, [PY, os.path.join(HERE, "dohlib.py"), "fwd", "--server",
                                                          RESOLVER, "--cafile", ca, "--policy",
                                                          json.dumps(cl["policy"]), "--log",
                                                          os.path.join(w, "logs", name + "-pyfwd.jsonl"),
                                                          "--deadline", deadline + 5]))
        if cl["proxy"]:
            self.wait_for(lambda: self.sh("ss", "-Huln", "sport = :53", ns=ns, check=False).stdout.strip() != b"",
                          10, name + " proxy")
        if cl["tool"] == "firefox":
            procs.append(self.start_firefox(cl))
            return procs
        if cl["label"] == "benign":
            procs.append(self.spawn(name + "-agent", ns, [PY, os.path.join(HERE, "agent.py"), "--plan",
                                                          os.path.join(w, "plan.json"), "--client", name,
                                                          "--server", RESOLVER, "--cafile", ca, "--deadline",
                                                          deadline, "--log",
                                                          os.path.join(w, "logs", name + "-agent.jsonl")]))
            return procs
        t, tdom = cl["tunnel"], self.plan["zone"]["tunnel_domains"]
        if cl["tool"] == "iodine":
            args = ["iodine", "-f", "-r", "-P", self.plan["tunnel"]["iodine_password"], "-d", "dns0",
                    "-T", t["type"], "-L", t["lazy"], "-I", t["interval"], "-M", t["max_hostname"],
                    "127.0.0.1", tdom["iodine"]]
            target = IODINE_NET.split("/")[0] + ":7001"
        else:
            args = ["dns2tcpc", "-z", tdom["dns2tcp"], "-r", "c2", "-l", "8001", "-T", t["type"]]
            if t["compression"]:
                args.append("-c")
            args.append("127.0.0.1")
            target = "127.0.0.1:8001"
        procs.append(self.spawn(name + "-" + cl["tool"], ns, args))
        sched = os.path.join(w, name + "-ops.json")
        json.dump({"ops": cl["ops"]}, open(sched, "w"))
        procs.append(self.spawn(name + "-c2", ns, [PY, os.path.join(HERE, "c2.py"), "client", "--target", target,
                                                   "--schedule", sched, "--deadline", deadline, "--log",
                                                   os.path.join(w, "logs", name + "-c2.jsonl")]))
        return procs

    def run_clients(self):
        plan = self.plan
        t0 = time.time()
        timeline = []
        for cl in plan["clients"]:
            timeline.append((cl["start"], 0, cl))
            timeline.append((cl["end"], 1, cl))
        timeline.sort(key=lambda x: (x[0], x[1], x[2]["index"]))
        running = {}
        windows = {}
        for at, kind, cl in timeline:
            time.sleep(max(0.0, t0 + at - time.time()))
            if kind == 0:
                ts = time.time()
                running[cl["name"]] = self.start_client(cl, round(cl["end"] - cl["start"] - 1.0, 3))
                windows[cl["name"]] = [ts, None]
                self.say("start %s (%s, %s)" % (cl["name"], cl["label"], cl["scenario"]))
            else:
                procs = running.pop(cl["name"], [])
                for p in procs:  # the workload ends by its own deadline: give it a moment to log its stats
                    if p.args[-1].endswith(".jsonl"):
                        try:
                            p.wait(3.0)
                        except subprocess.TimeoutExpired:
                            pass
                for p in reversed(procs):
                    self.stop(p)
                windows[cl["name"]][1] = time.time()
                self.say("stop  %s" % cl["name"])
        time.sleep(max(0.0, t0 + plan["duration"] - time.time()))
        return windows


# ------------------------------------------------------------------------------------------------ labels ---

def connections(pcap, server_ip=RESOLVER, server_port=443):
    """TCP connections to server_ip:server_port in a capture: one record per connection (a SYN after the
    previous connection on the same 5-tuple ended starts a new one)."""
    conns, order = {}, []
    for ts, flen, ip in read_pcap(pcap):
        if len(ip) < 20 or ip[9] != 6:
            continue
        ihl = (ip[0] & 0x0F) * 4
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        flags = ip[ihl + 13]
        if dst == server_ip and dport == server_port:
            key, fwd = (src, sport), True
        elif src == server_ip and sport == server_port:
            key, fwd = (dst, dport), False
        else:
            continue
        c = conns.get(key)
        syn_only = (flags & 0x12) == 0x02
        if c is None or (syn_only and c["closed"]):
            c = {"client_ip": key[0], "client_port": key[1], "first_ts": ts, "last_ts": ts, "packets": 0,
                 "bytes": 0, "pkts_c2s": 0, "pkts_s2c": 0, "closed": False, "syn": syn_only, "ttl_seen": ip[8]
                 if fwd else None}
            conns[key] = c
            order.append(c)
        c["last_ts"] = ts
        c["packets"] += 1
        c["bytes"] += flen
        c["pkts_c2s" if fwd else "pkts_s2c"] += 1
        if fwd and c["ttl_seen"] is None:
            c["ttl_seen"] = ip[8]
        if flags & 0x05:  # FIN or RST
            c["closed"] = True
    return order


LABEL_FIELDS = ["src_ip", "src_port", "dst_ip", "dst_port", "proto", "first_ts", "last_ts", "packets", "bytes",
                "label", "scenario", "client", "tool", "proxy", "workload", "role", "syn_seen"]


def connection_role(cl, c):
    """'healthcheck' for the connections dnsdist 1.7 opens for one health-check query each (new connection,
    one query, closed at once: < 3 s, <= 40 packets), which are the same in both classes; 'traffic' for the
    rest. dnsdist's real queries share pooled connections that stay open for at least its idle time
    (>= 10 s here)."""
    if (cl and cl["proxy"] == "dnsdist" and cl["dnsdist"]["check_interval"]
            and c["last_ts"] - c["first_ts"] < 3.0 and c["packets"] <= 40):
        return "healthcheck"
    return "traffic"


def write_labels(plan, pcap, path):
    by_addr = {c["addr"]: c for c in plan["clients"]}
    rows = []
    for c in connections(pcap):
        cl = by_addr.get(c["client_ip"])
        rows.append({"src_ip": c["client_ip"], "src_port": c["client_port"], "dst_ip": RESOLVER, "dst_port": 443,
                     "proto": "tcp", "first_ts": "%.6f" % c["first_ts"], "last_ts": "%.6f" % c["last_ts"],
                     "packets": c["packets"], "bytes": c["bytes"],
                     "label": cl["label"] if cl else "unknown", "scenario": cl["scenario"] if cl else "",
                     "client": cl["name"] if cl else "", "tool": cl["tool"] if cl else "",
                     "proxy": cl["proxy"] if cl else "", "workload": cl.get("workload", "") if cl else "",
                     "role": connection_role(cl, c),
                     "syn_seen": int(c["syn"])})
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=LABEL_FIELDS)
        wr.writeheader()
        wr.writerows(rows)
    return rows


def summarize(plan, rows, work, out, windows):
    summ = {"per_class": {}, "per_class_role": {}, "per_scenario": {}, "clients": []}
    for r in rows:
        for key, grp in (("per_class", r["label"]), ("per_scenario", r["scenario"] or "unknown"),
                         ("per_class_role", "%s/%s" % (r["label"], r["role"]))):
            s = summ[key].setdefault(grp, {"connections": 0, "packets": 0, "bytes": 0})
            s["connections"] += 1
            s["packets"] += int(r["packets"])
            s["bytes"] += int(r["bytes"])
    for cl in plan["clients"]:
        ent = {"client": cl["name"], "addr": cl["addr"], "label": cl["label"], "scenario": cl["scenario"],
               "workload": cl.get("workload", ""), "window": windows.get(cl["name"])}
        conns = [r for r in rows if r["client"] == cl["name"]]
        ent["connections"] = len(conns)
        ent["packets"] = sum(int(r["packets"]) for r in conns)
        logs = os.path.join(work, "logs")
        if cl["label"] == "malicious":
            ops = [json.loads(x) for x in open(os.path.join(logs, cl["name"] + "-c2.jsonl"))] \
                if os.path.exists(os.path.join(logs, cl["name"] + "-c2.jsonl")) else []
            done = [o for o in ops if o.get("op") in ("cmd", "get", "put")]
            ent["tunnel_up"] = any(o.get("op") == "connect" and o.get("ok") for o in ops)
            ent["c2_ops_ok"] = sum(1 for o in done if o.get("ok"))
            ent["c2_ops_failed"] = sum(1 for o in done if not o.get("ok"))
            ent["c2_bytes"] = sum(o.get("bytes", 0) for o in done if o.get("ok"))
        elif cl["tool"] == "firefox":
            p = os.path.join(logs, "web.log")
            ent["agent"] = {"pages_loaded": sum(1 for x in open(p) if "/fx/%s/" % cl["name"] in x)
                            if os.path.exists(p) else 0,
                            "pages_planned": sum(1 for e in cl["events"] if e["kind"] == "page"
                                                 and e["t"] < cl["end"] - cl["start"])}
        else:
            p = os.path.join(logs, cl["name"] + "-agent.jsonl")
            st = [json.loads(x) for x in open(p)] if os.path.exists(p) else []
            st = [s for s in st if s.get("ev") == "stats"]
            ent["agent"] = st[-1] if st else None
        summ["clients"].append(ent)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summ, f, indent=1, sort_keys=True)
    return summ


def write_clients_csv(plan, windows, path):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["client", "addr", "label", "scenario", "tool", "proxy", "workload", "group", "start_ts", "end_ts",
                     "ttl", "tcp_timestamps", "tcp_sack", "tcp_window_scaling", "advmss", "tcp_rmem_default",
                     "rtt_ms", "loss_up", "loss_down", "rate_down_kbit"])
        for cl in plan["clients"]:
            w = windows.get(cl["name"], [None, None])
            h, ln = cl["host"], cl["link"]
            wr.writerow([cl["name"], cl["addr"], cl["label"], cl["scenario"], cl["tool"], cl["proxy"],
                         cl.get("workload", ""), cl["group"], "%.6f" % w[0] if w[0] else "",
                         "%.6f" % w[1] if w[1] else "",
                         h["ttl"], h["tcp_timestamps"], h["tcp_sack"], h["tcp_window_scaling"], h["advmss"],
                         h["tcp_rmem"][1], round(ln["up"]["delay_ms"] + ln["down"]["delay_ms"], 2),
                         ln["up"]["loss"], ln["down"]["loss"], ln["down"]["rate_kbit"]])


def run(a):
    if os.geteuid() != 0:
        print("lab.py run: must run as root (network namespaces, veth, TUN, tcpdump)", file=sys.stderr)
        return 2
    if leftover_namespaces("fdxlab-"):
        print("lab.py run: fdxlab-* namespaces already exist (another run, or a crashed one).\n"
              "  Remove them first, e.g.: lab.py cleanup --work <its work dir>, or ip netns del <name>",
              file=sys.stderr)
        return 3
    plan = make_plan(a.seed, a.duration, a.per_scenario, a.browser)
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    work = a.work or tempfile.mkdtemp(prefix="fdxlab-doh.")
    with open(os.path.join(out, "plan.json"), "w") as f:
        f.write(plan_json(plan))
    shutil.copy(os.path.join(out, "plan.json"), os.path.join(work, "plan.json"))
    with open(os.path.join(work, "OUT"), "w") as f:
        f.write(out)
    lab = Lab(work, out, plan, link=a.link)
    windows = {}
    with Guard("lab.py", lab.teardown) as guard:
        lab.say("work dir %s, out %s, seed %d, duration %ss, %d clients"
                % (work, out, a.seed, a.duration, len(plan["clients"])))
        lab.setup_network()
        lab.say("namespaces and links up")
        lab.start_servers()
        lab.say("nsd, iodined, dns2tcpd, web, c2 server, unbound (DoH) up")
        lab.start_capture()
        lab.say("capturing tcp port 443 in %s" % NS_RES)
        windows = lab.run_clients()
        lab.say("clients done")
        time.sleep(1.0)
    rc = guard.rc
    # results
    copy_outputs(work, out, ("impair-stats.json", "impair.json", "ca.pem"))
    pcap = os.path.join(out, "doh.pcap")
    if os.path.exists(pcap):
        rows = write_labels(plan, pcap, os.path.join(out, "labels.csv"))
        write_clients_csv(plan, windows, os.path.join(out, "clients.csv"))
        summ = summarize(plan, rows, work, out, windows)
        meta = {"seed": a.seed, "duration": a.duration, "plan_sha256":
                hashlib.sha256(plan_json(plan).encode()).hexdigest(), "wall_seconds":
                round(time.time() - lab.t_start, 1), "link": a.link, "exit": rc,
                "versions": tool_versions(TOOLS, 5, 120)}
        with open(os.path.join(out, "run.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        print_summary(summ, meta)
    if not a.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return rc


TOOLS = (("unbound", ["unbound", "-V"]), ("dnsdist", ["dnsdist", "--version"]), ("iodine", ["iodine", "-v"]),
         ("kdig", ["kdig", "--version"]), ("curl", ["curl", "--version"]), ("tcpdump", ["tcpdump", "--version"]),
         ("nsd", ["nsd", "-v"]), ("kernel", ["uname", "-r"]))


def print_summary(summ, meta):
    print("\n== DoH lab: seed %d, %ss, plan sha256 %s..., wall %ss" % (meta["seed"], meta["duration"],
                                                                      meta["plan_sha256"][:16],
                                                                      meta["wall_seconds"]))
    for k, v in sorted(summ["per_class"].items()):
        print("  %-10s %5d connections %7d packets %10d bytes" % (k, v["connections"], v["packets"], v["bytes"]))
    for k, v in sorted(summ["per_class_role"].items()):
        print("    %-24s %5d connections %7d packets" % (k, v["connections"], v["packets"]))
    for k, v in sorted(summ["per_scenario"].items()):
        print("    %-16s %5d connections %7d packets" % (k, v["connections"], v["packets"]))
    for c in summ["clients"]:
        extra = ("tunnel_up=%s ops_ok=%s failed=%s bytes=%s" % (c.get("tunnel_up"), c.get("c2_ops_ok"),
                                                               c.get("c2_ops_failed"), c.get("c2_bytes"))
                 if c["label"] == "malicious" else "agent=%s" % json.dumps(c.get("agent")))
        print("  %s %-9s %-16s %-11s conns=%d pkts=%d %s" % (c["client"], c["label"], c["scenario"],
                                                           c["workload"], c["connections"], c["packets"], extra))


def plan_options(s):
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--duration", type=float, default=180.0)
    s.add_argument("--per-scenario", type=int, default=1)
    s.add_argument("--browser", action="store_true")


def main():
    ap, sub = cli.parser(plan_options)
    sub.choices["run"].add_argument("--link", choices=["eth", "sll"], default="eth")
    lb = sub.add_parser("labels")
    lb.add_argument("--plan", required=True)
    lb.add_argument("--pcap", required=True)
    lb.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.cmd == "labels":
        write_labels(json.load(open(a.plan)), a.pcap, a.out)
        return 0
    return cli.dispatch(a, lambda a: plan_json(make_plan(a.seed, a.duration, a.per_scenario, a.browser)), run)


if __name__ == "__main__":
    sys.exit(main())
