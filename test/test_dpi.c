/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the dpi feature set on the bundled captures, against ndpiReader's verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "packet_build.h"

/*
 * Expected protocols come from ndpiReader, not from this code: the reference outputs of nDPI's
 * own test suite (https://github.com/ntop/nDPI, tests/cfgs/default/result/<capture>.out at commit
 * 3b1286ab, the commit samples/SOURCES.md took the captures from), and
 * Debian 12's ndpiReader 4.2 (`ndpiReader -i CAPTURE -v 2`, package libndpi-bin), which agree on
 * every DoH capture. They are written as ndpiReader writes them: "master.app" ("91.196" is
 * TLS.DoH_DoT), or "app" alone when there is no master. The packet cap, 24, is the documented
 * one (doc/features/dpi.md).
 */
#define DPI_CAP 24

static const char *samples_dir; /* argv[1] */

#define MAX_RECORDS 64
#define MAX_VALUES 64

struct rec {
    char src[64], dst[64]; /* "addr:port", initiator first */
    uint8_t proto;
    uint32_t n;
    double v[MAX_VALUES];
};

static struct rec recs[MAX_RECORDS];
static int n_recs;

static void collect(void *user, const struct fdx_flow_record *r)
{
    (void)user;
    assert_true(n_recs < MAX_RECORDS);
    assert_true(r->n_features <= MAX_VALUES);
    struct rec *o = &recs[n_recs++];
    char a[INET6_ADDRSTRLEN];
    int af = r->ip_version == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, r->src_addr, a, sizeof(a));
    snprintf(o->src, sizeof(o->src), "%s:%u", a, r->src_port);
    inet_ntop(af, r->dst_addr, a, sizeof(a));
    snprintf(o->dst, sizeof(o->dst), "%s:%u", a, r->dst_port);
    o->proto = r->proto;
    o->n = r->n_features;
    memcpy(o->v, r->features, r->n_features * sizeof(double));
}

static fdx_engine *engine(const char *sets, uint64_t active_timeout_us)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = sets;
    o.on_flow = collect;
    if (active_timeout_us != 0)
        o.active_timeout_us = active_timeout_us;
    n_recs = 0;
    fdx_engine *e = NULL;
    char err[256];
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("fdx_engine_new(%s): %s", sets, err);
    return e;
}

static void sample_path(char *buf, size_t len, const char *rel)
{
    int n = snprintf(buf, len, "%s/%s", samples_dir, rel);
    assert_true(n > 0 && (size_t)n < len);
}

/*
 * Feed the capture @p rel; packet number @p dup (1-based; 0: none) is fed @p extra more times
 * right after itself. Returns the number of packets read.
 */
