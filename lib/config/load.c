/* SPDX-License-Identifier: BSD-3-Clause */
/* Loads one YAML document into a tree of located nodes through libyaml's event parser. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config.h"
#include "core/err.h"

static struct fdx_config_node *new_node(struct fdx_config *c, uint32_t kind, const yaml_mark_t *m)
{
    if (c->n_nodes >= FDX_CONFIG_MAX_NODES)
        return NULL;
    struct fdx_config_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (uint32_t)m->line + 1;
    n->col = (uint32_t)m->column + 1;
    n->config = c;
    n->all_next = c->all;
    c->all = n;
    c->n_nodes++;
    return n;
}

static int add_child(struct fdx_config_node *parent, struct fdx_config_node *child)
{
    if (parent->n_children == parent->cap_children) {
        uint32_t cap = parent->cap_children ? parent->cap_children * 2 : 8;
        struct fdx_config_node **k = realloc(parent->children, cap * sizeof(*k));
        if (!k)
            return FDX_ENOMEM;
        parent->children = k;
        parent->cap_children = cap;
    }
    parent->children[parent->n_children++] = child;
    return 0;
}

/* Loader state: the open containers, innermost last. */
struct loader {
    struct fdx_config *c;
    struct fdx_config_node *stack[FDX_CONFIG_MAX_DEPTH + 1];
    uint32_t depth;
    char *err;
    size_t errlen;
};

static int fail_at(struct loader *ld, const yaml_mark_t *m, int code, const char *what)
{
    fdxi_set_err(ld->err, ld->errlen, "%s:%zu:%zu: %s", ld->c->name, m->line + 1, m->column + 1,
                 what);
    return code;
}

/* A key that repeats one already in the mapping. */
static const struct fdx_config_node *duplicate(const struct fdx_config_node *map,
                                               const struct fdx_config_node *key)
{
    for (uint32_t i = 0; i + 1 < map->n_children; i += 2)
        if (strcmp(map->children[i]->text, key->text) == 0)
            return map->children[i];
    return NULL;
}

/* Place a finished node in the container on top of the stack. */
static int attach(struct loader *ld, struct fdx_config_node *n, const yaml_mark_t *m)
{
    if (ld->depth == 0) {
        if (ld->c->root)
            return fail_at(ld, m, FDX_EFORMAT, "more than one document");
        ld->c->root = n;
        return 0;
    }
    struct fdx_config_node *top = ld->stack[ld->depth - 1];
    if (top->kind == FDX_CONFIG_MAP && top->n_children % 2 == 0) {
        if (n->kind != FDX_CONFIG_SCALAR)
            return fail_at(ld, m, FDX_EFORMAT, "a key must be a plain word, not a mapping or list");
        const struct fdx_config_node *d = duplicate(top, n);
        if (d) {
            char what[400];
            snprintf(what, sizeof(what), "duplicate key '%.200s' (first at line %u)", n->text,
                     d->line);
            return fail_at(ld, m, FDX_EFORMAT, what);
        }
    }
    return add_child(top, n);
}

/* A new node at mark m, after the checks every node gets: no anchor, no tag, the limit. */
static int start_node(struct loader *ld, uint32_t kind, const yaml_mark_t *m,
                      const yaml_char_t *anchor, const yaml_char_t *tag,
                      struct fdx_config_node **ret)
{
    if (anchor)
        return fail_at(ld, m, FDX_EFORMAT, "anchors and aliases are not supported");
    /* YAML's own (!!str, !!int) too: a value is read as its key expects, so a tag would either
     * change nothing or be ignored ('!!int "20"' is still a quoted string) */
    if (tag)
        return fail_at(ld, m, FDX_EFORMAT, "tags are not supported");
    if (kind != FDX_CONFIG_SCALAR && ld->depth >= FDX_CONFIG_MAX_DEPTH)
        return fail_at(ld, m, FDX_ERANGE, "nested deeper than 32 levels");
    *ret = new_node(ld->c, kind, m);
    if (!*ret)
        return ld->c->n_nodes >= FDX_CONFIG_MAX_NODES
                   ? fail_at(ld, m, FDX_ERANGE, "more than 65536 nodes")
                   : FDX_ENOMEM;
    return 0;
}

static int scalar_event(struct loader *ld, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    struct fdx_config_node *n;
    int rc = start_node(ld, FDX_CONFIG_SCALAR, m, ev->data.scalar.anchor, ev->data.scalar.tag, &n);
    if (rc < 0)
        return rc;
    size_t len = ev->data.scalar.length;
    n->text = malloc(len + 1);
    if (!n->text)
        return FDX_ENOMEM;
    memcpy(n->text, ev->data.scalar.value, len);
    n->text[len] = '\0';
    if (strlen(n->text) != len)
        return fail_at(ld, m, FDX_EFORMAT, "a value contains a NUL character");
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return attach(ld, n, m);
}

