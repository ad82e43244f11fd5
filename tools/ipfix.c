/* SPDX-License-Identifier: BSD-3-Clause */
/* The --ipfix options of `flowdx run` and `flowdx extract`: records to an IPFIX exporter. */
#include <glib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

void usage_ipfix(FILE *out, const char *pad)
{
    fprintf(out,
            "      --ipfix DEST       %s also send the records as IPFIX (doc/ipfix.md): a file,\n"
            "                         %s udp://HOST:PORT or tcp://HOST:PORT (PORT 4739 if left "
            "out)\n"
            "      --ipfix-pen N      %s private enterprise number of flowdx's elements "
            "(default\n"
            "                         %s 32473, RFC 5612's number for documentation)\n"
            "      --ipfix-domain N   %s observation domain id of the messages (default 0)\n"
            "      --ipfix-reconnect S\n"
            "                         %s a lost tcp:// collector is connected to again every S\n"
            "                         %s seconds, records meanwhile dropped (default 10; 0: "
            "never)\n",
            pad, pad, pad, pad, pad, pad, pad);
}

/* The output's name in messages. */
static const char *name(const struct ipfix_out *o)
{
    return o->label != NULL ? o->label : "--ipfix";
}

int ipfix_option(struct ipfix_out *o, int which, const char *arg)
{
    switch (which) {
    case IPFIX_OPT_DEST:
        o->dest = arg;
        return 1;
    case IPFIX_OPT_PEN:
        o->tuned = true;
        return parse_u32("--ipfix-pen", arg, 1, UINT32_MAX - 1, &o->pen) ? 1 : -1;
    case IPFIX_OPT_DOMAIN:
        o->tuned = true;
        return parse_u32("--ipfix-domain", arg, 0, UINT32_MAX, &o->domain) ? 1 : -1;
    case IPFIX_OPT_RECONNECT:
        o->tuned = true;
        o->reconnect_given = true;
        return parse_u32("--ipfix-reconnect", arg, 0, IPFIX_RECONNECT_MAX_S, &o->reconnect_s) ? 1
                                                                                              : -1;
    default:
        return 0;
    }
}

bool ipfix_out_check(const struct ipfix_out *o, const char *prog)
{
    if (o->tuned && o->dest == NULL) {
        fprintf(stderr, "%s: --ipfix-pen, --ipfix-domain and --ipfix-reconnect need --ipfix DEST\n",
                prog);
        return false;
    }
    /* the destination's form is the command line's: refused before any work (collect would
     * otherwise be listening already) */
    char err[1024];
    if (o->dest != NULL && fdx_ipfix_check_destination(o->dest, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err); /* err names the destination */
        return false;
    }
    return true;
}

/* The exporter options of @p o, with @p *detector as the one detector slot when not NULL. */
static void ipfix_options(const struct ipfix_out *o, const char *const *detector,
                          struct fdx_ipfix_options *opts)
{
    fdx_ipfix_options_init(opts);
    opts->destination = o->dest;
    if (o->pen != 0)
        opts->enterprise = o->pen;
    opts->domain = o->domain;
    opts->append = o->append;
    if (o->reconnect_given)
        opts->reconnect_s = o->reconnect_s;
    opts->detectors = *detector ? detector : NULL;
    opts->n_detectors = *detector ? 1 : 0;
}

bool ipfix_out_check_layout(const struct ipfix_out *o, const fdx_engine *e, const char *prog)
{
    if (o->dest == NULL)
        return true;
    const char *none = NULL;
    struct fdx_ipfix_options opts;
    ipfix_options(o, &none, &opts);
    char err[1024];
    if (fdx_ipfix_check(e, &opts, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err);
        return false;
    }
    return true;
}

/* GLib's handler before the exporter's was installed (its own, g_log_default_handler, whose data
 * is NULL), given back when the exporter closes; one exporter per command. */
static GLogFunc glib_previous;
static bool glib_routed;

/* libfixbuf, which the exporter sends with, says some things itself through GLib's log (g_warning:
 * "I/O error on UDP send: Connection refused", "packets will be lost"), which GLib would print
 * as "** (process:PID): WARNING **". They are the exporter's: shown as the command's messages,
 * naming the output, or not at all with -q. Debug and info messages stay hidden, as GLib hides
 * them by default; an error (fatal in GLib) and a critical (a misuse) are always shown. */
static void on_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                        gpointer user)
{
    (void)domain;
    const struct ipfix_out *o = user;
    bool severe = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0;
    if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0 || (o->quiet && !severe))
        return;
    const char *kind = (level & G_LOG_LEVEL_ERROR) != 0      ? "error: "
                       : (level & G_LOG_LEVEL_CRITICAL) != 0 ? "critical: "
                       : (level & G_LOG_LEVEL_WARNING) != 0  ? "warning: "
                                                             : "";
    fprintf(stderr, "%s: %s%s: %s: %s\n", o->prog, kind, name(o), o->dest, message);
}

