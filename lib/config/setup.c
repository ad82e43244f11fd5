/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine's part of flowdx.yaml: flows, feature sets, detectors, plugins (flowdx_setup.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/core.h"
#include "core/err.h"
#include "feature/feature.h"
#include "flowdx/flowdx_setup.h"
#include "plugin/run.h"

/* The detectors built into the library (plugin/spam, plugin/doh, compiled with these entries). */
const struct fdx_plugin *fdxi_builtin_spam_entry(void);
const struct fdx_plugin *fdxi_builtin_doh_entry(void);

static const struct {
    const char *name;
    fdx_plugin_entry_fn entry;
} builtins[] = {
    {"spam", fdxi_builtin_spam_entry},
    {"doh", fdxi_builtin_doh_entry},
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

struct fdx_setup {
    uint64_t idle_us, active_us, linger_us;
    uint32_t max_flows;
    char sets[FDXI_MAX_SETS * 32];
    fdx_plugin_lib *libs[FDXI_MAX_PLUGINS];
    fdx_plugin_inst *insts[FDXI_MAX_PLUGINS];
    uint32_t n_plugins;
};

fdx_plugin_entry_fn fdx_plugin_builtin_entry(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_BUILTINS; i++) {
        if (strcmp(builtins[i].name, name) == 0)
            return builtins[i].entry;
    }
    return NULL;
}

static int read_flows(const fdx_config_node *root, fdx_setup *s, char *errbuf, size_t errlen)
{
    const fdx_config_node *f = NULL;
    int rc = fdx_config_get_map(root, "flows", &f, errbuf, errlen);
    if (rc <= 0)
        return rc;
    const uint64_t day = 86400ull * 1000000u;
    int64_t max = s->max_flows;
    if ((rc = fdx_config_get_duration(f, "idle_timeout", 1000, day, &s->idle_us, errbuf, errlen)) <
            0 ||
        (rc = fdx_config_get_duration(f, "active_timeout", 0, day, &s->active_us, errbuf, errlen)) <
            0 ||
        (rc = fdx_config_get_duration(f, "linger", 0, 3600ull * 1000000u, &s->linger_us, errbuf,
                                      errlen)) < 0 ||
        (rc = fdx_config_get_int(f, "max_flows", 16, FDXI_MAX_MAX_FLOWS, &max, errbuf, errlen)) < 0)
        return rc;
    s->max_flows = (uint32_t)max;
    return 0;
}

/* The features list in s->sets; *given is the list node, NULL when the key is absent. A set that
 * cuts its own flows (it runs alone) in *ret_cut, its item in *ret_cut_item; NULL when none. */
static int read_features(const fdx_config_node *root, fdx_setup *s, const fdx_config_node **given,
                         const struct fdxi_feature_set **ret_cut,
                         const fdx_config_node **ret_cut_item, char *errbuf, size_t errlen)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(root, "features", &list, errbuf, errlen);
    *given = rc > 0 ? list : NULL;
    if (rc <= 0)
        return rc;
    size_t used = 0;
    uint32_t n = fdx_config_list_count(list);
    const struct fdxi_feature_set *sets[FDXI_MAX_SETS];
    for (uint32_t i = 0; i < n; i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *name = fdx_config_scalar(item);
        char where[300];
        fdx_config_node_where(item, where, sizeof(where));
        if (i == FDXI_MAX_SETS) {
            fdxi_set_err(errbuf, errlen, "%s: key 'features': more than %d feature sets", where,
                         FDXI_MAX_SETS);
            return FDX_ERANGE;
        }
        sets[i] = name != NULL ? fdxi_feature_set_find(name, strlen(name)) : NULL;
        if (sets[i] == NULL) {
            char known[256];
            fdxi_feature_set_names(known, sizeof(known));
            fdxi_set_err(errbuf, errlen, "%s: key 'features': unknown feature set '%s' (known: %s)",
                         where, name ? name : "(not a name)", known);
            return FDX_EFORMAT;
        }
        /* the engine's own rules, located here (the engine knows no file) */
        for (uint32_t j = 0; j < i; j++) {
            if (sets[j] == sets[i]) {
                fdxi_set_err(errbuf, errlen, "%s: key 'features': feature set '%s' given twice",
                             where, sets[i]->name);
                return FDX_EINVAL;
            }
        }
        for (uint32_t j = 0; j <= i && n > 1; j++) {
            if (sets[j]->policy != NULL) {
                fdxi_set_err(errbuf, errlen,
                             "%s: key 'features': feature set '%s' cuts its own flows (%s rules) "
                             "and cannot be combined with other sets",
                             where, sets[j]->name, sets[j]->policy->name);
                return FDX_EINVAL;
            }
        }
        if (sets[i]->policy != NULL) {
            *ret_cut = sets[i];
            *ret_cut_item = item;
        }
        int w = snprintf(s->sets + used, sizeof(s->sets) - used, "%s%s", i ? "," : "", name);
        used += (size_t)w;
    }
    return 0;
}

