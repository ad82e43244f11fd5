/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the multilayer-perceptron model: learning, determinism, stopping and files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <time.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model_util.h"

/* cmocka 1.1's assert_float_equal converts to float (about 7 digits); this compares doubles. */
static const struct fdxi_model_kind *const M = &fdxi_model_mlp;

/* The saved bytes of two models are equal (the whole model state). */
static bool same_model(const void *a, const void *b)
{
    struct fdxi_wbuf wa, wb;
    mu_save(M, a, &wa);
    mu_save(M, b, &wb);
    bool same = wa.len == wb.len && memcmp(wa.data, wb.data, wa.len) == 0;
    fdxi_wbuf_fini(&wa);
    fdxi_wbuf_fini(&wb);
    return same;
}

/* n rows per class of k classes in dim dimensions: class c is N(mean_c, I), where mean_c has
 * +sep in coordinate c % dim (and -sep in all coordinates for class 0 of 2). Labels alternate. */
static void gaussians(uint64_t seed, uint32_t n, uint32_t k, uint32_t dim, double sep, double *x,
                      int32_t *y)
{
    struct fdxi_rng r;
    fdxi_rng_seed(&r, seed);
    for (uint32_t i = 0; i < n * k; i++) {
        uint32_t c = i % k;
        y[i] = (int32_t)c;
        for (uint32_t j = 0; j < dim; j++) {
            double mean = k == 2 ? (c ? sep : -sep) : (j == c % dim ? sep : 0.0);
            x[i * dim + j] = mean + fdxi_rng_normal(&r);
        }
    }
}

static double accuracy(const void *m, const double *x, const int32_t *y, uint32_t n, uint32_t d,
                       uint32_t k)
{
    uint32_t right = 0;
    double pr[8];
    for (uint32_t i = 0; i < n; i++) {
        M->predict(m, x + i * d, pr);
        uint32_t best = 0;
        double sum = 0;
        for (uint32_t c = 0; c < k; c++) {
            assert_true(isfinite(pr[c]) && pr[c] >= 0.0 && pr[c] <= 1.0);
            sum += pr[c];
            if (pr[c] > pr[best])
                best = c;
        }
        assert_near(sum, 1.0, 1e-12);
        right += best == (uint32_t)y[i];
    }
    return (double)right / n;
}

/* Mean cross-entropy -log p(true class), computed from the model's probabilities. */
static double log_loss(const void *m, const double *x, const int32_t *y, uint32_t n, uint32_t d)
{
    double s = 0, pr[8];
    for (uint32_t i = 0; i < n; i++) {
        M->predict(m, x + i * d, pr);
        s -= log(pr[y[i]]);
    }
    return s / n;
}

/* Train with @p p on gaussians(seed, n, k, dim, sep) and return the accuracy (printed) on a fresh
 * draw gaussians(test_seed, n, k, dim, sep); the model goes to *ret_model, or is freed when
 * ret_model is NULL. */
static double held_out_accuracy(const struct fdxi_train_params *p, uint64_t seed,
                                uint64_t test_seed, uint32_t n, uint32_t k, uint32_t dim,
                                double sep, void **ret_model)
{
    double *x = malloc(k * n * dim * sizeof(double)), *tx = malloc(k * n * dim * sizeof(double));
    int32_t *y = malloc(k * n * sizeof(int32_t)), *ty = malloc(k * n * sizeof(int32_t));
    assert_true(x && tx && y && ty);
    gaussians(seed, n, k, dim, sep, x, y);
    gaussians(test_seed, n, k, dim, sep, tx, ty);
    void *m = mu_train(M, p, x, y, k * n, dim, k);
    double acc = accuracy(m, tx, ty, k * n, dim, k);
    print_message("held-out accuracy %.4f\n", acc);
    if (ret_model != NULL)
        *ret_model = m;
    else
        M->free(m);
    free(x);
    free(tx);
    free(y);
    free(ty);
    return acc;
}

