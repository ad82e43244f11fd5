/* SPDX-License-Identifier: BSD-3-Clause */
/* The multilayer-perceptron model kind: ReLU layers trained by Adam with early stopping. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"

/*
 * Training follows scikit-learn 1.2's MLPClassifier(solver="adam", activation="relu"):
 *  - Weights and biases of every layer uniform in +-sqrt(6 / (fan_in + fan_out)), drawn layer by
 *    layer, weights (row-major fan_in x fan_out) before biases. sklearn uses factor 2 instead of
 *    6 only when the *hidden* activation is logistic; with ReLU hidden layers the output layer
 *    gets 6 as well, and so here.
 *  - Output: one sigmoid unit (probability of class 1) for 2 classes, softmax for more.
 *  - Batch loss: mean cross-entropy + 0.5 * l2 * sum(W^2) / batch_rows (biases not penalised);
 *    gradients (A^T delta + l2 * W) / batch_rows and mean(delta). The cross-entropy is computed
 *    from the logits (log-sum-exp), not from clipped probabilities as sklearn does.
 *  - Adam per batch: beta1 0.9, beta2 0.999, eps 1e-8, step lr * sqrt(1 - beta2^t) /
 *    (1 - beta1^t).
 *  - Each epoch shuffles the training order (the previous order, as sklearn does) and walks it in
 *    batches of min(mlp_batch, rows); the last batch may be smaller.
 *  - mlp_validation_fraction > 0: ceil(fraction * n) rows are held out, stratified (each class
 *    gives its share, largest remainders first, ties to the lower class), chosen after the
 *    weights are drawn. Each epoch scores accuracy on them; an epoch improves when its score is
 *    at least best + 1e-4 (sklearn's tol); training stops once more than mlp_patience epochs in
 *    a row did not improve, and the weights of the best-scoring epoch (first one on ties) are
 *    kept. Binary prediction is class 1 when the logit is > 0 (probability > 0.5).
 *  - mlp_validation_fraction = 0 (sklearn's early_stopping=False): the same rule on the epoch's
 *    mean training loss (improvement: loss <= best - 1e-4), keeping the last weights.
 *  - At most mlp_max_epochs epochs either way.
 * Every random choice comes from one fdxi_rng seeded with the seed: init, split, shuffles.
 *
 * Model file layout after the bundle's d and n_classes (little-endian):
 *   u32 format (1), u32 hidden layer count, u32 width of each hidden layer,
 *   then per layer (inputs to output): fan_in * fan_out f64 weights (row-major), fan_out f64
 *   biases. The output layer has 1 unit for 2 classes, n_classes units otherwise.
 */

#define MLP_FORMAT 1u
#define MLP_TOL 1e-4
#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPS 1e-8
/* Limits beyond those of model.h: weights and biases together (2 GiB of doubles), batch
 * activations, epochs. */
#define MLP_MAX_PARAMS (1u << 28)
#define MLP_MAX_SCRATCH (1u << 28)
#define MLP_MAX_EPOCHS 1000000u
/* predict keeps two layers' activations on the stack up to this width, else allocates. */
#define STACK_WIDTH 1024u

struct mlp {
    uint32_t d, n_classes;
    uint32_t n_layers;                         /**< weight layers: hidden + 1 */
    uint32_t width[FDXI_MODEL_MAX_LAYERS + 2]; /**< width[0] = d, width[n_layers] = outputs */
    size_t off[FDXI_MODEL_MAX_LAYERS + 2];     /**< layer l's weights start at params + off[l];
                                                    its biases follow them */
    size_t n_params;
    uint32_t max_width;
    double *params;
};

static void mlp_free(void *model)
{
    struct mlp *m = model;
    if (m == NULL)
        return;
    free(m->params);
    free(m);
}

/*
 * Fill in the shape of m from d, the hidden widths and n_classes (all already range-checked).
 * Returns false when the parameter count exceeds MLP_MAX_PARAMS.
 */
