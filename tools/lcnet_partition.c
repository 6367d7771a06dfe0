/* lcnet_partition.c — `lcnet partition`: split a graph into P parts and report the halo exchanges
 * that full-graph training across P processes would make, without training. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcnet_partition.h"
#include "lconv.h"

#define MAX_LIST 64

typedef struct {
    const char *data, *file, *write; /* write: the directory of the part files */
    int parts[MAX_LIST], n_parts;
    int64_t widths[MAX_LIST];
    int n_widths;
    int no_grad_first; /* the first SpMM acts on the input features: no backward exchange */
    lc_partition_method method;
    double bandwidth; /* GB/s per process */
    int threads;
} popts;

static int usage(const char *fmt, const char *arg)
{
    fputs("lcnet partition: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\ntry 'lcnet partition --help'\n", stderr);
    return 2;
}

static void help(void)
{
    fputs("usage: lcnet partition (--data SPEC | --file FILE) --parts P[,P...] [options]\n\n"
          "Split the rows of the graph's GCN operator (A + I) into P parts and report the\n"
          "communication of full-graph training on P processes, each owning one part:\n"
          "edge cut, halo rows per part, bytes exchanged per epoch by the SpMMs of one\n"
          "forward and one backward pass, and the time that takes. Trains nothing.\n\n"
          "options:\n"
          "  --data SPEC         data set (as for train); its graph is partitioned\n"
          "  --file FILE         a benchmark data file (bench/gcn_epoch --write): its edges\n"
          "  --parts LIST        part counts, e.g. 8,64,256 (each 1..rows)\n"
          "  --method NAME       metis (default when built with METIS) or block\n"
          "  --widths LIST       feature width of each SpMM of a forward pass (default: the\n"
          "                      GCN preset's, 16 and the number of classes); an L-conv\n"
          "                      layer of width W with p generators exchanges p·W wide rows\n"
          "                      when it projects first, its input width when it aggregates\n"
          "                      first (lc_i_expand_first), over the same halo rows\n"
          "  --no-grad-first     the first SpMM acts on the input features: no backward exchange\n"
          "  --bandwidth GBPS    link speed per process for the time column (default 25)\n"
          "  --threads N         threads (default 1)\n"
          "  --write DIR         also write DIR/part-K.lcp and DIR/part-K.edges.lcp (its edges,\n"
          "                      for L-conv), K = 0..P-1 (needs --data and one P): each rank of\n"
          "                      `mpirun -np P lcnet train --data parts:DIR` then loads its part\n"
          "                      alone (gcn, lconv, linear, relu, dropout layers)\n",
          stdout);
}

/* "8,64,256" into out[]: each in [lo, hi]. Returns the count, or -1. */
static int parse_list(const char *s, long lo, long hi, int64_t *out)
{
    int n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < lo || v > hi || n == MAX_LIST || (*end && *end != ','))
            return -1;
        out[n++] = v;
        s = *end ? end + 1 : end;
        if (*end && !*s) return -1; /* a trailing comma */
    }
    return n;
}

