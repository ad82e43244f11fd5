/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plugin/spam and plugin/doh against the library's own path. One engine runs a detector's feature
 * set and the detector's plugin side by side on real captures: for every flow the plugin judges,
 * its feature fields must equal the engine's values of the same set (the plugin computes them
 * from the ABI's views with fdx_featureset), and its verdict must equal fdx_model_classify() of
 * the same model on the engine's values (what `flowdx run --detect` does without plugins).
 */
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
#include "flowdx/flowdx_features.h"
#include "flowdx/flowdx_model.h"
#include "flowdx/flowdx_plugin.h"

static const char *spam_so, *doh_so, *model_dir, *top; /* argv */

struct check {
    fdx_model *model;
    uint32_t n_set;  /* the set's values, first in each record */
    uint32_t first;  /* the plugin's first field */
    uint32_t judged; /* flows with a plugin verdict */
    uint32_t malicious, uncertain;
    uint32_t decided_split; /* decided flows whose trees were not unanimous (score not 0 or 1) */
    uint32_t mismatched_values, mismatched_verdicts;
};

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct check *c = user;
    assert_int_equal(r->n_verdicts, 1);
    uint32_t pv = r->verdicts[0].verdict;
    if (pv == FDX_VERDICT_NONE)
        return;
    c->judged++;
    for (uint32_t i = 0; i < c->n_set; i++) {
        double a = r->features[i], b = r->features[c->first + i];
        if (!(a == b || (isnan(a) && isnan(b))))
            c->mismatched_values++;
    }
    /* the model on the engine's own values: a record of the set alone */
    struct fdx_flow_record own = *r;
    own.n_features = c->n_set;
    own.n_verdicts = 0;
    own.verdicts = NULL;
    struct fdx_verdict v = {.struct_size = sizeof(v)};
    assert_int_equal(fdx_model_classify(c->model, &own, &v), 0);
    uint32_t expect = v.uncertain      ? FDX_VERDICT_UNCERTAIN
                      : v.verdict == 1 ? FDX_VERDICT_MALICIOUS
                                       : FDX_VERDICT_BENIGN;
    c->malicious += pv == FDX_VERDICT_MALICIOUS;
    c->uncertain += pv == FDX_VERDICT_UNCERTAIN;
    c->decided_split += pv != FDX_VERDICT_UNCERTAIN && v.score != 0.0 && v.score != 1.0;
    if (pv != expect || r->verdicts[0].score != v.score)
        c->mismatched_verdicts++;
}

/* Runs @p set and the plugin at @p so over the captures; returns the counts. The library path's
 * model gets @p margin (NaN: its own), as the plugin's settings should give it. */
