/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface for writing a whole file the way the library's file outputs do. */
#ifndef FDX_LIB_CORE_FILE_H
#define FDX_LIB_CORE_FILE_H

#include <stddef.h>

/*
 * Write @p len bytes of @p data as the file @p path, mode 0644. A regular file (or a new one) is
 * written under a temporary name beside it and renamed over it, so a reader sees the old file or
 * the whole new one. A symbolic link is followed: its target is replaced, not the link. A device
 * or a FIFO (/dev/null, /dev/stdout) is written directly and stays what it is.
 * @return 0, or FDX_EIO / FDX_ENOMEM / FDX_EINVAL with "PATH: what failed: why" in err.
 */
int fdxi_file_replace(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif /* FDX_LIB_CORE_FILE_H */
