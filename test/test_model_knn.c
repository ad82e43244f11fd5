/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the k-nearest-neighbour model against hand values, a linear scan and sklearn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model_util.h"

/* cmocka 1.1's assert_float_equal converts to float (about 7 digits); this compares doubles. */
static const struct fdxi_model_kind *const K = &fdxi_model_knn;

static void *train_ok(uint32_t k, bool weighted, const double *x, const int32_t *y, uint32_t n,
                      uint32_t d, uint32_t n_classes)
{
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.knn_k = k;
    p.knn_distance_weighted = weighted;
    return mu_train(K, &p, x, y, n, d, n_classes);
}

/*
 * The hand example. Rows (class): 0 (0,0) c0; 1 (1,0) c0; 2 (0,2) c1; 3 (3,0) c1; 4 (2,2) c1.
 *
 * Query (1,1): distances 0: sqrt2, 1: 1, 2: sqrt2, 3: sqrt5, 4: sqrt2. The 3 nearest are row 1,
 * then rows 0 and 2 (rows 0, 2 and 4 tie at sqrt2; earlier training rows win, so 4 is out).
 *   uniform: c0 = 2/3 (rows 1, 0), c1 = 1/3 (row 2).
 *   1/distance: weights 1, 1/sqrt2, 1/sqrt2, total 1 + sqrt2;
 *     c0 = (1 + 1/sqrt2) / (1 + sqrt2) = 1/sqrt2 = 0.70710678..., c1 = 1/(2 + sqrt2) = 0.29289...
 * Query (0,1): distances 0: 1, 1: sqrt2, 2: 1, 3: sqrt10, 4: sqrt5; nearest 0, 2, 1.
 *   uniform: c0 = 2/3, c1 = 1/3.
 *   1/distance: weights 1, 1, 1/sqrt2, total 2 + 1/sqrt2 = 2.70710678...;
 *     c0 = (1 + 1/sqrt2) / 2.7071... = 0.63060194..., c1 = 1 / 2.7071... = 0.36939806...
 * Query (3,0) is row 3 itself: distances 0: 3, 1: 2, 2: sqrt13, 3: 0, 4: sqrt5; nearest 3, 1, 4.
 *   uniform: c0 = 1/3 (row 1), c1 = 2/3 (rows 3, 4).
 *   1/distance: an exact match takes all the weight (as sklearn does): c0 = 0, c1 = 1.
 */
static const double hand_x[] = {0, 0, 1, 0, 0, 2, 3, 0, 2, 2};
static const int32_t hand_y[] = {0, 0, 1, 1, 1};
static const double hand_q[3][2] = {{1, 1}, {0, 1}, {3, 0}};

static void check_hand(void *m, bool weighted)
{
    const double s2 = sqrt(2.0);
    const double uniform[3][2] = {{2.0 / 3, 1.0 / 3}, {2.0 / 3, 1.0 / 3}, {1.0 / 3, 2.0 / 3}};
    const double dist[3][2] = {
        {1 / s2, 1 / (2 + s2)}, {(1 + 1 / s2) / (2 + 1 / s2), 1 / (2 + 1 / s2)}, {0.0, 1.0}};
    for (int i = 0; i < 3; i++) {
        double pr[2];
        K->predict(m, hand_q[i], pr);
        for (int c = 0; c < 2; c++)
            assert_near(pr[c], weighted ? dist[i][c] : uniform[i][c], 1e-12);
    }
}

static void test_model_knn_hand_example_uniform(void **state)
{
    (void)state;
    void *m = train_ok(3, false, hand_x, hand_y, 5, 2, 2);
    check_hand(m, false);
    K->free(m);
}

static void test_model_knn_hand_example_distance_weighted(void **state)
{
    (void)state;
    void *m = train_ok(3, true, hand_x, hand_y, 5, 2, 2);
    check_hand(m, true);
    /* The decimal values written in the comment above. */
    double pr[2];
    K->predict(m, hand_q[1], pr);
    assert_near(pr[0], 0.63060194, 1e-8);
    assert_near(pr[1], 0.36939806, 1e-8);
    K->free(m);
}

