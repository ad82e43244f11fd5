/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture shared by the packet decoder tests, from byte-exact frames to checked decoder output. */
#ifndef FDX_TEST_PACKET_BUILD_H
#define FDX_TEST_PACKET_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/packet.h"

/*
 * Link types by their libpcap LINKTYPE_ numbers (tcpdump.org/linktypes.html), written out here
 * rather than taken from <pcap/dlt.h>, whose DLT_RAW and DLT_LOOP differ between platforms.
 */
enum {
    PB_LT_NULL = 0,
    PB_LT_EN10MB = 1,
    PB_LT_RAW = 12,
    PB_LT_RAW101 = 101,
    PB_LT_LOOP = 108,
    PB_LT_LINUX_SLL = 113,
    PB_LT_IPV4 = 228,
    PB_LT_IPV6 = 229,
    PB_LT_LINUX_SLL2 = 276,
};

/* The capture timestamp every decode passes, in microseconds since the epoch. */
#define PB_TS_US UINT64_C(1700000000123456)

/* Header values every builder writes, so that tests can state them. */
#define PB_V4_TOS 0x28
#define PB_V4_TTL 64
#define PB_V4_ID 0x1c46
#define PB_V6_TCLASS 0xb8
#define PB_V6_FLOW 0x12345
#define PB_V6_HLIM 57

/** 192.0.2.1, the IPv4 source pb_put_ipv4() writes unless told otherwise. */
extern const uint8_t pb_v4_src[4];
/** 198.51.100.2, the IPv4 destination pb_put_ipv4() writes unless told otherwise. */
extern const uint8_t pb_v4_dst[4];
/** 2001:db8::1, the IPv6 source pb_put_ipv6() writes. */
extern const uint8_t pb_v6_src[16];
/** 2001:db8::2, the IPv6 destination pb_put_ipv6() writes. */
extern const uint8_t pb_v6_dst[16];

/* ---- Builders: each writes one header in network byte order and returns its size. ---- */

/** Write @p v big-endian into the 2 bytes at @p b. */
void pb_put16(uint8_t *b, uint16_t v);

/** Write @p v big-endian into the 4 bytes at @p b. */
void pb_put32(uint8_t *b, uint32_t v);

/**
 * Ethernet II header: fixed destination and source MACs, then @p ethertype (which may also be an
 * 802.3 length).
 * @return 14.
 */
size_t pb_put_eth(uint8_t *b, uint16_t ethertype);

/**
 * One VLAN tag after its TPID: the tag control information @p tci and the next ethertype.
 * @return 4.
 */
size_t pb_put_tag(uint8_t *b, uint16_t tci, uint16_t next);

/** The IPv4 header fields a test chooses; the rest come from the PB_V4_* values. */
struct pb_v4 {
    uint8_t ihl;        /**< header length in 32-bit words; 0 means 5 */
    uint16_t total_len; /**< total length field */
    uint16_t frag;      /**< flags (DF 0x4000, MF 0x2000) and offset in 8-byte units */
    uint8_t proto;      /**< protocol field */
    const uint8_t *src; /**< borrowed; NULL means pb_v4_src */
    const uint8_t *dst; /**< borrowed; NULL means pb_v4_dst */
};

/**
 * IPv4 header described by @p h, options (if any) filled with NOPs; the checksum is left 0.
 * @return The header length, ihl * 4 bytes.
 */
size_t pb_put_ipv4(uint8_t *b, struct pb_v4 h);

/**
 * IPv6 header with the PB_V6_* traffic class, flow label and hop limit, pb_v6_src to pb_v6_dst.
 * @return 40.
 */
size_t pb_put_ipv6(uint8_t *b, uint16_t payload_len, uint8_t next);

/**
 * Hop-by-hop, routing or destination options header of (@p hdr_ext_len + 1) * 8 bytes, filled
 * with Pad1 options (routing: type 0, segments left 0).
 * @return Its length in bytes.
 */
size_t pb_put_ext(uint8_t *b, uint8_t next, uint8_t hdr_ext_len);

/**
 * IPv6 fragment header: offset in 8-byte units, the M flag from @p more, identification @p id.
 * @return 8.
 */
size_t pb_put_frag6(uint8_t *b, uint8_t next, uint16_t offset_units, bool more, uint32_t id);

/**
 * Authentication header of (@p payload_len + 2) * 4 bytes, its SPI and ICV bytes all 0x5a.
 * @return Its length in bytes.
 */
size_t pb_put_ah(uint8_t *b, uint8_t next, uint8_t payload_len);

