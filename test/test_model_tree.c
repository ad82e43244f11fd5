/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the tree and forest model kinds against hand computation and scikit-learn. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model/tree.h"
#include "model_util.h"

/* ---- helpers ---- */

/* Depth of node i below the root, by searching for its parent (nodes are in pre-order). */
static uint32_t depth_of(const void *tree, uint32_t i)
{
    uint32_t depth = 0;
    while (i != 0) {
        for (uint32_t p = 0; p < i; p++) {
            struct fdxi_tree_node nd;
            fdxi_tree_node(tree, p, &nd);
            if (nd.feature >= 0 && (nd.left == i || nd.right == i)) {
                i = p;
                depth++;
                break;
            }
        }
    }
    return depth;
}

/*
 * The hand data set: 8 rows, 2 features, 5 rows of class 0 and 3 of class 1.
 *   row  f0  f1   y
 *    1    1  0.5  0
 *    2    2  1.0  0
 *    3    3  2.0  0
 *    4    4  4.0  1
 *    5    5  5.0  1
 *    6    6  2.5  0
 *    7    7  6.0  1
 *    8    8  9.0  0
 * Root Gini: 1 - (5/8)^2 - (3/8)^2 = 30/64. Weighted child Gini (n_l G_l + n_r G_r) / 8 of the
 * thresholds, with G of a (zeros, ones) node = 1 - (z/n)^2 - (o/n)^2:
 *   f0 sorted 1..8, y 0 0 0 1 1 0 1 0; left k rows:
 *     k=1: (0 + 7 * 24/49) / 8 = 0.4286   k=2: (0 + 6 * 1/2) / 8 = 0.375
 *     k=3: (0 + 5 * 12/25) / 8 = 0.3      k=4: (4 * 6/16 + 4 * 1/2) / 8 = 0.4375
 *     k=5: (5 * 12/25 + 3 * 4/9) / 8 = 0.4667   k=6: (6 * 4/9 + 2 * 1/2) / 8 = 0.4583
 *     k=7: (7 * 24/49 + 0) / 8 = 0.4286
 *   f1 sorted 0.5 1.0 2.0 2.5 4.0 5.0 6.0 9.0, y 0 0 0 0 1 1 1 0:
 *     k=1: 0.4286   k=2: (0 + 6 * 1/2) / 8 = 0.375   k=3: (0 + 5 * 12/25) / 8 = 0.3
 *     k=4: (0 + 4 * 6/16) / 8 = 0.1875   k=5: (5 * 8/25 + 3 * 4/9) / 8 = 0.3667
 *     k=6: (6 * 4/9 + 2 * 1/2) / 8 = 0.4583   k=7: (7 * 24/49 + 0) / 8 = 0.4286
 * Best: f1, k=4, threshold (2.5 + 4.0) / 2 = 3.25. Left leaf: rows 1 2 3 6, P = (1, 0); right:
 * rows 4 5 7 8, P = (1/4, 3/4); root P = (5/8, 3/8). scikit-learn 1.2.1 agrees:
 *   DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y).tree_: feature [1 -2 -2],
 *   threshold [3.25 ...], value [[5, 3]], [[4, 0]], [[1, 3]]
 */
static const double hand_x[8 * 2] = {1, 0.5, 2, 1.0, 3, 2.0, 4, 4.0,
                                     5, 5.0, 6, 2.5, 7, 6.0, 8, 9.0};
static const int32_t hand_y[8] = {0, 0, 0, 1, 1, 0, 1, 0};

/* ---- the tree ---- */

static void test_model_tree_hand_gini_split(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.tree_max_depth = 1;
    void *m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 3);
    struct fdxi_tree_node nd;
    fdxi_tree_node(m, 0, &nd);
    assert_int_equal(nd.feature, 1);
    assert_true(nd.threshold == 3.25);
    assert_int_equal(nd.n_samples, 8);
    assert_true(nd.proba[0] == 0.625 && nd.proba[1] == 0.375);
    assert_int_equal(nd.left, 1);
    assert_int_equal(nd.right, 2);
    struct fdxi_tree_node l, r;
    fdxi_tree_node(m, nd.left, &l);
    fdxi_tree_node(m, nd.right, &r);
    assert_int_equal(l.feature, -1);
    assert_int_equal(l.n_samples, 4);
    assert_true(l.proba[0] == 1.0 && l.proba[1] == 0.0);
    assert_int_equal(r.feature, -1);
    assert_int_equal(r.n_samples, 4);
    assert_true(r.proba[0] == 0.25 && r.proba[1] == 0.75);
    fdxi_model_tree.free(m);
}

