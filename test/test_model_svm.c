/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the SVM model kind, with libsvm's own prediction as the oracle. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libsvm/svm.h>

#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model_util.h"

#define TOL 1e-12

/* ---- data ---- */

/*
 * Gaussian blobs: class c is centred at `sep` on feature c % d and 0 elsewhere, unit variance.
 * Row i has class (i + 2) % n_classes, so the first row is not class 0 and libsvm's class
 * order (order of first appearance) differs from flowdx's.
 */
static void blobs(uint64_t seed, uint32_t n, uint32_t d, uint32_t n_classes, double sep, double *x,
                  int32_t *y)
{
    struct fdxi_rng g;
    fdxi_rng_seed(&g, seed);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = (i + 2) % n_classes;
        y[i] = (int32_t)c;
        for (uint32_t j = 0; j < d; j++)
            x[(size_t)i * d + j] = (j == c % d ? sep : 0.0) + fdxi_rng_normal(&g);
    }
}

/* ---- libsvm directly (the oracle) ---- */

static void quiet(const char *s)
{
    (void)s;
}

/* libsvm's print hook takes no user pointer, so counting its calls needs a file-scope counter. */
static unsigned print_calls;

static void count_prints(const char *s)
{
    (void)s;
    print_calls++;
}

/* A libsvm problem; libsvm's trained model points into its nodes, so it must outlive it. */
struct lprob {
    struct svm_node *nodes;
    struct svm_node **rows;
    double *labels;
    struct svm_problem prob;
};

/* libsvm's sparse rows (nonzero values only, as svm.c builds them). */
static void lprob_init(struct lprob *lp, const double *x, const int32_t *y, uint32_t n, uint32_t d)
{
    lp->nodes = calloc((size_t)n * (d + 1), sizeof(*lp->nodes));
    lp->rows = calloc(n, sizeof(*lp->rows));
    lp->labels = calloc(n, sizeof(*lp->labels));
    assert_non_null(lp->nodes);
    assert_non_null(lp->rows);
    assert_non_null(lp->labels);
    struct svm_node *nd = lp->nodes;
    for (uint32_t i = 0; i < n; i++) {
        lp->rows[i] = nd;
        lp->labels[i] = y[i];
        for (uint32_t j = 0; j < d; j++) {
            if (x[(size_t)i * d + j] != 0.0) {
                nd->index = (int)j + 1;
                nd->value = x[(size_t)i * d + j];
                nd++;
            }
        }
        nd->index = -1;
        nd++;
    }
    lp->prob.l = (int)n;
    lp->prob.y = lp->labels;
    lp->prob.x = lp->rows;
}

static void lprob_fini(struct lprob *lp)
{
    free(lp->nodes);
    free(lp->rows);
    free(lp->labels);
}

/* C-SVC with Platt probabilities and the settings svm.c documents (scikit-learn's). */
static struct svm_parameter lparam(int kernel, double gamma, double c)
{
    struct svm_parameter par = {
        .svm_type = C_SVC,
        .kernel_type = kernel == FDXI_SVM_RBF ? RBF : LINEAR,
        .degree = 3,
        .gamma = gamma,
        .cache_size = 200,
        .eps = 1e-3,
        .C = c,
        .nu = 0.5,
        .p = 0.1,
        .shrinking = 1,
        .probability = 1,
    };
    return par;
}

static struct svm_model *ltrain(struct lprob *lp, int kernel, double gamma, double c)
{
    struct svm_parameter par = lparam(kernel, gamma, c);
    assert_null(svm_check_parameter(&lp->prob, &par));
    struct svm_model *lm = svm_train(&lp->prob, &par);
    assert_non_null(lm);
    assert_true(svm_check_probability_model(lm));
    return lm;
}

/* A dense libsvm row (every index, then the terminator). */
static void dense_nodes(const double *x, uint32_t d, struct svm_node *out)
{
    for (uint32_t j = 0; j < d; j++) {
        out[j].index = (int)j + 1;
        out[j].value = x[j];
    }
    out[d].index = -1;
    out[d].value = 0.0;
}

/* ---- the model file layout, written and read independently of svm.c ---- */

struct wire {
    uint32_t kernel;
    double gamma;
    uint32_t k;
    uint32_t label[FDXI_MODEL_MAX_CLASSES];
    uint32_t n_sv;
    uint32_t nsv[FDXI_MODEL_MAX_CLASSES];
    double *sv;   /* n_sv * d */
    double *coef; /* (k - 1) * n_sv */
    double *rho, *pa, *pb;
};

static uint32_t pairs(uint32_t k)
{
    return k * (k - 1) / 2;
}

static void wire_alloc(struct wire *wi, uint32_t d)
{
    wi->sv = calloc((size_t)wi->n_sv * d + 1, sizeof(double));
    wi->coef = calloc((size_t)(wi->k - 1) * wi->n_sv + 1, sizeof(double));
    wi->rho = calloc(pairs(wi->k) + 1, sizeof(double));
    wi->pa = calloc(pairs(wi->k) + 1, sizeof(double));
    wi->pb = calloc(pairs(wi->k) + 1, sizeof(double));
    assert_true(wi->sv && wi->coef && wi->rho && wi->pa && wi->pb);
}

static void wire_fini(struct wire *wi)
{
    free(wi->sv);
    free(wi->coef);
    free(wi->rho);
    free(wi->pa);
    free(wi->pb);
}

