/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded little-endian reading and growable writing of the binary model format. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static void reserve(struct fdxi_wbuf *w, size_t n)
{
    if (w->failed)
        return;
    if (n > SIZE_MAX / 2 - w->len) {
        w->failed = true;
        return;
    }
    if (w->len + n <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n)
        cap *= 2;
    uint8_t *d = realloc(w->data, cap);
    if (d == NULL) {
        w->failed = true;
        return;
    }
    w->data = d;
    w->cap = cap;
}

void fdxi_wbuf_bytes(struct fdxi_wbuf *w, const void *p, size_t n)
{
    reserve(w, n);
    if (w->failed || n == 0)
        return;
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

void fdxi_wbuf_u8(struct fdxi_wbuf *w, uint8_t v)
{
    fdxi_wbuf_bytes(w, &v, 1);
}

void fdxi_wbuf_u32(struct fdxi_wbuf *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fdxi_wbuf_bytes(w, b, 4);
}

void fdxi_wbuf_u64(struct fdxi_wbuf *w, uint64_t v)
{
    fdxi_wbuf_u32(w, (uint32_t)v);
    fdxi_wbuf_u32(w, (uint32_t)(v >> 32));
}

void fdxi_wbuf_f64(struct fdxi_wbuf *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    fdxi_wbuf_u64(w, bits);
}

void fdxi_wbuf_f64s(struct fdxi_wbuf *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fdxi_wbuf_f64(w, v[i]);
}

void fdxi_wbuf_str(struct fdxi_wbuf *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        w->failed = true;
        return;
    }
    fdxi_wbuf_u32(w, (uint32_t)n);
    fdxi_wbuf_bytes(w, s, n);
}

void fdxi_wbuf_fini(struct fdxi_wbuf *w)
{
    free(w->data);
    memset(w, 0, sizeof(*w));
}

void fdxi_rbuf_init(struct fdxi_rbuf *r, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
}

void fdxi_rbuf_fail(struct fdxi_rbuf *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
}

/* The next n bytes, or NULL (and a recorded failure) when fewer remain. */
static const uint8_t *take(struct fdxi_rbuf *r, size_t n, const char *what)
{
    if (r->failed)
        return NULL;
    if (n > r->len - r->off) {
        fdxi_rbuf_fail(r, "offset %zu: %s: file ends (%zu bytes needed, %zu left)", r->off, what, n,
                       r->len - r->off);
        return NULL;
    }
    const uint8_t *p = r->data + r->off;
    r->off += n;
    return p;
}

uint8_t fdxi_rbuf_u8(struct fdxi_rbuf *r, const char *what)
{
    const uint8_t *p = take(r, 1, what);
    return p ? p[0] : 0;
}

uint32_t fdxi_rbuf_u32(struct fdxi_rbuf *r, const char *what)
{
    const uint8_t *p = take(r, 4, what);
    if (p == NULL)
        return 0;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t fdxi_rbuf_u64(struct fdxi_rbuf *r, const char *what)
{
    const uint8_t *p = take(r, 8, what); /* all 8 at once: a short file says "8 bytes needed" */
    if (p == NULL)
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

double fdxi_rbuf_f64(struct fdxi_rbuf *r, const char *what)
{
    uint64_t bits = fdxi_rbuf_u64(r, what);
    double v;
    memcpy(&v, &bits, sizeof(v));
    return r->failed ? 0.0 : v;
}

void fdxi_rbuf_f64s(struct fdxi_rbuf *r, double *out, size_t n, const char *what)
{
    if (!r->failed && n > (r->len - r->off) / 8) {
        fdxi_rbuf_fail(r, "offset %zu: %s: %zu values announced, the file holds fewer", r->off,
                       what, n);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = fdxi_rbuf_f64(r, what);
}

uint32_t fdxi_rbuf_count(struct fdxi_rbuf *r, uint32_t min, uint32_t max, const char *what)
{
    size_t at = r->off;
    uint32_t v = fdxi_rbuf_u32(r, what);
    if (!r->failed && (v < min || v > max)) {
        fdxi_rbuf_fail(r, "offset %zu: %s: %u out of range (%u to %u)", at, what, v, min, max);
        return 0;
    }
    return v;
}

double fdxi_rbuf_finite(struct fdxi_rbuf *r, const char *what)
{
    size_t at = r->off;
    double v = fdxi_rbuf_f64(r, what);
    if (!r->failed && !isfinite(v)) {
        fdxi_rbuf_fail(r, "offset %zu: %s: not a finite number", at, what);
        return 0.0;
    }
    return v;
}

char *fdxi_rbuf_str(struct fdxi_rbuf *r, uint32_t max_len, const char *what)
{
    uint32_t n = fdxi_rbuf_count(r, 0, max_len, what);
    const uint8_t *p = take(r, n, what);
    if (p == NULL)
        return NULL;
    if (memchr(p, '\0', n) != NULL) {
        fdxi_rbuf_fail(r, "offset %zu: %s: NUL byte inside a string", r->off - n, what);
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        fdxi_rbuf_fail(r, "%s: out of memory", what);
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}
