/* SPDX-License-Identifier: BSD-3-Clause */
/* The charts of the analyses: importance bars, the cost per k, subclass profiles and densities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analysis.h"
#include "core/err.h"
#include "flowdx/flowdx.h"
#include "train/svg.h"
#include "train/svgdoc.h"

/* The public limit is the charts' own: one line style per subclass. */
_Static_assert(FDX_ANALYSIS_SVG_MAX_SUBCLASSES == FDXI_SVG_MAX_STROKES,
               "the subclass limit of flowdx_analysis.h is the number of line styles");

#define DEFAULT_DENSITY_FEATURES 4u

static int importance_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen)
{
    const struct source *s = &a->src[0];
    uint32_t d = s->ds.n_cols, n = a->o.top > 0 && a->o.top < d ? a->o.top : d;
    const char **names = malloc(n * sizeof(*names));
    double *v = malloc(n * sizeof(*v));
    int rc = FDX_ENOMEM;
    if (names == NULL || v == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (uint32_t r = 0; r < n; r++) {
        names[r] = s->ds.col_names[s->g.order[r]];
        v[r] = s->g.imp100[s->g.order[r]];
    }
    char subtitle[160];
    snprintf(subtitle, sizeof(subtitle), "CART tree (Gini) on %u rows: %u %s, depth %u%s",
             s->ds.n_rows, s->g.leaves, s->g.leaves == 1 ? "leaf" : "leaves", s->g.depth,
             n < d ? "; the top features" : "");
    rc = fdxi_svg_bars(path, "Gini importance of the features", subtitle, names, v, n,
                       "importance (largest = 100)", err, errlen);
out:
    free(names);
    free(v);
    return rc;
}

/* PREFIX + suffix into buf; false (with the message) when it does not fit. */
static bool join(char *buf, size_t len, const char *prefix, const char *suffix, char *err,
                 size_t errlen)
{
    int n = snprintf(buf, len, "%s%s", prefix, suffix);
    if (n < 0 || (size_t)n >= len) {
        fdxi_set_err(err, errlen, "%s: path too long", prefix);
        return false;
    }
    return true;
}

static int cv_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen)
{
    uint32_t nk = a->o.k_max - a->o.k_min + 1;
    double *x = malloc(nk * sizeof(*x));
    if (x == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        return FDX_ENOMEM;
    }
    for (uint32_t i = 0; i < nk; i++)
        x[i] = a->o.k_min + i;
    char subtitle[200], mark[64];
    snprintf(subtitle, sizeof(subtitle),
             "class '%.64s', %u rows; %u-fold cross-validation; k = smallest after which the "
             "cost falls by less than %g%%",
             a->class_name, a->n_rows, a->o.folds, 100.0 * a->o.min_decrease);
    snprintf(mark, sizeof(mark), "chosen k = %u", a->k);
    struct fdxi_svg_series series = {.label = "cross-validated cost", .y = a->cv_cost};
    struct fdxi_svg_lines p = {.title = "k-means: cross-validated cost per number of clusters",
                               .subtitle = subtitle,
                               .x_label = "k (number of clusters)",
                               .y_label = "mean squared distance (standardised)",
                               .x = x,
                               .n_x = nk,
                               .series = &series,
                               .n_series = 1,
                               .mark = a->k - a->o.k_min,
                               .mark_label = mark,
                               .y_min = 0,
                               .y_max = NAN};
    int rc = fdxi_svg_lines(path, &p, err, errlen);
    free(x);
    return rc;
}

/* "subclass 1 (120 rows)" labels of the subclasses, in one allocation (caller frees both). */
static char **group_labels(const struct fdx_analysis *a)
{
    char **labels = calloc(a->k, sizeof(*labels));
    char *text = malloc((size_t)a->k * 48);
    if (labels == NULL || text == NULL) {
        free(labels);
        free(text);
        return NULL;
    }
    for (uint32_t c = 0; c < a->k; c++) {
        labels[c] = text + (size_t)c * 48;
        snprintf(labels[c], 48, "subclass %u (%u rows)", c + 1, a->prof.size[c]);
    }
    return labels;
}

