/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx IPFIX exporter: an engine's flow records, features and verdicts as IPFIX records. */
#ifndef FLOWDX_FLOWDX_EXPORT_H
#define FLOWDX_FLOWDX_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_export.h
 *
 * An IPFIX exporter (RFC 7011) is opened for one engine: it reads the engine's record layout
 * (the feature sets' values, the plugins' fields and verdicts) once, builds one template for
 * IPv4 flows and one for IPv6 flows, and sends each record given to fdx_ipfix_write() as one
 * data record. Identifiers use IANA's elements; features, plugin fields and verdicts use
 * elements under a private enterprise number, with the RFC 5103 reverse elements for the
 * response direction. Names and types of those elements travel with the templates as RFC 5610
 * information element type records. doc/ipfix.md lists every element.
 *
 * Destinations: a file path, "udp://HOST:PORT" or "tcp://HOST:PORT" (HOST a name, an IPv4
 * address or an IPv6 address in brackets; PORT defaults to 4739, IPFIX's registered port).
 *
 * Thread-safety: one thread at a time per exporter. Errors: 0 or a negative FDX_E* code, with a
 * message naming the destination in errbuf.
 */

/** flowdx has no private enterprise number of its own: by default its elements use 32473, the
 * number RFC 5612 reserves for documentation. Pass your organisation's number in production. */
#define FDX_IPFIX_PEN_DEFAULT 32473u

/** IANA's port for IPFIX over UDP and TCP (RFC 7011, section 10). */
#define FDX_IPFIX_PORT_DEFAULT 4739u

/** Most verdict slots besides the engine's plugins (fdx_ipfix_options.detectors). */
#define FDX_IPFIX_MAX_DETECTORS 8u

typedef struct fdx_ipfix fdx_ipfix;

/** Exporter settings. Initialise with fdx_ipfix_options_init(); append-only. */
struct fdx_ipfix_options {
    uint32_t struct_size;         /**< set by fdx_ipfix_options_init() */
    uint32_t enterprise;          /**< private enterprise number of flowdx's own elements, and of
                                       plugin fields declared with FDX_PEN_OWN (default 32473) */
    uint32_t domain;              /**< observation domain id of every message (default 0) */
    uint32_t refresh_s;           /**< UDP only: templates and type records are sent again when this
                                       many seconds of wall-clock time have passed since they last
                                       were (RFC 7011 section 8.4; default 600; 0 = only at the
                                       start) */
    const char *destination;      /**< file path, udp://HOST:PORT or tcp://HOST:PORT; copied */
    const char *const *detectors; /**< names of the verdict slots the caller fills on each
                                       fdx_ipfix_write() (e.g. "doh"), before the engine's
                                       plugins' own; [a-z0-9_-], 1-63 characters; copied */
    uint32_t n_detectors;         /**< entries of detectors, at most FDX_IPFIX_MAX_DETECTORS */
    uint32_t reconnect_s;         /**< TCP only: when the collector is lost (a send fails), the
                                       exporter connects to it again, without blocking, at most
                                       this often, and sends the templates first; records given
                                       meanwhile are dropped and counted (fdx_ipfix_get_stats()).
                                       Default 10; 0 = a lost collector fails the exporter for good
                                       (FDX_EIO from every later call) */
    uint32_t append;              /**< a file destination: 1 = append to it (each opening starts
                                       with the templates), 0 = create or truncate it (default) */
};

/** Fill @p opts with the defaults above (no destination). */
FDX_API void fdx_ipfix_options_init(struct fdx_ipfix_options *opts);

/**
 * Check the form of an IPFIX destination (a file path, udp://HOST:PORT or tcp://HOST:PORT, an
 * IPv6 address in brackets), as fdx_ipfix_open() parses it, without resolving, connecting or
 * creating anything: for a configuration checker.
 * @param destination borrowed for the call.
 * @return 0, or FDX_EINVAL with the reason in errbuf.
 */
FDX_API int fdx_ipfix_check_destination(const char *destination, char *errbuf, size_t errlen);

/**
 * Check, as fdx_ipfix_open() does, the destination's form and the record layout of @p engine
 * under @p opts (element clashes, sizes for the transport), without resolving, connecting or
 * creating anything: for a configuration checker.
 * @param engine, opts borrowed for the call.
 * @return 0, or with a message in errbuf: FDX_EINVAL, FDX_ERANGE or FDX_ENOMEM, as
 * fdx_ipfix_open() would return them.
 */
FDX_API int fdx_ipfix_check(const fdx_engine *engine, const struct fdx_ipfix_options *opts,
                            char *errbuf, size_t errlen);

/**
 * Open an exporter for the records of @p engine and send the templates. A file is created (or
 * truncated, or appended to with opts->append) now; a TCP collector is connected to now (waiting
 * at most 10 s, or reconnect_s when shorter, for each of the host's addresses); a UDP
 * destination is resolved now (UDP cannot tell whether anything listens).
 * @param engine borrowed for the call: its layout is copied, and the exporter may outlive it.
 * @param opts borrowed for the call; its strings and arrays are copied.
 * @param ret_ipfix set on success; close with fdx_ipfix_close().
 * @return 0, or with a message in errbuf: FDX_EINVAL (a malformed destination or option, a
 * plugin field whose element clashes with another, a layout with no IPFIX elements for one of
 * the engine's feature sets), FDX_ERANGE (records too large for one UDP message), FDX_ENOENT (a
 * host name that does not resolve, a directory that does not exist), FDX_EIO (a file that cannot
 * be created, a collector that cannot be reached) or FDX_ENOMEM.
 */
FDX_API int fdx_ipfix_open(const fdx_engine *engine, const struct fdx_ipfix_options *opts,
                           fdx_ipfix **ret_ipfix, char *errbuf, size_t errlen);

/** The longest a record waits in the message being built while more records come (ms). */
#define FDX_IPFIX_MAX_WAIT_MS 1000

/**
 * Add one record of the engine the exporter was opened for. A message is sent when it is full,
 * or with this record when its first record has waited FDX_IPFIX_MAX_WAIT_MS; when records stop
 * coming, call fdx_ipfix_flush() (a live probe: on each idle tick), or the rest waits for
 * fdx_ipfix_close().
 * @param rec borrowed for the call; its plugin verdicts come from rec->verdicts.
 * @param verdicts one per detector named in the options, in that order (their plugin member is
 * ignored; labels are cut to 31 bytes); NULL when there are none. Borrowed for the call.
 * @param n_verdicts must equal the options' n_detectors.
 * @return 0, FDX_EINVAL (a record of another layout, a wrong verdict count) or FDX_EIO (the
 * destination failed: this and every later call fail, with the reason in errbuf). A TCP
 * collector lost while reconnect_s is not 0 is not a failure: the call returns 0, the record is
 * dropped and counted, and the exporter tries to connect again (fdx_ipfix_get_stats()).
 */
FDX_API int fdx_ipfix_write(fdx_ipfix *ipfix, const struct fdx_flow_record *rec,
                            const struct fdx_flow_verdict *verdicts, uint32_t n_verdicts,
                            char *errbuf, size_t errlen);

/**
 * Send the message being built now, if it holds records (a file destination: write it out).
 * While a TCP collector is lost, also try to connect to it again when reconnect_s has passed,
 * so a caller with no records to give (a quiet interface) should call it now and then. NULL ok.
 * @return 0, or FDX_EIO (the destination failed: this and every later call fail, with the
 * reason in errbuf).
 */
FDX_API int fdx_ipfix_flush(fdx_ipfix *ipfix, char *errbuf, size_t errlen);

/**
 * A file destination: send the message being built, then open the file's path again, appending,
 * and write the templates first: after log rotation moved the file away, the records go on into
 * a new file of the old name. The old file is closed once the new one is open. Other
 * destinations: nothing to do.
 * @return 1 when the file was opened again, 0 for a UDP or TCP destination, or with the reason in
 * errbuf: FDX_EIO when the path cannot be opened (the exporter writes on into the file it has)
 * or when the old file could not be completed (the new one is in use), or the error that failed
 * the exporter.
 */
FDX_API int fdx_ipfix_reopen(fdx_ipfix *ipfix, char *errbuf, size_t errlen);

/** Counts of an exporter. Initialise struct_size; append-only. */
struct fdx_ipfix_stats {
    uint32_t struct_size;  /**< sizeof(struct fdx_ipfix_stats) */
    uint32_t connected;    /**< 1 while records can be sent: always for a file and UDP; for TCP,
                                0 from a loss until the collector is connected to again */
    uint64_t records;      /**< records accepted by fdx_ipfix_write() */
    uint64_t dropped;      /**< of them, records known lost with the TCP collector: those of the
                                message being built or sent when the connection failed, of
                                the messages sent that the collector's host had not
                                acknowledged (TCP_INFO), and those given until it was back.
                                A collector that acknowledges nothing for 30 s is lost. */
    uint32_t losses;       /**< times the TCP collector was lost */
    uint32_t reconnects;   /**< times it was connected to again */
    const char *last_loss; /**< why it was last lost, or why the last attempt to connect again
                                failed ("tcp://HOST:PORT: ..."); NULL before any loss. Valid
                                until the next call with this exporter */
};

/**
 * Fill @p st (its struct_size set by the caller) with @p ipfix's counts. A caller that reports
 * losses compares losses and reconnects with their values after its previous call.
 * @return 0, or FDX_EINVAL (NULL, or a struct_size smaller than the first version's).
 */
FDX_API int fdx_ipfix_get_stats(const fdx_ipfix *ipfix, struct fdx_ipfix_stats *st);

/**
 * Send what is buffered, close the destination and free the exporter. NULL ok.
 * @return 0, or FDX_EIO with the reason in errbuf when something written could not be sent or
 * stored (a file is then incomplete), or when a lost TCP collector was not connected to again
 * by then.
 */
FDX_API int fdx_ipfix_close(fdx_ipfix *ipfix, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_EXPORT_H */
