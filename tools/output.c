/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes flow records as CSV rows or JSON lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* What an identifier column holds. */
enum id_field {
    F_FLOW_ID,
    F_SRC,
    F_SPORT,
    F_DST,
    F_DPORT,
    F_PROTO,
    F_START,
    F_END,
    F_REASON,
    F_TIMESTAMP
};

struct id_column {
    const char *name;
    enum id_field field;
};

/* The identifier columns that precede the features, per FDX_IDS_* style, in output order. */
static const struct id_column ids_flowdx[] = {
    {"flow_id", F_FLOW_ID}, {"src_addr", F_SRC},   {"src_port", F_SPORT},
    {"dst_addr", F_DST},    {"dst_port", F_DPORT}, {"proto", F_PROTO},
    {"start_us", F_START},  {"end_us", F_END},     {"end_reason", F_REASON},
};
static const struct id_column ids_dataset[] = {
    {"SourceIP", F_SRC},          {"DestinationIP", F_DST},   {"SourcePort", F_SPORT},
    {"DestinationPort", F_DPORT}, {"TimeStamp", F_TIMESTAMP},
};

static const struct id_column *id_columns(const struct writer *w, size_t *ret_n)
{
    if (fdx_engine_id_style(w->engine) == FDX_IDS_DATASET) {
        *ret_n = sizeof(ids_dataset) / sizeof(ids_dataset[0]);
        return ids_dataset;
    }
    *ret_n = sizeof(ids_flowdx) / sizeof(ids_flowdx[0]);
    return ids_flowdx;
}

void write_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

void format_addr(char *buf, size_t len, uint8_t version, const uint8_t *addr)
{
    if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
}

static void write_csv_header(struct writer *w)
{
    size_t n_ids;
    const struct id_column *ids = id_columns(w, &n_ids);
    for (size_t i = 0; i < n_ids; i++)
        fprintf(w->fp, "%s%s", i ? "," : "", ids[i].name);
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

/* One identifier value; strings are quoted in JSON. */
static void put_id(struct row *r, enum id_field field, const struct fdx_flow_record *rec, bool json)
{
    char text[64];
    const char *str = NULL;
    switch (field) {
    case F_FLOW_ID:
        put_u64(r, rec->flow_id);
        return;
    case F_SRC:
    case F_DST:
        format_addr(text, sizeof(text), rec->ip_version,
                    field == F_SRC ? rec->src_addr : rec->dst_addr);
        str = text;
        break;
    case F_SPORT:
        put_u64(r, rec->src_port);
        return;
    case F_DPORT:
        put_u64(r, rec->dst_port);
        return;
    case F_PROTO:
        put_u64(r, rec->proto);
        return;
    case F_START:
        put_u64(r, rec->start_us);
        return;
    case F_END:
        put_u64(r, rec->end_us);
        return;
    case F_REASON:
        str = fdx_end_reason_name(rec->end_reason);
        break;
    case F_TIMESTAMP: {
        /* The dataset's "%Y-%m-%d %H:%M:%S" of the first packet, in UTC. */
        time_t t = (time_t)(rec->start_us / 1000000u);
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL ||
            strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm) == 0)
            snprintf(text, sizeof(text), "?");
        str = text;
        break;
    }
    }
    if (json)
        put_str(r, "\"");
    put_str(r, str);
    if (json)
        put_str(r, "\"");
}

static void write_csv(struct writer *w, const struct fdx_flow_record *rec)
{
    static struct row r;
    r.n = 0;
    r.overflow = false;
    size_t n_ids;
    const struct id_column *ids = id_columns(w, &n_ids);
    for (size_t i = 0; i < n_ids; i++) {
        if (i > 0)
            put_str(&r, ",");
        put_id(&r, ids[i].field, rec, false);
    }
    for (uint32_t i = 0; i < rec->n_features; i++) {
        put_str(&r, ",");
        put_double(&r, rec->features[i]);
    }
    put_str(&r, "\n");
    emit(w, &r);
}

