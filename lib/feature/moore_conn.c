/* SPDX-License-Identifier: BSD-3-Clause */
/* Moore discriminator 209: time since the last connection between two hosts, from a bounded table.
 */
#include <string.h>

#include "core/hash.h"
#include "feature/moore.h"

/*
 * The table is set-associative: a host pair hashes to one set of MOORE_CONN_WAYS entries; a new
 * pair takes an unused entry or else the one whose connection started longest ago. So at most
 * MOORE_CONN_SETS * MOORE_CONN_WAYS pairs (65536, 3.5 MiB per engine) are remembered, and a pair
 * that lost its entry counts as never seen (-1). The hash is fixed (FNV-1a 64, core/hash.h), so
 * output does not depend on anything but the packets.
 */
_Static_assert((MOORE_CONN_SETS & (MOORE_CONN_SETS - 1)) == 0, "sets are a power of two");

double fdxi_moore_conn_since(struct moore_conn_entry *table, const struct fdxi_flow *f,
                             uint64_t ts_us, bool continuation)
{
    /* The pair in a fixed order, whichever side initiated. */
    const uint8_t *a = f->key.addr[0], *b = f->key.addr[1];
    if (memcmp(a, b, 16) > 0) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    uint64_t h = fdxi_fnv1a64_update(FDXI_FNV1A64_BASIS, a, 16);
    h = fdxi_fnv1a64_update(h, b, 16);
    h = fdxi_fnv1a64_update(h, &f->key.proto, 1);
    struct moore_conn_entry *set = table + (size_t)(h & (MOORE_CONN_SETS - 1)) * MOORE_CONN_WAYS;
    struct moore_conn_entry *victim = NULL;
    for (uint32_t w = 0; w < MOORE_CONN_WAYS; w++) {
        struct moore_conn_entry *e = &set[w];
        if (e->used && e->proto == f->key.proto && memcmp(e->addr[0], a, 16) == 0 &&
            memcmp(e->addr[1], b, 16) == 0) {
            if (continuation)
                return e->since_s;
            /* Time stamps out of order: a connection that seems to start before the previous
             * one started 0 s after it. */
            double since = ts_us > e->start_us ? (double)(ts_us - e->start_us) / 1e6 : 0.0;
            e->start_us = ts_us;
            e->since_s = since;
            return since;
        }
        if (victim == NULL || !e->used || (victim->used && e->start_us < victim->start_us))
            victim = e;
    }
    if (continuation)
        return -1.0;
    memcpy(victim->addr[0], a, 16);
    memcpy(victim->addr[1], b, 16);
    victim->proto = f->key.proto;
    victim->used = 1;
    victim->start_us = ts_us;
    victim->since_s = -1.0;
    return -1.0;
}
