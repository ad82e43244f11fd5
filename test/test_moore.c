/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the moore feature set on built flows, against numpy's and hand-computed values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feature/feature.h"
#include "feature/moore.h"
#include "flowdx/flowdx.h"
#include "packet_build.h"

#define T0 UINT64_C(1700000000000000)
#define MAX_RECORDS 16

struct rec {
    struct fdx_flow_record r;
    double f[MOORE_N_VALUES];
};

static struct rec recs[MAX_RECORDS];
static int n_recs;

static void collect(void *user, const struct fdx_flow_record *r)
{
    (void)user;
    assert_true(n_recs < MAX_RECORDS);
    assert_int_equal(r->n_features, MOORE_N_VALUES);
    recs[n_recs].r = *r;
    memcpy(recs[n_recs].f, r->features, sizeof(recs[n_recs].f));
    recs[n_recs].r.features = recs[n_recs].f;
    n_recs++;
}

static fdx_engine *engine(uint64_t active_timeout_us)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "moore";
    o.on_flow = collect;
    if (active_timeout_us > 0)
        o.active_timeout_us = active_timeout_us;
    n_recs = 0;
    fdx_engine *e = NULL;
    char err[256];
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    return e;
}

/* Hosts of the built flows: 192.0.2.<n>. */
static const uint8_t host_a[4] = {192, 0, 2, 1}, host_b[4] = {192, 0, 2, 2},
                     host_c[4] = {192, 0, 2, 3};

/* One packet of a built flow. */
struct pkt {
    int dir;           /* 0: a -> b */
    uint64_t t_us;     /* offset from T0 */
    uint8_t tcp_words; /* TCP header in 32-bit words; 0: UDP */
    uint16_t payload;
    uint8_t flags;
    uint32_t seq, ack;
};

/* Ethernet + IPv4 (20 bytes) + TCP or UDP + zero payload, from @p src to @p dst. */
static size_t frame(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                    uint16_t dport, const struct pkt *p)
{
    size_t n = pb_put_eth(b, 0x0800);
    uint16_t l4 = p->tcp_words ? (uint16_t)(p->tcp_words * 4) : 8;
    uint8_t *ip = b + n;
    n += pb_put_ipv4(ip, (struct pb_v4){.total_len = (uint16_t)(20 + l4 + p->payload),
                                        .proto = p->tcp_words ? 6 : 17,
                                        .src = src});
    memcpy(ip + 16, dst, 4);
    if (p->tcp_words)
        n += pb_put_tcp(b + n, (struct pb_tcp){.sport = sport,
                                               .dport = dport,
                                               .seq = p->seq,
                                               .ack = p->ack,
                                               .doff = p->tcp_words,
                                               .flags = p->flags,
                                               .window = 29200});
    else
        n += pb_put_udp(b + n, sport, dport, (uint16_t)(8 + p->payload));
    memset(b + n, 0, p->payload);
    return n + p->payload;
}

static void feed(fdx_engine *e, uint64_t ts, const uint8_t *b, size_t n)
{
    uint8_t *copy = malloc(n); /* exact size: the sanitizer sees any read past the end */
    assert_non_null(copy);
    memcpy(copy, b, n);
    assert_int_equal(fdx_engine_feed(e, 1, ts, copy, (uint32_t)n, (uint32_t)n), FDX_PKT_DECODED);
    free(copy);
}

/* Feed a flow between @p a (port pa, the initiator) and @p b (port pb). */
static void feed_flow(fdx_engine *e, const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb,
                      uint64_t t0, const struct pkt *pk, size_t n)
{
    static uint8_t buf[2048];
    for (size_t i = 0; i < n; i++) {
        const struct pkt *p = &pk[i];
        size_t len = p->dir == 0 ? frame(buf, a, b, pa, pb, p) : frame(buf, b, a, pb, pa, p);
        feed(e, t0 + p->t_us, buf, len);
    }
}

/* Expected values from number @p first on. */
struct expect {
    int first;
    int n;
    double v[10];
};

