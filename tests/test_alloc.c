/* test_alloc.c — allocation-failure sweeps: through lc_set_allocator the k-th allocation fails,
 * for every k an operation reaches, and each failure must be reported, leak nothing and leave
 * the objects usable. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

/* ---------- the counting allocator ---------- */

static struct {
    long calls;   /* allocation requests since the last reset */
    long fail_at; /* the request that returns NULL (0: none) */
    bool sticky;  /* every request after fail_at fails too (memory stays exhausted) */
    bool failed;  /* fail_at was reached */
    long live;    /* blocks handed out and not yet freed, since the hook went in */
} alloc;

/* One allocation request: false when it must fail. */
static bool alloc_allowed(void)
{
    ++alloc.calls;
    if (alloc.fail_at &&
        (alloc.calls == alloc.fail_at || (alloc.sticky && alloc.calls > alloc.fail_at))) {
        alloc.failed = true;
        return false;
    }
    return true;
}

static void *count_malloc(size_t size)
{
    void *p = alloc_allowed() ? malloc(size) : NULL;
    if (p) alloc.live++;
    return p;
}

static void *count_calloc(size_t count, size_t size)
{
    void *p = alloc_allowed() ? calloc(count, size) : NULL;
    if (p) alloc.live++;
    return p;
}

static void *count_realloc(void *ptr, size_t size)
{
    void *p = alloc_allowed() ? realloc(ptr, size) : NULL;
    if (p && !ptr) alloc.live++;
    return p;
}

static void count_free(void *ptr)
{
    if (ptr) alloc.live--;
    free(ptr);
}

static void alloc_arm(long k, bool sticky)
{
    alloc.calls = 0;
    alloc.fail_at = k;
    alloc.sticky = sticky;
    alloc.failed = false;
}

/* ---------- the sweep ---------- */

/* One operation under test. setup and check run with no failure injected;
 * run gets the failing allocation. check verifies the state after run (the
 * outputs on success; on failure, handles still NULL and objects usable) and
 * frees everything setup and run made. */
typedef struct {
    const char *name;
    void (*setup)(void); /* may be NULL */
    lc_status (*run)(void);
    void (*check)(lc_status st);
} sweep_op;

#define SWEEP_LIMIT 100000
#define SENTINEL "sentinel: no error raised yet"

/* "lc_x: ..." where lc_x is a public function, not a helper's or a static name. */
static bool names_public_function(const char *msg)
{
    size_t name_len = strcspn(msg, ":");
    return msg[name_len] == ':' && !strncmp(msg, "lc_", 3) && strncmp(msg, "lc_i_", 5) &&
           strcspn(msg, " ") > name_len;
}

/* Run op with allocation k failing for k = 1, 2, ... until a run reaches no
 * k-th allocation; returns the number of allocation points (the last k - 1).
 * sticky: allocations after the k-th fail too, so that a cleanup path that
 * allocates is caught as well. */
static long sweep_mode(const sweep_op *op, bool sticky)
{
    long k;
    int bad = 0; /* report the first few offenders, not thousands */
    const bool trace = getenv("LC_ALLOC_TRACE") != NULL; /* every failure's status and message */
    for (k = 1; k < SWEEP_LIMIT; k++) {
        long live0 = alloc.live;
        if (op->setup) op->setup();
        lc_i_error(LC_OK, "sentinel", "no error raised yet");
        alloc_arm(k, sticky);
        lc_status st = op->run();
        bool reached = alloc.failed;
        alloc_arm(0, false);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lc_last_error());
        if (reached && trace)
            fprintf(stderr, "%s\t%ld\t%s\t%s\n", op->name, k, lc_status_name(st), msg);
        if (reached) {
            /* GraphBLAS, igraph and CHOLMOD never call the hook, so an injected
             * failure is always lconv's own: LC_ERR_BACKEND would be wrong here */
            bool status_ok = st == LC_ERR_OUT_OF_MEMORY;
            /* raised by this failure, and naming a public function */
            bool message_ok = strcmp(msg, SENTINEL) != 0 && names_public_function(msg);
            if ((!status_ok || !message_ok) && bad++ < 5)
                fprintf(stderr, "\n  %s: allocation %ld%s failed -> %s, message '%s'\n", op->name,
                        k, sticky ? " and on" : "", lc_status_name(st), msg);
            CU_ASSERT(status_ok);
            CU_ASSERT(message_ok);
        }
        op->check(st);
        if (alloc.live != live0 && bad++ < 5)
            fprintf(stderr, "\n  %s: allocation %ld%s failed -> %ld block(s) leaked\n", op->name, k,
                    sticky ? " and on" : "", alloc.live - live0);
        CU_ASSERT_EQUAL(alloc.live, live0);
        if (!reached) {
            CU_ASSERT_EQUAL(st, LC_OK);
            break;
        }
    }
    CU_ASSERT(k < SWEEP_LIMIT);
    return k - 1;
}

/* Both modes; they must agree on the number of allocation points. */
static long sweep(const sweep_op *op)
{
    long once = sweep_mode(op, false), sticky = sweep_mode(op, true);
    CU_ASSERT_EQUAL(once, sticky);
    printf("\n  %s: %ld allocation points swept ", op->name, once);
    return once;
}

/* ---------- comparisons with results made without failures ---------- */

static bool same_graph(const lc_graph_t *a, const lc_graph_t *b)
{
    int64_t m = lc_graph_num_edges(a);
    if (lc_graph_num_nodes(a) != lc_graph_num_nodes(b) || m != lc_graph_num_edges(b)) return false;
    return !memcmp(lc_graph_tails(a), lc_graph_tails(b), (size_t)m * sizeof(int64_t)) &&
           !memcmp(lc_graph_heads(a), lc_graph_heads(b), (size_t)m * sizeof(int64_t)) &&
           !memcmp(lc_graph_weights(a), lc_graph_weights(b), (size_t)m * sizeof(float));
}

static bool same_csr(const lc_csr_t *a, const lc_csr_t *b)
{
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols || a->nnz != b->nnz) return false;
    return !memcmp(a->rowptr, b->rowptr, (size_t)(a->n_rows + 1) * sizeof *a->rowptr) &&
           !memcmp(a->col, b->col, (size_t)a->nnz * sizeof *a->col) &&
           !memcmp(a->val, b->val, (size_t)a->nnz * sizeof *a->val);
}