/* Leaf probabilities are what predict returns: rows on each side of f1 = 3.25. */
static void test_model_tree_predict_leaf_probabilities(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.tree_max_depth = 1;
    void *m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    double out[2];
    const double below[2] = {100.0, 3.25}, above[2] = {-100.0, 3.2500001};
    fdxi_model_tree.predict(m, below, out);
    assert_true(out[0] == 1.0 && out[1] == 0.0);
    fdxi_model_tree.predict(m, above, out);
    assert_true(out[0] == 0.25 && out[1] == 0.75);
    fdxi_model_tree.free(m);
}

/* A NaN in the split feature takes the left branch (documented in tree.h). */
static void test_model_tree_nan_goes_left(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.tree_max_depth = 1;
    void *m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    double out[2];
    const double x[2] = {8.0, NAN};
    fdxi_model_tree.predict(m, x, out);
    assert_true(out[0] == 1.0 && out[1] == 0.0);
    fdxi_model_tree.free(m);
}

/*
 * Unlimited depth on the hand set: under f1 > 3.25 the rows (f0, f1, y) are (4,4,1) (5,5,1)
 * (7,6,1) (8,9,0); both f0 <= 7.5 and f1 <= 7.5 separate them purely, and the tie goes to the
 * lower feature index. Five nodes; every leaf is pure.
 */
static void test_model_tree_pure_nodes_become_leaves(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 5);
    struct fdxi_tree_node nd;
    fdxi_tree_node(m, 2, &nd);
    assert_int_equal(nd.feature, 0);
    assert_true(nd.threshold == 7.5);
    for (uint32_t i = 0; i < 5; i++) {
        fdxi_tree_node(m, i, &nd);
        if (nd.feature < 0)
            assert_true(nd.proba[0] == 1.0 || nd.proba[1] == 1.0);
        else
            assert_true(nd.left > i && nd.right > i);
    }
    fdxi_model_tree.free(m);

    /* All rows of one class: the root is a leaf, P = (1, 0). */
    const int32_t same[8] = {0};
    m = mu_train(&fdxi_model_tree, &p, hand_x, same, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 1);
    fdxi_tree_node(m, 0, &nd);
    assert_int_equal(nd.feature, -1);
    assert_true(nd.proba[0] == 1.0 && nd.proba[1] == 0.0);
    fdxi_model_tree.free(m);
}

/*
 * x = 0..15 with alternating classes: every run of one class is a single row, so a tree with
 * pure leaves has 16 leaves and 31 nodes (depth at least 4). With max_depth 2: at most
 * 1 + 2 + 4 = 7 nodes, none deeper than 2. Splitting off the first k rows scores (sum of
 * squared class counts over rows, per side) 8 for even k and 8 + 1/(2k) + 1/(2(16 - k)) for odd
 * k, so the root splits off row 0 (k = 1 and k = 15 tie; the first wins); the 15 rows left split
 * off one more row the same way: 5 nodes, depth 2. scikit-learn 1.2.1:
 *   DecisionTreeClassifier(max_depth=2, random_state=0).fit(np.arange(16.0).reshape(-1, 1),
 *   np.arange(16) % 2).tree_.node_count == 5 (31 without max_depth)
 */
static void test_model_tree_max_depth_respected(void **state)
{
    (void)state;
    double x[16];
    int32_t y[16];
    for (int i = 0; i < 16; i++) {
        x[i] = i;
        y[i] = i % 2;
    }
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = mu_train(&fdxi_model_tree, &p, x, y, 16, 1, 2);
    assert_int_equal(fdxi_tree_node_count(m), 31);
    fdxi_model_tree.free(m);

    p.tree_max_depth = 2;
    m = mu_train(&fdxi_model_tree, &p, x, y, 16, 1, 2);
    uint32_t n = fdxi_tree_node_count(m), deepest = 0;
    assert_int_equal(n, 5);
    for (uint32_t i = 0; i < n; i++) {
        struct fdxi_tree_node nd;
        fdxi_tree_node(m, i, &nd);
        uint32_t depth = depth_of(m, i);
        assert_true(depth <= 2);
        if (depth == 2)
            assert_int_equal(nd.feature, -1);
        deepest = depth > deepest ? depth : deepest;
    }
    assert_int_equal(deepest, 2);
    fdxi_model_tree.free(m);
}

