/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVM model kind: libsvm's C-SVC with Platt probabilities, held in flowdx's own form. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsvm/svm.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"

/*
 * libsvm trains the model; nothing else of libsvm is used. Its own model files are not read or
 * written (svm_load_model trusts its input), and prediction is computed here from a copy of
 * the trained numbers, so a loaded or trained model never reaches libsvm's global state.
 *
 * Prediction reproduces libsvm 3.24's svm_predict_values and svm_predict_probability operation
 * for operation (same kernel sums in feature order, same order of the one-vs-one sums, same
 * Platt sigmoid and clamping, same pairwise coupling), so its results equal libsvm's to the
 * last bit on the same platform; test_model_svm.c checks this against libsvm itself.
 *
 * Model file layout (after the bundle's d and n_classes), little-endian:
 *   u32 kernel          FDXI_SVM_RBF (0) or FDXI_SVM_LINEAR (1)
 *   f64 gamma           RBF: finite and > 0; linear: 0 (unused)
 *   u32 k               classes present in training, 1 to n_classes (libsvm's nr_class)
 *   u32 label[k]        flowdx class of libsvm class c, distinct, < n_classes
 *   u32 n_sv            support vectors, 0 when k is 1
 *   u32 nsv[k]          support vectors of each class, in the order of label; they sum to n_sv
 *   f64 sv[n_sv * d]    support vectors, row-major, grouped by class as nsv says
 *   f64 coef[(k - 1) * n_sv]   libsvm's sv_coef, row by row
 *   f64 rho[P], prob_a[P], prob_b[P]   one per class pair, P = k * (k - 1) / 2, in libsvm's
 *                                      pair order (0,1), (0,2), ..., (1,2), ...
 * Every f64 must be finite.
 */

#define MAX_PAIRS (FDXI_MODEL_MAX_CLASSES * (FDXI_MODEL_MAX_CLASSES - 1) / 2)

/* libsvm's training settings that flowdx does not expose, chosen as scikit-learn's SVC does. */
#define CACHE_MB 200.0
#define STOP_EPS 1e-3

/* Support vectors whose kernel values are computed together (a stack array of this many). */
#define SV_BLOCK 64
/* Support vectors whose sums are kept in registers together; SV_BLOCK is a multiple of it. */
#define SV_LANES 8

/* libsvm clamps every pairwise probability into [MIN_PROB, 1 - MIN_PROB]. */
#define MIN_PROB 1e-7

struct svm {
    uint32_t d;                             /**< features */
    uint32_t n_classes;                     /**< flowdx classes (probabilities written) */
    uint32_t k;                             /**< classes present in training */
    uint32_t n_sv;                          /**< support vectors */
    uint32_t kernel;                        /**< FDXI_SVM_RBF or FDXI_SVM_LINEAR */
    double gamma;                           /**< RBF width; 0 for linear */
    uint32_t label[FDXI_MODEL_MAX_CLASSES]; /**< flowdx class of libsvm class c */
    uint32_t nsv[FDXI_MODEL_MAX_CLASSES];   /**< support vectors of libsvm class c */
    size_t stride;                          /**< n_sv rounded up to a multiple of SV_LANES */
    double *sv;     /**< stride * d, feature-major: feature j of support vector s at
                         sv[j * stride + s]; the values past n_sv are 0 */
    double *coef;   /**< (k - 1) * n_sv: row r, support vector s at coef[r * n_sv + s] */
    double *rho;    /**< per pair */
    double *prob_a; /**< per pair, Platt slope */
    double *prob_b; /**< per pair, Platt offset */
};

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int code,
                                                      const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void free_model(void *model)
{
    struct svm *m = model;
    if (m == NULL)
        return;
    free(m->sv);
    free(m->coef);
    free(m->rho);
    free(m->prob_a);
    free(m->prob_b);
    free(m);
}

static uint32_t pairs_of(uint32_t k)
{
    return k * (k - 1) / 2;
}

