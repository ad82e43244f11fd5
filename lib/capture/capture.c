/* SPDX-License-Identifier: BSD-3-Clause */
/* Reads pcap and pcapng captures through libpcap, with located errors for bad files. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture.h"

#define IO_BUFFER_BYTES (1u << 20)

void fdx_capture_free(fdx_capture *c)
{
    if (c == NULL)
        return;
    if (c->pcap != NULL)
        pcap_close(c->pcap); /* also closes the FILE it was opened on */
    free(c->iobuf);
    free(c->path);
    free(c);
}

/* The bytes of a file header that begins with the magic number of @p path, or 0 when the file
 * does not begin with one: 24 for pcap, 28 for pcapng's smallest Section Header Block. */
static uint64_t header_bytes_of(const char *path)
{
    unsigned char m[4];
    FILE *fp = fopen(path, "rb");
    size_t n = fp != NULL ? fread(m, 1, sizeof(m), fp) : 0;
    if (fp != NULL)
        fclose(fp);
    if (n < sizeof(m))
        return 0;
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    uint32_t le = (uint32_t)m[3] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[1] << 8 | m[0];
    if (be == 0x0A0D0D0Au)
        return 28;
    /* microsecond and nanosecond pcap, in either byte order */
    if (be == 0xA1B2C3D4u || be == 0xA1B23C4Du || le == 0xA1B2C3D4u || le == 0xA1B23C4Du)
        return 24;
    return 0;
}

static int open_stream(fdx_capture *c, const char *path, char *errbuf, size_t errlen)
{
    FILE *fp;
    bool regular = false; /* a regular file, which can be opened again to read its magic */
    if (strcmp(path, "-") == 0) {
        fp = stdin;
    } else {
        struct stat st;
        if (stat(path, &st) != 0) {
            int err = errno;
            snprintf(errbuf, errlen, "%s: %s", path, strerror(err));
            return err == ENOENT ? FDX_ENOENT : FDX_EIO;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(errbuf, errlen, "%s: is a directory, not a capture file", path);
            return FDX_EIO;
        }
        if (S_ISREG(st.st_mode)) {
            c->size_bytes = (uint64_t)st.st_size;
            regular = true;
        }
        fp = fopen(path, "rb");
        if (fp == NULL) {
            snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
            return FDX_EIO;
        }
    }
    /* Large reads: fewer system calls than stdio's default buffer of a few KiB. Not for standard
     * input, which outlives this capture. */
    if (fp != stdin && (c->iobuf = malloc(IO_BUFFER_BYTES)) != NULL)
        setvbuf(fp, c->iobuf, _IOFBF, IO_BUFFER_BYTES);
    if (c->size_bytes == 0 && regular) {
        /* A size of 0 is an empty file, or one whose size stat does not give (/proc): a byte
         * tells them apart. */
        int ch = getc(fp);
        if (ch == EOF) {
            fclose(fp);
            /* a capture being written, or rotated, that has no byte yet */
            snprintf(errbuf, errlen, "%s: empty file, no capture header", path);
            return FDX_ETRUNC;
        }
        ungetc(ch, fp);
        regular = false; /* its size is not known: read it as a stream */
    }
    char pe[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, pe);
    if (c->pcap == NULL) {
        if (fp != stdin)
            fclose(fp);
        const char *what = strcmp(path, "-") == 0 ? "standard input" : path;
        uint64_t want = regular ? header_bytes_of(path) : 0;
        if (want > 0 && c->size_bytes < want) { /* a capture cut inside its file header */
            snprintf(errbuf, errlen, "%s: a %s capture cut in its file header (%llu of %llu bytes)",
                     what, want == 28 ? "pcapng" : "pcap", (unsigned long long)c->size_bytes,
                     (unsigned long long)want);
            return FDX_ETRUNC;
        }
        snprintf(errbuf, errlen, "%s: not a pcap or pcapng capture (libpcap: %s)", what, pe);
        return FDX_EFORMAT;
    }
    return 0;
}

int fdxi_capture_set_filter(fdx_capture *c, const char *bpf, uint32_t netmask, char *errbuf,
                            size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(c->pcap, &prog, bpf, 1, netmask) != 0) {
        snprintf(errbuf, errlen, "%s: filter '%s': %s", c->path, bpf, pcap_geterr(c->pcap));
        return FDX_EINVAL;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: filter '%s': %s", c->path, bpf, pcap_geterr(c->pcap));
        return FDX_EINVAL;
    }
    return 0;
}