static void check(const double *out, const struct expect *x, size_t n_x)
{
    for (size_t i = 0; i < n_x; i++) {
        for (int j = 0; j < x[i].n; j++) {
            int num = x[i].first + j;
            double got = out[num - 1], want = x[i].v[j];
            if (!(fabs(got - want) <= 1e-9 * fabs(want) + 1e-12))
                fail_msg("%s: %.17g, expected %.17g", fdxi_moore_names[num - 1], got, want);
        }
    }
}

/* ---- names ---- */

static void test_moore_names_follow_the_slug_rule(void **state)
{
    (void)state;
    const struct fdxi_feature_set *s = fdxi_feature_set_find("moore", 5);
    assert_ptr_equal(s, &fdxi_feature_set_moore);
    assert_int_equal(s->n_features, 249);
    for (int i = 0; i < MOORE_N_DISCRIMINATORS; i++) {
        const char *name = s->feature_names[i];
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "moore_%03d_", i + 1);
        assert_memory_equal(name, prefix, 10);
        assert_true(strlen(name) > 10);
        for (const char *c = name; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, s->feature_names[j]);
    }
    assert_string_equal(s->feature_names[248], "is_tcp");
    /* The spec's examples, and names whose slug is not obvious. */
    assert_string_equal(s->feature_names[30], "moore_031_total_packets_ab");
    assert_string_equal(s->feature_names[31], "moore_032_total_packets_ba");
    assert_string_equal(s->feature_names[60], "moore_061_syn_pkts_sent_ab");
    assert_string_equal(s->feature_names[61], "moore_062_fin_pkts_sent_ab");
    assert_string_equal(s->feature_names[152], "moore_153_min_data_wire_ab");
    assert_string_equal(s->feature_names[142], "moore_143_max___retrans_ab");
    assert_string_equal(s->feature_names[209], "moore_210_no__transitions_bulk_trans");
    assert_string_equal(s->feature_names[212], "moore_213___bulk");
    assert_string_equal(s->feature_names[247], "moore_248_fft_ba_10");
}

/* ---- a TCP flow ---- */

/* test/moore_expected.py's TCP table: SYN (20 option bytes), SYN/ACK (12), ACK, a 100-byte
 * request, four response segments (bulk), 2.5 s idle, FIN exchange. */
static const struct pkt tcp_flow[] = {
    {0, 0, 10, 0, 0x02, 1000, 0},          {1, 10000, 8, 0, 0x12, 5000, 1001},
    {0, 20000, 5, 0, 0x10, 1001, 5001},    {0, 30000, 5, 100, 0x18, 1001, 5001},
    {1, 50000, 5, 1000, 0x10, 5001, 1101}, {1, 60000, 5, 1000, 0x10, 6001, 1101},
    {1, 70000, 5, 1000, 0x10, 7001, 1101}, {1, 80000, 5, 500, 0x18, 8001, 1101},
    {0, 2580000, 5, 0, 0x10, 1101, 8501},  {0, 2600000, 5, 0, 0x11, 1101, 8501},
    {1, 2610000, 5, 0, 0x11, 8501, 1102},  {0, 2620000, 5, 0, 0x10, 1102, 8502},
};

