/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the engine core: creating an engine from explicit feature-set tables. */
#ifndef FDX_LIB_CORE_H
#define FDX_LIB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feature/feature.h"
#include "flowdx/flowdx.h"

/* Most feature sets one engine runs. */
#define FDXI_MAX_SETS 8

/* Largest max_flows an engine accepts, 2^26; flowdx.yaml's flows.max_flows has the same limit. */
#define FDXI_MAX_MAX_FLOWS (1u << 26)

/*
 * fdx_engine_new() with the feature sets given as tables instead of names (options'
 * feature_sets is ignored), so tests and later the plugin host can run sets that are not in the
 * built-in registry.
 */
int fdxi_engine_new_with_sets(const struct fdx_engine_options *opts,
                              const struct fdxi_feature_set *const *sets, uint32_t n_sets,
                              fdx_engine **ret_engine, char *errbuf, size_t errlen);

/* The per-engine state of set @p set in @p e and the index of its first value in a record, or
 * NULL when the engine does not run the set. */
void *fdxi_engine_set_state(const fdx_engine *e, const struct fdxi_feature_set *set,
                            uint32_t *ret_first);

/* Inside on_flow: the per-flow state of set @p set for the record being reported, or NULL
 * (outside the callback, or a set the engine does not run). */
void *fdxi_engine_reporting(const fdx_engine *e, const struct fdxi_feature_set *set);

/* The engine's @p i-th feature set, in record order, and the index of its first value in a
 * record; NULL when @p i is past the last set. */
const struct fdxi_feature_set *fdxi_engine_set_at(const fdx_engine *e, uint32_t i,
                                                  uint32_t *ret_first);

struct fdxi_plugin_run;

/* The plugins the engine runs (NULL without plugins). Their values follow the sets' values, each
 * plugin's fields in table order, plugins in engine order. */
const struct fdxi_plugin_run *fdxi_engine_plugins(const fdx_engine *e);

/* The identifier columns flowdx's outputs put before a record's values (FDX_IDS_FLOWDX): names no
 * value may take, and that training never reads as features. */
bool fdxi_is_id_column(const char *name);

/* The built-in list of server ports at or above 1024, for the initiator rule. */
extern const uint16_t fdxi_default_server_ports[];
extern const uint32_t fdxi_n_default_server_ports;

#endif /* FDX_LIB_CORE_H */
