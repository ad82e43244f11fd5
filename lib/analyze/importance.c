/* SPDX-License-Identifier: BSD-3-Clause */
/* Importance on the paper's 0-100 scale, its ranking, and the universal set of two sources. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "flowdx/flowdx.h"

void fdxi_importance_scale100(const double *imp, uint32_t d, double *ret)
{
    double top = 0.0;
    for (uint32_t j = 0; j < d; j++)
        top = imp[j] > top ? imp[j] : top;
    for (uint32_t j = 0; j < d; j++)
        ret[j] = top > 0.0 ? 100.0 * imp[j] / top : 0.0;
}

void fdxi_rank_desc(const double *v, uint32_t n, uint32_t *order)
{
    /* Insertion sort keeps equal values in index order; feature counts are small (<= 4096). */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        while (j > 0 && v[order[j - 1]] < v[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

/* Index of the unpaired feature named @p prefix followed by @p name, or -1. */
static int32_t find_unpaired(const char *const *names, uint32_t n, const bool *paired,
                             const char *prefix, const char *name)
{
    size_t lp = strlen(prefix), ln = strlen(name);
    for (uint32_t m = 0; m < n; m++) {
        const char *c = names[m];
        if (!paired[m] && strlen(c) == lp + ln && memcmp(c, prefix, lp) == 0 &&
            memcmp(c + lp, name, ln) == 0)
            return (int32_t)m;
    }
    return -1;
}

int fdxi_universal(const char *const *names, const double *ga, const double *gb, uint32_t n,
                   double threshold, struct fdxi_universal_row **ret_rows, uint32_t *ret_n)
{
    bool *paired = calloc(n ? n : 1, sizeof(*paired));
    struct fdxi_universal_row *rows = calloc(n ? n : 1, sizeof(*rows));
    double *g = malloc((n ? n : 1) * sizeof(*g));
    uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
    struct fdxi_universal_row *sorted = calloc(n ? n : 1, sizeof(*sorted));
    int rc = FDX_ENOMEM;
    if (paired == NULL || rows == NULL || g == NULL || order == NULL || sorted == NULL)
        goto out;
    uint32_t m = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (paired[j])
            continue;
        /* The twin of f is "r" + f; failing that, a name "rX" is the response twin of X. */
        paired[j] = true;
        uint32_t f = j;
        int32_t t = find_unpaired(names, n, paired, "r", names[j]);
        if (t < 0 && names[j][0] == 'r') {
            int32_t req = find_unpaired(names, n, paired, "", names[j] + 1);
            if (req >= 0) {
                f = (uint32_t)req;
                t = (int32_t)j;
            }
        }
        struct fdxi_universal_row *r = &rows[m];
        r->f = f;
        r->rf = t;
        r->ga[0] = ga[f];
        r->gb[0] = gb[f];
        if (t >= 0) {
            paired[f] = paired[t] = true;
            r->ga[1] = ga[t];
            r->gb[1] = gb[t];
            r->g = (fmax(ga[f], ga[t]) + fmax(gb[f], gb[t])) / 2.0;
        } else {
            r->ga[1] = r->gb[1] = NAN;
            r->g = (ga[f] + gb[f]) / 2.0;
        }
        r->kept = r->g >= threshold;
        g[m++] = r->g;
    }
    fdxi_rank_desc(g, m, order);
    for (uint32_t i = 0; i < m; i++)
        sorted[i] = rows[order[i]];
    *ret_rows = sorted;
    *ret_n = m;
    sorted = NULL;
    rc = 0;
out:
    free(paired);
    free(rows);
    free(g);
    free(order);
    free(sorted);
    return rc;
}
