/* train.c — full-batch training with early stopping, evaluation, metrics and the per-epoch log. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist.h"
#include "model.h"

lc_train_config lc_train_defaults(void)
{
    lc_train_config c = {.epochs = 200, .lr = 0.01f, .weight_decay = 5e-4f,
                         .weight_decay_all = 0, .dropout = -1.0f, .patience = 10,
                         .optim = LC_OPTIM_ADAM, .seed = 42, .verbose = 0,
                         .batch_size = 64};
    return c;
}

/* Rows with mask[r] and a label whose argmax of scores[r, :] is the label;
 * *count gets the number of such rows (unlabelled rows count for neither). */
static int64_t count_hits(const lc_tensor_t *scores, const int32_t *labels, const uint8_t *mask,
                          int64_t *count)
{
    int64_t rows = lc_i_rows(scores), cols = lc_i_cols(scores), hit = 0;
    *count = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!mask[r] || labels[r] < 0) continue;
        const float *s = scores->data + r * cols;
        int64_t best = 0;
        for (int64_t j = 1; j < cols; j++)
            if (s[j] > s[best]) best = j;
        hit += best == labels[r];
        (*count)++;
    }
    return hit;
}

float lc_accuracy(const lc_tensor_t *scores, const int32_t *labels, const uint8_t *mask)
{
    if (!scores || !labels || !mask) return NAN;
    int64_t count;
    const int64_t hit = count_hits(scores, labels, mask, &count);
    return count ? (float)hit / (float)count : NAN;
}

/* Mean -logp[label] over the mask (NaN when empty). */
static float masked_nll(const lc_tensor_t *logp, const int32_t *labels, const uint8_t *mask)
{
    int64_t rows = lc_i_rows(logp), cols = lc_i_cols(logp), count = 0;
    double s = 0;
    for (int64_t r = 0; r < rows; r++)
        if (mask[r] && labels[r] >= 0) {
            s -= logp->data[r * cols + labels[r]];
            count++;
        }
    return count ? (float)(s / (double)count) : NAN;
}

static lc_status check_built_for(lc_model_t *m, const lc_dataset_t *ds)
{
    if (!m->cg) return LC_ERROR(LC_ERR_STATE, "build or train the model first");
    if (m->built_for != ds)
        return LC_ERROR(LC_ERR_STATE, "the model was built for another dataset");
    return LC_OK;
}

/* Graph-level data: the model's batch gets samples rows[0 .. count) in
 * node-major order [n, B, c]; the rest of a short batch is zero with mask 0. */
static void load_batch(lc_model_t *m, const lc_dataset_t *ds, const int64_t *rows, int64_t count)
{
    const lc_tensor_t *x = ds->samples;
    const int64_t n = x->shape[1], c = x->shape[2], batch = m->batch_size;
    float *dst = m->batch_x->data;
    for (int64_t b = 0; b < batch; b++) {
        const float *src = b < count ? x->data + rows[b] * n * c : NULL;
        for (int64_t v = 0; v < n; v++) {
            float *d = dst + (v * batch + b) * c;
            if (src) memcpy(d, src + v * c, (size_t)c * sizeof *d);
            else memset(d, 0, (size_t)c * sizeof *d);
        }
        m->batch_labels[b] = b < count ? ds->labels[rows[b]] : -1;
        m->batch_mask[b] = b < count;
    }
    lc_cg_touch(m->cg, m->batch_node); /* a device graph uploads the new batch */
}

/* Graph-level data: mean loss and accuracy over the labelled samples of a
 * mask, batch by batch with dropout off (NaN when there are none). */
