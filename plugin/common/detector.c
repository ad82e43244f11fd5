/* SPDX-License-Identifier: BSD-3-Clause */
/* A flowdx feature set and a model file behind the plugin ABI (detector.h). */
#include "detector.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Element ids of the verdict fields, after the features' (first_element + this). */
#define EXTRA_OFFSET 90
#define N_EXTRA 2 /* votes, models (the score is the verdict's) */

struct self {
    const struct det_def *def;
    fdx_model *model;
    struct det_select sel;
    uint32_t n_values;  /* the set's */
    fdx_featureset *fs; /* for a host that calls no thread_init */
    bool skip_one_way;  /* sel.judge_one_way with the model's answer: no verdict without a
                           packet from the responder */
};

/* In front of the set's state in the host's flow slot. */
struct head {
    uint32_t selected; /* TCP to one of the ports: the set computes its values */
    uint32_t server;   /* and to one of the servers (or any): judged whatever the host says */
    uint8_t pad_[8];
};
_Static_assert(sizeof(struct head) == 16, "the set's state stays 16-byte aligned");

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* "FlowBytesSent" -> "flow_bytes_sent"; already lower-case names stay as they are. */
static void snake(char *out, size_t len, const char *prefix, const char *name)
{
    size_t o = (size_t)snprintf(out, len, "%s", prefix);
    for (size_t i = 0; name[i] != '\0' && o + 2 < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c) && i > 0 &&
            (islower((unsigned char)name[i - 1]) || isdigit((unsigned char)name[i - 1])))
            out[o++] = '_';
        out[o++] = isalnum(c) ? (char)tolower(c) : '_';
    }
    out[o] = '\0';
}

static void add_field(struct det_plugin *p, uint32_t i, const char *name, uint32_t type,
                      uint32_t direction, uint16_t element, const char *description)
{
    snprintf(p->names[i], sizeof(p->names[i]), "%s", name);
    p->fields[i] = (struct fdx_plugin_field){p->names[i], type, direction,  FDX_PEN_OWN,
                                             element,     0,    description};
}

static void fini_cb(void *self);
static int thread_init_cb(void *self, void **ret_thread, char *errbuf, size_t errlen);
static void thread_fini_cb(void *self, void *thread);
static void begin_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow);
static void packet_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                      const struct fdx_plugin_packet *pkt);
static void end_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                   struct fdx_plugin_result *result);
static void release_cb(void *self, void *thread, void *state);

const struct fdx_plugin *fdxi_det_descriptor(struct det_plugin *p)
{
    pthread_mutex_lock(&build_lock);
    if (!p->built) {
        const struct det_def *d = p->def;
        fdx_featureset *fs = NULL;
        char err[256];
        if (fdx_featureset_new(d->feature_set, &fs, err, sizeof(err)) == 0 &&
            fdx_featureset_count(fs) + N_EXTRA <= DET_MAX_FIELDS &&
            fdx_featureset_count(fs) < EXTRA_OFFSET) {
            uint32_t n = fdx_featureset_count(fs), half = (n - 1) / 2;
            for (uint32_t i = 0; i < n; i++) {
                char name[DET_NAME_BYTES];
                snake(name, sizeof(name), d->prefix, fdx_featureset_name(fs, i));
                uint32_t dir = FDX_FIELD_FLOW;
                uint16_t id = (uint16_t)(d->first_element + i);
                if (d->per_direction && i < 2 * half) {
                    /* a response value is the RFC 5103 reverse of its request twin */
                    dir = i < half ? FDX_FIELD_REQ : FDX_FIELD_RESP;
                    id = (uint16_t)(d->first_element + (i < half ? i : i - half));
                } else if (d->per_direction) {
                    id = (uint16_t)(d->first_element + half);
                }
                add_field(p, i, name, FDX_FIELD_F64, dir, id, "flowdx feature (doc/features/)");
            }
            char name[DET_NAME_BYTES];
            uint16_t x = (uint16_t)(d->first_element + EXTRA_OFFSET);
            snprintf(name, sizeof(name), "%svotes", d->prefix);
            add_field(p, n, name, FDX_FIELD_U8, FDX_FIELD_FLOW, x,
                      "models of the jury voting for the malicious class");
            snprintf(name, sizeof(name), "%smodels", d->prefix);
            add_field(p, n + 1, name, FDX_FIELD_U8, FDX_FIELD_FLOW, (uint16_t)(x + 1),
                      "models in the jury");
            p->desc = (struct fdx_plugin){
                .abi_major = FDX_PLUGIN_ABI_MAJOR,
                .abi_minor = FDX_PLUGIN_ABI_MINOR,
                .struct_size = sizeof(struct fdx_plugin),
                .inputs = fdx_featureset_inputs(fs) | FDX_IN_TCP,
                .name = d->name,
                .version = d->version,
                .summary = d->summary,
                .flow_state_bytes =
                    (uint32_t)(sizeof(struct head) + fdx_featureset_flow_state_bytes(fs)),
                .n_fields = n + N_EXTRA,
                .fields = p->fields,
                .init = p->init,
                .fini = fini_cb,
                .thread_init = thread_init_cb,
                .thread_fini = thread_fini_cb,
                .flow_begin = begin_cb,
                .packet = packet_cb,
                .flow_end = end_cb,
                .flow_release = release_cb,
            };
            p->built = true;
        }
        fdx_featureset_free(fs);
    }
    pthread_mutex_unlock(&build_lock);
    return p->built ? &p->desc : NULL;
}

