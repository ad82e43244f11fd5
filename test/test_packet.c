/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the packet decoder on frames built byte by byte in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "packet/packet.h"

/*
 * Link types by their libpcap LINKTYPE_ numbers (tcpdump.org/linktypes.html), written out here
 * rather than taken from <pcap/dlt.h>, whose DLT_RAW and DLT_LOOP differ between platforms.
 */
enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_RAW = 12,
    LT_RAW101 = 101,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_LINUX_SLL2 = 276,
};

#define TS_US UINT64_C(1700000000123456)

/* Header values every builder writes, so that tests can state them. */
#define V4_TOS 0x28
#define V4_TTL 64
#define V4_ID 0x1c46
#define V6_TCLASS 0xb8
#define V6_FLOW 0x12345
#define V6_HLIM 57

static const uint8_t V4_SRC[4] = {192, 0, 2, 1};
static const uint8_t V4_DST[4] = {198, 51, 100, 2};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

/* ---- Builders: each writes one header in network byte order and returns its size. ---- */

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static size_t put_eth(uint8_t *b, uint16_t ethertype)
{
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};

    memcpy(b, macs, sizeof macs);
    put16(b + 12, ethertype);
    return 14;
}

/* One VLAN tag after its TPID: the tag control information and the next ethertype. */
static size_t put_tag(uint8_t *b, uint16_t tci, uint16_t next)
{
    put16(b, tci);
    put16(b + 2, next);
    return 4;
}

struct v4 {
    uint8_t ihl;        /* header length in 32-bit words; 0 means 5 */
    uint16_t total_len; /* total length field */
    uint16_t frag;      /* flags (DF 0x4000, MF 0x2000) and offset in 8-byte units */
    uint8_t proto;
    const uint8_t *src; /* NULL means V4_SRC */
};

static size_t put_ipv4(uint8_t *b, struct v4 h)
{
    size_t n = (size_t)(h.ihl ? h.ihl : 5) * 4;

    b[0] = (uint8_t)(0x40 | n / 4);
    b[1] = V4_TOS;
    put16(b + 2, h.total_len);
    put16(b + 4, V4_ID);
    put16(b + 6, h.frag);
    b[8] = V4_TTL;
    b[9] = h.proto;
    put16(b + 10, 0);
    memcpy(b + 12, h.src ? h.src : V4_SRC, 4);
    memcpy(b + 16, V4_DST, 4);
    memset(b + 20, 0x01, n - 20); /* options: NOPs */
    return n;
}

static size_t put_ipv6(uint8_t *b, uint16_t payload_len, uint8_t next)
{
    put32(b, UINT32_C(0x60000000) | (uint32_t)V6_TCLASS << 20 | V6_FLOW);
    put16(b + 4, payload_len);
    b[6] = next;
    b[7] = V6_HLIM;
    memcpy(b + 8, V6_SRC, 16);
    memcpy(b + 24, V6_DST, 16);
    return 40;
}

/* Hop-by-hop, routing or destination options header of (hdr_ext_len + 1) * 8 bytes. */
static size_t put_ext(uint8_t *b, uint8_t next, uint8_t hdr_ext_len)
{
    size_t n = ((size_t)hdr_ext_len + 1) * 8;

    memset(b, 0, n); /* options: Pad1; routing: type 0, segments left 0 */
    b[0] = next;
    b[1] = hdr_ext_len;
    return n;
}

static size_t put_frag6(uint8_t *b, uint8_t next, uint16_t offset_units, bool more, uint32_t id)
{
    b[0] = next;
    b[1] = 0;
    put16(b + 2, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
    put32(b + 4, id);
    return 8;
}

/* Authentication header of (payload_len + 2) * 4 bytes. */
static size_t put_ah(uint8_t *b, uint8_t next, uint8_t payload_len)
{
    size_t n = ((size_t)payload_len + 2) * 4;

    memset(b, 0x5a, n);
    b[0] = next;
    b[1] = payload_len;
    put16(b + 2, 0);
    return n;
}

struct tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t doff; /* data offset in 32-bit words; 0 means 5 */
    uint8_t flags;
    uint16_t window;
};

/* TCP header with NOP options up to the data offset. */
static size_t put_tcp(uint8_t *b, struct tcp t)
{
    size_t n = (size_t)(t.doff ? t.doff : 5) * 4;

    put16(b, t.sport);
    put16(b + 2, t.dport);
    put32(b + 4, t.seq);
    put32(b + 8, t.ack);
    b[12] = (uint8_t)(n / 4 << 4);
    b[13] = t.flags;
    put16(b + 14, t.window);
    put16(b + 16, 0);
    put16(b + 18, 0);
    if (n > 20)
        memset(b + 20, 0x01, n - 20);
    return n;
}

static size_t put_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint16_t len)
{
    put16(b, sport);
    put16(b + 2, dport);
    put16(b + 4, len);
    put16(b + 6, 0);
    return 8;
}

/* ICMP or ICMPv6 header: type, code, checksum and the 4-byte rest of header. */
static size_t put_icmp(uint8_t *b, uint8_t type, uint8_t code, uint32_t rest)
{
    b[0] = type;
    b[1] = code;
    put16(b + 2, 0);
    put32(b + 4, rest);
    return 8;
}

static size_t put_bytes(uint8_t *b, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(first + i);
    return n;
}

/* IPv4 + UDP 40000 -> 53 + 4 payload bytes: total length 20 + 8 + 4 = 32. */
static size_t put_v4_udp(uint8_t *b)
{
    size_t n = put_ipv4(b, (struct v4){.total_len = 32, .proto = 17});

    n += put_udp(b + n, 40000, 53, 12);
    return n + put_bytes(b + n, 4, 0xd0);
}

/* IPv6 + UDP 40000 -> 53 + 4 payload bytes: payload length 8 + 4 = 12, 52 bytes in all. */
static size_t put_v6_udp(uint8_t *b)
{
    size_t n = put_ipv6(b, 12, 17);

    n += put_udp(b + n, 40000, 53, 12);
    return n + put_bytes(b + n, 4, 0xd0);
}

/* IPv4 + TCP 51234 -> 443, ACK, no options, no payload: total length 40. */
static size_t put_v4_tcp(uint8_t *b)
{
    size_t n = put_ipv4(b, (struct v4){.total_len = 40, .proto = 6});

    return n + put_tcp(b + n, (struct tcp){.sport = 51234,
                                           .dport = 443,
                                           .seq = 1000,
                                           .ack = 2000,
                                           .flags = 0x10,
                                           .window = 502});
}

/* ---- Decoding under ASan: the decoder sees an exact-size heap copy of the capture. ---- */

struct dec {
    enum fdxi_decode_result res;
    struct fdxi_packet p; /* pointer members cleared: the copy they pointed into is freed */
    long options_at;      /* p.tcp_options - copy: -1 if NULL, -2 if outside the capture */
    long payload_at;      /* p.payload - copy, likewise */
};

static long offset_in(const uint8_t *base, uint32_t caplen, const uint8_t *p)
{
    uintptr_t b = (uintptr_t)base;
    uintptr_t q = (uintptr_t)p;

    if (p == NULL)
        return -1;
    if (q < b || q > b + caplen)
        return -2;
    return (long)(q - b);
}

/* What the contract promises for every OK packet, whatever its kind. */
static void check_invariants(const struct dec *d, uint32_t caplen, uint32_t wirelen)
{
    assert_int_equal(d->p.ts_us, TS_US);
    assert_int_equal(d->p.caplen, caplen);
    assert_int_equal(d->p.wirelen, wirelen);
    if (!d->p.has_ports) {
        assert_int_equal(d->p.sport, 0);
        assert_int_equal(d->p.dport, 0);
        return;
    }
    assert_true(d->p.payload_caplen <= d->p.payload_bytes);
    if (d->p.payload_caplen > 0) {
        assert_true(d->payload_at >= 0);
        assert_true((uint64_t)d->payload_at + d->p.payload_caplen <= caplen);
    }
    if (d->p.proto == FDXI_PROTO_TCP && d->p.tcp_options_caplen > 0) {
        assert_true(d->p.tcp_options_caplen <= d->p.tcp_hdr_bytes - 20);
        assert_true(d->options_at >= 0);
        assert_true((uint64_t)d->options_at + d->p.tcp_options_caplen <= caplen);
    }
}

