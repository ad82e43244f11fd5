/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of trained models: the table of model kinds and their serialisation. */
#ifndef FDX_LIB_MODEL_H
#define FDX_LIB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bounded binary buffers for model files ---- */

/*
 * A growable output buffer. Writers never fail individually: an allocation failure sets
 * `failed`, later writes are ignored, and the caller checks `failed` once at the end.
 * Numbers are written little-endian, doubles as their IEEE-754 bits.
 */
struct fdxi_wbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed;
};

void fdxi_wbuf_u8(struct fdxi_wbuf *w, uint8_t v);
void fdxi_wbuf_u32(struct fdxi_wbuf *w, uint32_t v);
void fdxi_wbuf_u64(struct fdxi_wbuf *w, uint64_t v);
void fdxi_wbuf_f64(struct fdxi_wbuf *w, double v);
void fdxi_wbuf_f64s(struct fdxi_wbuf *w, const double *v, size_t n);
/* A string: u32 length, then the bytes (no NUL). */
void fdxi_wbuf_str(struct fdxi_wbuf *w, const char *s);
void fdxi_wbuf_bytes(struct fdxi_wbuf *w, const void *p, size_t n);
void fdxi_wbuf_fini(struct fdxi_wbuf *w);

/*
 * A bounded input reader over borrowed bytes. The first failure (reading past the end, a count
 * over its limit, a bad value) is recorded with a message naming the offset and what was being
 * read; every later read returns zeros and changes nothing. Callers check fdxi_rbuf_ok() when
 * convenient, and must check it before trusting values they use as sizes or indices.
 */
struct fdxi_rbuf {
    const uint8_t *data;
    size_t len;
    size_t off;
    bool failed;
    char err[256];
};

