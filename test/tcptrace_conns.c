/* SPDX-License-Identifier: BSD-3-Clause */
/* Test driver: lib/tcp over a capture with tcptrace's connection rules, one CSV row per connection.
 */
/*
 * Usage: tcptrace_conns CAPTURE > rows.csv
 *
 * This isolates lib/tcp from the flow table: connections are keyed by their 4-tuple over the whole
 * capture and side a is the sender of the connection's first packet, as tcptrace keys them; a new
 * connection on the same 4-tuple starts where tcptrace starts one (more than 4 minutes idle, or a
 * SYN after a FIN or RST outside the old sequence window, or a third SYN with a new sequence
 * number). Row: a address, a port, b address, b port, first and last packet times (us), the 122
 * values of fdxi_tcp_moore_values(), then seg_fused of a and of b (how often the bounded range
 * table fused ranges; the values doc/features/tcptrace.md calls approximate after it are compared
 * only where it is 0). Test-only: the product's path is flowdx extract -f moore.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet/packet.h"
#include "tcp/tcp.h"

#define MAX_CONNS 4096
#define IDLE_NEW_CONN_US (UINT64_C(240) * 1000000)

struct conn {
    uint8_t addr[2][16]; /* [0] = a, [1] = b */
    uint16_t port[2];
    uint8_t ipv;
    bool inactive;      /* replaced by a newer connection on the same 4-tuple */
    uint64_t first_us;  /* first packet */
    uint64_t last_us;   /* last packet */
    uint32_t winend[2]; /* ACK + window of each side's last ACK (tcptrace's windowend) */
    struct fdxi_tcp_conn tcp;
};

static struct conn conns[MAX_CONNS];
static size_t nconns;

static bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* The live connection of @p p, and the direction of @p p in it (0: a->b); NULL when none. */
static struct conn *find(const struct fdxi_packet *p, int *dir)
{
    for (size_t i = nconns; i-- > 0;) {
        struct conn *c = &conns[i];
        if (c->inactive || c->ipv != p->ip_version)
            continue;
        int d;
        if (!memcmp(c->addr[0], p->src, 16) && !memcmp(c->addr[1], p->dst, 16) &&
            c->port[0] == p->sport && c->port[1] == p->dport)
            d = 0;
        else if (!memcmp(c->addr[1], p->src, 16) && !memcmp(c->addr[0], p->dst, 16) &&
                 c->port[1] == p->sport && c->port[0] == p->dport)
            d = 1;
        else
            continue;
        const struct fdxi_tcp_dir *t = &c->tcp.d[d], *o = &c->tcp.d[!d];
        bool syn = p->tcp_flags & FDXI_TCP_SYN;
        bool closed = t->fin_count || o->fin_count || t->rst_count || o->rst_count;
        if (p->ts_us > c->last_us + IDLE_NEW_CONN_US ||
            (syn && closed && (seq_gt(p->tcp_seq, c->winend[!d]) || seq_lt(p->tcp_seq, t->syn))) ||
            (syn && t->syn_count > 1 && t->syn != p->tcp_seq)) {
            c->inactive = true;
            return NULL;
        }
        *dir = d;
        return c;
    }
    return NULL;
}

static void feed(const struct fdxi_packet *p)
{
    int dir = 0;
    struct conn *c = find(p, &dir);
    if (c == NULL) {
        if (nconns == MAX_CONNS) {
            fprintf(stderr, "tcptrace_conns: more than %d connections\n", MAX_CONNS);
            exit(2);
        }
        c = &conns[nconns++];
        memset(c, 0, sizeof *c);
        memcpy(c->addr[0], p->src, 16);
        memcpy(c->addr[1], p->dst, 16);
        c->port[0] = p->sport;
        c->port[1] = p->dport;
        c->ipv = p->ip_version;
        c->first_us = p->ts_us;
        dir = 0;
    }
    c->last_us = p->ts_us;
    fdxi_tcp_packet(&c->tcp, p, dir);
    if (p->tcp_flags & FDXI_TCP_ACK) {
        const struct fdxi_tcp_dir *t = &c->tcp.d[dir], *o = &c->tcp.d[!dir];
        uint32_t shift = t->f_ws && o->f_ws && !(p->tcp_flags & FDXI_TCP_SYN) ? t->ws : 0;
        c->winend[dir] = p->tcp_ack + ((uint32_t)p->tcp_window << (shift > 14 ? 14 : shift));
    }
}

static void print_addr(const struct conn *c, int side)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(c->ipv == 6 ? AF_INET6 : AF_INET, c->addr[side], buf, sizeof buf);
    fputs(buf, stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tcptrace_conns CAPTURE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_MICRO, err);
    if (pc == NULL) {
        fprintf(stderr, "tcptrace_conns: %s\n", err);
        return 2;
    }
    int linktype = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    int r;
    while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
        struct fdxi_packet p;
        if (fdxi_packet_decode(linktype, ts, data, h->caplen, h->len, &p) != FDXI_DEC_OK)
            continue;
        if (p.proto != FDXI_PROTO_TCP || !p.has_ports || p.is_fragment || p.icmp_error)
            continue;
        feed(&p);
    }
    if (r == -1) {
        fprintf(stderr, "tcptrace_conns: %s\n", pcap_geterr(pc));
        pcap_close(pc);
        return 2;
    }
    pcap_close(pc);
    for (size_t i = 0; i < nconns; i++) {
        const struct conn *c = &conns[i];
        double v[FDXI_TCP_MOORE_N];
        fdxi_tcp_moore_values(&c->tcp, c->first_us, c->last_us, v);
        print_addr(c, 0);
        printf(",%u,", c->port[0]);
        print_addr(c, 1);
        printf(",%u,%" PRIu64 ",%" PRIu64, c->port[1], c->first_us, c->last_us);
        for (int k = 0; k < FDXI_TCP_MOORE_N; k++)
            printf(",%.17g", v[k]);
        printf(",%" PRIu64 ",%" PRIu64 "\n", c->tcp.d[0].seg_fused, c->tcp.d[1].seg_fused);
    }
    return 0;
}
