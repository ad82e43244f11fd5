/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx collector API: feed packets to an engine, receive finished flow records with features.
 */
#ifndef FLOWDX_FLOWDX_H
#define FLOWDX_FLOWDX_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FDX_BUILDING_LIBRARY) && defined(__GNUC__)
#define FDX_API __attribute__((visibility("default")))
#else
#define FDX_API
#endif

/**
 * @file flowdx.h
 *
 * Thread-safety: every function that takes an engine or capture handle may be called from one
 * thread at a time for that handle; distinct handles are independent (the library keeps no
 * global mutable state). Functions without a handle are thread-safe, except training
 * (fdx_train_run(), flowdx_model.h), which changes process-wide state.
 *
 * Errors: fallible calls return 0 or a negative FDX_E* code; fdx_strerror() names the code.
 * Calls that parse user input also fill a caller buffer with a located message.
 */

/** @name Error codes (negative return values) */
/**@{*/
#define FDX_OK 0
#define FDX_EINVAL (-1)  /**< invalid argument or option value */
#define FDX_ENOMEM (-2)  /**< out of memory */
#define FDX_EIO (-3)     /**< read or write failure of a file or device */
#define FDX_EFORMAT (-4) /**< input is not in the expected format */
#define FDX_ENOTSUP (-5) /**< valid request that this build cannot serve */
#define FDX_ERANGE (-6)  /**< a value or a limit is out of range */
#define FDX_ENOENT (-7)  /**< no such file, feature set or name */
#define FDX_ETRUNC (-8)  /**< input ended in the middle of a record */
#define FDX_EPERM (-9)   /**< not permitted (e.g. capturing without CAP_NET_RAW) */
/**@}*/

/** Direction indices of per-direction arrays: request = initiator to responder. */
#define FDX_DIR_REQ 0
#define FDX_DIR_RESP 1

/** @name Why a flow record ended (fdx_flow_record.end_reason) */
/**@{*/
#define FDX_END_IDLE 0    /**< no packet for the idle timeout */
#define FDX_END_ACTIVE 1  /**< active timeout: the connection continues in a new record */
#define FDX_END_FIN 2     /**< FIN seen in both directions, then the linger time passed */
#define FDX_END_RST 3     /**< RST seen, then the linger time passed */
#define FDX_END_EVICTED 4 /**< the flow table was full: this flow was the least recently seen */
#define FDX_END_EOF 5     /**< end of input: fdx_engine_flush() */
#define FDX_END_CUT 6     /**< cut by a feature set's own flow-cutting rules */
#define FDX_END_CLOCK                                                                              \
    7 /**< packet times went back by more than the idle timeout (a capture                         \
           restarted): every open flow ends before the new time begins */
#define FDX_END_COUNT 8
/**@}*/

/** @name Packet outcomes: every packet given to fdx_engine_feed() ends in exactly one */
/**@{*/
#define FDX_PKT_DECODED 0          /**< became part of a flow */
#define FDX_PKT_TRUNCATED 1        /**< capture too short for the headers it announces */
#define FDX_PKT_MALFORMED 2        /**< header fields are inconsistent or invalid */
#define FDX_PKT_LINK_UNSUPPORTED 3 /**< link type that flowdx does not decode */
#define FDX_PKT_NON_IP 4           /**< not IPv4 or IPv6 (ARP, LLDP, ...) */
#define FDX_PKT_FRAG_UNMATCHED 5   /**< non-first fragment whose first fragment was not seen */
#define FDX_PKT_NOT_SELECTED 6     /**< decoded, but not taken by the feature sets' selection */
#define FDX_PKT_OUTCOME_COUNT 7
/**@}*/

