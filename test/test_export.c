/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the IPFIX exporter: destinations, encodings, element ids, and a file read back. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/ipfix.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"
#include "flowdx/flowdx_plugin.h"
#include "ipfix_util.h"
#include "packet_build.h"
#include "scratch.h"

#define PEN 32473u
#define LOOPBACK "127.0.0.1"

/* ---- destinations ---- */

static void test_export_dest_reads_files_udp_and_tcp(void **state)
{
    (void)state;
    struct fdxi_ipfix_dest d;
    assert_int_equal(fdxi_ipfix_dest_parse("out/flows.ipfix", &d, NULL, 0), 0);
    assert_int_equal(d.kind, FDXI_DEST_FILE);
    assert_string_equal(d.path, "out/flows.ipfix");
    assert_int_equal(fdxi_ipfix_dest_parse("udp://127.0.0.1:9995", &d, NULL, 0), 0);
    assert_int_equal(d.kind, FDXI_DEST_UDP);
    assert_string_equal(d.host, "127.0.0.1");
    assert_string_equal(d.port, "9995");
    assert_int_equal(fdxi_ipfix_dest_parse("tcp://collector.example.net:65535", &d, NULL, 0), 0);
    assert_int_equal(d.kind, FDXI_DEST_TCP);
    assert_string_equal(d.host, "collector.example.net");
    assert_string_equal(d.port, "65535");
    assert_int_equal(fdxi_ipfix_dest_parse("udp://[2001:db8::1]:4740", &d, NULL, 0), 0);
    assert_string_equal(d.host, "2001:db8::1");
    assert_string_equal(d.port, "4740");
    /* No port: IANA's IPFIX port, 4739 (RFC 7011, section 10). */
    assert_int_equal(fdxi_ipfix_dest_parse("tcp://[::1]", &d, NULL, 0), 0);
    assert_string_equal(d.host, "::1");
    assert_string_equal(d.port, "4739");
    assert_int_equal(fdxi_ipfix_dest_parse("udp://localhost", &d, NULL, 0), 0);
    assert_string_equal(d.port, "4739");
}

static void test_export_dest_refuses_malformed_urls(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"", "no IPFIX destination"},
        {"udp://", "no host"},
        {"udp://:4739", "no host"},
        {"udp://collector:0", "port '0'"},
        {"udp://collector:65536", "port '65536'"},
        {"udp://collector:", "port ''"},
        {"udp://collector:47x9", "port '47x9'"},
        {"udp://collector:4739/path", "port '4739/path'"},
        {"udp://::1:4739", "in brackets"},
        {"udp://[::1", "between '[' and ']'"},
        {"udp://[not-v6]:4739", "not an IPv6 address"},
        {"udp://[::1]4739", "unexpected '4739'"},
        {"udp://bad host:4739", "not a host name"},
        {"sctp://collector:4739", "unknown transport 'sctp'"},
        {"https://collector", "unknown transport 'https'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fdxi_ipfix_dest d = {.kind = 99};
        char err[256] = "";
        assert_int_equal(fdxi_ipfix_dest_parse(bad[i].text, &d, err, sizeof(err)), FDX_EINVAL);
        if (strstr(err, bad[i].says) == NULL)
            fail_msg("'%s': '%s' does not say '%s'", bad[i].text, err, bad[i].says);
        assert_int_equal(d.kind, 99); /* untouched on failure */
        /* the public check says the same */
        char err2[256] = "";
        assert_int_equal(fdx_ipfix_check_destination(bad[i].text, err2, sizeof(err2)), FDX_EINVAL);
        assert_string_equal(err2, err);
    }
    assert_int_equal(fdx_ipfix_check_destination(NULL, NULL, 0), FDX_EINVAL);
    assert_int_equal(fdx_ipfix_check_destination("udp://[2001:db8::1]:4740", NULL, 0), 0);
    assert_int_equal(fdx_ipfix_check_destination("out/flows.ipfix", NULL, 0), 0);
}

/* ---- value encodings ---- */

static void test_export_end_reasons_follow_rfc5102(void **state)
{
    (void)state;
    /* RFC 5102 flowEndReason: 1 idle timeout, 2 active timeout, 3 end of flow detected (FIN,
     * RST), 4 forced end, 5 lack of resources (doc/ipfix.md, "End reasons"). */
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_IDLE), 1);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_ACTIVE), 2);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_FIN), 3);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_RST), 3);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_EVICTED), 5);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_EOF), 4);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_CUT), 2);
    assert_int_equal(fdxi_ipfix_end_reason(FDX_END_CLOCK), 4);
    assert_int_equal(fdxi_ipfix_end_reason(1000), 4);
}

static void test_export_times_are_ntp_timestamps(void **state)
{
    (void)state;
    /* RFC 5905: NTP seconds count from 1900-01-01; the Unix epoch is 2,208,988,800 s later. */
    assert_true(fdxi_ipfix_time_us(0) == UINT64_C(2208988800) << 32);
    /* Half a second is 2^31 in the 32-bit fraction, a quarter 2^30. */
    assert_true(fdxi_ipfix_time_us(500000) == (UINT64_C(2208988800) << 32 | UINT64_C(0x80000000)));
    assert_true(fdxi_ipfix_time_us(1250000) == (UINT64_C(2208988801) << 32 | UINT64_C(0x40000000)));
    /* 1 us = 4294.97 units of 2^-32 s; the next multiple of 2^11 (low 11 bits zero, RFC 7011
     * 6.1.9) is 6144. 999,999 us = 4294963001.0 units: next multiple 4294963200. */
    assert_true((fdxi_ipfix_time_us(1) & 0xffffffffu) == 6144);
    assert_true((fdxi_ipfix_time_us(999999) & 0xffffffffu) == UINT64_C(4294963200));
    /* 2036-02-07 06:28:16 UTC (2,085,978,496 s) is 2^32 NTP seconds: era 1 starts at 0. */
    assert_true(fdxi_ipfix_time_us(UINT64_C(2085978496) * 1000000) >> 32 == 0);
    /* Every microsecond reads back, whether the reader truncates or rounds. */
    for (uint64_t us = 0; us < 1000000; us++) {
        uint64_t frac = fdxi_ipfix_time_us(us) & 0xffffffffu;
        assert_true((frac & 0x7ff) == 0);
        if ((frac * 1000000) >> 32 != us || (frac * 1000000 + (UINT64_C(1) << 31)) >> 32 != us)
            fail_msg("%llu us does not read back", (unsigned long long)us);
    }
}

