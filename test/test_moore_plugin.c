/* SPDX-License-Identifier: BSD-3-Clause */
/* ABI test of plugin/moore: through the public API, its fields equal the moore set's values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture_util.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_plugin.h"

#define MAX_FLOWS 4096
#define N_VALUES 249

static const char *plugin_so, *top;

struct run {
    uint32_t n;
    uint64_t ids[MAX_FLOWS];
    double (*v)[N_VALUES];
    const char *names[N_VALUES];
};

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct run *run = user;
    assert_int_equal(r->n_features, N_VALUES);
    assert_true(run->n < MAX_FLOWS);
    run->ids[run->n] = r->flow_id;
    memcpy(run->v[run->n], r->features, sizeof(run->v[0]));
    run->n++;
}

/* Every flow of the captures through an engine of @p sets and @p inst (may be NULL). */
static void extract(const char *sets, fdx_plugin_inst *inst, const char *const *captures,
                    struct run *run)
{
    char err[1024], path[4096];
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = sets;
    o.on_flow = on_flow;
    o.user = run;
    o.plugins = inst ? &inst : NULL;
    o.n_plugins = inst ? 1 : 0;
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    for (uint32_t i = 0; i < N_VALUES; i++)
        run->names[i] = fdx_engine_feature_name(e, i);
    for (const char *const *p = captures; *p != NULL; p++) {
        snprintf(path, sizeof(path), "%s/%s", top, *p);
        cu_feed_file(e, path);
    }
    fdx_engine_flush(e);
    fdx_engine_free(e);
}

static void test_moore_plugin_fields_equal_the_set(void **state)
{
    (void)state;
    /* TCP, UDP and ICMP flows; 83 flows in the first. */
    static const char *const caps[] = {
        "samples/doh/korving/korving_ft_iodine_private_b64_23a0a5a8.pcap",
        "samples/spam/zeek/smtp.pcap", "samples/doh/ndpi/googledns_android10.pcap", NULL};
    char err[1024];
    fdx_plugin_lib *lib = NULL;
    if (fdx_plugin_lib_open(plugin_so, &lib, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    const struct fdx_plugin *d = fdx_plugin_lib_descriptor(lib);
    assert_string_equal(d->name, "moore");
    assert_int_equal(d->n_fields, N_VALUES);
    fdx_plugin_inst *inst = NULL;
    if (fdx_plugin_inst_new(lib, NULL, ".", &inst, err, sizeof(err)) != 0)
        fail_msg("%s", err);

    struct run *set = calloc(1, sizeof(*set)), *plug = calloc(1, sizeof(*plug));
    assert_non_null(set);
    assert_non_null(plug);
    set->v = calloc(MAX_FLOWS, sizeof(*set->v));
    plug->v = calloc(MAX_FLOWS, sizeof(*plug->v));
    assert_non_null(set->v);
    assert_non_null(plug->v);
    extract("moore", NULL, caps, set);
    extract("", inst, caps, plug);

    /* The engine refuses the set and the plugin together: same names. */
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.feature_sets = "moore";
    o.plugins = &inst;
    o.n_plugins = 1;
    fdx_engine *e = NULL;
    assert_int_equal(fdx_engine_new(&o, &e, err, sizeof(err)), FDX_EINVAL);

    assert_true(set->n > 10);
    assert_int_equal(set->n, plug->n);
    uint32_t tcp = 0;
    for (uint32_t i = 0; i < N_VALUES; i++)
        assert_string_equal(set->names[i], plug->names[i]);
    for (uint32_t f = 0; f < set->n; f++) {
        assert_true(set->ids[f] == plug->ids[f]);
        tcp += set->v[f][N_VALUES - 1] == 1;
        for (uint32_t i = 0; i < N_VALUES; i++) {
            double a = set->v[f][i], b = plug->v[f][i];
            if (!(a == b || (isnan(a) && isnan(b))))
                fail_msg("flow %llu, %s: set %.17g, plugin %.17g", (unsigned long long)set->ids[f],
                         set->names[i], a, b);
        }
    }
    assert_true(tcp > 0 && tcp < set->n); /* both kinds of flow were compared */
    free(set->v);
    free(plug->v);
    free(set);
    free(plug);
    fdx_plugin_inst_free(inst);
    fdx_plugin_lib_close(lib);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MOORE_PLUGIN_SO SOURCE_ROOT\n", argv[0]);
        return 2;
    }
    plugin_so = argv[1];
    top = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moore_plugin_fields_equal_the_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
