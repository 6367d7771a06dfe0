/* dist.c — data-parallel training's hooks into the trainer: shards, gradient averaging, agreement
 * checks (no MPI here: mpi.c). */
#include <string.h>

#include "dist.h"

int64_t lc_i_dist_local_batch(const lc_dist_t *d, int64_t batch)
{
    const int64_t p = lc_dist_size(d);
    return (batch + p - 1) / p;
}

void lc_i_dist_shard(const lc_dist_t *d, int64_t count, int64_t *lo, int64_t *hi)
{
    const int64_t p = lc_dist_size(d), r = lc_dist_rank(d);
    *lo = count * r / p;
    *hi = count * (r + 1) / p;
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001B3ULL;
    return h;
}
#define FNV_START 0xCBF29CE484222325ULL

/* Every rank's h, compared with rank 0's: the first rank that differs, or -1. */
static lc_status first_differing(lc_dist_t *d, uint64_t h, int *rank)
{
    const int p = lc_dist_size(d);
    uint64_t *all = (uint64_t *)lc_i_dist_buffer(d, p); /* doubles and u64s are the same size */
    if (!all) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d checksums", p);
    lc_status st = lc_i_dist_gather_u64(d, h, all);
    if (st) return st;
    *rank = -1;
    for (int r = 1; r < p && *rank < 0; r++)
        if (all[r] != all[0]) *rank = r;
    return LC_OK;
}

static uint64_t parameter_checksum(lc_model_t *m)
{
    uint64_t h = FNV_START;
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        const lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
        h = fnv1a(h, w->data, (size_t)w->numel * sizeof *w->data);
    }
    return h;
}

lc_status lc_i_dist_begin(lc_model_t *m, const lc_train_config *cfg, int64_t n_train)
{
    lc_dist_t *d = m->dist;
    if (m->device != LC_DEVICE_CPU)
        return lc_i_error(LC_ERR_UNSUPPORTED, "lc_model_train",
                          "data-parallel training runs on the CPU backend only (NCCL is not "
                          "built): the model is on %s",
                          lc_device_name(m->device));
    /* Every rank must walk the same batches the same number of times, or the
     * collectives would pair up the wrong steps: refuse a disagreement now. */
    struct {
        uint64_t seed;
        int64_t n_train, batch, params;
        int epochs, patience, optim, weight_decay_all;
        float lr, weight_decay, dropout;
    } key;
    memset(&key, 0, sizeof key);
    key.seed = cfg->seed, key.n_train = n_train, key.batch = cfg->batch_size;
    key.params = lc_model_num_params(m);
    key.epochs = cfg->epochs, key.patience = cfg->patience, key.optim = (int)cfg->optim;
    key.weight_decay_all = cfg->weight_decay_all;
    key.lr = cfg->lr, key.weight_decay = cfg->weight_decay, key.dropout = cfg->dropout;
    int rank;
    lc_status st = first_differing(d, fnv1a(FNV_START, &key, sizeof key), &rank);
    if (st) return st;
    if (rank >= 0)
        return lc_i_error(LC_ERR_INVALID_ARG, "lc_model_train",
                          "rank %d of %d has another training config, model or training set "
                          "than rank 0 (seed, epochs, batch size, optimizer, training rows, "
                          "parameters must agree)",
                          rank, lc_dist_size(d));
    /* Rank 0's parameters: whatever each rank built or loaded, all start alike. */
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
        if ((st = lc_i_dist_bcast(d, w->data, w->numel * (int64_t)sizeof *w->data))) return st;
    }
    if (!lc_i_dist_buffer(d, lc_model_num_params(m) + 1))
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, "lc_model_train",
                          "cannot allocate the gradient buffer of %lld values",
                          (long long)lc_model_num_params(m) + 1);
    m->dist_steps = 0;
    return LC_OK;
}

lc_status lc_i_dist_average(lc_model_t *m, double share, float *loss)
{
    lc_cgraph_t *cg = m->cg;
    double *buf = lc_i_dist_buffer(m->dist, 0); /* sized by lc_i_dist_begin */
    int64_t k = 0;
    for (int i = 0; i < cg->n_params; i++) {
        const lc_tensor_t *g = cg->nodes[cg->params[i]].grad;
        if (!g) continue; /* not on the loss's path: the same on every rank */
        for (int64_t j = 0; j < g->numel; j++)
            buf[k++] = share * (double)g->data[j];
    }
    buf[k++] = share * (double)*loss;
    lc_status st = lc_i_dist_sum(m->dist, buf, k);
    if (st) return st;
    k = 0;
    for (int i = 0; i < cg->n_params; i++) {
        lc_tensor_t *g = cg->nodes[cg->params[i]].grad;
        if (!g) continue;
        for (int64_t j = 0; j < g->numel; j++)
            g->data[j] = (float)buf[k++];
    }
    *loss = (float)buf[k];
    return LC_OK;
}

lc_status lc_i_dist_after_step(lc_model_t *m)
{
    const int every = lc_i_dist_check_every(m->dist);
    m->dist_steps++;
    if (every <= 0 || m->dist_steps % every) return LC_OK;
    int rank;
    lc_status st = first_differing(m->dist, parameter_checksum(m), &rank);
    if (st) return st;
    if (rank >= 0)
        return lc_i_error(LC_ERR_STATE, "lc_model_train",
                          "after step %lld the parameters of rank %d differ from rank 0's "
                          "(checksums compared every %d steps)",
                          (long long)m->dist_steps, rank, every);
    return LC_OK;
}
