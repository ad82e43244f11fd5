#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs one client host's part of the plan inside its namespace.

  agent.py --plan plan.json --host NAME --t0 EPOCH --end EPOCH --log FILE.jsonl

The host's kind decides what it does (README.md, "Behaviours"):
  relay   submits the planned messages to the host's own postfix on 127.0.0.1:25 (loopback, not captured);
          postfix queues them and relays them to the MX, with its own retries, STARTTLS and connection reuse;
  direct  a well-behaved sender talking to the MX itself: waits for the greeting, EHLO with its name, STARTTLS
          when offered, SIZE, PIPELINING when offered, QUIT, and a retry queue for 4xx replies;
  bot     the spam behaviours: bulk, multircpt, dictionary, abort, pregreet; never retries after a 4xx.
Every connection to the MX is logged twice: 'open' (source address and port, behaviour) when the socket is
bound, 'end' (outcome, reply codes) when it is finished. lab.py joins these to the capture.
Stdlib only.
"""
import argparse
import json
import random
import smtplib
import sys
import threading
import time

import mailgen
from smtpc import Conn, SMTPError


class Log:
    def __init__(self, path, host):
        self.f = open(path, "a", buffering=1)
        self.host = host
        self.lock = threading.Lock()

    def __call__(self, **kv):
        kv["host"] = self.host
        kv.setdefault("ts", round(time.time(), 6))
        with self.lock:
            self.f.write(json.dumps(kv, sort_keys=True) + "\n")


def sleep_until(ts):
    while True:
        left = ts - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def classify(codes):
    """A connection's outcome from its reply codes (after the greeting)."""
    if not codes:
        return "no-reply"
    if any(c == 421 for c in codes):
        return "421"
    if 250 in codes[-3:] and any(c == 354 for c in codes):
        return "data-accepted" if codes[-1] in (250, 221) or codes[-2:-1] == [250] else "data-sent"
    if any(400 <= c < 500 for c in codes):
        return "4xx"
    if any(500 <= c < 600 for c in codes):
        return "5xx"
    return "ok"


# ------------------------------------------------------------------------------------------------ relay ---

def run_relay(plan, h, t0, end, log):
    """Submission to the host's own postfix; the MTA does the rest."""
    for i, m in enumerate(h["messages"]):
        at = t0 + m["t"]
        if at > end - 5:
            break
        sleep_until(at)
        body = mailgen.build(m["msg"], m["from"], m["rcpts"], h["mta"]["helo"])
        try:
            with smtplib.SMTP("127.0.0.1", 25, local_hostname="submit.local", timeout=30) as s:
                refused = s.sendmail(m["from"], m["rcpts"], body)
            log(ev="submit", i=i, bytes=len(body), rcpts=len(m["rcpts"]), refused=len(refused))
        except (smtplib.SMTPException, OSError) as e:
            log(ev="submit", i=i, bytes=len(body), error=str(e)[:200])


# ----------------------------------------------------------------------------------------------- direct ---

