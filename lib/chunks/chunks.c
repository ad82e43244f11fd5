/* SPDX-License-Identifier: BSD-3-Clause */
/* A per-engine pool of fixed-size chunks of records, linked into per-flow lists. */
#include <stdlib.h>
#include <string.h>

#include "chunks/chunks.h"
#include "flowdx/flowdx.h"

/* Chunks are allocated a block at a time: the largest power of two of them that fits here, so
 * that growing the pool costs one malloc per block and finding a chunk a shift and a mask. */
#define BLOCK_BYTES (256u * 1024u)

/* The link header at the start of each chunk; the records follow it. */
struct head {
    uint32_t next; /* next chunk of the list, FDXI_CHUNKS_NIL at the end */
    uint32_t n;    /* records used */
};

_Static_assert(sizeof(struct head) == 8, "records start 8 bytes into a chunk");

static struct head *chunk_at(const struct fdxi_chunks *p, uint32_t i)
{
    uint32_t k = i - 1;
    uint32_t mask = (1u << p->block_shift) - 1;
    /* Blocks come from malloc and chunk_bytes is a multiple of 8: the header is aligned. */
    return (void *)(p->blocks[k >> p->block_shift] + (size_t)(k & mask) * p->chunk_bytes);
}

static unsigned char *recs_of(struct head *c)
{
    return (unsigned char *)(c + 1);
}

int fdxi_chunks_init(struct fdxi_chunks *p, const struct fdxi_chunks_spec *spec)
{
    memset(p, 0, sizeof(*p));
    p->free_head = FDXI_CHUNKS_NIL;
    if (spec->rec_bytes == 0 || spec->rec_bytes > FDXI_CHUNKS_MAX_REC_BYTES ||
        spec->recs_per_chunk == 0 || spec->max_chunks == 0 || spec->max_chunks == UINT32_MAX)
        return FDX_EINVAL;
    size_t bytes = sizeof(struct head) + (size_t)spec->rec_bytes * spec->recs_per_chunk;
    if (bytes > FDXI_CHUNKS_MAX_CHUNK_BYTES)
        return FDX_EINVAL;
    p->spec = *spec;
    p->chunk_bytes = (bytes + 7) & ~(size_t)7;
    while (p->block_shift < 31 && (p->chunk_bytes << (p->block_shift + 1)) <= BLOCK_BYTES)
        p->block_shift++;
    uint32_t per_block = 1u << p->block_shift;
    p->max_blocks = (uint32_t)(((uint64_t)spec->max_chunks + per_block - 1) / per_block);
    p->blocks = calloc(p->max_blocks, sizeof(*p->blocks));
    return p->blocks == NULL ? FDX_ENOMEM : 0;
}

void fdxi_chunks_fini(struct fdxi_chunks *p)
{
    if (p->blocks != NULL) {
        for (uint32_t i = 0; i < p->n_blocks; i++)
            free(p->blocks[i]);
    }
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = 0;
}

/* A chunk, or FDXI_CHUNKS_NIL when the pool is at its bound or memory ran out. */
static uint32_t chunk_new(struct fdxi_chunks *p)
{
    uint32_t i;
    if (p->free_head != FDXI_CHUNKS_NIL) {
        i = p->free_head;
        p->free_head = chunk_at(p, i)->next;
    } else {
        if (p->used >= p->spec.max_chunks || p->blocks == NULL)
            return FDXI_CHUNKS_NIL;
        uint32_t b = p->used >> p->block_shift;
        if (b == p->n_blocks) {
            p->blocks[b] = malloc(p->chunk_bytes << p->block_shift);
            if (p->blocks[b] == NULL)
                return FDXI_CHUNKS_NIL;
            p->n_blocks++;
        }
        i = ++p->used;
    }
    struct head *c = chunk_at(p, i);
    c->next = FDXI_CHUNKS_NIL;
    c->n = 0;
    return i;
}

bool fdxi_chunks_add(struct fdxi_chunks *p, struct fdxi_chunk_list *l, const void *rec)
{
    if (l->closed || l->stored >= p->spec.max_per_list)
        return false;
    if (l->tail == FDXI_CHUNKS_NIL || chunk_at(p, l->tail)->n == p->spec.recs_per_chunk) {
        uint32_t i = chunk_new(p);
        if (i == FDXI_CHUNKS_NIL) {
            p->refused++;
            l->closed = p->spec.close_on_refusal;
            return false;
        }
        if (l->tail == FDXI_CHUNKS_NIL)
            l->head = i;
        else
            chunk_at(p, l->tail)->next = i;
        l->tail = i;
    }
    struct head *c = chunk_at(p, l->tail);
    memcpy(recs_of(c) + (size_t)c->n * p->spec.rec_bytes, rec, p->spec.rec_bytes);
    c->n++;
    l->stored++;
    return true;
}

void fdxi_chunks_copy(const struct fdxi_chunks *p, const struct fdxi_chunk_list *l, void *out)
{
    unsigned char *o = out;
    for (uint32_t i = l->head; i != FDXI_CHUNKS_NIL;) {
        struct head *c = chunk_at(p, i);
        size_t n = (size_t)c->n * p->spec.rec_bytes;
        memcpy(o, recs_of(c), n);
        o += n;
        i = c->next;
    }
}

void fdxi_chunks_release(struct fdxi_chunks *p, struct fdxi_chunk_list *l)
{
    uint32_t i = l->head;
    while (i != FDXI_CHUNKS_NIL) {
        struct head *c = chunk_at(p, i);
        uint32_t next = c->next;
        c->next = p->free_head;
        p->free_head = i;
        i = next;
    }
    memset(l, 0, sizeof(*l));
}
