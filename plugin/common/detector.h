/* SPDX-License-Identifier: BSD-3-Clause */
/* What plugin/spam and plugin/doh share: a flowdx feature set and a model file behind the ABI. */
#ifndef FDX_PLUGIN_DETECTOR_H
#define FDX_PLUGIN_DETECTOR_H

#include <flowdx/flowdx_features.h>
#include <flowdx/flowdx_model.h>
#include <flowdx/flowdx_plugin.h>
#include <stdbool.h>

#define DET_MAX_SERVERS 256
#define DET_MAX_PORTS 16
#define DET_MAX_FIELDS 96
#define DET_NAME_BYTES 48

/* A server address a detector selects flows by (DoH resolvers). */
struct det_server {
    uint8_t version; /* 4 or 6 */
    uint8_t addr[16];
};

/* Which flows a detector judges: TCP to one of the ports and, unless any_server, to one of the
 * servers or (hosts of ABI 1.1+) marked app_flag by the host's protocol detection. The rest get
 * FDX_PLUGIN_NO_VERDICT and NaN values. */
struct det_select {
    uint16_t ports[DET_MAX_PORTS];
    uint32_t n_ports;
    struct det_server servers[DET_MAX_SERVERS];
    uint32_t n_servers;
    bool any_server;
    uint32_t app_flag; /* also judge flows the host's detection marks so (FDX_APP_*), 0 = no */
    bool any_port;     /* with app_flag: compute every TCP flow, since the mark can come on any
                          port (it is known at flow_end only) */
    double margin; /* NaN (set before select): the model file's own; else fdx_model_set_margin */
    /* A flow without a packet from the responder: 1 (set before select) judged; 0 no verdict
     * (its values are still exported); -1 judged when the model was trained on such flows
     * (fdx_model_one_way_rows > 0), else no verdict. */
    int judge_one_way;
};

/* One detector plugin's constants. */
struct det_def {
    const char *name, *version, *summary;
    const char *feature_set; /* fdx_featureset name */
    const char *prefix;      /* of its field names */
    const char *model_file;  /* default model, in the host's data directory */
    const char *label;       /* result label of class 1 */
    uint16_t first_element;  /* IPFIX ids from here under FDX_PEN_OWN */
    bool per_direction;      /* names: request values, the same with an 'r' prefix, one more */
    /* Sets the defaults of sel, then reads the detector's own settings into it: 0 or FDX_E*. */
    int (*select)(const fdx_config_node *settings, struct det_select *sel, char *errbuf,
                  size_t errlen);
};

/* One plugin's descriptor and field table, built on the first entry call. Static storage. */
struct det_plugin {
    const struct det_def *def;
    int (*init)(const struct fdx_plugin_init_args *args, void **ret_self, char *errbuf,
                size_t errlen);
    bool built;
    struct fdx_plugin desc;
    struct fdx_plugin_field fields[DET_MAX_FIELDS];
    char names[DET_MAX_FIELDS][DET_NAME_BYTES];
};

/* The entry function's body: @p p's descriptor, or NULL when the library cannot describe the
 * feature set (a host then reports a plugin without a descriptor). */
const struct fdx_plugin *fdxi_det_descriptor(struct det_plugin *p);

/* The init callback's body. */
int fdxi_det_init(const struct det_plugin *p, const struct fdx_plugin_init_args *args,
                  void **ret_self, char *errbuf, size_t errlen);

/* Parses an IPv4 or IPv6 address into @p s; false if it is neither. */
bool fdxi_det_server_parse(const char *text, struct det_server *s);

/* Reads the settings key @p key, a list of addresses, into sel->servers (appended). */
int fdxi_det_read_servers(const fdx_config_node *settings, const char *key, struct det_select *sel,
                          char *errbuf, size_t errlen);

/* Reads the settings key @p key, a list of ports, into sel->ports (replacing the defaults). */
int fdxi_det_read_ports(const fdx_config_node *settings, const char *key, struct det_select *sel,
                        char *errbuf, size_t errlen);

/*
 * The rest of a detector plugin's source after its struct det_def DEF: its det_plugin, its init
 * and its entry function ENTRY (fdx_plugin_entry_v1 in the .so; another name when built into
 * libflowdx, see lib/meson.build).
 */
#define DET_PLUGIN(DEF, ENTRY) DET_PLUGIN_(DEF, ENTRY) /* expands ENTRY before pasting it */
#define DET_PLUGIN_(DEF, ENTRY)                                                                    \
    static int det_init_##ENTRY(const struct fdx_plugin_init_args *args, void **ret_self,          \
                                char *errbuf, size_t errlen);                                      \
    static struct det_plugin det_plugin_##ENTRY = {.def = &(DEF), .init = det_init_##ENTRY};       \
    static int det_init_##ENTRY(const struct fdx_plugin_init_args *args, void **ret_self,          \
                                char *errbuf, size_t errlen)                                       \
    {                                                                                              \
        return fdxi_det_init(&det_plugin_##ENTRY, args, ret_self, errbuf, errlen);                 \
    }                                                                                              \
    FDX_PLUGIN_EXPORT const struct fdx_plugin *ENTRY(void);                                        \
    FDX_PLUGIN_EXPORT const struct fdx_plugin *ENTRY(void)                                         \
    {                                                                                              \
        return fdxi_det_descriptor(&det_plugin_##ENTRY);                                           \
    }

#endif /* FDX_PLUGIN_DETECTOR_H */