/*
 * min_samples_leaf 3 on the hand set: the root split f1 <= 3.25 leaves 4 and 4 rows; the right
 * node's 4 rows cannot make two leaves of 3, so 3 nodes. min_samples_split 9 > 8 rows: 1 node.
 * min_samples_leaf 2: the right node's rows, in f0 and f1 order alike, have y 1 1 1 0; the pure
 * split 3 | 1 is forbidden, leaving 2 | 2 (score 4/2 + 2/2 = 3), f0 <= (5 + 7) / 2 = 6 (f1 ties
 * at 5.5; the lower feature wins): 5 nodes, leaves of 4, 2 and 2 rows. scikit-learn 1.2.1,
 * DecisionTreeClassifier(min_samples_leaf=2, random_state=0): node_count 5, feature
 * [1 -2 0 -2 -2], threshold [3.25 -2 6 -2 -2], n_node_samples [8 4 4 2 2].
 */
static void test_model_tree_min_samples_respected(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.tree_min_samples_leaf = 3;
    void *m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 3);
    fdxi_model_tree.free(m);

    p.tree_min_samples_leaf = 2;
    m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 5);
    const uint32_t rows[5] = {8, 4, 4, 2, 2};
    for (uint32_t i = 0; i < 5; i++) {
        struct fdxi_tree_node nd;
        fdxi_tree_node(m, i, &nd);
        assert_int_equal(nd.n_samples, rows[i]);
        if (i == 2)
            assert_true(nd.feature == 0 && nd.threshold == 6.0);
    }
    fdxi_model_tree.free(m);

    /*
     * The alternating set of test_model_tree_max_depth_respected: its best root splits (k = 1
     * and k = 15 rows on the left) leave a single row; with min_samples_leaf 2 the next best are
     * k = 3 and k = 13 (8 + 1/6 + 1/26), the first winning: x <= 2.5, 3 rows left. scikit-learn
     * 1.2.1 (max_depth=1, min_samples_leaf=2): threshold [2.5 -2 -2], n_node_samples [16 3 13].
     */
    double ax[16];
    int32_t ay[16];
    for (int i = 0; i < 16; i++) {
        ax[i] = i;
        ay[i] = i % 2;
    }
    p.tree_max_depth = 1;
    m = mu_train(&fdxi_model_tree, &p, ax, ay, 16, 1, 2);
    struct fdxi_tree_node root, left;
    fdxi_tree_node(m, 0, &root);
    fdxi_tree_node(m, root.left, &left);
    assert_true(root.threshold == 2.5);
    assert_int_equal(left.n_samples, 3);
    fdxi_model_tree.free(m);

    fdxi_train_params_init(&p);
    p.tree_min_samples_split = 9;
    m = mu_train(&fdxi_model_tree, &p, hand_x, hand_y, 8, 2, 2);
    assert_int_equal(fdxi_tree_node_count(m), 1);
    fdxi_model_tree.free(m);
}

/*
 * 20 rows, 3 features, a tree that scikit-learn grows identically for random_state 0..299
 * (no ties). Reference:
 *
 *   import numpy as np
 *   from sklearn.tree import DecisionTreeClassifier
 *   X = np.array(<imp_x below>).reshape(20, 3); y = np.array(<imp_y below>)
 *   t = DecisionTreeClassifier(random_state=0).fit(X, y)
 *   t.tree_.node_count, list(t.tree_.feature), ["%.17g" % v for v in t.feature_importances_]
 *   # 9, [1, 0, -2, 2, 1, -2, -2, -2, -2],
 *   # ['0.20833333333333334', '0.54166666666666663', '0.25000000000000006']
 *
 * (scikit-learn 1.2.1). By hand, from the node counts: root 20 rows (12, 8), Gini 0.48 -> 9.6;
 * its children 16 (12, 4), Gini 0.375 -> 6, and 4 (0, 4) -> 0; f1 gains 9.6 - 6 = 3.6. Node 1
 * (f0) -> 8 (8, 0) and 8 (4, 4) Gini 0.5: gains 6 - 4 = 2. Node 3 (f2) -> 5 (4, 1) Gini 0.32
 * and 3 (0, 3): gains 4 - 1.6 = 2.4. Node 4 (f1) -> 4 (4, 0) and 1 (0, 1): gains 1.6. Totals
 * f0 2, f1 5.2, f2 2.4 over 9.6: 0.208333, 0.541667, 0.25.
 */
