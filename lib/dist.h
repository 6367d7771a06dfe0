/* dist.h — data-parallel training's internals: the collectives (mpi.c) and the trainer's hooks (dist.c). */
#ifndef LC_DIST_H
#define LC_DIST_H

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
/* Rank 0's status, on every rank: after a step only rank 0 did (writing a
 * checkpoint), so that all ranks go on or stop together. `what` names the step
 * for the others' message. */
lc_status lc_i_dist_agree(lc_dist_t *d, lc_status st, const char *what);
/* n doubles of scratch owned by d (grown when needed: call outside loops). */
double *lc_i_dist_buffer(lc_dist_t *d, int64_t n);
int lc_i_dist_check_every(const lc_dist_t *d);

/* ---------- the trainer's hooks (dist.c) ---------- */

/* More than one rank: the trainer shards its batches. */
static inline bool lc_i_dist_active(const lc_dist_t *d) { return lc_dist_size(d) > 1; }
/* Rows of a mini-batch of `batch` that one rank holds at most. */
int64_t lc_i_dist_local_batch(const lc_dist_t *d, int64_t batch);
/* This rank's share [*lo, *hi) of count items. */
void lc_i_dist_shard(const lc_dist_t *d, int64_t count, int64_t *lo, int64_t *hi);
/* Before training: the same config and data on every rank, a CPU graph,
 * parameters from rank 0, scratch for the gradients. */
lc_status lc_i_dist_begin(lc_model_t *m, const lc_train_config *cfg, int64_t n_train);
/* After the backward pass: every gradient and *loss become the sum over the
 * ranks of share · (this rank's), share = this rank's rows / the batch's. */
lc_status lc_i_dist_average(lc_model_t *m, double share, float *loss);
/* After the optimizer step: the debug check of lc_dist_set_check. */
lc_status lc_i_dist_after_step(lc_model_t *m);

#endif
