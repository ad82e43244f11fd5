/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the training unit tests (train_util.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowdx/flowdx.h"
#include "train/train.h"
#include "train_util.h"

/* Write @p text to a new temporary file whose path goes into @p path. */
void tu_write_temp(const char *text, char *path, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/fdx_train_XXXXXX", dir != NULL && *dir != '\0' ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

/*
 * Read @p text as a CSV file with options @p o. The file's path is left in @p path (for
 * expected messages), the message in @p err. The file is removed before returning.
 */
int tu_read_text(const char *text, const struct fdxi_csv_options *o, struct fdxi_dataset *ds,
                 char *path, size_t path_len, char *err, size_t err_len)
{
    tu_write_temp(text, path, path_len);
    err[0] = '\0';
    int rc = fdxi_dataset_read_csv(path, o, ds, err, err_len);
    unlink(path);
    return rc;
}

/* Read @p text that must fail with @p want_rc; the message must be "<path>:<want_msg>". */
void tu_expect_error(const char *text, const struct fdxi_csv_options *o, int want_rc,
                     const char *want_msg)
{
    char path[256], err[512], want[800];
    struct fdxi_dataset ds, untouched;
    memset(&ds, 0xAB, sizeof(ds));
    memcpy(&untouched, &ds, sizeof(ds));
    int rc = tu_read_text(text, o, &ds, path, sizeof(path), err, sizeof(err));
    assert_int_equal(rc, want_rc);
    snprintf(want, sizeof(want), "%s:%s", path, want_msg);
    assert_string_equal(err, want);
    /* Outputs are untouched on failure. */
    assert_memory_equal(&ds, &untouched, sizeof(ds));
}

double tu_cell(const struct fdxi_dataset *ds, uint32_t row, const char *col)
{
    int j = fdxi_dataset_column(ds, col);
    assert_true(j >= 0);
    return ds->x[(size_t)row * ds->n_cols + (uint32_t)j];
}

void tu_assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* The 29 feature columns of CIRA-CIC-DoHBrw-2020, in its order: the header of its CSVs, which
 * DoHLyzer's meter writes (github.com/ahlashkari/DoHLyzer, commit 9edd64a). */
const char *const tu_doh_names[29] = {
    "Duration",
    "FlowBytesSent",
    "FlowSentRate",
    "FlowBytesReceived",
    "FlowReceivedRate",
    "PacketLengthVariance",
    "PacketLengthStandardDeviation",
    "PacketLengthMean",
    "PacketLengthMedian",
    "PacketLengthMode",
    "PacketLengthSkewFromMedian",
    "PacketLengthSkewFromMode",
    "PacketLengthCoefficientofVariation",
    "PacketTimeVariance",
    "PacketTimeStandardDeviation",
    "PacketTimeMean",
    "PacketTimeMedian",
    "PacketTimeMode",
    "PacketTimeSkewFromMedian",
    "PacketTimeSkewFromMode",
    "PacketTimeCoefficientofVariation",
    "ResponseTimeTimeVariance",
    "ResponseTimeTimeStandardDeviation",
    "ResponseTimeTimeMean",
    "ResponseTimeTimeMedian",
    "ResponseTimeTimeMode",
    "ResponseTimeTimeSkewFromMedian",
    "ResponseTimeTimeSkewFromMode",
    "ResponseTimeTimeCoefficientofVariation",
};