/** Finished flow record, passed to the fdx_flow_fn callback. Layout is ABI: append-only. */
struct fdx_flow_record {
    uint32_t struct_size;   /**< sizeof(struct fdx_flow_record) of the library that filled it */
    uint32_t end_reason;    /**< FDX_END_* */
    uint64_t flow_id;       /**< engine-wide sequence number, from 1, in order of flow start */
    uint64_t start_us;      /**< earliest packet time, microseconds since the Unix epoch */
    uint64_t end_us;        /**< latest packet time, microseconds since the Unix epoch */
    uint8_t ip_version;     /**< 4 or 6 */
    uint8_t proto;          /**< IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...) */
    uint16_t src_port;      /**< initiator's port, host byte order; 0 without ports */
    uint16_t dst_port;      /**< responder's port, host byte order; 0 without ports */
    uint32_t segment;       /**< 0 for a connection's first record, +1 after each active cut */
    uint8_t src_addr[16];   /**< initiator address, network byte order; IPv4 in bytes 0-3 */
    uint8_t dst_addr[16];   /**< responder address, network byte order; IPv4 in bytes 0-3 */
    uint64_t packets[2];    /**< packets per direction, [FDX_DIR_REQ] and [FDX_DIR_RESP] */
    uint64_t bytes[2];      /**< IP bytes (IP total length) per direction */
    const double *features; /**< n_features values, in fdx_engine_feature_name() order; borrowed
                                 until the callback returns */
    uint32_t n_features;    /**< number of values in features */
    /* added after the first layout (a caller built without them does not read them) */
    uint32_t n_verdicts; /**< entries of verdicts: one per plugin the engine runs */
    const struct fdx_flow_verdict *verdicts; /**< borrowed until the callback returns */
};

/** @name Verdicts of plugins (fdx_flow_verdict.verdict; the same values as the plugin ABI's) */
/**@{*/
#define FDX_VERDICT_NONE 0 /**< the plugin does not judge this flow */
#define FDX_VERDICT_BENIGN 1
#define FDX_VERDICT_MALICIOUS 2
#define FDX_VERDICT_UNCERTAIN 3
/**@}*/

/** One plugin's verdict on a record. */
struct fdx_flow_verdict {
    const char *plugin; /**< the plugin's name; static storage of the plugin */
    const char *label;  /**< its class name for alerts ("" when it gave none); borrowed */
    uint32_t verdict;   /**< FDX_VERDICT_* */
    /** 1 when verdict is FDX_VERDICT_NONE because the plugin declined a flow of the kind it
     * judges (fdx_plugin_result.declined, plugin ABI 1.2); 0 otherwise. Was a reserved zero. */
    uint32_t declined;
    double score; /**< the plugin's strength of the verdict */
};

/**
 * Called once for every finished flow record, from inside fdx_engine_feed(), _feed_record(),
 * _advance() or _flush(). It must not call those functions or fdx_engine_free() on the same
 * engine.
 * @param user the options' user pointer.
 * @param rec borrowed until the callback returns.
 */
typedef void (*fdx_flow_fn)(void *user, const struct fdx_flow_record *rec);

#define FDX_LOG_ERROR 0
#define FDX_LOG_WARNING 1
#define FDX_LOG_INFO 2
#define FDX_LOG_DEBUG 3

/** Log sink: the library never prints; it calls this, if set. @p msg is borrowed for the call. */
typedef void (*fdx_log_fn)(void *user, int level, const char *msg);

struct fdx_plugin_inst;

/** Engine settings. Initialise with fdx_engine_options_init(), then change what you need. */
struct fdx_engine_options {
    uint32_t struct_size;         /**< set by fdx_engine_options_init() */
    uint32_t max_flows;           /**< flow table capacity; the least recently seen is evicted */
    uint64_t idle_timeout_us;     /**< default 120 s */
    uint64_t active_timeout_us;   /**< default 120 s; 0 disables */
    uint64_t linger_us;           /**< after RST or both FINs, default 2 s */
    const char *feature_sets;     /**< comma-separated names, default "zadnik"; "" = none (plugins
                                       alone); copied */
    const uint16_t *server_ports; /**< ports >= 1024 treated as server ports for the initiator
                                       rule; NULL = the built-in list; copied */
    uint32_t n_server_ports;      /**< entries in server_ports */
    fdx_flow_fn on_flow;          /**< finished-record callback (may be NULL) */
    fdx_log_fn log;               /**< log sink (may be NULL) */
    void *user;                   /**< passed to on_flow and log; borrowed */
    /* added after the first layout: a shorter struct_size leaves them at their defaults */
    struct fdx_plugin_inst *const *plugins; /**< plugin instances (flowdx_plugin.h) to run after
                                                 the feature sets; borrowed for the engine's life;
                                                 the array itself is copied */
    uint32_t n_plugins;                     /**< entries in plugins (at most 16) */
    uint64_t first_flow_id; /**< flow_id of the first flow; 0 = 1. An engine that replaces another
                                 (a configuration reload) goes on with the old one's numbers */
};

