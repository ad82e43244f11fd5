/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx label` command: joins label rules (addresses, ports, times) to extracted flows. */
#define _GNU_SOURCE /* timegm */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_RULES 100000
#define MAX_FIELDS 8192

void usage_label(FILE *out)
{
    fprintf(out,
            "Usage: flowdx label -i FLOWS.csv -l RULES.csv [-o OUT.csv] [--default LABEL]\n\n"
            "Adds a Label column to flows written by `flowdx extract` (either identifier style),\n"
            "so that they can train a model (`flowdx train`). Each flow takes the label of the\n"
            "first rule it matches; flows that match no rule are left out (counted on standard\n"
            "error) unless --default gives them a label.\n\n"
            "RULES.csv: a header line `label,addr,peer,port,start,end`, then one rule per line;\n"
            "'#' starts a comment. Empty fields match anything:\n"
            "  label   the label to give (e.g. benign, malicious)\n"
            "  addr    an address or prefix (10.99.1.12, 10.99.1.0/24, 2001:db8::/32) that one\n"
            "          endpoint of the flow must be in\n"
            "  peer    likewise for the other endpoint\n"
            "  port    a port either endpoint uses\n"
            "  start   the flow must end at or after this time\n"
            "  end     the flow must start at or before this time (times: epoch seconds up to\n"
            "          253402300799, or 'YYYY-MM-DD HH:MM:SS' in UTC; start not after end)\n\n"
            "A label is 1 to 63 bytes without a quote, comma or line break. A flow whose\n"
            "addresses, ports or times cannot be read is an error (FILE:LINE), not a flow\n"
            "that matched no rule.\n\n"
            "Options:\n"
            "  -i, --input FILE      flows (CSV from flowdx extract)\n"
            "  -l, --labels FILE     rules\n"
            "  -o, --output FILE     write here instead of standard output (not an input)\n"
            "      --default LABEL   label for flows no rule matches\n"
            "  -h, --help            this text\n");
}

struct rule {
    char label[64];
    struct prefix addr, peer;
    int port;          /* -1: any */
    double start, end; /* seconds; -inf / +inf: any */
};

/* The last second 'YYYY-MM-DD HH:MM:SS' can write: 9999-12-31 23:59:59. */
#define MAX_EPOCH 253402300799.0

/* Why @p text cannot be a label (of a rule or --default), or NULL: it becomes a CSV cell as it
 * is, so it must be one cell on one line, and train reads it unquoted. */
static const char *bad_label(const char *text)
{
    if (text[0] == '\0' || strlen(text) > 63 || strpbrk(text, "\",\r\n") != NULL)
        return "empty, over 63 bytes or with a quote, comma or line break";
    return NULL;
}

/* The value of the @p n decimal digits at @p s, or -1 when they are not all digits. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A port, of a rule or a flow: 0 to 65535, digits only. */
static bool parse_port(const char *text, long *ret)
{
    int len = (int)strlen(text);
    int p = len >= 1 && len <= 5 ? digits(text, len) : -1;
    *ret = p;
    return p >= 0 && p <= 65535;
}

/* 'YYYY-MM-DD HH:MM:SS' (UTC), every field its width and range: false for anything else. */
static bool parse_date(const char *t, double *ret)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(t) != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' ||
        t[16] != ':')
        return false;
    int y = digits(t, 4), mo = digits(t + 5, 2), d = digits(t + 8, 2), h = digits(t + 11, 2),
        mi = digits(t + 14, 2), s = digits(t + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
        s > 59)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[mo - 1] + (mo == 2 && leap))
        return false;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    *ret = (double)timegm(&tm);
    return true;
}

/*
 * A rule's time: epoch seconds (digits, an optional fraction) up to MAX_EPOCH, or
 * 'YYYY-MM-DD HH:MM:SS' in UTC. NULL when fine, else why not.
 */
static const char *parse_time(const char *text, double *ret)
{
    size_t n = strspn(text, "0123456789");
    if (n > 0 && text[n] == '.' && text[n + 1] != '\0')
        n += 1 + strspn(text + n + 1, "0123456789");
    if (n > 0 && text[n] == '\0') {
        double v = strtod(text, NULL);
        if (v > MAX_EPOCH)
            return "after 9999-12-31 23:59:59 (253402300799)";
        *ret = v;
        return NULL;
    }
    if (parse_date(text, ret))
        return NULL;
    return strlen(text) == 19 && text[4] == '-'
               ? "no such date and time (YYYY-MM-DD HH:MM:SS, from 1970)"
               : "not epoch seconds or 'YYYY-MM-DD HH:MM:SS'";
}

/* Split a line of unquoted CSV in place: the number of fields, or -1 when there are more than
 * @p max. */
static int split(char *line, char **out, int max)
{
    int n = 0;
    for (char *p = line;;) {
        if (n == max)
            return -1;
        out[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            return n;
        *comma = '\0';
        p = comma + 1;
    }
}

static int read_rules(const char *path, struct rule **ret, uint32_t *ret_n)
{
    struct text_reader in = {.fp = fopen(path, "r"), .name = path, .prog = "flowdx label"};
    if (in.fp == NULL) {
        fprintf(stderr, "flowdx label: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct rule *rules = NULL;
    uint32_t n = 0, cap = 0;
    bool header = false;
    int rc = 0, got;
    while ((got = text_reader_next(&in)) > 0) {
        char *line = in.line;
        uint32_t lineno = (uint32_t)in.line_no;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        if (line[strspn(line, " \t\r")] == '\0')
            continue;
        char *f[8];
        int nf = split(line, f, 8);
        if (!header) {
            if (nf != 6 || strcmp(f[0], "label") != 0 || strcmp(f[1], "addr") != 0 ||
                strcmp(f[2], "peer") != 0 || strcmp(f[3], "port") != 0 ||
                strcmp(f[4], "start") != 0 || strcmp(f[5], "end") != 0) {
                fprintf(stderr,
                        "flowdx label: %s:%u: expected the header "
                        "'label,addr,peer,port,start,end'\n",
                        path, lineno);
                rc = -1;
                break;
            }
            header = true;
            continue;
        }
        if (nf != 6) {
            if (nf < 0)
                fprintf(stderr, "flowdx label: %s:%u: more than 6 fields\n", path, lineno);
            else
                fprintf(stderr, "flowdx label: %s:%u: %d fields, expected 6\n", path, lineno, nf);
            rc = -1;
            break;
        }
        if (n == MAX_RULES) {
            fprintf(stderr, "flowdx label: %s:%u: more than %d rules\n", path, lineno, MAX_RULES);
            rc = -1;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct rule *r2 = realloc(rules, cap * sizeof(*rules));
            if (r2 == NULL) {
                fprintf(stderr, "flowdx label: out of memory\n");
                rc = -1;
                break;
            }
            rules = r2;
        }
        struct rule *r = &rules[n];
        const char *what = NULL, *why = NULL;
        if (bad_label(f[0]) != NULL)
            what = "label: empty, over 63 bytes or with a quote";
        else if (!parse_prefix(f[1], &r->addr))
            what = "addr: not an address or prefix";
        else if (!parse_prefix(f[2], &r->peer))
            what = "peer: not an address or prefix";
        if (what == NULL)
            memcpy(r->label, f[0], strlen(f[0]) + 1); /* length checked above */
        r->port = -1;
        long port;
        if (what == NULL && f[3][0] != '\0') {
            if (!parse_port(f[3], &port))
                what = "port: not 0 to 65535";
            r->port = (int)port;
        }
        r->start = -INFINITY;
        r->end = INFINITY;
        if (what == NULL && f[4][0] != '\0' && (why = parse_time(f[4], &r->start)) != NULL)
            what = "start";
        if (what == NULL && f[5][0] != '\0' && (why = parse_time(f[5], &r->end)) != NULL)
            what = "end";
        if (what == NULL && r->start > r->end) {
            what = "start";
            why = "later than end";
        }
        if (what != NULL) {
            fprintf(stderr, "flowdx label: %s:%u: %s%s%s\n", path, lineno, what,
                    why != NULL ? ": " : "", why != NULL ? why : "");
            rc = -1;
            break;
        }
        n++;
    }
    if (got < 0)
        rc = -1;
    fclose(in.fp);
    free(in.line);
    if (rc == 0 && !header) {
        fprintf(stderr, "flowdx label: %s: no header line and no rules\n", path);
        rc = -1;
    }
    if (rc < 0) {
        free(rules);
        return -1;
    }
    *ret = rules;
    *ret_n = n;
    return 0;
}

/* Where a flow's identifiers are, in either identifier style. */
struct layout {
    int src, dst, sport, dport, start, end; /* column indices; end -1 for the dataset style */
    bool micro;                             /* times in microseconds (flowdx style) */
    int label;                              /* an existing label column, or -1 */
};

static int find(char **cols, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(cols[i], name) == 0)
            return i;
    }
    return -1;
}

static bool find_layout(char **cols, int n, struct layout *l)
{
    l->label = find(cols, n, "Label");
    if (find(cols, n, "src_addr") >= 0) {
        *l = (struct layout){find(cols, n, "src_addr"),
                             find(cols, n, "dst_addr"),
                             find(cols, n, "src_port"),
                             find(cols, n, "dst_port"),
                             find(cols, n, "start_us"),
                             find(cols, n, "end_us"),
                             true,
                             l->label};
    } else {
        *l = (struct layout){find(cols, n, "SourceIP"),
                             find(cols, n, "DestinationIP"),
                             find(cols, n, "SourcePort"),
                             find(cols, n, "DestinationPort"),
                             find(cols, n, "TimeStamp"),
                             -1,
                             false,
                             l->label};
    }
    return l->src >= 0 && l->dst >= 0 && l->sport >= 0 && l->dport >= 0 && l->start >= 0;
}

static bool endpoint(const char *text, int *family, uint8_t *a)
{
    memset(a, 0, 16);
    if (inet_pton(AF_INET, text, a) == 1) {
        *family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, text, a) == 1) {
        *family = 6;
        return true;
    }
    return false;
}

/* A time cell of a flow in seconds: microseconds (digits) in the flowdx style, else the data
 * set's 'YYYY-MM-DD HH:MM:SS'. */
static bool flow_time(const char *text, bool micro, double *ret)
{
    if (!micro)
        return parse_date(text, ret);
    size_t n = strspn(text, "0123456789");
    if (n == 0 || text[n] != '\0' || n > 19)
        return false;
    *ret = (double)strtoull(text, NULL, 10) / 1e6;
    return true;
}

/* The identifiers of one flow, as the rules compare them. */
struct flow {
    int fs, fd; /* address families, 4 or 6 */
    uint8_t s[16], d[16];
    long sp, dp;
    double t0, t1; /* seconds */
};

/* Why the identifier cell @p col of the fields @p f is not readable, or NULL when it is (into
 * @p fl): the cells are read in column order of the layout, the first bad one answers. */
static const char *read_flow(char **f, const struct layout *l, struct flow *fl, int *col)
{
    if (!endpoint(f[ *col = l->src], &fl->fs, fl->s) ||
        !endpoint(f[ *col = l->dst], &fl->fd, fl->d))
        return "is not an IP address";
    if (!parse_port(f[ *col = l->sport], &fl->sp) || !parse_port(f[ *col = l->dport], &fl->dp))
        return "is not a port (0 to 65535)";
    if (!flow_time(f[ *col = l->start], l->micro, &fl->t0) ||
        (l->end >= 0 && !flow_time(f[ *col = l->end], l->micro, &fl->t1)))
        return l->micro ? "is not a time in microseconds" : "is not a time 'YYYY-MM-DD HH:MM:SS'";
    if (l->end < 0)
        fl->t1 = fl->t0;
    return NULL;
}

/* The label of the first rule that @p fl matches, or NULL. */
static const char *match(const struct rule *rules, uint32_t n, const struct flow *fl)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct rule *r = &rules[i];
        bool ends = (in_prefix(&r->addr, fl->fs, fl->s) && in_prefix(&r->peer, fl->fd, fl->d)) ||
                    (in_prefix(&r->addr, fl->fd, fl->d) && in_prefix(&r->peer, fl->fs, fl->s));
        bool port = r->port < 0 || r->port == fl->sp || r->port == fl->dp;
        bool time = fl->t1 >= r->start && fl->t0 <= r->end;
        if (ends && port && time)
            return r->label;
    }
    return NULL;
}

/* The header of the flows: its columns in @p cols (pointing into @p hdr, a copy of the line kept
 * by the caller) and their layout; false after printing why. */
static bool read_header(struct text_reader *in, char **hdr, char **cols, int *n_cols,
                        struct layout *l)
{
    int got = text_reader_next(in);
    if (got == 0)
        fprintf(stderr, "flowdx label: %s: no header line\n", in->name);
    if (got <= 0)
        return false;
    if ((*hdr = strdup(in->line)) == NULL) {
        fprintf(stderr, "flowdx label: out of memory\n");
        return false;
    }
    *n_cols = split(*hdr, cols, MAX_FIELDS);
    if (*n_cols < 0) {
        fprintf(stderr, "flowdx label: %s:1: more than %d columns\n", in->name, MAX_FIELDS);
        return false;
    }
    if (!columns_unique(in, cols, (size_t)*n_cols))
        return false;
    if (!find_layout(cols, *n_cols, l) || l->label >= 0) {
        fprintf(stderr, "flowdx label: %s:1: %s\n", in->name,
                l->label >= 0 ? "already has a Label column"
                              : "no flow identifier columns (src_addr... or SourceIP...): "
                                "is this flowdx extract output?");
        return false;
    }
    return true;
}

int cmd_label(int argc, char **argv)
{
    static const struct option opts_long[] = {
        {"input", required_argument, NULL, 'i'},  {"labels", required_argument, NULL, 'l'},
        {"output", required_argument, NULL, 'o'}, {"default", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *in_path = NULL, *rules_path = NULL, *out_path = NULL, *dflt = NULL;
    static char prog[] = "flowdx label";
    argv[0] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:l:o:h", opts_long, NULL)) != -1) {
        switch (c) {
        case 'i':
            in_path = optarg;
            break;
        case 'l':
            rules_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'd':
            if (bad_label(optarg) != NULL) {
                fprintf(stderr, "flowdx label: --default: %s\n", bad_label(optarg));
                return EXIT_USAGE;
            }
            dflt = optarg;
            break;
        case 'h':
            usage_label(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx label --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc || in_path == NULL || rules_path == NULL) {
        fprintf(stderr, "flowdx label: %s\nTry 'flowdx label --help'.\n",
                optind < argc ? unexpected_argument(argv[optind])
                              : "-i FLOWS and -l RULES are required");
        return EXIT_USAGE;
    }
    const struct named_file out_file = {"-o", out_path, false};
    const struct input_group ins[] = {{"-i", &in_path, 1}, {"-l", &rules_path, 1}};
    if (!files_distinct(prog, ins, 2, &out_file, 1))
        return EXIT_USAGE;
    struct rule *rules = NULL;
    uint32_t n_rules = 0;
    if (read_rules(rules_path, &rules, &n_rules) < 0)
        return EXIT_ERROR;
    struct text_reader in = {.fp = fopen(in_path, "r"), .name = in_path, .prog = "flowdx label"};
    if (in.fp == NULL) {
        fprintf(stderr, "flowdx label: %s: %s\n", in_path, strerror(errno));
        free(rules);
        return EXIT_ERROR;
    }
    static char *cols[MAX_FIELDS], *f[MAX_FIELDS];
    char *hdr = NULL, *work = NULL;
    size_t work_cap = 0;
    struct layout l = {0};
    int n_cols = 0, status = EXIT_ERROR, got = -1;
    uint32_t kept = 0, dropped = 0;
    struct output out;
    /* The header is checked before the output is opened: a wrong -i writes nothing. */
    if (read_header(&in, &hdr, cols, &n_cols, &l) && output_open(&out, out_path)) {
        fprintf(out.fp, "%s,Label\n", in.line);
        while ((got = text_reader_next(&in)) > 0) {
            size_t len = strlen(in.line);
            if (len + 1 > work_cap) {
                char *w = realloc(work, len + 1);
                if (w == NULL) {
                    fprintf(stderr, "flowdx label: out of memory\n");
                    got = -1;
                    break;
                }
                work = w;
                work_cap = len + 1;
            }
            memcpy(work, in.line, len + 1);
            int nf = split(work, f, MAX_FIELDS);
            if (nf != n_cols) {
                fprintf(stderr, "flowdx label: %s:%u: %s%d fields, the header has %d\n", in_path,
                        (unsigned)in.line_no, nf < 0 ? "over " : "", nf < 0 ? MAX_FIELDS : nf,
                        n_cols);
                got = -1;
                break;
            }
            struct flow fl;
            int col;
            const char *why = read_flow(f, &l, &fl, &col);
            if (why != NULL) {
                /* not a flow that matched no rule: --default is not for it */
                fprintf(stderr, "flowdx label: %s:%u: column '%.64s': '%.64s' %s\n", in_path,
                        (unsigned)in.line_no, cols[col], f[col], why);
                got = -1;
                break;
            }
            const char *label = match(rules, n_rules, &fl);
            if (label == NULL)
                label = dflt;
            if (label == NULL) {
                dropped++;
                continue;
            }
            fprintf(out.fp, "%s,%s\n", in.line, label);
            kept++;
        }
        /* An error in the input has been reported: the output is not kept, and not reported
         * again as a failed write. */
        if (got < 0)
            output_close(&out, false);
        else if (output_close(&out, true))
            status = EXIT_OK;
    }
    fclose(in.fp);
    free(in.line);
    free(hdr);
    free(work);
    if (status == EXIT_OK)
        fprintf(stderr, "flowdx label: %u flow%s labelled, %u matched no rule%s\n", kept,
                plural(kept), dropped,
                dropped == 0   ? ""
                : dropped == 1 ? " and was left out"
                               : " and were left out");
    free(rules);
    return status;
}
