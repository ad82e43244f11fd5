/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the flow table: direction, timeouts, linger, eviction and cutting policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"
#include "flowdx/flowdx.h"

#define S 1000000ull /* one second in microseconds */
#define MAX_ENDED 8192

/* What the table reported, in order. */
struct ended {
    uint64_t id;
    int reason;
    uint64_t start_us, last_us;
    uint64_t first_ts_us, last_ts_us;
    uint64_t packets[2];
    uint16_t init_port, resp_port;
    uint16_t segment;
};

static struct ended ended[MAX_ENDED];
static int n_ended;
static int n_begun;

static void on_end(void *user, struct fdxi_flow *f, int reason)
{
    (void)user;
    assert_true(n_ended < MAX_ENDED);
    struct ended *e = &ended[n_ended++];
    e->id = f->id;
    e->reason = reason;
    e->start_us = f->start_us;
    e->last_us = f->last_us;
    e->first_ts_us = f->first_ts_us;
    e->last_ts_us = f->last_ts_us;
    memcpy(e->packets, f->packets, sizeof(e->packets));
    e->init_port = fdxi_flow_port(f, FDX_DIR_REQ);
    e->resp_port = fdxi_flow_port(f, FDX_DIR_RESP);
    e->segment = f->segment;
}

static void on_begin(void *user, struct fdxi_flow *f)
{
    (void)user;
    (void)f;
    n_begun++;
}

static struct fdxi_flow_table *table(uint32_t max_flows, const struct fdxi_flow_policy *policy,
                                     void *policy_state)
{
    static const uint16_t server_ports[] = {8443};
    struct fdxi_flow_table_config cfg = {
        .max_flows = max_flows,
        .idle_us = 120 * S,
        .active_us = 120 * S,
        .linger_us = 2 * S,
        .state_bytes = 64,
        .server_ports = server_ports,
        .n_server_ports = 1,
        .policy = policy,
        .policy_state = policy_state,
        .on_begin = on_begin,
        .on_end = on_end,
        .hash_seed = 42,
    };
    n_ended = 0;
    n_begun = 0;
    struct fdxi_flow_table *t = fdxi_flow_table_new(&cfg);
    assert_non_null(t);
    return t;
}

/* A TCP packet between 10.0.0.a:sp and 10.0.0.b:dp. */
static struct fdxi_packet tcp(uint64_t ts_us, uint8_t a, uint16_t sp, uint8_t b, uint16_t dp,
                              uint8_t flags)
{
    struct fdxi_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = ts_us;
    p.ip_version = 4;
    p.proto = FDXI_PROTO_TCP;
    p.src[0] = 10;
    p.src[3] = a;
    p.dst[0] = 10;
    p.dst[3] = b;
    p.sport = sp;
    p.dport = dp;
    p.has_ports = true;
    p.tcp_flags = flags;
    p.ip_len = 40;
    return p;
}

static struct fdxi_flow *feed(struct fdxi_flow_table *t, struct fdxi_packet p, int *ret_dir)
{
    int dir = -1;
    struct fdxi_flow *f = fdxi_flow_table_packet(t, &p, &dir);
    if (f != NULL)
        fdxi_flow_table_after_packet(t, f);
    if (ret_dir != NULL)
        *ret_dir = dir;
    return f;
}

static void test_flow_syn_sender_is_initiator_both_ways(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    int dir;
    /* The SYN goes from the higher address to the lower one: the canonical key order must not
     * decide the direction. */
    struct fdxi_flow *f = feed(t, tcp(1 * S, 9, 40000, 1, 25, FDXI_TCP_SYN), &dir);
    assert_int_equal(dir, FDX_DIR_REQ);
    struct fdxi_flow *g = feed(t, tcp(1 * S + 10, 1, 25, 9, 40000, FDXI_TCP_SYN | FDXI_TCP_ACK),
                               &dir);
    assert_ptr_equal(f, g);
    assert_int_equal(dir, FDX_DIR_RESP);
    assert_int_equal(fdxi_flow_port(f, FDX_DIR_REQ), 40000);
    assert_int_equal(f->packets[FDX_DIR_REQ], 1);
    assert_int_equal(f->packets[FDX_DIR_RESP], 1);
    fdxi_flow_table_free(t);
}