static int profiles_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen)
{
    const struct fdxi_dataset *ds = &a->src[0].ds;
    uint32_t d = ds->n_cols;
    struct fdxi_svg_series *series = calloc(a->k, sizeof(*series));
    char **labels = group_labels(a);
    int rc = FDX_ENOMEM;
    if (series == NULL || labels == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (uint32_t c = 0; c < a->k; c++)
        series[c] =
            (struct fdxi_svg_series){.label = labels[c], .y = a->prof.norm_mean + (size_t)c * d};
    char subtitle[200];
    snprintf(subtitle, sizeof(subtitle),
             "class '%.64s', %u rows; each feature scaled to 0..1 by its minimum and maximum over "
             "the class",
             a->class_name, a->n_rows);
    struct fdxi_svg_lines p = {.title = "Normalised feature averages per subclass",
                               .subtitle = subtitle,
                               .y_label = "normalised average",
                               .x_names = (const char *const *)ds->col_names,
                               .n_x = d,
                               .series = series,
                               .n_series = a->k,
                               .mark = UINT32_MAX,
                               .y_min = 0,
                               .y_max = 1};
    rc = fdxi_svg_lines(path, &p, err, errlen);
out:
    free(series);
    if (labels != NULL)
        free(labels[0]);
    free(labels);
    return rc;
}

static int densities_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen)
{
    const struct fdxi_dataset *ds = &a->src[0].ds;
    uint32_t d = ds->n_cols, want = a->o.top > 0 ? a->o.top : DEFAULT_DENSITY_FEATURES;
    uint32_t n = want < d ? want : d;
    struct fdxi_svg_density_panel *panels = calloc(n, sizeof(*panels));
    double *mean = malloc((size_t)n * a->k * sizeof(double));
    double *sd = malloc((size_t)n * a->k * sizeof(double));
    char **labels = group_labels(a);
    int rc = FDX_ENOMEM;
    if (panels == NULL || mean == NULL || sd == NULL || labels == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    /* The features the subclass tree relies on most (by column order when it has no split). */
    for (uint32_t r = 0; r < n; r++) {
        uint32_t j = a->sub.order[r];
        for (uint32_t c = 0; c < a->k; c++) {
            mean[(size_t)r * a->k + c] = a->prof.mean[(size_t)c * d + j];
            sd[(size_t)r * a->k + c] = a->prof.sd[(size_t)c * d + j];
        }
        panels[r] = (struct fdxi_svg_density_panel){
            .name = ds->col_names[j], .mean = mean + (size_t)r * a->k, .sd = sd + (size_t)r * a->k};
    }
    char subtitle[200];
    snprintf(subtitle, sizeof(subtitle),
             "class '%.64s': normal densities with each subclass's mean and standard deviation; "
             "the %u features most important in separating the subclasses",
             a->class_name, n);
    rc = fdxi_svg_densities(path, "Feature densities per subclass", subtitle, panels, n,
                            (const char *const *)labels, a->k, err, errlen);
out:
    free(panels);
    free(mean);
    free(sd);
    if (labels != NULL)
        free(labels[0]);
    free(labels);
    return rc;
}

static int subclasses_svg(const struct fdx_analysis *a, const char *prefix, char *err,
                          size_t errlen)
{
    char path[4096];
    int rc;
    if (!join(path, sizeof(path), prefix, "-cv.svg", err, errlen))
        return FDX_EINVAL;
    if ((rc = cv_svg(a, path, err, errlen)) < 0)
        return rc;
    if (!join(path, sizeof(path), prefix, "-profiles.svg", err, errlen))
        return FDX_EINVAL;
    if ((rc = profiles_svg(a, path, err, errlen)) < 0)
        return rc;
    if (!join(path, sizeof(path), prefix, "-densities.svg", err, errlen))
        return FDX_EINVAL;
    return densities_svg(a, path, err, errlen);
}

int fdxi_analysis_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen)
{
    if (a == NULL || path == NULL) {
        fdxi_set_err(err, errlen, "analysis chart: no analysis or path");
        return FDX_EINVAL;
    }
    switch (a->kind) {
    case KIND_IMPORTANCE:
        return importance_svg(a, path, err, errlen);
    case KIND_SUBCLASSES:
        return subclasses_svg(a, path, err, errlen);
    case KIND_UNIVERSAL:
    case KIND_TREE:
    case KIND_RULES:
        break;
    }
    fdxi_set_err(err, errlen, "%s: this analysis has no chart", path);
    return FDX_ENOTSUP;
}
