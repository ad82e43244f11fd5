/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs the analyses of labelled flows: loads the data, grows trees, clusters, reads model trees. */
#include "analyze/analysis.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "flowdx/flowdx.h"

#define MAX_ITER 300 /* Lloyd iterations per k-means start, as scikit-learn's default */
#define MAX_K 100u
#define MAX_RESTARTS 1000u
#define MAX_FOLDS 100u

void fdx_analysis_options_init(struct fdx_analysis_options *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->kind = "importance";
    o->model_kind = NULL; /* the file's tree, else its forest, else its weighted trees */
    o->class_name = "spam";
    o->nan_value = -1;
    o->min_leaf = 5;
    o->threshold = 50;
    o->k_min = 2;
    o->k_max = 25;
    o->folds = 10;
    o->restarts = 10;
    o->min_decrease = 0.05;
    o->seed = 42;
    o->top = 0;
}

#define say(o, ...) fdxi_logf((o)->log, (o)->user, __VA_ARGS__)

static void grown_fini(struct grown *g)
{
    fdxi_tree_free(g->tree);
    free(g->imp100);
    free(g->share);
    free(g->order);
    memset(g, 0, sizeof(*g));
}

void fdx_analysis_free(fdx_analysis *a)
{
    if (a == NULL)
        return;
    for (int s = 0; s < 2; s++) {
        free(a->src[s].path);
        fdxi_dataset_free(&a->src[s].ds);
        grown_fini(&a->src[s].g);
        free(a->common[s]);
    }
    free(a->urows);
    free(a->class_name);
    free(a->x);
    free(a->cv_cost);
    free(a->subclass);
    if (a->subclass_names != NULL) {
        for (uint32_t c = 0; c < a->k; c++)
            free(a->subclass_names[c]);
    }
    free(a->subclass_names);
    grown_fini(&a->sub);
    fdxi_profile_fini(&a->prof);
    free(a->model_path);
    fdxi_bundle_free(a->bundle);
    free(a);
}

/* ---- data ---- */

/* Keep only the columns named in @p list (fdxi_dataset_select_names), with this command's messages.
 */
static int select_features(struct fdxi_dataset *ds, const char *path, const char *list, char *err,
                           size_t errlen)
{
    struct fdxi_unknown_name u;
    int rc = fdxi_dataset_select_names(ds, list, true, &u);
    if (rc == FDX_ENOENT)
        fdxi_set_err(err, errlen,
                     "--features: %s has no feature %s'%.*s' (identifier columns and the label "
                     "are never features)",
                     path, u.prefix ? "starting with " : "", (int)u.len, u.name);
    else if (rc == FDX_EINVAL)
        fdxi_set_err(err, errlen, "--features: no feature would be left");
    return rc;
}

/* Read a labelled CSV into @p s: features selected, NaN cells imputed, values checked finite and
 * within FDXI_TRAIN_MAX_ABS (k-means' squared distances and the trees' sums stay finite). */
static int load_source(struct source *s, const char *path, const struct fdx_analysis_options *o,
                       const char *label_column, const char *features, char *err, size_t errlen)
{
    s->path = strdup(path);
    if (s->path == NULL)
        return FDX_ENOMEM;
    struct fdxi_csv_options co = {.label_column = label_column};
    int rc = fdxi_dataset_input_error(fdxi_dataset_read_csv(path, &co, &s->ds, err, errlen));
    if (rc < 0)
        return rc;
    if (features != NULL && (rc = select_features(&s->ds, path, features, err, errlen)) < 0)
        return rc;
    fdxi_dataset_impute_nan(&s->ds, o->nan_value);
    const struct fdxi_dataset *ds = &s->ds;
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            if ((rc = fdxi_dataset_check_value(ds, i, j, path, "analyse", err, errlen)) < 0)
                return rc;
        }
        s->class_rows[ds->y[i]]++;
    }
    say(o, "%s: %u rows, %u features, %u classes", path, ds->n_rows, ds->n_cols, ds->n_classes);
    return 0;
}

/* ---- trees ---- */

