/* SPDX-License-Identifier: BSD-3-Clause */
/* Plugin ABI: the host refuses broken plugins with both versions named, and runs a correct one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "flowdx/flowdx_features.h"
#include "flowdx/flowdx_plugin.h"

static const char *plugin_dir;    /* argv[1]: the build's test/plugins directory */
static const char *template_path; /* argv[2]: the template plugin */

static int open_broken(int n, fdx_plugin_lib **lib, char *err, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/broken%d.so", plugin_dir, n);
    return fdx_plugin_lib_open(path, lib, err, len);
}

static void test_plugin_refuses_other_major_with_both_versions(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(1, &lib, err, sizeof(err)), FDX_ENOTSUP);
    assert_null(lib);
    assert_non_null(strstr(err, "ABI 2.3"));
    assert_non_null(strstr(err, "ABI 1.2")); /* the host: this library, ABI 1.2 */
    assert_non_null(strstr(err, "broken1.so"));
}

static void test_plugin_refuses_small_descriptor(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(2, &lib, err, sizeof(err)), FDX_ENOTSUP);
    assert_non_null(strstr(err, "16 bytes"));
    assert_non_null(strstr(err, "host ABI 1.2"));
}

static void test_plugin_refuses_missing_callback(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(3, &lib, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "no flow_end callback"));
}

static void test_plugin_refuses_object_without_entry(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(4, &lib, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, FDX_PLUGIN_ENTRY_NAME));
}

static void test_plugin_refuses_bad_field_and_state_size(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(5, &lib, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "field 0 ('Bad Name')"));
    assert_int_equal(open_broken(7, &lib, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "1048576 bytes"));
}

static void test_plugin_refuses_missing_file_and_non_object(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(fdx_plugin_lib_open("/nonexistent/x.so", &lib, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.so"));
    /* A file that exists but is not a shared object. */
    assert_int_equal(fdx_plugin_lib_open("/etc/passwd", &lib, err, sizeof(err)), FDX_EFORMAT);
    assert_non_null(strstr(err, "cannot load"));
}

/* Broken plugin @p n loads, and its init is refused with @p rc and a message holding the plugin's
 * name and @p says. */
static void init_refused(int n, int rc, const char *says)
{
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(n, &lib, err, sizeof(err)), 0);
    fdx_plugin_inst *in = NULL;
    assert_int_equal(fdx_plugin_inst_new(lib, NULL, NULL, &in, err, sizeof(err)), rc);
    assert_null(in);
    assert_non_null(strstr(err, "plugin 'broken'"));
    assert_non_null(strstr(err, says));
    fdx_plugin_lib_close(lib);
}

static void test_plugin_init_error_reaches_caller(void **state)
{
    (void)state;
    init_refused(6, FDX_ENOENT, "model file missing");
}

static void test_plugin_template_settings_are_checked(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(fdx_plugin_lib_open(template_path, &lib, err, sizeof(err)), 0);
    const struct fdx_plugin *d = fdx_plugin_lib_descriptor(lib);
    assert_string_equal(d->name, "template");
    assert_int_equal(d->n_fields, 4);

    const char *text = "plugin:\n  min_payloda: 3\n";
    fdx_config *c = NULL;
    assert_int_equal(fdx_config_load_string(text, strlen(text), "t.yaml", &c, err, sizeof(err)), 0);
    const fdx_config_node *settings = NULL;
    assert_int_equal(fdx_config_get_map(fdx_config_root(c), "plugin", &settings, err, sizeof(err)),
                     1);
    fdx_plugin_inst *in = NULL;
    assert_int_equal(fdx_plugin_inst_new(lib, settings, NULL, &in, err, sizeof(err)), FDX_EINVAL);
    assert_string_equal(err, "t.yaml:2:3: unknown key 'min_payloda' (did you mean 'min_payload'?)");
    fdx_config_free(c);

    text = "plugin:\n  min_payload: 70000\n";
    assert_int_equal(fdx_config_load_string(text, strlen(text), "t.yaml", &c, err, sizeof(err)), 0);
    assert_int_equal(fdx_config_get_map(fdx_config_root(c), "plugin", &settings, err, sizeof(err)),
                     1);
    assert_int_equal(fdx_plugin_inst_new(lib, settings, NULL, &in, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "t.yaml:2:16: key 'min_payload': 70000 is out of range"));
    fdx_config_free(c);
    fdx_plugin_lib_close(lib);
}

/* ---- the template inside an engine ---- */

struct seen {
    uint32_t records;
    double values[128];
    uint32_t n_values;
    uint32_t n_verdicts;
    uint32_t verdict;
    char plugin[32];
    char label[32];
};

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct seen *s = user;
    s->records++;
    s->n_values = r->n_features;
    for (uint32_t i = 0; i < r->n_features && i < 128; i++)
        s->values[i] = r->features[i];
    s->n_verdicts = r->n_verdicts;
    if (r->n_verdicts > 0) {
        s->verdict = r->verdicts[0].verdict;
        snprintf(s->plugin, sizeof(s->plugin), "%s", r->verdicts[0].plugin);
        snprintf(s->label, sizeof(s->label), "%s", r->verdicts[0].label);
    }
}

