/* SPDX-License-Identifier: BSD-3-Clause */
/* The Moore discriminators 31-152 of a connection's tcptrace-style state
 * (doc/features/tcptrace.md). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp.h"

#define MS_PER_US 1e-3
#define S_PER_US 1e-6

/* tcptrace's standard deviation: the sample one (n - 1), reported as 0 below three samples. */
static double stdev(const struct fdxi_stat *s)
{
    if (s->n <= 2)
        return 0.0;
    double n = (double)s->n;
    double v = fdxi_stat_variance(s) * n / (n - 1.0);
    return v > 0.0 ? sqrt(v) : 0.0;
}

static double ratio(uint64_t num, uint64_t den)
{
    return den == 0 ? 0.0 : (double)num / (double)den;
}

/*
 * Theoretical stream length from the ISN to the FIN (to the last segment's end after a reset),
 * with the wraps counted: 0 ("NA" in tcptrace) without both a SYN and a FIN.
 */
static uint64_t stream_length(const struct fdxi_tcp_dir *t)
{
    if (t->syn_count == 0 || t->fin_count == 0)
        return 0;
    uint64_t last = t->rst_count > 0 ? t->latest_seq : t->fin;
    uint64_t wraps = t->wraps;
    if (last <= t->syn)
        wraps++;
    return last + (wraps << 32) - t->syn - 1;
}

/*
 * Longest silence of one side. Like tcptrace, a connection not closed (fewer than two FINs, no
 * RST) is also silent from the side's last packet to the end: tcptrace's end is the end of the
 * capture, flowdx's the connection's last packet, @p last_ts_us.
 */
static uint64_t idle_max(const struct fdxi_tcp_conn *c, const struct fdxi_tcp_dir *t,
                         uint64_t last_ts_us)
{
    bool closed = c->d[0].fin_count + c->d[1].fin_count >= 2 || c->d[0].rst_count > 0 ||
                  c->d[1].rst_count > 0;
    if (t->packets == 0 || closed || last_ts_us <= t->last_us)
        return t->idle_max_us;
    uint64_t tail = last_ts_us - t->last_us;
    return tail > t->idle_max_us ? tail : t->idle_max_us;
}

