/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the flowdx command's exit statuses, messages and output formats, run as a process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flowdx_version.h"
#include "scratch.h"

static const char *flowdx_bin;  /* argv[1] */
static const char *samples_dir; /* argv[2] */

/* The identifier columns the usage text of `flowdx extract` promises, in order. */
#define ID_COLUMNS "flow_id,src_addr,src_port,dst_addr,dst_port,proto,start_us,end_us,end_reason"

/*
 * emotet.pcap: 169 packets per samples/SOURCES.md and `capinfos`. `tshark -q -z conv,tcp` lists
 * 6 TCP conversations, each shorter than 49 s and so within the default idle and active
 * timeouts (120 s), and `tshark -Y '!tcp'` shows no other packet: 6 flows.
 */
#define EMOTET_FLOWS 6

/* ---- Running the command ---- */

/* What one run of flowdx produced. */
struct result {
    int status; /* exit status, or -1 if it did not exit normally */
    char *out;  /* standard output, NUL-terminated */
    size_t out_len;
    char *err; /* standard error, NUL-terminated */
    size_t err_len;
};

static void result_fini(struct result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
    if (*len + 4096 + 1 > *cap) {
        size_t ncap = *cap * 2 + 4096 + 1;
        char *nb = realloc(*buf, ncap);
        assert_non_null(nb);
        *buf = nb;
        *cap = ncap;
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n < 0 && errno == EINTR)
        return true;
    assert_true(n >= 0);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return n > 0;
}

/*
 * Run flowdx with @p args (NULL-terminated, without argv[0]) and standard input from
 * @p stdin_path (or /dev/null). No shell is involved, so arguments need no quoting.
 */
static void run(struct result *r, const char *stdin_path, const char *const *args)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = flowdx_bin;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n < sizeof(argv) / sizeof(argv[0]) - 1);
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    int in = open(stdin_path != NULL ? stdin_path : "/dev/null", O_RDONLY);
    assert_true(in >= 0);
    int out[2], err[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(in, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
            dup2(err[1], STDERR_FILENO) < 0)
            _exit(126);
        close(in);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        execv(flowdx_bin, (char *const *)argv);
        _exit(127);
    }
    close(in);
    close(out[1]);
    close(err[1]);

    memset(r, 0, sizeof(*r));
    size_t out_cap = 0, err_cap = 0;
    /* Read both pipes as data comes, so that neither can fill up and block the child. */
    struct pollfd pf[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        int rc = poll(pf, 2, -1);
        if (rc < 0 && errno == EINTR)
            continue;
        assert_true(rc > 0);
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || pf[i].revents == 0)
                continue;
            bool more = i == 0 ? drain(pf[i].fd, &r->out, &r->out_len, &out_cap)
                               : drain(pf[i].fd, &r->err, &r->err_len, &err_cap);
            if (!more) {
                close(pf[i].fd);
                pf[i].fd = -1;
            }
        }
    }
    /* An empty output is still a valid empty string. */
    if (r->out == NULL)
        r->out = calloc(1, 1);
    if (r->err == NULL)
        r->err = calloc(1, 1);
    assert_non_null(r->out);
    assert_non_null(r->err);

    int ws;
    pid_t w;
    while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
        ;
    assert_int_equal(w, pid);
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    if (WIFSIGNALED(ws))
        fail_msg("flowdx died of signal %d; stderr:\n%s", WTERMSIG(ws), r->err);
    assert_true(r->status != 126 && r->status != 127); /* dup2 or exec failed */
}

/* Run and check the exit status, showing stderr when it differs. */
static void run_expect(struct result *r, int status, const char *stdin_path,
                       const char *const *args)
{
    run(r, stdin_path, args);
    if (r->status != status)
        fail_msg("exit status %d, expected %d; stderr:\n%s", r->status, status, r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, haystack);
}

