/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx train`, `flowdx eval` and `flowdx model` commands: detectors from labelled rows. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_model.h"
#include "tool.h"

void usage_train(FILE *out)
{
    fprintf(
        out,
        "Usage: flowdx train -i DATA.csv -o MODEL.fdxm [OPTIONS]\n\n"
        "Trains a detector on labelled flows: the CIRA-CIC-DoHBrw-2020 layout, or `flowdx\n"
        "extract` output with a label column (see `flowdx label`). Identifier columns\n"
        "(addresses, ports, times) are never used. Drops one of each pair of features\n"
        "correlated above a threshold, scales, cross-validates every model and their jury,\n"
        "prints the scores, then fits the models on all rows and writes the model file.\n\n"
        "Options:\n"
        "  -i, --input FILE          labelled CSV\n"
        "  -o, --output FILE         model file to write\n"
        "      --model NAME          jury (default: knn, svm, tree, forest and mlp voting),\n"
        "                            one of knn, svm, tree, forest, mlp, or weighted-trees\n"
        "                            (the spam ensemble: 61 trees on bootstrap samples whose\n"
        "                            verdict is the sign of their accuracy-weighted votes, 0 =\n"
        "                            uncertain; wtrees.* settings; its defaults: feature set\n"
        "                            zadnik, no correlation filter, no scaling)\n"
        "      --feature-set NAME    the set the rows come from, recorded in the model\n"
        "                            (default doh:ip; the model reads it at detection;\n"
        "                            with --update the model's own). Columns that another\n"
        "                            set computes are refused, naming it\n"
        "      --features LIST       use only these features (comma-separated names, a\n"
        "                            trailing * matches a prefix), or @FILE: one per line, as\n"
        "                            `flowdx analyze universal --output-list` writes them\n"
        "      --update MODEL        add the new trees to this weighted-trees model: its trees\n"
        "                            are measured again on the new validation rows and, with\n"
        "                            wtrees.max_trees=N, only the N most accurate are kept;\n"
        "                            its margin is kept unless wtrees.margin is given\n"
        "      --correct-header      map dataset rows to IP lengths first (benign -14,\n"
        "                            malicious -16 bytes; per-direction bytes and rates\n"
        "                            dropped): for CIRA-CIC-DoHBrw-2020 rows, whose classes\n"
        "                            were captured with different link headers\n"
        "      --add FILE            more labelled rows, already in IP-length space (flowdx\n"
        "                            extract -f doh output labelled with flowdx label): never\n"
        "                            header-corrected; repeatable\n"
        "      --exclude LIST        never use these features: comma-separated names, a\n"
        "                            trailing * matches a prefix (e.g. 'ResponseTime*', whose\n"
        "                            values say where the capture was taken: microseconds next\n"
        "                            to the server, the round trip at the client), or @FILE:\n"
        "                            one per line, as for --features\n"
        "      --no-map-padding      with --correct-header, keep a corrected median/mode of 46\n"
        "                            (a padded 60-byte frame) instead of mapping it to 40\n"
        "      --corr-threshold R    correlation filter threshold (default 0.7; 1 = off)\n"
        "      --folds K             stratified K-fold cross-validation (default 5)\n"
        "      --seed N              seed of every random choice (default 42)\n"
        "      --params LIST         model settings, e.g. forest.trees=200,knn.k=7,\n"
        "                            svm.kernel=linear,mlp.layers=100x50,wtrees.trees=61,\n"
        "                            wtrees.features=24,wtrees.margin=0.1 (doc/training.md)\n");
    fputs(/* two strings: C99 compilers need only 4,095 characters in one */
          "      --label-column NAME   label column (default: Label, label, DoH or class)\n"
          "      --nan-value V         value for empty/NaN cells (default -1)\n"
          "      --jury-threshold F    share of votes for class 1 (default 0.5)\n"
          "      --json FILE           also write the report as JSON\n"
          "      --export-prepared FILE  also write the prepared rows with their fold (CSV), for\n"
          "                            comparing another tool on the same split (bench/)\n"
          "      --svg-dir DIR         also write the correlation heatmaps before and after the\n"
          "                            filter as DIR/correlation-before.svg and -after.svg\n"
          "  -q, --quiet               no progress on standard error\n"
          "  -h, --help                this text\n",
          out);
}

