/* mesh_rotation.c — learn the generator of a small rotation about the z axis on a mesh (the unit icosphere and the centred bunny): pairs (f, f∘R_α⁻¹) for smooth fields f, one edge-weighted L-conv generator ŷ = f + L_w·f, compared with the identity and with the rotation field projected onto the edges. */
#include "../common/experiment.h"

static const char *usage =
    "[--mesh PATH] [--level K] [--alpha A] [--train K] [--test K] [--bumps B] [--width W]\n"
    "       [--steps S] [--lr LR] [--eval E] [--seed S] [--threads T] [--out DIR]";

typedef struct {
    long train, test, bumps, steps, eval_every, seed;
    double alpha, width, lr;
} config;

typedef struct {
    double corr, err, identity, first, last;
    int64_t n, edges;
} outcome;

/* `count` pairs, one per column of f and g [n, count]: f is a sum of `bumps`
 * Gaussian bumps A·exp(−|x − c|²/(2σ²)) (c at random vertices, A ~ N(0, 1),
 * σ = width·D·(0.5 + U[0, 1))), g(x) = f(R_α⁻¹·x) = Σ A·exp(−|x − R_α·c|²/(2σ²)),
 * evaluated exactly at the vertices. */
static void make_pairs(lc_rng_t *rng, const double *pos, int64_t n, int64_t count, int bumps, double width,
                       double diag, double alpha, float *f, float *g)
{
    const double ca = cos(alpha), sa = sin(alpha);
    for (int64_t i = 0; i < n * count; i++) f[i] = g[i] = 0;
    for (int64_t k = 0; k < count; k++)
        for (int b = 0; b < bumps; b++) {
            const int64_t c = (int64_t)(lc_rng_uniform(rng) * (float)n) % n;
            const double amp = lc_rng_normal(rng);
            const double s = width * diag * (0.5 + lc_rng_uniform(rng));
            const double *p = pos + c * 3;
            const double rc[3] = {ca * p[0] - sa * p[1], sa * p[0] + ca * p[1], p[2]};
            for (int64_t i = 0; i < n; i++) {
                double d2 = 0, r2 = 0;
                for (int a = 0; a < 3; a++) {
                    d2 += (pos[i * 3 + a] - p[a]) * (pos[i * 3 + a] - p[a]);
                    r2 += (pos[i * 3 + a] - rc[a]) * (pos[i * 3 + a] - rc[a]);
                }
                f[i * count + k] += (float)(amp * exp(-d2 / (2 * s * s)));
                g[i * count + k] += (float)(amp * exp(-r2 / (2 * s * s)));
            }
        }
}

/* ŷ = x + L_w·x, MSE against y */
static lc_status build(lc_cgraph_t *cg, lc_graph_t *g, const lc_tensor_t *xt, const lc_tensor_t *yt,
                       const lc_tensor_t *w0, lc_node *yhat, lc_node *loss)
{
    lc_node x, y, w, lx;
    lc_status s;
    if ((s = lc_cg_constant(cg, xt, &x)) || (s = lc_cg_constant(cg, yt, &y)) ||
        (s = lc_cg_parameter(cg, w0, "w", &w)) ||
        (s = lc_cg_edge_conv(cg, g, x, w, LC_LCONV_VECTOR_FIELD, &lx)) || (s = lc_cg_add(cg, x, lx, yhat)))
        return s;
    return lc_cg_mse(cg, *yhat, y, loss);
}