static bool shape(struct mlp *m, uint32_t d, const uint32_t *hidden, uint32_t n_hidden,
                  uint32_t n_classes)
{
    m->d = d;
    m->n_classes = n_classes;
    m->n_layers = n_hidden + 1;
    m->width[0] = d;
    for (uint32_t l = 0; l < n_hidden; l++)
        m->width[l + 1] = hidden[l];
    m->width[m->n_layers] = n_classes == 2 ? 1 : n_classes;
    uint64_t total = 0;
    m->max_width = 0;
    for (uint32_t l = 0; l <= m->n_layers; l++) {
        if (m->width[l] > m->max_width)
            m->max_width = m->width[l];
    }
    for (uint32_t l = 0; l < m->n_layers; l++) {
        m->off[l] = (size_t)total;
        total += (uint64_t)m->width[l] * m->width[l + 1] + m->width[l + 1];
        if (total > MLP_MAX_PARAMS)
            return false;
    }
    m->n_params = (size_t)total;
    return true;
}

/* ---- numerics ---- */

/* 1 / (1 + e^-z) without overflow: e^-|z| is at most 1. */
static double sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* log(1 + e^z) without overflow. */
static double softplus(double z)
{
    return (z > 0.0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

/* In place: z becomes softmax(z); returns log(sum(exp(z))) of the input, for the loss. */
static double softmax(double *z, uint32_t n)
{
    double mx = z[0];
    for (uint32_t i = 1; i < n; i++) {
        if (z[i] > mx)
            mx = z[i];
    }
    double s = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        z[i] = exp(z[i] - mx);
        s += z[i];
    }
    for (uint32_t i = 0; i < n; i++)
        z[i] /= s;
    return mx + log(s);
}

/* y[0..n) += a * x[0..n), unrolled by hand (-O2 does not vectorise loops of unknown length);
 * every y[j] gets the same single operation as in the plain loop. */
static void axpy(double *restrict y, double a, const double *restrict x, uint32_t n)
{
    uint32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        y[j] += a * x[j];
        y[j + 1] += a * x[j + 1];
        y[j + 2] += a * x[j + 2];
        y[j + 3] += a * x[j + 3];
    }
    for (; j < n; j++)
        y[j] += a * x[j];
}

/*
 * out (rows x fo) = in (rows x fi) . W (fi x fo) + b, then ReLU when hidden. Zero inputs (the
 * common ReLU output) are skipped; skipping adds nothing but an exact zero.
 */
static void layer_forward(const struct mlp *m, uint32_t l, const double *in, double *out,
                          uint32_t rows)
{
    uint32_t fi = m->width[l], fo = m->width[l + 1];
    const double *w = m->params + m->off[l], *b = w + (size_t)fi * fo;
    bool hidden = l + 1 < m->n_layers;
    for (uint32_t r = 0; r < rows; r++) {
        const double *a = in + (size_t)r * fi;
        double *o = out + (size_t)r * fo;
        memcpy(o, b, fo * sizeof(double));
        for (uint32_t i = 0; i < fi; i++) {
            if (a[i] != 0.0)
                axpy(o, a[i], w + (size_t)i * fo, fo);
        }
        if (hidden) {
            for (uint32_t j = 0; j < fo; j++)
                o[j] = o[j] > 0.0 ? o[j] : 0.0;
        }
    }
}

/* Class probabilities from one row of output logits (which it may overwrite). */
static void output_proba(const struct mlp *m, double *z, double *ret_proba)
{
    if (m->n_classes == 2) {
        ret_proba[0] = sigmoid(-z[0]);
        ret_proba[1] = sigmoid(z[0]);
        return;
    }
    softmax(z, m->n_classes);
    memcpy(ret_proba, z, m->n_classes * sizeof(double));
}

/*
 * Probabilities of one row. The two activation buffers are on the stack for layers up to
 * STACK_WIDTH wide; wider models allocate them per call, and if that fails (predict cannot
 * report errors) every probability is NaN so that the failure is visible, not a guess.
 */
static void mlp_predict(const void *model, const double *x, double *ret_proba)
{
    const struct mlp *m = model;
    double stack[2 * STACK_WIDTH];
    double *buf = stack;
    if (m->max_width > STACK_WIDTH) {
        buf = malloc(2 * (size_t)m->max_width * sizeof(double));
        if (buf == NULL) {
            for (uint32_t c = 0; c < m->n_classes; c++)
                ret_proba[c] = NAN;
            return;
        }
    }
    const double *in = x;
    double *out = buf;
    for (uint32_t l = 0; l < m->n_layers; l++) {
        out = buf + (l % 2) * (size_t)m->max_width;
        layer_forward(m, l, in, out, 1);
        in = out;
    }
    output_proba(m, out, ret_proba);
    if (buf != stack)
        free(buf);
}

