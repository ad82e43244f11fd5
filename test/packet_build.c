/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture shared by the packet decoder tests, from byte-exact frames to checked decoder output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "packet_build.h"

const uint8_t pb_v4_src[4] = {192, 0, 2, 1};
const uint8_t pb_v4_dst[4] = {198, 51, 100, 2};
const uint8_t pb_v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const uint8_t pb_v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

/* ---- Builders: each writes one header in network byte order and returns its size. ---- */

void pb_put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

void pb_put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

size_t pb_put_eth(uint8_t *b, uint16_t ethertype)
{
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};

    memcpy(b, macs, sizeof macs);
    pb_put16(b + 12, ethertype);
    return 14;
}

/* One VLAN tag after its TPID: the tag control information and the next ethertype. */
size_t pb_put_tag(uint8_t *b, uint16_t tci, uint16_t next)
{
    pb_put16(b, tci);
    pb_put16(b + 2, next);
    return 4;
}

size_t pb_put_ipv4(uint8_t *b, struct pb_v4 h)
{
    size_t n = (size_t)(h.ihl ? h.ihl : 5) * 4;

    b[0] = (uint8_t)(0x40 | n / 4);
    b[1] = PB_V4_TOS;
    pb_put16(b + 2, h.total_len);
    pb_put16(b + 4, PB_V4_ID);
    pb_put16(b + 6, h.frag);
    b[8] = PB_V4_TTL;
    b[9] = h.proto;
    pb_put16(b + 10, 0);
    memcpy(b + 12, h.src ? h.src : pb_v4_src, 4);
    memcpy(b + 16, h.dst ? h.dst : pb_v4_dst, 4);
    memset(b + 20, 0x01, n - 20); /* options: NOPs */
    return n;
}

size_t pb_put_ipv6(uint8_t *b, uint16_t payload_len, uint8_t next)
{
    pb_put32(b, UINT32_C(0x60000000) | (uint32_t)PB_V6_TCLASS << 20 | PB_V6_FLOW);
    pb_put16(b + 4, payload_len);
    b[6] = next;
    b[7] = PB_V6_HLIM;
    memcpy(b + 8, pb_v6_src, 16);
    memcpy(b + 24, pb_v6_dst, 16);
    return 40;
}

/* Hop-by-hop, routing or destination options header of (hdr_ext_len + 1) * 8 bytes. */
size_t pb_put_ext(uint8_t *b, uint8_t next, uint8_t hdr_ext_len)
{
    size_t n = ((size_t)hdr_ext_len + 1) * 8;

    memset(b, 0, n); /* options: Pad1; routing: type 0, segments left 0 */
    b[0] = next;
    b[1] = hdr_ext_len;
    return n;
}

size_t pb_put_frag6(uint8_t *b, uint8_t next, uint16_t offset_units, bool more, uint32_t id)
{
    b[0] = next;
    b[1] = 0;
    pb_put16(b + 2, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
    pb_put32(b + 4, id);
    return 8;
}

/* Authentication header of (payload_len + 2) * 4 bytes. */
size_t pb_put_ah(uint8_t *b, uint8_t next, uint8_t payload_len)
{
    size_t n = ((size_t)payload_len + 2) * 4;

    memset(b, 0x5a, n);
    b[0] = next;
    b[1] = payload_len;
    pb_put16(b + 2, 0);
    return n;
}

/* TCP header with NOP options up to the data offset. */
size_t pb_put_tcp(uint8_t *b, struct pb_tcp t)
{
    size_t n = (size_t)(t.doff ? t.doff : 5) * 4;

    pb_put16(b, t.sport);
    pb_put16(b + 2, t.dport);
    pb_put32(b + 4, t.seq);
    pb_put32(b + 8, t.ack);
    b[12] = (uint8_t)(n / 4 << 4);
    b[13] = t.flags;
    pb_put16(b + 14, t.window);
    pb_put16(b + 16, 0);
    pb_put16(b + 18, 0);
    if (n > 20)
        memset(b + 20, 0x01, n - 20);
    return n;
}

size_t pb_put_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint16_t len)
{
    pb_put16(b, sport);
    pb_put16(b + 2, dport);
    pb_put16(b + 4, len);
    pb_put16(b + 6, 0);
    return 8;
}

/* ICMP or ICMPv6 header: type, code, checksum and the 4-byte rest of header. */
size_t pb_put_icmp(uint8_t *b, uint8_t type, uint8_t code, uint32_t rest)
{
    b[0] = type;
    b[1] = code;
    pb_put16(b + 2, 0);
    pb_put32(b + 4, rest);
    return 8;
}

size_t pb_put_bytes(uint8_t *b, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(first + i);
    return n;
}