/* Position of class pair (i, j), i < j, in libsvm's order (0,1), (0,2), ..., (1,2), ... */
static size_t pair_index(uint32_t i, uint32_t j, uint32_t k)
{
    return (size_t)i * k - (size_t)i * (i + 1) / 2 + (j - i - 1);
}

/* Allocate the per-model arrays for the sizes in m (already checked against the limits). */
static bool alloc_arrays(struct svm *m)
{
    size_t p = pairs_of(m->k);
    m->stride = ((size_t)m->n_sv + SV_LANES - 1) / SV_LANES * SV_LANES;
    size_t n_sv_values = m->stride * m->d;
    size_t n_coef = (size_t)(m->k - 1) * m->n_sv;
    /* calloc(0) may return NULL; one spare element keeps NULL meaning "out of memory". */
    m->sv = calloc(n_sv_values + 1, sizeof(double));
    m->coef = calloc(n_coef + 1, sizeof(double));
    m->rho = calloc(p + 1, sizeof(double));
    m->prob_a = calloc(p + 1, sizeof(double));
    m->prob_b = calloc(p + 1, sizeof(double));
    return m->sv && m->coef && m->rho && m->prob_a && m->prob_b;
}

/* ---- prediction (no libsvm call, no global state) ---- */

/*
 * libsvm's Kernel::k_function(x, sv) for dense vectors, for support vectors s0 to s0 + nb - 1
 * (s0 a multiple of SV_BLOCK): kv[b] is the value for support vector s0 + b. Each support
 * vector's sum is built in libsvm's order (feature 0 first), so every result is the same to
 * the last bit; only SV_LANES support vectors are summed side by side, feature by feature, so
 * that the compiler keeps their sums in vector registers. The columns are padded to a multiple
 * of SV_LANES, so the lanes past n_sv read zeros and their results are not used.
 */
static void kernel_block(const struct svm *m, const double *x, size_t s0, size_t nb, double *kv)
{
    bool linear = m->kernel == FDXI_SVM_LINEAR;
    for (size_t l0 = 0; l0 < nb; l0 += SV_LANES) {
        double sum[SV_LANES] = {0.0};
        for (uint32_t j = 0; j < m->d; j++) {
            const double *col = m->sv + (size_t)j * m->stride + s0 + l0;
            double xj = x[j];
            if (linear) {
                for (size_t u = 0; u < SV_LANES; u++)
                    sum[u] += xj * col[u];
            } else {
                for (size_t u = 0; u < SV_LANES; u++) {
                    double t = xj - col[u];
                    sum[u] += t * t;
                }
            }
        }
        size_t n = nb - l0 < SV_LANES ? nb - l0 : SV_LANES;
        for (size_t u = 0; u < n; u++)
            kv[l0 + u] = linear ? sum[u] : exp(-m->gamma * sum[u]);
    }
}

/*
 * The one-vs-one decision values, as svm_predict_values computes them. The function of pair
 * (i, j) sums class i's support vectors weighted by coef row j - 1, then class j's weighted by
 * row i, then subtracts rho. Visiting the support vectors once, in order, and adding each to
 * every pair of its class keeps each pair's additions in exactly libsvm's order.
 */
static void decision_values(const struct svm *m, const double *x, double *dec)
{
    uint32_t k = m->k;
    size_t n_pairs = pairs_of(k);
    for (size_t p = 0; p < n_pairs; p++)
        dec[p] = 0.0;
    double kv[SV_BLOCK];
    uint32_t c = 0;           /* class of support vector s */
    size_t c_end = m->nsv[0]; /* first support vector after class c */
    for (size_t s0 = 0; s0 < m->n_sv; s0 += SV_BLOCK) {
        size_t nb = m->n_sv - s0 < SV_BLOCK ? m->n_sv - s0 : SV_BLOCK;
        kernel_block(m, x, s0, nb, kv);
        if (k == 2) {
            /* Both classes' support vectors go to the one pair, with coef row 0. */
            for (size_t b = 0; b < nb; b++)
                dec[0] += m->coef[s0 + b] * kv[b];
            continue;
        }
        for (size_t b = 0; b < nb; b++) {
            size_t s = s0 + b;
            while (s >= c_end)
                c_end += m->nsv[++c];
            for (uint32_t o = 0; o < k; o++) {
                if (o == c)
                    continue;
                size_t row = o < c ? o : o - 1;
                size_t p = o < c ? pair_index(o, c, k) : pair_index(c, o, k);
                dec[p] += m->coef[row * m->n_sv + s] * kv[b];
            }
        }
    }
    for (size_t p = 0; p < n_pairs; p++)
        dec[p] -= m->rho[p];
}