/*
 * scikit-learn 1.2.1 reference (no distance ties at the 4th/5th neighbour of any query):
 *
 *   import numpy as np
 *   from sklearn.neighbors import KNeighborsClassifier
 *   X = np.array([[0.12, 1.50, -0.30], [0.95, 0.20, 0.41], [-1.10, 0.75, 0.05],
 *                 [0.33, -0.60, 1.20], [1.80, 1.10, -0.90], [-0.45, -1.25, 0.66],
 *                 [0.70, 0.90, 0.10], [-0.20, 0.05, -1.40], [1.25, -0.35, 0.85],
 *                 [-1.60, -0.10, -0.55], [0.05, 0.60, 0.95], [0.88, -1.05, -0.20]])
 *   y = np.array([0, 1, 2, 1, 0, 2, 0, 2, 1, 2, 0, 1])
 *   Q = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 0.5, -0.5], [0.5, -0.5, 1.0],
 *                 [1.80, 1.10, -0.90]])
 *   for w in ("uniform", "distance"):
 *       clf = KNeighborsClassifier(n_neighbors=4, weights=w).fit(X, y)
 *       for row in clf.predict_proba(Q):
 *           print("{" + ", ".join(repr(float(v)) for v in row) + "},")
 */
static const double sk_x[] = {0.12,  1.50,  -0.30, 0.95,  0.20, 0.41,  -1.10, 0.75,  0.05,
                              0.33,  -0.60, 1.20,  1.80,  1.10, -0.90, -0.45, -1.25, 0.66,
                              0.70,  0.90,  0.10,  -0.20, 0.05, -1.40, 1.25,  -0.35, 0.85,
                              -1.60, -0.10, -0.55, 0.05,  0.60, 0.95,  0.88,  -1.05, -0.20};
static const int32_t sk_y[] = {0, 1, 2, 1, 0, 2, 0, 2, 1, 2, 0, 1};
static const double sk_q[5][3] = {
    {0.0, 0.0, 0.0}, {1.0, 1.0, 0.0}, {-1.0, 0.5, -0.5}, {0.5, -0.5, 1.0}, {1.80, 1.10, -0.90}};
static const double sk_uniform[5][3] = {
    {0.5, 0.25, 0.25}, {0.75, 0.25, 0.0}, {0.25, 0.0, 0.75}, {0.25, 0.75, 0.0}, {0.75, 0.25, 0.0}};
static const double sk_distance[5][3] = {
    {0.5091448310702362, 0.2740667701670846, 0.21678839876267922},
    {0.8117681744178044, 0.18823182558219562, 0.0},
    {0.15542686555014737, 0.0, 0.8445731344498526},
    {0.12614881461555727, 0.8738511853844427, 0.0},
    {1.0, 0.0, 0.0}};

static void test_model_knn_matches_sklearn_predict_proba(void **state)
{
    (void)state;
    for (int w = 0; w < 2; w++) {
        void *m = train_ok(4, w == 1, sk_x, sk_y, 12, 3, 3);
        for (int i = 0; i < 5; i++) {
            double pr[3];
            K->predict(m, sk_q[i], pr);
            for (int c = 0; c < 3; c++)
                assert_near(pr[c], w ? sk_distance[i][c] : sk_uniform[i][c], 1e-12);
        }
        K->free(m);
    }
}

/* ---- the tree against a linear scan ---- */

#define RN 2000u
#define RD 5u
#define RQ 200u
#define RK 8u

/* The oracle: the kk nearest rows by (squared distance, row index), by scanning every row. The
 * distance is summed in the same order as any sensible implementation so ties are exact. */
static void brute_force(const double *x, uint32_t n, uint32_t d, const double *q, uint32_t kk,
                        uint32_t *ret_idx)
{
    double *dist = malloc(n * sizeof(double));
    bool *used = calloc(n, sizeof(bool));
    assert_non_null(dist);
    assert_non_null(used);
    for (uint32_t i = 0; i < n; i++) {
        double s = 0.0;
        for (uint32_t j = 0; j < d; j++) {
            double t = x[i * d + j] - q[j];
            s += t * t;
        }
        dist[i] = s;
    }
    for (uint32_t r = 0; r < kk; r++) {
        uint32_t best = UINT32_MAX;
        for (uint32_t i = 0; i < n; i++) {
            if (!used[i] && (best == UINT32_MAX || dist[i] < dist[best]))
                best = i; /* strict <: the earliest row wins a tie */
        }
        used[best] = true;
        ret_idx[r] = best;
    }
    free(dist);
    free(used);
}

