/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the IPFIX exporter's suites (test_export, test_export_dead), public API only.
 */
#ifndef FDX_TEST_IPFIX_UTIL_H
#define FDX_TEST_IPFIX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"

/* Sleep @p ms milliseconds. */
void iu_pause_ms(long ms);

/* An engine of the default options (the records' layout is all these suites need); fails the
 * test when it cannot be made. */
fdx_engine *iu_default_engine(void);

/* The exporter's counters; fails the test when fdx_ipfix_get_stats() does. */
struct fdx_ipfix_stats iu_stats(const fdx_ipfix *x);

/* Opens an exporter of @p e's records to tcp://@p host:@p port with @p reconnect_s (failing the
 * test if it does not open), and accepts its connection on the listening socket @p l into
 * *ret_conn. */
fdx_ipfix *iu_open_tcp(const fdx_engine *e, const char *host, unsigned port, uint32_t reconnect_s,
                       int l, int *ret_conn);

/* fdx_ipfix_write() of flow @p id: an all-zero IPv4 TCP record of @p e's layout. */
int iu_write_id(fdx_ipfix *x, const fdx_engine *e, uint64_t id, char *err, size_t len);

#endif /* FDX_TEST_IPFIX_UTIL_H */