static struct dec decode_cut(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
    struct dec d;
    uint8_t *copy = malloc(caplen);

    assert_true(caplen == 0 || copy != NULL);
    if (caplen > 0)
        memcpy(copy, frame, caplen);
    /* A field the decoder forgets to set keeps this pattern and fails the checks. */
    memset(&d.p, 0xa5, sizeof d.p);
    d.res = fdxi_packet_decode(linktype, TS_US, copy, caplen, wirelen, &d.p);
    d.options_at = offset_in(copy, caplen, d.p.tcp_options);
    d.payload_at = offset_in(copy, caplen, d.p.payload);
    d.p.tcp_options = NULL;
    d.p.payload = NULL;
    free(copy);
    if (d.res == FDXI_DEC_OK)
        check_invariants(&d, caplen, wirelen);
    return d;
}

static struct dec decode(int linktype, const uint8_t *frame, size_t len)
{
    return decode_cut(linktype, frame, (uint32_t)len, (uint32_t)len);
}

static void expect_result(enum fdxi_decode_result got, enum fdxi_decode_result want,
                          uint32_t caplen)
{
    if (got != want) {
        print_error("caplen %u: result %d, expected %d\n", (unsigned)caplen, (int)got, (int)want);
        fail();
    }
}

/* Decode with caplen 0..len (wirelen len): TRUNCATED below first_ok, OK from there on. */
static void check_truncation(int linktype, const uint8_t *frame, size_t len, size_t first_ok)
{
    for (uint32_t c = 0; c <= len; c++) {
        struct dec d = decode_cut(linktype, frame, c, (uint32_t)len);

        expect_result(d.res, c < first_ok ? FDXI_DEC_TRUNCATED : FDXI_DEC_OK, c);
    }
}

static void check_v4_addrs(const struct fdxi_packet *p, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t zero[12];

    assert_memory_equal(p->src, src, 4);
    assert_memory_equal(p->dst, dst, 4);
    assert_memory_equal(p->src + 4, zero, 12);
    assert_memory_equal(p->dst + 4, zero, 12);
}

static void check_v6_addrs(const struct fdxi_packet *p)
{
    assert_memory_equal(p->src, V6_SRC, 16);
    assert_memory_equal(p->dst, V6_DST, 16);
}

/* The frame of put_v4_udp() after a link header of link_bytes. */
static void check_v4_udp(const struct dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 4);
    assert_int_equal(d->p.proto, FDXI_PROTO_UDP);
    check_v4_addrs(&d->p, V4_SRC, V4_DST);
    assert_int_equal(d->p.ip_len, 32);
    assert_int_equal(d->p.ip_hdr_bytes, 20);
    assert_int_equal(d->p.ttl, V4_TTL);
    assert_int_equal(d->p.tos, V4_TOS);
    assert_true(d->p.has_ports);
    assert_false(d->p.is_fragment);
    assert_int_equal(d->p.sport, 40000);
    assert_int_equal(d->p.dport, 53);
    assert_int_equal(d->p.payload_bytes, 4); /* 32 - 20 - 8 */
    assert_int_equal(d->p.payload_caplen, 4);
    assert_int_equal(d->payload_at, link_bytes + 28);
}

/* The frame of put_v6_udp() after a link header of link_bytes. */
static void check_v6_udp(const struct dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 6);
    assert_int_equal(d->p.proto, FDXI_PROTO_UDP);
    check_v6_addrs(&d->p);
    assert_int_equal(d->p.ip_len, 52); /* 40 + 12 */
    assert_int_equal(d->p.ip_hdr_bytes, 40);
    assert_int_equal(d->p.ttl, V6_HLIM);
    assert_int_equal(d->p.tos, V6_TCLASS);
    assert_true(d->p.has_ports);
    assert_false(d->p.is_fragment);
    assert_int_equal(d->p.sport, 40000);
    assert_int_equal(d->p.dport, 53);
    assert_int_equal(d->p.payload_bytes, 4); /* 52 - 40 - 8 */
    assert_int_equal(d->p.payload_caplen, 4);
    assert_int_equal(d->payload_at, link_bytes + 48);
}

/* The frame of put_v4_tcp() after a link header of link_bytes. */
static void check_v4_tcp(const struct dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 4);
    assert_int_equal(d->p.proto, FDXI_PROTO_TCP);
    check_v4_addrs(&d->p, V4_SRC, V4_DST);
    assert_int_equal(d->p.ip_len, 40);
    assert_int_equal(d->p.ip_hdr_bytes, 20);
    assert_true(d->p.has_ports);
    assert_int_equal(d->p.sport, 51234);
    assert_int_equal(d->p.dport, 443);
    assert_int_equal(d->p.tcp_seq, 1000);
    assert_int_equal(d->p.tcp_ack, 2000);
    assert_int_equal(d->p.tcp_flags, 0x10);
    assert_int_equal(d->p.tcp_hdr_bytes, 20);
    assert_int_equal(d->p.payload_bytes, 0);
}

/* ---- Ethernet, IPv4, TCP ---- */

static void test_packet_ethernet_ipv4_tcp_syn_with_options(void **state)
{
    /*
     * Linux's SYN options: MSS 1460 (02 04 05 b4), SACK permitted (04 02), timestamps
     * (08 0a, TSval 0x11223344, TSecr 0), NOP (01), window scale 7 (03 03 07):
     * 4 + 2 + 10 + 1 + 3 = 20 bytes.
     */
    static const uint8_t opts[20] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
                                     0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
    uint8_t f[74];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* Total length 60 = 20 IPv4 + 20 TCP + 20 options; 0x4000 is DF alone: no fragment. */
    n += put_ipv4(f + n, (struct v4){.total_len = 60, .frag = 0x4000, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 51234,
                                     .dport = 443,
                                     .seq = 0x01020304,
                                     .doff = 10,
                                     .flags = 0xc2, /* SYN ECE CWR: an ECN-setup SYN */
                                     .window = 64240});
    memcpy(f + 54, opts, sizeof opts); /* 54 = 14 + 20 + 20 */
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ts_us, TS_US);
    assert_int_equal(d.p.caplen, 74);
    assert_int_equal(d.p.wirelen, 74);
    assert_int_equal(d.p.link_hdr_bytes, 14);
    assert_int_equal(d.p.ip_version, 4);
    assert_int_equal(d.p.proto, 6);
    check_v4_addrs(&d.p, V4_SRC, V4_DST);
    assert_int_equal(d.p.ip_len, 60);
    assert_int_equal(d.p.ip_hdr_bytes, 20);
    assert_int_equal(d.p.ttl, 64);
    assert_int_equal(d.p.tos, 0x28);
    assert_true(d.p.has_ports);
    assert_false(d.p.is_fragment);
    assert_false(d.p.first_fragment);
    assert_false(d.p.icmp_error);
    assert_int_equal(d.p.sport, 51234);
    assert_int_equal(d.p.dport, 443);
    assert_int_equal(d.p.frag_id, 0x1c46);
    assert_int_equal(d.p.frag_offset_bytes, 0);
    assert_int_equal(d.p.tcp_flags, 0xc2);
    assert_int_equal(d.p.tcp_flags, FDXI_TCP_SYN | FDXI_TCP_ECE | FDXI_TCP_CWR);
    assert_int_equal(d.p.tcp_window, 64240);
    assert_int_equal(d.p.tcp_seq, 0x01020304);
    assert_int_equal(d.p.tcp_ack, 0);
    assert_int_equal(d.p.tcp_hdr_bytes, 40);
    assert_int_equal(d.options_at, 54);
    assert_int_equal(d.p.tcp_options_caplen, 20);
    assert_int_equal(d.p.payload_bytes, 0); /* 60 - 20 - 40 */
    assert_int_equal(d.p.payload_caplen, 0);
}

static void test_packet_ethernet_padding_is_not_payload(void **state)
{
    uint8_t f[60];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* A 40-byte ACK (20 IPv4 + 20 TCP) needs 54 bytes of frame; 6 bytes pad it to 60. */
    n += put_ipv4(f + n, (struct v4){.total_len = 40, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 443,
                                     .dport = 51234,
                                     .seq = 0xfedcba98,
                                     .ack = 0x0a0b0c0d,
                                     .flags = 0x10, /* ACK */
                                     .window = 502});
    memset(f + n, 0xff, sizeof f - n);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 40);
    assert_int_equal(d.p.sport, 443);
    assert_int_equal(d.p.dport, 51234);
    assert_int_equal(d.p.tcp_seq, 0xfedcba98);
    assert_int_equal(d.p.tcp_ack, 0x0a0b0c0d);
    assert_int_equal(d.p.tcp_flags, FDXI_TCP_ACK);
    assert_int_equal(d.p.tcp_window, 502);
    assert_int_equal(d.p.tcp_hdr_bytes, 20);
    assert_int_equal(d.p.tcp_options_caplen, 0);
    assert_int_equal(d.p.payload_bytes, 0);
    assert_int_equal(d.p.payload_caplen, 0);
}

