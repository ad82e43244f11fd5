/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the feature registry and the zadnik set against hand-computed values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feature/feature.h"
#include "flowdx/flowdx.h"

static const struct fdxi_feature_set *Z = &fdxi_feature_set_zadnik;

/* State big enough for the set, aligned as a flow slot's is. */
static _Alignas(16) uint8_t zstate[4096];

static int idx(const char *name)
{
    for (uint32_t i = 0; i < Z->n_features; i++) {
        if (strcmp(Z->feature_names[i], name) == 0)
            return (int)i;
    }
    fail_msg("no feature %s", name);
    return -1;
}

static struct fdxi_packet tcp(uint16_t ip_len, uint8_t ttl, uint16_t win, uint8_t flags,
                              uint32_t payload)
{
    struct fdxi_packet p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.proto = FDXI_PROTO_TCP;
    p.has_ports = true;
    p.ip_len = ip_len;
    p.ttl = ttl;
    p.tcp_window = win;
    p.tcp_flags = flags;
    p.payload_bytes = payload;
    return p;
}

/* Feed packets to a fresh zadnik state; dirs[i] is packet i's direction. */
static void run(const struct fdxi_packet *pkts, const int *dirs, int n, double *out)
{
    assert_true(Z->flow_state_bytes <= sizeof(zstate));
    memset(zstate, 0, sizeof(zstate));
    struct fdxi_flow f;
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < n; i++) {
        f.packets[dirs[i]]++;
        Z->packet(NULL, zstate, &f, &pkts[i], dirs[i]);
    }
    Z->finalise(NULL, zstate, &f, out);
}

static void test_feature_registry_lists_zadnik(void **state)
{
    (void)state;
    assert_true(fdxi_feature_set_count() >= 1);
    assert_ptr_equal(fdxi_feature_set_find("zadnik", 6), Z);
    assert_null(fdxi_feature_set_find("zadni", 5));
    assert_null(fdxi_feature_set_find("zadnikx", 7));
    assert_string_equal(fdx_feature_set_name(0), "zadnik");
}

/* The spec: 32 request features, the same 32 with an r prefix, then oneway. */
static void test_feature_zadnik_names_follow_spec_order(void **state)
{
    (void)state;
    static const char *const dir_names[32] = {
        "sp",   "spl",  "spl2", "minpl", "maxpl", "sttl", "sttl2", "minttl",
        "maxttl", "stw", "stw2", "mintw", "maxtw", "spfs", "slfs", "spss",
        "slss", "sprs", "slrs", "spps",  "slps",  "spas", "slas",  "spus",
        "slus", "spes", "sles", "spcs",  "slcs",  "spd",  "sld",   "spzw"};
    assert_int_equal(Z->n_features, 65);
    char r[16];
    for (int i = 0; i < 32; i++) {
        assert_string_equal(Z->feature_names[i], dir_names[i]);
        snprintf(r, sizeof(r), "r%s", dir_names[i]);
        assert_string_equal(Z->feature_names[32 + i], r);
    }
    assert_string_equal(Z->feature_names[64], "oneway");
}

/*
 * Request: SYN (pl 60, ttl 64, win 64240), pure ACK (40, 64, win 0), PSH+ACK (1500, 60, 65535,
 * 1460 payload bytes). Response: RST+ACK (40, 128, win 0).
 * spl = 1600/3; spl2 = (3*(3600+1600+2250000) - 1600^2)/9 = 4205600/9;
 * sttl = 188/3; sttl2 = (3*11792 - 188^2)/9 = 32/9; stw = 129775/3;
 * spzw: the pure ACK with win 0 counts; the RST+ACK with win 0 does not.
 */