/* IPv4 + UDP 40000 -> 53 + 4 payload bytes: total length 20 + 8 + 4 = 32. */
size_t pb_put_v4_udp(uint8_t *b)
{
    size_t n = pb_put_ipv4(b, (struct pb_v4){.total_len = 32, .proto = 17});

    n += pb_put_udp(b + n, 40000, 53, 12);
    return n + pb_put_bytes(b + n, 4, 0xd0);
}

/* IPv6 + UDP 40000 -> 53 + 4 payload bytes: payload length 8 + 4 = 12, 52 bytes in all. */
size_t pb_put_v6_udp(uint8_t *b)
{
    size_t n = pb_put_ipv6(b, 12, 17);

    n += pb_put_udp(b + n, 40000, 53, 12);
    return n + pb_put_bytes(b + n, 4, 0xd0);
}

/* IPv4 + TCP 51234 -> 443, ACK, no options, no payload: total length 40. */
size_t pb_put_v4_tcp(uint8_t *b)
{
    size_t n = pb_put_ipv4(b, (struct pb_v4){.total_len = 40, .proto = 6});

    return n + pb_put_tcp(b + n, (struct pb_tcp){.sport = 51234,
                                                 .dport = 443,
                                                 .seq = 1000,
                                                 .ack = 2000,
                                                 .flags = 0x10,
                                                 .window = 502});
}

/* PPPoE session header (ver/type 0x11, code 0, session 0x1234, length) and PPP protocol. */
size_t pb_put_pppoe(uint8_t *b, uint16_t ppp_proto, uint16_t ip_len)
{
    b[0] = 0x11;
    b[1] = 0x00;
    pb_put16(b + 2, 0x1234);
    pb_put16(b + 4, (uint16_t)(2 + ip_len)); /* the PPP protocol field counts */
    pb_put16(b + 6, ppp_proto);
    return 8;
}

size_t pb_put_family(uint8_t *b, uint32_t family, bool big_endian)
{
    if (big_endian) {
        pb_put32(b, family);
    } else {
        b[0] = (uint8_t)family;
        b[1] = (uint8_t)(family >> 8);
        b[2] = (uint8_t)(family >> 16);
        b[3] = (uint8_t)(family >> 24);
    }
    return 4;
}

/* Ethernet, IPv6, hop-by-hop (8), routing (24), destination options (16), TCP (20), 5 bytes. */
size_t pb_put_v6_ext_tcp(uint8_t *f)
{
    size_t n = pb_put_eth(f, 0x86dd);

    n += pb_put_ipv6(f + n, 8 + 24 + 16 + 20 + 5, 0); /* payload length 73 */
    n += pb_put_ext(f + n, 43, 0);
    n += pb_put_ext(f + n, 60, 2);
    n += pb_put_ext(f + n, 6, 1);
    n += pb_put_tcp(f + n, (struct pb_tcp){.sport = 443,
                                           .dport = 51234,
                                           .seq = 7,
                                           .ack = 9,
                                           .flags = 0x18, /* PSH ACK */
                                           .window = 1024});
    n += pb_put_bytes(f + n, 5, 0x70);
    return n;
}

/* ---- Decoding under ASan: the decoder sees an exact-size heap copy of the capture. ---- */

static long offset_in(const uint8_t *base, uint32_t caplen, const uint8_t *p)
{
    uintptr_t b = (uintptr_t)base;
    uintptr_t q = (uintptr_t)p;

    if (p == NULL)
        return -1;
    if (q < b || q > b + caplen)
        return -2;
    return (long)(q - b);
}

/* What the contract promises for every OK packet, whatever its kind. */
static void check_invariants(const struct pb_dec *d, uint32_t caplen, uint32_t wirelen)
{
    assert_int_equal(d->p.ts_us, PB_TS_US);
    assert_int_equal(d->p.caplen, caplen);
    assert_int_equal(d->p.wirelen, wirelen);
    if (!d->p.has_ports) {
        assert_int_equal(d->p.sport, 0);
        assert_int_equal(d->p.dport, 0);
        return;
    }
    assert_true(d->p.payload_caplen <= d->p.payload_bytes);
    if (d->p.payload_caplen > 0) {
        assert_true(d->payload_at >= 0);
        assert_true((uint64_t)d->payload_at + d->p.payload_caplen <= caplen);
    }
    if (d->p.proto == FDXI_PROTO_TCP && d->p.tcp_options_caplen > 0) {
        assert_true(d->p.tcp_options_caplen <= d->p.tcp_hdr_bytes - 20);
        assert_true(d->options_at >= 0);
        assert_true((uint64_t)d->options_at + d->p.tcp_options_caplen <= caplen);
    }
}

