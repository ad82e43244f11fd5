/* SPDX-License-Identifier: BSD-3-Clause */
/* Typed, located access to the keys of configuration mappings, and the unknown-key check. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/err.h"

uint32_t fdx_config_node_kind(const fdx_config_node *node)
{
    return node ? node->kind : FDX_CONFIG_SCALAR;
}

const char *fdx_config_node_where(const fdx_config_node *node, char *buf, size_t len)
{
    if (buf && len)
        snprintf(buf, len, "%s:%u:%u", node ? node->config->name : "?", node ? node->line : 0,
                 node ? node->col : 0);
    return buf;
}

const char *fdx_config_scalar(const fdx_config_node *node)
{
    return node && node->kind == FDX_CONFIG_SCALAR ? node->text : NULL;
}

/* Remember that a reader asked @p map for @p key (copied once per distinct name). */
static void note_asked(struct fdx_config_node *map, const char *key)
{
    for (uint32_t i = 0; i < map->n_asked; i++)
        if (strcmp(map->asked_names[i], key) == 0)
            return;
    if (map->n_asked == map->cap_asked) {
        uint32_t cap = map->cap_asked ? map->cap_asked * 2 : 16;
        const char **a = realloc(map->asked_names, cap * sizeof(*a));
        if (!a)
            return; /* only the hint is lost */
        map->asked_names = a;
        map->cap_asked = cap;
    }
    char *copy = strdup(key);
    if (copy)
        map->asked_names[map->n_asked++] = copy;
}

/* A plain scalar that YAML reads as null: empty, "~" or "null". */
static bool is_null(const struct fdx_config_node *v)
{
    return v->kind == FDX_CONFIG_SCALAR && !v->quoted &&
           (v->text[0] == '\0' || strcmp(v->text, "~") == 0 || strcasecmp(v->text, "null") == 0);
}

const struct fdx_config_node *fdxi_config_null_key(const fdx_config_node *map, const char *key)
{
    if (map == NULL || key == NULL || map->kind != FDX_CONFIG_MAP)
        return NULL;
    for (uint32_t i = 0; i + 1 < map->n_children; i += 2)
        if (strcmp(map->children[i]->text, key) == 0)
            return is_null(map->children[i + 1]) ? map->children[i] : NULL;
    return NULL;
}

/*
 * The value node of @p key in @p map, or NULL when absent or null; < 0 in *ret_rc when map is
 * not a mapping. Marks the key as asked.
 */
static struct fdx_config_node *lookup(const fdx_config_node *cmap, const char *key,
                                      const void *ret_value, int *ret_rc, char *errbuf,
                                      size_t errlen)
{
    *ret_rc = 0;
    if (!ret_value) {
        fdxi_set_err(errbuf, errlen, "key '%s': no place for the value (a NULL pointer)",
                     key ? key : "?");
        *ret_rc = FDX_EINVAL;
        return NULL;
    }
    if (!cmap || !key || cmap->kind != FDX_CONFIG_MAP) {
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': the enclosing value is not a mapping",
                     cmap ? cmap->config->name : "?", cmap ? cmap->line : 0, cmap ? cmap->col : 0,
                     key ? key : "?");
        *ret_rc = FDX_EINVAL;
        return NULL;
    }
    /* The tree's reader marks are the one mutable part of a loaded configuration. */
    struct fdx_config_node *map = (struct fdx_config_node *)cmap;
    note_asked(map, key);
    for (uint32_t i = 0; i + 1 < map->n_children; i += 2) {
        if (strcmp(map->children[i]->text, key) == 0) {
            map->children[i]->asked = true;
            struct fdx_config_node *v = map->children[i + 1];
            return is_null(v) ? NULL : v;
        }
    }
    return NULL;
}

static int type_error(const struct fdx_config_node *v, const char *key, char *errbuf, size_t errlen,
                      const char *expected)
{
    const char *got = v->kind == FDX_CONFIG_MAP    ? "a mapping"
                      : v->kind == FDX_CONFIG_LIST ? "a list"
                                                   : NULL;
    if (got)
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': expected %s, found %s", v->config->name,
                     v->line, v->col, key, expected, got);
    else if (v->quoted) /* "120s": a string, though it reads as the value asked for */
        fdxi_set_err(errbuf, errlen,
                     "%s:%u:%u: key '%s': expected %s, found the quoted string '%.80s' (write "
                     "it without quotes)",
                     v->config->name, v->line, v->col, key, expected, v->text);
    else
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': expected %s, found '%.80s'",
                     v->config->name, v->line, v->col, key, expected, v->text);
    return FDX_EFORMAT;
}

/* The value of @p key when it is a plain (unquoted) scalar, as numbers, booleans and durations
 * must be: 1 with *ret set, 0 when absent or null, or a type error naming @p expected. */
static int plain(const fdx_config_node *map, const char *key, const char *expected,
                 const void *ret_value, struct fdx_config_node **ret, char *errbuf, size_t errlen)
{
    int rc;
    struct fdx_config_node *v = lookup(map, key, ret_value, &rc, errbuf, errlen);
    if (!v)
        return rc;
    if (v->kind != FDX_CONFIG_SCALAR || v->quoted)
        return type_error(v, key, errbuf, errlen, expected);
    *ret = v;
    return 1;
}