static void sample(const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/spam/ndpi/%s", samples_dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

/* Read a whole file; *ret_len gets its size. */
static char *slurp(const char *path, size_t *ret_len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    assert_int_equal(ferror(fp), 0);
    fclose(fp);
    buf[len] = '\0';
    *ret_len = len;
    return buf;
}

/* ---- Output checks ---- */

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

static size_t count_fields(const char *line, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == ',';
    return n;
}

/*
 * Check that @p csv is a header whose first columns are the identifiers, then rows with as many
 * fields as the header; returns the number of rows.
 */
static size_t check_csv(const char *csv)
{
    assert_true(strncmp(csv, ID_COLUMNS ",", strlen(ID_COLUMNS ",")) == 0);
    const char *nl = strchr(csv, '\n');
    assert_non_null(nl);
    size_t want = count_fields(csv, (size_t)(nl - csv));
    size_t rows = 0;
    for (const char *line = nl + 1; *line != '\0'; rows++) {
        nl = strchr(line, '\n');
        if (nl == NULL)
            fail_msg("row %zu has no line end: '%s'", rows + 1, line);
        size_t got = count_fields(line, (size_t)(nl - line));
        if (got != want)
            fail_msg("row %zu has %zu fields, the header %zu", rows + 1, got, want);
        line = nl + 1;
    }
    return rows;
}

/* ---- Global options and commands ---- */

static void test_cli_help_prints_usage(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 0, NULL, ARGS("--help"));
    assert_contains(r.out, "Usage");
    result_fini(&r);
    run_expect(&r, 0, NULL, ARGS("extract", "--help"));
    assert_contains(r.out, "Usage");
    result_fini(&r);
    /* a command with an action takes --help after the action too, and prints its own usage */
    run_expect(&r, 0, NULL, ARGS("config", "--help"));
    assert_contains(r.out, "Usage: flowdx config check FILE");
    result_fini(&r);
    run_expect(&r, 0, NULL, ARGS("config", "check", "--help"));
    assert_contains(r.out, "Usage: flowdx config check FILE");
    result_fini(&r);
    run_expect(&r, 0, NULL, ARGS("model", "show", "--help"));
    assert_contains(r.out, "Usage: flowdx model show FILE");
    result_fini(&r);
}

static void test_cli_version_prints_project_version(void **state)
{
    (void)state;
    struct result r;
    /* The version comes from meson.build's project(version :), through flowdx_version.h. */
    run_expect(&r, 0, NULL, ARGS("--version"));
    assert_string_equal(r.out, "flowdx " FDX_VERSION_STRING "\n");
    result_fini(&r);
}

static void test_cli_without_arguments_is_usage_error(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 2, NULL, ARGS(NULL));
    assert_contains(r.err, "Usage");
    result_fini(&r);
}

static void test_cli_unknown_command_is_usage_error(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 2, NULL, ARGS("frobnicate"));
    assert_contains(r.err, "frobnicate");
    result_fini(&r);
}

/* A word that no option takes is named, whatever else the command line lacks. */
static void test_cli_stray_argument_is_named(void **state)
{
    (void)state;
    struct result r;
    static const char *const cmds[][8] = {
        {"eval", "-m", "m.fdxm", "-i", "x.csv", "stray", NULL},
        {"label", "-i", "a.csv", "-l", "b.csv", "stray", NULL},
        {"train", "-i", "a.csv", "stray", NULL},
        {"analyze", "importance", "-i", "x.csv", "stray", NULL},
        {"run", "--detect", "spam", "-r", "x.pcap", "stray", NULL},
        {"report", "senders", "-i", "x.csv", "stray", NULL},
        {"collect", "-l", "udp://127.0.0.1:0", "stray", NULL},
        {"extract", "-r", "x.pcap", "stray", NULL},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        run_expect(&r, 2, NULL, cmds[i]);
        assert_contains(r.err, "unexpected argument 'stray'");
        result_fini(&r);
    }
}

