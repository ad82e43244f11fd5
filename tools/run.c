/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx run` command: classifies the flows of captures and reports malicious ones. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "flowdx/flowdx_features.h"
#include "flowdx/flowdx_model.h"
#include "tool.h"

#define FDX_MODEL_DIR FDX_SOURCE_MODEL_DIR

#define MAX_SERVERS 256

/* Where a DoH candidate came from; a flow can come from several. */
enum { SRC_RESOLVER = 1, SRC_DPI = 2, SRC_ALL_TLS = 4, SRC_PORT = 8, SRC_SERVER = 16 };

/* nDPI 4.2's protocol ids for SMTP and SMTPS (ndpi_protocol_ids.h; lib/dpi pins the version). */
#define NDPI_ID_SMTP 3
#define NDPI_ID_SMTPS 29

/* Room for the library's list of public DoH resolvers (fdx_doh_resolver_at). */
#define MAX_KNOWN 64

void usage_run(FILE *out)
{
    fputs("Usage: flowdx run -r CAPTURE [-r CAPTURE ...] --detect doh|spam [OPTIONS]\n"
          "       flowdx run -i INTERFACE --detect doh|spam [OPTIONS]\n"
          "       flowdx run -r CAPTURE ... --detect doh,spam [OPTIONS]   (both, as plugins)\n"
          "       flowdx run -c FILE [-r CAPTURE ...]   (the full form: 'flowdx help config')\n\n"
          "Reads captures, or a network interface live, decides which flows are DoH, classifies\n"
          "each when it ends with the model's jury, and prints one alert per flow the jury calls\n"
          "malicious, with its votes and features, then a summary. A long flow is classified at\n"
          "every active-timeout cut (120 s), so an open tunnel is reported within two minutes.\n\n"
          "DoH candidates are TCP flows that nDPI recognises as DoH or DoT (on any port; the\n"
          "first 24 packets of each flow are inspected), and TCP flows to port 443 whose\n"
          "server is a configured DoH resolver (--doh-server), a well-known public resolver\n"
          "(built-in list, unless --no-known-resolvers), or any TLS server with --all-tls.\n"
          "The summary counts the candidates of each source. The doh:ip features, and so the\n"
          "verdicts, cover TCP to port 443: nDPI's candidates on other ports (DoT on 853) are\n"
          "counted, not classified.\n\n"
          "Pair evidence. One DoH connection carrying one query looks the same whether a\n"
          "browser or a tunnel made it; a tunnel is a client-resolver pair carrying data. So a\n"
          "flow's final verdict uses its pair (client address, server address and port) over a\n"
          "window of 120 s: the pair is a tunnel when the flows the jury flags sent at least\n"
          "8192 request bytes together and are at least half of the pair's flows; every flow\n"
          "of such a pair is malicious. A flagged flow whose pair never gets there is\n"
          "'uncertain' (in jsonl; no alert). Flows of a pair with a flagged flow wait for the\n"
          "decision, at most the window (in capture time), so they can be reported late and\n"
          "out of order. --per-flow turns this off.\n\n"
          "--detect spam classifies SMTP flows (TCP to ports 25, 465 and 587, and flows nDPI\n"
          "recognises as SMTP or SMTPS) with a weighted-trees model of the zadnik features\n"
          "(default " FDX_MODEL_DIR "/spam.fdxm): spam, ham, or uncertain when the trees'\n"
          "accuracy-weighted vote is a tie or within the margin (--margin; the shipped model's\n"
          "is 0.4: uncertain unless 70 % of the trees' weight agrees). One ALERT per spam flow,\n"
          "then the main spam senders: the sources of at least --min-spam spam flows and their\n"
          "share of all spam flows (as `flowdx report senders`; with jsonl, run that on the\n"
          "output). A flow without a packet from the server (an unanswered connection attempt,\n"
          "or one side of asymmetric routing) is counted, not judged, unless the model was\n"
          "trained on such flows (`flowdx model show`: one-way rows; the shipped model knows\n"
          "two-way sessions only) or --judge-one-way is given.\n\n"
          "--detect doh,spam runs both detectors in one pass through their plugins, as -c\n"
          "does (the same options, the shipped models): alerts, or JSON lines of schema 1\n"
          "(doc/json.md) with --format jsonl, a line per flow whatever it is; the senders\n"
          "report follows the alerts (on standard output, or in -o FILE).\n\n"
          "--ipfix sends every classified flow (the flows --format jsonl writes, whatever\n"
          "--format says) as one IPFIX record: identifiers, features and the verdict.\n\n",
          out);
    fputs("Live capture (-i). The interface is read until SIGINT or SIGTERM; then every open\n"
          "flow ends, is classified and written, the summary follows, and the exit status is 0.\n"
          "Flows also time out on a quiet interface (the wall clock drives the timeouts).\n"
          "Capturing needs root or CAP_NET_RAW; --user gives root up once the interface is\n"
          "open (the output file is then created as that user). -o FILE and an --ipfix FILE\n"
          "are appended to; SIGUSR1 or SIGHUP opens them again by their names (log\n"
          "rotation), without ending a flow. A statistics line goes to standard error every\n"
          "--stats seconds: elapsed, packets, pps, bytes, flows_active, flows_finished, drops\n"
          "(libpcap: buffer full), ifdrops (the interface), over_mtu (packets longer than\n"
          "the MTU, which NIC offloads make: flowdx(1)), malformed, skipped (not IP, or not\n"
          "for the detector) and alerts. With -r, SIGINT and SIGTERM stop reading,\n"
          "and the flows read so far are classified and written (exit status 3).\n\n"
          "Options:\n"
          "  -c, --config FILE       the full form: a flowdx.yaml(5) configuration; only -r,\n"
          "                          -i, --filter and -q go with it ('flowdx help config')\n"
          "  -r, --read FILE         capture (pcap/pcapng; '-' = standard input); repeatable\n"
          "  -i, --interface NAME    capture live on this interface ('any' = all) instead\n"
          "      --no-promisc        -i: do not put the interface into promiscuous mode\n"
          "  -s, --snaplen BYTES     -i: bytes kept of each packet (default 262144; nDPI needs\n"
          "                          the payload)\n"
          "      --buffer-size MIB   -i: kernel capture buffer (default: libpcap's, 2 MiB)\n"
          "      --immediate         -i: hand over every packet at once (default: batches,\n"
          "                          at most 100 ms late; packet times are exact either way)\n"
          "      --user NAME         -i: run as this user once the interface is open\n"
          "      --stats SECONDS     a statistics line this often (default: 60 with -i, off\n"
          "                          with -r; 0 = off)\n",
          out);
    fputs("      --detect NAME       the detector to run: doh, spam, or doh,spam (both)\n"
          "  -m, --model FILE        model file (default: " FDX_MODEL_DIR "/doh.fdxm or\n"
          "                          " FDX_MODEL_DIR "/spam.fdxm when the current directory\n"
          "                          has them, else those in\n"
          "                          " FDX_INSTALLED_MODEL_DIR ")\n"
          "      --doh-server ADDR   a DoH resolver's address; repeatable\n"
          "      --no-known-resolvers\n"
          "                          do not take TCP/443 flows to the built-in list of\n"
          "                          public DoH resolvers as candidates (--doh-server's only)\n"
          "      --all-tls           treat every TCP/443 flow as a DoH candidate\n"
          "      --no-dpi            do not run nDPI (candidates from the resolver lists and\n"
          "                          --all-tls only)\n"
          "      --format FMT        alerts (default) or jsonl (one object per classified flow,\n"
          "                          with nDPI's protocol name under \"dpi\")\n"
          "  -o, --output FILE       write here instead of standard output\n",
          out);
    usage_ipfix(out, "");
    fputs("      --filter BPF        only packets matching this capture filter\n"
          "      --idle-timeout S    end a flow after S seconds without packets (0.001 to\n"
          "                          86400; default 120, as the shipped models were trained)\n"
          "      --per-flow          the jury's verdict per flow alone, without pair evidence\n"
          "      --pair-window S     pair evidence window and longest hold (default 120)\n"
          "      --pair-bytes N      request bytes of flagged flows that establish a pair\n"
          "                          (default 8192)\n"
          "      --pair-share F      share of a pair's flows that must be flagged (default 0.5)\n"
          "      --min-spam N        spam: spam flows that make a main sender (default 10)\n"
          "      --margin M          spam: uncertain when the weighted vote sum is within M of\n"
          "                          0 (0 to 1; default: the model's own, `flowdx model show`)\n"
          "      --judge-one-way     spam: also judge flows without a packet from the server\n"
          "  -q, --quiet             no summary on standard error\n"
          "  -h, --help              this text\n\n"
          "Exit status: 0 done (whether or not anything was flagged; with -i: stopped by\n"
          "SIGINT or SIGTERM, every flow written); 1 error (also a live capture that failed,\n"
          "e.g. the interface disappeared: the flows seen were still written); 2 bad command\n"
          "line (also --user naming no user); 3 a capture was damaged or reading it was\n"
          "interrupted, and everything before was classified.\n",
          out);
}

/* The command whose messages these are: flowdx run, or flowdx report senders -r. */
static const char *me = "flowdx run";

struct detect {
    fdx_model *model;
    bool jsonl;
    struct output *output; /* alerts, JSON lines, the senders report (live: flushed on each tick) */
    bool all_tls;
    bool dpi; /* the engine runs the dpi set (unless --no-dpi) */
    struct doh_server servers[MAX_SERVERS + MAX_KNOWN];
    uint32_t n_servers;
    uint32_t n_given; /* servers[0, n_given) are --doh-server's, the rest the built-in list */
    const fdx_engine *engine;
    uint32_t n_shown;               /* the model's own features: shown in alerts and jsonl */
    int64_t i_master, i_app, i_doh; /* the dpi set's values in the record, -1 without it */
    bool spam;                      /* --detect spam: SMTP flows, verdicts spam/uncertain/ham */
    uint64_t flows, candidates, malicious;
    uint64_t by_resolver, by_server, by_dpi, by_all_tls, by_port; /* per source (overlapping) */
    uint64_t no_values; /* candidates the model's feature set has no values for */
    uint64_t tls_other; /* DoH: TCP flows to port 443 that were not candidates */
    uint64_t one_way;   /* spam candidates without a packet from the server, not judged */
    bool judge_one_way; /* --judge-one-way */
    uint64_t uncertain,
        escalated;           /* pair verdicts: flagged without evidence; unflagged on a tunnel */
    fdx_pairs *pairs;        /* NULL with --per-flow */
    struct senders *senders; /* --detect spam: flows and spam flows per source */
    bool quiet_alerts;       /* --senders-only: the report alone */
    struct ipfix_out ipfix;  /* --ipfix: every classified flow, as jsonl gets them */
    bool failed;
};

/* A classified flow waiting for its pair's decision (fdx_pairs holds it up to the window). */
struct pending {
    struct fdx_flow_record r;
    struct fdx_verdict v;
    char dpi[64];
    bool has_dpi;
    double features[]; /* r.features points here */
};

static bool add_server(struct detect *d, const char *text)
{
    if (!doh_server_parse(text, &d->servers[d->n_servers]))
        return false;
    d->n_servers++;
    return true;
}

static bool dpi_is(const struct detect *d, const struct fdx_flow_record *r, double id)
{
    return (d->i_master >= 0 && r->features[d->i_master] == id) ||
           (d->i_app >= 0 && r->features[d->i_app] == id);
}

/* The servers @p r goes to: for a TCP flow to port 443, SRC_SERVER when one of --doh-server's,
 * SRC_RESOLVER when one of the built-in list. Counts the flows to each --doh-server, whatever
 * their port, for the warning about one no flow reached. */
static unsigned to_servers(struct detect *d, const struct fdx_flow_record *r)
{
    bool tls = r->proto == 6 && r->dst_port == 443;
    uint32_t n = tls ? d->n_servers : d->n_given; /* the built-in list matters on 443 only */
    unsigned src = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct doh_server *s = &d->servers[i];
        if (!doh_server_is_dst(s, r))
            continue;
        if (i < d->n_given)
            doh_server_count(s, r);
        if (tls)
            src |= i < d->n_given ? SRC_SERVER : SRC_RESOLVER;
    }
    return src;
}

/* The sources (SRC_*) that make @p r a candidate (DoH, or SMTP with spam); 0 when none does.
 * @p servers: to_servers() of @p r. */
static unsigned candidate(const struct detect *d, const struct fdx_flow_record *r, unsigned servers)
{
    if (r->proto != 6)
        return 0;
    unsigned src = 0;
    if (d->spam) {
        if (r->dst_port == 25 || r->dst_port == 465 || r->dst_port == 587)
            src |= SRC_PORT;
        if (dpi_is(d, r, NDPI_ID_SMTP) || dpi_is(d, r, NDPI_ID_SMTPS))
            src |= SRC_DPI;
        return src;
    }
    if (d->i_doh >= 0 && r->features[d->i_doh] == 1.0)
        src |= SRC_DPI;
    if (r->dst_port != 443)
        return src;
    if (d->all_tls)
        src |= SRC_ALL_TLS;
    return src | servers;
}

static void write_alert(struct detect *d, const struct fdx_flow_record *r,
                        const struct fdx_verdict *v, const struct fdx_pair_evidence *ev)
{
    char when[32], src[80], dst[80], num[48];
    format_iso_time(when, sizeof(when), r->start_us);
    format_endpoint(src, sizeof(src), r->src_addr, r->ip_version, r->src_port);
    format_endpoint(dst, sizeof(dst), r->dst_addr, r->ip_version, r->dst_port);
    uint32_t yes = 0;
    for (uint32_t i = 0; i < v->n_models; i++)
        yes += v->votes[i] == 1;
    if (d->spam)
        fprintf(d->output->fp,
                "ALERT spam SMTP %s %s -> %s: weighted vote %+.3f (score %.2f):", when, src, dst,
                2 * v->score - 1, v->score);
    else
        fprintf(d->output->fp,
                "ALERT malicious DoH %s %s -> %s: %u of %u models (score %.2f):", when, src, dst,
                yes, v->n_models, v->score);
    for (uint32_t i = 0; i < v->n_models && !d->spam; i++)
        fprintf(d->output->fp, " %s=%s(%.2f)", fdx_model_kind(d->model, i),
                v->votes[i] == 1 ? "malicious" : "benign", v->proba[i]);
    if (ev != NULL)
        fprintf(d->output->fp,
                "\n  pair: %u of its %u flows in the window flagged, %llu request bytes in "
                "them%s",
                ev->flagged, ev->flows, (unsigned long long)ev->flagged_bytes,
                v->verdict == 1 ? "" : " (this flow: not flagged by the models; part of the pair)");
    fprintf(d->output->fp, "\n  features:");
    for (uint32_t i = 0; i < d->n_shown; i++) {
        format_double(num, sizeof(num), r->features[i]);
        fprintf(d->output->fp, " %s=%s", fdx_engine_feature_name(d->engine, i), num);
    }
    fputc('\n', d->output->fp);
}

/* "malicious"/"uncertain"/"benign"; for spam the model's own class names ("spam", "ham"). */
static const char *verdict_name(const struct detect *d, uint32_t verdict)
{
    if (verdict == FDX_PAIR_UNCERTAIN)
        return "uncertain";
    if (d->spam)
        return fdx_model_class_name(d->model, verdict == FDX_PAIR_MALICIOUS);
    return verdict == FDX_PAIR_MALICIOUS ? "malicious" : "benign";
}

static void write_json(struct detect *d, const struct fdx_flow_record *r,
                       const struct fdx_verdict *v, const char *dpi, uint32_t verdict,
                       const struct fdx_pair_evidence *ev)
{
    char when[32], a[64], b[64], num[48];
    format_iso_time(when, sizeof(when), r->start_us);
    format_addr(a, sizeof(a), r->ip_version, r->src_addr);
    format_addr(b, sizeof(b), r->ip_version, r->dst_addr);
    fprintf(d->output->fp,
            "{\"flow_id\":%llu,\"time\":\"%s\",\"src_addr\":\"%s\",\"src_port\":%u,"
            "\"dst_addr\":\"%s\",\"dst_port\":%u,\"start_us\":%llu,\"end_us\":%llu,"
            "\"end_reason\":\"%s\",\"verdict\":\"%s\",\"flow_verdict\":\"%s\","
            "\"score\":%.6f,",
            (unsigned long long)r->flow_id, when, a, r->src_port, b, r->dst_port,
            (unsigned long long)r->start_us, (unsigned long long)r->end_us,
            fdx_end_reason_name(r->end_reason), verdict_name(d, verdict),
            verdict_name(d, v->uncertain      ? FDX_PAIR_UNCERTAIN
                            : v->verdict == 1 ? FDX_PAIR_MALICIOUS
                                              : FDX_PAIR_BENIGN),
            v->score);
    if (ev != NULL)
        fprintf(d->output->fp,
                "\"pair\":{\"flows\":%u,\"flagged\":%u,\"flagged_bytes\":%llu,\"held\":%s},",
                ev->flows, ev->flagged, (unsigned long long)ev->flagged_bytes,
                ev->held ? "true" : "false");
    fputs("\"votes\":{", d->output->fp);
    for (uint32_t i = 0; i < v->n_models; i++)
        fprintf(d->output->fp, "%s\"%s\":{\"vote\":\"%s\",\"p\":%.6f}", i ? "," : "",
                fdx_model_kind(d->model, i),
                verdict_name(d, v->votes[i] == 1 ? FDX_PAIR_MALICIOUS : FDX_PAIR_BENIGN),
                v->proba[i]);
    fprintf(d->output->fp, "},\"dpi\":");
    if (dpi == NULL) {
        fputs("null", d->output->fp);
    } else {
        /* nDPI's names are printable ASCII; anything else is left out rather than escaped. */
        fputc('"', d->output->fp);
        for (const char *c = dpi; *c; c++) {
            if (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\')
                fputc(*c, d->output->fp);
        }
        fputc('"', d->output->fp);
    }
    fprintf(d->output->fp, ",\"features\":{");
    for (uint32_t i = 0; i < d->n_shown; i++) {
        if (isfinite(r->features[i]))
            format_double(num, sizeof(num), r->features[i]);
        else
            snprintf(num, sizeof(num), "null");
        fprintf(d->output->fp, "%s\"%s\":%s", i ? "," : "", fdx_engine_feature_name(d->engine, i),
                num);
    }
    fputs("}}\n", d->output->fp);
}

/*
 * An engine for the model's feature set and, unless --no-dpi, the dpi set after it. The model
 * finds its inputs by name (fdx_model_bind), so the dpi values do not reach it; they come last
 * so that alerts and JSON lines show the model's features alone, as before.
 */
static int new_engine(struct detect *d, struct fdx_engine_options *o, fdx_engine **ret, char *err,
                      size_t errlen)
{
    const char *model_sets = fdx_model_feature_set(d->model);
    char *with_dpi = NULL;
    bool add_dpi = d->dpi && !lists_dpi(model_sets);
    if (add_dpi && (with_dpi = sets_with_dpi(model_sets)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return FDX_ENOMEM;
    }
    o->feature_sets = add_dpi ? with_dpi : model_sets;
    int rc = fdx_engine_new(o, ret, err, errlen);
    if ((rc == FDX_EINVAL || rc == FDX_ENOMEM) && add_dpi) {
        /* A set that cuts its own flows (doh:dohlyzer) runs alone, and nDPI's module may not
         * fit in memory: classify without nDPI rather than not at all. */
        fprintf(stderr, "%s: classifying without nDPI: %s\n", me, err);
        add_dpi = false;
        o->feature_sets = model_sets;
        rc = fdx_engine_new(o, ret, err, errlen);
    }
    free(with_dpi);
    o->feature_sets = NULL;
    if (rc < 0)
        return rc;
    d->i_master = feature_index(*ret, "dpi_master");
    d->i_app = feature_index(*ret, "dpi_app");
    d->i_doh = feature_index(*ret, "dpi_doh");
    d->dpi = d->i_doh >= 0;
    d->n_shown = add_dpi ? (uint32_t)d->i_master : fdx_engine_feature_count(*ret);
    return 0;
}

/* Whether the model's feature set left the record without any value (a flow it does not cover,
 * such as a DoT flow on port 853 for doh:ip): a model cannot classify it. */
static bool no_values(const struct detect *d, const struct fdx_flow_record *r)
{
    for (uint32_t i = 0; i < d->n_shown; i++) {
        if (!isnan(r->features[i]))
            return false;
    }
    return true;
}

/* Report one flow with its final verdict (the jury's, or its pair's). */
static void report(struct detect *d, const struct pending *f, uint32_t verdict,
                   const struct fdx_pair_evidence *ev)
{
    d->malicious += verdict == FDX_PAIR_MALICIOUS;
    d->uncertain += verdict == FDX_PAIR_UNCERTAIN;
    d->escalated += verdict == FDX_PAIR_MALICIOUS && f->v.verdict != 1;
    if (d->senders != NULL) {
        char a[64];
        format_addr(a, sizeof(a), f->r.ip_version, f->r.src_addr);
        if (!senders_count(d->senders, a, verdict == FDX_PAIR_MALICIOUS))
            d->failed = true;
    }
    if (d->jsonl)
        write_json(d, &f->r, &f->v, f->has_dpi ? f->dpi : NULL, verdict, ev);
    else if (verdict == FDX_PAIR_MALICIOUS && !d->quiet_alerts)
        write_alert(d, &f->r, &f->v, ev);
    if (d->ipfix.x != NULL) {
        struct fdx_flow_verdict v = {
            .label = verdict_name(d, verdict),
            .verdict = pair_verdict(verdict),
            .score = f->v.score,
        };
        ipfix_out_write(&d->ipfix, me, &f->r, &v);
    }
}

static void on_pair_verdict(void *user, void *item, uint32_t verdict,
                            const struct fdx_pair_evidence *ev)
{
    report(user, item, verdict, ev);
    free(item);
}

static void on_flow(void *user, const struct fdx_flow_record *r)
{
    struct detect *d = user;
    d->flows++;
    unsigned src = candidate(d, r, to_servers(d, r));
    if (src == 0) {
        d->tls_other += !d->spam && r->proto == 6 && r->dst_port == 443;
        return;
    }
    if (no_values(d, r)) {
        d->no_values++;
        return;
    }
    if (d->spam && !d->judge_one_way && r->packets[1] == 0) {
        d->one_way++;
        return;
    }
    /* Decided at once (spam, --per-flow): the record as it is. Held by fdx_pairs: a copy, since
     * the record and its features are only borrowed until this callback returns. */
    struct pending now, *f = &now;
    if (d->pairs != NULL) {
        f = malloc(sizeof(*f) + (size_t)r->n_features * sizeof(double));
        if (f == NULL) {
            d->failed = true;
            return;
        }
    }
    f->r = *r;
    if (f != &now) {
        memcpy(f->features, r->features, (size_t)r->n_features * sizeof(double));
        f->r.features = f->features;
    }
    f->v = (struct fdx_verdict){.struct_size = sizeof(f->v)};
    if (fdx_model_classify(d->model, r, &f->v) < 0) {
        if (f != &now)
            free(f);
        d->failed = true;
        return;
    }
    /* nDPI's protocol name goes into JSON lines only */
    f->has_dpi = d->jsonl && fdx_engine_dpi_name(d->engine, r, f->dpi, sizeof(f->dpi)) != NULL;
    d->candidates++;
    d->by_resolver += (src & SRC_RESOLVER) != 0;
    d->by_server += (src & SRC_SERVER) != 0;
    d->by_dpi += (src & SRC_DPI) != 0;
    d->by_all_tls += (src & SRC_ALL_TLS) != 0;
    d->by_port += (src & SRC_PORT) != 0;
    if (d->pairs != NULL)
        fdx_pairs_add(d->pairs, r, f->v.verdict == 1, f); /* out of memory: decided at once */
    else
        report(d, f,
               f->v.uncertain      ? FDX_PAIR_UNCERTAIN
               : f->v.verdict == 1 ? FDX_PAIR_MALICIOUS
                                   : FDX_PAIR_BENIGN,
               NULL);
}

/* SIGHUP or SIGUSR1, live: the output file is opened again by its name (log rotation); the
 * model and options are kept (run -c reads its configuration file again at SIGHUP). */
static fdx_engine *on_hangup(void *user, fdx_engine *e, bool config)
{
    struct detect *d = user;
    output_reopen_one(d->output, &d->ipfix, me, config ? "SIGHUP" : "SIGUSR1",
                      "run -c reads a configuration file again");
    return e;
}

/* Live capture: the engine's clock moved without a packet. Held flows whose pair window has
 * passed are decided, and what was written reaches the reader. */
static void on_tick(void *user, uint64_t now_us)
{
    struct detect *d = user;
    if (d->pairs != NULL)
        fdx_pairs_advance(d->pairs, now_us);
    if (!output_flush(d->output, me))
        feeder_stop();
    ipfix_out_flush(&d->ipfix, me);
}

/* --idle-timeout S: seconds within the range of the configuration's flows.idle_timeout, for every
 * detector alike (--detect doh,spam passes it on as that key); false after saying the range. */
static bool parse_idle_timeout(const char *text, uint64_t *ret_us)
{
    if (seconds_in_us(text, FLOWS_IDLE_MIN_US, (double)FLOWS_IDLE_MAX_US, ret_us))
        return true;
    fprintf(stderr, "%s: --idle-timeout: '%s' is not a number of seconds from %g to %g\n", me, text,
            FLOWS_IDLE_MIN_US / 1e6, FLOWS_IDLE_MAX_US / 1e6);
    return false;
}

/* The default model @p path of --detect @p detector ("doh", "spam") is not there: where the shipped
 * models are read from, and what to do; @p both for --detect doh,spam, which has no -m. */
static void say_no_default_model(const char *detector, const char *path, bool both)
{
    fprintf(stderr,
            "%s: %s, and the default model %s (--detect %s's) is not there (the shipped models "
            "are read from conf/models in the current directory, else from the installed "
            "share/flowdx/models): run from the top of the flowdx tree, install flowdx, or %s\n",
            me, both ? "--detect doh,spam runs the shipped models" : "no --model given", path,
            detector,
            both ? "name the models in a configuration file (-c FILE, conf/flowdx.yaml)"
                 : "pass --model FILE");
}

/* A shipped model could not be read: how to make it again (in the source tree). */
static void say_rebuild_model(const char *detector)
{
    fprintf(stderr,
            "%s: scripts/build-%s-model.sh rebuilds the shipped model; 'flowdx train' makes your "
            "own (doc/training.md)\n",
            me, detector);
}

/* --detect doh,spam: the shipped models are there and can be read, as --detect doh|spam checks its
 * default model: a missing one is the installation's problem (exit 1), named with its path, not an
 * error located in the configuration the command line is turned into. */
static bool both_models_readable(void)
{
    const char *detectors[] = {"doh", "spam"};
    for (size_t i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.fdxm", default_model_dir(), detectors[i]);
        FILE *fp = fopen(path, "rb");
        if (fp != NULL) {
            fclose(fp);
            continue;
        }
        if (errno == ENOENT)
            say_no_default_model(detectors[i], path, true);
        else
            fprintf(stderr, "%s: --detect doh,spam: the default model %s: %s\n", me, path,
                    strerror(errno));
        say_rebuild_model(detectors[i]);
        return false;
    }
    return true;
}

/* What --detect doh,spam carries over from the command line into its configuration. */
struct both {
    const char *const *servers;
    uint32_t n_servers;
    bool all_tls, dpi, per_flow, jsonl, known;
    const struct fdx_pairs_options *po;
    const char *output;
    uint32_t min_spam;
    double margin; /* NaN: the spam model's own */
    bool judge_one_way;
    const struct fdx_capture_live_options *live;
    const char *user;
    uint64_t stats_us, idle_us;
    const struct ipfix_out *ipfix;
};

/* @p s as a YAML double-quoted scalar. */
static void yaml_quoted(char *buf, size_t len, const char *s)
{
    size_t o = 0;
    if (len < 3)
        return;
    buf[o++] = '"';
    for (; *s != '\0' && o + 4 < len; s++) {
        if (*s == '"' || *s == '\\')
            buf[o++] = '\\';
        buf[o++] = *s;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/*
 * --detect doh,spam: both detectors in one pass, through their plugins, as flowdx run -c runs them
 * (probe.c): the command line becomes a configuration with the shipped models. Alerts (or JSON
 * lines with --format jsonl, schema 1) go to -o or standard output; the senders report follows
 * the alerts there.
 */
static int run_both(const struct both *b, const char *const *inputs, int n_inputs,
                    const char *iface, const char *filter, bool quiet)
{
    /* The configuration's ranges are narrower than run's own: a value in between is refused here,
     * naming the option, rather than by the configuration reader, pointing into generated text. */
    char bad[128] = "";
    if (b->live->snaplen_bytes < INPUT_SNAPLEN_MIN || b->live->snaplen_bytes > INPUT_SNAPLEN_MAX)
        snprintf(bad, sizeof(bad), "--snaplen: from %u to %u bytes", INPUT_SNAPLEN_MIN,
                 INPUT_SNAPLEN_MAX);
    else if (b->stats_us != UINT64_MAX && b->stats_us > INPUT_STATS_MAX_US)
        snprintf(bad, sizeof(bad), "--stats: at most %g seconds", INPUT_STATS_MAX_US / 1e6);
    /* --idle-timeout was held to the key's range when it was read (parse_idle_timeout) */
    if (bad[0] != '\0') {
        fprintf(stderr, "%s: with --detect doh,spam, %s\n", me, bad);
        return EXIT_USAGE;
    }
    if (!both_models_readable())
        return EXIT_ERROR;
    static char text[65536];
    char q[4200], q2[4200];
    size_t n = 0;
#define PUT(...)                                                                                   \
    n += (size_t)snprintf(text + n, n < sizeof(text) ? sizeof(text) - n : 0, __VA_ARGS__)
    PUT("input:\n");
    if (b->stats_us != UINT64_MAX) /* not given: the probe's default, as run's */
        PUT("  stats_interval: %.6fs\n", b->stats_us / 1e6);
    if (iface != NULL) {
        PUT("  snaplen: %u\n  promisc: %s\n  immediate: %s\n", b->live->snaplen_bytes,
            b->live->promisc ? "true" : "false", b->live->immediate ? "true" : "false");
        if (b->live->buffer_bytes > 0)
            PUT("  buffer_size: %u\n", b->live->buffer_bytes / 1048576u);
        if (b->user != NULL) {
            yaml_quoted(q, sizeof(q), b->user);
            PUT("  user: %s\n", q);
        }
    }
    if (b->idle_us > 0)
        PUT("flows: {idle_timeout: %.6fs}\n", b->idle_us / 1e6);
    PUT("detectors:\n  spam: {enabled: true"); /* judge_one_way absent: as the model says */
    if (b->judge_one_way)
        PUT(", judge_one_way: true");
    if (!isnan(b->margin))
        PUT(", margin: %.17g", b->margin);
    PUT("}\n");
    PUT("  doh:\n    host_detection: %s\n    all_tls: %s\n    known_resolvers: %s\n",
        b->dpi ? "true" : "false", b->all_tls ? "true" : "false", b->known ? "true" : "false");
    PUT("    servers: [");
    for (uint32_t i = 0; i < b->n_servers; i++) {
        yaml_quoted(q, sizeof(q), b->servers[i]);
        PUT("%s%s", i ? ", " : "", q);
    }
    PUT("]\n    pairs: {enabled: %s, window: %.6fs, min_bytes: %llu, min_share: %.17g}\n",
        b->per_flow ? "false" : "true", b->po->window_s, (unsigned long long)b->po->min_bytes,
        b->po->min_share);
    yaml_quoted(q, sizeof(q), b->output != NULL ? b->output : "-");
    if (b->jsonl)
        PUT("outputs:\n  alerts: {enabled: false}\n  jsonl: {file: %s}\n", q);
    else
        PUT("outputs:\n  alerts: {file: %s}\n", q);
    if (!b->jsonl) /* the report follows the alerts, in their file */
        PUT("  senders: {file: %s, min_spam: %u}\n", q, b->min_spam);
    if (b->ipfix->dest != NULL) {
        yaml_quoted(q2, sizeof(q2), b->ipfix->dest);
        PUT("  ipfix: {destination: %s", q2);
        if (b->ipfix->pen != 0)
            PUT(", pen: %u", b->ipfix->pen);
        PUT(", domain: %u}\n", b->ipfix->domain);
    }
#undef PUT
    if (n >= sizeof(text)) {
        fprintf(stderr, "%s: too many options for --detect doh,spam; use -c FILE\n", me);
        return EXIT_USAGE;
    }
    return probe_main("--detect doh,spam", text, inputs, n_inputs, iface, filter, quiet);
}

int cmd_run(int argc, char **argv)
{
    /* `flowdx report senders -r` runs this with argv[0] "report senders": its messages say so */
    me = strcmp(argv[0], "report senders") == 0 ? "flowdx report senders" : "flowdx run";
    /* -c FILE: the probe as a configuration file describes it (probe.c) */
    for (int i = 1; i < argc; i++) {
        /* -c, -cFILE, --config, --config=FILE */
        if (strncmp(argv[i], "-c", 2) == 0 || strncmp(argv[i], "--config", 8) == 0)
            return cmd_probe(argc, argv);
    }
    enum {
        OPT_DETECT = 256,
        OPT_SERVER,
        OPT_ALLTLS,
        OPT_NODPI,
        OPT_NOKNOWN,
        OPT_FORMAT,
        OPT_FILTER,
        OPT_PERFLOW,
        OPT_PWINDOW,
        OPT_PBYTES,
        OPT_PSHARE,
        OPT_MINSPAM,
        OPT_MARGIN,
        OPT_ONEWAY,
        OPT_SONLY,
        OPT_SJSON,
        OPT_SALL,
        OPT_NOPROMISC,
        OPT_BUFSIZE,
        OPT_IMMEDIATE,
        OPT_USER,
        OPT_STATS,
        OPT_IDLE,
    };
    static const struct option opts_long[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"no-promisc", no_argument, NULL, OPT_NOPROMISC},
        {"snaplen", required_argument, NULL, 's'},
        {"buffer-size", required_argument, NULL, OPT_BUFSIZE},
        {"immediate", no_argument, NULL, OPT_IMMEDIATE},
        {"user", required_argument, NULL, OPT_USER},
        {"stats", required_argument, NULL, OPT_STATS},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"detect", required_argument, NULL, OPT_DETECT},
        {"model", required_argument, NULL, 'm'},
        {"doh-server", required_argument, NULL, OPT_SERVER},
        {"all-tls", no_argument, NULL, OPT_ALLTLS},
        {"no-dpi", no_argument, NULL, OPT_NODPI},
        {"no-known-resolvers", no_argument, NULL, OPT_NOKNOWN},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"per-flow", no_argument, NULL, OPT_PERFLOW},
        {"pair-window", required_argument, NULL, OPT_PWINDOW},
        {"pair-bytes", required_argument, NULL, OPT_PBYTES},
        {"pair-share", required_argument, NULL, OPT_PSHARE},
        {"min-spam", required_argument, NULL, OPT_MINSPAM},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"judge-one-way", no_argument, NULL, OPT_ONEWAY},
        /* for `flowdx report senders -r`: the report alone, on standard output */
        {"senders-only", no_argument, NULL, OPT_SONLY},
        {"senders-json", no_argument, NULL, OPT_SJSON},
        {"senders-all", no_argument, NULL, OPT_SALL},
        {"ipfix", required_argument, NULL, IPFIX_OPT_DEST},
        {"ipfix-pen", required_argument, NULL, IPFIX_OPT_PEN},
        {"ipfix-domain", required_argument, NULL, IPFIX_OPT_DOMAIN},
        {"ipfix-reconnect", required_argument, NULL, IPFIX_OPT_RECONNECT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *inputs[MAX_INPUTS];
    int n_inputs = 0;
    const char *detector = NULL, *model_path = NULL, *output = NULL;
    const char *filter = NULL, *iface = NULL, *user = NULL;
    bool quiet = false, per_flow = false, doh_only_given = false, live_only_given = false;
    bool known = true; /* the built-in list of public DoH resolvers (--no-known-resolvers) */
    uint64_t stats_us = UINT64_MAX; /* not given */
    uint64_t idle_us = 0;           /* not given: the engine's default */
    struct fdx_capture_live_options live;
    fdx_capture_live_options_init(&live);
    uint32_t min_spam = 10;
    double margin = NAN; /* not given: the model's own */
    bool senders_only = false, senders_json = false, senders_all = false;
    struct fdx_pairs_options po;
    fdx_pairs_options_init(&po);
    static struct detect d;
    memset(&d, 0, sizeof(d));
    static const char *server_text[MAX_SERVERS];
    d.dpi = true;
    static char prog[] = "flowdx run";
    argv[0] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "r:i:s:m:o:qh", opts_long, NULL)) != -1) {
        int x = ipfix_option(&d.ipfix, c, optarg);
        if (x < 0)
            return EXIT_USAGE;
        if (x > 0)
            continue;
        switch (c) {
        case 'r':
            if (n_inputs == MAX_INPUTS) {
                fprintf(stderr, "%s: more than %d captures\n", me, MAX_INPUTS);
                return EXIT_USAGE;
            }
            inputs[n_inputs++] = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case OPT_NOPROMISC:
            live_only_given = true;
            live.promisc = 0;
            break;
        case 's':
            live_only_given = true;
            if (!parse_u32("--snaplen", optarg, 1, 262144, &live.snaplen_bytes))
                return EXIT_USAGE;
            break;
        case OPT_BUFSIZE: {
            live_only_given = true;
            uint32_t mib;
            if (!parse_u32("--buffer-size", optarg, 1, 2047, &mib))
                return EXIT_USAGE;
            live.buffer_bytes = mib * 1048576u;
            break;
        }
        case OPT_IMMEDIATE:
            live_only_given = true;
            live.immediate = 1;
            break;
        case OPT_USER:
            live_only_given = true;
            user = optarg;
            break;
        case OPT_STATS:
            if (!parse_seconds_us("--stats", optarg, &stats_us))
                return EXIT_USAGE;
            break;
        case OPT_IDLE:
            if (!parse_idle_timeout(optarg, &idle_us))
                return EXIT_USAGE;
            break;
        case OPT_DETECT:
            detector = optarg;
            break;
        case 'm':
            model_path = optarg;
            break;
        case OPT_SERVER:
            if (d.n_servers < MAX_SERVERS)
                server_text[d.n_servers] = optarg;
            if (d.n_servers == MAX_SERVERS) {
                fprintf(stderr, "%s: --doh-server: more than %d given\n", me, MAX_SERVERS);
                return EXIT_USAGE;
            }
            if (!add_server(&d, optarg)) {
                /* the usual slips: a port, a network, a host name */
                const char *hint =
                    strchr(optarg, '/') != NULL ? " (one address, not a network)"
                    : optarg[0] == '[' || (strchr(optarg, ':') != NULL && strchr(optarg, '.'))
                        ? " (an address without a port: the port is 443)"
                    : optarg[0] != '\0' && strspn(optarg, "0123456789.") == 0
                        ? " (an address, not a name)"
                        : "";
                fprintf(stderr, "%s: --doh-server: '%s' is not an IPv4 or IPv6 address%s\n", me,
                        optarg, hint);
                return EXIT_USAGE;
            }
            break;
        case OPT_ALLTLS:
            d.all_tls = true;
            break;
        case OPT_NOKNOWN:
            doh_only_given = true;
            known = false;
            break;
        case OPT_NODPI:
            d.dpi = false;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "jsonl") == 0) {
                d.jsonl = true;
            } else if (strcmp(optarg, "alerts") != 0) {
                fprintf(stderr, "%s: --format: '%s' is not alerts or jsonl\n", me, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_FILTER:
            filter = optarg;
            break;
        case OPT_PERFLOW:
            doh_only_given = true;
            per_flow = true;
            break;
        case OPT_PWINDOW:
            doh_only_given = true;
            if (!parse_double_in("--pair-window", optarg, 0.001, 86400, &po.window_s))
                return EXIT_USAGE;
            break;
        case OPT_PBYTES: {
            doh_only_given = true;
            double v;
            if (!parse_double_in("--pair-bytes", optarg, 0, 1e15, &v))
                return EXIT_USAGE;
            po.min_bytes = (uint64_t)v;
            break;
        }
        case OPT_PSHARE:
            doh_only_given = true;
            if (!parse_double_in("--pair-share", optarg, 0, 1, &po.min_share))
                return EXIT_USAGE;
            break;
        case OPT_SONLY:
            senders_only = true;
            break;
        case OPT_SJSON:
            senders_json = true;
            break;
        case OPT_SALL:
            senders_all = true;
            break;
        case OPT_MINSPAM:
            if (!parse_u32("--min-spam", optarg, 1, UINT32_MAX, &min_spam))
                return EXIT_USAGE;
            break;
        case OPT_MARGIN:
            if (!parse_double_in("--margin", optarg, 0, 1, &margin))
                return EXIT_USAGE;
            break;
        case OPT_ONEWAY:
            d.judge_one_way = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage_run(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx run --help'.\n");
            return EXIT_USAGE;
        }
    }
    d.ipfix.quiet = quiet;
    if (!ipfix_out_check(&d.ipfix, me) ||
        !cli_files_distinct(me, "-r", inputs, n_inputs, output, &d.ipfix))
        return EXIT_USAGE;
    if (optind < argc || (n_inputs == 0) == (iface == NULL) || detector == NULL ||
        (iface == NULL && live_only_given)) {
        fprintf(stderr, "%s: %s\nTry 'flowdx run --help'.\n", me,
                optind < argc                    ? unexpected_argument(argv[optind])
                : iface != NULL && n_inputs > 0  ? "-i and -r exclude each other"
                : n_inputs == 0 && iface == NULL ? "no capture given (-r FILE, or -i INTERFACE)"
                : detector == NULL               ? "--detect doh, spam or doh,spam is required"
                                   : "--no-promisc, --snaplen, --buffer-size, --immediate and "
                                     "--user apply to -i");
        return EXIT_USAGE;
    }
    if (strcmp(detector, "doh,spam") == 0 || strcmp(detector, "spam,doh") == 0) {
        if (model_path != NULL || senders_only || senders_json || senders_all) {
            /* the --senders-* options are report senders -r's, not documented for run */
            fprintf(stderr,
                    "%s: --detect doh,spam runs the shipped models, so %s; for other models "
                    "and outputs, write a configuration file (-c FILE, conf/flowdx.yaml)\n",
                    me,
                    model_path != NULL ? "-m is for one detector"
                                       : "its senders report is the default one (for the "
                                         "report alone, use flowdx report senders -r)");
            return EXIT_USAGE;
        }
        struct both b = {.servers = server_text,
                         .n_servers = d.n_servers,
                         .all_tls = d.all_tls,
                         .dpi = d.dpi,
                         .per_flow = per_flow,
                         .known = known,
                         .po = &po,
                         .jsonl = d.jsonl,
                         .output = output,
                         .min_spam = min_spam,
                         .margin = margin,
                         .judge_one_way = d.judge_one_way,
                         .live = &live,
                         .user = user,
                         .stats_us = stats_us,
                         .idle_us = idle_us,
                         .ipfix = &d.ipfix};
        return run_both(&b, inputs, n_inputs, iface, filter, quiet);
    }
    struct run_as run_as;
    if (user != NULL && !run_as_lookup(me, NULL, user, &run_as))
        return EXIT_USAGE;
    if (strcmp(detector, "spam") == 0) {
        d.spam = true;
        if (d.n_servers > 0 || d.all_tls || doh_only_given) {
            fprintf(stderr,
                    "%s: --doh-server, --no-known-resolvers, --all-tls, --per-flow and "
                    "--pair-* apply to --detect doh, not spam\n",
                    me);
            return EXIT_USAGE;
        }
        per_flow = true;
    } else if (strcmp(detector, "doh") != 0) {
        fprintf(stderr,
                "%s: --detect %s: not available; this release detects: doh, spam, or "
                "both (doh,spam)\n",
                me, detector);
        return EXIT_USAGE;
    } else if (!isnan(margin) || d.judge_one_way) {
        fprintf(stderr,
                "%s: %s applies to --detect spam (the weighted-trees "
                "ensemble), not to the DoH jury\n",
                me, d.judge_one_way ? "--judge-one-way" : "--margin");
        return EXIT_USAGE;
    }
    d.n_given = d.n_servers;
    for (uint32_t i = 0; i < MAX_KNOWN && fdx_doh_resolver_at(i) != NULL && !d.spam && known; i++)
        add_server(&d, fdx_doh_resolver_at(i));

    char err[1024];
    bool default_model = model_path == NULL;
    char default_path[4096];
    if (default_model) {
        snprintf(default_path, sizeof(default_path), "%s/%s", default_model_dir(),
                 d.spam ? "spam.fdxm" : "doh.fdxm");
        model_path = default_path;
    }
    if (!cli_files_distinct(me, default_model ? "the default model" : "-m", &model_path, 1, output,
                            &d.ipfix))
        return EXIT_USAGE;
    /* --user: the outputs are opened as that user, after the capture; that the user cannot write
     * them is known now, before anything is opened */
    if (user != NULL &&
        (!run_as_can_write(me, &run_as, "-o", output, false) ||
         !run_as_can_write(me, &run_as, "--ipfix", ipfix_out_file(&d.ipfix), false)))
        return EXIT_USAGE;
    if (fdx_model_load(model_path, &d.model, err, sizeof(err)) < 0) {
        if (default_model && strstr(err, "No such file") != NULL)
            say_no_default_model(detector, model_path, false);
        else
            fprintf(stderr, "%s: %s\n", me, err);
        if (default_model) /* the shipped model: how to make it again (in the source tree) */
            say_rebuild_model(detector);
        return EXIT_ERROR;
    }
    if (fdx_model_one_way_rows(d.model) > 0)
        d.judge_one_way = true; /* trained on one-way flows: they are the model's to judge */
    const char *set = fdx_model_feature_set(d.model);
    if (d.spam != (strncmp(set, "zadnik", 6) == 0)) {
        fprintf(stderr,
                "%s: %s reads the feature set '%s': --detect %s needs a model of the %s "
                "set\n",
                me, model_path, set, detector, d.spam ? "zadnik" : "doh");
        fdx_model_free(d.model);
        return EXIT_USAGE; /* as collect's: the options do not fit together */
    }
    int margin_status = apply_margin(me, d.model, model_path, margin);
    if (margin_status != EXIT_OK) {
        fdx_model_free(d.model);
        return margin_status;
    }
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.on_flow = on_flow;
    o.user = &d;
    if (idle_us > 0)
        o.idle_timeout_us = idle_us;
    fdx_engine *e = NULL;
    int status = EXIT_OK;
    if (new_engine(&d, &o, &e, err, sizeof(err)) < 0 ||
        fdx_model_bind(d.model, e, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", me, model_path, err);
        fdx_engine_free(e);
        fdx_model_free(d.model);
        return EXIT_ERROR;
    }
    d.engine = e;
    if (!per_flow && fdx_pairs_new(&po, on_pair_verdict, &d, &d.pairs) < 0) {
        fprintf(stderr, "%s: out of memory\n", me);
        fdx_engine_free(e);
        fdx_model_free(d.model);
        return EXIT_ERROR;
    }
    if (stats_us == UINT64_MAX)
        stats_us = iface != NULL ? 60000000u : 0;
    struct feeder feed = {.inputs = inputs,
                          .n_inputs = n_inputs,
                          .filter = filter,
                          .prog = me,
                          .catch_signals = true,
                          .iface = iface,
                          .live = live,
                          .quiet = quiet,
                          .stats_every_ns = (long long)stats_us * 1000,
                          .alerts = &d.malicious,
                          .tick = on_tick,
                          .pairs = &d.pairs,
                          .tick_user = &d,
                          .reload = on_hangup,
                          .reload_user = &d};
    struct output out;
    d.ipfix.append = iface != NULL; /* appended to, as -o is */
    /* The capture is opened first, as root; the output then as --user (as tcpdump -Z does). */
    if (!feeder_open(&feed) || (user != NULL && !run_as_switch(me, &run_as)) ||
        !ipfix_out_open(&d.ipfix, e, me, detector) ||
        !(iface != NULL ? output_open_stream(&out, output) : output_open(&out, output))) {
        feeder_abort(&feed);
        ipfix_out_close(&d.ipfix, me);
        fdx_pairs_free(d.pairs); /* nothing held: nothing is decided */
        fdx_engine_free(e);
        fdx_model_free(d.model);
        return d.ipfix.bad_dest || feed.bad_filter ? EXIT_USAGE : EXIT_ERROR;
    }
    d.output = &out;
    d.quiet_alerts = senders_only;
    if (d.spam && !d.jsonl && (d.senders = senders_new()) == NULL) {
        fprintf(stderr, "%s: out of memory\n", me);
        d.failed = true;
    }
    status = feeder_run(&feed, e); /* it decided the flows the pair rule held */
    if (d.failed) {
        fprintf(stderr, "%s: a record did not fit the model, or memory ran out\n", me);
        status = EXIT_ERROR;
    }
    if (d.senders != NULL) {
        /* The spam paper's end product: the sources of at least --min-spam spam flows. */
        if (!senders_only)
            fputc('\n', d.output->fp);
        if (!senders_write(d.senders, d.output->fp, senders_input_name(iface, inputs, n_inputs),
                           min_spam, senders_all, senders_json))
            status = EXIT_ERROR;
        senders_free(d.senders);
        d.senders = NULL;
    }
    if (!ipfix_out_close(&d.ipfix, me))
        status = EXIT_ERROR;
    bool out_kept = output_close(&out, true); /* a failed write was said; it is not named below */
    if (!out_kept)
        status = EXIT_ERROR;
    for (uint32_t i = 0; i < d.n_given && status != EXIT_ERROR; i++)
        doh_server_warn(me, "--doh-server", &d.servers[i]);
    if (!quiet) {
        const char *files[] = {out_kept ? output : NULL, ipfix_out_sent(&d.ipfix)};
        print_written(me, files, 2);
        char by_dpi[32];
        if (d.dpi)
            snprintf(by_dpi, sizeof(by_dpi), "%llu", (unsigned long long)d.by_dpi);
        else
            snprintf(by_dpi, sizeof(by_dpi), "off");
        /* one closing line for both detectors: only the candidates' sources and the class
         * names differ */
        char sources[160];
        if (d.spam)
            snprintf(sources, sizeof(sources), "ports 25/465/587 %llu, nDPI %s",
                     (unsigned long long)d.by_port, by_dpi);
        else
            snprintf(sources, sizeof(sources),
                     "--doh-server %llu, resolver list %llu, nDPI %s, --all-tls %llu",
                     (unsigned long long)d.by_server, (unsigned long long)d.by_resolver, by_dpi,
                     (unsigned long long)d.by_all_tls);
        fprintf(stderr,
                "%s: %llu flow%s, %llu %s candidate%s classified (by source: %s), %llu %s "
                "(%.1f %%), %llu uncertain, %llu %s; model %s\n",
                me, (unsigned long long)d.flows, plural(d.flows), (unsigned long long)d.candidates,
                d.spam ? "SMTP" : "DoH", plural(d.candidates), sources,
                (unsigned long long)d.malicious,
                d.spam ? fdx_model_class_name(d.model, 1) : "malicious",
                d.candidates ? 100.0 * (double)d.malicious / (double)d.candidates : 0.0,
                (unsigned long long)d.uncertain,
                (unsigned long long)(d.candidates - d.malicious - d.uncertain),
                d.spam ? fdx_model_class_name(d.model, 0) : "benign", model_path);
        if (!per_flow && !d.spam)
            fprintf(stderr,
                    "%s: verdicts decided per client-resolver pair (a tunnel: in %g s, "
                    "flows the models flag carry >= %llu request bytes and are >= %g of the "
                    "pair's flows); %llu flows are malicious only through their pair; "
                    "'uncertain' = flagged by the models on a pair that carried too little. "
                    "--per-flow gives the models' verdicts alone\n",
                    me, po.window_s, (unsigned long long)po.min_bytes, po.min_share,
                    (unsigned long long)d.escalated);
        if (d.candidates == 0 && d.tls_other > 0 && d.n_given == 0)
            fprintf(stderr,
                    "%s: note: none of the %llu TCP flow%s to port 443 went to a resolver of the "
                    "built-in list%s; name your resolver with --doh-server ADDR, or judge every "
                    "one with --all-tls\n",
                    me, (unsigned long long)d.tls_other, plural(d.tls_other),
                    d.dpi ? " or was recognised as DoH by nDPI" : "");
        if (d.no_values > 0)
            fprintf(stderr,
                    "%s: %llu more candidate%s not classified: the model's feature set "
                    "'%s' has no values for %s (doh:ip covers TCP to port 443; nDPI also "
                    "finds DoH and DoT on other ports)\n",
                    me, (unsigned long long)d.no_values, plural(d.no_values),
                    fdx_model_feature_set(d.model), d.no_values == 1 ? "it" : "them");
        if (d.one_way > 0)
            fprintf(stderr,
                    "%s: %llu more SMTP flow%s not judged: no packet from the server "
                    "(an unanswered connection attempt, or one direction of asymmetric "
                    "routing), and the model %s; --judge-one-way judges %s\n",
                    me, (unsigned long long)d.one_way, plural(d.one_way),
                    fdx_model_one_way_rows(d.model) == 0
                        ? "was trained on two-way sessions only"
                        : "does not say whether it was trained on such flows",
                    d.one_way == 1 ? "it" : "them");
        feeder_summary(&feed);
    }
    fdx_engine_free(e);
    fdx_model_free(d.model);
    return status;
}
