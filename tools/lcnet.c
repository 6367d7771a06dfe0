/* lcnet.c — command-line program: train, evaluate and compare node- and graph-classification
 * models. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lconv.h"
#include "lcnet_partition.h"

/* Exit codes: documented in lcnet.1 (EXIT STATUS). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* the library's preset: Kipf & Welling's two-layer GCN */
#define DEFAULT_MODEL "gcn"
/* compare: the preset against a two-layer edge-weighted L-conv of the same width */
#define DEFAULT_MODELS "gcn;lconv:16,relu,lconv"
#define MAX_SEEDS 100000
#define MAX_MODELS 64

/* ---------- options ---------- */

/* Bits: an option lists the commands that accept it. */
enum { CMD_TRAIN = 1, CMD_EVAL = 2, CMD_COMPARE = 4, CMD_ALL = 7 };
#define CMD_FIT (CMD_TRAIN | CMD_COMPARE) /* the commands that train */

static const char *command_name(int command)
{
    return command == CMD_TRAIN ? "train" : command == CMD_EVAL ? "eval" : "compare";
}

typedef struct {
    const char *data;
    const char *model;
    const char *models; /* compare: specs separated by ';' */
    int epochs;
    double lr;
    double weight_decay;
    int weight_decay_all;
    int check_finite;
    double dropout; /* < 0: keep the spec's */
    long hidden;    /* 0: keep the spec's */
    int patience;
    lc_optim_kind optim;
    uint64_t seed;
    int seeds;
    int threads;
    const char *save;
    const char *load;
    const char *log;
    const char *export_generators;
    const char *predict; /* CSV of each node's prediction */
    int keep_best;       /* end with the best validation epoch's parameters */
    int quiet;
    int batch_size;
    double rotate;  /* graph-level images: max rotation in degrees; < 0 = none */
    int scramble;   /* graph-level data: permute the nodes of every sample */
    lc_device device;
    int share_buffers;
    int distributed;      /* --distributed: join the MPI job even if no launcher is seen */
    int checkpoint_every; /* write --save every N epochs (0: at the end only) */
    int dist_check;       /* data-parallel: compare parameter checksums every N steps */
    double dist_timeout;  /* data-parallel: end the job when a collective waits longer */
    lc_dist_t *dist;      /* the MPI job (NULL: this process alone) */
} options;

typedef enum {
    OPT_DATA,
    OPT_MODEL,
    OPT_MODELS,
    OPT_EPOCHS,
    OPT_LR,
    OPT_WD,
    OPT_WD_ALL,
    OPT_CHECK_FINITE,
    OPT_DROPOUT,
    OPT_HIDDEN,
    OPT_PATIENCE,
    OPT_OPTIM,
    OPT_SEED,
    OPT_SEEDS,
    OPT_THREADS,
    OPT_SAVE,
    OPT_LOAD,
    OPT_LOG,
    OPT_EXPORT,
    OPT_PREDICT,
    OPT_KEEP_BEST,
    OPT_QUIET,
    OPT_BATCH,
    OPT_ROTATE,
    OPT_SCRAMBLE,
    OPT_DEVICE,
    OPT_SHARE_BUFFERS,
    OPT_DISTRIBUTED,
    OPT_CKPT_EVERY,
    OPT_DIST_CHECK,
    OPT_DIST_TIMEOUT,
    OPT_HELP
} opt_id;

/* One table drives parsing and the help text. */
static const struct {
    opt_id id;
    const char *name;
    const char *arg; /* NULL for a flag */
    int commands;    /* CMD_TRAIN | CMD_EVAL | CMD_COMPARE */
    const char *help;
} option_table[] = {
    {OPT_DATA, "--data", "SPEC", CMD_ALL, "data set (default karate); see DATA SPECS"},
    {OPT_MODEL, "--model", "SPEC", CMD_TRAIN | CMD_EVAL,
     "model spec or name (default " DEFAULT_MODEL "); see MODEL SPECS"},
    {OPT_MODELS, "--models", "SPECS", CMD_COMPARE,
     "models separated by ';' (default '" DEFAULT_MODELS "')"},
    {OPT_HIDDEN, "--hidden", "N", CMD_ALL, "width of every hidden learnable layer"},
    {OPT_EPOCHS, "--epochs", "N", CMD_FIT, "training epochs (default 200)"},
    {OPT_LR, "--lr", "X", CMD_FIT, "learning rate (default 0.01)"},
    {OPT_WD, "--weight-decay", "X", CMD_FIT, "L2 weight decay, first layer only (default 5e-4)"},
    {OPT_WD_ALL, "--weight-decay-all", NULL, CMD_FIT, "apply the weight decay to every layer"},
    {OPT_CHECK_FINITE, "--check-finite", NULL, CMD_FIT,
     "stop at the first NaN/Inf, naming the op, the layer and the epoch"},
    {OPT_DROPOUT, "--dropout", "P", CMD_FIT,
     "override the rate of every dropout layer, 0 <= P < 1"},
    {OPT_PATIENCE, "--patience", "N", CMD_FIT,
     "early-stopping window on val loss (default 10; 0 = off)"},
    {OPT_KEEP_BEST, "--keep-best", NULL, CMD_FIT,
     "end with the parameters of the best validation epoch (epochs column: best/run)"},
    {OPT_OPTIM, "--optim", "NAME", CMD_FIT, "sgd, adam or adamw (default adam)"},
    {OPT_SEED, "--seed", "N", CMD_ALL, "random seed of parameters and dropout (default 42)"},
    {OPT_SEEDS, "--seeds", "N", CMD_FIT, "train N times with seeds seed, seed+1, ... (default 1)"},
    {OPT_THREADS, "--threads", "N", CMD_ALL, "threads (default 1, reproducible; 0 = all cores)"},
    {OPT_SAVE, "--save", "CKPT", CMD_TRAIN, "write a checkpoint after training (first seed)"},
    {OPT_LOAD, "--load", "CKPT", CMD_TRAIN | CMD_EVAL,
     "the checkpoint to start from (train) or to evaluate (eval: required)"},
    {OPT_LOG, "--log", "CSV", CMD_TRAIN, "write a per-epoch CSV log (first seed)"},
    {OPT_EXPORT, "--export-generators", "PATH", CMD_TRAIN,
     "write the L-conv generators to PATH.csv and PATH.ckpt (first seed)"},
    {OPT_PREDICT, "--predict", "CSV", CMD_TRAIN | CMD_EVAL,
     "write each node's split, label, predicted class and class probabilities (node-level "
     "data, one process; first seed)"},
    {OPT_QUIET, "--quiet", NULL, CMD_ALL, "no progress line"},
    {OPT_BATCH, "--batch-size", "N", CMD_ALL,
     "graph-level data (mnist:DIR): samples per step (default 64)"},
    {OPT_ROTATE, "--rotate", "DEG", CMD_ALL,
     "image data: rotate each image by a uniform angle in (-DEG, DEG), bilinear (fixed seed)"},
    {OPT_SCRAMBLE, "--scramble", NULL, CMD_ALL,
     "graph-level data: one fixed random permutation of the pixels/nodes of every sample"},
    {OPT_SHARE_BUFFERS, "--share-buffers", NULL, CMD_ALL,
     "intermediate buffers share memory as their lives allow (same results, less memory)"},
    {OPT_DEVICE, "--device", "NAME", CMD_ALL,
     "cpu (default) or cuda: where the model runs (results match within float tolerance)"},
    {OPT_DISTRIBUTED, "--distributed", NULL, CMD_TRAIN | CMD_EVAL,
     "run over the MPI job, implied under mpirun: data-parallel, or node-level data full-graph "
     "partitioned (layers gcn, lconv, linear, relu, dropout)"},
    {OPT_CKPT_EVERY, "--checkpoint-every", "N", CMD_TRAIN,
     "also write --save every N epochs, to resume from (first seed)"},
    {OPT_DIST_CHECK, "--dist-check", "N", CMD_TRAIN,
     "data-parallel debug: compare the ranks' parameter checksums every N steps"},
    {OPT_DIST_TIMEOUT, "--dist-timeout", "S", CMD_TRAIN | CMD_EVAL,
     "data-parallel: end the job when a rank waits more than S s for the others (0 = never)"},
    {OPT_HELP, "--help", NULL, CMD_ALL, "show this help and exit"},
};
#define N_OPTIONS (sizeof option_table / sizeof option_table[0])

