/* optim.c — SGD with momentum, Adam and AdamW over a compiled graph's parameters. */
#include <math.h>
#include <string.h>

#include "backend.h"

struct lc_optim {
    lc_optim_config cfg;
    lc_cgraph_t *cg;
    int n;             /* parameter count */
    float *decay;      /* per-parameter weight decay */
    float **m, **v;    /* first and second moments (v unused by SGD) */
    int64_t step;
    /* The moments on a device, when the graph runs on one (else NULL): they
     * move there at the first step on the device and home at the first step
     * after the graph came back. */
    const lc_i_backend *state_on;
    float **dm, **dv;
};

/* Free the moments' device copies (if any); the host's stay as they are. */
static void drop_device_state(lc_optim_t *o)
{
    const lc_i_backend *be = o->state_on;
    for (int i = 0; be && o->dm && o->dv && i < o->n; i++) be->free(o->dm[i]), be->free(o->dv[i]);
    lc_i_free(o->dm);
    lc_i_free(o->dv);
    o->dm = o->dv = NULL;
    o->state_on = NULL;
}

/* Bring the moments home from the device (when they are there) and free
 * their device copies. */
static lc_status state_home(lc_optim_t *o)
{
    const lc_i_backend *be = o->state_on;
    lc_status st = LC_OK;
    for (int i = 0; be && i < o->n; i++) {
        const int64_t len = o->cg->nodes[o->cg->params[i]].value->numel;
        if (!st && o->dm[i]) st = be->copy(o->m[i], o->dm[i], len, false);
        if (!st && o->dv[i]) st = be->copy(o->v[i], o->dv[i], len, false);
    }
    drop_device_state(o);
    return st;
}

/* Copy the moments to the graph's device (allocated once, there). */
static lc_status state_to_device(lc_optim_t *o)
{
    const lc_i_backend *be = o->cg->backend;
    lc_status st = LC_OK;
    o->dm = lc_i_calloc((size_t)o->n, sizeof *o->dm);
    o->dv = lc_i_calloc((size_t)o->n, sizeof *o->dv);
    o->state_on = be;
    if (!o->dm || !o->dv) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the device state");
    for (int i = 0; i < o->n; i++) {
        const int64_t len = o->cg->nodes[o->cg->params[i]].value->numel;
        LC_TRY(be->alloc(&o->dm[i], len));
        LC_TRY(be->copy(o->dm[i], o->m[i], len, true));
        if (o->v[i]) {
            LC_TRY(be->alloc(&o->dv[i], len));
            LC_TRY(be->copy(o->dv[i], o->v[i], len, true));
        }
    }
done:
    if (st) drop_device_state(o); /* nothing moved: drop the partial copies */
    return st;
}

lc_optim_config lc_optim_defaults(lc_optim_kind kind)
{
    lc_optim_config c = {.kind = kind, .lr = 0.01f, .momentum = 0.0f, .beta1 = 0.9f,
                         .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f};
    return c;
}

void lc_optim_free(lc_optim_t **po)
{
    if (!po || !*po) return;
    lc_optim_t *o = *po;
    drop_device_state(o);
    for (int i = 0; o->m && i < o->n; i++) lc_i_free(o->m[i]);
    for (int i = 0; o->v && i < o->n; i++) lc_i_free(o->v[i]);
    lc_i_free(o->m);
    lc_i_free(o->v);
    lc_i_free(o->decay);
    lc_i_free(o);
    *po = NULL;
}

lc_status lc_optim_new(lc_optim_t **out, const lc_optim_config *cfg, lc_cgraph_t *cg)
{
    LC_CHECK_ARG(out && cfg && cg, "NULL argument");
    LC_CHECK_ARG(cfg->kind >= LC_OPTIM_SGD && cfg->kind <= LC_OPTIM_ADAMW, "unknown optimizer %d",
                 (int)cfg->kind);
    LC_CHECK_ARG(cfg->lr > 0 && isfinite(cfg->lr), "learning rate %g must be > 0", cfg->lr);
    LC_CHECK_ARG(cfg->momentum >= 0 && cfg->momentum < 1, "momentum %g not in [0, 1)",
                 cfg->momentum);
    LC_CHECK_ARG(cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1,
                 "betas (%g, %g) not in [0, 1)", cfg->beta1, cfg->beta2);
    LC_CHECK_ARG(cfg->eps > 0, "eps %g must be > 0", cfg->eps);
    LC_CHECK_ARG(cfg->weight_decay >= 0, "weight decay %g must be >= 0", cfg->weight_decay);
    if (!cg->compiled) return LC_ERROR(LC_ERR_STATE, "compile the graph first");
    lc_status st = LC_OK;
    lc_optim_t *o = lc_i_calloc(1, sizeof *o);
    if (!o) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the optimizer");
    o->cfg = *cfg;
    o->cg = cg;
    o->n = cg->n_params;
    o->decay = lc_i_calloc((size_t)o->n, sizeof *o->decay);
    o->m = lc_i_calloc((size_t)o->n, sizeof *o->m);
    o->v = lc_i_calloc((size_t)o->n, sizeof *o->v);
    if (!o->decay || !o->m || !o->v) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the state");
    for (int i = 0; i < o->n; i++) {
        size_t len = (size_t)cg->nodes[cg->params[i]].value->numel;
        o->decay[i] = cfg->weight_decay;
        o->m[i] = lc_i_calloc(len, sizeof(float));
        if (!o->m[i]) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the state");
        if (cfg->kind != LC_OPTIM_SGD) {
            o->v[i] = lc_i_calloc(len, sizeof(float));
            if (!o->v[i]) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the state");
        }
    }
    *out = o;
done:
    if (st) lc_optim_free(&o);
    return st;
}

