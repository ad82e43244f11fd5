/* SPDX-License-Identifier: BSD-3-Clause */
/* SVG plots of training and evaluation: the correlation heatmap and the ROC curves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "train/svg.h"
#include "train/svgdoc.h"

/* Limits: a 512-column heatmap is already 262,144 cells (about 20 MB of SVG). */
#define MAX_HEATMAP_COLS 512u
#define MAX_CURVES FDXI_SVG_MAX_STROKES

/* Short names of the shared layout constants. */
#define MARGIN FDXI_SVG_MARGIN
#define TITLE_SIZE FDXI_SVG_TITLE_SIZE
#define TEXT_SIZE FDXI_SVG_TEXT_SIZE
#define INK FDXI_SVG_INK
#define MUTED FDXI_SVG_MUTED
#define NAN_FILL "#c8c8c8"
#define MARK_COLOUR "#d95f02" /* the flag circle */
#define MARK_TEXT "#a63d00"   /* a flagged name: the same hue, dark enough to read */

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- correlation heatmap ---- */

/* ColorBrewer RdBu (7 classes), reversed: -1 blue, 0 near white, +1 red. */
static const unsigned char diverging[7][3] = {
    {0x21, 0x66, 0xac}, {0x67, 0xa9, 0xcf}, {0xd1, 0xe5, 0xf0}, {0xf7, 0xf7, 0xf7},
    {0xfd, 0xdb, 0xc7}, {0xef, 0x8a, 0x62}, {0xb2, 0x18, 0x2b},
};

/* "#rrggbb" of correlation @p v (clamped to [-1, 1]), interpolated between the classes. */
static void colour_of(double v, char out[8])
{
    double t = (fmin(fmax(v, -1.0), 1.0) + 1.0) * 3.0; /* 0 .. 6 */
    int i = (int)floor(t);
    i = i > 5 ? 5 : i;
    double f = t - i;
    int c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (int)lround(diverging[i][k] + f * (diverging[i + 1][k] - diverging[i][k]));
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)c[0], (unsigned)c[1], (unsigned)c[2]);
}

/* Where everything of the heatmap goes, in pixels. */
struct hm_layout {
    double cell;       /* side of a cell */
    double font;       /* size of the column and row names */
    double value_font; /* size of the numbers in the cells, 0 when they are left out */
    double mark_w;     /* room for the flag circle before a name, 0 without marks */
    double left, top;  /* top-left corner of the grid */
    double grid;       /* side of the grid */
    double legend_x, legend_w;
    double bar_h; /* height of the colour bar */
    double width, height;
};

#define HM_GAP 6.0
#define HM_BAR_W 14.0
#define COS45 0.70710678118654752

static bool is_marked(const bool *mark, uint32_t j)
{
    return mark != NULL && mark[j];
}

static void hm_layout(struct hm_layout *L, uint32_t n, const char *const *names, const bool *mark,
                      const char *title, const char *subtitle)
{
    L->cell = n <= 40 ? 32.0 : fmax(4.0, floor(1280.0 / n));
    L->font = fmin(TEXT_SIZE, L->cell * 0.6);
    L->value_font = L->cell >= 28 ? fmin(10.0, L->cell * 0.31) : 0.0;
    bool any_mark = false;
    for (uint32_t j = 0; j < n; j++)
        any_mark = any_mark || is_marked(mark, j);
    L->mark_w = any_mark ? L->font * 0.9 : 0.0;
    L->grid = L->cell * n;
    L->top = MARGIN + TITLE_SIZE + 16 + 22;
    /* Row names end left of the grid; slanted column names below it reach left as well. */
    double need = 0, longest = 0;
    for (uint32_t j = 0; j < n; j++) {
        double w = fdxi_svg_text_width(names[j], L->font, is_marked(mark, j)) + L->mark_w;
        need = fmax(need, fmax(w + HM_GAP, w * COS45 + L->font - (j + 0.5) * L->cell));
        longest = fmax(longest, w);
    }
    L->left = MARGIN + need;
    double below = HM_GAP + L->font * 0.5 + longest * COS45;
    L->legend_x = L->left + L->grid + 32;
    L->legend_w = fmax(fdxi_svg_text_width("correlation", TEXT_SIZE, false),
                       HM_BAR_W + 6 + fdxi_svg_text_width("flagged", TEXT_SIZE, false));
    L->bar_h = fmin(fmax(L->grid * 0.5, 160.0), 320.0);
    double legend_bottom = L->top + 22 + L->bar_h + 60;
    L->width = L->legend_x + L->legend_w + MARGIN;
    L->width = fmax(L->width, 2 * MARGIN + fdxi_svg_text_width(title, TITLE_SIZE, true));
    L->width = ceil(fmax(L->width, 2 * MARGIN + fdxi_svg_text_width(subtitle, TEXT_SIZE, false)));
    L->height = ceil(fmax(L->top + L->grid + below, legend_bottom) + MARGIN);
}

