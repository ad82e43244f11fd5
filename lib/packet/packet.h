/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the packet decoder: link, IP and transport headers into one parsed view. */
#ifndef FDX_LIB_PACKET_H
#define FDX_LIB_PACKET_H

#include <stdbool.h>
#include <stdint.h>

/* TCP flag bits as in the TCP header's flags byte. */
#define FDXI_TCP_FIN 0x01
#define FDXI_TCP_SYN 0x02
#define FDXI_TCP_RST 0x04
#define FDXI_TCP_PSH 0x08
#define FDXI_TCP_ACK 0x10
#define FDXI_TCP_URG 0x20
#define FDXI_TCP_ECE 0x40
#define FDXI_TCP_CWR 0x80

#define FDXI_PROTO_ICMP 1
#define FDXI_PROTO_TCP 6
#define FDXI_PROTO_UDP 17
#define FDXI_PROTO_ICMPV6 58

/* What the decoder made of a packet; FDXI_DEC_OK packets carry a parsed view. */
enum fdxi_decode_result {
    FDXI_DEC_OK = 0,
    FDXI_DEC_TRUNCATED,
    FDXI_DEC_MALFORMED,
    FDXI_DEC_LINK_UNSUPPORTED,
    FDXI_DEC_NON_IP,
};

/*
 * One decoded packet. Pointers point into the caller's packet buffer and are borrowed for as
 * long as that buffer lives. Addresses are in network byte order, IPv4 in bytes 0-3 and the
 * rest zero; numbers are in host byte order.
 */
struct fdxi_packet {
    uint64_t ts_us;          /**< capture time, microseconds since the epoch */
    uint32_t caplen;         /**< captured bytes, link header included */
    uint32_t wirelen;        /**< bytes on the wire, link header included */
    uint16_t link_hdr_bytes; /**< link-layer header bytes before the IP header (VLAN tags incl.) */
    const uint8_t *l3;       /**< the IP header in the capture (for DPI) */
    uint32_t l3_caplen;      /**< captured bytes from the IP header on */
    uint8_t ip_version;      /**< 4 or 6 */
    uint8_t proto;           /**< transport protocol (after IPv6 extension headers) */
    uint8_t src[16];         /**< source address */
    uint8_t dst[16];         /**< destination address */
    uint32_t ip_len;       /**< IP total length in bytes (IPv6: 40 + payload length, up to 65575) */
    uint16_t ip_hdr_bytes; /**< IPv4 header with options; IPv6 40 + extension headers */
    uint8_t ttl;           /**< IPv4 TTL or IPv6 hop limit */
    uint8_t tos;           /**< IPv4 TOS or IPv6 traffic class */
    bool has_ports;        /**< TCP/UDP header present: false for non-first fragments */
    bool is_fragment;      /**< part of a fragmented datagram (first or later) */
    bool first_fragment;   /**< offset 0 with more fragments to come */
    bool icmp_error;       /**< ICMP/ICMPv6 error message (it quotes another packet) */
    uint16_t sport;        /**< source port (TCP/UDP), 0 otherwise */
    uint16_t dport;        /**< destination port (TCP/UDP), 0 otherwise */
    uint8_t icmp_type;     /**< ICMP/ICMPv6 type, when proto is ICMP or ICMPv6 */
    uint8_t icmp_code;     /**< ICMP/ICMPv6 code */
    uint32_t frag_id;      /**< IPv4 identification or IPv6 fragment identification */
    uint32_t frag_offset_bytes; /**< fragment offset in bytes */
    /* TCP, valid when proto == TCP and has_ports */
    uint8_t tcp_flags;           /**< FDXI_TCP_* bits */
    uint16_t tcp_window;         /**< raw window field, unscaled */
    uint16_t tcp_urgent;         /**< urgent pointer field */
    uint32_t tcp_seq;            /**< sequence number */
    uint32_t tcp_ack;            /**< acknowledgement number */
    uint16_t tcp_hdr_bytes;      /**< TCP header with options (data offset * 4) */
    const uint8_t *tcp_options;  /**< options bytes (tcp_hdr_bytes - 20 of them, may be captured
                                      short: see tcp_options_caplen) */
    uint16_t tcp_options_caplen; /**< option bytes actually present in the capture */
    /* Transport payload: length from the IP header, so a short snaplen does not change it. */
    uint32_t payload_bytes;  /**< TCP/UDP payload length (TCP: ip_len - ip_hdr - tcp_hdr) */
    const uint8_t *payload;  /**< captured payload bytes */
    uint32_t payload_caplen; /**< payload bytes present in the capture */
};

/*
 * Decode one packet of libpcap link type @p linktype into @p ret. On a result other than
 * FDXI_DEC_OK, @p ret is unspecified. Never reads outside data[0..caplen).
 */
enum fdxi_decode_result fdxi_packet_decode(int linktype, uint64_t ts_us, const uint8_t *data,
                                           uint32_t caplen, uint32_t wirelen,
                                           struct fdxi_packet *ret);

/* Whether this build decodes libpcap link type @p linktype. */
bool fdxi_packet_linktype_supported(int linktype);

#endif /* FDX_LIB_PACKET_H */
