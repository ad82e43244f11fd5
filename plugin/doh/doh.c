/* SPDX-License-Identifier: BSD-3-Clause */
/* The DoH detector as a plugin: CIRA-CIC-DoHBrw-2020 statistics and the five-model jury. */
#include "../common/detector.h"

#include <stdio.h>

/*
 * Settings (all optional):
 *   model: PATH            model file of the doh:ip set (default: DATA_DIR/doh.fdxm)
 *   servers: [ADDR, ...]   more DoH resolvers (TCP port 443) besides the well-known ones
 *   known_resolvers: true  judge flows to the well-known public resolvers (fdx_doh_resolver_at)
 *   all_tls: false         judge every TCP flow to port 443
 *   host_detection: true   and those the host's protocol detection calls DoH (FDX_APP_DOH: flowdx
 *                          with nDPI; other hosts of ABI 1.1+ that detect it)
 * Verdicts are per flow. flowdx's own probe decides them per client-resolver pair on top
 * (fdx_pairs); a host that wants that does the same with the plugin's verdicts.
 */
static int doh_select(const fdx_config_node *settings, struct det_select *sel, char *errbuf,
                      size_t errlen)
{
    sel->n_ports = 1;
    sel->ports[0] = 443;
    int known = 1, all = 0, host = 1;
    int rc = fdx_config_get_bool(settings, "known_resolvers", &known, errbuf, errlen);
    if (rc >= 0)
        rc = fdx_config_get_bool(settings, "all_tls", &all, errbuf, errlen);
    if (rc >= 0)
        rc = fdx_config_get_bool(settings, "host_detection", &host, errbuf, errlen);
    if (rc < 0)
        return rc;
    sel->any_server = all != 0;
    sel->app_flag = host ? FDX_APP_DOH : 0;
    for (uint32_t i = 0; known && fdx_doh_resolver_at(i) != NULL; i++) {
        if (!fdxi_det_server_parse(fdx_doh_resolver_at(i), &sel->servers[sel->n_servers])) {
            snprintf(errbuf, errlen, "internal error: resolver '%s'", fdx_doh_resolver_at(i));
            return FDX_EINVAL;
        }
        sel->n_servers++;
    }
    rc = fdxi_det_read_servers(settings, "servers", sel, errbuf, errlen);
    return rc < 0 ? rc : 0;
}

static const struct det_def def = {
    .name = "doh",
    .version = "1.0",
    .summary = "malicious DNS over HTTPS: DoHBrw-2020 statistics and a five-model jury",
    .feature_set = "doh:ip",
    .prefix = "doh_",
    .model_file = "doh.fdxm",
    .label = "doh-tunnel",
    .first_element = 2201,
    .per_direction = false,
    .select = doh_select,
};

#ifndef DOH_ENTRY
#define DOH_ENTRY fdx_plugin_entry_v1
#endif

DET_PLUGIN(def, DOH_ENTRY)
