/* SPDX-License-Identifier: BSD-3-Clause */
/* The "forest" model kind: random forests of CART trees on bootstrap samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model/tree.h"

struct forest {
    uint32_t d;
    uint32_t n_classes;
    uint32_t n_trees;
    struct fdxi_tree **trees; /* n_trees, owned */
};

static void forest_free(void *model)
{
    struct forest *f = model;
    if (f == NULL)
        return;
    if (f->trees != NULL) {
        for (uint32_t i = 0; i < f->n_trees; i++)
            fdxi_tree_free(f->trees[i]);
    }
    free(f->trees);
    free(f);
}

uint32_t fdxi_forest_tree_count(const void *forest)
{
    const struct forest *f = forest;
    return f->n_trees;
}

const void *fdxi_forest_tree(const void *forest, uint32_t i)
{
    const struct forest *f = forest;
    return f->trees[i];
}

int fdxi_forest_importance(const void *forest, double *ret, uint32_t d)
{
    const struct forest *f = forest;
    if (d != f->d)
        return FDX_EINVAL;
    double *sum = calloc(d, sizeof(*sum));
    double *one = malloc((size_t)d * sizeof(*one));
    int rc = FDX_ENOMEM;
    if (sum == NULL || one == NULL)
        goto out;
    uint32_t used = 0;
    for (uint32_t i = 0; i < f->n_trees; i++) {
        /* scikit-learn leaves out trees that are a single leaf: they carry no importance. */
        if (fdxi_tree_node_count(f->trees[i]) < 2)
            continue;
        fdxi_tree_importance(f->trees[i], one, d);
        for (uint32_t j = 0; j < d; j++)
            sum[j] += one[j];
        used++;
    }
    double total = 0.0;
    for (uint32_t j = 0; j < d; j++) {
        sum[j] = used ? sum[j] / used : 0.0;
        total += sum[j];
    }
    for (uint32_t j = 0; j < d; j++)
        ret[j] = total > 0.0 ? sum[j] / total : 0.0;
    rc = 0;
out:
    free(sum);
    free(one);
    return rc;
}

/*
 * Each tree gets its own generator, seeded from one draw of a master generator seeded with
 * p->seed, so a tree depends only on the seed and its position (and trees could be grown in
 * parallel without changing the model). A tree's bootstrap sample is n draws with replacement.
 */
static int forest_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                        uint32_t n, uint32_t d, uint32_t n_classes, void **ret_model, char *err,
                        size_t errlen)
{
    int rc = fdxi_tree_check_train(p, x, y, n, d, n_classes, err, errlen);
    if (rc < 0)
        return rc;
    if (p->forest_trees < 1 || p->forest_trees > FDXI_MODEL_MAX_TREES) {
        snprintf(err, errlen, "forest: %u trees out of range (1 to %u)", p->forest_trees,
                 FDXI_MODEL_MAX_TREES);
        return FDX_ERANGE;
    }
    if (p->forest_max_features > d) {
        snprintf(err, errlen, "forest: max_features %u exceeds the %u features",
                 p->forest_max_features, d);
        return FDX_ERANGE;
    }
    uint32_t max_features = p->forest_max_features;
    if (max_features == 0) {
        max_features = (uint32_t)floor(sqrt((double)d)); /* scikit-learn: int(sqrt(d)) */
        if (max_features < 1)
            max_features = 1;
    }
    struct fdxi_tree_grow g = {.max_depth = p->tree_max_depth,
                               .min_samples_split = p->tree_min_samples_split,
                               .min_samples_leaf = p->tree_min_samples_leaf,
                               .max_features = max_features};
    rc = FDX_ENOMEM;
    uint32_t *samples = malloc((size_t)n * sizeof(*samples));
    struct forest *f = calloc(1, sizeof(*f));
    if (samples == NULL || f == NULL)
        goto out;
    f->d = d;
    f->n_classes = n_classes;
    f->trees = calloc(p->forest_trees, sizeof(*f->trees));
    if (f->trees == NULL)
        goto out;
    f->n_trees = p->forest_trees;
    struct fdxi_rng master;
    fdxi_rng_seed(&master, p->seed);
    for (uint32_t t = 0; t < f->n_trees; t++) {
        struct fdxi_rng rng;
        fdxi_rng_seed(&rng, fdxi_rng_next(&master));
        for (uint32_t i = 0; i < n; i++)
            samples[i] = (uint32_t)fdxi_rng_below(&rng, n);
        f->trees[t] = fdxi_tree_grow(&g, x, y, d, n_classes, samples, n, &rng);
        if (f->trees[t] == NULL)
            goto out;
    }
    *ret_model = f;
    f = NULL;
    rc = 0;
out:
    if (rc < 0)
        snprintf(err, errlen, "forest: out of memory");
    free(samples);
    forest_free(f);
    return rc;
}

static void forest_predict(const void *model, const double *x, double *ret_proba)
{
    const struct forest *f = model;
    for (uint32_t c = 0; c < f->n_classes; c++)
        ret_proba[c] = 0.0;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        const double *p = fdxi_tree_leaf_proba(f->trees[t], x);
        for (uint32_t c = 0; c < f->n_classes; c++)
            ret_proba[c] += p[c];
    }
    for (uint32_t c = 0; c < f->n_classes; c++)
        ret_proba[c] /= f->n_trees;
}

/* A forest: u32 tree count, then each tree as fdxi_tree_write() puts it. */
static void forest_save(const void *model, struct fdxi_wbuf *w)
{
    const struct forest *f = model;
    fdxi_wbuf_u32(w, f->n_trees);
    for (uint32_t t = 0; t < f->n_trees; t++)
        fdxi_tree_write(f->trees[t], w);
}

static void *forest_load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    uint32_t n = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_TREES, "forest tree count");
    if (!fdxi_rbuf_ok(r))
        return NULL;
    struct forest *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->trees = calloc(n, sizeof(*f->trees))) == NULL) {
        fdxi_rbuf_fail(r, "forest: out of memory");
        forest_free(f);
        return NULL;
    }
    f->d = d;
    f->n_classes = n_classes;
    f->n_trees = n;
    for (uint32_t t = 0; t < n; t++) {
        f->trees[t] = fdxi_tree_read(r, d, n_classes);
        if (f->trees[t] == NULL) {
            /* Say which tree: the reader's message names only the offset. */
            char msg[sizeof(r->err) + 32];
            snprintf(msg, sizeof(msg), "forest tree %u: %s", t, r->err);
            memcpy(r->err, msg, sizeof(r->err) - 1);
            r->err[sizeof(r->err) - 1] = '\0';
            forest_free(f);
            return NULL;
        }
    }
    return f;
}

static size_t forest_describe(const void *model, char *buf, size_t len, size_t used)
{
    const struct forest *f = model;
    return fdxi_trees_describe(f->trees, f->n_trees, true, buf, len, used);
}

const struct fdxi_model_kind fdxi_model_forest = {
    .name = "forest",
    .tag = 4,
    .train = forest_train,
    .predict = forest_predict,
    .save = forest_save,
    .load = forest_load,
    .free = forest_free,
    .describe = forest_describe,
};