/* Train and evaluate on one mesh (positions centred by the caller). */
static int run_mesh(const char *name, const lc_mesh_t *mesh, const double *pos, const config *c, FILE *curve,
                    outcome *o)
{
    int status = 1;
    lc_graph_t *g = NULL;
    lc_cgraph_t *cg[2] = {NULL, NULL};
    lc_optim_t *opt = NULL;
    lc_tensor_t *x0 = NULL, *y0 = NULL, *x1 = NULL, *y1 = NULL, *w0 = NULL;
    float *truth = NULL;
    const int64_t n = lc_mesh_num_vertices(mesh);
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY}, diag = 0;
    for (int64_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], pos[i * 3 + a]);
            hi[a] = fmax(hi[a], pos[i * 3 + a]);
        }
    for (int a = 0; a < 3; a++) diag += (hi[a] - lo[a]) * (hi[a] - lo[a]);
    diag = sqrt(diag);

    CHECK(lc_graph_from_mesh(&g, mesh));
    const int64_t m = lc_graph_num_edges(g);
    lc_rng_t rng;
    lc_rng_seed(&rng, (uint64_t)c->seed);
    CHECK(lc_tensor_new2(&x0, n, c->train));
    CHECK(lc_tensor_new2(&y0, n, c->train));
    CHECK(lc_tensor_new2(&x1, n, c->test));
    CHECK(lc_tensor_new2(&y1, n, c->test));
    make_pairs(&rng, pos, n, c->train, (int)c->bumps, c->width, diag, c->alpha, lc_tensor_data(x0),
               lc_tensor_data(y0));
    make_pairs(&rng, pos, n, c->test, (int)c->bumps, c->width, diag, c->alpha, lc_tensor_data(x1),
               lc_tensor_data(y1));
    o->identity = ex_rel_err(lc_tensor_data(x1), lc_tensor_data(y1), n * c->test);

    CHECK(lc_tensor_new2(&w0, m, 1)); /* zero: the identity */
    lc_node yhat[2], loss[2];
    for (int s = 0; s < 2; s++) {
        CHECK(lc_cg_new(&cg[s], (uint64_t)c->seed));
        CHECK(build(cg[s], g, s ? x1 : x0, s ? y1 : y0, w0, &yhat[s], &loss[s]));
        CHECK(lc_cg_compile(cg[s], loss[s]));
    }
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
    oc.lr = (float)c->lr;
    CHECK(lc_optim_new(&opt, &oc, cg[0]));

    /* truth: g ≈ f − α(x∂y − y∂x)f, the velocity W(x) = α·(y, −x, 0) at the tail,
     * projected onto the edge: w[e] = W(tail)·(head − tail)/|head − tail|² */
    truth = malloc((size_t)m * sizeof *truth);
    if (!truth) {
        fprintf(stderr, "%s: out of memory\n", ex_prog);
        goto fail;
    }
    const int64_t *tl = lc_graph_tails(g), *hd = lc_graph_heads(g);
    for (int64_t e = 0; e < m; e++) {
        const double *p = pos + tl[e] * 3, *q = pos + hd[e] * 3;
        const double d[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
        const double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        truth[e] = d2 > 0 ? (float)(c->alpha * (p[1] * d[0] - p[0] * d[1]) / d2) : 0.0f;
    }
    printf("%s: %lld vertices, %lld directed edges, diagonal D = %.4g; alpha %g rad; %ld train / %ld test "
           "fields of %ld bumps (sigma %.3g·D ± 50%%); identity test error %.4f\n",
           name, (long long)n, (long long)m, diag, c->alpha, c->train, c->test, c->bumps, c->width, o->identity);
    printf("%7s %14s %12s %10s\n", "step", "train mse", "test rel", "corr w");
    double rel = NAN;
    for (long st = 1; st <= c->steps; st++) {
        CHECK(lc_cg_forward(cg[0], 1));
        CHECK(lc_cg_backward(cg[0]));
        const double l = lc_tensor_data(lc_cg_value(cg[0], loss[0]))[0];
        CHECK(lc_optim_step(opt));
        if (st == 1) o->first = l;
        o->last = l;
        if (st % c->eval_every == 0 || st == c->steps || st == 1) {
            lc_tensor_t *a = lc_cg_param_tensor(cg[0], 0), *b = lc_cg_param_tensor(cg[1], 0);
            memcpy(lc_tensor_data(b), lc_tensor_data(a), (size_t)lc_tensor_numel(a) * sizeof(float));
            CHECK(lc_cg_forward(cg[1], 0));
            rel = ex_rel_err(lc_tensor_data(lc_cg_value(cg[1], yhat[1])), lc_tensor_data(y1), n * c->test);
            const double cw = lc_cosine_correlation(lc_tensor_data(a), truth, m);
            printf("%7ld %14.6g %12.5f %10.4f\n", st, l, rel, cw);
            if (curve) fprintf(curve, "%s,%ld,%.9g,%.9g,%.6f\n", name, st, l, rel, cw);
        }
    }
    o->err = rel;

    const float *w = lc_tensor_data(lc_cg_param_tensor(cg[0], 0));
    o->corr = lc_cosine_correlation(w, truth, m);
    double ww = 0, tt = 0;
    for (int64_t e = 0; e < m; e++) {
        ww += (double)w[e] * w[e];
        tt += (double)truth[e] * truth[e];
    }
    printf("%s: test relative error L-conv %.4f, identity %.4f; cosine correlation of w with the projected "
           "rotation field %.4f (norm ratio |w|/|w_true| %.3f)\n",
           name, o->err, o->identity, o->corr, tt > 0 ? sqrt(ww / tt) : NAN);
    o->n = n;
    o->edges = m;
    status = 0;
fail:
    lc_optim_free(&opt);
    lc_cg_free(&cg[0]);
    lc_cg_free(&cg[1]);
    lc_tensor_free(&x0);
    lc_tensor_free(&y0);
    lc_tensor_free(&x1);
    lc_tensor_free(&y1);
    lc_tensor_free(&w0);
    lc_graph_free(&g);
    free(truth);
    return status;
}