/* Grow a CART tree on x, y and fill in its shape, accuracy and importances. */
static int grow(struct grown *g, const struct fdx_analysis_options *o, const double *x,
                const int32_t *y, uint32_t n, uint32_t d, uint32_t n_classes, const char *what,
                char *err, size_t errlen)
{
    struct fdxi_train_params p;
    fdxi_train_params_init(&p);
    p.tree_max_depth = o->max_depth;
    p.tree_min_samples_leaf = o->min_leaf;
    char msg[256];
    int rc = fdxi_tree_check_train(&p, x, y, n, d, n_classes, msg, sizeof(msg));
    if (rc < 0) {
        fdxi_set_err(err, errlen, "%s: %s", what, msg);
        return rc;
    }
    uint32_t *samples = malloc((size_t)n * sizeof(*samples));
    double *imp = malloc((size_t)d * sizeof(*imp));
    g->imp100 = malloc((size_t)d * sizeof(double));
    g->share = malloc((size_t)d * sizeof(double));
    g->order = malloc((size_t)d * sizeof(uint32_t));
    rc = FDX_ENOMEM;
    if (samples == NULL || imp == NULL || g->imp100 == NULL || g->share == NULL || g->order == NULL)
        goto out;
    for (uint32_t i = 0; i < n; i++)
        samples[i] = i;
    struct fdxi_tree_grow tg = {.max_depth = o->max_depth,
                                .min_samples_split = 2,
                                .min_samples_leaf = o->min_leaf,
                                .max_features = d};
    g->tree = fdxi_tree_grow(&tg, x, y, d, n_classes, samples, n, NULL);
    if (g->tree == NULL)
        goto out;
    fdxi_tree_importance(g->tree, g->share, d);
    fdxi_importance_scale100(g->share, d, g->imp100);
    fdxi_rank_desc(g->imp100, d, g->order);
    fdxi_tree_shape(g->tree, &g->leaves, &g->depth);
    uint32_t right = 0;
    for (uint32_t i = 0; i < n; i++) {
        const double *pr = fdxi_tree_leaf_proba(g->tree, x + (size_t)i * d);
        uint32_t best = 0;
        for (uint32_t c = 1; c < n_classes; c++)
            best = pr[c] > pr[best] ? c : best;
        right += best == (uint32_t)y[i];
    }
    g->accuracy = (double)right / n;
    rc = 0;
out:
    if (rc == FDX_ENOMEM)
        fdxi_set_err(err, errlen, "%s: out of memory growing the tree", what);
    free(samples);
    free(imp);
    return rc;
}

static int grow_source(struct source *s, const struct fdx_analysis_options *o, char *err,
                       size_t errlen)
{
    const struct fdxi_dataset *ds = &s->ds;
    /* A tree on one class is a single leaf: every importance 0, a ranking of nothing. */
    if (ds->n_classes == 1) {
        fdxi_set_err(err, errlen,
                     "%s: all %u rows are of class '%s': a tree needs rows of at least two "
                     "classes",
                     s->path, ds->n_rows, ds->class_names[0]);
        return FDX_EFORMAT;
    }
    return grow(&s->g, o, ds->x, ds->y, ds->n_rows, ds->n_cols, ds->n_classes, s->path, err,
                errlen);
}

/* ---- the kinds ---- */

static int run_importance(fdx_analysis *a, const struct fdx_analysis_options *o, char *err,
                          size_t errlen)
{
    int rc = load_source(&a->src[0], o->data_path, o, o->label_column, o->features, err, errlen);
    return rc < 0 ? rc : grow_source(&a->src[0], o, err, errlen);
}

