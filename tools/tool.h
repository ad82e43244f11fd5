/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarations shared by the files of the flowdx command. */
#ifndef FDX_TOOLS_TOOL_H
#define FDX_TOOLS_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"

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

/* Option values: false (after printing "flowdx: OPTION: ...") when @p text is not valid. */
bool parse_seconds_us(const char *option, const char *text, uint64_t *ret_us);
bool parse_double(const char *option, const char *text, double *ret);
/* Sources and their spam flows, as `flowdx report senders` counts them (senders.c). */
struct senders;
struct senders *senders_new(void);
/* One flow of source @p addr (canonical inet_ntop text); false when out of memory or sources. */
bool senders_count(struct senders *s, const char *addr, bool spam);
/* The report (main senders: at least @p min_spam spam flows; every source with @p all; JSON with
 * @p json) to @p out. */
bool senders_write(const struct senders *s, FILE *out, const char *input, uint64_t min_spam,
                   bool all, bool json);
void senders_free(struct senders *s);

bool parse_double_in(const char *option, const char *text, double min, double max, double *ret);
bool parse_u32(const char *option, const char *text, uint32_t min, uint32_t max, uint32_t *ret);
/* Comma-separated port list into @p ports (capacity @p cap). */
bool parse_ports(const char *option, const char *text, uint16_t *ports, uint32_t cap,
                 uint32_t *ret_n);

/* ---- reading captures into an engine (feed.c) ---- */

struct feeder {
    const char *const *inputs; /* captures, read in this order as one stream */
    int n_inputs;
    const char *filter;        /* BPF, or NULL */
    const char *prog;          /* message prefix, e.g. "flowdx extract" */
    bool progress;             /* a progress line on standard error */
    bool catch_signals;        /* SIGINT/SIGTERM stop reading; what was read is kept */
    fdx_capture *first;        /* opened by feeder_open() */
    long long last_progress_ns;
};

/* Open the first capture, before the command opens its output, so that a typo in -r cannot
 * clobber -o FILE. false after printing why. */
bool feeder_open(struct feeder *f);
/* Close the first capture when the command gives up before feeder_run(). */
void feeder_abort(struct feeder *f);
/* Feed every capture in order, then flush the engine: EXIT_OK, EXIT_PARTIAL (a capture was
 * damaged or reading was interrupted) or EXIT_ERROR (a later capture could not be opened). */
int feeder_run(struct feeder *f, fdx_engine *e);
long long monotonic_ns(void);

/* ---- flow record writers ---- */

enum out_format { OUT_CSV, OUT_JSONL };

struct writer {
    FILE *fp;
    enum out_format format;
    const fdx_engine *engine;
    bool header_done;
    bool failed; /* a write failed: reported once at the end */
};

/* Write one record (and the CSV header before the first). */
void writer_record(struct writer *w, const struct fdx_flow_record *r);

/* End of output: a CSV without any flow still gets its header row. */
void writer_finish(struct writer *w);

/* Where rows go: standard output, a device or FIFO, or a regular file replaced at the end. */
struct output {
    FILE *fp;
    const char *path; /* NULL for standard output */
    char tmp[4096];   /* temporary name while a regular file is written, else "" */
};

/* Open @p path ("-" or NULL = standard output); false after printing why. */
bool output_open(struct output *o, const char *path);
/* Finish: with @p keep and no write error, the output takes its name; else the temporary file
 * is removed. False (after printing why) when the output is not complete. */
bool output_close(struct output *o, bool keep);

/* Whether any feature of @p r has a value (a record of sets that all skipped the flow has none,
 * and is not written). */
bool record_has_values(const struct fdx_flow_record *r);

/* ---- --ipfix DEST, --ipfix-pen N, --ipfix-domain N (ipfix.c) ---- */

/* Option codes (each command lists the three in its long options); the commands' own codes stay
 * below 512. */
enum { IPFIX_OPT_DEST = 512, IPFIX_OPT_PEN, IPFIX_OPT_DOMAIN };
/* Their lines of a --help text, the option column padded with @p pad (run: "", extract: " "). */
void usage_ipfix(FILE *out, const char *pad);

struct ipfix_out {
    const char *dest; /* NULL: no IPFIX */
    uint32_t pen;     /* 0: the default */
    uint32_t domain;
    bool tuned; /* --ipfix-pen or --ipfix-domain given */
    fdx_ipfix *x;
    bool failed; /* a write failed (reported once) */
};

/* 1 when @p which is one of the IPFIX options (handled), 0 when not, -1 for a bad value. */
int ipfix_option(struct ipfix_out *o, int which, const char *arg);
/* After the options: false (after printing why) for --ipfix-pen or -domain without --ipfix. */
bool ipfix_out_check(const struct ipfix_out *o, const char *prog);
/* Open the exporter for @p e with one verdict slot @p detector (or none); true without --ipfix. */
bool ipfix_out_open(struct ipfix_out *o, const fdx_engine *e, const char *prog,
                    const char *detector);
void ipfix_out_write(struct ipfix_out *o, const char *prog, const struct fdx_flow_record *r,
                     const struct fdx_flow_verdict *verdict);
/* Flush and close: false (after printing why) when not every record reached the destination. */
bool ipfix_out_close(struct ipfix_out *o, const char *prog);

/* An address in text (IPv4 or IPv6 by @p version), "?" when it cannot be written. */
void format_addr(char *buf, size_t len, uint8_t version, const uint8_t *addr);

/* Format @p v as the shortest text that reads back to the same double (NaN as "NaN"); @p buf
 * should hold 48 bytes. Returns the length. */
size_t format_double(char *buf, size_t len, double v);
/* Decimal digits of @p u into @p buf (at least 21 bytes); returns the length. */
size_t format_u64(char *buf, uint64_t u);

#endif /* FDX_TOOLS_TOOL_H */
