/* SPDX-License-Identifier: BSD-3-Clause */
/* The table of built-in feature sets and lookups by name. */
#include "feature/feature.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/err.h"
#include "dpi/dpi.h"
#include "flowdx/flowdx.h"

static const struct fdxi_feature_set *const sets[] = {
    &fdxi_feature_set_zadnik, &fdxi_feature_set_doh_ip,  &fdxi_feature_set_doh_dohlyzer,
    &fdxi_feature_set_dpi,    &fdxi_feature_set_flowrec, &fdxi_feature_set_moore,
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

int fdxi_feature_set_list(const char *list, const struct fdxi_feature_set **ret, uint32_t *ret_n,
                          char *errbuf, size_t errlen)
{
    uint32_t n = 0;
    const char *p = list;
    if (p[strspn(p, " ")] == '\0') { /* no set: an engine of plugins alone */
        *ret_n = 0;
        return 0;
    }
    while (1) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed == 0) {
            fdxi_set_err(errbuf, errlen, "feature set list '%s': empty name", list);
            return FDX_EINVAL;
        }
        const struct fdxi_feature_set *s = fdxi_feature_set_find(p, trimmed);
        if (s == NULL) {
            char known[256];
            fdxi_feature_set_names(known, sizeof(known));
            fdxi_set_err(errbuf, errlen, "unknown feature set '%.*s' (known: %s)", (int)trimmed, p,
                         known);
            return FDX_ENOENT;
        }
        if (n == FDXI_MAX_SETS) {
            fdxi_set_err(errbuf, errlen, "feature set list '%s': more than %d sets", list,
                         FDXI_MAX_SETS);
            return FDX_EINVAL;
        }
        ret[n++] = s;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *ret_n = n;
    return 0;
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
