#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SMTP lab plan: everything a run does, drawn from (site, seed, duration, scale). No root, no side effects.

  plan.py --site A|B --seed N [--duration S] [--scale F] --out plan.json

The plan is a pure function of its options: random streams are seeded from strings, JSON is written with
sorted keys, so the same options give a byte-identical plan.json. See README.md for what every field means.
"""
import argparse
import json
import math
import os
import random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # test/lab: common/
from common.hosts import draw_host as pool_host, lognorm  # noqa: E402

PLAN_VERSION = 4
PREFIX = "fdxsmtp-"            # every namespace of this lab starts with it
NET_CLIENTS = "10.78"          # /16 behind the router's client bridge; .0.1 is the router
LISTED_OCTETS = range(1, 120)  # 10.78.1-119.x: "listed" (static, known) ranges
UNLISTED_OCTETS = range(130, 250)  # 10.78.130-249.x: "unlisted" (dynamic, unknown) ranges
NET_MX = "10.77.2"             # router .1, receiving MTA .2
MX_ADDR = NET_MX + ".2"

WORDS = ("able about account after again agenda almost also amount answer april area august back before "
         "below best better board booking budget call change check client close coffee come company "
         "contract could course customer data date deadline delivery design detail draft during early "
         "easy email event every fact final find first follow friday future give good great group guide "
         "happy have help here hope idea important include invoice issue item july june just keep know "
         "last later least legal letter like list little long look lunch make march market meeting member "
         "minutes monday month more morning need next note number offer office order other paper part "
         "payment people plan please point price print project question quick quote ready really reason "
         "receipt regards report request review right room sales schedule second send service share short "
         "should since site slide some soon start status still study summary support sure team thanks "
         "that there thing think this thursday ticket time today together tomorrow travel trip tuesday "
         "update upload version visit want week weekend well when which while will with work would write "
         "year yesterday your").split()
FIRST = ("anna ben carla david eva felix greta hans ida jonas karin lars maria nils olga paul rita sven tina "
         "ulrich vera walter xenia yusuf zoe adam bella chris dora emil fiona georg hanna igor julia kai "
         "lena marco nora oskar petra quentin rosa simon tom uma viktor wanda").split()
LAST = ("meyer schmidt novak horvat kovac berg lind weber fischer wagner becker hoffmann koch richter "
        "klein wolf neumann schwarz braun zimmer kruger hartmann lange werner krause lehmann kaiser fuchs "
        "peters scholz moller keller jung hahn vogel roth frank beck lorenz baumann").split()
SPAM_WORDS = ("cheap deal offer free winner prize bonus pills casino loan credit crypto invest profit "
              "exclusive limited urgent verify account suspended password invoice refund package delivery "
              "unclaimed lottery million dating singles replica watches discount pharmacy viagra bitcoin "
              "wallet confirm click here now today guaranteed risk").split()
TLDS = ["test", "example", "invalid"]

# ------------------------------------------------------------------------------------------------ sites ---
# What makes the two receiving sites different. Fixed per site; the seed draws the details within the ranges.
SITES = {
    "A": {
        "description": "greylisting (postgrey) for clients outside the listed ranges, STARTTLS offered, no banner "
                       "delay, 20 MB size limit, 100 recipients per message, no rate limits; MX in a data centre",
        "greylist": True, "greylist_delay_s": (12, 20), "tls": True, "banner_delay_s": (0, 0),
        "pipelining_check": False, "message_size_limit": 20971520, "recipient_limit": 100,
        "rate_limit_per_min": 0, "hard_error_limit": 20, "soft_error_limit": 10, "full_mailbox_share": 0.0,
        "uplink": {"delay_ms": (0.5, 2.0), "rate_kbit": 0, "loss": 0.0},
        "mx_host": {"ttl": 64, "tcp_rmem_default": 131072, "advmss": 1460, "tcp_timestamps": 1},
        "ham_hosts": {"relay": 12, "direct": 8},
        "ham_mix": {"personal": 0.55, "list": 0.15, "notification": 0.30},
        "spam_mix": {"bulk": 0.35, "multircpt": 0.25, "dictionary": 0.10, "abort": 0.20, "pregreet": 0.10},
        "bot_listed_share": 0.25,
    },
    "B": {
        "description": "no greylisting; banner delay (smtpd 'sleep' before the greeting) with "
                       "reject_unauth_pipelining, STARTTLS offered, 3 MB size limit, 20 recipients per message, "
                       "per-client connection rate limit, some mailboxes over quota (452); MX behind a slower, "
                       "farther uplink",
        "greylist": False, "greylist_delay_s": (0, 0), "tls": True, "banner_delay_s": (1, 3),
        "pipelining_check": True, "message_size_limit": 3145728, "recipient_limit": 20,
        "rate_limit_per_min": (8, 12), "hard_error_limit": 10, "soft_error_limit": 4, "full_mailbox_share": 0.04,
        "uplink": {"delay_ms": (8.0, 20.0), "rate_kbit": 20000, "loss": 0.001},
        "mx_host": {"ttl": 255, "tcp_rmem_default": 65536, "advmss": 1400, "tcp_timestamps": 0},
        "ham_hosts": {"relay": 8, "direct": 12},
        "ham_mix": {"personal": 0.45, "list": 0.25, "notification": 0.30},
        "spam_mix": {"bulk": 0.20, "multircpt": 0.15, "dictionary": 0.25, "abort": 0.25, "pregreet": 0.15},
        "bot_listed_share": 0.15,
    },
}

# Access-link classes. Both classes draw from all of them, with different weights (LINK_WEIGHTS).
LINK_CLASSES = {
    "datacentre": {"delay_ms": (0.5, 6.0), "down_kbit": [0], "up_ratio": [1.0], "loss": (0.0, 0.0),
                   "loss_p": 0.0, "jitter": (0.0, 0.1)},
    "broadband": {"delay_ms": (6.0, 35.0), "down_kbit": [16000, 50000, 100000], "up_ratio": [0.1, 0.2, 0.5],
                  "loss": (0.0005, 0.004), "loss_p": 0.4, "jitter": (0.05, 0.2)},
    "congested": {"delay_ms": (35.0, 180.0), "down_kbit": [2000, 4000, 8000], "up_ratio": [0.1, 0.125, 0.25],
                  "loss": (0.005, 0.04), "loss_p": 0.9, "jitter": (0.1, 0.4)},
    "mobile": {"delay_ms": (25.0, 120.0), "down_kbit": [5000, 10000, 20000], "up_ratio": [0.25, 0.5],
               "loss": (0.002, 0.02), "loss_p": 0.7, "jitter": (0.2, 0.6)},
}
LINK_WEIGHTS = {  # per kind of host; the literature's "spam comes over slow, lossy access links", overlapping
    "relay": {"datacentre": 0.55, "broadband": 0.30, "congested": 0.10, "mobile": 0.05},
    "direct": {"datacentre": 0.25, "broadband": 0.40, "congested": 0.20, "mobile": 0.15},
    "bot": {"datacentre": 0.10, "broadband": 0.35, "congested": 0.40, "mobile": 0.15},
}


def pick(r, weights):
    keys = sorted(weights)
    return r.choices(keys, [weights[k] for k in keys])[0]


def rng(site, seed, *what):
    return random.Random("fdxlab-smtp|%s|%d|%s" % (site, seed, "|".join(str(w) for w in what)))


# ------------------------------------------------------------------------------------------------ hosts ---

def draw_host(r):
    """TCP/IP stack of a client host: one pool for both classes (README, "Host and link pools")."""
    return pool_host(r, [16384, 65536, 87380, 131072, 131072, 262144], [1048576, 4194304, 6291456])


def draw_dir(r, cls, delay, rate_kbit):
    c = LINK_CLASSES[cls]
    loss = round(r.uniform(*c["loss"]), 4) if r.random() < c["loss_p"] else 0.0
    d = {"delay_ms": round(delay, 2), "jitter_ms": round(delay * r.uniform(*c["jitter"]), 2), "loss": loss,
         "loss_burst": round(r.uniform(0.0, 0.3), 3) if loss else 0.0, "queue_ms": r.choice([40, 80, 120, 200])}
    if rate_kbit:
        d["rate_kbit"] = int(rate_kbit)
    return d


def link_classes(r, kind, n):
    """The link classes of n ham hosts of one kind: LINK_WEIGHTS apportioned by largest remainder, every class at
    least once when n allows, in a seeded order. Drawn independently per host, a site with few ham hosts often had
    no ham on a slow link at all, and a model trained there learnt "slow link = spam" (README, "Host and link
    pools")."""
    w = LINK_WEIGHTS[kind]
    keys = sorted(w)
    counts = {k: 1 if n >= len(keys) else 0 for k in keys}
    left = n - sum(counts.values())
    quota = {k: w[k] * left for k in keys}
    for k in keys:
        counts[k] += int(quota[k])
    rest = sorted(keys, key=lambda k: (-(quota[k] - int(quota[k])), k))
    for k in rest[:n - sum(counts.values())]:
        counts[k] += 1
    out = [k for k in keys for _ in range(counts[k])]
    r.shuffle(out)
    return out


def apportion(r, share, n):
    """n booleans, round(share * n) of them true but at least one of each when n >= 2, in a seeded order: a
    trait of share 0.15 is then present at every site with enough hosts, not left to chance."""
    k = int(round(share * n))
    if n >= 2:
        k = min(max(k, 1), n - 1)
    out = [True] * k + [False] * (n - k)
    r.shuffle(out)
    return out


# Traits of the direct ham senders, apportioned per site (see apportion): their share among the hosts.
DIRECT_TRAITS = {"tls": 0.85, "pipelining": 0.5, "batch": 0.4, "rst_after_quit": 0.25}


def draw_link(r, kind, uplink, cls=None):
    """An access link of the given link class (drawn from the kind's weights if not given) plus the site's own
    uplink (delay added, rate the smaller)."""
    cls = cls or pick(r, LINK_WEIGHTS[kind])
    c = LINK_CLASSES[cls]
    delay = math.exp(r.uniform(math.log(c["delay_ms"][0]), math.log(c["delay_ms"][1])))
    down = r.choice(c["down_kbit"])
    up = int(down * r.choice(c["up_ratio"])) if down else 0
    site_rate = uplink["rate_kbit"]

    def cap(x):
        return min(x, site_rate) if (x and site_rate) else (x or site_rate)

    link = {"class": cls,
            "up": draw_dir(r, cls, delay + uplink["delay_ms"], cap(up)),
            "down": draw_dir(r, cls, delay * r.uniform(0.8, 1.25) + uplink["delay_ms"], cap(down)),
            "seed": r.getrandbits(32)}
    for d in ("up", "down"):  # the site's uplink loss adds to the access link's
        if uplink["loss"]:
            link[d]["loss"] = round(link[d]["loss"] + uplink["loss"], 4)
    return link


class Addresses:
    """Deterministic allocation of client addresses in the listed and unlisted ranges."""

    def __init__(self, r):
        self.r, self.used = r, set()

    def take(self, listed, near=None):
        while True:
            if near and self.r.random() < 0.5:
                third = int(near.split(".")[2])
            else:
                third = self.r.choice(LISTED_OCTETS if listed else UNLISTED_OCTETS)
            a = "%s.%d.%d" % (NET_CLIENTS, third, self.r.randint(2, 254))
            if a not in self.used:
                self.used.add(a)
                return a


# --------------------------------------------------------------------------------------------- messages ---

def ham_message(r, kind):
    """Size specification of one legitimate message (the body is built from it by mailgen.py).

    text: log-normal, median 1.8 KB; html alternative in half of the personal mail and in all lists and
    notifications; attachments (base64 on the wire): personal mail 25 %, 1-3 files, each log-normal with a
    median of 90 KB and sigma 1.4 (tail to 3.5 MB); notifications 12 %, one PDF-like 15-150 KB; lists carry
    inline images in half of the cases."""
    m = {"kind": kind, "seed": r.getrandbits(32)}
    if kind == "personal":
        m["text"] = int(lognorm(r, 1800, 1.0, 200, 60000))
        m["html"] = r.random() < 0.5
        att = []
        if r.random() < 0.25:
            for _ in range(r.choices([1, 2, 3], [0.7, 0.2, 0.1])[0]):
                att.append({"type": r.choice(["pdf", "jpg", "docx", "xlsx", "png", "zip"]),
                            "bytes": int(lognorm(r, 90000, 1.4, 2000, 3500000))})
        m["attachments"] = att
        m["reply"] = r.random() < 0.4  # quoted history
    elif kind == "notification":
        m["text"] = int(lognorm(r, 900, 0.5, 300, 4000))
        m["html"] = True
        m["attachments"] = ([{"type": "pdf", "bytes": int(r.uniform(15000, 150000))}]
                            if r.random() < 0.12 else [])
        m["template"] = r.randrange(4)  # notifications of one sender look alike
    else:  # list / newsletter
        m["text"] = int(lognorm(r, 6000, 0.6, 1500, 40000))
        m["html"] = True
        m["attachments"] = ([{"type": "inline-jpg", "bytes": int(lognorm(r, 50000, 0.8, 8000, 300000))}
                             for _ in range(r.randint(1, 3))] if r.random() < 0.5 else [])
        m["template"] = r.randrange(3)
    return m


def spam_campaign(r, cid):
    """A campaign: every message of it is the same template with small per-message variation."""
    c = {"id": cid, "seed": r.getrandbits(32), "text": int(lognorm(r, 1100, 0.5, 300, 5000)),
         "html": r.random() < 0.7, "attachments": []}
    u = r.random()
    if u < 0.2:
        c["attachments"] = [{"type": r.choice(["zip", "doc", "pdf"]), "bytes": int(r.uniform(15000, 120000))}]
    elif u < 0.35:
        c["attachments"] = [{"type": "inline-jpg", "bytes": int(r.uniform(10000, 60000))}]
    return c


def fit_to_link(msg, link, seconds):
    """Shrinks the attachments of a message that could not be sent over the host's uplink before the run
    ends (at half the link rate, after base64): a legitimate sender cut off by the end of the run would look
    like a bot that drops the connection in the middle of DATA."""
    rate = link["up"].get("rate_kbit", 0)
    att = sum(a["bytes"] for a in msg["attachments"])
    if not rate or not att:
        return
    budget = rate * 1000 / 8 * max(1.0, seconds) / 2.0 / 1.37 - msg["text"] * 4
    if att > budget:
        f = max(0.0, budget) / att
        for a in msg["attachments"]:
            a["bytes"] = max(2000, int(a["bytes"] * f))
        msg["shrunk_to_fit_link"] = True


# ---------------------------------------------------------------------------------------------- schedule ---

def times(r, n, start, end, burstiness):
    """n event times in [start, end): a Poisson process mixed with bursts (burstiness = share in bursts)."""
    out = []
    n_burst = int(round(n * burstiness))
    for _ in range(n - n_burst):
        out.append(r.uniform(start, end))
    while n_burst > 0:
        centre, k = r.uniform(start, end), min(n_burst, r.randint(3, 12))
        for _ in range(k):
            out.append(min(end, max(start, centre + r.expovariate(1.0 / 2.0))))
        n_burst -= k
    return sorted(round(t, 3) for t in out)


def make_plan(site, seed, duration=150.0, scale=1.0):
    S = SITES[site]
    rs = rng(site, seed, "site")
    mx = {
        "addr": MX_ADDR,
        "domains": ["%s-%s.test" % (rs.choice(["corp", "mail", "uni", "firm", "org"]), rs.choice(WORDS))
                    for _ in range(2)],
        "greylist": S["greylist"],
        "greylist_delay_s": rs.randint(*S["greylist_delay_s"]) if S["greylist"] else 0,
        "tls": S["tls"], "tls_key": rs.choice(["rsa2048", "ec256"]) if S["tls"] else None,
        "banner_delay_s": rs.randint(*S["banner_delay_s"]),
        "pipelining_check": S["pipelining_check"],
        "message_size_limit": S["message_size_limit"], "recipient_limit": S["recipient_limit"],
        "rate_limit_per_min": (rs.randint(*S["rate_limit_per_min"]) if S["rate_limit_per_min"] else 0),
        "hard_error_limit": S["hard_error_limit"], "soft_error_limit": S["soft_error_limit"],
        "host": dict(S["mx_host"]),
    }
    if mx["domains"][0] == mx["domains"][1]:
        mx["domains"][1] = "x" + mx["domains"][1]
    users = set()
    while len(users) < 240:
        f, l = rs.choice(FIRST), rs.choice(LAST)
        users.add(rs.choice(["%s.%s" % (f, l), "%s%s" % (f[0], l), f + "." + l[0], f]))
    users = sorted(users)
    valid = ["%s@%s" % (u, rs.choice(mx["domains"])) for u in users] + ["info@" + mx["domains"][0],
                                                                        "sales@" + mx["domains"][0]]
    full = sorted(rs.sample(valid, int(len(valid) * S["full_mailbox_share"])))
    mx["users"], mx["full_mailboxes"] = valid, full
    uplink = {"delay_ms": round(rs.uniform(*S["uplink"]["delay_ms"]), 2), "rate_kbit": S["uplink"]["rate_kbit"],
              "loss": S["uplink"]["loss"]}

    n_groups = S["ham_hosts"]["relay"] + S["ham_hosts"]["direct"]
    kinds = ["relay"] * S["ham_hosts"]["relay"] + ["direct"] * S["ham_hosts"]["direct"]
    rg = rng(site, seed, "groups")
    rg.shuffle(kinds)
    groups = [{"index": g, "host": draw_host(rg)} for g in range(n_groups)]
    addrs = Addresses(rng(site, seed, "addresses"))
    dur = float(duration)
    rl = rng(site, seed, "link-classes")
    ham_links = {k: link_classes(rl, k, kinds.count(k)) for k in ("relay", "direct")}
    rt = rng(site, seed, "direct-traits")
    direct_traits = {t: apportion(rt, share, kinds.count("direct")) for t, share in sorted(DIRECT_TRAITS.items())}
    t_lo, t_hi = 2.0, max(10.0, dur - 12.0)
    # Volume per group: the ham host's messages and the bot host's sessions are of the same order, so that
    # host profiles weigh alike in both classes at the level of connections too.
    hosts = []
    harvested_invalid = ["%s@%s" % (w, d) for w in
                         ["admin", "webmaster", "contact", "office", "hr", "jobs", "press", "support", "billing",
                          "marketing", "news", "service", "abuse", "postmaster2", "test", "mail", "user", "help"]
                         + ["%s.%s" % (f, l) for f in FIRST[:20] for l in LAST[:6]]
                         for d in mx["domains"]]
    harvested_invalid = sorted(set(harvested_invalid) - set(valid))
    rc = rng(site, seed, "campaigns")
    campaigns = [spam_campaign(rc, i) for i in range(6)]
    for g, kind in enumerate(kinds):
        host = groups[g]["host"]
        r = rng(site, seed, "ham", g)
        per_min = r.uniform(12.0, 18.0) * scale * 8.0 / n_groups  # the volume of 8 groups, spread over all
        n_msgs = max(4, int(round(per_min * (t_hi - t_lo) / 60.0)))
        name = "%sh%d" % (PREFIX, g)
        cls = ham_links[kind].pop()
        if kind == "relay":
            listed = r.random() < 0.5
            a = addrs.take(listed)
            isp = "%s-%s.test" % (r.choice(["isp", "net", "mail", "post", "web"]), r.choice(WORDS))
            h = {"name": name, "kind": "relay", "label": "ham", "group": g, "host": host,
                 "addrs": [{"addr": a, "listed": listed, "link": draw_link(r, "relay", uplink, cls)}],
                 "isp_domain": isp,
                 "mta": {"minimal_backoff_s": r.randint(max(10, mx["greylist_delay_s"] + 2), 30),
                         "maximal_backoff_s": r.choice([60, 90]), "queue_run_delay_s": r.choice([5, 8, 10]),
                         "concurrency": r.choice([2, 3, 5]), "cache_on_demand": r.random() < 0.8,
                         "helo": "mail.%s" % isp}}
            senders = ["%s.%s@%s" % (r.choice(FIRST), r.choice(LAST), isp) for _ in range(25)]
        else:
            n_addr = r.choice([1, 1, 2, 3])
            listed = r.random() < 0.5
            first = addrs.take(listed)
            org = "%s-%s.test" % (r.choice(["office", "shop", "clinic", "studio", "agency", "club"]), r.choice(WORDS))
            h = {"name": name, "kind": "direct", "label": "ham", "group": g, "host": host,
                 "addrs": [{"addr": first, "listed": listed, "link": draw_link(r, "direct", uplink, cls)}] +
                 [{"addr": addrs.take(listed, near=first), "listed": listed, "link": draw_link(r, "direct", uplink, cls)}
                  for _ in range(n_addr - 1)],
                 "org_domain": org,
                 "client": {"tls": direct_traits["tls"].pop(), "pipelining": direct_traits["pipelining"].pop(),
                            "retry_s": [r.randint(max(15, mx["greylist_delay_s"] + 3), 35), r.choice([45, 60, 80])],
                            "helo": "%s.%s" % (r.choice(["mail", "mx", "smtp", "srv1", "gw"]), org),
                            "quit": r.random() < 0.95, "batch": direct_traits["batch"].pop(),
                            # some mailers (Windows ones among them) reset the connection after QUIT's reply
                            "rst_after_quit": direct_traits["rst_after_quit"].pop()}}
            senders = ["%s@%s" % (r.choice(["noreply", "info", "billing", "team"] + FIRST), org) for _ in range(8)]
        msgs = []
        for t in times(r, n_msgs, t_lo, t_hi, 0.25):
            mk = pick(r, S["ham_mix"])
            if mk == "list":
                rc_n = r.randint(5, 40)
            elif mk == "notification":
                rc_n = r.choice([1, 1, 1, 2])
            else:
                rc_n = r.choices([1, 2, 3, 4, 6], [0.6, 0.2, 0.1, 0.06, 0.04])[0]
            rcpts = r.sample(valid, rc_n)
            if r.random() < 0.03:  # a typo or a departed colleague: 550 for a legitimate sender
                rcpts[0] = r.choice(harvested_invalid)
            msg = ham_message(r, mk)
            fit_to_link(msg, h["addrs"][len(msgs) % len(h["addrs"])]["link"], t_hi + 8.0 - t)
            msgs.append({"t": t, "from": r.choice(senders), "rcpts": rcpts, "msg": msg})
        h["messages"] = msgs
        hosts.append(h)

        # the bot host of this group: same host profile, its own links (one per address)
        rb = rng(site, seed, "bot", g)
        n_addr = rb.choice([1, 2, 4, 6, 8, 10, 12])
        bot = {"name": "%sb%d" % (PREFIX, g), "kind": "bot", "label": "spam", "group": g, "host": host,
               "addrs": [], "bot": {
                   "helo": rb.choice(["random-word", "ip-literal", "fake-fqdn", "fake-fqdn", "windows-name"]),
                   "ehlo": rb.random() < 0.7, "tls": rb.random() < 0.3, "blast": rb.random() < 0.3,
                   "close": rb.choice(["quit", "quit", "fin", "rst"]),
                   "reply_timeout_s": rb.choice([8, 15, 30]),
                   "campaigns": sorted(rb.sample(range(len(campaigns)), rb.randint(1, 3))),
                   "mix": {k: round(v * rb.uniform(0.5, 1.5), 3) for k, v in S["spam_mix"].items()}}}
        for _ in range(n_addr):
            listed = rb.random() < S["bot_listed_share"]
            bot["addrs"].append({"addr": addrs.take(listed), "listed": listed, "link": draw_link(rb, "bot", uplink)})
        n_sess = max(4, int(round(n_msgs * rb.uniform(0.8, 1.3))))
        sess = []
        for t in times(rb, n_sess, t_lo, t_hi, 0.5):
            beh = pick(rb, bot["bot"]["mix"])
            s = {"t": t, "addr": rb.randrange(n_addr), "behaviour": beh, "seed": rb.getrandbits(32),
                 "campaign": rb.choice(bot["bot"]["campaigns"]),
                 "from": "%s@%s.%s" % (rb.choice(FIRST + SPAM_WORDS), rb.choice(SPAM_WORDS), rb.choice(TLDS))}
            if beh == "bulk" or beh == "pregreet":
                n = rb.choice([1, 1, 1, 2, 3])
                s["rcpts"] = [rb.choice(valid) if rb.random() < 0.7 else rb.choice(harvested_invalid)
                              for _ in range(n)]
            elif beh == "multircpt":
                n = rb.randint(10, 80)
                p_valid = rb.uniform(0.3, 0.7)
                s["rcpts"] = [rb.choice(valid) if rb.random() < p_valid else rb.choice(harvested_invalid)
                              for _ in range(n)]
            elif beh == "dictionary":
                n = rb.randint(5, 40)
                s["rcpts"] = ["%s@%s" % (rb.choice([rb.choice(FIRST), rb.choice(FIRST) + "." + rb.choice(LAST),
                                                    rb.choice(LAST), rb.choice(FIRST)[0] + rb.choice(LAST)]),
                                         rb.choice(mx["domains"])) for _ in range(n)]
                s["then"] = rb.choice(["quit", "quit", "rset-quit", "drop", "data-if-any"])
            else:  # abort
                s["rcpts"] = [rb.choice(valid) for _ in range(rb.choice([1, 1, 2]))]
                s["abort"] = rb.choice(["after-banner", "after-ehlo", "after-ehlo", "mid-data", "mid-data",
                                        "stall"])
                s["abort_rst"] = rb.random() < 0.5
            sess.append(s)
        bot["sessions"] = sess
        hosts.append(bot)

    return {"plan_version": PLAN_VERSION, "lab": "smtp", "site": site, "seed": seed, "duration": dur,
            "scale": scale, "site_description": S["description"],
            "addresses": {"mx": MX_ADDR, "router_clients": NET_CLIENTS + ".0.1", "clients": NET_CLIENTS + ".0.0/16",
                          "listed": NET_CLIENTS + ".0.0/17", "unlisted": NET_CLIENTS + ".128.0/17"},
            "mx": mx, "uplink": uplink, "groups": groups, "campaigns": campaigns, "hosts": hosts}


def plan_json(plan):
    return json.dumps(plan, indent=1, sort_keys=True) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", choices=sorted(SITES), required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--duration", type=float, default=150.0)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write(plan_json(make_plan(a.site, a.seed, a.duration, a.scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
