/* SPDX-License-Identifier: BSD-3-Clause */
/* k-means clustering: k-means++ starts, Lloyd iterations, v-fold cross-validated cost, choice of k.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"

/* Squared distance of a and b, or a value above @p bound once the partial sum passes it. */
static double dist2_below(const double *a, const double *b, uint32_t d, double bound)
{
    double s = 0.0;
    for (uint32_t j = 0; j < d && s <= bound; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static uint32_t nearest(const double *centres, uint32_t k, uint32_t d, const double *x,
                        double *ret_d2)
{
    uint32_t best = 0;
    double best_d2 = fdxi_dist2(x, centres, d);
    for (uint32_t c = 1; c < k; c++) {
        /* Stopping a sum early once it exceeds the best cannot change which centre wins. */
        double t = dist2_below(x, centres + (size_t)c * d, d, best_d2);
        if (t < best_d2) {
            best_d2 = t;
            best = c;
        }
    }
    if (ret_d2 != NULL)
        *ret_d2 = best_d2;
    return best;
}

uint32_t fdxi_kmeans_nearest(const struct fdxi_kmeans *km, const double *x, double *ret_d2)
{
    return nearest(km->centres, km->k, km->d, x, ret_d2);
}

double fdxi_kmeans_cost(const struct fdxi_kmeans *km, const double *x, uint32_t n)
{
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double d2;
        nearest(km->centres, km->k, km->d, x + (size_t)i * km->d, &d2);
        sum += d2;
    }
    return n > 0 ? sum / n : 0.0;
}

void fdxi_kmeans_fini(struct fdxi_kmeans *km)
{
    if (km == NULL)
        return;
    free(km->centres);
    memset(km, 0, sizeof(*km));
}

/*
 * k-means++ (Arthur and Vassilvitskii, 2007): the first centre is a row drawn uniformly, each
 * next one a row drawn with probability proportional to its squared distance to the nearest
 * centre chosen so far. When every row already sits on a centre (fewer distinct rows than k),
 * the draw is uniform again. d2 holds n doubles of scratch.
 */
static void plus_plus(const double *x, uint32_t n, uint32_t d, uint32_t k, struct fdxi_rng *rng,
                      double *centres, double *d2)
{
    uint32_t first = (uint32_t)fdxi_rng_below(rng, n);
    memcpy(centres, x + (size_t)first * d, d * sizeof(double));
    for (uint32_t i = 0; i < n; i++)
        d2[i] = fdxi_dist2(x + (size_t)i * d, centres, d);
    for (uint32_t c = 1; c < k; c++) {
        double total = 0.0;
        for (uint32_t i = 0; i < n; i++)
            total += d2[i];
        uint32_t pick = 0;
        if (total > 0.0) {
            double r = fdxi_rng_unit(rng) * total, acc = 0.0;
            pick = n - 1;
            for (uint32_t i = 0; i < n; i++) {
                acc += d2[i];
                if (r < acc && d2[i] > 0.0) {
                    pick = i;
                    break;
                }
            }
            /* Rounding can leave r at the very end: take the last row with a distance. */
            while (d2[pick] == 0.0 && pick > 0)
                pick--;
        } else {
            pick = (uint32_t)fdxi_rng_below(rng, n);
        }
        double *ctr = centres + (size_t)c * d;
        memcpy(ctr, x + (size_t)pick * d, d * sizeof(double));
        for (uint32_t i = 0; i < n; i++) {
            double t = fdxi_dist2(x + (size_t)i * d, ctr, d);
            d2[i] = t < d2[i] ? t : d2[i];
        }
    }
}

/* Scratch of one fit. */
struct work {
    double *centres; /* k * d */
    double *sum;     /* k * d */
    uint32_t *count; /* k */
    uint32_t *assign;
    double *d2; /* n */
};

/*
 * Lloyd's iterations from the centres in w: assign every row to its nearest centre, move every
 * centre to the mean of its rows, until no row moves. An empty cluster takes the row farthest
 * from its own centre, so that k clusters stay in use while there are k distinct rows. Returns
 * the final cost (mean squared distance).
 */
static double lloyd(const double *x, uint32_t n, uint32_t d, uint32_t k, uint32_t max_iter,
                    struct work *w)
{
    for (uint32_t i = 0; i < n; i++)
        w->assign[i] = UINT32_MAX;
    for (uint32_t it = 0; it < max_iter; it++) {
        bool moved = false;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t c = nearest(w->centres, k, d, x + (size_t)i * d, &w->d2[i]);
            moved = moved || c != w->assign[i];
            w->assign[i] = c;
        }
        if (!moved)
            break;
        memset(w->sum, 0, (size_t)k * d * sizeof(double));
        memset(w->count, 0, k * sizeof(uint32_t));
        for (uint32_t i = 0; i < n; i++) {
            double *s = w->sum + (size_t)w->assign[i] * d;
            const double *xi = x + (size_t)i * d;
            for (uint32_t j = 0; j < d; j++)
                s[j] += xi[j];
            w->count[w->assign[i]]++;
        }
        for (uint32_t c = 0; c < k; c++) {
            double *ctr = w->centres + (size_t)c * d;
            if (w->count[c] > 0) {
                for (uint32_t j = 0; j < d; j++)
                    ctr[j] = w->sum[(size_t)c * d + j] / w->count[c];
                continue;
            }
            uint32_t far = 0;
            for (uint32_t i = 1; i < n; i++)
                far = w->d2[i] > w->d2[far] ? i : far;
            memcpy(ctr, x + (size_t)far * d, d * sizeof(double));
            w->d2[far] = 0.0; /* a second empty cluster takes another row */
            w->assign[far] = UINT32_MAX;
        }
    }
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        w->assign[i] = nearest(w->centres, k, d, x + (size_t)i * d, &w->d2[i]);
        sum += w->d2[i];
    }
    return sum / n;
}

