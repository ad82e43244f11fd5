/* SPDX-License-Identifier: BSD-3-Clause */
/* Evaluates a trained model on labelled rows: every model, the jury, metrics and ROC curves. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "train/pipeline.h"
#include "train/svg.h"

void fdx_evaluation_free(fdx_evaluation *ev)
{
    if (ev == NULL)
        return;
    for (uint32_t i = 0; i <= FDXI_JURY; i++)
        fdxi_result_fini(&ev->result[i]);
    free(ev->truth);
    free(ev->data_path);
    free(ev);
}

/* The first of the model's inputs that @p ds has no column of, or NULL. */
static const char *first_missing(const struct fdxi_bundle *b, const struct fdxi_dataset *ds)
{
    for (uint32_t i = 0; i < b->n_inputs; i++) {
        if (fdxi_dataset_column(ds, b->input_names[i]) < 0)
            return b->input_names[i];
    }
    return NULL;
}

int fdx_eval_run(const fdx_model *model, const char *data_path, const char *label_column,
                 uint32_t header_correct, fdx_evaluation **ret_eval, char *errbuf, size_t errlen)
{
    char scratch_err[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch_err;
        errlen = sizeof(scratch_err);
    }
    errbuf[0] = '\0';
    const struct fdxi_bundle *b = fdxi_model_bundle(model);
    struct fdxi_dataset ds = {0};
    struct fdxi_csv_options co = {.label_column = label_column};
    fdx_evaluation *ev = NULL;
    uint32_t *cols = NULL;
    double *scratch = NULL;
    int rc = fdxi_dataset_read_csv(data_path, &co, &ds, errbuf, errlen);
    if (rc < 0)
        return rc;
    /* The columns the model reads, before the header correction drops some. */
    const char *missing = first_missing(b, &ds);
    if (missing != NULL) {
        fdxi_set_err(errbuf, errlen, "%s:%llu: no column '%s', which the model reads", data_path,
                     (unsigned long long)ds.header_line, missing);
        rc = FDX_EFORMAT;
        goto out;
    }
    if (header_correct) {
        const double h[2] = {14, 16};
        if (ds.n_classes != 2) {
            snprintf(errbuf, errlen, "%s: the header correction needs two classes", data_path);
            rc = FDX_EINVAL;
            goto out;
        }
        char why[256] = "";
        rc = fdxi_dataset_header_correct(&ds, h, true, why, sizeof(why));
        if (rc < 0) {
            fdxi_set_err(errbuf, errlen, "%s:%llu: %s", data_path,
                         (unsigned long long)ds.header_line, why);
            goto out;
        }
    }
    uint32_t class_map[FDXI_MODEL_MAX_CLASSES];
    rc = fdxi_dataset_class_map(&ds, (const char *const *)b->class_names, b->n_classes, class_map,
                                data_path, "the model", errbuf, errlen);
    if (rc < 0)
        goto out;
    cols = calloc(b->n_inputs, sizeof(uint32_t));
    scratch = malloc((2 * (size_t)b->n_inputs + b->n_classes) * sizeof(double));
    ev = calloc(1, sizeof(*ev));
    if (cols == NULL || scratch == NULL || ev == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    missing = first_missing(b, &ds);
    if (missing != NULL) { /* every input was there before the correction */
        fdxi_set_err(errbuf, errlen,
                     "%s: --correct-header drops column '%s', which the model reads: it was "
                     "trained without the correction",
                     data_path, missing);
        rc = FDX_EINVAL;
        goto out;
    }
    rc = fdxi_bundle_bind(b, (const char *const *)ds.col_names, ds.n_cols, cols, errbuf, errlen);
    if (rc < 0)
        goto out;
    /* The inputs' values as training takes them */
    for (uint32_t i = 0; i < ds.n_rows && rc == 0; i++)
        for (uint32_t k = 0; k < b->n_inputs && rc == 0; k++)
            rc = fdxi_dataset_check_value(&ds, i, cols[k], data_path, "judge", errbuf, errlen);
    if (rc < 0)
        goto out;
    uint32_t n = ds.n_rows, nc = b->n_classes;
    ev->n_rows = n;
    ev->n_classes = nc;
    ev->class_names = b->class_names;
    ev->n_models = b->n_models;
    ev->data_path = strdup(data_path);
    ev->truth = malloc(n * sizeof(int32_t));
    for (uint32_t m = 0; m <= FDXI_JURY; m++) {
        if (m >= b->n_models && m != FDXI_JURY)
            continue;
        ev->result[m].name = m == FDXI_JURY ? "jury" : b->models[m].kind->name;
        ev->result[m].pred = malloc(n * sizeof(int32_t));
        ev->result[m].score = calloc((size_t)n * nc, sizeof(double));
        if (ev->result[m].pred == NULL || ev->result[m].score == NULL) {
            rc = FDX_ENOMEM;
            goto out;
        }
    }
    if (ev->truth == NULL || ev->data_path == NULL) {
        rc = FDX_ENOMEM;
        goto out;
    }
    const bool wtrees = fdxi_bundle_wtrees(b) != NULL;
    for (uint32_t i = 0; i < n; i++) {
        struct fdxi_verdict v;
        fdxi_bundle_classify(b, ds.x + (size_t)i * ds.n_cols, cols, scratch, &v);
        ev->truth[i] = (int32_t)class_map[ds.y[i]];
        for (uint32_t m = 0; m < b->n_models; m++) {
            struct fdxi_result *r = &ev->result[m];
            r->pred[i] = (int32_t)v.vote[m];
            if (nc == 2) {
                r->score[(size_t)i * 2 + 1] = v.proba[m];
                r->score[(size_t)i * 2] = 1 - v.proba[m];
            } else {
                r->score[(size_t)i * nc + v.vote[m]] = v.proba[m];
            }
        }
        if (wtrees) {
            /* The ensemble's own rule: uncertain rows count as class 0 (no alert). */
            ev->result[0].has_uncertain = true;
            ev->result[0].uncertain[ev->truth[i]] += v.uncertain;
            ev->result[0].pred[i] = (int32_t)v.verdict;
        }
        struct fdxi_result *j = &ev->result[FDXI_JURY];
        j->pred[i] = (int32_t)v.verdict;
        if (nc == 2) {
            j->score[(size_t)i * 2 + 1] = v.score;
            j->score[(size_t)i * 2] = 1 - v.score;
        } else {
            j->score[(size_t)i * nc + v.verdict] = v.score;
        }
    }
    for (uint32_t m = 0; m <= FDXI_JURY && rc == 0; m++) {
        if (m >= b->n_models && m != FDXI_JURY)
            continue;
        rc = fdxi_metrics_compute(ev->truth, ev->result[m].pred, ev->result[m].score, n, nc,
                                  &ev->result[m].metrics);
        if (rc < 0 && rc != FDX_ENOMEM)
            fdxi_set_err(errbuf, errlen, "%s: the %s's scores: %s", data_path, ev->result[m].name,
                         fdx_strerror(rc));
    }
    if (rc < 0)
        goto out;
    *ret_eval = ev;
    ev = NULL;
out:
    if (rc == FDX_ENOMEM)
        snprintf(errbuf, errlen, "%s: out of memory", data_path);
    else if (rc < 0 && errbuf[0] == '\0')
        snprintf(errbuf, errlen, "%s: evaluation failed: %s", data_path, fdx_strerror(rc));
    fdx_evaluation_free(ev);
    free(cols);
    free(scratch);
    fdxi_dataset_free(&ds);
    return rc;
}

size_t fdx_evaluation_report(const fdx_evaluation *ev, int json, char *buf, size_t len)
{
    size_t used = 0;
    int n = snprintf(buf, len, json ? "{\"data\":\"%s\",\"rows\":%u," : "data: %s: %u rows\n",
                     ev->data_path, ev->n_rows);
    used = n > 0 ? (size_t)n : 0;
    used = fdxi_report_results(ev->result, ev->n_models, ev->n_models > 1,
                               (const char *const *)ev->class_names, ev->n_classes, json != 0, buf,
                               len, used);
    if (json) {
        n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, "}\n");
        used += n > 0 ? (size_t)n : 0;
    }
    return used;
}

