/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the bidirectional flow table, its timeouts and its cutting policies. */
#ifndef FDX_LIB_FLOW_H
#define FDX_LIB_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/packet.h"

/* Endpoints of a flow in canonical order: (addr[0], port[0]) <= (addr[1], port[1]). */
struct fdxi_flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint8_t proto;
    uint8_t ip_version;
    uint16_t pad_; /**< zero */
    uint32_t sub;  /**< sub-flow of the same 5-tuple chosen by a policy; 0 by default */
};

/*
 * One flow slot header. The feature sets' per-flow state follows it in the same slot (see
 * fdxi_flow_state()). Direction indices are FDX_DIR_REQ (from the initiator) and FDX_DIR_RESP.
 */
struct fdxi_flow {
    struct fdxi_flow_key key;
    uint8_t init_side;    /**< which key endpoint (0 or 1) is the initiator */
    uint8_t fin_seen;     /**< bit per direction: FIN sent by that direction */
    bool rst_seen;        /**< a RST was seen */
    bool lingering;       /**< closed by FIN/RST; ends at close_us */
    bool pending;         /**< active-cut continuation that has no packet yet */
    uint32_t segment;     /**< records of this connection before this one */
    uint32_t hash;        /**< hash of key */
    uint32_t self;        /**< index of this slot */
    uint32_t hash_next;   /**< next index in the bucket chain, FDXI_NIL at the end */
    uint8_t lists;        /**< bit per FDXI_LIST_* the flow is on */
    uint32_t prev[3];     /**< previous index on each FDXI_LIST_* */
    uint32_t next[3];     /**< next index on each FDXI_LIST_* */
    uint64_t id;          /**< engine-wide record number */
    uint64_t start_us;    /**< engine clock at the record's first packet (active timeout) */
    uint64_t last_us;     /**< engine clock at the latest packet (idle timeout) */
    uint64_t first_ts_us; /**< earliest packet timestamp of the record */
    uint64_t last_ts_us;  /**< latest packet timestamp of the record */
    uint64_t close_us;    /**< end of the linger time */
    uint64_t packets[2];  /**< per direction */
    uint64_t bytes[2];    /**< IP bytes per direction */
};

#define FDXI_NIL UINT32_MAX

/* The table's ordered lists; each is in time order because the engine clock never goes back. */
#define FDXI_LIST_LRU 0    /* every flow, by latest packet */
#define FDXI_LIST_AGE 1    /* flows with packets (not pending), by start */
#define FDXI_LIST_LINGER 2 /* flows closed by FIN/RST, by close time */

/* n rounded up to a multiple of 16: the alignment of every part of a flow slot. */
static inline size_t fdxi_align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Address and port of one direction's sender. */
static inline const uint8_t *fdxi_flow_addr(const struct fdxi_flow *f, int dir)
{
    return f->key.addr[dir == 0 ? f->init_side : 1 - f->init_side];
}

static inline uint16_t fdxi_flow_port(const struct fdxi_flow *f, int dir)
{
    return f->key.port[dir == 0 ? f->init_side : 1 - f->init_side];
}

struct fdxi_flow_table;

/*
 * How flows are cut. The engine's default (idle/active timeouts, FIN/RST linger, the initiator
 * rule) is one instance; a feature set that must reproduce another tool's flows supplies its own.
 * Every callback gets the policy's own state (allocated by the engine, state_bytes long, zeroed).
 */
struct fdxi_flow_policy {
    const char *name;
    size_t state_bytes;
    /* Whether the default idle/active timeouts and the FIN/RST linger apply. */
    bool default_timeouts;
    /* Packets this policy takes; the others end as FDX_PKT_NOT_SELECTED. NULL: every packet. */
    bool (*select)(void *state, const struct fdxi_packet *pkt);
    /* Whether a new flow's first packet was sent by the initiator. NULL: the initiator rule. */
    bool (*src_is_initiator)(void *state, const struct fdxi_packet *pkt);
    /*
     * Optional: which sub-flow of its 5-tuple @p pkt belongs to, so that several flows of one
     * 5-tuple can be open at once (as in tools that split a connection into pieces). It may look
     * flows up with fdxi_flow_table_peek(). NULL: always 0.
     */
    uint32_t (*choose_sub)(void *state, const struct fdxi_flow_table *t,
                           const struct fdxi_packet *pkt);
    /* Before @p pkt joins the open flow @p f: true ends f (FDX_END_CUT) and pkt starts anew. */
    bool (*cut_before)(void *state, const struct fdxi_flow *f, const struct fdxi_packet *pkt);
    /* After a packet joined @p f: true asks the table to run a sweep with expired(). */
    bool (*sweep_after)(void *state, const struct fdxi_flow *f);
    /* In a sweep: whether @p f ends now (FDX_END_CUT). */
    bool (*expired)(void *state, const struct fdxi_flow *f, uint64_t now_us);
};

