/* SPDX-License-Identifier: BSD-3-Clause */
/* The "tree" model kind: CART classification trees grown by Gini impurity. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"
#include "model/tree.h"

#define LEAF UINT32_MAX /* the feature of a leaf in model files */
#define NO_PARENT UINT32_MAX

struct node {
    double threshold;   /* left when x[feature] <= threshold or NaN; 0 for a leaf */
    int32_t feature;    /* -1 for a leaf */
    uint32_t left;      /* 0 for a leaf */
    uint32_t right;     /* 0 for a leaf */
    uint32_t n_samples; /* training rows reaching the node, bootstrap repeats counted */
};

struct fdxi_tree {
    uint32_t d;
    uint32_t n_classes;
    uint32_t n_nodes;
    uint32_t cap;       /* allocated nodes while growing */
    struct node *nodes; /* n_nodes */
    double *proba;      /* n_nodes * n_classes class frequencies, for every node */
};

void fdxi_tree_free(struct fdxi_tree *t)
{
    if (t == NULL)
        return;
    free(t->nodes);
    free(t->proba);
    free(t);
}

uint32_t fdxi_tree_node_count(const void *tree)
{
    const struct fdxi_tree *t = tree;
    return t->n_nodes;
}

/* Add t's nodes and leaves to *nodes and *leaves and raise *depth to t's depth; false when
 * there was no memory to measure the depth. */
static bool add_shape(const struct fdxi_tree *t, uint64_t *nodes, uint64_t *leaves, uint32_t *depth)
{
    *nodes += t->n_nodes;
    /* Children come after their parent (pre-order, checked on load), so one pass in index order
     * gives every node its depth. */
    uint32_t *at = malloc((size_t)t->n_nodes * sizeof(*at));
    if (at != NULL)
        at[0] = 0;
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        const struct node *nd = &t->nodes[i];
        if (nd->feature < 0) {
            ++*leaves;
            if (at != NULL && at[i] > *depth)
                *depth = at[i];
        } else if (at != NULL) {
            at[nd->left] = at[nd->right] = at[i] + 1;
        }
    }
    bool measured = at != NULL;
    free(at);
    return measured;
}

size_t fdxi_trees_describe(struct fdxi_tree *const *trees, uint32_t n_trees, bool ensemble,
                           char *buf, size_t len, size_t used)
{
    uint64_t nodes = 0, leaves = 0;
    uint32_t depth = 0;
    bool known = true;
    for (uint32_t i = 0; i < n_trees; i++)
        known &= add_shape(trees[i], &nodes, &leaves, &depth);
    bool several = n_trees > 1;
    if (ensemble)
        used = fdxi_appendf(buf, len, used, "%u tree%s, ", n_trees, several ? "s" : "");
    used = fdxi_appendf(buf, len, used, "%llu nodes%s (%llu leaves), depth ",
                        (unsigned long long)nodes, several ? " in all" : "",
                        (unsigned long long)leaves);
    if (!known)
        return fdxi_appendf(buf, len, used, "unknown (out of memory)");
    return fdxi_appendf(buf, len, used, "%s%u", several ? "up to " : "", depth);
}

void fdxi_tree_node(const void *tree, uint32_t i, struct fdxi_tree_node *ret)
{
    const struct fdxi_tree *t = tree;
    const struct node *nd = &t->nodes[i];
    ret->feature = nd->feature;
    ret->threshold = nd->threshold;
    ret->left = nd->left;
    ret->right = nd->right;
    ret->proba = &t->proba[(size_t)i * t->n_classes];
    ret->n_samples = nd->n_samples;
}

/* Gini impurity 1 - sum p_c^2 of node i, from its stored class frequencies. */
static double gini(const struct fdxi_tree *t, uint32_t i)
{
    const double *p = &t->proba[(size_t)i * t->n_classes];
    double sq = 0.0;
    for (uint32_t c = 0; c < t->n_classes; c++)
        sq += p[c] * p[c];
    return 1.0 - sq;
}

