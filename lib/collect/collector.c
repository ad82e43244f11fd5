/* SPDX-License-Identifier: BSD-3-Clause */
/* The collector (flowdx_collect.h): sockets, datagrams and messages to decoders, records out. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"
#include "core/core.h"
#include "core/err.h"
#include "export/ipfix.h"

#define MAX_LISTENERS 16
#define MAX_TCP 64
#define MAX_MESSAGE 65535u
#define MAX_SERVER_PORTS 4096u
#define READS_PER_WAKE 1024        /* datagrams read from one socket before the others' turn */
#define SESSION_IDLE_US 1800000000 /* 30 min: templates of a silent exporter are forgotten */
#define EXPIRE_EVERY_US 60000000
#define LOG_FIRST 10 /* malformed datagrams logged per exporter before only every 1000th is */

struct listener {
    int fd;
    bool tcp;
    uint32_t drops; /* UDP: the socket's drop counter at the last datagram (SO_RXQ_OVFL) */
    char addr[300]; /* "udp://127.0.0.1:4739" */
};

struct conn {
    int fd;
    char name[160]; /* "tcp 192.0.2.1:40000" */
    uint8_t *buf;   /* MAX_MESSAGE bytes */
    size_t used;
};

struct fdx_collector {
    struct fdx_collector_options o;
    uint16_t *ports; /* sorted server ports (owned) */
    struct listener ls[MAX_LISTENERS];
    uint32_t n_ls;
    struct conn conns[MAX_TCP];
    uint32_t n_conns;
    int wake[2]; /* fdx_collector_break() writes, poll() wakes */
    struct fdxi_sessions *sessions;
    struct fdxi_pairer *pairer;
    uint8_t *buf; /* one datagram */
    struct fdx_collector_stats st;
    uint64_t next_expire_us;
    struct fdxi_session *cur;  /* the session whose message is being decoded */
    uint64_t header_malformed; /* datagrams whose header could not be read (no session) */
    uint64_t cur_now_us;
};

void fdx_collector_options_init(struct fdx_collector_options *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->unpaired = FDX_UNPAIRED_ZERO;
    o->pair_wait_us = 5000000;
    o->pair_slack_us = 1000000;
    o->max_pending = 65536;
    o->max_exporters = 1024;
}

