/* SPDX-License-Identifier: BSD-3-Clause */
/* Sends an engine's flow records as IPFIX data records through libfixbuf. */
#define _GNU_SOURCE /* fopencookie: libfixbuf writes to flowdx's TCP socket through stdio */
#include "export/ipfix.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h> /* TCP_INFO's tcpi_bytes_acked, TCP_USER_TIMEOUT */
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "core/err.h"
#include "flowdx/flowdx_export.h"
#include "plugin/run.h"

/* Largest message libfixbuf 2.4 writes to each kind of destination (fbexporter.c: 65496 for a
 * stdio stream, which a file and flowdx's TCP connection are, 1420 for UDP), less the message
 * header (16) and a set header (4). */
static const size_t message_room[] = {
    [FDXI_DEST_FILE] = 65496 - 20,
    [FDXI_DEST_TCP] = 65496 - 20,
    [FDXI_DEST_UDP] = 1420 - 20,
};

/* A TCP collector that takes no byte for this long is lost (a send must not stall the capture
 * for ever). */
#define TCP_SEND_TIMEOUT_S 10
/* A TCP collector that acknowledges nothing sent to it for this long is lost (TCP_USER_TIMEOUT):
 * a host that died without closing the connection is found in this time, not after the kernel's
 * retransmissions (about 15 minutes), while the messages for it pile up unacknowledged. */
#define TCP_ACK_TIMEOUT_S 30
/* The connect at open waits at most this long for each of the host's addresses (or reconnect_s,
 * when that is shorter): the kernel's own SYN retries to a host that does not answer last about
 * two minutes, during which nothing would be captured. */
#define TCP_CONNECT_TIMEOUT_S 10
static const char *const transport_name[] = {
    [FDXI_DEST_FILE] = "file",
    [FDXI_DEST_TCP] = "TCP",
    [FDXI_DEST_UDP] = "UDP",
};

#define NO_OFFSET UINT32_MAX

/* One template (IPv4 or IPv6 flows). */
struct tmpl {
    uint16_t int_tid, ext_tid;
    uint32_t *off; /* per layout element: offset in the internal record, or NO_OFFSET */
    size_t len;    /* internal record bytes */
};

/* A message sent on the TCP connection that the collector's host may not have acknowledged yet. */
struct sent_msg {
    uint64_t end;     /* the connection's byte count after it */
    uint32_t records; /* flow records in it */
};

struct fdx_ipfix {
    struct fdxi_ipfix_layout *layout;
    struct fdxi_ipfix_dest dest;
    char *what; /* the destination as given, for messages (dest.path points into it) */
    FILE *fp;   /* a file destination, or the stdio stream over a TCP connection (below) */
    /* TCP: flowdx's own socket, which libfixbuf writes to through a stdio cookie stream, so that a
     * lost collector can be connected to again without blocking (reconnect_step). */
    int fd;                       /* the connection; while lost, the connect under way; else -1 */
    bool lost;                    /* no connection: records are dropped and counted */
    bool opened;                  /* fdx_ipfix_open() is done: a loss is no longer an error */
    struct sockaddr_storage addr; /* the collector's address that was connected to at open */
    socklen_t addrlen;
    const char *send_why; /* why the cookie's last send failed (static text) */
    uint32_t reconnect_s;
    uint32_t domain;
    bool append;                 /* a file: "ab", not "wb" */
    struct timespec next_try;    /* when to start the next connect, while lost */
    struct timespec try_started; /* when the connect under way started */
    uint32_t in_msg;             /* flow records in the message being built */
    uint32_t emitting;           /* flow records in the message being sent (emit) */
    /* TCP: the messages sent and not yet acknowledged, oldest first (ledger[ledger_head] on);
     * the bytes sent on the connection, and its tcpi_bytes_acked when it was made (the SYN's) */
    struct sent_msg *ledger;
    size_t ledger_head, ledger_n, ledger_cap;
    uint64_t sent_bytes, acked_base;
    uint64_t records, dropped; /* fdx_ipfix_get_stats() */
    uint32_t losses, reconnects;
    char loss[512]; /* why the collector was last lost, or a connect failed */
    fbInfoModel_t *model;
    fbSession_t *session; /* owned by fbuf once it exists */
    fBuf_t *fbuf;
    struct tmpl t[2]; /* [0] IPv4 flows, [1] IPv6 flows */
    uint8_t *rec;     /* internal record of the larger template */
    int cur;          /* the template set on fbuf, -1 when none is */
    uint32_t refresh_s;
    struct timespec last_templates;
    struct timespec pending_since; /* when the message being built got its first record */
    bool failed;                   /* the destination failed: every later call fails */
    char failure[512];             /* why */
};

void fdx_ipfix_options_init(struct fdx_ipfix_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->struct_size = sizeof(*opts);
    opts->enterprise = FDX_IPFIX_PEN_DEFAULT;
    opts->refresh_s = 600;
    opts->reconnect_s = 10;
}

/* Record the destination's failure (the first one stays) and return FDX_EIO. */
static int fail_with(fdx_ipfix *x, const char *doing, const char *why, char *errbuf, size_t errlen)
{
    if (!x->failed) {
        x->failed = true;
        snprintf(x->failure, sizeof(x->failure), "%s: %s: %s", x->what, doing, why);
    }
    fdxi_set_err(errbuf, errlen, "%s", x->failure);
    return FDX_EIO;
}

