/* SPDX-License-Identifier: BSD-3-Clause */
/* Example collector: reads one capture with the public flowdx API and prints one line per flow. */

/* inet_ntop() is POSIX; ask for it explicitly so that a plain -std=c11 build sees it. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <flowdx/flowdx.h>

/* Everything the flow callback needs, passed through the options' user pointer. */
struct collector {
    uint32_t sp;     /* index of feature "sp" in every record's features */
    uint32_t rsp;    /* index of feature "rsp" */
    uint32_t oneway; /* index of feature "oneway" */
};

/* Look up a feature by its spec name once, so the callback indexes by number. */
static int feature_index(const fdx_engine *engine, const char *name, uint32_t *ret_index)
{
    uint32_t n = fdx_engine_feature_count(engine);
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(fdx_engine_feature_name(engine, i), name) == 0) {
            *ret_index = i;
            return 0;
        }
    }
    return FDX_ENOENT;
}

/* "192.0.2.1:25" or "[2001:db8::1]:25". */
static void format_endpoint(char *buf, size_t len, uint8_t ip_version, const uint8_t *addr,
                            uint16_t port)
{
    char text[INET6_ADDRSTRLEN];
    int family = ip_version == 6 ? AF_INET6 : AF_INET;
    if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
        snprintf(text, sizeof(text), "?");
    if (ip_version == 6)
        snprintf(buf, len, "[%s]:%u", text, (unsigned)port);
    else
        snprintf(buf, len, "%s:%u", text, (unsigned)port);
}

static void format_proto(char *buf, size_t len, uint8_t proto)
{
    switch (proto) {
    case 6:
        snprintf(buf, len, "tcp");
        break;
    case 17:
        snprintf(buf, len, "udp");
        break;
    case 1:
        snprintf(buf, len, "icmp");
        break;
    case 58:
        snprintf(buf, len, "icmp6");
        break;
    default:
        snprintf(buf, len, "%u", (unsigned)proto);
        break;
    }
}

/* Called by the engine for every finished flow. @p rec and its features are borrowed: they are
 * valid only until this function returns, so everything is printed here. */
static void on_flow(void *user, const struct fdx_flow_record *rec)
{
    const struct collector *c = user;
    char src[64], dst[64], proto[8];
    format_endpoint(src, sizeof(src), rec->ip_version, rec->src_addr, rec->src_port);
    format_endpoint(dst, sizeof(dst), rec->ip_version, rec->dst_addr, rec->dst_port);
    format_proto(proto, sizeof(proto), rec->proto);
    /* sp, rsp and oneway are whole numbers by definition (doc/features/zadnik.md). */
    printf("%s -> %s %s packets=%" PRIu64 "/%" PRIu64 " sp=%.0f rsp=%.0f oneway=%.0f\n", src, dst,
           proto, rec->packets[FDX_DIR_REQ], rec->packets[FDX_DIR_RESP], rec->features[c->sp],
           rec->features[c->rsp], rec->features[c->oneway]);
}

static void print_counters(const fdx_engine *engine)
{
    struct fdx_engine_stats st;
    memset(&st, 0, sizeof(st));
    st.struct_size = sizeof(st);
    fdx_engine_stats(engine, &st);
    printf("packets=%" PRIu64, st.packets);
    for (uint32_t i = 0; i < FDX_PKT_OUTCOME_COUNT; i++)
        printf(" %s=%" PRIu64, fdx_outcome_name(i), st.outcomes[i]);
    uint64_t flows = 0;
    for (uint32_t i = 0; i < FDX_END_COUNT; i++)
        flows += st.flows_ended[i];
    printf("\nflows=%" PRIu64, flows);
    for (uint32_t i = 0; i < FDX_END_COUNT; i++)
        printf(" %s=%" PRIu64, fdx_end_reason_name(i), st.flows_ended[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *prog = "example-collector";
    if (argc < 2 || argc > 3) {
        fprintf(stderr,
                "usage: %s CAPTURE [FILTER]\n"
                "  CAPTURE  pcap or pcapng file ('-' = standard input)\n"
                "  FILTER   optional tcpdump-style filter, e.g. 'tcp port 25'\n",
                prog);
        return 1;
    }
    const char *path = argv[1];
    const char *filter = argc == 3 ? argv[2] : NULL;

    int status = 1;
    char err[512];
    fdx_capture *cap = NULL;
    fdx_engine *engine = NULL;
    struct fdx_engine_options opts;
    struct fdx_capture_packet pkt;
    int linktype;
    struct collector c;
    memset(&c, 0, sizeof(c));

    /* The capture first: a wrong path is the most likely mistake. The message names the file. */
    int rc = fdx_capture_open_file(path, filter, &cap, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    linktype = fdx_capture_linktype(cap); /* the DLT_* value every packet is fed with */

    fdx_engine_options_init(&opts); /* defaults: 120 s idle and active timeouts, 2 s linger */
    opts.feature_sets = "zadnik";
    opts.on_flow = on_flow;
    opts.user = &c;
    rc = fdx_engine_new(&opts, &engine, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "%s: cannot create the engine: %s\n", prog, err);
        goto out;
    }
    if (feature_index(engine, "sp", &c.sp) < 0 || feature_index(engine, "rsp", &c.rsp) < 0 ||
        feature_index(engine, "oneway", &c.oneway) < 0) {
        fprintf(stderr, "%s: this libflowdx's zadnik set lacks sp, rsp or oneway\n", prog);
        goto out;
    }

    /* Every packet goes to the engine, which counts bad packets instead of failing on them. */
    while ((rc = fdx_capture_next(cap, &pkt, err, sizeof(err))) == 1)
        fdx_engine_feed(engine, linktype, pkt.ts_us, pkt.data, pkt.caplen, pkt.wirelen);
    if (rc < 0) /* damaged capture: err says "PATH: packet N: reason" */
        fprintf(stderr, "%s: %s; printing the flows read so far\n", prog, err);

    /* End of input: the flows still open end now (reason "eof"), in order of start. */
    fdx_engine_flush(engine);
    print_counters(engine);
    status = rc < 0 ? 1 : 0;

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: writing to standard output failed\n", prog);
        status = 1;
    }
out:
    fdx_engine_free(engine);
    fdx_capture_free(cap);
    return status;
}
