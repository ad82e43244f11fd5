/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the packet decoder's link layers on frames built byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "packet_build.h"

/* ---- VLAN, MPLS, PPPoE ---- */

static void test_packet_vlan_8021q(void **state)
{
    uint8_t f[58];
    size_t n = pb_put_eth(f, 0x8100);

    (void)state;
    n += pb_put_tag(f + n, 100, 0x0800);
    n += pb_put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 4 + 40 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    pb_check_v4_tcp(&d, 18); /* 14 + one 4-byte tag */
}

static void test_packet_vlan_qinq_88a8_8100(void **state)
{
    uint8_t f[74];
    size_t n = pb_put_eth(f, 0x88a8);

    (void)state;
    n += pb_put_tag(f + n, 200, 0x8100);
    n += pb_put_tag(f + n, 100, 0x86dd);
    n += pb_put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 52 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    pb_check_v6_udp(&d, 22); /* 14 + two 4-byte tags */
}

static void test_packet_vlan_qinq_9100_8100(void **state)
{
    uint8_t f[62];
    size_t n = pb_put_eth(f, 0x9100);

    (void)state;
    n += pb_put_tag(f + n, 300, 0x8100);
    n += pb_put_tag(f + n, 100, 0x0800);
    n += pb_put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 40 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    pb_check_v4_tcp(&d, 22);
}

static void test_packet_vlan_eight_tags_accepted_nine_not(void **state)
{
    uint8_t f[14 + 9 * 4 + 32];

    (void)state;
    for (unsigned tags = 8; tags <= 9; tags++) {
        size_t n = pb_put_eth(f, 0x8100);

        for (unsigned i = 0; i < tags; i++)
            n += pb_put_tag(f + n, (uint16_t)(i + 1), i + 1 < tags ? 0x8100 : 0x0800);
        n += pb_put_v4_udp(f + n);

        struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

        if (tags == 8)
            pb_check_v4_udp(&d, 46); /* 14 + 8 * 4 */
        else
            assert_int_not_equal(d.res, FDXI_DEC_OK);
    }
}

static void test_packet_mpls_two_labels_ipv4(void **state)
{
    uint8_t f[62];
    size_t n = pb_put_eth(f, 0x8847);

    (void)state;
    /* Label entry: label << 12 | TC << 9 | S << 8 | TTL. Label 16 TTL 64, then label 17 with S. */
    pb_put32(f + n, 16u << 12 | 64);
    pb_put32(f + n + 4, 17u << 12 | 1u << 8 | 64);
    n += 8;
    n += pb_put_v4_tcp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 40 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    pb_check_v4_tcp(&d, 22);
}

static void test_packet_mpls_three_labels_ipv6(void **state)
{
    uint8_t f[78];
    size_t n = pb_put_eth(f, 0x8847);

    (void)state;
    pb_put32(f + n, 16u << 12 | 64);
    pb_put32(f + n + 4, 17u << 12 | 64);
    pb_put32(f + n + 8, 18u << 12 | 1u << 8 | 64);
    n += 12;
    n += pb_put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 12 + 52 */

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

    pb_check_v6_udp(&d, 26);
}

static void test_packet_pppoe_ipv4_and_ipv6(void **state)
{
    uint8_t f[74];
    size_t n = pb_put_eth(f, 0x8864);

    (void)state;
    n += pb_put_pppoe(f + n, 0x0021, 32);
    n += pb_put_v4_udp(f + n);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, n);

    pb_check_v4_udp(&d, 22); /* 14 + 6 + 2 */

    n = pb_put_eth(f, 0x8864);
    n += pb_put_pppoe(f + n, 0x0057, 52);
    n += pb_put_v6_udp(f + n);
    assert_int_equal(n, sizeof f); /* 14 + 8 + 52 */
    d = pb_decode(PB_LT_EN10MB, f, n);
    pb_check_v6_udp(&d, 22);
}

