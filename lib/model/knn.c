/* SPDX-License-Identifier: BSD-3-Clause */
/* The k-nearest-neighbour model kind, searched through a k-d tree rebuilt from its stored rows. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "model/model.h"

/*
 * Model file layout after the bundle's d and n_classes (all little-endian):
 *   u32 format (1), u32 k, u8 distance_weighted (0 or 1), u32 n_rows,
 *   n_rows * d f64 rows in training order, n_rows u32 labels.
 * Only the rows are stored: the tree is rebuilt on load, so a file cannot describe a tree whose
 * shape or bounds disagree with its rows.
 *
 * Neighbours are the k rows with the smallest (squared Euclidean distance, training-row index)
 * pairs: among rows at the same distance the one that came first in the training data wins.
 * The tree search is exact under that order, so it finds the same rows as a linear scan.
 */

#define KNN_FORMAT 1u
/* Leaves hold LEAF_SIZE / 2 to LEAF_SIZE rows (median splits halve a node of more than
 * LEAF_SIZE rows). */
#define LEAF_SIZE 32u
/* The neighbour heap lives on the stack of predict (which cannot fail), so k is bounded. */
#define KNN_MAX_K 1024u

struct node {
    uint32_t start; /**< first row (tree order) of the node */
    uint32_t end;   /**< one past its last row */
    uint32_t left;  /**< child nodes; 0 for a leaf (the root, node 0, is nobody's child) */
    uint32_t right;
};

struct knn {
    uint32_t n, d, n_classes, k;
    bool weighted;
    double *rows;    /**< n * d, in tree order so that a leaf's rows are contiguous */
    uint32_t *orig;  /**< tree position -> training-row index */
    uint32_t *label; /**< tree position -> class */
    struct node *nodes;
    uint32_t n_nodes;
    double *box; /**< per node: d lower bounds, then d upper bounds of its rows */
};

struct cand {
    double dist2; /**< squared distance to the query */
    uint32_t idx; /**< training-row index, the tie-breaker */
    uint32_t label;
};

struct heap {
    struct cand *c; /**< max-heap: c[0] is the worst of the best found so far */
    uint32_t n, k;
};

/* malloc of count elements of size bytes; NULL also when the byte count does not fit size_t
 * (possible on 32-bit hosts at the row and feature limits). */
static void *alloc_array(uint64_t count, size_t size)
{
    if (count > SIZE_MAX / size)
        return NULL;
    return malloc((size_t)count * size);
}

static void knn_free(void *model)
{
    struct knn *m = model;
    if (m == NULL)
        return;
    free(m->rows);
    free(m->orig);
    free(m->label);
    free(m->nodes);
    free(m->box);
    free(m);
}

/* ---- building ---- */

struct build {
    struct knn *m;
    const double *x; /**< borrowed rows in training order */
    uint32_t *perm;  /**< becomes m->orig */
    uint32_t max_nodes;
};

/* Rows are ordered along one dimension by (value, row index): a total order even with repeated
 * values, so every partition step makes progress and the tree does not depend on the sort. */
static bool key_less(const struct build *b, uint32_t dim, uint32_t i, uint32_t j)
{
    double vi = b->x[(size_t)i * b->m->d + dim], vj = b->x[(size_t)j * b->m->d + dim];
    return vi < vj || (vi == vj && i < j);
}

static void swap_u32(uint32_t *v, uint32_t i, uint32_t j)
{
    uint32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void sift_down(const struct build *b, uint32_t dim, uint32_t *v, uint32_t root, uint32_t n)
{
    for (;;) {
        uint32_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && key_less(b, dim, v[c], v[c + 1]))
            c++;
        if (!key_less(b, dim, v[root], v[c]))
            return;
        swap_u32(v, root, c);
        root = c;
    }
}

static void heap_sort(const struct build *b, uint32_t dim, uint32_t *v, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(b, dim, v, i, n);
    for (uint32_t end = n; end-- > 1;) {
        swap_u32(v, 0, end);
        sift_down(b, dim, v, 0, end);
    }
}

/*
 * Put the kth smallest of v[0..n) at v[kth], smaller ones before it and larger ones after.
 * Quickselect with a median-of-three pivot; after a budget of about 2 log2(n) rounds it sorts
 * what is left, so rows crafted against the pivot rule (a hostile model file) cost O(n log n),
 * not O(n^2).
 */
