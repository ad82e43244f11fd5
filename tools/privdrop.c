/* SPDX-License-Identifier: BSD-3-Clause */
/* Drops root privileges to a named user, for a capture that is already open. */
#define _GNU_SOURCE /* getresuid, getresgid */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

bool run_as_lookup(const char *prog, const char *where, const char *name, struct run_as *ret)
{
    char what[sizeof(ret->what)];
    if (where == NULL)
        snprintf(what, sizeof(what), "--user %s", name);
    else
        snprintf(what, sizeof(what), "%s: key 'user': %s", where, name);
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        if (errno != 0)
            fprintf(stderr, "%s: %s: cannot look the user up: %s\n", prog, what, strerror(errno));
        else
            fprintf(stderr, "%s: %s: no such user\n", prog, what);
        return false;
    }
    if (strlen(name) >= sizeof(ret->name)) {
        fprintf(stderr, "%s: %s: name too long\n", prog, what);
        return false;
    }
    memset(ret, 0, sizeof(*ret));
    snprintf(ret->name, sizeof(ret->name), "%s", name);
    memcpy(ret->what, what, sizeof(what));
    ret->uid = pw->pw_uid;
    ret->gid = pw->pw_gid;
    return true;
}

/* Whether the real, effective and saved IDs are all the target's. */
static bool ids_are(const struct run_as *u)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
        return false;
    return ru == u->uid && eu == u->uid && su == u->uid && rg == u->gid && eg == u->gid &&
           sg == u->gid;
}

bool run_as_switch(const char *prog, const struct run_as *u)
{
    const char *step = "initgroups";
    /* Supplementary groups first, then the group, then the user: each later step needs the
     * privilege the earlier ones still have. */
    if (initgroups(u->name, u->gid) != 0 || (step = "setgid", setgid(u->gid) != 0) ||
        (step = "setuid", setuid(u->uid) != 0)) {
        int err = errno;
        fprintf(stderr, "%s: %s: cannot change to the user: %s: %s%s\n", prog, u->what, step,
                strerror(err), err == EPERM ? " (changing the user needs root)" : "");
        return false;
    }
    /* Proof that the change took and cannot be undone: every ID is the user's, and becoming
     * root again fails. */
    bool regained = (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
                    (u->gid != 0 && (setgid(0) == 0 || setegid(0) == 0));
    if (!ids_are(u) || regained) {
        fprintf(stderr, "%s: %s: the change of user did not take%s; stopping\n", prog, u->what,
                regained ? " (root could be regained)" : "");
        return false;
    }
    return true;
}

/* In the child of run_as_can_write(), as the user: 0 when @p path can be opened as the outputs
 * open it, else 1 after saying why. */
static int check_writable(const char *prog, const struct run_as *u, const char *what,
                          const char *path, bool replaced)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return 0; /* files_distinct() says so, whoever runs */
    if (exists && (!S_ISREG(st.st_mode) || !replaced)) {
        /* written where it is: a device, a FIFO, or a file opened in place */
        if (access(path, W_OK) == 0)
            return 0;
        fprintf(stderr,
                "%s: %s %s: user %s cannot write it: %s (outputs are opened as that user)\n", prog,
                what, path, u->name, strerror(errno));
        return 1;
    }
    /* created, or replaced by a file made beside it: its directory must take a new file */
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    if (access(dir, W_OK | X_OK) == 0)
        return 0;
    fprintf(stderr, "%s: %s %s: user %s cannot write in %s: %s (outputs are opened as that user)\n",
            prog, what, path, u->name, dir, strerror(errno));
    return 1;
}

bool run_as_can_write(const char *prog, const struct run_as *u, const char *what, const char *path,
                      bool replaced)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return true;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0)
        return true; /* not known now: opening the output says it */
    if (pid == 0) {
        /* The user's groups, group and user, as run_as_switch() sets them; access() then
         * answers for the user, with every permission bit, ACL and read-only mount counted. */
        if (initgroups(u->name, u->gid) != 0 || setgid(u->gid) != 0 || setuid(u->uid) != 0)
            _exit(2); /* not root: run_as_switch() says why, before any output is opened */
        _exit(check_writable(prog, u, what, path, replaced));
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return true;
    }
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}