/*
 * The model only reports class shares, so neighbour identities are read back through labels:
 * with labels row % 64 (and row / 64) and uniform votes, model k's counts minus model k-1's
 * counts name the k-th neighbour's low (high) six bits. Neighbour sets are nested because the
 * order (distance, row) is total, so this recovers the ordered list of the RK nearest rows.
 */
static void check_tree_against_scan(const double *x, const double *q)
{
    int32_t *lab[2];
    for (int b = 0; b < 2; b++) {
        lab[b] = malloc(RN * sizeof(int32_t));
        assert_non_null(lab[b]);
        for (uint32_t i = 0; i < RN; i++)
            lab[b][i] = (int32_t)(b == 0 ? i % 64 : i / 64);
    }
    void *m[RK + 1][2];
    for (uint32_t k = 1; k <= RK; k++)
        for (int b = 0; b < 2; b++)
            m[k][b] = train_ok(k, false, x, lab[b], RN, RD, 64);

    uint32_t ties_seen = 0;
    for (uint32_t qi = 0; qi < RQ; qi++) {
        uint32_t want[RK + 1], got[RK];
        brute_force(x, RN, RD, q + qi * RD, RK + 1, want);
        uint32_t prev[2][64] = {{0}};
        for (uint32_t k = 1; k <= RK; k++) {
            uint32_t part[2];
            for (int b = 0; b < 2; b++) {
                double pr[64];
                K->predict(m[k][b], q + qi * RD, pr);
                int found = 0;
                for (uint32_t c = 0; c < 64; c++) {
                    double cnt = pr[c] * k;
                    uint32_t ci = (uint32_t)lround(cnt);
                    assert_near(cnt, (double)ci, 1e-9);
                    assert_true(ci >= prev[b][c]);
                    if (ci == prev[b][c] + 1) {
                        part[b] = c;
                        found++;
                    } else {
                        assert_int_equal(ci, prev[b][c]);
                    }
                    prev[b][c] = ci;
                }
                assert_int_equal(found, 1);
            }
            got[k - 1] = part[0] + 64 * part[1];
        }
        for (uint32_t k = 0; k < RK; k++)
            assert_int_equal(got[k], want[k]);
        /* Count queries where the tie rule decides membership: RK-th and next rows equidistant. */
        double dk = 0, dn = 0;
        for (uint32_t j = 0; j < RD; j++) {
            double a = x[want[RK - 1] * RD + j] - q[qi * RD + j];
            double b = x[want[RK] * RD + j] - q[qi * RD + j];
            dk += a * a;
            dn += b * b;
        }
        ties_seen += dk == dn;
    }
    print_message("queries whose %u-th neighbour is decided by the tie rule: %u of %u\n", RK,
                  ties_seen, RQ);
    for (uint32_t k = 1; k <= RK; k++)
        for (int b = 0; b < 2; b++)
            K->free(m[k][b]);
    free(lab[0]);
    free(lab[1]);
}

static void random_points(uint64_t seed, bool grid, double *x, size_t n)
{
    struct fdxi_rng r;
    fdxi_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = grid ? (double)fdxi_rng_below(&r, 4) : fdxi_rng_normal(&r);
}

/* RN rows drawn with x_seed and RQ queries drawn with q_seed, and (with y) room for RN labels;
 * the caller frees them. */
static void draw_points(uint64_t x_seed, uint64_t q_seed, bool grid, double **x, double **q,
                        int32_t **y)
{
    *x = malloc(RN * RD * sizeof(double));
    *q = malloc(RQ * RD * sizeof(double));
    assert_non_null(*x);
    assert_non_null(*q);
    if (y != NULL) {
        *y = malloc(RN * sizeof(int32_t));
        assert_non_null(*y);
    }
    random_points(x_seed, grid, *x, RN * RD);
    random_points(q_seed, grid, *q, RQ * RD);
}

/* check_tree_against_scan on RN rows drawn with x_seed and RQ queries drawn with q_seed. */
static void scan_case(uint64_t x_seed, uint64_t q_seed, bool grid)
{
    double *x, *q;
    draw_points(x_seed, q_seed, grid, &x, &q, NULL);
    check_tree_against_scan(x, q);
    free(x);
    free(q);
}

