/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the SVG document primitives that every plot of flowdx is built from. */
#ifndef FDX_LIB_TRAIN_SVGDOC_H
#define FDX_LIB_TRAIN_SVGDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDXI_SVG_FONT_FAMILY "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
#define FDXI_SVG_MARGIN 20.0
#define FDXI_SVG_TITLE_SIZE 18.0
#define FDXI_SVG_TEXT_SIZE 12.0
#define FDXI_SVG_INK "#222222"
#define FDXI_SVG_MUTED "#666666"
#define FDXI_SVG_MAX_TEXT_BYTES 4096u
/* Distinct strokes of fdxi_svg_stroke(): 7 colours times 6 dash patterns. */
#define FDXI_SVG_MAX_STROKES 42u

/* A growing document; `failed` is set once an allocation fails and later writes are dropped. */
struct fdxi_svgbuf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

void fdxi_svg_add_n(struct fdxi_svgbuf *s, const char *p, size_t n);
void fdxi_svg_add(struct fdxi_svgbuf *s, const char *p);

/*
 * A number with at most @p decimals (0 to 3) digits after the point, trailing zeros dropped
 * unless @p fixed; returns where it starts in @p b. Formatted with integers, so that the host's
 * LC_NUMERIC cannot turn the point into a comma. Values beyond +-1e12 are clamped.
 */
const char *fdxi_svg_num(char b[32], double v, int decimals, bool fixed);

/* A coordinate or length, to a tenth of a pixel. */
void fdxi_svg_coord(struct fdxi_svgbuf *s, double v);
/* ` name="v"` for a coordinate. */
void fdxi_svg_attr(struct fdxi_svgbuf *s, const char *name, double v);

/*
 * Text content or attribute value: the five XML special characters become entities, other
 * control characters a space or '?', and bytes that are not UTF-8 a '?', so any name gives a
 * well-formed document. At most FDXI_SVG_MAX_TEXT_BYTES of input are written.
 */
void fdxi_svg_text(struct fdxi_svgbuf *s, const char *t);

/* Estimated width of @p t at @p size pixels (DejaVu Sans advance widths; bold about 12 % wider). */
double fdxi_svg_text_width(const char *t, double size, bool bold);

/* The XML declaration, the <svg> element of size w x h, its <title> and a white background. */
void fdxi_svg_begin(struct fdxi_svgbuf *s, double w, double h, const char *title);

/*
 * One line of text, turned by @p angle degrees about its anchor; @p extra is put verbatim among
 * the attributes (a constant of the caller, never user text).
 */
void fdxi_svg_label_turned(struct fdxi_svgbuf *s, double x, double y, double angle,
                           const char *extra, const char *t);
void fdxi_svg_label(struct fdxi_svgbuf *s, double x, double y, const char *extra, const char *t);

/* The title (bold, top left) and, when not NULL, a muted subtitle under it. */
void fdxi_svg_heading(struct fdxi_svgbuf *s, const char *title, const char *subtitle);

/* A line; @p style is put verbatim among the attributes. */
void fdxi_svg_line(struct fdxi_svgbuf *s, double x1, double y1, double x2, double y2,
                   const char *style);
void fdxi_svg_rect(struct fdxi_svgbuf *s, double x, double y, double w, double h, const char *fill);

/* ` stroke="..."` (and a dash pattern) of series @p i: a colour and a dash pattern, each cycling
 * with its own period, so that the first FDXI_SVG_MAX_STROKES series all differ. */
void fdxi_svg_stroke(struct fdxi_svgbuf *s, uint32_t i);
/* A legend's 36-pixel sample of series i's stroke, from (x, y - 4). */
void fdxi_svg_legend_sample(struct fdxi_svgbuf *s, double x, double y, uint32_t i);
/* The colour alone of series @p i (for fills and markers). */
const char *fdxi_svg_colour(uint32_t i);

/*
 * Write the document to a temporary file beside @p path, then rename it over @p path, so that
 * readers see either the old file or the whole new one, never a part. Returns 0 or FDX_E* with a
 * message naming the file.
 */
int fdxi_svg_write(const char *path, const struct fdxi_svgbuf *s, char *err, size_t errlen);

#endif /* FDX_LIB_TRAIN_SVGDOC_H */