static void log_stderr(void *user, int level, const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "flowdx train: %s\n", msg);
}

/* Run a snprintf-style report function into a new buffer and write it to fp. */
static bool write_report(FILE *fp, size_t (*fn)(const void *, int, char *, size_t), const void *obj,
                         int json)
{
    size_t need = fn(obj, json, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf == NULL)
        return false;
    fn(obj, json, buf, need + 1);
    bool ok = fwrite(buf, 1, need, fp) == need;
    free(buf);
    return ok;
}

static size_t training_report(const void *t, int json, char *buf, size_t len)
{
    return fdx_training_report(t, json, buf, len);
}

static size_t evaluation_report(const void *e, int json, char *buf, size_t len)
{
    return fdx_evaluation_report(e, json, buf, len);
}

static bool write_json_file(const char *path, size_t (*fn)(const void *, int, char *, size_t),
                            const void *obj)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "flowdx: %s: %s\n", path, strerror(errno));
        return false;
    }
    bool ok = write_report(fp, fn, obj, 1);
    ok = fclose(fp) == 0 && ok;
    if (!ok)
        fprintf(stderr, "flowdx: %s: write failed\n", path);
    return ok;
}

enum {
    OPT_MODEL = 256,
    OPT_SET,
    OPT_CORRECT,
    OPT_NOPAD,
    OPT_CORR,
    OPT_FOLDS,
    OPT_SEED,
    OPT_PARAMS,
    OPT_LABEL,
    OPT_NAN,
    OPT_JURY,
    OPT_JSON,
    OPT_SVG,
    OPT_EXPORT,
    OPT_ADD,
    OPT_EXCLUDE,
    OPT_FEATURES,
    OPT_UPDATE,
    OPT_MARGIN
};

/* A --features or --exclude list: the option's value, or the names of an @FILE with their lines. */
struct name_list {
    const char *option; /* "--features" or "--exclude" */
    const char *path;   /* the @FILE, or NULL for a list given inline */
    char *list;         /* the file's names as a comma list (owned) */
    unsigned *lines;    /* the line of each name in the file (owned) */
    uint32_t n;         /* names */
};

static void name_list_free(struct name_list *l)
{
    free(l->list);
    free(l->lines);
    l->list = NULL;
    l->lines = NULL;
    l->n = 0;
    l->path = NULL;
}

/* Append name @p b (@p n bytes) of line @p line to @p l; false when out of memory. */
static bool list_add(struct name_list *l, size_t *len, size_t *cap, const char *b, size_t n,
                     unsigned line)
{
    if (*len + n + 2 > *cap) {
        size_t want = 2 * (*len + n + 2);
        char *bigger = realloc(l->list, want);
        if (bigger == NULL)
            return false;
        l->list = bigger;
        *cap = want;
    }
    if ((l->n & (l->n + 1)) == 0) { /* at 0, 1, 3, 7, ... names: room for twice as many */
        unsigned *more = realloc(l->lines, 2 * ((size_t)l->n + 1) * sizeof(*more));
        if (more == NULL)
            return false;
        l->lines = more;
    }
    if (*len > 0)
        l->list[(*len)++] = ',';
    memcpy(l->list + *len, b, n);
    *len += n;
    l->list[*len] = '\0';
    l->lines[l->n++] = line;
    return true;
}

/* Read @p l->path: one name per line ('#' comments, blank lines skipped) into l->list, a comma
 * list, and l->lines. False after saying why. */