static void test_export_integers_round_and_clamp(void **state)
{
    (void)state;
    assert_true(fdxi_ipfix_unsigned(2.4, 4) == 2);
    assert_true(fdxi_ipfix_unsigned(2.5, 4) == 3);
    assert_true(fdxi_ipfix_unsigned(NAN, 8) == 0);
    assert_true(fdxi_ipfix_unsigned(-7, 8) == 0);
    assert_true(fdxi_ipfix_unsigned(300, 1) == 255);
    assert_true(fdxi_ipfix_unsigned(65535.4, 2) == 65535);
    assert_true(fdxi_ipfix_unsigned(4294967296.0, 4) == UINT32_MAX);
    assert_true(fdxi_ipfix_unsigned(1e30, 8) == UINT64_MAX);
    assert_true(fdxi_ipfix_unsigned(INFINITY, 8) == UINT64_MAX);
    assert_true(fdxi_ipfix_unsigned(9007199254740993.0, 8) == UINT64_C(9007199254740992));
}

/* ---- element layouts ---- */

static fdx_engine *engine_of(const char *sets, fdx_plugin_inst *const *plugins, uint32_t n,
                             fdx_flow_fn on_flow, void *user)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = sets;
    o.plugins = plugins;
    o.n_plugins = n;
    o.on_flow = on_flow;
    o.user = user;
    fdx_engine *e = NULL;
    char err[256];
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return e;
}

static const struct fdxi_ipfix_element *of_value(const struct fdxi_ipfix_layout *l,
                                                 const fdx_engine *e, const char *name)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const struct fdxi_ipfix_element *el = &l->el[i];
        if (el->src == FDXI_SRC_VALUE && strcmp(fdx_engine_feature_name(e, el->index), name) == 0)
            return el;
    }
    fail_msg("no element for %s", name);
    return NULL;
}

static const struct fdxi_ipfix_element *named(const struct fdxi_ipfix_layout *l, const char *name)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (strcmp(l->el[i].name, name) == 0)
            return &l->el[i];
    }
    fail_msg("no element named %s", name);
    return NULL;
}

static void expect(const struct fdxi_ipfix_element *el, uint32_t pen, uint32_t id, const char *name,
                   uint32_t type)
{
    assert_int_equal(el->pen, pen);
    assert_int_equal(el->id, id);
    assert_string_equal(el->name, name);
    assert_int_equal(el->type, type);
}

static void test_export_zadnik_elements(void **state)
{
    (void)state;
    fdx_engine *e = engine_of("zadnik", NULL, 0, NULL, NULL);
    struct fdxi_ipfix_layout *l = NULL;
    const char *det[] = {"spam"};
    char err[256];
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, det, 1, &l, err, sizeof(err)), 0);
    /* doc/features/zadnik.md: sp is value 0, spl 1, rsp 32, rspl 33, oneway 64. The block starts
     * at 9000 (doc/ipfix.md); an r-twin is its twin's element with the RFC 5103 reverse bit
     * 0x4000: 9000 | 0x4000 = 25384. */
    expect(of_value(l, e, "sp"), PEN, 9000, "fdxZadnikSp", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "spl"), PEN, 9001, "fdxZadnikSpl", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "rsp"), PEN, 25384, "reverseFdxZadnikSp", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "rspl"), PEN, 25385, "reverseFdxZadnikSpl", FDXI_IE_FLOAT64);
    /* slcs is value 28 (index column "28 / 60"): rslcs is element 9028 | 0x4000. */
    expect(of_value(l, e, "rslcs"), PEN, 9028 | 0x4000, "reverseFdxZadnikSlcs", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "oneway"), PEN, 9064, "fdxZadnikOneway", FDXI_IE_FLOAT64);
    /* IANA's elements (RFC 7012 registry) and the RFC 5103 reverse counters (PEN 29305). */
    expect(named(l, "flowId"), 0, 148, "flowId", FDXI_IE_UNSIGNED64);
    expect(named(l, "sourceIPv4Address"), 0, 8, "sourceIPv4Address", FDXI_IE_IPV4);
    expect(named(l, "destinationIPv6Address"), 0, 28, "destinationIPv6Address", FDXI_IE_IPV6);
    expect(named(l, "flowStartMicroseconds"), 0, 154, "flowStartMicroseconds", FDXI_IE_DATETIME_US);
    /* dateTimeMilliseconds is type 15 (IANA "IPFIX Information Element Data Types") */
    expect(named(l, "flowStartMilliseconds"), 0, 152, "flowStartMilliseconds", 15);
    expect(named(l, "flowEndMilliseconds"), 0, 153, "flowEndMilliseconds", 15);
    expect(named(l, "flowEndReason"), 0, 136, "flowEndReason", FDXI_IE_UNSIGNED8);
    expect(named(l, "reversePacketDeltaCount"), 29305, 2, "reversePacketDeltaCount",
           FDXI_IE_UNSIGNED64);
    expect(named(l, "reverseOctetDeltaCount"), 29305, 1, "reverseOctetDeltaCount",
           FDXI_IE_UNSIGNED64);
    expect(named(l, "fdxEndReason"), PEN, 8200, "fdxEndReason", FDXI_IE_UNSIGNED8);
    expect(named(l, "fdxSegment"), PEN, 8201, "fdxSegment", FDXI_IE_UNSIGNED32);
    /* The spam detector's slot: 8310, 8311, 8312. */
    expect(named(l, "fdxSpamVerdict"), PEN, 8310, "fdxSpamVerdict", FDXI_IE_UNSIGNED8);
    expect(named(l, "fdxSpamScore"), PEN, 8311, "fdxSpamScore", FDXI_IE_FLOAT64);
    expect(named(l, "fdxSpamLabel"), PEN, 8312, "fdxSpamLabel", FDXI_IE_STRING);
    assert_int_equal(named(l, "fdxSpamLabel")->len, 0xffff);
    /* 17 identifiers (two of them IPv6-only), end reason and segment, 65 values, 3 verdict. */
    assert_int_equal(l->n, 17 + 2 + 65 + 3);
    assert_int_equal(l->n_values, 65);
    assert_int_equal(l->n_slots, 1);
    fdxi_ipfix_layout_free(l);
    fdx_engine_free(e);
}

