/* SPDX-License-Identifier: BSD-3-Clause */
/* Labelled data sets: their life cycle from a CSV file to column selection and release. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"
#include "train/train.h"

#define DEFAULT_MAX_LINE_BYTES (1u << 20)
#define DEFAULT_MAX_ROWS 10000000u
/* Header columns, identifiers and label included; feature columns are limited by the models. */
#define MAX_COLUMNS (FDXI_MODEL_MAX_FEATURES + 64u)
#define MAX_LABEL_BYTES 256u
#define CELL_SHOWN 64u /* bytes of a bad cell quoted in a message */
#define READ_CHUNK_BYTES 65536u

/*
 * Columns that identify a flow instead of describing it: the CIRA-CIC-DoHBrw-2020 ones, and those
 * of `flowdx extract` (fdxi_is_id_column). They would let a model recognise the capture set-up
 * (shared spec doh.md, "Disjoint campaigns"), so they never become features.
 */
static const char *const identifier_columns[] = {
    "SourceIP", "DestinationIP", "SourcePort", "DestinationPort", "TimeStamp",
};

/* Label columns looked for, in this order, when the options name none. */
static const char *const label_columns[] = {"Label", "label", "DoH", "class"};

/* Labels of the negative (benign) class; they sort before every other label. */
static const char *const negative_labels[] = {
    "0", "Benign", "benign", "BENIGN", "NonDoH", "ham", "Ham",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reading records ---- */

/* A buffered byte source that counts lines and remembers a read error. */
struct source {
    FILE *f;
    unsigned char buf[READ_CHUNK_BYTES];
    size_t pos;
    size_t len;
    int io_errno; /* errno of a failed read, 0 until then */
};

/* The next byte, or -1 at the end of the file (or after a read error, see io_errno). */
static int next_byte(struct source *s)
{
    if (s->pos == s->len) {
        errno = 0;
        s->len = fread(s->buf, 1, sizeof(s->buf), s->f);
        s->pos = 0;
        if (s->len == 0) {
            if (ferror(s->f))
                s->io_errno = errno != 0 ? errno : EIO;
            return -1;
        }
    }
    return s->buf[s->pos++];
}

static int peek_byte(struct source *s)
{
    int c = next_byte(s);
    if (c >= 0)
        s->pos--;
    return c;
}

/*
 * One record split into fields. Field k is the NUL-terminated string at text + start[k].
 * Storage is reused from record to record.
 */
struct record {
    char *text;
    size_t text_len;
    size_t text_cap;
    size_t *start;
    size_t n_fields;
    size_t fields_cap;
};

static int push_char(struct record *r, char c)
{
    if (r->text_len == r->text_cap) {
        size_t cap = r->text_cap ? r->text_cap * 2 : 4096;
        char *t = realloc(r->text, cap);
        if (t == NULL)
            return FDX_ENOMEM;
        r->text = t;
        r->text_cap = cap;
    }
    r->text[r->text_len++] = c;
    return 0;
}

/* End the current field and start the next one. */
static int push_field_end(struct record *r)
{
    int rc = push_char(r, '\0');
    if (rc < 0)
        return rc;
    if (r->n_fields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 64;
        size_t *t = realloc(r->start, cap * sizeof(*t));
        if (t == NULL)
            return FDX_ENOMEM;
        r->start = t;
        r->fields_cap = cap;
    }
    r->start[r->n_fields++] = r->text_len;
    return 0;
}

static const char *field(const struct record *r, size_t k)
{
    return r->text + r->start[k];
}

/* What read_record found. */
enum record_status { RECORD_OK, RECORD_BLANK, RECORD_EOF };

/*
 * Read one record. Quoted fields may hold commas, doubled quotes and line breaks; a record ends
 * at LF, CRLF or a lone CR outside quotes. @p line is the record's first line on entry and the
 * line after it on return. A record of more than max_bytes bytes (its terminator not counted)
 * is an error.
 */
static int read_record(struct source *s, struct record *r, uint64_t *line, uint32_t max_bytes,
                       const char *path, enum record_status *status, char *err, size_t errlen)
{
    const uint64_t first_line = *line;
    size_t raw = 0;
    bool quoted = false;      /* inside a quoted field */
    bool after_quote = false; /* a quoted field closed; only a separator may follow */
    bool field_started = false;
    int rc;

    r->text_len = 0;
    r->n_fields = 0;
    r->start[r->n_fields++] = 0;
    for (;;) {
        int c = next_byte(s);
        if (c < 0) {
            if (s->io_errno != 0) {
                fdxi_set_err(err, errlen, "%s:%llu: %s", path, (unsigned long long)*line,
                             strerror(s->io_errno));
                return FDX_EIO;
            }
            if (quoted) {
                fdxi_set_err(err, errlen, "%s:%llu: quoted field not closed at the end of the file",
                             path, (unsigned long long)first_line);
                return FDX_ETRUNC;
            }
            if (raw == 0) {
                *status = RECORD_EOF;
                return 0;
            }
            break;
        }
        if (c == '\0') {
            fdxi_set_err(err, errlen, "%s:%llu: NUL byte (not a text file)", path,
                         (unsigned long long)*line);
            return FDX_EFORMAT;
        }
        if (!quoted && (c == '\n' || c == '\r')) {
            if (c == '\r' && peek_byte(s) == '\n')
                next_byte(s);
            (*line)++;
            break;
        }
        /* A doubled quote inside quotes is two bytes of the line. */
        bool doubled = quoted && c == '"' && peek_byte(s) == '"';
        raw += doubled ? 2 : 1;
        if (raw > max_bytes) {
            fdxi_set_err(err, errlen, "%s:%llu: line longer than %u bytes", path,
                         (unsigned long long)first_line, max_bytes);
            return FDX_ERANGE;
        }
        if (quoted) {
            if (c == '"') {
                if (doubled) {
                    next_byte(s);
                } else {
                    quoted = false;
                    after_quote = true;
                    continue;
                }
            } else if (c == '\n') {
                (*line)++;
            }
            if ((rc = push_char(r, (char)c)) < 0)
                return rc;
            continue;
        }
        if (c == ',') {
            if ((rc = push_field_end(r)) < 0)
                return rc;
            after_quote = false;
            field_started = false;
            continue;
        }
        if (after_quote) {
            fdxi_set_err(err, errlen, "%s:%llu: field %zu: text after a closing quote", path,
                         (unsigned long long)first_line, r->n_fields);
            return FDX_EFORMAT;
        }
        if (c == '"') {
            if (field_started) {
                fdxi_set_err(err, errlen, "%s:%llu: field %zu: quote inside an unquoted field",
                             path, (unsigned long long)first_line, r->n_fields);
                return FDX_EFORMAT;
            }
            quoted = true;
            field_started = true;
            continue;
        }
        field_started = true;
        if ((rc = push_char(r, (char)c)) < 0)
            return rc;
    }
    if ((rc = push_char(r, '\0')) < 0)
        return rc;
    *status = raw == 0 ? RECORD_BLANK : RECORD_OK;
    return 0;
}

/* ---- cells ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Strip spaces and tabs at both ends, in place. */
static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/*
 * A feature cell: empty, "NaN" and "nan" are NaN; otherwise a decimal number as strtod reads
 * it (so "inf" and "-inf" are infinities). Hexadecimal and overflowing numbers are refused:
 * other readers of the same file (pandas) would not see them as these numbers.
 */
static bool parse_cell(char *cell, double *ret)
{
    char *s = trim(cell);
    if (*s == '\0' || strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0) {
        *ret = NAN;
        return true;
    }
    if (strpbrk(s, "xX") != NULL)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return false;
    if (errno == ERANGE && isinf(v))
        return false;
    *ret = v;
    return true;
}

/* ---- building the data set ---- */

/* Distinct labels in order of first appearance; rows hold indices into it until the end. */
struct labels {
    char *name[FDXI_MODEL_MAX_CLASSES];
    uint32_t n;
};

bool fdxi_label_is_benign(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(negative_labels); i++) {
        if (strcmp(name, negative_labels[i]) == 0)
            return true;
    }
    return false;
}

