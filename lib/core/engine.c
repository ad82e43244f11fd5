/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine: runs each packet through decoding, the flow table and the feature sets. */
#include "core/core.h"
#include "core/err.h"
#include "dpi/dpi.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"
#include "packet/packet.h"
#include "plugin/run.h"

#define DEFAULT_MAX_FLOWS 262144u
#define FRAG_SLOTS 4096u
#define FRAG_MAX_AGE_US (30u * 1000000u)
#define MAX_SERVER_PORTS 4096u

const uint16_t fdxi_default_server_ports[] = {
    587,  1080, 1194, 1433, 1521, 1723, 1883, 2049, 2375, 2376, 3128, 3306,  3389,  5060,
    5061, 5222, 5223, 5432, 5671, 5672, 5900, 5985, 5986, 6379, 6443, 6667,  8000,  8008,
    8080, 8081, 8088, 8443, 8883, 8888, 9000, 9090, 9092, 9200, 9418, 11211, 27017,
};
const uint32_t fdxi_n_default_server_ports =
    (uint32_t)(sizeof(fdxi_default_server_ports) / sizeof(fdxi_default_server_ports[0]));

struct set_slot {
    const struct fdxi_feature_set *set;
    size_t flow_off; /* offset of this set's state in the flow state area */
    void *state;     /* per-engine state, owned */
    uint32_t first;  /* index of the set's first value in the record */
};

struct fdx_engine {
    struct fdx_engine_options opts;
    struct set_slot sets[FDXI_MAX_SETS];
    uint32_t n_sets;
    const char **names; /* n_features, borrowed from the sets' static tables */
    uint32_t n_features;
    double *values; /* the record being finished */
    void *policy_state;
    struct fdxi_plugin_run *plugins; /* NULL without plugins */
    bool discarding;                 /* fdx_engine_free(): open flows end unreported */
    uint8_t *reporting;              /* the flow slot state of the record in on_flow, or NULL */
    struct fdxi_flow_table *flows;
    struct fdxi_frag_table *frags;
    uint64_t packets;
    uint64_t outcomes[FDX_PKT_OUTCOME_COUNT];
    uint64_t ended[FDX_END_COUNT];
    uint64_t icmp_errors;
    uint64_t fragments;
    uint64_t oversize;
    uint32_t oversize_largest;
    uint64_t max_active;
    uint64_t alloc_failures;
    uint64_t records; /* fed by fdx_engine_feed_record() */
    /* The plugins' state for a record of fdx_engine_feed_record() (the plugins' part of a flow
     * state area only: the sets keep no state for a record); NULL without plugins. */
    uint8_t *record_area;
};

_Static_assert(FDX_INPUT_RESP == FDX_REC_RESP && FDX_INPUT_TCP_FLAGS == FDX_REC_TCP_FLAGS &&
                   FDX_INPUT_TTL == FDX_REC_TTL && FDX_INPUT_IP_LEN == FDX_REC_IP_LEN,
               "a record's present bits are the plugin view's record_present bits");

void fdx_engine_options_init(struct fdx_engine_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->struct_size = sizeof(*opts);
    opts->max_flows = DEFAULT_MAX_FLOWS;
    opts->idle_timeout_us = 120u * 1000000u;
    opts->active_timeout_us = 120u * 1000000u;
    opts->linger_us = 2u * 1000000u;
    opts->feature_sets = "zadnik";
}

/* ---- flow table callbacks ---- */

/* Hand a finished record, with the plugins' verdicts (NULL without plugins), to on_flow. */
static void report(fdx_engine *e, const struct fdxi_flow *f, int reason,
                   const struct fdx_flow_verdict *verdicts)
{
    struct fdx_flow_record r;
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.end_reason = (uint32_t)reason;
    r.flow_id = f->id;
    r.start_us = f->first_ts_us;
    r.end_us = f->last_ts_us;
    r.ip_version = f->key.ip_version;
    r.proto = f->key.proto;
    r.segment = f->segment;
    memcpy(r.src_addr, fdxi_flow_addr(f, FDX_DIR_REQ), 16);
    memcpy(r.dst_addr, fdxi_flow_addr(f, FDX_DIR_RESP), 16);
    r.src_port = fdxi_flow_port(f, FDX_DIR_REQ);
    r.dst_port = fdxi_flow_port(f, FDX_DIR_RESP);
    memcpy(r.packets, f->packets, sizeof(r.packets));
    memcpy(r.bytes, f->bytes, sizeof(r.bytes));
    r.features = e->values;
    r.n_features = e->n_features;
    r.verdicts = verdicts;
    r.n_verdicts = fdxi_plugin_run_count(e->plugins);
    e->opts.on_flow(e->opts.user, &r);
}