/** Counters of an engine, filled by fdx_engine_stats(). Layout is ABI: append-only. */
struct fdx_engine_stats {
    uint32_t struct_size;
    uint32_t active_flows;                    /**< flows open now */
    uint64_t packets;                         /**< packets fed */
    uint64_t outcomes[FDX_PKT_OUTCOME_COUNT]; /**< FDX_PKT_* counters, summing to packets */
    uint64_t flows_ended[FDX_END_COUNT];      /**< records produced per FDX_END_* */
    uint64_t icmp_errors;                     /**< ICMP/ICMPv6 errors seen (own ICMP flows) */
    uint64_t fragments;                       /**< IP fragments seen (any position) */
    uint64_t max_active_flows;                /**< high-water mark of open flows */
    uint64_t alloc_failures;                  /**< times memory for more flows ran out (the
                                                   table then evicts as if full; logged once) */
    /* added after the first layout: a shorter struct_size is filled up to its end */
    uint64_t records;      /**< flow records given to fdx_engine_feed_record() and reported (also
                                counted in flows_ended by their end reason) */
    uint64_t last_flow_id; /**< the highest flow_id given to a flow so far (open ones too); 0
                                before the first (first_flow_id - 1 when that was set) */
    uint64_t oversize;     /**< IP packets longer than FDX_ETHERNET_MTU (IP total length; IPv6:
                                40 + payload length) between addresses other than loopback:
                                segments merged by receive offloads or not yet split by send
                                offloads where the capture was made, or jumbo frames */
    uint32_t oversize_largest; /**< the largest such IP length; 0 when none */
    uint32_t reserved;
};

/** Ethernet's MTU, the IP length above which fdx_engine_stats.oversize counts a packet. */
#define FDX_ETHERNET_MTU 1500u

typedef struct fdx_engine fdx_engine;

/** Fill @p opts with the defaults. */
FDX_API void fdx_engine_options_init(struct fdx_engine_options *opts);

/**
 * Create an engine.
 * @param opts borrowed for the call; strings and arrays in it are copied.
 * @param ret_engine set on success; free with fdx_engine_free().
 * @param errbuf filled with a message on failure (may be NULL).
 * @return 0, or with a message in errbuf: FDX_EINVAL (bad option or set combination), FDX_ENOENT
 * (unknown feature set), FDX_ERANGE (max_flows or idle timeout out of range) or FDX_ENOMEM.
 */
FDX_API int fdx_engine_new(const struct fdx_engine_options *opts, fdx_engine **ret_engine,
                           char *errbuf, size_t errlen);

/** Free an engine without producing records (call fdx_engine_flush() first to get them). NULL ok.
 */
FDX_API void fdx_engine_free(fdx_engine *engine);

/**
 * Give the engine one captured packet, in capture order. Timestamps may go backwards a little
 * (the engine's clock keeps its maximum); a jump back by more than the idle timeout (a capture
 * that restarts) ends every open flow with FDX_END_CLOCK and restarts the clock.
 * @param linktype the libpcap DLT_* value of the capture.
 * @param ts_us capture time in microseconds since the Unix epoch.
 * @param data borrowed for the call.
 * @param caplen bytes in data; @param wirelen bytes on the wire (>= caplen).
 * @return the FDX_PKT_* outcome (>= 0); never an error: bad packets are counted.
 */
