/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the engine: outcomes, fragments, ICMP errors, records and feature-set wiring. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_plugin.h"

#define S 1000000ull
#define DLT_EN10MB 1
#define MAX_RECORDS 64

struct rec {
    struct fdx_flow_record r;
    double f[128];
};

static struct rec recs[MAX_RECORDS];
static int n_recs;

static void collect(void *user, const struct fdx_flow_record *r)
{
    (void)user;
    assert_true(n_recs < MAX_RECORDS);
    assert_true(r->n_features <= 128);
    recs[n_recs].r = *r;
    memcpy(recs[n_recs].f, r->features, r->n_features * sizeof(double));
    recs[n_recs].r.features = recs[n_recs].f;
    n_recs++;
}

static fdx_engine *engine(const char *sets)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = sets;
    o.on_flow = collect;
    n_recs = 0;
    fdx_engine *e = NULL;
    char err[256];
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    return e;
}

/* ---- frame builders: Ethernet + IPv4 + (TCP | ICMP | raw payload) ---- */

static size_t eth(uint8_t *b, uint16_t type)
{
    memset(b, 0, 12);
    b[0] = 0x02;
    b[6] = 0x02;
    b[12] = (uint8_t)(type >> 8);
    b[13] = (uint8_t)type;
    return 14;
}

/* IPv4 header of 20 bytes; frag = the 16-bit flags/offset field. */
static size_t ipv4(uint8_t *b, uint16_t total, uint8_t proto, uint8_t ttl, uint8_t src, uint8_t dst,
                   uint16_t id, uint16_t frag)
{
    memset(b, 0, 20);
    b[0] = 0x45;
    b[2] = (uint8_t)(total >> 8);
    b[3] = (uint8_t)total;
    b[4] = (uint8_t)(id >> 8);
    b[5] = (uint8_t)id;
    b[6] = (uint8_t)(frag >> 8);
    b[7] = (uint8_t)frag;
    b[8] = ttl;
    b[9] = proto;
    b[12] = 10;
    b[15] = src;
    b[16] = 10;
    b[19] = dst;
    return 20;
}

static size_t tcp(uint8_t *b, uint16_t sp, uint16_t dp, uint8_t flags, uint16_t win)
{
    memset(b, 0, 20);
    b[0] = (uint8_t)(sp >> 8);
    b[1] = (uint8_t)sp;
    b[2] = (uint8_t)(dp >> 8);
    b[3] = (uint8_t)dp;
    b[12] = 5 << 4;
    b[13] = flags;
    b[14] = (uint8_t)(win >> 8);
    b[15] = (uint8_t)win;
    return 20;
}

/* A whole TCP frame with @p payload bytes of zeros; returns its length. */
static size_t tcp_frame(uint8_t *b, uint8_t src, uint16_t sp, uint8_t dst, uint16_t dp,
                        uint8_t flags, uint16_t payload)
{
    size_t n = eth(b, 0x0800);
    n += ipv4(b + n, (uint16_t)(40 + payload), 6, 64, src, dst, 1, 0);
    n += tcp(b + n, sp, dp, flags, 1000);
    memset(b + n, 0, payload);
    return n + payload;
}

static int feed(fdx_engine *e, uint64_t ts, const uint8_t *b, size_t n)
{
    /* An exact-size heap copy, so that the sanitizer sees any read past the end. */
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, b, n);
    int rc = fdx_engine_feed(e, DLT_EN10MB, ts, copy, (uint32_t)n, (uint32_t)n);
    free(copy);
    return rc;
}

static int fidx(const fdx_engine *e, const char *name)
{
    for (uint32_t i = 0; i < fdx_engine_feature_count(e); i++) {
        if (strcmp(fdx_engine_feature_name(e, i), name) == 0)
            return (int)i;
    }
    fail_msg("no feature %s", name);
    return -1;
}