static const double xor_x[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t xor_y[] = {0, 1, 1, 0};

static void xor_params(struct fdxi_train_params *p, uint64_t seed)
{
    fdxi_train_params_init(p);
    p->seed = seed;
    p->mlp_layers[0] = 8;
    p->mlp_learning_rate = 0.01;
    p->mlp_max_epochs = 2000;
    p->mlp_batch = 4;
    p->mlp_validation_fraction = 0.0;
}

/* XOR is not linearly separable: 100% needs the hidden layer. */
static void test_model_mlp_learns_xor(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    xor_params(&p, 1);
    void *m = mu_train(M, &p, xor_x, xor_y, 4, 2, 2);
    for (int i = 0; i < 4; i++) {
        double pr[2];
        M->predict(m, xor_x + 2 * i, pr);
        assert_true(pr[xor_y[i]] > 0.9);
    }
    M->free(m);
}

/*
 * Not just one lucky seed. scikit-learn 1.2.1 solves the same problem for 45 of 50 seeds:
 *   X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 1, 1, 0])
 *   sum((MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, batch_size=4,
 *        max_iter=2000, random_state=s).fit(X, y).predict(X) == y).all() for s in range(50))
 * A ReLU net of 8 units sometimes starts with too few live units; require 40 of 50.
 */
static void test_model_mlp_learns_xor_for_most_seeds(void **state)
{
    (void)state;
    int solved = 0;
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct fdxi_train_params p;
        xor_params(&p, seed);
        void *m = mu_train(M, &p, xor_x, xor_y, 4, 2, 2);
        solved += accuracy(m, xor_x, xor_y, 4, 2, 2) == 1.0;
        M->free(m);
    }
    print_message("XOR solved for %d of 50 seeds\n", solved);
    assert_true(solved >= 40);
}

/* The model after E epochs is a prefix of the run after more epochs (same seed), so the
 * training log-loss measured through predict must fall as E grows (full batch: no noise). */
