/* dist.c — data-parallel training's hooks into the trainer: shards, gradient averaging, agreement
 * checks (no MPI here: mpi.c). */
#include <stdlib.h>
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

uint64_t lc_i_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001B3ULL;
    return h;
}

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

/* The parameters' checksum, from the host's copies (a device graph's fetched
 * first: they are the ones to compare). */
static lc_status parameter_checksum(lc_model_t *m, uint64_t *h)
{
    lc_cgraph_t *cg = m->cg;
    *h = LC_I_FNV_START;
    for (int i = 0; i < cg->n_params; i++) {
        lc_i_node *n = &cg->nodes[cg->params[i]];
        lc_status st = lc_i_cg_host_copy(cg, n, false);
        if (st) return lc_i_error_from(st, "lc_model_train");
        *h = lc_i_fnv1a(*h, n->value->data, (size_t)n->value->numel * sizeof *n->value->data);
    }
    return LC_OK;
}

lc_status lc_i_dist_begin(lc_model_t *m, const lc_train_config *cfg, int64_t n_train)
{
    lc_dist_t *d = m->dist;
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
    lc_status st = first_differing(d, lc_i_fnv1a(LC_I_FNV_START, &key, sizeof key), &rank);
    if (st) return st;
    if (rank >= 0)
        return lc_i_error(LC_ERR_INVALID_ARG, "lc_model_train",
                          "rank %d of %d has another training config, model or training set "
                          "than rank 0 (seed, epochs, batch size, optimizer, training rows, "
                          "parameters must agree)",
                          rank, lc_dist_size(d));
    /* Rank 0's parameters: whatever each rank built or loaded, all start alike
     * (on a device: through the host, once, and uploaded before the next pass). */
    lc_cgraph_t *cg = m->cg;
    for (int i = 0; i < cg->n_params; i++) {
        lc_i_node *n = &cg->nodes[cg->params[i]];
        lc_tensor_t *w = n->value;
        if (lc_i_dist_part_edges(m, i)) continue; /* each rank its own part's */
        if ((st = lc_i_cg_host_copy(cg, n, false))) return lc_i_error_from(st, "lc_model_train");
        if ((st = lc_i_dist_bcast(d, w->data, w->numel * (int64_t)sizeof *w->data))) return st;
        if ((st = lc_cg_touch(cg, cg->params[i]))) return st;
    }
    /* every gradient summed (lc_i_dist_average), unless the node-level data is
     * partitioned over the ranks: that trainer sizes its own */
    const bool partitioned = lc_i_dist_active(d) && !m->batch_x;
    if (!partitioned && !lc_i_dist_buffer(d, lc_model_num_params(m) + 1))
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, "lc_model_train",
                          "cannot allocate the gradient buffer of %lld values",
                          (long long)lc_model_num_params(m) + 1);
    m->dist_steps = 0;
    m->dist_path[0] = '\0'; /* chosen again at the first step: the graph may have moved */
    return LC_OK;
}

void lc_i_dist_end(lc_model_t *m)
{
    if (m->dist_comm) m->dist_comm_on->comm_free(m->dist_comm);
    m->dist_comm = NULL;
    m->dist_comm_on = NULL;
    m->dist_path[0] = '\0';
}

bool lc_i_dist_device_path(const lc_i_dist_peer *peers, int size, char *why, size_t len)
{
    static const char *const reason[] = {
        [LC_I_PEER_NONE] = "has no device collectives (CPU, or built without nccl.h)",
        [LC_I_PEER_REFUSED] = "has LCONV_NCCL=0",
        [LC_I_PEER_UNOPENED] = "cannot open libnccl.so.2",
    };
    for (int r = 0; r < size; r++)
        if (peers[r].state != LC_I_PEER_READY) {
            const unsigned s = peers[r].state;
            snprintf(why, len, "rank %d %s", r,
                     s < sizeof reason / sizeof *reason && reason[s] ? reason[s]
                                                                     : "is in an unknown state");
            return false;
        }
    for (int r = 1; r < size; r++)
        for (int q = 0; q < r; q++)
            if (!memcmp(peers[q].uuid, peers[r].uuid, sizeof peers[r].uuid)) {
                snprintf(why, len, "ranks %d and %d share one device", q, r);
                return false;
            }
    return true;
}