FDX_API int fdx_engine_feed(fdx_engine *engine, int linktype, uint64_t ts_us, const uint8_t *data,
                            uint32_t caplen, uint32_t wirelen);

/** @name What a flow record from another probe carries (fdx_input_record.present) */
/**@{*/
#define FDX_INPUT_RESP                                                                             \
    (1u << 1) /**< the response direction's packets and bytes: a biflow, or                        \
                   one-way records paired (0 packets: none were seen) */
#define FDX_INPUT_TCP_FLAGS (1u << 2) /**< tcp_flags */
#define FDX_INPUT_TTL (1u << 3)       /**< min_ttl, max_ttl */
#define FDX_INPUT_IP_LEN (1u << 4)    /**< min_ip_len, max_ip_len */
/**@}*/

/**
 * One flow record from another probe (a NetFlow or IPFIX exporter, through a collector), for
 * fdx_engine_feed_record(). The caller decides which endpoint initiated the flow: src is the
 * initiator, the request direction [FDX_DIR_REQ] its packets. Values of a direction the record
 * does not describe, and members whose FDX_INPUT_* bit is clear, are not read. Initialise with
 * fdx_input_record_init(). Layout is ABI: append-only.
 */
struct fdx_input_record {
    uint32_t struct_size;   /**< set by fdx_input_record_init() */
    uint32_t present;       /**< FDX_INPUT_* bits: what besides the request counters it carries */
    uint32_t end_reason;    /**< FDX_END_* as the exporter said (FDX_END_IDLE when it did not) */
    uint8_t ip_version;     /**< 4 or 6 */
    uint8_t proto;          /**< IP protocol number */
    uint16_t reserved;      /**< zero */
    uint16_t src_port;      /**< initiator's port, host byte order; 0 without ports */
    uint16_t dst_port;      /**< responder's port */
    uint8_t src_addr[16];   /**< initiator address, network byte order; IPv4 in bytes 0-3 */
    uint8_t dst_addr[16];   /**< responder address */
    uint64_t start_us;      /**< first packet, microseconds since the Unix epoch */
    uint64_t end_us;        /**< last packet (>= start_us) */
    uint64_t packets[2];    /**< packets per direction ([FDX_DIR_RESP] with FDX_INPUT_RESP) */
    uint64_t bytes[2];      /**< IP bytes (IP total length) per direction */
    uint8_t tcp_flags[2];   /**< OR of the TCP flags per direction (FDX_INPUT_TCP_FLAGS) */
    uint8_t min_ttl[2];     /**< smallest TTL / hop limit per direction (FDX_INPUT_TTL) */
    uint8_t max_ttl[2];     /**< largest (FDX_INPUT_TTL) */
    uint16_t reserved2;     /**< zero */
    uint32_t min_ip_len[2]; /**< smallest IP total length per direction (FDX_INPUT_IP_LEN) */
    uint32_t max_ip_len[2]; /**< largest (FDX_INPUT_IP_LEN) */
};

/** Zero @p rec and set its struct_size. */
FDX_API void fdx_input_record_init(struct fdx_input_record *rec);

/**
 * Give the engine one finished flow record from another probe. It becomes a record of its own at
 * once: on_flow is called before this returns, with the next flow_id, the record's end reason,
 * times and counters (segment 0). Feature sets that can be computed from a record (flowrec,
 * doc/features/flowrec.md) take their values from it, NaN where it lacks them; every other set
 * gives NaN. Plugins that declare FDX_IN_RECORDS get flow_begin, flow_end and flow_release with
 * the record's fields in their flow view (record_present); the others do not run for it: their
 * fields are NaN and their verdict FDX_VERDICT_NONE. The engine's flow table, clock and timeouts
 * are not touched.
 * @param rec borrowed for the call.
 * @return 0, or FDX_EINVAL (NULL, a struct_size smaller than the first release's, an IP version
 * other than 4 or 6, end_us before start_us): nothing is reported then.
 */
FDX_API int fdx_engine_feed_record(fdx_engine *engine, const struct fdx_input_record *rec);

