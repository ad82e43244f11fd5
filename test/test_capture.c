/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the capture reader on pcap files that each test writes with libpcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowdx/flowdx.h"
#include "scratch.h"

/*
 * Link types by their LINKTYPE_ numbers (tcpdump.org/linktypes.html), written out so that the
 * expected values do not come from the same <pcap/dlt.h> the reader uses.
 */
#define LT_EN10MB 1
#define LT_LINUX_SLL 113

/* pcap file layout (pcap-savefile(5)): a 24-byte file header, then a 16-byte header per record. */
#define FILE_HDR_BYTES 24
#define REC_HDR_BYTES 16

static const char *samples_dir; /* argv[1] */

/* One packet to write: time stamp fraction in microseconds or nanoseconds (file precision). */
struct pkt {
    long sec;
    long frac;
    const uint8_t *data;
    uint32_t caplen;
    uint32_t wirelen;
};

/* Write @p n packets as a pcap file with link type @p dlt and the given time stamp precision. */
static void write_pcap(const char *path, int dlt, int precision, const struct pkt *pkts, size_t n)
{
    pcap_t *p = pcap_open_dead_with_tstamp_precision(dlt, 65535, (u_int)precision);
    assert_non_null(p);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    if (d == NULL)
        fail_msg("pcap_dump_open(%s): %s", path, pcap_geterr(p));
    for (size_t i = 0; i < n; i++) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof(h));
        h.ts.tv_sec = pkts[i].sec;
        h.ts.tv_usec = pkts[i].frac; /* nanoseconds in a nanosecond file */
        h.caplen = pkts[i].caplen;
        h.len = pkts[i].wirelen;
        pcap_dump((u_char *)d, &h, pkts[i].data);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* Three packets of distinct lengths and contents, 60 captured bytes each. */
#define THREE_CAPLEN 60
static uint8_t three_data[3][THREE_CAPLEN];

static void three_packets(struct pkt pkts[3])
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < THREE_CAPLEN; j++)
            three_data[i][j] = (uint8_t)(i * 31 + j * 7 + 1);
    }
    /* The second packet was cut by the snap length: 1514 bytes on the wire, 60 captured. */
    pkts[0] = (struct pkt){1700000000, 123456, three_data[0], THREE_CAPLEN, THREE_CAPLEN};
    pkts[1] = (struct pkt){1700000001, 0, three_data[1], THREE_CAPLEN, 1514};
    pkts[2] = (struct pkt){1700000002, 999999, three_data[2], THREE_CAPLEN, 64};
}

/* Size of the three-packet file: 24 + 3 * (16 + 60) = 252 bytes. */
#define THREE_FILE_BYTES 252
/* Offset of the third record: 24 + 2 * (16 + 60) = 176. */
#define THIRD_RECORD_OFFSET 176

static void write_three(const char *path)
{
    struct pkt pkts[3];
    three_packets(pkts);
    write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, pkts, 3);
    assert_int_equal(file_size(path), THREE_FILE_BYTES);
}

static fdx_capture *open_ok(const char *path, const char *bpf)
{
    char err[512] = "";
    fdx_capture *cap = NULL;
    int rc = fdx_capture_open_file(path, bpf, &cap, err, sizeof(err));
    if (rc != 0)
        fail_msg("fdx_capture_open_file(%s): %d %s", path, rc, err);
    assert_non_null(cap);
    return cap;
}

/* Open must fail with @p want; the message goes to @p err and ret_capture stays untouched. */
static void open_fails(const char *path, const char *bpf, int want, char *err, size_t errlen)
{
    fdx_capture *cap = NULL;
    err[0] = '\0';
    int rc = fdx_capture_open_file(path, bpf, &cap, err, errlen);
    if (rc != want)
        fail_msg("%s: expected %d, got %d (%s)", path, want, rc, err);
    assert_null(cap);
    assert_true(strlen(err) > 0);
}

/* ---- Reading ---- */

