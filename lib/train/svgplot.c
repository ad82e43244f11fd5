/* SPDX-License-Identifier: BSD-3-Clause */
/* SVG charts of the analyses: horizontal bars, lines over numbers or names, normal densities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_analysis.h"
#include "train/svg.h"
#include "train/svgdoc.h"

#define MARGIN FDXI_SVG_MARGIN
#define TEXT_SIZE FDXI_SVG_TEXT_SIZE
#define INK FDXI_SVG_INK
#define MUTED FDXI_SVG_MUTED
#define TOP (MARGIN + FDXI_SVG_TITLE_SIZE + 16 + 26) /* below the heading */
#define AXIS_STYLE "stroke=\"" INK "\" stroke-width=\"1\""
#define GRID_STYLE "stroke=\"#e3e3e3\" stroke-width=\"1\""
#define MARK_STYLE "stroke=\"#999999\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\""
#define COS45 0.70710678118654752

/* Limits that keep a chart readable and its file small. */
#define MAX_BARS 4096u
#define MAX_POINTS 4096u
#define MAX_PANELS FDX_ANALYSIS_SVG_MAX_PANELS
#define DENSITY_SAMPLES 160u

/* ---- axes ---- */

/* Ticks of a linear axis: from lo to hi (inclusive) every step. */
struct ticks {
    double lo, hi, step;
    int decimals; /* of the labels, 0 to 3 */
};

/*
 * "Nice" ticks covering [a, b]: a step of 1, 2 or 5 times a power of ten giving about @p want
 * intervals, the ends rounded outwards to it. An empty range is widened to show its value.
 */
static struct ticks nice_ticks(double a, double b, int want)
{
    if (!(b > a)) {
        double w = fabs(a) > 0 ? fabs(a) * 0.1 : 1.0;
        a -= w;
        b += w;
    }
    double raw = (b - a) / want, p = pow(10.0, floor(log10(raw))), f = raw / p;
    double step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * p;
    struct ticks t = {floor(a / step) * step, ceil(b / step) * step, step, 0};
    int dec = (int)-floor(log10(step) + 1e-9);
    t.decimals = dec < 0 ? 0 : dec > 3 ? 3 : dec;
    return t;
}

static uint32_t tick_count(const struct ticks *t)
{
    return (uint32_t)lround((t->hi - t->lo) / t->step) + 1;
}

static double tick_at(const struct ticks *t, uint32_t i)
{
    return t->lo + i * t->step;
}

/* Width of the widest tick label. */
static double tick_width(const struct ticks *t)
{
    double w = 0;
    for (uint32_t i = 0; i < tick_count(t); i++) {
        char b[32];
        w = fmax(w, fdxi_svg_text_width(fdxi_svg_num(b, tick_at(t, i), t->decimals, true),
                                        TEXT_SIZE, false));
    }
    return w;
}

/* The frame of a plot: its corner on the page, its size, and the data window it shows. */
struct frame {
    double left, top, w, h;
    double xlo, xhi, ylo, yhi;
};

static double px(const struct frame *f, double x)
{
    return f->left + (x - f->xlo) / (f->xhi - f->xlo) * f->w;
}

static double py(const struct frame *f, double y)
{
    return f->top + f->h - (y - f->ylo) / (f->yhi - f->ylo) * f->h;
}

/* Grid lines and labels of the y ticks (left of the frame), and the frame. */
static void y_axis(struct fdxi_svgbuf *s, const struct frame *f, const struct ticks *t, bool labels)
{
    for (uint32_t i = 0; i < tick_count(t); i++) {
        double y = py(f, tick_at(t, i));
        fdxi_svg_line(s, f->left, y, f->left + f->w, y, GRID_STYLE);
        if (!labels)
            continue;
        char b[32];
        fdxi_svg_line(s, f->left - 5, y, f->left, y, AXIS_STYLE);
        fdxi_svg_label(s, f->left - 8, y + 4, "text-anchor=\"end\"",
                       fdxi_svg_num(b, tick_at(t, i), t->decimals, true));
    }
}

