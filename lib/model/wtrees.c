/* SPDX-License-Identifier: BSD-3-Clause */
/* The "weighted-trees" model kind: the spam paper's ensemble of CART trees whose verdict is the
 * sign of the accuracy-weighted sum of their votes, 0 meaning "uncertain" (Luckner & Filasiak,
 * "Flow-level spam modelling using separate data sources"; doc/training.md).
 * File layout: u32 tree count, f64 margin, then per tree f64 accuracy and the tree (tree.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model/tree.h"

struct wtrees {
    uint32_t d;
    uint32_t n_trees;
    double margin;
    double *acc;              /* n_trees accuracies on the validation rows, in [0, 1] */
    struct fdxi_tree **trees; /* n_trees, owned */
};

static void wtrees_free(void *model)
{
    struct wtrees *w = model;
    if (w == NULL)
        return;
    if (w->trees != NULL) {
        for (uint32_t i = 0; i < w->n_trees; i++)
            fdxi_tree_free(w->trees[i]);
    }
    free(w->trees);
    free(w->acc);
    free(w);
}

/* The rule from the accuracy sums of the +1 votes (a) and of the -1 votes (b). */
static int decide_sums(double a, double b, double margin, double *ret_sum)
{
    double sum = a + b > 0.0 ? (a - b) / (a + b) : 0.0;
    if (ret_sum != NULL)
        *ret_sum = sum;
    if (a == b || fabs(sum) < margin)
        return 0;
    return sum > 0 ? 1 : -1;
}

int fdxi_wtrees_rule(const double *acc, const int8_t *votes, uint32_t n, double margin,
                     double *ret_sum)
{
    double a = 0.0, b = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        if (votes[i] > 0)
            a += acc[i];
        else if (votes[i] < 0)
            b += acc[i];
    }
    return decide_sums(a, b, margin, ret_sum);
}

uint32_t fdxi_wtrees_count(const void *model)
{
    return ((const struct wtrees *)model)->n_trees;
}

const void *fdxi_wtrees_tree(const void *model, uint32_t i)
{
    return ((const struct wtrees *)model)->trees[i];
}

double fdxi_wtrees_accuracy(const void *model, uint32_t i)
{
    return ((const struct wtrees *)model)->acc[i];
}

double fdxi_wtrees_margin(const void *model)
{
    return ((const struct wtrees *)model)->margin;
}

void fdxi_wtrees_set_margin(void *model, double margin)
{
    ((struct wtrees *)model)->margin = margin;
}

/* A tree's vote on row x: +1 when its leaf's class-1 frequency is above one half, else -1. */
static int8_t vote_of(const struct fdxi_tree *t, const double *x)
{
    return fdxi_tree_leaf_proba(t, x)[1] > 0.5 ? 1 : -1;
}

int fdxi_wtrees_decide(const void *model, const double *x, double *ret_sum)
{
    const struct wtrees *w = model;
    double a = 0.0, b = 0.0;
    for (uint32_t i = 0; i < w->n_trees; i++) {
        if (vote_of(w->trees[i], x) > 0)
            a += w->acc[i];
        else
            b += w->acc[i];
    }
    return decide_sums(a, b, w->margin, ret_sum);
}

int fdxi_wtrees_classify(const void *model, const double *x, double *ret_proba)
{
    double sum;
    int verdict = fdxi_wtrees_decide(model, x, &sum);
    ret_proba[1] = (1.0 + sum) / 2.0;
    ret_proba[0] = 1.0 - ret_proba[1];
    return verdict;
}

static void wtrees_predict(const void *model, const double *x, double *ret_proba)
{
    fdxi_wtrees_classify(model, x, ret_proba);
}

static double accuracy(const struct fdxi_tree *t, const double *x, const int32_t *y,
                       const uint32_t *rows, uint32_t n_rows, uint32_t d)
{
    uint32_t right = 0;
    for (uint32_t i = 0; i < n_rows; i++) {
        const double *row = x + (size_t)rows[i] * d;
        right += (vote_of(t, row) > 0) == (y[rows[i]] == 1);
    }
    return n_rows ? (double)right / n_rows : 0.0;
}

