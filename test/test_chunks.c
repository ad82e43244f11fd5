/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the chunk pool (lib/chunks) against layouts and counts worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunks/chunks.h"
#include "flowdx/flowdx.h"

/* A 12-byte record: not a multiple of 8, so a chunk of 3 is 8 + 36 = 44 bytes, stored in 48. */
struct rec12 {
    uint32_t id;
    uint8_t fill[8];
};

static struct rec12 rec(uint32_t id)
{
    struct rec12 r;
    r.id = id;
    memset(r.fill, (int)(id & 0xff), sizeof(r.fill));
    return r;
}

static void pool_init(struct fdxi_chunks *p, uint32_t max_chunks, uint32_t max_per_list, bool close)
{
    struct fdxi_chunks_spec s = {.rec_bytes = sizeof(struct rec12),
                                 .recs_per_chunk = 3,
                                 .max_chunks = max_chunks,
                                 .max_per_list = max_per_list,
                                 .close_on_refusal = close};
    assert_int_equal(fdxi_chunks_init(p, &s), 0);
}

/* The records of @p l are exactly the ids @p want[0..n), in order, with their fill bytes. */
static void expect_ids(const struct fdxi_chunks *p, const struct fdxi_chunk_list *l,
                       const uint32_t *want, uint32_t n)
{
    assert_int_equal(l->stored, n);
    /* Exactly l->stored records of room, so that ASan sees a copy that writes past them. */
    struct rec12 *out = malloc((n > 0 ? n : 1) * sizeof(*out));
    assert_non_null(out);
    fdxi_chunks_copy(p, l, out);
    for (uint32_t i = 0; i < n; i++) {
        struct rec12 w = rec(want[i]);
        assert_int_equal(out[i].id, want[i]);
        assert_memory_equal(out[i].fill, w.fill, sizeof(w.fill));
    }
    free(out);
}

static bool add(struct fdxi_chunks *p, struct fdxi_chunk_list *l, uint32_t id)
{
    struct rec12 r = rec(id);
    return fdxi_chunks_add(p, l, &r);
}

/* 7 records of 3 a chunk: chunks of 3, 3 and 1, read back in order. */
static void test_chunks_append_across_chunk_boundaries(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 10, 100, true);
    assert_int_equal(p.chunk_bytes, 48);
    struct fdxi_chunk_list l = {0};
    for (uint32_t i = 1; i <= 7; i++)
        assert_true(add(&p, &l, i));
    assert_int_equal(p.used, 3);
    assert_int_not_equal(l.head, l.tail);
    const uint32_t want[] = {1, 2, 3, 4, 5, 6, 7};
    expect_ids(&p, &l, want, 7);
    assert_int_equal(p.refused, 0);
    fdxi_chunks_release(&p, &l);
    fdxi_chunks_fini(&p);
}

/* Two lists appended in turn share the pool; each copies out its own records in its order. */
static void test_chunks_copy_out_keeps_each_lists_order(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 10, 100, true);
    struct fdxi_chunk_list a = {0}, b = {0};
    for (uint32_t i = 0; i < 5; i++) {
        assert_true(add(&p, &a, 100 + i));
        assert_true(add(&p, &b, 200 + i));
    }
    /* a: chunks 1 and 3; b: chunks 2 and 4 (each list's second chunk after both first ones). */
    assert_int_equal(p.used, 4);
    assert_int_equal(a.head, 1);
    assert_int_equal(b.head, 2);
    assert_int_equal(a.tail, 3);
    assert_int_equal(b.tail, 4);
    const uint32_t wa[] = {100, 101, 102, 103, 104}, wb[] = {200, 201, 202, 203, 204};
    expect_ids(&p, &a, wa, 5);
    expect_ids(&p, &b, wb, 5);
    /* An empty list copies nothing. */
    struct fdxi_chunk_list e = {0};
    expect_ids(&p, &e, NULL, 0);
    fdxi_chunks_release(&p, &a);
    fdxi_chunks_release(&p, &b);
    fdxi_chunks_fini(&p);
}