static void on_begin(void *user, struct fdxi_flow *f)
{
    fdx_engine *e = user;
    uint8_t *area = fdxi_flow_state(f);
    for (uint32_t i = 0; i < e->n_sets; i++) {
        const struct fdxi_feature_set *s = e->sets[i].set;
        if (s->flow_begin != NULL)
            s->flow_begin(e->sets[i].state, area + e->sets[i].flow_off, f);
    }
    if (e->plugins != NULL)
        fdxi_plugin_run_begin(e->plugins, f, area);
}

/* The slot of set @p set in @p e, or NULL when the engine does not run it. */
static const struct set_slot *slot_of(const fdx_engine *e, const struct fdxi_feature_set *set)
{
    for (uint32_t i = 0; i < e->n_sets; i++) {
        if (e->sets[i].set == set)
            return &e->sets[i];
    }
    return NULL;
}

/* The plugin ABI's FDX_APP_* bits of the record just finalised: from the dpi set, if it runs. */
static uint32_t app_flags(const fdx_engine *e)
{
    const struct set_slot *s = slot_of(e, &fdxi_feature_set_dpi);
    return s != NULL ? fdxi_dpi_app_flags(e->values + s->first) : 0;
}

/* on_flow for the record of @p area, which the sets can still look into (fdxi_engine_reporting). */
static void report_now(fdx_engine *e, const struct fdxi_flow *f, int reason,
                       const struct fdx_flow_verdict *verdicts, uint8_t *area)
{
    e->reporting = area;
    report(e, f, reason, verdicts);
    e->reporting = NULL;
}

static void on_end(void *user, struct fdxi_flow *f, int reason)
{
    fdx_engine *e = user;
    uint8_t *area = fdxi_flow_state(f);
    if (e->discarding) {
        /* Plugins still hear that the flow's state goes away. */
        fdxi_plugin_run_release(e->plugins, area);
        return;
    }
    for (uint32_t i = 0; i < e->n_sets; i++) {
        const struct fdxi_feature_set *s = e->sets[i].set;
        s->finalise(e->sets[i].state, area + e->sets[i].flow_off, f, e->values + e->sets[i].first);
    }
    const struct fdx_flow_verdict *verdicts = NULL;
    if (e->plugins != NULL)
        verdicts = fdxi_plugin_run_end(e->plugins, f, area, e->values, app_flags(e));
    e->ended[reason]++;
    if (e->opts.on_flow != NULL)
        report_now(e, f, reason, verdicts, area);
    if (e->plugins != NULL)
        fdxi_plugin_run_release(e->plugins, area);
}

/* ---- construction ---- */

/* The options of the first layout end at `user`; plugins, n_plugins and first_flow_id came
 * later. */
#define OPTIONS_V1_SIZE (offsetof(struct fdx_engine_options, user) + sizeof(void *))

static int check_options(const struct fdx_engine_options *o, char *errbuf, size_t errlen)
{
    if (o->struct_size < sizeof(struct fdx_engine_options)) {
        fdxi_set_err(errbuf, errlen,
                     "engine options: struct_size %u is smaller than %zu "
                     "(call fdx_engine_options_init())",
                     o->struct_size, sizeof(*o));
        return FDX_EINVAL;
    }
    if (o->max_flows == 0 || o->max_flows > FDXI_MAX_MAX_FLOWS) {
        fdxi_set_err(errbuf, errlen, "max_flows %u out of range (1 to %u)", o->max_flows,
                     FDXI_MAX_MAX_FLOWS);
        return FDX_ERANGE;
    }
    if (o->idle_timeout_us == 0) {
        fdxi_set_err(errbuf, errlen, "idle timeout must be greater than 0");
        return FDX_ERANGE;
    }
    if (o->n_server_ports > MAX_SERVER_PORTS || (o->n_server_ports > 0 && !o->server_ports)) {
        fdxi_set_err(errbuf, errlen, "server port list: %u entries (at most %u, and not NULL)",
                     o->n_server_ports, MAX_SERVER_PORTS);
        return FDX_EINVAL;
    }
    if (o->n_plugins > FDXI_MAX_PLUGINS || (o->n_plugins > 0 && !o->plugins)) {
        fdxi_set_err(errbuf, errlen, "plugin list: %u entries (at most %d, and not NULL)",
                     o->n_plugins, FDXI_MAX_PLUGINS);
        return FDX_EINVAL;
    }
    return 0;
}

