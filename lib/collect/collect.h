/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the collector: decoded records, exporter sessions, decoders, pairing. */
#ifndef FDX_LIB_COLLECT_H
#define FDX_LIB_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_collect.h"

/* ---- readers of big-endian (network order) unsigned integers: every export format's ---- */

static inline uint16_t fdxi_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fdxi_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* @p n bytes (0 to 8): IPFIX's reduced-size encoding (RFC 7011 section 6.2). */
static inline uint64_t fdxi_be_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* What a decoded record holds (fdxi_flowdec.have). Per-direction values are [0] forward (as the
 * exporter wrote the record) and [1] reverse (RFC 5103, FDXI_DEC_REV). */
#define FDXI_DEC_V4 (1u << 0)      /* IPv4 addresses */
#define FDXI_DEC_V6 (1u << 1)      /* IPv6 addresses */
#define FDXI_DEC_REV (1u << 2)     /* reverse packets and bytes: a biflow */
#define FDXI_DEC_FLAGS (1u << 3)   /* TCP flags, forward */
#define FDXI_DEC_RFLAGS (1u << 4)  /* TCP flags, reverse */
#define FDXI_DEC_TTL (1u << 5)     /* min and max TTL, forward */
#define FDXI_DEC_RTTL (1u << 6)    /* reverse */
#define FDXI_DEC_LEN (1u << 7)     /* min and max IP length, forward */
#define FDXI_DEC_RLEN (1u << 8)    /* reverse */
#define FDXI_DEC_RTIME (1u << 9)   /* the reverse direction's own start and end */
#define FDXI_DEC_BIDIR (1u << 10)  /* biflowDirection given */
#define FDXI_DEC_NOTIME (1u << 11) /* no time element: both times are the export time */

/* One flow data record as an exporter sent it. */
struct fdxi_flowdec {
    uint32_t have;       /* FDXI_DEC_* */
    uint8_t ip_version;  /* 4 or 6 */
    uint8_t proto;       /* 0 when the record does not say */
    uint16_t sport;      /* 0 without ports; ICMP: as the exporter wrote it (the pairer drops it) */
    uint16_t dport;      /* 0 without ports; ICMP: type * 256 + code in some exporters */
    uint8_t biflow_dir;  /* RFC 5103 biflowDirection: 1 initiator, 2 reverse initiator */
    uint8_t src[16];     /* network byte order, IPv4 in bytes 0-3 */
    uint8_t dst[16];     /* network byte order */
    uint64_t packets[2]; /* [1] with FDXI_DEC_REV */
    uint64_t bytes[2];   /* IP bytes */
    uint8_t flags[2];
    uint8_t min_ttl[2], max_ttl[2];
    uint32_t min_len[2], max_len[2];
    uint64_t start_us[2]; /* [1] with FDXI_DEC_RTIME; [0] the record's (both directions') */
    uint64_t end_us[2];
    uint32_t end_reason; /* FDX_END_* */
};

/* Where a decoder puts what it found: records (none in a checking pass) and counts. */
struct fdxi_dec_out {
    void (*record)(void *user, const struct fdxi_flowdec *r); /* NULL: check only */
    void *user;
    uint64_t data_records;     /* data records read (flows or not): IPFIX's sequence counts them */
    uint64_t records;          /* flow records decoded */
    uint64_t no_template;      /* data sets without a known template */
    uint64_t not_flows;        /* data records without addresses */
    uint64_t odd_records;      /* ... of them of a data (not options) template */
    uint64_t far_times;        /* flow records refused: a time beyond year 9999 */
    uint64_t end_before_start; /* flow records whose end was before their start */
    bool new_no_template;      /* a data set's template was missing for the first time */
    uint16_t missing_id;       /* ... its id */
    char *why;                 /* a malformed message's reason */
    size_t whylen;
};

/* ---- exporter sessions: templates and time base per exporter ---- */

#define FDXI_MAX_TEMPLATES 256 /* per session */
#define FDXI_MAX_FIELDS 256    /* per template */

/* One field of a template: which value it is (FDXI_K_*) and its encoded length. */
struct fdxi_field {
    uint16_t kind;   /* FDXI_K_*, FDXI_K_SKIP for what flowdx does not read */
    uint16_t len;    /* 65535: variable length (IPFIX) */
    uint8_t reverse; /* an RFC 5103 reverse element (PEN 29305) */
};