static void test_export_doh_received_is_reverse_of_sent(void **state)
{
    (void)state;
    fdx_engine *e = engine_of("doh", NULL, 0, NULL, NULL);
    struct fdxi_ipfix_layout *l = NULL;
    assert_int_equal(fdxi_ipfix_layout_new(e, 7, NULL, 0, &l, NULL, 0), 0);
    /* doc/features/doh.md: Duration 1, FlowBytesSent 2, FlowSentRate 3, FlowBytesReceived 4,
     * FlowReceivedRate 5 (1-based); block 10000. */
    expect(of_value(l, e, "Duration"), 7, 10000, "fdxDohIpDuration", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "FlowBytesSent"), 7, 10001, "fdxDohIpFlowBytesSent", FDXI_IE_FLOAT64);
    expect(of_value(l, e, "FlowBytesReceived"), 7, 10001 | 0x4000, "reverseFdxDohIpFlowBytesSent",
           FDXI_IE_FLOAT64);
    expect(of_value(l, e, "FlowReceivedRate"), 7, 10002 | 0x4000, "reverseFdxDohIpFlowSentRate",
           FDXI_IE_FLOAT64);
    expect(of_value(l, e, "PacketLengthVariance"), 7, 10005, "fdxDohIpPacketLengthVariance",
           FDXI_IE_FLOAT64);
    fdxi_ipfix_layout_free(l);
    fdx_engine_free(e);
}

static void test_export_every_builtin_set_has_a_block(void **state)
{
    (void)state;
    uint32_t bases[16];
    uint32_t n = fdx_feature_set_count();
    assert_true(n > 0 && n <= 16);
    for (uint32_t i = 0; i < n; i++) {
        const char *name = fdx_feature_set_name(i);
        bases[i] = fdxi_ipfix_block_base(name);
        if (bases[i] == 0)
            fail_msg("feature set %s has no IPFIX element block", name);
        /* flowdx's own range, below the reverse bit; blocks 1000 apart do not overlap. */
        assert_true(bases[i] >= FDXI_IPFIX_OWN_FIRST && bases[i] + 1000 <= 0x4000);
        for (uint32_t j = 0; j < i; j++)
            assert_true(bases[i] >= bases[j] + 1000 || bases[j] >= bases[i] + 1000);
        /* The set builds a layout on its own (doh:dohlyzer runs alone). */
        fdx_engine *e = engine_of(name, NULL, 0, NULL, NULL);
        struct fdxi_ipfix_layout *l = NULL;
        char err[256];
        if (fdxi_ipfix_layout_new(e, PEN, NULL, 0, &l, err, sizeof(err)) != 0)
            fail_msg("%s: %s", name, err);
        assert_true(fdx_engine_feature_count(e) <= 1000);
        fdxi_ipfix_layout_free(l);
        fdx_engine_free(e);
    }
    assert_int_equal(fdxi_ipfix_block_base("nosuchset"), 0);
}

static void test_export_refuses_reserved_pens_and_bad_names(void **state)
{
    (void)state;
    fdx_engine *e = engine_of("zadnik", NULL, 0, NULL, NULL);
    struct fdxi_ipfix_layout *l = NULL;
    char err[256];
    assert_int_equal(fdxi_ipfix_layout_new(e, 0, NULL, 0, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "IANA"));
    assert_int_equal(fdxi_ipfix_layout_new(e, 29305, NULL, 0, &l, err, sizeof(err)), FDX_EINVAL);
    const char *bad[] = {"Spam Filter"};
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, bad, 1, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "'Spam Filter'"));
    const char *twice[] = {"doh", "doh"};
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, twice, 2, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "8300"));
    const char *many[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, many, 9, &l, err, sizeof(err)), FDX_EINVAL);
    assert_null(l);
    fdx_engine_free(e);
}

/* ---- a plugin with fields of every kind, linked into the test ---- */

struct probe_state {
    double payload[2];
};

static const struct fdx_plugin_field probe_fields[] = {
    {"probe_bytes", FDX_FIELD_U64, FDX_FIELD_REQ, FDX_PEN_OWN, 1, 0, "payload bytes sent"},
    {"probe_bytes_rev", FDX_FIELD_U64, FDX_FIELD_RESP, FDX_PEN_OWN, 1, 0, "payload received"},
    {"probe_small", FDX_FIELD_U8, FDX_FIELD_FLOW, FDX_PEN_OWN, 2, 0, "300, clamped to 255"},
    {"probe_ratio", FDX_FIELD_F64, FDX_FIELD_FLOW, FDX_PEN_OWN, 3, 0, "NaN"},
    {"probe_total", FDX_FIELD_U32, FDX_FIELD_RESP, 0, 85, 0, "IANA octetTotalCount, reverse"},
    {"probe_hidden", FDX_FIELD_U16, FDX_FIELD_FLOW, FDX_PEN_OWN, 0, 0, "not exported"},
};

static int probe_init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                      size_t errlen)
{
    (void)args;
    (void)errbuf;
    (void)errlen;
    static int self;
    *ret_self = &self;
    return 0;
}

static void probe_fini(void *self)
{
    (void)self;
}

static void probe_packet(void *self, void *thread, void *flow_state,
                         const struct fdx_plugin_flow *flow, const struct fdx_plugin_packet *pkt)
{
    (void)self;
    (void)thread;
    (void)flow;
    struct probe_state *st = flow_state;
    st->payload[pkt->direction ? 1 : 0] += pkt->payload_bytes;
}

static void probe_end(void *self, void *thread, void *flow_state,
                      const struct fdx_plugin_flow *flow, struct fdx_plugin_result *res)
{
    (void)self;
    (void)thread;
    (void)flow;
    const struct probe_state *st = flow_state;
    res->values[0] = st->payload[0];
    res->values[1] = st->payload[1];
    res->values[2] = 300;
    res->values[3] = NAN;
    res->values[4] = 4000000000.0;
    res->values[5] = 7;
    res->verdict = FDX_PLUGIN_MALICIOUS;
    res->score = 0.75;
    snprintf(res->label, sizeof(res->label), "probe-label");
}

static struct fdx_plugin probe = {
    .abi_major = FDX_PLUGIN_ABI_MAJOR,
    .abi_minor = FDX_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct fdx_plugin),
    .inputs = FDX_IN_IP_LEN,
    .name = "probe",
    .version = "1",
    .summary = "fields of every kind",
    .flow_state_bytes = sizeof(struct probe_state),
    .n_fields = sizeof(probe_fields) / sizeof(probe_fields[0]),
    .fields = probe_fields,
    .init = probe_init,
    .fini = probe_fini,
    .packet = probe_packet,
    .flow_end = probe_end,
};