/* An IPv4/TCP packet (LINKTYPE_RAW) from a:sp to b:dp with @p payload bytes of data. */
static size_t tcp_packet(uint8_t *b, uint8_t a, uint8_t bb, uint16_t sp, uint16_t dp, uint8_t flags,
                         uint16_t payload)
{
    size_t len = 40u + payload;
    memset(b, 0, len);
    b[0] = 0x45;
    b[2] = (uint8_t)(len >> 8);
    b[3] = (uint8_t)len;
    b[8] = 64;
    b[9] = 6;
    b[12] = 10, b[15] = a;
    b[16] = 10, b[19] = bb;
    b[20] = (uint8_t)(sp >> 8), b[21] = (uint8_t)sp;
    b[22] = (uint8_t)(dp >> 8), b[23] = (uint8_t)dp;
    b[32] = 0x50;
    b[33] = flags;
    b[34] = 0xff, b[35] = 0xff;
    return len;
}

static void test_plugin_template_runs_in_engine(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(fdx_plugin_lib_open(template_path, &lib, err, sizeof(err)), 0);
    const char *text = "min_payload: 100\n";
    fdx_config *c = NULL;
    assert_int_equal(fdx_config_load_string(text, strlen(text), NULL, &c, err, sizeof(err)), 0);
    fdx_plugin_inst *in = NULL;
    assert_int_equal(fdx_plugin_inst_new(lib, fdx_config_root(c), NULL, &in, err, sizeof(err)), 0);
    fdx_config_free(c); /* settings are borrowed only during init */

    struct seen seen = {0};
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "zadnik";
    o.on_flow = on_flow;
    o.user = &seen;
    o.plugins = &in;
    o.n_plugins = 1;
    fdx_engine *e = NULL;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    uint32_t n = fdx_engine_feature_count(e);
    assert_int_equal(n, 65 + 4); /* zadnik: 32 per direction and oneway */
    assert_string_equal(fdx_engine_feature_name(e, 65), "template_payload_bytes");
    assert_string_equal(fdx_engine_feature_name(e, 68), "template_data_packets_rev");

    /* Client 10.0.0.1:40000 -> server 10.0.0.2:25: SYN, SYN-ACK, ACK, then client data of 50
     * and 300 bytes and server data of 120 bytes, FIN both ways. Expected by hand: request
     * payload 50 + 300 = 350 bytes, of which one packet (300) reaches min_payload 100; response
     * 120 bytes in one data packet. */
    uint8_t b[2048];
    struct {
        int from_client;
        uint8_t flags;
        uint16_t payload;
    } seq[] = {{1, 0x02, 0},   {0, 0x12, 0}, {1, 0x10, 0}, {1, 0x18, 50}, {1, 0x18, 300},
               {0, 0x18, 120}, {1, 0x11, 0}, {0, 0x11, 0}, {1, 0x10, 0}};
    uint64_t t = 1700000000000000ull;
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        size_t len = seq[i].from_client
                         ? tcp_packet(b, 1, 2, 40000, 25, seq[i].flags, seq[i].payload)
                         : tcp_packet(b, 2, 1, 25, 40000, seq[i].flags, seq[i].payload);
        assert_int_equal(fdx_engine_feed(e, 101, t + i * 1000, b, (uint32_t)len, (uint32_t)len),
                         FDX_PKT_DECODED);
    }
    fdx_engine_flush(e);
    assert_int_equal(seen.records, 1);
    assert_int_equal(seen.n_values, 69);
    assert_int_equal(seen.n_verdicts, 1);
    assert_string_equal(seen.plugin, "template");
    assert_int_equal(seen.verdict, FDX_VERDICT_NONE);
    assert_true(seen.values[65] == 350.0);
    assert_true(seen.values[66] == 120.0);
    assert_true(seen.values[67] == 1.0);
    assert_true(seen.values[68] == 1.0);
    /* zadnik's first feature, sp, counts the request direction's packets: SYN, ACK, the two
     * data packets, FIN and the last ACK = 6. */
    assert_true(seen.values[0] == 6.0);
    fdx_engine_free(e);
    fdx_plugin_inst_free(in);
    fdx_plugin_lib_close(lib);
}

