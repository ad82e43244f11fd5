/* SPDX-License-Identifier: BSD-3-Clause */
/* Formats error messages and report text into caller-supplied buffers. */
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

size_t fdxi_appendf(char *buf, size_t len, size_t used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, fmt, ap);
    va_end(ap);
    return n > 0 ? used + (size_t)n : used;
}

size_t fdxi_json_str(char *buf, size_t len, size_t used, const char *s)
{
    used = fdxi_appendf(buf, len, used, "\"");
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            used = fdxi_appendf(buf, len, used, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            used = fdxi_appendf(buf, len, used, "\\u%04x", (unsigned char)*s);
        else
            used = fdxi_appendf(buf, len, used, "%c", *s);
    }
    return fdxi_appendf(buf, len, used, "\"");
}

/* The collector's messages name an exporter, a datagram and a decoder's reason of up to 300
 * bytes: 640 holds them whole. */
#define LOG_MAX 640

__attribute__((format(printf, 4, 0))) static void vlogf(fdx_log_fn log, void *user, int level,
                                                        const char *fmt, va_list ap)
{
    char msg[LOG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log(user, level, msg);
}

void fdxi_logf_at(fdx_log_fn log, void *user, int level, const char *fmt, ...)
{
    if (log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlogf(log, user, level, fmt, ap);
    va_end(ap);
}

void fdxi_logf(fdx_log_fn log, void *user, const char *fmt, ...)
{
    if (log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlogf(log, user, FDX_LOG_INFO, fmt, ap);
    va_end(ap);
}