/* Every rank's status after a step that each took alone: LC_OK when all
 * succeeded, else this rank's own error or one naming the first that failed. */
static lc_status all_succeeded(lc_dist_t *d, lc_status mine, const char *what)
{
    const int p = lc_dist_size(d);
    uint64_t *all = (uint64_t *)lc_i_dist_buffer(d, p);
    if (!all) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d statuses", p);
    lc_status st = lc_i_dist_gather_u64(d, (uint64_t)(int64_t)mine, all);
    if (st || mine) return st ? st : mine;
    for (int r = 0; r < p; r++)
        if (all[r])
            return lc_i_error((lc_status)(int64_t)all[r], "lc_model_train",
                              "rank %d of %d failed %s (its message is on its stderr)", r, p, what);
    return LC_OK;
}

/* The first step's choice of how the gradients are summed: every rank tells
 * whether its device can sum with the others', and all take the device's
 * collectives (one communicator, made now) or the host's MPI. */
static lc_status choose_path(lc_model_t *m)
{
    lc_dist_t *d = m->dist;
    const lc_i_backend *be = m->cg->backend;
    if (m->dist_comm && m->dist_comm_on != be) lc_i_dist_end(m); /* made for another backend */
    if (m->dist_comm) { /* every rank kept its own: they were made and are freed together */
        snprintf(m->dist_path, sizeof m->dist_path, "nccl");
        return LC_OK;
    }
    const int p = lc_dist_size(d);
    lc_i_dist_peer me, *peers = lc_i_calloc((size_t)p, sizeof *peers);
    if (!peers) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d ranks' devices", p);
    memset(&me, 0, sizeof me);
    const char *env = getenv("LCONV_NCCL");
    const bool refused = env && !strcmp(env, "0");
    if (!be->comm_open) me.state = LC_I_PEER_NONE;
    else if (refused) me.state = LC_I_PEER_REFUSED;
    else if (be->comm_open(me.uuid)) me.state = LC_I_PEER_UNOPENED;
    else me.state = LC_I_PEER_READY;
    lc_status st = lc_i_dist_allgather(d, &me, peers, (int)sizeof me);
    char why[128] = "";
    const bool on_device = !st && lc_i_dist_device_path(peers, p, why, sizeof why);
    lc_i_free(peers);
    if (st) return st;
    if (!on_device) {
        if (be->download)
            snprintf(m->dist_path, sizeof m->dist_path, "mpi, staged through the host (%s)", why);
        else
            snprintf(m->dist_path, sizeof m->dist_path, "mpi");
        return LC_OK;
    }
    /* rank 0's id, and whether it has one, in one broadcast */
    struct {
        int64_t status;
        unsigned char id[LC_I_COMM_ID_BYTES];
    } id;
    memset(&id, 0, sizeof id);
    if (lc_dist_rank(d) == 0) id.status = be->comm_id(id.id);
    if ((st = lc_i_dist_bcast(d, &id, (int64_t)sizeof id))) return st;
    if (id.status)
        return lc_dist_rank(d) == 0 ? (lc_status)id.status
                                    : lc_i_error((lc_status)id.status, "lc_model_train",
                                                 "rank 0 failed to make the NCCL id (its message "
                                                 "is on its stderr)");
    void *comm = NULL;
    lc_i_dist_watch(d, "ncclCommInitRank");
    lc_status made = be->comm_new(m->cg, id.id, lc_dist_rank(d), p, &comm);
    lc_i_dist_unwatch(d);
    if ((st = all_succeeded(d, made, "to join the NCCL communicator"))) {
        if (comm) be->comm_free(comm);
        const char *msg = lc_last_error(), *sep = strstr(msg, ": ");
        return lc_i_error(st, "lc_model_train",
                          "%s; LCONV_NCCL=0 sums the gradients through the host instead",
                          sep ? sep + 2 : msg);
    }
    m->dist_comm = comm;
    m->dist_comm_on = be;
    snprintf(m->dist_path, sizeof m->dist_path, "nccl");
    return LC_OK;
}

