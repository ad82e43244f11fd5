/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs plugin instances inside an engine: per-thread set-up, the flow and packet views, results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/err.h"
#include "feature/feature.h"
#include "plugin/plugin.h"
#include "plugin/run.h"

struct fdx_plugin_inst {
    const fdx_plugin_lib *lib;
    void *self;
    char *data_dir;
};

int fdx_plugin_inst_new(const fdx_plugin_lib *lib, const fdx_config_node *settings,
                        const char *data_dir, fdx_plugin_inst **ret_inst, char *errbuf,
                        size_t errlen)
{
    if (!lib || !ret_inst) {
        fdxi_set_err(errbuf, errlen, "fdx_plugin_inst_new: invalid argument");
        return FDX_EINVAL;
    }
    *ret_inst = NULL;
    if (settings && fdx_config_node_kind(settings) != FDX_CONFIG_MAP) {
        char where[300];
        fdxi_set_err(errbuf, errlen, "%s: settings of plugin '%s' must be a mapping",
                     fdx_config_node_where(settings, where, sizeof(where)), lib->desc->name);
        return FDX_EINVAL;
    }
    fdx_plugin_inst *in = calloc(1, sizeof(*in));
    fdx_config *empty = NULL;
    if (!in || (data_dir && !(in->data_dir = strdup(data_dir)))) {
        free(in);
        fdxi_set_err(errbuf, errlen, "out of memory");
        return FDX_ENOMEM;
    }
    if (!settings) {
        int rc = fdx_config_load_string("", 0, "(no settings)", &empty, errbuf, errlen);
        if (rc < 0) {
            free(in->data_dir);
            free(in);
            return rc;
        }
        settings = fdx_config_root(empty);
    }
    in->lib = lib;
    struct fdx_plugin_init_args args = {
        .struct_size = sizeof(args),
        .host_abi_minor = FDX_PLUGIN_ABI_MINOR,
        .settings = settings,
        .data_dir = in->data_dir ? in->data_dir : ".", /* NULL: the current directory */
        .host_name = "flowdx",
    };
    char perr[512] = "";
    int rc = lib->desc->init(&args, &in->self, perr, sizeof(perr));
    if (rc > 0) { /* outside the contract: whether it made its state is unknown, so no fini */
        fdxi_set_err(errbuf, errlen,
                     "plugin '%s' (%s): init returned %d, not 0 or a negative FDX_E* code: refused",
                     lib->desc->name, lib->what, rc);
        rc = FDX_EINVAL;
    } else if (rc < 0) {
        fdxi_set_err(errbuf, errlen, "plugin '%s' (%s): %s", lib->desc->name, lib->what,
                     perr[0] ? perr : fdx_strerror(rc));
    } else {
        rc = fdx_config_check_unused(settings, errbuf, errlen);
        if (rc < 0)
            lib->desc->fini(in->self);
    }
    fdx_config_free(empty);
    if (rc < 0) {
        free(in->data_dir);
        free(in);
        return rc;
    }
    *ret_inst = in;
    return 0;
}

void fdx_plugin_inst_free(fdx_plugin_inst *in)
{
    if (!in)
        return;
    in->lib->desc->fini(in->self);
    free(in->data_dir);
    free(in);
}

/* ---- running inside an engine ---- */

struct slot {
    const struct fdx_plugin *d;
    void *self;
    void *thread;
    bool thread_ready;
    size_t flow_off; /* offset of its state in the flow state area */
    uint32_t first;  /* its first value in the record */
};

struct fdxi_plugin_run {
    struct slot slots[FDXI_MAX_PLUGINS];
    uint32_t n;
    size_t state_off; /* where the plugins' state starts in the flow state area */
    struct fdx_flow_verdict verdicts[FDXI_MAX_PLUGINS];
    char labels[FDXI_MAX_PLUGINS][32];
};

