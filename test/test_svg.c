/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the SVG plots: well-formed XML, escaping, contents, file size and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowdx/flowdx.h"
#include "train/svg.h"
#include "train_util.h"

/* ---- scratch directory ---- */

/* Sizes that keep every path well inside the buffers (a temporary directory name is short). */
#define DIR_BYTES 1024
#define PATH_BYTES 1400

struct scratch {
    char dir[DIR_BYTES];
};

static int setup(void **state)
{
    struct scratch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof(s->dir), "%s/flowdx-svg-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

/* Removes every file and empty directory in the scratch directory, then the directory. */
static int teardown(void **state)
{
    struct scratch *s = *state;
    DIR *d = opendir(s->dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_BYTES];
            snprintf(p, sizeof(p), "%s/%s", s->dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    int rc = rmdir(s->dir);
    free(s);
    return rc;
}

static void path_in(void **state, const char *name, char *buf, size_t len)
{
    const struct scratch *s = *state;
    int n = snprintf(buf, len, "%s/%s", s->dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

/* Number of entries in the scratch directory, "." and ".." left out. */
static int entries(void **state)
{
    const struct scratch *s = *state;
    DIR *d = opendir(s->dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* The whole file, NUL-terminated (caller frees); its size in *len. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return b;
}

static size_t count(const char *begin, const char *end, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = begin; (p = strstr(p, needle)) != NULL && p + len <= end; p += len)
        n++;
    return n;
}

/* The content of `<g id="ID" ...> ... </g>` (the plots nest no group inside these). */
static void group(const char *doc, const char *id, const char **begin, const char **end)
{
    char open[64];
    snprintf(open, sizeof(open), "<g id=\"%s\"", id);
    *begin = strstr(doc, open);
    assert_non_null(*begin);
    *end = strstr(*begin, "</g>");
    assert_non_null(*end);
}

/* ---- a minimal XML well-formedness checker ---- */

/* Length of the UTF-8 character at p that XML allows, or 0. */
static size_t xml_char(const unsigned char *p)
{
    if (p[0] < 0x80)
        return p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' || p[0] == '\r' ? 1 : 0;
    size_t len = (p[0] & 0xE0) == 0xC0   ? 2
                 : (p[0] & 0xF0) == 0xE0 ? 3
                 : (p[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    uint32_t cp = p[0] & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (len == 0 || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        return 0;
    return len;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':';
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Character data from p up to end: '&' only in a predefined or numeric entity, no '<'. */
static const char *check_chars(const char *p, const char *end)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (; p < end; p++) {
        if (*p == '<')
            return "'<' in character data";
        if (*p != '&')
            continue;
        bool ok = false;
        for (size_t k = 0; k < 5; k++)
            ok = ok || strncmp(p, entities[k], strlen(entities[k])) == 0;
        if (!ok && p[1] == '#') {
            const char *q = p + 2 + (p[2] == 'x');
            while (q < end &&
                   ((*q >= '0' && *q <= '9') || (p[2] == 'x' && strchr("abcdefABCDEF", *q))))
                q++;
            ok = q > p + 2 + (p[2] == 'x') && q < end && *q == ';';
        }
        if (!ok)
            return "'&' outside an entity";
    }
    return NULL;
}

/* One start or empty tag at p (after '<'); *pp moves past it. *empty for "/>". */
static const char *check_tag(const char **pp, const char **name, size_t *name_len, bool *empty)
{
    const char *p = *pp, *attrs[32];
    size_t attr_len[32], n_attrs = 0;
    *name = p;
    while (name_char(*p))
        p++;
    *name_len = (size_t)(p - *name);
    if (*name_len == 0)
        return "tag without a name";
    for (;;) {
        bool sep = space(*p);
        while (space(*p))
            p++;
        if (*p == '>' || (p[0] == '/' && p[1] == '>')) {
            *empty = *p == '/';
            *pp = p + (*empty ? 2 : 1);
            return NULL;
        }
        if (!sep || !name_char(*p) || n_attrs == 32)
            return "bad attribute start";
        const char *a = p;
        while (name_char(*p))
            p++;
        for (size_t k = 0; k < n_attrs; k++) {
            if (attr_len[k] == (size_t)(p - a) && memcmp(attrs[k], a, attr_len[k]) == 0)
                return "repeated attribute";
        }
        attrs[n_attrs] = a;
        attr_len[n_attrs++] = (size_t)(p - a);
        while (space(*p))
            p++;
        if (*p++ != '=')
            return "attribute without '='";
        while (space(*p))
            p++;
        char quote = *p++;
        if (quote != '"' && quote != '\'')
            return "unquoted attribute value";
        const char *v = p, *close = strchr(p, quote);
        if (close == NULL)
            return "unterminated attribute value";
        const char *why = check_chars(v, close);
        if (why != NULL)
            return why;
        p = close + 1;
    }
}

/* NULL when doc is well-formed XML (of the subset SVG writers use), else the reason. */
static const char *xml_check(const char *doc)
{
    for (const unsigned char *u = (const unsigned char *)doc; *u != '\0';) {
        size_t n = xml_char(u);
        if (n == 0)
            return "a byte that is not an XML character in UTF-8";
        u += n;
    }
    const char *p = doc, *stack[64];
    size_t stack_len[64], depth = 0;
    bool root_done = false, root_seen = false;
    if (strncmp(p, "<?xml", 5) == 0) {
        p = strstr(p, "?>");
        if (p == NULL)
            return "unterminated XML declaration";
        p += 2;
    }
    while (*p != '\0') {
        if (*p != '<') {
            const char *end = strchr(p, '<');
            end = end != NULL ? end : p + strlen(p);
            for (const char *q = p; depth == 0 && q < end; q++) {
                if (!space(*q))
                    return "text outside the root element";
            }
            const char *why = check_chars(p, end);
            if (why != NULL)
                return why;
            p = end;
        } else if (strncmp(p, "<!--", 4) == 0) {
            p = strstr(p + 4, "-->");
            if (p == NULL)
                return "unterminated comment";
            p += 3;
        } else if (p[1] == '/') {
            const char *name = p + 2;
            p = name;
            while (name_char(*p))
                p++;
            size_t len = (size_t)(p - name);
            while (space(*p))
                p++;
            if (*p++ != '>')
                return "bad end tag";
            if (depth == 0 || stack_len[depth - 1] != len ||
                memcmp(stack[depth - 1], name, len) != 0)
                return "end tag does not match the open element";
            root_done = --depth == 0;
        } else {
            if (root_done)
                return "a second root element";
            const char *name;
            size_t len;
            bool empty;
            p++;
            const char *why = check_tag(&p, &name, &len, &empty);
            if (why != NULL)
                return why;
            root_seen = true;
            if (empty) {
                root_done = depth == 0;
            } else if (depth == 64) {
                return "too deep";
            } else {
                stack[depth] = name;
                stack_len[depth++] = len;
            }
        }
    }
    return depth != 0 ? "unclosed element" : !root_seen ? "no root element" : NULL;
}

static void assert_well_formed(const char *doc)
{
    const char *why = xml_check(doc);
    if (why != NULL)
        print_error("not well-formed: %s\n", why);
    assert_null(why);
}

/* ---- fixtures ---- */

/* A staircase ROC curve of n points from (0,0) to (1,1), positives ahead of negatives. */
static struct fdxi_roc_point *staircase(uint32_t n, uint32_t seed, double skill)
{
    struct fdxi_roc_point *p = malloc(n * sizeof(*p));
    assert_non_null(p);
    double fp = 0, tp = 0;
    p[0].fpr = p[0].tpr = 0;
    for (uint32_t i = 1; i + 1 < n; i++) {
        seed = seed * 1103515245u + 12345u;
        double chance_negative = (1 - skill) * 0.5 + skill * (double)i / n;
        if ((seed >> 16) % 1000 < chance_negative * 1000)
            fp += 1;
        else
            tp += 1;
        p[i].fpr = fp;
        p[i].tpr = tp;
    }
    for (uint32_t i = 1; i + 1 < n; i++) {
        p[i].fpr = fp > 0 ? p[i].fpr / fp : 0;
        p[i].tpr = tp > 0 ? p[i].tpr / tp : 1;
    }
    p[n - 1].fpr = p[n - 1].tpr = 1;
    return p;
}

/* ---- tests ---- */

static void test_svg_checker_rejects_malformed_xml(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "<a><b></a></b>",
        "<a x=1/>",
        "<a>&</a>",
        "<a x=\"<\"/>",
        "<a/><b/>",
        "<a>",
        "<a x=\"1\"x=\"2\"/>",
        "<a x=\"1\" x=\"2\"/>",
        "text<a/>",
        "<a>\x01</a>",
        "<a>\xff</a>",
        "<a>&amp</a>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (xml_check(bad[i]) == NULL)
            print_error("accepted: %s\n", bad[i]);
        assert_non_null(xml_check(bad[i]));
    }
    assert_null(xml_check("<?xml version=\"1.0\"?>\n<a x='1' y=\"&lt;&#38;&#x26;\"><b/>t</a>\n"));
}

static void test_svg_heatmap_is_well_formed_and_self_contained(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "h.svg", path, sizeof(path));
    const char *names[] = {"alpha", "beta", "gamma"};
    double corr[] = {1, 0.5, NAN, 0.5, 1, -0.2, NAN, -0.2, 1};
    bool mark[] = {false, true, false};
    char err[256] = "";
    assert_int_equal(fdxi_svg_heatmap(path, "Three", corr, 3, names, mark, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    assert_true(strncmp(doc, "<?xml", 5) == 0);
    assert_non_null(strstr(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(doc, "viewBox=\"0 0 "));
    assert_non_null(strstr(doc, "sans-serif"));
    assert_non_null(strstr(doc, "<title>Three</title>"));
    /* Nothing outside the file: no links, images, imports; only url(#...) references. */
    assert_null(strstr(doc, "href"));
    assert_null(strstr(doc, "<image"));
    assert_null(strstr(doc, "@import"));
    for (const char *u = doc; (u = strstr(u, "url(")) != NULL; u += 4)
        assert_int_equal(u[4], '#');
    free(doc);
}

static void test_svg_escapes_special_characters(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "e.svg", path, sizeof(path));
    const char *names[] = {"a<b&\"c\"", "it's > 1"};
    double corr[] = {1, 0, 0, 1};
    char err[256] = "";
    assert_int_equal(fdxi_svg_heatmap(path, "x & <y>", corr, 2, names, NULL, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    assert_int_equal(count(doc, doc + strlen(doc), ">a&lt;b&amp;&quot;c&quot;</text>"), 2);
    assert_int_equal(count(doc, doc + strlen(doc), ">it&apos;s &gt; 1</text>"), 2);
    assert_non_null(strstr(doc, "<title>x &amp; &lt;y&gt;</title>"));
    assert_null(strstr(doc, "a<b"));
    free(doc);

    struct fdxi_roc_point pts[] = {{0, 0}, {0.5, 0.8}, {1, 1}};
    struct fdxi_svg_curve c = {"m<1> & 'q'", pts, 3};
    assert_int_equal(fdxi_svg_roc(path, "\"R\" & <O>", &c, 1, err, sizeof(err)), 0);
    doc = slurp(path, NULL);
    assert_well_formed(doc);
    assert_non_null(strstr(doc, ">m&lt;1&gt; &amp; &apos;q&apos;</text>"));
    assert_non_null(strstr(doc, "<title>&quot;R&quot; &amp; &lt;O&gt;</title>"));
    free(doc);
}

static void test_svg_replaces_bytes_that_are_not_xml_text(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "u.svg", path, sizeof(path));
    /* Invalid UTF-8, a control character, a surrogate, a cut sequence; then good UTF-8. */
    const char *names[] = {"bad\377\001x", "sur\355\240\200r", "cut\303", "Gr\303\266\303\237e"};
    double corr[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    char err[256] = "";
    assert_int_equal(fdxi_svg_heatmap(path, "t\x02", corr, 4, names, NULL, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    assert_non_null(strstr(doc, ">Gr\303\266\303\237e</text>"));
    free(doc);
}

static void test_svg_heatmap_29_has_every_cell_and_name(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "doh.svg", path, sizeof(path));
    enum { N = 29 };
    static double corr[N * N];
    bool mark[N];
    size_t n_nan = 0, n_marked = 0;
    for (int i = 0; i < N; i++) {
        mark[i] = i % 5 == 0;
        n_marked += mark[i];
        for (int j = 0; j < N; j++) {
            /* Column 4 is constant in some fold: its correlations are missing. */
            bool missing = i == 4 || j == 4;
            corr[i * N + j] = missing ? NAN : i == j ? 1 : 0.9 * sin(i + 2.0 * j);
            n_nan += missing;
        }
    }
    assert_int_equal(n_nan, 2 * N - 1);
    char err[256] = "";
    assert_int_equal(fdxi_svg_heatmap(path, "DoH features before the filter", corr, N, tu_doh_names,
                                      mark, err, sizeof(err)),
                     0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    const char *b, *e;
    group(doc, "cells", &b, &e);
    assert_int_equal(count(b, e, "<rect"), N * N);
    group(doc, "values", &b, &e);
    assert_int_equal(count(b, e, ">n/a</text>"), 2 * N - 1);
    assert_int_equal(count(b, e, "<text"), N * N);
    /* Every name once as a row and once as a column. */
    for (int j = 0; j < N; j++) {
        char needle[128];
        snprintf(needle, sizeof(needle), ">%s</text>", tu_doh_names[j]);
        assert_int_equal(count(doc, doc + strlen(doc), needle), 2);
    }
    /* A flag on each marked row and column, one in the legend. */
    assert_int_equal(count(doc, doc + strlen(doc), "<circle"), 2 * n_marked + 1);
    assert_non_null(strstr(doc, "29 columns, 6 flagged"));
    free(doc);
}

static void test_svg_heatmap_colours_follow_the_scale(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "c.svg", path, sizeof(path));
    const char *names[] = {"a", "b", "c", "d"};
    double corr[] = {1, -1, 0, NAN, -1, 1, 0.5, 0.5, 0, 0.5, 1, 0.5, NAN, 0.5, 0.5, 1};
    char err[256] = "";
    assert_int_equal(fdxi_svg_heatmap(path, "colours", corr, 4, names, NULL, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    const char *b, *e;
    group(doc, "cells", &b, &e);
    /* ColorBrewer RdBu: #b2182b at +1, #f7f7f7 at 0, #2166ac at -1. */
    assert_int_equal(count(b, e, "fill=\"#b2182b\""), 4);
    assert_int_equal(count(b, e, "fill=\"#2166ac\""), 2);
    assert_int_equal(count(b, e, "fill=\"#f7f7f7\""), 2);
    /* Missing cells are a mid grey (r = g = b, darker than the near-white of 0). */
    size_t greys = 0;
    for (const char *f = b; (f = strstr(f, "fill=\"#")) != NULL && f < e; f += 7) {
        unsigned r, g, bl;
        assert_int_equal(sscanf(f + 7, "%2x%2x%2x", &r, &g, &bl), 3);
        greys += r == g && g == bl && r < 0xe0 && r > 0x80;
    }
    assert_int_equal(greys, 2);
    group(doc, "values", &b, &e);
    assert_int_equal(count(b, e, ">1.00<"), 4);
    assert_int_equal(count(b, e, ">-1.00<"), 2);
    assert_int_equal(count(b, e, ">0.50<"), 6);
    assert_int_equal(count(b, e, ">0.00<"), 2);
    assert_int_equal(count(b, e, ">n/a<"), 2);
    free(doc);
}

static void test_svg_roc_three_curves_have_paths_and_legend(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "roc.svg", path, sizeof(path));
    struct fdxi_roc_point *p[3];
    struct fdxi_svg_curve c[3];
    static const char *const labels[] = {"tree (AUC 0.71)", "forest (AUC 0.80)", "jury & co"};
    for (int i = 0; i < 3; i++) {
        p[i] = staircase(200, (uint32_t)i + 1, 0.3 + 0.1 * i);
        c[i] = (struct fdxi_svg_curve){labels[i], p[i], 200};
    }
    char err[256] = "";
    assert_int_equal(fdxi_svg_roc(path, "Three models", c, 3, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    const char *b, *e;
    group(doc, "curves", &b, &e);
    assert_int_equal(count(b, e, "<path"), 3);
    group(doc, "legend", &b, &e);
    assert_int_equal(count(b, e, "<path"), 3);
    assert_non_null(strstr(b, ">tree (AUC 0.71)</text>"));
    assert_non_null(strstr(b, ">forest (AUC 0.80)</text>"));
    assert_non_null(strstr(b, ">jury &amp; co</text>"));
    assert_non_null(strstr(b, ">chance</text>"));
    assert_non_null(strstr(doc, ">false positive rate</text>"));
    assert_non_null(strstr(doc, ">true positive rate</text>"));
    /* Three curves, three different colours and dash patterns. */
    assert_non_null(strstr(doc, "stroke=\"#0072b2\""));
    assert_non_null(strstr(doc, "stroke=\"#d55e00\""));
    assert_non_null(strstr(doc, "stroke=\"#009e73\""));
    assert_int_equal(count(doc, doc + strlen(doc), "stroke-dasharray=\"9 4\""), 2);
    /* These curves stay far from the top-left corner: no detail plot. */
    assert_null(strstr(doc, "detail-curves"));
    for (int i = 0; i < 3; i++)
        free(p[i]);
    free(doc);
}

static void test_svg_roc_details_crowded_corner(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "crowd.svg", path, sizeof(path));
    /* Two near-perfect models: both pass (0.005, 0.995), inside the 0.01 square. */
    struct fdxi_roc_point a[] = {{0, 0}, {0, 0.9}, {0.005, 0.995}, {0.2, 1}, {1, 1}};
    struct fdxi_roc_point b[] = {{0, 0}, {0.001, 0.95}, {0.004, 0.999}, {1, 1}};
    struct fdxi_svg_curve c[] = {{"a", a, 5}, {"b", b, 4}};
    char err[256] = "";
    assert_int_equal(fdxi_svg_roc(path, "crowded", c, 2, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    const char *gb, *ge;
    group(doc, "detail-curves", &gb, &ge);
    assert_int_equal(count(gb, ge, "<path"), 2);
    assert_non_null(strstr(doc, ">0.990</text>")); /* the detail's lowest tick */
    free(doc);
}

/* Command letters of the d attribute of the k-th path in group id. */
static void path_commands(const char *doc, const char *id, int k, char *out, size_t len)
{
    const char *b, *e;
    group(doc, id, &b, &e);
    const char *d = b;
    for (int i = 0; i <= k; i++) {
        d = strstr(d + 1, " d=\"");
        assert_non_null(d);
        assert_true(d < e);
    }
    size_t n = 0;
    for (d += 4; *d != '"' && n + 1 < len; d++) {
        if (strchr("MLHVZ", *d) != NULL)
            out[n++] = *d;
    }
    out[n] = '\0';
}

static void test_svg_roc_merges_collinear_points(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "line.svg", path, sizeof(path));
    enum { N = 1001 };
    static struct fdxi_roc_point diag[N], edges[2 * N];
    for (int i = 0; i < N; i++) {
        diag[i].fpr = diag[i].tpr = i / (double)(N - 1);
        edges[i].fpr = 0;
        edges[i].tpr = i / (double)(N - 1);
        edges[N + i].fpr = i / (double)(N - 1);
        edges[N + i].tpr = 1;
    }
    struct fdxi_svg_curve c[] = {{"diagonal", diag, N}, {"edges", edges, 2 * N}};
    char err[256] = "";
    assert_int_equal(fdxi_svg_roc(path, "lines", c, 2, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    char cmds[64];
    path_commands(doc, "curves", 0, cmds, sizeof(cmds));
    assert_string_equal(cmds, "ML");
    path_commands(doc, "curves", 1, cmds, sizeof(cmds));
    assert_string_equal(cmds, "MVH");
    free(doc);
}

static void test_svg_roc_thins_50000_points(void **state)
{
    char path[PATH_BYTES];
    path_in(state, "big.svg", path, sizeof(path));
    struct fdxi_roc_point *p = staircase(50000, 7, 0.6);
    struct fdxi_svg_curve c = {"fifty thousand", p, 50000};
    char err[256] = "";
    assert_int_equal(fdxi_svg_roc(path, "big", &c, 1, err, sizeof(err)), 0);
    size_t len;
    char *doc = slurp(path, &len);
    assert_true(len < 200 * 1024);
    assert_well_formed(doc);
    const char *b, *e;
    group(doc, "curves", &b, &e);
    assert_int_equal(count(b, e, "<path"), 1);
    /*
     * The curve only goes right and up, so at half-pixel resolution it needs at most one vertex
     * per half pixel of the page's width plus height, whatever the number of points.
     */
    double w = strtod(strstr(doc, " width=\"") + 8, NULL);
    double h = strtod(strstr(doc, " height=\"") + 9, NULL);
    static char cmds[60000];
    path_commands(doc, "curves", 0, cmds, sizeof(cmds));
    assert_true(w > 0 && h > 0);
    assert_true(strlen(cmds) <= 2 * (w + h));
    free(doc);
    free(p);
}

static void expect_einval(int rc, const char *err, const char *path)
{
    assert_int_equal(rc, FDX_EINVAL);
    assert_true(strncmp(err, path, strlen(path)) == 0);
}

static void test_svg_rejects_bad_arguments(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256];
    path_in(state, "bad.svg", path, sizeof(path));
    const char *names[] = {"a", "b"}, *holey[] = {"a", NULL};
    double corr[] = {1, 0, 0, 1};
    expect_einval(fdxi_svg_heatmap(path, "t", corr, 0, names, NULL, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_heatmap(path, "t", corr, 2, NULL, NULL, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_heatmap(path, "t", corr, 2, holey, NULL, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_heatmap(path, "t", NULL, 2, names, NULL, err, sizeof(err)), err, path);
    assert_int_equal(fdxi_svg_heatmap(NULL, "t", corr, 2, names, NULL, err, sizeof(err)),
                     FDX_EINVAL);

    struct fdxi_roc_point pts[] = {{0, 0}, {1, 1}}, outside[] = {{0, 0}, {1.5, 1}},
                          nan_pt[] = {{0, 0}, {NAN, 1}}, below[] = {{0, -0.1}, {1, 1}},
                          left[] = {{-0.1, 0}, {1, 1}}, above[] = {{0, 0}, {1, 1.1}};
    struct fdxi_svg_curve one = {"one point", pts, 1}, ok = {"ok", pts, 2};
    struct fdxi_svg_curve no_label = {NULL, pts, 2}, no_points = {"x", NULL, 2};
    struct fdxi_svg_curve out = {"out", outside, 2}, nan_c = {"nan", nan_pt, 2};
    expect_einval(fdxi_svg_roc(path, "t", &ok, 0, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", NULL, 1, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", &one, 1, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", &no_label, 1, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", &no_points, 1, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", &out, 1, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_roc(path, "t", &nan_c, 1, err, sizeof(err)), err, path);
    struct fdxi_svg_curve more[] = {
        ok, {"below", below, 2}, {"left", left, 2}, {"above", above, 2}};
    for (int i = 1; i < 4; i++) {
        struct fdxi_svg_curve pair[] = {ok, more[i]};
        expect_einval(fdxi_svg_roc(path, "t", pair, 2, err, sizeof(err)), err, path);
        assert_non_null(strstr(err, more[i].label));
    }
    assert_int_equal(fdxi_svg_roc(NULL, "t", &ok, 1, err, sizeof(err)), FDX_EINVAL);
    /* Refused calls write nothing; a NULL error buffer is allowed. */
    assert_int_equal(entries(state), 0);
    assert_int_equal(fdxi_svg_roc(path, "t", &one, 1, NULL, 0), FDX_EINVAL);

    /* Limits: 513 columns, 43 curves. */
    enum { BIG = 513 };
    double *big = calloc((size_t)BIG * BIG, sizeof(double));
    const char **big_names = malloc(BIG * sizeof(*big_names));
    assert_non_null(big);
    assert_non_null(big_names);
    for (int i = 0; i < BIG; i++)
        big_names[i] = "x";
    assert_int_equal(fdxi_svg_heatmap(path, "t", big, BIG, big_names, NULL, err, sizeof(err)),
                     FDX_ERANGE);
    struct fdxi_svg_curve many[43];
    for (int i = 0; i < 43; i++)
        many[i] = ok;
    assert_int_equal(fdxi_svg_roc(path, "t", many, 43, err, sizeof(err)), FDX_ERANGE);
    assert_int_equal(fdxi_svg_roc(path, "t", many, 42, err, sizeof(err)), 0);
    free(big);
    free(big_names);
}

static void test_svg_unwritable_path_is_eio(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256];
    path_in(state, "missing/dir/plot.svg", path, sizeof(path));
    const char *names[] = {"a"};
    double corr[] = {1};
    assert_int_equal(fdxi_svg_heatmap(path, "t", corr, 1, names, NULL, err, sizeof(err)), FDX_EIO);
    assert_true(strncmp(err, path, strlen(path)) == 0 && strncmp(err + strlen(path), ": ", 2) == 0);
    struct fdxi_roc_point pts[] = {{0, 0}, {1, 1}};
    struct fdxi_svg_curve c = {"c", pts, 2};
    assert_int_equal(fdxi_svg_roc(path, "t", &c, 1, err, sizeof(err)), FDX_EIO);
    assert_true(strncmp(err, path, strlen(path)) == 0 && strncmp(err + strlen(path), ": ", 2) == 0);
    assert_int_equal(entries(state), 0);
}

static void test_svg_replaces_whole_file_and_leaves_no_temporary(void **state)
{
    char path[PATH_BYTES], dir[PATH_BYTES], err[PATH_BYTES + 256];
    path_in(state, "plot.svg", path, sizeof(path));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    const char *names[] = {"a", "b"};
    double corr[] = {1, 0.25, 0.25, 1};
    /* A refused call leaves the old file alone. */
    assert_int_equal(fdxi_svg_heatmap(path, "t", corr, 0, names, NULL, err, sizeof(err)),
                     FDX_EINVAL);
    char *doc = slurp(path, NULL);
    assert_string_equal(doc, "old");
    free(doc);
    assert_int_equal(fdxi_svg_heatmap(path, "t", corr, 2, names, NULL, err, sizeof(err)), 0);
    doc = slurp(path, NULL);
    assert_true(strncmp(doc, "<?xml", 5) == 0);
    assert_well_formed(doc);
    free(doc);
    assert_int_equal(entries(state), 1);
    /* Renaming onto a directory fails after the temporary was written: it is removed. */
    path_in(state, "adir", dir, sizeof(dir));
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(fdxi_svg_heatmap(dir, "t", corr, 2, names, NULL, err, sizeof(err)), FDX_EIO);
    assert_true(strncmp(err, dir, strlen(dir)) == 0);
    assert_int_equal(entries(state), 2);
}

/* ---- the charts of the analyses ---- */

/*
 * Values 100, 50 and 0 on an axis from 0 to 100 (ticks every 20) drawn 420 pixels wide: bars of
 * 420, 210 and 0 pixels, in the order given, each named and labelled with its value.
 */
static void test_svg_bars_one_per_name_to_scale(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256] = "";
    path_in(state, "bars.svg", path, sizeof(path));
    const char *names[] = {"slas", "r<s>&", "oneway"};
    const double v[] = {100, 50, 0};
    assert_int_equal(
        fdxi_svg_bars(path, "Imp & co", "sub", names, v, 3, "importance", err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    const char *b, *e;
    group(doc, "bars", &b, &e);
    assert_int_equal(count(b, e, "<rect"), 3);
    assert_int_equal(count(b, e, "width=\"420\""), 1);
    assert_int_equal(count(b, e, "width=\"210\""), 1);
    assert_int_equal(count(b, e, "width=\"0\""), 1);
    /* Names in order, escaped; values written beside the bars. */
    const char *s = strstr(b, ">slas</text>"), *r = strstr(b, ">r&lt;s&gt;&amp;</text>");
    assert_true(s != NULL && r != NULL && s < r && r < strstr(b, ">oneway</text>"));
    assert_non_null(strstr(b, ">100</text>"));
    assert_non_null(strstr(b, ">50</text>"));
    assert_non_null(strstr(doc, "<title>Imp &amp; co</title>"));
    assert_non_null(strstr(doc, ">importance</text>"));
    free(doc);
}

static void test_svg_lines_over_numbers_and_names(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256] = "";
    path_in(state, "cv.svg", path, sizeof(path));
    const double k[] = {2, 3, 4, 5}, cost[] = {6.5, 4, 3.8, 3.7};
    struct fdxi_svg_series one = {"cost", cost};
    struct fdxi_svg_lines p = {.title = "cost per k",
                               .x_label = "k",
                               .y_label = "cost",
                               .x = k,
                               .n_x = 4,
                               .series = &one,
                               .n_series = 1,
                               .mark = 1,
                               .mark_label = "chosen k = 3",
                               .y_min = 0,
                               .y_max = NAN};
    assert_int_equal(fdxi_svg_lines(path, &p, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    const char *b, *e;
    group(doc, "series", &b, &e);
    assert_int_equal(count(b, e, "<path"), 1);
    assert_int_equal(count(b, e, " L"), 3); /* four points, one line */
    group(doc, "points", &b, &e);
    assert_int_equal(count(b, e, "<circle"), 4);
    assert_non_null(strstr(doc, ">chosen k = 3</text>"));
    free(doc);

    /* Named positions, two series, a missing value that breaks the second line in two. */
    const char *names[] = {"sp", "spl", "rsp"};
    const double a[] = {0.1, 0.5, 0.9}, c[] = {0.2, NAN, 0.4};
    struct fdxi_svg_series two[] = {{"subclass 1", a}, {"subclass 2", c}};
    struct fdxi_svg_lines q = {.title = "profiles",
                               .x_names = names,
                               .n_x = 3,
                               .series = two,
                               .n_series = 2,
                               .mark = UINT32_MAX,
                               .y_min = 0,
                               .y_max = 1};
    assert_int_equal(fdxi_svg_lines(path, &q, err, sizeof(err)), 0);
    doc = slurp(path, NULL);
    assert_well_formed(doc);
    group(doc, "series", &b, &e);
    assert_int_equal(count(b, e, "<path"), 2);
    assert_int_equal(count(b, e, " M"), 3);
    group(doc, "points", &b, &e);
    assert_int_equal(count(b, e, "<circle"), 5);
    group(doc, "legend", &b, &e);
    assert_non_null(strstr(b, ">subclass 2</text>"));
    assert_non_null(strstr(doc, ">rsp</text>"));
    free(doc);
}

static void test_svg_densities_one_panel_per_feature(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256] = "";
    path_in(state, "dens.svg", path, sizeof(path));
    const double m1[] = {10, 20}, s1[] = {2, 3}, m2[] = {0, 0}, s2[] = {1, 0}, m3[] = {5, 5},
                 s3[] = {0, 0};
    struct fdxi_svg_density_panel panels[] = {{"spl", m1, s1}, {"sp", m2, s2}, {"ttl", m3, s3}};
    const char *groups[] = {"subclass 1", "subclass 2"};
    assert_int_equal(
        fdxi_svg_densities(path, "densities", NULL, panels, 3, groups, 2, err, sizeof(err)), 0);
    char *doc = slurp(path, NULL);
    assert_well_formed(doc);
    assert_int_equal(count(doc, doc + strlen(doc), "<g class=\"panel\">"), 3);
    /* A curve per group in each panel, and two legend samples. */
    assert_int_equal(count(doc, doc + strlen(doc), "<path"), 3 * 2 + 2);
    assert_non_null(strstr(doc, ">ttl</text>"));
    free(doc);
}

static void test_svg_charts_reject_bad_arguments(void **state)
{
    char path[PATH_BYTES], err[PATH_BYTES + 256];
    path_in(state, "bad.svg", path, sizeof(path));
    const char *names[] = {"a", "b"};
    const double ok[] = {1, 2}, negative[] = {1, -1}, nan_v[] = {NAN, 1}, inf_v[] = {1, INFINITY};
    expect_einval(fdxi_svg_bars(path, "t", NULL, names, ok, 0, NULL, err, sizeof(err)), err, path);
    expect_einval(fdxi_svg_bars(path, "t", NULL, names, negative, 2, NULL, err, sizeof(err)), err,
                  path);
    expect_einval(fdxi_svg_bars(path, "t", NULL, names, nan_v, 2, NULL, err, sizeof(err)), err,
                  path);
    struct fdxi_svg_series s = {"s", inf_v};
    struct fdxi_svg_lines p = {.x_names = names,
                               .n_x = 2,
                               .series = &s,
                               .n_series = 1,
                               .mark = UINT32_MAX,
                               .y_min = NAN,
                               .y_max = NAN};
    expect_einval(fdxi_svg_lines(path, &p, err, sizeof(err)), err, path);
    p.n_series = 0;
    expect_einval(fdxi_svg_lines(path, &p, err, sizeof(err)), err, path);
    struct fdxi_svg_series many[43];
    for (int i = 0; i < 43; i++)
        many[i] = (struct fdxi_svg_series){"s", ok};
    p.series = many;
    p.n_series = 43;
    assert_int_equal(fdxi_svg_lines(path, &p, err, sizeof(err)), FDX_ERANGE);
    const double sd_bad[] = {1, -1};
    struct fdxi_svg_density_panel panel = {"f", ok, sd_bad};
    expect_einval(fdxi_svg_densities(path, "t", NULL, &panel, 1, names, 2, err, sizeof(err)), err,
                  path);
    panel.sd = ok;
    expect_einval(fdxi_svg_densities(path, "t", NULL, &panel, 0, names, 2, err, sizeof(err)), err,
                  path);
    assert_int_equal(entries(state), 0);
    p.n_series = 42;
    assert_int_equal(fdxi_svg_lines(path, &p, err, sizeof(err)), 0);
    assert_int_equal(entries(state), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_checker_rejects_malformed_xml),
        cmocka_unit_test_setup_teardown(test_svg_heatmap_is_well_formed_and_self_contained, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_svg_escapes_special_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_replaces_bytes_that_are_not_xml_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_svg_heatmap_29_has_every_cell_and_name, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_svg_heatmap_colours_follow_the_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_roc_three_curves_have_paths_and_legend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_svg_roc_details_crowded_corner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_roc_merges_collinear_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_roc_thins_50000_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_unwritable_path_is_eio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_bars_one_per_name_to_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_lines_over_numbers_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_densities_one_panel_per_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_charts_reject_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_replaces_whole_file_and_leaves_no_temporary, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