static const struct fdx_plugin *probe_entry(void)
{
    return &probe;
}

struct probe_run {
    fdx_plugin_lib *lib;
    fdx_plugin_inst *inst;
};

static void probe_load(struct probe_run *p)
{
    char err[256];
    if (fdx_plugin_lib_from_entry(probe_entry, "test probe", &p->lib, err, sizeof(err)) != 0 ||
        fdx_plugin_inst_new(p->lib, NULL, NULL, &p->inst, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

static void probe_unload(struct probe_run *p)
{
    fdx_plugin_inst_free(p->inst);
    fdx_plugin_lib_close(p->lib);
}

/* A raw IPv4 (LINKTYPE_IPV4) TCP packet 10.0.0.a:sp -> 10.0.0.b:dp with @p payload bytes of
 * zeros. */
static size_t tcp_packet(uint8_t *b, uint8_t a, uint16_t sp, uint8_t bb, uint16_t dp, uint8_t flags,
                         uint16_t payload)
{
    const uint8_t src[4] = {10, 0, 0, a};
    const uint8_t dst[4] = {10, 0, 0, bb};
    size_t n = pb_put_ipv4(
        b,
        (struct pb_v4){.total_len = (uint16_t)(40 + payload), .proto = 6, .src = src, .dst = dst});
    n +=
        pb_put_tcp(b + n, (struct pb_tcp){.sport = sp, .dport = dp, .flags = flags, .window = 100});
    memset(b + n, 0, payload);
    return n + payload;
}

#define T0 UINT64_C(1700000000250000) /* 2023-11-14 22:13:20.25 UTC */

struct writer {
    fdx_ipfix *x;
    int written;
};

static void write_flow(void *user, const struct fdx_flow_record *r)
{
    struct writer *w = user;
    struct fdx_flow_verdict v = {
        .plugin = "ignored", .label = "benign", .verdict = 1, .score = 0.25};
    char err[256];
    if (fdx_ipfix_write(w->x, r, &v, 1, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    w->written++;
}

static void feed(fdx_engine *e, uint64_t ts, uint8_t a, uint16_t sp, uint8_t b, uint16_t dp,
                 uint8_t flags, uint16_t payload)
{
    uint8_t buf[1500];
    size_t n = tcp_packet(buf, a, sp, b, dp, flags, payload);
    /* An exact-size copy, so that the sanitizer sees a read past the end. */
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, buf, n);
    assert_int_equal(fdx_engine_feed(e, PB_LT_IPV4, ts, copy, (uint32_t)n, (uint32_t)n),
                     FDX_PKT_DECODED);
    free(copy);
}

/* ---- an RFC 7011 reader for the file the exporter wrote (written for this test) ---- */

#define MAX_FIELDS 256

struct field {
    uint32_t pen, id, len;
};

struct decoded {
    struct field tmpl[8][MAX_FIELDS]; /* templates 256-263 */
    uint32_t n_tmpl[8];
    uint32_t data_records; /* of the flow templates (with flowId) */
    uint32_t messages;
    uint32_t domain;
    /* the first flow record: each field's value bytes */
    struct field rec_fields[MAX_FIELDS];
    const uint8_t *rec_values[MAX_FIELDS];
    uint32_t rec_n;
    /* RFC 5610 names */
    char names[MAX_FIELDS][FDXI_IPFIX_NAME_MAX];
    uint32_t name_pen[MAX_FIELDS], name_id[MAX_FIELDS], n_names;
    uint8_t *file;
};

static uint32_t be(const uint8_t *p, uint32_t n)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be(p, 4) << 32 | be(p + 4, 4);
}

static void decode_data(struct decoded *d, uint32_t t, const uint8_t *p, const uint8_t *end)
{
    const struct field *f = d->tmpl[t];
    while (p < end) {
        const uint8_t *vals[MAX_FIELDS];
        uint32_t lens[MAX_FIELDS];
        const uint8_t *q = p;
        bool whole = true;
        for (uint32_t i = 0; i < d->n_tmpl[t] && whole; i++) {
            uint32_t len = f[i].len;
            if (len == 0xffff && q < end) {
                len = *q++;
                if (len == 255 && q + 2 <= end) {
                    len = be(q, 2);
                    q += 2;
                }
            }
            whole = q + len <= end;
            vals[i] = q;
            lens[i] = len;
            q += len;
        }
        if (!whole || q == p)
            return; /* set padding */
        p = q;
        bool flow = false, meta = false;
        for (uint32_t i = 0; i < d->n_tmpl[t]; i++) {
            flow |= f[i].pen == 0 && f[i].id == 148;
            meta |= f[i].pen == 0 && f[i].id == 346;
        }
        if (meta && d->n_names < MAX_FIELDS) {
            /* privateEnterpriseNumber, informationElementId, ..., informationElementName */
            uint32_t k = d->n_names++;
            for (uint32_t i = 0; i < d->n_tmpl[t]; i++) {
                if (f[i].id == 346)
                    d->name_pen[k] = be(vals[i], 4);
                else if (f[i].id == 303)
                    d->name_id[k] = be(vals[i], 2);
                else if (f[i].id == 341)
                    snprintf(d->names[k], sizeof(d->names[k]), "%.*s", (int)lens[i],
                             (const char *)vals[i]);
            }
        }
        if (flow && d->data_records++ == 0) {
            d->rec_n = d->n_tmpl[t];
            for (uint32_t i = 0; i < d->rec_n; i++) {
                d->rec_fields[i] = f[i];
                d->rec_fields[i].len = lens[i];
                d->rec_values[i] = vals[i];
            }
        }
    }
}

static void decode_file(const char *path, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    d->file = malloc(1 << 20);
    assert_non_null(d->file);
    size_t n = fread(d->file, 1, 1 << 20, fp);
    fclose(fp);
    const uint8_t *p = d->file, *end = d->file + n;
    while (p + 16 <= end) {
        assert_int_equal(be(p, 2), 10); /* IPFIX version */
        uint32_t mlen = be(p + 2, 2);
        assert_true(mlen >= 16 && p + mlen <= end);
        d->domain = be(p + 12, 4);
        d->messages++;
        const uint8_t *s = p + 16, *mend = p + mlen;
        while (s + 4 <= mend) {
            uint32_t sid = be(s, 2), slen = be(s + 2, 2);
            assert_true(slen >= 4 && s + slen <= mend);
            const uint8_t *b = s + 4, *send = s + slen;
            if (sid == 2 || sid == 3) {
                while (b + 4 <= send) {
                    uint32_t tid = be(b, 2), count = be(b + 2, 2);
                    b += sid == 3 ? 6 : 4;
                    assert_true(tid >= 256 && tid < 264 && count <= MAX_FIELDS);
                    struct field *f = d->tmpl[tid - 256];
                    d->n_tmpl[tid - 256] = count;
                    for (uint32_t i = 0; i < count; i++) {
                        uint32_t id = be(b, 2);
                        f[i].len = be(b + 2, 2);
                        b += 4;
                        f[i].pen = 0;
                        if (id & 0x8000) {
                            f[i].pen = be(b, 4);
                            b += 4;
                        }
                        f[i].id = id & 0x7fff;
                    }
                }
            } else if (sid >= 256 && sid < 264) {
                decode_data(d, sid - 256, b, send);
            }
            s = send;
        }
        p = mend;
    }
    assert_true(p == end);
}

static const uint8_t *value_of(const struct decoded *d, uint32_t pen, uint32_t id,
                               uint32_t *ret_len)
{
    for (uint32_t i = 0; i < d->rec_n; i++) {
        if (d->rec_fields[i].pen == pen && d->rec_fields[i].id == id) {
            *ret_len = d->rec_fields[i].len;
            return d->rec_values[i];
        }
    }
    fail_msg("no field %u/%u in the record", pen, id);
    return NULL;
}

static uint64_t uint_of(const struct decoded *d, uint32_t pen, uint32_t id, uint32_t len)
{
    uint32_t got;
    const uint8_t *v = value_of(d, pen, id, &got);
    assert_int_equal(got, len);
    return len == 8 ? be64(v) : be(v, len);
}

static double double_of(const struct decoded *d, uint32_t pen, uint32_t id)
{
    uint64_t bits = uint_of(d, pen, id, 8);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

static const char *name_of(const struct decoded *d, uint32_t pen, uint32_t id)
{
    for (uint32_t k = 0; k < d->n_names; k++) {
        if (d->name_pen[k] == pen && d->name_id[k] == id)
            return d->names[k];
    }
    return "(no type record)";
}

static void test_export_plugin_fields_and_verdicts_reach_the_file(void **state)
{
    struct scratch *sc = *state;
    struct probe_run p;
    probe_load(&p);
    struct writer w = {0};
    fdx_engine *e = engine_of("zadnik", &p.inst, 1, write_flow, &w);
    char path[4096], err[512];
    scratch_path(sc, "probe.ipfix", path, sizeof(path));
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    assert_int_equal(o.enterprise, 32473); /* RFC 5612's documentation number */
    const char *det[] = {"doh"};
    o.destination = path;
    o.detectors = det;
    o.n_detectors = 1;
    o.domain = 4242;
    if (fdx_ipfix_open(e, &o, &w.x, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    /* 10.0.0.1:40000 -> 10.0.0.2:25: SYN, SYN-ACK, 100 bytes, 300 bytes back; ends at flush. */
    feed(e, T0, 1, 40000, 2, 25, 0x02, 0);
    feed(e, T0 + 1000, 2, 25, 1, 40000, 0x12, 0);
    feed(e, T0 + 2000, 1, 40000, 2, 25, 0x18, 100);
    feed(e, T0 + 3001, 2, 25, 1, 40000, 0x18, 300);
    fdx_engine_flush(e);
    assert_int_equal(w.written, 1);
    assert_int_equal(fdx_ipfix_close(w.x, err, sizeof(err)), 0);
    fdx_engine_free(e);
    probe_unload(&p);

    struct decoded d;
    decode_file(path, &d);
    assert_int_equal(d.domain, 4242);
    assert_int_equal(d.data_records, 1);
    /* Identifiers, RFC 5102 end reason 4 (forced end: flushed), counts per direction. */
    assert_int_equal(uint_of(&d, 0, 8, 4), 0x0a000001);
    assert_int_equal(uint_of(&d, 0, 12, 4), 0x0a000002);
    assert_int_equal(uint_of(&d, 0, 7, 2), 40000);
    assert_int_equal(uint_of(&d, 0, 11, 2), 25);
    assert_int_equal(uint_of(&d, 0, 4, 1), 6);
    assert_int_equal(uint_of(&d, 0, 136, 1), 4);
    assert_int_equal(uint_of(&d, PEN, 8200, 1), FDX_END_EOF);
    assert_int_equal(uint_of(&d, 0, 2, 8), 2);
    assert_int_equal(uint_of(&d, 0, 1, 8), 40 + 140);
    assert_int_equal(uint_of(&d, 29305, 2, 8), 2);
    assert_int_equal(uint_of(&d, 29305, 1, 8), 40 + 340);
    /* T0 = 1700000000 s + 0.25 s: NTP seconds + 2^30; the end 3001 us later. */
    assert_true(uint_of(&d, 0, 154, 8) == ((UINT64_C(1700000000) + 2208988800u) << 32 | 1u << 30));
    uint64_t end_frac = uint_of(&d, 0, 155, 8) & 0xffffffffu;
    assert_int_equal((end_frac * 1000000) >> 32, 253001);
    /* In milliseconds since the Unix epoch: 1700000000250 and, 3.001 ms later, 1700000000253
     * (truncated). */
    assert_true(uint_of(&d, 0, 152, 8) == UINT64_C(1700000000250));
    assert_true(uint_of(&d, 0, 153, 8) == UINT64_C(1700000000253));
    /* The plugin's fields: payload bytes forward (pen/1) and as the reverse element (pen/0x4001),
     * 300 clamped to unsigned8, NaN as float64, IANA octetTotalCount's RFC 5103 reverse. */
    assert_int_equal(uint_of(&d, PEN, 1, 8), 100);
    assert_int_equal(uint_of(&d, PEN, 0x4001, 8), 300);
    assert_int_equal(uint_of(&d, PEN, 2, 1), 255);
    assert_true(isnan(double_of(&d, PEN, 3)));
    assert_int_equal(uint_of(&d, 29305, 85, 4), 4000000000u);
    assert_string_equal(name_of(&d, PEN, 1), "fdxProbeBytes");
    assert_string_equal(name_of(&d, PEN, 0x4001), "reverseFdxProbeBytes");
    assert_string_equal(name_of(&d, PEN, 2), "fdxProbeSmall");
    for (uint32_t i = 0; i < d.rec_n; i++)
        assert_false(d.rec_fields[i].pen == PEN && d.rec_fields[i].id == 0);
    /* zadnik's sp (9000) counts the request packets; rsp is its reverse (25384). */
    assert_true(double_of(&d, PEN, 9000) == 2.0);
    assert_true(double_of(&d, PEN, 25384) == 2.0);
    /* The detector's slot (doh: 8300-8302) and the plugin's (the first other slot: 8400). */
    assert_int_equal(uint_of(&d, PEN, 8300, 1), FDX_VERDICT_BENIGN);
    assert_true(double_of(&d, PEN, 8301) == 0.25);
    uint32_t len;
    const uint8_t *label = value_of(&d, PEN, 8302, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(label, "benign", 6);
    assert_int_equal(uint_of(&d, PEN, 8400, 1), FDX_VERDICT_MALICIOUS);
    assert_true(double_of(&d, PEN, 8401) == 0.75);
    label = value_of(&d, PEN, 8402, &len);
    assert_int_equal(len, 11);
    assert_memory_equal(label, "probe-label", 11);
    assert_string_equal(name_of(&d, PEN, 8400), "fdxProbeVerdict");
    assert_string_equal(name_of(&d, PEN, 8301), "fdxDohScore");
    free(d.file);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* A record that ends while no other follows (a live probe's quiet interface) is sent by
 * fdx_ipfix_flush, not held until the next record fills the message or the exporter closes. */
static void test_export_flush_sends_the_waiting_record(void **state)
{
    struct scratch *sc = *state;
    struct writer w = {0};
    fdx_engine *e = engine_of("zadnik", NULL, 0, write_flow, &w);
    char path[4096], err[512];
    scratch_path(sc, "flush.ipfix", path, sizeof(path));
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    const char *det[] = {"doh"}; /* write_flow gives one verdict */
    o.destination = path;
    o.detectors = det;
    o.n_detectors = 1;
    if (fdx_ipfix_open(e, &o, &w.x, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(fdx_ipfix_flush(w.x, err, sizeof(err)), 0); /* nothing waits: a no-op */
    feed(e, T0, 1, 40000, 2, 25, 0x02, 0);
    feed(e, T0 + 1000, 2, 25, 1, 40000, 0x12, 0);
    fdx_engine_flush(e);
    assert_int_equal(w.written, 1);
    assert_int_equal(fdx_ipfix_flush(w.x, err, sizeof(err)), 0);
    struct decoded d;
    decode_file(path, &d); /* the exporter is still open */
    assert_int_equal(d.data_records, 1);
    assert_int_equal(uint_of(&d, 0, 7, 2), 40000);
    free(d.file);
    long after = file_size(path);
    assert_int_equal(fdx_ipfix_flush(w.x, err, sizeof(err)), 0); /* sent already: nothing more */
    assert_int_equal(file_size(path), after);
    assert_int_equal(fdx_ipfix_close(w.x, err, sizeof(err)), 0);
    assert_int_equal(file_size(path), after); /* close had nothing left to send */
    decode_file(path, &d);
    assert_int_equal(d.data_records, 1);
    free(d.file);
    assert_int_equal(fdx_ipfix_flush(NULL, err, sizeof(err)), 0);
    fdx_engine_free(e);
}

/* ---- a TCP collector that goes away ---- */

/* A listening socket on 127.0.0.1, a free port, in *ret_port. */
static int listen_tcp(unsigned *ret_port)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(l >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *ret_port = ntohs(a.sin_port);
    return l;
}

/* Everything @p fd receives until the peer closes it (at most 5 s), into the file @p path. */
static void receive_to_file(int fd, const char *path)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint8_t buf[65536];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 5000), 1);
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_int_equal(fwrite(buf, 1, (size_t)n, fp), (size_t)n);
    }
    fclose(fp);
}

/* The collector's connection closes with data it has not read: the kernel answers with a reset
 * (RFC 9293 section 3.6.1, as Linux does), so the exporter's next send fails at once. */
static void drop_collector(int conn)
{
    close(conn);
    iu_pause_ms(100); /* the reset reaches the exporter's socket */
}

/* A lost collector: records are dropped and counted until the exporter has connected again, and
 * the new connection starts with the templates. Record 1 reaches the first connection (the
 * kernel takes it before the reset), 2 fails to go out, 3 comes before reconnect_s has passed,
 * 4 goes on the new connection. */
static void test_export_tcp_collector_lost_and_back(void **state)
{
    struct scratch *sc = *state;
    unsigned port;
    int l = listen_tcp(&port);
    fdx_engine *e = iu_default_engine();
    char err[512], path[4096];
    int c1;
    fdx_ipfix *x = iu_open_tcp(e, LOOPBACK, port, 1, l, &c1);
    assert_int_equal(iu_write_id(x, e, 1, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0);
    assert_null(iu_stats(x).last_loss);
    iu_pause_ms(100);
    drop_collector(c1);
    assert_int_equal(iu_write_id(x, e, 2, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0); /* lost: not an error */
    struct fdx_ipfix_stats st = iu_stats(x);
    assert_int_equal(st.connected, 0);
    assert_int_equal(st.losses, 1);
    assert_int_equal(st.dropped, 1);
    assert_non_null(st.last_loss);
    char want[64];
    snprintf(want, sizeof(want), "tcp://127.0.0.1:%u: cannot send: ", port);
    assert_memory_equal(st.last_loss, want, strlen(want));
    assert_int_equal(iu_write_id(x, e, 3, err, sizeof(err)), 0); /* within reconnect_s */
    assert_int_equal(iu_stats(x).dropped, 2);
    iu_pause_ms(1100);
    for (int i = 0; i < 40 && !iu_stats(x).connected; i++) {
        assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0); /* connects, without records */
        iu_pause_ms(50);
    }
    st = iu_stats(x);
    assert_int_equal(st.connected, 1);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(iu_write_id(x, e, 4, err, sizeof(err)), 0);
    int c2 = accept(l, NULL, NULL);
    assert_true(c2 >= 0);
    st = iu_stats(x);
    assert_int_equal(st.records, 4);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0);
    scratch_path(sc, "reconnected.ipfix", path, sizeof(path));
    receive_to_file(c2, path);
    struct decoded d;
    decode_file(path, &d); /* a data record before its template would not be counted */
    assert_int_equal(d.data_records, 1);
    assert_int_equal(uint_of(&d, 0, 148, 8), 4);
    free(d.file);
    close(c2);
    fdx_engine_free(e);
    close(l);
}

/* reconnect_s 0, and an options struct from before reconnect_s: the first loss fails the exporter
 * for good, as it did before. A collector still lost at close: FDX_EIO, with the count. */
static void test_export_tcp_collector_lost_for_good(void **state)
{
    (void)state;
    unsigned port;
    int l = listen_tcp(&port);
    fdx_engine *e = iu_default_engine();
    char err[512];
    for (int variant = 0; variant < 3; variant++) {
        int c;
        fdx_ipfix *x;
        if (variant == 1) { /* the older layout: reconnect_s is not read */
            char dest[64];
            snprintf(dest, sizeof(dest), "tcp://127.0.0.1:%u", port);
            struct fdx_ipfix_options o;
            fdx_ipfix_options_init(&o);
            o.struct_size = (uint32_t)offsetof(struct fdx_ipfix_options, reconnect_s);
            o.reconnect_s = 1;
            o.destination = dest;
            x = NULL;
            if (fdx_ipfix_open(e, &o, &x, err, sizeof(err)) != 0)
                fail_msg("%s", err);
            c = accept(l, NULL, NULL);
        } else {
            x = iu_open_tcp(e, LOOPBACK, port, variant == 0 ? 0 : 60, l, &c);
        }
        assert_int_equal(iu_write_id(x, e, 1, err, sizeof(err)), 0);
        assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0);
        iu_pause_ms(100);
        drop_collector(c);
        assert_int_equal(iu_write_id(x, e, 2, err, sizeof(err)), 0);
        int rc = fdx_ipfix_flush(x, err, sizeof(err));
        if (variant < 2) {
            assert_int_equal(rc, FDX_EIO);
            assert_non_null(strstr(err, "cannot send: "));
            assert_int_equal(iu_write_id(x, e, 3, err, sizeof(err)), FDX_EIO); /* for good */
            assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), FDX_EIO);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), FDX_EIO);
            assert_non_null(
                strstr(err, "; not connected again by the end: 1 of 2 records dropped"));
        }
    }
    fdx_engine_free(e);
    close(l);
}

/* A collector that does not answer: the connect at open gives up after reconnect_s (here 1 s,
 * shorter than the 10 s limit) with a message that says so, instead of waiting out the kernel's
 * SYN retries (about two minutes). A listener of backlog 0 whose one queue place a connection
 * holds drops every further SYN unanswered (Linux: the accept queue is full), as a host behind a
 * firewall that drops does. A refused connect fails at once, with the system's reason. */
static void test_export_tcp_connect_at_open_is_bounded(void **state)
{
    (void)state;
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(l >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 0), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    int first = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(first, (struct sockaddr *)&a, sizeof(a)), 0);

    fdx_engine *e = iu_default_engine();
    char dest[64], err[512];
    snprintf(dest, sizeof(dest), "tcp://127.0.0.1:%u", ntohs(a.sin_port));
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    o.destination = dest;
    o.reconnect_s = 1;
    fdx_ipfix *x = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fdx_ipfix_open(e, &o, &x, err, sizeof(err)), FDX_EIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited >= 0.9 && waited < 5.0);
    assert_null(x);
    char want[256];
    snprintf(want, sizeof(want),
             "%s: cannot send to the collector: cannot connect: no answer within 1 s", dest);
    assert_string_equal(err, want);

    close(first);
    close(l); /* nothing listens there now: refused at once */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fdx_ipfix_open(e, &o, &x, err, sizeof(err)), FDX_EIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    snprintf(want, sizeof(want), "%s: cannot send to the collector: cannot connect: %s", dest,
             strerror(ECONNREFUSED));
    assert_string_equal(err, want);
    fdx_engine_free(e);
}