/* Called when a flow record ends, before its slot is reused or reset. */
typedef void (*fdxi_flow_end_fn)(void *user, struct fdxi_flow *f, int reason);
/* Called when a flow record begins (its state area is zeroed just before). */
typedef void (*fdxi_flow_begin_fn)(void *user, struct fdxi_flow *f);

struct fdxi_flow_table_config {
    uint32_t max_flows;
    uint64_t idle_us, active_us, linger_us;
    size_t state_bytes;           /**< per-flow bytes after the header, for the feature sets */
    const uint16_t *server_ports; /**< sorted; ports >= 1024 that count as server ports */
    uint32_t n_server_ports;
    const struct fdxi_flow_policy *policy; /**< NULL = default */
    void *policy_state;                    /**< borrowed */
    fdxi_flow_begin_fn on_begin;
    fdxi_flow_end_fn on_end;
    void *user;
    uint64_t hash_seed;
    uint64_t first_id; /**< the first flow's id; 0 = 1 */
};

/* Create a table; returns NULL when out of memory. */
struct fdxi_flow_table *fdxi_flow_table_new(const struct fdxi_flow_table_config *cfg);
void fdxi_flow_table_free(struct fdxi_flow_table *t);

/*
 * Account one decoded packet (ports resolved, fragments mapped) to its flow, creating, cutting
 * and evicting as needed. Ends expired flows first. Returns the flow and sets *ret_dir to the
 * packet's direction; NULL when the policy does not select the packet, or when memory for even
 * one flow cannot be had (see fdxi_flow_table_alloc_failures()).
 */
struct fdxi_flow *fdxi_flow_table_packet(struct fdxi_flow_table *t, const struct fdxi_packet *pkt,
                                         int *ret_dir);

/* The open flow of @p pkt's 5-tuple and sub-flow @p sub, or NULL; *ret_dir (may be NULL) gets
 * the packet's direction in it. No side effects. */
const struct fdxi_flow *fdxi_flow_table_peek(const struct fdxi_flow_table *t,
                                             const struct fdxi_packet *pkt, uint32_t sub,
                                             int *ret_dir);

/* Run the policy's sweep after a packet (see fdxi_flow_policy.sweep_after). */
void fdxi_flow_table_after_packet(struct fdxi_flow_table *t, struct fdxi_flow *f);

/* Move the clock to @p now_us (never backwards) and end every flow whose time is up. */
void fdxi_flow_table_advance(struct fdxi_flow_table *t, uint64_t now_us);

/* End every open flow with @p reason, in order of start. */
void fdxi_flow_table_flush(struct fdxi_flow_table *t, int reason);

/* A record number for a flow that is not in the table (a flow record fed to the engine), from the
 * same sequence as the table's flows. */
uint64_t fdxi_flow_table_take_id(struct fdxi_flow_table *t);

uint32_t fdxi_flow_table_active(const struct fdxi_flow_table *t);
uint64_t fdxi_flow_table_evictions(const struct fdxi_flow_table *t);
/* The highest id given out so far (first_id - 1 before the first). */
uint64_t fdxi_flow_table_last_id(const struct fdxi_flow_table *t);
/* Slab allocations that failed; the table then evicts as if it were full. */
uint64_t fdxi_flow_table_alloc_failures(const struct fdxi_flow_table *t);

/* Per-flow state area of the feature sets. */
void *fdxi_flow_state(struct fdxi_flow *f);

/* Which canonical key endpoint (0 or 1) sent @p pkt. */
int fdxi_flow_packet_side(const struct fdxi_packet *pkt);

/* Whether @p port counts as a server port (below 1024 or in the configured list). */
bool fdxi_flow_is_server_port(const struct fdxi_flow_table *t, uint16_t port);

/* ---- IP fragments: maps non-first fragments to the ports of their first fragment. ---- */

struct fdxi_frag_table;

struct fdxi_frag_table *fdxi_frag_table_new(uint32_t slots, uint64_t max_age_us);
void fdxi_frag_table_free(struct fdxi_frag_table *t);

/* Remember a first fragment's ports. */
void fdxi_frag_note_first(struct fdxi_frag_table *t, const struct fdxi_packet *pkt);

/* Fill a non-first fragment's ports from its first fragment; false when unknown or too old. */
bool fdxi_frag_resolve(struct fdxi_frag_table *t, struct fdxi_packet *pkt);

#endif /* FDX_LIB_FLOW_H */
