/* SPDX-License-Identifier: BSD-3-Clause */
/* Golden tests: `flowdx extract -f doh:dohlyzer` against the dataset tool's own output rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvtable.h"

static const char *flowdx_bin;  /* argv[1] */
static const char *samples_dir; /* argv[2]: the doh/ folder of the samples */

/* Identifier columns compared as text; the 29 after them as numbers. */
#define N_IDS 5
#define N_FEATURES 29

/*
 * The conformance rule of the feature spec: the same flows, in the same order; the 29 numbers
 * within 1e-9 relative; NaN, -0.0 and the sentinels exact (exact equality covers the sentinels,
 * which are whole numbers the tool writes as such).
 */
static bool same_number(double got, double want)
{
    if (isnan(want))
        return isnan(got);
    if (want == 0)
        return got == 0 && signbit(got) == signbit(want);
    if (want == -1 || want == -10)
        return got == want;
    return fabs(got - want) <= 1e-9 * fabs(want);
}

static void check_capture(const char *capture)
{
    char cmd[2048], ref[1024];
    snprintf(cmd, sizeof(cmd), "'%s' extract -q -f doh:dohlyzer -r '%s/%s'", flowdx_bin,
             samples_dir, capture);
    const char *base = strrchr(capture, '/');
    snprintf(ref, sizeof(ref), "%s/dohlyzer_ref/%s.dohlyzer.csv", samples_dir,
             base ? base + 1 : capture);
    struct table *got = table_from_command(cmd);
    struct table *want = table_from_file(ref);
    /* The reference has the tool's extra last column (DoH = True/False), not a feature. */
    assert_int_equal(want->n_cols, N_IDS + N_FEATURES + 1);
    assert_int_equal(got->n_cols, N_IDS + N_FEATURES);
    for (int c = 0; c < got->n_cols; c++)
        assert_string_equal(got->cols[c], want->cols[c]);
    if (got->n_rows != want->n_rows)
        fail_msg("%s: %d flows, the reference has %d", capture, got->n_rows, want->n_rows);
    int wrong = 0;
    for (int r = 0; r < want->n_rows; r++) {
        for (int c = 0; c < N_IDS; c++) {
            if (strcmp(got->rows[r][c], want->rows[r][c]) != 0) {
                print_error("%s row %d %s: '%s', reference '%s'\n", capture, r + 1,
                            want->cols[c], got->rows[r][c], want->rows[r][c]);
                wrong++;
            }
        }
        for (int c = N_IDS; c < N_IDS + N_FEATURES; c++) {
            double g = table_num(got, r, want->cols[c]);
            double w = strtod(want->rows[r][c], NULL);
            if (!same_number(g, w)) {
                print_error("%s row %d %s: %.17g, reference %s\n", capture, r + 1, want->cols[c],
                            g, want->rows[r][c]);
                wrong++;
            }
        }
    }
    table_free(got);
    table_free(want);
    assert_int_equal(wrong, 0);
}

static void test_golden_doh_ndpi_dns_doh(void **state)
{
    (void)state;
    check_capture("ndpi/dns_doh.pcap");
}

static void test_golden_doh_ndpi_doh_pcapng_active_split(void **state)
{
    (void)state;
    check_capture("ndpi/doh.pcapng");
}

static void test_golden_doh_ndpi_dnscrypt_many_resolvers(void **state)
{
    (void)state;
    check_capture("ndpi/dnscrypt-v2-doh.pcap");
}

static void test_golden_doh_korving_dns2tcp(void **state)
{
    (void)state;
    check_capture("korving/korving_c2_dns2tcp_txt_177c8813.pcap");
}

static void test_golden_doh_korving_dnstt(void **state)
{
    (void)state;
    check_capture("korving/korving_c2_dnstt_firefox_68c58a06.pcap");
}

static void test_golden_doh_korving_iodine(void **state)
{
    (void)state;
    check_capture("korving/korving_ft_iodine_private_b64_23a0a5a8.pcap");
}

static void test_golden_doh_synthetic_keepalive_chained_pieces(void **state)
{
    (void)state;
    check_capture("synthetic/synthetic_keepalive_59s.pcap");
}

static void test_golden_doh_synthetic_continuous_split(void **state)
{
    (void)state;
    check_capture("synthetic/synthetic_continuous_300s.pcap");
}

/* DoT on port 853 is outside the tool's capture filter: no row at all (the reference set has
 * no file for it, per its SOURCES.md: "except the two DoT pcaps, which produce no output"). */
static void test_golden_doh_dot_is_invisible(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' extract -q -f doh:dohlyzer -r '%s/ndpi/dns_dot.pcap'",
             flowdx_bin, samples_dir);
    struct table *got = table_from_command(cmd);
    assert_int_equal(got->n_rows, 0);
    table_free(got);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FLOWDX SAMPLES_DOH_DIR\n", argv[0]);
        return 2;
    }
    flowdx_bin = argv[1];
    samples_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_doh_ndpi_dns_doh),
        cmocka_unit_test(test_golden_doh_ndpi_doh_pcapng_active_split),
        cmocka_unit_test(test_golden_doh_ndpi_dnscrypt_many_resolvers),
        cmocka_unit_test(test_golden_doh_korving_dns2tcp),
        cmocka_unit_test(test_golden_doh_korving_dnstt),
        cmocka_unit_test(test_golden_doh_korving_iodine),
        cmocka_unit_test(test_golden_doh_synthetic_keepalive_chained_pieces),
        cmocka_unit_test(test_golden_doh_synthetic_continuous_split),
        cmocka_unit_test(test_golden_doh_dot_is_invisible),
    };
    return cmocka_run_group_tests_name("golden_doh", tests, NULL, NULL);
}