static struct check run(const char *so, const char *set, const char *model, const char *settings,
                        double margin, const char *const *captures)
{
    char err[1024], path[4096];
    struct check c = {0};
    snprintf(path, sizeof(path), "%s/%s", model_dir, model);
    assert_int_equal(fdx_model_load(path, &c.model, err, sizeof(err)), 0);
    if (!isnan(margin))
        assert_int_equal(fdx_model_set_margin(c.model, margin, err, sizeof(err)), 0);
    fdx_plugin_lib *lib = NULL;
    if (fdx_plugin_lib_open(so, &lib, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    fdx_config *cfg = NULL;
    assert_int_equal(
        fdx_config_load_string(settings, strlen(settings), "settings", &cfg, err, sizeof(err)), 0);
    fdx_plugin_inst *inst = NULL;
    if (fdx_plugin_inst_new(lib, fdx_config_root(cfg), model_dir, &inst, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = set;
    o.on_flow = on_flow;
    o.user = &c;
    o.plugins = &inst;
    o.n_plugins = 1;
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    fdx_featureset *fs = NULL;
    assert_int_equal(fdx_featureset_new(set, &fs, err, sizeof(err)), 0);
    c.n_set = fdx_featureset_count(fs);
    fdx_featureset_free(fs);
    c.first = c.n_set;
    /* a model bound to the whole record reads only the set's columns: bind it to those */
    const char *names[128];
    for (uint32_t i = 0; i < c.n_set; i++)
        names[i] = fdx_engine_feature_name(e, i);
    assert_int_equal(fdx_model_bind_names(c.model, names, c.n_set, err, sizeof(err)), 0);
    for (const char *const *p = captures; *p != NULL; p++) {
        snprintf(path, sizeof(path), "%s/%s", top, *p);
        cu_feed_file(e, path);
        fdx_engine_flush(e);
    }
    fdx_engine_free(e);
    fdx_plugin_inst_free(inst);
    fdx_config_free(cfg);
    fdx_plugin_lib_close(lib);
    fdx_model_free(c.model);
    c.model = NULL;
    return c;
}

static void test_spam_plugin_matches_library_path(void **state)
{
    (void)state;
    static const char *const caps[] = {"samples/spam/ndpi/emotet.pcap",
                                       "samples/spam/ndpi/smtp.pcap",
                                       "samples/spam/ndpi/smtp-starttls.pcap",
                                       "samples/spam/zeek/smtp.pcap",
                                       "samples/spam/zeek/smtp-attachment-msg.pcap",
                                       "samples/spam/zeek/smtp-multi-addr.pcap",
                                       NULL};
    struct check c = run(spam_so, "zadnik", "spam.fdxm", "{}", NAN, caps);
    printf("spam: %u flows judged, %u spam\n", c.judged, c.malicious);
    /* one SMTP session in each capture (emotet's is on port 587) */
    assert_true(c.judged >= 6);
    assert_int_equal(c.mismatched_values, 0);
    assert_int_equal(c.mismatched_verdicts, 0);

    /* margin 1 in the plugin's settings, and on the library path's model: the sum is
     * (A - B) / (A + B) for the accuracies A of the spam votes and B of the ham votes, so
     * |sum| < 1 unless one side is empty. Every decided flow is then unanimous: score (the
     * weighted spam share) exactly 0 or 1; the split ones are uncertain. */
    struct check one = run(spam_so, "zadnik", "spam.fdxm", "margin: 1", 1.0, caps);
    printf("spam, margin 1: %u judged, %u spam, %u uncertain\n", one.judged, one.malicious,
           one.uncertain);
    assert_int_equal(one.judged, c.judged);
    assert_int_equal(one.mismatched_verdicts, 0);
    assert_int_equal(one.decided_split, 0);
    assert_true(one.uncertain > c.uncertain); /* the shipped model splits on some of these */
    /* margin 0: only exact ties are uncertain */
    struct check zero = run(spam_so, "zadnik", "spam.fdxm", "margin: 0", 0.0, caps);
    assert_int_equal(zero.mismatched_verdicts, 0);
    assert_int_equal(zero.uncertain, 0);
}

static void test_model_set_margin_refuses(void **state)
{
    (void)state;
    char err[1024], path[4096];
    fdx_model *m = NULL;
    snprintf(path, sizeof(path), "%s/spam.fdxm", model_dir);
    assert_int_equal(fdx_model_load(path, &m, err, sizeof(err)), 0);
    assert_int_equal(fdx_model_set_margin(m, 1.5, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "out of range (0 to 1)"));
    assert_int_equal(fdx_model_set_margin(m, -0.1, err, sizeof(err)), FDX_ERANGE);
    assert_int_equal(fdx_model_set_margin(m, NAN, err, sizeof(err)), FDX_ERANGE);
    assert_int_equal(fdx_model_set_margin(m, 0.25, err, sizeof(err)), 0);
    fdx_model_free(m);
    /* the DoH jury has no margin */
    snprintf(path, sizeof(path), "%s/doh.fdxm", model_dir);
    assert_int_equal(fdx_model_load(path, &m, err, sizeof(err)), 0);
    assert_int_equal(fdx_model_set_margin(m, 0.25, err, sizeof(err)), FDX_ENOTSUP);
    assert_non_null(strstr(err, "weighted-trees"));
    fdx_model_free(m);
}

static void test_doh_plugin_matches_library_path(void **state)
{
    (void)state;
    static const char *const caps[] = {"samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap",
                                       "samples/doh/ndpi/dns_doh.pcap",
                                       "samples/doh/synthetic/synthetic_keepalive_59s.pcap", NULL};
    /* all_tls: every TCP flow to 443, so the browsing flows of the captures are judged too */
    struct check c = run(doh_so, "doh:ip", "doh.fdxm", "all_tls: true", NAN, caps);
    printf("doh: %u flows judged, %u malicious\n", c.judged, c.malicious);
    assert_true(c.judged >= 30);
    assert_true(c.malicious > 0 && c.malicious < c.judged);
    assert_int_equal(c.mismatched_values, 0);
    assert_int_equal(c.mismatched_verdicts, 0);
}

static void test_plugin_settings_errors_are_located(void **state)
{
    (void)state;
    char err[1024];
    fdx_plugin_lib *lib = NULL;
    assert_int_equal(fdx_plugin_lib_open(spam_so, &lib, err, sizeof(err)), 0);
    static const char *const bad[][2] = {
        {"ports: [25, 70000]", /* 70000 starts at byte 12, column 13 */
         "settings:1:13: key 'ports': not a port number"},
        {"model: /nonexistent/spam.fdxm", "/nonexistent/spam.fdxm"},
        {"prots: [25]", "unknown key 'prots' (did you mean 'ports'?)"},
        {"margin: 1.5", /* the value at column 9 */
         "settings:1:9: key 'margin': 1.5 is out of range (0 to 1)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fdx_config *cfg = NULL;
        assert_int_equal(fdx_config_load_string(bad[i][0], strlen(bad[i][0]), "settings", &cfg, err,
                                                sizeof(err)),
                         0);
        fdx_plugin_inst *inst = NULL;
        assert_true(
            fdx_plugin_inst_new(lib, fdx_config_root(cfg), model_dir, &inst, err, sizeof(err)) < 0);
        if (strstr(err, bad[i][1]) == NULL)
            fail_msg("'%s': got '%s'", bad[i][0], err);
        fdx_config_free(cfg);
    }
    /* a doh model given to the spam plugin */
    char yaml[4200];
    snprintf(yaml, sizeof(yaml), "model: %s/doh.fdxm", model_dir);
    fdx_config *cfg = NULL;
    assert_int_equal(fdx_config_load_string(yaml, strlen(yaml), "settings", &cfg, err, sizeof(err)),
                     0);
    fdx_plugin_inst *inst = NULL;
    assert_true(fdx_plugin_inst_new(lib, fdx_config_root(cfg), model_dir, &inst, err, sizeof(err)) <
                0);
    assert_non_null(strstr(err, "the spam plugin computes 'zadnik'"));
    fdx_config_free(cfg);
    fdx_plugin_lib_close(lib);
}

static void test_featureset_refuses_engine_only_sets(void **state)
{
    (void)state;
    char err[512];
    fdx_featureset *fs = NULL;
    assert_int_equal(fdx_featureset_new("doh:dohlyzer", &fs, err, sizeof(err)), FDX_ENOTSUP);
    assert_non_null(strstr(err, "cuts flows by its own rules"));
    assert_int_equal(fdx_featureset_new("dpi", &fs, err, sizeof(err)), FDX_ENOTSUP);
    assert_int_equal(fdx_featureset_new("nosuch", &fs, err, sizeof(err)), FDX_ENOENT);
    assert_int_equal(fdx_featureset_new("zadnik", &fs, err, sizeof(err)), 0);
    assert_int_equal(fdx_featureset_count(fs), 65); /* spec/zadnik.md: 2 x 32 and oneway */
    assert_string_equal(fdx_featureset_name(fs, 32), "rsp");
    fdx_featureset_free(fs);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_detectors SPAM.so DOH.so MODEL_DIR TOP_DIR\n");
        return 2;
    }
    spam_so = argv[1];
    doh_so = argv[2];
    model_dir = argv[3];
    top = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spam_plugin_matches_library_path),
        cmocka_unit_test(test_doh_plugin_matches_library_path),
        cmocka_unit_test(test_plugin_settings_errors_are_located),
        cmocka_unit_test(test_model_set_margin_refuses),
        cmocka_unit_test(test_featureset_refuses_engine_only_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