/* ---- a plugin of flow records (FDX_IN_RECORDS) ---- */

struct rec_flow {
    uint32_t begun;
    uint32_t present;
};

static uint32_t rec_released, rec_packets_seen;

static const struct fdx_plugin_field rec_fields[] = {
    {"rec_present", FDX_FIELD_U32, FDX_FIELD_FLOW, FDX_PEN_OWN, 20, 0, "record_present"},
    {"rec_flags", FDX_FIELD_U8, FDX_FIELD_REQ, FDX_PEN_OWN, 21, 0, "request TCP flags"},
    {"rec_flags_rev", FDX_FIELD_U8, FDX_FIELD_RESP, FDX_PEN_OWN, 21, 0, "response TCP flags"},
    {"rec_min_ttl", FDX_FIELD_U8, FDX_FIELD_REQ, FDX_PEN_OWN, 22, 0, "request minimum TTL"},
    {"rec_max_ttl_rev", FDX_FIELD_U8, FDX_FIELD_RESP, FDX_PEN_OWN, 23, 0, "response maximum TTL"},
    {"rec_begun", FDX_FIELD_U8, FDX_FIELD_FLOW, FDX_PEN_OWN, 24, 0, "flow_begin ran first"},
};

static int rec_init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                    size_t errlen)
{
    (void)args, (void)errbuf, (void)errlen;
    *ret_self = NULL;
    return 0;
}

static void rec_fini(void *self)
{
    (void)self;
}

static void rec_begin(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow)
{
    (void)self, (void)thread;
    struct rec_flow *st = state;
    assert_int_equal(st->begun, 0); /* zeroed by the host */
    st->begun = 1;
    st->present = flow->record_present;
}

static void rec_packet(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                       const struct fdx_plugin_packet *pkt)
{
    (void)self, (void)thread, (void)state, (void)flow, (void)pkt;
    rec_packets_seen++;
}

/* Judges records only: malicious with label "big" from 100 request packets on. It says
 * "declined" (ABI 1.2) on every flow: the host must pass that on only with no verdict, i.e. for a
 * flow from packets. */
static void rec_end(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                    struct fdx_plugin_result *res)
{
    (void)self, (void)thread;
    const struct rec_flow *st = state;
    res->declined = 1;
    if (!(flow->record_present & FDX_REC_FROM_RECORD))
        return;
    res->values[0] = flow->record_present;
    res->values[1] = flow->tcp_flags[0];
    res->values[2] = flow->tcp_flags[1];
    res->values[3] = flow->min_ttl[0];
    res->values[4] = flow->max_ttl[1];
    res->values[5] = st->begun && st->present == flow->record_present;
    res->verdict = flow->packets[0] >= 100 ? FDX_PLUGIN_MALICIOUS : FDX_PLUGIN_BENIGN;
    res->score = 0.75;
    if (res->verdict == FDX_PLUGIN_MALICIOUS)
        snprintf(res->label, sizeof(res->label), "big");
}

static void rec_release(void *self, void *thread, void *state)
{
    (void)self, (void)thread, (void)state;
    rec_released++;
}

