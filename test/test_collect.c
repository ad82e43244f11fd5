/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the collector: NetFlow v5, v9 and IPFIX built by hand, pairing, sockets. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "flowdx/flowdx_collect.h"
#include "scratch.h"

#define S 1000000ull
#define MAX_SEEN 16

static struct fdx_input_record seen[MAX_SEEN];
static int n_seen;
static char logged[8][640];
static int n_logged;

static void on_record(void *user, const struct fdx_input_record *r)
{
    (void)user;
    assert_true(n_seen < MAX_SEEN);
    seen[n_seen++] = *r;
}

static void on_log(void *user, int level, const char *msg)
{
    (void)user, (void)level;
    if (n_logged < 8)
        snprintf(logged[n_logged++], sizeof(logged[0]), "%s", msg);
}

static bool log_has(const char *a, const char *b)
{
    for (int i = 0; i < n_logged; i++)
        if (strstr(logged[i], a) != NULL && (b == NULL || strstr(logged[i], b) != NULL))
            return true;
    return false;
}

static fdx_collector *collector(uint32_t unpaired, uint32_t max_pending)
{
    struct fdx_collector_options o;
    fdx_collector_options_init(&o);
    o.on_record = on_record;
    o.log = on_log;
    o.unpaired = unpaired;
    o.max_pending = max_pending;
    n_seen = n_logged = 0;
    fdx_collector *c = NULL;
    char err[256];
    assert_int_equal(fdx_collector_new(&o, &c, err, sizeof(err)), 0);
    return c;
}

static struct fdx_collector_stats stats(const fdx_collector *c)
{
    struct fdx_collector_stats st = {.struct_size = sizeof(st)};
    fdx_collector_stats(c, &st);
    return st;
}

/* ---- the flowdx command, run from its build directory ---- */

static char flowdx_bin[4096]; /* argv[1], else tools/flowdx beside this program's test/ */

/* Start `flowdx ARGS...` (NULL-terminated, without argv[0]) in directory @p dir with standard
 * input from /dev/null, standard output to @p out_path (NULL: /dev/null) and standard error to
 * @p err_path. An alarm of @p limit_s seconds (kept across exec) ends a command that does not
 * stop by itself, so a regression fails the test instead of hanging it. */
static pid_t cli_start(const char *dir, const char *out_path, const char *err_path,
                       unsigned limit_s, const char *const *args)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = flowdx_bin;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out =
            open(out_path != NULL ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || chdir(dir) < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        alarm(limit_s);
        execv(flowdx_bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* The exit status of @p pid, or 128 + the signal that ended it. */
static int cli_wait(pid_t pid)
{
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cli(const char *dir, const char *err_path, const char *const *args)
{
    return cli_wait(cli_start(dir, NULL, err_path, 10, args));
}

/* The whole of a small file, NUL-terminated, in @p buf. */
static const char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Wait (5 s at most) until the file @p path contains @p text; the file's text in @p buf. */
static bool wait_for_text(const char *path, const char *text, char *buf, size_t len)
{
    for (int i = 0; i < 500; i++) {
        if (access(path, R_OK) == 0 && strstr(slurp(path, buf, len), text) != NULL)
            return true; /* (the child may not have created the file yet) */
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The UDP port a `flowdx collect -l udp://127.0.0.1:0` started with cli_start() listens on, from
 * its "listening on" line in @p err_path. */
static int cli_udp_port(const char *err_path)
{
    static const char at[] = "listening on udp://127.0.0.1:";
    char text[4096];
    assert_true(wait_for_text(err_path, at, text, sizeof(text)));
    return atoi(strstr(text, at) + strlen(at));
}

/* Send @p len bytes to UDP port @p port of 127.0.0.1. */
static void send_udp(int port, const void *data, size_t len)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    assert_int_equal(sendto(s, data, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
    close(s);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* ---- a byte builder, big-endian ---- */

struct msg {
    uint8_t b[2048];
    size_t n;
};

static void put(struct msg *m, uint64_t v, int bytes)
{
    assert_true(m->n + (size_t)bytes <= sizeof(m->b));
    for (int i = bytes - 1; i >= 0; i--) /* wider than 8 bytes: zeros first */
        m->b[m->n++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void put_addr(struct msg *m, const char *text)
{
    uint8_t a[16];
    if (inet_pton(AF_INET, text, a) == 1) {
        memcpy(m->b + m->n, a, 4);
        m->n += 4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, a), 1);
        memcpy(m->b + m->n, a, 16);
        m->n += 16;
    }
}

/* Patch a 16-bit length at @p at to @p v. */
static void patch16(struct msg *m, size_t at, size_t v)
{
    m->b[at] = (uint8_t)(v >> 8);
    m->b[at + 1] = (uint8_t)v;
}

/* Patch a 32-bit value (a header's sequence number) at @p at to @p v. */
static void patch32(struct msg *m, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m->b[at + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Start a set (a NetFlow v9 flowset) with @p id and a length that set_end() fills in; returns
 * where the set starts. */
static size_t set_begin(struct msg *m, uint16_t id)
{
    size_t set = m->n;
    put(m, id, 2);
    put(m, 0, 2);
    return set;
}

/* Patch the length of the set that starts at @p set to end here. */
static void set_end(struct msg *m, size_t set)
{
    patch16(m, set + 2, m->n - set);
}

static void assert_addr(const uint8_t *a, const char *text)
{
    uint8_t want[16] = {0};
    if (inet_pton(AF_INET, text, want) != 1)
        assert_int_equal(inet_pton(AF_INET6, text, want), 1);
    assert_memory_equal(a, want, 16);
}

/* ---- NetFlow v5 ---- */

static void v5_header(struct msg *m, uint16_t count, uint32_t uptime, uint32_t secs, uint32_t nsecs)
{
    m->n = 0;
    put(m, 5, 2);
    put(m, count, 2);
    put(m, uptime, 4);
    put(m, secs, 4);
    put(m, nsecs, 4);
    put(m, 1, 4); /* sequence */
    put(m, 0, 4); /* engine type, id, sampling */
}

static void v5_record(struct msg *m, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                      uint32_t pkts, uint32_t octets, uint32_t first, uint32_t last, uint8_t flags,
                      uint8_t proto)
{
    put_addr(m, src);
    put_addr(m, dst);
    put(m, 0, 4); /* next hop */
    put(m, 0, 4); /* input, output */
    put(m, pkts, 4);
    put(m, octets, 4);
    put(m, first, 4);
    put(m, last, 4);
    put(m, sp, 2);
    put(m, dp, 2);
    put(m, 0, 1);
    put(m, flags, 1);
    put(m, proto, 1);
    put(m, 0, 1); /* tos */
    put(m, 0, 8); /* AS numbers, masks, padding */
}

/*
 * Both directions of a TCP connection in one v5 datagram. By hand: export time 1700000000.25 s,
 * uptime 10000 ms, so the exporter started at 1699999990250 ms; the client's record (First 8000,
 * Last 9500) runs from 1699999998250 to 1699999999750 ms, the server's from 8001 to 9499. The
 * client's starts first: it is the initiator. One record: packets 12/10, bytes 1500/900, flags
 * 0x1b/0x13, no TTL or lengths (v5 has none).
 */
static void test_collect_v5_pairs_both_directions(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    v5_header(&m, 2, 10000, 1700000000, 250000000);
    v5_record(&m, "10.0.0.3", "10.0.0.7", 25, 40000, 10, 900, 8001, 9499, 0x13, 6);
    v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 12, 1500, 8000, 9500, 0x1b, 6);
    assert_int_equal(m.n, 24 + 2 * 48);
    m.b[20] = 1; /* engine type 1 */
    m.b[21] = 2; /* engine id 2 */
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), 0);
    assert_true(log_has("udp 192.0.2.9:2055: new exporter: NetFlow v5, engine type 1, id 2", NULL));
    assert_int_equal(n_seen, 1);
    const struct fdx_input_record *r = &seen[0];
    assert_addr(r->src_addr, "10.0.0.7");
    assert_addr(r->dst_addr, "10.0.0.3");
    assert_int_equal(r->src_port, 40000);
    assert_int_equal(r->dst_port, 25);
    assert_int_equal(r->ip_version, 4);
    assert_int_equal(r->proto, 6);
    assert_int_equal(r->present, FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS);
    assert_int_equal(r->packets[0], 12);
    assert_int_equal(r->packets[1], 10);
    assert_int_equal(r->bytes[0], 1500);
    assert_int_equal(r->bytes[1], 900);
    assert_int_equal(r->tcp_flags[0], 0x1b);
    assert_int_equal(r->tcp_flags[1], 0x13);
    assert_int_equal(r->start_us, 1699999998250ull * 1000);
    assert_int_equal(r->end_us, 1699999999750ull * 1000);
    assert_int_equal(r->end_reason, FDX_END_IDLE);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.datagrams, 1);
    assert_int_equal(st.v5, 1);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.paired, 1);
    assert_int_equal(st.reported, 1);
    assert_int_equal(st.exporters, 1);
    fdx_collector_free(c);
}

static void test_collect_v5_malformed_is_skipped_with_message(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    v5_header(&m, 2, 10000, 1700000000, 0);
    v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 12, 1500, 8000, 9500, 0x1b, 6);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), FDX_EFORMAT);
    assert_true(log_has("udp 192.0.2.9:2055: datagram 1 (NetFlow v5, 72 bytes)",
                        "72 bytes for 2 records (120 expected); skipped"));
    v5_header(&m, 31, 10000, 1700000000, 0);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), FDX_EFORMAT);
    assert_true(log_has("datagram 2", "record count 31 (1 to 30)"));
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, 20, 1 * S), FDX_EFORMAT);
    assert_true(log_has("datagram 3", "shorter than the NetFlow v5 header"));
    /* neither v5, v9 nor IPFIX */
    m.b[1] = 7;
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), FDX_ENOTSUP);
    assert_true(log_has("datagram 4", "version 7 is not NetFlow v5, v9 or IPFIX"));
    fdx_collector_flush(c);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(n_seen, 0);
    assert_int_equal(st.malformed, 3);
    assert_int_equal(st.unsupported, 1);
    assert_int_equal(st.records, 0);
    fdx_collector_free(c);
}

