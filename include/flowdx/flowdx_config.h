/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx configuration API: a parsed YAML document and typed, located access to its keys. */
#ifndef FLOWDX_FLOWDX_CONFIG_H
#define FLOWDX_FLOWDX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_config.h
 *
 * A configuration is one YAML document (block or flow style) whose nodes are mappings, sequences
 * and scalars. Anchors and aliases, tags (the core ones too) and duplicate keys are refused
 * at load. Every node remembers its file, line and column (both from 1).
 *
 * Keys are read through typed accessors. Each accessor names the key it looks for, present or
 * not, so a mapping knows every key its reader understands. fdx_config_check_unused() then
 * reports the first key nobody asked for, with its location and the nearest understood key:
 * a misspelt key is an error, not a silently ignored line. Plugins read their own settings the
 * same way through the handle the host gives them.
 *
 * Accessor return values: 1 when the key is present and its value was stored in the result, 0
 * when the key is absent or its value is null ("~" or empty: "use the default"; the result is
 * left untouched), or a negative FDX_E* code with "FILE:LINE:COL: key 'K': reason" in errbuf
 * (FDX_EFORMAT for a wrong type, FDX_ERANGE for a value out of range).
 *
 * Thread-safety: a configuration is read by one thread at a time. The accessors (and
 * fdx_plugin_inst_new(), which hands the settings to a plugin) take const nodes but record which
 * keys were asked for, so two threads must not read one configuration at once, not even "const".
 * Nodes are borrowed from their configuration and live until fdx_config_free().
 */

typedef struct fdx_config fdx_config;
typedef struct fdx_config_node fdx_config_node;

/** @name Limits of what a configuration may hold */
/**@{*/
#define FDX_CONFIG_MAX_BYTES (1u << 20) /**< file or string size */
#define FDX_CONFIG_MAX_DEPTH 32u        /**< nesting of mappings and sequences */
#define FDX_CONFIG_MAX_NODES 65536u     /**< nodes in one document */
/**@}*/

/**
 * Parse a YAML file. An empty file is an empty mapping.
 * @param path borrowed for the call; kept (copied) for messages.
 * @param ret_config set on success; free with fdx_config_free().
 * @return 0, FDX_ENOENT or FDX_EIO (file), FDX_EFORMAT (YAML syntax, aliases, duplicate keys,
 * a root that is not a mapping: "PATH:LINE:COL: reason" in errbuf), FDX_ERANGE (a limit above)
 * or FDX_ENOMEM.
 */
FDX_API int fdx_config_load_file(const char *path, fdx_config **ret_config, char *errbuf,
                                 size_t errlen);

/**
 * Parse YAML text, as fdx_config_load_file().
 * @param text borrowed for the call; @p len bytes (no terminator needed).
 * @param name used in place of a file name in messages ("<string>" when NULL); copied.
 */
FDX_API int fdx_config_load_string(const char *text, size_t len, const char *name,
                                   fdx_config **ret_config, char *errbuf, size_t errlen);

/** Free a configuration and every node in it. NULL ok. */
FDX_API void fdx_config_free(fdx_config *config);

/** The root mapping of the document. */
FDX_API const fdx_config_node *fdx_config_root(const fdx_config *config);

/** @name Node kinds (fdx_config_node_kind()) */
/**@{*/
#define FDX_CONFIG_SCALAR 0
#define FDX_CONFIG_MAP 1
#define FDX_CONFIG_LIST 2
/**@}*/

/** FDX_CONFIG_SCALAR, _MAP or _LIST. */
FDX_API uint32_t fdx_config_node_kind(const fdx_config_node *node);

/** "FILE:LINE:COL" of a node, written into @p buf; returns buf. */
FDX_API const char *fdx_config_node_where(const fdx_config_node *node, char *buf, size_t len);

/** @name Typed access to the keys of a mapping (return values: see the file comment) */
/**@{*/

/** A string: any scalar. @p ret_value is borrowed from the configuration. */
FDX_API int fdx_config_get_string(const fdx_config_node *map, const char *key,
                                  const char **ret_value, char *errbuf, size_t errlen);

/** A decimal integer (a leading 0x means hexadecimal) within [min, max]. */
FDX_API int fdx_config_get_int(const fdx_config_node *map, const char *key, int64_t min,
                               int64_t max, int64_t *ret_value, char *errbuf, size_t errlen);

/** A finite number within [min, max]. */
FDX_API int fdx_config_get_double(const fdx_config_node *map, const char *key, double min,
                                  double max, double *ret_value, char *errbuf, size_t errlen);

/** true/false (also yes/no, on/off, any case); @p ret_value becomes 1 or 0. */
FDX_API int fdx_config_get_bool(const fdx_config_node *map, const char *key, int *ret_value,
                                char *errbuf, size_t errlen);

/**
 * A duration: a number with a unit, us, ms, s, m or h ("120s", "1.5m", "500ms"); a bare number
 * is seconds. Stored in microseconds, within [min_us, max_us].
 */
FDX_API int fdx_config_get_duration(const fdx_config_node *map, const char *key, uint64_t min_us,
                                    uint64_t max_us, uint64_t *ret_us, char *errbuf, size_t errlen);

/**
 * One of a fixed list of words: @p ret_index becomes the index of the value in @p choices
 * (n_choices words). Anything else is FDX_EFORMAT, and the message lists the choices.
 */
FDX_API int fdx_config_get_choice(const fdx_config_node *map, const char *key,
                                  const char *const *choices, uint32_t n_choices,
                                  uint32_t *ret_index, char *errbuf, size_t errlen);

/** A nested mapping. @p ret_node is borrowed from the configuration. */
FDX_API int fdx_config_get_map(const fdx_config_node *map, const char *key,
                               const fdx_config_node **ret_node, char *errbuf, size_t errlen);

/**
 * A sequence. A single scalar is accepted as a sequence of one (so "detect: doh" and
 * "detect: [doh, spam]" both work); @p ret_node is then the scalar node, and
 * fdx_config_list_count() says 1 for it.
 */
FDX_API int fdx_config_get_list(const fdx_config_node *map, const char *key,
                                const fdx_config_node **ret_node, char *errbuf, size_t errlen);
/**@}*/

/** Items of a sequence (1 for a scalar, 0 for a mapping). */
FDX_API uint32_t fdx_config_list_count(const fdx_config_node *list);

/** Keys of a mapping (0 for a scalar or a sequence): 0 for the root of an empty or comment-only
 * file. */
FDX_API uint32_t fdx_config_map_count(const fdx_config_node *map);

/** Item @p i of a sequence (the node itself for a scalar and i = 0), or NULL. */
FDX_API const fdx_config_node *fdx_config_list_at(const fdx_config_node *list, uint32_t i);

/** The text of a scalar node, or NULL for a mapping or sequence. Borrowed. */
FDX_API const char *fdx_config_scalar(const fdx_config_node *node);

/**
 * Mark every key of @p map as understood without reading it (a section whose keys another
 * component reads later, or one the reader deliberately ignores).
 */
FDX_API void fdx_config_accept_all(const fdx_config_node *map);

/**
 * Check that every key of @p map, and of every mapping reached through keys that were read, was
 * asked for by some accessor.
 * @return 0, or FDX_EINVAL with "FILE:LINE:COL: unknown key 'K' (did you mean 'N'?)" in errbuf
 * for the first unknown key in document order (the hint when a known key is close enough).
 */
FDX_API int fdx_config_check_unused(const fdx_config_node *map, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_CONFIG_H */