int fdxi_kmeans_fit(const double *x, uint32_t n, uint32_t d, const struct fdxi_kmeans_options *o,
                    struct fdxi_kmeans *ret, uint32_t *ret_assign)
{
    if (x == NULL || o == NULL || ret == NULL || d == 0 || o->k == 0 || o->k > n ||
        o->restarts == 0 || o->max_iter == 0)
        return FDX_EINVAL;
    uint32_t k = o->k;
    struct work w = {0};
    double *best = malloc((size_t)k * d * sizeof(double));
    uint32_t *best_assign = malloc((size_t)n * sizeof(uint32_t));
    w.centres = malloc((size_t)k * d * sizeof(double));
    w.sum = malloc((size_t)k * d * sizeof(double));
    w.count = malloc((size_t)k * sizeof(uint32_t));
    w.assign = malloc((size_t)n * sizeof(uint32_t));
    w.d2 = malloc((size_t)n * sizeof(double));
    int rc = FDX_ENOMEM;
    if (best == NULL || best_assign == NULL || w.centres == NULL || w.sum == NULL ||
        w.count == NULL || w.assign == NULL || w.d2 == NULL)
        goto out;
    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, o->seed);
    double best_cost = INFINITY;
    for (uint32_t r = 0; r < o->restarts; r++) {
        plus_plus(x, n, d, k, &rng, w.centres, w.d2);
        double cost = lloyd(x, n, d, k, o->max_iter, &w);
        if (cost < best_cost) {
            best_cost = cost;
            memcpy(best, w.centres, (size_t)k * d * sizeof(double));
            memcpy(best_assign, w.assign, (size_t)n * sizeof(uint32_t));
        }
    }
    *ret = (struct fdxi_kmeans){.k = k, .d = d, .centres = best, .cost = best_cost};
    best = NULL;
    if (ret_assign != NULL)
        memcpy(ret_assign, best_assign, (size_t)n * sizeof(uint32_t));
    rc = 0;
