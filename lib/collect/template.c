/* SPDX-License-Identifier: BSD-3-Clause */
/* Decodes NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) messages with an exporter's templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "core/err.h"
#include "export/ipfix.h"

#define IPFIX_HDR 16
#define V9_HDR 20

/* Set ids: templates, options templates, and the first data set id. */
#define IPFIX_SET_TEMPLATE 2
#define IPFIX_SET_OPTIONS 3
#define V9_SET_TEMPLATE 0
#define V9_SET_OPTIONS 1
#define FIRST_DATA_SET 256

/* What a message's header says, for the records in it. */
struct msg {
    uint16_t version;
    int64_t export_ms;
    bool have_sysinit; /* v9: the header's uptime says when the exporter started */
    int64_t sysinit_ms;
    struct fdxi_session *s;
    struct fdxi_dec_out *out;
    int pass; /* LEARN, CHECK, DECODE */
    bool decode;
};

/* A message is read three times: its templates are learnt, its data sets checked against them,
 * and only then are its records decoded and given out, so that a broken message gives none. */
enum { LEARN, CHECK, DECODE };

/* The last microsecond of year 9999 (253402300799 s since 1970): a later time cannot be written
 * as RFC 3339, and is no exporter's clock. Larger values are refused (FAR_US marks overflow). */
#define LAST_US UINT64_C(253402300799999999)
#define FAR_US UINT64_MAX

/* @p v units of @p unit_us microseconds, FAR_US when beyond LAST_US (or overflowing). */
static uint64_t times_us(uint64_t v, uint64_t unit_us)
{
    return v > LAST_US / unit_us ? FAR_US : v * unit_us;
}

static uint64_t add_us(uint64_t a, uint64_t b)
{
    return a > LAST_US || b > LAST_US - a ? FAR_US : a + b;
}

/* One data record's values before its times are settled. */
struct raw {
    struct fdxi_flowdec d;
    bool src, dst, v6src, v6dst;
    bool pk[2], by[2], pk_tot[2], by_tot[2];
    uint64_t packets_tot[2], bytes_tot[2];
    bool flags[2], min_ttl[2], max_ttl[2], min_len[2], max_len[2];
    bool abs_start[2], abs_end[2];
    uint64_t start_us[2], end_us[2];
    bool up_start[2], up_end[2];
    uint32_t up_start_ms[2], up_end_ms[2];
    bool delta_start[2], delta_end[2];
    uint32_t delta_start_us[2], delta_end_us[2];
    bool dur[2];
    uint64_t dur_us[2];
    bool sysinit;
    int64_t sysinit_ms;
    bool far_time;         /* a time beyond year 9999: the record is refused */
    bool end_before_start; /* an end before the start, set to the start */
};

/* A float64 flowrec value of flowdx's own (FDXI_K_F64_*) as the IANA element's kind and value,
 * or FDXI_K_SKIP for NaN (a value the flow does not have) or one no IANA element can hold. */
static uint16_t own_value(uint16_t kind, uint64_t bits, uint64_t *v)
{
    double x;
    memcpy(&x, &bits, sizeof(x));
    if (!(x >= 0 && x <= 4294967295.0))
        return FDXI_K_SKIP;
    *v = (uint64_t)x;
    switch (kind) {
    case FDXI_K_F64_MIN_LEN:
        return FDXI_K_MIN_LEN;
    case FDXI_K_F64_MAX_LEN:
        return FDXI_K_MAX_LEN;
    case FDXI_K_F64_MIN_TTL:
        return x <= 255 ? FDXI_K_MIN_TTL : FDXI_K_SKIP;
    case FDXI_K_F64_MAX_TTL:
        return x <= 255 ? FDXI_K_MAX_TTL : FDXI_K_SKIP;
    case FDXI_K_F64_FLAGS:
        return x <= 255 ? FDXI_K_FLAGS : FDXI_K_SKIP;
    default:
        return FDXI_K_SKIP;
    }
}

