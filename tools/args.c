/* SPDX-License-Identifier: BSD-3-Clause */
/* Parses and range-checks the numeric values of command-line options. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "flowdx/flowdx_model.h"
#include "tool.h"

#ifndef FDX_INSTALLED_MODEL_DIR
#define FDX_INSTALLED_MODEL_DIR "/usr/local/share/flowdx/models"
#endif

bool seconds_in_us(const char *text, double min_us, double max_us, uint64_t *ret_us)
{
    char *end;
    errno = 0;
    double us = strtod(text, &end) * 1e6;
    /* NaN and the infinities fail the range test */
    if (errno != 0 || end == text || *end != '\0' || !(us >= min_us && us <= max_us))
        return false;
    *ret_us = (uint64_t)llround(us);
    return true;
}

bool parse_seconds_us(const char *option, const char *text, uint64_t *ret_us)
{
    if (seconds_in_us(text, 0, 1e15, ret_us)) /* 0 to 1e9 s */
        return true;
    fprintf(stderr, "flowdx: %s: '%s' is not a number of seconds (0 to 1e9, decimals ok)\n", option,
            text);
    return false;
}

bool parse_double(const char *option, const char *text, double *ret)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0') {
        fprintf(stderr, "flowdx: %s: '%s' is not a number\n", option, text);
        return false;
    }
    *ret = v;
    return true;
}

bool parse_nan_value(const char *prog, const char *text, double *ret)
{
    if (!parse_double("--nan-value", text, ret))
        return false;
    if (!isfinite(*ret)) { /* NaN cells would stay NaN, or become infinite */
        fprintf(stderr, "%s: --nan-value: '%s' is not a finite number\n", prog, text);
        return false;
    }
    return true;
}

bool parse_u32(const char *option, const char *text, uint32_t min, uint32_t max, uint32_t *ret)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "flowdx: %s: '%s' is not a whole number from %u to %u\n", option, text, min,
                max);
        return false;
    }
    *ret = (uint32_t)v;
    return true;
}

bool parse_ports(const char *option, const char *text, uint16_t *ports, uint32_t cap,
                 uint32_t *ret_n)
{
    uint32_t n = 0;
    const char *p = text;
    while (*p != '\0') {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno != 0 || end == p || v == 0 || v > 65535 || (*end != ',' && *end != '\0') ||
            *p == '-' || *p == '+') {
            fprintf(stderr, "flowdx: %s: '%s': expected comma-separated ports 1-65535\n", option,
                    text);
            return false;
        }
        if (n == cap) {
            fprintf(stderr, "flowdx: %s: more than %u ports\n", option, cap);
            return false;
        }
        ports[n++] = (uint16_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    if (n == 0) {
        fprintf(stderr, "flowdx: %s: empty port list\n", option);
        return false;
    }
    *ret_n = n;
    return true;
}

bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

bool parse_double_in(const char *option, const char *text, double min, double max, double *ret)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "flowdx: %s: '%s' is not a number from %g to %g\n", option, text, min, max);
        return false;
    }
    *ret = v;
    return true;
}

const char *default_model_dir(void)
{
    /* In the source tree (or a copy of conf/): the shipped models there; else the installed. */
    struct stat st;
    if (stat(FDX_SOURCE_MODEL_DIR "/doh.fdxm", &st) == 0 ||
        stat(FDX_SOURCE_MODEL_DIR "/spam.fdxm", &st) == 0)
        return FDX_SOURCE_MODEL_DIR;
    return FDX_INSTALLED_MODEL_DIR;
}

int apply_margin(const char *prog, struct fdx_model *m, const char *path, double margin)
{
    char err[512];
    if (isnan(margin) || fdx_model_set_margin(m, margin, err, sizeof(err)) == 0)
        return EXIT_OK;
    fprintf(stderr, "%s: --margin: %s: %s\n", prog, path, err);
    return EXIT_USAGE;
}

/* Whether the comma list @p sets names the dpi set. */
bool lists_dpi(const char *sets)
{
    size_t n = strlen(DPI_SET);
    for (const char *p = sets; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed == n && memcmp(p, DPI_SET, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

char *sets_with_dpi(const char *sets)
{
    size_t len = strlen(sets) + sizeof("," DPI_SET);
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s%s%s", sets, sets[0] != '\0' ? "," : "", DPI_SET);
    return s;
}

const char *unexpected_argument(const char *arg)
{
    static char buf[160];
    snprintf(buf, sizeof(buf), "unexpected argument '%.100s'", arg);
    return buf;
}

bool names_some(const char *prog, const char *option, const char *list)
{
    if (list[strspn(list, ", \t")] != '\0')
        return true;
    fprintf(stderr, "%s: %s: an empty list names no feature\n", prog, option);
    return false;
}

/* Make room for @p need bytes in r->line; false after printing why. */
static bool line_room(struct text_reader *r, size_t need)
{
    if (need <= r->cap)
        return true;
    size_t cap = r->cap > 0 ? r->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(r->line, cap);
    if (p == NULL) {
        fprintf(stderr, "%s: %s: out of memory\n", r->prog, r->name);
        return false;
    }
    r->line = p;
    r->cap = cap;
    return true;
}

int text_reader_next(struct text_reader *r)
{
    /* Byte by byte, so that a line over the limit is refused without being held in memory (a
     * file of one endless line, /dev/zero). A line ends at LF, CR LF or a lone CR (files saved as
     * "CSV (Macintosh)"), as in the CSV reader of train, eval and analyze. */
    size_t n = 0;
    bool any = false;
    int c;
    if (!line_room(r, 1))
        return -1;
    errno = 0;
    while ((c = getc_unlocked(r->fp)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (c == '\r') {
            int d = getc_unlocked(r->fp);
            if (d != '\n' && d != EOF)
                ungetc(d, r->fp);
            break;
        }
        if (n == TEXT_LINE_MAX) {
            fprintf(stderr, "%s: %s:%llu: line longer than %u bytes\n", r->prog, r->name,
                    (unsigned long long)r->line_no + 1, TEXT_LINE_MAX);
            return -1;
        }
        if (c == '\0') {
            fprintf(stderr, "%s: %s:%llu: NUL byte (not a text file)\n", r->prog, r->name,
                    (unsigned long long)r->line_no + 1);
            return -1;
        }
        if (n + 2 > r->cap && !line_room(r, n + 2))
            return -1;
        r->line[n++] = (char)c;
    }
    if (ferror(r->fp)) {
        fprintf(stderr, "%s: %s: %s\n", r->prog, r->name, strerror(errno ? errno : EIO));
        return -1;
    }
    if (!any)
        return 0;
    r->line[n] = '\0';
    r->line_no++;
    if (r->line_no == 1 && n >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
        n -= 3; /* a UTF-8 byte order mark, as editors on Windows write it */
        memmove(r->line, r->line + 3, n + 1);
    }
    return 1;
}

bool columns_unique(const struct text_reader *r, char *const *cols, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cols[j], cols[i]) == 0) {
                fprintf(stderr, "%s: %s:%llu: column '%.64s' appears twice (columns %zu and %zu)\n",
                        r->prog, r->name, (unsigned long long)r->line_no, cols[i], j + 1, i + 1);
                return false;
            }
        }
    }
    return true;
}