static const char *const id_names[] = {"flow_id", "src_addr", "src_port", "dst_addr",  "dst_port",
                                       "proto",   "start_us", "end_us",   "end_reason"};

bool fdxi_is_id_column(const char *name)
{
    for (size_t i = 0; i < sizeof(id_names) / sizeof(id_names[0]); i++)
        if (strcmp(id_names[i], name) == 0)
            return true;
    return false;
}

/* Column names that flowdx's outputs give a record besides its values: the identifiers of
 * FDX_IDS_FLOWDX before them (a plugin field's name has no capitals, so the dataset style's cannot
 * clash) and one "PLUGIN_verdict" per plugin after them. */
static bool is_output_column(const fdx_engine *e, const char *name)
{
    if (fdxi_is_id_column(name))
        return true;
    size_t len = strlen(name), sl = strlen("_verdict");
    if (len <= sl || strcmp(name + len - sl, "_verdict") != 0)
        return false;
    for (uint32_t i = 0; i < fdxi_plugin_run_count(e->plugins); i++) {
        const char *p = fdxi_plugin_run_descriptor(e->plugins, i)->name;
        if (strlen(p) == len - sl && strncmp(p, name, len - sl) == 0)
            return true;
    }
    return false;
}

/* The record's value names: the sets', then the plugins' fields. Names must be unique, and no
 * field may take the name of an output's identifier or verdict column. */
static int name_values(fdx_engine *e, char *errbuf, size_t errlen)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < e->n_sets; i++)
        for (uint32_t j = 0; j < e->sets[i].set->n_features; j++)
            e->names[k++] = e->sets[i].set->feature_names[j];
    uint32_t n_set_values = k;
    for (uint32_t i = 0; i < fdxi_plugin_run_count(e->plugins); i++) {
        const struct fdx_plugin *d = fdxi_plugin_run_descriptor(e->plugins, i);
        for (uint32_t j = 0; j < d->n_fields; j++) {
            const char *name = d->fields[j].name;
            if (is_output_column(e, name)) {
                fdxi_set_err(errbuf, errlen,
                             "plugin '%s': field %u '%s' has the name of a column that outputs "
                             "give every record",
                             d->name, j, name);
                return FDX_EINVAL;
            }
            for (uint32_t m = 0; m < k; m++) {
                if (strcmp(e->names[m], name) == 0) {
                    fdxi_set_err(errbuf, errlen,
                                 "plugin '%s': field %u '%s' has the name of %s already in "
                                 "the record",
                                 d->name, j, name, m < n_set_values ? "a feature" : "a field");
                    return FDX_EINVAL;
                }
            }
            e->names[k++] = name;
        }
    }
    return 0;
}

