/* SPDX-License-Identifier: BSD-3-Clause */
/* The `flowdx analyze` command: importance, universal sets, subclasses and rules of trees. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_analysis.h"
#include "tool.h"

/* Options, as bits of the set each subcommand accepts. */
enum {
    O_INPUT = 1 << 0,
    O_AB = 1 << 1,
    O_MODEL = 1 << 2,
    O_TREE = 1 << 3, /* --max-depth, --min-leaf */
    O_TOP = 1 << 4,
    O_SVG = 1 << 5,
    O_THRESHOLD = 1 << 6,
    O_LIST = 1 << 7,
    O_KMEANS = 1 << 8, /* --class, --k, --folds, --restarts, --min-decrease, --seed */
    O_PREFIX = 1 << 9,
    O_DATA = 1 << 10, /* --label-column, --features, --nan-value */
};

static const struct sub {
    const char *name;
    const char *summary;
    unsigned opts;
    uint32_t max_depth; /* the default */
    const char *usage;
} subs[] = {
    {"importance", "Gini importance of the features (largest = 100)",
     O_INPUT | O_DATA | O_TREE | O_TOP | O_SVG, 0,
     "Usage: flowdx analyze importance -i DATA.csv [--max-depth N] [--min-leaf N] [--top N]\n"
     "                                 [--json] [--svg FILE]\n\n"
     "Grows one CART classification tree (Gini impurity; every feature tried at every split,\n"
     "so there is no random choice) on the labelled rows and prints each feature's Gini\n"
     "importance, the decrease in impurity its splits bring, on a 0-100 scale where the most\n"
     "important feature is 100, ranked, with its share of the total decrease. Identifier\n"
     "columns (addresses, ports, times) are never used, as in `flowdx train`.\n"},
    {"universal", "the feature set important in two data sources",
     O_AB | O_DATA | O_TREE | O_THRESHOLD | O_LIST, 0,
     "Usage: flowdx analyze universal -a A.csv -b B.csv [--threshold G] [--json]\n"
     "                                [--output-list FILE]\n\n"
     "The importance (0-100) of every feature on each source, as `analyze importance`, then\n"
     "for each request feature f and its response twin rf (the name with an 'r' prefix):\n"
     "  g(f) = (max(gA(f), gA(rf)) + max(gB(f), gB(rf))) / 2\n"
     "Pairs with g >= G (default 50) form the universal set; both features of a pair enter\n"
     "together. A feature without a twin (such as zadnik's oneway) stands alone with\n"
     "g = (gA(f) + gB(f)) / 2. Features that only one source has are listed and left out.\n"
     "Prints the table by g and, on its last line, the set as a comma-separated list.\n"},
    {"subclasses", "k-means subclasses of one class, with the tree that separates them",
     O_INPUT | O_DATA | O_TREE | O_KMEANS | O_PREFIX | O_TOP, 5,
     "Usage: flowdx analyze subclasses -i DATA.csv [--class spam] [--k 2..25] [--folds 10]\n"
     "                                 [--seed N] [--json] [--svg-prefix P]\n\n"
     "Splits the rows of one class into subclasses with k-means on standardised features\n"
     "(mean 0, standard deviation 1 over the class; k-means++ starts, the best of\n"
     "--restarts fits kept). k is chosen by v-fold cross-validation: for each fold, k-means\n"
     "is fitted on the other folds and its cost on the held-out fold is the mean squared\n"
     "distance of those rows to the nearest centre; the cost of k is the mean over the folds.\n"
     "k is the smallest k after which the cost falls by less than --min-decrease percent.\n"
     "Then k-means with that k on all rows of the class (subclasses numbered by size), a CART\n"
     "tree that separates them printed as rules, each subclass's size, normalised feature\n"
     "averages (every feature scaled to 0..1 by its minimum and maximum over the class) and\n"
     "normal density parameters (mean and standard deviation per feature).\n"},
    {"tree", "grow a CART tree on labelled rows and print it as rules", O_INPUT | O_DATA | O_TREE,
     0,
     "Usage: flowdx analyze tree -i DATA.csv [--max-depth N] [--min-leaf N] [--json]\n\n"
     "Grows one CART classification tree on the labelled rows and prints it as rules, one\n"
     "per leaf: 'if spl <= 123.5 and maxpl > 40 then spam (n=12, p=0.917)', where n is the\n"
     "training rows that reach the leaf and p the share of its class among them.\n"},
    {"rules", "print a tree of a model file as rules", O_MODEL, 0,
     "Usage: flowdx analyze rules -m MODEL.fdxm [--model tree|forest|weighted-trees]\n"
     "                            [--index N] [--json]\n\n"
     "Prints a decision tree of a model file (its 'tree' model, or tree N of its 'forest' or\n"
     "'weighted-trees' ensemble, with that tree's accuracy weight) as rules, one per leaf. The\n"
     "model's trees test scaled inputs; the thresholds are shown in the features' own units.\n"},
};

