/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes flow records as CSV rows or JSON lines. */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The identifier columns that precede the features, in output order. */
static const char *const id_columns[] = {
    "flow_id", "src_addr", "src_port", "dst_addr", "dst_port",
    "proto",   "start_us", "end_us",   "end_reason",
};
#define N_ID_COLUMNS (sizeof(id_columns) / sizeof(id_columns[0]))

void format_double(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    /* The shortest of 15, 16 or 17 significant digits that reads back exactly. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void format_addr(char *buf, size_t len, uint8_t version, const uint8_t *addr)
{
    if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
}

static void write_csv_header(struct writer *w)
{
    for (size_t i = 0; i < N_ID_COLUMNS; i++)
        fprintf(w->fp, "%s%s", i ? "," : "", id_columns[i]);
    uint32_t n = fdx_engine_feature_count(w->engine);
    for (uint32_t i = 0; i < n; i++)
        fprintf(w->fp, ",%s", fdx_engine_feature_name(w->engine, i));
    fputc('\n', w->fp);
}

static void write_csv(struct writer *w, const struct fdx_flow_record *r, const char *src,
                      const char *dst)
{
    fprintf(w->fp, "%llu,%s,%u,%s,%u,%u,%llu,%llu,%s", (unsigned long long)r->flow_id, src,
            r->src_port, dst, r->dst_port, r->proto, (unsigned long long)r->start_us,
            (unsigned long long)r->end_us, fdx_end_reason_name(r->end_reason));
    char num[64];
    for (uint32_t i = 0; i < r->n_features; i++) {
        format_double(num, sizeof(num), r->features[i]);
        fprintf(w->fp, ",%s", num);
    }
    fputc('\n', w->fp);
}

static void write_jsonl(struct writer *w, const struct fdx_flow_record *r, const char *src,
                        const char *dst)
{
    fprintf(w->fp,
            "{\"flow_id\":%llu,\"src_addr\":\"%s\",\"src_port\":%u,\"dst_addr\":\"%s\","
            "\"dst_port\":%u,\"proto\":%u,\"start_us\":%llu,\"end_us\":%llu,"
            "\"end_reason\":\"%s\"",
            (unsigned long long)r->flow_id, src, r->src_port, dst, r->dst_port, r->proto,
            (unsigned long long)r->start_us, (unsigned long long)r->end_us,
            fdx_end_reason_name(r->end_reason));
    char num[64];
    for (uint32_t i = 0; i < r->n_features; i++) {
        double v = r->features[i];
        /* JSON has no NaN or infinity: they become null. */
        if (isfinite(v))
            format_double(num, sizeof(num), v);
        else
            snprintf(num, sizeof(num), "null");
        fprintf(w->fp, ",\"%s\":%s", fdx_engine_feature_name(w->engine, i), num);
    }
    fputs("}\n", w->fp);
}

void writer_record(struct writer *w, const struct fdx_flow_record *r)
{
    if (w->failed)
        return;
    if (w->format == OUT_CSV && !w->header_done) {
        write_csv_header(w);
        w->header_done = true;
    }
    char src[64], dst[64];
    format_addr(src, sizeof(src), r->ip_version, r->src_addr);
    format_addr(dst, sizeof(dst), r->ip_version, r->dst_addr);
    if (w->format == OUT_CSV)
        write_csv(w, r, src, dst);
    else
        write_jsonl(w, r, src, dst);
    if (ferror(w->fp))
        w->failed = true;
}

void writer_finish(struct writer *w)
{
    if (w->format == OUT_CSV && !w->header_done && !w->failed) {
        write_csv_header(w);
        w->header_done = true;
    }
}