/* Every packet ends in exactly one outcome, and the outcomes add up to the packets fed. */
static void test_engine_every_packet_has_one_outcome(void **state)
{
    (void)state;
    fdx_engine *e = engine("zadnik");
    uint8_t b[256];
    size_t n = tcp_frame(b, 1, 40000, 2, 25, 0x02, 0);
    assert_int_equal(feed(e, S, b, n), FDX_PKT_DECODED);
    assert_int_equal(feed(e, S, b, 30), FDX_PKT_TRUNCATED); /* IPv4 header cut */
    size_t m = eth(b, 0x0806);                              /* ARP */
    memset(b + m, 0, 28);
    assert_int_equal(feed(e, S, b, m + 28), FDX_PKT_NON_IP);
    n = tcp_frame(b, 1, 40000, 2, 25, 0x02, 0);
    b[14] = 0x44; /* IHL 4 < 5 */
    assert_int_equal(feed(e, S, b, n), FDX_PKT_MALFORMED);
    assert_int_equal(fdx_engine_feed(e, 147, S, b, (uint32_t)n, (uint32_t)n),
                     FDX_PKT_LINK_UNSUPPORTED);
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.packets, 5);
    uint64_t sum = 0;
    for (int i = 0; i < FDX_PKT_OUTCOME_COUNT; i++)
        sum += st.outcomes[i];
    assert_int_equal(sum, 5);
    assert_int_equal(st.outcomes[FDX_PKT_DECODED], 1);
    assert_int_equal(st.outcomes[FDX_PKT_TRUNCATED], 1);
    assert_int_equal(st.outcomes[FDX_PKT_NON_IP], 1);
    assert_int_equal(st.outcomes[FDX_PKT_MALFORMED], 1);
    assert_int_equal(st.outcomes[FDX_PKT_LINK_UNSUPPORTED], 1);
    /* A smaller struct_size (an older caller's struct) gets that many bytes and no more: the
     * first three members, struct_size, active_flows and packets (4 + 4 + 8 = 16 bytes). */
    struct fdx_engine_stats small;
    memset(&small, 0xab, sizeof(small));
    small.struct_size = 16;
    fdx_engine_stats(e, &small);
    assert_int_equal(small.struct_size, 16);
    assert_int_equal(small.packets, 5);
    assert_int_equal(small.outcomes[0], 0xababababababababull); /* beyond 16 bytes: untouched */
    /* struct_size not set: nothing is written, whatever the caller's struct is */
    memset(&small, 0xab, sizeof(small));
    small.struct_size = 0;
    fdx_engine_stats(e, &small);
    assert_int_equal(small.struct_size, 0);
    assert_int_equal(small.packets, 0xababababababababull);
    fdx_engine_free(e);
}

/* A TCP segment split in two IPv4 fragments: the second (no TCP header) joins the flow through
 * the fragment table; a stray non-first fragment is counted and skipped. */
static void test_engine_fragments_join_their_flow(void **state)
{
    (void)state;
    fdx_engine *e = engine("zadnik");
    uint8_t b[2048];
    /* First fragment: MF set, offset 0, 20 IP + 20 TCP + 1000 payload = 1040. */
    size_t n = eth(b, 0x0800);
    n += ipv4(b + n, 1040, 6, 64, 1, 2, 777, 0x2000);
    n += tcp(b + n, 40000, 25, 0x18, 1000);
    memset(b + n, 0, 1000);
    assert_int_equal(feed(e, S, b, n + 1000), FDX_PKT_DECODED);
    /* Second fragment: offset 1020/8 = 127.5 is not whole: use 1016 bytes (127 units) of the
     * transport part in the first piece in spirit; the offset value only needs to be non-zero. */
    n = eth(b, 0x0800);
    n += ipv4(b + n, 520, 6, 64, 1, 2, 777, 127);
    memset(b + n, 0, 500);
    assert_int_equal(feed(e, S + 1, b, n + 500), FDX_PKT_DECODED);
    /* A non-first fragment of a datagram never seen. */
    n = eth(b, 0x0800);
    n += ipv4(b + n, 520, 6, 64, 1, 2, 999, 127);
    memset(b + n, 0, 500);
    assert_int_equal(feed(e, S + 2, b, n + 500), FDX_PKT_FRAG_UNMATCHED);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *v = recs[0].f;
    assert_true(v[fidx(e, "sp")] == 2);
    assert_true(v[fidx(e, "spl")] == (1040.0 + 520.0) / 2);
    assert_true(v[fidx(e, "spas")] == 1); /* only the first piece has TCP flags */
    assert_int_equal(recs[0].r.src_port, 40000);
    assert_int_equal(recs[0].r.dst_port, 25);
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.fragments, 3);
    assert_int_equal(st.outcomes[FDX_PKT_FRAG_UNMATCHED], 1);
    fdx_engine_free(e);
}

/*
 * Packets longer than Ethernet's MTU (the IP length field above 1500) are counted, loopback ones
 * not: by hand, the IPv4 TCP frames of 1500 (20 + 20 + 1460) and 1501 bytes of IP, one of 9000
 * between 127.0.0.1 and 127.0.0.2, an IPv6 one of 40 + 1480 = 1520 bytes and one of 40 + 8960 =
 * 9000 from ::1: two counted, the largest 1520.
 */
