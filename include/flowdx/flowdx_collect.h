/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx flow-record collector: NetFlow v5, v9 and IPFIX from exporters, as flow records. */
#ifndef FLOWDX_FLOWDX_COLLECT_H
#define FLOWDX_FLOWDX_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_collect.h
 *
 * A collector receives the flow records of existing exporters (routers, softflowd, YAF, ...)
 * and turns each into a struct fdx_input_record for fdx_engine_feed_record():
 * - NetFlow v5 (fixed format), NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) over UDP, each
 *   datagram by its version number, so one port takes all three from any number of exporters;
 *   IPFIX also over TCP. Templates are kept per exporter (address, port, protocol version and
 *   observation domain / source id).
 * - One-way records (v5, v9, IPFIX without RFC 5103 reverse elements) are paired into biflows:
 *   a record waits up to pair_wait_us for the record of the opposite direction from the same
 *   exporter (the same addresses, ports and protocol, reversed, with overlapping times). A
 *   record without a partner is released alone when its wait ends.
 * - The initiator: the side whose record starts first; on equal start times the side that is
 *   not on a server port (below 1024, or the engine's list of server ports >= 1024); else the
 *   record as the exporter wrote it (RFC 5103's forward direction for a biflow, which also
 *   says so with biflowDirection).
 * - A malformed datagram or message is skipped whole and counted; the log callback gets a
 *   message naming the exporter, the datagram's number from that exporter and the reason.
 * doc/collect.md has the details: elements read, times, limits.
 *
 * Thread-safety: one thread at a time per collector, except fdx_collector_break().
 */

typedef struct fdx_collector fdx_collector;

/**
 * Called for each record when it is complete (paired, or its wait ended), from inside
 * fdx_collector_run(), _feed() or _flush().
 * @param rec borrowed until the callback returns.
 */
typedef void (*fdx_input_record_fn)(void *user, const struct fdx_input_record *rec);

/** @name What happens to a one-way record whose reverse never came (fdx_collector_options.unpaired)
 */
/**@{*/
#define FDX_UNPAIRED_ZERO                                                                          \
    0 /**< the exporter saw nothing back: the other direction has 0 packets (FDX_INPUT_RESP set);  \
           a record whose source is on a server port and whose destination is not is the           \
           response direction of a flow whose request had no packets */
#define FDX_UNPAIRED_UNKNOWN                                                                       \
    1 /**< the other direction is unknown (FDX_INPUT_RESP clear): the record is the request        \
           direction as the exporter wrote it */
/**@}*/

/** Collector settings. Initialise with fdx_collector_options_init(); append-only. */
struct fdx_collector_options {
    uint32_t struct_size;   /**< set by fdx_collector_options_init() */
    uint32_t unpaired;      /**< FDX_UNPAIRED_* (default FDX_UNPAIRED_ZERO) */
    uint64_t pair_wait_us;  /**< how long a one-way record waits for its reverse (default 5 s;
                                 0: no pairing, every one-way record is released at once) */
    uint64_t pair_slack_us; /**< two records' times overlap when they do with each widened by
                                 this much (default 1 s: exporters' clocks and a reply's delay) */
    uint32_t max_pending;   /**< one-way records waiting at most (default 65536); the longest
                                 waiting is released when a new one would exceed it */
    uint32_t max_exporters; /**< exporters (template sessions) kept at most (default 1024); the
                                 one heard from least recently is forgotten for a new one */
    const uint16_t *server_ports;  /**< ports >= 1024 that count as server ports for the
                                        initiator; NULL = the engine's built-in list; copied */
    uint32_t n_server_ports;       /**< entries in server_ports (at most 4096) */
    fdx_input_record_fn on_record; /**< complete records (must not be NULL) */
    fdx_log_fn log;                /**< messages: malformed input, exporters (may be NULL) */
    void *user;                    /**< passed to on_record and log; borrowed */
};

/** Counters of a collector (fdx_collector_stats()). Layout is ABI: append-only. */
struct fdx_collector_stats {
    uint32_t struct_size;    /**< set by the caller */
    uint32_t exporters;      /**< template sessions kept now */
    uint64_t datagrams;      /**< UDP datagrams and TCP messages received (fed) */
    uint64_t v5;             /**< ... of them NetFlow v5 */
    uint64_t v9;             /**< NetFlow v9 */
    uint64_t ipfix;          /**< IPFIX */
    uint64_t unsupported;    /**< another version number (skipped) */
    uint64_t malformed;      /**< broken datagrams or messages, skipped whole */
    uint64_t records;        /**< flow records decoded */
    uint64_t no_template;    /**< data records skipped: their template was not (yet) received */
    uint64_t not_flows;      /**< data records without addresses (options records and the like) */
    uint64_t biflows;        /**< records that carried both directions (RFC 5103) */
    uint64_t paired;         /**< biflows made of two one-way records */
    uint64_t unpaired;       /**< one-way records released without a partner */
    uint64_t pair_overflow;  /**< ... of them released early because max_pending was reached */
    uint64_t reported;       /**< records given to on_record */
    uint64_t tcp_sessions;   /**< TCP connections accepted */
    uint64_t exporters_lost; /**< sessions forgotten for a new one (max_exporters) or timed out */
    /* appended after 0.1.0: written only when the caller's struct_size covers them */
    uint64_t sequence_errors;  /**< messages whose header's sequence number was not the one the
                                    session's previous message announced (doc/collect.md,
                                    "Sequence numbers") */
    uint64_t records_missed;   /**< records those gaps say were lost: NetFlow v5 and IPFIX (v9
                                    counts datagrams, so its gaps add nothing here) */
    uint64_t kernel_drops;     /**< UDP datagrams the system dropped because the receive buffer
                                    was full (Linux SO_RXQ_OVFL; 0 elsewhere) */
    uint64_t far_times;        /**< flow records refused: a start or end beyond year 9999 (or
                                    overflowing 64-bit microseconds) */
    uint64_t end_before_start; /**< flow records whose end was before their start: given the
                                    start as their end */
};

/** Fill @p opts with the defaults above. */
FDX_API void fdx_collector_options_init(struct fdx_collector_options *opts);

/**
 * Create a collector (it listens nowhere yet: see fdx_collector_listen()).
 * @param opts borrowed for the call; its arrays are copied.
 * @return 0, or with a message in errbuf: FDX_EINVAL (bad option) or FDX_ENOMEM.
 */
FDX_API int fdx_collector_new(const struct fdx_collector_options *opts,
                              fdx_collector **ret_collector, char *errbuf, size_t errlen);

/**
 * Listen on "udp://HOST:PORT" (NetFlow v5, v9 and IPFIX datagrams) or "tcp://HOST:PORT" (IPFIX
 * over TCP). HOST is a name or an address (IPv6 in brackets; 0.0.0.0 or [::] for every
 * interface); PORT defaults to 4739, and 0 picks a free port (fdx_collector_address() tells
 * which). May be called several times.
 * @param where borrowed for the call.
 * @return 0, or with a message in errbuf: FDX_EINVAL (malformed), FDX_ENOENT (a name that does
 * not resolve), FDX_EIO (the socket cannot be bound: in use, not permitted), FDX_ERANGE (more
 * than 16 listeners) or FDX_ENOMEM.
 */
FDX_API int fdx_collector_listen(fdx_collector *c, const char *where, char *errbuf, size_t errlen);

/**
 * The address listener @p i is bound to, as "udp://127.0.0.1:40123" or "tcp://[::1]:4739",
 * written into @p buf. @return buf, or NULL when there is no listener @p i.
 */
FDX_API const char *fdx_collector_address(const fdx_collector *c, uint32_t i, char *buf,
                                          size_t len);

/**
 * Wait at most @p timeout_ms for input, read every datagram and message that is there, and
 * release the one-way records whose wait has ended (on_record, for each). fdx_collector_break()
 * ends the wait early. Call it in a loop; at the end, once more with timeout 0 to read what is
 * still queued, then fdx_collector_flush().
 * @return 0, or FDX_EIO with the reason in errbuf when a listening socket failed (the collector
 * cannot go on).
 */
FDX_API int fdx_collector_run(fdx_collector *c, uint32_t timeout_ms, char *errbuf, size_t errlen);

/**
 * One datagram from an exporter without a socket (a host that reads its own, a test, a file):
 * decoded as fdx_collector_run() would decode it, with @p now_us (CLOCK_MONOTONIC-like
 * microseconds, never going back) as the time of its arrival for the pairing wait. Records whose
 * wait ended by @p now_us are released too.
 * @param exporter a name for the exporter, e.g. "192.0.2.1:2055": the session key and the
 * messages' prefix; borrowed for the call.
 * @return 0, FDX_EFORMAT (malformed: skipped, counted, logged) or FDX_ENOTSUP (not v5, v9 or
 * IPFIX: counted).
 */
FDX_API int fdx_collector_feed(fdx_collector *c, const char *exporter, const uint8_t *data,
                               size_t len, uint64_t now_us);

/** Release every waiting one-way record now (end of input). */
FDX_API void fdx_collector_flush(fdx_collector *c);

/**
 * End the wait of a fdx_collector_run() under way, or of the next one: it returns after reading
 * what is there. Async-signal-safe: for a SIGINT handler.
 */
FDX_API void fdx_collector_break(fdx_collector *c);

/** Copy the counters to @p ret_stats: no more than the struct_size the caller sets, which becomes
 * the number of bytes written. Below 4 (not set), nothing is written. */
FDX_API void fdx_collector_stats(const fdx_collector *c, struct fdx_collector_stats *ret_stats);

/** Close the sockets and free the collector; waiting records are dropped (flush first). NULL ok.
 */
FDX_API void fdx_collector_free(fdx_collector *c);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_COLLECT_H */