static void apply(struct raw *r, const struct fdxi_field *f, const uint8_t *p, uint16_t len)
{
    int d = f->reverse ? 1 : 0;
    uint64_t v = len <= 8 ? fdxi_be_n(p, len) : 0;
    uint16_t kind = f->kind;
    if (kind >= FDXI_K_F64_MIN_LEN && kind <= FDXI_K_F64_FLAGS)
        kind = own_value(kind, v, &v);
    switch (kind) {
    case FDXI_K_SRC4:
        memset(r->d.src, 0, 16);
        memcpy(r->d.src, p, 4);
        r->src = true;
        break;
    case FDXI_K_DST4:
        memset(r->d.dst, 0, 16);
        memcpy(r->d.dst, p, 4);
        r->dst = true;
        break;
    case FDXI_K_SRC6:
        memcpy(r->d.src, p, 16);
        r->v6src = true;
        break;
    case FDXI_K_DST6:
        memcpy(r->d.dst, p, 16);
        r->v6dst = true;
        break;
    case FDXI_K_SPORT:
        r->d.sport = (uint16_t)v;
        break;
    case FDXI_K_DPORT:
        r->d.dport = (uint16_t)v;
        break;
    case FDXI_K_PROTO:
        r->d.proto = (uint8_t)v;
        break;
    case FDXI_K_REASON:
        r->d.end_reason = fdxi_ipfix_fdx_end_reason(v);
        break;
    case FDXI_K_SYSINIT:
        r->sysinit = true;
        r->sysinit_ms = (int64_t)(v & INT64_MAX);
        break;
    case FDXI_K_BIDIR:
        r->d.have |= FDXI_DEC_BIDIR;
        r->d.biflow_dir = (uint8_t)v;
        break;
    case FDXI_K_PACKETS:
        r->d.packets[d] = v;
        r->pk[d] = true;
        break;
    case FDXI_K_BYTES:
        r->d.bytes[d] = v;
        r->by[d] = true;
        break;
    case FDXI_K_PACKETS_TOT:
        r->packets_tot[d] = v;
        r->pk_tot[d] = true;
        break;
    case FDXI_K_BYTES_TOT:
        r->bytes_tot[d] = v;
        r->by_tot[d] = true;
        break;
    case FDXI_K_FLAGS:
        r->d.flags[d] = (uint8_t)v; /* the low 8 bits of a 16-bit tcpControlBits */
        r->flags[d] = true;
        break;
    case FDXI_K_MIN_TTL:
        r->d.min_ttl[d] = (uint8_t)v;
        r->min_ttl[d] = true;
        break;
    case FDXI_K_MAX_TTL:
        r->d.max_ttl[d] = (uint8_t)v;
        r->max_ttl[d] = true;
        break;
    case FDXI_K_MIN_LEN:
        r->d.min_len[d] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        r->min_len[d] = true;
        break;
    case FDXI_K_MAX_LEN:
        r->d.max_len[d] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        r->max_len[d] = true;
        break;
    case FDXI_K_START_S:
    case FDXI_K_START_MS:
    case FDXI_K_START_NTP:
        r->start_us[d] = f->kind == FDXI_K_START_S    ? times_us(v, 1000000u)
                         : f->kind == FDXI_K_START_MS ? times_us(v, 1000u)
                                                      : fdxi_ipfix_unix_us(v);
        r->abs_start[d] = true;
        break;
    case FDXI_K_END_S:
    case FDXI_K_END_MS:
    case FDXI_K_END_NTP:
        r->end_us[d] = f->kind == FDXI_K_END_S    ? times_us(v, 1000000u)
                       : f->kind == FDXI_K_END_MS ? times_us(v, 1000u)
                                                  : fdxi_ipfix_unix_us(v);
        r->abs_end[d] = true;
        break;
    case FDXI_K_START_UP:
        r->up_start_ms[d] = (uint32_t)v;
        r->up_start[d] = true;
        break;
    case FDXI_K_END_UP:
        r->up_end_ms[d] = (uint32_t)v;
        r->up_end[d] = true;
        break;
    case FDXI_K_START_DELTA:
        r->delta_start_us[d] = (uint32_t)v;
        r->delta_start[d] = true;
        break;
    case FDXI_K_END_DELTA:
        r->delta_end_us[d] = (uint32_t)v;
        r->delta_end[d] = true;
        break;
    case FDXI_K_DUR_MS:
    case FDXI_K_DUR_US:
        r->dur_us[d] = f->kind == FDXI_K_DUR_MS ? times_us(v, 1000u) : v;
        r->dur[d] = true;
        break;
    default:
        break;
    }
}