/* A small filled circle: the flag of a marked column. */
static void flag_dot(struct fdxi_svgbuf *s, double x, double y, double r)
{
    fdxi_svg_add(s, "<circle");
    fdxi_svg_attr(s, "cx", x);
    fdxi_svg_attr(s, "cy", y);
    fdxi_svg_attr(s, "r", r);
    fdxi_svg_add(s, " fill=\"" MARK_COLOUR "\"/>\n");
}

static void hm_cells(struct fdxi_svgbuf *s, const struct hm_layout *L, const double *corr,
                     uint32_t n)
{
    fdxi_svg_add(s, "<g id=\"cells\"");
    if (L->cell >= 12)
        fdxi_svg_add(s, " stroke=\"#ffffff\" stroke-width=\"1\"");
    fdxi_svg_add(s, ">\n");
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++) {
            double v = corr[(size_t)i * n + j];
            char fill[8];
            if (!isfinite(v))
                snprintf(fill, sizeof(fill), "%s", NAN_FILL);
            else
                colour_of(v, fill);
            fdxi_svg_rect(s, L->left + j * L->cell, L->top + i * L->cell, L->cell, L->cell, fill);
        }
    }
    fdxi_svg_add(s, "</g>\n");
    /* Numbers when they fit; "n/a" on missing cells down to a smaller size. */
    double vf = L->value_font > 0 ? L->value_font : L->cell >= 12 ? L->cell * 0.34 : 0;
    if (vf <= 0)
        return;
    fdxi_svg_add(s, "<g id=\"values\" text-anchor=\"middle\" font-size=\"");
    fdxi_svg_coord(s, vf);
    fdxi_svg_add(s, "\">\n");
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++) {
            double v = corr[(size_t)i * n + j];
            double x = L->left + (j + 0.5) * L->cell, y = L->top + (i + 0.5) * L->cell + vf * 0.36;
            if (!isfinite(v)) {
                fdxi_svg_label(s, x, y, "fill=\"#404040\"", "n/a");
            } else if (L->value_font > 0) {
                char b[32];
                fdxi_svg_label(s, x, y, fabs(v) >= 0.6 ? "fill=\"#ffffff\"" : "fill=\"" INK "\"",
                               fdxi_svg_num(b, v, 2, true));
            }
        }
    }
    fdxi_svg_add(s, "</g>\n");
}

static void hm_names(struct fdxi_svgbuf *s, const struct hm_layout *L, uint32_t n,
                     const char *const *names, const bool *mark)
{
    double f = L->font, r = f * 0.3;
    fdxi_svg_add(s, "<g id=\"rows\" text-anchor=\"end\" font-size=\"");
    fdxi_svg_coord(s, f);
    fdxi_svg_add(s, "\" fill=\"" INK "\">\n");
    for (uint32_t i = 0; i < n; i++) {
        double x = L->left - HM_GAP - L->mark_w, y = L->top + (i + 0.5) * L->cell + f * 0.36;
        bool m = is_marked(mark, i);
        fdxi_svg_label(s, x, y, m ? "font-weight=\"bold\" fill=\"" MARK_TEXT "\"" : NULL, names[i]);
        if (m)
            flag_dot(s, L->left - HM_GAP - L->mark_w * 0.45, y - f * 0.36, r);
    }
    fdxi_svg_add(s, "</g>\n<g id=\"columns\" text-anchor=\"end\" font-size=\"");
    fdxi_svg_coord(s, f);
    fdxi_svg_add(s, "\" fill=\"" INK "\">\n");
    for (uint32_t j = 0; j < n; j++) {
        /* Shifted across the slant so that the letters, not the baseline, centre on the column. */
        double ax = L->left + (j + 0.5) * L->cell + f * 0.25, ay = L->top + L->grid + HM_GAP;
        bool m = is_marked(mark, j);
        fdxi_svg_label_turned(s, ax - L->mark_w * COS45, ay + L->mark_w * COS45, -45,
                              m ? "font-weight=\"bold\" fill=\"" MARK_TEXT "\"" : NULL, names[j]);
        if (m) {
            /* The circle sits on the slanted line just past the end of the name. */
            double d = L->mark_w * 0.45;
            flag_dot(s, ax - d * COS45 - f * 0.36 * COS45, ay + d * COS45 - f * 0.36 * COS45, r);
        }
    }
    fdxi_svg_add(s, "</g>\n");
}

