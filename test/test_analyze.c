/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the analyses: k-means, the universal set, importance, rules and profiles. */
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

#include <unistd.h>

#include "analyze/analyze.h"
#include "core/err.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_analysis.h"
#include "model/model.h"
#include "model/tree.h"
#include "train_util.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- k-means ---- */

/*
 * Two squares of side 2: (0,0) (0,2) (2,0) (2,2) around (1,1) and the same shifted by (10,10)
 * around (11,11). Every point is at squared distance 1 + 1 = 2 from its square's centre, so the
 * two-cluster cost is 2. With one cluster the centre is the mean (6,6) and the squared distances
 * are 72, 52, 52, 32 for the first square and 32, 52, 52, 72 for the second: 416 / 8 = 52.
 */
static const double squares[8 * 2] = {
    0, 0, 0, 2, 2, 0, 2, 2, 10, 10, 10, 12, 12, 10, 12, 12,
};

static void test_analyze_kmeans_finds_the_two_squares(void **state)
{
    (void)state;
    struct fdxi_kmeans_options o = {.k = 2, .restarts = 5, .max_iter = 100, .seed = 7};
    struct fdxi_kmeans km;
    uint32_t assign[8];
    assert_int_equal(fdxi_kmeans_fit(squares, 8, 2, &o, &km, assign), 0);
    assert_int_equal(km.k, 2);
    tu_assert_close(km.cost, 2.0, 1e-12);
    /* The centres in either order. */
    uint32_t low = km.centres[0] < km.centres[2] ? 0 : 1;
    tu_assert_close(km.centres[low * 2], 1.0, 1e-12);
    tu_assert_close(km.centres[low * 2 + 1], 1.0, 1e-12);
    tu_assert_close(km.centres[(1 - low) * 2], 11.0, 1e-12);
    tu_assert_close(km.centres[(1 - low) * 2 + 1], 11.0, 1e-12);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(assign[i], i < 4 ? low : 1 - low);
    /* The cost of other rows: (1,1) is on a centre, (6,6) at 25 + 25 from both. */
    const double probe[4] = {1, 1, 6, 6};
    tu_assert_close(fdxi_kmeans_cost(&km, probe, 2), 25.0, 1e-12);
    double d2;
    assert_int_equal(fdxi_kmeans_nearest(&km, probe, &d2), low);
    tu_assert_close(d2, 0.0, 0);
    fdxi_kmeans_fini(&km);

    o.k = 1;
    assert_int_equal(fdxi_kmeans_fit(squares, 8, 2, &o, &km, NULL), 0);
    tu_assert_close(km.centres[0], 6.0, 1e-12);
    tu_assert_close(km.centres[1], 6.0, 1e-12);
    tu_assert_close(km.cost, 52.0, 1e-12);
    fdxi_kmeans_fini(&km);
}

static void test_analyze_kmeans_is_reproducible_and_survives_duplicates(void **state)
{
    (void)state;
    /* Two distinct rows, each three times: three clusters cannot all hold a distinct row, and
     * the cost is 0 once both rows are centres. */
    const double x[6] = {5, 5, 5, 9, 9, 9};
    struct fdxi_kmeans_options o = {.k = 3, .restarts = 3, .max_iter = 50, .seed = 1};
    struct fdxi_kmeans a, b;
    uint32_t assign[6];
    assert_int_equal(fdxi_kmeans_fit(x, 6, 1, &o, &a, assign), 0);
    tu_assert_close(a.cost, 0.0, 0);
    assert_int_equal(assign[0], assign[1]);
    assert_int_equal(assign[3], assign[5]);
    assert_int_not_equal(assign[0], assign[3]);
    assert_int_equal(fdxi_kmeans_fit(x, 6, 1, &o, &b, NULL), 0);
    assert_memory_equal(a.centres, b.centres, 3 * sizeof(double));
    fdxi_kmeans_fini(&a);
    fdxi_kmeans_fini(&b);
    /* k above the rows, no restart: refused. */
    o.k = 7;
    assert_int_equal(fdxi_kmeans_fit(x, 6, 1, &o, &a, NULL), FDX_EINVAL);
    o.k = 2;
    o.restarts = 0;
    assert_int_equal(fdxi_kmeans_fit(x, 6, 1, &o, &a, NULL), FDX_EINVAL);
}

