/* SPDX-License-Identifier: BSD-3-Clause */
/* Writing a whole file: through a temporary name for regular files, directly for the others. */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "flowdx/flowdx.h"

/* Write all of @p data to @p fd; the name of the failed step, or NULL. */
static const char *write_all(int fd, const unsigned char *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w > 0)
            off += (size_t)w;
        else if (w == 0 || errno != EINTR)
            return "write";
    }
    return NULL;
}

/* A device, a FIFO or a dangling link: opened (the link's target created) and written as it is,
 * never renamed over. */
static int write_special(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fdxi_set_err(err, errlen, "%s: %s", path, strerror(errno));
        return FDX_EIO;
    }
    const char *what = write_all(fd, data, len);
    int saved = errno;
    if (close(fd) != 0 && what == NULL) {
        what = "close";
        saved = errno;
    }
    if (what != NULL) {
        fdxi_set_err(err, errlen, "%s: %s failed: %s", path, what, strerror(saved));
        return FDX_EIO;
    }
    return 0;
}

int fdxi_file_replace(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            fdxi_set_err(err, errlen, "%s: is a directory", path);
            return FDX_EIO;
        }
        return write_special(path, data, len, err, errlen);
    }
    /* A link to a regular file: replace the file it names, in the file's own directory. A
     * dangling link is written through (open creates its target). */
    char resolved[PATH_MAX];
    const char *target = path;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (realpath(path, resolved) == NULL)
            return write_special(path, data, len, err, errlen);
        target = resolved;
    }
    size_t plen = strlen(target);
    char *tmp = malloc(plen + sizeof(".XXXXXX"));
    if (tmp == NULL) {
        fdxi_set_err(err, errlen, "%s: out of memory", path);
        return FDX_ENOMEM;
    }
    memcpy(tmp, target, plen);
    memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));
    int rc = 0;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fdxi_set_err(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(errno));
        free(tmp);
        return FDX_EIO;
    }
    const char *what = write_all(fd, data, len);
    if (what == NULL && fchmod(fd, 0644) != 0)
        what = "chmod";
    if (what == NULL && fsync(fd) != 0)
        what = "fsync";
    int saved = errno;
    if (close(fd) != 0 && what == NULL) {
        what = "close";
        saved = errno;
    }
    if (what == NULL && rename(tmp, target) != 0) {
        what = "rename";
        saved = errno;
    }
    if (what != NULL) {
        unlink(tmp);
        fdxi_set_err(err, errlen, "%s: %s failed: %s", path, what, strerror(saved));
        rc = FDX_EIO;
    }
    free(tmp);
    return rc;
}