class Direct:
    """A small MTA or application mailer that delivers straight to the MX and behaves: it queues what gets a
    temporary failure and tries again after its back-off, and gives up on permanent failures."""

    def __init__(self, plan, h, t0, end, log):
        self.plan, self.h, self.t0, self.end, self.log = plan, h, t0, end, log
        self.pol = h["client"]
        self.mx = plan["mx"]["addr"]
        self.lock = threading.Lock()
        self.queue = []  # [due_epoch, index, rcpts, attempts]
        for i, m in enumerate(h["messages"]):
            self.queue.append([t0 + m["t"], i, list(m["rcpts"]), 0])
        self.active = 0
        self.bodies = {}
        # An MTA that cannot even get a greeting from a destination (refused, 421, timeout) defers the
        # destination as a whole, not only the messages of that session (Postfix's dead-destination
        # throttling); without this a queue of many messages would retry every fraction of a second.
        self.hold_until = 0.0

    def body(self, i):
        if i not in self.bodies:
            m = self.h["messages"][i]
            self.bodies[i] = mailgen.dot_stuff(mailgen.build(m["msg"], m["from"], m["rcpts"], self.pol["helo"]))
        return self.bodies[i]

    def requeue(self, item, rcpts):
        _, i, _, attempts = item
        back = self.pol["retry_s"][min(attempts, len(self.pol["retry_s"]) - 1)]
        due = time.time() + back * random.Random("%d|%d" % (i, attempts)).uniform(0.9, 1.2)
        with self.lock:
            self.queue.append([due, i, rcpts, attempts + 1])
        self.log(ev="retry-queued", i=i, rcpts=len(rcpts), due=round(due, 3), attempt=attempts + 1)

    def run(self):
        threads = []
        while True:
            with self.lock:
                self.queue.sort()
                if not self.queue:
                    if not any(t.is_alive() for t in threads):
                        return
                    nxt = None
                else:
                    nxt = self.queue[0][0]
            if nxt is None:
                time.sleep(0.5)
                continue
            if nxt > self.end - 4:
                with self.lock:
                    for it in self.queue:
                        self.log(ev="not-attempted", i=it[1], attempt=it[3])
                    self.queue = []
                continue
            sleep_until(max(nxt, self.hold_until))
            with self.lock:
                batch = [self.queue.pop(0)]
                while self.pol["batch"] and self.queue and self.queue[0][0] <= time.time() + 1.0 and len(batch) < 5:
                    batch.append(self.queue.pop(0))
            while self.active >= 3:
                time.sleep(0.1)
            t = threading.Thread(target=self.session, args=(batch,), daemon=True)
            with self.lock:
                self.active += 1
            t.start()
            threads.append(t)

    def session(self, batch):
        try:
            self._session(batch)
        except Exception as e:  # noqa: BLE001 - a bug here must show in the log, not end the thread silently
            self.log(ev="exception", error=repr(e)[:200], msgs=[b[1] for b in batch])
        finally:
            with self.lock:
                self.active -= 1

    def _session(self, batch):
        addrs = self.h["addrs"]
        src = addrs[batch[0][1] % len(addrs)]["addr"]
        c = Conn(src, self.mx, 25, timeout=60.0)
        self.log(ev="open", src=c.src, sport=c.sport, behaviour="direct", msgs=[b[1] for b in batch])
        done = []  # items whose fate is settled in this session
        try:
            c.connect(timeout=30)
            code, _ = c.reply(timeout=120)
            if code != 220:
                raise SMTPError("greeting %d" % code)
            if c.ehlo(self.pol["helo"]) != 250:
                c.ehlo(self.pol["helo"], use_ehlo=False)
            if self.pol["tls"] and "STARTTLS" in c.ext:
                if c.starttls() == 220:
                    c.ehlo(self.pol["helo"])
            for k, item in enumerate(batch):
                self.transaction(c, item, rset=k > 0)
                done.append(item)
            if self.pol["quit"] and self.pol["rst_after_quit"]:
                c.cmd("QUIT", timeout=10)
                c.close("rst")
            else:
                c.close("quit" if self.pol["quit"] else "fin")
        except SMTPError as e:
            # the connection failed: what was not settled is tried again, as an MTA does
            if not done and len(c.codes) <= 1:
                back = self.pol["retry_s"][0] * random.Random("hold|%s|%d" % (src, c.sport)).uniform(0.9, 1.2)
                with self.lock:
                    self.hold_until = max(self.hold_until, time.time() + back)
                self.log(ev="destination-deferred", until=round(self.hold_until, 3))
            for item in batch:
                if item not in done:
                    self.requeue(item, item[2])
            c.close("fin")
            self.log(ev="end", src=c.src, sport=c.sport, outcome="error", error=str(e)[:120], codes=c.codes,
                     tls=c.tls)
            return
        self.log(ev="end", src=c.src, sport=c.sport, outcome=classify(c.codes[1:]), codes=c.codes, tls=c.tls)

    def transaction(self, c, item, rset):
        _, i, rcpts, _ = item
        m = self.h["messages"][i]
        body = self.body(i)
        if rset:
            c.cmd("RSET")
        mail = "MAIL FROM:<%s>" % m["from"]
        if "SIZE" in c.ext:
            mail += " SIZE=%d" % len(body)
        if self.pol["pipelining"] and "PIPELINING" in c.ext:
            c.send("".join(x + "\r\n" for x in [mail] + ["RCPT TO:<%s>" % r for r in rcpts] + ["DATA"]))
            mcode, _ = c.reply()
            rc = [c.reply()[0] for _ in rcpts]
            dcode, _ = c.reply()
        else:
            mcode, _ = c.cmd(mail)
            rc, dcode = [], None
            if mcode == 250:
                rc = [c.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts]
                if any(x == 250 for x in rc):
                    dcode, _ = c.cmd("DATA")
        if mcode != 250:
            if 400 <= mcode < 500:
                self.requeue(item, rcpts)
            else:
                self.log(ev="bounced", i=i, code=mcode)
            if dcode == 354:  # only possible when pipelined: end the empty transaction
                c.send(".\r\n")
                c.reply()
            return
        accepted = [r for r, x in zip(rcpts, rc) if x == 250]
        later = [r for r, x in zip(rcpts, rc) if 400 <= x < 500]
        if dcode == 354:
            if accepted:
                c.send_slow(body)
            else:
                c.send(".\r\n")
            fcode, _ = c.reply(timeout=300)
            if 400 <= fcode < 500:
                later += accepted
            elif fcode >= 500:
                self.log(ev="bounced", i=i, code=fcode)
            elif accepted:
                self.log(ev="delivered", i=i, rcpts=len(accepted), attempt=item[3])
        elif dcode is not None and 400 <= dcode < 500:
            later += accepted  # the DATA command itself deferred: the accepted recipients wait too
        if later:
            self.requeue(item, later)


