/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of model bundles: round trips, the jury, binding by name and hostile files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_model.h"
#include "model/bundle.h"
#include "model/model.h"
#include "model/tree.h"
#include "scratch.h"

/*
 * The bundle layout the tests rely on is written down here, independently of bundle.c, and the
 * hostile files are built with the test's own little-endian writer and FNV-1a 64 (below):
 *
 *   "FDXM", u32 version (2), u64 payload length, payload, u64 FNV-1a 64 of the payload.
 *   payload: str feature_set, u32 n_inputs, n_inputs str names, n_inputs f64 means,
 *            n_inputs f64 scales, f64 nan_value, u32 correction, u32 n_classes,
 *            n_classes str names, u32 n_models, per model {u32 kind tag, f64 weight,
 *            5 f64 scores, u64 length, the kind's bytes}, f64 threshold, 5 f64 jury scores,
 *            u64 data checksum, u64 seed, u32 training rows, str description,
 *            u32 one-way training rows (0xffffffff unknown). Version 1: the same without
 *            the last field.
 *   str: u32 length, then the bytes. Tags: knn 1, svm 2, tree 3, forest 4, mlp 5.
 *   A tree (the tree kind's bytes, n_classes 2): u32 node count, then per node u32 feature
 *   (0xffffffff for a leaf), f64 threshold, u32 left, u32 right, u32 rows, 2 f64 class
 *   frequencies: 40 bytes a node. A kNN: u32 format (1), u32 k, u8 weighted, u32 rows,
 *   rows * d f64, rows u32 labels.
 *
 * The round-trip test checks that fdxi_bundle_write() produces exactly this layout.
 */

#define D 3
#define LEAF 0xffffffffu

static const char *const input_names[D] = {"pkt_len_mean", "iat_var", "duration_us"};
static const double input_mean[D] = {120.0, 0.25, 5e6};
static const double input_scale[D] = {40.0, 0.5, 2e6};

/* ---- an independent writer and checksum ---- */

struct obuf {
    uint8_t *p;
    size_t len, cap;
};

static void ob_bytes(struct obuf *o, const void *p, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n)
            cap *= 2;
        o->p = realloc(o->p, cap);
        assert_non_null(o->p);
        o->cap = cap;
    }
    if (n > 0)
        memcpy(o->p + o->len, p, n);
    o->len += n;
}

static void ob_u8(struct obuf *o, uint8_t v)
{
    ob_bytes(o, &v, 1);
}

static void ob_u32(struct obuf *o, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        ob_u8(o, (uint8_t)(v >> (8 * i)));
}

static void ob_u64(struct obuf *o, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        ob_u8(o, (uint8_t)(v >> (8 * i)));
}

static void ob_f64(struct obuf *o, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    ob_u64(o, bits);
}

static void ob_str(struct obuf *o, const char *s)
{
    ob_u32(o, (uint32_t)strlen(s));
    ob_bytes(o, s, strlen(s));
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_f64(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    put_u64(p, bits);
}

/* FNV-1a 64 as its authors define it (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The whole file around a payload: magic, version, length, payload, checksum. */
static struct obuf wrap(const uint8_t *payload, size_t n, uint32_t version)
{
    struct obuf o = {0};
    ob_bytes(&o, "FDXM", 4);
    ob_u32(&o, version);
    ob_u64(&o, n);
    ob_bytes(&o, payload, n);
    ob_u64(&o, fnv(payload, n));
    return o;
}

/* Rewrite the length and checksum of a whole file after its payload was patched. */
static void reseal(uint8_t *file, size_t len)
{
    assert_true(len >= 24);
    put_u64(file + 8, len - 24);
    put_u64(file + len - 8, fnv(file + 16, len - 24));
}

/* ---- synthetic data and trained models ---- */

/* Two classes of n / 2 rows each: class 0 ~ N(0, 1) per feature, class 1 ~ N(1.5, 1). */
static void make_data(uint64_t seed, uint32_t n, double *x, int32_t *y)
{
    struct fdxi_rng r;
    fdxi_rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 2);
        for (uint32_t j = 0; j < D; j++)
            x[(size_t)i * D + j] = fdxi_rng_normal(&r) + (y[i] ? 1.5 : 0.0);
    }
}

static void small_params(struct fdxi_train_params *p)
{
    fdxi_train_params_init(p);
    p->forest_trees = 5;
    p->mlp_layers[0] = 6;
    p->mlp_layers[1] = 0;
    p->mlp_max_epochs = 40;
}

static void *train(const struct fdxi_model_kind *k, const struct fdxi_train_params *p,
                   const double *x, const int32_t *y, uint32_t n)
{
    void *m = NULL;
    char err[256] = "";
    int rc = k->train(p, x, y, n, D, 2, &m, err, sizeof(err));
    if (rc != 0)
        print_error("%s: train: %s\n", k->name, err);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

static char *xstrdup(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

/* A bundle filled by hand, with no models yet (fdxi_bundle_free() frees it). */
static struct fdxi_bundle *new_bundle(void)
{
    struct fdxi_bundle *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->feature_set = xstrdup("doh:ip");
    b->n_inputs = D;
    b->input_names = calloc(D, sizeof(char *));
    b->mean = calloc(D, sizeof(double));
    b->scale = calloc(D, sizeof(double));
    assert_true(b->input_names && b->mean && b->scale);
    for (uint32_t j = 0; j < D; j++) {
        b->input_names[j] = xstrdup(input_names[j]);
        b->mean[j] = input_mean[j];
        b->scale[j] = input_scale[j];
    }
    b->nan_value = -1.0;
    b->correction = FDXI_CORRECTION_DATASET;
    b->n_classes = 2;
    b->class_names = calloc(2, sizeof(char *));
    assert_non_null(b->class_names);
    b->class_names[0] = xstrdup("benign");
    b->class_names[1] = xstrdup("malicious");
    b->threshold = 0.5;
    b->jury_scores = (struct fdxi_bundle_scores){0.91, 0.92, 0.93, 0.94, NAN};
    b->data_checksum = 0x0123456789abcdefull;
    b->seed = 42;
    b->train_rows = 120;
    b->description = xstrdup("test_bundle: synthetic blobs");
    b->one_way_rows = 7;
    return b;
}

static void add_model(struct fdxi_bundle *b, const struct fdxi_model_kind *k, void *m, double w)
{
    assert_true(b->n_models < FDXI_BUNDLE_MAX_MODELS);
    struct fdxi_bundle_model *bm = &b->models[b->n_models++];
    bm->kind = k;
    bm->model = m;
    bm->weight = w;
    bm->scores = (struct fdxi_bundle_scores){0.8, 0.7, 0.6, 0.5, 0.4};
}

static const struct fdxi_model_kind *const all_kinds[5] = {
    &fdxi_model_knn, &fdxi_model_svm, &fdxi_model_tree, &fdxi_model_forest, &fdxi_model_mlp,
};

/* The five kinds, trained on 120 rows, weight 1 each: built once for the whole program. */
static struct fdxi_bundle *ref_bundle;
static struct obuf ref_file; /* its bytes, as fdxi_bundle_write() puts them */

static int group_setup(void **state)
{
    (void)state;
    enum { N = 120 };
    double x[N * D];
    int32_t y[N];
    make_data(1, N, x, y);
    struct fdxi_train_params p;
    small_params(&p);
    ref_bundle = new_bundle();
    for (int k = 0; k < 5; k++)
        add_model(ref_bundle, all_kinds[k], train(all_kinds[k], &p, x, y, N), 1.0);
    struct fdxi_wbuf w = {0};
    fdxi_bundle_write(ref_bundle, &w);
    assert_false(w.failed);
    ob_bytes(&ref_file, w.data, w.len);
    fdxi_wbuf_fini(&w);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fdxi_bundle_free(ref_bundle);
    free(ref_file.p);
    return 0;
}

/* ---- helpers to use bundles ---- */

static const uint32_t identity[D] = {0, 1, 2};

static void classify(const struct fdxi_bundle *b, const double *x_full, const uint32_t *map,
                     struct fdxi_verdict *v)
{
    double *scratch = malloc((2 * (size_t)b->n_inputs + b->n_classes) * sizeof(double));
    assert_non_null(scratch);
    memset(v, 0, sizeof(*v));
    fdxi_bundle_classify(b, x_full, map, scratch, v);
    free(scratch);
}

/* Bit-for-bit equality of two verdicts (NaN included). */
static void assert_same_verdict(const struct fdxi_verdict *a, const struct fdxi_verdict *b)
{
    assert_int_equal(a->verdict, b->verdict);
    assert_memory_equal(&a->score, &b->score, sizeof(double));
    assert_int_equal(a->n_models, b->n_models);
    for (uint32_t m = 0; m < a->n_models; m++) {
        assert_int_equal(a->vote[m], b->vote[m]);
        assert_memory_equal(&a->proba[m], &b->proba[m], sizeof(double));
    }
}

/* A raw feature row: mostly in the training range, sometimes NaN, infinite or huge. */
static void random_row(struct fdxi_rng *r, double *x)
{
    for (uint32_t j = 0; j < D; j++) {
        uint64_t kind = fdxi_rng_below(r, 20);
        double z = fdxi_rng_normal(r) + (fdxi_rng_below(r, 2) ? 1.5 : 0.0);
        x[j] = kind == 0   ? NAN
               : kind == 1 ? INFINITY
               : kind == 2 ? -1e300
                           : input_mean[j] + input_scale[j] * z;
    }
}

static struct obuf read_whole(const char *path)
{
    struct obuf o = {0};
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        ob_bytes(&o, buf, n);
    fclose(fp);
    return o;
}

/* Parse an exact-size heap copy, so that any read past the end trips AddressSanitizer. */
static int parse_copy(const uint8_t *data, size_t len, struct fdxi_bundle **ret, char *err,
                      size_t errlen)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, data, len);
    err[0] = '\0';
    int rc = fdxi_bundle_parse(copy, len, "mem.fdxm", ret, err, errlen);
    free(copy);
    return rc;
}