/* clang-format off */
static const double imp_x[20 * 3] = {
    8.9, 4.1, 8.4, 5.6, 4.8, 7.9, 2.1, 2.7, 9.1, 6.0, 3.8, 6.3,
    7.5, 7.1, 5.1, 6.2, 2.4, 4.8, 8.8, 9.1, 0.2, 2.5, 2.6, 3.3,
    3.0, 2.8, 4.7, 2.4, 7.3, 0.3, 9.6, 1.9, 8.9, 6.8, 8.8, 4.3,
    3.2, 6.1, 2.0, 4.2, 5.4, 1.2, 8.0, 4.6, 5.3, 6.8, 9.0, 1.4,
    1.9, 1.2, 9.6, 4.3, 7.2, 1.7, 9.3, 1.3, 6.8, 0.3, 8.6, 3.9};
/* clang-format on */
static const int32_t imp_y[20] = {1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};

static void test_model_tree_importance_matches_sklearn(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = mu_train(&fdxi_model_tree, &p, imp_x, imp_y, 20, 3, 2);
    const int32_t features[9] = {1, 0, -1, 2, 1, -1, -1, -1, -1};
    assert_int_equal(fdxi_tree_node_count(m), 9);
    for (uint32_t i = 0; i < 9; i++) {
        struct fdxi_tree_node nd;
        fdxi_tree_node(m, i, &nd);
        assert_int_equal(nd.feature, features[i]);
    }
    double imp[3] = {-1, -1, -1};
    assert_int_equal(fdxi_tree_importance(m, imp, 3), 0);
    assert_near(imp[0], 0.20833333333333334, 1e-12);
    assert_near(imp[1], 0.54166666666666663, 1e-12);
    assert_near(imp[2], 0.25000000000000006, 1e-12);
    /* A wrong feature count is refused and leaves the output alone. */
    double other[4] = {7, 7, 7, 7};
    assert_int_equal(fdxi_tree_importance(m, other, 4), FDX_EINVAL);
    assert_true(other[0] == 7 && other[3] == 7);
    fdxi_model_tree.free(m);

    /* A single leaf has no importance: all zeros, as scikit-learn. */
    const int32_t same[20] = {0};
    m = mu_train(&fdxi_model_tree, &p, imp_x, same, 20, 3, 2);
    assert_int_equal(fdxi_tree_importance(m, imp, 3), 0);
    assert_true(imp[0] == 0.0 && imp[1] == 0.0 && imp[2] == 0.0);
    fdxi_model_tree.free(m);
}

static void test_model_tree_refuses_bad_training_input(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = NULL;
    char err[256] = "";
    double x[8 * 2];
    memcpy(x, hand_x, sizeof(x));
    x[5] = NAN;
    assert_int_equal(fdxi_model_tree.train(&p, x, hand_y, 8, 2, 2, &m, err, sizeof(err)),
                     FDX_EINVAL);
    assert_non_null(strstr(err, "row 2, feature 1"));
    int32_t y[8];
    memcpy(y, hand_y, sizeof(y));
    y[3] = 2;
    assert_int_equal(fdxi_model_tree.train(&p, hand_x, y, 8, 2, 2, &m, err, sizeof(err)),
                     FDX_EINVAL);
    assert_non_null(strstr(err, "row 3: class 2"));
    p.tree_min_samples_leaf = 0;
    assert_int_equal(fdxi_model_tree.train(&p, hand_x, hand_y, 8, 2, 2, &m, err, sizeof(err)),
                     FDX_EINVAL);
    fdxi_train_params_init(&p);
    p.forest_max_features = 3;
    assert_int_equal(fdxi_model_forest.train(&p, hand_x, hand_y, 8, 2, 2, &m, err, sizeof(err)),
                     FDX_ERANGE);
    assert_non_null(strstr(err, "max_features 3"));
    p.forest_max_features = 0;
    p.forest_trees = FDXI_MODEL_MAX_TREES + 1;
    assert_int_equal(fdxi_model_forest.train(&p, hand_x, hand_y, 8, 2, 2, &m, err, sizeof(err)),
                     FDX_ERANGE);
    assert_null(m);
}

