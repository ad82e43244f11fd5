/* SPDX-License-Identifier: BSD-3-Clause */
/* Pair evidence (fdx_pairs): verdicts, holds, window and epochs on hand-made flow sequences. The
 * expected verdicts and sums are worked out by hand in each test from the rule in flowdx_model.h
 * (defaults: window 120 s, 8192 flagged request bytes, share 0.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <string.h>

#include "flowdx/flowdx_model.h"

#define S 1000000ull /* one second in microseconds */
#define T0 (1700000000ull * S)
#define MAX_OUT 16

struct decided {
    int id;
    uint32_t verdict;
    struct fdx_pair_evidence ev;
};

struct sink {
    struct decided out[MAX_OUT];
    int n;
};

static void on_verdict(void *user, void *item, uint32_t verdict, const struct fdx_pair_evidence *ev)
{
    struct sink *s = user;
    assert_true(s->n < MAX_OUT);
    s->out[s->n++] = (struct decided){.id = (int)(intptr_t)item, .verdict = verdict, .ev = *ev};
}

/* A flow from 10.0.0.<client> to 192.0.2.1:<port> that ended at T0 + @p end_s seconds. */
static struct fdx_flow_record flow(uint8_t client, uint16_t port, double end_s, uint64_t req_bytes)
{
    struct fdx_flow_record r;
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.ip_version = 4;
    r.proto = 6;
    r.src_port = 40000;
    r.dst_port = port;
    r.src_addr[0] = 10;
    r.src_addr[3] = client;
    r.dst_addr[0] = 192;
    r.dst_addr[2] = 2;
    r.dst_addr[3] = 1;
    r.end_us = T0 + (uint64_t)(end_s * 1e6);
    r.start_us = r.end_us - S;
    r.bytes[FDX_DIR_REQ] = req_bytes;
    return r;
}

static fdx_pairs *make(struct sink *s, const struct fdx_pairs_options *o)
{
    struct fdx_pairs_options d;
    fdx_pairs_options_init(&d);
    fdx_pairs *p = NULL;
    memset(s, 0, sizeof(*s));
    assert_int_equal(fdx_pairs_new(o ? o : &d, on_verdict, s, &p), 0);
    return p;
}

static void add(fdx_pairs *p, uint8_t client, uint16_t port, double end_s, uint64_t bytes,
                int flagged, int id)
{
    struct fdx_flow_record r = flow(client, port, end_s, bytes);
    assert_int_equal(fdx_pairs_add(p, &r, flagged, (void *)(intptr_t)id), 0);
}

static void expect(const struct sink *s, int i, int id, uint32_t verdict, uint32_t flows,
                   uint32_t flagged, uint64_t bytes, uint32_t held)
{
    assert_true(i < s->n);
    assert_int_equal(s->out[i].id, id);
    assert_int_equal(s->out[i].verdict, verdict);
    assert_int_equal(s->out[i].ev.flows, flows);
    assert_int_equal(s->out[i].ev.flagged, flagged);
    assert_int_equal(s->out[i].ev.flagged_bytes, bytes);
    assert_int_equal(s->out[i].ev.held, held);
}

/* An unflagged flow of a pair without flagged flows is benign at once. */
static void test_unflagged_is_benign_at_once(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 0, 50000, 0, 1);
    assert_int_equal(s.n, 1);
    expect(&s, 0, 1, FDX_PAIR_BENIGN, 1, 0, 0, 0);
    fdx_pairs_free(p);
    assert_int_equal(s.n, 1);
}

/* Flagged 5000 bytes: 5000 < 8192, held. Flagged 4000 bytes 10 s later: 9000 >= 8192 and 2 of 2
 * flagged, so the pair is established: the held one first (held), then the new one. */
static void test_evidence_adds_up(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 0, 5000, 1, 1);
    assert_int_equal(s.n, 0);
    add(p, 1, 443, 10, 4000, 1, 2);
    assert_int_equal(s.n, 2);
    expect(&s, 0, 1, FDX_PAIR_MALICIOUS, 2, 2, 9000, 1);
    expect(&s, 1, 2, FDX_PAIR_MALICIOUS, 2, 2, 9000, 0);
    fdx_pairs_free(p);
    assert_int_equal(s.n, 2);
}

/* Flagged 9000 bytes alone establishes the pair (1 of 1). The next flow, unflagged, 5 s later: 1
 * of 2 flagged = 0.5 >= 0.5, still established: malicious although the jury did not flag it. A
 * flow of the same client to another port is another pair: benign. */
static void test_unflagged_flow_of_established_pair(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 0, 9000, 1, 1);
    add(p, 1, 443, 5, 300, 0, 2);
    add(p, 1, 8443, 6, 300, 0, 3);
    assert_int_equal(s.n, 3);
    expect(&s, 0, 1, FDX_PAIR_MALICIOUS, 1, 1, 9000, 0);
    expect(&s, 1, 2, FDX_PAIR_MALICIOUS, 2, 1, 9000, 0);
    expect(&s, 2, 3, FDX_PAIR_BENIGN, 1, 0, 0, 0);
    fdx_pairs_free(p);
}

/* Three unflagged flows (benign at once), then a flagged one of 9000 bytes: 1 of 4 flagged =
 * 0.25 < 0.5, not established, held. A flow of another client ending at 131 s moves the clock
 * past 10 + 120 = 130 s: the held flow is decided uncertain with its pair's 4 flows. */