#define N_SUBS (sizeof(subs) / sizeof(subs[0]))

static void options_help(FILE *out, const struct sub *s)
{
    fprintf(out, "\nOptions:\n");
    if (s->opts & O_INPUT)
        fprintf(out,
                "  -i, --input FILE        labelled CSV (flowdx extract, then flowdx label)\n");
    if (s->opts & O_AB)
        fprintf(out,
                "  -a FILE, -b FILE        the two labelled sources (e.g. two mail servers)\n");
    if (s->opts & O_MODEL)
        fprintf(out, "  -m, --model-file FILE   model file (flowdx train)\n"
                     "      --model KIND        tree, forest or weighted-trees (default: the\n"
                     "                          first of them that the file holds)\n"
                     "      --index N           with forest or weighted-trees: the tree to show\n"
                     "                          (from 0; default 0)\n");
    if (s->opts & O_DATA)
        fprintf(out,
                "      --label-column NAME label column (default: Label, label, DoH or class)\n"
                "      --features LIST     use only these features (comma-separated names,\n"
                "                          e.g. a universal set)\n"
                "      --nan-value V       value of empty and NaN cells (default -1)\n");
    if (s->opts & O_TREE)
        fprintf(out,
                "      --max-depth N       tree depth limit, 0 = none (default %u)\n"
                "      --min-leaf N        rows at least in a leaf (default 5)\n",
                s->max_depth);
    if (s->opts & O_THRESHOLD)
        fprintf(out, "      --threshold G       keep pairs with g >= G, 0 to 100 (default 50)\n");
    if (s->opts & O_LIST)
        fprintf(out, "      --output-list FILE  also write the set, one feature per line\n");
    if (s->opts & O_KMEANS)
        fprintf(out,
                "      --class NAME        the class to split (default spam)\n"
                "      --k A..B            the numbers of clusters tried, or one k (default\n"
                "                          2..25)\n"
                "      --folds V           cross-validation folds (default 10)\n"
                "      --restarts N        k-means++ starts per fit (default 10)\n"
                "      --min-decrease P    percent: choose the smallest k after which the cost\n"
                "                          falls by less than P (default 5)\n"
                "      --seed N            seed of the folds and the starts (default 42)\n");
    if ((s->opts & O_TOP) && (s->opts & O_KMEANS))
        fprintf(out, "      --top N             features in the density chart (default 4, at most\n"
                     "                          64)\n");
    else if (s->opts & O_TOP)
        fprintf(out, "      --top N             show only the N most important features\n");
    if (s->opts & O_SVG)
        fprintf(out, "      --svg FILE          also write the importances as a bar chart\n");
    if (s->opts & O_PREFIX)
        fprintf(out, "      --svg-prefix P      also write P-cv.svg (cost per k), P-profiles.svg\n"
                     "                          (normalised averages per subclass) and\n"
                     "                          P-densities.svg (normal densities per subclass);\n"
                     "                          they draw at most 42 subclasses: --k up to 42\n");
    fprintf(out, "      --json              print JSON instead of the tables\n"
                 "  -q, --quiet             no progress on standard error\n"
                 "  -h, --help              this text\n");
}

void usage_analyze(FILE *out)
{
    fprintf(out, "Usage: flowdx analyze SUBCOMMAND [OPTIONS]\n\n"
                 "Analyses of labelled flows (the spam paper's; doc/analysis.md):\n");
    for (size_t i = 0; i < N_SUBS; i++)
        fprintf(out, "  %-11s %s\n", subs[i].name, subs[i].summary);
    fprintf(out, "\nRun 'flowdx analyze SUBCOMMAND --help' for its options.\n");
}

static void log_stderr(void *user, int level, const char *msg)
{
    (void)level;
    fprintf(stderr, "flowdx analyze %s: %s\n", (const char *)user, msg);
}

