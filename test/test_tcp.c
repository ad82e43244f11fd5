/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/tcp: hand-built connections, expected values worked out by hand per tcptrace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp.h"

#define A 0 /* the initiator's direction (a->b) */
#define B 1
#define MS UINT64_C(1000)
#define T0 UINT64_C(1700000000000000)

enum { F = FDXI_TCP_FIN, S = FDXI_TCP_SYN, R = FDXI_TCP_RST, P = FDXI_TCP_PSH, K = FDXI_TCP_ACK };

/* A parsed TCP packet as the decoder would give it: no options, fully captured. */
static struct fdxi_packet pkt(uint64_t ts_us, uint8_t flags, uint32_t seq, uint32_t ack,
                              uint16_t win, uint32_t len)
{
    struct fdxi_packet p;
    memset(&p, 0, sizeof p);
    p.ts_us = ts_us;
    p.ip_version = 4;
    p.proto = FDXI_PROTO_TCP;
    p.has_ports = true;
    p.ip_hdr_bytes = 20;
    p.tcp_hdr_bytes = 20;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_window = win;
    p.payload_bytes = len;
    p.payload_caplen = len;
    p.ip_len = 40 + len;
    return p;
}

/* The same with TCP options @p opt (a multiple of 4 bytes, borrowed until the packet is fed). */
static struct fdxi_packet pkt_opt(uint64_t ts_us, uint8_t flags, uint32_t seq, uint32_t ack,
                                  uint16_t win, uint32_t len, const uint8_t *opt, uint16_t n)
{
    struct fdxi_packet p = pkt(ts_us, flags, seq, ack, win, len);
    p.tcp_hdr_bytes = (uint16_t)(20 + n);
    p.tcp_options = opt;
    p.tcp_options_caplen = n;
    p.ip_len += n;
    return p;
}

static void feed(struct fdxi_tcp_conn *c, int dir, struct fdxi_packet p)
{
    fdxi_tcp_packet(c, &p, dir);
}

/* Moore number @p n of connection @p c, which lasted from T0 to @p last_us. */
static double moore(const struct fdxi_tcp_conn *c, uint64_t last_us, int n)
{
    double v[FDXI_TCP_MOORE_N];
    fdxi_tcp_moore_values(c, T0, last_us, v);
    return v[n - 31];
}

/* SYN (ISN 1000) at 0, SYN/ACK (ISN 5000) at 10 ms, ACK at 30 ms; windows 1000 each way. */
static void handshake(struct fdxi_tcp_conn *c)
{
    memset(c, 0, sizeof *c);
    feed(c, A, pkt(T0, S, 1000, 0, 1000, 0));
    feed(c, B, pkt(T0 + 10 * MS, S | K, 5000, 1001, 1000, 0));
    feed(c, A, pkt(T0 + 30 * MS, K, 1001, 5001, 1000, 0));
}

static void test_tcp_fresh_connection_is_all_zero(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    memset(&c, 0, sizeof c);
    double v[FDXI_TCP_MOORE_N];
    fdxi_tcp_moore_values(&c, T0, T0, v);
    for (int i = 0; i < FDXI_TCP_MOORE_N; i++)
        assert_true(v[i] == 0.0);
}

