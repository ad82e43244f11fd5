/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of CART trees shared by the tree and forest model kinds and by analyses. */
#ifndef FDX_LIB_MODEL_TREE_H
#define FDX_LIB_MODEL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/*
 * A tree is what fdxi_model_tree.train/load return (and what fdxi_forest_tree() hands out):
 * nodes numbered in pre-order, so every child index is greater than its parent's; node 0 is the
 * root. An internal node sends a row to its left child when x[feature] <= threshold and also when
 * x[feature] is NaN (a missing value takes the left branch), otherwise to its right child.
 */
struct fdxi_tree;

/* One node, as fdxi_tree_node() shows it. */
struct fdxi_tree_node {
    int32_t feature;     /**< split feature, or -1 for a leaf */
    double threshold;    /**< left when x[feature] <= threshold (or NaN); 0 for a leaf */
    uint32_t left;       /**< left child's index (> this node's); 0 for a leaf */
    uint32_t right;      /**< right child's index (> this node's); 0 for a leaf */
    const double *proba; /**< n_classes class frequencies of the node's training rows; borrowed
                              from the tree, valid until it is freed */
    uint32_t n_samples;  /**< training rows that reached the node (bootstrap repeats counted) */
};

/* Number of nodes (at least 1). */
uint32_t fdxi_tree_node_count(const void *tree);

/* Node i (< fdxi_tree_node_count()) into ret. */
void fdxi_tree_node(const void *tree, uint32_t i, struct fdxi_tree_node *ret);

/*
 * Gini importances (mean decrease in impurity) of the d features into ret: per feature, the sum
 * over the nodes splitting on it of n * gini - n_left * gini_left - n_right * gini_right,
 * normalised to sum 1 (all zeros for a tree that is a single leaf), as scikit-learn's
 * feature_importances_. Returns 0, or FDX_EINVAL (ret untouched) when d is not the tree's.
 */
int fdxi_tree_importance(const void *tree, double *ret, uint32_t d);

/* Append the size of trees[0..n_trees) to buf, as fdxi_appendf: "N trees, " when they are an
 * ensemble, then their nodes, leaves and depth ("in all" and "up to" when there are several). */
size_t fdxi_trees_describe(struct fdxi_tree *const *trees, uint32_t n_trees, bool ensemble,
                           char *buf, size_t len, size_t used);

/* ---- used by the forest ---- */

/*
 * Check training data and the tree settings of p (rows 1 to FDXI_MODEL_MAX_NODES / 2, so that a
 * tree always fits the node limit; features and classes within their limits; every x finite;
 * every y in [0, n_classes)). Returns 0, or FDX_ERANGE / FDX_EINVAL with a message in err.
 */
int fdxi_tree_check_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                          uint32_t n, uint32_t d, uint32_t n_classes, char *err, size_t errlen);

/* How to grow one tree. */
struct fdxi_tree_grow {
    uint32_t max_depth;         /**< 0 = unlimited; the root is depth 0 */
    uint32_t min_samples_split; /**< at least 2 */
    uint32_t min_samples_leaf;  /**< at least 1 */
    uint32_t max_features;      /**< features drawn per split, 1 to d; d = all, in index order */
};

/*
 * Grow a tree on the rows samples[0..n_samples) of x (d columns) and y; samples may repeat rows
 * (a bootstrap sample) and is reordered. rng draws the features tried at each split when
 * g->max_features < d (it may be NULL otherwise). n_samples must be at least 1, x finite and y
 * in [0, n_classes): the caller checks (fdxi_tree_check_train). Returns NULL when out of memory.
 */
struct fdxi_tree *fdxi_tree_grow(const struct fdxi_tree_grow *g, const double *x, const int32_t *y,
                                 uint32_t d, uint32_t n_classes, uint32_t *samples,
                                 uint32_t n_samples, struct fdxi_rng *rng);

/* Renumber the split features of a tree grown on a subset of columns: feature j becomes map[j]
 * (each < d), and the tree now reads rows of d columns. */
void fdxi_tree_remap(struct fdxi_tree *t, const uint32_t *map, uint32_t d);

/* The leaf probabilities (n_classes values, borrowed from the tree) that row x reaches. */
const double *fdxi_tree_leaf_proba(const struct fdxi_tree *t, const double *x);

/* Append a tree (node count, then the nodes) to w. */
void fdxi_tree_write(const struct fdxi_tree *t, struct fdxi_wbuf *w);

/* Read and validate a tree written by fdxi_tree_write(); NULL with r failed on error. */
struct fdxi_tree *fdxi_tree_read(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes);

/* Accepts NULL. */
void fdxi_tree_free(struct fdxi_tree *t);

/* ---- forests ---- */

/* Number of trees of a forest (what fdxi_model_forest.train/load return). */
uint32_t fdxi_forest_tree_count(const void *forest);

/* Tree i (< fdxi_forest_tree_count()) of a forest, borrowed until the forest is freed. */
const void *fdxi_forest_tree(const void *forest, uint32_t i);

/*
 * Gini importances of a forest: the mean of its trees' normalised importances (trees that are a
 * single leaf left out), normalised to sum 1, as scikit-learn's RandomForestClassifier.
 * Returns 0, FDX_EINVAL (d is not the forest's) or FDX_ENOMEM; ret untouched on failure.
 */
int fdxi_forest_importance(const void *forest, double *ret, uint32_t d);

/* ---- the weighted-trees ensemble (Luckner & Filasiak) ---- */

/*
 * The ensemble's rule on votes y_i in {+1 (class 1), -1 (class 0)} of n trees with accuracies
 * s_i: sum = sum_i (s_i / sum_j s_j) y_i, computed as (A - B) / (A + B) with A the accuracies of
 * the +1 votes and B those of the -1 votes (0 when A + B is 0). Returns 0 ("uncertain") for an
 * exact tie (A == B) or |sum| < margin, else the sign of sum (+1 or -1). The sum goes to
 * *ret_sum when not NULL.
 */
int fdxi_wtrees_rule(const double *acc, const int8_t *votes, uint32_t n, double margin,
                     double *ret_sum);

/* Number of trees, tree i, its accuracy and the margin of a weighted-trees model. */
uint32_t fdxi_wtrees_count(const void *model);
const void *fdxi_wtrees_tree(const void *model, uint32_t i);
double fdxi_wtrees_accuracy(const void *model, uint32_t i);
double fdxi_wtrees_margin(const void *model);
/* Replaces the margin of a loaded model (0 to 1, checked by the caller). */
void fdxi_wtrees_set_margin(void *model, double margin);

/* The rule's verdict (+1, -1, 0) on row x, and its sum into *ret_sum when not NULL. */
int fdxi_wtrees_decide(const void *model, const double *x, double *ret_sum);

/* The rule's verdict on row x, and the kind's predict() probabilities ((1 -/+ sum) / 2) into
 * ret_proba[0..1], from one walk of the trees. */
int fdxi_wtrees_classify(const void *model, const double *x, double *ret_proba);

#endif /* FDX_LIB_MODEL_TREE_H */