/* "A..B" or "K" into a range of k. */
static bool parse_k(const char *text, uint32_t *lo, uint32_t *hi)
{
    const char *dots = strstr(text, "..");
    char a[32];
    if (dots == NULL)
        return parse_u32("--k", text, 1, 100, lo) && (*hi = *lo, true);
    size_t n = (size_t)(dots - text);
    if (n == 0 || n >= sizeof(a)) {
        fprintf(stderr, "flowdx: --k: '%s' is not A..B or K (whole numbers from 1 to 100)\n", text);
        return false;
    }
    memcpy(a, text, n);
    a[n] = '\0';
    if (!parse_u32("--k", a, 1, 100, lo) || !parse_u32("--k", dots + 2, 1, 100, hi))
        return false;
    if (*hi < *lo) {
        fprintf(stderr, "flowdx: --k: %s: the range is empty\n", text);
        return false;
    }
    return true;
}

static bool print_report(const fdx_analysis *a, int json)
{
    size_t need = fdx_analysis_report(a, json, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf == NULL)
        return false;
    fdx_analysis_report(a, json, buf, need + 1);
    bool ok = fwrite(buf, 1, need, stdout) == need && fflush(stdout) == 0;
    free(buf);
    return ok;
}

/* The universal set, one feature per line, written atomically. */
static bool write_list(const fdx_analysis *a, const char *path)
{
    size_t need = fdx_analysis_features(a, '\n', NULL, 0);
    char *buf = malloc(need + 1);
    struct output out;
    if (buf == NULL || !output_open(&out, path)) {
        free(buf);
        return false;
    }
    fdx_analysis_features(a, '\n', buf, need + 1);
    fwrite(buf, 1, need, out.fp);
    if (need > 0)
        fputc('\n', out.fp);
    free(buf);
    return output_close(&out, true);
}

enum {
    OPT_LABEL = 256,
    OPT_FEATURES,
    OPT_NAN,
    OPT_DEPTH,
    OPT_LEAF,
    OPT_TOP,
    OPT_SVG,
    OPT_THRESHOLD,
    OPT_LIST,
    OPT_CLASS,
    OPT_K,
    OPT_FOLDS,
    OPT_RESTARTS,
    OPT_DECREASE,
    OPT_SEED,
    OPT_PREFIX,
    OPT_KIND,
    OPT_INDEX,
    OPT_JSON,
};

/* Which option group each option belongs to (0: every subcommand's). */
static unsigned group_of(int c)
{
    switch (c) {
    case 'i':
        return O_INPUT;
    case 'a':
    case 'b':
        return O_AB;
    case 'm':
    case OPT_KIND:
    case OPT_INDEX:
        return O_MODEL;
    case OPT_LABEL:
    case OPT_FEATURES:
    case OPT_NAN:
        return O_DATA;
    case OPT_DEPTH:
    case OPT_LEAF:
        return O_TREE;
    case OPT_TOP:
        return O_TOP;
    case OPT_SVG:
        return O_SVG;
    case OPT_THRESHOLD:
        return O_THRESHOLD;
    case OPT_LIST:
        return O_LIST;
    case OPT_CLASS:
    case OPT_K:
    case OPT_FOLDS:
    case OPT_RESTARTS:
    case OPT_DECREASE:
    case OPT_SEED:
        return O_KMEANS;
    case OPT_PREFIX:
        return O_PREFIX;
    default:
        return 0;
    }
}

/* Paths of outputs besides the report. */
struct outputs {
    const char *svg, *prefix, *list;
    int json;
};

