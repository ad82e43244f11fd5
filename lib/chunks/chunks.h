/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the chunk pool: per-flow lists of fixed-size records from a bounded pool.
 */
#ifndef FDX_LIB_CHUNKS_H
#define FDX_LIB_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Feature sets whose values need a flow's packets themselves (medians, modes, quartiles, FFTs)
 * keep one record per packet in chunks of a per-engine pool: no allocation per packet, and one
 * bound on all flows together. A flow's chunks form a singly linked list, and go back to the
 * pool's free list when the flow ends.
 */

/* The end of a list. Chunk numbers start at 1, so that an all-zero list (a zeroed flow slot) is
 * a valid empty one. */
#define FDXI_CHUNKS_NIL 0u
/* Largest record and chunk accepted by fdxi_chunks_init(). */
#define FDXI_CHUNKS_MAX_REC_BYTES 4096u
#define FDXI_CHUNKS_MAX_CHUNK_BYTES (1024u * 1024u)

/* The shape and bounds of a pool, fixed when it is made. */
struct fdxi_chunks_spec {
    uint32_t rec_bytes;      /**< bytes per record, 1 to FDXI_CHUNKS_MAX_REC_BYTES */
    uint32_t recs_per_chunk; /**< records per chunk, at least 1 */
    uint32_t max_chunks;     /**< chunks the pool holds at most, 1 to UINT32_MAX - 1 */
    uint32_t max_per_list;   /**< records one list keeps at most */
    /** What a refused chunk does to the list that asked: true closes it (nothing more is added
     *  even when chunks come free again, so that its records stay a prefix of the flow's);
     *  false leaves it open (the record is dropped, a later one may get a chunk). */
    bool close_on_refusal;
};

/* A pool; caller storage, set up by fdxi_chunks_init(). */
struct fdxi_chunks {
    struct fdxi_chunks_spec spec;
    size_t chunk_bytes;     /**< link header + records, rounded up to 8 bytes */
    uint32_t block_shift;   /**< log2 of the chunks one block holds */
    uint32_t max_blocks;    /**< blocks that cover spec.max_chunks */
    unsigned char **blocks; /**< max_blocks entries, blocks allocated on demand */
    uint32_t n_blocks;      /**< blocks allocated */
    uint32_t used;          /**< chunks handed out at least once (high-water mark) */
    uint32_t free_head;     /**< chunks given back, as a list */
    uint64_t refused;       /**< chunk requests refused: pool at its bound or out of memory */
};

/* A flow's list of records; all-zero is the empty, open list. */
struct fdxi_chunk_list {
    uint32_t head, tail; /**< first and last chunk, FDXI_CHUNKS_NIL when empty */
    uint32_t stored;     /**< records in the list */
    bool closed;         /**< a chunk was refused and the pool closes lists on refusal */
};

/*
 * Make an empty pool of @p spec (copied). Allocates only the block index (max_blocks pointers);
 * chunks are allocated as blocks of up to 256 KiB when lists first need them.
 * @return 0, FDX_EINVAL for a spec out of range, FDX_ENOMEM. fdxi_chunks_fini() is needed in
 *         every case.
 */
int fdxi_chunks_init(struct fdxi_chunks *p, const struct fdxi_chunks_spec *spec);
/* Free the pool's memory; every list drawn from it is invalid after. Accepts a pool whose init
 * failed. */
void fdxi_chunks_fini(struct fdxi_chunks *p);
/*
 * Append the record @p rec (spec.rec_bytes, copied) to @p l, unless the list holds
 * spec.max_per_list records or is closed. When the list needs a chunk and the pool refuses one,
 * p->refused counts it and the list is closed if spec.close_on_refusal.
 * @return whether the record was stored.
 */
bool fdxi_chunks_add(struct fdxi_chunks *p, struct fdxi_chunk_list *l, const void *rec);
/* Copy the records of @p l, in the order they were added, to @p out (room for l->stored
 * records of spec.rec_bytes). */
void fdxi_chunks_copy(const struct fdxi_chunks *p, const struct fdxi_chunk_list *l, void *out);
/* Give the chunks of @p l back to the pool; the list is empty and open again. */
void fdxi_chunks_release(struct fdxi_chunks *p, struct fdxi_chunk_list *l);

#endif /* FDX_LIB_CHUNKS_H */