int fdxi_tree_importance(const void *tree, double *ret, uint32_t d)
{
    const struct fdxi_tree *t = tree;
    if (d != t->d)
        return FDX_EINVAL;
    for (uint32_t j = 0; j < d; j++)
        ret[j] = 0.0;
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        const struct node *nd = &t->nodes[i];
        if (nd->feature < 0)
            continue;
        const struct node *l = &t->nodes[nd->left], *r = &t->nodes[nd->right];
        ret[nd->feature] += nd->n_samples * gini(t, i) - l->n_samples * gini(t, nd->left) -
                            r->n_samples * gini(t, nd->right);
    }
    double sum = 0.0;
    for (uint32_t j = 0; j < d; j++)
        sum += ret[j];
    if (sum > 0.0) {
        for (uint32_t j = 0; j < d; j++)
            ret[j] /= sum;
    }
    return 0;
}

void fdxi_tree_remap(struct fdxi_tree *t, const uint32_t *map, uint32_t d)
{
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        if (t->nodes[i].feature >= 0)
            t->nodes[i].feature = (int32_t)map[t->nodes[i].feature];
    }
    t->d = d;
}

const double *fdxi_tree_leaf_proba(const struct fdxi_tree *t, const double *x)
{
    uint32_t i = 0;
    /* Children point forward (checked on load), so this walk ends within n_nodes steps. The
     * comparison is written as "go right when greater" so that a NaN, for which every
     * comparison is false, goes left. */
    while (t->nodes[i].feature >= 0) {
        const struct node *nd = &t->nodes[i];
        i = x[nd->feature] > nd->threshold ? nd->right : nd->left;
    }
    return &t->proba[(size_t)i * t->n_classes];
}

/* ---- sorting a feature's values together with their sample indices ---- */

static void swap2(double *v, uint32_t *ix, size_t a, size_t b)
{
    double tv = v[a];
    v[a] = v[b];
    v[b] = tv;
    uint32_t ti = ix[a];
    ix[a] = ix[b];
    ix[b] = ti;
}

static double median3(const double *v, size_t n)
{
    double a = v[0], b = v[n / 2], c = v[n - 1];
    if (a < b)
        return b < c ? b : (a < c ? c : a);
    if (b < c)
        return a < c ? a : c;
    return b;
}

static void sift_down(double *v, uint32_t *ix, size_t root, size_t end)
{
    for (;;) {
        size_t child = 2 * root + 1, top = root;
        if (child < end && v[top] < v[child])
            top = child;
        if (child + 1 < end && v[top] < v[child + 1])
            top = child + 1;
        if (top == root)
            return;
        swap2(v, ix, root, top);
        root = top;
    }
}

static void heap_sort(double *v, uint32_t *ix, size_t n)
{
    for (size_t s = n / 2; s-- > 0;)
        sift_down(v, ix, s, n);
    for (size_t end = n - 1; end > 0; end--) {
        swap2(v, ix, 0, end);
        sift_down(v, ix, 0, end);
    }
}

/*
 * Introsort: quicksort with a median-of-three pivot and a three-way partition (features such as
 * packet-length modes repeat a few values many times), insertion sort for short runs and heap
 * sort once the depth budget is spent, so the worst case stays O(n log n).
 */
static void intro_sort(double *v, uint32_t *ix, size_t n, int budget)
{
    while (n > 16) {
        if (budget-- <= 0) {
            heap_sort(v, ix, n);
            return;
        }
        double pivot = median3(v, n);
        size_t i = 0, lt = 0, gt = n;
        while (i < gt) {
            if (v[i] < pivot)
                swap2(v, ix, i++, lt++);
            else if (v[i] > pivot)
                swap2(v, ix, i, --gt);
            else
                i++;
        }
        /* Recurse into the smaller side, loop on the larger: the stack stays O(log n). */
        if (lt < n - gt) {
            intro_sort(v, ix, lt, budget);
            v += gt;
            ix += gt;
            n -= gt;
        } else {
            intro_sort(v + gt, ix + gt, n - gt, budget);
            n = lt;
        }
    }
    for (size_t i = 1; i < n; i++) {
        double tv = v[i];
        uint32_t ti = ix[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > tv; j--) {
            v[j] = v[j - 1];
            ix[j] = ix[j - 1];
        }
        v[j] = tv;
        ix[j] = ti;
    }
}

static void sort_values(double *v, uint32_t *ix, size_t n)
{
    int budget = 0;
    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    intro_sort(v, ix, n, budget);
}

/* ---- growing ---- */

