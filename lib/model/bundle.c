/* SPDX-License-Identifier: BSD-3-Clause */
/* Reads, validates and writes model bundles, and runs their jury (doc/model-file.md). */
#include "model/bundle.h"
#include "core/err.h"
#include "core/file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowdx/flowdx.h"
#include "model/tree.h"

static const char magic[4] = {'F', 'D', 'X', 'M'};
#define FORMAT_VERSION 2u /* written; 1 and 2 are read (1 lacks the one-way rows) */

static const struct fdxi_model_kind *const kinds[] = {
    &fdxi_model_knn,    &fdxi_model_svm, &fdxi_model_tree,
    &fdxi_model_forest, &fdxi_model_mlp, &fdxi_model_wtrees,
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const struct fdxi_model_kind *fdxi_model_kind_by_name(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++) {
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    }
    return NULL;
}

const struct fdxi_model_kind *fdxi_model_kind_by_tag(uint32_t tag)
{
    for (size_t i = 0; i < N_KINDS; i++) {
        if (kinds[i]->tag == tag)
            return kinds[i];
    }
    return NULL;
}

/* ---- writing ---- */

static void write_scores(struct fdxi_wbuf *w, const struct fdxi_bundle_scores *s)
{
    fdxi_wbuf_f64(w, s->accuracy);
    fdxi_wbuf_f64(w, s->precision);
    fdxi_wbuf_f64(w, s->recall);
    fdxi_wbuf_f64(w, s->f1);
    fdxi_wbuf_f64(w, s->roc_auc);
}

static void write_payload(const struct fdxi_bundle *b, struct fdxi_wbuf *w)
{
    fdxi_wbuf_str(w, b->feature_set);
    fdxi_wbuf_u32(w, b->n_inputs);
    for (uint32_t i = 0; i < b->n_inputs; i++)
        fdxi_wbuf_str(w, b->input_names[i]);
    fdxi_wbuf_f64s(w, b->mean, b->n_inputs);
    fdxi_wbuf_f64s(w, b->scale, b->n_inputs);
    fdxi_wbuf_f64(w, b->nan_value);
    fdxi_wbuf_u32(w, b->correction);
    fdxi_wbuf_u32(w, b->n_classes);
    for (uint32_t i = 0; i < b->n_classes; i++)
        fdxi_wbuf_str(w, b->class_names[i]);
    fdxi_wbuf_u32(w, b->n_models);
    for (uint32_t i = 0; i < b->n_models; i++) {
        const struct fdxi_bundle_model *m = &b->models[i];
        fdxi_wbuf_u32(w, m->kind->tag);
        fdxi_wbuf_f64(w, m->weight);
        write_scores(w, &m->scores);
        /* The model's own bytes, with their length, so a loader can hold each to its share. */
        struct fdxi_wbuf mw = {0};
        m->kind->save(m->model, &mw);
        if (mw.failed)
            w->failed = true;
        fdxi_wbuf_u64(w, mw.len);
        fdxi_wbuf_bytes(w, mw.data, mw.len);
        fdxi_wbuf_fini(&mw);
    }
    fdxi_wbuf_f64(w, b->threshold);
    write_scores(w, &b->jury_scores);
    fdxi_wbuf_u64(w, b->data_checksum);
    fdxi_wbuf_u64(w, b->seed);
    fdxi_wbuf_u32(w, b->train_rows);
    fdxi_wbuf_str(w, b->description ? b->description : "");
    if (b->version != 1)
        fdxi_wbuf_u32(w, b->one_way_rows); /* format 2 */
}

void fdxi_bundle_write(const struct fdxi_bundle *b, struct fdxi_wbuf *w)
{
    struct fdxi_wbuf payload = {0};
    write_payload(b, &payload);
    fdxi_wbuf_bytes(w, magic, sizeof(magic));
    fdxi_wbuf_u32(w, b->version == 1 ? 1 : FORMAT_VERSION);
    fdxi_wbuf_u64(w, payload.len);
    fdxi_wbuf_bytes(w, payload.data, payload.len);
    fdxi_wbuf_u64(w, fdxi_fnv1a64(payload.data, payload.len));
    if (payload.failed)
        w->failed = true;
    fdxi_wbuf_fini(&payload);
}

int fdxi_bundle_save(const struct fdxi_bundle *b, const char *path, char *err, size_t errlen)
{
    struct fdxi_wbuf w = {0};
    fdxi_bundle_write(b, &w);
    int rc;
    if (w.failed) {
        fdxi_set_err(err, errlen, "%s: out of memory serialising the model", path);
        rc = FDX_ENOMEM;
    } else {
        rc = fdxi_file_replace(path, w.data, w.len, err, errlen);
    }
    fdxi_wbuf_fini(&w);
    return rc;
}

