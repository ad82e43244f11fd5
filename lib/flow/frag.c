/* SPDX-License-Identifier: BSD-3-Clause */
/* Remembers the ports of first IP fragments so that later fragments find their flow. */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>

/*
 * A direct-mapped cache: bounded memory whatever the traffic. A colliding newer datagram
 * replaces an older one, whose later fragments then count as unmatched: the price of the bound.
 */
struct frag_entry {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint8_t proto;
    uint8_t ip_version;
    bool used;
    uint16_t sport, dport;
    uint64_t seen_us;
};

struct fdxi_frag_table {
    struct frag_entry *slots;
    uint32_t mask;
    uint64_t max_age_us;
};

struct fdxi_frag_table *fdxi_frag_table_new(uint32_t slots, uint64_t max_age_us)
{
    uint32_t n = 16;
    while (n < slots && n < (1u << 24))
        n <<= 1;
    struct fdxi_frag_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->slots = calloc(n, sizeof(*t->slots));
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->max_age_us = max_age_us;
    return t;
}

void fdxi_frag_table_free(struct fdxi_frag_table *t)
{
    if (t == NULL)
        return;
    free(t->slots);
    free(t);
}

static uint32_t frag_hash(const struct fdxi_packet *p)
{
    uint32_t h = 2166136261u;
    const uint8_t *parts[2] = {p->src, p->dst};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 16; j++)
            h = (h ^ parts[i][j]) * 16777619u;
    }
    h = (h ^ p->proto) * 16777619u;
    h = (h ^ p->frag_id) * 16777619u;
    return h ^ (h >> 15);
}

static bool same_datagram(const struct frag_entry *e, const struct fdxi_packet *p)
{
    return e->used && e->id == p->frag_id && e->proto == p->proto &&
           e->ip_version == p->ip_version && memcmp(e->src, p->src, 16) == 0 &&
           memcmp(e->dst, p->dst, 16) == 0;
}

void fdxi_frag_note_first(struct fdxi_frag_table *t, const struct fdxi_packet *p)
{
    struct frag_entry *e = &t->slots[frag_hash(p) & t->mask];
    memcpy(e->src, p->src, 16);
    memcpy(e->dst, p->dst, 16);
    e->id = p->frag_id;
    e->proto = p->proto;
    e->ip_version = p->ip_version;
    e->sport = p->sport;
    e->dport = p->dport;
    e->seen_us = p->ts_us;
    e->used = true;
}

bool fdxi_frag_resolve(struct fdxi_frag_table *t, struct fdxi_packet *p)
{
    struct frag_entry *e = &t->slots[frag_hash(p) & t->mask];
    if (!same_datagram(e, p))
        return false;
    if (p->ts_us > e->seen_us && p->ts_us - e->seen_us > t->max_age_us) {
        e->used = false;
        return false;
    }
    p->sport = e->sport;
    p->dport = e->dport;
    return true;
}
