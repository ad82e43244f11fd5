/* SPDX-License-Identifier: BSD-3-Clause */
/* flowdx_setup.h: an engine from the YAML configuration, with the built-in detector plugins. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture_util.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_setup.h"

static const char *model_dir, *top, *template_so; /* argv */

static fdx_config *load(const char *yaml)
{
    char err[1024];
    fdx_config *c = NULL;
    if (fdx_config_load_string(yaml, strlen(yaml), "flowdx.yaml", &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return c;
}

struct seen {
    uint32_t flows, spam_judged, doh_judged, n_verdicts;
    uint16_t spam_port;
};

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct seen *s = user;
    s->flows++;
    s->n_verdicts = r->n_verdicts;
    if (r->verdicts[0].verdict != FDX_VERDICT_NONE) {
        s->spam_judged++;
        s->spam_port = r->dst_port;
    }
    s->doh_judged += r->verdicts[1].verdict != FDX_VERDICT_NONE;
}

static void test_setup_builds_engine_with_both_detectors(void **state)
{
    (void)state;
    fdx_config *c = load("flows: {idle_timeout: 30s, active_timeout: 0, max_flows: 1000}\n"
                         "features: [zadnik]\n"
                         "detectors:\n  spam: {}\n  doh: {all_tls: true}\n");
    char err[1024];
    fdx_setup *s = NULL;
    if (fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(fdx_config_check_unused(fdx_config_root(c), err, sizeof(err)), 0);
    assert_int_equal(fdx_setup_plugin_count(s), 2);
    assert_string_equal(fdx_setup_plugin_name(s, 0), "spam");
    assert_string_equal(fdx_setup_plugin_name(s, 1), "doh");
    struct seen seen = {0};
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_setup_engine_options(s, &o);
    assert_int_equal(o.idle_timeout_us, 30000000u);
    assert_int_equal(o.active_timeout_us, 0);
    assert_int_equal(o.max_flows, 1000);
    o.on_flow = on_flow;
    o.user = &seen;
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    /* zadnik 65, spam plugin 65 + votes, models, doh plugin 29 + the same two */
    assert_int_equal(fdx_engine_feature_count(e), 65 + 67 + 31);
    assert_string_equal(fdx_engine_feature_name(e, 65), "spam_sp");
    assert_string_equal(fdx_engine_feature_name(e, 65 + 67), "doh_duration");
    char path[4096];
    snprintf(path, sizeof(path), "%s/samples/spam/ndpi/emotet.pcap", top);
    cu_feed_file(e, path);
    fdx_engine_flush(e);
    fdx_engine_free(e);
    /* the capture's one SMTP session is a submission on port 587 (its ndpiReader output) */
    assert_int_equal(seen.n_verdicts, 2);
    assert_int_equal(seen.spam_judged, 1);
    assert_int_equal(seen.spam_port, 587);
    /* all_tls: its two TLS flows to port 443; ndpiReader shows a 44.8 s gap in the second, past
     * the 30 s idle timeout here, so that one is two records */
    assert_int_equal(seen.doh_judged, 3);
    assert_true(seen.flows > 1);
    fdx_setup_free(s);
    fdx_config_free(c);
}

static void test_setup_defaults_and_disabled_detector(void **state)
{
    (void)state;
    char err[1024];
    fdx_setup *s = NULL;
    fdx_config *c = load("detectors: {spam: {enabled: false}}\n");
    assert_int_equal(fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err)), 0);
    assert_int_equal(fdx_setup_plugin_count(s), 0);
    struct fdx_engine_options o, d;
    fdx_engine_options_init(&o);
    fdx_engine_options_init(&d);
    fdx_setup_engine_options(s, &o);
    assert_string_equal(o.feature_sets, d.feature_sets); /* nothing to run: the default set */
    assert_int_equal(o.idle_timeout_us, d.idle_timeout_us);
    fdx_setup_free(s);
    fdx_config_free(c);
    /* an engine of plugins alone: no feature set without `features:` */
    c = load("detectors: {spam: {}}\n");
    assert_int_equal(fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err)), 0);
    fdx_setup_engine_options(s, &o);
    assert_string_equal(o.feature_sets, "");
    fdx_engine *e = NULL;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), 0);
    assert_int_equal(fdx_engine_feature_count(e), 67);
    fdx_engine_free(e);
    fdx_setup_free(s);
    fdx_config_free(c);
}