/* ---- training ---- */

struct trainer {
    struct mlp *m;
    const struct fdxi_train_params *p;
    const double *x;
    const int32_t *y;
    uint32_t batch;                           /**< rows per batch */
    double *act[FDXI_MODEL_MAX_LAYERS + 2];   /**< batch x width[l]; act[0] is the input batch */
    double *delta[FDXI_MODEL_MAX_LAYERS + 2]; /**< batch x width[l], l >= 1 */
    double *grad, *mom, *vel;                 /**< n_params each */
    uint64_t t;                               /**< Adam steps taken */
};

static void trainer_fini(struct trainer *t)
{
    for (uint32_t l = 0; l < FDXI_MODEL_MAX_LAYERS + 2; l++) {
        free(t->act[l]);
        free(t->delta[l]);
    }
    free(t->grad);
    free(t->mom);
    free(t->vel);
}

static bool trainer_init(struct trainer *t)
{
    const struct mlp *m = t->m;
    for (uint32_t l = 0; l <= m->n_layers; l++) {
        t->act[l] = malloc((size_t)t->batch * m->width[l] * sizeof(double));
        if (t->act[l] == NULL)
            return false;
        if (l > 0) {
            t->delta[l] = malloc((size_t)t->batch * m->width[l] * sizeof(double));
            if (t->delta[l] == NULL)
                return false;
        }
    }
    t->grad = malloc(m->n_params * sizeof(double));
    t->mom = calloc(m->n_params, sizeof(double));
    t->vel = calloc(m->n_params, sizeof(double));
    return t->grad && t->mom && t->vel;
}

/* Forward the rows idx[0..rows) through the network; the logits end in act[n_layers]. */
static void forward_batch(struct trainer *t, const uint32_t *idx, uint32_t rows)
{
    const struct mlp *m = t->m;
    for (uint32_t r = 0; r < rows; r++)
        memcpy(t->act[0] + (size_t)r * m->d, t->x + (size_t)idx[r] * m->d, m->d * sizeof(double));
    for (uint32_t l = 0; l < m->n_layers; l++)
        layer_forward(m, l, t->act[l], t->act[l + 1], rows);
}

/* One Adam step on the rows idx[0..rows); returns the batch loss (sklearn's definition). */
static double train_batch(struct trainer *t, const uint32_t *idx, uint32_t rows)
{
    struct mlp *m = t->m;
    uint32_t L = m->n_layers, n_out = m->width[L];
    forward_batch(t, idx, rows);

    /* Output deltas are p - onehot(y) for sigmoid + binary and softmax + categorical
     * cross-entropy alike. */
    double loss = 0.0;
    for (uint32_t r = 0; r < rows; r++) {
        double *z = t->act[L] + (size_t)r * n_out, *dl = t->delta[L] + (size_t)r * n_out;
        uint32_t yr = (uint32_t)t->y[idx[r]];
        if (n_out == 1) {
            loss += yr ? softplus(-z[0]) : softplus(z[0]);
            dl[0] = sigmoid(z[0]) - (double)yr;
        } else {
            double zy = z[yr];
            loss += softmax(z, n_out) - zy;
            for (uint32_t c = 0; c < n_out; c++)
                dl[c] = z[c] - (c == yr ? 1.0 : 0.0);
        }
    }
    loss /= rows;
    double sq = 0.0;
    for (uint32_t l = 0; l < L; l++) {
        const double *w = m->params + m->off[l];
        size_t nw = (size_t)m->width[l] * m->width[l + 1];
        for (size_t i = 0; i < nw; i++)
            sq += w[i] * w[i];
    }
    loss += 0.5 * t->p->mlp_l2 * sq / rows;

    for (uint32_t l = L; l-- > 0;) {
        uint32_t fi = m->width[l], fo = m->width[l + 1];
        const double *w = m->params + m->off[l];
        double *gw = t->grad + m->off[l], *gb = gw + (size_t)fi * fo;
        const double *a = t->act[l], *dl = t->delta[l + 1];
        memset(gw, 0, ((size_t)fi * fo + fo) * sizeof(double));
        for (uint32_t r = 0; r < rows; r++) {
            const double *ar = a + (size_t)r * fi, *dr = dl + (size_t)r * fo;
            for (uint32_t i = 0; i < fi; i++) {
                if (ar[i] != 0.0)
                    axpy(gw + (size_t)i * fo, ar[i], dr, fo);
            }
            axpy(gb, 1.0, dr, fo);
        }
        size_t nw = (size_t)fi * fo;
        for (size_t i = 0; i < nw; i++)
            gw[i] = (gw[i] + t->p->mlp_l2 * w[i]) / rows;
        for (uint32_t j = 0; j < fo; j++)
            gb[j] /= rows;
        if (l == 0)
            continue;
        /* delta of the layer below: (delta . W^T) where its ReLU output was positive. */
        double *dp = t->delta[l];
        for (uint32_t r = 0; r < rows; r++) {
            const double *dr = dl + (size_t)r * fo, *ar = a + (size_t)r * fi;
            double *pr = dp + (size_t)r * fi;
            for (uint32_t i = 0; i < fi; i++) {
                if (ar[i] == 0.0) {
                    pr[i] = 0.0;
                    continue;
                }
                const double *wi = w + (size_t)i * fo;
                double s = 0.0;
                for (uint32_t j = 0; j < fo; j++)
                    s += dr[j] * wi[j];
                pr[i] = s;
            }
        }
    }

    t->t++;
    double lr = t->p->mlp_learning_rate * sqrt(1.0 - pow(ADAM_BETA2, (double)t->t)) /
                (1.0 - pow(ADAM_BETA1, (double)t->t));
    for (size_t i = 0; i < m->n_params; i++) {
        double g = t->grad[i];
        t->mom[i] = ADAM_BETA1 * t->mom[i] + (1.0 - ADAM_BETA1) * g;
        t->vel[i] = ADAM_BETA2 * t->vel[i] + (1.0 - ADAM_BETA2) * g * g;
        m->params[i] -= lr * t->mom[i] / (sqrt(t->vel[i]) + ADAM_EPS);
    }
    return loss;
}

