#!/usr/bin/python3
"""Minimal DoH (RFC 8484) over HTTP/2 client for the lab, on asyncio + python3-h2 (Debian package).

Two users:
  * agent.py (benign "browser-like" client: bursts of A/AAAA/HTTPS lookups on one HTTP/2 connection);
  * `dohlib.py fwd ...`: a local DNS-over-UDP stub on 127.0.0.1:53 that forwards every query over DoH
    (the "pyfwd" proxy; the benign stub scenarios and the tunnel scenarios both use it, like dnsdist).

Connection policy (drawn from the seed, the same distribution in both classes):
  idle_close  seconds without a query after which the client closes the connection itself (0 = never);
  max_age     seconds after which a connection is not reused for new queries (0 = no limit);
  method      "POST" or "GET";  pad  pad queries to a multiple of 128 octets with EDNS(0) padding (RFC 8467);
  zero_id     send DNS ID 0 (RFC 8484 4.1 SHOULD) and restore the caller's ID on the answer;
  streams     most queries in flight on one connection (0 = no limit: one multiplexed HTTP/2 connection, as
              browsers do). With a limit the client keeps a pool and opens another connection when every open
              one is full, as HTTP client libraries with per-connection limits do (one request at a time is
              HTTP/1.1's way); idle pool connections close after idle_close;
  max_queries queries after which a connection takes no new ones and closes once drained (0 = no limit).
"""
import argparse
import asyncio
import base64
import json
import signal
import ssl
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33,
          "HTTPS": 65, "SVCB": 64}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            b = label.encode()
            out += bytes([len(b)]) + b
    return out + b"\x00"


def opt_rr(udp_size=1232, pad_to=0, base_len=0, do=False):
    """EDNS(0) OPT RR; with pad_to, a padding option so that base_len + len(rr) is a multiple of pad_to."""
    fixed = 11
    ttl = 0x8000 if do else 0
    if not pad_to:
        return struct.pack("!BHHIH", 0, 41, udp_size, ttl, 0)
    cur = base_len + fixed + 4
    padlen = (-cur) % pad_to
    opt = struct.pack("!HH", 12, padlen) + b"\x00" * padlen
    return struct.pack("!BHHIH", 0, 41, udp_size, ttl, len(opt)) + opt


def build_query(name, qtype, qid=0, rd=True, edns=True, pad_to=0, udp_size=1232):
    qt = QTYPES.get(qtype, qtype) if isinstance(qtype, str) else qtype
    hdr = struct.pack("!HHHHHH", qid, 0x0100 if rd else 0, 1, 0, 0, 1 if edns else 0)
    q = encode_name(name) + struct.pack("!HH", qt, 1)
    msg = hdr + q
    if edns:
        msg += opt_rr(udp_size, pad_to, len(msg))
    return msg


def repad(wire, pad_to):
    """Add EDNS(0) padding to a query that has no OPT RR, or whose OPT RR is the last 11 octets with no
    options (the usual shape); leave anything else alone."""
    if len(wire) < 12 or not pad_to:
        return wire
    arcount = struct.unpack("!H", wire[10:12])[0]
    if arcount == 0:
        body = wire[:10] + b"\x00\x01" + wire[12:]
        return body + opt_rr(1232, pad_to, len(body))
    if (arcount == 1 and len(wire) >= 23 and wire[-11] == 0 and wire[-10:-8] == b"\x00\x29"
            and wire[-2:] == b"\x00\x00"):
        udp_size, ttl = struct.unpack("!HI", wire[-8:-2])
        body = wire[:-11]
        return body + opt_rr(udp_size, pad_to, len(body), do=bool(ttl & 0x8000))
    return wire


def rcode_of(wire):
    return wire[3] & 0x0F if len(wire) >= 4 else -1


class DoHError(Exception):
    pass


class _Conn:
    def __init__(self, reader, writer, h2c):
        self.reader, self.writer, self.h2 = reader, writer, h2c
        self.pending = {}  # stream id -> [future, status, bytearray]
        self.closed = False
        self.born = time.monotonic()
        self.last_use = self.born
        self.task = None
        self.used = 0
        self.retired = False