static void test_feature_zadnik_hand_computed_flow(void **state)
{
    (void)state;
    const struct fdxi_packet p[] = {
        tcp(60, 64, 64240, FDXI_TCP_SYN, 0),
        tcp(40, 64, 0, FDXI_TCP_ACK, 0),
        tcp(1500, 60, 65535, FDXI_TCP_PSH | FDXI_TCP_ACK, 1460),
        tcp(40, 128, 0, FDXI_TCP_RST | FDXI_TCP_ACK, 0),
    };
    const int dirs[] = {0, 0, 0, 1};
    double v[65];
    run(p, dirs, 4, v);
    assert_true(v[idx("sp")] == 3);
    assert_true(v[idx("spl")] == 1600.0 / 3);
    assert_true(v[idx("spl2")] == 4205600.0 / 9);
    assert_true(v[idx("minpl")] == 40 && v[idx("maxpl")] == 1500);
    assert_true(v[idx("sttl")] == 188.0 / 3);
    assert_true(v[idx("sttl2")] == 32.0 / 9);
    assert_true(v[idx("minttl")] == 60 && v[idx("maxttl")] == 64);
    assert_true(v[idx("stw")] == 129775.0 / 3);
    assert_true(v[idx("mintw")] == 0 && v[idx("maxtw")] == 65535);
    assert_true(v[idx("spss")] == 1 && v[idx("slss")] == 60);
    assert_true(v[idx("spas")] == 2 && v[idx("slas")] == 770);
    assert_true(v[idx("spps")] == 1 && v[idx("slps")] == 1500);
    assert_true(v[idx("spfs")] == 0 && v[idx("slfs")] == 0);
    assert_true(v[idx("spd")] == 1 && v[idx("sld")] == 1460);
    assert_true(v[idx("spzw")] == 1);
    assert_true(v[idx("rsp")] == 1 && v[idx("rsprs")] == 1 && v[idx("rslrs")] == 40);
    assert_true(v[idx("rspas")] == 1 && v[idx("rspzw")] == 0);
    assert_true(v[idx("rsttl")] == 128 && v[idx("rsttl2")] == 0);
    assert_true(v[idx("oneway")] == 0);
}

/* URG, ECE and CWR land in their own counters, in flag-bit order. */
static void test_feature_zadnik_rare_flags(void **state)
{
    (void)state;
    const struct fdxi_packet p[] = {
        tcp(100, 64, 10, FDXI_TCP_URG | FDXI_TCP_ACK, 60),
        tcp(200, 64, 10, FDXI_TCP_ECE | FDXI_TCP_CWR | FDXI_TCP_ACK, 160),
    };
    const int dirs[] = {1, 1};
    double v[65];
    run(p, dirs, 2, v);
    assert_true(v[idx("rspus")] == 1 && v[idx("rslus")] == 100);
    assert_true(v[idx("rspes")] == 1 && v[idx("rsles")] == 200);
    assert_true(v[idx("rspcs")] == 1 && v[idx("rslcs")] == 200);
    assert_true(v[idx("rspas")] == 2 && v[idx("rslas")] == 150);
    assert_true(v[idx("sp")] == 0 && v[idx("oneway")] == 1);
}

/* UDP: packets, lengths and TTL only; window, flag and data features are 0 (spec). */
static void test_feature_zadnik_non_tcp_has_no_tcp_features(void **state)
{
    (void)state;
    struct fdxi_packet u = tcp(128, 55, 0, 0, 100);
    u.proto = FDXI_PROTO_UDP;
    u.tcp_window = 999;           /* must be ignored for UDP */
    u.tcp_flags = FDXI_TCP_ACK;   /* likewise */
    const struct fdxi_packet p[] = {u, u};
    const int dirs[] = {0, 1};
    double v[65];
    run(p, dirs, 2, v);
    assert_true(v[idx("sp")] == 1 && v[idx("spl")] == 128 && v[idx("sttl")] == 55);
    assert_true(v[idx("stw")] == 0 && v[idx("maxtw")] == 0 && v[idx("spas")] == 0);
    assert_true(v[idx("spd")] == 0 && v[idx("sld")] == 0 && v[idx("rspd")] == 0);
    assert_true(v[idx("oneway")] == 0);
}

/* A non-first fragment (no TCP header) counts for sp, pl and TTL only. */
static void test_feature_zadnik_fragment_counts_length_only(void **state)
{
    (void)state;
    struct fdxi_packet first = tcp(1500, 64, 1000, FDXI_TCP_ACK, 1460);
    struct fdxi_packet rest = tcp(520, 64, 0, 0, 0);
    rest.has_ports = false;
    rest.is_fragment = true;
    const struct fdxi_packet p[] = {first, rest};
    const int dirs[] = {0, 0};
    double v[65];
    run(p, dirs, 2, v);
    assert_true(v[idx("sp")] == 2 && v[idx("spl")] == 1010);
    assert_true(v[idx("stw")] == 1000 && v[idx("mintw")] == 1000); /* one window sample */
    assert_true(v[idx("spas")] == 1 && v[idx("spd")] == 1 && v[idx("spzw")] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feature_registry_lists_zadnik),
        cmocka_unit_test(test_feature_zadnik_names_follow_spec_order),
        cmocka_unit_test(test_feature_zadnik_hand_computed_flow),
        cmocka_unit_test(test_feature_zadnik_rare_flags),
        cmocka_unit_test(test_feature_zadnik_non_tcp_has_no_tcp_features),
        cmocka_unit_test(test_feature_zadnik_fragment_counts_length_only),
    };
    return cmocka_run_group_tests_name("feature", tests, NULL, NULL);
}