/* A cap of 5: the 6th and 7th records are not stored, and that is not a refusal. */
static void test_chunks_per_list_cap(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 10, 5, true);
    struct fdxi_chunk_list l = {0};
    for (uint32_t i = 1; i <= 5; i++)
        assert_true(add(&p, &l, i));
    assert_false(add(&p, &l, 6));
    assert_false(add(&p, &l, 7));
    assert_int_equal(p.used, 2); /* 5 records: 3 + 2 */
    assert_int_equal(p.refused, 0);
    assert_false(l.closed);
    const uint32_t want[] = {1, 2, 3, 4, 5};
    expect_ids(&p, &l, want, 5);
    fdxi_chunks_release(&p, &l);
    fdxi_chunks_fini(&p);
}

/* Closing mode (moore's): a pool of 2 chunks; the refused list stays a prefix even after a chunk
 * comes free. */
static void test_chunks_refusal_closes_the_list(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 2, 100, true);
    struct fdxi_chunk_list a = {0}, b = {0}, c = {0};
    for (uint32_t i = 1; i <= 3; i++)
        assert_true(add(&p, &a, i)); /* chunk 1 */
    assert_true(add(&p, &b, 50));    /* chunk 2: the pool is at its bound */
    assert_false(add(&p, &a, 4));    /* a needs a third chunk */
    assert_true(a.closed);
    assert_int_equal(p.refused, 1);
    assert_false(add(&p, &a, 5)); /* closed: not even asked */
    assert_int_equal(p.refused, 1);
    assert_false(add(&p, &c, 60)); /* a new list is refused its first chunk */
    assert_true(c.closed);
    assert_int_equal(p.refused, 2);
    fdxi_chunks_release(&p, &b);  /* a chunk comes free ... */
    assert_false(add(&p, &a, 6)); /* ... but a stays the flow's first packets */
    const uint32_t want[] = {1, 2, 3};
    expect_ids(&p, &a, want, 3);
    /* Released, a list is empty and open again, and gets the free chunk. */
    fdxi_chunks_release(&p, &c);
    assert_false(c.closed);
    assert_true(add(&p, &c, 61));
    assert_int_equal(c.head, 2);
    assert_int_equal(p.refused, 2);
    fdxi_chunks_release(&p, &a);
    fdxi_chunks_release(&p, &c);
    fdxi_chunks_fini(&p);
}

/* Open mode (doh's): each record that finds no chunk is one refusal, and a later record is
 * stored when a chunk has come free. */
static void test_chunks_refusal_leaves_the_list_open(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 2, 100, false);
    struct fdxi_chunk_list a = {0}, b = {0};
    for (uint32_t i = 1; i <= 3; i++)
        assert_true(add(&p, &a, i));
    assert_true(add(&p, &b, 50));
    assert_false(add(&p, &a, 4));
    assert_false(add(&p, &a, 5));
    assert_false(a.closed);
    assert_int_equal(p.refused, 2);
    fdxi_chunks_release(&p, &b);
    assert_true(add(&p, &a, 6));
    assert_true(add(&p, &a, 7));
    assert_int_equal(p.refused, 2);
    const uint32_t want[] = {1, 2, 3, 6, 7};
    expect_ids(&p, &a, want, 5);
    fdxi_chunks_release(&p, &a);
    fdxi_chunks_fini(&p);
}

/* Released chunks are reused (last freed first) before the pool grows. */
static void test_chunks_release_and_reuse(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    pool_init(&p, 4, 100, true);
    struct fdxi_chunk_list a = {0}, b = {0};
    for (uint32_t i = 1; i <= 6; i++)
        assert_true(add(&p, &a, i)); /* chunks 1, 2 */
    assert_int_equal(p.used, 2);
    fdxi_chunks_release(&p, &a);
    const struct fdxi_chunk_list zero = {0};
    assert_memory_equal(&a, &zero, sizeof(a));
    /* Chunk 1 was given back first, then chunk 2: b gets 2, then 1. */
    for (uint32_t i = 1; i <= 4; i++)
        assert_true(add(&p, &b, 10 + i));
    assert_int_equal(b.head, 2);
    assert_int_equal(b.tail, 1);
    assert_int_equal(p.used, 2); /* no new chunk */
    const uint32_t want[] = {11, 12, 13, 14};
    expect_ids(&p, &b, want, 4);
    /* The reused chunks start empty: a fresh list after b's release reads only its own. */
    fdxi_chunks_release(&p, &b);
    assert_true(add(&p, &a, 99));
    const uint32_t one[] = {99};
    expect_ids(&p, &a, one, 1);
    /* Churn: many short lists through a pool of 4 chunks, never refused. */
    for (uint32_t k = 0; k < 1000; k++) {
        struct fdxi_chunk_list l = {0};
        for (uint32_t i = 0; i < 7; i++)
            assert_true(add(&p, &l, k + i));
        fdxi_chunks_release(&p, &l);
    }
    assert_int_equal(p.used, 4);
    assert_int_equal(p.refused, 0);
    fdxi_chunks_release(&p, &a);
    fdxi_chunks_fini(&p);
}