static const struct fdx_plugin rec_descriptor = {
    .abi_major = FDX_PLUGIN_ABI_MAJOR,
    .abi_minor = FDX_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct fdx_plugin),
    .inputs = FDX_IN_RECORDS,
    .name = "records",
    .version = "1.0",
    .summary = "a test plugin of flow records",
    .flow_state_bytes = sizeof(struct rec_flow),
    .n_fields = sizeof(rec_fields) / sizeof(rec_fields[0]),
    .fields = rec_fields,
    .init = rec_init,
    .fini = rec_fini,
    .flow_begin = rec_begin,
    .packet = rec_packet,
    .flow_end = rec_end,
    .flow_release = rec_release,
};

static const struct fdx_plugin *rec_entry(void)
{
    return &rec_descriptor;
}

struct rec_seen {
    uint32_t records;
    uint64_t flow_id[4];
    double values[4][128];
    uint32_t n_values;
    struct fdx_flow_verdict v[4][2];
    char labels[4][2][32];
};

static void rec_on_flow(void *user, const struct fdx_flow_record *r)
{
    struct rec_seen *s = user;
    assert_true(s->records < 4 && r->n_features <= 128 && r->n_verdicts == 2);
    s->flow_id[s->records] = r->flow_id;
    s->n_values = r->n_features;
    memcpy(s->values[s->records], r->features, r->n_features * sizeof(double));
    for (int i = 0; i < 2; i++) {
        s->v[s->records][i] = r->verdicts[i];
        snprintf(s->labels[s->records][i], 32, "%s", r->verdicts[i].label);
    }
    s->records++;
}

static int value_index(const fdx_engine *e, const char *name)
{
    for (uint32_t i = 0; i < fdx_engine_feature_count(e); i++)
        if (strcmp(fdx_engine_feature_name(e, i), name) == 0)
            return (int)i;
    fail_msg("no value %s", name);
    return -1;
}

/*
 * fdx_engine_feed_record(): a biflow record and a one-way record through an engine running
 * flowrec, zadnik, the records plugin and the template (a plugin of packets). flowrec takes the
 * record's values (NaN for what it lacks), zadnik is NaN, the records plugin sees the record's
 * fields and judges, the template gets nothing (no verdict, NaN fields). A packet flow after them
 * takes the next flow id, and the records plugin gives it no verdict: declined, the one record
 * where its "declined" reaches the caller.
 */
/* The broken plugin in the engine of engine_of_broken(), freed by end_broken(). */
static fdx_plugin_lib *broken_lib;
static fdx_plugin_inst *broken_inst;

static void end_broken(void)
{
    fdx_plugin_inst_free(broken_inst);
    fdx_plugin_lib_close(broken_lib);
    broken_inst = NULL;
    broken_lib = NULL;
}

/* An engine of the broken plugin @p n alone; its fdx_engine_new() code, the message in @p err.
 * On success, free the engine and then call end_broken(). */
static int engine_of_broken(int n, struct seen *seen, fdx_engine **e, char *err, size_t len)
{
    assert_int_equal(open_broken(n, &broken_lib, err, len), 0);
    assert_int_equal(fdx_plugin_inst_new(broken_lib, NULL, NULL, &broken_inst, err, len), 0);
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "";
    o.on_flow = on_flow;
    o.user = seen;
    o.plugins = &broken_inst;
    o.n_plugins = 1;
    err[0] = '\0';
    int rc = fdx_engine_new(&o, e, err, len);
    if (rc < 0)
        end_broken();
    return rc;
}

static void test_plugin_run_time_rules(void **state)
{
    (void)state;
    /* 8: init returns 5: refused (a positive value is outside the contract), the value named */
    init_refused(8, FDX_EINVAL, "init returned 5");

    char err[512];
    struct seen seen = {0};
    fdx_engine *e = NULL;
    /* 9: thread_init's own message and code reach the caller, not "out of memory creating ..." */
    assert_int_equal(engine_of_broken(9, &seen, &e, err, sizeof(err)), FDX_ENOMEM);
    assert_null(e);
    assert_non_null(strstr(err, "plugin 'broken': thread set-up failed: no thread for you"));
    /* 10, 11: a field named like an identifier column, or like the plugin's verdict column */
    assert_int_equal(engine_of_broken(10, &seen, &e, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "field 0 'src_addr' has the name of a column"));
    assert_int_equal(engine_of_broken(11, &seen, &e, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "field 0 'broken_verdict' has the name of a column"));
}