/* A message at FDX_LOG_* @p level to the host's log sink (none without one). */
#define say(c, level, ...) fdxi_logf_at((c)->o.log, (c)->o.user, (level), __VA_ARGS__)

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_port(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

int fdx_collector_new(const struct fdx_collector_options *o, fdx_collector **ret, char *errbuf,
                      size_t errlen)
{
    if (o == NULL || ret == NULL || o->struct_size < sizeof(struct fdx_collector_options) ||
        o->on_record == NULL) {
        fdxi_set_err(errbuf, errlen,
                     "collector options: NULL, a struct_size below %zu (call "
                     "fdx_collector_options_init()) or no on_record callback",
                     sizeof(struct fdx_collector_options));
        return FDX_EINVAL;
    }
    if (o->unpaired > FDX_UNPAIRED_UNKNOWN || o->max_pending == 0 || o->max_exporters == 0 ||
        o->n_server_ports > MAX_SERVER_PORTS || (o->n_server_ports > 0 && !o->server_ports)) {
        fdxi_set_err(errbuf, errlen,
                     "collector options: unpaired %u (0 or 1), max_pending %u and max_exporters "
                     "%u (at least 1), %u server ports (at most %u)",
                     o->unpaired, o->max_pending, o->max_exporters, o->n_server_ports,
                     MAX_SERVER_PORTS);
        return FDX_EINVAL;
    }
    fdx_collector *c = calloc(1, sizeof(*c));
    if (c == NULL)
        goto nomem;
    c->o = *o;
    c->wake[0] = c->wake[1] = -1;
    const uint16_t *ports = o->server_ports ? o->server_ports : fdxi_default_server_ports;
    uint32_t n = o->server_ports ? o->n_server_ports : fdxi_n_default_server_ports;
    c->ports = malloc((n ? n : 1) * sizeof(*c->ports));
    c->buf = malloc(MAX_MESSAGE + 1);
    c->sessions = fdxi_sessions_new(o->max_exporters);
    if (c->ports == NULL || c->buf == NULL || c->sessions == NULL)
        goto nomem;
    memcpy(c->ports, ports, n * sizeof(*ports));
    qsort(c->ports, n, sizeof(*c->ports), cmp_port);
    c->o.server_ports = NULL;
    struct fdxi_pairer_config pc = {
        .wait_us = o->pair_wait_us,
        .slack_us = o->pair_slack_us,
        .max_pending = o->max_pending,
        .unpaired = o->unpaired,
        .server_ports = c->ports,
        .n_server_ports = n,
        .emit = o->on_record,
        .user = o->user,
    };
    c->pairer = fdxi_pairer_new(&pc);
    if (c->pairer == NULL)
        goto nomem;
    if (pipe(c->wake) < 0) {
        fdxi_set_err(errbuf, errlen, "collector: pipe: %s", strerror(errno));
        fdx_collector_free(c);
        return FDX_EIO;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(c->wake[i], F_SETFL, O_NONBLOCK);
        fcntl(c->wake[i], F_SETFD, FD_CLOEXEC);
    }
    *ret = c;
    return 0;
nomem:
    fdx_collector_free(c);
    fdxi_set_err(errbuf, errlen, "collector: out of memory");
    return FDX_ENOMEM;
}

static void close_conn(fdx_collector *c, uint32_t i)
{
    close(c->conns[i].fd);
    free(c->conns[i].buf);
    c->conns[i] = c->conns[--c->n_conns];
}

void fdx_collector_free(fdx_collector *c)
{
    if (c == NULL)
        return;
    for (uint32_t i = 0; i < c->n_ls; i++)
        close(c->ls[i].fd);
    while (c->n_conns > 0)
        close_conn(c, c->n_conns - 1);
    for (int i = 0; i < 2; i++) {
        if (c->wake[i] >= 0)
            close(c->wake[i]);
    }
    fdxi_pairer_free(c->pairer);
    fdxi_sessions_free(c->sessions);
    free(c->ports);
    free(c->buf);
    free(c);
}

/* "ADDR:PORT" or "[ADDR]:PORT" of a socket address. */
static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)(const void *)sa;
        port = ntohs(in->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in->sin6_addr)) { /* an IPv4 exporter on a [::] socket */
            inet_ntop(AF_INET, in->sin6_addr.s6_addr + 12, host, sizeof(host));
            snprintf(buf, len, "%s:%u", host, port);
        } else {
            inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof(host));
            snprintf(buf, len, "[%s]:%u", host, port);
        }
    } else {
        snprintf(buf, len, "(unknown address family %d)", sa->sa_family);
    }
}

int fdx_collector_listen(fdx_collector *c, const char *where, char *errbuf, size_t errlen)
{
    struct fdxi_ipfix_dest d;
    int rc = fdxi_ipfix_listen_parse(where, &d, errbuf, errlen);
    if (rc < 0)
        return rc;
    if (c->n_ls == MAX_LISTENERS) {
        fdxi_set_err(errbuf, errlen, "%s: more than %d listening addresses", where, MAX_LISTENERS);
        return FDX_ERANGE;
    }
    bool tcp = d.kind == FDXI_DEST_TCP;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    int g = getaddrinfo(d.host, d.port, &hints, &res);
    if (g != 0) {
        fdxi_set_err(errbuf, errlen, "%s: %s: %s", where, d.host, gai_strerror(g));
        return FDX_ENOENT;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        if (tcp)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        else { /* bursts of export datagrams: a larger receive buffer if the system allows */
            int size = 4 << 20;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
#ifdef SO_RXQ_OVFL
            /* each datagram then carries the count of those dropped for a full buffer */
            setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
#endif
        }
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || (tcp && listen(fd, 16) < 0)) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fdxi_set_err(errbuf, errlen, "%s: cannot listen: %s", where, strerror(err));
        return FDX_EIO;
    }
    struct listener *l = &c->ls[c->n_ls++];
    l->fd = fd;
    l->tcp = tcp;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char at[128] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        addr_text((struct sockaddr *)&ss, at, sizeof(at));
    snprintf(l->addr, sizeof(l->addr), "%s://%s", tcp ? "tcp" : "udp", at);
    return 0;
}

const char *fdx_collector_address(const fdx_collector *c, uint32_t i, char *buf, size_t len)
{
    if (c == NULL || i >= c->n_ls)
        return NULL;
    snprintf(buf, len, "%s", c->ls[i].addr);
    return buf;
}

static const char *version_name(uint16_t v)
{
    return v == 5 ? "NetFlow v5" : v == 9 ? "NetFlow v9" : "IPFIX";
}

/* Whether the @p n-th event of a kind is said: the first LOG_FIRST, then every 1000th. */
static bool worth_saying(uint64_t n)
{
    return n <= LOG_FIRST || n % 1000 == 0;
}

