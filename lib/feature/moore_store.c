/* SPDX-License-Identifier: BSD-3-Clause */
/* The moore set's per-engine pool of packet-record chunks and the per-flow lists drawn from it. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "feature/moore.h"
#include "flowdx/flowdx.h"

/* Chunks are allocated 1024 at a time (248 KiB): one malloc per 15360 stored packets at most. */
#define BLOCK_CHUNKS 1024u
#define MAX_BLOCKS ((MOORE_POOL_CHUNKS + BLOCK_CHUNKS - 1) / BLOCK_CHUNKS)

_Static_assert(sizeof(struct moore_rec) == 16, "a stored packet is 16 bytes");
_Static_assert(sizeof(struct moore_chunk) == 8 + 16 * MOORE_CHUNK_RECS, "no padding in a chunk");

/* Chunk numbers start at 1, so that an all-zero list (a zeroed flow slot) is a valid empty one. */
static struct moore_chunk *chunk_at(const struct moore_pool *p, uint32_t i)
{
    return &p->blocks[(i - 1) / BLOCK_CHUNKS][(i - 1) % BLOCK_CHUNKS];
}

int fdxi_moore_pool_init(struct moore_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->free_head = MOORE_NIL;
    p->blocks = calloc(MAX_BLOCKS, sizeof(*p->blocks));
    return p->blocks == NULL ? FDX_ENOMEM : 0;
}

void fdxi_moore_pool_fini(struct moore_pool *p)
{
    if (p->blocks != NULL) {
        for (uint32_t i = 0; i < p->n_blocks; i++)
            free(p->blocks[i]);
    }
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = 0;
}

/* A chunk, or MOORE_NIL when the pool is at its bound or memory ran out. */
static uint32_t chunk_new(struct moore_pool *p)
{
    uint32_t i;
    if (p->free_head != MOORE_NIL) {
        i = p->free_head;
        p->free_head = chunk_at(p, i)->next;
    } else {
        if (p->used >= MOORE_POOL_CHUNKS || p->blocks == NULL)
            return MOORE_NIL;
        uint32_t b = p->used / BLOCK_CHUNKS;
        if (b == p->n_blocks) {
            p->blocks[b] = malloc(sizeof(struct moore_chunk) * BLOCK_CHUNKS);
            if (p->blocks[b] == NULL)
                return MOORE_NIL;
            p->n_blocks++;
        }
        i = ++p->used;
    }
    struct moore_chunk *c = chunk_at(p, i);
    c->next = MOORE_NIL;
    c->n = 0;
    return i;
}

void fdxi_moore_list_add(struct moore_pool *p, struct moore_list *l, const struct moore_rec *r)
{
    if (l->closed || l->stored >= MOORE_MAX_STORED)
        return;
    if (l->tail == MOORE_NIL || chunk_at(p, l->tail)->n == MOORE_CHUNK_RECS) {
        uint32_t i = chunk_new(p);
        if (i == MOORE_NIL) {
            /* Later packets are not stored even if chunks come free again, so that the sample
             * stays the flow's first packets. */
            p->refused++;
            l->closed = true;
            return;
        }
        if (l->tail == MOORE_NIL)
            l->head = i;
        else
            chunk_at(p, l->tail)->next = i;
        l->tail = i;
    }
    struct moore_chunk *c = chunk_at(p, l->tail);
    c->r[c->n++] = *r;
    l->stored++;
}

void fdxi_moore_list_copy(const struct moore_pool *p, const struct moore_list *l,
                          struct moore_rec *out)
{
    size_t k = 0;
    for (uint32_t i = l->head; i != MOORE_NIL; i = chunk_at(p, i)->next) {
        const struct moore_chunk *c = chunk_at(p, i);
        memcpy(out + k, c->r, c->n * sizeof(c->r[0]));
        k += c->n;
    }
}

void fdxi_moore_list_release(struct moore_pool *p, struct moore_list *l)
{
    uint32_t i = l->head;
    while (i != MOORE_NIL) {
        struct moore_chunk *c = chunk_at(p, i);
        uint32_t next = c->next;
        c->next = p->free_head;
        p->free_head = i;
        i = next;
    }
    memset(l, 0, sizeof(*l));
}
