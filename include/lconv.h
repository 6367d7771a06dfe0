/* lconv.h — the one public header of lconv, a graph-neural-network framework in C. */
#ifndef LCONV_H
#define LCONV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Status codes and errors
 *
 * Every public function returns an lc_status: LC_OK (0) or a negative
 * error. The message of the last error on the calling thread is read with
 * lc_last_error(); it names the function and what was wrong. Outputs are
 * assigned only on success. Handles are created with lc_X_new(&h, ...) and
 * destroyed with lc_X_free(&h), which accepts NULL and sets *h to NULL.
 * ==================================================================== */
typedef enum {
    LC_OK = 0,
    LC_ERR_INVALID_ARG = -1,   /* bad argument (NULL, out of range, bad spec) */
    LC_ERR_OUT_OF_MEMORY = -2, /* an allocation failed or a size is absurd */
    LC_ERR_IO = -3,            /* a file could not be opened, read or written */
    LC_ERR_PARSE = -4,         /* a file is malformed; the message names file and line */
    LC_ERR_SHAPE = -5,         /* tensor shapes do not fit together */
    LC_ERR_STATE = -6,         /* call out of order (e.g. execute before compile) */
    LC_ERR_CORRUPT = -7,       /* checkpoint with a bad magic, version or checksum */
    LC_ERR_MISMATCH = -8,      /* checkpoint of another model (names or shapes differ) */
    LC_ERR_UNSUPPORTED = -9,   /* feature not available in this build or backend */
    LC_ERR_BACKEND = -10,      /* GraphBLAS, BLAS, igraph or CHOLMOD reported a failure */
    LC_ERR_NUMERIC = -11       /* NaN or Inf where a finite number was required */
} lc_status;

/* Message of the last error raised on this thread ("" when none). Never NULL.
 * The buffer stays valid until the next failing lconv call on this thread. */
const char *lc_last_error(void);

/* Short constant name of a status code, e.g. "LC_ERR_PARSE". Never NULL. */
const char *lc_status_name(lc_status s);

/* Library version as "MAJOR.MINOR.PATCH". */
const char *lc_version(void);

/* Number of threads used by OpenMP kernels and OpenBLAS (default: 1, so that
 * results are reproducible bit for bit; pass 0 for all cores).
 * Errors: LC_ERR_INVALID_ARG when n < 0. Cost: O(1). */
lc_status lc_set_threads(int n);
int lc_get_threads(void);

/* Route every allocation that lconv itself makes (tensors, graphs, CSR views,
 * compute graphs, models, parsers' buffers, checkpoints) through the given
 * functions, e.g. to count them or to make the k-th one fail in a test. They
 * must behave like the C library's: return NULL on failure, realloc(NULL, n)
 * allocates, free(NULL) does nothing; lconv never asks them for 0 bytes.
 * Pass all four NULL to restore malloc/calloc/realloc/free.
 * Process-wide, not thread-safe: set it before any other thread calls lconv,
 * and only while no object allocated through the previous functions is alive
 * (it would later be given to the new free).
 * Out of reach: GraphBLAS, igraph, CHOLMOD, OpenBLAS and zlib's gzip reader
 * allocate on their own (and the C library inside fopen, qsort, ...): the hook
 * neither sees nor fails those; when they run out of memory lconv reports
 * LC_ERR_BACKEND (GraphBLAS) or LC_ERR_OUT_OF_MEMORY (igraph, CHOLMOD, zlib).
 * libpng (and the deflate it runs) does allocate through the hook.
 * Errors: LC_ERR_INVALID_ARG when some but not all four are NULL. Cost: O(1). */
lc_status lc_set_allocator(void *(*malloc_fn)(size_t), void *(*calloc_fn)(size_t, size_t),
                           void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *));

/* ======================================================================
 * Dense float32 tensors: row-major, contiguous, 1 to 4 dimensions.
 * A reshape is a view on the same storage (reference counted, so a view
 * stays valid after its parent is freed). Nothing is ever copied silently.
 * ==================================================================== */
#define LC_MAX_DIMS 4
typedef struct lc_tensor lc_tensor_t;

/* New zero-filled tensor of the given shape.
 * Errors: LC_ERR_INVALID_ARG (ndim not in 1..4, a dim < 1),
 *         LC_ERR_OUT_OF_MEMORY (allocation failed, or > 2^36 elements). Cost: O(numel). */
lc_status lc_tensor_new(lc_tensor_t **t, int ndim, const int64_t *shape);
/* Convenience for 2-D tensors. */
lc_status lc_tensor_new2(lc_tensor_t **t, int64_t rows, int64_t cols);
/* A view of `src` with another shape of the same element count. O(1), no copy.
 * Errors: LC_ERR_SHAPE when the element counts differ. */
lc_status lc_tensor_reshape(lc_tensor_t **view, const lc_tensor_t *src, int ndim,
                            const int64_t *shape);
void lc_tensor_free(lc_tensor_t **t);
float *lc_tensor_data(const lc_tensor_t *t);
int lc_tensor_ndim(const lc_tensor_t *t);
int64_t lc_tensor_dim(const lc_tensor_t *t, int axis); /* 0 when axis is out of range */
int64_t lc_tensor_numel(const lc_tensor_t *t);
/* Copy the values of src into dst (same element count). Errors: LC_ERR_SHAPE. */
lc_status lc_tensor_copy(lc_tensor_t *dst, const lc_tensor_t *src);
void lc_tensor_fill(lc_tensor_t *t, float value);

/* ======================================================================
 * Random numbers: xoshiro256** seeded through splitmix64. The same seed gives
 * the same sequence on every machine.
 * ==================================================================== */
typedef struct {
    uint64_t s[4];
} lc_rng_t;

/* The lc_rng_* calls are hot and return values, not a status: rng must not be NULL. */
void lc_rng_seed(lc_rng_t *rng, uint64_t seed);
uint64_t lc_rng_next(lc_rng_t *rng);
/* Uniform in [0, 1). */
float lc_rng_uniform(lc_rng_t *rng);
/* Standard normal (Box–Muller). */
float lc_rng_normal(lc_rng_t *rng);
/* Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)); for a
 * 2-D tensor [fan_in, fan_out]. Errors: LC_ERR_INVALID_ARG for other ranks. */
lc_status lc_init_glorot(lc_tensor_t *t, lc_rng_t *rng);
/* Kaiming/He normal for ReLU: N(0, 2 / fan_in), fan_in = dim 0. */
lc_status lc_init_kaiming(lc_tensor_t *t, lc_rng_t *rng);

/* ======================================================================
 * Sparse matrices (CSR, float32 values) — the operators of message passing.
 * ==================================================================== */
typedef struct lc_csr lc_csr_t;

/* Build an n_rows × n_cols CSR matrix from COO triplets (duplicates are
 * summed). vals may be NULL (all ones).
 * Errors: LC_ERR_INVALID_ARG (index out of range, negative size). Cost: O(nnz + n). */
lc_status lc_csr_from_coo(lc_csr_t **a, int64_t n_rows, int64_t n_cols, int64_t nnz,
                          const int64_t *rows, const int64_t *cols, const float *vals);
void lc_csr_free(lc_csr_t **a);
int64_t lc_csr_rows(const lc_csr_t *a);
int64_t lc_csr_cols(const lc_csr_t *a);
int64_t lc_csr_nnz(const lc_csr_t *a);
/* Y = A·X for dense row-major X [cols(A), f] into Y [rows(A), f]. The fast
 * kernel of the CPU backend (OpenMP over rows, each row reduced by one thread
 * in a fixed order). Errors: LC_ERR_SHAPE. Cost: O(nnz·f). */
lc_status lc_csr_spmm(const lc_csr_t *a, const lc_tensor_t *x, lc_tensor_t *y);

/* ======================================================================
 * Graphs: edge list + GraphBLAS incidence and adjacency, with cached views.
 * ==================================================================== */
typedef struct lc_graph lc_graph_t;

typedef enum {
    LC_GRAPH_DIRECTED = 0,     /* keep edges as given */
    LC_GRAPH_SYMMETRIZE = 1,   /* add the reverse of every edge: A + Aᵀ (a pair given both
                                  ways gets weight 2 each way unless BINARY) */
    LC_GRAPH_SELF_LOOPS = 2,   /* add a weight-1 self loop to every node that lacks one */
    LC_GRAPH_DROP_SELF_LOOPS = 4, /* remove self loops found in the input (applied first) */
    LC_GRAPH_BINARY = 8        /* unweighted simple graph: after merging, every weight is 1
                                  (duplicates collapse, as networkx and PyG's coalesce do) */
} lc_graph_flags;

/* A graph of n nodes from m edges tail[e] → head[e] (optional weights, NULL =
 * 1). Duplicate edges are merged (weights summed). flags: lc_graph_flags OR-ed.
 * n must be < 2^31 (CSR views use 32-bit column indices).
 * Errors: LC_ERR_INVALID_ARG naming the first bad edge ("edge 17 has head 3021
 * ≥ n = 2708") or an unknown flag, LC_ERR_NUMERIC (summed weights overflow),
 * LC_ERR_OUT_OF_MEMORY. Cost: O(m + n) (two counting sorts). */
lc_status lc_graph_from_edges(lc_graph_t **g, int64_t n, int64_t m, const int64_t *tail,
                              const int64_t *head, const float *weight, int flags);
void lc_graph_free(lc_graph_t **g);
int64_t lc_graph_num_nodes(const lc_graph_t *g);
int64_t lc_graph_num_edges(const lc_graph_t *g); /* directed edges after flags */
/* Edge e's endpoints and weight (arrays owned by the graph; edges sorted by
 * (tail, head)). */
const int64_t *lc_graph_tails(const lc_graph_t *g);
const int64_t *lc_graph_heads(const lc_graph_t *g);
const float *lc_graph_weights(const lc_graph_t *g);
/* Out-degree (weighted) of every node; cached, owned by the graph. */
lc_status lc_graph_degrees(lc_graph_t *g, const float **deg);
/* The GraphBLAS matrices, as void* so that this header does not need
 * GraphBLAS.h: cast to GrB_Matrix. Owned by the graph.
 * incidence: n × m, -1 at the tail and +1 at the head of each edge.
 * adjacency: n × n, A[tail, head] = weight. */
lc_status lc_graph_incidence_grb(lc_graph_t *g, void **grb_matrix);
lc_status lc_graph_adjacency_grb(lc_graph_t *g, void **grb_matrix);
/* The GCN operator D̃^-1/2 (A+I) D̃^-1/2 (Kipf & Welling), computed once with
 * GraphBLAS and cached as CSR; owned by the graph. Self loops already in A
 * are kept and not doubled. D̃ holds the row sums of A+I (on a directed graph,
 * Y = Â·X sums over out-neighbours); a node of degree <= 0 gets an empty row
 * and column. Cost: first call O(m + n), then O(1). */
lc_status lc_graph_gcn_operator(lc_graph_t *g, const lc_csr_t **op);
/* The adjacency as CSR (cached, owned by the graph). */
lc_status lc_graph_adjacency_csr(lc_graph_t *g, const lc_csr_t **adj);

/* Reference SpMM through GraphBLAS GrB_mxm (plus-times semiring): Y = A·X.
 * Slower than lc_csr_spmm; used to test it. Errors: LC_ERR_SHAPE, LC_ERR_BACKEND. */