static void test_cli_features_lists_sets_and_names(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 0, NULL, ARGS("features"));
    assert_true(strncmp(r.out, "zadnik", 6) == 0 || strstr(r.out, "\nzadnik") != NULL);
    result_fini(&r);

    /* The spec: 32 request features, the same 32 with an 'r' prefix, then oneway. */
    run_expect(&r, 0, NULL, ARGS("features", "zadnik"));
    assert_int_equal(count_lines(r.out), 65);
    char *lines[65];
    char *save = NULL;
    size_t n = 0;
    for (char *t = strtok_r(r.out, "\n", &save); t != NULL && n < 65;
         t = strtok_r(NULL, "\n", &save))
        lines[n++] = t;
    assert_int_equal(n, 65);
    assert_string_equal(lines[0], "sp");
    assert_string_equal(lines[32], "rsp");
    assert_string_equal(lines[64], "oneway");
    /* Each response name is its request name with the prefix. */
    for (size_t i = 0; i < 32; i++) {
        assert_int_equal(lines[32 + i][0], 'r');
        assert_string_equal(lines[32 + i] + 1, lines[i]);
    }
    result_fini(&r);
}

/* ---- extract: command-line errors ---- */

static void test_cli_extract_without_capture_is_usage_error(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract"));
    assert_contains(r.err, "-r");
    result_fini(&r);
}

static void test_cli_extract_unknown_option_is_usage_error(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--no-such-option"));
    assert_contains(r.err, "no-such-option");
    assert_int_equal(r.out_len, 0);
    result_fini(&r);
}

static void test_cli_extract_unknown_format_is_usage_error(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--format", "xml"));
    assert_contains(r.err, "xml");
    assert_int_equal(r.out_len, 0);
    result_fini(&r);
}

static void test_cli_extract_unknown_feature_set_is_usage_error(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "-f", "nosuchset"));
    assert_contains(r.err, "nosuchset");
    assert_contains(r.err, "zadnik");
    assert_int_equal(r.out_len, 0);
    result_fini(&r);
}

static void test_cli_extract_bad_idle_timeout_is_usage_error(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract", "--idle-timeout", "abc"));
    result_fini(&r);
    /* With a capture given, the option alone is the fault. */
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--idle-timeout", "abc"));
    assert_contains(r.err, "idle-timeout");
    assert_contains(r.err, "abc");
    assert_int_equal(r.out_len, 0);
    result_fini(&r);
    /* 0 and less than run's 1 ms are refused with the range, as run's --idle-timeout is */
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--idle-timeout", "0.0005"));
    assert_contains(r.err, "'0.0005' is not a number of seconds from 0.001 to 1e9");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--idle-timeout", "0"));
    assert_contains(r.err, "'0' is not a number of seconds from 0.001 to 1e9");
    result_fini(&r);
}

static void test_cli_extract_bad_filter_is_error(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    /*
     * The contract allows 1 or 2. A filter that libpcap cannot compile is a bad value of an
     * option, so 2, as flowdx(1)'s EXIT STATUS has it (tcpdump says 1).
     */
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "--filter", "bad filter ((("));
    assert_contains(r.err, "filter");
    result_fini(&r);
}

/* ---- extract: input errors ---- */

