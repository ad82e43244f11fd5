/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarations shared by the files of the flowdx command. */
#ifndef FDX_TOOLS_TOOL_H
#define FDX_TOOLS_TOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"
#include "flowdx/flowdx_model.h"

/* Exit statuses, documented in doc/flowdx.1. */
#define EXIT_OK 0
#define EXIT_ERROR 1   /* nothing or not everything could be done: see the message */
#define EXIT_USAGE 2   /* bad command line */
#define EXIT_PARTIAL 3 /* input damaged: every flow read before the damage was written */

int cmd_extract(int argc, char **argv);
void usage_extract(FILE *out);
int cmd_features(int argc, char **argv);
void usage_features(FILE *out);
int cmd_train(int argc, char **argv);
void usage_train(FILE *out);
int cmd_eval(int argc, char **argv);
void usage_eval(FILE *out);
int cmd_model(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_run(int argc, char **argv);
void usage_run(FILE *out);
void usage_label(FILE *out);
void usage_model(FILE *out);
int cmd_analyze(int argc, char **argv);
void usage_analyze(FILE *out);
int cmd_report(int argc, char **argv);
void usage_report(FILE *out);
int cmd_collect(int argc, char **argv);
void usage_collect(FILE *out);

/* Seconds given as text (decimals ok) in microseconds, when they are from @p min_us to @p max_us;
 * false, silently, for anything else: the caller says what it takes. */
bool seconds_in_us(const char *text, double min_us, double max_us, uint64_t *ret_us);
/* Option values: false (after printing "flowdx: OPTION: ...") when @p text is not valid. */
bool parse_seconds_us(const char *option, const char *text, uint64_t *ret_us);
bool parse_double(const char *option, const char *text, double *ret);
/* --nan-value V: a finite number, else false after printing "@p prog: --nan-value: ..." */
bool parse_nan_value(const char *prog, const char *text, double *ret);
/* False, after printing "PROG: OPTION: an empty list names no feature", when @p list holds no
 * name (only commas and blanks: what "$(paste -sd, FILE)" gives for an empty FILE). */
bool names_some(const char *prog, const char *option, const char *list);
/* "unexpected argument 'ARG'" (in a static buffer, ARG cut at 100 bytes), for a usage error. */
const char *unexpected_argument(const char *arg);
/* Sources and their spam flows, as `flowdx report senders` counts them (senders.c). */
struct senders;
struct senders *senders_new(void);
/* One flow of source @p addr (canonical inet_ntop text); false when out of memory or sources. */
bool senders_count(struct senders *s, const char *addr, bool spam);
/* The report (main senders: at least @p min_spam spam flows; every source with @p all; JSON with
 * @p json) to @p out; false, silently, when it could not be written (closing @p out's output
 * says why). */
bool senders_write(const struct senders *s, FILE *out, const char *input, uint64_t min_spam,
                   bool all, bool json);
void senders_free(struct senders *s);
/* The input the report names: the interface @p iface if not NULL, else the capture when there is
 * one, else "the captures". */
const char *senders_input_name(const char *iface, const char *const *inputs, int n_inputs);

bool parse_double_in(const char *option, const char *text, double min, double max, double *ret);
/* Whether @p arg asks for help: --help or -h. */
bool is_help(const char *arg);
bool parse_u32(const char *option, const char *text, uint32_t min, uint32_t max, uint32_t *ret);
/* Comma-separated port list into @p ports (capacity @p cap). */
bool parse_ports(const char *option, const char *text, uint16_t *ports, uint32_t cap,
                 uint32_t *ret_n);

/* ---- the statistics line of a read loop (statline.c) ---- */

struct statline {
    long long start_ns;    /* when reading began (monotonic) */
    long long last_ns;     /* the previous line, or start_ns */
    uint64_t last_packets; /* the engine's packet count at the previous line */
    uint64_t bytes;        /* wire bytes of the packets fed, counted by the read loop */
    /* the counters of the engines a reload replaced, added to the running engine's */
    uint64_t base_packets, base_finished, base_malformed, base_skipped;
};

/* "PROG: stats: elapsed=... packets=... pps=... bytes=... flows_active=... flows_finished=...
 * [drops=... ifdrops=...] malformed=... skipped=... [alerts=...]" on standard error; the drops
 * with @p cap (a live capture's counters), alerts with @p alerts. */
void statline_print(struct statline *s, const char *prog, const fdx_engine *e,
                    const struct fdx_capture_stats *cap, const uint64_t *alerts, long long now_ns);
/* A reload replaced @p old (flushed): its counters go on in the next lines. */
void statline_retire(struct statline *s, const fdx_engine *old);

/* ---- reading captures or an interface into an engine (feed.c) ---- */

struct feeder {
    const char *const *inputs; /* captures, read in this order as one stream */
    int n_inputs;
    const char *iface;                    /* a live interface instead of inputs, or NULL */
    struct fdx_capture_live_options live; /* settings for iface (its bpf comes from filter) */
    const char *filter;                   /* BPF, or NULL */
    const char *prog;                     /* message prefix, e.g. "flowdx extract" */
    bool progress;                        /* a progress line on standard error */
    bool catch_signals;                   /* SIGINT/SIGTERM stop reading; what was read is kept */
    bool quiet;                           /* -q: no "listening on" line, no oversize warning */
    long long stats_every_ns;             /* a statistics line this often (wall time); 0 = never */
    const uint64_t *alerts;               /* shown in statistics lines, or NULL */
    /* Live: called with the engine's new clock (the wall clock, a little behind) after it
     * moved without packets, at least once a second; NULL = nothing to do. */
    void (*tick)(void *user, uint64_t now_us);
    void *tick_user;
    /* The command's pair rule (DoH), or NULL: once the engine is flushed at the end, before the
     * last statistics line, *pairs is freed, which decides the flows it held, and set NULL. */
    fdx_pairs **pairs;
    /* Live: SIGHUP (@p config true: the configuration is read again and the output files
     * reopened) or SIGUSR1 (@p config false: the output files reopened, for log rotation) calls
     * this between packets with the running engine; it returns the engine to go on with: the
     * same one (a reload refused, or only the outputs reopened), or a new one, after flushing
     * @p e, which the feeder then frees once its counters are taken into the statistics line.
     * NULL: neither signal is caught. */
    fdx_engine *(*reload)(void *user, fdx_engine *e, bool config);
    void *reload_user;
    fdx_engine **reloaded; /* set to the engine in use at the end, if not NULL */
    fdx_capture *first;    /* opened by feeder_open() */
    int first_index;       /* its input: captures before it were empty or cut in their header */
    uint32_t n_skipped;    /* captures skipped: empty, or cut in their file header */
    long long last_progress_ns;
    long long last_tick_ns; /* live: the last time the wall clock reached the engine */
    struct statline stats;
    struct fdx_capture_stats cap_stats; /* live: the capture's counters at the end */
    bool have_cap_stats;
    bool warned_over_mtu; /* live: the first packet over the MTU was reported */
    bool bad_filter;      /* feeder_open failed on the filter's text: the user's error (exit 2) */
};

/* Open the first capture or the interface, before the command opens its output, so that a typo
 * in -r cannot clobber -o FILE. An empty capture, or one cut in its file header, is skipped with a
 * message when another follows (feeder_run then says EXIT_PARTIAL). false after printing why. */
bool feeder_open(struct feeder *f);
/* Close the first capture when the command gives up before feeder_run(). */
void feeder_abort(struct feeder *f);
/* Feed every capture in order, or the interface until SIGINT/SIGTERM, then flush the engine:
 * EXIT_OK, EXIT_PARTIAL (a capture was damaged, empty or cut in its header, or reading was
 * interrupted) or EXIT_ERROR (a later capture could not be opened, or the live capture failed). */
int feeder_run(struct feeder *f, fdx_engine *e);
/* Live: the capture's packet and drop counters, one line on standard error. */
void feeder_summary(const struct feeder *f);
/* Live: end the capture as SIGTERM does (every open flow is still ended and written), e.g. when
 * an output can no longer be written. */
void feeder_stop(void);
long long monotonic_ns(void);
/* SIGINT and SIGTERM call @p handler (which should set a flag and break the blocked read), once:
 * a second signal ends the process. */
void catch_stop_signals(void (*handler)(int));
/* SIGHUP and SIGUSR1 to @p handler, without SA_RESTART (a wait returns and the loop serves it). */
void catch_hangup_signal(void (*handler)(int));

/* ---- running as another user (privdrop.c) ---- */

struct run_as {
    char name[64];
    char what[400]; /* its name in messages: "--user NAME", or "FILE:LINE:COL: key 'user': NAME" */
    uid_t uid;
    gid_t gid;
};

/* Look up user @p name, given by --user (@p where NULL) or by a configuration's input.user at
 * @p where ("FILE:LINE:COL"); false after printing why (no such user). */
bool run_as_lookup(const char *prog, const char *where, const char *name, struct run_as *ret);
/* Become the user for good: supplementary groups, group, user; then check that every ID changed
 * and root cannot be regained. false after printing why. */
bool run_as_switch(const char *prog, const struct run_as *u);
/* Before anything is opened: whether output @p path (named @p what in messages; NULL and "-" are
 * standard output), which is opened once the user is changed to @p u, can be written by @p u:
 * asked with access() in a short-lived child that becomes the user. @p replaced: the file is
 * written beside and renamed over (output_open), so its directory must be writable; else it is
 * written in place (output_open_stream, an IPFIX file). False after printing "PROG: WHAT PATH:
 * user NAME cannot ..."; true also when the child cannot become the user (not root:
 * run_as_switch() says so). */
bool run_as_can_write(const char *prog, const struct run_as *u, const char *what, const char *path,
                      bool replaced);

/* ---- flow record writers ---- */

enum out_format { OUT_CSV, OUT_JSONL };

struct writer {
    FILE *fp;
    enum out_format format;
    const fdx_engine *engine;
    bool header_done;
    bool failed; /* a write failed: reported once at the end */
};

/* Write one record (and the CSV header before the first). false for a record without any value
 * (see record_has_values), which is not written. */
bool writer_record(struct writer *w, const struct fdx_flow_record *r);

/* End of output: a CSV without any flow still gets its header row. */
void writer_finish(struct writer *w);

/* Where rows go: standard output, a device or FIFO, or a regular file replaced at the end. */
struct output {
    FILE *fp;
    const char *path;        /* NULL for standard output */
    const char *target;      /* the file renamed over: path, or resolved for a symbolic link */
    char resolved[PATH_MAX]; /* the link's target */
    char tmp[4096];          /* temporary name while a regular file is written, else "" */
    bool failed;             /* a write failed and output_flush said so */
    bool had_bytes;          /* a stream: the file held something when it was opened */
};

/* Live: write out what is buffered. False when @p o cannot be written (a full disk): the first
 * time, after printing why, with the system's reason. */
bool output_flush(struct output *o, const char *prog);
/* Open @p path ("-" or NULL = standard output); false after printing why. */
bool output_open(struct output *o, const char *path);
/* The same for a run without an end (a live capture, the collector): @p path is written
 * directly, so that its rows can be read while they come, and appended to, so that a restart
 * keeps what an earlier run wrote (a last line an earlier run left cut is ended first). */
bool output_open_stream(struct output *o, const char *path);
/* A stream about to get CSV rows whose first line is @p header (without its end): true when
 * the file was empty (the header is written now) or already starts with that line; false after
 * saying that the file holds other columns. */
bool output_csv_header(struct output *o, const char *header, const char *prog);
/* Signal @p sig ("SIGHUP", "SIGUSR1"): a stream's file opened again by its name (a log rotation
 * moved it away), then the old one closed; with @p header, as output_csv_header. 1 when reopened;
 * 0 for standard output, a device or a FIFO, left as they are; -1 after printing why, the file
 * already open kept. */
int output_reopen(struct output *o, const char *header, const char *prog, const char *sig);
struct ipfix_out;
/* The same for a command's output and its IPFIX output (@p ipfix, an --ipfix file), saying what
 * was done: "PROG: SIG: FILE reopened" for each, or that there is nothing to reopen and nothing
 * to reload (@p no_reload says why). */
void output_reopen_one(struct output *o, struct ipfix_out *ipfix, const char *prog, const char *sig,
                       const char *no_reload);
/* Finish: with @p keep and no write error, the output takes its name; else the temporary file
 * is removed. False when the output is not kept: a write error is printed here, a @p keep of
 * false is the caller's to explain. */
bool output_close(struct output *o, bool keep);

/* Captures a run reads at the most (-r, repeatable; input.read). */
#define MAX_INPUTS 256

/* Lines of a text file, without their end (LF, CR LF or a lone CR), for the commands' CSV and
 * JSON-lines readers. */
struct text_reader {
    FILE *fp;
    const char *name; /* the file, in messages */
    const char *prog; /* "flowdx label", ... */
    char *line;       /* the current line (owned: free it) */
    size_t cap;
    uint64_t line_no; /* of the current line, from 1 */
};
#define TEXT_LINE_MAX (1u << 20)
/* The next line into r->line (a UTF-8 byte order mark before the first is dropped): 1, 0 at the
 * end, -1 after printing why (a read error, a NUL byte, a line over TEXT_LINE_MAX bytes). */
int text_reader_next(struct text_reader *r);
/* False, after printing "PROG: FILE:LINE: column 'x' appears twice (columns 2 and 5)", when a
 * name stands twice among the @p n columns of the header line just read by @p r. */
bool columns_unique(const struct text_reader *r, char *const *cols, size_t n);

/* A file a command reads or writes, and how it was named (for messages). */
struct named_file {
    const char *what; /* "-o", "--ipfix", "outputs.csv", ... */
    const char *path; /* NULL or "-": standard input or output, never compared */
    bool text;        /* text for people (alerts, a report): may share standard output with
                         other such text, never with records (rows, JSON lines, IPFIX) */
};

/* "PROG: output: FILE, sent to udp://HOST:PORT, ..." on standard error, for the @p n files and
 * IPFIX destinations a run wrote (NULL and "-" left out: callers pass NULL for an output that
 * failed, as output_close() and ipfix_out_sent() tell); nothing when there is none. */
void print_written(const char *prog, const char *const *files, size_t n);

/* Whether @p a and @p b, neither NULL nor "-", name one regular file (or would create one). */
bool same_named_file(const char *a, const char *b);

/* Input files named by one option: "-r" and its captures, "-m" and its model, ... */
struct input_group {
    const char *what;
    const char *const *paths; /* NULL or "-" entries are never compared */
    size_t n;
};
/* False, after printing "PROG: ..." why, when an output would overwrite an input (a file of one
 * of the @p n_groups groups) or another output: the same path, or the same existing file under
 * another name. Devices and FIFOs (/dev/null) may be named more than once. Also false when an
 * output is a directory or its directory cannot be written, so that a long run does not fail at
 * its end. */
bool files_distinct(const char *prog, const struct input_group *in, size_t n_groups,
                    const struct named_file *out, size_t n_out);
struct ipfix_out;
/* files_distinct() for a command line: inputs (@p in_what "-r" CAPTURE..., "-m" MODEL) against
 * -o FILE and --ipfix FILE. */
bool cli_files_distinct(const char *prog, const char *in_what, const char *const *inputs,
                        int n_inputs, const char *output, const struct ipfix_out *ipfix);

/* Index of the record value named @p name in @p e's records, or -1. */
int64_t feature_index(const fdx_engine *e, const char *name);

/* Whether any feature of @p r has a value (a record of sets that all skipped the flow has none,
 * and is not written). */
bool record_has_values(const struct fdx_flow_record *r);

/* ---- --ipfix DEST, --ipfix-pen N, --ipfix-domain N, --ipfix-reconnect S (ipfix.c) ---- */

/* Option codes (each command lists the four in its long options); the commands' own codes stay
 * below 512. */
enum { IPFIX_OPT_DEST = 512, IPFIX_OPT_PEN, IPFIX_OPT_DOMAIN, IPFIX_OPT_RECONNECT };
/* Their lines of a --help text, the option column padded with @p pad (run: "", extract: " "). */
void usage_ipfix(FILE *out, const char *pad);

struct ipfix_out {
    const char *dest; /* NULL: no IPFIX */
    uint32_t pen;     /* 0: the default */
    uint32_t domain;
    bool tuned;           /* --ipfix-pen, --ipfix-domain or --ipfix-reconnect given */
    uint32_t reconnect_s; /* with reconnect_given; once open, the exporter's */
    bool reconnect_given;
    uint32_t losses, reconnects; /* of the TCP collector, as last reported */
    fdx_ipfix *x;
    bool failed;       /* a write failed (reported once) */
    const char *label; /* its name in messages (borrowed); NULL: "--ipfix" */
    bool bad_dest;     /* ipfix_out_open failed on the destination's text or the layout, not on
                        * the network or a file: the user's error (exit 2), not the system's */
    bool quiet;        /* -q: libfixbuf's own warnings (through GLib's log) are not shown */
    bool append;       /* a file is appended to (live capture, collect), not truncated */
    const char *prog;  /* the command, in those warnings (set by ipfix_out_open) */
};

/* The most --ipfix-reconnect and outputs.ipfix.reconnect take (the default is the library's) */
#define IPFIX_RECONNECT_MAX_S 86400u
/* 1 when @p which is one of the IPFIX options (handled), 0 when not, -1 for a bad value. */
int ipfix_option(struct ipfix_out *o, int which, const char *arg);
/* After the options: false (after printing why) for --ipfix-pen or -domain without --ipfix, or
 * a malformed destination (its form only: nothing is resolved or opened). */
bool ipfix_out_check(const struct ipfix_out *o, const char *prog);
/* What ipfix_out_open() would refuse in @p e's layout, checked without opening anything; false
 * after printing "@p prog: NAME: why". True without a destination. */
bool ipfix_out_check_layout(const struct ipfix_out *o, const fdx_engine *e, const char *prog);
/* Open the exporter for @p e with one verdict slot @p detector (or none); true without --ipfix.
 * Until ipfix_out_close(), GLib's log messages (libfixbuf's warnings) are printed as "PROG:
 * warning: NAME: DEST: ...", or dropped with o->quiet. */
bool ipfix_out_open(struct ipfix_out *o, const fdx_engine *e, const char *prog,
                    const char *detector);
void ipfix_out_write(struct ipfix_out *o, const char *prog, const struct fdx_flow_record *r,
                     const struct fdx_flow_verdict *verdict);
/* Send the records waiting in the message being built (live: on each tick); a failure is
 * printed once, as ipfix_out_write's are. */
void ipfix_out_flush(struct ipfix_out *o, const char *prog);
/* Flush and close: false (after printing why) when not every record reached the destination. */
bool ipfix_out_close(struct ipfix_out *o, const char *prog);
/* Signal @p sig: an IPFIX file opened again by its name (log rotation), its templates first, as
 * output_reopen: 1 when reopened; 0 for no file, a collector, a device or a FIFO; -1 after printing
 * why (the file already open kept). */
int ipfix_out_reopen(struct ipfix_out *o, const char *prog, const char *sig);
/* For the closing "output:" line: the destination, or NULL when it failed (the failure was
 * printed: the records after it were not sent, or the file is incomplete). */
const char *ipfix_out_sent(const struct ipfix_out *o);
/* The file --ipfix writes, or NULL (none, or a udp:// or tcp:// collector). */
const char *ipfix_out_file(const struct ipfix_out *o);

/* @p s as a JSON string: quotes and backslashes escaped, control characters as \u00XX, other
 * bytes (UTF-8) as they are. */
void write_json_string(FILE *out, const char *s);
/* An address in text (IPv4 or IPv6 by @p version), "?" when it cannot be written. */
void format_addr(char *buf, size_t len, uint8_t version, const uint8_t *addr);

/* Format @p v as the shortest text that reads back to the same double (NaN as "NaN"); @p buf
 * should hold 48 bytes. Returns the length. */
size_t format_double(char *buf, size_t len, double v);
/* Decimal digits of @p u into @p buf (at least 21 bytes); returns the length. */
size_t format_u64(char *buf, uint64_t u);
/* UTC time of @p us (microseconds since the epoch) as 2026-01-31T12:00:00Z. */
void format_iso_time(char *buf, size_t len, uint64_t us);
/* ADDR:PORT, [ADDR]:PORT for IPv6. */
void format_endpoint(char *buf, size_t len, const uint8_t *addr, uint8_t version, uint16_t port);
/* "s" unless @p n is 1: "%llu flow%s". */
const char *plural(uint64_t n);

/* The feature set that runs nDPI (doc/features/dpi.md). */
#define DPI_SET "dpi"
/* Whether the comma list of feature sets @p sets names the dpi set. */
bool lists_dpi(const char *sets);
/* The comma list @p sets with the dpi set after it ("dpi" alone for ""), as a new string the
 * caller frees; NULL when out of memory. No length limit: the list is the user's. */
char *sets_with_dpi(const char *sets);

/* Where the shipped models are: FDX_SOURCE_MODEL_DIR when the current directory has them (the
 * source tree), else the installed share/flowdx/models. */
#define FDX_SOURCE_MODEL_DIR "conf/models"
const char *default_model_dir(void);

/* --margin M on a loaded model: nothing when @p margin is NaN (not given). EXIT_OK, or EXIT_USAGE
 * after "PROG: --margin: PATH: why" when the model has no margin to set (not a weighted-trees
 * ensemble): the option does not fit the model, as a model of another feature set does not. */
struct fdx_model;
int apply_margin(const char *prog, struct fdx_model *m, const char *path, double margin);

/* ---- records with verdicts: JSON lines of schema 1 and alert lines (verdicts.c) ---- */

#define JSON_SCHEMA 1
struct fdx_pair_evidence;
/* "benign", "malicious", "uncertain", or NULL for FDX_VERDICT_NONE. */
const char *verdict_word(uint32_t v);
/* The FDX_VERDICT_* of a pair rule's decision (FDX_PAIR_MALICIOUS, _UNCERTAIN, else benign). */
uint32_t pair_verdict(uint32_t pair);
/* One alert line (no newline) for verdict @p v of @p r, with the DoH pair's evidence or NULL. */
void format_alert(char *line, size_t len, const struct fdx_flow_record *r,
                  const struct fdx_flow_verdict *v, const struct fdx_pair_evidence *ev);
/* One JSON object of schema 1 and a newline: @p r of engine @p e, with its final verdicts @p v
 * (@p n_verdicts of them); the verdict at @p pair_slot (or -1) gets the pair evidence @p ev;
 * nDPI's server name @p server, if not NULL, goes into "server_name". */
void write_json_record(FILE *fp, const fdx_engine *e, const struct fdx_flow_record *r,
                       const struct fdx_flow_verdict *v, uint32_t n_verdicts, int pair_slot,
                       const struct fdx_pair_evidence *ev, const char *server);

/* ---- address prefixes (prefix.c) ---- */

/* An address or a network: 10.99.1.12, 10.99.1.0/24, 2001:db8::/32; "" is any address. */
struct prefix {
    bool any;
    int family;
    uint8_t addr[16];
    unsigned bits;
};
/* false when @p text is neither an address nor ADDR/BITS with BITS within the family's. */
bool parse_prefix(const char *text, struct prefix *p);
/* Whether address @p a of @p family (4 or 6) is in @p p. */
bool in_prefix(const struct prefix *p, int family, const uint8_t *a);

/* A DoH resolver's address that the user named (--doh-server, detectors.doh.servers), with the
 * flows to it: a resolver no TCP flow to port 443 reached is likely a mistyped one. */
struct doh_server {
    int family; /* 4 or 6 */
    uint8_t addr[16];
    uint64_t flows, flows_443; /* flows to it, and TCP ones to its port 443 */
};
/* false when @p text is not one IPv4 or IPv6 address. */
bool doh_server_parse(const char *text, struct doh_server *s);
/* Whether @p a and @p b are the same address. */
bool doh_server_same(const struct doh_server *a, const struct doh_server *b);
/* Whether @p r goes to @p s (any protocol and port). */
bool doh_server_is_dst(const struct doh_server *s, const struct fdx_flow_record *r);
/* Counts @p r in the server's counters when it goes to it. */
void doh_server_count(struct doh_server *s, const struct fdx_flow_record *r);
/* The warning for @p s when no TCP flow to its port 443 was counted (also with -q: a mistyped
 * resolver looks like a quiet day); @p what names it ("--doh-server", or where the configuration
 * lists it), followed by the address. */
void doh_server_warn(const char *prog, const char *what, const struct doh_server *s);

/* ---- the probe from a configuration file (probe.c) ---- */

/* Ranges of input.snaplen and input.stats_interval (probe.c read_input); `flowdx run --detect
 * doh,spam` checks its --snaplen and --stats against them before passing them on. */
#define INPUT_SNAPLEN_MIN 64
#define INPUT_SNAPLEN_MAX 262144
#define INPUT_STATS_MAX_US (86400ull * 1000000u)
/* The range of flows.idle_timeout, as lib/config/setup.c reads it (the library's internals are
 * not reachable from here): keep the two in step. */
#define FLOWS_IDLE_MIN_US 1000u
#define FLOWS_IDLE_MAX_US (86400ull * 1000000u)

int cmd_probe(int argc, char **argv);
/* The probe from the configuration file @p path, or from @p text (named @p path in messages);
 * @p extra captures or @p iface replace its input, @p filter its filter. An exit status. */
int probe_main(const char *path, const char *text, const char *const *extra, int n_extra,
               const char *iface, const char *filter, bool quiet);
void usage_probe(FILE *out);
int cmd_config(int argc, char **argv);
void usage_config(FILE *out);

#endif /* FDX_TOOLS_TOOL_H */