/*
 * Direction @p d's start and end from whatever time elements the record had: absolute times
 * first, then SysUpTime (with the record's, the header's or the session's system start time;
 * without one, the end is taken as the export time), then times relative to the export, then a
 * duration for the missing end. False when the record has no time for it at all.
 */
static bool settle_times(struct raw *r, int d, const struct msg *m, uint64_t *start, uint64_t *end)
{
    int64_t export_ms = m->export_ms;
    uint64_t export_us = export_ms > 0 ? (uint64_t)export_ms * 1000u : 0;
    /* IPFIX: the session's, which an options record earlier in this message may have set */
    bool header = m->have_sysinit, session = m->version == 10 && m->s->have_sysinit;
    bool sysinit = r->sysinit || header || session;
    int64_t sysinit_ms = r->sysinit ? r->sysinit_ms : header ? m->sysinit_ms : m->s->sysinit_ms;
    bool have_s = true, have_e = true;
    if (r->abs_end[d]) {
        *end = r->end_us[d];
    } else if (r->up_end[d]) {
        *end = sysinit ? fdxi_uptime_us(sysinit_ms, r->up_end_ms[d], export_ms) : export_us;
    } else if (r->delta_end[d]) {
        *end = export_us > r->delta_end_us[d] ? export_us - r->delta_end_us[d] : 0;
    } else {
        have_e = false;
    }
    if (r->abs_start[d]) {
        *start = r->start_us[d];
    } else if (r->up_start[d] && r->up_end[d] && have_e) {
        /* the modular difference: right even when the two wrap apart */
        uint32_t span = r->up_end_ms[d] - r->up_start_ms[d];
        *start = *end > (uint64_t)span * 1000u ? *end - (uint64_t)span * 1000u : 0;
    } else if (r->up_start[d]) {
        *start = sysinit ? fdxi_uptime_us(sysinit_ms, r->up_start_ms[d], export_ms) : export_us;
    } else if (r->delta_start[d]) {
        *start = export_us > r->delta_start_us[d] ? export_us - r->delta_start_us[d] : 0;
    } else {
        have_s = false;
    }
    if (!have_s && !have_e)
        return false;
    if (!have_e)
        *end = add_us(*start, r->dur[d] ? r->dur_us[d] : 0);
    if (!have_s)
        *start = r->dur[d] && *end > r->dur_us[d] ? *end - r->dur_us[d] : *end;
    if (*start > LAST_US || *end > LAST_US) {
        r->far_time = true; /* the record is refused */
        return true;
    }
    if (*end < *start) {
        r->end_before_start = true; /* counted; the flow ends where it starts */
        *end = *start;
    }
    return true;
}

/* The record as a flow: false when it names no flow (no pair of addresses of one family). */
static bool settle(struct raw *r, const struct msg *m, struct fdxi_flowdec *out)
{
    struct fdxi_flowdec *d = &r->d;
    if (r->src && r->dst) {
        d->ip_version = 4;
        d->have |= FDXI_DEC_V4;
    } else if (r->v6src && r->v6dst) {
        d->ip_version = 6;
        d->have |= FDXI_DEC_V6;
    } else {
        return false;
    }
    for (int i = 0; i < 2; i++) {
        if (!r->pk[i] && r->pk_tot[i])
            d->packets[i] = r->packets_tot[i];
        if (!r->by[i] && r->by_tot[i])
            d->bytes[i] = r->bytes_tot[i];
    }
    if (r->pk[1] || r->by[1] || r->pk_tot[1] || r->by_tot[1])
        d->have |= FDXI_DEC_REV;
    d->have |= (r->flags[0] ? FDXI_DEC_FLAGS : 0) | (r->flags[1] ? FDXI_DEC_RFLAGS : 0);
    d->have |= (r->min_ttl[0] && r->max_ttl[0] ? FDXI_DEC_TTL : 0) |
               (r->min_ttl[1] && r->max_ttl[1] ? FDXI_DEC_RTTL : 0);
    d->have |= (r->min_len[0] && r->max_len[0] ? FDXI_DEC_LEN : 0) |
               (r->min_len[1] && r->max_len[1] ? FDXI_DEC_RLEN : 0);
    if (!settle_times(r, 0, m, &d->start_us[0], &d->end_us[0])) {
        d->have |= FDXI_DEC_NOTIME;
        d->start_us[0] = d->end_us[0] = m->export_ms > 0 ? (uint64_t)m->export_ms * 1000u : 0;
    }
    if (settle_times(r, 1, m, &d->start_us[1], &d->end_us[1]))
        d->have |= FDXI_DEC_RTIME;
    *out = *d;
    return true;
}