static void test_engine_counts_oversize_packets(void **state)
{
    (void)state;
    fdx_engine *e = engine("zadnik");
    static uint8_t b[10000];
    assert_int_equal(feed(e, S, b, tcp_frame(b, 1, 40000, 2, 443, 0x10, 1460)), FDX_PKT_DECODED);
    assert_int_equal(feed(e, S + 1, b, tcp_frame(b, 1, 40000, 2, 443, 0x10, 1461)),
                     FDX_PKT_DECODED);
    size_t n = tcp_frame(b, 1, 40001, 2, 443, 0x10, 8960);
    b[14 + 12] = 127; /* 127.0.0.1 -> 127.0.0.2 */
    b[14 + 16] = 127;
    assert_int_equal(feed(e, S + 2, b, n), FDX_PKT_DECODED);
    for (int loop = 0; loop < 2; loop++) {
        uint16_t payload = loop ? 8960 : 1480; /* TCP header included */
        n = eth(b, 0x86DD);
        memset(b + n, 0, 40);
        b[n] = 0x60;
        b[n + 4] = (uint8_t)(payload >> 8);
        b[n + 5] = (uint8_t)payload;
        b[n + 6] = 6;
        b[n + 7] = 64;
        b[n + 8] = 0x20; /* 2001:db8::1, or ::1 when loop */
        b[n + 9] = 0x01;
        b[n + 10] = 0x0d;
        b[n + 11] = 0xb8;
        if (loop)
            memset(b + n + 8, 0, 4);
        b[n + 23] = 1;
        b[n + 24] = 0x20; /* 2001:db8::2 */
        b[n + 25] = 0x01;
        b[n + 26] = 0x0d;
        b[n + 27] = 0xb8;
        b[n + 39] = 2;
        n += 40;
        n += tcp(b + n, 40002, 443, 0x10, 1000);
        memset(b + n, 0, payload - 20u);
        assert_int_equal(feed(e, S + 3 + (uint64_t)loop, b, n + payload - 20u), FDX_PKT_DECODED);
    }
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.oversize, 2);
    assert_int_equal(st.oversize_largest, 1520);
    fdx_engine_free(e);
}

/* An ICMP frag-needed error quoting a TCP header is its own ICMP flow, not a TCP packet. */
static void test_engine_icmp_error_is_not_in_quoted_flow(void **state)
{
    (void)state;
    fdx_engine *e = engine("zadnik");
    uint8_t b[256], quoted[64];
    size_t n = tcp_frame(b, 1, 40000, 2, 25, 0x02, 0);
    feed(e, S, b, n);
    /* Quote: the original IPv4 header + 8 bytes of its TCP header. */
    size_t q = ipv4(quoted, 40, 6, 64, 1, 2, 1, 0);
    q += tcp(quoted + q, 40000, 25, 0x02, 1000);
    q = 28;
    n = eth(b, 0x0800);
    n += ipv4(b + n, (uint16_t)(20 + 8 + q), 1, 255, 254, 1, 5, 0);
    b[n] = 3;     /* destination unreachable */
    b[n + 1] = 4; /* fragmentation needed */
    memset(b + n + 2, 0, 6);
    memcpy(b + n + 8, quoted, q);
    n += 8 + q;
    assert_int_equal(feed(e, S + 1, b, n), FDX_PKT_DECODED);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 2);
    int tcp_rec = recs[0].r.proto == 6 ? 0 : 1;
    assert_int_equal(recs[tcp_rec].r.packets[0] + recs[tcp_rec].r.packets[1], 1);
    assert_int_equal(recs[1 - tcp_rec].r.proto, 1);
    assert_int_equal(recs[1 - tcp_rec].r.src_addr[3], 254);
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.icmp_errors, 1);
    fdx_engine_free(e);
}

