/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the packet decoder from the IP header up, on frames built byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "packet_build.h"

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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* Total length 60 = 20 IPv4 + 20 TCP + 20 options; 0x4000 is DF alone: no fragment. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 60, .frag = 0x4000, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 51234,
                                           .dport = 443,
                                           .seq = 0x01020304,
                                           .doff = 10,
                                           .flags = 0xc2, /* SYN ECE CWR: an ECN-setup SYN */
                                           .window = 64240});
    memcpy(f + 54, opts, sizeof opts); /* 54 = 14 + 20 + 20 */
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ts_us, PB_TS_US);
    assert_int_equal(d.p.caplen, 74);
    assert_int_equal(d.p.wirelen, 74);
    assert_int_equal(d.p.link_hdr_bytes, 14);
    assert_int_equal(d.p.ip_version, 4);
    assert_int_equal(d.p.proto, 6);
    pb_check_v4_addrs(&d.p, pb_v4_src, pb_v4_dst);
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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* A 40-byte ACK (20 IPv4 + 20 TCP) needs 54 bytes of frame; 6 bytes pad it to 60. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 40, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 443,
                                           .dport = 51234,
                                           .seq = 0xfedcba98,
                                           .ack = 0x0a0b0c0d,
                                           .flags = 0x10, /* ACK */
                                           .window = 502});
    memset(f + n, 0xff, sizeof f - n);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 20 TCP + 2 payload = 42: the frame holds 14 + 42 = 56 bytes and 4 of padding. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 42, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 443, .dport = 51234, .flags = 0x18});
    n += pb_put_bytes(f + n, 2, 0x41);
    memset(f + n, 0xff, sizeof f - n);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 42);
    assert_int_equal(d.p.payload_bytes, 2);
    assert_int_equal(d.p.payload_caplen, 2);
    assert_int_equal(d.payload_at, 54); /* 14 + 20 + 20 */
}

/* ---- IPv4 options and fragments ---- */

static void test_packet_ipv4_options_ihl_6_to_15(void **state)
{
    uint8_t f[14 + 60 + 20 + 3];

    (void)state;
    for (uint8_t ihl = 6; ihl <= 15; ihl++) {
        size_t n = pb_put_eth(f, 0x0800);

        /* total length = IHL * 4 + 20 TCP + 3 payload */
        n += pb_put_ipv4(
            f + n, (struct pb_v4){.ihl = ihl, .total_len = (uint16_t)(ihl * 4 + 23), .proto = 6});
        n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 1111, .dport = 2222, .flags = 0x18});
        n += pb_put_bytes(f + n, 3, 0x61);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.ip_hdr_bytes, ihl * 4);
        assert_int_equal(d.p.ip_len, ihl * 4 + 23);
        assert_int_equal(d.p.proto, 6);
        pb_check_v4_addrs(&d.p, pb_v4_src, pb_v4_dst);
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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* MF (0x2000), offset 0; 20 IPv4 + 8 UDP + 32 data = 60, the UDP length covers the whole
     * datagram (8 + 1472) but only this fragment's 32 bytes count. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 60, .frag = 0x2000, .proto = 17});
    n += pb_put_udp(f + n, 5000, 6000, 8 + 1472);
    n += pb_put_bytes(f + n, 32, 0);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_true(d.p.is_fragment);
    assert_true(d.p.first_fragment);
    assert_int_equal(d.p.frag_id, PB_V4_ID);
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
        size_t n = pb_put_eth(f, 0x0800);

        n += pb_put_ipv4(f + n,
                         (struct pb_v4){.total_len = 36, .frag = frag_fields[i], .proto = 17});
        n += pb_put_bytes(f + n, 16, 0x12);
        pb_put16(f + 34, 0x1234);
        pb_put16(f + 36, 0x5678);
        assert_int_equal(n, sizeof f); /* 14 + 20 + 16 */

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_true(d.p.is_fragment);
        assert_false(d.p.first_fragment);
        assert_int_equal(d.p.frag_id, PB_V4_ID);
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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* 3 data bytes at offset 8 bytes (1 unit): no transport header to parse, so not truncated. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 23, .frag = 0x0001, .proto = 17});
    n += pb_put_bytes(f + n, 3, 0x12);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_true(d.p.is_fragment);
    assert_int_equal(d.p.frag_offset_bytes, 8);
    assert_false(d.p.has_ports);
}