static void hm_legend(struct fdxi_svgbuf *s, const struct hm_layout *L, bool any_mark)
{
    double x = L->legend_x, y = L->top + 22, bar_h = L->bar_h;
    fdxi_svg_label(s, x, L->top + 10, "font-size=\"12\" fill=\"" INK "\"", "correlation");
    fdxi_svg_add(s,
                 "<defs><linearGradient id=\"fdx-diverging\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
    for (size_t k = 0; k < COUNT_OF(diverging); k++) {
        char c[8];
        snprintf(c, sizeof(c), "#%02x%02x%02x", diverging[k][0], diverging[k][1], diverging[k][2]);
        char b[32];
        fdxi_svg_add(s, "<stop offset=\"");
        fdxi_svg_add(s, fdxi_svg_num(b, (double)k / 6.0, 3, false));
        fdxi_svg_add(s, "\" stop-color=\"");
        fdxi_svg_add(s, c);
        fdxi_svg_add(s, "\"/>");
    }
    fdxi_svg_add(s, "</linearGradient></defs>\n");
    fdxi_svg_rect(s, x, y, HM_BAR_W, bar_h, "url(#fdx-diverging)");
    static const char *const ticks[] = {"1", "0.5", "0", "-0.5", "-1"};
    for (size_t k = 0; k < COUNT_OF(ticks); k++) {
        double ty = y + bar_h * (double)k / 4.0;
        fdxi_svg_line(s, x + HM_BAR_W, ty, x + HM_BAR_W + 4, ty,
                      "stroke=\"" INK "\" stroke-width=\"1\"");
        fdxi_svg_label(s, x + HM_BAR_W + 7, ty + 4, "font-size=\"11\" fill=\"" INK "\"", ticks[k]);
    }
    y += bar_h + 24;
    fdxi_svg_rect(s, x, y, HM_BAR_W, HM_BAR_W, NAN_FILL);
    fdxi_svg_label(s, x + HM_BAR_W + 6, y + 11, "font-size=\"12\" fill=\"" INK "\"", "n/a");
    if (any_mark) {
        y += 24;
        flag_dot(s, x + HM_BAR_W / 2, y + HM_BAR_W / 2, TEXT_SIZE * 0.3);
        fdxi_svg_label(s, x + HM_BAR_W + 6, y + 11, "font-size=\"12\" fill=\"" MARK_TEXT "\"",
                       "flagged");
    }
}

int fdxi_svg_heatmap(const char *path, const char *title, const double *corr, uint32_t n,
                     const char *const *names, const bool *mark, char *err, size_t errlen)
{
    if (path == NULL) {
        fdxi_set_err(err, errlen, "heatmap: no output path");
        return FDX_EINVAL;
    }
    if (n == 0 || corr == NULL || names == NULL) {
        fdxi_set_err(err, errlen,
                     "%s: heatmap needs at least one column, its correlations and names", path);
        return FDX_EINVAL;
    }
    if (n > MAX_HEATMAP_COLS) {
        fdxi_set_err(err, errlen, "%s: %u columns is more than the heatmap limit of %u", path, n,
                     MAX_HEATMAP_COLS);
        return FDX_ERANGE;
    }
    uint32_t n_marked = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (names[j] == NULL) {
            fdxi_set_err(err, errlen, "%s: column %u has no name", path, j);
            return FDX_EINVAL;
        }
        n_marked += is_marked(mark, j) ? 1 : 0;
    }
    if (title == NULL)
        title = "";
    char subtitle[96];
    if (n_marked > 0)
        snprintf(subtitle, sizeof(subtitle), "%u columns, %u flagged", n, n_marked);
    else
        snprintf(subtitle, sizeof(subtitle), "%u columns", n);
    struct hm_layout L;
    hm_layout(&L, n, names, mark, title, subtitle);
    struct fdxi_svgbuf s = {0};
    fdxi_svg_begin(&s, L.width, L.height, title);
    fdxi_svg_heading(&s, title, subtitle);
    hm_cells(&s, &L, corr, n);
    hm_names(&s, &L, n, names, mark);
    hm_legend(&s, &L, n_marked > 0);
    fdxi_svg_add(&s, "</svg>\n");
    int rc = fdxi_svg_write(path, &s, err, errlen);
    free(s.data);
    return rc;
}