/* A capture that starts with the SYN+ACK: its receiver sent the (unseen) SYN. */
static void test_flow_synack_first_makes_receiver_initiator(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    int dir;
    struct fdxi_flow *f = feed(t, tcp(S, 1, 5000, 2, 6000, FDXI_TCP_SYN | FDXI_TCP_ACK), &dir);
    assert_int_equal(dir, FDX_DIR_RESP);
    assert_int_equal(fdxi_flow_port(f, FDX_DIR_REQ), 6000);
    fdxi_flow_table_free(t);
}

/* Without a SYN, the side not on a server port (below 1024 or listed) is the initiator; with
 * neither or both on one, the first packet's sender. */
static void test_flow_server_port_rule_without_syn(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    int dir;
    feed(t, tcp(S, 1, 25, 2, 50000, FDXI_TCP_ACK), &dir); /* from the server */
    assert_int_equal(dir, FDX_DIR_RESP);
    feed(t, tcp(S, 3, 8443, 4, 50001, FDXI_TCP_ACK), &dir); /* 8443 is in the list */
    assert_int_equal(dir, FDX_DIR_RESP);
    feed(t, tcp(S, 5, 40000, 6, 50002, FDXI_TCP_ACK), &dir); /* neither: first sender */
    assert_int_equal(dir, FDX_DIR_REQ);
    feed(t, tcp(S, 7, 25, 8, 80, FDXI_TCP_ACK), &dir); /* both: first sender */
    assert_int_equal(dir, FDX_DIR_REQ);
    assert_true(fdxi_flow_is_server_port(t, 1023));
    assert_false(fdxi_flow_is_server_port(t, 1024));
    assert_true(fdxi_flow_is_server_port(t, 8443));
    fdxi_flow_table_free(t);
}

/* Loopback: one address, two ports. Endpoints are (address, port), so this is one flow. */
static void test_flow_same_address_endpoints_by_port(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    int d1, d2;
    struct fdxi_flow *f = feed(t, tcp(S, 1, 56660, 1, 25, FDXI_TCP_SYN), &d1);
    struct fdxi_flow *g = feed(t, tcp(S + 1, 1, 25, 1, 56660, FDXI_TCP_SYN | FDXI_TCP_ACK), &d2);
    assert_ptr_equal(f, g);
    assert_int_equal(d1, FDX_DIR_REQ);
    assert_int_equal(d2, FDX_DIR_RESP);
    assert_int_equal(fdxi_flow_table_active(t), 1);
    fdxi_flow_table_free(t);
}