/* libsvm's model in flowdx's layout; libsvm labels are the flowdx classes the test used. */
static void wire_from_libsvm(struct wire *wi, const struct svm_model *lm, uint32_t d)
{
    memset(wi, 0, sizeof(*wi));
    wi->kernel = lm->param.kernel_type == RBF ? FDXI_SVM_RBF : FDXI_SVM_LINEAR;
    wi->gamma = lm->param.kernel_type == RBF ? lm->param.gamma : 0.0;
    wi->k = (uint32_t)lm->nr_class;
    wi->n_sv = (uint32_t)lm->l;
    for (uint32_t c = 0; c < wi->k; c++) {
        wi->label[c] = (uint32_t)lm->label[c];
        wi->nsv[c] = (uint32_t)lm->nSV[c];
    }
    wire_alloc(wi, d);
    for (uint32_t s = 0; s < wi->n_sv; s++) {
        for (const struct svm_node *nd = lm->SV[s]; nd->index != -1; nd++)
            wi->sv[(size_t)s * d + (size_t)nd->index - 1] = nd->value;
        for (uint32_t r = 0; r + 1 < wi->k; r++)
            wi->coef[(size_t)r * wi->n_sv + s] = lm->sv_coef[r][s];
    }
    for (uint32_t p = 0; p < pairs(wi->k); p++) {
        wi->rho[p] = lm->rho[p];
        wi->pa[p] = lm->probA[p];
        wi->pb[p] = lm->probB[p];
    }
}

static void wire_put(struct fdxi_wbuf *w, const struct wire *wi, uint32_t d)
{
    fdxi_wbuf_u32(w, wi->kernel);
    fdxi_wbuf_f64(w, wi->gamma);
    fdxi_wbuf_u32(w, wi->k);
    for (uint32_t c = 0; c < wi->k; c++)
        fdxi_wbuf_u32(w, wi->label[c]);
    fdxi_wbuf_u32(w, wi->n_sv);
    for (uint32_t c = 0; c < wi->k; c++)
        fdxi_wbuf_u32(w, wi->nsv[c]);
    fdxi_wbuf_f64s(w, wi->sv, (size_t)wi->n_sv * d);
    fdxi_wbuf_f64s(w, wi->coef, (size_t)(wi->k - 1) * wi->n_sv);
    fdxi_wbuf_f64s(w, wi->rho, pairs(wi->k));
    fdxi_wbuf_f64s(w, wi->pa, pairs(wi->k));
    fdxi_wbuf_f64s(w, wi->pb, pairs(wi->k));
    assert_false(w->failed);
}

/* Parse a saved model (only well-formed input: the test's own reading of svm.c's output). */
static void wire_get(struct wire *wi, const struct fdxi_wbuf *w, uint32_t d)
{
    struct fdxi_rbuf r;
    fdxi_rbuf_init(&r, w->data, w->len);
    memset(wi, 0, sizeof(*wi));
    wi->kernel = fdxi_rbuf_u32(&r, "kernel");
    wi->gamma = fdxi_rbuf_f64(&r, "gamma");
    wi->k = fdxi_rbuf_count(&r, 1, FDXI_MODEL_MAX_CLASSES, "k");
    for (uint32_t c = 0; c < wi->k; c++)
        wi->label[c] = fdxi_rbuf_u32(&r, "label");
    wi->n_sv = fdxi_rbuf_count(&r, 0, 100000, "n_sv");
    for (uint32_t c = 0; c < wi->k; c++)
        wi->nsv[c] = fdxi_rbuf_u32(&r, "nsv");
    assert_true(fdxi_rbuf_ok(&r));
    wire_alloc(wi, d);
    fdxi_rbuf_f64s(&r, wi->sv, (size_t)wi->n_sv * d, "sv");
    fdxi_rbuf_f64s(&r, wi->coef, (size_t)(wi->k - 1) * wi->n_sv, "coef");
    fdxi_rbuf_f64s(&r, wi->rho, pairs(wi->k), "rho");
    fdxi_rbuf_f64s(&r, wi->pa, pairs(wi->k), "pa");
    fdxi_rbuf_f64s(&r, wi->pb, pairs(wi->k), "pb");
    assert_true(fdxi_rbuf_ok(&r));
    assert_int_equal(r.off, w->len);
}

static void *load_wire(const struct wire *wi, uint32_t d, uint32_t n_classes)
{
    struct fdxi_wbuf w = {0};
    char err[256];
    wire_put(&w, wi, d);
    void *m = mu_load(&fdxi_model_svm, w.data, w.len, d, n_classes, err);
    if (m == NULL)
        fail_msg("valid model refused: %s", err);
    fdxi_wbuf_fini(&w);
    return m;
}

/* ---- libsvm as the oracle of prediction ---- */

/*
 * The comparisons with libsvm run once per case, each case a cmocka test of its own named in
 * main's table: the kernel and, for the probabilities, the classes present in the data and the
 * classes the model is loaded with.
 */
struct libsvm_case {
    int kernel;
    uint32_t present, n_classes;
};

enum { ORACLE_N = 240, ORACLE_D = 4 };

/*
 * libsvm trained on ORACLE_N rows of blobs(seed, ..., ORACLE_D, n_classes, 1.5), with rand()
 * seeded with srand_seed first; every class must be in its model. @p lp must outlive the model.
 */
