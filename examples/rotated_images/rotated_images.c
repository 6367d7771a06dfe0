/* rotated_images.c — the paper's image experiment: L-conv vs CNN vs fully connected on plain,
 * rotated, and rotated + scrambled MNIST / Fashion-MNIST (Dehmamy et al. 2021, §5). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lconv.h>

/* One hidden layer, flatten, dense output: about 125k–255k parameters each. */
static const struct {
    const char *name, *spec;
} models[] = {
    {"lconv", "lowrank:16:p=7:r=8,relu,flatten,linear"}, /* low-rank L-conv */
    {"cnn3", "lattice:32:k=3,relu,flatten,linear"},      /* CNN as lattice L-conv */
    {"cnn5", "lattice:32:k=5,relu,flatten,linear"},
    {"fc", "flatten,linear:320,relu,linear"},                      /* fully connected */
    {"random-L", "lowrank:16:p=7:r=8:frozen,relu,flatten,linear"}, /* frozen random generators */
    /* the same with 27 filters: as many trained parameters as lconv (211 933 against 213 402) */
    {"random-L-wide", "lowrank:27:p=7:r=8:frozen,relu,flatten,linear"},
};
#define N_MODELS (int)(sizeof models / sizeof models[0])
static const char *const conditions[3] = {"plain", "rotated", "rot+scrambled"};

typedef struct {
    const char *data, *name, *out;
    int epochs, seeds, batch, train_samples, threads;
    double lr, max_degrees;
    unsigned model_mask, condition_mask;
} options;

static void usage(FILE *f)
{
    fputs("usage: rotated_images [--data DIR] [--name NAME] [--epochs N] [--seeds N]\n"
          "         [--train-samples N] [--batch-size N] [--lr X] [--models a,b,..]\n"
          "         [--conditions plain,rotated,rot+scrambled] [--out DIR] [--threads N] [--full]\n"
          "DIR holds MNIST-named IDX files (t10k-*, and train-* if present).\n"
          "Default: MNIST test set of $LCONV_DATA_DIR (../shared/data), its 8000 training images,\n"
          "2 epochs, 1 seed (about 1 min); --full: 10 epochs, 3 seeds.\n"
          "Models: lconv cnn3 cnn5 fc random-L random-L-wide.\n"
          "The test accuracy after every epoch goes to the curves (val_acc) and the peak to the\n"
          "result lines; only the last epoch's counts as the result.\n",
          f);
}

/* "a,b,c" → bit mask over names; -1 on an unknown name. */
static long name_mask(const char *list, const char *const *names, int count)
{
    unsigned mask = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < count && !(strlen(names[k]) == len && strncmp(p, names[k], len) == 0)) k++;
        if (k == count) return -1;
        mask |= 1u << k;
        p += len + (p[len] == ',');
    }
    return mask;
}

static int parse(int argc, char **argv, options *o)
{
    const char *model_names[N_MODELS];
    for (int k = 0; k < N_MODELS; k++) model_names[k] = models[k].name;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--full")) {
            o->epochs = 10, o->seeds = 3, o->train_samples = 0;
            continue;
        }
        if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "rotated_images: %s needs a value\n", a);
            return 2;
        }
        i++;
        char *end = NULL;
        long n = strtol(v, &end, 10);
        const int is_int = *v && !*end;
        if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--name")) o->name = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--epochs") && is_int && n >= 1) o->epochs = (int)n;
        else if (!strcmp(a, "--seeds") && is_int && n >= 1 && n <= 100) o->seeds = (int)n;
        else if (!strcmp(a, "--batch-size") && is_int && n >= 1) o->batch = (int)n;
        else if (!strcmp(a, "--threads") && is_int && n >= 0) o->threads = (int)n;
        else if (!strcmp(a, "--train-samples") && is_int && n >= 0) o->train_samples = (int)n;
        else if (!strcmp(a, "--lr") && (o->lr = strtod(v, &end)) > 0 && !*end) continue;
        else if (!strcmp(a, "--models") && name_mask(v, model_names, N_MODELS) > 0)
            o->model_mask = (unsigned)name_mask(v, model_names, N_MODELS);
        else if (!strcmp(a, "--conditions") && name_mask(v, conditions, 3) > 0)
            o->condition_mask = (unsigned)name_mask(v, conditions, 3);
        else {
            fprintf(stderr, "rotated_images: bad option or value: %s %s\n", a, v);
            usage(stderr);
            return 2;
        }
    }
    return 0;
}

/* The dataset of one condition: loaded, then rotated and scrambled with fixed
 * seeds (one rotated copy of each image, one permutation for all images, as
 * in the paper), then its training set cut to the first `keep` images. The
 * test images are also the validation split, so that training logs their
 * accuracy after every epoch; nothing is selected or stopped on it (no
 * patience, no keep_best). */
static lc_status load(const options *o, int condition, lc_dataset_t **ds)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "mnist:%s", o->data);
    lc_status st = lc_dataset_load(ds, spec, NULL);
    if (!st && condition >= 1) st = lc_dataset_rotate_images(*ds, o->max_degrees, 1);
    if (!st && condition == 2) st = lc_dataset_scramble_nodes(*ds, 2);
    if (!st) {
        const int64_t rows = lc_dataset_num_samples(*ds);
        uint8_t *train = malloc((size_t)rows);
        const uint8_t *masks[3];
        for (int k = 0; k < 3; k++) masks[k] = lc_dataset_mask(*ds, k);
        if (!train) {
            fprintf(stderr, "rotated_images: cannot allocate the split of %lld images\n",
                    (long long)rows);
            lc_dataset_free(ds);
            return LC_ERR_OUT_OF_MEMORY;
        }
        int64_t kept = 0;
        for (int64_t r = 0; r < rows; r++) {
            train[r] = masks[0][r] && (o->train_samples == 0 || kept < o->train_samples);
            kept += train[r];
        }
        st = lc_dataset_set_split(*ds, train, masks[2], masks[2]);
        free(train);
    }
    if (st) lc_dataset_free(ds);
    return st;
}