lc_status lc_csr_spmm_graphblas(const lc_csr_t *a, const lc_tensor_t *x, lc_tensor_t *y);

/* igraph interop. `igraph_graph` is an igraph_t* (void* keeps igraph.h out of
 * this header). Undirected igraph graphs are symmetrised. */
lc_status lc_graph_from_igraph(lc_graph_t **g, const void *igraph_graph, int flags);
/* Generators, all deterministic for a given seed (igraph's RNG is seeded). */
lc_status lc_graph_erdos_renyi(lc_graph_t **g, int64_t n, int64_t m_undirected, uint64_t seed,
                               int flags);
/* Stochastic block model: k blocks of the given sizes, p_in within, p_out across. */
lc_status lc_graph_sbm(lc_graph_t **g, int k, const int64_t *block_sizes, double p_in,
                       double p_out, uint64_t seed, int flags);
/* rows × cols square lattice, optionally periodic (a torus). */
lc_status lc_graph_lattice(lc_graph_t **g, int64_t rows, int64_t cols, int periodic, int flags);
/* igraph's famous graphs by name ("Zachary", "Petersen", ...). */
lc_status lc_graph_famous(lc_graph_t **g, const char *name, int flags);

/* Node coordinates: n × dim floats, row-major, copied (dim 1..16). Used by the
 * shared-generator L-conv (edge vectors head − tail). Errors: LC_ERR_INVALID_ARG. */
lc_status lc_graph_set_positions(lc_graph_t *g, int dim, const float *coords);
/* Borrowed positions (NULL when none) and their dimension. */
const float *lc_graph_positions(const lc_graph_t *g, int *dim);
/* Edge types (one small integer per edge in the graph's edge order, e.g. the
 * stencil offset of a lattice edge), or NULL; count in *n_types. */
const int32_t *lc_graph_edge_types(const lc_graph_t *g, int *n_types);

typedef enum { LC_BOUNDARY_ZERO = 0, LC_BOUNDARY_PERIODIC = 1 } lc_boundary;
/* A d-dimensional grid (d = 1, 2, 3; dims[0] slowest) whose edges link every
 * node v to v + o for each stencil offset o of a k×…×k stencil (k odd) other
 * than 0: edge types are the offset indices 0 .. k^d − 2 (lexicographic order,
 * centre skipped), positions are the integer grid coordinates. Zero boundary:
 * offsets that leave the grid have no edge (zero padding); periodic: they wrap.
 * Node index = row-major (last dim fastest), as images are stored.
 * Sets positions (pos_dim = d), which the lattice layer reads d from.
 * Errors: LC_ERR_INVALID_ARG (d not 1..3, k even, k < 3 or k > 1023, a
 * periodic dim < k, more than 2^31 − 1 nodes), LC_ERR_OUT_OF_MEMORY (more than
 * 2^31 − 1 edges). */
lc_status lc_graph_grid(lc_graph_t **g, int d, const int64_t *dims, int k, lc_boundary boundary);

/* ======================================================================
 * Datasets: a graph, node features (dense or sparse), labels, split masks.
 * ==================================================================== */
typedef struct lc_dataset lc_dataset_t;

typedef struct {
    int normalize_features; /* row-normalise features (rows sum to 1); default 1 */
    int self_loops_in_graph; /* keep self loops of the file in the graph; default 0 */
    uint64_t split_seed;    /* seed of the random split for data without one */
} lc_load_options;
lc_load_options lc_load_defaults(void);

/* Load by name: "karate", "linqs:DIR" (DIR/<name>.content + DIR/<name>.cites),
 * "planetoid:DIR/NAME" (DIR/NAME.{features,edges,labels,split}.txt),
 * "edgelist:FILE" (featureless, labels absent), "mnist:DIR" (graph-level
 * images on a grid from MNIST-named IDX files, e.g. MNIST or Fashion-MNIST:
 * DIR/train-* for training and DIR/t10k-* for test when both exist; with only
 * DIR/t10k-*, a stratified 80/20 split of it drawn with opts->split_seed; see
 * lc_dataset_from_idx), "part:FILE" (one rank's part of a node-level data
 * set, written by lc_dataset_write_parts: see there). opts may be NULL
 * (defaults). Errors: LC_ERR_INVALID_ARG (unknown kind), LC_ERR_IO,
 * LC_ERR_PARSE with file and line, LC_ERR_CORRUPT (a damaged part file,
 * naming the field). Cost: linear in the file sizes. */
lc_status lc_dataset_load(lc_dataset_t **ds, const char *spec, const lc_load_options *opts);
/* Split node-level ds by `of` (a part in [0, parts) per node, e.g. from
 * lc_partition on its graph's GCN operator) into the files DIR/part-K.lcp,
 * K = 0 … parts − 1, one per rank of full-graph partitioned training: each
 * holds its rows of the GCN operator (global column ids), the owners of the
 * rows they read, its feature rows, labels and masks, and the counts the
 * ranks share; beside it DIR/part-K.edges.lcp holds its rows of the adjacency
 * with each edge's index in the whole graph, which only L-conv layers read. A
 * job of `parts` ranks then loads "part:DIR/part-K.lcp" on rank K (lcnet:
 * --data parts:DIR) and no rank holds the whole data set: the model is built
 * on a one-node stand-in with the data's feature width and classes (L-conv's
 * edge weights: one row per edge of the part, drawn as the whole graph's;
 * lc_model_save, called on every rank, gathers them into the whole graph's
 * [m, p], and lc_model_load takes the part's rows; the data set must outlive
 * those calls), and training gives the same losses and parameters as the
 * whole data set on one process. Layers: gcn, lconv (not frozen), linear, relu,
 * dropout. Training a part needs the MPI job it was written for (lc_model_train says
 * so otherwise). The parts of one write share a fingerprint of the data and
 * the partition, which the ranks compare before training (files of two writes
 * are refused, naming them). Each file is written to a temporary name and
 * renamed; the formats (version 1, little-endian, CRC-32) are in lib/part.c.
 * Errors: LC_ERR_INVALID_ARG (graph-level data, parts outside [2, n], a node's
 * part outside [0, parts)), LC_ERR_IO, LC_ERR_OUT_OF_MEMORY, LC_ERR_UNSUPPORTED
 * (a big-endian host). Cost: O(n + the part's entries) per part: O(P·n + nnz). */
lc_status lc_dataset_write_parts(const lc_dataset_t *ds, const int32_t *of, int parts,
                                 const char *dir);
/* Rank lc_dist_rank(d)'s part DIR/part-K.lcp (d NULL: part 0), as
 * lc_dataset_load "part:FILE". Errors: those of lc_dataset_load. */
typedef struct lc_dist lc_dist_t; /* an MPI job (see "Scale-out on MPI" below) */
lc_status lc_dataset_load_part(lc_dataset_t **ds, const char *dir, const lc_dist_t *d);
/* 1 when ds is a part file's (else 0); then its index, the part count, its rows and
 * the whole graph's nodes (any pointer may be NULL). A part's data set is a
 * one-node stand-in to the other accessors (lc_dataset_num_nodes says 1), and
 * lc_dataset_set_split, lc_dataset_random_split and
 * lc_dataset_normalize_features refuse it: split and normalise the whole data
 * set before writing its parts. */
int lc_dataset_part_info(const lc_dataset_t *ds, int *part, int *parts, int64_t *own,
                         int64_t *nodes);
/* Zachary's karate club from igraph's famous graph, one-hot node features,
 * the two factions as labels; train mask = {0, 33}, val mask empty (so no
 * early stopping), test = the other 32 nodes. */
lc_status lc_dataset_karate(lc_dataset_t **ds);
lc_status lc_dataset_from_linqs(lc_dataset_t **ds, const char *dir, const lc_load_options *opts);
/* prefix = DIR/NAME, e.g. "../shared/data/planetoid/cora". */
lc_status lc_dataset_from_planetoid(lc_dataset_t **ds, const char *prefix,
                                    const lc_load_options *opts);
/* Assemble a dataset from parts. On success the dataset takes ownership of
 * graph and of one feature matrix (dense `features` [n, f] or sparse
 * `sparse_features`, the other NULL); on failure the caller keeps them.
 * labels: n ints, -1 = unlabelled, copied; NULL = all unlabelled.
 * Errors: LC_ERR_SHAPE, LC_ERR_INVALID_ARG (label ≥ num_classes). */
lc_status lc_dataset_new(lc_dataset_t **ds, lc_graph_t *graph, lc_tensor_t *features,
                         lc_csr_t *sparse_features, const int32_t *labels, int num_classes);
/* Set the split: three masks of n bytes (nonzero = in). Copied. */
lc_status lc_dataset_set_split(lc_dataset_t *ds, const uint8_t *train, const uint8_t *val,
                               const uint8_t *test);
/* A Planetoid-style random split: per_class training nodes of each class, then
 * n_val and n_test of the rest, drawn with `seed`. */
lc_status lc_dataset_random_split(lc_dataset_t *ds, int per_class, int64_t n_val,
                                  int64_t n_test, uint64_t seed);
/* Divide every feature row by its sum (rows summing to 0 are left as they are). */
lc_status lc_dataset_normalize_features(lc_dataset_t *ds);

/* Graph-level data: N samples, each a signal on one shared graph (images on a
 * grid, fields on one mesh). x is [N, n] (one channel) or [N, n, c] with n the
 * graph's nodes; labels has one class per sample (-1 = unlabelled; NULL = all).
 * On success the dataset owns graph and x (on failure the caller keeps them).
 * Labels, masks, splits and evaluation are then per sample, and
 * lc_model_train runs mini-batches of lc_train_config.batch_size samples: the
 * model sees a batch as [n, B, c] (graph layers act on the nodes, linear ones
 * on the channels) and needs a 'flatten' layer before its output layer.
 * Errors: LC_ERR_SHAPE (x not [N, n] or [N, n, c], N < 1),
 * LC_ERR_INVALID_ARG (a label outside [-1, num_classes), num_classes < 1). */
lc_status lc_dataset_from_samples(lc_dataset_t **ds, lc_graph_t *graph, lc_tensor_t *x,
                                  const int32_t *labels, int num_classes);
/* Images in IDX files (MNIST's format, gzip or plain) as graph-level data on a
 * height × width grid (lc_graph_grid, 3 × 3 stencil, zero boundary; lattice
 * layers of other sizes get their own stencil of the same grid), pixels scaled
 * to [0, 1]. Every image is in the training mask; see the split functions and
 * "mnist:DIR" of lc_dataset_load for the usual splits.
 * Errors: those of lc_read_idx, LC_ERR_PARSE (images and labels disagree in
 * count, a label outside [0, 255], images not [N, h, w]). */
lc_status lc_dataset_from_idx(lc_dataset_t **ds, const char *images_path, const char *labels_path);
/* Number of samples of graph-level data; 0 for node-level data. */
int64_t lc_dataset_num_samples(const lc_dataset_t *ds);
/* The samples [N, n, c] of graph-level data (NULL for node-level data). */
const lc_tensor_t *lc_dataset_samples(const lc_dataset_t *ds);
/* A stratified split of the labelled rows (nodes, or samples): within every
 * class, a fraction val_fraction goes to validation, test_fraction to test and
 * the rest to training, shuffled with `seed`; counts per class are rounded so
 * that the totals are round(fraction · labelled). Errors: LC_ERR_INVALID_ARG
 * (fractions negative or summing above 1). */