/* ---- NetFlow v9 ---- */

static void v9_header(struct msg *m, uint16_t count, uint32_t uptime, uint32_t secs,
                      uint32_t source_id)
{
    m->n = 0;
    put(m, 9, 2);
    put(m, count, 2);
    put(m, uptime, 4);
    put(m, secs, 4);
    put(m, 1, 4);
    put(m, source_id, 4);
}

/* Template 260: src, dst, sport, dport, proto, flags, packets, bytes, FIRST_SWITCHED,
 * LAST_SWITCHED, MIN_TTL, MAX_TTL: 32 bytes a record. */
static void v9_template(struct msg *m)
{
    static const uint16_t f[][2] = {{8, 4}, {12, 4}, {7, 2},  {11, 2}, {4, 1},  {6, 1},
                                    {2, 4}, {1, 4},  {22, 4}, {21, 4}, {52, 1}, {53, 1}};
    size_t n = sizeof(f) / sizeof(f[0]);
    size_t set = set_begin(m, 0);
    put(m, 260, 2);
    put(m, n, 2);
    for (size_t i = 0; i < n; i++) {
        put(m, f[i][0], 2);
        put(m, f[i][1], 2);
    }
    set_end(m, set);
}

/* A data set of template 260 with one record: 10.1.1.1:5353 -> 10.1.1.2:53 UDP, 1 packet of 60
 * bytes at uptime 49000 ms, TTL 64. */
static void v9_dns_record(struct msg *m)
{
    size_t set = set_begin(m, 260);
    put_addr(m, "10.1.1.1");
    put_addr(m, "10.1.1.2");
    put(m, 5353, 2);
    put(m, 53, 2);
    put(m, 17, 1);
    put(m, 0, 1);
    put(m, 1, 4);
    put(m, 60, 4);
    put(m, 49000, 4);
    put(m, 49000, 4);
    put(m, 64, 1);
    put(m, 64, 1);
    set_end(m, set);
}

/*
 * v9: a template and a UDP record in one datagram, the record's reverse never comes. By hand:
 * the exporter started at 1700000100 s - 50000 ms = 1700000050000 ms; the record's packet at
 * uptime 49000 is at 1700000099000 ms. It waits 5 s (the default) and is then released alone:
 * source 5353 is no server port, destination 53 is, so the record is the request; the response
 * had 0 packets (FDX_UNPAIRED_ZERO). A second exporter's data without its template is counted.
 */
static void test_collect_v9_template_record_waits_then_alone(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    v9_header(&m, 2, 50000, 1700000100, 7);
    v9_template(&m);
    v9_dns_record(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.1:9995", m.b, m.n, 2 * S), 0);
    assert_int_equal(n_seen, 0); /* waiting for its reverse */
    assert_true(log_has("udp 192.0.2.1:9995: new exporter: NetFlow v9, source id 7", NULL));
    /* the same data from an exporter that never sent the template */
    struct msg d = m;
    memmove(d.b + 20, d.b + 20 + 4 + 4 + 48, m.n - (20 + 56));
    d.n = m.n - 56;
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.2:9995", d.b, d.n, 3 * S), 0);
    assert_true(log_has("udp 192.0.2.2:9995: source id 7: data set 260 has no template yet", NULL));
    assert_int_equal(n_seen, 0);
    /* 5 s after its arrival: released */
    v9_header(&m, 0, 60000, 1700000110, 7);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.1:9995", m.b, m.n, 7 * S), 0);
    assert_int_equal(n_seen, 1);
    const struct fdx_input_record *r = &seen[0];
    assert_addr(r->src_addr, "10.1.1.1");
    assert_int_equal(r->src_port, 5353);
    assert_int_equal(r->dst_port, 53);
    assert_int_equal(r->proto, 17);
    assert_int_equal(r->present,
                     FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS | FDX_INPUT_TTL); /* no lengths */
    assert_int_equal(r->packets[0], 1);
    assert_int_equal(r->bytes[0], 60);
    assert_int_equal(r->packets[1], 0);
    assert_int_equal(r->min_ttl[0], 64);
    assert_int_equal(r->start_us, 1700000099000ull * 1000);
    assert_int_equal(r->end_us, 1700000099000ull * 1000);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.v9, 3);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.no_template, 1);
    assert_int_equal(st.unpaired, 1);
    assert_int_equal(st.exporters, 2);
    fdx_collector_free(c);
}

/*
 * Datagrams whose header cannot be read make no exporter session. By hand: one v9 exporter
 * sends its template (datagram 1); then 1,100 four-byte datagrams 00 0a 00 10 (IPFIX, header
 * length 16, 4 received) come from 1,100 ports, with max_exporters 1024 (the default): had each
 * made a session, the 1,025th would have pushed the real one out with its template. Then a
 * 0-byte and a 1-byte datagram, and the exporter's data (datagram 1,104): its record is still
 * decoded, so records 1, no_template 0, exporters 1, exporters_lost 0; malformed 1,100 + 2 =
 * 1,102; unsupported 0 (the two short ones have no version, they are malformed); datagrams
 * 1 + 1,100 + 2 + 1 = 1,104; ipfix 1,100 (their version number is IPFIX's).
 */