/* ---------- messages ---------- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lcnet: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\ntry 'lcnet --help'\n", stderr);
    return EXIT_USAGE;
}

/* The MPI job, for the messages (NULL: this process alone). */
static lc_dist_t *job;

static int runtime_message(const char *message)
{
    if (lc_dist_size(job) > 1)
        fprintf(stderr, "lcnet: rank %d of %d: %s\n", lc_dist_rank(job), lc_dist_size(job),
                message);
    else
        fprintf(stderr, "lcnet: %s\n", message);
    return EXIT_RUNTIME;
}

static int runtime_error(void)
{
    return runtime_message(lc_last_error());
}

static void print_options(FILE *out, int command)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (!(option_table[i].commands & command)) continue;
        char left[48];
        snprintf(left, sizeof left, "%s%s%s", option_table[i].name, option_table[i].arg ? " " : "",
                 option_table[i].arg ? option_table[i].arg : "");
        fprintf(out, "  %-27s %s\n", left, option_table[i].help);
    }
}

static void print_help(FILE *out, int command)
{
    if (command == CMD_TRAIN) {
        fputs("usage: lcnet train [--data SPEC] [--model SPEC] [options]\n\n"
              "Train a node- or graph-classification model and print train/val/test accuracy.\n\n"
              "options:\n",
              out);
        print_options(out, CMD_TRAIN);
    } else if (command == CMD_EVAL) {
        fputs("usage: lcnet eval [--data SPEC] [--model SPEC] --load CKPT [options]\n\n"
              "Evaluate a saved model on the train, val and test nodes.\n\n"
              "options:\n",
              out);
        print_options(out, CMD_EVAL);
    } else if (command == CMD_COMPARE) {
        fputs("usage: lcnet compare [--data SPEC] [--models 'SPEC;SPEC;...'] [options]\n\n"
              "Train several models on the same data, each with the same seeds, and print one\n"
              "table: parameters, test accuracy mean \u00b1 std, time per epoch, peak memory.\n"
              "Each model runs in its own process, so its peak memory is its own.\n\n"
              "options:\n",
              out);
        print_options(out, CMD_COMPARE);
    } else {
        fputs("usage: lcnet train [--data SPEC] [--model SPEC] [options]\n"
              "       lcnet eval [--data SPEC] [--model SPEC] --load CKPT [options]\n"
              "       lcnet compare [--data SPEC] [--models 'SPEC;SPEC;...'] [options]\n"
              "       lcnet partition (--data SPEC | --file FILE) --parts P[,P...] [options]\n"
              "       lcnet --help | --version\n\n"
              "Graph neural networks for node classification with lconv.\n\n"
              "commands:\n"
              "  train    train a model (with --seeds N, N times) and print a result table\n"
              "  eval     evaluate a checkpoint written by 'lcnet train --save'\n"
              "  compare  train several models with the same seeds and print one table\n"
              "  partition  split the graph into parts and report the halo exchanges\n"
              "           of full-graph training (lcnet partition --help)\n\n"
              "options:\n",
              out);
        print_options(out, CMD_ALL);
    }
    fputs("\ndata specs: karate | linqs:DIR | planetoid:DIR/NAME | edgelist:FILE | mnist:DIR |\n"
          "  parts:DIR (under mpirun: rank K reads DIR/part-K.lcp and, for L-conv,\n"
          "    part-K.edges.lcp, from lcnet partition --write)\n"
          "model specs: comma-separated layers, e.g. gcn:16,relu,dropout:0.5,gcn or\n"
          "  lconv:16:p=4:form=adj,relu,lconv:p=4:form=adj (L-conv options: p=N, form=vf|adj,\n"
          "  init=normal|const|attr, frozen, now0, nobias);\n"
          "  layers: gcn linear lconv shared lattice lowrank flatten diffusion relu tanh\n"
          "  sigmoid leaky_relu elu dropout;\n"
          "  names: gcn (Kipf & Welling: dropout:0.5,gcn:16:nobias,relu,dropout:0.5,gcn:nobias),\n"
          "  mlp (the same with linear layers)\n"
          "exit status: 0 ok, 1 runtime error, 2 usage error, 3 a rank timed out\n"
          "  (--dist-timeout). See lcnet(1).\n",
          out);
}