class DoHClient:
    def __init__(self, server, port=443, sni="doh.lab.test", path="/dns-query", cafile=None, method="POST",
                 pad=True, zero_id=True, idle_close=0.0, max_age=0.0, timeout=5.0, log=None, streams=0,
                 max_queries=0):
        self.server, self.port, self.sni, self.path = server, port, sni, path
        self.method, self.pad, self.zero_id = method.upper(), pad, zero_id
        self.idle_close, self.max_age, self.timeout = idle_close, max_age, timeout
        self.streams, self.max_queries = streams, max_queries
        self.pool = []  # open connections taking new queries (one, unless streams limits them)
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.ctx.set_alpn_protocols(["h2"])
        self.lock = asyncio.Lock()
        self.log = log
        self.stats = {"connections": 0, "queries": 0, "answers": 0, "errors": 0}

    def _emit(self, **kw):
        if self.log:
            self.log(kw)

    async def _connect(self):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.server, self.port, ssl=self.ctx, server_hostname=self.sni),
            self.timeout)
        ssl_obj = writer.get_extra_info("ssl_object")
        if ssl_obj is None or ssl_obj.selected_alpn_protocol() != "h2":
            writer.close()
            raise DoHError("server did not negotiate h2")
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        h2c = h2.connection.H2Connection(config=cfg)
        h2c.initiate_connection()
        writer.write(h2c.data_to_send())
        c = _Conn(reader, writer, h2c)
        c.task = asyncio.ensure_future(self._read_loop(c))
        self.stats["connections"] += 1
        self._emit(ev="connect", local=writer.get_extra_info("sockname"))
        return c

    async def _read_loop(self, c):
        try:
            while True:
                data = await c.reader.read(65536)
                if not data:
                    break
                events = c.h2.receive_data(data)
                for ev in events:
                    if isinstance(ev, h2.events.ResponseReceived):
                        st = c.pending.get(ev.stream_id)
                        if st:
                            for k, v in ev.headers:
                                if k == ":status":
                                    st[1] = int(v)
                    elif isinstance(ev, h2.events.DataReceived):
                        st = c.pending.get(ev.stream_id)
                        if st:
                            st[2] += ev.data
                        c.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        st = c.pending.pop(ev.stream_id, None)
                        if st and not st[0].done():
                            if st[1] == 200:
                                st[0].set_result(bytes(st[2]))
                            else:
                                st[0].set_exception(DoHError("HTTP status %s" % st[1]))
                    elif isinstance(ev, h2.events.StreamReset):
                        st = c.pending.pop(ev.stream_id, None)
                        if st and not st[0].done():
                            st[0].set_exception(DoHError("stream reset"))
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        c.closed = True
                out = c.h2.data_to_send()
                if out:
                    c.writer.write(out)
                if c.closed:
                    break
        except Exception as e:  # noqa: BLE001 - any transport error ends this connection
            self._emit(ev="read_error", err=repr(e))
        finally:
            c.closed = True
            for st in c.pending.values():
                if not st[0].done():
                    st[0].set_exception(DoHError("connection closed"))
            c.pending.clear()
            try:
                c.writer.close()
            except Exception:  # noqa: BLE001
                pass
            self._emit(ev="closed")

    def _retire(self, c, why):
        """No new queries on c; it closes once its queries are answered."""
        if c in self.pool:
            self.pool.remove(c)
        if not c.closed and not c.retired:
            c.retired = True
            self._emit(ev=why)
            asyncio.ensure_future(self._drain_close(c))

    async def _get_conn(self):
        async with self.lock:
            now = time.monotonic()
            for c in list(self.pool):
                if c.closed:
                    self.pool.remove(c)
                elif self.max_age and now - c.born > self.max_age:
                    self._retire(c, "max_age")
                elif self.max_queries and c.used >= self.max_queries:
                    self._retire(c, "max_queries")
            for c in self.pool:
                if not self.streams or len(c.pending) < self.streams:
                    break
            else:
                c = await self._connect()
                self.pool.append(c)
                if self.idle_close:
                    asyncio.ensure_future(self._idle_watch(c))
            c.used += 1
            return c

    async def _close_conn(self, c):
        if c in self.pool:
            self.pool.remove(c)
        if c.closed:
            return
        c.closed = True
        try:
            c.h2.close_connection()
            c.writer.write(c.h2.data_to_send())
            await c.writer.drain()
            c.writer.close()
        except Exception:  # noqa: BLE001
            pass

    async def _drain_close(self, c, limit=10.0):
        t_end = time.monotonic() + limit
        while c.pending and not c.closed and time.monotonic() < t_end:
            await asyncio.sleep(0.1)
        await self._close_conn(c)

    async def _idle_watch(self, c):
        while not c.closed:
            wait = c.last_use + self.idle_close - time.monotonic()
            if wait <= 0 and not c.pending:
                self._emit(ev="idle_close")
                await self._close_conn(c)
                return
            await asyncio.sleep(max(wait, 0.05))

    async def query(self, wire):
        """Send one DNS message (wire format), return the answer (wire format). A query that times out is
        cancelled (RST_STREAM) and fails; the connection stays. A query whose connection died is retried
        once on a new connection."""
        orig_id = wire[:2]
        if self.zero_id:
            wire = b"\x00\x00" + wire[2:]
        if self.pad:
            wire = repad(wire, 128)
        self.stats["queries"] += 1
        for attempt in range(2):
            c = sid = None
            try:
                c = await self._get_conn()
                sid = c.h2.get_next_available_stream_id()
                fut = asyncio.get_event_loop().create_future()
                c.pending[sid] = [fut, None, bytearray()]
                if self.method == "GET":
                    q = base64.urlsafe_b64encode(wire).rstrip(b"=").decode()
                    hdrs = [(":method", "GET"), (":scheme", "https"), (":authority", self.sni),
                            (":path", "%s?dns=%s" % (self.path, q)), ("accept", "application/dns-message")]
                    c.h2.send_headers(sid, hdrs, end_stream=True)
                else:
                    hdrs = [(":method", "POST"), (":scheme", "https"), (":authority", self.sni),
                            (":path", self.path), ("accept", "application/dns-message"),
                            ("content-type", "application/dns-message"), ("content-length", str(len(wire)))]
                    c.h2.send_headers(sid, hdrs)
                    c.h2.send_data(sid, wire, end_stream=True)
                c.writer.write(c.h2.data_to_send())
                c.last_use = time.monotonic()
                ans = await asyncio.wait_for(fut, self.timeout)
                c.last_use = time.monotonic()
                self.stats["answers"] += 1
                return orig_id + ans[2:]
            except asyncio.TimeoutError:
                self._emit(ev="query_timeout")
                self.stats["errors"] += 1
                if c is not None and not c.closed and sid is not None:
                    c.pending.pop(sid, None)
                    try:
                        c.h2.reset_stream(sid, 8)  # CANCEL
                        c.writer.write(c.h2.data_to_send())
                    except Exception:  # noqa: BLE001
                        pass
                raise
            except (DoHError, OSError, ssl.SSLError, h2.exceptions.ProtocolError) as e:
                self._emit(ev="query_error", err=repr(e), attempt=attempt)
                if attempt == 1:
                    self.stats["errors"] += 1
                    raise
        raise DoHError("unreachable")

    async def close(self):
        for c in list(self.pool):
            await self._close_conn(c)


