/* SPDX-License-Identifier: BSD-3-Clause */
/* A helper shared by the suites that run an engine through the public API: feed it a capture file.
 */
#ifndef FDX_TEST_CAPTURE_UTIL_H
#define FDX_TEST_CAPTURE_UTIL_H

#include "flowdx/flowdx.h"

/* Feed the packets of the capture file @p path (borrowed) to @p e in file order, until
 * fdx_capture_next() gives no more (end of file or a read error); fails the test when the file
 * does not open. Does not flush the engine. */
void cu_feed_file(fdx_engine *e, const char *path);

#endif /* FDX_TEST_CAPTURE_UTIL_H */
