/* SPDX-License-Identifier: BSD-3-Clause */
/* Captures from a network interface through libpcap, with a read timeout served in every mode. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"

#ifdef __linux__
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define SNAPLEN_MAX 262144u /* tcpdump's default, libpcap's MAXIMUM_SNAPLEN */
#define TIMEOUT_MS_DEFAULT 100u
#define TIMEOUT_MS_MAX 60000u
#define BUFFER_BYTES_MAX 0x7fffffffu /* pcap_set_buffer_size() takes an int */

void fdx_capture_live_options_init(struct fdx_capture_live_options *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->snaplen_bytes = SNAPLEN_MAX;
    o->promisc = 1;
    o->timeout_ms = TIMEOUT_MS_DEFAULT;
}

/* The FDX_E* code and the sentence for a failed pcap_activate(). */
static int activate_error(int status, const char **ret_why)
{
    switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        *ret_why = "no such interface";
        return FDX_ENOENT;
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        *ret_why = "no permission to capture: run as root or give the program CAP_NET_RAW "
                   "(setcap cap_net_raw+ep)";
        return FDX_EPERM;
    case PCAP_ERROR_IFACE_NOT_UP:
        *ret_why = "the interface is down";
        return FDX_EIO;
#ifdef PCAP_ERROR_CAPTURE_NOTSUP /* libpcap 1.10.5+ */
    case PCAP_ERROR_CAPTURE_NOTSUP:
#endif
    case PCAP_ERROR_RFMON_NOTSUP:
        *ret_why = "capture is not supported on this interface";
        return FDX_ENOTSUP;
    default:
        *ret_why = "cannot capture";
        return FDX_EIO;
    }
}

static int check_options(const char *iface, const struct fdx_capture_live_options *o, char *errbuf,
                         size_t errlen)
{
    const char *bad = NULL;
    if (o->struct_size < sizeof(*o))
        bad = "options not initialised by fdx_capture_live_options_init()";
    else if (o->snaplen_bytes < 1 || o->snaplen_bytes > SNAPLEN_MAX)
        bad = "snapshot length out of range (1 to 262144 bytes)";
    else if (o->timeout_ms < 1 || o->timeout_ms > TIMEOUT_MS_MAX)
        bad = "read timeout out of range (1 to 60000 ms)";
    else if (o->buffer_bytes > BUFFER_BYTES_MAX)
        bad = "buffer size out of range (at most 2 GiB - 1)";
    if (bad == NULL)
        return 0;
    snprintf(errbuf, errlen, "%s: %s", iface, bad);
    return FDX_EINVAL;
}

/* Settings that must precede pcap_activate(); each failure is a libpcap bug or a closed
 * handle, so one message serves. */
static int configure(fdx_capture *c, const struct fdx_capture_live_options *o, char *errbuf,
                     size_t errlen)
{
    pcap_t *p = c->pcap;
    if (pcap_set_snaplen(p, (int)o->snaplen_bytes) != 0 ||
        pcap_set_promisc(p, o->promisc != 0) != 0 || pcap_set_timeout(p, (int)o->timeout_ms) != 0 ||
        pcap_set_immediate_mode(p, o->immediate != 0) != 0 ||
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO) != 0 ||
        (o->buffer_bytes > 0 && pcap_set_buffer_size(p, (int)o->buffer_bytes) != 0)) {
        snprintf(errbuf, errlen, "%s: libpcap refused a setting: %s", c->path, pcap_geterr(p));
        return FDX_EINVAL;
    }
    return 0;
}

static int activate(fdx_capture *c, char *errbuf, size_t errlen)
{
    int status = pcap_activate(c->pcap);
    if (status > 0) {
        /* A warning (promiscuous mode not supported, ...): the capture works. */
        snprintf(errbuf, errlen, "%s: %s", c->path, pcap_geterr(c->pcap));
        return 0;
    }
    if (status == 0)
        return 0;
    const char *why;
    int rc = activate_error(status, &why);
    const char *detail = status == PCAP_ERROR ? pcap_geterr(c->pcap) : pcap_statustostr(status);
    /* libpcap's text for PCAP_ERROR_* codes other than PCAP_ERROR is in pcap_geterr() too, when
     * it had more to say (e.g. the failing system call). */
    if (status != PCAP_ERROR && pcap_geterr(c->pcap)[0] != '\0')
        detail = pcap_geterr(c->pcap);
    snprintf(errbuf, errlen, "%s: %s (libpcap: %s)", c->path, why, detail);
    return rc;
}

