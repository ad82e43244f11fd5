/* SPDX-License-Identifier: BSD-3-Clause */
/* Interface between the files of fdx-bench-mkcapture: frame rewriting and the flow census. */
#ifndef FDX_BENCH_MKCAPTURE_H
#define FDX_BENCH_MKCAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mkc_flow_slot;

/* Bidirectional flow key: the endpoint that compares lower comes first. */
struct mkc_flow_key {
    uint8_t addr[2][16]; /**< IPv4 in bytes 0-3, rest zero; network byte order */
    uint16_t port[2];    /**< host byte order; 0 for protocols without ports */
    uint8_t family;
    uint8_t proto;
};

/* Open-addressing set of flows, used only to report what the capture contains. */
struct mkc_flow_table {
    struct mkc_flow_slot *slots;
    size_t cap; /**< power of two */
    size_t count;
};

/*
 * Adds shift (mod 2^16) to the 16-bit field at bytes 1-2 of both IPv4 addresses, or bytes 2-3 of
 * both IPv6 addresses, of the Ethernet frame p, and updates the IPv4 header, TCP, UDP and ICMPv6
 * checksums to match. Frames that are not IP are left alone. p is modified in place.
 */
void mkc_shift_addresses(unsigned char *p, size_t caplen, unsigned shift);

/* Fills ret with the flow key of the frame p; *ret_ip is false (and ret zero) when it is not IP. */
void mkc_flow_key_of(const unsigned char *p, size_t caplen, struct mkc_flow_key *ret, bool *ret_ip);

/*
 * Records one packet of the flow k at ts_us in t, a zero-initialised table. Returns 0, or -1 when
 * out of memory (t stays usable).
 */
int mkc_flow_table_add(struct mkc_flow_table *t, const struct mkc_flow_key *k, uint64_t ts_us);

/* Forgets every flow, keeping the memory. */
void mkc_flow_table_clear(struct mkc_flow_table *t);

/*
 * Sets *ret to the largest number of flows whose [first, last] packet intervals overlap at one
 * instant. Returns 0, or -1 when out of memory (*ret untouched).
 */
int mkc_flow_table_peak(const struct mkc_flow_table *t, uint64_t *ret);

/* Frees the table's memory; the table may be used again afterwards. */
void mkc_flow_table_fini(struct mkc_flow_table *t);

#endif