/* The @p n-th skipped datagram of a kind, reported as worth_saying() says; @p later ends the last
 * report before the thinning. */
static void say_skipped(fdx_collector *c, uint64_t n, const char *exporter, uint64_t seq,
                        const char *what, size_t len, const char *why, const char *later)
{
    if (worth_saying(n))
        say(c, FDX_LOG_WARNING, "%s: datagram %llu (%s, %zu byte%s): %s; skipped%s", exporter,
            (unsigned long long)seq, what, len, len == 1 ? "" : "s", why,
            n == LOG_FIRST ? later : "");
}

/* "domain 3", "source id 7" or "engine type 1, id 2" of session @p s, into @p buf. */
static const char *domain_text(const struct fdxi_session *s, char *buf, size_t len)
{
    if (s->version == 5)
        snprintf(buf, len, "engine type %u, id %u", s->domain >> 8, s->domain & 0xffu);
    else
        snprintf(buf, len, "%s %u", s->version == 9 ? "source id" : "domain", s->domain);
    return buf;
}

/* The observation domain (IPFIX), source id (v9), or engine type and id (v5) of a message whose
 * header passed header_check(). */
static uint32_t msg_domain(const uint8_t *m, uint16_t version)
{
    if (version == 5)
        return fdxi_be16(m + 20);
    return fdxi_be32(m + (version == 9 ? 16 : 12));
}

/* Sequence gaps larger than this are taken for a restart of the exporter, not for loss. */
#define MAX_SEQ_GAP (1u << 24)

/*
 * The header's sequence number against the one @p s's previous message announced. What it counts
 * differs: IPFIX the data records sent before this message in the domain (RFC 7011 section 3.1),
 * NetFlow v9 the export packets (RFC 3954 section 5.1), v5 the flows (flow_sequence). A forward
 * gap below MAX_SEQ_GAP is loss (v5 and IPFIX: that many records); a jump back, or further ahead,
 * is a restart or a late datagram: an error, and counting starts again from this message. The
 * arithmetic is modulo 2^32, so a counter that wraps is no gap.
 */
static void check_sequence(fdx_collector *c, struct fdxi_session *s, const char *exporter,
                           uint32_t seq)
{
    if (!s->have_seq || seq == s->next_seq)
        return;
    uint32_t gap = seq - s->next_seq;
    bool loss = gap < MAX_SEQ_GAP;
    c->st.sequence_errors++;
    s->seq_errors++;
    if (loss && s->version != 9)
        c->st.records_missed += gap;
    if (!worth_saying(s->seq_errors))
        return;
    char what[160];
    if (loss)
        snprintf(what, sizeof(what), "%u %s missed (lost on the way, or dropped by the exporter)",
                 gap, s->version == 9 ? "datagrams" : "records");
    else
        snprintf(what, sizeof(what),
                 "a jump %s (the exporter restarted, or the datagram came late): counting starts "
                 "again from it",
                 gap >= 0x80000000u ? "back" : "ahead");
    say(c, FDX_LOG_WARNING,
        "%s: sequence number %u where %u was expected: %s; %llu such so far from it "
        "(sequence_errors on the statistics line)%s",
        exporter, seq, s->next_seq, what, (unsigned long long)s->seq_errors,
        s->seq_errors == LOG_FIRST ? " (from now on every 1000th is reported)" : "");
}

static void on_decoded(void *user, const struct fdxi_flowdec *d)
{
    fdx_collector *c = user;
    fdxi_pairer_add(c->pairer, d, c->cur->id, c->cur_now_us);
}

/*
 * Whether the header of a @p version message of @p len bytes can be read: long enough for it,
 * and its length (IPFIX) or record count (v5) agrees with the datagram. A message that fails here
 * has no trustworthy domain, source id or engine: it must not create or refresh a session, or
 * a stream of short datagrams from many ports would push real exporters' templates out.
 * 0, or FDX_EFORMAT with the reason in @p why.
 */
