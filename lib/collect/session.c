/* SPDX-License-Identifier: BSD-3-Clause */
/* The collector's exporter sessions: one per exporter, version and domain, least recent evicted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

struct fdxi_sessions {
    struct fdxi_session **v;
    uint32_t n, cap;
    uint32_t next_id;
    uint32_t last; /* index of the session found last: datagrams come in runs */
};

struct fdxi_sessions *fdxi_sessions_new(uint32_t max_sessions)
{
    struct fdxi_sessions *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->v = calloc(max_sessions ? max_sessions : 1, sizeof(*t->v));
    if (t->v == NULL) {
        free(t);
        return NULL;
    }
    t->cap = max_sessions ? max_sessions : 1;
    return t;
}

void fdxi_session_clear(struct fdxi_session *s)
{
    for (uint32_t i = 0; i < s->n_templates; i++)
        free(s->templates[i]);
    s->n_templates = 0;
}

static void drop(struct fdxi_sessions *t, uint32_t i)
{
    fdxi_session_clear(t->v[i]);
    free(t->v[i]);
    t->v[i] = t->v[--t->n];
    t->last = 0;
}

void fdxi_sessions_free(struct fdxi_sessions *t)
{
    if (t == NULL)
        return;
    while (t->n > 0)
        drop(t, t->n - 1);
    free(t->v);
    free(t);
}

static bool is(const struct fdxi_session *s, const char *exporter, uint16_t version,
               uint32_t domain)
{
    return s->version == version && s->domain == domain && strcmp(s->name, exporter) == 0;
}

struct fdxi_session *fdxi_sessions_get(struct fdxi_sessions *t, const char *exporter,
                                       uint16_t version, uint32_t domain, uint64_t now_us,
                                       bool *ret_new, bool *ret_evicted)
{
    *ret_new = *ret_evicted = false;
    struct fdxi_session *s = NULL;
    if (t->last < t->n && is(t->v[t->last], exporter, version, domain)) {
        s = t->v[t->last];
    } else {
        for (uint32_t i = 0; i < t->n && s == NULL; i++) {
            if (is(t->v[i], exporter, version, domain)) {
                s = t->v[i];
                t->last = i;
            }
        }
    }
    if (s == NULL) {
        if (t->n == t->cap) { /* the least recently heard from goes */
            uint32_t old = 0;
            for (uint32_t i = 1; i < t->n; i++) {
                if (t->v[i]->last_us < t->v[old]->last_us)
                    old = i;
            }
            drop(t, old);
            *ret_evicted = true;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL)
            return NULL;
        snprintf(s->name, sizeof(s->name), "%s", exporter);
        s->version = version;
        s->domain = domain;
        s->id = ++t->next_id;
        t->last = t->n;
        t->v[t->n++] = s;
        *ret_new = true;
    }
    s->last_us = now_us;
    return s;
}

uint32_t fdxi_sessions_expire(struct fdxi_sessions *t, uint64_t before_us)
{
    uint32_t n = 0;
    for (uint32_t i = t->n; i-- > 0;) {
        if (t->v[i]->last_us < before_us) {
            drop(t, i);
            n++;
        }
    }
    return n;
}

uint32_t fdxi_sessions_count(const struct fdxi_sessions *t)
{
    return t->n;
}