static void test_collect_broken_headers_make_no_session(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    v9_header(&m, 1, 50000, 1700000100, 7);
    v9_template(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.1:9995", m.b, m.n, 1 * S), 0);
    static const uint8_t bad[] = {0x00, 0x0a, 0x00, 0x10};
    for (int i = 0; i < 1100; i++) {
        char name[64];
        snprintf(name, sizeof(name), "udp 203.0.113.5:%d", 10000 + i);
        assert_int_equal(fdx_collector_feed(c, name, bad, sizeof(bad), 2 * S), FDX_EFORMAT);
    }
    assert_true(log_has("udp 203.0.113.5:10000: datagram 2 (IPFIX, 4 bytes)",
                        "shorter than the IPFIX header (16); skipped"));
    assert_false(log_has("new exporter: IPFIX", NULL));
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.6:1", bad, 0, 3 * S), FDX_EFORMAT);
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.6:1", bad, 1, 3 * S), FDX_EFORMAT);
    v9_header(&m, 1, 51000, 1700000101, 7);
    v9_dns_record(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.1:9995", m.b, m.n, 4 * S), 0);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.no_template, 0);
    assert_int_equal(st.exporters, 1);
    assert_int_equal(st.exporters_lost, 0);
    assert_int_equal(st.malformed, 1102);
    assert_int_equal(st.unsupported, 0);
    assert_int_equal(st.datagrams, 1104);
    assert_int_equal(st.ipfix, 1100);
    fdx_collector_free(c);
}

/* ---- IPFIX ---- */

static void ipfix_header(struct msg *m, uint32_t export_s, uint32_t domain)
{
    m->n = 0;
    put(m, 10, 2);
    put(m, 0, 2); /* length, patched */
    put(m, export_s, 4);
    put(m, 0, 4);
    put(m, domain, 4);
}

static void ipfix_done(struct msg *m)
{
    patch16(m, 2, m->n);
}

/* A field specifier; @p pen nonzero sets the enterprise bit. */
static void spec(struct msg *m, uint16_t id, uint16_t len, uint32_t pen)
{
    put(m, pen ? (id | 0x8000u) : id, 2);
    put(m, len, 2);
    if (pen)
        put(m, pen, 4);
}

/* A field specifier of an IPFIX template; @p pen 0 for an IANA element. */
struct ie {
    uint16_t id, len;
    uint32_t pen;
};

/* A template set (RFC 7011 3.4.1) of one template, @p tid, with the @p n fields of @p f. */
static void ipfix_template(struct msg *m, uint16_t tid, const struct ie *f, size_t n)
{
    size_t set = set_begin(m, 2);
    put(m, tid, 2);
    put(m, n, 2);
    for (size_t i = 0; i < n; i++)
        spec(m, f[i].id, f[i].len, f[i].pen);
    set_end(m, set);
}

#define REV 29305u

/*
 * An RFC 5103 biflow whose forward direction is the server's: the reverse (client) direction
 * started 100 ms earlier, so the client initiated and the record comes out turned round. Every
 * element flowrec reads is there (lengths, TTLs, flags both ways), and a variable-length
 * interfaceName (82) that must be skipped.
 */
static void ipfix_biflow_message(struct msg *m)
{
    static const struct ie f[] = {
        {8, 4, 0},    {12, 4, 0},   {7, 2, 0},      {11, 2, 0},  {4, 1, 0},   {152, 8, 0},
        {153, 8, 0},  {2, 8, 0},    {1, 8, 0},      {6, 2, 0},   {25, 2, 0},  {26, 2, 0},
        {52, 1, 0},   {53, 1, 0},   {82, 65535, 0}, {2, 4, REV}, {1, 4, REV}, {6, 1, REV},
        {52, 1, REV}, {53, 1, REV}, {152, 8, REV}};
    ipfix_header(m, 1700000200, 3);
    ipfix_template(m, 300, f, sizeof(f) / sizeof(f[0]));
    /* the data record */
    size_t set = set_begin(m, 300);
    put_addr(m, "192.0.2.10");
    put_addr(m, "198.51.100.20");
    put(m, 25, 2);
    put(m, 51000, 2);
    put(m, 6, 1);
    put(m, 1700000150100ull, 8);
    put(m, 1700000151000ull, 8);
    put(m, 8, 8);
    put(m, 4000, 8);
    put(m, 0x1a, 2);
    put(m, 52, 2);
    put(m, 1500, 2);
    put(m, 60, 1);
    put(m, 60, 1);
    put(m, 4, 1);
    memcpy(m->b + m->n, "eth0", 4);
    m->n += 4;
    put(m, 9, 4);
    put(m, 700, 4);
    put(m, 0x1b, 1);
    put(m, 120, 1);
    put(m, 121, 1);
    put(m, 1700000150000ull, 8);
    set_end(m, set);
    ipfix_done(m);
}

/*
 * By hand: the reverse direction (198.51.100.20:51000, the client) started at ...150000 ms, the
 * forward (server) at ...150100: the client is the initiator. Request = the reverse elements:
 * 9 packets, 700 bytes, flags 0x1b, TTL 120..121; response = forward: 8, 4000, 0x1a, TTL 60..60,
 * lengths 52..1500. The reverse direction has no length elements, so the record has none
 * (FDX_INPUT_IP_LEN clear). Start ...150000 ms (the earlier), end ...151000 ms.
 */
static void test_collect_ipfix_biflow_turned_to_initiator(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    ipfix_biflow_message(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", m.b, m.n, 1 * S), 0);
    assert_int_equal(n_seen, 1);
    const struct fdx_input_record *r = &seen[0];
    assert_addr(r->src_addr, "198.51.100.20");
    assert_addr(r->dst_addr, "192.0.2.10");
    assert_int_equal(r->src_port, 51000);
    assert_int_equal(r->dst_port, 25);
    assert_int_equal(r->present, FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS | FDX_INPUT_TTL);
    assert_int_equal(r->packets[0], 9);
    assert_int_equal(r->packets[1], 8);
    assert_int_equal(r->bytes[0], 700);
    assert_int_equal(r->bytes[1], 4000);
    assert_int_equal(r->tcp_flags[0], 0x1b);
    assert_int_equal(r->tcp_flags[1], 0x1a);
    assert_int_equal(r->min_ttl[0], 120);
    assert_int_equal(r->max_ttl[0], 121);
    assert_int_equal(r->min_ttl[1], 60);
    assert_int_equal(r->start_us, 1700000150000ull * 1000);
    assert_int_equal(r->end_us, 1700000151000ull * 1000);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.ipfix, 1);
    assert_int_equal(st.biflows, 1);
    assert_int_equal(st.paired, 0);
    fdx_collector_free(c);
}

/*
 * softflowd's way (ipfix.c of softflowd 1.1.0): times as flowStart/EndSysUpTime, the exporter's
 * start in an options record (scope meteringProcessId, systemInitTimeMilliseconds), both
 * directions as two records with the same times. By hand: start 1700000000000 + 5000 ms, end
 * + 7000 ms; equal start times, so the port rule decides: 10.0.0.1:45000 -> 10.0.0.2:25 is the
 * client's record.
 */
static void test_collect_ipfix_sysuptime_from_options_record(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    static const struct ie f[] = {{8, 4, 0}, {12, 4, 0}, {22, 4, 0}, {21, 4, 0}, {1, 4, 0},
                                  {2, 4, 0}, {7, 2, 0},  {11, 2, 0}, {4, 1, 0},  {6, 1, 0}};
    ipfix_header(&m, 1700000010, 0);
    ipfix_template(&m, 1024, f, sizeof(f) / sizeof(f[0]));
    /* options template 256: scope meteringProcessId, then systemInitTimeMilliseconds */
    size_t set = set_begin(&m, 3);
    put(&m, 256, 2);
    put(&m, 2, 2);
    put(&m, 1, 2);
    spec(&m, 143, 4, 0);
    spec(&m, 160, 8, 0);
    put(&m, 0, 2); /* padding */
    set_end(&m, set);
    set = set_begin(&m, 256);
    put(&m, 4242, 4);
    put(&m, 1700000000000ull, 8);
    set_end(&m, set);
    set = set_begin(&m, 1024);
    const char *a[2] = {"10.0.0.2", "10.0.0.1"};
    uint16_t p[2] = {25, 45000};
    for (int i = 0; i < 2; i++) {
        put_addr(&m, a[i]);
        put_addr(&m, a[1 - i]);
        put(&m, 5000, 4);
        put(&m, 7000, 4);
        put(&m, i ? 2100 : 5400, 4);
        put(&m, i ? 20 : 10, 4);
        put(&m, p[i], 2);
        put(&m, p[1 - i], 2);
        put(&m, 6, 1);
        put(&m, i ? 0x1b : 0x13, 1);
    }
    set_end(&m, set);
    ipfix_done(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 127.0.0.1:33000", m.b, m.n, 1 * S), 0);
    assert_int_equal(n_seen, 1);
    const struct fdx_input_record *r = &seen[0];
    assert_addr(r->src_addr, "10.0.0.1");
    assert_int_equal(r->src_port, 45000);
    assert_int_equal(r->packets[0], 20);
    assert_int_equal(r->bytes[0], 2100);
    assert_int_equal(r->packets[1], 10);
    assert_int_equal(r->tcp_flags[1], 0x13);
    assert_int_equal(r->start_us, 1700000005000ull * 1000);
    assert_int_equal(r->end_us, 1700000007000ull * 1000);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.not_flows, 1);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.paired, 1);
    fdx_collector_free(c);
}

/* A broken set anywhere makes the whole message count as malformed: no record of it is given
 * out, even those of a sound data set before the broken one. */
static void test_collect_ipfix_malformed_messages(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    ipfix_biflow_message(&m);
    /* 1: the header's length differs from the datagram's */
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", m.b, m.n - 1, 1 * S),
                     FDX_EFORMAT);
    assert_true(log_has("datagram 1 (IPFIX", "differs from the"));
    /* 2: the sound message with a set appended whose length runs past the end */
    struct msg bad = m;
    put(&bad, 300, 2);
    put(&bad, 400, 2);
    put(&bad, 0, 4);
    ipfix_done(&bad);
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", bad.b, bad.n, 1 * S),
                     FDX_EFORMAT);
    assert_true(log_has("datagram 2 (IPFIX", "length 400 is past the end"));
    /* 3: a variable-length field whose length runs past its set */
    bad = m;
    size_t var = bad.n - (4 + 4 + 1 + 1 + 1 + 8) - 5; /* the length byte of "eth0" */
    assert_int_equal(bad.b[var], 4);
    bad.b[var] = 200;
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", bad.b, bad.n, 1 * S),
                     FDX_EFORMAT);
    assert_true(log_has("datagram 3 (IPFIX", "data set 300"));
    /* 4: a template whose last field is cut off */
    bad = m;
    patch16(&bad, 16 + 2, 4 + 4 + 3);
    patch16(&bad, 2, 16 + 4 + 4 + 3);
    bad.n = 16 + 4 + 4 + 3;
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", bad.b, bad.n, 1 * S),
                     FDX_EFORMAT);
    assert_true(log_has("datagram 4 (IPFIX", "field 1 of 21 runs past"));
    assert_int_equal(n_seen, 0);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.malformed, 4);
    /* the sound message still decodes */
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", m.b, m.n, 1 * S), 0);
    assert_int_equal(n_seen, 1);
    fdx_collector_free(c);
}