/* ---- file rotation ---- */

static fdx_ipfix *open_file(fdx_engine *e, const char *path, uint32_t append)
{
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    assert_int_equal(o.append, 0); /* the documented default: truncate */
    o.destination = path;
    o.append = append;
    fdx_ipfix *x = NULL;
    char err[512];
    if (fdx_ipfix_open(e, &o, &x, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return x;
}

/* append keeps an earlier run's records (each run's part starts with its templates); reopen, after
 * the file was moved away, goes on into a new file of the old name, templates first. */
static void test_export_file_appended_and_reopened(void **state)
{
    struct scratch *sc = *state;
    fdx_engine *e = iu_default_engine();
    char err[512], path[4096], moved[4096], bad[4096];
    scratch_path(sc, "live.ipfix", path, sizeof(path));
    scratch_path(sc, "live.ipfix.1", moved, sizeof(moved));
    for (uint64_t id = 1; id <= 2; id++) { /* two runs, appending */
        fdx_ipfix *x = open_file(e, path, 1);
        assert_int_equal(iu_write_id(x, e, id, err, sizeof(err)), 0);
        assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0);
    }
    struct decoded d;
    decode_file(path, &d); /* the second run's data is decoded with its own templates */
    assert_int_equal(d.data_records, 2);
    free(d.file);
    fdx_ipfix *x = open_file(e, path, 0); /* truncates */
    assert_int_equal(iu_write_id(x, e, 3, err, sizeof(err)), 0);
    assert_int_equal(rename(path, moved), 0); /* logrotate */
    assert_int_equal(fdx_ipfix_reopen(x, err, sizeof(err)), 1);
    assert_int_equal(iu_write_id(x, e, 4, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0);
    decode_file(moved, &d); /* record 3 was sent to the old file before it was closed */
    assert_int_equal(d.data_records, 1);
    assert_int_equal(uint_of(&d, 0, 148, 8), 3);
    free(d.file);
    decode_file(path, &d);
    assert_int_equal(d.data_records, 1);
    assert_int_equal(uint_of(&d, 0, 148, 8), 4);
    free(d.file);
    assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0);
    /* a path that cannot be opened again: refused, and the old file goes on */
    scratch_path(sc, "gone/x.ipfix", bad, sizeof(bad));
    char dir[4096];
    scratch_path(sc, "gone", dir, sizeof(dir));
    assert_int_equal(mkdir(dir, 0700), 0);
    x = open_file(e, bad, 0);
    assert_int_equal(iu_write_id(x, e, 5, err, sizeof(err)), 0);
    assert_int_equal(unlink(bad), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(fdx_ipfix_reopen(x, err, sizeof(err)), FDX_EIO);
    assert_non_null(strstr(err, "x.ipfix: cannot open again: No such file or directory"));
    assert_int_equal(iu_write_id(x, e, 6, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0); /* into the unlinked file */
    fdx_engine_free(e);
}

/* UDP and TCP have nothing to reopen. */
static void test_export_reopen_of_a_collector_does_nothing(void **state)
{
    (void)state;
    unsigned port;
    int l = listen_tcp(&port);
    fdx_engine *e = iu_default_engine();
    char err[512];
    int c;
    fdx_ipfix *x = iu_open_tcp(e, LOOPBACK, port, 10, l, &c);
    assert_int_equal(fdx_ipfix_reopen(x, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0);
    close(c);
    close(l);
    assert_int_equal(fdx_ipfix_reopen(NULL, err, sizeof(err)), FDX_EINVAL);
    fdx_engine_free(e);
}

static void test_export_refuses_clashing_plugin_elements(void **state)
{
    (void)state;
    static struct fdx_plugin_field fields[2] = {
        {"clash_a", FDX_FIELD_U32, FDX_FIELD_FLOW, FDX_PEN_OWN, 5, 0, "a"},
        {"clash_b", FDX_FIELD_U32, FDX_FIELD_FLOW, FDX_PEN_OWN, 5, 0, "b"},
    };
    struct probe_run p;
    probe.fields = fields;
    probe.n_fields = 2;
    probe_load(&p);
    fdx_engine *e = engine_of("zadnik", &p.inst, 1, NULL, NULL);
    struct fdxi_ipfix_layout *l = NULL;
    char err[512];
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, NULL, 0, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "'clash_a' and value 'clash_b' would both be IPFIX element "
                                "32473/5"));
    /* flowdx's own ids (8192 and up) are not the plugins'. */
    fields[1].element_id = 8200;
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, NULL, 0, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "flowdx's own"));
    /* The reverse bit cannot be part of an enterprise element's id. */
    fields[1].enterprise = 6871;
    fields[1].element_id = 0x4001;
    assert_int_equal(fdxi_ipfix_layout_new(e, PEN, NULL, 0, &l, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "0x4000"));
    fdx_engine_free(e);
    probe_unload(&p);
    probe.fields = probe_fields;
    probe.n_fields = sizeof(probe_fields) / sizeof(probe_fields[0]);
}

