/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the configuration module: the node tree behind fdx_config. */
#ifndef FDX_LIB_CONFIG_H
#define FDX_LIB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "flowdx/flowdx_config.h"

/*
 * One YAML node. A mapping's children alternate key and value (key scalars at even indices); a
 * sequence's children are its items. Readers mark what they asked for in the mutable fields:
 * the tree is otherwise read-only after load.
 */
struct fdx_config_node {
    uint32_t kind;                     /**< FDX_CONFIG_* */
    uint32_t line, col;                /**< from 1 */
    char *text;                        /**< scalar text (NUL-terminated), NULL otherwise */
    bool quoted;                       /**< scalar written in quotes or as a block */
    struct fdx_config_node **children; /**< see above */
    uint32_t n_children, cap_children;
    struct fdx_config *config;        /**< the owning configuration */
    struct fdx_config_node *all_next; /**< every node of the configuration, for freeing */
    /* Reader marks. */
    bool asked;               /**< key scalar: some accessor asked for it */
    bool visited;             /**< container: handed out to a reader, so its own keys are checked */
    bool accept_all;          /**< mapping: every key counts as understood */
    const char **asked_names; /**< mapping: names asked for, present or not (for hints) */
    uint32_t n_asked, cap_asked;
};

struct fdx_config {
    char *name; /**< file name or string name, for messages */
    struct fdx_config_node *root;
    struct fdx_config_node *all; /**< every node, newest first */
    uint32_t n_nodes;
};

/* The key node of @p key in mapping @p map when the key is there with a null value ("key:",
 * "key: ~"), else NULL; for readers to which null and absent do not mean the same. */
const struct fdx_config_node *fdxi_config_null_key(const fdx_config_node *map, const char *key);

#endif /* FDX_LIB_CONFIG_H */