static void test_setup_errors_are_located(void **state)
{
    (void)state;
    char plugin_yaml[4400];
    snprintf(plugin_yaml, sizeof(plugin_yaml),
             "plugins:\n  - path: %s\n    settings: {min_payload: 0}\n", template_so);
    char misspelt_yaml[4400];
    snprintf(misspelt_yaml, sizeof(misspelt_yaml), "plugins:\n  - path: %s\n    setings: {}\n",
             template_so);
    const char *const cases[][2] = {
        {"detectors:\n  spma: {}\n", "flowdx.yaml:2:3: unknown key 'spma' (did you mean 'spam'?)"},
        {"features: [zadnik, nosuchset]\n",
         "flowdx.yaml:1:20: key 'features': unknown feature set 'nosuchset'"},
        /* the second 'zadnik' starts in column 20 */
        {"features: [zadnik, zadnik]\n",
         "flowdx.yaml:1:20: key 'features': feature set 'zadnik' given twice"},
        /* doh:dohlyzer cuts its own flows; reported at it, column 12 */
        {"features: [doh:dohlyzer, zadnik]\n",
         "flowdx.yaml:1:12: key 'features': feature set 'doh:dohlyzer' cuts its own flows"},
        {"flows: {idle_timeout: 5 parsecs}\n", "flowdx.yaml:1:23: key 'idle_timeout'"},
        {"flows: {max_flows: 3}\n", "flowdx.yaml:1:20: key 'max_flows'"},
        /* past the engine's 2^26 (doc/api.md): refused here, where the file location is known */
        {"flows: {max_flows: 70000000}\n",
         "flowdx.yaml:1:20: key 'max_flows': 70000000 is out of range (16 to 67108864)"},
        {"plugins:\n  - settings: {}\n", "flowdx.yaml:2:5: key 'plugins': this item has no 'path'"},
        {"plugins:\n  - path: /nonexistent/x.so\n",
         "flowdx.yaml:2:5: /nonexistent/x.so: No such file"},
        {misspelt_yaml, "flowdx.yaml:3:5: unknown key 'setings' (did you mean 'settings'?)"},
        {"detectors:\n  spam: {ports: [0]}\n", "flowdx.yaml:2:18: key 'ports'"},
        {"detectors:\n  doh: {model: /nonexistent.fdxm}\n", "/nonexistent.fdxm"},
        {"detectors:\n  spam: {enabled: maybe}\n", "flowdx.yaml:2:19: key 'enabled'"},
        /* the template refuses min_payload 0 (its range is 1-65535); the 0 is in column 29 */
        {plugin_yaml, "flowdx.yaml:3:29: key 'min_payload': 0 is out of range"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fdx_config *c = load(cases[i][0]);
        char err[1024] = "";
        fdx_setup *s = NULL;
        int rc = fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err));
        if (rc >= 0 || strstr(err, cases[i][1]) == NULL)
            fail_msg("case %zu: rc %d, expected '%s', got '%s'", i, rc, cases[i][1], err);
        assert_null(s);
        fdx_config_free(c);
    }
}

/* A NULL data directory is the current one: the default model is ./spam.fdxm, not /spam.fdxm
 * (the test runs where there is no spam.fdxm). */
static void test_setup_null_data_dir_is_current_directory(void **state)
{
    (void)state;
    fdx_config *c = load("detectors:\n  spam: {}\n");
    char err[1024] = "";
    fdx_setup *s = NULL;
    int rc = fdx_setup_new(fdx_config_root(c), NULL, &s, err, sizeof(err));
    if (rc >= 0 || strstr(err, "./spam.fdxm: No such file") == NULL)
        fail_msg("rc %d, expected './spam.fdxm: No such file', got '%s'", rc, err);
    assert_null(s);
    fdx_config_free(c);
}

/* flows.max_flows goes up to the engine's own limit, 2^26 = 67,108,864 flows (doc/api.md). */
static void test_setup_max_flows_up_to_the_engine_limit(void **state)
{
    (void)state;
    char err[1024];
    fdx_setup *s = NULL;
    fdx_config *c = load("flows: {max_flows: 67108864}\n");
    if (fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_setup_engine_options(s, &o);
    assert_int_equal(o.max_flows, 67108864);
    fdx_setup_free(s);
    fdx_config_free(c);
    c = load("flows: {max_flows: 67108865}\n");
    s = NULL;
    assert_int_equal(fdx_setup_new(fdx_config_root(c), model_dir, &s, err, sizeof(err)),
                     FDX_ERANGE);
    assert_non_null(strstr(err, "flowdx.yaml:1:20: key 'max_flows'"));
    assert_null(s);
    fdx_config_free(c);
}

static void test_builtin_entries(void **state)
{
    (void)state;
    assert_non_null(fdx_plugin_builtin_entry("spam"));
    assert_non_null(fdx_plugin_builtin_entry("doh"));
    assert_null(fdx_plugin_builtin_entry("moore"));
    assert_null(fdx_plugin_builtin_entry(NULL));
    char err[512];
    fdx_plugin_lib *lib = NULL;
    assert_int_equal(
        fdx_plugin_lib_from_entry(fdx_plugin_builtin_entry("doh"), "doh", &lib, err, sizeof(err)),
        0);
    assert_string_equal(fdx_plugin_lib_descriptor(lib)->name, "doh");
    fdx_plugin_lib_close(lib);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_setup MODEL_DIR TOP_DIR TEMPLATE.so\n");
        return 2;
    }
    model_dir = argv[1];
    top = argv[2];
    template_so = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_builds_engine_with_both_detectors),
        cmocka_unit_test(test_setup_defaults_and_disabled_detector),
        cmocka_unit_test(test_setup_errors_are_located),
        cmocka_unit_test(test_setup_null_data_dir_is_current_directory),
        cmocka_unit_test(test_setup_max_flows_up_to_the_engine_limit),
        cmocka_unit_test(test_builtin_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