static bool same_dataset(const lc_dataset_t *a, const lc_dataset_t *b)
{
    int64_t n = lc_dataset_num_nodes(a);
    if (n != lc_dataset_num_nodes(b) || lc_dataset_num_features(a) != lc_dataset_num_features(b) ||
        lc_dataset_num_classes(a) != lc_dataset_num_classes(b))
        return false;
    if (!same_graph(lc_dataset_graph(a), lc_dataset_graph(b))) return false;
    if (memcmp(lc_dataset_labels(a), lc_dataset_labels(b), (size_t)n * sizeof(int32_t)))
        return false;
    for (int k = 0; k < 3; k++)
        if (memcmp(lc_dataset_mask(a, k), lc_dataset_mask(b, k), (size_t)n)) return false;
    const lc_tensor_t *sa = lc_dataset_samples(a), *sb = lc_dataset_samples(b);
    if (!sa != !sb) return false;
    if (sa) /* graph-level data: labels and masks are per sample */
        return sa->numel == sb->numel && !memcmp(sa->data, sb->data, (size_t)sa->numel * 4) &&
               !memcmp(lc_dataset_labels(a), lc_dataset_labels(b),
                       (size_t)sa->shape[0] * sizeof(int32_t)) &&
               !memcmp(lc_dataset_mask(a, 0), lc_dataset_mask(b, 0), (size_t)sa->shape[0]) &&
               !memcmp(lc_dataset_mask(a, 1), lc_dataset_mask(b, 1), (size_t)sa->shape[0]) &&
               !memcmp(lc_dataset_mask(a, 2), lc_dataset_mask(b, 2), (size_t)sa->shape[0]);
    const lc_tensor_t *xa = lc_dataset_features(a), *xb = lc_dataset_features(b);
    if (!xa != !xb) return false;
    if (xa)
        return xa->numel == xb->numel &&
               !memcmp(xa->data, xb->data, (size_t)xa->numel * sizeof(float));
    return same_csr(lc_dataset_sparse_features(a), lc_dataset_sparse_features(b));
}

/* Every parameter of two built models, bit for bit. */
static bool same_params(lc_model_t *a, lc_model_t *b)
{
    lc_cgraph_t *ga = lc_model_graph(a), *gb = lc_model_graph(b);
    if (!ga || !gb || lc_cg_num_params(ga) != lc_cg_num_params(gb)) return false;
    for (int i = 0; i < lc_cg_num_params(ga); i++) {
        const lc_tensor_t *x = lc_cg_param_tensor(ga, i), *y = lc_cg_param_tensor(gb, i);
        if (x->numel != y->numel || memcmp(x->data, y->data, (size_t)x->numel * sizeof(float)))
            return false;
    }
    return true;
}

/* All parameters of a built model into one malloc'd array (the caller frees it). */
static float *param_snapshot(lc_model_t *m, size_t *len)
{
    lc_cgraph_t *cg = lc_model_graph(m);
    size_t total = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++)
        total += (size_t)lc_cg_param_tensor(cg, i)->numel;
    float *out = malloc(total * sizeof *out);
    size_t off = 0;
    for (int i = 0; out && i < lc_cg_num_params(cg); i++) {
        const lc_tensor_t *t = lc_cg_param_tensor(cg, i);
        memcpy(out + off, t->data, (size_t)t->numel * sizeof(float));
        off += (size_t)t->numel;
    }
    *len = total;
    return out;
}

static bool params_equal_snapshot(lc_model_t *m, const float *snap, size_t len)
{
    size_t now_len;
    float *now = param_snapshot(m, &now_len);
    bool same = now && now_len == len && !memcmp(now, snap, len * sizeof *snap);
    free(now);
    return same;
}

/* ---------- state shared by the operations ---------- */

static char path_a[4200]; /* the file, directory or spec the current reader reads */
static int read_flags;
static lc_graph_t *graph, *ref_graph;
static lc_dataset_t *data, *ref_data;
static const lc_csr_t *gcn_op;
static const lc_csr_t *ref_gcn_op; /* owned by ref_graph */

/* ---------- readers ---------- */

static lc_status run_edgelist(void)
{
    return lc_read_edgelist(&graph, path_a, 0, read_flags);
}
static lc_status run_matrix_market(void)
{
    return lc_read_matrix_market(&graph, path_a, read_flags);
}

static void check_graph(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(graph);
    if (!st) CU_ASSERT(same_graph(graph, ref_graph));
    lc_graph_free(&graph);
}

static void sweep_graph_reader(const char *name, lc_status (*run)(void), const char *file,
                               int flags)
{
    snprintf(path_a, sizeof path_a, "%s", lc_test_file(file));
    read_flags = flags;
    LC_ASSERT_OK(run());
    ref_graph = graph;
    graph = NULL;
    CU_ASSERT_FATAL(lc_graph_num_edges(ref_graph) > 0);
    const sweep_op op = {name, NULL, run, check_graph};
    CU_ASSERT(sweep(&op) > 0);
    lc_graph_free(&ref_graph);
}

static void test_edgelist(void)
{
    sweep_graph_reader("lc_read_edgelist (edgelist_valid.txt)", run_edgelist, "edgelist_valid.txt",
                       LC_GRAPH_SYMMETRIZE | LC_GRAPH_SELF_LOOPS);
    sweep_graph_reader("lc_read_edgelist (edgelist_weighted.txt)", run_edgelist,
                       "edgelist_weighted.txt", LC_GRAPH_DIRECTED);
}

/* CHOLMOD parses the file with its own allocator; our allocations come after. */
static void test_matrix_market(void)
{
    sweep_graph_reader("lc_read_matrix_market (mm_general.mtx)", run_matrix_market,
                       "mm_general.mtx", LC_GRAPH_DIRECTED);
    sweep_graph_reader("lc_read_matrix_market (mm_symmetric.mtx)", run_matrix_market,
                       "mm_symmetric.mtx", LC_GRAPH_SELF_LOOPS);
}

static lc_status run_linqs(void)
{
    return lc_dataset_from_linqs(&data, path_a, NULL);
}
static lc_status run_planetoid(void)
{
    return lc_dataset_from_planetoid(&data, path_a, NULL);
}

static void check_dataset(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(data);
    if (!st) CU_ASSERT(same_dataset(data, ref_data));
    lc_dataset_free(&data);
}

static void sweep_dataset_reader(const char *name, lc_status (*run)(void), const char *file)
{
    snprintf(path_a, sizeof path_a, "%s", lc_test_file(file));
    LC_ASSERT_OK(run());
    ref_data = data;
    data = NULL;
    const sweep_op op = {name, NULL, run, check_dataset};
    CU_ASSERT(sweep(&op) > 0);
    lc_dataset_free(&ref_data);
}

static void test_linqs(void)
{
    sweep_dataset_reader("lc_dataset_from_linqs (linqs_valid)", run_linqs, "linqs_valid");
}

static void test_planetoid(void)
{
    sweep_dataset_reader("lc_dataset_from_planetoid (planetoid_ok)", run_planetoid, "planetoid_ok");
}

static lc_status run_load_edgelist(void)
{
    return lc_dataset_load(&data, path_a, NULL);
}

static void test_edgelist_dataset(void)
{
    snprintf(path_a, sizeof path_a, "edgelist:%s", lc_test_file("edgelist_valid.txt"));
    LC_ASSERT_OK(run_load_edgelist());
    ref_data = data;
    data = NULL;
    const sweep_op op = {"lc_dataset_load (edgelist:)", NULL, run_load_edgelist, check_dataset};
    CU_ASSERT(sweep(&op) > 0);
    lc_dataset_free(&ref_data);
}

/* igraph builds its graph with its own allocator (not swept); lconv's copy
 * of the edges and the dataset around it are. */
static lc_status run_karate(void)
{
    return lc_dataset_karate(&data);
}