static struct svm_model *oracle_train(struct lprob *lp, uint64_t seed, uint32_t n_classes,
                                      unsigned srand_seed, int kernel)
{
    double *x = malloc(sizeof(double) * ORACLE_N * ORACLE_D);
    int32_t y[ORACLE_N];
    assert_non_null(x);
    blobs(seed, ORACLE_N, ORACLE_D, n_classes, 1.5, x, y);
    lprob_init(lp, x, y, ORACLE_N, ORACLE_D);
    free(x);
    svm_set_print_string_function(quiet);
    srand(srand_seed);
    struct svm_model *lm = ltrain(lp, kernel, 0.3, 1.0);
    assert_int_equal(lm->nr_class, (int)n_classes);
    return lm;
}

/*
 * Train libsvm itself on overlapping blobs, hand its model to flowdx through the file layout,
 * and compare flowdx's probabilities with svm_predict_probability on fresh rows and on rows far
 * outside the data (where the pairwise probabilities saturate at libsvm's clamps).
 * n_classes may exceed the classes present: absent ones must get probability 0.
 */
static void check_probabilities_against_libsvm(int kernel, uint32_t present, uint32_t n_classes)
{
    enum { D = ORACLE_D, M = 150 };
    struct lprob lp;
    struct svm_model *lm = oracle_train(&lp, 1000 + present, present, 7, kernel);

    struct wire wi;
    wire_from_libsvm(&wi, lm, D);
    void *m = load_wire(&wi, D, n_classes);

    double *t = malloc(sizeof(double) * M * D);
    int32_t ty[M];
    assert_non_null(t);
    blobs(2000 + present, M, D, present, 1.5, t, ty);
    for (uint32_t i = 0; i < 10; i++) {
        for (uint32_t j = 0; j < D; j++)
            t[i * D + j] *= 8.0;
    }
    double max_diff = 0.0;
    for (uint32_t i = 0; i < M; i++) {
        struct svm_node nodes[D + 1];
        double expect[FDXI_MODEL_MAX_CLASSES];
        double got[FDXI_MODEL_MAX_CLASSES];
        dense_nodes(t + i * D, D, nodes);
        svm_predict_probability(lm, nodes, expect);
        fdxi_model_svm.predict(m, t + i * D, got);
        double sum = 0.0;
        for (uint32_t c = 0; c < n_classes; c++) {
            assert_true(got[c] >= 0.0 && got[c] <= 1.0);
            sum += got[c];
            if (c >= present)
                assert_true(got[c] == 0.0);
        }
        assert_true(fabs(sum - 1.0) < 1e-9);
        for (int c = 0; c < lm->nr_class; c++) {
            double diff = fabs(got[lm->label[c]] - expect[c]);
            if (diff > max_diff)
                max_diff = diff;
        }
    }
    if (max_diff > TOL)
        fail_msg("probabilities differ from libsvm's by %g", max_diff);

    fdxi_model_svm.free(m);
    wire_fini(&wi);
    svm_free_and_destroy_model(&lm);
    lprob_fini(&lp);
    free(t);
}

static void test_model_svm_matches_libsvm(void **state)
{
    const struct libsvm_case *c = *state;
    check_probabilities_against_libsvm(c->kernel, c->present, c->n_classes);
}

/* Five classes present of six: more coupling rounds, ten pairs, and an absent class. */
static void test_model_svm_matches_libsvm_five_of_six_classes(void **state)
{
    (void)state;
    check_probabilities_against_libsvm(FDXI_SVM_RBF, 5, 6);
    check_probabilities_against_libsvm(FDXI_SVM_LINEAR, 5, 6);
}

/* Platt's sigmoid as Lin, Lin and Weng (2007) write it, clamped as libsvm clamps it. */
static double platt(double f, double a, double b)
{
    double fapb = f * a + b;
    double s = fapb >= 0 ? exp(-fapb) / (1.0 + exp(-fapb)) : 1.0 / (1.0 + exp(fapb));
    return fmin(fmax(s, 1e-7), 1 - 1e-7);
}

/*
 * flowdx's decision values against svm_predict_values, pair by pair. predict() only shows
 * probabilities, so each pair (i, j) of a libsvm model becomes a two-class model holding that
 * pair's support vectors, coefficients and rho, with Platt parameters A = -1 / s, B = 0 chosen
 * by the test: its probability is then an invertible function of the decision value f, which
 * is recovered as s * logit(p) and also compared with platt(f_libsvm).
 */
