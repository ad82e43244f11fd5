/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowdx command: dispatches subcommands to their implementations. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "tool.h"

static const struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} commands[] = {
    {"extract", "read captures, write one row of features per flow", cmd_extract, usage_extract},
    {"run", "classify captures or an interface: DoH tunnels, spam (--detect NAME or -c FILE)",
     cmd_run, usage_run},
    {"collect", "receive NetFlow v5/v9 and IPFIX records, classify them, write the verdicts",
     cmd_collect, usage_collect},
    {"features", "list the feature sets and their feature names", cmd_features, usage_features},
    {"train",
     "train a detector (the DoH jury of five, or the spam tree ensemble) on labelled flows",
     cmd_train, usage_train},
    {"eval", "measure a model on labelled flows: accuracy, precision, recall, F1, AUC", cmd_eval,
     usage_eval},
    {"model", "show what a model file holds", cmd_model, usage_model},
    {"label", "add labels to extracted flows by address, port and time rules", cmd_label,
     usage_label},
    {"analyze", "analyse labelled flows: importance, universal set, subclasses, tree rules",
     cmd_analyze, usage_analyze},
    {"report", "reports on labelled or classified flows: the main spam senders", cmd_report,
     usage_report},
    {"config", "check a configuration file (flowdx.yaml) without running it", cmd_config,
     usage_config},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "Usage: flowdx COMMAND [OPTIONS]\n"
                 "       flowdx help COMMAND\n"
                 "       flowdx --version (or -V)\n\n"
                 "Turns network traffic into per-flow discriminators.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(
        out,
        "\nRun 'flowdx COMMAND --help' for a command's options; 'man flowdx' (in the source tree: "
        "man ./doc/flowdx.1) for the manual.\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("flowdx %s\n", fdx_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const struct command *c = find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "flowdx: unknown command '%s'\n\n", argv[2]);
            usage(stderr);
            return EXIT_USAGE;
        }
        c->usage(stdout);
        return 0;
    }
    const struct command *c = find(cmd);
    if (c == NULL) {
        fprintf(stderr, "flowdx: unknown command '%s'\n\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* What went to standard output (a report, a help text) must have got there: a full disk or
     * a closed descriptor is exit 1, as for any output file. A command that failed already said
     * why. */
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == EXIT_OK) {
        fprintf(stderr, "flowdx: writing standard output failed%s%s\n", errno ? ": " : "",
                errno ? strerror(errno) : "");
        rc = EXIT_ERROR;
    }
    return rc;
}
