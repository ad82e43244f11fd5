/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes formatted error messages into caller-supplied buffers. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

void fdxi_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