/* ---- pairing ---- */

/* Opposite directions 10 s apart do not overlap (slack 1 s): two records, each alone. Without a
 * reverse, FDX_UNPAIRED_UNKNOWN leaves the response unknown; a server's lone record is still the
 * request then. With room for one waiting record, a second pushes the first out early. */
static void test_collect_pairing_needs_overlap(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_UNKNOWN, 1);
    struct msg m;
    v5_header(&m, 1, 100000, 1700000000, 0);
    v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 3, 180, 50000, 51000, 0x02, 6);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), 0);
    v5_header(&m, 1, 100000, 1700000000, 0);
    v5_record(&m, "10.0.0.3", "10.0.0.7", 25, 40000, 2, 80, 62000, 63000, 0x12, 6);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 2 * S), 0);
    assert_int_equal(n_seen, 1); /* the first, pushed out by the second (max_pending 1) */
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 2);
    assert_int_equal(seen[0].present, FDX_INPUT_TCP_FLAGS);
    assert_int_equal(seen[0].packets[0], 3);
    assert_addr(seen[1].src_addr, "10.0.0.3"); /* unknown: as the exporter wrote it */
    assert_int_equal(seen[1].src_port, 25);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.paired, 0);
    assert_int_equal(st.unpaired, 2);
    assert_int_equal(st.pair_overflow, 1);
    fdx_collector_free(c);

    /* FDX_UNPAIRED_ZERO turns the server's lone record into a response of an empty request */
    c = collector(FDX_UNPAIRED_ZERO, 10);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 2 * S), 0);
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 1);
    assert_addr(seen[0].src_addr, "10.0.0.7");
    assert_int_equal(seen[0].src_port, 40000);
    assert_int_equal(seen[0].packets[0], 0);
    assert_int_equal(seen[0].packets[1], 2);
    assert_int_equal(seen[0].tcp_flags[1], 0x12);
    assert_int_equal(seen[0].present, FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS);
    fdx_collector_free(c);
}

/* An ICMP record of v5 carries type and code in its destination port (3 * 256 + 4: fragmentation
 * needed); flowdx keys ICMP flows without ports. */
static void test_collect_v5_icmp_has_no_ports(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    v5_header(&m, 1, 10000, 1700000000, 0);
    v5_record(&m, "10.10.1.4", "192.168.1.1", 0, 3 * 256 + 4, 1, 56, 9000, 9000, 0, 1);
    assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), 0);
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 1);
    assert_int_equal(seen[0].proto, 1);
    assert_int_equal(seen[0].src_port, 0);
    assert_int_equal(seen[0].dst_port, 0);
    assert_addr(seen[0].src_addr, "10.10.1.4"); /* no port says otherwise: the exporter's order */
    fdx_collector_free(c);
}

/* Two biflow records of one connection, each with an empty reverse direction (softflowd -b keeps
 * the directions of a flow between two ports of one address apart): paired into one flow, as
 * one-way records are. */