static int header_check(const uint8_t *m, size_t len, uint16_t version, char *why, size_t wlen)
{
    static const size_t min[] = {[5] = 24, [9] = 20, [10] = 16};
    if (len < min[version]) {
        fdxi_set_err(why, wlen, "%zu bytes: shorter than the %s header (%zu)", len,
                     version_name(version), min[version]);
        return FDX_EFORMAT;
    }
    if (version == 10 && fdxi_be16(m + 2) != len) {
        fdxi_set_err(why, wlen,
                     "the header's message length %u differs from the %zu bytes received",
                     fdxi_be16(m + 2), len);
        return FDX_EFORMAT;
    }
    if (version == 5) {
        uint16_t count = fdxi_be16(m + 2);
        if (count == 0 || count > 30) {
            fdxi_set_err(why, wlen, "record count %u (1 to 30)", count);
            return FDX_EFORMAT;
        }
        if (len != 24 + (size_t)count * 48) {
            fdxi_set_err(why, wlen, "%zu bytes for %u records (%zu expected)", len, count,
                         24 + (size_t)count * 48);
            return FDX_EFORMAT;
        }
    }
    return 0;
}

/* A malformed datagram of no session (its header could not be read): counted and reported, the
 * first ten of the collector and then every thousandth. */
static int header_malformed(fdx_collector *c, const char *exporter, uint64_t seq, size_t len,
                            const char *what, const char *why)
{
    c->st.malformed++;
    c->header_malformed++;
    say_skipped(c, c->header_malformed, exporter, seq, what, len, why,
                " (from now on every 1000th datagram with a broken header is reported)");
    return FDX_EFORMAT;
}

/* One datagram or TCP message from @p exporter. */
static int handle(fdx_collector *c, const char *exporter, const uint8_t *m, size_t len,
                  uint64_t now_us)
{
    uint64_t seq = ++c->st.datagrams;
    if (len < 2)
        return header_malformed(c, exporter, seq, len, "no version",
                                "too short for a version number");
    uint16_t version = fdxi_be16(m);
    if (version != 5 && version != 9 && version != 10) {
        c->st.unsupported++;
        if (worth_saying(c->st.unsupported))
            say(c, FDX_LOG_WARNING,
                "%s: datagram %llu (%zu bytes): version %u is not NetFlow v5, v9 or IPFIX; "
                "skipped (%llu such so far)",
                exporter, (unsigned long long)seq, len, version,
                (unsigned long long)c->st.unsupported);
        return FDX_ENOTSUP;
    }
    c->st.v5 += version == 5;
    c->st.v9 += version == 9;
    c->st.ipfix += version == 10;
    char why[300] = "";
    if (header_check(m, len, version, why, sizeof(why)) < 0)
        return header_malformed(c, exporter, seq, len, version_name(version), why);
    uint32_t domain = msg_domain(m, version);
    bool fresh = false, evicted = false;
    struct fdxi_session *s =
        fdxi_sessions_get(c->sessions, exporter, version, domain, now_us, &fresh, &evicted);
    if (s == NULL) {
        say(c, FDX_LOG_ERROR, "%s: datagram %llu: out of memory for the exporter; skipped",
            exporter, (unsigned long long)seq);
        return FDX_ENOMEM;
    }
    c->st.exporters_lost += evicted;
    char dom[48];
    if (fresh)
        say(c, FDX_LOG_INFO, "%s: new exporter: %s, %s", exporter, version_name(version),
            domain_text(s, dom, sizeof(dom)));
    uint32_t hseq = fdxi_be32(m + (version == 5 ? 16 : version == 9 ? 12 : 8));
    check_sequence(c, s, exporter, hseq);
    struct fdxi_dec_out out = {.record = on_decoded, .user = c, .why = why, .whylen = sizeof(why)};
    c->cur = s;
    c->cur_now_us = now_us;
    int rc = version == 5 ? fdxi_nfv5_decode(m, len, &out) : fdxi_tmpl_decode(s, m, len, &out);
    c->cur = NULL;
    /* The next message's sequence number. An IPFIX message whose records could not all be counted
     * (a data set without its template, a broken message) leaves it unknown until the next. */
    s->have_seq = true;
    if (version == 5)
        s->next_seq = hseq + fdxi_be16(m + 2);
    else if (version == 9)
        s->next_seq = hseq + 1;
    else if (rc == 0 && out.no_template == 0)
        s->next_seq = hseq + (uint32_t)out.data_records;
    else
        s->have_seq = false;
    c->st.records += out.records;
    c->st.no_template += out.no_template;
    c->st.not_flows += out.not_flows;
    c->st.far_times += out.far_times;
    c->st.end_before_start += out.end_before_start;
    s->flows += out.records;
    if (out.odd_records > 0 && s->flows == 0 && !s->told_not_flows) {
        s->told_not_flows = true;
        say(c, FDX_LOG_WARNING,
            "%s: its data records are not flows so far (no pair of IPv4 or IPv6 addresses of one "
            "family: a template without addresses, or with address fields of another length): "
            "nothing from it is classified; such records are counted as not_flows",
            exporter);
    }
    if (out.new_no_template)
        say(c, FDX_LOG_INFO,
            "%s: %s: data set %u has no template yet: such records are skipped until the "
            "exporter sends its templates",
            exporter, domain_text(s, dom, sizeof(dom)), out.missing_id);
    if (rc == FDX_ENOMEM) {
        say(c, FDX_LOG_ERROR, "%s: datagram %llu: out of memory for a template; skipped", exporter,
            (unsigned long long)seq);
    } else if (rc < 0) {
        c->st.malformed++;
        s->malformed++;
        say_skipped(c, s->malformed, exporter, seq, version_name(version), len, why,
                    " (from now on every 1000th is reported)");
        rc = FDX_EFORMAT;
    }
    fdxi_pairer_advance(c->pairer, now_us);
    return rc;
}

