/* SPDX-License-Identifier: BSD-3-Clause */
/* SVG plots of training and evaluation: the correlation heatmap and the ROC curves. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "flowdx/flowdx.h"
#include "train/svg.h"

/* Limits: a 512-column heatmap is already 262,144 cells (about 20 MB of SVG). */
#define MAX_HEATMAP_COLS 512u
#define MAX_CURVES 42u /* 7 colours times 6 dash patterns, all combinations distinct */
#define MAX_TEXT_BYTES 4096u

#define FONT_FAMILY "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
#define MARGIN 20.0
#define TITLE_SIZE 18.0
#define TEXT_SIZE 12.0
#define INK "#222222"
#define MUTED "#666666"
#define NAN_FILL "#c8c8c8"
#define MARK_COLOUR "#d95f02" /* the flag circle */
#define MARK_TEXT "#a63d00"   /* a flagged name: the same hue, dark enough to read */

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the document in memory ---- */

/* A growing byte buffer; `failed` is set once an allocation fails and later writes are dropped. */
struct sbuf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

static void add_n(struct sbuf *s, const char *p, size_t n)
{
    if (s->failed)
        return;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n)
            cap *= 2;
        char *d = realloc(s->data, cap);
        if (d == NULL) {
            s->failed = true;
            return;
        }
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
}

static void add(struct sbuf *s, const char *p)
{
    add_n(s, p, strlen(p));
}

/*
 * A number with at most @p decimals (0 to 3) digits after the point, trailing zeros dropped
 * unless @p fixed; returns where it starts in @p b. Formatted with integers, so that the host's
 * LC_NUMERIC cannot turn the point into a comma.
 */
static const char *fmt_num(char b[32], double v, int decimals, bool fixed)
{
    static const long long scale[] = {1, 10, 100, 1000};
    v = !isfinite(v) ? 0 : v > 1e12 ? 1e12 : v < -1e12 ? -1e12 : v;
    long long q = llround(v * (double)scale[decimals]);
    unsigned long long u = (unsigned long long)(q < 0 ? -q : q);
    char *p = b + 31;
    *p = '\0';
    for (int k = 0; k < decimals; k++, u /= 10) {
        if (fixed || p[0] != '\0' || u % 10 != 0)
            *--p = (char)('0' + u % 10);
    }
    if (p[0] != '\0')
        *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (q < 0)
        *--p = '-';
    return p;
}

/* A coordinate or length, to a tenth of a pixel. */
static void coord(struct sbuf *s, double v)
{
    char b[32];
    add(s, fmt_num(b, v, 1, false));
}

/* ` name="v"` for a coordinate. */
static void attr(struct sbuf *s, const char *name, double v)
{
    add(s, " ");
    add(s, name);
    add(s, "=\"");
    coord(s, v);
    add(s, "\"");
}

/*
 * Length of the well-formed UTF-8 sequence at @p p that XML 1.0 allows as a character, or 0.
 * Overlong forms, surrogates, code points past U+10FFFF and U+FFFE/U+FFFF are refused.
 */
