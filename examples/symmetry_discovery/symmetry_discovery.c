/* symmetry_discovery.c — the paper's experiment 3: a recurrent L-conv learns the rotation generator from pairs (x, rotation of x by θ) by regressing θ; protocol a = the paper's bilinear data, b = exact exp(θ·L_rot)·x. */
#include "../common/experiment.h"

static const char *usage =
    "[--protocol a|b] [--side S] [--angle-max RAD] [--recur K] [--order P] [--samples N] [--test N]\n"
    "       [--epochs E] [--batch B] [--lr LR] [--decay G] [--seeds S] [--seed S]\n"
    "       [--channels C] [--hidden H] [--init-std SD] [--normalize] [--antisym] [--l1 LAMBDA]\n"
    "       [--symmetric] [--prelinear] [--traceless] [--sym-decay K] [--sym-from E]\n"
    "       [--no-generator] [--expm] [--readout mlp|argmax] [--squarings K] [--init-truth] [--optim adam|sgd] [--wnorm] [--fresh] [--l1-until E] [--learn-grid] [--orbit-follows] [--curriculum E] [--angle-start RAD] [--ls-pairs M] [--action LAMBDA]\n"
    "       [--threads T] [--out DIR] [--full]";

typedef struct {
    char protocol;
    long side, recur, order, squarings, curriculum, ls_pairs, l1_until, sym_from, train, test, epochs, batch, seeds, seed, channels, hidden, threads;
    double angle_max, angle_start, lr, decay, init_std, l1, sym_decay;
    double action;    /* --action λ: + λ·mean_s ‖E^{c_s}·x_s − exp(−r_s·L)·y_s‖² (θ_s = c_s·τ + r_s) */
    int normalize, antisym;
    int symmetric;    /* θ in (−max, max) instead of [0, max) */
    int prelinear;    /* a Linear(C, C) between the dot products and the first tanh */
    int traceless;    /* L projected on tr L = 0 after every step */
    int no_generator; /* L held at 0: how much of θ the plain dot product ⟨x, y⟩ gives */
    int expm;         /* the exact-action network: channel c = exp(τ·L)^c·x, exp by scaling and squaring */
    int wnorm;        /* --wnorm: L = α·n·A/‖A‖ (A renormalised after every step, α learnt) */
    int orbit_follows; /* --orbit-follows: the orbit's step τ = (the curriculum's range)/(C − 1) */
    int rho;          /* --learn-grid: the argmax readout's angle unit learnt (θ̂ = ρ·Σ softmax·c·τ) */
    int fresh;        /* --fresh: new training pairs every epoch */
    int sgd;          /* --optim sgd: SGD with momentum 0.9 instead of Adam */
    int init_truth;   /* --init-truth: L starts at L_rot (a diagnostic) */
    int argmax;       /* --readout argmax: θ̂ = Σ_c softmax(β·s)_c · c·τ instead of the MLP head */
    const char *out_dir;
} options;

/* count samples, one per row: x, y [count, n] and θ [count] */
typedef struct {
    int64_t count;
    float *x, *y, *theta;
} pairs;

static void pairs_free(pairs *p)
{
    free(p->x);
    free(p->y);
    free(p->theta);
    memset(p, 0, sizeof *p);
}

/* Noise in [-0.5, 0.5), θ uniform in [0, angle_max) (or (−angle_max, angle_max)); y by bilinear rotation (a)
 * or by exp(θ·L_rot) (b); optionally both scaled to unit norm. */
static lc_status make_pairs(const options *o, const lc_tensor_t *lrot, lc_rng_t *rng, int64_t count,
                            double angle_max, pairs *p)
{
    const int n = (int)(o->side * o->side);
    lc_status st = LC_OK;
    lc_tensor_t *xc = NULL, *yc = NULL;
    p->count = count;
    p->x = malloc((size_t)(count * n) * sizeof(float));
    p->y = malloc((size_t)(count * n) * sizeof(float));
    p->theta = malloc((size_t)count * sizeof(float));
    if (!p->x || !p->y || !p->theta) {
        fprintf(stderr, "%s: out of memory for %lld samples\n", ex_prog, (long long)count);
        return LC_ERR_OUT_OF_MEMORY;
    }
    for (int64_t k = 0; k < count; k++) {
        for (int i = 0; i < n; i++) p->x[k * n + i] = lc_rng_uniform(rng) - 0.5f;
        const float u = lc_rng_uniform(rng);
        p->theta[k] = (float)(angle_max * (o->symmetric ? 2 * u - 1 : u));
    }
    if (o->protocol == 'a') {
        for (int64_t k = 0; k < count && !st; k++)
            st = lc_image_rotate(p->x + k * n, o->side, o->side, p->theta[k], LC_FILL_ZERO, p->y + k * n);
    } else { /* one sample per column for the batched exponential */
        if ((st = lc_tensor_new2(&xc, n, count)) || (st = lc_tensor_new2(&yc, n, count))) goto done;
        for (int64_t k = 0; k < count; k++)
            for (int i = 0; i < n; i++) lc_tensor_data(xc)[i * count + k] = p->x[k * n + i];
        if ((st = lc_expm_apply(lrot, p->theta, xc, yc))) goto done;
        for (int64_t k = 0; k < count; k++)
            for (int i = 0; i < n; i++) p->y[k * n + i] = lc_tensor_data(yc)[i * count + k];
    }
    if (o->normalize)
        for (int64_t k = 0; k < count; k++)
            for (int v = 0; v < 2; v++) {
                float *s = (v ? p->y : p->x) + k * n;
                double ss = 0;
                for (int i = 0; i < n; i++) ss += (double)s[i] * s[i];
                const float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
                for (int i = 0; i < n; i++) s[i] *= inv;
            }
done:
    lc_tensor_free(&xc);
    lc_tensor_free(&yc);
    return st;
}

/* The network of one seed and the batch buffers it reads. */
typedef struct {
    lc_cgraph_t *cg;
    lc_optim_t *opt;
    lc_tensor_t *h0, *yrep, *target, *init[8];
    lc_tensor_t *xb, *eye;        /* --expm: x as [n, B], and the n × n identity */
    lc_tensor_t *grid, *gridsum, *beta0; /* --readout argmax: the channels' angles c·τ [C, 1], their sum, β */
    lc_node pred, loss;
    int alpha_idx;       /* --wnorm: the parameter index of α */
    lc_tensor_t *alpha0; /* its initial value */
    lc_tensor_t *rho0;   /* --learn-grid: the readout grid's unit ρ, from 1 */
    lc_tensor_t *tauk;   /* --expm: τ/2^k [1, 1], τ = (this epoch's θ range)/(C − 1) */
    double tau;          /* --expm: that τ */
    lc_node theta_mse;   /* the regression's loss (the whole loss without --action) */
    lc_node action_gap;  /* --action: mean_s ‖E^{c_s}·x_s − exp(−r_s·L)·y_s‖², 0 when L generates the data */
    /* --action: the one-hot pick of channel c_s [n, B, C], ones [C, 1], y as [n, B], −r_s as [n, B] */
    lc_tensor_t *pick, *ones, *yb, *negr;
} model;

