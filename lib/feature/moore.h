/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface shared by the files of the moore feature set (doc/features/moore.md). */
#ifndef FDX_LIB_FEATURE_MOORE_H
#define FDX_LIB_FEATURE_MOORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunks/chunks.h"
#include "flow/flow.h"

/* Values per flow: Moore's 248 discriminators, then is_tcp. */
#define MOORE_N_DISCRIMINATORS 248
#define MOORE_N_VALUES (MOORE_N_DISCRIMINATORS + 1)

extern const char *const fdxi_moore_names[MOORE_N_VALUES];

/* ---- stored packet records (a pool of lib/chunks) ---- */

/*
 * Quartiles and FFTs need the values themselves, so a flow keeps one record per packet for its
 * first MOORE_MAX_STORED packets, in chunks from a per-engine pool: no allocation per packet, and
 * a bound on all flows together (MOORE_POOL_CHUNKS). Every other value is a running sum.
 */
#define MOORE_MAX_STORED 1024u
#define MOORE_CHUNK_RECS 15u
/* Chunks one engine may hold at once: 248 B each, 62 MiB, one chunk for each of the default
 * 262144 flows. */
#define MOORE_POOL_CHUNKS (256u * 1024u)

/* One packet as the sample statistics need it. */
struct moore_rec {
    uint64_t ts_us;    /**< capture time, microseconds */
    uint32_t ip_len;   /**< IP total length, bytes */
    uint16_t ctl_len;  /**< IP + transport header bytes */
    uint8_t dir;       /**< FDX_DIR_REQ or FDX_DIR_RESP */
    uint8_t reserved_; /**< zero */
};

/* The pool of struct moore_rec: MOORE_CHUNK_RECS a chunk, MOORE_MAX_STORED a flow; a refused
 * chunk closes the flow's list, so that its records stay the flow's first packets. */
extern const struct fdxi_chunks_spec fdxi_moore_store;

/* ---- FFT of IAT series (moore_fft.c) ---- */

#define MOORE_FFT_TOP 10

struct moore_fft;

/* A plan cache and buffers for series of up to MOORE_MAX_STORED values; NULL when out of memory. */
struct moore_fft *fdxi_moore_fft_new(void);
void fdxi_moore_fft_free(struct moore_fft *f);
/*
 * The MOORE_FFT_TOP values of an IAT series x[0..n) (seconds): atan(Im X_k / Re X_k) of the
 * non-DC bins k = 1..n/2 of its discrete Fourier transform, by decreasing |X_k| (lower k first
 * on ties); 0 for the ranks past the number of bins. Returns false (values 0) when no plan could
 * be made.
 */
bool fdxi_moore_fft_top(struct moore_fft *f, const double *x, size_t n, double out[MOORE_FFT_TOP]);

/* ---- time since the last connection between two hosts (moore_conn.c) ---- */

/* Host pairs remembered per engine: MOORE_CONN_SETS sets of MOORE_CONN_WAYS. */
#define MOORE_CONN_SETS 16384u
#define MOORE_CONN_WAYS 4u

struct moore_conn_entry {
    uint8_t addr[2][16]; /**< the two hosts, lower address first */
    uint8_t proto;       /**< IP protocol */
    uint8_t used;        /**< 1 once filled */
    uint8_t reserved_[6];
    uint64_t start_us; /**< first packet of the latest connection between them */
    double since_s;    /**< the value that connection got */
};

/*
 * The value of discriminator 209 for a record whose first packet is at @p ts_us: seconds since
 * the first packet of the latest earlier connection (flow record that is not a continuation) of
 * the same protocol between the same two addresses, or -1 when none is remembered. A
 * continuation (@p continuation) gets the value its connection got, and is not remembered.
 */
double fdxi_moore_conn_since(struct moore_conn_entry *table, const struct fdxi_flow *f,
                             uint64_t ts_us, bool continuation);

#endif /* FDX_LIB_FEATURE_MOORE_H */
