/* SPDX-License-Identifier: BSD-3-Clause */
/* Assigns IPFIX information elements (ids, names, types) to the values of an engine's records. */
#include "export/ipfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/err.h"
#include "flowdx/flowdx_export.h"
#include "flowdx/flowdx_plugin.h"
#include "plugin/run.h"

/*
 * Element blocks of the built-in feature sets under flowdx's enterprise number. A value's
 * element id is the block base plus its index in the set (doc/ipfix.md lists them). A value that
 * is the response-direction twin of a request value of the same set is exported as the RFC 5103
 * reverse of its twin's element instead; its own id in the block stays unused.
 */
struct block {
    const char *set;          /* feature set name */
    const char *tag;          /* element names: "fdx" + tag + the value's name in camel case */
    uint32_t base;            /* element id of the set's first value */
    const char *twin_prefix;  /* a value named twin_prefix + X is the response twin of X */
    const char *const *twins; /* pairs: response value, its request twin; NULL-terminated */
};

/* DoH statistics: the received side of a flow is the response direction (doc/features/doh.md). */
static const char *const doh_twins[] = {
    "FlowBytesReceived", "FlowBytesSent", "FlowReceivedRate", "FlowSentRate", NULL,
};

static const struct block blocks[] = {
    {"zadnik", "Zadnik", 9000, "r", NULL},
    {"doh:ip", "DohIp", 10000, NULL, doh_twins},
    {"doh:dohlyzer", "Dohlyzer", 11000, NULL, doh_twins},
    {"dpi", "", 12000, NULL, NULL},
    {"flowrec", "Flowrec", 13000, "r", NULL},
    {"moore", "", 14000, NULL, NULL}, /* names start with moore_ already; a/b are in the names */
};

/* Blocks are this wide: a set has at most this many values. */
#define BLOCK_WIDTH 1000u

/* Verdict slots: a detector or plugin named here has its own three ids, anything else
 * SLOT_OTHER_BASE + SLOT_WIDTH * (its rank among the other slots). */
static const struct {
    const char *name;
    uint32_t base;
} known_slots[] = {
    {"doh", 8300},
    {"spam", 8310},
};
#define SLOT_OTHER_BASE 8400u
#define SLOT_WIDTH 10u

uint32_t fdxi_ipfix_block_base(const char *set_name)
{
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        if (strcmp(blocks[i].set, set_name) == 0)
            return blocks[i].base;
    }
    return 0;
}

/* Append @p name in camel case: '_' and '-' dropped, each part's first letter capitalised. */
static void camel(char *buf, size_t len, const char *name)
{
    size_t n = strlen(buf);
    int up = 1;
    for (const char *c = name; *c != '\0' && n + 1 < len; c++) {
        if (*c == '_' || *c == '-') {
            up = 1;
            continue;
        }
        buf[n++] = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
        up = 0;
    }
    buf[n] = '\0';
}

/* libfixbuf's and RFC 5103's name of a reverse element: "reverse" + the name, capitalised (cut
 * to fit @p len, which is more than 8). */
static void reverse_name(char *buf, size_t len, const char *forward)
{
    size_t n = strlen(forward);
    if (n + 8 > len)
        n = len - 8;
    memcpy(buf, "reverse", 7);
    memcpy(buf + 7, forward, n);
    buf[7 + n] = '\0';
    if (buf[7] >= 'a' && buf[7] <= 'z')
        buf[7] = (char)(buf[7] - 'a' + 'A');
}

struct builder {
    struct fdxi_ipfix_layout *l;
    uint32_t cap;
    char *errbuf;
    size_t errlen;
};

