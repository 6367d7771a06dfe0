/* optim.c — SGD with momentum, Adam and AdamW over a compiled graph's parameters. */
#include <math.h>
#include <string.h>

#include "cgraph.h"

struct lc_optim {
    lc_optim_config cfg;
    lc_cgraph_t *cg;
    int n;             /* parameter count */
    float *decay;      /* per-parameter weight decay */
    float **m, **v;    /* first and second moments (v unused by SGD) */
    int64_t step;
};

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
    o->step++;
    /* Bias corrections as PyTorch computes them, so runs can be compared. */
    const float bc1 = 1.0f - powf(c->beta1, (float)o->step);
    const float bc2_sqrt = sqrtf(1.0f - powf(c->beta2, (float)o->step));
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