/*
 * Rows 0, 2, 4, 6 with folds {0, 0, 1, 1}.
 * k = 1: fit on {4, 6} -> centre 5, held-out 0 and 2 cost (25 + 9) / 2 = 17; fit on {0, 2} ->
 * centre 1, held-out 4 and 6 cost (9 + 25) / 2 = 17: the cross-validated cost is 17.
 * k = 2: fit on {4, 6} -> centres 4 and 6, held-out 0 and 2 are nearest to 4: (16 + 4) / 2 = 10;
 * fit on {0, 2} -> centres 0 and 2, held-out 4 and 6 nearest to 2: (4 + 16) / 2 = 10: cost 10.
 */
static void test_analyze_kmeans_cv_by_hand(void **state)
{
    (void)state;
    const double x[4] = {0, 2, 4, 6};
    const uint32_t fold[4] = {0, 0, 1, 1};
    struct fdxi_kmeans_options o = {.restarts = 2, .max_iter = 50, .seed = 3};
    double cost[2];
    char err[256];
    assert_int_equal(fdxi_kmeans_cv(x, 4, 1, fold, 2, 1, 2, &o, cost, err, sizeof(err)), 0);
    tu_assert_close(cost[0], 17.0, 1e-12);
    tu_assert_close(cost[1], 10.0, 1e-12);
    /* Three clusters cannot be fitted on the two rows of a training side. */
    double three[3];
    assert_int_equal(fdxi_kmeans_cv(x, 4, 1, fold, 2, 1, 3, &o, three, err, sizeof(err)),
                     FDX_EINVAL);
    assert_non_null(strstr(err, "2 remain to fit on"));
    /* An empty fold is refused. */
    const uint32_t lopsided[4] = {0, 0, 0, 0};
    assert_int_equal(fdxi_kmeans_cv(x, 4, 1, lopsided, 2, 1, 1, &o, cost, err, sizeof(err)),
                     FDX_EINVAL);
}

/*
 * Costs for k = 2..6 of 100, 50, 40, 39, 38: the decreases are 50 %, 20 %, 2.5 % and 2.56 %.
 * With a 5 % threshold the first decrease below it follows k = 4; with 1 % none does, so the
 * largest k tried; a cost of 0 cannot decrease, so k stays at the first.
 */
static void test_analyze_choose_k(void **state)
{
    (void)state;
    const double cost[5] = {100, 50, 40, 39, 38};
    assert_int_equal(fdxi_kmeans_choose_k(cost, 2, 6, 0.05), 4);
    assert_int_equal(fdxi_kmeans_choose_k(cost, 2, 6, 0.01), 6);
    assert_int_equal(fdxi_kmeans_choose_k(cost, 2, 6, 0.6), 2);
    const double flat[3] = {0, 0, 0};
    assert_int_equal(fdxi_kmeans_choose_k(flat, 1, 3, 0.05), 1);
    /* A single k is its own choice. */
    assert_int_equal(fdxi_kmeans_choose_k(cost, 5, 5, 0.05), 5);
}

/* ---- the universal set ---- */

/*
 * sp/rsp: (max(100, 30) + max(40, 90)) / 2 = 95; spl/rspl: (max(20, 70) + max(80, 10)) / 2 = 75;
 * maxpl has no twin: (60 + 50) / 2 = 55; oneway has none: (10 + 30) / 2 = 20.
 */
static const char *const u_names[6] = {"sp", "spl", "oneway", "rsp", "rspl", "maxpl"};
static const double u_ga[6] = {100, 20, 10, 30, 70, 60};
static const double u_gb[6] = {40, 80, 30, 90, 10, 50};

