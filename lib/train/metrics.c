/* SPDX-License-Identifier: BSD-3-Clause */
/* Quality measures of a classifier's predictions: confusion, rates, ROC curve and its area. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "train/train.h"

#define MAX_CLASSES 64u /* the size of fdxi_metrics.confusion */

/* One row's score for the positive class, and whether the row is positive. */
struct scored {
    double score;
    bool positive;
};

/* Descending score; the order within equal scores does not matter, they are taken as a group. */
static int by_score_desc(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

/*
 * The rows sorted by class @p positive's score, highest first, with their positive and negative
 * counts. Returns 0, FDX_ENOMEM, or FDX_EINVAL when a score is NaN (it has no place in the
 * order).
 */
static int sort_scores(const int32_t *truth, const double *score, uint32_t n, uint32_t n_classes,
                       uint32_t positive, struct scored **ret, uint64_t *ret_pos, uint64_t *ret_neg)
{
    struct scored *v = malloc((size_t)n * sizeof(*v));
    if (v == NULL)
        return FDX_ENOMEM;
    uint64_t n_pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        v[i].score = score[(size_t)i * n_classes + positive];
        v[i].positive = truth[i] == (int32_t)positive;
        n_pos += v[i].positive ? 1 : 0;
        if (isnan(v[i].score)) {
            free(v);
            return FDX_EINVAL;
        }
    }
    qsort(v, n, sizeof(*v), by_score_desc);
    *ret = v;
    *ret_pos = n_pos;
    *ret_neg = n - n_pos;
    return 0;
}

/*
 * Area under the ROC curve of one class against the rest, by the Mann-Whitney count: the share
 * of (positive, negative) pairs where the positive scores higher, ties counting half. Twice the
 * count is an integer, so it is summed exactly. NaN when a side is empty or a score is NaN.
 */
