/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx extract` command: captures in, one row of features per flow out. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define MAX_PORTS 1024

void usage_extract(FILE *out)
{
    fprintf(out,
            "Usage: flowdx extract -r CAPTURE [-r CAPTURE ...] [OPTIONS]\n\n"
            "Reads pcap or pcapng captures and writes one row per flow: identifiers\n"
            "(flow_id, src_addr, src_port, dst_addr, dst_port, proto, start_us, end_us,\n"
            "end_reason), then the features of the chosen sets under their spec names.\n"
            "src is the flow's initiator. A summary goes to standard error at the end.\n\n"
            "Options:\n"
            "  -r, --read FILE          capture to read ('-' = standard input); repeat to read\n"
            "                           several files in order, as one stream\n"
            "  -f, --features SETS      comma-separated feature sets (default: zadnik);\n"
            "                           'flowdx features' lists them\n"
            "      --format csv|jsonl   output format (default: csv, with a header row)\n"
            "  -o, --output FILE        write to FILE instead of standard output\n");
    usage_ipfix(out, " ");
    fprintf(
        out,
        "      --filter BPF         only packets matching this tcpdump-style filter\n"
        "      --idle-timeout SEC   end a flow after SEC seconds without packets (default 120)\n"
        "      --active-timeout SEC cut a flow after SEC seconds; the connection continues\n"
        "                           in a new record (default 120; 0 = never)\n"
        "      --max-flows N        open flows kept; beyond, the least recently seen is\n"
        "                           evicted (default 262144)\n"
        "      --server-ports LIST  ports at or above 1024 that count as server ports for\n"
        "                           the initiator rule (default: a built-in list with\n"
        "                           587, 1080, 3306, 5432, 8080, 8443, ...)\n"
        "  -q, --quiet              no summary and no progress on standard error\n"
        "  -h, --help               this text\n\n"
        "Exit status: 0 done; 1 error; 2 bad command line; 3 a capture was damaged or\n"
        "interrupted, and every flow read before that point was written.\n");
}

struct run {
    struct writer w;
    struct ipfix_out ipfix; /* --ipfix: the records the output gets */
    bool quiet;
};

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct run *run = user;
    /* the records the output gets: those with a value */
    if (writer_record(&run->w, r) && run->ipfix.x != NULL)
        ipfix_out_write(&run->ipfix, "flowdx extract", r, NULL);
}

static void print_summary(const fdx_engine *e, double seconds)
{
    struct fdx_engine_stats s = {.struct_size = sizeof(s)};
    fdx_engine_stats(e, &s);
    fprintf(stderr, "flowdx: %llu packets in %.2f s:", (unsigned long long)s.packets, seconds);
    for (uint32_t i = 0; i < FDX_PKT_OUTCOME_COUNT; i++)
        fprintf(stderr, "%s %llu %s", i ? "," : "", (unsigned long long)s.outcomes[i],
                fdx_outcome_name(i));
    uint64_t flows = 0;
    for (uint32_t i = 0; i < FDX_END_COUNT; i++)
        flows += s.flows_ended[i];
    fprintf(stderr, "\nflowdx: %llu flows:", (unsigned long long)flows);
    for (uint32_t i = 0; i < FDX_END_COUNT; i++)
        fprintf(stderr, "%s %llu %s", i ? "," : "", (unsigned long long)s.flows_ended[i],
                fdx_end_reason_name(i));
    fprintf(stderr, "; at most %llu open at once", (unsigned long long)s.max_active_flows);
    if (s.icmp_errors > 0 || s.fragments > 0)
        fprintf(stderr, "; %llu ICMP errors (own flows), %llu IP fragments",
                (unsigned long long)s.icmp_errors, (unsigned long long)s.fragments);
    fputc('\n', stderr);
}

enum { OPT_FORMAT = 256, OPT_FILTER, OPT_IDLE, OPT_ACTIVE, OPT_MAX_FLOWS, OPT_SERVER_PORTS };

static const struct option long_opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"features", required_argument, NULL, 'f'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"active-timeout", required_argument, NULL, OPT_ACTIVE},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"server-ports", required_argument, NULL, OPT_SERVER_PORTS},
    {"ipfix", required_argument, NULL, IPFIX_OPT_DEST},
    {"ipfix-pen", required_argument, NULL, IPFIX_OPT_PEN},
    {"ipfix-domain", required_argument, NULL, IPFIX_OPT_DOMAIN},
    {"ipfix-reconnect", required_argument, NULL, IPFIX_OPT_RECONNECT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_extract(int argc, char **argv)
{
    const char *inputs[MAX_INPUTS];
    int n_inputs = 0;
    const char *output = NULL, *filter = NULL;
    static uint16_t ports[MAX_PORTS];
    struct run run;
    memset(&run, 0, sizeof(run));
    run.w.format = OUT_CSV;
    struct fdx_engine_options opts;
    fdx_engine_options_init(&opts);

    static char prog[] = "flowdx extract";
    argv[0] = prog; /* getopt's messages start with argv[0] */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:f:o:qh", long_opts, NULL)) != -1) {
        int x = ipfix_option(&run.ipfix, c, optarg);
        if (x < 0)
            return EXIT_USAGE;
        if (x > 0)
            continue;
        switch (c) {
        case 'r':
            if (n_inputs == MAX_INPUTS) {
                fprintf(stderr, "flowdx extract: more than %d captures\n", MAX_INPUTS);
                return EXIT_USAGE;
            }
            inputs[n_inputs++] = optarg;
            break;
        case 'f':
            opts.feature_sets = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "csv") == 0) {
                run.w.format = OUT_CSV;
            } else if (strcmp(optarg, "jsonl") == 0) {
                run.w.format = OUT_JSONL;
            } else {
                fprintf(stderr, "flowdx extract: --format: '%s' is not csv or jsonl\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_FILTER:
            filter = optarg;
            break;
        case OPT_IDLE:
            /* from run's least (FLOWS_IDLE_MIN_US) up; a capture may be read as one flow per
             * connection, hence no cap at a day as for a probe */
            if (!seconds_in_us(optarg, FLOWS_IDLE_MIN_US, 1e15, &opts.idle_timeout_us)) {
                fprintf(stderr,
                        "flowdx extract: --idle-timeout: '%s' is not a number of seconds from "
                        "%g to 1e9\n",
                        optarg, FLOWS_IDLE_MIN_US / 1e6);
                return EXIT_USAGE;
            }
            break;
        case OPT_ACTIVE:
            if (!parse_seconds_us("--active-timeout", optarg, &opts.active_timeout_us))
                return EXIT_USAGE;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_u32("--max-flows", optarg, 1, 1u << 26, &opts.max_flows))
                return EXIT_USAGE;
            break;
        case OPT_SERVER_PORTS:
            if (!parse_ports("--server-ports", optarg, ports, MAX_PORTS, &opts.n_server_ports))
                return EXIT_USAGE;
            opts.server_ports = ports;
            for (uint32_t i = 0; i < opts.n_server_ports; i++) {
                if (ports[i] < 1024) {
                    fprintf(stderr,
                            "flowdx extract: --server-ports: %u is below 1024, and ports 1 to "
                            "1023 are always server ports: listing it changes nothing\n",
                            (unsigned)ports[i]);
                    break;
                }
            }
            break;
        case 'q':
            run.quiet = true;
            break;
        case 'h':
            usage_extract(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx extract --help'.\n");
            return EXIT_USAGE;
        }
    }
    run.ipfix.quiet = run.quiet;
    if (!ipfix_out_check(&run.ipfix, "flowdx extract") ||
        !cli_files_distinct("flowdx extract", "-r", inputs, n_inputs, output, &run.ipfix))
        return EXIT_USAGE;
    if (optind < argc) {
        fprintf(stderr, "flowdx extract: unexpected argument '%s' (captures go after -r)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (n_inputs == 0) {
        fprintf(stderr, "flowdx extract: no capture given: use -r FILE (or -r - for standard "
                        "input)\nTry 'flowdx extract --help'.\n");
        return EXIT_USAGE;
    }

    opts.on_flow = on_flow;
    opts.user = &run;
    char err[512];
    fdx_engine *e = NULL;
    int rc = fdx_engine_new(&opts, &e, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "flowdx extract: %s\n", err);
        return rc == FDX_ENOMEM ? EXIT_ERROR : EXIT_USAGE;
    }
    run.w.engine = e;

    struct feeder feed = {.inputs = inputs,
                          .n_inputs = n_inputs,
                          .filter = filter,
                          .prog = "flowdx extract",
                          .catch_signals = true,
                          .quiet = run.quiet,
                          .progress = !run.quiet && isatty(STDERR_FILENO)};
    if (!feeder_open(&feed)) {
        fdx_engine_free(e);
        return feed.bad_filter ? EXIT_USAGE : EXIT_ERROR;
    }
    struct output out;
    if (!ipfix_out_open(&run.ipfix, e, "flowdx extract", NULL) || !output_open(&out, output)) {
        feeder_abort(&feed);
        ipfix_out_close(&run.ipfix, "flowdx extract");
        fdx_engine_free(e);
        return run.ipfix.bad_dest ? EXIT_USAGE : EXIT_ERROR;
    }
    run.w.fp = out.fp;
    long long t0 = monotonic_ns();
    int status = feeder_run(&feed, e);
    writer_finish(&run.w);
    if (!ipfix_out_close(&run.ipfix, "flowdx extract"))
        status = EXIT_ERROR;
    if (run.w.failed && !ferror(out.fp))
        fprintf(stderr,
                "flowdx extract: a row longer than 64 KiB could not be written; %s is not "
                "written\n",
                output != NULL && strcmp(output, "-") != 0 ? output : "standard output");
    if (!output_close(&out, !run.w.failed))
        status = EXIT_ERROR;
    if (!run.quiet)
        print_summary(e, (double)(monotonic_ns() - t0) / 1e9);
    fdx_engine_free(e);
    return status;
}
