/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the plugin host: loaded plugin libraries and their running instances. */
#ifndef FDX_LIB_PLUGIN_H
#define FDX_LIB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "flowdx/flowdx_plugin.h"
#include "packet/packet.h"

/* Size of struct fdx_plugin in ABI 1.0: every member up to flow_release. */
#define FDXI_PLUGIN_SIZE_1_0                                                                       \
    (offsetof(struct fdx_plugin, flow_release) + sizeof(((struct fdx_plugin *)0)->flow_release))

struct fdx_plugin_lib {
    const struct fdx_plugin *desc; /* checked */
    void *dl;                      /* dlopen() handle; NULL for a linked-in plugin */
    char *what;                    /* path or name, for messages */
};

/* Check a descriptor against the ABI rules; a located message names @p what. */
int fdxi_plugin_check(const struct fdx_plugin *d, const char *what, char *errbuf, size_t errlen);

/* Fill the views a plugin sees from the engine's flow and packet. */
void fdxi_plugin_flow_view(const struct fdxi_flow *f, struct fdx_plugin_flow *ret);
void fdxi_plugin_packet_view(const struct fdxi_packet *p, int dir, uint32_t inputs,
                             struct fdx_plugin_packet *ret);

struct fdxi_record;
/* The record fields of a flow view for a flow that is a flow record (FDX_REC_FROM_RECORD). */
void fdxi_plugin_record_view(const struct fdxi_record *r, struct fdx_plugin_flow *v);

#endif /* FDX_LIB_PLUGIN_H */