/* Idle timeout 120 s: a gap of exactly 120 s keeps the flow; 120 s + 1 us ends it. */
static void test_flow_idle_timeout_boundary(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(10 * S, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    feed(t, tcp(130 * S, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 0);
    feed(t, tcp(250 * S + 1, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].reason, FDX_END_IDLE);
    assert_int_equal(ended[0].packets[0], 2);
    assert_int_equal(ended[0].start_us, 10 * S);
    assert_int_equal(ended[0].last_us, 130 * S);
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 2);
    assert_int_equal(ended[1].reason, FDX_END_EOF);
    assert_int_equal(ended[1].packets[0], 1);
    fdxi_flow_table_free(t);
}

/* A 300 s connection with a packet every 10 s: the active timeout (120 s) cuts it. Packets at
 * 0..120 s (13) form record 0, ended when the packet at 130 s arrives (130 - 0 > 120); 130..250
 * (13) form record 1; 260..300 (5) end at end of input. Each keeps the original initiator. */
static void test_flow_active_timeout_continues_same_connection(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(0, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    for (uint64_t s = 10; s <= 300; s += 10) {
        /* The responder sends every other packet, so direction is exercised after a cut. */
        if ((s / 10) % 2)
            feed(t, tcp(s * S, 2, 25, 1, 40000, FDXI_TCP_ACK), NULL);
        else
            feed(t, tcp(s * S, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    }
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 3);
    const int reasons[] = {FDX_END_ACTIVE, FDX_END_ACTIVE, FDX_END_EOF};
    const uint64_t starts[] = {0, 130 * S, 260 * S};
    const uint64_t counts[] = {13, 13, 5};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ended[i].reason, reasons[i]);
        assert_int_equal(ended[i].start_us, starts[i]);
        assert_int_equal(ended[i].packets[0] + ended[i].packets[1], counts[i]);
        assert_int_equal(ended[i].init_port, 40000);
        assert_int_equal(ended[i].resp_port, 25);
        assert_int_equal(ended[i].segment, i);
    }
    assert_true(ended[1].id > ended[0].id && ended[2].id > ended[1].id);
    assert_int_equal(n_begun, 3);
    fdxi_flow_table_free(t);
}

/* After both FINs the flow lingers 2 s: the last ACK 1.5 s later is in it, a packet 2.5 s
 * after the second FIN starts a new flow. */
static void test_flow_fin_linger_keeps_final_ack(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(10 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    feed(t, tcp(11 * S, 1, 40000, 2, 25, FDXI_TCP_FIN | FDXI_TCP_ACK), NULL);
    feed(t, tcp(12 * S, 2, 25, 1, 40000, FDXI_TCP_FIN | FDXI_TCP_ACK), NULL);
    feed(t, tcp(13 * S + S / 2, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 0);
    feed(t, tcp(14 * S + S / 2, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].reason, FDX_END_FIN);
    assert_int_equal(ended[0].packets[0], 3);
    assert_int_equal(ended[0].packets[1], 1);
    fdxi_flow_table_free(t);
}

/* One FIN is a half-close, not an end; a RST ends the flow after the linger. */
static void test_flow_rst_ends_and_half_close_does_not(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(10 * S, 1, 40000, 2, 25, FDXI_TCP_FIN | FDXI_TCP_ACK), NULL);
    fdxi_flow_table_advance(t, 50 * S);
    assert_int_equal(n_ended, 0);
    feed(t, tcp(51 * S, 2, 25, 1, 40000, FDXI_TCP_RST), NULL);
    fdxi_flow_table_advance(t, 53 * S);
    assert_int_equal(n_ended, 0); /* 2 s exactly: still lingering */
    fdxi_flow_table_advance(t, 53 * S + 1);
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].reason, FDX_END_RST);
    fdxi_flow_table_free(t);
}

/* A SYN (without ACK) on a lingering flow's 4-tuple is a new connection: the closed record ends at
 * once, with its own reason, and the SYN begins the next one. A SYN/ACK or a plain ACK in the
 * linger time still joins the old flow (the final ACK of a close). */
static void test_flow_syn_in_linger_starts_new_connection(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(10 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    feed(t, tcp(10 * S + 1000, 2, 25, 1, 40000, FDXI_TCP_RST | FDXI_TCP_ACK), NULL);
    feed(t, tcp(10 * S + 2000, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 0); /* lingering: the ACK joined it */
    feed(t, tcp(11 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].reason, FDX_END_RST);
    assert_int_equal(ended[0].packets[0], 2); /* SYN and ACK of the first connection */
    assert_int_equal(ended[0].packets[1], 1); /* its RST */
    assert_int_equal(n_begun, 2);
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 2);
    assert_int_equal(ended[1].packets[0], 1); /* the new connection: its SYN alone */
    assert_int_equal(ended[1].packets[1], 0);
    fdxi_flow_table_free(t);
}

/* Full table: the least recently seen flow is evicted, not the oldest. */
static void test_flow_table_evicts_least_recently_seen_when_full(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(3, NULL, NULL);
    feed(t, tcp(1 * S, 1, 1001, 2, 25, FDXI_TCP_SYN), NULL); /* A */
    feed(t, tcp(2 * S, 1, 1002, 2, 25, FDXI_TCP_SYN), NULL); /* B */
    feed(t, tcp(3 * S, 1, 1003, 2, 25, FDXI_TCP_SYN), NULL); /* C */
    feed(t, tcp(4 * S, 1, 1001, 2, 25, FDXI_TCP_ACK), NULL); /* A again: B is now the LRU */
    feed(t, tcp(5 * S, 1, 1004, 2, 25, FDXI_TCP_SYN), NULL); /* D evicts B */
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].reason, FDX_END_EVICTED);
    assert_int_equal(ended[0].init_port, 1002);
    assert_int_equal(fdxi_flow_table_evictions(t), 1);
    assert_int_equal(fdxi_flow_table_active(t), 3);
    /* End of input: the rest in order of start: A (1 s), C (3 s), D (5 s). */
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 4);
    assert_int_equal(ended[1].init_port, 1001);
    assert_int_equal(ended[2].init_port, 1003);
    assert_int_equal(ended[3].init_port, 1004);
    assert_int_equal(fdxi_flow_table_active(t), 0);
    fdxi_flow_table_free(t);
}