/* A label with a quote, a backslash, a newline and the two bytes of UTF-8 'e acute' reaches the
 * record as printable ASCII: the newline and both UTF-8 bytes become '?', the rest stays. */
static void test_plugin_label_is_printable(void **state)
{
    (void)state;
    struct seen seen = {0};
    fdx_engine *e = NULL;
    char err[512];
    assert_int_equal(engine_of_broken(12, &seen, &e, err, sizeof(err)), 0);
    uint8_t b[64];
    size_t len = tcp_packet(b, 1, 2, 40000, 25, 0x02, 0);
    assert_int_equal(fdx_engine_feed(e, 101, 1700000000000000ull, b, (uint32_t)len, (uint32_t)len),
                     FDX_PKT_DECODED);
    fdx_engine_flush(e);
    assert_int_equal(seen.records, 1);
    assert_int_equal(seen.verdict, FDX_VERDICT_MALICIOUS);
    assert_string_equal(seen.label, "bad\"la\\bel???");
    fdx_engine_free(e);
    end_broken();
}

static void test_plugin_records_plugin_gets_flow_records(void **state)
{
    (void)state;
    char err[512];
    fdx_plugin_lib *rlib = NULL, *tlib = NULL;
    assert_int_equal(fdx_plugin_lib_from_entry(rec_entry, "test records", &rlib, err, sizeof(err)),
                     0);
    assert_int_equal(fdx_plugin_lib_open(template_path, &tlib, err, sizeof(err)), 0);
    fdx_plugin_inst *in[2] = {NULL, NULL};
    assert_int_equal(fdx_plugin_inst_new(rlib, NULL, NULL, &in[0], err, sizeof(err)), 0);
    assert_int_equal(fdx_plugin_inst_new(tlib, NULL, NULL, &in[1], err, sizeof(err)), 0);
    struct rec_seen seen;
    memset(&seen, 0, sizeof(seen));
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "flowrec,zadnik";
    o.on_flow = rec_on_flow;
    o.user = &seen;
    o.plugins = in;
    o.n_plugins = 2;
    fdx_engine *e = NULL;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    rec_released = rec_packets_seen = 0;

    struct fdx_input_record r;
    fdx_input_record_init(&r);
    assert_int_equal(r.struct_size, sizeof(r));
    r.present = FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS | FDX_INPUT_TTL;
    r.end_reason = FDX_END_FIN;
    r.ip_version = 4;
    r.proto = 6;
    r.src_port = 40000;
    r.dst_port = 25;
    r.src_addr[0] = 10, r.src_addr[3] = 7;
    r.dst_addr[0] = 10, r.dst_addr[3] = 3;
    r.start_us = 1700000000000000ull;
    r.end_us = r.start_us + 1500000;
    r.packets[0] = 120, r.packets[1] = 80;
    r.bytes[0] = 9000, r.bytes[1] = 4000;
    r.tcp_flags[0] = 0x1a, r.tcp_flags[1] = 0x13;
    r.min_ttl[0] = 60, r.max_ttl[0] = 64, r.min_ttl[1] = 50, r.max_ttl[1] = 52;
    r.min_ip_len[0] = 99; /* not present: not read */
    assert_int_equal(fdx_engine_feed_record(e, &r), 0);

    /* one-way: no response direction, no TTLs, 3 packets */
    r.present = FDX_INPUT_TCP_FLAGS;
    r.end_reason = FDX_END_IDLE;
    r.packets[0] = 3;
    r.packets[1] = 999; /* not present: not read */
    assert_int_equal(fdx_engine_feed_record(e, &r), 0);

    /* refused records report nothing */
    struct fdx_input_record bad = r;
    bad.ip_version = 5;
    assert_int_equal(fdx_engine_feed_record(e, &bad), FDX_EINVAL);
    bad = r;
    bad.end_us = bad.start_us - 1;
    assert_int_equal(fdx_engine_feed_record(e, &bad), FDX_EINVAL);
    bad = r;
    bad.struct_size = 8;
    assert_int_equal(fdx_engine_feed_record(e, &bad), FDX_EINVAL);
    assert_int_equal(fdx_engine_feed_record(e, NULL), FDX_EINVAL);
    assert_int_equal(seen.records, 2);
    assert_int_equal(rec_released, 2);

    /* a packet flow: SYN from 10.0.0.1:41000 to 10.0.0.2:25 */
    uint8_t b[64];
    size_t len = tcp_packet(b, 1, 2, 41000, 25, 0x02, 0);
    assert_int_equal(fdx_engine_feed(e, 101, r.end_us, b, (uint32_t)len, (uint32_t)len),
                     FDX_PKT_DECODED);
    fdx_engine_flush(e);
    assert_int_equal(seen.records, 3);
    assert_int_equal(rec_packets_seen, 0); /* a records plugin never gets packets */

    assert_int_equal(seen.flow_id[0], 1);
    assert_int_equal(seen.flow_id[1], 2);
    assert_int_equal(seen.flow_id[2], 3);
    const double *v = seen.values[0];
    assert_true(v[value_index(e, "packets")] == 120);
    assert_true(v[value_index(e, "rbytes")] == 4000);
    assert_true(isnan(v[value_index(e, "min_len")])); /* FDX_INPUT_IP_LEN absent */
    assert_true(v[value_index(e, "min_ttl")] == 60);
    assert_true(v[value_index(e, "rmax_ttl")] == 52);
    assert_true(v[value_index(e, "rtcp_flags")] == 0x13);
    assert_true(v[value_index(e, "duration")] == 1.5);
    assert_true(isnan(v[value_index(e, "sp")]));
    assert_true(v[value_index(e, "rec_present")] ==
                (FDX_REC_FROM_RECORD | FDX_REC_RESP | FDX_REC_TCP_FLAGS | FDX_REC_TTL));
    assert_true(v[value_index(e, "rec_flags_rev")] == 0x13);
    assert_true(v[value_index(e, "rec_min_ttl")] == 60);
    assert_true(v[value_index(e, "rec_max_ttl_rev")] == 52);
    assert_true(v[value_index(e, "rec_begun")] == 1);
    assert_true(isnan(v[value_index(e, "template_payload_bytes")]));
    assert_string_equal(seen.v[0][0].plugin, "records");
    assert_int_equal(seen.v[0][0].verdict, FDX_VERDICT_MALICIOUS);
    assert_string_equal(seen.labels[0][0], "big");
    assert_true(seen.v[0][0].score == 0.75);
    assert_int_equal(seen.v[0][0].declined, 0); /* said with a verdict: ignored */
    assert_string_equal(seen.v[0][1].plugin, "template");
    assert_int_equal(seen.v[0][1].verdict, FDX_VERDICT_NONE);
    assert_int_equal(seen.v[0][1].declined, 0); /* a plugin of packets on a record */

    v = seen.values[1];
    assert_true(v[value_index(e, "packets")] == 3);
    assert_true(isnan(v[value_index(e, "rpackets")]));
    assert_true(isnan(v[value_index(e, "rtcp_flags")]));
    assert_true(isnan(v[value_index(e, "min_ttl")]));
    assert_true(v[value_index(e, "tcp_flags")] == 0x1a);
    assert_true(v[value_index(e, "rec_present")] == (FDX_REC_FROM_RECORD | FDX_REC_TCP_FLAGS));
    assert_int_equal(seen.v[1][0].verdict, FDX_VERDICT_BENIGN);
    assert_int_equal(seen.v[1][0].declined, 0);

    /* the packet flow: the template judges nothing but computes; the records plugin is silent */
    assert_int_equal(seen.v[2][0].verdict, FDX_VERDICT_NONE);
    assert_int_equal(seen.v[2][0].declined, 1);
    assert_int_equal(seen.v[2][1].declined, 0); /* the template never declines */
    assert_true(seen.values[2][value_index(e, "template_payload_bytes")] == 0);
    assert_true(seen.values[2][value_index(e, "packets")] == 1);

    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.flows_ended[FDX_END_FIN], 1);
    assert_int_equal(st.flows_ended[FDX_END_IDLE], 1);
    assert_int_equal(st.flows_ended[FDX_END_EOF], 1);
    assert_int_equal(st.packets, 1);
    fdx_engine_free(e);
    fdx_plugin_inst_free(in[0]);
    fdx_plugin_inst_free(in[1]);
    fdx_plugin_lib_close(rlib);
    fdx_plugin_lib_close(tlib);
}