/* ---------- strict number parsing ---------- */

/* The whole token must be a number: no empty string, no trailing text. */
static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return usage_error("%s: '%s' is not an integer", opt, s);
    if (v < lo || v > hi)
        return usage_error("%s: %ld is out of range (must be in %ld..%ld)", opt, v, lo, hi);
    *out = v;
    return EXIT_OK;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out)
{
    long v;
    int rc = parse_long(opt, s, lo, hi, &v);
    if (rc == EXIT_OK) *out = (int)v;
    return rc;
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    /* strtoull accepts "-1" as 2^64-1: refuse a sign explicitly. */
    if (*s == '-' || *s == '+' || *s == '\0')
        return usage_error("%s: '%s' is not a non-negative integer", opt, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return usage_error("%s: '%s' is not a non-negative integer", opt, s);
    *out = (uint64_t)v;
    return EXIT_OK;
}

/* A finite number in [lo, hi] (lo_open / hi_open exclude that end);
 * `range` says the same in words for the message. */
static int parse_double(const char *opt, const char *s, double lo, int lo_open, double hi,
                        int hi_open, const char *range, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || isnan(v))
        return usage_error("%s: '%s' is not a number", opt, s);
    /* overflow (inf) is out of range; an underflow (ERANGE too) is a tiny or zero v, judged below
     */
    if (isinf(v)) return usage_error("%s: %s is out of range (must be %s)", opt, s, range);
    if (v != 0 && (float)v == 0) /* every such option is a float in the library */
        return usage_error("%s: %s is too small for a float (it would be 0)", opt, s);
    if ((lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi))
        return usage_error("%s: %s is out of range (must be %s)", opt, s, range);
    *out = v;
    return EXIT_OK;
}

static int data_spec_ok(const char *s)
{
    static const char *const kinds[] = {"linqs:", "planetoid:", "edgelist:", "mnist:", "parts:"};
    if (strcmp(s, "karate") == 0) return 1;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(s, kinds[i], strlen(kinds[i])) == 0 && s[strlen(kinds[i])] != '\0') return 1;
    return 0;
}

/* Parse argv[first..] for `command`. Returns an exit code, or -1 when the
 * help was printed (exit 0). */
static int parse_options(int argc, char **argv, int first, int command, options *o)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) return usage_error("unexpected argument '%s'", arg);
        /* --name=value as well as --name value */
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t k = 0;
        while (k < N_OPTIONS && !(strlen(option_table[k].name) == name_len &&
                                  strncmp(option_table[k].name, arg, name_len) == 0))
            k++;
        if (k == N_OPTIONS) return usage_error("unknown option '%.*s'", (int)name_len, arg);
        const char *name = option_table[k].name;
        if (!(option_table[k].commands & command))
            return usage_error("%s is not an option of '%s'", name, command_name(command));
        const char *val = NULL;
        if (option_table[k].arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                val = argv[++i];
            else
                return usage_error("%s needs a value (%s)", name, option_table[k].arg);
        } else if (eq) {
            return usage_error("%s takes no value", name);
        }

        if (val && *val == '\0') return usage_error("%s: empty value", name);

        int rc = EXIT_OK;
        long l;
        switch (option_table[k].id) {
        case OPT_DATA:
            if (!data_spec_ok(val))
                return usage_error("%s: '%s' is not karate, linqs:DIR, planetoid:DIR/NAME, "
                                   "edgelist:FILE, mnist:DIR or parts:DIR",
                                   name, val);
            o->data = val;
            break;
        case OPT_MODEL:
            if (*val == '\0') return usage_error("%s: empty spec", name);
            o->model = val;
            break;
        case OPT_MODELS:
            o->models = val;
            break;
        case OPT_EPOCHS:
            rc = parse_int(name, val, 1, 1000000000, &o->epochs);
            break;
        case OPT_LR:
            rc = parse_double(name, val, 0, 1, 1e6, 0, "> 0 and <= 1e6", &o->lr);
            break;
        case OPT_WD:
            rc = parse_double(name, val, 0, 0, 1e6, 0, ">= 0", &o->weight_decay);
            break;
        case OPT_WD_ALL:
            o->weight_decay_all = 1;
            break;
        case OPT_CHECK_FINITE:
            o->check_finite = 1;
            break;
        case OPT_DROPOUT:
            rc = parse_double(name, val, 0, 0, 1, 1, "in [0, 1)", &o->dropout);
            break;
        case OPT_HIDDEN:
            rc = parse_long(name, val, 1, 1000000000, &o->hidden);
            break;
        case OPT_PATIENCE:
            rc = parse_int(name, val, 0, 1000000000, &o->patience);
            break;
        case OPT_OPTIM:
            if (strcmp(val, "sgd") == 0)
                o->optim = LC_OPTIM_SGD;
            else if (strcmp(val, "adam") == 0)
                o->optim = LC_OPTIM_ADAM;
            else if (strcmp(val, "adamw") == 0)
                o->optim = LC_OPTIM_ADAMW;
            else
                return usage_error("%s: '%s' is not sgd, adam or adamw", name, val);
            break;
        case OPT_SEED:
            rc = parse_u64(name, val, &o->seed);
            break;
        case OPT_SEEDS:
            rc = parse_int(name, val, 1, MAX_SEEDS, &o->seeds);
            break;
        case OPT_THREADS:
            rc = parse_long(name, val, 0, 4096, &l);
            if (rc == EXIT_OK) o->threads = (int)l;
            break;
        case OPT_SAVE:
            o->save = val;
            break;
        case OPT_LOAD:
            o->load = val;
            break;
        case OPT_LOG:
            o->log = val;
            break;
        case OPT_EXPORT:
            o->export_generators = val;
            break;
        case OPT_PREDICT:
            o->predict = val;
            break;
        case OPT_KEEP_BEST:
            o->keep_best = 1;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case OPT_BATCH:
            rc = parse_int(name, val, 1, 1 << 24, &o->batch_size);
            break;
        case OPT_ROTATE:
            rc = parse_double(name, val, 0, 0, 360, 0, "in [0, 360]", &o->rotate);
            break;
        case OPT_SCRAMBLE:
            o->scramble = 1;
            break;
        case OPT_SHARE_BUFFERS:
            o->share_buffers = 1;
            break;
        case OPT_DEVICE:
            if (lc_device_parse(val, &o->device) != LC_OK)
                return usage_error("%s: '%s' is not cpu or cuda", name, val);
            break;
        case OPT_DISTRIBUTED:
            o->distributed = 1;
            break;
        case OPT_CKPT_EVERY:
            rc = parse_int(name, val, 1, 1000000000, &o->checkpoint_every);
            break;
        case OPT_DIST_CHECK:
            rc = parse_int(name, val, 1, 1000000000, &o->dist_check);
            break;
        case OPT_DIST_TIMEOUT:
            rc = parse_double(name, val, 0, 0, 1e8, 0, "in [0, 1e8]", &o->dist_timeout);
            break;
        case OPT_HELP:
            print_help(stdout, command);
            return -1;
        }
        if (rc != EXIT_OK) return rc;
    }
    if (command == CMD_EVAL && !o->load) return usage_error("eval needs --load CKPT");
    if (o->checkpoint_every && !o->save) return usage_error("--checkpoint-every needs --save CKPT");
    return EXIT_OK;
}

