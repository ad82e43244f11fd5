/* SPDX-License-Identifier: BSD-3-Clause */
/* Bare libpcap read loop over a capture file: the floor cost any pcap-reading tool pays. */

/* pcap.h needs the BSD type names (u_char, u_int), which strict C11 hides without this. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PROG "fdx-bench-readloop"

static void usage(FILE *out)
{
    fputs("Usage: " PROG " FILE\n"
          "\n"
          "Read every packet of the capture FILE with pcap_next_ex() and nothing else,\n"
          "then print 'packets=N' and 'bytes=M' (captured bytes). This is the least work\n"
          "any tool reading the file through libpcap does.\n",
          out);
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, bytes = 0;
    pcap_t *pc;
    int rc;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    pc = pcap_open_offline(argv[1], errbuf);
    if (pc == NULL) {
        fprintf(stderr, PROG ": cannot read capture '%s': %s\n", argv[1], errbuf);
        return 1;
    }
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->caplen;
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, PROG ": '%s': read error after %" PRIu64 " packets: %s\n", argv[1], packets,
                pcap_geterr(pc));
        pcap_close(pc);
        return 1;
    }
    pcap_close(pc);
    printf("packets=%" PRIu64 "\nbytes=%" PRIu64 "\n", packets, bytes);
    return 0;
}