static void test_analyze_universal_pairs_and_threshold(void **state)
{
    (void)state;
    struct fdxi_universal_row *rows;
    uint32_t n;
    assert_int_equal(fdxi_universal(u_names, u_ga, u_gb, 6, 55, &rows, &n), 0);
    assert_int_equal(n, 4);
    const uint32_t f[4] = {0, 1, 5, 2};
    const int32_t rf[4] = {3, 4, -1, -1};
    const double g[4] = {95, 75, 55, 20};
    const bool kept[4] = {true, true, true, false};
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(rows[i].f, f[i]);
        assert_int_equal(rows[i].rf, rf[i]);
        tu_assert_close(rows[i].g, g[i], 1e-12);
        assert_int_equal(rows[i].kept, kept[i]);
    }
    tu_assert_close(rows[0].ga[0], 100, 0);
    tu_assert_close(rows[0].ga[1], 30, 0);
    tu_assert_close(rows[0].gb[0], 40, 0);
    tu_assert_close(rows[0].gb[1], 90, 0);
    assert_true(isnan(rows[2].ga[1]) && isnan(rows[2].gb[1]));
    free(rows);
    /* Just above 55, maxpl goes; the pairs stay whole. */
    assert_int_equal(fdxi_universal(u_names, u_ga, u_gb, 6, 55.01, &rows, &n), 0);
    assert_true(rows[0].kept && rows[1].kept && !rows[2].kept && !rows[3].kept);
    free(rows);
}

static void test_analyze_universal_pairs_in_any_column_order(void **state)
{
    (void)state;
    /* A response name before its request twin still pairs, with f the request one. */
    const char *const names[3] = {"rsp", "x", "sp"};
    const double ga[3] = {10, 0, 80}, gb[3] = {60, 50, 0};
    struct fdxi_universal_row *rows;
    uint32_t n;
    assert_int_equal(fdxi_universal(names, ga, gb, 3, 50, &rows, &n), 0);
    assert_int_equal(n, 2);
    /* (sp, rsp): (max(80, 10) + max(0, 60)) / 2 = 70; x alone: (0 + 50) / 2 = 25. */
    assert_int_equal(rows[0].f, 2);
    assert_int_equal(rows[0].rf, 0);
    tu_assert_close(rows[0].g, 70, 1e-12);
    assert_int_equal(rows[1].f, 1);
    assert_int_equal(rows[1].rf, -1);
    tu_assert_close(rows[1].g, 25, 1e-12);
    free(rows);
    /* x, rx, rrx: (x, rx) pair, rrx stays alone. */
    const char *const chain[3] = {"x", "rx", "rrx"};
    const double z[3] = {0, 0, 0};
    assert_int_equal(fdxi_universal(chain, z, z, 3, 50, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].f, 0);
    assert_int_equal(rows[0].rf, 1);
    assert_int_equal(rows[1].f, 2);
    assert_int_equal(rows[1].rf, -1);
    free(rows);
}

/* ---- importance ---- */

/*
 * Eight rows, features x0, x1 and a constant x2 = 7:
 *   x0 = 0: x1 = 1, 2, 3, 4 with classes 0, 0, 0, 1;  x0 = 1: x1 = 1, 2, 3, 4, all class 1.
 * Root: 3 of class 0, 5 of class 1: n * gini = 8 * (1 - (9 + 25) / 64) = 3.75. The best split
 * is x0 <= 0.5 (left 3:1, 4 * (1 - 10/16) = 1.5; right pure): decrease 3.75 - 1.5 = 2.25. (On x1
 * the best would leave 3.0: x1 <= 3.5 puts 3:3 left.) The left child splits on x1 <= 3.5 into
 * pure leaves: decrease 1.5. Importances: x0 2.25, x1 1.5, x2 0; shares 0.6, 0.4, 0; on the
 * 0-100 scale 100, 66.67 and 0. scikit-learn 1.2.1 agrees on the shares and the thresholds:
 *   DecisionTreeClassifier(random_state=0).fit(X, y).feature_importances_ -> [0.6, 0.4, 0.0]
 * (/usr/bin/python3, Debian 12 python3-sklearn; the same for random_state 0 to 4).
 */
