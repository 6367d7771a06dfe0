/* symmetry_discovery.c — the paper's experiment 3: a recurrent L-conv learns the rotation generator from pairs (x, rotation of x by θ) by regressing θ; protocol a = the paper's bilinear data, b = exact exp(θ·L_rot)·x. */
#include "../common/experiment.h"

static const char *usage =
    "[--protocol a|b] [--side S] [--angle-max RAD] [--recur K] [--order P] [--samples N] [--test N]\n"
    "       [--epochs E] [--batch B] [--lr LR] [--decay G] [--seeds S] [--seed S]\n"
    "       [--channels C] [--hidden H] [--init-std SD] [--normalize] [--antisym] [--l1 LAMBDA]\n"
    "       [--symmetric] [--prelinear] [--traceless] [--sym-decay K] [--sym-from E]\n"
    "       [--no-generator]\n"
    "       [--threads T] [--out DIR] [--full]";

typedef struct {
    char protocol;
    long side, recur, order, sym_from, train, test, epochs, batch, seeds, seed, channels, hidden, threads;
    double angle_max, lr, decay, init_std, l1, sym_decay;
    int normalize, antisym;
    int symmetric;    /* θ in (−max, max) instead of [0, max) */
    int prelinear;    /* a Linear(C, C) between the dot products and the first tanh */
    int traceless;    /* L projected on tr L = 0 after every step */
    int no_generator; /* L held at 0: how much of θ the plain dot product ⟨x, y⟩ gives */
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
                            pairs *p)
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
        p->theta[k] = (float)(o->angle_max * (o->symmetric ? 2 * u - 1 : u));
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
    lc_node pred, loss;
} model;

static void model_free(model *m)
{
    lc_optim_free(&m->opt);
    lc_cg_free(&m->cg);
    lc_tensor_free(&m->h0);
    lc_tensor_free(&m->yrep);
    lc_tensor_free(&m->target);
    for (int k = 0; k < 8; k++) lc_tensor_free(&m->init[k]);
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
#define TRY(call)                                                                              \
    if ((st = (call))) return st
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
    /* One recurrence is H + T_1 + … + T_order with T_j = (L·T_{j−1})·Wᵀ / j and
     * T_0 = H: the L-conv step itself (order 1, the paper's) or Taylor's series
     * of exp(L ⊗ W) to a higher order. */
    for (long k = 0; k < o->recur; k++) {
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
    TRY(lc_cg_tanh(cg, dots, &t1));
    TRY(lc_cg_matmul(cg, t1, w1, &a1));
    TRY(lc_cg_bias(cg, a1, b1, &z1));
    TRY(lc_cg_tanh(cg, z1, &t2));
    TRY(lc_cg_matmul(cg, t2, w2, &a2));
    TRY(lc_cg_bias(cg, a2, b2, &z2));
    m->pred = z2;
    TRY(lc_cg_mse(cg, z2, tg, &m->loss));
    TRY(lc_cg_compile(cg, m->loss));
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
    oc.lr = (float)o->lr;
    TRY(lc_optim_new(&m->opt, &oc, cg));
#undef TRY
    return LC_OK;
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
    }
}

/* The learned generator L (A − Aᵀ when antisymmetric) into l [n × n]. */
static void generator_of(model *m, const options *o, float *l)
{
    const int64_t n = o->side * o->side;
    const float *a = lc_tensor_data(lc_cg_param_tensor(m->cg, 0));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) l[i * n + j] = o->antisym ? a[i * n + j] - a[j * n + i] : a[i * n + j];
}

/* Mean squared error of θ̂ over the test pairs (whole batches; the rest is dropped). */
static lc_status evaluate(model *m, const options *o, const pairs *p, int64_t *idx, double *mse)
{
    double s = 0;
    int64_t batches = p->count / o->batch;
    for (int64_t q = 0; q < batches; q++) {
        for (int64_t k = 0; k < o->batch; k++) idx[k] = q * o->batch + k;
        fill_batch(m, o, p, idx);
        lc_status st = lc_cg_forward(m->cg, 0);
        if (st) return st;
        s += lc_tensor_data(lc_cg_value(m->cg, m->loss))[0];
    }
    *mse = s / (double)batches;
    return LC_OK;
}