lc_status lc_dataset_stratified_split(lc_dataset_t *ds, double val_fraction, double test_fraction,
                                      uint64_t seed);
/* Rotate every image of graph-level data on a 2-D grid (lc_graph_grid, as
 * lc_dataset_from_idx makes; one channel) by its own angle drawn uniformly in
 * (−max_degrees, max_degrees) with `seed`: bilinear, border pixels extending
 * outward (lc_image_rotate with LC_FILL_BORDER). Errors: LC_ERR_INVALID_ARG
 * (node-level data, not a 2-D grid, more than one channel, max_degrees not
 * finite or negative). Cost: O(N·n). */
lc_status lc_dataset_rotate_images(lc_dataset_t *ds, double max_degrees, uint64_t seed);
/* Scramble graph-level data: one random permutation of the nodes (drawn with
 * `seed`) applied to every sample; the graph is kept, so its topology no
 * longer matches the signal (the paper's scrambled images). Errors:
 * LC_ERR_INVALID_ARG (node-level data). */
lc_status lc_dataset_scramble_nodes(lc_dataset_t *ds, uint64_t seed);
void lc_dataset_free(lc_dataset_t **ds);
lc_graph_t *lc_dataset_graph(const lc_dataset_t *ds);
int64_t lc_dataset_num_nodes(const lc_dataset_t *ds);
int64_t lc_dataset_num_features(const lc_dataset_t *ds);
int lc_dataset_num_classes(const lc_dataset_t *ds);
const int32_t *lc_dataset_labels(const lc_dataset_t *ds);
/* which: 0 train, 1 val, 2 test. */
const uint8_t *lc_dataset_mask(const lc_dataset_t *ds, int which);
/* Dense features or NULL; sparse features or NULL (exactly one is set). */
const lc_tensor_t *lc_dataset_features(const lc_dataset_t *ds);
const lc_csr_t *lc_dataset_sparse_features(const lc_dataset_t *ds);

/* Readers of raw formats (used by the loaders above, public for reuse). */
/* Plain edge list: one "u v [weight]" per line, '#' comments; n = max id + 1
 * unless n_hint > 0 (then ids ≥ n_hint are an error). */
lc_status lc_read_edgelist(lc_graph_t **g, const char *path, int64_t n_hint, int flags);
/* Matrix Market (coordinate, real/integer/pattern) read by CHOLMOD, as a
 * graph whose adjacency is the matrix (square only). */
lc_status lc_read_matrix_market(lc_graph_t **g, const char *path, int flags);
/* An IDX file (LeCun's MNIST format; gzip or plain): magic 0 0 type ndims,
 * big-endian dims, then the data. Types 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
 * 0x0D f32, 0x0E f64, all returned as float32 values unscaled (pixels stay
 * 0..255; f64 beyond float's range becomes ±inf), shape = the file's dims (1..4).
 * Errors: LC_ERR_IO (cannot open/read, corrupt gzip stream), LC_ERR_PARSE (bad
 * magic, unknown type, 0 or >4 dims, a zero dimension, truncated header or data
 * naming expected vs found bytes, trailing bytes after the data) with the file
 * name and byte offset (of the inflated data), LC_ERR_OUT_OF_MEMORY (hostile
 * sizes: more than 2^31 elements, refused from the header before allocating).
 * Cost: one pass over the file; memory = the tensor + 64 KiB. */
lc_status lc_read_idx(const char *path, lc_tensor_t **out);

/* Writer of images. */
/* Side-by-side heatmaps of `count` 2-D tensors (e.g. learned and true
 * generator), each scaled by its own max |value| with a diverging map (blue < 0,
 * white 0, red > 0; NaN shown grey, ±inf saturated), `scale` pixels per entry
 * (0 = automatic: the largest integer ≤ 512/max(rows, cols) over the panels, at
 * least 1), panels top-aligned with a 4-pixel light-grey gap (light grey also
 * below shorter panels). An 8-bit RGB PNG written atomically (temp file, fsync,
 * rename) so a failure leaves no half file.
 * Errors: LC_ERR_INVALID_ARG (count < 1, NULL panel, a panel not 2-D, scale < 0
 * or image > 2^15 pixels a side), LC_ERR_IO (cannot write, naming the path),
 * LC_ERR_OUT_OF_MEMORY. Cost: O(width·height). */
lc_status lc_write_heatmaps_png(const char *path, int count, const lc_tensor_t *const *panels,
                                int scale);

/* ======================================================================
 * Compute graph with reverse-mode autodiff.
 * Build the forward graph once (lc_cg_* builders), compile once (derives the
 * backward pass and allocates every buffer), then execute per step with no
 * allocation. Nodes are small integers valid within their graph.
 * ==================================================================== */
typedef struct lc_cgraph lc_cgraph_t;
typedef int32_t lc_node;

lc_status lc_cg_new(lc_cgraph_t **cg, uint64_t seed);
void lc_cg_free(lc_cgraph_t **cg);

/* Leaves. A constant's tensor is referenced, not copied: it must outlive the
 * graph. A parameter is owned (copied from init) and receives a gradient. */
lc_status lc_cg_constant(lc_cgraph_t *cg, const lc_tensor_t *value, lc_node *out);
lc_status lc_cg_parameter(lc_cgraph_t *cg, const lc_tensor_t *init, const char *name,
                          lc_node *out);

/* Operations. Shapes are checked at build time (LC_ERR_SHAPE names the op and
 * both shapes). Unless noted, tensors are 2-D [rows, cols]. */
lc_status lc_cg_matmul(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out);   /* A·B (sgemm) */
/* S·X with a constant sparse S (graph operator or sparse features); S must
 * outlive the graph. Gradient flows to X through Sᵀ. */
lc_status lc_cg_spmm(lc_cgraph_t *cg, const lc_csr_t *s, lc_node x, lc_node *out);
/* S·X where, in training, each stored entry of S is dropped with probability p
 * and the rest scaled by 1/(1-p) (Kipf's dropout on sparse input features:
 * no dense copy of S is made). Identity masking in evaluation. */
lc_status lc_cg_spmm_dropout(lc_cgraph_t *cg, const lc_csr_t *s, lc_node x, float p,
                             lc_node *out);
lc_status lc_cg_add(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out);      /* same shape */
lc_status lc_cg_bias(lc_cgraph_t *cg, lc_node x, lc_node b, lc_node *out);     /* x[r,:] + b */
lc_status lc_cg_relu(lc_cgraph_t *cg, lc_node x, lc_node *out);
lc_status lc_cg_leaky_relu(lc_cgraph_t *cg, lc_node x, float slope, lc_node *out);
lc_status lc_cg_elu(lc_cgraph_t *cg, lc_node x, float alpha, lc_node *out);
lc_status lc_cg_tanh(lc_cgraph_t *cg, lc_node x, lc_node *out);
lc_status lc_cg_sigmoid(lc_cgraph_t *cg, lc_node x, lc_node *out);
/* Inverted dropout: in training zero each entry with probability p and scale
 * the rest by 1/(1-p); identity in evaluation. Masks come from the graph's RNG. */
lc_status lc_cg_dropout(lc_cgraph_t *cg, lc_node x, float p, lc_node *out);
/* Row-wise log-softmax over the last dimension. */
lc_status lc_cg_log_softmax(lc_cgraph_t *cg, lc_node x, lc_node *out);
/* Masked cross-entropy on log-probabilities logp [n, c] (the output of
 * lc_cg_log_softmax): mean over rows with mask[r] != 0 of -logp[r, labels[r]].
 * labels and mask (n entries each) are referenced and must outlive the graph;
 * a masked row with a label outside [0, c) is LC_ERR_INVALID_ARG at build time.
 * Output: a scalar (shape [1]). */
lc_status lc_cg_cross_entropy(lc_cgraph_t *cg, lc_node logp, const int32_t *labels,
                              const uint8_t *mask, lc_node *out);
/* Mean squared error mean((a-b)^2) over all entries; scalar. */
lc_status lc_cg_mse(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out);
lc_status lc_cg_sum(lc_cgraph_t *cg, lc_node x, lc_node *out);  /* scalar */
lc_status lc_cg_mean(lc_cgraph_t *cg, lc_node x, lc_node *out); /* scalar */
/* Edge-weighted generators (L-conv): out = Σ_i L_i · Z_i over the p generators,
 * where w [E, p] holds generator i's weight on edge e of g (the graph's edge
 * order), z is [n, …, p·f] (generator-major in the last dimension: the columns
 * of X·[W_1 | … | W_p]) and out is [n, …, f].
 * LC_LCONV_VECTOR_FIELD: (L_i z)[v] = Σ_{e: tail(e)=v} w[e,i]·(z[head(e)] − z[v])
 *   (L_i = T·diag(w_i)·Bᵀ: rows sum to zero, constants are annihilated);
 * LC_LCONV_ADJACENCY:    (L_i z)[v] = Σ_{e: tail(e)=v} w[e,i]·z[head(e)].
 * The gradient of w is a sampled dense-dense product on the edge pattern (no
 * [E, f] message tensor is ever formed). g must outlive the compute graph.
 * Cost: O(E·p·f) forward and backward. */
typedef enum { LC_LCONV_VECTOR_FIELD = 0, LC_LCONV_ADJACENCY = 1 } lc_lconv_form;
lc_status lc_cg_edge_conv(lc_cgraph_t *cg, lc_graph_t *g, lc_node z, lc_node w,
                          lc_lconv_form form, lc_node *out);
/* The same generators applied to one input: out = [L_1·x | … | L_p·x]
 * ([n, …, p·c], generator-major, from x [n, …, c]). Σ_i L_i·X·W_i is then
 * out·[W_1; …; W_p]: aggregating before projecting is cheaper when X is
 * narrower than the layer's output. Cost: O(E·p·c). */
lc_status lc_cg_edge_expand(lc_cgraph_t *cg, lc_graph_t *g, lc_node x, lc_node w,
                            lc_lconv_form form, lc_node *out);
/* Low-rank generators: out = Σ_i U_i·(V_iᵀ·Z_i), U and V [n, p·r] (generator-
 * major columns), z [n, …, p·f], out [n, …, f]. The n × n matrices are never
 * formed. Cost: O(n·p·r·f). */
lc_status lc_cg_lowrank(lc_cgraph_t *cg, lc_node u, lc_node v, lc_node z, int p,
                        lc_node *out);
/* The same generators applied to one input: out = [U_1·V_1ᵀ·X | … | U_p·V_pᵀ·X]
 * ([n, …, p·c], generator-major, from x [n, …, c]); out·[W_1; …; W_p] is then
 * Σ_i L_i·X·W_i, cheaper than lc_cg_lowrank when X is narrower than the
 * layer's output. Cost: O(n·p·r·c). */
lc_status lc_cg_lowrank_expand(lc_cgraph_t *cg, lc_node u, lc_node v, lc_node x, int p,
                               lc_node *out);
typedef enum { LC_POOL_SUM = 0, LC_POOL_MEAN = 1, LC_POOL_MAX = 2 } lc_pool_kind;
/* Pool over the nodes (dim 0): x [n, …, c] → [1, …, c]; with a node → graph
 * index `graph_of` (n entries in [0, n_graphs), referenced) → [n_graphs, …, c].
 * Max pooling routes the gradient to the first maximal node. */