/* ---- ROC curves ---- */

#define ROC_PLOT 400.0 /* side of a plot frame */
#define ROC_PAD 6.0    /* between the frame and the window's edges, so edge curves show */
#define ROC_SCALE (ROC_PLOT - 2 * ROC_PAD)
#define ROC_GAP 92.0 /* between the full plot and the detail */
#define ROC_ROW 22.0 /* legend line height */
#define ROC_SAMPLE 36.0
#define AXIS_STYLE "stroke=\"" INK "\" stroke-width=\"1\""
#define GRID_STYLE "stroke=\"#e3e3e3\" stroke-width=\"1\""
#define CHANCE_STYLE "stroke=\"#999999\" stroke-width=\"1\" stroke-dasharray=\"3 3\""

/* A plot frame on the page and the window of the unit square it shows. */
struct roc_view {
    double left, top; /* frame corner on the page */
    double xlo, ylo;  /* data at the window's lower-left corner */
    double span;      /* data width and height of the window */
    int decimals;     /* of the tick labels */
};

/*
 * Path data being written, in half pixels from the window's corner, y up. A vertex is held back
 * (pending) while the next ones continue its straight line in the same direction, so a run of
 * collinear points is written as its two ends.
 */
struct pen {
    struct fdxi_svgbuf *s;
    double x0, y0; /* the window's lower-left corner on the page */
    long x, y;     /* the last vertex written */
    long bx, by;   /* the pending vertex */
    bool pending;
};

static void pen_write(struct pen *p, char cmd, long x, long y)
{
    if (cmd == 'L' && y == p->y)
        cmd = 'H';
    else if (cmd == 'L' && x == p->x)
        cmd = 'V';
    fdxi_svg_add_n(p->s, &cmd, 1);
    if (cmd != 'V')
        fdxi_svg_coord(p->s, p->x0 + x / 2.0);
    if (cmd == 'M' || cmd == 'L')
        fdxi_svg_add(p->s, " ");
    if (cmd != 'H')
        fdxi_svg_coord(p->s, p->y0 - y / 2.0);
    p->x = x;
    p->y = y;
}

static void pen_flush(struct pen *p)
{
    if (p->pending)
        pen_write(p, 'L', p->bx, p->by);
    p->pending = false;
}

static void pen_line(struct pen *p, long x, long y)
{
    if (p->pending ? (x == p->bx && y == p->by) : (x == p->x && y == p->y))
        return;
    if (p->pending) {
        long ux = p->bx - p->x, uy = p->by - p->y, vx = x - p->bx, vy = y - p->by;
        if (ux * vy - uy * vx != 0 || ux * vx + uy * vy <= 0)
            pen_write(p, 'L', p->bx, p->by);
    }
    p->bx = x;
    p->by = y;
    p->pending = true;
}

/*
 * Cut segment (a, b) to the box [lo, hi] in both coordinates (Liang-Barsky). Returns false when
 * nothing is left; *cut_end tells whether b was cut off.
 */