static void template_free(struct fdxi_template *t)
{
    free(t);
}

static struct fdxi_template **find_template(struct fdxi_session *s, uint16_t id)
{
    for (uint32_t i = 0; i < s->n_templates; i++) {
        if (s->templates[i]->id == id)
            return &s->templates[i];
    }
    return NULL;
}

static void remove_template(struct fdxi_session *s, uint16_t id)
{
    struct fdxi_template **t = find_template(s, id);
    if (t == NULL)
        return;
    template_free(*t);
    *t = s->templates[--s->n_templates];
}

/* Keeps @p t as template t->id of @p s, replacing an older one; a session full of templates
 * forgets its first. */
static void store_template(struct fdxi_session *s, struct fdxi_template *t)
{
    struct fdxi_template **old = find_template(s, t->id);
    if (old != NULL) {
        template_free(*old);
        *old = t;
        return;
    }
    if (s->n_templates == FDXI_MAX_TEMPLATES) {
        template_free(s->templates[0]);
        s->templates[0] = s->templates[--s->n_templates];
    }
    s->templates[s->n_templates++] = t;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0)
            return false;
    }
    return true;
}

/* One template or options template set (the bytes after its set header), learnt. */
static int template_set(const struct msg *m, uint16_t set_id, const uint8_t *p, size_t n, size_t at)
{
    struct fdxi_dec_out *out = m->out;
    struct fdxi_session *s = m->s;
    bool ipfix = m->version == 10;
    bool options = set_id == (ipfix ? IPFIX_SET_OPTIONS : V9_SET_OPTIONS);
    size_t off = 0;
    while (n - off >= 4) {
        const uint8_t *t = p + off;
        uint16_t id = fdxi_be16(t);
        uint32_t count = fdxi_be16(t + 2), scope = 0;
        if (id < FIRST_DATA_SET) {
            if (all_zero(t, n - off))
                return 0; /* padding */
            if (ipfix && id == set_id && count == 0) {
                /* RFC 7011 section 8.1: every template of this kind is withdrawn */
                for (uint32_t i = s->n_templates; i-- > 0;) {
                    if (s->templates[i]->options == options)
                        remove_template(s, s->templates[i]->id);
                }
                off += 4;
                continue;
            }
            fdxi_set_err(out->why, out->whylen, "set at offset %zu: template id %u is below 256",
                         at, id);
            return FDX_EFORMAT;
        }
        if (ipfix && count == 0) { /* one template withdrawn */
            remove_template(s, id);
            off += 4;
            continue;
        }
        size_t head = options ? 6 : 4;
        if (n - off < head) {
            fdxi_set_err(out->why, out->whylen,
                         "set at offset %zu: options template %u's header runs past the set's end",
                         at, id);
            return FDX_EFORMAT;
        }
        if (options && ipfix) {
            scope = fdxi_be16(t + 4);
        } else if (options) {
            /* v9: the scope and option lengths are in bytes, 4 per field */
            uint32_t scope_bytes = count, opt_bytes = fdxi_be16(t + 4);
            if (scope_bytes % 4 != 0 || opt_bytes % 4 != 0) {
                fdxi_set_err(out->why, out->whylen,
                             "set at offset %zu: options template %u: scope length %u or option "
                             "length %u is not a multiple of 4",
                             at, id, scope_bytes, opt_bytes);
                return FDX_EFORMAT;
            }
            scope = scope_bytes / 4;
            count = scope + opt_bytes / 4;
        }
        off += head;
        /* A template of more fields than flowdx keeps is read past; its records are not read. */
        struct fdxi_template *tp = NULL;
        if (count <= FDXI_MAX_FIELDS &&
            (tp = calloc(1, sizeof(*tp) + count * sizeof(struct fdxi_field))) == NULL)
            return FDX_ENOMEM;
        uint32_t min_len = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (n - off < 4) {
                fdxi_set_err(out->why, out->whylen,
                             "set at offset %zu: template %u: field %u of %u runs past the set's "
                             "end",
                             at, id, i + 1, count);
                free(tp);
                return FDX_EFORMAT;
            }
            uint16_t eid = fdxi_be16(p + off), len = fdxi_be16(p + off + 2);
            uint32_t pen = 0;
            off += 4;
            if (ipfix && (eid & 0x8000)) {
                if (n - off < 4) {
                    fdxi_set_err(out->why, out->whylen,
                                 "set at offset %zu: template %u: field %u's enterprise number "
                                 "runs past the set's end",
                                 at, id, i + 1);
                    free(tp);
                    return FDX_EFORMAT;
                }
                pen = fdxi_be32(p + off);
                eid &= 0x7fff;
                off += 4;
            }
            bool variable = ipfix && len == FDXI_IPFIX_VARLEN;
            min_len += variable ? 1u : len;
            if (tp != NULL) {
                bool rev = false;
                /* v9 scope fields are scope types (system, interface, ...), not elements */
                uint16_t kind = (i < scope && !ipfix) || variable
                                    ? (uint16_t)FDXI_K_SKIP
                                    : fdxi_element_kind(pen, eid, len, &rev);
                tp->fields[i] = (struct fdxi_field){kind, len, rev};
            }
        }
        if (min_len == 0) {
            fdxi_set_err(out->why, out->whylen,
                         "set at offset %zu: template %u describes records of 0 bytes", at, id);
            free(tp);
            return FDX_EFORMAT;
        }
        if (tp != NULL) {
            tp->id = id;
            tp->n_fields = (uint16_t)count;
            tp->options = options;
            tp->min_len = min_len;
            store_template(s, tp);
        } else {
            remove_template(s, id);
        }
    }
    if (n - off > 0 && !all_zero(p + off, n - off)) {
        fdxi_set_err(out->why, out->whylen,
                     "set at offset %zu: %zu bytes after the last template are not padding", at,
                     n - off);
        return FDX_EFORMAT;
    }
    return 0;
}