/* Accuracy on the rows idx[0..n), forwarded in batches. */
static double accuracy(struct trainer *t, const uint32_t *idx, uint32_t n)
{
    const struct mlp *m = t->m;
    uint32_t L = m->n_layers, n_out = m->width[L], right = 0;
    for (uint32_t s = 0; s < n; s += t->batch) {
        uint32_t rows = n - s < t->batch ? n - s : t->batch;
        forward_batch(t, idx + s, rows);
        for (uint32_t r = 0; r < rows; r++) {
            const double *z = t->act[L] + (size_t)r * n_out;
            uint32_t pred = 0;
            if (n_out == 1) {
                pred = z[0] > 0.0;
            } else {
                for (uint32_t c = 1; c < n_out; c++) {
                    if (z[c] > z[pred])
                        pred = c;
                }
            }
            right += pred == (uint32_t)t->y[idx[s + r]];
        }
    }
    return (double)right / n;
}

/*
 * Stratified hold-out: n_val = ceil(fraction * n) rows, class c giving floor(n_val * n_c / n)
 * plus one for the largest remainders. Writes the training rows (in row order) to tr and the
 * validation rows to va. Returns false on allocation failure.
 */
static bool split(struct fdxi_rng *rng, const int32_t *y, uint32_t n, uint32_t n_classes,
                  uint32_t n_val, uint32_t *tr, uint32_t *va)
{
    uint32_t cnt[FDXI_MODEL_MAX_CLASSES] = {0}, take[FDXI_MODEL_MAX_CLASSES] = {0};
    uint64_t rem[FDXI_MODEL_MAX_CLASSES];
    for (uint32_t i = 0; i < n; i++)
        cnt[y[i]]++;
    uint32_t given = 0;
    for (uint32_t c = 0; c < n_classes; c++) {
        uint64_t q = (uint64_t)n_val * cnt[c];
        take[c] = (uint32_t)(q / n);
        rem[c] = q % n;
        given += take[c];
    }
    while (given < n_val) {
        uint32_t best = UINT32_MAX;
        for (uint32_t c = 0; c < n_classes; c++) {
            if (take[c] < cnt[c] && (best == UINT32_MAX || rem[c] > rem[best]))
                best = c;
        }
        take[best]++;
        rem[best] = 0;
        given++;
    }
    uint32_t *rows = malloc((size_t)n * sizeof(uint32_t));
    bool *held = calloc(n, sizeof(bool));
    if (rows == NULL || held == NULL) {
        free(rows);
        free(held);
        return false;
    }
    for (uint32_t c = 0; c < n_classes; c++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            if ((uint32_t)y[i] == c)
                rows[k++] = i;
        }
        fdxi_rng_shuffle(rng, rows, k);
        for (uint32_t i = 0; i < take[c]; i++)
            held[rows[i]] = true;
    }
    uint32_t nt = 0, nv = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (held[i])
            va[nv++] = i;
        else
            tr[nt++] = i;
    }
    free(rows);
    free(held);
    return true;
}

