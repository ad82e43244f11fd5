/* SPDX-License-Identifier: BSD-3-Clause */
/* Parses "kind.name=value" training parameters with located, suggestive error messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "train/pipeline.h"

enum ptype { P_U32, P_F64, P_KERNEL, P_WEIGHTS, P_LAYERS };

struct param {
    const char *name;
    enum ptype type;
    size_t offset;
    double min, max;
};

#define OFF(f) offsetof(struct fdxi_train_params, f)

static const struct param params[] = {
    {"knn.k", P_U32, OFF(knn_k), 1, 1024},
    {"knn.weights", P_WEIGHTS, OFF(knn_distance_weighted), 0, 0},
    {"svm.kernel", P_KERNEL, OFF(svm_kernel), 0, 0},
    {"svm.c", P_F64, OFF(svm_c), 1e-6, 1e6},
    {"svm.gamma", P_F64, OFF(svm_gamma), 0, 1e6},
    {"tree.max_depth", P_U32, OFF(tree_max_depth), 0, 10000},
    {"tree.min_samples_split", P_U32, OFF(tree_min_samples_split), 2, 1e9},
    {"tree.min_samples_leaf", P_U32, OFF(tree_min_samples_leaf), 1, 1e9},
    {"forest.trees", P_U32, OFF(forest_trees), 1, 10000},
    {"forest.max_features", P_U32, OFF(forest_max_features), 0, 4096},
    {"mlp.layers", P_LAYERS, OFF(mlp_layers), 0, 0},
    {"mlp.lr", P_F64, OFF(mlp_learning_rate), 1e-8, 1},
    {"mlp.epochs", P_U32, OFF(mlp_max_epochs), 1, 100000},
    {"mlp.batch", P_U32, OFF(mlp_batch), 1, 1e9},
    {"mlp.patience", P_U32, OFF(mlp_patience), 1, 100000},
    {"mlp.validation", P_F64, OFF(mlp_validation_fraction), 0, 0.5},
    {"mlp.l2", P_F64, OFF(mlp_l2), 0, 100},
    {"wtrees.trees", P_U32, OFF(wtrees_trees), 1, 10000},
    {"wtrees.features", P_U32, OFF(wtrees_features), 0, 4096},
    {"wtrees.validation", P_F64, OFF(wtrees_validation), 0.05, 0.9},
    {"wtrees.margin", P_F64, OFF(wtrees_margin), 0, 1},
    {"wtrees.max_trees", P_U32, OFF(wtrees_max_trees), 0, 10000},
};
#define N_PARAMS (sizeof(params) / sizeof(params[0]))

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

static int set_value(const struct param *pp, const char *v, size_t vlen,
                     struct fdxi_train_params *p, char *err, size_t errlen)
{
    char text[128];
    if (vlen == 0 || vlen >= sizeof(text)) {
        snprintf(err, errlen, "--params: %s: missing or over-long value", pp->name);
        return FDX_EINVAL;
    }
    memcpy(text, v, vlen);
    text[vlen] = '\0';
    char *base = (char *)p + pp->offset;
    switch (pp->type) {
    case P_KERNEL:
        if (strcmp(text, "rbf") == 0 || strcmp(text, "linear") == 0) {
            *(int *)(void *)base = text[0] == 'r' ? FDXI_SVM_RBF : FDXI_SVM_LINEAR;
            return 0;
        }
        snprintf(err, errlen, "--params: svm.kernel: '%s' is not rbf or linear", text);
        return FDX_EINVAL;
    case P_WEIGHTS:
        if (strcmp(text, "uniform") == 0 || strcmp(text, "distance") == 0) {
            *(bool *)(void *)base = text[0] == 'd';
            return 0;
        }
        snprintf(err, errlen, "--params: knn.weights: '%s' is not uniform or distance", text);
        return FDX_EINVAL;
    case P_LAYERS: {
        /* "100x50": hidden layer widths, each 1 or more; "0" alone for none (a linear model) */
        uint32_t layers[FDXI_MODEL_MAX_LAYERS] = {0};
        uint32_t n = 0;
        bool none = strcmp(text, "0") == 0;
        for (const char *s = text; !none;) {
            char *end;
            errno = 0;
            unsigned long w = *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
            if (w == 0 || errno != 0 || w > FDXI_MODEL_MAX_WIDTH || n == FDXI_MODEL_MAX_LAYERS ||
                (*end != 'x' && *end != '\0') || (*end == 'x' && end[1] == '\0')) {
                snprintf(err, errlen,
                         "--params: mlp.layers: '%s' is not widths like 100x50 (at most %d "
                         "layers of 1 to %u), or 0 for no hidden layer",
                         text, FDXI_MODEL_MAX_LAYERS, FDXI_MODEL_MAX_WIDTH);
                return FDX_EINVAL;
            }
            layers[n++] = (uint32_t)w;
            if (*end == '\0')
                break;
            s = end + 1;
        }
        memcpy(base, layers, sizeof(layers));
        return 0;
    }
    case P_U32:
    case P_F64: {
        char *end;
        errno = 0;
        double d = strtod(text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite(d) || d < pp->min ||
            d > pp->max || (pp->type == P_U32 && d != floor(d))) {
            snprintf(err, errlen, "--params: %s: '%s' is not a %s from %g to %g", pp->name, text,
                     pp->type == P_U32 ? "whole number" : "number", pp->min, pp->max);
            return FDX_EINVAL;
        }
        if (pp->type == P_U32)
            *(uint32_t *)(void *)base = (uint32_t)d;
        else
            *(double *)(void *)base = d;
        return 0;
    }
    }
    return FDX_EINVAL;
}

int fdxi_train_params_parse(const char *text, struct fdxi_train_params *p, char *err, size_t errlen)
{
    if (text == NULL)
        return 0;
    for (const char *s = text; *s != '\0';) {
        size_t len = strcspn(s, ",");
        const char *eq = memchr(s, '=', len);
        if (eq == NULL) {
            snprintf(err, errlen, "--params: '%.*s': expected name=value", (int)len, s);
            return FDX_EINVAL;
        }
        size_t nlen = (size_t)(eq - s);
        const struct param *pp = NULL, *near = NULL;
        size_t best = 4;
        for (size_t i = 0; i < N_PARAMS; i++) {
            if (strlen(params[i].name) == nlen && memcmp(params[i].name, s, nlen) == 0)
                pp = &params[i];
            size_t d = distance(s, nlen, params[i].name);
            if (d < best) {
                best = d;
                near = &params[i];
            }
        }
        if (pp == NULL) {
            if (near != NULL)
                snprintf(err, errlen, "--params: unknown parameter '%.*s' (did you mean '%s'?)",
                         (int)nlen, s, near->name);
            else
                snprintf(err, errlen,
                         "--params: unknown parameter '%.*s' (known: knn.k, "
                         "knn.weights, svm.kernel, svm.c, svm.gamma, tree.max_depth, "
                         "tree.min_samples_split, tree.min_samples_leaf, forest.trees, "
                         "forest.max_features, mlp.layers, mlp.lr, mlp.epochs, mlp.batch, "
                         "mlp.patience, mlp.validation, mlp.l2)",
                         (int)nlen, s);
            return FDX_EINVAL;
        }
        int rc = set_value(pp, eq + 1, len - nlen - 1, p, err, errlen);
        if (rc < 0)
            return rc;
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}