/* Printed by test/moore_expected.py (numpy/scipy on the table above). */
static const struct expect tcp_expect[] = {
    {3, 7, {0.01, 0.01, 0.01, 0.2381818181818181, 0.015, 2.5, 0.5115966942148762}},
    {10, 7, {58.0, 58.0, 74.0, 360.6666666666667, 683.0, 1058.0, 180104.88888888885}},
    {17, 7, {40.0, 40.0, 56.0, 342.6666666666667, 665.0, 1040.0, 180104.88888888885}},
    {24, 7, {40.0, 40.0, 40.0, 42.666666666666664, 40.0, 60.0, 38.222222222222214}},
    {153, 7, {58.0, 58.0, 58.0, 78.0, 73.0, 158.0, 1333.3333333333333}},
    {160, 7, {40.0, 40.0, 40.0, 60.0, 55.0, 140.0, 1333.3333333333333}},
    {167, 7, {40.0, 40.0, 40.0, 43.333333333333336, 40.0, 60.0, 55.55555555555557}},
    {174, 7, {58.0, 192.0, 808.0, 643.3333333333334, 1058.0, 1058.0, 199075.55555555553}},
    {181, 7, {40.0, 174.0, 790.0, 625.3333333333334, 1040.0, 1040.0, 199075.55555555553}},
    {188, 7, {40.0, 40.0, 40.0, 42.0, 40.0, 52.0, 20.0}},
    {195, 7, {0.01, 0.02, 0.02, 0.5239999999999999, 0.02, 2.55, 1.026184}},
    {202, 7, {0.01, 0.01, 0.01, 0.5199999999999999, 0.04, 2.53, 1.0101599999999997}},
    {210, 6, {1.0, 0.03, 2.62, 0.011450381679389311, 2.5, 0.9541984732824427}},
    {216, 3, {1551.0966200893429, 133.44599944220548, 1414.4670024283103}},
    {219,
     10,
     {0.5693997774285072, 1.420376838632175, -0.8559347522529881, -1.14719236590961,
      -0.28751543538053315, 0.0, 0.0, 0.0, 0.0, 0.0}},
    {229, 10, {1.2543212091133524, 0.624554834782798}},
    {239, 10, {1.2453569372926274, -0.6353839054781961}},
};

/*
 * By hand, for the values that need no numpy: ports 80 and 40000; the only data runs are one
 * a->b packet (transaction) and four b->a packets from 0.05 s to 0.08 s (bulk): 1 transition,
 * 0.03 s in bulk; the one gap of 2 s or more is 2.5 s; duration 2.62 s.
 */
static void test_moore_tcp_flow_hand_and_numpy(void **state)
{
    (void)state;
    fdx_engine *e = engine(0);
    feed_flow(e, host_a, 40000, host_b, 80, T0, tcp_flow, sizeof(tcp_flow) / sizeof(tcp_flow[0]));
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *v = recs[0].f;
    assert_true(v[0] == 80 && v[1] == 40000);
    assert_true(v[208] == -1); /* no earlier connection */
    assert_true(v[209] == 1 && v[210] == 0.03 && v[211] == 2.62 && v[213] == 2.5);
    assert_true(v[248] == 1);
    /* From lib/tcp, counted by hand: six packets each way; one a->b data packet of 100 bytes,
     * four b->a of 3500 bytes in all; one SYN and one FIN each way. */
    assert_true(v[30] == 6 && v[31] == 6);
    assert_true(v[44] == 1 && v[45] == 4 && v[46] == 100 && v[47] == 3500);
    assert_true(v[60] == 1 && v[61] == 1 && v[62] == 1 && v[63] == 1);
    check(v, tcp_expect, sizeof(tcp_expect) / sizeof(tcp_expect[0]));
    fdx_engine_free(e);
}

/* ---- a UDP flow: everything but 31-152 is computed; is_tcp 0 ---- */

static const struct pkt udp_flow[] = {
    {0, 0, 0, 30, 0, 0, 0},
    {1, 200000, 0, 100, 0, 0, 0},
    {0, 250000, 0, 30, 0, 0, 0},
};

