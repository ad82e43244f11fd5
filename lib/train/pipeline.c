/* SPDX-License-Identifier: BSD-3-Clause */
/* The training pipeline: prepare labelled rows, cross-validate the models and fit the detector. */
#include "train/pipeline.h"
#include "model/tree.h"

#include "core/core.h"
#include "core/err.h"
#include "feature/feature.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowdx/flowdx.h"

static const char *const jury_kinds[] = {"knn", "svm", "tree", "forest", "mlp"};

void fdx_train_options_init(struct fdx_train_options *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->feature_set = NULL; /* the base model's with update, else zadnik or doh:ip by the model */
    o->models = "jury";
    o->corr_threshold = 0.7;
    o->folds = 5;
    o->seed = 42;
    o->nan_value = -1;
    o->jury_threshold = 0.5;
}

#define say(o, ...) fdxi_logf((o)->log, (o)->user, __VA_ARGS__)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fdxi_result_fini(struct fdxi_result *r)
{
    free(r->pred);
    free(r->score);
    memset(r, 0, sizeof(*r));
}

void fdx_training_free(fdx_training *t)
{
    if (t == NULL)
        return;
    fdxi_dataset_free(&t->ds);
    fdxi_bundle_free(t->base);
    free(t->base_features);
    if (t->all_names != NULL) {
        for (uint32_t i = 0; i < t->n_all; i++)
            free(t->all_names[i]);
    }
    free(t->all_names);
    free(t->corr_before);
    free(t->corr_after);
    free(t->keep);
    for (uint32_t i = 0; i <= FDXI_JURY; i++)
        fdxi_result_fini(&t->result[i]);
    free(t->data_path);
    fdxi_bundle_free(t->bundle);
    free(t->fold);
    free(t->add_start);
    free(t);
}

/* Scaled copies of the rows selected by want(i) (or all): rows fitted with s. */
static double *scaled_rows(const struct fdxi_dataset *ds, const struct fdxi_scaler *s,
                           const uint32_t *fold, uint32_t f, bool in_fold, uint32_t *ret_n,
                           int32_t *ret_y, uint32_t *ret_idx)
{
    uint32_t d = ds->n_cols, n = 0;
    double *x = malloc((size_t)ds->n_rows * d * sizeof(double));
    if (x == NULL)
        return NULL;
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        if (fold != NULL && (fold[i] == f) != in_fold)
            continue;
        double *row = x + (size_t)n * d;
        memcpy(row, ds->x + (size_t)i * d, d * sizeof(double));
        fdxi_scaler_apply(s, row);
        if (ret_y != NULL)
            ret_y[n] = ds->y[i];
        if (ret_idx != NULL)
            ret_idx[n] = i;
        n++;
    }
    *ret_n = n;
    return x;
}

/* The scaler of the rows with fold[i] != f (all rows when fold is NULL). */
static int fit_scaler(const struct fdxi_dataset *ds, const uint32_t *fold, uint32_t f,
                      bool identity, struct fdxi_scaler *s)
{
    uint32_t d = ds->n_cols, n = 0;
    if (identity) { /* mean 0, scale 1: the rows as they are */
        s->n_cols = d;
        s->mean = calloc(d ? d : 1, sizeof(double));
        s->scale = malloc((d ? d : 1) * sizeof(double));
        if (s->mean == NULL || s->scale == NULL)
            return FDX_ENOMEM;
        for (uint32_t j = 0; j < d; j++)
            s->scale[j] = 1.0;
        return 0;
    }
    double *x = malloc((size_t)ds->n_rows * d * sizeof(double));
    if (x == NULL)
        return FDX_ENOMEM;
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        if (fold != NULL && fold[i] == f)
            continue;
        memcpy(x + (size_t)n * d, ds->x + (size_t)i * d, d * sizeof(double));
        n++;
    }
    int rc = fdxi_scaler_fit(s, x, n, d);
    free(x);
    return rc;
}

/* Which kinds to train: the jury's five, or one. */
static int choose_kinds(const char *models, const struct fdxi_model_kind **kinds, uint32_t *ret_n,
                        char *err, size_t errlen)
{
    if (models == NULL || strcmp(models, "jury") == 0) {
        for (uint32_t i = 0; i < 5; i++)
            kinds[i] = fdxi_model_kind_by_name(jury_kinds[i]);
        *ret_n = 5;
        return 0;
    }
    kinds[0] = fdxi_model_kind_by_name(models);
    if (kinds[0] == NULL) {
        snprintf(err, errlen,
                 "--model: '%s' is not jury, knn, svm, tree, forest, mlp or weighted-trees",
                 models);
        return FDX_EINVAL;
    }
    *ret_n = 1;
    return 0;
}