static int parse(int argc, char **argv, popts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) return help(), -1;
        if (!strcmp(a, "--no-grad-first")) {
            o->no_grad_first = 1;
            continue;
        }
        static const char *const valued[] = {"--data",   "--file",      "--parts",   "--method",
                                             "--widths", "--bandwidth", "--threads", "--write"};
        size_t k = 0;
        while (k < sizeof valued / sizeof valued[0] && strcmp(a, valued[k]))
            k++;
        if (k == sizeof valued / sizeof valued[0]) return usage("unknown option '%s'", a);
        if (i + 1 >= argc || !*argv[i + 1]) return usage("%s needs a value", a);
        const char *v = argv[++i];
        int64_t list[MAX_LIST];
        char *end;
        switch (k) {
        case 0:
            o->data = v;
            break;
        case 1:
            o->file = v;
            break;
        case 2:
            if ((o->n_parts = parse_list(v, 1, 1L << 30, list)) < 1)
                return usage("--parts: '%s' is not a list of part counts >= 1", v);
            for (int p = 0; p < o->n_parts; p++)
                o->parts[p] = (int)list[p];
            break;
        case 3:
            if (!strcmp(v, "metis"))
                o->method = LC_PARTITION_METIS;
            else if (!strcmp(v, "block"))
                o->method = LC_PARTITION_BLOCK;
            else
                return usage("--method: '%s' is not metis or block", v);
            break;
        case 4:
            if ((o->n_widths = parse_list(v, 1, 1L << 24, o->widths)) < 1)
                return usage("--widths: '%s' is not a list of widths >= 1", v);
            break;
        case 5:
            o->bandwidth = strtod(v, &end);
            if (*end || !(o->bandwidth > 0 && o->bandwidth < 1e9))
                return usage("--bandwidth: '%s' is not a speed > 0 in GB/s", v);
            break;
        case 6:
            o->threads = (int)strtol(v, &end, 10);
            if (*end || o->threads < 0 || o->threads > 4096)
                return usage("--threads: '%s' is not in 0..4096", v);
            break;
        case 7:
            o->write = v;
            break;
        }
    }
    if (!o->data == !o->file) return usage("%s", "give one of --data SPEC and --file FILE");
    if (!o->n_parts) return usage("%s", "--parts is required");
    if (o->write && (!o->data || o->n_parts != 1 || o->parts[0] < 2))
        return usage("%s", "--write needs --data and one part count of 2 or more");
    return 0;
}

/* The pattern of A + I from a benchmark data file's edge list (the format
 * of bench/datafile.h: "LCBENCH1", int64 n, m, f, classes, feat_nnz, then
 * int64 tail[m], head[m], ...); *classes gets its class count. */
static lc_status read_bench_graph(const char *path, lc_csr_t **op, int64_t *classes)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "lcnet partition: cannot open '%s': %s\n", path, strerror(errno));
        return LC_ERR_IO;
    }
    char magic[8];
    int64_t hdr[5];
    lc_status st = LC_ERR_PARSE;
    int64_t *rows = NULL, *cols = NULL;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "LCBENCH1", 8) || fread(hdr, 8, 5, f) != 5 ||
        hdr[0] < 1 || hdr[0] > INT32_MAX || hdr[1] < 0 || hdr[1] > ((int64_t)1 << 36)) {
        fprintf(stderr, "lcnet partition: '%s' is not a benchmark data file (LCBENCH1)\n", path);
        goto done;
    }
    const int64_t n = hdr[0], m = hdr[1];
    rows = malloc((size_t)(m + n) * sizeof *rows);
    cols = malloc((size_t)(m + n) * sizeof *cols);
    if (!rows || !cols) {
        fprintf(stderr, "lcnet partition: out of memory for %" PRId64 " edges\n", m);
        st = LC_ERR_OUT_OF_MEMORY;
        goto done;
    }
    if (fread(rows, 8, (size_t)m, f) != (size_t)m || fread(cols, 8, (size_t)m, f) != (size_t)m) {
        fprintf(stderr, "lcnet partition: '%s' is truncated in its edge list\n", path);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        rows[m + i] = cols[m + i] = i; /* GCN's self-loops */
    if ((st = lc_csr_from_coo(op, n, n, m + n, rows, cols, NULL)))
        fprintf(stderr, "lcnet partition: '%s': %s\n", path, lc_last_error());
    *classes = hdr[3];
done:
    free(rows);
    free(cols);
    fclose(f);
    return st;
}