struct pb_dec pb_decode_cut(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
    struct pb_dec d;
    uint8_t *copy = malloc(caplen);

    assert_true(caplen == 0 || copy != NULL);
    if (caplen > 0)
        memcpy(copy, frame, caplen);
    /* A field the decoder forgets to set keeps this pattern and fails the checks. */
    memset(&d.p, 0xa5, sizeof d.p);
    d.res = fdxi_packet_decode(linktype, PB_TS_US, copy, caplen, wirelen, &d.p);
    d.options_at = offset_in(copy, caplen, d.p.tcp_options);
    d.payload_at = offset_in(copy, caplen, d.p.payload);
    d.p.tcp_options = NULL;
    d.p.payload = NULL;
    free(copy);
    if (d.res == FDXI_DEC_OK)
        check_invariants(&d, caplen, wirelen);
    return d;
}

struct pb_dec pb_decode(int linktype, const uint8_t *frame, size_t len)
{
    return pb_decode_cut(linktype, frame, (uint32_t)len, (uint32_t)len);
}

void pb_check_v4_addrs(const struct fdxi_packet *p, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t zero[12];

    assert_memory_equal(p->src, src, 4);
    assert_memory_equal(p->dst, dst, 4);
    assert_memory_equal(p->src + 4, zero, 12);
    assert_memory_equal(p->dst + 4, zero, 12);
}

void pb_check_v6_addrs(const struct fdxi_packet *p)
{
    assert_memory_equal(p->src, pb_v6_src, 16);
    assert_memory_equal(p->dst, pb_v6_dst, 16);
}

/* The frame of pb_put_v4_udp() after a link header of link_bytes. */
void pb_check_v4_udp(const struct pb_dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 4);
    assert_int_equal(d->p.proto, FDXI_PROTO_UDP);
    pb_check_v4_addrs(&d->p, pb_v4_src, pb_v4_dst);
    assert_int_equal(d->p.ip_len, 32);
    assert_int_equal(d->p.ip_hdr_bytes, 20);
    assert_int_equal(d->p.ttl, PB_V4_TTL);
    assert_int_equal(d->p.tos, PB_V4_TOS);
    assert_true(d->p.has_ports);
    assert_false(d->p.is_fragment);
    assert_int_equal(d->p.sport, 40000);
    assert_int_equal(d->p.dport, 53);
    assert_int_equal(d->p.payload_bytes, 4); /* 32 - 20 - 8 */
    assert_int_equal(d->p.payload_caplen, 4);
    assert_int_equal(d->payload_at, link_bytes + 28);
}

/* The frame of pb_put_v6_udp() after a link header of link_bytes. */
void pb_check_v6_udp(const struct pb_dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 6);
    assert_int_equal(d->p.proto, FDXI_PROTO_UDP);
    pb_check_v6_addrs(&d->p);
    assert_int_equal(d->p.ip_len, 52); /* 40 + 12 */
    assert_int_equal(d->p.ip_hdr_bytes, 40);
    assert_int_equal(d->p.ttl, PB_V6_HLIM);
    assert_int_equal(d->p.tos, PB_V6_TCLASS);
    assert_true(d->p.has_ports);
    assert_false(d->p.is_fragment);
    assert_int_equal(d->p.sport, 40000);
    assert_int_equal(d->p.dport, 53);
    assert_int_equal(d->p.payload_bytes, 4); /* 52 - 40 - 8 */
    assert_int_equal(d->p.payload_caplen, 4);
    assert_int_equal(d->payload_at, link_bytes + 48);
}

/* The frame of pb_put_v4_tcp() after a link header of link_bytes. */
void pb_check_v4_tcp(const struct pb_dec *d, unsigned link_bytes)
{
    assert_int_equal(d->res, FDXI_DEC_OK);
    assert_int_equal(d->p.link_hdr_bytes, link_bytes);
    assert_int_equal(d->p.ip_version, 4);
    assert_int_equal(d->p.proto, FDXI_PROTO_TCP);
    pb_check_v4_addrs(&d->p, pb_v4_src, pb_v4_dst);
    assert_int_equal(d->p.ip_len, 40);
    assert_int_equal(d->p.ip_hdr_bytes, 20);
    assert_true(d->p.has_ports);
    assert_int_equal(d->p.sport, 51234);
    assert_int_equal(d->p.dport, 443);
    assert_int_equal(d->p.tcp_seq, 1000);
    assert_int_equal(d->p.tcp_ack, 2000);
    assert_int_equal(d->p.tcp_flags, 0x10);
    assert_int_equal(d->p.tcp_hdr_bytes, 20);
    assert_int_equal(d->p.payload_bytes, 0);
}
