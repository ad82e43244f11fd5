/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the per-connection TCP sequence and acknowledgement tracker (tcptrace's).
 */
#ifndef FDX_LIB_TCP_H
#define FDX_LIB_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "packet/packet.h"
#include "stats/stats.h"

/*
 * What this module keeps is what `tcptrace -l -r` reports per connection and direction, computed
 * the way tcptrace computes it (doc/features/tcptrace.md gives each quantity, its tcptrace name and
 * where flowdx deliberately differs), with one change: tcptrace remembers every segment it has
 * seen, flowdx at most FDXI_TCP_SEGS ranges per direction. Past that the two lowest ranges are
 * fused (see the doc for which numbers become approximate), so the state has a fixed size.
 */

/* Sequence ranges remembered per direction (tcptrace's segment list, bounded). */
#define FDXI_TCP_SEGS 64

/*
 * One remembered range of sequence space [first, last] (SYN and FIN count one each). A range stands
 * for nparts of tcptrace's segments: 1, unless the table was full and fused neighbours into it.
 */
struct fdxi_tcp_seg {
    uint32_t first;   /**< first sequence number of the range */
    uint32_t last;    /**< last sequence number of the range (inclusive) */
    uint64_t ts_us;   /**< time of its latest (re)transmission, microseconds */
    uint32_t retrans; /**< times any part of it was sent again */
    uint16_t acked;   /**< 0 until acknowledged, then 1 + duplicate ACKs of its end (saturates) */
    uint16_t nparts;  /**< tcptrace segments it stands for (saturates); equal-sized if not ACKed */
};

/* Everything tcptrace keeps for one direction (the sender of that direction's packets). */
struct fdxi_tcp_dir {
    /* packet and byte counters */
    uint64_t packets;          /**< all packets sent */
    uint64_t ack_pkts;         /**< packets with ACK set */
    uint64_t pureack_pkts;     /**< ACK, no payload, no SYN/FIN/RST */
    uint64_t data_pkts;        /**< packets with payload */
    uint64_t data_bytes;       /**< payload bytes, retransmissions included */
    uint64_t push_pkts;        /**< payload packets with PSH */
    uint64_t urg_pkts;         /**< payload packets with URG */
    uint64_t urg_bytes;        /**< sum of the urgent pointers of those */
    uint64_t unique_bytes;     /**< payload bytes not retransmitted */
    uint64_t rexmit_pkts;      /**< packets carrying retransmitted sequence space */
    uint64_t rexmit_bytes;     /**< retransmitted sequence space (SYN/FIN count 1) */
    uint64_t zwnd_probes;      /**< segments sent while the peer's last window was 0 */
    uint64_t zwnd_probe_bytes; /**< their payload bytes */
    uint64_t ooo_pkts;         /**< out-of-order segments */
    uint64_t trunc_bytes;      /**< payload bytes missing from the capture (snaplen) */
    uint64_t trunc_pkts;       /**< packets with payload missing from the capture */
    uint64_t sack_pkts;        /**< ACK packets (no RST) with SACK blocks */
    uint64_t dsack_pkts;       /**< of those, with a D-SACK block */
    uint64_t sacks_sent;       /**< any packet with SACK blocks */
    uint64_t win_zero;         /**< ACK packets (no RST) advertising window 0 */
    uint64_t win_tot;          /**< sum of the effective windows of ACK/SYN packets, bytes */
    uint64_t win_scaled_pkts;  /**< packets since window scaling took effect */
    uint64_t iw_bytes;         /**< initial window: payload bytes before the peer ACKed data */
    uint64_t iw_pkts;          /**< initial window: segments */
    /* ACK analysis of this direction's data (counted at the peer's ACKs) */
    uint64_t rtt_nosample;     /**< ACKs after a loss: "post-loss acks" */
    uint64_t rtt_cumack;       /**< segments ACKed cumulatively */
    uint64_t rtt_dupack;       /**< duplicate ACKs */
    uint64_t rtt_triple;       /**< triple duplicate ACKs */
    uint64_t rtt_amback;       /**< ACKs of retransmitted segments (Karn: no sample) */
    uint64_t seg_fused;        /**< ranges fused because the table was full (0: exact) */
    struct fdxi_stat rtt;      /**< RTT samples, microseconds */
    struct fdxi_stat rtt_full; /**< RTT samples of the largest segments, microseconds */
    struct fdxi_stat retr;     /**< transmission to retransmission times, microseconds */
    uint64_t rtt_min_us;       /**< tcptrace's RTT minimum (see tt_min() in seg.c) */
    uint64_t rtt_full_min_us;  /**< the same for the full-size samples */
    uint64_t retr_min_us;      /**< the same for the retransmission times */
    uint64_t rtt_full_size;    /**< segment size the full-size samples are for */
    uint64_t rtt_last_us;      /**< latest RTT sample, 0 after an unusable ACK */
    uint64_t rtt_3whs_us;      /**< RTT of the handshake (the ACK of this side's SYN) */
    uint64_t win_max;          /**< largest effective window advertised, bytes */
    uint64_t win_min;          /**< smallest non-zero effective window, bytes */
    uint64_t win_last;         /**< effective window of the last non-RST packet */
    uint64_t idle_max_us;      /**< largest gap between two packets of this side */
    uint64_t last_us;          /**< time of the last packet, 0 before the first */
    uint64_t first_data_us;    /**< time of the first payload packet */
    uint64_t last_data_us;     /**< time of the last payload packet */
    uint32_t syn_count;        /**< packets with SYN */
    uint32_t fin_count;        /**< packets with FIN */
    uint32_t rst_count;        /**< packets with RST */
    uint32_t max_sack_blocks;  /**< most SACK blocks in one ACK */
    uint32_t mss;              /**< MSS option value, 0 if none */
    uint32_t max_seg;          /**< largest payload, bytes */
    uint32_t min_seg;          /**< smallest non-zero payload, bytes */
    uint32_t retr_max;         /**< most retransmissions of one range */
    uint32_t syn;              /**< sequence number of the SYN (ISN) */
    uint32_t fin;              /**< sequence number of the FIN */
    uint32_t latest_seq;       /**< end of the last segment sent */
    uint32_t ack;              /**< last ACK number sent (the peer's SYN seq before any) */
    uint32_t wraps;            /**< sequence-space wraps past the ISN */
    uint32_t nsegs;            /**< used entries of segs */
    uint8_t quads;             /**< sequence quadrants visited since the last wrap (bit mask) */
    uint8_t ws;                /**< window-scale shift requested (0 once known unused) */
    uint8_t f_ws;              /**< window-scale option seen */
    uint8_t f_ts;              /**< timestamp option seen */
    uint8_t f_sack;            /**< SACK-permitted option seen */
    uint8_t win_scaled;        /**< window statistics restarted for scaling */
    uint8_t data_acked;        /**< the peer has ACKed data of this side */
    uint8_t owin_seen;         /**< a non-zero outstanding-window sample was taken */
    struct fdxi_tcp_seg segs[FDXI_TCP_SEGS]; /**< remembered ranges in sequence order */
};

/*
 * One TCP connection, both directions. Complete type of fixed size (no pointers, no allocation);
 * all-zero bytes are a fresh connection.
 */
struct fdxi_tcp_conn {
    struct fdxi_tcp_dir d[2]; /**< [FDX_DIR_REQ] = initiator's side (a->b), [1] = b->a */
};

/*
 * Account one packet of the connection sent in direction @p dir (0 = from the initiator, tcptrace's
 * a->b; 1 = b->a). Only TCP packets with has_ports are to be passed. @p p is borrowed for the call.
 */
void fdxi_tcp_packet(struct fdxi_tcp_conn *c, const struct fdxi_packet *p, int dir);

#define FDXI_TCP_MOORE_N 122

/*
 * The values of Moore numbers 31..152 in spec order: out[i] is number 31 + i. Pairs are (a_b, b_a)
 * except 61-68, whose [R] order is SYN a_b, FIN a_b, SYN b_a, FIN b_a, then ws a_b, ts a_b,
 * ws b_a, ts b_a. Index layout (each row: a_b at i, b_a at i + 1 unless said):
 *    0 total_packets      2 ack_pkts_sent     4 pure_acks_sent    6 sack_pkts_sent
 *    8 dsack_pkts_sent   10 max_sack_blks    12 unique_bytes     14 actual_data_pkts
 *   16 actual_data_bytes 18 rexmt_data_pkts  20 rexmt_data_bytes 22 zwnd_probe_pkts
 *   24 zwnd_probe_bytes  26 outoforder_pkts  28 pushed_data_pkts
 *   30 SYN a_b, 31 FIN a_b, 32 SYN b_a, 33 FIN b_a, 34 ws a_b, 35 ts a_b, 36 ws b_a, 37 ts b_a
 *   38 adv_wind_scale    40 req_sack         42 sacks_sent       44 urgent_data_pkts
 *   46 urgent_data_bytes 48 mss_requested    50 max_segm_size    52 min_segm_size
 *   54 avg_segm_size     56 max_win_adv      58 min_win_adv      60 zero_win_adv
 *   62 avg_win_adv       64 initial_window_bytes                 66 initial_window_packets
 *   68 ttl_stream_length 70 missed_data      72 truncated_data   74 truncated_packets
 *   76 data_xmit_time(s) 78 idletime_max(ms) 80 throughput(B/s)  82 RTT_samples
 *   84 RTT_min(ms)       86 RTT_max(ms)      88 RTT_avg(ms)      90 RTT_stdv(ms)
 *   92 RTT_from_3WHS(ms) 94 RTT_full_sz_smpls                    96 RTT_full_sz_min(ms)
 *   98 RTT_full_sz_max  100 RTT_full_sz_avg 102 RTT_full_sz_stdev
 *  104 post_loss_acks   106 segs_cum_acked  108 duplicate_acks  110 triple_dupacks
 *  112 max_retrans      114 min_retr_time(ms) 116 max_retr_time(ms) 118 avg_retr_time(ms)
 *  120 sdv_retr_time(ms)
 * @p first_ts_us and @p last_ts_us are the times of the flow's first and last packets (the
 * connection duration for throughput). @p c is borrowed for the call.
 */
void fdxi_tcp_moore_values(const struct fdxi_tcp_conn *c, uint64_t first_ts_us, uint64_t last_ts_us,
                           double out[FDXI_TCP_MOORE_N]);

/* ---- Shared between the module's files (seg.c keeps the range table) ---- */

/*
 * Record that @p d sent sequence space [@p seq, @p seq + @p len) (SYN and FIN count one) at
 * @p now_us. Sets *@p ooo when the range arrived out of order.
 * @return How many of its sequence numbers had been sent before (retransmitted).
 */
uint64_t fdxi_tcp_seg_send(struct fdxi_tcp_dir *d, uint32_t seq, uint32_t len, uint64_t now_us,
                           bool *ooo);

/*
 * Account an ACK of @p d's data, number @p ack, sent by @p acker in a packet of @p data_len payload
 * bytes advertising effective window @p eff_win, at @p now_us: RTT samples, cumulative and
 * duplicate ACKs. @p acker's ack and win_last must still be those of its previous packet.
 */
void fdxi_tcp_seg_ack(struct fdxi_tcp_dir *d, const struct fdxi_tcp_dir *acker, uint32_t ack,
                      uint32_t data_len, uint64_t eff_win, uint64_t now_us);

#endif /* FDX_LIB_TCP_H */