/* The record carries times, initiator-first endpoints, and IP bytes per direction. */
static void test_engine_record_fields(void **state)
{
    (void)state;
    fdx_engine *e = engine("zadnik");
    uint8_t b[256];
    size_t n = tcp_frame(b, 7, 40000, 3, 25, 0x02, 0);
    feed(e, 1000 * S + 5, b, n);
    n = tcp_frame(b, 3, 25, 7, 40000, 0x12, 0);
    feed(e, 1000 * S + 9, b, n);
    n = tcp_frame(b, 7, 40000, 3, 25, 0x18, 100);
    feed(e, 1001 * S, b, n);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const struct fdx_flow_record *r = &recs[0].r;
    assert_int_equal(r->struct_size, sizeof(struct fdx_flow_record));
    assert_int_equal(r->flow_id, 1);
    assert_int_equal(r->start_us, 1000 * S + 5);
    assert_int_equal(r->end_us, 1001 * S);
    assert_int_equal(r->end_reason, FDX_END_EOF);
    assert_int_equal(r->ip_version, 4);
    assert_int_equal(r->proto, 6);
    assert_int_equal(r->src_addr[0], 10);
    assert_int_equal(r->src_addr[3], 7);
    assert_int_equal(r->dst_addr[3], 3);
    assert_int_equal(r->src_port, 40000);
    assert_int_equal(r->dst_port, 25);
    assert_int_equal(r->packets[FDX_DIR_REQ], 2);
    assert_int_equal(r->packets[FDX_DIR_RESP], 1);
    assert_int_equal(r->bytes[FDX_DIR_REQ], 40 + 140);
    assert_int_equal(r->bytes[FDX_DIR_RESP], 40);
    assert_int_equal(r->n_features, 65);
    fdx_engine_free(e);
}

/* first_flow_id: a replacing engine goes on with the numbers (41, then 42 for the flow that
 * starts second); an options struct of the layout before the field (it ended at n_plugins)
 * gets the default, 1. */
static void test_engine_first_flow_id(void **state)
{
    (void)state;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.on_flow = collect;
    o.first_flow_id = 41;
    fdx_engine *e = NULL;
    char err[256];
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    n_recs = 0;
    uint8_t b[256];
    size_t n = tcp_frame(b, 7, 40000, 3, 25, 0x02, 0);
    feed(e, 1000 * S, b, n);
    n = tcp_frame(b, 8, 40001, 3, 25, 0x02, 0);
    feed(e, 1001 * S, b, n);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 2);
    uint64_t first = recs[0].r.src_addr[3] == 7 ? recs[0].r.flow_id : recs[1].r.flow_id;
    uint64_t second = recs[0].r.src_addr[3] == 8 ? recs[0].r.flow_id : recs[1].r.flow_id;
    assert_int_equal(first, 41);
    assert_int_equal(second, 42);
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.last_flow_id, 42);
    fdx_engine_free(e);
    o.struct_size = (uint32_t)offsetof(struct fdx_engine_options, first_flow_id);
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    n_recs = 0;
    feed(e, 1000 * S, b, n);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    assert_int_equal(recs[0].r.flow_id, 1);
    fdx_engine_free(e);
}

static void test_engine_rejects_unknown_set_and_bad_options(void **state)
{
    (void)state;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_engine *e = NULL;
    char err[256] = "";
    o.feature_sets = "zadnik,spamz";
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, "'spamz'"));
    assert_non_null(strstr(err, "zadnik"));
    assert_null(e);
    o.feature_sets = "zadnik,zadnik";
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "twice"));
    o.feature_sets = "zadnik,";
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_EINVAL);
    o.feature_sets = "zadnik";
    o.max_flows = 0;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_ERANGE);
    o.max_flows = 10;
    o.struct_size = 8;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_EINVAL);
    assert_null(e);
    /* a caller of the first layout (up to `user`, without plugins): its options are taken, and
     * the plugin fields, which it does not have, stay empty, whatever lies beyond its struct */
    o.struct_size = (uint32_t)(offsetof(struct fdx_engine_options, user) + sizeof(void *));
    o.plugins = (struct fdx_plugin_inst *const *)&o; /* garbage past the caller's struct */
    o.n_plugins = 99;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    assert_int_equal(fdx_engine_feature_count(e), 65); /* zadnik's 64 and oneway: doc/features */
    fdx_engine_free(e);
    e = NULL;
    o.struct_size = (uint32_t)(offsetof(struct fdx_engine_options, user) + sizeof(void *) - 1);
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_EINVAL);
    assert_null(e);
}

/* ---- an engine of a plugin without fields and no feature set: records of no values ---- */

static int quiet_init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                      size_t errlen)
{
    (void)args, (void)errbuf, (void)errlen;
    *ret_self = NULL;
    return 0;
}

static void quiet_fini(void *self)
{
    (void)self;
}

/* Every flow is benign, with score 0.25. */
static void quiet_end(void *self, void *thread, void *flow_state,
                      const struct fdx_plugin_flow *flow, struct fdx_plugin_result *result)
{
    (void)self, (void)thread, (void)flow_state, (void)flow;
    result->verdict = FDX_PLUGIN_BENIGN;
    result->score = 0.25;
}