static void test_packet_ethernet_padding_after_short_payload(void **state)
{
    uint8_t f[60];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 20 TCP + 2 payload = 42: the frame holds 14 + 42 = 56 bytes and 4 of padding. */
    n += put_ipv4(f + n, (struct v4){.total_len = 42, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 443, .dport = 51234, .flags = 0x18});
    n += put_bytes(f + n, 2, 0x41);
    memset(f + n, 0xff, sizeof f - n);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 42);
    assert_int_equal(d.p.payload_bytes, 2);
    assert_int_equal(d.p.payload_caplen, 2);
    assert_int_equal(d.payload_at, 54); /* 14 + 20 + 20 */
}

/* ---- VLAN, MPLS, PPPoE ---- */

static void test_packet_vlan_8021q(void **state)
{
    uint8_t f[58];
    size_t n = put_eth(f, 0x8100);

    (void)state;
    n += put_tag(f + n, 100, 0x0800);
    n += put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 4 + 40 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    check_v4_tcp(&d, 18); /* 14 + one 4-byte tag */
}

static void test_packet_vlan_qinq_88a8_8100(void **state)
{
    uint8_t f[74];
    size_t n = put_eth(f, 0x88a8);

    (void)state;
    n += put_tag(f + n, 200, 0x8100);
    n += put_tag(f + n, 100, 0x86dd);
    n += put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 52 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    check_v6_udp(&d, 22); /* 14 + two 4-byte tags */
}

static void test_packet_vlan_qinq_9100_8100(void **state)
{
    uint8_t f[62];
    size_t n = put_eth(f, 0x9100);

    (void)state;
    n += put_tag(f + n, 300, 0x8100);
    n += put_tag(f + n, 100, 0x0800);
    n += put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 40 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    check_v4_tcp(&d, 22);
}

static void test_packet_vlan_eight_tags_accepted_nine_not(void **state)
{
    uint8_t f[14 + 9 * 4 + 32];

    (void)state;
    for (unsigned tags = 8; tags <= 9; tags++) {
        size_t n = put_eth(f, 0x8100);

        for (unsigned i = 0; i < tags; i++)
            n += put_tag(f + n, (uint16_t)(i + 1), i + 1 < tags ? 0x8100 : 0x0800);
        n += put_v4_udp(f + n);

        struct dec d = decode(LT_EN10MB, f, n);

        if (tags == 8)
            check_v4_udp(&d, 46); /* 14 + 8 * 4 */
        else
            assert_int_not_equal(d.res, FDXI_DEC_OK);
    }
}

static void test_packet_mpls_two_labels_ipv4(void **state)
{
    uint8_t f[62];
    size_t n = put_eth(f, 0x8847);

    (void)state;
    /* Label entry: label << 12 | TC << 9 | S << 8 | TTL. Label 16 TTL 64, then label 17 with S. */
    put32(f + n, 16u << 12 | 64);
    put32(f + n + 4, 17u << 12 | 1u << 8 | 64);
    n += 8;
    n += put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 40 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    check_v4_tcp(&d, 22);
}

static void test_packet_mpls_three_labels_ipv6(void **state)
{
    uint8_t f[78];
    size_t n = put_eth(f, 0x8847);

    (void)state;
    put32(f + n, 16u << 12 | 64);
    put32(f + n + 4, 17u << 12 | 64);
    put32(f + n + 8, 18u << 12 | 1u << 8 | 64);
    n += 12;
    n += put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 12 + 52 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    check_v6_udp(&d, 26);
}

/* PPPoE session header (ver/type 0x11, code 0, session 0x1234, length) and PPP protocol. */
static size_t put_pppoe(uint8_t *b, uint16_t ppp_proto, uint16_t ip_len)
{
    b[0] = 0x11;
    b[1] = 0x00;
    put16(b + 2, 0x1234);
    put16(b + 4, (uint16_t)(2 + ip_len)); /* the PPP protocol field counts */
    put16(b + 6, ppp_proto);
    return 8;
}

static void test_packet_pppoe_ipv4_and_ipv6(void **state)
{
    uint8_t f[74];
    size_t n = put_eth(f, 0x8864);

    (void)state;
    n += put_pppoe(f + n, 0x0021, 32);
    n += put_v4_udp(f + n);

    struct dec d = decode(LT_EN10MB, f, n);

    check_v4_udp(&d, 22); /* 14 + 6 + 2 */

    n = put_eth(f, 0x8864);
    n += put_pppoe(f + n, 0x0057, 52);
    n += put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 52 */
    d = decode(LT_EN10MB, f, n);
    check_v6_udp(&d, 22);
}

static void test_packet_pppoe_lcp_is_non_ip(void **state)
{
    uint8_t f[60];
    size_t n = put_eth(f, 0x8864);

    (void)state;
    n += put_pppoe(f + n, 0xc021, 4);
    memset(f + n, 0, sizeof f - n);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_NON_IP);
}

/* ---- Other link types ---- */

static void test_packet_linux_sll(void **state)
{
    /* Packet type 0 (to us), ARPHRD_ETHER 1, address length 6, 8 address bytes, protocol. */
    static const uint8_t sll[16] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00,
                                    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x08, 0x00};
    uint8_t f[48];

    (void)state;
    memcpy(f, sll, sizeof sll);
    assert_int_equal(16 + put_v4_udp(f + 16), sizeof f);

    struct dec d = decode(LT_LINUX_SLL, f, sizeof f);

    check_v4_udp(&d, 16);

    /* The same header carrying IPv6: protocol 0x86dd in bytes 14-15. */
    uint8_t f6[68];

    memcpy(f6, sll, sizeof sll);
    put16(f6 + 14, 0x86dd);
    assert_int_equal(16 + put_v6_udp(f6 + 16), sizeof f6);
    d = decode(LT_LINUX_SLL, f6, sizeof f6);
    check_v6_udp(&d, 16);
}