static size_t utf8_char(const unsigned char *p)
{
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (len == 0 || p[0] > 0xF4)
        return 0;
    uint32_t cp = p[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        return 0;
    return len;
}

/* What the ASCII characters that cannot stand for themselves in XML text become. */
static const char *const xml_replacement[0x80] = {
    ['&'] = "&amp;",   ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
    ['\''] = "&apos;", ['\t'] = " ",   ['\n'] = " ",   ['\r'] = " ",
};

/*
 * Text content or attribute value: the five XML special characters become entities, other
 * control characters a space or '?', and bytes that are not UTF-8 a '?', so any name gives a
 * well-formed document. At most MAX_TEXT_BYTES of input are written.
 */
static void text(struct sbuf *s, const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    const unsigned char *end = p + strnlen(t, MAX_TEXT_BYTES);
    while (p < end) {
        size_t n = 1;
        const char *rep = NULL;
        if (*p < 0x80)
            rep = xml_replacement[*p] != NULL ? xml_replacement[*p] : *p < 0x20 ? "?" : NULL;
        else if ((n = utf8_char(p)) == 0 || p + n > end)
            rep = "?", n = 1;
        if (rep != NULL)
            add(s, rep);
        else
            add_n(s, (const char *)p, n);
        p += n;
    }
}

/* ---- text metrics ---- */

/* Advance widths of DejaVu Sans, ' ' to '~', in 1/2048 em (the font's hmtx table). */
static const uint16_t char_width[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716,
};

/*
 * Estimated width of @p t at @p size pixels. There are no font metrics at hand, so it uses
 * DejaVu Sans, the widest of the fonts named (Arial and Helvetica are narrower): layouts sized
 * with it leave room for any of them. Bold is about 12 % wider.
 */
static double text_width(const char *t, double size, bool bold)
{
    uint64_t units = 0;
    const unsigned char *p = (const unsigned char *)t;
    for (size_t i = 0; p[i] != '\0' && i < MAX_TEXT_BYTES; i++) {
        if (p[i] >= 32 && p[i] < 127)
            units += char_width[p[i] - 32];
        else if ((p[i] & 0xC0) != 0x80)          /* one per character: lead bytes only */
            units += p[i] >= 0xE3 ? 2048 : 1400; /* from U+3000 on, full width (CJK) */
    }
    return (double)units / 2048.0 * size * (bold ? 1.12 : 1.0);
}

/* ---- document frame ---- */

static void begin_svg(struct sbuf *s, double w, double h, const char *title)
{
    add(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");
    attr(s, "width", w);
    attr(s, "height", h);
    add(s, " viewBox=\"0 0 ");
    coord(s, w);
    add(s, " ");
    coord(s, h);
    add(s, "\" font-family=\"" FONT_FAMILY "\">\n<title>");
    text(s, title);
    add(s, "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
}

/*
 * One line of text, turned by @p angle degrees about its anchor; @p extra is put verbatim among
 * the attributes (a constant of this file).
 */
static void label_turned(struct sbuf *s, double x, double y, double angle, const char *extra,
                         const char *t)
{
    add(s, "<text");
    attr(s, "x", x);
    attr(s, "y", y);
    if (angle != 0) {
        add(s, " transform=\"rotate(");
        coord(s, angle);
        add(s, " ");
        coord(s, x);
        add(s, " ");
        coord(s, y);
        add(s, ")\"");
    }
    if (extra != NULL && extra[0] != '\0') {
        add(s, " ");
        add(s, extra);
    }
    add(s, ">");
    text(s, t);
    add(s, "</text>\n");
}

static void label(struct sbuf *s, double x, double y, const char *extra, const char *t)
{
    label_turned(s, x, y, 0, extra, t);
}

static void heading(struct sbuf *s, const char *title, const char *subtitle)
{
    label(s, MARGIN, MARGIN + TITLE_SIZE * 0.8,
          "font-size=\"18\" font-weight=\"bold\" fill=\"" INK "\"", title);
    if (subtitle != NULL)
        label(s, MARGIN, MARGIN + TITLE_SIZE + 16, "font-size=\"12\" fill=\"" MUTED "\"", subtitle);
}

static void line(struct sbuf *s, double x1, double y1, double x2, double y2, const char *style)
{
    add(s, "<line");
    attr(s, "x1", x1);
    attr(s, "y1", y1);
    attr(s, "x2", x2);
    attr(s, "y2", y2);
    add(s, " ");
    add(s, style);
    add(s, "/>\n");
}

static void rect(struct sbuf *s, double x, double y, double w, double h, const char *fill)
{
    add(s, "<rect");
    attr(s, "x", x);
    attr(s, "y", y);
    attr(s, "width", w);
    attr(s, "height", h);
    add(s, " fill=\"");
    add(s, fill);
    add(s, "\"/>\n");
}

/* ---- writing the file ---- */

/*
 * Write the document to a temporary file beside @p path, then rename it over @p path, so that
 * readers see either the old file or the whole new one, never a part.
 */
static int write_file(const char *path, const struct sbuf *s, char *err, size_t errlen)
{
    if (s->failed) {
        fdxi_set_err(err, errlen, "%s: out of memory building the plot", path);
        return FDX_ENOMEM;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof(".XXXXXX"));
    if (tmp == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        return FDX_ENOMEM;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));
    int rc = 0;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fdxi_set_err(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(errno));
        rc = FDX_EIO;
        goto out;
    }
    const char *what = NULL;
    int saved = 0;
    for (size_t off = 0; off < s->len && what == NULL;) {
        ssize_t w = write(fd, s->data + off, s->len - off);
        if (w > 0)
            off += (size_t)w;
        else if (w == 0 || errno != EINTR)
            what = "write";
    }
    if (what == NULL && fchmod(fd, 0644) != 0)
        what = "chmod";
    if (what == NULL && fsync(fd) != 0)
        what = "fsync";
    saved = errno;
    if (close(fd) != 0 && what == NULL) {
        what = "close";
        saved = errno;
    }
    if (what == NULL && rename(tmp, path) != 0) {
        what = "rename";
        saved = errno;
    }
    if (what != NULL) {
        unlink(tmp);
        fdxi_set_err(err, errlen, "%s: %s failed: %s", path, what, strerror(saved));
        rc = FDX_EIO;
    }
out:
    free(tmp);
    return rc;
}

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
        double w = text_width(names[j], L->font, is_marked(mark, j)) + L->mark_w;
        need = fmax(need, fmax(w + HM_GAP, w * COS45 + L->font - (j + 0.5) * L->cell));
        longest = fmax(longest, w);
    }
    L->left = MARGIN + need;
    double below = HM_GAP + L->font * 0.5 + longest * COS45;
    L->legend_x = L->left + L->grid + 32;
    L->legend_w = fmax(text_width("correlation", TEXT_SIZE, false),
                       HM_BAR_W + 6 + text_width("flagged", TEXT_SIZE, false));
    L->bar_h = fmin(fmax(L->grid * 0.5, 160.0), 320.0);
    double legend_bottom = L->top + 22 + L->bar_h + 60;
    L->width = L->legend_x + L->legend_w + MARGIN;
    L->width = fmax(L->width, 2 * MARGIN + text_width(title, TITLE_SIZE, true));
    L->width = ceil(fmax(L->width, 2 * MARGIN + text_width(subtitle, TEXT_SIZE, false)));
    L->height = ceil(fmax(L->top + L->grid + below, legend_bottom) + MARGIN);
}