/* A model's and the jury's predictions for the rows of one fold. */
static int run_fold(fdx_training *t, const struct fdxi_model_kind *const *kinds,
                    const struct fdxi_train_params *params, const uint32_t *fold, uint32_t f,
                    char *err, size_t errlen)
{
    const struct fdxi_dataset *ds = &t->ds;
    uint32_t d = ds->n_cols, nc = ds->n_classes;
    struct fdxi_scaler s = {0};
    int32_t *ytr = malloc(ds->n_rows * sizeof(int32_t));
    uint32_t *idx = malloc(ds->n_rows * sizeof(uint32_t));
    double *proba = malloc(nc * sizeof(double));
    double *xtr = NULL, *xte = NULL;
    uint32_t ntr = 0, nte = 0;
    int rc = ytr && idx && proba ? fit_scaler(ds, fold, f, t->identity_scale, &s) : FDX_ENOMEM;
    if (rc < 0)
        goto out;
    xtr = scaled_rows(ds, &s, fold, f, false, &ntr, ytr, NULL);
    xte = scaled_rows(ds, &s, fold, f, true, &nte, NULL, idx);
    if (xtr == NULL || xte == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    uint32_t correct[FDXI_BUNDLE_MAX_MODELS + 1] = {0};
    for (uint32_t m = 0; m < t->n_models; m++) {
        double t0 = now_s();
        void *model = NULL;
        rc = kinds[m]->train(params, xtr, ytr, ntr, d, nc, &model, err, errlen);
        if (rc < 0)
            goto out;
        struct fdxi_result *r = &t->result[m];
        double t1 = now_s();
        r->train_seconds += t1 - t0;
        bool wtrees = kinds[m] == &fdxi_model_wtrees;
        r->has_uncertain = wtrees;
        for (uint32_t k = 0; k < nte; k++) {
            uint32_t i = idx[k];
            const double *row = xte + (size_t)k * d;
            double *score = r->score + (size_t)i * nc;
            int32_t best = 0;
            if (wtrees) {
                /* The ensemble's own rule: uncertain rows count as class 0 (no alert). */
                int dec = fdxi_wtrees_classify(model, row, score);
                r->uncertain[ds->y[i]] += dec == 0;
                best = dec > 0;
            } else {
                kinds[m]->predict(model, row, score);
                for (uint32_t c = 1; c < nc; c++) {
                    if (score[c] > score[(uint32_t)best])
                        best = (int32_t)c;
                }
            }
            r->pred[i] = best;
            correct[m] += best == ds->y[i];
        }
        r->predict_seconds += now_s() - t1;
        kinds[m]->free(model);
        r->fold_accuracy[f] = nte ? (double)correct[m] / nte : 0;
        r->n_folds = f + 1;
        say(&t->opts, "fold %u: %-6s accuracy %.4f (%.1f s)", f + 1, kinds[m]->name,
            r->fold_accuracy[f], now_s() - t0);
    }
    /* The jury over this fold's rows: each model's vote, equal weights. */
    struct fdxi_result *j = &t->result[FDXI_JURY];
    for (uint32_t k = 0; k < nte; k++) {
        uint32_t i = idx[k], votes[FDXI_BUNDLE_MAX_MODELS];
        for (uint32_t m = 0; m < t->n_models; m++)
            votes[m] = (uint32_t)t->result[m].pred[i];
        double score;
        uint32_t v = fdxi_bundle_vote(t->bundle, votes, &score);
        j->pred[i] = (int32_t)v;
        for (uint32_t c = 0; c < nc; c++)
            j->score[(size_t)i * nc + c] =
                nc == 2 ? (c == 1 ? score : 1 - score) : (c == v ? score : 0);
        correct[FDXI_JURY] += (int32_t)v == ds->y[i];
    }
    j->fold_accuracy[f] = nte ? (double)correct[FDXI_JURY] / nte : 0;
    j->n_folds = f + 1;
out:
    fdxi_scaler_fini(&s);
    free(xtr);
    free(xte);
    free(ytr);
    free(idx);
    free(proba);
    return rc;
}

static int file_checksum(const char *path, uint64_t *ret);

/* The options of the first release end at n_more_data; later fields are read only when the
 * caller's struct_size covers them. */
#define TRAIN_OPTIONS_V1_SIZE (offsetof(struct fdx_train_options, n_more_data) + sizeof(uint32_t))

static const char *opt_exclude(const struct fdx_train_options *o)
{
    if (!FDXI_HAS_FIELD(o, struct fdx_train_options, exclude))
        return NULL;
    return o->exclude != NULL && o->exclude[0] != '\0' ? o->exclude : NULL;
}

static const char *opt_update(const struct fdx_train_options *o)
{
    if (!FDXI_HAS_FIELD(o, struct fdx_train_options, update))
        return NULL;
    return o->update != NULL && o->update[0] != '\0' ? o->update : NULL;
}

/* --update: load the weighted-trees model the new trees join; its inputs become the feature
 * list (same columns, same order, no correlation filter, no scaling). */
static int load_base(fdx_training *t, const char *path, char **ret_features, char *err,
                     size_t errlen)
{
    int rc = fdxi_bundle_load(path, &t->base, err, errlen);
    if (rc < 0)
        return rc;
    const struct fdxi_bundle *b = t->base;
    if (fdxi_bundle_wtrees(b) == NULL) {
        snprintf(err, errlen,
                 "--update %s: not a weighted-trees model (it holds %u model%s, the "
                 "first %s)",
                 path, b->n_models, b->n_models == 1 ? "" : "s", b->models[0].kind->name);
        return FDX_EINVAL;
    }
    size_t len = 1;
    for (uint32_t i = 0; i < b->n_inputs; i++)
        len += strlen(b->input_names[i]) + 1;
    char *list = malloc(len);
    if (list == NULL)
        return FDX_ENOMEM;
    size_t at = 0;
    for (uint32_t i = 0; i < b->n_inputs; i++)
        at += (size_t)sprintf(list + at, "%s%s", i ? "," : "", b->input_names[i]);
    list[at] = '\0';
    *ret_features = list;
    return 0;
}

/* --update: the rows join the model's classes, as those of --add join the first file's and those
 * eval reads the model's (fdxi_class_map: by name, never by position), so that new trees vote for
 * the class the old ones mean. */
static int join_base_classes(fdx_training *t, const char *update, char *err, size_t errlen)
{
    struct fdxi_dataset *ds = &t->ds;
    const struct fdxi_bundle *b = t->base;
    uint32_t map[FDXI_MODEL_MAX_CLASSES];
    char target[1100];
    snprintf(target, sizeof(target), "the model %s", update);
    int rc = fdxi_dataset_class_map(ds, (const char *const *)b->class_names, b->n_classes, map,
                                    t->data_path, target, err, errlen);
    if (rc < 0)
        return rc;
    char **names = calloc(b->n_classes, sizeof(char *));
    if (names == NULL)
        return FDX_ENOMEM;
    for (uint32_t c = 0; c < b->n_classes; c++) {
        if ((names[c] = strdup(b->class_names[c])) == NULL) {
            while (c > 0)
                free(names[--c]);
            free(names);
            return FDX_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < ds->n_rows; i++)
        ds->y[i] = (int32_t)map[ds->y[i]];
    for (uint32_t c = 0; c < ds->n_classes; c++)
        free(ds->class_names[c]);
    free(ds->class_names);
    ds->class_names = names;
    ds->n_classes = b->n_classes;
    return 0;
}

static const char *opt_features(const struct fdx_train_options *o)
{
    if (!FDXI_HAS_FIELD(o, struct fdx_train_options, features))
        return NULL;
    return o->features != NULL && o->features[0] != '\0' ? o->features : NULL;
}

/* --features (listed) or --exclude: fdxi_dataset_select_names with this command's messages. */
static int select_columns(struct fdxi_dataset *ds, const char *list, bool listed,
                          const char *option, char *err, size_t errlen)
{
    struct fdxi_unknown_name u;
    int rc = fdxi_dataset_select_names(ds, list, listed, &u);
    if (rc == FDX_ENOENT) {
        snprintf(err, errlen, "%s: the data has no feature %s '%.*s'", option,
                 u.prefix ? "starting with" : "named", (int)u.len, u.name);
        rc = FDX_EINVAL;
    } else if (rc == FDX_EINVAL) {
        snprintf(err, errlen, "%s: no feature would be left", option);
    }
    return rc;
}

/* The rows that are one-way flows, told by a column the feature sets write: zadnik's `oneway`
 * (1) or flowrec's `rpackets` (0). Counted before --features/--exclude, which may drop the column
 * the model still depends on: a model's own inputs do not have to include it. */
static uint32_t count_one_way(const struct fdxi_dataset *ds)
{
    static const struct {
        const char *name;
        double one_way;
    } marks[] = {{"oneway", 1}, {"rpackets", 0}};
    for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
        int j = fdxi_dataset_column(ds, marks[m].name);
        if (j < 0)
            continue;
        uint32_t n = 0;
        for (uint32_t i = 0; i < ds->n_rows; i++)
            n += ds->x[(size_t)i * ds->n_cols + (uint32_t)j] == marks[m].one_way;
        return n;
    }
    return FDXI_ONE_WAY_UNKNOWN;
}

/* The first of @p ds's columns that none of the @p n sets computes, or NULL. */
static const char *first_foreign(const struct fdxi_dataset *ds,
                                 const struct fdxi_feature_set *const *sets, uint32_t n)
{
    for (uint32_t j = 0; j < ds->n_cols; j++) {
        bool found = false;
        for (uint32_t s = 0; s < n && !found; s++) {
            for (uint32_t i = 0; i < sets[s]->n_features && !found; i++)
                found = strcmp(sets[s]->feature_names[i], ds->col_names[j]) == 0;
        }
        if (!found)
            return ds->col_names[j];
    }
    return NULL;
}

/* Whether the sets of the list @p sets compute every column of @p ds (false: a name no set has). */
static bool sets_compute(const struct fdxi_dataset *ds, const char *sets)
{
    const struct fdxi_feature_set *named[FDXI_MAX_SETS];
    uint32_t n = 0;
    char e[8];
    return fdxi_feature_set_list(sets, named, &n, e, sizeof(e)) == 0 &&
           first_foreign(ds, named, n) == NULL;
}

/* Whether two set lists name the same sets in the same order (by name or alias, spaces aside). */
static bool same_sets(const char *a, const char *b)
{
    const struct fdxi_feature_set *sa[FDXI_MAX_SETS], *sb[FDXI_MAX_SETS];
    uint32_t na = 0, nb = 0;
    char e[8];
    if (fdxi_feature_set_list(a, sa, &na, e, sizeof(e)) < 0 ||
        fdxi_feature_set_list(b, sb, &nb, e, sizeof(e)) < 0)
        return strcmp(a, b) == 0;
    return na == nb && memcmp(sa, sb, na * sizeof(sa[0])) == 0;
}

/*
 * The recorded feature set must compute every input, or no detector can use the model (a
 * detector binds its inputs by name, and `flowdx collect` refuses a model of another set). When
 * another set computes them all, the data came from it: refused, naming it. When none does
 * (columns of the user's own), the model is still good for `flowdx eval` on rows: said, not
 * refused. @p update: the base model's file when @p sets is the set it records.
 */
static int check_feature_set(const fdx_training *t, const char *sets, const char *update, char *err,
                             size_t errlen)
{
    const struct fdxi_feature_set *named[FDXI_MAX_SETS];
    uint32_t n = 0;
    if (fdxi_feature_set_list(sets, named, &n, err, errlen) < 0)
        return FDX_EINVAL; /* err names the unknown set */
    const char *col = first_foreign(&t->ds, named, n);
    if (col == NULL)
        return 0;
    const struct fdxi_feature_set *fits = NULL;
    for (uint32_t k = 0; k < fdxi_feature_set_count() && fits == NULL; k++) {
        const struct fdxi_feature_set *cand = fdxi_feature_set_at(k);
        fits = first_foreign(&t->ds, &cand, 1) == NULL ? cand : NULL;
    }
    if (fits == NULL) {
        say(&t->opts,
            "note: feature set %s has no feature '%s', nor does any one set have all the columns: "
            "the model can be evaluated on rows (flowdx eval), not loaded by a detector",
            sets, col);
        return 0;
    }
    /* --update: the base's inputs are these columns (checked next), so its record is wrong */
    if (update != NULL)
        snprintf(err, errlen,
                 "--update %s: the model records the feature set %s, which has no feature '%s'; "
                 "the columns are the '%s' set's: if the model was trained on them, "
                 "--feature-set %s corrects the set it records",
                 update, sets, col, fits->name, fits->name);
    else
        snprintf(err, errlen,
                 "%s: feature set %s: the data's column '%s' is not one of its features; the "
                 "columns are the '%s' set's (--feature-set %s)",
                 t->data_path, sets, col, fits->name, fits->name);
    return FDX_EINVAL;
}

/*
 * Whether the prepared rows can be cross-validated with @p k folds and trained on: every fold
 * needs a row to test (fdxi_split_kfold() deals the rows round-robin, so k rows are enough), and
 * a model needs two classes. Errors count the rows of each class.
 */
static int check_rows(const fdx_training *t, uint32_t k, char *err, size_t errlen)
{
    const struct fdxi_dataset *ds = &t->ds;
    const char *more = t->opts.n_more_data > 0 ? " with the --add files" : "";
    if (ds->n_rows >= k && ds->n_classes >= 2)
        return 0;
    char counts[512];
    size_t used = 0;
    counts[0] = '\0';
    for (uint32_t c = 0; c < ds->n_classes; c++)
        used = fdxi_appendf(counts, sizeof(counts), used, "%s%u of class '%s'", c ? ", " : "",
                            t->class_count[c], ds->class_names[c]);
    if (ds->n_rows < k) {
        char fits[64] = "--folds 2, the fewest, needs 2";
        if (ds->n_rows >= 2)
            snprintf(fits, sizeof(fits), "--folds %u fits these", ds->n_rows);
        snprintf(err, errlen,
                 "%s%s: %u row%s (%s) %s too few for %u-fold cross-validation, which needs at "
                 "least %u rows (one per fold; %s)",
                 t->data_path, more, ds->n_rows, ds->n_rows == 1 ? "" : "s", counts,
                 ds->n_rows == 1 ? "is" : "are", k, k, fits);
        return FDX_EINVAL;
    }
    snprintf(err, errlen,
             "%s%s: all %u rows are of class '%s': a model needs rows of at least two classes",
             t->data_path, more, ds->n_rows, ds->class_names[0]);
    return FDX_EFORMAT;
}

/*
 * Every value of the chosen columns must be finite and within FDXI_TRAIN_MAX_ABS, so that
 * scaling cannot overflow (NaN cells are replaced later). Errors name the file, line and column
 * of the first value that is not.
 */
static int check_values(const fdx_training *t, const struct fdx_train_options *in, char *err,
                        size_t errlen)
{
    const struct fdxi_dataset *ds = &t->ds;
    const char *path = t->data_path; /* the file row i came from */
    uint32_t next = 0;               /* the --add file whose rows start next */
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        for (; next < in->n_more_data && i >= t->add_start[next]; next++)
            path = in->more_data[next];
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            int rc = fdxi_dataset_check_value(ds, i, j, path, "train on", err, errlen);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Prepare the rows: header correction of the first file, further files joined, correlation
 * filter, NaN replacement. */
static int prepare_and_merge(fdx_training *t, const struct fdx_train_options *in,
                             uint64_t *checksum, char *err, size_t errlen)
{
    struct fdxi_dataset *ds = &t->ds;
    const struct fdx_train_options *o = &t->opts;
    if (o->header_correct) {
        if (ds->n_classes != 2) {
            snprintf(err, errlen,
                     "--correct-header needs the dataset's two classes (benign "
                     "captured on Ethernet, malicious on Linux cooked); %s has %u",
                     t->data_path, ds->n_classes);
            return FDX_EINVAL;
        }
        const double h[2] = {14, 16};
        char why[256] = "";
        int rc = fdxi_dataset_header_correct(ds, h, o->map_padding != 0, why, sizeof(why));
        if (rc < 0) {
            snprintf(err, errlen, "%s:%llu: %s", t->data_path, (unsigned long long)ds->header_line,
                     why);
            return rc;
        }
    }
    t->add_start = malloc((in->n_more_data ? in->n_more_data : 1) * sizeof(uint32_t));
    if (t->add_start == NULL)
        return FDX_ENOMEM;
    for (uint32_t f = 0; f < in->n_more_data; f++) {
        t->add_start[f] = ds->n_rows;
        struct fdxi_dataset more = {0};
        struct fdxi_csv_options co = {.label_column = in->label_column};
        int rc = fdxi_dataset_input_error(
            fdxi_dataset_read_csv(in->more_data[f], &co, &more, err, errlen));
        if (rc == 0)
            rc = fdxi_dataset_append(ds, &more, in->more_data[f], err, errlen);
        say(o, "%s: %u rows added", in->more_data[f], more.n_rows);
        fdxi_dataset_free(&more);
        if (rc < 0)
            return rc;
        uint64_t sum = 0;
        file_checksum(in->more_data[f], &sum);
        *checksum = fdxi_fnv1a64_update(*checksum, &sum, sizeof(sum));
    }
    t->one_way_rows = count_one_way(ds);
    const char *features = opt_features(in);
    if (features != NULL) {
        /* --update: the list is the base model's inputs, not an option the user gave */
        char option[2200] = "--features";
        if (t->base != NULL)
            snprintf(option, sizeof(option), "%s: --update %s (its inputs)", t->data_path,
                     opt_update(&t->opts));
        int rc = select_columns(ds, features, true, option, err, errlen);
        if (rc < 0)
            return rc;
        say(o, "features: %u selected", ds->n_cols);
    }
    const char *exclude = opt_exclude(in);
    if (exclude != NULL) {
        int rc = select_columns(ds, exclude, false, "--exclude", err, errlen);
        if (rc < 0)
            return rc;
        say(o, "excluded: %s", exclude);
    }
    int rc = check_values(t, in, err, errlen);
    if (rc < 0)
        return rc;
    t->n_all = ds->n_cols;
    t->all_names = calloc(t->n_all, sizeof(char *));
    t->corr_before = malloc((size_t)t->n_all * t->n_all * sizeof(double));
    t->keep = calloc(t->n_all, sizeof(bool));
    if (t->all_names == NULL || t->corr_before == NULL || t->keep == NULL)
        return FDX_ENOMEM;
    for (uint32_t j = 0; j < t->n_all; j++) {
        if ((t->all_names[j] = strdup(ds->col_names[j])) == NULL)
            return FDX_ENOMEM;
    }
    fdxi_correlation(ds, t->corr_before);
    uint32_t kept = t->n_all;
    if (o->corr_threshold < 1) {
        kept = fdxi_correlation_filter(t->corr_before, t->n_all, o->corr_threshold, t->keep);
    } else {
        for (uint32_t j = 0; j < t->n_all; j++)
            t->keep[j] = true;
    }
    if (kept < t->n_all) {
        rc = fdxi_dataset_select(ds, t->keep);
        if (rc < 0)
            return rc;
    }
    t->corr_after = malloc((size_t)ds->n_cols * ds->n_cols * sizeof(double));
    if (t->corr_after == NULL)
        return FDX_ENOMEM;
    fdxi_correlation(ds, t->corr_after);
    fdxi_dataset_impute_nan(ds, o->nan_value);
    for (uint32_t i = 0; i < ds->n_rows; i++)
        t->class_count[ds->y[i]]++;
    say(o, "%u rows, %u features, %u kept after the correlation filter (|r| > %g)", ds->n_rows,
        t->n_all, ds->n_cols, o->corr_threshold);
    return 0;
}

/* The ensemble votes +1/-1: refused for more than two classes, naming each with its first line
 * (without --add files, whose lines would be another file's). */
static int two_classes(const fdx_training *t, char *err, size_t errlen)
{
    const struct fdxi_dataset *ds = &t->ds;
    uint64_t first[FDXI_MODEL_MAX_CLASSES] = {0};
    if (t->opts.n_more_data == 0)
        fdxi_dataset_class_lines(ds, first);
    int w = snprintf(err, errlen, "%s: %u classes (", t->data_path, ds->n_classes);
    for (uint32_t c = 0; c < ds->n_classes && w > 0 && (size_t)w < errlen; c++)
        w += snprintf(err + w, errlen - (size_t)w, "%s'%s'%s%.0llu", c ? ", " : "",
                      ds->class_names[c], first[c] ? " first at line " : "",
                      (unsigned long long)first[c]);
    if (w > 0 && (size_t)w < errlen)
        snprintf(err + w, errlen - (size_t)w,
                 "): the weighted-trees ensemble votes +1/-1 and needs exactly two");
    return FDX_EINVAL;
}

/* The bundle's fixed part: inputs, classes, jury policy and metadata (models come later). */
static int bundle_start(fdx_training *t, const char *feature_set, uint64_t checksum)
{
    struct fdxi_bundle *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return FDX_ENOMEM;
    t->bundle = b;
    const struct fdxi_dataset *ds = &t->ds;
    b->feature_set = strdup(feature_set ? feature_set : "doh:ip");
    b->n_inputs = ds->n_cols;
    b->input_names = calloc(ds->n_cols, sizeof(char *));
    b->n_classes = ds->n_classes;
    b->class_names = calloc(ds->n_classes, sizeof(char *));
    b->mean = calloc(ds->n_cols, sizeof(double));
    b->scale = calloc(ds->n_cols, sizeof(double));
    if (b->feature_set == NULL || b->input_names == NULL || b->class_names == NULL ||
        b->mean == NULL || b->scale == NULL)
        return FDX_ENOMEM;
    for (uint32_t j = 0; j < ds->n_cols; j++) {
        if ((b->input_names[j] = strdup(ds->col_names[j])) == NULL)
            return FDX_ENOMEM;
    }
    for (uint32_t c = 0; c < ds->n_classes; c++) {
        if ((b->class_names[c] = strdup(ds->class_names[c])) == NULL)
            return FDX_ENOMEM;
    }
    b->nan_value = t->opts.nan_value;
    b->correction = t->opts.header_correct ? FDXI_CORRECTION_DATASET : FDXI_CORRECTION_NONE;
    b->threshold = t->opts.jury_threshold;
    b->data_checksum = checksum;
    /* --update: the base's trees know what its rows held, the new trees what these hold */
    b->one_way_rows = t->one_way_rows;
    if (t->base != NULL && (t->base->one_way_rows == FDXI_ONE_WAY_UNKNOWN ||
                            t->one_way_rows == FDXI_ONE_WAY_UNKNOWN)) {
        b->one_way_rows = FDXI_ONE_WAY_UNKNOWN; /* a sum with an unknown part is unknown */
    } else if (t->base != NULL) {
        uint64_t sum = (uint64_t)t->base->one_way_rows + t->one_way_rows;
        b->one_way_rows = sum < FDXI_ONE_WAY_UNKNOWN ? (uint32_t)sum : FDXI_ONE_WAY_UNKNOWN - 1;
    }
    b->seed = t->opts.seed;
    b->train_rows = ds->n_rows;
    if (t->base != NULL) { /* the trees kept were trained on the base's rows, the new on these */
        uint64_t sum = (uint64_t)t->base->train_rows + ds->n_rows;
        b->train_rows = sum <= UINT32_MAX ? (uint32_t)sum : UINT32_MAX;
    }
    /* The jury votes during cross-validation use the models' weights: 1 each. */
    b->n_models = t->n_models;
    for (uint32_t m = 0; m < t->n_models; m++)
        b->models[m].weight = 1;
    return 0;
}

static struct fdxi_bundle_scores scores_of(const struct fdxi_metrics *m)
{
    return (struct fdxi_bundle_scores){m->accuracy, m->precision, m->recall, m->f1, m->roc_auc};
}

/* Fit every model on all rows and put them into the bundle. */
static int fit_final(fdx_training *t, const struct fdxi_model_kind *const *kinds,
                     const struct fdxi_train_params *params, char *err, size_t errlen)
{
    struct fdxi_bundle *b = t->bundle;
    struct fdxi_scaler s = {0};
    int rc = fit_scaler(&t->ds, NULL, 0, t->identity_scale, &s);
    if (rc < 0)
        return rc;
    memcpy(b->mean, s.mean, t->ds.n_cols * sizeof(double));
    memcpy(b->scale, s.scale, t->ds.n_cols * sizeof(double));
    uint32_t n = 0;
    int32_t *y = malloc(t->ds.n_rows * sizeof(int32_t));
    double *x = y ? scaled_rows(&t->ds, &s, NULL, 0, false, &n, y, NULL) : NULL;
    fdxi_scaler_fini(&s);
    if (x == NULL) {
        free(y);
        return FDX_ENOMEM;
    }
    for (uint32_t m = 0; m < t->n_models && rc == 0; m++) {
        double t0 = now_s();
        b->models[m].kind = kinds[m];
        rc = kinds[m]->train(params, x, y, n, t->ds.n_cols, t->ds.n_classes, &b->models[m].model,
                             err, errlen);
        b->models[m].scores = scores_of(&t->result[m].metrics);
        say(&t->opts, "final %-6s on all %u rows (%.1f s)", kinds[m]->name, n, now_s() - t0);
    }
    b->jury_scores = scores_of(&t->result[FDXI_JURY].metrics);
    free(x);
    free(y);
    return rc;
}

static int file_checksum(const char *path, uint64_t *ret)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return FDX_EIO;
    uint64_t h = FDXI_FNV1A64_BASIS;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        h = fdxi_fnv1a64_update(h, buf, n);
    fclose(fp);
    *ret = h;
    return 0;
}

int fdx_train_run(const struct fdx_train_options *opts, fdx_training **ret_training, char *errbuf,
                  size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    errbuf[0] = '\0';
    if (opts == NULL || opts->struct_size < TRAIN_OPTIONS_V1_SIZE || opts->data_path == NULL) {
        snprintf(errbuf, errlen, "training: no data file given");
        return FDX_EINVAL;
    }
    if (opts->folds < 2 || opts->folds > FDXI_MAX_FOLDS) {
        snprintf(errbuf, errlen, "--folds: %u out of range (2 to %d)", opts->folds, FDXI_MAX_FOLDS);
        return FDX_ERANGE;
    }
    if (!(opts->jury_threshold > 0 && opts->jury_threshold <= 1)) {
        snprintf(errbuf, errlen, "--jury-threshold: %g outside (0, 1]", opts->jury_threshold);
        return FDX_ERANGE;
    }
    /* NaN cells become this value before scaling: it must be a number the scaler can take. */
    if (!isfinite(opts->nan_value)) {
        snprintf(errbuf, errlen, "--nan-value: %g is not a finite number", opts->nan_value);
        return FDX_EINVAL;
    }
    if (fabs(opts->nan_value) > FDXI_TRAIN_MAX_ABS) {
        snprintf(errbuf, errlen,
                 "--nan-value: %g is too large (magnitude above %g, where scaling could overflow)",
                 opts->nan_value, FDXI_TRAIN_MAX_ABS);
        return FDX_EINVAL;
    }
    struct fdxi_train_params params;
    fdxi_train_params_init(&params);
    params.seed = opts->seed;
    params.wtrees_margin = NAN; /* not given: 0, or with --update the model's own */
    int rc = fdxi_train_params_parse(opts->params, &params, errbuf, errlen);
    if (rc < 0)
        return rc;
    bool margin_given = !isnan(params.wtrees_margin);
    if (!margin_given)
        params.wtrees_margin = 0;
    const struct fdxi_model_kind *kinds[FDXI_BUNDLE_MAX_MODELS];
    fdx_training *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return FDX_ENOMEM;
    memcpy(&t->opts, opts, opts->struct_size < sizeof(*opts) ? opts->struct_size : sizeof(*opts));
    t->opts.struct_size = sizeof(t->opts);
    t->opts.data_path = t->opts.label_column = t->opts.feature_set = NULL;
    t->opts.models = t->opts.params = t->opts.exclude = t->opts.features = NULL;
    t->data_path = strdup(opts->data_path);
    if (t->data_path == NULL) {
        rc = FDX_ENOMEM;
        goto fail;
    }
    rc = choose_kinds(opts->models, kinds, &t->n_models, errbuf, errlen);
    if (rc < 0)
        goto fail;
    /* Trees alone need no scaling: their thresholds stay in the features' own units (readable
     * rules), and trees added later (--update) meet the same numbers. */
    t->identity_scale = t->n_models == 1 && kinds[0] == &fdxi_model_wtrees;
    struct fdx_train_options in;
    memset(&in, 0, sizeof(in));
    memcpy(&in, opts, opts->struct_size < sizeof(in) ? opts->struct_size : sizeof(in));
    in.struct_size = sizeof(in);
    const char *update = opt_update(opts);
    if (update != NULL) {
        if (!t->identity_scale) {
            snprintf(errbuf, errlen,
                     "--update adds trees to a weighted-trees model: it needs "
                     "--model weighted-trees");
            rc = FDX_EINVAL;
            goto fail;
        }
        if (opt_features(opts) != NULL) {
            snprintf(errbuf, errlen,
                     "--features and --update do not go together: the new trees "
                     "read the model's own inputs");
            rc = FDX_EINVAL;
            goto fail;
        }
        rc = load_base(t, update, &t->base_features, errbuf, errlen);
        if (rc < 0)
            goto fail;
        if ((t->base->correction == FDXI_CORRECTION_DATASET) != (opts->header_correct != 0)) {
            snprintf(errbuf, errlen, "--update %s: the model was trained %s --correct-header",
                     update, opts->header_correct ? "without" : "with");
            rc = FDX_EINVAL;
            goto fail;
        }
        in.features = t->base_features;
        t->opts.corr_threshold = 1;
        t->opts.nan_value = t->base->nan_value;
        params.wtrees_base = fdxi_bundle_wtrees(t->base); /* load_base() checked it is one */
        if (!margin_given)
            params.wtrees_margin = fdxi_wtrees_margin(params.wtrees_base);
    }
    struct fdxi_csv_options co = {.label_column = opts->label_column};
    rc = fdxi_dataset_input_error(
        fdxi_dataset_read_csv(opts->data_path, &co, &t->ds, errbuf, errlen));
    if (rc == 0 && t->base != NULL)
        rc = join_base_classes(t, update, errbuf, errlen);
    if (rc < 0)
        goto fail_msg;
    uint64_t checksum = 0;
    file_checksum(opts->data_path, &checksum);
    rc = prepare_and_merge(t, &in, &checksum, errbuf, errlen);
    if (rc < 0)
        goto fail_msg;
    rc = check_rows(t, opts->folds, errbuf, errlen);
    if (rc == 0 && t->identity_scale && t->ds.n_classes != 2)
        rc = two_classes(t, errbuf, errlen);
    if (rc < 0)
        goto fail;
    /* --update: the base model's set. Another is taken only in place of a set the base records
     * wrongly, one without the data's columns, which are its inputs (checked below). */
    const char *sets = opts->feature_set;
    const char *recorded = NULL; /* sets is the base's record */
    if (t->base != NULL && (sets == NULL || same_sets(sets, t->base->feature_set))) {
        sets = recorded = t->base->feature_set;
    } else if (t->base != NULL && sets_compute(&t->ds, t->base->feature_set)) {
        snprintf(errbuf, errlen, "--update %s: the model reads the feature set '%s', not '%s'",
                 update, t->base->feature_set, sets);
        rc = FDX_EINVAL;
        goto fail;
    } else if (t->base != NULL) {
        say(&t->opts, "--update %s: the model recorded the feature set '%s'; it now records '%s'",
            update, t->base->feature_set, sets);
    }
    if (sets == NULL) /* the spam ensemble's set, or the DoH jury's */
        sets = t->identity_scale ? "zadnik" : "doh:ip";
    rc = check_feature_set(t, sets, recorded != NULL ? update : NULL, errbuf, errlen);
    if (rc < 0)
        goto fail;
    if (t->base != NULL) {
        uint32_t j = 0;
        while (j < t->ds.n_cols && j < t->base->n_inputs &&
               strcmp(t->ds.col_names[j], t->base->input_names[j]) == 0)
            j++;
        if (j < t->ds.n_cols || j < t->base->n_inputs) {
            snprintf(errbuf, errlen,
                     "%s: --update %s: the data's columns are not the model's %u inputs in the "
                     "same order: column %u is '%s', input %u '%s'",
                     t->data_path, update, t->base->n_inputs, j + 1,
                     j < t->ds.n_cols ? t->ds.col_names[j] : "(none)", j + 1,
                     j < t->base->n_inputs ? t->base->input_names[j] : "(none)");
            rc = FDX_EINVAL;
            goto fail;
        }
    }
    rc = bundle_start(t, sets, checksum);
    if (rc < 0)
        goto fail_msg;
    uint32_t n = t->ds.n_rows, nc = t->ds.n_classes;
    for (uint32_t m = 0; m < t->n_models; m++)
        t->result[m].name = kinds[m]->name;
    t->result[FDXI_JURY].name = "jury";
    for (uint32_t m = 0; m <= FDXI_JURY; m++) {
        if (m >= t->n_models && m != FDXI_JURY)
            continue;
        t->result[m].pred = calloc(n, sizeof(int32_t));
        t->result[m].score = calloc((size_t)n * nc, sizeof(double));
        if (t->result[m].pred == NULL || t->result[m].score == NULL) {
            rc = FDX_ENOMEM;
            goto fail_msg;
        }
    }
    uint32_t *fold = t->fold = malloc(n * sizeof(uint32_t));
    if (fold == NULL) {
        rc = FDX_ENOMEM;
        goto fail_msg;
    }
    rc = fdxi_split_kfold(t->ds.y, n, nc, opts->folds, opts->seed, fold);
    if (rc < 0 && rc != FDX_ENOMEM) /* check_rows() let only splittable rows through */
        snprintf(errbuf, errlen, "%s: %u rows of %u classes could not be split into %u folds",
                 t->data_path, n, nc, opts->folds);
    for (uint32_t f = 0; f < opts->folds && rc == 0; f++)
        rc = run_fold(t, kinds, &params, fold, f, errbuf, errlen);
    if (rc < 0)
        goto fail_msg;
    for (uint32_t m = 0; m <= FDXI_JURY; m++) {
        if (m >= t->n_models && m != FDXI_JURY)
            continue;
        rc = fdxi_metrics_compute(t->ds.y, t->result[m].pred, t->result[m].score, n, nc,
                                  &t->result[m].metrics);
        if (rc < 0) {
            if (rc != FDX_ENOMEM)
                snprintf(errbuf, errlen, "%s: the %s's cross-validated scores: %s", t->data_path,
                         t->result[m].name, fdx_strerror(rc));
            goto fail_msg;
        }
    }
    rc = fit_final(t, kinds, &params, errbuf, errlen);
    if (rc < 0)
        goto fail_msg;
    char desc[4096];
    int w = snprintf(desc, sizeof(desc), "trained on %s%s", t->data_path,
                     opts->header_correct ? " (header-corrected)" : "");
    for (uint32_t f = 0; f < opts->n_more_data && w > 0 && (size_t)w < sizeof(desc); f++)
        w += snprintf(desc + w, sizeof(desc) - (size_t)w, " + %s", opts->more_data[f]);
    if (w > 0 && (size_t)w < sizeof(desc))
        w += snprintf(
            desc + w, sizeof(desc) - (size_t)w, " (%u rows); models %s; %u-fold CV; seed %llu", n,
            opts->models ? opts->models : "jury", opts->folds, (unsigned long long)opts->seed);
    if (update != NULL && w > 0 && (size_t)w < sizeof(desc))
        w += snprintf(desc + w, sizeof(desc) - (size_t)w, "; trees added to %s (%u rows: %s)",
                      update, t->base->train_rows,
                      t->base->description ? t->base->description : "no description");
    if (opt_features(opts) != NULL && w > 0 && (size_t)w < sizeof(desc))
        w += snprintf(desc + w, sizeof(desc) - (size_t)w, "; features %s", opt_features(opts));
    if (opt_exclude(opts) != NULL && w > 0 && (size_t)w < sizeof(desc))
        snprintf(desc + w, sizeof(desc) - (size_t)w, "; excluded %s", opt_exclude(opts));
    t->bundle->description = strdup(desc);
    *ret_training = t;
    return 0;
fail_msg:
    if (rc == FDX_ENOMEM)
        snprintf(errbuf, errlen, "%s: out of memory while training", opts->data_path);
fail:
    if (errbuf[0] == '\0') /* every failure says something, if only what failed */
        snprintf(errbuf, errlen, "%s: training failed: %s", opts->data_path, fdx_strerror(rc));
    fdx_training_free(t);
    return rc;
}

int fdx_training_save(const fdx_training *t, const char *path, char *errbuf, size_t errlen)
{
    return fdxi_bundle_save(t->bundle, path, errbuf, errlen);
}

int fdx_training_export(const fdx_training *t, const char *path, char *errbuf, size_t errlen)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return FDX_EIO;
    }
    const struct fdxi_dataset *ds = &t->ds;
    for (uint32_t j = 0; j < ds->n_cols; j++)
        fprintf(fp, "%s,", ds->col_names[j]);
    fprintf(fp, "label,fold\n");
    for (uint32_t i = 0; i < ds->n_rows; i++) {
        for (uint32_t j = 0; j < ds->n_cols; j++)
            fprintf(fp, "%.17g,", ds->x[(size_t)i * ds->n_cols + j]);
        fprintf(fp, "%d,%u\n", ds->y[i], t->fold[i]);
    }
    if (fclose(fp) != 0) {
        snprintf(errbuf, errlen, "%s: write failed: %s", path, strerror(errno));
        return FDX_EIO;
    }
    return 0;
}