static const struct fdx_plugin quiet_descriptor = {
    .abi_major = FDX_PLUGIN_ABI_MAJOR,
    .abi_minor = FDX_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct fdx_plugin),
    .name = "quiet",
    .version = "1",
    .summary = "a verdict and no fields",
    .init = quiet_init,
    .fini = quiet_fini,
    .flow_end = quiet_end,
};

static const struct fdx_plugin *quiet_entry(void)
{
    return &quiet_descriptor;
}

/* No set and no field: the engine is made all the same (its value arrays are empty, not
 * missing), and each record carries only the plugin's verdict. */
static void test_engine_plugin_without_fields_alone(void **state)
{
    (void)state;
    char err[256] = "";
    fdx_plugin_lib *lib = NULL;
    fdx_plugin_inst *in = NULL;
    assert_int_equal(fdx_plugin_lib_from_entry(quiet_entry, "quiet", &lib, err, sizeof(err)), 0);
    assert_int_equal(fdx_plugin_inst_new(lib, NULL, NULL, &in, err, sizeof(err)), 0);
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "";
    o.on_flow = collect;
    o.plugins = &in;
    o.n_plugins = 1;
    n_recs = 0;
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(fdx_engine_feature_count(e), 0);
    uint8_t b[128];
    size_t n = tcp_frame(b, 1, 40000, 2, 80, 0x02, 0);
    assert_int_equal(feed(e, 1 * S, b, n), FDX_PKT_DECODED);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    assert_int_equal(recs[0].r.n_features, 0);
    assert_int_equal(recs[0].r.n_verdicts, 1);
    /* the verdicts stay valid until the engine reports again or is freed */
    assert_int_equal(recs[0].r.verdicts[0].verdict, FDX_VERDICT_BENIGN);
    assert_true(recs[0].r.verdicts[0].score == 0.25);
    fdx_engine_free(e);
    fdx_plugin_inst_free(in);
    fdx_plugin_lib_close(lib);
}

/* ---- test sets: one keeps state across flows, one brings its own policy ---- */

struct across {
    uint64_t flows_begun;
    int inited;
};

static const char *const across_names[] = {"flows_before"};

static int across_init(void *set_state)
{
    ((struct across *)set_state)->inited = 1;
    return 0;
}

static void across_begin(void *set_state, void *flow_state, const struct fdxi_flow *f)
{
    (void)f;
    struct across *a = set_state;
    *(uint64_t *)flow_state = a->flows_begun++;
}

static void across_packet(void *set_state, void *flow_state, const struct fdxi_flow *f,
                          const struct fdxi_packet *p, int dir)
{
    (void)set_state;
    (void)flow_state;
    (void)f;
    (void)p;
    (void)dir;
}

static void across_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f,
                            double *out)
{
    (void)f;
    assert_int_equal(((struct across *)set_state)->inited, 1);
    out[0] = (double)*(uint64_t *)flow_state;
}

static const struct fdxi_feature_set across = {
    .name = "across",
    .summary = "test: number of flows begun before this one",
    .feature_names = across_names,
    .n_features = 1,
    .flow_state_bytes = sizeof(uint64_t),
    .set_state_bytes = sizeof(struct across),
    .set_init = across_init,
    .flow_begin = across_begin,
    .packet = across_packet,
    .finalise = across_finalise,
};

/* A set's per-engine state persists across flows; values land after the other sets'. */
static void test_engine_set_state_across_flows(void **state)
{
    (void)state;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.on_flow = collect;
    n_recs = 0;
    const struct fdxi_feature_set *sets[] = {&fdxi_feature_set_zadnik, &across};
    fdx_engine *e = NULL;
    assert_int_equal(fdxi_engine_new_with_sets(&o, sets, 2, &e, NULL, 0), 0);
    assert_int_equal(fdx_engine_feature_count(e), 66);
    assert_string_equal(fdx_engine_feature_name(e, 65), "flows_before");
    uint8_t b[256];
    for (uint16_t i = 0; i < 3; i++) {
        size_t n = tcp_frame(b, 1, (uint16_t)(40000 + i), 2, 25, 0x02, 0);
        feed(e, S * (i + 1), b, n);
    }
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(recs[i].f[65] == (double)i);
        assert_true(recs[i].f[0] == 1.0); /* zadnik's sp, undisturbed */
    }
    fdx_engine_free(e);
}

static bool only_udp(void *st, const struct fdxi_packet *p)
{
    (void)st;
    return p->proto == 17;
}

