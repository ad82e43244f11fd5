/* SPDX-License-Identifier: BSD-3-Clause */
/* Appends the rows of one labelled data set to another, matching columns and classes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "train/train.h"

int fdxi_class_map(const char *const *from, uint32_t n_from, const char *const *to,
                   uint32_t n_to, uint32_t *map, const char *source, const char *target,
                   char *err, size_t errlen)
{
    for (uint32_t c = 0; c < n_from; c++) {
        uint32_t k = 0;
        while (k < n_to && strcmp(from[c], to[k]) != 0)
            k++;
        if (k == n_to) {
            char *end;
            unsigned long v = strtoul(from[c], &end, 10);
            if (end != from[c] && *end == '\0' && v < n_to) {
                k = (uint32_t)v;
            } else if (n_to == 2) {
                k = fdxi_label_is_benign(from[c]) ? 0 : 1;
            } else {
                fdxi_set_err(err, errlen, "%s: class '%s' is not one of %s's classes", source,
                             from[c], target);
                return FDX_EINVAL;
            }
        }
        map[c] = k;
    }
    return 0;
}

int fdxi_dataset_append(struct fdxi_dataset *dst, const struct fdxi_dataset *src,
                        const char *src_name, char *err, size_t errlen)
{
    /* Columns: every one of dst's must be in src (src may have more, e.g. the per-direction
     * byte counts that corrected data-set rows no longer have). */
    uint32_t *col = malloc(dst->n_cols * sizeof(uint32_t));
    if (col == NULL)
        return FDX_ENOMEM;
    for (uint32_t j = 0; j < dst->n_cols; j++) {
        int k = fdxi_dataset_column(src, dst->col_names[j]);
        if (k < 0) {
            fdxi_set_err(err, errlen, "%s: no column '%s', which the first data file has", src_name,
                         dst->col_names[j]);
            free(col);
            return FDX_EINVAL;
        }
        col[j] = (uint32_t)k;
    }
    uint32_t cls[64];
    int rc = fdxi_class_map((const char *const *)src->class_names, src->n_classes,
                            (const char *const *)dst->class_names, dst->n_classes, cls, src_name,
                            "the first data file", err, errlen);
    if (rc < 0) {
        free(col);
        return rc;
    }
    size_t n = (size_t)dst->n_rows + src->n_rows;
    double *x = realloc(dst->x, n * dst->n_cols * sizeof(double));
    if (x == NULL) {
        free(col);
        return FDX_ENOMEM;
    }
    dst->x = x;
    int32_t *y = realloc(dst->y, n * sizeof(int32_t));
    if (y == NULL) {
        free(col);
        return FDX_ENOMEM;
    }
    dst->y = y;
    for (uint32_t i = 0; i < src->n_rows; i++) {
        double *row = dst->x + ((size_t)dst->n_rows + i) * dst->n_cols;
        for (uint32_t j = 0; j < dst->n_cols; j++)
            row[j] = src->x[(size_t)i * src->n_cols + col[j]];
        dst->y[dst->n_rows + i] = (int32_t)cls[src->y[i]];
    }
    dst->n_rows = (uint32_t)n;
    free(col);
    return 0;
}
