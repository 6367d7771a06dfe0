/* train.c — full-batch training with early stopping, evaluation, metrics and the per-epoch log. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

lc_train_config lc_train_defaults(void)
{
    lc_train_config c = {.epochs = 200, .lr = 0.01f, .weight_decay = 5e-4f,
                         .weight_decay_all = 0, .dropout = -1.0f, .patience = 10,
                         .optim = LC_OPTIM_ADAM, .seed = 42, .verbose = 0};
    return c;
}

float lc_accuracy(const lc_tensor_t *scores, const int32_t *labels, const uint8_t *mask)
{
    if (!scores || !labels || !mask) return NAN;
    int64_t rows = lc_i_rows(scores), cols = lc_i_cols(scores), hit = 0, count = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!mask[r] || labels[r] < 0) continue; /* unlabelled rows count for neither */
        const float *s = scores->data + r * cols;
        int64_t best = 0;
        for (int64_t j = 1; j < cols; j++)
            if (s[j] > s[best]) best = j;
        hit += best == labels[r];
        count++;
    }
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

lc_status lc_model_evaluate(lc_model_t *m, const lc_dataset_t *ds, lc_eval_result *res)
{
    LC_CHECK_ARG(m && ds && res, "NULL argument");
    lc_status st = check_built_for(m, ds);
    if (st) return st;
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
        const lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
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
        const lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
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
    lc_status st = LC_OK;
    FILE *log = NULL;
    float *val_history = NULL;
    bool has_train = false, has_val = false;
    for (int64_t r = 0; r < lc_dataset_num_nodes(ds); r++) {
        has_train |= ds->mask[0][r] != 0;
        has_val |= ds->mask[1][r] != 0;
    }
    if (!has_train) return LC_ERROR(LC_ERR_INVALID_ARG, "the training mask is empty");
    if (m->built_for != ds) LC_TRY(lc_model_build(m, ds, cfg));
    if (m->built_dropout != cfg->dropout)
        LC_FAIL(LC_ERR_STATE,
                "the model was built with dropout %g, this call asks for %g: call lc_model_build",
                m->built_dropout, cfg->dropout);
    /* Training continues from the current parameters; the optimizer restarts
     * when its settings change, and the seed restarts the dropout stream. */
    if (!m->opt || !same_optimizer(&m->opt_cfg, cfg)) LC_TRY(make_optimizer(m, cfg));
    lc_cg_seed(m->cg, lc_i_dropout_seed(cfg->seed));
    if (cfg->log_csv) {
        log = fopen(cfg->log_csv, "w");
        if (!log) LC_FAIL(LC_ERR_IO, "cannot write '%s': %s", cfg->log_csv, strerror(errno));
        fprintf(log, "epoch,train_loss,val_loss,val_acc,seconds\n");
    }
    val_history = lc_i_malloc(((size_t)cfg->epochs + 1) * sizeof *val_history);
    if (!val_history) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the loss history");
    lc_cg_check_finite(m->cg, cfg->check_finite);
    const bool progress = cfg->verbose && isatty(STDERR_FILENO);
    const double start = now_seconds();
    int epoch = 0;
    bool stopped = false;
    for (epoch = 0; epoch < cfg->epochs && !stopped; epoch++) {
        LC_TRY(numeric_context(m, lc_cg_forward(m->cg, 1), epoch));
        float train_loss = lc_cg_value(m->cg, m->loss)->data[0];
        if (!isfinite(train_loss))
            LC_FAIL(LC_ERR_NUMERIC, "epoch %d: the training loss is %g", epoch + 1, train_loss);
        LC_TRY(numeric_context(m, lc_cg_backward(m->cg), epoch));
        LC_TRY(lc_optim_step(m->opt));
        if (cfg->check_finite) LC_TRY(check_parameters(m, epoch));
        lc_eval_result ev;
        LC_TRY(numeric_context(m, lc_model_evaluate(m, ds, &ev), epoch));
        val_history[epoch] = ev.loss[1] + (float)l2_penalty(m, cfg);
        double elapsed = now_seconds() - start;
        if (log)
            fprintf(log, "%d,%.6g,%.6g,%.6g,%.4f\n", epoch + 1, train_loss, ev.loss[1],
                    ev.accuracy[1], elapsed);
        if (progress)
            fprintf(stderr, "\r epoch %d/%d  loss %.4f  val_acc %.4f  ETA %.1fs ", epoch + 1,
                    cfg->epochs, train_loss, ev.accuracy[1],
                    elapsed / (epoch + 1) * (cfg->epochs - epoch - 1));
        if (cfg->on_epoch &&
            cfg->on_epoch(cfg->user, epoch + 1, train_loss, ev.loss[1], ev.accuracy[1]))
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
    if (res) {
        res->epochs_run = epoch;
        res->stopped_early = stopped && epoch < cfg->epochs;
        res->seconds = now_seconds() - start;
        LC_TRY(lc_model_evaluate(m, ds, &res->final));
    }
done:
    if (log && fclose(log) != 0 && !st)
        st = LC_ERROR(LC_ERR_IO, "cannot write '%s': %s", cfg->log_csv, strerror(errno));
    lc_i_free(val_history);
    return st;
}
