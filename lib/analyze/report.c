/* SPDX-License-Identifier: BSD-3-Clause */
/* Formats the results of the analyses as text tables and as JSON. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze/analysis.h"
#include "core/err.h"

#define APPEND(...) (used = fdxi_appendf(buf, len, used, __VA_ARGS__))
#define JSTR(s) (used = fdxi_json_str(buf, len, used, (s)))
#define JNUM(v) (used = fdxi_json_num(buf, len, used, (v)))

/* ---- pieces shared by the kinds ---- */

static size_t data_line(const struct source *s, bool json, char *buf, size_t len, size_t used)
{
    const struct fdxi_dataset *ds = &s->ds;
    if (json) {
        APPEND("{\"path\":");
        JSTR(s->path);
        APPEND(",\"rows\":%u,\"features\":%u,\"classes\":[", ds->n_rows, ds->n_cols);
        for (uint32_t c = 0; c < ds->n_classes; c++) {
            APPEND("%s{\"name\":", c ? "," : "");
            JSTR(ds->class_names[c]);
            APPEND(",\"rows\":%u}", s->class_rows[c]);
        }
        return APPEND("]}");
    }
    APPEND("data: %s: %u rows, %u features;", s->path, ds->n_rows, ds->n_cols);
    for (uint32_t c = 0; c < ds->n_classes; c++)
        APPEND(" class '%s' %u rows%s", ds->class_names[c], s->class_rows[c],
               c + 1 < ds->n_classes ? "," : "\n");
    return used;
}

static size_t tree_line(const struct fdx_analysis *a, const struct grown *g, bool json, char *buf,
                        size_t len, size_t used)
{
    if (json) {
        APPEND("{\"leaves\":%u,\"depth\":%u,\"max_depth\":%u,\"min_leaf\":%u,\"accuracy\":",
               g->leaves, g->depth, a->o.max_depth, a->o.min_leaf);
        JNUM(g->accuracy);
        return APPEND("}");
    }
    APPEND("tree: CART (Gini), %u %s, depth %u (max depth ", g->leaves,
           g->leaves == 1 ? "leaf" : "leaves", g->depth);
    if (a->o.max_depth > 0)
        APPEND("%u", a->o.max_depth);
    else
        APPEND("none");
    return APPEND(", min leaf %u); accuracy on its training rows %.4f\n", a->o.min_leaf,
                  g->accuracy);
}

/* The ranked importances of columns @p names (at most @p top, 0 = all). */
static size_t importance_table(const struct grown *g, char *const *names, uint32_t d, uint32_t top,
                               bool json, char *buf, size_t len, size_t used)
{
    uint32_t n = top > 0 && top < d ? top : d;
    if (json) {
        APPEND("[");
        for (uint32_t r = 0; r < n; r++) {
            uint32_t j = g->order[r];
            APPEND("%s{\"rank\":%u,\"feature\":", r ? "," : "", r + 1);
            JSTR(names[j]);
            APPEND(",\"importance\":");
            JNUM(g->imp100[j]);
            APPEND(",\"share\":");
            JNUM(g->share[j]);
            APPEND("}");
        }
        return APPEND("]");
    }
    size_t w = 7;
    for (uint32_t j = 0; j < d; j++)
        w = strlen(names[j]) > w ? strlen(names[j]) : w;
    APPEND("%4s  %-*s %10s %8s\n", "rank", (int)w, "feature", "importance", "share");
    uint32_t zero = 0;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t j = g->order[r];
        APPEND("%4u  %-*s %10.2f %7.2f%%\n", r + 1, (int)w, names[j], g->imp100[j],
               100.0 * g->share[j]);
    }
    for (uint32_t j = 0; j < d; j++)
        zero += g->imp100[j] == 0.0;
    if (n < d)
        APPEND("(%u more features not shown)\n", d - n);
    if (zero > 0)
        APPEND("%u of %u features are used by no split (importance 0)\n", zero, d);
    return used;
}

