/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx features` command: lists feature sets and the names of their features. */
#include <string.h>

#include "tool.h"

void usage_features(FILE *out)
{
    fprintf(out, "Usage: flowdx features [SET]\n\n"
                 "Without SET, lists the built-in feature sets. With SET, prints the\n"
                 "names of its features, one per line, in output order.\n");
}

int cmd_features(int argc, char **argv)
{
    if (argc > 1 && is_help(argv[1])) {
        usage_features(stdout);
        return EXIT_OK;
    }
    if (argc > 2) {
        fprintf(stderr, "flowdx features: one set name at most\n");
        return EXIT_USAGE;
    }
    if (argc == 1) {
        for (uint32_t i = 0; i < fdx_feature_set_count(); i++)
            printf("%-12s %s\n", fdx_feature_set_name(i), fdx_feature_set_summary(i));
        return EXIT_OK;
    }
    struct fdx_engine_options opts;
    fdx_engine_options_init(&opts);
    opts.feature_sets = argv[1];
    opts.max_flows = 1;
    char err[512];
    fdx_engine *e = NULL;
    if (fdx_engine_new(&opts, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx features: %s\n", err);
        return EXIT_USAGE;
    }
    for (uint32_t i = 0; i < fdx_engine_feature_count(e); i++)
        printf("%s\n", fdx_engine_feature_name(e, i));
    fdx_engine_free(e);
    return EXIT_OK;
}