/** Advance the engine clock without a packet (live capture), ending flows whose time is up. */
FDX_API void fdx_engine_advance(fdx_engine *engine, uint64_t now_us);

/** End of input: every open flow ends with FDX_END_EOF, in order of start. */
FDX_API void fdx_engine_flush(fdx_engine *engine);

/** Copy the counters to @p ret_stats: no more than the struct_size the caller sets, which becomes
 * the number of bytes written. Below 4 (not set), nothing is written. */
FDX_API void fdx_engine_stats(const fdx_engine *engine, struct fdx_engine_stats *ret_stats);

/** @name Identifier columns a record is best written with (fdx_engine_id_style()) */
/**@{*/
#define FDX_IDS_FLOWDX                                                                             \
    0 /**< flow_id, src_addr, src_port, dst_addr, dst_port, proto, start_us,                       \
           end_us, end_reason */
#define FDX_IDS_DATASET                                                                            \
    1 /**< SourceIP, DestinationIP, SourcePort, DestinationPort, TimeStamp                         \
           (UTC, "%Y-%m-%d %H:%M:%S"), as CIRA-CIC-DoHBrw-2020 */
/**@}*/

/** FDX_IDS_DATASET when the engine runs one feature set that asks for the dataset's identifier
 * columns (doh), else FDX_IDS_FLOWDX. */
FDX_API uint32_t fdx_engine_id_style(const fdx_engine *engine);

/** Number of feature values in every record of this engine. */
FDX_API uint32_t fdx_engine_feature_count(const fdx_engine *engine);

/** Name of feature @p i (spec name), or NULL if out of range. A built-in set's names are static;
 * a plugin's field names live in its library (fdx_plugin_lib_close() ends them). */
FDX_API const char *fdx_engine_feature_name(const fdx_engine *engine, uint32_t i);

/**
 * nDPI's name of the protocol in record @p r of this engine ("TLS.DoH_DoT", "Unknown"), written
 * into @p buf, from the record's dpi values and the engine's own nDPI module.
 * @return @p buf, or NULL when the engine does not run the dpi set.
 */
FDX_API const char *fdx_engine_dpi_name(const fdx_engine *engine, const struct fdx_flow_record *r,
                                        char *buf, size_t len);

/**
 * The server name nDPI read in the flow being reported (TLS SNI, HTTP Host, the DNS query, ...;
 * at most 63 bytes, printable ASCII), written into @p buf. Valid only inside the on_flow
 * callback, for the record it is given.
 * @return @p buf, or NULL: no name, called outside on_flow, or no dpi set in the engine.
 */
FDX_API const char *fdx_engine_dpi_server(const fdx_engine *engine, char *buf, size_t len);

/** Number of feature sets built into the library. */
FDX_API uint32_t fdx_feature_set_count(void);

/** Name of built-in feature set @p i, or NULL. Static storage. */
FDX_API const char *fdx_feature_set_name(uint32_t i);

/** One-line description of built-in feature set @p i, or NULL. Static storage. */
FDX_API const char *fdx_feature_set_summary(uint32_t i);

/** Static text for an FDX_E* code. */
FDX_API const char *fdx_strerror(int err);

/** Short name of an FDX_PKT_* outcome ("decoded", "truncated", ...), or NULL. */
FDX_API const char *fdx_outcome_name(uint32_t outcome);

/** Short name of an FDX_END_* reason ("idle", "active", "fin", ...), or NULL. */
FDX_API const char *fdx_end_reason_name(uint32_t reason);

/** Library version string, e.g. "0.1.0". */
FDX_API const char *fdx_version(void);

/* ---- Captures: pcap and pcapng files (and standard input) through libpcap. ---- */

typedef struct fdx_capture fdx_capture;

/** One packet read from a capture; data is borrowed until the next fdx_capture_next(). */
struct fdx_capture_packet {
    uint64_t ts_us;      /**< microseconds since the Unix epoch */
    uint32_t caplen;     /**< bytes in data */
    uint32_t wirelen;    /**< bytes on the wire */
    const uint8_t *data; /**< packet bytes, starting with the link header */
};