static void test_model_knn_tree_matches_linear_scan(void **state)
{
    (void)state;
    scan_case(1, 2, false);
}

/* Coordinates in {0, 1, 2, 3}: 1024 distinct points for 2000 rows, so there are duplicate rows
 * and most neighbour lists end in a distance tie that only the row order settles. */
static void test_model_knn_tree_matches_linear_scan_with_ties(void **state)
{
    (void)state;
    scan_case(3, 4, true);
}

/* Distance weighting over the tree equals the weights computed from the oracle's neighbours. */
static void test_model_knn_distance_weights_match_linear_scan(void **state)
{
    (void)state;
    double *x, *q;
    int32_t *y;
    draw_points(5, 6, false, &x, &q, &y);
    for (uint32_t i = 0; i < RN; i++)
        y[i] = (int32_t)(i % 3);
    void *m = train_ok(7, true, x, y, RN, RD, 3);
    for (uint32_t qi = 0; qi < RQ; qi++) {
        uint32_t nb[7];
        brute_force(x, RN, RD, q + qi * RD, 7, nb);
        double want[3] = {0, 0, 0}, total = 0;
        for (int i = 0; i < 7; i++) {
            double s = 0;
            for (uint32_t j = 0; j < RD; j++) {
                double t = x[nb[i] * RD + j] - q[qi * RD + j];
                s += t * t;
            }
            want[y[nb[i]]] += 1 / sqrt(s);
            total += 1 / sqrt(s);
        }
        double pr[3];
        K->predict(m, q + qi * RD, pr);
        for (int c = 0; c < 3; c++)
            assert_near(pr[c], want[c] / total, 1e-12);
    }
    K->free(m);
    free(x);
    free(q);
    free(y);
}

/* ---- model files ---- */

static void test_model_knn_save_load_gives_identical_probabilities(void **state)
{
    (void)state;
    double *x, *q;
    int32_t *y;
    draw_points(7, 8, false, &x, &q, &y);
    for (uint32_t i = 0; i < RN; i++)
        y[i] = (int32_t)((x[i * RD] > 0) + (x[i * RD + 1] > 0.5));
    for (int w = 0; w < 2; w++) {
        void *m = train_ok(5, w == 1, x, y, RN, RD, 3);
        size_t len = mu_round_trip(K, m, q, RQ, RD, 3);
        /* format, k, weighting, rows, then the rows and labels. */
        assert_int_equal(len, 4 + 4 + 1 + 4 + RN * RD * 8 + RN * 4);
        K->free(m);
    }
    free(x);
    free(q);
    free(y);
}

static void test_model_knn_every_truncation_fails_cleanly(void **state)
{
    (void)state;
    void *m = train_ok(3, true, hand_x, hand_y, 5, 2, 2);
    struct fdxi_wbuf buf;
    mu_save(K, m, &buf);
    mu_every_prefix_refused(K, buf.data, buf.len, 2, 2, NULL);
    char err[256];
    void *full = mu_load(K, buf.data, buf.len, 2, 2, err);
    assert_non_null(full);
    check_hand(full, true);
    K->free(full);
    fdxi_wbuf_fini(&buf);
    K->free(m);
}

/* Offsets in the hand model's file: format 0, k 4, weighting 8, rows 9, values 13, labels 93. */
static void expect_refused(size_t at, const uint8_t *patch, size_t patch_len, uint32_t d,
                           uint32_t n_classes, const char *needle)
{
    void *m = train_ok(3, true, hand_x, hand_y, 5, 2, 2);
    struct fdxi_wbuf buf;
    mu_save(K, m, &buf);
    K->free(m);
    assert_int_equal(buf.len, 113);
    mu_patched_refused(K, buf.data, buf.len, at, patch, patch_len, d, n_classes, needle);
    fdxi_wbuf_fini(&buf);
}