static void test_karate(void)
{
    LC_ASSERT_OK(run_karate());
    ref_data = data;
    data = NULL;
    const sweep_op op = {"lc_dataset_karate", NULL, run_karate, check_dataset};
    CU_ASSERT(sweep(&op) > 0);
    lc_dataset_free(&ref_data);
}

static lc_status run_erdos_renyi(void)
{
    return lc_graph_erdos_renyi(&graph, 30, 60, 5, 0);
}

static void test_erdos_renyi(void)
{
    LC_ASSERT_OK(run_erdos_renyi());
    ref_graph = graph;
    graph = NULL;
    const sweep_op op = {"lc_graph_erdos_renyi", NULL, run_erdos_renyi, check_graph};
    CU_ASSERT(sweep(&op) > 0);
    lc_graph_free(&ref_graph);
}

static lc_status run_grid(void)
{
    return lc_graph_grid(&graph, 2, (const int64_t[]){4, 5}, 3, LC_BOUNDARY_PERIODIC);
}

/* The grid's positions and edge types too, not only its edges. */
static void check_grid(lc_status st)
{
    if (!st) {
        int da, db, ta, tb;
        const float *pa = lc_graph_positions(graph, &da), *pb = lc_graph_positions(ref_graph, &db);
        const int32_t *ea = lc_graph_edge_types(graph, &ta),
                      *eb = lc_graph_edge_types(ref_graph, &tb);
        int64_t n = lc_graph_num_nodes(graph), m = lc_graph_num_edges(graph);
        CU_ASSERT(pa && pb && da == db && !memcmp(pa, pb, (size_t)(n * da) * sizeof *pa));
        CU_ASSERT(ea && eb && ta == tb && !memcmp(ea, eb, (size_t)m * sizeof *ea));
    }
    check_graph(st);
}

static void test_grid(void)
{
    LC_ASSERT_OK(run_grid());
    ref_graph = graph;
    graph = NULL;
    const sweep_op op = {"lc_graph_grid", NULL, run_grid, check_grid};
    CU_ASSERT(sweep(&op) > 0);
    lc_graph_free(&ref_graph);
}

/* ---------- larger generated files: every growable buffer grows ---------- */

/* The committed files are small: no list outgrows its first block. These
 * pass 1024 entries (edge and label lists), 256 ids and 4096 bytes of names
 * (string tables) and hold a line longer than the 4096-byte line buffer. */
#define BIG_N 1100
static char gen_dir[256];

static FILE *gen_open(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", gen_dir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL(f);
    return f;
}

static void gen_remove(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", gen_dir, name);
    remove(path);
}

/* A LINQS paper id: paper 0's is 5000 characters long. */
static void put_paper_id(FILE *f, int i)
{
    if (i == 0)
        for (int k = 0; k < 5000; k++)
            fputc('x', f);
    else
        fprintf(f, "paper-number-%06d", i);
}

static bool generate_files(void)
{
    snprintf(gen_dir, sizeof gen_dir, "/tmp/lc_alloc_gen_XXXXXX");
    if (!mkdtemp(gen_dir)) return false;
    lc_rng_t rng;
    lc_rng_seed(&rng, 3);
    FILE *f = gen_open("big_edges.txt");
    if (!f) return false;
    fputs("# ", f);
    for (int k = 0; k < 5000; k++)
        fputc('-', f);
    fputc('\n', f);
    for (int e = 0; e < 3000; e++)
        fprintf(f, "%d %d\n", e % BIG_N, (int)(lc_rng_next(&rng) % BIG_N));
    fclose(f);

    if (!(f = gen_open("big.content"))) return false;
    for (int i = 0; i < BIG_N; i++) {
        put_paper_id(f, i);
        fprintf(f, "\t%d\t%d\t1\tclass-%d\n", i % 2, (i / 2) % 2, i % 3);
    }
    fclose(f);
    if (!(f = gen_open("big.cites"))) return false;
    for (int e = 0; e < 2500; e++) {
        put_paper_id(f, e % BIG_N);
        fputc('\t', f);
        put_paper_id(f, (int)(lc_rng_next(&rng) % BIG_N));
        fputc('\n', f);
    }
    fclose(f);

    if (!(f = gen_open("big.labels.txt"))) return false;
    for (int i = 0; i < BIG_N; i++)
        fprintf(f, "%d\n", i % 7 == 6 ? -1 : i % 3);
    fclose(f);
    if (!(f = gen_open("big.features.txt"))) return false;
    fprintf(f, "# %d 4 %d\n", BIG_N, 2 * BIG_N);
    for (int i = 0; i < BIG_N; i++)
        fprintf(f, "%d %d 1\n%d 3 0.5\n", i, i % 3, i);
    fclose(f);
    if (!(f = gen_open("big.edges.txt"))) return false;
    for (int e = 0; e < 2500; e++)
        fprintf(f, "%d %d\n", e % BIG_N, (int)(lc_rng_next(&rng) % BIG_N));
    fclose(f);
    if (!(f = gen_open("big.split.txt"))) return false;
    const char *set[3] = {"train", "val", "test"};
    for (int k = 0; k < 3; k++) { /* train 0-59, val 60-99, test: the labelled rest */
        fputs(set[k], f);
        int lo = k == 0 ? 0 : k == 1 ? 60 : 100, hi = k == 0 ? 60 : k == 1 ? 100 : BIG_N;
        for (int i = lo; i < hi; i++)
            if (i % 7 != 6) fprintf(f, " %d", i);
        fputc('\n', f);
    }
    fclose(f);
    return true;
}