/* Platt's sigmoid 1 / (1 + exp(f * A + B)), written to avoid cancellation as libsvm does. */
static double sigmoid(double f, double a, double b)
{
    double fapb = f * a + b;
    if (fapb >= 0)
        return exp(-fapb) / (1.0 + exp(-fapb));
    return 1.0 / (1 + exp(fapb));
}

/* r[i][j] of the pairwise probabilities, from the upper triangle up[] (i != j). */
static double pair_r(const double *up, uint32_t i, uint32_t j, uint32_t k)
{
    return i < j ? up[pair_index(i, j, k)] : 1 - up[pair_index(j, i, k)];
}

/* Off-diagonal Q[t][j] = -r[j][t] * r[t][j], recomputed rather than stored: a smaller stack. */
static double q_off(const double *up, uint32_t t, uint32_t j, uint32_t k)
{
    return -pair_r(up, j, t, k) * pair_r(up, t, j, k);
}

/*
 * Class probabilities from pairwise ones by Wu, Lin and Weng's second method ("Probability
 * estimates for multi-class classification by pairwise coupling", JMLR 5, 2004, section 4):
 * minimise p'Qp subject to sum p = 1, with Q[t][t] = sum over j != t of r[j][t]^2 and
 * Q[t][j] = -r[j][t] * r[t][j], by the paper's coordinate updates, renormalising after each,
 * until every (Qp)[t] is within 0.005 / k of p'Qp or max(100, k) rounds have run. The
 * operations and their order are libsvm's multiclass_probability, so results match it.
 */