static int run_universal(fdx_analysis *a, const struct fdx_analysis_options *o, char *err,
                         size_t errlen)
{
    if (o->data_path_b == NULL) {
        fdxi_set_err(err, errlen, "universal: a second data source is needed");
        return FDX_EINVAL;
    }
    const char *paths[2] = {o->data_path, o->data_path_b};
    for (int s = 0; s < 2; s++) {
        int rc = load_source(&a->src[s], paths[s], o, o->label_column, o->features, err, errlen);
        if (rc < 0 || (rc = grow_source(&a->src[s], o, err, errlen)) < 0)
            return rc;
    }
    const struct fdxi_dataset *da = &a->src[0].ds, *db = &a->src[1].ds;
    a->common[0] = malloc(da->n_cols * sizeof(uint32_t));
    a->common[1] = malloc(da->n_cols * sizeof(uint32_t));
    const char **names = malloc(da->n_cols * sizeof(char *));
    double *ga = malloc(da->n_cols * sizeof(double)), *gb = malloc(da->n_cols * sizeof(double));
    int rc = FDX_ENOMEM;
    if (a->common[0] == NULL || a->common[1] == NULL || names == NULL || ga == NULL || gb == NULL)
        goto out;
    /* The features of A that B has too, in A's order. */
    for (uint32_t j = 0; j < da->n_cols; j++) {
        int jb = fdxi_dataset_column(db, da->col_names[j]);
        if (jb < 0)
            continue;
        a->common[0][a->n_common] = j;
        a->common[1][a->n_common] = (uint32_t)jb;
        names[a->n_common] = da->col_names[j];
        ga[a->n_common] = a->src[0].g.imp100[j];
        gb[a->n_common] = a->src[1].g.imp100[jb];
        a->n_common++;
    }
    if (a->n_common == 0) {
        fdxi_set_err(err, errlen, "universal: %s and %s have no feature in common", paths[0],
                     paths[1]);
        rc = FDX_EINVAL;
        goto out;
    }
    rc = fdxi_universal(names, ga, gb, a->n_common, o->threshold, &a->urows, &a->n_urows);
    if (rc < 0)
        fdxi_set_err(err, errlen, "universal: out of memory");
out:
    free(names);
    free(ga);
    free(gb);
    return rc;
}

static int run_tree(fdx_analysis *a, const struct fdx_analysis_options *o, char *err, size_t errlen)
{
    return run_importance(a, o, err, errlen);
}

/* The class named @p name (exactly, else ignoring case); -1 with a message listing them. */
static int find_class(const struct fdxi_dataset *ds, const char *path, const char *name, char *err,
                      size_t errlen)
{
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t c = 0; c < ds->n_classes; c++) {
            if (pass == 0 ? strcmp(ds->class_names[c], name) == 0
                          : strcasecmp(ds->class_names[c], name) == 0)
                return (int)c;
        }
    }
    size_t used =
        fdxi_appendf(err, errlen, 0, "--class: %s has no class '%s' (its classes:", path, name);
    for (uint32_t c = 0; c < ds->n_classes; c++)
        used = fdxi_appendf(err, errlen, used, " '%s'", ds->class_names[c]);
    fdxi_appendf(err, errlen, used, ")");
    return -1;
}

/*
 * Number the clusters by size, largest first, equal sizes in the order of their first row, so
 * that the subclasses do not depend on the order k-means happened to find them in.
 */
static void number_by_size(uint32_t *assign, uint32_t n, uint32_t k)
{
    uint32_t size[MAX_K] = {0}, first[MAX_K], order[MAX_K], rank[MAX_K];
    for (uint32_t c = 0; c < k; c++)
        first[c] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        size[assign[i]]++;
        first[assign[i]] = first[assign[i]] < i ? first[assign[i]] : i;
    }
    for (uint32_t c = 0; c < k; c++) {
        uint32_t j = c;
        while (j > 0 && (size[order[j - 1]] < size[c] ||
                         (size[order[j - 1]] == size[c] && first[order[j - 1]] > first[c]))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = c;
    }
    for (uint32_t r = 0; r < k; r++)
        rank[order[r]] = r;
    for (uint32_t i = 0; i < n; i++)
        assign[i] = rank[assign[i]];
}

/*
 * The class's rows, standardised over the class, with the columns that are constant there left
 * out (standardised they are 0 in every row and add nothing to any distance): *ret_d columns.
 */
static double *standardised(const double *x, uint32_t n, uint32_t d, uint32_t *ret_d)
{
    double *z = malloc((size_t)n * d * sizeof(double));
    double *row = malloc((size_t)d * sizeof(double));
    bool *varies = calloc(d, sizeof(bool));
    struct fdxi_scaler sc = {0};
    if (z == NULL || row == NULL || varies == NULL || fdxi_scaler_fit(&sc, x, n, d) < 0) {
        free(z);
        z = NULL;
        goto out;
    }
    uint32_t dz = 0;
    for (uint32_t j = 0; j < d; j++) {
        for (uint32_t i = 1; i < n && !varies[j]; i++)
            varies[j] = x[(size_t)i * d + j] != x[j];
        dz += varies[j];
    }
    for (uint32_t i = 0; i < n; i++) {
        memcpy(row, x + (size_t)i * d, d * sizeof(double));
        fdxi_scaler_apply(&sc, row);
        for (uint32_t j = 0, m = 0; j < d; j++) {
            if (varies[j])
                z[(size_t)i * dz + m++] = row[j];
        }
    }
    /* Every column constant: one zero column keeps the distances (all 0) well defined. */
    if (dz == 0) {
        memset(z, 0, (size_t)n * sizeof(double));
        dz = 1;
    }
    *ret_d = dz;
out:
    fdxi_scaler_fini(&sc);
    free(row);
    free(varies);
    return z;
}