/* One data set of template @p t: every record checked, and in the decode pass given out. */
static int data_set(const struct msg *m, const struct fdxi_template *t, const uint8_t *p, size_t n,
                    size_t at)
{
    struct fdxi_dec_out *out = m->out;
    size_t off = 0;
    uint32_t k = 0;
    while (n - off >= t->min_len) {
        struct raw r;
        if (m->decode) {
            memset(&r, 0, sizeof(r));
            r.d.end_reason = FDX_END_IDLE;
        }
        k++;
        for (uint32_t i = 0; i < t->n_fields; i++) {
            const struct fdxi_field *f = &t->fields[i];
            size_t len = f->len;
            if (len == FDXI_IPFIX_VARLEN && m->version == 10) {
                if (n - off < 1)
                    goto past;
                len = p[off++];
                if (len == 255) {
                    if (n - off < 2)
                        goto past;
                    len = fdxi_be16(p + off);
                    off += 2;
                }
            }
            if (n - off < len)
                goto past;
            if (m->decode && f->kind != FDXI_K_SKIP)
                apply(&r, f, p + off, (uint16_t)len);
            off += len;
        }
        if (!m->decode)
            continue;
        out->data_records++;
        if (r.sysinit && t->options) {
            m->s->have_sysinit = true;
            m->s->sysinit_ms = r.sysinit_ms;
        }
        struct fdxi_flowdec d;
        if (t->options || !settle(&r, m, &d)) {
            out->not_flows++;
            out->odd_records += !t->options;
            continue;
        }
        if (r.far_time) {
            out->far_times++;
            continue;
        }
        out->end_before_start += r.end_before_start;
        out->records++;
        out->record(out->user, &d);
    }
    return 0;
past:
    fdxi_set_err(out->why, out->whylen,
                 "data set %u at offset %zu: record %u runs past the set's end", t->id, at, k);
    return FDX_EFORMAT;
}