static void test_model_mlp_loss_decreases(void **state)
{
    (void)state;
    enum { N = 200 };
    double x[2 * N * 2];
    int32_t y[2 * N];
    gaussians(11, N, 2, 2, 0.7, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 16;
    p.mlp_batch = 2 * N;
    p.mlp_validation_fraction = 0.0;
    p.mlp_patience = 1000000;
    const uint32_t epochs[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
    double prev = INFINITY;
    for (size_t i = 0; i < sizeof(epochs) / sizeof(epochs[0]); i++) {
        p.mlp_max_epochs = epochs[i];
        void *m = mu_train(M, &p, x, y, 2 * N, 2, 2);
        double loss = log_loss(m, x, y, 2 * N, 2);
        print_message("epochs %3u: log-loss %.6f\n", epochs[i], loss);
        assert_true(loss < prev);
        prev = loss;
        M->free(m);
    }
    /* Overlapping classes (means 1.4 apart): far below log 2 = 0.693 (guessing), above 0. */
    assert_true(prev < 0.4);
}

static void test_model_mlp_same_seed_same_model(void **state)
{
    (void)state;
    enum { N = 300 };
    double x[2 * N * 3];
    int32_t y[2 * N];
    gaussians(12, N, 2, 3, 1.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 20;
    p.mlp_layers[1] = 10;
    p.mlp_batch = 64;
    void *a = mu_train(M, &p, x, y, 2 * N, 3, 2);
    void *b = mu_train(M, &p, x, y, 2 * N, 3, 2);
    assert_true(same_model(a, b));
    p.seed = 43;
    void *c = mu_train(M, &p, x, y, 2 * N, 3, 2);
    assert_false(same_model(a, c));
    M->free(a);
    M->free(b);
    M->free(c);
}

/*
 * Two Gaussians N(-1.5, I) and N(+1.5, I) in 2-D: the means are 3 sqrt2 = 4.24 apart, so the
 * best possible accuracy is Phi(2.12) = 0.983. Defaults (100 hidden units, 10% held out).
 */
static void test_model_mlp_two_gaussians_accuracy_above_95_percent(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    assert_true(held_out_accuracy(&p, 13, 14, 500, 2, 2, 1.5, NULL) > 0.95);
}

/* No hidden layers (mlp_layers[0] = 0) is logistic regression: a linear boundary, which is the
 * best one for two Gaussians of equal covariance (Bayes accuracy Phi(2.12) = 0.983, as above;
 * 0.97 is three standard errors of a 1,000-row test set below it). The file then holds no
 * widths: format, 0, then 2 weights and 1 bias (4 + 4 + 24 bytes). */
static void test_model_mlp_no_hidden_layer_is_logistic_regression(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 0;
    p.mlp_learning_rate = 0.01;
    p.mlp_validation_fraction = 0.0;
    void *m;
    assert_true(held_out_accuracy(&p, 20, 21, 500, 2, 2, 1.5, &m) > 0.97);
    struct fdxi_wbuf w;
    mu_save(M, m, &w);
    assert_int_equal(w.len, 32);
    char err[256];
    void *m2 = mu_load(M, w.data, w.len, 2, 2, err);
    assert_non_null(m2);
    assert_true(same_model(m, m2));
    fdxi_wbuf_fini(&w);
    M->free(m);
    M->free(m2);
}

/* Softmax output: three Gaussians centred 3 apart on the axes of 3-D space (pairwise
 * distance 3 sqrt2 = 4.24, so each pair is confused with probability Phi(-2.12) = 0.017). */
static void test_model_mlp_three_classes_softmax(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 32;
    assert_true(held_out_accuracy(&p, 15, 16, 300, 3, 3, 3.0, NULL) > 0.93);
}

/* Without a validation set the rule watches the training loss and returns the last weights,
 * so a run that stopped early is identical whatever the (larger) epoch budget. */
static void test_model_mlp_stops_on_training_loss_before_max_epochs(void **state)
{
    (void)state;
    enum { N = 100 };
    double x[2 * N * 2];
    int32_t y[2 * N];
    gaussians(17, N, 2, 2, 3.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 16;
    p.mlp_validation_fraction = 0.0;
    p.mlp_max_epochs = 2000;
    void *a = mu_train(M, &p, x, y, 2 * N, 2, 2);
    p.mlp_max_epochs = 20000;
    void *b = mu_train(M, &p, x, y, 2 * N, 2, 2);
    p.mlp_max_epochs = 20;
    void *c = mu_train(M, &p, x, y, 2 * N, 2, 2);
    assert_true(same_model(a, b));
    assert_false(same_model(a, c));
    M->free(a);
    M->free(b);
    M->free(c);
}

static double cpu_seconds(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                          uint32_t n, void **ret_model)
{
    clock_t t0 = clock();
    *ret_model = mu_train(M, p, x, y, n, 2, 2);
    return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/*
 * With a validation set the best epoch's weights are returned, so the epoch budget is not
 * visible in the model; the time is. An easy set is solved within tens of epochs, so a budget
 * of 20,000 epochs must cost about what 40 cost; without the rule it would cost 500 times
 * more. Also, the returned weights equal those of a run cut at the best epoch.
 */
static void test_model_mlp_early_stopping_on_validation_stops_and_keeps_best(void **state)
{
    (void)state;
    enum { N = 200 };
    double x[2 * N * 2];
    int32_t y[2 * N];
    gaussians(18, N, 2, 2, 3.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.mlp_layers[0] = 16;
    p.mlp_batch = 16;
    p.mlp_validation_fraction = 0.2;
    p.mlp_patience = 5;
    void *few, *many;
    p.mlp_max_epochs = 40;
    double t_few = cpu_seconds(&p, x, y, 2 * N, &few);
    p.mlp_max_epochs = 20000;
    double t_many = cpu_seconds(&p, x, y, 2 * N, &many);
    print_message("cpu: 40 epochs at most %.4f s, 20000 at most %.4f s\n", t_few, t_many);
    assert_true(t_many < 20 * t_few + 0.05);
    assert_true(same_model(few, many));
    /* The best epoch is the first one that reached the best score; some run cut at E epochs
     * for E < 40 returns the same weights, while a 1-epoch run does not (it has not learned). */
    bool found = false;
    for (uint32_t e = 1; e < 40 && !found; e++) {
        p.mlp_max_epochs = e;
        void *cut = mu_train(M, &p, x, y, 2 * N, 2, 2);
        found = same_model(cut, many);
        if (e == 1)
            assert_false(found);
        M->free(cut);
    }
    assert_true(found);
    M->free(few);
    M->free(many);
}

/* Logits of +-1e5 (weights up to 1e3 on inputs of 1e2) and inputs of 1e150 give 0/1
 * probabilities, never NaN. */
static void test_model_mlp_extreme_logits_stay_finite(void **state)
{
    (void)state;
    for (uint32_t k = 2; k <= 3; k++) {
        /* d = 1, one hidden unit h = relu(1000 x); logits 1000 h (2 classes) or
         * (-1000 h, 0, 1000 h) (3 classes). */
        struct fdxi_wbuf w = {0};
        fdxi_wbuf_u32(&w, 1);
        fdxi_wbuf_u32(&w, 1);
        fdxi_wbuf_u32(&w, 1);
        fdxi_wbuf_f64(&w, 1000.0);
        fdxi_wbuf_f64(&w, 0.0);
        uint32_t outs = k == 2 ? 1 : k;
        for (uint32_t c = 0; c < outs; c++)
            fdxi_wbuf_f64(&w, outs == 1 ? 1000.0 : 1000.0 * ((double)c - 1.0));
        for (uint32_t c = 0; c < outs; c++)
            fdxi_wbuf_f64(&w, 0.0);
        char err[256];
        void *m = mu_load(M, w.data, w.len, 1, k, err);
        assert_non_null(m);
        const double xs[] = {100.0, -100.0, 1e150, -1e150, 0.0};
        for (size_t i = 0; i < 5; i++) {
            double pr[3];
            M->predict(m, &xs[i], pr);
            double sum = 0;
            for (uint32_t c = 0; c < k; c++) {
                assert_true(isfinite(pr[c]));
                sum += pr[c];
            }
            assert_near(sum, 1.0, 1e-12);
            /* x > 0: class k-1 has the largest logit by 1e5 or more; x <= 0: all logits 0. */
            if (xs[i] > 0)
                assert_true(pr[k - 1] == 1.0);
            else
                assert_near(pr[k - 1], 1.0 / k, 1e-15);
        }
        M->free(m);
        fdxi_wbuf_fini(&w);
    }
}

/* ---- model files ---- */

static void test_model_mlp_save_load_gives_identical_probabilities(void **state)
{
    (void)state;
    enum { N = 200 };
    for (uint32_t k = 2; k <= 3; k++) {
        double x[3 * N * 3];
        int32_t y[3 * N];
        gaussians(19, N, k, 3, 1.0, x, y);
        struct fdxi_train_params p;
        fdxi_train_params_init(&p);
        p.mlp_layers[0] = 12;
        p.mlp_layers[1] = 7;
        void *m = mu_train(M, &p, x, y, k * N, 3, k);
        /* The same probabilities on every training row, and the same bytes saved again. */
        size_t len = mu_round_trip(M, m, x, k * N, 3, k);
        /* format, 2 hidden, widths 12 and 7, then (3*12+12) + (12*7+7) + (7*out+out) doubles. */
        size_t out = k == 2 ? 1 : k;
        assert_int_equal(len, 16 + 8 * (48 + 91 + 8 * out));
        M->free(m);
    }
}

/* The small model of the file tests: d = 2, one hidden layer of 3, 2 classes. Layout: format 0,
 * hidden count 4, width 8, W1 12 (6 doubles), b1 60 (3), W2 84 (3), b2 108 (1); 116 bytes. */
static struct fdxi_wbuf small_model(void)
{
    struct fdxi_train_params p;
    xor_params(&p, 1);
    p.mlp_layers[0] = 3;
    p.mlp_max_epochs = 5;
    void *m = mu_train(M, &p, xor_x, xor_y, 4, 2, 2);
    struct fdxi_wbuf w;
    mu_save(M, m, &w);
    M->free(m);
    assert_int_equal(w.len, 116);
    return w;
}

static void test_model_mlp_every_truncation_fails_cleanly(void **state)
{
    (void)state;
    struct fdxi_wbuf w = small_model();
    mu_every_prefix_refused(M, w.data, w.len, 2, 2, NULL);
    char err[256];
    void *m = mu_load(M, w.data, w.len, 2, 2, err);
    assert_non_null(m);
    M->free(m);
    fdxi_wbuf_fini(&w);
}

static void expect_refused(size_t at, const void *patch, size_t patch_len, uint32_t d,
                           uint32_t n_classes, const char *needle)
{
    struct fdxi_wbuf w = small_model();
    mu_patched_refused(M, w.data, w.len, at, patch, patch_len, d, n_classes, needle);
    fdxi_wbuf_fini(&w);
}

static void test_model_mlp_corrupt_files_are_refused_with_a_message(void **state)
{
    (void)state;
    uint8_t b[8];
    mu_put_u32(b, 7);
    expect_refused(0, b, 4, 2, 2, "mlp format 7 not supported");
    mu_put_u32(b, 9);
    expect_refused(4, b, 4, 2, 2, "mlp hidden layers: 9 out of range (0 to 8)");
    mu_put_u32(b, 0);
    expect_refused(8, b, 4, 2, 2, "mlp hidden layer width: 0 out of range (1 to 65536)");
    mu_put_u32(b, 65537);
    expect_refused(8, b, 4, 2, 2, "mlp hidden layer width: 65537 out of range");
    /* In range but not in the file: 2*60000+60000 + 60000+1 doubles, refused before allocating. */
    mu_put_u32(b, 60000);
    expect_refused(8, b, 4, 2, 2, "mlp: 240001 weights need 1920008 bytes, 104 left");
    /* 2 hidden layers: the width of the second is read from the first weight's bytes. */
    mu_put_u32(b, 2);
    expect_refused(4, b, 4, 2, 2, "offset 12: mlp hidden layer width");
    double v = NAN;
    memcpy(b, &v, 8);
    expect_refused(12 + 8 * 4, b, 8, 2, 2, "offset 44: mlp layer 1 weight [1][1]: not a finite");
    v = INFINITY;
    memcpy(b, &v, 8);
    expect_refused(108, b, 8, 2, 2, "offset 108: mlp layer 2 bias [0]: not a finite number");
    v = -INFINITY;
    memcpy(b, &v, 8);
    expect_refused(60 + 16, b, 8, 2, 2, "mlp layer 1 bias [2]: not a finite number");
    /* The bundle's sizes disagree with the file: 3 classes need 3 outputs, so more weights. */
    expect_refused(0, b, 0, 2, 3, "mlp: 21 weights need 168 bytes, 104 left");
    expect_refused(0, b, 0, 2, 1, "mlp: 1 classes out of range (2 to 64)");
    expect_refused(0, b, 0, 4097, 2, "mlp: 4097 features out of range");
    expect_refused(0, b, 0, 0, 2, "mlp: 0 features out of range");
}

/* Eight hidden layers of 65536: in range one by one, 3.4e10 weights in all. */
static void test_model_mlp_too_many_weights_refused(void **state)
{
    (void)state;
    struct fdxi_wbuf w = {0};
    fdxi_wbuf_u32(&w, 1);
    fdxi_wbuf_u32(&w, 8);
    for (int i = 0; i < 8; i++)
        fdxi_wbuf_u32(&w, 65536);
    char err[256];
    assert_null(mu_load(M, w.data, w.len, 10, 2, err));
    assert_non_null(strstr(err, "more than 268435456 weights"));
    fdxi_wbuf_fini(&w);

    struct fdxi_train_params p;
    xor_params(&p, 1);
    for (int i = 0; i < 8; i++)
        p.mlp_layers[i] = 65536;
    void *m = NULL;
    assert_int_equal(M->train(&p, xor_x, xor_y, 4, 2, 2, &m, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "more than 268435456 weights"));
    assert_null(m);
}

static void expect_train_error(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                               uint32_t n_classes, int rc, const char *needle)
{
    void *m = (void *)p;
    char err[256] = "";
    assert_int_equal(M->train(p, x, y, 4, 2, n_classes, &m, err, sizeof(err)), rc);
    if (strstr(err, needle) == NULL)
        print_error("message '%s' lacks '%s'\n", err, needle);
    assert_non_null(strstr(err, needle));
    assert_ptr_equal(m, p); /* untouched */
}

static void test_model_mlp_train_rejects_bad_input(void **state)
{
    (void)state;
    struct fdxi_train_params p;
    xor_params(&p, 1);
    expect_train_error(&p, xor_x, xor_y, 1, FDX_ERANGE, "1 classes out of range (2 to 64)");
    const int32_t bad_y[] = {0, 1, 2, 0};
    expect_train_error(&p, xor_x, bad_y, 2, FDX_EINVAL, "row 2: label 2 out of range (0 to 1)");
    double bad_x[8];
    memcpy(bad_x, xor_x, sizeof(bad_x));
    bad_x[5] = INFINITY;
    expect_train_error(&p, bad_x, xor_y, 2, FDX_EINVAL, "row 2 feature 1: not a finite number");
    p.mlp_learning_rate = NAN;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "learning rate nan out of range");
    xor_params(&p, 1);
    p.mlp_validation_fraction = 1.0;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "validation fraction 1 out of range");
    p.mlp_validation_fraction = 0.8;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "leaves no rows to train on");
    xor_params(&p, 1);
    p.mlp_batch = 0;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "batch size 0 out of range");
    xor_params(&p, 1);
    p.mlp_max_epochs = 0;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "max epochs 0 out of range");
    xor_params(&p, 1);
    p.mlp_layers[1] = 65537;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "hidden layer 2: width 65537");
    xor_params(&p, 1);
    p.mlp_l2 = -1;
    expect_train_error(&p, xor_x, xor_y, 2, FDX_ERANGE, "L2 penalty -1 out of range");
    /* Features near DBL_MAX overflow the first layer: reported, never saved as a broken
     * model. */
    double huge[40];
    int32_t huge_y[4] = {0, 1, 1, 0};
    for (int i = 0; i < 40; i++)
        huge[i] = i % 3 ? DBL_MAX : -DBL_MAX;
    xor_params(&p, 1);
    void *m = (void *)&p;
    char err[256] = "";
    assert_int_equal(M->train(&p, huge, huge_y, 4, 10, 2, &m, err, sizeof(err)), FDX_ERANGE);
    assert_non_null(strstr(err, "training diverged in epoch 1"));
    assert_ptr_equal(m, &p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_mlp_learns_xor),
        cmocka_unit_test(test_model_mlp_learns_xor_for_most_seeds),
        cmocka_unit_test(test_model_mlp_loss_decreases),
        cmocka_unit_test(test_model_mlp_same_seed_same_model),
        cmocka_unit_test(test_model_mlp_two_gaussians_accuracy_above_95_percent),
        cmocka_unit_test(test_model_mlp_no_hidden_layer_is_logistic_regression),
        cmocka_unit_test(test_model_mlp_three_classes_softmax),
        cmocka_unit_test(test_model_mlp_stops_on_training_loss_before_max_epochs),
        cmocka_unit_test(test_model_mlp_early_stopping_on_validation_stops_and_keeps_best),
        cmocka_unit_test(test_model_mlp_extreme_logits_stay_finite),
        cmocka_unit_test(test_model_mlp_save_load_gives_identical_probabilities),
        cmocka_unit_test(test_model_mlp_every_truncation_fails_cleanly),
        cmocka_unit_test(test_model_mlp_corrupt_files_are_refused_with_a_message),
        cmocka_unit_test(test_model_mlp_too_many_weights_refused),
        cmocka_unit_test(test_model_mlp_train_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