int fdxi_plugin_run_new(fdx_plugin_inst *const *insts, uint32_t n, size_t state_off,
                        uint32_t first_value, struct fdxi_plugin_run **ret, size_t *ret_state_bytes,
                        uint32_t *ret_n_values, char *errbuf, size_t errlen)
{
    *ret = NULL;
    if (n > FDXI_MAX_PLUGINS) {
        fdxi_set_err(errbuf, errlen, "%u plugins given (at most %d)", n, FDXI_MAX_PLUGINS);
        return FDX_EINVAL;
    }
    struct fdxi_plugin_run *r = calloc(1, sizeof(*r));
    if (!r) {
        fdxi_set_err(errbuf, errlen, "out of memory");
        return FDX_ENOMEM;
    }
    r->state_off = state_off;
    size_t off = state_off;
    uint32_t value = first_value;
    for (uint32_t i = 0; i < n; i++) {
        if (!insts[i]) {
            fdxi_set_err(errbuf, errlen, "plugin %u: NULL instance", i);
            fdxi_plugin_run_free(r);
            return FDX_EINVAL;
        }
        const struct fdx_plugin *d = insts[i]->lib->desc;
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(r->slots[j].d->name, d->name) == 0) {
                fdxi_set_err(errbuf, errlen, "plugin '%s' given twice", d->name);
                fdxi_plugin_run_free(r);
                return FDX_EINVAL;
            }
        }
        struct slot *s = &r->slots[i];
        s->d = d;
        s->self = insts[i]->self;
        s->flow_off = off;
        s->first = value;
        off += fdxi_align16(d->flow_state_bytes);
        value += d->n_fields;
        r->n = i + 1;
        if (d->thread_init) {
            char perr[512] = "";
            int rc = d->thread_init(s->self, &s->thread, perr, sizeof(perr));
            if (rc > 0) {
                snprintf(perr, sizeof(perr),
                         "thread_init returned %d, not 0 or a negative FDX_E* code", rc);
                rc = FDX_EINVAL;
            }
            if (rc < 0) {
                fdxi_set_err(errbuf, errlen, "plugin '%s': thread set-up failed: %s", d->name,
                             perr[0] ? perr : fdx_strerror(rc));
                r->n = i; /* this one has no thread state to release */
                fdxi_plugin_run_free(r);
                return rc;
            }
            s->thread_ready = true;
        }
        r->verdicts[i].plugin = d->name;
        r->verdicts[i].label = r->labels[i];
    }
    *ret = r;
    *ret_state_bytes = off - state_off;
    *ret_n_values = value - first_value;
    return 0;
}

void fdxi_plugin_run_free(struct fdxi_plugin_run *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++)
        if (r->slots[i].thread_ready)
            r->slots[i].d->thread_fini(r->slots[i].self, r->slots[i].thread);
    free(r);
}

uint32_t fdxi_plugin_run_count(const struct fdxi_plugin_run *r)
{
    return r ? r->n : 0;
}

const struct fdx_plugin *fdxi_plugin_run_descriptor(const struct fdxi_plugin_run *r, uint32_t i)
{
    return r && i < r->n ? r->slots[i].d : NULL;
}

void fdxi_plugin_run_begin(struct fdxi_plugin_run *r, const struct fdxi_flow *f, uint8_t *area)
{
    struct fdx_plugin_flow view;
    fdxi_plugin_flow_view(f, &view);
    for (uint32_t i = 0; i < r->n; i++) {
        struct slot *s = &r->slots[i];
        if (s->d->flow_begin)
            s->d->flow_begin(s->self, s->thread, area + s->flow_off, &view);
    }
}

void fdxi_plugin_run_packet(struct fdxi_plugin_run *r, const struct fdxi_flow *f, uint8_t *area,
                            const struct fdxi_packet *pkt, int dir)
{
    struct fdx_plugin_flow view;
    bool have_view = false;
    for (uint32_t i = 0; i < r->n; i++) {
        struct slot *s = &r->slots[i];
        if (!s->d->packet || (s->d->inputs & FDX_IN_RECORDS))
            continue;
        if (!have_view) {
            fdxi_plugin_flow_view(f, &view);
            have_view = true;
        }
        struct fdx_plugin_packet p;
        fdxi_plugin_packet_view(pkt, dir, s->d->inputs, &p);
        s->d->packet(s->self, s->thread, area + s->flow_off, &view, &p);
    }
}

