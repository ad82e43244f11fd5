/* SPDX-License-Identifier: BSD-3-Clause */
/* The bounded table of sequence ranges one side has sent: retransmissions, RTT samples, dupacks. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "tcp/tcp.h"

/*
 * tcptrace files each range under the quarter of the 32-bit sequence space ("quadrant") it lies
 * in, splits a range that crosses a quarter boundary, compares sequence numbers plainly (not
 * modulo 2^32) within a quarter, and forgets the quarter opposite the one it last looked a number
 * up in. This table does the same in one array: ranges never cross a quarter boundary, and they
 * are sorted by their distance from the start of the quarter before the current one, which orders
 * the (at most three) quarters that survive consistently.
 */

static unsigned quad(uint32_t s)
{
    return s >> 30;
}

static uint32_t quad_first(unsigned q)
{
    return (uint32_t)(q & 3u) << 30;
}

/*
 * Make @p q the current quarter: forget the ranges in the opposite one. The table is scanned even
 * when @p q is the quarter of the previous lookup: a segment longer than 2^30 bytes (which only a
 * host's packet view can claim, through fdx_featureset_packet()) files a range in the quarter
 * opposite its first byte's, so that quarter is not necessarily empty.
 */
static void enter_quad(struct fdxi_tcp_dir *d, unsigned q)
{
    unsigned opp = (q + 2) & 3u;
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->nsegs; i++) {
        if (quad(d->segs[i].first) != opp)
            d->segs[n++] = d->segs[i];
    }
    d->nsegs = n;
}

/* Index range [*lo, *hi) of the ranges in quarter @p q. */
static void quad_span(const struct fdxi_tcp_dir *d, unsigned q, uint32_t *lo, uint32_t *hi)
{
    uint32_t i = 0;
    while (i < d->nsegs && quad(d->segs[i].first) != q)
        i++;
    *lo = i;
    while (i < d->nsegs && quad(d->segs[i].first) == q)
        i++;
    *hi = i;
}

static void remove_at(struct fdxi_tcp_dir *d, uint32_t i)
{
    memmove(&d->segs[i], &d->segs[i + 1], (d->nsegs - i - 1) * sizeof d->segs[0]);
    d->nsegs--;
}

/* Fuse range @p i with range @p i + 1, the way tcptrace joins two ACKed neighbours. */
static void fuse_at(struct fdxi_tcp_dir *d, uint32_t i)
{
    struct fdxi_tcp_seg *a = &d->segs[i];
    const struct fdxi_tcp_seg *b = &d->segs[i + 1];
    uint32_t parts = (uint32_t)a->nparts + b->nparts;
    a->last = b->last;
    a->acked = b->acked;
    a->nparts = (uint16_t)(parts > UINT16_MAX ? UINT16_MAX : parts);
    if (b->ts_us > a->ts_us)
        a->ts_us = b->ts_us;
    remove_at(d, i + 1);
}

static uint64_t range_bytes(const struct fdxi_tcp_seg *s)
{
    return (uint64_t)(s->last - s->first) + 1;
}

/* Size of each of the equal parts of an un-ACKed range (0 if it does not split evenly). */
static uint64_t part_bytes(const struct fdxi_tcp_seg *s)
{
    uint64_t n = range_bytes(s), parts = s->nparts > 0 ? s->nparts : 1;
    return n % parts == 0 ? n / parts : 0;
}

/*
 * Whether un-ACKed neighbours @p a and @p b can become one range that still answers as tcptrace's
 * separate segments would, for the ACKs that normally come: contiguous (no gap that data could
 * later fill), in one quarter, never retransmitted, sent in sequence order (so the later one's time
 * is the time of the whole), and of equal-sized parts (so the last part's size is known).
 */