struct frame {
    uint32_t start, end; /* the node's rows are samples[start..end) */
    uint32_t depth;
    uint32_t parent; /* NO_PARENT for the root */
    bool is_left;
};

struct split {
    int32_t feature;
    double threshold;
    double proxy; /* sum_sq_left / n_left + sum_sq_right / n_right: larger is purer */
};

struct grower {
    const struct fdxi_tree_grow *g;
    const double *x;
    const int32_t *y;
    uint32_t d, n_classes;
    uint32_t *samples;
    struct fdxi_rng *rng;
    double *xf;         /* values of the feature being tried, parallel to samples */
    uint32_t *count;    /* class counts of the node */
    uint32_t *left;     /* class counts left of the candidate threshold */
    uint32_t *right;    /* class counts right of it */
    uint32_t *features; /* a permutation of 0..d-1 for random draws */
    struct frame *stack;
    size_t stack_len, stack_cap;
    struct fdxi_tree *t;
    uint32_t max_nodes;
};

/* A new node of the rows counted in gr->count, or UINT32_MAX when out of memory. */
static uint32_t add_node(struct grower *gr, uint32_t n)
{
    struct fdxi_tree *t = gr->t;
    if (t->n_nodes == gr->max_nodes)
        return UINT32_MAX; /* cannot happen while every leaf holds a row; never overrun */
    if (t->n_nodes == t->cap) {
        uint32_t cap = t->cap == 0 ? 64 : (t->cap > gr->max_nodes / 2 ? gr->max_nodes : t->cap * 2);
        if (cap > gr->max_nodes)
            cap = gr->max_nodes;
        struct node *nodes = realloc(t->nodes, (size_t)cap * sizeof(*nodes));
        if (nodes == NULL)
            return UINT32_MAX;
        t->nodes = nodes;
        double *proba = realloc(t->proba, (size_t)cap * t->n_classes * sizeof(*proba));
        if (proba == NULL)
            return UINT32_MAX;
        t->proba = proba;
        t->cap = cap;
    }
    uint32_t id = t->n_nodes++;
    t->nodes[id] = (struct node){.feature = -1, .n_samples = n};
    double *p = &t->proba[(size_t)id * t->n_classes];
    for (uint32_t c = 0; c < t->n_classes; c++)
        p[c] = (double)gr->count[c] / n;
    return id;
}

static bool push(struct grower *gr, struct frame f)
{
    if (gr->stack_len == gr->stack_cap) {
        size_t cap = gr->stack_cap ? gr->stack_cap * 2 : 64;
        struct frame *s = realloc(gr->stack, cap * sizeof(*s));
        if (s == NULL)
            return false;
        gr->stack = s;
        gr->stack_cap = cap;
    }
    gr->stack[gr->stack_len++] = f;
    return true;
}

/*
 * Try every threshold of feature f on the rows samples[start..end) and keep the best in *best.
 * Returns false when the feature is constant there. The class counts move one row at a time
 * from right to left, and the sums of squared counts with them, so each position costs O(1);
 * thresholds lie only between distinct consecutive values, at their midpoint (as scikit-learn).
 */