class _UDPStub(asyncio.DatagramProtocol):
    def __init__(self, client, log):
        self.client, self.log = client, log
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        asyncio.ensure_future(self._handle(data, addr))

    async def _handle(self, data, addr):
        try:
            ans = await self.client.query(data)
            self.transport.sendto(ans, addr)
        except Exception as e:  # noqa: BLE001 - SERVFAIL-by-silence, as a stub would
            self.log({"ev": "fwd_fail", "err": repr(e)})


def main():
    ap = argparse.ArgumentParser(description="DNS-over-UDP to DoH forwarder (pyfwd)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fwd")
    f.add_argument("--listen", default="127.0.0.1:53")
    f.add_argument("--server", required=True)
    f.add_argument("--sni", default="doh.lab.test")
    f.add_argument("--cafile", required=True)
    f.add_argument("--policy", required=True, help="JSON: method, pad, zero_id, idle_close, max_age, streams, max_queries")
    f.add_argument("--log")
    f.add_argument("--deadline", type=float, default=0, help="exit after this many seconds")
    a = ap.parse_args()
    pol = json.loads(a.policy)
    logf = open(a.log, "a") if a.log else None

    def log(d):
        if logf:
            d["t"] = round(time.time(), 6)
            logf.write(json.dumps(d) + "\n")
            logf.flush()

    async def run():
        client = DoHClient(a.server, sni=a.sni, cafile=a.cafile, method=pol.get("method", "POST"),
                           pad=pol.get("pad", True), zero_id=pol.get("zero_id", True),
                           idle_close=pol.get("idle_close", 0), max_age=pol.get("max_age", 0),
                           timeout=pol.get("timeout", 5.0), log=log, streams=pol.get("streams", 0),
                           max_queries=pol.get("max_queries", 0))
        host, port = a.listen.rsplit(":", 1)
        loop = asyncio.get_event_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _UDPStub(client, log),
                                                           local_addr=(host, int(port)))
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        if a.deadline:
            loop.call_later(a.deadline, stop.set)
        log({"ev": "ready"})
        await stop.wait()
        transport.close()
        await client.close()
        log({"ev": "stats", **client.stats})

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
