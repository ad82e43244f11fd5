/* SPDX-License-Identifier: BSD-3-Clause */
/* The SVG document primitives shared by the plots: buffer, numbers, escaped text, shapes, files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/file.h"
#include "flowdx/flowdx.h"
#include "train/svgdoc.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the document in memory ---- */

void fdxi_svg_add_n(struct fdxi_svgbuf *s, const char *p, size_t n)
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

void fdxi_svg_add(struct fdxi_svgbuf *s, const char *p)
{
    fdxi_svg_add_n(s, p, strlen(p));
}

/*
 * A number with at most @p decimals (0 to 3) digits after the point, trailing zeros dropped
 * unless @p fixed; returns where it starts in @p b. Formatted with integers, so that the host's
 * LC_NUMERIC cannot turn the point into a comma.
 */
const char *fdxi_svg_num(char b[32], double v, int decimals, bool fixed)
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
void fdxi_svg_coord(struct fdxi_svgbuf *s, double v)
{
    char b[32];
    fdxi_svg_add(s, fdxi_svg_num(b, v, 1, false));
}

/* ` name="v"` for a coordinate. */
void fdxi_svg_attr(struct fdxi_svgbuf *s, const char *name, double v)
{
    fdxi_svg_add(s, " ");
    fdxi_svg_add(s, name);
    fdxi_svg_add(s, "=\"");
    fdxi_svg_coord(s, v);
    fdxi_svg_add(s, "\"");
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
 * well-formed document. At most FDXI_SVG_MAX_TEXT_BYTES of input are written.
 */
void fdxi_svg_text(struct fdxi_svgbuf *s, const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    const unsigned char *end = p + strnlen(t, FDXI_SVG_MAX_TEXT_BYTES);
    while (p < end) {
        size_t n = 1;
        const char *rep = NULL;
        if (*p < 0x80)
            rep = xml_replacement[*p] != NULL ? xml_replacement[*p] : *p < 0x20 ? "?" : NULL;
        else if ((n = utf8_char(p)) == 0 || p + n > end)
            rep = "?", n = 1;
        if (rep != NULL)
            fdxi_svg_add(s, rep);
        else
            fdxi_svg_add_n(s, (const char *)p, n);
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
double fdxi_svg_text_width(const char *t, double size, bool bold)
{
    uint64_t units = 0;
    const unsigned char *p = (const unsigned char *)t;
    for (size_t i = 0; p[i] != '\0' && i < FDXI_SVG_MAX_TEXT_BYTES; i++) {
        if (p[i] >= 32 && p[i] < 127)
            units += char_width[p[i] - 32];
        else if ((p[i] & 0xC0) != 0x80)          /* one per character: lead bytes only */
            units += p[i] >= 0xE3 ? 2048 : 1400; /* from U+3000 on, full width (CJK) */
    }
    return (double)units / 2048.0 * size * (bold ? 1.12 : 1.0);
}

/* ---- document frame ---- */

void fdxi_svg_begin(struct fdxi_svgbuf *s, double w, double h, const char *title)
{
    fdxi_svg_add(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");
    fdxi_svg_attr(s, "width", w);
    fdxi_svg_attr(s, "height", h);
    fdxi_svg_add(s, " viewBox=\"0 0 ");
    fdxi_svg_coord(s, w);
    fdxi_svg_add(s, " ");
    fdxi_svg_coord(s, h);
    fdxi_svg_add(s, "\" font-family=\"" FDXI_SVG_FONT_FAMILY "\">\n<title>");
    fdxi_svg_text(s, title);
    fdxi_svg_add(s, "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
}

/*
 * One line of text, turned by @p angle degrees about its anchor; @p extra is put verbatim among
 * the attributes (a constant of this file).
 */
void fdxi_svg_label_turned(struct fdxi_svgbuf *s, double x, double y, double angle,
                           const char *extra, const char *t)
{
    fdxi_svg_add(s, "<text");
    fdxi_svg_attr(s, "x", x);
    fdxi_svg_attr(s, "y", y);
    if (angle != 0) {
        fdxi_svg_add(s, " transform=\"rotate(");
        fdxi_svg_coord(s, angle);
        fdxi_svg_add(s, " ");
        fdxi_svg_coord(s, x);
        fdxi_svg_add(s, " ");
        fdxi_svg_coord(s, y);
        fdxi_svg_add(s, ")\"");
    }
    if (extra != NULL && extra[0] != '\0') {
        fdxi_svg_add(s, " ");
        fdxi_svg_add(s, extra);
    }
    fdxi_svg_add(s, ">");
    fdxi_svg_text(s, t);
    fdxi_svg_add(s, "</text>\n");
}

void fdxi_svg_label(struct fdxi_svgbuf *s, double x, double y, const char *extra, const char *t)
{
    fdxi_svg_label_turned(s, x, y, 0, extra, t);
}

void fdxi_svg_heading(struct fdxi_svgbuf *s, const char *title, const char *subtitle)
{
    fdxi_svg_label(s, FDXI_SVG_MARGIN, FDXI_SVG_MARGIN + FDXI_SVG_TITLE_SIZE * 0.8,
                   "font-size=\"18\" font-weight=\"bold\" fill=\"" FDXI_SVG_INK "\"", title);
    if (subtitle != NULL)
        fdxi_svg_label(s, FDXI_SVG_MARGIN, FDXI_SVG_MARGIN + FDXI_SVG_TITLE_SIZE + 16,
                       "font-size=\"12\" fill=\"" FDXI_SVG_MUTED "\"", subtitle);
}

void fdxi_svg_line(struct fdxi_svgbuf *s, double x1, double y1, double x2, double y2,
                   const char *style)
{
    fdxi_svg_add(s, "<line");
    fdxi_svg_attr(s, "x1", x1);
    fdxi_svg_attr(s, "y1", y1);
    fdxi_svg_attr(s, "x2", x2);
    fdxi_svg_attr(s, "y2", y2);
    fdxi_svg_add(s, " ");
    fdxi_svg_add(s, style);
    fdxi_svg_add(s, "/>\n");
}

void fdxi_svg_rect(struct fdxi_svgbuf *s, double x, double y, double w, double h, const char *fill)
{
    fdxi_svg_add(s, "<rect");
    fdxi_svg_attr(s, "x", x);
    fdxi_svg_attr(s, "y", y);
    fdxi_svg_attr(s, "width", w);
    fdxi_svg_attr(s, "height", h);
    fdxi_svg_add(s, " fill=\"");
    fdxi_svg_add(s, fill);
    fdxi_svg_add(s, "\"/>\n");
}

/* ---- writing the file ---- */

/* Write the document as fdxi_file_replace() writes: readers see either the old file or the
 * whole new one, never a part. */
int fdxi_svg_write(const char *path, const struct fdxi_svgbuf *s, char *err, size_t errlen)
{
    if (s->failed) {
        fdxi_set_err(err, errlen, "%s: out of memory building the plot", path);
        return FDX_ENOMEM;
    }
    return fdxi_file_replace(path, s->data, s->len, err, errlen);
}

/* Okabe-Ito colours (distinct for colour-blind readers) and dash patterns (distinct in grey). */
static const char *const curve_colours[7] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
};
static const char *const curve_dashes[6] = {
    NULL, "9 4", "2 3", "12 3 3 3", "5 5", "14 3 3 3 3 3",
};

void fdxi_svg_stroke(struct fdxi_svgbuf *s, uint32_t i)
{
    fdxi_svg_add(s, " stroke=\"");
    fdxi_svg_add(s, curve_colours[i % COUNT_OF(curve_colours)]);
    fdxi_svg_add(s, "\"");
    const char *dash = curve_dashes[i % COUNT_OF(curve_dashes)];
    if (dash != NULL) {
        fdxi_svg_add(s, " stroke-dasharray=\"");
        fdxi_svg_add(s, dash);
        fdxi_svg_add(s, "\"");
    }
}

const char *fdxi_svg_colour(uint32_t i)
{
    return curve_colours[i % COUNT_OF(curve_colours)];
}

void fdxi_svg_legend_sample(struct fdxi_svgbuf *s, double x, double y, uint32_t i)
{
    fdxi_svg_add(s, "<path d=\"M");
    fdxi_svg_coord(s, x);
    fdxi_svg_add(s, " ");
    fdxi_svg_coord(s, y - 4);
    fdxi_svg_add(s, "h36\" fill=\"none\" stroke-width=\"2\"");
    fdxi_svg_stroke(s, i);
    fdxi_svg_add(s, "/>\n");
}
