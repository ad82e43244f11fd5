/* SPDX-License-Identifier: BSD-3-Clause */
/* Deliberately broken plugins for test_plugin: BROKEN selects which rule of the ABI this one
 * breaks (8 and up: rules the host checks when it runs the plugin, not when it loads it; 12 is
 * correct and writes a label that text outputs must not pass on as it is; 13 takes an IPFIX
 * element that only an exporter refuses). */
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
#elif BROKEN == 8
    /* init answers with a positive number, which the contract does not have */
    (void)errbuf;
    (void)errlen;
    (void)ret_self;
    return 5;
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
#if BROKEN == 12
    /* every flow malicious, with a label holding a quote, a backslash, a newline and UTF-8 */
    result->verdict = FDX_PLUGIN_MALICIOUS;
    result->score = 1;
    snprintf(result->label, sizeof(result->label), "bad\"la\\bel\n\xc3\xa9");
#else
    (void)result;
#endif
}
#endif

#if BROKEN == 9
/* thread_init fails with its own message and FDX_ENOMEM */
static int thread_init(void *self, void **ret_thread, char *errbuf, size_t errlen)
{
    (void)self;
    (void)ret_thread;
    snprintf(errbuf, errlen, "no thread for you");
    return FDX_ENOMEM;
}

static void thread_fini(void *self, void *thread)
{
    (void)self;
    (void)thread;
}
#endif

static const struct fdx_plugin_field fields[] = {
#if BROKEN == 5
    {"Bad Name", FDX_FIELD_U64, FDX_FIELD_FLOW, 0, 0, 0, "a name with capitals and a space"},
#elif BROKEN == 10
    {"src_addr", FDX_FIELD_U64, FDX_FIELD_FLOW, 0, 0, 0, "named like an identifier column"},
#elif BROKEN == 11
    {"broken_verdict", FDX_FIELD_U64, FDX_FIELD_FLOW, 0, 0, 0, "named like its verdict column"},
#elif BROKEN == 13
    {"broken_x", FDX_FIELD_U64, FDX_FIELD_FLOW, FDX_PEN_OWN, 8200, 0, "an element of flowdx's own"},
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
#if BROKEN == 9
    .thread_init = thread_init,
    .thread_fini = thread_fini,
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