static int open_event(struct loader *ld, const yaml_event_t *ev, uint32_t kind)
{
    const yaml_mark_t *m = &ev->start_mark;
    bool map = kind == FDX_CONFIG_MAP;
    struct fdx_config_node *n;
    int rc = start_node(ld, kind, m,
                        map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor,
                        map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag, &n);
    if (rc < 0)
        return rc;
    rc = attach(ld, n, m);
    if (rc < 0)
        return rc;
    ld->stack[ld->depth++] = n;
    return 0;
}

static int parse(struct loader *ld, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return FDX_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0;
    for (int done = 0; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            char what[300];
            snprintf(what, sizeof(what), "YAML syntax: %s%s%s", p.problem ? p.problem : "error",
                     p.context ? " " : "", p.context ? p.context : "");
            rc = fail_at(ld, &p.problem_mark, FDX_EFORMAT, what);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (ld->c->root)
                rc = fail_at(ld, &ev.start_mark, FDX_EFORMAT,
                             "more than one document (a second '---')");
            break;
        case YAML_ALIAS_EVENT:
            rc = fail_at(ld, &ev.start_mark, FDX_EFORMAT, "anchors and aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            rc = scalar_event(ld, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = open_event(ld, &ev, FDX_CONFIG_LIST);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = open_event(ld, &ev, FDX_CONFIG_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            ld->depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

int fdx_config_load_string(const char *text, size_t len, const char *name, fdx_config **ret_config,
                           char *errbuf, size_t errlen)
{
    if (!ret_config || (!text && len)) {
        fdxi_set_err(errbuf, errlen, "fdx_config_load_string: invalid argument");
        return FDX_EINVAL;
    }
    *ret_config = NULL;
    if (!name)
        name = "<string>";
    if (len > FDX_CONFIG_MAX_BYTES) {
        fdxi_set_err(errbuf, errlen, "%s: larger than %u bytes", name, FDX_CONFIG_MAX_BYTES);
        return FDX_ERANGE;
    }
    struct fdx_config *c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return FDX_ENOMEM;
    }
    struct loader ld = {.c = c, .err = errbuf, .errlen = errlen};
    int rc = parse(&ld, len ? text : "", len);
    if (rc == 0 && c->root && c->root->kind == FDX_CONFIG_SCALAR && c->root->text[0] == '\0') {
        /* "---" alone or a comment-only file: an empty mapping. */
        c->root->kind = FDX_CONFIG_MAP;
    }
    if (rc == 0 && !c->root) {
        yaml_mark_t m = {0, 0, 0};
        c->root = new_node(c, FDX_CONFIG_MAP, &m);
        if (!c->root)
            rc = FDX_ENOMEM;
    }
    if (rc == 0 && c->root->kind != FDX_CONFIG_MAP) {
        fdxi_set_err(errbuf, errlen, "%s:%u:%u: the document must be a mapping of keys to values",
                     name, c->root->line, c->root->col);
        rc = FDX_EFORMAT;
    }
    if (rc < 0) {
        if (rc == FDX_ENOMEM)
            fdxi_set_err(errbuf, errlen, "%s: out of memory", name);
        fdx_config_free(c);
        return rc;
    }
    *ret_config = c;
    return 0;
}

int fdx_config_load_file(const char *path, fdx_config **ret_config, char *errbuf, size_t errlen)
{
    if (!path || !ret_config) {
        fdxi_set_err(errbuf, errlen, "fdx_config_load_file: invalid argument");
        return FDX_EINVAL;
    }
    *ret_config = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        fdxi_set_err(errbuf, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? FDX_ENOENT : FDX_EIO;
    }
    char *buf = malloc(FDX_CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return FDX_ENOMEM;
    }
    size_t len = fread(buf, 1, FDX_CONFIG_MAX_BYTES + 1, f);
    int bad = ferror(f) ? errno : 0; /* EISDIR for a directory, which fopen opens */
    fclose(f);
    int rc;
    if (bad) {
        fdxi_set_err(errbuf, errlen, "%s: %s", path,
                     bad == EISDIR ? "is a directory" : strerror(bad));
        rc = FDX_EIO;
    } else if (len > FDX_CONFIG_MAX_BYTES) {
        fdxi_set_err(errbuf, errlen, "%s: larger than %u bytes", path, FDX_CONFIG_MAX_BYTES);
        rc = FDX_ERANGE;
    } else {
        rc = fdx_config_load_string(buf, len, path, ret_config, errbuf, errlen);
    }
    free(buf);
    return rc;
}

void fdx_config_free(fdx_config *config)
{
    if (!config)
        return;
    for (struct fdx_config_node *n = config->all, *next; n; n = next) {
        next = n->all_next;
        free(n->text);
        free(n->children);
        for (uint32_t i = 0; i < n->n_asked; i++)
            free((char *)n->asked_names[i]);
        free(n->asked_names);
        free(n);
    }
    free(config->name);
    free(config);
}

const fdx_config_node *fdx_config_root(const fdx_config *config)
{
    return config ? config->root : NULL;
}
