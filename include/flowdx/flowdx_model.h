/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx model API: train detectors on labelled flows, load them, classify flow records. */
#ifndef FLOWDX_FLOWDX_MODEL_H
#define FLOWDX_FLOWDX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_model.h
 *
 * A model file holds a detector: the feature set it reads, the inputs it selected, their
 * scaling, up to eight trained models (kNN, SVM, decision tree, random forest, MLP, or the
 * accuracy-weighted tree ensemble of the spam detector) and the
 * jury that combines their votes. Thread-safety: a loaded model may classify from several
 * threads at once; training is not thread-safe: an SVM's training reseeds the C library's rand()
 * (libsvm shuffles with it) and resets libsvm's print function (svm_set_print_string_function).
 */

typedef struct fdx_model fdx_model;

/** The jury's verdict on one flow, with every model's vote. Layout is ABI: append-only. */
struct fdx_verdict {
    uint32_t struct_size; /**< set by the caller to sizeof(struct fdx_verdict) */
    uint32_t verdict;     /**< class index: 0 benign; fdx_model_class_name() names it */
    double score;         /**< weighted share of the votes for class 1 (binary models) */
    uint32_t n_models;    /**< entries used below */
    uint32_t votes[8];    /**< each model's class */
    double proba[8];      /**< each model's probability of class 1 (binary) or of its vote */
    uint32_t uncertain;   /**< 1: no verdict (a weighted-trees ensemble whose accuracy-weighted
                               vote sum is within its margin, or an exact tie); verdict is 0.
                               Filled only when struct_size covers it: callers built
                               against the first release pass a struct without it */
};

/**
 * Load and validate a model file. A truncated, corrupted or hostile file is refused with
 * "PATH: ..." in errbuf (offset and field), never a crash.
 * @return 0, FDX_EINVAL (NULL arguments), FDX_ENOENT, FDX_EIO, FDX_EFORMAT, FDX_ENOTSUP (newer
 * format) or FDX_ENOMEM.
 */
FDX_API int fdx_model_load(const char *path, fdx_model **ret_model, char *errbuf, size_t errlen);

/** Free a model. NULL ok. */
FDX_API void fdx_model_free(fdx_model *model);

/** Name of the feature set the model reads (e.g. "doh:ip"). Borrowed from the model. */
FDX_API const char *fdx_model_feature_set(const fdx_model *model);

/** Name of class @p c, or NULL. Borrowed from the model. */
FDX_API const char *fdx_model_class_name(const fdx_model *model, uint32_t c);

/** Number of models in the jury. */
FDX_API uint32_t fdx_model_count(const fdx_model *model);

/** Number of feature values the model reads (the features its training kept). */
FDX_API uint32_t fdx_model_input_count(const fdx_model *model);

/** Name of the model's input @p i (a feature name of its set), or NULL. Borrowed from the
 * model. */
FDX_API const char *fdx_model_input_name(const fdx_model *model, uint32_t i);

/**
 * How many of the rows the model was trained on were one-way flows (no packet in the response
 * direction: zadnik's `oneway` set, or flowrec's `rpackets` 0), summed over the training runs
 * that made it (`flowdx train --update` adds its rows to the base model's).
 * @return the count; -1 when unknown (a model file of format 1, or training data with neither
 * column). The spam detectors judge a one-way flow only when this is above 0, unless told to.
 */
FDX_API int64_t fdx_model_one_way_rows(const fdx_model *model);

/** Kind of model @p i ("knn", "svm", "tree", "forest", "mlp", "weighted-trees"), or NULL.
 * Static storage. */
FDX_API const char *fdx_model_kind(const fdx_model *model, uint32_t i);

/**
 * Map the model's inputs onto an engine's feature columns (by name). Needed once before
 * fdx_model_classify() with that engine's records.
 * @return 0, FDX_EINVAL (NULL arguments), or FDX_ENOENT naming the first input the engine does
 * not compute.
 */