static void select_kth(const struct build *b, uint32_t dim, uint32_t *v, uint32_t n, uint32_t kth)
{
    uint32_t lo = 0, hi = n, budget = 4;
    for (uint32_t t = n; t > 1; t >>= 1)
        budget += 2;
    while (hi - lo > 1) {
        if (budget-- == 0) {
            heap_sort(b, dim, v + lo, hi - lo);
            return;
        }
        uint32_t mid = lo + (hi - lo) / 2, last = hi - 1;
        if (key_less(b, dim, v[mid], v[lo]))
            swap_u32(v, mid, lo);
        if (key_less(b, dim, v[last], v[lo]))
            swap_u32(v, last, lo);
        if (key_less(b, dim, v[mid], v[last]))
            swap_u32(v, mid, last);
        /* v[last] is now the median of the three. */
        uint32_t store = lo;
        for (uint32_t i = lo; i < last; i++) {
            if (key_less(b, dim, v[i], v[last]))
                swap_u32(v, i, store++);
        }
        swap_u32(v, store, last);
        if (kth == store)
            return;
        if (kth < store)
            hi = store;
        else
            lo = store + 1;
    }
}

/* Build the subtree over perm[start..end); returns its node index, or UINT32_MAX when the
 * node budget is exhausted (which the size bound in knn_build rules out). */
static uint32_t build_node(struct build *b, uint32_t start, uint32_t end)
{
    struct knn *m = b->m;
    uint32_t d = m->d;
    if (m->n_nodes >= b->max_nodes)
        return UINT32_MAX;
    uint32_t id = m->n_nodes++;
    struct node *nd = &m->nodes[id];
    nd->start = start;
    nd->end = end;
    nd->left = nd->right = 0;

    double *lo = m->box + (size_t)id * 2 * d, *hi = lo + d;
    const double *first = b->x + (size_t)b->perm[start] * d;
    memcpy(lo, first, d * sizeof(double));
    memcpy(hi, first, d * sizeof(double));
    for (uint32_t i = start + 1; i < end; i++) {
        const double *r = b->x + (size_t)b->perm[i] * d;
        for (uint32_t j = 0; j < d; j++) {
            if (r[j] < lo[j])
                lo[j] = r[j];
            if (r[j] > hi[j])
                hi[j] = r[j];
        }
    }
    if (end - start <= LEAF_SIZE)
        return id;

    /* Split the widest dimension at its median; a node of identical rows stays a leaf. */
    uint32_t dim = 0;
    double spread = hi[0] - lo[0];
    for (uint32_t j = 1; j < d; j++) {
        if (hi[j] - lo[j] > spread) {
            spread = hi[j] - lo[j];
            dim = j;
        }
    }
    if (!(spread > 0.0))
        return id;
    uint32_t mid = start + (end - start) / 2;
    select_kth(b, dim, b->perm + start, end - start, mid - start);
    uint32_t left = build_node(b, start, mid);
    if (left == UINT32_MAX)
        return UINT32_MAX;
    uint32_t right = build_node(b, mid, end);
    if (right == UINT32_MAX)
        return UINT32_MAX;
    m->nodes[id].left = left;
    m->nodes[id].right = right;
    return id;
}

/*
 * Build the tree of m over x (n * d rows, training order, borrowed) and y, and copy both into
 * m in tree order. Returns 0 or FDX_ENOMEM.
 */
static int knn_build(struct knn *m, const double *x, const int32_t *y32, const uint32_t *yu)
{
    uint32_t n = m->n, d = m->d;
    /* Every leaf except a lone root holds at least LEAF_SIZE / 2 rows, so there are at most
     * n / (LEAF_SIZE / 2) leaves and twice as many nodes. */
    uint32_t max_nodes = 2 * (n / (LEAF_SIZE / 2) + 1);
    m->orig = alloc_array(n, sizeof(uint32_t));
    m->label = alloc_array(n, sizeof(uint32_t));
    m->rows = alloc_array((uint64_t)n * d, sizeof(double));
    m->nodes = alloc_array(max_nodes, sizeof(struct node));
    m->box = alloc_array((uint64_t)max_nodes * 2 * d, sizeof(double));
    if (!m->orig || !m->label || !m->rows || !m->nodes || !m->box)
        return FDX_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        m->orig[i] = i;
    struct build b = {.m = m, .x = x, .perm = m->orig, .max_nodes = max_nodes};
    m->n_nodes = 0;
    if (build_node(&b, 0, n) == UINT32_MAX)
        return FDX_ENOMEM;
    for (uint32_t p = 0; p < n; p++) {
        uint32_t i = m->orig[p];
        memcpy(m->rows + (size_t)p * d, x + (size_t)i * d, d * sizeof(double));
        m->label[p] = y32 ? (uint32_t)y32[i] : yu[i];
    }
    return 0;
}

