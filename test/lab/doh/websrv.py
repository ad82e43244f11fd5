#!/usr/bin/python3
"""Lab web server (auth namespace, every lab web address, port 80): pages and sub-resources whose sizes are
a deterministic function of host and path, so curl's page loads interleave DoH lookups with real fetches."""
import argparse
import hashlib
import http.server
import socketserver
import sys
import time


PLAN = {}


def browser_page(client, i):
    """/fx/<client>/<i>: the i-th page of a browser client's schedule: its sub-resources on other lab hosts,
    and a meta refresh to the next page after the planned think time."""
    cl = PLAN.get(client)
    if cl is None:
        return None
    pages = [e for e in cl["events"] if e["kind"] == "page"]
    if i >= len(pages):
        return b"<!doctype html><title>end</title>done"
    ev = pages[i]
    parts = ["<!doctype html><html><head><title>%s</title>" % ev["main"]]
    if i + 1 < len(pages):
        wait = max(0.5, pages[i + 1]["t"] - ev["t"])
        nxt = "//%s/fx/%s/%d" % (pages[i + 1]["main"], client, i + 1)
        parts.append('<meta http-equiv="refresh" content="%.1f; url=%s">' % (wait + 2.0, nxt))
        parts.append('<script>setTimeout(function(){window.location.href="%s";}, %d);</script>'
                     % (nxt, int(wait * 1000)))
    for k, sub in enumerate(ev["subs"]):
        if k % 3 == 0:
            parts.append('<script src="//%s/js/%d.js"></script>' % (sub, k))
        elif k % 3 == 1:
            parts.append('<link rel="stylesheet" href="//%s/css/%d.css">' % (sub, k))
    parts.append("</head><body><h1>%s</h1>" % ev["main"])
    for k, sub in enumerate(ev["subs"]):
        if k % 3 == 2:
            parts.append('<img src="//%s/img/%d.png" width="10" height="10">' % (sub, k))
    parts.append("<p>" + "lorem ipsum " * 200 + "</p></body></html>")
    return "".join(parts).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/fx/"):
            try:
                _, _, client, idx = self.path.split("/")[:4]
                body = browser_page(client, int(idx))
            except (ValueError, KeyError):
                body = None
            sys.stdout.write("%.3f fx %s\n" % (time.time(), self.path))
            sys.stdout.flush()
            if body is not None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        ctype = {"js": "application/javascript", "css": "text/css", "png": "image/png"}.get(
            self.path.rsplit(".", 1)[-1], "text/html" if self.path == "/" else "application/octet-stream")
        key = ("%s%s" % (self.headers.get("Host", ""), self.path)).encode()
        h = int.from_bytes(hashlib.sha256(key).digest()[:4], "big")
        n = 300 + h % (60000 if self.path == "/" else 150000)
        body = (b"<!doctype html><title>lab</title>" + b"x" * n)[:n]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--plan")
    ap.add_argument("--tls-port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    if a.plan:
        import json
        PLAN.update({c["name"]: c for c in json.load(open(a.plan))["clients"] if c["tool"] == "firefox"})
    if a.tls_port:
        import ssl
        import threading
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
        tls = S(("0.0.0.0", a.tls_port), H)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
    S(("0.0.0.0", a.port), H).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