/* The interface's netmask for filters that name the broadcast address; unknown is fine. */
static uint32_t netmask_of(const char *iface)
{
    bpf_u_int32 net, mask;
    char pe[PCAP_ERRBUF_SIZE];
    if (pcap_lookupnet(iface, &net, &mask, pe) != 0)
        return PCAP_NETMASK_UNKNOWN;
    return mask;
}

#ifdef __linux__
/* One ethtool "get" of a feature that is on or off; false also when the driver cannot say. */
static bool ethtool_on(int sock, struct ifreq *ifr, uint32_t cmd, uint32_t mask)
{
    struct ethtool_value ev = {.cmd = cmd};
    ifr->ifr_data = (char *)&ev;
    return ioctl(sock, SIOCETHTOOL, ifr) == 0 && (ev.data & mask) != 0;
}

/* The interface's MTU and offloads, read once at open. Unknown stays 0: a capture never fails
 * for want of them. Offloads are not looked up on a loopback interface: its MTU (65,536)
 * already admits the largest packet an offload could make. */
static void read_link(fdx_capture *c)
{
    struct ifreq ifr;
    if (strlen(c->path) >= sizeof(ifr.ifr_name))
        return;
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, c->path, strlen(c->path) + 1);
    if (ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
        c->mtu = (uint32_t)ifr.ifr_mtu;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK) == 0) {
        if (ethtool_on(sock, &ifr, ETHTOOL_GGRO, 1u))
            c->offloads |= FDX_OFFLOAD_GRO;
        if (ethtool_on(sock, &ifr, ETHTOOL_GFLAGS, ETH_FLAG_LRO))
            c->offloads |= FDX_OFFLOAD_LRO;
        if (ethtool_on(sock, &ifr, ETHTOOL_GTSO, 1u))
            c->offloads |= FDX_OFFLOAD_TSO;
        if (ethtool_on(sock, &ifr, ETHTOOL_GGSO, 1u))
            c->offloads |= FDX_OFFLOAD_GSO;
    }
    close(sock);
}
#else
static void read_link(fdx_capture *c)
{
    (void)c;
}
#endif

/* Bytes of the link header of a packet of this link type, VLAN tags included: what is left is
 * the payload that the interface's MTU bounds (an MPLS label stack or a PPPoE header counts
 * against the MTU, as the kernel counts it). -1 when the link type has no fixed header flowdx
 * knows. */
static int link_header_bytes(int linktype, const struct fdx_capture_packet *p)
{
    switch (linktype) {
    case DLT_EN10MB: {
        uint32_t off = 12; /* the EtherType, or the TPID of a VLAN tag */
        while (off + 2 <= p->caplen) {
            unsigned type = (unsigned)p->data[off] << 8 | p->data[off + 1];
            if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
                break;
            off += 4;
        }
        return (int)off + 2;
    }
    case DLT_LINUX_SLL:
        return 16;
    case DLT_LINUX_SLL2:
        return 20;
    case DLT_RAW:
        return 0;
    case DLT_NULL:
        return 4;
    default:
        return -1;
    }
}

/* Count a packet whose frame payload exceeds the interface's MTU. */
static void check_size(fdx_capture *c, const struct fdx_capture_packet *p)
{
    int hdr = link_header_bytes(c->linktype, p);
    if (hdr < 0 || p->wirelen <= (uint32_t)hdr)
        return;
    uint32_t ip_len = p->wirelen - (uint32_t)hdr;
    if (ip_len <= c->mtu)
        return;
    c->over_mtu++;
    if (ip_len > c->over_mtu_largest)
        c->over_mtu_largest = ip_len;
}