static void test_collect_empty_biflows_are_paired(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_UNKNOWN, 100);
    struct msg m;
    static const struct ie f[] = {{8, 4, 0},   {12, 4, 0},  {7, 2, 0}, {11, 2, 0}, {4, 1, 0},
                                  {152, 8, 0}, {153, 8, 0}, {2, 4, 0}, {2, 4, REV}};
    ipfix_header(&m, 1700000300, 0);
    ipfix_template(&m, 400, f, sizeof(f) / sizeof(f[0]));
    size_t set = set_begin(&m, 400);
    uint16_t port[2] = {33526, 8053};
    uint32_t pkts[2] = {5, 6};
    for (int i = 0; i < 2; i++) {
        put_addr(&m, "127.0.0.1");
        put_addr(&m, "127.0.0.1");
        put(&m, port[i], 2);
        put(&m, port[1 - i], 2);
        put(&m, 6, 1);
        put(&m, 1700000290000ull, 8);
        put(&m, 1700000290007ull, 8);
        put(&m, pkts[i], 4);
        put(&m, 0, 4);
    }
    set_end(&m, set);
    ipfix_done(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 127.0.0.1:40000", m.b, m.n, 1 * S), 0);
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 1);
    /* equal times, no port below 1024 and 8053 is not a server port: the first record's order */
    assert_int_equal(seen[0].src_port, 33526);
    assert_int_equal(seen[0].packets[0], 5);
    assert_int_equal(seen[0].packets[1], 6);
    assert_int_equal(seen[0].present, FDX_INPUT_RESP);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.biflows, 2);
    assert_int_equal(st.paired, 1);
    fdx_collector_free(c);

    /* alone, such a record keeps its empty answer even with FDX_UNPAIRED_UNKNOWN */
    c = collector(FDX_UNPAIRED_UNKNOWN, 100);
    struct msg one = m;
    patch16(&one, set + 2, 4 + 37);
    one.n = set + 4 + 37;
    ipfix_done(&one);
    assert_int_equal(fdx_collector_feed(c, "udp 127.0.0.1:40000", one.b, one.n, 1 * S), 0);
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 1);
    assert_int_equal(seen[0].present, FDX_INPUT_RESP);
    assert_int_equal(seen[0].packets[1], 0);
    fdx_collector_free(c);
}

/* softflowd -b on an ICMP echo exchange: two biflow records with the same forward source (the
 * resolver), one whose forward direction is empty (the echo requests are in its reverse) and one
 * whose reverse is. By hand: the first is the pinging host's request direction, 192.0.2.7 ->
 * 198.51.100.8, 2 packets and 168 bytes from ...290000 ms; the second the answers, 2 packets and
 * 168 bytes from ...290010 ms. Paired into one flow, initiated by 192.0.2.7 (it started first). */
static void test_collect_biflow_with_empty_forward_is_paired(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    static const struct ie f[] = {{8, 4, 0}, {12, 4, 0},  {7, 2, 0},   {11, 2, 0},
                                  {4, 1, 0}, {152, 8, 0}, {153, 8, 0}, {2, 4, 0},
                                  {1, 4, 0}, {2, 4, REV}, {1, 4, REV}};
    ipfix_header(&m, 1700000300, 0);
    ipfix_template(&m, 400, f, sizeof(f) / sizeof(f[0]));
    size_t set = set_begin(&m, 400);
    const uint64_t start[2] = {1700000290000ull, 1700000290010ull};
    const uint32_t fwd[2] = {0, 2}, rev[2] = {2, 0};
    for (int i = 0; i < 2; i++) {
        put_addr(&m, "198.51.100.8");
        put_addr(&m, "192.0.2.7");
        put(&m, 0, 2);
        put(&m, 0, 2);
        put(&m, 1, 1);
        put(&m, start[i], 8);
        put(&m, start[i] + 1000, 8);
        put(&m, fwd[i], 4);
        put(&m, fwd[i] * 84, 4);
        put(&m, rev[i], 4);
        put(&m, rev[i] * 84, 4);
    }
    set_end(&m, set);
    ipfix_done(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 127.0.0.1:40000", m.b, m.n, 1 * S), 0);
    fdx_collector_flush(c);
    assert_int_equal(n_seen, 1);
    assert_addr(seen[0].src_addr, "192.0.2.7");
    assert_addr(seen[0].dst_addr, "198.51.100.8");
    assert_int_equal(seen[0].packets[0], 2);
    assert_int_equal(seen[0].packets[1], 2);
    assert_int_equal(seen[0].bytes[0], 168);
    assert_int_equal(seen[0].bytes[1], 168);
    assert_int_equal(seen[0].start_us, 1700000290000ull * 1000);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.biflows, 2);
    assert_int_equal(st.paired, 1);
    fdx_collector_free(c);
}

/* SysUpTime in the 2^32 ms window that ends 1 s after the export time. */
static void test_collect_uptime_window(void **state)
{
    (void)state;
    const int64_t wrap = INT64_C(1) << 32;
    assert_int_equal(fdxi_uptime_us(1000, 500, 2000), 1500000);
    /* an uptime past the export time by more than 1 s is from the previous wrap */
    assert_int_equal(fdxi_uptime_us(10 * wrap, 5000, 10 * wrap + 1000),
                     (uint64_t)(9 * wrap + 5000) * 1000);
    /* a value far before the export moves forward into the window, which ends 1 s after it */
    assert_int_equal(fdxi_uptime_us(0, 100, 3 * wrap + 50), (uint64_t)(3 * wrap + 100) * 1000);
    assert_int_equal(fdxi_uptime_us(0, 5000, 3 * wrap + 50), (uint64_t)(2 * wrap + 5000) * 1000);
    assert_int_equal(fdxi_uptime_us(0, 100, 3 * wrap + 2000), (uint64_t)(3 * wrap + 100) * 1000);
    /* A hostile systemInitTimeMilliseconds (IPFIX element 160: 63 bits kept) must not overflow
     * (found by fuzz_collect; UBSan stops the sanitized build on signed overflow). The result
     * still lies in the window (hi - 2^32, hi], hi = export + 1000 ms = 1700000001000 ms. By
     * hand: sysinit beyond 2^48 ms is taken as 2^48, a multiple of 2^32, so the time is the
     * multiple of 2^32 in the window: floor(1700000001000 / 4294967296) = 395, and 395 * 2^32 =
     * 1696512081920 ms. */
    const int64_t export_ms = INT64_C(1700000000000);
    assert_int_equal(fdxi_uptime_us(INT64_MAX, 0, export_ms), UINT64_C(1696512081920) * 1000);
    uint64_t t = fdxi_uptime_us(INT64_MIN, UINT32_MAX, export_ms);
    assert_true(t <= (uint64_t)(export_ms + 1000) * 1000 &&
                t > (uint64_t)(export_ms + 1000 - wrap) * 1000);
    /* a hostile export time: no overflow either, and nothing before 1970 */
    assert_int_equal(fdxi_uptime_us(INT64_MAX, UINT32_MAX, INT64_MIN), 0);
}

/* ---- sockets ---- */

static int port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    assert_non_null(colon);
    return atoi(colon + 1);
}

static void run_until(fdx_collector *c, int want, int rounds)
{
    char err[256];
    for (int i = 0; i < rounds && n_seen < want; i++)
        assert_int_equal(fdx_collector_run(c, 20, err, sizeof(err)), 0);
}