static void test_packet_pppoe_lcp_is_non_ip(void **state)
{
    uint8_t f[60];
    size_t n = pb_put_eth(f, 0x8864);

    (void)state;
    n += pb_put_pppoe(f + n, 0xc021, 4);
    memset(f + n, 0, sizeof f - n);

    struct pb_dec d = pb_decode(PB_LT_EN10MB, f, sizeof f);

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
    assert_int_equal(16 + pb_put_v4_udp(f + 16), sizeof f);

    struct pb_dec d = pb_decode(PB_LT_LINUX_SLL, f, sizeof f);

    pb_check_v4_udp(&d, 16);

    /* The same header carrying IPv6: protocol 0x86dd in bytes 14-15. */
    uint8_t f6[68];

    memcpy(f6, sll, sizeof sll);
    pb_put16(f6 + 14, 0x86dd);
    assert_int_equal(16 + pb_put_v6_udp(f6 + 16), sizeof f6);
    d = pb_decode(PB_LT_LINUX_SLL, f6, sizeof f6);
    pb_check_v6_udp(&d, 16);
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
    assert_int_equal(20 + pb_put_v6_udp(f + 20), sizeof f);

    struct pb_dec d = pb_decode(PB_LT_LINUX_SLL2, f, sizeof f);

    pb_check_v6_udp(&d, 20);

    pb_put16(f, 0x0800);
    assert_int_equal(20 + pb_put_v4_udp(f + 20), 52);
    d = pb_decode(PB_LT_LINUX_SLL2, f, 52);
    pb_check_v4_udp(&d, 20);
}

static void test_packet_sll_arp_is_non_ip(void **state)
{
    uint8_t f[48];

    (void)state;
    memset(f, 0, sizeof f);
    pb_put16(f + 2, 1);
    pb_put16(f + 14, 0x0806); /* SLL v1 protocol */
    assert_int_equal(pb_decode(PB_LT_LINUX_SLL, f, sizeof f).res, FDXI_DEC_NON_IP);

    memset(f, 0, sizeof f);
    pb_put16(f, 0x0806); /* SLL v2 protocol */
    assert_int_equal(pb_decode(PB_LT_LINUX_SLL2, f, sizeof f).res, FDXI_DEC_NON_IP);
}

static void test_packet_raw_ip(void **state)
{
    static const int raw_types[] = {PB_LT_RAW, PB_LT_RAW101};
    uint8_t f[52];

    (void)state;
    for (size_t i = 0; i < sizeof raw_types / sizeof raw_types[0]; i++) {
        size_t n = pb_put_v4_udp(f);
        struct pb_dec d = pb_decode(raw_types[i], f, n);

        pb_check_v4_udp(&d, 0);
        n = pb_put_v6_udp(f);
        d = pb_decode(raw_types[i], f, n);
        pb_check_v6_udp(&d, 0);
    }
}

static void test_packet_dlt_ipv4_and_ipv6(void **state)
{
    uint8_t f[52];

    (void)state;
    size_t n = pb_put_v4_udp(f);
    struct pb_dec d = pb_decode(PB_LT_IPV4, f, n);

    pb_check_v4_udp(&d, 0);
    n = pb_put_v6_udp(f);
    d = pb_decode(PB_LT_IPV6, f, n);
    pb_check_v6_udp(&d, 0);
}

static void test_packet_null_both_byte_orders(void **state)
{
    /* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
     * 30 (macOS). */
    static const uint32_t v6_families[] = {10, 24, 28, 30};
    uint8_t f[56];

    (void)state;
    for (int be = 0; be <= 1; be++) {
        size_t n = pb_put_family(f, 2, be);

        n += pb_put_v4_udp(f + n);

        struct pb_dec d = pb_decode(PB_LT_NULL, f, n);

        pb_check_v4_udp(&d, 4);
        for (size_t i = 0; i < sizeof v6_families / sizeof v6_families[0]; i++) {
            n = pb_put_family(f, v6_families[i], be);
            n += pb_put_v6_udp(f + n);
            d = pb_decode(PB_LT_NULL, f, n);
            pb_check_v6_udp(&d, 4);
        }
    }
}

