/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes the periodic statistics line of a running read loop to standard error. */
#include "tool.h"

/* The counters of the line, from one engine: packets, records, malformed and skipped packets. */
static void counters(const struct fdx_engine_stats *es, uint64_t *finished, uint64_t *malformed,
                     uint64_t *skipped)
{
    *finished = 0;
    for (int i = 0; i < FDX_END_COUNT; i++)
        *finished += es->flows_ended[i];
    *malformed = es->outcomes[FDX_PKT_TRUNCATED] + es->outcomes[FDX_PKT_MALFORMED];
    *skipped = es->outcomes[FDX_PKT_LINK_UNSUPPORTED] + es->outcomes[FDX_PKT_NON_IP] +
               es->outcomes[FDX_PKT_FRAG_UNMATCHED] + es->outcomes[FDX_PKT_NOT_SELECTED];
}

void statline_retire(struct statline *s, const fdx_engine *old)
{
    struct fdx_engine_stats es = {.struct_size = sizeof(es)};
    fdx_engine_stats(old, &es);
    uint64_t finished, malformed, skipped;
    counters(&es, &finished, &malformed, &skipped);
    s->base_packets += es.packets;
    s->base_finished += finished;
    s->base_malformed += malformed;
    s->base_skipped += skipped;
}

void statline_print(struct statline *s, const char *prog, const fdx_engine *e,
                    const struct fdx_capture_stats *cap, const uint64_t *alerts, long long now_ns)
{
    struct fdx_engine_stats es = {.struct_size = sizeof(es)};
    fdx_engine_stats(e, &es);
    uint64_t finished, malformed, skipped;
    counters(&es, &finished, &malformed, &skipped);
    /* with the engines a reload replaced */
    uint64_t packets = s->base_packets + es.packets;
    finished += s->base_finished;
    malformed += s->base_malformed;
    skipped += s->base_skipped;
    double interval_s = (double)(now_ns - s->last_ns) / 1e9;
    double pps = interval_s > 0 ? (double)(packets - s->last_packets) / interval_s : 0.0;
    fprintf(stderr,
            "%s: stats: elapsed=%.0fs packets=%llu pps=%.1f bytes=%llu flows_active=%u "
            "flows_finished=%llu",
            prog, (double)(now_ns - s->start_ns) / 1e9, (unsigned long long)packets, pps,
            (unsigned long long)s->bytes, es.active_flows, (unsigned long long)finished);
    if (cap != NULL)
        fprintf(stderr, " drops=%llu ifdrops=%llu over_mtu=%llu", (unsigned long long)cap->dropped,
                (unsigned long long)cap->if_dropped, (unsigned long long)cap->over_mtu);
    fprintf(stderr, " malformed=%llu skipped=%llu", (unsigned long long)malformed,
            (unsigned long long)skipped);
    if (alerts != NULL)
        fprintf(stderr, " alerts=%llu", (unsigned long long)*alerts);
    fputc('\n', stderr);
    s->last_ns = now_ns;
    s->last_packets = packets;
}