int fdxi_engine_new_with_sets(const struct fdx_engine_options *opts,
                              const struct fdxi_feature_set *const *sets, uint32_t n_sets,
                              fdx_engine **ret_engine, char *errbuf, size_t errlen)
{
    int rc = check_options(opts, errbuf, errlen);
    if (rc < 0)
        return rc;
    if ((n_sets == 0 && opts->n_plugins == 0) || n_sets > FDXI_MAX_SETS) {
        fdxi_set_err(errbuf, errlen, "%u feature sets given (1 to %d, or 0 with plugins)", n_sets,
                     FDXI_MAX_SETS);
        return FDX_EINVAL;
    }
    const struct fdxi_flow_policy *policy = NULL;
    for (uint32_t i = 0; i < n_sets; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (sets[i] == sets[j]) {
                fdxi_set_err(errbuf, errlen, "feature set '%s' given twice", sets[i]->name);
                return FDX_EINVAL;
            }
        }
        if (sets[i]->policy != NULL) {
            if (n_sets > 1) {
                fdxi_set_err(
                    errbuf, errlen,
                    "feature set '%s' cuts its own flows (%s rules) and cannot be combined "
                    "with other sets in one extraction",
                    sets[i]->name, sets[i]->policy->name);
                return FDX_EINVAL;
            }
            policy = sets[i]->policy;
        }
    }

    rc = FDX_ENOMEM;
    fdx_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        goto fail;
    e->opts = *opts;
    e->opts.feature_sets = NULL; /* borrowed strings are not kept */
    e->opts.server_ports = NULL;
    size_t flow_bytes = 0;
    for (uint32_t i = 0; i < n_sets; i++) {
        struct set_slot *s = &e->sets[i];
        s->set = sets[i];
        s->flow_off = flow_bytes;
        flow_bytes += fdxi_align16(sets[i]->flow_state_bytes);
        s->first = e->n_features;
        e->n_features += sets[i]->n_features;
        if (sets[i]->set_state_bytes > 0) {
            s->state = calloc(1, sets[i]->set_state_bytes);
            if (s->state == NULL)
                goto fail;
        }
        if (sets[i]->set_init != NULL) {
            int irc = sets[i]->set_init(s->state);
            if (irc < 0) {
                fdxi_set_err(errbuf, errlen, "feature set '%s': initialisation failed: %s",
                             sets[i]->name, fdx_strerror(irc));
                rc = irc;
                e->n_sets = i + 1; /* this one too: set_fini frees what set_init had made */
                goto fail_said;
            }
        }
        e->n_sets = i + 1;
    }
    if (opts->n_plugins > 0) {
        /* The plugins' state and values follow the feature sets'. */
        size_t plugin_bytes = 0;
        uint32_t plugin_values = 0;
        rc = fdxi_plugin_run_new(opts->plugins, opts->n_plugins, flow_bytes, e->n_features,
                                 &e->plugins, &plugin_bytes, &plugin_values, errbuf, errlen);
        if (rc < 0)
            goto fail_said;
        rc = FDX_ENOMEM;
        flow_bytes += plugin_bytes;
        e->n_features += plugin_values;
        /* plugin_bytes is a sum of fdxi_align16() sizes, as aligned_alloc wants */
        e->record_area = aligned_alloc(16, plugin_bytes ? plugin_bytes : 16);
        if (e->record_area == NULL)
            goto fail;
    }
    /* An engine of field-less plugins alone has no values; calloc(0) may return NULL. */
    size_t n_values = e->n_features ? e->n_features : 1;
    e->names = calloc(n_values, sizeof(*e->names));
    e->values = calloc(n_values, sizeof(*e->values));
    if (e->names == NULL || e->values == NULL)
        goto fail;
    rc = name_values(e, errbuf, errlen);
    if (rc < 0)
        goto fail_said;
    rc = FDX_ENOMEM;
    if (policy != NULL && policy->state_bytes > 0) {
        e->policy_state = calloc(1, policy->state_bytes);
        if (e->policy_state == NULL)
            goto fail;
    }

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct fdxi_flow_table_config cfg = {
        .max_flows = opts->max_flows,
        .idle_us = opts->idle_timeout_us,
        .active_us = opts->active_timeout_us,
        .linger_us = opts->linger_us,
        .state_bytes = flow_bytes,
        .server_ports = opts->server_ports ? opts->server_ports : fdxi_default_server_ports,
        .n_server_ports = opts->server_ports ? opts->n_server_ports : fdxi_n_default_server_ports,
        .policy = policy,
        .policy_state = e->policy_state,
        .on_begin = on_begin,
        .on_end = on_end,
        .user = e,
        /* Only bucket placement depends on the seed, never the output. */
        .hash_seed = (uint64_t)(uintptr_t)e ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec,
        .first_id = opts->first_flow_id,
    };
    e->flows = fdxi_flow_table_new(&cfg);
    e->frags = fdxi_frag_table_new(FRAG_SLOTS, FRAG_MAX_AGE_US);
    if (e->flows == NULL || e->frags == NULL)
        goto fail;
    *ret_engine = e;
    return 0;