static void test_collect_sockets_udp_and_tcp(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    char err[256], addr[300];
    assert_int_equal(fdx_collector_listen(c, "udp://127.0.0.1:0", err, sizeof(err)), 0);
    assert_int_equal(fdx_collector_listen(c, "tcp://127.0.0.1:0", err, sizeof(err)), 0);
    assert_non_null(fdx_collector_address(c, 0, addr, sizeof(addr)));
    assert_true(strncmp(addr, "udp://127.0.0.1:", 16) == 0);
    int udp_port = port_of(addr);
    assert_true(udp_port > 0);
    assert_non_null(fdx_collector_address(c, 1, addr, sizeof(addr)));
    assert_true(strncmp(addr, "tcp://127.0.0.1:", 16) == 0);
    int tcp_port = port_of(addr);
    assert_null(fdx_collector_address(c, 2, addr, sizeof(addr)));
    /* bad addresses, and a port in use */
    assert_int_equal(fdx_collector_listen(c, "udp://127.0.0.1:70000", err, sizeof(err)),
                     FDX_EINVAL);
    assert_int_equal(fdx_collector_listen(c, "flows.ipfix", err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "listen on udp://HOST:PORT"));
    char busy[64];
    snprintf(busy, sizeof(busy), "udp://127.0.0.1:%d", udp_port);
    assert_int_equal(fdx_collector_listen(c, busy, err, sizeof(err)), FDX_EIO);

    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)udp_port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct msg m;
    v5_header(&m, 2, 10000, 1700000000, 250000000);
    v5_record(&m, "10.0.0.3", "10.0.0.7", 25, 40000, 10, 900, 8001, 9499, 0x13, 6);
    v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 12, 1500, 8000, 9500, 0x1b, 6);
    assert_int_equal(sendto(s, m.b, m.n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)m.n);
    close(s);
    run_until(c, 1, 100);
    assert_int_equal(n_seen, 1);
    assert_int_equal(seen[0].packets[0], 12);

    /* IPFIX over TCP, one message written in two pieces */
    s = socket(AF_INET, SOCK_STREAM, 0);
    to.sin_port = htons((uint16_t)tcp_port);
    assert_int_equal(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
    ipfix_biflow_message(&m);
    assert_int_equal(write(s, m.b, 10), 10);
    run_until(c, 2, 5);
    assert_int_equal(n_seen, 1);
    assert_int_equal(write(s, m.b + 10, m.n - 10), (ssize_t)(m.n - 10));
    run_until(c, 2, 100);
    assert_int_equal(n_seen, 2);
    assert_int_equal(seen[1].packets[0], 9);
    close(s);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.tcp_sessions, 1);
    assert_int_equal(st.v5, 1);
    assert_int_equal(st.ipfix, 1);
    /* break: the next run does not wait */
    fdx_collector_break(c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fdx_collector_run(c, 5000, err, sizeof(err)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    fdx_collector_free(c);
}

/*
 * Sequence numbers, by hand. IPFIX counts data records (offset 8), and each message here has a
 * template and one data record. Exporter A: seq 0 (next 1), 1 (next 2), 5: a gap of 5 - 2 = 3
 * records (error 1, next 6), then 2: a jump back (error 2, nothing missed, next 3). Exporter B:
 * 0xffffffff (next 0xffffffff + 1 = 0 modulo 2^32), 0: no error; then 0x40000000, a jump ahead
 * of 2^30 >= 2^24: a restart (error 3, nothing missed). NetFlow v9 counts datagrams (offset
 * 12): 10, 11, 14: error 4, 2 datagrams but no records missed. NetFlow v5 counts flows (offset
 * 16), two records a datagram: 100 (next 102), 102 (next 104), 110: error 5, 6 records missed.
 * Totals: sequence_errors 5, records_missed 3 + 6 = 9.
 */
static void test_collect_sequence_gaps_are_counted(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    ipfix_biflow_message(&m);
    static const uint32_t a[] = {0, 1, 5, 2}, b[] = {0xffffffffu, 0, 0x40000000u};
    for (size_t i = 0; i < 4; i++) {
        patch32(&m, 8, a[i]);
        assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.5:4739", m.b, m.n, 1 * S), 0);
    }
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.sequence_errors, 2);
    assert_int_equal(st.records_missed, 3);
    assert_true(log_has("udp 203.0.113.5:4739: sequence number 5 where 2 was expected: 3 "
                        "records missed",
                        NULL));
    assert_true(log_has("sequence number 2 where 6 was expected: a jump back", NULL));
    for (size_t i = 0; i < 3; i++) {
        patch32(&m, 8, b[i]);
        assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.6:4739", m.b, m.n, 1 * S), 0);
    }
    st = stats(c);
    assert_int_equal(st.sequence_errors, 3);
    assert_int_equal(st.records_missed, 3);
    assert_true(log_has("sequence number 1073741824 where 1 was expected: a jump ahead", NULL));

    static const uint32_t v9[] = {10, 11, 14};
    for (size_t i = 0; i < 3; i++) {
        v9_header(&m, 1, 50000, 1700000100, 7);
        v9_template(&m);
        patch32(&m, 12, v9[i]);
        assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.1:9995", m.b, m.n, 1 * S), 0);
    }
    st = stats(c);
    assert_int_equal(st.sequence_errors, 4);
    assert_int_equal(st.records_missed, 3);
    assert_true(log_has("sequence number 14 where 12 was expected: 2 datagrams missed", NULL));

    static const uint32_t v5[] = {100, 102, 110};
    for (size_t i = 0; i < 3; i++) {
        v5_header(&m, 2, 10000, 1700000000, 0);
        v5_record(&m, "10.0.0.3", "10.0.0.7", 25, 40000, 10, 900, 8001, 9499, 0x13, 6);
        v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 12, 1500, 8000, 9500, 0x1b, 6);
        patch32(&m, 16, v5[i]);
        assert_int_equal(fdx_collector_feed(c, "udp 192.0.2.9:2055", m.b, m.n, 1 * S), 0);
    }
    st = stats(c);
    assert_int_equal(st.sequence_errors, 5);
    assert_int_equal(st.records_missed, 9);
    fdx_collector_free(c);
}

/*
 * The system's drops of a full receive buffer (Linux SO_RXQ_OVFL). 20,000 datagrams of 1,400
 * bytes (28 MB) are sent to a socket that is not read meanwhile, more than its buffer (4 MiB
 * asked, at most twice net.core.rmem_max) can hold; whatever the buffer's size, every datagram
 * was either read or dropped. The system tells the count with the next datagram it queues after
 * the drops, so one more is sent once the others are read: datagrams + kernel_drops = 20,001,
 * and some were dropped.
 */
static void test_collect_kernel_drops_are_counted(void **state)
{
    (void)state;
#ifndef __linux__
    skip();
#endif
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    char err[256], addr[300];
    assert_int_equal(fdx_collector_listen(c, "udp://127.0.0.1:0", err, sizeof(err)), 0);
    assert_non_null(fdx_collector_address(c, 0, addr, sizeof(addr)));
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    static uint8_t d[1400] = {0, 7}; /* version 7: unsupported, counted and skipped */
    for (int i = 0; i < 20000; i++)
        assert_int_equal(sendto(s, d, sizeof(d), 0, (struct sockaddr *)&to, sizeof(to)),
                         (ssize_t)sizeof(d));
    struct fdx_collector_stats st;
    for (int round = 0; round < 2; round++) {
        uint64_t before;
        do { /* read until a wait brings nothing new */
            before = stats(c).datagrams;
            assert_int_equal(fdx_collector_run(c, 50, err, sizeof(err)), 0);
            st = stats(c);
        } while (st.datagrams != before);
        /* the system tells the drops with the next datagram it queues: one more */
        if (round == 0)
            assert_int_equal(sendto(s, d, sizeof(d), 0, (struct sockaddr *)&to, sizeof(to)),
                             (ssize_t)sizeof(d));
    }
    close(s);
    assert_true(st.kernel_drops > 0);
    assert_int_equal(st.datagrams + st.kernel_drops, 20001);
    fdx_collector_free(c);
}

/* An IPFIX message of template 400 whose address fields are 16 bytes long for IPv4 elements 8
 * and 12 (so no pair of addresses is read), and packetDeltaCount, with one data record. */
static void ipfix_odd_message(struct msg *m, uint32_t seq)
{
    static const struct ie f[] = {{8, 16, 0}, {12, 16, 0}, {2, 4, 0}};
    ipfix_header(m, 1700000300, 9);
    patch32(m, 8, seq);
    ipfix_template(m, 400, f, 3);
    size_t set = set_begin(m, 400);
    put(m, 0, 16);
    put(m, 0, 16);
    put(m, 5, 4);
    set_end(m, set);
    ipfix_done(m);
}

/*
 * By hand: two such messages (sequence 0, then 1: one data record each) give not_flows 2,
 * records 0, and one message (once per exporter) that its records are not flows.
 */