static const struct expect udp_expect[] = {
    {3, 7, {0.05, 0.08750000000000001, 0.125, 0.125, 0.1625, 0.2, 0.005625000000000001}},
    {10, 7, {76.0, 76.0, 76.0, 99.33333333333333, 111.0, 146.0, 1088.888888888889}},
    {17, 7, {58.0, 58.0, 58.0, 81.33333333333333, 93.0, 128.0, 1088.888888888889}},
    {24, 7, {28.0, 28.0, 28.0, 28.0, 28.0, 28.0, 0.0}},
    {153, 7, {76.0, 76.0, 76.0, 76.0, 76.0, 76.0, 0.0}},
    {160, 7, {58.0, 58.0, 58.0, 58.0, 58.0, 58.0, 0.0}},
    {167, 7, {28.0, 28.0, 28.0, 28.0, 28.0, 28.0, 0.0}},
    {174, 7, {146.0, 146.0, 146.0, 146.0, 146.0, 146.0, 0.0}},
    {181, 7, {128.0, 128.0, 128.0, 128.0, 128.0, 128.0, 0.0}},
    {188, 7, {28.0, 28.0, 28.0, 28.0, 28.0, 28.0, 0.0}},
    {195, 7, {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.0}},
    {202, 7, {0}},
    {210, 6, {0.0, 0.0, 0.25, 0.0, 0.0, 0.0}},
    {216, 3, {813.6352775272027, 386.7040420351131, 426.84873699339045}},
    {219, 10, {0}},
    {229, 10, {0}},
    {239, 10, {0}},
};

static void test_moore_udp_flow_is_not_tcp(void **state)
{
    (void)state;
    fdx_engine *e = engine(0);
    feed_flow(e, host_a, 5000, host_b, 53, T0, udp_flow, 3);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    const double *v = recs[0].f;
    assert_true(v[0] == 53 && v[1] == 5000);
    for (int num = 31; num <= 152; num++)
        assert_true(v[num - 1] == 0);
    assert_true(v[248] == 0);
    check(v, udp_expect, sizeof(udp_expect) / sizeof(udp_expect[0]));
    fdx_engine_free(e);
}

/* ---- past the cap: exact values exact, quartiles and FFT from the first 1024 packets ---- */

/* cap_flow() of test/moore_expected.py: 1100 UDP packets, every third one b->a. */
static struct pkt cap_packet(uint64_t i, uint64_t *x)
{
    *x = (UINT64_C(1103515245) * *x + 12345) % (UINT64_C(1) << 31);
    struct pkt p = {.dir = (i % 3 == 2),
                    .t_us = i * 1000 + (*x >> 16) % 1000,
                    .payload = (uint16_t)((*x >> 8) % 1000)};
    return p;
}

static const struct expect cap_expect[] = {
    {3,
     7,
     {2.5e-05, 0.000677, 0.001007, 0.0009999008189262967, 0.001313, 0.001966,
      1.774522076335423e-07}},
    {10, 7, {47.0, 268.0, 533.5, 530.9754545454546, 783.25, 1045.0, 85671.31121570249}},
    {17, 7, {29.0, 250.0, 515.5, 512.9754545454546, 765.25, 1027.0, 85671.31121570249}},
    {24, 7, {28.0, 28.0, 28.0, 28.0, 28.0, 28.0, 0.0}},
    {153, 7, {47.0, 277.0, 543.0, 538.8460490463216, 788.5, 1045.0, 86085.58256613385}},
    {160, 7, {29.0, 259.0, 525.0, 520.8460490463216, 770.5, 1027.0, 86085.58256613385}},
    {174, 7, {55.0, 264.0, 511.0, 515.1912568306011, 770.0, 1039.0, 84467.13281973185}},
    {181, 7, {37.0, 246.0, 493.0, 497.1912568306011, 752.0, 1021.0, 84467.13281973185}},
    {195,
     7,
     {4.5e-05, 0.0009927500000000001, 0.001498, 0.0014991691678035472, 0.0019944999999999997,
      0.002956, 4.373233056250919e-07}},
    {202,
     7,
     {0.002012, 0.0026865, 0.003032, 0.0030021808219178082, 0.00331975, 0.003895,
      1.73729063193845e-07}},
    {210, 6, {0.0, 0.0, 1.098891, 0.0, 0.0, 0.0}},
    {216, 3, {513163.48219927255, 347716.692804108, 165489.12090579382}},
    {219,
     10,
     {1.408475672752305, -0.15346734256395742, -0.9859862657425642, 1.5121914676688473,
      -0.6274914216401439, 1.0988967802274758, 0.6970756715620502, 1.216135512003305,
      -1.4029196009707607, 0.4680093291709036}},
    {229,
     10,
     {-0.0, -1.534527117231155, -0.6247160846160689, 0.2764210162160117, -0.5746435279700924,
      0.3977525217631564, 0.473814854843787, -0.6625481968498291, 0.7940108438638133,
      0.957089495845804}},
    {239,
     10,
     {0.7707117028147386, 0.7506786017620091, -0.871050117050022, 1.0068210733634786,
      -0.7392295503330099, 0.041296439963842475, -0.6502977087521006, -0.3393267616614555,
      1.2490048973401653, 0.9075667900968456}},
};

