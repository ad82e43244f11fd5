/* SPDX-License-Identifier: BSD-3-Clause */
/* CSV tables read from a command's output or a file, for the golden suites. */
#ifndef FDX_TEST_CSVTABLE_H
#define FDX_TEST_CSVTABLE_H

#define CSVT_MAX_COLS 512
#define CSVT_MAX_ROWS 1024

/* A header and rows of unquoted comma-separated fields. */
struct table {
    int n_cols;
    int n_rows;
    char *cols[CSVT_MAX_COLS];
    char *rows[CSVT_MAX_ROWS][CSVT_MAX_COLS];
};

/* Run a shell command and read its standard output as a table; the command must exit 0. */
struct table *table_from_command(const char *cmd);
/* Read a CSV file as a table. */
struct table *table_from_file(const char *path);
void table_free(struct table *t);

/* Index of column @p name (fails the test when absent). */
int table_col(const struct table *t, const char *name);
/* Field of @p row under column @p name as a number (fails the test when it is not one). */
double table_num(const struct table *t, int row, const char *name);

#endif /* FDX_TEST_CSVTABLE_H */