static void test_collect_records_that_are_not_flows_are_told(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    struct msg m;
    for (uint32_t i = 0; i < 2; i++) {
        ipfix_odd_message(&m, i);
        assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.7:4739", m.b, m.n, 1 * S), 0);
    }
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.not_flows, 2);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.sequence_errors, 0);
    int told = 0;
    for (int i = 0; i < n_logged; i++)
        told += strstr(logged[i], "udp 203.0.113.7:4739: its data records are not flows so far") !=
                NULL;
    assert_int_equal(told, 1);
    fdx_collector_free(c);
}

/* The command's end says not_flows when there were such records: one datagram of one record
 * that is not a flow (above) gives "not_flows=1"; SIGTERM ends it with status 0. */
static void test_collect_cli_end_line_counts_not_flows(void **state)
{
    const struct scratch *sc = *state;
    char err[4096], text[4096];
    scratch_path(sc, "err.txt", err, sizeof(err));
    const char *args[] = {"collect", "-l", "udp://127.0.0.1:0", "--detect", "none", NULL};
    pid_t pid = cli_start(sc->dir, NULL, err, 10, args);
    int port = cli_udp_port(err);
    struct msg m;
    ipfix_odd_message(&m, 0);
    send_udp(port, m.b, m.n);
    assert_true(wait_for_text(err, "its data records are not flows so far", text, sizeof(text)));
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(cli_wait(pid), 0);
    assert_non_null(strstr(slurp(err, text, sizeof(text)), "flowdx collect: end: not_flows=1 ("));
    assert_null(strstr(text, "pair_overflow="));
}

/* A destination of --ipfix that is not one (another scheme, an unclosed bracket) is the command
 * line's error: exit status 2, as doc/collect.md and flowdx extract say, before listening. */
static void test_collect_cli_bad_ipfix_destination_is_usage(void **state)
{
    const struct scratch *sc = *state;
    char err[4096], text[2048];
    scratch_path(sc, "err.txt", err, sizeof(err));
    const char *a1[] = {"collect", "-l",      "udp://127.0.0.1:0", "--detect",
                        "none",    "--ipfix", "ftp://x",           NULL};
    assert_int_equal(cli(sc->dir, err, a1), 2);
    assert_non_null(strstr(slurp(err, text, sizeof(text)), "--ipfix: ftp://x: "));
    assert_null(strstr(text, "listening on"));
    const char *a2[] = {"collect", "-l",      "udp://127.0.0.1:0", "--detect",
                        "none",    "--ipfix", "udp://[::1",        NULL};
    assert_int_equal(cli(sc->dir, err, a2), 2);
}

/*
 * Times that cannot be: by hand, year 9999 ends at 253402300799 s since 1970, so its last
 * millisecond is 253402300799999 ms. Template 500: addresses, flowStart/EndMilliseconds (152,
 * 153), packets. Record 1 starts at 2^64 - 1 ms (microseconds would overflow): refused. Record 2
 * starts at 253402300799999 ms (allowed) and ends at 253402300800000 ms (year 10000): refused.
 * Record 3 starts at 1700000000000 ms and ends 1 s earlier: kept, ending at its start, and
 * counted. far_times 2, end_before_start 1, records 1; once flushed the record's start and end
 * are both 1700000000000000 us.
 */
static void test_collect_impossible_times(void **state)
{
    (void)state;
    fdx_collector *c = collector(FDX_UNPAIRED_ZERO, 100);
    static const struct ie f[] = {{8, 4, 0}, {12, 4, 0}, {152, 8, 0}, {153, 8, 0}, {2, 4, 0}};
    static const uint64_t t[3][2] = {{UINT64_MAX, UINT64_MAX},
                                     {253402300799999ull, 253402300800000ull},
                                     {1700000000000ull, 1699999999000ull}};
    struct msg m;
    ipfix_header(&m, 1700000300, 4);
    ipfix_template(&m, 500, f, 5);
    size_t set = set_begin(&m, 500);
    for (int i = 0; i < 3; i++) {
        put_addr(&m, "10.2.2.1");
        put_addr(&m, "10.2.2.2");
        put(&m, t[i][0], 8);
        put(&m, t[i][1], 8);
        put(&m, 3, 4);
    }
    set_end(&m, set);
    ipfix_done(&m);
    assert_int_equal(fdx_collector_feed(c, "udp 203.0.113.8:4739", m.b, m.n, 1 * S), 0);
    fdx_collector_flush(c);
    struct fdx_collector_stats st = stats(c);
    assert_int_equal(st.far_times, 2);
    assert_int_equal(st.end_before_start, 1);
    assert_int_equal(st.records, 1);
    assert_int_equal(n_seen, 1);
    assert_int_equal(seen[0].start_us, 1700000000000000ull);
    assert_int_equal(seen[0].end_us, 1700000000000000ull);
    fdx_collector_free(c);
}

/* One NetFlow v5 record of an SMTP client @p host:@p sport to 10.0.0.3:25 (12 packets,
 * 1500 bytes), sent to a collector on loopback port @p port. */
static void send_v5_smtp(int port, const char *host, uint16_t sport)
{
    struct msg m;
    v5_header(&m, 1, 10000, 1700000000, 0);
    v5_record(&m, host, "10.0.0.3", sport, 25, 12, 1500, 8000, 9500, 0x1b, 6);
    send_udp(port, m.b, m.n);
}

/*
 * SIGHUP does not end collect: one NetFlow v5 record (its reverse never comes; --pair-wait 60
 * keeps it waiting) is still written when SIGTERM ends the run after the SIGHUP: exit 0, the
 * message that there is nothing to reopen (standard output) or reload, and 1 JSON line (one
 * record, one flow).
 */
static void test_collect_cli_sighup_goes_on(void **state)
{
    const struct scratch *sc = *state;
    char err[4096], out[4096], text[8192];
    scratch_path(sc, "err.txt", err, sizeof(err));
    scratch_path(sc, "out.jsonl", out, sizeof(out));
    const char *args[] = {"collect",  "-l",    "udp://127.0.0.1:0", "--detect", "none",
                          "--format", "jsonl", "--pair-wait",       "60",       NULL};
    pid_t pid = cli_start(sc->dir, out, err, 10, args);
    int port = cli_udp_port(err);
    send_v5_smtp(port, "10.0.0.7", 40000);
    assert_true(wait_for_text(err, "new exporter", text, sizeof(text)));
    assert_int_equal(kill(pid, SIGHUP), 0);
    assert_true(wait_for_text(err, "SIGHUP: nothing to reopen", text, sizeof(text)));
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(cli_wait(pid), 0);
    slurp(out, text, sizeof(text));
    int lines = 0;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 1);
}

/*
 * Log rotation: -o FILE is appended to (an earlier run's cut last line is ended first); after the
 * file is renamed, SIGUSR1 opens FILE again, and the next flow goes there. --pair-wait 0: each
 * NetFlow v5 record is a flow of its own, written at the next wait.
 */