static const double imp_x[8 * 3] = {
    0, 1, 7, 0, 2, 7, 0, 3, 7, 0, 4, 7, 1, 1, 7, 1, 2, 7, 1, 3, 7, 1, 4, 7,
};
static const int32_t imp_y[8] = {0, 0, 0, 1, 1, 1, 1, 1};

static struct fdxi_tree *grow_tree(const double *x, const int32_t *y, uint32_t n, uint32_t d,
                                   uint32_t n_classes)
{
    uint32_t samples[64];
    assert_true(n <= 64);
    for (uint32_t i = 0; i < n; i++)
        samples[i] = i;
    struct fdxi_tree_grow g = {
        .max_depth = 0, .min_samples_split = 2, .min_samples_leaf = 1, .max_features = d};
    struct fdxi_tree *t = fdxi_tree_grow(&g, x, y, d, n_classes, samples, n, NULL);
    assert_non_null(t);
    return t;
}

static void test_analyze_importance_scale100_by_hand(void **state)
{
    (void)state;
    struct fdxi_tree *t = grow_tree(imp_x, imp_y, 8, 3, 2);
    double share[3], imp[3];
    assert_int_equal(fdxi_tree_importance(t, share, 3), 0);
    tu_assert_close(share[0], 0.6, 1e-12);
    tu_assert_close(share[1], 0.4, 1e-12);
    tu_assert_close(share[2], 0.0, 0);
    fdxi_importance_scale100(share, 3, imp);
    tu_assert_close(imp[0], 100.0, 1e-12);
    tu_assert_close(imp[1], 100.0 * 1.5 / 2.25, 1e-12);
    tu_assert_close(imp[2], 0.0, 0);
    uint32_t order[3];
    fdxi_rank_desc(imp, 3, order);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 2);
    uint32_t leaves, depth;
    fdxi_tree_shape(t, &leaves, &depth);
    assert_int_equal(leaves, 3);
    assert_int_equal(depth, 2);
    fdxi_tree_free(t);

    /* A tree without a split has no importance: all zeros, not NaN. */
    const double zero[2] = {0, 0};
    double out[2] = {1, 1};
    fdxi_importance_scale100(zero, 2, out);
    tu_assert_close(out[0], 0.0, 0);
    tu_assert_close(out[1], 0.0, 0);
    /* Ties keep column order. */
    const double tie[4] = {5, 9, 5, 9};
    uint32_t o4[4];
    fdxi_rank_desc(tie, 4, o4);
    assert_int_equal(o4[0], 1);
    assert_int_equal(o4[1], 3);
    assert_int_equal(o4[2], 0);
    assert_int_equal(o4[3], 2);
}