static int check_params(const struct fdxi_train_params *p, uint32_t n, uint32_t d,
                        uint32_t n_classes, uint32_t *ret_hidden, char *err, size_t errlen)
{
    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES) {
        fdxi_set_err(err, errlen, "mlp: %u features out of range (1 to %u)", d,
                     FDXI_MODEL_MAX_FEATURES);
        return FDX_ERANGE;
    }
    if (n_classes < 2 || n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_set_err(err, errlen, "mlp: %u classes out of range (2 to %u)", n_classes,
                     FDXI_MODEL_MAX_CLASSES);
        return FDX_ERANGE;
    }
    if (n < 1) {
        fdxi_set_err(err, errlen, "mlp: no training rows");
        return FDX_ERANGE;
    }
    uint32_t n_hidden = 0;
    while (n_hidden < FDXI_MODEL_MAX_LAYERS && p->mlp_layers[n_hidden] != 0) {
        if (p->mlp_layers[n_hidden] > FDXI_MODEL_MAX_WIDTH) {
            fdxi_set_err(err, errlen, "mlp: hidden layer %u: width %u out of range (1 to %u)",
                         n_hidden + 1, p->mlp_layers[n_hidden], FDXI_MODEL_MAX_WIDTH);
            return FDX_ERANGE;
        }
        n_hidden++;
    }
    *ret_hidden = n_hidden;
    if (!(p->mlp_learning_rate > 0.0 && p->mlp_learning_rate <= 1e6)) {
        fdxi_set_err(err, errlen, "mlp: learning rate %g out of range (above 0, at most 1e6)",
                     p->mlp_learning_rate);
        return FDX_ERANGE;
    }
    if (!(p->mlp_l2 >= 0.0 && p->mlp_l2 <= 1e6)) {
        fdxi_set_err(err, errlen, "mlp: L2 penalty %g out of range (0 to 1e6)", p->mlp_l2);
        return FDX_ERANGE;
    }
    if (!(p->mlp_validation_fraction >= 0.0 && p->mlp_validation_fraction < 1.0)) {
        fdxi_set_err(err, errlen, "mlp: validation fraction %g out of range (0 to below 1)",
                     p->mlp_validation_fraction);
        return FDX_ERANGE;
    }
    if (p->mlp_max_epochs < 1 || p->mlp_max_epochs > MLP_MAX_EPOCHS) {
        fdxi_set_err(err, errlen, "mlp: max epochs %u out of range (1 to %u)", p->mlp_max_epochs,
                     MLP_MAX_EPOCHS);
        return FDX_ERANGE;
    }
    if (p->mlp_batch < 1) {
        fdxi_set_err(err, errlen, "mlp: batch size 0 out of range (at least 1)");
        return FDX_ERANGE;
    }
    /* mlp_patience needs no limit of its own: max epochs bound it. */
    return 0;
}