/* ---------- model spec ---------- */

/* The model of a spec (or preset name) with --hidden applied. */
static lc_status make_model(const options *o, const char *spec, lc_model_t **m)
{
    lc_status st = lc_model_from_spec(m, spec);
    if (st == LC_OK && o->hidden > 0 && (st = lc_model_set_hidden(*m, o->hidden)) != LC_OK)
        lc_model_free(m);
    return st;
}

/* The model of a run: made from the spec and placed on --device. */
static lc_status make_model_on_device(const options *o, const char *spec, lc_model_t **m)
{
    lc_status st = make_model(o, spec, m);
    if (st == LC_OK && (st = lc_model_to(*m, o->device)) != LC_OK) lc_model_free(m);
    return st;
}

/* ---------- progress and results ---------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int epochs;
    double start, last_print;
    int printed;
} progress;

/* Live line on a terminal; throttled so that fast epochs do not flood it. */
static int on_epoch(void *user, int epoch, float train_loss, float val_loss, float val_acc)
{
    (void)val_loss;
    progress *p = user;
    double t = now_seconds();
    int done = epoch; /* lc_model_train passes 1 after the first epoch */
    if (t - p->last_print < 0.05 && done < p->epochs) return 0;
    p->last_print = t;
    double eta = (t - p->start) / done * (p->epochs - done);
    char acc[16];
    if (isnan(val_acc))
        snprintf(acc, sizeof acc, "-");
    else
        snprintf(acc, sizeof acc, "%.4f", val_acc);
    fprintf(stderr, "\r epoch %d/%d  loss %.4f  val_acc %s  ETA %.1fs   ", done, p->epochs,
            train_loss, acc, eta);
    fflush(stderr);
    p->printed = 1;
    return 0;
}

/* The per-epoch callback of a run: the progress line and periodic checkpoints. */
typedef struct {
    progress *prog;    /* NULL: no progress line */
    lc_model_t *model; /* the model being trained */
    const char *save;  /* --save, written every `every` epochs (0: never) */
    int every;
    lc_status failed;  /* the checkpoint that could not be written */
} epoch_hook;

static int on_epoch_hook(void *user, int epoch, float train_loss, float val_loss, float val_acc)
{
    epoch_hook *h = user;
    if (h->prog) on_epoch(h->prog, epoch, train_loss, val_loss, val_acc);
    /* data-parallel, every rank gets here at the same epoch: rank 0 writes */
    if (h->every && epoch % h->every == 0) h->failed = lc_model_save(h->model, h->save);
    return h->failed != LC_OK;
}

static void progress_clear(progress *p)
{
    if (!p->printed) return;
    fprintf(stderr, "\r%72s\r", "");
    fflush(stderr);
    p->printed = 0;
}

static const char *fmt_num(char *buf, size_t len, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, fmt, v);
    return buf;
}

static void print_table_header(void)
{
    printf("%5s %7s %10s %8s %9s %10s %8s\n", "seed", "epochs", "train_acc", "val_acc", "test_acc",
           "test_loss", "seconds");
}

static void print_row(uint64_t seed, const char *epochs, const lc_eval_result *r, double seconds)
{
    char s[32], a[4][32];
    snprintf(s, sizeof s, "%" PRIu64, seed);
    /* a space between columns, so a wide value (a diverged loss) cannot join its neighbour */
    printf("%5s %7s %10s %8s %9s %10s %8.2f\n", s, epochs,
           fmt_num(a[0], 32, "%.4f", r->accuracy[0]), fmt_num(a[1], 32, "%.4f", r->accuracy[1]),
           fmt_num(a[2], 32, "%.4f", r->accuracy[2]),
           fmt_num(a[3], 32, fabsf(r->loss[2]) < 1e5f ? "%.4f" : "%.4g", r->loss[2]), seconds);
    fflush(stdout);
}