static void test_moore_flow_past_the_cap(void **state)
{
    (void)state;
    fdx_engine *e = engine(0);
    uint64_t x = 12345;
    for (uint64_t i = 0; i < 1100; i++) {
        struct pkt p = cap_packet(i, &x);
        feed_flow(e, host_a, 6000, host_b, 7000, T0, &p, 1);
    }
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    check(recs[0].f, cap_expect, sizeof(cap_expect) / sizeof(cap_expect[0]));
    fdx_engine_free(e);
}

/* ---- 209: time since the last connection between the same hosts ---- */

static void test_moore_time_since_last_connection(void **state)
{
    (void)state;
    /* Active timeout 1 s: the connection of a and c, opened at 4 s, is cut at 5 s and goes on in
     * a second record from its next packet at 5.5 s. */
    fdx_engine *e = engine(1000000);
    const struct pkt syn = {0, 0, 5, 0, 0x02, 1, 0};
    const struct pkt udp = {0, 0, 0, 10, 0, 0, 0};
    const struct pkt ack = {0, 0, 5, 0, 0x10, 2, 0};
    feed_flow(e, host_a, 40000, host_b, 80, T0, &syn, 1);
    feed_flow(e, host_a, 40001, host_b, 80, T0 + 3500000, &syn, 1);
    feed_flow(e, host_a, 40002, host_c, 80, T0 + 4000000, &syn, 1);
    feed_flow(e, host_b, 5555, host_a, 22, T0 + 5000000, &syn, 1);
    feed_flow(e, host_a, 40002, host_c, 80, T0 + 5500000, &ack, 1);
    feed_flow(e, host_a, 40003, host_b, 53, T0 + 6000000, &udp, 1);
    fdx_engine_flush(e);
    struct {
        uint64_t start;
        uint16_t sport;
        double since;
    } want[] = {
        {T0, 40000, -1},            /* the first between a and b */
        {T0 + 3500000, 40001, 3.5}, /* 3.5 s after the first */
        {T0 + 4000000, 40002, -1},  /* a and c: another pair */
        {T0 + 5000000, 5555, 1.5},  /* b opens this one: the same pair, 1.5 s after the second */
        {T0 + 5500000, 40002, -1},  /* continuation: its connection's value, not 1.5 s */
        {T0 + 6000000, 40003, -1},  /* UDP: another protocol */
    };
    int reported = 0;
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
        int found = 0;
        for (int i = 0; i < n_recs; i++) {
            if (recs[i].r.start_us == want[w].start && recs[i].r.src_port == want[w].sport) {
                if (recs[i].f[208] != want[w].since)
                    fail_msg("record at %llu: %g, expected %g",
                             (unsigned long long)(want[w].start - T0), recs[i].f[208],
                             want[w].since);
                found++;
            }
        }
        assert_int_equal(found, 1);
        reported += found;
    }
    assert_int_equal(reported, n_recs);
    fdx_engine_free(e);
}

/* ---- the packet store keeps a prefix when the pool refuses ---- */