static void test_capture_reads_packets_with_exact_fields(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "three.pcap", path, sizeof(path));
    write_three(path);

    fdx_capture *cap = open_ok(path, NULL);
    assert_int_equal(fdx_capture_linktype(cap), LT_EN10MB);
    /* sec * 1000000 + usec, by hand. */
    const uint64_t want_ts[3] = {UINT64_C(1700000000123456), UINT64_C(1700000001000000),
                                 UINT64_C(1700000002999999)};
    const uint32_t want_wire[3] = {60, 1514, 64};
    struct fdx_capture_packet pkt;
    char err[256] = "";
    for (int i = 0; i < 3; i++) {
        memset(&pkt, 0, sizeof(pkt));
        assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
        assert_int_equal(pkt.ts_us, want_ts[i]);
        assert_int_equal(pkt.caplen, THREE_CAPLEN);
        assert_int_equal(pkt.wirelen, want_wire[i]);
        assert_non_null(pkt.data);
        assert_memory_equal(pkt.data, three_data[i], THREE_CAPLEN);
    }
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 0);
    fdx_capture_free(cap);
}

static void test_capture_scales_nanosecond_pcap_down_to_microseconds(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "nano.pcap", path, sizeof(path));
    uint8_t data[20] = {0};
    /*
     * pcap_open_offline(3PCAP): time stamps of another precision "will be scaled up or down as
     * necessary"; libpcap's sf-pcap.c scales down with tv_usec / 1000, an integer division,
     * so nanoseconds are truncated, not rounded: 123456789 ns -> 123456 us, and 999999999 ns
     * -> 999999 us (rounding would give 1000000, the next second).
     */
    const struct pkt pkts[2] = {
        {1700000000, 123456789, data, sizeof(data), sizeof(data)},
        {1700000000, 999999999, data, sizeof(data), sizeof(data)},
    };
    write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, pkts, 2);

    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 1);
    assert_int_equal(pkt.ts_us, UINT64_C(1700000000123456));
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 1);
    assert_int_equal(pkt.ts_us, UINT64_C(1700000000999999));
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 0);
    fdx_capture_free(cap);
}

static void test_capture_reports_link_type(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "sll.pcap", path, sizeof(path));
    uint8_t data[16] = {0};
    const struct pkt pkts[1] = {{1700000000, 0, data, sizeof(data), sizeof(data)}};
    write_pcap(path, DLT_LINUX_SLL, PCAP_TSTAMP_PRECISION_MICRO, pkts, 1);

    fdx_capture *cap = open_ok(path, NULL);
    assert_int_equal(fdx_capture_linktype(cap), LT_LINUX_SLL);
    fdx_capture_free(cap);
}

static void test_capture_reads_bundled_pcapng(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/spam/ndpi/smtps.pcapng", samples_dir);
    fdx_capture *cap = open_ok(path, NULL);
    /* Ethernet per samples/SOURCES.md and `capinfos` ("Encapsulation = Ethernet (1 - ether)"). */
    assert_int_equal(fdx_capture_linktype(cap), LT_EN10MB);
    /*
     * `tshark -r smtps.pcapng -T fields -e frame.time_epoch -e frame.cap_len -e frame.len`
     * lists 4 frames (as SOURCES.md and `capinfos` say): 1614938504.972279 66/66,
     * 1614938505.205257 66/66, 1614938505.342085 571/571, 1614938505.439757 233/233.
     */
    const uint64_t want_ts[4] = {UINT64_C(1614938504972279), UINT64_C(1614938505205257),
                                 UINT64_C(1614938505342085), UINT64_C(1614938505439757)};
    const uint32_t want_len[4] = {66, 66, 571, 233};
    struct fdx_capture_packet pkt;
    char err[256] = "";
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
        assert_int_equal(pkt.ts_us, want_ts[i]);
        assert_int_equal(pkt.caplen, want_len[i]);
        assert_int_equal(pkt.wirelen, want_len[i]);
    }
    int rc = fdx_capture_next(cap, &pkt, err, sizeof(err));
    if (rc != 0)
        fail_msg("expected the end after 4 packets, got %d (%s)", rc, err);
    fdx_capture_free(cap);
}

static void test_capture_progress_reaches_file_size(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "three.pcap", path, sizeof(path));
    write_three(path);

    fdx_capture *cap = open_ok(path, NULL);
    uint64_t done = 1, total = 0;
    fdx_capture_progress(cap, &done, &total);
    assert_int_equal(total, THREE_FILE_BYTES);
    assert_true(done <= total);
    struct fdx_capture_packet pkt;
    int n = 0;
    while (fdx_capture_next(cap, &pkt, NULL, 0) == 1)
        n++;
    assert_int_equal(n, 3);
    fdx_capture_progress(cap, &done, &total);
    assert_true(done > 0);
    /* Every byte of the file has been consumed at the end. */
    assert_int_equal(done, THREE_FILE_BYTES);
    assert_int_equal(total, THREE_FILE_BYTES);
    fdx_capture_free(cap);
}