static void model_free(model *m)
{
    lc_optim_free(&m->opt);
    lc_cg_free(&m->cg);
    lc_tensor_free(&m->h0);
    lc_tensor_free(&m->yrep);
    lc_tensor_free(&m->target);
    lc_tensor_free(&m->xb);
    lc_tensor_free(&m->eye);
    lc_tensor_free(&m->grid);
    lc_tensor_free(&m->gridsum);
    lc_tensor_free(&m->beta0);
    lc_tensor_free(&m->alpha0);
    lc_tensor_free(&m->rho0);
    lc_tensor_free(&m->tauk);
    lc_tensor_free(&m->pick);
    lc_tensor_free(&m->ones);
    lc_tensor_free(&m->yb);
    lc_tensor_free(&m->negr);
    for (int k = 0; k < 8; k++) lc_tensor_free(&m->init[k]);
}

#define TRY(call)                                                                              \
    if ((st = (call))) return st

/* --action: the orbit must pass through y at the labelled angle. With θ_s =
 * c_s·τ + r_s (c_s the nearest channel, |r_s| ≤ τ/2), exp(θ_s·L)·x_s = y_s is
 * E^{c_s}·x_s = exp(−r_s·L)·y_s; the right side by Taylor's series to order 8
 * (|r_s·ω| ≤ τ·ω_max/2 ≈ 0.7 at 20 × 20: truncation 1e-7). The term is
 * mean_s ‖·‖² (m->action_gap), i.e. n × the MSE over [n, B]; the loss adds
 * λ times it. It weighs a phase error of every mode alike, as the cosine
 * correlation does, where the θ regression barely feels the fast modes.
 * fill_batch() sets the pick and −r_s. */
static lc_status action_term(model *m, const options *o, lc_node channels, lc_node lg)
{
    const int64_t n = o->side * o->side, b = o->batch, c = o->channels;
    lc_cgraph_t *cg = m->cg;
    lc_status st;
    lc_node pick, ones, yb, negr, sel, sel2, term, acc, lhs, mse;
    TRY(lc_tensor_new(&m->pick, 3, (int64_t[]){n, b, c}));
    TRY(lc_tensor_new2(&m->ones, c, 1));
    TRY(lc_tensor_new2(&m->yb, n, b));
    TRY(lc_tensor_new2(&m->negr, n, b));
    lc_tensor_fill(m->ones, 1.0f);
    TRY(lc_cg_constant(cg, m->pick, &pick));
    TRY(lc_cg_constant(cg, m->ones, &ones));
    TRY(lc_cg_constant(cg, m->yb, &yb));
    TRY(lc_cg_constant(cg, m->negr, &negr));
    TRY(lc_cg_mul(cg, channels, pick, &sel));
    TRY(lc_cg_reshape(cg, sel, 2, (int64_t[]){n * b, c}, &sel2));
    TRY(lc_cg_matmul(cg, sel2, ones, &sel));
    TRY(lc_cg_reshape(cg, sel, 2, (int64_t[]){n, b}, &lhs)); /* E^{c_s}·x_s as column s */
    term = acc = yb;
    for (int j = 1; j <= 8; j++) { /* T_j = (L·T_{j−1}) ∘ (−r)/j */
        lc_node lt;
        TRY(lc_cg_matmul(cg, lg, term, &lt));
        TRY(lc_cg_mul(cg, lt, negr, &term));
        if (j > 1) TRY(lc_cg_scale(cg, term, 1.0f / (float)j, &term));
        TRY(lc_cg_add(cg, acc, term, &acc));
    }
    TRY(lc_cg_mse(cg, lhs, acc, &mse));
    return lc_cg_scale(cg, mse, (float)n, &m->action_gap);
}

/* The loss: the θ regression, plus the action term when there is one. */
static lc_status total_loss(model *m, const options *o)
{
    lc_node weighted;
    lc_status st;
    if (o->action <= 0) {
        m->loss = m->theta_mse;
        return LC_OK;
    }
    TRY(lc_cg_scale(m->cg, m->action_gap, (float)o->action, &weighted));
    return lc_cg_add(m->cg, m->theta_mse, weighted, &m->loss);
}

/* x copied into C channels, H ← H + (L·H)·Wᵀ applied K times (the same L and
 * W; W0 = I), s_c = ⟨H_c, y⟩ per sample, tanh → Linear(C, hidden) → tanh →
 * Linear(hidden, 1) = θ̂, MSE. H is [n, B, C]: L acts on it as [n, B·C], W on
 * the last dimension. Parameter 0 is L (or A with L = A − Aᵀ). */