static void check_decision_values_against_libsvm(int kernel)
{
    enum { D = ORACLE_D, K = 3, M = 100 };
    struct lprob lp;
    struct svm_model *lm = oracle_train(&lp, 77, K, 3, kernel);

    double *t = malloc(sizeof(double) * M * D);
    int32_t ty[M];
    assert_non_null(t);
    blobs(78, M, D, K, 1.5, t, ty);
    double dec[M][K * (K - 1) / 2];
    double scale = 1.0;
    for (uint32_t i = 0; i < M; i++) {
        struct svm_node nodes[D + 1];
        dense_nodes(t + i * D, D, nodes);
        svm_predict_values(lm, nodes, dec[i]);
        for (uint32_t p = 0; p < K * (K - 1) / 2; p++)
            scale = fmax(scale, fabs(dec[i][p]));
    }

    int start[K] = {0};
    for (uint32_t c = 1; c < K; c++)
        start[c] = start[c - 1] + lm->nSV[c - 1];
    uint32_t p = 0;
    for (uint32_t i = 0; i < K; i++) {
        for (uint32_t j = i + 1; j < K; j++, p++) {
            struct wire wi = {0};
            wi.kernel = kernel == FDXI_SVM_RBF ? FDXI_SVM_RBF : FDXI_SVM_LINEAR;
            wi.gamma = kernel == FDXI_SVM_RBF ? lm->param.gamma : 0.0;
            wi.k = 2;
            wi.label[0] = 0;
            wi.label[1] = 1;
            wi.nsv[0] = (uint32_t)lm->nSV[i];
            wi.nsv[1] = (uint32_t)lm->nSV[j];
            wi.n_sv = wi.nsv[0] + wi.nsv[1];
            wire_alloc(&wi, D);
            /* Class i's vectors weighted by sv_coef[j - 1], then class j's by sv_coef[i]. */
            uint32_t s = 0;
            for (int q = 0; q < lm->nSV[i]; q++, s++) {
                for (const struct svm_node *nd = lm->SV[start[i] + q]; nd->index != -1; nd++)
                    wi.sv[s * D + (uint32_t)nd->index - 1] = nd->value;
                wi.coef[s] = lm->sv_coef[j - 1][start[i] + q];
            }
            for (int q = 0; q < lm->nSV[j]; q++, s++) {
                for (const struct svm_node *nd = lm->SV[start[j] + q]; nd->index != -1; nd++)
                    wi.sv[s * D + (uint32_t)nd->index - 1] = nd->value;
                wi.coef[s] = lm->sv_coef[i][start[j] + q];
            }
            wi.rho[0] = lm->rho[p];
            wi.pa[0] = -1.0 / scale;
            wi.pb[0] = 0.0;
            void *m = load_wire(&wi, D, 2);
            for (uint32_t r = 0; r < M; r++) {
                double got[2];
                fdxi_model_svm.predict(m, t + r * D, got);
                assert_true(fabs(got[0] - platt(dec[r][p], wi.pa[0], 0.0)) <= TOL);
                double f = scale * (log(got[0]) - log1p(-got[0]));
                if (fabs(f - dec[r][p]) > TOL * scale)
                    fail_msg("pair (%u,%u) row %u: decision value %.17g, libsvm %.17g", i, j, r, f,
                             dec[r][p]);
            }
            fdxi_model_svm.free(m);
            wire_fini(&wi);
        }
    }
    svm_free_and_destroy_model(&lm);
    lprob_fini(&lp);
    free(t);
}

static void test_model_svm_decision_values_match_libsvm(void **state)
{
    const struct libsvm_case *c = *state;
    check_decision_values_against_libsvm(c->kernel);
}

/* ---- training ---- */

/*
 * flowdx's training is libsvm's svm_train with the documented settings: the same support
 * vectors, coefficients and offsets bit for bit, and (with rand() seeded as svm.c documents:
 * the low 32 bits of the first fdxi_rng output for the seed) the same Platt parameters.
 */
static void check_training_is_libsvm(int kernel)
{
    enum { N = 200, D = 3, K = 3 };
    double x[N * D];
    int32_t y[N];
    blobs(5, N, D, K, 2.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.seed = 11;
    p.svm_kernel = kernel;
    p.svm_c = 2.0;
    p.svm_gamma = 0.2;
    void *m = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_svm, m, &w);
    struct wire got;
    wire_get(&got, &w, D);

    struct lprob lp;
    lprob_init(&lp, x, y, N, D);
    svm_set_print_string_function(quiet);
    struct fdxi_rng g;
    fdxi_rng_seed(&g, 11);
    srand((unsigned)fdxi_rng_next(&g));
    struct svm_model *lm = ltrain(&lp, kernel, 0.2, 2.0);
    struct wire want;
    wire_from_libsvm(&want, lm, D);

    assert_int_equal(got.kernel, want.kernel);
    assert_true(got.gamma == want.gamma);
    assert_int_equal(got.k, want.k);
    assert_int_equal(got.n_sv, want.n_sv);
    for (uint32_t c = 0; c < got.k; c++) {
        assert_int_equal(got.label[c], want.label[c]);
        assert_int_equal(got.nsv[c], want.nsv[c]);
    }
    /* libsvm orders classes by first appearance: row 0 has class 2. */
    assert_int_equal(got.label[0], 2);
    assert_memory_equal(got.sv, want.sv, sizeof(double) * got.n_sv * D);
    assert_memory_equal(got.coef, want.coef, sizeof(double) * (got.k - 1) * got.n_sv);
    assert_memory_equal(got.rho, want.rho, sizeof(double) * pairs(got.k));
    assert_memory_equal(got.pa, want.pa, sizeof(double) * pairs(got.k));
    assert_memory_equal(got.pb, want.pb, sizeof(double) * pairs(got.k));

    wire_fini(&got);
    wire_fini(&want);
    svm_free_and_destroy_model(&lm);
    lprob_fini(&lp);
    fdxi_wbuf_fini(&w);
    fdxi_model_svm.free(m);
}

static void test_model_svm_training_is_libsvm(void **state)
{
    const struct libsvm_case *c = *state;
    check_training_is_libsvm(c->kernel);
}

