/* dist.h — data-parallel training's internals: the collectives (mpi.c) and the trainer's hooks
 * (dist.c). */
#ifndef LC_DIST_H
#define LC_DIST_H

#include "backend.h"
#include "model.h"

/* ---------- collectives (mpi.c; unreachable without MPI: no handle exists) ---------- */

/* buf[0..n) summed over the ranks in rank order (a reduction marked
 * non-commutative, then a broadcast): deterministic for a given rank count,
 * and the same bits on every rank. */
lc_status lc_i_dist_sum(lc_dist_t *d, double *buf, int64_t n);
/* bytes of rank 0's buf to every rank. */
lc_status lc_i_dist_bcast(lc_dist_t *d, void *buf, int64_t bytes);
/* Every rank's value, in rank order, into all[0..size). */
lc_status lc_i_dist_gather_u64(lc_dist_t *d, uint64_t mine, uint64_t *all);
/* Every rank's `bytes` bytes at mine, in rank order, into all. */
lc_status lc_i_dist_allgather(lc_dist_t *d, const void *mine, void *all, int bytes);
/* The watchdog of lc_dist_set_timeout over a wait outside MPI (a device
 * collective): `call` names it in the message. No-ops when it is off. */
void lc_i_dist_watch(lc_dist_t *d, const char *call);
void lc_i_dist_unwatch(lc_dist_t *d);
/* Every rank's verdict on a step each did alone (reading its own file): OK
 * only when no rank failed; a rank that failed keeps its own message, the
 * others get one naming it and `what`. Collective. */
lc_status lc_i_dist_agree_all(lc_dist_t *d, lc_status st, const char *what);
/* n doubles of scratch owned by d (grown when needed: call outside loops). */
double *lc_i_dist_buffer(lc_dist_t *d, int64_t n);
int lc_i_dist_check_every(const lc_dist_t *d);


/* ---------- the partitioned operator (halo.c builds it, mpi.c exchanges its halos) ---------- */

/* One rank's rows of an operator split by a partition: its rows of A with the
 * columns renumbered [owned rows | halo rows], and who sends what to whom. */
struct lc_dist_op {
    lc_dist_t *dist;
    int64_t n_own, n_halo;
    int64_t *own;              /* global ids of the owned rows, ascending */
    lc_csr_t *local, *local_t; /* n_own × (n_own + n_halo), and its transpose */
    int n_in, n_out;           /* forward: ranks this one receives from / sends to */
    int *in_rank, *out_rank;   /* ascending */
    int64_t *in_count;         /* halo rows from each in_rank (halo grouped by owner, then id) */
    int64_t *out_count;        /* rows sent to each out_rank */
    int64_t *out_rows;         /* local indices of the rows sent, grouped by out_rank */
    int64_t *entry;            /* per entry of local: its index in the global operator (NULL
                                  when that had repeated entries, merged here) */
    int64_t n_sent;            /* Σ out_count */
    float *ext, *buf;          /* scratch: [n_own + n_halo, f] and the packed rows */
    int64_t ext_cap, buf_cap;
    int *counts; /* scratch for MPI's int counts: 4 · (n_in + n_out) */
    int64_t bytes_sent;
    void *comm; /* mpi.c's neighbourhood communicators */
};
/* FNV-1a over bytes, continuing from h (start from LC_I_FNV_START; dist.c). */
uint64_t lc_i_fnv1a(uint64_t h, const void *data, size_t len);
#define LC_I_FNV_START 0xCBF29CE484222325ULL
/* The position of id in sorted[0, len) (ascending), or -1 (halo.c). */
int64_t lc_i_find_sorted(const int64_t *sorted, int64_t len, int64_t id);
/* One rank's rows of an n × n operator, as a partition gives them: its rows'
 * global ids (ascending) and entries, global column ids, each entry's index
 * in the whole operator; the columns its rows read that other ranks own
 * (ascending), and their owners. */
typedef struct {
    int64_t n_own, *own;
    int64_t *rowptr, *col; /* n_own + 1; rowptr[n_own] entries */
    float *val;
    int64_t *entry;
    int64_t n_remote, *remote;
    int32_t *owner;
} lc_i_part_rows;
/* Part `me`'s rows of a under part (n entries). Errors: LC_ERR_OUT_OF_MEMORY.
 * Cost: O(n + the part's entries). */
lc_status lc_i_part_rows_of(const lc_csr_t *a, const int32_t *part, int me, lc_i_part_rows *r);
void lc_i_part_rows_free(lc_i_part_rows *r);
/* Collective: this rank's side of a partitioned operator from its own rows
 * alone (lc_i_part_rows' fields; entry may be NULL); the ranks tell each
 * other which rows they read. lc_dist_op_new is this on a's rows. Errors:
 * LC_ERR_INVALID_ARG (ids not ascending, an owner that is not another rank, a
 * column neither owned nor remote), LC_ERR_CORRUPT (a rank asks for a row this
 * one does not own), those of the exchange. */
