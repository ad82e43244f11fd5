/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of live capture on the loopback interface of a network namespace of the test's own. */
#define _GNU_SOURCE /* unshare, CLONE_NEWNET */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flowdx/flowdx.h"

/* Link type and header sizes written out, not taken from the headers the library uses: Linux
 * loopback is DLT_EN10MB (1) with a 14-byte Ethernet header; IPv4 20 bytes, UDP 8. */
#define LT_EN10MB 1
#define HDR_BYTES (14 + 20 + 8)
#define PORT 5555

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* One UDP datagram of @p len payload bytes to 127.0.0.1:@p port. */
static void send_udp(uint16_t port, size_t len)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char buf[2000];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
    close(s);
}

static fdx_capture *open_lo(struct fdx_capture_live_options *o)
{
    fdx_capture *c = NULL;
    char err[512] = "x";
    int rc = fdx_capture_open_live("lo", o, &c, err, sizeof(err));
    if (rc != 0)
        fail_msg("open lo: %d %s", rc, err);
    assert_string_equal(err, ""); /* no warning on loopback */
    return c;
}

/* The next packet, waiting through at most 20 idle read timeouts. */
static int next_packet(fdx_capture *c, struct fdx_capture_packet *pkt)
{
    char err[512];
    int rc;
    for (int i = 0; i < 20; i++) {
        if ((rc = fdx_capture_next(c, pkt, err, sizeof(err))) != FDX_CAPTURE_IDLE)
            return rc;
    }
    return rc;
}

static void test_capture_live_reads_packets_with_their_times(void **state)
{
    (void)state;
    struct fdx_capture_live_options o;
    fdx_capture_live_options_init(&o);
    o.timeout_ms = 50;
    o.bpf = "udp dst port 5555";
    fdx_capture *c = open_lo(&o);
    assert_int_equal(fdx_capture_linktype(c), LT_EN10MB);
    uint64_t before = wall_us();
    send_udp(PORT + 1, 10); /* not matched by the filter */
    send_udp(PORT, 100);
    send_udp(PORT, 200);
    send_udp(PORT, 300);
    uint64_t after = wall_us();
    struct fdx_capture_packet pkt;
    for (size_t len = 100; len <= 300; len += 100) {
        assert_int_equal(next_packet(c, &pkt), 1);
        assert_int_equal(pkt.caplen, HDR_BYTES + len);
        assert_int_equal(pkt.wirelen, HDR_BYTES + len);
        assert_true(pkt.ts_us >= before && pkt.ts_us <= after);
        assert_int_equal(pkt.data[HDR_BYTES], 'x');
    }
    struct fdx_capture_stats s = {.struct_size = sizeof(s)};
    assert_int_equal(fdx_capture_stats(c, &s), 0);
    assert_int_equal(s.packets, 3);
    /* On loopback the kernel counts every packet twice, sent and received; libpcap returns the
     * received copy only. */
    assert_true(s.received >= 3);
    assert_int_equal(s.dropped, 0);
    fdx_capture_free(c);
}

static void test_capture_live_idles_on_a_quiet_interface(void **state)
{
    (void)state;
    struct fdx_capture_live_options o;
    fdx_capture_live_options_init(&o);
    o.timeout_ms = 50;
    o.bpf = "udp dst port 5555";
    for (uint32_t immediate = 0; immediate <= 1; immediate++) {
        o.immediate = immediate;
        fdx_capture *c = open_lo(&o);
        struct fdx_capture_packet pkt;
        char err[512];
        uint64_t t0 = wall_us();
        assert_int_equal(fdx_capture_next(c, &pkt, err, sizeof(err)), FDX_CAPTURE_IDLE);
        uint64_t waited = wall_us() - t0;
        assert_true(waited >= 45000 && waited < 2000000);
        /* After a stop, the end at once, even with a packet waiting. */
        send_udp(PORT, 50);
        fdx_capture_break(c);
        t0 = wall_us();
        assert_int_equal(fdx_capture_next(c, &pkt, err, sizeof(err)), 0);
        assert_true(wall_us() - t0 < 40000);
        fdx_capture_free(c);
    }
}

static void test_capture_live_cuts_packets_to_the_snaplen(void **state)
{
    (void)state;
    struct fdx_capture_live_options o;
    fdx_capture_live_options_init(&o);
    o.snaplen_bytes = 60;
    o.timeout_ms = 50;
    o.immediate = 1;
    o.buffer_bytes = 4u << 20;
    o.promisc = 0;
    o.bpf = "udp dst port 5555";
    fdx_capture *c = open_lo(&o);
    send_udp(PORT, 500);
    struct fdx_capture_packet pkt;
    assert_int_equal(next_packet(c, &pkt), 1);
    /* At most the snapshot length: the kernel cuts where the filter program says, which libpcap
     * trims again to the snapshot length (and on loopback a few bytes shorter). The headers stay.
     */
    assert_true(pkt.caplen <= 60 && pkt.caplen >= HDR_BYTES);
    assert_int_equal(pkt.wirelen, HDR_BYTES + 500);
    fdx_capture_free(c);
}

static void set_lo_mtu(int mtu)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    ifr.ifr_mtu = mtu;
    assert_int_equal(ioctl(s, SIOCSIFMTU, &ifr), 0);
    close(s);
}

/* A child that accepts one connection on 127.0.0.1:@p port and reads it to the end; the
 * parent connects and sends @p bytes, then waits for the child. */