static int mlp_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                     uint32_t n, uint32_t d, uint32_t n_classes, void **ret_model, char *err,
                     size_t errlen)
{
    uint32_t n_hidden = 0;
    int rc = check_params(p, n, d, n_classes, &n_hidden, err, errlen);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes) {
            fdxi_set_err(err, errlen, "mlp: row %u: label %d out of range (0 to %u)", i, (int)y[i],
                         n_classes - 1);
            return FDX_EINVAL;
        }
        for (uint32_t j = 0; j < d; j++) {
            if (!isfinite(x[(size_t)i * d + j])) {
                fdxi_set_err(err, errlen, "mlp: row %u feature %u: not a finite number", i, j);
                return FDX_EINVAL;
            }
        }
    }

    uint32_t n_val = 0;
    if (p->mlp_validation_fraction > 0.0) {
        n_val = (uint32_t)ceil(p->mlp_validation_fraction * n);
        if (n_val >= n) {
            fdxi_set_err(err, errlen,
                         "mlp: validation fraction %g of %u rows leaves no rows to train on",
                         p->mlp_validation_fraction, n);
            return FDX_ERANGE;
        }
    }
    uint32_t n_train = n - n_val;

    struct mlp *m = calloc(1, sizeof(*m));
    struct trainer t = {.m = m, .p = p, .x = x, .y = y};
    uint32_t *tr = NULL, *va = NULL;
    double *best = NULL;
    rc = FDX_ENOMEM;
    if (m == NULL)
        goto out;
    if (!shape(m, d, p->mlp_layers, n_hidden, n_classes)) {
        fdxi_set_err(err, errlen, "mlp: more than %u weights", MLP_MAX_PARAMS);
        rc = FDX_ERANGE;
        goto out;
    }
    t.batch = p->mlp_batch < n_train ? p->mlp_batch : n_train;
    uint64_t scratch = 0;
    for (uint32_t l = 0; l <= m->n_layers; l++)
        scratch += (uint64_t)t.batch * m->width[l];
    if (scratch > MLP_MAX_SCRATCH) {
        fdxi_set_err(err, errlen, "mlp: batch of %u rows times the layer widths exceeds %u values",
                     t.batch, MLP_MAX_SCRATCH);
        rc = FDX_ERANGE;
        goto out;
    }
    m->params = malloc(m->n_params * sizeof(double));
    tr = malloc((size_t)n * sizeof(uint32_t));
    va = malloc((size_t)(n_val ? n_val : 1) * sizeof(uint32_t));
    best = n_val ? malloc(m->n_params * sizeof(double)) : NULL;
    if (m->params == NULL || tr == NULL || va == NULL || (n_val && best == NULL) ||
        !trainer_init(&t))
        goto out;

    struct fdxi_rng rng;
    fdxi_rng_seed(&rng, p->seed);
    for (uint32_t l = 0; l < m->n_layers; l++) {
        uint32_t fi = m->width[l], fo = m->width[l + 1];
        double bound = sqrt(6.0 / ((double)fi + fo));
        double *w = m->params + m->off[l];
        for (size_t i = 0; i < (size_t)fi * fo + fo; i++)
            w[i] = -bound + 2.0 * bound * fdxi_rng_unit(&rng);
    }
    if (n_val) {
        if (!split(&rng, y, n, n_classes, n_val, tr, va))
            goto out;
    } else {
        for (uint32_t i = 0; i < n; i++)
            tr[i] = i;
    }

    double best_score = -INFINITY, best_loss = INFINITY;
    uint32_t stale = 0;
    for (uint32_t epoch = 0; epoch < p->mlp_max_epochs; epoch++) {
        fdxi_rng_shuffle(&rng, tr, n_train);
        double total = 0.0;
        for (uint32_t s = 0; s < n_train; s += t.batch) {
            uint32_t rows = n_train - s < t.batch ? n_train - s : t.batch;
            total += train_batch(&t, tr + s, rows) * rows;
        }
        /* Overflow (unscaled features, a huge step) shows first as a non-finite loss. */
        if (!isfinite(total)) {
            fdxi_set_err(err, errlen,
                         "mlp: training diverged in epoch %u (loss not finite); scale "
                         "the features or lower the learning rate",
                         epoch + 1);
            rc = FDX_ERANGE;
            goto out;
        }
        if (n_val) {
            double score = accuracy(&t, va, n_val);
            stale = score < best_score + MLP_TOL ? stale + 1 : 0;
            if (score > best_score) {
                best_score = score;
                memcpy(best, m->params, m->n_params * sizeof(double));
            }
        } else {
            double loss = total / n_train;
            stale = loss > best_loss - MLP_TOL ? stale + 1 : 0;
            if (loss < best_loss)
                best_loss = loss;
        }
        if (stale > p->mlp_patience)
            break;
    }
    if (n_val)
        memcpy(m->params, best, m->n_params * sizeof(double));
    for (size_t i = 0; i < m->n_params; i++) {
        if (!isfinite(m->params[i])) {
            fdxi_set_err(err, errlen,
                         "mlp: training diverged (weight %zu is not finite); scale the "
                         "features or lower the learning rate",
                         i);
            rc = FDX_ERANGE;
            goto out;
        }
    }
    *ret_model = m;
    m = NULL;
    rc = 0;
out:
    if (rc == FDX_ENOMEM)
        fdxi_set_err(err, errlen, "mlp: out of memory");
    trainer_fini(&t);
    free(tr);
    free(va);
    free(best);
    mlp_free(m);
    return rc;
}

