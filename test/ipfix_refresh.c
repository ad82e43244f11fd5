/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes three records to an IPFIX destination 1.1 s apart with refresh_s 1 (for ipfix_cli.sh). */
#include <stdio.h>
#include <time.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_export.h"

/* Usage: ipfix_refresh DEST. Over UDP the templates go out at open and again before the second
 * and the third record; the records are flows 1 (IPv4), 2 (IPv6) and 3 (IPv4). */
int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ipfix_refresh DEST\n");
        return 2;
    }
    struct fdx_engine_options o;
    fdx_engine_options_init(&o);
    fdx_engine *e = NULL;
    char err[512];
    if (fdx_engine_new(&o, &e, err, sizeof(err)) != 0) {
        fprintf(stderr, "ipfix_refresh: %s\n", err);
        return 1;
    }
    struct fdx_ipfix_options io;
    fdx_ipfix_options_init(&io);
    io.destination = argv[1];
    io.refresh_s = 1;
    fdx_ipfix *x = NULL;
    int rc = fdx_ipfix_open(e, &io, &x, err, sizeof(err));
    static double values[1024];
    struct fdx_flow_record r = {.struct_size = sizeof(r),
                                .proto = 17,
                                .features = values,
                                .n_features = fdx_engine_feature_count(e)};
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (i > 0) {
            struct timespec pause = {1, 100000000};
            nanosleep(&pause, NULL);
        }
        r.flow_id = (uint64_t)i + 1;
        r.ip_version = i == 1 ? 6 : 4;
        rc = fdx_ipfix_write(x, &r, NULL, 0, err, sizeof(err));
    }
    if (x != NULL && fdx_ipfix_close(x, rc == 0 ? err : NULL, sizeof(err)) != 0 && rc == 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "ipfix_refresh: %s\n", err);
    fdx_engine_free(e);
    return rc == 0 ? 0 : 1;
}