/* A small filled circle: the flag of a marked column. */
static void flag_dot(struct sbuf *s, double x, double y, double r)
{
    add(s, "<circle");
    attr(s, "cx", x);
    attr(s, "cy", y);
    attr(s, "r", r);
    add(s, " fill=\"" MARK_COLOUR "\"/>\n");
}

static void hm_cells(struct sbuf *s, const struct hm_layout *L, const double *corr, uint32_t n)
{
    add(s, "<g id=\"cells\"");
    if (L->cell >= 12)
        add(s, " stroke=\"#ffffff\" stroke-width=\"1\"");
    add(s, ">\n");
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++) {
            double v = corr[(size_t)i * n + j];
            char fill[8];
            if (!isfinite(v))
                snprintf(fill, sizeof(fill), "%s", NAN_FILL);
            else
                colour_of(v, fill);
            rect(s, L->left + j * L->cell, L->top + i * L->cell, L->cell, L->cell, fill);
        }
    }
    add(s, "</g>\n");
    /* Numbers when they fit; "n/a" on missing cells down to a smaller size. */
    double vf = L->value_font > 0 ? L->value_font : L->cell >= 12 ? L->cell * 0.34 : 0;
    if (vf <= 0)
        return;
    add(s, "<g id=\"values\" text-anchor=\"middle\" font-size=\"");
    coord(s, vf);
    add(s, "\">\n");
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++) {
            double v = corr[(size_t)i * n + j];
            double x = L->left + (j + 0.5) * L->cell, y = L->top + (i + 0.5) * L->cell + vf * 0.36;
            if (!isfinite(v)) {
                label(s, x, y, "fill=\"#404040\"", "n/a");
            } else if (L->value_font > 0) {
                char b[32];
                label(s, x, y, fabs(v) >= 0.6 ? "fill=\"#ffffff\"" : "fill=\"" INK "\"",
                      fmt_num(b, v, 2, true));
            }
        }
    }
    add(s, "</g>\n");
}