/* One plugin: loaded, initialised with its settings; errors located at @p at. */
static int add_plugin(fdx_setup *s, fdx_plugin_lib *lib, const fdx_config_node *settings,
                      const char *data_dir, const fdx_config_node *at, char *errbuf, size_t errlen)
{
    char where[300];
    if (s->n_plugins == FDXI_MAX_PLUGINS) {
        fdx_plugin_lib_close(lib);
        fdxi_set_err(errbuf, errlen, "%s: more than %d plugins and detectors",
                     fdx_config_node_where(at, where, sizeof(where)), FDXI_MAX_PLUGINS);
        return FDX_ERANGE;
    }
    for (uint32_t i = 0; i < s->n_plugins; i++) {
        const char *other = fdx_plugin_lib_descriptor(s->libs[i])->name;
        if (strcmp(other, fdx_plugin_lib_descriptor(lib)->name) == 0) {
            fdxi_set_err(errbuf, errlen, "%s: plugin '%s' is loaded twice",
                         fdx_config_node_where(at, where, sizeof(where)), other);
            fdx_plugin_lib_close(lib);
            return FDX_EINVAL;
        }
    }
    char err[1024];
    int rc =
        fdx_plugin_inst_new(lib, settings, data_dir, &s->insts[s->n_plugins], err, sizeof(err));
    if (rc < 0) {
        /* a settings error is located already; anything else gets the plugin's place */
        if (strstr(err, ": key '") != NULL || strstr(err, "unknown key") != NULL)
            fdxi_set_err(errbuf, errlen, "%s", err);
        else
            fdxi_set_err(errbuf, errlen, "%s: %s", fdx_config_node_where(at, where, sizeof(where)),
                         err);
        fdx_plugin_lib_close(lib);
        return rc;
    }
    s->libs[s->n_plugins++] = lib;
    return 0;
}

static int read_detectors(const fdx_config_node *root, fdx_setup *s, const char *data_dir,
                          char *errbuf, size_t errlen)
{
    const fdx_config_node *dets = NULL;
    int rc = fdx_config_get_map(root, "detectors", &dets, errbuf, errlen);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < N_BUILTINS; i++) {
        const fdx_config_node *d = NULL;
        rc = fdx_config_get_map(dets, builtins[i].name, &d, errbuf, errlen);
        if (rc < 0)
            return rc;
        int enabled = 1;
        const fdx_config_node *bare = fdxi_config_null_key(dets, builtins[i].name);
        if (bare != NULL) { /* "spam:" alone reads as "on", yet null would mean "absent": off */
            char where[300];
            fdxi_set_err(errbuf, errlen,
                         "%s: key '%s': no settings; write '%s: {}' to run the detector with its "
                         "defaults, or leave the key out",
                         fdx_config_node_where(bare, where, sizeof(where)), builtins[i].name,
                         builtins[i].name);
            return FDX_EFORMAT;
        }
        if (rc == 0)
            continue;
        if ((rc = fdx_config_get_bool(d, "enabled", &enabled, errbuf, errlen)) < 0)
            return rc;
        if (!enabled)
            continue;
        char what[64];
        snprintf(what, sizeof(what), "built-in %s detector", builtins[i].name);
        fdx_plugin_lib *lib = NULL;
        rc = fdx_plugin_lib_from_entry(builtins[i].entry, what, &lib, errbuf, errlen);
        if (rc < 0 || (rc = add_plugin(s, lib, d, data_dir, d, errbuf, errlen)) < 0)
            return rc;
    }
    /* a misspelt detector ("spma") is an error here, with the nearest name */
    return fdx_config_check_unused(dets, errbuf, errlen);
}