static size_t rules(const void *tree, char *const *features, char *const *classes,
                    uint32_t n_classes, const double *mean, const double *scale, bool json,
                    char *buf, size_t len, size_t used)
{
    struct fdxi_rules_view v = {.feature_names = (const char *const *)features,
                                .class_names = (const char *const *)classes,
                                .n_classes = n_classes,
                                .mean = mean,
                                .scale = scale};
    return fdxi_tree_rules(tree, &v, json, buf, len, used);
}

/* ---- importance and tree ---- */

static size_t report_importance(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    const struct source *s = &a->src[0];
    size_t used = 0;
    if (json) {
        APPEND("{\"analysis\":\"importance\",\"data\":");
        used = data_line(s, true, buf, len, used);
        APPEND(",\"tree\":");
        used = tree_line(a, &s->g, true, buf, len, used);
        APPEND(",\"importance\":");
        used =
            importance_table(&s->g, s->ds.col_names, s->ds.n_cols, a->o.top, true, buf, len, used);
        return APPEND("}\n");
    }
    used = data_line(s, false, buf, len, used);
    used = tree_line(a, &s->g, false, buf, len, used);
    APPEND("Gini importance (decrease in impurity per feature; largest = 100; share of the "
           "total decrease):\n");
    return importance_table(&s->g, s->ds.col_names, s->ds.n_cols, a->o.top, false, buf, len, used);
}

static size_t report_tree(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    const struct source *s = &a->src[0];
    const struct fdxi_dataset *ds = &s->ds;
    size_t used = 0;
    if (json) {
        APPEND("{\"analysis\":\"tree\",\"data\":");
        used = data_line(s, true, buf, len, used);
        APPEND(",\"tree\":");
        used = tree_line(a, &s->g, true, buf, len, used);
        APPEND(",\"rules\":");
        used = rules(s->g.tree, ds->col_names, ds->class_names, ds->n_classes, NULL, NULL, true,
                     buf, len, used);
        return APPEND("}\n");
    }
    used = data_line(s, false, buf, len, used);
    used = tree_line(a, &s->g, false, buf, len, used);
    APPEND("rules, one per leaf (n: training rows that reach it; p: share of its class "
           "among them):\n");
    return rules(s->g.tree, ds->col_names, ds->class_names, ds->n_classes, NULL, NULL, false, buf,
                 len, used);
}

/* ---- universal ---- */

