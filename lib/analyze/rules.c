/* SPDX-License-Identifier: BSD-3-Clause */
/* Prints a CART tree as readable if-then rules, one per leaf, as text or JSON. */
#include <math.h>
#include <stdlib.h>

#include "analyze/analyze.h"
#include "core/err.h"
#include "model/tree.h"

/* One test on the way from the root to a node. */
struct cond {
    int32_t feature;
    bool greater; /* x > threshold (the right branch); else x <= threshold */
    double threshold;
};

/* A node still to visit, with the test that leads to it from its parent. */
struct visit {
    uint32_t node;
    uint32_t depth;
    struct cond via;
};

void fdxi_tree_shape(const void *tree, uint32_t *ret_leaves, uint32_t *ret_depth)
{
    uint32_t n = fdxi_tree_node_count(tree);
    uint32_t *depth = calloc(n, sizeof(*depth));
    uint32_t leaves = 0, deepest = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct fdxi_tree_node nd;
        fdxi_tree_node(tree, i, &nd);
        uint32_t di = depth != NULL ? depth[i] : 0;
        deepest = di > deepest ? di : deepest;
        if (nd.feature < 0) {
            leaves++;
        } else if (depth != NULL) {
            /* Children come after their parent (pre-order), so their depth is set in time. */
            depth[nd.left] = depth[nd.right] = di + 1;
        }
    }
    free(depth);
    *ret_leaves = leaves;
    *ret_depth = deepest;
}

/* A threshold in the units the reader knows (raw when the view has the inputs' scaling). */
static double shown(const struct fdxi_rules_view *v, int32_t feature, double threshold)
{
    if (v->mean == NULL || v->scale == NULL)
        return threshold;
    return threshold * v->scale[feature] + v->mean[feature];
}

size_t fdxi_json_num(char *buf, size_t len, size_t used, double v)
{
    return isfinite(v) ? fdxi_appendf(buf, len, used, "%.17g", v)
                       : fdxi_appendf(buf, len, used, "null");
}

/*
 * The conditions of path[0..n) merged per feature: for each feature, in the order it first
 * appears, its tightest lower bound (x > the largest "greater" threshold) and upper bound
 * (x <= the smallest other one).
 */
static size_t add_conditions(const struct cond *path, uint32_t n, const struct fdxi_rules_view *v,
                             bool json, char *buf, size_t len, size_t used)
{
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        bool seen = false;
        for (uint32_t m = 0; m < i && !seen; m++)
            seen = path[m].feature == path[i].feature;
        if (seen)
            continue;
        double lo = -INFINITY, hi = INFINITY;
        for (uint32_t m = i; m < n; m++) {
            if (path[m].feature != path[i].feature)
                continue;
            if (path[m].greater)
                lo = fmax(lo, path[m].threshold);
            else
                hi = fmin(hi, path[m].threshold);
        }
        const char *name = v->feature_names[path[i].feature];
        for (int side = 0; side < 2; side++) {
            double t = side == 0 ? lo : hi;
            if (isinf(t))
                continue;
            t = shown(v, path[i].feature, t);
            const char *op = side == 0 ? ">" : "<=";
            if (json) {
                used = fdxi_appendf(buf, len, used, "%s{\"feature\":", first ? "" : ",");
                used = fdxi_json_str(buf, len, used, name);
                used = fdxi_appendf(buf, len, used, ",\"op\":\"%s\",\"value\":", op);
                used = fdxi_json_num(buf, len, used, t);
                used = fdxi_appendf(buf, len, used, "}");
            } else {
                used = fdxi_appendf(buf, len, used, "%s%s %s %.10g", first ? "" : " and ", name, op,
                                    t);
            }
            first = false;
        }
    }
    if (first && !json)
        used = fdxi_appendf(buf, len, used, "true");
    return used;
}

static size_t add_leaf(const struct fdxi_tree_node *nd, uint32_t n_classes,
                       const struct fdxi_rules_view *v, bool json, char *buf, size_t len,
                       size_t used)
{
    uint32_t best = 0;
    for (uint32_t c = 1; c < n_classes; c++)
        best = nd->proba[c] > nd->proba[best] ? c : best;
    if (json) {
        used = fdxi_appendf(buf, len, used, "],\"class\":");
        used = fdxi_json_str(buf, len, used, v->class_names[best]);
        used = fdxi_appendf(buf, len, used, ",\"n\":%u,\"p\":", nd->n_samples);
        used = fdxi_json_num(buf, len, used, nd->proba[best]);
        return fdxi_appendf(buf, len, used, "}");
    }
    return fdxi_appendf(buf, len, used, " then %s (n=%u, p=%.3f)\n", v->class_names[best],
                        nd->n_samples, nd->proba[best]);
}

size_t fdxi_tree_rules(const void *tree, const struct fdxi_rules_view *v, bool json, char *buf,
                       size_t len, size_t used)
{
    uint32_t n = fdxi_tree_node_count(tree);
    struct visit *stack = malloc((size_t)n * sizeof(*stack));
    struct cond *path = malloc((size_t)n * sizeof(*path));
    if (stack == NULL || path == NULL) {
        free(stack);
        free(path);
        return fdxi_appendf(buf, len, used, json ? "null" : "(out of memory)\n");
    }
    if (json)
        used = fdxi_appendf(buf, len, used, "[");
    bool first = true;
    size_t top = 0;
    stack[top++] = (struct visit){.node = 0, .depth = 0};
    while (top > 0) {
        struct visit at = stack[--top];
        if (at.depth > 0)
            path[at.depth - 1] = at.via;
        struct fdxi_tree_node nd;
        fdxi_tree_node(tree, at.node, &nd);
        if (nd.feature >= 0) {
            /* Right first on the stack, so that the left branch is printed first. */
            stack[top++] = (struct visit){nd.right, at.depth + 1, {nd.feature, true, nd.threshold}};
            stack[top++] = (struct visit){nd.left, at.depth + 1, {nd.feature, false, nd.threshold}};
            continue;
        }
        if (json)
            used = fdxi_appendf(buf, len, used, "%s{\"if\":[", first ? "" : ",");
        else
            used = fdxi_appendf(buf, len, used, "if ");
        used = add_conditions(path, at.depth, v, json, buf, len, used);
        used = add_leaf(&nd, v->n_classes, v, json, buf, len, used);
        first = false;
    }
    if (json)
        used = fdxi_appendf(buf, len, used, "]");
    free(stack);
    free(path);
    return used;
}
