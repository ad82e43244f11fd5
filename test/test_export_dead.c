/* SPDX-License-Identifier: BSD-3-Clause */
/* A TCP collector whose host dies without closing the connection (its link goes down: no FIN, no
 * reset), in network namespaces of the test's own: the exporter finds it lost within
 * TCP_ACK_TIMEOUT_S (30 s) and counts as dropped the records the collector's host never
 * acknowledged; at close it waits for the acknowledgements and counts what did not come. */
#define _GNU_SOURCE /* unshare, setns, CLONE_NEWNET */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first; a separate block keeps include sorting off it. */

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"
#include "ipfix_util.h"

/* The collector's address, in its namespace. */
#define COLLECTOR "10.97.0.2"

static char ns_name[64]; /* the collector's namespace */
static int own_ns = -1;  /* the test's own (unshared) namespace */

static void sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

/* A listening socket in the collector's namespace on 10.97.0.2, a free port in *ret_port. */
static int listen_in_collector_ns(unsigned *ret_port)
{
    char path[128];
    snprintf(path, sizeof(path), "/var/run/netns/%s", ns_name);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(nsfd >= 0);
    assert_int_equal(setns(nsfd, CLONE_NEWNET), 0);
    close(nsfd);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(setns(own_ns, CLONE_NEWNET), 0); /* the socket stays where it was made */
    assert_true(l >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, COLLECTOR, &a.sin_addr);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *ret_port = ntohs(a.sin_port);
    return l;
}

/* Flow @p id (iu_write_id), written and sent at once. */
static void send_record(fdx_ipfix *x, const fdx_engine *e, uint64_t id)
{
    char err[512];
    assert_int_equal(iu_write_id(x, e, id, err, sizeof(err)), 0);
    assert_int_equal(fdx_ipfix_flush(x, err, sizeof(err)), 0);
}

/*
 * The flow data records in @p n bytes of an IPFIX stream (RFC 7011): records of the data sets
 * whose template is not an options template (those carry the RFC 5610 type records). Every
 * message here holds one flow record, so a data set of a flow template is one record.
 */
static unsigned flow_records(const uint8_t *p, size_t n)
{
    uint16_t options[64];
    unsigned n_options = 0, records = 0;
    size_t off = 0;
    while (off + 16 <= n) {
        size_t msg_len = (size_t)p[off + 2] << 8 | p[off + 3];
        assert_true(msg_len >= 16 && off + msg_len <= n);
        for (size_t s = off + 16; s + 4 <= off + msg_len;) {
            unsigned set_id = (unsigned)p[s] << 8 | p[s + 1];
            size_t set_len = (size_t)p[s + 2] << 8 | p[s + 3];
            assert_true(set_len >= 4);
            if (set_id == 3) { /* options templates: their ids */
                for (size_t t = s + 4; t + 6 <= s + set_len && n_options < 64;) {
                    unsigned fields = (unsigned)p[t + 2] << 8 | p[t + 3];
                    options[n_options++] = (uint16_t)((unsigned)p[t] << 8 | p[t + 1]);
                    t += 6;
                    for (unsigned f = 0; f < fields; f++)
                        t += (p[t] & 0x80) ? 8 : 4; /* enterprise bit: 4 more bytes */
                }
            } else if (set_id >= 256) {
                bool is_options = false;
                for (unsigned i = 0; i < n_options; i++)
                    is_options |= options[i] == set_id;
                records += !is_options;
            }
            s += set_len;
        }
        off += msg_len;
    }
    return records;
}

/* Everything the collector's socket holds now (its kernel took it while the link was up). */
static size_t drain(int fd, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) != 1 || n == cap)
            return n;
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            return n;
        n += (size_t)r;
    }
}

static void link_up(bool up)
{
    sh("ip -n %s link set d1 %s", ns_name, up ? "up" : "down");
    if (up)
        iu_pause_ms(300);
}

/* A collector in its namespace, its link up, and an exporter connected to it. */
struct session {
    unsigned port;
    int l, c; /* the listening socket, the accepted connection */
    fdx_ipfix *x;
};

static struct session start(const fdx_engine *e)
{
    struct session s;
    s.l = listen_in_collector_ns(&s.port);
    link_up(true);
    s.x = iu_open_tcp(e, COLLECTOR, s.port, 3600, s.l, &s.c); /* no reconnect in the test */
    return s;
}

