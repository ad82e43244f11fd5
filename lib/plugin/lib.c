/* SPDX-License-Identifier: BSD-3-Clause */
/* Loads plugin libraries and refuses descriptors that break the ABI's rules before using them. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "plugin/plugin.h"

/* Names: 1-63 characters of [a-z0-9_] (fields) or [a-z0-9_-] (plugins). */
static bool good_name(const char *s, bool dash)
{
    if (!s || !*s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (dash && c == '-')))
            return false;
        if (n >= 63)
            return false;
    }
    return true;
}

static int check_fields(const struct fdx_plugin *d, const char *what, char *errbuf, size_t errlen)
{
    if (d->n_fields > FDX_PLUGIN_MAX_FIELDS) {
        fdxi_set_err(errbuf, errlen, "%s: plugin '%s' declares %u fields (at most %u)", what,
                     d->name, d->n_fields, FDX_PLUGIN_MAX_FIELDS);
        return FDX_EINVAL;
    }
    if (d->n_fields > 0 && !d->fields) {
        fdxi_set_err(errbuf, errlen, "%s: plugin '%s' declares %u fields but no field table", what,
                     d->name, d->n_fields);
        return FDX_EINVAL;
    }
    for (uint32_t i = 0; i < d->n_fields; i++) {
        const struct fdx_plugin_field *f = &d->fields[i];
        const char *bad = NULL;
        if (!good_name(f->name, false))
            bad = "its name is not 1-63 characters of a-z, 0-9 and _";
        else if (f->type < FDX_FIELD_U8 || f->type > FDX_FIELD_F64)
            bad = "its type is not an FDX_FIELD_* value";
        else if (f->direction > FDX_FIELD_RESP)
            bad = "its direction is not FDX_FIELD_FLOW, _REQ or _RESP";
        else if (f->reserved != 0)
            bad = "its reserved member is not zero";
        if (bad) {
            fdxi_set_err(errbuf, errlen, "%s: plugin '%s': field %u ('%.64s'): %s", what, d->name,
                         i, f->name ? f->name : "(null)", bad);
            return FDX_EINVAL;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(d->fields[j].name, f->name) == 0) {
                fdxi_set_err(errbuf, errlen, "%s: plugin '%s': field name '%s' appears twice", what,
                             d->name, f->name);
                return FDX_EINVAL;
            }
        }
    }
    return 0;
}

int fdxi_plugin_check(const struct fdx_plugin *d, const char *what, char *errbuf, size_t errlen)
{
    if (!d) {
        fdxi_set_err(errbuf, errlen, "%s: the entry function returned no descriptor", what);
        return FDX_EINVAL;
    }
    if (d->abi_major != FDX_PLUGIN_ABI_MAJOR) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin built for ABI %u.%u, this host speaks ABI %d.%d: refused", what,
                     d->abi_major, d->abi_minor, FDX_PLUGIN_ABI_MAJOR, FDX_PLUGIN_ABI_MINOR);
        return FDX_ENOTSUP;
    }
    if (d->struct_size < FDXI_PLUGIN_SIZE_1_0) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin descriptor is %u bytes, ABI %d.0 needs at least %zu (plugin ABI "
                     "%u.%u, host ABI %d.%d): refused",
                     what, d->struct_size, FDX_PLUGIN_ABI_MAJOR, FDXI_PLUGIN_SIZE_1_0, d->abi_major,
                     d->abi_minor, FDX_PLUGIN_ABI_MAJOR, FDX_PLUGIN_ABI_MINOR);
        return FDX_ENOTSUP;
    }
    if (!good_name(d->name, true)) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin name is not 1-63 characters of a-z, 0-9, _ and -: refused", what);
        return FDX_EINVAL;
    }
    const char *missing = !d->init ? "init" : !d->fini ? "fini" : !d->flow_end ? "flow_end" : NULL;
    if (missing) {
        fdxi_set_err(errbuf, errlen, "%s: plugin '%s' has no %s callback (mandatory): refused",
                     what, d->name, missing);
        return FDX_EINVAL;
    }
    if ((d->thread_init == NULL) != (d->thread_fini == NULL)) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin '%s' has only one of thread_init and thread_fini: refused", what,
                     d->name);
        return FDX_EINVAL;
    }
    if (d->flow_state_bytes > FDX_PLUGIN_MAX_FLOW_STATE) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin '%s' asks for %u bytes of state per flow (at most %u): refused",
                     what, d->name, d->flow_state_bytes, FDX_PLUGIN_MAX_FLOW_STATE);
        return FDX_EINVAL;
    }
    if (d->inputs & ~(FDX_IN_ALL_PACKET | FDX_IN_RECORDS)) {
        fdxi_set_err(errbuf, errlen,
                     "%s: plugin '%s' asks for inputs 0x%x that ABI %d.%d does not know: refused",
                     what, d->name, d->inputs & ~(FDX_IN_ALL_PACKET | FDX_IN_RECORDS),
                     FDX_PLUGIN_ABI_MAJOR, FDX_PLUGIN_ABI_MINOR);
        return FDX_ENOTSUP;
    }
    return check_fields(d, what, errbuf, errlen);
}

