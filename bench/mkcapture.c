/* SPDX-License-Identifier: BSD-3-Clause */
/* Builds a large benchmark pcap by replicating Ethernet captures with shifted IP addresses. */

/* pcap.h needs the BSD type names (u_char, u_int), which strict C11 hides without this. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkcapture.h"

#define PROG "fdx-bench-mkcapture"

/* Every (replica, input) stream gets its own value in a 16-bit address field. */
#define MAX_STREAMS 65536u
#define DEFAULT_SPREAD_US 1000u
#define MAX_SPREAD_US 3600000000u
#define MIN_SNAPLEN 65535u
#define US_PER_S 1000000u

/* One packet read from an input; its bytes live in the corpus arena. */
struct pkt {
    uint64_t rel_us; /**< time since the earliest packet of its input, microseconds */
    uint64_t off;    /**< offset of the captured bytes in the arena */
    uint32_t caplen; /**< captured bytes */
    uint32_t len;    /**< bytes on the wire */
};

/* One input capture that was accepted. */
struct input {
    const char *path;   /**< borrowed from argv */
    size_t first;       /**< index of its first packet in corpus.pkts */
    size_t count;       /**< number of packets */
    uint64_t origin_us; /**< earliest timestamp, microseconds since the epoch */
};

/* Every packet of every accepted input, kept in memory for replication. */
struct corpus {
    struct pkt *pkts;
    size_t npkts;
    size_t cap_pkts;
    unsigned char *arena;
    size_t arena_bytes;
    size_t arena_cap;
    struct input *inputs;
    size_t ninputs;
    size_t cap_inputs;
    size_t nskipped;
    uint32_t max_caplen; /**< largest captured length seen, bytes */
    uint32_t snaplen;    /**< snapshot length for the output, bytes */
};

/* One replica of one input, positioned on its next packet. */
struct stream {
    uint64_t next_us; /**< output timestamp of the next packet */
    uint32_t id;      /**< replica * ninputs + input; also the address shift */
    size_t pos;       /**< index of the next packet within the input */
};

struct options {
    const char *output;
    uint64_t replicas;
    uint64_t target_packets;
    uint64_t spread_us;
    uint64_t max_gap_us; /**< 0 keeps every gap */
    bool skip_other_links;
    bool quiet;
};

/* A packet's time and position, for visiting an input in time order. */
struct timed_index {
    uint64_t t_us;
    size_t idx;
};

/* What the output capture contains. */
struct summary {
    uint64_t packets;
    uint64_t caplen_bytes; /**< captured bytes */
    uint64_t first_us;     /**< first output timestamp, microseconds since the epoch */
    uint64_t last_us;      /**< last output timestamp, microseconds since the epoch */
    uint64_t flows;        /**< distinct bidirectional 5-tuples */
    uint64_t expected_flows;
    uint64_t peak_flows;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: " PROG " -o OUT [-n REPLICAS | -p PACKETS] [-s US] [-g US] [-k] [-q] INPUT...\n"
        "\n"
        "Build one large pcap from Ethernet captures for benchmarking. Each INPUT is\n"
        "replicated; every (replica, input) pair is a stream whose IPv4 addresses have\n"
        "the stream number added to octets 2-3 and whose IPv6 addresses have it added\n"
        "to bytes 2-3, so all streams are distinct flows (IP, TCP, UDP and ICMPv6\n"
        "checksums are updated). Every input starts at the earliest input timestamp;\n"
        "replica r starts r * SPREAD_US later, and all streams are merged in time order,\n"
        "so flows of many replicas are open at once. Other bytes are unchanged.\n"
        "\n"
        "  -o, --output FILE          write the pcap here ('-' for standard output)\n"
        "  -n, --replicas N           number of replicas (default 1)\n"
        "  -p, --packets N            choose the fewest replicas giving at least N packets\n"
        "  -s, --spread-us US         start offset between replicas, microseconds (default %u)\n"
        "  -g, --max-gap-us US        shorten longer silences within an input to US\n"
        "                             microseconds (default 0: keep them)\n"
        "  -k, --skip-other-links     skip inputs that are not Ethernet instead of failing\n"
        "  -q, --quiet                do not print the summary\n"
        "  -h, --help                 show this help\n"
        "\n"
        "The summary (key=value lines, on standard output, or standard error when OUT is\n"
        "'-') gives packets, distinct flows and the peak number of flows open at once,\n"
        "a flow being open from its first to its last packet.\n",
        DEFAULT_SPREAD_US);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
    char *end = NULL;
    unsigned long long v;

    if (s[0] == '-' || s[0] == '+' || s[0] == '\0') {
        goto bad;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        goto bad;
    }
    *ret = (uint64_t)v;
    return 0;