static void hm_names(struct sbuf *s, const struct hm_layout *L, uint32_t n,
                     const char *const *names, const bool *mark)
{
    double f = L->font, r = f * 0.3;
    add(s, "<g id=\"rows\" text-anchor=\"end\" font-size=\"");
    coord(s, f);
    add(s, "\" fill=\"" INK "\">\n");
    for (uint32_t i = 0; i < n; i++) {
        double x = L->left - HM_GAP - L->mark_w, y = L->top + (i + 0.5) * L->cell + f * 0.36;
        bool m = is_marked(mark, i);
        label(s, x, y, m ? "font-weight=\"bold\" fill=\"" MARK_TEXT "\"" : NULL, names[i]);
        if (m)
            flag_dot(s, L->left - HM_GAP - L->mark_w * 0.45, y - f * 0.36, r);
    }
    add(s, "</g>\n<g id=\"columns\" text-anchor=\"end\" font-size=\"");
    coord(s, f);
    add(s, "\" fill=\"" INK "\">\n");
    for (uint32_t j = 0; j < n; j++) {
        /* Shifted across the slant so that the letters, not the baseline, centre on the column. */
        double ax = L->left + (j + 0.5) * L->cell + f * 0.25, ay = L->top + L->grid + HM_GAP;
        bool m = is_marked(mark, j);
        label_turned(s, ax - L->mark_w * COS45, ay + L->mark_w * COS45, -45,
                     m ? "font-weight=\"bold\" fill=\"" MARK_TEXT "\"" : NULL, names[j]);
        if (m) {
            /* The circle sits on the slanted line just past the end of the name. */
            double d = L->mark_w * 0.45;
            flag_dot(s, ax - d * COS45 - f * 0.36 * COS45, ay + d * COS45 - f * 0.36 * COS45, r);
        }
    }
    add(s, "</g>\n");
}

