/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiles the public headers as C99 -pedantic -Werror and calls through them once. */
#include <flowdx/flowdx.h>
#include <flowdx/flowdx_analysis.h>
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
    return ok ? 0 : 1;
}
