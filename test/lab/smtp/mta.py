#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Configuration and start-up of the lab's Postfix instances (the receiving MX, one relay per ISP host) and of
postgrey, all from the plan. Each instance has its own config, queue and data directory and log file under the
run's work directory; nothing under /etc is read for configuration or changed. Stdlib only."""
import os
import pwd
import shutil

from netlab import NS_MX
from plan import MX_ADDR

# The services every instance needs (chroot off: the queue lives in the run's temporary directory).
MASTER_COMMON = """pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

BASE = """compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
delay_warning_time = 0
"""


def instance_dir(work, name):
    d = os.path.join(work, "postfix", name)
    for sub in ("etc", "spool", "data"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    pw = pwd.getpwnam("postfix")
    os.chown(os.path.join(d, "data"), pw.pw_uid, pw.pw_gid)
    return d


def write_mx(net, plan):
    """The receiving site's MTA; README.md, "Site A and site B", explains each setting."""
    mx, work = plan["mx"], net.work
    d = instance_dir(work, "mx")
    etc = os.path.join(d, "etc")
    with open(os.path.join(etc, "users"), "w") as f:
        f.write("".join("%s ok\n" % u for u in mx["users"]))
    rcpt = ["permit_mynetworks", "reject_unauth_destination", "reject_unlisted_recipient"]
    if mx["full_mailboxes"]:
        with open(os.path.join(etc, "full"), "w") as f:
            f.write("".join("%s 452 4.2.2 Mailbox full, try again later\n" % u for u in mx["full_mailboxes"]))
        rcpt.append("check_recipient_access texthash:%s/full" % etc)
    if mx["greylist"]:
        rcpt.append("check_policy_service inet:127.0.0.1:10023")
    with open(os.path.join(etc, "listed.cidr"), "w") as f:
        f.write("# the 'listed' client range (known static senders)\n%s OK\n" % plan["addresses"]["listed"])
    cf = BASE.format(d=d) + """myhostname = mx.{dom}
mydomain = {dom}
mydestination =
inet_interfaces = {addr}
virtual_mailbox_domains = {doms}
virtual_mailbox_maps = texthash:{etc}/users
virtual_transport = discard:
local_transport = discard:
smtpd_banner = $myhostname ESMTP
smtpd_client_port_logging = yes
message_size_limit = {size}
smtpd_recipient_limit = {rlimit}
smtpd_hard_error_limit = {hard}
smtpd_soft_error_limit = {soft}
smtpd_error_sleep_time = 1s
default_process_limit = 200
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = {rcpt}
""".format(dom=mx["domains"][0], addr=MX_ADDR, doms=" ".join(mx["domains"]), etc=etc,
           size=mx["message_size_limit"], rlimit=mx["recipient_limit"], hard=mx["hard_error_limit"],
           soft=mx["soft_error_limit"], rcpt=", ".join(rcpt))
    if mx["tls"]:
        key = os.path.join(etc, "mx.key")
        crt = os.path.join(etc, "mx.pem")
        newkey = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if mx["tls_key"] == "ec256"
                  else ["-newkey", "rsa:2048"])
        net.sh("openssl", "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", crt, "-days", "7",
               "-subj", "/CN=mx.%s" % mx["domains"][0])
        cf += ("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n"
               "smtpd_tls_loglevel = 1\n" % (crt, key))
    else:
        cf += "smtpd_tls_security_level = none\n"
    if mx["banner_delay_s"] or mx["pipelining_check"]:
        # `sleep` in the client restrictions with smtpd_delay_reject=no pauses before the greeting; together
        # with reject_unauth_pipelining it catches clients that talk first (postconf(5), "sleep")
        steps = (["sleep %d" % mx["banner_delay_s"]] if mx["banner_delay_s"] else []) + \
            (["reject_unauth_pipelining"] if mx["pipelining_check"] else [])
        cf += "smtpd_delay_reject = no\nsmtpd_client_restrictions = %s\n" % ", ".join(steps)
        if mx["pipelining_check"]:
            cf += "smtpd_data_restrictions = reject_unauth_pipelining\n"
    if mx["rate_limit_per_min"]:
        cf += ("anvil_rate_time_unit = 60s\nsmtpd_client_connection_rate_limit = %d\n"
               "smtpd_client_event_limit_exceptions = $mynetworks, cidr:%s/listed.cidr\n"
               % (mx["rate_limit_per_min"], etc))
        cf += "smtpd_timeout = 60s\n"
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(cf)
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write("smtp      inet  n       -       n       -       -       smtpd\n" + MASTER_COMMON)
    return d