static bool try_feature(struct grower *gr, uint32_t f, uint32_t start, uint32_t end,
                        uint64_t sq_total, struct split *best)
{
    const double *x = gr->x;
    double *xf = gr->xf;
    uint32_t *s = gr->samples;
    size_t d = gr->d;
    double lo = x[(size_t)s[start] * d + f], hi = lo;
    for (uint32_t k = start; k < end; k++) {
        double v = x[(size_t)s[k] * d + f];
        xf[k] = v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (!(hi > lo))
        return false;
    sort_values(xf + start, s + start, end - start);

    uint32_t min_leaf = gr->g->min_samples_leaf;
    memset(gr->left, 0, gr->n_classes * sizeof(*gr->left));
    memcpy(gr->right, gr->count, gr->n_classes * sizeof(*gr->right));
    uint64_t sq_left = 0, sq_right = sq_total;
    for (uint32_t p = start; p + 1 < end; p++) {
        uint32_t c = (uint32_t)gr->y[s[p]];
        sq_left += 2 * (uint64_t)gr->left[c] + 1;
        gr->left[c]++;
        sq_right -= 2 * (uint64_t)gr->right[c] - 1;
        gr->right[c]--;
        if (!(xf[p + 1] > xf[p]))
            continue;
        uint32_t n_left = p + 1 - start, n_right = end - p - 1;
        if (n_left < min_leaf)
            continue;
        if (n_right < min_leaf)
            break;
        double proxy = (double)sq_left / n_left + (double)sq_right / n_right;
        if (proxy > best->proxy) {
            double thr = xf[p] / 2.0 + xf[p + 1] / 2.0;
            /* Rounding must not move the threshold out of [xf[p], xf[p + 1]). */
            if (!(thr >= xf[p] && thr < xf[p + 1]))
                thr = xf[p];
            best->proxy = proxy;
            best->feature = (int32_t)f;
            best->threshold = thr;
        }
    }
    return true;
}

/*
 * The best split of samples[start..end); false when there is none (every feature tried is
 * constant, or min_samples_leaf forbids every threshold). With max_features < d the features are
 * drawn at random without replacement, and, as scikit-learn does, drawing continues past
 * max_features until one non-constant feature has been seen. Ties keep the first candidate.
 */
static bool best_split(struct grower *gr, uint32_t start, uint32_t end, struct split *best)
{
    uint64_t sq_total = 0;
    for (uint32_t c = 0; c < gr->n_classes; c++)
        sq_total += (uint64_t)gr->count[c] * gr->count[c];
    best->feature = -1;
    best->threshold = 0.0;
    best->proxy = -INFINITY;
    if (gr->g->max_features >= gr->d) {
        for (uint32_t f = 0; f < gr->d; f++)
            try_feature(gr, f, start, end, sq_total, best);
    } else {
        uint32_t remaining = gr->d, visited = 0, varying = 0;
        while (remaining > 0 && (visited < gr->g->max_features || varying == 0)) {
            uint32_t j = (uint32_t)fdxi_rng_below(gr->rng, remaining);
            uint32_t f = gr->features[j];
            gr->features[j] = gr->features[remaining - 1];
            gr->features[remaining - 1] = f;
            remaining--;
            visited++;
            if (try_feature(gr, f, start, end, sq_total, best))
                varying++;
        }
    }
    return best->feature >= 0;
}

/* Move the rows going left to the front of samples[start..end); returns where the right begin. */
static uint32_t partition(struct grower *gr, uint32_t start, uint32_t end, const struct split *sp)
{
    uint32_t *s = gr->samples;
    uint32_t i = start, j = end;
    while (i < j) {
        if (gr->x[(size_t)s[i] * gr->d + (uint32_t)sp->feature] <= sp->threshold) {
            i++;
        } else {
            uint32_t t = s[i];
            s[i] = s[--j];
            s[j] = t;
        }
    }
    return i;
}

/*
 * Depth first, left child first, numbering nodes as they are created: node ids are in
 * pre-order, so every child's id is greater than its parent's (the loader relies on it).
 */
static bool grow(struct grower *gr, uint32_t n_samples)
{
    const struct fdxi_tree_grow *g = gr->g;
    if (!push(gr, (struct frame){.start = 0, .end = n_samples, .parent = NO_PARENT}))
        return false;
    while (gr->stack_len > 0) {
        struct frame f = gr->stack[--gr->stack_len];
        uint32_t n = f.end - f.start;
        memset(gr->count, 0, gr->n_classes * sizeof(*gr->count));
        for (uint32_t k = f.start; k < f.end; k++)
            gr->count[gr->y[gr->samples[k]]]++;
        uint32_t id = add_node(gr, n);
        if (id == UINT32_MAX)
            return false;
        if (f.parent != NO_PARENT) {
            if (f.is_left)
                gr->t->nodes[f.parent].left = id;
            else
                gr->t->nodes[f.parent].right = id;
        }
        bool pure = false;
        for (uint32_t c = 0; c < gr->n_classes; c++)
            pure = pure || gr->count[c] == n;
        if (pure || (g->max_depth > 0 && f.depth >= g->max_depth) || n < g->min_samples_split ||
            n / 2 < g->min_samples_leaf)
            continue;
        struct split sp;
        if (!best_split(gr, f.start, f.end, &sp))
            continue;
        uint32_t mid = partition(gr, f.start, f.end, &sp);
        gr->t->nodes[id].feature = sp.feature;
        gr->t->nodes[id].threshold = sp.threshold;
        /* The right child is pushed first so that the left one is numbered next. */
        if (!push(gr, (struct frame){mid, f.end, f.depth + 1, id, false}) ||
            !push(gr, (struct frame){f.start, mid, f.depth + 1, id, true}))
            return false;
    }
    return true;
}

struct fdxi_tree *fdxi_tree_grow(const struct fdxi_tree_grow *g, const double *x, const int32_t *y,
                                 uint32_t d, uint32_t n_classes, uint32_t *samples,
                                 uint32_t n_samples, struct fdxi_rng *rng)
{
    struct grower gr = {
        .g = g, .x = x, .y = y, .d = d, .n_classes = n_classes, .samples = samples, .rng = rng};
    /* A binary tree of n leaves has 2n - 1 nodes, and every leaf holds at least one row. */
    gr.max_nodes = 2 * n_samples - 1;
    struct fdxi_tree *ret = NULL;
    gr.t = calloc(1, sizeof(*gr.t));
    gr.xf = malloc((size_t)n_samples * sizeof(*gr.xf));
    gr.count = malloc(3 * (size_t)n_classes * sizeof(*gr.count));
    gr.features = malloc((size_t)d * sizeof(*gr.features));
    if (gr.t == NULL || gr.xf == NULL || gr.count == NULL || gr.features == NULL)
        goto out;
    gr.left = gr.count + n_classes;
    gr.right = gr.left + n_classes;
    for (uint32_t j = 0; j < d; j++)
        gr.features[j] = j;
    gr.t->d = d;
    gr.t->n_classes = n_classes;
    gr.t->cap = 0;
    if (!grow(&gr, n_samples))
        goto out;
    /* Give back what the doubling over-allocated; keeping the larger block is harmless. */
    uint32_t n = gr.t->n_nodes;
    struct node *nodes = realloc(gr.t->nodes, (size_t)n * sizeof(*nodes));
    if (nodes != NULL)
        gr.t->nodes = nodes;
    double *proba = realloc(gr.t->proba, (size_t)n * n_classes * sizeof(*proba));
    if (proba != NULL)
        gr.t->proba = proba;
    gr.t->cap = n;
    ret = gr.t;
    gr.t = NULL;
out:
    fdxi_tree_free(gr.t);
    free(gr.xf);
    free(gr.count);
    free(gr.features);
    free(gr.stack);
    return ret;
}

/* ---- model files ---- */

/*
 * A tree: u32 node count, then per node in id order: u32 feature (UINT32_MAX for a leaf),
 * f64 threshold, u32 left, u32 right (0, 0 and 0 for a leaf), u32 n_samples, n_classes f64
 * class frequencies.
 */
#define NODE_BYTES(n_classes) (24u + 8u * (size_t)(n_classes))

void fdxi_tree_write(const struct fdxi_tree *t, struct fdxi_wbuf *w)
{
    fdxi_wbuf_u32(w, t->n_nodes);
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        const struct node *nd = &t->nodes[i];
        fdxi_wbuf_u32(w, nd->feature < 0 ? LEAF : (uint32_t)nd->feature);
        fdxi_wbuf_f64(w, nd->threshold);
        fdxi_wbuf_u32(w, nd->left);
        fdxi_wbuf_u32(w, nd->right);
        fdxi_wbuf_u32(w, nd->n_samples);
        fdxi_wbuf_f64s(w, &t->proba[(size_t)i * t->n_classes], t->n_classes);
    }
}