/* fdx_ipfix_close(), its result checked against @p want_rc; the seconds it took. */
static long close_timed(struct session *s, int want_rc, char *err, size_t len)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fdx_ipfix_close(s->x, err, len), want_rc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->x = NULL;
    return (long)(t1.tv_sec - t0.tv_sec);
}

/* The flow records the collector got, then its sockets closed. */
static unsigned finish(struct session *s)
{
    static uint8_t buf[1 << 20];
    unsigned n = flow_records(buf, drain(s->c, buf, sizeof(buf)));
    close(s->c);
    close(s->l);
    return n;
}

/* Record 1 is acknowledged; then the link goes down, records 2 and 3 go into the kernel's
 * buffer unacknowledged, and after 30 s record 4's send fails: 3 dropped, 1 received. */
static void test_export_dead_collector_found_and_counted(void **state)
{
    fdx_engine *e = *state;
    struct session s = start(e);
    send_record(s.x, e, 1);
    iu_pause_ms(300); /* acknowledged */
    link_up(false);
    send_record(s.x, e, 2);
    send_record(s.x, e, 3);
    struct fdx_ipfix_stats st = iu_stats(s.x);
    assert_int_equal(st.connected, 1); /* nothing known yet */
    assert_int_equal(st.dropped, 0);
    iu_pause_ms(32000); /* TCP_ACK_TIMEOUT_S and a margin */
    send_record(s.x, e, 4);
    st = iu_stats(s.x);
    assert_int_equal(st.connected, 0);
    assert_int_equal(st.losses, 1);
    assert_int_equal(st.records, 4);
    assert_int_equal(st.dropped, 3);
    assert_non_null(strstr(st.last_loss, "Connection timed out"));
    char err[512];
    close_timed(&s, FDX_EIO, err, sizeof(err)); /* lost at the end */
    assert_int_equal(finish(&s), 1);
}

/* The link goes down after record 2: the close waits 10 s for the acknowledgement, then counts
 * record 2 as dropped and says so. */
static void test_export_dead_collector_at_close(void **state)
{
    fdx_engine *e = *state;
    struct session s = start(e);
    send_record(s.x, e, 1);
    iu_pause_ms(300);
    link_up(false);
    send_record(s.x, e, 2);
    char err[512], want[128];
    long took = close_timed(&s, FDX_EIO, err, sizeof(err));
    assert_true(took >= 9 && took <= 12);
    snprintf(want, sizeof(want),
             "tcp://10.97.0.2:%u: cannot send: 1 of 2 records not acknowledged by the collector "
             "within 10 s of the end",
             s.port);
    assert_string_equal(err, want);
    assert_int_equal(finish(&s), 1);
}

/* A healthy collector: the close finds every record acknowledged, at once. */
static void test_export_live_collector_close_is_quick(void **state)
{
    fdx_engine *e = *state;
    struct session s = start(e);
    for (uint64_t i = 1; i <= 5; i++)
        send_record(s.x, e, i);
    char err[512];
    assert_true(close_timed(&s, 0, err, sizeof(err)) < 2);
    assert_int_equal(finish(&s), 5);
}

static int setup(void **state)
{
    *state = iu_default_engine();
    return 0;
}

static int teardown(void **state)
{
    fdx_engine_free(*state);
    return 0;
}

int main(void)
{
    if (geteuid() != 0 || system("command -v ip > /dev/null") != 0) {
        printf("skipped: needs root and ip (network namespaces)\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0 || (own_ns = open("/proc/self/ns/net", O_RDONLY)) < 0) {
        perror("skipped: no network namespace of our own");
        return 77;
    }
    snprintf(ns_name, sizeof(ns_name), "fdxdead-%ld", (long)getpid());
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "ip netns add %s && ip link add d0 type veth peer name d1 netns %s && "
             "ip addr add 10.97.0.1/24 dev d0 && ip link set d0 up && "
             "ip -n %s addr add 10.97.0.2/24 dev d1 && ip -n %s link set d1 up",
             ns_name, ns_name, ns_name, ns_name);
    int rc = 1;
    if (system(cmd) == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_export_live_collector_close_is_quick),
            cmocka_unit_test(test_export_dead_collector_at_close),
            cmocka_unit_test(test_export_dead_collector_found_and_counted),
        };
        rc = cmocka_run_group_tests(tests, setup, teardown);
    } else {
        fprintf(stderr, "cannot set up the namespaces: %s\n", cmd);
    }
    snprintf(cmd, sizeof(cmd), "ip netns del %s", ns_name);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove namespace %s\n", ns_name);
    return rc;
}
