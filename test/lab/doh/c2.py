#!/usr/bin/python3
"""Workload carried inside the DNS tunnels: an interactive "shell" and bulk transfers. Stdlib only.

server:  listens on TCP (in the auth namespace: reachable through iodine's tunnel address and through
         dns2tcpd's resource). Protocol, one request at a time per connection:
           "CMD <n>\\n<command line>\\n"   -> n octets of shell-like output (deterministic in the command)
           "GET <n> <seed>\\n"             -> n octets of random.Random(seed) data (download / staging)
           "PUT <n>\\n" + n octets          -> "OK <sha256 hex>\\n" (upload / exfiltration)
client:  follows a schedule from the plan (a list of ops with think times) until its deadline, through the
         tunnel, and writes one JSON line per op (ok, bytes, seconds, sha256 checks) to --log.
"""
import argparse
import hashlib
import json
import random
import socket
import socketserver
import sys
import threading
import time

WORDS = ("drwxr-xr-x root bin etc home var log tmp usr lib share config backup passwd shadow id_rsa known_hosts "
         "total 4096 Nov Dec Jan 12:01 09:44 .bash_history .ssh authorized_keys nginx.conf db.sqlite "
         "uid=0(root) gid=0(root) groups=0(root) Linux x86_64 GNU/Linux inet 10.1.2.3 netmask 255.255.255.0 "
         "tcp LISTEN 0.0.0.0:22 ESTABLISHED python3 sshd cron systemd-journald www-data").split()


def shell_output(cmd, n):
    rng = random.Random(hashlib.sha256(("%s|%d" % (cmd, n)).encode()).digest())
    out = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            raise ConnectionError("closed after %d of %d" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_line(sock):
    buf = bytearray()
    while True:
        c = sock.recv(1)
        if not c:
            raise ConnectionError("closed")
        if c == b"\n":
            return bytes(buf).decode()
        buf += c


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                line = recv_line(s)
                parts = line.split()
                if not parts:
                    continue
                if parts[0] == "CMD":
                    cmd = recv_line(s)
                    s.sendall(shell_output(cmd, int(parts[1])))
                elif parts[0] == "GET":
                    n, seed = int(parts[1]), int(parts[2])
                    s.sendall(random.Random(seed).randbytes(n))
                elif parts[0] == "PUT":
                    data = recv_exact(s, int(parts[1]))
                    s.sendall(("OK %s\n" % hashlib.sha256(data).hexdigest()).encode())
                elif parts[0] == "BYE":
                    return
        except (ConnectionError, OSError, ValueError):
            return


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def client(a):
    sched = json.load(open(a.schedule))
    host, port = a.target.rsplit(":", 1)
    t_end = time.time() + a.deadline
    log = open(a.log, "a")

    def emit(d):
        d["t"] = round(time.time(), 6)
        log.write(json.dumps(d) + "\n")
        log.flush()

    def connect():
        # Wait for the tunnel: connect attempts until it answers (bounded by the deadline).
        while time.time() < t_end:
            try:
                s = socket.create_connection((host, int(port)), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                emit({"op": "connect", "ok": True})
                return s
            except OSError:
                time.sleep(1.0)
        emit({"op": "connect", "ok": False})
        return None

    sock = connect()
    if sock is None:
        return 1
    ops = sched["ops"]
    i = 0
    while time.time() < t_end:
        op = ops[i % len(ops)]
        i += 1
        left = t_end - time.time()
        if left <= 0:
            break
        sock.settimeout(max(1.0, min(left, 180.0)))
        t0 = time.time()
        rec = {"op": op["op"], "i": i - 1}
        try:
            if op["op"] == "cmd":
                # typed one line at a time, as a non-tty reverse shell sends it
                sock.sendall(("CMD %d\n%s\n" % (op["reply"], op["text"])).encode())
                got = recv_exact(sock, op["reply"])
                rec.update(ok=got == shell_output(op["text"], op["reply"]), bytes=len(got))
            elif op["op"] == "get":
                sock.sendall(("GET %d %d\n" % (op["n"], op["seed"])).encode())
                got = recv_exact(sock, op["n"])
                rec.update(ok=got == random.Random(op["seed"]).randbytes(op["n"]), bytes=len(got))
            elif op["op"] == "put":
                data = random.Random(op["seed"]).randbytes(op["n"])
                sock.sendall(("PUT %d\n" % op["n"]).encode())
                sock.sendall(data)
                line = recv_line(sock)
                rec.update(ok=line == "OK " + hashlib.sha256(data).hexdigest(), bytes=len(data))
        except (OSError, ConnectionError) as e:
            rec.update(ok=False, err=repr(e))
        rec["secs"] = round(time.time() - t0, 3)
        emit(rec)
        if not rec["ok"]:
            # the tunnel lost or corrupted data (dns2tcp does, behind resolvers that retry): start a new
            # session, as an operator would
            try:
                sock.close()
            except OSError:
                pass
            sock = connect()
            if sock is None:
                return 0
            continue
        think = op.get("think", 1.0)
        time.sleep(max(0.0, min(think, t_end - time.time())))
    try:
        sock.sendall(b"BYE\n")
        sock.close()
    except OSError:
        pass
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("--listen", default="0.0.0.0:7001")
    c = sub.add_parser("client")
    c.add_argument("--target", required=True)
    c.add_argument("--schedule", required=True)
    c.add_argument("--deadline", type=float, required=True)
    c.add_argument("--log", required=True)
    a = ap.parse_args()
    if a.cmd == "server":
        host, port = a.listen.rsplit(":", 1)
        srv = Server((host, int(port)), Handler)
        srv.serve_forever()
    else:
        return client(a)


if __name__ == "__main__":
    sys.exit(main())
