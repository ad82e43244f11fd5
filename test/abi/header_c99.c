/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiles the public headers as C99 -pedantic -Werror and calls through them once. */
#include <flowdx/flowdx.h>
#include <flowdx/flowdx_analysis.h>
#include <flowdx/flowdx_collect.h>
#include <flowdx/flowdx_config.h>
#include <flowdx/flowdx_export.h>
#include <flowdx/flowdx_features.h>
#include <flowdx/flowdx_model.h>
#include <flowdx/flowdx_plugin.h>
#include <flowdx/flowdx_setup.h>
#include <string.h>

int main(void)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, NULL, 0) != 0)
        return 1;
    int ok = fdx_engine_feature_count(e) > 0 && strcmp(fdx_version(), FDX_VERSION_STRING) == 0;
    fdx_engine_free(e);
    struct fdx_analysis_options ao;
    fdx_analysis_options_init(&ao);
    ok = ok && ao.struct_size == sizeof(ao) && strcmp(ao.kind, "importance") == 0;
    fdx_config *c = NULL;
    ok = ok && fdx_config_load_string("a: 1\n", 5, NULL, &c, NULL, 0) == 0;
    int64_t a = 0;
    ok = ok && fdx_config_get_int(fdx_config_root(c), "a", 0, 9, &a, NULL, 0) == 1 && a == 1;
    fdx_config_free(c);
    ok = ok && sizeof(struct fdx_plugin) > 0 && FDX_PLUGIN_ABI_MAJOR == 1;
    struct fdx_ipfix_options io;
    fdx_ipfix_options_init(&io);
    ok = ok && io.struct_size == sizeof(io) && io.enterprise == FDX_IPFIX_PEN_DEFAULT;
    ok = ok && fdx_ipfix_close(NULL, NULL, 0) == 0;
    struct fdx_collector_options co;
    fdx_collector_options_init(&co);
    ok = ok && co.struct_size == sizeof(co) && co.unpaired == FDX_UNPAIRED_ZERO;
    struct fdx_input_record ir;
    fdx_input_record_init(&ir);
    ok = ok && ir.struct_size == sizeof(ir);
    fdx_collector_free(NULL);
    return ok ? 0 : 1;
}