static int wrap(const struct fdx_plugin *d, void *dl, const char *what, fdx_plugin_lib **ret_lib,
                char *errbuf, size_t errlen)
{
    int rc = fdxi_plugin_check(d, what, errbuf, errlen);
    if (rc < 0)
        return rc;
    fdx_plugin_lib *lib = calloc(1, sizeof(*lib));
    if (!lib || !(lib->what = strdup(what))) {
        free(lib);
        fdxi_set_err(errbuf, errlen, "%s: out of memory", what);
        return FDX_ENOMEM;
    }
    lib->desc = d;
    lib->dl = dl;
    *ret_lib = lib;
    return 0;
}

int fdx_plugin_lib_from_entry(fdx_plugin_entry_fn entry, const char *what, fdx_plugin_lib **ret_lib,
                              char *errbuf, size_t errlen)
{
    if (!entry || !ret_lib) {
        fdxi_set_err(errbuf, errlen, "fdx_plugin_lib_from_entry: invalid argument");
        return FDX_EINVAL;
    }
    *ret_lib = NULL;
    return wrap(entry(), NULL, what ? what : "linked-in plugin", ret_lib, errbuf, errlen);
}

int fdx_plugin_lib_open(const char *path, fdx_plugin_lib **ret_lib, char *errbuf, size_t errlen)
{
    if (!path || !ret_lib) {
        fdxi_set_err(errbuf, errlen, "fdx_plugin_lib_open: invalid argument");
        return FDX_EINVAL;
    }
    *ret_lib = NULL;
    struct stat st;
    if (strchr(path, '/') && stat(path, &st) != 0) {
        int e = errno;
        fdxi_set_err(errbuf, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? FDX_ENOENT
               : e == EACCES || e == EPERM ? FDX_EPERM
                                           : FDX_EIO;
    }
    /* RTLD_LOCAL: two plugins may define the same internal names without clashing. */
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        fdxi_set_err(errbuf, errlen, "%s: cannot load: %s", path, why ? why : "unknown error");
        return FDX_EFORMAT;
    }
    /* ISO C does not convert between object and function pointers; POSIX guarantees dlsym's. */
    fdx_plugin_entry_fn entry;
    void *sym = dlsym(dl, FDX_PLUGIN_ENTRY_NAME);
    memcpy(&entry, &sym, sizeof(entry));
    if (!sym) {
        fdxi_set_err(errbuf, errlen,
                     "%s: not a flowdx plugin: no symbol %s (ABI %d plugins export it)", path,
                     FDX_PLUGIN_ENTRY_NAME, FDX_PLUGIN_ABI_MAJOR);
        dlclose(dl);
        return FDX_ENOENT;
    }
    int rc = wrap(entry(), dl, path, ret_lib, errbuf, errlen);
    if (rc < 0)
        dlclose(dl);
    return rc;
}

const struct fdx_plugin *fdx_plugin_lib_descriptor(const fdx_plugin_lib *lib)
{
    return lib ? lib->desc : NULL;
}

void fdx_plugin_lib_close(fdx_plugin_lib *lib)
{
    if (!lib)
        return;
    if (lib->dl)
        dlclose(lib->dl);
    free(lib->what);
    free(lib);
}