static void test_packet_linux_sll2(void **state)
{
    /* Protocol, reserved, interface index 2, ARPHRD_ETHER, packet type 0, address length 6,
     * 8 address bytes: 2 + 2 + 4 + 2 + 1 + 1 + 8 = 20. */
    static const uint8_t sll2[20] = {0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,
                                     0x00, 0x06, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
    uint8_t f[72];

    (void)state;
    memcpy(f, sll2, sizeof sll2);
    assert_int_equal(20 + put_v6_udp(f + 20), sizeof f);

    struct dec d = decode(LT_LINUX_SLL2, f, sizeof f);

    check_v6_udp(&d, 20);

    put16(f, 0x0800);
    assert_int_equal(20 + put_v4_udp(f + 20), 52);
    d = decode(LT_LINUX_SLL2, f, 52);
    check_v4_udp(&d, 20);
}

static void test_packet_sll_arp_is_non_ip(void **state)
{
    uint8_t f[48];

    (void)state;
    memset(f, 0, sizeof f);
    put16(f + 2, 1);
    put16(f + 14, 0x0806); /* SLL v1 protocol */
    assert_int_equal(decode(LT_LINUX_SLL, f, sizeof f).res, FDXI_DEC_NON_IP);

    memset(f, 0, sizeof f);
    put16(f, 0x0806); /* SLL v2 protocol */
    assert_int_equal(decode(LT_LINUX_SLL2, f, sizeof f).res, FDXI_DEC_NON_IP);
}

static void test_packet_raw_ip(void **state)
{
    static const int raw_types[] = {LT_RAW, LT_RAW101};
    uint8_t f[52];

    (void)state;
    for (size_t i = 0; i < sizeof raw_types / sizeof raw_types[0]; i++) {
        size_t n = put_v4_udp(f);
        struct dec d = decode(raw_types[i], f, n);

        check_v4_udp(&d, 0);
        n = put_v6_udp(f);
        d = decode(raw_types[i], f, n);
        check_v6_udp(&d, 0);
    }
}

static void test_packet_dlt_ipv4_and_ipv6(void **state)
{
    uint8_t f[52];

    (void)state;
    size_t n = put_v4_udp(f);
    struct dec d = decode(LT_IPV4, f, n);

    check_v4_udp(&d, 0);
    n = put_v6_udp(f);
    d = decode(LT_IPV6, f, n);
    check_v6_udp(&d, 0);
}

static size_t put_family(uint8_t *b, uint32_t family, bool big_endian)
{
    if (big_endian) {
        put32(b, family);
    } else {
        b[0] = (uint8_t)family;
        b[1] = (uint8_t)(family >> 8);
        b[2] = (uint8_t)(family >> 16);
        b[3] = (uint8_t)(family >> 24);
    }
    return 4;
}

static void test_packet_null_both_byte_orders(void **state)
{
    /* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
     * 30 (macOS). */
    static const uint32_t v6_families[] = {10, 24, 28, 30};
    uint8_t f[56];

    (void)state;
    for (int be = 0; be <= 1; be++) {
        size_t n = put_family(f, 2, be);

        n += put_v4_udp(f + n);

        struct dec d = decode(LT_NULL, f, n);

        check_v4_udp(&d, 4);
        for (size_t i = 0; i < sizeof v6_families / sizeof v6_families[0]; i++) {
            n = put_family(f, v6_families[i], be);
            n += put_v6_udp(f + n);
            d = decode(LT_NULL, f, n);
            check_v6_udp(&d, 4);
        }
    }
}

static void test_packet_null_unknown_family_is_non_ip(void **state)
{
    uint8_t f[36];

    (void)state;
    for (int be = 0; be <= 1; be++) {
        /* 7 is AF_ISO on BSD, not IP. */
        size_t n = put_family(f, 7, be);

        n += put_v4_udp(f + n);
        assert_int_equal(decode(LT_NULL, f, n).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_loop_big_endian(void **state)
{
    uint8_t f[56];

    (void)state;
    size_t n = put_family(f, 2, true);

    n += put_v4_udp(f + n);

    struct dec d = decode(LT_LOOP, f, n);

    check_v4_udp(&d, 4);

    n = put_family(f, 30, true);
    n += put_v6_udp(f + n);
    d = decode(LT_LOOP, f, n);
    check_v6_udp(&d, 4);

    /* DLT_LOOP is big-endian only: 02 00 00 00 reads as 0x02000000, no address family. */
    n = put_family(f, 2, false);
    n += put_v4_udp(f + n);
    assert_int_equal(decode(LT_LOOP, f, n).res, FDXI_DEC_NON_IP);
}

/* ---- IPv4 options and fragments ---- */

static void test_packet_ipv4_options_ihl_6_to_15(void **state)
{
    uint8_t f[14 + 60 + 20 + 3];

    (void)state;
    for (uint8_t ihl = 6; ihl <= 15; ihl++) {
        size_t n = put_eth(f, 0x0800);

        /* total length = IHL * 4 + 20 TCP + 3 payload */
        n += put_ipv4(f + n,
                      (struct v4){.ihl = ihl, .total_len = (uint16_t)(ihl * 4 + 23), .proto = 6});
        n += put_tcp(f + n, (struct tcp){.sport = 1111, .dport = 2222, .flags = 0x18});
        n += put_bytes(f + n, 3, 0x61);

        struct dec d = decode(LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.ip_hdr_bytes, ihl * 4);
        assert_int_equal(d.p.ip_len, ihl * 4 + 23);
        assert_int_equal(d.p.proto, 6);
        check_v4_addrs(&d.p, V4_SRC, V4_DST);
        assert_int_equal(d.p.sport, 1111);
        assert_int_equal(d.p.dport, 2222);
        assert_int_equal(d.p.tcp_flags, 0x18);
        assert_int_equal(d.p.tcp_hdr_bytes, 20);
        assert_int_equal(d.p.payload_bytes, 3);
        assert_int_equal(d.p.payload_caplen, 3);
        assert_int_equal(d.payload_at, 14 + ihl * 4 + 20);
    }
}

static void test_packet_ipv4_first_fragment(void **state)
{
    uint8_t f[74];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* MF (0x2000), offset 0; 20 IPv4 + 8 UDP + 32 data = 60, the UDP length covers the whole
     * datagram (8 + 1472) but only this fragment's 32 bytes count. */
    n += put_ipv4(f + n, (struct v4){.total_len = 60, .frag = 0x2000, .proto = 17});
    n += put_udp(f + n, 5000, 6000, 8 + 1472);
    n += put_bytes(f + n, 32, 0);
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_true(d.p.is_fragment);
    assert_true(d.p.first_fragment);
    assert_int_equal(d.p.frag_id, V4_ID);
    assert_int_equal(d.p.frag_offset_bytes, 0);
    assert_true(d.p.has_ports);
    assert_int_equal(d.p.sport, 5000);
    assert_int_equal(d.p.dport, 6000);
    assert_int_equal(d.p.proto, 17);
    assert_int_equal(d.p.payload_bytes, 32); /* 60 - 20 - 8 */
    assert_int_equal(d.p.payload_caplen, 32);
    assert_int_equal(d.payload_at, 42);
}

static void test_packet_ipv4_non_first_fragment(void **state)
{
    /* Last fragment: offset 185 units = 1480 bytes, MF clear (0x00b9); middle fragment: MF set
     * (0x20b9). The data starts with bytes that would read as ports 0x1234 -> 0x5678. */
    static const uint16_t frag_fields[] = {0x00b9, 0x20b9};
    uint8_t f[50];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        size_t n = put_eth(f, 0x0800);

        n += put_ipv4(f + n, (struct v4){.total_len = 36, .frag = frag_fields[i], .proto = 17});
        n += put_bytes(f + n, 16, 0x12);
        put16(f + 34, 0x1234);
        put16(f + 36, 0x5678);
        assert_int_equal(n, sizeof f); /* 14 + 20 + 16 */

        struct dec d = decode(LT_EN10MB, f, sizeof f);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_true(d.p.is_fragment);
        assert_false(d.p.first_fragment);
        assert_int_equal(d.p.frag_id, V4_ID);
        assert_int_equal(d.p.frag_offset_bytes, 1480);
        assert_int_equal(d.p.proto, 17);
        assert_int_equal(d.p.ip_len, 36);
        assert_false(d.p.has_ports);
        assert_int_equal(d.p.sport, 0);
        assert_int_equal(d.p.dport, 0);
        assert_int_equal(d.p.payload_bytes, 0);
    }
}

static void test_packet_ipv4_non_first_fragment_shorter_than_udp_header(void **state)
{
    uint8_t f[37];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* 3 data bytes at offset 8 bytes (1 unit): no transport header to parse, so not truncated. */
    n += put_ipv4(f + n, (struct v4){.total_len = 23, .frag = 0x0001, .proto = 17});
    n += put_bytes(f + n, 3, 0x12);
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_true(d.p.is_fragment);
    assert_int_equal(d.p.frag_offset_bytes, 8);
    assert_false(d.p.has_ports);
}

/* ---- IPv6 extension headers ---- */

/* Ethernet, IPv6, hop-by-hop (8), routing (24), destination options (16), TCP (20), 5 bytes. */
static size_t put_v6_ext_tcp(uint8_t *f)
{
    size_t n = put_eth(f, 0x86dd);

    n += put_ipv6(f + n, 8 + 24 + 16 + 20 + 5, 0); /* payload length 73 */
    n += put_ext(f + n, 43, 0);
    n += put_ext(f + n, 60, 2);
    n += put_ext(f + n, 6, 1);
    n += put_tcp(f + n, (struct tcp){.sport = 443,
                                     .dport = 51234,
                                     .seq = 7,
                                     .ack = 9,
                                     .flags = 0x18, /* PSH ACK */
                                     .window = 1024});
    n += put_bytes(f + n, 5, 0x70);
    return n;
}

static void test_packet_ipv6_hbh_routing_dstopts_tcp(void **state)
{
    uint8_t f[127];

    (void)state;
    assert_int_equal(put_v6_ext_tcp(f), sizeof f); /* 14 + 40 + 73 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.link_hdr_bytes, 14);
    assert_int_equal(d.p.ip_version, 6);
    check_v6_addrs(&d.p);
    assert_int_equal(d.p.ip_len, 113);      /* 40 + 73 */
    assert_int_equal(d.p.ip_hdr_bytes, 88); /* 40 + 8 + 24 + 16 */
    assert_int_equal(d.p.proto, 6);
    assert_int_equal(d.p.ttl, V6_HLIM);
    assert_int_equal(d.p.tos, V6_TCLASS);
    assert_false(d.p.is_fragment);
    assert_true(d.p.has_ports);
    assert_int_equal(d.p.sport, 443);
    assert_int_equal(d.p.dport, 51234);
    assert_int_equal(d.p.tcp_seq, 7);
    assert_int_equal(d.p.tcp_ack, 9);
    assert_int_equal(d.p.tcp_flags, 0x18);
    assert_int_equal(d.p.tcp_window, 1024);
    assert_int_equal(d.p.tcp_hdr_bytes, 20);
    assert_int_equal(d.p.payload_bytes, 5); /* 113 - 88 - 20 */
    assert_int_equal(d.p.payload_caplen, 5);
    assert_int_equal(d.payload_at, 122); /* 14 + 88 + 20 */
}

static void test_packet_ipv6_ah_then_tcp(void **state)
{
    uint8_t f[98];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    /* AH payload length 4: (4 + 2) * 4 = 24 bytes (12 fixed + 12 ICV). */
    n += put_ipv6(f + n, 24 + 20, 51);
    n += put_ah(f + n, 6, 4);
    n += put_tcp(f + n, (struct tcp){.sport = 22, .dport = 50000, .flags = 0x10});
    assert_int_equal(n, sizeof f); /* 14 + 40 + 44 */

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_hdr_bytes, 64); /* 40 + 24 */
    assert_int_equal(d.p.ip_len, 84);
    assert_int_equal(d.p.proto, 6);
    assert_int_equal(d.p.sport, 22);
    assert_int_equal(d.p.dport, 50000);
    assert_int_equal(d.p.payload_bytes, 0);
}

static void test_packet_ipv6_first_fragment(void **state)
{
    uint8_t f[94];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    /* payload length 8 (fragment header) + 8 (UDP) + 24 data = 40 */
    n += put_ipv6(f + n, 40, 44);
    n += put_frag6(f + n, 17, 0, true, 0xdeadbeef);
    n += put_udp(f + n, 7000, 7001, 8 + 1400);
    n += put_bytes(f + n, 24, 0);
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_version, 6);
    assert_true(d.p.is_fragment);
    assert_true(d.p.first_fragment);
    assert_int_equal(d.p.frag_id, 0xdeadbeef);
    assert_int_equal(d.p.frag_offset_bytes, 0);
    assert_int_equal(d.p.ip_hdr_bytes, 48);
    assert_int_equal(d.p.ip_len, 80);
    assert_int_equal(d.p.proto, 17);
    assert_true(d.p.has_ports);
    assert_int_equal(d.p.sport, 7000);
    assert_int_equal(d.p.dport, 7001);
    assert_int_equal(d.p.payload_bytes, 24); /* 80 - 48 - 8 */
    assert_int_equal(d.p.payload_caplen, 24);
}

static void test_packet_ipv6_non_first_fragment(void **state)
{
    uint8_t f[78];

    (void)state;
    /* offset 175 units = 1400 bytes, last (M clear) then middle (M set) fragment;
     * payload length 8 + 16 = 24 */
    for (int more = 0; more <= 1; more++) {
        size_t n = put_eth(f, 0x86dd);

        n += put_ipv6(f + n, 24, 44);
        n += put_frag6(f + n, 17, 175, more, 0x01020304);
        n += put_bytes(f + n, 16, 0x1b);
        assert_int_equal(n, sizeof f);

        struct dec d = decode(LT_EN10MB, f, sizeof f);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_true(d.p.is_fragment);
        assert_false(d.p.first_fragment);
        assert_int_equal(d.p.frag_id, 0x01020304);
        assert_int_equal(d.p.frag_offset_bytes, 1400);
        assert_int_equal(d.p.ip_hdr_bytes, 48);
        assert_int_equal(d.p.proto, 17);
        assert_false(d.p.has_ports);
        assert_int_equal(d.p.sport, 0);
        assert_int_equal(d.p.dport, 0);
        assert_int_equal(d.p.payload_bytes, 0);
    }
}

static void test_packet_ipv6_no_next_header_and_esp(void **state)
{
    uint8_t f[78];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    /* Hop-by-hop then 59 (no next header): 8 bytes of payload length. */
    n += put_ipv6(f + n, 8, 0);
    n += put_ext(f + n, 59, 0);

    struct dec d = decode(LT_EN10MB, f, n);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 59);
    assert_int_equal(d.p.ip_hdr_bytes, 48);
    assert_false(d.p.has_ports);

    /* ESP straight after the IPv6 header: SPI and sequence number, then 16 bytes. */
    n = put_eth(f, 0x86dd);
    n += put_ipv6(f + n, 24, 50);
    n += put_bytes(f + n, 24, 0x30);
    assert_int_equal(n, sizeof f);
    d = decode(LT_EN10MB, f, n);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 50);
    assert_int_equal(d.p.ip_hdr_bytes, 40);
    assert_false(d.p.has_ports);
}