static void test_tcp_handshake_rtt(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    uint64_t end = T0 + 30 * MS;
    /* packets 2/1; ACK flag on the SYN/ACK and the ACK: 1/1; pure: only the third packet. */
    assert_true(moore(&c, end, 31) == 2 && moore(&c, end, 32) == 1);
    assert_true(moore(&c, end, 33) == 1 && moore(&c, end, 34) == 1);
    assert_true(moore(&c, end, 35) == 1 && moore(&c, end, 36) == 0);
    /* SYN a_b (61) 1, FIN a_b (62) 0, SYN b_a (63) 1, FIN b_a (64) 0 */
    assert_true(moore(&c, end, 61) == 1 && moore(&c, end, 62) == 0);
    assert_true(moore(&c, end, 63) == 1 && moore(&c, end, 64) == 0);
    /* a's SYN ACKed after 10 ms, b's SYN after 30 - 10 = 20 ms: one sample each, also the
     * handshake RTT and (a one-byte range counts as 2^32 bytes) the full-size sample. */
    assert_true(moore(&c, end, 113) == 1 && moore(&c, end, 114) == 1);
    assert_float_equal(moore(&c, end, 115), 10.0, 1e-9);
    assert_float_equal(moore(&c, end, 116), 20.0, 1e-9);
    assert_float_equal(moore(&c, end, 123), 10.0, 1e-9);
    assert_float_equal(moore(&c, end, 124), 20.0, 1e-9);
    assert_true(moore(&c, end, 125) == 1 && moore(&c, end, 126) == 1);
    assert_float_equal(moore(&c, end, 127), 10.0, 1e-9);
    /* No data: no unique bytes, and a SYN without FIN has no stream length. */
    assert_true(moore(&c, end, 43) == 0 && moore(&c, end, 99) == 0);
}

static void test_tcp_retransmission_gives_no_rtt_sample(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    /* 100 bytes at 100 ms, the same again at 300 ms, ACKed at 350 ms. */
    feed(&c, A, pkt(T0 + 100 * MS, K | P, 1001, 5001, 1000, 100));
    feed(&c, A, pkt(T0 + 300 * MS, K | P, 1001, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 350 * MS, K, 5001, 1101, 1000, 0));
    uint64_t end = T0 + 350 * MS;
    assert_true(moore(&c, end, 45) == 2);   /* data packets, retransmission included */
    assert_true(moore(&c, end, 47) == 200); /* data bytes */
    assert_true(moore(&c, end, 43) == 100); /* unique bytes */
    assert_true(moore(&c, end, 49) == 1 && moore(&c, end, 51) == 100);
    assert_true(moore(&c, end, 59) == 2); /* pushed */
    /* Karn: the ACK of the retransmitted range is ambiguous, so only the SYN's sample. */
    assert_true(moore(&c, end, 113) == 1);
    /* One retransmission, 200 ms after the first transmission. */
    assert_true(moore(&c, end, 143) == 1);
    assert_float_equal(moore(&c, end, 145), 200.0, 1e-9);
    assert_float_equal(moore(&c, end, 147), 200.0, 1e-9);
    assert_float_equal(moore(&c, end, 149), 200.0, 1e-9);
    assert_float_equal(moore(&c, end, 151), 0.0, 1e-9); /* fewer than 3 samples */
    /* Initial window: the first transmission only. */
    assert_true(moore(&c, end, 95) == 100 && moore(&c, end, 97) == 1);
    /* data_xmit_time 0.2 s; throughput 100 B over 0.35 s */
    assert_float_equal(moore(&c, end, 107), 0.2, 1e-9);
    assert_float_equal(moore(&c, end, 111), 100 / 0.35, 1e-9);
}

static void test_tcp_out_of_order_segment(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    /* [1101, 1201) at 100 ms, then [1001, 1101) at 110 ms, one ACK of 1201 at 200 ms. */
    feed(&c, A, pkt(T0 + 100 * MS, K, 1101, 5001, 1000, 100));
    feed(&c, A, pkt(T0 + 110 * MS, K, 1001, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 200 * MS, K, 5001, 1201, 1000, 0));
    uint64_t end = T0 + 200 * MS;
    assert_true(moore(&c, end, 57) == 1); /* the second starts and ends below the first */
    assert_true(moore(&c, end, 49) == 0); /* not a retransmission */
    assert_true(moore(&c, end, 43) == 200);
    /* The ACK ends the upper range; the lower range before it was sent later than it, so
     * the ACK is a post-loss ACK (no sample), and the lower range is ACKed cumulatively. */
    assert_true(moore(&c, end, 135) == 1);
    assert_true(moore(&c, end, 137) == 1);
    assert_true(moore(&c, end, 113) == 1);
}