static int64_t mask_count(const lc_dataset_t *ds, int which)
{
    const uint8_t *m = lc_dataset_mask(ds, which);
    const int64_t samples = lc_dataset_num_samples(ds);
    int64_t n = samples ? samples : lc_dataset_num_nodes(ds), c = 0;
    if (!m) return 0;
    for (int64_t i = 0; i < n; i++)
        c += m[i] != 0;
    return c;
}

static void print_dataset(const char *spec, const lc_dataset_t *ds)
{
    int part, parts;
    int64_t own, nodes;
    if (lc_dataset_part_info(ds, &part, &parts, &own, &nodes)) {
        printf("dataset  %s  nodes %" PRId64 "  features %" PRId64 "  classes %d  in %d parts "
               "(rank %d holds %" PRId64 ")\n",
               spec, nodes, lc_dataset_num_features(ds), lc_dataset_num_classes(ds), parts, part,
               own);
        return;
    }
    printf("dataset  %s  nodes %" PRId64 "  features %" PRId64 "  classes %d  train/val/test "
           "%" PRId64 "/%" PRId64 "/%" PRId64 "\n",
           spec, lc_dataset_num_nodes(ds), lc_dataset_num_features(ds), lc_dataset_num_classes(ds),
           mask_count(ds, 0), mask_count(ds, 1), mask_count(ds, 2));
}

/* ---------- commands ---------- */

static lc_train_config train_config(const options *o, uint64_t seed)
{
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = o->epochs;
    cfg.lr = (float)o->lr;
    cfg.weight_decay = (float)o->weight_decay;
    cfg.weight_decay_all = o->weight_decay_all;
    cfg.check_finite = o->check_finite;
    cfg.dropout = (float)o->dropout;
    cfg.patience = o->patience;
    cfg.optim = o->optim;
    cfg.seed = seed;
    cfg.batch_size = o->batch_size;
    cfg.share_buffers = o->share_buffers;
    cfg.keep_best = o->keep_best;
    cfg.dist = o->dist;
    cfg.verbose = 0; /* lcnet draws its own progress line */
    return cfg;
}

/* Seeds of the data transforms: fixed, so that every training seed and every
 * model sees the same rotated or scrambled data. */
#define ROTATE_SEED 1
#define SCRAMBLE_SEED 2

/* The data of --data, with --rotate and --scramble applied (in that order);
 * why[len] gets the reason when it fails. */
static bool load_data(const options *o, lc_dataset_t **ds, char *why, size_t len)
{
    lc_status st;
    if (!strncmp(o->data, "parts:", 6)) { /* each rank its own part's file */
        st = lc_dataset_load_part(ds, o->data + 6, o->dist);
    } else {
        st = lc_dataset_load(ds, o->data, NULL);
    }
    if (!st && o->rotate >= 0) st = lc_dataset_rotate_images(*ds, o->rotate, ROTATE_SEED);
    if (!st && o->scramble) st = lc_dataset_scramble_nodes(*ds, SCRAMBLE_SEED);
    if (st)
        snprintf(why, len, "%s", lc_last_error());
    else if (lc_dataset_num_classes(*ds) == 0) /* an edge list: a graph alone */
        snprintf(why, len,
                 "--data '%s': the data set has no labels, which training and evaluation need "
                 "(a bare graph serves 'lcnet partition')",
                 o->data);
    else
        return true;
    lc_dataset_free(ds);
    return false;
}

/* --predict: one line per node of the model's evaluation-mode output
 * (log-probabilities, as probabilities here): node, split, label (-1: none),
 * predicted class, then one probability per class. An exit code; a failure
 * is said here. */
static int write_predictions(lc_model_t *m, const lc_dataset_t *ds, const char *path)
{
    lc_eval_result ev;
    if (lc_model_evaluate(m, ds, &ev)) return runtime_error(); /* dropout off, the whole graph */
    const lc_tensor_t *out = lc_model_output(m);
    const int32_t *labels = lc_dataset_labels(ds);
    const uint8_t *mask[3] = {lc_dataset_mask(ds, 0), lc_dataset_mask(ds, 1),
                              lc_dataset_mask(ds, 2)};
    static const char *const split[3] = {"train", "val", "test"};
    char why[4200];
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(why, sizeof why, "--predict '%s': %s", path, strerror(errno));
        return runtime_message(why);
    }
    const int64_t n = lc_tensor_dim(out, 0), c = lc_tensor_dim(out, 1);
    const float *data = lc_tensor_data(out);
    fprintf(f, "node,split,label,predicted");
    for (int64_t k = 0; k < c; k++)
        fprintf(f, ",p%" PRId64, k);
    fputc('\n', f);
    for (int64_t i = 0; i < n; i++) {
        const float *lp = data + i * c;
        int64_t best = 0;
        for (int64_t k = 1; k < c; k++)
            if (lp[k] > lp[best]) best = k;
        const char *where = "-";
        for (int k = 0; k < 3; k++)
            if (mask[k] && mask[k][i]) where = split[k];
        fprintf(f, "%" PRId64 ",%s,%d,%" PRId64, i, where, labels ? labels[i] : -1, best);
        for (int64_t k = 0; k < c; k++)
            fprintf(f, ",%.6g", exp((double)lp[k]));
        fputc('\n', f);
    }
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(why, sizeof why, "--predict '%s': cannot write: %s", path, strerror(errno));
        return runtime_message(why);
    }
    return EXIT_OK;
}

/* Whether the file of an output option can be written where it is asked for
 * (its folder exists and takes files; unless `prefix` (PATH.csv and
 * PATH.ckpt are written), it is not itself a folder), said before training
 * rather than after it. Rank 0 alone writes, so it alone looks. */
static bool output_writable(const char *option, const char *path, bool prefix)
{
    if (!path || lc_dist_rank(job) != 0) return true;
    char why[4200];
    struct stat sb;
    if (!prefix && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(why, sizeof why, "%s '%s' is a folder: give a file name", option, path);
        return runtime_message(why), false;
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, sizeof why, "%s '%s': cannot write in '%s': %s", option, path, dir,
                 strerror(errno));
        return runtime_message(why), false;
    }
    return true;
}