static int sets(struct msg *m, const uint8_t *buf, size_t len, size_t first)
{
    struct fdxi_dec_out *out = m->out;
    bool ipfix = m->version == 10;
    size_t off = first;
    while (len - off >= 4) {
        uint16_t id = fdxi_be16(buf + off), slen = fdxi_be16(buf + off + 2);
        if (slen < 4 || slen > len - off) {
            fdxi_set_err(out->why, out->whylen,
                         "set at offset %zu: length %u is %s (%zu bytes are left)", off, slen,
                         slen < 4 ? "below the set header's 4" : "past the end", len - off);
            return FDX_EFORMAT;
        }
        const uint8_t *p = buf + off + 4;
        size_t n = slen - 4u;
        int rc = 0;
        bool tmpl = ipfix ? (id == IPFIX_SET_TEMPLATE || id == IPFIX_SET_OPTIONS)
                          : (id == V9_SET_TEMPLATE || id == V9_SET_OPTIONS);
        if (tmpl) {
            if (m->pass == LEARN)
                rc = template_set(m, id, p, n, off);
        } else if (id >= FIRST_DATA_SET && m->pass != LEARN) {
            struct fdxi_template **t = find_template(m->s, id);
            if (t != NULL) {
                rc = data_set(m, *t, p, n, off);
            } else if (m->decode) {
                out->no_template++;
                if (!m->s->told_no_template) {
                    m->s->told_no_template = true;
                    out->new_no_template = true;
                    out->missing_id = id;
                }
            }
        } /* set ids 4-255 (IPFIX) and 2-255 (v9) are reserved: skipped */
        if (rc < 0)
            return rc;
        off += slen;
    }
    if (len - off > 0 && (ipfix || !all_zero(buf + off, len - off))) {
        fdxi_set_err(out->why, out->whylen, "%zu bytes after the last set", len - off);
        return FDX_EFORMAT;
    }
    return 0;
}

int fdxi_tmpl_decode(struct fdxi_session *s, const uint8_t *buf, size_t len,
                     struct fdxi_dec_out *out)
{
    struct msg m = {.s = s, .out = out};
    m.version = len >= 2 ? fdxi_be16(buf) : 0;
    size_t first;
    if (m.version == 10) {
        if (len < IPFIX_HDR) {
            fdxi_set_err(out->why, out->whylen, "%zu bytes: shorter than the IPFIX header (16)",
                         len);
            return FDX_EFORMAT;
        }
        uint16_t mlen = fdxi_be16(buf + 2);
        if (mlen != len) {
            fdxi_set_err(out->why, out->whylen,
                         "the header's message length %u differs from the %zu bytes received", mlen,
                         len);
            return FDX_EFORMAT;
        }
        m.export_ms = (int64_t)fdxi_be32(buf + 4) * 1000;
        first = IPFIX_HDR;
    } else if (m.version == 9) {
        if (len < V9_HDR) {
            fdxi_set_err(out->why, out->whylen,
                         "%zu bytes: shorter than the NetFlow v9 header (20)", len);
            return FDX_EFORMAT;
        }
        int64_t uptime = (int64_t)fdxi_be32(buf + 4);
        m.export_ms = (int64_t)fdxi_be32(buf + 8) * 1000;
        m.have_sysinit = true;
        m.sysinit_ms = m.export_ms - uptime;
        first = V9_HDR;
    } else {
        fdxi_set_err(out->why, out->whylen, "version %u is neither NetFlow v9 nor IPFIX",
                     m.version);
        return FDX_EFORMAT;
    }
    int rc = 0;
    for (m.pass = LEARN; m.pass <= DECODE && rc == 0; m.pass++) {
        if (m.pass == DECODE && out->record == NULL)
            break;
        m.decode = m.pass == DECODE;
        rc = sets(&m, buf, len, first);
    }
    return rc;
}