static void test_model_knn_corrupt_files_are_refused_with_a_message(void **state)
{
    (void)state;
    uint8_t b[8];
    mu_put_u32(b, 2);
    expect_refused(0, b, 4, 2, 2, "knn format 2 not supported");
    mu_put_u32(b, 0);
    expect_refused(4, b, 4, 2, 2, "knn k: 0 out of range");
    mu_put_u32(b, 6);
    expect_refused(4, b, 4, 2, 2, "k = 6 but only 5 rows");
    b[0] = 2;
    expect_refused(8, b, 1, 2, 2, "knn weighting: 2 is neither 0 nor 1");
    mu_put_u32(b, 0xFFFFFFFFu);
    expect_refused(9, b, 4, 2, 2, "knn rows: 4294967295 out of range");
    mu_put_u32(b, 1000000);
    expect_refused(9, b, 4, 2, 2, "need 20000000 bytes");
    double nan = NAN;
    memcpy(b, &nan, 8);
    expect_refused(13 + 3 * 8, b, 8, 2, 2, "knn row 1 feature 1: not a finite number");
    double inf = -INFINITY;
    memcpy(b, &inf, 8);
    expect_refused(13, b, 8, 2, 2, "knn row 0 feature 0: not a finite number");
    mu_put_u32(b, 2);
    expect_refused(93 + 4 * 4, b, 4, 2, 2, "knn row 4: label 2 out of range (0 to 1)");
    /* A label that fits 2 classes is refused when the bundle says there is 1 class. */
    expect_refused(0, b, 0, 2, 1, "knn row 2: label 1 out of range (0 to 0)");
    expect_refused(0, b, 0, 0, 2, "knn: 0 features out of range");
    expect_refused(0, b, 0, 2, 65, "knn: 65 classes out of range");
}

static void test_model_knn_train_rejects_bad_input(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = (void *)&p;
    char err[256] = "";
    p.knn_k = 6;
    assert_int_equal(K->train(&p, hand_x, hand_y, 5, 2, 2, &m, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "k = 6 out of range"));
    p.knn_k = 0;
    assert_int_equal(K->train(&p, hand_x, hand_y, 5, 2, 2, &m, err, sizeof(err)), FDX_ERANGE);
    p.knn_k = 3;
    const int32_t bad_y[] = {0, 0, 2, 1, 1};
    assert_int_equal(K->train(&p, hand_x, bad_y, 5, 2, 2, &m, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "row 2: label 2 out of range"));
    double bad_x[10];
    memcpy(bad_x, hand_x, sizeof(bad_x));
    bad_x[7] = NAN;
    assert_int_equal(K->train(&p, bad_x, hand_y, 5, 2, 2, &m, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "row 3 feature 1: not a finite number"));
    assert_int_equal(K->train(&p, hand_x, hand_y, 5, 0, 2, &m, err, sizeof(err)), FDX_ERANGE);
    /* ret_model is untouched on failure. */
    assert_ptr_equal(m, &p);
}

/* A NaN or huge query must not crash, and still yields a distribution. */
static void test_model_knn_hostile_queries_give_a_distribution(void **state)
{
    (void)state;
    for (int w = 0; w < 2; w++) {
        void *m = train_ok(3, w == 1, hand_x, hand_y, 5, 2, 2);
        const double q[3][2] = {{NAN, 0}, {1e300, -1e300}, {INFINITY, 1}};
        for (int i = 0; i < 3; i++) {
            double pr[2];
            K->predict(m, q[i], pr);
            assert_true(isfinite(pr[0]) && isfinite(pr[1]));
            assert_near(pr[0] + pr[1], 1.0, 1e-12);
        }
        K->free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_knn_hand_example_uniform),
        cmocka_unit_test(test_model_knn_hand_example_distance_weighted),
        cmocka_unit_test(test_model_knn_matches_sklearn_predict_proba),
        cmocka_unit_test(test_model_knn_tree_matches_linear_scan),
        cmocka_unit_test(test_model_knn_tree_matches_linear_scan_with_ties),
        cmocka_unit_test(test_model_knn_distance_weights_match_linear_scan),
        cmocka_unit_test(test_model_knn_save_load_gives_identical_probabilities),
        cmocka_unit_test(test_model_knn_every_truncation_fails_cleanly),
        cmocka_unit_test(test_model_knn_corrupt_files_are_refused_with_a_message),
        cmocka_unit_test(test_model_knn_train_rejects_bad_input),
        cmocka_unit_test(test_model_knn_hostile_queries_give_a_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
