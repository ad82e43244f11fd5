/* SPDX-License-Identifier: BSD-3-Clause */
/* Formats training and evaluation results as text tables and JSON. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "train/pipeline.h"

/* A JSON number: NaN (an AUC without both classes) becomes null. */
static size_t add_num(char *buf, size_t len, size_t used, double v)
{
    return isfinite(v) ? fdxi_appendf(buf, len, used, "%.6f", v)
                       : fdxi_appendf(buf, len, used, "null");
}

/* Accuracy over the rows that got a verdict: uncertain rows, counted in class 0's column of the
 * confusion matrix, are taken out of it. NaN when every row is uncertain. */
static double decided_accuracy(const struct fdxi_result *r, uint32_t nc, uint64_t *ret_decided)
{
    uint64_t correct = 0, decided = 0;
    for (uint32_t a = 0; a < nc; a++) {
        for (uint32_t c = 0; c < nc; c++)
            decided += r->metrics.confusion[a][c];
        decided -= r->uncertain[a];
        correct += r->metrics.confusion[a][a];
    }
    correct -= r->uncertain[0];
    *ret_decided = decided;
    return decided > 0 ? (double)correct / (double)decided : NAN;
}

static size_t text_table(const struct fdxi_result *const *rows, uint32_t n,
                         const char *const *class_names, uint32_t nc, char *buf, size_t len,
                         size_t used)
{
    /* the name column as wide as the longest name; fold accuracies only where there are some
     * (flowdx eval has none) */
    int w = 7;
    bool folds = false;
    for (uint32_t i = 0; i < n; i++) {
        int l = (int)strlen(rows[i]->name);
        w = l > w ? l : w;
        folds = folds || rows[i]->n_folds > 0;
    }
    used = fdxi_appendf(buf, len, used, "%-*s %8s %9s %7s %7s %8s%s\n", w, "model", "accuracy",
                        "precision", "recall", "F1", "ROC AUC", folds ? "  fold accuracies" : "");
    for (uint32_t i = 0; i < n; i++) {
        const struct fdxi_result *r = rows[i];
        const struct fdxi_metrics *m = &r->metrics;
        used = fdxi_appendf(buf, len, used, "%-*s %8.4f %9.4f %7.4f %7.4f %8.4f%s", w, r->name,
                            m->accuracy, m->precision, m->recall, m->f1, m->roc_auc,
                            r->n_folds > 0 ? " " : "");
        for (uint32_t f = 0; f < r->n_folds; f++)
            used = fdxi_appendf(buf, len, used, " %.4f", r->fold_accuracy[f]);
        used = fdxi_appendf(buf, len, used, "\n");
    }
    const struct fdxi_result *last = rows[n - 1];
    used = fdxi_appendf(buf, len, used,
                        "\nconfusion matrix of %s (rows: true class, columns: predicted):\n",
                        last->name);
    used = fdxi_appendf(buf, len, used, "%16s", "");
    for (uint32_t c = 0; c < nc; c++)
        used = fdxi_appendf(buf, len, used, " %12.12s", class_names[c]);
    used = fdxi_appendf(buf, len, used, "\n");
    for (uint32_t a = 0; a < nc; a++) {
        used = fdxi_appendf(buf, len, used, "%16.16s", class_names[a]);
        for (uint32_t c = 0; c < nc; c++)
            used = fdxi_appendf(buf, len, used, " %12llu",
                                (unsigned long long)last->metrics.confusion[a][c]);
        used = fdxi_appendf(buf, len, used, "\n");
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct fdxi_result *r = rows[i];
        if (!r->has_uncertain)
            continue;
        uint64_t all = 0, total = 0;
        for (uint32_t a = 0; a < nc; a++) {
            all += r->uncertain[a];
            for (uint32_t c = 0; c < nc; c++)
                total += r->metrics.confusion[a][c];
        }
        used = fdxi_appendf(buf, len, used,
                            "%s: uncertain (no verdict; counted as '%s' above): %llu of %llu rows "
                            "(%.2f %%); by true class:",
                            r->name, class_names[0], (unsigned long long)all,
                            (unsigned long long)total, total ? 100.0 * (double)all / total : 0.0);
        for (uint32_t a = 0; a < nc; a++)
            used = fdxi_appendf(buf, len, used, "%s '%s' %llu", a ? "," : "", class_names[a],
                                (unsigned long long)r->uncertain[a]);
        uint64_t decided = 0;
        double acc = decided_accuracy(r, nc, &decided);
        if (decided > 0)
            used = fdxi_appendf(buf, len, used, "; accuracy on the %llu decided rows: %.4f\n",
                                (unsigned long long)decided, acc);
        else
            used = fdxi_appendf(buf, len, used, "; no row was decided\n");
    }
    return used;
}

