/* SPDX-License-Identifier: BSD-3-Clause */
/* Golden tests: runs `flowdx extract` on the bundled captures and checks the spec's values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvtable.h"


static const char *flowdx_bin;  /* argv[1] */
static const char *samples_dir; /* argv[2] */
static const char *vectors;     /* argv[3] */

static struct table *extract(const char *capture, const char *extra_args)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' extract -q -r '%s/%s' %s", flowdx_bin, samples_dir, capture,
             extra_args);
    return table_from_command(cmd);
}

/* The one TCP row with @p port on either side. */
static int row_with_port(const struct table *t, const char *port)
{
    int found = -1;
    for (int r = 0; r < t->n_rows; r++) {
        bool hit = strcmp(t->rows[r][table_col(t, "proto")], "6") == 0 &&
                   (strcmp(t->rows[r][table_col(t, "src_port")], port) == 0 ||
                    strcmp(t->rows[r][table_col(t, "dst_port")], port) == 0);
        if (hit) {
            if (found >= 0)
                fail_msg("two TCP flows with port %s", port);
            found = r;
        }
    }
    if (found < 0)
        fail_msg("no TCP flow with port %s", port);
    return found;
}

/* Every value of the spec's test-vector table, rounded to 3 decimals as the table is. */
static void test_golden_zadnik_spec_vectors(void **state)
{
    (void)state;
    FILE *f = fopen(vectors, "r");
    assert_non_null(f);
    char line[1024], current[512] = "";
    struct table *t = NULL;
    int checked = 0, wrong = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char capture[512], port[16], feature[64], expected[64];
        if (sscanf(line, "%511[^\t]\t%15[^\t]\t%63[^\t]\t%63s", capture, port, feature,
                   expected) != 4)
            fail_msg("bad vector line: %s", line);
        if (strcmp(capture, current) != 0) {
            if (t != NULL)
                table_free(t);
            t = extract(capture, "-f zadnik --format csv");
            snprintf(current, sizeof(current), "%s", capture);
        }
        double got = table_num(t, row_with_port(t, port), feature);
        double want = strtod(expected, NULL);
        if (fabs(round(got * 1000.0) / 1000.0 - want) > 1e-9) {
            print_error("%s port %s: %s = %.6f, spec says %s\n", capture, port, feature, got,
                        expected);
            wrong++;
        }
        checked++;
    }
    fclose(f);
    if (t != NULL)
        table_free(t);
    assert_int_equal(checked, 208); /* 26 rows x 2 directions x 4 captures */
    assert_int_equal(wrong, 0);
}

/* Captures with the client side only: oneway = 1 and 32 response zeros. Packet counts from
 * tshark: 19 packets 57722 -> 25, and 17 packets [::1]:56660 -> 25 (SOURCES.md). */
static void check_one_sided(const char *capture, double packets)
{
    struct table *t = extract(capture, "");
    assert_int_equal(t->n_rows, 1);
    assert_true(table_num(t, 0, "oneway") == 1.0);
    assert_true(table_num(t, 0, "sp") == packets);
    assert_string_equal(t->rows[0][table_col(t, "dst_port")], "25");
    int responses = 0;
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i][0] == 'r' && strcmp(t->cols[i], "rsp") != 0 && i > table_col(t, "spzw")) {
            assert_true(table_num(t, 0, t->cols[i]) == 0.0);
            responses++;
        }
    }
    assert_true(table_num(t, 0, "rsp") == 0.0);
    assert_int_equal(responses + 1, 32);
    table_free(t);
}

static void test_golden_one_sided_captures_are_oneway(void **state)
{
    (void)state;
    check_one_sided("spam/zeek/smtp-one-side-only.pcap", 19);
    check_one_sided("spam/zeek/smtp-attachment-msg.pcap", 17);
}

/* zeek/smtp.pcap: 4 ICMP frag-needed errors from 192.168.1.1 quote the 1470 -> 25 header
 * (tshark: 4 packets icmp.type 3 code 4). They form their own ICMP flow, and the TCP flow
 * keeps the 28 + 25 packets of the spec table. */
static void test_golden_icmp_errors_stay_out_of_quoted_flow(void **state)
{
    (void)state;
    struct table *t = extract("spam/zeek/smtp.pcap", "");
    int r = row_with_port(t, "1470");
    assert_true(table_num(t, r, "sp") + table_num(t, r, "rsp") == 53.0);
    int icmp = -1;
    for (int i = 0; i < t->n_rows; i++) {
        if (strcmp(t->rows[i][table_col(t, "proto")], "1") == 0)
            icmp = i;
    }
    assert_true(icmp >= 0);
    assert_string_equal(t->rows[icmp][table_col(t, "src_addr")], "192.168.1.1");
    assert_true(table_num(t, icmp, "sp") == 4.0);
    assert_true(table_num(t, icmp, "stw") == 0.0); /* non-TCP: window features are 0 */
    table_free(t);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s FLOWDX SAMPLES_DIR VECTORS_TSV\n", argv[0]);
        return 2;
    }
    flowdx_bin = argv[1];
    samples_dir = argv[2];
    vectors = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_zadnik_spec_vectors),
        cmocka_unit_test(test_golden_one_sided_captures_are_oneway),
        cmocka_unit_test(test_golden_icmp_errors_stay_out_of_quoted_flow),
    };
    return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
