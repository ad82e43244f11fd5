/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the analyses of labelled flows: importance, k-means, rules, profiles. */
#ifndef FDX_LIB_ANALYZE_H
#define FDX_LIB_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- importance (importance.c) ---- */

/*
 * Importances on the 0-100 scale: ret[j] = 100 * imp[j] / max(imp). When every value is 0 (a
 * tree that is a single leaf) ret is all zeros. imp and ret may be the same array.
 */
void fdxi_importance_scale100(const double *imp, uint32_t d, double *ret);

/* Indices 0..n-1 ordered by v descending; equal values keep index order. */
void fdxi_rank_desc(const double *v, uint32_t n, uint32_t *order);

/* One line of the universal-set table: a request/response pair, or a feature without a twin. */
struct fdxi_universal_row {
    uint32_t f;   /**< the request feature (for a feature without a twin: that feature) */
    int32_t rf;   /**< its response twin ("r" + name), or -1 when it has none */
    double ga[2]; /**< importance (0-100) in source A of f and of rf (NaN without a twin) */
    double gb[2]; /**< the same in source B */
    double g;     /**< (max(gA(f), gA(rf)) + max(gB(f), gB(rf))) / 2; without a twin
                       (gA(f) + gB(f)) / 2 */
    bool kept;    /**< g >= the threshold */
};

/*
 * The universal feature set. names[0..n) are the features both sources have, ga and gb their
 * importances (0-100) in source A and B. Features are visited in index order; each unpaired one,
 * f, pairs with the unpaired feature named "r" + f (its response-direction twin), and failing
 * that a name "rX" pairs with an unpaired X as X's twin; so with "x", "rx" and "rrx" the pair is
 * (x, rx) and "rrx" stays alone. A feature without a twin forms a row of its own. Rows are
 * ordered by g descending (ties in the order visited); a row is kept when g >= threshold, so the
 * two features of a pair are kept or dropped together. *ret_rows is allocated (caller frees).
 * Returns 0 or FDX_ENOMEM.
 */
int fdxi_universal(const char *const *names, const double *ga, const double *gb, uint32_t n,
                   double threshold, struct fdxi_universal_row **ret_rows, uint32_t *ret_n);

/* ---- k-means (kmeans.c) ---- */

struct fdxi_kmeans_options {
    uint32_t k;        /**< clusters, at least 1 */
    uint32_t restarts; /**< k-means++ starts; the lowest cost wins (at least 1) */
    uint32_t max_iter; /**< Lloyd iterations per start, at least 1 */
    uint64_t seed;     /**< same seed, same result */
};

struct fdxi_kmeans {
    uint32_t k, d;
    double *centres; /**< k * d, row-major, owned */
    double cost;     /**< mean squared Euclidean distance of the training rows to their centre */
};

/*
 * k-means (Lloyd's algorithm from k-means++ starting centres) on the n rows of x (d columns,
 * row-major). A cluster left empty by an iteration takes the row farthest from its centre. Each
 * start ends when no row changes cluster or after max_iter iterations; the start with the lowest
 * cost (the first of equal ones) is returned. ret_assign (n entries, may be NULL) receives each
 * row's cluster. Needs 1 <= k <= n. Returns 0, FDX_EINVAL or FDX_ENOMEM (ret untouched).
 */
int fdxi_kmeans_fit(const double *x, uint32_t n, uint32_t d, const struct fdxi_kmeans_options *o,
                    struct fdxi_kmeans *ret, uint32_t *ret_assign);

/* The centre nearest to row x (the first of equally near ones); its squared distance in
 * *ret_d2 (may be NULL). */
uint32_t fdxi_kmeans_nearest(const struct fdxi_kmeans *km, const double *x, double *ret_d2);

/* Mean squared distance of the n rows of x to their nearest centre (0 for n = 0). */
double fdxi_kmeans_cost(const struct fdxi_kmeans *km, const double *x, uint32_t n);