/* While @p o is open, GLib's messages go to on_glib_log; @p on false gives them back. */
static void route_glib_log(struct ipfix_out *o, bool on)
{
    if (on && !glib_routed) {
        glib_previous = g_log_set_default_handler(on_glib_log, o);
        glib_routed = true;
    } else if (!on && glib_routed) {
        g_log_set_default_handler(glib_previous, NULL);
        glib_routed = false;
    }
}

bool ipfix_out_open(struct ipfix_out *o, const fdx_engine *e, const char *prog,
                    const char *detector)
{
    if (o->dest == NULL)
        return true;
    struct fdx_ipfix_options opts;
    ipfix_options(o, &detector, &opts);
    char err[1024];
    o->prog = prog;
    route_glib_log(o, true);
    int rc = fdx_ipfix_open(e, &opts, &o->x, err, sizeof(err));
    if (rc < 0) {
        route_glib_log(o, false);
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err);
        o->bad_dest = rc == FDX_EINVAL || rc == FDX_ERANGE;
        return false;
    }
    o->reconnect_s = opts.reconnect_s; /* the library's default when not given, for messages */
    return true;
}

/* A TCP collector lost or connected to again since the last call: say so (once each; -q too,
 * since records are being dropped). */
static void report_losses(struct ipfix_out *o, const char *prog)
{
    struct fdx_ipfix_stats st = {.struct_size = sizeof(st)};
    if (o->x == NULL || fdx_ipfix_get_stats(o->x, &st) < 0)
        return;
    if (st.losses != o->losses) /* last_loss names the destination */
        fprintf(stderr,
                "%s: warning: %s: %s; connecting again every %u s, records meanwhile are "
                "dropped\n",
                prog, name(o), st.last_loss ? st.last_loss : o->dest, o->reconnect_s);
    if (st.connected && st.reconnects != o->reconnects)
        fprintf(stderr, "%s: %s: %s: connected again; %llu of %llu records dropped so far\n", prog,
                name(o), o->dest, (unsigned long long)st.dropped, (unsigned long long)st.records);
    o->losses = st.losses;
    o->reconnects = st.reconnects;
}

void ipfix_out_write(struct ipfix_out *o, const char *prog, const struct fdx_flow_record *r,
                     const struct fdx_flow_verdict *verdict)
{
    if (o->x == NULL || o->failed)
        return;
    char err[1024];
    if (fdx_ipfix_write(o->x, r, verdict, verdict ? 1 : 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err);
        o->failed = true;
    }
    report_losses(o, prog);
}

void ipfix_out_flush(struct ipfix_out *o, const char *prog)
{
    if (o->x == NULL || o->failed)
        return;
    char err[1024];
    if (fdx_ipfix_flush(o->x, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err);
        o->failed = true;
    }
    report_losses(o, prog);
}

bool ipfix_out_close(struct ipfix_out *o, const char *prog)
{
    char err[1024];
    struct fdx_ipfix_stats st = {.struct_size = sizeof(st)};
    bool counted = o->x != NULL && fdx_ipfix_get_stats(o->x, &st) == 0;
    int rc = fdx_ipfix_close(o->x, err, sizeof(err));
    /* records lost while the collector was away, which came back (a collector still away at the
     * end is the close's error, below) */
    if (counted && rc == 0 && st.dropped > 0)
        fprintf(stderr,
                "%s: warning: %s: %s: %llu of %llu records were dropped while the collector "
                "was lost (%u time%s)\n",
                prog, name(o), o->dest, (unsigned long long)st.dropped,
                (unsigned long long)st.records, st.losses, st.losses == 1 ? "" : "s");
    o->x = NULL;
    route_glib_log(o, false);
    if (rc < 0 && !o->failed)
        fprintf(stderr, "%s: %s: %s\n", prog, name(o), err);
    o->failed = o->failed || rc < 0;
    return !o->failed;
}

int ipfix_out_reopen(struct ipfix_out *o, const char *prog, const char *sig)
{
    struct stat st;
    const char *path = ipfix_out_file(o);
    if (o->x == NULL || o->failed || path == NULL || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
        return 0;
    char err[1024];
    int rc = fdx_ipfix_reopen(o->x, err, sizeof(err));
    if (rc < 0) /* err names the file */
        fprintf(stderr, "%s: %s: %s: %s; writing on to the file already open\n", prog, sig, name(o),
                err);
    return rc < 0 ? -1 : rc;
}

const char *ipfix_out_sent(const struct ipfix_out *o)
{
    return o->failed ? NULL : o->dest;
}

const char *ipfix_out_file(const struct ipfix_out *o)
{
    return o->dest != NULL && strstr(o->dest, "://") == NULL ? o->dest : NULL;
}
