/* SPDX-License-Identifier: BSD-3-Clause */
/* One TCP packet's effect on its connection's tcptrace-style state (doc/features/tcptrace.md). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp.h"

/* TCP option kinds (IANA). */
enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WS = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
};

#define MAX_SACK_BLOCKS 4 /* 2 + 4 * 8 = 34 of at most 40 option bytes */

/* What one packet's options say; -1 for an option that is absent. */
struct opts {
    int32_t mss;
    int32_t ws;
    bool ts;
    bool sack_perm;
    int sack_count; /* -1 without a SACK option, else the complete blocks in it */
    uint32_t sack_left[MAX_SACK_BLOCKS];
    uint32_t sack_right[MAX_SACK_BLOCKS];
};

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * Parse the captured options as tcptrace does: EOL is stepped over like NOP, and an option with
 * length 0 or reaching past the capture ends the parse. Unlike tcptrace, a value is only read
 * where the option's length covers it.
 */
static struct opts parse_options(const struct fdxi_packet *p)
{
    struct opts o = {.mss = -1, .ws = -1, .sack_count = -1};
    size_t n = p->tcp_hdr_bytes > 20 ? (size_t)p->tcp_hdr_bytes - 20 : 0;
    size_t cap = p->tcp_options != NULL ? p->tcp_options_caplen : 0;
    const uint8_t *b = p->tcp_options;
    size_t i = 0;
    while (i < n) {
        if (i >= cap)
            break;
        uint8_t kind = b[i];
        if (kind == OPT_EOL || kind == OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= cap)
            break;
        size_t len = b[i + 1];
        if (len == 0 || i + len > cap)
            break;
        switch (kind) {
        case OPT_MSS:
            if (len >= 4)
                o.mss = (int32_t)((uint32_t)b[i + 2] << 8 | b[i + 3]);
            break;
        case OPT_WS:
            if (len >= 3)
                o.ws = b[i + 2];
            break;
        case OPT_TS:
            if (len >= 10)
                o.ts = true;
            break;
        case OPT_SACK_PERM:
            o.sack_perm = true;
            break;
        case OPT_SACK:
            o.sack_count = 0;
            for (size_t k = i + 2; k + 8 <= i + len && o.sack_count < MAX_SACK_BLOCKS; k += 8) {
                o.sack_left[o.sack_count] = get32(b + k);
                o.sack_right[o.sack_count] = get32(b + k + 4);
                o.sack_count++;
            }
            break;
        default:
            break;
        }
        i += len;
    }
    return o;
}

/*
 * D-SACK (RFC 2883) as tcptrace recognises it: the first block lies at or below the cumulative
 * ACK, or inside the second block, or overlaps it. Plain (not modulo 2^32) comparisons, as
 * tcptrace.
 */
static bool is_dsack(const struct opts *o, uint32_t ack)
{
    if (o->sack_right[0] <= ack)
        return true;
    if (o->sack_count < 2)
        return false;
    uint32_t l0 = o->sack_left[0], r0 = o->sack_right[0];
    uint32_t l1 = o->sack_left[1], r1 = o->sack_right[1];
    if (r0 <= r1 && l0 >= l1)
        return true;
    return (l0 <= l1 && r0 > l1) || (r0 >= r1 && l0 < r1);
}

/* Quarter of the sequence space of a 33-bit sequence end (4: past 2^32, in none). */
static unsigned quad64(uint64_t s)
{
    return (unsigned)(s >> 30);
}

/*
 * Count wraps of the sequence space past the ISN: once all four quarters have been visited and a
 * segment ends in the ISN's quarter at or above the ISN, the space has wrapped.
 */
static void track_wrap(struct fdxi_tcp_dir *t, uint64_t start, uint64_t end)
{
    if (t->quads == 0xf && quad64(t->syn) == quad64(end) && end >= t->syn) {
        t->wraps++;
        t->quads = 0;
    }
    if (quad64(start) < 4)
        t->quads |= (uint8_t)(1u << quad64(start));
    if (quad64(end) < 4)
        t->quads |= (uint8_t)(1u << quad64(end));
}