/* After a step, on the generator: soft threshold by lr·λ (proximal gradient
 * for λ·Σ|L|), the symmetric part shrunk by a factor (1 − κ), the trace removed. */
static void constrain(model *m, const options *o, float rate, long epoch)
{
    const int64_t n = o->side * o->side;
    float *a = lc_tensor_data(lc_cg_param_tensor(m->cg, 0));
    if (o->l1 > 0) {
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
}

typedef struct {
    double corr, mse, corr_ls, corr_so, comm, first_loss, last_loss;
} seed_result;

/* The summaries over seeds, in the order of seed_result's first five fields. */
enum { N_METRICS = 5 };

static int run_seed(const options *o, long seed, const lc_tensor_t *lrot, FILE *curve, float *best_l,
                    float *best_ls, double *best_corr, seed_result *res)
{
    const int64_t n = o->side * o->side;
    int status = 1;
    lc_rng_t rng;
    lc_rng_seed(&rng, (uint64_t)seed);
    pairs tr = {0}, te = {0};
    model m = {0};
    int64_t *order = malloc((size_t)o->train * sizeof *order);
    float *l = malloc((size_t)(n * n) * sizeof *l), *ls = malloc((size_t)(n * n) * sizeof *ls);
    if (!order || !l || !ls) goto fail;
    CHECK(make_pairs(o, lrot, &rng, o->train, &tr));
    CHECK(make_pairs(o, lrot, &rng, o->test, &te));
    CHECK(build_model(&m, o, &rng));
    for (int64_t k = 0; k < o->train; k++) order[k] = k;
    const int64_t steps = o->train / o->batch;
    float rate = (float)o->lr;
    for (long e = 1; e <= o->epochs; e++) {
        for (int64_t k = o->train - 1; k > 0; k--) {
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
            if (o->l1 > 0 || o->sym_decay > 0 || o->traceless) constrain(&m, o, rate, e);
            if (o->no_generator) lc_tensor_fill(lc_cg_param_tensor(m.cg, 0), 0.0f);
            sum += lc_tensor_data(lc_cg_value(m.cg, m.loss))[0];
        }
        double test_mse;
        CHECK(evaluate(&m, o, &te, order, &test_mse)); /* order is reshuffled before its next use */
        generator_of(&m, o, l);
        const double corr = fabs(ex_generator_corr(l, lrot, NULL));
        const double frac = ex_antisym_share(l, n);
        if (e == 1) res->first_loss = sum / steps;
        res->last_loss = sum / steps;
        res->corr = corr;
        res->mse = test_mse;
        if (curve)
            fprintf(curve, "%ld,%ld,%.9g,%.9g,%.9g,%.6f,%.6f\n", seed, e, rate, sum / steps, test_mse, corr, frac);
        if (e == 1 || e == o->epochs || e % 10 == 0)
            printf("  seed %ld epoch %4ld: lr %.3g train loss %.5g test mse %.5g |corr| %.4f "
                   "(antisymmetric share %.3f)\n", seed, e, rate, sum / steps, test_mse, corr, frac);
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
    free(l);
    free(ls);
    return status;
}

int main(int argc, char **argv)
{
    ex_prog = "symmetry_discovery";
    options o = {.protocol = 'a', .side = 7, .recur = -1, .order = 1, .train = 10000, .test = 2000, .epochs = 20,
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
        else if (!strcmp(a, "--l1")) o.l1 = ex_double(ex_value(argc, argv, &i, usage), 0, 1e6, usage);
        else if (!strcmp(a, "--normalize")) o.normalize = 1;
        else if (!strcmp(a, "--antisym")) o.antisym = 1;
        else if (!strcmp(a, "--symmetric")) o.symmetric = 1;
        else if (!strcmp(a, "--prelinear")) o.prelinear = 1;
        else if (!strcmp(a, "--traceless")) o.traceless = 1;
        else if (!strcmp(a, "--sym-from")) o.sym_from = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--sym-decay")) o.sym_decay = ex_double(ex_value(argc, argv, &i, usage), 0, 1, usage);
        else if (!strcmp(a, "--no-generator")) o.no_generator = 1, o.init_std = 0;
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
           "%ld train / %ld test pairs, %ld epochs, batch %ld, Adam lr %g (x %g per epoch)%s%s",
           o.protocol, o.protocol == 'a' ? "bilinear rotation, zero fill" : "exact exp(theta L_rot) x",
           o.side, o.side, o.symmetric ? "(-" : "[", o.symmetric ? o.angle_max : 0.0, o.angle_max, o.recur, o.channels, o.train, o.test, o.epochs, o.batch, o.lr,
           o.decay, o.normalize ? ", unit-norm x and y" : "", o.antisym ? ", L = A - A^T" : "");
    if (o.l1 > 0) printf(", l1 %g", o.l1);
    if (o.no_generator) printf(", L held at 0");
    if (o.order > 1) printf(", Taylor order %ld per recurrence", o.order);
    if (o.prelinear) printf(", Linear(C, C) before the first tanh");
    if (o.traceless) printf(", trace of L removed after each step");
    if (o.sym_decay > 0) printf(", symmetric part of L x (1 - %g) after each step from epoch %ld", o.sym_decay, o.sym_from > 0 ? o.sym_from : 1);
    printf("\n");
    for (long s = 0; s < o.seeds; s++) {
        if (run_seed(&o, o.seed + s, lrot, curve, lc_tensor_data(best_t), lc_tensor_data(best_ls_t), &best_corr,
                     &res[s]))
            goto fail;
        const double v[N_METRICS] = {res[s].corr, res[s].mse, res[s].corr_ls, res[s].corr_so, res[s].comm};
        for (int k = 0; k < N_METRICS; k++) metric[k][s] = v[k];
        printf("seed %ld: |corr| %.4f, test mse %.4g, least squares |corr| %.4f; antisymmetric part |corr| "
               "%.4f, [L, L_rot] %.4f\n", o.seed + s, v[0], v[1], v[2], v[3], v[4]);
    }
    for (int k = 0; k < N_METRICS; k++) ex_mean_std(metric[k], (int)o.seeds, &mean[k], &sd[k]);
    printf("over %ld seeds: |corr| with L_rot %.4f +- %.4f (paper: 0.70 at 7x7, 0.12 at 20x20), "
           "test mse %.4g +- %.2g, least squares |corr| %.4f +- %.4f\n",
           o.seeds, mean[0], sd[0], mean[1], sd[1], mean[2], sd[2]);
    printf("  antisymmetric part of L: |corr| %.4f +- %.4f; relative commutator ||[L, L_rot]|| "
           "%.4f +- %.4f\n", mean[3], sd[3], mean[4], sd[4]);
    if (o.out_dir) {
        char path[4096];
        const lc_tensor_t *panels[] = {best_t, lrot, best_ls_t};
        CHECK(lc_write_heatmaps_png(ex_path(path, sizeof path, o.out_dir, "generators.png"), 3, panels, 0));
        if (ex_write_matrix_csv(ex_path(path, sizeof path, o.out_dir, "learned.csv"), best_t)) goto fail;
        printf("wrote %s/{curves.csv,generators.png,learned.csv}\n", o.out_dir);
    }
    printf("result corr=%.4f corr_std=%.4f mse=%.6g corr_ls=%.4f corr_so=%.4f comm=%.4f first_loss=%.6g "
           "last_loss=%.6g\n", mean[0], sd[0], mean[1], mean[2], mean[3], mean[4], res[0].first_loss,
           res[0].last_loss);
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