/* Class order of the contract: negatives first, then by name (byte order). */
static int label_cmp(const char *a, const char *b)
{
    bool na = fdxi_label_is_benign(a), nb = fdxi_label_is_benign(b);
    if (na != nb)
        return na ? -1 : 1;
    return strcmp(a, b);
}

static bool is_identifier(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(identifier_columns); i++) {
        if (strcmp(name, identifier_columns[i]) == 0)
            return true;
    }
    return fdxi_is_id_column(name);
}

/* The growing table while rows are read. */
struct builder {
    uint32_t n_cols;
    uint32_t n_rows;
    uint32_t cap_rows;
    double *x;
    int32_t *y;
    uint64_t *line; /* of each row */
};

static int grow_rows(struct builder *b)
{
    if (b->n_rows < b->cap_rows)
        return 0;
    uint32_t cap =
        b->cap_rows ? (b->cap_rows > UINT32_MAX / 2 ? UINT32_MAX : b->cap_rows * 2) : 1024;
    if ((size_t)cap > SIZE_MAX / sizeof(double) / b->n_cols)
        return FDX_ENOMEM;
    double *x = realloc(b->x, (size_t)cap * b->n_cols * sizeof(*x));
    if (x == NULL)
        return FDX_ENOMEM;
    b->x = x;
    int32_t *y = realloc(b->y, (size_t)cap * sizeof(*y));
    if (y == NULL)
        return FDX_ENOMEM;
    b->y = y;
    uint64_t *line = realloc(b->line, (size_t)cap * sizeof(*line));
    if (line == NULL)
        return FDX_ENOMEM;
    b->line = line;
    b->cap_rows = cap;
    return 0;
}

