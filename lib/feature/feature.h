/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of feature sets: the registry entry every set provides, and the lookups. */
#ifndef FDX_LIB_FEATURE_H
#define FDX_LIB_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "flowdx/flowdx_plugin.h"
#include "packet/packet.h"

/*
 * What a flow record from another probe (NetFlow, IPFIX) carries, for sets that can be computed
 * from one: the engine's view of a struct fdx_input_record, and of a plugin flow view with
 * FDX_REC_FROM_RECORD. Which members hold values says present (FDX_REC_* bits of
 * flowdx_plugin.h): without FDX_REC_RESP the response direction is unknown, not empty.
 */
struct fdxi_record {
    uint32_t present;       /**< FDX_REC_* bits */
    uint8_t proto;          /**< IP protocol */
    uint64_t start_us;      /**< first packet, microseconds since the epoch */
    uint64_t end_us;        /**< last packet */
    uint64_t packets[2];    /**< per direction ([1] with FDX_REC_RESP) */
    uint64_t bytes[2];      /**< IP bytes per direction */
    uint8_t tcp_flags[2];   /**< OR of TCP flags (FDX_REC_TCP_FLAGS) */
    uint8_t min_ttl[2];     /**< FDX_REC_TTL */
    uint8_t max_ttl[2];     /**< FDX_REC_TTL */
    uint32_t min_ip_len[2]; /**< FDX_REC_IP_LEN */
    uint32_t max_ip_len[2]; /**< FDX_REC_IP_LEN */
};

/*
 * One feature set. The engine reserves flow_state_bytes in every flow slot (zeroed before
 * flow_begin) and set_state_bytes once per engine (zeroed before set_init), so a set can keep
 * state across flows. A set that must cut flows its own way names a policy; such a set runs
 * alone: the engine refuses to combine it with any other set.
 */
struct fdxi_feature_set {
    const char *name;                 /**< as given to -f */
    const char *alias;                /**< another name for it (e.g. "doh"), or NULL */
    uint32_t id_style;                /**< FDX_IDS_*: identifier columns when it runs alone */
    const char *summary;              /**< one line for listings */
    const char *const *feature_names; /**< n_features names, in output order */
    uint32_t n_features;
    uint32_t inputs;                       /**< FDX_IN_* packet inputs it reads (plugin views) */
    size_t flow_state_bytes;               /**< per flow, in the flow slot */
    size_t set_state_bytes;                /**< per engine */
    const struct fdxi_flow_policy *policy; /**< NULL: the engine's default flow cutting */
    /* Optional: prepare/release the per-engine state. set_init returns 0 or FDX_E*; set_fini
     * follows every set_init, a failed one too, so it must take the state as set_init left it. */
    int (*set_init)(void *set_state);
    void (*set_fini)(void *set_state);
    /* Optional: a record begins (flow_state is zeroed). */
    void (*flow_begin)(void *set_state, void *flow_state, const struct fdxi_flow *f);
    /* A packet of the record, in direction dir (FDX_DIR_REQ/RESP), after the table counted it. */
    void (*packet)(void *set_state, void *flow_state, const struct fdxi_flow *f,
                   const struct fdxi_packet *pkt, int dir);
    /* The record ends: write n_features values to out. */
    void (*finalise)(void *set_state, void *flow_state, const struct fdxi_flow *f, double *out);
    /* Optional: the n_features values of a flow record from another probe (NULL: all NaN). */
    void (*record)(const struct fdxi_record *r, double *out);
};

/* Built-in sets, in listing order. */
uint32_t fdxi_feature_set_count(void);
const struct fdxi_feature_set *fdxi_feature_set_at(uint32_t i);
/* The names of the built-in sets, ", "-separated, into @p buf (for "unknown set" messages). */
void fdxi_feature_set_names(char *buf, size_t len);
/* The set named @p name (length @p len, not NUL-terminated), or NULL. */
const struct fdxi_feature_set *fdxi_feature_set_find(const char *name, size_t len);
/* Parse "a,b,c" (spaces around names allowed; blank: no set) into up to FDXI_MAX_SETS registry
 * entries: 0, or FDX_ENOENT for an unknown name and FDX_EINVAL for an empty one or too many, with a
 * message naming the list or the name. */
int fdxi_feature_set_list(const char *list, const struct fdxi_feature_set **ret, uint32_t *ret_n,
                          char *errbuf, size_t errlen);

extern const struct fdxi_feature_set fdxi_feature_set_zadnik;
extern const struct fdxi_feature_set fdxi_feature_set_doh_ip;
extern const struct fdxi_feature_set fdxi_feature_set_doh_dohlyzer;
extern const struct fdxi_feature_set fdxi_feature_set_flowrec;
extern const struct fdxi_feature_set fdxi_feature_set_moore;

#endif /* FDX_LIB_FEATURE_H */