static void test_export_refuses_records_too_large_for_udp(void **state)
{
    (void)state;
    /* 200 float64 fields: 1,600 bytes per record, more than a 1,420-byte UDP message. */
    static struct fdx_plugin_field fields[200];
    static char names[200][16];
    for (int i = 0; i < 200; i++) {
        snprintf(names[i], sizeof(names[i]), "wide_%d", i);
        fields[i] = (struct fdx_plugin_field){
            names[i], FDX_FIELD_F64, FDX_FIELD_FLOW, FDX_PEN_OWN, (uint16_t)(100 + i), 0, "wide"};
    }
    struct probe_run p;
    probe.fields = fields;
    probe.n_fields = 200;
    probe.packet = NULL;
    probe_load(&p);
    fdx_engine *e = engine_of("dpi", &p.inst, 1, NULL, NULL);
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    o.destination = "udp://127.0.0.1:4739";
    fdx_ipfix *x = NULL;
    char err[512];
    assert_int_equal(fdx_ipfix_open(e, &o, &x, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "one UDP message holds 1400"));
    assert_null(x);
    fdx_engine_free(e);
    probe_unload(&p);
    probe.fields = probe_fields;
    probe.n_fields = sizeof(probe_fields) / sizeof(probe_fields[0]);
    probe.packet = probe_packet;
}