static void send_tcp(uint16_t port, size_t bytes)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int c = accept(l, NULL, NULL);
        char buf[65536];
        while (c >= 0 && read(c, buf, sizeof(buf)) > 0) {
        }
        _exit(c >= 0 ? 0 : 1);
    }
    close(l);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    char *buf = calloc(1, bytes);
    assert_non_null(buf);
    size_t done = 0;
    while (done < bytes) {
        ssize_t n = write(s, buf + done, bytes - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    free(buf);
    close(s);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The MTU and offloads read at open, and the packets longer than the MTU. Loopback hands TCP
 * the 64 KiB segments of its segmentation offload whatever its MTU, so with an MTU of 9000 a
 * 1 MB transfer has packets over it; the test counts them itself from the wire lengths (IP
 * length = wire length - 14). */
static void test_capture_live_counts_packets_over_the_mtu(void **state)
{
    (void)state;
    set_lo_mtu(9000);
    struct fdx_capture_live_options o;
    fdx_capture_live_options_init(&o);
    o.snaplen_bytes = 128;
    o.timeout_ms = 50;
    o.buffer_bytes = 64u << 20;
    o.bpf = "tcp port 5556";
    fdx_capture *c = open_lo(&o);

    struct fdx_capture_stats s = {.struct_size = sizeof(s)};
    assert_int_equal(fdx_capture_stats(c, &s), 0);
    assert_int_equal(s.struct_size, sizeof(s));
    assert_int_equal(s.mtu, 9000);
    assert_int_equal(s.offloads, 0); /* not looked up on loopback */
    assert_int_equal(s.over_mtu, 0);
    assert_int_equal(s.over_mtu_largest, 0);
    /* A caller built before these fields: they are not written. */
    struct fdx_capture_stats old;
    memset(&old, 0xAB, sizeof(old));
    old.struct_size = offsetof(struct fdx_capture_stats, mtu);
    assert_int_equal(fdx_capture_stats(c, &old), 0);
    assert_int_equal(old.struct_size, offsetof(struct fdx_capture_stats, mtu));
    assert_int_equal(old.mtu, 0xABABABABu);

    send_tcp(PORT + 1, 1u << 20);
    struct fdx_capture_packet pkt;
    uint64_t n = 0, over = 0;
    uint32_t largest = 0;
    while (next_packet(c, &pkt) == 1) {
        n++;
        if (pkt.wirelen - 14 > 9000) {
            over++;
            if (pkt.wirelen - 14 > largest)
                largest = pkt.wirelen - 14;
        }
    }
    assert_true(over > 0);
    assert_int_equal(fdx_capture_stats(c, &s), 0);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(s.packets, n);
    assert_int_equal(s.over_mtu, over);
    assert_int_equal(s.over_mtu_largest, largest);
    fdx_capture_free(c);
    set_lo_mtu(65536);
}

static void test_capture_live_reports_errors_by_name(void **state)
{
    (void)state;
    fdx_capture *c = NULL;
    char err[512];
    assert_int_equal(fdx_capture_open_live("nosuch9", NULL, &c, err, sizeof(err)), FDX_ENOENT);
    assert_contains(err, "nosuch9: no such interface");
    assert_null(c);

    struct fdx_capture_live_options o;
    fdx_capture_live_options_init(&o);
    o.bpf = "udp port banana";
    assert_int_equal(fdx_capture_open_live("lo", &o, &c, err, sizeof(err)), FDX_EINVAL);
    assert_contains(err, "lo: filter 'udp port banana'");
    assert_contains(err, "banana'"); /* libpcap's own message names the word */

    fdx_capture_live_options_init(&o);
    o.snaplen_bytes = 0;
    assert_int_equal(fdx_capture_open_live("lo", &o, &c, err, sizeof(err)), FDX_EINVAL);
    assert_contains(err, "snapshot length");
    fdx_capture_live_options_init(&o);
    o.timeout_ms = 0;
    assert_int_equal(fdx_capture_open_live("lo", &o, &c, err, sizeof(err)), FDX_EINVAL);
    assert_null(c);
    assert_string_equal(fdx_strerror(FDX_EPERM), "operation not permitted");
}

static void test_capture_live_says_what_permission_is_missing(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child gives root up for good, then tries. */
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        fdx_capture *c = NULL;
        char err[512];
        int rc = fdx_capture_open_live("lo", NULL, &c, err, sizeof(err));
        _exit(rc == FDX_EPERM && c == NULL && strstr(err, "CAP_NET_RAW") != NULL ? 0 : 11);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A network namespace of this process's own with its loopback up: captures see only the test's
 * packets, and nothing is left behind. */
static int private_loopback(void)
{
    if (unshare(CLONE_NEWNET) != 0)
        return -1;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0)
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
    return rc;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("skipped: needs root (a network namespace, capture)\n");
        return 77;
    }
    if (private_loopback() != 0) {
        perror("skipped: no network namespace of our own");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_live_reads_packets_with_their_times),
        cmocka_unit_test(test_capture_live_idles_on_a_quiet_interface),
        cmocka_unit_test(test_capture_live_cuts_packets_to_the_snaplen),
        cmocka_unit_test(test_capture_live_counts_packets_over_the_mtu),
        cmocka_unit_test(test_capture_live_reports_errors_by_name),
        cmocka_unit_test(test_capture_live_says_what_permission_is_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