/* A copy of a tree, through its serialised form. */
static struct fdxi_tree *copy_tree(const struct fdxi_tree *t, uint32_t d)
{
    struct fdxi_wbuf w = {0};
    fdxi_tree_write(t, &w);
    struct fdxi_tree *c = NULL;
    if (!w.failed) {
        struct fdxi_rbuf r;
        fdxi_rbuf_init(&r, w.data, w.len);
        c = fdxi_tree_read(&r, d, 2);
    }
    fdxi_wbuf_fini(&w);
    return c;
}

/*
 * Stratified hold-out: in each class, a shuffled wtrees_validation share of the rows (rounded,
 * at least 1) measures the trees; the others are the pool the trees' bootstrap samples come from.
 */
static int split_rows(const struct fdxi_train_params *p, const int32_t *y, uint32_t n,
                      struct fdxi_rng *rng, uint32_t *pool, uint32_t *n_pool, uint32_t *val,
                      uint32_t *n_val, char *err, size_t errlen)
{
    *n_pool = *n_val = 0;
    uint32_t *idx = malloc((size_t)n * sizeof(*idx));
    if (idx == NULL)
        return FDX_ENOMEM;
    for (int32_t c = 0; c < 2; c++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (y[i] == c)
                idx[k++] = i;
        }
        uint32_t nv = (uint32_t)llround(p->wtrees_validation * k);
        if (nv == 0)
            nv = 1;
        if (k < 2 || nv >= k) {
            free(idx);
            snprintf(err, errlen,
                     "weighted-trees: class %d has %u row%s; at least 2 are needed, and "
                     "enough for a validation share of %g",
                     c, k, k == 1 ? "" : "s", p->wtrees_validation);
            return FDX_EINVAL;
        }
        fdxi_rng_shuffle(rng, idx, k);
        for (uint32_t i = 0; i < k; i++) {
            if (i < nv)
                val[(*n_val)++] = idx[i];
            else
                pool[(*n_pool)++] = idx[i];
        }
    }
    free(idx);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Grow one tree on a bootstrap sample of the pool, over m features drawn without replacement. */
static struct fdxi_tree *grow_one(const struct fdxi_train_params *p, const double *x,
                                  const int32_t *y, uint32_t d, uint32_t m, const uint32_t *pool,
                                  uint32_t n_pool, struct fdxi_rng *rng)
{
    uint32_t *feat = malloc((size_t)d * sizeof(*feat));
    uint32_t *samples = malloc((size_t)n_pool * sizeof(*samples));
    double *xs = malloc((size_t)n_pool * m * sizeof(*xs));
    int32_t *ys = malloc((size_t)n_pool * sizeof(*ys));
    struct fdxi_tree *t = NULL;
    if (feat == NULL || samples == NULL || xs == NULL || ys == NULL)
        goto out;
    for (uint32_t j = 0; j < d; j++)
        feat[j] = j;
    if (m < d) { /* partial Fisher-Yates: the first m are a uniform draw */
        for (uint32_t j = 0; j < m; j++) {
            uint32_t k = j + (uint32_t)fdxi_rng_below(rng, d - j);
            uint32_t tmp = feat[j];
            feat[j] = feat[k];
            feat[k] = tmp;
        }
        qsort(feat, m, sizeof(*feat), cmp_u32);
    }
    for (uint32_t i = 0; i < n_pool; i++) {
        uint32_t row = pool[fdxi_rng_below(rng, n_pool)];
        for (uint32_t j = 0; j < m; j++)
            xs[(size_t)i * m + j] = x[(size_t)row * d + feat[j]];
        ys[i] = y[row];
        samples[i] = i;
    }
    struct fdxi_tree_grow g = {.max_depth = p->tree_max_depth,
                               .min_samples_split = p->tree_min_samples_split,
                               .min_samples_leaf = p->tree_min_samples_leaf,
                               .max_features = m};
    t = fdxi_tree_grow(&g, xs, ys, m, 2, samples, n_pool, NULL);
    if (t != NULL)
        fdxi_tree_remap(t, feat, d);
out:
    free(feat);
    free(samples);
    free(xs);
    free(ys);
    return t;
}