static void test_share_too_small_is_uncertain(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 1, 500, 0, 1);
    add(p, 1, 443, 2, 500, 0, 2);
    add(p, 1, 443, 3, 500, 0, 3);
    add(p, 1, 443, 10, 9000, 1, 4);
    assert_int_equal(s.n, 3);
    add(p, 2, 443, 129, 500, 0, 5); /* clock 129: 10 + 120 > 129, still held */
    assert_int_equal(s.n, 4);
    expect(&s, 3, 5, FDX_PAIR_BENIGN, 1, 0, 0, 0);
    add(p, 2, 443, 131, 500, 0, 6);
    assert_int_equal(s.n, 6);
    expect(&s, 4, 6, FDX_PAIR_BENIGN, 2, 0, 0, 0);
    expect(&s, 5, 4, FDX_PAIR_UNCERTAIN, 4, 1, 9000, 1);
    fdx_pairs_free(p);
}

/* Flagged 5000 at 0 s (held), flagged 5000 at 130 s: the first left the window (130 - 120 = 10 >
 * 0), so the pair has 1 flagged flow of 5000 bytes: not established, the new flow is held; the
 * first is over its hold (0 + 120 <= 130): uncertain. The second is decided by the flush. */
static void test_window_forgets(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 0, 5000, 1, 1);
    add(p, 1, 443, 130, 5000, 1, 2);
    assert_int_equal(s.n, 1);
    expect(&s, 0, 1, FDX_PAIR_UNCERTAIN, 1, 1, 5000, 1);
    fdx_pairs_flush(p);
    assert_int_equal(s.n, 2);
    expect(&s, 1, 2, FDX_PAIR_UNCERTAIN, 1, 1, 5000, 1);
    fdx_pairs_free(p);
}

/* An unflagged flow of a pair with a flagged flow in the window waits too; when the pair is
 * established it is malicious: flagged 3000 (held), unflagged 200 (held: 1 of 2 flagged), flagged
 * 6000: 2 of 3 flagged, 9000 bytes: all three malicious, in the order they came. */
static void test_unflagged_waits_with_its_pair(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 0, 3000, 1, 1);
    add(p, 1, 443, 1, 200, 0, 2);
    assert_int_equal(s.n, 0);
    add(p, 1, 443, 2, 6000, 1, 3);
    assert_int_equal(s.n, 3);
    expect(&s, 0, 1, FDX_PAIR_MALICIOUS, 3, 2, 9000, 1);
    expect(&s, 1, 2, FDX_PAIR_MALICIOUS, 3, 2, 9000, 1);
    expect(&s, 2, 3, FDX_PAIR_MALICIOUS, 3, 2, 9000, 0);
    fdx_pairs_free(p);
}

/* Time going back by more than an hour and the window (captures of different days read in
 * turn): the held flow of the first epoch is decided (uncertain), the pair is forgotten, so the
 * old flagged flow does not count for the new one (5000 < 8192: held, then uncertain at free). */
static void test_new_epoch(void **state)
{
    (void)state;
    struct sink s;
    fdx_pairs *p = make(&s, NULL);
    add(p, 1, 443, 86400, 5000, 1, 1);
    add(p, 1, 443, 0, 5000, 1, 2);
    assert_int_equal(s.n, 1);
    expect(&s, 0, 1, FDX_PAIR_UNCERTAIN, 1, 1, 5000, 1);
    fdx_pairs_free(p);
    assert_int_equal(s.n, 2);
    expect(&s, 1, 2, FDX_PAIR_UNCERTAIN, 1, 1, 5000, 1);
}

/* max_held 1: holding a second flow decides the oldest at once. */
static void test_max_held(void **state)
{
    (void)state;
    struct sink s;
    struct fdx_pairs_options o;
    fdx_pairs_options_init(&o);
    o.max_held = 1;
    fdx_pairs *p = make(&s, &o);
    add(p, 1, 443, 0, 100, 1, 1);
    add(p, 2, 443, 1, 100, 1, 2);
    assert_int_equal(s.n, 1);
    expect(&s, 0, 1, FDX_PAIR_UNCERTAIN, 1, 1, 100, 1);
    fdx_pairs_advance(p, T0 + 122 * S); /* 1 + 120 <= 122 */
    assert_int_equal(s.n, 2);
    expect(&s, 1, 2, FDX_PAIR_UNCERTAIN, 1, 1, 100, 1);
    fdx_pairs_free(p);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct fdx_pairs_options o;
    fdx_pairs *p = (fdx_pairs *)&o;
    fdx_pairs_options_init(&o);
    o.min_share = 1.5;
    assert_int_equal(fdx_pairs_new(&o, on_verdict, NULL, &p), FDX_EINVAL);
    assert_null(p);
    fdx_pairs_options_init(&o);
    o.window_s = 0;
    assert_int_equal(fdx_pairs_new(&o, on_verdict, NULL, &p), FDX_EINVAL);
    fdx_pairs_options_init(&o);
    assert_int_equal(fdx_pairs_new(&o, NULL, NULL, &p), FDX_EINVAL);
    o.struct_size = 8;
    assert_int_equal(fdx_pairs_new(&o, on_verdict, NULL, &p), FDX_EINVAL);
    fdx_pairs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unflagged_is_benign_at_once),
        cmocka_unit_test(test_evidence_adds_up),
        cmocka_unit_test(test_unflagged_flow_of_established_pair),
        cmocka_unit_test(test_share_too_small_is_uncertain),
        cmocka_unit_test(test_window_forgets),
        cmocka_unit_test(test_unflagged_waits_with_its_pair),
        cmocka_unit_test(test_new_epoch),
        cmocka_unit_test(test_max_held),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