/* ---- UDP, ICMP, other protocols ---- */

static void test_packet_udp_over_ipv4_and_ipv6(void **state)
{
    uint8_t f[66];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    n += put_v4_udp(f + n);

    struct dec d = decode(LT_EN10MB, f, n);

    check_v4_udp(&d, 14);

    n = put_eth(f, 0x86dd);
    n += put_v6_udp(f + n);
    assert_int_equal(n, sizeof f);
    d = decode(LT_EN10MB, f, n);
    check_v6_udp(&d, 14);
}

static void test_packet_icmp_echo_is_not_error(void **state)
{
    uint8_t f[46];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 8 ICMP (type 8 code 0, id 0x1234, seq 1) + 4 data = 32 */
    n += put_ipv4(f + n, (struct v4){.total_len = 32, .proto = 1});
    n += put_icmp(f + n, 8, 0, 0x12340001);
    n += put_bytes(f + n, 4, 0);
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, FDXI_PROTO_ICMP);
    assert_int_equal(d.p.icmp_type, 8);
    assert_int_equal(d.p.icmp_code, 0);
    assert_false(d.p.icmp_error);
    assert_false(d.p.has_ports);
    assert_int_equal(d.p.sport, 0);
    assert_int_equal(d.p.dport, 0);
}

static void test_packet_icmp_frag_needed_quoting_tcp(void **state)
{
    static const uint8_t router[4] = {203, 0, 113, 254};
    uint8_t f[70];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 8 ICMP (type 3 code 4, next-hop MTU 1400) + quoted 20 IPv4 + 8 TCP = 56 */
    n += put_ipv4(f + n, (struct v4){.total_len = 56, .proto = 1, .src = router});
    n += put_icmp(f + n, 3, 4, 1400);
    n += put_ipv4(f + n, (struct v4){.total_len = 1500, .frag = 0x4000, .proto = 6});
    put16(f + n, 51234);
    put16(f + n + 2, 443);
    put32(f + n + 4, 0x01020304);
    n += 8;
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 1);
    check_v4_addrs(&d.p, router, V4_DST);
    assert_int_equal(d.p.ip_len, 56);
    assert_int_equal(d.p.icmp_type, 3);
    assert_int_equal(d.p.icmp_code, 4);
    assert_true(d.p.icmp_error);
    assert_false(d.p.has_ports);
    assert_int_equal(d.p.sport, 0);
    assert_int_equal(d.p.dport, 0);
}

static void test_packet_icmp_error_types(void **state)
{
    /* ICMPv4 errors: 3 unreachable, 4 source quench, 5 redirect, 11 time exceeded,
     * 12 parameter problem; the rest are queries. */
    static const struct {
        uint8_t type;
        bool error;
    } cases[] = {{0, false}, {3, true},  {4, true},  {5, true},   {8, false},
                 {9, false}, {11, true}, {12, true}, {13, false}, {14, false}};
    uint8_t f[42];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = put_eth(f, 0x0800);

        n += put_ipv4(f + n, (struct v4){.total_len = 28, .proto = 1});
        n += put_icmp(f + n, cases[i].type, 0, 0);

        struct dec d = decode(LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.icmp_type, cases[i].type);
        assert_int_equal(d.p.icmp_error, cases[i].error);
    }
}

