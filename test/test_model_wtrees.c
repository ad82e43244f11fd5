/* SPDX-License-Identifier: BSD-3-Clause */
/* The weighted-trees ensemble: its sign-of-weighted-sum rule on hand-computed votes and weights
 * (including the uncertain 0), training on data with one informative feature, adding trees, and
 * model-file round trip and refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model/tree.h"
#include "model_util.h"

/* Accuracies 0.9, 0.8, 0.7; votes +1, -1, -1: A = 0.9, B = 1.5, sum = (0.9 - 1.5) / 2.4 = -0.25. */
static void test_rule_weighted_majority_against_count(void **state)
{
    (void)state;
    const double acc[] = {0.9, 0.8, 0.7};
    const int8_t votes[] = {1, -1, -1};
    double sum;
    assert_int_equal(fdxi_wtrees_rule(acc, votes, 3, 0.0, &sum), -1);
    assert_near(sum, -0.25, 1e-15);
    /* One strong tree outvotes two weak ones: 0.9 against 0.2 + 0.3, sum = 0.4 / 1.4. */
    const double acc2[] = {0.9, 0.2, 0.3};
    assert_int_equal(fdxi_wtrees_rule(acc2, votes, 3, 0.0, &sum), 1);
    assert_near(sum, 0.4 / 1.4, 1e-15);
}

/* Accuracies 0.75, 0.5, 0.25 (exact in binary); votes +1, -1, -1: A = 0.75 = B, an exact tie:
 * sum 0 and the verdict 0, "uncertain". */
static void test_rule_tie_is_uncertain(void **state)
{
    (void)state;
    const double acc[] = {0.75, 0.5, 0.25};
    const int8_t votes[] = {1, -1, -1};
    double sum = 99;
    assert_int_equal(fdxi_wtrees_rule(acc, votes, 3, 0.0, &sum), 0);
    assert_true(sum == 0.0);
    /* Two equal trees disagreeing: also a tie. */
    const double acc2[] = {0.5, 0.5};
    const int8_t votes2[] = {1, -1};
    assert_int_equal(fdxi_wtrees_rule(acc2, votes2, 2, 0.0, NULL), 0);
}

/* Accuracies 0.6, 0.5; votes +1, -1: sum = 0.1 / 1.1 = 0.0909...; a margin of 0.1 makes it
 * uncertain, 0.05 and 0 do not. Accuracies 0.75, 0.25: sum = 0.5 exactly, and a margin of 0.5
 * is not above it (|sum| < margin is the uncertain band). */
static void test_rule_margin(void **state)
{
    (void)state;
    const double acc[] = {0.6, 0.5};
    const int8_t votes[] = {1, -1};
    double sum;
    assert_int_equal(fdxi_wtrees_rule(acc, votes, 2, 0.1, &sum), 0);
    assert_near(sum, 0.1 / 1.1, 1e-15);
    assert_int_equal(fdxi_wtrees_rule(acc, votes, 2, 0.05, NULL), 1);
    assert_int_equal(fdxi_wtrees_rule(acc, votes, 2, 0.0, NULL), 1);
    const int8_t flipped[] = {-1, 1};
    assert_int_equal(fdxi_wtrees_rule(acc, flipped, 2, 0.05, NULL), -1);
    const double acc2[] = {0.75, 0.25};
    assert_int_equal(fdxi_wtrees_rule(acc2, votes, 2, 0.5, &sum), 1);
    assert_true(sum == 0.5);
    assert_int_equal(fdxi_wtrees_rule(acc2, votes, 2, 0.5000001, NULL), 0);
}

/* Unanimous votes: sum +1 or -1 whatever the accuracies; all accuracies 0: sum 0, uncertain. */
static void test_rule_unanimous_and_degenerate(void **state)
{
    (void)state;
    const double acc[] = {0.51, 0.99, 0.7};
    const int8_t up[] = {1, 1, 1}, down[] = {-1, -1, -1};
    double sum;
    assert_int_equal(fdxi_wtrees_rule(acc, up, 3, 0.9, &sum), 1);
    assert_true(sum == 1.0);
    assert_int_equal(fdxi_wtrees_rule(acc, down, 3, 0.0, &sum), -1);
    assert_true(sum == -1.0);
    const double zero[] = {0, 0};
    assert_int_equal(fdxi_wtrees_rule(zero, up, 2, 0.0, &sum), 0);
    assert_true(sum == 0.0);
}

/*
 * 200 rows, 2 features: column 0 decides the class (x0 > 0.5: class 1), column 1 is noise from a
 * fixed pattern unrelated to the class. Trees of one feature each: a tree on column 0 is right on
 * every validation row (accuracy 1); a tree on column 1 cannot beat the class balance by much.
 */