static size_t json_results(const struct fdxi_result *const *rows, uint32_t n, uint32_t nc,
                           char *buf, size_t len, size_t used)
{
    used = fdxi_appendf(buf, len, used, "\"results\":[");
    for (uint32_t i = 0; i < n; i++) {
        const struct fdxi_result *r = rows[i];
        const struct fdxi_metrics *m = &r->metrics;
        used = fdxi_appendf(buf, len, used, "%s{\"model\":", i ? "," : "");
        used = fdxi_json_str(buf, len, used, r->name);
        const char *keys[5] = {"accuracy", "precision", "recall", "f1", "roc_auc"};
        const double vals[5] = {m->accuracy, m->precision, m->recall, m->f1, m->roc_auc};
        for (int k = 0; k < 5; k++) {
            used = fdxi_appendf(buf, len, used, ",\"%s\":", keys[k]);
            used = add_num(buf, len, used, vals[k]);
        }
        used = fdxi_appendf(buf, len, used, ",\"fold_accuracy\":[");
        for (uint32_t f = 0; f < r->n_folds; f++) {
            used = fdxi_appendf(buf, len, used, "%s", f ? "," : "");
            used = add_num(buf, len, used, r->fold_accuracy[f]);
        }
        used = fdxi_appendf(buf, len, used,
                            "],\"train_seconds\":%.3f,\"predict_seconds\":%.3f,"
                            "\"confusion\":[",
                            r->train_seconds, r->predict_seconds);
        for (uint32_t a = 0; a < nc; a++) {
            used = fdxi_appendf(buf, len, used, "%s[", a ? "," : "");
            for (uint32_t c = 0; c < nc; c++)
                used = fdxi_appendf(buf, len, used, "%s%llu", c ? "," : "",
                                    (unsigned long long)m->confusion[a][c]);
            used = fdxi_appendf(buf, len, used, "]");
        }
        used = fdxi_appendf(buf, len, used, "]");
        if (r->has_uncertain) {
            used = fdxi_appendf(buf, len, used, ",\"uncertain\":[");
            for (uint32_t a = 0; a < nc; a++)
                used = fdxi_appendf(buf, len, used, "%s%llu", a ? "," : "",
                                    (unsigned long long)r->uncertain[a]);
            uint64_t decided = 0;
            double acc = decided_accuracy(r, nc, &decided);
            used = fdxi_appendf(buf, len, used, "],\"decided_rows\":%llu,\"decided_accuracy\":",
                                (unsigned long long)decided);
            used = add_num(buf, len, used, acc);
        }
        used = fdxi_appendf(buf, len, used, "}");
    }
    return fdxi_appendf(buf, len, used, "]");
}

size_t fdxi_report_results(const struct fdxi_result *res, uint32_t n_models, bool jury,
                           const char *const *class_names, uint32_t n_classes, bool json, char *buf,
                           size_t len, size_t used)
{
    const struct fdxi_result *rows[FDXI_BUNDLE_MAX_MODELS + 1];
    uint32_t n = 0;
    for (uint32_t m = 0; m < n_models; m++)
        rows[n++] = &res[m];
    if (jury)
        rows[n++] = &res[FDXI_JURY];
    return json ? json_results(rows, n, n_classes, buf, len, used)
                : text_table(rows, n, class_names, n_classes, buf, len, used);
}