static bool clip(double a[2], double b[2], double lo, double hi, bool *cut_end)
{
    double t0 = 0, t1 = 1, d[2] = {b[0] - a[0], b[1] - a[1]};
    for (int k = 0; k < 4; k++) {
        double pk = k % 2 ? d[k / 2] : -d[k / 2];
        double qk = k % 2 ? hi - a[k / 2] : a[k / 2] - lo;
        if (pk == 0) {
            if (qk < 0)
                return false;
        } else if (pk < 0) {
            t0 = fmax(t0, qk / pk);
        } else {
            t1 = fmin(t1, qk / pk);
        }
    }
    if (t0 > t1)
        return false;
    *cut_end = t1 < 1;
    for (int k = 0; k < 2; k++) {
        double a0 = a[k];
        a[k] = a0 + t0 * d[k];
        b[k] = a0 + t1 * d[k];
    }
    return true;
}

/*
 * The path data of one curve in view @p v, thinned to what the page can show: points are
 * rounded to half a pixel, repeats dropped, collinear runs merged, and segments cut to the frame.
 * A ROC curve only goes right and up, so this leaves at most one vertex per half pixel of the
 * frame's width plus height, whatever the number of points.
 */
static void curve_path(struct fdxi_svgbuf *s, const struct fdxi_svg_curve *c,
                       const struct roc_view *v)
{
    struct pen p = {.s = s, .x0 = v->left + ROC_PAD, .y0 = v->top + ROC_PLOT - ROC_PAD};
    double k = 2 * ROC_SCALE, m = ROC_PAD / ROC_SCALE; /* half pixels per window width */
    bool open = false;
    for (uint32_t i = 1; i < c->n_points; i++) {
        /* In window units: the frame is [-m, 1 + m]. */
        double a[2] = {(c->points[i - 1].fpr - v->xlo) / v->span,
                       (c->points[i - 1].tpr - v->ylo) / v->span};
        double b[2] = {(c->points[i].fpr - v->xlo) / v->span,
                       (c->points[i].tpr - v->ylo) / v->span};
        bool cut_end;
        if (!clip(a, b, -m, 1 + m, &cut_end)) {
            open = false;
            continue;
        }
        if (!open) {
            pen_flush(&p);
            pen_write(&p, 'M', lround(a[0] * k), lround(a[1] * k));
        }
        pen_line(&p, lround(b[0] * k), lround(b[1] * k));
        open = !cut_end;
    }
    pen_flush(&p);
}

/* Checks the curves; 0 or FDX_EINVAL with the message. */
static int roc_check(const char *path, const struct fdxi_svg_curve *curves, uint32_t n_curves,
                     char *err, size_t errlen)
{
    for (uint32_t i = 0; i < n_curves; i++) {
        const struct fdxi_svg_curve *c = &curves[i];
        if (c->label == NULL || c->points == NULL || c->n_points < 2) {
            fdxi_set_err(err, errlen, "%s: curve %u needs a label and at least 2 points", path, i);
            return FDX_EINVAL;
        }
        for (uint32_t k = 0; k < c->n_points; k++) {
            double x = c->points[k].fpr, y = c->points[k].tpr;
            if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
                fdxi_set_err(err, errlen,
                             "%s: curve %u ('%.64s'): point %u (%g, %g) is outside [0, 1]", path, i,
                             c->label, k, x, y);
                return FDX_EINVAL;
            }
        }
    }
    return 0;
}

/* Whether curve @p c passes through the square of side @p z at the top-left corner. */
static bool enters_corner(const struct fdxi_svg_curve *c, double z)
{
    for (uint32_t k = 1; k < c->n_points; k++) {
        double a[2] = {c->points[k - 1].fpr / z, (c->points[k - 1].tpr - 1 + z) / z};
        double b[2] = {c->points[k].fpr / z, (c->points[k].tpr - 1 + z) / z};
        bool cut_end;
        if (clip(a, b, 0, 1, &cut_end))
            return true;
    }
    return false;
}

/*
 * Side of the top-left square worth a detail plot, or 0: the smallest of 0.01, 0.02, 0.05 and
 * 0.1 that most of the curves pass through, else that two do. Good models crowd into that
 * corner, where the full plot cannot tell them apart.
 */
