/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the training CSV reader (lib/train/dataset.c): quoting, line numbers, label
 * spellings, identifiers, limits and located errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowdx/flowdx.h"
#include "train/train.h"
#include "train_util.h"

/* ---- CSV reading ---- */

/*
 * Quoted fields (a comma inside a header name, a doubled quote and a comma inside identifier
 * cells), CRLF line ends, and every NaN and infinity spelling of the contract.
 */
static void test_train_csv_quotes_crlf_nan(void **state)
{
    (void)state;
    const char *text = "SourceIP,Duration,\"Packet, Length\",TimeStamp,Label\r\n"
                       "\"10.0.0.1, spoofed\",1.5,\"2\",2019/12/16 19:32,Benign\r\n"
                       "x,,NaN,\"a \"\"b\"\"\",Malicious\r\n"
                       "y,nan,-inf,z,Benign\r\n"
                       "z,inf, 3e2 ,q,Malicious\r\n";
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(ds.n_rows, 4);
    assert_int_equal(ds.n_cols, 2);
    assert_string_equal(ds.col_names[0], "Duration");
    assert_string_equal(ds.col_names[1], "Packet, Length");
    assert_true(ds.x[0] == 1.5);
    assert_true(ds.x[1] == 2.0);
    assert_true(isnan(ds.x[2])); /* empty */
    assert_true(isnan(ds.x[3])); /* NaN */
    assert_true(isnan(ds.x[4])); /* nan */
    assert_true(isinf(ds.x[5]) && ds.x[5] < 0);
    assert_true(isinf(ds.x[6]) && ds.x[6] > 0);
    assert_true(ds.x[7] == 300.0); /* " 3e2 ": surrounding spaces are not part of the number */
    assert_int_equal(ds.n_classes, 2);
    assert_string_equal(ds.class_names[0], "Benign");
    assert_string_equal(ds.class_names[1], "Malicious");
    assert_int_equal(ds.y[0], 0);
    assert_int_equal(ds.y[1], 1);
    assert_int_equal(ds.y[2], 0);
    assert_int_equal(ds.y[3], 1);
    fdxi_dataset_free(&ds);
}

