/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface between the training pipeline, its reports and the evaluation. */
#ifndef FDX_LIB_TRAIN_PIPELINE_H
#define FDX_LIB_TRAIN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowdx/flowdx_model.h"
#include "model/bundle.h"
#include "train/train.h"

#define FDXI_MAX_FOLDS 20
#define FDXI_JURY FDXI_BUNDLE_MAX_MODELS /* index of the jury's result after the models' */

/* What one model (or the jury) did on rows it was not trained on. */
struct fdxi_result {
    const char *name;
    uint32_t n_folds;
    double fold_accuracy[FDXI_MAX_FOLDS];
    struct fdxi_metrics metrics; /* over all out-of-fold (or evaluated) rows */
    int32_t *pred;               /* per row */
    double *score;               /* per row, n_classes each */
    double train_seconds;        /* summed over folds */
    double predict_seconds;      /* summed over folds */
    bool has_uncertain;          /* a weighted-trees model: it can answer "uncertain" */
    uint64_t uncertain[FDXI_MODEL_MAX_CLASSES]; /* rows without a verdict, per true class
                                                   (counted as class 0 in the metrics) */
};

struct fdx_training {
    struct fdxi_dataset ds;   /* after correction, selection and imputation; unscaled */
    bool identity_scale;      /* trees only (weighted-trees): no scaling, thresholds in raw units */
    struct fdxi_bundle *base; /* --update: the weighted-trees model the new trees join */
    char *base_features;      /* its inputs, comma-separated */
    uint32_t n_all;           /* columns before the correlation filter */
    char **all_names;
    double *corr_before; /* n_all * n_all */
    double *corr_after;  /* ds.n_cols * ds.n_cols */
    bool *keep;          /* n_all */
    uint32_t n_models;
    struct fdxi_result result[FDXI_BUNDLE_MAX_MODELS + 1];
    uint32_t class_count[FDXI_MODEL_MAX_CLASSES];
    struct fdx_train_options opts; /* scalars only; strings below */
    char *data_path;
    struct fdxi_bundle *bundle;
    uint32_t *fold;        /* cross-validation fold of each row */
    uint32_t one_way_rows; /* of ds's rows, before selection; FDXI_ONE_WAY_UNKNOWN: cannot tell */
    uint32_t *add_start;   /* the first row of each --add file (ds's rows of the first file come
                              first; messages name a row's file and ds.row_line its line) */
};

struct fdx_evaluation {
    char *data_path;
    uint32_t n_rows;
    uint32_t n_classes;
    char **class_names; /* borrowed from the model */
    uint32_t n_models;
    struct fdxi_result result[FDXI_BUNDLE_MAX_MODELS + 1];
    int32_t *truth;
};

/* Parse "knn.k=7,forest.trees=200,mlp.layers=100x50" into @p p (defaults kept otherwise). */
int fdxi_train_params_parse(const char *text, struct fdxi_train_params *p, char *err,
                            size_t errlen);

/* Text or JSON report of results (training's cross-validation or an evaluation). */
size_t fdxi_report_results(const struct fdxi_result *res, uint32_t n_models, bool jury,
                           const char *const *class_names, uint32_t n_classes, bool json, char *buf,
                           size_t len, size_t used);

void fdxi_result_fini(struct fdxi_result *r);

#endif /* FDX_LIB_TRAIN_PIPELINE_H */
