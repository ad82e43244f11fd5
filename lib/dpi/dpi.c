/* SPDX-License-Identifier: BSD-3-Clause */
/* The dpi feature set: nDPI's protocol ids from the first packets of each flow. */
#include "dpi/dpi.h"

#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "core/core.h"
#include "flowdx/flowdx.h"

/*
 * The calls below are those of nDPI 4.2 (Debian 12). Later releases changed several of them
 * (ndpi_detection_giveup's arguments, how a detection module is created and configured, the
 * layout of ndpi_protocol), so another release must be ported, not merely compiled.
 */
#if !defined(NDPI_MAJOR) || NDPI_MAJOR != 4 || NDPI_MINOR != 2
#error "lib/dpi is written for the nDPI 4.2 API; see doc/features/dpi.md before porting"
#endif

/*
 * Where nDPI's per-flow state lives. nDPI needs a struct ndpi_flow_struct per flow (688 bytes
 * in 4.2; nDPI reports the size at run time) that must stay put while it inspects the flow, and
 * that owns heap memory nDPI allocates itself (TLS server names, ALPN lists, certificate names)
 * until ndpi_free_flow_data(). Reserving it in every flow slot would cost those bytes for every
 * flow's whole life, although a flow needs them only for its first packets; and a slot's state
 * cannot be cleaned up when an engine is freed with flows still open, because the engine
 * releases the flow table before the sets, so nDPI's own allocations would leak. So the structs
 * live in a per-engine pool, allocated in blocks of BLOCK_FLOWS and recycled through a free
 * list; a flow holds an index into it from its first packet until nDPI has decided (or the
 * packet cap is reached), then hands it back. The flow slot keeps only struct dpi_flow. There is
 * no allocation per packet, nor per flow: only when the pool grows by a block.
 */
#define BLOCK_FLOWS 256
#define MAX_BLOCKS (FDXI_DPI_MAX_INSPECTING / BLOCK_FLOWS)
#define NIL UINT32_MAX
#define IN_USE (UINT32_MAX - 1)

/*
 * The continuation of a connection cut by the active timeout starts a new record in the middle
 * of the stream, where nDPI can no longer see the handshake. The result of each decided record
 * (protocols and server name) is kept in a small direct-mapped table by flow key, and a
 * continuation takes its result from there. A collision merely forgets an older result; the
 * continuation is then inspected anew.
 */
#define MEMO_SLOTS 4096

struct block {
    uint32_t link[BLOCK_FLOWS]; /* next free entry, or IN_USE */
    unsigned char *flows;       /* BLOCK_FLOWS nDPI flow structs of entry_bytes each */
};

struct memo {
    struct fdxi_flow_key key;
    uint16_t master, app;
    bool used;
    char server[FDXI_DPI_SERVER_BYTES]; /* the record's server name, as struct dpi_flow's */
};

struct dpi_engine {
    struct ndpi_detection_module_struct *ndpi; /* one per engine: nDPI keeps state in it */
    size_t entry_bytes;                        /* nDPI's flow struct, rounded up to 16 */
    struct block **blocks;                     /* MAX_BLOCKS pointers, allocated as needed */
    uint32_t n_blocks;
    uint32_t used; /* entries handed out at least once */
    uint32_t free_head;
    struct memo *memo; /* MEMO_SLOTS */
};

enum { FLOW_WAITING = 0, FLOW_INSPECTING, FLOW_DONE };

struct dpi_flow {
    uint32_t entry;                     /* pool index while inspecting, NIL otherwise */
    uint16_t master;                    /* nDPI's master protocol id, 0 unknown */
    uint16_t app;                       /* nDPI's application protocol id, 0 unknown */
    uint8_t fed;                        /* packets given to nDPI */
    uint8_t state;                      /* FLOW_* */
    char server[FDXI_DPI_SERVER_BYTES]; /* nDPI's host_server_name (SNI, Host, ...), cut short */
};

static struct block *block_of(struct dpi_engine *e, uint32_t i)
{
    return e->blocks[i / BLOCK_FLOWS];
}

static struct ndpi_flow_struct *flow_at(struct dpi_engine *e, uint32_t i)
{
    return (struct ndpi_flow_struct *)(void *)(block_of(e, i)->flows +
                                               (size_t)(i % BLOCK_FLOWS) * e->entry_bytes);
}

/* A zeroed nDPI flow struct from the pool, or NIL when the pool is full or memory ran out. */
static uint32_t entry_take(struct dpi_engine *e)
{
    uint32_t i;
    if (e->free_head != NIL) {
        i = e->free_head;
        e->free_head = block_of(e, i)->link[i % BLOCK_FLOWS];
    } else {
        uint32_t b = e->used / BLOCK_FLOWS;
        if (b >= MAX_BLOCKS)
            return NIL;
        if (b == e->n_blocks) {
            struct block *blk = calloc(1, sizeof(*blk));
            unsigned char *flows = blk ? calloc(BLOCK_FLOWS, e->entry_bytes) : NULL;
            if (flows == NULL) {
                free(blk);
                return NIL;
            }
            blk->flows = flows;
            e->blocks[b] = blk;
            e->n_blocks++;
        }
        i = e->used++;
    }
    block_of(e, i)->link[i % BLOCK_FLOWS] = IN_USE;
    return i;
}