static int check_subclass_options(const struct fdx_analysis_options *o, char *err, size_t errlen)
{
    if (o->k_min < 1 || o->k_max < o->k_min || o->k_max > MAX_K) {
        fdxi_set_err(err, errlen, "--k: %u..%u is not a range within 1..%u", o->k_min, o->k_max,
                     MAX_K);
        return FDX_ERANGE;
    }
    if (o->folds < 2 || o->folds > MAX_FOLDS) {
        fdxi_set_err(err, errlen, "--folds: %u out of range (2 to %u)", o->folds, MAX_FOLDS);
        return FDX_ERANGE;
    }
    if (o->restarts < 1 || o->restarts > MAX_RESTARTS) {
        fdxi_set_err(err, errlen, "--restarts: %u out of range (1 to %u)", o->restarts,
                     MAX_RESTARTS);
        return FDX_ERANGE;
    }
    if (!(o->min_decrease >= 0 && o->min_decrease < 1)) {
        fdxi_set_err(err, errlen, "--min-decrease: %g%% out of range (0 to 100)",
                     o->min_decrease * 100);
        return FDX_ERANGE;
    }
    return 0;
}

static int run_subclasses(fdx_analysis *a, const struct fdx_analysis_options *o, char *err,
                          size_t errlen)
{
    int rc = check_subclass_options(o, err, errlen);
    if (rc < 0)
        return rc;
    struct source *s = &a->src[0];
    if ((rc = load_source(s, o->data_path, o, o->label_column, o->features, err, errlen)) < 0)
        return rc;
    const struct fdxi_dataset *ds = &s->ds;
    int c = find_class(ds, s->path, o->class_name, err, errlen);
    if (c < 0)
        return FDX_ENOENT;
    a->class_index = (uint32_t)c;
    a->class_name = strdup(ds->class_names[c]);
    uint32_t n = a->n_rows = s->class_rows[c], d = ds->n_cols;
    uint32_t nk = o->k_max - o->k_min + 1;
    a->x = malloc((size_t)n * d * sizeof(double));
    a->cv_cost = malloc(nk * sizeof(double));
    a->subclass = malloc((size_t)n * sizeof(uint32_t));
    uint32_t *fold = malloc((size_t)n * sizeof(uint32_t));
    int32_t *zeros = calloc(n, sizeof(int32_t));
    double *z = NULL;
    struct fdxi_kmeans km = {0};
    rc = FDX_ENOMEM;
    if (a->class_name == NULL || a->x == NULL || a->cv_cost == NULL || a->subclass == NULL ||
        fold == NULL || zeros == NULL)
        goto out;
    for (uint32_t i = 0, m = 0; i < ds->n_rows; i++) {
        if (ds->y[i] == c)
            memcpy(a->x + (size_t)m++ * d, ds->x + (size_t)i * ds->n_cols, d * sizeof(double));
    }
    /* The smallest training side of the folds (their sizes differ by at most one row). */
    if (n < o->folds || n - (n + o->folds - 1) / o->folds < o->k_max) {
        fdxi_set_err(err, errlen,
                     "%s: %u rows of class '%s' are too few for %u-fold cross-validation of up "
                     "to %u clusters",
                     s->path, n, a->class_name, o->folds, o->k_max);
        rc = FDX_EINVAL;
        goto out;
    }
    uint32_t dz;
    if ((z = standardised(a->x, n, d, &dz)) == NULL)
        goto out;
    /* Folds: the class's rows shuffled by the seed and dealt round-robin. */
    if ((rc = fdxi_split_kfold(zeros, n, 1, o->folds, o->seed, fold)) < 0)
        goto out;
    struct fdxi_kmeans_options ko = {
        .k = 1, .restarts = o->restarts, .max_iter = MAX_ITER, .seed = o->seed};
    say(o, "class '%s': %u rows; %u-fold cross-validation of k = %u..%u", a->class_name, n,
        o->folds, o->k_min, o->k_max);
    for (uint32_t k = o->k_min; k <= o->k_max; k++) {
        rc = fdxi_kmeans_cv(z, n, dz, fold, o->folds, k, k, &ko, &a->cv_cost[k - o->k_min], err,
                            errlen);
        if (rc < 0)
            goto out;
        say(o, "k = %u: cross-validated cost %.6g", k, a->cv_cost[k - o->k_min]);
    }
    a->k = fdxi_kmeans_choose_k(a->cv_cost, o->k_min, o->k_max, o->min_decrease);
    ko.k = a->k;
    if ((rc = fdxi_kmeans_fit(z, n, dz, &ko, &km, a->subclass)) < 0)
        goto out;
    a->train_cost = km.cost;
    number_by_size(a->subclass, n, a->k);
    rc = FDX_ENOMEM;
    a->subclass_names = calloc(a->k, sizeof(char *));
    if (a->subclass_names == NULL)
        goto out;
    for (uint32_t k = 0; k < a->k; k++) {
        char name[32];
        snprintf(name, sizeof(name), "subclass %u", k + 1);
        if ((a->subclass_names[k] = strdup(name)) == NULL)
            goto out;
    }
    /* The tree reads the raw values, so that its rules are in the features' own units. */
    rc = grow(&a->sub, o, a->x, (const int32_t *)a->subclass, n, d, a->k, s->path, err, errlen);
    if (rc < 0)
        goto out;
    rc = fdxi_profile_compute(a->x, n, d, a->subclass, a->k, &a->prof);
out:
    if (rc == FDX_ENOMEM)
        fdxi_set_err(err, errlen, "%s: out of memory", s->path);
    fdxi_kmeans_fini(&km);
    free(z);
    free(fold);
    free(zeros);
    return rc;
}

