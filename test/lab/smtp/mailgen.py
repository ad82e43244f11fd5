#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Builds the bytes of one message (RFC 5322 + MIME, base64 attachments) from a plan's size specification.

The content is a deterministic function of the specification's seed (plus the sender, the recipients and, for
spam, a per-message seed): the same plan sends the same text and attachments. Only the Date header and the
Message-ID's time part follow the clock. Stdlib only.
"""
import base64
import random
import time

from plan import FIRST, LAST, SPAM_WORDS, WORDS

MIME = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "zip": "application/zip",
        "doc": "application/msword", "inline-jpg": "image/jpeg",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def prose(r, n, words=WORDS):
    """About n bytes of sentences wrapped at 72 columns."""
    out, line, size = [], [], 0
    sentence = 0
    while size < n:
        if sentence == 0:
            sentence = r.randint(6, 18)
            w = r.choice(words).capitalize()
        else:
            w = r.choice(words)
        sentence -= 1
        if sentence == 0:
            w += r.choice([".", ".", ".", "?", "!"])
        elif r.random() < 0.08:
            w += ","
        line.append(w)
        size += len(w) + 1
        if sum(len(x) + 1 for x in line) > 68:
            out.append(" ".join(line))
            line = []
            if r.random() < 0.15:
                out.append("")
    if line:
        out.append(" ".join(line))
    return "\r\n".join(out) + "\r\n"


def html_of(text, r, extra=0):
    paras = [p for p in text.split("\r\n\r\n") if p.strip()]
    body = "".join("<p style=\"margin:0 0 12px 0;font-family:Arial,sans-serif\">%s</p>\r\n"
                   % p.replace("\r\n", " ") for p in paras)
    pad = ""
    while len(pad) < extra:
        pad += "<tr><td class=\"c%d\" style=\"padding:8px\">%s</td></tr>\r\n" % (r.randrange(99),
                                                                               r.choice(WORDS))
    return ("<html><head><meta charset=\"utf-8\"></head><body>\r\n<table width=\"100%%\">%s</table>\r\n%s"
            "</body></html>\r\n" % (pad, body))


def b64_lines(data):
    enc = base64.b64encode(data).decode()
    return "\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\r\n"


def attachment_bytes(r, spec):
    """Incompressible bytes like real PDFs, JPEGs and archives, with a format's magic number."""
    magic = {"pdf": b"%PDF-1.7\n", "jpg": b"\xff\xd8\xff\xe0", "inline-jpg": b"\xff\xd8\xff\xe0",
             "png": b"\x89PNG\r\n\x1a\n", "zip": b"PK\x03\x04", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04",
             "doc": b"\xd0\xcf\x11\xe0"}.get(spec["type"], b"")
    n = max(0, spec["bytes"] - len(magic))
    return magic + r.getrandbits(8 * n).to_bytes(n, "little") if n else magic


def build(spec, sender, rcpts, host, variant_seed=None, label="ham"):
    """Return the message as bytes with CRLF line ends (without the final '.')."""
    r = random.Random(spec["seed"] if variant_seed is None else "%d|%d" % (spec["seed"], variant_seed))
    rt = random.Random(spec["seed"])  # the template part: the same for every message of a campaign/template
    boundary = "=_%08x%08x" % (r.getrandbits(32), r.getrandbits(32))
    to_hdr = ", ".join(rcpts[:3]) + (", undisclosed-recipients:;" if len(rcpts) > 3 else "")
    if label == "spam":
        subject = " ".join(rt.choice(SPAM_WORDS) for _ in range(rt.randint(3, 7))).capitalize()
        if r.random() < 0.5:
            subject += " %d" % r.randrange(1000, 99999)  # hash-busting
        text = prose(rt, spec["text"], SPAM_WORDS + WORDS)
        text = "Dear %s,\r\n\r\n%s\r\nhttp://%s-%s.invalid/%x\r\n" % (
            r.choice(FIRST).capitalize(), text, rt.choice(SPAM_WORDS), rt.choice(SPAM_WORDS), r.getrandbits(40))
    else:
        kind = spec.get("kind")
        tpl = random.Random("%d|tpl" % spec.get("template", 0)) if kind in ("notification", "list") else r
        subject = " ".join(tpl.choice(WORDS) for _ in range(tpl.randint(2, 6))).capitalize()
        if kind == "notification":
            subject += " #%d" % r.randrange(10000, 999999)
        if spec.get("reply"):
            subject = "Re: " + subject
        text = "Hi %s,\r\n\r\n%s\r\n%s\r\n%s %s\r\n" % (rcpts[0].split("@")[0].split(".")[0].capitalize(),
                                                          prose(r, spec["text"]), r.choice(["Regards", "Best",
                                                                                           "Thanks", "Cheers"]),
                                                          r.choice(FIRST).capitalize(), r.choice(LAST).capitalize())
        if spec.get("reply"):
            quoted = prose(r, int(spec["text"] * r.uniform(0.5, 2.0)))
            text += "\r\nOn %s, %s wrote:\r\n" % (r.choice(["Monday", "Tuesday", "Friday"]), rcpts[0]) + \
                "".join("> " + ln + "\r\n" for ln in quoted.split("\r\n") if ln)
    now = time.time()
    hdr = ["From: %s" % sender, "To: %s" % to_hdr, "Subject: %s" % subject,
           "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(now)),
           "Message-ID: <%x.%x@%s>" % (int(now * 1000), r.getrandbits(48), host), "MIME-Version: 1.0"]
    if label == "spam" and r.random() < 0.5:
        hdr.append("X-Mailer: %s" % rt.choice(["Microsoft Outlook Express 6.00.2900.2180", "The Bat! (v3.5)",
                                               "Foxmail 6, 13, 102, 15 [cn]"]))
    alt = None
    if spec.get("html"):
        alt_b = boundary + "a"
        html = html_of(text, r, extra=int(len(text) * 1.2))
        alt = ("Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n--%s\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n--%s\r\n"
               "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n--%s--\r\n"
               % (alt_b, alt_b, text, alt_b, html, alt_b))
    atts = spec.get("attachments", [])
    if not atts:
        if alt:
            return ("\r\n".join(hdr) + "\r\n" + alt).encode()
        return ("\r\n".join(hdr + ["Content-Type: text/plain; charset=utf-8",
                                   "Content-Transfer-Encoding: 8bit"]) + "\r\n\r\n" + text).encode()
    parts = [alt if alt else "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             + text]
    for i, a in enumerate(atts):
        ar = random.Random("%d|att|%d" % (spec["seed"], i))  # spam: the campaign's attachment is identical
        data = attachment_bytes(ar, a)
        ext = "jpg" if a["type"] == "inline-jpg" else a["type"]
        fname = "%s_%d.%s" % (ar.choice(WORDS), ar.randrange(100, 9999), ext)
        disp = "inline" if a["type"].startswith("inline") else "attachment"
        parts.append("Content-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n"
                     "Content-Disposition: %s; filename=\"%s\"\r\n\r\n%s" % (MIME[a["type"]], fname, disp, fname,
                                                                              b64_lines(data)))
    body = "".join("--%s\r\n%s\r\n" % (boundary, p) for p in parts) + "--%s--\r\n" % boundary
    hdr.append("Content-Type: multipart/mixed; boundary=\"%s\"" % boundary)
    return ("\r\n".join(hdr) + "\r\n\r\n" + body).encode()


def dot_stuff(data):
    """SMTP transparency (RFC 5321 4.5.2) and the terminating line."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    data = data.replace(b"\r\n.", b"\r\n..")
    if data.startswith(b"."):
        data = b"." + data
    return data + b".\r\n"
