/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as a YAML configuration, then every accessor on every key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every key of a mapping with every accessor, and recurse into what they hand out. */
static void walk(const fdx_config_node *map, int depth)
{
    static const char *const choices[] = {"a", "b"};
    char err[256];
    const char *keys[] = {"a", "b", "input", "plugins", "settings", "x"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *s;
        int64_t n;
        double d;
        int b;
        uint64_t us;
        uint32_t c;
        const fdx_config_node *sub;
        /* Oracle: an error always comes with a message naming the configuration. */
        if (fdx_config_get_int(map, keys[i], -5, 5, &n, err, sizeof(err)) < 0 &&
            strstr(err, "fuzz.yaml:") == NULL)
            abort();
        (void)fdx_config_get_string(map, keys[i], &s, err, sizeof(err));
        (void)fdx_config_get_double(map, keys[i], -1, 1, &d, err, sizeof(err));
        (void)fdx_config_get_bool(map, keys[i], &b, err, sizeof(err));
        (void)fdx_config_get_duration(map, keys[i], 0, 1000000, &us, err, sizeof(err));
        (void)fdx_config_get_choice(map, keys[i], choices, 2, &c, err, sizeof(err));
        if (depth < 8 && fdx_config_get_map(map, keys[i], &sub, err, sizeof(err)) == 1)
            walk(sub, depth + 1);
        if (depth < 8 && fdx_config_get_list(map, keys[i], &sub, err, sizeof(err)) == 1)
            for (uint32_t k = 0; k < fdx_config_list_count(sub); k++)
                if (fdx_config_node_kind(fdx_config_list_at(sub, k)) == FDX_CONFIG_MAP)
                    walk(fdx_config_list_at(sub, k), depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fdx_config *c = NULL;
    char err[512];
    int rc = fdx_config_load_string((const char *)data, size, "fuzz.yaml", &c, err, sizeof(err));
    if (rc < 0) {
        if (c != NULL || strstr(err, "fuzz.yaml") == NULL)
            abort();
        return 0;
    }
    walk(fdx_config_root(c), 0);
    (void)fdx_config_check_unused(fdx_config_root(c), err, sizeof(err));
    fdx_config_free(c);
    return 0;
}
