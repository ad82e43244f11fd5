/* SPDX-License-Identifier: BSD-3-Clause */
/* Reads a command's packets, from capture files or a live interface, into an engine: the one read
 * loop of the flowdx command. */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define PROGRESS_EVERY_NS 500000000LL
/* While packets flow on a live interface, the wall clock still reaches the engine this often. */
#define TICK_EVERY_NS 1000000000LL
/* After a stop request, packets already captured are read for at most this long. */
#define DRAIN_MAX_NS 2000000000LL

static volatile sig_atomic_t stop_requested;
/* SIGHUP and SIGUSR1, for a feeder with a reload callback */
static volatile sig_atomic_t reload_requested, reopen_requested;
/* The capture file being read, for the signal handler to break a blocked read; NULL between
 * files and for a live capture, whose loop looks at stop_requested after every read timeout. */
static fdx_capture *volatile reading;

void feeder_stop(void)
{
    stop_requested = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    fdx_capture *c = reading;
    if (c != NULL)
        fdx_capture_break(c);
}

static void on_hangup(int sig)
{
    if (sig == SIGUSR1)
        reopen_requested = 1;
    else
        reload_requested = 1;
}

/* No SA_RESTART: a read blocked on a pipe or a wait on a quiet interface (or socket) returns at
 * once. SA_RESETHAND: a second signal ends a stuck process. */
void catch_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* SA_RESTART is off for the same reason as above: the wait on a quiet interface (or socket)
 * returns, and the loop serves the signal. */
void catch_hangup_signal(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The advice of both offload warnings. */
static void print_ethtool_advice(const char *iface)
{
    fprintf(stderr,
            "; turn them off with 'ethtool -K %s gro off gso off tso off lro off' (flowdx(1), "
            "NIC OFFLOADS)\n",
            iface);
}

/* Offloads on the capturing interface: packets merged or not yet split reach the capture. */
static void warn_offloads(const struct feeder *f, fdx_capture *cap)
{
    struct fdx_capture_stats cs = {.struct_size = sizeof(cs)};
    if (fdx_capture_stats(cap, &cs) != 0 || cs.offloads == 0)
        return;
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{FDX_OFFLOAD_GRO, "GRO"},
                 {FDX_OFFLOAD_LRO, "LRO"},
                 {FDX_OFFLOAD_TSO, "TSO"},
                 {FDX_OFFLOAD_GSO, "GSO"}};
    fprintf(stderr, "%s: warning: %s: offloads on:", f->prog, f->iface);
    const char *sep = " ";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (cs.offloads & names[i].bit) {
            fprintf(stderr, "%s%s", sep, names[i].name);
            sep = ", ";
        }
    }
    fputs(". Received segments merged (GRO, LRO) and this host's own segments not yet split (TSO, "
          "GSO) reach the capture as packets of up to 64 KiB, so packet counts and sizes differ "
          "from the wire's",
          stderr);
    print_ethtool_advice(f->iface);
}

/* "N packets longer than the MTU (M bytes), the largest L bytes", without a line end: the warning
 * while the capture runs and the summary's count. */
static void print_over_mtu(const struct fdx_capture_stats *cs)
{
    fprintf(stderr, "%llu packet%s longer than the MTU (%u bytes), the largest %u bytes",
            (unsigned long long)cs->over_mtu, plural(cs->over_mtu), cs->mtu, cs->over_mtu_largest);
}

/* The first time packets longer than the MTU have been seen: said once, while the capture runs. */
static void check_over_mtu(struct feeder *f, fdx_capture *cap)
{
    if (f->warned_over_mtu)
        return;
    struct fdx_capture_stats cs = {.struct_size = sizeof(cs)};
    if (fdx_capture_stats(cap, &cs) != 0 || cs.over_mtu == 0)
        return;
    f->warned_over_mtu = true;
    fprintf(stderr, "%s: warning: %s: ", f->prog, f->iface);
    print_over_mtu(&cs);
    fputs(": an offload merged them or had not split them yet, and their flows' packet counts and "
          "sizes are not the wire's",
          stderr);
    print_ethtool_advice(f->iface);
}

/*
 * Capture files: packets longer than Ethernet's MTU (loopback traffic left out) mean that the
 * capture was made with offloads on, or on a jumbo-frame link. A live capture compares with its
 * interface's own MTU instead (check_over_mtu).
 */