static void test_tcp_duplicate_acks_and_triple(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    feed(&c, A, pkt(T0 + 100 * MS, K, 1001, 5001, 1000, 100));
    /* The ACK at 150 ms samples 50 ms; three identical ACKs follow: duplicates 1, 2, 3. */
    for (uint64_t k = 0; k < 4; k++)
        feed(&c, B, pkt(T0 + (150 + 10 * k) * MS, K, 5001, 1101, 1000, 0));
    uint64_t end = T0 + 180 * MS;
    assert_true(moore(&c, end, 139) == 3);
    assert_true(moore(&c, end, 141) == 1);
    assert_true(moore(&c, end, 113) == 2); /* SYN and the data */
    assert_float_equal(moore(&c, end, 117), 50.0, 1e-9);
    assert_float_equal(moore(&c, end, 119), 30.0, 1e-9); /* (10 + 50) / 2 */
    /* A fifth ACK with a different window is not a duplicate. */
    feed(&c, B, pkt(T0 + 190 * MS, K, 5001, 1101, 900, 0));
    assert_true(moore(&c, T0 + 190 * MS, 139) == 3);
    assert_true(moore(&c, T0 + 190 * MS, 36) == 5); /* pure ACKs of b */
}

static void test_tcp_zero_window_probe(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    feed(&c, A, pkt(T0 + 100 * MS, K, 1001, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 150 * MS, K, 5001, 1101, 0, 0));    /* window closed */
    feed(&c, A, pkt(T0 + 400 * MS, K, 1101, 5001, 1000, 1)); /* probe */
    feed(&c, B, pkt(T0 + 450 * MS, K, 5001, 1101, 0, 0));
    uint64_t end = T0 + 450 * MS;
    assert_true(moore(&c, end, 53) == 1 && moore(&c, end, 55) == 1);
    assert_true(moore(&c, end, 92) == 2);   /* b advertised 0 twice */
    assert_true(moore(&c, end, 43) == 100); /* the probe byte is not unique data */
    assert_true(moore(&c, end, 49) == 0);
    /* min_win_adv ignores zeros: b's smallest non-zero window is 1000 */
    assert_true(moore(&c, end, 90) == 1000);
}

/* Options: MSS 1460, NOP, window scale @p ws, SACK permitted, NOP NOP: 12 bytes. */
static void syn_options(uint8_t *o, uint8_t ws)
{
    const uint8_t t[12] = {2, 4, 0x05, 0xb4, 1, 3, 3, ws, 4, 2, 1, 1};
    memcpy(o, t, sizeof t);
}

static void test_tcp_window_scaling_on(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    memset(&c, 0, sizeof c);
    uint8_t oa[12], ob[12];
    syn_options(oa, 7);
    syn_options(ob, 8);
    feed(&c, A, pkt_opt(T0, S, 1000, 0, 65535, 0, oa, 12));
    feed(&c, B, pkt_opt(T0 + 10 * MS, S | K, 5000, 1001, 65535, 0, ob, 12));
    feed(&c, A, pkt(T0 + 20 * MS, K, 1001, 5001, 100, 0)); /* 100 << 7 = 12800 */
    feed(&c, B, pkt(T0 + 30 * MS, K, 5001, 1001, 50, 0));  /* 50 << 8 = 12800 */
    feed(&c, A, pkt(T0 + 40 * MS, K, 1001, 5001, 200, 0)); /* 25600 */
    uint64_t end = T0 + 40 * MS;
    assert_true(moore(&c, end, 65) == 1 && moore(&c, end, 67) == 1); /* ws a_b, ws b_a */
    assert_true(moore(&c, end, 69) == 7 && moore(&c, end, 70) == 8);
    assert_true(moore(&c, end, 79) == 1460 && moore(&c, end, 71) == 1);
    /* a's statistics restart at its first scaled window: max 25600, min 12800, average over
     * the 2 packets since then: (12800 + 25600) / 2. */
    assert_true(moore(&c, end, 87) == 25600 && moore(&c, end, 89) == 12800);
    assert_float_equal(moore(&c, end, 93), 19200.0, 1e-9);
    assert_float_equal(moore(&c, end, 94), 12800.0, 1e-9);
}