static int run_rules(fdx_analysis *a, const struct fdx_analysis_options *o, char *err,
                     size_t errlen)
{
    if (o->model_path == NULL) {
        fdxi_set_err(err, errlen, "rules: no model file given");
        return FDX_EINVAL;
    }
    if ((a->model_path = strdup(o->model_path)) == NULL)
        return FDX_ENOMEM;
    int rc = fdxi_bundle_load(o->model_path, &a->bundle, err, errlen);
    if (rc < 0)
        return rc;
    const struct fdxi_bundle *b = a->bundle;
    const char *want = o->model_kind;
    static const char *const tree_kinds[] = {"tree", "forest", "weighted-trees"};
    for (size_t k = 0; want == NULL && k < sizeof(tree_kinds) / sizeof(tree_kinds[0]); k++) {
        for (uint32_t i = 0; i < b->n_models && want == NULL; i++)
            want = strcmp(b->models[i].kind->name, tree_kinds[k]) == 0 ? tree_kinds[k] : NULL;
    }
    if (want == NULL)
        want = "tree"; /* none: refused below, naming what the file holds */
    bool forest = strcmp(want, "forest") == 0, wtrees = strcmp(want, "weighted-trees") == 0;
    if (strcmp(want, "tree") != 0 && !forest && !wtrees) {
        fdxi_set_err(err, errlen,
                     "--model: '%s' is not a tree model (tree, forest or weighted-trees)", want);
        return FDX_EINVAL;
    }
    uint32_t m = 0;
    while (m < b->n_models && strcmp(b->models[m].kind->name, want) != 0)
        m++;
    if (m == b->n_models) {
        size_t used =
            fdxi_appendf(err, errlen, 0, "%s: no %s model (it holds:", o->model_path, want);
        for (uint32_t i = 0; i < b->n_models; i++)
            used = fdxi_appendf(err, errlen, used, " %s", b->models[i].kind->name);
        fdxi_appendf(err, errlen, used, ")");
        return FDX_ENOENT;
    }
    a->model_index = m;
    const void *model = b->models[m].model;
    if (forest || wtrees) {
        uint32_t n_trees = forest ? fdxi_forest_tree_count(model) : fdxi_wtrees_count(model);
        if (o->tree_index >= n_trees) {
            fdxi_set_err(err, errlen, "--index: the %s of %s has trees 0 to %u, not %u", want,
                         o->model_path, n_trees - 1, o->tree_index);
            return FDX_ERANGE;
        }
        a->n_trees = n_trees;
        a->rule_tree = forest ? fdxi_forest_tree(model, o->tree_index)
                              : fdxi_wtrees_tree(model, o->tree_index);
        a->tree_weight = wtrees ? fdxi_wtrees_accuracy(model, o->tree_index) : NAN;
    } else {
        if (o->tree_index != 0) {
            fdxi_set_err(err, errlen, "--index: a tree model has one tree (index 0)");
            return FDX_ERANGE;
        }
        a->n_trees = 1;
        a->rule_tree = model;
        a->tree_weight = NAN;
    }
    fdxi_tree_shape(a->rule_tree, &a->rule_leaves, &a->rule_depth);
    return 0;
}