void fdxi_rbuf_init(struct fdxi_rbuf *r, const void *data, size_t len);
uint8_t fdxi_rbuf_u8(struct fdxi_rbuf *r, const char *what);
uint32_t fdxi_rbuf_u32(struct fdxi_rbuf *r, const char *what);
uint64_t fdxi_rbuf_u64(struct fdxi_rbuf *r, const char *what);
double fdxi_rbuf_f64(struct fdxi_rbuf *r, const char *what);
/* n doubles into out; fails (and zero-fills) when fewer than n * 8 bytes remain. */
void fdxi_rbuf_f64s(struct fdxi_rbuf *r, double *out, size_t n, const char *what);
/* A count that must be in [min, max]; fails with "what: N out of range (min to max)". */
uint32_t fdxi_rbuf_count(struct fdxi_rbuf *r, uint32_t min, uint32_t max, const char *what);
/* A finite double (not NaN or infinite); fails otherwise. */
double fdxi_rbuf_finite(struct fdxi_rbuf *r, const char *what);
/* A string into a new allocation (caller frees); at most max_len bytes, no NUL inside. */
char *fdxi_rbuf_str(struct fdxi_rbuf *r, uint32_t max_len, const char *what);
/* Record a failure found by the caller's own validation (printf-style). */
void fdxi_rbuf_fail(struct fdxi_rbuf *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline bool fdxi_rbuf_ok(const struct fdxi_rbuf *r)
{
    return !r->failed;
}

/* Squared Euclidean distance of the d-vectors a and b (k-NN search and k-means), inline so that
 * the callers' inner loops keep it. */
static inline double fdxi_dist2(const double *a, const double *b, uint32_t d)
{
    double s = 0.0;
    for (uint32_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* ---- model kinds ---- */

/* Training settings of every kind; each kind reads its own group. */
struct fdxi_train_params {
    uint64_t seed; /**< every random choice derives from it: same seed, same model */
    /* knn */
    uint32_t knn_k;             /**< neighbours, default 5 */
    bool knn_distance_weighted; /**< weight votes by 1/distance (default false: uniform) */
    /* svm */
    int svm_kernel;   /**< FDXI_SVM_RBF (default) or FDXI_SVM_LINEAR */
    double svm_c;     /**< default 1 */
    double svm_gamma; /**< RBF gamma; 0 = 1 / (n_features * variance of X), as sklearn's "scale" */
    /* tree and forest */
    uint32_t tree_max_depth;         /**< 0 = unlimited */
    uint32_t tree_min_samples_split; /**< default 2 */
    uint32_t tree_min_samples_leaf;  /**< default 1 */
    uint32_t forest_trees;           /**< default 100 */
    uint32_t forest_max_features;    /**< features tried per split; 0 = max(1, floor(sqrt(d))), as
                                          scikit-learn's "sqrt" */
    /* mlp */
    uint32_t mlp_layers[8];         /**< hidden layer widths, 0-terminated; default {100} */
    double mlp_learning_rate;       /**< Adam step, default 0.001 */
    uint32_t mlp_max_epochs;        /**< default 200 */
    uint32_t mlp_batch;             /**< default 200 (or n if smaller) */
    uint32_t mlp_patience;          /**< epochs without validation improvement, default 10 */
    double mlp_validation_fraction; /**< held out for early stopping, default 0.1 */
    double mlp_l2;                  /**< L2 penalty, default 0.0001 */
    /* weighted-trees */
    uint32_t wtrees_trees;     /**< trees, default 61 */
    uint32_t wtrees_features;  /**< features drawn for each tree; 0 = all (default 0) */
    double wtrees_validation;  /**< share of each class held out to measure the trees, 0.3 */
    double wtrees_margin;      /**< |sum| below this is "uncertain", as a tie (default 0) */
    const void *wtrees_base;   /**< an ensemble to add the new trees to (NULL: none) */
    uint32_t wtrees_max_trees; /**< trees kept after adding, the most accurate (0 = all) */
};

#define FDXI_SVM_RBF 0
#define FDXI_SVM_LINEAR 1

/* Fill @p p with the defaults above. */
void fdxi_train_params_init(struct fdxi_train_params *p);

/*
 * One model kind. Training data is row-major: x[i * d + j] is feature j of row i, already
 * scaled; y[i] in [0, n_classes). predict writes n_classes probabilities (summing to 1) for one
 * row. Models are immutable after training or loading and may be used from several threads.
 * Training may change process-wide state (libsvm's rand() and print hook) and is not
 * thread-safe; prediction is. Training refuses non-finite inputs with FDX_EINVAL (impute first) and
 * leaves *ret_model untouched on failure. Tags: knn 1, svm 2, tree 3, forest 4, mlp 5,
 * weighted-trees 6 (stable in model files).
 */
struct fdxi_model_kind {
    const char *name; /**< "knn", "svm", "tree", "forest", "mlp" */
    uint32_t tag;     /**< stable number in model files */
    int (*train)(const struct fdxi_train_params *p, const double *x, const int32_t *y, uint32_t n,
                 uint32_t d, uint32_t n_classes, void **ret_model, char *err, size_t errlen);
    void (*predict)(const void *model, const double *x, double *ret_proba);
    /* Write the model to w (the bundle gives each model its own buffer and records its length;
     * d and n_classes are stored by the bundle, not here). */
    void (*save)(const void *model, struct fdxi_wbuf *w);
    /* Read and validate a model of d features and n_classes classes from exactly its own bytes
     * (r covers only them, so offsets in messages count from the model's start); NULL with r
     * failed on error. Check that the bytes left can hold what a count announces before
     * allocating for it: per-dimension limits alone do not bound their product. */
    void *(*load)(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes);
    void (*free)(void *model);
    /* Append to buf, as fdxi_appendf, what the model holds and what a prediction costs (training
     * rows, support vectors, nodes, layers), for `flowdx model show`; no line end. */
    size_t (*describe)(const void *model, char *buf, size_t len, size_t used);
};

extern const struct fdxi_model_kind fdxi_model_knn;
extern const struct fdxi_model_kind fdxi_model_svm;
extern const struct fdxi_model_kind fdxi_model_tree;
extern const struct fdxi_model_kind fdxi_model_forest;
extern const struct fdxi_model_kind fdxi_model_mlp;
extern const struct fdxi_model_kind fdxi_model_wtrees;

/* Limits that loaders enforce, so a hostile file cannot ask for absurd memory. */
#define FDXI_MODEL_MAX_FEATURES 4096
#define FDXI_MODEL_MAX_CLASSES 64
#define FDXI_MODEL_MAX_ROWS 10000000u  /* kNN training rows, SVM support vectors */
#define FDXI_MODEL_MAX_NODES 50000000u /* nodes of one tree */
#define FDXI_MODEL_MAX_TREES 10000u
#define FDXI_MODEL_MAX_LAYERS 8
#define FDXI_MODEL_MAX_WIDTH 65536u

/* ---- deterministic random numbers (xoshiro256**, seeded by splitmix64) ---- */

struct fdxi_rng {
    uint64_t s[4];
};

void fdxi_rng_seed(struct fdxi_rng *r, uint64_t seed);
uint64_t fdxi_rng_next(struct fdxi_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t fdxi_rng_below(struct fdxi_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double fdxi_rng_unit(struct fdxi_rng *r);
/* Standard normal (Box-Muller). */
double fdxi_rng_normal(struct fdxi_rng *r);
/* Fisher-Yates shuffle of n uint32 values. */
void fdxi_rng_shuffle(struct fdxi_rng *r, uint32_t *v, uint32_t n);

#endif /* FDX_LIB_MODEL_H */