static lc_status evaluate_samples(lc_model_t *m, const lc_dataset_t *ds, const uint8_t *mask,
                                  float *loss, float *accuracy)
{
    const int64_t rows = lc_i_dataset_rows(ds), batch = m->batch_size;
    int64_t *pick = m->batch_rows; /* allocated by the build: evaluating allocates nothing */
    lc_status st = LC_OK;
    double nll = 0;
    int64_t hits = 0, count = 0;
    /* data-parallel: this rank evaluates its share [lo, hi) of the labelled rows */
    int64_t labelled = 0, lo = 0, hi = rows, seen = 0;
    if (lc_i_dist_active(m->dist)) {
        for (int64_t r = 0; r < rows; r++) labelled += mask[r] && ds->labels[r] >= 0;
        lc_i_dist_shard(m->dist, labelled, &lo, &hi);
    }
    for (int64_t r = 0; r < rows && !st;) {
        int64_t k = 0;
        for (; r < rows && k < batch; r++)
            if (mask[r] && ds->labels[r] >= 0 && seen++ >= lo && seen <= hi) pick[k++] = r;
        if (!k) break;
        load_batch(m, ds, pick, k);
        if ((st = lc_cg_forward(m->cg, 0))) break;
        const lc_tensor_t *logp = lc_cg_value(m->cg, m->output);
        int64_t in_batch;
        nll += (double)masked_nll(logp, m->batch_labels, m->batch_mask) * (double)k;
        hits += count_hits(logp, m->batch_labels, m->batch_mask, &in_batch);
        count += in_batch;
    }
    if (!st && lc_i_dist_active(m->dist)) {
        double sums[3] = {nll, (double)hits, (double)count};
        st = lc_i_dist_sum(m->dist, sums, 3);
        nll = sums[0], hits = (int64_t)sums[1], count = (int64_t)sums[2];
    }
    *loss = count ? (float)(nll / (double)count) : NAN;
    *accuracy = count ? (float)((double)hits / (double)count) : NAN;
    return st;
}

lc_status lc_model_evaluate(lc_model_t *m, const lc_dataset_t *ds, lc_eval_result *res)
{
    LC_CHECK_ARG(m && ds && res, "NULL argument");
    lc_status st = check_built_for(m, ds);
    if (st) return st;
    if (ds->samples) {
        for (int k = 0; k < 3 && !st; k++)
            st = evaluate_samples(m, ds, ds->mask[k], &res->loss[k], &res->accuracy[k]);
        return st;
    }
    if (m->dist_graph) return lc_i_dist_graph_evaluate(m, m->dist_graph, res);
    if (ds->part)
        return LC_ERROR(LC_ERR_STATE, "a part file's data set is evaluated by the job that "
                                      "trains it (lc_model_train first); evaluate a checkpoint "
                                      "on the whole data set");
    if ((st = lc_cg_forward(m->cg, 0))) return st;
    const lc_tensor_t *logp = lc_cg_value(m->cg, m->output);
    for (int k = 0; k < 3; k++) {
        res->loss[k] = masked_nll(logp, ds->labels, ds->mask[k]);
        res->accuracy[k] = lc_accuracy(logp, ds->labels, ds->mask[k]);
    }
    return LC_OK;
}

static bool same_optimizer(const lc_train_config *a, const lc_train_config *b)
{
    return a->optim == b->optim && a->lr == b->lr && a->weight_decay == b->weight_decay &&
           a->weight_decay_all == b->weight_decay_all;
}

static lc_status make_optimizer(lc_model_t *m, const lc_train_config *cfg)
{
    lc_optim_config oc = lc_optim_defaults(cfg->optim);
    oc.lr = cfg->lr;
    lc_optim_free(&m->opt);
    lc_status st = lc_optim_new(&m->opt, &oc, m->cg);
    if (st) return st;
    m->opt_cfg = *cfg;
    /* Kipf & Welling put L2 on the first learnable layer's weights only. */
    int first = -1;
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        if (first < 0 && m->param_decay[i]) first = m->param_layer[i];
        bool decays = m->param_decay[i] && (cfg->weight_decay_all || m->param_layer[i] == first);
        if ((st = lc_optim_set_weight_decay(m->opt, i, decays ? cfg->weight_decay : 0.0f)))
            return st;
    }
    return LC_OK;
}