/* fdx_featureset outside the engine: a flow view that says FDX_REC_FROM_RECORD gets flowrec's
 * values from its record fields; zadnik, which needs packets, gives NaN. */
static void test_plugin_featureset_reads_record_view(void **state)
{
    (void)state;
    char err[256];
    fdx_featureset *fr = NULL, *z = NULL;
    assert_int_equal(fdx_featureset_new("flowrec", &fr, err, sizeof(err)), 0);
    assert_int_equal(fdx_featureset_new("zadnik", &z, err, sizeof(err)), 0);
    _Alignas(16) uint8_t st_fr[4096], st_z[4096];
    assert_true(fdx_featureset_flow_state_bytes(fr) <= sizeof(st_fr));
    assert_true(fdx_featureset_flow_state_bytes(z) <= sizeof(st_z));
    memset(st_fr, 0, sizeof(st_fr));
    memset(st_z, 0, sizeof(st_z));
    struct fdx_plugin_flow v;
    memset(&v, 0, sizeof(v));
    v.struct_size = sizeof(v);
    v.ip_version = 4;
    v.proto = 6;
    v.start_us = 5000000;
    v.end_us = 5250000;
    v.packets[0] = 7, v.packets[1] = 5;
    v.bytes[0] = 700, v.bytes[1] = 2500;
    v.record_present = FDX_REC_FROM_RECORD | FDX_REC_RESP | FDX_REC_IP_LEN;
    v.min_ip_len[0] = 40, v.max_ip_len[0] = 300, v.min_ip_len[1] = 52, v.max_ip_len[1] = 1500;
    double out[128];
    fdx_featureset_flow_begin(fr, st_fr, &v);
    fdx_featureset_flow_end(fr, st_fr, &v, out);
    fdx_featureset_flow_release(fr, st_fr);
    assert_int_equal(fdx_featureset_count(fr), 15);
    assert_true(out[0] == 7 && out[1] == 700 && out[2] == 40 && out[3] == 300);
    assert_true(isnan(out[4]) && isnan(out[5]) && isnan(out[6])); /* no TTL, no flags */
    assert_true(out[7] == 5 && out[8] == 2500 && out[9] == 52 && out[10] == 1500);
    assert_true(out[14] == 0.25);
    fdx_featureset_flow_begin(z, st_z, &v);
    fdx_featureset_flow_end(z, st_z, &v, out);
    fdx_featureset_flow_release(z, st_z);
    for (uint32_t i = 0; i < fdx_featureset_count(z); i++)
        assert_true(isnan(out[i]));
    fdx_featureset_free(fr);
    fdx_featureset_free(z);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_plugin PLUGIN_DIR TEMPLATE.so\n");
        return 2;
    }
    plugin_dir = argv[1];
    template_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_refuses_other_major_with_both_versions),
        cmocka_unit_test(test_plugin_refuses_small_descriptor),
        cmocka_unit_test(test_plugin_refuses_missing_callback),
        cmocka_unit_test(test_plugin_refuses_object_without_entry),
        cmocka_unit_test(test_plugin_refuses_bad_field_and_state_size),
        cmocka_unit_test(test_plugin_refuses_missing_file_and_non_object),
        cmocka_unit_test(test_plugin_init_error_reaches_caller),
        cmocka_unit_test(test_plugin_template_settings_are_checked),
        cmocka_unit_test(test_plugin_template_runs_in_engine),
        cmocka_unit_test(test_plugin_run_time_rules),
        cmocka_unit_test(test_plugin_label_is_printable),
        cmocka_unit_test(test_plugin_records_plugin_gets_flow_records),
        cmocka_unit_test(test_plugin_featureset_reads_record_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