lc_status lc_cg_pool(lc_cgraph_t *cg, lc_node x, lc_pool_kind kind, const int32_t *graph_of,
                     int64_t n_graphs, lc_node *out);
/* [n, B, c] (node-major batch) → [B, n·c] (one row per sample), for a dense head. */
lc_status lc_cg_flatten(lc_cgraph_t *cg, lc_node x, lc_node *out);
/* op(A)·op(B) with op = transpose when the flag is set (2-D operands). */
lc_status lc_cg_matmul_t(lc_cgraph_t *cg, lc_node a, int trans_a, lc_node b, int trans_b,
                         lc_node *out);

/* [a | b] along the last dimension (rows must agree). */
lc_status lc_cg_concat(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out);
/* y = alpha·x. */
lc_status lc_cg_scale(lc_cgraph_t *cg, lc_node x, float alpha, lc_node *out);
/* The same values with another shape of the same element count (1 to 4
 * dims), e.g. [n, B·c] ↔ [n, B, c] ↔ [n·B, c]: lets L·X (X as [n, B·c]) and
 * X·W (X as [n·B, c]) alternate on one buffer. Copies (cost O(numel)).
 * Errors: LC_ERR_SHAPE (counts differ), LC_ERR_INVALID_ARG (bad ndim/dims). */
lc_status lc_cg_reshape(lc_cgraph_t *cg, lc_node x, int ndim, const int64_t *shape,
                        lc_node *out);
/* Element-wise product a ∘ b (same shape); with reshape and lc_cg_pool it
 * gives per-sample dot products. Errors: LC_ERR_SHAPE. */
lc_status lc_cg_mul(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out);

/* Derive the backward pass from `loss` (a scalar node) and allocate all
 * buffers. Afterwards no builder may be called (LC_ERR_STATE).
 * Cost: O(total tensor size) memory, once. */
lc_status lc_cg_compile(lc_cgraph_t *cg, lc_node loss);
/* Run the forward pass; training = 1 enables dropout. No allocation. */
lc_status lc_cg_forward(lc_cgraph_t *cg, int training);
/* Run the backward pass: set every parameter gradient to d loss / d param.
 * Under a memory plan (lc_cg_share_buffers, a device) each backward pass needs
 * a successful forward pass of its own (LC_ERR_STATE otherwise). */
lc_status lc_cg_backward(lc_cgraph_t *cg);
/* Value and gradient buffers (owned by the graph; gradient NULL for nodes
 * that do not depend on a parameter or before compile). */
const lc_tensor_t *lc_cg_value(const lc_cgraph_t *cg, lc_node n);
const lc_tensor_t *lc_cg_grad(const lc_cgraph_t *cg, lc_node n);
/* Parameters in creation order. */
int lc_cg_num_params(const lc_cgraph_t *cg);
lc_node lc_cg_param_node(const lc_cgraph_t *cg, int i);
const char *lc_cg_param_name(const lc_cgraph_t *cg, int i);
/* Writable parameter tensor (to initialise or load). */
lc_tensor_t *lc_cg_param_tensor(lc_cgraph_t *cg, int i);
/* Check every op's output (forward) and the gradients it adds to (backward)
 * for NaN and Inf: the first one stops the pass with LC_ERR_NUMERIC naming the
 * op, the node and the element. Costs one scan of each tensor. Default off. */
void lc_cg_check_finite(lc_cgraph_t *cg, int on);
/* Re-seed the graph's RNG (dropout masks). */
void lc_cg_seed(lc_cgraph_t *cg, uint64_t seed);

/* ======================================================================
 * Devices: where a compiled graph runs. The CPU backend is always there; the
 * CUDA backend (cuBLAS, cuSPARSE and kernels) when lconv was configured with
 * --with-cuda and a GPU is present.
 * ==================================================================== */
typedef enum { LC_DEVICE_CPU = 0, LC_DEVICE_CUDA = 1 } lc_device;
/* "cpu" or "cuda". Errors: LC_ERR_INVALID_ARG naming the word. */
lc_status lc_device_parse(const char *name, lc_device *out);
const char *lc_device_name(lc_device d);
/* LC_OK when graphs can run on d here. Errors: LC_ERR_UNSUPPORTED (built
 * without CUDA, or no GPU here: no driver, no device, or one older than
 * sm_90), LC_ERR_BACKEND (a GPU is there but cannot be used: a driver older
 * than the runtime, cuBLAS or cuSPARSE missing; the message says what CUDA
 * reported). Cost: the first call initialises the CUDA runtime. */
lc_status lc_device_available(lc_device d);
/* Move a compiled graph to device d: buffers for every value, gradient and
 * scratch are allocated there at once (none inside the training loop), the
 * constants and parameters uploaded. Back to LC_DEVICE_CPU, values,
 * gradients and parameters are downloaded and the device memory freed. On a
 * device graph: lc_cg_value, lc_cg_grad and lc_cg_param_tensor copy from the
 * device first (they wait for it; if the copy fails they return the host's
 * last copy and the graph's next pass, optimizer step or lc_cg_sync returns
 * the error); a parameter tensor taken with lc_cg_param_tensor may
 * be written, and is uploaded again before the next pass; a constant's host
 * tensor changed after the move must be announced with lc_cg_touch. Dropout
 * masks on CUDA come from a counter-based generator seeded by the graph's
 * RNG: deterministic, but not the CPU's masks. Every op runs on CUDA; the
 * diffusion op's CHOLMOD solves run on the host (a wait per pass). Errors:
 * LC_ERR_STATE (not compiled), LC_ERR_UNSUPPORTED (an op without a kernel on d, named),
 * LC_ERR_BACKEND, LC_ERR_OUT_OF_MEMORY (device memory, with the bytes). On
 * failure the graph stays where it was. Cost: one pass over all buffers. */
lc_status lc_cg_to(lc_cgraph_t *cg, lc_device d);
lc_device lc_cg_device(const lc_cgraph_t *cg);
/* The host data of constant or parameter node n changed: a device graph
 * uploads it before its next pass. No-op on the CPU. Errors: LC_ERR_INVALID_ARG. */
lc_status lc_cg_touch(lc_cgraph_t *cg, lc_node n);
/* On a device, buffers follow a memory plan: an intermediate value or
 * gradient is overwritten once no pass needs it any more (activations share
 * memory across layers, as a framework's allocator would let them), so that
 * large graphs fit. The parameters, their gradients, the loss, the
 * cross-entropy's input (a model's log-probabilities) and outputs nobody
 * consumes stay readable. on = 1 before lc_cg_to keeps every node's value
 * and gradient readable after the passes instead (more memory; for tests and
 * debugging). No effect on the CPU, which keeps everything. */
lc_status lc_cg_keep_buffers(lc_cgraph_t *cg, int on);
/* The same memory plan on the CPU: on = 1 before lc_cg_compile gives every
 * intermediate value, gradient and scratch buffer a place in one arena
 * shared as their lives allow (the arxiv-like GCN's training step needs 631
 * MiB instead of 2 605; an element-wise op's input gradient is written over
 * the op's own), with the same results bit for bit; afterwards only the
 * parameters, their gradients, the loss, the cross-entropy's input and
 * unconsumed outputs are meaningful to read, and a backward pass spends the
 * values, so each needs its own forward pass. Default off (every buffer
 * readable). Errors: LC_ERR_STATE after compile. */
lc_status lc_cg_share_buffers(lc_cgraph_t *cg, int on);
/* Wait until the device has finished the graph's queued work (passes and
 * optimizer steps return before the GPU is done), e.g. to time it. Reports
 * a device fault raised since. No-op on the CPU. Errors: LC_ERR_BACKEND. */
lc_status lc_cg_sync(lc_cgraph_t *cg);
/* Device memory in use on device d (all processes, as the driver counts it)
 * and its total, in bytes. Errors: LC_ERR_UNSUPPORTED for the CPU, those of
 * lc_device_available. */
lc_status lc_device_memory(lc_device d, int64_t *used, int64_t *total);

/* ======================================================================
 * Optimizers over the parameters of a compiled graph.
 * ==================================================================== */
typedef enum { LC_OPTIM_SGD = 0, LC_OPTIM_ADAM = 1, LC_OPTIM_ADAMW = 2 } lc_optim_kind;
typedef struct {
    lc_optim_kind kind;
    float lr;           /* default 0.01 */
    float momentum;     /* SGD only; default 0 */
    float beta1, beta2; /* Adam; default 0.9, 0.999 */
    float eps;          /* Adam; default 1e-8 */
    float weight_decay; /* default for every parameter; 0. SGD/Adam: L2 added to
                           the gradient; AdamW: decoupled decay */
} lc_optim_config;
lc_optim_config lc_optim_defaults(lc_optim_kind kind);
typedef struct lc_optim lc_optim_t;
/* Allocates the optimizer state once. Errors: LC_ERR_STATE (graph not compiled),
 * LC_ERR_INVALID_ARG (lr ≤ 0, beta outside [0,1), ...). */
lc_status lc_optim_new(lc_optim_t **opt, const lc_optim_config *cfg, lc_cgraph_t *cg);
/* Per-parameter weight decay (parameter index as in lc_cg_param_node). */
lc_status lc_optim_set_weight_decay(lc_optim_t *opt, int param, float weight_decay);
/* Change the learning rate from the next step on (a schedule, e.g. ×0.7 per
 * epoch); the moments are kept. Errors: LC_ERR_INVALID_ARG (NULL, lr ≤ 0 or
 * not finite). Cost: O(1). */
lc_status lc_optim_set_lr(lc_optim_t *opt, float lr);
/* The learning rate in use (0 when opt is NULL). */
float lc_optim_lr(const lc_optim_t *opt);
lc_status lc_optim_step(lc_optim_t *opt);
/* Forget the moments and the step count. */
void lc_optim_reset(lc_optim_t *opt);
void lc_optim_free(lc_optim_t **opt);

/* ======================================================================
 * Layers and models
 * ==================================================================== */
typedef enum {
    LC_LAYER_LINEAR = 0,
    LC_LAYER_GCN,
    LC_LAYER_RELU,
    LC_LAYER_LEAKY_RELU,
    LC_LAYER_ELU,
    LC_LAYER_TANH,
    LC_LAYER_SIGMOID,
    LC_LAYER_DROPOUT,
    LC_LAYER_LCONV,   /* edge-weighted L-conv on the data's graph: "lconv:W[:p=4][:form=vf|adj]
                         [:init=normal|const|attr][:frozen][:now0]" */
    LC_LAYER_SHARED,  /* shared-generator L-conv (paper eq. 97), needs node positions:
                         "shared:W[:p=2][:frozen]" */
    LC_LAYER_LATTICE, /* CNN as L-conv on the data's grid (lc_graph_grid): "lattice:W[:k=3]" */
    LC_LAYER_LOWRANK, /* low-rank dense generators: "lowrank:W[:p=7][:r=8][:frozen]" */
    LC_LAYER_FLATTEN, /* graph-level data: [n, B, c] → [B, n·c] before a dense head: "flatten" */
    LC_LAYER_DIFFUSION /* exact diffusion on the data's graph, (I + t·L)⁻¹·X with L = D − A
                          (lc_graph_diffusion; APPNP-style propagation, no parameters):
                          "diffusion[:T]", T = t ≥ 0, default 1 */
} lc_layer_kind;