/*
 * gamma 0 is scikit-learn's "scale", 1 / (d * variance of every value). The grid
 * {-3, -1, 1, 3}^2 has mean 0 and variance (9 + 1 + 1 + 9) / 4 = 5, so gamma = 1 / 10.
 */
static void test_model_svm_gamma_scale_is_one_over_d_times_variance(void **state)
{
    (void)state;
    const double v[] = {-3, -1, 1, 3};
    double x[2 * 32];
    int32_t y[32];
    for (uint32_t i = 0; i < 32; i++) {
        x[2 * i] = v[i % 4];
        x[2 * i + 1] = v[(i / 4) % 4];
        y[i] = x[2 * i] > 0;
    }
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = mu_train(&fdxi_model_svm, &p, x, y, 32, 2, 2);
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_svm, m, &w);
    struct wire wi;
    wire_get(&wi, &w, 2);
    assert_true(wi.gamma == 0.1);
    wire_fini(&wi);
    fdxi_wbuf_fini(&w);
    fdxi_model_svm.free(m);
}

static double accuracy(const void *m, const double *x, const int32_t *y, uint32_t n, uint32_t d,
                       uint32_t n_classes)
{
    uint32_t right = 0;
    for (uint32_t i = 0; i < n; i++) {
        double pr[FDXI_MODEL_MAX_CLASSES];
        fdxi_model_svm.predict(m, x + (size_t)i * d, pr);
        uint32_t best = 0;
        for (uint32_t c = 1; c < n_classes; c++) {
            if (pr[c] > pr[best])
                best = c;
        }
        right += best == (uint32_t)y[i];
    }
    return (double)right / n;
}

/*
 * Class centres 4 * sqrt(2) = 5.7 standard deviations apart: a row falls past the midpoint
 * towards one of its two rivals with probability 2 * Phi(-2.83), about 0.5%, so > 95% leaves
 * room for an imperfect fit but not for a broken one (chance is 33%).
 */
static void test_model_svm_separable_accuracy_above_95_percent(void **state)
{
    (void)state;
    enum { N = 300, D = 4, K = 3 };
    double *x = malloc(sizeof(double) * N * D), *t = malloc(sizeof(double) * N * D);
    int32_t y[N], ty[N];
    assert_non_null(x);
    assert_non_null(t);
    blobs(21, N, D, K, 4.0, x, y);
    blobs(22, N, D, K, 4.0, t, ty);
    for (int kernel = FDXI_SVM_RBF; kernel <= FDXI_SVM_LINEAR; kernel++) {
        struct fdxi_train_params p;
        fdxi_train_params_init(&p);
        p.svm_kernel = kernel;
        void *m = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
        double acc = accuracy(m, t, ty, N, D, K);
        if (acc <= 0.95)
            fail_msg("kernel %d: accuracy %.3f", kernel, acc);
        fdxi_model_svm.free(m);
    }
    free(x);
    free(t);
}

