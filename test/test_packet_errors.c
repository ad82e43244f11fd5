/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the packet decoder on truncated or malformed frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <string.h>

#include "packet_build.h"

/* ---- Truncation ---- */

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
        struct pb_dec d = pb_decode_cut(linktype, frame, c, (uint32_t)len);

        expect_result(d.res, c < first_ok ? FDXI_DEC_TRUNCATED : FDXI_DEC_OK, c);
    }
}

static void test_packet_truncated_below_fixed_tcp_header_ipv4(void **state)
{
    uint8_t f[80];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* IHL 6 (24 bytes), TCP data offset 8 (32 bytes), 10 payload: total 24 + 32 + 10 = 66. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.ihl = 6, .total_len = 66, .proto = 6});
    /* flags 0x39: URG ACK PSH FIN */
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 51234, .dport = 443, .doff = 8, .flags = 0x39});
    /* urgent pointer 300, at bytes 18-19 of the TCP header (14 + 24 + 18 = 56) */
    f[56] = 0x01;
    f[57] = 0x2c;
    n += pb_put_bytes(f + n, 10, 0x61);
    assert_int_equal(n, sizeof f);

    /* Fixed TCP header ends at 14 + 24 + 20 = 58; options end at 70; payload at 80. */
    for (uint32_t c = 0; c <= sizeof f; c++) {
        struct pb_dec d = pb_decode_cut(PB_LT_EN10MB, f, c, sizeof f);

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
        assert_int_equal(d.p.tcp_urgent, 300);
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
    assert_int_equal(pb_put_v6_ext_tcp(f), sizeof f);

    /* Extension headers end at 14 + 88 = 102, the fixed TCP header at 122, the payload at 127. */
    for (uint32_t c = 0; c <= sizeof f; c++) {
        struct pb_dec d = pb_decode_cut(PB_LT_EN10MB, f, c, sizeof f);

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
    n = pb_put_eth(f, 0x0800);
    n += pb_put_v4_udp(f + n);
    check_truncation(PB_LT_EN10MB, f, n, 42);

    /* ICMP: 4 bytes needed, 14 + 20 + 4 = 38 */
    n = pb_put_eth(f, 0x0800);
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 32, .proto = 1});
    n += pb_put_icmp(f + n, 8, 0, 1);
    n += pb_put_bytes(f + n, 4, 0);
    check_truncation(PB_LT_EN10MB, f, n, 38);

    /* ICMPv6: 14 + 40 + 4 = 58 */
    n = pb_put_eth(f, 0x86dd);
    n += pb_put_ipv6(f + n, 12, 58);
    n += pb_put_icmp(f + n, 128, 0, 1);
    n += pb_put_bytes(f + n, 4, 0);
    check_truncation(PB_LT_EN10MB, f, n, 58);

    /* IPv6 fragment header: 14 + 40 + 8 + 8 UDP = 70 */
    n = pb_put_eth(f, 0x86dd);
    n += pb_put_ipv6(f + n, 16, 44);
    n += pb_put_frag6(f + n, 17, 0, true, 1);
    n += pb_put_udp(f + n, 1, 2, 100);
    check_truncation(PB_LT_EN10MB, f, n, 70);

    /* QinQ: 14 + 8 + 20 + 20 = 62 */
    n = pb_put_eth(f, 0x88a8);
    n += pb_put_tag(f + n, 1, 0x8100);
    n += pb_put_tag(f + n, 2, 0x0800);
    n += pb_put_v4_tcp(f + n);
    check_truncation(PB_LT_EN10MB, f, n, 62);

    /* MPLS, two labels: 14 + 8 + 28 = 50 */
    n = pb_put_eth(f, 0x8847);
    pb_put32(f + n, 16u << 12 | 64);
    pb_put32(f + n + 4, 17u << 12 | 1u << 8 | 64);
    n += 8;
    n += pb_put_v4_udp(f + n);
    check_truncation(PB_LT_EN10MB, f, n, 50);

    /* PPPoE: 14 + 8 + 28 = 50 */
    n = pb_put_eth(f, 0x8864);
    n += pb_put_pppoe(f + n, 0x0021, 32);
    n += pb_put_v4_udp(f + n);
    check_truncation(PB_LT_EN10MB, f, n, 50);

    /* Linux cooked v2: 20 + 48 = 68 */
    memset(f, 0, 20);
    pb_put16(f, 0x86dd);
    n = 20 + pb_put_v6_udp(f + 20);
    check_truncation(PB_LT_LINUX_SLL2, f, n, 68);

    /* Linux cooked v1: 16 + 28 = 44 */
    memset(f, 0, 16);
    pb_put16(f + 14, 0x0800);
    n = 16 + pb_put_v4_udp(f + 16);
    check_truncation(PB_LT_LINUX_SLL, f, n, 44);

    /* BSD loopback: 4 + 28 = 32 */
    n = pb_put_family(f, 2, false);
    n += pb_put_v4_udp(f + n);
    check_truncation(PB_LT_NULL, f, n, 32);

    /* Raw IPv4 with IHL 15 carrying ESP, which is not parsed: the options end at 60. */
    n = pb_put_ipv4(f, (struct pb_v4){.ihl = 15, .total_len = 68, .proto = 50});
    n += pb_put_bytes(f + n, 8, 0);
    check_truncation(PB_LT_RAW, f, n, 60);

    /* IPv6 and a 16-byte destination options header ending the chain (59): 14 + 40 + 16 = 70 */
    n = pb_put_eth(f, 0x86dd);
    n += pb_put_ipv6(f + n, 16, 60);
    n += pb_put_ext(f + n, 59, 1);
    check_truncation(PB_LT_EN10MB, f, n, 70);

    /* Raw IPv4 with IHL 15: 60 + 8 = 68 */
    n = pb_put_ipv4(f, (struct pb_v4){.ihl = 15, .total_len = 72, .proto = 17});
    n += pb_put_udp(f + n, 1, 2, 12);
    n += pb_put_bytes(f + n, 4, 0);
    check_truncation(PB_LT_RAW, f, n, 68);
}