static lc_status build_model(model *m, const options *o, lc_rng_t *rng)
{
    const int64_t n = o->side * o->side, b = o->batch, c = o->channels, h = o->hidden;
    lc_status st;
    lc_cgraph_t *cg;
    lc_node hn, yr, tg, l, wt, w1, b1, w2, b2;
    TRY(lc_tensor_new(&m->h0, 3, (int64_t[]){n, b, c}));
    TRY(lc_tensor_new(&m->yrep, 3, (int64_t[]){n, b, c}));
    TRY(lc_tensor_new(&m->target, 3, (int64_t[]){1, b, 1}));
    TRY(lc_tensor_new2(&m->init[0], n, n));
    TRY(lc_tensor_new2(&m->init[1], c, c));
    TRY(lc_tensor_new2(&m->init[2], c, h));
    TRY(lc_tensor_new2(&m->init[3], 1, h));
    TRY(lc_tensor_new2(&m->init[4], h, 1));
    TRY(lc_tensor_new2(&m->init[5], 1, 1));
    for (int64_t k = 0; k < n * n; k++) lc_tensor_data(m->init[0])[k] = (float)o->init_std * lc_rng_normal(rng);
    /* channel mixing as torch's Linear: U(±1/√C), so that the channels part ways */
    for (int64_t k = 0; k < c * c; k++)
        lc_tensor_data(m->init[1])[k] = (2 * lc_rng_uniform(rng) - 1) / sqrtf((float)c);
    TRY(lc_init_glorot(m->init[2], rng));
    TRY(lc_init_glorot(m->init[4], rng));
    TRY(lc_cg_new(&m->cg, (uint64_t)o->seed));
    cg = m->cg;
    TRY(lc_cg_parameter(cg, m->init[0], o->antisym ? "A" : "L", &l));
    TRY(lc_cg_parameter(cg, m->init[1], "W^T", &wt));
    TRY(lc_cg_parameter(cg, m->init[2], "fc1.W", &w1));
    TRY(lc_cg_parameter(cg, m->init[3], "fc1.b", &b1));
    TRY(lc_cg_parameter(cg, m->init[4], "fc2.W", &w2));
    TRY(lc_cg_parameter(cg, m->init[5], "fc2.b", &b2));
    TRY(lc_cg_constant(cg, m->h0, &hn));
    TRY(lc_cg_constant(cg, m->yrep, &yr));
    TRY(lc_cg_constant(cg, m->target, &tg));
    if (o->expm) {
        /* The exact-action network: E = exp(τ·L) with τ = θ_max / (C − 1), by
         * scaling and squaring (Taylor's series of τL/2^k to order P by
         * Horner, then squared k times), and channel c = E^c·x (c = 0 … C − 1):
         * the same operator applied recurrently, each recurrence read out as a
         * channel. With L = L_rot, channel c is x rotated by c·τ exactly and
         * ⟨E^c x, y⟩ peaks at θ = c·τ. No channel mixing W. */
        const int64_t sq = (int64_t)1 << o->squarings;
        const double tau = o->angle_max / (double)(c > 1 ? c - 1 : 1);
        lc_node eye, xb, lg = l, a, p, col, all;
        TRY(lc_tensor_new2(&m->eye, n, n));
        TRY(lc_tensor_new2(&m->xb, n, b));
        for (int64_t i = 0; i < n; i++) lc_tensor_data(m->eye)[i * n + i] = 1.0f;
        TRY(lc_cg_constant(cg, m->eye, &eye));
        TRY(lc_cg_constant(cg, m->xb, &xb));
        if (o->antisym) { /* L = A − Aᵀ, Aᵀ as I·Aᵀ */
            lc_node at, neg;
            TRY(lc_cg_matmul_t(cg, eye, 0, l, 1, &at));
            TRY(lc_cg_scale(cg, at, -1.0f, &neg));
            TRY(lc_cg_add(cg, l, neg, &lg));
        }
        if (o->wnorm) { /* L = α·n·A, A kept at unit norm by constrain(): the scale is one parameter */
            lc_node alpha, col1, sc;
            TRY(lc_tensor_new2(&m->alpha0, 1, 1));
            lc_tensor_data(m->alpha0)[0] = 0.01f;
            m->alpha_idx = lc_cg_num_params(cg);
            TRY(lc_cg_parameter(cg, m->alpha0, "alpha", &alpha));
            TRY(lc_cg_reshape(cg, lg, 2, (int64_t[]){n * n, 1}, &col1));
            TRY(lc_cg_matmul(cg, col1, alpha, &sc));
            TRY(lc_cg_reshape(cg, sc, 2, (int64_t[]){n, n}, &lg));
            TRY(lc_cg_scale(cg, lg, (float)n, &lg));
        }
        { /* A = L·τ/2^k, τ in a constant so that the curriculum can move it with the range */
            lc_node tk, col2, sc2;
            TRY(lc_tensor_new2(&m->tauk, 1, 1));
            lc_tensor_data(m->tauk)[0] = (float)(tau / (double)sq);
            TRY(lc_cg_constant(cg, m->tauk, &tk));
            TRY(lc_cg_reshape(cg, lg, 2, (int64_t[]){n * n, 1}, &col2));
            TRY(lc_cg_matmul(cg, col2, tk, &sc2));
            TRY(lc_cg_reshape(cg, sc2, 2, (int64_t[]){n, n}, &a));
        }
        TRY(lc_cg_scale(cg, a, 1.0f / (float)o->order, &p));
        TRY(lc_cg_add(cg, eye, p, &p)); /* I + A/P */
        for (long j = o->order - 1; j >= 1; j--) { /* I + A·(…)/j */
            lc_node ap;
            TRY(lc_cg_matmul(cg, a, p, &ap));
            if (j > 1) TRY(lc_cg_scale(cg, ap, 1.0f / (float)j, &ap));
            TRY(lc_cg_add(cg, eye, ap, &p));
        }
        for (long k = 0; k < o->squarings; k++) TRY(lc_cg_matmul(cg, p, p, &p));
        lc_node hc = xb;
        TRY(lc_cg_reshape(cg, hc, 2, (int64_t[]){n * b, 1}, &all));
        for (int64_t ch = 1; ch < c; ch++) {
            TRY(lc_cg_matmul(cg, p, hc, &hc));
            TRY(lc_cg_reshape(cg, hc, 2, (int64_t[]){n * b, 1}, &col));
            TRY(lc_cg_concat(cg, all, col, &all));
        }
        TRY(lc_cg_reshape(cg, all, 3, (int64_t[]){n, b, c}, &hn));
        m->tau = tau;
        if (o->action > 0) TRY(action_term(m, o, hn, lg));
    }
    /* One recurrence is H + T_1 + … + T_order with T_j = (L·T_{j−1})·Wᵀ / j and
     * T_0 = H: the L-conv step itself (order 1, the paper's) or Taylor's series
     * of exp(L ⊗ W) to a higher order. */
    for (long k = 0; k < (o->expm ? 0 : o->recur); k++) {
        lc_node term = hn, acc = hn;
        for (long j = 1; j <= o->order; j++) {
            lc_node t2, lt, lt3, ltw, next;
            TRY(lc_cg_reshape(cg, term, 2, (int64_t[]){n, b * c}, &t2));
            if (o->antisym) { /* (A − Aᵀ)·T */
                lc_node at, att, neg;
                TRY(lc_cg_matmul_t(cg, l, 0, t2, 0, &at));
                TRY(lc_cg_matmul_t(cg, l, 1, t2, 0, &att));
                TRY(lc_cg_scale(cg, att, -1.0f, &neg));
                TRY(lc_cg_add(cg, at, neg, &lt));
            } else {
                TRY(lc_cg_matmul(cg, l, t2, &lt));
            }
            TRY(lc_cg_reshape(cg, lt, 3, (int64_t[]){n, b, c}, &lt3));
            TRY(lc_cg_matmul(cg, lt3, wt, &ltw));
            if (j > 1) TRY(lc_cg_scale(cg, ltw, 1.0f / (float)j, &ltw));
            TRY(lc_cg_add(cg, acc, ltw, &next));
            term = ltw;
            acc = next;
        }
        hn = acc;
    }
    lc_node prod, dots, t1, a1, z1, t2, a2, z2;
    TRY(lc_cg_mul(cg, hn, yr, &prod));
    TRY(lc_cg_pool(cg, prod, LC_POOL_SUM, NULL, 0, &dots)); /* [1, B, C] */
    if (o->prelinear) { /* Linear(C, C) on the dot products before the first tanh */
        lc_node wp, bp, ap;
        TRY(lc_tensor_new2(&m->init[6], c, c));
        TRY(lc_tensor_new2(&m->init[7], 1, c));
        TRY(lc_init_glorot(m->init[6], rng));
        TRY(lc_cg_parameter(cg, m->init[6], "pre.W", &wp));
        TRY(lc_cg_parameter(cg, m->init[7], "pre.b", &bp));
        TRY(lc_cg_matmul(cg, dots, wp, &ap));
        TRY(lc_cg_bias(cg, ap, bp, &dots));
    }
    if (o->argmax) {
        /* The orbit's readout: the angle of the channel that matches y best,
         * softly: θ̂ = Σ_c softmax(β·s)_c·c·τ with one learnable β (from 10).
         * softmax − 1 = elu(log_softmax) (log_softmax ≤ 0), so θ̂ = elu(…)·grid + Σ grid. */
        const double tau = o->angle_max / (double)(c > 1 ? c - 1 : 1);
        lc_node s2, beta, bs, bs2, lsm, sm1, g, gs, th, th3;
        TRY(lc_tensor_new2(&m->grid, c, 1));
        TRY(lc_tensor_new2(&m->gridsum, 1, 1));
        double total = 0;
        for (int64_t ch = 0; ch < c; ch++) total += (lc_tensor_data(m->grid)[ch] = (float)(ch * tau));
        lc_tensor_data(m->gridsum)[0] = (float)total;
        TRY(lc_tensor_new2(&m->beta0, 1, 1));
        lc_tensor_data(m->beta0)[0] = 10.0f;
        TRY(lc_cg_constant(cg, m->grid, &g));
        TRY(lc_cg_constant(cg, m->gridsum, &gs));
        TRY(lc_cg_parameter(cg, m->beta0, "beta", &beta));
        TRY(lc_cg_reshape(cg, dots, 2, (int64_t[]){b * c, 1}, &s2));
        TRY(lc_cg_matmul(cg, s2, beta, &bs));
        TRY(lc_cg_reshape(cg, bs, 2, (int64_t[]){b, c}, &bs2));
        TRY(lc_cg_log_softmax(cg, bs2, &lsm));
        TRY(lc_cg_elu(cg, lsm, 1.0f, &sm1));
        TRY(lc_cg_matmul(cg, sm1, g, &th));
        TRY(lc_cg_bias(cg, th, gs, &th));
        if (o->rho) { /* the grid's unit learnt too: θ̂ = ρ·Σ_c softmax_c·c·τ, so that L's scale and the grid agree */
            lc_node rho;
            TRY(lc_tensor_new2(&m->rho0, 1, 1));
            lc_tensor_data(m->rho0)[0] = 1.0f;
            TRY(lc_cg_parameter(cg, m->rho0, "rho", &rho));
            TRY(lc_cg_matmul(cg, th, rho, &th));
        }
        TRY(lc_cg_reshape(cg, th, 3, (int64_t[]){1, b, 1}, &th3));
        m->pred = th3;
        TRY(lc_cg_mse(cg, th3, tg, &m->theta_mse));
        TRY(total_loss(m, o));
        TRY(lc_cg_compile(cg, m->loss));
        lc_optim_config oc = lc_optim_defaults(o->sgd ? LC_OPTIM_SGD : LC_OPTIM_ADAM);
        oc.lr = (float)o->lr;
        if (o->sgd) oc.momentum = 0.9f;
        TRY(lc_optim_new(&m->opt, &oc, cg));
        return LC_OK;
    }
    TRY(lc_cg_tanh(cg, dots, &t1));
    TRY(lc_cg_matmul(cg, t1, w1, &a1));
    TRY(lc_cg_bias(cg, a1, b1, &z1));
    TRY(lc_cg_tanh(cg, z1, &t2));
    TRY(lc_cg_matmul(cg, t2, w2, &a2));
    TRY(lc_cg_bias(cg, a2, b2, &z2));
    m->pred = z2;
    TRY(lc_cg_mse(cg, z2, tg, &m->theta_mse));
    TRY(total_loss(m, o));
    TRY(lc_cg_compile(cg, m->loss));
    lc_optim_config oc = lc_optim_defaults(o->sgd ? LC_OPTIM_SGD : LC_OPTIM_ADAM);
    oc.lr = (float)o->lr;
    if (o->sgd) oc.momentum = 0.9f;
    TRY(lc_optim_new(&m->opt, &oc, cg));
#undef TRY
    return LC_OK;
}