static void test_export_write_refuses_other_layouts(void **state)
{
    struct scratch *sc = *state;
    fdx_engine *e = engine_of("zadnik", NULL, 0, NULL, NULL);
    char path[4096], err[512];
    scratch_path(sc, "x.ipfix", path, sizeof(path));
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    o.destination = path;
    fdx_ipfix *x = NULL;
    assert_int_equal(fdx_ipfix_open(e, &o, &x, err, sizeof(err)), 0);
    double values[3] = {1, 2, 3};
    struct fdx_flow_record r = {
        .struct_size = sizeof(r), .ip_version = 4, .features = values, .n_features = 3};
    assert_int_equal(fdx_ipfix_write(x, &r, NULL, 0, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "3 values"));
    struct fdx_flow_verdict v = {0};
    assert_int_equal(fdx_ipfix_write(x, &r, &v, 1, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_ipfix_close(x, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_close(NULL, NULL, 0), 0);
    /* A directory that does not exist. */
    scratch_path(sc, "no/such/dir/x.ipfix", path, sizeof(path));
    assert_int_equal(fdx_ipfix_open(e, &o, &x, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, "cannot create"));
    fdx_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_dest_reads_files_udp_and_tcp),
        cmocka_unit_test(test_export_dest_refuses_malformed_urls),
        cmocka_unit_test(test_export_end_reasons_follow_rfc5102),
        cmocka_unit_test(test_export_times_are_ntp_timestamps),
        cmocka_unit_test(test_export_integers_round_and_clamp),
        cmocka_unit_test(test_export_zadnik_elements),
        cmocka_unit_test(test_export_doh_received_is_reverse_of_sent),
        cmocka_unit_test(test_export_every_builtin_set_has_a_block),
        cmocka_unit_test(test_export_refuses_reserved_pens_and_bad_names),
        cmocka_unit_test_setup_teardown(test_export_plugin_fields_and_verdicts_reach_the_file,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_export_flush_sends_the_waiting_record, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_export_tcp_collector_lost_and_back, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test(test_export_tcp_collector_lost_for_good),
        cmocka_unit_test(test_export_tcp_connect_at_open_is_bounded),
        cmocka_unit_test_setup_teardown(test_export_file_appended_and_reopened, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test(test_export_reopen_of_a_collector_does_nothing),
        cmocka_unit_test(test_export_refuses_clashing_plugin_elements),
        cmocka_unit_test(test_export_refuses_records_too_large_for_udp),
        cmocka_unit_test_setup_teardown(test_export_write_refuses_other_layouts, scratch_setup,
                                        scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