fail:
    if (rc == FDX_ENOMEM)
        fdxi_set_err(errbuf, errlen, "out of memory creating the engine (max_flows %u)",
                     opts->max_flows);
fail_said: /* a feature set's, a plugin's or the naming's own message is in errbuf */
    fdx_engine_free(e);
    return rc;
}

int fdx_engine_new(const struct fdx_engine_options *opts, fdx_engine **ret_engine, char *errbuf,
                   size_t errlen)
{
    if (opts == NULL || ret_engine == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_engine_new: NULL argument");
        return FDX_EINVAL;
    }
    /* A caller built against the first layout (without plugins) passes a shorter struct: the
     * fields it does not have keep their defaults. */
    if (opts->struct_size < OPTIONS_V1_SIZE) {
        fdxi_set_err(errbuf, errlen,
                     "engine options: struct_size %u is smaller than %zu, the first layout "
                     "(call fdx_engine_options_init())",
                     opts->struct_size, OPTIONS_V1_SIZE);
        return FDX_EINVAL;
    }
    struct fdx_engine_options full;
    if (opts->struct_size < sizeof(full)) {
        fdx_engine_options_init(&full);
        memcpy(&full, opts, opts->struct_size);
        full.struct_size = sizeof(full);
        opts = &full;
    }
    int rc = check_options(opts, errbuf, errlen);
    if (rc < 0)
        return rc;
    const struct fdxi_feature_set *sets[FDXI_MAX_SETS];
    uint32_t n = 0;
    rc = fdxi_feature_set_list(opts->feature_sets ? opts->feature_sets : "zadnik", sets, &n, errbuf,
                               errlen);
    if (rc < 0)
        return rc;
    return fdxi_engine_new_with_sets(opts, sets, n, ret_engine, errbuf, errlen);
}

void fdx_engine_free(fdx_engine *e)
{
    if (e == NULL)
        return;
    if (e->plugins != NULL && e->flows != NULL) {
        e->discarding = true;
        fdxi_flow_table_flush(e->flows, FDX_END_EOF);
    }
    fdxi_flow_table_free(e->flows);
    fdxi_frag_table_free(e->frags);
    fdxi_plugin_run_free(e->plugins);
    for (uint32_t i = 0; i < e->n_sets; i++) {
        if (e->sets[i].set->set_fini != NULL)
            e->sets[i].set->set_fini(e->sets[i].state);
    }
    for (uint32_t i = 0; i < FDXI_MAX_SETS; i++)
        free(e->sets[i].state);
    free(e->policy_state);
    free(e->record_area);
    free(e->names);
    free(e->values);
    free(e);
}

/* ---- packets ---- */

static int outcome_of(enum fdxi_decode_result r)
{
    switch (r) {
    case FDXI_DEC_OK:
        return FDX_PKT_DECODED;
    case FDXI_DEC_TRUNCATED:
        return FDX_PKT_TRUNCATED;
    case FDXI_DEC_MALFORMED:
        return FDX_PKT_MALFORMED;
    case FDXI_DEC_LINK_UNSUPPORTED:
        return FDX_PKT_LINK_UNSUPPORTED;
    case FDXI_DEC_NON_IP:
    default:
        return FDX_PKT_NON_IP;
    }
}

/* Memory for more flow slots ran out: the table keeps working at its present size. Said once. */
static void out_of_memory(fdx_engine *e)
{
    e->alloc_failures++;
    if (e->alloc_failures == 1 && e->opts.log != NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "out of memory growing the flow table past %u flows: evicting from now on",
                 fdxi_flow_table_active(e->flows));
        e->opts.log(e->opts.user, FDX_LOG_ERROR, msg);
    }
}

/* Loopback traffic (127.0.0.0/8, ::1) has a 64 KiB MTU: its large packets are not offloads. */
static bool loopback(const struct fdxi_packet *p)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    if (p->ip_version == 4)
        return p->src[0] == 127 || p->dst[0] == 127;
    return memcmp(p->src, v6_loopback, 16) == 0 || memcmp(p->dst, v6_loopback, 16) == 0;
}

