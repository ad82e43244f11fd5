/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flowdx run -c FILE` and `flowdx config check FILE`: the probe as the configuration describes it
 * (conf/flowdx.yaml, flowdx.yaml(5)). The engine, its detectors and plugins come from
 * flowdx_setup.h; this file reads the host's own sections (input, allowlist, outputs, the DoH pair
 * rule) and writes the outputs, several at once.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>

#include "flowdx/flowdx_export.h"
#include "flowdx/flowdx_model.h"
#include "flowdx/flowdx_setup.h"
#include "tool.h"

#define MAX_ALLOW 1024
#define MAX_NAMES 256
#define MAX_TALLIES 64
#define MAX_DOH_SERVERS 256 /* as many as the doh plugin takes (plugin/common/detector.h) */

/* A plugin's counters for the summary, under its name: they go on when a reload keeps the
 * plugin, and stay when a reload drops it. */
struct tally {
    char name[64];
    uint64_t judged, malicious, uncertain;
    /* declined: flows the plugin looked at and gave no verdict on purpose (the spam detector:
     * SMTP flows without a packet from the server, unless judge_one_way or its model says to
     * judge them) */
    uint64_t declined;
};

struct probe {
    const char *path; /* the configuration file, for SIGHUP; the name of a text */
    const char *text; /* a configuration given as text (--detect doh,spam), or NULL */
    fdx_config *cfg;
    fdx_setup *setup;
    const fdx_engine *engine;
    /* input */
    const char *inputs[MAX_INPUTS];
    const fdx_config_node *input_nodes[MAX_INPUTS]; /* where input.read names each, for messages */
    const fdx_config_node *input_node;              /* the input mapping, for messages; or NULL */
    int n_inputs;
    const char *inputs_what; /* "input.read", or "-r" when the command line replaced them */
    const char *filter;
    bool filter_replaced; /* --filter given: the file's input.filter is not used, nor checked */
    const char *iface;    /* live capture instead of inputs */
    const char *data_dir;
    int64_t snaplen, buffer_mib; /* live capture */
    int promisc, immediate;
    const char *user;
    uint64_t stats_us;      /* UINT64_MAX: not given (60 s live, none when reading captures) */
    struct ipfix_out ipfix; /* outputs.ipfix */
    char ipfix_label[4200]; /* "FILE: outputs.ipfix", its name in messages */
    /* detectors: their plugin index in each record's verdicts, or -1 */
    int spam, doh;
    char doh_label[32]; /* the doh plugin's class name, from its first malicious verdict */
    /* detectors.doh.servers, with the flows to each, and where each is named */
    struct doh_server doh_servers[MAX_DOH_SERVERS];
    char doh_server_what[MAX_DOH_SERVERS][160];
    uint32_t n_doh_servers;
    bool pairs_on;
    struct fdx_pairs_options po;
    fdx_pairs *pairs;
    struct prefix allow[MAX_ALLOW];
    uint32_t n_allow;
    char allow_names[MAX_NAMES][64]; /* server names, lower case; "*.example.org" for subdomains */
    uint32_t n_names;
    /* outputs */
    const char *alerts_file, *jsonl_file, *csv_file, *senders_file;
    /* their names in messages: "FILE:LINE:COL: outputs.csv" where the file names them */
    char alerts_what[1200], jsonl_what[1200], csv_what[1200], senders_what[1200];
    bool senders_shared; /* outputs.senders names outputs.alerts' file: the report follows them */
    bool syslog;
    uint32_t min_spam;
    struct output alerts, jsonl, csv, senders_out;
    bool csv_header;
    struct senders *senders;
    /* counters per plugin: tally[slot[i]] is plugin i's */
    struct tally tally[MAX_TALLIES];
    uint32_t n_tallies;
    uint8_t slot[16];
    uint64_t flows, allowed;
    uint64_t alerts_total; /* for the live statistics line */
    bool failed;
};

/* A record held by the pair rule: copies of what the callback only borrowed. */
struct held {
    struct fdx_flow_record r;
    char server[64]; /* nDPI's server name, "" for none */
    struct fdx_flow_verdict v[16];
    char labels[16][32];
    double features[];
};

/* ---- configuration ---- */

/* The file names of a list (or one name) @p key of @p map, and their nodes (for messages). */
static int read_strings(const fdx_config_node *map, const char *key, const char **out,
                        const fdx_config_node **nodes, int cap, int *n, char *err, size_t len)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(map, key, &list, err, len);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *s = fdx_config_scalar(item);
        char where[300];
        if (s == NULL || s[0] == '\0' || *n == cap) {
            snprintf(err, len, "%s: key '%s': %s",
                     fdx_config_node_where(item, where, sizeof(where)), key,
                     s == NULL || s[0] == '\0' ? "expected a file name" : "too many entries");
            return FDX_EFORMAT;
        }
        nodes[*n] = item;
        out[(*n)++] = s;
    }
    return 1;
}

/* allowlist.server_names: "example.org" (that name) or "*.example.org" (its subdomains). */
static int read_names(const fdx_config_node *a, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(a, "server_names", &list, err, len);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *s = fdx_config_scalar(item);
        size_t n = s != NULL ? strlen(s) : 0;
        char where[300];
        bool ok =
            n > 0 && n < sizeof(p->allow_names[0]) && p->n_names < MAX_NAMES &&
            strchr(s + (strncmp(s, "*.", 2) == 0 ? 2 : 0), '*') == NULL &&
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*") == n;
        if (!ok) {
            snprintf(err, len, "%s: key 'server_names': %s",
                     fdx_config_node_where(item, where, sizeof(where)),
                     p->n_names == MAX_NAMES
                         ? "more than 256 names"
                         : "not a server name (NAME or *.NAME, up to 63 bytes)");
            return FDX_EFORMAT;
        }
        for (size_t k = 0; k <= n; k++)
            p->allow_names[p->n_names][k] = (char)tolower((unsigned char)s[k]);
        p->n_names++;
    }
    return 1;
}

static bool name_allowed(const struct probe *p, const char *server)
{
    if (server == NULL || server[0] == '\0')
        return false;
    size_t n = strlen(server);
    for (uint32_t i = 0; i < p->n_names; i++) {
        const char *a = p->allow_names[i];
        if (strncmp(a, "*.", 2) == 0) { /* a subdomain: ends with ".example.org" */
            size_t m = strlen(a + 1);
            if (n > m && strcasecmp(server + n - m, a + 1) == 0)
                return true;
        } else if (strcasecmp(server, a) == 0) {
            return true;
        }
    }
    return false;
}

static int read_allowlist(const fdx_config_node *root, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *a = NULL, *list = NULL;
    int rc = fdx_config_get_map(root, "allowlist", &a, err, len);
    if (rc <= 0)
        return rc;
    if ((rc = read_names(a, p, err, len)) < 0 ||
        (rc = fdx_config_get_list(a, "addresses", &list, err, len)) <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *s = fdx_config_scalar(item);
        char where[300];
        if (s == NULL || s[0] == '\0' || p->n_allow == MAX_ALLOW ||
            !parse_prefix(s, &p->allow[p->n_allow])) { /* "" would be any address */
            snprintf(err, len, "%s: key 'addresses': %s",
                     fdx_config_node_where(item, where, sizeof(where)),
                     p->n_allow == MAX_ALLOW ? "more than 1024 entries"
                                             : "not an address or a network (ADDR/BITS)");
            return FDX_EFORMAT;
        }
        p->n_allow++;
    }
    return 0;
}

/* An output's file: absent or ~ leaves the default. */
/* fdx_config_get_string(), refusing an empty value (a file, an interface, a user, a destination):
 * located at @p map, which holds @p key. */
static int get_name(const fdx_config_node *map, const char *key, const char **ret, char *err,
                    size_t len)
{
    const char *v = NULL;
    int rc = fdx_config_get_string(map, key, &v, err, len);
    if (rc > 0 && v[0] == '\0') {
        char where[300];
        snprintf(err, len, "%s: key '%s': empty", fdx_config_node_where(map, where, sizeof(where)),
                 key);
        return FDX_EFORMAT;
    }
    if (rc > 0)
        *ret = v;
    return rc;
}

/* "FILE:LINE:COL" of the value of @p key in @p map (a scalar is a list of one, and its own
 * node), or of @p map when the key is not there. */
static const char *value_where(const fdx_config_node *map, const char *key, char *buf, size_t len)
{
    const fdx_config_node *at = map;
    if (fdx_config_get_list(map, key, &at, NULL, 0) <= 0)
        at = map;
    return fdx_config_node_where(at, buf, len);
}

/* A value of key @p key of @p map that @p check refuses, as "FILE:LINE:COL: key 'KEY': reason",
 * at the value. */
static int check_key(const fdx_config_node *map, const char *key, const char *value,
                     int (*check)(const char *, char *, size_t), char *err, size_t len)
{
    char why[1024];
    int rc = check(value, why, sizeof(why));
    if (rc < 0) {
        char where[300];
        snprintf(err, len, "%s: key '%s': %s", value_where(map, key, where, sizeof(where)), key,
                 why);
    }
    return rc;
}

/* outputs.NAME: its file into @p file, and its name in messages into @p what: "FILE:LINE:COL:
 * outputs.NAME" at the file's name in a configuration file, "FILE: outputs.NAME" otherwise. */
static int read_output(const struct probe *p, const fdx_config_node *outs, const char *name,
                       const char **file, char *what, size_t what_len,
                       const fdx_config_node **ret_map, char *err, size_t len)
{
    const fdx_config_node *m = NULL;
    int rc = fdx_config_get_map(outs, name, &m, err, len);
    if (ret_map != NULL)
        *ret_map = m;
    if (rc <= 0)
        return rc;
    rc = get_name(m, "file", file, err, len);
    if (rc > 0 && p->text == NULL) {
        char where[300];
        snprintf(what, what_len, "%s: outputs.%s", value_where(m, "file", where, sizeof(where)),
                 name);
    }
    return rc;
}

static int read_outputs(const fdx_config_node *root, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *outs = NULL, *alerts = NULL, *senders = NULL, *ipfix = NULL;
    int rc = fdx_config_get_map(root, "outputs", &outs, err, len);
    if (rc <= 0)
        return rc;
    int64_t min_spam = p->min_spam;
    int sys = 0;
    int on = 1;
#define WHAT(x) p->x##_what, sizeof(p->x##_what)
    if ((rc = read_output(p, outs, "alerts", &p->alerts_file, WHAT(alerts), &alerts, err, len)) <
            0 ||
        (alerts && (rc = fdx_config_get_bool(alerts, "enabled", &on, err, len)) < 0) ||
        (alerts && (rc = fdx_config_get_bool(alerts, "syslog", &sys, err, len)) < 0) ||
        (rc = read_output(p, outs, "jsonl", &p->jsonl_file, WHAT(jsonl), NULL, err, len)) < 0 ||
        (rc = read_output(p, outs, "csv", &p->csv_file, WHAT(csv), NULL, err, len)) < 0 ||
        (rc = read_output(p, outs, "senders", &p->senders_file, WHAT(senders), &senders, err,
                          len)) < 0 ||
        (senders &&
         (rc = fdx_config_get_int(senders, "min_spam", 1, UINT32_MAX, &min_spam, err, len)) < 0))
        return rc;
#undef WHAT
    p->syslog = sys != 0;
    if (!on)
        p->alerts_file = NULL;
    p->min_spam = (uint32_t)min_spam;
    if ((rc = fdx_config_get_map(outs, "ipfix", &ipfix, err, len)) < 0)
        return rc;
    const char *dest = NULL;
    int64_t pen = FDX_IPFIX_PEN_DEFAULT, domain = 0;
    struct fdx_ipfix_options defaults;
    fdx_ipfix_options_init(&defaults);
    uint64_t reconnect_us = defaults.reconnect_s * 1000000ull;
    if (ipfix != NULL &&
        ((rc = get_name(ipfix, "destination", &dest, err, len)) < 0 ||
         (rc = fdx_config_get_int(ipfix, "pen", 1, UINT32_MAX - 1, &pen, err, len)) < 0 ||
         (rc = fdx_config_get_int(ipfix, "domain", 0, UINT32_MAX, &domain, err, len)) < 0 ||
         (rc = fdx_config_get_duration(ipfix, "reconnect", 0, IPFIX_RECONNECT_MAX_S * 1000000ull,
                                       &reconnect_us, err, len)) < 0))
        return rc;
    if (dest != NULL &&
        (rc = check_key(ipfix, "destination", dest, fdx_ipfix_check_destination, err, len)) < 0)
        return rc;
    if (ipfix != NULL) { /* "FILE:LINE:COL: outputs.ipfix", the exporter's name in messages */
        char where[300];
        snprintf(p->ipfix_label, sizeof(p->ipfix_label), "%s: outputs.ipfix",
                 fdx_config_node_where(ipfix, where, sizeof(where)));
    }
    p->ipfix.dest = dest;
    p->ipfix.pen = (uint32_t)pen;
    p->ipfix.domain = (uint32_t)domain;
    /* whole seconds; a part of one counts as one (0.5s is not 0, which turns reconnecting off) */
    p->ipfix.reconnect_s = (uint32_t)((reconnect_us + 999999) / 1000000);
    p->ipfix.reconnect_given = true;
    return 0;
}

static int read_input(const fdx_config_node *root, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *in = NULL;
    int rc = fdx_config_get_map(root, "input", &in, err, len);
    if (rc <= 0)
        return rc;
    p->input_node = in;
    if ((rc = read_strings(in, "read", p->inputs, p->input_nodes, MAX_INPUTS, &p->n_inputs, err,
                           len)) < 0 ||
        (rc = fdx_config_get_string(in, "filter", &p->filter, err, len)) < 0 ||
        (rc = get_name(in, "interface", &p->iface, err, len)) < 0 ||
        (rc = fdx_config_get_int(in, "snaplen", INPUT_SNAPLEN_MIN, INPUT_SNAPLEN_MAX, &p->snaplen,
                                 err, len)) < 0 ||
        (rc = fdx_config_get_bool(in, "promisc", &p->promisc, err, len)) < 0 ||
        (rc = fdx_config_get_bool(in, "immediate", &p->immediate, err, len)) < 0 ||
        (rc = fdx_config_get_int(in, "buffer_size", 1, 2047, &p->buffer_mib, err, len)) < 0 ||
        (rc = get_name(in, "user", &p->user, err, len)) < 0 ||
        (rc = fdx_config_get_duration(in, "stats_interval", 0, INPUT_STATS_MAX_US, &p->stats_us,
                                      err, len)) < 0 ||
        (p->filter != NULL && !p->filter_replaced &&
         (rc = check_key(in, "filter", p->filter, fdx_capture_check_filter, err, len)) < 0))
        return rc;
    if (p->iface != NULL && p->n_inputs > 0) {
        char where[300];
        snprintf(err, len, "%s: keys 'read' and 'interface' exclude each other",
                 fdx_config_node_where(in, where, sizeof(where)));
        return FDX_EINVAL;
    }
    return 0;
}

/* The mapping detectors.doh in *ret_doh: 1; 0 when the file has none; < 0 on an error (in err). */
static int doh_detector(const fdx_config_node *root, const fdx_config_node **ret_doh, char *err,
                        size_t len)
{
    const fdx_config_node *dets = NULL;
    int rc = fdx_config_get_map(root, "detectors", &dets, err, len);
    if (rc > 0)
        rc = fdx_config_get_map(dets, "doh", ret_doh, err, len);
    return rc;
}

/* The host's key inside the doh detector's mapping, read before the plugin gets the mapping. */
static int read_pairs(const fdx_config_node *root, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *doh = NULL, *pairs = NULL;
    int rc = doh_detector(root, &doh, err, len);
    if (rc > 0)
        rc = fdx_config_get_map(doh, "pairs", &pairs, err, len);
    if (rc <= 0)
        return rc;
    int on = 1;
    uint64_t window_us = (uint64_t)(p->po.window_s * 1e6);
    int64_t bytes = (int64_t)p->po.min_bytes;
    if ((rc = fdx_config_get_bool(pairs, "enabled", &on, err, len)) < 0 ||
        (rc = fdx_config_get_duration(pairs, "window", 1000, 86400ull * 1000000u, &window_us, err,
                                      len)) < 0 ||
        (rc = fdx_config_get_int(pairs, "min_bytes", 0, INT64_MAX, &bytes, err, len)) < 0 ||
        (rc = fdx_config_get_double(pairs, "min_share", 0, 1, &p->po.min_share, err, len)) < 0)
        return rc;
    p->pairs_on = on != 0;
    p->po.window_s = (double)window_us / 1e6;
    p->po.min_bytes = (uint64_t)bytes;
    return 0;
}

/* The model file detector @p name reads: its `model` key, else DATA_DIR/NAME.fdxm, as the
 * detector plugins resolve it. NULL when the file does not run that detector. */
static const char *detector_model(const struct probe *p, const char *name, char *buf, size_t len)
{
    bool runs = false;
    for (uint32_t i = 0; i < fdx_setup_plugin_count(p->setup); i++)
        runs = runs || strcmp(fdx_setup_plugin_name(p->setup, i), name) == 0;
    const fdx_config_node *dets = NULL, *d = NULL;
    const char *model = NULL;
    if (!runs || fdx_config_get_map(fdx_config_root(p->cfg), "detectors", &dets, NULL, 0) <= 0 ||
        fdx_config_get_map(dets, name, &d, NULL, 0) < 0 ||
        (d != NULL && fdx_config_get_string(d, "model", &model, NULL, 0) < 0))
        return NULL;
    if (model != NULL)
        return model;
    snprintf(buf, len, "%s/%s.fdxm", p->data_dir && p->data_dir[0] ? p->data_dir : ".", name);
    return buf;
}

/* False, after printing "@p prefix FILE: why", when an output would overwrite an input
 * (input.read, the configuration file itself, a detector's model) or another output: two
 * writers on one file, or a capture replaced by rows. */
static bool probe_files_distinct(const struct probe *p, const char *prefix)
{
    const struct named_file out[] = {
        {p->alerts_what, p->alerts_file, true},
        {p->jsonl_what, p->jsonl_file, false},
        {p->csv_what, p->csv_file, false},
        {p->senders_what, p->senders_shared ? NULL : p->senders_file, true},
        {p->ipfix_label, ipfix_out_file(&p->ipfix), false},
    };
    const size_t n_out = sizeof(out) / sizeof(out[0]);
    char who[1200], in_what[1200], spam[4096], doh[4096];
    size_t n_who = strlen(prefix); /* the prefix without its ": ": each name says its file */
    if (n_who >= 2 && strcmp(prefix + n_who - 2, ": ") == 0)
        n_who -= 2;
    snprintf(who, sizeof(who), "%.*s", (int)n_who, prefix);
    /* input.read of the file, or -r of the command line */
    if (strcmp(p->inputs_what, "-r") == 0)
        snprintf(in_what, sizeof(in_what), "-r");
    else
        snprintf(in_what, sizeof(in_what), "%s: %s", p->path, p->inputs_what);
    const char *self = p->text == NULL ? p->path : NULL; /* a text given inline has no file */
    const char *models[] = {detector_model(p, "spam", spam, sizeof(spam)),
                            detector_model(p, "doh", doh, sizeof(doh))};
    const struct input_group ins[] = {
        {in_what, p->inputs, (size_t)p->n_inputs},
        {"the configuration file", &self, 1},
        {"a detector's model", models, 2},
    };
    return files_distinct(who, ins, 3, out, n_out);
}

/* input.user: only with input.interface, and a user that exists; false after printing why, at
 * the key's value in a file ("FILE:LINE:COL: key 'user': ..."), as --user in a text (the
 * configuration --detect doh,spam makes of the command line). */
static bool probe_user(const struct probe *p, const char *prog, struct run_as *ret)
{
    if (p->user == NULL)
        return true;
    char where[300];
    if (p->text == NULL)
        value_where(p->input_node, "user", where, sizeof(where));
    else /* a text has input.user with -i only (cmd_run): the case below is the file's */
        snprintf(where, sizeof(where), "%s", p->path);
    if (p->iface == NULL) {
        fprintf(stderr, "%s: %s: key 'user': applies to live capture (input.interface) only\n",
                prog, where);
        return false;
    }
    return run_as_lookup(prog, p->text == NULL ? where : NULL, p->user, ret);
}

/* input.user: the outputs, opened once the user is changed to @p u (probe_main: after the capture),
 * can be written by that user; false after printing which cannot. */
static bool probe_user_can_write(const struct probe *p, const char *prog, const struct run_as *u)
{
    if (p->user == NULL)
        return true;
    /* live (input.user needs it): written in place, but for the senders report of its own file,
     * which is replaced at the end (open_outputs) */
    const struct {
        const char *what, *path;
        bool replaced;
    } out[] = {
        {p->alerts_what, p->alerts_file, false},
        {p->jsonl_what, p->jsonl_file, false},
        {p->csv_what, p->csv_file, false},
        {p->senders_what, p->spam >= 0 && !p->senders_shared ? p->senders_file : NULL, true},
        {p->ipfix_label, ipfix_out_file(&p->ipfix), false},
    };
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
        if (!run_as_can_write(prog, u, out[i].what, out[i].path, out[i].replaced))
            return false;
    }
    return true;
}

/* detectors.doh.servers, which the doh plugin has read and checked already: for the warning
 * about a server no flow reached. Named by the option of --detect doh,spam's generated text. */
static int read_doh_servers(const fdx_config_node *root, struct probe *p, char *err, size_t len)
{
    const fdx_config_node *doh = NULL, *list = NULL;
    int rc = doh_detector(root, &doh, err, len);
    if (rc > 0)
        rc = fdx_config_get_list(doh, "servers", &list, err, len);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *text = fdx_config_scalar(item);
        uint32_t k = p->n_doh_servers;
        if (k == MAX_DOH_SERVERS || text == NULL || !doh_server_parse(text, &p->doh_servers[k]))
            continue; /* refused by the plugin already */
        char where[128];
        if (p->text != NULL)
            snprintf(p->doh_server_what[k], sizeof(p->doh_server_what[k]), "--doh-server");
        else
            snprintf(p->doh_server_what[k], sizeof(p->doh_server_what[k]),
                     "%s: detectors.doh.servers",
                     fdx_config_node_where(item, where, sizeof(where)));
        p->n_doh_servers++;
    }
    return 1;
}

/* Loads @p path and everything it names; prints the located error and returns false. */
static bool probe_load(struct probe *p, const char *path, const char *prefix)
{
    p->path = path;
    p->inputs_what = "input.read";
    char err[2048];
    p->spam = p->doh = -1;
    p->pairs_on = true;
    p->min_spam = 10;
    p->alerts_file = "-";
    snprintf(p->ipfix_label, sizeof(p->ipfix_label), "%s: outputs.ipfix", path);
    p->ipfix.label = p->ipfix_label;
    snprintf(p->alerts_what, sizeof(p->alerts_what), "%s: outputs.alerts", path);
    snprintf(p->jsonl_what, sizeof(p->jsonl_what), "%s: outputs.jsonl", path);
    snprintf(p->csv_what, sizeof(p->csv_what), "%s: outputs.csv", path);
    snprintf(p->senders_what, sizeof(p->senders_what), "%s: outputs.senders", path);
    p->snaplen = INPUT_SNAPLEN_MAX;
    p->promisc = 1;
    p->stats_us = UINT64_MAX;
    fdx_pairs_options_init(&p->po);
    int rc = p->text != NULL
                 ? fdx_config_load_string(p->text, strlen(p->text), path, &p->cfg, err, sizeof(err))
                 : fdx_config_load_file(path, &p->cfg, err, sizeof(err));
    const fdx_config_node *root = rc == 0 ? fdx_config_root(p->cfg) : NULL;
    /* An empty file is a mistake (cut short, or not written yet): it would run every default,
     * which at a reload would also turn detection off. */
    if (rc == 0 && fdx_config_map_count(root) == 0) {
        snprintf(err, sizeof(err),
                 "%s: empty (no key); conf/flowdx.yaml documents every key, and a file for the "
                 "probe names at least its input or its detectors",
                 path);
        rc = FDX_EINVAL;
    }
    p->data_dir = default_model_dir();
    if (rc == 0)
        rc = fdx_config_get_string(root, "data_dir", &p->data_dir, err, sizeof(err));
    if (rc >= 0)
        rc = read_input(root, p, err, sizeof(err));
    if (rc >= 0)
        rc = read_pairs(root, p, err, sizeof(err));
    if (rc >= 0)
        rc = read_allowlist(root, p, err, sizeof(err));
    if (rc >= 0)
        rc = read_outputs(root, p, err, sizeof(err));
    if (rc >= 0)
        rc = fdx_setup_new(root, p->data_dir, &p->setup, err, sizeof(err));
    if (rc >= 0)
        rc = fdx_config_check_unused(root, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "%s%s\n", prefix, err);
        return false;
    }
    for (uint32_t i = 0; i < fdx_setup_plugin_count(p->setup); i++) {
        if (strcmp(fdx_setup_plugin_name(p->setup, i), "spam") == 0)
            p->spam = (int)i;
        else if (strcmp(fdx_setup_plugin_name(p->setup, i), "doh") == 0)
            p->doh = (int)i;
    }
    if (p->doh >= 0 && read_doh_servers(root, p, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s%s\n", prefix, err);
        return false;
    }
    if (p->senders_file != NULL && p->spam < 0) {
        fprintf(stderr, "%s%s: the senders report needs the spam detector (detectors.spam)\n",
                prefix, p->senders_what);
        return false;
    }
    /* the report may follow the alerts in their file, as run --detect spam -o writes them */
    p->senders_shared = p->senders_file != NULL && p->alerts_file != NULL &&
                        (strcmp(p->senders_file, p->alerts_file) == 0 ||
                         same_named_file(p->senders_file, p->alerts_file));
    return probe_files_distinct(p, prefix);
}

static void probe_free(struct probe *p)
{
    fdx_setup_free(p->setup);
    fdx_config_free(p->cfg);
}

/* ---- outputs ---- */

static bool allowed(const struct probe *p, const struct fdx_flow_record *r)
{
    for (uint32_t i = 0; i < p->n_allow; i++) {
        if (in_prefix(&p->allow[i], r->ip_version, r->src_addr) ||
            in_prefix(&p->allow[i], r->ip_version, r->dst_addr))
            return true;
    }
    return false;
}

static void write_alert(struct probe *p, const struct fdx_flow_record *r,
                        const struct fdx_flow_verdict *v, const struct fdx_pair_evidence *ev)
{
    char line[512];
    format_alert(line, sizeof(line), r, v, ev);
    if (p->alerts.fp != NULL)
        fprintf(p->alerts.fp, "%s\n", line);
    if (p->syslog)
        syslog(LOG_WARNING, "%s", line);
}

static void write_json(struct probe *p, const struct fdx_flow_record *r, const char *server,
                       const struct fdx_flow_verdict *v, const struct fdx_pair_evidence *ev)
{
    write_json_record(p->jsonl.fp, p->engine, r, v, r->n_verdicts, p->doh, ev, server);
}

/* The CSV output's first line, without its end (malloc'd; NULL when memory ran out). */
static char *csv_header_text(const struct probe *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (fp == NULL)
        return NULL;
    fputs("flow_id,src_addr,src_port,dst_addr,dst_port,proto,start_us,end_us,end_reason", fp);
    for (uint32_t i = 0; i < fdx_engine_feature_count(p->engine); i++)
        fprintf(fp, ",%s", fdx_engine_feature_name(p->engine, i));
    for (uint32_t i = 0; i < fdx_setup_plugin_count(p->setup); i++)
        fprintf(fp, ",%s_verdict", fdx_setup_plugin_name(p->setup, i));
    if (fclose(fp) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_csv(struct probe *p, const struct fdx_flow_record *r,
                      const struct fdx_flow_verdict *v)
{
    FILE *fp = p->csv.fp;
    if (!p->csv_header) {
        char *header = csv_header_text(p);
        if (header == NULL) {
            p->failed = true;
            return;
        }
        fprintf(fp, "%s\n", header);
        free(header);
        p->csv_header = true;
    }
    if (r == NULL)
        return;
    char src[64], dst[64], num[48];
    format_addr(src, sizeof(src), r->ip_version, r->src_addr);
    format_addr(dst, sizeof(dst), r->ip_version, r->dst_addr);
    fprintf(fp, "%llu,%s,%u,%s,%u,%u,%llu,%llu,%s", (unsigned long long)r->flow_id, src,
            r->src_port, dst, r->dst_port, r->proto, (unsigned long long)r->start_us,
            (unsigned long long)r->end_us, fdx_end_reason_name(r->end_reason));
    for (uint32_t i = 0; i < r->n_features; i++) {
        format_double(num, sizeof(num), r->features[i]);
        fprintf(fp, ",%s", num);
    }
    for (uint32_t i = 0; i < r->n_verdicts; i++) {
        const char *w = verdict_word(v[i].verdict);
        if (w == NULL) /* no verdict: "declined" when the plugin said why, else empty */
            w = v[i].verdict == FDX_VERDICT_NONE && v[i].declined ? "declined" : "";
        fprintf(fp, ",%s", w);
    }
    fputc('\n', fp);
}

/* Every output for one record; @p v holds its final verdicts (the pair's for doh). */
static void emit(struct probe *p, const struct fdx_flow_record *r, const char *server,
                 const struct fdx_flow_verdict *v, const struct fdx_pair_evidence *ev)
{
    /* The allowlist (up to 1024 prefixes and 256 names) matters only for alerts: it is looked up
     * at the first malicious verdict, not for every flow. */
    int quiet = -1;
    for (uint32_t i = 0; i < r->n_verdicts && i < 16; i++) {
        struct tally *t = &p->tally[p->slot[i]];
        if (v[i].verdict == FDX_VERDICT_NONE) {
            t->declined += v[i].declined != 0;
            continue;
        }
        t->judged++;
        t->uncertain += v[i].verdict == FDX_VERDICT_UNCERTAIN;
        if (v[i].verdict != FDX_VERDICT_MALICIOUS)
            continue;
        t->malicious++;
        if (quiet < 0)
            quiet = allowed(p, r) || name_allowed(p, server);
        if (quiet)
            p->allowed++;
        else
            write_alert(p, r, &v[i], (int)i == p->doh ? ev : NULL);
        p->alerts_total += !quiet;
    }
    if (p->senders != NULL && p->spam >= 0 && v[p->spam].verdict != FDX_VERDICT_NONE) {
        char a[64];
        format_addr(a, sizeof(a), r->ip_version, r->src_addr);
        if (!senders_count(p->senders, a, v[p->spam].verdict == FDX_VERDICT_MALICIOUS))
            p->failed = true;
    }
    if (p->jsonl.fp != NULL)
        write_json(p, r, server, v, ev);
    if (p->csv.fp != NULL)
        write_csv(p, r, v);
    if (p->ipfix.x != NULL) {
        /* the final verdicts (the pair's for DoH), as the other outputs have them */
        struct fdx_flow_record final = *r;
        final.verdicts = v;
        ipfix_out_write(&p->ipfix, "flowdx run", &final, NULL);
    }
}

static void on_pair(void *user, void *item, uint32_t verdict, const struct fdx_pair_evidence *ev)
{
    struct probe *p = user;
    struct held *h = item;
    struct fdx_flow_verdict v[16];
    memcpy(v, h->v, sizeof(v));
    v[p->doh].verdict = pair_verdict(verdict);
    /* The label goes with the final verdict: the class name on a malicious flow (also one the
     * pair made so, which the plugin gave none), empty on the others (an uncertain flow the
     * jury flagged, a flagged flow of a benign pair). */
    v[p->doh].label = v[p->doh].verdict == FDX_VERDICT_MALICIOUS ? p->doh_label : "";
    emit(p, &h->r, h->server[0] ? h->server : NULL, v, ev);
    free(h);
}

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct probe *p = user;
    p->flows++;
    for (uint32_t i = 0; i < p->n_doh_servers; i++)
        doh_server_count(&p->doh_servers[i], r);
    uint32_t n = r->n_verdicts < 16 ? r->n_verdicts : 16;
    char server[64];
    /* readable only now, and needed only by the name allowlist and the JSON lines */
    const char *sv = p->n_names > 0 || p->jsonl.fp != NULL
                         ? fdx_engine_dpi_server(p->engine, server, sizeof(server))
                         : NULL;
    if (p->doh >= 0 && r->verdicts[p->doh].verdict == FDX_VERDICT_MALICIOUS && !p->doh_label[0])
        snprintf(p->doh_label, sizeof(p->doh_label), "%s", r->verdicts[p->doh].label);
    if (p->pairs == NULL || p->doh < 0 || r->verdicts[p->doh].verdict == FDX_VERDICT_NONE) {
        emit(p, r, sv, r->verdicts, NULL);
        return;
    }
    /* held by the pair rule: copy what the record only borrows */
    struct held *h = malloc(sizeof(*h) + (size_t)r->n_features * sizeof(double));
    if (h == NULL) {
        emit(p, r, sv, r->verdicts, NULL);
        return;
    }
    snprintf(h->server, sizeof(h->server), "%s", sv != NULL ? sv : "");
    h->r = *r;
    memcpy(h->features, r->features, (size_t)r->n_features * sizeof(double));
    h->r.features = h->features;
    memcpy(h->v, r->verdicts, n * sizeof(*h->v));
    for (uint32_t i = 0; i < n; i++) {
        snprintf(h->labels[i], sizeof(h->labels[i]), "%s", r->verdicts[i].label);
        h->v[i].label = h->labels[i];
    }
    h->r.verdicts = h->v;
    h->r.n_verdicts = n;
    fdx_pairs_add(p->pairs, &h->r, r->verdicts[p->doh].verdict == FDX_VERDICT_MALICIOUS, h);
}

/* Live: the engine's clock moved without packets. Held DoH flows whose window passed are
 * decided, and what was written reaches its readers. */
static void on_tick(void *user, uint64_t now_us)
{
    struct probe *p = user;
    if (p->pairs != NULL)
        fdx_pairs_advance(p->pairs, now_us);
    struct output *o[] = {&p->alerts, &p->jsonl, &p->csv};
    for (int i = 0; i < 3; i++) {
        if (!output_flush(o[i], "flowdx run"))
            feeder_stop();
    }
    ipfix_out_flush(&p->ipfix, "flowdx run");
}

static bool open_outputs(struct probe *p)
{
    bool ok = true;
    /* live: written as they come (tail -f), not renamed into place at the end */
    bool (*open)(struct output *, const char *) = p->iface ? output_open_stream : output_open;
    p->ipfix.append = p->iface != NULL; /* an IPFIX file too: a restart keeps what was written */
    ok = ipfix_out_open(&p->ipfix, p->engine, "flowdx run", NULL);
    if (ok && p->alerts_file != NULL)
        ok = open(&p->alerts, p->alerts_file);
    if (ok && p->jsonl_file != NULL)
        ok = open(&p->jsonl, p->jsonl_file);
    if (ok && p->csv_file != NULL)
        ok = open(&p->csv, p->csv_file);
    if (ok && p->csv_file != NULL && p->iface != NULL) {
        /* appended to: the header is there already, or written now */
        char *header = csv_header_text(p);
        ok = header != NULL && output_csv_header(&p->csv, header, "flowdx run");
        p->csv_header = ok;
        free(header);
    }
    if (ok && p->senders_file != NULL && p->spam >= 0) {
        if (!p->senders_shared)
            ok = output_open(&p->senders_out, p->senders_file);
        if (ok && (p->senders = senders_new()) == NULL) {
            fprintf(stderr, "flowdx run: out of memory\n");
            ok = false;
        }
    }
    return ok;
}

/* Closes the outputs; a file that could not be kept (the error names it) is no longer named. */
static bool close_outputs(struct probe *p, bool keep)
{
    bool ok = true;
    struct output *o[] = {&p->alerts, &p->jsonl, &p->csv, &p->senders_out};
    const char **name[] = {&p->alerts_file, &p->jsonl_file, &p->csv_file, &p->senders_file};
    for (int i = 0; i < 4; i++) {
        if (o[i]->fp != NULL && !output_close(o[i], keep)) {
            *name[i] = NULL;
            ok = false;
        }
    }
    return ok;
}

/* The engine of configuration @p conf, whose records go to @p p; its flows are numbered from
 * @p first_flow_id (a reload goes on with the numbers of the engine it replaces). */
static int new_engine(const struct probe *conf, struct probe *p, uint64_t first_flow_id,
                      fdx_engine **ret, char *err, size_t len)
{
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_setup_engine_options(conf->setup, &o);
    o.first_flow_id = first_flow_id;
    /* The detectors also judge the flows nDPI calls DoH or SMTP (FDX_APP_DOH, FDX_APP_SMTP): the
     * engine runs the dpi set for them, after the configured sets. */
    char *sets = NULL;
    if ((conf->doh >= 0 || conf->spam >= 0 || conf->n_names > 0) && !lists_dpi(o.feature_sets)) {
        if ((sets = sets_with_dpi(o.feature_sets)) == NULL) {
            snprintf(err, len, "out of memory");
            return FDX_ENOMEM;
        }
        o.feature_sets = sets;
    }
    o.on_flow = on_flow;
    o.user = p;
    int rc = fdx_engine_new(&o, ret, err, len);
    free(sets);
    return rc;
}

/* SIGHUP: the live output files and the IPFIX file are opened again by their names, for log
 * rotation (the senders report, written at the end, is not). */
static void reopen_outputs(struct probe *p, const char *sig)
{
    struct output *o[] = {&p->alerts, &p->jsonl, &p->csv};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (o[i]->path == NULL) /* not open, or standard output */
            continue;
        bool csv = o[i] == &p->csv;
        char *header = csv ? csv_header_text(p) : NULL; /* NULL: out of memory, not reopened */
        if ((!csv || header != NULL) && output_reopen(o[i], header, "flowdx run", sig) > 0)
            n++;
        free(header);
    }
    int x = ipfix_out_reopen(&p->ipfix, "flowdx run", sig);
    n += x > 0;
    if (n > 0)
        fprintf(stderr, "flowdx run: %s: %d output file%s reopened\n", sig, n, n == 1 ? "" : "s");
    else if (!p->csv.path && !p->jsonl.path && !p->alerts.path && x == 0)
        fprintf(stderr, "flowdx run: %s: no output file to reopen\n", sig);
}

/* Whether two configurations' records have the same values in the same order, and the same plugins'
 * verdicts in the same order (CSV columns, IPFIX templates and verdict slots). */
static bool same_layout(const fdx_engine *a, const fdx_setup *sa, const fdx_engine *b,
                        const fdx_setup *sb)
{
    if (fdx_engine_feature_count(a) != fdx_engine_feature_count(b) ||
        fdx_setup_plugin_count(sa) != fdx_setup_plugin_count(sb))
        return false;
    for (uint32_t i = 0; i < fdx_engine_feature_count(a); i++) {
        if (strcmp(fdx_engine_feature_name(a, i), fdx_engine_feature_name(b, i)) != 0)
            return false;
    }
    for (uint32_t i = 0; i < fdx_setup_plugin_count(sa); i++) {
        if (strcmp(fdx_setup_plugin_name(sa, i), fdx_setup_plugin_name(sb, i)) != 0)
            return false;
    }
    return true;
}

/* The tally of each plugin of @p setup (a new one for a name not seen before) into @p slot; false,
 * with no tally added, when the run has seen too many plugin names. */
static bool tally_slots(struct probe *p, const fdx_setup *setup, uint8_t *slot)
{
    uint32_t n_before = p->n_tallies;
    for (uint32_t i = 0; i < fdx_setup_plugin_count(setup) && i < 16; i++) {
        const char *name = fdx_setup_plugin_name(setup, i);
        uint32_t t = 0;
        while (t < p->n_tallies && strcmp(p->tally[t].name, name) != 0)
            t++;
        if (t == MAX_TALLIES) {
            p->n_tallies = n_before;
            return false;
        }
        if (t == p->n_tallies)
            snprintf(p->tally[p->n_tallies++].name, sizeof(p->tally[0].name), "%s", name);
        slot[i] = (uint8_t)t;
    }
    return true;
}

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * SIGHUP (live capture): the configuration file is read again. Flows, feature sets, detectors
 * with their models, plugins, the allowlist and the DoH pair rule take effect; a file with any
 * error, or one whose record layout or plugins would change the columns of a CSV or IPFIX output
 * already open, is refused and the running configuration stays. The flows in progress end (end
 * reason eof) and are judged by the old detectors; the next packets start new flows. Input and
 * outputs are kept as they are (a change to them takes effect at the next start).
 */
static fdx_engine *reload(void *user, fdx_engine *e, bool config)
{
    struct probe *p = user;
    reopen_outputs(p, config ? "SIGHUP" : "SIGUSR1");
    if (!config) /* SIGUSR1: log rotation only */
        return e;
    if (p->text != NULL) { /* --detect doh,spam: no file to read again */
        fprintf(stderr, "flowdx run: SIGHUP: no configuration file to read again (%s)\n", p->path);
        return e;
    }
    struct probe *n = calloc(1, sizeof(*n));
    char err[1024];
    fdx_engine *ne = NULL;
    if (n == NULL) {
        fprintf(stderr, "flowdx run: SIGHUP: out of memory; the running configuration stays\n");
        return e;
    }
    n->text = p->text;
    n->filter_replaced = p->filter_replaced;
    if (!probe_load(n, p->path, "flowdx run: SIGHUP: ")) {
        fprintf(stderr, "flowdx run: SIGHUP: %s refused; the running configuration stays\n",
                p->path);
        goto keep;
    }
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    if (new_engine(n, p, st.last_flow_id + 1, &ne, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx run: SIGHUP: %s: %s; the running configuration stays\n", p->path,
                err);
        goto keep;
    }
    if ((p->csv.fp != NULL || p->ipfix.x != NULL) && !same_layout(e, p->setup, ne, n->setup)) {
        fprintf(stderr,
                "flowdx run: SIGHUP: %s changes the record's values or plugins, and the %s output "
                "already has its columns: restart to apply it; the running configuration stays\n",
                p->path, p->ipfix.x != NULL ? "IPFIX" : "CSV");
        goto keep;
    }
    fdx_pairs *pairs = NULL;
    if (n->pairs_on && n->doh >= 0 && fdx_pairs_new(&n->po, on_pair, p, &pairs) < 0) {
        fprintf(stderr, "flowdx run: SIGHUP: out of memory; the running configuration stays\n");
        goto keep;
    }
    uint8_t slot[16] = {0};
    if (!tally_slots(p, n->setup, slot)) { /* the last refusal: nothing has changed yet */
        fdx_pairs_free(pairs);
        fprintf(stderr,
                "flowdx run: SIGHUP: %s: this run has counted %d plugins' verdicts under their "
                "names, the most it can: restart to apply it; the running configuration stays\n",
                p->path, MAX_TALLIES);
        goto keep;
    }
    if (!same_text(n->iface, p->iface) || !same_text(n->filter, p->filter) ||
        !same_text(n->jsonl_file, p->jsonl_file) || !same_text(n->csv_file, p->csv_file) ||
        !same_text(n->alerts_file, p->alerts_file) || !same_text(n->ipfix.dest, p->ipfix.dest))
        fprintf(stderr, "flowdx run: SIGHUP: input and outputs stay as they are until the next "
                        "start\n");
    /* The old engine's flows end under the old configuration (the feeder then frees it), then
     * everything switches; a plugin's counters go on under its name. */
    fdx_engine_flush(e);
    fdx_pairs_free(p->pairs);
    memcpy(p->slot, slot, sizeof(slot));
    /* The new file's configuration is not kept: the setup and allowlist hold copies, and the
     * input and outputs go on with the first file's strings. */
    fdx_setup *old_setup = p->setup;
    p->setup = n->setup;
    n->setup = old_setup;
    p->spam = n->spam;
    p->doh = n->doh;
    p->pairs_on = n->pairs_on;
    p->po = n->po;
    p->pairs = pairs;
    memcpy(p->allow, n->allow, sizeof(p->allow));
    p->n_allow = n->n_allow;
    memcpy(p->allow_names, n->allow_names, sizeof(p->allow_names));
    p->n_names = n->n_names;
    /* a server the old file named too keeps its counts */
    for (uint32_t i = 0; i < n->n_doh_servers; i++) {
        for (uint32_t j = 0; j < p->n_doh_servers; j++) {
            const struct doh_server *o = &p->doh_servers[j];
            struct doh_server *s = &n->doh_servers[i];
            if (doh_server_same(o, s)) {
                s->flows = o->flows;
                s->flows_443 = o->flows_443;
                break;
            }
        }
    }
    memcpy(p->doh_servers, n->doh_servers, sizeof(p->doh_servers));
    memcpy(p->doh_server_what, n->doh_server_what, sizeof(p->doh_server_what));
    p->n_doh_servers = n->n_doh_servers;
    p->engine = ne;
    fprintf(stderr, "flowdx run: SIGHUP: %s reloaded (%u plugins%s); %u flows in progress ended\n",
            p->path, fdx_setup_plugin_count(p->setup),
            fdx_setup_plugin_count(p->setup) == 0 ? ": no verdicts from now on" : "",
            st.active_flows);
    probe_free(n);
    free(n);
    return ne;
keep:
    fdx_engine_free(ne);
    probe_free(n);
    free(n);
    return e;
}

void usage_probe(FILE *out)
{
    fprintf(out,
            "Usage: flowdx run -c FILE [-r CAPTURE ... | -i INTERFACE] [--filter BPF] [-q]\n"
            "       flowdx config check FILE\n\n"
            "Runs the probe as the configuration file describes it: inputs, flow settings,\n"
            "feature sets, detectors (spam, doh) and plugins, allowlist and outputs (alerts,\n"
            "JSON lines, CSV, IPFIX, the spam senders report), several at once. Live\n"
            "(input.interface or -i): output files are appended to; SIGUSR1 opens them again\n"
            "by their names (log rotation), SIGHUP does that and reads the file again (a bad\n"
            "file is refused).\n"
            "conf/flowdx.yaml documents every key with its default; flowdx.yaml(5) is its\n"
            "manual. -r, -i and --filter override the file's input. 'flowdx config check' loads\n"
            "the file, its model files and plugins and the headers of its captures, and\n"
            "reports the first error as FILE:LINE:COLUMN, without reading any traffic.\n\n"
            "Exit status: 0 done; 1 error (message on standard error); 2 bad command line or\n"
            "configuration; 3 a capture was damaged or reading was interrupted (every flow\n"
            "read before was written).\n");
}

static void summary(const struct probe *p)
{
    fprintf(stderr, "flowdx run: %llu flow%s", (unsigned long long)p->flows, plural(p->flows));
    for (uint32_t i = 0; i < p->n_tallies; i++) { /* every plugin of the run, reloads too */
        const struct tally *t = &p->tally[i];
        fprintf(stderr, "; %s: %llu judged, %llu malicious, %llu uncertain", t->name,
                (unsigned long long)t->judged, (unsigned long long)t->malicious,
                (unsigned long long)t->uncertain);
        if (t->declined > 0) /* the one reason the spam detector (plugin "spam") declines for */
            fprintf(stderr, ", %llu declined%s", (unsigned long long)t->declined,
                    strcmp(t->name, "spam") == 0 ? " (SMTP flows with no packet from the server)"
                                                 : "");
    }
    if (p->n_allow > 0 || p->n_names > 0)
        fprintf(stderr, "; %llu alerts suppressed by the allowlist",
                (unsigned long long)p->allowed);
    fputc('\n', stderr);
}

/* Where the outputs went, for a reader who did not write the configuration: the files (a "-"
 * is standard output, already seen) and the IPFIX collector. */
static void written(const struct probe *p)
{
    const char *files[] = {p->alerts_file, p->jsonl_file, p->csv_file,
                           p->spam >= 0 && !p->senders_shared ? p->senders_file : NULL,
                           ipfix_out_sent(&p->ipfix)};
    print_written("flowdx run", files, sizeof(files) / sizeof(files[0]));
}

int cmd_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"filter", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *filter = NULL, *iface = NULL;
    const char *extra[MAX_INPUTS];
    int n_extra = 0, c;
    bool quiet = false;
    static char prog[] = "flowdx run";
    argv[0] = prog; /* getopt's messages start with argv[0] */
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:r:i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            /* `run -c --help` asks for this text: getopt would take "--help" as the file's name
             * (a file of that name is still read as ./--help) */
            if (strcmp(optarg, "--help") == 0 || strcmp(optarg, "-h") == 0) {
                usage_probe(stdout);
                return EXIT_OK;
            }
            if (path != NULL) {
                fprintf(stderr,
                        "flowdx run: -c given twice (%s and %s): one configuration file per run\n",
                        path, optarg);
                return EXIT_USAGE;
            }
            path = optarg;
            break;
        case 'r':
            if (n_extra == MAX_INPUTS) {
                fprintf(stderr, "flowdx run: more than %d captures\n", MAX_INPUTS);
                return EXIT_USAGE;
            }
            extra[n_extra++] = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case 'f':
            filter = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage_probe(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "flowdx run: with -c, only -r, -i, --filter and -q are options; the "
                            "rest is in the file\nTry 'flowdx run --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (path == NULL || optind < argc) {
        fprintf(stderr, "flowdx run: -c FILE expected\n");
        return EXIT_USAGE;
    }
    return probe_main(path, NULL, extra, n_extra, iface, filter, quiet);
}

int probe_main(const char *path, const char *text, const char *const *extra, int n_extra,
               const char *iface, const char *filter, bool quiet)
{
    static struct probe p;
    memset(&p, 0, sizeof(p));
    p.text = text;
    p.filter_replaced = filter != NULL;
    if (!probe_load(&p, path, "flowdx run: ")) {
        probe_free(&p);
        return EXIT_USAGE;
    }
    if (n_extra > 0 && iface != NULL) {
        fprintf(stderr, "flowdx run: -i and -r exclude each other\n");
        probe_free(&p);
        return EXIT_USAGE;
    }
    if (n_extra > 0 || iface != NULL) { /* -r or -i replaces the file's input */
        memcpy(p.inputs, extra, (size_t)n_extra * sizeof(extra[0]));
        p.n_inputs = n_extra;
        p.inputs_what = "-r";
        p.iface = iface;
    }
    if (filter != NULL)
        p.filter = filter;
    p.ipfix.quiet = quiet;
    if (n_extra > 0 && !probe_files_distinct(&p, "flowdx run: ")) {
        probe_free(&p);
        return EXIT_USAGE;
    }
    if (p.n_inputs == 0 && p.iface == NULL) {
        fprintf(stderr,
                "flowdx run: no input: give input.read or input.interface in %s, or -r "
                "FILE or -i INTERFACE\n",
                path);
        probe_free(&p);
        return EXIT_USAGE;
    }
    struct run_as run_as;
    if (!probe_user(&p, "flowdx run", &run_as) ||
        !probe_user_can_write(&p, "flowdx run", &run_as)) {
        probe_free(&p);
        return EXIT_USAGE;
    }
    fdx_engine *e = NULL;
    char err[1024];
    int rc = new_engine(&p, &p, 1, &e, err, sizeof(err));
    /* a setting the engine refuses is the configuration's error, as config check says */
    if (rc < 0) {
        fprintf(stderr, "flowdx run: %s: %s\n", path, err);
        probe_free(&p);
        return rc == FDX_EINVAL || rc == FDX_ERANGE ? EXIT_USAGE : EXIT_ERROR;
    }
    p.engine = e;
    tally_slots(&p, p.setup, p.slot); /* at most 16 plugins: a new run has room for them */
    if (p.pairs_on && p.doh >= 0 && fdx_pairs_new(&p.po, on_pair, &p, &p.pairs) < 0) {
        fprintf(stderr, "flowdx run: out of memory\n");
        fdx_engine_free(e);
        probe_free(&p);
        return EXIT_ERROR;
    }
    if (p.syslog)
        openlog("flowdx", LOG_PID, LOG_DAEMON);
    /* A statistics line: every 60 s live unless input.stats_interval says otherwise; when reading
     * captures, only when it is given (as run's --stats). */
    if (p.stats_us == UINT64_MAX)
        p.stats_us = p.iface != NULL ? 60000000u : 0;
    struct feeder feed = {.inputs = p.inputs,
                          .n_inputs = p.n_inputs,
                          .filter = p.filter,
                          .prog = "flowdx run",
                          .catch_signals = true,
                          .iface = p.iface,
                          .quiet = quiet,
                          .stats_every_ns = (long long)p.stats_us * 1000,
                          .alerts = &p.alerts_total,
                          .tick = on_tick,
                          .pairs = &p.pairs,
                          .tick_user = &p,
                          .reload = reload,
                          .reload_user = &p,
                          .reloaded = &e};
    fdx_capture_live_options_init(&feed.live);
    feed.live.snaplen_bytes = (uint32_t)p.snaplen;
    feed.live.promisc = p.promisc ? 1 : 0;
    feed.live.immediate = p.immediate ? 1 : 0;
    feed.live.buffer_bytes = (uint32_t)(p.buffer_mib * 1024 * 1024); /* 0: libpcap's */
    int status = EXIT_ERROR;
    /* the capture is opened as root, the outputs (IPFIX too) then as input.user (as tcpdump -Z
     * does) */
    bool opened = feeder_open(&feed), outputs_open = false;
    if (!opened && feed.bad_filter)
        status = EXIT_USAGE; /* input.filter */
    if (opened && p.user != NULL && !run_as_switch("flowdx run", &run_as)) {
        feeder_abort(&feed);
        opened = false;
    }
    if (opened) {
        /* Outputs that opened before one that failed are incomplete: they must not replace the
         * files they name (output_open's promise), so they are closed without being kept. */
        outputs_open = open_outputs(&p);
        if (!outputs_open && p.ipfix.bad_dest)
            status = EXIT_USAGE; /* outputs.ipfix */
        if (outputs_open) {
            status = feeder_run(&feed, e); /* it decided the flows the pair rule held */
            if (p.csv.fp != NULL && !p.csv_header)
                write_csv(&p, NULL, NULL);
            if (p.senders != NULL &&
                !senders_write(p.senders, p.senders_shared ? p.alerts.fp : p.senders_out.fp,
                               senders_input_name(p.iface, p.inputs, p.n_inputs), p.min_spam, false,
                               false))
                status = EXIT_ERROR;
        } else {
            feeder_abort(&feed);
        }
        if (p.failed)
            status = EXIT_ERROR;
        if (p.iface != NULL && !quiet)
            feeder_summary(&feed);
        if (!close_outputs(&p, outputs_open) && status == EXIT_OK)
            status = EXIT_ERROR;
    }
    fdx_pairs_free(p.pairs);
    p.pairs = NULL;
    if (!ipfix_out_close(&p.ipfix, "flowdx run"))
        status = EXIT_ERROR;
    senders_free(p.senders);
    for (uint32_t i = 0; i < p.n_doh_servers && outputs_open && status != EXIT_ERROR; i++)
        doh_server_warn("flowdx run", p.doh_server_what[i], &p.doh_servers[i]);
    if (!quiet && outputs_open) { /* nothing was read when an input or output did not open */
        written(&p);
        summary(&p); /* the closing line */
    }
    if (p.syslog)
        closelog();
    fdx_engine_free(e);
    probe_free(&p);
    return status;
}

void usage_config(FILE *out)
{
    fprintf(out, "Usage: flowdx config check FILE\n\n"
                 "Loads a configuration file (flowdx.yaml(5); conf/flowdx.yaml documents every\n"
                 "key) as flowdx run -c does, with its detectors' models, its plugins and the\n"
                 "headers of its input.read captures (its filter is compiled for each), and\n"
                 "reads no traffic. Prints 'FILE: valid' and the plugins, or the first error\n"
                 "with its file, line and column. Exit status 0 when the file is valid, 2 when\n"
                 "it is not.\n\n"
                 "flowdx run -c runs such a file:\n\n");
    usage_probe(out);
}

int cmd_config(int argc, char **argv)
{
    if ((argc == 2 && is_help(argv[1])) ||
        (argc == 3 && strcmp(argv[1], "check") == 0 && is_help(argv[2]))) {
        usage_config(stdout);
        return EXIT_OK;
    }
    if (argc != 3 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "flowdx config: expected 'check FILE'\nTry 'flowdx config --help'.\n");
        return EXIT_USAGE;
    }
    static struct probe p;
    memset(&p, 0, sizeof(p));
    bool ok = probe_load(&p, argv[2], "flowdx config: ");
    struct run_as run_as;
    ok = ok && probe_user(&p, "flowdx config", &run_as) &&
         probe_user_can_write(&p, "flowdx config", &run_as);
    fdx_engine *e = NULL;
    char err[1024];
    if (ok && new_engine(&p, &p, 1, &e, err, sizeof(err)) < 0) { /* what only the engine checks */
        fprintf(stderr, "flowdx config: %s: %s\n", argv[2], err);
        ok = false;
    }
    ok = ok && ipfix_out_check_layout(&p.ipfix, e, "flowdx config"); /* and the exporter */
    fdx_engine_free(e);
    /* input.read: each capture file is there, is a capture, and takes the filter for its link
     * type (its header is read; no packet is) */
    for (int i = 0; ok && i < p.n_inputs; i++) {
        struct stat st;
        if (strcmp(p.inputs[i], "-") == 0 ||
            (stat(p.inputs[i], &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
            continue; /* "-", a FIFO, a device: reading its header would take it from the run */
        fdx_capture *cap = NULL;
        int rc = fdx_capture_open_file(p.inputs[i], p.filter, &cap, err, sizeof(err));
        if (rc < 0) {
            char where[300];
            /* empty, or cut in its header: a run skips it, as a damaged capture */
            bool skipped = rc == FDX_ETRUNC && p.n_inputs > 1;
            fprintf(stderr, "flowdx config: %s: %skey 'read': %s%s\n",
                    fdx_config_node_where(p.input_nodes[i], where, sizeof(where)),
                    skipped ? "warning: " : "", err, skipped ? " (a run skips it)" : "");
            ok = ok && skipped;
        }
        fdx_capture_free(cap);
    }
    if (ok)
        printf("%s: valid; plugins (detectors first): %u (", argv[2],
               fdx_setup_plugin_count(p.setup));
    for (uint32_t i = 0; ok && i < fdx_setup_plugin_count(p.setup); i++)
        printf("%s%s", i ? ", " : "", fdx_setup_plugin_name(p.setup, i));
    if (ok)
        printf(")\n");
    probe_free(&p);
    return ok ? EXIT_OK : EXIT_USAGE;
}