/* ---- Malformed ---- */

static void test_packet_malformed_ipv4_version(void **state)
{
    uint8_t f[54];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    n += pb_put_v4_tcp(f + n);
    f[14] = 0x65; /* version 6, IHL 5, under ethertype IPv4 */
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_ihl_below_5(void **state)
{
    uint8_t f[54];

    (void)state;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        size_t n = pb_put_eth(f, 0x0800);

        /* ESP (50) has no header the decoder parses, so only the IHL can make this malformed. */
        n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 40, .proto = 50});
        n += pb_put_bytes(f + n, 20, 0);
        f[14] = (uint8_t)(0x40 | ihl);
        assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
    }
}

static void test_packet_malformed_ipv4_total_length_below_header(void **state)
{
    uint8_t f[58];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* ESP (50) has no header the decoder parses, so only the total length can be at fault. */
    /* 19 < 5 * 4 */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 19, .proto = 50});
    n += pb_put_bytes(f + n, 20, 0);
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);

    /* 23 < 6 * 4 */
    n = pb_put_eth(f, 0x0800);
    n += pb_put_ipv4(f + n, (struct pb_v4){.ihl = 6, .total_len = 23, .proto = 50});
    n += pb_put_bytes(f + n, 20, 0);
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_total_length_beyond_wire(void **state)
{
    uint8_t f[54];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    n += pb_put_v4_tcp(f + n);
    pb_put16(f + 16, 41); /* 54 - 14 = 40 bytes follow the link header */
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);

    /* Also when the capture is cut short: the wire length is what counts. */
    assert_int_equal(pb_decode_cut(PB_LT_EN10MB, f, 40, 54).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv4_total_length_beyond_wire_after_vlan(void **state)
{
    uint8_t f[58];
    size_t n = pb_put_eth(f, 0x8100);

    (void)state;
    n += pb_put_tag(f + n, 100, 0x0800);
    n += pb_put_v4_tcp(f + n);
    /* 41 fits in 58 - 14 = 44 but not in 58 - 18 = 40, the bytes after the tag. */
    pb_put16(f + 20, 41);
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_version(void **state)
{
    uint8_t f[66];
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    n += pb_put_v6_udp(f + n);
    f[14] = (uint8_t)(0x40 | (f[14] & 0x0f)); /* version 4 under ethertype IPv6 */
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_payload_length_beyond_wire(void **state)
{
    uint8_t f[74];
    size_t n = pb_put_eth(f, 0x86dd);

    (void)state;
    /* 40 + 21 = 61 > 74 - 14 = 60 */
    n += pb_put_ipv6(f + n, 21, 6);
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 1, .dport = 2});
    assert_int_equal(n, sizeof f);
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_tcp_data_offset_below_5(void **state)
{
    uint8_t f[54];

    (void)state;
    for (uint8_t doff = 0; doff < 5; doff++) {
        size_t n = pb_put_eth(f, 0x0800);

        n += pb_put_v4_tcp(f + n);
        f[46] = (uint8_t)(doff << 4); /* 14 + 20 + 12 */
        assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
    }
}

static void test_packet_malformed_tcp_header_beyond_ip_payload(void **state)
{
    uint8_t f[62];
    size_t n = pb_put_eth(f, 0x0800);

    (void)state;
    /* Data offset 7 = 28 bytes, but total length 44 leaves 44 - 20 = 24 for TCP. */
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 44, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 1, .dport = 2, .doff = 7});
    assert_int_equal(n, 62);
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, 58).res, FDXI_DEC_MALFORMED); /* 14 + 44 */
    /* With the last 4 header bytes in the frame as trailing bytes: still beyond the IP payload. */
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, 62).res, FDXI_DEC_MALFORMED);

    /* Total length 30 leaves 10 bytes, less than even the fixed 20 of TCP. */
    n = pb_put_eth(f, 0x0800);
    n += pb_put_ipv4(f + n, (struct pb_v4){.total_len = 30, .proto = 6});
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 1, .dport = 2});
    assert_int_equal(pb_decode(PB_LT_EN10MB, f, n).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_tcp_header_beyond_complete_ip_packet(void **state)
{
    uint8_t f[30];

    (void)state;
    /* Raw IPv4, total length 30: 20 header + 10 bytes of TCP, all of it captured
     * (caplen == wirelen == 30). Nothing was cut off, so this is not truncation: a TCP header
     * (at least 20 bytes) longer than the 10-byte IP payload. */
    size_t n = pb_put_ipv4(f, (struct pb_v4){.total_len = 30, .proto = 6});

    n += pb_put_bytes(f + n, 10, 0);
    assert_int_equal(n, sizeof f);
    assert_int_equal(pb_decode(PB_LT_RAW, f, sizeof f).res, FDXI_DEC_MALFORMED);
}

static void test_packet_malformed_ipv6_more_than_16_extension_headers(void **state)
{
    uint8_t f[14 + 40 + 17 * 8];

    (void)state;
    for (unsigned count = 16; count <= 17; count++) {
        size_t n = pb_put_eth(f, 0x86dd);

        /* count destination options headers of 8 bytes, the last one ending in 59 */
        n += pb_put_ipv6(f + n, (uint16_t)(count * 8), 60);
        for (unsigned i = 0; i < count; i++)
            n += pb_put_ext(f + n, i + 1 < count ? 60 : 59, 0);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

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
        cmocka_unit_test(test_packet_truncated_below_fixed_tcp_header_ipv4),
        cmocka_unit_test(test_packet_truncated_below_fixed_tcp_header_ipv6_ext),
        cmocka_unit_test(test_packet_truncated_other_headers),
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

    return cmocka_run_group_tests_name("packet_errors", tests, NULL, NULL);
}