static const struct fdxi_flow_policy udp_policy = {
    .name = "udp-only",
    .default_timeouts = true,
    .select = only_udp,
};

static const struct fdxi_feature_set own_cutting = {
    .name = "own",
    .summary = "test: a set with its own flow policy",
    .feature_names = across_names,
    .n_features = 1,
    .flow_state_bytes = sizeof(uint64_t),
    .set_state_bytes = sizeof(struct across),
    .set_init = across_init,
    .flow_begin = across_begin,
    .packet = across_packet,
    .finalise = across_finalise,
    .policy = &udp_policy,
};

/* A set with its own policy runs alone (its packets selection applies) and refuses company. */
static void test_engine_set_with_policy_runs_alone(void **state)
{
    (void)state;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.on_flow = collect;
    fdx_engine *e = NULL;
    char err[256] = "";
    const struct fdxi_feature_set *both[] = {&fdxi_feature_set_zadnik, &own_cutting};
    assert_int_equal(fdxi_engine_new_with_sets(&o, both, 2, &e, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "cannot be combined"));
    const struct fdxi_feature_set *alone[] = {&own_cutting};
    assert_int_equal(fdxi_engine_new_with_sets(&o, alone, 1, &e, err, sizeof(err)), 0);
    uint8_t b[256];
    size_t n = tcp_frame(b, 1, 40000, 2, 25, 0x02, 0);
    assert_int_equal(feed(e, S, b, n), FDX_PKT_NOT_SELECTED);
    fdx_engine_free(e);
}

/* A TCP frame whose SYN carries an MSS option (data offset 6: kind 2, length 4, the MSS). */
static size_t syn_frame(uint8_t *b, uint8_t src, uint16_t sp, uint8_t dst, uint16_t dp,
                        uint8_t flags, uint16_t mss)
{
    size_t n = eth(b, 0x0800);
    n += ipv4(b + n, 44, 6, 64, src, dst, 1, 0);
    n += tcp(b + n, sp, dp, flags, 1000);
    b[n - 8] = 6 << 4;
    b[n] = 2;
    b[n + 1] = 4;
    b[n + 2] = (uint8_t)(mss >> 8);
    b[n + 3] = (uint8_t)mss;
    return n + 4;
}

/*
 * doh (ip mode) counts a TSO/GRO aggregate as the wire segments it stands for. The client
 * (10.0.0.1) announces MSS 1000, the server (10.0.0.2:443) MSS 1460. Then:
 *   server -> client, 2500 payload bytes in one 2540-byte IP packet: the client's MSS 1000
 *     (20-byte TCP header, no options) makes 1000 + 1000 + 500 -> IP lengths 1040, 1040, 540;
 *   client -> server, 1400 payload bytes (1440 IP bytes): under the server's 1460, one packet.
 * Packets: SYN 44, SYN-ACK 44, 3 segments, 1440 = 6. FlowBytesReceived = 44 + 1040 + 1040 + 540
 * = 2664 (2540 + 2 extra 40-byte headers + the SYN-ACK), FlowBytesSent = 44 + 1440 = 1484,
 * PacketLengthMean = (1484 + 2664) / 6 = 691.333..., PacketLengthMode = 44 (twice; 1040 twice,
 * smallest wins).
 */
static void test_engine_doh_ip_counts_wire_segments(void **state)
{
    (void)state;
    fdx_engine *e = engine("doh");
    uint8_t b[4096];
    assert_int_equal(feed(e, 1 * S, b, syn_frame(b, 1, 40000, 2, 443, 0x02, 1000)), 0);
    assert_int_equal(feed(e, 1 * S + 1000, b, syn_frame(b, 2, 443, 1, 40000, 0x12, 1460)), 0);
    assert_int_equal(feed(e, 1 * S + 2000, b, tcp_frame(b, 2, 443, 1, 40000, 0x18, 2500)), 0);
    assert_int_equal(feed(e, 1 * S + 3000, b, tcp_frame(b, 1, 40000, 2, 443, 0x18, 1400)), 0);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *f = recs[0].f;
    assert_true(f[fidx(e, "FlowBytesReceived")] == 2664);
    assert_true(f[fidx(e, "FlowBytesSent")] == 1484);
    assert_true(fabs(f[fidx(e, "PacketLengthMean")] - 4148.0 / 6) < 1e-9);
    assert_true(f[fidx(e, "PacketLengthMode")] == 44);
    fdx_engine_free(e);
}