/* How edge weights of an edge-weighted L-conv start. */
typedef enum {
    LC_EDGE_INIT_NORMAL = 0, /* N(0, 1/deg): random */
    LC_EDGE_INIT_CONSTANT,   /* all 1/deg of the tail (an averaging start) */
    LC_EDGE_INIT_ATTR        /* the graph's edge weights, repeated for each generator */
} lc_edge_init;

/* One layer: kind, output width (0 for the last learnable layer = number of
 * classes of the data; ignored by activations), a scalar argument (dropout p,
 * leaky-relu slope, elu alpha; < 0 = default) and, for learnable layers,
 * no_bias = 1 to leave out the bias (Kipf & Welling's GCN has none). */
typedef struct {
    lc_layer_kind kind;
    int64_t width;
    float arg;
    int no_bias;
    /* L-conv families (0 = the family's default) */
    int generators;  /* p: lconv 1, shared 2, lowrank 7 (lattice: k^d − 1, fixed) */
    int rank;        /* lowrank r, default 8 */
    int kernel;      /* lattice k (odd), default 3 */
    lc_lconv_form form;   /* lconv: vector field (default) or adjacency */
    lc_edge_init init;    /* lconv edge-weight start */
    int frozen;      /* 1: generators stay at their random start ("random L" control) */
    int no_w0;       /* 1: drop the X·W0 term */
} lc_layer_desc;

typedef struct lc_model lc_model_t;
typedef struct lc_dist lc_dist_t; /* data-parallel communicator (lc_dist_init) */

lc_status lc_model_new(lc_model_t **m);
/* Append a layer. Errors: LC_ERR_INVALID_ARG (width < 0, p outside [0,1)). */
lc_status lc_model_add(lc_model_t *m, lc_layer_desc layer);
/* From a one-line spec, e.g. "gcn:16,relu,dropout:0.5,gcn". Tokens: linear:W,
 * gcn:W (W may be omitted on the last learnable layer; a further ":nobias"
 * drops the bias, e.g. "gcn:16:nobias" or "gcn:nobias"), relu, leaky_relu[:s],
 * elu[:a], tanh, sigmoid, dropout[:p], flatten (graph-level data), and the
 * L-conv families of lc_layer_kind. Presets: the single word "gcn" is Kipf &
 * Welling's model "dropout:0.5,gcn:16:nobias,relu,dropout:0.5,gcn:nobias";
 * "mlp" the same with linear layers. Errors name the token:
 * "lc_model_from_spec: token 3 'dropuot': unknown layer". */
lc_status lc_model_from_spec(lc_model_t **m, const char *spec);
void lc_model_free(lc_model_t **m);
/* Set the width of every learnable layer but the last (the output layer).
 * Errors: LC_ERR_INVALID_ARG (width < 1, or no hidden learnable layer). */
lc_status lc_model_set_hidden(lc_model_t *m, int64_t width);
int lc_model_num_layers(const lc_model_t *m);
/* Learnable scalars of a built model (the elements of every parameter; frozen
 * generators are constants and do not count; a model built on a part file
 * counts its L-conv edge weights as the whole graph's, as every rank of its
 * job does); 0 before build. */
int64_t lc_model_num_params(const lc_model_t *m);
/* Canonical spec of the model ("gcn:16,relu,dropout:0.5,gcn:7" after build). */
const char *lc_model_spec(const lc_model_t *m);

typedef struct {
    int epochs;           /* default 200 */
    float lr;             /* default 0.01 */
    float weight_decay;   /* default 5e-4 */
    int weight_decay_all; /* 0 (default): L2 on the first layer's weights only (Kipf) */
    float dropout;        /* < 0 (default): keep the spec's p; otherwise override every dropout */
    int patience;         /* early stopping window on validation loss, Kipf-style: stop
                             when val loss > mean of the previous `patience`; 0 = off;
                             default 10 */
    lc_optim_kind optim;  /* default Adam */
    uint64_t seed;        /* default 42: parameters and dropout */
    int verbose;          /* progress line on stderr when it is a terminal */
    int check_finite;     /* check every op for NaN/Inf (lc_cg_check_finite); the error
                             names the op, the layer and the epoch */
    const char *log_csv;  /* per-epoch log file, or NULL */
    int batch_size;       /* graph-level data: samples per step (default 64; the last
                             batch of an epoch may be smaller); node-level data
                             trains full-batch */
    int share_buffers;    /* 1: the graph's intermediate buffers share memory
                             (lc_cg_share_buffers): the same results in far less
                             memory; default 0 */
    int keep_best;        /* 1: end with the parameters of the epoch of best validation
                             accuracy (ties: the lower validation loss; the first),
                             as PyG's examples select; 0 (default): the last epoch's
                             (Kipf & Welling). Needs a validation set: without one
                             the last epoch's stay. */
    lc_dist_t *dist;      /* NULL (default): this process alone; otherwise data-parallel
                             training over dist's ranks (graph-level data; see
                             lc_dist_init): every rank calls build, train, evaluate
                             and save alike, with the same config */
    /* called after every epoch (numbered from 1) if not NULL; return nonzero to stop */
    int (*on_epoch)(void *user, int epoch, float train_loss, float val_loss, float val_acc);
    void *user;
} lc_train_config;
lc_train_config lc_train_defaults(void);

typedef struct {
    float loss[3];     /* train, val, test: mean cross-entropy (NaN if the mask is empty) */
    float accuracy[3]; /* fraction correct over each mask (NaN if empty) */
} lc_eval_result;

typedef struct {
    int epochs_run;
    int stopped_early;
    double seconds;
    lc_eval_result final; /* evaluation of the parameters the model ends with */
    int best_epoch;       /* keep_best: the epoch (from 1) whose parameters were kept; 0 otherwise */
    /* Data-parallel (cfg->dist): how the ranks' gradients were summed: "mpi"
     * (host memory), "mpi, staged through the host (why)" (a device's
     * gradients copied home and back), or "nccl" (on the devices). NULL when
     * not data-parallel. Owned by the model, valid until it is rebuilt. */
    const char *gradients;
} lc_train_result;

/* Build the model's compute graph for a dataset (parameters initialised with
 * cfg->seed, Glorot). Done automatically by lc_model_train when needed. On a
 * part file's data set with L-conv layers and cfg->dist set, collective: each
 * rank reads its part's edges file and all fail together if one cannot.
 * Errors: LC_ERR_SHAPE, LC_ERR_INVALID_ARG (no learnable layer, empty train
 * mask), LC_ERR_UNSUPPORTED (a layer a part file's data set does not train),
 * those of reading the edges file. */
lc_status lc_model_build(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg);
/* Training: forward, masked cross-entropy on the train mask, backward,
 * optimizer step; evaluation on val every epoch for early stopping.
 * Node-level data trains full-batch (one step per epoch); graph-level data
 * (lc_dataset_from_samples) in mini-batches of cfg->batch_size training
 * samples, shuffled every epoch with a stream drawn from cfg->seed (so the
 * same seed gives the same bits), the last batch short.
 * Builds the model for ds first if it is not built for it (parameters from
 * cfg->seed); otherwise training continues from the current parameters (after
 * lc_model_load, say): the optimizer restarts when optim, lr or weight decay
 * differ from the previous call, and cfg->seed restarts the dropout stream.
 * Masked rows without a label (-1) are skipped. res may be NULL.
 * Errors: LC_ERR_STATE (cfg->dropout or, for graph-level data, the batch size
 * differs from the build's: rebuild), LC_ERR_INVALID_ARG (no labelled training
 * row, batch size < 1), LC_ERR_NUMERIC (the loss is not finite, naming the
 * epoch), LC_ERR_IO (log). */
lc_status lc_model_train(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg,
                         lc_train_result *res);
/* Evaluate (dropout off) on the three masks (graph-level data: batch by
 * batch, allocating nothing). */
lc_status lc_model_evaluate(lc_model_t *m, const lc_dataset_t *ds, lc_eval_result *res);
/* Log-probabilities [n, classes] of the last forward pass (owned by the model;
 * graph-level data: [B, classes] of the last batch). */
const lc_tensor_t *lc_model_output(const lc_model_t *m);
/* The model's compute graph (NULL before build), e.g. to read parameters. */
lc_cgraph_t *lc_model_graph(lc_model_t *m);
/* Run the model on device d from now on: its graph moves at once when built
 * and after every (re)build; the optimizer's state follows at its next step
 * (see lc_cg_to). Errors: those of lc_device_available and lc_cg_to. */
lc_status lc_model_to(lc_model_t *m, lc_device d);

/* Cosine correlation tr(XᵀY) / (‖X‖_F ‖Y‖_F) of two arrays of len floats (0
 * when either is all zeros): how close a learned generator is to a truth. */
double lc_cosine_correlation(const float *x, const float *y, int64_t len);
/* The dense n × n matrix of generator i of an edge-weighted L-conv with
 * weights w [E, p] on g (for small graphs: to compare with a ground truth).
 * Errors: LC_ERR_SHAPE, LC_ERR_OUT_OF_MEMORY (n > 2^16). */
lc_status lc_generator_dense(const lc_graph_t *g, const lc_tensor_t *w, int i,
                             lc_lconv_form form, lc_tensor_t **dense);
/* Write the generator parameters of every L-conv layer of a built model to
 * PATH.ckpt (checkpoint format) and PATH.csv (layer,name,row,col,value).
 * Under MPI, collective as lc_model_save: rank 0 writes, and a model built on
 * part files gathers its edge weights into the whole graph's first. */
lc_status lc_model_export_generators(lc_model_t *m, const char *path);

/* Fraction of rows r with mask[r] and a label (labels[r] >= 0) whose argmax of
 * scores[r, :] equals labels[r]; NaN when there is no such row. */
float lc_accuracy(const lc_tensor_t *scores, const int32_t *labels, const uint8_t *mask);

/* ======================================================================
 * Ground-truth generators and images: the operators against which the
 * paper's symmetry-discovery experiments measure a learned generator, the
 * rotation that makes their data, and exp(θ·L) to make exact data.
 * Sums are done in double and rounded to float once.
 * ==================================================================== */
/* The band-limited (Shannon–Whittaker) shift by z of a periodic array of d
 * points: the d × d circulant matrix with entries Q(d, i − j − z), where
 * Q(d, u) = (1/d) Σ_{p : |p| < d/2} cos(2πpu/d) (for even d, p runs over
 * −d/2+1 .. d/2−1: the Nyquist mode is left out, as in the paper's code, so
 * Q(d, 0) = I − (−1)^(i−j)/d; for odd d, Q(d, 0) = I). (Q·f)[i] ≈ f[i − z]:
 * the signal moves towards higher indices by z. Q(d, a)·Q(d, b) = Q(d, a + b).
 * Errors: LC_ERR_INVALID_ARG (d not in [2, 2^18], z not finite, q NULL).
 * Cost: O(d²). */
lc_status lc_shift_1d(int64_t d, double z, lc_tensor_t **q);
/* The shift's generator: the circulant d × d matrix L0(d, i − j) with
 * L0(d, u) = ∂Q(d, u)/∂u = Σ_{|p| < d/2} −(2πp/d²) sin(2πpu/d), so that
 * (L0·f)[i] ≈ f'(i), Q(d, z) = exp(−z·L0) on the band and
 * (I − (z/n)·L0)^n → Q(d, z). Antisymmetric. Errors and cost: as lc_shift_1d. */