out:
    free(best);
    free(best_assign);
    free(w.centres);
    free(w.sum);
    free(w.count);
    free(w.assign);
    free(w.d2);
    return rc;
}

/* A seed for the fit of k clusters without fold f: the seed's own stream stays untouched. */
static uint64_t derived_seed(uint64_t seed, uint32_t k, uint32_t f)
{
    return seed ^ (0x9E3779B97F4A7C15ull * (((uint64_t)k << 32) | (f + 1u)));
}

int fdxi_kmeans_cv(const double *x, uint32_t n, uint32_t d, const uint32_t *fold, uint32_t folds,
                   uint32_t k_min, uint32_t k_max, const struct fdxi_kmeans_options *o,
                   double *ret_cost, char *err, size_t errlen)
{
    if (x == NULL || fold == NULL || o == NULL || ret_cost == NULL || folds < 2 || k_min < 1 ||
        k_max < k_min) {
        fdxi_set_err(err, errlen, "k-means cross-validation: bad arguments");
        return FDX_EINVAL;
    }
    uint32_t *size = calloc(folds, sizeof(*size));
    double *train = malloc((size_t)n * d * sizeof(double));
    double *test = malloc((size_t)n * d * sizeof(double));
    double *sum = calloc((size_t)k_max - k_min + 1, sizeof(double));
    int rc = FDX_ENOMEM;
    if (size == NULL || train == NULL || test == NULL || sum == NULL)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        if (fold[i] >= folds) {
            fdxi_set_err(err, errlen, "k-means cross-validation: row %u in fold %u of %u", i,
                         fold[i], folds);
            rc = FDX_EINVAL;
            goto out;
        }
        size[fold[i]]++;
    }
    for (uint32_t f = 0; f < folds; f++) {
        if (size[f] == 0 || n - size[f] < k_max) {
            fdxi_set_err(err, errlen,
                         "%u rows are too few for %u-fold cross-validation of up to %u "
                         "clusters: fold %u has %u rows, and %u remain to fit on",
                         n, folds, k_max, f + 1, size[f], n - size[f]);
            rc = FDX_EINVAL;
            goto out;
        }
    }
    for (uint32_t f = 0; f < folds; f++) {
        uint32_t n_train = 0, n_test = 0;
        for (uint32_t i = 0; i < n; i++) {
            double *to = fold[i] == f ? test + (size_t)n_test++ * d : train + (size_t)n_train++ * d;
            memcpy(to, x + (size_t)i * d, d * sizeof(double));
        }
        for (uint32_t k = k_min; k <= k_max; k++) {
            struct fdxi_kmeans_options ko = *o;
            ko.k = k;
            ko.seed = derived_seed(o->seed, k, f);
            struct fdxi_kmeans km;
            rc = fdxi_kmeans_fit(train, n_train, d, &ko, &km, NULL);
            if (rc < 0) {
                fdxi_set_err(err, errlen, "k-means: out of memory");
                goto out;
            }
            sum[k - k_min] += fdxi_kmeans_cost(&km, test, n_test);
            fdxi_kmeans_fini(&km);
        }
    }
    for (uint32_t k = k_min; k <= k_max; k++)
        ret_cost[k - k_min] = sum[k - k_min] / folds;
    rc = 0;
out:
    free(size);
    free(train);
    free(test);
    free(sum);
    return rc;
}

uint32_t fdxi_kmeans_choose_k(const double *cost, uint32_t k_min, uint32_t k_max,
                              double min_decrease)
{
    for (uint32_t k = k_min; k < k_max; k++) {
        double c = cost[k - k_min], next = cost[k + 1 - k_min];
        double decrease = c > 0.0 ? (c - next) / c : 0.0;
        if (decrease < min_decrease)
            return k;
    }
    return k_max;
}