/* The L2 penalty sum_p decay_p/2 · |w_p|² that the optimizer's weight decay
 * stands for: Kipf & Welling's early stopping watches val loss + this term. */
static double l2_penalty(const lc_model_t *m, const lc_train_config *cfg)
{
    double penalty = 0;
    int first = -1;
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        if (first < 0 && m->param_decay[i]) first = m->param_layer[i];
        if (!m->param_decay[i] || !(cfg->weight_decay_all || m->param_layer[i] == first)) continue;
        const lc_tensor_t *w = lc_i_cg_param_value(m->cg, i);
        double s = 0;
        for (int64_t k = 0; k < w->numel; k++) s += (double)w->data[k] * w->data[k];
        penalty += 0.5 * cfg->weight_decay * s;
    }
    return penalty;
}

/* A NaN/Inf found by the compute graph's check, re-raised with the epoch and
 * the layer of the op that produced it. */
static lc_status numeric_context(const lc_model_t *m, lc_status st, int epoch)
{
    if (st != LC_ERR_NUMERIC || m->cg->failed < 0) return st;
    char layer[64] = "the output head";
    const int tag = m->cg->nodes[m->cg->failed].tag;
    if (tag >= 0 && tag < m->n_layers)
        snprintf(layer, sizeof layer, "layer %d '%s'", tag,
                 lc_i_layer_name(m->layers[tag].kind));
    const char *sep = strstr(lc_last_error(), ": ");
    char detail[512];
    snprintf(detail, sizeof detail, "%s", sep ? sep + 2 : lc_last_error());
    return lc_i_error(LC_ERR_NUMERIC, "lc_model_train", "epoch %d, %s: %s", epoch + 1, layer,
                      detail);
}

/* After an optimizer step: every parameter still finite? */
static lc_status check_parameters(const lc_model_t *m, int epoch)
{
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        const lc_tensor_t *w = lc_i_cg_param_value(m->cg, i);
        for (int64_t k = 0; k < w->numel; k++)
            if (!isfinite(w->data[k]))
                return lc_i_error(LC_ERR_NUMERIC, "lc_model_train",
                                  "epoch %d, layer %d '%s': the optimizer step made parameter "
                                  "'%s' %g at element %lld",
                                epoch + 1, m->param_layer[i],
                                lc_i_layer_name(m->layers[m->param_layer[i]].kind),
                                lc_cg_param_name(m->cg, i), (double)w->data[k], (long long)k);
    }
    return LC_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One optimizer step on the graph's current inputs; *loss gets its training
 * loss. Data-parallel, the inputs are this rank's `share` of the batch, and the
 * step and *loss are the whole batch's. */
static lc_status train_step(lc_model_t *m, const lc_train_config *cfg, int epoch, double share,
                            float *loss)
{
    lc_status st = numeric_context(m, lc_cg_forward(m->cg, 1), epoch);
    if (st) return st;
    *loss = lc_cg_value(m->cg, m->loss)->data[0];
    if (!isfinite(*loss))
        return lc_i_error(LC_ERR_NUMERIC, "lc_model_train", "epoch %d: the training loss is %g",
                          epoch + 1, (double)*loss);
    if ((st = numeric_context(m, lc_cg_backward(m->cg), epoch))) return st;
    /* a job of one too (lcnet --distributed): so that it runs the device collectives */
    if (m->dist && (st = lc_i_dist_average(m, share, loss))) return st;
    if ((st = lc_optim_step(m->opt))) return st;
    if (m->dist && (st = lc_i_dist_after_step(m))) return st;
    return cfg->check_finite ? check_parameters(m, epoch) : LC_OK;
}

/* Graph-level data: one pass over the training samples `order` (shuffled
 * first) in mini-batches; *loss gets the mean training loss. */
