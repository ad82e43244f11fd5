/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface for writing located error messages into a caller's buffer. */
#ifndef FDX_LIB_CORE_ERR_H
#define FDX_LIB_CORE_ERR_H

#include <stddef.h>

/* printf into err (errlen bytes, always terminated); nothing when err is NULL or errlen 0. */
void fdxi_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* FDX_LIB_CORE_ERR_H */