static int run(const options *o, int command)
{
    int rc = EXIT_OK;
    lc_dataset_t *ds = NULL;
    lc_model_t *m = NULL;
    double *test_acc = NULL;
    int show_progress = !o->quiet && isatty(STDERR_FILENO);
    progress prog = {0};

    if (lc_set_threads(o->threads) != LC_OK) return runtime_error();
    const bool writable = output_writable("--save", o->save, false) &&
                          output_writable("--export-generators", o->export_generators, true) &&
                          output_writable("--log", o->log, false) &&
                          output_writable("--predict", o->predict, false);
    /* under MPI every rank stops with rank 0, saying why */
    if (lc_dist_agree(o->dist, writable ? LC_OK : LC_ERR_IO, "to find its output files writable")) {
        if (lc_dist_rank(o->dist) > 0) runtime_error();
        return EXIT_RUNTIME;
    }
    char why[600];
    if (!load_data(o, &ds, why, sizeof why)) {
        rc = runtime_message(why);
        goto done;
    }
    print_dataset(o->data, ds);
    lc_status st;
    if (o->predict && (lc_dataset_num_samples(ds) > 0 || lc_dist_size(o->dist) > 1)) {
        rc = runtime_message(lc_dataset_num_samples(ds) > 0
                                 ? "--predict: node-level data only (graph-level data is "
                                   "evaluated a batch at a time)"
                                 : "--predict: one process only (under mpirun each rank holds "
                                   "its own rows)");
        goto done;
    }

    int runs = command == CMD_EVAL ? 1 : o->seeds;
    test_acc = calloc((size_t)runs, sizeof *test_acc);
    if (!test_acc) {
        fputs("lcnet: out of memory\n", stderr);
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int r = 0; r < runs; r++) {
        uint64_t seed = o->seed + (uint64_t)r;
        lc_train_config cfg = train_config(o, seed);
        if (r == 0) cfg.log_csv = o->log;
        epoch_hook hook = {.prog = show_progress ? &prog : NULL, .save = o->save,
                           .every = r == 0 ? o->checkpoint_every : 0};
        if (show_progress) {
            prog.epochs = o->epochs;
            prog.start = now_seconds();
            prog.last_print = 0;
        }
        if (hook.prog || hook.every) {
            cfg.on_epoch = on_epoch_hook;
            cfg.user = &hook;
        }
        st = make_model_on_device(o, o->model, &m);
        if (st != LC_OK) {
            rc = runtime_error();
            goto done;
        }
        hook.model = m;
        double t0 = now_seconds();
        st = lc_model_build(m, ds, &cfg);
        if (st == LC_OK && o->load) st = lc_model_load(m, o->load);

        lc_eval_result ev;
        char epochs[16] = "-", gradients[192] = "";
        if (st == LC_OK && command == CMD_TRAIN) {
            lc_train_result res;
            st = lc_model_train(m, ds, &cfg, &res);
            if (st == LC_OK) st = hook.failed;
            progress_clear(&prog);
            ev = res.final;
            if (res.best_epoch) /* --keep-best: the epoch kept, of those run */
                snprintf(epochs, sizeof epochs, "%d/%d", res.best_epoch, res.epochs_run);
            else
                snprintf(epochs, sizeof epochs, "%d", res.epochs_run);
            if (st == LC_OK && res.gradients)
                snprintf(gradients, sizeof gradients, "%s", res.gradients);
        } else if (st == LC_OK) {
            st = lc_model_evaluate(m, ds, &ev);
        }
        if (st == LC_OK && r == 0 && o->save) st = lc_model_save(m, o->save);
        if (st == LC_OK && r == 0 && o->export_generators)
            st = lc_model_export_generators(m, o->export_generators);
        if (st == LC_OK && r == 0 && o->predict && (rc = write_predictions(m, ds, o->predict)))
            goto done;
        if (st != LC_OK) {
            rc = runtime_error();
            goto done;
        }
        if (r == 0) {
            printf("model    %s\n", lc_model_spec(m));
            if (gradients[0]) /* data-parallel: how the ranks' gradients were summed */
                printf("gradients %s (%d rank%s)\n", gradients, lc_dist_size(o->dist),
                       lc_dist_size(o->dist) == 1 ? "" : "s");
            else if (command == CMD_TRAIN && lc_dist_size(o->dist) > 1)
                printf("partitioned: the full graph's rows over %d ranks\n", lc_dist_size(o->dist));
            print_table_header();
        }
        print_row(seed, epochs, &ev, now_seconds() - t0);
        test_acc[r] = ev.accuracy[2];
        lc_model_free(&m);
    }

    /* Sample standard deviation (n - 1), as over repeated runs in papers. */
    double sum = 0, sq = 0;
    for (int r = 0; r < runs; r++)
        sum += test_acc[r];
    double mean = sum / runs;
    for (int r = 0; r < runs; r++)
        sq += (test_acc[r] - mean) * (test_acc[r] - mean);
    double sd = runs > 1 ? sqrt(sq / (runs - 1)) : 0.0;
    if (command == CMD_TRAIN) {
        if (isnan(mean))
            printf("test accuracy over %d seed%s: - (no test nodes)\n", runs, runs == 1 ? "" : "s");
        else
            printf("test accuracy over %d seed%s: %.2f \u00b1 %.2f %%\n", runs,
                   runs == 1 ? "" : "s", 100 * mean, 100 * sd);
    }

done:
    progress_clear(&prog);
    lc_model_free(&m);
    lc_dataset_free(&ds);
    free(test_acc);
    return rc;
}

/* ---------- MPI ---------- */

/* Started by mpirun (Open MPI) or another PMI launcher with more than one process? */
/* The launcher's SIZE or RANK of this process (Open MPI's, PMI's or PMIx's
 * variable, the first set), read before MPI is initialised; 0 when none is. */
