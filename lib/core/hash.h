/* SPDX-License-Identifier: BSD-3-Clause */
/* FNV-1a 64: checksums of model inputs and hash-table keys, computed alike everywhere. */
#ifndef FDX_LIB_CORE_HASH_H
#define FDX_LIB_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64's offset basis and prime (Fowler, Noll and Vo; draft-eastlake-fnv). */
#define FDXI_FNV1A64_BASIS 0xcbf29ce484222325ull
#define FDXI_FNV1A64_PRIME 0x100000001b3ull

/* FNV-1a 64 over data in pieces: start from FDXI_FNV1A64_BASIS, feed each piece in order. */
static inline uint64_t fdxi_fnv1a64_update(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FDXI_FNV1A64_PRIME;
    }
    return h;
}

/* FNV-1a 64 of bytes, e.g. to record and check what a model was trained on. */
static inline uint64_t fdxi_fnv1a64(const void *data, size_t len)
{
    return fdxi_fnv1a64_update(FDXI_FNV1A64_BASIS, data, len);
}

#endif /* FDX_LIB_CORE_HASH_H */
