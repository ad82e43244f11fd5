/* SPDX-License-Identifier: BSD-3-Clause */
/* fdxi_file_replace: what a model or plot output does to the file it is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/file.h"
#include "flowdx/flowdx.h"
#include "scratch.h"

static void read_back(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static void test_file_new_and_replaced(void **state)
{
    char path[PATH_MAX], got[64], err[256];
    scratch_path(*state, "out.bin", path, sizeof(path));
    assert_int_equal(fdxi_file_replace(path, "first", 5, err, sizeof(err)), 0);
    read_back(path, got, sizeof(got));
    assert_string_equal(got, "first");
    assert_int_equal(fdxi_file_replace(path, "2nd", 3, err, sizeof(err)), 0);
    read_back(path, got, sizeof(got));
    assert_string_equal(got, "2nd"); /* replaced whole, not overwritten in place ("2ndst") */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

/* A link to a regular file: the file gets the bytes and the link stays a link. */
static void test_file_through_a_link(void **state)
{
    char target[PATH_MAX], link[PATH_MAX], got[64], err[256];
    scratch_path(*state, "model.fdxm", target, sizeof(target));
    scratch_path(*state, "current.fdxm", link, sizeof(link));
    scratch_write(target, "old", 3);
    assert_int_equal(symlink("model.fdxm", link), 0);
    assert_int_equal(fdxi_file_replace(link, "new", 3, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    read_back(target, got, sizeof(got));
    assert_string_equal(got, "new");
}

/* A dangling link is written through: its target is created. */
static void test_file_through_a_dangling_link(void **state)
{
    char target[PATH_MAX], link[PATH_MAX], got[64], err[256];
    scratch_path(*state, "later.fdxm", target, sizeof(target));
    scratch_path(*state, "dangling.fdxm", link, sizeof(link));
    assert_int_equal(symlink("later.fdxm", link), 0);
    assert_int_equal(fdxi_file_replace(link, "made", 4, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    read_back(target, got, sizeof(got));
    assert_string_equal(got, "made");
}

/* A device stays a device: /dev/null takes the bytes, /dev/full refuses them (ENOSPC). */
static void test_file_devices(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(fdxi_file_replace("/dev/null", "x", 1, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
        assert_int_equal(fdxi_file_replace("/dev/full", "x", 1, err, sizeof(err)), FDX_EIO);
        assert_non_null(strstr(err, "/dev/full: write failed"));
        assert_int_equal(stat("/dev/full", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
}

static void test_file_directory_refused(void **state)
{
    const struct scratch *s = *state;
    char err[256];
    assert_int_equal(fdxi_file_replace(s->dir, "x", 1, err, sizeof(err)), FDX_EIO);
    assert_non_null(strstr(err, "is a directory"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_new_and_replaced),        T(test_file_through_a_link),
        T(test_file_through_a_dangling_link), T(test_file_devices),
        T(test_file_directory_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
