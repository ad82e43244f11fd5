/* SPDX-License-Identifier: BSD-3-Clause */
/* Feeding a capture file to an engine, for the suites that use the public API (capture_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capture_util.h"

void cu_feed_file(fdx_engine *e, const char *path)
{
    char err[1024];
    fdx_capture *cap = NULL;
    if (fdx_capture_open_file(path, NULL, &cap, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct fdx_capture_packet pk;
    while (fdx_capture_next(cap, &pk, err, sizeof(err)) == 1)
        fdx_engine_feed(e, fdx_capture_linktype(cap), pk.ts_us, pk.data, pk.caplen, pk.wirelen);
    fdx_capture_free(cap);
}