static void count_oversize(fdx_engine *e, const struct fdxi_packet *p)
{
    if (loopback(p))
        return;
    e->oversize++;
    if (p->ip_len > e->oversize_largest)
        e->oversize_largest = p->ip_len;
}

static int account(fdx_engine *e, int outcome)
{
    e->outcomes[outcome]++;
    return outcome;
}

int fdx_engine_feed(fdx_engine *e, int linktype, uint64_t ts_us, const uint8_t *data,
                    uint32_t caplen, uint32_t wirelen)
{
    e->packets++;
    struct fdxi_packet pkt;
    enum fdxi_decode_result r = fdxi_packet_decode(linktype, ts_us, data, caplen, wirelen, &pkt);
    if (r != FDXI_DEC_OK)
        return account(e, outcome_of(r));
    if (pkt.icmp_error)
        e->icmp_errors++;
    if (pkt.ip_len > FDX_ETHERNET_MTU)
        count_oversize(e, &pkt);
    if (pkt.is_fragment) {
        e->fragments++;
        if (pkt.first_fragment)
            fdxi_frag_note_first(e->frags, &pkt);
        else if (!fdxi_frag_resolve(e->frags, &pkt))
            return account(e, FDX_PKT_FRAG_UNMATCHED);
    }
    int dir;
    uint64_t failures = fdxi_flow_table_alloc_failures(e->flows);
    struct fdxi_flow *f = fdxi_flow_table_packet(e->flows, &pkt, &dir);
    if (fdxi_flow_table_alloc_failures(e->flows) != failures)
        out_of_memory(e);
    if (f == NULL)
        return account(e, FDX_PKT_NOT_SELECTED);
    uint8_t *area = fdxi_flow_state(f);
    for (uint32_t i = 0; i < e->n_sets; i++) {
        const struct fdxi_feature_set *s = e->sets[i].set;
        s->packet(e->sets[i].state, area + e->sets[i].flow_off, f, &pkt, dir);
    }
    if (e->plugins != NULL)
        fdxi_plugin_run_packet(e->plugins, f, area, &pkt, dir);
    fdxi_flow_table_after_packet(e->flows, f);
    uint32_t active = fdxi_flow_table_active(e->flows);
    if (active > e->max_active)
        e->max_active = active;
    return account(e, FDX_PKT_DECODED);
}

/* ---- flow records ---- */

void fdx_input_record_init(struct fdx_input_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->struct_size = sizeof(*rec);
}

int fdx_engine_feed_record(fdx_engine *e, const struct fdx_input_record *in)
{
    if (e == NULL || in == NULL || in->struct_size < sizeof(struct fdx_input_record) ||
        (in->ip_version != 4 && in->ip_version != 6) || in->end_us < in->start_us)
        return FDX_EINVAL;
    struct fdxi_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.present =
        in->present & (FDX_INPUT_RESP | FDX_INPUT_TCP_FLAGS | FDX_INPUT_TTL | FDX_INPUT_IP_LEN);
    rec.proto = in->proto;
    rec.start_us = in->start_us;
    rec.end_us = in->end_us;
    int dirs = (rec.present & FDX_INPUT_RESP) ? 2 : 1;
    for (int d = 0; d < dirs; d++) {
        rec.packets[d] = in->packets[d];
        rec.bytes[d] = in->bytes[d];
        rec.tcp_flags[d] = in->tcp_flags[d];
        rec.min_ttl[d] = in->min_ttl[d];
        rec.max_ttl[d] = in->max_ttl[d];
        rec.min_ip_len[d] = in->min_ip_len[d];
        rec.max_ip_len[d] = in->max_ip_len[d];
    }
    /* The record as a flow slot header, initiator first, for the plugin views and report(). */
    struct fdxi_flow f;
    memset(&f, 0, sizeof(f));
    memcpy(f.key.addr[0], in->src_addr, 16);
    memcpy(f.key.addr[1], in->dst_addr, 16);
    if (in->ip_version == 4) { /* IPv4 in bytes 0-3, the rest zero, as the decoder's */
        memset(f.key.addr[0] + 4, 0, 12);
        memset(f.key.addr[1] + 4, 0, 12);
    }
    f.key.port[0] = in->src_port;
    f.key.port[1] = in->dst_port;
    f.key.proto = in->proto;
    f.key.ip_version = in->ip_version;
    f.init_side = 0;
    f.id = fdxi_flow_table_take_id(e->flows);
    f.first_ts_us = in->start_us;
    f.last_ts_us = in->end_us;
    memcpy(f.packets, rec.packets, sizeof(f.packets));
    memcpy(f.bytes, rec.bytes, sizeof(f.bytes));
    for (uint32_t i = 0; i < e->n_sets; i++) {
        const struct fdxi_feature_set *s = e->sets[i].set;
        double *out = e->values + e->sets[i].first;
        if (s->record != NULL) {
            s->record(&rec, out);
        } else {
            for (uint32_t k = 0; k < s->n_features; k++)
                out[k] = NAN;
        }
    }
    const struct fdx_flow_verdict *verdicts = NULL;
    if (e->plugins != NULL)
        verdicts = fdxi_plugin_run_record(e->plugins, &f, &rec, e->record_area, e->values);
    uint32_t reason = in->end_reason < FDX_END_COUNT ? in->end_reason : FDX_END_IDLE;
    e->ended[reason]++;
    e->records++;
    if (e->opts.on_flow != NULL)
        report(e, &f, (int)reason, verdicts);
    return 0;
}