int fdx_collector_feed(fdx_collector *c, const char *exporter, const uint8_t *data, size_t len,
                       uint64_t now_us)
{
    return handle(c, exporter ? exporter : "(exporter)", data, len, now_us);
}

void fdx_collector_flush(fdx_collector *c)
{
    fdxi_pairer_flush(c->pairer);
}

void fdx_collector_break(fdx_collector *c)
{
    uint8_t b = 1;
    ssize_t w = write(c->wake[1], &b, 1);
    (void)w; /* a full pipe wakes poll() as well */
}

/* The system's count of datagrams @p l dropped (a full receive buffer) from a datagram's control
 * messages, added to the collector's: the count is the socket's total so far, modulo 2^32. */
static void count_drops(fdx_collector *c, struct listener *l, struct msghdr *mh)
{
#ifdef SO_RXQ_OVFL
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL ||
            cm->cmsg_len < CMSG_LEN(sizeof(uint32_t)))
            continue;
        uint32_t total;
        memcpy(&total, CMSG_DATA(cm), sizeof(total));
        c->st.kernel_drops += (uint32_t)(total - l->drops);
        l->drops = total;
    }
#else
    (void)c, (void)l, (void)mh;
#endif
}

static void read_udp(fdx_collector *c, struct listener *l)
{
    for (int k = 0; k < READS_PER_WAKE; k++) {
        struct sockaddr_storage ss;
        union { /* aligned for struct cmsghdr */
            struct cmsghdr align;
            uint8_t b[CMSG_SPACE(sizeof(uint32_t))];
        } ctl;
        struct iovec iov = {.iov_base = c->buf, .iov_len = MAX_MESSAGE + 1};
        struct msghdr mh = {.msg_name = &ss,
                            .msg_namelen = sizeof(ss),
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.b,
                            .msg_controllen = sizeof(ctl.b)};
        ssize_t n = recvmsg(l->fd, &mh, MSG_TRUNC);
        if (n < 0)
            return; /* EAGAIN: all read; other errors of an unconnected socket are transient */
        count_drops(c, l, &mh);
        char at[128], name[140];
        addr_text((struct sockaddr *)&ss, at, sizeof(at));
        snprintf(name, sizeof(name), "udp %s", at);
        size_t len = (size_t)n > MAX_MESSAGE + 1 ? MAX_MESSAGE + 1 : (size_t)n;
        handle(c, name, c->buf, len, mono_us());
    }
}

static void accept_tcp(fdx_collector *c, const struct listener *l)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept(l->fd, (struct sockaddr *)&ss, &sl);
        if (fd < 0)
            return;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        char at[128];
        addr_text((struct sockaddr *)&ss, at, sizeof(at));
        uint8_t *buf = c->n_conns < MAX_TCP ? malloc(MAX_MESSAGE) : NULL;
        if (buf == NULL) {
            say(c, FDX_LOG_WARNING, "tcp %s: refused: %d connections are open already", at,
                MAX_TCP);
            close(fd);
            continue;
        }
        struct conn *k = &c->conns[c->n_conns++];
        k->fd = fd;
        k->buf = buf;
        k->used = 0;
        snprintf(k->name, sizeof(k->name), "tcp %s", at);
        c->st.tcp_sessions++;
        say(c, FDX_LOG_INFO, "%s: connected", k->name);
    }
}

/* Reads what a TCP exporter sent and hands out its complete messages; false when the
 * connection ended or must be closed. */