/* the mesh's vertices in double, minus their mean when `centre` */
static double *positions(const lc_mesh_t *mesh, int centre)
{
    const int64_t n = lc_mesh_num_vertices(mesh);
    const float *v = lc_mesh_vertices(mesh);
    double *p = malloc((size_t)n * 3 * sizeof *p), mean[3] = {0, 0, 0};
    if (!p) return NULL;
    for (int64_t i = 0; i < n * 3; i++) p[i] = v[i];
    if (centre) {
        for (int64_t i = 0; i < n; i++)
            for (int a = 0; a < 3; a++) mean[a] += p[i * 3 + a] / (double)n;
        for (int64_t i = 0; i < n; i++)
            for (int a = 0; a < 3; a++) p[i * 3 + a] -= mean[a];
    }
    return p;
}

int main(int argc, char **argv)
{
    ex_prog = "mesh_rotation";
    const char *mesh_path = NULL, *out_dir = NULL;
    config c = {.train = 128, .test = 64, .bumps = 3, .steps = 2000, .eval_every = 100, .seed = 1,
                .alpha = 0.1, .width = 0.1, .lr = 1e-2};
    long level = 4, threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--mesh")) mesh_path = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--level")) level = ex_long(ex_value(argc, argv, &i, usage), 0, 7, usage);
        else if (!strcmp(a, "--alpha")) c.alpha = ex_double(ex_value(argc, argv, &i, usage), -3.2, 3.2, usage);
        else if (!strcmp(a, "--train")) c.train = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--test")) c.test = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--bumps")) c.bumps = ex_long(ex_value(argc, argv, &i, usage), 1, 1000, usage);
        else if (!strcmp(a, "--width")) c.width = ex_double(ex_value(argc, argv, &i, usage), 1e-4, 10, usage);
        else if (!strcmp(a, "--steps")) c.steps = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--lr")) c.lr = ex_double(ex_value(argc, argv, &i, usage), 1e-12, 10, usage);
        else if (!strcmp(a, "--eval")) c.eval_every = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--seed")) c.seed = ex_long(ex_value(argc, argv, &i, usage), 0, 1L << 30, usage);
        else if (!strcmp(a, "--threads")) threads = ex_long(ex_value(argc, argv, &i, usage), 0, 256, usage);
        else if (!strcmp(a, "--out")) out_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s %s\n", ex_prog, usage);
            return 0;
        } else ex_usage_error(usage, "unknown option '%s'", a);
    }
    char default_path[4096];
    if (!mesh_path) mesh_path = ex_data_path(default_path, sizeof default_path, "meshes/bunny.off");

    int status = 1;
    lc_mesh_t *sphere = NULL, *bunny = NULL;
    double *ps = NULL, *pb = NULL;
    FILE *curve = NULL;
    outcome os = {NAN, NAN, NAN, NAN, NAN, 0, 0}, ob = {NAN, NAN, NAN, NAN, NAN, 0, 0};
    CHECK(lc_set_threads((int)threads));
    if (out_dir) {
        char path[4096];
        curve = fopen(ex_path(path, sizeof path, out_dir, "curves.csv"), "w");
        if (!curve) {
            fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
            goto fail;
        }
        fprintf(curve, "mesh,step,train_mse,test_rel,corr_w\n");
    }
    printf("model: y = f + L_w f, one generator (vector-field form), w [E, 1] from 0; Adam lr %g, %ld full-batch "
           "steps\n", c.lr, c.steps);
    CHECK(lc_mesh_icosphere(&sphere, (int)level));
    if (!(ps = positions(sphere, 0))) {
        fprintf(stderr, "%s: out of memory\n", ex_prog);
        goto fail;
    }
    if (run_mesh("sphere", sphere, ps, &c, curve, &os)) goto fail;
    FILE *probe = fopen(mesh_path, "r");
    if (probe) {
        fclose(probe);
        CHECK(lc_mesh_read(&bunny, mesh_path));
        if (!(pb = positions(bunny, 1))) {
            fprintf(stderr, "%s: out of memory\n", ex_prog);
            goto fail;
        }
        printf("bunny: %s, centred on its vertex mean\n", mesh_path);
        if (run_mesh("bunny", bunny, pb, &c, curve, &ob)) goto fail;
    } else {
        printf("bunny: %s not found, skipped (set LCONV_DATA_DIR or --mesh)\n", mesh_path);
    }
    if (curve) {
        if (fclose(curve) != 0) {
            curve = NULL;
            fprintf(stderr, "%s: cannot write curves.csv\n", ex_prog);
            goto fail;
        }
        curve = NULL;
        printf("wrote %s/curves.csv\n", out_dir);
    }
    printf("result sphere_corr=%.4f sphere_err=%.6g bunny_corr=%.4f bunny_err=%.6g sphere_identity=%.6g "
           "bunny_identity=%.6g sphere_first=%.6g sphere_last=%.6g bunny_first=%.6g bunny_last=%.6g\n",
           os.corr, os.err, ob.corr, ob.err, os.identity, ob.identity, os.first, os.last, ob.first, ob.last);
    status = 0;
fail:
    if (curve && fclose(curve) != 0) status = 1;
    lc_mesh_free(&sphere);
    lc_mesh_free(&bunny);
    free(ps);
    free(pb);
    return status;
}