static void write_jsonl(struct writer *w, const struct fdx_flow_record *rec)
{
    static struct row r;
    r.n = 0;
    r.overflow = false;
    size_t n_ids;
    const struct id_column *ids = id_columns(w, &n_ids);
    for (size_t i = 0; i < n_ids; i++) {
        put_str(&r, i == 0 ? "{\"" : ",\"");
        put_str(&r, ids[i].name);
        put_str(&r, "\":");
        put_id(&r, ids[i].field, rec, true);
    }
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

/* Whether some feature has a value (not when every set skipped the flow, e.g. doh on a non-DoH
 * flow). */
bool record_has_values(const struct fdx_flow_record *r)
{
    for (uint32_t i = 0; i < r->n_features; i++) {
        if (!isnan(r->features[i]))
            return true;
    }
    return r->n_features == 0;
}

bool writer_record(struct writer *w, const struct fdx_flow_record *r)
{
    if (!record_has_values(r))
        return false;
    if (w->failed)
        return true;
    if (w->format == OUT_CSV && !w->header_done) {
        write_csv_header(w);
        w->header_done = true;
    }
    if (w->format == OUT_CSV)
        write_csv(w, r);
    else
        write_jsonl(w, r);
    if (ferror(w->fp))
        w->failed = true;
    return true;
}

void writer_finish(struct writer *w)
{
    if (w->format == OUT_CSV && !w->header_done && !w->failed) {
        write_csv_header(w);
        w->header_done = true;
    }
}

/* Standard output for NULL or "-", else @p path opened as it is, with fopen's @p mode ("w", or
 * "a" for a stream). */
static bool open_plain(struct output *o, const char *path, const char *mode)
{
    memset(o, 0, sizeof(*o));
    if (path == NULL || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return true;
    }
    o->path = path;
    o->fp = fopen(path, mode);
    if (o->fp == NULL) {
        fprintf(stderr, "flowdx: %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

bool output_open(struct output *o, const char *path)
{
    /* A regular file (or a new one) is written under a temporary name and renamed at the end,
     * so an earlier file is replaced only by a complete output. Devices and pipes (/dev/null,
     * a FIFO) are written directly, and so is a dangling symbolic link. A link to a regular file
     * has its target replaced, not the link. */
    struct stat st;
    if (path == NULL || strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
        return open_plain(o, path, "w");
    memset(o, 0, sizeof(*o));
    o->path = path;
    o->target = path;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (realpath(path, o->resolved) == NULL)
            return open_plain(o, path, "w");
        o->target = o->resolved;
    }
    int n = snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", o->target);
    if (n < 0 || (size_t)n >= sizeof(o->tmp)) {
        fprintf(stderr, "flowdx: %s: path too long\n", path);
        return false;
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fprintf(stderr, "flowdx: %s: cannot create a file beside it: %s\n", path, strerror(errno));
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

bool output_open_stream(struct output *o, const char *path)
{
    if (!open_plain(o, path, "a"))
        return false;
    if (o->path == NULL)
        return true; /* standard output */
    struct stat st;
    o->had_bytes = fstat(fileno(o->fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    /* an earlier run stopped in the middle of a line (a full disk, a kill -9): the line is
     * ended, so that the next one can be read (the stream itself is write-only) */
    int fd = o->had_bytes ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    char last = '\n';
    if (fd >= 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
        fputc('\n', o->fp);
    if (fd >= 0)
        close(fd);
    return true;
}

bool output_csv_header(struct output *o, const char *header, const char *prog)
{
    if (o->fp == NULL)
        return true;
    if (!o->had_bytes) {
        fprintf(o->fp, "%s\n", header);
        return true;
    }
    FILE *in = fopen(o->path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = in != NULL ? getline(&line, &cap, in) : -1;
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    bool same = n >= 0 && strcmp(line, header) == 0;
    free(line);
    if (in != NULL)
        fclose(in);
    if (!same)
        fprintf(stderr,
                "%s: %s already holds other rows: its first line is not the CSV header of this "
                "run's columns; name another file, or move it away\n",
                prog, o->path);
    return same;
}

int output_reopen(struct output *o, const char *header, const char *prog, const char *sig)
{
    struct stat st;
    if (o->fp == NULL || o->path == NULL || o->failed ||
        (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)))
        return 0; /* standard output, a device or a FIFO: nothing to rotate */
    if (!output_flush(o, prog))
        return -1;
    struct output n;
    if (!output_open_stream(&n, o->path) ||
        (header != NULL && !output_csv_header(&n, header, prog))) {
        if (n.fp != NULL)
            fclose(n.fp);
        fprintf(stderr, "%s: %s: %s not reopened; writing on to the file already open\n", prog, sig,
                o->path);
        return -1;
    }
    fclose(o->fp);
    *o = n;
    return 1;
}

void output_reopen_one(struct output *o, struct ipfix_out *ipfix, const char *prog, const char *sig,
                       const char *no_reload)
{
    int rc = output_reopen(o, NULL, prog, sig);
    if (rc > 0)
        fprintf(stderr, "%s: %s: %s reopened\n", prog, sig, o->path);
    int xrc = ipfix_out_reopen(ipfix, prog, sig);
    if (xrc > 0)
        fprintf(stderr, "%s: %s: %s reopened\n", prog, sig, ipfix_out_file(ipfix));
    if (rc == 0 && xrc == 0)
        fprintf(stderr,
                "%s: %s: nothing to reopen (the output is not a file) and nothing to reload (%s); "
                "going on\n",
                prog, sig, no_reload);
}

bool output_flush(struct output *o, const char *prog)
{
    if (o->fp == NULL || o->failed)
        return !o->failed;
    errno = 0;
    if (fflush(o->fp) == 0 && !ferror(o->fp))
        return true;
    o->failed = true;
    fprintf(stderr, "%s: writing %s failed: %s; stopping (the records written before are kept)\n",
            prog, o->path ? o->path : "standard output", strerror(errno ? errno : EIO));
    return false;
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
    if (!ok && !o->failed) /* not kept for the caller's reason: the caller said why */
        fprintf(stderr, "flowdx: writing %s failed: %s\n", name, strerror(err));
    if (o->tmp[0] != '\0') {
        if (ok && keep && rename(o->tmp, o->target) != 0) {
            fprintf(stderr, "flowdx: %s: %s\n", o->path, strerror(errno));
            ok = false;
        }
        if (!ok || !keep)
            unlink(o->tmp);
    }
    return ok && keep;
}

/* 1: the same regular file (or the same path); 0: not; -1: a device or FIFO, never a clash. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if ((ea && !S_ISREG(sa.st_mode)) || (eb && !S_ISREG(sb.st_mode)))
        return -1;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb)
        return 0;
    /* neither exists yet: the same name in the same directory */
    char da[PATH_MAX], db[PATH_MAX], pa[PATH_MAX], pb[PATH_MAX];
    const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
    snprintf(pa, sizeof(pa), "%.*s", na ? (int)(na - a) + 1 : 1, na ? a : ".");
    snprintf(pb, sizeof(pb), "%.*s", nb ? (int)(nb - b) + 1 : 1, nb ? b : ".");
    if (realpath(pa, da) == NULL || realpath(pb, db) == NULL)
        return strcmp(a, b) == 0;
    return strcmp(da, db) == 0 && strcmp(na ? na + 1 : a, nb ? nb + 1 : b) == 0;
}

/* A file, not NULL or "-" (standard input or output). */
static bool named(const char *path)
{
    return path != NULL && strcmp(path, "-") != 0;
}

void print_written(const char *prog, const char *const *files, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!named(files[i]))
            continue;
        bool sent = strncmp(files[i], "udp://", 6) == 0 || strncmp(files[i], "tcp://", 6) == 0;
        fprintf(stderr, "%s%s%s%s", first ? prog : "", first ? ": output: " : ", ",
                sent ? "sent to " : "", files[i]);
        first = false;
    }
    if (!first)
        fputc('\n', stderr);
}

bool same_named_file(const char *a, const char *b)
{
    return named(a) && named(b) && same_file(a, b) == 1;
}

/* Whether @p path can be created or replaced: its directory exists and may be written (a
 * device or an existing file that is not regular is written as it is, so only it counts). */
static bool writable_place(const char *prog, const char *what, const char *path)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: is a directory\n", prog, what, path);
        return false;
    }
    if (exists && !S_ISREG(st.st_mode))
        return true;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "%s: %s %s: cannot write in %s: %s\n", prog, what, path, dir,
                strerror(errno));
        return false;
    }
    return true;
}

/* Whether @p path names file descriptor @p fd: "-", or the same file (/dev/fd/N, /proc/self/fd/N,
 * /dev/stdin, or the file itself); a regular file counts only when @p regular_too. */
static bool names_fd(const char *path, int fd, bool regular_too)
{
    if (path == NULL)
        return false;
    if (strcmp(path, "-") == 0)
        return true;
    struct stat sp, sf;
    return stat(path, &sp) == 0 && fstat(fd, &sf) == 0 && (regular_too || !S_ISREG(sf.st_mode)) &&
           sp.st_dev == sf.st_dev && sp.st_ino == sf.st_ino;
}

/* Whether @p path reads standard input: "-", or a name of the pipe, FIFO or terminal that is
 * standard input. A regular file redirected with "<" is opened afresh under such a name, so it
 * can be read twice and is not counted. */
static bool reads_stdin(const char *path)
{
    return names_fd(path, STDIN_FILENO, false);
}

/* Whether writing @p path writes to standard output: "-", or the file or device that is fd 1
 * (/dev/stdout, or the very file stdout was redirected to). */
static bool writes_stdout(const char *path)
{
    return names_fd(path, STDOUT_FILENO, true);
}

bool files_distinct(const char *prog, const struct input_group *in, size_t n_groups,
                    const struct named_file *out, size_t n_out)
{
    const char *stdin_what = NULL, *stdin_path = NULL; /* the first input read from stdin */
    for (size_t g = 0; g < n_groups; g++) {
        for (size_t j = 0; j < in[g].n; j++) {
            if (!reads_stdin(in[g].paths[j]))
                continue;
            if (stdin_what != NULL) {
                fprintf(stderr,
                        "%s: %s %s and %s %s both name standard input, which can be read once\n",
                        prog, stdin_what, stdin_path, in[g].what, in[g].paths[j]);
                return false;
            }
            stdin_what = in[g].what;
            stdin_path = in[g].paths[j];
        }
    }
    const struct named_file *to_stdout = NULL; /* the first output written to stdout */
    for (size_t i = 0; i < n_out; i++) {
        if (writes_stdout(out[i].path)) {
            if (to_stdout != NULL && !(to_stdout->text && out[i].text)) {
                bool da = strcmp(to_stdout->path, "-") != 0, db = strcmp(out[i].path, "-") != 0;
                fprintf(stderr,
                        "%s: %s%s%s and %s%s%s both write to standard output, where their lines "
                        "would mix: give one of them a file\n",
                        prog, to_stdout->what, da ? " " : "", da ? to_stdout->path : "",
                        out[i].what, db ? " " : "", db ? out[i].path : "");
                return false;
            }
            if (to_stdout == NULL || !out[i].text)
                to_stdout = &out[i];
        }
        if (!named(out[i].path))
            continue;
        if (!writable_place(prog, out[i].what, out[i].path))
            return false;
        for (size_t g = 0; g < n_groups; g++) {
            for (size_t j = 0; j < in[g].n; j++) {
                const char *p = in[g].paths[j];
                if (named(p) && same_file(out[i].path, p) == 1) {
                    fprintf(stderr, "%s: %s %s is also an input (%s %s): it would be overwritten\n",
                            prog, out[i].what, out[i].path, in[g].what, p);
                    return false;
                }
            }
        }
        for (size_t j = 0; j < i; j++) {
            if (named(out[j].path) && same_file(out[i].path, out[j].path) == 1) {
                fprintf(stderr, "%s: %s and %s name the same file, %s\n", prog, out[j].what,
                        out[i].what, out[i].path);
                return false;
            }
        }
    }
    return true;
}

bool cli_files_distinct(const char *prog, const char *in_what, const char *const *inputs,
                        int n_inputs, const char *output, const struct ipfix_out *ipfix)
{
    const struct named_file out[] = {{"-o", output, false},
                                     {"--ipfix", ipfix_out_file(ipfix), false}};
    const struct input_group in = {in_what, inputs, (size_t)n_inputs};
    return files_distinct(prog, &in, 1, out, 2);
}

int64_t feature_index(const fdx_engine *e, const char *name)
{
    for (uint32_t i = 0; i < fdx_engine_feature_count(e); i++) {
        if (strcmp(fdx_engine_feature_name(e, i), name) == 0)
            return i;
    }
    return -1;
}

void format_iso_time(char *buf, size_t len, uint64_t us)
{
    time_t t = (time_t)(us / 1000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "?");
}

void format_endpoint(char *buf, size_t len, const uint8_t *addr, uint8_t version, uint16_t port)
{
    char a[64];
    format_addr(a, sizeof(a), version, addr);
    snprintf(buf, len, version == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}