/* Index of the label column in the header, or -1. */
static long find_label(const struct record *h, const char *wanted)
{
    if (wanted != NULL) {
        for (size_t k = 0; k < h->n_fields; k++) {
            if (strcmp(field(h, k), wanted) == 0)
                return (long)k;
        }
        return -1;
    }
    for (size_t i = 0; i < COUNT_OF(label_columns); i++) {
        long k = find_label(h, label_columns[i]);
        if (k >= 0)
            return k;
    }
    return -1;
}

/* A header with a repeated name or no label column whose fields are mostly numbers is the first
 * row of a file without a header: said so, in place of the symptom (FDX_EFORMAT), or 0. */
static int values_not_header(const struct record *h, const char *path, uint64_t at, char *err,
                             size_t errlen)
{
    size_t numbers = 0;
    for (size_t k = 0; k < h->n_fields; k++) {
        char *end;
        const char *f = field(h, k);
        (void)strtod(f, &end);
        numbers += end != f && *end == '\0';
    }
    if (numbers * 2 <= h->n_fields)
        return 0;
    fdxi_set_err(err, errlen,
                 "%s:%llu: %zu of the %zu fields are numbers: a row of values, not a header; the "
                 "first line must name the columns (the features and the label)",
                 path, (unsigned long long)at, numbers, h->n_fields);
    return FDX_EFORMAT;
}

