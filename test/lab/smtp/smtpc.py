#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small SMTP client connection (RFC 5321) with the knobs the lab's clients need: a chosen source address,
raw writes (pipelining with or without the server's consent, talking before the greeting), STARTTLS, and
three ways to end a connection (QUIT, FIN, RST). Stdlib only."""
import socket
import ssl
import struct
import time


class SMTPError(Exception):
    """The peer closed the connection or did not answer in time."""


class Conn:
    def __init__(self, src, dst, port=25, timeout=30.0):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((src, 0))
        self.src, self.sport = self.sock.getsockname()
        self.dst, self.dport = dst, port
        self.buf = b""
        self.tls = False
        self.closed = False
        self.ext = {}
        self.codes = []  # every reply code, in order

    def connect(self, timeout=None):
        self.sock.settimeout(timeout or self.timeout)
        try:
            self.sock.connect((self.dst, self.dport))
        except OSError as e:
            raise SMTPError("connect: %s" % e)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise SMTPError("send: %s" % e)

    def send_slow(self, data, chunk=16384, stop_after=None):
        """Writes data in chunks; stops (returns False) after stop_after bytes, for an aborted transfer."""
        sent = 0
        while sent < len(data):
            n = min(chunk, len(data) - sent)
            if stop_after is not None and sent + n > stop_after:
                n = max(0, stop_after - sent)
                if n:
                    self.send(data[sent:sent + n])
                return False
            self.send(data[sent:sent + n])
            sent += n
        return True

    def _line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SMTPError("timeout")
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLError, OSError) as e:
                raise SMTPError("recv: %s" % e)
            if not d:
                raise SMTPError("closed by server")
            self.buf += d
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def reply(self, timeout=None):
        """One (possibly multi-line) reply: (code, [texts])."""
        deadline = time.monotonic() + (timeout or self.timeout)
        texts = []
        while True:
            line = self._line(deadline)
            if len(line) < 3 or not line[:3].isdigit():
                raise SMTPError("bad reply %r" % line[:40])
            texts.append(line[4:])
            if len(line) == 3 or line[3] != "-":
                code = int(line[:3])
                self.codes.append(code)
                return code, texts

    def cmd(self, line, timeout=None):
        self.send(line + "\r\n")
        return self.reply(timeout)

    def ehlo(self, name, use_ehlo=True):
        code, texts = self.cmd(("EHLO " if use_ehlo else "HELO ") + name)
        self.ext = {}
        if use_ehlo and code == 250:
            for t in texts[1:]:
                k, _, v = t.partition(" ")
                self.ext[k.upper()] = v
        return code

    def starttls(self):
        code, _ = self.cmd("STARTTLS")
        if code != 220:
            return code
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the lab's MX has a throw-away self-signed certificate
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=None)
        except (ssl.SSLError, OSError) as e:
            raise SMTPError("tls: %s" % e)
        self.buf = b""
        self.tls = True
        return code

    def close(self, how="fin"):
        """how: 'quit' (QUIT, wait for 221, close), 'fin' (close), 'rst' (SO_LINGER 0: the kernel sends RST)."""
        if self.closed:
            return
        self.closed = True
        try:
            if how == "quit":
                try:
                    self.cmd("QUIT", timeout=min(10.0, self.timeout))
                except SMTPError:
                    pass
            if how == "rst":
                raw = self.sock
                if isinstance(raw, ssl.SSLSocket):
                    raw = socket.socket(fileno=raw.detach())
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                raw.close()
                return
            self.sock.close()
        except OSError:
            pass
