/* SPDX-License-Identifier: BSD-3-Clause */
/* Records with plugin or detector verdicts as JSON lines of schema 1 and alert lines (doc/json.md).
 */
#include <math.h>
#include <string.h>

#include "flowdx/flowdx_model.h"
#include "tool.h"

const char *verdict_word(uint32_t v)
{
    switch (v) {
    case FDX_VERDICT_BENIGN:
        return "benign";
    case FDX_VERDICT_MALICIOUS:
        return "malicious";
    case FDX_VERDICT_UNCERTAIN:
        return "uncertain";
    default:
        return NULL;
    }
}

uint32_t pair_verdict(uint32_t pair)
{
    switch (pair) {
    case FDX_PAIR_MALICIOUS:
        return FDX_VERDICT_MALICIOUS;
    case FDX_PAIR_UNCERTAIN:
        return FDX_VERDICT_UNCERTAIN;
    default:
        return FDX_VERDICT_BENIGN;
    }
}

void format_alert(char *line, size_t len, const struct fdx_flow_record *r,
                  const struct fdx_flow_verdict *v, const struct fdx_pair_evidence *ev)
{
    char when[32], src[80], dst[80];
    format_iso_time(when, sizeof(when), r->start_us);
    format_endpoint(src, sizeof(src), r->src_addr, r->ip_version, r->src_port);
    format_endpoint(dst, sizeof(dst), r->dst_addr, r->ip_version, r->dst_port);
    int n = snprintf(line, len, "%s %s -> %s: %s (detector %s), score %.3f, end %s", when, src, dst,
                     v->label[0] ? v->label : "malicious", v->plugin, v->score,
                     fdx_end_reason_name(r->end_reason));
    if (ev != NULL && n > 0 && (size_t)n < len)
        snprintf(line + n, len - (size_t)n, "; pair: %u of %u flows flagged, %llu request bytes",
                 ev->flagged, ev->flows, (unsigned long long)ev->flagged_bytes);
}

/* A JSON number into buf (at least 48 bytes): null for NaN and infinities. Returns its length. */
static size_t json_number_text(char *buf, size_t len, double v)
{
    if (isnan(v) || isinf(v)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    return format_double(buf, len, v);
}

static void json_number(FILE *fp, double v)
{
    char num[48];
    json_number_text(num, sizeof(num), v);
    fputs(num, fp);
}

/*
 * One member of the features object, `,"NAME":NUMBER`, with one write: a record has one per
 * feature (up to hundreds), and a printf-family call for each was a sixth of the probe's work.
 * Feature names are identifiers, so they need no JSON escaping.
 */
static void json_feature(FILE *fp, bool comma, const char *name, double v)
{
    char buf[192];
    size_t len = strlen(name);
    if (len > sizeof(buf) - 64) {
        fprintf(fp, "%s\"%s\":", comma ? "," : "", name);
        json_number(fp, v);
        return;
    }
    size_t n = 0;
    if (comma)
        buf[n++] = ',';
    buf[n++] = '"';
    memcpy(buf + n, name, len);
    n += len;
    buf[n++] = '"';
    buf[n++] = ':';
    n += json_number_text(buf + n, sizeof(buf) - n, v);
    fwrite(buf, 1, n, fp);
}

void write_json_record(FILE *fp, const fdx_engine *e, const struct fdx_flow_record *r,
                       const struct fdx_flow_verdict *v, uint32_t n_verdicts, int pair_slot,
                       const struct fdx_pair_evidence *ev, const char *server)
{
    char src[64], dst[64], when[32];
    format_addr(src, sizeof(src), r->ip_version, r->src_addr);
    format_addr(dst, sizeof(dst), r->ip_version, r->dst_addr);
    format_iso_time(when, sizeof(when), r->start_us);
    fprintf(fp,
            "{\"schema\":%d,\"flow_id\":%llu,\"time\":\"%s\",\"src_addr\":\"%s\",\"src_port\":%u,"
            "\"dst_addr\":\"%s\",\"dst_port\":%u,\"proto\":%u,\"start_us\":%llu,\"end_us\":%llu,"
            "\"end_reason\":\"%s\",\"packets\":[%llu,%llu],\"bytes\":[%llu,%llu],\"verdicts\":{",
            JSON_SCHEMA, (unsigned long long)r->flow_id, when, src, r->src_port, dst, r->dst_port,
            r->proto, (unsigned long long)r->start_us, (unsigned long long)r->end_us,
            fdx_end_reason_name(r->end_reason), (unsigned long long)r->packets[0],
            (unsigned long long)r->packets[1], (unsigned long long)r->bytes[0],
            (unsigned long long)r->bytes[1]);
    bool first = true;
    for (uint32_t i = 0; i < n_verdicts; i++) {
        const char *w = verdict_word(v[i].verdict);
        if (w == NULL)
            continue;
        fprintf(fp, "%s\"%s\":{\"verdict\":\"%s\",\"label\":", first ? "" : ",", v[i].plugin, w);
        write_json_string(fp, v[i].label);
        fputs(",\"score\":", fp);
        json_number(fp, v[i].score);
        if ((int)i == pair_slot && ev != NULL)
            fprintf(fp,
                    ",\"flow_verdict\":\"%s\",\"pair\":{\"flows\":%u,\"flagged\":%u,"
                    "\"flagged_bytes\":%llu}",
                    verdict_word(r->verdicts[i].verdict), ev->flows, ev->flagged,
                    (unsigned long long)ev->flagged_bytes);
        fputc('}', fp);
        first = false;
    }
    fputc('}', fp);
    first = true; /* the plugins that declined the flow on purpose, as fdx_flow_verdict.declined */
    for (uint32_t i = 0; i < n_verdicts; i++) {
        if (v[i].verdict != FDX_VERDICT_NONE || !v[i].declined)
            continue;
        fprintf(fp, "%s\"%s\"", first ? ",\"declined\":[" : ",", v[i].plugin);
        first = false;
    }
    if (!first)
        fputc(']', fp);
    if (server != NULL) {
        fputs(",\"server_name\":", fp);
        write_json_string(fp, server);
    }
    fputs(",\"features\":{", fp);
    for (uint32_t i = 0; i < r->n_features; i++)
        json_feature(fp, i > 0, fdx_engine_feature_name(e, i), r->features[i]);
    fputs("}}\n", fp);
}
