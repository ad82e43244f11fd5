/* SPDX-License-Identifier: BSD-3-Clause */
/* The public model API: loading bundles, binding them to an engine and classifying records. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx_model.h"
#include "model/bundle.h"
#include "model/tree.h"

struct fdx_model {
    struct fdxi_bundle *b;
    uint32_t *map;       /* bundle input -> engine feature index, after fdx_model_bind() */
    uint32_t n_features; /* features of the bound engine's records */
};

const struct fdxi_bundle *fdxi_model_bundle(const struct fdx_model *m)
{
    return m->b;
}

int fdx_model_load(const char *path, fdx_model **ret_model, char *errbuf, size_t errlen)
{
    if (path == NULL || ret_model == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_model_load: %s is NULL",
                     path == NULL ? "the path" : "ret_model");
        return FDX_EINVAL;
    }
    fdx_model *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return FDX_ENOMEM;
    int rc = fdxi_bundle_load(path, &m->b, errbuf, errlen);
    if (rc < 0) {
        free(m);
        return rc;
    }
    *ret_model = m;
    return 0;
}

void fdx_model_free(fdx_model *m)
{
    if (m == NULL)
        return;
    fdxi_bundle_free(m->b);
    free(m->map);
    free(m);
}

const char *fdx_model_feature_set(const fdx_model *m)
{
    return m->b->feature_set;
}

const char *fdx_model_class_name(const fdx_model *m, uint32_t c)
{
    return c < m->b->n_classes ? m->b->class_names[c] : NULL;
}

uint32_t fdx_model_count(const fdx_model *m)
{
    return m->b->n_models;
}

uint32_t fdx_model_input_count(const fdx_model *m)
{
    return m->b->n_inputs;
}

int64_t fdx_model_one_way_rows(const fdx_model *m)
{
    return m->b->one_way_rows == FDXI_ONE_WAY_UNKNOWN ? -1 : (int64_t)m->b->one_way_rows;
}

const char *fdx_model_input_name(const fdx_model *m, uint32_t i)
{
    return i < m->b->n_inputs ? m->b->input_names[i] : NULL;
}

const char *fdx_model_kind(const fdx_model *m, uint32_t i)
{
    return i < m->b->n_models ? m->b->models[i].kind->name : NULL;
}

int fdx_model_set_margin(fdx_model *m, double margin, char *errbuf, size_t errlen)
{
    if (m == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_model_set_margin: NULL model");
        return FDX_EINVAL;
    }
    void *w = fdxi_bundle_wtrees(m->b);
    if (w == NULL) {
        fdxi_set_err(errbuf, errlen,
                     "a margin applies to a weighted-trees model (the spam ensemble); this model "
                     "is a jury of %u (%s first)",
                     m->b->n_models, m->b->n_models ? m->b->models[0].kind->name : "none");
        return FDX_ENOTSUP;
    }
    if (!(margin >= 0 && margin <= 1)) {
        fdxi_set_err(errbuf, errlen, "margin %g out of range (0 to 1)", margin);
        return FDX_ERANGE;
    }
    fdxi_wtrees_set_margin(w, margin);
    return 0;
}

int fdx_model_bind_names(fdx_model *m, const char *const *names, uint32_t n, char *errbuf,
                         size_t errlen)
{
    if (m == NULL || (names == NULL && n > 0)) {
        fdxi_set_err(errbuf, errlen, "fdx_model_bind_names: NULL argument");
        return FDX_EINVAL;
    }
    uint32_t *map = calloc(m->b->n_inputs ? m->b->n_inputs : 1, sizeof(*map));
    if (map == NULL)
        return FDX_ENOMEM;
    int rc = fdxi_bundle_bind(m->b, names, n, map, errbuf, errlen);
    if (rc < 0) {
        free(map);
        return rc;
    }
    free(m->map);
    m->map = map;
    m->n_features = n;
    return 0;
}

int fdx_model_bind(fdx_model *m, const fdx_engine *e, char *errbuf, size_t errlen)
{
    if (m == NULL || e == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_model_bind: %s is NULL",
                     m == NULL ? "the model" : "the engine");
        return FDX_EINVAL;
    }
    uint32_t n = fdx_engine_feature_count(e);
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (names == NULL)
        return FDX_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        names[i] = fdx_engine_feature_name(e, i);
    int rc = fdx_model_bind_names(m, names, n, errbuf, errlen);
    free(names);
    return rc;
}