static void test_tcp_window_scaling_off(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    memset(&c, 0, sizeof c);
    uint8_t oa[12];
    syn_options(oa, 7);
    feed(&c, A, pkt_opt(T0, S, 1000, 0, 65535, 0, oa, 12));
    feed(&c, B, pkt(T0 + 10 * MS, S | K, 5000, 1001, 8000, 0)); /* no options */
    feed(&c, A, pkt(T0 + 20 * MS, K, 1001, 5001, 100, 0));
    uint64_t end = T0 + 20 * MS;
    /* Asked by a only: not used; the shift reads 0 once a non-SYN packet is seen. */
    assert_true(moore(&c, end, 65) == 1 && moore(&c, end, 67) == 0);
    assert_true(moore(&c, end, 69) == 0 && moore(&c, end, 70) == 0);
    /* Unscaled: a's windows 65535 (SYN) and 100, average over its 2 packets. */
    assert_true(moore(&c, end, 87) == 65535 && moore(&c, end, 89) == 100);
    assert_float_equal(moore(&c, end, 93), (65535 + 100) / 2.0, 1e-9);
}

static void test_tcp_sack_and_dsack_blocks(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    /* NOP NOP SACK(10) [2001, 3001): above the ACK 1001, a plain SACK block. */
    const uint8_t s1[12] = {1, 1, 5, 10, 0, 0, 0x07, 0xd1, 0, 0, 0x0b, 0xb9};
    /* NOP NOP SACK(18) [501, 901) [2001, 3001): first block below the ACK: D-SACK. */
    const uint8_t s2[20] = {1,    1,    5, 18, 0,    0,    0x01, 0xf5, 0,    0,
                            0x03, 0x85, 0, 0,  0x07, 0xd1, 0,    0,    0x0b, 0xb9};
    feed(&c, B, pkt_opt(T0 + 40 * MS, K, 5001, 1001, 1000, 0, s1, 12));
    feed(&c, B, pkt_opt(T0 + 50 * MS, K, 5001, 1001, 1000, 0, s2, 20));
    uint64_t end = T0 + 50 * MS;
    assert_true(moore(&c, end, 38) == 2); /* sack_pkts_sent b_a */
    assert_true(moore(&c, end, 40) == 1); /* dsack_pkts_sent b_a */
    assert_true(moore(&c, end, 42) == 2); /* max blocks in one ACK */
    assert_true(moore(&c, end, 74) == 2); /* sacks_sent b_a */
    assert_true(moore(&c, end, 37) == 0);
}

static void test_tcp_stream_length_wraps(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    memset(&c, 0, sizeof c);
    /* ISN 0xffffff00; 0x100 bytes at 0xffffff01, 0x100 at 0x01 (wrapped), FIN at 0x101:
     * stream = 0x101 + 2^32 - 0xffffff00 - 1 = 0x200 = 512 bytes. */
    feed(&c, A, pkt(T0, S, 0xffffff00u, 0, 1000, 0));
    feed(&c, B, pkt(T0 + 1 * MS, S | K, 5000, 0xffffff01u, 1000, 0));
    feed(&c, A, pkt(T0 + 2 * MS, K, 0xffffff01u, 5001, 1000, 0x100));
    feed(&c, A, pkt(T0 + 3 * MS, K, 0x01, 5001, 1000, 0x100));
    feed(&c, B, pkt(T0 + 4 * MS, K, 5001, 0x101, 1000, 0));
    feed(&c, A, pkt(T0 + 5 * MS, K | F, 0x101, 5001, 1000, 0));
    feed(&c, B, pkt(T0 + 6 * MS, K | F, 5001, 0x102, 1000, 0));
    uint64_t end = T0 + 6 * MS;
    assert_true(moore(&c, end, 99) == 512);
    assert_true(moore(&c, end, 101) == 0); /* missed data: 512 - 512 unique */
    assert_true(moore(&c, end, 100) == 0); /* b: ISN 5000, FIN 5001: 0 bytes */
    assert_true(moore(&c, end, 49) == 0);
}

