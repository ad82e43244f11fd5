/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-group profiles of rows: sizes, min-max normalised averages, normal density parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "flowdx/flowdx.h"

void fdxi_profile_fini(struct fdxi_profile *p)
{
    if (p == NULL)
        return;
    free(p->size);
    free(p->min);
    free(p->max);
    free(p->norm_mean);
    free(p->mean);
    free(p->sd);
    memset(p, 0, sizeof(*p));
}

int fdxi_profile_compute(const double *x, uint32_t n, uint32_t d, const uint32_t *group, uint32_t k,
                         struct fdxi_profile *ret)
{
    if (x == NULL || group == NULL || ret == NULL || n == 0 || d == 0 || k == 0)
        return FDX_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        if (group[i] >= k)
            return FDX_EINVAL;
    }
    struct fdxi_profile p = {.k = k, .d = d};
    size_t kd = (size_t)k * d;
    p.size = calloc(k, sizeof(*p.size));
    p.min = malloc(d * sizeof(double));
    p.max = malloc(d * sizeof(double));
    p.norm_mean = calloc(kd, sizeof(double));
    p.mean = calloc(kd, sizeof(double));
    p.sd = calloc(kd, sizeof(double));
    if (p.size == NULL || p.min == NULL || p.max == NULL || p.norm_mean == NULL || p.mean == NULL ||
        p.sd == NULL) {
        fdxi_profile_fini(&p);
        return FDX_ENOMEM;
    }
    memcpy(p.min, x, d * sizeof(double));
    memcpy(p.max, x, d * sizeof(double));
    for (uint32_t i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * d;
        p.size[group[i]]++;
        for (uint32_t j = 0; j < d; j++) {
            p.min[j] = xi[j] < p.min[j] ? xi[j] : p.min[j];
            p.max[j] = xi[j] > p.max[j] ? xi[j] : p.max[j];
            p.mean[(size_t)group[i] * d + j] += xi[j];
        }
    }
    for (uint32_t c = 0; c < k; c++) {
        for (uint32_t j = 0; j < d && p.size[c] > 0; j++)
            p.mean[(size_t)c * d + j] /= p.size[c];
    }
    /* Second pass: deviations from the group means (no cancellation of one-pass sums). */
    for (uint32_t i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * d;
        size_t base = (size_t)group[i] * d;
        for (uint32_t j = 0; j < d; j++) {
            double t = xi[j] - p.mean[base + j];
            p.sd[base + j] += t * t;
            double range = p.max[j] - p.min[j];
            p.norm_mean[base + j] += range > 0.0 ? (xi[j] - p.min[j]) / range : 0.0;
        }
    }
    for (uint32_t c = 0; c < k; c++) {
        for (uint32_t j = 0; j < d && p.size[c] > 0; j++) {
            size_t at = (size_t)c * d + j;
            p.sd[at] = sqrt(p.sd[at] / p.size[c]);
            p.norm_mean[at] /= p.size[c];
        }
    }
    *ret = p;
    return 0;
}