int fdx_model_classify(const fdx_model *m, const struct fdx_flow_record *rec,
                       struct fdx_verdict *ret)
{
    /* Callers built against the first release pass the struct without `uncertain`. A record
     * must reach its features and have the bound width (a record of another engine of the
     * same width cannot be told apart: bind once per engine). */
    if (m == NULL || rec == NULL || ret == NULL || m->map == NULL ||
        !FDXI_HAS_FIELD(rec, struct fdx_flow_record, n_features) ||
        rec->n_features != m->n_features || (rec->n_features > 0 && rec->features == NULL) ||
        ret->struct_size < offsetof(struct fdx_verdict, uncertain))
        return FDX_EINVAL;
    const struct fdxi_bundle *b = m->b;
    size_t need = 2 * (size_t)b->n_inputs + b->n_classes;
    double stack[512];
    double *scratch = need <= 512 ? stack : malloc(need * sizeof(double));
    if (scratch == NULL)
        return FDX_ENOMEM;
    struct fdxi_verdict v;
    fdxi_bundle_classify(b, rec->features, m->map, scratch, &v);
    if (scratch != stack)
        free(scratch);
    ret->verdict = v.verdict;
    ret->score = v.score;
    ret->n_models = v.n_models;
    for (uint32_t i = 0; i < v.n_models; i++) {
        ret->votes[i] = v.vote[i];
        ret->proba[i] = v.proba[i];
    }
    if (FDXI_HAS_FIELD(ret, struct fdx_verdict, uncertain))
        ret->uncertain = v.uncertain;
    return 0;
}

static size_t add_scores(char *buf, size_t len, size_t used, const struct fdxi_bundle_scores *s)
{
    return fdxi_appendf(buf, len, used,
                        "accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, AUC %.4f",
                        s->accuracy, s->precision, s->recall, s->f1, s->roc_auc);
}

size_t fdx_model_describe(const fdx_model *m, char *buf, size_t len)
{
    const struct fdxi_bundle *b = m->b;
    size_t used = 0;
    used = fdxi_appendf(buf, len, used, "feature set:   %s\n", b->feature_set);
    used = fdxi_appendf(buf, len, used, "training data: %s\n", b->description);
    used = fdxi_appendf(buf, len, used, "               %u rows, checksum %016llx, seed %llu\n",
                        b->train_rows, (unsigned long long)b->data_checksum,
                        (unsigned long long)b->seed);
    if (b->one_way_rows == FDXI_ONE_WAY_UNKNOWN)
        used = fdxi_appendf(buf, len, used, "one-way rows:  unknown (not recorded)\n");
    else
        used = fdxi_appendf(buf, len, used,
                            "one-way rows:  %u (training rows of flows with no packet in the "
                            "response direction)\n",
                            b->one_way_rows);
    used = fdxi_appendf(buf, len, used, "correction:    %s\n",
                        b->correction == FDXI_CORRECTION_DATASET
                            ? "dataset rows mapped to IP lengths (header correction)"
                            : "none");
    used = fdxi_appendf(buf, len, used, "classes:      ");
    for (uint32_t c = 0; c < b->n_classes; c++)
        used = fdxi_appendf(buf, len, used, " %u = '%s'%s", c, b->class_names[c],
                            c + 1 < b->n_classes ? "," : "\n");
    used = fdxi_appendf(buf, len, used, "inputs (%u, scaled as (x - mean) / scale; NaN -> %g):\n",
                        b->n_inputs, b->nan_value);
    for (uint32_t i = 0; i < b->n_inputs; i++)
        used = fdxi_appendf(buf, len, used, "  %-40s mean %14.6g  scale %14.6g\n",
                            b->input_names[i], b->mean[i], b->scale[i]);
    used = fdxi_appendf(buf, len, used, "models (cross-validated scores):\n");
    for (uint32_t i = 0; i < b->n_models; i++) {
        used = fdxi_appendf(buf, len, used, "  %-7s weight %.2f  ", b->models[i].kind->name,
                            b->models[i].weight);
        used = add_scores(buf, len, used, &b->models[i].scores);
        used = fdxi_appendf(buf, len, used, "\n%*s", 10, "");
        used = b->models[i].kind->describe(b->models[i].model, buf, len, used);
        used = fdxi_appendf(buf, len, used, "\n");
    }
    const void *w = fdxi_bundle_wtrees(b);
    if (w != NULL) {
        uint32_t n = fdxi_wtrees_count(w);
        double lo = 1, hi = 0;
        for (uint32_t i = 0; i < n; i++) {
            double a = fdxi_wtrees_accuracy(w, i);
            lo = a < lo ? a : lo;
            hi = a > hi ? a : hi;
        }
        double margin = fdxi_wtrees_margin(w);
        char when[64] = "a tie"; /* margin 0: the paper's bare sign */
        if (margin > 0)
            snprintf(when, sizeof(when), "|sum| < %g or a tie", margin);
        return fdxi_appendf(buf, len, used,
                            "verdict:       sign of the accuracy-weighted sum of %u tree votes "
                            "(tree accuracies %.4f to %.4f); %s: uncertain\n",
                            n, lo, hi, when);
    }
    used = fdxi_appendf(buf, len, used,
                        "jury:          class 1 when the weighted share of votes is >= "
                        "%.2f\n               ",
                        b->threshold);
    used = add_scores(buf, len, used, &b->jury_scores);
    return fdxi_appendf(buf, len, used, "\n");
}