static size_t report_universal(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    char *const *na = a->src[0].ds.col_names;
    size_t used = 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < a->n_urows; i++)
        kept += a->urows[i].kept ? (a->urows[i].rf >= 0 ? 2 : 1) : 0;
    if (json) {
        APPEND("{\"analysis\":\"universal\",\"threshold\":");
        JNUM(a->o.threshold);
        for (int s = 0; s < 2; s++) {
            APPEND(",\"%s\":{\"data\":", s ? "b" : "a");
            used = data_line(&a->src[s], true, buf, len, used);
            APPEND(",\"tree\":");
            used = tree_line(a, &a->src[s].g, true, buf, len, used);
            APPEND("}");
        }
        APPEND(",\"pairs\":[");
        for (uint32_t i = 0; i < a->n_urows; i++) {
            const struct fdxi_universal_row *r = &a->urows[i];
            APPEND("%s{\"f\":", i ? "," : "");
            JSTR(na[a->common[0][r->f]]);
            APPEND(",\"rf\":");
            if (r->rf >= 0)
                JSTR(na[a->common[0][r->rf]]);
            else
                APPEND("null");
            const double v[5] = {r->ga[0], r->ga[1], r->gb[0], r->gb[1], r->g};
            const char *const k[5] = {"gA_f", "gA_rf", "gB_f", "gB_rf", "g"};
            for (int m = 0; m < 5; m++) {
                APPEND(",\"%s\":", k[m]);
                JNUM(v[m]);
            }
            APPEND(",\"kept\":%s}", r->kept ? "true" : "false");
        }
        APPEND("],\"features\":[");
        for (uint32_t i = 0, n = 0; i < a->n_urows; i++) {
            const struct fdxi_universal_row *r = &a->urows[i];
            if (!r->kept)
                continue;
            APPEND("%s", n++ ? "," : "");
            JSTR(na[a->common[0][r->f]]);
            if (r->rf >= 0) {
                APPEND(",");
                JSTR(na[a->common[0][r->rf]]);
                n++;
            }
        }
        return APPEND("]}\n");
    }
    for (int s = 0; s < 2; s++) {
        APPEND("source %c: ", s ? 'B' : 'A');
        used = data_line(&a->src[s], false, buf, len, used);
        APPEND("          ");
        used = tree_line(a, &a->src[s].g, false, buf, len, used);
    }
    for (int s = 0; s < 2; s++) {
        const struct fdxi_dataset *ds = &a->src[s].ds;
        uint32_t only = ds->n_cols - a->n_common;
        if (only == 0)
            continue;
        APPEND("features only in %c, left out (%u):", s ? 'B' : 'A', only);
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            bool common = false;
            for (uint32_t m = 0; m < a->n_common && !common; m++)
                common = a->common[s][m] == j;
            if (!common)
                APPEND(" %s", ds->col_names[j]);
        }
        APPEND("\n");
    }
    APPEND("g = (max(gA(f), gA(rf)) + max(gB(f), gB(rf))) / 2 on the 0-100 importance scale; "
           "a feature without a twin: g = (gA(f) + gB(f)) / 2; kept when g >= %g\n",
           a->o.threshold);
    size_t w = 2;
    for (uint32_t i = 0; i < a->n_urows; i++)
        w = strlen(na[a->common[0][a->urows[i].f]]) > w ? strlen(na[a->common[0][a->urows[i].f]])
                                                        : w;
    APPEND("%-*s %-*s %7s %7s %7s %7s %7s  %s\n", (int)w, "f", (int)w + 1, "rf", "gA(f)", "gA(rf)",
           "gB(f)", "gB(rf)", "g", "kept");
    for (uint32_t i = 0; i < a->n_urows; i++) {
        const struct fdxi_universal_row *r = &a->urows[i];
        APPEND("%-*s %-*s %7.2f ", (int)w, na[a->common[0][r->f]], (int)w + 1,
               r->rf >= 0 ? na[a->common[0][r->rf]] : "-", r->ga[0]);
        if (r->rf >= 0)
            APPEND("%7.2f %7.2f %7.2f", r->ga[1], r->gb[0], r->gb[1]);
        else
            APPEND("%7s %7.2f %7s", "-", r->gb[0], "-");
        APPEND(" %7.2f  %s\n", r->g, r->kept ? "yes" : "no");
    }
    APPEND("universal features (%u):\n", kept);
    size_t before = used;
    used +=
        fdx_analysis_features(a, ',', used < len ? buf + used : NULL, used < len ? len - used : 0);
    return APPEND("%s\n", used == before ? "(none)" : "");
}

/* ---- subclasses ---- */

static size_t subclass_json(const struct fdx_analysis *a, char *buf, size_t len, size_t used)
{
    const struct fdxi_dataset *ds = &a->src[0].ds;
    const struct fdxi_profile *p = &a->prof;
    APPEND("{\"analysis\":\"subclasses\",\"data\":");
    used = data_line(&a->src[0], true, buf, len, used);
    APPEND(",\"class\":");
    JSTR(a->class_name);
    APPEND(",\"rows\":%u,\"folds\":%u,\"restarts\":%u,\"seed\":%llu,\"min_decrease\":", a->n_rows,
           a->o.folds, a->o.restarts, (unsigned long long)a->o.seed);
    JNUM(a->o.min_decrease);
    APPEND(",\"cv\":[");
    for (uint32_t k = a->o.k_min; k <= a->o.k_max; k++) {
        APPEND("%s{\"k\":%u,\"cost\":", k > a->o.k_min ? "," : "", k);
        JNUM(a->cv_cost[k - a->o.k_min]);
        APPEND("}");
    }
    APPEND("],\"k\":%u,\"train_cost\":", a->k);
    JNUM(a->train_cost);
    APPEND(",\"subclasses\":[");
    for (uint32_t c = 0; c < a->k; c++) {
        APPEND("%s{\"subclass\":%u,\"rows\":%u,\"features\":{", c ? "," : "", c + 1, p->size[c]);
        for (uint32_t j = 0; j < ds->n_cols; j++) {
            size_t at = (size_t)c * ds->n_cols + j;
            APPEND("%s", j ? "," : "");
            JSTR(ds->col_names[j]);
            APPEND(":{\"normalised_mean\":");
            JNUM(p->norm_mean[at]);
            APPEND(",\"mean\":");
            JNUM(p->mean[at]);
            APPEND(",\"sd\":");
            JNUM(p->sd[at]);
            APPEND("}");
        }
        APPEND("}}");
    }
    APPEND("],\"tree\":");
    used = tree_line(a, &a->sub, true, buf, len, used);
    APPEND(",\"importance\":");
    used = importance_table(&a->sub, ds->col_names, ds->n_cols, 0, true, buf, len, used);
    APPEND(",\"rules\":");
    used = rules(a->sub.tree, ds->col_names, a->subclass_names, a->k, NULL, NULL, true, buf, len,
                 used);
    return APPEND("}\n");
}