lc_status lc_shift_generator_1d(int64_t d, lc_tensor_t **l0);
/* The rotation generators of a side × side image, built as the paper's code
 * builds them. Pixel index = row·side + col (row-major, as images are stored);
 * centred coordinates x = col − (side−1)/2 (the column: to the right) and
 * y = row − (side−1)/2 (the row: downwards). With period 2·side (so that the
 * derivative does not wrap around the image):
 *   L_x[i, j] = L0(2·side, x_i − x_j) when i and j lie on the same row, else 0
 *   L_y[i, j] = L0(2·side, y_i − y_j) when i and j lie in the same column, else 0
 *   L_rot = diag(x)·L_y − diag(y)·L_x  (antisymmetric; = x∂_y − y∂_x)
 * each n × n with n = side². L_rot generates lc_image_rotate's rotation:
 * rotate(f, θ) ≈ f + θ·L_rot·f for small θ. Any output may be NULL to skip it
 * (not all three). Errors: LC_ERR_INVALID_ARG (side not in [2, 256], all
 * outputs NULL), LC_ERR_OUT_OF_MEMORY. Cost: O(side⁴) memory and time. */
lc_status lc_rotation_generators_2d(int64_t side, lc_tensor_t **lx, lc_tensor_t **ly,
                                    lc_tensor_t **lrot);
/* What lc_image_rotate puts where the rotated image leaves the source. */
typedef enum {
    LC_FILL_ZERO = 0,  /* torch grid_sample padding_mode 'zeros' */
    LC_FILL_BORDER = 1 /* padding_mode 'border': the nearest border pixel's value */
} lc_fill_mode;
/* Rotate a height × width image (row-major floats) by `angle` radians about
 * its centre with bilinear interpolation, exactly as torch's
 * affine_grid(theta = [[cos a, −sin a, 0], [sin a, cos a, 0]], align_corners =
 * False) followed by grid_sample(mode = 'bilinear', align_corners = False):
 * dst(p) = src(R(a)·p) in the normalised coordinates of affine_grid (x =
 * column, y = row, both in [−1, 1], y pointing down). With row 0 shown at the
 * top, a positive angle turns the picture counterclockwise (90° of a square
 * image: dst[i][j] = src[j][side−1−i]). For a non-square image the rotation
 * acts on normalised coordinates, as in torch (so it is not rigid in pixels).
 * Errors: LC_ERR_INVALID_ARG (NULL, a side < 1, angle not finite, unknown fill,
 * src and dst overlapping). Cost: O(height·width). */
lc_status lc_image_rotate(const float *src, int64_t height, int64_t width, double angle,
                          lc_fill_mode fill, float *dst);
/* y[:, k] = exp(theta[k]·L)·x[:, k] for every column k of x [n, B] (one
 * sample per column; theta has B entries), by s steps of exp(θL/s) with s the
 * smallest integer making ‖θL/s‖₁ ≤ 1 and Taylor's series to float precision
 * (about 11 terms), each term one GEMM over a block of up to 2048 columns
 * (columns sorted by |θ|, so each block takes the steps its own largest |θ|
 * needs). y may be x (in place). Errors: LC_ERR_INVALID_ARG (NULL, a theta not
 * finite), LC_ERR_SHAPE (l not square, x not [n, B], y not x's shape),
 * LC_ERR_NUMERIC (l not finite), LC_ERR_OUT_OF_MEMORY. Cost: about
 * 11·(|θ|·‖L‖₁ + 1)·n² multiply-adds per column (|θ| of its block's largest);
 * 10 000 columns of 400 pixels with θ < π/4 and L_rot (‖L‖₁ = 70): 11 s on one core. */
lc_status lc_expm_apply(const lc_tensor_t *l, const float *theta, const lc_tensor_t *x,
                        lc_tensor_t *y);

/* ======================================================================
 * Meshes: triangle meshes read through Assimp (or built from arrays, or an
 * icosphere), their graph, the cotangent Laplacian and exact implicit
 * diffusion solved with CHOLMOD.
 * ==================================================================== */
typedef struct lc_mesh lc_mesh_t;

/* Read a triangle mesh: OFF (".off"), Wavefront OBJ (".obj") or PLY (".ply",
 * ASCII or binary, either byte order), chosen by the extension (any case).
 * lconv reads the file once and checks its structure itself (counts against
 * the file's size, every number, every index in range, faces of at least 3
 * vertices) before Assimp parses it from that copy (Triangulate,
 * JoinIdenticalVertices, ValidateDataStructure); Assimp opens no other file
 * (an OBJ's mtllib is ignored) and logs nothing. Polygons are triangulated; vertices at the
 * same position are joined (also across an OBJ's groups and texture seams);
 * vertices that no triangle uses are dropped, and so are triangles left with
 * a repeated vertex by the joining. Vertex order: the file's for OFF and PLY
 * files without duplicates, Assimp's (first use by a face) for OBJ.
 * Accepted: OFF with the plain "OFF" header (no COFF/NOFF/4OFF/binary OFF),
 * faces of 3 to 9 vertices (Assimp drops larger ones); PLY with one "vertex"
 * element (scalar x, y, z and other scalars) and one "face" element (one
 * list "vertex_indices" or "vertex_index" of 3 to 1024 entries, other
 * scalars), one instance per line in ASCII (binary data must not begin with
 * byte 0x0a: Assimp misreads it); OBJ statements v (3 or 6
 * numbers), vt (2 or 3), vn (3), f (3 to 1024 corners, one index form per
 * face, negative indices relative), o, g, s, usemtl, mtllib and comments,
 * each at the start of its line; numbers start with a digit or a sign.
 * Errors: LC_ERR_IO (cannot open or read, not a regular file), LC_ERR_PARSE
 * naming the file and line (byte offset in binary PLY) and the problem, or
 * Assimp's reason when it refuses a file that passed lconv's checks,
 * LC_ERR_UNSUPPORTED (another extension or a variant listed above as not
 * accepted), LC_ERR_OUT_OF_MEMORY (a file above 2^31 − 1 bytes or more than
 * a quarter of the machine's memory, counts above 2^31 − 2, or an allocation
 * failed), LC_ERR_BACKEND (Assimp's result disagrees with the file).
 * Cost: O(file size) time; memory about 4 copies of the file plus Assimp's
 * scene. Imports are serialised (Assimp's C API keeps its last error in a
 * global). */
lc_status lc_mesh_read(lc_mesh_t **m, const char *path);
/* A mesh from n_vertices × 3 coordinates and n_triangles × 3 vertex indices
 * (copied; kept as given: no joining, and unused vertices stay).
 * Errors: LC_ERR_INVALID_ARG (a count out of [3, 2^31 − 2] vertices or
 * [1, 2^31 − 2] triangles, NULL arrays, a coordinate not finite, an index
 * out of range or repeated within a triangle, naming it), LC_ERR_OUT_OF_MEMORY.
 * Cost: O(n_vertices + n_triangles). */
lc_status lc_mesh_new(lc_mesh_t **m, int64_t n_vertices, const float *vertices,
                      int64_t n_triangles, const int64_t *triangles);
/* The unit icosphere: the icosahedron with every triangle split in four
 * `subdivisions` times, new vertices pushed onto the sphere: 10·4^k + 2
 * vertices (12, 42, 162, 642, 2562 for k = 0..4) and 20·4^k triangles,
 * oriented counterclockwise seen from outside (normals point outward).
 * Errors: LC_ERR_INVALID_ARG (subdivisions not in [0, 10]),
 * LC_ERR_OUT_OF_MEMORY. Cost: O(4^k). */
lc_status lc_mesh_icosphere(lc_mesh_t **m, int subdivisions);
void lc_mesh_free(lc_mesh_t **m);
int64_t lc_mesh_num_vertices(const lc_mesh_t *m);
int64_t lc_mesh_num_triangles(const lc_mesh_t *m);
/* Borrowed arrays, owned by the mesh: coordinates [V, 3], triangles [T, 3]
 * (vertex indices), and unit vertex normals [V, 3]: the area-weighted mean of
 * the incident triangles' normals (right-hand rule on their vertex order),
 * 0 where it vanishes. */
const float *lc_mesh_vertices(const lc_mesh_t *m);
const int64_t *lc_mesh_triangles(const lc_mesh_t *m);
const float *lc_mesh_normals(const lc_mesh_t *m);

/* The mesh's graph: one node per vertex (node i = vertex i, so the mesh's
 * normals index the nodes too), every triangle edge in both directions once,
 * weight 1, and the vertex coordinates as node positions (dim 3), as the
 * shared-generator L-conv ("shared") needs. A closed mesh of V vertices, E
 * edges and F triangles gives 2E directed edges, with V − E + F = 2 for a
 * sphere. Errors: LC_ERR_INVALID_ARG, LC_ERR_OUT_OF_MEMORY. Cost: O(V + T). */
lc_status lc_graph_from_mesh(lc_graph_t **g, const lc_mesh_t *m);

/* The cotangent Laplacian, positive semidefinite convention:
 *   L[i, j] = −½ (cot α_ij + cot β_ij)  for each mesh edge {i, j}, where α and
 *             β are the angles opposite the edge in its (one or two) triangles,
 *   L[i, i] = −Σ_j L[i, j],             so that rows sum to zero (L·1 = 0),
 * symmetric, V × V, nnz = 2E + V (the diagonal always stored). Then
 * fᵀ·L·f = ½ Σ_edges (cot α + cot β)(f_i − f_j)² ≥ 0 is the Dirichlet energy
 * of the piecewise-linear f (L is the linear finite-element stiffness
 * matrix), and −M⁻¹·L approximates the Laplace–Beltrami operator. `mass`, when
 * not NULL, receives V lumped (barycentric) masses: a third of the area of
 * every triangle at the vertex. Triangles of zero area contribute nothing.
 * Sums in double, rounded to float once.
 * Errors: LC_ERR_INVALID_ARG, LC_ERR_NUMERIC (a weight overflows float on a
 * nearly flat triangle), LC_ERR_OUT_OF_MEMORY. Cost: O(V + T log(max degree)). */
lc_status lc_mesh_laplacian(const lc_mesh_t *m, lc_csr_t **L, float *mass);

/* Exact implicit diffusion (backward Euler of ∂f/∂t = −M⁻¹L f, or an
 * APPNP-style propagation): y = (M + t·L)⁻¹ · M · x with M = diag(mass).
 * lc_diffusion_new factorises A = M + t·L once with CHOLMOD
 * (cholmod_analyze + cholmod_factorize in double, fill-reducing ordering)
 * and keeps a copy of the factor; later solves use only lconv's memory.
 * L must be square and symmetric (within 1e-6 relative; e.g. from
 * lc_mesh_laplacian), positive semidefinite; mass has n positive entries;
 * t ≥ 0. L and mass are not referenced afterwards.
 * Errors: LC_ERR_SHAPE (L not square or empty), LC_ERR_INVALID_ARG (NULL, L
 * not symmetric, naming the entry; a mass not positive and finite; t < 0 or
 * not finite), LC_ERR_NUMERIC (L not finite, or A not positive definite),
 * LC_ERR_OUT_OF_MEMORY (beyond CHOLMOD's 32-bit indices, or an allocation
 * failed: CHOLMOD's own allocations are outside lc_set_allocator's reach),
 * LC_ERR_BACKEND (CHOLMOD failed otherwise, with its reason).
 * Cost: one sparse Cholesky factorisation (for a mesh, about O(n^1.5) time);
 * memory O(nnz of the factor). */
