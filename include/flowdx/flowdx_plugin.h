/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx plugin ABI, version 1: the descriptor a plugin exports and the views a host passes. */
#ifndef FLOWDX_FLOWDX_PLUGIN_H
#define FLOWDX_FLOWDX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file flowdx_plugin.h
 *
 * A plugin is a shared object that exports one function, FDX_PLUGIN_ENTRY_NAME, returning a
 * pointer to a static, constant struct fdx_plugin. The promise (doc/abi.md):
 * - Every struct here starts with its size or is reached through one that does; members are only
 *   ever added at the end, under an "ABI 1.N+" comment. A host reads a member only when the
 *   struct_size it was given covers it, and calls an added callback only when it is non-NULL.
 *   Exception: struct fdx_plugin_field (the elements of a plugin's field table) and struct
 *   fdx_flow_verdict (flowdx.h, the elements of a record's verdicts[]) are array elements without
 *   a size of their own; their layout is frozen for major 1 and changes only with ABI 2.
 * - A host accepts a plugin whose abi_major equals its own and whose struct_size covers ABI 1.0,
 *   and that has every mandatory callback; otherwise it refuses it with both versions in the
 *   message and unloads it before calling anything in it.
 * - Fields are fixed-width integers, pointers and doubles; no enum-typed members.
 *
 * Life cycle, on one host thread per engine: init once; thread_init once per capture thread
 * (optional); for every flow: flow_begin, packet for each of its packets (or none, for flow
 * records), flow_end, flow_release; thread_fini; fini. Per-flow state is the host's memory:
 * flow_state_bytes, zeroed before flow_begin, 16-byte aligned, valid until flow_release.
 */

#define FDX_PLUGIN_ABI_MAJOR 1
#define FDX_PLUGIN_ABI_MINOR 2

/** Name of the exported entry function (of type fdx_plugin_entry_fn). */
#define FDX_PLUGIN_ENTRY_NAME "fdx_plugin_entry_v1"

/** Largest per-flow state a host reserves for one plugin. */
#define FDX_PLUGIN_MAX_FLOW_STATE 65536u
/** Most fields one plugin exports. */
#define FDX_PLUGIN_MAX_FIELDS 1024u

/** @name Inputs a plugin needs (fdx_plugin.inputs, fdx_plugin_packet.present) */
/**@{*/
#define FDX_IN_TIMES (1u << 0)       /**< per-packet timestamps */
#define FDX_IN_IP_LEN (1u << 1)      /**< IP total length per packet */
#define FDX_IN_TTL (1u << 2)         /**< IPv4 TTL / IPv6 hop limit per packet */
#define FDX_IN_TCP (1u << 3)         /**< TCP flags, sequence and acknowledgement numbers */
#define FDX_IN_WINDOW (1u << 4)      /**< TCP window field (unscaled) */
#define FDX_IN_PAYLOAD (1u << 5)     /**< transport payload bytes */
#define FDX_IN_TCP_OPTIONS (1u << 6) /**< TCP option bytes (MSS, window scale, SACK, ...) */
/** the plugin works on flow records alone: no packet callback */
#define FDX_IN_RECORDS (1u << 7)
#define FDX_IN_ALL_PACKET 0x7fu /**< every per-packet input of ABI 1.0 */
/**@}*/

/** @name Field value types (fdx_plugin_field.type), with their IPFIX abstract data types */
/**@{*/
#define FDX_FIELD_U8 1  /**< unsigned8 */
#define FDX_FIELD_U16 2 /**< unsigned16 */
#define FDX_FIELD_U32 3 /**< unsigned32 */
#define FDX_FIELD_U64 4 /**< unsigned64 */
#define FDX_FIELD_F64 5 /**< float64 */
/**@}*/

/** @name Which direction a field describes (fdx_plugin_field.direction) */
/**@{*/
#define FDX_FIELD_FLOW 0 /**< the flow as a whole */
#define FDX_FIELD_REQ 1  /**< the initiator's packets (IPFIX forward) */
#define FDX_FIELD_RESP 2 /**< the responder's packets (IPFIX reverse, RFC 5103) */
/**@}*/

/** Enterprise number meaning "the host's configured private enterprise number". */
#define FDX_PEN_OWN 0xffffffffu

/** One exported field. A static table of these is part of the descriptor. */
struct fdx_plugin_field {
    const char *name;        /**< column and JSON name, [a-z0-9_], unique in the host */
    uint32_t type;           /**< FDX_FIELD_* */
    uint32_t direction;      /**< FDX_FIELD_FLOW, _REQ or _RESP */
    uint32_t enterprise;     /**< IPFIX enterprise number: 0 = IANA, FDX_PEN_OWN = the host's */
    uint16_t element_id;     /**< IPFIX element id (without the enterprise bit); 0 = not exported
                                  over IPFIX */
    uint16_t reserved;       /**< zero */
    const char *description; /**< one line, for listings and documentation */
};

/** The flow as the host sees it: identity and counters. Borrowed for the call. */
struct fdx_plugin_flow {
    uint32_t struct_size; /**< of the host's struct */
    uint8_t ip_version;   /**< 4 or 6 */
    uint8_t proto;        /**< IP protocol */
    uint16_t src_port;    /**< initiator's port (host byte order) */
    uint16_t dst_port;    /**< responder's port */
    uint16_t reserved;
    uint8_t src_addr[16]; /**< initiator address, network byte order, IPv4 in bytes 0-3 */
    uint8_t dst_addr[16]; /**< responder address */
    uint64_t flow_id;     /**< host-wide record number */
    uint64_t start_us;    /**< first packet, microseconds since the Unix epoch */
    uint64_t end_us;      /**< latest packet */
    uint64_t packets[2];  /**< per direction, [0] request, [1] response */
    uint64_t bytes[2];    /**< IP bytes per direction */
    /* Flow-record inputs: set when the flow comes from a flow record (FDX_IN_RECORDS). */
    uint32_t record_present; /**< FDX_REC_* bits: which of the following the record carried */
    uint8_t tcp_flags[2];    /**< OR of TCP flags per direction */
    uint8_t min_ttl[2], max_ttl[2];        /**< per direction */
    uint16_t min_ip_len[2], max_ip_len[2]; /**< per direction */
    /* ABI 1.1+ (read only when struct_size covers it) */
    uint32_t app_flags; /**< FDX_APP_* bits: the host's own protocol detection, at flow_end only
                             (zero in flow_begin and packet: detection needs the first packets) */
    uint32_t reserved2;
};

/** @name What the host's protocol detection found (fdx_plugin_flow.app_flags, ABI 1.1) */
/**@{*/
#define FDX_APP_DOH (1u << 0)  /**< DNS over HTTPS or TLS (flowdx: nDPI's DoH_DoT) */
#define FDX_APP_SMTP (1u << 1) /**< SMTP or SMTPS (flowdx: nDPI's SMTP, SMTPS) */
/**@}*/

/** @name What a flow record carried (fdx_plugin_flow.record_present) */
/**@{*/
#define FDX_REC_FROM_RECORD (1u << 0) /**< the flow is a flow record, not built from packets */
#define FDX_REC_RESP (1u << 1)        /**< reverse-direction counters are present (RFC 5103) */
#define FDX_REC_TCP_FLAGS (1u << 2)
#define FDX_REC_TTL (1u << 3)
#define FDX_REC_IP_LEN (1u << 4)
/**@}*/

/** One packet of a flow, parsed by the host. Borrowed for the call. */
struct fdx_plugin_packet {
    uint32_t struct_size;   /**< of the host's struct */
    uint32_t present;       /**< FDX_IN_* bits: which of the following hold values */
    uint32_t direction;     /**< 0 request (from the initiator), 1 response */
    uint32_t wire_bytes;    /**< frame length on the wire */
    uint64_t ts_us;         /**< FDX_IN_TIMES */
    uint32_t ip_len;        /**< FDX_IN_IP_LEN: IP total length */
    uint16_t ip_hdr_bytes;  /**< FDX_IN_IP_LEN: IP header with options or extension headers */
    uint8_t ttl;            /**< FDX_IN_TTL */
    uint8_t tcp_flags;      /**< FDX_IN_TCP: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 ... */
    uint32_t tcp_seq;       /**< FDX_IN_TCP */
    uint32_t tcp_ack;       /**< FDX_IN_TCP */
    uint16_t tcp_window;    /**< FDX_IN_WINDOW: the raw field */
    uint16_t tcp_hdr_bytes; /**< FDX_IN_TCP: header with options */
    const uint8_t *tcp_options; /**< FDX_IN_TCP_OPTIONS */
    uint32_t tcp_options_bytes; /**< FDX_IN_TCP_OPTIONS: bytes at tcp_options */
    uint32_t payload_bytes;     /**< transport payload length from the headers (always set) */
    const uint8_t *payload;     /**< FDX_IN_PAYLOAD: captured payload (may be shorter) */
    uint32_t payload_caplen;    /**< FDX_IN_PAYLOAD: bytes at payload */
    uint32_t reserved;
};

/** @name Verdicts (fdx_plugin_result.verdict) */
/**@{*/
#define FDX_PLUGIN_NO_VERDICT 0 /**< the plugin does not judge this flow */
#define FDX_PLUGIN_BENIGN 1
#define FDX_PLUGIN_MALICIOUS 2
#define FDX_PLUGIN_UNCERTAIN 3
/**@}*/

/** What flow_end fills. The host zeroes values and sets verdict to NO_VERDICT first. */
struct fdx_plugin_result {
    uint32_t struct_size; /**< of the host's struct */
    uint32_t verdict;     /**< FDX_PLUGIN_* verdict */
    double score;         /**< the plugin's own strength of the verdict (e.g. a vote share) */
    double *values;       /**< one value per field of the descriptor, in table order */
    uint32_t n_values;    /**< = n_fields */
    /** ABI 1.2 (a reserved zero before): with FDX_PLUGIN_NO_VERDICT, nonzero when the flow is
     * one of those the plugin judges and it declined on purpose (flowdx-spam: an SMTP flow with
     * no packet from the server), so that a host can count such flows apart from the flows the
     * plugin does not look at. The host zeroes it; it is ignored with a verdict, and by hosts
     * of ABI 1.0 and 1.1. */
    uint32_t declined;
    /** optional short class name for alerts ("doh-tunnel", "spam"), NUL-terminated; the host
     * replaces each byte that is not printable ASCII with '?' */
    char label[32];
};

/** Settings handed to init: the plugin's "settings:" mapping, and where it runs. */
struct fdx_plugin_init_args {
    uint32_t struct_size;
    uint32_t host_abi_minor;         /**< the host's FDX_PLUGIN_ABI_MINOR */
    const fdx_config_node *settings; /**< the plugin's settings mapping (never NULL: empty when
                                          the configuration has none); read it with the
                                          fdx_config_get_* accessors. Borrowed during init. */
    /** where shipped models live (the host's data directory; "." when it gave none) */
    const char *data_dir;
    const char *host_name; /**< "flowdx" or the embedding host's name */
};

/**
 * The descriptor. Mandatory: init, fini, flow_end. Every other callback may be NULL.
 * Return values of init and thread_init: 0, or a negative FDX_E* code with a message in errbuf.
 */
struct fdx_plugin {
    /* ABI 1.0 */
    uint32_t abi_major;   /**< FDX_PLUGIN_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;   /**< FDX_PLUGIN_ABI_MINOR the plugin was built with */
    uint32_t struct_size; /**< sizeof(struct fdx_plugin) the plugin was built with */
    uint32_t inputs;      /**< FDX_IN_* bits it needs */
    const char *name;     /**< short name, [a-z0-9_-], unique among loaded plugins */
    const char *version;  /**< the plugin's own version */
    const char *summary;  /**< one line */
    uint32_t
        flow_state_bytes; /**< per-flow state the host reserves, <= FDX_PLUGIN_MAX_FLOW_STATE */
    uint32_t n_fields;    /**< entries of fields, <= FDX_PLUGIN_MAX_FIELDS */
    const struct fdx_plugin_field *fields; /**< static table */

    int (*init)(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                size_t errlen);
    void (*fini)(void *self);
    int (*thread_init)(void *self, void **ret_thread, char *errbuf, size_t errlen);
    void (*thread_fini)(void *self, void *thread);
    void (*flow_begin)(void *self, void *thread, void *flow_state,
                       const struct fdx_plugin_flow *flow);
    void (*packet)(void *self, void *thread, void *flow_state, const struct fdx_plugin_flow *flow,
                   const struct fdx_plugin_packet *pkt);
    void (*flow_end)(void *self, void *thread, void *flow_state, const struct fdx_plugin_flow *flow,
                     struct fdx_plugin_result *result);
    void (*flow_release)(void *self, void *thread, void *flow_state);
};

/** Type of the entry function. It must return the same pointer every time. */
typedef const struct fdx_plugin *(*fdx_plugin_entry_fn)(void);

/** Marks the entry function in a plugin's source (visibility default). */
#if defined(__GNUC__)
#define FDX_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define FDX_PLUGIN_EXPORT
#endif

/** The entry function every plugin defines (with FDX_PLUGIN_EXPORT) under this exact name. */
const struct fdx_plugin *fdx_plugin_entry_v1(void);

/* ---- Host side: what libflowdx offers a program that loads plugins. ---- */

/** A plugin library loaded and checked against this ABI. */
typedef struct fdx_plugin_lib fdx_plugin_lib;

/**
 * Load a plugin shared object and check its descriptor (see the file comment). A plugin that
 * fails a check is unloaded before anything in it besides the entry function runs.
 * @param path borrowed for the call (dlopen() rules: a name without '/' is searched for).
 * @param ret_lib set on success; close with fdx_plugin_lib_close() after every engine using it
 * is freed.
 * @return 0, FDX_ENOENT (a path with '/' that does not exist, or no entry symbol), FDX_EPERM
 * (such a path that may not be read), FDX_EIO (any other failure to stat() it), FDX_EFORMAT
 * (dlopen() failed: not a loadable object, a missing dependency, or a name without '/' that the
 * search path does not find; dlerror()'s text in errbuf), FDX_ENOTSUP (another ABI major, or a
 * descriptor too small: both versions in errbuf) or FDX_EINVAL (a descriptor that breaks a rule:
 * the rule in errbuf).
 */
FDX_API int fdx_plugin_lib_open(const char *path, fdx_plugin_lib **ret_lib, char *errbuf,
                                size_t errlen);

/**
 * The same checks for a plugin linked into the program itself.
 * @param what a name for messages ("built-in spam"); copied.
 */
FDX_API int fdx_plugin_lib_from_entry(fdx_plugin_entry_fn entry, const char *what,
                                      fdx_plugin_lib **ret_lib, char *errbuf, size_t errlen);

/** The checked descriptor; static storage of the plugin, valid until the library is closed. */
FDX_API const struct fdx_plugin *fdx_plugin_lib_descriptor(const fdx_plugin_lib *lib);

/** Unload. NULL ok. Every instance of the plugin must have been freed. */
FDX_API void fdx_plugin_lib_close(fdx_plugin_lib *lib);

/** A plugin initialised with its settings, shared by the engines that run it. */
typedef struct fdx_plugin_inst fdx_plugin_inst;

/**
 * Initialise a plugin: calls its init with @p settings, then refuses settings keys the plugin did
 * not ask for ("FILE:LINE:COL: unknown key 'K' (did you mean 'N'?)"), calling fini first.
 * @param lib borrowed until the instance is freed.
 * @param settings the plugin's settings mapping, or NULL (an empty one); borrowed for the call.
 * @param data_dir handed to the plugin (where shipped models live), or NULL for the current
 * directory ("."); copied.
 * @param ret_inst set on success; free with fdx_plugin_inst_free() after the engines using it.
 * @return 0, the plugin's own error code with its message, FDX_EINVAL (unknown settings key) or
 * FDX_ENOMEM.
 */
FDX_API int fdx_plugin_inst_new(const fdx_plugin_lib *lib, const fdx_config_node *settings,
                                const char *data_dir, fdx_plugin_inst **ret_inst, char *errbuf,
                                size_t errlen);

/** Call the plugin's fini and free the instance. NULL ok. */
FDX_API void fdx_plugin_inst_free(fdx_plugin_inst *inst);

#ifdef __cplusplus
}
#endif

#endif /* FLOWDX_FLOWDX_PLUGIN_H */