int fdx_capture_check_filter(const char *bpf, char *errbuf, size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    if (bpf == NULL) {
        snprintf(errbuf, errlen, "fdx_capture_check_filter: NULL argument");
        return FDX_EINVAL;
    }
    /* The link types flowdx decodes; a filter is valid when one of them takes it ("ether host"
     * compiles for Ethernet only, "wlan" for none of them). The message is Ethernet's. */
    static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL};
    char first[PCAP_ERRBUF_SIZE + 64] = "";
    for (size_t i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++) {
        pcap_t *p = pcap_open_dead(linktypes[i], 262144);
        if (p == NULL) {
            snprintf(errbuf, errlen, "filter '%s': out of memory", bpf);
            return FDX_ENOMEM;
        }
        struct bpf_program prog;
        /* with a netmask, as a live capture has its interface's ("ip broadcast" needs one) */
        int rc = pcap_compile(p, &prog, bpf, 1, 0xFFFFFF00u);
        if (rc == 0)
            pcap_freecode(&prog);
        else if (i == 0)
            snprintf(first, sizeof(first), "%s", pcap_geterr(p));
        pcap_close(p);
        if (rc == 0)
            return 0;
    }
    snprintf(errbuf, errlen, "filter '%s': %s", bpf, first);
    return FDX_EINVAL;
}

int fdx_capture_open_file(const char *path, const char *bpf, fdx_capture **ret_capture,
                          char *errbuf, size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    if (path == NULL || ret_capture == NULL) {
        snprintf(errbuf, errlen, "fdx_capture_open_file: NULL argument");
        return FDX_EINVAL;
    }
    fdx_capture *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->path = strdup(path)) == NULL) {
        free(c);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return FDX_ENOMEM;
    }
    int rc = open_stream(c, path, errbuf, errlen);
    if (rc == 0 && bpf != NULL && bpf[0] != '\0')
        rc = fdxi_capture_set_filter(c, bpf, PCAP_NETMASK_UNKNOWN, errbuf, errlen);
    if (rc < 0) {
        fdx_capture_free(c);
        return rc;
    }
    *ret_capture = c;
    return 0;
}

enum fdxi_capture_read fdxi_capture_read(fdx_capture *c, struct fdx_capture_packet *ret_pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->pcap, &h, &data);
    if (rc == 1) {
        c->packets++;
        /* A pcapng interface's if_tsoffset can put a time before 1970 (tshark prints it
         * negative): it reads as 0, and one past year 584,000 as the largest time. */
        if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0)
            ret_pkt->ts_us = 0;
        else if ((uint64_t)h->ts.tv_sec >= UINT64_MAX / 1000000u)
            ret_pkt->ts_us = UINT64_MAX / 1000000u * 1000000u;
        else
            ret_pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        ret_pkt->caplen = h->caplen;
        ret_pkt->wirelen = h->len;
        ret_pkt->data = data;
        return FDXI_READ_PACKET;
    }
    /* A read interrupted by a signal whose handler called fdx_capture_break() is the end the
     * caller asked for, not damage. */
    if (rc == PCAP_ERROR_BREAK || c->stop)
        return FDXI_READ_END;
    return rc == 0 ? FDXI_READ_NONE : FDXI_READ_ERROR;
}

int fdx_capture_next(fdx_capture *c, struct fdx_capture_packet *ret_pkt, char *errbuf,
                     size_t errlen)
{
    if (c->stop)
        return 0;
    if (c->live)
        return fdxi_capture_next_live(c, ret_pkt, errbuf, errlen);
    switch (fdxi_capture_read(c, ret_pkt)) {
    case FDXI_READ_PACKET:
        return 1;
    case FDXI_READ_END:
    case FDXI_READ_NONE: /* not from a file */
        return 0;
    case FDXI_READ_ERROR:
        break;
    }
    const char *msg = pcap_geterr(c->pcap);
    const char *what = strcmp(c->path, "-") == 0 ? "standard input" : c->path;
    if (errbuf != NULL && errlen > 0)
        snprintf(errbuf, errlen, "%s: packet %llu: %s", what, (unsigned long long)c->packets + 1,
                 msg);
    /* After a good header, every read failure is damage to the file: cut short, or a record
     * header libpcap cannot believe (e.g. an impossible capture length). */
    return strstr(msg, "truncated") != NULL ? FDX_ETRUNC : FDX_EFORMAT;
}

void fdx_capture_break(fdx_capture *c)
{
    c->stop = 1;
    pcap_breakloop(c->pcap);
}

int fdx_capture_linktype(const fdx_capture *c)
{
    return pcap_datalink(c->pcap);
}

void fdx_capture_progress(const fdx_capture *c, uint64_t *ret_done_bytes, uint64_t *ret_total_bytes)
{
    FILE *fp = pcap_file(c->pcap);
    long long pos = fp != NULL && fp != stdin ? (long long)ftello(fp) : -1;
    *ret_done_bytes = pos > 0 ? (uint64_t)pos : 0;
    *ret_total_bytes = c->size_bytes;
}