/* The values of direction @p dir: a_b values at even indices, b_a at odd (61-68 excepted). */
static void dir_values(const struct fdxi_tcp_conn *c, int dir, uint64_t last_ts_us, double dur_s,
                       double *out)
{
    const struct fdxi_tcp_dir *t = &c->d[dir];
    const struct fdxi_tcp_dir *o = &c->d[!dir];
    int x = dir;

    out[0 + x] = (double)t->packets;
    out[2 + x] = (double)t->ack_pkts;
    out[4 + x] = (double)t->pureack_pkts;
    out[6 + x] = (double)t->sack_pkts;
    out[8 + x] = (double)t->dsack_pkts;
    out[10 + x] = (double)t->max_sack_blocks;
    out[12 + x] = (double)t->unique_bytes;
    out[14 + x] = (double)t->data_pkts;
    out[16 + x] = (double)t->data_bytes;
    out[18 + x] = (double)t->rexmit_pkts;
    out[20 + x] = (double)t->rexmit_bytes;
    out[22 + x] = (double)t->zwnd_probes;
    out[24 + x] = (double)t->zwnd_probe_bytes;
    out[26 + x] = (double)t->ooo_pkts;
    out[28 + x] = (double)t->push_pkts;
    /* 61-68 in the spec's [R] order: SYN, FIN of a_b, then of b_a; likewise ws, ts. */
    out[30 + 2 * x] = (double)t->syn_count;
    out[31 + 2 * x] = (double)t->fin_count;
    out[34 + 2 * x] = t->f_ws ? 1.0 : 0.0;
    out[35 + 2 * x] = t->f_ts ? 1.0 : 0.0;
    out[38 + x] = (double)t->ws;
    out[40 + x] = t->f_sack ? 1.0 : 0.0;
    out[42 + x] = (double)t->sacks_sent;
    out[44 + x] = (double)t->urg_pkts;
    out[46 + x] = (double)t->urg_bytes;
    out[48 + x] = (double)t->mss;
    out[50 + x] = (double)t->max_seg;
    out[52 + x] = (double)t->min_seg;
    out[54 + x] = ratio(t->data_bytes, t->data_pkts);
    out[56 + x] = (double)t->win_max;
    out[58 + x] = (double)t->win_min;
    out[60 + x] = (double)t->win_zero;
    /* Over the packets since scaling took effect when both sides scale, else over all packets. */
    out[62 + x] = t->win_scaled && o->win_scaled ? ratio(t->win_tot, t->win_scaled_pkts)
                                                 : ratio(t->win_tot, t->packets);
    out[64 + x] = (double)t->iw_bytes;
    out[66 + x] = (double)t->iw_pkts;
    uint64_t stream = stream_length(t);
    out[68 + x] = (double)stream;
    /* Signed: a reset can end the stream below what was seen (tcptrace prints 2^64 - n). */
    bool known = t->syn_count > 0 && t->fin_count > 0;
    out[70 + x] = known ? (double)stream - (double)t->unique_bytes : 0.0;
    out[72 + x] = (double)t->trunc_bytes;
    out[74 + x] = (double)t->trunc_pkts;
    /*
     * Signed, as tcptrace's elapsed(): the last payload packet is the latest in capture order, not
     * the one with the largest time, so a capture whose timestamps go back gives a negative time.
     * Exact: microsecond times are below 2^53.
     */
    out[76 + x] = ((double)t->last_data_us - (double)t->first_data_us) * S_PER_US;
    out[78 + x] = (double)idle_max(c, t, last_ts_us) * MS_PER_US;
    out[80 + x] = dur_s > 0.0 ? (double)t->unique_bytes / dur_s : 0.0;
    out[82 + x] = (double)t->rtt.n;
    out[84 + x] = (double)t->rtt_min_us * MS_PER_US;
    out[86 + x] = fdxi_stat_max(&t->rtt) * MS_PER_US;
    out[88 + x] = fdxi_stat_mean(&t->rtt) * MS_PER_US;
    out[90 + x] = stdev(&t->rtt) * MS_PER_US;
    out[92 + x] = (double)t->rtt_3whs_us * MS_PER_US;
    out[94 + x] = (double)t->rtt_full.n;
    out[96 + x] = (double)t->rtt_full_min_us * MS_PER_US;
    out[98 + x] = fdxi_stat_max(&t->rtt_full) * MS_PER_US;
    out[100 + x] = fdxi_stat_mean(&t->rtt_full) * MS_PER_US;
    out[102 + x] = stdev(&t->rtt_full) * MS_PER_US;
    out[104 + x] = (double)t->rtt_nosample;
    out[106 + x] = (double)t->rtt_cumack;
    out[108 + x] = (double)t->rtt_dupack;
    out[110 + x] = (double)t->rtt_triple;
    out[112 + x] = (double)t->retr_max;
    out[114 + x] = (double)t->retr_min_us * MS_PER_US;
    out[116 + x] = fdxi_stat_max(&t->retr) * MS_PER_US;
    out[118 + x] = fdxi_stat_mean(&t->retr) * MS_PER_US;
    out[120 + x] = stdev(&t->retr) * MS_PER_US;
}

void fdxi_tcp_moore_values(const struct fdxi_tcp_conn *c, uint64_t first_ts_us, uint64_t last_ts_us,
                           double out[FDXI_TCP_MOORE_N])
{
    double dur_s = last_ts_us > first_ts_us ? (double)(last_ts_us - first_ts_us) * S_PER_US : 0.0;
    dir_values(c, 0, last_ts_us, dur_s, out);
    dir_values(c, 1, last_ts_us, dur_s, out);
}