size_t fdx_training_report(const fdx_training *t, int json, char *buf, size_t len)
{
    const struct fdxi_dataset *ds = &t->ds;
    const struct fdxi_bundle *b = t->bundle;
    size_t used = 0;
    bool jury = t->n_models > 1;
    if (json) {
        used = fdxi_appendf(buf, len, used, "{\"data\":");
        used = fdxi_json_str(buf, len, used, t->data_path);
        used = fdxi_appendf(buf, len, used, ",\"more_data\":[");
        for (uint32_t f = 0; f < t->opts.n_more_data; f++) {
            used = fdxi_appendf(buf, len, used, "%s", f ? "," : "");
            used = fdxi_json_str(buf, len, used, t->opts.more_data[f]);
        }
        used =
            fdxi_appendf(buf, len, used, "],\"rows\":%u,\"features_before\":%u,\"features_kept\":[",
                         ds->n_rows, t->n_all);
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            used = fdxi_appendf(buf, len, used, "%s", j ? "," : "");
            used = fdxi_json_str(buf, len, used, ds->col_names[j]);
        }
        /* the model's count, as `flowdx model show` gives it (--update: the base's rows too) */
        used = fdxi_appendf(buf, len, used, "],\"one_way_rows\":");
        used = b->one_way_rows == FDXI_ONE_WAY_UNKNOWN
                   ? fdxi_appendf(buf, len, used, "null")
                   : fdxi_appendf(buf, len, used, "%u", b->one_way_rows);
        used = fdxi_appendf(buf, len, used, ",\"header_correction\":%s,\"folds\":%u,\"seed\":%llu,",
                            t->opts.header_correct ? "true" : "false", t->opts.folds,
                            (unsigned long long)t->opts.seed);
        used =
            fdxi_report_results(t->result, t->n_models, jury, (const char *const *)b->class_names,
                                ds->n_classes, true, buf, len, used);
        return fdxi_appendf(buf, len, used, "}\n");
    }
    used = fdxi_appendf(buf, len, used, "data: %s", t->data_path);
    for (uint32_t f = 0; f < t->opts.n_more_data; f++)
        used = fdxi_appendf(buf, len, used, " + %s", t->opts.more_data[f]);
    used = fdxi_appendf(buf, len, used, ": %u rows;", ds->n_rows);
    for (uint32_t c = 0; c < ds->n_classes; c++)
        used = fdxi_appendf(buf, len, used, " class %u '%s': %u rows%s", c, ds->class_names[c],
                            t->class_count[c], c + 1 < ds->n_classes ? "," : "\n");
    if (t->opts.header_correct)
        used = fdxi_appendf(
            buf, len, used,
            "header correction: dataset rows mapped to IP lengths "
            "(benign -14, malicious -16 bytes; per-direction bytes and rates dropped)\n");
    if (t->opts.corr_threshold >= 1)
        used = fdxi_appendf(buf, len, used, "features: %u (no correlation filter):\n ", ds->n_cols);
    else
        used = fdxi_appendf(buf, len, used,
                            "features: %u, of which %u kept by the correlation filter "
                            "(of a pair with |r| > %g, one is dropped):\n ",
                            t->n_all, ds->n_cols, t->opts.corr_threshold);
    for (uint32_t j = 0; j < ds->n_cols; j++)
        used = fdxi_appendf(buf, len, used, " %s", ds->col_names[j]);
    used = fdxi_appendf(buf, len, used,
                        "\n%u-fold stratified cross-validation, seed %llu "
                        "(out-of-fold predictions):\n",
                        t->opts.folds, (unsigned long long)t->opts.seed);
    return fdxi_report_results(t->result, t->n_models, jury, (const char *const *)b->class_names,
                               ds->n_classes, false, buf, len, used);
}
