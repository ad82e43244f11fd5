#!/usr/bin/python3
"""Benign DoH workload for one lab client: replays the client's schedule from the plan.

tools:
  kdig   one kdig +https invocation per burst (Knot's GnuTLS/nghttp2 client; a new connection per burst)
  curl   curl --doh-url fetching the page and then its sub-resources (curl's own DoH, OpenSSL/nghttp2),
         from the lab web servers, so lookups interleave with real HTTP fetches
  h2     in-process DoH/HTTP2 client (dohlib), browser-like: one connection, bursts of A/AAAA/HTTPS,
         connection policy from the plan
  stub   plain DNS over UDP to 127.0.0.1:53, where the client's DoH proxy (dnsdist or pyfwd) listens,
         as the operating system's stub resolver would
Events: {"t": offset s, "kind": "page", "main": name, "subs": [names], "fetch_ms": n, "stagger_ms": [..]}
        {"t": offset s, "kind": "bg", "names": [[name, qtype], ...]}
"""
import argparse
import asyncio
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dohlib  # noqa: E402


class Runner:
    def __init__(self, a, cl):
        self.a, self.cl = a, cl
        self.rng = random.Random(cl["seed"])
        self.logf = open(a.log, "a")
        self.counts = {"bursts": 0, "queries": 0, "answers": 0, "errors": 0, "http_ok": 0, "http_err": 0}
        self.doh = None
        if cl["tool"] == "h2":
            pol = cl["policy"]
            self.doh = dohlib.DoHClient(a.server, sni=a.sni, cafile=a.cafile, method=pol["method"],
                                        pad=pol["pad"], zero_id=pol["zero_id"], idle_close=pol["idle_close"],
                                        max_age=pol["max_age"], timeout=pol.get("timeout", 5.0), log=self.log)

    def log(self, d):
        d["t"] = round(time.time(), 6)
        self.logf.write(json.dumps(d) + "\n")
        self.logf.flush()

    # --- in-process DNS (h2 or UDP stub) ---
    async def q(self, name, qtype):
        self.counts["queries"] += 1
        pol = self.cl.get("policy", {})
        wire = dohlib.build_query(name, qtype, qid=self.rng.getrandbits(16), pad_to=0,
                                  udp_size=pol.get("udp_size", 1232))
        try:
            if self.doh is not None:
                ans = await self.doh.query(wire)
            else:
                ans = await self.udp_query(wire)
            self.counts["answers"] += 1
            return dohlib.rcode_of(ans)
        except Exception as e:  # noqa: BLE001
            self.counts["errors"] += 1
            self.log({"ev": "qerr", "name": name, "err": repr(e)})
            return -1

    async def udp_query(self, wire):
        loop = asyncio.get_event_loop()
        for attempt in range(3):
            fut = loop.create_future()

            class P(asyncio.DatagramProtocol):
                def datagram_received(self, data, addr):
                    if not fut.done() and data[:2] == wire[:2]:
                        fut.set_result(data)

            tr, _ = await loop.create_datagram_endpoint(P, remote_addr=("127.0.0.1", 53))
            try:
                tr.sendto(wire)
                return await asyncio.wait_for(fut, 2.0 * (attempt + 1))
            except asyncio.TimeoutError:
                continue
            finally:
                tr.close()
        raise TimeoutError("stub timeout")

    async def burst(self, pairs, stagger):
        tasks = []
        for i, (n, qt) in enumerate(pairs):
            d = stagger[i] / 1000.0 if i < len(stagger) else 0.0

            async def one(n=n, qt=qt, d=d):
                if d:
                    await asyncio.sleep(d)
                return await self.q(n, qt)
            tasks.append(one())
        return await asyncio.gather(*tasks)

    # --- external tools ---
    def kdig(self, pairs):
        args = ["kdig", "@" + self.a.server, "+https" + ("-get" if self.cl["policy"]["method"] == "GET" else ""),
                "+tls-ca=" + self.a.cafile, "+tls-hostname=" + self.a.sni, "+timeout=3", "+retry=0", "+short"]
        if not self.cl["policy"].get("pad", True):
            args.append("+nopadding")
        for n, qt in pairs:
            args += [n, qt]
        self.counts["queries"] += len(pairs)
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if r.returncode == 0:
            self.counts["answers"] += len(pairs)
        else:
            self.counts["errors"] += 1
            self.log({"ev": "kdig_err", "rc": r.returncode, "err": r.stderr.decode()[-300:]})

    def curl(self, urls, parallel):
        args = ["curl", "-sS", "--max-time", "10", "--cacert", self.a.cafile,
                "--doh-url", "https://%s/dns-query" % self.a.server]
        if parallel and len(urls) > 1:
            args += ["--parallel", "--parallel-max", "6"]
        for u in urls:
            args += ["-o", "/dev/null", u]
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if r.returncode == 0:
            self.counts["http_ok"] += len(urls)
        else:
            self.counts["http_err"] += 1
            self.log({"ev": "curl_err", "rc": r.returncode, "err": r.stderr.decode()[-300:]})

    async def run_event(self, ev):
        tool = self.cl["tool"]
        self.counts["bursts"] += 1
        loop = asyncio.get_event_loop()
        if ev["kind"] == "bg":
            pairs = [tuple(x) for x in ev["names"]]
            if tool == "kdig":
                await loop.run_in_executor(None, self.kdig, pairs)
            elif tool == "curl":
                await loop.run_in_executor(None, self.curl, ["http://%s/%s" % (n, ev.get("path", "")) for n, _ in pairs], False)
            else:
                await self.burst(pairs, [])
            return
        main, subs = ev["main"], ev["subs"]
        mq = [(main, qt) for qt in ev.get("main_qtypes", ["A", "AAAA"])]
        sq = [(n, qt) for n in subs for qt in ev.get("sub_qtypes", ["A", "AAAA"])]
        if tool == "kdig":
            await loop.run_in_executor(None, self.kdig, mq)
            await asyncio.sleep(ev["fetch_ms"] / 1000.0)
            if sq:
                await loop.run_in_executor(None, self.kdig, sq)
        elif tool == "curl":
            await loop.run_in_executor(None, self.curl, ["http://%s/" % main], False)
            if subs:
                await loop.run_in_executor(None, self.curl, ["http://%s/%s" % (n, p) for n, p in
                                                             zip(subs, ev.get("paths", [""] * len(subs)))], True)
        else:
            await self.burst(mq, [])
            await asyncio.sleep(ev["fetch_ms"] / 1000.0)
            st = [s for s in ev.get("stagger_ms", []) for _ in ev.get("sub_qtypes", ["A", "AAAA"])]
            await self.burst(sq, st)

    async def main(self):
        t0 = time.time()
        t_end = t0 + self.a.deadline
        pending = set()
        for ev in self.cl["events"]:
            at = t0 + ev["t"]
            if at >= t_end:
                break
            await asyncio.sleep(max(0.0, at - time.time()))
            task = asyncio.ensure_future(self.run_event(ev))
            pending.add(task)
            task.add_done_callback(pending.discard)
        left = t_end - time.time()
        if pending and left > 0:
            await asyncio.wait(pending, timeout=left)
        if self.doh is not None:
            await self.doh.close()
        self.log({"ev": "stats", **self.counts})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--sni", default="doh.lab.test")
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--deadline", type=float, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    plan = json.load(open(a.plan))
    cl = next(c for c in plan["clients"] if c["name"] == a.client)
    asyncio.run(Runner(a, cl).main())


if __name__ == "__main__":
    sys.exit(main())