/* --expm: the orbit's step τ and the readout's grid c·τ for an angle range
 * (the curriculum's, or the full one). */
static void set_orbit_range(model *m, const options *o, double range)
{
    if (!m->tauk) return;
    const int64_t c = o->channels;
    const double tau = range / (double)(c > 1 ? c - 1 : 1);
    m->tau = tau;
    lc_tensor_data(m->tauk)[0] = (float)(tau / (double)((int64_t)1 << o->squarings));
    if (m->grid) {
        double total = 0;
        for (int64_t ch = 0; ch < c; ch++) total += (lc_tensor_data(m->grid)[ch] = (float)(ch * tau));
        lc_tensor_data(m->gridsum)[0] = (float)total;
    }
}

/* Load samples idx[0 .. B-1] of p into the batch constants. */
static void fill_batch(model *m, const options *o, const pairs *p, const int64_t *idx)
{
    const int64_t n = o->side * o->side, b = o->batch, c = o->channels;
    float *h = lc_tensor_data(m->h0), *y = lc_tensor_data(m->yrep), *t = lc_tensor_data(m->target);
    for (int64_t s = 0; s < b; s++) {
        const float *xs = p->x + idx[s] * n, *ys = p->y + idx[s] * n;
        for (int64_t i = 0; i < n; i++)
            for (int64_t ch = 0; ch < c; ch++) {
                h[(i * b + s) * c + ch] = xs[i];
                y[(i * b + s) * c + ch] = ys[i];
            }
        t[s] = p->theta[idx[s]];
        if (m->xb)
            for (int64_t i = 0; i < n; i++) lc_tensor_data(m->xb)[i * b + s] = xs[i];
        if (m->pick) { /* --action: θ = c·τ + r with c the nearest channel */
            long ch = lround(p->theta[idx[s]] / m->tau);
            if (ch < 0) ch = 0;
            if (ch > c - 1) ch = (long)c - 1;
            const float negr = (float)(ch * m->tau) - p->theta[idx[s]];
            float *pk = lc_tensor_data(m->pick);
            for (int64_t i = 0; i < n; i++) {
                for (int64_t k = 0; k < c; k++) pk[(i * b + s) * c + k] = k == ch ? 1.0f : 0.0f;
                lc_tensor_data(m->yb)[i * b + s] = ys[i];
                lc_tensor_data(m->negr)[i * b + s] = negr;
            }
        }
    }
}