static void couple(uint32_t k, const double *up, double *p)
{
    double diag[FDXI_MODEL_MAX_CLASSES];
    double qp[FDXI_MODEL_MAX_CLASSES];
    uint32_t max_iter = k > 100 ? k : 100;
    double eps = 0.005 / k;

    for (uint32_t t = 0; t < k; t++) {
        p[t] = 1.0 / k;
        diag[t] = 0;
        for (uint32_t j = 0; j < t; j++)
            diag[t] += pair_r(up, j, t, k) * pair_r(up, j, t, k);
        for (uint32_t j = t + 1; j < k; j++)
            diag[t] += pair_r(up, j, t, k) * pair_r(up, j, t, k);
    }
    for (uint32_t iter = 0; iter < max_iter; iter++) {
        /* The stopping test recomputes Qp and p'Qp from scratch, for accuracy. */
        double pqp = 0;
        for (uint32_t t = 0; t < k; t++) {
            qp[t] = 0;
            for (uint32_t j = 0; j < k; j++)
                qp[t] += (j == t ? diag[t] : q_off(up, t, j, k)) * p[j];
            pqp += p[t] * qp[t];
        }
        double max_error = 0;
        for (uint32_t t = 0; t < k; t++) {
            double error = fabs(qp[t] - pqp);
            if (error > max_error)
                max_error = error;
        }
        if (max_error < eps)
            break;
        for (uint32_t t = 0; t < k; t++) {
            double diff = (-qp[t] + pqp) / diag[t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * diag[t] + 2 * qp[t])) / (1 + diff) / (1 + diff);
            for (uint32_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * (j == t ? diag[t] : q_off(up, t, j, k))) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

static void predict(const void *model, const double *x, double *ret_proba)
{
    const struct svm *m = model;
    double pair[MAX_PAIRS];
    double prob[FDXI_MODEL_MAX_CLASSES];
    uint32_t k = m->k;

    for (uint32_t c = 0; c < m->n_classes; c++)
        ret_proba[c] = 0.0;
    if (k == 1) {
        ret_proba[m->label[0]] = 1.0;
        return;
    }
    decision_values(m, x, pair);
    for (size_t p = 0; p < pairs_of(k); p++) {
        /* libsvm's min(max(s, MIN_PROB), 1 - MIN_PROB): a NaN from absurd inputs becomes
         * MIN_PROB, so the output stays a distribution. */
        double s = sigmoid(pair[p], m->prob_a[p], m->prob_b[p]);
        s = s > MIN_PROB ? s : MIN_PROB;
        pair[p] = s < 1 - MIN_PROB ? s : 1 - MIN_PROB;
    }
    if (k == 2) {
        prob[0] = pair[0];
        prob[1] = 1 - pair[0];
    } else {
        couple(k, pair, prob);
    }
    for (uint32_t c = 0; c < k; c++)
        ret_proba[m->label[c]] = prob[c];
}

/* ---- training (libsvm; touches libsvm's and libc's global state) ---- */

static void quiet(const char *s)
{
    (void)s;
}

/* scikit-learn's gamma="scale": 1 / (d * variance of all n * d values), 1 when that is 0. */
static double gamma_scale(const double *x, size_t n_values, uint32_t d)
{
    double sum = 0.0;
    for (size_t i = 0; i < n_values; i++)
        sum += x[i];
    double mean = sum / (double)n_values;
    double ss = 0.0;
    for (size_t i = 0; i < n_values; i++) {
        double t = x[i] - mean;
        ss += t * t;
    }
    double var = ss / (double)n_values;
    return var == 0.0 ? 1.0 : 1.0 / ((double)d * var);
}

/* Copy what prediction needs out of libsvm's model: 0, or FDX_E* with err if it is unusable. */
static int copy_model(struct svm *m, const struct svm_model *lm, char *err, size_t errlen)
{
    if (lm->nr_class != (int)m->k || lm->l < 0 || (uint32_t)lm->l > FDXI_MODEL_MAX_ROWS)
        return fail(err, errlen, FDX_ERANGE,
                    "svm: libsvm returned %d classes, %d support vectors (expected %u, at most %u)",
                    lm->nr_class, lm->l, m->k, FDXI_MODEL_MAX_ROWS);
    if (lm->probA == NULL || lm->probB == NULL)
        return fail(err, errlen, FDX_EINVAL, "svm: libsvm returned no probability model");
    m->n_sv = (uint32_t)lm->l;
    uint64_t total = 0;
    for (uint32_t c = 0; c < m->k; c++) {
        if (lm->label[c] < 0 || (uint32_t)lm->label[c] >= m->n_classes || lm->nSV[c] < 0)
            return fail(err, errlen, FDX_EINVAL,
                        "svm: libsvm returned class %d with %d support vectors", lm->label[c],
                        lm->nSV[c]);
        m->label[c] = (uint32_t)lm->label[c];
        m->nsv[c] = (uint32_t)lm->nSV[c];
        total += m->nsv[c];
    }
    if (total != m->n_sv)
        return fail(err, errlen, FDX_EINVAL, "svm: libsvm's support vector counts disagree");
    if (!alloc_arrays(m))
        return fail(err, errlen, FDX_ENOMEM, "svm: out of memory for %u support vectors", m->n_sv);
    for (uint32_t s = 0; s < m->n_sv; s++) {
        for (const struct svm_node *nd = lm->SV[s]; nd->index != -1; nd++) {
            if (nd->index < 1 || (uint32_t)nd->index > m->d)
                return fail(err, errlen, FDX_EINVAL, "svm: libsvm returned feature index %d",
                            nd->index);
            m->sv[(size_t)(nd->index - 1) * m->stride + s] = nd->value;
        }
        for (uint32_t r = 0; r + 1 < m->k; r++)
            m->coef[(size_t)r * m->n_sv + s] = lm->sv_coef[r][s];
    }
    for (size_t p = 0; p < pairs_of(m->k); p++) {
        m->rho[p] = lm->rho[p];
        m->prob_a[p] = lm->probA[p];
        m->prob_b[p] = lm->probB[p];
    }
    /* Refuse here what load() would refuse, so every trained model can be saved and loaded. */
    size_t n_values[] = {m->stride * m->d, (size_t)(m->k - 1) * m->n_sv};
    const double *arrays[] = {m->sv, m->coef};
    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < n_values[a]; i++) {
            if (!isfinite(arrays[a][i]))
                return fail(err, errlen, FDX_ERANGE,
                            "svm: training produced a non-finite coefficient");
        }
    }
    for (size_t p = 0; p < pairs_of(m->k); p++) {
        if (!isfinite(m->rho[p]) || !isfinite(m->prob_a[p]) || !isfinite(m->prob_b[p]))
            return fail(err, errlen, FDX_ERANGE,
                        "svm: training produced a non-finite offset or Platt parameter");
    }
    return 0;
}

