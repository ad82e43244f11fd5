/* SPDX-License-Identifier: BSD-3-Clause */
/* The spam detector as a plugin: Zadnik features of SMTP flows and the weighted-trees ensemble. */
#include "../common/detector.h"

/*
 * Settings (all optional):
 *   model: PATH        model file of the zadnik set (default: DATA_DIR/spam.fdxm)
 *   ports: [25, 465, 587]   responder TCP ports of the flows it judges
 *   host_detection: true   and TCP flows on any port that the host's protocol detection calls
 *                          SMTP or SMTPS (FDX_APP_SMTP, ABI 1.1: flowdx with nDPI); the mark is
 *                          known only at flow_end, so every TCP flow's values are computed
 *   margin: 0.4            replaces the model file's margin: a flow whose weighted vote sum has
 *                          |sum| < margin is uncertain (0 to 1; absent or ~: the file's own)
 *   judge_one_way: ~       flows without a packet from the server (a connection attempt
 *                          without an answer, or one side of asymmetric routing): true judges
 *                          them, false gives them their feature values and no verdict, ~ (the
 *                          default) judges them only when the model was trained on such flows
 *                          (fdx_model_one_way_rows > 0; the shipped model was not)
 */
static int spam_select(const fdx_config_node *settings, struct det_select *sel, char *errbuf,
                       size_t errlen)
{
    static const uint16_t defaults[] = {25, 465, 587};
    sel->n_ports = 3;
    for (uint32_t i = 0; i < 3; i++)
        sel->ports[i] = defaults[i];
    sel->any_server = true;
    int host = 1, one_way = -1; /* absent or ~: as the model says */
    int rc = fdxi_det_read_ports(settings, "ports", sel, errbuf, errlen);
    if (rc >= 0)
        rc = fdx_config_get_bool(settings, "host_detection", &host, errbuf, errlen);
    if (rc >= 0)
        rc = fdx_config_get_bool(settings, "judge_one_way", &one_way, errbuf, errlen);
    if (rc >= 0)
        rc = fdx_config_get_double(settings, "margin", 0.0, 1.0, &sel->margin, errbuf, errlen);
    if (rc < 0)
        return rc;
    /* SMTP that the host's detection finds on another port: every TCP flow is computed */
    sel->app_flag = host ? FDX_APP_SMTP : 0;
    sel->any_port = host != 0;
    sel->judge_one_way = one_way;
    return 0;
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