static void make_data(double *x, int32_t *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        x[i * 2] = (double)i / n;
        x[i * 2 + 1] = (double)((i * 37u) % 101u);
        y[i] = x[i * 2] > 0.5;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void test_train_weights_follow_accuracy(void **state)
{
    (void)state;
    enum { N = 200 };
    double x[N * 2];
    int32_t y[N];
    make_data(x, y, N);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.wtrees_trees = 15;
    p.wtrees_features = 1;
    void *m = mu_train(&fdxi_model_wtrees, &p, x, y, N, 2, 2);
    assert_int_equal(fdxi_wtrees_count(m), 15);
    uint32_t perfect = 0;
    for (uint32_t i = 0; i < 15; i++) {
        double a = fdxi_wtrees_accuracy(m, i);
        assert_true(a >= 0.0 && a <= 1.0);
        perfect += a == 1.0;
    }
    assert_true(perfect >= 1 && perfect < 15); /* both kinds of tree were drawn */
    /* Clear rows go the informative trees' way. */
    const double lo[2] = {0.1, 50}, hi[2] = {0.9, 50};
    assert_int_equal(fdxi_wtrees_decide(m, lo, NULL), -1);
    assert_int_equal(fdxi_wtrees_decide(m, hi, NULL), 1);
    double proba[2];
    fdxi_model_wtrees.predict(m, hi, proba);
    assert_true(proba[1] > 0.5 && fabs(proba[0] + proba[1] - 1.0) < 1e-12);

    /* Round trip: the same decisions, then a truncated copy is refused with a message. */
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_wtrees, m, &w);
    char err[256];
    void *back = mu_load(&fdxi_model_wtrees, w.data, w.len, 2, 2, err);
    assert_non_null(back);
    for (uint32_t i = 0; i < N; i++) {
        double s1, s2;
        assert_int_equal(fdxi_wtrees_decide(m, x + i * 2, &s1),
                         fdxi_wtrees_decide(back, x + i * 2, &s2));
        assert_true(s1 == s2);
    }
    assert_null(mu_load(&fdxi_model_wtrees, w.data, w.len - 3, 2, 2, err));
    assert_null(mu_load(&fdxi_model_wtrees, w.data, w.len, 2, 3, err));
    /* An accuracy above 1 (the first tree's, after the count and the margin) is refused. */
    uint8_t two[8];
    mu_put_f64(two, 2.0);
    mu_patched_refused(&fdxi_model_wtrees, w.data, w.len, 12, two, 8, 2, 2, "accuracy");
    fdxi_wbuf_fini(&w);
    fdxi_model_wtrees.free(back);

    /* Adding 4 trees to these 15 with a cap of 10: the 10 most accurate of the 19 stay. The same
     * seed without a cap gives the 19 trees and their accuracies, measured on the same
     * validation rows; the capped ensemble's accuracies must be the 10 largest of them. */
    p.wtrees_base = m;
    p.wtrees_trees = 4;
    p.seed = 7;
    p.wtrees_max_trees = 0;
    void *all = mu_train(&fdxi_model_wtrees, &p, x, y, N, 2, 2);
    assert_int_equal(fdxi_wtrees_count(all), 19);
    p.wtrees_max_trees = 10;
    void *more = mu_train(&fdxi_model_wtrees, &p, x, y, N, 2, 2);
    assert_int_equal(fdxi_wtrees_count(more), 10);
    double acc_all[19], acc_kept[10];
    for (uint32_t i = 0; i < 19; i++)
        acc_all[i] = fdxi_wtrees_accuracy(all, i);
    for (uint32_t i = 0; i < 10; i++)
        acc_kept[i] = fdxi_wtrees_accuracy(more, i);
    qsort(acc_all, 19, sizeof(double), cmp_desc);
    qsort(acc_kept, 10, sizeof(double), cmp_desc);
    for (uint32_t i = 0; i < 10; i++)
        assert_true(acc_kept[i] == acc_all[i]);
    fdxi_model_wtrees.free(all);
    fdxi_model_wtrees.free(more);
    fdxi_model_wtrees.free(m);
}

static void test_train_refuses(void **state)
{
    (void)state;
    enum { N = 20 };
    double x[N * 2];
    int32_t y[N];
    make_data(x, y, N);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    char err[256] = "";
    void *m = NULL;
    assert_int_equal(fdxi_model_wtrees.train(&p, x, y, N, 2, 3, &m, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "two"));
    p.wtrees_features = 3;
    assert_int_equal(fdxi_model_wtrees.train(&p, x, y, N, 2, 2, &m, err, sizeof(err)), FDX_ERANGE);
    p.wtrees_features = 0;
    for (uint32_t i = 0; i < N; i++)
        y[i] = i == 0; /* one row of class 1: nothing to hold out */
    assert_int_equal(fdxi_model_wtrees.train(&p, x, y, N, 2, 2, &m, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "class 1 has 1 row;"));
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_weighted_majority_against_count),
        cmocka_unit_test(test_rule_tie_is_uncertain),
        cmocka_unit_test(test_rule_margin),
        cmocka_unit_test(test_rule_unanimous_and_degenerate),
        cmocka_unit_test(test_train_weights_follow_accuracy),
        cmocka_unit_test(test_train_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