static int launcher_env(const char *what)
{
    static const char *const prefixes[] = {"OMPI_COMM_WORLD_", "PMI_", "PMIX_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%s", prefixes[i], what);
        const char *v = getenv(name);
        if (v) return atoi(v);
    }
    return 0;
}

static int launched_by_mpi(void)
{
    return launcher_env("SIZE") > 1;
}
/* a rank other than 0: it leaves the warnings to rank 0 */
static int launched_as_other_rank(void)
{
    return launcher_env("RANK") > 0;
}

/* ---------- compare ---------- */

/* The ';'-separated entries of a --models value, trimmed, in `buf` (a copy
 * that the entries point into). Returns an exit code. */
static int split_models(const char *list, char *buf, size_t cap, const char **specs, int *count)
{
    if (strlen(list) >= cap)
        return usage_error("--models: the list is longer than %zu bytes", cap - 1);
    strcpy(buf, list);
    int n = 0;
    for (char *p = buf;;) {
        char *end = strchr(p, ';');
        if (end) *end = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            p[--len] = '\0';
        if (len == 0) return usage_error("--models: model %d is empty in '%s'", n + 1, list);
        if (n == MAX_MODELS) return usage_error("--models: more than %d models", MAX_MODELS);
        specs[n++] = p;
        if (!end) break;
        p = end + 1;
    }
    *count = n;
    return EXIT_OK;
}

/* What one model's worker process sends back through its pipe. */
typedef struct {
    int stage; /* 0 ok, 1 the data failed to load, 2 the model failed */
    char error[512];
    int64_t nodes, features, split[3];
    int classes;
    int64_t params;          /* learnable scalars */
    double acc_mean, acc_sd; /* test accuracy over the seeds (fraction; NaN: no test nodes) */
    double ms_per_epoch;     /* mean over seeds of training seconds / epochs run */
    double peak_mib;         /* the worker's peak resident set */
} compare_result;

/* The worker: load the data, train the model once per seed, measure. Runs in
 * a child process, so that its peak memory is this model's alone. */
static void compare_worker(const options *o, const char *spec, compare_result *r)
{
    lc_dataset_t *ds = NULL;
    lc_model_t *m = NULL;
    double *acc = NULL;
    progress prog = {0};
    int show_progress = !o->quiet && isatty(STDERR_FILENO);
    memset(r, 0, sizeof *r);
    r->stage = 1;
    if (lc_set_threads(o->threads) != LC_OK) {
        snprintf(r->error, sizeof r->error, "%s", lc_last_error());
        goto done;
    }
    if (!load_data(o, &ds, r->error, sizeof r->error)) goto done;
    r->nodes = lc_dataset_num_nodes(ds);
    r->features = lc_dataset_num_features(ds);
    r->classes = lc_dataset_num_classes(ds);
    for (int k = 0; k < 3; k++)
        r->split[k] = mask_count(ds, k);
    r->stage = 2;
    acc = calloc((size_t)o->seeds, sizeof *acc);
    if (!acc) {
        snprintf(r->error, sizeof r->error, "out of memory");
        goto done;
    }
    double ms = 0;
    for (int s = 0; s < o->seeds; s++) {
        lc_train_config cfg = train_config(o, o->seed + (uint64_t)s);
        if (show_progress) {
            prog.epochs = o->epochs;
            prog.start = now_seconds();
            prog.last_print = 0;
            cfg.on_epoch = on_epoch;
            cfg.user = &prog;
        }
        lc_train_result res;
        if (make_model_on_device(o, spec, &m) != LC_OK || lc_model_build(m, ds, &cfg) != LC_OK ||
            lc_model_train(m, ds, &cfg, &res) != LC_OK) {
            progress_clear(&prog);
            snprintf(r->error, sizeof r->error, "%s", lc_last_error());
            goto done;
        }
        progress_clear(&prog);
        if (s == 0) r->params = lc_model_num_params(m);
        acc[s] = res.final.accuracy[2];
        ms += res.epochs_run > 0 ? 1e3 * res.seconds / res.epochs_run : 0;
        lc_model_free(&m);
    }
    double sum = 0, sq = 0;
    for (int s = 0; s < o->seeds; s++)
        sum += acc[s];
    r->acc_mean = sum / o->seeds;
    for (int s = 0; s < o->seeds; s++)
        sq += (acc[s] - r->acc_mean) * (acc[s] - r->acc_mean);
    r->acc_sd = o->seeds > 1 ? sqrt(sq / (o->seeds - 1)) : 0.0;
    r->ms_per_epoch = ms / o->seeds;
    r->stage = 0;
done:
    lc_model_free(&m);
    lc_dataset_free(&ds);
    free(acc);
    struct rusage ru;
    /* Measured last, once everything this model needed has been allocated. */
    r->peak_mib = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : NAN;
}

/* Run one model in a forked worker and collect its result. Returns 0, or -1
 * with r->error set when the worker could not run or died. */