/*
 * doh medians over a long flow: 9,000 packets 1 ms apart from the client (10.0.0.1:40000) to
 * 10.0.0.2:443, the first 4,096 without payload (IP length 40), the other 4,904 with 960 bytes
 * (IP length 1000). Sorted, the 4,500th and 4,501st lengths are both 1000, so PacketLengthMedian
 * = 1000 and PacketLengthMode = 1000 (4,904 times against 4,096). Relative times are 0, 0.001,
 * ..., 8.999 s: PacketTimeMedian = (4.499 + 4.500) / 2 = 4.4995. A flow's first 4,096 packets
 * alone would give 40 and 2.0475.
 */
static void test_engine_doh_median_of_a_long_flow(void **state)
{
    (void)state;
    fdx_engine *e = engine("doh");
    uint8_t b[2048];
    for (uint32_t i = 0; i < 9000; i++)
        assert_int_equal(feed(e, 1 * S + (uint64_t)i * 1000, b,
                              tcp_frame(b, 1, 40000, 2, 443, 0x10, i < 4096 ? 0 : 960)),
                         0);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *f = recs[0].f;
    assert_true(f[fidx(e, "PacketLengthMedian")] == 1000);
    assert_true(f[fidx(e, "PacketLengthMode")] == 1000);
    assert_true(fabs(f[fidx(e, "PacketTimeMedian")] - 4.4995) < 1e-9);
    fdx_engine_free(e);
}

/* A TCP frame like tcp_frame() with IP TTL @p ttl. */
static size_t tcp_frame_ttl(uint8_t *b, uint8_t src, uint16_t sp, uint8_t dst, uint16_t dp,
                            uint8_t flags, uint16_t payload, uint8_t ttl)
{
    size_t n = tcp_frame(b, src, sp, dst, dp, flags, payload);
    b[14 + 8] = ttl;
    return n;
}

/*
 * flowrec on a built TCP connection, by hand (doc/features/flowrec.md):
 *   t=10.000000 10.0.0.7:40000 -> 10.0.0.3:25 SYN, TTL 64, IP length 40
 *   t=10.000250 10.0.0.3:25 -> 10.0.0.7:40000 SYN+ACK, TTL 50, 40
 *   t=10.500000 client PSH+ACK, 300 payload bytes, TTL 63, 340
 *   t=11.000000 client, first fragment: MF, 20 IP + 20 TCP + 1000, ACK, TTL 61, 1040
 *   t=11.000001 client, second fragment (no TCP header), TTL 62, IP length 520
 *   t=12.250000 server FIN+ACK, TTL 52, 40
 * Request: 4 packets, 40 + 340 + 1040 + 520 = 1940 bytes, lengths 40..1040, TTL 61..64, flags
 * SYN|PSH|ACK = 0x02|0x08|0x10 = 0x1a (the fragment adds none). Response: 2 packets, 80 bytes,
 * lengths 40..40, TTL 50..52, flags SYN|ACK|FIN = 0x13. Duration 12.25 - 10 = 2.25 s.
 */
static void test_engine_flowrec_by_hand(void **state)
{
    (void)state;
    fdx_engine *e = engine("flowrec");
    uint8_t b[2048];
    assert_int_equal(feed(e, 10 * S, b, tcp_frame_ttl(b, 7, 40000, 3, 25, 0x02, 0, 64)), 0);
    assert_int_equal(feed(e, 10 * S + 250, b, tcp_frame_ttl(b, 3, 25, 7, 40000, 0x12, 0, 50)), 0);
    assert_int_equal(feed(e, 10 * S + 500000, b, tcp_frame_ttl(b, 7, 40000, 3, 25, 0x18, 300, 63)),
                     0);
    size_t n = eth(b, 0x0800);
    n += ipv4(b + n, 1040, 6, 61, 7, 3, 555, 0x2000);
    n += tcp(b + n, 40000, 25, 0x10, 1000);
    memset(b + n, 0, 1000);
    assert_int_equal(feed(e, 11 * S, b, n + 1000), 0);
    n = eth(b, 0x0800);
    n += ipv4(b + n, 520, 6, 62, 7, 3, 555, 127);
    memset(b + n, 0, 500);
    assert_int_equal(feed(e, 11 * S + 1, b, n + 500), 0);
    assert_int_equal(feed(e, 12 * S + 250000, b, tcp_frame_ttl(b, 3, 25, 7, 40000, 0x11, 0, 52)),
                     0);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *v = recs[0].f;
    assert_int_equal(fdx_engine_feature_count(e), 15);
    assert_true(v[fidx(e, "packets")] == 4);
    assert_true(v[fidx(e, "bytes")] == 1940);
    assert_true(v[fidx(e, "min_len")] == 40);
    assert_true(v[fidx(e, "max_len")] == 1040);
    assert_true(v[fidx(e, "min_ttl")] == 61);
    assert_true(v[fidx(e, "max_ttl")] == 64);
    assert_true(v[fidx(e, "tcp_flags")] == 0x1a);
    assert_true(v[fidx(e, "rpackets")] == 2);
    assert_true(v[fidx(e, "rbytes")] == 80);
    assert_true(v[fidx(e, "rmin_len")] == 40);
    assert_true(v[fidx(e, "rmax_len")] == 40);
    assert_true(v[fidx(e, "rmin_ttl")] == 50);
    assert_true(v[fidx(e, "rmax_ttl")] == 52);
    assert_true(v[fidx(e, "rtcp_flags")] == 0x13);
    assert_true(v[fidx(e, "duration")] == 2.25);
    /* the counters agree with the record's own */
    assert_int_equal(recs[0].r.packets[FDX_DIR_REQ], 4);
    assert_int_equal(recs[0].r.bytes[FDX_DIR_RESP], 80);
    fdx_engine_free(e);
}