static void test_moore_store_keeps_a_prefix(void **state)
{
    (void)state;
    struct fdxi_chunks pool;
    assert_int_equal(fdxi_chunks_init(&pool, &fdxi_moore_store), 0);
    struct fdxi_chunk_list a = {0}, b = {0};
    struct moore_rec r = {0};
    for (uint32_t i = 0; i < 2 * MOORE_CHUNK_RECS; i++) {
        r.ts_us = i;
        fdxi_chunks_add(&pool, &a, &r); /* two full chunks */
    }
    r.ts_us = 100;
    fdxi_chunks_add(&pool, &b, &r);
    uint32_t used = pool.used;
    pool.used = MOORE_POOL_CHUNKS; /* as if the pool were full */
    r.ts_us = 1000;
    fdxi_chunks_add(&pool, &a, &r); /* needs a third chunk: refused */
    assert_true(a.closed);
    assert_int_equal(a.stored, 2 * MOORE_CHUNK_RECS);
    assert_int_equal(pool.refused, 1);
    fdxi_chunks_release(&pool, &b); /* a chunk comes free ... */
    fdxi_chunks_add(&pool, &a, &r); /* ... but a stays the flow's first packets */
    assert_int_equal(a.stored, 2 * MOORE_CHUNK_RECS);
    struct moore_rec out[2 * MOORE_CHUNK_RECS];
    fdxi_chunks_copy(&pool, &a, out);
    for (uint32_t i = 0; i < 2 * MOORE_CHUNK_RECS; i++)
        assert_true(out[i].ts_us == i);
    /* Released and reused: b's chunk goes to a fresh list. */
    fdxi_chunks_release(&pool, &a);
    assert_false(a.closed);
    fdxi_chunks_add(&pool, &b, &r);
    assert_int_equal(b.stored, 1);
    pool.used = used;
    fdxi_chunks_fini(&pool);
}

/* ---- FFT by hand ---- */

static void test_moore_fft_by_hand(void **state)
{
    (void)state;
    struct moore_fft *f = fdxi_moore_fft_new();
    assert_non_null(f);
    double out[MOORE_FFT_TOP];
    /* x = (0, 1, 0, 0): X_k = e^(-2 pi i k / 4) = (-i)^k; X_1 = -i (Re 0, Im -1): -pi/2;
     * X_2 = -1: atan(0 / -1) = 0. Equal magnitudes: k = 1 first. */
    const double x4[] = {0, 1, 0, 0};
    assert_true(fdxi_moore_fft_top(f, x4, 4, out));
    assert_true(fabs(out[0] + M_PI / 2) < 1e-12 && fabs(out[1]) < 1e-12);
    for (int r = 2; r < MOORE_FFT_TOP; r++)
        assert_true(out[r] == 0);
    /* x = (1, 2, 3): X_1 = 1 + 2 w + 3 w^2, w = e^(-2 pi i / 3) = -1/2 - i sqrt(3)/2:
     * X_1 = -3/2 + i sqrt(3)/2, atan(-1/sqrt(3)) = -pi/6. */
    const double x3[] = {1, 2, 3};
    assert_true(fdxi_moore_fft_top(f, x3, 3, out));
    assert_true(fabs(out[0] + M_PI / 6) < 1e-12 && out[1] == 0);
    /* x = (1, 0, 0, 0, 0, 0): every X_k = 1, real: 0 for bins 1..3, then 0 for no bin. */
    const double x6[] = {2, 0, 0, 0, 0, 0};
    assert_true(fdxi_moore_fft_top(f, x6, 6, out));
    for (int r = 0; r < MOORE_FFT_TOP; r++)
        assert_true(out[r] == 0);
    /* One IAT: no bin besides DC. */
    assert_true(fdxi_moore_fft_top(f, x3, 1, out));
    assert_true(out[0] == 0);
    fdxi_moore_fft_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moore_names_follow_the_slug_rule),
        cmocka_unit_test(test_moore_tcp_flow_hand_and_numpy),
        cmocka_unit_test(test_moore_udp_flow_is_not_tcp),
        cmocka_unit_test(test_moore_flow_past_the_cap),
        cmocka_unit_test(test_moore_time_since_last_connection),
        cmocka_unit_test(test_moore_store_keeps_a_prefix),
        cmocka_unit_test(test_moore_fft_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