/* ---- the forest ---- */

/*
 * Two Gaussian blobs in 6 dimensions, centres at -1.5 and +1.5 in features 0 and 1 and 0 in the
 * other four (pure noise): the classes are 3 * sqrt(2) = 4.2 standard deviations apart along
 * the diagonal, so the Bayes error is Phi(-2.1) = 1.8 %.
 */
#define BLOB_D 6
static void blobs(uint64_t seed, uint32_t n, double *x, int32_t *y)
{
    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 2);
        for (uint32_t j = 0; j < BLOB_D; j++) {
            double centre = j < 2 ? (y[i] ? 1.5 : -1.5) : 0.0;
            x[i * BLOB_D + j] = centre + fdxi_rng_normal(&rng);
        }
    }
}

/* The forest tests' start: n rows of blobs(seed), and default parameters but for the number of
 * trees. */
static void blob_setup(uint64_t seed, uint32_t n, double *x, int32_t *y,
                       struct fdxi_train_params *p, uint32_t trees)
{
    blobs(seed, n, x, y);
    fdxi_train_params_init(p);
    p->forest_trees = trees;
}

static void test_model_forest_accurate_on_separable_blobs(void **state)
{
    (void)state;
    enum { N_TRAIN = 600, N_TEST = 1000 };
    double *x = malloc(sizeof(double) * (N_TRAIN + N_TEST) * BLOB_D);
    int32_t *y = malloc(sizeof(int32_t) * (N_TRAIN + N_TEST));
    assert_non_null(x);
    assert_non_null(y);
    struct fdxi_train_params p;
    blob_setup(1, N_TRAIN + N_TEST, x, y, &p, 50);
    void *m = mu_train(&fdxi_model_forest, &p, x, y, N_TRAIN, BLOB_D, 2);
    int right = 0;
    for (int i = N_TRAIN; i < N_TRAIN + N_TEST; i++) {
        double pr[2];
        fdxi_model_forest.predict(m, &x[i * BLOB_D], pr);
        assert_near(pr[0] + pr[1], 1.0, 1e-12);
        right += (pr[1] > pr[0]) == (y[i] == 1);
    }
    assert_true(right > 0.95 * N_TEST);

    /* Only features 0 and 1 carry information: together most of the Gini importance. */
    double imp[BLOB_D];
    assert_int_equal(fdxi_forest_importance(m, imp, BLOB_D), 0);
    double sum = 0.0;
    for (int j = 0; j < BLOB_D; j++)
        sum += imp[j];
    assert_near(sum, 1.0, 1e-12);
    assert_true(imp[0] + imp[1] > 0.5);
    assert_true(imp[0] > imp[2] && imp[1] > imp[2]);
    fdxi_model_forest.free(m);
    free(x);
    free(y);
}

/* Same seed: the same model byte for byte; another seed: some prediction changes. */
static void test_model_forest_deterministic_per_seed(void **state)
{
    (void)state;
    enum { N = 300 };
    double x[N * BLOB_D];
    int32_t y[N];
    struct fdxi_train_params p;
    blob_setup(2, N, x, y, &p, 20);
    p.seed = 7;
    void *a = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    void *b = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    p.seed = 8;
    void *c = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    struct fdxi_wbuf wa, wb;
    mu_save(&fdxi_model_forest, a, &wa);
    mu_save(&fdxi_model_forest, b, &wb);
    assert_int_equal(wa.len, wb.len);
    assert_memory_equal(wa.data, wb.data, wa.len);
    int differ = 0;
    for (int i = 0; i < N; i++) {
        double pa[2], pb[2], pc[2];
        fdxi_model_forest.predict(a, &x[i * BLOB_D], pa);
        fdxi_model_forest.predict(b, &x[i * BLOB_D], pb);
        fdxi_model_forest.predict(c, &x[i * BLOB_D], pc);
        assert_memory_equal(pa, pb, sizeof(pa));
        differ += pa[0] != pc[0];
    }
    assert_true(differ > 0);
    fdxi_wbuf_fini(&wa);
    fdxi_wbuf_fini(&wb);
    fdxi_model_forest.free(a);
    fdxi_model_forest.free(b);
    fdxi_model_forest.free(c);
}

