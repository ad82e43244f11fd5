#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The SMTP lab's network: the router, the MX and one namespace per client host, the impairment TUN. The
processes, the recorded state and its clean-up are common/netns.py's. Stdlib only."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # test/lab: common/
from common.netns import NetnsRun, leftover_namespaces as _leftover  # noqa: E402
from plan import MX_ADDR, NET_CLIENTS, NET_MX, PREFIX  # noqa: E402

NS_ROUTER, NS_MX = PREFIX + "router", PREFIX + "mx"
TUN = "fdxsmtpimp0"


def leftover_namespaces():
    return _leftover(PREFIX)


class Net(NetnsRun):
    sh_timeout = 60

    def __init__(self, work, verbose=True):
        super().__init__(work, "smtp-lab", verbose)

    def setup(self, plan):
        R = NS_ROUTER
        self.add_ns(R)
        self.add_ns(NS_MX)
        self.router(R, plan["addresses"]["router_clients"] + "/16")
        # the receiving MTA
        self.routed_link(R, NS_MX, "r-mx", NET_MX, [MX_ADDR])
        self.offloads_off(R, "r-mx")
        self.offloads_off(NS_MX, "eth0")
        mh = plan["mx"]["host"]
        self.sysctl(NS_MX, [("net.ipv4.ip_default_ttl", mh["ttl"]), ("net.ipv4.tcp_timestamps", mh["tcp_timestamps"]),
                            ("net.ipv4.tcp_rmem", [4096, mh["tcp_rmem_default"], 6291456])])
        self.sh("ip", "-n", NS_MX, "route", "replace", NET_MX + ".0/24", "dev", "eth0", "advmss", mh["advmss"])
        self.sh("ip", "-n", NS_MX, "route", "add", "default", "via", NET_MX + ".1", "advmss", mh["advmss"])
        # client hosts: one namespace each, all its addresses on one veth into the bridge
        for h in plan["hosts"]:
            self.client_host(R, h["name"], h["name"][len(PREFIX):], [a["addr"] + "/16" for a in h["addrs"]],
                             NET_CLIENTS + ".0.0/16", plan["addresses"]["router_clients"], h["host"])
        # impairment: every forwarded packet passes the TUN program, one emulated link per client address
        links = [dict(name="%s/%s" % (h["name"], a["addr"]), addr=a["addr"], up=a["link"]["up"],
                      down=a["link"]["down"], seed=a["link"]["seed"]) for h in plan["hosts"] for a in h["addrs"]]
        self.impairment(R, {"tun": TUN, "links": links, "default": {"name": "other", "up": {}, "down": {}, "seed": 1},
                            "default_up_src": [MX_ADDR]}, ["br-cli", "r-mx"])
