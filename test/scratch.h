/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-test scratch directories for the cmocka suites that write files. */
#ifndef FDX_TEST_SCRATCH_H
#define FDX_TEST_SCRATCH_H

#include <limits.h>
#include <stddef.h>

/* A directory under $TMPDIR (or /tmp), removed with every file in it by the teardown. */
struct scratch {
    char dir[PATH_MAX];
};

/* cmocka setup/teardown: *state becomes a struct scratch. */
int scratch_setup(void **state);
int scratch_teardown(void **state);

/* The path of @p name inside the scratch directory. */
void scratch_path(const struct scratch *s, const char *name, char *buf, size_t len);

/* Write @p len bytes to a new file at @p path (failing the test on error). */
void scratch_write(const char *path, const void *data, size_t len);

#endif /* FDX_TEST_SCRATCH_H */
