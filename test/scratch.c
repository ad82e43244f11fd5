/* SPDX-License-Identifier: BSD-3-Clause */
/* Creates and removes per-test scratch directories, and writes files into them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"

int scratch_setup(void **state)
{
    struct scratch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof(s->dir), "%s/fdx-test-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

int scratch_teardown(void **state)
{
    struct scratch *s = *state;
    int rc = 0;
    DIR *d = opendir(s->dir);
    if (d == NULL) {
        rc = -1;
    } else {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_MAX + 256];
            snprintf(p, sizeof(p), "%s/%s", s->dir, e->d_name);
            if (unlink(p) != 0)
                rc = -1;
        }
        closedir(d);
        if (rmdir(s->dir) != 0)
            rc = -1;
    }
    free(s);
    return rc;
}

void scratch_path(const struct scratch *s, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", s->dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

void scratch_write(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}