/* The per-subclass table of the profile: one row per feature, one column per subclass. */
static size_t profile_table(const struct fdx_analysis *a, bool densities, char *buf, size_t len,
                            size_t used)
{
    const struct fdxi_dataset *ds = &a->src[0].ds;
    const struct fdxi_profile *p = &a->prof;
    size_t w = 7;
    for (uint32_t j = 0; j < ds->n_cols; j++)
        w = strlen(ds->col_names[j]) > w ? strlen(ds->col_names[j]) : w;
    int cw = densities ? 23 : 7;
    APPEND("%-*s", (int)w, "feature");
    for (uint32_t c = 0; c < a->k; c++) {
        char h[32];
        snprintf(h, sizeof(h), densities ? "%u: mean (sd)" : "%u", c + 1);
        APPEND(" %*s", cw, h);
    }
    APPEND("\n");
    for (uint32_t j = 0; j < ds->n_cols; j++) {
        APPEND("%-*s", (int)w, ds->col_names[j]);
        for (uint32_t c = 0; c < a->k; c++) {
            size_t at = (size_t)c * ds->n_cols + j;
            if (densities) {
                char cell[64];
                snprintf(cell, sizeof(cell), "%.6g (%.4g)", p->mean[at], p->sd[at]);
                APPEND(" %*s", cw, cell);
            } else {
                APPEND(" %*.3f", cw, p->norm_mean[at]);
            }
        }
        APPEND("\n");
    }
    return used;
}