static void test_cli_extract_missing_capture_is_error(void **state)
{
    char cap[PATH_MAX];
    scratch_path(*state, "no-such-capture.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 1, NULL, ARGS("extract", "-r", cap));
    assert_contains(r.err, cap);
    result_fini(&r);
}

static void test_cli_extract_text_file_is_error(void **state)
{
    char cap[PATH_MAX];
    scratch_path(*state, "notes.txt", cap, sizeof(cap));
    static const char text[] = "Not a capture: just a line of text.\n";
    scratch_write(cap, text, sizeof(text) - 1);
    struct result r;
    run_expect(&r, 1, NULL, ARGS("extract", "-r", cap));
    assert_contains(r.err, "not a pcap");
    assert_contains(r.err, cap);
    result_fini(&r);
}

/*
 * Walk the records of a little-endian microsecond pcap (pcap-savefile(5): 24-byte file header,
 * then per record a 16-byte header whose bytes 8-11 are caplen) and return the 1-based number of
 * the record whose data contains offset @p cut, or 0 if @p cut falls on a record boundary or in
 * a record header.
 */
static unsigned record_cut_in_data(const unsigned char *d, size_t len, size_t cut)
{
    assert_true(len >= 24);
    assert_memory_equal(d, "\xd4\xc3\xb2\xa1", 4);
    size_t off = 24;
    for (unsigned i = 1; off + 16 <= len; i++) {
        uint32_t caplen = (uint32_t)d[off + 8] | (uint32_t)d[off + 9] << 8 |
                          (uint32_t)d[off + 10] << 16 | (uint32_t)d[off + 11] << 24;
        size_t data = off + 16, end = data + caplen;
        if (cut > data && cut < end)
            return i;
        if (cut <= data)
            return 0;
        off = end;
    }
    return 0;
}

#define EMOTET_CUT_BYTES 60000

static void test_cli_extract_truncated_capture_keeps_flows(void **state)
{
    char src[PATH_MAX], cap[PATH_MAX];
    sample("emotet.pcap", src, sizeof(src));
    scratch_path(*state, "emotet-cut.pcap", cap, sizeof(cap));
    size_t len;
    char *whole = slurp(src, &len);
    assert_true(len > EMOTET_CUT_BYTES);
    /*
     * 60000 bytes end inside packet 96's data (its record starts at 59788 and its 1415 bytes of
     * data at 59804); `capinfos` on the copy reads 95 packets and says the file "appears to have
     * been cut short in the middle of a packet". The walk below checks the same.
     */
    unsigned cut_packet = record_cut_in_data((const unsigned char *)whole, len, EMOTET_CUT_BYTES);
    assert_int_equal(cut_packet, 96);
    scratch_write(cap, whole, EMOTET_CUT_BYTES);
    free(whole);

    struct result r;
    run_expect(&r, 3, NULL, ARGS("extract", "-r", cap));
    assert_contains(r.err, "packet 96");
    /*
     * `tshark -q -z conv,tcp` on the 95 packets lists 2 TCP conversations (the port-587 one and
     * 10.3.29.101:56309 -> 104.161.127.22:80), both shorter than the timeouts.
     */
    assert_int_equal(check_csv(r.out), 2);
    result_fini(&r);
}

/*
 * A record header libpcap cannot believe (packet 96's caplen, at 59788 + 8 as walked above, set
 * to 0xffffffff): the 2 flows before it are written, the run goes on with the next capture
 * (smtp.pcap: one TCP conversation and no other packets, per `tshark -z conv,tcp`), and the exit
 * status says the input was damaged.
 */
static void test_cli_extract_corrupt_record_keeps_flows_and_goes_on(void **state)
{
    char src[PATH_MAX], cap[PATH_MAX], next[PATH_MAX];
    sample("emotet.pcap", src, sizeof(src));
    sample("smtp.pcap", next, sizeof(next));
    scratch_path(*state, "emotet-bad.pcap", cap, sizeof(cap));
    size_t len;
    unsigned char *whole = (unsigned char *)slurp(src, &len);
    assert_int_equal(record_cut_in_data(whole, len, 59788 + 16 + 1), 96);
    memset(whole + 59788 + 8, 0xff, 4);
    scratch_write(cap, whole, len);
    free(whole);

    struct result r;
    run_expect(&r, 3, NULL, ARGS("extract", "-r", cap, "-r", next));
    assert_contains(r.err, "packet 96");
    assert_int_equal(check_csv(r.out), 3);
    result_fini(&r);
}

/*
 * An empty file and a capture cut inside its 24-byte pcap file header (a file just rotated in) are
 * skipped as damaged captures, before the first capture read as after it: the rows are those of a
 * run on the two whole captures alone, and the exit status is 3. A file of 3 bytes cannot be told
 * from another kind of file and still ends the run.
 */
static void test_cli_extract_empty_and_header_cut_captures_skipped(void **state)
{
    char src[PATH_MAX], smtp[PATH_MAX], empty[PATH_MAX], cut[PATH_MAX], tiny[PATH_MAX];
    sample("emotet.pcap", src, sizeof(src));
    sample("smtp.pcap", smtp, sizeof(smtp));
    scratch_path(*state, "empty.pcap", empty, sizeof(empty));
    scratch_path(*state, "cut20.pcap", cut, sizeof(cut));
    scratch_path(*state, "cut3.pcap", tiny, sizeof(tiny));
    size_t len;
    char *whole = slurp(src, &len);
    scratch_write(empty, whole, 0);
    scratch_write(cut, whole, 20);
    scratch_write(tiny, whole, 3);
    free(whole);

    struct result r;
    run_expect(&r, 0, NULL, ARGS("extract", "-r", src, "-r", smtp));
    int both = check_csv(r.out);
    result_fini(&r);
    run_expect(&r, 3, NULL, ARGS("extract", "-r", empty, "-r", src, "-r", cut, "-r", smtp));
    assert_contains(r.err, "empty.pcap: empty file, no capture header; skipped");
    assert_contains(r.err, "cut20.pcap: a pcap capture cut in its file header (20 of 24 bytes)");
    assert_int_equal(check_csv(r.out), both);
    result_fini(&r);
    run_expect(&r, 1, NULL, ARGS("extract", "-r", empty));
    assert_contains(r.err, "empty.pcap: empty file, no capture header");
    result_fini(&r);
    run_expect(&r, 1, NULL, ARGS("extract", "-r", src, "-r", tiny, "-r", smtp));
    assert_contains(r.err, "cut3.pcap: not a pcap or pcapng capture");
    result_fini(&r);
    /* /proc files say size 0 but have bytes: not empty, and not a capture (exit 1) */
    run_expect(&r, 1, NULL, ARGS("extract", "-r", "/proc/self/status", "-r", smtp));
    assert_contains(r.err, "/proc/self/status: not a pcap or pcapng capture");
    result_fini(&r);
}

/* A capture that cannot be opened must not clobber an existing output file. */
static void test_cli_extract_failed_open_keeps_existing_output(void **state)
{
    char out[PATH_MAX], missing[PATH_MAX];
    scratch_path(*state, "result.csv", out, sizeof(out));
    scratch_path(*state, "no-such.pcap", missing, sizeof(missing));
    static const char precious[] = "earlier results\n";
    scratch_write(out, precious, sizeof(precious) - 1);
    struct result r;
    run_expect(&r, 1, NULL, ARGS("extract", "-r", missing, "-o", out));
    assert_contains(r.err, missing);
    size_t len;
    char *kept = slurp(out, &len);
    assert_string_equal(kept, precious);
    free(kept);
    result_fini(&r);
}

/* An output naming an input (by another path too) or another output is refused before anything
 * is written: the capture stays a capture. */
static void test_cli_output_never_overwrites_input(void **state)
{
    char cap[PATH_MAX], other[PATH_MAX], out[PATH_MAX], src[PATH_MAX];
    scratch_path(*state, "c.pcap", cap, sizeof(cap));
    scratch_path(*state, "./c.pcap", other, sizeof(other));
    scratch_path(*state, "out.csv", out, sizeof(out));
    sample("emotet.pcap", src, sizeof(src));
    size_t len;
    char *bytes = slurp(src, &len);
    scratch_write(cap, bytes, len);
    struct result r;
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "-o", other));
    assert_contains(r.err, "is also an input (-r ");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("run", "--detect", "spam", "-r", cap, "--ipfix", cap));
    assert_contains(r.err, "--ipfix");
    assert_contains(r.err, "is also an input");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("extract", "-r", cap, "-o", out, "--ipfix", out));
    assert_contains(r.err, "-o and --ipfix name the same file");
    result_fini(&r);
    size_t now_len;
    char *now = slurp(cap, &now_len);
    assert_int_equal(now_len, len);
    assert_memory_equal(now, bytes, len);
    free(now);
    free(bytes);
    /* the same in a configuration: refused at load (config check and run -c), exit 2 */
    char yaml[PATH_MAX], text[3 * PATH_MAX];
    scratch_path(*state, "c.yaml", yaml, sizeof(yaml));
    int n = snprintf(text, sizeof(text), "outputs:\n  jsonl: {file: %s}\n  csv: {file: %s}\n", out,
                     out);
    scratch_write(yaml, text, (size_t)n);
    /* located at each name: "  jsonl: {file: " is 16 characters, "  csv: {file: " 14 */
    run_expect(&r, 2, NULL, ARGS("config", "check", yaml));
    assert_contains(r.err, "c.yaml:2:17: outputs.jsonl and ");
    assert_contains(r.err, "c.yaml:3:15: outputs.csv name the same file");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("run", "-c", yaml, "-r", cap));
    assert_contains(r.err, "c.yaml:2:17: outputs.jsonl and ");
    assert_contains(r.err, "c.yaml:3:15: outputs.csv name the same file");
    result_fini(&r);
    n = snprintf(text, sizeof(text), "input:\n  read: [%s]\noutputs:\n  csv: {file: %s}\n", cap,
                 other);
    scratch_write(yaml, text, (size_t)n);
    run_expect(&r, 2, NULL, ARGS("config", "check", yaml));
    assert_contains(r.err, "c.yaml:4:15: outputs.csv ");
    assert_contains(r.err, "is also an input (");
    assert_contains(r.err, "c.yaml: input.read ");
    result_fini(&r);
    /* /dev/null may be named twice */
    run_expect(&r, 0, NULL,
               ARGS("extract", "-q", "-r", cap, "-o", "/dev/null", "--ipfix", "/dev/null"));
    result_fini(&r);
}