static double detail_span(const struct fdxi_svg_curve *curves, uint32_t n_curves)
{
    static const double spans[] = {0.01, 0.02, 0.05, 0.1};
    uint32_t enough[2] = {n_curves / 2 + 1, n_curves < 2 ? n_curves : 2};
    for (int e = 0; e < 2; e++) {
        for (size_t z = 0; z < COUNT_OF(spans); z++) {
            uint32_t inside = 0;
            for (uint32_t i = 0; i < n_curves; i++)
                inside += enters_corner(&curves[i], spans[z]) ? 1 : 0;
            if (inside >= enough[e])
                return spans[z];
        }
    }
    return 0;
}

/* The frame, grid, ticks and axis names of view @p v; the chance line in the full view. */
static void roc_axes(struct fdxi_svgbuf *s, const struct roc_view *v)
{
    double x0 = v->left + ROC_PAD, y0 = v->top + ROC_PLOT - ROC_PAD, bottom = v->top + ROC_PLOT;
    fdxi_svg_add(s, "<g>\n");
    for (int k = 0; k <= 5; k++) {
        double x = x0 + k / 5.0 * ROC_SCALE, y = y0 - k / 5.0 * ROC_SCALE;
        fdxi_svg_line(s, x, v->top, x, bottom, GRID_STYLE);
        fdxi_svg_line(s, v->left, y, v->left + ROC_PLOT, y, GRID_STYLE);
        fdxi_svg_line(s, x, bottom, x, bottom + 5, AXIS_STYLE);
        fdxi_svg_line(s, v->left - 5, y, v->left, y, AXIS_STYLE);
        for (int axis = 0; axis < 2; axis++) {
            char b[32];
            const char *tick =
                fdxi_svg_num(b, (axis ? v->ylo : v->xlo) + k / 5.0 * v->span, v->decimals, true);
            if (axis == 0)
                fdxi_svg_label(s, x, bottom + 20, "font-size=\"12\" text-anchor=\"middle\"", tick);
            else
                fdxi_svg_label(s, v->left - 9, y + 4, "font-size=\"12\" text-anchor=\"end\"", tick);
        }
    }
    fdxi_svg_add(s, "<rect");
    fdxi_svg_attr(s, "x", v->left);
    fdxi_svg_attr(s, "y", v->top);
    fdxi_svg_attr(s, "width", ROC_PLOT);
    fdxi_svg_attr(s, "height", ROC_PLOT);
    fdxi_svg_add(s, " fill=\"none\" " AXIS_STYLE "/>\n");
    fdxi_svg_label(s, v->left + ROC_PLOT / 2, bottom + 44,
                   "font-size=\"13\" text-anchor=\"middle\"", "false positive rate");
    static const char *const widest_tick[] = {"0", "0.0", "0.00", "0.000"};
    fdxi_svg_label_turned(
        s, v->left - 16 - fdxi_svg_text_width(widest_tick[v->decimals], TEXT_SIZE, false),
        v->top + ROC_PLOT / 2, -90, "font-size=\"13\" text-anchor=\"middle\"",
        "true positive rate");
    if (v->span == 1)
        fdxi_svg_line(s, x0, y0, x0 + ROC_SCALE, y0 - ROC_SCALE, CHANCE_STYLE);
    fdxi_svg_add(s, "</g>\n");
}

/* All curves in view @p v, in group @p id. */
static void roc_curves(struct fdxi_svgbuf *s, const char *id, const struct roc_view *v,
                       const struct fdxi_svg_curve *curves, uint32_t n_curves)
{
    fdxi_svg_add(s, "<g id=\"");
    fdxi_svg_add(s, id);
    fdxi_svg_add(s, "\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\">\n");
    for (uint32_t i = 0; i < n_curves; i++) {
        struct fdxi_svgbuf d = {0};
        curve_path(&d, &curves[i], v);
        if (d.len == 0 && !d.failed)
            continue; /* wholly outside a detail view */
        fdxi_svg_add(s, "<path");
        fdxi_svg_stroke(s, i);
        fdxi_svg_add(s, " d=\"");
        if (d.failed)
            s->failed = true;
        else
            fdxi_svg_add_n(s, d.data, d.len);
        free(d.data);
        fdxi_svg_add(s, "\"><title>");
        fdxi_svg_text(s, curves[i].label);
        fdxi_svg_add(s, "</title></path>\n");
    }
    fdxi_svg_add(s, "</g>\n");
}