/* The same, the reason from libfixbuf's @p err (consumed). */
static int fail(fdx_ipfix *x, GError *err, const char *doing, char *errbuf, size_t errlen)
{
    int rc = fail_with(x, doing, err ? err->message : "unknown error", errbuf, errlen);
    if (err != NULL)
        g_error_free(err);
    return rc;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Why the collector is lost, or why connecting again failed, for fdx_ipfix_get_stats(); the next
 * connect starts reconnect_s after @p now. */
static void retry_later(fdx_ipfix *x, const struct timespec *now, const char *why)
{
    snprintf(x->loss, sizeof(x->loss), "%s: %s", x->what, why);
    x->next_try = *now;
    x->next_try.tv_sec += x->reconnect_s;
}

/* The kernel's tcpi_bytes_acked of connection @p fd, kept also after the connection was aborted;
 * UINT64_MAX when unknown. */
static uint64_t tcp_bytes_acked(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
        return UINT64_MAX;
    return ti.tcpi_bytes_acked;
}

/* The bytes sent on x->fd that the collector's host has acknowledged; UINT64_MAX when unknown. */
static uint64_t acked_bytes(const fdx_ipfix *x)
{
    uint64_t acked = tcp_bytes_acked(x->fd);
    return acked == UINT64_MAX ? acked : acked - x->acked_base;
}

/* Forget the messages the collector's host has acknowledged; true when none is left. */
static bool ledger_trim(fdx_ipfix *x)
{
    if (x->ledger_head == x->ledger_n)
        return true;
    uint64_t acked = acked_bytes(x);
    while (x->ledger_head < x->ledger_n && acked != UINT64_MAX &&
           x->ledger[x->ledger_head].end <= acked)
        x->ledger_head++;
    if (x->ledger_head == x->ledger_n)
        x->ledger_head = x->ledger_n = 0;
    return x->ledger_n == 0;
}

/* Note a message sent on the connection. Out of memory, it goes unnoted: a loss then counts
 * fewer records than it lost. */
static void ledger_add(fdx_ipfix *x, uint32_t records)
{
    if (x->ledger_head > 0 && x->ledger_head * 2 >= x->ledger_n) { /* move the live part down */
        memmove(x->ledger, x->ledger + x->ledger_head,
                (x->ledger_n - x->ledger_head) * sizeof(*x->ledger));
        x->ledger_n -= x->ledger_head;
        x->ledger_head = 0;
    }
    if (x->ledger_n == x->ledger_cap) {
        size_t cap = x->ledger_cap ? 2 * x->ledger_cap : 64;
        struct sent_msg *l = realloc(x->ledger, cap * sizeof(*l));
        if (l == NULL)
            return;
        x->ledger = l;
        x->ledger_cap = cap;
    }
    x->ledger[x->ledger_n++] = (struct sent_msg){.end = x->sent_bytes, .records = records};
}

/* The records of the messages the collector's host never acknowledged; the ledger emptied. */
static uint64_t ledger_unacked(fdx_ipfix *x)
{
    uint64_t n = 0;
    if (x->fd >= 0)
        ledger_trim(x);
    for (size_t i = x->ledger_head; i < x->ledger_n; i++)
        n += x->ledger[i].records;
    x->ledger_head = x->ledger_n = 0;
    return n;
}

/* Drop the TCP session with the records not yet sent, or sent and never acknowledged by the
 * collector's host (both counted), and close the connection. */
static void drop_session(fdx_ipfix *x)
{
    x->dropped += x->in_msg + ledger_unacked(x);
    x->in_msg = 0;
    if (x->fbuf != NULL)
        fBufFree(x->fbuf); /* the session and libfixbuf's exporter with it; sends nothing */
    else if (x->session != NULL)
        fbSessionFree(x->session);
    x->fbuf = NULL;
    x->session = NULL;
    if (x->fp != NULL)
        fclose(x->fp); /* the cookie stream; its buffer is off, so nothing is written */
    x->fp = NULL;
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    x->cur = -1;
}

/* The TCP collector is lost: the session dropped, and connect again from x->next_try on
 * (reconnect_step). */
static void lose(fdx_ipfix *x, const char *why)
{
    drop_session(x);
    x->lost = true;
    x->losses++;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    retry_later(x, &now, why);
}

/* A send to the destination failed (@p err from libfixbuf, consumed): a TCP collector that may be
 * connected to again is lost (0: the caller goes on); anything else fails the exporter. */
static int send_failed(fdx_ipfix *x, GError *err, const char *doing, char *errbuf, size_t errlen)
{
    if (x->dest.kind != FDXI_DEST_TCP || x->reconnect_s == 0 || !x->opened)
        return fail(x, err, doing, errbuf, errlen);
    char why[256];
    /* the cookie's reason says more than libfixbuf's "Couldn't write N bytes to FP" */
    snprintf(why, sizeof(why), "%s: %s", doing,
             x->send_why != NULL ? x->send_why : (err != NULL ? err->message : "unknown error"));
    if (err != NULL)
        g_error_free(err);
    lose(x, why);
    return 0;
}

/* What a failed write to the destination was doing, for fail(). */
static const char *sending(const fdx_ipfix *x)
{
    return x->dest.kind == FDXI_DEST_FILE ? "cannot write" : "cannot send";
}

/* The libfixbuf flags of an element flowdx defines: integers and floats are converted to
 * network byte order; RFC 5610 semantics in bits 8-15. */
static uint32_t ie_flags(const struct fdxi_ipfix_element *e)
{
    uint32_t flags = (uint32_t)e->semantics << 8;
    if (e->type != FDXI_IE_STRING && e->len > 1)
        flags |= FB_IE_F_ENDIAN;
    return flags;
}

/* Add flowdx's elements to the model; check that it has the IANA ones, and name the IANA
 * elements of plugin fields. */
static int fill_model(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    struct fdxi_ipfix_layout *l = x->layout;
    for (uint32_t i = 0; i < l->n; i++) {
        struct fdxi_ipfix_element *e = &l->el[i];
        if (e->defined) {
            fbInfoElement_t ie = FB_IE_INIT_FULL(e->name, e->pen, e->id, e->len, ie_flags(e), 0, 0,
                                                 e->type, e->description);
            fbInfoModelAddElement(x->model, &ie);
            continue;
        }
        const fbInfoElement_t *m = fbInfoModelGetElementByID(x->model, e->id, e->pen);
        if (m == NULL || (e->name[0] != '\0' && strcmp(m->ref.name, e->name) != 0)) {
            fdxi_set_err(errbuf, errlen,
                         "libfixbuf's information model has no element %u/%u%s%s: it is too old "
                         "for this record layout",
                         e->pen, e->id, e->name[0] ? " named " : "", e->name);
            return FDX_ENOTSUP;
        }
        snprintf(e->name, sizeof(e->name), "%s", m->ref.name);
    }
    return 0;
}

/* Internal records put variable-length fields first (libfixbuf reads them as fbVarfield_t in
 * place), then the 8-byte values, so that both are aligned in the record buffer. */
static int alignment_rank(const struct fdxi_ipfix_element *e)
{
    switch (e->len) {
    case FDXI_IPFIX_VARLEN:
        return 0;
    case 8:
        return 1;
    case 16:
        return 2;
    case 4:
        return 3;
    case 2:
        return 4;
    default:
        return 5;
    }
}

static bool in_template(const struct fdxi_ipfix_element *e, int v)
{
    return e->ipver == 0 || e->ipver == (v ? 6 : 4);
}

/* Build template @p v (0 IPv4, 1 IPv6): the external one in layout order, the internal one in
 * alignment order, both added to the session. */
static int add_templates(fdx_ipfix *x, int v, char *errbuf, size_t errlen)
{
    struct fdxi_ipfix_layout *l = x->layout;
    struct tmpl *t = &x->t[v];
    free(t->off); /* a session started again after a lost TCP collector builds them anew */
    memset(t, 0, sizeof(*t));
    t->off = malloc((size_t)l->n * sizeof(*t->off));
    if (t->off == NULL)
        return FDX_ENOMEM;
    fbTemplate_t *ext = fbTemplateAlloc(x->model);
    fbTemplate_t *in = fbTemplateAlloc(x->model);
    GError *err = NULL;
    bool ok = true;
    for (uint32_t i = 0; i < l->n && ok; i++) {
        struct fdxi_ipfix_element *e = &l->el[i];
        t->off[i] = NO_OFFSET;
        if (!in_template(e, v))
            continue;
        fbInfoElementSpec_t spec = {e->name, e->len == FDXI_IPFIX_VARLEN ? 0 : e->len, 0};
        ok = fbTemplateAppendSpec(ext, &spec, 0, &err);
    }
    for (int rank = 0; rank <= 5 && ok; rank++) {
        for (uint32_t i = 0; i < l->n && ok; i++) {
            struct fdxi_ipfix_element *e = &l->el[i];
            if (!in_template(e, v) || alignment_rank(e) != rank)
                continue;
            fbInfoElementSpec_t spec = {e->name, e->len == FDXI_IPFIX_VARLEN ? 0 : e->len, 0};
            ok = fbTemplateAppendSpec(in, &spec, 0, &err);
            t->off[i] = (uint32_t)t->len;
            t->len += e->len == FDXI_IPFIX_VARLEN ? sizeof(fbVarfield_t) : e->len;
        }
    }
    if (ok)
        t->int_tid = fbSessionAddTemplate(x->session, TRUE, FB_TID_AUTO, in, &err);
    else
        fbTemplateFreeUnused(in);
    if (t->int_tid != 0)
        t->ext_tid = fbSessionAddTemplate(x->session, FALSE, FB_TID_AUTO, ext, &err);
    else
        fbTemplateFreeUnused(ext);
    if (t->ext_tid == 0) {
        fdxi_set_err(errbuf, errlen, "%s: IPv%d template: %s", x->what, v ? 6 : 4,
                     err ? err->message : "not accepted by libfixbuf");
        if (err != NULL)
            g_error_free(err);
        return FDX_EINVAL;
    }
    return 0;
}

/* Refuse layouts whose template or records do not fit one message of the destination. */
static int check_sizes(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    const struct fdxi_ipfix_layout *l = x->layout;
    size_t room = message_room[x->dest.kind];
    for (int v = 0; v < 2; v++) {
        size_t tmpl = 4, data = 0; /* template record header; data record */
        for (uint32_t i = 0; i < l->n; i++) {
            const struct fdxi_ipfix_element *e = &l->el[i];
            if (!in_template(e, v))
                continue;
            tmpl += e->pen != 0 ? 8 : 4;
            data += e->len == FDXI_IPFIX_VARLEN ? 1 + FDXI_IPFIX_LABEL_MAX : e->len;
        }
        if (tmpl > room || data > room) {
            fdxi_set_err(errbuf, errlen,
                         "%s: this record layout needs %zu-byte templates and records of up to "
                         "%zu bytes; one %s message holds %zu (export fewer values, or use %s)",
                         x->what, tmpl, data, transport_name[x->dest.kind], room,
                         x->dest.kind == FDXI_DEST_UDP ? "tcp:// or a file" : "a file");
            return FDX_ERANGE;
        }
    }
    return 0;
}

/* The stdio cookie under libfixbuf's exporter for TCP: each message goes out whole on x->fd,
 * blocking for at most TCP_SEND_TIMEOUT_S, without SIGPIPE. 0 (stdio's error) on failure, with
 * the reason in x->send_why. */
static ssize_t tcp_write(void *cookie, const char *buf, size_t n)
{
    fdx_ipfix *x = cookie;
    /* A collector sends nothing over IPFIX's TCP: a readable end of stream is the collector's
     * close. Seen before the send, the message is kept from a connection that would lose it
     * without an error (the kernel takes it, and the collector's reset comes after). */
    char peek;
    ssize_t r = recv(x->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) {
        x->send_why = "the collector closed the connection";
        return 0;
    }
    /* The connection's error (a reset; ETIMEDOUT when nothing was acknowledged for
     * TCP_ACK_TIMEOUT_S), which this read consumed: the send would say only EPIPE. */
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        x->send_why = strerror(errno);
        return 0;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(x->fd, buf + done, n - done, MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        x->send_why = strerror(w == 0                                    ? EPIPE
                               : errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT
                                                                         : errno);
        return 0;
    }
    x->sent_bytes += n;
    if (x->emitting > 0 || x->ledger_n > x->ledger_head) {
        ledger_trim(x);
        if (x->emitting > 0)
            ledger_add(x, x->emitting);
    }
    x->emitting = 0;
    return (ssize_t)n;
}

/* Start a non-blocking connect of a socket to x->addr into x->fd: 0 when connected, 1 while
 * the connect is under way, or a negative errno. tcp_connected() makes the socket blocking,
 * with a send timeout. */
static int tcp_connect(fdx_ipfix *x)
{
    int fd = socket(x->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    x->fd = fd;
    if (connect(fd, (struct sockaddr *)&x->addr, x->addrlen) == 0)
        return 0;
    int e = errno;
    if (e == EINPROGRESS)
        return 1;
    close(fd);
    x->fd = -1;
    return -e;
}

/* The outcome of the connect under way on x->fd once poll() for POLLOUT returned @p ready (0:
 * the time ran out): 0 connected, or an errno (ETIMEDOUT for the time), the socket then closed. */
static int connect_outcome(fdx_ipfix *x, int ready)
{
    int e = 0;
    socklen_t len = sizeof(e);
    if (ready == 0)
        e = ETIMEDOUT;
    else if (ready < 0 || getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        e = errno;
    if (e != 0) {
        close(x->fd);
        x->fd = -1;
    }
    return e;
}

/* A connect that waits at most @p timeout_s: 0 connected, or a negative errno (-ETIMEDOUT when
 * the time ran out). */
static int tcp_connect_within(fdx_ipfix *x, uint32_t timeout_s)
{
    int rc = tcp_connect(x);
    if (rc <= 0)
        return rc;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct pollfd p = {.fd = x->fd, .events = POLLOUT};
    int ready;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left_ms = ((double)timeout_s - seconds_between(&start, &now)) * 1000.0;
        ready = left_ms > 0 ? poll(&p, 1, (int)left_ms + 1) : 0;
        if (ready >= 0 || errno != EINTR)
            break;
    }
    return -connect_outcome(x, ready);
}

/* The connection in x->fd is up: make it blocking, with the send timeout. */
static void tcp_connected(fdx_ipfix *x)
{
    int flags = fcntl(x->fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(x->fd, F_SETFL, flags & ~O_NONBLOCK);
    struct timeval tv = {TCP_SEND_TIMEOUT_S, 0};
    (void)setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    unsigned ack_ms = TCP_ACK_TIMEOUT_S * 1000u;
    (void)setsockopt(x->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ack_ms, sizeof(ack_ms));
    x->send_why = NULL;
    x->sent_bytes = 0;
    x->ledger_head = x->ledger_n = 0;
    uint64_t syn = tcp_bytes_acked(x->fd); /* the SYN counts 1 */
    x->acked_base = syn == UINT64_MAX ? 0 : syn;
}

/* Resolve a network destination now, so that a typo in the host is reported at once; connect to
 * a TCP collector. */
static int resolve(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = x->dest.kind == FDXI_DEST_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int rc = getaddrinfo(x->dest.host, x->dest.port, &hints, &res);
    if (rc != 0) {
        fdxi_set_err(errbuf, errlen, "%s: cannot resolve '%s': %s", x->what, x->dest.host,
                     gai_strerror(rc));
        return FDX_ENOENT;
    }
    if (x->dest.kind == FDXI_DEST_TCP) {
        /* TCP: the first address that accepts; a reconnect goes back to it, with no lookup */
        int e = 0;
        uint32_t timeout_s = x->reconnect_s > 0 && x->reconnect_s < TCP_CONNECT_TIMEOUT_S
                                 ? x->reconnect_s
                                 : TCP_CONNECT_TIMEOUT_S;
        for (struct addrinfo *a = res; a != NULL && x->fd < 0; a = a->ai_next) {
            if (a->ai_addrlen > sizeof(x->addr))
                continue;
            memcpy(&x->addr, a->ai_addr, a->ai_addrlen);
            x->addrlen = a->ai_addrlen;
            e = tcp_connect_within(x, timeout_s);
        }
        if (x->fd < 0 && e == -ETIMEDOUT) {
            fdxi_set_err(errbuf, errlen,
                         "%s: cannot send to the collector: cannot connect: no answer within %u s",
                         x->what, (unsigned)timeout_s);
            freeaddrinfo(res);
            return FDX_EIO;
        }
        if (x->fd < 0) {
            fdxi_set_err(errbuf, errlen, "%s: cannot send to the collector: cannot connect: %s",
                         x->what, strerror(e < 0 ? -e : EHOSTUNREACH));
            freeaddrinfo(res);
            return FDX_EIO;
        }
    }
    freeaddrinfo(res);
    return 0;
}

static fbExporter_t *new_exporter(fdx_ipfix *x, char *errbuf, size_t errlen, int *ret_rc)
{
    if (x->dest.kind == FDXI_DEST_FILE) {
        if (x->fp == NULL) /* fdx_ipfix_reopen() opened it already */
            x->fp = fopen(x->dest.path, x->append ? "ab" : "wb");
        if (x->fp == NULL) {
            int e = errno;
            fdxi_set_err(errbuf, errlen, "%s: cannot create: %s", x->dest.path, strerror(e));
            *ret_rc = e == ENOENT ? FDX_ENOENT : FDX_EIO;
            return NULL;
        }
        return fbExporterAllocFP(x->fp);
    }
    if (x->dest.kind == FDXI_DEST_TCP) {
        tcp_connected(x);
        cookie_io_functions_t io = {.write = tcp_write};
        x->fp = fopencookie(x, "w", io);
        if (x->fp == NULL) {
            *ret_rc = FDX_ENOMEM;
            return NULL;
        }
        setvbuf(x->fp, NULL, _IONBF, 0); /* a message is one write, sent at once */
        return fbExporterAllocFP(x->fp);
    }
    fbConnSpec_t spec = FB_CONNSPEC_INIT;
    spec.transport = FB_UDP;
    spec.host = x->dest.host;
    spec.svc = x->dest.port;
    return fbExporterAllocNet(&spec); /* copies spec */
}

/* Send the message being built. The buffer is in manual mode outside send_templates, so that
 * every message with flow records goes out here and x->in_msg counts them. */
static bool emit(fdx_ipfix *x, GError **err)
{
    x->emitting = x->in_msg; /* for tcp_write's ledger */
    bool ok = fBufEmit(x->fbuf, err);
    x->emitting = 0;
    if (!ok)
        return false;
    x->in_msg = 0;
    return true;
}

/* The templates and the RFC 5610 type records, sent now. */
static int send_templates(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    GError *err = NULL;
    const char *doing =
        x->dest.kind == FDXI_DEST_FILE ? "cannot write" : "cannot send to the collector";
    /* the records gathered go out first, in a message of their own; the templates may take
     * several messages (the buffer emits them itself while in automatic mode) */
    if (!emit(x, &err))
        return send_failed(x, err, doing, errbuf, errlen);
    fBufSetAutomaticMode(x->fbuf, TRUE);
    bool ok = fbSessionExportTemplates(x->session, &err) && fBufEmit(x->fbuf, &err);
    fBufSetAutomaticMode(x->fbuf, FALSE);
    if (!ok)
        return send_failed(x, err, doing, errbuf, errlen);
    x->cur = -1; /* exporting templates switches the buffer's templates */
    clock_gettime(CLOCK_MONOTONIC, &x->last_templates);
    return 0;
}

/* A transport session: the templates, the exporter, the templates sent (at open, and again on
 * a new connection to a lost TCP collector). */
static int start_session(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    int rc;
    x->in_msg = 0;
    x->cur = -1;
    x->session = fbSessionAlloc(x->model);
    fbSessionSetDomain(x->session, x->domain);
    GError *err = NULL;
    if (fbSessionSetMetadataExportElements(x->session, TRUE, FB_TID_AUTO, &err) == 0) {
        fdxi_set_err(errbuf, errlen, "%s: RFC 5610 type records: %s", x->what,
                     err ? err->message : "not accepted by libfixbuf");
        if (err != NULL)
            g_error_free(err);
        return FDX_EINVAL;
    }
    for (int v = 0; v < 2; v++) {
        rc = add_templates(x, v, errbuf, errlen);
        if (rc < 0)
            return rc;
    }
    if (x->rec == NULL)
        x->rec = calloc(1, x->t[0].len > x->t[1].len ? x->t[0].len : x->t[1].len);
    if (x->rec == NULL)
        return FDX_ENOMEM;
    fbExporter_t *exporter = new_exporter(x, errbuf, errlen, &rc);
    if (exporter == NULL)
        return rc;
    x->fbuf = fBufAllocForExport(x->session, exporter); /* owns both from here on */
    fBufSetAutomaticMode(x->fbuf, FALSE);               /* see emit() */
    return send_templates(x, errbuf, errlen);
}

static int open_session(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    x->model = fbInfoModelAlloc();
    int rc = fill_model(x, errbuf, errlen);
    return rc < 0 ? rc : start_session(x, errbuf, errlen);
}

/* While the TCP collector is lost: start a non-blocking connect when reconnect_s has passed since
 * the loss or the last failed attempt, see whether one under way has succeeded, and once it has,
 * start a new session on it (the templates first). Never blocks, except for the templates' send. */
static void reconnect_step(fdx_ipfix *x)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char why[256];
    int e = 0;
    if (x->fd < 0) { /* no connect under way */
        if (seconds_between(&x->next_try, &now) < 0)
            return;
        int rc = tcp_connect(x);
        if (rc == 1) {
            x->try_started = now;
            return; /* see at the next call */
        }
        e = -rc; /* 0: connected at once */
    } else {
        struct pollfd p = {.fd = x->fd, .events = POLLOUT};
        int ready = poll(&p, 1, 0);
        if (ready == 0 && seconds_between(&x->try_started, &now) < (double)x->reconnect_s)
            return; /* still under way */
        e = connect_outcome(x, ready);
    }
    if (e != 0) {
        snprintf(why, sizeof(why), "cannot connect: %s", strerror(e));
        retry_later(x, &now, why);
        return;
    }
    x->lost = false;
    if (start_session(x, why, sizeof(why)) == 0) { /* a send that failed in it lost it again */
        x->reconnects++;
        return;
    }
    /* out of memory, or libfixbuf refused the templates it took at open: still the same loss */
    drop_session(x);
    x->lost = true;
    retry_later(x, &now, why);
}

static void free_ipfix(fdx_ipfix *x)
{
    if (x->fbuf != NULL)
        fBufFree(x->fbuf);
    else if (x->session != NULL)
        fbSessionFree(x->session);
    if (x->model != NULL)
        fbInfoModelFree(x->model);
    if (x->fp != NULL)
        fclose(x->fp);
    if (x->fd >= 0)
        close(x->fd);
    free(x->ledger);
    for (int v = 0; v < 2; v++)
        free(x->t[v].off);
    fdxi_ipfix_layout_free(x->layout);
    free(x->rec);
    free(x->what);
    free(x);
}

/* An exporter with its destination parsed and its layout built and checked, nothing opened:
 * what fdx_ipfix_open() and fdx_ipfix_check() share. */
static int prepare(const char *fn, const fdx_engine *engine, const struct fdx_ipfix_options *opts,
                   fdx_ipfix **ret, char *errbuf, size_t errlen)
{
    if (engine == NULL || opts == NULL ||
        opts->struct_size < offsetof(struct fdx_ipfix_options, reconnect_s)) {
        fdxi_set_err(errbuf, errlen, "%s: invalid argument", fn);
        return FDX_EINVAL;
    }
    fdx_ipfix *x = calloc(1, sizeof(*x));
    if (x == NULL || (x->what = strdup(opts->destination ? opts->destination : "")) == NULL) {
        free(x);
        fdxi_set_err(errbuf, errlen, "out of memory");
        return FDX_ENOMEM;
    }
    x->refresh_s = opts->refresh_s;
    /* reconnect_s was appended to the options: an older caller's struct has none */
    x->reconnect_s =
        FDXI_HAS_FIELD(opts, struct fdx_ipfix_options, reconnect_s) ? opts->reconnect_s : 0;
    x->domain = opts->domain;
    x->append = FDXI_HAS_FIELD(opts, struct fdx_ipfix_options, append) && opts->append != 0;
    x->fd = -1;
    x->cur = -1;
    int rc = fdxi_ipfix_dest_parse(x->what, &x->dest, errbuf, errlen);
    if (rc == 0)
        rc = fdxi_ipfix_layout_new(engine, opts->enterprise, opts->detectors, opts->n_detectors,
                                   &x->layout, errbuf, errlen);
    if (rc == 0)
        rc = check_sizes(x, errbuf, errlen);
    if (rc < 0) {
        if (rc == FDX_ENOMEM)
            fdxi_set_err(errbuf, errlen, "out of memory");
        free_ipfix(x);
        return rc;
    }
    *ret = x;
    return 0;
}

int fdx_ipfix_check(const fdx_engine *engine, const struct fdx_ipfix_options *opts, char *errbuf,
                    size_t errlen)
{
    fdx_ipfix *x = NULL;
    int rc = prepare("fdx_ipfix_check", engine, opts, &x, errbuf, errlen);
    if (rc == 0)
        free_ipfix(x);
    return rc;
}

int fdx_ipfix_open(const fdx_engine *engine, const struct fdx_ipfix_options *opts,
                   fdx_ipfix **ret_ipfix, char *errbuf, size_t errlen)
{
    if (ret_ipfix == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_ipfix_open: invalid argument");
        return FDX_EINVAL;
    }
    fdx_ipfix *x = NULL;
    int rc = prepare("fdx_ipfix_open", engine, opts, &x, errbuf, errlen);
    if (rc < 0)
        return rc;
    if (x->dest.kind != FDXI_DEST_FILE)
        rc = resolve(x, errbuf, errlen);
    if (rc == 0)
        rc = open_session(x, errbuf, errlen);
    if (rc == FDX_ENOMEM)
        fdxi_set_err(errbuf, errlen, "out of memory");
    if (rc < 0) {
        free_ipfix(x);
        return rc;
    }
    x->opened = true;
    *ret_ipfix = x;
    return 0;
}

/* Flush and close @p fp: 0, or the errno of the first failure (what was written is incomplete). */
static int close_stream(FILE *fp)
{
    bool ok = fflush(fp) == 0 && !ferror(fp);
    int e = errno;
    if (fclose(fp) != 0 && ok) {
        ok = false;
        e = errno;
    }
    return ok ? 0 : e;
}

int fdx_ipfix_reopen(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    if (x == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_ipfix_reopen: invalid argument");
        return FDX_EINVAL;
    }
    if (x->failed) {
        fdxi_set_err(errbuf, errlen, "%s", x->failure);
        return FDX_EIO;
    }
    if (x->dest.kind != FDXI_DEST_FILE)
        return 0;
    GError *err = NULL;
    if (!emit(x, &err))
        return fail(x, err, "cannot write", errbuf, errlen);
    FILE *fp = fopen(x->dest.path, "ab");
    if (fp == NULL) {
        fdxi_set_err(errbuf, errlen, "%s: cannot open again: %s", x->dest.path, strerror(errno));
        return FDX_EIO;
    }
    fBufFree(x->fbuf); /* the session and libfixbuf's exporter, which leaves the file open */
    x->fbuf = NULL;
    x->session = NULL;
    int e = close_stream(x->fp);
    x->fp = fp;
    int rc = start_session(x, errbuf, errlen); /* the templates first */
    if (rc < 0)
        return rc;
    if (e != 0) { /* the records before the reopening did not all reach the old file */
        fdxi_set_err(errbuf, errlen, "%s: the file before reopening is incomplete: %s",
                     x->dest.path, strerror(e));
        return FDX_EIO;
    }
    return 1;
}

int fdx_ipfix_get_stats(const fdx_ipfix *x, struct fdx_ipfix_stats *st)
{
    if (x == NULL || st == NULL || st->struct_size < sizeof(struct fdx_ipfix_stats))
        return FDX_EINVAL;
    st->connected = !x->lost;
    st->records = x->records;
    st->dropped = x->dropped;
    st->losses = x->losses;
    st->reconnects = x->reconnects;
    st->last_loss = x->loss[0] != '\0' ? x->loss : NULL;
    return 0;
}

static void put(uint8_t *p, uint64_t v, uint32_t len)
{
    switch (len) {
    case 1: {
        uint8_t u = (uint8_t)v;
        memcpy(p, &u, 1);
        break;
    }
    case 2: {
        uint16_t u = (uint16_t)v;
        memcpy(p, &u, 2);
        break;
    }
    case 4: {
        uint32_t u = (uint32_t)v;
        memcpy(p, &u, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

/* An address as the internal record holds it: IPv4 as a native unsigned32 (libfixbuf converts
 * it), IPv6 as its 16 bytes in network order. */
static void put_addr(uint8_t *p, const uint8_t *addr, uint32_t len)
{
    if (len == 16) {
        memcpy(p, addr, 16);
        return;
    }
    uint32_t a =
        (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
    memcpy(p, &a, 4);
}

static void put_value(uint8_t *p, const struct fdxi_ipfix_element *e, double v)
{
    if (e->type == FDXI_IE_FLOAT64)
        memcpy(p, &v, 8);
    else
        put(p, fdxi_ipfix_unsigned(v, e->len), e->len);
}

/* The fdx<Slot>Verdict value (doc/ipfix.md): FDX_VERDICT_*, and 4 for no verdict because the plugin
 * declined the flow on purpose. */
static uint64_t verdict_code(const struct fdx_flow_verdict *s)
{
    if (s == NULL)
        return FDX_VERDICT_NONE;
    return s->verdict == FDX_VERDICT_NONE && s->declined ? 4 : s->verdict;
}

/* Fill the internal record of template @p v from @p r and the slots' verdicts. */
static void fill(fdx_ipfix *x, int v, const struct fdx_flow_record *r,
                 const struct fdx_flow_verdict *const *slots)
{
    const struct fdxi_ipfix_layout *l = x->layout;
    const struct tmpl *t = &x->t[v];
    memset(x->rec, 0, t->len);
    for (uint32_t i = 0; i < l->n; i++) {
        const struct fdxi_ipfix_element *e = &l->el[i];
        if (t->off[i] == NO_OFFSET)
            continue;
        uint8_t *p = x->rec + t->off[i];
        const struct fdx_flow_verdict *s = NULL;
        if (e->src == FDXI_SRC_VERDICT || e->src == FDXI_SRC_SCORE || e->src == FDXI_SRC_LABEL)
            s = slots[e->index];
        switch (e->src) {
        case FDXI_SRC_FLOW_ID:
            put(p, r->flow_id, e->len);
            break;
        case FDXI_SRC_SRC_ADDR:
            put_addr(p, r->src_addr, e->len);
            break;
        case FDXI_SRC_DST_ADDR:
            put_addr(p, r->dst_addr, e->len);
            break;
        case FDXI_SRC_SRC_PORT:
            put(p, r->src_port, e->len);
            break;
        case FDXI_SRC_DST_PORT:
            put(p, r->dst_port, e->len);
            break;
        case FDXI_SRC_PROTO:
            put(p, r->proto, e->len);
            break;
        case FDXI_SRC_START: /* dateTimeMilliseconds: ms since the Unix epoch (RFC 7011 6.1.8) */
            put(p,
                e->type == FDXI_IE_DATETIME_MS ? r->start_us / 1000u
                                               : fdxi_ipfix_time_us(r->start_us),
                e->len);
            break;
        case FDXI_SRC_END:
            put(p,
                e->type == FDXI_IE_DATETIME_MS ? r->end_us / 1000u : fdxi_ipfix_time_us(r->end_us),
                e->len);
            break;
        case FDXI_SRC_IANA_END_REASON:
            put(p, fdxi_ipfix_end_reason(r->end_reason), e->len);
            break;
        case FDXI_SRC_PACKETS:
            put(p, r->packets[e->index], e->len);
            break;
        case FDXI_SRC_BYTES:
            put(p, r->bytes[e->index], e->len);
            break;
        case FDXI_SRC_END_REASON:
            put(p, r->end_reason, e->len);
            break;
        case FDXI_SRC_SEGMENT:
            put(p, r->segment, e->len);
            break;
        case FDXI_SRC_VALUE:
            put_value(p, e, r->features[e->index]);
            break;
        case FDXI_SRC_VERDICT:
            put(p, verdict_code(s), e->len);
            break;
        case FDXI_SRC_SCORE:
            put_value(p, e, s ? s->score : 0.0);
            break;
        case FDXI_SRC_LABEL: {
            fbVarfield_t f = {0, NULL};
            if (s != NULL && s->label != NULL) {
                f.len = strnlen(s->label, FDXI_IPFIX_LABEL_MAX);
                f.buf = (uint8_t *)(uintptr_t)s->label; /* only read: copied into the message */
            }
            memcpy(p, &f, sizeof(f));
            break;
        }
        default:
            break;
        }
    }
}

/* UDP collectors learn templates only from what reaches them: send them again now and then. */
static int maybe_refresh(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    if (x->dest.kind != FDXI_DEST_UDP || x->refresh_s == 0)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - x->last_templates.tv_sec < (time_t)x->refresh_s)
        return 0;
    return send_templates(x, errbuf, errlen);
}

int fdx_ipfix_write(fdx_ipfix *x, const struct fdx_flow_record *rec,
                    const struct fdx_flow_verdict *verdicts, uint32_t n_verdicts, char *errbuf,
                    size_t errlen)
{
    if (x == NULL || rec == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_ipfix_write: invalid argument");
        return FDX_EINVAL;
    }
    if (x->failed) {
        fdxi_set_err(errbuf, errlen, "%s", x->failure);
        return FDX_EIO;
    }
    const struct fdxi_ipfix_layout *l = x->layout;
    uint32_t n_plugins = l->n_slots - l->n_detectors;
    bool has_verdicts = FDXI_HAS_FIELD(rec, struct fdx_flow_record, verdicts);
    if (rec->n_features != l->n_values || n_verdicts != l->n_detectors ||
        (n_verdicts > 0 && verdicts == NULL) ||
        (n_plugins > 0 && (!has_verdicts || rec->n_verdicts != n_plugins)) ||
        (rec->ip_version != 4 && rec->ip_version != 6)) {
        fdxi_set_err(errbuf, errlen,
                     "%s: a record with %u values and %u verdicts, IPv%u, for an exporter of "
                     "records with %u values and %u verdicts",
                     x->what, rec->n_features, n_verdicts, rec->ip_version, l->n_values,
                     l->n_detectors);
        return FDX_EINVAL;
    }
    x->records++;
    if (x->lost)
        reconnect_step(x);
    if (x->lost) {
        x->dropped++;
        return 0;
    }
    const struct fdx_flow_verdict *slots[FDX_IPFIX_MAX_DETECTORS + FDXI_MAX_PLUGINS];
    for (uint32_t i = 0; i < l->n_slots && i < sizeof(slots) / sizeof(slots[0]); i++)
        slots[i] = i < l->n_detectors ? &verdicts[i] : &rec->verdicts[i - l->n_detectors];
    int rc = maybe_refresh(x, errbuf, errlen);
    if (rc < 0)
        return rc;
    int v = rec->ip_version == 6;
    fill(x, v, rec, slots);
    GError *err = NULL;
    if (x->cur != v) {
        if (!fBufSetInternalTemplate(x->fbuf, x->t[v].int_tid, &err) ||
            !fBufSetExportTemplate(x->fbuf, x->t[v].ext_tid, &err))
            return fail(x, err, "cannot select the template", errbuf, errlen);
        x->cur = v;
    }
    bool ok = fBufAppend(x->fbuf, x->rec, x->t[v].len, &err);
    if (!ok && g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
        /* the message is full (or holds templates): send it, and start the next with this */
        g_clear_error(&err);
        if (!emit(x, &err)) {
            rc = send_failed(x, err, sending(x), errbuf, errlen);
            x->dropped += rc == 0; /* lost with the collector: this record too */
            return rc;
        }
        ok = fBufAppend(x->fbuf, x->rec, x->t[v].len, &err);
    }
    if (!ok)
        return fail(x, err, "cannot add the record", errbuf, errlen);
    /* A collector (or a reader of the file) gets a record at most FDX_IPFIX_MAX_WAIT_MS after
     * it was added while records keep coming; fdx_ipfix_flush() sends the rest when they stop. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (++x->in_msg == 1) {
        x->pending_since = now;
        return 0;
    }
    long long waited_ms = (long long)(now.tv_sec - x->pending_since.tv_sec) * 1000 +
                          (now.tv_nsec - x->pending_since.tv_nsec) / 1000000;
    return waited_ms >= FDX_IPFIX_MAX_WAIT_MS ? fdx_ipfix_flush(x, errbuf, errlen) : 0;
}

int fdx_ipfix_flush(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    if (x == NULL)
        return 0;
    if (x->failed) {
        fdxi_set_err(errbuf, errlen, "%s", x->failure);
        return FDX_EIO;
    }
    if (x->lost)
        reconnect_step(x);
    if (x->in_msg == 0 || x->lost)
        return 0;
    GError *err = NULL;
    if (!emit(x, &err))
        return send_failed(x, err, sending(x), errbuf, errlen);
    if (x->fp != NULL && fflush(x->fp) != 0)
        return fail_with(x, "cannot write", strerror(errno), errbuf, errlen);
    return 0;
}

int fdx_ipfix_close(fdx_ipfix *x, char *errbuf, size_t errlen)
{
    if (x == NULL)
        return 0;
    int rc = 0;
    GError *err = NULL;
    if (!x->failed && !x->lost && !emit(x, &err))
        rc = send_failed(x, err, sending(x), errbuf, errlen);
    if (!x->failed && !x->lost && x->fd >= 0 && !ledger_trim(x)) {
        /* what the kernel still holds goes out after the close: wait for the collector's host
         * to acknowledge it, or count what it did not */
        struct timespec start, now, nap = {0, 10000000L};
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            nanosleep(&nap, NULL);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (!ledger_trim(x) && seconds_between(&start, &now) < TCP_SEND_TIMEOUT_S);
        uint64_t unacked = ledger_unacked(x);
        if (unacked > 0) {
            x->dropped += unacked;
            char why[160];
            snprintf(why, sizeof(why),
                     "%llu of %llu records not acknowledged by the collector within %d s of the "
                     "end",
                     (unsigned long long)unacked, (unsigned long long)x->records,
                     TCP_SEND_TIMEOUT_S);
            rc = fail_with(x, "cannot send", why, errbuf, errlen);
        }
    }
    if (x->lost && !x->failed) {
        /* not an error of this call alone: the records since the loss are gone */
        int n = snprintf(x->failure, sizeof(x->failure), "%.300s", x->loss);
        snprintf(x->failure + n, sizeof(x->failure) - (size_t)n,
                 "; not connected again by the end: %llu of %llu records dropped",
                 (unsigned long long)x->dropped, (unsigned long long)x->records);
        x->failed = true;
    }
    fBufFree(x->fbuf);
    x->fbuf = NULL;
    x->session = NULL;
    if (x->fp != NULL) {
        int e = close_stream(x->fp);
        x->fp = NULL;
        if (e != 0 && rc == 0)
            rc = fail_with(x, "cannot write", strerror(e), errbuf, errlen);
    }
    if (x->failed && rc == 0) {
        fdxi_set_err(errbuf, errlen, "%s", x->failure);
        rc = FDX_EIO;
    }
    free_ipfix(x);
    return rc;
}