/* ---- IPv6 extension headers ---- */

static void test_packet_ipv6_hbh_routing_dstopts_tcp(void **state)
{
    uint8_t f[127];

    (void)state;
    assert_int_equal(pb_put_v6_ext_tcp(f), sizeof f); /* 14 + 40 + 73 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.link_hdr_bytes, 14);
    assert_int_equal(d.p.ip_version, 6);
    pb_check_v6_addrs(&d.p);
    assert_int_equal(d.p.ip_len, 113);      /* 40 + 73 */
    assert_int_equal(d.p.ip_hdr_bytes, 88); /* 40 + 8 + 24 + 16 */
    assert_int_equal(d.p.proto, 6);
    assert_int_equal(d.p.ttl, PB_V6_HLIM);
    assert_int_equal(d.p.tos, PB_V6_TCLASS);
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
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    /* AH payload length 4: (4 + 2) * 4 = 24 bytes (12 fixed + 12 ICV). */
    n += pb_put_ipv6(f + n, 24 + 20, 51);
    n += pb_put_ah(f + n, 6, 4);
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 22, .dport = 50000, .flags = 0x10});
    assert_int_equal(n, sizeof f); /* 14 + 40 + 44 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    /* payload length 8 (fragment header) + 8 (UDP) + 24 data = 40 */
    n += pb_put_ipv6(f + n, 40, 44);
    n += pb_put_frag6(f + n, 17, 0, true, 0xdeadbeef);
    n += pb_put_udp(f + n, 7000, 7001, 8 + 1400);
    n += pb_put_bytes(f + n, 24, 0);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
        size_t n = pb_put_eth(f, 0x86dd);

        n += pb_put_ipv6(f + n, 24, 44);
        n += pb_put_frag6(f + n, 17, 175, more, 0x01020304);
        n += pb_put_bytes(f + n, 16, 0x1b);
        assert_int_equal(n, sizeof f);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    /* Hop-by-hop then 59 (no next header): 8 bytes of payload length. */
    n += pb_put_ipv6(f + n, 8, 0);
    n += pb_put_ext(f + n, 59, 0);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 59);
    assert_int_equal(d.p.ip_hdr_bytes, 48);
    assert_false(d.p.has_ports);

    /* ESP straight after the IPv6 header: SPI and sequence number, then 16 bytes. */
    n = pb_put_eth(f, 0x86dd);
    n += pb_put_ipv6(f + n, 24, 50);
    n += pb_put_bytes(f + n, 24, 0x30);
    assert_int_equal(n, sizeof f);
    d = pb_decode(PB_LT_EN10MB, f, n);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 50);
    assert_int_equal(d.p.ip_hdr_bytes, 40);
    assert_false(d.p.has_ports);
}

/* ---- UDP, ICMP, other protocols ---- */

static void test_packet_udp_over_ipv4_and_ipv6(void **state)
{
    uint8_t f[66];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    n += pb_put_v4_udp(f + n);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

    pb_check_v4_udp(&d, 14);

    n = pb_put_eth(f, 0x86dd);
    n += pb_put_v6_udp(f + n);
    assert_int_equal(n, sizeof f);
    d = pb_decode(PB_LT_EN10MB, f, n);
    pb_check_v6_udp(&d, 14);
}

static void test_packet_icmp_echo_is_not_error(void **state)
{
    uint8_t f[46];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 8 ICMP (type 8 code 0, id 0x1234, seq 1) + 4 data = 32 */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 32, .proto = 1});
    n += pb_put_icmp(f + n, 8, 0, 0x12340001);
    n += pb_put_bytes(f + n, 4, 0);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* 20 IPv4 + 8 ICMP (type 3 code 4, next-hop MTU 1400) + quoted 20 IPv4 + 8 TCP = 56 */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 56, .proto = 1, .src = router});
    n += pb_put_icmp(f + n, 3, 4, 1400);
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 1500, .frag = 0x4000, .proto = 6});
    pb_put16(f + n, 51234);
    pb_put16(f + n + 2, 443);
    pb_put32(f + n + 4, 0x01020304);
    n += 8;
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.proto, 1);
    pb_check_v4_addrs(&d.p, router, pb_v4_dst);
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
        size_t n = pb_put_eth(f, 0x0800);

        n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 28, .proto = 1});
        n += pb_put_icmp(f + n, cases[i].type, 0, 0);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.icmp_type, cases[i].type);
        assert_int_equal(d.p.icmp_error, cases[i].error);
    }
}

