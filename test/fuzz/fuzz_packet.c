/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as packets of every link type through the whole engine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Link types the decoder knows, and one it does not. */
static const int linktypes[] = {0, 1, 12, 101, 108, 113, 228, 229, 276, 147};

/*
 * Input layout: byte 0 picks the link type, byte 1 the split points; the rest is cut into up to
 * four packets fed at advancing times, so that flows are created, found again and ended.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    o.max_flows = 2; /* small, so that eviction runs too */
    fdx_engine *e = NULL;
    if (fdx_engine_new(&o, &e, NULL, 0) != 0)
        abort();
    int linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    size_t parts = 1 + (data[1] & 3);
    const uint8_t *p = data + 2;
    size_t left = size - 2;
    for (size_t i = 0; i < parts; i++) {
        size_t n = i + 1 == parts ? left : left / (parts - i);
        /* An exact-size copy, so that a read past the end is caught by the sanitizer. */
        uint8_t *copy = malloc(n ? n : 1);
        if (copy == NULL)
            abort();
        memcpy(copy, p, n);
        fdx_engine_feed(e, linktype, 1000000u * (i + 1), copy, (uint32_t)n, (uint32_t)n + i);
        free(copy);
        p += n;
        left -= n;
    }
    fdx_engine_flush(e);
    struct fdx_engine_stats st = {.struct_size = sizeof(st)};
    fdx_engine_stats(e, &st);
    uint64_t sum = 0;
    for (int i = 0; i < FDX_PKT_OUTCOME_COUNT; i++)
        sum += st.outcomes[i];
    if (sum != st.packets) /* every packet ends in exactly one outcome */
        abort();
    fdx_engine_free(e);
    return 0;
}