/* Parse one option into @p o; false after printing why. */
static bool take(int c, struct fdx_analysis_options *o, struct outputs *out)
{
    uint32_t u;
    double v;
    switch (c) {
    case 'i':
    case 'a':
        o->data_path = optarg;
        return true;
    case 'b':
        o->data_path_b = optarg;
        return true;
    case 'm':
        o->model_path = optarg;
        return true;
    case OPT_KIND:
        o->model_kind = optarg;
        return true;
    case OPT_INDEX:
        return parse_u32("--index", optarg, 0, UINT32_MAX - 1, &o->tree_index);
    case OPT_LABEL:
        o->label_column = optarg;
        return true;
    case OPT_FEATURES:
        o->features = optarg;
        return names_some("flowdx analyze", "--features", optarg);
    case OPT_NAN:
        return parse_nan_value("flowdx analyze", optarg, &o->nan_value);
    case OPT_DEPTH:
        return parse_u32("--max-depth", optarg, 0, 10000, &o->max_depth);
    case OPT_LEAF:
        return parse_u32("--min-leaf", optarg, 1, 1000000, &o->min_leaf);
    case OPT_TOP:
        return parse_u32("--top", optarg, 0, 4096, &o->top);
    case OPT_THRESHOLD:
        if (!parse_double("--threshold", optarg, &v))
            return false;
        if (!(v >= 0 && v <= 100)) {
            fprintf(stderr, "flowdx: --threshold: %s is not within 0 to 100\n", optarg);
            return false;
        }
        o->threshold = v;
        return true;
    case OPT_CLASS:
        o->class_name = optarg;
        return true;
    case OPT_K:
        return parse_k(optarg, &o->k_min, &o->k_max);
    case OPT_FOLDS:
        return parse_u32("--folds", optarg, 2, 100, &o->folds);
    case OPT_RESTARTS:
        return parse_u32("--restarts", optarg, 1, 1000, &o->restarts);
    case OPT_DECREASE:
        if (!parse_double("--min-decrease", optarg, &v))
            return false;
        if (!(v >= 0 && v < 100)) {
            fprintf(stderr, "flowdx: --min-decrease: %s is not a percentage from 0 to below 100\n",
                    optarg);
            return false;
        }
        o->min_decrease = v / 100.0;
        return true;
    case OPT_SEED:
        if (!parse_u32("--seed", optarg, 0, UINT32_MAX, &u))
            return false;
        o->seed = u;
        return true;
    case OPT_SVG:
        out->svg = optarg;
        return true;
    case OPT_PREFIX:
        out->prefix = optarg;
        return true;
    case OPT_LIST:
        out->list = optarg;
        return true;
    case OPT_JSON:
        out->json = 1;
        return true;
    case 'q':
        o->log = NULL;
        return true;
    default:
        return false;
    }
}