/* ---- reading ---- */

void fdxi_bundle_free(struct fdxi_bundle *b)
{
    if (b == NULL)
        return;
    free(b->feature_set);
    if (b->input_names != NULL) {
        for (uint32_t i = 0; i < b->n_inputs; i++)
            free(b->input_names[i]);
    }
    free(b->input_names);
    free(b->mean);
    free(b->scale);
    if (b->class_names != NULL) {
        for (uint32_t i = 0; i < b->n_classes; i++)
            free(b->class_names[i]);
    }
    free(b->class_names);
    for (uint32_t i = 0; i < b->n_models; i++) {
        if (b->models[i].model != NULL)
            b->models[i].kind->free(b->models[i].model);
    }
    free(b->description);
    free(b);
}

static void read_scores(struct fdxi_rbuf *r, struct fdxi_bundle_scores *s)
{
    /* Scores may be NaN (not measured) but nothing else out of [0, 1]. */
    double *v[5] = {&s->accuracy, &s->precision, &s->recall, &s->f1, &s->roc_auc};
    for (int i = 0; i < 5; i++) {
        size_t at = r->off;
        *v[i] = fdxi_rbuf_f64(r, "score");
        if (fdxi_rbuf_ok(r) && !isnan(*v[i]) && (*v[i] < 0 || *v[i] > 1))
            fdxi_rbuf_fail(r, "offset %zu: score %g outside 0 to 1", at, *v[i]);
    }
}

static char **read_names(struct fdxi_rbuf *r, uint32_t n, const char *what)
{
    char **names = calloc(n ? n : 1, sizeof(*names));
    if (names == NULL) {
        fdxi_rbuf_fail(r, "%s: out of memory", what);
        return NULL;
    }
    for (uint32_t i = 0; i < n && fdxi_rbuf_ok(r); i++)
        names[i] = fdxi_rbuf_str(r, FDXI_BUNDLE_MAX_NAME, what);
    return names;
}

static void read_model(struct fdxi_rbuf *r, struct fdxi_bundle *b, uint32_t i)
{
    struct fdxi_bundle_model *m = &b->models[i];
    size_t at = r->off;
    uint32_t tag = fdxi_rbuf_u32(r, "model kind");
    m->kind = fdxi_model_kind_by_tag(tag);
    if (fdxi_rbuf_ok(r) && m->kind == NULL) {
        fdxi_rbuf_fail(r, "offset %zu: model %u: unknown kind %u", at, i + 1, tag);
        return;
    }
    at = r->off;
    m->weight = fdxi_rbuf_finite(r, "model weight");
    if (fdxi_rbuf_ok(r) && m->weight < 0)
        fdxi_rbuf_fail(r, "offset %zu: model %u: negative weight", at, i + 1);
    read_scores(r, &m->scores);
    uint64_t len = fdxi_rbuf_u64(r, "model length");
    if (!fdxi_rbuf_ok(r))
        return;
    if (len > r->len - r->off) {
        fdxi_rbuf_fail(r, "offset %zu: model %u (%s): %llu bytes announced, %zu left", r->off,
                       i + 1, m->kind->name, (unsigned long long)len, r->len - r->off);
        return;
    }
    /* The kind's loader sees exactly its own bytes and must use all of them. */
    struct fdxi_rbuf sub;
    fdxi_rbuf_init(&sub, r->data + r->off, (size_t)len);
    m->model = m->kind->load(&sub, b->n_inputs, b->n_classes);
    if (m->model == NULL || !fdxi_rbuf_ok(&sub)) {
        fdxi_rbuf_fail(r, "offset %zu: model %u (%s): %s", r->off, i + 1, m->kind->name,
                       sub.failed ? sub.err : "refused");
        return;
    }
    if (sub.off != sub.len) {
        fdxi_rbuf_fail(r, "offset %zu: model %u (%s): %zu bytes left over", r->off, i + 1,
                       m->kind->name, sub.len - sub.off);
        return;
    }
    r->off += (size_t)len;
}