bad:
    fprintf(stderr, PROG ": %s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64 "\n", opt,
            s, min, max);
    return -1;
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap == 0 ? 1024 : *cap;
    void *nbuf;

    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem) {
            return -1;
        }
        ncap *= 2;
    }
    if (ncap == *cap) {
        return 0;
    }
    nbuf = realloc(*buf, ncap * elem);
    if (nbuf == NULL) {
        return -1;
    }
    *buf = nbuf;
    *cap = ncap;
    return 0;
}

static void link_name(int dlt, char *buf, size_t size)
{
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    if (name != NULL && desc != NULL) {
        snprintf(buf, size, "%s (%s)", name, desc);
    } else {
        snprintf(buf, size, "number %d", dlt);
    }
}

static int timed_index_cmp(const void *a, const void *b)
{
    const struct timed_index *x = a, *y = b;

    if (x->t_us != y->t_us) {
        return x->t_us < y->t_us ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Shortens every silence longer than max_gap_us between consecutive packets (in time order) of
 * one input to max_gap_us. Some test captures are several captures taken years apart and
 * concatenated; without this the benchmark capture would span years.
 */
static int cap_gaps(struct pkt *pkts, size_t n, uint64_t max_gap_us)
{
    struct timed_index *order = calloc(n + 1, sizeof(*order));
    uint64_t prev_in = 0, prev_out = 0;
    size_t i;

    if (order == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        order[i].t_us = pkts[i].rel_us;
        order[i].idx = i;
    }
    qsort(order, n, sizeof(*order), timed_index_cmp);
    for (i = 0; i < n; i++) {
        uint64_t gap = order[i].t_us - prev_in;

        prev_in = order[i].t_us;
        prev_out += gap > max_gap_us ? max_gap_us : gap;
        pkts[order[i].idx].rel_us = prev_out;
    }
    free(order);
    return 0;
}

/* Reads one capture into the corpus; returns 0, 1 when skipped, or -1 after printing why. */
static int corpus_read(struct corpus *c, const char *path, const struct options *o)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct pcap_pkthdr *hdr;
    const u_char *data;
    struct input in = {.path = path, .first = c->npkts, .origin_us = UINT64_MAX};
    pcap_t *pc;
    size_t i;
    int rc, dlt, ret = -1;

    pc = pcap_open_offline(path, errbuf);
    if (pc == NULL) {
        fprintf(stderr, PROG ": cannot read capture '%s': %s\n", path, errbuf);
        return -1;
    }
    dlt = pcap_datalink(pc);
    if (dlt != DLT_EN10MB) {
        char name[160];

        link_name(dlt, name, sizeof(name));
        if (o->skip_other_links) {
            fprintf(stderr, PROG ": note: skipping '%s': link type %s is not Ethernet\n", path,
                    name);
            c->nskipped++;
            ret = 1;
        } else {
            fprintf(stderr,
                    PROG ": '%s': link type %s is not Ethernet; only Ethernet captures can be "
                         "replicated (-k skips such inputs)\n",
                    path, name);
        }
        goto out;
    }
    if (pcap_snapshot(pc) > 0 && (uint32_t)pcap_snapshot(pc) > c->snaplen) {
        c->snaplen = (uint32_t)pcap_snapshot(pc);
    }
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        uint64_t ts_us = (uint64_t)hdr->ts.tv_sec * US_PER_S + (uint64_t)hdr->ts.tv_usec;
        struct pkt *p;

        if (hdr->ts.tv_sec < 0 || hdr->ts.tv_usec < 0) {
            fprintf(stderr, PROG ": '%s': packet %zu has a timestamp before 1970\n", path,
                    c->npkts - in.first + 1);
            goto out;
        }
        if (grow((void **)&c->pkts, &c->cap_pkts, c->npkts + 1, sizeof(*c->pkts)) < 0 ||
            grow((void **)&c->arena, &c->arena_cap, c->arena_bytes + hdr->caplen, 1) < 0) {
            fprintf(stderr, PROG ": '%s': out of memory\n", path);
            goto out;
        }
        p = &c->pkts[c->npkts++];
        p->rel_us = ts_us; /* made relative below, once the origin is known */
        p->off = c->arena_bytes;
        p->caplen = hdr->caplen;
        p->len = hdr->len;
        memcpy(c->arena + c->arena_bytes, data, hdr->caplen);
        c->arena_bytes += hdr->caplen;
        if (hdr->caplen > c->max_caplen) {
            c->max_caplen = hdr->caplen;
        }
        if (ts_us < in.origin_us) {
            in.origin_us = ts_us;
        }
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, PROG ": '%s': read error after %zu packets: %s\n", path,
                c->npkts - in.first, pcap_geterr(pc));
        goto out;
    }
    in.count = c->npkts - in.first;
    for (i = in.first; i < c->npkts; i++) {
        c->pkts[i].rel_us -= in.origin_us;
    }
    if (o->max_gap_us != 0 && cap_gaps(c->pkts + in.first, in.count, o->max_gap_us) < 0) {
        fprintf(stderr, PROG ": '%s': out of memory\n", path);
        goto out;
    }
    if (grow((void **)&c->inputs, &c->cap_inputs, c->ninputs + 1, sizeof(*c->inputs)) < 0) {
        fprintf(stderr, PROG ": '%s': out of memory\n", path);
        goto out;
    }
    c->inputs[c->ninputs++] = in;
    ret = 0;