/* Grid lines and labels of numeric x ticks (below the frame). */
static void x_axis(struct fdxi_svgbuf *s, const struct frame *f, const struct ticks *t)
{
    for (uint32_t i = 0; i < tick_count(t); i++) {
        double x = px(f, tick_at(t, i));
        char b[32];
        fdxi_svg_line(s, x, f->top, x, f->top + f->h, GRID_STYLE);
        fdxi_svg_line(s, x, f->top + f->h, x, f->top + f->h + 5, AXIS_STYLE);
        fdxi_svg_label(s, x, f->top + f->h + 18, "text-anchor=\"middle\"",
                       fdxi_svg_num(b, tick_at(t, i), t->decimals, true));
    }
}

static void outline(struct fdxi_svgbuf *s, const struct frame *f)
{
    fdxi_svg_add(s, "<rect");
    fdxi_svg_attr(s, "x", f->left);
    fdxi_svg_attr(s, "y", f->top);
    fdxi_svg_attr(s, "width", f->w);
    fdxi_svg_attr(s, "height", f->h);
    fdxi_svg_add(s, " fill=\"none\" " AXIS_STYLE "/>\n");
}

static void circle(struct fdxi_svgbuf *s, double x, double y, double r, const char *fill)
{
    fdxi_svg_add(s, "<circle");
    fdxi_svg_attr(s, "cx", x);
    fdxi_svg_attr(s, "cy", y);
    fdxi_svg_attr(s, "r", r);
    fdxi_svg_add(s, " fill=\"");
    fdxi_svg_add(s, fill);
    fdxi_svg_add(s, "\"/>\n");
}

/* A legend of series strokes, one line each, from (x, top). */
static void legend(struct fdxi_svgbuf *s, double x, double top, const char *const *labels,
                   uint32_t n)
{
    fdxi_svg_add(s, "<g id=\"legend\">\n");
    for (uint32_t i = 0; i < n; i++) {
        double y = top + 14 + i * 22.0;
        fdxi_svg_legend_sample(s, x, y, i);
        fdxi_svg_label(s, x + 44, y, NULL, labels[i]);
    }
    fdxi_svg_add(s, "</g>\n");
}

static double legend_width(const char *const *labels, uint32_t n)
{
    double w = 0;
    for (uint32_t i = 0; i < n; i++)
        w = fmax(w, fdxi_svg_text_width(labels[i], TEXT_SIZE, false));
    return n > 0 ? 44 + w : 0;
}

static int finish(const char *path, struct fdxi_svgbuf *s, char *err, size_t errlen)
{
    fdxi_svg_add(s, "</g>\n</svg>\n");
    int rc = fdxi_svg_write(path, s, err, errlen);
    free(s->data);
    return rc;
}

static void begin(struct fdxi_svgbuf *s, double w, double h, const char *title,
                  const char *subtitle)
{
    fdxi_svg_begin(s, w, h, title);
    fdxi_svg_heading(s, title, subtitle);
    fdxi_svg_add(s, "<g font-size=\"12\" fill=\"" INK "\">\n");
}

static double title_width(const char *title, const char *subtitle)
{
    return fmax(fdxi_svg_text_width(title, FDXI_SVG_TITLE_SIZE, true),
                subtitle != NULL ? fdxi_svg_text_width(subtitle, TEXT_SIZE, false) : 0);
}

/* ---- horizontal bars ---- */

#define BAR_ROW 18.0
#define BAR_AREA 420.0