static void remove_generated(void)
{
    static const char *const names[] = {"big_edges.txt",  "big.content",      "big.cites",
                                        "big.labels.txt", "big.features.txt", "big.edges.txt",
                                        "big.split.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        gen_remove(names[i]);
    rmdir(gen_dir);
}

static void test_generated(void)
{
    CU_ASSERT_FATAL(generate_files());
    snprintf(path_a, sizeof path_a, "%s/big_edges.txt", gen_dir);
    read_flags = LC_GRAPH_SYMMETRIZE;
    LC_ASSERT_OK(run_edgelist());
    ref_graph = graph;
    graph = NULL;
    if (ref_graph) {
        CU_ASSERT_EQUAL(lc_graph_num_nodes(ref_graph), BIG_N);
        const sweep_op el = {"lc_read_edgelist (3000 edges, a 5000-byte line)", NULL, run_edgelist,
                             check_graph};
        CU_ASSERT(sweep(&el) > 0);
        lc_graph_free(&ref_graph);
    }

    snprintf(path_a, sizeof path_a, "%s", gen_dir);
    LC_ASSERT_OK(run_linqs());
    ref_data = data;
    data = NULL;
    if (ref_data) {
        CU_ASSERT_EQUAL(lc_dataset_num_nodes(ref_data), BIG_N);
        const sweep_op lq = {"lc_dataset_from_linqs (1100 papers, a 5000-byte id)", NULL, run_linqs,
                             check_dataset};
        CU_ASSERT(sweep(&lq) > 0);
        lc_dataset_free(&ref_data);
    }

    snprintf(path_a, sizeof path_a, "%s/big", gen_dir);
    LC_ASSERT_OK(run_planetoid());
    ref_data = data;
    data = NULL;
    if (ref_data) {
        CU_ASSERT_EQUAL(lc_dataset_num_nodes(ref_data), BIG_N);
        const sweep_op pl = {"lc_dataset_from_planetoid (1100 nodes, a long split line)", NULL,
                             run_planetoid, check_dataset};
        CU_ASSERT(sweep(&pl) > 0);
        lc_dataset_free(&ref_data);
    }
    remove_generated();
}

/* ---------- lc_graph_from_edges + lc_graph_gcn_operator ---------- */

static const int64_t ring_tail[] = {0, 1, 2, 3, 4, 5, 0, 2, 6};
static const int64_t ring_head[] = {1, 2, 3, 4, 5, 0, 3, 5, 6};
static const float ring_weight[] = {1, 2, 1, 1, 0.5f, 1, 3, 1, 1};
#define RING_N 8 /* node 7 is isolated */
#define RING_M 9

static lc_status run_gcn(void)
{
    lc_status st = lc_graph_from_edges(&graph, RING_N, RING_M, ring_tail, ring_head, ring_weight,
                                       LC_GRAPH_SYMMETRIZE);
    if (st) return st;
    return lc_graph_gcn_operator(graph, &gcn_op);
}

static void check_gcn(lc_status st)
{
    if (st && graph) {
        /* the graph survived a failed operator: it must still give the right one */
        CU_ASSERT(same_graph(graph, ref_graph));
        gcn_op = NULL;
        LC_ASSERT_OK(lc_graph_gcn_operator(graph, &gcn_op));
    }
    if (graph) {
        CU_ASSERT_PTR_NOT_NULL(gcn_op);
        if (gcn_op) CU_ASSERT(same_csr(gcn_op, ref_gcn_op));
    }
    lc_graph_free(&graph);
    gcn_op = NULL;
}

static void test_gcn_operator(void)
{
    LC_ASSERT_OK(run_gcn());
    ref_graph = graph;
    ref_gcn_op = gcn_op;
    graph = NULL;
    gcn_op = NULL;
    /* Â has the self loops and both directions: more entries than edges */
    CU_ASSERT_FATAL(ref_gcn_op->nnz > RING_M);
    const sweep_op op = {"lc_graph_from_edges + lc_graph_gcn_operator", NULL, run_gcn, check_gcn};
    CU_ASSERT(sweep(&op) > 0);
    lc_graph_free(&ref_graph);
}

/* ---------- models ---------- */

/* Several layer families, so that each one's build is swept. */
static const char *const citation_spec =
    "dropout:0.5,gcn:8,relu,lconv:6:p=2,elu,lowrank:6:p=2:r=2,tanh,linear";
/* The lattice families, on a grid (they need its positions and edge types). */
static const char *const grid_spec = "lattice:4,relu,shared:4:p=2,leaky_relu,linear";
static const char *model_spec;

static lc_model_t *model, *ref_model;
static lc_train_config train_cfg;
static char ckpt_dir[256], ckpt_path[512];

static char ref_spec[1024]; /* lc_model_spec of the reference (a copy: the model caches it) */

static lc_status run_from_spec(void)
{
    return lc_model_from_spec(&model, model_spec);
}

static void check_from_spec(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(model);
    if (!st) CU_ASSERT_STRING_EQUAL(lc_model_spec(model), ref_spec);
    lc_model_free(&model);
}

static void fresh_model(void)
{
    LC_ASSERT_OK(lc_model_from_spec(&model, model_spec));
}

static void built_model(void)
{
    fresh_model();
    LC_ASSERT_OK(lc_model_build(model, data, &train_cfg));
}

/* Built with another seed: other parameters, the same names and shapes. */
static void other_model(void)
{
    fresh_model();
    lc_train_config other = train_cfg;
    other.seed = 7;
    LC_ASSERT_OK(lc_model_build(model, data, &other));
}

static lc_status run_build(void)
{
    return lc_model_build(model, data, &train_cfg);
}

/* The model as built with the same seed from a clean start: same parameters
 * and the same evaluation. */
static void assert_like_reference(void)
{
    CU_ASSERT(same_params(model, ref_model));
    lc_eval_result a, b;
    LC_ASSERT_OK(lc_model_evaluate(model, data, &a));
    LC_ASSERT_OK(lc_model_evaluate(ref_model, data, &b));
    CU_ASSERT(!memcmp(&a, &b, sizeof a));
}

static void check_build(lc_status st)
{
    if (st) {
        CU_ASSERT_PTR_NULL(lc_model_graph(model)); /* a failed build leaves no half graph */
        LC_ASSERT_OK(lc_model_build(model, data, &train_cfg));
    }
    assert_like_reference();
    lc_model_free(&model);
}

static lc_status run_train(void)
{
    return lc_model_train(model, data, &train_cfg, NULL);
}

/* Every allocation of lc_model_train comes before the first step, so a failed
 * call changes no parameter and a second call takes the same step. */
static void check_train(lc_status st)
{
    if (st) LC_ASSERT_OK(lc_model_train(model, data, &train_cfg, NULL));
    assert_like_reference();
    lc_model_free(&model);
}

/* No checkpoint and no temporary file is left in ckpt_dir. */
static int dir_entries(void) { return lc_test_count_entries(ckpt_dir); }

static lc_status run_save(void)
{
    return lc_model_save(ref_model, ckpt_path);
}

static void check_save(lc_status st)
{
    if (st) {
        CU_ASSERT_EQUAL(dir_entries(), 0); /* nothing half written, no temp file */
        LC_ASSERT_OK(lc_model_save(ref_model, ckpt_path));
    }
    CU_ASSERT_EQUAL(dir_entries(), 1);
    other_model();
    CU_ASSERT(!same_params(model, ref_model));
    LC_ASSERT_OK(lc_model_load(model, ckpt_path));
    assert_like_reference();
    lc_model_free(&model);
    remove(ckpt_path);
}

static float *before_load;
static size_t before_load_len;

static void setup_load(void)
{
    other_model();
    before_load = param_snapshot(model, &before_load_len);
}

static lc_status run_load(void)
{
    return lc_model_load(model, ckpt_path);
}

static void check_load(lc_status st)
{
    if (st) {
        /* a refused load touches no parameter; the model takes the next one */
        CU_ASSERT(params_equal_snapshot(model, before_load, before_load_len));
        LC_ASSERT_OK(lc_model_load(model, ckpt_path));
    }
    assert_like_reference();
    free(before_load);
    before_load = NULL;
    lc_model_free(&model);
}

static lc_status run_export(void)
{
    return lc_model_export_generators(ref_model, ckpt_path);
}

/* PATH.ckpt and PATH.csv both written, or (every allocation comes first) neither. */
static void check_export(lc_status st)
{
    if (st) {
        CU_ASSERT_EQUAL(dir_entries(), 0);
        LC_ASSERT_OK(lc_model_export_generators(ref_model, ckpt_path));
    }
    CU_ASSERT_EQUAL(dir_entries(), 2);
    char file[600];
    struct stat sb;
    snprintf(file, sizeof file, "%s.ckpt", ckpt_path);
    CU_ASSERT(stat(file, &sb) == 0 && sb.st_size > 0);
    remove(file);
    snprintf(file, sizeof file, "%s.csv", ckpt_path);
    CU_ASSERT(stat(file, &sb) == 0 && sb.st_size > 0);
    remove(file);
}

/* LINQS's 66 papers and 3 classes: small, with features and a split. */
static bool load_model_data(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", lc_test_file("linqs_valid"));
    LC_ASSERT_OK(lc_dataset_from_linqs(&data, dir, NULL));
    train_cfg = lc_train_defaults();
    train_cfg.epochs = 1;
    model_spec = citation_spec;
    return data != NULL;
}

/* A 5 x 6 periodic grid with 3 random features per node, 2 classes by
 * position, even nodes train and odd nodes validate. */
static bool load_grid_data(void)
{
    enum { N = 30, F = 3 };
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    int32_t labels[N];
    uint8_t train[N], val[N];
    lc_rng_t rng;
    lc_rng_seed(&rng, 11);
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (const int64_t[]){5, 6}, 3, LC_BOUNDARY_PERIODIC));
    LC_ASSERT_OK(lc_tensor_new2(&x, N, F));
    for (int i = 0; i < N * F; i++)
        x->data[i] = lc_rng_normal(&rng);
    for (int i = 0; i < N; i++)
        labels[i] = (i % 6) < 3, train[i] = i % 2 == 0, val[i] = i % 2;
    LC_ASSERT_OK(lc_dataset_new(&data, g, x, NULL, labels, 2));
    LC_ASSERT_OK(lc_dataset_set_split(data, train, val, val));
    train_cfg = lc_train_defaults();
    train_cfg.epochs = 1;
    model_spec = grid_spec;
    return data != NULL;
}