lc_status lc_i_dist_op_from_rows(lc_dist_op_t **op, lc_dist_t *d, int64_t n, int64_t n_own,
                                 const int64_t *own, const int64_t *rowptr, const int64_t *col,
                                 const float *val, const int64_t *entry, int64_t n_remote,
                                 const int64_t *remote, const int32_t *owner);
/* Collective: send[0, Σ send_count) goes out in blocks, send_count[q] ids to
 * rank q; *recv (allocated) gets recv_count[q] ids from each rank q, in rank
 * order. */
lc_status lc_i_dist_alltoallv_ids(lc_dist_t *d, const int64_t *send, const int64_t *send_count,
                                  int64_t **recv, int64_t *recv_count);
/* Create the neighbourhood communicators of op (forward: in_rank → this rank
 * → out_rank; backward the other way). */
lc_status lc_i_dist_halo_attach(lc_dist_op_t *op);
void lc_i_dist_halo_detach(lc_dist_op_t *op);
/* Forward: the rows op->buf[0 .. n_sent·f) go to out_rank; the halo rows arrive
 * in recv (n_halo · f floats). Backward: recv's halo rows go back to their
 * owners and op->buf receives n_sent · f floats (one block per out_rank). */
lc_status lc_i_dist_halo_exchange(lc_dist_op_t *op, int64_t f, float *recv, bool backward);
/* ext: [n_own + n_halo, f] rows in op->local's column order. Gather: the halo
 * rows of the owned rows ext[0 .. n_own) arrive in the rest. Scatter: the
 * contributions to the halo rows go to their owners, and the owned rows get
 * the other ranks' contributions added, in rank order. Both collective; they
 * are lc_dist_op_spmm's and lc_dist_op_spmm_t's exchanges. */
lc_status lc_i_dist_op_gather(lc_dist_op_t *op, float *ext, int64_t f);
lc_status lc_i_dist_op_scatter(lc_dist_op_t *op, float *ext, int64_t f);

/* ---------- the trainer's hooks (dist.c) ---------- */

/* More than one rank: the trainer shards its batches. */
static inline bool lc_i_dist_active(const lc_dist_t *d)
{
    return lc_dist_size(d) > 1;
}
/* Rows of a mini-batch of `batch` that one rank holds at most. */
int64_t lc_i_dist_local_batch(const lc_dist_t *d, int64_t batch);
/* This rank's share [*lo, *hi) of count items. */
void lc_i_dist_shard(const lc_dist_t *d, int64_t count, int64_t *lo, int64_t *hi);
/* Before training: the same config and data on every rank, parameters from
 * rank 0 (fetched from and sent back to a device graph), scratch for the
 * gradients. */
lc_status lc_i_dist_begin(lc_model_t *m, const lc_train_config *cfg, int64_t n_train);
/* After the backward pass: every gradient and *loss become the sum over the
 * ranks of share · (this rank's), share = this rank's rows / the batch's. The
 * first call chooses how (m->dist_path): on the device with its collectives
 * (NCCL) when every rank can, else through the host with MPI (a device
 * graph's gradients copied home and back). Environment: LCONV_NCCL=0 makes
 * this rank ask for the host path (and so every rank takes it). */
lc_status lc_i_dist_average(lc_model_t *m, double share, float *loss);
/* What one rank says about its device collectives, gathered from every rank. */
typedef enum {
    LC_I_PEER_READY,     /* its backend has them, they opened, LCONV_NCCL is not 0 */
    LC_I_PEER_NONE,      /* its backend has none (the CPU, or built without nccl.h) */
    LC_I_PEER_REFUSED,   /* LCONV_NCCL=0 */
    LC_I_PEER_UNOPENED,  /* libnccl.so.2 did not open, or its device did not answer */
} lc_i_peer_state;
typedef struct {
    uint8_t state;                              /* an lc_i_peer_state */
    unsigned char uuid[LC_I_DEVICE_UUID_BYTES]; /* the device it runs on */
} lc_i_dist_peer;
/* Whether the ranks can sum on their devices: every one ready and no two on
 * one device. If not, why names the first rank (or pair) in the way. */
bool lc_i_dist_device_path(const lc_i_dist_peer *peers, int size, char *why, size_t len);
/* Free the device communicator of m (lc_i_model_unbuild). */
void lc_i_dist_end(lc_model_t *m);
/* After the optimizer step: the debug check of lc_dist_set_check. */
lc_status lc_i_dist_after_step(lc_model_t *m);

/* ---------- one rank's part of node-level data (part.c) ---------- */

/* What full-graph partitioned training needs of one part: cut from the whole
 * data set (lc_i_part_of) or read from the part's file (lc_i_part_read). */