/* The forest's probability is the mean of its trees' leaves, found here by walking the nodes. */
static void test_model_forest_predicts_mean_of_trees(void **state)
{
    (void)state;
    enum { N = 200 };
    double x[N * BLOB_D];
    int32_t y[N];
    struct fdxi_train_params p;
    blob_setup(3, N, x, y, &p, 7);
    void *m = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    assert_int_equal(fdxi_forest_tree_count(m), 7);
    for (int i = 0; i < N; i += 13) {
        const double *row = &x[i * BLOB_D];
        double want[2] = {0, 0}, got[2];
        for (uint32_t t = 0; t < 7; t++) {
            const void *tree = fdxi_forest_tree(m, t);
            struct fdxi_tree_node nd;
            fdxi_tree_node(tree, 0, &nd);
            while (nd.feature >= 0)
                fdxi_tree_node(tree, row[nd.feature] <= nd.threshold ? nd.left : nd.right, &nd);
            want[0] += nd.proba[0] / 7;
            want[1] += nd.proba[1] / 7;
        }
        fdxi_model_forest.predict(m, row, got);
        assert_near(got[0], want[0], 1e-12);
        assert_near(got[1], want[1], 1e-12);
    }
    fdxi_model_forest.free(m);
}

/* ---- model files ---- */

static void test_model_tree_forest_save_load_same_predictions(void **state)
{
    (void)state;
    enum { N = 400 };
    double x[N * BLOB_D];
    int32_t y[N];
    struct fdxi_train_params p;
    blob_setup(4, N, x, y, &p, 10);
    void *t = mu_train(&fdxi_model_tree, &p, x, y, N, BLOB_D, 2);
    void *f = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    /* Save, load, compare predictions bit for bit and the second save byte for byte. */
    mu_round_trip(&fdxi_model_tree, t, x, N, BLOB_D, 2);
    mu_round_trip(&fdxi_model_forest, f, x, N, BLOB_D, 2);
    fdxi_model_tree.free(t);
    fdxi_model_forest.free(f);
}

/* Every proper prefix of a saved model is refused with a message, for both kinds. */
static void test_model_tree_forest_every_truncation_refused(void **state)
{
    (void)state;
    enum { N = 60 };
    double x[N * BLOB_D];
    int32_t y[N];
    struct fdxi_train_params p;
    blob_setup(5, N, x, y, &p, 3);
    const struct fdxi_model_kind *kinds[2] = {&fdxi_model_tree, &fdxi_model_forest};
    for (int k = 0; k < 2; k++) {
        void *m = mu_train(kinds[k], &p, x, y, N, BLOB_D, 2);
        struct fdxi_wbuf w;
        mu_save(kinds[k], m, &w);
        assert_true(w.len > 100);
        mu_every_prefix_refused(kinds[k], w.data, w.len, BLOB_D, 2, NULL);
        fdxi_wbuf_fini(&w);
        kinds[k]->free(m);
    }
}

/* One node of a hand-written tree file (d = 2, two classes). */
struct spec {
    uint32_t feature; /* UINT32_MAX: leaf */
    double threshold;
    uint32_t left, right, n_samples;
    double p0, p1;
};

#define L UINT32_MAX
/* A valid 5-node tree: 0 splits into 1 and 4; 1 splits into 2 and 3. */
static const struct spec valid[5] = {
    {0, 0.5, 1, 4, 6, 0.5, 0.5}, {1, 1.5, 2, 3, 4, 0.75, 0.25}, {L, 0, 0, 0, 3, 1, 0},
    {L, 0, 0, 0, 1, 0, 1},       {L, 0, 0, 0, 2, 0, 1},
};

static struct fdxi_wbuf tree_file(uint32_t count, const struct spec *s, uint32_t n)
{
    struct fdxi_wbuf w = {0};
    fdxi_wbuf_u32(&w, count);
    for (uint32_t i = 0; i < n; i++) {
        fdxi_wbuf_u32(&w, s[i].feature);
        fdxi_wbuf_f64(&w, s[i].threshold);
        fdxi_wbuf_u32(&w, s[i].left);
        fdxi_wbuf_u32(&w, s[i].right);
        fdxi_wbuf_u32(&w, s[i].n_samples);
        fdxi_wbuf_f64(&w, s[i].p0);
        fdxi_wbuf_f64(&w, s[i].p1);
    }
    assert_false(w.failed);
    return w;
}