int fdxi_svg_bars(const char *path, const char *title, const char *subtitle,
                  const char *const *names, const double *values, uint32_t n,
                  const char *axis_label, char *err, size_t errlen)
{
    if (path == NULL || names == NULL || values == NULL || n == 0) {
        fdxi_set_err(err, errlen, "%s: a bar chart needs at least one named value",
                     path != NULL ? path : "bar chart");
        return FDX_EINVAL;
    }
    if (n > MAX_BARS) {
        fdxi_set_err(err, errlen, "%s: %u bars is more than the limit of %u", path, n, MAX_BARS);
        return FDX_ERANGE;
    }
    double vmax = 0, name_w = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (names[i] == NULL || !isfinite(values[i]) || values[i] < 0) {
            fdxi_set_err(err, errlen, "%s: bar %u needs a name and a finite value >= 0", path, i);
            return FDX_EINVAL;
        }
        vmax = fmax(vmax, values[i]);
        name_w = fmax(name_w, fdxi_svg_text_width(names[i], TEXT_SIZE, false));
    }
    title = title != NULL ? title : "";
    struct ticks t = nice_ticks(0, vmax > 0 ? vmax : 1, 5);
    t.lo = 0;
    struct frame f = {.left = MARGIN + name_w + 10,
                      .top = TOP,
                      .w = BAR_AREA,
                      .h = n * BAR_ROW,
                      .xlo = 0,
                      .xhi = t.hi,
                      .ylo = 0,
                      .yhi = 1};
    double width =
        ceil(fmax(f.left + f.w + 60 + MARGIN, 2 * MARGIN + title_width(title, subtitle)));
    double height = ceil(f.top + f.h + 50 + MARGIN);
    struct fdxi_svgbuf s = {0};
    begin(&s, width, height, title, subtitle);
    x_axis(&s, &f, &t);
    fdxi_svg_add(&s, "<g id=\"bars\">\n");
    for (uint32_t i = 0; i < n; i++) {
        double y = f.top + i * BAR_ROW;
        fdxi_svg_label(&s, f.left - 6, y + BAR_ROW / 2 + 4, "text-anchor=\"end\"", names[i]);
        fdxi_svg_rect(&s, f.left, y + 3, px(&f, values[i]) - f.left, BAR_ROW - 6, "#0072b2");
        char b[32];
        fdxi_svg_label(&s, px(&f, values[i]) + 4, y + BAR_ROW / 2 + 4,
                       "font-size=\"10\" fill=\"" MUTED "\"", fdxi_svg_num(b, values[i], 1, false));
    }
    fdxi_svg_add(&s, "</g>\n");
    outline(&s, &f);
    if (axis_label != NULL)
        fdxi_svg_label(&s, f.left + f.w / 2, f.top + f.h + 40,
                       "font-size=\"13\" text-anchor=\"middle\"", axis_label);
    return finish(path, &s, err, errlen);
}

/* ---- lines ---- */

#define LINE_W 600.0
#define LINE_H 320.0

static int lines_check(const char *path, const struct fdxi_svg_lines *p, char *err, size_t errlen)
{
    if (p->n_x == 0 || (p->x == NULL && p->x_names == NULL) || p->series == NULL ||
        p->n_series == 0) {
        fdxi_set_err(err, errlen, "%s: a line chart needs x positions and at least one series",
                     path);
        return FDX_EINVAL;
    }
    if (p->n_x > MAX_POINTS || p->n_series > FDXI_SVG_MAX_STROKES) {
        fdxi_set_err(err, errlen, "%s: %u points or %u series is more than the limit (%u, %u)",
                     path, p->n_x, p->n_series, MAX_POINTS, FDXI_SVG_MAX_STROKES);
        return FDX_ERANGE;
    }
    for (uint32_t i = 0; i < p->n_x; i++) {
        if (p->x != NULL ? !isfinite(p->x[i]) : p->x_names[i] == NULL) {
            fdxi_set_err(err, errlen, "%s: x position %u is not a finite number or a name", path,
                         i);
            return FDX_EINVAL;
        }
    }
    for (uint32_t k = 0; k < p->n_series; k++) {
        if (p->series[k].label == NULL || p->series[k].y == NULL) {
            fdxi_set_err(err, errlen, "%s: series %u needs a label and values", path, k);
            return FDX_EINVAL;
        }
        for (uint32_t i = 0; i < p->n_x; i++) {
            if (isinf(p->series[k].y[i])) {
                fdxi_set_err(err, errlen, "%s: series %u, point %u is infinite", path, k, i);
                return FDX_EINVAL;
            }
        }
    }
    return 0;
}

/* x of position i: its number, or evenly spaced names. */
static double line_x(const struct fdxi_svg_lines *p, const struct frame *f, uint32_t i)
{
    return p->x != NULL ? px(f, p->x[i]) : px(f, (double)i);
}