static void test_packet_null_unknown_family_is_non_ip(void **state)
{
    uint8_t f[36];

    (void)state;
    for (int be = 0; be <= 1; be++) {
        /* 7 is AF_ISO on BSD, not IP. */
        size_t n = pb_put_family(f, 7, be);

        n += pb_put_v4_udp(f + n);
        assert_int_equal(pb_decode(PB_LT_NULL, f, n).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_loop_big_endian(void **state)
{
    uint8_t f[56];

    (void)state;
    size_t n = pb_put_family(f, 2, true);

    n += pb_put_v4_udp(f + n);

    struct pb_dec d = pb_decode(PB_LT_LOOP, f, n);

    pb_check_v4_udp(&d, 4);

    n = pb_put_family(f, 30, true);
    n += pb_put_v6_udp(f + n);
    d = pb_decode(PB_LT_LOOP, f, n);
    pb_check_v6_udp(&d, 4);

    /* DLT_LOOP is big-endian only: 02 00 00 00 reads as 0x02000000, no address family. */
    n = pb_put_family(f, 2, false);
    n += pb_put_v4_udp(f + n);
    assert_int_equal(pb_decode(PB_LT_LOOP, f, n).res, FDXI_DEC_NON_IP);
}

/* ---- Not IP, unsupported links ---- */

static void test_packet_arp_is_non_ip(void **state)
{
    uint8_t f[60];
    size_t n = pb_put_eth(f, 0x0806);

    (void)state;
    /* Ethernet/IPv4 request: htype 1, ptype 0x0800, hlen 6, plen 4, op 1, then addresses. */
    pb_put16(f + n, 1);
    pb_put16(f + n + 2, 0x0800);
    f[n + 4] = 6;
    f[n + 5] = 4;
    pb_put16(f + n + 6, 1);
    memset(f + n + 8, 0, sizeof f - n - 8);

    assert_int_equal(pb_decode(PB_LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);

    /* The same request behind a VLAN tag. */
    uint8_t g[64];

    n = pb_put_eth(g, 0x8100);
    n += pb_put_tag(g + n, 100, 0x0806);
    memcpy(g + n, f + 14, 46);
    assert_int_equal(pb_decode(PB_LT_EN10MB, g, sizeof g).res, FDXI_DEC_NON_IP);
}

static void test_packet_8023_length_frame_is_non_ip(void **state)
{
    /* 38 and 1500 are 802.3 lengths (<= 1500); the LLC that follows is STP's 42 42 03. */
    static const uint16_t lengths[] = {38, 1500};
    uint8_t f[60];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        size_t n = pb_put_eth(f, lengths[i]);

        f[n] = 0x42;
        f[n + 1] = 0x42;
        f[n + 2] = 0x03;
        /* An IPv4-looking byte right after the LLC must not be taken for IP. */
        f[n + 3] = 0x45;
        memset(f + n + 4, 0, sizeof f - n - 4);
        assert_int_equal(pb_decode(PB_LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_other_ethertypes_are_non_ip(void **state)
{
    /* LLDP, EAPOL, MPLS multicast, IPX (0x8137), PPPoE discovery */
    static const uint16_t types[] = {0x88cc, 0x888e, 0x8848, 0x8137, 0x8863};
    uint8_t f[60];

    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = pb_put_eth(f, types[i]);

        /* An IPv4 packet after the header must not be decoded under a foreign ethertype. */
        n += pb_put_v4_udp(f + n);
        memset(f + n, 0, sizeof f - n);
        assert_int_equal(pb_decode(PB_LT_EN10MB, f, sizeof f).res, FDXI_DEC_NON_IP);
    }
}

static void test_packet_unknown_linktype_unsupported(void **state)
{
    /* 9 PPP, 105 802.11, 127 radiotap, 147 USER0, plus values no libpcap assigns. */
    static const int types[] = {9, 105, 127, 147, 2, 300, 65535, -1};
    uint8_t f[46];

    (void)state;
    size_t n = pb_put_eth(f, 0x0800);

    n += pb_put_v4_udp(f + n);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(pb_decode(types[i], f, n).res, FDXI_DEC_LINK_UNSUPPORTED);
}

static void test_packet_linktype_supported(void **state)
{
    static const int yes[] = {PB_LT_NULL,   PB_LT_EN10MB, PB_LT_RAW,
                              PB_LT_RAW101, PB_LT_LOOP,   PB_LT_LINUX_SLL,
                              PB_LT_IPV4,   PB_LT_IPV6,   PB_LT_LINUX_SLL2};
    static const int no[] = {9, 105, 127, 147, 2, 300, 65535, -1};

    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(fdxi_packet_linktype_supported(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(fdxi_packet_linktype_supported(no[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
        cmocka_unit_test(test_packet_arp_is_non_ip),
        cmocka_unit_test(test_packet_8023_length_frame_is_non_ip),
        cmocka_unit_test(test_packet_other_ethertypes_are_non_ip),
        cmocka_unit_test(test_packet_unknown_linktype_unsupported),
        cmocka_unit_test(test_packet_linktype_supported),
    };

    return cmocka_run_group_tests_name("packet_link", tests, NULL, NULL);
}