static void test_packet_icmpv6_packet_too_big(void **state)
{
    uint8_t f[110];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    /* 8 ICMPv6 (type 2 code 0, MTU 1280) + quoted 40 IPv6 + 8 UDP = 56 bytes of payload */
    n += put_ipv6(f + n, 56, 58);
    n += put_icmp(f + n, 2, 0, 1280);
    n += put_ipv6(f + n, 1400, 17);
    n += put_udp(f + n, 40000, 53, 1400);
    assert_int_equal(n, sizeof f);

    struct dec d = decode(LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_version, 6);
    assert_int_equal(d.p.proto, FDXI_PROTO_ICMPV6);
    assert_int_equal(d.p.ip_len, 96);
    assert_int_equal(d.p.icmp_type, 2);
    assert_int_equal(d.p.icmp_code, 0);
    assert_true(d.p.icmp_error);
    assert_false(d.p.has_ports);
}

static void test_packet_icmpv6_error_types(void **state)
{
    /* ICMPv6 errors are types 1-4; 128/129 echo and 135 neighbour solicitation are not. */
    static const struct {
        uint8_t type;
        bool error;
    } cases[] = {{1, true},    {2, true},    {3, true},   {4, true},
                 {128, false}, {129, false}, {135, false}};
    uint8_t f[62];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = put_eth(f, 0x86dd);

        n += put_ipv6(f + n, 8, 58);
        n += put_icmp(f + n, cases[i].type, 0, 0);

        struct dec d = decode(LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.icmp_type, cases[i].type);
        assert_int_equal(d.p.icmp_error, cases[i].error);
    }
}

static void test_packet_other_ip_protocols_have_no_ports(void **state)
{
    /* GRE, ESP, SCTP: 12 bytes each that would read as ports 0x1388 -> 0x1389. */
    static const uint8_t protos[] = {47, 50, 132};
    uint8_t f[46];

    (void)state;
    for (size_t i = 0; i < sizeof protos; i++) {
        size_t n = put_eth(f, 0x0800);

        n += put_ipv4(f + n, (struct v4){.total_len = 32, .proto = protos[i]});
        put16(f + n, 5000);
        put16(f + n + 2, 5001);
        n += 4;
        n += put_bytes(f + n, 8, 0);

        struct dec d = decode(LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.proto, protos[i]);
        assert_false(d.p.has_ports);
        assert_int_equal(d.p.sport, 0);
        assert_int_equal(d.p.dport, 0);
    }
}

/* ---- Not IP, unsupported links ---- */