static void fini_cb(void *self)
{
    struct self *s = self;
    fdx_model_free(s->model);
    fdx_featureset_free(s->fs);
    free(s);
}

int fdxi_det_init(const struct det_plugin *p, const struct fdx_plugin_init_args *args,
                  void **ret_self, char *errbuf, size_t errlen)
{
    const struct det_def *d = p->def;
    struct self *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FDX_ENOMEM;
    s->def = d;
    s->sel.margin = NAN;
    s->sel.judge_one_way = 1;
    int rc = d->select(args->settings, &s->sel, errbuf, errlen);
    const char *model = NULL;
    if (rc >= 0)
        rc = fdx_config_get_string(args->settings, "model", &model, errbuf, errlen);
    if (rc < 0) {
        free(s);
        return rc;
    }
    char path[4096];
    if (model == NULL) {
        const char *dir =
            args->data_dir && args->data_dir[0] ? args->data_dir : "."; /* as the host's */
        snprintf(path, sizeof(path), "%s/%s", dir, d->model_file);
        model = path;
    }
    char err[512];
    rc = fdx_featureset_new(d->feature_set, &s->fs, err, sizeof(err));
    if (rc == 0)
        rc = fdx_model_load(model, &s->model, err, sizeof(err));
    if (rc < 0) {
        /* A misspelt key ("modle") is the likelier cause than the default model: say that. */
        if (fdx_config_check_unused(args->settings, errbuf, errlen) == 0)
            snprintf(errbuf, errlen, "%s", err);
        fini_cb(s);
        return rc;
    }
    const char *set = fdx_model_feature_set(s->model);
    fdx_featureset *probe = NULL;
    /* The model's set must be the plugin's (an alias such as "doh" names the same set). */
    if (fdx_featureset_new(set, &probe, err, sizeof(err)) < 0 ||
        fdx_featureset_count(probe) != fdx_featureset_count(s->fs) ||
        fdx_featureset_inputs(probe) != fdx_featureset_inputs(s->fs) ||
        strcmp(fdx_featureset_name(probe, 0), fdx_featureset_name(s->fs, 0)) != 0) {
        snprintf(errbuf, errlen,
                 "%s: the model reads the feature set '%s'; the %s plugin computes '%s'", model,
                 set, d->name, d->feature_set);
        fdx_featureset_free(probe);
        fini_cb(s);
        return FDX_EINVAL;
    }
    fdx_featureset_free(probe);
    s->n_values = fdx_featureset_count(s->fs);
    const char *names[DET_MAX_FIELDS];
    for (uint32_t i = 0; i < s->n_values; i++)
        names[i] = fdx_featureset_name(s->fs, i);
    rc = fdx_model_bind_names(s->model, names, s->n_values, err, sizeof(err));
    if (rc == 0 && !isnan(s->sel.margin))
        rc = fdx_model_set_margin(s->model, s->sel.margin, err, sizeof(err));
    s->skip_one_way = s->sel.judge_one_way == 0 ||
                      (s->sel.judge_one_way < 0 && fdx_model_one_way_rows(s->model) <= 0);
    if (rc < 0) {
        snprintf(errbuf, errlen, "%s: %s", model, err);
        fini_cb(s);
        return rc;
    }
    *ret_self = s;
    return 0;
}