int fdx_capture_open_live(const char *iface, const struct fdx_capture_live_options *opts,
                          fdx_capture **ret_capture, char *errbuf, size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    errbuf[0] = '\0';
    if (iface == NULL || ret_capture == NULL) {
        snprintf(errbuf, errlen, "fdx_capture_open_live: NULL argument");
        return FDX_EINVAL;
    }
    struct fdx_capture_live_options defaults;
    if (opts == NULL) {
        fdx_capture_live_options_init(&defaults);
        opts = &defaults;
    }
    int rc = check_options(iface, opts, errbuf, errlen);
    if (rc < 0)
        return rc;
    fdx_capture *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->path = strdup(iface)) == NULL) {
        free(c);
        snprintf(errbuf, errlen, "%s: out of memory", iface);
        return FDX_ENOMEM;
    }
    c->live = true;
    c->timeout_ms = opts->timeout_ms;
    char pe[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_create(iface, pe);
    if (c->pcap == NULL) {
        snprintf(errbuf, errlen, "%s: cannot capture (libpcap: %s)", iface, pe);
        rc = FDX_EIO;
        goto out;
    }
    rc = configure(c, opts, errbuf, errlen);
    if (rc == 0)
        rc = activate(c, errbuf, errlen);
    if (rc == 0 && opts->bpf != NULL && opts->bpf[0] != '\0')
        rc = fdxi_capture_set_filter(c, opts->bpf, netmask_of(iface), errbuf, errlen);
    if (rc < 0)
        goto out;
    c->linktype = pcap_datalink(c->pcap);
    read_link(c);
    /* Non-blocking reads with our own poll(): libpcap's read timeout alone does not end a wait
     * on a quiet interface in every mode (Linux TPACKET_V3 keeps waiting for a first packet). */
    if (pcap_setnonblock(c->pcap, 1, pe) != 0 || (c->fd = pcap_get_selectable_fd(c->pcap)) < 0) {
        snprintf(errbuf, errlen, "%s: cannot read without blocking (libpcap: %s)", iface,
                 c->fd < 0 ? "no selectable descriptor" : pe);
        rc = FDX_ENOTSUP;
        goto out;
    }
out:
    if (rc < 0) {
        fdx_capture_free(c);
        return rc;
    }
    *ret_capture = c;
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait at most @p wait_ms for the descriptor. A signal ends the wait early (the caller looks
 * at c->stop); so does an error condition, which the next read reports. */
static void wait_readable(fdx_capture *c, long long wait_ms)
{
    /* libpcap asks for short waits while it finds out whether a downed interface is gone. */
    const struct timeval *req = pcap_get_required_select_timeout(c->pcap);
    if (req != NULL) {
        long long req_ms = (long long)req->tv_sec * 1000 + req->tv_usec / 1000;
        if (req_ms < wait_ms)
            wait_ms = req_ms > 0 ? req_ms : 1;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    (void)poll(&pfd, 1, (int)wait_ms);
}

int fdxi_capture_next_live(fdx_capture *c, struct fdx_capture_packet *ret_pkt, char *errbuf,
                           size_t errlen)
{
    long long deadline = 0;
    for (;;) {
        enum fdxi_capture_read r = fdxi_capture_read(c, ret_pkt);
        if (r == FDXI_READ_PACKET) {
            if (c->mtu > 0)
                check_size(c, ret_pkt);
            return 1;
        }
        if (r == FDXI_READ_END)
            return 0;
        if (r == FDXI_READ_ERROR) {
            if (errbuf != NULL && errlen > 0)
                snprintf(errbuf, errlen, "%s: capture failed after %llu packets: %s", c->path,
                         (unsigned long long)c->packets, pcap_geterr(c->pcap));
            return FDX_EIO;
        }
        /* No packet ready. */
        long long t = now_ms();
        if (deadline == 0)
            deadline = t + c->timeout_ms;
        else if (t >= deadline)
            return FDX_CAPTURE_IDLE;
        wait_readable(c, deadline - t);
        if (c->stop)
            return 0;
    }
}

/* Add the change of a 32-bit counter of libpcap's since the last reading to a 64-bit total. */
static void follow(uint32_t now, uint32_t *last, uint64_t *total)
{
    *total += (uint32_t)(now - *last);
    *last = now;
}

int fdx_capture_stats(fdx_capture *c, struct fdx_capture_stats *ret)
{
    if (ret == NULL || ret->struct_size < sizeof(uint32_t))
        return FDX_EINVAL; /* struct_size not set: the caller's struct may have any size */
    if (!c->live)
        return FDX_ENOTSUP;
    struct pcap_stat ps;
    if (pcap_stats(c->pcap, &ps) != 0)
        return FDX_EIO;
    follow(ps.ps_recv, &c->last_recv, &c->recv);
    follow(ps.ps_drop, &c->last_drop, &c->drop);
    follow(ps.ps_ifdrop, &c->last_ifdrop, &c->ifdrop);
    struct fdx_capture_stats s = {.struct_size = ret->struct_size};
    s.packets = c->packets;
    s.received = c->recv;
    s.dropped = c->drop;
    s.if_dropped = c->ifdrop;
    s.mtu = c->mtu;
    s.offloads = c->offloads;
    s.over_mtu = c->over_mtu;
    s.over_mtu_largest = c->over_mtu_largest;
    size_t n = ret->struct_size < sizeof(s) ? ret->struct_size : sizeof(s);
    memcpy(ret, &s, n);
    ret->struct_size = (uint32_t)n;
    return 0;
}
