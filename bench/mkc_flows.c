/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow census of the built capture: distinct bidirectional 5-tuples and their peak concurrency. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mkcapture.h"

struct mkc_flow_slot {
    struct mkc_flow_key key;
    uint64_t first_us; /**< first packet, microseconds since the epoch */
    uint64_t last_us;  /**< last packet, microseconds since the epoch */
    bool used;
};

struct flow_event {
    uint64_t t_us;
    int delta;
};

static uint64_t flow_hash(const struct mkc_flow_key *k)
{
    const unsigned char *b = (const unsigned char *)k;
    uint64_t h = 14695981039346656037u;
    size_t i;

    for (i = 0; i < sizeof(*k); i++) {
        h = (h ^ b[i]) * 1099511628211u;
    }
    return h ^ (h >> 29);
}

static struct mkc_flow_slot *flow_find(struct mkc_flow_slot *slots, size_t cap,
                                       const struct mkc_flow_key *k)
{
    size_t i = (size_t)flow_hash(k) & (cap - 1);

    while (slots[i].used && memcmp(&slots[i].key, k, sizeof(*k)) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

static int flow_table_grow(struct mkc_flow_table *t)
{
    size_t cap = t->cap == 0 ? 1024 : t->cap * 2;
    struct mkc_flow_slot *slots = calloc(cap, sizeof(*slots));
    size_t i;

    if (slots == NULL) {
        return -1;
    }
    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].used) {
            *flow_find(slots, cap, &t->slots[i].key) = t->slots[i];
        }
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

int mkc_flow_table_add(struct mkc_flow_table *t, const struct mkc_flow_key *k, uint64_t ts_us)
{
    struct mkc_flow_slot *s;

    if ((t->count + 1) * 2 > t->cap && flow_table_grow(t) < 0) {
        return -1;
    }
    s = flow_find(t->slots, t->cap, k);
    if (!s->used) {
        s->used = true;
        s->key = *k;
        s->first_us = ts_us;
        s->last_us = ts_us;
        t->count++;
        return 0;
    }
    if (ts_us < s->first_us) {
        s->first_us = ts_us;
    }
    if (ts_us > s->last_us) {
        s->last_us = ts_us;
    }
    return 0;
}

void mkc_flow_table_clear(struct mkc_flow_table *t)
{
    if (t->slots != NULL) {
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    }
    t->count = 0;
}

static int event_cmp(const void *a, const void *b)
{
    const struct flow_event *x = a, *y = b;

    if (x->t_us != y->t_us) {
        return x->t_us < y->t_us ? -1 : 1;
    }
    /* Openings first, so a flow whose only packet shares an instant with others counts. */
    return y->delta - x->delta;
}

int mkc_flow_table_peak(const struct mkc_flow_table *t, uint64_t *ret)
{
    struct flow_event *ev = calloc(t->count * 2 + 1, sizeof(*ev));
    size_t i, n = 0;
    uint64_t open = 0, peak = 0;

    if (ev == NULL) {
        return -1;
    }
    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].used) {
            ev[n].t_us = t->slots[i].first_us;
            ev[n++].delta = 1;
            ev[n].t_us = t->slots[i].last_us;
            ev[n++].delta = -1;
        }
    }
    qsort(ev, n, sizeof(*ev), event_cmp);
    for (i = 0; i < n; i++) {
        if (ev[i].delta > 0) {
            open++;
            peak = open > peak ? open : peak;
        } else {
            open--;
        }
    }
    free(ev);
    *ret = peak;
    return 0;
}

void mkc_flow_table_fini(struct mkc_flow_table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
    t->count = 0;
}