int fdx_config_get_string(const fdx_config_node *map, const char *key, const char **ret_value,
                          char *errbuf, size_t errlen)
{
    int rc;
    struct fdx_config_node *v = lookup(map, key, ret_value, &rc, errbuf, errlen);
    if (!v)
        return rc;
    if (v->kind != FDX_CONFIG_SCALAR)
        return type_error(v, key, errbuf, errlen, "a string");
    *ret_value = v->text;
    return 1;
}

int fdx_config_get_int(const fdx_config_node *map, const char *key, int64_t min, int64_t max,
                       int64_t *ret_value, char *errbuf, size_t errlen)
{
    struct fdx_config_node *v;
    int rc = plain(map, key, "an integer", ret_value, &v, errbuf, errlen);
    if (rc <= 0)
        return rc;
    const char *s = v->text;
    const char *digits = s + (*s == '-' || *s == '+');
    int base = strncasecmp(digits, "0x", 2) == 0 ? 16 : 10;
    unsigned char first = (unsigned char)digits[base == 16 ? 2 : 0];
    if (base == 16 ? !isxdigit(first) : !isdigit(first))
        return type_error(v, key, errbuf, errlen, "an integer");
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, base);
    if (*end != '\0')
        return type_error(v, key, errbuf, errlen, "an integer");
    if (errno == ERANGE || x < min || x > max) {
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': %s is out of range (%lld to %lld)",
                     v->config->name, v->line, v->col, key, s, (long long)min, (long long)max);
        return FDX_ERANGE;
    }
    *ret_value = x;
    return 1;
}

/* A finite number at the start of s; *ret_end after it. 0 or FDX_EFORMAT. */
static int number_prefix(const char *s, double *ret, const char **ret_end)
{
    if (!*s || isspace((unsigned char)*s))
        return FDX_EFORMAT;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(x))
        return FDX_EFORMAT;
    /* strtod would also read "inf", "nan" and hexadecimal floats: only decimal numbers here. */
    for (const char *p = s; p < end; p++)
        if (!strchr("0123456789.+-eE", *p))
            return FDX_EFORMAT;
    *ret = x;
    *ret_end = end;
    return 0;
}

int fdx_config_get_double(const fdx_config_node *map, const char *key, double min, double max,
                          double *ret_value, char *errbuf, size_t errlen)
{
    struct fdx_config_node *v;
    int rc = plain(map, key, "a number", ret_value, &v, errbuf, errlen);
    if (rc <= 0)
        return rc;
    double x;
    const char *end;
    if (number_prefix(v->text, &x, &end) < 0 || *end)
        return type_error(v, key, errbuf, errlen, "a number");
    if (x < min || x > max) {
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': %s is out of range (%g to %g)",
                     v->config->name, v->line, v->col, key, v->text, min, max);
        return FDX_ERANGE;
    }
    *ret_value = x;
    return 1;
}

int fdx_config_get_bool(const fdx_config_node *map, const char *key, int *ret_value, char *errbuf,
                        size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    struct fdx_config_node *v;
    int rc = plain(map, key, "true or false", ret_value, &v, errbuf, errlen);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v->text, yes[i]) == 0) {
            *ret_value = 1;
            return 1;
        }
        if (strcasecmp(v->text, no[i]) == 0) {
            *ret_value = 0;
            return 1;
        }
    }
    return type_error(v, key, errbuf, errlen, "true or false");
}