/* ---- the public interface ---- */

static const struct kind_entry {
    const char *name;
    enum kind kind;
    int (*run)(fdx_analysis *a, const struct fdx_analysis_options *o, char *err, size_t errlen);
    bool needs_data;
} kinds[] = {
    {"importance", KIND_IMPORTANCE, run_importance, true},
    {"universal", KIND_UNIVERSAL, run_universal, true},
    {"subclasses", KIND_SUBCLASSES, run_subclasses, true},
    {"tree", KIND_TREE, run_tree, true},
    {"rules", KIND_RULES, run_rules, false},
};

int fdx_analysis_run(const struct fdx_analysis_options *opts, fdx_analysis **ret_analysis,
                     char *errbuf, size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    if (opts == NULL || opts->struct_size < sizeof(*opts) || ret_analysis == NULL) {
        fdxi_set_err(errbuf, errlen, "analysis: no options or result given");
        return FDX_EINVAL;
    }
    const struct kind_entry *k = NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && opts->kind != NULL; i++) {
        if (strcmp(kinds[i].name, opts->kind) == 0)
            k = &kinds[i];
    }
    if (k == NULL) {
        fdxi_set_err(errbuf, errlen,
                     "analysis: unknown kind '%s' (importance, universal, subclasses, tree, "
                     "rules)",
                     opts->kind != NULL ? opts->kind : "(none)");
        return FDX_EINVAL;
    }
    if (k->needs_data && opts->data_path == NULL) {
        fdxi_set_err(errbuf, errlen, "%s: no data file given", k->name);
        return FDX_EINVAL;
    }
    if (opts->min_leaf < 1) {
        fdxi_set_err(errbuf, errlen, "--min-leaf: at least 1");
        return FDX_ERANGE;
    }
    fdx_analysis *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return FDX_ENOMEM;
    a->kind = k->kind;
    a->o = *opts;
    a->o.kind = a->o.data_path = a->o.data_path_b = a->o.model_path = NULL;
    a->o.model_kind = a->o.label_column = a->o.features = a->o.class_name = NULL;
    a->o.log = NULL;
    a->o.user = NULL;
    int rc = k->run(a, opts, errbuf, errlen);
    if (rc < 0) {
        if (rc == FDX_ENOMEM && errbuf[0] == '\0')
            fdxi_set_err(errbuf, errlen, "%s: out of memory", k->name);
        fdx_analysis_free(a);
        return rc;
    }
    *ret_analysis = a;
    return 0;
}

size_t fdx_analysis_report(const fdx_analysis *a, int json, char *buf, size_t len)
{
    return fdxi_analysis_report(a, json != 0, buf, len);
}

size_t fdx_analysis_features(const fdx_analysis *a, char sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len > 0)
        buf[0] = '\0';
    if (a->kind != KIND_UNIVERSAL)
        return 0;
    const struct fdxi_dataset *da = &a->src[0].ds;
    bool first = true;
    for (uint32_t i = 0; i < a->n_urows; i++) {
        const struct fdxi_universal_row *r = &a->urows[i];
        if (!r->kept)
            continue;
        if (!first)
            used = fdxi_appendf(buf, len, used, "%c", sep);
        used = fdxi_appendf(buf, len, used, "%s", da->col_names[a->common[0][r->f]]);
        if (r->rf >= 0)
            used = fdxi_appendf(buf, len, used, "%c%s", sep, da->col_names[a->common[0][r->rf]]);
        first = false;
    }
    return used;
}

int fdx_analysis_write_svg(const fdx_analysis *a, const char *path, char *errbuf, size_t errlen)
{
    return fdxi_analysis_svg(a, path, errbuf, errlen);
}