/* A misspelt detector key is named, also where the default model it would load is missing. */
static void test_cli_config_typo_named_before_missing_model(void **state)
{
    char yaml[PATH_MAX], text[PATH_MAX + 100];
    scratch_path(*state, "t.yaml", yaml, sizeof(yaml));
    int n = snprintf(text, sizeof(text), "data_dir: %s/nowhere\ndetectors:\n  spam: {modle: x}\n",
                     samples_dir);
    scratch_write(yaml, text, (size_t)n);
    struct result r;
    run_expect(&r, 2, NULL, ARGS("config", "check", yaml));
    assert_contains(r.err, "unknown key 'modle' (did you mean 'model'?)");
    result_fini(&r);
}

/* ---- extract: output ---- */

static void test_cli_extract_csv_header_and_rows(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 0, NULL, ARGS("extract", "-q", "-r", cap));
    assert_int_equal(check_csv(r.out), EMOTET_FLOWS);
    /* 9 identifiers + 65 zadnik features (the spec's 32 + 32 + oneway) = 74 columns. */
    const char *nl = strchr(r.out, '\n');
    assert_non_null(nl);
    assert_int_equal(count_fields(r.out, (size_t)(nl - r.out)), 74);
    result_fini(&r);
}

static void test_cli_extract_summary_unless_quiet(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 0, NULL, ARGS("extract", "-r", cap));
    assert_contains(r.err, "packets");
    assert_contains(r.err, "flows");
    result_fini(&r);
    run_expect(&r, 0, NULL, ARGS("extract", "-q", "-r", cap));
    assert_int_equal(r.err_len, 0);
    assert_true(r.out_len > 0);
    result_fini(&r);
}

