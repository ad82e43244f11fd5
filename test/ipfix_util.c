/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the IPFIX exporter's suites (ipfix_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "ipfix_util.h"

void iu_pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

fdx_engine *iu_default_engine(void)
{
    struct fdx_engine_options eo;
    fdx_engine_options_init(&eo);
    fdx_engine *e = NULL;
    char err[512];
    if (fdx_engine_new(&eo, &e, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return e;
}

struct fdx_ipfix_stats iu_stats(const fdx_ipfix *x)
{
    struct fdx_ipfix_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(fdx_ipfix_get_stats(x, &st), 0);
    return st;
}

fdx_ipfix *iu_open_tcp(const fdx_engine *e, const char *host, unsigned port, uint32_t reconnect_s,
                       int l, int *ret_conn)
{
    char dest[96], err[512];
    snprintf(dest, sizeof(dest), "tcp://%s:%u", host, port);
    struct fdx_ipfix_options o;
    fdx_ipfix_options_init(&o);
    assert_int_equal(o.reconnect_s, 10); /* the documented default */
    o.destination = dest;
    o.reconnect_s = reconnect_s;
    fdx_ipfix *x = NULL;
    if (fdx_ipfix_open(e, &o, &x, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    *ret_conn = accept(l, NULL, NULL);
    assert_true(*ret_conn >= 0);
    return x;
}

int iu_write_id(fdx_ipfix *x, const fdx_engine *e, uint64_t id, char *err, size_t len)
{
    static double values[4096];
    struct fdx_flow_record r = {.struct_size = sizeof(r),
                                .flow_id = id,
                                .ip_version = 4,
                                .proto = 6,
                                .features = values,
                                .n_features = fdx_engine_feature_count(e)};
    return fdx_ipfix_write(x, &r, NULL, 0, err, len);
}