static void test_model_from_spec(void)
{
    model_spec = citation_spec;
    LC_ASSERT_OK(lc_model_from_spec(&ref_model, model_spec));
    snprintf(ref_spec, sizeof ref_spec, "%s", lc_model_spec(ref_model));
    CU_ASSERT_EQUAL(lc_model_num_layers(ref_model), 8);
    const sweep_op op = {"lc_model_from_spec", NULL, run_from_spec, check_from_spec};
    CU_ASSERT(sweep(&op) > 0);
    lc_model_free(&ref_model);
}

static void sweep_build(const char *name)
{
    LC_ASSERT_OK(lc_model_from_spec(&ref_model, model_spec));
    LC_ASSERT_OK(lc_model_build(ref_model, data, &train_cfg));
    const sweep_op op = {name, fresh_model, run_build, check_build};
    CU_ASSERT(sweep(&op) > 0);
    lc_model_free(&ref_model);
    lc_dataset_free(&data);
}

static void test_model_build(void)
{
    if (load_model_data()) sweep_build("lc_model_build (LINQS, gcn/lconv/lowrank/linear)");
}

static void test_grid_model_build(void)
{
    if (load_grid_data()) sweep_build("lc_model_build (grid, lattice/shared/linear)");
}

static void sweep_train(const char *built_name, const char *unbuilt_name)
{
    LC_ASSERT_OK(lc_model_from_spec(&ref_model, model_spec));
    LC_ASSERT_OK(lc_model_train(ref_model, data, &train_cfg, NULL));
    /* one step moved the parameters away from a fresh build's */
    built_model();
    CU_ASSERT(!same_params(model, ref_model));
    lc_model_free(&model);
    const sweep_op built = {built_name, built_model, run_train, check_train};
    CU_ASSERT(sweep(&built) > 0);
    const sweep_op unbuilt = {unbuilt_name, fresh_model, run_train, check_train};
    CU_ASSERT(sweep(&unbuilt) > 0);
    lc_model_free(&ref_model);
    lc_dataset_free(&data);
}

static void test_model_train(void)
{
    if (load_model_data())
        sweep_train("lc_model_train, 1 epoch (LINQS, built model)",
                    "lc_model_train, 1 epoch (LINQS, unbuilt model)");
}

static void test_grid_model_train(void)
{
    if (load_grid_data())
        sweep_train("lc_model_train, 1 epoch (grid, built model)",
                    "lc_model_train, 1 epoch (grid, unbuilt model)");
}

static void test_model_save_load(void)
{
    if (!load_model_data()) return;
    snprintf(ckpt_dir, sizeof ckpt_dir, "/tmp/lc_alloc_test_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(ckpt_dir));
    snprintf(ckpt_path, sizeof ckpt_path, "%s/model.ckpt", ckpt_dir);
    LC_ASSERT_OK(lc_model_from_spec(&ref_model, model_spec));
    LC_ASSERT_OK(lc_model_train(ref_model, data, &train_cfg, NULL));
    /* Saving re-makes the model's cached spec string: make the first one now,
     * so that the count of live blocks is the same before and after each save. */
    CU_ASSERT(strlen(lc_model_spec(ref_model)) > 0);
    const sweep_op save = {"lc_model_save", NULL, run_save, check_save};
    CU_ASSERT(sweep(&save) > 0);
    LC_ASSERT_OK(lc_model_save(ref_model, ckpt_path));
    const sweep_op load = {"lc_model_load", setup_load, run_load, check_load};
    CU_ASSERT(sweep(&load) > 0);
    remove(ckpt_path);
    const sweep_op export = {"lc_model_export_generators", NULL, run_export, check_export};
    CU_ASSERT(sweep(&export) > 0);
    rmdir(ckpt_dir);
    lc_model_free(&ref_model);
    lc_dataset_free(&data);
}

/* ---------- graph-level data: many samples on one grid ---------- */

static const char *const samples_spec = "lattice:3,relu,lowrank:2:p=2:r=2,flatten,linear";

/* 23 samples of `samples_channels` channels on a 4 × 4 grid; batches of 5
 * (the last one short). */
static int samples_channels = 2;
static bool load_samples_data(void)
{
    enum { N = 23, n = 16 };
    const int C = samples_channels;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    int32_t labels[N];
    lc_rng_t rng;
    lc_rng_seed(&rng, 12);
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (const int64_t[]){4, 4}, 3, LC_BOUNDARY_ZERO));
    LC_ASSERT_OK(lc_tensor_new(&x, 3, (const int64_t[]){N, n, (int64_t)C}));
    for (int i = 0; i < N * n * C; i++)
        x->data[i] = lc_rng_normal(&rng);
    for (int i = 0; i < N; i++)
        labels[i] = i % 3;
    LC_ASSERT_OK(lc_dataset_from_samples(&data, g, x, labels, 3));
    LC_ASSERT_OK(lc_dataset_stratified_split(data, 0.2, 0.2, 5));
    train_cfg = lc_train_defaults();
    train_cfg.epochs = 1;
    train_cfg.batch_size = 5;
    model_spec = samples_spec;
    return data != NULL;
}

static void test_samples_model_build(void)
{
    if (load_samples_data()) sweep_build("lc_model_build (samples, lattice/lowrank/flatten)");
}

static void test_samples_model_train(void)
{
    if (load_samples_data())
        sweep_train("lc_model_train, 1 epoch in batches (samples, built model)",
                    "lc_model_train, 1 epoch in batches (samples, unbuilt model)");
}

