/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the SVG plots of training and evaluation. */
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

#endif /* FDX_LIB_TRAIN_SVG_H */
