/* SPDX-License-Identifier: BSD-3-Clause */
/* An engine set up from the YAML configuration: flows, feature sets, detectors and plugins. */
#ifndef FLOWDX_FLOWDX_SETUP_H
#define FLOWDX_FLOWDX_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"
#include "flowdx_config.h"
#include "flowdx_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_setup.h
 * The part of flowdx.yaml(5) that describes an engine, read from the root mapping of a loaded
 * configuration (every key optional; defaults as fdx_engine_options_init()):
 *
 *     flows:
 *       idle_timeout: 120s      # fdx_engine_options.idle_timeout_us
 *       active_timeout: 120s    # 0 = none
 *       linger: 2s              # after RST or both FINs
 *       max_flows: 1000000      # flow table capacity
 *     features: [zadnik]        # feature sets whose values each record carries; [] = none
 *     detectors:                # built-in detector plugins, with their settings (doc/abi.md)
 *       spam: {enabled: true, model: ..., ports: [25, 465, 587]}
 *       doh:  {enabled: true, model: ..., servers: [...], known_resolvers: true, all_tls: false}
 *     plugins:                  # plugin shared objects, run in this order after the detectors
 *       - path: /usr/lib/x86_64-linux-gnu/flowdx/plugins/flowdx-template.so
 *         settings: {min_payload: 1}
 *
 * A detector is enabled when its mapping is present, unless it says `enabled: false`. Other top
 * keys (input, outputs, ...) are the host's: fdx_setup_new() reads only these four, so call
 * fdx_config_check_unused() on the root after every reader is done. A key a host reads inside a
 * detector's mapping (flowdx reads `detectors.doh.pairs`) must be read before fdx_setup_new(),
 * which hands the mapping to the plugin, and the plugin refuses keys nobody asked for.
 */

/** The plugins and engine settings of one configuration. */
typedef struct fdx_setup fdx_setup;

/**
 * Read the engine's part of a configuration and load its detectors' models and plugins.
 * @param root the configuration's root mapping, borrowed for the call.
 * @param data_dir where detectors find their default model files (borrowed for the call); NULL
 * for the current directory.
 * @return 0, or with "FILE:LINE:COL: ..." (or the model or plugin file) in errbuf: FDX_EFORMAT
 * (a value of the wrong form, an unknown key or set), FDX_EINVAL (a rule between values: a set or
 * plugin given twice, an unknown plugin setting, no set and no plugin, a plugin's own refusal),
 * FDX_ERANGE, FDX_ENOENT, FDX_ENOTSUP, FDX_ENOMEM, or another code a plugin's init returned.
 */
FDX_API int fdx_setup_new(const fdx_config_node *root, const char *data_dir, fdx_setup **ret_setup,
                          char *errbuf, size_t errlen);

/** Free a setup after every engine made with it is freed. NULL ok. */
FDX_API void fdx_setup_free(fdx_setup *setup);

/**
 * Fill engine options from the setup: flow settings, feature sets and plugins. The caller
 * initialises @p opts first and sets on_flow, log and user. Strings and arrays stay the setup's.
 */
FDX_API void fdx_setup_engine_options(const fdx_setup *setup, struct fdx_engine_options *opts);

/** Number of plugins (detectors first, then `plugins:`), and the name of plugin @p i (NULL out
 * of range; the plugin's own string, valid until fdx_setup_free()). The engine's record carries one
 * verdict per plugin in this order. */
FDX_API uint32_t fdx_setup_plugin_count(const fdx_setup *setup);
FDX_API const char *fdx_setup_plugin_name(const fdx_setup *setup, uint32_t i);

/**
 * The entry function of a detector built into libflowdx ("spam", "doh"), or NULL. The same
 * plugins as the installed flowdx-spam.so and flowdx-doh.so, for hosts that link libflowdx:
 * load them with fdx_plugin_lib_from_entry().
 */
FDX_API fdx_plugin_entry_fn fdx_plugin_builtin_entry(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_SETUP_H */