/* The same data through the public API: the ranked table of the report. */
static void test_analyze_importance_report_through_the_api(void **state)
{
    (void)state;
    char path[256];
    tu_write_temp("flow_id,src_addr,x0,x1,x2,Label\n"
                  "1,10.0.0.1,0,1,7,ham\n2,10.0.0.1,0,2,7,ham\n3,10.0.0.1,0,3,7,ham\n"
                  "4,10.0.0.1,0,4,7,spam\n5,10.0.0.1,1,1,7,spam\n6,10.0.0.1,1,2,7,spam\n"
                  "7,10.0.0.1,1,3,7,spam\n8,10.0.0.1,1,4,7,spam\n",
                  path, sizeof(path));
    struct fdx_analysis_options o;
    fdx_analysis_options_init(&o);
    o.data_path = path;
    o.min_leaf = 1;
    fdx_analysis *a = NULL;
    char err[512];
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), 0);
    char buf[4096];
    size_t n = fdx_analysis_report(a, 0, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    assert_non_null(strstr(buf, "   1  x0          100.00   60.00%\n"));
    assert_non_null(strstr(buf, "   2  x1           66.67   40.00%\n"));
    assert_non_null(strstr(buf, "   3  x2            0.00    0.00%\n"));
    assert_non_null(strstr(buf, "3 leaves, depth 2"));
    /* The identifier columns are not features. */
    assert_null(strstr(buf, "src_addr"));
    assert_null(strstr(buf, "flow_id"));
    n = fdx_analysis_report(a, 1, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    assert_non_null(strstr(buf, "{\"rank\":1,\"feature\":\"x0\",\"importance\":100,"
                                "\"share\":0.59999999999999998}"));
    /* Not a universal analysis: no feature list. */
    assert_int_equal(fdx_analysis_features(a, ',', buf, sizeof(buf)), 0);
    fdx_analysis_free(a);

    /* A feature list naming a column the data lacks. */
    o.features = "x0,nope";
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, "--features:"));
    assert_non_null(strstr(err, "'nope'"));
    /* The universal set of the data with itself: x0 alone g = 100, x1 66.67, x2 0. */
    o.features = NULL;
    o.kind = "universal";
    o.data_path_b = path;
    o.threshold = 60;
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), 0);
    assert_int_equal(fdx_analysis_features(a, ',', buf, sizeof(buf)), strlen("x0,x1"));
    assert_string_equal(buf, "x0,x1");
    fdx_analysis_free(a);
    unlink(path);
}

/* An infinite value is refused at its file line: the header is line 1, a blank line 3 is skipped,
 * so the third data row ("inf") is line 5. */
static void test_analyze_infinite_value_located(void **state)
{
    (void)state;
    char path[256];
    tu_write_temp("x0,x1,Label\n1,2,ham\n\n3,4,spam\n5,inf,spam\n6,7,ham\n", path, sizeof(path));
    struct fdx_analysis_options o;
    fdx_analysis_options_init(&o);
    o.data_path = path;
    fdx_analysis *a = NULL;
    char err[512], want[512];
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), FDX_EFORMAT);
    snprintf(want, sizeof(want),
             "%s:5: column 'x1': an infinite value (inf), which no model can analyse", path);
    assert_string_equal(err, want);
    assert_null(a);
    unlink(path);
}

/* A finite value above 1e100 is refused too: k-means' squared distances of 1e200-sized values
 * overflow to inf, and its clusters were then garbage (a crash numbering them). Line 4 here. */
static void test_analyze_huge_value_located(void **state)
{
    (void)state;
    char path[256];
    tu_write_temp("x,Label\n1e200,spam\n2e200,spam\n-3e200,spam\n1,spam\n2,spam\n", path,
                  sizeof(path));
    struct fdx_analysis_options o;
    fdx_analysis_options_init(&o);
    o.data_path = path;
    o.kind = "subclasses";
    fdx_analysis *a = NULL;
    char err[512], want[512];
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), FDX_EFORMAT);
    snprintf(want, sizeof(want),
             "%s:2: column 'x': 1e+200 is too large to analyse (magnitude above 1e+100, where "
             "scaling could overflow)",
             path);
    assert_string_equal(err, want);
    assert_null(a);
    unlink(path);
}

/* ---- rules ---- */

/* A tree from hand-written nodes in the model-file layout (fdxi_tree_write's). */
struct hand_node {
    uint32_t feature; /* UINT32_MAX: leaf */
    double threshold;
    uint32_t left, right, n;
    double p0; /* class 0's share; class 1 has the rest */
};