static struct knn *knn_new(uint32_t n, uint32_t d, uint32_t n_classes, uint32_t k, bool weighted)
{
    struct knn *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->n = n;
    m->d = d;
    m->n_classes = n_classes;
    m->k = k;
    m->weighted = weighted;
    return m;
}

static int knn_train(const struct fdxi_train_params *p, const double *x, const int32_t *y,
                     uint32_t n, uint32_t d, uint32_t n_classes, void **ret_model, char *err,
                     size_t errlen)
{
    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES) {
        fdxi_set_err(err, errlen, "knn: %u features out of range (1 to %u)", d,
                     FDXI_MODEL_MAX_FEATURES);
        return FDX_ERANGE;
    }
    if (n_classes < 1 || n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_set_err(err, errlen, "knn: %u classes out of range (1 to %u)", n_classes,
                     FDXI_MODEL_MAX_CLASSES);
        return FDX_ERANGE;
    }
    if (n < 1 || n > FDXI_MODEL_MAX_ROWS) {
        fdxi_set_err(err, errlen, "knn: %u training rows out of range (1 to %u)", n,
                     FDXI_MODEL_MAX_ROWS);
        return FDX_ERANGE;
    }
    if (p->knn_k < 1 || p->knn_k > KNN_MAX_K || p->knn_k > n) {
        fdxi_set_err(err, errlen,
                     "knn: k = %u out of range (1 to %u, and at most the %u training rows)",
                     p->knn_k, KNN_MAX_K, n);
        return FDX_ERANGE;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes) {
            fdxi_set_err(err, errlen, "knn: row %u: label %d out of range (0 to %u)", i, (int)y[i],
                         n_classes - 1);
            return FDX_EINVAL;
        }
        for (uint32_t j = 0; j < d; j++) {
            if (!isfinite(x[(size_t)i * d + j])) {
                fdxi_set_err(err, errlen, "knn: row %u feature %u: not a finite number", i, j);
                return FDX_EINVAL;
            }
        }
    }
    struct knn *m = knn_new(n, d, n_classes, p->knn_k, p->knn_distance_weighted);
    int rc = m ? knn_build(m, x, y, NULL) : FDX_ENOMEM;
    if (rc != 0) {
        knn_free(m);
        fdxi_set_err(err, errlen, "knn: out of memory for %u rows of %u features", n, d);
        return rc;
    }
    *ret_model = m;
    return 0;
}

/* ---- searching ---- */

/* Whether a is further than b: larger distance, or the same distance and a later row. */
static bool worse(const struct cand *a, const struct cand *b)
{
    return a->dist2 > b->dist2 || (a->dist2 == b->dist2 && a->idx > b->idx);
}

static void heap_offer(struct heap *h, const struct cand *c)
{
    uint32_t i;
    if (h->n < h->k) {
        /* Sift up from the new last slot. */
        i = h->n++;
        while (i > 0) {
            uint32_t parent = (i - 1) / 2;
            if (!worse(c, &h->c[parent]))
                break;
            h->c[i] = h->c[parent];
            i = parent;
        }
        h->c[i] = *c;
        return;
    }
    if (!worse(&h->c[0], c))
        return;
    /* Replace the worst and sift down. */
    i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, big = l;
        if (l >= h->n)
            break;
        if (r < h->n && worse(&h->c[r], &h->c[l]))
            big = r;
        if (!worse(&h->c[big], c))
            break;
        h->c[i] = h->c[big];
        i = big;
    }
    h->c[i] = *c;
}

/*
 * max(lo - q, q - hi, 0). (t + |t|) / 2 is exactly t or 0 (doubling and halving are exact; if
 * 2t overflows, t * t is infinite anyway) and, unlike a comparison with 0, compiles without a
 * branch, which the unpredictable gaps of high-dimensional data would mispredict.
 */
static double gap(double lo, double hi, double q)
{
    double below = lo - q, above = q - hi;
    double t = below > above ? below : above;
    return (t + fabs(t)) * 0.5;
}

/*
 * Squared distance from q to node's box, summed over dimensions in the same order as a row's
 * distance. Rounding is monotonic, so for every row in the box each term, and so the sum, is
 * at most the row's own: the bound is exact in floating point, not just in real arithmetic.
 * A NaN query coordinate makes the bound NaN, which prunes nothing: such a query is infinitely
 * far from every row.
 */