static void test_tcp_snaplen_truncation(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    struct fdxi_packet p = pkt(T0 + 100 * MS, K, 1001, 5001, 1000, 1000);
    p.payload_caplen = 100; /* snaplen cut 900 payload bytes */
    feed(&c, A, p);
    uint64_t end = T0 + 100 * MS;
    assert_true(moore(&c, end, 103) == 900 && moore(&c, end, 105) == 1);
    assert_true(moore(&c, end, 47) == 1000); /* lengths come from the IP header */
    assert_true(moore(&c, end, 104) == 0);
}

static void test_tcp_range_table_is_bounded(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    /* 100 segments of 10 bytes with a 10-byte hole after each, never ACKed: 100 ranges plus
     * the SYN's would be needed; the table keeps FDXI_TCP_SEGS and fuses the lowest. */
    for (uint32_t k = 0; k < 100; k++)
        feed(&c, A, pkt(T0 + (100 + k) * MS, K, 1001 + 20 * k, 5001, 1000, 10));
    assert_true(c.d[A].nsegs <= FDXI_TCP_SEGS);
    assert_true(c.d[A].seg_fused > 0);
    uint64_t end = T0 + 199 * MS;
    /* Counters that do not depend on the ranges stay exact. */
    assert_true(moore(&c, end, 45) == 100 && moore(&c, end, 47) == 1000);
    assert_true(moore(&c, end, 43) == 1000);
    /* The newest segment is still known: sending it again is a retransmission. */
    feed(&c, A, pkt(T0 + 300 * MS, K, 1001 + 20 * 99, 5001, 1000, 10));
    assert_true(moore(&c, T0 + 300 * MS, 49) == 1);
    assert_float_equal(moore(&c, T0 + 300 * MS, 145), 101.0, 1e-9); /* 300 - 199 ms */
#if defined(__x86_64__) && defined(__LP64__)
    /* The size doc/features/tcptrace.md reports. */
    assert_int_equal(sizeof(struct fdxi_tcp_conn), 4192);
#endif
}

/*
 * A hole the monitor never saw (a loss before it), followed by more segments than the range table
 * holds, then the segment that fills the hole: tcptrace, whose list is unbounded, calls that
 * segment new and out of order. The table must fuse ranges above the hole, not across it.
 */
static void test_tcp_hole_filled_after_full_table_is_out_of_order(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    /* [1001, 1101) at 100 ms, ACKed at 150 ms: with the SYN, one ACKed range [1000, 1100]. */
    feed(&c, A, pkt(T0 + 100 * MS, K, 1001, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 150 * MS, K, 5001, 1101, 1000, 0));
    /* [1101, 1201) is lost before the monitor; 70 segments of 100 bytes follow from 1201 at
     * 200 + k ms: 71 ranges, more than FDXI_TCP_SEGS. */
    for (uint32_t k = 0; k < 70; k++)
        feed(&c, A, pkt(T0 + (200 + k) * MS, K, 1201 + 100 * k, 5001, 1000, 100));
    assert_true(c.d[A].seg_fused > 0);
    /* The hole is filled at 300 ms, then everything is ACKed (1201 + 7000 = 8201) at 400 ms. */
    feed(&c, A, pkt(T0 + 300 * MS, K, 1101, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 400 * MS, K, 5001, 8201, 1000, 0));
    uint64_t end = T0 + 400 * MS;
    /* It starts and ends below the first range after the hole: out of order, not retransmitted;
     * 100 + 7,000 + 100 unique bytes, and stream lengths need a FIN. */
    assert_true(moore(&c, end, 57) == 1);
    assert_true(moore(&c, end, 49) == 0 && moore(&c, end, 51) == 0);
    assert_true(moore(&c, end, 43) == 7200);
    /* The ACK of 8201 covers the hole's range (cumulative, 1) and the 70 segments: 69 end below
     * the ACK (cumulative), the last ends at it but the hole's range before it was sent later
     * (300 > 269 ms): a post-loss ACK. Samples: the SYN's and [1001, 1101)'s (50 ms). */
    assert_true(moore(&c, end, 137) == 70);
    assert_true(moore(&c, end, 135) == 1);
    assert_true(moore(&c, end, 113) == 2);
    assert_float_equal(moore(&c, end, 117), 50.0, 1e-9);
}

