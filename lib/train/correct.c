/* SPDX-License-Identifier: BSD-3-Clause */
/* The DoH data set's link-header correction, from frame-length space to IP-length space. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "flowdx/flowdx.h"
#include "train/train.h"

/* Columns the correction reads or rewrites; every one must be present. */
enum { MEAN, MEDIAN, MODE, STD, COV, N_NEEDED };
static const char *const needed[N_NEEDED] = {
    [MEAN] = "PacketLengthMean",
    [MEDIAN] = "PacketLengthMedian",
    [MODE] = "PacketLengthMode",
    [STD] = "PacketLengthStandardDeviation",
    [COV] = "PacketLengthCoefficientofVariation",
};

/*
 * Per-direction byte counts and rates: their split between directions cannot be corrected
 * (shared spec doh.md, "Two confounds"), so they leave the table. Absent ones (already removed,
 * or never there) are no error.
 */
static const char *const removed[] = {
    "FlowBytesSent",
    "FlowSentRate",
    "FlowBytesReceived",
    "FlowReceivedRate",
};

/* The corrected length of a bare ACK padded to a 60-byte Ethernet frame, and its IP length. */
#define PADDED_ACK_BYTES 46.0
#define BARE_ACK_BYTES 40.0

int fdxi_dataset_header_correct(struct fdxi_dataset *ds, const double *header_bytes,
                                bool map_padding, char *err, size_t errlen)
{
    int col[N_NEEDED];
    bool *keep = NULL;
    int rc;

    if (ds == NULL || header_bytes == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "header correction: no data set or header lengths given");
        return FDX_EINVAL;
    }
    /* Check everything before changing anything, so a failure leaves the table as it was. */
    for (int k = 0; k < N_NEEDED; k++) {
        col[k] = fdxi_dataset_column(ds, needed[k]);
        if (col[k] < 0) {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen, "header correction: no column '%s'", needed[k]);
            return FDX_ENOENT;
        }
    }
    for (uint32_t c = 0; c < ds->n_classes; c++) {
        if (!isfinite(header_bytes[c]) || header_bytes[c] < 0) {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen, "header correction: class '%s': header length %g",
                         ds->class_names[c], header_bytes[c]);
            return FDX_EINVAL;
        }
    }
    keep = malloc(ds->n_cols * sizeof(*keep));
    if (keep == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }

    for (uint32_t i = 0; i < ds->n_rows; i++) {
        double *row = ds->x + (size_t)i * ds->n_cols;
        double h = header_bytes[ds->y[i]];
        row[col[MEAN]] -= h;
        row[col[MEDIAN]] -= h;
        row[col[MODE]] -= h;
        if (map_padding) {
            if (row[col[MEDIAN]] == PADDED_ACK_BYTES)
                row[col[MEDIAN]] = BARE_ACK_BYTES;
            if (row[col[MODE]] == PADDED_ACK_BYTES)
                row[col[MODE]] = BARE_ACK_BYTES;
        }
        /* The dataset's own sentinel for a zero mean (shared spec doh.md, Definitions). */
        double mean = row[col[MEAN]];
        row[col[COV]] = mean == 0 ? -1.0 : row[col[STD]] / mean;
    }

    for (uint32_t j = 0; j < ds->n_cols; j++)
        keep[j] = true;
    for (size_t k = 0; k < sizeof(removed) / sizeof(removed[0]); k++) {
        int j = fdxi_dataset_column(ds, removed[k]);
        if (j >= 0)
            keep[j] = false;
    }
    /* The five needed columns stay, so the selection is never empty and cannot fail. */
    rc = fdxi_dataset_select(ds, keep);
out:
    free(keep);
    return rc;
}