out:
    pcap_close(pc);
    return ret;
}

static bool stream_before(const struct stream *a, const struct stream *b)
{
    return a->next_us != b->next_us ? a->next_us < b->next_us : a->id < b->id;
}

static void heap_down(struct stream *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct stream tmp;

        if (l < n && stream_before(&h[l], &h[m])) {
            m = l;
        }
        if (l + 1 < n && stream_before(&h[l + 1], &h[m])) {
            m = l + 1;
        }
        if (m == i) {
            return;
        }
        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

/* Counts the flows of each input on its own; replicas multiply the sum. */
static int count_input_flows(const struct corpus *c, struct mkc_flow_table *t, uint64_t *ret)
{
    uint64_t total = 0;
    size_t i, j;

    for (i = 0; i < c->ninputs; i++) {
        const struct input *in = &c->inputs[i];

        mkc_flow_table_clear(t);
        for (j = in->first; j < in->first + in->count; j++) {
            struct mkc_flow_key k;
            bool ip;

            mkc_flow_key_of(c->arena + c->pkts[j].off, c->pkts[j].caplen, &k, &ip);
            if (ip && mkc_flow_table_add(t, &k, c->pkts[j].rel_us) < 0) {
                return -1;
            }
        }
        total += t->count;
    }
    mkc_flow_table_clear(t);
    *ret = total;
    return 0;
}

/* Merges all streams in time order into the dumper, counting flows on the way. */
static int write_streams(const struct corpus *c, uint64_t replicas, uint64_t spread_us,
                         pcap_dumper_t *d, struct mkc_flow_table *t, struct summary *sum)
{
    uint64_t base_us = UINT64_MAX;
    struct stream *heap = NULL;
    unsigned char *scratch = NULL;
    size_t n = 0, i;
    uint64_t r;
    int ret = -1;

    for (i = 0; i < c->ninputs; i++) {
        if (c->inputs[i].count > 0 && c->inputs[i].origin_us < base_us) {
            base_us = c->inputs[i].origin_us;
        }
    }
    heap = calloc((size_t)replicas * c->ninputs, sizeof(*heap));
    scratch = malloc(c->max_caplen > 0 ? c->max_caplen : 1);
    if (heap == NULL || scratch == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    for (r = 0; r < replicas; r++) {
        for (i = 0; i < c->ninputs; i++) {
            if (c->inputs[i].count == 0) {
                continue;
            }
            heap[n].id = (uint32_t)(r * c->ninputs + i);
            heap[n].pos = 0;
            heap[n].next_us = base_us + r * spread_us + c->pkts[c->inputs[i].first].rel_us;
            n++;
        }
    }
    for (i = n / 2; i-- > 0;) {
        heap_down(heap, n, i);
    }
    sum->first_us = n > 0 ? heap[0].next_us : 0;
    while (n > 0) {
        struct stream *s = &heap[0];
        const struct input *in = &c->inputs[s->id % c->ninputs];
        const struct pkt *p = &c->pkts[in->first + s->pos];
        struct pcap_pkthdr h;
        struct mkc_flow_key k;
        bool ip;

        memcpy(scratch, c->arena + p->off, p->caplen);
        mkc_shift_addresses(scratch, p->caplen, s->id);
        memset(&h, 0, sizeof(h));
        h.ts.tv_sec = (time_t)(s->next_us / US_PER_S);
        h.ts.tv_usec = (suseconds_t)(s->next_us % US_PER_S);
        h.caplen = p->caplen;
        h.len = p->len;
        pcap_dump((u_char *)d, &h, scratch);
        mkc_flow_key_of(scratch, p->caplen, &k, &ip);
        if (ip && mkc_flow_table_add(t, &k, s->next_us) < 0) {
            fprintf(stderr, PROG ": out of memory\n");
            goto out;
        }
        sum->packets++;
        sum->caplen_bytes += p->caplen;
        sum->last_us = s->next_us > sum->last_us ? s->next_us : sum->last_us;
        if (++s->pos == in->count) {
            heap[0] = heap[--n];
        } else {
            uint64_t replica = s->id / c->ninputs;

            s->next_us = base_us + replica * spread_us + c->pkts[in->first + s->pos].rel_us;
        }
        heap_down(heap, n, 0);
    }
    sum->flows = t->count;
    ret = 0;
out:
    free(scratch);
    free(heap);
    return ret;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"replicas", required_argument, NULL, 'n'},
        {"packets", required_argument, NULL, 'p'},
        {"spread-us", required_argument, NULL, 's'},
        {"max-gap-us", required_argument, NULL, 'g'},
        {"skip-other-links", no_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "o:n:p:s:g:kqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->output = optarg;
            break;
        case 'n':
            if (parse_u64("-n", optarg, 1, MAX_STREAMS, &o->replicas) < 0) {
                return -1;
            }
            break;
        case 'p':
            if (parse_u64("-p", optarg, 1, UINT32_MAX, &o->target_packets) < 0) {
                return -1;
            }
            break;
        case 's':
            if (parse_u64("-s", optarg, 0, MAX_SPREAD_US, &o->spread_us) < 0) {
                return -1;
            }
            break;
        case 'g':
            if (parse_u64("-g", optarg, 0, UINT64_MAX / 2, &o->max_gap_us) < 0) {
                return -1;
            }
            break;
        case 'k':
            o->skip_other_links = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return -1;
        }
    }
    if (o->output == NULL) {
        fprintf(stderr, PROG ": no output given (-o FILE); try '" PROG " --help'\n");
        return -1;
    }
    if (o->replicas != 0 && o->target_packets != 0) {
        fprintf(stderr, PROG ": -n and -p both choose the number of replicas; give one\n");
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, PROG ": no input captures given; try '" PROG " --help'\n");
        return -1;
    }
    return 0;
}