/*
 * Train with libsvm. Not thread-safe, and it changes process-wide state: libsvm's print hook
 * (a global in libsvm) is set to a no-op during training and reset to libsvm's default
 * (printing to stdout) afterwards, since libsvm offers no way to read the previous hook; and
 * libsvm's probability training shuffles its internal cross-validation folds with rand(), so
 * srand() is called with the low 32 bits of the first fdxi_rng output for p->seed right before
 * svm_train. That makes training reproducible as long as no other thread calls rand() during
 * it, and it leaves rand()'s sequence changed for the rest of the process. Run trainings one
 * at a time; prediction, saving and loading touch no global state and may run concurrently.
 */
static int train(const struct fdxi_train_params *p, const double *x, const int32_t *y, uint32_t n,
                 uint32_t d, uint32_t n_classes, void **ret_model, char *err, size_t errlen)
{
    struct svm *m = NULL;
    struct svm_node *nodes = NULL;
    struct svm_node **rows = NULL;
    double *labels = NULL;
    struct svm_model *lm = NULL;
    int rc;

    if (p == NULL || x == NULL || y == NULL || ret_model == NULL)
        return fail(err, errlen, FDX_EINVAL, "svm: missing argument");
    if (n == 0 || n > FDXI_MODEL_MAX_ROWS)
        return fail(err, errlen, FDX_ERANGE, "svm: %u training rows (1 to %u allowed)", n,
                    FDXI_MODEL_MAX_ROWS);
    if (d == 0 || d > FDXI_MODEL_MAX_FEATURES)
        return fail(err, errlen, FDX_ERANGE, "svm: %u features (1 to %u allowed)", d,
                    FDXI_MODEL_MAX_FEATURES);
    if (n_classes == 0 || n_classes > FDXI_MODEL_MAX_CLASSES)
        return fail(err, errlen, FDX_ERANGE, "svm: %u classes (1 to %u allowed)", n_classes,
                    FDXI_MODEL_MAX_CLASSES);
    if (p->svm_kernel != FDXI_SVM_RBF && p->svm_kernel != FDXI_SVM_LINEAR)
        return fail(err, errlen, FDX_EINVAL, "svm: unknown kernel %d (%d = rbf, %d = linear)",
                    p->svm_kernel, FDXI_SVM_RBF, FDXI_SVM_LINEAR);
    if (!isfinite(p->svm_c) || p->svm_c <= 0.0)
        return fail(err, errlen, FDX_ERANGE, "svm: C must be a finite number > 0, not %g",
                    p->svm_c);
    if (!isfinite(p->svm_gamma) || p->svm_gamma < 0.0)
        return fail(err, errlen, FDX_ERANGE,
                    "svm: gamma must be a finite number >= 0 (0 = scale), not %g", p->svm_gamma);

    /* n * d <= 1e7 * 4096 fits in size_t wherever the caller could hold x at all. */
    size_t n_values = (size_t)n * d;
    size_t n_nonzero = 0;
    uint32_t count[FDXI_MODEL_MAX_CLASSES] = {0};
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes)
            return fail(err, errlen, FDX_ERANGE, "svm: row %u: class %d out of range (0 to %u)", i,
                        y[i], n_classes - 1);
        count[y[i]]++;
        for (uint32_t j = 0; j < d; j++) {
            double v = x[(size_t)i * d + j];
            if (!isfinite(v))
                return fail(err, errlen, FDX_EINVAL, "svm: row %u, feature %u: not a finite number",
                            i, j);
            n_nonzero += v != 0.0;
        }
    }

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = fail(err, errlen, FDX_ENOMEM, "svm: out of memory");
        goto out;
    }
    m->d = d;
    m->n_classes = n_classes;
    m->kernel = (uint32_t)p->svm_kernel;
    if (m->kernel == FDXI_SVM_RBF) {
        m->gamma = p->svm_gamma > 0.0 ? p->svm_gamma : gamma_scale(x, n_values, d);
        /* Values near DBL_MAX overflow the variance; such a gamma could not be loaded. */
        if (!isfinite(m->gamma) || m->gamma <= 0.0) {
            rc = fail(err, errlen, FDX_ERANGE,
                      "svm: gamma \"scale\" is %g for these values; scale the features", m->gamma);
            goto out;
        }
    }
    for (uint32_t c = 0; c < n_classes; c++)
        m->k += count[c] > 0;

    if (m->k == 1) {
        /* One class present: libsvm would train nothing; every row is that class. */
        m->label[0] = (uint32_t)y[0];
        if (!alloc_arrays(m)) {
            rc = fail(err, errlen, FDX_ENOMEM, "svm: out of memory");
            goto out;
        }
        *ret_model = m;
        m = NULL;
        rc = 0;
        goto out;
    }

    /* libsvm's sparse rows: nonzero features (1-based), each row ended by index -1. */
    nodes = malloc((n_nonzero + n) * sizeof(*nodes));
    rows = malloc((size_t)n * sizeof(*rows));
    labels = malloc((size_t)n * sizeof(*labels));
    if (nodes == NULL || rows == NULL || labels == NULL) {
        rc = fail(err, errlen, FDX_ENOMEM, "svm: out of memory for %u training rows", n);
        goto out;
    }
    struct svm_node *nd = nodes;
    for (uint32_t i = 0; i < n; i++) {
        rows[i] = nd;
        labels[i] = y[i];
        for (uint32_t j = 0; j < d; j++) {
            double v = x[(size_t)i * d + j];
            if (v != 0.0) {
                nd->index = (int)j + 1;
                nd->value = v;
                nd++;
            }
        }
        nd->index = -1;
        nd->value = 0.0;
        nd++;
    }
    struct svm_problem prob = {.l = (int)n, .y = labels, .x = rows};
    struct svm_parameter par = {
        .svm_type = C_SVC,
        .kernel_type = m->kernel == FDXI_SVM_RBF ? RBF : LINEAR,
        .degree = 3,
        .gamma = m->gamma,
        .coef0 = 0.0,
        .cache_size = CACHE_MB,
        .eps = STOP_EPS,
        .C = p->svm_c,
        .nr_weight = 0,
        .weight_label = NULL,
        .weight = NULL,
        .nu = 0.5,
        .p = 0.1,
        .shrinking = 1,
        .probability = 1,
    };
    const char *why = svm_check_parameter(&prob, &par);
    if (why != NULL) {
        rc = fail(err, errlen, FDX_EINVAL, "svm: libsvm refused the settings: %s", why);
        goto out;
    }

    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, p->seed);
    svm_set_print_string_function(quiet);
    srand((unsigned)fdxi_rng_next(&rng));
    lm = svm_train(&prob, &par);
    svm_set_print_string_function(NULL);
    if (lm == NULL) {
        rc = fail(err, errlen, FDX_ENOMEM, "svm: libsvm training failed");
        goto out;
    }
    rc = copy_model(m, lm, err, errlen);
    if (rc < 0)
        goto out;
    *ret_model = m;
    m = NULL;
    rc = 0;