lc_status lc_i_dist_average(lc_model_t *m, double share, float *loss)
{
    lc_cgraph_t *cg = m->cg;
    const lc_i_backend *be = cg->backend;
    lc_status st;
    if (!m->dist_path[0] && (st = choose_path(m))) return st;
    if (m->dist_comm) { /* on the device; the loss, a host value, through MPI */
        lc_i_dist_watch(m->dist, "ncclAllReduce");
        st = be->comm_sum(cg, m->dist_comm, share);
        lc_i_dist_unwatch(m->dist);
        if (st) return lc_i_error_from(st, "lc_model_train");
        double total = share * (double)*loss;
        if ((st = lc_i_dist_sum(m->dist, &total, 1))) return st;
        *loss = (float)total;
        return LC_OK;
    }
    /* Through the host, in double: a device graph's gradients come home first. */
    double *buf = lc_i_dist_buffer(m->dist, 0); /* sized by lc_i_dist_begin */
    int64_t k = 0;
    for (int i = 0; i < cg->n_params; i++) {
        lc_i_node *n = &cg->nodes[cg->params[i]];
        const lc_tensor_t *g = n->grad;
        if (!g) continue; /* not on the loss's path: the same on every rank */
        if ((st = lc_i_cg_host_copy(cg, n, true))) return lc_i_error_from(st, "lc_model_train");
        for (int64_t j = 0; j < g->numel; j++)
            buf[k++] = share * (double)g->data[j];
    }
    buf[k++] = share * (double)*loss;
    if ((st = lc_i_dist_sum(m->dist, buf, k))) return st;
    k = 0;
    for (int i = 0; i < cg->n_params; i++) {
        lc_i_node *n = &cg->nodes[cg->params[i]];
        lc_tensor_t *g = n->grad;
        if (!g) continue;
        for (int64_t j = 0; j < g->numel; j++)
            g->data[j] = (float)buf[k++];
        if (be->download && (st = be->copy(n->dgrad, g->data, g->numel, true)))
            return lc_i_error_from(st, "lc_model_train");
    }
    *loss = (float)buf[k];
    return LC_OK;
}

lc_status lc_i_dist_agree_all(lc_dist_t *d, lc_status st, const char *what)
{
    if (!lc_i_dist_active(d)) return st;
    /* how many failed, and (when one did) which and how: a sum needs no
     * buffer of the job's size */
    double sum[3] = {st != LC_OK, st != LC_OK ? lc_dist_rank(d) : 0, (double)st};
    lc_status agreed = lc_i_dist_sum(d, sum, 3);
    if (agreed || st) return agreed ? agreed : st;
    if (sum[0] == 0) return LC_OK;
    if (sum[0] == 1)
        return lc_i_error((lc_status)sum[2], "lc_dist", "rank %d failed %s (%s)", (int)sum[1], what,
                          lc_status_name((lc_status)sum[2]));
    return lc_i_error(LC_ERR_STATE, "lc_dist", "%d ranks failed %s", (int)sum[0], what);
}

lc_status lc_i_dist_after_step(lc_model_t *m)
{
    const int every = lc_i_dist_check_every(m->dist);
    m->dist_steps++;
    if (every <= 0 || m->dist_steps % every) return LC_OK;
    int rank;
    uint64_t h;
    lc_status st = parameter_checksum(m, &h);
    if (!st) st = first_differing(m->dist, h, &rank);
    if (st) return st;
    if (rank >= 0)
        return lc_i_error(LC_ERR_STATE, "lc_model_train",
                          "after step %lld the parameters of rank %d differ from rank 0's "
                          "(checksums compared every %d steps)",
                          (long long)m->dist_steps, rank, every);
    return LC_OK;
}