FDX_API int fdx_model_bind(fdx_model *model, const fdx_engine *engine, char *errbuf, size_t errlen);

/**
 * The same for records whose values are named by @p names (n of them), e.g. a plugin's
 * fdx_featureset values: fdx_model_classify() then takes records of exactly n features in
 * that order.
 * @return 0, FDX_EINVAL (NULL arguments), FDX_ENOENT naming the first input not in @p names,
 * or FDX_ENOMEM.
 */
FDX_API int fdx_model_bind_names(fdx_model *model, const char *const *names, uint32_t n,
                                 char *errbuf, size_t errlen);

/**
 * Classify one finished flow record of the bound engine.
 * @param ret_verdict its struct_size set by the caller.
 * @return 0, or FDX_EINVAL for NULL arguments, a model not bound, or a record that cannot be of
 * the bound layout: a struct_size that does not reach n_features, another number of features,
 * or no features. A record of another engine with the same number of features cannot be told
 * apart: bind the model to the engine whose records it classifies.
 */
FDX_API int fdx_model_classify(const fdx_model *model, const struct fdx_flow_record *rec,
                               struct fdx_verdict *ret_verdict);

/**
 * Replace the margin of a loaded weighted-trees model (the spam ensemble): a flow whose
 * accuracy-weighted vote sum has |sum| < @p margin is uncertain (verdict 0), as a tie is. The
 * model file's own margin is its training's `wtrees.margin`; this changes the loaded copy only.
 * Call it before classifying: it is not safe while other threads classify with the model.
 * @param margin 0 to 1; 0 leaves only exact ties uncertain.
 * @return 0; FDX_ERANGE for a margin outside 0 to 1 (or NaN); FDX_ENOTSUP when the model is not
 * a lone weighted-trees model (the DoH jury has no margin). errbuf says which.
 */
FDX_API int fdx_model_set_margin(fdx_model *model, double margin, char *errbuf, size_t errlen);

/* ---- pair evidence: per-flow verdicts decided per client-server pair ---- */

/**
 * A DNS tunnel is a relationship between one client and one resolver that carries data: many
 * requests, often over many short connections. One connection with one query looks the same
 * whether a tunnel or a browser made it. fdx_pairs turns per-flow verdicts (the jury's
 * "flagged") into verdicts per flow that use the evidence of the whole pair (client address,
 * server address, server port) over a sliding window of flow end times:
 *
 * - a pair is *established* when, among its flows that ended in the last window_s seconds,
 *   the flagged ones sent at least min_bytes request-direction IP bytes together and make up
 *   at least min_share of the pair's flows. It stays established for window_s seconds after
 *   the last flow that found it so;
 * - a flow of an established pair is FDX_PAIR_MALICIOUS, flagged or not;
 * - a flow of a pair that is not established is held while the pair has a flagged flow in
 *   the window, for at most window_s seconds after its end (flow time, not wall time). If
 *   the pair becomes established meanwhile, every held flow of the pair is
 *   FDX_PAIR_MALICIOUS; otherwise, when held long enough, a flagged flow is
 *   FDX_PAIR_UNCERTAIN (too little evidence) and an unflagged one FDX_PAIR_BENIGN.
 *
 * So flows are reported late (up to window_s) and not in end order. A record that ended more
 * than an hour plus window_s before the latest one starts a new epoch (captures of different
 * times read in turn): held flows are decided and every pair is forgotten. Not thread-safe.
 */
typedef struct fdx_pairs fdx_pairs;

#define FDX_PAIR_BENIGN 0u
#define FDX_PAIR_MALICIOUS 1u
#define FDX_PAIR_UNCERTAIN 2u