/* Same seed, same model, whatever rand() was doing before; Platt fitting does use the seed. */
static void test_model_svm_same_seed_same_model(void **state)
{
    (void)state;
    enum { N = 200, D = 3, K = 3 };
    double x[N * D];
    int32_t y[N];
    blobs(9, N, D, K, 1.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.seed = 1234;
    srand(1);
    void *a = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
    srand(99);
    for (int i = 0; i < 1000; i++)
        (void)rand();
    void *b = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
    p.seed = 1235;
    void *c = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
    struct fdxi_wbuf wa, wb, wc;
    mu_save(&fdxi_model_svm, a, &wa);
    mu_save(&fdxi_model_svm, b, &wb);
    mu_save(&fdxi_model_svm, c, &wc);
    assert_int_equal(wa.len, wb.len);
    assert_memory_equal(wa.data, wb.data, wa.len);
    /* The support vectors do not depend on the seed, the Platt parameters do. */
    assert_int_equal(wa.len, wc.len);
    assert_memory_not_equal(wa.data, wc.data, wa.len);
    fdxi_wbuf_fini(&wa);
    fdxi_wbuf_fini(&wb);
    fdxi_wbuf_fini(&wc);
    fdxi_model_svm.free(a);
    fdxi_model_svm.free(b);
    fdxi_model_svm.free(c);
}

/* Bytes written to stdout (fd 1) while fn runs. */
static long stdout_bytes_during(void (*fn)(void *), void *arg)
{
    char path[] = "/tmp/test_model_svm_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    int saved_fd = dup(STDOUT_FILENO);
    assert_true(saved_fd >= 0);
    assert_true(dup2(fd, STDOUT_FILENO) >= 0);
    fn(arg);
    fflush(stdout);
    assert_true(dup2(saved_fd, STDOUT_FILENO) >= 0);
    close(saved_fd);
    long n = (long)lseek(fd, 0, SEEK_END);
    close(fd);
    return n;
}

struct job {
    double x[120 * 2];
    int32_t y[120];
    void *model;
};

static void job_init(struct job *jb)
{
    memset(jb, 0, sizeof(*jb));
    blobs(31, 120, 2, 2, 1.0, jb->x, jb->y);
}

static void run_flowdx_training(void *arg)
{
    struct job *jb = arg;
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    jb->model = mu_train(&fdxi_model_svm, &p, jb->x, jb->y, 120, 2, 2);
}

static void run_libsvm_training(void *arg)
{
    struct job *jb = arg;
    struct lprob lp;
    lprob_init(&lp, jb->x, jb->y, 120, 2);
    struct svm_model *lm = ltrain(&lp, FDXI_SVM_RBF, 0.5, 1.0);
    svm_free_and_destroy_model(&lm);
    lprob_fini(&lp);
}

/*
 * libsvm prints progress to stdout by default. flowdx's training prints nothing, and leaves
 * libsvm's print hook at libsvm's default afterwards (it cannot read back the previous one).
 * The control run shows the capture works: libsvm's own training does print.
 */
static void test_model_svm_training_prints_nothing(void **state)
{
    (void)state;
    struct job *jb = malloc(sizeof(*jb));
    assert_non_null(jb);
    job_init(jb);
    svm_set_print_string_function(NULL);
    assert_true(stdout_bytes_during(run_libsvm_training, jb) > 0);
    assert_int_equal(stdout_bytes_during(run_flowdx_training, jb), 0);
    assert_non_null(jb->model);
    fdxi_model_svm.free(jb->model);

    svm_set_print_string_function(count_prints);
    print_calls = 0;
    run_flowdx_training(jb);
    assert_int_equal(print_calls, 0);
    /* Afterwards the hook is libsvm's default again: libsvm's training prints to stdout. */
    assert_true(stdout_bytes_during(run_libsvm_training, jb) > 0);
    assert_int_equal(print_calls, 0);
    fdxi_model_svm.free(jb->model);
    free(jb);
}

/*
 * Prediction, saving and loading touch no global state: a print hook installed before them is
 * still the one libsvm calls afterwards, and rand()'s sequence is unchanged.
 */
static void test_model_svm_predict_leaves_global_state_alone(void **state)
{
    (void)state;
    struct job *jb = malloc(sizeof(*jb));
    assert_non_null(jb);
    job_init(jb);
    run_flowdx_training(jb);

    svm_set_print_string_function(count_prints);
    print_calls = 0;
    srand(4242);
    int r1 = rand();
    srand(4242);
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_svm, jb->model, &w);
    char err[256];
    void *m = mu_load(&fdxi_model_svm, w.data, w.len, 2, 2, err);
    assert_non_null(m);
    for (uint32_t i = 0; i < 120; i++) {
        double pr[2];
        fdxi_model_svm.predict(m, jb->x + 2 * i, pr);
    }
    assert_int_equal(rand(), r1);
    assert_int_equal(print_calls, 0);
    run_libsvm_training(jb);
    assert_true(print_calls > 0);
    svm_set_print_string_function(quiet);

    fdxi_model_svm.free(m);
    fdxi_model_svm.free(jb->model);
    fdxi_wbuf_fini(&w);
    free(jb);
}

/* One class present: certain of it, and 0 for the others; the model still saves and loads. */
static void test_model_svm_single_class_is_certain(void **state)
{
    (void)state;
    double x[20 * 2];
    int32_t y[20];
    for (uint32_t i = 0; i < 20; i++) {
        x[2 * i] = i;
        x[2 * i + 1] = -(double)i;
        y[i] = 1;
    }
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *m = mu_train(&fdxi_model_svm, &p, x, y, 20, 2, 3);
    struct fdxi_wbuf w;
    mu_save(&fdxi_model_svm, m, &w);
    char err[256];
    void *l = mu_load(&fdxi_model_svm, w.data, w.len, 2, 3, err);
    assert_non_null(l);
    double pr[3];
    fdxi_model_svm.predict(l, x, pr);
    assert_true(pr[0] == 0.0 && pr[1] == 1.0 && pr[2] == 0.0);
    fdxi_model_svm.free(l);
    fdxi_model_svm.free(m);
    fdxi_wbuf_fini(&w);
}

static void test_model_svm_rejects_bad_training_input(void **state)
{
    (void)state;
    double x[10 * 2];
    int32_t y[10];
    for (uint32_t i = 0; i < 10; i++) {
        x[2 * i] = i;
        x[2 * i + 1] = 1.0;
        y[i] = (int32_t)(i % 2);
    }
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    void *sentinel = &p;
    void *m = sentinel;
    char err[256];
#define REJECT(code, expr, what)                                                                   \
    do {                                                                                           \
        err[0] = '\0';                                                                             \
        assert_int_equal((expr), (code));                                                          \
        assert_ptr_equal(m, sentinel);                                                             \
        if (strstr(err, (what)) == NULL)                                                           \
            fail_msg("message '%s' lacks '%s'", err, (what));                                      \
    } while (0)
    const struct fdxi_model_kind *k = &fdxi_model_svm;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 0, 2, 2, &m, err, sizeof(err)), "rows");
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 0, 2, &m, err, sizeof(err)), "features");
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 0, &m, err, sizeof(err)), "classes");
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 65, &m, err, sizeof(err)), "classes");
    y[3] = 2;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "row 3");
    y[3] = -1;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "row 3");
    y[3] = 1;
    x[9] = NAN;
    REJECT(FDX_EINVAL, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "row 4, feature 1");
    x[9] = 1.0;
    p.svm_c = 0.0;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "C must");
    p.svm_c = NAN;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "C must");
    p.svm_c = 1.0;
    p.svm_gamma = -1.0;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "gamma");
    p.svm_gamma = INFINITY;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "gamma");
    p.svm_gamma = 0.0;
    /* Squares of 1e300 overflow: the variance is infinite and gamma "scale" would be 0. */
    for (uint32_t i = 0; i < 10; i++)
        x[2 * i] = i % 2 ? 1e300 : -1e300;
    REJECT(FDX_ERANGE, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "scale the features");
    p.svm_kernel = 5;
    REJECT(FDX_EINVAL, k->train(&p, x, y, 10, 2, 2, &m, err, sizeof(err)), "unknown kernel");