/* Check node i's fields as read (at file offset at); children are checked against n. */
static void check_node(struct fdxi_rbuf *r, size_t at, const struct fdxi_tree *t, uint32_t i,
                       uint32_t feature, double threshold, uint32_t l, uint32_t rt, uint32_t ns)
{
    uint32_t n = t->n_nodes;
    if (feature == LEAF) {
        if (l != 0 || rt != 0 || threshold != 0.0)
            fdxi_rbuf_fail(r, "offset %zu: tree node %u: a leaf with children or a threshold", at,
                           i);
    } else if (feature >= t->d) {
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: feature index %u out of range (%u features)",
                       at, i, feature, t->d);
    } else if (!isfinite(threshold)) {
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: threshold is not a finite number", at, i);
    } else if (l >= n || rt >= n) {
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: child index %u out of range (%u nodes)", at, i,
                       l >= n ? l : rt, n);
    } else if (l <= i || rt <= i) {
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: child index %u does not point forward", at, i,
                       l <= i ? l : rt);
    } else if (l == rt) {
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: both children are node %u", at, i, l);
    }
    if (ns == 0)
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: no training rows", at, i);
    const double *p = &t->proba[(size_t)i * t->n_classes];
    double sum = 0.0;
    for (uint32_t c = 0; c < t->n_classes; c++) {
        if (!(p[c] >= 0.0 && p[c] <= 1.0)) {
            fdxi_rbuf_fail(r, "offset %zu: tree node %u: probability of class %u not in [0, 1]", at,
                           i, c);
            return;
        }
        sum += p[c];
    }
    if (fabs(sum - 1.0) > 1e-9)
        fdxi_rbuf_fail(r, "offset %zu: tree node %u: probabilities sum to %g, not 1", at, i, sum);
}