static bool parts_fusable(const struct fdxi_tcp_seg *a, const struct fdxi_tcp_seg *b)
{
    uint64_t pa = part_bytes(a);
    return !a->acked && !b->acked && a->retrans == 0 && b->retrans == 0 &&
           a->last + 1 == b->first && quad(a->first) == quad(b->first) && a->ts_us <= b->ts_us &&
           pa != 0 && pa == part_bytes(b) && (uint32_t)a->nparts + b->nparts <= UINT16_MAX;
}

/*
 * Which neighbours (k, k + 1) to fuse when the table is full, never k + 1 == @p keep (the range
 * the caller is about to insert before must keep its lower neighbour apart). In order of harm:
 * - two ACKed ranges (separated by a gap: ACKed neighbours that touch are joined already). Only
 *   data arriving in the gap after the ACK that covered it is misjudged (retransmission instead
 *   of new); the lowest, oldest pair;
 * - two un-ACKed ranges that parts_fusable() allows. A hole in the data the capture saw (a loss
 *   before the monitor) keeps the ACK below everything sent after it, often more than the table
 *   holds; those ranges are fused, and the hole stays a gap, so data filling it later is still
 *   new and out of order, as in tcptrace. An ACK that later ends inside such a range is the only
 *   case misjudged (one cumulative ACK for the parts below it); the pair with the fewest parts,
 *   the highest of those, keeps the fused ranges small and away from the ACK;
 * - otherwise the lowest pair in one quarter.
 * Returns FDXI_TCP_SEGS if no pair qualifies.
 */
static uint32_t pick_pair(const struct fdxi_tcp_dir *d, uint32_t keep)
{
    uint32_t best = FDXI_TCP_SEGS, best_parts = UINT32_MAX, any = FDXI_TCP_SEGS;
    for (uint32_t k = 0; k + 1 < d->nsegs; k++) {
        const struct fdxi_tcp_seg *a = &d->segs[k], *b = &d->segs[k + 1];
        if (k + 1 == keep || quad(a->first) != quad(b->first))
            continue;
        if (a->acked && b->acked)
            return k;
        if (any == FDXI_TCP_SEGS)
            any = k;
        uint32_t parts = (uint32_t)a->nparts + b->nparts;
        if (parts <= best_parts && parts_fusable(a, b)) {
            best = k;
            best_parts = parts;
        }
    }
    return best != FDXI_TCP_SEGS ? best : any;
}

/*
 * Free one entry of a full table without disturbing entry *@p i, which the caller is working on,
 * or the gap below it: two neighbours are fused (pick_pair()). Indices above the removed entry
 * (*@p i, *@p hi) are moved down with the entries.
 */
static void make_room(struct fdxi_tcp_dir *d, uint32_t *i, uint32_t *hi)
{
    if (d->nsegs < FDXI_TCP_SEGS)
        return;
    d->seg_fused++;
    uint32_t gone = pick_pair(d, *i);
    if (gone < FDXI_TCP_SEGS) {
        fuse_at(d, gone);
        gone++;
    } else {
        /* Unreachable with three quarters at most, but never overflow: forget an outer range. */
        gone = *i > 0 ? 0 : d->nsegs - 1;
        remove_at(d, gone);
    }
    if (gone < *i)
        (*i)--;
    if (gone < *hi)
        (*hi)--;
}

static void insert_at(struct fdxi_tcp_dir *d, uint32_t i, uint32_t first, uint32_t last,
                      uint64_t now_us)
{
    memmove(&d->segs[i + 1], &d->segs[i], (d->nsegs - i) * sizeof d->segs[0]);
    d->segs[i] = (struct fdxi_tcp_seg){.first = first, .last = last, .ts_us = now_us, .nparts = 1};
    d->nsegs++;
}

/*
 * tcptrace's minimum, kept beside the running statistics because it is not quite a minimum: 0
 * means "none yet", so a sample of 0 us stays the minimum only until the next sample. Only
 * captures whose timestamps are coarser than the times measured have such samples.
 */