#undef REJECT
}

/* ---- saving and loading ---- */

/* A small trained 3-class model and its bytes. */
static void *small_model(struct fdxi_wbuf *w, int kernel)
{
    enum { N = 60, D = 2, K = 3 };
    double x[N * D];
    int32_t y[N];
    blobs(41, N, D, K, 1.0, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.svm_kernel = kernel;
    void *m = mu_train(&fdxi_model_svm, &p, x, y, N, D, K);
    mu_save(&fdxi_model_svm, m, w);
    return m;
}

static void test_model_svm_save_load_identical_probabilities(void **state)
{
    (void)state;
    /* 200 rows spread wider than the training data. */
    double rows[200 * 2];
    struct fdxi_rng g;
    fdxi_rng_seed(&g, 5);
    for (int i = 0; i < 200 * 2; i++)
        rows[i] = 3 * fdxi_rng_normal(&g);
    for (int kernel = FDXI_SVM_RBF; kernel <= FDXI_SVM_LINEAR; kernel++) {
        struct fdxi_wbuf w;
        void *m = small_model(&w, kernel);
        mu_round_trip(&fdxi_model_svm, m, rows, 200, 2, 3);
        fdxi_model_svm.free(m);
        fdxi_wbuf_fini(&w);
    }
}

static void test_model_svm_every_truncation_fails_cleanly(void **state)
{
    (void)state;
    struct fdxi_wbuf w;
    void *m = small_model(&w, FDXI_SVM_RBF);
    mu_every_prefix_refused(&fdxi_model_svm, w.data, w.len, 2, 3, "svm");
    fdxi_model_svm.free(m);
    fdxi_wbuf_fini(&w);
}

/* Load a copy of w with one u32 or f64 replaced; the load must fail naming `what`. */
static void expect_refused(const struct fdxi_wbuf *w, uint32_t d, uint32_t n_classes, size_t off,
                           int is_f64, double v, const char *what)
{
    uint8_t b[8];
    if (is_f64)
        mu_put_f64(b, v);
    else
        mu_put_u32(b, (uint32_t)v);
    mu_patched_refused(&fdxi_model_svm, w->data, w->len, off, b, is_f64 ? 8 : 4, d, n_classes,
                       what);
}

static void test_model_svm_refuses_corrupt_counts_and_values(void **state)
{
    (void)state;
    struct fdxi_wbuf w;
    void *m = small_model(&w, FDXI_SVM_RBF);
    struct wire wi;
    wire_get(&wi, &w, 2);
    assert_int_equal(wi.k, 3);
    /* Offsets of the layout documented in svm.c, for k = 3 and d = 2. */
    const size_t o_kernel = 0, o_gamma = 4, o_k = 12, o_label = 16, o_nsv_total = 28, o_nsv = 32,
                 o_sv = 44;
    size_t o_coef = o_sv + 8 * (size_t)wi.n_sv * 2;
    size_t o_rho = o_coef + 8 * 2 * (size_t)wi.n_sv;
    size_t o_pa = o_rho + 8 * 3, o_pb = o_pa + 8 * 3;
    assert_int_equal(o_pb + 8 * 3, w.len);

    expect_refused(&w, 2, 3, o_kernel, 0, 2, "unknown kernel 2");
    expect_refused(&w, 2, 3, o_kernel, 0, 0xffffffffu, "unknown kernel");
    expect_refused(&w, 2, 3, o_gamma, 1, 0.0, "gamma > 0");
    expect_refused(&w, 2, 3, o_gamma, 1, -1.0, "gamma > 0");
    expect_refused(&w, 2, 3, o_gamma, 1, NAN, "svm gamma: not a finite number");
    expect_refused(&w, 2, 3, o_gamma, 1, INFINITY, "svm gamma: not a finite number");
    expect_refused(&w, 2, 3, o_k, 0, 0, "svm classes present: 0 out of range");
    expect_refused(&w, 2, 3, o_k, 0, 4, "svm classes present: 4 out of range");
    expect_refused(&w, 2, 3, o_k, 0, 0x7fffffff, "out of range");
    expect_refused(&w, 2, 3, o_label + 4, 0, wi.label[0], "listed twice");
    expect_refused(&w, 2, 3, o_label + 8, 0, 3, "svm class label: 3 out of range");
    expect_refused(&w, 2, 3, o_nsv_total, 0, FDXI_MODEL_MAX_ROWS + 1, "out of range");
    expect_refused(&w, 2, 3, o_nsv_total, 0, wi.n_sv + 1, "sum to");
    expect_refused(&w, 2, 3, o_nsv, 0, wi.nsv[0] + 1, "sum to");
    expect_refused(&w, 2, 3, o_nsv + 8, 0, wi.n_sv + 1, "out of range");
    expect_refused(&w, 2, 3, o_sv + 8, 1, NAN, "svm support vector: not a finite number");
    expect_refused(&w, 2, 3, o_coef, 1, -INFINITY, "svm coefficient: not a finite number");
    expect_refused(&w, 2, 3, o_rho + 16, 1, NAN, "svm rho: not a finite number");
    expect_refused(&w, 2, 3, o_pa + 8, 1, NAN, "svm probability A: not a finite number");
    expect_refused(&w, 2, 3, o_pb, 1, INFINITY, "svm probability B: not a finite number");
    /* The bundle's own numbers out of range. */
    char err[256];
    assert_null(mu_load(&fdxi_model_svm, w.data, w.len, 0, 3, err));
    assert_null(mu_load(&fdxi_model_svm, w.data, w.len, 2, FDXI_MODEL_MAX_CLASSES + 1, err));
    /* A model file for more features than the bundle says is cut short. */
    assert_null(mu_load(&fdxi_model_svm, w.data, w.len, 3, 3, err));

    wire_fini(&wi);
    fdxi_model_svm.free(m);
    fdxi_wbuf_fini(&w);
}

/*
 * A huge announced model in a short file is refused before anything is allocated for it:
 * 10,000,000 support vectors of 4096 features would be 320 GB.
 */
static void test_model_svm_refuses_huge_counts_in_a_short_file(void **state)
{
    (void)state;
    struct fdxi_wbuf w = {0};
    fdxi_wbuf_u32(&w, FDXI_SVM_LINEAR);
    fdxi_wbuf_f64(&w, 0.0);
    fdxi_wbuf_u32(&w, 2);
    fdxi_wbuf_u32(&w, 0);
    fdxi_wbuf_u32(&w, 1);
    fdxi_wbuf_u32(&w, FDXI_MODEL_MAX_ROWS);
    fdxi_wbuf_u32(&w, FDXI_MODEL_MAX_ROWS - 1);
    fdxi_wbuf_u32(&w, 1);
    for (int i = 0; i < 64; i++)
        fdxi_wbuf_f64(&w, 1.0);
    char err[256];
    assert_null(mu_load(&fdxi_model_svm, w.data, w.len, FDXI_MODEL_MAX_FEATURES, 2, err));
    assert_non_null(strstr(err, "numbers announced"));
    /* A one-class model with support vectors is nonsense. */
    struct fdxi_wbuf w1 = {0};
    fdxi_wbuf_u32(&w1, FDXI_SVM_RBF);
    fdxi_wbuf_f64(&w1, 1.0);
    fdxi_wbuf_u32(&w1, 1);
    fdxi_wbuf_u32(&w1, 0);
    fdxi_wbuf_u32(&w1, 1);
    fdxi_wbuf_u32(&w1, 1);
    fdxi_wbuf_f64(&w1, 0.0);
    assert_null(mu_load(&fdxi_model_svm, w1.data, w1.len, 1, 2, err));
    assert_non_null(strstr(err, "one-class model has none"));
    fdxi_wbuf_fini(&w);
    fdxi_wbuf_fini(&w1);
}

int main(void)
{
    /* The libsvm comparisons: {name, test function, no set-up, no tear-down, its case}. */
    const struct CMUnitTest tests[] = {
        {"test_model_svm_matches_libsvm_binary_rbf", test_model_svm_matches_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_RBF, .present = 2, .n_classes = 2}},
        {"test_model_svm_matches_libsvm_binary_linear", test_model_svm_matches_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_LINEAR, .present = 2, .n_classes = 2}},
        {"test_model_svm_matches_libsvm_three_classes_rbf", test_model_svm_matches_libsvm, NULL,
         NULL, &(struct libsvm_case){.kernel = FDXI_SVM_RBF, .present = 3, .n_classes = 3}},
        {"test_model_svm_matches_libsvm_three_classes_linear", test_model_svm_matches_libsvm, NULL,
         NULL, &(struct libsvm_case){.kernel = FDXI_SVM_LINEAR, .present = 3, .n_classes = 3}},
        cmocka_unit_test(test_model_svm_matches_libsvm_five_of_six_classes),
        {"test_model_svm_decision_values_match_libsvm_rbf",
         test_model_svm_decision_values_match_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_RBF}},
        {"test_model_svm_decision_values_match_libsvm_linear",
         test_model_svm_decision_values_match_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_LINEAR}},
        {"test_model_svm_training_is_libsvm_rbf", test_model_svm_training_is_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_RBF}},
        {"test_model_svm_training_is_libsvm_linear", test_model_svm_training_is_libsvm, NULL, NULL,
         &(struct libsvm_case){.kernel = FDXI_SVM_LINEAR}},
        cmocka_unit_test(test_model_svm_gamma_scale_is_one_over_d_times_variance),
        cmocka_unit_test(test_model_svm_separable_accuracy_above_95_percent),
        cmocka_unit_test(test_model_svm_same_seed_same_model),
        cmocka_unit_test(test_model_svm_training_prints_nothing),
        cmocka_unit_test(test_model_svm_predict_leaves_global_state_alone),
        cmocka_unit_test(test_model_svm_single_class_is_certain),
        cmocka_unit_test(test_model_svm_rejects_bad_training_input),
        cmocka_unit_test(test_model_svm_save_load_identical_probabilities),
        cmocka_unit_test(test_model_svm_every_truncation_fails_cleanly),
        cmocka_unit_test(test_model_svm_refuses_corrupt_counts_and_values),
        cmocka_unit_test(test_model_svm_refuses_huge_counts_in_a_short_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