/* The tree file with node i replaced by s, loaded; returns the message (the load must fail). */
static void refused(uint32_t i, struct spec s, const char *want)
{
    struct spec nodes[5];
    memcpy(nodes, valid, sizeof(nodes));
    nodes[i] = s;
    struct fdxi_wbuf w = tree_file(5, nodes, 5);
    char err[256] = "";
    void *m = mu_load(&fdxi_model_tree, w.data, w.len, 2, 2, err);
    if (m != NULL || strstr(err, want) == NULL)
        print_error("node %u: wanted '%s', got '%s'\n", i, want, err);
    assert_null(m);
    assert_non_null(strstr(err, want));
    fdxi_wbuf_fini(&w);
}

static void test_model_tree_hostile_files_refused(void **state)
{
    (void)state;
    char err[256] = "";
    /* The unmodified file loads, and routes (0.2, 2.0) to node 3: P = (0, 1). */
    struct fdxi_wbuf w = tree_file(5, valid, 5);
    void *m = mu_load(&fdxi_model_tree, w.data, w.len, 2, 2, err);
    assert_non_null(m);
    double pr[2];
    const double row[2] = {0.2, 2.0};
    fdxi_model_tree.predict(m, row, pr);
    assert_true(pr[0] == 0.0 && pr[1] == 1.0);
    fdxi_model_tree.free(m);
    fdxi_wbuf_fini(&w);

    refused(0, (struct spec){0, 0.5, 5, 4, 6, 0.5, 0.5}, "child index 5 out of range");
    refused(0, (struct spec){0, 0.5, 1, 99, 6, 0.5, 0.5}, "child index 99 out of range");
    refused(1, (struct spec){1, 1.5, 2, 0, 4, 0.75, 0.25}, "child index 0 does not point forward");
    refused(1, (struct spec){1, 1.5, 1, 3, 4, 0.75, 0.25}, "child index 1 does not point forward");
    refused(0, (struct spec){0, 0.5, 1, 1, 6, 0.5, 0.5}, "both children");
    refused(1, (struct spec){2, 1.5, 2, 3, 4, 0.75, 0.25}, "feature index 2 out of range");
    refused(1, (struct spec){1, NAN, 2, 3, 4, 0.75, 0.25}, "threshold");
    refused(1, (struct spec){1, 1.5, 2, 4, 4, 0.75, 0.25}, "two parents");
    refused(1, (struct spec){L, 0, 0, 0, 4, 0.75, 0.25}, "not reachable");
    refused(2, (struct spec){L, 0, 3, 4, 3, 1, 0}, "a leaf with children");
    refused(2, (struct spec){L, 0, 0, 0, 3, NAN, 0}, "probability of class 0");
    refused(2, (struct spec){L, 0, 0, 0, 3, 1.5, -0.5}, "probability of class 0");
    refused(2, (struct spec){L, 0, 0, 0, 3, 0.5, 0.25}, "sum to");
    refused(2, (struct spec){L, 0, 0, 0, 0, 1, 0}, "no training rows");
    refused(2, (struct spec){L, 0, 0, 0, 2, 1, 0}, "rows, its children");

    /* Absurd node counts: over the limit, or more than the bytes that follow can hold. */
    w = tree_file(FDXI_MODEL_MAX_NODES + 1, valid, 5);
    assert_null(mu_load(&fdxi_model_tree, w.data, w.len, 2, 2, err));
    assert_non_null(strstr(err, "tree node count: 50000001 out of range"));
    fdxi_wbuf_fini(&w);
    w = tree_file(FDXI_MODEL_MAX_NODES, valid, 5);
    assert_null(mu_load(&fdxi_model_tree, w.data, w.len, 2, 2, err));
    assert_non_null(strstr(err, "50000000 nodes need"));
    fdxi_wbuf_fini(&w);
    w = tree_file(0, valid, 0);
    assert_null(mu_load(&fdxi_model_tree, w.data, w.len, 2, 2, err));
    fdxi_wbuf_fini(&w);

    /* Forests: tree counts 0 and over the limit; a bad tree is named. */
    w = (struct fdxi_wbuf){0};
    fdxi_wbuf_u32(&w, FDXI_MODEL_MAX_TREES + 1);
    assert_null(mu_load(&fdxi_model_forest, w.data, w.len, 2, 2, err));
    assert_non_null(strstr(err, "forest tree count: 10001 out of range"));
    fdxi_wbuf_fini(&w);
    struct spec bad[5];
    memcpy(bad, valid, sizeof(bad));
    bad[3].feature = 7;
    bad[3].left = 4;
    struct fdxi_wbuf t1 = tree_file(5, valid, 5), t2 = tree_file(5, bad, 5);
    fdxi_wbuf_u32(&w, 2);
    fdxi_wbuf_bytes(&w, t1.data, t1.len);
    fdxi_wbuf_bytes(&w, t2.data, t2.len);
    assert_null(mu_load(&fdxi_model_forest, w.data, w.len, 2, 2, err));
    assert_non_null(strstr(err, "forest tree 1: "));
    assert_non_null(strstr(err, "tree node 3: feature index 7 out of range"));
    fdxi_wbuf_fini(&w);
    fdxi_wbuf_fini(&t1);
    fdxi_wbuf_fini(&t2);
}