static void tt_min(uint64_t *min, uint64_t x)
{
    if (*min == 0 || x < *min)
        *min = x;
}

static uint64_t elapsed_us(uint64_t from_us, uint64_t to_us)
{
    return to_us > from_us ? to_us - from_us : 0;
}

/* A range is sent again: time since its previous transmission, unless already ACKed. */
static void retrans_time(struct fdxi_tcp_dir *d, struct fdxi_tcp_seg *s, uint64_t now_us)
{
    if (!s->acked) {
        if (s->retrans > d->retr_max)
            d->retr_max = s->retrans;
        uint64_t t = elapsed_us(s->ts_us, now_us);
        fdxi_stat_add(&d->retr, t);
        tt_min(&d->retr_min_us, t);
    }
    s->ts_us = now_us;
}

/*
 * Record [first, first + len) in quarter @p q (it does not cross a quarter boundary); return how
 * much of it had been seen before. Where it starts before a known range and ends before that
 * range's end, it is out of order.
 */
static uint64_t add_range(struct fdxi_tcp_dir *d, unsigned q, uint32_t first, uint32_t len,
                          uint64_t now_us, bool *ooo)
{
    uint32_t last = first + len - 1;
    uint32_t lo, hi;
    uint64_t rexlen = 0;
    bool split = false;
    quad_span(d, q, &lo, &hi);
    uint32_t i = lo;
    if (hi > lo && first > d->segs[hi - 1].last)
        i = hi; /* the usual case: new data after everything known */
    for (; i < hi; i++) {
        struct fdxi_tcp_seg *s = &d->segs[i];
        if (first > s->last)
            continue;
        if (first < s->first) {
            if (last < s->last)
                *ooo = true;
            make_room(d, &i, &hi);
            s = &d->segs[i];
            if (last < s->first) {
                insert_at(d, i, first, last, now_us);
                return rexlen;
            }
            insert_at(d, i, first, s->first - 1, now_us);
            i++;
            hi++;
            s = &d->segs[i];
            first = s->first;
        }
        s->retrans++;
        if (!split)
            retrans_time(d, s, now_us);
        if (last <= s->last)
            return rexlen + (uint64_t)(last - first) + 1;
        split = true;
        rexlen += (uint64_t)(s->last - first) + 1;
        first = s->last + 1;
    }
    make_room(d, &i, &hi);
    insert_at(d, hi, first, last, now_us);
    return rexlen;
}

uint64_t fdxi_tcp_seg_send(struct fdxi_tcp_dir *d, uint32_t seq, uint32_t len, uint64_t now_us,
                           bool *ooo)
{
    *ooo = false;
    unsigned q = quad(seq);
    uint32_t last = seq + len - 1;
    enter_quad(d, q);
    if (quad(last) == q)
        return add_range(d, q, seq, len, now_us, ooo);
    /* Crosses into the next quarter: two ranges, as tcptrace keeps it. */
    uint32_t len1 = (uint32_t)(((uint64_t)q + 1) * (UINT64_C(1) << 30) - seq);
    uint64_t r = add_range(d, q, seq, len1, now_us, ooo);
    return r + add_range(d, quad(last), quad_first(quad(last)), len - len1, now_us, ooo);
}

/* Join ACKed neighbours of quarter @p q, from its lowest range up to the first un-ACKed one. */
static void collapse(struct fdxi_tcp_dir *d, unsigned q)
{
    uint32_t lo, hi;
    quad_span(d, q, &lo, &hi);
    uint32_t i = lo;
    while (i + 1 < hi) {
        struct fdxi_tcp_seg *s = &d->segs[i];
        if (!s->acked)
            break;
        if (d->segs[i + 1].acked && s->last + 1 == d->segs[i + 1].first) {
            fuse_at(d, i);
            hi--;
        } else {
            i++;
        }
    }
}