/* Slot @p i's flow_end on @p view with its flow state @p state, its values at their place in
 * @p values, its verdict kept. */
static void end_one(struct fdxi_plugin_run *r, uint32_t i, uint8_t *state,
                    const struct fdx_plugin_flow *view, double *values)
{
    struct slot *s = &r->slots[i];
    struct fdx_plugin_result res;
    memset(&res, 0, sizeof(res));
    res.struct_size = sizeof(res);
    res.values = values + s->first;
    res.n_values = s->d->n_fields;
    memset(res.values, 0, s->d->n_fields * sizeof(double));
    s->d->flow_end(s->self, s->thread, state, view, &res);
    struct fdx_flow_verdict *v = &r->verdicts[i];
    /* An unknown verdict value from a plugin is reported as "no verdict", never passed on. */
    v->verdict = res.verdict <= FDX_VERDICT_UNCERTAIN ? res.verdict : FDX_VERDICT_NONE;
    v->declined = v->verdict == FDX_VERDICT_NONE && res.declined != 0;
    v->score = res.score;
    /* Alerts, JSON lines and IPFIX carry the label as text: a byte that is not printable
     * ASCII becomes '?', so that no plugin can break a line or a record. */
    char *l = r->labels[i];
    memcpy(l, res.label, sizeof(res.label));
    l[sizeof(r->labels[i]) - 1] = '\0';
    for (; *l != '\0'; l++)
        if ((unsigned char)*l < 0x20 || (unsigned char)*l > 0x7e)
            *l = '?';
}

const struct fdx_flow_verdict *fdxi_plugin_run_end(struct fdxi_plugin_run *r,
                                                   const struct fdxi_flow *f, uint8_t *area,
                                                   double *values, uint32_t app_flags)
{
    struct fdx_plugin_flow view;
    fdxi_plugin_flow_view(f, &view);
    view.app_flags = app_flags;
    for (uint32_t i = 0; i < r->n; i++)
        end_one(r, i, area + r->slots[i].flow_off, &view, values);
    return r->verdicts;
}

const struct fdx_flow_verdict *fdxi_plugin_run_record(struct fdxi_plugin_run *r,
                                                      const struct fdxi_flow *f,
                                                      const struct fdxi_record *rec, uint8_t *area,
                                                      double *values)
{
    struct fdx_plugin_flow view;
    fdxi_plugin_flow_view(f, &view);
    fdxi_plugin_record_view(rec, &view);
    for (uint32_t i = 0; i < r->n; i++) {
        struct slot *s = &r->slots[i];
        if (!(s->d->inputs & FDX_IN_RECORDS)) {
            /* a plugin of packets has nothing to judge a record by */
            for (uint32_t k = 0; k < s->d->n_fields; k++)
                values[s->first + k] = NAN;
            r->verdicts[i].verdict = FDX_VERDICT_NONE;
            r->verdicts[i].declined = 0;
            r->verdicts[i].score = 0;
            r->labels[i][0] = '\0';
            continue;
        }
        uint8_t *state = area + (s->flow_off - r->state_off); /* area holds the plugins' part */
        memset(state, 0, s->d->flow_state_bytes);
        if (s->d->flow_begin)
            s->d->flow_begin(s->self, s->thread, state, &view);
        end_one(r, i, state, &view, values);
        if (s->d->flow_release)
            s->d->flow_release(s->self, s->thread, state);
    }
    return r->verdicts;
}

void fdxi_plugin_run_release(struct fdxi_plugin_run *r, uint8_t *area)
{
    for (uint32_t i = 0; i < r->n; i++) {
        struct slot *s = &r->slots[i];
        if (s->d->flow_release)
            s->d->flow_release(s->self, s->thread, area + s->flow_off);
    }
}
