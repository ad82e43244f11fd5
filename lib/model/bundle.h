/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of model bundles: one validated file with everything a detector needs. */
#ifndef FDX_LIB_MODEL_BUNDLE_H
#define FDX_LIB_MODEL_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h" /* fdxi_fnv1a64(), for the bundle's users that check sums */
#include "model/model.h"

#define FDXI_BUNDLE_MAX_MODELS 8
#define FDXI_BUNDLE_MAX_BYTES (1024u * 1024u * 1024u)
#define FDXI_BUNDLE_MAX_NAME 256u

/* The header correction a bundle's training data received (doc/model-file.md). */
#define FDXI_CORRECTION_NONE 0
#define FDXI_CORRECTION_DATASET 1 /* data-set rows mapped to IP-length space (doh spec) */

/* Quality of one model (or the jury) on held-out data, as trained. */
struct fdxi_bundle_scores {
    double accuracy, precision, recall, f1, roc_auc;
};

struct fdxi_bundle_model {
    const struct fdxi_model_kind *kind;
    void *model;   /* owned */
    double weight; /* its vote's weight in the jury */
    struct fdxi_bundle_scores scores;
};

/*
 * A trained detector. Inputs are named features of a feature set, in the order the models read
 * them; at use, rows of the set's full output are mapped by name (fdxi_bundle_bind()).
 */
struct fdxi_bundle {
    char *feature_set; /* the set whose features it reads, e.g. "doh:ip" */
    uint32_t n_inputs;
    char **input_names;   /* n_inputs */
    double *mean, *scale; /* standard scaling of each input */
    double nan_value;     /* NaN inputs are replaced by this before scaling */
    uint32_t correction;  /* FDXI_CORRECTION_* */
    uint32_t n_classes;
    char **class_names; /* class 0 is the benign one */
    uint32_t n_models;
    struct fdxi_bundle_model models[FDXI_BUNDLE_MAX_MODELS];
    double threshold; /* jury: class 1 when the weighted share of class-1 votes >= this */
    struct fdxi_bundle_scores jury_scores;
    /* training metadata */
    uint64_t data_checksum; /* FNV-1a 64 of the training file's bytes */
    uint64_t seed;
    uint32_t train_rows;
    char *description; /* free text: data, command line, date */
    /* Training rows that were one-way flows (no packet in the response direction), over every
     * training run that made the model (--update adds its rows to the base's):
     * FDXI_ONE_WAY_UNKNOWN when no run could tell (a format-1 file, or data without a `oneway` or
     * `rpackets` column). The spam detectors judge one-way flows only when this is above 0. */
    uint32_t one_way_rows;
    uint32_t version; /* the file format: a parsed file's own, written back the same; 0 = the
                         newest (a bundle made by training) */
};

#define FDXI_ONE_WAY_UNKNOWN UINT32_MAX

/* One verdict, with what every model said. */
struct fdxi_verdict {
    uint32_t verdict; /* the jury's class */
    double score;     /* weighted share of votes for class 1 (binary) or for verdict */
    uint32_t n_models;
    uint32_t vote[FDXI_BUNDLE_MAX_MODELS]; /* each model's class */
    double proba[FDXI_BUNDLE_MAX_MODELS];  /* each model's probability of class 1 (binary) or
                                              of its own vote */
    uint32_t uncertain; /* a lone weighted-trees model's sum within its margin (verdict 0) */
};

/* Serialise to a file (written under a temporary name, then renamed). Returns 0 or FDX_E*. */
int fdxi_bundle_save(const struct fdxi_bundle *b, const char *path, char *err, size_t errlen);

/* Serialise into memory (for tests); the caller finishes w. */
void fdxi_bundle_write(const struct fdxi_bundle *b, struct fdxi_wbuf *w);

/*
 * Load and validate a file: magic, version, checksum, every count against its limit, every
 * model through its kind's validating loader. Errors say "PATH: offset N: what". 0 or FDX_E*.
 */
int fdxi_bundle_load(const char *path, struct fdxi_bundle **ret, char *err, size_t errlen);

/* The same from bytes in memory; @p name is used in messages. */
int fdxi_bundle_parse(const void *data, size_t len, const char *name, struct fdxi_bundle **ret,
                      char *err, size_t errlen);

void fdxi_bundle_free(struct fdxi_bundle *b);

/*
 * Map the bundle's inputs onto a feature row layout: map[i] = index of input i among
 * @p names. Fails naming the first input the layout lacks.
 */
int fdxi_bundle_bind(const struct fdxi_bundle *b, const char *const *names, uint32_t n_names,
                     uint32_t *map, char *err, size_t errlen);

/*
 * Classify one row: x_full holds the feature set's values, map comes from fdxi_bundle_bind();
 * scratch holds 2 * n_inputs + n_classes doubles.
 */
void fdxi_bundle_classify(const struct fdxi_bundle *b, const double *x_full, const uint32_t *map,
                          double *scratch, struct fdxi_verdict *ret);

/* The jury's decision from per-model class votes (weights and threshold of the bundle). */
uint32_t fdxi_bundle_vote(const struct fdxi_bundle *b, const uint32_t *votes, double *ret_score);

/* The weighted-trees model of a bundle that holds it alone (the spam ensemble, which decides by
 * its own rule, "uncertain" included), or NULL for any other bundle (a jury). */
void *fdxi_bundle_wtrees(const struct fdxi_bundle *b);

struct fdx_model;
/* The bundle inside a public model handle. */
const struct fdxi_bundle *fdxi_model_bundle(const struct fdx_model *m);

/* The model kind with this name or tag, or NULL. */
const struct fdxi_model_kind *fdxi_model_kind_by_name(const char *name);
const struct fdxi_model_kind *fdxi_model_kind_by_tag(uint32_t tag);

#endif /* FDX_LIB_MODEL_BUNDLE_H */
