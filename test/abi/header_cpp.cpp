// SPDX-License-Identifier: BSD-3-Clause
// Compiles the public headers as C++ and calls through them once.
#include <flowdx/flowdx.h>
#include <flowdx/flowdx_analysis.h>

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
    return ok ? 0 : 1;
}