/* ROC curves of every model and the jury (class 1's score), as one SVG plot. */
int fdx_evaluation_write_svg(const fdx_evaluation *ev, const char *path, char *errbuf,
                             size_t errlen)
{
    struct fdxi_svg_curve curves[FDXI_BUNDLE_MAX_MODELS + 1];
    struct fdxi_roc_point *points[FDXI_BUNDLE_MAX_MODELS + 1] = {0};
    char labels[FDXI_BUNDLE_MAX_MODELS + 1][64];
    uint32_t n = 0;
    int rc = 0;
    for (uint32_t m = 0; m <= FDXI_JURY; m++) {
        if (m >= ev->n_models && m != FDXI_JURY)
            continue;
        const struct fdxi_result *r = &ev->result[m];
        uint32_t np = fdxi_roc_curve(ev->truth, r->score, ev->n_rows, ev->n_classes, 1, &points[n]);
        if (np < 2)
            continue;
        snprintf(labels[n], sizeof(labels[n]), "%s (AUC %.3f)", r->name, r->metrics.roc_auc);
        curves[n] = (struct fdxi_svg_curve){labels[n], points[n], np};
        n++;
    }
    if (n == 0) {
        snprintf(errbuf, errlen, "%s: no ROC curve: the data lacks one of the classes", path);
        rc = FDX_EINVAL;
    } else {
        rc = fdxi_svg_roc(path, "ROC curves", curves, n, errbuf, errlen);
    }
    for (uint32_t i = 0; i <= FDXI_JURY; i++)
        free(points[i]);
    return rc;
}

int fdx_training_write_svg(const fdx_training *t, const char *before_path, const char *after_path,
                           char *errbuf, size_t errlen)
{
    bool *dropped = malloc((t->n_all ? t->n_all : 1) * sizeof(bool));
    if (dropped == NULL) {
        fdxi_set_err(errbuf, errlen, "%s: out of memory", before_path);
        return FDX_ENOMEM;
    }
    for (uint32_t j = 0; j < t->n_all; j++)
        dropped[j] = !t->keep[j];
    int rc = fdxi_svg_heatmap(
        before_path, "Feature correlation before the filter (dropped: marked)", t->corr_before,
        t->n_all, (const char *const *)t->all_names, dropped, errbuf, errlen);
    free(dropped);
    if (rc == 0)
        rc = fdxi_svg_heatmap(after_path, "Feature correlation after the filter", t->corr_after,
                              t->ds.n_cols, (const char *const *)t->ds.col_names, NULL, errbuf,
                              errlen);
    return rc;
}
