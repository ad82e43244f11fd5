/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx collect` command: flow records from exporters, classified, written with verdicts. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_collect.h"
#include "flowdx/flowdx_model.h"
#include "tool.h"

#define PROG "flowdx collect"
#define MAX_LISTEN 16
#define MAX_PORTS 64
#define RECORD_SET "flowrec"

void usage_collect(FILE *out)
{
    fputs("Usage: flowdx collect -l udp://HOST:PORT [-l tcp://HOST:PORT ...] [OPTIONS]\n\n"
          "Receives flow records from existing exporters (routers, softflowd, YAF, ...):\n"
          "NetFlow v5, NetFlow v9 and IPFIX over UDP, one port for all three, and IPFIX over\n"
          "TCP. One-way records are paired into biflows (the reverse direction's record from\n"
          "the same exporter, with overlapping times, within --pair-wait). Each flow gets the\n"
          "flowrec values its record carries (doc/features/flowrec.md: packets, bytes, min/max\n"
          "IP length and TTL where the exporter sends them, TCP flags, duration), is classified\n"
          "by a model trained on flowrec rows, and is written as an alert (malicious flows) or\n"
          "a JSON line of schema 1 (every flow, doc/json.md), and with --ipfix sent on as IPFIX\n"
          "with its verdict. Runs until SIGINT or SIGTERM, which end the waits, write every\n"
          "record and exit with status 0. SIGHUP and SIGUSR1 open the -o file and an --ipfix\n"
          "file again by their names (log rotation; they are appended to, as at a start) and\n"
          "the run goes on; the model and options are read once. doc/collect.md describes\n"
          "the collector.\n\n",
          out);
    fputs(
        "Options:\n"
        "  -l, --listen ADDR       udp://HOST:PORT (NetFlow v5, v9, IPFIX) or tcp://HOST:PORT\n"
        "                          (IPFIX); HOST 0.0.0.0 or [::] for every interface; PORT 0\n"
        "                          picks a free one (printed); without :PORT, 4739 (IPFIX's\n"
        "                          IANA port); repeatable, at least one\n"
        "      --detect NAME       the verdict's name (JSON verdicts.NAME, IPFIX fdxNameVerdict);\n"
        "                          default spam; 'none' classifies nothing\n"
        "  -m, --model FILE        a model of the flowrec set (default, for spam:\n"
        "                          " FDX_SOURCE_MODEL_DIR "/spam-flowrec.fdxm, else\n"
        "                          " FDX_INSTALLED_MODEL_DIR "/spam-flowrec.fdxm)\n"
        "      --margin M          a weighted-trees model's verdict is uncertain when its vote\n"
        "                          sum is within M of 0 (0 to 1; default: the model's own)\n"
        "      --judge-one-way     also judge flows with no packet in one direction\n"
        "                          (by default counted as one_way, not judged, unless the\n"
        "                          model was trained on such flows: its one-way rows in\n"
        "                          `flowdx model show`; the shipped models were not)\n"
        "      --ports LIST|all    judge flows whose responder port is in LIST (default for\n"
        "                          spam: 25,465,587; otherwise all)\n"
        "      --format FMT        alerts (default: one line per malicious flow) or jsonl\n"
        "  -o, --output FILE       write here instead of standard output (written as records\n"
        "                          come)\n",
        out);
    usage_ipfix(out, "");
    fputs("      --pair-wait S       how long a one-way record waits for its reverse (default 5;\n"
          "                          0: no pairing)\n"
          "      --unpaired MODE     zero (default: a record without a reverse had no answer:\n"
          "                          the other direction has 0 packets) or unknown (NaN)\n"
          "      --stats S           a statistics line every S seconds (default 60; 0 = only at\n"
          "                          the end)\n"
          "  -q, --quiet             no messages about exporters, no statistics lines, no\n"
          "                          listening line unless its PORT was 0\n"
          "  -h, --help              this text\n\n"
          "Exit status: 0 stopped by SIGINT or SIGTERM (every record written); 1 error (a\n"
          "socket could not be opened or failed, the model could not be read, an output could\n"
          "not be written, such as a closed pipe); 2 bad command line (a malformed --ipfix\n"
          "destination, an output that is the model), or a model that does not fit it (not of\n"
          "the flowrec set; --margin on a model without one).\n",
          out);
}

static volatile sig_atomic_t stop, hangup; /* hangup: the signal's number, SIGHUP or SIGUSR1 */
static fdx_collector *volatile running;

/* SIGINT, SIGTERM: stop. SIGHUP, SIGUSR1: the output is opened again (log rotation) and the run
 * goes on, rather than end as the default action would, losing the records still waiting; the model
 * and options are read once. */
static void on_signal(int sig)
{
    if (sig == SIGHUP || sig == SIGUSR1)
        hangup = sig;
    else
        stop = 1;
    fdx_collector *c = running;
    if (c != NULL)
        fdx_collector_break(c);
}

struct collect {
    fdx_engine *engine;
    fdx_model *model; /* NULL with --detect none */
    const char *name; /* the verdict's name */
    bool all_ports;
    uint16_t ports[MAX_PORTS];
    uint32_t n_ports;
    bool jsonl, quiet;
    struct output out;
    struct ipfix_out ipfix;
    uint64_t flows, judged, malicious, uncertain, refused, lacking, one_way;
    bool judge_one_way;
    /* the model's inputs in the record, each with the record value of its direction's packets
     * and whether it is a TCP flags value */
    uint32_t n_inputs;
    struct {
        uint32_t at, packets_at;
        bool flags;
        const char *name;
    } inputs[64];
    bool told_lacking;
};

static void on_log(void *user, int level, const char *msg)
{
    const struct collect *k = user;
    if (level > FDX_LOG_WARNING && k->quiet)
        return;
    fprintf(stderr, PROG ": %s\n", msg);
}

static void on_record(void *user, const struct fdx_input_record *rec)
{
    struct collect *k = user;
    if (fdx_engine_feed_record(k->engine, rec) < 0)
        k->refused++;
}

static bool selected(const struct collect *k, const struct fdx_flow_record *r)
{
    if (k->all_ports)
        return true;
    for (uint32_t i = 0; i < k->n_ports; i++) {
        if (r->dst_port == k->ports[i])
            return true;
    }
    return false;
}

/*
 * The model input the record lacks, or NULL: a NaN where the flow had packets in that
 * direction (or an unknown direction), so not "no packets" but "the exporter did not send it"
 * (doc/features/flowrec.md). A model fills NaN with its training's placeholder, which for a
 * value the training rows always had would be a guess: such flows are not judged.
 */
static const char *lacking(const struct collect *k, const struct fdx_flow_record *r)
{
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        double v = r->features[k->inputs[i].at], pk = r->features[k->inputs[i].packets_at];
        if (!isnan(v) || (pk == 0 && !isnan(pk)) || (k->inputs[i].flags && r->proto != 6))
            continue;
        return k->inputs[i].name;
    }
    return NULL;
}

/* The model's verdict on @p r, or FDX_VERDICT_NONE for a flow it does not judge. */
static void judge(struct collect *k, const struct fdx_flow_record *r, struct fdx_flow_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->plugin = k->name;
    v->label = "";
    if (k->model == NULL || !selected(k, r))
        return;
    const char *missing = lacking(k, r);
    if (missing != NULL) {
        k->lacking++;
        if (!k->told_lacking)
            fprintf(stderr,
                    PROG ": the model reads '%s', which flow %llu's record does not carry: flows "
                         "without it are not judged (doc/collect.md, \"Models\")\n",
                    missing, (unsigned long long)r->flow_id);
        k->told_lacking = true;
        return;
    }
    if ((r->packets[0] == 0 || r->packets[1] == 0) && !k->judge_one_way) {
        /* no answer (--unpaired zero), an empty reverse, or a record of the server's packets
         * alone (the port rule): not a training row */
        k->one_way++;
        v->declined = 1;
        return;
    }
    struct fdx_verdict mv = {.struct_size = sizeof(mv)};
    if (fdx_model_classify(k->model, r, &mv) < 0)
        return;
    v->score = mv.score;
    k->judged++;
    if (mv.uncertain) {
        v->verdict = FDX_VERDICT_UNCERTAIN;
        k->uncertain++;
    } else if (mv.verdict == 1) {
        v->verdict = FDX_VERDICT_MALICIOUS;
        const char *label = fdx_model_class_name(k->model, 1);
        v->label = label != NULL ? label : "";
        k->malicious++;
    } else {
        v->verdict = FDX_VERDICT_BENIGN;
    }
}

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct collect *k = user;
    k->flows++;
    struct fdx_flow_verdict v;
    judge(k, r, &v);
    if (k->jsonl) {
        write_json_record(k->out.fp, k->engine, r, &v, k->model != NULL ? 1 : 0, -1, NULL, NULL);
    } else if (v.verdict == FDX_VERDICT_MALICIOUS) {
        char line[512];
        format_alert(line, sizeof(line), r, &v, NULL);
        fprintf(k->out.fp, "%s\n", line);
    }
    ipfix_out_write(&k->ipfix, PROG, r, k->model != NULL ? &v : NULL);
}

static void stats_line(const struct collect *k, const fdx_collector *c, long long start_ns,
                       const char *when)
{
    struct fdx_collector_stats s = {.struct_size = sizeof(s)};
    fdx_collector_stats(c, &s);
    fprintf(stderr,
            PROG ": %s: elapsed=%.0fs datagrams=%llu v5=%llu v9=%llu ipfix=%llu malformed=%llu "
                 "unsupported=%llu no_template=%llu records=%llu biflows=%llu paired=%llu "
                 "unpaired=%llu flows=%llu judged=%llu malicious=%llu uncertain=%llu "
                 "one_way=%llu exporters=%u sequence_errors=%llu records_missed=%llu "
                 "kernel_drops=%llu\n",
            when, (double)(monotonic_ns() - start_ns) / 1e9, (unsigned long long)s.datagrams,
            (unsigned long long)s.v5, (unsigned long long)s.v9, (unsigned long long)s.ipfix,
            (unsigned long long)s.malformed, (unsigned long long)s.unsupported,
            (unsigned long long)s.no_template, (unsigned long long)s.records,
            (unsigned long long)s.biflows, (unsigned long long)s.paired,
            (unsigned long long)s.unpaired, (unsigned long long)k->flows,
            (unsigned long long)k->judged, (unsigned long long)k->malicious,
            (unsigned long long)k->uncertain, (unsigned long long)k->one_way, s.exporters,
            (unsigned long long)s.sequence_errors, (unsigned long long)s.records_missed,
            (unsigned long long)s.kernel_drops);
    /* rarer counts, said when there is something to say (the line would be long) */
    const struct {
        const char *name;
        uint64_t n;
        const char *meaning;
    } rare[] = {
        {"not_flows", s.not_flows,
         "data records that are not flows: options records, no pair of addresses of one family"},
        {"pair_overflow", s.pair_overflow,
         "one-way records released before their wait ended: more than max_pending waited"},
        {"far_times", s.far_times, "records refused: a time beyond year 9999"},
        {"end_before_start", s.end_before_start,
         "records whose end was before their start: they end at their start"},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof(rare) / sizeof(rare[0]); i++) {
        if (rare[i].n == 0)
            continue;
        if (!any)
            fprintf(stderr, PROG ": %s:", when);
        any = true;
        fprintf(stderr, " %s=%llu (%s)", rare[i].name, (unsigned long long)rare[i].n,
                rare[i].meaning);
    }
    if (any)
        fputc('\n', stderr);
}

/* The model, checked to read the flowrec set, bound to the engine: EXIT_OK; after saying why,
 * EXIT_ERROR when the file cannot be read as a model, EXIT_USAGE when the model does not read
 * flow records (the options do not fit together, as in run). */
static int load_model(struct collect *k, const char *path)
{
    char err[1024];
    if (fdx_model_load(path, &k->model, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    const char *set = fdx_model_feature_set(k->model);
    if (strcmp(set, RECORD_SET) != 0) {
        fprintf(stderr,
                PROG ": %s reads the feature set '%s'; flow records give the '" RECORD_SET
                     "' set: train a model on 'flowdx extract -f " RECORD_SET "' rows\n",
                path, set);
        return EXIT_USAGE;
    }
    if (fdx_model_bind(k->model, k->engine, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s: %s\n", path, err);
        return EXIT_USAGE;
    }
    if (fdx_model_one_way_rows(k->model) > 0)
        k->judge_one_way = true; /* trained on one-way flows: they are the model's to judge */
    for (uint32_t i = 0; i < fdx_model_input_count(k->model) && k->n_inputs < 64; i++) {
        const char *name = fdx_model_input_name(k->model, i);
        bool resp = name[0] == 'r';
        int64_t at = feature_index(k->engine, name);
        int64_t pk = feature_index(k->engine, resp ? "rpackets" : "packets");
        if (at < 0 || pk < 0)
            continue; /* bind found it: cannot happen */
        k->inputs[k->n_inputs].at = (uint32_t)at;
        k->inputs[k->n_inputs].packets_at = (uint32_t)pk;
        k->inputs[k->n_inputs].flags = strstr(name, "tcp_flags") != NULL;
        k->inputs[k->n_inputs].name = name;
        k->n_inputs++;
    }
    return EXIT_OK;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum {
    OPT_DETECT = 256,
    OPT_PORTS,
    OPT_FORMAT,
    OPT_PAIR_WAIT,
    OPT_UNPAIRED,
    OPT_STATS,
    OPT_MARGIN,
    OPT_ONEWAY
};

int cmd_collect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"detect", required_argument, NULL, OPT_DETECT},
        {"model", required_argument, NULL, 'm'},
        {"ports", required_argument, NULL, OPT_PORTS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"ipfix", required_argument, NULL, IPFIX_OPT_DEST},
        {"ipfix-pen", required_argument, NULL, IPFIX_OPT_PEN},
        {"ipfix-domain", required_argument, NULL, IPFIX_OPT_DOMAIN},
        {"ipfix-reconnect", required_argument, NULL, IPFIX_OPT_RECONNECT},
        {"pair-wait", required_argument, NULL, OPT_PAIR_WAIT},
        {"unpaired", required_argument, NULL, OPT_UNPAIRED},
        {"stats", required_argument, NULL, OPT_STATS},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"judge-one-way", no_argument, NULL, OPT_ONEWAY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct collect k;
    memset(&k, 0, sizeof(k));
    k.name = "spam";
    const char *listen[MAX_LISTEN], *model = NULL, *output = NULL, *ports = NULL;
    int n_listen = 0, c;
    struct fdx_collector_options co;
    fdx_collector_options_init(&co);
    uint64_t stats_us = 60000000u;
    double margin = NAN; /* not given: the model's own */
    static char prog[] = PROG;
    argv[0] = prog; /* getopt's messages start with argv[0] */
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:m:o:qh", opts, NULL)) != -1) {
        int x = ipfix_option(&k.ipfix, c, optarg);
        if (x < 0)
            return EXIT_USAGE;
        if (x > 0)
            continue;
        switch (c) {
        case 'l':
            if (n_listen == MAX_LISTEN) {
                fprintf(stderr, PROG ": more than %d listening addresses\n", MAX_LISTEN);
                return EXIT_USAGE;
            }
            listen[n_listen++] = optarg;
            break;
        case OPT_DETECT:
            k.name = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case OPT_PORTS:
            ports = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "alerts") != 0) {
                fprintf(stderr, PROG ": --format: '%s' (alerts or jsonl)\n", optarg);
                return EXIT_USAGE;
            }
            k.jsonl = strcmp(optarg, "jsonl") == 0;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_PAIR_WAIT:
            if (!parse_seconds_us("--pair-wait", optarg, &co.pair_wait_us))
                return EXIT_USAGE;
            break;
        case OPT_UNPAIRED:
            if (strcmp(optarg, "zero") != 0 && strcmp(optarg, "unknown") != 0) {
                fprintf(stderr, PROG ": --unpaired: '%s' (zero or unknown)\n", optarg);
                return EXIT_USAGE;
            }
            co.unpaired = strcmp(optarg, "zero") == 0 ? FDX_UNPAIRED_ZERO : FDX_UNPAIRED_UNKNOWN;
            break;
        case OPT_STATS:
            if (!parse_seconds_us("--stats", optarg, &stats_us))
                return EXIT_USAGE;
            break;
        case OPT_MARGIN:
            if (!parse_double_in("--margin", optarg, 0, 1, &margin))
                return EXIT_USAGE;
            break;
        case OPT_ONEWAY:
            k.judge_one_way = true;
            break;
        case 'q':
            k.quiet = true;
            break;
        case 'h':
            usage_collect(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx collect --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (n_listen == 0) {
        fprintf(stderr, PROG ": -l udp://HOST:PORT or tcp://HOST:PORT expected\n"
                             "Try 'flowdx collect --help'.\n");
        return EXIT_USAGE;
    }
    bool none = strcmp(k.name, "none") == 0;
    bool spam = strcmp(k.name, "spam") == 0;
    if (!valid_name(k.name)) {
        fprintf(stderr, PROG ": --detect: '%s' is not a name of a-z, 0-9, '_' and '-'\n", k.name);
        return EXIT_USAGE;
    }
    if (none && (model != NULL || ports != NULL || !isnan(margin) || k.judge_one_way)) {
        fprintf(stderr, PROG ": --detect none classifies nothing: -m, --margin, --ports and "
                             "--judge-one-way do not apply\n");
        return EXIT_USAGE;
    }
    if (!none && !spam && model == NULL) {
        fprintf(stderr, PROG ": --detect %s: give its model with -m FILE\n", k.name);
        return EXIT_USAGE;
    }
    /* the model (the default one too) is an input: -o or --ipfix naming it would truncate it,
     * so this is checked before anything is opened */
    char model_path[4096];
    bool default_model = !none && model == NULL;
    if (default_model) {
        snprintf(model_path, sizeof(model_path), "%s/spam-flowrec.fdxm", default_model_dir());
        model = model_path;
    }
    k.ipfix.quiet = k.quiet;
    if (!ipfix_out_check(&k.ipfix, PROG) ||
        !cli_files_distinct(PROG, default_model ? "the default model" : "-m", &model,
                            model != NULL ? 1 : 0, output, &k.ipfix))
        return EXIT_USAGE;
    if (ports != NULL && strcmp(ports, "all") == 0) {
        k.all_ports = true;
    } else if (ports != NULL) {
        if (!parse_ports("--ports", ports, k.ports, MAX_PORTS, &k.n_ports))
            return EXIT_USAGE;
    } else if (spam) {
        static const uint16_t smtp[] = {25, 465, 587};
        memcpy(k.ports, smtp, sizeof(smtp));
        k.n_ports = 3;
    } else {
        k.all_ports = true;
    }

    int status = EXIT_ERROR;
    char err[1024];
    fdx_collector *col = NULL;
    struct fdx_engine_options eo;
    fdx_engine_options_init(&eo);
    eo.feature_sets = RECORD_SET;
    eo.on_flow = on_flow;
    eo.user = &k;
    if (fdx_engine_new(&eo, &k.engine, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return EXIT_ERROR;
    }
    if (!none) {
        int loaded = load_model(&k, model);
        if (loaded == EXIT_OK)
            loaded = apply_margin(PROG, k.model, model, margin);
        if (loaded != EXIT_OK) {
            status = loaded;
            goto out;
        }
    }
    co.on_record = on_record;
    co.log = on_log;
    co.user = &k;
    if (fdx_collector_new(&co, &col, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    for (int i = 0; i < n_listen; i++) {
        int rc = fdx_collector_listen(col, listen[i], err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            if (rc == FDX_EINVAL) /* not an address: the command line; else binding failed */
                status = EXIT_USAGE;
            goto out;
        }
    }
    if (!output_open_stream(&k.out, output))
        goto out;
    k.ipfix.append = true; /* as the output */
    if (!ipfix_out_open(&k.ipfix, k.engine, PROG, none ? NULL : k.name)) {
        output_close(&k.out, true);
        if (k.ipfix.bad_dest) /* the command line's, as in extract */
            status = EXIT_USAGE;
        goto out;
    }
    running = col;
    catch_stop_signals(on_signal);
    catch_hangup_signal(on_signal);
    /* a reader that went away (| head) is a failed output: EPIPE, a message and exit 1, not a
     * silent death by SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    /* said once everything is ready: from now on a signal ends the run cleanly */
    for (int i = 0; i < n_listen; i++) {
        /* a port picked by the system (PORT 0) is said even with -q: it is where to send */
        const char *colon = strrchr(listen[i], ':');
        if (k.quiet && (colon == NULL || strcmp(colon + 1, "0") != 0))
            continue;
        char at[300];
        fprintf(stderr, PROG ": listening on %s\n",
                fdx_collector_address(col, (uint32_t)i, at, sizeof(at)));
    }
    fflush(stderr);
    long long start_ns = monotonic_ns(), last_ns = start_ns;
    status = EXIT_OK;
    while (!stop) {
        if (fdx_collector_run(col, 500, err, sizeof(err)) < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            status = EXIT_ERROR;
            break;
        }
        /* readers of a stream see the records as they come; a failed write (a closed pipe)
         * ends the run, said with its reason */
        if (!output_flush(&k.out, PROG)) {
            status = EXIT_ERROR;
            break;
        }
        ipfix_out_flush(&k.ipfix, PROG); /* the records of this wait, not at the next one */
        if (hangup) { /* log rotation: the output file is opened again by its name */
            output_reopen_one(&k.out, &k.ipfix, PROG, hangup == SIGHUP ? "SIGHUP" : "SIGUSR1",
                              "the model and options are read once");
            hangup = 0;
        }
        long long now = monotonic_ns();
        if (stats_us > 0 && !k.quiet && now - last_ns >= (long long)stats_us * 1000) {
            stats_line(&k, col, start_ns, "stats");
            last_ns = now;
        }
    }
    running = NULL;
    /* what is still queued is read, and every waiting record written */
    struct fdx_collector_stats before = {.struct_size = sizeof(before)}, after = before;
    for (int i = 0; i < 100 && status == EXIT_OK; i++) {
        fdx_collector_stats(col, &before);
        if (fdx_collector_run(col, 0, err, sizeof(err)) < 0)
            break;
        fdx_collector_stats(col, &after);
        if (after.datagrams == before.datagrams)
            break;
    }
    fdx_collector_flush(col);
    if (!k.quiet)
        stats_line(&k, col, start_ns, "end");
    if (k.lacking > 0)
        fprintf(stderr, PROG ": %llu flow%s not judged: their records lack an input of the model\n",
                (unsigned long long)k.lacking, plural(k.lacking));
    if (k.one_way > 0)
        fprintf(stderr,
                PROG ": %llu flow%s not judged: no packet in one direction (no answer, or a "
                     "record whose reverse never came); --judge-one-way judges %s\n",
                (unsigned long long)k.one_way, plural(k.one_way), k.one_way == 1 ? "it" : "them");
    if (k.refused > 0)
        fprintf(stderr, PROG ": %llu record%s refused by the engine (times out of order)\n",
                (unsigned long long)k.refused, plural(k.refused));
    if (!ipfix_out_close(&k.ipfix, PROG))
        status = EXIT_ERROR;
    if (!output_close(&k.out, true))
        status = EXIT_ERROR;
out:
    fdx_collector_free(col);
    fdx_model_free(k.model);
    fdx_engine_free(k.engine);
    return status;
}
