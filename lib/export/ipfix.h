/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the IPFIX exporter: destinations, value encodings and element layouts. */
#ifndef FDX_LIB_EXPORT_IPFIX_H
#define FDX_LIB_EXPORT_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx/flowdx.h"

/* RFC 5610 informationElementDataType values (IANA "IPFIX Information Element Data Types"). */
#define FDXI_IE_UNSIGNED8 1
#define FDXI_IE_UNSIGNED16 2
#define FDXI_IE_UNSIGNED32 3
#define FDXI_IE_UNSIGNED64 4
#define FDXI_IE_FLOAT64 10
#define FDXI_IE_STRING 13
#define FDXI_IE_DATETIME_MS 15
#define FDXI_IE_DATETIME_US 16
#define FDXI_IE_IPV4 18
#define FDXI_IE_IPV6 19

/* RFC 5610 informationElementSemantics values used here. */
#define FDXI_IE_SEM_DEFAULT 0
#define FDXI_IE_SEM_QUANTITY 1
#define FDXI_IE_SEM_DELTA 3
#define FDXI_IE_SEM_IDENTIFIER 4

/* RFC 5103 section 6.1: the enterprise number of the reverse of an IANA element. */
#define FDXI_IPFIX_PEN_REVERSE 29305u
/* RFC 5103 section 6.2: the element id bit that marks the reverse of an enterprise element. */
#define FDXI_IPFIX_REVERSE_BIT 0x4000u
/* RFC 7011 section 7: the length of a variable-length field in a template. */
#define FDXI_IPFIX_VARLEN 0xffffu
/* Labels are cut to this many bytes (the plugin ABI's label holds 31 and a terminator). */
#define FDXI_IPFIX_LABEL_MAX 31u

/* flowdx's own element ids under its enterprise number: 8192-16383 (plugins get 1-8191). */
#define FDXI_IPFIX_OWN_FIRST 8192u
#define FDXI_IPFIX_ID_END_REASON 8200u
#define FDXI_IPFIX_ID_SEGMENT 8201u

/* ---- destinations ---- */

enum { FDXI_DEST_FILE, FDXI_DEST_UDP, FDXI_DEST_TCP };

struct fdxi_ipfix_dest {
    int kind;         /* FDXI_DEST_* */
    char host[256];   /* UDP/TCP: name or address, without IPv6 brackets */
    char port[6];     /* UDP/TCP: decimal 1-65535 */
    const char *path; /* FILE: the text itself (borrowed from the parsed text) */
};

/* Parse "PATH", "udp://HOST[:PORT]" or "tcp://HOST[:PORT]" (HOST: a name, an IPv4 address or
 * "[IPv6]"; PORT 1-65535, default 4739). FDX_EINVAL with the reason in errbuf. */
int fdxi_ipfix_dest_parse(const char *text, struct fdxi_ipfix_dest *ret, char *errbuf,
                          size_t errlen);
/* The same grammar for a collector's listening address: udp:// or tcp:// only, and PORT 0 (any
 * free port) allowed. */
int fdxi_ipfix_listen_parse(const char *text, struct fdxi_ipfix_dest *ret, char *errbuf,
                            size_t errlen);

/* ---- value encodings ---- */

/* RFC 5102 flowEndReason for an FDX_END_* reason (doc/ipfix.md has the table). */
uint8_t fdxi_ipfix_end_reason(uint32_t fdx_reason);

/* The inverse, for a collector: the FDX_END_* reason of RFC 5102 flowEndReason @p iana, the first
 * in FDX_END_* order that fdxi_ipfix_end_reason() maps to it (3 FIN, not RST; 4 EOF, not CLOCK;
 * 2 ACTIVE, not CUT); FDX_END_IDLE for a value it maps nothing to. */
uint32_t fdxi_ipfix_fdx_end_reason(uint64_t iana);

/* dateTimeMicroseconds (RFC 7011 section 6.1.9): the NTP timestamp of @p unix_us, its fraction
 * rounded up to the next multiple of 2^-21 s so that the 11 low bits are zero and a reader that
 * truncates or rounds to microseconds gets @p unix_us back. Seconds wrap in 2036 (NTP era 1). */
uint64_t fdxi_ipfix_time_us(uint64_t unix_us);

