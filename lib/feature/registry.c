/* SPDX-License-Identifier: BSD-3-Clause */
/* The table of built-in feature sets and lookups by name. */
#include "feature/feature.h"

#include <stdio.h>
#include <string.h>

#include "dpi/dpi.h"
#include "flowdx/flowdx.h"

static const struct fdxi_feature_set *const sets[] = {
    &fdxi_feature_set_zadnik, &fdxi_feature_set_doh_ip,  &fdxi_feature_set_doh_dohlyzer,
    &fdxi_feature_set_dpi,    &fdxi_feature_set_flowrec,     &fdxi_feature_set_moore,
};

uint32_t fdxi_feature_set_count(void)
{
    return (uint32_t)(sizeof(sets) / sizeof(sets[0]));
}

const struct fdxi_feature_set *fdxi_feature_set_at(uint32_t i)
{
    return i < fdxi_feature_set_count() ? sets[i] : NULL;
}

const struct fdxi_feature_set *fdxi_feature_set_find(const char *name, size_t len)
{
    for (uint32_t i = 0; i < fdxi_feature_set_count(); i++) {
        const char *alias = sets[i]->alias;
        if ((strlen(sets[i]->name) == len && memcmp(sets[i]->name, name, len) == 0) ||
            (alias != NULL && strlen(alias) == len && memcmp(alias, name, len) == 0))
            return sets[i];
    }
    return NULL;
}

void fdxi_feature_set_names(char *buf, size_t len)
{
    size_t used = 0;
    if (len > 0)
        buf[0] = '\0';
    for (uint32_t i = 0; i < fdxi_feature_set_count() && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", sets[i]->name);
        if (w > 0)
            used += (size_t)w;
    }
}

uint32_t fdx_feature_set_count(void)
{
    return fdxi_feature_set_count();
}

const char *fdx_feature_set_name(uint32_t i)
{
    const struct fdxi_feature_set *s = fdxi_feature_set_at(i);
    return s ? s->name : NULL;
}

const char *fdx_feature_set_summary(uint32_t i)
{
    const struct fdxi_feature_set *s = fdxi_feature_set_at(i);
    return s ? s->summary : NULL;
}