static bool read_list_file(struct name_list *l)
{
    struct text_reader r = {.fp = fopen(l->path, "r"), .name = l->path, .prog = "flowdx train"};
    if (r.fp == NULL) {
        fprintf(stderr, "flowdx train: %s: %s: %s\n", l->option, l->path, strerror(errno));
        return false;
    }
    size_t cap = 0, len = 0;
    bool ok = true;
    int got;
    while (ok && (got = text_reader_next(&r)) != 0) {
        if (got < 0) { /* said by the reader */
            ok = false;
            break;
        }
        char *h = strchr(r.line, '#');
        if (h != NULL)
            *h = '\0';
        char *b = r.line + strspn(r.line, " \t");
        size_t n = strcspn(b, " \t");
        if (n == 0)
            continue;
        const char *why = memchr(b, ',', n) != NULL          ? "no commas"
                          : b[n + strspn(b + n, " \t")] != 0 ? "no spaces in a name"
                                                             : NULL;
        if (why != NULL) {
            fprintf(stderr, "flowdx train: %s: %s:%llu: one name per line, %s\n", l->option,
                    l->path, (unsigned long long)r.line_no, why);
            ok = false;
        } else if (!list_add(l, &len, &cap, b, n, (unsigned)r.line_no)) {
            fprintf(stderr, "flowdx train: %s: %s: out of memory\n", l->option, l->path);
            ok = false;
        }
    }
    fclose(r.fp);
    free(r.line);
    if (ok && l->n == 0) {
        fprintf(stderr, "flowdx train: %s: %s: no feature names\n", l->option, l->path);
        ok = false;
    }
    return ok;
}

/* The value of name-list option @p l: @p arg itself, or with "@FILE" the file's names (a second
 * use of the option replaces the first). */
static bool name_list(struct name_list *l, const char *arg, const char **ret)
{
    name_list_free(l);
    if (arg[0] != '@') {
        *ret = arg;
        return true;
    }
    l->path = arg + 1;
    if (!read_list_file(l))
        return false;
    *ret = l->list;
    return true;
}

/* The line of list file @p l that gave the name @p name (@p prefix: "name*"), or 0. */
static unsigned list_file_line(const struct name_list *l, const char *name, size_t name_len,
                               bool prefix)
{
    const char *at = l->list;
    for (uint32_t i = 0; i < l->n; i++) {
        size_t n = strcspn(at, ",");
        if (n == name_len + prefix && memcmp(at, name, name_len) == 0 &&
            (!prefix || at[name_len] == '*'))
            return l->lines[i];
        at += n + (at[n] == ',');
    }
    return 0;
}

/* The message of fdx_train_run() @p err, with the list file's line when it is about a name that a
 * --features or --exclude @FILE gave ("--features: the data has no feature named 'x'"). */
static void print_train_error(const char *err, const struct name_list lists[2])
{
    static const char *const kinds[] = {"the data has no feature named '",
                                        "the data has no feature starting with '"};
    for (size_t i = 0; i < 2; i++) {
        const struct name_list *l = &lists[i];
        size_t ol = strlen(l->option);
        if (l->path == NULL || strncmp(err, l->option, ol) != 0 || strncmp(err + ol, ": ", 2) != 0)
            continue;
        for (size_t k = 0; k < 2; k++) {
            size_t kl = strlen(kinds[k]);
            const char *name = err + ol + 2 + kl, *end = strrchr(err, '\'');
            if (strncmp(err + ol + 2, kinds[k], kl) != 0 || end == NULL || end < name ||
                end[1] != '\0')
                continue;
            unsigned line = list_file_line(l, name, (size_t)(end - name), k == 1);
            if (line > 0) {
                fprintf(stderr, "flowdx train: %s: %s:%u: %s\n", l->option, l->path, line,
                        err + ol + 2);
                return;
            }
        }
    }
    fprintf(stderr, "flowdx train: %s\n", err);
}

/* cmd_train's work; @p lists holds the --features and --exclude lists (the caller frees them, on
 * every path). */