typedef struct lc_diffusion lc_diffusion_t;
lc_status lc_diffusion_new(lc_diffusion_t **d, const lc_csr_t *L, const float *mass, double t);
/* y = (M + t·L)⁻¹·M·x for x [n, …] (each of the trailing columns diffused on
 * its own), y of x's shape; y may be x. Solves in double, blocks of 16
 * columns in parallel over lc_set_threads threads (the same bits for any
 * thread count). Errors: LC_ERR_INVALID_ARG, LC_ERR_SHAPE, LC_ERR_OUT_OF_MEMORY
 * (scratch of 16·n doubles per thread). Cost: O(nnz(factor)·columns). */
lc_status lc_diffusion_apply(const lc_diffusion_t *d, const lc_tensor_t *x, lc_tensor_t *y);
/* n, the operator's size (0 for NULL). */
int64_t lc_diffusion_size(const lc_diffusion_t *d);
void lc_diffusion_free(lc_diffusion_t **d);
/* The exact diffusion (I + t·L)⁻¹ on a graph, L = D − A its Laplacian (D the
 * weighted out-degrees; M = I): lc_diffusion_new on it, factorised once per t
 * and cached in g (freed with it; at most 4 values of t), as the "diffusion"
 * layer uses it. The graph must be symmetric (undirected, both directions
 * stored with equal weights). Errors: LC_ERR_INVALID_ARG (NULL, t < 0 or not
 * finite, a graph that is not symmetric, naming the entry), LC_ERR_UNSUPPORTED
 * (a fifth t), those of lc_diffusion_new. Thread-safe. */
lc_status lc_graph_diffusion(lc_graph_t *g, double t, const lc_diffusion_t **d);
/* The same as a compute-graph op: out = (M + t·L)⁻¹·M·x, x and out [n, …].
 * Its gradient is the transpose, dx = M·(M + t·L)⁻¹·dout (A is symmetric), so
 * diffusion can be a layer. d is referenced and must outlive the graph; the
 * work blocks are allocated at compile time (per thread then in use).
 * Errors: LC_ERR_SHAPE (x does not have n rows), those of every builder.
 * Cost: as lc_diffusion_apply, forward and backward. */
lc_status lc_cg_diffusion(lc_cgraph_t *cg, const lc_diffusion_t *d, lc_node x, lc_node *out);

/* ======================================================================
 * Point clouds: readers (.xyz, PCD, PointNet's HDF5), graphs from geometry
 * (exact k-nearest-neighbour and radius graphs through FLANN) and batches of
 * graphs as one block-diagonal graph (pooled per graph with lc_cg_pool).
 * ==================================================================== */
/* Read an .xyz text file into points [n, 3]: one point per line, "x y z"
 * separated by blanks, then optional further columns (normals, colours,
 * intensity), which are ignored unread; every point line has the same number
 * of columns. '#' starts a comment (to the end of the line); blank lines are
 * skipped; CRLF line ends are accepted.
 * Errors: LC_ERR_INVALID_ARG (NULL), LC_ERR_IO (cannot open or read),
 * LC_ERR_PARSE naming the file and line (fewer than 3 columns, a column count
 * unlike the first point's, a coordinate that is not a finite float, a NUL
 * byte, no point at all), LC_ERR_OUT_OF_MEMORY (more than 2^31 − 2 points, or
 * an allocation failed). Cost: one pass; memory about 2 × 12 bytes a point. */
lc_status lc_read_xyz(const char *path, lc_tensor_t **points);
/* Read a PCD file (the Point Cloud Library's format, DATA ascii) into points
 * [n, 3]: the fields named x, y and z, wherever FIELDS puts them (other fields,
 * of any COUNT, are skipped unread). The header is VERSION, FIELDS, SIZE,
 * TYPE, COUNT, WIDTH, HEIGHT, VIEWPOINT, POINTS, DATA in this order, each at
 * most once; VERSION, COUNT (default 1 each) and VIEWPOINT are optional.
 * WIDTH × HEIGHT must equal POINTS (≥ 1), and exactly POINTS data lines of
 * Σ COUNT values follow. A point with a coordinate "nan" (PCL's mark of an
 * invalid point in an organised cloud) is dropped, so n ≤ POINTS.
 * Errors: LC_ERR_IO, LC_ERR_PARSE naming the file and line (unknown, repeated
 * or out-of-order keyword, entries per field unlike FIELDS' count, no x, y or
 * z field or one of COUNT > 1, bad SIZE/TYPE/COUNT, WIDTH × HEIGHT ≠ POINTS,
 * a value count unlike the header's, more or fewer points than POINTS, a
 * coordinate neither finite nor nan, every point nan),
 * LC_ERR_UNSUPPORTED (DATA binary or binary_compressed), LC_ERR_OUT_OF_MEMORY.
 * Header sizes are capped (256 fields, 2^20 values a point, 2^31 − 2 points)
 * and memory grows with the points actually read, never from POINTS alone.
 * Cost: one pass; memory about 2 × 12 bytes a point. */
lc_status lc_read_pcd(const char *path, lc_tensor_t **points);
/* Read an HDF5 file in PointNet's layout through libhdf5: dataset "data"
 * M × N × 3 (M clouds of N points; float32 or any numeric type, converted to
 * float) into points [M, N, 3], and dataset "label" of M integers (any integer
 * type; shape M or M × 1) into labels [M] (float values of the classes, as
 * lc_read_idx returns labels). labels may be NULL to read the points only
 * (the file then needs no "label"). Other datasets are ignored.
 * Errors: LC_ERR_INVALID_ARG (NULL), LC_ERR_IO (cannot open, not a regular
 * file), LC_ERR_PARSE naming the file and the dataset (no HDF5 signature, a
 * file libhdf5 cannot open, a missing dataset, a wrong type class or shape, no
 * stored values, a point not finite naming [m][n][c], a label outside
 * [0, 2^20) naming its index), LC_ERR_OUT_OF_MEMORY (more than 2^31 values, or
 * more than a quarter of the machine's memory: refused from the header before
 * allocating). libhdf5 allocates outside lc_set_allocator's reach and parses
 * the file's structures itself; calls are serialised (the serial libhdf5 is
 * not thread-safe) and libhdf5's error printing is turned off.
 * Cost: one read of the two datasets; memory = the tensors. */
lc_status lc_read_pointnet_h5(const char *path, lc_tensor_t **points, lc_tensor_t **labels);

/* The k-nearest-neighbour graph of n points (row-major, n × dim floats): for
 * every point i and each of its k nearest other points j (Euclidean), the
 * edge tail i → head j, weight 1. In lconv's convention a node aggregates
 * over its out-edges (GCN: Y = Â·X sums over heads; L-conv: over the edges
 * whose tail is the node), so every point gathers from its own k neighbours:
 * messages flow neighbour → point, out-degree exactly k, no self loop.
 * The search is exact: FLANN's single kd-tree (FLANN_INDEX_KDTREE_SINGLE) with
 * eps = 0 and unlimited checks gives a linear scan's neighbours; distances
 * are then recomputed in double and the neighbours ordered by (distance,
 * index), so at a tie the lower index wins (duplicate points included) and
 * the same input gives the same graph, equal to brute force. flags: 0
 * (directed), or LC_GRAPH_SYMMETRIZE (add j → i too; with LC_GRAPH_BINARY a
 * mutual pair keeps weight 1), LC_GRAPH_SELF_LOOPS, LC_GRAPH_BINARY. The
 * points become the node positions when dim ≤ 16 (lc_graph_set_positions,
 * for the shared-generator L-conv: edge vectors head − tail = neighbour −
 * point). Errors: LC_ERR_INVALID_ARG (n not in [2, 2^31 − 2], dim < 1, NULL,
 * k not in [1, n − 1], a coordinate not finite naming it, another flag),
 * LC_ERR_OUT_OF_MEMORY (n·k > 2^31 − 1 or an allocation failed),
 * LC_ERR_BACKEND (FLANN failed; it allocates outside lc_set_allocator).
 * FLANN searches in float: a cloud with a coordinate beyond 2^40 is
 * searched as a copy scaled by a power of two (exact), so that no squared
 * distance overflows. Cost: a kd-tree build O(n log n) and n searches of
 * k + 9 candidates, O(n log n) for well-spread low-dimensional points (where
 * a tie straddles the k-th distance the search is widened, and past n/2
 * candidates replaced by a scan of all n points in double); memory O(n·k). */
lc_status lc_graph_knn(lc_graph_t **g, int64_t n, int dim, const float *points, int k,
                       int flags);
/* The same graph (edge for edge) computed on device d: on CUDA a brute-force
 * scan of all pairs on the GPU keeps k + 8 candidates per point, whose
 * distances the host recomputes in double to settle ties as lc_graph_knn
 * does (a point whose k-th neighbour is tied across the cut is scanned on
 * the CPU). LC_DEVICE_CPU is lc_graph_knn. Errors: those of lc_graph_knn and
 * lc_device_available; LC_ERR_UNSUPPORTED on CUDA for dim > 16 or k > 56.
 * Cost: O(n²·dim) on the GPU, O(n·k) host work and memory. */
lc_status lc_graph_knn_device(lc_graph_t **g, lc_device d, int64_t n, int dim,
                              const float *points, int k, int flags);
/* The radius graph: an edge i → j for every other point j within distance
 * ≤ radius of point i (Euclidean, decided in double). max_neighbors > 0 keeps
 * only the max_neighbors nearest of each point, ordered by (distance, index);
 * 0 keeps all. Search exact as for lc_graph_knn (FLANN's radius search asked
 * for a slightly larger radius, the double distance deciding); flags,
 * positions and direction as there (a point can have no edge).
 * Errors: LC_ERR_INVALID_ARG (as lc_graph_knn; radius negative or not finite,
 * max_neighbors < 0), LC_ERR_OUT_OF_MEMORY (more than 2^31 − 1 edges),
 * LC_ERR_BACKEND. Cost: O(n log n + edges) for spread points; memory O(n +
 * edges). */
lc_status lc_graph_radius(lc_graph_t **g, int64_t n, int dim, const float *points, float radius,
                          int max_neighbors, int flags);
/* Many graphs as one block-diagonal graph: graph k's nodes follow those of
 * graphs 0 .. k − 1 (node v of graph k is node off_k + v, off_k = Σ_{l<k} n_l),
 * its edges and weights are kept, and so the batch's edge list is the graphs'
 * edge lists one after the other (edge-level tensors concatenate). Positions
 * are carried when every graph has them (of one dimension). Edge types and
 * lattice shapes are not carried. graph_of, when not NULL, must hold Σ n_k
 * entries and receives each node's graph (int32, as lc_cg_pool takes it).
 * Because no edge joins two graphs, GCN normalisation and every layer act on
 * each block as on its graph alone; pool per graph with lc_cg_pool(…,
 * graph_of, count, …). Errors: LC_ERR_INVALID_ARG (count not in [1, 2^31 −
 * 1], a NULL graph, more than 2^31 − 2 nodes in all, positions on some graphs
 * only or of different dimensions), LC_ERR_OUT_OF_MEMORY. Cost: O(Σ (n_k +
 * m_k)). */
lc_status lc_graph_batch(lc_graph_t **batch, int64_t count, const lc_graph_t *const *graphs,
                         int32_t *graph_of);

