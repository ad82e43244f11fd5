/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx analysis API: feature importance, universal feature sets, subclasses, tree rules. */
#ifndef FLOWDX_FLOWDX_ANALYSIS_H
#define FLOWDX_FLOWDX_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_analysis.h
 *
 * Analyses of labelled flows (the spam paper's, doc/analysis.md): the Gini importance of a
 * CART tree on a 0-100 scale, the universal feature set of two data sources, k-means subclasses
 * of one class with a v-fold cross-validated choice of k, and any CART tree as readable rules.
 * Thread-safety: an analysis object may be read from several threads once built; building
 * one is independent of any other.
 */

typedef struct fdx_analysis fdx_analysis;

/** What to analyse and how. Initialise with fdx_analysis_options_init(); strings are borrowed
 * for the call of fdx_analysis_run(). */
struct fdx_analysis_options {
    uint32_t struct_size;
    const char *kind;         /**< "importance", "universal", "subclasses", "tree" or "rules" */
    const char *data_path;    /**< labelled CSV (source A of "universal"); not for "rules" */
    const char *data_path_b;  /**< "universal": source B */
    const char *model_path;   /**< "rules": a model file */
    const char *model_kind;   /**< "rules": the model to show: "tree", "forest" or
                                   "weighted-trees"; NULL (the default): the first of these
                                   that the file holds */
    uint32_t tree_index;      /**< "rules" of a forest or weighted-trees: which tree (from 0) */
    const char *label_column; /**< NULL: Label, label, DoH or class */
    const char *features;     /**< comma-separated features to use; NULL: all but identifiers */
    const char *class_name;   /**< "subclasses": the class to split; default "spam" */
    double nan_value;         /**< empty and NaN cells become this; default -1 */
    uint32_t max_depth;       /**< trees: depth limit, 0 = none (default) */
    uint32_t min_leaf;        /**< trees: rows at least in a leaf; default 5 */
    double threshold;         /**< "universal": keep g >= this (0-100); default 50 */
    uint32_t k_min, k_max;    /**< "subclasses": the numbers of clusters tried; default 2, 25 */
    uint32_t folds;           /**< "subclasses": cross-validation folds; default 10 */
    uint32_t restarts;        /**< k-means++ starts per fit, the best kept; default 10 */
    double min_decrease;      /**< "subclasses": k is the smallest after which the cross-validated
                                   cost falls by less than this share; default 0.05 */
    uint64_t seed;            /**< every random choice derives from it; default 42 */
    uint32_t top;             /**< "importance": features in the report and chart, 0 = all;
                                   "subclasses": features in the density chart (default 4) */
    fdx_log_fn log;           /**< progress messages (may be NULL) */
    void *user;               /**< passed to log */
};

FDX_API void fdx_analysis_options_init(struct fdx_analysis_options *opts);

/**
 * Run an analysis. Reproducible: the same data, options and seed give the same result.
 * @return 0, or FDX_E* with a located message in errbuf ("data.csv:17: ...", "--features: ...").
 */
FDX_API int fdx_analysis_run(const struct fdx_analysis_options *opts, fdx_analysis **ret_analysis,
                             char *errbuf, size_t errlen);

/** The report as text tables, or as one JSON object; snprintf-style (returns the length the
 * whole report needs). */
FDX_API size_t fdx_analysis_report(const fdx_analysis *a, int json, char *buf, size_t len);

/** The features a "universal" analysis kept, in the order of its table, separated by @p sep
 * (e.g. ',' or '\\n'); snprintf-style. Empty for the other kinds. */
FDX_API size_t fdx_analysis_features(const fdx_analysis *a, char sep, char *buf, size_t len);

/** The most subclasses (k) the subclass charts draw, one line style each. */
#define FDX_ANALYSIS_SVG_MAX_SUBCLASSES 42u
/** The most features (panels) of the subclass density chart. */
#define FDX_ANALYSIS_SVG_MAX_PANELS 64u

/**
 * Write the analysis's charts as SVG. "importance": one bar chart at @p path. "subclasses":
 * @p path is a prefix: PATH-cv.svg (cross-validated cost per k), PATH-profiles.svg (normalised
 * feature averages per subclass) and PATH-densities.svg (normal densities of the most
 * important features per subclass); FDX_ERANGE when the chosen k is above
 * FDX_ANALYSIS_SVG_MAX_SUBCLASSES or the top features above FDX_ANALYSIS_SVG_MAX_PANELS.
 * Other kinds: FDX_ENOTSUP.
 */
FDX_API int fdx_analysis_write_svg(const fdx_analysis *a, const char *path, char *errbuf,
                                   size_t errlen);

/** Free an analysis. NULL ok. */
FDX_API void fdx_analysis_free(fdx_analysis *a);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_ANALYSIS_H */