/* Transforms of graph-level data: a failure leaves the data as it was. */
static lc_status (*transform)(lc_dataset_t *ds);
static lc_dataset_t *plain_data; /* untransformed; ref_data is transformed */
static lc_status rotate(lc_dataset_t *ds) { return lc_dataset_rotate_images(ds, 30, 3); }
static lc_status scramble(lc_dataset_t *ds) { return lc_dataset_scramble_nodes(ds, 3); }
static lc_status split(lc_dataset_t *ds) { return lc_dataset_stratified_split(ds, 0.1, 0.3, 9); }

static void fresh_samples(void) { load_samples_data(); }
static lc_status run_transform(void) { return transform(data); }
static void check_transform(lc_status st)
{
    CU_ASSERT(same_dataset(data, st ? plain_data : ref_data));
    lc_dataset_free(&data);
}

static void test_samples_transforms(void)
{
    static const struct {
        const char *name;
        lc_status (*f)(lc_dataset_t *);
    } ops[] = {{"lc_dataset_rotate_images", rotate},
               {"lc_dataset_scramble_nodes", scramble},
               {"lc_dataset_stratified_split", split}};
    samples_channels = 1; /* images: one channel */
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        transform = ops[k].f;
        load_samples_data();
        plain_data = data;
        load_samples_data();
        ref_data = data;
        data = NULL;
        LC_ASSERT_OK(transform(ref_data));
        CU_ASSERT(!same_dataset(ref_data, plain_data)); /* the transform does something */
        const sweep_op op = {ops[k].name, fresh_samples, run_transform, check_transform};
        CU_ASSERT(sweep(&op) > 0);
        lc_dataset_free(&ref_data);
        lc_dataset_free(&plain_data);
    }
    samples_channels = 2;
}

/* "mnist:DIR" on a generated pair of small IDX files (t10k only: the split is drawn). */
static void write_idx_u8(const char *path, int ndim, const int *dims, int salt)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputc(0, f), fputc(0, f), fputc(0x08, f), fputc(ndim, f);
    long count = 1;
    for (int i = 0; i < ndim; i++) {
        for (int b = 3; b >= 0; b--) fputc((dims[i] >> (8 * b)) & 255, f);
        count *= dims[i];
    }
    for (long k = 0; k < count; k++) fputc(ndim == 1 ? (int)(k % 4) : (int)((k * 37 + salt) % 256), f);
    fclose(f);
}

static lc_status run_load_mnist(void) { return lc_dataset_load(&data, path_a, NULL); }

static void test_mnist_dir(void)
{
    char dir[] = "/tmp/lc_alloc_mnist_XXXXXX", img[300], lab[300];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte", dir);
    write_idx_u8(img, 3, (const int[]){20, 5, 4}, 1);
    write_idx_u8(lab, 1, (const int[]){20}, 0);
    snprintf(path_a, sizeof path_a, "mnist:%s", dir);
    LC_ASSERT_OK(run_load_mnist());
    ref_data = data;
    data = NULL;
    CU_ASSERT_EQUAL(lc_dataset_num_samples(ref_data), 20);
    const sweep_op op = {"lc_dataset_load (mnist:)", NULL, run_load_mnist, check_dataset};
    CU_ASSERT(sweep(&op) > 0);
    lc_dataset_free(&ref_data);
    remove(img), remove(lab), rmdir(dir);
}

/* ---------- images: IDX reader, PNG heatmaps ---------- */

/* zlib inflates with its own allocator (not swept); the tensor is. */
static lc_tensor_t *image, *ref_image;

static lc_status run_idx(void)
{
    return lc_read_idx(path_a, &image);
}

static void check_idx(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(image);
    if (!st)
        CU_ASSERT(image->ndim == ref_image->ndim &&
                  !memcmp(image->shape, ref_image->shape, sizeof image->shape) &&
                  !memcmp(image->data, ref_image->data, (size_t)image->numel * sizeof(float)));
    lc_tensor_free(&image);
}

static void sweep_idx(const char *name, const char *file)
{
    snprintf(path_a, sizeof path_a, "%s", lc_test_file(file));
    LC_ASSERT_OK(run_idx());
    ref_image = image;
    image = NULL;
    if (!ref_image) return;
    const sweep_op op = {name, NULL, run_idx, check_idx};
    CU_ASSERT(sweep(&op) > 0);
    lc_tensor_free(&ref_image);
}

static void test_idx(void)
{
    sweep_idx("lc_read_idx (valid-u8.idx)", "idx/valid-u8.idx");
    sweep_idx("lc_read_idx (valid-i16.idx.gz)", "idx/valid-i16.idx.gz");
}

/* libpng allocates through the hook too (its structs and zlib's deflate state). */
static const lc_tensor_t *png_panels[2];
static char png_dir[256], png_path[512];
static unsigned char *png_ref;
static long png_ref_len;

static lc_status run_png(void)
{
    return lc_write_heatmaps_png(png_path, 2, png_panels, 3);
}

/* The same bytes as written without failures, or no file and no temp file at all. */
static void check_png(lc_status st)
{
    CU_ASSERT_EQUAL(lc_test_count_entries(png_dir), st ? 0 : 1);
    if (!st) {
        FILE *f = fopen(png_path, "rb");
        unsigned char *buf = malloc((size_t)png_ref_len + 1);
        size_t got = f && buf ? fread(buf, 1, (size_t)png_ref_len + 1, f) : 0;
        CU_ASSERT(got == (size_t)png_ref_len && !memcmp(buf, png_ref, got));
        free(buf);
        if (f) fclose(f);
    }
    remove(png_path);
}

