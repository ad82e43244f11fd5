/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface shared by the doh feature sets and the dataset tool's flow cutting. */
#ifndef FDX_LIB_FEATURE_DOH_H
#define FDX_LIB_FEATURE_DOH_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

#define DOH_N_FEATURES 29

/* Packets whose time, length and direction one flow keeps for medians and modes. */
#define DOH_MAX_PACKETS 65536u
/* Packet records all flows of one engine may keep at once (16 bytes each: 64 MiB). */
#define DOH_POOL_RECORDS (4u * 1024u * 1024u)

/* A capture time as the dataset tool held it: the double nearest to the microsecond timestamp
 * (exact: ts_us < 2^53 and 1e6 are doubles, and IEEE division rounds once). */
static inline double fdxi_doh_seconds(uint64_t ts_us)
{
    return (double)ts_us / 1e6;
}

/* Whether @p port is a DoH server port of the ip mode (443). */
bool fdxi_doh_port(uint16_t port);

/* The flow cutting of the dataset's own tool (doc/features/doh.md, "dohlyzer mode"). */
extern const struct fdxi_flow_policy fdxi_policy_dohlyzer;

#endif /* FDX_LIB_FEATURE_DOH_H */