/* The learned generator L (A − Aᵀ when antisymmetric) into l [n × n]. */
static void generator_of(model *m, const options *o, float *l)
{
    const int64_t n = o->side * o->side;
    const float *a = lc_tensor_data(lc_cg_param_tensor(m->cg, 0));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) l[i * n + j] = o->antisym ? a[i * n + j] - a[j * n + i] : a[i * n + j];
    if (o->wnorm) {
        const float g = lc_tensor_data(lc_cg_param_tensor(m->cg, m->alpha_idx))[0] * (float)n;
        for (int64_t k = 0; k < n * n; k++) l[k] *= g;
    }
}

/* Mean squared error of θ̂ over the test pairs (whole batches; the rest is
 * dropped), and the mean action gap with --action (NAN without). */
static lc_status evaluate(model *m, const options *o, const pairs *p, int64_t *idx, double *mse, double *gap)
{
    double s = 0, g = 0;
    int64_t batches = p->count / o->batch;
    for (int64_t q = 0; q < batches; q++) {
        for (int64_t k = 0; k < o->batch; k++) idx[k] = q * o->batch + k;
        fill_batch(m, o, p, idx);
        lc_status st = lc_cg_forward(m->cg, 0);
        if (st) return st;
        s += lc_tensor_data(lc_cg_value(m->cg, m->theta_mse))[0];
        if (o->action > 0) g += lc_tensor_data(lc_cg_value(m->cg, m->action_gap))[0];
    }
    *mse = s / (double)batches;
    *gap = o->action > 0 ? g / (double)batches : NAN;
    return LC_OK;
}

/* After a step, on the generator: soft threshold by lr·λ (proximal gradient
 * for λ·Σ|L|), the symmetric part shrunk by a factor (1 − κ), the trace removed. */
static void constrain(model *m, const options *o, float rate, long epoch)
{
    const int64_t n = o->side * o->side;
    float *a = lc_tensor_data(lc_cg_param_tensor(m->cg, 0));
    if (o->l1 > 0 && (o->l1_until <= 0 || epoch <= o->l1_until)) {
        const float t = rate * (float)o->l1;
        for (int64_t k = 0; k < n * n; k++) a[k] = a[k] > t ? a[k] - t : (a[k] < -t ? a[k] + t : 0.0f);
    }
    if (o->sym_decay > 0 && epoch >= o->sym_from)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = i; j < n; j++) {
                const float s = 0.5f * (float)o->sym_decay * (a[i * n + j] + a[j * n + i]);
                a[i * n + j] -= s;
                if (j != i) a[j * n + i] -= s;
            }
    if (o->traceless) {
        double tr = 0;
        for (int64_t i = 0; i < n; i++) tr += a[i * n + i];
        for (int64_t i = 0; i < n; i++) a[i * n + i] -= (float)(tr / (double)n);
    }
    if (o->wnorm) {
        double ss = 0;
        for (int64_t k = 0; k < n * n; k++) ss += (double)a[k] * a[k];
        const float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (int64_t k = 0; k < n * n; k++) a[k] *= inv;
    }
}

typedef struct {
    double corr, mse, corr_ls, corr_so, comm, corr_mid, scale, first_loss, last_loss, gap;
} seed_result;

/* The summaries over seeds, in the order of seed_result's first seven fields. */
enum { N_METRICS = 7 };

typedef struct {
    float theta;
    int64_t k;
} by_angle;
static int by_angle_cmp(const void *a, const void *b)
{
    const float x = ((const by_angle *)a)->theta, y = ((const by_angle *)b)->theta;
    return x < y ? -1 : x > y;
}

/* The second-order (midpoint) least-squares generator on the m pairs of p
 * with the smallest |θ|: y − x ≈ θ·L·(x + y)/2, exact to O(θ³) where the
 * first-order y − x ≈ θ·L·x is exact to O(θ²) (for y = exp(θL)·x it is
 * the Cayley transform's relation). Returns 0, or -1 (memory, singular). */
static int midpoint_generator(const pairs *p, int64_t m, int n, float *l)
{
    by_angle *s = malloc((size_t)p->count * sizeof *s);
    float *xm = malloc((size_t)(m * n) * sizeof *xm), *ym = malloc((size_t)(m * n) * sizeof *ym),
          *w = malloc((size_t)m * sizeof *w);
    int rc = -1;
    if (!s || !xm || !ym || !w) goto done;
    for (int64_t k = 0; k < p->count; k++) s[k] = (by_angle){fabsf(p->theta[k]), k};
    qsort(s, (size_t)p->count, sizeof *s, by_angle_cmp);
    for (int64_t q = 0; q < m; q++) {
        const int64_t k = s[q].k;
        const float *x = p->x + k * n, *y = p->y + k * n;
        for (int i = 0; i < n; i++) {
            xm[q * n + i] = 0.5f * (x[i] + y[i]);
            ym[q * n + i] = xm[q * n + i] + (y[i] - x[i]);
        }
        w[q] = p->theta[k];
    }
    rc = ex_least_squares_generator(xm, ym, w, m, n, l);
done:
    free(s);
    free(xm);
    free(ym);
    free(w);
    return rc;
}

/* The angle range trained on in epoch e: with --curriculum E, growing
 * geometrically from --angle-start to the full range over epochs 1 … E. */
static double angle_of_epoch(const options *o, long e)
{
    if (o->curriculum <= 0 || e > o->curriculum) return o->angle_max;
    const double a0 = o->angle_start > 0 ? o->angle_start : o->angle_max / 16;
    if (o->curriculum == 1 || a0 >= o->angle_max) return o->angle_max;
    return a0 * pow(o->angle_max / a0, (double)(e - 1) / (double)(o->curriculum - 1));
}

