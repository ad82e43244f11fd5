/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the dpi feature set: nDPI's application protocol of each flow. */
#ifndef FDX_LIB_DPI_H
#define FDX_LIB_DPI_H

#include "feature/feature.h"

/*
 * Packets of a record that nDPI sees at most (doc/features/dpi.md). nDPI decides DoH/DoT and
 * TLS within the handshake (its own reference output needs 2 to 7 packets for the DoH and DoT
 * captures in samples/doh/ndpi); 24 is ndpiReader's limit for UDP flows.
 */
#define FDXI_DPI_MAX_PACKETS 24

/* Records under inspection at once, at most; past that, new records are not inspected. */
#define FDXI_DPI_MAX_INSPECTING (1u << 18)

/* Bytes kept of nDPI's server name per flow (with the terminating NUL). */
#define FDXI_DPI_SERVER_BYTES 64

/* Values of the set, in output order. */
#define FDXI_DPI_N_FEATURES 3
#define FDXI_DPI_MASTER 0 /* nDPI's master protocol id (e.g. 91 TLS), 0 unknown */
#define FDXI_DPI_APP 1    /* nDPI's application protocol id (e.g. 196 DoH_DoT), 0 unknown */
#define FDXI_DPI_DOH 2    /* 1 when either id is DoH_DoT, else 0 */

extern const struct fdxi_feature_set fdxi_feature_set_dpi;

/* The plugin ABI's FDX_APP_* bits of a record from the set's values. */
uint32_t fdxi_dpi_app_flags(const double *values);

#endif /* FDX_LIB_DPI_H */
