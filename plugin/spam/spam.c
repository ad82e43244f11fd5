/* SPDX-License-Identifier: BSD-3-Clause */
/* The spam detector as a plugin: Zadnik features of SMTP flows and the weighted-trees ensemble. */
#include "../common/detector.h"

/*
 * Settings (all optional):
 *   model: PATH        model file of the zadnik set (default: DATA_DIR/spam.fdxm)
 *   ports: [25, 465, 587]   responder TCP ports of the flows it judges
 * The host's own protocol detection (nDPI in flowdx) is not part of the plugin: a host that
 * knows SMTP on other ports lists them here.
 */
static int spam_select(const fdx_config_node *settings, struct det_select *sel, char *errbuf,
                       size_t errlen)
{
    static const uint16_t defaults[] = {25, 465, 587};
    sel->n_ports = 3;
    for (uint32_t i = 0; i < 3; i++)
        sel->ports[i] = defaults[i];
    sel->any_server = true;
    int rc = det_read_ports(settings, "ports", sel, errbuf, errlen);
    return rc < 0 ? rc : 0;
}

static const struct det_def def = {
    .name = "spam",
    .version = "1.0",
    .summary = "SMTP spam flows: Zadnik features and an accuracy-weighted tree ensemble",
    .feature_set = "zadnik",
    .prefix = "spam_",
    .model_file = "spam.fdxm",
    .label = "spam",
    .first_element = 2001,
    .per_direction = true,
    .select = spam_select,
};

#ifndef SPAM_ENTRY
#define SPAM_ENTRY fdx_plugin_entry_v1
#endif

DET_PLUGIN(def, SPAM_ENTRY)
