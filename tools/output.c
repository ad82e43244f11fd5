/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes flow records as CSV rows or JSON lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/* The identifier columns that precede the features, in output order. */
static const char *const id_columns[] = {
    "flow_id", "src_addr", "src_port", "dst_addr", "dst_port",
    "proto",   "start_us", "end_us",   "end_reason",
};
#define N_ID_COLUMNS (sizeof(id_columns) / sizeof(id_columns[0]))

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

/* Row under construction. The command is single-threaded, so one static row serves. A row that
 * would not fit (far beyond any feature set's) marks the output failed instead of being cut. */
struct row {
    char buf[65536];
    size_t n;
    bool overflow;
};

static void put(struct row *r, const char *s, size_t len)
{
    if (len > sizeof(r->buf) - r->n) {
        r->overflow = true;
        return;
    }
    memcpy(r->buf + r->n, s, len);
    r->n += len;
}

static void put_str(struct row *r, const char *s)
{
    put(r, s, strlen(s));
}

static void put_u64(struct row *r, uint64_t v)
{
    char num[24];
    put(r, num, format_u64(num, v));
}

static void put_double(struct row *r, double v)
{
    char num[64];
    put(r, num, format_double(num, sizeof(num), v));
}

static void emit(struct writer *w, const struct row *r)
{
    if (r->overflow)
        w->failed = true;
    else
        fwrite(r->buf, 1, r->n, w->fp);
}

static void write_csv(struct writer *w, const struct fdx_flow_record *rec, const char *src,
                      const char *dst)
{
    static struct row r;
    r.n = 0;
    r.overflow = false;
    put_u64(&r, rec->flow_id);
    put_str(&r, ",");
    put_str(&r, src);
    put_str(&r, ",");
    put_u64(&r, rec->src_port);
    put_str(&r, ",");
    put_str(&r, dst);
    put_str(&r, ",");
    put_u64(&r, rec->dst_port);
    put_str(&r, ",");
    put_u64(&r, rec->proto);
    put_str(&r, ",");
    put_u64(&r, rec->start_us);
    put_str(&r, ",");
    put_u64(&r, rec->end_us);
    put_str(&r, ",");
    put_str(&r, fdx_end_reason_name(rec->end_reason));
    for (uint32_t i = 0; i < rec->n_features; i++) {
        put_str(&r, ",");
        put_double(&r, rec->features[i]);
    }
    put_str(&r, "\n");
    emit(w, &r);
}

static void write_jsonl(struct writer *w, const struct fdx_flow_record *rec, const char *src,
                        const char *dst)
{
    static struct row r;
    r.n = 0;
    r.overflow = false;
    put_str(&r, "{\"flow_id\":");
    put_u64(&r, rec->flow_id);
    put_str(&r, ",\"src_addr\":\"");
    put_str(&r, src);
    put_str(&r, "\",\"src_port\":");
    put_u64(&r, rec->src_port);
    put_str(&r, ",\"dst_addr\":\"");
    put_str(&r, dst);
    put_str(&r, "\",\"dst_port\":");
    put_u64(&r, rec->dst_port);
    put_str(&r, ",\"proto\":");
    put_u64(&r, rec->proto);
    put_str(&r, ",\"start_us\":");
    put_u64(&r, rec->start_us);
    put_str(&r, ",\"end_us\":");
    put_u64(&r, rec->end_us);
    put_str(&r, ",\"end_reason\":\"");
    put_str(&r, fdx_end_reason_name(rec->end_reason));
    put_str(&r, "\"");
    for (uint32_t i = 0; i < rec->n_features; i++) {
        put_str(&r, ",\"");
        put_str(&r, fdx_engine_feature_name(w->engine, i));
        put_str(&r, "\":");
        double v = rec->features[i];
        /* JSON has no NaN or infinity: they become null. */
        if (isfinite(v))
            put_double(&r, v);
        else
            put_str(&r, "null");
    }
    put_str(&r, "}\n");
    emit(w, &r);
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

bool output_open(struct output *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    o->path = path;
    if (path == NULL || strcmp(path, "-") == 0) {
        o->fp = stdout;
        o->path = NULL;
        return true;
    }
    /* A regular file (or a new one) is written under a temporary name and renamed at the end,
     * so an earlier file is replaced only by a complete output. Devices and pipes (/dev/null,
     * a FIFO) are written directly. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->fp = fopen(path, "w");
        if (o->fp == NULL) {
            fprintf(stderr, "flowdx: %s: %s\n", path, strerror(errno));
            return false;
        }
        return true;
    }
    int n = snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(o->tmp)) {
        fprintf(stderr, "flowdx: %s: path too long\n", path);
        return false;
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fprintf(stderr, "flowdx: %s: cannot create a file beside it: %s\n", path,
                strerror(errno));
        o->tmp[0] = '\0';
        return false;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || (o->fp = fdopen(fd, "w")) == NULL) {
        fprintf(stderr, "flowdx: %s: %s\n", o->tmp, strerror(errno));
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return false;
    }
    return true;
}

bool output_close(struct output *o, bool keep)
{
    const char *name = o->path ? o->path : "standard output";
    bool ok = fflush(o->fp) == 0 && !ferror(o->fp);
    int err = errno;
    if (o->fp != stdout && fclose(o->fp) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok || !keep)
        fprintf(stderr, "flowdx: writing %s failed%s%s\n", name, ok ? "" : ": ",
                ok ? "" : strerror(err));
    if (o->tmp[0] != '\0') {
        if (ok && keep && rename(o->tmp, o->path) != 0) {
            fprintf(stderr, "flowdx: %s: %s\n", o->path, strerror(errno));
            ok = false;
        }
        if (!ok || !keep)
            unlink(o->tmp);
    }
    return ok && keep;
}