static int thread_init_cb(void *self, void **ret_thread, char *errbuf, size_t errlen)
{
    struct self *s = self;
    fdx_featureset *fs = NULL;
    int rc = fdx_featureset_new(s->def->feature_set, &fs, errbuf, errlen);
    if (rc < 0)
        return rc;
    *ret_thread = fs;
    return 0;
}

static void thread_fini_cb(void *self, void *thread)
{
    (void)self;
    fdx_featureset_free(thread);
}

static fdx_featureset *set_of(struct self *s, void *thread)
{
    return thread != NULL ? thread : s->fs;
}

static bool on_port(const struct det_select *sel, const struct fdx_plugin_flow *f)
{
    bool port = false;
    for (uint32_t i = 0; i < sel->n_ports && !port; i++)
        port = f->dst_port == sel->ports[i];
    return f->proto == 6 && port;
}

static bool to_server(const struct det_select *sel, const struct fdx_plugin_flow *f)
{
    if (sel->any_server)
        return true;
    for (uint32_t i = 0; i < sel->n_servers; i++) {
        const struct det_server *v = &sel->servers[i];
        if (v->version == f->ip_version && memcmp(v->addr, f->dst_addr, 16) == 0)
            return true;
    }
    return false;
}

static void begin_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow)
{
    struct self *s = self;
    struct head *h = state;
    bool port = on_port(&s->sel, flow);
    /* any_port comes only with an app_flag (spam.c sets both from host_detection) */
    h->selected = port || (flow->proto == 6 && s->sel.any_port);
    h->server = port && to_server(&s->sel, flow);
    if (h->selected)
        fdx_featureset_flow_begin(set_of(s, thread), h + 1, flow);
}

static void packet_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                      const struct fdx_plugin_packet *pkt)
{
    struct head *h = state;
    if (h->selected)
        fdx_featureset_packet(set_of(self, thread), h + 1, flow, pkt);
}

static void end_cb(void *self, void *thread, void *state, const struct fdx_plugin_flow *flow,
                   struct fdx_plugin_result *result)
{
    struct self *s = self;
    struct head *h = state;
    for (uint32_t i = 0; i < result->n_values; i++)
        result->values[i] = NAN;
    if (!h->selected)
        return;
    bool marked = flow->struct_size >= offsetof(struct fdx_plugin_flow, app_flags) + 4 &&
                  (flow->app_flags & s->sel.app_flag) != 0;
    if (!h->server && !marked)
        return; /* released in flow_release */
    double *v = result->values;
    fdx_featureset_flow_end(set_of(s, thread), h + 1, flow, v);
    bool any = false;
    for (uint32_t i = 0; i < s->n_values && !any; i++)
        any = !isnan(v[i]);
    if (!any)
        return; /* the set has nothing for this flow (doh:ip: not TCP to a DoH port) */
    if (s->skip_one_way && flow->packets[1] == 0) {
        result->declined = 1; /* values without a verdict, and the host may count it */
        return;
    }
    struct fdx_flow_record r = {.struct_size = sizeof(r),
                                .flow_id = flow->flow_id,
                                .start_us = flow->start_us,
                                .end_us = flow->end_us,
                                .ip_version = flow->ip_version,
                                .proto = flow->proto,
                                .src_port = flow->src_port,
                                .dst_port = flow->dst_port,
                                .features = v,
                                .n_features = s->n_values};
    memcpy(r.src_addr, flow->src_addr, 16);
    memcpy(r.dst_addr, flow->dst_addr, 16);
    memcpy(r.packets, flow->packets, sizeof(r.packets));
    memcpy(r.bytes, flow->bytes, sizeof(r.bytes));
    struct fdx_verdict verdict = {.struct_size = sizeof(verdict)};
    if (fdx_model_classify(s->model, &r, &verdict) < 0)
        return;
    uint32_t votes = 0;
    const size_t max_votes = sizeof(verdict.votes) / sizeof(verdict.votes[0]);
    for (uint32_t i = 0; i < verdict.n_models && i < max_votes; i++)
        votes += verdict.votes[i] == 1;
    v[s->n_values] = votes;
    v[s->n_values + 1] = verdict.n_models;
    result->score = verdict.score;
    if (verdict.uncertain) {
        result->verdict = FDX_PLUGIN_UNCERTAIN;
    } else if (verdict.verdict == 1) {
        result->verdict = FDX_PLUGIN_MALICIOUS;
        snprintf(result->label, sizeof(result->label), "%s", s->def->label);
    } else {
        result->verdict = FDX_PLUGIN_BENIGN;
    }
}

