/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Example detector host: builds an engine from a flowdx.yaml file (flowdx_setup.h), reads one
 * capture, and prints every verdict of its detectors and plugins.
 *   example-detect CONFIG.yaml CAPTURE [DATA_DIR]
 * DATA_DIR is where the detectors find their default models (default: conf/models).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <flowdx/flowdx.h>
#include <flowdx/flowdx_setup.h>

static const char *const verdict_names[] = {"none", "benign", "malicious", "uncertain"};

/* Called for every finished flow: one line per plugin that judged it. */
static void on_flow(void *user, const struct fdx_flow_record *r)
{
    unsigned long *judged = user;
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    int family = r->ip_version == 6 ? AF_INET6 : AF_INET;
    if (inet_ntop(family, r->src_addr, src, sizeof(src)) == NULL ||
        inet_ntop(family, r->dst_addr, dst, sizeof(dst)) == NULL)
        return;
    for (uint32_t i = 0; i < r->n_verdicts; i++) {
        const struct fdx_flow_verdict *v = &r->verdicts[i];
        if (v->verdict == FDX_VERDICT_NONE || v->verdict > FDX_VERDICT_UNCERTAIN)
            continue;
        (*judged)++;
        printf("%s:%u -> %s:%u %s %s score=%.3f\n", src, (unsigned)r->src_port, dst,
               (unsigned)r->dst_port, v->plugin, verdict_names[v->verdict], v->score);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s CONFIG.yaml CAPTURE [DATA_DIR]\n", argv[0]);
        return 2;
    }
    char err[1024];
    fdx_config *config = NULL;
    fdx_setup *setup = NULL;
    fdx_engine *engine = NULL;
    fdx_capture *capture = NULL;
    unsigned long judged = 0;
    int status = 1;
    /* 1. the configuration, then everything it names: models and plugins, checked at load */
    if (fdx_config_load_file(argv[1], &config, err, sizeof(err)) != 0 ||
        fdx_setup_new(fdx_config_root(config), argc == 4 ? argv[3] : "conf/models", &setup, err,
                      sizeof(err)) != 0 ||
        fdx_config_check_unused(fdx_config_root(config), err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    /* 2. an engine with the setup's flows, feature sets and plugins, and our callback */
    struct fdx_engine_options opts;
    fdx_engine_options_init(&opts);
    fdx_setup_engine_options(setup, &opts);
    opts.on_flow = on_flow;
    opts.user = &judged;
    if (fdx_engine_new(&opts, &engine, err, sizeof(err)) != 0 ||
        fdx_capture_open_file(argv[2], NULL, &capture, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    /* 3. every packet, then the flows still open */
    struct fdx_capture_packet pkt;
    int rc;
    while ((rc = fdx_capture_next(capture, &pkt, err, sizeof(err))) == 1)
        fdx_engine_feed(engine, fdx_capture_linktype(capture), pkt.ts_us, pkt.data, pkt.caplen,
                        pkt.wirelen);
    fdx_engine_flush(engine);
    if (rc < 0)
        fprintf(stderr, "%s (the flows before it were judged)\n", err);
    fprintf(stderr, "%lu verdicts\n", judged);
    status = rc < 0 ? 1 : 0;
out:
    fdx_capture_free(capture);
    fdx_engine_free(engine);
    fdx_setup_free(setup); /* after the engine that used its plugins */
    fdx_config_free(config);
    return status;
}