static void roc_legend(struct fdxi_svgbuf *s, double x, double top,
                       const struct fdxi_svg_curve *curves, uint32_t n_curves)
{
    fdxi_svg_add(s, "<g id=\"legend\" font-size=\"12\">\n");
    for (uint32_t i = 0; i <= n_curves; i++) {
        double y = top + 14 + i * ROC_ROW;
        if (i < n_curves) {
            fdxi_svg_legend_sample(s, x, y, i);
        } else {
            fdxi_svg_line(s, x, y - 4, x + ROC_SAMPLE, y - 4, CHANCE_STYLE);
        }
        fdxi_svg_label(s, x + ROC_SAMPLE + 8, y, NULL, i < n_curves ? curves[i].label : "chance");
    }
    fdxi_svg_add(s, "</g>\n");
}

int fdxi_svg_roc(const char *path, const char *title, const struct fdxi_svg_curve *curves,
                 uint32_t n_curves, char *err, size_t errlen)
{
    if (path == NULL) {
        fdxi_set_err(err, errlen, "ROC plot: no output path");
        return FDX_EINVAL;
    }
    if (curves == NULL || n_curves == 0) {
        fdxi_set_err(err, errlen, "%s: ROC plot needs at least one curve", path);
        return FDX_EINVAL;
    }
    if (n_curves > MAX_CURVES) {
        fdxi_set_err(err, errlen, "%s: %u curves is more than the ROC plot limit of %u", path,
                     n_curves, MAX_CURVES);
        return FDX_ERANGE;
    }
    int rc = roc_check(path, curves, n_curves, err, errlen);
    if (rc != 0)
        return rc;
    title = title != NULL ? title : "";
    struct roc_view full = {
        .left = MARGIN + 56, .top = MARGIN + TITLE_SIZE + 30, .span = 1, .decimals = 1};
    double z = detail_span(curves, n_curves);
    struct roc_view detail = {.left = full.left + ROC_PLOT + ROC_GAP,
                              .top = full.top,
                              .ylo = 1 - z,
                              .span = z,
                              .decimals = z < 0.05 ? 3 : 2};
    double legend_x = (z > 0 ? detail.left : full.left) + ROC_PLOT + 28;
    double label_w = fdxi_svg_text_width("chance", TEXT_SIZE, false);
    for (uint32_t i = 0; i < n_curves; i++)
        label_w = fmax(label_w, fdxi_svg_text_width(curves[i].label, TEXT_SIZE, false));
    double width = legend_x + ROC_SAMPLE + 8 + label_w + MARGIN;
    width = ceil(fmax(width, 2 * MARGIN + fdxi_svg_text_width(title, TITLE_SIZE, true)));
    double height = full.top + ROC_PLOT + 52 + MARGIN;
    height = ceil(fmax(height, full.top + (n_curves + 1) * ROC_ROW + MARGIN));

    struct fdxi_svgbuf s = {0};
    fdxi_svg_begin(&s, width, height, title);
    fdxi_svg_heading(&s, title, NULL);
    fdxi_svg_add(&s, "<g font-size=\"12\" fill=\"" INK "\">\n");
    roc_axes(&s, &full);
    roc_curves(&s, "curves", &full, curves, n_curves);
    if (z > 0) {
        /* The detail's square, outlined on the full plot, and the detail itself. */
        fdxi_svg_add(&s, "<rect");
        fdxi_svg_attr(&s, "x", full.left + ROC_PAD);
        fdxi_svg_attr(&s, "y", full.top + ROC_PAD);
        fdxi_svg_attr(&s, "width", z * ROC_SCALE);
        fdxi_svg_attr(&s, "height", z * ROC_SCALE);
        fdxi_svg_add(&s, " fill=\"none\" stroke=\"" MUTED "\" stroke-width=\"1\"/>\n");
        fdxi_svg_label(&s, detail.left, detail.top - 8, "fill=\"" MUTED "\"",
                       "detail of the top-left corner");
        roc_axes(&s, &detail);
        roc_curves(&s, "detail-curves", &detail, curves, n_curves);
    }
    roc_legend(&s, legend_x, full.top, curves, n_curves);
    fdxi_svg_add(&s, "</g>\n</svg>\n");
    rc = fdxi_svg_write(path, &s, err, errlen);
    free(s.data);
    return rc;
}