/* A refusal names the file first and says something after it. */
static void assert_refused_msg(int rc, const char *err, const char *name)
{
    assert_true(rc < 0);
    size_t n = strlen(name);
    if (strncmp(err, name, n) != 0 || strncmp(err + n, ": ", 2) != 0 || err[n + 2] == '\0') {
        print_error("message does not start with '%s: ': '%s'\n", name, err);
        fail();
    }
}

static void assert_contains(const char *s, const char *sub)
{
    if (strstr(s, sub) == NULL) {
        print_error("'%s' does not contain '%s'\n", s, sub);
        fail();
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- checksum ---- */

static void test_bundle_fnv1a64_matches_reference_vectors(void **state)
{
    (void)state;
    /* Published FNV-1a 64 test vectors (also recomputed with Python's big integers). */
    assert_true(fnv((const uint8_t *)"", 0) == 0xcbf29ce484222325ull);
    assert_true(fnv((const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(fnv((const uint8_t *)"foobar", 6) == 0x85944171f73967e8ull);
    assert_true(fdxi_fnv1a64("", 0) == 0xcbf29ce484222325ull);
    assert_true(fdxi_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(fdxi_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
}

/* ---- round trip ---- */

/* What the layout comment above says, written by the test from the models' own bytes, in
 * format @p version (1 or 2). */
static struct obuf independent_serialisation(const struct fdxi_bundle *b, uint32_t version)
{
    struct obuf p = {0};
    ob_str(&p, b->feature_set);
    ob_u32(&p, b->n_inputs);
    for (uint32_t j = 0; j < b->n_inputs; j++)
        ob_str(&p, b->input_names[j]);
    for (uint32_t j = 0; j < b->n_inputs; j++)
        ob_f64(&p, b->mean[j]);
    for (uint32_t j = 0; j < b->n_inputs; j++)
        ob_f64(&p, b->scale[j]);
    ob_f64(&p, b->nan_value);
    ob_u32(&p, b->correction);
    ob_u32(&p, b->n_classes);
    for (uint32_t c = 0; c < b->n_classes; c++)
        ob_str(&p, b->class_names[c]);
    ob_u32(&p, b->n_models);
    for (uint32_t m = 0; m < b->n_models; m++) {
        const struct fdxi_bundle_model *bm = &b->models[m];
        ob_u32(&p, bm->kind->tag);
        ob_f64(&p, bm->weight);
        const struct fdxi_bundle_scores *s = &bm->scores;
        ob_f64(&p, s->accuracy), ob_f64(&p, s->precision), ob_f64(&p, s->recall);
        ob_f64(&p, s->f1), ob_f64(&p, s->roc_auc);
        struct fdxi_wbuf w = {0};
        bm->kind->save(bm->model, &w);
        assert_false(w.failed);
        ob_u64(&p, w.len);
        ob_bytes(&p, w.data, w.len);
        fdxi_wbuf_fini(&w);
    }
    ob_f64(&p, b->threshold);
    const struct fdxi_bundle_scores *s = &b->jury_scores;
    ob_f64(&p, s->accuracy), ob_f64(&p, s->precision), ob_f64(&p, s->recall);
    ob_f64(&p, s->f1), ob_f64(&p, s->roc_auc);
    ob_u64(&p, b->data_checksum);
    ob_u64(&p, b->seed);
    ob_u32(&p, b->train_rows);
    ob_str(&p, b->description);
    if (version >= 2)
        ob_u32(&p, b->one_way_rows);
    struct obuf f = wrap(p.p, p.len, version);
    free(p.p);
    return f;
}

/* fdxi_bundle_write() gives exactly @p want (the format has one spelling of each model). */
static void assert_writes(const struct fdxi_bundle *b, const struct obuf *want)
{
    struct fdxi_wbuf w = {0};
    fdxi_bundle_write(b, &w);
    assert_false(w.failed);
    assert_int_equal(w.len, want->len);
    assert_memory_equal(w.data, want->p, want->len);
    fdxi_wbuf_fini(&w);
}

static void test_bundle_writes_the_documented_layout(void **state)
{
    (void)state;
    struct obuf want = independent_serialisation(ref_bundle, 2);
    assert_int_equal(ref_file.len, want.len);
    assert_memory_equal(ref_file.p, want.p, want.len);
    free(want.p);
}

static void test_bundle_round_trip_classifies_identically(void **state)
{
    struct scratch *s = *state;
    char path[4096], path2[4096];
    scratch_path(s, "m.fdxm", path, sizeof(path));
    scratch_path(s, "again.fdxm", path2, sizeof(path2));
    char err[512] = "";
    int rc = fdxi_bundle_save(ref_bundle, path, err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    struct obuf on_disk = read_whole(path);
    assert_int_equal(on_disk.len, ref_file.len);
    assert_memory_equal(on_disk.p, ref_file.p, ref_file.len);

    struct fdxi_bundle *b = NULL;
    rc = fdxi_bundle_load(path, &b, err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(b);

    /* Every field as it was put in. */
    assert_string_equal(b->feature_set, "doh:ip");
    assert_int_equal(b->n_inputs, D);
    for (uint32_t j = 0; j < D; j++) {
        assert_string_equal(b->input_names[j], input_names[j]);
        assert_memory_equal(&b->mean[j], &input_mean[j], sizeof(double));
        assert_memory_equal(&b->scale[j], &input_scale[j], sizeof(double));
    }
    assert_true(b->nan_value == -1.0);
    assert_int_equal(b->correction, FDXI_CORRECTION_DATASET);
    assert_int_equal(b->n_classes, 2);
    assert_string_equal(b->class_names[0], "benign");
    assert_string_equal(b->class_names[1], "malicious");
    assert_int_equal(b->n_models, 5);
    for (uint32_t m = 0; m < 5; m++) {
        assert_ptr_equal(b->models[m].kind, all_kinds[m]);
        assert_true(b->models[m].weight == 1.0);
        assert_true(b->models[m].scores.accuracy == 0.8 && b->models[m].scores.roc_auc == 0.4);
    }
    assert_true(b->threshold == 0.5);
    assert_true(b->jury_scores.f1 == 0.94 && isnan(b->jury_scores.roc_auc));
    assert_true(b->data_checksum == 0x0123456789abcdefull);
    assert_true(b->seed == 42);
    assert_int_equal(b->train_rows, 120);
    assert_string_equal(b->description, "test_bundle: synthetic blobs");
    assert_int_equal(b->one_way_rows, 7);

    /* The same verdicts, bit for bit, and each vote is the argmax of the model on the scaled
     * row (scaled here by hand: (x - mean) / scale, NaN -> nan_value first). */
    struct fdxi_rng r;
    fdxi_rng_seed(&r, 7);
    uint32_t ones = 0;
    for (int i = 0; i < 500; i++) {
        double x[D], xs[D], proba[2];
        random_row(&r, x);
        struct fdxi_verdict va, vb;
        classify(ref_bundle, x, identity, &va);
        classify(b, x, identity, &vb);
        assert_same_verdict(&va, &vb);
        if (isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2])) {
            for (uint32_t j = 0; j < D; j++)
                xs[j] = (x[j] - input_mean[j]) / input_scale[j];
            for (uint32_t m = 0; m < 5; m++) {
                all_kinds[m]->predict(ref_bundle->models[m].model, xs, proba);
                assert_int_equal(va.vote[m], proba[1] > proba[0] ? 1 : 0);
                assert_memory_equal(&va.proba[m], &proba[1], sizeof(double));
            }
        }
        /* Equal weights: the score is the share of models voting 1, class 1 from 0.5 on. */
        uint32_t n1 = 0;
        for (uint32_t m = 0; m < 5; m++)
            n1 += va.vote[m];
        assert_true(va.score == n1 / 5.0);
        assert_int_equal(va.verdict, n1 >= 3 ? 1 : 0);
        ones += va.verdict;
    }
    /* Both classes occur, so the comparison above was not of constant verdicts. */
    assert_true(ones > 50 && ones < 450);

    /* Re-written, the loaded bundle is the same bytes, in memory and on disk. */
    assert_writes(b, &ref_file);
    assert_int_equal(fdxi_bundle_save(b, path2, err, sizeof(err)), 0);
    struct obuf again = read_whole(path2);
    assert_int_equal(again.len, on_disk.len);
    assert_memory_equal(again.p, on_disk.p, on_disk.len);
    free(again.p);
    free(on_disk.p);
    fdxi_bundle_free(b);
}

/* A format-1 file (written before the one-way rows were recorded) still loads: the count is
 * unknown (-1 through the public API), it classifies as the format-2 file does, and it is written
 * back as the same format-1 bytes. The format-2 file gives its count (7, set in new_bundle). */
static void test_bundle_reads_format_1_without_one_way_rows(void **state)
{
    struct scratch *s = *state;
    char path[4096], path2[4096], err[512] = "";
    struct obuf v1 = independent_serialisation(ref_bundle, 1);
    assert_int_equal(v1.len, ref_file.len - 4); /* the same bytes but the u32 */
    struct fdxi_bundle *b = NULL;
    int rc = parse_copy(v1.p, v1.len, &b, err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(b->one_way_rows, FDXI_ONE_WAY_UNKNOWN);
    struct fdxi_rng r;
    fdxi_rng_seed(&r, 11);
    for (int i = 0; i < 200; i++) {
        double x[D];
        random_row(&r, x);
        struct fdxi_verdict va, vb;
        classify(ref_bundle, x, identity, &va);
        classify(b, x, identity, &vb);
        assert_same_verdict(&va, &vb);
    }
    assert_writes(b, &v1);
    fdxi_bundle_free(b);

    scratch_path(s, "v1.fdxm", path, sizeof(path));
    scratch_write(path, v1.p, v1.len);
    scratch_path(s, "v2.fdxm", path2, sizeof(path2));
    scratch_write(path2, ref_file.p, ref_file.len);
    fdx_model *m1 = NULL, *m2 = NULL;
    assert_int_equal(fdx_model_load(path, &m1, err, sizeof(err)), 0);
    assert_int_equal(fdx_model_load(path2, &m2, err, sizeof(err)), 0);
    assert_true(fdx_model_one_way_rows(m1) == -1);
    assert_true(fdx_model_one_way_rows(m2) == 7);
    char text[8192];
    fdx_model_describe(m1, text, sizeof(text));
    assert_contains(text, "one-way rows:  unknown");
    fdx_model_describe(m2, text, sizeof(text));
    assert_contains(text, "one-way rows:  7 (");
    fdx_model_free(m1);
    fdx_model_free(m2);
    free(v1.p);
}

static void test_bundle_public_load_names_models_and_classes(void **state)
{
    struct scratch *s = *state;
    char path[4096], err[512] = "";
    scratch_path(s, "m.fdxm", path, sizeof(path));
    scratch_write(path, ref_file.p, ref_file.len);
    fdx_model *m = NULL;
    assert_int_equal(fdx_model_load(path, &m, err, sizeof(err)), 0);
    assert_string_equal(fdx_model_feature_set(m), "doh:ip");
    assert_int_equal(fdx_model_count(m), 5);
    const char *names[5] = {"knn", "svm", "tree", "forest", "mlp"};
    for (uint32_t i = 0; i < 5; i++)
        assert_string_equal(fdx_model_kind(m, i), names[i]);
    assert_null(fdx_model_kind(m, 5));
    assert_int_equal(fdx_model_input_count(m), D);
    for (uint32_t j = 0; j < D; j++)
        assert_string_equal(fdx_model_input_name(m, j), input_names[j]);
    assert_null(fdx_model_input_name(m, D));
    assert_string_equal(fdx_model_class_name(m, 1), "malicious");
    assert_null(fdx_model_class_name(m, 2));
    fdx_model_free(m);

    /* A refusal leaves the output untouched and names the file. */
    char bad[4096];
    scratch_path(s, "bad.fdxm", bad, sizeof(bad));
    scratch_write(bad, ref_file.p, ref_file.len - 1);
    fdx_model *sentinel = (fdx_model *)&sentinel;
    m = sentinel;
    int rc = fdx_model_load(bad, &m, err, sizeof(err));
    assert_int_equal(rc, FDX_EFORMAT);
    assert_ptr_equal(m, sentinel);
    assert_refused_msg(rc, err, bad);
    assert_contains(err, "truncated");
}

/* NULL arguments and records that cannot be the bound layout are refused, not followed. */
static void test_bundle_public_api_refuses_null_and_bad_records(void **state)
{
    struct scratch *s = *state;
    char path[4096], err[512] = "";
    scratch_path(s, "m.fdxm", path, sizeof(path));
    scratch_write(path, ref_file.p, ref_file.len);
    fdx_model *m = NULL;
    assert_int_equal(fdx_model_load(NULL, &m, err, sizeof(err)), FDX_EINVAL);
    assert_contains(err, "the path is NULL");
    assert_int_equal(fdx_model_load(path, NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_model_load(path, &m, err, sizeof(err)), 0);
    assert_int_equal(fdx_model_bind(m, NULL, err, sizeof(err)), FDX_EINVAL);
    assert_contains(err, "the engine is NULL");
    double x[D] = {1, 2, 3};
    struct fdx_flow_record rec = {.struct_size = sizeof(rec), .features = x, .n_features = D};
    struct fdx_verdict v = {.struct_size = sizeof(v)};
    assert_int_equal(fdx_model_classify(m, &rec, &v), FDX_EINVAL); /* not bound yet */
    assert_int_equal(fdx_model_bind_names(m, input_names, D, err, sizeof(err)), 0);
    assert_int_equal(fdx_model_classify(m, &rec, &v), 0);
    assert_int_equal(fdx_model_classify(NULL, &rec, &v), FDX_EINVAL);
    assert_int_equal(fdx_model_classify(m, NULL, &v), FDX_EINVAL);
    assert_int_equal(fdx_model_classify(m, &rec, NULL), FDX_EINVAL);
    struct fdx_flow_record small = rec;
    small.struct_size = 8; /* too short to hold its features */
    assert_int_equal(fdx_model_classify(m, &small, &v), FDX_EINVAL);
    struct fdx_flow_record none = rec;
    none.features = NULL;
    assert_int_equal(fdx_model_classify(m, &none, &v), FDX_EINVAL);
    struct fdx_flow_record wide = rec;
    wide.n_features = D + 1;
    assert_int_equal(fdx_model_classify(m, &wide, &v), FDX_EINVAL);
    fdx_model_free(m);
}

/* ---- the jury ---- */

static void test_bundle_jury_weighted_share(void **state)
{
    (void)state;
    struct fdxi_bundle b = {.n_classes = 2, .n_models = 5, .threshold = 0.5};
    for (int i = 0; i < 5; i++)
        b.models[i].weight = 1.0;
    double score = -1;

    /* Votes 1,1,0,0,1 with equal weights: 3 of 5 say 1, share 3/5 = 0.6 >= 0.5 -> 1. */
    const uint32_t v1[5] = {1, 1, 0, 0, 1};
    assert_int_equal(fdxi_bundle_vote(&b, v1, &score), 1);
    assert_true(score == 0.6);
    /* The threshold is inclusive: a share of exactly 0.6 meets a threshold of 0.6. */
    b.threshold = 0.6;
    assert_int_equal(fdxi_bundle_vote(&b, v1, &score), 1);
    b.threshold = 0.61;
    assert_int_equal(fdxi_bundle_vote(&b, v1, &score), 0);

    /* Weights 1,1,1,1,3 and votes 0,0,0,0,1: share 3 / (1+1+1+1+3) = 3/7 = 0.4286 < 0.5 -> 0. */
    b.threshold = 0.5;
    b.models[4].weight = 3.0;
    const uint32_t v2[5] = {0, 0, 0, 0, 1};
    assert_int_equal(fdxi_bundle_vote(&b, v2, &score), 0);
    assert_true(score == 3.0 / 7.0);
    /* Threshold 0.4: 0.4286 >= 0.4 -> 1. */
    b.threshold = 0.4;
    assert_int_equal(fdxi_bundle_vote(&b, v2, &score), 1);
    assert_true(score == 3.0 / 7.0);

    /* A weight of 0 silences a model: weights 0,1,1,1,1, votes 1,0,0,0,0 -> share 0 -> 0. */
    b.threshold = 0.5;
    b.models[0].weight = 0.0;
    b.models[4].weight = 1.0;
    const uint32_t v3[5] = {1, 0, 0, 0, 0};
    assert_int_equal(fdxi_bundle_vote(&b, v3, &score), 0);
    assert_true(score == 0.0);

    /* Three classes: the heaviest class wins, ties go to the lower index. Votes 2,2,1,1,0 with
     * equal weights: classes 1 and 2 tie at 2/5 -> class 1, score 0.4. */
    b.n_classes = 3;
    b.models[0].weight = 1.0;
    const uint32_t v4[5] = {2, 2, 1, 1, 0};
    assert_int_equal(fdxi_bundle_vote(&b, v4, &score), 1);
    assert_true(score == 0.4);
    /* Weight 3 on the last model (class 0): 3 of 7 -> class 0. */
    b.models[4].weight = 3.0;
    assert_int_equal(fdxi_bundle_vote(&b, v4, &score), 0);
    assert_true(score == 3.0 / 7.0);
}

/* ---- binding by name ---- */

static void test_bundle_bind_maps_inputs_by_name(void **state)
{
    (void)state;
    /* The engine's layout: the bundle's inputs in another order, plus one it does not read. */
    const char *const layout[4] = {"duration_us", "other", "pkt_len_mean", "iat_var"};
    uint32_t map[D] = {99, 99, 99};
    char err[256] = "";
    assert_int_equal(fdxi_bundle_bind(ref_bundle, layout, 4, map, err, sizeof(err)), 0);
    assert_int_equal(map[0], 2);
    assert_int_equal(map[1], 3);
    assert_int_equal(map[2], 0);

    struct fdxi_rng r;
    fdxi_rng_seed(&r, 11);
    for (int i = 0; i < 100; i++) {
        double x[D], full[4];
        random_row(&r, x);
        full[0] = x[2];
        full[1] = 1e9; /* not read */
        full[2] = x[0];
        full[3] = x[1];
        struct fdxi_verdict a, b;
        classify(ref_bundle, x, identity, &a);
        classify(ref_bundle, full, map, &b);
        assert_same_verdict(&a, &b);
    }

    /* A layout without iat_var: refused, naming the input and the feature set. */
    const char *const lacking[2] = {"duration_us", "pkt_len_mean"};
    int rc = fdxi_bundle_bind(ref_bundle, lacking, 2, map, err, sizeof(err));
    assert_int_equal(rc, FDX_ENOENT);
    assert_contains(err, "'iat_var'");
    assert_contains(err, "doh:ip");
}

/* ---- broken files ---- */

static void load_refused(const char *path, const char *want, int want_rc)
{
    struct fdxi_bundle *b = NULL;
    char err[512] = "";
    int rc = fdxi_bundle_load(path, &b, err, sizeof(err));
    if (rc == 0) {
        print_error("%s: loaded, expected a refusal containing '%s'\n", path, want);
        fdxi_bundle_free(b);
        fail();
    }
    assert_null(b);
    assert_int_equal(rc, want_rc);
    assert_refused_msg(rc, err, path);
    assert_contains(err, want);
}

static void test_bundle_refuses_empty_bad_magic_and_newer_version(void **state)
{
    struct scratch *s = *state;
    char path[4096];

    scratch_path(s, "empty.fdxm", path, sizeof(path));
    scratch_write(path, "", 0);
    load_refused(path, "no FDXM signature", FDX_EFORMAT);

    struct obuf f = {0};
    ob_bytes(&f, ref_file.p, ref_file.len);
    f.p[3] = 'N'; /* "FDXN" */
    scratch_path(s, "magic.fdxm", path, sizeof(path));
    scratch_write(path, f.p, f.len);
    load_refused(path, "not a flowdx model file", FDX_EFORMAT);

    f.p[3] = 'M';
    put_u32(f.p + 4, 3);
    scratch_path(s, "v3.fdxm", path, sizeof(path));
    scratch_write(path, f.p, f.len);
    load_refused(path, "model format version 3; this flowdx reads versions 1 to 2", FDX_ENOTSUP);
    put_u32(f.p + 4, 0);
    scratch_write(path, f.p, f.len);
    load_refused(path, "model format version 0", FDX_ENOTSUP);

    /* A missing file and a directory. */
    scratch_path(s, "absent.fdxm", path, sizeof(path));
    load_refused(path, "No such file", FDX_ENOENT);
    load_refused(s->dir, "not a regular file", FDX_EIO);

    /* Padding after the checksum. */
    f.p[4] = 2;
    ob_bytes(&f, "\0\0\0", 3);
    scratch_path(s, "padded.fdxm", path, sizeof(path));
    scratch_write(path, f.p, f.len);
    load_refused(path, "truncated or padded", FDX_EFORMAT);
    free(f.p);
}

static void test_bundle_refuses_every_truncation(void **state)
{
    struct scratch *s = *state;
    char err[512];
    double t0 = now_ms(), worst = 0;
    for (size_t len = 0; len < ref_file.len; len++) {
        struct fdxi_bundle *b = NULL;
        double t = now_ms();
        int rc = parse_copy(ref_file.p, len, &b, err, sizeof(err));
        t = now_ms() - t;
        worst = t > worst ? t : worst;
        assert_null(b);
        assert_int_equal(rc, FDX_EFORMAT);
        assert_refused_msg(rc, err, "mem.fdxm");
        /* Where it ends decides the message: inside the magic, the header, or later. */
        assert_contains(err, len < 4    ? "no FDXM signature"
                             : len < 16 ? "file ends"
                                        : "truncated or padded");
    }
    double total = now_ms() - t0;
    print_message("%zu truncations refused in %.1f ms (slowest %.3f ms)\n", ref_file.len, total,
                  worst);
    /* Each is refused from the header alone: microseconds, even under sanitizers. */
    assert_true(total < 5000.0);

    /* A few of them through files, as a user meets them. */
    const size_t lens[] = {1, 4, 15, 16, 100, ref_file.len - 8, ref_file.len - 1};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char path[4096], name[64];
        snprintf(name, sizeof(name), "cut%zu.fdxm", lens[i]);
        scratch_path(s, name, path, sizeof(path));
        scratch_write(path, ref_file.p, lens[i]);
        load_refused(path,
                     lens[i] < 4    ? "FDXM"
                     : lens[i] < 16 ? "file ends"
                                    : "truncated",
                     FDX_EFORMAT);
    }
}

/*
 * A truncated payload that still has a matching length and checksum (a tool that cut the file
 * and "fixed" it): every prefix of the payload must be refused by the field-by-field checks.
 */
static void test_bundle_refuses_every_truncated_payload_with_valid_checksum(void **state)
{
    (void)state;
    const uint8_t *payload = ref_file.p + 16;
    size_t plen = ref_file.len - 24;
    char err[512];
    double t0 = now_ms();
    for (size_t len = 0; len < plen; len++) {
        struct obuf f = wrap(payload, len, 2);
        struct fdxi_bundle *b = NULL;
        int rc = parse_copy(f.p, f.len, &b, err, sizeof(err));
        if (rc == 0) {
            print_error("payload cut to %zu of %zu bytes loaded\n", len, plen);
            fdxi_bundle_free(b);
            fail();
        }
        assert_null(b);
        assert_int_equal(rc, FDX_EFORMAT);
        assert_refused_msg(rc, err, "mem.fdxm");
        assert_contains(err, "offset");
        free(f.p);
    }
    print_message("%zu payload truncations refused in %.1f ms\n", plen, now_ms() - t0);
}

static void test_bundle_refuses_every_flipped_byte(void **state)
{
    (void)state;
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    struct obuf f = {0};
    ob_bytes(&f, ref_file.p, ref_file.len);
    char err[512];
    for (size_t i = 0; i < f.len; i++) {
        for (size_t k = 0; k < sizeof(flips); k++) {
            f.p[i] ^= flips[k];
            struct fdxi_bundle *b = NULL;
            int rc = parse_copy(f.p, f.len, &b, err, sizeof(err));
            f.p[i] ^= flips[k];
            if (rc == 0) {
                print_error("byte %zu ^ 0x%02x loaded\n", i, flips[k]);
                fdxi_bundle_free(b);
                fail();
            }
            assert_null(b);
            assert_refused_msg(rc, err, "mem.fdxm");
            /* FNV-1a maps a one-byte change to another checksum (each step is a bijection of
             * the state), so every payload or checksum change is caught there. */
            const char *want = i < 4    ? "no FDXM signature"
                               : i < 8  ? "model format version"
                               : i < 16 ? "truncated or padded"
                                        : "checksum mismatch";
            assert_contains(err, want);
        }
    }
    free(f.p);
}

/*
 * Every payload byte changed in three ways with the checksum recomputed, so that each change
 * reaches the validating loaders: whatever loads must classify without fault and write back
 * exactly the bytes it came from; whatever is refused says so with a message.
 */
static void test_bundle_resealed_byte_changes_load_or_are_refused(void **state)
{
    (void)state;
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    struct obuf f = {0};
    ob_bytes(&f, ref_file.p, ref_file.len);
    char err[512];
    uint32_t loaded = 0, refused = 0;
    double x0[D] = {0, 0, 0};
    for (size_t i = 16; i + 8 < f.len; i++) {
        for (size_t k = 0; k < sizeof(flips); k++) {
            f.p[i] ^= flips[k];
            reseal(f.p, f.len);
            struct fdxi_bundle *b = NULL;
            int rc = parse_copy(f.p, f.len, &b, err, sizeof(err));
            if (rc == 0) {
                loaded++;
                struct fdxi_verdict v;
                classify(b, x0, identity, &v);
                assert_true(v.verdict < b->n_classes);
                for (uint32_t m = 0; m < v.n_models; m++)
                    assert_true(v.vote[m] < b->n_classes);
                assert_writes(b, &f);
                fdxi_bundle_free(b);
            } else {
                refused++;
                assert_null(b);
                assert_refused_msg(rc, err, "mem.fdxm");
            }
            f.p[i] ^= flips[k];
        }
    }
    reseal(f.p, f.len);
    assert_memory_equal(f.p, ref_file.p, f.len);
    print_message("resealed changes: %u loaded, %u refused\n", loaded, refused);
    /* Doubles in the scores and weights change harmlessly; counts and tags do not. */
    assert_true(loaded > 0 && refused > 0);
    free(f.p);
}

/* ---- hostile files with a valid checksum ---- */

/* A 3-node tree: root splits feature 0 at 0.5 (10 rows); left leaf 6 rows all class 0, right
 * leaf 4 rows all class 1. Offsets: count 0, node i at 4 + 40 i; in a node, feature +0,
 * threshold +4, left +12, right +16, rows +20, frequencies +24 and +32. */
static struct obuf hand_tree(void)
{
    struct obuf t = {0};
    ob_u32(&t, 3);
    ob_u32(&t, 0), ob_f64(&t, 0.5), ob_u32(&t, 1), ob_u32(&t, 2), ob_u32(&t, 10);
    ob_f64(&t, 0.5), ob_f64(&t, 0.5);
    ob_u32(&t, LEAF), ob_f64(&t, 0.0), ob_u32(&t, 0), ob_u32(&t, 0), ob_u32(&t, 6);
    ob_f64(&t, 1.0), ob_f64(&t, 0.0);
    ob_u32(&t, LEAF), ob_f64(&t, 0.0), ob_u32(&t, 0), ob_u32(&t, 0), ob_u32(&t, 4);
    ob_f64(&t, 0.0), ob_f64(&t, 1.0);
    assert_int_equal(t.len, 4 + 3 * 40);
    return t;
}

#define NODE(i) (4 + 40 * (i))

/* Everything one hand-made bundle says; each hostile case changes one thing. */
struct spec {
    uint32_t fs_len;   /* announced length of the feature set name (0: its real length) */
    uint32_t n_inputs; /* announced; three inputs are written whatever it says */
    const char *name1; /* the second input's name: name1_n bytes, NULs allowed */
    uint32_t name1_n;
    uint32_t name1_len; /* announced length of it (0: name1_n) */
    double mean[D], scale[D];
    double nan_value;
    uint32_t correction;
    uint32_t n_classes; /* announced; two class names are written */
    uint32_t n_models;  /* announced */
    uint32_t n_written; /* models written */
    struct {
        uint32_t tag;
        double weight;
        double score0;
        uint64_t len; /* announced length (0: the bytes' length) */
        struct obuf bytes;
    } m[FDXI_BUNDLE_MAX_MODELS + 1];
    double threshold;
    uint32_t desc_len; /* announced description length (0: its real length) */
    size_t trailing;   /* zero bytes after the description, inside the payload */
};

static void default_spec(struct spec *s)
{
    memset(s, 0, sizeof(*s));
    s->n_inputs = D;
    s->name1 = "b";
    s->name1_n = 1;
    for (uint32_t j = 0; j < D; j++) {
        s->mean[j] = 0.0;
        s->scale[j] = 1.0;
    }
    /* Feature 0 is scaled as (x - 1) / 2, so that the hand arithmetic below tests scaling. */
    s->mean[0] = 1.0;
    s->scale[0] = 2.0;
    s->nan_value = -1.0;
    s->n_classes = 2;
    s->n_models = s->n_written = 1;
    s->m[0].tag = 3;
    s->m[0].weight = 1.0;
    s->m[0].score0 = 0.9;
    s->m[0].bytes = hand_tree();
    s->threshold = 0.5;
}

static void spec_fini(struct spec *s)
{
    for (size_t i = 0; i < sizeof(s->m) / sizeof(s->m[0]); i++)
        free(s->m[i].bytes.p);
}

/* n bytes of str, announced as `announced` bytes long (0: as n). */
static void ob_str_as(struct obuf *o, const char *str, size_t n, uint32_t announced)
{
    ob_u32(o, announced ? announced : (uint32_t)n);
    ob_bytes(o, str, n);
}

static struct obuf spec_file(const struct spec *s)
{
    struct obuf p = {0};
    ob_str_as(&p, "doh:ip", 6, s->fs_len);
    ob_u32(&p, s->n_inputs);
    ob_str(&p, "a");
    ob_str_as(&p, s->name1, s->name1_n, s->name1_len);
    ob_str(&p, "c");
    for (uint32_t j = 0; j < D; j++)
        ob_f64(&p, s->mean[j]);
    for (uint32_t j = 0; j < D; j++)
        ob_f64(&p, s->scale[j]);
    ob_f64(&p, s->nan_value);
    ob_u32(&p, s->correction);
    ob_u32(&p, s->n_classes);
    ob_str(&p, "benign");
    ob_str(&p, "malicious");
    ob_u32(&p, s->n_models);
    for (uint32_t i = 0; i < s->n_written; i++) {
        ob_u32(&p, s->m[i].tag);
        ob_f64(&p, s->m[i].weight);
        ob_f64(&p, s->m[i].score0);
        for (int k = 0; k < 4; k++)
            ob_f64(&p, NAN); /* "not measured" is allowed */
        ob_u64(&p, s->m[i].len ? s->m[i].len : s->m[i].bytes.len);
        ob_bytes(&p, s->m[i].bytes.p, s->m[i].bytes.len);
    }
    ob_f64(&p, s->threshold);
    for (int k = 0; k < 5; k++)
        ob_f64(&p, 0.5);
    ob_u64(&p, 0xfeedfacecafebeefull);
    ob_u64(&p, 42);
    ob_u32(&p, 10);
    ob_str_as(&p, "hand-made", 9, s->desc_len);
    for (size_t i = 0; i < s->trailing; i++)
        ob_u8(&p, 0);
    struct obuf f = wrap(p.p, p.len, 1);
    free(p.p);
    return f;
}

/* Write the spec's file and load it: the bundle, or NULL with the message in err. */
static struct fdxi_bundle *load_spec(const struct scratch *sc, const struct spec *s,
                                     const char *name, char *path, size_t pathlen, char *err,
                                     size_t errlen, int *ret_rc)
{
    struct obuf f = spec_file(s);
    scratch_path(sc, name, path, pathlen);
    scratch_write(path, f.p, f.len);
    free(f.p);
    struct fdxi_bundle *b = NULL;
    err[0] = '\0';
    *ret_rc = fdxi_bundle_load(path, &b, err, errlen);
    return b;
}

static void test_bundle_hand_made_file_loads_and_classifies(void **state)
{
    struct scratch *sc = *state;
    struct spec s;
    default_spec(&s);
    char path[4096], err[512];
    int rc;
    struct fdxi_bundle *b =
        load_spec(sc, &s, "hand.fdxm", path, sizeof(path), err, sizeof(err), &rc);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_ptr_equal(b->models[0].kind, &fdxi_model_tree);
    assert_int_equal(fdxi_tree_node_count(b->models[0].model), 3);
    assert_string_equal(b->input_names[1], "b");
    assert_string_equal(b->description, "hand-made");
    assert_true(b->data_checksum == 0xfeedfacecafebeefull);

    /* Feature 0 scaled as (x - 1) / 2; the root sends > 0.5 right (class 1), else left. */
    static const struct {
        double x0;
        uint32_t verdict;
    } rows[] = {
        {2.2, 1},       /* (2.2 - 1) / 2 = 0.6 > 0.5 */
        {1.8, 0},       /* 0.4 */
        {2.0, 0},       /* exactly 0.5: "<=" goes left */
        {NAN, 0},       /* NaN -> -1 -> (-1 - 1) / 2 = -1 */
        {INFINITY, 1},  /* +inf -> 1e308 -> about 5e307 */
        {-INFINITY, 0}, /* -1e308 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        double x[D] = {rows[i].x0, 7.0, -7.0};
        struct fdxi_verdict v;
        classify(b, x, identity, &v);
        assert_int_equal(v.n_models, 1);
        assert_int_equal(v.vote[0], rows[i].verdict);
        assert_true(v.proba[0] == (double)rows[i].verdict);
        assert_int_equal(v.verdict, rows[i].verdict);
        assert_true(v.score == (double)rows[i].verdict);
    }
    fdxi_bundle_free(b);
    spec_fini(&s);
}

/* A second copy of the hand tree as model i. */
static void add_tree(struct spec *s, uint32_t i)
{
    s->m[i].tag = 3;
    s->m[i].weight = 1.0;
    s->m[i].score0 = 0.9;
    free(s->m[i].bytes.p);
    s->m[i].bytes = hand_tree();
}

/* Replace model 0's bytes. */
static void set_model(struct spec *s, uint32_t tag, struct obuf bytes)
{
    free(s->m[0].bytes.p);
    s->m[0].tag = tag;
    s->m[0].bytes = bytes;
}

static uint8_t *tree_at(struct spec *s, size_t off)
{
    return s->m[0].bytes.p + off;
}

/* A kNN of d = 3: format 1, k, unweighted, n_rows announced, then the rows given. */
static struct obuf knn_bytes(uint32_t k, uint32_t n_announced, uint32_t n_rows,
                             const uint32_t *labels)
{
    struct obuf o = {0};
    ob_u32(&o, 1);
    ob_u32(&o, k);
    ob_u8(&o, 0);
    ob_u32(&o, n_announced);
    for (uint32_t i = 0; i < n_rows * D; i++)
        ob_f64(&o, (double)i);
    for (uint32_t i = 0; i < n_rows; i++)
        ob_u32(&o, labels[i]);
    return o;
}

/* clang-format off */
static void h_fs_huge(struct spec *s) { s->fs_len = 4000000000u; }
static void h_inputs_huge(struct spec *s) { s->n_inputs = 4000000000u; }
static void h_inputs_zero(struct spec *s) { s->n_inputs = 0; }
static void h_inputs_over(struct spec *s) { s->n_inputs = FDXI_MODEL_MAX_FEATURES + 1; }
static void h_name_long(struct spec *s) { s->name1_len = 257; }
static void h_name_nul(struct spec *s)
{
    s->name1 = "b\0x";
    s->name1_n = 3;
}
static void h_mean_nan(struct spec *s) { s->mean[1] = NAN; }
static void h_mean_inf(struct spec *s) { s->mean[2] = -INFINITY; }
static void h_scale_zero(struct spec *s) { s->scale[1] = 0.0; }
static void h_scale_negative(struct spec *s) { s->scale[2] = -1.0; }
static void h_scale_nan(struct spec *s) { s->scale[0] = NAN; }
static void h_nan_value_nan(struct spec *s) { s->nan_value = NAN; }
static void h_correction(struct spec *s) { s->correction = 2; }
static void h_classes_one(struct spec *s) { s->n_classes = 1; }
static void h_classes_over(struct spec *s) { s->n_classes = 65; }
static void h_models_zero(struct spec *s) { s->n_models = 0; }
static void h_models_nine(struct spec *s)
{
    for (uint32_t i = 1; i < 9; i++)
        add_tree(s, i);
    s->n_models = s->n_written = 9;
}
static void h_models_more_than_written(struct spec *s) { s->n_models = 2; }
static void h_kind_unknown(struct spec *s) { s->m[0].tag = 7; }
static void h_kind_zero(struct spec *s) { s->m[0].tag = 0; }
static void h_weight_negative(struct spec *s) { s->m[0].weight = -1.0; }
static void h_weight_inf(struct spec *s) { s->m[0].weight = INFINITY; }
static void h_weights_zero(struct spec *s)
{
    add_tree(s, 1);
    s->n_models = s->n_written = 2;
    s->m[0].weight = s->m[1].weight = 0.0;
}
static void h_score(struct spec *s) { s->m[0].score0 = 1.5; }
static void h_model_len_huge(struct spec *s) { s->m[0].len = 1ull << 40; }
static void h_model_len_max(struct spec *s) { s->m[0].len = UINT64_MAX; }
static void h_model_len_file(struct spec *s) { s->m[0].len = 124 + 1; }
static void h_model_len_short(struct spec *s) { s->m[0].len = 100; }
static void h_model_len_long(struct spec *s) { ob_u64(&s->m[0].bytes, 0); }
static void h_threshold_zero(struct spec *s) { s->threshold = 0.0; }
static void h_threshold_two(struct spec *s) { s->threshold = 2.0; }
static void h_threshold_negative(struct spec *s) { s->threshold = -0.5; }
static void h_threshold_nan(struct spec *s) { s->threshold = NAN; }
static void h_description_over(struct spec *s) { s->desc_len = 65537; }
static void h_description_past_end(struct spec *s) { s->desc_len = 1000; }
static void h_trailing(struct spec *s) { s->trailing = 3; }
/* The tree: node offsets as hand_tree() says. */
static void h_tree_count_huge(struct spec *s) { put_u32(tree_at(s, 0), FDXI_MODEL_MAX_NODES); }
static void h_tree_count_over(struct spec *s) { put_u32(tree_at(s, 0), FDXI_MODEL_MAX_NODES + 1); }
static void h_tree_count_zero(struct spec *s) { put_u32(tree_at(s, 0), 0); }
static void h_tree_child_out(struct spec *s) { put_u32(tree_at(s, NODE(0) + 16), 3); }
static void h_tree_child_huge(struct spec *s) { put_u32(tree_at(s, NODE(0) + 12), 0xfffffff0u); }
static void h_tree_child_self(struct spec *s) { put_u32(tree_at(s, NODE(0) + 12), 0); }
static void h_tree_children_same(struct spec *s) { put_u32(tree_at(s, NODE(0) + 16), 1); }
static void h_tree_feature_out(struct spec *s) { put_u32(tree_at(s, NODE(0)), D); }
static void h_tree_threshold_nan(struct spec *s) { put_f64(tree_at(s, NODE(0) + 4), NAN); }
static void h_tree_leaf_threshold(struct spec *s) { put_f64(tree_at(s, NODE(2) + 4), 1.0); }
static void h_tree_leaf_child(struct spec *s) { put_u32(tree_at(s, NODE(2) + 16), 1); }
static void h_tree_rows_zero(struct spec *s)
{
    /* Node 1 is checked as it is read, before the root's sum of its children's rows. */
    put_u32(tree_at(s, NODE(1) + 20), 0);
}
static void h_tree_rows_sum(struct spec *s) { put_u32(tree_at(s, NODE(1) + 20), 7); }
static void h_tree_proba_range(struct spec *s)
{
    put_f64(tree_at(s, NODE(1) + 24), 1.5);
    put_f64(tree_at(s, NODE(1) + 32), -0.5);
}
static void h_tree_proba_sum(struct spec *s) { put_f64(tree_at(s, NODE(1) + 32), 0.25); }
static void h_tree_proba_nan(struct spec *s) { put_f64(tree_at(s, NODE(1) + 24), NAN); }
static void h_tree_unreachable(struct spec *s)
{
    /* The root made a leaf: nodes 1 and 2 hang from nothing. */
    put_u32(tree_at(s, NODE(0)), LEAF);
    put_f64(tree_at(s, NODE(0) + 4), 0.0);
    put_u32(tree_at(s, NODE(0) + 12), 0);
    put_u32(tree_at(s, NODE(0) + 16), 0);
    put_f64(tree_at(s, NODE(0) + 24), 0.6);
    put_f64(tree_at(s, NODE(0) + 32), 0.4);
}
static void h_knn_rows_huge(struct spec *s)
{
    static const uint32_t y[2] = {0, 1};
    set_model(s, 1, knn_bytes(1, FDXI_MODEL_MAX_ROWS, 2, y));
}
static void h_knn_rows_over(struct spec *s)
{
    static const uint32_t y[2] = {0, 1};
    set_model(s, 1, knn_bytes(1, FDXI_MODEL_MAX_ROWS + 1, 2, y));
}
static void h_knn_label(struct spec *s)
{
    static const uint32_t y[2] = {0, 2};
    set_model(s, 1, knn_bytes(1, 2, 2, y));
}
static void h_knn_k(struct spec *s)
{
    static const uint32_t y[2] = {0, 1};
    set_model(s, 1, knn_bytes(3, 2, 2, y));
}
static void h_forest_trees_huge(struct spec *s)
{
    struct obuf o = {0}, t = hand_tree();
    ob_u32(&o, FDXI_MODEL_MAX_TREES);
    ob_bytes(&o, t.p, t.len);
    free(t.p);
    set_model(s, 4, o);
}
static void h_forest_trees_over(struct spec *s)
{
    struct obuf o = {0}, t = hand_tree();
    ob_u32(&o, FDXI_MODEL_MAX_TREES + 1);
    ob_bytes(&o, t.p, t.len);
    free(t.p);
    set_model(s, 4, o);
}
static void h_mlp_layers_over(struct spec *s)
{
    struct obuf o = {0};
    ob_u32(&o, 1);
    ob_u32(&o, FDXI_MODEL_MAX_LAYERS + 1);
    for (uint32_t l = 0; l < FDXI_MODEL_MAX_LAYERS + 1; l++)
        ob_u32(&o, 4);
    set_model(s, 5, o);
}
static void h_mlp_width_huge(struct spec *s)
{
    struct obuf o = {0};
    ob_u32(&o, 1);
    ob_u32(&o, FDXI_MODEL_MAX_LAYERS);
    for (uint32_t l = 0; l < FDXI_MODEL_MAX_LAYERS; l++)
        ob_u32(&o, FDXI_MODEL_MAX_WIDTH);
    set_model(s, 5, o);
}
static void h_mlp_weights_missing(struct spec *s)
{
    /* d = 3, one hidden layer of 4, one output: 3 * 4 + 4 + 4 * 1 + 1 = 21 weights, 168 bytes. */
    struct obuf o = {0};
    ob_u32(&o, 1);
    ob_u32(&o, 1);
    ob_u32(&o, 4);
    set_model(s, 5, o);
}
static void h_svm_vectors_huge(struct spec *s)
{
    struct obuf o = {0};
    ob_u32(&o, 0);   /* rbf */
    ob_f64(&o, 1.0); /* gamma */
    ob_u32(&o, 2);   /* classes present */
    ob_u32(&o, 0), ob_u32(&o, 1);
    ob_u32(&o, FDXI_MODEL_MAX_ROWS);
    ob_u32(&o, FDXI_MODEL_MAX_ROWS / 2), ob_u32(&o, FDXI_MODEL_MAX_ROWS / 2);
    set_model(s, 2, o);
}
static void h_svm_label_twice(struct spec *s)
{
    struct obuf o = {0};
    ob_u32(&o, 0);
    ob_f64(&o, 1.0);
    ob_u32(&o, 2);
    ob_u32(&o, 0), ob_u32(&o, 0);
    set_model(s, 2, o);
}

/* clang-format on */

static const struct hostile {
    const char *name;
    void (*mutate)(struct spec *s);
    const char *want;
} hostile[] = {
    {"feature set name of 4e9 bytes", h_fs_huge, "feature set: 4000000000 out of range"},
    {"4e9 inputs", h_inputs_huge, "number of inputs: 4000000000 out of range (1 to 4096)"},
    {"no inputs", h_inputs_zero, "number of inputs: 0 out of range"},
    {"4097 inputs", h_inputs_over, "number of inputs: 4097 out of range"},
    {"input name of 257 bytes", h_name_long, "input name: 257 out of range (0 to 256)"},
    {"NUL in an input name", h_name_nul, "NUL byte inside a string"},
    {"NaN scaler mean", h_mean_nan, "scaler mean: not a finite number"},
    {"infinite scaler mean", h_mean_inf, "scaler mean: not a finite number"},
    {"scale 0", h_scale_zero, "scaler scale of input 2 is not positive"},
    {"negative scale", h_scale_negative, "scaler scale of input 3 is not positive"},
    {"NaN scale", h_scale_nan, "scaler scale: not a finite number"},
    {"NaN replacement NaN", h_nan_value_nan, "NaN replacement: not a finite number"},
    {"correction 2", h_correction, "correction: 2 out of range"},
    {"one class", h_classes_one, "number of classes: 1 out of range (2 to 64)"},
    {"65 classes", h_classes_over, "number of classes: 65 out of range"},
    {"no models", h_models_zero, "number of models: 0 out of range (1 to 8)"},
    {"9 models", h_models_nine, "number of models: 9 out of range (1 to 8)"},
    {"2 models announced, 1 written", h_models_more_than_written, "model 2: unknown kind 0"},
    {"model kind 7", h_kind_unknown, "model 1: unknown kind 7"},
    {"model kind 0", h_kind_zero, "model 1: unknown kind 0"},
    {"negative weight", h_weight_negative, "model 1: negative weight"},
    {"infinite weight", h_weight_inf, "model weight: not a finite number"},
    {"all weights 0", h_weights_zero, "weights add up to 0"},
    {"score 1.5", h_score, "score 1.5 outside 0 to 1"},
    {"model of 2^40 bytes", h_model_len_huge, "1099511627776 bytes announced"},
    {"model of 2^64-1 bytes", h_model_len_max, "18446744073709551615 bytes announced"},
    {"model 1 byte longer than its tree", h_model_len_file, "model 1 (tree): 1 bytes left over"},
    {"model shorter than its tree", h_model_len_short, "3 nodes need 120 bytes, 96 left"},
    {"model with bytes left over", h_model_len_long, "model 1 (tree): 8 bytes left over"},
    {"threshold 0", h_threshold_zero, "jury threshold 0 outside (0, 1]"},
    {"threshold 2", h_threshold_two, "jury threshold 2 outside (0, 1]"},
    {"threshold -0.5", h_threshold_negative, "jury threshold -0.5 outside (0, 1]"},
    {"threshold NaN", h_threshold_nan, "jury threshold: not a finite number"},
    {"description over 64 KiB", h_description_over, "description: 65537 out of range"},
    {"description past the end", h_description_past_end, "description: file ends"},
    {"bytes after the description", h_trailing, "3 bytes after the end of the model"},
    {"tree of 5e7 nodes", h_tree_count_huge, "50000000 nodes need"},
    {"tree over the node limit", h_tree_count_over, "tree node count: 50000001 out of range"},
    {"tree of no nodes", h_tree_count_zero, "tree node count: 0 out of range"},
    {"tree child out of range", h_tree_child_out,
     "tree node 0: child index 3 out of range (3 nodes)"},
    {"tree child far out of range", h_tree_child_huge, "child index 4294967280 out of range"},
    {"tree node its own child", h_tree_child_self,
     "tree node 0: child index 0 does not point forward"},
    {"tree children the same", h_tree_children_same, "tree node 0: both children are node 1"},
    {"tree feature out of range", h_tree_feature_out, "feature index 3 out of range (3 features)"},
    {"tree threshold NaN", h_tree_threshold_nan, "threshold is not a finite number"},
    {"tree leaf with a threshold", h_tree_leaf_threshold, "tree node 2: a leaf with children"},
    {"tree leaf with a child", h_tree_leaf_child, "tree node 2: a leaf with children"},
    {"tree node without rows", h_tree_rows_zero, "tree node 1: no training rows"},
    {"tree rows not adding up", h_tree_rows_sum, "tree node 0: 10 rows, its children 11"},
    {"tree probability 1.5", h_tree_proba_range,
     "tree node 1: probability of class 0 not in [0, 1]"},
    {"tree probabilities sum 1.25", h_tree_proba_sum, "tree node 1: probabilities sum to 1.25"},
    {"tree probability NaN", h_tree_proba_nan, "probability of class 0 not in [0, 1]"},
    {"tree nodes unreachable", h_tree_unreachable, "tree node 1: not reachable from the root"},
    {"knn of 1e7 rows", h_knn_rows_huge, "knn: 10000000 rows of 3 features need 280000000 bytes"},
    {"knn over the row limit", h_knn_rows_over, "knn rows: 10000001 out of range"},
    {"knn label 2", h_knn_label, "knn row 1: label 2 out of range"},
    {"knn k above rows", h_knn_k, "knn: k = 3 but only 2 rows"},
    {"forest of 10000 trees", h_forest_trees_huge, "forest tree 1: "},
    {"forest over the tree limit", h_forest_trees_over, "forest tree count: 10001 out of range"},
    {"mlp of 9 hidden layers", h_mlp_layers_over, "mlp hidden layers: 9 out of range"},
    {"mlp of 8 x 65536", h_mlp_width_huge, "more than 268435456 weights"},
    {"mlp weights missing", h_mlp_weights_missing, "mlp: 21 weights need 168 bytes, 0 left"},
    {"svm of 1e7 vectors", h_svm_vectors_huge, "numbers announced"},
    {"svm label twice", h_svm_label_twice, "class 0 listed twice"},
};

/* Each hostile file differs from the loadable hand-made one in one field, has a valid
 * checksum, and is refused with a message naming the file and the problem. */
static void test_bundle_refuses_hostile_files_with_valid_checksum(void **state)
{
    struct scratch *sc = *state;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct spec s;
        default_spec(&s);
        hostile[i].mutate(&s);
        char path[4096], name[32], err[512];
        snprintf(name, sizeof(name), "hostile%zu.fdxm", i);
        int rc;
        double t = now_ms();
        struct fdxi_bundle *b = load_spec(sc, &s, name, path, sizeof(path), err, sizeof(err), &rc);
        t = now_ms() - t;
        if (rc == 0 || strstr(err, hostile[i].want) == NULL)
            print_error("%s: rc %d, message '%s', expected '%s'\n", hostile[i].name, rc, err,
                        hostile[i].want);
        if (rc == 0)
            fdxi_bundle_free(b);
        assert_int_equal(rc, FDX_EFORMAT);
        assert_null(b);
        assert_refused_msg(rc, err, path);
        assert_contains(err, hostile[i].want);
        /* Refused before any big allocation or long loop. */
        assert_true(t < 250.0);
        spec_fini(&s);
    }
}

/* The same through the public API, for one of them. */
static void test_bundle_public_load_refuses_hostile_file(void **state)
{
    struct scratch *sc = *state;
    struct spec s;
    default_spec(&s);
    h_tree_child_out(&s);
    struct obuf f = spec_file(&s);
    char path[4096], err[512] = "";
    scratch_path(sc, "child.fdxm", path, sizeof(path));
    scratch_write(path, f.p, f.len);
    fdx_model *m = NULL;
    int rc = fdx_model_load(path, &m, err, sizeof(err));
    assert_int_equal(rc, FDX_EFORMAT);
    assert_null(m);
    assert_refused_msg(rc, err, path);
    assert_contains(err, "child index 3 out of range");
    free(f.p);
    spec_fini(&s);
}

/* A trained tree's saved bytes, patched so that the root's right child is one past the end. */
static void test_bundle_refuses_trained_tree_with_child_out_of_range(void **state)
{
    struct scratch *sc = *state;
    enum { N = 60 };
    double x[N * D];
    int32_t y[N];
    make_data(3, N, x, y);
    struct fdxi_train_params p;
    small_params(&p);
    void *tree = train(&fdxi_model_tree, &p, x, y, N);
    struct fdxi_wbuf w = {0};
    fdxi_model_tree.save(tree, &w);
    assert_false(w.failed);
    uint32_t n = fdxi_tree_node_count(tree);
    assert_true(n >= 3);
    assert_int_equal(w.len, 4 + (size_t)n * 40);
    fdxi_model_tree.free(tree);

    struct spec s;
    default_spec(&s);
    struct obuf bytes = {0};
    ob_bytes(&bytes, w.data, w.len);
    fdxi_wbuf_fini(&w);
    set_model(&s, 3, bytes);
    /* Unpatched, it loads: the refusal below is the patch's doing. */
    char path[4096], err[512];
    int rc;
    struct fdxi_bundle *b =
        load_spec(sc, &s, "trained.fdxm", path, sizeof(path), err, sizeof(err), &rc);
    assert_int_equal(rc, 0);
    fdxi_bundle_free(b);

    /* The root is internal (feature not 0xffffffff); its right child is at +16 in node 0. */
    const uint8_t *root = tree_at(&s, NODE(0));
    assert_true(root[0] != 0xff || root[1] != 0xff || root[2] != 0xff || root[3] != 0xff);
    put_u32(tree_at(&s, NODE(0) + 16), n);
    b = load_spec(sc, &s, "patched.fdxm", path, sizeof(path), err, sizeof(err), &rc);
    assert_null(b);
    assert_int_equal(rc, FDX_EFORMAT);
    assert_refused_msg(rc, err, path);
    char want[128];
    snprintf(want, sizeof(want), "tree node 0: child index %u out of range (%u nodes)", n, n);
    assert_contains(err, want);
    spec_fini(&s);
}

/*
 * Finite weights whose sum overflows: two models of weight 1e308 each add up to infinity, and
 * the jury's share becomes inf / inf = NaN. Either the file is refused, or two models that
 * both vote class 1 must give class 1 (share 1).
 */
static void test_bundle_refuses_weights_that_overflow(void **state)
{
    struct scratch *sc = *state;
    struct spec s;
    default_spec(&s);
    add_tree(&s, 1);
    s.n_models = s.n_written = 2;
    s.m[0].weight = s.m[1].weight = 1e308;
    char path[4096], err[512];
    int rc;
    struct fdxi_bundle *b =
        load_spec(sc, &s, "overflow.fdxm", path, sizeof(path), err, sizeof(err), &rc);
    spec_fini(&s);
    if (rc != 0) {
        assert_refused_msg(rc, err, path);
        assert_contains(err, "weight");
        return;
    }
    double x[D] = {2.2, 0.0, 0.0}; /* both trees: (2.2 - 1) / 2 = 0.6 > 0.5 -> class 1 */
    struct fdxi_verdict v;
    classify(b, x, identity, &v);
    fdxi_bundle_free(b);
    if (v.verdict != 1 || !(v.score == 1.0))
        print_error("%s loaded; both models vote 1 but the jury says %u (score %g)\n", path,
                    v.verdict, v.score);
    assert_int_equal(v.vote[0], 1);
    assert_int_equal(v.vote[1], 1);
    assert_int_equal(v.verdict, 1);
    assert_true(v.score == 1.0);
}

/* ---- speed ---- */

static void test_bundle_loads_big_models_in_milliseconds(void **state)
{
    struct scratch *sc = *state;
    enum { N = 6000 };
    double *x = malloc(sizeof(double) * N * D);
    int32_t *y = malloc(sizeof(int32_t) * N);
    assert_true(x && y);
    make_data(5, N, x, y);
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    assert_int_equal(p.forest_trees, 100);
    struct fdxi_bundle *b = new_bundle();
    add_model(b, &fdxi_model_forest, train(&fdxi_model_forest, &p, x, y, N), 1.0);
    add_model(b, &fdxi_model_knn, train(&fdxi_model_knn, &p, x, y, N), 1.0);
    free(x);
    free(y);
    char path[4096], err[512] = "";
    scratch_path(sc, "big.fdxm", path, sizeof(path));
    assert_int_equal(fdxi_bundle_save(b, path, err, sizeof(err)), 0);
    fdxi_bundle_free(b);
    struct obuf f = read_whole(path);
    size_t bytes = f.len;
    free(f.p);

    double best = INFINITY;
    for (int i = 0; i < 3; i++) {
        struct fdxi_bundle *l = NULL;
        double t = now_ms();
        int rc = fdxi_bundle_load(path, &l, err, sizeof(err));
        t = now_ms() - t;
        assert_int_equal(rc, 0);
        assert_int_equal(fdxi_forest_tree_count(l->models[0].model), 100);
        fdxi_bundle_free(l);
        best = t < best ? t : best;
        print_message("load %d: 100-tree forest + 6000-row kNN, %zu bytes: %.2f ms\n", i + 1, bytes,
                      t);
    }
    /* Milliseconds in practice; 500 ms leaves room for a loaded machine and sanitizers. */
    assert_true(best < 500.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_fnv1a64_matches_reference_vectors),
        cmocka_unit_test(test_bundle_writes_the_documented_layout),
        cmocka_unit_test_setup_teardown(test_bundle_round_trip_classifies_identically,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_reads_format_1_without_one_way_rows,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_public_load_names_models_and_classes,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_public_api_refuses_null_and_bad_records,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test(test_bundle_jury_weighted_share),
        cmocka_unit_test(test_bundle_bind_maps_inputs_by_name),
        cmocka_unit_test_setup_teardown(test_bundle_refuses_empty_bad_magic_and_newer_version,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_refuses_every_truncation, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test(test_bundle_refuses_every_truncated_payload_with_valid_checksum),
        cmocka_unit_test(test_bundle_refuses_every_flipped_byte),
        cmocka_unit_test(test_bundle_resealed_byte_changes_load_or_are_refused),
        cmocka_unit_test_setup_teardown(test_bundle_hand_made_file_loads_and_classifies,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_refuses_hostile_files_with_valid_checksum,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_public_load_refuses_hostile_file, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_refuses_trained_tree_with_child_out_of_range,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_refuses_weights_that_overflow, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_bundle_loads_big_models_in_milliseconds, scratch_setup,
                                        scratch_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