static int train(int argc, char **argv, struct name_list lists[2])
{
    static const struct option opts_long[] = {
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, OPT_MODEL},
        {"feature-set", required_argument, NULL, OPT_SET},
        {"correct-header", no_argument, NULL, OPT_CORRECT},
        {"no-map-padding", no_argument, NULL, OPT_NOPAD},
        {"corr-threshold", required_argument, NULL, OPT_CORR},
        {"folds", required_argument, NULL, OPT_FOLDS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"params", required_argument, NULL, OPT_PARAMS},
        {"label-column", required_argument, NULL, OPT_LABEL},
        {"nan-value", required_argument, NULL, OPT_NAN},
        {"jury-threshold", required_argument, NULL, OPT_JURY},
        {"json", required_argument, NULL, OPT_JSON},
        {"svg-dir", required_argument, NULL, OPT_SVG},
        {"export-prepared", required_argument, NULL, OPT_EXPORT},
        {"add", required_argument, NULL, OPT_ADD},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"update", required_argument, NULL, OPT_UPDATE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fdx_train_options o;
    fdx_train_options_init(&o);
    o.map_padding = 1;
    o.log = log_stderr;
    const char *output = NULL, *json = NULL, *svg_dir = NULL, *export_path = NULL;
    static const char *more[64];
    uint32_t n_more = 0;
    bool corr_given = false;
    static char prog[] = "flowdx train";
    argv[0] = prog;
    optind = 1;
    int c;
    uint32_t u;
    while ((c = getopt_long(argc, argv, "i:o:qh", opts_long, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.data_path = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_MODEL:
            o.models = optarg;
            break;
        case OPT_SET:
            o.feature_set = optarg;
            break;
        case OPT_CORRECT:
            o.header_correct = 1;
            break;
        case OPT_NOPAD:
            o.map_padding = 0;
            break;
        case OPT_CORR:
            if (!parse_double_in("--corr-threshold", optarg, 0, 1, &o.corr_threshold))
                return EXIT_USAGE;
            corr_given = true;
            break;
        case OPT_FOLDS:
            if (!parse_u32("--folds", optarg, 2, 20, &o.folds))
                return EXIT_USAGE;
            break;
        case OPT_SEED:
            if (!parse_u32("--seed", optarg, 0, UINT32_MAX, &u))
                return EXIT_USAGE;
            o.seed = u;
            break;
        case OPT_PARAMS:
            o.params = optarg;
            break;
        case OPT_LABEL:
            o.label_column = optarg;
            break;
        case OPT_NAN:
            if (!parse_nan_value("flowdx train", optarg, &o.nan_value))
                return EXIT_USAGE;
            break;
        case OPT_JURY:
            if (!parse_double("--jury-threshold", optarg, &o.jury_threshold))
                return EXIT_USAGE;
            break;
        case OPT_JSON:
            json = optarg;
            break;
        case OPT_SVG:
            svg_dir = optarg;
            break;
        case OPT_EXPORT:
            export_path = optarg;
            break;
        case OPT_ADD:
            if (n_more == sizeof(more) / sizeof(more[0])) {
                fprintf(stderr, "flowdx train: more than %zu --add files\n",
                        sizeof(more) / sizeof(more[0]));
                return EXIT_USAGE;
            }
            more[n_more++] = optarg;
            break;
        case OPT_EXCLUDE:
            if (!name_list(&lists[1], optarg, &o.exclude))
                return EXIT_USAGE;
            break;
        case OPT_FEATURES:
            if (!names_some("flowdx train", "--features", optarg) ||
                !name_list(&lists[0], optarg, &o.features))
                return EXIT_USAGE;
            break;
        case OPT_UPDATE:
            o.update = optarg;
            break;
        case 'q':
            o.log = NULL;
            break;
        case 'h':
            usage_train(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx train --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc || o.data_path == NULL || output == NULL) {
        fprintf(stderr, "flowdx train: %s\nTry 'flowdx train --help'.\n",
                optind < argc ? unexpected_argument(argv[optind])
                              : "-i DATA and -o MODEL are required");
        return EXIT_USAGE;
    }
    /* No output may overwrite an input (or another output), checked before the work. */
    char before_svg[4096], after_svg[4096];
    snprintf(before_svg, sizeof(before_svg), "%s/correlation-before.svg", svg_dir ? svg_dir : ".");
    snprintf(after_svg, sizeof(after_svg), "%s/correlation-after.svg", svg_dir ? svg_dir : ".");
    const struct named_file outs[] = {
        {"-o", output, false},
        {"--json", json, false},
        {"--export-prepared", export_path, false},
        {"--svg-dir", svg_dir ? before_svg : NULL, false},
        {"--svg-dir", svg_dir ? after_svg : NULL, false},
    };
    const size_t n_outs = sizeof(outs) / sizeof(outs[0]);
    const struct input_group ins[] = {
        {"-i", &o.data_path, 1}, {"--update", &o.update, 1}, {"--add", more, (size_t)n_more}};
    if (!files_distinct("flowdx train", ins, 3, outs, n_outs))
        return EXIT_USAGE;
    o.more_data = more;
    o.n_more_data = n_more;
    if (o.models != NULL && strcmp(o.models, "weighted-trees") == 0) {
        /* The spam ensemble: no correlation filter (the paper's analyses keep request/response
         * pairs together) unless asked for; its set, zadnik, is the library's default for it. */
        if (!corr_given)
            o.corr_threshold = 1;
    }
    char err[1024];
    fdx_training *t = NULL;
    int rc = fdx_train_run(&o, &t, err, sizeof(err));
    if (rc < 0) {
        print_train_error(err, lists);
        return rc == FDX_EINVAL || rc == FDX_ERANGE ? EXIT_USAGE : EXIT_ERROR;
    }
    int status = EXIT_OK;
    if (!write_report(stdout, training_report, t, 0))
        status = EXIT_ERROR;
    if (json != NULL && !write_json_file(json, training_report, t))
        status = EXIT_ERROR;
    if (svg_dir != NULL) {
        if (fdx_training_write_svg(t, before_svg, after_svg, err, sizeof(err)) < 0) {
            fprintf(stderr, "flowdx train: %s\n", err);
            status = EXIT_ERROR;
        }
    }
    if (export_path != NULL && fdx_training_export(t, export_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx train: %s\n", err);
        status = EXIT_ERROR;
    }
    if (fdx_training_save(t, output, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx train: %s\n", err);
        status = EXIT_ERROR;
    } else if (o.log != NULL) {
        fprintf(stderr, "flowdx train: model written to %s\n", output);
    }
    fdx_training_free(t);
    return status;
}

int cmd_train(int argc, char **argv)
{
    struct name_list lists[2] = {{.option = "--features"}, {.option = "--exclude"}};
    int status = train(argc, argv, lists);
    name_list_free(&lists[0]);
    name_list_free(&lists[1]);
    return status;
}

void usage_eval(FILE *out)
{
    fprintf(
        out,
        "Usage: flowdx eval -m MODEL -i DATA.csv [--margin M] [--correct-header] [--json]\n"
        "                   [--svg FILE]\n\n"
        "Classifies every row of a labelled CSV with a model file and prints, for each model\n"
        "and the jury, accuracy, precision, recall, F1, ROC AUC and the jury's confusion\n"
        "matrix. Columns are matched by name.\n\n"
        "Options:\n"
        "  -m, --model FILE          model file\n"
        "  -i, --input FILE          labelled CSV\n"
        "      --margin M            a weighted-trees model's verdict is uncertain when its vote\n"
        "                            sum is within M (0 to 1) of 0, instead of the model's own\n"
        "      --correct-header      map dataset rows to IP lengths first (as for training)\n"
        "      --label-column NAME   label column\n"
        "      --json                print JSON instead of the table\n"
        "      --svg FILE            also write the ROC curves of every model and the jury\n"
        "  -h, --help                this text\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts_long[] = {
        {"model", required_argument, NULL, 'm'},
        {"input", required_argument, NULL, 'i'},
        {"correct-header", no_argument, NULL, OPT_CORRECT},
        {"label-column", required_argument, NULL, OPT_LABEL},
        {"json", no_argument, NULL, OPT_JSON},
        {"svg", required_argument, NULL, OPT_SVG},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL, *data = NULL, *label = NULL, *svg = NULL;
    double margin = NAN; /* not given: the model's own */
    int json = 0;
    uint32_t correct = 0;
    static char prog[] = "flowdx eval";
    argv[0] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:i:h", opts_long, NULL)) != -1) {
        switch (c) {
        case 'm':
            model_path = optarg;
            break;
        case 'i':
            data = optarg;
            break;
        case OPT_CORRECT:
            correct = 1;
            break;
        case OPT_LABEL:
            label = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        case OPT_MARGIN:
            if (!parse_double_in("--margin", optarg, 0, 1, &margin))
                return EXIT_USAGE;
            break;
        case 'h':
            usage_eval(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'flowdx eval --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc || model_path == NULL || data == NULL) {
        fprintf(stderr, "flowdx eval: %s\nTry 'flowdx eval --help'.\n",
                optind < argc ? unexpected_argument(argv[optind])
                              : "-m MODEL and -i DATA are required");
        return EXIT_USAGE;
    }
    const struct named_file svg_out[] = {{"--svg", svg, false}};
    const struct input_group ins[] = {{"-m", &model_path, 1}, {"-i", &data, 1}};
    if (!files_distinct("flowdx eval", ins, 2, svg_out, 1))
        return EXIT_USAGE;
    char err[1024];
    fdx_model *m = NULL;
    if (fdx_model_load(model_path, &m, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx eval: %s\n", err);
        return EXIT_ERROR;
    }
    int margin_status = apply_margin("flowdx eval", m, model_path, margin);
    if (margin_status != EXIT_OK) {
        fdx_model_free(m);
        return margin_status;
    }
    fdx_evaluation *ev = NULL;
    int status = EXIT_OK;
    if (fdx_eval_run(m, data, label, correct, &ev, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx eval: %s\n", err);
        status = EXIT_ERROR;
    } else {
        if (!write_report(stdout, evaluation_report, ev, json))
            status = EXIT_ERROR;
        if (svg != NULL && fdx_evaluation_write_svg(ev, svg, err, sizeof(err)) < 0) {
            fprintf(stderr, "flowdx eval: %s\n", err);
            status = EXIT_ERROR;
        }
    }
    fdx_evaluation_free(ev);
    fdx_model_free(m);
    return status;
}

void usage_model(FILE *out)
{
    fprintf(out, "Usage: flowdx model show FILE\n\n"
                 "Validates a model file and prints what is inside: the feature set, the\n"
                 "inputs and their scaling, the models with their cross-validated scores and\n"
                 "their sizes (kNN training rows, SVM support vectors, tree nodes and depth,\n"
                 "network layers), the jury and the training metadata.\n");
}

int cmd_model(int argc, char **argv)
{
    for (int i = 1; i < argc && i < 3; i++) {
        if (is_help(argv[i])) {
            usage_model(stdout);
            return EXIT_OK;
        }
    }
    if (argc != 3 || strcmp(argv[1], "show") != 0) {
        fprintf(stderr, "flowdx model: expected 'show FILE'\nTry 'flowdx model --help'.\n");
        return EXIT_USAGE;
    }
    char err[1024];
    fdx_model *m = NULL;
    if (fdx_model_load(argv[2], &m, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx model: %s\n", err);
        return EXIT_ERROR;
    }
    size_t need = fdx_model_describe(m, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf != NULL) {
        fdx_model_describe(m, buf, need + 1);
        fputs(buf, stdout);
    }
    free(buf);
    fdx_model_free(m);
    return buf != NULL ? EXIT_OK : EXIT_ERROR;
}