/* The advertised window in bytes: shifted once both SYNs asked for scaling, never in a SYN. */
static uint64_t effective_window(const struct fdxi_tcp_dir *t, const struct fdxi_tcp_dir *o,
                                 const struct fdxi_packet *p)
{
    bool syn = p->tcp_flags & FDXI_TCP_SYN;
    if (!(p->tcp_flags & (FDXI_TCP_ACK | FDXI_TCP_SYN)))
        return 0;
    uint64_t w = p->tcp_window;
    /* RFC 7323 2.3: a shift above 14 is taken as 14 (tcptrace shifts by any value). */
    if (t->f_ws && o->f_ws && !syn)
        w <<= t->ws > 14 ? 14 : t->ws;
    return w;
}

/* Options: what each side asked for, and scaling dropped unless both SYNs asked for it. */
static void note_options(struct fdxi_tcp_dir *t, struct fdxi_tcp_dir *o, const struct opts *op,
                         bool syn)
{
    if (op->mss != -1)
        t->mss = (uint32_t)op->mss;
    if (op->ws != -1) {
        t->ws = (uint8_t)op->ws;
        t->f_ws = 1;
    }
    if (op->ts)
        t->f_ts = 1;
    if (!syn && (!t->f_ws || !o->f_ws))
        t->ws = o->ws = 0;
    if (op->sack_perm)
        t->f_sack = 1;
    if (op->sack_count > 0)
        t->sacks_sent++;
}

static void note_data(struct fdxi_tcp_dir *t, const struct fdxi_packet *p)
{
    uint32_t len = p->payload_bytes;
    if (len == 0)
        return;
    t->data_pkts++;
    t->data_bytes += len;
    if (p->tcp_flags & FDXI_TCP_PSH)
        t->push_pkts++;
    if (p->tcp_flags & FDXI_TCP_URG) {
        t->urg_pkts++;
        t->urg_bytes += p->tcp_urgent;
    }
    if (len > t->max_seg)
        t->max_seg = len;
    if (t->min_seg == 0 || len < t->min_seg)
        t->min_seg = len;
    if (t->data_pkts == 1)
        t->first_data_us = p->ts_us;
    t->last_data_us = p->ts_us;
    uint32_t present = p->payload_caplen < len ? p->payload_caplen : len;
    if (present < len) {
        t->trunc_bytes += len - present;
        t->trunc_pkts++;
    }
}

/*
 * Sequence space of a SYN, FIN or data segment: zero-window probe, or new, retransmitted or
 * out-of-order range. Returns the retransmitted amount; *@p ooo tells out of order.
 */
static uint64_t note_sequence(struct fdxi_tcp_dir *t, const struct fdxi_tcp_dir *o,
                              const struct fdxi_packet *p, bool *ooo)
{
    bool syn = p->tcp_flags & FDXI_TCP_SYN, fin = p->tcp_flags & FDXI_TCP_FIN;
    uint32_t data = p->payload_bytes;
    *ooo = false;
    if (!syn && !fin && data == 0)
        return 0;
    int64_t len = (int64_t)data + syn + fin;
    if (o->win_last == 0 && o->packets > 0 && !syn) {
        /* The peer's window is closed: a probe, kept out of the retransmission analysis. */
        t->zwnd_probes++;
        t->zwnd_probe_bytes += data;
        return 0;
    }
    uint64_t rbytes = fdxi_tcp_seg_send(t, p->tcp_seq, (uint32_t)len, p->ts_us, ooo);
    if (*ooo)
        t->ooo_pkts++;
    /* Unique bytes leave out the SYN and FIN, and their repetitions. */
    int64_t rcnt = (int64_t)rbytes;
    if (syn) {
        len--;
        if (t->syn_count > 1)
            rcnt--;
    }
    if (fin) {
        len--;
        if (t->fin_count > 1)
            rcnt--;
    }
    if (rcnt < len)
        t->unique_bytes += (uint64_t)(len - rcnt);
    return rbytes;
}

/* Window statistics of an ACK or SYN packet, restarted when scaling takes effect. */
static void note_window(struct fdxi_tcp_dir *t, const struct fdxi_tcp_dir *o, uint64_t eff_win,
                        bool syn)
{
    if (eff_win > t->win_max)
        t->win_max = eff_win;
    if (eff_win > 0 && t->f_ws && o->f_ws && !syn && !t->win_scaled) {
        t->win_scaled = 1;
        t->win_min = t->win_max = eff_win;
        t->win_tot = 0;
        t->win_scaled_pkts = 1;
    } else if (eff_win > 0 && (t->win_min == 0 || eff_win < t->win_min)) {
        t->win_min = eff_win;
    }
    t->win_tot += eff_win;
}

