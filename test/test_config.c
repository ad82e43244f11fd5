/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration: YAML loading with locations, typed accessors, limits and the unknown-key check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowdx/flowdx_config.h"

static fdx_config *load(const char *text)
{
    fdx_config *c = NULL;
    char err[512];
    int rc = fdx_config_load_string(text, strlen(text), "t.yaml", &c, err, sizeof(err));
    if (rc != 0)
        fail_msg("load failed: %s", err);
    return c;
}

/* The message of a load that must fail with @p code. */
static void load_fails(const char *text, int code, const char *message)
{
    fdx_config *c = NULL;
    char err[512] = "";
    assert_int_equal(fdx_config_load_string(text, strlen(text), "t.yaml", &c, err, sizeof(err)),
                     code);
    assert_null(c);
    assert_string_equal(err, message);
}

static void test_config_reads_every_type(void **state)
{
    (void)state;
    fdx_config *c = load("name: probe-1\n"
                         "count: 42\n"
                         "hex: 0x1f\n"
                         "ratio: -0.25\n"
                         "on: yes\n"
                         "idle: 1.5m\n"
                         "linger: 500ms\n"
                         "bare: 30\n"
                         "mode: jury\n"
                         "detect: [doh, spam]\n"
                         "one: doh\n"
                         "sub:\n  key: v\n"
                         "nothing: ~\n");
    const fdx_config_node *r = fdx_config_root(c);
    char err[256];
    const char *s = NULL;
    assert_int_equal(fdx_config_get_string(r, "name", &s, err, sizeof(err)), 1);
    assert_string_equal(s, "probe-1");
    int64_t i = 0;
    assert_int_equal(fdx_config_get_int(r, "count", 0, 100, &i, err, sizeof(err)), 1);
    assert_int_equal(i, 42);
    assert_int_equal(fdx_config_get_int(r, "hex", 0, 100, &i, err, sizeof(err)), 1);
    assert_int_equal(i, 31);
    double d = 0;
    assert_int_equal(fdx_config_get_double(r, "ratio", -1, 1, &d, err, sizeof(err)), 1);
    assert_true(d == -0.25);
    int b = 0;
    assert_int_equal(fdx_config_get_bool(r, "on", &b, err, sizeof(err)), 1);
    assert_int_equal(b, 1);
    uint64_t us = 0;
    /* 1.5 minutes = 90 s = 90,000,000 us; 500 ms = 500,000 us; a bare 30 is seconds. */
    assert_int_equal(fdx_config_get_duration(r, "idle", 0, UINT64_MAX / 2, &us, err, sizeof(err)),
                     1);
    assert_int_equal(us, 90000000);
    assert_int_equal(fdx_config_get_duration(r, "linger", 0, 10000000, &us, err, sizeof(err)), 1);
    assert_int_equal(us, 500000);
    assert_int_equal(fdx_config_get_duration(r, "bare", 0, 60000000, &us, err, sizeof(err)), 1);
    assert_int_equal(us, 30000000);
    static const char *const modes[] = {"any", "majority", "jury"};
    uint32_t m = 9;
    assert_int_equal(fdx_config_get_choice(r, "mode", modes, 3, &m, err, sizeof(err)), 1);
    assert_int_equal(m, 2);
    const fdx_config_node *l = NULL;
    assert_int_equal(fdx_config_get_list(r, "detect", &l, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_list_count(l), 2);
    assert_string_equal(fdx_config_scalar(fdx_config_list_at(l, 1)), "spam");
    assert_null(fdx_config_list_at(l, 2));
    assert_int_equal(fdx_config_get_list(r, "one", &l, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_list_count(l), 1);
    assert_string_equal(fdx_config_scalar(fdx_config_list_at(l, 0)), "doh");
    const fdx_config_node *sub = NULL;
    assert_int_equal(fdx_config_get_map(r, "sub", &sub, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_get_string(sub, "key", &s, err, sizeof(err)), 1);
    assert_string_equal(s, "v");
    /* Absent and null keys leave the default. */
    i = 7;
    assert_int_equal(fdx_config_get_int(r, "absent", 0, 100, &i, err, sizeof(err)), 0);
    assert_int_equal(fdx_config_get_int(r, "nothing", 0, 100, &i, err, sizeof(err)), 0);
    assert_int_equal(i, 7);
    assert_int_equal(fdx_config_check_unused(r, err, sizeof(err)), 0);
    fdx_config_free(c);
}

/* A NULL place for the value is refused with FDX_EINVAL, by every getter. */
static void test_config_null_result_is_refused(void **state)
{
    (void)state;
    fdx_config *c = load("a: 1\nb: x\nm: {k: v}\n");
    const fdx_config_node *r = fdx_config_root(c);
    char err[256] = "";
    assert_int_equal(fdx_config_get_int(r, "a", 0, 10, NULL, err, sizeof(err)), FDX_EINVAL);
    assert_non_null(strstr(err, "key 'a': no place for the value"));
    assert_int_equal(fdx_config_get_double(r, "a", 0, 10, NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_config_get_bool(r, "a", NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_config_get_string(r, "b", NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_config_get_duration(r, "a", 0, 10, NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_config_get_map(r, "m", NULL, err, sizeof(err)), FDX_EINVAL);
    assert_int_equal(fdx_config_get_list(r, "m", NULL, err, sizeof(err)), FDX_EINVAL);
    static const char *const choices[] = {"x"};
    assert_int_equal(fdx_config_get_choice(r, "b", choices, 1, NULL, err, sizeof(err)), FDX_EINVAL);
    fdx_config_free(c);
}

static void test_config_wrong_types_are_located(void **state)
{
    (void)state;
    fdx_config *c = load("a: 12x\nb: \"12\"\nc: [1]\nd: maybe\ne: 5 parsecs\nf: 300\ng: nan\n"
                         "h: jurry\n");
    const fdx_config_node *r = fdx_config_root(c);
    char err[256];
    int64_t i;
    double d;
    int b;
    uint64_t us;
    uint32_t m;
    assert_int_equal(fdx_config_get_int(r, "a", 0, 100, &i, err, sizeof(err)), FDX_EFORMAT);
    assert_string_equal(err, "t.yaml:1:4: key 'a': expected an integer, found '12x'");
    /* A quoted number is a string. */
    assert_int_equal(fdx_config_get_int(r, "b", 0, 100, &i, err, sizeof(err)), FDX_EFORMAT);
    assert_string_equal(err, "t.yaml:2:4: key 'b': expected an integer, found the quoted string "
                             "'12' (write it without quotes)");
    assert_int_equal(fdx_config_get_string(r, "c", &(const char *){0}, err, sizeof(err)),
                     FDX_EFORMAT);
    assert_string_equal(err, "t.yaml:3:4: key 'c': expected a string, found a list");
    assert_int_equal(fdx_config_get_bool(r, "d", &b, err, sizeof(err)), FDX_EFORMAT);
    assert_string_equal(err, "t.yaml:4:4: key 'd': expected true or false, found 'maybe'");
    assert_int_equal(fdx_config_get_duration(r, "e", 0, 1000, &us, err, sizeof(err)), FDX_EFORMAT);
    assert_non_null(strstr(err, "t.yaml:5:4: key 'e': expected a duration"));
    assert_int_equal(fdx_config_get_int(r, "f", 0, 255, &i, err, sizeof(err)), FDX_ERANGE);
    assert_string_equal(err, "t.yaml:6:4: key 'f': 300 is out of range (0 to 255)");
    assert_int_equal(fdx_config_get_double(r, "g", 0, 1, &d, err, sizeof(err)), FDX_EFORMAT);
    static const char *const modes[] = {"any", "majority", "jury"};
    assert_int_equal(fdx_config_get_choice(r, "h", modes, 3, &m, err, sizeof(err)), FDX_EFORMAT);
    assert_string_equal(err,
                        "t.yaml:8:4: key 'h': expected one of any, majority, jury, found 'jurry'");
    fdx_config_free(c);
}

static void test_config_unknown_key_names_nearest(void **state)
{
    (void)state;
    fdx_config *c = load("input:\n  snaplen: 100\n  promiscous: true\n");
    const fdx_config_node *r = fdx_config_root(c);
    char err[256];
    const fdx_config_node *in = NULL;
    assert_int_equal(fdx_config_get_map(r, "input", &in, err, sizeof(err)), 1);
    int64_t i;
    int b;
    assert_int_equal(fdx_config_get_int(in, "snaplen", 64, 262144, &i, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_get_bool(in, "promiscuous", &b, err, sizeof(err)), 0);
    assert_int_equal(fdx_config_check_unused(r, err, sizeof(err)), FDX_EINVAL);
    assert_string_equal(err, "t.yaml:3:3: unknown key 'promiscous' (did you mean 'promiscuous'?)");
    fdx_config_free(c);

    /* Nothing near: no hint. A section nobody read is unknown as a whole. */
    c = load("outputs: {}\nzebra: 1\n");
    r = fdx_config_root(c);
    const fdx_config_node *o = NULL;
    assert_int_equal(fdx_config_get_map(r, "outputs", &o, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_check_unused(r, err, sizeof(err)), FDX_EINVAL);
    assert_string_equal(err, "t.yaml:2:1: unknown key 'zebra'");
    fdx_config_free(c);

    /* Keys inside the mappings of a list are checked too, and accept_all exempts a section. */
    c = load("plugins:\n  - path: a.so\n    setings: {}\nextra:\n  anything: 1\n");
    r = fdx_config_root(c);
    const fdx_config_node *l = NULL;
    assert_int_equal(fdx_config_get_list(r, "plugins", &l, err, sizeof(err)), 1);
    const fdx_config_node *item = fdx_config_list_at(l, 0);
    const char *s;
    assert_int_equal(fdx_config_get_string(item, "path", &s, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_get_map(item, "settings", &o, err, sizeof(err)), 0);
    assert_int_equal(fdx_config_get_map(r, "extra", &o, err, sizeof(err)), 1);
    fdx_config_accept_all(o);
    assert_int_equal(fdx_config_check_unused(r, err, sizeof(err)), FDX_EINVAL);
    assert_string_equal(err, "t.yaml:3:5: unknown key 'setings' (did you mean 'settings'?)");
    fdx_config_free(c);
}

static void test_config_refuses_bad_documents(void **state)
{
    (void)state;
    load_fails("a: 1\na: 2\n", FDX_EFORMAT, "t.yaml:2:1: duplicate key 'a' (first at line 1)");
    load_fails("a: &x 1\nb: *x\n", FDX_EFORMAT,
               "t.yaml:1:4: anchors and aliases are not supported");
    load_fails("- 1\n- 2\n", FDX_EFORMAT,
               "t.yaml:1:1: the document must be a mapping of keys to values");
    load_fails("a: 1\n---\nb: 2\n", FDX_EFORMAT,
               "t.yaml:2:1: more than one document (a second '---')");
    load_fails("a: !custom 1\n", FDX_EFORMAT, "t.yaml:1:4: tags are not supported");
    /* YAML's core tags too: "!!int" on a quoted "20" would be ignored, so it is refused */
    load_fails("a: !!int \"20\"\n", FDX_EFORMAT, "t.yaml:1:4: tags are not supported");
    load_fails("a: !!map {b: 1}\n", FDX_EFORMAT, "t.yaml:1:4: tags are not supported");
    /* A syntax error names the line of the problem. */
    fdx_config *c = NULL;
    char err[512];
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_int_equal(fdx_config_load_string(bad, strlen(bad), "t.yaml", &c, err, sizeof(err)),
                     FDX_EFORMAT);
    assert_non_null(strstr(err, "t.yaml:"));
    assert_non_null(strstr(err, "YAML syntax"));
    /* 33 nested levels: one more than allowed. */
    char deep[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(deep, "[");
    load_fails(deep, FDX_ERANGE, "t.yaml:1:33: nested deeper than 32 levels");
}

static void test_config_empty_and_files(void **state)
{
    (void)state;
    fdx_config *c = load("# only a comment\n");
    assert_int_equal(fdx_config_node_kind(fdx_config_root(c)), FDX_CONFIG_MAP);
    assert_int_equal(fdx_config_check_unused(fdx_config_root(c), NULL, 0), 0);
    assert_int_equal(fdx_config_map_count(fdx_config_root(c)), 0);
    fdx_config_free(c);
    char err[512];
    assert_int_equal(fdx_config_load_file("/nonexistent/flowdx.yaml", &c, err, sizeof(err)),
                     FDX_ENOENT);
    assert_string_equal(err, "/nonexistent/flowdx.yaml: No such file or directory");
    char where[64];
    c = load("a:\n  b: 1\n");
    const fdx_config_node *a = NULL;
    assert_int_equal(fdx_config_get_map(fdx_config_root(c), "a", &a, err, sizeof(err)), 1);
    assert_string_equal(fdx_config_node_where(a, where, sizeof(where)), "t.yaml:2:3");
    /* the root has one key (a), a has one (b); a scalar and a sequence have none */
    assert_int_equal(fdx_config_map_count(fdx_config_root(c)), 1);
    assert_int_equal(fdx_config_map_count(a), 1);
    fdx_config_free(c);
    c = load("x: 1\ny: [1, 2, 3]\nz: {p: 1, q: 2}\n");
    const fdx_config_node *y = NULL;
    assert_int_equal(fdx_config_get_list(fdx_config_root(c), "y", &y, err, sizeof(err)), 1);
    assert_int_equal(fdx_config_map_count(fdx_config_root(c)), 3);
    assert_int_equal(fdx_config_map_count(y), 0);
    assert_int_equal(fdx_config_map_count(fdx_config_list_at(y, 0)), 0);
    assert_int_equal(fdx_config_map_count(NULL), 0);
    fdx_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_reads_every_type),
        cmocka_unit_test(test_config_null_result_is_refused),
        cmocka_unit_test(test_config_wrong_types_are_located),
        cmocka_unit_test(test_config_unknown_key_names_nearest),
        cmocka_unit_test(test_config_refuses_bad_documents),
        cmocka_unit_test(test_config_empty_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