static void hm_legend(struct sbuf *s, const struct hm_layout *L, bool any_mark)
{
    double x = L->legend_x, y = L->top + 22, bar_h = L->bar_h;
    label(s, x, L->top + 10, "font-size=\"12\" fill=\"" INK "\"", "correlation");
    add(s, "<defs><linearGradient id=\"fdx-diverging\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
    for (size_t k = 0; k < COUNT_OF(diverging); k++) {
        char c[8];
        snprintf(c, sizeof(c), "#%02x%02x%02x", diverging[k][0], diverging[k][1], diverging[k][2]);
        char b[32];
        add(s, "<stop offset=\"");
        add(s, fmt_num(b, (double)k / 6.0, 3, false));
        add(s, "\" stop-color=\"");
        add(s, c);
        add(s, "\"/>");
    }
    add(s, "</linearGradient></defs>\n");
    rect(s, x, y, HM_BAR_W, bar_h, "url(#fdx-diverging)");
    static const char *const ticks[] = {"1", "0.5", "0", "-0.5", "-1"};
    for (size_t k = 0; k < COUNT_OF(ticks); k++) {
        double ty = y + bar_h * (double)k / 4.0;
        line(s, x + HM_BAR_W, ty, x + HM_BAR_W + 4, ty, "stroke=\"" INK "\" stroke-width=\"1\"");
        label(s, x + HM_BAR_W + 7, ty + 4, "font-size=\"11\" fill=\"" INK "\"", ticks[k]);
    }
    y += bar_h + 24;
    rect(s, x, y, HM_BAR_W, HM_BAR_W, NAN_FILL);
    label(s, x + HM_BAR_W + 6, y + 11, "font-size=\"12\" fill=\"" INK "\"", "n/a");
    if (any_mark) {
        y += 24;
        flag_dot(s, x + HM_BAR_W / 2, y + HM_BAR_W / 2, TEXT_SIZE * 0.3);
        label(s, x + HM_BAR_W + 6, y + 11, "font-size=\"12\" fill=\"" MARK_TEXT "\"", "flagged");
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
    struct sbuf s = {0};
    begin_svg(&s, L.width, L.height, title);
    heading(&s, title, subtitle);
    hm_cells(&s, &L, corr, n);
    hm_names(&s, &L, n, names, mark);
    hm_legend(&s, &L, n_marked > 0);
    add(&s, "</svg>\n");
    int rc = write_file(path, &s, err, errlen);
    free(s.data);
    return rc;
}

/* ---- ROC curves ---- */

/* Okabe-Ito colours (distinct for colour-blind readers) and dash patterns (distinct in grey). */
static const char *const curve_colours[7] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
};
static const char *const curve_dashes[6] = {
    NULL, "9 4", "2 3", "12 3 3 3", "5 5", "14 3 3 3 3 3",
};

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

/* The stroke of curve @p i: a colour and a dash pattern, each cycling with its own period. */
static void curve_stroke(struct sbuf *s, uint32_t i)
{
    add(s, " stroke=\"");
    add(s, curve_colours[i % COUNT_OF(curve_colours)]);
    add(s, "\"");
    const char *dash = curve_dashes[i % COUNT_OF(curve_dashes)];
    if (dash != NULL) {
        add(s, " stroke-dasharray=\"");
        add(s, dash);
        add(s, "\"");
    }
}

/*
 * Path data being written, in half pixels from the window's corner, y up. A vertex is held back
 * (pending) while the next ones continue its straight line in the same direction, so a run of
 * collinear points is written as its two ends.
 */
struct pen {
    struct sbuf *s;
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
    add_n(p->s, &cmd, 1);
    if (cmd != 'V')
        coord(p->s, p->x0 + x / 2.0);
    if (cmd == 'M' || cmd == 'L')
        add(p->s, " ");
    if (cmd != 'H')
        coord(p->s, p->y0 - y / 2.0);
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
static void curve_path(struct sbuf *s, const struct fdxi_svg_curve *c, const struct roc_view *v)
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
static void roc_axes(struct sbuf *s, const struct roc_view *v)
{
    double x0 = v->left + ROC_PAD, y0 = v->top + ROC_PLOT - ROC_PAD, bottom = v->top + ROC_PLOT;
    add(s, "<g>\n");
    for (int k = 0; k <= 5; k++) {
        double x = x0 + k / 5.0 * ROC_SCALE, y = y0 - k / 5.0 * ROC_SCALE;
        line(s, x, v->top, x, bottom, GRID_STYLE);
        line(s, v->left, y, v->left + ROC_PLOT, y, GRID_STYLE);
        line(s, x, bottom, x, bottom + 5, AXIS_STYLE);
        line(s, v->left - 5, y, v->left, y, AXIS_STYLE);
        for (int axis = 0; axis < 2; axis++) {
            char b[32];
            const char *tick =
                fmt_num(b, (axis ? v->ylo : v->xlo) + k / 5.0 * v->span, v->decimals, true);
            if (axis == 0)
                label(s, x, bottom + 20, "font-size=\"12\" text-anchor=\"middle\"", tick);
            else
                label(s, v->left - 9, y + 4, "font-size=\"12\" text-anchor=\"end\"", tick);
        }
    }
    add(s, "<rect");
    attr(s, "x", v->left);
    attr(s, "y", v->top);
    attr(s, "width", ROC_PLOT);
    attr(s, "height", ROC_PLOT);
    add(s, " fill=\"none\" " AXIS_STYLE "/>\n");
    label(s, v->left + ROC_PLOT / 2, bottom + 44, "font-size=\"13\" text-anchor=\"middle\"",
          "false positive rate");
    static const char *const widest_tick[] = {"0", "0.0", "0.00", "0.000"};
    label_turned(s, v->left - 16 - text_width(widest_tick[v->decimals], TEXT_SIZE, false),
                 v->top + ROC_PLOT / 2, -90, "font-size=\"13\" text-anchor=\"middle\"",
                 "true positive rate");
    if (v->span == 1)
        line(s, x0, y0, x0 + ROC_SCALE, y0 - ROC_SCALE, CHANCE_STYLE);
    add(s, "</g>\n");
}

/* All curves in view @p v, in group @p id. */
static void roc_curves(struct sbuf *s, const char *id, const struct roc_view *v,
                       const struct fdxi_svg_curve *curves, uint32_t n_curves)
{
    add(s, "<g id=\"");
    add(s, id);
    add(s, "\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\">\n");
    for (uint32_t i = 0; i < n_curves; i++) {
        struct sbuf d = {0};
        curve_path(&d, &curves[i], v);
        if (d.len == 0 && !d.failed)
            continue; /* wholly outside a detail view */
        add(s, "<path");
        curve_stroke(s, i);
        add(s, " d=\"");
        if (d.failed)
            s->failed = true;
        else
            add_n(s, d.data, d.len);
        free(d.data);
        add(s, "\"><title>");
        text(s, curves[i].label);
        add(s, "</title></path>\n");
    }
    add(s, "</g>\n");
}

static void roc_legend(struct sbuf *s, double x, double top, const struct fdxi_svg_curve *curves,
                       uint32_t n_curves)
{
    add(s, "<g id=\"legend\" font-size=\"12\">\n");
    for (uint32_t i = 0; i <= n_curves; i++) {
        double y = top + 14 + i * ROC_ROW;
        if (i < n_curves) {
            add(s, "<path d=\"M");
            coord(s, x);
            add(s, " ");
            coord(s, y - 4);
            add(s, "h36\" fill=\"none\" stroke-width=\"2\"");
            curve_stroke(s, i);
            add(s, "/>\n");
        } else {
            line(s, x, y - 4, x + ROC_SAMPLE, y - 4, CHANCE_STYLE);
        }
        label(s, x + ROC_SAMPLE + 8, y, NULL, i < n_curves ? curves[i].label : "chance");
    }
    add(s, "</g>\n");
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
    double label_w = text_width("chance", TEXT_SIZE, false);
    for (uint32_t i = 0; i < n_curves; i++)
        label_w = fmax(label_w, text_width(curves[i].label, TEXT_SIZE, false));
    double width = legend_x + ROC_SAMPLE + 8 + label_w + MARGIN;
    width = ceil(fmax(width, 2 * MARGIN + text_width(title, TITLE_SIZE, true)));
    double height = full.top + ROC_PLOT + 52 + MARGIN;
    height = ceil(fmax(height, full.top + (n_curves + 1) * ROC_ROW + MARGIN));

    struct sbuf s = {0};
    begin_svg(&s, width, height, title);
    heading(&s, title, NULL);
    add(&s, "<g font-size=\"12\" fill=\"" INK "\">\n");
    roc_axes(&s, &full);
    roc_curves(&s, "curves", &full, curves, n_curves);
    if (z > 0) {
        /* The detail's square, outlined on the full plot, and the detail itself. */
        add(&s, "<rect");
        attr(&s, "x", full.left + ROC_PAD);
        attr(&s, "y", full.top + ROC_PAD);
        attr(&s, "width", z * ROC_SCALE);
        attr(&s, "height", z * ROC_SCALE);
        add(&s, " fill=\"none\" stroke=\"" MUTED "\" stroke-width=\"1\"/>\n");
        label(&s, detail.left, detail.top - 8, "fill=\"" MUTED "\"",
              "detail of the top-left corner");
        roc_axes(&s, &detail);
        roc_curves(&s, "detail-curves", &detail, curves, n_curves);
    }
    roc_legend(&s, legend_x, full.top, curves, n_curves);
    add(&s, "</g>\n</svg>\n");
    rc = write_file(path, &s, err, errlen);
    free(s.data);
    return rc;
}