/* Free what nDPI allocated for the flow and put its struct, zeroed, back in the pool. */
static void entry_give_back(struct dpi_engine *e, uint32_t i)
{
    struct ndpi_flow_struct *nf = flow_at(e, i);
    ndpi_free_flow_data(nf);
    memset(nf, 0, e->entry_bytes);
    block_of(e, i)->link[i % BLOCK_FLOWS] = e->free_head;
    e->free_head = i;
}

static void dpi_set_fini(void *set_state)
{
    struct dpi_engine *e = set_state;
    for (uint32_t i = 0; i < e->used; i++) {
        if (block_of(e, i)->link[i % BLOCK_FLOWS] == IN_USE)
            ndpi_free_flow_data(flow_at(e, i));
    }
    for (uint32_t b = 0; b < e->n_blocks; b++) {
        free(e->blocks[b]->flows);
        free(e->blocks[b]);
    }
    free(e->blocks);
    free(e->memo);
    if (e->ndpi != NULL)
        ndpi_exit_detection_module(e->ndpi);
    memset(e, 0, sizeof(*e));
}

static int dpi_set_init(void *set_state)
{
    struct dpi_engine *e = set_state;
    e->free_head = NIL;
    e->entry_bytes = fdxi_align16(ndpi_detection_get_sizeof_ndpi_flow_struct());
    e->blocks = calloc(MAX_BLOCKS, sizeof(*e->blocks));
    e->memo = calloc(MEMO_SLOTS, sizeof(*e->memo));
    /* The module is made here, so only engines that run this set pay for it (about 9 MB and
     * 25 ms with every protocol enabled). */
    e->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (e->blocks == NULL || e->memo == NULL || e->ndpi == NULL) {
        dpi_set_fini(e);
        return FDX_ENOMEM;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(e->ndpi, &all);
    ndpi_finalize_initialization(e->ndpi);
    return 0;
}

static struct memo *memo_slot(struct dpi_engine *e, const struct fdxi_flow *f)
{
    return &e->memo[f->hash % MEMO_SLOTS];
}

static void dpi_begin(void *set_state, void *flow_state, const struct fdxi_flow *f)
{
    struct dpi_engine *e = set_state;
    struct dpi_flow *d = flow_state;
    d->entry = NIL;
    if (f->segment == 0)
        return;
    const struct memo *m = memo_slot(e, f);
    if (m->used && memcmp(&m->key, &f->key, sizeof(f->key)) == 0) {
        d->master = m->master;
        d->app = m->app;
        memcpy(d->server, m->server, sizeof(d->server));
        d->state = FLOW_DONE;
    }
}

/* Stop inspecting: ask nDPI for its best answer when it has none, and free its flow state. */
static void finish(struct dpi_engine *e, struct dpi_flow *d)
{
    if (d->entry != NIL) {
        if (d->app == NDPI_PROTOCOL_UNKNOWN) {
            /* As ndpiReader does, let nDPI guess from ports and addresses. */
            uint8_t guessed = 0;
            ndpi_protocol p = ndpi_detection_giveup(e->ndpi, flow_at(e, d->entry), 1, &guessed);
            d->master = p.master_protocol;
            d->app = p.app_protocol;
        }
        const char *name = flow_at(e, d->entry)->host_server_name;
        size_t n = strnlen(name, sizeof(flow_at(e, d->entry)->host_server_name));
        if (n >= sizeof(d->server))
            n = sizeof(d->server) - 1;
        memcpy(d->server, name, n);
        d->server[n] = '\0';
        entry_give_back(e, d->entry);
        d->entry = NIL;
    }
    d->state = FLOW_DONE;
}

static void dpi_packet(void *set_state, void *flow_state, const struct fdxi_flow *f,
                       const struct fdxi_packet *p, int dir)
{
    (void)dir;
    struct dpi_engine *e = set_state;
    struct dpi_flow *d = flow_state;
    if (d->state == FLOW_DONE)
        return;
    /* A later fragment has no transport header: nothing nDPI can use. */
    if ((p->is_fragment && !p->first_fragment) || p->l3_caplen == 0)
        return;
    uint16_t len = p->l3_caplen > UINT16_MAX ? UINT16_MAX : (uint16_t)p->l3_caplen;
    /*
     * nDPI parses the IP header itself and walks IPv6 extension headers its own way (4.2 skips
     * Mobility, 135, but stops at AH, 51: lib/packet does the reverse), and it takes its flow's
     * l4_proto from each packet. ndpi_free_flow_data() frees the TCP or the UDP reassembly
     * buffer by that last l4_proto (l4.tcp and l4.udp share memory), so a flow whose packets
     * nDPI sees with several transport protocols leaks or frees the wrong field. Only packets
     * that nDPI reads with the flow's own protocol are given to it, as ndpiReader keys its
     * flows on nDPI's reading.
     */
    const uint8_t *l4;
    uint16_t l4_len;
    uint8_t l4_proto;
    if (ndpi_detection_get_l4(p->l3, len, &l4, &l4_len, &l4_proto, 0) == 0 &&
        l4_proto != f->key.proto)
        return;
    if (d->state == FLOW_WAITING) {
        d->entry = entry_take(e);
        if (d->entry == NIL) {
            d->state = FLOW_DONE; /* pool full: this record stays unknown (0) */
            return;
        }
        d->state = FLOW_INSPECTING;
    }
    struct ndpi_flow_struct *nf = flow_at(e, d->entry);
    ndpi_protocol r = ndpi_detection_process_packet(e->ndpi, nf, p->l3, len, p->ts_us / 1000u);
    d->fed++;
    if (r.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
        d->master = r.master_protocol;
        d->app = r.app_protocol;
        /* TLS can still turn into DoH_DoT from the server's certificate: nDPI says when it
         * wants more packets of a flow it has already classified. */
        if (!ndpi_extra_dissection_possible(e->ndpi, nf)) {
            finish(e, d);
            return;
        }
    }
    if (d->fed >= FDXI_DPI_MAX_PACKETS)
        finish(e, d);
}

static void dpi_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f, double *out)
{
    struct dpi_engine *e = set_state;
    struct dpi_flow *d = flow_state;
    finish(e, d);
    out[FDXI_DPI_MASTER] = d->master;
    out[FDXI_DPI_APP] = d->app;
    out[FDXI_DPI_DOH] =
        d->master == NDPI_PROTOCOL_DOH_DOT || d->app == NDPI_PROTOCOL_DOH_DOT ? 1.0 : 0.0;
    if (d->app != NDPI_PROTOCOL_UNKNOWN || d->master != NDPI_PROTOCOL_UNKNOWN) {
        struct memo *m = memo_slot(e, f);
        m->key = f->key;
        m->master = d->master;
        m->app = d->app;
        memcpy(m->server, d->server, sizeof(m->server));
        m->used = true;
    }
}