static struct fdxi_tree *hand_tree(const struct hand_node *nodes, uint32_t n, uint32_t d)
{
    struct fdxi_wbuf w = {0};
    fdxi_wbuf_u32(&w, n);
    for (uint32_t i = 0; i < n; i++) {
        fdxi_wbuf_u32(&w, nodes[i].feature);
        fdxi_wbuf_f64(&w, nodes[i].threshold);
        fdxi_wbuf_u32(&w, nodes[i].left);
        fdxi_wbuf_u32(&w, nodes[i].right);
        fdxi_wbuf_u32(&w, nodes[i].n);
        fdxi_wbuf_f64(&w, nodes[i].p0);
        fdxi_wbuf_f64(&w, 1.0 - nodes[i].p0);
    }
    assert_false(w.failed);
    struct fdxi_rbuf r;
    fdxi_rbuf_init(&r, w.data, w.len);
    struct fdxi_tree *t = fdxi_tree_read(&r, d, 2);
    if (t == NULL)
        fail_msg("%s", r.err);
    fdxi_wbuf_fini(&w);
    return t;
}

#define LEAF UINT32_MAX

static const char *const classes[2] = {"ham", "spam"};

static void test_analyze_rules_of_a_tiny_tree(void **state)
{
    (void)state;
    /* spl <= 123.5 ? (maxpl <= 40 ? ham : spam) : ham, the first leaf mixed 3:1. */
    const struct hand_node nodes[5] = {
        {0, 123.5, 1, 4, 10, 0.5}, {1, 40, 2, 3, 6, 1.0 / 6.0}, {LEAF, 0, 0, 0, 4, 0.25},
        {LEAF, 0, 0, 0, 2, 0.0},   {LEAF, 0, 0, 0, 4, 1.0},
    };
    struct fdxi_tree *t = hand_tree(nodes, 5, 2);
    const char *const features[2] = {"spl", "maxpl"};
    struct fdxi_rules_view v = {.feature_names = features, .class_names = classes, .n_classes = 2};
    char buf[2048];
    size_t n = fdxi_tree_rules(t, &v, false, buf, sizeof(buf), 0);
    assert_true(n < sizeof(buf));
    assert_string_equal(buf, "if spl <= 123.5 and maxpl <= 40 then spam (n=4, p=0.750)\n"
                             "if spl <= 123.5 and maxpl > 40 then spam (n=2, p=1.000)\n"
                             "if spl > 123.5 then ham (n=4, p=1.000)\n");
    /* The measuring call (len 0) gives the same length. */
    assert_int_equal(fdxi_tree_rules(t, &v, false, NULL, 0, 0), n);
    n = fdxi_tree_rules(t, &v, true, buf, sizeof(buf), 0);
    assert_true(n < sizeof(buf));
    assert_string_equal(
        buf, "[{\"if\":[{\"feature\":\"spl\",\"op\":\"<=\",\"value\":123.5},{\"feature\":"
             "\"maxpl\",\"op\":\"<=\",\"value\":40}],\"class\":\"spam\",\"n\":4,\"p\":0.75},"
             "{\"if\":[{\"feature\":\"spl\",\"op\":\"<=\",\"value\":123.5},{\"feature\":"
             "\"maxpl\",\"op\":\">\",\"value\":40}],\"class\":\"spam\",\"n\":2,\"p\":1},"
             "{\"if\":[{\"feature\":\"spl\",\"op\":\">\",\"value\":123.5}],\"class\":\"ham\","
             "\"n\":4,\"p\":1}]");
    /* Scaled inputs: thresholds shown as t * scale + mean: 123.5 * 2 + 1 = 248, 40 * 0.5 - 3 =
     * 17. */
    const double mean[2] = {1, -3}, scale[2] = {2, 0.5};
    v.mean = mean;
    v.scale = scale;
    fdxi_tree_rules(t, &v, false, buf, sizeof(buf), 0);
    assert_string_equal(buf, "if spl <= 248 and maxpl <= 17 then spam (n=4, p=0.750)\n"
                             "if spl <= 248 and maxpl > 17 then spam (n=2, p=1.000)\n"
                             "if spl > 248 then ham (n=4, p=1.000)\n");
    fdxi_tree_free(t);
}