/* ---- Filters ---- */

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (no options) + an 8-byte UDP or 20-byte TCP header; returns the frame size. */
static uint32_t build_frame(uint8_t *f, uint8_t proto)
{
    const uint32_t l4 = proto == 6 ? 20 : 8;
    memset(f, 0, 14 + 20 + l4);
    memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4));
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, "\xc0\x00\x02\x01\xc6\x33\x64\x02", 8); /* 192.0.2.1 -> 198.51.100.2 */
    uint8_t *l = ip + 20;
    put16(l, 40000);
    put16(l + 2, proto == 6 ? 443 : 53);
    if (proto == 6) {
        l[12] = 0x50; /* data offset 5 words */
        l[13] = 0x02; /* SYN */
    } else {
        put16(l + 4, 8);
    }
    return 14 + 20 + l4;
}

static void test_capture_filter_keeps_only_matching_packets(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "mixed.pcap", path, sizeof(path));
    uint8_t udp[64], tcp[64];
    uint32_t udp_len = build_frame(udp, 17);
    uint32_t tcp_len = build_frame(tcp, 6);
    assert_int_equal(udp_len, 42);
    assert_int_equal(tcp_len, 54);
    const struct pkt pkts[3] = {
        {1700000000, 1, udp, udp_len, udp_len},
        {1700000000, 2, tcp, tcp_len, tcp_len},
        {1700000000, 3, udp, udp_len, udp_len},
    };
    write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, pkts, 3);

    /* Without a filter all three come back: the file itself is fine. */
    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    int n = 0;
    while (fdx_capture_next(cap, &pkt, NULL, 0) == 1)
        n++;
    assert_int_equal(n, 3);
    fdx_capture_free(cap);

    cap = open_ok(path, "tcp");
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 1);
    assert_int_equal(pkt.ts_us, UINT64_C(1700000000000002));
    assert_int_equal(pkt.caplen, tcp_len);
    assert_memory_equal(pkt.data, tcp, tcp_len);
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 0);
    fdx_capture_free(cap);
}

static void test_capture_rejects_bad_filter(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "three.pcap", path, sizeof(path));
    write_three(path);
    char err[512];
    open_fails(path, "tcp port banana", FDX_EINVAL, err, sizeof(err));
    assert_contains(err, "tcp port banana");
}

/* A filter is checked without a capture: valid when one decoded link type compiles it. */
static void test_capture_check_filter_without_a_capture(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(fdx_capture_check_filter("tcp port 25 or udp port 53", err, sizeof(err)), 0);
    /* link-layer primitives: Ethernet compiles "ether host", raw IP does not; either is enough */
    assert_int_equal(fdx_capture_check_filter("ether host 00:11:22:33:44:55", err, sizeof(err)), 0);
    assert_int_equal(fdx_capture_check_filter("", err, sizeof(err)), 0); /* tcpdump: all */
    assert_int_equal(fdx_capture_check_filter("tcp port banana", err, sizeof(err)), FDX_EINVAL);
    assert_contains(err, "filter 'tcp port banana': ");
    assert_int_equal(fdx_capture_check_filter("port", NULL, 0), FDX_EINVAL);
    assert_int_equal(fdx_capture_check_filter(NULL, err, sizeof(err)), FDX_EINVAL);
}

/* Append pcapng block @p type with @p body (a multiple of 4 bytes) to @p fp. */
static void pcapng_block(FILE *fp, uint32_t type, const void *body, uint32_t len)
{
    uint32_t total = 12 + len;
    assert_int_equal(fwrite(&type, 4, 1, fp), 1);
    assert_int_equal(fwrite(&total, 4, 1, fp), 1);
    assert_int_equal(fwrite(body, 1, len, fp), len);
    assert_int_equal(fwrite(&total, 4, 1, fp), 1);
}

/* pcapng's if_tsoffset (option 14 of the interface block: seconds added to every time) of -10 on a
 * packet at 1 s puts it at -9 s, before 1970 (tshark -T fields -e frame.time_epoch prints
 * -9.000000000). It reads as time 0, not as 2^64 - 9 s in microseconds; 10 s later reads as 1 s. */
