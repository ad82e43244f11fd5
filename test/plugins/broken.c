/* SPDX-License-Identifier: BSD-3-Clause */
/* Deliberately broken plugins for test_plugin: BROKEN selects which rule of the ABI this one
 * breaks. */
#include <flowdx/flowdx_plugin.h>
#include <stdio.h>

static int init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                size_t errlen)
{
    (void)args;
#if BROKEN == 6
    /* init refuses, with its own message */
    snprintf(errbuf, errlen, "model file missing");
    (void)ret_self;
    return FDX_ENOENT;
#else
    (void)errbuf;
    (void)errlen;
    *ret_self = NULL;
    return 0;
#endif
}

static void fini(void *self)
{
    (void)self;
}

#if BROKEN != 3
static void flow_end(void *self, void *thread, void *flow_state, const struct fdx_plugin_flow *flow,
                     struct fdx_plugin_result *result)
{
    (void)self;
    (void)thread;
    (void)flow_state;
    (void)flow;
    (void)result;
}
#endif

static const struct fdx_plugin_field fields[] = {
#if BROKEN == 5
    {"Bad Name", FDX_FIELD_U64, FDX_FIELD_FLOW, 0, 0, 0, "a name with capitals and a space"},
#else
    {"broken_x", FDX_FIELD_U64, FDX_FIELD_FLOW, 0, 0, 0, "a field"},
#endif
};

static const struct fdx_plugin descriptor = {
#if BROKEN == 1
    .abi_major = 2, /* a plugin for a future, incompatible host */
    .abi_minor = 3,
#else
    .abi_major = FDX_PLUGIN_ABI_MAJOR,
    .abi_minor = FDX_PLUGIN_ABI_MINOR,
#endif
#if BROKEN == 2
    .struct_size = 16, /* a descriptor that stops before the 1.0 callbacks */
#else
    .struct_size = sizeof(struct fdx_plugin),
#endif
    .name = "broken",
    .version = "0",
    .summary = "breaks one rule",
    .n_fields = 1,
    .fields = fields,
    .init = init,
    .fini = fini,
#if BROKEN != 3
    .flow_end = flow_end, /* BROKEN 3: a mandatory callback missing */
#endif
#if BROKEN == 7
    .flow_state_bytes = 1u << 20, /* more per-flow state than a host reserves */
#endif
};

#if BROKEN != 4
/* BROKEN 4: no entry symbol at all */
FDX_PLUGIN_EXPORT const struct fdx_plugin *fdx_plugin_entry_v1(void)
{
    return &descriptor;
}
#else
FDX_PLUGIN_EXPORT const struct fdx_plugin *flowdx_plugin(void);
FDX_PLUGIN_EXPORT const struct fdx_plugin *flowdx_plugin(void)
{
    return &descriptor;
}
#endif