/** Settings. Initialise with fdx_pairs_options_init(); append-only. */
struct fdx_pairs_options {
    uint32_t struct_size; /**< sizeof(struct fdx_pairs_options) */
    double window_s;      /**< evidence window and longest hold, seconds (120) */
    uint64_t min_bytes;   /**< flagged request-direction IP bytes to establish a pair (8192) */
    double min_share;     /**< flagged share of the pair's flows in the window (0.5) */
    uint32_t max_pairs;   /**< pairs remembered at once (65536); beyond, the least recent
                               pair without held flows is forgotten */
    uint32_t max_held;    /**< flows held at once (65536); beyond, the oldest is decided now */
};

/** What a decision was based on: the pair's flows in the window when it was made. */
struct fdx_pair_evidence {
    uint32_t flows;         /**< the pair's flows in the window */
    uint32_t flagged;       /**< of which flagged */
    uint64_t flagged_bytes; /**< request-direction IP bytes of the flagged ones */
    uint32_t held;          /**< 1 if this flow was held before being decided */
};

/**
 * Called once per flow given to fdx_pairs_add(), from inside _add(), _advance() or _flush().
 * @param item the caller's pointer given to fdx_pairs_add(), handed back once.
 * @param verdict FDX_PAIR_BENIGN, _MALICIOUS or _UNCERTAIN.
 */
typedef void (*fdx_pairs_fn)(void *user, void *item, uint32_t verdict,
                             const struct fdx_pair_evidence *ev);

/** Fill @p o with the defaults above. */
FDX_API void fdx_pairs_options_init(struct fdx_pairs_options *o);

/** @return 0, FDX_EINVAL (a setting out of range, or fn NULL) or FDX_ENOMEM. */
FDX_API int fdx_pairs_new(const struct fdx_pairs_options *o, fdx_pairs_fn fn, void *user,
                          fdx_pairs **ret);

/**
 * One classified flow. The pair is (rec->src_addr, rec->dst_addr, rec->dst_port); the clock
 * is the latest rec->end_us seen. @p item comes back through the callback (maybe at once).
 * @return 0, or FDX_ENOMEM (the flow is then decided at once, without its pair).
 */
FDX_API int fdx_pairs_add(fdx_pairs *p, const struct fdx_flow_record *rec, int flagged, void *item);

/** Move the clock to @p now_us (for live input between flows): decide flows held long enough. */
FDX_API void fdx_pairs_advance(fdx_pairs *p, uint64_t now_us);

/** Decide every held flow now, with the evidence there is (end of input). */
FDX_API void fdx_pairs_flush(fdx_pairs *p);

/** Free. Held flows are decided first (as by fdx_pairs_flush). NULL ok. */
FDX_API void fdx_pairs_free(fdx_pairs *p);

/** Human-readable description of the model (what `flowdx model show` prints), snprintf-style:
 * returns the length the full text needs. */
FDX_API size_t fdx_model_describe(const fdx_model *model, char *buf, size_t len);

/* ---- training and evaluation ---- */

/** Training settings. Initialise with fdx_train_options_init(). Strings are borrowed for the
 * call of fdx_train_run(). */