static void warn_oversize(const struct feeder *f, const fdx_engine *e)
{
    struct fdx_engine_stats s = {.struct_size = sizeof(s)};
    fdx_engine_stats(e, &s);
    if (s.oversize == 0 || f->quiet) /* -q: a fact about the input, like the summary */
        return;
    bool one = f->n_inputs == 1;
    fprintf(stderr,
            "%s: warning: %s: %llu packet%s longer than %u bytes of IP, the largest %u bytes: ",
            f->prog, one ? f->inputs[0] : "the captures", (unsigned long long)s.oversize,
            plural(s.oversize), FDX_ETHERNET_MTU, s.oversize_largest);
    fprintf(stderr,
            "%s probably made with offloads on (segments merged by GRO or LRO, or not yet split "
            "by TSO or GSO), or on a link with jumbo frames, so their flows' packet counts and "
            "sizes are not the wire's (flowdx(1), NIC OFFLOADS)\n",
            one ? "the capture was" : "they were");
}

static bool open_live(struct feeder *f)
{
    char err[512];
    struct fdx_capture_live_options o = f->live;
    o.bpf = f->filter;
    int rc = fdx_capture_open_live(f->iface, &o, &f->first, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", f->prog, err);
        f->bad_filter = rc == FDX_EINVAL && f->filter != NULL && strstr(err, "filter") != NULL;
        return false;
    }
    if (err[0] != '\0')
        fprintf(stderr, "%s: warning: %s\n", f->prog, err);
    if (!f->quiet)
        fprintf(stderr, "%s: listening on %s (link type %d, snaplen %u bytes, %s, %s%s%s)\n",
                f->prog, f->iface, fdx_capture_linktype(f->first), o.snaplen_bytes,
                o.promisc ? "promiscuous" : "not promiscuous",
                o.immediate ? "immediate" : "batched", f->filter ? ", filter " : "",
                f->filter ? f->filter : "");
    warn_offloads(f, f->first);
    return true;
}

/*
 * Opens the capture inputs[*i] into @p cap; one that is empty or cut in its file header (being
 * written, or just rotated in) is skipped with a message, and counted, as long as @p last_too or
 * another follows. *i is then the input opened, or n_inputs with *cap NULL when all were skipped.
 */
static int open_capture(struct feeder *f, int *i, bool last_too, fdx_capture **cap, char *err,
                        size_t len)
{
    int rc;
    while ((rc = fdx_capture_open_file(f->inputs[*i], f->filter, cap, err, len)) == FDX_ETRUNC &&
           (last_too || *i + 1 < f->n_inputs)) {
        fprintf(stderr, "%s: %s; skipped\n", f->prog, err);
        f->n_skipped++;
        if (++*i == f->n_inputs)
            return 0;
    }
    return rc;
}

/*
 * The filter compiles for the link type of every later capture file too: checked before any
 * work (their headers are read; "-", FIFOs and devices are not, as reading would take their
 * bytes), so that a filter of the wrong link layer is a bad command line, not a stop halfway.
 */