static size_t report_subclasses(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    size_t used = 0;
    if (json)
        return subclass_json(a, buf, len, used);
    const struct fdxi_dataset *ds = &a->src[0].ds;
    used = data_line(&a->src[0], false, buf, len, used);
    APPEND("class '%s': %u rows, %u features, standardised over the class (mean 0, standard "
           "deviation 1)\n",
           a->class_name, a->n_rows, ds->n_cols);
    APPEND("k-means: k-means++ starts, the best of %u per fit, Lloyd iterations to convergence; "
           "seed %llu\n",
           a->o.restarts, (unsigned long long)a->o.seed);
    APPEND("%u-fold cross-validation: cost = mean squared distance of the held-out rows to the "
           "nearest centre, averaged over the folds\n",
           a->o.folds);
    APPEND("%4s %14s %10s\n", "k", "cv cost", "decrease");
    for (uint32_t k = a->o.k_min; k <= a->o.k_max; k++) {
        double c = a->cv_cost[k - a->o.k_min];
        APPEND("%4u %14.6g ", k, c);
        if (k == a->o.k_min) {
            APPEND("%10s", "-");
        } else {
            double prev = a->cv_cost[k - 1 - a->o.k_min];
            APPEND("%9.2f%%", prev > 0 ? 100.0 * (prev - c) / prev : 0.0);
        }
        APPEND("%s\n", k == a->k ? "  <- chosen" : "");
    }
    APPEND("chosen k = %u: the smallest k after which the cost falls by less than %g%%%s\n", a->k,
           100.0 * a->o.min_decrease, a->k == a->o.k_max ? " (or the largest k tried)" : "");
    APPEND("\nsubclasses of '%s' (k-means on all %u rows, cost %.6g; numbered by size, then by "
           "first row):\n",
           a->class_name, a->n_rows, a->train_cost);
    APPEND("%-10s %8s %7s\n", "subclass", "rows", "share");
    for (uint32_t c = 0; c < a->k; c++)
        APPEND("%-10u %8u %6.2f%%\n", c + 1, a->prof.size[c], 100.0 * a->prof.size[c] / a->n_rows);
    APPEND("\ntree separating the subclasses (on the features' own values):\n");
    used = tree_line(a, &a->sub, false, buf, len, used);
    used = rules(a->sub.tree, ds->col_names, a->subclass_names, a->k, NULL, NULL, false, buf, len,
                 used);
    APPEND("importance in that tree (largest = 100):");
    for (uint32_t r = 0; r < ds->n_cols && r < 10 && a->sub.imp100[a->sub.order[r]] > 0; r++)
        APPEND(" %s %.1f", ds->col_names[a->sub.order[r]], a->sub.imp100[a->sub.order[r]]);
    APPEND("\n\nnormalised feature averages (each feature scaled to 0..1 by its minimum and "
           "maximum over the class; mean per subclass):\n");
    used = profile_table(a, false, buf, len, used);
    APPEND("\nnormal density parameters per subclass (mean and population standard deviation, "
           "the features' own units):\n");
    return profile_table(a, true, buf, len, used);
}

/* ---- rules of a model ---- */

static size_t report_rules(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    const struct fdxi_bundle *b = a->bundle;
    const char *kind = b->models[a->model_index].kind->name;
    bool several = strcmp(kind, "tree") != 0;
    size_t used = 0;
    if (json) {
        APPEND("{\"analysis\":\"rules\",\"model\":");
        JSTR(a->model_path);
        APPEND(",\"feature_set\":");
        JSTR(b->feature_set);
        APPEND(",\"kind\":\"%s\",\"index\":%u,\"trees\":%u,\"leaves\":%u,\"depth\":%u,"
               "\"weight\":",
               kind, a->o.tree_index, a->n_trees, a->rule_leaves, a->rule_depth);
        JNUM(a->tree_weight);
        APPEND(",\"nan_value\":");
        JNUM(b->nan_value);
        APPEND(",\"rules\":");
        used = rules(a->rule_tree, b->input_names, b->class_names, b->n_classes, b->mean, b->scale,
                     true, buf, len, used);
        return APPEND("}\n");
    }
    APPEND("model: %s: feature set %s; %s", a->model_path, b->feature_set, kind);
    if (several)
        APPEND(", tree %u of 0..%u", a->o.tree_index, a->n_trees - 1);
    if (!isnan(a->tree_weight))
        APPEND(" (accuracy weight %.4f)", a->tree_weight);
    APPEND(": %u %s, depth %u\n", a->rule_leaves, a->rule_leaves == 1 ? "leaf" : "leaves",
           a->rule_depth);
    APPEND("thresholds in the features' own units (the model tests (x - mean) / scale; missing "
           "values count as %g)\n",
           b->nan_value);
    APPEND("rules, one per leaf (n: training rows that reach it%s; p: share of its class):\n",
           several ? ", bootstrap repeats counted" : "");
    return rules(a->rule_tree, b->input_names, b->class_names, b->n_classes, b->mean, b->scale,
                 false, buf, len, used);
}

size_t fdxi_analysis_report(const struct fdx_analysis *a, bool json, char *buf, size_t len)
{
    switch (a->kind) {
    case KIND_IMPORTANCE:
        return report_importance(a, json, buf, len);
    case KIND_UNIVERSAL:
        return report_universal(a, json, buf, len);
    case KIND_SUBCLASSES:
        return report_subclasses(a, json, buf, len);
    case KIND_TREE:
        return report_tree(a, json, buf, len);
    case KIND_RULES:
        return report_rules(a, json, buf, len);
    }
    return 0;
}
