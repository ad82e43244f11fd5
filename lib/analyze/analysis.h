/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface between an analysis run, its reports and its charts. */
#ifndef FDX_LIB_ANALYZE_ANALYSIS_H
#define FDX_LIB_ANALYZE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analyze.h"
#include "flowdx/flowdx_analysis.h"
#include "model/bundle.h"
#include "model/tree.h"
#include "train/train.h"

/* The analyses, chosen by name. */
enum kind { KIND_IMPORTANCE, KIND_UNIVERSAL, KIND_SUBCLASSES, KIND_TREE, KIND_RULES };

/* A CART tree grown on labelled rows, with what the reports show of it. */
struct grown {
    struct fdxi_tree *tree;
    uint32_t leaves, depth;
    double accuracy; /* share of the training rows its leaves classify right */
    double *imp100;  /* importance per column, largest = 100 */
    double *share;   /* importance per column as a share of the total decrease (sums to 1) */
    uint32_t *order; /* columns by importance, descending */
};

/* One labelled data source. */
struct source {
    char *path;
    struct fdxi_dataset ds; /* after --features and NaN imputation */
    uint32_t class_rows[FDXI_MODEL_MAX_CLASSES];
    struct grown g;
};

struct fdx_analysis {
    enum kind kind;
    struct fdx_analysis_options o; /* scalars only; the strings are NULL */
    struct source src[2];          /* importance, tree, subclasses: [0]; universal: both */

    /* universal: the features both sources have, as column indices of each */
    uint32_t n_common;
    uint32_t *common[2];
    struct fdxi_universal_row *urows;
    uint32_t n_urows;

    /* subclasses */
    char *class_name;
    uint32_t class_index;
    uint32_t n_rows;       /* rows of the class */
    double *x;             /* their raw values, n_rows * d */
    double *cv_cost;       /* per k from k_min to k_max */
    uint32_t k;            /* chosen */
    double train_cost;     /* of the final fit, standardised units */
    uint32_t *subclass;    /* per row, 0..k-1, numbered by size (0 the largest) */
    char **subclass_names; /* "subclass 1" ... */
    struct grown sub;      /* the tree that separates the subclasses */
    struct fdxi_profile prof;

    /* rules */
    char *model_path;
    struct fdxi_bundle *bundle;
    uint32_t model_index; /* in the bundle */
    const void *rule_tree;
    uint32_t n_trees;   /* of the model */
    double tree_weight; /* weighted-trees: the tree's accuracy weight; NaN otherwise */
    uint32_t rule_leaves, rule_depth;
};

/* Report and charts of each kind (report.c, plots.c). */
size_t fdxi_analysis_report(const struct fdx_analysis *a, bool json, char *buf, size_t len);
int fdxi_analysis_svg(const struct fdx_analysis *a, const char *path, char *err, size_t errlen);

#endif /* FDX_LIB_ANALYZE_ANALYSIS_H */
