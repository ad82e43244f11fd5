/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of training: labelled data sets, preprocessing, splits and metrics. */
#ifndef FDX_LIB_TRAIN_H
#define FDX_LIB_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowdx/flowdx.h"

/* ---- labelled data ---- */

/*
 * A labelled table of numeric features. x is row-major (x[i * n_cols + j]); y[i] is a class
 * index in [0, n_classes). Identifier columns (addresses, ports, times, ids) are never in it.
 */
struct fdxi_dataset {
    uint32_t n_rows;
    uint32_t n_cols;
    double *x;
    int32_t *y;
    uint32_t n_classes;
    char **col_names;     /* n_cols, owned */
    char **class_names;   /* n_classes, owned; class 0 is the benign/negative one when known */
    uint64_t header_line; /* the file's line of the header (1 unless blank lines precede it) */
    uint64_t *row_line;   /* n_rows, owned: the file line each row starts on (the header is
                             line 1); NULL, or 0 for a row, when not known */
};

/*
 * The largest magnitude of a training value. The scaler and the correlation filter sum squares
 * of differences over the rows: with |v| <= 1e100 and at most 2^32 rows those sums stay below
 * 2^34 * (2e100)^2 (about 7e210), far from overflowing, so every step after reading is finite.
 */
#define FDXI_TRAIN_MAX_ABS 1e100

/*
 * Whether value (@p row, @p col) of @p ds, read from @p path, is one a model takes: NaN, or finite
 * and within FDXI_TRAIN_MAX_ABS (0). Else FDX_EFORMAT with "PATH:LINE: column 'b': an infinite
 * value (inf), which no model can @p what" or "...: 1e+308 is too large to @p what ...".
 */
int fdxi_dataset_check_value(const struct fdxi_dataset *ds, uint32_t row, uint32_t col,
                             const char *path, const char *what, char *err, size_t errlen);

struct fdxi_csv_options {
    const char *label_column; /* NULL: the first of "Label", "label", "DoH", "class" present */
    uint32_t max_line_bytes;  /* 0: 1 MiB */
    uint32_t max_rows;        /* 0: 10,000,000 */
};

/*
 * Read a labelled CSV: the CIRA-CIC-DoHBrw-2020 layout (identifier columns SourceIP,
 * DestinationIP, SourcePort, DestinationPort, TimeStamp; NaN cells; sentinels kept as numbers;
 * labels Benign/Malicious, DoH/NonDoH or 0/1) or `flowdx extract` output with a label column
 * (its identifier columns flow_id, src_addr, src_port, dst_addr, dst_port, proto, start_us,
 * end_us, end_reason are dropped). Empty, "NaN", "nan" cells read as NaN; "inf"/"-inf" as
 * infinities (training refuses them after choosing its columns). Labels: known negatives (0,
 * Benign, benign, BENIGN, NonDoH, ham, Ham) become class 0; with two classes the other is class 1;
 * more classes are ordered negatives first, then by name. Errors name the file, line and column:
 * "data.csv:17: column 'Duration': 'abc' is not a number". Returns 0 or FDX_E*.
 */
int fdxi_dataset_read_csv(const char *path, const struct fdxi_csv_options *o,
                          struct fdxi_dataset *ret, char *err, size_t errlen);

/* The error of fdxi_dataset_read_csv() as training and analyses return it: a file beyond one of
 * the reader's limits (FDX_ERANGE: line length, columns, label length, classes) is bad input,
 * FDX_EFORMAT, which the commands tell from a bad option (FDX_ERANGE, FDX_EINVAL). */
static inline int fdxi_dataset_input_error(int rc)
{
    return rc == FDX_ERANGE ? FDX_EFORMAT : rc;
}
void fdxi_dataset_free(struct fdxi_dataset *ds);

/* The line of each class's first row into @p ret (n_classes entries; 0 when not known). */
void fdxi_dataset_class_lines(const struct fdxi_dataset *ds, uint64_t *ret);

/* Whether @p name is one of the known spellings of the benign class (0, Benign, NonDoH, ham...). */
bool fdxi_label_is_benign(const char *name);

/*
 * Map class names onto a target's classes: by name; else a number names the target's class
 * index ("1" is class 1); else, for two target classes, a known benign spelling is class 0 when
 * the target's class 0 is one too ("Benign" is "ham"); else, for the two classes "0" and "1"
 * (a target that names no class: the DoH data set's labels), any other name is class 1
 * ("malicious" is "1"). A name of a target that names its classes is never guessed ("HAM" is not
 * "ham"), and never by position: a file holding only malicious rows must not become class 0.
 * @p from_line: the line of each source class's first row (0: not known), or NULL. Errors:
 * "SOURCE:LINE: label 'HAM' is not a class of TARGET (ham, spam)". 0 or FDX_EFORMAT.
 */
int fdxi_class_map(const char *const *from, uint32_t n_from, const uint64_t *from_line,
                   const char *const *to, uint32_t n_to, uint32_t *map, const char *source,
                   const char *target, char *err, size_t errlen);

/* fdxi_class_map() of @p src's classes, with the line of each one's first row, onto @p to. */
int fdxi_dataset_class_map(const struct fdxi_dataset *src, const char *const *to, uint32_t n_to,
                           uint32_t *map, const char *source, const char *target, char *err,
                           size_t errlen);

/*
 * Append src's rows to dst: dst's columns are looked up in src by name (src may have more);
 * classes as fdxi_class_map() maps them. Errors name @p src_name. 0 or FDX_E*.
 */