int fdxi_svg_lines(const char *path, const struct fdxi_svg_lines *p, char *err, size_t errlen)
{
    if (path == NULL || p == NULL) {
        fdxi_set_err(err, errlen, "line chart: no output path or contents");
        return FDX_EINVAL;
    }
    int rc = lines_check(path, p, err, errlen);
    if (rc != 0)
        return rc;
    const char *title = p->title != NULL ? p->title : "";
    double ylo = INFINITY, yhi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
    for (uint32_t k = 0; k < p->n_series; k++) {
        for (uint32_t i = 0; i < p->n_x; i++) {
            double v = p->series[k].y[i];
            ylo = isnan(v) ? ylo : fmin(ylo, v);
            yhi = isnan(v) ? yhi : fmax(yhi, v);
        }
    }
    if (!isnan(p->y_min))
        ylo = p->y_min;
    if (!isnan(p->y_max))
        yhi = p->y_max;
    if (!(ylo <= yhi))
        ylo = yhi = 0;
    struct ticks ty = nice_ticks(ylo, yhi, 5), tx = {0};
    if (p->x != NULL) {
        for (uint32_t i = 0; i < p->n_x; i++) {
            xlo = fmin(xlo, p->x[i]);
            xhi = fmax(xhi, p->x[i]);
        }
        tx = nice_ticks(xlo, xhi, 8);
        /* Whole numbers (such as k) need no ticks between them. */
        if (tx.step < 1 && floor(xlo) == xlo && floor(xhi) == xhi)
            tx = (struct ticks){xlo, xhi > xlo ? xhi : xlo + 1, 1, 0};
    }
    /* Room below the frame: numbers, or names slanted at 45 degrees. */
    double below = 44;
    if (p->x == NULL) {
        double longest = 0;
        for (uint32_t i = 0; i < p->n_x; i++)
            longest = fmax(longest, fdxi_svg_text_width(p->x_names[i], TEXT_SIZE, false));
        below = 12 + longest * COS45 + 24;
    }
    const char *labels[FDXI_SVG_MAX_STROKES];
    for (uint32_t k = 0; k < p->n_series; k++)
        labels[k] = p->series[k].label;
    double cat_w = p->x == NULL ? fmax(LINE_W, p->n_x * 16.0) : LINE_W;
    struct frame f = {.left = MARGIN + 30 + tick_width(&ty),
                      .top = TOP,
                      .w = cat_w,
                      .h = LINE_H,
                      .xlo = p->x != NULL ? tx.lo : -0.5,
                      .xhi = p->x != NULL ? tx.hi : p->n_x - 0.5,
                      .ylo = ty.lo,
                      .yhi = ty.hi};
    double legend_x = f.left + f.w + 24;
    double width = legend_x + legend_width(labels, p->n_series) + MARGIN;
    width = ceil(fmax(width, 2 * MARGIN + title_width(title, p->subtitle)));
    double height = ceil(fmax(f.top + f.h + below, f.top + 22.0 * p->n_series + 20) + MARGIN);

    struct fdxi_svgbuf s = {0};
    begin(&s, width, height, title, p->subtitle);
    y_axis(&s, &f, &ty, true);
    if (p->x != NULL) {
        x_axis(&s, &f, &tx);
    } else {
        for (uint32_t i = 0; i < p->n_x; i++) {
            double x = px(&f, (double)i);
            fdxi_svg_line(&s, x, f.top, x, f.top + f.h, GRID_STYLE);
            fdxi_svg_label_turned(&s, x + 4, f.top + f.h + 12, -45, "text-anchor=\"end\"",
                                  p->x_names[i]);
        }
    }
    if (p->mark < p->n_x) {
        double x = line_x(p, &f, p->mark);
        fdxi_svg_line(&s, x, f.top, x, f.top + f.h, MARK_STYLE);
        if (p->mark_label != NULL)
            fdxi_svg_label(&s, x + 4, f.top + 14, "fill=\"" MUTED "\"", p->mark_label);
    }
    fdxi_svg_add(&s, "<g id=\"series\" fill=\"none\" stroke-width=\"2\" "
                     "stroke-linejoin=\"round\">\n");
    for (uint32_t k = 0; k < p->n_series; k++) {
        const double *y = p->series[k].y;
        bool open = false, any = false;
        for (uint32_t i = 0; i < p->n_x; i++) {
            if (isnan(y[i])) {
                open = false;
                continue;
            }
            if (!any) {
                fdxi_svg_add(&s, "<path");
                fdxi_svg_stroke(&s, k);
                fdxi_svg_add(&s, " d=\"");
                any = true;
            }
            fdxi_svg_add(&s, open ? " L" : " M");
            fdxi_svg_coord(&s, line_x(p, &f, i));
            fdxi_svg_add(&s, " ");
            fdxi_svg_coord(&s, py(&f, y[i]));
            open = true;
        }
        if (any) {
            fdxi_svg_add(&s, "\"><title>");
            fdxi_svg_text(&s, labels[k]);
            fdxi_svg_add(&s, "</title></path>\n");
        }
    }
    fdxi_svg_add(&s, "</g>\n<g id=\"points\">\n");
    for (uint32_t k = 0; k < p->n_series; k++) {
        for (uint32_t i = 0; i < p->n_x && p->n_x <= 200; i++) {
            if (!isnan(p->series[k].y[i]))
                circle(&s, line_x(p, &f, i), py(&f, p->series[k].y[i]), 2.5, fdxi_svg_colour(k));
        }
    }
    fdxi_svg_add(&s, "</g>\n");
    outline(&s, &f);
    if (p->x_label != NULL && p->x != NULL)
        fdxi_svg_label(&s, f.left + f.w / 2, f.top + f.h + 38,
                       "font-size=\"13\" text-anchor=\"middle\"", p->x_label);
    if (p->y_label != NULL)
        fdxi_svg_label_turned(&s, f.left - 18 - tick_width(&ty), f.top + f.h / 2, -90,
                              "font-size=\"13\" text-anchor=\"middle\"", p->y_label);
    legend(&s, legend_x, f.top, labels, p->n_series);
    return finish(path, &s, err, errlen);
}

