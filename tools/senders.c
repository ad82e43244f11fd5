/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx report senders` command: the main spam senders among labelled or classified flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tool.h"

#define MAX_SOURCES 10000000u
#define MAX_VALUE_BYTES 4096u

void usage_report(FILE *out)
{
    fprintf(
        out,
        "Usage: flowdx report senders -i FLOWS [--min-spam N] [--label-column NAME]\n"
        "                             [--spam-value V] [--src-column NAME] [--all] [--json]\n"
        "       flowdx report senders -r CAPTURE [-r CAPTURE ...] [-m MODEL] [--min-spam N]\n"
        "                             [--all] [--json]\n\n"
        "Counts, per source address, its flows and its spam flows, and lists the main spam\n"
        "senders: the sources with at least N spam flows (default 10), with their share of all\n"
        "spam flows (the spam paper found 7 senders behind 46%% of its spam).\n\n"
        "FLOWS is either CSV with a header (flowdx extract output labelled by flowdx label, or\n"
        "any CSV with a source address column and a label column) or JSON lines (one object per\n"
        "flow, such as flowdx run --format jsonl writes); the first byte that is not a space\n"
        "tells which ('{' for JSON lines). A flow is spam when its label equals V, compared\n"
        "ignoring case (without --spam-value: spam, or malicious, as the detectors' verdicts\n"
        "say); any other value, 'uncertain' included, is not spam. When no flow is spam, a\n"
        "warning lists the labels seen.\n"
        "In JSON lines of schema 1 (flowdx run -c, run --detect doh,spam, collect) the label\n"
        "is verdicts.spam.verdict, where 'malicious' is spam. Flows the detector did not judge\n"
        "are left out and counted: in JSON lines of schema 1 those without the label, in CSV\n"
        "those whose label is empty or 'declined' (the spam_verdict column of run -c). A\n"
        "dotted --label-column (verdicts.NAME.verdict) reads nested fields. An input without\n"
        "flows gives a report of 0 flows.\n\n"
        "With -r, the flows come from captures: their SMTP flows are classified by the spam\n"
        "detector first (as flowdx run --detect spam does, with the shipped model unless -m\n"
        "names another), and only the report is printed.\n\n"
        "Options:\n"
        "  -i, --input FILE        the flows ('-' = standard input)\n"
        "  -r, --read CAPTURE      a capture to classify instead (pcap/pcapng); repeatable\n"
        "  -m, --model FILE        with -r: the spam model (default conf/models/spam.fdxm,\n"
        "                          else " FDX_INSTALLED_MODEL_DIR "/spam.fdxm)\n"
        "      --min-spam N        spam flows a main sender has at least (default 10)\n"
        "      --label-column NAME column or field of the label (default: Label in CSV,\n"
        "                          verdict in JSON lines)\n"
        "      --spam-value V      the label of spam (default spam)\n"
        "      --src-column NAME   column or field of the source address (default src_addr;\n"
        "                          in CSV, SourceIP when there is no src_addr)\n"
        "      --all               also list every source\n"
        "      --json              print JSON instead of the tables\n"
        "  -h, --help              this text\n");
}

/* ---- sources, counted in an open-addressing hash table ---- */

struct sender {
    char *addr; /* canonical text (inet_ntop); NULL: empty slot */
    uint64_t flows;
    uint64_t spam;
};

struct table {
    struct sender *slot;
    size_t cap; /* a power of two */
    size_t n;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static struct sender *slot_of(struct sender *slot, size_t cap, const char *addr)
{
    size_t i = (size_t)hash(addr) & (cap - 1);
    while (slot[i].addr != NULL && strcmp(slot[i].addr, addr) != 0)
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

static bool grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    struct sender *slot = calloc(cap, sizeof(*slot));
    if (slot == NULL)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slot[i].addr != NULL)
            *slot_of(slot, cap, t->slot[i].addr) = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
    return true;
}

/* The counters of @p addr, added when new; NULL when out of memory. */
static struct sender *lookup(struct table *t, const char *addr)
{
    if ((t->n + 1) * 10 > t->cap * 7 && !grow(t))
        return NULL;
    struct sender *s = slot_of(t->slot, t->cap, addr);
    if (s->addr == NULL) {
        if ((s->addr = strdup(addr)) == NULL)
            return NULL;
        t->n++;
    }
    return s;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i].addr);
    free(t->slot);
}

/* ---- reading ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/*
 * Split a CSV line in place into at most @p cap fields (quoted fields may hold commas and
 * doubled quotes, not line breaks). Returns the number of fields, or 0 after printing why.
 */
static size_t split_csv(const struct text_reader *r, char *line, char **field, size_t cap)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == cap) {
            fprintf(stderr, "flowdx report senders: %s:%llu: more than %zu fields\n", r->name,
                    (unsigned long long)r->line_no, cap);
            return 0;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            char *w = ++p;
            field[n++] = w;
            for (;; p++) {
                if (*p == '\0') {
                    fprintf(stderr,
                            "flowdx report senders: %s:%llu: field %zu: quote not closed on its "
                            "line\n",
                            r->name, (unsigned long long)r->line_no, n);
                    return 0;
                }
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
                *w++ = *p;
            }
            *w = '\0';
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ',' && *p != '\0') {
                fprintf(stderr,
                        "flowdx report senders: %s:%llu: field %zu: text after a closing quote\n",
                        r->name, (unsigned long long)r->line_no, n);
                return 0;
            }
        } else {
            field[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p == '\0')
            return n;
        *p++ = '\0';
    }
}

/* The canonical text of an IPv4 or IPv6 address into @p out; false when @p text is neither. */
static bool canonical_addr(const char *text, char out[INET6_ADDRSTRLEN])
{
    unsigned char bin[16];
    if (inet_pton(AF_INET, text, bin) == 1)
        return inet_ntop(AF_INET, bin, out, INET6_ADDRSTRLEN) != NULL;
    if (inet_pton(AF_INET6, text, bin) == 1)
        return inet_ntop(AF_INET6, bin, out, INET6_ADDRSTRLEN) != NULL;
    return false;
}

/* What the command counts, and how it recognises a spam flow. */
struct count {
    struct table t;
    const char *spam_value;
    const char *label_column; /* NULL: the format's default */
    const char *src_column;   /* NULL: the format's default */
    uint64_t flows, spam;
    uint64_t not_judged;   /* schema-1 records without the label */
    bool spam_value_given; /* --spam-value: only V is spam; else "malicious" (a verdict) too */
    char seen[8][33];      /* the first labels seen that are not spam, for the warning */
    unsigned n_seen;
    bool jsonl;
    const char *kind; /* what the input is, for the report; NULL: CSV or JSON lines */
};

/* Count one flow; false after printing why. */
static bool add_flow(struct count *k, const struct text_reader *r, const char *what,
                     const char *addr, const char *label)
{
    char canon[INET6_ADDRSTRLEN];
    if (!canonical_addr(addr, canon)) {
        fprintf(stderr, "flowdx report senders: %s:%llu: %s: '%.64s' is not an IP address\n",
                r->name, (unsigned long long)r->line_no, what, addr);
        return false;
    }
    if (k->t.n == MAX_SOURCES && slot_of(k->t.slot, k->t.cap, canon)->addr == NULL) {
        fprintf(stderr, "flowdx report senders: %s:%llu: more than %u sources\n", r->name,
                (unsigned long long)r->line_no, MAX_SOURCES);
        return false;
    }
    struct sender *s = lookup(&k->t, canon);
    if (s == NULL) {
        fprintf(stderr, "flowdx report senders: out of memory\n");
        return false;
    }
    /* The detectors' verdicts (run -c's spam_verdict column, verdicts.spam.verdict) say
     * "malicious" where lab labels say "spam". */
    bool spam = strcasecmp(label, k->spam_value) == 0 ||
                (!k->spam_value_given && strcasecmp(label, "malicious") == 0);
    if (!spam && k->n_seen < sizeof(k->seen) / sizeof(k->seen[0])) {
        unsigned i = 0;
        while (i < k->n_seen && strcmp(k->seen[i], label) != 0)
            i++;
        if (i == k->n_seen)
            snprintf(k->seen[k->n_seen++], sizeof(k->seen[0]), "%s", label);
    }
    s->flows++;
    s->spam += spam;
    k->flows++;
    k->spam += spam;
    return true;
}

static long column(char **field, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(trim(field[i]), name) == 0)
            return (long)i;
    }
    return -1;
}

#define MAX_FIELDS 8192

static bool read_csv(struct count *k, struct text_reader *r)
{
    static char *field[MAX_FIELDS];
    size_t n_header = split_csv(r, r->line, field, MAX_FIELDS);
    if (n_header == 0)
        return false;
    /* as the other readers of CSV (train, analyze): a name means one column */
    for (size_t i = 0; i < n_header; i++)
        field[i] = trim(field[i]);
    if (!columns_unique(r, field, n_header))
        return false;
    const char *src_name = k->src_column != NULL ? k->src_column : "src_addr";
    long src = column(field, n_header, src_name);
    if (src < 0 && k->src_column == NULL)
        src = column(field, n_header, src_name = "SourceIP");
    const char *label_name = k->label_column != NULL ? k->label_column : "Label";
    long label = column(field, n_header, label_name);
    if (src < 0 || label < 0) {
        fprintf(stderr, "flowdx report senders: %s:%llu: no column '%s'%s\n", r->name,
                (unsigned long long)r->line_no,
                src >= 0        ? label_name
                : k->src_column ? k->src_column
                                : "src_addr",
                src < 0 && k->src_column == NULL ? " (nor SourceIP)" : "");
        return false;
    }
    char what[300];
    snprintf(what, sizeof(what), "column '%s'", src_name);
    int rc;
    while ((rc = text_reader_next(r)) > 0) {
        if (trim(r->line)[0] == '\0')
            continue;
        size_t n = split_csv(r, r->line, field, MAX_FIELDS);
        if (n == 0)
            return false;
        if (n != n_header) {
            fprintf(stderr, "flowdx report senders: %s:%llu: %zu fields, the header has %zu\n",
                    r->name, (unsigned long long)r->line_no, n, n_header);
            return false;
        }
        const char *l = trim(field[label]);
        if (l[0] == '\0' || strcmp(l, "declined") == 0) { /* not judged (run -c's CSV) */
            k->not_judged++;
            continue;
        }
        if (!add_flow(k, r, what, trim(field[src]), l))
            return false;
    }
    return rc == 0;
}

/* ---- JSON lines: each line one object (RFC 8259), some of its members read by key ---- */

#define JSON_MAX_DEPTH 64

struct json {
    const char *p;
    const char *start; /* of the line, for columns in messages */
    const char *why;   /* first error, NULL while fine */
    char why_buf[256]; /* for a why naming a key */
};

/* A decoded string: its length, and what cannot be text. */
struct jstr {
    size_t len;     /* may exceed the buffer's capacity - 1: then it holds the first bytes */
    bool nul;       /* \u0000 */
    bool surrogate; /* an unpaired \uD800 to \uDFFF (decoded as U+FFFD) */
};

static void ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
        j->p++;
}

/* The length of the UTF-8 sequence at @p s, or 0 when it is not a well-formed one (RFC 3629: no
 * overlong forms, surrogates or code points beyond U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
    /* by the lead byte: the length, the bits it holds, the least code point of that length */
    static const struct {
        unsigned char lo, hi;
        int n;
        unsigned bits, min;
    } lead[] = {
        {0xC2, 0xDF, 2, 0x1F, 0x80}, {0xE0, 0xEF, 3, 0x0F, 0x800}, {0xF0, 0xF4, 4, 0x07, 0x10000}};
    if (s[0] < 0x80)
        return 1;
    size_t k = 0;
    while (k < 3 && !(s[0] >= lead[k].lo && s[0] <= lead[k].hi))
        k++;
    if (k == 3)
        return 0;
    int n = lead[k].n;
    unsigned cp = s[0] & lead[k].bits, min = lead[k].min;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Four hex digits at @p s, or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char h = s[i];
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Append byte @p b to the decoded string. */
static void put_byte(char *out, size_t cap, struct jstr *s, unsigned b)
{
    if (out != NULL && s->len + 1 < cap)
        out[s->len] = (char)b;
    s->len++;
}

/* Append code point @p cp as UTF-8. */
static void put_utf8(char *out, size_t cap, struct jstr *s, unsigned long cp)
{
    if (cp < 0x80) {
        put_byte(out, cap, s, (unsigned)cp);
    } else if (cp < 0x800) {
        put_byte(out, cap, s, 0xC0 | (unsigned)(cp >> 6));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp & 0x3F));
    } else if (cp < 0x10000) {
        put_byte(out, cap, s, 0xE0 | (unsigned)(cp >> 12));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp >> 6 & 0x3F));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp & 0x3F));
    } else {
        put_byte(out, cap, s, 0xF0 | (unsigned)(cp >> 18));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp >> 12 & 0x3F));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp >> 6 & 0x3F));
        put_byte(out, cap, s, 0x80 | (unsigned)(cp & 0x3F));
    }
}

/*
 * A string at j->p (its quote checked by the caller): RFC 8259's escapes, no control character,
 * UTF-8. Decoded into @p out (@p cap bytes, NUL-terminated) when not NULL; @p ret (if not NULL)
 * tells its length and whether it holds \u0000 or an unpaired surrogate.
 */
static void json_string(struct json *j, char *out, size_t cap, struct jstr *ret)
{
    static const char pairs[] = "\"\"\\\\//b\bf\fn\nr\rt\t"; /* escape, then its byte */
    struct jstr s = {0, false, false};
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '\0') {
            j->why = "string not closed";
            return;
        }
        if (c < 0x20) {
            j->why = "control character in a string";
            return;
        }
        if (c == '"') {
            j->p++;
            break;
        }
        if (c >= 0x80) {
            int n = utf8_len((const unsigned char *)j->p);
            if (n == 0) {
                j->why = "not UTF-8 in a string";
                return;
            }
            for (int i = 0; i < n; i++)
                put_byte(out, cap, &s, (unsigned char)*j->p++);
            continue;
        }
        if (c != '\\') {
            put_byte(out, cap, &s, c);
            j->p++;
            continue;
        }
        char e = j->p[1];
        const char *map = e != '\0' ? strchr(pairs, e) : NULL;
        if (e == 'u') {
            long cp = hex4(j->p + 2);
            if (cp < 0) {
                j->why = "bad \\u escape";
                return;
            }
            j->p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && j->p[0] == '\\' && j->p[1] == 'u') {
                long lo = hex4(j->p + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    j->p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                s.surrogate = true;
                cp = 0xFFFD;
            }
            s.nul |= cp == 0;
            put_utf8(out, cap, &s, (unsigned long)cp);
        } else if (map != NULL && (map - pairs) % 2 == 0) {
            put_byte(out, cap, &s, (unsigned char)map[1]);
            j->p += 2;
        } else {
            j->p++;
            j->why = "bad escape in a string";
            return;
        }
    }
    if (out != NULL)
        out[s.len < cap ? s.len : cap - 1] = '\0';
    if (ret != NULL)
        *ret = s;
}

/* One or more digits at @p p: the end of them, or NULL with the error @p why at @p p. */
static const char *json_digits(struct json *j, const char *p, const char *why)
{
    if (*p < '0' || *p > '9') {
        j->p = p;
        j->why = why;
        return NULL;
    }
    return p + strspn(p, "0123456789");
}

/* A number at j->p: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static void json_number(struct json *j)
{
    const char *p = j->p;
    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
        if (*p >= '0' && *p <= '9') {
            j->p = p;
            j->why = "leading zero in a number";
            return;
        }
    } else if (*p >= '1' && *p <= '9') {
        p += strspn(p, "0123456789");
    } else {
        j->why = p == j->p ? "expected a value" : "expected a digit after '-'";
        j->p = p;
        return;
    }
    if (*p == '.' && (p = json_digits(j, p + 1, "expected a digit after '.'")) == NULL)
        return;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if ((p = json_digits(j, p, "expected a digit in the exponent")) == NULL)
            return;
    }
    j->p = p;
}

/* What the value at @p v is, for messages. */
static const char *json_kind(const char *v)
{
    switch (*v) {
    case '"':
        return "a string";
    case '{':
        return "an object";
    case '[':
        return "an array";
    case 't':
        return "true";
    case 'f':
        return "false";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* Check and pass any value at j->p (after white space), at nesting depth @p depth. */
static void json_value(struct json *j, int depth)
{
    static const char *const literals[] = {"true", "false", "null"};
    char c = *j->p;
    if (c == '"') {
        json_string(j, NULL, 0, NULL);
        return;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        json_number(j);
        return;
    }
    for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
        size_t n = strlen(literals[i]);
        if (strncmp(j->p, literals[i], n) == 0) {
            j->p += n;
            return;
        }
    }
    if (c != '{' && c != '[') {
        j->why = "expected a value";
        return;
    }
    if (depth >= JSON_MAX_DEPTH) {
        j->why = "nested too deeply";
        return;
    }
    char close = c == '{' ? '}' : ']';
    j->p++;
    ws(j);
    if (*j->p == close) {
        j->p++;
        return;
    }
    for (;;) {
        ws(j);
        if (c == '{') {
            if (*j->p != '"') {
                j->why = "expected a key";
                return;
            }
            json_string(j, NULL, 0, NULL);
            if (j->why != NULL)
                return;
            ws(j);
            if (*j->p != ':') {
                j->why = "expected ':'";
                return;
            }
            j->p++;
            ws(j);
        }
        json_value(j, depth + 1);
        if (j->why != NULL)
            return;
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close) {
            j->why = c == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
            return;
        }
        j->p++;
        return;
    }
}

#define JSON_KEYS 4
#define NOT_HERE ((size_t)-1)

/* The members looked for and what was found. */
struct fields {
    const char *keys[JSON_KEYS]; /* a member name, or a dotted path into nested objects; NULL:
                                  * none */
    char value[JSON_KEYS][MAX_VALUE_BYTES]; /* a string's decoded text */
    const char *kind[JSON_KEYS];            /* json_kind() of the value */
    size_t column[JSON_KEYS];               /* of the value, from 1 */
    bool found[JSON_KEYS];
};

/* j->why: @p pre, then the first @p len bytes of @p key quoted (at most 100), then @p post. */
static void json_why_key(struct json *j, const char *pre, const char *key, size_t len,
                         const char *post)
{
    snprintf(j->why_buf, sizeof(j->why_buf), "%s\"%.*s\"%s", pre, len > 100 ? 100 : (int)len, key,
             post);
    j->why = j->why_buf;
}

/* The string at j->p, the value of key @p i: decoded into x->value[i]; text that no field can
 * hold (\u0000, an unpaired surrogate, over MAX_VALUE_BYTES - 1 bytes) is an error at the value. */
static void json_field_string(struct json *j, struct fields *x, int i)
{
    const char *v = j->p;
    struct jstr s;
    json_string(j, x->value[i], MAX_VALUE_BYTES, &s);
    const char *bad = s.nul                      ? ": \\u0000 in its string"
                      : s.surrogate              ? ": an unpaired surrogate (\\uD800 to \\uDFFF) "
                                                   "in its string"
                      : s.len >= MAX_VALUE_BYTES ? ": longer than 4095 bytes"
                                                 : NULL;
    if (j->why == NULL && bad != NULL) {
        j->p = v;
        json_why_key(j, "field ", x->keys[i], strlen(x->keys[i]), bad);
    }
}

/*
 * Read the object at j->p: every value is checked; the members on the paths of the keys are
 * read, the others passed. @p off[i] is where the names of this object start in keys[i] (the
 * part after the path of the object, "" at the top), or NOT_HERE when key i is not inside it. A
 * key given twice, by the same name or by a dotted name and nested objects, is an error.
 */
static void json_fields(struct json *j, const size_t off[JSON_KEYS], int depth, struct fields *x)
{
    static char name[TEXT_LINE_MAX + 1]; /* decoded: never longer than the line */
    if (*j->p != '{') {
        j->why = "expected an object";
        return;
    }
    if (depth >= JSON_MAX_DEPTH) {
        j->why = "nested too deeply";
        return;
    }
    j->p++;
    ws(j);
    if (*j->p == '}') {
        j->p++;
        return;
    }
    unsigned seen = 0; /* keys whose part in this object a member already matched */
    for (;;) {
        ws(j);
        if (*j->p != '"') {
            j->why = "expected a key";
            return;
        }
        const char *key_at = j->p;
        struct jstr k;
        json_string(j, name, sizeof(name), &k);
        if (j->why != NULL)
            return;
        ws(j);
        if (*j->p != ':') {
            j->why = "expected ':'";
            return;
        }
        j->p++;
        ws(j);
        unsigned leaf = 0, inside = 0;
        size_t sub[JSON_KEYS];
        for (int i = 0; i < JSON_KEYS; i++) {
            sub[i] = NOT_HERE;
            if (x->keys[i] == NULL || off[i] == NOT_HERE || k.nul || k.surrogate)
                continue;
            const char *rest = x->keys[i] + off[i];
            size_t rest_len = strlen(rest);
            if (k.len > rest_len || memcmp(name, rest, k.len) != 0)
                continue;
            if (k.len == rest_len) {
                leaf |= 1u << i;
            } else if (rest[k.len] == '.') {
                inside |= 1u << i;
                sub[i] = off[i] + k.len + 1;
            }
        }
        for (int i = 0; i < JSON_KEYS; i++) {
            if ((((leaf | inside) & seen) >> i & 1) || ((leaf >> i & 1) && x->found[i])) {
                /* the member's path: a nested object, or the key itself */
                j->p = key_at;
                json_why_key(j, "duplicate key ", x->keys[i], off[i] + k.len, "");
                return;
            }
        }
        seen |= leaf | inside;
        const char *v = j->p;
        int first = 0; /* the first key this member is the value of */
        while (first < JSON_KEYS && !(leaf >> first & 1))
            first++;
        if (leaf != 0 && *v == '"')
            json_field_string(j, x, first);
        else if (inside != 0 && *v == '{')
            json_fields(j, sub, depth + 1, x);
        else
            json_value(j, depth + 1);
        for (int i = first; i < JSON_KEYS; i++) {
            if (leaf >> i & 1) {
                if (i != first)
                    memcpy(x->value[i], x->value[first], MAX_VALUE_BYTES);
                x->found[i] = true;
                x->kind[i] = json_kind(v);
                x->column[i] = (size_t)(v - j->start) + 1;
            }
        }
        if (j->why != NULL)
            return;
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != '}') {
            j->why = "expected ',' or '}'";
            return;
        }
        j->p++;
        return;
    }
}

static bool read_jsonl(struct count *k, struct text_reader *r)
{
    /*
     * The label: --label-column (a dotted path reads nested objects), else the "verdict" of
     * flowdx run --detect spam --format jsonl, else the spam detector's verdict in a record of
     * schema 1 (run -c, run --detect doh,spam, collect), where "malicious" is spam. A record of
     * schema 1 without the label was not judged (not SMTP): it is left out and counted.
     */
    static struct fields x = {
        .keys = {NULL, NULL, "schema", NULL},
    };
    x.keys[0] = k->src_column != NULL ? k->src_column : "src_addr";
    x.keys[1] = k->label_column != NULL ? k->label_column : "verdict";
    x.keys[3] = k->label_column != NULL ? NULL : "verdicts.spam.verdict";
    const size_t top[JSON_KEYS] = {0, 0, 0, 0};
    char what[300];
    snprintf(what, sizeof(what), "field \"%s\"", x.keys[0]);
    int rc = 1;
    do {
        if (trim(r->line)[0] == '\0')
            continue;
        struct json j = {.p = r->line, .start = r->line};
        for (int i = 0; i < JSON_KEYS; i++)
            x.found[i] = false;
        ws(&j);
        json_fields(&j, top, 0, &x);
        if (j.why == NULL) {
            ws(&j);
            if (*j.p != '\0')
                j.why = "text after the object";
        }
        /* the values read are strings (schema only has to be there) */
        for (int i = 0; i < JSON_KEYS && j.why == NULL; i++) {
            if (i != 2 && x.found[i] && strcmp(x.kind[i], "a string") != 0) {
                j.p = j.start + x.column[i] - 1;
                snprintf(j.why_buf, sizeof(j.why_buf), "field \"%.100s\": %.20s, not a string",
                         x.keys[i], x.kind[i]);
                j.why = j.why_buf;
            }
        }
        if (j.why != NULL) {
            fprintf(stderr, "flowdx report senders: %s:%llu:%zu: %s\n", r->name,
                    (unsigned long long)r->line_no, (size_t)(j.p - j.start) + 1, j.why);
            return false;
        }
        if (!x.found[1] && x.found[3]) {
            snprintf(x.value[1], sizeof(x.value[1]), "%s",
                     strcmp(x.value[3], "malicious") == 0 ? k->spam_value : x.value[3]);
            x.found[1] = true;
        }
        if (x.found[0] && !x.found[1] && x.found[2]) {
            k->not_judged++;
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (!x.found[i]) {
                fprintf(stderr, "flowdx report senders: %s:%llu: no \"%s\" field\n", r->name,
                        (unsigned long long)r->line_no, x.keys[i]);
                return false;
            }
        }
        if (!add_flow(k, r, what, trim(x.value[0]), trim(x.value[1])))
            return false;
    } while ((rc = text_reader_next(r)) > 0);
    return rc == 0;
}

/* ---- the report ---- */

static int by_spam(const void *pa, const void *pb)
{
    const struct sender *a = *(const struct sender *const *)pa;
    const struct sender *b = *(const struct sender *const *)pb;
    if (a->spam != b->spam)
        return a->spam > b->spam ? -1 : 1;
    if (a->flows != b->flows)
        return a->flows > b->flows ? -1 : 1;
    return strcmp(a->addr, b->addr);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void json_list(FILE *out, struct sender *const *v, size_t n, uint64_t spam)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += v[i]->spam;
        fprintf(out,
                "%s{\"src\":\"%s\",\"flows\":%llu,\"spam\":%llu,\"share\":%.6f,"
                "\"cumulative_share\":%.6f}",
                i ? "," : "", v[i]->addr, (unsigned long long)v[i]->flows,
                (unsigned long long)v[i]->spam, pct(v[i]->spam, spam) / 100, pct(cum, spam) / 100);
    }
}

static void text_list(FILE *out, struct sender *const *v, size_t n, uint64_t spam)
{
    fprintf(out, "%-39s %10s %10s %9s %11s\n", "source", "flows", "spam", "share", "cumulative");
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += v[i]->spam;
        fprintf(out, "%-39s %10llu %10llu %8.2f%% %10.2f%%\n", v[i]->addr,
                (unsigned long long)v[i]->flows, (unsigned long long)v[i]->spam,
                pct(v[i]->spam, spam), pct(cum, spam));
    }
}

static bool report(FILE *out, const struct count *k, const char *input, uint64_t min_spam, bool all,
                   bool json)
{
    struct sender **v = malloc((k->t.n ? k->t.n : 1) * sizeof(*v));
    if (v == NULL) {
        fprintf(stderr, "flowdx report senders: out of memory\n");
        return false;
    }
    size_t n = 0, main_n = 0;
    uint64_t main_spam = 0, main_flows = 0;
    for (size_t i = 0; i < k->t.cap; i++) {
        if (k->t.slot[i].addr != NULL)
            v[n++] = &k->t.slot[i];
    }
    qsort(v, n, sizeof(*v), by_spam);
    while (main_n < n && v[main_n]->spam >= min_spam && v[main_n]->spam > 0) {
        main_spam += v[main_n]->spam;
        main_flows += v[main_n]->flows;
        main_n++;
    }
    if (json) {
        fprintf(out, "{\"input\":");
        write_json_string(out, input);
        fprintf(out,
                ",\"format\":\"%s\",\"flows\":%llu,\"spam_flows\":%llu,\"sources\":%zu,"
                "\"min_spam\":%llu,\"main_senders\":[",
                k->kind    ? "capture"
                : k->jsonl ? "jsonl"
                           : "csv",
                (unsigned long long)k->flows, (unsigned long long)k->spam, n,
                (unsigned long long)min_spam);
        json_list(out, v, main_n, k->spam);
        fprintf(out, "],\"main_spam_flows\":%llu,\"main_share\":%.6f,\"not_judged\":%llu",
                (unsigned long long)main_spam, pct(main_spam, k->spam) / 100,
                (unsigned long long)k->not_judged);
        if (all) {
            fprintf(out, ",\"all\":[");
            json_list(out, v, n, k->spam);
            fprintf(out, "]");
        }
        fprintf(out, "}\n");
    } else {
        fprintf(out, "input: %s (%s): %llu flow%s from %zu source%s, %llu spam flow%s (%.2f%%)\n",
                input,
                k->kind    ? k->kind
                : k->jsonl ? "JSON lines"
                           : "CSV",
                (unsigned long long)k->flows, plural(k->flows), n, plural(n),
                (unsigned long long)k->spam, plural(k->spam), pct(k->spam, k->flows));
        if (k->not_judged > 0)
            fprintf(out, "left out: %llu flow%s without a verdict (not judged)\n",
                    (unsigned long long)k->not_judged, plural(k->not_judged));
        if (main_n == 0)
            fprintf(out,
                    "main spam senders (at least %llu spam flow%s): none (no source has that "
                    "many)\n",
                    (unsigned long long)min_spam, plural(min_spam));
        else
            fprintf(out,
                    "main spam senders (at least %llu spam flow%s): %zu source%s sent %llu of the "
                    "%llu spam flow%s (%.2f%%) in %llu flow%s\n",
                    (unsigned long long)min_spam, plural(min_spam), main_n, plural(main_n),
                    (unsigned long long)main_spam, (unsigned long long)k->spam, plural(k->spam),
                    pct(main_spam, k->spam), (unsigned long long)main_flows, plural(main_flows));
        if (main_n > 0)
            text_list(out, v, main_n, k->spam);
        if (all) {
            fprintf(out, "\nall sources:\n");
            text_list(out, v, n, k->spam);
        }
    }
    free(v);
    return fflush(out) == 0 && !ferror(out); /* the caller says why not */
}

/* ---- for flowdx run --detect spam ---- */

struct senders {
    struct count k;
};

struct senders *senders_new(void)
{
    struct senders *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        s->k.spam_value = "spam";
        s->k.kind = "SMTP flows classified";
    }
    return s;
}

bool senders_count(struct senders *s, const char *addr, bool spam)
{
    if (s->k.t.n == MAX_SOURCES && slot_of(s->k.t.slot, s->k.t.cap, addr)->addr == NULL)
        return false;
    struct sender *e = lookup(&s->k.t, addr);
    if (e == NULL)
        return false;
    e->flows++;
    e->spam += spam;
    s->k.flows++;
    s->k.spam += spam;
    return true;
}

bool senders_write(const struct senders *s, FILE *out, const char *input, uint64_t min_spam,
                   bool all, bool json)
{
    return report(out, &s->k, input, min_spam, all, json);
}

const char *senders_input_name(const char *iface, const char *const *inputs, int n_inputs)
{
    return iface != NULL ? iface : n_inputs == 1 ? inputs[0] : "the captures";
}

void senders_free(struct senders *s)
{
    if (s == NULL)
        return;
    table_free(&s->k.t);
    free(s);
}

enum { OPT_MIN = 256, OPT_LABEL, OPT_SPAM, OPT_SRC, OPT_ALL, OPT_JSON };

static int cmd_senders(int argc, char **argv)
{
    static const struct option opts_long[] = {
        {"input", required_argument, NULL, 'i'},
        {"read", required_argument, NULL, 'r'},
        {"model", required_argument, NULL, 'm'},
        {"min-spam", required_argument, NULL, OPT_MIN},
        {"label-column", required_argument, NULL, OPT_LABEL},
        {"spam-value", required_argument, NULL, OPT_SPAM},
        {"src-column", required_argument, NULL, OPT_SRC},
        {"all", no_argument, NULL, OPT_ALL},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct count k = {.spam_value = "spam"};
    const char *input = NULL, *model = NULL, *min_text = NULL;
    /* -r: the arguments of the equivalent `flowdx run --detect spam`, reporting senders only;
     * argv[0] "report senders" makes cmd_run name this command in its messages (run.c's me) */
    static char *run_argv[8 + 2 * 64];
    int run_argc = 0, n_read = 0;
    static char a_run[] = "report senders", a_detect[] = "--detect", a_spam[] = "spam",
                a_only[] = "--senders-only", a_json[] = "--senders-json", a_all[] = "--senders-all",
                a_min[] = "--min-spam", a_model[] = "-m", a_read[] = "-r";
    run_argv[run_argc++] = a_run;
    run_argv[run_argc++] = a_detect;
    run_argv[run_argc++] = a_spam;
    run_argv[run_argc++] = a_only;
    uint32_t min_spam = 10;
    bool all = false, json = false;
    static char prog[] = "flowdx report senders";
    argv[0] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:r:m:h", opts_long, NULL)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'r':
            if (n_read == 64) {
                fprintf(stderr, "flowdx report senders: more than 64 captures\n");
                return EXIT_USAGE;
            }
            run_argv[run_argc++] = a_read;
            run_argv[run_argc++] = optarg;
            n_read++;
            break;
        case 'm':
            model = optarg;
            break;
        case OPT_MIN:
            if (!parse_u32("--min-spam", optarg, 1, UINT32_MAX, &min_spam))
                return EXIT_USAGE;
            min_text = optarg;
            break;
        case OPT_LABEL:
            k.label_column = optarg;
            break;
        case OPT_SPAM:
            k.spam_value = optarg;
            k.spam_value_given = true;
            break;
        case OPT_SRC:
            k.src_column = optarg;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_JSON:
            json = true;
            break;
        case 'h':
            usage_report(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx report senders --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc || (input == NULL) == (n_read == 0) || (model != NULL && n_read == 0)) {
        fprintf(stderr, "flowdx report senders: %s\nTry 'flowdx report senders --help'.\n",
                optind < argc             ? unexpected_argument(argv[optind])
                : n_read > 0 && input     ? "-i FLOWS and -r CAPTURE do not go together"
                : model != NULL && !input ? "-m MODEL goes with -r CAPTURE"
                : model != NULL           ? "-m MODEL goes with -r CAPTURE, not -i"
                                          : "-i FLOWS or -r CAPTURE is required");
        return EXIT_USAGE;
    }
    if (n_read > 0) {
        if (k.label_column != NULL || k.src_column != NULL || strcmp(k.spam_value, "spam") != 0) {
            fprintf(stderr, "flowdx report senders: --label-column, --src-column and --spam-value "
                            "apply to -i FLOWS\n");
            return EXIT_USAGE;
        }
        if (json)
            run_argv[run_argc++] = a_json;
        if (all)
            run_argv[run_argc++] = a_all;
        if (min_text != NULL) {
            run_argv[run_argc++] = a_min;
            run_argv[run_argc++] = (char *)min_text;
        }
        if (model != NULL) {
            run_argv[run_argc++] = a_model;
            run_argv[run_argc++] = (char *)model;
        }
        run_argv[run_argc] = NULL;
        return cmd_run(run_argc, run_argv);
    }
    bool std_in = strcmp(input, "-") == 0;
    struct text_reader r = {.fp = std_in ? stdin : fopen(input, "r"),
                            .name = std_in ? "standard input" : input,
                            .prog = "flowdx report senders"};
    if (r.fp == NULL) {
        fprintf(stderr, "flowdx report senders: %s: %s\n", input, strerror(errno));
        return EXIT_ERROR;
    }
    bool ok = false;
    int rc;
    /* The first line that is not blank decides the format (the reader skips a byte order mark). */
    while ((rc = text_reader_next(&r)) > 0) {
        if (trim(r.line)[0] != '\0')
            break;
    }
    /* An input without flows (a quiet day's run) is a report of 0 flows, as from a capture. */
    ok = rc == 0;
    if (rc > 0) {
        k.jsonl = trim(r.line)[0] == '{';
        ok = k.jsonl ? read_jsonl(&k, &r) : read_csv(&k, &r);
    }
    if (ok && k.flows > 0 && k.spam == 0) { /* a wrong --spam-value or label column, likely */
        fprintf(stderr,
                "flowdx report senders: warning: %s: no flow is labelled '%s'%s; labels seen:",
                r.name, k.spam_value, k.spam_value_given ? "" : " or 'malicious'");
        for (unsigned i = 0; i < k.n_seen; i++)
            fprintf(stderr, "%s '%s'", i > 0 ? "," : "", k.seen[i]);
        fprintf(stderr, "%s (--spam-value names the label of spam)\n",
                k.n_seen == sizeof(k.seen) / sizeof(k.seen[0]) ? ", ..." : "");
    }
    if (ok && !report(stdout, &k, r.name, min_spam, all, json)) {
        fprintf(stderr, "flowdx report senders: writing the report failed: %s\n", strerror(errno));
        ok = false;
    }
    if (!std_in)
        fclose(r.fp);
    free(r.line);
    table_free(&k.t);
    return ok ? EXIT_OK : EXIT_ERROR;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2 || is_help(argv[1])) {
        usage_report(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "senders") != 0) {
        fprintf(stderr,
                "flowdx report: unknown report '%s' (senders)\n"
                "Try 'flowdx report --help'.\n",
                argv[1]);
        return EXIT_USAGE;
    }
    return cmd_senders(argc - 1, argv + 1);
}