static void note_ack(struct fdxi_tcp_dir *t, const struct fdxi_packet *p, const struct opts *op,
                     uint64_t eff_win)
{
    uint8_t fl = p->tcp_flags;
    if (eff_win == 0)
        t->win_zero++;
    t->ack_pkts++;
    if (p->payload_bytes == 0 && !(fl & (FDXI_TCP_SYN | FDXI_TCP_FIN | FDXI_TCP_RST)))
        t->pureack_pkts++;
    if (op->sack_count > 0) {
        t->sack_pkts++;
        if ((uint32_t)op->sack_count > t->max_sack_blocks)
            t->max_sack_blocks = (uint32_t)op->sack_count;
        if (is_dsack(op, p->tcp_ack))
            t->dsack_pkts++;
    }
    t->ack = p->tcp_ack;
}

void fdxi_tcp_packet(struct fdxi_tcp_conn *c, const struct fdxi_packet *p, int dir)
{
    struct fdxi_tcp_dir *t = &c->d[dir ? 1 : 0];
    struct fdxi_tcp_dir *o = &c->d[dir ? 0 : 1];
    uint8_t fl = p->tcp_flags;
    bool syn = fl & FDXI_TCP_SYN, fin = fl & FDXI_TCP_FIN;
    bool rst = fl & FDXI_TCP_RST, ack = fl & FDXI_TCP_ACK;
    uint64_t now = p->ts_us;
    uint32_t data = p->payload_bytes;

    if (syn)
        t->syn_count++;
    if (fin)
        t->fin_count++;
    if (rst)
        t->rst_count++;
    uint64_t eff_win = effective_window(t, o, p);
    if (t->packets > 0 && now > t->last_us && now - t->last_us > t->idle_max_us)
        t->idle_max_us = now - t->last_us;
    t->last_us = now;

    uint64_t start = p->tcp_seq, end = start + data;
    track_wrap(t, start, end);
    if (syn) {
        t->syn = p->tcp_seq;
        o->ack = p->tcp_seq;
    }
    if (fin)
        t->fin = (uint32_t)end;

    struct opts op = parse_options(p);
    note_options(t, o, &op, syn);
    note_data(t, p);
    t->packets++;
    if (t->win_scaled)
        t->win_scaled_pkts++;
    t->latest_seq = (uint32_t)end;

    bool ooo;
    uint64_t rbytes = note_sequence(t, o, p, &ooo);
    if (ack) {
        fdxi_tcp_seg_ack(o, t, p->tcp_ack, data, eff_win, now);
        if (p->tcp_ack == o->syn + 1 && o->syn_count == 1)
            o->rtt_3whs_us = o->rtt_last_us;
    }
    if (rbytes > 0) {
        t->rexmit_pkts++;
        t->rexmit_bytes += rbytes;
    }
    if (rst) {
        /* tcptrace stops here for a reset: no window, pure-ACK or SACK statistics. */
        if (ack)
            t->ack_pkts++;
        return;
    }

    t->win_last = eff_win;
    if (ack || syn)
        note_window(t, o, eff_win, syn);
    if (ack)
        note_ack(t, p, &op, eff_win);

    /* Initial window: data sent before the peer first ACKed anything beyond the SYN. */
    if (!o->data_acked && ack && o->syn + 1 != p->tcp_ack)
        o->data_acked = 1;
    if (data > 0 && !t->data_acked && rbytes == 0) {
        t->iw_bytes += data;
        t->iw_pkts++;
    }

    /*
     * The outstanding window (sent but not ACKed) matters only as "some data was outstanding",
     * a condition of the duplicate-ACK rule; it is sampled on in-order first transmissions.
     */
    if (!syn && !ooo && rbytes == 0) {
        uint64_t owin = o->ack == 0 ? end - start : end - (uint32_t)(o->ack - 1);
        if (owin != 0)
            t->owin_seen = 1;
    }
}
