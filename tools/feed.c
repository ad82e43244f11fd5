/* SPDX-License-Identifier: BSD-3-Clause */
/* Reads a command's captures, in order, into an engine: the one read loop of the flowdx command. */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define PROGRESS_EVERY_NS 500000000LL

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool feeder_open(struct feeder *f)
{
    char err[512];
    if (fdx_capture_open_file(f->inputs[0], f->filter, &f->first, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", f->prog, err);
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

/* Feed one opened capture and close it; false when it was damaged or interrupted (reported:
 * the packets before the damage count). */
static bool read_capture(struct feeder *f, fdx_engine *e, fdx_capture *cap, const char *path)
{
    char err[512];
    int rc;
    int linktype = fdx_capture_linktype(cap);
    struct fdx_capture_packet pkt;
    uint64_t n = 0;
    while (!stop_requested && (rc = fdx_capture_next(cap, &pkt, err, sizeof(err))) == 1) {
        fdx_engine_feed(e, linktype, pkt.ts_us, pkt.data, pkt.caplen, pkt.wirelen);
        if (f->progress && (++n & 0xFFF) == 0)
            show_progress(f, cap, e, path);
    }
    if (f->progress && f->last_progress_ns != 0)
        fputs("\r\033[K", stderr);
    if (rc < 0)
        fprintf(stderr, "%s: %s; keeping the flows read so far\n", f->prog, err);
    else if (stop_requested)
        fprintf(stderr, "%s: %s: interrupted; keeping the flows read so far\n", f->prog, path);
    fdx_capture_free(cap);
    return rc >= 0 && !stop_requested;
}

int feeder_run(struct feeder *f, fdx_engine *e)
{
    if (f->catch_signals) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int status = EXIT_OK;
    fdx_capture *cap = f->first;
    f->first = NULL;
    for (int i = 0; cap != NULL; i++) {
        if (!read_capture(f, e, cap, f->inputs[i]))
            status = EXIT_PARTIAL; /* damaged: go on with the next capture */
        cap = NULL;
        if (i + 1 == f->n_inputs || stop_requested)
            break;
        char err[512];
        if (fdx_capture_open_file(f->inputs[i + 1], f->filter, &cap, err, sizeof(err)) < 0) {
            /* Unreadable: stop here; the flows read so far are still written. */
            fprintf(stderr, "%s: %s; keeping the flows read so far\n", f->prog, err);
            status = EXIT_ERROR;
        }
    }
    fdx_engine_flush(e);
    return status;
}