lc_status lc_optim_set_weight_decay(lc_optim_t *o, int param, float weight_decay)
{
    LC_CHECK_ARG(o, "optimizer is NULL");
    LC_CHECK_ARG(param >= 0 && param < o->n, "parameter %d not in [0, %d)", param, o->n);
    LC_CHECK_ARG(weight_decay >= 0 && isfinite(weight_decay), "weight decay %g must be >= 0",
                 weight_decay);
    o->decay[param] = weight_decay;
    return LC_OK;
}

lc_status lc_optim_set_lr(lc_optim_t *o, float lr)
{
    LC_CHECK_ARG(o, "optimizer is NULL");
    LC_CHECK_ARG(lr > 0 && isfinite(lr), "learning rate %g must be > 0 and finite", lr);
    o->cfg.lr = lr;
    return LC_OK;
}

float lc_optim_lr(const lc_optim_t *o) { return o ? o->cfg.lr : 0.0f; }

void lc_optim_reset(lc_optim_t *o)
{
    if (!o) return;
    o->step = 0;
    drop_device_state(o); /* zero on the host; device copies start again from there */
    for (int i = 0; i < o->n; i++) {
        size_t len = (size_t)o->cg->nodes[o->cg->params[i]].value->numel * sizeof(float);
        memset(o->m[i], 0, len);
        if (o->v[i]) memset(o->v[i], 0, len);
    }
}

lc_status lc_optim_step(lc_optim_t *o)
{
    LC_CHECK_ARG(o, "optimizer is NULL");
    const lc_optim_config *c = &o->cfg;
    const lc_i_backend *be = o->cg->backend;
    lc_status st = lc_i_cg_take_pending(o->cg, __func__);
    if (st) return st;
    if (o->state_on != (be->optim_update ? be : NULL)) { /* the graph moved */
        if ((st = state_home(o))) return lc_i_error_from(st, __func__);
        if (be->optim_update && (st = state_to_device(o))) return lc_i_error_from(st, __func__);
    }
    o->step++;
    /* Bias corrections as PyTorch computes them, so runs can be compared. */
    const float bc1 = 1.0f - powf(c->beta1, (float)o->step);
    const float bc2_sqrt = sqrtf(1.0f - powf(c->beta2, (float)o->step));
    if (be->optim_update) {
        /* Parameters the host wrote (lc_cg_param_tensor) go up first (with the
         * labels, which begin_forward also sends: only when there are some). */
        bool host_wrote = false;
        for (int p = 0; p < o->n; p++)
            host_wrote |= o->cg->nodes[o->cg->params[p]].host_newer;
        if (host_wrote && (st = be->begin_forward(o->cg))) return lc_i_error_from(st, __func__);
        for (int p = 0; p < o->n; p++) {
            lc_i_node *node = &o->cg->nodes[o->cg->params[p]];
            if (node->grad)
                be->optim_update(o->cg, c, o->step, bc1, bc2_sqrt, o->decay[p], node->dvalue,
                                 node->dgrad, o->dm[p], o->dv[p], node->value->numel);
        }
        return lc_i_error_from(be->finish(o->cg), __func__);
    }
    for (int p = 0; p < o->n; p++) {
        lc_i_node *node = &o->cg->nodes[o->cg->params[p]];
        if (!node->grad) continue; /* parameter not on the loss's path */
        float *w = node->value->data, *m = o->m[p], *v = o->v[p];
        const float *g = node->grad->data;
        const float wd = o->decay[p], lr = c->lr;
        const int64_t len = node->value->numel;
        switch (c->kind) {
        case LC_OPTIM_SGD:
            for (int64_t i = 0; i < len; i++) {
                float gi = g[i] + wd * w[i];
                m[i] = (o->step == 1) ? gi : c->momentum * m[i] + gi;
                w[i] -= lr * (c->momentum > 0 ? m[i] : gi);
            }
            break;
        case LC_OPTIM_ADAM:
        case LC_OPTIM_ADAMW: {
            const bool decoupled = c->kind == LC_OPTIM_ADAMW;
            for (int64_t i = 0; i < len; i++) {
                float gi = decoupled ? g[i] : g[i] + wd * w[i];
                if (decoupled) w[i] *= 1.0f - lr * wd;
                m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * gi;
                v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * gi * gi;
                w[i] -= (lr / bc1) * m[i] / (sqrtf(v[i]) / bc2_sqrt + c->eps);
            }
            break;
        }
        }
    }
    return LC_OK;
}