static struct fdxi_ipfix_element *add(struct builder *b, const char *name, uint32_t pen,
                                      uint32_t id, uint32_t type, uint32_t src, uint32_t index)
{
    struct fdxi_ipfix_layout *l = b->l;
    if (l->n == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 64;
        struct fdxi_ipfix_element *el = realloc(l->el, cap * sizeof(*el));
        if (el == NULL)
            return NULL;
        l->el = el;
        b->cap = cap;
    }
    struct fdxi_ipfix_element *e = &l->el[l->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->pen = pen;
    e->id = (uint16_t)id;
    e->type = (uint8_t)type;
    switch (type) {
    case FDXI_IE_UNSIGNED8:
        e->len = 1;
        break;
    case FDXI_IE_UNSIGNED16:
        e->len = 2;
        break;
    case FDXI_IE_UNSIGNED32:
    case FDXI_IE_IPV4:
        e->len = 4;
        break;
    case FDXI_IE_IPV6:
        e->len = 16;
        break;
    case FDXI_IE_STRING:
        e->len = FDXI_IPFIX_VARLEN;
        break;
    default:
        e->len = 8;
        break;
    }
    e->src = src;
    e->index = index;
    return e;
}

/* An IANA element (or its RFC 5103 reverse) that libfixbuf's information model defines. */
static int add_iana(struct builder *b, const char *name, uint32_t pen, uint32_t id, uint32_t type,
                    uint32_t semantics, uint32_t ipver, uint32_t src, uint32_t index)
{
    struct fdxi_ipfix_element *e = add(b, name, pen, id, type, src, index);
    if (e == NULL)
        return FDX_ENOMEM;
    e->semantics = (uint8_t)semantics;
    e->ipver = (uint8_t)ipver;
    return 0;
}

/* An element flowdx defines, with a description for its RFC 5610 record. */
static int add_own(struct builder *b, const char *name, uint32_t pen, uint32_t id, uint32_t type,
                   uint32_t semantics, uint32_t src, uint32_t index, const char *description)
{
    struct fdxi_ipfix_element *e = add(b, name, pen, id, type, src, index);
    if (e == NULL)
        return FDX_ENOMEM;
    e->semantics = (uint8_t)semantics;
    e->defined = 1;
    snprintf(e->description, sizeof(e->description), "%s", description);
    return 0;
}

static int add_identifiers(struct builder *b, uint32_t pen)
{
    /* RFC 7012 / the IANA registry: ids, types and semantics. */
    static const struct {
        const char *name;
        uint32_t pen, id, type, semantics, ipver, src, index;
    } ids[] = {
        {"flowId", 0, 148, FDXI_IE_UNSIGNED64, FDXI_IE_SEM_IDENTIFIER, 0, FDXI_SRC_FLOW_ID, 0},
        {"sourceIPv4Address", 0, 8, FDXI_IE_IPV4, FDXI_IE_SEM_DEFAULT, 4, FDXI_SRC_SRC_ADDR, 0},
        {"sourceIPv6Address", 0, 27, FDXI_IE_IPV6, FDXI_IE_SEM_DEFAULT, 6, FDXI_SRC_SRC_ADDR, 0},
        {"sourceTransportPort", 0, 7, FDXI_IE_UNSIGNED16, FDXI_IE_SEM_IDENTIFIER, 0,
         FDXI_SRC_SRC_PORT, 0},
        {"destinationIPv4Address", 0, 12, FDXI_IE_IPV4, FDXI_IE_SEM_DEFAULT, 4, FDXI_SRC_DST_ADDR,
         0},
        {"destinationIPv6Address", 0, 28, FDXI_IE_IPV6, FDXI_IE_SEM_DEFAULT, 6, FDXI_SRC_DST_ADDR,
         0},
        {"destinationTransportPort", 0, 11, FDXI_IE_UNSIGNED16, FDXI_IE_SEM_IDENTIFIER, 0,
         FDXI_SRC_DST_PORT, 0},
        {"protocolIdentifier", 0, 4, FDXI_IE_UNSIGNED8, FDXI_IE_SEM_IDENTIFIER, 0, FDXI_SRC_PROTO,
         0},
        /* milliseconds for collectors that read no other times (nfdump, pmacct), before the
         * microseconds, which a reader that keeps the last time of a record then keeps */
        {"flowStartMilliseconds", 0, 152, FDXI_IE_DATETIME_MS, FDXI_IE_SEM_DEFAULT, 0,
         FDXI_SRC_START, 0},
        {"flowEndMilliseconds", 0, 153, FDXI_IE_DATETIME_MS, FDXI_IE_SEM_DEFAULT, 0, FDXI_SRC_END,
         0},
        {"flowStartMicroseconds", 0, 154, FDXI_IE_DATETIME_US, FDXI_IE_SEM_DEFAULT, 0,
         FDXI_SRC_START, 0},
        {"flowEndMicroseconds", 0, 155, FDXI_IE_DATETIME_US, FDXI_IE_SEM_DEFAULT, 0, FDXI_SRC_END,
         0},
        {"flowEndReason", 0, 136, FDXI_IE_UNSIGNED8, FDXI_IE_SEM_IDENTIFIER, 0,
         FDXI_SRC_IANA_END_REASON, 0},
        {"packetDeltaCount", 0, 2, FDXI_IE_UNSIGNED64, FDXI_IE_SEM_DELTA, 0, FDXI_SRC_PACKETS,
         FDX_DIR_REQ},
        {"octetDeltaCount", 0, 1, FDXI_IE_UNSIGNED64, FDXI_IE_SEM_DELTA, 0, FDXI_SRC_BYTES,
         FDX_DIR_REQ},
        {"reversePacketDeltaCount", FDXI_IPFIX_PEN_REVERSE, 2, FDXI_IE_UNSIGNED64,
         FDXI_IE_SEM_DELTA, 0, FDXI_SRC_PACKETS, FDX_DIR_RESP},
        {"reverseOctetDeltaCount", FDXI_IPFIX_PEN_REVERSE, 1, FDXI_IE_UNSIGNED64, FDXI_IE_SEM_DELTA,
         0, FDXI_SRC_BYTES, FDX_DIR_RESP},
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (add_iana(b, ids[i].name, ids[i].pen, ids[i].id, ids[i].type, ids[i].semantics,
                     ids[i].ipver, ids[i].src, ids[i].index) < 0)
            return FDX_ENOMEM;
    }
    if (add_own(b, "fdxEndReason", pen, FDXI_IPFIX_ID_END_REASON, FDXI_IE_UNSIGNED8,
                FDXI_IE_SEM_IDENTIFIER, FDXI_SRC_END_REASON, 0,
                "why flowdx ended the record: 0 idle, 1 active, 2 fin, 3 rst, 4 evicted, 5 eof, "
                "6 cut, 7 clock (doc/flows.md)") < 0 ||
        add_own(b, "fdxSegment", pen, FDXI_IPFIX_ID_SEGMENT, FDXI_IE_UNSIGNED32,
                FDXI_IE_SEM_IDENTIFIER, FDXI_SRC_SEGMENT, 0,
                "0 for a connection's first record, +1 after each active-timeout cut") < 0)
        return FDX_ENOMEM;
    return 0;
}

/* Index of the value named @p name in @p set, or -1. */
static int64_t value_index(const struct fdxi_feature_set *set, const char *name)
{
    for (uint32_t i = 0; i < set->n_features; i++) {
        if (strcmp(set->feature_names[i], name) == 0)
            return i;
    }
    return -1;
}

/* The request twin of value @p name of @p bl's set, or NULL. */
static const char *twin_of(const struct block *bl, const struct fdxi_feature_set *set,
                           const char *name)
{
    if (bl->twin_prefix != NULL) {
        size_t n = strlen(bl->twin_prefix);
        if (strncmp(name, bl->twin_prefix, n) == 0 && value_index(set, name + n) >= 0)
            return name + n;
    }
    for (const char *const *t = bl->twins; t != NULL && t[0] != NULL; t += 2) {
        if (strcmp(t[0], name) == 0 && value_index(set, t[1]) >= 0)
            return t[1];
    }
    return NULL;
}

static int add_set(struct builder *b, uint32_t pen, const struct fdxi_feature_set *set,
                   uint32_t first)
{
    const struct block *bl = NULL;
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        if (strcmp(blocks[i].set, set->name) == 0)
            bl = &blocks[i];
    }
    if (bl == NULL || set->n_features > BLOCK_WIDTH) {
        fdxi_set_err(b->errbuf, b->errlen,
                     "feature set '%s' has no IPFIX elements yet (lib/export/ipfix_elements.c)",
                     set->name);
        return FDX_EINVAL;
    }
    for (uint32_t i = 0; i < set->n_features; i++) {
        const char *name = set->feature_names[i];
        const char *twin = twin_of(bl, set, name);
        char forward[FDXI_IPFIX_NAME_MAX] = "fdx", ie[FDXI_IPFIX_NAME_MAX];
        char desc[192];
        snprintf(forward + 3, sizeof(forward) - 3, "%s", bl->tag);
        camel(forward, sizeof(forward), twin ? twin : name);
        uint32_t id = bl->base + (twin ? (uint32_t)value_index(set, twin) : i);
        if (twin != NULL) {
            reverse_name(ie, sizeof(ie), forward);
            id |= FDXI_IPFIX_REVERSE_BIT;
        } else {
            snprintf(ie, sizeof(ie), "%s", forward);
        }
        snprintf(desc, sizeof(desc), "flowdx feature set %s, value '%s'%s%s%s", set->name, name,
                 twin ? " (the response twin of '" : "", twin ? twin : "", twin ? "')" : "");
        if (add_own(b, ie, pen, id, FDXI_IE_FLOAT64, FDXI_IE_SEM_DEFAULT, FDXI_SRC_VALUE, first + i,
                    desc) < 0)
            return FDX_ENOMEM;
    }
    return 0;
}