/* An ACK for exactly range @p s: an RTT sample, unless Karn's rule or a later loss forbids it. */
static void rtt_ack(struct fdxi_tcp_dir *d, const struct fdxi_tcp_seg *s, bool after_loss,
                    uint64_t now_us)
{
    uint64_t rtt = elapsed_us(s->ts_us, now_us);
    if (after_loss) {
        d->rtt_last_us = 0;
        d->rtt_nosample++;
        return;
    }
    if (s->retrans > 0) {
        d->rtt_amback++;
        d->rtt_last_us = 0;
        return;
    }
    d->rtt_last_us = rtt;
    fdxi_stat_add(&d->rtt, rtt);
    tt_min(&d->rtt_min_us, rtt);
    /*
     * tcptrace's size of a segment (the last part of a fused range): its length, except that a
     * one-byte segment (a lone SYN or FIN, or one byte of data) is taken as 2^32 bytes, so that
     * it outranks every real segment.
     */
    uint64_t part = part_bytes(s);
    uint32_t first = part != 0 ? s->last - (uint32_t)(part - 1) : s->first;
    uint64_t size =
        s->last > first ? (uint64_t)(s->last - first) + 1 : (UINT64_C(1) << 32) - first + s->last;
    if (d->rtt_full_size == 0 || d->rtt_full_size < size) {
        d->rtt_full_size = size;
        memset(&d->rtt_full, 0, sizeof d->rtt_full);
        fdxi_stat_add(&d->rtt_full, rtt);
        d->rtt_full_min_us = rtt;
    } else if (d->rtt_full_size == size) {
        fdxi_stat_add(&d->rtt_full, rtt);
        tt_min(&d->rtt_full_min_us, rtt);
    }
}

void fdxi_tcp_seg_ack(struct fdxi_tcp_dir *d, const struct fdxi_tcp_dir *acker, uint32_t ack,
                      uint32_t data_len, uint64_t eff_win, uint64_t now_us)
{
    unsigned q = quad(ack);
    unsigned qprev = (q + 3) & 3u;
    uint64_t last_xmit = 0;
    bool changed = false;
    enter_quad(d, q);

    /* Everything in the quarter below the ACK's is covered, cumulatively. */
    for (uint32_t i = 0; i < d->nsegs; i++) {
        struct fdxi_tcp_seg *s = &d->segs[i];
        if (quad(s->first) != qprev || s->acked)
            continue;
        s->acked = 1;
        changed = true;
        d->rtt_cumack += s->nparts;
        if (s->ts_us > last_xmit)
            last_xmit = s->ts_us;
    }
    if (changed)
        collapse(d, qprev);

    changed = false;
    uint32_t lo, hi;
    quad_span(d, q, &lo, &hi);
    for (uint32_t i = lo; i < hi; i++) {
        struct fdxi_tcp_seg *s = &d->segs[i];
        if (ack <= s->first)
            break;
        if (s->ts_us > last_xmit)
            last_xmit = s->ts_us;
        if (s->acked) {
            /*
             * A duplicate ACK as BSD counts it: the same ACK number as the acker's previous one,
             * exactly at this range's end, no data, an unchanged window, data outstanding.
             */
            if (ack == s->last + 1 && ack == acker->ack && data_len == 0 &&
                eff_win == acker->win_last && d->owin_seen) {
                d->rtt_dupack++;
                if (s->acked < UINT16_MAX && ++s->acked == 4)
                    d->rtt_triple++;
            } else {
                s->acked = 1;
            }
            continue;
        }
        s->acked = 1;
        changed = true;
        /*
         * A fused range stands for nparts of tcptrace's segments: all but the last are ACKed
         * cumulatively, the last by this ACK if it ends there.
         */
        if (ack == s->last + 1) {
            d->rtt_cumack += s->nparts - 1u;
            rtt_ack(d, s, last_xmit > s->ts_us, now_us);
        } else {
            d->rtt_cumack += s->nparts;
        }
    }
    if (changed)
        collapse(d, q);
}