static int compare_one(const options *o, const char *spec, compare_result *r)
{
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0) {
        snprintf(r->error, sizeof r->error, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->error, sizeof r->error, "cannot start a worker process: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        compare_result res;
        compare_worker(o, spec, &res);
        const char *p = (const char *)&res;
        size_t left = sizeof res;
        while (left > 0) {
            ssize_t w = write(fd[1], p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(EXIT_RUNTIME);
            p += w, left -= (size_t)w;
        }
        close(fd[1]);
        _exit(EXIT_OK); /* no atexit handlers or stdio flushes of the parent's state */
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd[0], (char *)r + got, sizeof *r - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == sizeof *r) return 0;
    if (WIFSIGNALED(status))
        snprintf(r->error, sizeof r->error, "the worker process was killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(r->error, sizeof r->error,
                 "the worker process exited with status %d and no result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
}

static int run_compare(const options *o, const char *const *specs, int count)
{
    int width = 5, failed = 0, printed = 0;
    for (int k = 0; k < count; k++)
        if ((int)strlen(specs[k]) > width) width = (int)strlen(specs[k]);
    for (int k = 0; k < count; k++) {
        compare_result r;
        memset(&r, 0, sizeof r);
        if (compare_one(o, specs[k], &r) != 0 || r.stage != 0) {
            fprintf(stderr, "lcnet: model %d '%s': %s\n", k + 1, specs[k], r.error);
            if (r.stage == 1) return EXIT_RUNTIME; /* the data: every model would fail alike */
            failed++;
            continue;
        }
        if (!printed++) {
            printf("dataset  %s  nodes %" PRId64 "  features %" PRId64 "  classes %d  "
                   "train/val/test %" PRId64 "/%" PRId64 "/%" PRId64 "\n",
                   o->data, r.nodes, r.features, r.classes, r.split[0], r.split[1], r.split[2]);
            printf("seeds    %" PRIu64 "..%" PRIu64 " (%d per model), at most %d epochs\n", o->seed,
                   o->seed + (uint64_t)o->seeds - 1, o->seeds, o->epochs);
            printf("%-*s  %10s  %15s  %10s  %9s\n", width, "model", "params", "test_acc_%",
                   "ms/epoch", "peak_MiB");
        }
        char acc[48];
        if (isnan(r.acc_mean))
            snprintf(acc, sizeof acc, "-");
        else
            snprintf(acc, sizeof acc, "%.2f \u00b1 %.2f", 100 * r.acc_mean, 100 * r.acc_sd);
        /* "±" is two bytes but one column: pad by hand so that the columns align. */
        printf("%-*s  %10" PRId64 "  %*s  %10.3f  %9.1f\n", width, specs[k], r.params,
               isnan(r.acc_mean) ? 15 : 16, acc, r.ms_per_epoch, r.peak_mib);
        fflush(stdout);
    }
    return failed ? EXIT_RUNTIME : EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error("missing command (train, eval, compare or partition)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_help(stdout, 0);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lcnet (lconv) %s\n", lc_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "partition") == 0) return lcnet_partition(argc - 2, argv + 2);
    int command;
    if (strcmp(cmd, "train") == 0)
        command = CMD_TRAIN;
    else if (strcmp(cmd, "eval") == 0)
        command = CMD_EVAL;
    else if (strcmp(cmd, "compare") == 0)
        command = CMD_COMPARE;
    else if (strncmp(cmd, "-", 1) == 0)
        return usage_error("unknown option '%s'", cmd);
    else
        return usage_error("unknown command '%s'", cmd);

    options o = {
        .data = "karate",
        .model = DEFAULT_MODEL,
        .models = DEFAULT_MODELS,
        .epochs = 200,
        .lr = 0.01,
        .weight_decay = 5e-4,
        .dropout = -1,
        .patience = 10,
        .optim = LC_OPTIM_ADAM,
        .seed = 42,
        .seeds = 1,
        .threads = 1,
        .batch_size = 64,
        .rotate = -1,
    };
    int rc = parse_options(argc, argv, 2, command, &o);
    if (rc < 0) return EXIT_OK; /* help printed */
    if (rc != EXIT_OK) return rc;

    /* A bad spec is a usage error, found before any data is read. */
    lc_model_t *check = NULL;
    if (command == CMD_COMPARE && launched_by_mpi())
        return usage_error("compare forks a worker per model and does not run under mpirun: "
                           "use 'lcnet train' there");
    if (command == CMD_COMPARE) {
        static char buf[8192];
        const char *specs[MAX_MODELS];
        int count = 0;
        if ((rc = split_models(o.models, buf, sizeof buf, specs, &count)) != EXIT_OK) return rc;
        for (int k = 0; k < count; k++) {
            if (make_model(&o, specs[k], &check) != LC_OK)
                return usage_error("%s: model %d '%s': %s",
                                   o.hidden > 0 ? "--models/--hidden" : "--models", k + 1, specs[k],
                                   lc_last_error());
            lc_model_free(&check);
        }
        if (lc_device_available(o.device) != LC_OK) return runtime_error();
        return run_compare(&o, specs, count);
    }
    if (make_model(&o, o.model, &check) != LC_OK)
        return usage_error("%s: %s", o.hidden > 0 ? "--model/--hidden" : "--model",
                           lc_last_error());
    /* options that would change nothing: said, not silently dropped */
    if (o.dropout >= 0 && !strstr(lc_model_spec(check), "dropout") && !launched_as_other_rank())
        fprintf(stderr, "lcnet: warning: --dropout %g: the model '%s' has no dropout layer\n",
                o.dropout, lc_model_spec(check));
    lc_model_free(&check);
    if (lc_device_available(o.device) != LC_OK) return runtime_error();
    if (!o.distributed && !launched_by_mpi()) {
        if (o.dist_check || o.dist_timeout > 0)
            fprintf(stderr, "lcnet: warning: --dist-check and --dist-timeout act under mpirun "
                            "(or with --distributed) alone\n");
        return run(&o, command);
    }

    /* Data-parallel over the MPI job: rank 0 prints; a failure ends every rank
     * (the others would wait for it in the next collective). */
    if (lc_dist_init(&job, &argc, &argv) != LC_OK) return runtime_error();
    if (o.dist_check && lc_dist_set_check(job, o.dist_check) != LC_OK) return runtime_error();
    if (o.dist_timeout > 0 && lc_dist_set_timeout(job, o.dist_timeout) != LC_OK)
        return runtime_error();
    o.dist = job;
    if (lc_dist_rank(job) > 0 && !freopen("/dev/null", "w", stdout)) {
        fprintf(stderr, "lcnet: rank %d: cannot silence stdout: %s\n", lc_dist_rank(job),
                strerror(errno));
        lc_dist_abort(job, EXIT_RUNTIME);
    }
    rc = run(&o, command);
    if (rc != EXIT_OK) {
        fflush(NULL);
        lc_dist_abort(job, rc);
    }
    lc_dist_free(&job);
    return rc;
}