static int run_seed(const options *o, long seed, const lc_tensor_t *lrot, FILE *curve, float *best_l,
                    float *best_ls, double *best_corr, seed_result *res)
{
    const int64_t n = o->side * o->side;
    int status = 1;
    lc_rng_t rng;
    lc_rng_seed(&rng, (uint64_t)seed);
    pairs tr = {0}, te = {0};
    model m = {0};
    int64_t *order = malloc((size_t)o->train * sizeof *order), *scratch = malloc((size_t)o->batch * sizeof *scratch);
    float *l = malloc((size_t)(n * n) * sizeof *l), *ls = malloc((size_t)(n * n) * sizeof *ls);
    if (!order || !scratch || !l || !ls) goto fail;
    CHECK(make_pairs(o, lrot, &rng, o->train, o->fresh ? angle_of_epoch(o, 1) : o->angle_max, &tr));
    CHECK(make_pairs(o, lrot, &rng, o->test, o->angle_max, &te));
    CHECK(build_model(&m, o, &rng));
    if (o->wnorm) constrain(&m, o, 0.0f, 0); /* A from unit norm */
    if (o->init_truth) { /* a diagnostic: does training keep L = L_rot (A = L_rot / 2 when L = A − Aᵀ)? */
        float *a = lc_tensor_data(lc_cg_param_tensor(m.cg, 0));
        for (int64_t k = 0; k < n * n; k++) a[k] = (o->antisym ? 0.5f : 1.0f) * lc_tensor_data(lrot)[k];
    }
    for (int64_t k = 0; k < o->train; k++) order[k] = k;
    float rate = (float)o->lr;
    for (long e = 1; e <= o->epochs; e++) {
        /* the curriculum: only the pairs with θ below this epoch's range (the same
         * training set, easy pairs first); without it, every pair */
        const double range = angle_of_epoch(o, e);
        if (o->orbit_follows) set_orbit_range(&m, o, range);
        if (o->fresh && e > 1) { /* a new training set each epoch (the data are synthetic), θ within this epoch's range */
            pairs_free(&tr);
            CHECK(make_pairs(o, lrot, &rng, o->train, range, &tr));
        }
        int64_t avail = o->train;
        if (!o->fresh && o->curriculum > 0 && e <= o->curriculum + 1) {
            avail = 0;
            for (int64_t k = 0; k < o->train; k++)
                if (fabsf(tr.theta[k]) < range) order[avail++] = k;
        }
        const int64_t steps = avail / o->batch;
        if (steps == 0) {
            fprintf(stderr, "%s: fewer than a batch of pairs below %.4g rad in epoch %ld (raise --angle-start)\n",
                    ex_prog, range, e);
            goto fail;
        }
        for (int64_t k = avail - 1; k > 0; k--) {
            const int64_t j = (int64_t)(lc_rng_next(&rng) % (uint64_t)(k + 1)), t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        double sum = 0;
        for (int64_t s = 0; s < steps; s++) {
            fill_batch(&m, o, &tr, order + s * o->batch);
            CHECK(lc_cg_forward(m.cg, 1));
            CHECK(lc_cg_backward(m.cg));
            CHECK(lc_optim_step(m.opt));
            if (o->l1 > 0 || o->sym_decay > 0 || o->traceless || o->wnorm) constrain(&m, o, rate, e);
            if (o->no_generator) lc_tensor_fill(lc_cg_param_tensor(m.cg, 0), 0.0f);
            sum += lc_tensor_data(lc_cg_value(m.cg, m.loss))[0];
        }
        double test_mse;
        CHECK(evaluate(&m, o, &te, scratch, &test_mse, &res->gap));
        generator_of(&m, o, l);
        const double corr = fabs(ex_generator_corr(l, lrot, NULL));
        const double frac = ex_antisym_share(l, n);
        if (e == 1) res->first_loss = sum / steps;
        res->last_loss = sum / steps;
        res->corr = corr;
        res->mse = test_mse;
        if (curve)
            fprintf(curve, "%ld,%ld,%.9g,%.9g,%.9g,%.6f,%.6f\n", seed, e, rate, sum / steps, test_mse, corr, frac),
                fflush(curve);
        if (e == 1 || e == o->epochs || e % 10 == 0 || (o->curriculum > 0 && e <= o->curriculum && e % 5 == 0)) {
            printf("  seed %ld epoch %4ld: lr %.3g train loss %.5g test mse %.5g |corr| %.4f "
                   "(antisymmetric share %.3f)", seed, e, rate, sum / steps, test_mse, corr, frac);
            if (o->curriculum > 0) printf(" theta < %.4f (%lld pairs)", range, (long long)avail);
            printf("\n");
        }
        fflush(stdout);
        if (o->decay != 1.0) {
            rate *= (float)o->decay;
            CHECK(lc_optim_set_lr(m.opt, rate));
        }
    }
    /* the first-order least-squares generator: y − x ≈ θ·L·x */
    if (ex_least_squares_generator(tr.x, tr.y, tr.theta, tr.count, (int)n, ls)) {
        fprintf(stderr, "%s: the least-squares problem is singular (fewer samples than pixels?)\n", ex_prog);
        goto fail;
    }
    res->corr_ls = fabs(ex_generator_corr(ls, lrot, NULL));
    /* the data's own determination of L_rot: the midpoint fit on the smallest angles (a diagnostic; the PNG shows the first-order fit) */
    {
        float *lm = malloc((size_t)(n * n) * sizeof *lm);
        int64_t mm = o->ls_pairs > 0 ? o->ls_pairs : o->train / 20;
        if (mm < n + n / 4) mm = n + n / 4;
        if (mm > o->train) mm = o->train;
        res->corr_mid = lm && !midpoint_generator(&tr, mm, (int)n, lm) ? fabs(ex_generator_corr(lm, lrot, NULL)) : NAN;
        free(lm);
    }
    /* the scale of L along L_rot: <L, L_rot> / ||L_rot||² (1 when L = L_rot) */
    {
        const float *t = lc_tensor_data(lrot);
        double lt = 0, tt = 0;
        for (int64_t k = 0; k < n * n; k++) lt += (double)l[k] * t[k], tt += (double)t[k] * t[k];
        res->scale = tt > 0 ? lt / tt : 0;
    }
    /* L projected on so(n) (its antisymmetric part), and how far L is from commuting with L_rot */
    const double share = ex_antisym_share(l, n);
    res->corr_so = share > 0 ? res->corr / share : 0.0;
    res->comm = ex_commutator(l, lrot);
    if (res->corr > *best_corr) {
        *best_corr = res->corr;
        memcpy(best_l, l, (size_t)(n * n) * sizeof *l);
        memcpy(best_ls, ls, (size_t)(n * n) * sizeof *ls);
    }
    status = 0;
fail:
    model_free(&m);
    pairs_free(&tr);
    pairs_free(&te);
    free(order);
    free(scratch);
    free(l);
    free(ls);
    return status;
}

int main(int argc, char **argv)
{
    ex_prog = "symmetry_discovery";
    options o = {.protocol = 'a', .side = 7, .recur = -1, .order = -1, .squarings = 4, .train = 10000, .test = 2000, .epochs = 20,
                 .batch = 16, .seeds = 5, .seed = 1, .channels = 10, .hidden = 5, .threads = 1,
                 .angle_max = -1, .lr = 1e-3, .decay = 1.0, .init_std = 1e-2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--protocol")) {
            const char *v = ex_value(argc, argv, &i, usage);
            if (strcmp(v, "a") && strcmp(v, "b")) ex_usage_error(usage, "protocol '%s' is not a or b", v);
            o.protocol = v[0];
        } else if (!strcmp(a, "--side")) o.side = ex_long(ex_value(argc, argv, &i, usage), 2, 64, usage);
        else if (!strcmp(a, "--angle-max")) o.angle_max = ex_double(ex_value(argc, argv, &i, usage), 1e-6, 7, usage);
        else if (!strcmp(a, "--order")) o.order = ex_long(ex_value(argc, argv, &i, usage), 1, 10, usage);
        else if (!strcmp(a, "--recur")) o.recur = ex_long(ex_value(argc, argv, &i, usage), 1, 100, usage);
        else if (!strcmp(a, "--samples")) o.train = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--test")) o.test = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--epochs")) o.epochs = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--batch")) o.batch = ex_long(ex_value(argc, argv, &i, usage), 1, 1 << 16, usage);
        else if (!strcmp(a, "--lr")) o.lr = ex_double(ex_value(argc, argv, &i, usage), 1e-12, 10, usage);
        else if (!strcmp(a, "--decay")) o.decay = ex_double(ex_value(argc, argv, &i, usage), 1e-6, 1, usage);
        else if (!strcmp(a, "--seeds")) o.seeds = ex_long(ex_value(argc, argv, &i, usage), 1, 1000, usage);
        else if (!strcmp(a, "--seed")) o.seed = ex_long(ex_value(argc, argv, &i, usage), 0, 1L << 30, usage);
        else if (!strcmp(a, "--channels")) o.channels = ex_long(ex_value(argc, argv, &i, usage), 1, 1024, usage);
        else if (!strcmp(a, "--hidden")) o.hidden = ex_long(ex_value(argc, argv, &i, usage), 1, 1024, usage);
        else if (!strcmp(a, "--init-std")) o.init_std = ex_double(ex_value(argc, argv, &i, usage), 0, 10, usage);
        else if (!strcmp(a, "--action")) o.action = ex_double(ex_value(argc, argv, &i, usage), 0, 1e6, usage);
        else if (!strcmp(a, "--l1")) o.l1 = ex_double(ex_value(argc, argv, &i, usage), 0, 1e6, usage);
        else if (!strcmp(a, "--normalize")) o.normalize = 1;
        else if (!strcmp(a, "--antisym")) o.antisym = 1;
        else if (!strcmp(a, "--symmetric")) o.symmetric = 1;
        else if (!strcmp(a, "--prelinear")) o.prelinear = 1;
        else if (!strcmp(a, "--traceless")) o.traceless = 1;
        else if (!strcmp(a, "--sym-from")) o.sym_from = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--sym-decay")) o.sym_decay = ex_double(ex_value(argc, argv, &i, usage), 0, 1, usage);
        else if (!strcmp(a, "--no-generator")) o.no_generator = 1, o.init_std = 0;
        else if (!strcmp(a, "--expm")) o.expm = 1;
        else if (!strcmp(a, "--init-truth")) o.init_truth = 1;
        else if (!strcmp(a, "--wnorm")) o.wnorm = 1;
        else if (!strcmp(a, "--fresh")) o.fresh = 1;
        else if (!strcmp(a, "--l1-until")) o.l1_until = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--learn-grid")) o.rho = 1;
        else if (!strcmp(a, "--orbit-follows")) o.orbit_follows = 1;
        else if (!strcmp(a, "--optim")) {
            const char *v = ex_value(argc, argv, &i, usage);
            if (strcmp(v, "adam") && strcmp(v, "sgd")) ex_usage_error(usage, "optimizer '%s' is not adam or sgd", v);
            o.sgd = !strcmp(v, "sgd");
        }
        else if (!strcmp(a, "--readout")) {
            const char *v = ex_value(argc, argv, &i, usage);
            if (strcmp(v, "mlp") && strcmp(v, "argmax")) ex_usage_error(usage, "readout '%s' is not mlp or argmax", v);
            o.argmax = !strcmp(v, "argmax");
        }
        else if (!strcmp(a, "--squarings")) o.squarings = ex_long(ex_value(argc, argv, &i, usage), 0, 20, usage);
        else if (!strcmp(a, "--curriculum")) o.curriculum = ex_long(ex_value(argc, argv, &i, usage), 0, 100000, usage);
        else if (!strcmp(a, "--angle-start")) o.angle_start = ex_double(ex_value(argc, argv, &i, usage), 1e-6, 7, usage);
        else if (!strcmp(a, "--ls-pairs")) o.ls_pairs = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--threads")) o.threads = ex_long(ex_value(argc, argv, &i, usage), 0, 256, usage);
        else if (!strcmp(a, "--out")) o.out_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--full")) o.train = 10000, o.test = 2000, o.epochs = 20, o.seeds = 5;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s %s\n", ex_prog, usage);
            return 0;
        } else ex_usage_error(usage, "unknown option '%s'", a);
    }
    /* the paper's settings: 7×7 with θ < π/8 and 3–5 recurrences, 20×20 with θ < π/4 and 8 */
    if (o.angle_max < 0) o.angle_max = o.side > 10 ? M_PI / 4 : M_PI / 8;
    if (o.recur < 0) o.recur = o.side > 10 ? 8 : 4;
    if (o.order < 0) o.order = o.expm ? 6 : 1; /* Euler steps, or exp(τL/2^k) to float precision */
    if (o.wnorm && (!o.expm || o.init_std <= 0 || o.init_truth))
        ex_usage_error(usage, "--wnorm goes with --expm and a random start (--init-std > 0)%s", "");
    if (o.orbit_follows && (!o.expm || o.curriculum <= 0))
        ex_usage_error(usage, "--orbit-follows goes with --expm and --curriculum%s", "");
    if (o.action > 0 && !o.expm) ex_usage_error(usage, "--action needs the orbit of --expm%s", "");
    if (o.rho && !o.argmax) ex_usage_error(usage, "--learn-grid goes with --readout argmax%s", "");
    if (o.argmax && (!o.expm || o.prelinear))
        ex_usage_error(usage, "--readout argmax reads the orbit of --expm (and has no --prelinear)%s", "");
    if (o.batch > o.train || o.batch > o.test)
        ex_usage_error(usage, "the batch is larger than the training or test set%s", "");

    int status = 1;
    const int64_t n = o.side * o.side;
    lc_tensor_t *lrot = NULL, *best_t = NULL, *best_ls_t = NULL;
    FILE *curve = NULL;
    seed_result *res = calloc((size_t)o.seeds, sizeof *res);
    double *metric[N_METRICS] = {NULL}, mean[N_METRICS], sd[N_METRICS];
    for (int k = 0; k < N_METRICS; k++) metric[k] = malloc((size_t)o.seeds * sizeof **metric);
    double best_corr = -1;
    CHECK(lc_set_threads((int)o.threads));
    CHECK(lc_rotation_generators_2d(o.side, NULL, NULL, &lrot));
    CHECK(lc_tensor_new2(&best_t, n, n));
    CHECK(lc_tensor_new2(&best_ls_t, n, n));
    if (o.out_dir) {
        char path[4096];
        curve = fopen(ex_path(path, sizeof path, o.out_dir, "curves.csv"), "w");
        if (!curve) {
            fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
            goto fail;
        }
        fprintf(curve, "seed,epoch,lr,train_loss,test_mse,corr,antisym_share\n");
    }
    printf("protocol %c (%s): %ldx%ld noise, theta in %s%.4f, %.4f), %ld recurrences, %ld channels; "
           "%ld train / %ld test pairs, %ld epochs, batch %ld, %s lr %g (x %g per epoch)%s%s",
           o.protocol, o.protocol == 'a' ? "bilinear rotation, zero fill" : "exact exp(theta L_rot) x",
           o.side, o.side, o.symmetric ? "(-" : "[", o.symmetric ? o.angle_max : 0.0, o.angle_max, o.recur, o.channels, o.train, o.test, o.epochs, o.batch, o.sgd ? "SGD (momentum 0.9)" : "Adam", o.lr,
           o.decay, o.normalize ? ", unit-norm x and y" : "", o.antisym ? ", L = A - A^T" : "");
    if (o.l1 > 0) printf(", l1 %g", o.l1);
    if (o.l1 > 0 && o.l1_until > 0) printf(" until epoch %ld", o.l1_until);
    if (o.no_generator) printf(", L held at 0");
    if (o.expm)
        printf(", exact action: channel c = exp(c tau L) x, tau = %.4f, exp by Taylor order %ld of tau L / 2^%ld, squared %ld times",
               o.angle_max / (double)(o.channels > 1 ? o.channels - 1 : 1), o.order, o.squarings, o.squarings);
    else if (o.order > 1) printf(", Taylor order %ld per recurrence", o.order);
    if (o.argmax) printf(", readout theta = sum_c softmax(beta s)_c c tau");
    if (o.fresh) printf(", new training pairs every epoch");
    if (o.rho) printf(", readout grid unit learnt");
    if (o.action > 0) printf(", + %g x action term |E^c x - exp(-r L) y|^2", o.action);
    if (o.orbit_follows) printf(", orbit step tau = (curriculum range)/(C - 1)");
    if (o.wnorm) printf(", L = alpha n A/|A|");
    if (o.curriculum > 0)
        printf(", curriculum: theta range from %.4f to %.4f over epochs 1-%ld", o.angle_start > 0 ? o.angle_start : o.angle_max / 16,
               o.angle_max, o.curriculum);
    if (o.prelinear) printf(", Linear(C, C) before the first tanh");
    if (o.traceless) printf(", trace of L removed after each step");
    if (o.sym_decay > 0) printf(", symmetric part of L x (1 - %g) after each step from epoch %ld", o.sym_decay, o.sym_from > 0 ? o.sym_from : 1);
    printf("\n");
    for (long s = 0; s < o.seeds; s++) {
        if (run_seed(&o, o.seed + s, lrot, curve, lc_tensor_data(best_t), lc_tensor_data(best_ls_t), &best_corr,
                     &res[s]))
            goto fail;
        const double v[N_METRICS] = {res[s].corr, res[s].mse, res[s].corr_ls, res[s].corr_so, res[s].comm,
                                     res[s].corr_mid, res[s].scale};
        for (int k = 0; k < N_METRICS; k++) metric[k][s] = v[k];
        printf("seed %ld: |corr| %.4f, test mse %.4g, least squares |corr| %.4f (midpoint fit on the smallest "
               "angles %.4f); antisymmetric part |corr| %.4f, [L, L_rot] %.4f, scale <L,L_rot>/|L_rot|^2 %.4g\n",
               o.seed + s, v[0], v[1], v[2], v[5], v[3], v[4], v[6]);
        if (o.action > 0) printf("  test action gap mean |E^c x - exp(-r L) y|^2 %.4g\n", res[s].gap);
    }
    for (int k = 0; k < N_METRICS; k++) ex_mean_std(metric[k], (int)o.seeds, &mean[k], &sd[k]);
    printf("over %ld seeds: |corr| with L_rot %.4f +- %.4f (paper: 0.70 at 7x7, 0.12 at 20x20), "
           "test mse %.4g +- %.2g, least squares |corr| %.4f +- %.4f\n",
           o.seeds, mean[0], sd[0], mean[1], sd[1], mean[2], sd[2]);
    printf("  antisymmetric part of L: |corr| %.4f +- %.4f; relative commutator ||[L, L_rot]|| "
           "%.4f +- %.4f; scale of L along L_rot %.4g +- %.2g\n", mean[3], sd[3], mean[4], sd[4], mean[6], sd[6]);
    printf("  the data itself: midpoint least squares y - x = theta L (x + y)/2 on the smallest-angle pairs "
           "|corr| %.4f +- %.4f\n", mean[5], sd[5]);
    if (o.out_dir) {
        char path[4096];
        const lc_tensor_t *panels[] = {best_t, lrot, best_ls_t};
        CHECK(lc_write_heatmaps_png(ex_path(path, sizeof path, o.out_dir, "generators.png"), 3, panels, 0));
        if (ex_write_matrix_csv(ex_path(path, sizeof path, o.out_dir, "learned.csv"), best_t)) goto fail;
        printf("wrote %s/{curves.csv,generators.png,learned.csv}\n", o.out_dir);
    }
    printf("result corr=%.4f corr_std=%.4f mse=%.6g corr_ls=%.4f corr_so=%.4f comm=%.4f corr_mid=%.4f scale=%.4g "
           "first_loss=%.6g last_loss=%.6g action_gap=%.6g\n", mean[0], sd[0], mean[1], mean[2], mean[3], mean[4], mean[5], mean[6],
           res[0].first_loss, res[0].last_loss, res[0].gap);
    status = 0;
fail:
    if (curve && fclose(curve) != 0) status = 1;
    lc_tensor_free(&lrot);
    lc_tensor_free(&best_t);
    lc_tensor_free(&best_ls_t);
    free(res);
    for (int k = 0; k < N_METRICS; k++) free(metric[k]);
    return status;
}