out:
    /* libsvm's trained model points into nodes; free it first. */
    svm_free_and_destroy_model(&lm);
    free(nodes);
    free(rows);
    free(labels);
    free_model(m);
    return rc;
}

/* ---- saving and loading ---- */

static void save(const void *model, struct fdxi_wbuf *w)
{
    const struct svm *m = model;
    size_t n_pairs = pairs_of(m->k);
    fdxi_wbuf_u32(w, m->kernel);
    fdxi_wbuf_f64(w, m->gamma);
    fdxi_wbuf_u32(w, m->k);
    for (uint32_t c = 0; c < m->k; c++)
        fdxi_wbuf_u32(w, m->label[c]);
    fdxi_wbuf_u32(w, m->n_sv);
    for (uint32_t c = 0; c < m->k; c++)
        fdxi_wbuf_u32(w, m->nsv[c]);
    for (size_t s = 0; s < m->n_sv; s++) { /* the file is row-major */
        for (uint32_t j = 0; j < m->d; j++)
            fdxi_wbuf_f64(w, m->sv[(size_t)j * m->stride + s]);
    }
    fdxi_wbuf_f64s(w, m->coef, (size_t)(m->k - 1) * m->n_sv);
    fdxi_wbuf_f64s(w, m->rho, n_pairs);
    fdxi_wbuf_f64s(w, m->prob_a, n_pairs);
    fdxi_wbuf_f64s(w, m->prob_b, n_pairs);
}