int fdxi_dataset_append(struct fdxi_dataset *dst, const struct fdxi_dataset *src,
                        const char *src_name, char *err, size_t errlen);

/* Index of column @p name, or -1. */
int fdxi_dataset_column(const struct fdxi_dataset *ds, const char *name);

/* Keep only the columns whose keep[j] is true (order preserved). */
int fdxi_dataset_select(struct fdxi_dataset *ds, const bool *keep);

/* A name of a list that matched no column (fdxi_dataset_select_names). */
struct fdxi_unknown_name {
    const char *name; /* into the list; len bytes, not terminated */
    size_t len;
    bool prefix; /* it was written "name*" */
};

/*
 * Keep the columns named in @p list (listed = true), or drop them (listed = false). The list is
 * comma-separated, spaces around a name ignored; "Name*" names every column starting with Name.
 * Returns 0; FDX_ENOENT when a name matches no column (so that a typo cannot silently keep or
 * drop one), the first such in *ret_unknown and @p ds unchanged; FDX_EINVAL when no column would
 * be left; FDX_ENOMEM.
 */
int fdxi_dataset_select_names(struct fdxi_dataset *ds, const char *list, bool listed,
                              struct fdxi_unknown_name *ret_unknown);

/* Replace every NaN cell with @p value (the same value must be used at inference). */
void fdxi_dataset_impute_nan(struct fdxi_dataset *ds, double value);

/*
 * The header correction of the DoH feature spec (shared spec doh.md, "Two confounds"): map
 * dataset rows from frame-length space to IP-length space. Row i's link header length is
 * header_bytes[y[i]] (14 for the benign/Ethernet class, 16 for the malicious/cooked class).
 * PacketLength{Mean,Median,Mode} -= h; PacketLengthCoefficientofVariation = std / corrected mean
 * (-1 when that mean is 0); with map_padding, a corrected Median or Mode of 46 (a 40-byte IP
 * packet padded to a 60-byte Ethernet frame) becomes 40; the per-direction byte counts and rates
 * (FlowBytesSent, FlowSentRate, FlowBytesReceived, FlowReceivedRate) are removed, because their
 * split between directions cannot be corrected. Fails naming a missing column.
 */
int fdxi_dataset_header_correct(struct fdxi_dataset *ds, const double *header_bytes,
                                bool map_padding, char *err, size_t errlen);

/* ---- preprocessing ---- */

/*
 * Pearson correlation of every column pair over the rows (NaN rows of a pair skipped; a
 * constant column correlates 0 with everything). corr is n_cols * n_cols, row-major.
 */
void fdxi_correlation(const struct fdxi_dataset *ds, double *corr);

/*
 * The DoH seed's filter: column j is dropped when |corr(i, j)| > threshold for any i < j
 * (whether or not i itself is dropped, as the seed's upper-triangle rule does). keep[j] is
 * set for the columns that stay. Returns how many stay.
 */
uint32_t fdxi_correlation_filter(const double *corr, uint32_t n_cols, double threshold, bool *keep);

/* Standard scaling: per column mean and population standard deviation (1 when it is 0). */
struct fdxi_scaler {
    uint32_t n_cols;
    double *mean;
    double *scale;
};

int fdxi_scaler_fit(struct fdxi_scaler *s, const double *x, uint32_t n_rows, uint32_t n_cols);
/* x[j] = (x[j] - mean[j]) / scale[j] for one row, in place. */
void fdxi_scaler_apply(const struct fdxi_scaler *s, double *row);
void fdxi_scaler_fini(struct fdxi_scaler *s);

/* ---- splits (seeded: the same seed gives the same split) ---- */

/*
 * Stratified hold-out: about test_fraction of each class goes to the test side. ret_test[i] is
 * true for test rows. Every class with at least 2 rows has at least one row on each side.
 */
int fdxi_split_holdout(const int32_t *y, uint32_t n, uint32_t n_classes, double test_fraction,
                       uint64_t seed, bool *ret_test);

/* Stratified k-fold: ret_fold[i] in [0, k), each class spread evenly over the folds. */
int fdxi_split_kfold(const int32_t *y, uint32_t n, uint32_t n_classes, uint32_t k, uint64_t seed,
                     uint32_t *ret_fold);

/* ---- metrics ---- */

struct fdxi_metrics {
    uint32_t n_classes;
    uint64_t confusion[64][64]; /* [true][predicted] */
    double accuracy;
    double precision; /* binary: of class 1; more classes: macro average */
    double recall;
    double f1;
    double roc_auc; /* binary: of class 1's score; more classes: macro one-vs-rest; NaN if a
                       class is absent */
};

/*
 * Metrics of predictions: pred[i] the predicted class, score[i * n_classes + c] the score of
 * class c (probabilities). AUC counts ties as half (Mann-Whitney).
 */
int fdxi_metrics_compute(const int32_t *truth, const int32_t *pred, const double *score, uint32_t n,
                         uint32_t n_classes, struct fdxi_metrics *ret);

/* One point of a ROC curve. */
struct fdxi_roc_point {
    double fpr;
    double tpr;
};

/*
 * ROC curve of class @p positive's score: points from (0,0) to (1,1), one per distinct score
 * threshold. *ret_points is allocated (caller frees); returns the number of points.
 */
uint32_t fdxi_roc_curve(const int32_t *truth, const double *score, uint32_t n, uint32_t n_classes,
                        uint32_t positive, struct fdxi_roc_point **ret_points);

#endif /* FDX_LIB_TRAIN_H */