static lc_status train_epoch_samples(lc_model_t *m, const lc_dataset_t *ds,
                                     const lc_train_config *cfg, lc_rng_t *rng, int64_t *order,
                                     int64_t n_train, int epoch, float *loss)
{
    lc_i_shuffle(rng, order, n_train);
    double sum = 0;
    /* the whole batch's size (data-parallel, m->batch_size is one rank's share) */
    const int64_t rows = lc_i_dataset_rows(ds);
    const int64_t batch = cfg->batch_size < rows ? cfg->batch_size : rows;
    for (int64_t start = 0; start < n_train; start += batch) {
        const int64_t count = n_train - start < batch ? n_train - start : batch;
        int64_t lo = 0, hi = count; /* data-parallel: this rank's share of the batch */
        if (lc_i_dist_active(m->dist)) lc_i_dist_shard(m->dist, count, &lo, &hi);
        load_batch(m, ds, order + start + lo, hi - lo);
        float batch_loss;
        lc_status st = train_step(m, cfg, epoch, (double)(hi - lo) / (double)count, &batch_loss);
        if (st) return st;
        sum += (double)batch_loss * (double)count;
    }
    *loss = (float)(sum / (double)n_train);
    return LC_OK;
}

/* lc_train_config.dropout in words: a negative one keeps the spec's rates. */
static const char *dropout_words(float p, char buf[32])
{
    if (p < 0) return "the spec's rates";
    snprintf(buf, 32, "%g", p);
    return buf;
}