typedef struct lc_i_part {
    int parts, part, classes;
    int64_t n, width;          /* the graph's nodes, the features' columns */
    int64_t n_train;           /* labelled training rows of every part together */
    lc_i_part_rows a_hat;      /* Â's rows */
    /* the adjacency's rows (L-conv: entry[k] is the row of its edge weights in
     * the whole graph's [m, p]; own is NULL, a_hat's): cut with the part, or
     * read by lc_i_part_edges when first needed; m, the whole graph's edges */
    lc_i_part_rows adj;
    int64_t m;
    lc_tensor_t *features;     /* [n_own, width], or NULL */
    lc_csr_t *sparse_features; /* n_own × width, or NULL */
    int64_t *x_first;          /* sparse: each owned row's first entry in the whole matrix */
    int64_t x_total;           /* sparse: the whole matrix's entries */
    int32_t *labels;           /* owned rows', -1 unlabelled */
    uint8_t *mask[3];
    uint64_t fingerprint; /* of the data set and the partition (lc_i_part_fingerprint) */
    char *path;           /* the file it was read from, or NULL */
} lc_i_part;
/* Part me of ds under `of` (n entries in [0, parts)), with the adjacency's
 * rows when with_adj. Errors: LC_ERR_OUT_OF_MEMORY. Cost: O(n + the part). */
lc_status lc_i_part_of(const lc_dataset_t *ds, const int32_t *of, int parts, int me, bool with_adj,
                       lc_i_part **out);
/* FNV-1a over what makes the parts of one write belong together: ds's sizes,
 * labels, masks and features, and the partition `of`. */
uint64_t lc_i_part_fingerprint(const lc_dataset_t *ds, const int32_t *of, int parts);
/* DIR/part-K.lcp into buf[len]; false when it does not fit. */
bool lc_i_part_path(char *buf, size_t len, const char *dir, int k);
/* The file format is in part.c. Errors: LC_ERR_IO; reading also
 * LC_ERR_CORRUPT naming the file and the field. */
lc_status lc_i_part_write(const lc_i_part *p, const char *path);
lc_status lc_i_part_read(const char *path, lc_i_part **out);
/* The adjacency's rows of p, to and from their own file (L-conv alone reads
 * them): reading checks them against p (its write, its owned rows) and gives
 * *m, the whole graph's edges. */
lc_status lc_i_part_write_edges(const lc_i_part *p, const char *path);
lc_status lc_i_part_read_edges(const lc_i_part *p, const char *path, int64_t *m,
                               lc_i_part_rows *out);
/* The edges file beside a part file: FILE.lcp -> FILE.edges.lcp; false when
 * it does not fit buf[len]. */
bool lc_i_part_edges_path(char *buf, size_t len, const char *part_path);
/* p->adj and p->m, read from the edges file beside p's once (a cache in the
 * part, as a graph's operators are in it). Errors: those of reading, and
 * LC_ERR_IO naming the missing file. */
lc_status lc_i_part_edges(const lc_i_part *p);
void lc_i_part_free(lc_i_part **p);

/* ---------- full-graph partitioned training of node-level data (dist_graph.c) ---------- */

typedef struct lc_i_dist_graph lc_i_dist_graph;
/* This rank's part of ds (METIS parts, else blocks; its rows, features,
 * labels, activations, and for L-conv the edges whose tail it owns) for the
 * model's gcn, lconv, linear, relu and dropout-0 layers. Errors:
 * LC_ERR_UNSUPPORTED naming another layer or option, those of lc_dist_op_new. */
lc_status lc_i_dist_graph_new(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg,
                              lc_i_dist_graph **g);
void lc_i_dist_graph_free(lc_i_dist_graph **g);
/* One full-graph step: forward and backward on the owned rows with halo
 * exchanges, gradients summed over the ranks in rank order, optimizer step;
 * *loss gets the mean training loss over every rank's rows. */
lc_status lc_i_dist_graph_step(lc_model_t *m, lc_i_dist_graph *g, float *loss);
/* Loss and accuracy of the three masks over every rank's rows. */
lc_status lc_i_dist_graph_evaluate(lc_model_t *m, lc_i_dist_graph *g, lc_eval_result *res);
/* Whether parameter i of m holds a part's edge weights (m built on a part
 * file: one row per edge of the part, m->edge_part->adj's order). */
bool lc_i_dist_part_edges(const lc_model_t *m, int i);
/* Collective over the part's job: those weights as the whole graph's [m, p]
 * (each edge's from the rank that holds it) into *whole on rank 0 (NULL on
 * the others), gathered a block of rows at a time (8 MB a rank besides rank
 * 0's result). Errors, on every rank alike: LC_ERR_STATE (m not on the job of
 * its parts), LC_ERR_OUT_OF_MEMORY. */
lc_status lc_i_dist_edges_whole(const lc_model_t *m, int i, lc_tensor_t **whole);
/* The part's rows of the whole graph's [m, p] into those weights. */
void lc_i_dist_edges_take(lc_model_t *m, int i, const lc_tensor_t *whole);
/* Halo bytes this rank has sent while training m (0 when it is not partitioned). */
int64_t lc_i_dist_graph_bytes(const lc_model_t *m);
/* L-conv's edge weights are trained by their owners alone (an edge belongs to
 * the rank owning its tail, the row it writes): this gives every rank the
 * owners' values of every edge, so that each holds the whole model in one
 * process's layout (before a checkpoint, after training), a block of rows at
 * a time (8 MB a rank besides). Collective; the values the model computes with
 * do not change. No-op when not partitioned or built on a part file (whose
 * ranks hold their own edges alone: lc_i_dist_edges_whole). */
lc_status lc_i_dist_graph_share_edges(const lc_model_t *m);

#endif
