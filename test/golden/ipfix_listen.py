#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A minimal IPFIX collector on loopback for the tests: stores what arrives, as an IPFIX file.

Usage: ipfix_listen.py udp|tcp PORT_FILE OUT [--idle S] [--max S] [--port N] [--until FILE]
Binds 127.0.0.1 on a free port (or on --port N) and writes the port number to PORT_FILE. UDP: every
datagram is one IPFIX message (RFC 7011 section 10.3.2), appended to OUT; the listener stops once
nothing has arrived for --idle seconds after the first datagram. TCP: accepts one connection and
appends the stream to OUT until the exporter closes it, or until FILE exists (--until: the listener
then closes the connection itself, as a collector that stops). Either way it gives up after --max
seconds.
"""
import os
import socket
import sys
import time


def main():
    kind, port_file, out = sys.argv[1:4]
    idle = float(sys.argv[sys.argv.index("--idle") + 1]) if "--idle" in sys.argv else 2.0
    limit = float(sys.argv[sys.argv.index("--max") + 1]) if "--max" in sys.argv else 60.0
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    until = sys.argv[sys.argv.index("--until") + 1] if "--until" in sys.argv else None
    deadline = time.monotonic() + limit
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    # a second listener on the port of one that stopped (its connection may be in TIME_WAIT)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    if kind == "tcp":
        s.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    # Renamed into place, so that the test never reads half a number.
    os.rename(port_file + ".tmp", port_file)
    got = 0
    with open(out, "wb") as f:
        if kind == "udp":
            last = None
            while time.monotonic() < deadline:
                wait = idle if last is not None else deadline - time.monotonic()
                s.settimeout(max(0.05, min(wait, deadline - time.monotonic())))
                try:
                    msg = s.recv(65535)
                except socket.timeout:
                    if last is not None:
                        break
                    continue
                f.write(msg)
                got += 1
                last = time.monotonic()
        else:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                conn, _ = s.accept()
            except socket.timeout:
                conn = None
            while conn is not None and time.monotonic() < deadline:
                if until is not None and os.path.exists(until):
                    break
                step = 0.1 if until is not None else deadline - time.monotonic()
                conn.settimeout(max(0.05, min(step, deadline - time.monotonic())))
                try:
                    b = conn.recv(65536)
                except socket.timeout:
                    if until is not None:
                        continue
                    break
                if not b:
                    break
                f.write(b)
                got += 1
            if conn is not None:
                conn.close()
    print("ipfix_listen: %s: %d %s" % (kind, got, "datagrams" if kind == "udp" else "reads"))
    return 0 if got > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