/*
 * Blocks hold the largest power of two of chunks within 256 KiB: 1024 of moore's 248-byte chunks
 * (253,952 bytes; 2048 would be 507,904), 256 of doh's 1016-byte ones (260,096; 512: 520,192).
 * A chunk of 4096-byte records, 32 a chunk, is 131,080 bytes: one a block, so 100 records take
 * 4 chunks in 4 blocks, read back across the block boundaries.
 */
static void test_chunks_blocks(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    struct fdxi_chunks_spec moore = {16, 15, 262144, 1024, true};
    assert_int_equal(fdxi_chunks_init(&p, &moore), 0);
    assert_int_equal(p.chunk_bytes, 248);
    assert_int_equal(p.block_shift, 10);
    assert_int_equal(p.max_blocks, 256);
    fdxi_chunks_fini(&p);
    struct fdxi_chunks_spec doh = {16, 63, 66576, 4096, false};
    assert_int_equal(fdxi_chunks_init(&p, &doh), 0);
    assert_int_equal(p.chunk_bytes, 1016);
    assert_int_equal(p.block_shift, 8);
    assert_int_equal(p.max_blocks, 261); /* 66576 / 256 = 260.06 */
    fdxi_chunks_fini(&p);

    struct fdxi_chunks_spec big = {4096, 32, 8, 1000, true};
    assert_int_equal(fdxi_chunks_init(&p, &big), 0);
    assert_int_equal(p.chunk_bytes, 131080);
    assert_int_equal(p.block_shift, 0);
    struct fdxi_chunk_list l = {0};
    static uint8_t r[4096];
    for (uint32_t i = 0; i < 100; i++) {
        memset(r, (int)i, sizeof(r));
        assert_true(fdxi_chunks_add(&p, &l, r));
    }
    assert_int_equal(p.used, 4);
    assert_int_equal(p.n_blocks, 4);
    uint8_t *out = malloc(100 * sizeof(r));
    assert_non_null(out);
    fdxi_chunks_copy(&p, &l, out);
    for (uint32_t i = 0; i < 100; i++) {
        memset(r, (int)i, sizeof(r));
        assert_memory_equal(out + (size_t)i * sizeof(r), r, sizeof(r));
    }
    free(out);
    fdxi_chunks_release(&p, &l);
    fdxi_chunks_fini(&p);
}

/* Shapes out of range are refused; fini accepts the refused pool. */
static void test_chunks_spec_out_of_range(void **state)
{
    (void)state;
    struct fdxi_chunks p;
    const struct fdxi_chunks_spec bad[] = {
        {0, 3, 10, 10, true},          {FDXI_CHUNKS_MAX_REC_BYTES + 1, 1, 10, 10, true},
        {16, 0, 10, 10, true},         {16, 3, 0, 10, true},
        {16, 3, UINT32_MAX, 10, true}, {4096, 257, 10, 10, true}, /* 8 + 1,052,672 bytes a chunk */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fdxi_chunks_init(&p, &bad[i]), FDX_EINVAL);
        fdxi_chunks_fini(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_append_across_chunk_boundaries),
        cmocka_unit_test(test_chunks_copy_out_keeps_each_lists_order),
        cmocka_unit_test(test_chunks_per_list_cap),
        cmocka_unit_test(test_chunks_refusal_closes_the_list),
        cmocka_unit_test(test_chunks_refusal_leaves_the_list_open),
        cmocka_unit_test(test_chunks_release_and_reuse),
        cmocka_unit_test(test_chunks_blocks),
        cmocka_unit_test(test_chunks_spec_out_of_range),
    };
    return cmocka_run_group_tests_name("chunks", tests, NULL, NULL);
}
