/* SPDX-License-Identifier: BSD-3-Clause */
/* Appends the rows of one labelled data set to another, matching columns and classes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"
#include "train/train.h"

/* The target's classes as "ham, spam" for a message (shortened with "..." when long). */
static void class_list(const char *const *to, uint32_t n_to, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < n_to; k++)
        used = fdxi_appendf(buf, len, used, "%s%s", k ? ", " : "", to[k]);
    if (used >= len) /* cut short */
        snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
}

/* Whether a target names its two classes only by their numbers, "0" and "1" (as the DoH data
 * set's labels do): it has no names that another spelling could fail to match. */
static bool numbered_pair(const char *const *to, uint32_t n_to)
{
    return n_to == 2 && strcmp(to[0], "0") == 0 && strcmp(to[1], "1") == 0;
}

int fdxi_class_map(const char *const *from, uint32_t n_from, const uint64_t *from_line,
                   const char *const *to, uint32_t n_to, uint32_t *map, const char *source,
                   const char *target, char *err, size_t errlen)
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
            } else if (n_to == 2 && fdxi_label_is_benign(from[c]) && fdxi_label_is_benign(to[0])) {
                k = 0; /* two spellings of benign: "Benign" rows are "ham" */
            } else if (numbered_pair(to, n_to)) {
                k = fdxi_label_is_benign(from[c]) ? 0 : 1; /* "malicious" rows are "1" */
            } else {
                /* A name the target does not have is never guessed: "HAM" is not "ham". */
                char names[256];
                class_list(to, n_to, names, sizeof(names));
                if (from_line != NULL && from_line[c] != 0)
                    fdxi_set_err(err, errlen, "%s:%llu: label '%s' is not a class of %s (%s)",
                                 source, (unsigned long long)from_line[c], from[c], target, names);
                else
                    fdxi_set_err(err, errlen, "%s: label '%s' is not a class of %s (%s)", source,
                                 from[c], target, names);
                return FDX_EFORMAT;
            }
        }
        map[c] = k;
    }
    return 0;
}

int fdxi_dataset_class_map(const struct fdxi_dataset *src, const char *const *to, uint32_t n_to,
                           uint32_t *map, const char *source, const char *target, char *err,
                           size_t errlen)
{
    uint64_t first[FDXI_MODEL_MAX_CLASSES];
    fdxi_dataset_class_lines(src, first);
    return fdxi_class_map((const char *const *)src->class_names, src->n_classes, first, to, n_to,
                          map, source, target, err, errlen);
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
            fdxi_set_err(err, errlen, "%s:%llu: no column '%s', which the first data file has",
                         src_name, (unsigned long long)src->header_line, dst->col_names[j]);
            free(col);
            return FDX_EFORMAT;
        }
        col[j] = (uint32_t)k;
    }
    uint32_t cls[FDXI_MODEL_MAX_CLASSES];
    int rc = fdxi_dataset_class_map(src, (const char *const *)dst->class_names, dst->n_classes, cls,
                                    src_name, "the first data file", err, errlen);
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
    if (dst->row_line != NULL) { /* each row keeps the line of its own file */
        uint64_t *line = realloc(dst->row_line, n * sizeof(uint64_t));
        if (line == NULL) {
            free(col);
            return FDX_ENOMEM;
        }
        dst->row_line = line;
    }
    for (uint32_t i = 0; i < src->n_rows; i++) {
        double *row = dst->x + ((size_t)dst->n_rows + i) * dst->n_cols;
        for (uint32_t j = 0; j < dst->n_cols; j++)
            row[j] = src->x[(size_t)i * src->n_cols + col[j]];
        dst->y[dst->n_rows + i] = (int32_t)cls[src->y[i]];
        if (dst->row_line != NULL)
            dst->row_line[dst->n_rows + i] = src->row_line != NULL ? src->row_line[i] : 0;
    }
    dst->n_rows = (uint32_t)n;
    free(col);
    return 0;
}