static const char *const names[FDXI_DPI_N_FEATURES] = {"dpi_master", "dpi_app", "dpi_doh"};

const struct fdxi_feature_set fdxi_feature_set_dpi = {
    .name = "dpi",
    .summary = "nDPI's application protocol (master and app ids) and whether it is DoH/DoT",
    .feature_names = names,
    .n_features = FDXI_DPI_N_FEATURES,
    .id_style = FDX_IDS_FLOWDX,
    .flow_state_bytes = sizeof(struct dpi_flow),
    .set_state_bytes = sizeof(struct dpi_engine),
    .set_init = dpi_set_init,
    .set_fini = dpi_set_fini,
    .flow_begin = dpi_begin,
    .packet = dpi_packet,
    .finalise = dpi_finalise,
};

const char *fdx_engine_dpi_name(const fdx_engine *engine, const struct fdx_flow_record *r,
                                char *buf, size_t len)
{
    uint32_t first = 0;
    struct dpi_engine *e = fdxi_engine_set_state(engine, &fdxi_feature_set_dpi, &first);
    if (e == NULL || r == NULL || buf == NULL || len == 0 ||
        first + FDXI_DPI_N_FEATURES > r->n_features)
        return NULL;
    ndpi_protocol p;
    memset(&p, 0, sizeof(p));
    p.master_protocol = (uint16_t)r->features[first + FDXI_DPI_MASTER];
    p.app_protocol = (uint16_t)r->features[first + FDXI_DPI_APP];
    return ndpi_protocol2name(e->ndpi, p, buf, (u_int)len);
}

uint32_t fdxi_dpi_app_flags(const double *v)
{
    uint32_t flags = v[FDXI_DPI_DOH] == 1.0 ? FDX_APP_DOH : 0;
    for (int i = FDXI_DPI_MASTER; i <= FDXI_DPI_APP; i++) {
        if (v[i] == NDPI_PROTOCOL_MAIL_SMTP || v[i] == NDPI_PROTOCOL_MAIL_SMTPS)
            flags |= FDX_APP_SMTP;
    }
    return flags;
}

const char *fdx_engine_dpi_server(const fdx_engine *engine, char *buf, size_t len)
{
    const struct dpi_flow *d = fdxi_engine_reporting(engine, &fdxi_feature_set_dpi);
    if (d == NULL || d->server[0] == '\0' || buf == NULL || len == 0)
        return NULL;
    /* printable ASCII only: the name came off the wire */
    size_t o = 0;
    for (const char *c = d->server; *c != '\0' && o + 1 < len; c++) {
        if (*c < 0x21 || *c > 0x7e)
            return NULL;
        buf[o++] = *c;
    }
    buf[o] = '\0';
    return buf;
}