static int feed_capture(fdx_engine *e, const char *rel, int dup, int extra)
{
    char path[4096], err[512];
    sample_path(path, sizeof(path), rel);
    fdx_capture *c = NULL;
    if (fdx_capture_open_file(path, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    int lt = fdx_capture_linktype(c);
    struct fdx_capture_packet p;
    int n = 0;
    while (fdx_capture_next(c, &p, err, sizeof(err)) == 1) {
        n++;
        int times = n == dup ? 1 + extra : 1;
        for (int k = 0; k < times; k++)
            fdx_engine_feed(e, lt, p.ts_us, p.data, p.caplen, p.wirelen);
    }
    fdx_capture_free(c);
    return n;
}

static int run(const char *sets, const char *rel)
{
    fdx_engine *e = engine(sets, 0);
    feed_capture(e, rel, 0, 0);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    return n_recs;
}

/* The record's protocol as ndpiReader writes it; values at @p at (dpi_master, dpi_app). */
static void proto_text(const struct rec *r, uint32_t at, char *buf, size_t len)
{
    unsigned master = (unsigned)r->v[at], app = (unsigned)r->v[at + 1];
    if (master != 0 && master != app)
        snprintf(buf, len, "%u.%u", master, app);
    else
        snprintf(buf, len, "%u", app);
}

static void assert_proto(const struct rec *r, uint32_t at, const char *want)
{
    char got[32];
    proto_text(r, at, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s -> %s: nDPI %s, ndpiReader %s", r->src, r->dst, got, want);
}

static void test_dpi_lists_its_three_values(void **state)
{
    (void)state;
    fdx_engine *e = engine("dpi", 0);
    assert_int_equal(fdx_engine_feature_count(e), 3);
    assert_string_equal(fdx_engine_feature_name(e, 0), "dpi_master");
    assert_string_equal(fdx_engine_feature_name(e, 1), "dpi_app");
    assert_string_equal(fdx_engine_feature_name(e, 2), "dpi_doh");
    fdx_engine_free(e);
}

/* dns_doh.pcap.ndpiReader.out: one flow, 172.20.10.4:49877 <-> 104.16.248.249:443 [proto:
 * 91.196/TLS.DoH_DoT], SNI mozilla.cloudflare-dns.com. */
static void test_dpi_dns_doh_is_doh_dot(void **state)
{
    (void)state;
    assert_int_equal(run("dpi", "doh/ndpi/dns_doh.pcap"), 1);
    assert_string_equal(recs[0].src, "172.20.10.4:49877");
    assert_string_equal(recs[0].dst, "104.16.248.249:443");
    assert_int_equal(recs[0].proto, 6);
    assert_proto(&recs[0], 0, "91.196");
    assert_true(recs[0].v[2] == 1.0);
}

/* dns_dot.pcap.ndpiReader.out: 192.168.1.185:58290 <-> 8.8.8.8:853 [proto: 91.196]. The client
 * sends no SNI: nDPI decides from the server's certificate (dns.google), so the set must keep
 * feeding nDPI after it has said TLS. */
static void test_dpi_dns_dot_decided_from_certificate(void **state)
{
    (void)state;
    assert_int_equal(run("dpi", "doh/ndpi/dns_dot.pcap"), 1);
    assert_string_equal(recs[0].dst, "8.8.8.8:853");
    assert_proto(&recs[0], 0, "91.196");
    assert_true(recs[0].v[2] == 1.0);
}

/* dnscrypt-v2-doh.pcap.ndpiReader.out: 34 flows, every one [proto: 91.196/TLS.DoH_DoT], on
 * ports 443, 453 and 8443. */
static void test_dpi_dnscrypt_flows_are_all_doh(void **state)
{
    (void)state;
    assert_int_equal(run("dpi", "doh/ndpi/dnscrypt-v2-doh.pcap"), 34);
    for (int i = 0; i < n_recs; i++) {
        assert_proto(&recs[i], 0, "91.196");
        assert_true(recs[i].v[2] == 1.0);
    }
}

/* doh.pcapng.ndpiReader.out: 192.168.1.253:35996 <-> 1.1.1.1:443 [proto: 91/TLS], no SNI: TLS
 * but not DoH for nDPI. flowdx cuts the 122.8 s connection at the 120 s active timeout. */
static void test_dpi_tls_without_sni_is_not_doh(void **state)
{
    (void)state;
    assert_int_equal(run("dpi", "doh/ndpi/doh.pcapng"), 2);
    for (int i = 0; i < n_recs; i++) {
        assert_proto(&recs[i], 0, "91");
        assert_true(recs[i].v[2] == 0.0);
    }
}

/* ndpiReader 4.2 -v 2 on the spam captures (no DoH anywhere), by endpoint pair. */
static const struct {
    const char *capture, *a, *b, *proto;
} spam_expected[] = {
    {"spam/ndpi/emotet.pcap", "10.2.25.102:57309", "193.252.22.84:587", "3"},
    {"spam/ndpi/emotet.pcap", "10.3.29.101:56309", "104.161.127.22:80", "7"},
    {"spam/ndpi/emotet.pcap", "10.4.20.102:54319", "107.161.178.210:80", "7"},
    {"spam/ndpi/emotet.pcap", "10.4.25.101:49797", "77.105.36.156:80", "7"},
    {"spam/ndpi/emotet.pcap", "10.4.25.101:49803", "138.197.147.101:443", "91"},
    {"spam/ndpi/emotet.pcap", "10.4.25.101:49804", "138.197.147.101:443", "91"},
    {"spam/ndpi/smtp.pcap", "194.7.248.153:2127", "172.16.114.207:25", "3"},
    {"spam/ndpi/smtps.pcapng", "62.43.36.99:37682", "21.65.95.132:465", "29"},
    {"spam/zeek/smtp-multi-addr.pcap", "188.184.129.157:35119", "188.184.36.24:25", "3"},
    {"spam/zeek/smtp.pcap", "10.10.1.4:1470", "74.53.140.153:25", "3"},
    {"spam/zeek/smtp.pcap", "10.10.1.4:56166", "10.10.1.1:53", "5"},
    {"spam/zeek/smtp.pcap", "192.168.133.100:49285", "66.196.121.26:5050", "0"},
    {"spam/zeek/smtp.pcap", "192.168.133.100:49648", "192.168.133.102:25", "3"},
    {"spam/zeek/smtp.pcap", "192.168.133.100:49336", "74.125.71.189:443", "91.126"},
    {"spam/zeek/smtp.pcap", "192.168.133.100:49153", "17.172.238.21:5223", "238"},
    {"spam/zeek/smtp.pcap", "192.168.133.100:49655", "17.167.150.73:443", "91.143"},
};

static const char *const spam_captures[] = {
    "spam/ndpi/emotet.pcap",
    "spam/ndpi/smtp.pcap",
    "spam/ndpi/smtps.pcapng",
    "spam/zeek/smtp-attachment-msg.pcap",
    "spam/zeek/smtp-multi-addr.pcap",
    "spam/zeek/smtp-one-side-only.pcap",
    "spam/zeek/smtp.pcap",
};

static void test_dpi_spam_captures_have_no_doh(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t c = 0; c < sizeof(spam_captures) / sizeof(spam_captures[0]); c++) {
        const char *cap = spam_captures[c];
        assert_true(run("dpi", cap) > 0);
        for (int i = 0; i < n_recs; i++) {
            if (recs[i].v[2] != 0.0)
                fail_msg("%s: %s -> %s: dpi_doh %g", cap, recs[i].src, recs[i].dst, recs[i].v[2]);
        }
        for (size_t k = 0; k < sizeof(spam_expected) / sizeof(spam_expected[0]); k++) {
            if (strcmp(spam_expected[k].capture, cap) != 0)
                continue;
            int found = 0;
            for (int i = 0; i < n_recs; i++) {
                const struct rec *r = &recs[i];
                if ((strcmp(r->src, spam_expected[k].a) == 0 &&
                     strcmp(r->dst, spam_expected[k].b) == 0) ||
                    (strcmp(r->src, spam_expected[k].b) == 0 &&
                     strcmp(r->dst, spam_expected[k].a) == 0)) {
                    assert_proto(r, 0, spam_expected[k].proto);
                    found++;
                }
            }
            if (found != 1)
                fail_msg("%s: %s <-> %s: %d records", cap, spam_expected[k].a, spam_expected[k].b,
                         found);
            checked++;
        }
    }
    assert_int_equal(checked, sizeof(spam_expected) / sizeof(spam_expected[0]));
}

/* With the dpi set after doh, the doh values are those of doh alone, and every flow has one
 * record: the sets do not disturb each other. */
static void test_dpi_combines_with_doh(void **state)
{
    (void)state;
    static struct rec alone[MAX_RECORDS];
    int n = run("doh", "doh/ndpi/dnscrypt-v2-doh.pcap");
    memcpy(alone, recs, sizeof(alone));
    assert_int_equal(run("doh,dpi", "doh/ndpi/dnscrypt-v2-doh.pcap"), n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(alone[i].n, 29);
        assert_int_equal(recs[i].n, 32);
        assert_string_equal(recs[i].src, alone[i].src);
        for (uint32_t k = 0; k < 29; k++) {
            if (memcmp(&recs[i].v[k], &alone[i].v[k], sizeof(double)) != 0 &&
                !(isnan(recs[i].v[k]) && isnan(alone[i].v[k])))
                fail_msg("flow %d value %u: %g with dpi, %g alone", i, k, recs[i].v[k],
                         alone[i].v[k]);
        }
        assert_proto(&recs[i], 29, "91.196");
    }
}

/*
 * The continuations of a connection cut by the active timeout start past the TLS handshake;
 * they keep the first record's verdict. dns_doh.pcap lasts 3.24 s: with a 1 s active timeout
 * it becomes several records, every one DoH_DoT as ndpiReader says of the connection.
 */
static void test_dpi_continuations_keep_the_verdict(void **state)
{
    (void)state;
    fdx_engine *e = engine("dpi", 1000000);
    feed_capture(e, "doh/ndpi/dns_doh.pcap", 0, 0);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    assert_true(n_recs >= 3);
    for (int i = 0; i < n_recs; i++)
        assert_proto(&recs[i], 0, "91.196");
}

/* The server name of each record, from fdx_engine_dpi_server() inside on_flow. */
static fdx_engine *named_engine;
static char names_seen[MAX_RECORDS][64];
static int n_named;

static void collect_server(void *user, const struct fdx_flow_record *r)
{
    collect(user, r);
    assert_true(n_named < MAX_RECORDS);
    const char *got = fdx_engine_dpi_server(named_engine, names_seen[n_named], 64);
    if (got == NULL)
        names_seen[n_named][0] = '\0';
    n_named++;
}

/*
 * The continuations keep the server name too (tools/probe.c matches it against
 * allowlist.server_names). dns_doh.pcap's ClientHello, its 4th packet, names
 * mozilla.cloudflare-dns.com (tshark's tls.handshake.extensions_server_name, and the SNI in
 * dns_doh.pcap.ndpiReader.out); cut by a 1 s active timeout, every record of the 3.24 s
 * connection carries that name.
 */
static void test_dpi_continuations_keep_the_server_name(void **state)
{
    (void)state;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "dpi";
    o.on_flow = collect_server;
    o.active_timeout_us = 1000000;
    n_recs = 0;
    n_named = 0;
    char err[256];
    if (fdx_engine_new(&o, &named_engine, err, sizeof(err)) != 0)
        fail_msg("fdx_engine_new: %s", err);
    feed_capture(named_engine, "doh/ndpi/dns_doh.pcap", 0, 0);
    fdx_engine_flush(named_engine);
    fdx_engine_free(named_engine);
    named_engine = NULL;
    assert_true(n_named >= 3);
    for (int i = 0; i < n_named; i++) {
        if (strcmp(names_seen[i], "mozilla.cloudflare-dns.com") != 0)
            fail_msg("record %d of %d: server name '%s'", i, n_named, names_seen[i]);
    }
}

/*
 * The cap: dns_doh.pcap's 4th packet is the ClientHello that names mozilla.cloudflare-dns.com.
 * Repeating the 3rd (an empty ACK) 20 times makes the ClientHello the 24th packet, which nDPI
 * still sees; 21 times pushes it past the cap, and the flow is not DoH for nDPI.
 */
static int doh_with_acks_before_hello(int extra)
{
    fdx_engine *e = engine("dpi", 0);
    feed_capture(e, "doh/ndpi/dns_doh.pcap", 3, extra);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    assert_int_equal(n_recs, 1);
    return (int)recs[0].v[2];
}

static void test_dpi_inspects_at_most_24_packets(void **state)
{
    (void)state;
    assert_int_equal(doh_with_acks_before_hello(DPI_CAP - 4), 1);
    assert_int_equal(doh_with_acks_before_hello(DPI_CAP - 3), 0);
}

/* An engine freed with flows still under inspection releases nDPI's state (the sanitizer
 * build's leak checker fails this test otherwise); so does one that never saw a packet. */
static void test_dpi_engine_free_with_open_flows(void **state)
{
    (void)state;
    fdx_engine *e = engine("doh,dpi", 0);
    char path[4096], err[512];
    sample_path(path, sizeof(path), "doh/ndpi/dnscrypt-v2-doh.pcap");
    fdx_capture *c = NULL;
    assert_int_equal(fdx_capture_open_file(path, NULL, &c, err, sizeof(err)), 0);
    struct fdx_capture_packet p;
    for (int i = 0; i < 40 && fdx_capture_next(c, &p, err, sizeof(err)) == 1; i++)
        fdx_engine_feed(e, fdx_capture_linktype(c), p.ts_us, p.data, p.caplen, p.wirelen);
    fdx_capture_free(c);
    struct fdx_engine_stats s = {.struct_size = sizeof(s)};
    fdx_engine_stats(e, &s);
    assert_true(s.active_flows > 0);
    fdx_engine_free(e);
    fdx_engine_free(engine("dpi", 0));
}

/*
 * nDPI 4.2 walks IPv6 extension headers itself, not as lib/packet does: it skips Mobility (135)
 * but stops at AH (51). Packets that it would read with another transport protocol than the
 * flow's are not given to it; otherwise nDPI's flow takes the last packet's protocol, and
 * ndpi_free_flow_data() no longer frees the TLS buffer the TCP packet made (the sanitizer
 * build's leak checker fails this test then), or frees a UDP field that overlays TCP state.
 * The flows: IPv6/Mobility/TCP with a payload (nDPI: TCP; flowdx: 135) then
 * IPv6/AH/Mobility (nDPI: 51; flowdx: 135), as a fuzzer found; and a TCP flow whose second
 * packet carries AH (nDPI: 51), which must read as its first packet alone does.
 */
/* Payload no dissector decides on, which nDPI's TLS dissector copies into a buffer it allocates. */
static const uint8_t undecided[] = {0x26, 0xea, 0x10, 0x61, 0xcd, 0xa4, 0xea, 0x16, 0x2f, 0x02};

static size_t v6_tcp_undecided(uint8_t *b, bool via_mobility)
{
    size_t ext = via_mobility ? 8 : 0;
    size_t n = pb_put_ipv6(b, (uint16_t)(ext + 20 + sizeof(undecided)),
                           via_mobility ? 135 : FDXI_PROTO_TCP);
    if (via_mobility)
        n += pb_put_ext(b + n, FDXI_PROTO_TCP, 0);
    n += pb_put_tcp(b + n, (struct pb_tcp){.sport = 40000,
                                           .dport = 443,
                                           .seq = 1,
                                           .ack = 1,
                                           .flags = FDXI_TCP_ACK | FDXI_TCP_PSH,
                                           .window = 512});
    memcpy(b + n, undecided, sizeof(undecided));
    return n + sizeof(undecided);
}

static void feed_raw(fdx_engine *e, uint64_t ts, const uint8_t *b, size_t n)
{
    fdx_engine_feed(e, 101 /* LINKTYPE_RAW */, ts, b, (uint32_t)n, (uint32_t)n);
}

static void test_dpi_other_transport_to_ndpi_not_given(void **state)
{
    (void)state;
    uint8_t a[128], b[128];
    /* Mobility then TCP, then AH then Mobility: one flowdx flow of protocol 135. */
    size_t na = v6_tcp_undecided(a, true);
    size_t nb = pb_put_ipv6(b, 12 + 8, 51);
    nb += pb_put_ah(b + nb, 135, 1);
    nb += pb_put_ext(b + nb, 59, 0);
    fdx_engine *e = engine("dpi", 0);
    feed_raw(e, 1000000, a, na);
    feed_raw(e, 2000000, b, nb);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    assert_int_equal(n_recs, 1);
    assert_int_equal(recs[0].proto, 135);
    assert_int_equal(recs[0].v[0], 0);
    assert_int_equal(recs[0].v[1], 0);

    /* TCP, then the same TCP connection behind AH. */
    na = v6_tcp_undecided(a, false);
    nb = pb_put_ipv6(b, (uint16_t)(12 + 20 + sizeof(undecided)), 51);
    size_t ah = pb_put_ah(b + nb, FDXI_PROTO_TCP, 1);
    memcpy(b + nb + ah, a + 40, na - 40);
    nb += ah + na - 40;
    e = engine("dpi", 0);
    feed_raw(e, 1000000, a, na);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    assert_int_equal(n_recs, 1);
    double alone[2] = {recs[0].v[0], recs[0].v[1]};
    e = engine("dpi", 0);
    feed_raw(e, 1000000, a, na);
    feed_raw(e, 2000000, b, nb);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    assert_int_equal(n_recs, 1);
    assert_int_equal(recs[0].proto, FDXI_PROTO_TCP);
    assert_true(recs[0].v[0] == alone[0] && recs[0].v[1] == alone[1]);
}

/* fdx_engine_dpi_name: the name ndpiReader prints for dns_doh.pcap's flow ("[proto:
 * 91.196/TLS.DoH_DoT]" in dns_doh.pcap.ndpiReader.out), after the doh values when both sets
 * run; NULL for an engine without the dpi set. */
static void test_dpi_protocol_name(void **state)
{
    (void)state;
    fdx_engine *e = engine("doh,dpi", 0);
    feed_capture(e, "doh/ndpi/dns_doh.pcap", 0, 0);
    fdx_engine_flush(e);
    assert_int_equal(n_recs, 1);
    struct fdx_flow_record r = {.features = recs[0].v, .n_features = recs[0].n};
    char name[64];
    const char *got = fdx_engine_dpi_name(e, &r, name, sizeof(name));
    assert_non_null(got);
    assert_string_equal(got, "TLS.DoH_DoT");
    fdx_engine_free(e);
    e = engine("doh", 0);
    r.n_features = 29;
    assert_null(fdx_engine_dpi_name(e, &r, name, sizeof(name)));
    fdx_engine_free(e);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SAMPLES_DIR\n", argv[0]);
        return 2;
    }
    samples_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpi_lists_its_three_values),
        cmocka_unit_test(test_dpi_dns_doh_is_doh_dot),
        cmocka_unit_test(test_dpi_protocol_name),
        cmocka_unit_test(test_dpi_dns_dot_decided_from_certificate),
        cmocka_unit_test(test_dpi_dnscrypt_flows_are_all_doh),
        cmocka_unit_test(test_dpi_tls_without_sni_is_not_doh),
        cmocka_unit_test(test_dpi_spam_captures_have_no_doh),
        cmocka_unit_test(test_dpi_combines_with_doh),
        cmocka_unit_test(test_dpi_continuations_keep_the_verdict),
        cmocka_unit_test(test_dpi_continuations_keep_the_server_name),
        cmocka_unit_test(test_dpi_inspects_at_most_24_packets),
        cmocka_unit_test(test_dpi_engine_free_with_open_flows),
        cmocka_unit_test(test_dpi_other_transport_to_ndpi_not_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