def write_relay(net, plan, h):
    """A sending ISP's MTA: accepts the host's submissions on 127.0.0.1:25 and relays them to the MX."""
    m = h["mta"]
    d = instance_dir(net.work, h["name"])
    etc = os.path.join(d, "etc")
    with open(os.path.join(etc, "transport"), "w") as f:
        f.write("".join("%s smtp:[%s]:25\n" % (dom, MX_ADDR) for dom in plan["mx"]["domains"]))
    cf = BASE.format(d=d) + """myhostname = {helo}
mydomain = {isp}
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
local_transport = discard:
inet_interfaces = 127.0.0.1
transport_maps = texthash:{etc}/transport
smtp_bind_address = {addr}
smtp_helo_name = {helo}
smtp_tls_security_level = may
smtp_tls_loglevel = 1
minimal_backoff_time = {minb}s
maximal_backoff_time = {maxb}s
queue_run_delay = {qrd}s
smtp_destination_concurrency_limit = {conc}
smtp_connection_cache_on_demand = {cache}
bounce_queue_lifetime = 1h
maximal_queue_lifetime = 1h
""".format(helo=m["helo"], isp=h["isp_domain"], etc=etc, addr=h["addrs"][0]["addr"],
           minb=m["minimal_backoff_s"], maxb=m["maximal_backoff_s"], qrd=m["queue_run_delay_s"],
           conc=m["concurrency"], cache="yes" if m["cache_on_demand"] else "no")
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(cf)
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write("127.0.0.1:smtp inet n   -       n       -       -       smtpd\n" + MASTER_COMMON)
    return d


def start_postfix(net, ns, d, name):
    """`postfix check` creates the queue directories; `start-fg` keeps master's parent under our control."""
    net.sh("postfix", "-c", os.path.join(d, "etc"), "check", ns=ns)
    return net.spawn("postfix-" + name, ns, ["postfix", "-c", os.path.join(d, "etc"), "start-fg"])


def stop_postfix(net, ns, d):
    net.sh("postfix", "-c", os.path.join(d, "etc"), "stop", ns=ns, check=False)


def start_postgrey(net, plan):
    d = os.path.join(net.work, "postgrey")
    os.makedirs(d, exist_ok=True)
    pw = pwd.getpwnam("postgrey")
    os.chown(d, pw.pw_uid, pw.pw_gid)
    wl = os.path.join(d, "whitelist_clients")
    with open(wl, "w") as f:
        f.write("# the site's 'listed' range: known static senders are not greylisted\n%s\n"
                % plan["addresses"]["listed"])
    wr = os.path.join(d, "whitelist_recipients")
    with open(wr, "w") as f:
        f.write("postmaster@\nabuse@\n")
    return net.spawn("postgrey", NS_MX, ["postgrey", "--inet=127.0.0.1:10023",
                                         "--delay=%d" % plan["mx"]["greylist_delay_s"], "--dbdir=" + d,
                                         "--whitelist-clients=" + wl, "--whitelist-recipients=" + wr,
                                         "--auto-whitelist-clients=5", "--max-age=1",
                                         "--greylist-text=Greylisted, please try again later"])


def copy_logs(work, out):
    """Every instance's maillog into OUT/logs/postfix-<name>.log."""
    base = os.path.join(work, "postfix")
    if not os.path.isdir(base):
        return
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    for name in sorted(os.listdir(base)):
        src = os.path.join(base, name, "maillog")
        if os.path.exists(src):
            shutil.copy(src, os.path.join(out, "logs", "postfix-%s.log" % name))