lc_status lc_model_train(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg,
                         lc_train_result *res)
{
    LC_CHECK_ARG(m && ds, "NULL argument");
    lc_train_config defaults = lc_train_defaults();
    if (!cfg) cfg = &defaults;
    LC_CHECK_ARG(cfg->epochs >= 0, "epochs %d is negative", cfg->epochs);
    LC_CHECK_ARG(cfg->lr > 0 && isfinite(cfg->lr), "learning rate %g must be > 0", cfg->lr);
    LC_CHECK_ARG(cfg->weight_decay >= 0, "weight decay %g is negative", cfg->weight_decay);
    LC_CHECK_ARG(cfg->patience >= 0, "patience %d is negative", cfg->patience);
    LC_CHECK_ARG(cfg->dropout < 1, "dropout %g must be < 1", cfg->dropout);
    LC_CHECK_ARG(!ds->samples || cfg->batch_size >= 1, "batch size %d must be at least 1",
                 cfg->batch_size);
    lc_status st = LC_OK;
    FILE *log = NULL;
    float *val_history = NULL;
    lc_tensor_t **best = NULL; /* keep_best */
    int64_t *order = NULL, n_train = 0;
    bool has_val = false;
    const int64_t rows = lc_i_dataset_rows(ds);
    for (int64_t r = 0; r < rows; r++) {
        n_train += ds->mask[0][r] != 0 && ds->labels[r] >= 0;
        has_val |= ds->mask[1][r] != 0;
    }
    if (ds->part) n_train = ds->part->n_train; /* every part's, not the stand-in's */
    if (!n_train) return LC_ERROR(LC_ERR_INVALID_ARG, "the training mask has no labelled row");
    if (m->built_for != ds) LC_TRY(lc_model_build(m, ds, cfg));
    if (m->dist != cfg->dist)
        LC_FAIL(LC_ERR_STATE, "the model was built for another communicator (lc_train_config.dist): "
                              "call lc_model_build");
    char was[32], asks[32];
    if (m->built_dropout != cfg->dropout)
        LC_FAIL(LC_ERR_STATE,
                "the model was built with dropout %s, this call asks for %s: call lc_model_build",
                dropout_words(m->built_dropout, was), dropout_words(cfg->dropout, asks));
    if (ds->samples &&
        m->batch_size !=
            lc_i_dist_local_batch(cfg->dist, cfg->batch_size < rows ? cfg->batch_size : rows))
        LC_FAIL(LC_ERR_STATE,
                "the model was built with batch size %lld, this call asks for %d: call "
                "lc_model_build",
                (long long)m->batch_size, cfg->batch_size);
    /* Training continues from the current parameters; the optimizer restarts
     * when its settings change, and the seed restarts the dropout stream. */
    if (!m->opt || !same_optimizer(&m->opt_cfg, cfg)) LC_TRY(make_optimizer(m, cfg));
    /* data-parallel ranks draw dropout masks from streams of their own;
     * partitioned ones all draw one process's (lib/dist_graph.c: draw_mask) */
    const uint64_t stream = ds->samples ? (uint64_t)lc_dist_rank(m->dist) : 0;
    lc_cg_seed(m->cg, lc_i_dropout_seed(cfg->seed) + stream);
    lc_rng_t shuffle_rng;
    lc_rng_seed(&shuffle_rng, lc_i_shuffle_seed(cfg->seed));
    if (ds->samples) {
        order = lc_i_malloc((size_t)n_train * sizeof *order);
        if (!order) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld sample indices",
                            (long long)n_train);
        for (int64_t r = 0, k = 0; r < rows; r++)
            if (ds->mask[0][r] && ds->labels[r] >= 0) order[k++] = r;
    }
    if (ds->part && (!lc_i_dist_active(cfg->dist) || lc_dist_size(cfg->dist) != ds->part->parts ||
                     lc_dist_rank(cfg->dist) != ds->part->part))
        LC_FAIL(LC_ERR_INVALID_ARG,
                "the data set is part %d of %d (a part file): train it on rank %d of an MPI job "
                "of %d ranks (lc_train_config.dist; lcnet: mpirun -np %d ... --data parts:DIR), "
                "not on rank %d of %d",
                ds->part->part, ds->part->parts, ds->part->part, ds->part->parts, ds->part->parts,
                lc_dist_rank(cfg->dist), lc_dist_size(cfg->dist));
    if (m->dist) LC_TRY(lc_i_dist_begin(m, cfg, n_train));
    /* node-level data on several ranks: each trains its part of the graph */
    if (lc_i_dist_active(m->dist) && !ds->samples && !m->dist_graph) {
        LC_TRY(lc_i_error_from(lc_i_dist_graph_new(m, ds, cfg, &m->dist_graph), __func__));
    }
    if (cfg->log_csv && lc_dist_rank(m->dist) == 0) { /* data-parallel: rank 0 logs */
        log = fopen(cfg->log_csv, "w");
        if (!log) LC_FAIL(LC_ERR_IO, "cannot write '%s': %s", cfg->log_csv, strerror(errno));
        fprintf(log, "epoch,train_loss,val_loss,val_acc,seconds\n");
    }
    /* keep_best: a copy of the parameters at the best validation epoch so far */
    const int n_params = lc_cg_num_params(m->cg);
    float best_acc = -1, best_loss = INFINITY;
    int best_epoch = 0;
    val_history = lc_i_malloc(((size_t)cfg->epochs + 1) * sizeof *val_history);
    st = val_history ? LC_OK : LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the loss history");
    if (!st && cfg->keep_best && has_val) {
        best = lc_i_calloc((size_t)n_params + 1, sizeof *best);
        for (int i = 0; best && !st && i < n_params; i++) {
            const lc_tensor_t *w = lc_i_cg_param_value(m->cg, i);
            st = lc_tensor_new(&best[i], w->ndim, w->shape);
        }
        if (!best) st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the best parameters");
    }
    /* under MPI a rank that could not allocate stops every rank, before the first step */
    LC_TRY(lc_i_dist_agree_all(m->dist, st, "to allocate its training buffers"));
    lc_cg_check_finite(m->cg, cfg->check_finite);
    const bool progress = cfg->verbose && isatty(STDERR_FILENO);
    const double start = now_seconds();
    int epoch = 0;
    bool stopped = false;
    for (epoch = 0; epoch < cfg->epochs && !stopped; epoch++) {
        float train_loss, val_loss = NAN, val_acc = NAN;
        if (ds->samples) {
            LC_TRY(train_epoch_samples(m, ds, cfg, &shuffle_rng, order, n_train, epoch,
                                       &train_loss));
            if (has_val)
                LC_TRY(numeric_context(
                    m, evaluate_samples(m, ds, ds->mask[1], &val_loss, &val_acc), epoch));
        } else if (m->dist_graph) {
            LC_TRY(lc_i_dist_graph_step(m, m->dist_graph, &train_loss));
            lc_eval_result ev;
            LC_TRY(lc_i_dist_graph_evaluate(m, m->dist_graph, &ev));
            val_loss = ev.loss[1], val_acc = ev.accuracy[1];
        } else {
            LC_TRY(train_step(m, cfg, epoch, 1.0, &train_loss));
            lc_eval_result ev;
            LC_TRY(numeric_context(m, lc_model_evaluate(m, ds, &ev), epoch));
            val_loss = ev.loss[1], val_acc = ev.accuracy[1];
        }
        val_history[epoch] = val_loss + (float)l2_penalty(m, cfg);
        if (best && (val_acc > best_acc || (val_acc == best_acc && val_loss < best_loss))) {
            best_acc = val_acc, best_loss = val_loss, best_epoch = epoch + 1;
            for (int i = 0; i < n_params; i++) /* read only: a device keeps its copy */
                LC_TRY(lc_tensor_copy(best[i], lc_i_cg_param_value(m->cg, i)));
        }
        double elapsed = now_seconds() - start;
        if (log)
            fprintf(log, "%d,%.6g,%.6g,%.6g,%.4f\n", epoch + 1, train_loss, val_loss, val_acc,
                    elapsed);
        if (progress)
            fprintf(stderr, "\r epoch %d/%d  loss %.4f  val_acc %.4f  ETA %.1fs ", epoch + 1,
                    cfg->epochs, train_loss, val_acc,
                    elapsed / (epoch + 1) * (cfg->epochs - epoch - 1));
        if (cfg->on_epoch && cfg->on_epoch(cfg->user, epoch + 1, train_loss, val_loss, val_acc))
            stopped = true;
        /* Kipf & Welling: stop once the validation objective (loss + L2 term)
         * exceeds its mean over the previous `patience` epochs. */
        if (has_val && cfg->patience > 0 && epoch >= cfg->patience) {
            double mean = 0;
            for (int k = epoch - cfg->patience; k < epoch; k++) mean += val_history[k];
            mean /= cfg->patience;
            if (val_history[epoch] > mean) stopped = true;
        }
    }
    if (progress) fprintf(stderr, "\r%*s\r", 70, "");
    for (int i = 0; best_epoch && i < n_params; i++) /* uploaded before a device's next pass */
        LC_TRY(lc_tensor_copy(lc_cg_param_tensor(m->cg, i), best[i]));
    /* every rank leaves with the whole model (partitioned: the owners' edge weights) */
    LC_TRY(lc_i_error_from(lc_i_dist_graph_share_edges(m), __func__));
    if (res) {
        res->epochs_run = epoch;
        res->stopped_early = stopped && epoch < cfg->epochs;
        res->seconds = now_seconds() - start;
        res->gradients = m->dist_path[0] ? m->dist_path : NULL;
        res->best_epoch = best_epoch;
        LC_TRY(lc_model_evaluate(m, ds, &res->final));
    }
done:
    if (log && fclose(log) != 0 && !st)
        st = LC_ERROR(LC_ERR_IO, "cannot write '%s': %s", cfg->log_csv, strerror(errno));
    lc_i_free(val_history);
    lc_i_free(order);
    for (int i = 0; best && i < lc_cg_num_params(m->cg); i++)
        lc_tensor_free(&best[i]);
    lc_i_free(best);
    return st;
}