/* Many flows across several slabs, all reported once, and the pool is reused afterwards. */
static void test_flow_pool_spans_slabs_and_is_reused(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(3000, NULL, NULL);
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 3000; i++) {
            struct fdxi_packet p = tcp(S, 1, (uint16_t)(1024 + i), 2, 25, FDXI_TCP_SYN);
            p.src[2] = (uint8_t)round;
            feed(t, p, NULL);
        }
        assert_int_equal(fdxi_flow_table_active(t), 3000);
        fdxi_flow_table_flush(t, FDX_END_EOF);
    }
    assert_int_equal(n_ended, 6000);
    assert_int_equal(fdxi_flow_table_evictions(t), 0);
    fdxi_flow_table_free(t);
}

/* Packets slightly out of order stay in their flow; the record spans their own earliest and
 * latest times (9.5 s to 12 s here), whatever order they came in. */
static void test_flow_small_time_jitter_keeps_flow(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(10 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    feed(t, tcp(12 * S, 2, 25, 1, 40000, FDXI_TCP_SYN | FDXI_TCP_ACK), NULL);
    feed(t, tcp(11 * S, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    feed(t, tcp(9 * S + S / 2, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 1);
    assert_int_equal(ended[0].packets[0] + ended[0].packets[1], 4);
    assert_int_equal(ended[0].first_ts_us, 9 * S + S / 2);
    assert_int_equal(ended[0].last_ts_us, 12 * S);
    fdxi_flow_table_free(t);
}

/* Time going back by more than the idle timeout (120 s) is a restarted capture: the open flows
 * end with reason clock, and the same 5-tuple starts a new flow at the new time. 1000 s back to
 * 500 s is 500 s; 1000 s back to 900 s is only 100 s, which is jitter, not a restart. */
static void test_flow_clock_jump_back_ends_open_flows(void **state)
{
    (void)state;
    struct fdxi_flow_table *t = table(16, NULL, NULL);
    feed(t, tcp(1000 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    feed(t, tcp(1000 * S, 3, 40001, 4, 25, FDXI_TCP_SYN), NULL);
    feed(t, tcp(900 * S, 1, 40000, 2, 25, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 0);
    feed(t, tcp(500 * S, 1, 40000, 2, 25, FDXI_TCP_SYN), NULL);
    assert_int_equal(n_ended, 2);
    assert_int_equal(ended[0].reason, FDX_END_CLOCK);
    assert_int_equal(ended[1].reason, FDX_END_CLOCK);
    assert_int_equal(ended[0].packets[0], 2);
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 3);
    assert_int_equal(ended[2].first_ts_us, 500 * S);
    assert_int_equal(ended[2].packets[0], 1);
    fdxi_flow_table_free(t);
}

/* ---- a policy that cuts its own flows, to prove the seam works without the core knowing ---- */

struct every3 {
    int selected;
    int sweeps;
};

static bool every3_select(void *state, const struct fdxi_packet *p)
{
    (void)state;
    return p->dport == 443 || p->sport == 443;
}

static bool every3_cut(void *state, const struct fdxi_flow *f, const struct fdxi_packet *p)
{
    (void)state;
    (void)p;
    return f->packets[0] + f->packets[1] == 3;
}

static bool every3_sweep(void *state, const struct fdxi_flow *f)
{
    ((struct every3 *)state)->sweeps++;
    (void)f;
    return true;
}

/* Anything not seen for 40 s goes in a sweep. */
static bool every3_expired(void *state, const struct fdxi_flow *f, uint64_t now_us)
{
    (void)state;
    return now_us - f->last_us > 40 * S;
}

/* The first packet's sender is forward, whatever the ports (as the DoH dataset tool does). */
static bool every3_first_sender(void *state, const struct fdxi_packet *p)
{
    (void)state;
    (void)p;
    return true;
}

static const struct fdxi_flow_policy every3 = {
    .name = "every3",
    .state_bytes = sizeof(struct every3),
    .default_timeouts = false,
    .select = every3_select,
    .src_is_initiator = every3_first_sender,
    .cut_before = every3_cut,
    .sweep_after = every3_sweep,
    .expired = every3_expired,
};

static void test_flow_policy_owns_cutting(void **state)
{
    (void)state;
    struct every3 st = {0};
    struct fdxi_flow_table *t = table(16, &every3, &st);
    int dir;
    /* Not selected: no flow, nothing counted. */
    assert_null(feed(t, tcp(S, 1, 40000, 2, 25, FDXI_TCP_SYN), &dir));
    assert_int_equal(fdxi_flow_table_active(t), 0);
    /* The server speaks first: with this policy it is the forward side. */
    feed(t, tcp(1 * S, 2, 443, 1, 40000, FDXI_TCP_ACK), &dir);
    assert_int_equal(dir, FDX_DIR_REQ);
    for (int i = 2; i <= 7; i++)
        feed(t, tcp((uint64_t)i * S, 1, 40000, 2, 443, FDXI_TCP_ACK), NULL);
    /* 7 packets: pieces of 3, 3, and 1 still open. No default timeouts: a 500 s gap does not
     * end anything by itself... */
    assert_int_equal(n_ended, 2);
    assert_int_equal(ended[0].reason, FDX_END_CUT);
    assert_int_equal(ended[0].packets[0] + ended[0].packets[1], 3);
    assert_int_equal(ended[0].init_port, 443);
    fdxi_flow_table_advance(t, 600 * S);
    assert_int_equal(n_ended, 2);
    /* ...but the policy's sweep after the next packet does, with its own rule. */
    feed(t, tcp(601 * S, 5, 443, 6, 40000, FDXI_TCP_ACK), NULL);
    assert_int_equal(n_ended, 3);
    assert_int_equal(ended[2].reason, FDX_END_CUT);
    assert_int_equal(ended[2].packets[0] + ended[2].packets[1], 1);
    assert_int_equal(st.sweeps, 8);
    fdxi_flow_table_flush(t, FDX_END_EOF);
    assert_int_equal(n_ended, 4);
    fdxi_flow_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_syn_sender_is_initiator_both_ways),
        cmocka_unit_test(test_flow_synack_first_makes_receiver_initiator),
        cmocka_unit_test(test_flow_server_port_rule_without_syn),
        cmocka_unit_test(test_flow_same_address_endpoints_by_port),
        cmocka_unit_test(test_flow_idle_timeout_boundary),
        cmocka_unit_test(test_flow_active_timeout_continues_same_connection),
        cmocka_unit_test(test_flow_fin_linger_keeps_final_ack),
        cmocka_unit_test(test_flow_syn_in_linger_starts_new_connection),
        cmocka_unit_test(test_flow_rst_ends_and_half_close_does_not),
        cmocka_unit_test(test_flow_table_evicts_least_recently_seen_when_full),
        cmocka_unit_test(test_flow_pool_spans_slabs_and_is_reused),
        cmocka_unit_test(test_flow_small_time_jitter_keeps_flow),
        cmocka_unit_test(test_flow_clock_jump_back_ends_open_flows),
        cmocka_unit_test(test_flow_policy_owns_cutting),
    };
    return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