/*
 * One-way and non-TCP flows: a lone UDP datagram 10.0.0.1:5353 -> 10.0.0.2:53 (20 IP + 8 UDP + 4
 * = 32 bytes, TTL 64) has no TCP flags (NaN) and an empty response direction: 0 packets, 0
 * bytes, no lengths or TTLs (NaN); its duration is 0. A lone SYN has response flags 0 (TCP: the
 * OR of no packets).
 */
static void test_engine_flowrec_one_way_and_udp(void **state)
{
    (void)state;
    fdx_engine *e = engine("flowrec");
    uint8_t b[256];
    size_t n = eth(b, 0x0800);
    n += ipv4(b + n, 32, 17, 64, 1, 2, 9, 0);
    b[n] = 5353 >> 8;
    b[n + 1] = 5353 & 0xff;
    b[n + 2] = 0;
    b[n + 3] = 53;
    b[n + 4] = 0;
    b[n + 5] = 12;
    b[n + 6] = b[n + 7] = 0;
    memset(b + n + 8, 0, 4);
    assert_int_equal(feed(e, 5 * S, b, n + 12), 0);
    assert_int_equal(feed(e, 6 * S, b, tcp_frame(b, 4, 41000, 5, 25, 0x02, 0)), 0);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 2);
    const double *u = recs[0].r.proto == 17 ? recs[0].f : recs[1].f;
    const double *t = recs[0].r.proto == 17 ? recs[1].f : recs[0].f;
    assert_true(u[fidx(e, "packets")] == 1);
    assert_true(u[fidx(e, "bytes")] == 32);
    assert_true(u[fidx(e, "min_len")] == 32 && u[fidx(e, "max_len")] == 32);
    assert_true(isnan(u[fidx(e, "tcp_flags")]));
    assert_true(u[fidx(e, "rpackets")] == 0 && u[fidx(e, "rbytes")] == 0);
    assert_true(isnan(u[fidx(e, "rmin_len")]) && isnan(u[fidx(e, "rmax_ttl")]));
    assert_true(isnan(u[fidx(e, "rtcp_flags")]));
    assert_true(u[fidx(e, "duration")] == 0);
    assert_true(t[fidx(e, "tcp_flags")] == 0x02);
    assert_true(t[fidx(e, "rtcp_flags")] == 0);
    assert_true(isnan(t[fidx(e, "rmin_ttl")]));
    fdx_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_every_packet_has_one_outcome),
        cmocka_unit_test(test_engine_fragments_join_their_flow),
        cmocka_unit_test(test_engine_counts_oversize_packets),
        cmocka_unit_test(test_engine_icmp_error_is_not_in_quoted_flow),
        cmocka_unit_test(test_engine_record_fields),
        cmocka_unit_test(test_engine_first_flow_id),
        cmocka_unit_test(test_engine_rejects_unknown_set_and_bad_options),
        cmocka_unit_test(test_engine_set_state_across_flows),
        cmocka_unit_test(test_engine_set_with_policy_runs_alone),
        cmocka_unit_test(test_engine_doh_ip_counts_wire_segments),
        cmocka_unit_test(test_engine_doh_median_of_a_long_flow),
        cmocka_unit_test(test_engine_flowrec_by_hand),
        cmocka_unit_test(test_engine_flowrec_one_way_and_udp),
        cmocka_unit_test(test_engine_plugin_without_fields_alone),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
