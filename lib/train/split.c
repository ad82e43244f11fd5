/* SPDX-License-Identifier: BSD-3-Clause */
/* Seeded stratified splits of labelled rows into hold-out sides or cross-validation folds. */
#include <math.h>
#include <stdlib.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "train/train.h"

/*
 * Row indices grouped by class, each group shuffled: rows of class c are
 * idx[first[c] .. first[c + 1]). Rows enter in index order before the shuffle, so the result
 * depends on the seed and the labels only. Returns NULL when out of memory.
 */
static uint32_t *shuffled_by_class(const int32_t *y, uint32_t n, uint32_t n_classes, uint64_t seed,
                                   uint32_t *first)
{
    uint32_t *idx = malloc((size_t)n * sizeof(*idx));
    if (idx == NULL)
        return NULL;
    uint32_t fill[FDXI_MODEL_MAX_CLASSES];
    for (uint32_t c = 0; c <= n_classes; c++)
        first[c] = 0;
    for (uint32_t i = 0; i < n; i++)
        first[y[i] + 1]++;
    for (uint32_t c = 0; c < n_classes; c++) {
        first[c + 1] += first[c];
        fill[c] = first[c];
    }
    for (uint32_t i = 0; i < n; i++)
        idx[fill[y[i]]++] = i;
    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, seed);
    for (uint32_t c = 0; c < n_classes; c++)
        fdxi_rng_shuffle(&rng, idx + first[c], first[c + 1] - first[c]);
    return idx;
}

static bool labels_valid(const int32_t *y, uint32_t n, uint32_t n_classes)
{
    if (y == NULL || n == 0 || n_classes == 0 || n_classes > FDXI_MODEL_MAX_CLASSES)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes)
            return false;
    }
    return true;
}

int fdxi_split_holdout(const int32_t *y, uint32_t n, uint32_t n_classes, double test_fraction,
                       uint64_t seed, bool *ret_test)
{
    uint32_t first[FDXI_MODEL_MAX_CLASSES + 1];

    if (!labels_valid(y, n, n_classes) || ret_test == NULL || !(test_fraction > 0.0) ||
        !(test_fraction < 1.0))
        return FDX_EINVAL;
    uint32_t *idx = shuffled_by_class(y, n, n_classes, seed, first);
    if (idx == NULL)
        return FDX_ENOMEM;
    for (uint32_t c = 0; c < n_classes; c++) {
        uint32_t n_c = first[c + 1] - first[c];
        /* Rounded to the nearest row; a class of two or more keeps a row on each side. */
        uint32_t n_test = (uint32_t)floor(test_fraction * n_c + 0.5);
        if (n_c >= 2 && n_test == 0)
            n_test = 1;
        if (n_c >= 2 && n_test == n_c)
            n_test = n_c - 1;
        for (uint32_t p = 0; p < n_c; p++)
            ret_test[idx[first[c] + p]] = p < n_test;
    }
    free(idx);
    return 0;
}

int fdxi_split_kfold(const int32_t *y, uint32_t n, uint32_t n_classes, uint32_t k, uint64_t seed,
                     uint32_t *ret_fold)
{
    uint32_t first[FDXI_MODEL_MAX_CLASSES + 1];

    if (!labels_valid(y, n, n_classes) || ret_fold == NULL || k < 2 || k > n)
        return FDX_EINVAL;
    uint32_t *idx = shuffled_by_class(y, n, n_classes, seed, first);
    if (idx == NULL)
        return FDX_ENOMEM;
    /*
     * Deal each class's shuffled rows round-robin over the folds. The next class starts at the
     * fold after the last one dealt, so fold sizes also differ by at most one overall.
     */
    uint32_t fold = 0;
    for (uint32_t c = 0; c < n_classes; c++) {
        for (uint32_t p = first[c]; p < first[c + 1]; p++) {
            ret_fold[idx[p]] = fold;
            fold = fold + 1 == k ? 0 : fold + 1;
        }
    }
    free(idx);
    return 0;
}