/*
 * With children pointing forward, each node other than the root having exactly one parent makes
 * the nodes one tree rooted at 0; a parent's row count must be its children's sum.
 */
static void check_shape(struct fdxi_rbuf *r, const struct fdxi_tree *t, uint8_t *parents)
{
    for (uint32_t i = 0; i < t->n_nodes && fdxi_rbuf_ok(r); i++) {
        const struct node *nd = &t->nodes[i];
        if (nd->feature < 0)
            continue;
        uint64_t below = (uint64_t)t->nodes[nd->left].n_samples + t->nodes[nd->right].n_samples;
        if (parents[nd->left]++ || parents[nd->right]++)
            fdxi_rbuf_fail(r, "tree node %u: a child has two parents", i);
        else if (below != nd->n_samples)
            fdxi_rbuf_fail(r, "tree node %u: %u rows, its children %llu", i, nd->n_samples,
                           (unsigned long long)below);
    }
    for (uint32_t i = 1; i < t->n_nodes && fdxi_rbuf_ok(r); i++) {
        if (!parents[i])
            fdxi_rbuf_fail(r, "tree node %u: not reachable from the root", i);
    }
}

struct fdxi_tree *fdxi_tree_read(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    struct fdxi_tree *t = NULL;
    uint8_t *parents = NULL;
    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES || n_classes < 1 ||
        n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_rbuf_fail(r, "tree: %u features and %u classes out of range (1 to %u, 1 to %u)", d,
                       n_classes, FDXI_MODEL_MAX_FEATURES, FDXI_MODEL_MAX_CLASSES);
        goto fail;
    }
    size_t at = r->off;
    uint32_t n = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_NODES, "tree node count");
    if (!fdxi_rbuf_ok(r))
        goto fail;
    /* Refuse before allocating: a count the file cannot hold is not worth memory. */
    if (n > (r->len - r->off) / NODE_BYTES(n_classes)) {
        fdxi_rbuf_fail(r, "offset %zu: tree node count: %u nodes need %zu bytes, %zu left", at, n,
                       (size_t)n * NODE_BYTES(n_classes), r->len - r->off);
        goto fail;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        goto nomem;
    t->d = d;
    t->n_classes = n_classes;
    t->n_nodes = t->cap = n;
    t->nodes = malloc((size_t)n * sizeof(*t->nodes));
    t->proba = malloc((size_t)n * n_classes * sizeof(*t->proba));
    parents = calloc(n, 1);
    if (t->nodes == NULL || t->proba == NULL || parents == NULL)
        goto nomem;
    for (uint32_t i = 0; i < n && fdxi_rbuf_ok(r); i++) {
        at = r->off;
        uint32_t feature = fdxi_rbuf_u32(r, "tree node feature");
        double threshold = fdxi_rbuf_f64(r, "tree node threshold");
        uint32_t l = fdxi_rbuf_u32(r, "tree node left child");
        uint32_t rt = fdxi_rbuf_u32(r, "tree node right child");
        uint32_t ns = fdxi_rbuf_u32(r, "tree node rows");
        fdxi_rbuf_f64s(r, &t->proba[(size_t)i * n_classes], n_classes, "tree node probabilities");
        if (!fdxi_rbuf_ok(r))
            break;
        check_node(r, at, t, i, feature, threshold, l, rt, ns);
        t->nodes[i] = (struct node){.threshold = threshold,
                                    .feature = feature == LEAF ? -1 : (int32_t)feature,
                                    .left = l,
                                    .right = rt,
                                    .n_samples = ns};
    }
    if (fdxi_rbuf_ok(r))
        check_shape(r, t, parents);
    if (!fdxi_rbuf_ok(r))
        goto fail;
    free(parents);
    return t;
nomem:
    fdxi_rbuf_fail(r, "tree: out of memory");
fail:
    free(parents);
    fdxi_tree_free(t);
    return NULL;
}