/* A quoted line break belongs to the cell; the rows after it keep their physical line numbers. */
static void test_train_csv_quoted_newline_keeps_line_numbers(void **state)
{
    (void)state;
    const char *ok = "SourceIP,a,Label\n\"x\ny\",1,0\nz,2,1\n";
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text(ok, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(ds.n_rows, 2);
    assert_true(ds.x[0] == 1.0 && ds.x[1] == 2.0);
    fdxi_dataset_free(&ds);
    /* Lines: 1 header, 2-3 the quoted cell's row, 4 the bad one. */
    tu_expect_error("SourceIP,a,Label\n\"x\ny\",1,0\nz,abc,1\n", NULL, FDX_EFORMAT,
                    "4: column 'a': 'abc' is not a number");
}

/* CRLF counts as one line end: the bad cell is on line 3, not 5. */
static void test_train_csv_crlf_line_numbers(void **state)
{
    (void)state;
    tu_expect_error("a,Label\r\n1,0\r\nx,1\r\n", NULL, FDX_EFORMAT,
                    "3: column 'a': 'x' is not a number");
}

/* Blank lines (anywhere) are skipped, the last line may lack its end, a UTF-8 BOM is ignored. */
static void test_train_csv_blank_lines_bom_and_no_final_newline(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF"
                       "a,Label\n\n1,0\r\n\r\n2,1";
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_string_equal(ds.col_names[0], "a");
    assert_int_equal(ds.n_rows, 2);
    assert_true(ds.x[0] == 1.0 && ds.x[1] == 2.0);
    fdxi_dataset_free(&ds);
}

/*
 * Each row keeps the file line it starts on, for messages after reading (a label the model lacks,
 * a value training refuses): blank lines before the header and between rows count, a quoted line
 * break belongs to its row, CRLF is one line end. The header's own line is kept too, and a header
 * after blank lines is refused at its line.
 */
static void test_train_csv_row_and_header_lines(void **state)
{
    (void)state;
    const char *text = "\n"                   /* line 1 */
                       "SourceIP,a,Label\r\n" /* 2 */
                       "s,1,ham\n"            /* 3 */
                       "\n"                   /* 4 */
                       "\"x\ny\",2,spam\n"    /* 5-6 */
                       "s,3,HAM\r\n"          /* 7 */
                       "s,4,spam";            /* 8, no line end */
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(ds.header_line, 2);
    assert_int_equal(ds.n_rows, 4);
    const uint64_t want[4] = {3, 5, 7, 8};
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(ds.row_line[i], want[i]);
    /* Classes: ham (benign) first, then HAM and spam by byte order; their first rows' lines. */
    assert_int_equal(ds.n_classes, 3);
    assert_string_equal(ds.class_names[0], "ham");
    assert_string_equal(ds.class_names[1], "HAM");
    assert_string_equal(ds.class_names[2], "spam");
    uint64_t first[3];
    fdxi_dataset_class_lines(&ds, first);
    assert_int_equal(first[0], 3);
    assert_int_equal(first[1], 7);
    assert_int_equal(first[2], 5);
    fdxi_dataset_free(&ds);

    tu_expect_error("\n\na,b,Verdict\n1,2,0\n", NULL, FDX_EFORMAT,
                    "3: no label column (looked for Label, label, DoH, class)");
}

/* A row appended from another file keeps that file's line numbers. */
static void test_train_append_keeps_row_lines(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset a, b;
    assert_int_equal(
        tu_read_text("a,Label\n1,0\n2,1\n", NULL, &a, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(
        tu_read_text("Label,a\n\n1,3\n", NULL, &b, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(fdxi_dataset_append(&a, &b, "b.csv", err, sizeof(err)), 0);
    assert_int_equal(a.n_rows, 3);
    assert_true(a.x[2] == 3.0 && a.y[2] == 1);
    assert_int_equal(a.row_line[0], 2);
    assert_int_equal(a.row_line[1], 3);
    assert_int_equal(a.row_line[2], 3);
    fdxi_dataset_free(&a);
    fdxi_dataset_free(&b);
}

static void expect_classes(const char *text, const struct fdxi_csv_options *o, uint32_t n_classes,
                           const char *const *names, const int32_t *y, uint32_t n_rows)
{
    char path[256], err[256];
    struct fdxi_dataset ds;
    int rc = tu_read_text(text, o, &ds, path, sizeof(path), err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(ds.n_classes, n_classes);
    for (uint32_t c = 0; c < n_classes; c++)
        assert_string_equal(ds.class_names[c], names[c]);
    assert_int_equal(ds.n_rows, n_rows);
    for (uint32_t i = 0; i < n_rows; i++)
        assert_int_equal(ds.y[i], y[i]);
    fdxi_dataset_free(&ds);
}

/*
 * Known negatives are class 0 wherever they first appear; with more classes the others follow
 * by name (byte order). The label column is found by its names or given by the options.
 */
static void test_train_csv_label_spellings_to_classes(void **state)
{
    (void)state;
    /* Layer 1: the negative NonDoH appears second but is class 0. */
    const char *const l1[] = {"NonDoH", "DoH"};
    const int32_t l1_y[] = {1, 0, 1};
    expect_classes("f,Label\n1,DoH\n2,NonDoH\n3,DoH\n", NULL, 2, l1, l1_y, 3);
    /* The sample's integer labels, under a lower-case column name. */
    const char *const bin[] = {"0", "1"};
    const int32_t bin_y[] = {1, 1, 0};
    expect_classes("f,label\n1,1\n2,1\n3,0\n", NULL, 2, bin, bin_y, 3);
    /* Upper-case and lower-case benign, ham. */
    const char *const up[] = {"BENIGN", "attack"};
    const int32_t up_y[] = {1, 0};
    expect_classes("f,class\n1,attack\n2,BENIGN\n", NULL, 2, up, up_y, 2);
    const char *const ham[] = {"ham", "spam"};
    const int32_t ham_y[] = {1, 0};
    expect_classes("f,class\n1,spam\n2,ham\n", NULL, 2, ham, ham_y, 2);
    /* Four classes: benign first, then dns2tcp < dnscat2 < iodine by name. */
    const char *const multi[] = {"benign", "dns2tcp", "dnscat2", "iodine"};
    const int32_t multi_y[] = {2, 0, 3, 1, 2};
    expect_classes("f,Label\n1,dnscat2\n2,benign\n3,iodine\n4,dns2tcp\n5,dnscat2\n", NULL, 4, multi,
                   multi_y, 5);
    /* DoHLyzer's own output: column DoH holding True/False; no negative, so by name. */
    const char *const tf[] = {"False", "True"};
    const int32_t tf_y[] = {1, 0};
    expect_classes("f,DoH\n1,True\n2,False\n", NULL, 2, tf, tf_y, 2);
    /* "Label" wins over "class" when both are present; the other one must then be numeric. */
    const char *const pick[] = {"0", "1"};
    const int32_t pick_y[] = {0, 1};
    expect_classes("class,Label\n7,0\n8,1\n", NULL, 2, pick, pick_y, 2);
    /* The options name the column: "Label" is then an ordinary (numeric) feature. */
    struct fdxi_csv_options o = {.label_column = "verdict"};
    const char *const named[] = {"Benign", "Malicious"};
    const int32_t named_y[] = {1, 0};
    expect_classes("Label,verdict\n1,Malicious\n0,Benign\n", &o, 2, named, named_y, 2);
}

/*
 * Identifier columns of both layouts are dropped by name whatever they hold; the others stay
 * as features in file order.
 */
static void test_train_csv_drops_identifier_columns(void **state)
{
    (void)state;
    const char *cira = "SourceIP,DestinationIP,SourcePort,DestinationPort,TimeStamp,Duration,"
                       "FlowBytesSent,Label\n"
                       "192.168.20.111,8.8.8.8,47458,443,2019/12/16 19:32,0.195289,4468,0\n";
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text(cira, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(ds.n_cols, 2);
    assert_string_equal(ds.col_names[0], "Duration");
    assert_string_equal(ds.col_names[1], "FlowBytesSent");
    assert_true(ds.x[0] == 0.195289 && ds.x[1] == 4468.0);
    assert_int_equal(fdxi_dataset_column(&ds, "SourcePort"), -1);
    fdxi_dataset_free(&ds);

    const char *extract = "flow_id,src_addr,src_port,dst_addr,dst_port,proto,start_us,end_us,"
                          "end_reason,zadnik_a,zadnik_b,label\n"
                          "1,2001:db8::1,40000,10.0.0.1,443,6,1600000000000000,1600000001000000,"
                          "idle,3.5,-1,ham\n";
    assert_int_equal(tu_read_text(extract, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(ds.n_cols, 2);
    assert_string_equal(ds.col_names[0], "zadnik_a");
    assert_string_equal(ds.col_names[1], "zadnik_b");
    assert_true(ds.x[0] == 3.5 && ds.x[1] == -1.0);
    fdxi_dataset_free(&ds);
}

/* Each message names the file and the line (the header is line 1). */
static void test_train_csv_bad_number_names_line(void **state)
{
    (void)state;
    tu_expect_error("SourceIP,Duration,Label\nx,1,0\ny,abc,1\n", NULL, FDX_EFORMAT,
                    "3: column 'Duration': 'abc' is not a number");
    /* A number followed by text, a hexadecimal number and an overflowing one are no numbers. */
    tu_expect_error("a,Label\n1.5x,0\n", NULL, FDX_EFORMAT,
                    "2: column 'a': '1.5x' is not a number");
    tu_expect_error("a,Label\n0x10,0\n", NULL, FDX_EFORMAT,
                    "2: column 'a': '0x10' is not a number");
    tu_expect_error("a,Label\n1,0\n1e999,0\n", NULL, FDX_EFORMAT,
                    "3: column 'a': '1e999' is not a number");
    /* A long cell is quoted by its first 64 bytes and its length (65 + 100 = 165), and is not cut
     * inside a UTF-8 sequence: 63 'x' and a 2-byte 'é' would end at byte 65, so 63 are shown. */
    char text[512];
    char cell[256];
    memset(cell, 'x', 65);
    memset(cell + 65, 'y', 100);
    cell[165] = '\0';
    snprintf(text, sizeof(text), "a,Label\n%s,0\n", cell);
    tu_expect_error(
        text, NULL, FDX_EFORMAT,
        "2: column 'a': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... "
        "(165 bytes)' is not a number");
    memset(cell, 'x', 63);
    snprintf(cell + 63, sizeof(cell) - 63, "\xc3\xa9zzzz");
    snprintf(text, sizeof(text), "a,Label\n%s,0\n", cell);
    tu_expect_error(
        text, NULL, FDX_EFORMAT,
        "2: column 'a': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... "
        "(69 bytes)' is not a number");
}

static void test_train_csv_ragged_row_names_line(void **state)
{
    (void)state;
    tu_expect_error("a,b,Label\n1,2,0\n3,1\n", NULL, FDX_EFORMAT, "3: 2 fields, the header has 3");
    tu_expect_error("a,b,Label\n1,2,0,9\n", NULL, FDX_EFORMAT, "2: 4 fields, the header has 3");
}

static void test_train_csv_missing_label_column(void **state)
{
    (void)state;
    tu_expect_error("a,b,Verdict\n1,2,0\n", NULL, FDX_EFORMAT,
                    "1: no label column (looked for Label, label, DoH, class)");
    struct fdxi_csv_options o = {.label_column = "verdict"};
    tu_expect_error("a,Label\n1,0\n", &o, FDX_EFORMAT, "1: no label column 'verdict'");
}

/* With lines limited to 16 bytes, @p fits is read and @p too_long is refused with @p want_msg. */
static void expect_16_byte_lines(const char *fits, const char *too_long, const char *want_msg)
{
    struct fdxi_csv_options o = {.max_line_bytes = 16};
    char path[256], err[256];
    struct fdxi_dataset ds;
    int rc = tu_read_text(fits, &o, &ds, path, sizeof(path), err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    fdxi_dataset_free(&ds);
    tu_expect_error(too_long, &o, FDX_ERANGE, want_msg);
}

/* A line of 17 bytes against a limit of 16; 16 bytes pass. */
static void test_train_csv_overlong_line_names_line(void **state)
{
    (void)state;
    /* "1234567890123,0" is 15 bytes; "12345678901234,0" 16; "123456789012345,0" 17. */
    expect_16_byte_lines("a,Label\n12345678901234,0\n",
                         "a,Label\n1234567890123,0\n123456789012345,0\n",
                         "3: line longer than 16 bytes");
}

/*
 * A doubled quote counts as the two bytes it takes in the file. With a limit of 16 (the
 * header "SourceIP,a,Label" is 16 bytes), "a""bcdefgh",1,0 (16 bytes) passes and
 * "a""bcdefghi",1,0 (17 bytes) does not.
 */
static void test_train_csv_line_limit_counts_doubled_quotes(void **state)
{
    (void)state;
    expect_16_byte_lines("SourceIP,a,Label\n\"a\"\"bcdefgh\",1,0\n",
                         "SourceIP,a,Label\n\"a\"\"bcdefghi\",1,0\n",
                         "2: line longer than 16 bytes");
}

static void test_train_csv_row_limit(void **state)
{
    (void)state;
    struct fdxi_csv_options o = {.max_rows = 2};
    tu_expect_error("a,Label\n1,0\n2,1\n3,0\n", &o, FDX_ERANGE, "4: more than 2 rows");
}

static void test_train_csv_malformed_structure(void **state)
{
    (void)state;
    tu_expect_error("a,Label\n\"1,0\n", NULL, FDX_ETRUNC,
                    "2: quoted field not closed at the end of the file");
    tu_expect_error("a,Label\n\"1\"2,0\n", NULL, FDX_EFORMAT,
                    "2: field 1: text after a closing quote");
    tu_expect_error("a,Label\n1\"2,0\n", NULL, FDX_EFORMAT,
                    "2: field 1: quote inside an unquoted field");
    tu_expect_error("a,a,Label\n1,2,0\n", NULL, FDX_EFORMAT,
                    "1: column 'a' appears twice (columns 1 and 2)");
    tu_expect_error("", NULL, FDX_EFORMAT, "1: no header row");
    tu_expect_error("a,Label\n", NULL, FDX_EFORMAT, "2: no data rows after the header");
    tu_expect_error("a,Label\n1,\n", NULL, FDX_EFORMAT, "2: empty label");
    tu_expect_error("SourceIP,Label\nx,0\n", NULL, FDX_EFORMAT,
                    "1: no feature columns besides the label and identifiers");
}

static void test_train_csv_missing_file(void **state)
{
    (void)state;
    char err[256];
    struct fdxi_dataset ds;
    int rc = fdxi_dataset_read_csv("/nonexistent/fdx_train.csv", NULL, &ds, err, sizeof(err));
    assert_int_equal(rc, FDX_ENOENT);
    assert_string_equal(err, "/nonexistent/fdx_train.csv: No such file or directory");
    /* A directory opens but cannot be read. */
    assert_int_equal(fdxi_dataset_read_csv("/", NULL, &ds, err, sizeof(err)), FDX_EIO);
    assert_string_equal(err, "/:1: Is a directory");
}

/* ---- data set operations ---- */

/* Selection keeps order and values; a selection of nothing is refused without a change. */
static void test_train_select_column_and_impute(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset ds;
    assert_int_equal(tu_read_text("a,b,c,Label\n1,2,3,0\n4,,6,1\n", NULL, &ds, path, sizeof(path),
                                  err, sizeof(err)),
                     0);
    assert_int_equal(fdxi_dataset_column(&ds, "b"), 1);
    assert_int_equal(fdxi_dataset_column(&ds, "Label"), -1);
    const bool none[3] = {false, false, false};
    assert_int_equal(fdxi_dataset_select(&ds, none), FDX_EINVAL);
    assert_int_equal(ds.n_cols, 3);
    const bool keep[3] = {true, false, true};
    assert_int_equal(fdxi_dataset_select(&ds, keep), 0);
    assert_int_equal(ds.n_cols, 2);
    assert_string_equal(ds.col_names[0], "a");
    assert_string_equal(ds.col_names[1], "c");
    assert_int_equal(fdxi_dataset_column(&ds, "c"), 1);
    assert_true(ds.x[0] == 1 && ds.x[1] == 3 && ds.x[2] == 4 && ds.x[3] == 6);

    const bool keep_b[3] = {true, true, true};
    fdxi_dataset_free(&ds);
    assert_int_equal(
        tu_read_text("a,b,Label\n1,,0\nNaN,2,1\n", NULL, &ds, path, sizeof(path), err, sizeof(err)),
        0);
    assert_int_equal(fdxi_dataset_select(&ds, keep_b), 0);
    fdxi_dataset_impute_nan(&ds, -7);
    assert_true(ds.x[0] == 1 && ds.x[1] == -7 && ds.x[2] == -7 && ds.x[3] == 2);
    fdxi_dataset_free(&ds);
    fdxi_dataset_free(&ds); /* a freed (zeroed) data set may be freed again */
    fdxi_dataset_free(NULL);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_csv_quotes_crlf_nan),
        cmocka_unit_test(test_train_csv_quoted_newline_keeps_line_numbers),
        cmocka_unit_test(test_train_csv_crlf_line_numbers),
        cmocka_unit_test(test_train_csv_blank_lines_bom_and_no_final_newline),
        cmocka_unit_test(test_train_csv_row_and_header_lines),
        cmocka_unit_test(test_train_append_keeps_row_lines),
        cmocka_unit_test(test_train_csv_label_spellings_to_classes),
        cmocka_unit_test(test_train_csv_drops_identifier_columns),
        cmocka_unit_test(test_train_csv_bad_number_names_line),
        cmocka_unit_test(test_train_csv_ragged_row_names_line),
        cmocka_unit_test(test_train_csv_missing_label_column),
        cmocka_unit_test(test_train_csv_overlong_line_names_line),
        cmocka_unit_test(test_train_csv_line_limit_counts_doubled_quotes),
        cmocka_unit_test(test_train_csv_row_limit),
        cmocka_unit_test(test_train_csv_malformed_structure),
        cmocka_unit_test(test_train_csv_missing_file),
        cmocka_unit_test(test_train_select_column_and_impute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