static void test_cli_extract_reads_standard_input(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result file, piped;
    run_expect(&file, 0, NULL, ARGS("extract", "-q", "-r", cap));
    run_expect(&piped, 0, cap, ARGS("extract", "-q", "-r", "-"));
    assert_int_equal(check_csv(piped.out), EMOTET_FLOWS);
    assert_int_equal(piped.out_len, file.out_len);
    assert_memory_equal(piped.out, file.out, file.out_len);
    result_fini(&file);
    result_fini(&piped);
}

static void test_cli_extract_output_file_matches_stdout(void **state)
{
    char cap[PATH_MAX], out[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    scratch_path(*state, "flows.csv", out, sizeof(out));
    struct result to_stdout, to_file;
    run_expect(&to_stdout, 0, NULL, ARGS("extract", "-q", "-r", cap));
    run_expect(&to_file, 0, NULL, ARGS("extract", "-q", "-r", cap, "-o", out));
    assert_int_equal(to_file.out_len, 0);
    size_t len;
    char *written = slurp(out, &len);
    assert_int_equal(check_csv(written), EMOTET_FLOWS);
    assert_int_equal(len, to_stdout.out_len);
    assert_memory_equal(written, to_stdout.out, len);
    free(written);
    result_fini(&to_stdout);
    result_fini(&to_file);
}

static void test_cli_extract_jsonl_one_object_per_flow(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result csv, json;
    run_expect(&csv, 0, NULL, ARGS("extract", "-q", "-r", cap));
    run_expect(&json, 0, NULL, ARGS("extract", "-q", "-r", cap, "--format", "jsonl"));
    size_t rows = check_csv(csv.out);
    assert_int_equal(rows, EMOTET_FLOWS);
    assert_int_equal(count_lines(json.out), rows);
    char *save = NULL;
    size_t n = 0;
    for (char *line = strtok_r(json.out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), n++) {
        size_t len = strlen(line);
        assert_true(len > 2);
        assert_int_equal(line[0], '{');
        assert_int_equal(line[len - 1], '}');
        assert_true(strncmp(line, "{\"flow_id\":", 11) == 0);
        assert_contains(line, ",\"sp\":");
    }
    assert_int_equal(n, rows);
    result_fini(&csv);
    result_fini(&json);
}

static void test_cli_extract_filter_selects_submission_flow(void **state)
{
    (void)state;
    char cap[PATH_MAX];
    sample("emotet.pcap", cap, sizeof(cap));
    struct result r;
    run_expect(&r, 0, NULL, ARGS("extract", "-q", "-r", cap, "--filter", "tcp port 587"));
    /* SOURCES.md: the one SMTP submission is 10.2.25.102:57309 -> 193.252.22.84:587. */
    assert_int_equal(check_csv(r.out), 1);
    const char *row = strchr(r.out, '\n') + 1;
    static const char want[] = "1,10.2.25.102,57309,193.252.22.84,587,6,";
    if (strncmp(row, want, strlen(want)) != 0)
        fail_msg("row '%.60s...' does not start with '%s'", row, want);
    result_fini(&r);
}

/* ---- flowdx collect: the command line (the collection itself: golden/collect_softflowd.sh) ----
 */

static void test_cli_collect_usage_errors(void **state)
{
    (void)state;
    struct result r;
    run_expect(&r, 0, NULL, ARGS("collect", "--help"));
    assert_contains(r.out, "Usage: flowdx collect -l udp://HOST:PORT");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect"));
    assert_contains(r.err, "-l udp://HOST:PORT or tcp://HOST:PORT expected");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "--format", "csv"));
    assert_contains(r.err, "--format: 'csv' (alerts or jsonl)");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "--detect", "doh"));
    assert_contains(r.err, "--detect doh: give its model with -m FILE");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "--detect", "Bad Name"));
    assert_contains(r.err, "is not a name of a-z");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "--unpaired", "maybe"));
    assert_contains(r.err, "--unpaired: 'maybe' (zero or unknown)");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "--ipfix-pen", "7"));
    assert_contains(r.err, "need --ipfix DEST");
    result_fini(&r);
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "sctp://127.0.0.1:4739", "--detect", "none"));
    assert_contains(r.err, "unknown transport 'sctp'");
    result_fini(&r);
    /* a -l that is not an address is a bad command line (2), named; one that cannot be bound
     * (192.0.2.1, TEST-NET-1, is on no interface here) an error (1) */
    run_expect(&r, 2, NULL, ARGS("collect", "-l", "udp://127.0.0.1:99999", "--detect", "none"));
    assert_contains(r.err, "udp://127.0.0.1:99999: port '99999' is not a number from 0 to 65535");
    result_fini(&r);
    run_expect(&r, 1, NULL, ARGS("collect", "-l", "udp://192.0.2.1:4739", "--detect", "none"));
    assert_contains(r.err, "udp://192.0.2.1:4739");
    result_fini(&r);
    /* a model file that cannot be read is an error (1), as in run and eval; one that does not
     * fit the command (another feature set) is a usage error (2): golden/collect_softflowd.sh */
    run_expect(&r, 1, NULL, ARGS("collect", "-l", "udp://127.0.0.1:0", "-m", "/nonexistent.fdxm"));
    assert_contains(r.err, "/nonexistent.fdxm");
    result_fini(&r);
    run_expect(&r, 1, NULL,
               ARGS("run", "--detect", "spam", "-m", "/nonexistent.fdxm", "-r", "/dev/null"));
    assert_contains(r.err, "/nonexistent.fdxm");
    result_fini(&r);
    run_expect(&r, 1, NULL, ARGS("eval", "-m", "/nonexistent.fdxm", "-i", "/dev/null"));
    assert_contains(r.err, "/nonexistent.fdxm");
    result_fini(&r);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FLOWDX_BINARY SAMPLES_DIR\n", argv[0]);
        return 2;
    }
    flowdx_bin = argv[1];
    samples_dir = argv[2];
    /* A test that fails while reading pipes must not be killed by a SIGPIPE of its own. */
    signal(SIGPIPE, SIG_IGN);
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_help_prints_usage),
        cmocka_unit_test(test_cli_version_prints_project_version),
        cmocka_unit_test_setup_teardown(test_cli_extract_corrupt_record_keeps_flows_and_goes_on,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_cli_extract_failed_open_keeps_existing_output,
                                        scratch_setup, scratch_teardown),
        cmocka_unit_test(test_cli_without_arguments_is_usage_error),
        cmocka_unit_test(test_cli_unknown_command_is_usage_error),
        cmocka_unit_test(test_cli_stray_argument_is_named),
        cmocka_unit_test(test_cli_features_lists_sets_and_names),
        cmocka_unit_test(test_cli_extract_without_capture_is_usage_error),
        cmocka_unit_test(test_cli_extract_unknown_option_is_usage_error),
        cmocka_unit_test(test_cli_extract_unknown_format_is_usage_error),
        cmocka_unit_test(test_cli_extract_unknown_feature_set_is_usage_error),
        cmocka_unit_test(test_cli_extract_bad_idle_timeout_is_usage_error),
        cmocka_unit_test(test_cli_extract_bad_filter_is_error),
        T(test_cli_extract_missing_capture_is_error),
        T(test_cli_extract_text_file_is_error),
        T(test_cli_extract_truncated_capture_keeps_flows),
        T(test_cli_extract_empty_and_header_cut_captures_skipped),
        cmocka_unit_test(test_cli_extract_csv_header_and_rows),
        cmocka_unit_test(test_cli_extract_summary_unless_quiet),
        cmocka_unit_test(test_cli_extract_reads_standard_input),
        T(test_cli_extract_output_file_matches_stdout),
        cmocka_unit_test(test_cli_extract_jsonl_one_object_per_flow),
        cmocka_unit_test(test_cli_extract_filter_selects_submission_flow),
        cmocka_unit_test(test_cli_collect_usage_errors),
        T(test_cli_output_never_overwrites_input),
        T(test_cli_config_typo_named_before_missing_model),
    };
#undef T
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