/* ---- the model kind ---- */

int fdxi_tree_check_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                          uint32_t n, uint32_t d, uint32_t n_classes, char *err, size_t errlen)
{
    if (n < 1 || n > FDXI_MODEL_MAX_NODES / 2) {
        snprintf(err, errlen, "%u training rows out of range (1 to %u)", n,
                 FDXI_MODEL_MAX_NODES / 2);
        return FDX_ERANGE;
    }
    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES || n_classes < 1 ||
        n_classes > FDXI_MODEL_MAX_CLASSES) {
        snprintf(err, errlen, "%u features and %u classes out of range (1 to %u, 1 to %u)", d,
                 n_classes, FDXI_MODEL_MAX_FEATURES, FDXI_MODEL_MAX_CLASSES);
        return FDX_ERANGE;
    }
    if (p->tree_min_samples_split < 2 || p->tree_min_samples_leaf < 1) {
        snprintf(err, errlen,
                 "tree min_samples_split %u (at least 2) or min_samples_leaf %u "
                 "(at least 1) out of range",
                 p->tree_min_samples_split, p->tree_min_samples_leaf);
        return FDX_EINVAL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes) {
            snprintf(err, errlen, "row %u: class %d out of range (0 to %u)", i, (int)y[i],
                     n_classes - 1);
            return FDX_EINVAL;
        }
        for (uint32_t j = 0; j < d; j++) {
            if (!isfinite(x[(size_t)i * d + j])) {
                snprintf(err, errlen, "row %u, feature %u: not a finite number (impute first)", i,
                         j);
                return FDX_EINVAL;
            }
        }
    }
    return 0;
}

static int tree_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                      uint32_t n, uint32_t d, uint32_t n_classes, void **ret_model, char *err,
                      size_t errlen)
{
    int rc = fdxi_tree_check_train(p, x, y, n, d, n_classes, err, errlen);
    if (rc < 0)
        return rc;
    uint32_t *samples = malloc((size_t)n * sizeof(*samples));
    if (samples == NULL)
        goto nomem;
    for (uint32_t i = 0; i < n; i++)
        samples[i] = i;
    struct fdxi_tree_grow g = {.max_depth = p->tree_max_depth,
                               .min_samples_split = p->tree_min_samples_split,
                               .min_samples_leaf = p->tree_min_samples_leaf,
                               .max_features = d};
    struct fdxi_tree *t = fdxi_tree_grow(&g, x, y, d, n_classes, samples, n, NULL);
    free(samples);
    if (t == NULL)
        goto nomem;
    *ret_model = t;
    return 0;
nomem:
    snprintf(err, errlen, "tree: out of memory");
    return FDX_ENOMEM;
}

static void tree_predict(const void *model, const double *x, double *ret_proba)
{
    const struct fdxi_tree *t = model;
    memcpy(ret_proba, fdxi_tree_leaf_proba(t, x), t->n_classes * sizeof(*ret_proba));
}

static void tree_save(const void *model, struct fdxi_wbuf *w)
{
    fdxi_tree_write(model, w);
}

static void *tree_load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    return fdxi_tree_read(r, d, n_classes);
}

static size_t tree_describe(const void *model, char *buf, size_t len, size_t used)
{
    struct fdxi_tree *t = (struct fdxi_tree *)model;
    return fdxi_trees_describe(&t, 1, false, buf, len, used);
}

static void tree_free(void *model)
{
    fdxi_tree_free(model);
}

const struct fdxi_model_kind fdxi_model_tree = {
    .name = "tree",
    .tag = 3,
    .train = tree_train,
    .predict = tree_predict,
    .save = tree_save,
    .load = tree_load,
    .free = tree_free,
    .describe = tree_describe,
};