static void test_packet_icmpv6_packet_too_big(void **state)
{
    uint8_t f[110];
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    /* 8 ICMPv6 (type 2 code 0, MTU 1280) + quoted 40 IPv6 + 8 UDP = 56 bytes of payload */
    n += pb_put_ipv6(f + n, 56, 58);
    n += pb_put_icmp(f + n, 2, 0, 1280);
    n += pb_put_ipv6(f + n, 1400, 17);
    n += pb_put_udp(f + n, 40000, 53, 1400);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
        size_t n = pb_put_eth(f, 0x86dd);

        n += pb_put_ipv6(f + n, 8, 58);
        n += pb_put_icmp(f + n, cases[i].type, 0, 0);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

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
        size_t n = pb_put_eth(f, 0x0800);

        n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 32, .proto = protos[i]});
        pb_put16(f + n, 5000);
        pb_put16(f + n + 2, 5001);
        n += 4;
        n += pb_put_bytes(f + n, 8, 0);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

        assert_int_equal(d.res, FDXI_DEC_OK);
        assert_int_equal(d.p.proto, protos[i]);
        assert_false(d.p.has_ports);
        assert_int_equal(d.p.sport, 0);
        assert_int_equal(d.p.dport, 0);
    }
}

/* ---- Captures cut short by the snapshot length ---- */

static void test_packet_snaplen_cut_tcp_options(void **state)
{
    uint8_t f[74];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 60, .proto = 6});
    n +=
        pb_put_tcp(f + n, (struct pb_tcp){.sport = 51234, .dport = 443, .doff = 10, .flags = 0x02});
    assert_int_equal(n, sizeof f);

    /* 60 captured of 74: 14 + 20 + 20 fixed, then 6 of the 20 option bytes. */
    struct pb_dec d = pb_decode_cut(PB_LT_EN10MB, f, 60, sizeof f);

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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* A full-size segment: total length 1500 = 20 + 20 + 1460; only 64 bytes captured. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 1500, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 443, .dport = 51234, .flags = 0x10});
    n += pb_put_bytes(f + n, 1460, 0);
    assert_int_equal(n, sizeof f);

    struct pb_dec d = pb_decode_cut(PB_LT_EN10MB, f, 64, sizeof f);

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
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* 14 + 20 + 20 + 100 = 154 bytes on the wire: the IPv4 length is 154 - 14 = 140. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 0, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 51234, .dport = 443, .flags = 0x18});
    n += pb_put_bytes(f + n, 100, 0);
    assert_int_equal(n, 154);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, 154);

    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100); /* 140 - 20 - 20 */
    assert_int_equal(d.p.payload_caplen, 100);

    /* Captured short, the length still comes from the wire length: 64 - 54 = 10 captured. */
    d = pb_decode_cut(PB_LT_EN10MB, f, 64, 154);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100);
    assert_int_equal(d.p.payload_caplen, 10);

    /* Behind a VLAN tag the link header is 18: 158 - 18 = 140 again. */
    n = pb_put_eth(f, 0x8100);
    n += pb_put_tag(f + n, 100, 0x0800);
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 0, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 51234, .dport = 443, .flags = 0x18});
    n += pb_put_bytes(f + n, 100, 0);
    assert_int_equal(n, sizeof f);
    d = pb_decode(PB_LT_EN10MB, f, sizeof f);
    assert_int_equal(d.res, FDXI_DEC_OK);
    assert_int_equal(d.p.ip_len, 140);
    assert_int_equal(d.p.payload_bytes, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_ethernet_ipv4_tcp_syn_with_options),
        cmocka_unit_test(test_packet_ethernet_padding_is_not_payload),
        cmocka_unit_test(test_packet_ethernet_padding_after_short_payload),
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
        cmocka_unit_test(test_packet_snaplen_cut_tcp_options),
        cmocka_unit_test(test_packet_snaplen_keeps_lengths_from_headers),
        cmocka_unit_test(test_packet_ipv4_total_length_zero_tso),
    };

    return cmocka_run_group_tests_name("packet_ip", tests, NULL, NULL);
}
