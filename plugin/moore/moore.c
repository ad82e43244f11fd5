/* SPDX-License-Identifier: BSD-3-Clause */
/* The moore plugin: Moore's 248 discriminators and is_tcp of every flow as fields of the plugin
 * ABI. */
#include <flowdx/flowdx_features.h>
#include <flowdx/flowdx_plugin.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * A host that runs this plugin gets, for each flow it cuts, the values `flowdx extract -f moore`
 * writes, computed by the library's own set (fdx_featureset) from the host's packet views, under
 * the same names: a model trained on extract rows reads the plugin's fields. Because the names are
 * the set's, a flowdx engine runs either the set or the plugin, not both (the engine refuses a
 * field named like a feature). IPFIX: element ids 14000 + i under the host's enterprise number,
 * those of the set (doc/ipfix.md).
 */
#define MAX_FIELDS 256
#define FIRST_ELEMENT 14000

struct self {
    fdx_featureset *fs; /* for a host that calls no thread_init */
};

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static bool built;
static struct fdx_plugin desc;
static struct fdx_plugin_field fields[MAX_FIELDS];

static int init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                size_t errlen)
{
    (void)args;
    struct self *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FDX_ENOMEM;
    int rc = fdx_featureset_new("moore", &s->fs, errbuf, errlen);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *ret_self = s;
    return 0;
}

static void fini(void *self)
{
    struct self *s = self;
    fdx_featureset_free(s->fs);
    free(s);
}

/* One set per capture thread: the set keeps per-instance state (its packet pool, FFT plans and
 * the table of host pairs for discriminator 209). */
static int thread_init(void *self, void **ret_thread, char *errbuf, size_t errlen)
{
    (void)self;
    fdx_featureset *fs = NULL;
    int rc = fdx_featureset_new("moore", &fs, errbuf, errlen);
    if (rc < 0)
        return rc;
    *ret_thread = fs;
    return 0;
}

static void thread_fini(void *self, void *thread)
{
    (void)self;
    fdx_featureset_free(thread);
}

static fdx_featureset *set_of(void *self, void *thread)
{
    return thread != NULL ? thread : ((struct self *)self)->fs;
}

/*
 * The host's flow state is the set's: fdx_featureset keeps its own record of whether the flow began
 * and ended, and its packet, flow_end and flow_release calls ignore a flow that never began.
 */
static void flow_begin(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow)
{
    fdx_featureset_flow_begin(set_of(self, thread), state, flow);
}

static void packet(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                   const struct fdx_plugin_packet *pkt)
{
    fdx_featureset_packet(set_of(self, thread), state, flow, pkt);
}

static void flow_end(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                     struct fdx_plugin_result *result)
{
    fdx_featureset_flow_end(set_of(self, thread), state, flow, result->values);
}

/* Every end of a flow comes here, so the set gives back what the flow held in its pool. */
static void flow_release(void *self, void *thread, void *state)
{
    fdx_featureset_flow_release(set_of(self, thread), state);
}

/* The descriptor, built on the first call from the set's names and state size. */
static const struct fdx_plugin *build(void)
{
    pthread_mutex_lock(&build_lock);
    if (!built) {
        fdx_featureset *fs = NULL;
        char err[256];
        if (fdx_featureset_new("moore", &fs, err, sizeof(err)) == 0 &&
            fdx_featureset_count(fs) <= MAX_FIELDS) {
            uint32_t n = fdx_featureset_count(fs);
            for (uint32_t i = 0; i < n; i++) {
                /* The set's names are static storage of libflowdx, loaded as long as we are. */
                fields[i] = (struct fdx_plugin_field){
                    .name = fdx_featureset_name(fs, i),
                    .type = FDX_FIELD_F64,
                    .direction = FDX_FIELD_FLOW,
                    .enterprise = FDX_PEN_OWN,
                    .element_id = (uint16_t)(FIRST_ELEMENT + i),
                    .description = "Moore discriminator (doc/features/moore.md)",
                };
            }
            desc = (struct fdx_plugin){
                .abi_major = FDX_PLUGIN_ABI_MAJOR,
                .abi_minor = FDX_PLUGIN_ABI_MINOR,
                .struct_size = sizeof(struct fdx_plugin),
                .inputs = fdx_featureset_inputs(fs),
                .name = "moore",
                .version = "1.0",
                .summary = "Moore/Zuev/Crogan's 248 flow discriminators and is_tcp, every flow",
                .flow_state_bytes = (uint32_t)fdx_featureset_flow_state_bytes(fs),
                .n_fields = n,
                .fields = fields,
                .init = init,
                .fini = fini,
                .thread_init = thread_init,
                .thread_fini = thread_fini,
                .flow_begin = flow_begin,
                .packet = packet,
                .flow_end = flow_end,
                .flow_release = flow_release,
            };
            built = true;
        }
        fdx_featureset_free(fs);
    }
    pthread_mutex_unlock(&build_lock);
    return built ? &desc : NULL;
}

FDX_PLUGIN_EXPORT const struct fdx_plugin *fdx_plugin_entry_v1(void)
{
    return build();
}