static int read_plugins(const fdx_config_node *root, fdx_setup *s, const char *data_dir,
                        char *errbuf, size_t errlen)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(root, "plugins", &list, errbuf, errlen);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        char where[300];
        if (fdx_config_node_kind(item) != FDX_CONFIG_MAP) {
            fdxi_set_err(errbuf, errlen,
                         "%s: key 'plugins': each item is a mapping with 'path' and 'settings'",
                         fdx_config_node_where(item, where, sizeof(where)));
            return FDX_EFORMAT;
        }
        const char *path = NULL;
        const fdx_config_node *settings = NULL;
        if ((rc = fdx_config_get_string(item, "path", &path, errbuf, errlen)) < 0 ||
            (rc = fdx_config_get_map(item, "settings", &settings, errbuf, errlen)) < 0)
            return rc;
        if (path == NULL) {
            fdxi_set_err(errbuf, errlen, "%s: key 'plugins': this item has no 'path'",
                         fdx_config_node_where(item, where, sizeof(where)));
            return FDX_EFORMAT;
        }
        fdx_plugin_lib *lib = NULL;
        char err[1024];
        rc = fdx_plugin_lib_open(path, &lib, err, sizeof(err));
        if (rc < 0) {
            fdxi_set_err(errbuf, errlen, "%s: %s",
                         fdx_config_node_where(item, where, sizeof(where)), err);
            return rc;
        }
        /* the plugin reads its settings first: only then are their keys known */
        if ((rc = add_plugin(s, lib, settings, data_dir, item, errbuf, errlen)) < 0 ||
            (rc = fdx_config_check_unused(item, errbuf, errlen)) < 0)
            return rc;
    }
    return 0;
}

int fdx_setup_new(const fdx_config_node *root, const char *data_dir, fdx_setup **ret_setup,
                  char *errbuf, size_t errlen)
{
    if (root == NULL || ret_setup == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_setup_new: NULL argument");
        return FDX_EINVAL;
    }
    fdx_setup *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FDX_ENOMEM;
    struct fdx_engine_options d;
    fdx_engine_options_init(&d);
    s->idle_us = d.idle_timeout_us;
    s->active_us = d.active_timeout_us;
    s->linger_us = d.linger_us;
    s->max_flows = d.max_flows;
    const fdx_config_node *sets_given = NULL, *cut_item = NULL;
    const struct fdxi_feature_set *cut = NULL;
    int rc = read_flows(root, s, errbuf, errlen);
    if (rc >= 0)
        rc = read_features(root, s, &sets_given, &cut, &cut_item, errbuf, errlen);
    if (rc >= 0)
        rc = read_detectors(root, s, data_dir, errbuf, errlen);
    if (rc >= 0)
        rc = read_plugins(root, s, data_dir, errbuf, errlen);
    if (rc >= 0 && cut != NULL && s->n_plugins > 0) { /* located here: the engine knows no file */
        char where[300];
        fdxi_set_err(errbuf, errlen,
                     "%s: key 'features': feature set '%s' cuts its own flows (%s rules) and runs "
                     "alone: no detector or plugin can run with it",
                     fdx_config_node_where(cut_item, where, sizeof(where)), cut->name,
                     cut->policy->name);
        rc = FDX_EINVAL;
    }
    if (rc >= 0 && sets_given != NULL && s->sets[0] == '\0' && s->n_plugins == 0) {
        char where[300];
        fdxi_set_err(errbuf, errlen,
                     "%s: key 'features': no feature set, and no detector or plugin runs: the "
                     "records would carry nothing (name a set, or leave the key out for '%s')",
                     fdx_config_node_where(sets_given, where, sizeof(where)), d.feature_sets);
        rc = FDX_EINVAL;
    }
    if (rc < 0) {
        fdx_setup_free(s);
        return rc;
    }
    /* Without `features:` an engine of plugins computes no set of its own; one without plugins
     * keeps the engine's default. */
    if (sets_given == NULL && s->n_plugins == 0)
        snprintf(s->sets, sizeof(s->sets), "%s", d.feature_sets);
    *ret_setup = s;
    return 0;
}

void fdx_setup_free(fdx_setup *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->n_plugins; i++) {
        fdx_plugin_inst_free(s->insts[i]);
        fdx_plugin_lib_close(s->libs[i]);
    }
    free(s);
}

void fdx_setup_engine_options(const fdx_setup *s, struct fdx_engine_options *o)
{
    o->idle_timeout_us = s->idle_us;
    o->active_timeout_us = s->active_us;
    o->linger_us = s->linger_us;
    o->max_flows = s->max_flows;
    o->feature_sets = s->sets;
    o->plugins = s->insts;
    o->n_plugins = s->n_plugins;
}

uint32_t fdx_setup_plugin_count(const fdx_setup *s)
{
    return s->n_plugins;
}

const char *fdx_setup_plugin_name(const fdx_setup *s, uint32_t i)
{
    return i < s->n_plugins ? fdx_plugin_lib_descriptor(s->libs[i])->name : NULL;
}
