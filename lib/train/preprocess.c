/* SPDX-License-Identifier: BSD-3-Clause */
/* Column preprocessing before training: NaN imputation, correlation filtering, standard scaling. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "train/train.h"

void fdxi_dataset_impute_nan(struct fdxi_dataset *ds, double value)
{
    size_t n = (size_t)ds->n_rows * ds->n_cols;
    for (size_t k = 0; k < n; k++) {
        if (isnan(ds->x[k]))
            ds->x[k] = value;
    }
}

/*
 * Pearson correlation of columns a and b over the rows where both are not NaN, in two passes
 * (means first) to avoid the cancellation of the one-pass sums. A column that is constant over
 * those rows, or fewer than two such rows, gives 0: there is no linear relation to measure.
 * Constancy is checked on the values themselves, because a computed mean of equal values need
 * not equal them exactly and would leave a tiny, meaningless variance.
 */
static double pearson(const double *x, uint32_t n_rows, uint32_t n_cols, uint32_t a, uint32_t b)
{
    double sa = 0, sb = 0;
    uint32_t n = 0;
    bool a_varies = false, b_varies = false;
    double a0 = 0, b0 = 0;
    for (uint32_t i = 0; i < n_rows; i++) {
        double va = x[(size_t)i * n_cols + a], vb = x[(size_t)i * n_cols + b];
        if (isnan(va) || isnan(vb))
            continue;
        if (n == 0) {
            a0 = va;
            b0 = vb;
        }
        a_varies |= va != a0;
        b_varies |= vb != b0;
        sa += va;
        sb += vb;
        n++;
    }
    if (n < 2 || !a_varies || !b_varies)
        return 0.0;
    double ma = sa / n, mb = sb / n;
    double sab = 0, saa = 0, sbb = 0;
    for (uint32_t i = 0; i < n_rows; i++) {
        double va = x[(size_t)i * n_cols + a], vb = x[(size_t)i * n_cols + b];
        if (isnan(va) || isnan(vb))
            continue;
        double da = va - ma, db = vb - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    /* Two square roots rather than one of the product, which could overflow. */
    double r = sab / (sqrt(saa) * sqrt(sbb));
    /* Rounding can carry |r| a hair past 1. */
    if (r > 1.0)
        r = 1.0;
    if (r < -1.0)
        r = -1.0;
    return r;
}

void fdxi_correlation(const struct fdxi_dataset *ds, double *corr)
{
    uint32_t m = ds->n_cols;
    for (uint32_t a = 0; a < m; a++) {
        /* 1 on the diagonal, except for a constant column, which correlates 0 with everything. */
        corr[(size_t)a * m + a] = pearson(ds->x, ds->n_rows, m, a, a) != 0 ? 1.0 : 0.0;
        for (uint32_t b = a + 1; b < m; b++) {
            double r = pearson(ds->x, ds->n_rows, m, a, b);
            corr[(size_t)a * m + b] = r;
            corr[(size_t)b * m + a] = r;
        }
    }
}

uint32_t fdxi_correlation_filter(const double *corr, uint32_t n_cols, double threshold, bool *keep)
{
    uint32_t kept = 0;
    for (uint32_t j = 0; j < n_cols; j++) {
        keep[j] = true;
        /* Every earlier column counts, dropped or not: the seed's upper-triangle rule. */
        for (uint32_t i = 0; i < j; i++) {
            if (fabs(corr[(size_t)i * n_cols + j]) > threshold) {
                keep[j] = false;
                break;
            }
        }
        kept += keep[j] ? 1 : 0;
    }
    return kept;
}

/*
 * scikit-learn's test for a constant feature (sklearn.preprocessing._data._is_constant_feature):
 * a variance within the rounding error of its own computation is zero.
 */
static bool is_constant(double var, double mean, uint32_t n)
{
    double bound = n * DBL_EPSILON * var + (n * mean * DBL_EPSILON) * (n * mean * DBL_EPSILON);
    return var <= bound;
}

int fdxi_scaler_fit(struct fdxi_scaler *s, const double *x, uint32_t n_rows, uint32_t n_cols)
{
    double *mean = NULL, *scale = NULL;
    int rc;

    if (s == NULL || x == NULL || n_rows == 0 || n_cols == 0)
        return FDX_EINVAL;
    mean = calloc(n_cols, sizeof(*mean));
    scale = calloc(n_cols, sizeof(*scale));
    if (mean == NULL || scale == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    /* NaN cells are left out of the fit (and stay NaN when applied), as in scikit-learn. */
    for (uint32_t j = 0; j < n_cols; j++) {
        double sum = 0;
        uint32_t n = 0;
        for (uint32_t i = 0; i < n_rows; i++) {
            double v = x[(size_t)i * n_cols + j];
            if (!isnan(v)) {
                sum += v;
                n++;
            }
        }
        if (n == 0) {
            mean[j] = 0.0;
            scale[j] = 1.0;
            continue;
        }
        double m = sum / n, ss = 0;
        for (uint32_t i = 0; i < n_rows; i++) {
            double v = x[(size_t)i * n_cols + j];
            if (!isnan(v))
                ss += (v - m) * (v - m);
        }
        double var = ss / n; /* population variance (ddof 0) */
        mean[j] = m;
        scale[j] = is_constant(var, m, n) ? 1.0 : sqrt(var);
    }
    s->n_cols = n_cols;
    s->mean = mean;
    s->scale = scale;
    mean = NULL;
    scale = NULL;
    rc = 0;
out:
    free(mean);
    free(scale);
    return rc;
}

void fdxi_scaler_apply(const struct fdxi_scaler *s, double *row)
{
    for (uint32_t j = 0; j < s->n_cols; j++)
        row[j] = (row[j] - s->mean[j]) / s->scale[j];
}

void fdxi_scaler_fini(struct fdxi_scaler *s)
{
    if (s == NULL)
        return;
    free(s->mean);
    free(s->scale);
    memset(s, 0, sizeof(*s));
}