static void test_png(void)
{
    lc_tensor_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&a, 4, 5));
    LC_ASSERT_OK(lc_tensor_new2(&b, 6, 3));
    for (int i = 0; i < 20; i++)
        a->data[i] = (float)(i - 8);
    for (int i = 0; i < 18; i++)
        b->data[i] = i % 4 ? (float)i * 0.5f : -1.0f;
    png_panels[0] = a, png_panels[1] = b;
    snprintf(png_dir, sizeof png_dir, "/tmp/lc_alloc_png_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(png_dir));
    snprintf(png_path, sizeof png_path, "%s/heatmaps.png", png_dir);
    LC_ASSERT_OK(run_png());
    FILE *f = fopen(png_path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    png_ref_len = ftell(f);
    rewind(f);
    png_ref = malloc((size_t)png_ref_len);
    CU_ASSERT_FATAL(png_ref && fread(png_ref, 1, (size_t)png_ref_len, f) == (size_t)png_ref_len);
    fclose(f);
    remove(png_path);
    const sweep_op op = {"lc_write_heatmaps_png", NULL, run_png, check_png};
    CU_ASSERT(sweep(&op) > 0);
    free(png_ref);
    png_ref = NULL;
    rmdir(png_dir);
    lc_tensor_free(&a);
    lc_tensor_free(&b);
}

/* ---------- meshes: reader, icosphere, graph, Laplacian, diffusion ---------- */

/* Assimp and CHOLMOD allocate on their own (not swept); lconv's buffers are. */
static lc_mesh_t *mesh, *ref_mesh;

static bool same_mesh(const lc_mesh_t *a, const lc_mesh_t *b)
{
    const int64_t nv = lc_mesh_num_vertices(a), nt = lc_mesh_num_triangles(a);
    return nv == lc_mesh_num_vertices(b) && nt == lc_mesh_num_triangles(b) &&
           !memcmp(lc_mesh_vertices(a), lc_mesh_vertices(b), (size_t)nv * 3 * sizeof(float)) &&
           !memcmp(lc_mesh_normals(a), lc_mesh_normals(b), (size_t)nv * 3 * sizeof(float)) &&
           !memcmp(lc_mesh_triangles(a), lc_mesh_triangles(b), (size_t)nt * 3 * sizeof(int64_t));
}

static lc_status run_mesh_read(void) { return lc_mesh_read(&mesh, path_a); }
static lc_status run_icosphere(void) { return lc_mesh_icosphere(&mesh, 2); }

static void check_mesh(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(mesh);
    if (!st) CU_ASSERT(same_mesh(mesh, ref_mesh));
    lc_mesh_free(&mesh);
}

static void sweep_mesh(const char *name, lc_status (*run)(void))
{
    LC_ASSERT_OK(run());
    ref_mesh = mesh;
    mesh = NULL;
    if (!ref_mesh) return;
    const sweep_op op = {name, NULL, run, check_mesh};
    CU_ASSERT(sweep(&op) > 0);
}

static void test_mesh_read(void)
{
    static const char *files[] = {"mesh/tet.off", "mesh/tet_le.ply", "mesh/tet.ply", "mesh/cube.obj"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        char name[64];
        snprintf(name, sizeof name, "lc_mesh_read (%s)", files[k] + 5);
        snprintf(path_a, sizeof path_a, "%s", lc_test_file(files[k]));
        sweep_mesh(name, run_mesh_read);
        lc_mesh_free(&ref_mesh);
    }
}

/* The operators on the icosphere of 162 vertices (ref_mesh, kept). */
static lc_csr_t *lap, *ref_lap;
static float mass[162], ref_mass[162];
static lc_diffusion_t *diff;
static lc_tensor_t *diff_x, *diff_y, *ref_diff_y;

static lc_status run_graph_from_mesh(void) { return lc_graph_from_mesh(&graph, ref_mesh); }
static void check_graph_from_mesh(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(graph);
    if (!st) CU_ASSERT(same_graph(graph, ref_graph));
    lc_graph_free(&graph);
}

static lc_status run_laplacian(void)
{
    memset(mass, 0, sizeof mass);
    return lc_mesh_laplacian(ref_mesh, &lap, mass);
}
static void check_laplacian(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(lap);
    if (!st) CU_ASSERT(same_csr(lap, ref_lap) && !memcmp(mass, ref_mass, sizeof mass));
    lc_csr_free(&lap);
}

static lc_status run_diffusion_new(void) { return lc_diffusion_new(&diff, ref_lap, ref_mass, 0.5); }
static void check_diffusion_new(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(diff);
    if (!st) { /* it works, and as the reference does */
        LC_ASSERT_OK(lc_diffusion_apply(diff, diff_x, diff_y));
        CU_ASSERT(!memcmp(diff_y->data, ref_diff_y->data, (size_t)diff_y->numel * sizeof(float)));
    }
    lc_diffusion_free(&diff);
}

static lc_status run_diffusion_apply(void) { return lc_diffusion_apply(diff, diff_x, diff_y); }
static void check_diffusion_apply(lc_status st)
{
    if (!st)
        CU_ASSERT(!memcmp(diff_y->data, ref_diff_y->data, (size_t)diff_y->numel * sizeof(float)));
    lc_tensor_fill(diff_y, 0);
}

static void test_mesh_operators(void)
{
    sweep_mesh("lc_mesh_icosphere (2)", run_icosphere);
    if (!ref_mesh) return;
    CU_ASSERT_EQUAL_FATAL(lc_mesh_num_vertices(ref_mesh), 162);
    LC_ASSERT_OK(lc_graph_from_mesh(&ref_graph, ref_mesh));
    const sweep_op graph_op = {"lc_graph_from_mesh", NULL, run_graph_from_mesh,
                               check_graph_from_mesh};
    CU_ASSERT(sweep(&graph_op) > 0);
    lc_graph_free(&ref_graph);
    LC_ASSERT_OK(lc_mesh_laplacian(ref_mesh, &ref_lap, ref_mass));
    const sweep_op lap_op = {"lc_mesh_laplacian", NULL, run_laplacian, check_laplacian};
    CU_ASSERT(sweep(&lap_op) > 0);
    LC_ASSERT_OK(lc_tensor_new2(&diff_x, 162, 20));
    LC_ASSERT_OK(lc_tensor_new2(&diff_y, 162, 20));
    LC_ASSERT_OK(lc_tensor_new2(&ref_diff_y, 162, 20));
    for (int64_t i = 0; i < diff_x->numel; i++) diff_x->data[i] = (float)((i * 37) % 11) - 5.0f;
    LC_ASSERT_OK(run_diffusion_new());
    LC_ASSERT_OK(lc_diffusion_apply(diff, diff_x, ref_diff_y));
    lc_diffusion_free(&diff);
    const sweep_op new_op = {"lc_diffusion_new", NULL, run_diffusion_new, check_diffusion_new};
    CU_ASSERT(sweep(&new_op) > 0);
    LC_ASSERT_OK(run_diffusion_new());
    const sweep_op apply_op = {"lc_diffusion_apply", NULL, run_diffusion_apply,
                               check_diffusion_apply};
    CU_ASSERT(sweep(&apply_op) > 0);
    lc_diffusion_free(&diff);
    lc_tensor_free(&diff_x);
    lc_tensor_free(&diff_y);
    lc_tensor_free(&ref_diff_y);
    lc_csr_free(&ref_lap);
    lc_mesh_free(&ref_mesh);
}

/* ---------- point clouds: readers, kNN and radius graphs, batches ---------- */

static lc_tensor_t *cloud, *ref_cloud;
static lc_status (*cloud_reader)(const char *, lc_tensor_t **);

static lc_status run_cloud_read(void) { return cloud_reader(path_a, &cloud); }
static void check_cloud_read(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(cloud);
    if (!st)
        CU_ASSERT(cloud->numel == ref_cloud->numel &&
                  !memcmp(cloud->data, ref_cloud->data, (size_t)cloud->numel * sizeof(float)));
    lc_tensor_free(&cloud);
}

/* 60 points on a small integer grid, every one twice: ties everywhere, so
 * the kNN search widens. */
static float grid_points[120 * 3];
static lc_graph_t *parts[3];

static lc_status run_knn(void) { return lc_graph_knn(&graph, 120, 3, grid_points, 6, 0); }
static lc_status run_radius(void)
{
    return lc_graph_radius(&graph, 120, 3, grid_points, 1.5f, 0, LC_GRAPH_SYMMETRIZE);
}
static lc_status run_batch(void)
{
    return lc_graph_batch(&graph, 3, (const lc_graph_t *const *)parts, NULL);
}
static void check_graph_op(lc_status st)
{
    if (st) CU_ASSERT_PTR_NULL(graph);
    if (!st) CU_ASSERT(same_graph(graph, ref_graph));
    lc_graph_free(&graph);
}

static void test_point_clouds(void)
{
    static const struct {
        const char *file;
        lc_status (*reader)(const char *, lc_tensor_t **);
    } files[2] = {{"pointcloud/valid.xyz", lc_read_xyz}, {"pointcloud/valid.pcd", lc_read_pcd}};
    for (int k = 0; k < 2; k++) {
        snprintf(path_a, sizeof path_a, "%s", lc_test_file(files[k].file));
        cloud_reader = files[k].reader;
        LC_ASSERT_OK(cloud_reader(path_a, &ref_cloud));
        char name[64];
        snprintf(name, sizeof name, "%s", k ? "lc_read_pcd" : "lc_read_xyz");
        const sweep_op op = {name, NULL, run_cloud_read, check_cloud_read};
        CU_ASSERT(sweep(&op) > 0);
        lc_tensor_free(&ref_cloud);
    }
    const char *h5 = lc_test_data("pointclouds/bimnet10/bimnet10_test.h5");
    if (h5) {
        snprintf(path_a, sizeof path_a, "%s", h5);
        cloud_reader = NULL;
        LC_ASSERT_OK(lc_read_pointnet_h5(path_a, &ref_cloud, NULL));
        lc_tensor_t *labels = NULL;
        long live0 = alloc.live;
        for (long k = 1; k < 10; k++) { /* the reader's own allocations: points, labels, buffer */
            alloc_arm(k, true);
            lc_status st = lc_read_pointnet_h5(path_a, &cloud, &labels);
            const bool reached = alloc.failed;
            alloc_arm(0, false);
            if (reached) {
                CU_ASSERT_EQUAL(st, LC_ERR_OUT_OF_MEMORY);
                CU_ASSERT_PTR_NULL(cloud);
                CU_ASSERT_PTR_NULL(labels);
                LC_ASSERT_ERROR_HAS("lc_read_pointnet_h5");
            } else {
                LC_ASSERT_OK(st);
                check_cloud_read(st);
                lc_tensor_free(&labels);
                break;
            }
        }
        CU_ASSERT_EQUAL(alloc.live, live0);
        lc_tensor_free(&ref_cloud);
    }
    for (int i = 0; i < 120; i++) {
        grid_points[3 * i] = (float)(i % 60 % 4);
        grid_points[3 * i + 1] = (float)(i % 60 / 4 % 5);
        grid_points[3 * i + 2] = (float)(i % 60 / 20);
    }
    static const struct {
        const char *name;
        lc_status (*run)(void);
    } ops[2] = {{"lc_graph_knn (ties)", run_knn}, {"lc_graph_radius", run_radius}};
    for (int k = 0; k < 2; k++) {
        LC_ASSERT_OK(ops[k].run());
        ref_graph = graph;
        graph = NULL;
        const sweep_op op = {ops[k].name, NULL, ops[k].run, check_graph_op};
        CU_ASSERT(sweep(&op) > 0);
        lc_graph_free(&ref_graph);
    }
    for (int k = 0; k < 3; k++)
        LC_ASSERT_OK(lc_graph_knn(&parts[k], 20 + 20 * k, 3, grid_points, 3, 0));
    LC_ASSERT_OK(run_batch());
    ref_graph = graph;
    graph = NULL;
    const sweep_op op = {"lc_graph_batch", NULL, run_batch, check_graph_op};
    CU_ASSERT(sweep(&op) > 0);
    lc_graph_free(&ref_graph);
    for (int k = 0; k < 3; k++) lc_graph_free(&parts[k]);
}

/* ---------- the hook itself ---------- */

static void test_set_allocator(void)
{
    /* half a set would mix two allocators' blocks */
    LC_ASSERT_STATUS(lc_set_allocator(count_malloc, NULL, count_realloc, count_free),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_set_allocator");
    /* the hook in place is still ours: a tensor is counted, then freed */
    long live0 = alloc.live;
    alloc_arm(0, false);
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&t, 3, 4));
    CU_ASSERT(alloc.calls >= 2);
    CU_ASSERT(alloc.live > live0);
    lc_tensor_free(&t);
    CU_ASSERT_EQUAL(alloc.live, live0);
    /* the first allocation failing: the status, the message, a NULL handle */
    alloc_arm(1, false);
    LC_ASSERT_STATUS(lc_tensor_new2(&t, 3, 4), LC_ERR_OUT_OF_MEMORY);
    alloc_arm(0, false);
    LC_ASSERT_ERROR_HAS("lc_tensor_new");
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_EQUAL(alloc.live, live0);
    /* all NULL: the C library's again, the hook sees nothing */
    LC_ASSERT_OK(lc_set_allocator(NULL, NULL, NULL, NULL));
    LC_ASSERT_OK(lc_tensor_new2(&t, 3, 4));
    lc_tensor_free(&t);
    CU_ASSERT_EQUAL(alloc.calls, 0);
    LC_ASSERT_OK(lc_set_allocator(count_malloc, count_calloc, count_realloc, count_free));
}