static void read_payload(struct fdxi_rbuf *r, uint32_t version, struct fdxi_bundle *b)
{
    b->feature_set = fdxi_rbuf_str(r, FDXI_BUNDLE_MAX_NAME, "feature set");
    b->n_inputs = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_FEATURES, "number of inputs");
    if (!fdxi_rbuf_ok(r))
        return;
    b->input_names = read_names(r, b->n_inputs, "input name");
    b->mean = calloc(b->n_inputs, sizeof(double));
    b->scale = calloc(b->n_inputs, sizeof(double));
    if (b->mean == NULL || b->scale == NULL) {
        fdxi_rbuf_fail(r, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < b->n_inputs; i++)
        b->mean[i] = fdxi_rbuf_finite(r, "scaler mean");
    for (uint32_t i = 0; i < b->n_inputs; i++) {
        size_t at = r->off;
        b->scale[i] = fdxi_rbuf_finite(r, "scaler scale");
        if (fdxi_rbuf_ok(r) && !(b->scale[i] > 0))
            fdxi_rbuf_fail(r, "offset %zu: scaler scale of input %u is not positive", at, i + 1);
    }
    b->nan_value = fdxi_rbuf_finite(r, "NaN replacement");
    b->correction = fdxi_rbuf_count(r, 0, FDXI_CORRECTION_DATASET, "correction");
    b->n_classes = fdxi_rbuf_count(r, 2, FDXI_MODEL_MAX_CLASSES, "number of classes");
    if (!fdxi_rbuf_ok(r))
        return;
    b->class_names = read_names(r, b->n_classes, "class name");
    b->n_models = fdxi_rbuf_count(r, 1, FDXI_BUNDLE_MAX_MODELS, "number of models");
    for (uint32_t i = 0; i < b->n_models && fdxi_rbuf_ok(r); i++)
        read_model(r, b, i);
    size_t at = r->off;
    b->threshold = fdxi_rbuf_finite(r, "jury threshold");
    if (fdxi_rbuf_ok(r) && !(b->threshold > 0 && b->threshold <= 1))
        fdxi_rbuf_fail(r, "offset %zu: jury threshold %g outside (0, 1]", at, b->threshold);
    read_scores(r, &b->jury_scores);
    b->data_checksum = fdxi_rbuf_u64(r, "data checksum");
    b->seed = fdxi_rbuf_u64(r, "seed");
    b->train_rows = fdxi_rbuf_u32(r, "training rows");
    b->description = fdxi_rbuf_str(r, 65536, "description");
    b->one_way_rows =
        version >= 2 ? fdxi_rbuf_u32(r, "one-way training rows") : FDXI_ONE_WAY_UNKNOWN;
    double weights = 0;
    for (uint32_t i = 0; i < b->n_models; i++)
        weights += b->models[i].weight;
    /* Finite too: weights whose sum overflows would make every share NaN (a silent "benign"). */
    if (fdxi_rbuf_ok(r) && !(weights > 0 && isfinite(weights)))
        fdxi_rbuf_fail(r, "the models' weights add up to %g (must be positive and finite)",
                       weights);
    if (fdxi_rbuf_ok(r) && r->off != r->len)
        fdxi_rbuf_fail(r, "offset %zu: %zu bytes after the end of the model", r->off,
                       r->len - r->off);
}

int fdxi_bundle_parse(const void *data, size_t len, const char *name, struct fdxi_bundle **ret,
                      char *err, size_t errlen)
{
    struct fdxi_rbuf r;
    fdxi_rbuf_init(&r, data, len);
    if (len < 4 || memcmp(data, magic, 4) != 0) {
        fdxi_set_err(err, errlen, "%s: not a flowdx model file (no FDXM signature)", name);
        return FDX_EFORMAT;
    }
    r.off = 4;
    uint32_t version = fdxi_rbuf_u32(&r, "format version");
    uint64_t plen = fdxi_rbuf_u64(&r, "payload length");
    if (!fdxi_rbuf_ok(&r)) {
        fdxi_set_err(err, errlen, "%s: %s", name, r.err);
        return FDX_EFORMAT;
    }
    if (version < 1 || version > FORMAT_VERSION) {
        fdxi_set_err(err, errlen, "%s: model format version %u; this flowdx reads versions 1 to %u",
                     name, version, FORMAT_VERSION);
        return FDX_ENOTSUP;
    }
    if (plen > len - r.off || len - r.off - plen != 8) {
        fdxi_set_err(err, errlen,
                     "%s: truncated or padded: %llu payload bytes announced, file has "
                     "%zu after the header (payload + 8-byte checksum expected)",
                     name, (unsigned long long)plen, len - r.off);
        return FDX_EFORMAT;
    }
    const uint8_t *payload = (const uint8_t *)data + r.off;
    struct fdxi_rbuf tail;
    fdxi_rbuf_init(&tail, payload + plen, 8);
    uint64_t sum = fdxi_rbuf_u64(&tail, "checksum");
    if (sum != fdxi_fnv1a64(payload, (size_t)plen)) {
        fdxi_set_err(err, errlen, "%s: checksum mismatch: the file is corrupted", name);
        return FDX_EFORMAT;
    }
    /* The checksum only catches accidents; the payload is still validated field by field. */
    struct fdxi_bundle *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", name);
        return FDX_ENOMEM;
    }
    struct fdxi_rbuf p;
    fdxi_rbuf_init(&p, payload, (size_t)plen);
    b->version = version;
    read_payload(&p, version, b);
    if (!fdxi_rbuf_ok(&p)) {
        /* Offsets in messages count from the payload's start, which the prefix locates. */
        fdxi_set_err(err, errlen, "%s: payload (file offset +%zu): %s", name, r.off, p.err);
        fdxi_bundle_free(b);
        return FDX_EFORMAT;
    }
    *ret = b;
    return 0;
}