void fdxi_kmeans_fini(struct fdxi_kmeans *km);

/*
 * v-fold cross-validated cost of k-means for k = k_min..k_max: for each fold f (fold[i] in
 * [0, folds) says row i's), fit on the rows of the other folds and measure the mean squared
 * distance of fold f's rows to the nearest centre; the cost of k is the mean of the folds'
 * costs. ret_cost[k - k_min] receives it. o->k is ignored; the seed of each fit is derived from
 * o->seed, k and the fold, so one k's result does not depend on the others. Every fold must have
 * a row and every training side at least k_max rows. Returns 0, FDX_EINVAL (message in err) or
 * FDX_ENOMEM.
 */
int fdxi_kmeans_cv(const double *x, uint32_t n, uint32_t d, const uint32_t *fold, uint32_t folds,
                   uint32_t k_min, uint32_t k_max, const struct fdxi_kmeans_options *o,
                   double *ret_cost, char *err, size_t errlen);

/*
 * The number of clusters the costs suggest: the smallest k in [k_min, k_max) whose next step
 * lowers the cost by less than min_decrease of it, (cost(k) - cost(k + 1)) / cost(k) <
 * min_decrease (a cost of 0 cannot decrease); k_max when every step decreases enough.
 */
uint32_t fdxi_kmeans_choose_k(const double *cost, uint32_t k_min, uint32_t k_max,
                              double min_decrease);

/* ---- per-group profiles (profile.c) ---- */

/* Sizes, min-max normalised averages and normal density parameters of groups of rows. */
struct fdxi_profile {
    uint32_t k, d;
    uint32_t *size;    /**< k rows per group */
    double *min, *max; /**< d: over all rows */
    double *norm_mean; /**< k * d: mean of (x - min) / (max - min), 0 for a constant feature */
    double *mean, *sd; /**< k * d: mean and population standard deviation (the normal density's
                            maximum-likelihood parameters); 0 and 0 for an empty group */
};

/* Profile the n rows of x (d columns) in groups group[i] in [0, k). 0, FDX_EINVAL or
 * FDX_ENOMEM. */
int fdxi_profile_compute(const double *x, uint32_t n, uint32_t d, const uint32_t *group, uint32_t k,
                         struct fdxi_profile *ret);
void fdxi_profile_fini(struct fdxi_profile *p);

/* ---- readable rules of a tree (rules.c) ---- */

/* How to name and show a tree's tests and leaves. */
struct fdxi_rules_view {
    const char *const *feature_names; /**< the tree's d inputs */
    const char *const *class_names;   /**< the tree's classes */
    uint32_t n_classes;               /**< how many */
    const double *mean, *scale; /**< NULL, or the scaling the tree's inputs had: thresholds are
                                     shown as threshold * scale + mean (raw units) */
};

/*
 * One rule per leaf of @p tree (a struct fdxi_tree), left branch first: "if spl <= 123.5 and
 * maxpl > 40 then spam (n=12, p=0.917)" where n is the rows that reached the leaf and p the
 * share of its class among them (the class is the leaf's most frequent one, the first of equal
 * ones). Tests of one feature along a path merge into its tightest bounds, in the order the
 * feature first appears. A tree that is one leaf gives "if true then ...". With @p json, a JSON
 * array of {"if":[{"feature","op","value"}...],"class","n","p"}. snprintf-style appending at
 * buf + used (fdxi_appendf).
 */
size_t fdxi_tree_rules(const void *tree, const struct fdxi_rules_view *v, bool json, char *buf,
                       size_t len, size_t used);

/* Number of leaves and depth (edges from the root to the deepest leaf) of a tree. */
void fdxi_tree_shape(const void *tree, uint32_t *ret_leaves, uint32_t *ret_depth);

/* A JSON number with up to 17 significant digits; NaN and infinities become null. */
size_t fdxi_json_num(char *buf, size_t len, size_t used, double v);

#endif /* FDX_LIB_ANALYZE_H */