/* Check the header (the record in @p h) and fill the feature column map and names. */
static int read_header(const struct record *h, const char *path, uint64_t at,
                       const char *label_column, long *ret_label, uint32_t *feature_of,
                       uint32_t *ret_n_cols, char ***ret_names, char *err, size_t errlen)
{
    if (h->n_fields > MAX_COLUMNS) {
        fdxi_set_err(err, errlen, "%s:%llu: %zu columns, more than the limit of %u", path,
                     (unsigned long long)at, h->n_fields, MAX_COLUMNS);
        return FDX_ERANGE;
    }
    for (size_t k = 0; k < h->n_fields; k++) {
        for (size_t m = 0; m < k; m++) {
            if (strcmp(field(h, k), field(h, m)) == 0) {
                if (values_not_header(h, path, at, err, errlen) < 0)
                    return FDX_EFORMAT;
                fdxi_set_err(err, errlen,
                             "%s:%llu: column '%s' appears twice (columns %zu and %zu)", path,
                             (unsigned long long)at, field(h, k), m + 1, k + 1);
                return FDX_EFORMAT;
            }
        }
    }
    long label = find_label(h, label_column);
    if (label < 0) {
        if (values_not_header(h, path, at, err, errlen) < 0)
            return FDX_EFORMAT;
        if (label_column != NULL)
            fdxi_set_err(err, errlen, "%s:%llu: no label column '%s'", path, (unsigned long long)at,
                         label_column);
        else
            fdxi_set_err(err, errlen,
                         "%s:%llu: no label column (looked for Label, label, DoH, class)", path,
                         (unsigned long long)at);
        return FDX_EFORMAT;
    }
    uint32_t n_cols = 0;
    for (size_t k = 0; k < h->n_fields; k++) {
        if ((long)k == label || is_identifier(field(h, k))) {
            feature_of[k] = UINT32_MAX;
            continue;
        }
        feature_of[k] = n_cols++;
    }
    if (n_cols == 0) {
        fdxi_set_err(err, errlen, "%s:%llu: no feature columns besides the label and identifiers",
                     path, (unsigned long long)at);
        return FDX_EFORMAT;
    }
    if (n_cols > FDXI_MODEL_MAX_FEATURES) {
        fdxi_set_err(err, errlen, "%s:%llu: %u feature columns, more than the limit of %u", path,
                     (unsigned long long)at, n_cols, FDXI_MODEL_MAX_FEATURES);
        return FDX_ERANGE;
    }
    char **names = calloc(n_cols, sizeof(*names));
    if (names == NULL)
        return FDX_ENOMEM;
    for (size_t k = 0; k < h->n_fields; k++) {
        if (feature_of[k] == UINT32_MAX)
            continue;
        names[feature_of[k]] = strdup(field(h, k));
        if (names[feature_of[k]] == NULL) {
            for (uint32_t j = 0; j < n_cols; j++)
                free(names[j]);
            free(names);
            return FDX_ENOMEM;
        }
    }
    *ret_label = label;
    *ret_n_cols = n_cols;
    *ret_names = names;
    return 0;
}

/* The class index (in order of first appearance) of a label cell, adding it when new. */
static int label_index(struct labels *l, char *cell, const char *path, uint64_t line, int32_t *ret,
                       char *err, size_t errlen)
{
    const char *name = trim(cell);
    if (*name == '\0') {
        fdxi_set_err(err, errlen, "%s:%llu: empty label", path, (unsigned long long)line);
        return FDX_EFORMAT;
    }
    for (uint32_t c = 0; c < l->n; c++) {
        if (strcmp(l->name[c], name) == 0) {
            *ret = (int32_t)c;
            return 0;
        }
    }
    if (strlen(name) > MAX_LABEL_BYTES) {
        fdxi_set_err(err, errlen, "%s:%llu: label longer than %u bytes", path,
                     (unsigned long long)line, MAX_LABEL_BYTES);
        return FDX_ERANGE;
    }
    if (l->n == FDXI_MODEL_MAX_CLASSES) {
        fdxi_set_err(err, errlen, "%s:%llu: label '%s' makes more than %u classes", path,
                     (unsigned long long)line, name, FDXI_MODEL_MAX_CLASSES);
        return FDX_ERANGE;
    }
    l->name[l->n] = strdup(name);
    if (l->name[l->n] == NULL)
        return FDX_ENOMEM;
    *ret = (int32_t)l->n++;
    return 0;
}