static void test_analyze_rules_merge_tests_of_one_feature(void **state)
{
    (void)state;
    /* x <= 4.5 ? (x <= 2.5 ? ham : spam) : ham: the paths test x twice. */
    const struct hand_node nodes[5] = {
        {0, 4.5, 1, 4, 7, 5.0 / 7.0}, {0, 2.5, 2, 3, 4, 0.5},  {LEAF, 0, 0, 0, 2, 1.0},
        {LEAF, 0, 0, 0, 2, 0.0},      {LEAF, 0, 0, 0, 3, 1.0},
    };
    struct fdxi_tree *t = hand_tree(nodes, 5, 1);
    const char *const features[1] = {"x"};
    struct fdxi_rules_view v = {.feature_names = features, .class_names = classes, .n_classes = 2};
    char buf[1024];
    fdxi_tree_rules(t, &v, false, buf, sizeof(buf), 0);
    assert_string_equal(buf, "if x <= 2.5 then ham (n=2, p=1.000)\n"
                             "if x > 2.5 and x <= 4.5 then spam (n=2, p=1.000)\n"
                             "if x > 4.5 then ham (n=3, p=1.000)\n");
    fdxi_tree_free(t);

    /* A tree that is one leaf. */
    const struct hand_node leaf[1] = {{LEAF, 0, 0, 0, 3, 1.0 / 3.0}};
    t = hand_tree(leaf, 1, 1);
    fdxi_tree_rules(t, &v, false, buf, sizeof(buf), 0);
    assert_string_equal(buf, "if true then spam (n=3, p=0.667)\n");
    fdxi_tree_rules(t, &v, true, buf, sizeof(buf), 0);
    assert_string_equal(buf, "[{\"if\":[],\"class\":\"spam\",\"n\":3,\"p\":0.66666666666666674}]");
    uint32_t leaves, depth;
    fdxi_tree_shape(t, &leaves, &depth);
    assert_int_equal(leaves, 1);
    assert_int_equal(depth, 0);
    fdxi_tree_free(t);
}

/* ---- profiles ---- */

/*
 * Rows (0, 10), (2, 10) in group 0 and (4, 20), (10, 30) in group 1. Over all rows feature 0
 * spans 0..10 and feature 1 10..30.
 * Group 0: mean (1, 10); sd (sqrt((1 + 1) / 2), 0) = (1, 0); normalised (0 + 0.2) / 2 = 0.1 and 0.
 * Group 1: mean (7, 25); sd (sqrt((9 + 9) / 2), sqrt((25 + 25) / 2)) = (3, 5); normalised
 * (0.4 + 1) / 2 = 0.7 and (0.5 + 1) / 2 = 0.75.
 */
static void test_analyze_profile_by_hand(void **state)
{
    (void)state;
    const double x[8] = {0, 10, 2, 10, 4, 20, 10, 30};
    const uint32_t group[4] = {0, 0, 1, 1};
    struct fdxi_profile p;
    assert_int_equal(fdxi_profile_compute(x, 4, 2, group, 2, &p), 0);
    assert_int_equal(p.size[0], 2);
    assert_int_equal(p.size[1], 2);
    const double mean[4] = {1, 10, 7, 25}, sd[4] = {1, 0, 3, 5}, norm[4] = {0.1, 0, 0.7, 0.75};
    for (int i = 0; i < 4; i++) {
        tu_assert_close(p.mean[i], mean[i], 1e-12);
        tu_assert_close(p.sd[i], sd[i], 1e-12);
        tu_assert_close(p.norm_mean[i], norm[i], 1e-12);
    }
    tu_assert_close(p.min[0], 0, 0);
    tu_assert_close(p.max[1], 30, 0);
    fdxi_profile_fini(&p);
    /* A group index out of range is refused. */
    const uint32_t bad[4] = {0, 0, 2, 1};
    assert_int_equal(fdxi_profile_compute(x, 4, 2, bad, 2, &p), FDX_EINVAL);
}

