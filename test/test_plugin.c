/* SPDX-License-Identifier: BSD-3-Clause */
/* Plugin ABI: the host refuses broken plugins with both versions named, and runs a correct one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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
    assert_non_null(strstr(err, "ABI 1.1")); /* the host: this library, ABI 1.1 */
    assert_non_null(strstr(err, "broken1.so"));
}

static void test_plugin_refuses_small_descriptor(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(2, &lib, err, sizeof(err)), FDX_ENOTSUP);
    assert_non_null(strstr(err, "16 bytes"));
    assert_non_null(strstr(err, "host ABI 1.1"));
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

static void test_plugin_init_error_reaches_caller(void **state)
{
    (void)state;
    fdx_plugin_lib *lib = NULL;
    char err[512];
    assert_int_equal(open_broken(6, &lib, err, sizeof(err)), 0);
    fdx_plugin_inst *in = NULL;
    assert_int_equal(fdx_plugin_inst_new(lib, NULL, NULL, &in, err, sizeof(err)), FDX_ENOENT);
    assert_null(in);
    assert_non_null(strstr(err, "plugin 'broken'"));
    assert_non_null(strstr(err, "model file missing"));
    fdx_plugin_lib_close(lib);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