static void test_packet_arp_is_non_ip(void **state)
{
    uint8_t f[60];
    size_t n = put_eth(f, 0x0806);

    (void)state;
    /* Ethernet/IPv4 request: htype 1, ptype 0x0800, hlen 6, plen 4, op 1, then addresses. */
    put16(f + n, 1);
    put16(f + n + 2, 0x0800);
    f[n + 4] = 6;
    f[n + 5] = 4;
    put16(f + n + 6, 1);
    memset(f + n + 8, 0, sizeof f - n - 8);

    assert_int_equal(decode(LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);

    /* The same request behind a VLAN tag. */
    uint8_t g[64];

    n = put_eth(g, 0x8100);
    n += put_tag(g + n, 100, 0x0806);
    memcpy(g + n, f + 14, 46);
    assert_int_equal(decode(LT_EN10MB, g, sizeof g).res, FDXI_DEC_NON_IP);
}

static void test_packet_8023_length_frame_is_non_ip(void **state)
{
    /* 38 and 1500 are 802.3 lengths (<= 1500); the LLC that follows is STP's 42 42 03. */
    static const uint16_t lengths[] = {38, 1500};
    uint8_t f[60];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        size_t n = put_eth(f, lengths[i]);

        f[n] = 0x42;
        f[n + 1] = 0x42;
        f[n + 2] = 0x03;
        /* An IPv4-looking byte right after the LLC must not be taken for IP. */
        f[n + 3] = 0x45;
        memset(f + n + 4, 0, sizeof f - n - 4);
        assert_int_equal(decode(LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_other_ethertypes_are_non_ip(void **state)
{
    /* LLDP, EAPOL, MPLS multicast, IPX (0x8137), PPPoE discovery */
    static const uint16_t types[] = {0x88cc, 0x888e, 0x8848, 0x8137, 0x8863};
    uint8_t f[60];

    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = put_eth(f, types[i]);

        /* An IPv4 packet after the header must not be decoded under a foreign ethertype. */
        n += put_v4_udp(f + n);
        memset(f + n, 0, sizeof f - n);
        assert_int_equal(decode(LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_unknown_linktype_unsupported(void **state)
{
    /* 9 PPP, 105 802.11, 127 radiotap, 147 USER0, plus values no libpcap assigns. */
    static const int types[] = {9, 105, 127, 147, 2, 300, 65535, -1};
    uint8_t f[46];

    (void)state;
    size_t n = put_eth(f, 0x0800);

    n += put_v4_udp(f + n);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(decode(types[i], f, n).res, FDXI_DEC_LINK_UNSUPPORTED);
}

static void test_packet_linktype_supported(void **state)
{
    static const int yes[] = {LT_NULL,      LT_EN10MB, LT_RAW,  LT_RAW101,    LT_LOOP,
                              LT_LINUX_SLL, LT_IPV4,   LT_IPV6, LT_LINUX_SLL2};
    static const int no[] = {9, 105, 127, 147, 2, 300, 65535, -1};

    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(fdxi_packet_linktype_supported(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(fdxi_packet_linktype_supported(no[i]));
}

/* ---- Truncation ---- */

static void test_packet_truncated_below_fixed_tcp_header_ipv4(void **state)
{
    uint8_t f[80];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* IHL 6 (24 bytes), TCP data offset 8 (32 bytes), 10 payload: total 24 + 32 + 10 = 66. */
    n += put_ipv4(f + n, (struct v4){.ihl = 6, .total_len = 66, .proto = 6});
    /* flags 0x39: URG ACK PSH FIN */
    n += put_tcp(f + n, (struct tcp){.sport = 51234, .dport = 443, .doff = 8, .flags = 0x39});
    n += put_bytes(f + n, 10, 0x61);
    assert_int_equal(n, sizeof f);

    /* Fixed TCP header ends at 14 + 24 + 20 = 58; options end at 70; payload at 80. */
    for (uint32_t c = 0; c <= sizeof f; c++) {
        struct dec d = decode_cut(LT_EN10MB, f, c, sizeof f);

        if (c < 58) {
            expect_result(d.res, FDXI_DEC_TRUNCATED, c);
            continue;
        }
        expect_result(d.res, FDXI_DEC_OK, c);
        assert_int_equal(d.p.ip_len, 66);
        assert_int_equal(d.p.ip_hdr_bytes, 24);
        assert_int_equal(d.p.sport, 51234);
        assert_int_equal(d.p.dport, 443);
        assert_int_equal(d.p.tcp_flags, FDXI_TCP_URG | FDXI_TCP_ACK | FDXI_TCP_PSH | FDXI_TCP_FIN);
        assert_int_equal(d.p.tcp_hdr_bytes, 32);
        assert_int_equal(d.p.tcp_options_caplen, c < 70 ? c - 58 : 12);
        if (c > 58)
            assert_int_equal(d.options_at, 58);
        assert_int_equal(d.p.payload_bytes, 10); /* 66 - 24 - 32, whatever the capture */
        assert_int_equal(d.p.payload_caplen, c < 70 ? 0 : c - 70);
        if (c > 70)
            assert_int_equal(d.payload_at, 70);
    }
}

static void test_packet_truncated_below_fixed_tcp_header_ipv6_ext(void **state)
{
    uint8_t f[127];

    (void)state;
    assert_int_equal(put_v6_ext_tcp(f), sizeof f);

    /* Extension headers end at 14 + 88 = 102, the fixed TCP header at 122, the payload at 127. */
    for (uint32_t c = 0; c <= sizeof f; c++) {
        struct dec d = decode_cut(LT_EN10MB, f, c, sizeof f);

        if (c < 122) {
            expect_result(d.res, FDXI_DEC_TRUNCATED, c);
            continue;
        }
        expect_result(d.res, FDXI_DEC_OK, c);
        assert_int_equal(d.p.ip_hdr_bytes, 88);
        assert_int_equal(d.p.sport, 443);
        assert_int_equal(d.p.payload_bytes, 5);
        assert_int_equal(d.p.payload_caplen, c - 122);
    }
}

static void test_packet_truncated_other_headers(void **state)
{
    uint8_t f[80];
    size_t n;

    (void)state;
    /* UDP: 14 + 20 + 8 = 42 */
    n = put_eth(f, 0x0800);
    n += put_v4_udp(f + n);
    check_truncation(LT_EN10MB, f, n, 42);

    /* ICMP: 4 bytes needed, 14 + 20 + 4 = 38 */
    n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, (struct v4){.total_len = 32, .proto = 1});
    n += put_icmp(f + n, 8, 0, 1);
    n += put_bytes(f + n, 4, 0);
    check_truncation(LT_EN10MB, f, n, 38);

    /* ICMPv6: 14 + 40 + 4 = 58 */
    n = put_eth(f, 0x86dd);
    n += put_ipv6(f + n, 12, 58);
    n += put_icmp(f + n, 128, 0, 1);
    n += put_bytes(f + n, 4, 0);
    check_truncation(LT_EN10MB, f, n, 58);

    /* IPv6 fragment header: 14 + 40 + 8 + 8 UDP = 70 */
    n = put_eth(f, 0x86dd);
    n += put_ipv6(f + n, 16, 44);
    n += put_frag6(f + n, 17, 0, true, 1);
    n += put_udp(f + n, 1, 2, 100);
    check_truncation(LT_EN10MB, f, n, 70);

    /* QinQ: 14 + 8 + 20 + 20 = 62 */
    n = put_eth(f, 0x88a8);
    n += put_tag(f + n, 1, 0x8100);
    n += put_tag(f + n, 2, 0x0800);
    n += put_v4_tcp(f + n);
    check_truncation(LT_EN10MB, f, n, 62);

    /* MPLS, two labels: 14 + 8 + 28 = 50 */
    n = put_eth(f, 0x8847);
    put32(f + n, 16u << 12 | 64);
    put32(f + n + 4, 17u << 12 | 1u << 8 | 64);
    n += 8;
    n += put_v4_udp(f + n);
    check_truncation(LT_EN10MB, f, n, 50);

    /* PPPoE: 14 + 8 + 28 = 50 */
    n = put_eth(f, 0x8864);
    n += put_pppoe(f + n, 0x0021, 32);
    n += put_v4_udp(f + n);
    check_truncation(LT_EN10MB, f, n, 50);

    /* Linux cooked v2: 20 + 48 = 68 */
    memset(f, 0, 20);
    put16(f, 0x86dd);
    n = 20 + put_v6_udp(f + 20);
    check_truncation(LT_LINUX_SLL2, f, n, 68);

    /* Linux cooked v1: 16 + 28 = 44 */
    memset(f, 0, 16);
    put16(f + 14, 0x0800);
    n = 16 + put_v4_udp(f + 16);
    check_truncation(LT_LINUX_SLL, f, n, 44);

    /* BSD loopback: 4 + 28 = 32 */
    n = put_family(f, 2, false);
    n += put_v4_udp(f + n);
    check_truncation(LT_NULL, f, n, 32);

    /* Raw IPv4 with IHL 15 carrying ESP, which is not parsed: the options end at 60. */
    n = put_ipv4(f, (struct v4){.ihl = 15, .total_len = 68, .proto = 50});
    n += put_bytes(f + n, 8, 0);
    check_truncation(LT_RAW, f, n, 60);

    /* IPv6 and a 16-byte destination options header ending the chain (59): 14 + 40 + 16 = 70 */
    n = put_eth(f, 0x86dd);
    n += put_ipv6(f + n, 16, 60);
    n += put_ext(f + n, 59, 1);
    check_truncation(LT_EN10MB, f, n, 70);

    /* Raw IPv4 with IHL 15: 60 + 8 = 68 */
    n = put_ipv4(f, (struct v4){.ihl = 15, .total_len = 72, .proto = 17});
    n += put_udp(f + n, 1, 2, 12);
    n += put_bytes(f + n, 4, 0);
    check_truncation(LT_RAW, f, n, 68);
}

static void test_packet_snaplen_cut_tcp_options(void **state)
{
    uint8_t f[74];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    n += put_ipv4(f + n, (struct v4){.total_len = 60, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 51234, .dport = 443, .doff = 10, .flags = 0x02});
    assert_int_equal(n, sizeof f);

    /* 60 captured of 74: 14 + 20 + 20 fixed, then 6 of the 20 option bytes. */
    struct dec d = decode_cut(LT_EN10MB, f, 60, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.tcp_hdr_bytes, 40);
    assert_int_equal(d.p.tcp_options_caplen, 6);
    assert_true(d.p.tcp_options_caplen < d.p.tcp_hdr_bytes - 20);
    assert_int_equal(d.options_at, 54);
    assert_int_equal(d.p.sport, 51234);
    assert_int_equal(d.p.payload_bytes, 0);
    assert_int_equal(d.p.payload_caplen, 0);
}

static void test_packet_snaplen_keeps_lengths_from_headers(void **state)
{
    uint8_t f[1514];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* A full-size segment: total length 1500 = 20 + 20 + 1460; only 64 bytes captured. */
    n += put_ipv4(f + n, (struct v4){.total_len = 1500, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 443, .dport = 51234, .flags = 0x10});
    n += put_bytes(f + n, 1460, 0);
    assert_int_equal(n, sizeof f);

    struct dec d = decode_cut(LT_EN10MB, f, 64, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 1500);
    assert_int_equal(d.p.payload_bytes, 1460);
    assert_int_equal(d.p.payload_caplen, 10); /* 64 - 54 */
    assert_int_equal(d.payload_at, 54);
}

/* ---- IPv4 total length 0 (TSO) ---- */

static void test_packet_ipv4_total_length_zero_tso(void **state)
{
    uint8_t f[158];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* 14 + 20 + 20 + 100 = 154 bytes on the wire: the IPv4 length is 154 - 14 = 140. */
    n += put_ipv4(f + n, (struct v4){.total_len = 0, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 51234, .dport = 443, .flags = 0x18});
    n += put_bytes(f + n, 100, 0);
    assert_int_equal(n, 154);

    struct dec d = decode(LT_EN10MB, f, 154);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100); /* 140 - 20 - 20 */
    assert_int_equal(d.p.payload_caplen, 100);

    /* Captured short, the length still comes from the wire length: 64 - 54 = 10 captured. */
    d = decode_cut(LT_EN10MB, f, 64, 154);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100);
    assert_int_equal(d.p.payload_caplen, 10);

    /* Behind a VLAN tag the link header is 18: 158 - 18 = 140 again. */
    n = put_eth(f, 0x8100);
    n += put_tag(f + n, 100, 0x0800);
    n += put_ipv4(f + n, (struct v4){.total_len = 0, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 51234, .dport = 443, .flags = 0x18});
    n += put_bytes(f + n, 100, 0);
    assert_int_equal(n, sizeof f);
    d = decode(LT_EN10MB, f, sizeof f);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100);
}

/* ---- Malformed ---- */

static void test_packet_malformed_ipv4_version(void **state)
{
    uint8_t f[54];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    n += put_v4_tcp(f + n);
    f[14] = 0x65; /* version 6, IHL 5, under ethertype IPv4 */
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_ihl_below_5(void **state)
{
    uint8_t f[54];

    (void)state;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        size_t n = put_eth(f, 0x0800);

        /* ESP (50) has no header the decoder parses, so only the IHL can make this malformed. */
        n += put_ipv4(f + n, (struct v4){.total_len = 40, .proto = 50});
        n += put_bytes(f + n, 20, 0);
        f[14] = (uint8_t)(0x40 | ihl);
        assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
    }
}

static void test_packet_malformed_ipv4_total_length_below_header(void **state)
{
    uint8_t f[58];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* ESP (50) has no header the decoder parses, so only the total length can be at fault. */
    /* 19 < 5 * 4 */
    n += put_ipv4(f + n, (struct v4){.total_len = 19, .proto = 50});
    n += put_bytes(f + n, 20, 0);
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);

    /* 23 < 6 * 4 */
    n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, (struct v4){.ihl = 6, .total_len = 23, .proto = 50});
    n += put_bytes(f + n, 20, 0);
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_total_length_beyond_wire(void **state)
{
    uint8_t f[54];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    n += put_v4_tcp(f + n);
    put16(f + 16, 41); /* 54 - 14 = 40 bytes follow the link header */
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);

    /* Also when the capture is cut short: the wire length is what counts. */
    assert_int_equal(decode_cut(LT_EN10MB, f, 40, 54).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_total_length_beyond_wire_after_vlan(void **state)
{
    uint8_t f[58];
    size_t n = put_eth(f, 0x8100);

    (void)state;
    n += put_tag(f + n, 100, 0x0800);
    n += put_v4_tcp(f + n);
    /* 41 fits in 58 - 14 = 44 but not in 58 - 18 = 40, the bytes after the tag. */
    put16(f + 20, 41);
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_version(void **state)
{
    uint8_t f[66];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    n += put_v6_udp(f + n);
    f[14] = (uint8_t)(0x40 | (f[14] & 0x0f)); /* version 4 under ethertype IPv6 */
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_payload_length_beyond_wire(void **state)
{
    uint8_t f[74];
    size_t n = put_eth(f, 0x86dd);

    (void)state;
    /* 40 + 21 = 61 > 74 - 14 = 60 */
    n += put_ipv6(f + n, 21, 6);
    n += put_tcp(f + n, (struct tcp){.sport = 1, .dport = 2});
    assert_int_equal(n, sizeof f);
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_tcp_data_offset_below_5(void **state)
{
    uint8_t f[54];

    (void)state;
    for (uint8_t doff = 0; doff < 5; doff++) {
        size_t n = put_eth(f, 0x0800);

        n += put_v4_tcp(f + n);
        f[46] = (uint8_t)(doff << 4); /* 14 + 20 + 12 */
        assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
    }
}

static void test_packet_malformed_tcp_header_beyond_ip_payload(void **state)
{
    uint8_t f[62];
    size_t n = put_eth(f, 0x0800);

    (void)state;
    /* Data offset 7 = 28 bytes, but total length 44 leaves 44 - 20 = 24 for TCP. */
    n += put_ipv4(f + n, (struct v4){.total_len = 44, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 1, .dport = 2, .doff = 7});
    assert_int_equal(n, 62);
    assert_int_equal(decode(LT_EN10MB, f, 58).res, FDXI_DEC_MALFORMED); /* 14 + 44 */
    /* With the last 4 header bytes in the frame as trailing bytes: still beyond the IP payload. */
    assert_int_equal(decode(LT_EN10MB, f, 62).res, FDXI_DEC_MALFORMED);

    /* Total length 30 leaves 10 bytes, less than even the fixed 20 of TCP. */
    n = put_eth(f, 0x0800);
    n += put_ipv4(f + n, (struct v4){.total_len = 30, .proto = 6});
    n += put_tcp(f + n, (struct tcp){.sport = 1, .dport = 2});
    assert_int_equal(decode(LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_tcp_header_beyond_complete_ip_packet(void **state)
{
    uint8_t f[30];

    (void)state;
    /* Raw IPv4, total length 30: 20 header + 10 bytes of TCP, all of it captured
     * (caplen == wirelen == 30). Nothing was cut off, so this is not truncation: a TCP header
     * (at least 20 bytes) longer than the 10-byte IP payload. */
    size_t n = put_ipv4(f, (struct v4){.total_len = 30, .proto = 6});

    n += put_bytes(f + n, 10, 0);
    assert_int_equal(n, sizeof f);
    assert_int_equal(decode(LT_RAW, f, sizeof f).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_more_than_16_extension_headers(void **state)
{
    uint8_t f[14 + 40 + 17 * 8];

    (void)state;
    for (unsigned count = 16; count <= 17; count++) {
        size_t n = put_eth(f, 0x86dd);

        /* count destination options headers of 8 bytes, the last one ending in 59 */
        n += put_ipv6(f + n, (uint16_t)(count * 8), 60);
        for (unsigned i = 0; i < count; i++)
            n += put_ext(f + n, i + 1 < count ? 60 : 59, 0);

        struct dec d = decode(LT_EN10MB, f, n);

        if (count == 16) {
            assert_int_equal(d.res, FDXI_DEC_OK);
            assert_int_equal(d.p.ip_hdr_bytes, 168); /* 40 + 16 * 8 */
            assert_int_equal(d.p.proto, 59);
        } else {
            assert_int_equal(d.res, FDXI_DEC_MALFORMED);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_ethernet_ipv4_tcp_syn_with_options),
        cmocka_unit_test(test_packet_ethernet_padding_is_not_payload),
        cmocka_unit_test(test_packet_ethernet_padding_after_short_payload),
        cmocka_unit_test(test_packet_vlan_8021q),
        cmocka_unit_test(test_packet_vlan_qinq_88a8_8100),
        cmocka_unit_test(test_packet_vlan_qinq_9100_8100),
        cmocka_unit_test(test_packet_vlan_eight_tags_accepted_nine_not),
        cmocka_unit_test(test_packet_mpls_two_labels_ipv4),
        cmocka_unit_test(test_packet_mpls_three_labels_ipv6),
        cmocka_unit_test(test_packet_pppoe_ipv4_and_ipv6),
        cmocka_unit_test(test_packet_pppoe_lcp_is_non_ip),
        cmocka_unit_test(test_packet_linux_sll),
        cmocka_unit_test(test_packet_linux_sll2),
        cmocka_unit_test(test_packet_sll_arp_is_non_ip),
        cmocka_unit_test(test_packet_raw_ip),
        cmocka_unit_test(test_packet_dlt_ipv4_and_ipv6),
        cmocka_unit_test(test_packet_null_both_byte_orders),
        cmocka_unit_test(test_packet_null_unknown_family_is_non_ip),
        cmocka_unit_test(test_packet_loop_big_endian),
        cmocka_unit_test(test_packet_ipv4_options_ihl_6_to_15),
        cmocka_unit_test(test_packet_ipv4_first_fragment),
        cmocka_unit_test(test_packet_ipv4_non_first_fragment),
        cmocka_unit_test(test_packet_ipv4_non_first_fragment_shorter_than_udp_header),
        cmocka_unit_test(test_packet_ipv6_hbh_routing_dstopts_tcp),
        cmocka_unit_test(test_packet_ipv6_ah_then_tcp),
        cmocka_unit_test(test_packet_ipv6_first_fragment),
        cmocka_unit_test(test_packet_ipv6_non_first_fragment),
        cmocka_unit_test(test_packet_ipv6_no_next_header_and_esp),
        cmocka_unit_test(test_packet_udp_over_ipv4_and_ipv6),
        cmocka_unit_test(test_packet_icmp_echo_is_not_error),
        cmocka_unit_test(test_packet_icmp_frag_needed_quoting_tcp),
        cmocka_unit_test(test_packet_icmp_error_types),
        cmocka_unit_test(test_packet_icmpv6_packet_too_big),
        cmocka_unit_test(test_packet_icmpv6_error_types),
        cmocka_unit_test(test_packet_other_ip_protocols_have_no_ports),
        cmocka_unit_test(test_packet_arp_is_non_ip),
        cmocka_unit_test(test_packet_8023_length_frame_is_non_ip),
        cmocka_unit_test(test_packet_other_ethertypes_are_non_ip),
        cmocka_unit_test(test_packet_unknown_linktype_unsupported),
        cmocka_unit_test(test_packet_linktype_supported),
        cmocka_unit_test(test_packet_truncated_below_fixed_tcp_header_ipv4),
        cmocka_unit_test(test_packet_truncated_below_fixed_tcp_header_ipv6_ext),
        cmocka_unit_test(test_packet_truncated_other_headers),
        cmocka_unit_test(test_packet_snaplen_cut_tcp_options),
        cmocka_unit_test(test_packet_snaplen_keeps_lengths_from_headers),
        cmocka_unit_test(test_packet_ipv4_total_length_zero_tso),
        cmocka_unit_test(test_packet_malformed_ipv4_version),
        cmocka_unit_test(test_packet_malformed_ipv4_ihl_below_5),
        cmocka_unit_test(test_packet_malformed_ipv4_total_length_below_header),
        cmocka_unit_test(test_packet_malformed_ipv4_total_length_beyond_wire),
        cmocka_unit_test(test_packet_malformed_ipv4_total_length_beyond_wire_after_vlan),
        cmocka_unit_test(test_packet_malformed_ipv6_version),
        cmocka_unit_test(test_packet_malformed_ipv6_payload_length_beyond_wire),
        cmocka_unit_test(test_packet_malformed_tcp_data_offset_below_5),
        cmocka_unit_test(test_packet_malformed_tcp_header_beyond_ip_payload),
        cmocka_unit_test(test_packet_malformed_tcp_header_beyond_complete_ip_packet),
        cmocka_unit_test(test_packet_malformed_ipv6_more_than_16_extension_headers),
    };

    return cmocka_run_group_tests_name("packet", tests, NULL, NULL);
}