/* ---- subclasses through the public API ---- */

/*
 * Spam rows in three tight, far-apart groups of four (around 0, 100 and 200 on one feature, the
 * other feature constant), ham rows elsewhere. Cross-validated with k = 1..4 and 4 folds the cost
 * drops sharply to k = 3 and barely after it, so k = 3, with the three groups as subclasses.
 */
static void test_analyze_subclasses_through_the_api(void **state)
{
    (void)state;
    char csv[4096];
    size_t used = (size_t)snprintf(csv, sizeof(csv), "a,b,Label\n");
    const double centre[3] = {0, 100, 200};
    for (int g = 0; g < 3; g++) {
        for (int i = 0; i < 4; i++)
            used += (size_t)snprintf(csv + used, sizeof(csv) - used, "%g,5,spam\n",
                                     centre[g] + i * 0.5);
    }
    used += (size_t)snprintf(csv + used, sizeof(csv) - used, "50,1,ham\n150,1,ham\n");
    assert_true(used < sizeof(csv));
    char path[256];
    tu_write_temp(csv, path, sizeof(path));
    struct fdx_analysis_options o;
    fdx_analysis_options_init(&o);
    o.kind = "subclasses";
    o.data_path = path;
    o.k_min = 1;
    o.k_max = 4;
    o.folds = 4;
    o.min_leaf = 1;
    fdx_analysis *a = NULL;
    char err[512];
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), 0);
    static char buf[65536];
    size_t n = fdx_analysis_report(a, 0, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    assert_non_null(strstr(buf, "chosen k = 3"));
    assert_non_null(strstr(buf, "class 'spam': 12 rows"));
    /* Three subclasses of four rows each; the rules separate them on a alone. */
    assert_non_null(strstr(buf, "1                 4  33.33%\n"));
    assert_non_null(strstr(buf, "3                 4  33.33%\n"));
    assert_non_null(strstr(buf, "accuracy on its training rows 1.0000"));
    assert_null(strstr(buf, "if b"));
    /* Equal sizes are numbered in the order of their first row: the group around 0 is 1. */
    assert_non_null(strstr(buf, "if a <= 50.75 then subclass 1 (n=4, p=1.000)\n"));
    assert_non_null(strstr(buf, "if a > 50.75 and a <= 150.75 then subclass 2 (n=4, p=1.000)\n"));
    n = fdx_analysis_report(a, 1, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    assert_non_null(strstr(buf, "\"k\":3,"));
    fdx_analysis_free(a);

    /* A class the data does not have: the message lists those it has. */
    o.class_name = "phish";
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), FDX_ENOENT);
    assert_non_null(strstr(err, "no class 'phish' (its classes: 'ham' 'spam')"));
    /* Too few rows for the folds and clusters asked for. */
    o.class_name = "spam";
    o.k_max = 12;
    assert_int_equal(fdx_analysis_run(&o, &a, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "too few"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyze_kmeans_finds_the_two_squares),
        cmocka_unit_test(test_analyze_kmeans_is_reproducible_and_survives_duplicates),
        cmocka_unit_test(test_analyze_kmeans_cv_by_hand),
        cmocka_unit_test(test_analyze_choose_k),
        cmocka_unit_test(test_analyze_universal_pairs_and_threshold),
        cmocka_unit_test(test_analyze_universal_pairs_in_any_column_order),
        cmocka_unit_test(test_analyze_importance_scale100_by_hand),
        cmocka_unit_test(test_analyze_importance_report_through_the_api),
        cmocka_unit_test(test_analyze_infinite_value_located),
        cmocka_unit_test(test_analyze_huge_value_located),
        cmocka_unit_test(test_analyze_rules_of_a_tiny_tree),
        cmocka_unit_test(test_analyze_rules_merge_tests_of_one_feature),
        cmocka_unit_test(test_analyze_profile_by_hand),
        cmocka_unit_test(test_analyze_subclasses_through_the_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