static double box_dist2(const struct knn *m, uint32_t node, const double *q)
{
    const double *lo = m->box + (size_t)node * 2 * m->d, *hi = lo + m->d;
    double s = 0.0;
    for (uint32_t j = 0; j < m->d; j++) {
        double t = gap(lo[j], hi[j], q[j]);
        s += t * t;
    }
    return s;
}

/* A subtree whose box is strictly further than the current k-th neighbour cannot hold a better
 * one; at equal distance it might hold an earlier row, so it is still searched. */
static bool prunable(const struct heap *h, double bound)
{
    return h->n == h->k && bound > h->c[0].dist2;
}

static void scan_leaf(const struct knn *m, const struct node *nd, const double *q, struct heap *h)
{
    uint32_t d = m->d;
    for (uint32_t p = nd->start; p < nd->end; p++) {
        /* No early exit once the sum passes the k-th distance: where the tree must scan many
         * rows (high intrinsic dimension) that branch is unpredictable and costs more than the
         * dimensions it saves. */
        double s = fdxi_dist2(m->rows + (size_t)p * d, q, d);
        if (h->n == h->k && s > h->c[0].dist2)
            continue;
        /* NaN (a NaN query) counts as infinitely far, which keeps the order total. */
        struct cand c = {.dist2 = isnan(s) ? INFINITY : s, .idx = m->orig[p], .label = m->label[p]};
        heap_offer(h, &c);
    }
}

/* Depth-first branch and bound, nearer child first; depth is O(log n) (median splits). */
static void search(const struct knn *m, uint32_t node, const double *q, struct heap *h)
{
    const struct node *nd = &m->nodes[node];
    if (nd->left == 0) {
        scan_leaf(m, nd, q, h);
        return;
    }
    uint32_t near = nd->left, far = nd->right;
    double bn = box_dist2(m, near, q), bf = box_dist2(m, far, q);
    if (bf < bn) {
        uint32_t t = near;
        near = far;
        far = t;
        double tb = bn;
        bn = bf;
        bf = tb;
    }
    if (!prunable(h, bn))
        search(m, near, q, h);
    if (!prunable(h, bf))
        search(m, far, q, h);
}

/*
 * Class shares of the k neighbours: uniform, or weighted by 1 / distance. As in scikit-learn,
 * when a neighbour is at distance 0 the neighbours at distance 0 share all the weight. If the
 * weights are unusable (every distance infinite, from overflow or a NaN query) the vote is
 * uniform.
 */
static void knn_predict(const void *model, const double *x, double *ret_proba)
{
    const struct knn *m = model;
    struct cand buf[KNN_MAX_K];
    struct heap h = {.c = buf, .n = 0, .k = m->k};
    search(m, 0, x, &h);

    for (uint32_t c = 0; c < m->n_classes; c++)
        ret_proba[c] = 0.0;
    if (m->weighted) {
        uint32_t zeros = 0;
        for (uint32_t i = 0; i < h.n; i++)
            zeros += h.c[i].dist2 == 0.0;
        double total = 0.0;
        for (uint32_t i = 0; i < h.n; i++) {
            double w = zeros ? (h.c[i].dist2 == 0.0 ? 1.0 : 0.0) : 1.0 / sqrt(h.c[i].dist2);
            ret_proba[h.c[i].label] += w;
            total += w;
        }
        if (total > 0.0 && isfinite(total)) {
            for (uint32_t c = 0; c < m->n_classes; c++)
                ret_proba[c] /= total;
            return;
        }
        for (uint32_t c = 0; c < m->n_classes; c++)
            ret_proba[c] = 0.0;
    }
    for (uint32_t i = 0; i < h.n; i++)
        ret_proba[h.c[i].label] += 1.0;
    for (uint32_t c = 0; c < m->n_classes; c++)
        ret_proba[c] /= (double)h.n;
}

/* ---- model files ---- */

static void knn_save(const void *model, struct fdxi_wbuf *w)
{
    const struct knn *m = model;
    uint32_t *pos = alloc_array(m->n, sizeof(uint32_t));
    if (pos == NULL) {
        w->failed = true;
        return;
    }
    for (uint32_t p = 0; p < m->n; p++)
        pos[m->orig[p]] = p;
    fdxi_wbuf_u32(w, KNN_FORMAT);
    fdxi_wbuf_u32(w, m->k);
    fdxi_wbuf_u8(w, m->weighted ? 1 : 0);
    fdxi_wbuf_u32(w, m->n);
    for (uint32_t i = 0; i < m->n; i++)
        fdxi_wbuf_f64s(w, m->rows + (size_t)pos[i] * m->d, m->d);
    for (uint32_t i = 0; i < m->n; i++)
        fdxi_wbuf_u32(w, m->label[pos[i]]);
    free(pos);
}