# -------------------------------------------------------------------------------------------------- bot ---

HELO_STYLES = {
    "random-word": lambda r, a: "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(5, 10))),
    "ip-literal": lambda r, a: "[%s]" % a,
    "fake-fqdn": lambda r, a: r.choice(["mail.google.com", "yahoo.com", "mx.mail.ru", "outlook.com",
                                        "smtp.%s.net" % "".join(r.choice("abcdefghij") for _ in range(6))]),
    "windows-name": lambda r, a: r.choice(["DESKTOP-", "USER-PC", "WIN-", "HOME-"]) +
    "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7)),
}


def bot_session(plan, h, s, log):
    b = h["bot"]
    src = h["addrs"][s["addr"]]["addr"]
    c = Conn(src, plan["mx"]["addr"], 25, timeout=b["reply_timeout_s"])
    log(ev="open", src=c.src, sport=c.sport, behaviour=s["behaviour"], detail=s.get("abort") or s.get("then") or "")
    state = {"outcome": None}
    try:
        bot_dialogue(plan, h, s, c, state)
        log(ev="end", src=c.src, sport=c.sport, outcome=state["outcome"], codes=c.codes, tls=c.tls)
    except SMTPError as e:
        c.close("fin")
        log(ev="end", src=c.src, sport=c.sport, outcome=state["outcome"] or "error", error=str(e)[:120],
            codes=c.codes, tls=c.tls)
    except Exception as e:  # noqa: BLE001 - a bug here must show in the log, not end the thread silently
        c.close("fin")
        log(ev="end", src=c.src, sport=c.sport, outcome="exception", error=repr(e)[:200], codes=c.codes)