int fdx_config_get_duration(const fdx_config_node *map, const char *key, uint64_t min_us,
                            uint64_t max_us, uint64_t *ret_us, char *errbuf, size_t errlen)
{
    static const struct {
        const char *unit;
        double us;
    } units[] = {{"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}, {"", 1e6}};
    const char *expected = "a duration such as 120s, 500ms, 2m or 1h";
    struct fdx_config_node *v;
    int rc = plain(map, key, expected, ret_us, &v, errbuf, errlen);
    if (rc <= 0)
        return rc;
    double x;
    const char *end;
    if (number_prefix(v->text, &x, &end) < 0 || x < 0)
        return type_error(v, key, errbuf, errlen, expected);
    size_t u = 0;
    while (u < sizeof(units) / sizeof(units[0]) && strcmp(end, units[u].unit) != 0)
        u++;
    if (u == sizeof(units) / sizeof(units[0]))
        return type_error(v, key, errbuf, errlen, expected);
    double us = x * units[u].us;
    if (us < (double)min_us || us > (double)max_us) {
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: key '%s': %s is out of range (%.6gs to %.6gs)",
                     v->config->name, v->line, v->col, key, v->text, (double)min_us / 1e6,
                     (double)max_us / 1e6);
        return FDX_ERANGE;
    }
    *ret_us = (uint64_t)llround(us);
    return 1;
}

int fdx_config_get_choice(const fdx_config_node *map, const char *key, const char *const *choices,
                          uint32_t n_choices, uint32_t *ret_index, char *errbuf, size_t errlen)
{
    int rc;
    struct fdx_config_node *v = lookup(map, key, ret_index, &rc, errbuf, errlen);
    if (!v)
        return rc;
    if (v->kind == FDX_CONFIG_SCALAR)
        for (uint32_t i = 0; i < n_choices; i++)
            if (strcmp(v->text, choices[i]) == 0) {
                *ret_index = i;
                return 1;
            }
    char list[300];
    size_t used = 0;
    for (uint32_t i = 0; i < n_choices; i++)
        used = fdxi_appendf(list, sizeof(list), used, "%s%s", i ? ", " : "", choices[i]);
    char what[360];
    snprintf(what, sizeof(what), "one of %s", list);
    return type_error(v, key, errbuf, errlen, what);
}

int fdx_config_get_map(const fdx_config_node *map, const char *key,
                       const fdx_config_node **ret_node, char *errbuf, size_t errlen)
{
    int rc;
    struct fdx_config_node *v = lookup(map, key, ret_node, &rc, errbuf, errlen);
    if (!v)
        return rc;
    if (v->kind != FDX_CONFIG_MAP)
        return type_error(v, key, errbuf, errlen, "a mapping (key: value lines)");
    v->visited = true;
    *ret_node = v;
    return 1;
}

int fdx_config_get_list(const fdx_config_node *map, const char *key,
                        const fdx_config_node **ret_node, char *errbuf, size_t errlen)
{
    int rc;
    struct fdx_config_node *v = lookup(map, key, ret_node, &rc, errbuf, errlen);
    if (!v)
        return rc;
    if (v->kind == FDX_CONFIG_MAP)
        return type_error(v, key, errbuf, errlen, "a list");
    v->visited = true;
    *ret_node = v;
    return 1;
}

uint32_t fdx_config_list_count(const fdx_config_node *list)
{
    if (!list)
        return 0;
    return list->kind == FDX_CONFIG_LIST ? list->n_children : list->kind == FDX_CONFIG_SCALAR;
}

uint32_t fdx_config_map_count(const fdx_config_node *map)
{
    return map != NULL && map->kind == FDX_CONFIG_MAP ? map->n_children / 2 : 0;
}

const fdx_config_node *fdx_config_list_at(const fdx_config_node *list, uint32_t i)
{
    if (!list || i >= fdx_config_list_count(list))
        return NULL;
    struct fdx_config_node *n =
        list->kind == FDX_CONFIG_LIST ? list->children[i] : (struct fdx_config_node *)list;
    n->visited = true;
    return n;
}

void fdx_config_accept_all(const fdx_config_node *map)
{
    if (map && map->kind == FDX_CONFIG_MAP)
        ((struct fdx_config_node *)map)->accept_all = true;
}

/* Edit distance of a and b with adjacent transpositions counted as one edit (optimal string
 * alignment): "spma" is one edit from "spam". Case-insensitive. Capped: 99 when either is longer
 * than 63 bytes. Three rows of at most 64 entries. */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    unsigned rows[3][64], *prev2 = rows[0], *prev = rows[1], *row = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = (unsigned)i;
        int ca = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            unsigned best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            row[j] = best;
        }
        unsigned *t = prev2;
        prev2 = prev;
        prev = row;
        row = t;
    }
    return prev[lb];
}

/* The asked name nearest to key, if it is near enough to be a likely misspelling. */
static const char *nearest(const struct fdx_config_node *map, const char *key)
{
    const char *best = NULL;
    unsigned best_d = 0;
    for (uint32_t i = 0; i < map->n_asked; i++) {
        unsigned d = edit_distance(key, map->asked_names[i]);
        if (!best || d < best_d) {
            best = map->asked_names[i];
            best_d = d;
        }
    }
    size_t len = strlen(key);
    unsigned limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return best && best_d <= limit ? best : NULL;
}

static int check(const struct fdx_config_node *n, char *errbuf, size_t errlen)
{
    if (n->kind == FDX_CONFIG_LIST) {
        for (uint32_t i = 0; i < n->n_children; i++)
            if (n->children[i]->visited) {
                int rc = check(n->children[i], errbuf, errlen);
                if (rc < 0)
                    return rc;
            }
        return 0;
    }
    if (n->kind != FDX_CONFIG_MAP || n->accept_all)
        return 0;
    for (uint32_t i = 0; i + 1 < n->n_children; i += 2) {
        const struct fdx_config_node *k = n->children[i];
        if (!k->asked) {
            const char *hint = nearest(n, k->text);
            fdxi_set_err(errbuf, errlen, "%s:%u:%u: unknown key '%.100s'%s%.100s%s",
                         n->config->name, k->line, k->col, k->text, hint ? " (did you mean '" : "",
                         hint ? hint : "", hint ? "'?)" : "");
            return FDX_EINVAL;
        }
        const struct fdx_config_node *v = n->children[i + 1];
        if (v->visited) {
            int rc = check(v, errbuf, errlen);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int fdx_config_check_unused(const fdx_config_node *map, char *errbuf, size_t errlen)
{
    if (!map)
        return 0;
    return check(map, errbuf, errlen);
}
