/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface for formatting messages and reports into caller buffers. */
#ifndef FDX_LIB_CORE_ERR_H
#define FDX_LIB_CORE_ERR_H

#include <stddef.h>

#include "flowdx/flowdx.h"

/* Whether the caller's struct @p s of type @p type, whose struct_size says which release it was
 * built against (fields are only ever appended), reaches @p field: false for a caller built before
 * the field was added. */
#define FDXI_HAS_FIELD(s, type, field)                                                             \
    ((size_t)(s)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* printf into err (errlen bytes, always terminated); nothing when err is NULL or errlen 0. */
void fdxi_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * snprintf-style appending for reports: formats at buf + used (when it fits) and returns used
 * plus the length of the formatted text, so a first call with len 0 measures the whole report.
 */
size_t fdxi_appendf(char *buf, size_t len, size_t used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A JSON string (quotes, backslash and control characters escaped) appended as fdxi_appendf. */
size_t fdxi_json_str(char *buf, size_t len, size_t used, const char *s);

/* printf to a log sink at FDX_LOG_* @p level (at most 639 bytes); nothing when log is NULL. */
void fdxi_logf_at(fdx_log_fn log, void *user, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* fdxi_logf_at() at FDX_LOG_INFO. */
void fdxi_logf(fdx_log_fn log, void *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* FDX_LIB_CORE_ERR_H */