void fdx_engine_advance(fdx_engine *e, uint64_t now_us)
{
    fdxi_flow_table_advance(e->flows, now_us);
}

void fdx_engine_flush(fdx_engine *e)
{
    fdxi_flow_table_flush(e->flows, FDX_END_EOF);
}

void fdx_engine_stats(const fdx_engine *e, struct fdx_engine_stats *ret)
{
    struct fdx_engine_stats s;
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    s.active_flows = fdxi_flow_table_active(e->flows);
    s.packets = e->packets;
    memcpy(s.outcomes, e->outcomes, sizeof(s.outcomes));
    memcpy(s.flows_ended, e->ended, sizeof(s.flows_ended));
    s.icmp_errors = e->icmp_errors;
    s.fragments = e->fragments;
    s.max_active_flows = e->max_active;
    s.alloc_failures = e->alloc_failures;
    s.records = e->records;
    s.last_flow_id = fdxi_flow_table_last_id(e->flows);
    s.oversize = e->oversize;
    s.oversize_largest = e->oversize_largest;
    /* Copy no more than the caller's struct holds: an older caller has a shorter one. One that
     * did not set struct_size may have any size, so it gets nothing. */
    size_t n = ret->struct_size < sizeof(s) ? ret->struct_size : sizeof(s);
    if (n < sizeof(uint32_t))
        return;
    memcpy(ret, &s, n);
    ret->struct_size = (uint32_t)n;
}

uint32_t fdx_engine_id_style(const fdx_engine *e)
{
    return e->n_sets == 1 ? e->sets[0].set->id_style : FDX_IDS_FLOWDX;
}

uint32_t fdx_engine_feature_count(const fdx_engine *e)
{
    return e->n_features;
}

const char *fdx_engine_feature_name(const fdx_engine *e, uint32_t i)
{
    return i < e->n_features ? e->names[i] : NULL;
}

const struct fdxi_feature_set *fdxi_engine_set_at(const fdx_engine *e, uint32_t i,
                                                  uint32_t *ret_first)
{
    if (i >= e->n_sets)
        return NULL;
    *ret_first = e->sets[i].first;
    return e->sets[i].set;
}

const struct fdxi_plugin_run *fdxi_engine_plugins(const fdx_engine *e)
{
    return e->plugins;
}

void *fdxi_engine_reporting(const fdx_engine *e, const struct fdxi_feature_set *set)
{
    const struct set_slot *s = e->reporting != NULL ? slot_of(e, set) : NULL;
    return s != NULL ? e->reporting + s->flow_off : NULL;
}

void *fdxi_engine_set_state(const fdx_engine *e, const struct fdxi_feature_set *set,
                            uint32_t *ret_first)
{
    const struct set_slot *s = slot_of(e, set);
    if (s == NULL)
        return NULL;
    *ret_first = s->first;
    return s->state;
}