static void print_summary(FILE *f, const struct corpus *c, const struct options *o,
                          uint64_t replicas, const struct summary *s)
{
    fprintf(f, "inputs=%zu\n", c->ninputs);
    fprintf(f, "skipped_inputs=%zu\n", c->nskipped);
    fprintf(f, "input_packets=%zu\n", c->npkts);
    fprintf(f, "replicas=%" PRIu64 "\n", replicas);
    fprintf(f, "spread_us=%" PRIu64 "\n", o->spread_us);
    fprintf(f, "max_gap_us=%" PRIu64 "\n", o->max_gap_us);
    fprintf(f, "packets=%" PRIu64 "\n", s->packets);
    fprintf(f, "captured_bytes=%" PRIu64 "\n", s->caplen_bytes);
    fprintf(f, "duration_us=%" PRIu64 "\n", s->last_us - s->first_us);
    fprintf(f, "flows=%" PRIu64 "\n", s->flows);
    fprintf(f, "expected_flows=%" PRIu64 "\n", s->expected_flows);
    fprintf(f, "peak_concurrent_flows=%" PRIu64 "\n", s->peak_flows);
}

int main(int argc, char **argv)
{
    struct options o = {.spread_us = DEFAULT_SPREAD_US};
    struct corpus c = {.snaplen = MIN_SNAPLEN};
    struct mkc_flow_table t = {0};
    struct summary sum = {0};
    pcap_t *dead = NULL;
    pcap_dumper_t *d = NULL;
    uint64_t replicas, per_input;
    bool stdout_output;
    int i, ret = 1;

    if (parse_options(argc, argv, &o) < 0) {
        return 2;
    }
    stdout_output = strcmp(o.output, "-") == 0;
    for (i = optind; i < argc; i++) {
        if (corpus_read(&c, argv[i], &o) < 0) {
            goto out;
        }
    }
    if (c.npkts == 0) {
        fprintf(stderr, PROG ": the inputs hold no packets to replicate\n");
        goto out;
    }
    replicas = o.replicas != 0 ? o.replicas : 1;
    if (o.target_packets != 0) {
        replicas = (o.target_packets + c.npkts - 1) / c.npkts;
    }
    if (replicas > MAX_STREAMS / c.ninputs) {
        fprintf(stderr,
                PROG ": %" PRIu64 " replicas of %zu inputs need more than %u address shifts; "
                     "use fewer replicas or inputs\n",
                replicas, c.ninputs, MAX_STREAMS);
        goto out;
    }
    if (count_input_flows(&c, &t, &per_input) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    sum.expected_flows = per_input * replicas;
    if (c.max_caplen > c.snaplen) {
        c.snaplen = c.max_caplen;
    }
    dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)c.snaplen,
                                                PCAP_TSTAMP_PRECISION_MICRO);
    if (dead == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    d = pcap_dump_open(dead, o.output);
    if (d == NULL) {
        fprintf(stderr, PROG ": cannot write '%s': %s\n", o.output, pcap_geterr(dead));
        goto out;
    }
    if (write_streams(&c, replicas, o.spread_us, d, &t, &sum) < 0) {
        goto out;
    }
    if (pcap_dump_flush(d) < 0 || ferror(pcap_dump_file(d))) {
        fprintf(stderr, PROG ": error writing '%s': %s\n", o.output, strerror(errno));
        goto out;
    }
    if (mkc_flow_table_peak(&t, &sum.peak_flows) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    if (sum.flows < sum.expected_flows) {
        fprintf(stderr,
                PROG ": note: %" PRIu64 " flows of different replicas or inputs share a 5-tuple "
                     "after shifting\n",
                sum.expected_flows - sum.flows);
    }
    if (!o.quiet) {
        print_summary(stdout_output ? stderr : stdout, &c, &o, replicas, &sum);
    }
    ret = 0;
out:
    if (d != NULL) {
        pcap_dump_close(d);
        if (ret != 0 && !stdout_output) {
            remove(o.output);
        }
    }
    if (dead != NULL) {
        pcap_close(dead);
    }
    mkc_flow_table_fini(&t);
    free(c.pkts);
    free(c.arena);
    free(c.inputs);
    return ret;
}
