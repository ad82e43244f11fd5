/* SPDX-License-Identifier: BSD-3-Clause */
/* Reads CSV output of the flowdx command (or a CSV file) into a table of strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvtable.h"

#define LINE_BYTES 65536

static int split(char *line, char **out, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        out[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static struct table *read_table(FILE *fp)
{
    struct table *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    static char line[LINE_BYTES];
    assert_non_null(fgets(line, sizeof(line), fp));
    t->cols[0] = strdup(line);
    t->n_cols = split(t->cols[0], t->cols, CSVT_MAX_COLS);
    while (fgets(line, sizeof(line), fp) != NULL) {
        assert_true(t->n_rows < CSVT_MAX_ROWS);
        char *copy = strdup(line);
        int n = split(copy, t->rows[t->n_rows], CSVT_MAX_COLS);
        assert_int_equal(n, t->n_cols);
        t->n_rows++;
    }
    return t;
}

struct table *table_from_command(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct table *t = read_table(p);
    assert_int_equal(pclose(p), 0);
    return t;
}

struct table *table_from_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("%s: cannot open", path);
    struct table *t = read_table(fp);
    fclose(fp);
    return t;
}

void table_free(struct table *t)
{
    free(t->cols[0]);
    for (int r = 0; r < t->n_rows; r++)
        free(t->rows[r][0]);
    free(t);
}

int table_col(const struct table *t, const char *name)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (strcmp(t->cols[i], name) == 0)
            return i;
    }
    fail_msg("no column '%s'", name);
    return -1;
}

double table_num(const struct table *t, int row, const char *name)
{
    char *end;
    const char *s = t->rows[row][table_col(t, name)];
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        fail_msg("column %s: '%s' is not a number", name, s);
    return v;
}