static void read_finite(struct fdxi_rbuf *r, double *out, size_t n, const char *what)
{
    for (size_t i = 0; i < n && fdxi_rbuf_ok(r); i++)
        out[i] = fdxi_rbuf_finite(r, what);
}

static void *load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    if (d == 0 || d > FDXI_MODEL_MAX_FEATURES || n_classes == 0 ||
        n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_rbuf_fail(r, "svm: %u features and %u classes out of range (1 to %u, 1 to %u)", d,
                       n_classes, FDXI_MODEL_MAX_FEATURES, FDXI_MODEL_MAX_CLASSES);
        return NULL;
    }
    if (!fdxi_rbuf_ok(r))
        return NULL;
    struct svm *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        fdxi_rbuf_fail(r, "svm: out of memory");
        return NULL;
    }
    m->d = d;
    m->n_classes = n_classes;

    size_t at = r->off;
    m->kernel = fdxi_rbuf_u32(r, "svm kernel");
    if (fdxi_rbuf_ok(r) && m->kernel != FDXI_SVM_RBF && m->kernel != FDXI_SVM_LINEAR)
        fdxi_rbuf_fail(r, "offset %zu: svm kernel: unknown kernel %u (%d = rbf, %d = linear)", at,
                       m->kernel, FDXI_SVM_RBF, FDXI_SVM_LINEAR);
    at = r->off;
    m->gamma = fdxi_rbuf_finite(r, "svm gamma");
    if (fdxi_rbuf_ok(r) && m->kernel == FDXI_SVM_RBF && !(m->gamma > 0.0))
        fdxi_rbuf_fail(r, "offset %zu: svm gamma: %g, an RBF kernel needs gamma > 0", at, m->gamma);
    if (fdxi_rbuf_ok(r) && m->kernel == FDXI_SVM_LINEAR && m->gamma != 0.0)
        fdxi_rbuf_fail(r, "offset %zu: svm gamma: %g, a linear kernel has gamma 0", at, m->gamma);

    m->k = fdxi_rbuf_count(r, 1, n_classes, "svm classes present");
    bool seen[FDXI_MODEL_MAX_CLASSES] = {false};
    for (uint32_t c = 0; c < m->k && fdxi_rbuf_ok(r); c++) {
        at = r->off;
        m->label[c] = fdxi_rbuf_count(r, 0, n_classes - 1, "svm class label");
        if (fdxi_rbuf_ok(r) && seen[m->label[c]])
            fdxi_rbuf_fail(r, "offset %zu: svm class label: class %u listed twice", at,
                           m->label[c]);
        seen[m->label[c]] = true;
    }
    at = r->off;
    m->n_sv = fdxi_rbuf_count(r, 0, FDXI_MODEL_MAX_ROWS, "svm support vectors");
    if (fdxi_rbuf_ok(r) && m->k == 1 && m->n_sv != 0)
        fdxi_rbuf_fail(r, "offset %zu: svm support vectors: %u, a one-class model has none", at,
                       m->n_sv);
    uint64_t total = 0;
    at = r->off;
    for (uint32_t c = 0; c < m->k && fdxi_rbuf_ok(r); c++) {
        m->nsv[c] = fdxi_rbuf_count(r, 0, m->n_sv, "svm support vectors of a class");
        total += m->nsv[c];
    }
    if (fdxi_rbuf_ok(r) && total != m->n_sv)
        fdxi_rbuf_fail(r, "offset %zu: svm support vectors of a class: they sum to %llu, not %u",
                       at, (unsigned long long)total, m->n_sv);
    if (!fdxi_rbuf_ok(r))
        goto out;

    /* Check the announced sizes against the bytes present before allocating for them, so a
     * short hostile file cannot make us allocate gigabytes. */
    uint64_t n_pairs = pairs_of(m->k);
    uint64_t need = (uint64_t)m->n_sv * d + (uint64_t)(m->k - 1) * m->n_sv + 3 * n_pairs;
    if (need > (r->len - r->off) / 8) {
        fdxi_rbuf_fail(r, "offset %zu: svm model: %llu numbers announced, the file holds %zu",
                       r->off, (unsigned long long)need, (r->len - r->off) / 8);
        goto out;
    }
    if (!alloc_arrays(m)) {
        fdxi_rbuf_fail(r, "svm: out of memory for %u support vectors", m->n_sv);
        goto out;
    }
    for (size_t s = 0; s < m->n_sv && fdxi_rbuf_ok(r); s++) { /* the file is row-major */
        for (uint32_t j = 0; j < d && fdxi_rbuf_ok(r); j++)
            m->sv[(size_t)j * m->stride + s] = fdxi_rbuf_finite(r, "svm support vector");
    }
    read_finite(r, m->coef, (size_t)(m->k - 1) * m->n_sv, "svm coefficient");
    read_finite(r, m->rho, n_pairs, "svm rho");
    read_finite(r, m->prob_a, n_pairs, "svm probability A");
    read_finite(r, m->prob_b, n_pairs, "svm probability B");
out:
    if (!fdxi_rbuf_ok(r)) {
        free_model(m);
        return NULL;
    }
    return m;
}

static size_t describe(const void *model, char *buf, size_t len, size_t used)
{
    const struct svm *m = model;
    used = fdxi_appendf(buf, len, used, "%u support vectors (", m->n_sv);
    for (uint32_t c = 0; c < m->k; c++)
        used = fdxi_appendf(buf, len, used, "%s%u of class %u", c > 0 ? ", " : "", m->nsv[c],
                            m->label[c]);
    if (m->kernel == FDXI_SVM_RBF)
        return fdxi_appendf(buf, len, used, "), RBF kernel, gamma %g", m->gamma);
    return fdxi_appendf(buf, len, used, "), linear kernel");
}

const struct fdxi_model_kind fdxi_model_svm = {
    .name = "svm",
    .tag = 2,
    .train = train,
    .predict = predict,
    .save = save,
    .load = load,
    .free = free_model,
    .describe = describe,
};
