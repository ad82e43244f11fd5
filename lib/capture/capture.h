/* SPDX-License-Identifier: BSD-3-Clause */
/* The capture handle, shared by the file reader and the live-capture code. */
#ifndef FDX_CAPTURE_CAPTURE_H
#define FDX_CAPTURE_CAPTURE_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "flowdx/flowdx.h"

struct fdx_capture {
    pcap_t *pcap;
    char *path;                 /* file or interface name, for messages */
    uint64_t packets;           /* returned so far */
    uint64_t size_bytes;        /* file size, 0 when unknown */
    char *iobuf;                /* stdio buffer of the file; freed after the FILE is closed */
    volatile sig_atomic_t stop; /* set by fdx_capture_break(), possibly from a signal handler */
    /* live captures only */
    bool live;
    int fd;                                     /* libpcap's selectable descriptor */
    uint32_t timeout_ms;                        /* read timeout */
    uint32_t last_recv, last_drop, last_ifdrop; /* libpcap's 32-bit counters when last read */
    uint64_t recv, drop, ifdrop;                /* their 64-bit totals */
    int linktype;                               /* pcap_datalink() */
    uint32_t mtu;                               /* the interface's, at open; 0 unknown */
    uint32_t offloads;                          /* FDX_OFFLOAD_* on at open */
    uint64_t over_mtu;                          /* packets of an IP length above mtu */
    uint32_t over_mtu_largest;                  /* the largest of those IP lengths */
};

/* The next packet of a live capture: fdx_capture_next()'s contract for live captures. */
int fdxi_capture_next_live(fdx_capture *c, struct fdx_capture_packet *ret_pkt, char *errbuf,
                           size_t errlen);

/* What one read of libpcap's gave. */
enum fdxi_capture_read {
    FDXI_READ_PACKET, /* ret_pkt filled */
    FDXI_READ_NONE,   /* live: no packet ready now */
    FDXI_READ_END,    /* end of the file, or fdx_capture_break() was called */
    FDXI_READ_ERROR,  /* failed: pcap_geterr() says why */
};

/* One pcap_next_ex(), the packet counted and copied to @p ret_pkt. */
enum fdxi_capture_read fdxi_capture_read(fdx_capture *c, struct fdx_capture_packet *ret_pkt);

/* Compile @p bpf with @p netmask and install it: 0, or FDX_EINVAL with "PATH: filter 'BPF':
 * libpcap's message" in errbuf. */
int fdxi_capture_set_filter(fdx_capture *c, const char *bpf, uint32_t netmask, char *errbuf,
                            size_t errlen);

#endif /* FDX_CAPTURE_CAPTURE_H */