/* What each subcommand needs before it can run. */
static const char *missing(const struct sub *s, const struct fdx_analysis_options *o)
{
    if ((s->opts & O_INPUT) && o->data_path == NULL)
        return "-i DATA is required";
    if ((s->opts & O_AB) && (o->data_path == NULL || o->data_path_b == NULL))
        return "-a A.csv and -b B.csv are required";
    if ((s->opts & O_MODEL) && o->model_path == NULL)
        return "-m MODEL is required";
    return NULL;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts_long[] = {
        {"input", required_argument, NULL, 'i'},
        {"model-file", required_argument, NULL, 'm'},
        {"model", required_argument, NULL, OPT_KIND},
        {"index", required_argument, NULL, OPT_INDEX},
        {"label-column", required_argument, NULL, OPT_LABEL},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"nan-value", required_argument, NULL, OPT_NAN},
        {"max-depth", required_argument, NULL, OPT_DEPTH},
        {"min-leaf", required_argument, NULL, OPT_LEAF},
        {"top", required_argument, NULL, OPT_TOP},
        {"svg", required_argument, NULL, OPT_SVG},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"output-list", required_argument, NULL, OPT_LIST},
        {"class", required_argument, NULL, OPT_CLASS},
        {"k", required_argument, NULL, OPT_K},
        {"folds", required_argument, NULL, OPT_FOLDS},
        {"restarts", required_argument, NULL, OPT_RESTARTS},
        {"min-decrease", required_argument, NULL, OPT_DECREASE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"svg-prefix", required_argument, NULL, OPT_PREFIX},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || is_help(argv[1])) {
        usage_analyze(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const struct sub *s = NULL;
    for (size_t i = 0; i < N_SUBS; i++) {
        if (strcmp(subs[i].name, argv[1]) == 0)
            s = &subs[i];
    }
    if (s == NULL) {
        fprintf(stderr, "flowdx analyze: unknown subcommand '%s'\n\n", argv[1]);
        usage_analyze(stderr);
        return EXIT_USAGE;
    }
    struct fdx_analysis_options o;
    fdx_analysis_options_init(&o);
    o.kind = s->name;
    o.max_depth = s->max_depth;
    o.log = log_stderr;
    o.user = (void *)s->name;
    struct outputs out = {0};
    char prog[64];
    snprintf(prog, sizeof(prog), "flowdx analyze %s", s->name);
    argv[1] = prog;
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "i:a:b:m:qh", opts_long, NULL)) != -1) {
        if (c == 'h') {
            fputs(s->usage, stdout);
            options_help(stdout, s);
            return EXIT_OK;
        }
        if (c == '?') {
            fprintf(stderr, "Try 'flowdx analyze %s --help'.\n", s->name);
            return EXIT_USAGE;
        }
        unsigned group = group_of(c);
        if (group != 0 && (s->opts & group) == 0) {
            const char *name = "?";
            for (const struct option *l = opts_long; l->name != NULL; l++) {
                if (l->val == c)
                    name = l->name;
            }
            if (c < 256)
                fprintf(stderr, "flowdx analyze %s: -%c is not an option of this subcommand\n",
                        s->name, c);
            else
                fprintf(stderr, "flowdx analyze %s: --%s is not an option of this subcommand\n",
                        s->name, name);
            fprintf(stderr, "Try 'flowdx analyze %s --help'.\n", s->name);
            return EXIT_USAGE;
        }
        if (!take(c, &o, &out))
            return EXIT_USAGE;
    }
    const char *need = missing(s, &o);
    if (optind < argc - 1 || need != NULL) {
        fprintf(stderr, "flowdx analyze %s: %s\nTry 'flowdx analyze %s --help'.\n", s->name,
                optind < argc - 1 ? unexpected_argument(argv[optind + 1]) : need, s->name);
        return EXIT_USAGE;
    }
    /* The charts' limits, checked before the work (k-means takes minutes on large data). */
    if (out.prefix != NULL &&
        (o.k_max > FDX_ANALYSIS_SVG_MAX_SUBCLASSES || o.top > FDX_ANALYSIS_SVG_MAX_PANELS)) {
        if (o.k_max > FDX_ANALYSIS_SVG_MAX_SUBCLASSES)
            fprintf(stderr,
                    "%s: --svg-prefix: the charts draw at most %u subclasses, one line style each; "
                    "--k goes to %u\n",
                    prog, FDX_ANALYSIS_SVG_MAX_SUBCLASSES, o.k_max);
        else
            fprintf(stderr,
                    "%s: --svg-prefix: the density chart shows at most %u features; --top is %u\n",
                    prog, FDX_ANALYSIS_SVG_MAX_PANELS, o.top);
        return EXIT_USAGE;
    }
    /* No output may overwrite an input (or another output), checked before the work. */
    char cv[4096], profiles[4096], densities[4096];
    bool pre = out.prefix != NULL;
    snprintf(cv, sizeof(cv), "%s-cv.svg", pre ? out.prefix : "");
    snprintf(profiles, sizeof(profiles), "%s-profiles.svg", pre ? out.prefix : "");
    snprintf(densities, sizeof(densities), "%s-densities.svg", pre ? out.prefix : "");
    const struct named_file outs[] = {
        {"--svg", out.svg, false},
        {"--output-list", out.list, false},
        {"--svg-prefix", pre ? cv : NULL, false},
        {"--svg-prefix", pre ? profiles : NULL, false},
        {"--svg-prefix", pre ? densities : NULL, false},
    };
    const struct input_group ins[] = {{s->opts & O_AB ? "-a" : "-i", &o.data_path, 1},
                                      {"-b", &o.data_path_b, 1},
                                      {"-m", &o.model_path, 1}};
    if (!files_distinct(prog, ins, sizeof(ins) / sizeof(ins[0]), outs,
                        sizeof(outs) / sizeof(outs[0])))
        return EXIT_USAGE;
    char err[1024];
    fdx_analysis *a = NULL;
    int rc = fdx_analysis_run(&o, &a, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "flowdx analyze %s: %s\n", s->name, err);
        return rc == FDX_EINVAL || rc == FDX_ERANGE ? EXIT_USAGE : EXIT_ERROR;
    }
    int status = EXIT_OK;
    if (!print_report(a, out.json)) {
        fprintf(stderr, "flowdx analyze %s: writing the report failed: %s\n", s->name,
                strerror(errno));
        status = EXIT_ERROR;
    }
    const char *svg = out.svg != NULL ? out.svg : out.prefix;
    if (svg != NULL && fdx_analysis_write_svg(a, svg, err, sizeof(err)) < 0) {
        fprintf(stderr, "flowdx analyze %s: %s\n", s->name, err);
        status = EXIT_ERROR;
    }
    if (out.list != NULL && !write_list(a, out.list))
        status = EXIT_ERROR;
    fdx_analysis_free(a);
    return status;
}
