/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the SVG plots of training, evaluation and the analyses. */
#ifndef FDX_LIB_TRAIN_SVG_H
#define FDX_LIB_TRAIN_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "train/train.h"

/*
 * A correlation heatmap of n columns (corr is n * n, row-major, values in [-1, 1] or NaN) with
 * the column names on both axes, a diverging colour scale with its legend, the value printed in
 * each cell when n is small enough to read it, and the title. Columns with mark[j] true (may be
 * NULL) are flagged (e.g. the ones the filter drops). Written to path (temporary name, then
 * renamed). Returns 0 or FDX_E* with a message naming the file.
 */
int fdxi_svg_heatmap(const char *path, const char *title, const double *corr, uint32_t n,
                     const char *const *names, const bool *mark, char *err, size_t errlen);

/* One ROC curve: its label (e.g. "forest (AUC 0.997)"), points from (0,0) to (1,1). */
struct fdxi_svg_curve {
    const char *label;
    const struct fdxi_roc_point *points;
    uint32_t n_points;
};

/*
 * ROC curves of several models on one plot: axes from 0 to 1 with ticks and labels
 * ("false positive rate", "true positive rate"), the chance diagonal, one colour per curve
 * (distinguishable, also in print: vary dash patterns too), a legend, the title. Many points
 * per curve (tens of thousands) must stay a reasonable file size (merge collinear points or
 * thin to screen resolution). Written like fdxi_svg_heatmap().
 */
int fdxi_svg_roc(const char *path, const char *title, const struct fdxi_svg_curve *curves,
                 uint32_t n_curves, char *err, size_t errlen);

/* ---- charts of the analyses (svgplot.c); each is written like fdxi_svg_heatmap() ---- */

/*
 * A horizontal bar chart: one bar per name, in the order given (top to bottom), values finite and
 * >= 0 on an axis from 0 with "nice" ticks, each bar labelled with its value; @p axis_label under
 * the axis (may be NULL), @p subtitle under the title (may be NULL).
 */
int fdxi_svg_bars(const char *path, const char *title, const char *subtitle,
                  const char *const *names, const double *values, uint32_t n,
                  const char *axis_label, char *err, size_t errlen);

/* One line of a line chart: a value per x position, NaN for none (the line breaks there). */
struct fdxi_svg_series {
    const char *label;
    const double *y;
};

/* What a line chart shows. */
struct fdxi_svg_lines {
    const char *title, *subtitle; /**< subtitle may be NULL */
    const char *x_label;          /**< with numeric x only; may be NULL */
    const char *y_label;          /**< may be NULL */
    const double *x;              /**< n_x finite x values, or NULL for x_names */
    const char *const *x_names;   /**< n_x names, evenly spaced and slanted (when x is NULL) */
    uint32_t n_x;
    const struct fdxi_svg_series *series;
    uint32_t n_series;
    uint32_t mark;          /**< x position marked by a dashed vertical line, or UINT32_MAX */
    const char *mark_label; /**< text beside the mark (may be NULL) */
    double y_min, y_max;    /**< the y range to show at least; NaN: the data's */
};

/* Lines over numbers or names, with points, a legend and the optional mark. */
int fdxi_svg_lines(const char *path, const struct fdxi_svg_lines *p, char *err, size_t errlen);

/* One panel of the density chart: a feature and its normal density in each group. */
struct fdxi_svg_density_panel {
    const char *name;
    const double *mean; /**< n_groups means */
    const double *sd;   /**< n_groups standard deviations (0: a spike at the mean) */
};

/*
 * Normal density curves: one panel per feature (two per row), one curve per group in each,
 * over every group's mean +- 4 standard deviations, and a legend of the groups.
 */
int fdxi_svg_densities(const char *path, const char *title, const char *subtitle,
                       const struct fdxi_svg_density_panel *panels, uint32_t n_panels,
                       const char *const *group_names, uint32_t n_groups, char *err, size_t errlen);

#endif /* FDX_LIB_TRAIN_SVG_H */