/*
 * Random byte changes to a saved forest: each load either fails with a message or gives a
 * model whose predictions are probabilities (no crash, no endless walk; ASan watches memory).
 */
static void test_model_forest_mutated_files_never_crash(void **state)
{
    (void)state;
    enum { N = 40 };
    double x[N * BLOB_D];
    int32_t y[N];
    struct fdxi_train_params p;
    blob_setup(6, N, x, y, &p, 3);
    void *m = mu_train(&fdxi_model_forest, &p, x, y, N, BLOB_D, 2);
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_forest, m, &w);
    uint8_t *copy = malloc(w.len);
    assert_non_null(copy);
    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, 99);
    int loaded = 0, refused_n = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(copy, w.data, w.len);
        int flips = 1 + (int)fdxi_rng_below(&rng, 3);
        for (int f = 0; f < flips; f++)
            copy[fdxi_rng_below(&rng, w.len)] = (uint8_t)fdxi_rng_next(&rng);
        char err[256] = "";
        /* A smaller tree count can leave bytes over: not this test's concern. */
        void *back = mu_load_prefix(&fdxi_model_forest, copy, w.len, BLOB_D, 2, err);
        if (back == NULL) {
            refused_n++;
            continue;
        }
        loaded++;
        for (int i = 0; i < N; i++) {
            double pr[2];
            fdxi_model_forest.predict(back, &x[i * BLOB_D], pr);
            assert_true(pr[0] >= 0.0 && pr[0] <= 1.0 && pr[1] >= 0.0 && pr[1] <= 1.0);
        }
        fdxi_model_forest.free(back);
    }
    /* Both outcomes occur (a changed threshold or probability bit can be valid). */
    assert_true(loaded > 0 && refused_n > 0);
    free(copy);
    fdxi_wbuf_fini(&w);
    fdxi_model_forest.free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_tree_hand_gini_split),
        cmocka_unit_test(test_model_tree_predict_leaf_probabilities),
        cmocka_unit_test(test_model_tree_nan_goes_left),
        cmocka_unit_test(test_model_tree_pure_nodes_become_leaves),
        cmocka_unit_test(test_model_tree_max_depth_respected),
        cmocka_unit_test(test_model_tree_min_samples_respected),
        cmocka_unit_test(test_model_tree_importance_matches_sklearn),
        cmocka_unit_test(test_model_tree_refuses_bad_training_input),
        cmocka_unit_test(test_model_forest_accurate_on_separable_blobs),
        cmocka_unit_test(test_model_forest_deterministic_per_seed),
        cmocka_unit_test(test_model_forest_predicts_mean_of_trees),
        cmocka_unit_test(test_model_tree_forest_save_load_same_predictions),
        cmocka_unit_test(test_model_tree_forest_every_truncation_refused),
        cmocka_unit_test(test_model_tree_hostile_files_refused),
        cmocka_unit_test(test_model_forest_mutated_files_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
