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

#include "tool.h"

#define MAX_RULES 100000
#define MAX_LINE 65536
#define MAX_FIELDS 1024

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
            "  end     the flow must start at or before this time (times: epoch seconds, or\n"
            "          'YYYY-MM-DD HH:MM:SS' in UTC)\n\n"
            "Options:\n"
            "  -i, --input FILE      flows (CSV from flowdx extract)\n"
            "  -l, --labels FILE     rules\n"
            "  -o, --output FILE     write here instead of standard output\n"
            "      --default LABEL   label for flows no rule matches\n"
            "  -h, --help            this text\n");
}

struct rule {
    char label[64];
    struct prefix addr, peer;
    int port;          /* -1: any */
    double start, end; /* seconds; -inf / +inf: any */
};

/* Epoch seconds, or "YYYY-MM-DD HH:MM:SS" (UTC). */
static bool parse_time(const char *text, double *ret)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno == 0 && end != text && *end == '\0') {
        *ret = v;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
    if (rest == NULL || *rest != '\0')
        return false;
    *ret = (double)timegm(&tm);
    return true;
}

/* Split a line of unquoted CSV in place. */
static int split(char *line, char **out, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        out[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int read_rules(const char *path, struct rule **ret, uint32_t *ret_n)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "flowdx label: %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char line[MAX_LINE];
    struct rule *rules = NULL;
    uint32_t n = 0, cap = 0, lineno = 0;
    bool header = false;
    int rc = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        if (line[strspn(line, " \t\r\n")] == '\0')
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
                rc = -1;
                break;
            }
            rules = r2;
        }
        struct rule *r = &rules[n];
        const char *what = NULL;
        if (f[0][0] == '\0' || strlen(f[0]) >= sizeof(r->label) || strchr(f[0], '"'))
            what = "label: empty, over 63 bytes or with a quote";
        else if (!parse_prefix(f[1], &r->addr))
            what = "addr: not an address or prefix";
        else if (!parse_prefix(f[2], &r->peer))
            what = "peer: not an address or prefix";
        if (what == NULL)
            memcpy(r->label, f[0], strlen(f[0]) + 1); /* length checked above */
        r->port = -1;
        if (what == NULL && f[3][0] != '\0') {
            char *end;
            errno = 0;
            long p = strtol(f[3], &end, 10);
            if (errno != 0 || *end != '\0' || p < 0 || p > 65535)
                what = "port: not 0 to 65535";
            r->port = (int)p;
        }
        r->start = -INFINITY;
        r->end = INFINITY;
        if (what == NULL && f[4][0] != '\0' && !parse_time(f[4], &r->start))
            what = "start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'";
        if (what == NULL && f[5][0] != '\0' && !parse_time(f[5], &r->end))
            what = "end: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'";
        if (what != NULL) {
            fprintf(stderr, "flowdx label: %s:%u: %s\n", path, lineno, what);
            rc = -1;
            break;
        }
        n++;
    }
    fclose(fp);
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

static const char *match(const struct rule *rules, uint32_t n, char **f, const struct layout *l,
                         const char *path, uint32_t lineno)
{
    int fs, fd;
    uint8_t s[16], d[16];
    double t0, t1;
    if (!endpoint(f[l->src], &fs, s) || !endpoint(f[l->dst], &fd, d) ||
        !parse_time(f[l->start], &t0)) {
        fprintf(stderr, "flowdx label: %s:%u: unreadable address or time; row left out\n", path,
                lineno);
        return NULL;
    }
    if (l->micro)
        t0 /= 1e6;
    t1 = t0;
    if (l->end >= 0 && parse_time(f[l->end], &t1) && l->micro)
        t1 /= 1e6;
    long sp = strtol(f[l->sport], NULL, 10), dp = strtol(f[l->dport], NULL, 10);
    for (uint32_t i = 0; i < n; i++) {
        const struct rule *r = &rules[i];
        bool ends = (in_prefix(&r->addr, fs, s) && in_prefix(&r->peer, fd, d)) ||
                    (in_prefix(&r->addr, fd, d) && in_prefix(&r->peer, fs, s));
        bool port = r->port < 0 || r->port == sp || r->port == dp;
        bool time = t1 >= r->start && t0 <= r->end;
        if (ends && port && time)
            return r->label;
    }
    return NULL;
}

int cmd_label(int argc, char **argv)
{
    static const struct option opts_long[] = {
        {"input", required_argument, NULL, 'i'},  {"labels", required_argument, NULL, 'l'},
        {"output", required_argument, NULL, 'o'}, {"default", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *in = NULL, *rules_path = NULL, *out_path = NULL, *dflt = NULL;
    static char prog[] = "flowdx label";
    argv[0] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:l:o:h", opts_long, NULL)) != -1) {
        switch (c) {
        case 'i':
            in = optarg;
            break;
        case 'l':
            rules_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'd':
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
    if (optind < argc || in == NULL || rules_path == NULL) {
        fprintf(stderr, "flowdx label: -i FLOWS and -l RULES are required\n"
                        "Try 'flowdx label --help'.\n");
        return EXIT_USAGE;
    }
    struct rule *rules = NULL;
    uint32_t n_rules = 0;
    if (read_rules(rules_path, &rules, &n_rules) < 0)
        return EXIT_ERROR;
    FILE *fp = fopen(in, "r");
    if (fp == NULL) {
        fprintf(stderr, "flowdx label: %s: %s\n", in, strerror(errno));
        free(rules);
        return EXIT_ERROR;
    }
    struct output out;
    if (!output_open(&out, out_path)) {
        fclose(fp);
        free(rules);
        return EXIT_ERROR;
    }
    static char line[MAX_LINE], copy[MAX_LINE];
    static char *f[MAX_FIELDS];
    struct layout l = {0};
    uint32_t lineno = 0, kept = 0, dropped = 0;
    int status = EXIT_OK, n_cols = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        snprintf(copy, sizeof(copy), "%s", line);
        copy[strcspn(copy, "\r\n")] = '\0';
        int nf = split(line, f, MAX_FIELDS);
        if (lineno == 1) {
            n_cols = nf;
            if (!find_layout(f, nf, &l) || l.label >= 0) {
                fprintf(stderr, "flowdx label: %s:1: %s\n", in,
                        l.label >= 0 ? "already has a Label column"
                                     : "no flow identifier columns (src_addr... or SourceIP...): "
                                       "is this flowdx extract output?");
                status = EXIT_ERROR;
                break;
            }
            fprintf(out.fp, "%s,Label\n", copy);
            continue;
        }
        if (nf != n_cols) {
            fprintf(stderr, "flowdx label: %s:%u: %d fields, the header has %d\n", in, lineno, nf,
                    n_cols);
            status = EXIT_ERROR;
            break;
        }
        const char *label = match(rules, n_rules, f, &l, in, lineno);
        if (label == NULL)
            label = dflt;
        if (label == NULL) {
            dropped++;
            continue;
        }
        fprintf(out.fp, "%s,%s\n", copy, label);
        kept++;
    }
    fclose(fp);
    if (!output_close(&out, status == EXIT_OK))
        status = EXIT_ERROR;
    if (status == EXIT_OK)
        fprintf(stderr, "flowdx label: %u flow%s labelled, %u matched no rule%s\n", kept,
                plural(kept), dropped,
                dropped == 0   ? ""
                : dropped == 1 ? " and was left out"
                               : " and were left out");
    free(rules);
    return status;
}