/* The best val_acc of a training log (epoch,train_loss,val_loss,val_acc,seconds) and its epoch. */
static int peak_of_log(const char *path, double *peak, int *epoch)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int e;
    double loss, val_loss, val_acc;
    *peak = -1, *epoch = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%d,%lf,%lf,%lf", &e, &loss, &val_loss, &val_acc) == 4 && val_acc > *peak)
            *peak = val_acc, *epoch = e;
    fclose(f);
    return *epoch ? 0 : -1;
}

/* Mean ± std (in %) of acc[0..seeds) as a table cell. */
static void print_cell(const double *acc, int seeds)
{
    double mean = 0, sq = 0;
    for (int s = 0; s < seeds; s++)
        mean += acc[s] / seeds;
    for (int s = 0; s < seeds; s++)
        sq += (acc[s] - mean) * (acc[s] - mean);
    const double sd = seeds > 1 ? sqrt(sq / (seeds - 1)) : 0;
    printf(" %.2f ± %.2f |", 100 * mean, 100 * sd);
}

int main(int argc, char **argv)
{
    const char *root = getenv("LCONV_DATA_DIR");
    static char default_data[4096];
    snprintf(default_data, sizeof default_data, "%s/mnist-test", root ? root : "../shared/data");
    options o = {.data = default_data, .name = "mnist", .out = "rotated_images_out", .epochs = 2,
                 .seeds = 1, .batch = 64, .train_samples = 0, .threads = 1, .lr = 1e-3,
                 .max_degrees = 90, .model_mask = (1u << N_MODELS) - 1, .condition_mask = 7};
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "rotated_images: cannot create '%s': %s\n", o.out, strerror(errno));
        return 1;
    }
    if (lc_set_threads(o.threads) != LC_OK) {
        fprintf(stderr, "rotated_images: %s\n", lc_last_error());
        return 1;
    }
    double acc[3][N_MODELS][100], peak[3][N_MODELS][100];
    int64_t params[N_MODELS] = {0};
    for (int c = 0; c < 3; c++) {
        if (!(o.condition_mask >> c & 1)) continue;
        lc_dataset_t *ds = NULL;
        if (load(&o, c, &ds) != LC_OK) {
            fprintf(stderr, "rotated_images: %s\n", lc_last_error());
            return 1;
        }
        for (int k = 0; k < N_MODELS; k++) {
            if (!(o.model_mask >> k & 1)) continue;
            for (int s = 0; s < o.seeds; s++) {
                lc_model_t *m = NULL;
                lc_train_config cfg = lc_train_defaults();
                char log[4400];
                snprintf(log, sizeof log, "%s/%s-%s-%s-seed%d.csv", o.out, o.name, conditions[c],
                         models[k].name, s);
                cfg.epochs = o.epochs, cfg.lr = (float)o.lr, cfg.weight_decay = 0;
                cfg.patience = 0, cfg.batch_size = o.batch, cfg.seed = 42 + (uint64_t)s;
                cfg.log_csv = log;
                lc_train_result res;
                if (lc_model_from_spec(&m, models[k].spec) || lc_model_train(m, ds, &cfg, &res)) {
                    fprintf(stderr, "rotated_images: %s: %s\n", models[k].name, lc_last_error());
                    return 1;
                }
                params[k] = lc_model_num_params(m);
                acc[c][k][s] = res.final.accuracy[2];
                int peak_epoch;
                if (peak_of_log(log, &peak[c][k][s], &peak_epoch)) {
                    fprintf(stderr, "rotated_images: '%s': no epoch with a test accuracy\n", log);
                    return 1;
                }
                printf("result dataset=%s condition=%s model=%s seed=%d epochs=%d acc=%.4f "
                       "peak_acc=%.4f peak_epoch=%d train_loss=%.4f seconds=%.1f\n",
                       o.name, conditions[c], models[k].name, s, res.epochs_run,
                       res.final.accuracy[2], peak[c][k][s], peak_epoch, res.final.loss[0],
                       res.seconds);
                fflush(stdout);
                lc_model_free(&m);
            }
        }
        lc_dataset_free(&ds);
    }
    for (int table = 0; table < 2; table++) {
        printf("\n%s: %s test accuracy %% (mean ± std over %d seed%s, %d epoch%s)\n", o.name,
               table ? "peak (the best epoch's, a diagnostic chosen on the test images)"
                     : "last epoch's",
               o.seeds, o.seeds > 1 ? "s" : "", o.epochs, o.epochs > 1 ? "s" : "");
        printf("| model | parameters |");
        for (int c = 0; c < 3; c++)
            if (o.condition_mask >> c & 1) printf(" %s |", conditions[c]);
        printf("\n|---|---|");
        for (int c = 0; c < 3; c++)
            if (o.condition_mask >> c & 1) printf("---|");
        printf("\n");
        for (int k = 0; k < N_MODELS; k++) {
            if (!(o.model_mask >> k & 1)) continue;
            printf("| %s | %lld |", models[k].name, (long long)params[k]);
            for (int c = 0; c < 3; c++)
                if (o.condition_mask >> c & 1) print_cell(table ? peak[c][k] : acc[c][k], o.seeds);
            printf("\n");
        }
    }
    return 0;
}