int main(void)
{
    /* In place for the whole suite, so that every block the library frees was
     * counted when it was allocated. */
    if (lc_set_allocator(count_malloc, count_calloc, count_realloc, count_free) != LC_OK) return 99;
    static const lc_test_case cases[] = {{"lc_set_allocator", test_set_allocator},
                                         {"edge list reader", test_edgelist},
                                         {"Matrix Market reader", test_matrix_market},
                                         {"LINQS reader", test_linqs},
                                         {"Planetoid reader", test_planetoid},
                                         {"larger generated files", test_generated},
                                         {"edge-list dataset", test_edgelist_dataset},
                                         {"karate dataset", test_karate},
                                         {"Erdos-Renyi graph", test_erdos_renyi},
                                         {"grid graph", test_grid},
                                         {"graph from edges + GCN operator", test_gcn_operator},
                                         {"model from spec", test_model_from_spec},
                                         {"model build", test_model_build},
                                         {"model train 1 epoch", test_model_train},
                                         {"grid model build", test_grid_model_build},
                                         {"grid model train 1 epoch", test_grid_model_train},
                                         {"model save, load and export", test_model_save_load},
                                         {"IDX reader", test_idx},
                                         {"PNG heatmaps", test_png},
                                         {"samples model build", test_samples_model_build},
                                         {"samples model train 1 epoch", test_samples_model_train},
                                         {"samples transforms", test_samples_transforms},
                                         {"mnist:DIR dataset", test_mnist_dir},
                                         {"mesh reader", test_mesh_read},
                                         {"mesh operators", test_mesh_operators},
                                         {"point clouds", test_point_clouds},
                                         {NULL, NULL}};
    int rc = lc_test_main("alloc", cases);
    /* everything the suite made is freed: the count is back where it started */
    if (alloc.live != 0) {
        fprintf(stderr, "alloc: %ld block(s) still allocated at exit\n", alloc.live);
        rc = 1;
    }
    lc_set_allocator(NULL, NULL, NULL, NULL);
    return rc;
}