struct fdxi_template {
    uint16_t id;
    uint16_t n_fields;
    bool options;               /* an options template: its records are never flows */
    uint32_t min_len;           /* bytes of a record with every variable field empty */
    struct fdxi_field fields[]; /* n_fields */
};

struct fdxi_session {
    char name[160];     /* "udp 192.0.2.1:2055" (the exporter), for messages */
    uint16_t version;   /* 5, 9 or 10 */
    uint32_t domain;    /* observation domain, source id, or v5 engine type and id */
    uint32_t id;        /* unique per collector: pairing keeps records of one session together */
    uint64_t last_us;   /* when it was last heard from */
    bool have_sysinit;  /* an IPFIX options record gave systemInitTimeMilliseconds */
    int64_t sysinit_ms; /* the exporter's start, ms since the epoch */
    bool told_no_template;
    uint64_t malformed;  /* malformed datagrams or messages from it */
    bool have_seq;       /* next_seq is known: the previous message's sequence and size */
    uint32_t next_seq;   /* the sequence number the next message should carry */
    uint64_t seq_errors; /* messages with another sequence number */
    uint64_t flows;      /* flow records decoded from it */
    bool told_not_flows; /* said that its data records are not flows */
    struct fdxi_template *templates[FDXI_MAX_TEMPLATES];
    uint32_t n_templates;
};

struct fdxi_sessions;

struct fdxi_sessions *fdxi_sessions_new(uint32_t max_sessions);
void fdxi_sessions_free(struct fdxi_sessions *t);
/* The session of (@p exporter, @p version, @p domain), created if new (*ret_new set), evicting the
 * least recently heard from when full (*ret_evicted set). NULL when out of memory. */
struct fdxi_session *fdxi_sessions_get(struct fdxi_sessions *t, const char *exporter,
                                       uint16_t version, uint32_t domain, uint64_t now_us,
                                       bool *ret_new, bool *ret_evicted);
/* Forget sessions not heard from since @p before_us; returns how many. */
uint32_t fdxi_sessions_expire(struct fdxi_sessions *t, uint64_t before_us);
uint32_t fdxi_sessions_count(const struct fdxi_sessions *t);

/* Free a session's templates (the session itself stays). */
void fdxi_session_clear(struct fdxi_session *s);

/* ---- decoders: one message each; 0, or FDX_EFORMAT with the reason in out->why ---- */

/* NetFlow v5 (its own fixed format). */
int fdxi_nfv5_decode(const uint8_t *m, size_t len, struct fdxi_dec_out *out);

/* NetFlow v9 (@p version 9) or IPFIX (10), with @p s's templates. A message is checked whole
 * first: its templates are learnt, and records are given to out only when every set is sound. */
int fdxi_tmpl_decode(struct fdxi_session *s, const uint8_t *m, size_t len,
                     struct fdxi_dec_out *out);

/* ---- information elements (elements.c) ---- */