/**
 * Open a pcap or pcapng file ("-" = standard input).
 * @param path borrowed for the call.
 * @param bpf capture filter in tcpdump syntax, or NULL; borrowed for the call.
 * @param ret_capture set on success; free with fdx_capture_free().
 * @param errbuf filled with "PATH: reason" on failure.
 * @return 0, FDX_ENOENT (missing), FDX_EIO (unreadable), FDX_EFORMAT (not a capture), FDX_ETRUNC
 * (an empty file, or a capture cut in its file header), FDX_EINVAL (bad filter) or FDX_ENOMEM.
 */
FDX_API int fdx_capture_open_file(const char *path, const char *bpf, fdx_capture **ret_capture,
                                  char *errbuf, size_t errlen);

/**
 * Read the next packet.
 * @return 1 with @p ret_pkt filled, 0 at the end of the capture (or after fdx_capture_break()),
 * or, with "PATH: packet N: reason" in errbuf, FDX_ETRUNC when the file ends inside a record and
 * FDX_EFORMAT when a record header is corrupt. The packets read before stay valid; the capture
 * cannot be read further. A live capture also returns FDX_CAPTURE_IDLE (no packet within the
 * read timeout; call again), and FDX_EIO with "IFACE: reason" when the interface fails or
 * disappears.
 */
FDX_API int fdx_capture_next(fdx_capture *capture, struct fdx_capture_packet *ret_pkt, char *errbuf,
                             size_t errlen);

/**
 * Check that a capture filter (tcpdump syntax) compiles, without opening a capture: for a
 * configuration checker. A filter passes when it compiles for one of the link types flowdx
 * decodes (Ethernet, Linux cooked v1 and v2, raw IP, BSD loopback), with a netmask; the capture
 * it is then used on may still refuse it ("ether host" on raw IP, "ip broadcast" on a file,
 * which has no netmask).
 * @param bpf borrowed for the call.
 * @return 0, FDX_EINVAL with "filter 'BPF': libpcap's reason" in errbuf, or FDX_ENOMEM.
 */
FDX_API int fdx_capture_check_filter(const char *bpf, char *errbuf, size_t errlen);

/** libpcap DLT_* link type of the capture. */
FDX_API int fdx_capture_linktype(const fdx_capture *capture);

/** Bytes of the file read so far and its size (0 when unknown, e.g. a pipe). */
FDX_API void fdx_capture_progress(const fdx_capture *capture, uint64_t *ret_done_bytes,
                                  uint64_t *ret_total_bytes);

/** Close a capture. NULL ok. */
FDX_API void fdx_capture_free(fdx_capture *capture);

/* ---- Live captures: a network interface through libpcap. ---- */

/** fdx_capture_next() on a live capture: no packet arrived within the read timeout. */
#define FDX_CAPTURE_IDLE 2

/** Settings of a live capture. Initialise with fdx_capture_live_options_init(). Append-only. */
struct fdx_capture_live_options {
    uint32_t struct_size;   /**< set by fdx_capture_live_options_init() */
    uint32_t snaplen_bytes; /**< bytes kept of each packet, 1 to 262144 (262144) */
    uint32_t promisc;       /**< 1 (default): promiscuous mode; 0: traffic of the host only */
    uint32_t immediate;     /**< 1: every packet handed over at once; 0 (default): the kernel
                                 batches packets and hands them over at most timeout_ms late */
    uint32_t timeout_ms;    /**< read timeout, 1 to 60000 (100): the longest fdx_capture_next()
                                 waits without a packet, and the batching delay */
    uint32_t buffer_bytes;  /**< kernel capture buffer, at most 2^31 - 1; 0 = libpcap's default */
    const char *bpf;        /**< capture filter in tcpdump syntax, or NULL; borrowed for the
                                 call of fdx_capture_open_live() */
};

/** Fill @p opts with the defaults. */
FDX_API void fdx_capture_live_options_init(struct fdx_capture_live_options *opts);