/* Put the classes in the contract's order and renumber the rows; names move to @p ret_names. */
static int order_classes(struct labels *l, int32_t *y, uint32_t n_rows, char ***ret_names)
{
    uint32_t order[FDXI_MODEL_MAX_CLASSES]; /* order[new] = old */
    int32_t renumber[FDXI_MODEL_MAX_CLASSES];
    for (uint32_t c = 0; c < l->n; c++)
        order[c] = c;
    /* Insertion sort: at most 64 labels. */
    for (uint32_t i = 1; i < l->n; i++) {
        uint32_t v = order[i];
        uint32_t j = i;
        while (j > 0 && label_cmp(l->name[order[j - 1]], l->name[v]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    char **names = calloc(l->n, sizeof(*names));
    if (names == NULL)
        return FDX_ENOMEM;
    for (uint32_t c = 0; c < l->n; c++) {
        names[c] = l->name[order[c]];
        renumber[order[c]] = (int32_t)c;
    }
    for (uint32_t i = 0; i < n_rows; i++)
        y[i] = renumber[y[i]];
    l->n = 0;
    *ret_names = names;
    return 0;
}

int fdxi_dataset_read_csv(const char *path, const struct fdxi_csv_options *o,
                          struct fdxi_dataset *ret, char *err, size_t errlen)
{
    struct source *src = NULL;
    struct record rec = {0};
    struct builder b = {0};
    struct labels labels = {0};
    uint32_t *feature_of = NULL;
    char **col_names = NULL;
    char **class_names = NULL;
    uint32_t n_classes = 0;
    long label = -1;
    size_t n_fields = 0;
    uint64_t line = 1, header_line = 1;
    enum record_status status;
    int rc;

    if (path == NULL || ret == NULL) {
        fdxi_set_err(err, errlen, "no path or result given");
        return FDX_EINVAL;
    }
    const char *label_column = o ? o->label_column : NULL;
    uint32_t max_line = o && o->max_line_bytes ? o->max_line_bytes : DEFAULT_MAX_LINE_BYTES;
    uint32_t max_rows = o && o->max_rows ? o->max_rows : DEFAULT_MAX_ROWS;

    src = calloc(1, sizeof(*src));
    rec.start = malloc(64 * sizeof(*rec.start));
    if (src == NULL || rec.start == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    rec.fields_cap = 64;
    src->f = fopen(path, "rb");
    if (src->f == NULL) {
        rc = errno == ENOENT ? FDX_ENOENT : FDX_EIO;
        fdxi_set_err(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }

    /* The header: the first non-blank record, after an optional UTF-8 byte order mark. */
    if (peek_byte(src) == 0xEF) {
        next_byte(src);
        if (next_byte(src) != 0xBB || next_byte(src) != 0xBF) {
            fdxi_set_err(err, errlen, "%s:1: not UTF-8 text", path);
            rc = FDX_EFORMAT;
            goto out;
        }
    }
    do {
        header_line = line;
        rc = read_record(src, &rec, &line, max_line, path, &status, err, errlen);
        if (rc < 0)
            goto out;
    } while (status == RECORD_BLANK);
    if (status == RECORD_EOF) {
        fdxi_set_err(err, errlen, "%s:%llu: no header row", path, (unsigned long long)line);
        rc = FDX_EFORMAT;
        goto out;
    }
    n_fields = rec.n_fields;
    feature_of = malloc(n_fields * sizeof(*feature_of));
    if (feature_of == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    rc = read_header(&rec, path, header_line, label_column, &label, feature_of, &b.n_cols,
                     &col_names, err, errlen);
    if (rc < 0)
        goto out;

    for (;;) {
        uint64_t at = line;
        rc = read_record(src, &rec, &line, max_line, path, &status, err, errlen);
        if (rc < 0)
            goto out;
        if (status == RECORD_EOF)
            break;
        if (status == RECORD_BLANK)
            continue;
        if (rec.n_fields != n_fields) {
            fdxi_set_err(err, errlen, "%s:%llu: %zu fields, the header has %zu", path,
                         (unsigned long long)at, rec.n_fields, n_fields);
            rc = FDX_EFORMAT;
            goto out;
        }
        if (b.n_rows == max_rows) {
            fdxi_set_err(err, errlen, "%s:%llu: more than %u rows", path, (unsigned long long)at,
                         max_rows);
            rc = FDX_ERANGE;
            goto out;
        }
        if ((rc = grow_rows(&b)) < 0)
            goto out;
        double *row = b.x + (size_t)b.n_rows * b.n_cols;
        for (size_t k = 0; k < n_fields; k++) {
            char *cell = rec.text + rec.start[k];
            if ((long)k == label) {
                rc = label_index(&labels, cell, path, at, &b.y[b.n_rows], err, errlen);
                if (rc < 0)
                    goto out;
            } else if (feature_of[k] != UINT32_MAX) {
                if (!parse_cell(cell, &row[feature_of[k]])) {
                    /* a long cell is shown by its start and its length */
                    size_t n = strlen(cell), shown = n;
                    char more[48] = "";
                    if (n > CELL_SHOWN) {
                        snprintf(more, sizeof(more), "... (%zu bytes)", n);
                        shown = CELL_SHOWN; /* not inside a UTF-8 sequence (at most 4 bytes) */
                        while (shown > CELL_SHOWN - 3 &&
                               ((unsigned char)cell[shown] & 0xC0) == 0x80)
                            shown--;
                    }
                    fdxi_set_err(err, errlen, "%s:%llu: column '%s': '%.*s%s' is not a number",
                                 path, (unsigned long long)at, col_names[feature_of[k]], (int)shown,
                                 cell, more);
                    rc = FDX_EFORMAT;
                    goto out;
                }
            }
        }
        b.line[b.n_rows] = at;
        b.n_rows++;
    }
    if (b.n_rows == 0) {
        fdxi_set_err(err, errlen, "%s:%llu: no data rows after the header", path,
                     (unsigned long long)line);
        rc = FDX_EFORMAT;
        goto out;
    }
    n_classes = labels.n;
    if ((rc = order_classes(&labels, b.y, b.n_rows, &class_names)) < 0)
        goto out;

    *ret = (struct fdxi_dataset){
        .n_rows = b.n_rows,
        .n_cols = b.n_cols,
        .x = b.x,
        .y = b.y,
        .n_classes = n_classes,
        .col_names = col_names,
        .class_names = class_names,
        .header_line = header_line,
        .row_line = b.line,
    };
    b.x = NULL;
    b.y = NULL;
    b.line = NULL;
    col_names = NULL;
    class_names = NULL;
    rc = 0;
out:
    if (rc == FDX_ENOMEM)
        fdxi_set_err(err, errlen, "%s: out of memory", path);
    if (src != NULL && src->f != NULL)
        fclose(src->f);
    free(src);
    free(rec.text);
    free(rec.start);
    free(feature_of);
    free(b.x);
    free(b.y);
    free(b.line);
    for (uint32_t c = 0; c < labels.n; c++)
        free(labels.name[c]);
    if (col_names != NULL) {
        for (uint32_t j = 0; j < b.n_cols; j++)
            free(col_names[j]);
        free(col_names);
    }
    free(class_names);
    return rc;
}

void fdxi_dataset_free(struct fdxi_dataset *ds)
{
    if (ds == NULL)
        return;
    if (ds->col_names != NULL) {
        for (uint32_t j = 0; j < ds->n_cols; j++)
            free(ds->col_names[j]);
    }
    if (ds->class_names != NULL) {
        for (uint32_t c = 0; c < ds->n_classes; c++)
            free(ds->class_names[c]);
    }
    free(ds->col_names);
    free(ds->class_names);
    free(ds->row_line);
    free(ds->x);
    free(ds->y);
    memset(ds, 0, sizeof(*ds));
}

void fdxi_dataset_class_lines(const struct fdxi_dataset *ds, uint64_t *ret)
{
    for (uint32_t c = 0; c < ds->n_classes; c++)
        ret[c] = 0;
    if (ds->row_line == NULL)
        return;
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        if (ret[ds->y[i]] == 0)
            ret[ds->y[i]] = ds->row_line[i];
    }
}

int fdxi_dataset_column(const struct fdxi_dataset *ds, const char *name)
{
    for (uint32_t j = 0; j < ds->n_cols; j++) {
        if (strcmp(ds->col_names[j], name) == 0)
            return (int)j;
    }
    return -1;
}

int fdxi_dataset_select(struct fdxi_dataset *ds, const bool *keep)
{
    uint32_t n_keep = 0;
    for (uint32_t j = 0; j < ds->n_cols; j++)
        n_keep += keep[j] ? 1 : 0;
    /* A table without columns has nothing left to train on; refuse it and change nothing. */
    if (n_keep == 0)
        return FDX_EINVAL;
    if (n_keep == ds->n_cols)
        return 0;
    /*
     * Compact in place, row by row: the write position (i * n_keep + k) never passes the read
     * position (i * n_cols + j), so no value is overwritten before it is read.
     */
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        const double *from = ds->x + (size_t)i * ds->n_cols;
        double *to = ds->x + (size_t)i * n_keep;
        uint32_t k = 0;
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            if (keep[j])
                to[k++] = from[j];
        }
    }
    uint32_t k = 0;
    for (uint32_t j = 0; j < ds->n_cols; j++) {
        if (keep[j])
            ds->col_names[k++] = ds->col_names[j];
        else
            free(ds->col_names[j]);
    }
    ds->n_cols = n_keep;
    /* Shrinking cannot lose data; when realloc refuses, the larger block stays valid. */
    double *x = realloc(ds->x, (size_t)ds->n_rows * n_keep * sizeof(*x));
    if (x != NULL)
        ds->x = x;
    return 0;
}

int fdxi_dataset_select_names(struct fdxi_dataset *ds, const char *list, bool listed,
                              struct fdxi_unknown_name *ret_unknown)
{
    bool *keep = malloc((ds->n_cols ? ds->n_cols : 1) * sizeof(bool));
    if (keep == NULL)
        return FDX_ENOMEM;
    for (uint32_t j = 0; j < ds->n_cols; j++)
        keep[j] = !listed;
    int rc = 0;
    for (const char *p = list; *p != '\0' && rc == 0;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        bool prefix = m > 0 && p[m - 1] == '*';
        if (prefix)
            m--;
        if (m > 0 || prefix) {
            uint32_t hits = 0;
            for (uint32_t j = 0; j < ds->n_cols; j++) {
                const char *name = ds->col_names[j];
                if (strncmp(name, p, m) == 0 && (prefix || name[m] == '\0')) {
                    keep[j] = listed;
                    hits++;
                }
            }
            if (hits == 0) {
                *ret_unknown = (struct fdxi_unknown_name){.name = p, .len = m, .prefix = prefix};
                rc = FDX_ENOENT;
            }
        }
        p += n + (p[n] == ',');
    }
    if (rc == 0 && fdxi_dataset_select(ds, keep) < 0)
        rc = FDX_EINVAL;
    free(keep);
    return rc;
}

int fdxi_dataset_check_value(const struct fdxi_dataset *ds, uint32_t row, uint32_t col,
                             const char *path, const char *what, char *err, size_t errlen)
{
    double v = ds->x[(size_t)row * ds->n_cols + col];
    if (isnan(v) || fabs(v) <= FDXI_TRAIN_MAX_ABS)
        return 0;
    char at[32] = "";
    if (ds->row_line != NULL && ds->row_line[row] != 0)
        snprintf(at, sizeof(at), ":%llu", (unsigned long long)ds->row_line[row]);
    if (isinf(v))
        snprintf(err, errlen, "%s%s: column '%s': an infinite value (%s), which no model can %s",
                 path, at, ds->col_names[col], v > 0 ? "inf" : "-inf", what);
    else
        snprintf(err, errlen,
                 "%s%s: column '%s': %g is too large to %s (magnitude above %g, where scaling "
                 "could overflow)",
                 path, at, ds->col_names[col], v, what, FDXI_TRAIN_MAX_ABS);
    return FDX_EFORMAT;
}