static void release_cb(void *self, void *thread, void *state)
{
    struct head *h = state;
    if (h->selected)
        fdx_featureset_flow_release(set_of(self, thread), h + 1);
}

bool fdxi_det_server_parse(const char *text, struct det_server *s)
{
    memset(s, 0, sizeof(*s));
    if (text != NULL && inet_pton(AF_INET, text, s->addr) == 1)
        s->version = 4;
    else if (text != NULL && inet_pton(AF_INET6, text, s->addr) == 1)
        s->version = 6;
    return s->version != 0;
}

int fdxi_det_read_servers(const fdx_config_node *settings, const char *key, struct det_select *sel,
                          char *errbuf, size_t errlen)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(settings, key, &list, errbuf, errlen);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *text = fdx_config_scalar(item);
        char where[256];
        bool full = sel->n_servers == DET_MAX_SERVERS;
        if (full || !fdxi_det_server_parse(text, &sel->servers[sel->n_servers])) {
            snprintf(errbuf, errlen, "%s: key '%s': %s",
                     fdx_config_node_where(item, where, sizeof(where)), key,
                     full ? "more than 256 addresses" : "not an IPv4 or IPv6 address");
            return FDX_EFORMAT;
        }
        sel->n_servers++;
    }
    return 1;
}

int fdxi_det_read_ports(const fdx_config_node *settings, const char *key, struct det_select *sel,
                        char *errbuf, size_t errlen)
{
    const fdx_config_node *list = NULL;
    int rc = fdx_config_get_list(settings, key, &list, errbuf, errlen);
    if (rc <= 0)
        return rc;
    sel->n_ports = 0;
    for (uint32_t i = 0; i < fdx_config_list_count(list); i++) {
        const fdx_config_node *item = fdx_config_list_at(list, i);
        const char *text = fdx_config_scalar(item);
        char *end = NULL;
        long port = text != NULL ? strtol(text, &end, 10) : 0;
        char where[256];
        if (text == NULL || end == text || *end != '\0' || port < 1 || port > 65535 ||
            sel->n_ports == DET_MAX_PORTS) {
            snprintf(errbuf, errlen, "%s: key '%s': %s",
                     fdx_config_node_where(item, where, sizeof(where)), key,
                     sel->n_ports == DET_MAX_PORTS ? "more than 16 ports"
                                                   : "not a port number (1-65535)");
            return FDX_ERANGE;
        }
        sel->ports[sel->n_ports++] = (uint16_t)port;
    }
    if (sel->n_ports == 0) {
        char where[256];
        snprintf(errbuf, errlen, "%s: key '%s': an empty list selects no flow",
                 fdx_config_node_where(list, where, sizeof(where)), key);
        return FDX_ERANGE;
    }
    return 1;
}
