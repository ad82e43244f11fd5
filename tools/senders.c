/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx report senders` command: the main spam senders among labelled or classified flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tool.h"

#define MAX_LINE_BYTES (1u << 20)
#define MAX_SOURCES 10000000u
#define MAX_VALUE_BYTES 4096u

void usage_report(FILE *out)
{
    fprintf(
        out,
        "Usage: flowdx report senders -i FLOWS [--min-spam N] [--label-column NAME]\n"
        "                             [--spam-value V] [--all] [--json]\n"
        "       flowdx report senders -r CAPTURE [-r CAPTURE ...] [-m MODEL] [--min-spam N]\n"
        "                             [--all] [--json]\n\n"
        "Counts, per source address, its flows and its spam flows, and lists the main spam\n"
        "senders: the sources with at least N spam flows (default 10), with their share of all\n"
        "spam flows (the spam paper found 7 senders behind 46%% of its spam).\n\n"
        "FLOWS is either CSV with a header (flowdx extract output labelled by flowdx label, or\n"
        "any CSV with a source address column and a label column) or JSON lines (one object per\n"
        "flow, such as flowdx run --format jsonl writes); the first byte that is not a space\n"
        "tells which ('{' for JSON lines). A flow is spam when its label equals V (default\n"
        "spam, compared ignoring case); any other value, 'uncertain' included, is not spam.\n"
        "In JSON lines of schema 1 (flowdx run -c, run --detect doh,spam, collect) the label\n"
        "is verdicts.spam.verdict, where 'malicious' is spam; flows without a label are left\n"
        "out and counted. A dotted --label-column (verdicts.NAME.verdict) reads nested fields.\n\n"
        "With -r, the flows come from captures: their SMTP flows are classified by the spam\n"
        "detector first (as flowdx run --detect spam does, with the shipped model unless -m\n"
        "names another), and only the report is printed.\n\n"
        "Options:\n"
        "  -i, --input FILE        the flows ('-' = standard input)\n"
        "  -r, --read CAPTURE      a capture to classify instead (pcap/pcapng); repeatable\n"
        "  -m, --model FILE        with -r: the spam model (default conf/models/spam.fdxm)\n"
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

struct reader {
    FILE *fp;
    const char *name; /* for messages */
    char *line;
    size_t cap;
    uint64_t line_no;
};

/* The next line without its end (CR LF or LF); 0 at the end, -1 after printing an error. */
static int next_line(struct reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->cap, r->fp);
    if (n < 0) {
        if (ferror(r->fp)) {
            fprintf(stderr, "flowdx report: %s: %s\n", r->name, strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    r->line_no++;
    if ((size_t)n > MAX_LINE_BYTES) {
        fprintf(stderr, "flowdx report: %s:%llu: line longer than %u bytes\n", r->name,
                (unsigned long long)r->line_no, MAX_LINE_BYTES);
        return -1;
    }
    if (memchr(r->line, '\0', (size_t)n) != NULL) {
        fprintf(stderr, "flowdx report: %s:%llu: NUL byte (not a text file)\n", r->name,
                (unsigned long long)r->line_no);
        return -1;
    }
    while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
        r->line[--n] = '\0';
    return 1;
}

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
static size_t split_csv(const struct reader *r, char *line, char **field, size_t cap)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == cap) {
            fprintf(stderr, "flowdx report: %s:%llu: more than %zu fields\n", r->name,
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
                            "flowdx report: %s:%llu: field %zu: quote not closed on its "
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
                fprintf(stderr, "flowdx report: %s:%llu: field %zu: text after a closing quote\n",
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
    uint64_t not_judged; /* schema-1 records without the label */
    bool jsonl;
    const char *kind; /* what the input is, for the report; NULL: CSV or JSON lines */
};

/* Count one flow; false after printing why. */
static bool add_flow(struct count *k, const struct reader *r, const char *what, const char *addr,
                     const char *label)
{
    char canon[INET6_ADDRSTRLEN];
    if (!canonical_addr(addr, canon)) {
        fprintf(stderr, "flowdx report: %s:%llu: %s: '%.64s' is not an IP address\n", r->name,
                (unsigned long long)r->line_no, what, addr);
        return false;
    }
    if (k->t.n == MAX_SOURCES && slot_of(k->t.slot, k->t.cap, canon)->addr == NULL) {
        fprintf(stderr, "flowdx report: %s:%llu: more than %u sources\n", r->name,
                (unsigned long long)r->line_no, MAX_SOURCES);
        return false;
    }
    struct sender *s = lookup(&k->t, canon);
    if (s == NULL) {
        fprintf(stderr, "flowdx report: out of memory\n");
        return false;
    }
    bool spam = strcasecmp(label, k->spam_value) == 0;
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

static bool read_csv(struct count *k, struct reader *r)
{
    static char *field[MAX_FIELDS];
    size_t n_header = split_csv(r, r->line, field, MAX_FIELDS);
    if (n_header == 0)
        return false;
    const char *src_name = k->src_column != NULL ? k->src_column : "src_addr";
    long src = column(field, n_header, src_name);
    if (src < 0 && k->src_column == NULL)
        src = column(field, n_header, src_name = "SourceIP");
    const char *label_name = k->label_column != NULL ? k->label_column : "Label";
    long label = column(field, n_header, label_name);
    if (src < 0 || label < 0) {
        fprintf(stderr, "flowdx report: %s:%llu: no column '%s'%s\n", r->name,
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
    while ((rc = next_line(r)) > 0) {
        if (trim(r->line)[0] == '\0')
            continue;
        size_t n = split_csv(r, r->line, field, MAX_FIELDS);
        if (n == 0)
            return false;
        if (n != n_header) {
            fprintf(stderr, "flowdx report: %s:%llu: %zu fields, the header has %zu\n", r->name,
                    (unsigned long long)r->line_no, n, n_header);
            return false;
        }
        if (!add_flow(k, r, what, trim(field[src]), trim(field[label])))
            return false;
    }
    return rc == 0;
}

/* ---- JSON lines: top-level string, number and literal values by key ---- */

struct json {
    const char *p;
    const char *start; /* of the line, for columns in messages */
    const char *why;   /* first error, NULL while fine */
};

static void ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t')
        j->p++;
}

/* A string at j->p (after its quote is checked), decoded into out when not NULL. */
static void json_string(struct json *j, char *out, size_t cap)
{
    size_t n = 0;
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '\0' || c < 0x20) {
            j->why = c == '\0' ? "string not closed" : "control character in a string";
            return;
        }
        j->p++;
        if (c == '"')
            break;
        if (c == '\\') {
            static const char pairs[] = "\"\"\\\\//b\bf\fn\nr\rt\t"; /* escape, then its byte */
            char e = *j->p;
            if (e == '\0') {
                j->why = "string not closed";
                return;
            }
            j->p++;
            const char *map = strchr(pairs, e);
            if (e == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4; i++, j->p++) {
                    char h = *j->p;
                    int d = h >= '0' && h <= '9'   ? h - '0'
                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                   : -1;
                    if (d < 0) {
                        j->why = "bad \\u escape";
                        return;
                    }
                    v = v * 16 + (unsigned)d;
                }
                c = v < 0x80 ? (unsigned char)v : '?'; /* labels and addresses are ASCII */
            } else if (map != NULL && (map - pairs) % 2 == 0) {
                c = (unsigned char)map[1];
            } else {
                j->why = "bad escape in a string";
                return;
            }
        }
        if (out != NULL && n + 1 < cap)
            out[n++] = (char)c;
    }
    if (out != NULL)
        out[n] = '\0';
}

/* Skip any value (objects and arrays nested up to a depth limit). */
static void json_skip(struct json *j, int depth)
{
    ws(j);
    char c = *j->p;
    if (c == '"') {
        json_string(j, NULL, 0);
    } else if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth > 64) {
            j->why = "nested too deeply";
            return;
        }
        j->p++;
        ws(j);
        if (*j->p == close) {
            j->p++;
            return;
        }
        for (;;) {
            if (c == '{') {
                ws(j);
                if (*j->p != '"') {
                    j->why = "expected a key";
                    return;
                }
                json_string(j, NULL, 0);
                ws(j);
                if (j->why == NULL && *j->p++ != ':')
                    j->why = "expected ':'";
            }
            if (j->why == NULL)
                json_skip(j, depth + 1);
            if (j->why != NULL)
                return;
            ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p++ != close)
                j->why = c == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
            return;
        }
    } else {
        /* A number or a literal: its characters up to a delimiter. */
        const char *s = j->p;
        j->p += strcspn(j->p, ",}] \t");
        if (j->p == s)
            j->why = "expected a value";
    }
}

#define JSON_KEYS 4

/*
 * Find the values of @p keys in the object at j->p. A key is a member name, or a dotted path into
 * nested objects ("verdicts.spam.verdict"); @p prefix is the path of the object being read ("" at
 * the top). A string value is decoded, a number or literal copied as written; found[i] tells which
 * keys were present. A NULL key is not looked for.
 */
static void json_fields(struct json *j, const char *prefix, int depth,
                        const char *const keys[JSON_KEYS], char out[JSON_KEYS][MAX_VALUE_BYTES],
                        bool found[JSON_KEYS])
{
    ws(j);
    if (*j->p != '{') {
        j->why = "expected an object";
        return;
    }
    j->p++;
    ws(j);
    if (*j->p == '}') {
        j->p++;
        return;
    }
    for (;;) {
        char key[256], path[600];
        ws(j);
        if (*j->p != '"') {
            j->why = "expected a key";
            return;
        }
        json_string(j, key, sizeof(key));
        ws(j);
        if (j->why == NULL && *j->p++ != ':')
            j->why = "expected ':'";
        if (j->why != NULL)
            return;
        ws(j);
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", key);
        size_t path_len = strlen(path);
        int which = -1;
        bool inside = false; /* a key lies inside this member's object */
        for (int i = 0; i < JSON_KEYS; i++) {
            if (keys[i] == NULL)
                continue;
            if (strcmp(path, keys[i]) == 0)
                which = i;
            else if (strncmp(path, keys[i], path_len) == 0 && keys[i][path_len] == '.')
                inside = true;
        }
        const char *v = j->p;
        if (which >= 0 && *v == '"') {
            json_string(j, out[which], MAX_VALUE_BYTES);
        } else if (which < 0 && inside && *v == '{' && depth < 8) {
            json_fields(j, path, depth + 1, keys, out, found);
        } else {
            json_skip(j, 0);
            if (which >= 0 && j->why == NULL) {
                size_t n = (size_t)(j->p - v) < MAX_VALUE_BYTES - 1 ? (size_t)(j->p - v)
                                                                    : MAX_VALUE_BYTES - 1;
                memcpy(out[which], v, n);
                out[which][n] = '\0';
            }
        }
        if (j->why != NULL)
            return;
        if (which >= 0)
            found[which] = true;
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p++ != '}')
            j->why = "expected ',' or '}'";
        return;
    }
}

static bool read_jsonl(struct count *k, struct reader *r)
{
    /*
     * The label: --label-column (a dotted path reads nested objects), else the "verdict" of
     * flowdx run --detect spam --format jsonl, else the spam detector's verdict in a record of
     * schema 1 (run -c, run --detect doh,spam, collect), where "malicious" is spam. A record of
     * schema 1 without the label was not judged (not SMTP): it is left out and counted.
     */
    const char *keys[JSON_KEYS] = {k->src_column != NULL ? k->src_column : "src_addr",
                                   k->label_column != NULL ? k->label_column : "verdict", "schema",
                                   k->label_column != NULL ? NULL : "verdicts.spam.verdict"};
    static char value[JSON_KEYS][MAX_VALUE_BYTES];
    char what[300];
    snprintf(what, sizeof(what), "field \"%s\"", keys[0]);
    int rc = 1;
    do {
        if (trim(r->line)[0] == '\0')
            continue;
        struct json j = {.p = r->line, .start = r->line};
        bool found[JSON_KEYS] = {false, false, false, false};
        json_fields(&j, "", 0, keys, value, found);
        if (j.why == NULL) {
            ws(&j);
            if (*j.p != '\0')
                j.why = "text after the object";
        }
        if (j.why != NULL) {
            fprintf(stderr, "flowdx report: %s:%llu:%zu: %s\n", r->name,
                    (unsigned long long)r->line_no, (size_t)(j.p - j.start) + 1, j.why);
            return false;
        }
        if (!found[1] && found[3]) {
            snprintf(value[1], sizeof(value[1]), "%s",
                     strcmp(value[3], "malicious") == 0 ? k->spam_value : value[3]);
            found[1] = true;
        }
        if (found[0] && !found[1] && found[2]) {
            k->not_judged++;
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (!found[i]) {
                fprintf(stderr, "flowdx report: %s:%llu: no \"%s\" field\n", r->name,
                        (unsigned long long)r->line_no, keys[i]);
                return false;
            }
        }
        if (!add_flow(k, r, what, trim(value[0]), trim(value[1])))
            return false;
    } while ((rc = next_line(r)) > 0);
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

static void json_string_out(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
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
        fprintf(stderr, "flowdx report: out of memory\n");
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
        json_string_out(out, input);
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
    bool ok = fflush(out) == 0 && !ferror(out);
    if (!ok)
        fprintf(stderr, "flowdx report: writing the report failed\n");
    return ok;
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
                optind < argc             ? "unexpected argument"
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
    struct reader r = {.fp = std_in ? stdin : fopen(input, "r"),
                       .name = std_in ? "standard input" : input};
    if (r.fp == NULL) {
        fprintf(stderr, "flowdx report: %s: %s\n", input, strerror(errno));
        return EXIT_ERROR;
    }
    bool ok = false;
    int rc;
    /* The first line that is not blank decides the format; a byte order mark is skipped. */
    while ((rc = next_line(&r)) > 0) {
        char *p = r.line;
        size_t len = strlen(p);
        if (r.line_no == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            memmove(p, p + 3, len - 2); /* the rest and its NUL */
        if (trim(p)[0] != '\0')
            break;
    }
    if (rc == 0)
        fprintf(stderr, "flowdx report: %s: no flows (the input is empty)\n", r.name);
    if (rc > 0) {
        k.jsonl = trim(r.line)[0] == '{';
        ok = k.jsonl ? read_jsonl(&k, &r) : read_csv(&k, &r);
    }
    if (ok && k.flows == 0) {
        if (k.not_judged > 0)
            fprintf(stderr, "flowdx report: %s: none of its %llu flow%s has a verdict\n", r.name,
                    (unsigned long long)k.not_judged, plural(k.not_judged));
        else
            fprintf(stderr, "flowdx report: %s: no flows after the header\n", r.name);
        ok = false;
    }
    if (ok)
        ok = report(stdout, &k, r.name, min_spam, all, json);
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