/* Keep the max_trees most accurate trees (ties: the later one, so new trees win), in order. */
static void keep_best(struct wtrees *w, uint32_t max_trees)
{
    while (max_trees > 0 && w->n_trees > max_trees) {
        uint32_t worst = 0; /* the first of the least accurate: the oldest goes */
        for (uint32_t i = 1; i < w->n_trees; i++) {
            if (w->acc[i] < w->acc[worst])
                worst = i;
        }
        fdxi_tree_free(w->trees[worst]);
        memmove(&w->trees[worst], &w->trees[worst + 1],
                (w->n_trees - worst - 1) * sizeof(*w->trees));
        memmove(&w->acc[worst], &w->acc[worst + 1], (w->n_trees - worst - 1) * sizeof(*w->acc));
        w->n_trees--;
    }
}

static int wtrees_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                        uint32_t n, uint32_t d, uint32_t n_classes, void **ret_model, char *err,
                        size_t errlen)
{
    if (n_classes != 2) {
        snprintf(err, errlen,
                 "weighted-trees: %u classes; the ensemble votes +1/-1 and needs exactly two",
                 n_classes);
        return FDX_EINVAL;
    }
    int rc = fdxi_tree_check_train(p, x, y, n, d, n_classes, err, errlen);
    if (rc < 0)
        return rc;
    const struct wtrees *base = p->wtrees_base;
    uint32_t n_base = base ? base->n_trees : 0;
    if (p->wtrees_trees < 1 || p->wtrees_trees + n_base > FDXI_MODEL_MAX_TREES) {
        snprintf(err, errlen, "weighted-trees: %u trees (plus %u kept) out of range (1 to %u)",
                 p->wtrees_trees, n_base, FDXI_MODEL_MAX_TREES);
        return FDX_ERANGE;
    }
    if (p->wtrees_features > d) {
        snprintf(err, errlen, "weighted-trees: %u features per tree, but the data has %u",
                 p->wtrees_features, d);
        return FDX_ERANGE;
    }
    if (base != NULL && base->d != d) {
        snprintf(err, errlen, "weighted-trees: the ensemble to add to reads %u features, not %u",
                 base->d, d);
        return FDX_EINVAL;
    }
    if (!(p->wtrees_margin >= 0 && p->wtrees_margin <= 1)) {
        snprintf(err, errlen, "weighted-trees: margin %g out of range (0 to 1)", p->wtrees_margin);
        return FDX_ERANGE;
    }
    uint32_t m = p->wtrees_features ? p->wtrees_features : d;
    rc = FDX_ENOMEM;
    uint32_t *pool = malloc((size_t)n * sizeof(*pool));
    uint32_t *val = malloc((size_t)n * sizeof(*val));
    struct wtrees *w = calloc(1, sizeof(*w));
    if (pool == NULL || val == NULL || w == NULL)
        goto fail;
    w->d = d;
    w->margin = p->wtrees_margin;
    uint32_t total = n_base + p->wtrees_trees;
    w->trees = calloc(total, sizeof(*w->trees));
    w->acc = calloc(total, sizeof(*w->acc));
    if (w->trees == NULL || w->acc == NULL)
        goto fail;
    struct fdxi_rng master;
    fdxi_rng_seed(&master, p->seed);
    uint32_t n_pool, n_val;
    rc = split_rows(p, y, n, &master, pool, &n_pool, val, &n_val, err, errlen);
    if (rc < 0)
        goto fail;
    rc = FDX_ENOMEM;
    /* The kept trees are measured again, on this data's validation rows. */
    for (uint32_t i = 0; i < n_base; i++) {
        w->trees[i] = copy_tree(base->trees[i], d);
        if (w->trees[i] == NULL)
            goto fail;
        w->n_trees++;
        w->acc[i] = accuracy(w->trees[i], x, y, val, n_val, d);
    }
    for (uint32_t k = 0; k < p->wtrees_trees; k++) {
        struct fdxi_rng rng;
        fdxi_rng_seed(&rng, fdxi_rng_next(&master));
        struct fdxi_tree *t = grow_one(p, x, y, d, m, pool, n_pool, &rng);
        if (t == NULL)
            goto fail;
        w->trees[w->n_trees] = t;
        w->acc[w->n_trees] = accuracy(t, x, y, val, n_val, d);
        w->n_trees++;
    }
    keep_best(w, p->wtrees_max_trees);
    free(pool);
    free(val);
    *ret_model = w;
    return 0;
fail:
    if (rc == FDX_ENOMEM)
        snprintf(err, errlen, "weighted-trees: out of memory");
    free(pool);
    free(val);
    wtrees_free(w);
    return rc;
}