/*
 * Fused un-ACKed ranges answer an ACK as tcptrace's separate segments would: the ones below the
 * ACK's end are ACKed cumulatively, the last gives the sample, and its size (not the fused
 * range's) decides the full-size samples.
 */
static void test_tcp_fused_ranges_ack_like_segments(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    memset(&c, 0, sizeof c);
    /* No handshake (so no one-byte SYN range outranks the data): 70 segments of 100 bytes from
     * 1001 at 100 + k ms, then one ACK of all of them (8001) at 500 ms. */
    for (uint32_t k = 0; k < 70; k++)
        feed(&c, A, pkt(T0 + (100 + k) * MS, K, 1001 + 100 * k, 5001, 1000, 100));
    assert_true(c.d[A].seg_fused > 0);
    feed(&c, B, pkt(T0 + 500 * MS, K, 5001, 8001, 1000, 0));
    /* tcptrace: 69 cumulative ACKs and one sample of the last segment, 500 - 169 = 331 ms. */
    uint64_t end = T0 + 500 * MS;
    assert_true(moore(&c, end, 137) == 69);
    assert_true(moore(&c, end, 113) == 1);
    assert_float_equal(moore(&c, end, 117), 331.0, 1e-9);
    /* One more 100-byte segment at 600 ms, ACKed at 650 ms: a 50 ms sample of the same size as
     * the last one, so both are full-size samples (a fused size of 200+ would have left 1). */
    feed(&c, A, pkt(T0 + 600 * MS, K, 8001, 5001, 1000, 100));
    feed(&c, B, pkt(T0 + 650 * MS, K, 5001, 8101, 1000, 0));
    end = T0 + 650 * MS;
    assert_true(moore(&c, end, 113) == 2);
    assert_true(moore(&c, end, 125) == 2);
    assert_float_equal(moore(&c, end, 127), 50.0, 1e-9);
    assert_float_equal(moore(&c, end, 129), 331.0, 1e-9);
}

/*
 * A FIN with data, then a RST at the data's first sequence number (seen in the SMTP lab: the
 * server's "221" and FIN, then a RST for the client's late QUIT): after a RST the stream ends at
 * the last segment's end, the RST's sequence number, so the stream is 24 bytes shorter than the
 * unique bytes. tcptrace prints 2^64 - 24; flowdx -24 (doc: deliberate differences).
 */
static void test_tcp_reset_below_data_gives_negative_missed_data(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    feed(&c, B, pkt(T0 + 100 * MS, F | P | K, 5001, 1001, 1000, 24));
    feed(&c, B, pkt(T0 + 150 * MS, R, 5001, 0, 0, 0));
    uint64_t end = T0 + 150 * MS;
    assert_true(moore(&c, end, 44) == 24);   /* unique bytes b_a */
    assert_true(moore(&c, end, 100) == 0);   /* stream: 5001 - 5000 - 1 */
    assert_true(moore(&c, end, 102) == -24); /* missed data b_a */
}