static int auc_one(const int32_t *truth, const double *score, uint32_t n, uint32_t n_classes,
                   uint32_t positive, double *ret)
{
    struct scored *v;
    uint64_t n_pos, n_neg;
    int rc = sort_scores(truth, score, n, n_classes, positive, &v, &n_pos, &n_neg);
    if (rc == FDX_EINVAL) {
        *ret = NAN;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (n_pos == 0 || n_neg == 0) {
        free(v);
        *ret = NAN;
        return 0;
    }
    uint64_t twice = 0, neg_above = 0;
    for (uint32_t g = 0; g < n;) {
        uint64_t p = 0, q = 0;
        uint32_t e = g;
        while (e < n && v[e].score == v[g].score) {
            p += v[e].positive ? 1 : 0;
            q += v[e].positive ? 0 : 1;
            e++;
        }
        uint64_t below = n_neg - neg_above - q;
        twice += p * (2 * below + q);
        neg_above += q;
        g = e;
    }
    free(v);
    *ret = (double)twice / (2.0 * (double)n_pos * (double)n_neg);
    return 0;
}

/* Precision, recall and F1 of class c from the confusion matrix; 0 where a denominator is 0. */
static void class_rates(const struct fdxi_metrics *m, uint32_t c, double *p, double *r, double *f)
{
    uint64_t tp = m->confusion[c][c], pred_c = 0, true_c = 0;
    for (uint32_t k = 0; k < m->n_classes; k++) {
        pred_c += m->confusion[k][c];
        true_c += m->confusion[c][k];
    }
    *p = pred_c ? (double)tp / (double)pred_c : 0.0;
    *r = true_c ? (double)tp / (double)true_c : 0.0;
    *f = *p + *r > 0 ? 2.0 * *p * *r / (*p + *r) : 0.0;
}

int fdxi_metrics_compute(const int32_t *truth, const int32_t *pred, const double *score, uint32_t n,
                         uint32_t n_classes, struct fdxi_metrics *ret)
{
    struct fdxi_metrics *m;
    int rc;

    if (truth == NULL || pred == NULL || ret == NULL || n == 0 || n_classes < 2 ||
        n_classes > MAX_CLASSES)
        return FDX_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        if (truth[i] < 0 || (uint32_t)truth[i] >= n_classes || pred[i] < 0 ||
            (uint32_t)pred[i] >= n_classes)
            return FDX_EINVAL;
    }
    /* Built aside (32 KiB: not on the stack) so that *ret is untouched on failure. */
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return FDX_ENOMEM;
    m->n_classes = n_classes;
    uint64_t correct = 0;
    for (uint32_t i = 0; i < n; i++) {
        m->confusion[truth[i]][pred[i]]++;
        correct += truth[i] == pred[i] ? 1 : 0;
    }
    m->accuracy = (double)correct / n;

    if (n_classes == 2) {
        class_rates(m, 1, &m->precision, &m->recall, &m->f1);
        m->roc_auc = NAN;
        if (score != NULL && (rc = auc_one(truth, score, n, 2, 1, &m->roc_auc)) < 0)
            goto out;
    } else {
        /* Macro averages over the classes that occur in truth or predictions (scikit-learn's
         * default label set), so that a class absent from both does not count as a zero. */
        uint32_t present = 0;
        for (uint32_t c = 0; c < n_classes; c++) {
            uint64_t seen = 0;
            for (uint32_t k = 0; k < n_classes; k++)
                seen += m->confusion[c][k] + m->confusion[k][c];
            if (seen == 0)
                continue;
            double p, r, f;
            class_rates(m, c, &p, &r, &f);
            m->precision += p;
            m->recall += r;
            m->f1 += f;
            present++;
        }
        m->precision /= present;
        m->recall /= present;
        m->f1 /= present;
        /* One-vs-rest AUC per class, averaged; NaN (by propagation) when a class is absent. */
        double sum = 0;
        for (uint32_t c = 0; score != NULL && c < n_classes; c++) {
            double a;
            if ((rc = auc_one(truth, score, n, n_classes, c, &a)) < 0)
                goto out;
            sum += a;
        }
        m->roc_auc = score != NULL ? sum / n_classes : NAN;
    }
    memcpy(ret, m, sizeof(*m));
    rc = 0;
out:
    free(m);
    return rc;
}

uint32_t fdxi_roc_curve(const int32_t *truth, const double *score, uint32_t n, uint32_t n_classes,
                        uint32_t positive, struct fdxi_roc_point **ret_points)
{
    struct scored *v = NULL;
    struct fdxi_roc_point *pts = NULL;
    uint64_t n_pos = 0, n_neg = 0;
    uint32_t count = 0;

    if (ret_points == NULL)
        return 0;
    *ret_points = NULL;
    if (truth == NULL || score == NULL || n == 0 || n_classes < 2 || positive >= n_classes)
        return 0;
    if (sort_scores(truth, score, n, n_classes, positive, &v, &n_pos, &n_neg) < 0)
        return 0;
    /* Without both classes one of the rates has no denominator: there is no curve. */
    if (n_pos == 0 || n_neg == 0)
        goto out;
    /* At most one point per row, plus (0, 0). */
    pts = malloc(((size_t)n + 1) * sizeof(*pts));
    if (pts == NULL)
        goto out;
    pts[count++] = (struct fdxi_roc_point){0.0, 0.0};
    /* Lowering the threshold past each distinct score, highest first, admits its rows. */
    uint64_t tp = 0, fp = 0;
    for (uint32_t g = 0; g < n;) {
        uint32_t e = g;
        while (e < n && v[e].score == v[g].score) {
            tp += v[e].positive ? 1 : 0;
            fp += v[e].positive ? 0 : 1;
            e++;
        }
        pts[count++] = (struct fdxi_roc_point){(double)fp / n_neg, (double)tp / n_pos};
        g = e;
    }
    *ret_points = pts;
    pts = NULL;
out:
    free(v);
    free(pts);
    return *ret_points != NULL ? count : 0;
}