static void wtrees_save(const void *model, struct fdxi_wbuf *wb)
{
    const struct wtrees *w = model;
    fdxi_wbuf_u32(wb, w->n_trees);
    fdxi_wbuf_f64(wb, w->margin);
    for (uint32_t i = 0; i < w->n_trees; i++) {
        fdxi_wbuf_f64(wb, w->acc[i]);
        fdxi_tree_write(w->trees[i], wb);
    }
}

static void *wtrees_load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    if (n_classes != 2) {
        fdxi_rbuf_fail(r, "weighted-trees: %u classes, the ensemble needs two", n_classes);
        return NULL;
    }
    uint32_t n = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_TREES, "weighted-trees tree count");
    double margin = fdxi_rbuf_finite(r, "weighted-trees margin");
    if (!fdxi_rbuf_ok(r))
        return NULL;
    if (margin < 0 || margin > 1) {
        fdxi_rbuf_fail(r, "weighted-trees margin %g out of range (0 to 1)", margin);
        return NULL;
    }
    /* each tree takes at least 8 bytes of accuracy and a node count */
    if (r->len - r->off < (size_t)n * 12) {
        fdxi_rbuf_fail(r, "weighted-trees: %u trees cannot fit in the %zu bytes left", n,
                       r->len - r->off);
        return NULL;
    }
    struct wtrees *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        fdxi_rbuf_fail(r, "weighted-trees: out of memory");
        return NULL;
    }
    w->d = d;
    w->margin = margin;
    w->trees = calloc(n, sizeof(*w->trees));
    w->acc = calloc(n, sizeof(*w->acc));
    if (w->trees == NULL || w->acc == NULL) {
        fdxi_rbuf_fail(r, "weighted-trees: out of memory");
        wtrees_free(w);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t at = r->off;
        double acc = fdxi_rbuf_finite(r, "weighted-trees tree accuracy");
        if (fdxi_rbuf_ok(r) && (acc < 0 || acc > 1))
            fdxi_rbuf_fail(r,
                           "at offset %zu: weighted-trees tree %u accuracy %g out of range (0 "
                           "to 1)",
                           at, i, acc);
        if (!fdxi_rbuf_ok(r))
            break;
        w->acc[i] = acc;
        w->trees[i] = fdxi_tree_read(r, d, 2);
        if (w->trees[i] == NULL)
            break;
        w->n_trees++;
    }
    if (!fdxi_rbuf_ok(r) || w->n_trees != n) {
        wtrees_free(w);
        return NULL;
    }
    return w;
}

static size_t wtrees_describe(const void *model, char *buf, size_t len, size_t used)
{
    const struct wtrees *w = model;
    return fdxi_trees_describe(w->trees, w->n_trees, true, buf, len, used);
}

const struct fdxi_model_kind fdxi_model_wtrees = {
    .name = "weighted-trees",
    .tag = 6,
    .train = wtrees_train,
    .predict = wtrees_predict,
    .save = wtrees_save,
    .load = wtrees_load,
    .free = wtrees_free,
    .describe = wtrees_describe,
};