static void test_collect_cli_sigusr1_reopens_output(void **state)
{
    const struct scratch *sc = *state;
    char err[4096], out[4096], old[4096], text[8192];
    scratch_path(sc, "err.txt", err, sizeof(err));
    scratch_path(sc, "flows.jsonl", out, sizeof(out));
    scratch_path(sc, "flows.jsonl.1", old, sizeof(old));
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs("earlier run, cut", f); /* no line end */
    fclose(f);
    const char *args[] = {
        "collect", "-l", "udp://127.0.0.1:0", "--detect", "none", "--format", "jsonl",
        "-o",      out,  "--pair-wait",       "0",        NULL};
    pid_t pid = cli_start(sc->dir, NULL, err, 10, args);
    int port = cli_udp_port(err);
    send_v5_smtp(port, "10.0.0.7", 40000);
    assert_true(wait_for_text(out, "\"src_port\":40000", text, sizeof(text)));
    assert_int_equal(rename(out, old), 0);
    assert_int_equal(kill(pid, SIGUSR1), 0);
    assert_true(wait_for_text(err, "SIGUSR1: ", text, sizeof(text)));
    assert_non_null(strstr(text, "flows.jsonl reopened"));
    send_v5_smtp(port, "10.0.0.8", 40001);
    assert_true(wait_for_text(out, "\"src_port\":40001", text, sizeof(text)));
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(cli_wait(pid), 0);
    /* the old file: the cut line, ended, then the first flow's line; the new one: the second */
    slurp(old, text, sizeof(text));
    assert_true(strncmp(text, "earlier run, cut\n{", 18) == 0); /* 16 + 2 characters */
    assert_non_null(strstr(text, "\"src_port\":40000"));
    assert_null(strstr(text, "\"src_port\":40001"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    slurp(out, text, sizeof(text));
    assert_true(text[0] == '{' && strchr(text, '\n') == text + strlen(text) - 1);
    assert_non_null(strstr(text, "\"src_port\":40001"));
}

/*
 * A standard output whose reader went away: the flow's JSON line cannot be written (EPIPE);
 * collect says so and exits 1 instead of dying silently of SIGPIPE (141).
 */
static void test_collect_cli_closed_stdout_is_an_error(void **state)
{
    const struct scratch *sc = *state;
    char err[4096], text[8192], out[64];
    scratch_path(sc, "err.txt", err, sizeof(err));
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(fcntl(p[0], F_SETFD, FD_CLOEXEC), 0); /* the child keeps the write end */
    snprintf(out, sizeof(out), "/proc/self/fd/%d", p[1]);
    const char *args[] = {"collect", "-l", "udp://127.0.0.1:0", "--detect", "none", "--format",
                          "jsonl",   NULL};
    pid_t pid = cli_start(sc->dir, out, err, 10, args);
    close(p[1]);
    int port = cli_udp_port(err);
    close(p[0]); /* no reader any more */
    struct msg m;
    v5_header(&m, 2, 10000, 1700000000, 250000000);
    v5_record(&m, "10.0.0.3", "10.0.0.7", 25, 40000, 10, 900, 8001, 9499, 0x13, 6);
    v5_record(&m, "10.0.0.7", "10.0.0.3", 40000, 25, 12, 1500, 8000, 9500, 0x1b, 6);
    send_udp(port, m.b, m.n);
    assert_int_equal(cli_wait(pid), 1);
    assert_non_null(strstr(slurp(err, text, sizeof(text)), "writing standard output failed"));
}

/* An output that names the model (given with -m or the default one) would truncate it: refused
 * with exit status 2 before anything is opened, as flowdx(1) says; the file keeps its 12 bytes. */
static void test_collect_cli_output_over_model_is_refused(void **state)
{
    const struct scratch *sc = *state;
    char path[4096], err[4096], text[2048], dir[4096];
    scratch_path(sc, "conf", dir, sizeof(dir));
    assert_int_equal(mkdir(dir, 0755), 0);
    scratch_path(sc, "conf/models", dir, sizeof(dir));
    assert_int_equal(mkdir(dir, 0755), 0);
    static const char content[] = "not a model"; /* 11 bytes and the NUL: 12 */
    scratch_path(sc, "M.fdxm", path, sizeof(path));
    scratch_write(path, content, sizeof(content));
    /* the default model's place: conf/models of the current directory, when it holds spam.fdxm */
    scratch_path(sc, "conf/models/spam-flowrec.fdxm", path, sizeof(path));
    scratch_write(path, content, sizeof(content));
    scratch_path(sc, "conf/models/spam.fdxm", path, sizeof(path));
    scratch_write(path, content, sizeof(content));
    scratch_path(sc, "err.txt", err, sizeof(err));

    const char *a1[] = {"collect", "-l", "udp://127.0.0.1:0", "-m", "M.fdxm", "-o", "M.fdxm", NULL};
    assert_int_equal(cli(sc->dir, err, a1), 2);
    assert_non_null(strstr(slurp(err, text, sizeof(text)),
                           "-o M.fdxm is also an input (-m M.fdxm): it would be overwritten"));
    const char *a2[] = {"collect", "-l",      "udp://127.0.0.1:0", "-m",
                        "M.fdxm",  "--ipfix", "./M.fdxm",          NULL};
    assert_int_equal(cli(sc->dir, err, a2), 2);
    assert_non_null(strstr(slurp(err, text, sizeof(text)), "--ipfix ./M.fdxm is also an input"));
    const char *a3[] = {"collect", "-l", "udp://127.0.0.1:0", "-o", "conf/models/spam-flowrec.fdxm",
                        NULL};
    assert_int_equal(cli(sc->dir, err, a3), 2);
    assert_non_null(strstr(slurp(err, text, sizeof(text)), "(the default model "));
    scratch_path(sc, "M.fdxm", path, sizeof(path));
    assert_int_equal(file_size(path), 12);
    scratch_path(sc, "conf/models/spam-flowrec.fdxm", path, sizeof(path));
    assert_int_equal(file_size(path), 12);
    /* the scratch teardown removes files, not directories */
    assert_int_equal(unlink(path), 0);
    scratch_path(sc, "conf/models/spam.fdxm", path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    scratch_path(sc, "conf", dir, sizeof(dir));
    assert_int_equal(rmdir(dir), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_v5_pairs_both_directions),
        cmocka_unit_test(test_collect_v5_malformed_is_skipped_with_message),
        cmocka_unit_test(test_collect_v9_template_record_waits_then_alone),
        cmocka_unit_test(test_collect_broken_headers_make_no_session),
        cmocka_unit_test(test_collect_ipfix_biflow_turned_to_initiator),
        cmocka_unit_test(test_collect_ipfix_sysuptime_from_options_record),
        cmocka_unit_test(test_collect_ipfix_malformed_messages),
        cmocka_unit_test(test_collect_pairing_needs_overlap),
        cmocka_unit_test(test_collect_v5_icmp_has_no_ports),
        cmocka_unit_test(test_collect_empty_biflows_are_paired),
        cmocka_unit_test(test_collect_biflow_with_empty_forward_is_paired),
        cmocka_unit_test(test_collect_uptime_window),
        cmocka_unit_test(test_collect_sockets_udp_and_tcp),
        cmocka_unit_test(test_collect_sequence_gaps_are_counted),
        cmocka_unit_test(test_collect_kernel_drops_are_counted),
        cmocka_unit_test(test_collect_records_that_are_not_flows_are_told),
        cmocka_unit_test(test_collect_impossible_times),
        cmocka_unit_test_setup_teardown(test_collect_cli_bad_ipfix_destination_is_usage,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_collect_cli_sigusr1_reopens_output, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_collect_cli_sighup_goes_on, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_collect_cli_closed_stdout_is_an_error, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_collect_cli_end_line_counts_not_flows, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_collect_cli_output_over_model_is_refused,
                                        scratch_setup, scratch_teardown),
    };
    if (argc > 1) {
        snprintf(flowdx_bin, sizeof(flowdx_bin), "%s", argv[1]);
    } else { /* BUILD/test/test_collect: the command is BUILD/tools/flowdx */
        char self[4000];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash = n > 0 ? (self[n] = '\0', strrchr(self, '/')) : NULL;
        if (slash == NULL) {
            fprintf(stderr, "test_collect: give the flowdx command as the first argument\n");
            return 1;
        }
        *slash = '\0';
        snprintf(flowdx_bin, sizeof(flowdx_bin), "%s/../tools/flowdx", self);
    }
    return cmocka_run_group_tests_name("collect", tests, NULL, NULL);
}