/* ---- normal densities ---- */

#define PANEL_W 320.0
#define PANEL_H 180.0
#define PANEL_GAP_X 40.0
#define PANEL_GAP_Y 70.0

static double normal_pdf(double x, double mean, double sd)
{
    double z = (x - mean) / sd;
    return exp(-0.5 * z * z) / (sd * 2.5066282746310002);
}

/* The x window of a panel: every group's mean +- 4 standard deviations. */
static void panel_window(const struct fdxi_svg_density_panel *p, uint32_t n_groups, double *lo,
                         double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (uint32_t g = 0; g < n_groups; g++) {
        *lo = fmin(*lo, p->mean[g] - 4 * p->sd[g]);
        *hi = fmax(*hi, p->mean[g] + 4 * p->sd[g]);
    }
}

static void density_panel(struct fdxi_svgbuf *s, const struct frame *area,
                          const struct fdxi_svg_density_panel *p, uint32_t n_groups)
{
    double lo, hi;
    panel_window(p, n_groups, &lo, &hi);
    struct ticks tx = nice_ticks(lo, hi, 4);
    double peak = 0;
    for (uint32_t g = 0; g < n_groups; g++) {
        if (p->sd[g] > 0)
            peak = fmax(peak, normal_pdf(p->mean[g], p->mean[g], p->sd[g]));
    }
    struct frame f = *area;
    f.xlo = tx.lo;
    f.xhi = tx.hi;
    f.ylo = 0;
    f.yhi = peak > 0 ? peak * 1.08 : 1;
    fdxi_svg_label(s, f.left, f.top - 8, "font-weight=\"bold\"", p->name);
    x_axis(s, &f, &tx);
    fdxi_svg_add(s, "<g fill=\"none\" stroke-width=\"2\">\n");
    for (uint32_t g = 0; g < n_groups; g++) {
        fdxi_svg_add(s, "<path");
        fdxi_svg_stroke(s, g);
        fdxi_svg_add(s, " d=\"");
        if (!(p->sd[g] > 0)) {
            /* A constant feature in the group: a spike at its value. */
            fdxi_svg_add(s, "M");
            fdxi_svg_coord(s, px(&f, p->mean[g]));
            fdxi_svg_add(s, " ");
            fdxi_svg_coord(s, f.top + f.h);
            fdxi_svg_add(s, " V");
            fdxi_svg_coord(s, f.top);
        } else {
            for (uint32_t i = 0; i <= DENSITY_SAMPLES; i++) {
                double x = f.xlo + (f.xhi - f.xlo) * i / DENSITY_SAMPLES;
                fdxi_svg_add(s, i == 0 ? "M" : " L");
                fdxi_svg_coord(s, px(&f, x));
                fdxi_svg_add(s, " ");
                fdxi_svg_coord(s, py(&f, normal_pdf(x, p->mean[g], p->sd[g])));
            }
        }
        fdxi_svg_add(s, "\"/>\n");
    }
    fdxi_svg_add(s, "</g>\n");
    outline(s, &f);
}

