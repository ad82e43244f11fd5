/* SPDX-License-Identifier: BSD-3-Clause */
/* flowdx feature sets outside the engine: for plugins whose host cuts the flows. */
#ifndef FLOWDX_FLOWDX_FEATURES_H
#define FLOWDX_FLOWDX_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"
#include "flowdx_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_features.h
 * A plugin runs inside a host that owns the flow table: the host decides where flows begin and
 * end and hands the plugin parsed packet views (flowdx_plugin.h). fdx_featureset computes one of
 * flowdx's built-in feature sets from those views with the same code the engine uses, so a model
 * trained on `flowdx extract` rows classifies the plugin's values. The per-flow state is the
 * caller's memory (fdx_featureset_flow_state_bytes(), zeroed, 16-byte aligned), as the ABI's
 * flow state is the host's. One handle serves one thread at a time (a set may keep state across
 * flows, e.g. doh's payload chunks); a multi-threaded host gets one per thread (thread_init).
 *
 * Differences from the engine, all from what the views carry:
 * - a UDP packet is taken to carry its ports (the view does not say that a non-first fragment
 *   has none; for TCP, FDX_IN_TCP says it).
 * Sets that cut their own flows (doh:dohlyzer) or need nDPI's per-flow state (dpi) are refused:
 * their definitions depend on the engine's flow table.
 */

/** A built-in feature set instance for one thread. */
typedef struct fdx_featureset fdx_featureset;

/**
 * A feature set by name (as for `flowdx extract -f`, e.g. "zadnik", "doh:ip").
 * @return 0, FDX_ENOENT (no such set), FDX_ENOTSUP (a set that runs only in the engine, reason
 * in errbuf) or FDX_ENOMEM.
 */
FDX_API int fdx_featureset_new(const char *name, fdx_featureset **ret_set, char *errbuf,
                               size_t errlen);

/** Free a set; NULL is allowed. Flows still open are forgotten (release them first). */
FDX_API void fdx_featureset_free(fdx_featureset *set);

/** Per-flow state the caller keeps for each flow (at least 1). */
FDX_API size_t fdx_featureset_flow_state_bytes(const fdx_featureset *set);

/** The packet inputs (FDX_IN_*) the set reads: declare them in the plugin's descriptor. */
FDX_API uint32_t fdx_featureset_inputs(const fdx_featureset *set);

/** Number of values per flow, and the name of value @p i (NULL out of range; a static string). */
FDX_API uint32_t fdx_featureset_count(const fdx_featureset *set);
FDX_API const char *fdx_featureset_name(const fdx_featureset *set, uint32_t i);

/** A flow begins: @p state is fdx_featureset_flow_state_bytes() of zeroed memory. */
FDX_API void fdx_featureset_flow_begin(fdx_featureset *set, void *state,
                                       const struct fdx_plugin_flow *flow);

/** One packet of the flow, in time order. */
FDX_API void fdx_featureset_packet(fdx_featureset *set, void *state,
                                   const struct fdx_plugin_flow *flow,
                                   const struct fdx_plugin_packet *pkt);

/** The flow ends: writes fdx_featureset_count() values to @p out (NaN = no value). A flow whose
 * view has FDX_REC_FROM_RECORD in record_present is a flow record: the values then come from the
 * view's record fields (flowrec; NaN for what the record lacks), and NaN for a set that needs
 * packets. */
FDX_API void fdx_featureset_flow_end(fdx_featureset *set, void *state,
                                     const struct fdx_plugin_flow *flow, double *out);

/** The flow's state is no longer needed (after flow_end, or instead of it). */
FDX_API void fdx_featureset_flow_release(fdx_featureset *set, void *state);

/**
 * Well-known public DoH resolvers by address (IPv4 and IPv6 text), @p i from 0; NULL past the
 * end. The first twelve are the resolvers of the CIRA-CIC-DoHBrw-2020 capture tool; the rest are
 * the same services' other addresses. Static storage.
 */
FDX_API const char *fdx_doh_resolver_at(uint32_t i);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_FEATURES_H */