/* ======================================================================
 * Checkpoints: versioned binary file (magic, version, model spec, parameter
 * names and shapes, values, CRC-32), written atomically (temp file, fsync,
 * rename). Loading refuses a corrupt file (LC_ERR_CORRUPT) or one of another
 * model (LC_ERR_MISMATCH) with a message naming the file and the problem.
 * ==================================================================== */
/* Under MPI, collective: every rank of the model's job calls it (rank 0
 * writes); a model built on part files gathers its edge weights first, and
 * refuses with LC_ERR_STATE outside the job its parts were written for. */
lc_status lc_model_save(const lc_model_t *m, const char *path);
/* The model must be built (same spec and data shapes); one built on a part
 * file takes its part's rows of the checkpoint's edge weights. */
lc_status lc_model_load(lc_model_t *m, const char *path);

/* ======================================================================
 * Scale-out on MPI: data-parallel and full-graph partitioned training, and
 * graph partitioning.
 *
 * Data-parallel training (graph-level data: many samples on one graph) runs
 * the same program in P processes (`mpirun -np P`). Each takes its share of
 * every mini-batch (rank r the samples [c·r/P, c·(r+1)/P) of a batch of c);
 * the gradients, weighted by each rank's share, are summed over the ranks
 * in rank order (so results are deterministic for a given P and the same bits
 * on every rank) before the optimizer step, so every rank keeps the same
 * parameters, equal to one process's within float rounding. Parameters start
 * from rank 0's; evaluation is split over the ranks and reduced. With dropout
 * each rank draws its own masks (rank 0 the one process's), so runs with
 * dropout differ from one process's. On a device (lc_model_to) the gradients
 * are summed there with NCCL when every rank can open it and no two share a
 * device, else copied through the host and summed as on the CPU; the
 * environment variable LCONV_NCCL=0 forces the host path (two ranks on one
 * GPU need it); lc_train_result.gradients says which ran. A communicator of
 * one rank runs the same path.
 *
 * Full-graph partitioned training (node-level data: one graph) splits the
 * nodes over the ranks (METIS parts when built with it, else blocks): each
 * rank owns its rows of the GCN operator, its feature rows and labels, and
 * every aggregation exchanges the halo rows it reads with their owners,
 * forward and backward (lc_dist_op); the parameter gradients are summed over
 * the ranks in rank order and every rank takes the same optimizer step, equal
 * to one process's within float rounding. Layers: gcn, lconv (not frozen),
 * linear, relu and dropout (others: LC_ERR_UNSUPPORTED naming the layer).
 * Dropout draws one process's masks: every rank draws each whole mask from
 * one process's stream and keeps its rows' (one process's O(n·f) draws per
 * dropout layer and epoch on every rank). Given the whole data set, each rank
 * cuts its part from it; given its part's file (lc_dataset_write_parts,
 * lc_dataset_load_part), it holds that alone.
 *
 * This header needs no mpi.h: the communicator is an opaque handle (lc_dist_t,
 * declared with the models).
 * ==================================================================== */

/* Join the job that mpirun started: MPI_Init_thread (funneled) unless MPI is
 * already initialised (then lc_dist_free leaves it to the caller), and a
 * duplicate of MPI_COMM_WORLD whose errors come back as LC_ERR_BACKEND rather
 * than aborting. argc and argv may be NULL. A process run without mpirun
 * gets a job of one. Errors: LC_ERR_UNSUPPORTED (lconv built without MPI:
 * install libopenmpi-dev and reconfigure), LC_ERR_BACKEND (MPI failed), LC_ERR_OUT_OF_MEMORY.
 * Cost: one collective over the world. */
lc_status lc_dist_init(lc_dist_t **d, int *argc, char ***argv);
/* The same on a communicator of the caller's: mpi_comm points to an MPI_Comm,
 * which is duplicated (the caller keeps theirs). Errors: as lc_dist_init,
 * LC_ERR_STATE when MPI is not initialised. */
lc_status lc_dist_from_comm(lc_dist_t **d, const void *mpi_comm);
/* Collective: every rank calls it. Frees the communicator and finalizes MPI
 * when lc_dist_init initialised it. Accepts NULL; sets *d to NULL. */
void lc_dist_free(lc_dist_t **d);
/* This process's rank (0 for NULL) and the number of ranks (1 for NULL). */
int lc_dist_rank(const lc_dist_t *d);
int lc_dist_size(const lc_dist_t *d);
/* Debug mode: every `every` optimizer steps, training compares a 64-bit
 * checksum of the parameters across ranks and fails with LC_ERR_STATE
 * naming the step and the first rank that differs from rank 0 (0 = off, the
 * default). Errors: LC_ERR_INVALID_ARG (every < 0). Cost: one small
 * collective and one pass over the parameters per check. */
lc_status lc_dist_set_check(lc_dist_t *d, int every);
/* Watchdog: when one collective of training has waited more than `seconds`
 * for the other ranks (one of them stopped, deadlocked or unreachable: MPI
 * itself never times out), print which and end this process with exit code
 * LC_DIST_TIMEOUT_EXIT, so that mpirun ends the job (0 = off, the default; a
 * rank that dies is already seen by mpirun). Runs a thread. Errors:
 * LC_ERR_INVALID_ARG (NULL, seconds < 0), LC_ERR_BACKEND (no thread). */
#define LC_DIST_TIMEOUT_EXIT 3
lc_status lc_dist_set_timeout(lc_dist_t *d, double seconds);
/* End every process of the job now (MPI_Abort with exit code `code`): for an
 * error that only some ranks saw, after which the others would wait forever
 * in the next collective. Does nothing with one rank or NULL. */
void lc_dist_abort(lc_dist_t *d, int code);
/* Collective: rank 0's status st of a step it took alone (checking or writing
 * a file), returned on every rank, so that all go on or stop together. Rank 0
 * keeps its own message; the others get one naming `what` ("lc_dist: rank 0
 * failed to write the checkpoint (LC_ERR_IO)"). The other ranks' st is not
 * read. With one rank or NULL: st. Errors: rank 0's, LC_ERR_BACKEND (MPI). */
lc_status lc_dist_agree(lc_dist_t *d, lc_status st, const char *what);

/* The building block of full-graph partitioned training: an operator A whose
 * rows are split over the ranks by a partition. Rank r owns the rows i with
 * part[i] = r (in ascending order) and their feature rows; an SpMM receives the
 * rows of X it reads from their owners (its halo) over MPI neighbourhood
 * collectives, and the transposed SpMM (the backward pass) sends the halo's
 * contributions back to the owners, which add them in a fixed order. */
typedef struct lc_dist_op lc_dist_op_t;
/* Collective. Every rank passes the same a (n × n) and part (n entries in
 * [0, size)); each keeps its rows, and the ranks tell each other which rows
 * they read. Errors: LC_ERR_INVALID_ARG (NULL, a not square, a part outside
 * [0, size)), LC_ERR_CORRUPT (ranks that passed different a or part),
 * LC_ERR_UNSUPPORTED (no MPI; more than INT_MAX row ids to exchange),
 * LC_ERR_BACKEND, LC_ERR_OUT_OF_MEMORY. Cost: O(n + e·log n) on every rank,
 * e its rows' entries. */
lc_status lc_dist_op_new(lc_dist_op_t **op, lc_dist_t *d, const lc_csr_t *a,
                         const int32_t *part);
/* Collective. Accepts NULL; sets *op to NULL. */
void lc_dist_op_free(lc_dist_op_t **op);
/* The rows this rank owns, their global ids (ascending), its halo rows. */
int64_t lc_dist_op_rows(const lc_dist_op_t *op);
const int64_t *lc_dist_op_row_ids(const lc_dist_op_t *op);
int64_t lc_dist_op_halo(const lc_dist_op_t *op);
/* Collective. y = (A·X) on the owned rows, x and y [owned rows, f] (2-D; a
 * rank that owns no row passes [1, f], since no tensor has 0 rows).
 * Errors: LC_ERR_SHAPE, LC_ERR_BACKEND, LC_ERR_OUT_OF_MEMORY (scratch grows to
 * the widest f once). Cost: O(nnz_local·f) + the halo: 4·f bytes a row. */
lc_status lc_dist_op_spmm(lc_dist_op_t *op, const lc_tensor_t *x, lc_tensor_t *y);
/* Collective. dx = (Aᵀ·dY) on the owned rows: the backward pass of
 * lc_dist_op_spmm. Errors and cost: the same. */
lc_status lc_dist_op_spmm_t(lc_dist_op_t *op, const lc_tensor_t *dy, lc_tensor_t *dx);
/* Bytes this rank has sent in halo exchanges so far. */
int64_t lc_dist_op_bytes_sent(const lc_dist_op_t *op);

/* Graph partitioning for full-graph training across P processes: each part
 * owns its rows of the graph operator; an SpMM Y = A·X on part p reads the
 * rows of X owned elsewhere that its rows touch (its halo), once forward and,
 * for the gradient Aᵀ·dY, once backward. */
typedef enum {
    LC_PARTITION_BLOCK = 0, /* contiguous row blocks of near-equal size: the baseline,
                               as good as the node numbering's locality */
    LC_PARTITION_METIS = 1  /* METIS k-way (minimum edge cut, 3% imbalance; when built with
                               libmetis-dev): far smaller halos on graphs with locality */
} lc_partition_method;
/* Assign each of the n rows of a square sparse operator a (its pattern read
 * as an undirected graph: a[i,j] or a[j,i], self-loops ignored) to a part in
 * [0, parts), written to part[0..n). Deterministic (METIS with a fixed seed).
 * Errors: LC_ERR_INVALID_ARG (NULL, a not square, parts < 1 or parts > n),
 * LC_ERR_UNSUPPORTED (METIS not built), LC_ERR_BACKEND (METIS failed: the
 * message names METIS's status; METIS 5.1 traps a SIGTERM that arrives during
 * the call and returns METIS_ERROR instead of letting the process stop),
 * LC_ERR_OUT_OF_MEMORY. Cost: block O(n); METIS about O(nnz·log parts), and
 * several times the graph's size in memory (`lcnet partition`: 5.2 GB at
 * 64 M nonzeros). */
lc_status lc_partition(const lc_csr_t *a, int parts, lc_partition_method method,
                       int32_t *part);
typedef struct {
    int parts;
    int64_t rows, nnz;
    int64_t edge_cut;           /* nonzeros a[i,j] whose row and column lie in different parts */
    int64_t rows_min, rows_max; /* rows owned by a part */
    int64_t halo_min, halo_max; /* distinct remote rows (columns) a part's rows touch */
    int64_t halo_total;         /* summed over the parts: rows sent per exchange */
    int64_t peers_max;          /* the most parts one part receives from */
} lc_partition_stats;
/* The communication a partition implies for an operator a: see
 * lc_partition_stats. Bytes per epoch of one SpMM of width f are
 * 4·f·halo_total forward and as many backward (when its operand needs a
 * gradient). Errors: LC_ERR_INVALID_ARG (NULL, a not square, parts < 1, a
 * part outside [0, parts)), LC_ERR_OUT_OF_MEMORY. Cost: O(nnz + n + parts) time and memory. */
lc_status lc_partition_stats_of(const lc_csr_t *a, int parts, const int32_t *part,
                                lc_partition_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* LCONV_H */