/** The TCP header fields a test chooses. */
struct pb_tcp {
    uint16_t sport, dport; /**< ports */
    uint32_t seq, ack;     /**< sequence and acknowledgement numbers */
    uint8_t doff;          /**< data offset in 32-bit words; 0 means 5 */
    uint8_t flags;         /**< flags byte, FDXI_TCP_* bits */
    uint16_t window;       /**< window field, unscaled */
};

/**
 * TCP header described by @p t, with NOP options up to the data offset.
 * @return The header length, doff * 4 bytes.
 */
size_t pb_put_tcp(uint8_t *b, struct pb_tcp t);

/**
 * UDP header; @p len is the UDP length field, header included.
 * @return 8.
 */
size_t pb_put_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint16_t len);

/**
 * ICMP or ICMPv6 header: type, code, checksum 0 and the 4-byte rest of header @p rest.
 * @return 8.
 */
size_t pb_put_icmp(uint8_t *b, uint8_t type, uint8_t code, uint32_t rest);

/**
 * @p n bytes counting up from @p first (wrapping at 256).
 * @return @p n.
 */
size_t pb_put_bytes(uint8_t *b, size_t n, uint8_t first);

/**
 * IPv4 + UDP 40000 -> 53 + 4 payload bytes: total length 20 + 8 + 4 = 32.
 * @return 32.
 */
size_t pb_put_v4_udp(uint8_t *b);

/**
 * IPv6 + UDP 40000 -> 53 + 4 payload bytes: payload length 8 + 4 = 12.
 * @return 52.
 */
size_t pb_put_v6_udp(uint8_t *b);

/**
 * IPv4 + TCP 51234 -> 443, ACK, seq 1000, ack 2000, window 502, no options, no payload.
 * @return 40.
 */
size_t pb_put_v4_tcp(uint8_t *b);

/**
 * PPPoE session header (ver/type 0x11, code 0, session 0x1234, length 2 + @p ip_len) and the
 * PPP protocol field.
 * @return 8.
 */
size_t pb_put_pppoe(uint8_t *b, uint16_t ppp_proto, uint16_t ip_len);

/**
 * The 4-byte address family of a DLT_NULL or DLT_LOOP header, in either byte order.
 * @return 4.
 */
size_t pb_put_family(uint8_t *b, uint32_t family, bool big_endian);

/**
 * Ethernet, IPv6, hop-by-hop (8), routing (24), destination options (16), TCP 443 -> 51234
 * (PSH ACK, seq 7, ack 9, window 1024, 20 bytes), 5 payload bytes.
 * @return 127, the frame length.
 */
size_t pb_put_v6_ext_tcp(uint8_t *f);

/* ---- Decoding under ASan: the decoder sees an exact-size heap copy of the capture. ---- */

/** One decode's outcome, with the parsed view's pointers turned into offsets. */
struct pb_dec {
    enum fdxi_decode_result res; /**< what the decoder returned */
    struct fdxi_packet p; /**< pointer members cleared: the copy they pointed into is freed */
    long options_at;      /**< p.tcp_options - copy: -1 if NULL, -2 if outside the capture */
    long payload_at;      /**< p.payload - copy, likewise */
};

/**
 * Decode the first @p caplen bytes of @p frame, as captured from a @p wirelen-byte packet, from
 * an exact-size heap copy, so that ASan catches any read past the capture; an OK result is also
 * checked against what the decoder promises for every packet (cmocka failure otherwise).
 * @param frame Borrowed for the call; the decoder never sees it.
 * @return The outcome, timestamped PB_TS_US.
 */
struct pb_dec pb_decode_cut(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen);

/** pb_decode_cut() of a fully captured @p len-byte frame. */
struct pb_dec pb_decode(int linktype, const uint8_t *frame, size_t len);

/** Fail unless the first 4 bytes of the addresses are @p src and @p dst and the rest zero. */
void pb_check_v4_addrs(const struct fdxi_packet *p, const uint8_t *src, const uint8_t *dst);

/** Fail unless the addresses are pb_v6_src and pb_v6_dst. */
void pb_check_v6_addrs(const struct fdxi_packet *p);

/** Fail unless @p d is the frame of pb_put_v4_udp() after a link header of @p link_bytes. */
void pb_check_v4_udp(const struct pb_dec *d, unsigned link_bytes);

/** Fail unless @p d is the frame of pb_put_v6_udp() after a link header of @p link_bytes. */
void pb_check_v6_udp(const struct pb_dec *d, unsigned link_bytes);

/** Fail unless @p d is the frame of pb_put_v4_tcp() after a link header of @p link_bytes. */
void pb_check_v4_tcp(const struct pb_dec *d, unsigned link_bytes);

#endif /* FDX_TEST_PACKET_BUILD_H */
