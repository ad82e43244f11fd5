// SPDX-License-Identifier: BSD-3-Clause
// Compiles the public headers as C++ and calls through them once.
#include <flowdx/flowdx.h>
#include <flowdx/flowdx_analysis.h>
#include <flowdx/flowdx_collect.h>
#include <flowdx/flowdx_config.h>
#include <flowdx/flowdx_export.h>
#include <flowdx/flowdx_features.h>
#include <flowdx/flowdx_model.h>
#include <flowdx/flowdx_plugin.h>
#include <flowdx/flowdx_setup.h>

#include <cstring>

int main()
{
    fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_engine *e = nullptr;
    if (fdx_engine_new(&o, &e, nullptr, 0) != 0)
        return 1;
    bool ok = fdx_engine_feature_count(e) > 0 && std::strcmp(fdx_version(), FDX_VERSION_STRING) == 0;
    fdx_engine_free(e);
    fdx_analysis_options ao;
    fdx_analysis_options_init(&ao);
    ok = ok && ao.struct_size == sizeof(ao) && std::strcmp(ao.kind, "importance") == 0;
    fdx_config *c = NULL;
    ok = ok && fdx_config_load_string("a: 1\n", 5, NULL, &c, NULL, 0) == 0;
    int64_t a = 0;
    ok = ok && fdx_config_get_int(fdx_config_root(c), "a", 0, 9, &a, NULL, 0) == 1 && a == 1;
    fdx_config_free(c);
    ok = ok && sizeof(struct fdx_plugin) > 0 && FDX_PLUGIN_ABI_MAJOR == 1;
    fdx_ipfix_options io;
    fdx_ipfix_options_init(&io);
    ok = ok && io.struct_size == sizeof(io) && io.enterprise == FDX_IPFIX_PEN_DEFAULT;
    ok = ok && fdx_ipfix_close(nullptr, nullptr, 0) == 0;
    return ok ? 0 : 1;
}