def bot_dialogue(plan, h, s, c, state):
    """One bot connection; sets state['outcome'] and leaves the connection closed (or raises SMTPError)."""
    b = h["bot"]
    r = random.Random(s["seed"])
    beh = s["behaviour"]
    camp = plan["campaigns"][s["campaign"]]
    close = "rst" if s.get("abort_rst") else b["close"]
    helo = HELO_STYLES[b["helo"]](r, c.src)

    def finish(outcome, how):
        state["outcome"] = outcome
        c.close(how)

    c.connect(timeout=b["reply_timeout_s"])
    if beh == "pregreet":
        # an early talker: the greeting is not awaited (and the whole transaction follows unasked)
        c.send(("EHLO " if b["ehlo"] else "HELO ") + helo + "\r\n")
    code, _ = c.reply()
    if code != 220:
        return finish("greeting-%d" % code, "fin")
    if beh == "abort" and s["abort"] == "after-banner":
        return finish("aborted-after-banner", close if close != "quit" else "fin")
    code = c.reply()[0] if beh == "pregreet" else c.ehlo(helo, b["ehlo"])
    if code >= 400:
        return finish("helo-%d" % code, close)
    if b["tls"] and "STARTTLS" in c.ext and beh != "abort":
        if c.starttls() == 220:
            c.ehlo(helo, b["ehlo"])
    if beh == "abort" and s["abort"] == "after-ehlo":
        return finish("aborted-after-ehlo", "quit" if r.random() < 0.5 and close != "rst" else close)
    if beh == "abort" and s["abort"] == "stall":
        time.sleep(r.uniform(8.0, 25.0))
        return finish("aborted-stall", close if close != "quit" else "fin")
    body = mailgen.dot_stuff(mailgen.build(camp, s["from"], s["rcpts"], helo, variant_seed=s["seed"], label="spam"))
    rcpts = s["rcpts"]
    mcode, rc, dcode = None, [], None
    if b["blast"] or beh == "pregreet":
        # pipelined whether or not the server offers PIPELINING, and nothing is read in between
        c.send("".join(x + "\r\n" for x in ["MAIL FROM:<%s>" % s["from"]] + ["RCPT TO:<%s>" % x for x in rcpts]
                       + ["DATA"]))
        mcode = c.reply()[0]
        for _ in rcpts:
            rc.append(c.reply()[0])
            if rc[-1] == 421:
                break
        if not rc or rc[-1] != 421:
            dcode = c.reply()[0]
    else:
        mcode = c.cmd("MAIL FROM:<%s>" % s["from"])[0]
        if mcode == 250:
            for x in rcpts:
                rc.append(c.cmd("RCPT TO:<%s>" % x)[0])
                if rc[-1] == 421:
                    break
            if any(x == 250 for x in rc) and (beh != "dictionary" or s["then"] == "data-if-any"):
                dcode = c.cmd("DATA")[0]
    if any(400 <= x < 500 for x in [mcode] + rc) and not any(x == 250 for x in rc):
        # temporary failure (greylisting, rate or recipient limits): a bot moves on and never comes back
        if dcode == 354:
            c.send(".\r\n")
        return finish("gave-up-4xx", close)
    if beh == "dictionary" and s["then"] != "data-if-any":
        if s["then"] == "rset-quit":
            c.cmd("RSET")
        return finish("harvest-" + s["then"], "fin" if s["then"] == "drop" else "quit")
    if dcode != 354:
        return finish("no-data-%s" % mcode if mcode != 250 else "no-data", close)
    if beh == "abort" and s["abort"] == "mid-data":
        c.send_slow(body, stop_after=int(len(body) * r.uniform(0.1, 0.7)))
        time.sleep(r.uniform(0.0, 2.0))
        return finish("aborted-mid-data", close if close != "quit" else "fin")
    c.send_slow(body)
    fcode = c.reply(timeout=60)[0]
    return finish("data-%d" % fcode, close)


def run_bot(plan, h, t0, end, log):
    threads = []
    for s in h["sessions"]:
        at = t0 + s["t"]
        if at > end - 4:
            break
        sleep_until(at)
        threads = [t for t in threads if t.is_alive()]
        if len(threads) >= 48:  # a bot's own limit on parallel connections
            log(ev="skipped", t=s["t"], reason="too many open connections")
            continue
        t = threading.Thread(target=bot_session, args=(plan, h, s, log), daemon=True)
        t.start()
        threads.append(t)
    while any(t.is_alive() for t in threads) and time.time() < end:
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--t0", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    plan = json.load(open(a.plan))
    h = next(x for x in plan["hosts"] if x["name"] == a.host)
    log = Log(a.log, a.host)
    log(ev="start", kind=h["kind"])
    if h["kind"] == "relay":
        run_relay(plan, h, a.t0, a.end, log)
    elif h["kind"] == "direct":
        Direct(plan, h, a.t0, a.end, log).run()
    else:
        run_bot(plan, h, a.t0, a.end, log)
    log(ev="done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