static void test_capture_time_before_1970_reads_as_0(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "offset.pcapng", path, sizeof(path));
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    /* host byte order: the section's byte order magic says which */
    uint8_t shb[16];
    uint32_t magic = 0x1A2B3C4D;
    uint16_t version[2] = {1, 0};
    int64_t section_len = -1;
    memcpy(shb, &magic, 4);
    memcpy(shb + 4, version, 4);
    memcpy(shb + 8, &section_len, 8);
    pcapng_block(fp, 0x0A0D0D0A, shb, sizeof(shb));
    uint8_t idb[24];
    uint16_t linktype[2] = {DLT_EN10MB, 0}, opt[2] = {14, 8}, end[2] = {0, 0};
    uint32_t snaplen = 65535;
    int64_t offset = -10;
    memcpy(idb, linktype, 4);
    memcpy(idb + 4, &snaplen, 4);
    memcpy(idb + 8, opt, 4);
    memcpy(idb + 12, &offset, 8);
    memcpy(idb + 20, end, 4);
    pcapng_block(fp, 1, idb, sizeof(idb));
    struct pkt pkts[3];
    three_packets(pkts);
    static const uint64_t times_us[2] = {1000000, 11000000};
    for (int i = 0; i < 2; i++) {
        uint8_t epb[20 + THREE_CAPLEN + 4] = {0};
        uint32_t head[5] = {0, (uint32_t)(times_us[i] >> 32), (uint32_t)times_us[i], pkts[0].caplen,
                            pkts[0].wirelen};
        memcpy(epb, head, 20);
        memcpy(epb + 20, pkts[0].data, pkts[0].caplen);
        pcapng_block(fp, 6, epb, 20 + ((pkts[0].caplen + 3) & ~3u));
    }
    assert_int_equal(fclose(fp), 0);
    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 1);
    assert_true(pkt.ts_us == 0);
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 1);
    assert_true(pkt.ts_us == 1000000);
    assert_int_equal(fdx_capture_next(cap, &pkt, NULL, 0), 0);
    fdx_capture_free(cap);
}

/* ---- Damaged and wrong files ---- */

static void test_capture_stops_at_packet_cut_in_its_data(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "cut.pcap", path, sizeof(path));
    write_three(path);
    /* Keep the third record's header and 30 of its 60 data bytes. */
    assert_int_equal(truncate(path, THIRD_RECORD_OFFSET + REC_HDR_BYTES + 30), 0);

    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    char err[512] = "";
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    assert_int_equal(pkt.ts_us, UINT64_C(1700000000123456));
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    assert_int_equal(pkt.ts_us, UINT64_C(1700000001000000));
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), FDX_ETRUNC);
    assert_contains(err, path);
    assert_contains(err, "packet 3");
    fdx_capture_free(cap);
}

static void test_capture_stops_at_packet_cut_in_its_header(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "cut.pcap", path, sizeof(path));
    write_three(path);
    /* Keep 8 of the third record's 16 header bytes. */
    assert_int_equal(truncate(path, THIRD_RECORD_OFFSET + 8), 0);

    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    char err[512] = "";
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), FDX_ETRUNC);
    assert_contains(err, path);
    assert_contains(err, "packet 3");
    fdx_capture_free(cap);
}

static void test_capture_reports_corrupt_record_length(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "bad-len.pcap", path, sizeof(path));
    write_three(path);
    /* The third record's caplen field (bytes 8-11 of its header) becomes 0xffffffff. */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, THIRD_RECORD_OFFSET + 8, SEEK_SET), 0);
    assert_int_equal(fwrite("\xff\xff\xff\xff", 1, 4, fp), 4);
    assert_int_equal(fclose(fp), 0);

    fdx_capture *cap = open_ok(path, NULL);
    struct fdx_capture_packet pkt;
    char err[512] = "";
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), 1);
    /* The header documents FDX_EFORMAT for a corrupt record header. */
    assert_int_equal(fdx_capture_next(cap, &pkt, err, sizeof(err)), FDX_EFORMAT);
    assert_contains(err, path);
    assert_contains(err, "packet 3");
    fdx_capture_free(cap);
}

static void test_capture_rejects_truncated_file_header(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "hdr.pcap", path, sizeof(path));
    write_three(path);
    assert_int_equal(truncate(path, 10), 0); /* 10 of the 24 file-header bytes */
    char err[512];
    open_fails(path, NULL, FDX_ETRUNC, err, sizeof(err));
    assert_contains(err, path);
    assert_contains(err, "a pcap capture cut in its file header (10 of 24 bytes)");
}

static void test_capture_reports_missing_file(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "no-such.pcap", path, sizeof(path));
    char err[512];
    open_fails(path, NULL, FDX_ENOENT, err, sizeof(err));
    assert_contains(err, path);
    fdx_capture_free(NULL);
}