int fdxi_svg_densities(const char *path, const char *title, const char *subtitle,
                       const struct fdxi_svg_density_panel *panels, uint32_t n_panels,
                       const char *const *group_names, uint32_t n_groups, char *err, size_t errlen)
{
    if (path == NULL || panels == NULL || n_panels == 0 || group_names == NULL || n_groups == 0) {
        fdxi_set_err(err, errlen, "%s: a density chart needs panels and groups",
                     path != NULL ? path : "density chart");
        return FDX_EINVAL;
    }
    if (n_panels > MAX_PANELS || n_groups > FDXI_SVG_MAX_STROKES) {
        fdxi_set_err(err, errlen, "%s: %u panels or %u groups is more than the limit (%u, %u)",
                     path, n_panels, n_groups, MAX_PANELS, FDXI_SVG_MAX_STROKES);
        return FDX_ERANGE;
    }
    for (uint32_t k = 0; k < n_panels; k++) {
        if (panels[k].name == NULL || panels[k].mean == NULL || panels[k].sd == NULL) {
            fdxi_set_err(err, errlen, "%s: panel %u needs a name, means and deviations", path, k);
            return FDX_EINVAL;
        }
        for (uint32_t g = 0; g < n_groups; g++) {
            if (!isfinite(panels[k].mean[g]) || !isfinite(panels[k].sd[g]) || panels[k].sd[g] < 0) {
                fdxi_set_err(err, errlen,
                             "%s: panel %u ('%.64s'), group %u: mean or deviation "
                             "not a finite number (deviation >= 0)",
                             path, k, panels[k].name, g);
                return FDX_EINVAL;
            }
        }
    }
    for (uint32_t g = 0; g < n_groups; g++) {
        if (group_names[g] == NULL) {
            fdxi_set_err(err, errlen, "%s: group %u has no name", path, g);
            return FDX_EINVAL;
        }
    }
    title = title != NULL ? title : "";
    uint32_t cols = n_panels < 2 ? 1 : 2, rows = (n_panels + cols - 1) / cols;
    double left = MARGIN + 10, top = TOP + 10;
    double legend_x = left + cols * PANEL_W + (cols - 1) * PANEL_GAP_X + 28;
    double width = legend_x + legend_width(group_names, n_groups) + MARGIN;
    width = ceil(fmax(width, 2 * MARGIN + title_width(title, subtitle)));
    double height = top + rows * (PANEL_H + PANEL_GAP_Y) + MARGIN;
    height = ceil(fmax(height, top + 22.0 * n_groups + 20 + MARGIN));
    struct fdxi_svgbuf s = {0};
    begin(&s, width, height, title, subtitle);
    for (uint32_t k = 0; k < n_panels; k++) {
        struct frame area = {.left = left + (k % cols) * (PANEL_W + PANEL_GAP_X),
                             .top = top + (k / cols) * (PANEL_H + PANEL_GAP_Y),
                             .w = PANEL_W,
                             .h = PANEL_H};
        fdxi_svg_add(&s, "<g class=\"panel\">\n");
        density_panel(&s, &area, &panels[k], n_groups);
        fdxi_svg_add(&s, "</g>\n");
    }
    legend(&s, legend_x, top, group_names, n_groups);
    return finish(path, &s, err, errlen);
}