static const uint32_t field_types[] = {
    [FDX_FIELD_U8] = FDXI_IE_UNSIGNED8,   [FDX_FIELD_U16] = FDXI_IE_UNSIGNED16,
    [FDX_FIELD_U32] = FDXI_IE_UNSIGNED32, [FDX_FIELD_U64] = FDXI_IE_UNSIGNED64,
    [FDX_FIELD_F64] = FDXI_IE_FLOAT64,
};

static int add_plugin(struct builder *b, uint32_t pen, const struct fdx_plugin *d, uint32_t first)
{
    for (uint32_t j = 0; j < d->n_fields; j++) {
        const struct fdx_plugin_field *f = &d->fields[j];
        if (f->element_id == 0)
            continue; /* kept out of IPFIX by the plugin */
        uint32_t fpen = f->enterprise == FDX_PEN_OWN ? pen : f->enterprise;
        uint32_t id = f->element_id;
        if (fpen != 0 && id >= FDXI_IPFIX_REVERSE_BIT) {
            fdxi_set_err(b->errbuf, b->errlen,
                         "plugin '%s': field '%s': enterprise element id %u is above 16383 (bit "
                         "0x4000 marks reverse elements, RFC 5103)",
                         d->name, f->name, id);
            return FDX_EINVAL;
        }
        if (f->enterprise == FDX_PEN_OWN && id >= FDXI_IPFIX_OWN_FIRST) {
            fdxi_set_err(b->errbuf, b->errlen,
                         "plugin '%s': field '%s': element id %u is flowdx's own (plugins use "
                         "1-%u under the host's enterprise number)",
                         d->name, f->name, id, FDXI_IPFIX_OWN_FIRST - 1);
            return FDX_EINVAL;
        }
        char forward[FDXI_IPFIX_NAME_MAX] = "fdx", ie[FDXI_IPFIX_NAME_MAX];
        char desc[192];
        if (f->direction == FDX_FIELD_RESP) {
            /* Named after a forward field of the plugin with the same element, if it has one. */
            const char *fname = f->name;
            for (uint32_t k = 0; k < d->n_fields; k++) {
                const struct fdx_plugin_field *g = &d->fields[k];
                if (g->direction != FDX_FIELD_RESP && g->enterprise == f->enterprise &&
                    g->element_id == f->element_id)
                    fname = g->name;
            }
            camel(forward, sizeof(forward), fname);
            reverse_name(ie, sizeof(ie), forward);
            if (fpen == 0)
                fpen = FDXI_IPFIX_PEN_REVERSE;
            else
                id |= FDXI_IPFIX_REVERSE_BIT;
        } else {
            camel(forward, sizeof(forward), f->name);
            snprintf(ie, sizeof(ie), "%s", forward);
        }
        snprintf(desc, sizeof(desc), "plugin %s: %s", d->name,
                 f->description ? f->description : f->name);
        uint32_t type = f->type < sizeof(field_types) / sizeof(field_types[0])
                            ? field_types[f->type]
                            : FDXI_IE_FLOAT64;
        int rc =
            fpen == 0 || fpen == FDXI_IPFIX_PEN_REVERSE
                ? add_iana(b, "", fpen, id, type, FDXI_IE_SEM_DEFAULT, 0, FDXI_SRC_VALUE, first + j)
                : add_own(b, ie, fpen, id, type, FDXI_IE_SEM_DEFAULT, FDXI_SRC_VALUE, first + j,
                          desc);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A verdict slot's name: 1-63 characters of [a-z0-9_-]. */
static int slot_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int add_slot(struct builder *b, uint32_t pen, const char *name, uint32_t slot,
                    uint32_t *others)
{
    uint32_t base = 0;
    for (size_t i = 0; i < sizeof(known_slots) / sizeof(known_slots[0]); i++) {
        if (strcmp(known_slots[i].name, name) == 0)
            base = known_slots[i].base;
    }
    if (base == 0)
        base = SLOT_OTHER_BASE + SLOT_WIDTH * (*others)++;
    char ie[FDXI_IPFIX_NAME_MAX], desc[192];
    static const struct {
        const char *suffix;
        uint32_t type, semantics, src;
        const char *what;
    } parts[] = {
        {"Verdict", FDXI_IE_UNSIGNED8, FDXI_IE_SEM_IDENTIFIER, FDXI_SRC_VERDICT,
         "verdict: 0 none, 1 benign, 2 malicious, 3 uncertain, 4 declined"},
        {"Score", FDXI_IE_FLOAT64, FDXI_IE_SEM_DEFAULT, FDXI_SRC_SCORE,
         "score: its own strength of the verdict"},
        {"Label", FDXI_IE_STRING, FDXI_IE_SEM_DEFAULT, FDXI_SRC_LABEL,
         "label: its name for the verdict (\"malicious\", \"spam\", ...)"},
    };
    for (uint32_t k = 0; k < 3; k++) {
        snprintf(ie, sizeof(ie), "fdx");
        camel(ie, sizeof(ie), name);
        camel(ie, sizeof(ie), parts[k].suffix);
        snprintf(desc, sizeof(desc), "detector %s, %s", name, parts[k].what);
        if (add_own(b, ie, pen, base + k, parts[k].type, parts[k].semantics, parts[k].src, slot,
                    desc) < 0)
            return FDX_ENOMEM;
    }
    return 0;
}

static int by_key(const void *a, const void *b)
{
    const struct fdxi_ipfix_element *x = *(const struct fdxi_ipfix_element *const *)a;
    const struct fdxi_ipfix_element *y = *(const struct fdxi_ipfix_element *const *)b;
    if (x->pen != y->pen)
        return x->pen < y->pen ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    const struct fdxi_ipfix_element *x = *(const struct fdxi_ipfix_element *const *)a;
    const struct fdxi_ipfix_element *y = *(const struct fdxi_ipfix_element *const *)b;
    return strcmp(x->name, y->name);
}

/* Who a value of the record is, for messages. */
static void describe(const struct fdxi_ipfix_element *e, const fdx_engine *eng, char *buf,
                     size_t len)
{
    if (e->src == FDXI_SRC_VALUE)
        snprintf(buf, len, "value '%s'", fdx_engine_feature_name(eng, e->index));
    else
        snprintf(buf, len, "element %s", e->name);
}

/* No element twice in one template: the same enterprise and id, or (for the elements flowdx
 * defines in the information model) the same name. */
static int check_unique(struct builder *b, const fdx_engine *eng)
{
    struct fdxi_ipfix_layout *l = b->l;
    const struct fdxi_ipfix_element **p = malloc((size_t)l->n * sizeof(*p));
    if (p == NULL)
        return FDX_ENOMEM;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (uint32_t i = 0; i < l->n; i++)
            p[i] = &l->el[i];
        qsort(p, l->n, sizeof(*p), pass == 0 ? by_key : by_name);
        for (uint32_t i = 1; i < l->n && rc == 0; i++) {
            const struct fdxi_ipfix_element *x = p[i - 1], *y = p[i];
            if (x->ipver != 0 && y->ipver != 0 && x->ipver != y->ipver)
                continue; /* never in the same template */
            if (pass == 0 ? by_key(&x, &y) != 0
                          : (!x->defined && !y->defined) || by_name(&x, &y) != 0)
                continue;
            char a[160], c[160];
            describe(x, eng, a, sizeof(a));
            describe(y, eng, c, sizeof(c));
            if (pass == 0)
                fdxi_set_err(b->errbuf, b->errlen,
                             "%s and %s would both be IPFIX element %u/%u: a plugin's field "
                             "table must give each field its own element",
                             a, c, x->pen, x->id);
            else
                fdxi_set_err(b->errbuf, b->errlen, "%s and %s would both be named '%s' in IPFIX", a,
                             c, x->name);
            rc = FDX_EINVAL;
        }
    }
    free(p);
    return rc;
}

int fdxi_ipfix_layout_new(const fdx_engine *e, uint32_t pen, const char *const *detectors,
                          uint32_t n_detectors, struct fdxi_ipfix_layout **ret, char *errbuf,
                          size_t errlen)
{
    if (pen == 0 || pen == FDXI_IPFIX_PEN_REVERSE || pen == FDX_PEN_OWN) {
        fdxi_set_err(errbuf, errlen,
                     "enterprise number %u cannot hold flowdx's elements (0 is IANA's, 29305 "
                     "RFC 5103's reverse elements)",
                     pen);
        return FDX_EINVAL;
    }
    if (n_detectors > FDX_IPFIX_MAX_DETECTORS || (n_detectors > 0 && detectors == NULL)) {
        fdxi_set_err(errbuf, errlen, "%u detector verdict slots (at most %u)", n_detectors,
                     FDX_IPFIX_MAX_DETECTORS);
        return FDX_EINVAL;
    }
    struct builder b = {.l = calloc(1, sizeof(*b.l)), .errbuf = errbuf, .errlen = errlen};
    if (b.l == NULL)
        return FDX_ENOMEM;
    int rc = add_identifiers(&b, pen);
    uint32_t first = 0, values = 0;
    const struct fdxi_feature_set *set;
    for (uint32_t i = 0; rc == 0 && (set = fdxi_engine_set_at(e, i, &first)) != NULL; i++) {
        rc = add_set(&b, pen, set, first);
        values = first + set->n_features;
    }
    const struct fdxi_plugin_run *run = fdxi_engine_plugins(e);
    uint32_t n_plugins = fdxi_plugin_run_count(run);
    for (uint32_t i = 0; rc == 0 && i < n_plugins; i++) {
        const struct fdx_plugin *d = fdxi_plugin_run_descriptor(run, i);
        rc = add_plugin(&b, pen, d, values);
        values += d->n_fields;
    }
    uint32_t others = 0;
    for (uint32_t i = 0; rc == 0 && i < n_detectors + n_plugins; i++) {
        const char *name =
            i < n_detectors ? detectors[i] : fdxi_plugin_run_descriptor(run, i - n_detectors)->name;
        if (!slot_name_ok(name)) {
            fdxi_set_err(errbuf, errlen,
                         "detector name '%s': 1-63 characters of a-z, 0-9, '_' and '-'",
                         name ? name : "(null)");
            rc = FDX_EINVAL;
            break;
        }
        rc = add_slot(&b, pen, name, i, &others);
    }
    if (rc == 0 && values != fdx_engine_feature_count(e)) {
        fdxi_set_err(errbuf, errlen, "the engine's records hold %u values, its sets and plugins %u",
                     fdx_engine_feature_count(e), values);
        rc = FDX_EINVAL;
    }
    if (rc == 0)
        rc = check_unique(&b, e);
    if (rc == FDX_ENOMEM)
        fdxi_set_err(errbuf, errlen, "out of memory");
    if (rc < 0) {
        fdxi_ipfix_layout_free(b.l);
        return rc;
    }
    b.l->n_values = values;
    b.l->n_detectors = n_detectors;
    b.l->n_slots = n_detectors + n_plugins;
    *ret = b.l;
    return 0;
}

void fdxi_ipfix_layout_free(struct fdxi_ipfix_layout *l)
{
    if (l == NULL)
        return;
    free(l->el);
    free(l);
}