static void *knn_load(struct fdxi_rbuf *r, uint32_t d, uint32_t n_classes)
{
    struct knn *m = NULL;
    double *x = NULL;
    uint32_t *y = NULL;

    if (d < 1 || d > FDXI_MODEL_MAX_FEATURES) {
        fdxi_rbuf_fail(r, "knn: %u features out of range (1 to %u)", d, FDXI_MODEL_MAX_FEATURES);
        goto out;
    }
    if (n_classes < 1 || n_classes > FDXI_MODEL_MAX_CLASSES) {
        fdxi_rbuf_fail(r, "knn: %u classes out of range (1 to %u)", n_classes,
                       FDXI_MODEL_MAX_CLASSES);
        goto out;
    }
    size_t at = r->off;
    uint32_t format = fdxi_rbuf_u32(r, "knn format");
    if (fdxi_rbuf_ok(r) && format != KNN_FORMAT)
        fdxi_rbuf_fail(r, "offset %zu: knn format %u not supported (this build reads %u)", at,
                       format, KNN_FORMAT);
    uint32_t k = fdxi_rbuf_count(r, 1, KNN_MAX_K, "knn k");
    at = r->off;
    uint8_t weighted = fdxi_rbuf_u8(r, "knn weighting");
    if (fdxi_rbuf_ok(r) && weighted > 1)
        fdxi_rbuf_fail(r, "offset %zu: knn weighting: %u is neither 0 nor 1", at, weighted);
    at = r->off;
    uint32_t n = fdxi_rbuf_count(r, 1, FDXI_MODEL_MAX_ROWS, "knn rows");
    if (!fdxi_rbuf_ok(r))
        goto out;
    if (k > n) {
        fdxi_rbuf_fail(r, "offset %zu: knn: k = %u but only %u rows", at, k, n);
        goto out;
    }
    /* Check the announced size against the bytes present before allocating anything. */
    uint64_t need = (uint64_t)n * d * 8 + (uint64_t)n * 4;
    if (need > r->len - r->off) {
        fdxi_rbuf_fail(r, "offset %zu: knn: %u rows of %u features need %llu bytes, %zu left",
                       r->off, n, d, (unsigned long long)need, r->len - r->off);
        goto out;
    }
    x = alloc_array((uint64_t)n * d, sizeof(double));
    y = alloc_array(n, sizeof(uint32_t));
    if (x == NULL || y == NULL) {
        fdxi_rbuf_fail(r, "knn: out of memory for %u rows of %u features", n, d);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < d; j++) {
            at = r->off;
            double v = fdxi_rbuf_f64(r, "knn row");
            if (!fdxi_rbuf_ok(r))
                goto out;
            if (!isfinite(v)) {
                fdxi_rbuf_fail(r, "offset %zu: knn row %u feature %u: not a finite number", at, i,
                               j);
                goto out;
            }
            x[(size_t)i * d + j] = v;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        at = r->off;
        y[i] = fdxi_rbuf_u32(r, "knn label");
        if (!fdxi_rbuf_ok(r))
            goto out;
        if (y[i] >= n_classes) {
            fdxi_rbuf_fail(r, "offset %zu: knn row %u: label %u out of range (0 to %u)", at, i,
                           y[i], n_classes - 1);
            goto out;
        }
    }
    m = knn_new(n, d, n_classes, k, weighted == 1);
    if (m == NULL || knn_build(m, x, NULL, y) != 0) {
        knn_free(m);
        m = NULL;
        fdxi_rbuf_fail(r, "knn: out of memory for %u rows of %u features", n, d);
    }
out:
    free(x);
    free(y);
    return m;
}

static size_t knn_describe(const void *model, char *buf, size_t len, size_t used)
{
    const struct knn *m = model;
    return fdxi_appendf(buf, len, used, "%u training rows, k %u, neighbours weighted %s", m->n,
                        m->k, m->weighted ? "by 1 / distance" : "alike");
}

const struct fdxi_model_kind fdxi_model_knn = {
    .name = "knn",
    .tag = 1,
    .train = knn_train,
    .predict = knn_predict,
    .save = knn_save,
    .load = knn_load,
    .free = knn_free,
    .describe = knn_describe,
};