/* ---- model files ---- */

static void mlp_save(const void *model, struct fdxi_wbuf *w)
{
    const struct mlp *m = model;
    fdxi_wbuf_u32(w, MLP_FORMAT);
    fdxi_wbuf_u32(w, m->n_layers - 1);
    for (uint32_t l = 1; l < m->n_layers; l++)
        fdxi_wbuf_u32(w, m->width[l]);
    fdxi_wbuf_f64s(w, m->params, m->n_params);
}

static void *mlp_load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES) {
        fdxi_rbuf_fail(r, "mlp: %u features out of range (1 to %u)", d, FDXI_MODEL_MAX_FEATURES);
        return NULL;
    }
    if (n_classes < 2 || n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_rbuf_fail(r, "mlp: %u classes out of range (2 to %u)", n_classes,
                       FDXI_MODEL_MAX_CLASSES);
        return NULL;
    }
    size_t at = r->off;
    uint32_t format = fdxi_rbuf_u32(r, "mlp format");
    if (fdxi_rbuf_ok(r) && format != MLP_FORMAT)
        fdxi_rbuf_fail(r, "offset %zu: mlp format %u not supported (this build reads %u)", at,
                       format, MLP_FORMAT);
    uint32_t n_hidden = fdxi_rbuf_count(r, 0, FDXI_MODEL_MAX_LAYERS, "mlp hidden layers");
    uint32_t hidden[FDXI_MODEL_MAX_LAYERS];
    for (uint32_t l = 0; l < n_hidden; l++)
        hidden[l] = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_WIDTH, "mlp hidden layer width");
    if (!fdxi_rbuf_ok(r))
        return NULL;
    struct mlp *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        fdxi_rbuf_fail(r, "mlp: out of memory");
        return NULL;
    }
    if (!shape(m, d, hidden, n_hidden, n_classes)) {
        fdxi_rbuf_fail(r, "offset %zu: mlp: more than %u weights", r->off, MLP_MAX_PARAMS);
        goto fail;
    }
    /* Check the announced size against the bytes present before allocating. */
    if (m->n_params > (r->len - r->off) / 8) {
        fdxi_rbuf_fail(r, "offset %zu: mlp: %zu weights need %zu bytes, %zu left", r->off,
                       m->n_params, m->n_params * 8, r->len - r->off);
        goto fail;
    }
    m->params = malloc(m->n_params * sizeof(double));
    if (m->params == NULL) {
        fdxi_rbuf_fail(r, "mlp: out of memory for %zu weights", m->n_params);
        goto fail;
    }
    for (uint32_t l = 0; l < m->n_layers; l++) {
        uint32_t fi = m->width[l], fo = m->width[l + 1];
        for (size_t i = 0; i < (size_t)fi * fo + fo; i++) {
            at = r->off;
            double v = fdxi_rbuf_f64(r, "mlp weight");
            if (!fdxi_rbuf_ok(r))
                goto fail;
            if (!isfinite(v)) {
                if (i < (size_t)fi * fo)
                    fdxi_rbuf_fail(r,
                                   "offset %zu: mlp layer %u weight [%zu][%zu]: not a finite "
                                   "number",
                                   at, l + 1, i / fo, i % fo);
                else
                    fdxi_rbuf_fail(r, "offset %zu: mlp layer %u bias [%zu]: not a finite number",
                                   at, l + 1, i - (size_t)fi * fo);
                goto fail;
            }
            m->params[m->off[l] + i] = v;
        }
    }
    return m;
fail:
    mlp_free(m);
    return NULL;
}

static size_t mlp_describe(const void *model, char *buf, size_t len, size_t used)
{
    const struct mlp *m = model;
    used = fdxi_appendf(buf, len, used, "layer widths ");
    for (uint32_t l = 0; l <= m->n_layers; l++)
        used = fdxi_appendf(buf, len, used, "%s%u", l > 0 ? "-" : "", m->width[l]);
    return fdxi_appendf(buf, len, used, " (inputs to outputs), %zu weights and biases",
                        m->n_params);
}

const struct fdxi_model_kind fdxi_model_mlp = {
    .name = "mlp",
    .tag = 5,
    .train = mlp_train,
    .predict = mlp_predict,
    .save = mlp_save,
    .load = mlp_load,
    .free = mlp_free,
    .describe = mlp_describe,
};