static bool filter_fits_later(struct feeder *f, char *err, size_t len)
{
    for (int i = f->first_index + 1; f->filter != NULL && i < f->n_inputs; i++) {
        struct stat st;
        if (stat(f->inputs[i], &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        fdx_capture *cap = NULL;
        int rc = fdx_capture_open_file(f->inputs[i], f->filter, &cap, err, len);
        fdx_capture_free(cap);
        if (rc == FDX_EINVAL)
            return false;
    }
    return true;
}

bool feeder_open(struct feeder *f)
{
    if (f->iface != NULL)
        return open_live(f);
    char err[512];
    f->first_index = 0;
    int rc = open_capture(f, &f->first_index, false, &f->first, err, sizeof(err));
    if (rc == 0 && !filter_fits_later(f, err, sizeof(err))) {
        feeder_abort(f);
        rc = FDX_EINVAL;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", f->prog, err);
        f->bad_filter = rc == FDX_EINVAL && f->filter != NULL;
        return false;
    }
    return true;
}

void feeder_abort(struct feeder *f)
{
    fdx_capture_free(f->first);
    f->first = NULL;
}

static void show_progress(struct feeder *f, const fdx_capture *cap, const fdx_engine *e,
                          const char *path)
{
    long long t = monotonic_ns();
    if (t - f->last_progress_ns < PROGRESS_EVERY_NS)
        return;
    f->last_progress_ns = t;
    struct fdx_engine_stats s = {.struct_size = sizeof(s)};
    fdx_engine_stats(e, &s);
    uint64_t done, total;
    fdx_capture_progress(cap, &done, &total);
    if (total > 0)
        fprintf(stderr, "\rflowdx: %s: %3.0f%%, %llu packets, %u open flows   ", path,
                100.0 * (double)done / (double)total, (unsigned long long)s.packets,
                s.active_flows);
    else
        fprintf(stderr, "\rflowdx: %s: %llu packets, %u open flows   ", path,
                (unsigned long long)s.packets, s.active_flows);
}

/* The statistics line, when one is due (or with @p force). */
static void maybe_stats(struct feeder *f, fdx_capture *cap, const fdx_engine *e, bool force)
{
    if (f->stats_every_ns <= 0 && !force)
        return;
    long long t = monotonic_ns();
    if (!force && t - f->stats.last_ns < f->stats_every_ns)
        return;
    struct fdx_capture_stats cs = {.struct_size = sizeof(cs)};
    bool live = cap != NULL && fdx_capture_stats(cap, &cs) == 0;
    statline_print(&f->stats, f->prog, e, live ? &cs : NULL, f->alerts, t);
}

/* The end of the input: every open flow is written, and the flows the pair rule held decided,
 * before the last statistics line counts them. */
static void flush_all(struct feeder *f, fdx_engine *e)
{
    fdx_engine_flush(e);
    if (f->pairs != NULL) {
        fdx_pairs_free(*f->pairs);
        *f->pairs = NULL;
    }
}

/* Feed one opened capture file and close it; false when it was damaged or interrupted
 * (reported: the packets before the damage count). */
static bool read_capture(struct feeder *f, fdx_engine *e, fdx_capture *cap, const char *path)
{
    char err[512];
    int rc;
    int linktype = fdx_capture_linktype(cap);
    struct fdx_capture_packet pkt;
    uint64_t n = 0;
    reading = cap;
    if (stop_requested) /* a signal before the capture was there to break */
        fdx_capture_break(cap);
    while ((rc = fdx_capture_next(cap, &pkt, err, sizeof(err))) == 1) {
        fdx_engine_feed(e, linktype, pkt.ts_us, pkt.data, pkt.caplen, pkt.wirelen);
        f->stats.bytes += pkt.wirelen;
        if ((++n & 0xFFF) == 0) {
            if (f->progress)
                show_progress(f, cap, e, path);
            maybe_stats(f, NULL, e, false);
        }
    }
    reading = NULL;
    if (f->progress && f->last_progress_ns != 0)
        fputs("\r\033[K", stderr);
    if (rc < 0)
        fprintf(stderr, "%s: %s; keeping the flows read so far\n", f->prog, err);
    else if (stop_requested)
        fprintf(stderr, "%s: %s: interrupted; keeping the flows read so far\n", f->prog, path);
    fdx_capture_free(cap);
    return rc >= 0 && !stop_requested;
}

/* The wall clock reaches the engine and the command: flows time out on a quiet interface. The
 * clock lags by twice the read timeout, the longest a packet can wait in the kernel's buffer,
 * so that no flow ends while a packet of it is still on its way. */
static void tick(struct feeder *f, fdx_engine *e)
{
    uint64_t lag_us = 2000u * (uint64_t)f->live.timeout_ms;
    uint64_t now = wall_us();
    now = now > lag_us ? now - lag_us : 0;
    fdx_engine_advance(e, now);
    if (f->tick != NULL)
        f->tick(f->tick_user, now);
}

/* Feed the packets of a live capture until its read timeout passes without one (or a failure):
 * false when the capture failed (reported). */
static bool feed_live(struct feeder *f, fdx_engine *e, fdx_capture *cap, bool draining)
{
    char err[512];
    int rc;
    int linktype = fdx_capture_linktype(cap);
    struct fdx_capture_packet pkt;
    uint64_t n = 0;
    long long t0 = monotonic_ns();
    while ((rc = fdx_capture_next(cap, &pkt, err, sizeof(err))) == 1) {
        fdx_engine_feed(e, linktype, pkt.ts_us, pkt.data, pkt.caplen, pkt.wirelen);
        f->stats.bytes += pkt.wirelen;
        if ((++n & 0x3F) != 0)
            continue;
        long long t = monotonic_ns();
        /* While packets flow, the clock and the statistics still run; a stop request is served
         * at once, and draining after it ends even if packets keep coming. */
        if ((stop_requested || reload_requested || reopen_requested) && !draining)
            return true;
        if (draining && t - t0 > DRAIN_MAX_NS)
            return true;
        if (t - f->last_tick_ns >= TICK_EVERY_NS) {
            f->last_tick_ns = t;
            tick(f, e);
            check_over_mtu(f, cap);
        }
        maybe_stats(f, cap, e, false);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s; keeping the flows seen so far\n", f->prog, err);
        return false;
    }
    return true;
}

/* Read the live interface until a signal stops it or the capture fails: EXIT_OK or EXIT_ERROR.
 * A signal does not break the capture off: the packets the kernel holds by then are read first
 * (until the read timeout passes without one), so that no packet that arrived before the stop
 * is lost. */
static int read_live(struct feeder *f, fdx_engine **engine, fdx_capture *cap)
{
    bool ok = true;
    fdx_engine *e = *engine;
    f->last_tick_ns = monotonic_ns();
    while (ok && !stop_requested) {
        ok = feed_live(f, e, cap, false);
        check_over_mtu(f, cap);
        f->last_tick_ns = monotonic_ns();
        tick(f, e);
        maybe_stats(f, cap, e, false);
        if ((reload_requested || reopen_requested) && !stop_requested) {
            bool config = reload_requested;
            reload_requested = reopen_requested = 0;
            fdx_engine *ne = f->reload(f->reload_user, e, config);
            if (ne != e) { /* flushed by the reload: its counters go on in the new one's */
                statline_retire(&f->stats, e);
                fdx_engine_free(e);
                e = *engine = ne;
            }
        }
    }
    if (ok)
        ok = feed_live(f, e, cap, true);
    flush_all(f, e);
    f->cap_stats.struct_size = sizeof(f->cap_stats);
    f->have_cap_stats = fdx_capture_stats(cap, &f->cap_stats) == 0;
    if (f->stats_every_ns > 0)
        maybe_stats(f, cap, e, true);
    fdx_capture_free(cap);
    return ok ? EXIT_OK : EXIT_ERROR;
}

int feeder_run(struct feeder *f, fdx_engine *e)
{
    if (f->catch_signals)
        catch_stop_signals(on_signal); /* SIGINT and SIGTERM end the read loop */
    f->stats.start_ns = f->stats.last_ns = monotonic_ns();
    int status = EXIT_OK;
    fdx_capture *cap = f->first;
    f->first = NULL;
    if (f->iface != NULL) {
        if (f->reload != NULL) /* SIGHUP, SIGUSR1: the reload callback, between packets */
            catch_hangup_signal(on_hangup);
        status = read_live(f, &e, cap);
        if (f->reloaded != NULL)
            *f->reloaded = e;
        return status;
    }
    for (int i = f->first_index; cap != NULL;) {
        if (!read_capture(f, e, cap, f->inputs[i]))
            status = EXIT_PARTIAL; /* damaged: go on with the next capture */
        cap = NULL;
        if (++i == f->n_inputs || stop_requested)
            break;
        char err[512];
        if (open_capture(f, &i, true, &cap, err, sizeof(err)) < 0) {
            /* Unreadable: stop here; the flows read so far are still written. */
            fprintf(stderr, "%s: %s; keeping the flows read so far\n", f->prog, err);
            status = EXIT_ERROR;
        }
    }
    if (f->n_skipped > 0 && status == EXIT_OK)
        status = EXIT_PARTIAL; /* a capture skipped counts as a damaged one */
    warn_oversize(f, e);
    flush_all(f, e);
    if (f->stats_every_ns > 0)
        maybe_stats(f, NULL, e, true);
    return status;
}

void feeder_summary(const struct feeder *f)
{
    if (!f->have_cap_stats)
        return;
    const struct fdx_capture_stats *s = &f->cap_stats;
    fprintf(stderr,
            "%s: %s: %llu packets captured, %llu received by the filter, %llu dropped by "
            "libpcap (buffer full: see --buffer-size), %llu dropped by the interface\n",
            f->prog, f->iface, (unsigned long long)s->packets, (unsigned long long)s->received,
            (unsigned long long)s->dropped, (unsigned long long)s->if_dropped);
    if (s->over_mtu > 0) {
        fprintf(stderr, "%s: %s: ", f->prog, f->iface);
        print_over_mtu(s);
        fputc('\n', stderr);
    }
}