static void test_capture_rejects_directory(void **state)
{
    const struct scratch *s = *state;
    char err[512];
    /* read(2) of a directory fails (EISDIR): the header's "unreadable" case, FDX_EIO. */
    open_fails(s->dir, NULL, FDX_EIO, err, sizeof(err));
    assert_contains(err, s->dir);
}

static void test_capture_rejects_empty_file(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "empty.pcap", path, sizeof(path));
    scratch_write(path, "", 0);
    char err[512];
    open_fails(path, NULL, FDX_ETRUNC, err, sizeof(err));
    assert_contains(err, path);
}

/* pcapng's Section Header Block type (0a0d0d0a) alone: a capture cut in its file header, whose
 * smallest form is 28 bytes (block type, length, byte-order magic, version, section length,
 * length again). */
static void test_capture_pcapng_header_cut_is_truncated(void **state)
{
    char path[PATH_MAX], err[512];
    scratch_path(*state, "cut.pcapng", path, sizeof(path));
    scratch_write(path, "\x0a\x0d\x0d\x0a", 4);
    open_fails(path, NULL, FDX_ETRUNC, err, sizeof(err));
    assert_contains(err, "a pcapng capture cut in its file header (4 of 28 bytes)");
}

static void test_capture_rejects_text_file(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "notes.txt", path, sizeof(path));
    static const char text[] = "This is a text file, not a packet capture.\n";
    scratch_write(path, text, sizeof(text) - 1);
    char err[512];
    open_fails(path, NULL, FDX_EFORMAT, err, sizeof(err));
    assert_contains(err, path);
}

static void test_capture_tolerates_missing_or_tiny_errbuf(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "no-such.pcap", path, sizeof(path));
    fdx_capture *cap = NULL;
    assert_int_equal(fdx_capture_open_file(path, NULL, &cap, NULL, 0), FDX_ENOENT);
    assert_null(cap);
    /* A short buffer gets a terminated prefix; the byte after it stays as it was. */
    char small[9];
    memset(small, 'x', sizeof(small));
    assert_int_equal(fdx_capture_open_file(path, NULL, &cap, small, 8), FDX_ENOENT);
    assert_null(cap);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(small[8], 'x');
}

static void test_capture_has_no_stats_for_a_file(void **state)
{
    char path[PATH_MAX];
    scratch_path(*state, "header-only.pcap", path, sizeof(path));
    write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, NULL, 0); /* file header alone */
    fdx_capture *c = NULL;
    assert_int_equal(fdx_capture_open_file(path, NULL, &c, NULL, 0), 0);
    struct fdx_capture_stats s = {.struct_size = sizeof(s), .packets = 42};
    assert_int_equal(fdx_capture_stats(c, &s), FDX_ENOTSUP);
    assert_int_equal(s.packets, 42); /* untouched */
    struct fdx_capture_stats unset = {.packets = 42}; /* struct_size 0: not set */
    assert_int_equal(fdx_capture_stats(c, &unset), FDX_EINVAL);
    assert_int_equal(unset.packets, 42);
    fdx_capture_free(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SAMPLES_DIR\n", argv[0]);
        return 2;
    }
    samples_dir = argv[1];
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
    const struct CMUnitTest tests[] = {
        T(test_capture_reads_packets_with_exact_fields),
        T(test_capture_scales_nanosecond_pcap_down_to_microseconds),
        T(test_capture_reports_link_type),
        cmocka_unit_test(test_capture_reads_bundled_pcapng),
        T(test_capture_progress_reaches_file_size),
        T(test_capture_filter_keeps_only_matching_packets),
        T(test_capture_rejects_bad_filter),
        cmocka_unit_test(test_capture_check_filter_without_a_capture),
        T(test_capture_time_before_1970_reads_as_0),
        T(test_capture_stops_at_packet_cut_in_its_data),
        T(test_capture_stops_at_packet_cut_in_its_header),
        T(test_capture_reports_corrupt_record_length),
        T(test_capture_rejects_truncated_file_header),
        T(test_capture_reports_missing_file),
        T(test_capture_rejects_directory),
        T(test_capture_rejects_empty_file),
        T(test_capture_pcapng_header_cut_is_truncated),
        T(test_capture_rejects_text_file),
        T(test_capture_tolerates_missing_or_tiny_errbuf),
        T(test_capture_has_no_stats_for_a_file),
    };
#undef T
    return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
