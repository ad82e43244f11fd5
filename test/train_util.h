/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the training unit tests: temporary CSV files, cells, tolerances. */
#ifndef FDX_TEST_TRAIN_UTIL_H
#define FDX_TEST_TRAIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "train/train.h"

/* Write @p text to a new temporary file whose path goes into @p path. */
void tu_write_temp(const char *text, char *path, size_t len);
/* Read @p text as a CSV file with options @p o; the path is left in @p path, the message in
 * @p err; the file is removed before returning. */
int tu_read_text(const char *text, const struct fdxi_csv_options *o, struct fdxi_dataset *ds,
                 char *path, size_t path_len, char *err, size_t err_len);
/* Read @p text that must fail with @p want_rc and the message "<path>:<want_msg>". */
void tu_expect_error(const char *text, const struct fdxi_csv_options *o, int want_rc,
                     const char *want_msg);
/* The value of column @p col in row @p row. */
double tu_cell(const struct fdxi_dataset *ds, uint32_t row, const char *col);
/* Fails unless |got - want| <= tol. */
void tu_assert_close(double got, double want, double tol);

/* The 29 feature columns of CIRA-CIC-DoHBrw-2020, in the data set's order. */
extern const char *const tu_doh_names[29];

#endif