/*
 * Data time (107, 108) is the last payload packet's time minus the first's, signed as tcptrace's
 * elapsed(): a capture whose timestamps go back (the second payload packet stamped 50 ms before
 * the first) gives 150 ms - 200 ms = -0.05 s, not the unsigned difference's 1.8e13 s.
 */
static void test_tcp_data_time_is_signed_when_timestamps_go_back(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    feed(&c, A, pkt(T0 + 200 * MS, P | K, 1001, 5001, 1000, 100));
    feed(&c, A, pkt(T0 + 150 * MS, P | K, 1101, 5001, 1000, 100));
    uint64_t end = T0 + 200 * MS;
    assert_true(moore(&c, end, 45) == 2); /* both are payload packets of a_b */
    assert_float_equal(moore(&c, end, 107), -0.05, 1e-9);
    assert_true(moore(&c, end, 108) == 0); /* b_a sent no payload */
}

/*
 * Urgent data (75-78): tcptrace counts the payload packets with URG and sums their urgent
 * pointers, 300 + 20 here; a pure ACK with URG is not a payload packet.
 */
static void test_tcp_urgent_pointers_are_summed(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    struct fdxi_packet p = pkt(T0 + 100 * MS, FDXI_TCP_URG | K, 1001, 5001, 1000, 500);
    p.tcp_urgent = 300;
    feed(&c, A, p);
    p = pkt(T0 + 110 * MS, FDXI_TCP_URG | K, 1501, 5001, 1000, 100);
    p.tcp_urgent = 20;
    feed(&c, A, p);
    p = pkt(T0 + 120 * MS, FDXI_TCP_URG | K, 5001, 1601, 1000, 0);
    p.tcp_urgent = 7;
    feed(&c, B, p);
    uint64_t end = T0 + 120 * MS;
    assert_true(moore(&c, end, 75) == 2 && moore(&c, end, 76) == 0);
    assert_true(moore(&c, end, 77) == 320 && moore(&c, end, 78) == 0);
}

static void test_tcp_reset_skips_window_statistics(void **state)
{
    (void)state;
    struct fdxi_tcp_conn c;
    handshake(&c);
    feed(&c, B, pkt(T0 + 50 * MS, R | K, 5001, 1001, 0, 0));
    uint64_t end = T0 + 50 * MS;
    assert_true(moore(&c, end, 32) == 2 && moore(&c, end, 34) == 2); /* counted, ACK too */
    assert_true(moore(&c, end, 92) == 0); /* its window 0 is not a zero-window advertisement */
    assert_true(moore(&c, end, 36) == 0); /* nor a pure ACK */
    assert_true(moore(&c, end, 90) == 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_fresh_connection_is_all_zero),
        cmocka_unit_test(test_tcp_handshake_rtt),
        cmocka_unit_test(test_tcp_retransmission_gives_no_rtt_sample),
        cmocka_unit_test(test_tcp_out_of_order_segment),
        cmocka_unit_test(test_tcp_duplicate_acks_and_triple),
        cmocka_unit_test(test_tcp_zero_window_probe),
        cmocka_unit_test(test_tcp_window_scaling_on),
        cmocka_unit_test(test_tcp_window_scaling_off),
        cmocka_unit_test(test_tcp_sack_and_dsack_blocks),
        cmocka_unit_test(test_tcp_stream_length_wraps),
        cmocka_unit_test(test_tcp_snaplen_truncation),
        cmocka_unit_test(test_tcp_range_table_is_bounded),
        cmocka_unit_test(test_tcp_reset_skips_window_statistics),
        cmocka_unit_test(test_tcp_hole_filled_after_full_table_is_out_of_order),
        cmocka_unit_test(test_tcp_fused_ranges_ack_like_segments),
        cmocka_unit_test(test_tcp_reset_below_data_gives_negative_missed_data),
        cmocka_unit_test(test_tcp_data_time_is_signed_when_timestamps_go_back),
        cmocka_unit_test(test_tcp_urgent_pointers_are_summed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