/**
 * Open a network interface for capture (libpcap's create/activate), in non-blocking mode: a
 * quiet interface makes fdx_capture_next() return FDX_CAPTURE_IDLE after timeout_ms. Packet
 * times are the kernel's receive times (microseconds since the Unix epoch).
 * @param iface interface name ("eth0", "any"); borrowed for the call.
 * @param opts borrowed for the call; NULL = the defaults.
 * @param ret_capture set on success; free with fdx_capture_free().
 * @param errbuf on failure "IFACE: reason"; on success "" or a warning of libpcap's (e.g.
 * promiscuous mode not supported), which the caller may show.
 * @return 0, FDX_ENOENT (no such interface), FDX_EPERM (not permitted: capturing needs root or
 * CAP_NET_RAW), FDX_EINVAL (bad option or filter, with libpcap's message), FDX_EIO (interface
 * down, or another libpcap failure), FDX_ENOTSUP (capture not supported on it) or FDX_ENOMEM.
 */
FDX_API int fdx_capture_open_live(const char *iface, const struct fdx_capture_live_options *opts,
                                  fdx_capture **ret_capture, char *errbuf, size_t errlen);

/**
 * Stop a capture: fdx_capture_next() returns 0 (end) from now on, also from a wait under way.
 * Async-signal-safe, for a SIGINT handler of the thread that reads; called from another thread
 * it takes effect within the read timeout.
 */
FDX_API void fdx_capture_break(fdx_capture *capture);

/** Counters of a capture, filled by fdx_capture_stats(). Layout is ABI: append-only. */
struct fdx_capture_stats {
    uint32_t struct_size; /**< set by the caller */
    uint32_t reserved;
    uint64_t packets;    /**< packets fdx_capture_next() returned */
    uint64_t received;   /**< packets the kernel passed the filter (libpcap ps_recv; on Linux
                              including the dropped ones) */
    uint64_t dropped;    /**< dropped for lack of buffer space (ps_drop) */
    uint64_t if_dropped; /**< dropped by the interface or its driver (ps_ifdrop; Linux reports
                              it in promiscuous mode only) */
    /* appended after 0.1.0: written only when the caller's struct_size covers them */
    uint32_t mtu;      /**< the interface's MTU when the capture was opened; 0 when unknown
                            (the "any" device, a system other than Linux) */
    uint32_t offloads; /**< FDX_OFFLOAD_* bits of the offloads on when the capture was opened;
                            0 on a loopback interface, where they change no packet */
    uint64_t over_mtu; /**< packets whose frame payload (wire length less the link header and
                            VLAN tags) exceeded mtu: segments an offload merged, or not yet
                            split. The payload is what the MTU bounds: the IP length, plus the
                            MPLS labels or PPPoE header a frame carries. Unlike
                            fdx_engine_stats.oversize, it is measured against the interface's
                            own MTU, so a jumbo-frame link's packets are not counted */
    uint32_t over_mtu_largest; /**< the largest such payload; 0 when none */
    uint32_t reserved2;
};

/** Bits of fdx_capture_stats.offloads: the NIC or kernel offloads that make a capture see other
 * packets than the wire carries. */
#define FDX_OFFLOAD_GRO 0x1u /**< generic receive offload: received segments merged */
#define FDX_OFFLOAD_LRO 0x2u /**< large receive offload (in the card): the same */
#define FDX_OFFLOAD_TSO 0x4u /**< TCP segmentation offload: the host's own segments unsplit */
#define FDX_OFFLOAD_GSO 0x8u /**< generic segmentation offload: the same, in the kernel */

/**
 * Counters of a live capture since it was opened (64-bit: libpcap's 32-bit counters are
 * followed across wrap-arounds if this is called at least once per 2^32 packets).
 * @param ret_stats its struct_size set by the caller, then the bytes written; untouched on failure.
 * @return 0, FDX_EINVAL (struct_size below 4: not set), FDX_ENOTSUP for a file capture, or
 * FDX_EIO (libpcap could not read them).
 */
FDX_API int fdx_capture_stats(fdx_capture *capture, struct fdx_capture_stats *ret_stats);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_H */
