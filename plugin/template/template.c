/* SPDX-License-Identifier: BSD-3-Clause */
/* The smallest correct flowdx plugin: payload bytes and data packets per direction. Copy it. */
#include <flowdx/flowdx_plugin.h>
#include <stdio.h>
#include <stdlib.h>

/* Per-flow state: the host reserves flow_state_bytes in the flow slot, zeroed. No malloc. */
struct flow_state {
    uint64_t payload_bytes[2];
    uint64_t data_packets[2];
};

/* Per-instance settings, read once in init. */
struct self {
    int64_t min_payload; /* packets with less payload do not count as data packets */
};

/* Element ids 1-4 under the host's private enterprise number (FDX_PEN_OWN). */
static const struct fdx_plugin_field fields[] = {
    {"template_payload_bytes", FDX_FIELD_U64, FDX_FIELD_REQ, FDX_PEN_OWN, 1, 0,
     "transport payload bytes sent by the initiator"},
    {"template_payload_bytes_rev", FDX_FIELD_U64, FDX_FIELD_RESP, FDX_PEN_OWN, 1, 0,
     "transport payload bytes sent by the responder"},
    {"template_data_packets", FDX_FIELD_U32, FDX_FIELD_REQ, FDX_PEN_OWN, 2, 0,
     "initiator packets carrying at least min_payload bytes"},
    {"template_data_packets_rev", FDX_FIELD_U32, FDX_FIELD_RESP, FDX_PEN_OWN, 2, 0,
     "responder packets carrying at least min_payload bytes"},
};

static int init(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                size_t errlen)
{
    struct self *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errbuf, errlen, "template: out of memory");
        return FDX_ENOMEM;
    }
    s->min_payload = 1;
    /* Absent key: the default stays. A wrong type or range: the host gets a located message. */
    int rc = fdx_config_get_int(args->settings, "min_payload", 1, 65535, &s->min_payload, errbuf,
                                errlen);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *ret_self = s;
    return 0;
}

static void fini(void *self)
{
    free(self);
}

static void packet(void *self, void *thread, void *flow_state, const struct fdx_plugin_flow *flow,
                   const struct fdx_plugin_packet *pkt)
{
    (void)thread;
    (void)flow;
    const struct self *s = self;
    struct flow_state *st = flow_state;
    uint32_t d = pkt->direction ? 1 : 0;
    st->payload_bytes[d] += pkt->payload_bytes;
    if (pkt->payload_bytes >= (uint64_t)s->min_payload)
        st->data_packets[d]++;
}

static void flow_end(void *self, void *thread, void *flow_state, const struct fdx_plugin_flow *flow,
                     struct fdx_plugin_result *result)
{
    (void)self;
    (void)thread;
    (void)flow;
    const struct flow_state *st = flow_state;
    result->values[0] = (double)st->payload_bytes[0];
    result->values[1] = (double)st->payload_bytes[1];
    result->values[2] = (double)st->data_packets[0];
    result->values[3] = (double)st->data_packets[1];
    /* A detector would also set result->verdict, result->score and result->label here, or,
     * leaving the verdict at none, result->declined = 1 for a flow it chose not to judge. */
}

static const struct fdx_plugin descriptor = {
    .abi_major = FDX_PLUGIN_ABI_MAJOR,
    .abi_minor = FDX_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct fdx_plugin),
    .inputs = 0, /* payload_bytes is always present; nothing else is needed */
    .name = "template",
    .version = "1.0",
    .summary = "payload bytes and data packets per direction (the plugin to copy)",
    .flow_state_bytes = sizeof(struct flow_state),
    .n_fields = sizeof(fields) / sizeof(fields[0]),
    .fields = fields,
    .init = init,
    .fini = fini,
    .packet = packet,
    .flow_end = flow_end,
};

FDX_PLUGIN_EXPORT const struct fdx_plugin *fdx_plugin_entry_v1(void)
{
    return &descriptor;
}