int lcnet_partition(int argc, char **argv)
{
    popts o = {.bandwidth = 25, .threads = 1, .method = LC_PARTITION_METIS};
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (lc_set_threads(o.threads)) return fprintf(stderr, "lcnet: %s\n", lc_last_error()), 1;
    lc_dataset_t *ds = NULL;
    lc_csr_t *owned = NULL;
    const lc_csr_t *op = NULL;
    int32_t *part = NULL;
    int64_t classes = 0;
    rc = 1;
    if (o.file) {
        if (read_bench_graph(o.file, &owned, &classes)) goto done;
        op = owned;
    } else if (lc_dataset_load(&ds, o.data, NULL) ||
               lc_graph_gcn_operator(lc_dataset_graph(ds), &op)) {
        fprintf(stderr, "lcnet partition: %s\n", lc_last_error());
        goto done;
    } else {
        classes = lc_dataset_num_classes(ds);
    }
    if (!o.n_widths) { /* the GCN preset: Â after the projection to 16, then to the classes */
        o.widths[0] = 16, o.widths[1] = classes > 0 ? classes : 16;
        o.n_widths = 2;
    }
    const int64_t n = lc_csr_rows(op);
    /* bytes a halo row carries per epoch: 4 per float, forward and (with a gradient) backward */
    int64_t row_bytes = 0;
    for (int k = 0; k < o.n_widths; k++)
        row_bytes += 4 * o.widths[k] * (k == 0 && o.no_grad_first ? 1 : 2);
    printf("graph    %s  rows %" PRId64 "  nonzeros %" PRId64 " (A + I)\n",
           o.file ? o.file : o.data, n, lc_csr_nnz(op));
    printf("exchange widths");
    for (int k = 0; k < o.n_widths; k++)
        printf("%s%" PRId64, k ? "," : " ", o.widths[k]);
    printf(" (forward%s), %" PRId64 " bytes per halo row per epoch; links %g GB/s\n",
           o.no_grad_first ? "; backward from the second" : " and backward", row_bytes,
           o.bandwidth);
    printf("%6s  %6s  %12s  %6s  %10s  %10s  %10s  %10s  %10s  %5s  %12s  %10s\n", "parts",
           "method", "edge_cut", "cut_%", "rows_min", "rows_max", "halo_min", "halo_mean",
           "halo_max", "peers", "MB/epoch", "ms/epoch");
    part = malloc((size_t)n * sizeof *part);
    if (!part) {
        fputs("lcnet partition: out of memory\n", stderr);
        goto done;
    }
    for (int k = 0; k < o.n_parts; k++) {
        lc_partition_stats s;
        if (lc_partition(op, o.parts[k], o.method, part) ||
            lc_partition_stats_of(op, o.parts[k], part, &s)) {
            fprintf(stderr, "lcnet partition: %s\n", lc_last_error());
            goto done;
        }
        /* all parts' traffic, and the time of the busiest part's receives */
        const double mb = (double)s.halo_total * (double)row_bytes / 1e6;
        const double ms = (double)s.halo_max * (double)row_bytes / (o.bandwidth * 1e9) * 1e3;
        printf("%6d  %6s  %12" PRId64 "  %6.2f  %10" PRId64 "  %10" PRId64 "  %10" PRId64
               "  %10.0f  %10" PRId64 "  %5" PRId64 "  %12.3f  %10.4f\n",
               s.parts, o.method == LC_PARTITION_METIS ? "metis" : "block", s.edge_cut,
               100.0 * (double)s.edge_cut / (double)(s.nnz ? s.nnz : 1), s.rows_min, s.rows_max,
               s.halo_min, (double)s.halo_total / s.parts, s.halo_max, s.peers_max, mb, ms);
        fflush(stdout);
        if (s.rows_min == 0) /* METIS may leave parts empty on a small graph */
            fprintf(stderr,
                    "lcnet partition: note: %d parts leave at least one empty; it trains on "
                    "nothing, and its rank waits on the others\n",
                    s.parts);
        if (o.write) {
            if (lc_dataset_write_parts(ds, part, o.parts[k], o.write)) {
                fprintf(stderr, "lcnet partition: %s\n", lc_last_error());
                goto done;
            }
            printf("wrote %s/part-0.lcp ... part-%d.lcp and their .edges.lcp\n", o.write,
                   o.parts[k] - 1);
        }
    }
    rc = 0;
done:
    free(part);
    lc_csr_free(&owned);
    lc_dataset_free(&ds);
    return rc;
}