/* The inverse, for a collector: microseconds since the Unix epoch of NTP timestamp @p ntp
 * (dateTimeMicroseconds or dateTimeNanoseconds), the fraction truncated; seconds below the Unix
 * epoch's are taken as NTP era 1 (after 2036). fdxi_ipfix_unix_us(fdxi_ipfix_time_us(t)) is t
 * for every t before 2106 (Unix seconds below 2^32). */
uint64_t fdxi_ipfix_unix_us(uint64_t ntp);

/* A plugin field's double as an unsigned integer of @p bytes (1, 2, 4 or 8): rounded to the
 * nearest, NaN and negative values 0, values too large the type's maximum. */
uint64_t fdxi_ipfix_unsigned(double v, uint32_t bytes);

/* ---- element layout ---- */

/* Where an element's value comes from. */
enum {
    FDXI_SRC_FLOW_ID,
    FDXI_SRC_SRC_ADDR,
    FDXI_SRC_SRC_PORT,
    FDXI_SRC_DST_ADDR,
    FDXI_SRC_DST_PORT,
    FDXI_SRC_PROTO,
    FDXI_SRC_START,
    FDXI_SRC_END,
    FDXI_SRC_IANA_END_REASON,
    FDXI_SRC_PACKETS, /* index: FDX_DIR_* */
    FDXI_SRC_BYTES,   /* index: FDX_DIR_* */
    FDXI_SRC_END_REASON,
    FDXI_SRC_SEGMENT,
    FDXI_SRC_VALUE,   /* index: the record value (feature or plugin field) */
    FDXI_SRC_VERDICT, /* index: the verdict slot */
    FDXI_SRC_SCORE,   /* index: the verdict slot */
    FDXI_SRC_LABEL,   /* index: the verdict slot */
};

#define FDXI_IPFIX_NAME_MAX 128

struct fdxi_ipfix_element {
    char name[FDXI_IPFIX_NAME_MAX]; /* information element name */
    char description[192];          /* for the RFC 5610 record ("" for IANA's elements) */
    uint32_t pen;                   /* enterprise number: 0 IANA, 29305 reverse IANA, ... */
    uint16_t id;                    /* element id without the enterprise bit; the reverse bit
                                       set for the reverse of an enterprise element */
    uint16_t len;                   /* octets in a record, FDXI_IPFIX_VARLEN for strings */
    uint8_t type;                   /* FDXI_IE_* data type */
    uint8_t semantics;              /* FDXI_IE_SEM_* */
    uint8_t ipver;                  /* 4 or 6: only in that template; 0 in both */
    uint8_t defined;                /* 1: flowdx defines it (info model and RFC 5610 record);
                                       0: an IANA element libfixbuf's model has */
    uint32_t src;                   /* FDXI_SRC_* */
    uint32_t index;                 /* see FDXI_SRC_* */
};

struct fdxi_ipfix_layout {
    struct fdxi_ipfix_element *el; /* n elements, in template order */
    uint32_t n;
    uint32_t n_values;    /* values in a record: features, then plugin fields */
    uint32_t n_detectors; /* verdict slots the caller fills, before the plugins' */
    uint32_t n_slots;     /* detectors + plugins */
};

/*
 * The elements of @p e's records (doc/ipfix.md): IANA identifiers, flowdx's end reason and
 * segment, one float64 per feature (the response twin of a request feature as its RFC 5103
 * reverse), the plugins' fields, and verdict, score and label per slot (detectors, then plugins).
 * @param pen the enterprise number of flowdx's elements and of FDX_PEN_OWN fields.
 * @return 0, FDX_EINVAL (a set without an element block, a bad detector name, a plugin field
 * whose element is reserved, out of range or already taken: named in errbuf) or FDX_ENOMEM.
 */
int fdxi_ipfix_layout_new(const fdx_engine *e, uint32_t pen, const char *const *detectors,
                          uint32_t n_detectors, struct fdxi_ipfix_layout **ret, char *errbuf,
                          size_t errlen);
void fdxi_ipfix_layout_free(struct fdxi_ipfix_layout *l);

/* The first element id of a built-in feature set's block, or 0 when it has none. */
uint32_t fdxi_ipfix_block_base(const char *set_name);

#endif /* FDX_LIB_EXPORT_IPFIX_H */