struct fdx_train_options {
    uint32_t struct_size;
    const char *data_path;    /**< labelled CSV: the dataset layout or flowdx extract + label */
    const char *label_column; /**< NULL: Label, label, DoH or class */
    const char *feature_set;  /**< the set the rows come from, recorded in the model. NULL (the
                                   default): with update the base model's, else "zadnik" for
                                   weighted-trees and "doh:ip" for the others. Every input must
                                   be one of its features, or training is refused (FDX_EINVAL).
                                   With update, another set than the base's is refused unless
                                   the base's lacks the data's columns (a wrong record) */
    const char *models;       /**< "jury" (all five) or one of knn, svm, tree, forest, mlp,
                                   weighted-trees */
    const char *params;       /**< "forest.trees=200,knn.k=7,..." (see flowdx-train docs) or NULL */
    uint32_t header_correct;  /**< 1: dataset rows to IP-length space (doh spec correction) */
    uint32_t map_padding;     /**< with header_correct: a corrected median/mode of 46 becomes 40 */
    double corr_threshold;    /**< drop one of each pair with |r| above it; default 0.7; 1 = off */
    uint32_t folds;           /**< stratified k-fold cross-validation, default 5 (2 to 20) */
    uint64_t seed;            /**< every random choice derives from it; default 42 */
    double nan_value;         /**< NaN cells become this before scaling; default -1 */
    double jury_threshold;    /**< class 1 when this weighted share of votes says so; 0.5 */
    fdx_log_fn log;           /**< progress messages (may be NULL) */
    void *user;               /**< passed to log */
    const char *const *more_data; /**< further labelled CSVs, already in IP-length space (e.g.
                                       flowdx extract output labelled with flowdx label): never
                                       header-corrected; their rows join data_path's */
    uint32_t n_more_data;         /**< entries in more_data */
    const char *exclude;          /**< comma-separated feature names never to use (e.g. features
                                       that depend on where the capture was taken); NULL = none */
    const char *features;         /**< comma-separated feature names to use, all others left out
                                       (e.g. the universal set of `flowdx analyze universal`);
                                       "Name*" is a prefix; NULL = all */
    const char *update;           /**< a weighted-trees model file: the new trees join its trees
                                       (same inputs, no correlation filter); NULL = none */
};

typedef struct fdx_training fdx_training;

FDX_API void fdx_train_options_init(struct fdx_train_options *opts);

/**
 * Read the data, select and scale features, cross-validate every model and the jury, then fit
 * the final models on all rows. Reproducible: the same data, options and seed give the same
 * models, bit for bit. Not thread-safe, and with an SVM it calls srand() and leaves libsvm's print
 * function at its default (see the file comment): run one training at a time, and set your own
 * libsvm print hook again afterwards.
 * @return 0, or FDX_E* with a located message ("data.csv:17: ...", "--params: ...").
 */
FDX_API int fdx_train_run(const struct fdx_train_options *opts, fdx_training **ret_training,
                          char *errbuf, size_t errlen);

/** Write the trained model file. */
FDX_API int fdx_training_save(const fdx_training *t, const char *path, char *errbuf, size_t errlen);

/** Cross-validation report as a text table, or as JSON; snprintf-style. */
FDX_API size_t fdx_training_report(const fdx_training *t, int json, char *buf, size_t len);

/** Write the prepared rows as CSV: the kept features (NaN replaced, not scaled), then `label`
 * (class index) and `fold` (its cross-validation fold), so that another tool can be compared
 * on exactly the same split and features. */
FDX_API int fdx_training_export(const fdx_training *t, const char *path, char *errbuf,
                                size_t errlen);

/** Write the correlation heatmaps before and after the filter as SVG files. */
FDX_API int fdx_training_write_svg(const fdx_training *t, const char *before_path,
                                   const char *after_path, char *errbuf, size_t errlen);

FDX_API void fdx_training_free(fdx_training *t);

typedef struct fdx_evaluation fdx_evaluation;

/**
 * Classify every row of a labelled CSV with @p model and measure each model and the jury:
 * accuracy, precision, recall, F1, ROC AUC and the confusion matrix. With @p header_correct,
 * dataset rows are first mapped to IP-length space (as the model's training data was).
 */
FDX_API int fdx_eval_run(const fdx_model *model, const char *data_path, const char *label_column,
                         uint32_t header_correct, fdx_evaluation **ret_eval, char *errbuf,
                         size_t errlen);

/** Evaluation report as a text table, or as JSON; snprintf-style. */
FDX_API size_t fdx_evaluation_report(const fdx_evaluation *ev, int json, char *buf, size_t len);

/** Write the ROC curves of every model and the jury as one SVG file. */
FDX_API int fdx_evaluation_write_svg(const fdx_evaluation *ev, const char *path, char *errbuf,
                                     size_t errlen);

FDX_API void fdx_evaluation_free(fdx_evaluation *ev);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_MODEL_H */