/* What a template field is to flowdx. Per-direction kinds go to [1] for reverse elements. */
enum {
    FDXI_K_SKIP = 0,
    FDXI_K_SRC4,        /* 8 sourceIPv4Address, 4 bytes */
    FDXI_K_DST4,        /* 12 destinationIPv4Address */
    FDXI_K_SRC6,        /* 27 sourceIPv6Address, 16 bytes */
    FDXI_K_DST6,        /* 28 destinationIPv6Address */
    FDXI_K_SPORT,       /* 7 sourceTransportPort */
    FDXI_K_DPORT,       /* 11 destinationTransportPort */
    FDXI_K_PROTO,       /* 4 protocolIdentifier */
    FDXI_K_REASON,      /* 136 flowEndReason */
    FDXI_K_SYSINIT,     /* 160 systemInitTimeMilliseconds */
    FDXI_K_BIDIR,       /* 239 biflowDirection */
    FDXI_K_PACKETS,     /* 2 packetDeltaCount (v9 IN_PKTS) */
    FDXI_K_BYTES,       /* 1 octetDeltaCount (v9 IN_BYTES) */
    FDXI_K_PACKETS_TOT, /* 86 packetTotalCount: used without a delta count */
    FDXI_K_BYTES_TOT,   /* 85 octetTotalCount */
    FDXI_K_FLAGS,       /* 6 tcpControlBits */
    FDXI_K_MIN_TTL,     /* 52 minimumTTL */
    FDXI_K_MAX_TTL,     /* 53 maximumTTL */
    FDXI_K_MIN_LEN,     /* 25 minimumIpTotalLength */
    FDXI_K_MAX_LEN,     /* 26 maximumIpTotalLength */
    FDXI_K_START_S,     /* 150 flowStartSeconds */
    FDXI_K_END_S,       /* 151 flowEndSeconds */
    FDXI_K_START_MS,    /* 152 flowStartMilliseconds */
    FDXI_K_END_MS,      /* 153 flowEndMilliseconds */
    FDXI_K_START_NTP,   /* 154, 156 flowStartMicro/Nanoseconds (NTP format) */
    FDXI_K_END_NTP,     /* 155, 157 */
    FDXI_K_START_UP,    /* 22 flowStartSysUpTime */
    FDXI_K_END_UP,      /* 21 flowEndSysUpTime */
    FDXI_K_START_DELTA, /* 158 flowStartDeltaMicroseconds (before the export time) */
    FDXI_K_END_DELTA,   /* 159 flowEndDeltaMicroseconds */
    FDXI_K_DUR_MS,      /* 161 flowDurationMilliseconds */
    FDXI_K_DUR_US,      /* 162 flowDurationMicroseconds */
    /* flowdx's own flowrec elements (float64 under FDX_IPFIX_PEN_DEFAULT, doc/ipfix.md): read as
     * the IANA element of the same meaning; NaN is a value the record does not carry */
    FDXI_K_F64_MIN_LEN, /* 13002 fdxFlowrecMinLen */
    FDXI_K_F64_MAX_LEN, /* 13003 fdxFlowrecMaxLen */
    FDXI_K_F64_MIN_TTL, /* 13004 fdxFlowrecMinTtl */
    FDXI_K_F64_MAX_TTL, /* 13005 fdxFlowrecMaxTtl */
    FDXI_K_F64_FLAGS,   /* 13006 fdxFlowrecTcpFlags */
    FDXI_K_COUNT
};

/* What flowdx reads of an information element: FDXI_K_* for (@p pen, @p id) with encoded length
 * @p len, FDXI_K_SKIP for anything else; *ret_reverse for a reverse element of PEN 29305. */
uint16_t fdxi_element_kind(uint32_t pen, uint16_t id, uint16_t len, bool *ret_reverse);

/* A SysUpTime value (ms since the exporter started, 32 bits) in microseconds since the epoch:
 * sysinit + up, moved by whole 2^32 ms into the 2^32 ms that end 1 s after the export time. */
uint64_t fdxi_uptime_us(int64_t sysinit_ms, uint32_t up_ms, int64_t export_ms);

/* ---- pairing one-way records into biflows, and the initiator ---- */

struct fdxi_pairer;

struct fdxi_pairer_config {
    uint64_t wait_us, slack_us;
    uint32_t max_pending;
    uint32_t unpaired;            /* FDX_UNPAIRED_* */
    const uint16_t *server_ports; /* sorted, >= 1024; borrowed for the pairer's life */
    uint32_t n_server_ports;
    fdx_input_record_fn emit;
    void *user;
};

struct fdxi_pair_stats {
    uint64_t biflows, paired, unpaired, overflow, reported;
};

struct fdxi_pairer *fdxi_pairer_new(const struct fdxi_pairer_config *cfg);
void fdxi_pairer_free(struct fdxi_pairer *p);
/* One decoded record of session @p session, arrived at @p now_us (an ICMP record's ports are
 * taken as 0 here). */
void fdxi_pairer_add(struct fdxi_pairer *p, const struct fdxi_flowdec *d, uint32_t session,
                     uint64_t now_us);
/* Release the records whose wait ended by @p now_us. */
void fdxi_pairer_advance(struct fdxi_pairer *p, uint64_t now_us);
/* Release every waiting record. */
void fdxi_pairer_flush(struct fdxi_pairer *p);
/* When the longest-waiting record's wait ends (UINT64_MAX when none waits). */
uint64_t fdxi_pairer_deadline(const struct fdxi_pairer *p);
void fdxi_pairer_stats(const struct fdxi_pairer *p, struct fdxi_pair_stats *ret);

#endif /* FDX_LIB_COLLECT_H */