int fdxi_bundle_load(const char *path, struct fdxi_bundle **ret, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fdxi_set_err(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? FDX_ENOENT : FDX_EIO;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fdxi_set_err(err, errlen, "%s: not a regular file", path);
        fclose(fp);
        return FDX_EIO;
    }
    if ((uint64_t)st.st_size > FDXI_BUNDLE_MAX_BYTES) {
        fdxi_set_err(err, errlen, "%s: %lld bytes, larger than any model flowdx writes (%u)", path,
                     (long long)st.st_size, FDXI_BUNDLE_MAX_BYTES);
        fclose(fp);
        return FDX_ERANGE;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *data = malloc(n ? n : 1);
    if (data == NULL) {
        fclose(fp);
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        return FDX_ENOMEM;
    }
    size_t got = fread(data, 1, n, fp);
    fclose(fp);
    int rc;
    if (got != n) {
        fdxi_set_err(err, errlen, "%s: read %zu of %zu bytes", path, got, n);
        rc = FDX_EIO;
    } else {
        rc = fdxi_bundle_parse(data, n, path, ret, err, errlen);
    }
    free(data);
    return rc;
}

/* ---- use ---- */

int fdxi_bundle_bind(const struct fdxi_bundle *b, const char *const *names, uint32_t n_names,
                     uint32_t *map, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < b->n_inputs; i++) {
        uint32_t j = 0;
        while (j < n_names && strcmp(names[j], b->input_names[i]) != 0)
            j++;
        if (j == n_names) {
            fdxi_set_err(err, errlen, "the model reads feature '%s', which feature set '%s' lacks",
                         b->input_names[i], b->feature_set);
            return FDX_ENOENT;
        }
        map[i] = j;
    }
    return 0;
}

uint32_t fdxi_bundle_vote(const struct fdxi_bundle *b, const uint32_t *votes, double *ret_score)
{
    double share[FDXI_MODEL_MAX_CLASSES] = {0}, total = 0;
    for (uint32_t i = 0; i < b->n_models; i++) {
        share[votes[i]] += b->models[i].weight;
        total += b->models[i].weight;
    }
    if (b->n_classes == 2) {
        double s = share[1] / total;
        *ret_score = s;
        return s >= b->threshold ? 1 : 0;
    }
    /* More classes: the heaviest class; ties go to the lower class index. */
    uint32_t best = 0;
    for (uint32_t c = 1; c < b->n_classes; c++) {
        if (share[c] > share[best])
            best = c;
    }
    *ret_score = share[best] / total;
    return best;
}

void fdxi_bundle_classify(const struct fdxi_bundle *b, const double *x_full, const uint32_t *map,
                          double *scratch, struct fdxi_verdict *ret)
{
    double *x = scratch, *proba = scratch + b->n_inputs;
    for (uint32_t i = 0; i < b->n_inputs; i++) {
        double v = x_full[map[i]];
        if (!isfinite(v))
            v = isnan(v) ? b->nan_value : (v > 0 ? 1e308 : -1e308);
        x[i] = (v - b->mean[i]) / b->scale[i];
    }
    ret->n_models = b->n_models;
    /* A lone weighted-trees model decides with its own rule, "uncertain" included
     * (doc/training.md); the jury's vote stands for every other bundle. */
    bool wtrees = fdxi_bundle_wtrees(b) != NULL;
    int decision = 0;
    for (uint32_t m = 0; m < b->n_models; m++) {
        if (wtrees)
            decision = fdxi_wtrees_classify(b->models[m].model, x, proba);
        else
            b->models[m].kind->predict(b->models[m].model, x, proba);
        uint32_t best = 0;
        for (uint32_t c = 1; c < b->n_classes; c++) {
            if (proba[c] > proba[best])
                best = c;
        }
        ret->vote[m] = best;
        ret->proba[m] = b->n_classes == 2 ? proba[1] : proba[best];
    }
    ret->verdict = fdxi_bundle_vote(b, ret->vote, &ret->score);
    ret->uncertain = 0;
    if (wtrees) {
        ret->verdict = decision > 0;
        ret->uncertain = decision == 0;
        ret->score = proba[1]; /* (1 + sum) / 2 */
    }
}

void *fdxi_bundle_wtrees(const struct fdxi_bundle *b)
{
    return b->n_models == 1 && b->models[0].kind == &fdxi_model_wtrees ? b->models[0].model : NULL;
}
