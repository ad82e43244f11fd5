/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as a run of export datagrams (NetFlow v5/v9, IPFIX) to a collector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t reported;

/* Oracle: every record is a flow the engine takes. */
static void on_record(void *user, const struct fdx_input_record *r)
{
    (void)user;
    if (r->struct_size != sizeof(*r) || (r->ip_version != 4 && r->ip_version != 6) ||
        r->end_us < r->start_us ||
        (r->present &
         ~(uint32_t)(FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS | FDX_INPUT_TTL | FDX_INPUT_IP_LEN)) != 0)
        abort();
    reported++;
}

/*
 * The input is a sequence of datagrams, each prefixed by its length (2 bytes, big-endian), all
 * from one exporter, one second apart (so that some pairing waits end between them); the first
 * byte chooses the pairing wait (0-255 s, 0: none) and FDX_UNPAIRED_* (its low bit).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fdx_collector_options o;
    fdx_collector_options_init(&o);
    o.pair_wait_us = (uint64_t)data[0] * 1000000u;
    o.unpaired = data[0] & 1;
    o.max_pending = 8;
    o.max_exporters = 4;
    o.on_record = on_record;
    fdx_collector *c = NULL;
    if (fdx_collector_new(&o, &c, NULL, 0) != 0)
        abort();
    reported = 0;
    uint64_t fed = 0, too_short = 0; /* datagrams of 0 or 1 byte: no version, so malformed */
    size_t off = 1;
    while (size - off >= 2) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        /* an exact-size copy, so that the sanitizer sees any read past the datagram */
        uint8_t *copy = malloc(len ? len : 1);
        if (copy == NULL)
            abort();
        memcpy(copy, data + off, len);
        /* every second datagram from another exporter port: sessions of their own */
        fdx_collector_feed(c, (fed & 1) ? "udp 192.0.2.1:2055" : "udp 192.0.2.1:2056", copy, len,
                           (fed + 1) * 1000000u);
        free(copy);
        too_short += len < 2;
        fed++;
        off += len;
    }
    fdx_collector_flush(c);
    struct fdx_collector_stats st = {.struct_size = sizeof(st)};
    fdx_collector_stats(c, &st);
    /* every datagram counted once (by version, or as too short to have one); a record out per
     * record in, at most (pairs make one) */
    if (st.datagrams != fed || st.v5 + st.v9 + st.ipfix + st.unsupported + too_short != fed ||
        st.reported != reported || reported > st.records)
        abort();
    fdx_collector_free(c);
    return 0;
}