static bool read_tcp(fdx_collector *c, struct conn *k)
{
    ssize_t n = read(k->fd, k->buf + k->used, MAX_MESSAGE - k->used);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        say(c, FDX_LOG_INFO, "%s: closed%s%s", k->name, n < 0 ? ": " : "",
            n < 0 ? strerror(errno) : "");
        return false;
    }
    if (n > 0)
        k->used += (size_t)n;
    while (k->used >= 4) {
        uint16_t version = fdxi_be16(k->buf), mlen = fdxi_be16(k->buf + 2);
        if (version != 10 || mlen < 16) {
            c->st.datagrams++;
            c->st.malformed++;
            say(c, FDX_LOG_WARNING,
                "%s: message %llu: %s; the stream cannot be followed: connection closed", k->name,
                (unsigned long long)c->st.datagrams,
                version != 10 ? "not IPFIX (over TCP flowdx reads IPFIX only)"
                              : "message length below the IPFIX header's 16 bytes");
            return false;
        }
        if (k->used < mlen)
            break;
        handle(c, k->name, k->buf, mlen, mono_us());
        memmove(k->buf, k->buf + mlen, k->used - mlen);
        k->used -= mlen;
    }
    return true;
}

int fdx_collector_run(fdx_collector *c, uint32_t timeout_ms, char *errbuf, size_t errlen)
{
    uint64_t now = mono_us(), deadline = fdxi_pairer_deadline(c->pairer);
    int wait = (int)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms);
    if (deadline != UINT64_MAX) {
        uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
        if (ms < (uint64_t)wait)
            wait = (int)ms;
    }
    struct pollfd pfd[1 + MAX_LISTENERS + MAX_TCP];
    uint32_t n = 0;
    pfd[n++] = (struct pollfd){.fd = c->wake[0], .events = POLLIN};
    for (uint32_t i = 0; i < c->n_ls; i++)
        pfd[n++] = (struct pollfd){.fd = c->ls[i].fd, .events = POLLIN};
    for (uint32_t i = 0; i < c->n_conns; i++)
        pfd[n++] = (struct pollfd){.fd = c->conns[i].fd, .events = POLLIN};
    int r = poll(pfd, n, wait);
    if (r < 0 && errno != EINTR) {
        fdxi_set_err(errbuf, errlen, "collector: poll: %s", strerror(errno));
        return FDX_EIO;
    }
    if (r > 0) {
        if (pfd[0].revents & POLLIN) {
            uint8_t b[64];
            while (read(c->wake[0], b, sizeof(b)) > 0)
                ;
        }
        for (uint32_t i = 0; i < c->n_ls; i++) {
            short ev = pfd[1 + i].revents;
            if (ev & POLLNVAL) {
                fdxi_set_err(errbuf, errlen, "%s: the socket failed", c->ls[i].addr);
                return FDX_EIO;
            }
            if (ev & (POLLIN | POLLERR)) {
                if (c->ls[i].tcp)
                    accept_tcp(c, &c->ls[i]);
                else
                    read_udp(c, &c->ls[i]);
            }
        }
        /* connections accepted just now were not polled: only the first n - 1 - n_ls are */
        uint32_t polled = n - 1 - c->n_ls;
        for (uint32_t i = polled; i-- > 0;) {
            if ((pfd[1 + c->n_ls + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !read_tcp(c, &c->conns[i]))
                close_conn(c, i);
        }
    }
    now = mono_us();
    fdxi_pairer_advance(c->pairer, now);
    if (now >= c->next_expire_us) {
        c->next_expire_us = now + EXPIRE_EVERY_US;
        if (now > SESSION_IDLE_US)
            c->st.exporters_lost += fdxi_sessions_expire(c->sessions, now - SESSION_IDLE_US);
    }
    return 0;
}

void fdx_collector_stats(const fdx_collector *c, struct fdx_collector_stats *ret)
{
    struct fdx_collector_stats s = c->st;
    struct fdxi_pair_stats p;
    fdxi_pairer_stats(c->pairer, &p);
    s.struct_size = sizeof(s);
    s.exporters = fdxi_sessions_count(c->sessions);
    s.biflows = p.biflows;
    s.paired = p.paired;
    s.unpaired = p.unpaired;
    s.pair_overflow = p.overflow;
    s.reported = p.reported;
    size_t n = ret->struct_size < sizeof(s) ? ret->struct_size : sizeof(s);
    if (n < sizeof(uint32_t))
        return; /* struct_size not set: the caller's struct may have any size */
    memcpy(ret, &s, n);
    ret->struct_size = (uint32_t)n;
}
