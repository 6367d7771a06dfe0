/* mesh_diffusion.c — heat diffusion on the Stanford bunny: predict f(t) = (M + t·L)⁻¹·M·f(0) from f(0) with a GCN polynomial and with an edge-weighted L-conv, against the exact CHOLMOD step and the identity. */
#include "../common/experiment.h"

static const char *usage =
    "[--mesh PATH] [--tau T] [--train K] [--test K] [--bumps B] [--width W] [--steps S]\n"
    "       [--order K] [--layers S] [--lr LR] [--eval E] [--seed S] [--threads T] [--out DIR]";

/* `count` fields, one per column of f [n, count]: sums of `bumps` Gaussian bumps
 * exp(−|x − c|²/(2σ²)), centres c at random vertices, amplitudes N(0, 1),
 * σ = width·D·(0.5 + U[0, 1)) with D the bounding-box diagonal. */
static void make_fields(lc_rng_t *rng, const float *pos, int64_t n, int64_t count, int bumps, double width,
                        double diag, float *f)
{
    for (int64_t i = 0; i < n * count; i++) f[i] = 0;
    for (int64_t k = 0; k < count; k++)
        for (int b = 0; b < bumps; b++) {
            const int64_t c = (int64_t)(lc_rng_uniform(rng) * (float)n) % n;
            const double amp = lc_rng_normal(rng);
            const double s = width * diag * (0.5 + lc_rng_uniform(rng));
            for (int64_t i = 0; i < n; i++) {
                double d2 = 0;
                for (int a = 0; a < 3; a++) d2 += (pos[i * 3 + a] - pos[c * 3 + a]) * (double)(pos[i * 3 + a] - pos[c * 3 + a]);
                f[i * count + k] += (float)(amp * exp(-d2 / (2 * s * s)));
            }
        }
}

/* GCN propagation: ŷ = Σ_{k=0..K} a_k·Â^k·x, x [n, B]; the powers are stacked as
 * the columns of [n·B, K+1] and mixed by a [K+1, 1] (one parameter "a"). */
static lc_status build_gcn(lc_cgraph_t *cg, const lc_csr_t *a_hat, const lc_tensor_t *xt, const lc_tensor_t *yt,
                           const lc_tensor_t *a0, int order, lc_node *yhat, lc_node *loss)
{
    const int64_t n = lc_tensor_dim(xt, 0), b = lc_tensor_dim(xt, 1);
    const int64_t col[2] = {n * b, 1}, mat[2] = {n, b};
    lc_node x, y, a, h, hc, stack, mixed;
    lc_status s;
    if ((s = lc_cg_constant(cg, xt, &x)) || (s = lc_cg_constant(cg, yt, &y)) ||
        (s = lc_cg_parameter(cg, a0, "a", &a)) || (s = lc_cg_reshape(cg, x, 2, col, &stack)))
        return s;
    h = x;
    for (int k = 1; k <= order; k++) {
        if ((s = lc_cg_spmm(cg, a_hat, h, &h)) || (s = lc_cg_reshape(cg, h, 2, col, &hc)) ||
            (s = lc_cg_concat(cg, stack, hc, &stack)))
            return s;
    }
    if ((s = lc_cg_matmul(cg, stack, a, &mixed)) || (s = lc_cg_reshape(cg, mixed, 2, mat, yhat)))
        return s;
    return lc_cg_mse(cg, *yhat, y, loss);
}

/* L-conv: one learnable generator on the mesh's edges (vector-field form,
 * (L z)[v] = Σ_{e: v→u} w_e·(z[u] − z[v])), applied S times: ŷ = (I + L)^S·x. */
static lc_status build_lconv(lc_cgraph_t *cg, lc_graph_t *g, const lc_tensor_t *xt, const lc_tensor_t *yt,
                             const lc_tensor_t *w0, int layers, lc_node *yhat, lc_node *loss)
{
    lc_node x, y, w, h, lh;
    lc_status s;
    if ((s = lc_cg_constant(cg, xt, &x)) || (s = lc_cg_constant(cg, yt, &y)) ||
        (s = lc_cg_parameter(cg, w0, "w", &w)))
        return s;
    h = x;
    for (int l = 0; l < layers; l++)
        if ((s = lc_cg_edge_conv(cg, g, h, w, LC_LCONV_VECTOR_FIELD, &lh)) || (s = lc_cg_add(cg, h, lh, &h)))
            return s;
    *yhat = h;
    return lc_cg_mse(cg, h, y, loss);
}

/* The index of edge tail → head (edges are sorted by (tail, head)), or -1. */
static int64_t find_edge(const int64_t *tl, const int64_t *hd, int64_t m, int64_t tail, int64_t head)
{
    int64_t lo = 0, hi = m;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (tl[mid] < tail || (tl[mid] == tail && hd[mid] < head)) lo = mid + 1;
        else hi = mid;
    }
    return lo < m && tl[lo] == tail && hd[lo] == head ? lo : -1;
}

/* cot[e] = ½ (cot α + cot β) for every directed edge (−L[tail, head] of the
 * cotangent Laplacian), summed over the triangles. */
static void edge_cotangents(const lc_mesh_t *mesh, const lc_graph_t *g, double *cot)
{
    const float *p = lc_mesh_vertices(mesh);
    const int64_t *tri = lc_mesh_triangles(mesh), *tl = lc_graph_tails(g), *hd = lc_graph_heads(g);
    const int64_t m = lc_graph_num_edges(g);
    for (int64_t f = 0; f < lc_mesh_num_triangles(mesh); f++)
        for (int c = 0; c < 3; c++) { /* the angle at corner k, opposite the edge i–j */
            const int64_t i = tri[f * 3 + (c + 1) % 3], j = tri[f * 3 + (c + 2) % 3], k = tri[f * 3 + c];
            double a[3], b[3], dot = 0, cr[3];
            for (int d = 0; d < 3; d++) {
                a[d] = (double)p[i * 3 + d] - p[k * 3 + d];
                b[d] = (double)p[j * 3 + d] - p[k * 3 + d];
                dot += a[d] * b[d];
            }
            cr[0] = a[1] * b[2] - a[2] * b[1];
            cr[1] = a[2] * b[0] - a[0] * b[2];
            cr[2] = a[0] * b[1] - a[1] * b[0];
            const double area2 = sqrt(cr[0] * cr[0] + cr[1] * cr[1] + cr[2] * cr[2]);
            if (area2 == 0) continue;
            const int64_t e1 = find_edge(tl, hd, m, i, j), e2 = find_edge(tl, hd, m, j, i);
            if (e1 >= 0) cot[e1] += 0.5 * dot / area2;
            if (e2 >= 0) cot[e2] += 0.5 * dot / area2;
        }
}

/* copy the parameters of the training graph into the evaluation graph */
static void copy_params(lc_cgraph_t *from, lc_cgraph_t *to)
{
    for (int i = 0; i < lc_cg_num_params(from); i++) {
        lc_tensor_t *a = lc_cg_param_tensor(from, i), *b = lc_cg_param_tensor(to, i);
        memcpy(lc_tensor_data(b), lc_tensor_data(a), (size_t)lc_tensor_numel(a) * sizeof(float));
    }
}

int main(int argc, char **argv)
{
    ex_prog = "mesh_diffusion";
    const char *mesh_path = NULL, *out_dir = NULL;
    long train = 128, test = 64, bumps = 3, steps = 1500, order = 4, layers = 4, eval_every = 50, seed = 1,
         threads = 1;
    double tau = 2e-3, width = 0.08, lr = 3e-2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--mesh")) mesh_path = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--tau")) tau = ex_double(ex_value(argc, argv, &i, usage), 0, 100, usage);
        else if (!strcmp(a, "--train")) train = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--test")) test = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--bumps")) bumps = ex_long(ex_value(argc, argv, &i, usage), 1, 1000, usage);
        else if (!strcmp(a, "--width")) width = ex_double(ex_value(argc, argv, &i, usage), 1e-4, 10, usage);
        else if (!strcmp(a, "--steps")) steps = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--order")) order = ex_long(ex_value(argc, argv, &i, usage), 1, 64, usage);
        else if (!strcmp(a, "--layers")) layers = ex_long(ex_value(argc, argv, &i, usage), 1, 64, usage);
        else if (!strcmp(a, "--lr")) lr = ex_double(ex_value(argc, argv, &i, usage), 1e-12, 10, usage);
        else if (!strcmp(a, "--eval")) eval_every = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--seed")) seed = ex_long(ex_value(argc, argv, &i, usage), 0, 1L << 30, usage);
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
    lc_mesh_t *mesh = NULL;
    lc_graph_t *g = NULL;
    lc_csr_t *lap = NULL;
    lc_diffusion_t *dif = NULL;
    lc_cgraph_t *cg[2][2] = {{NULL, NULL}, {NULL, NULL}}; /* [model][train, test] */
    lc_optim_t *opt[2] = {NULL, NULL};
    lc_tensor_t *x0 = NULL, *y0 = NULL, *x1 = NULL, *y1 = NULL, *a0 = NULL, *w0 = NULL;
    lc_tensor_t *ly = NULL;
    float *mass = NULL;
    double *cot = NULL;
    FILE *curve = NULL;
    CHECK(lc_set_threads((int)threads));
    CHECK(lc_mesh_read(&mesh, mesh_path));
    const int64_t n = lc_mesh_num_vertices(mesh);
    const float *pos = lc_mesh_vertices(mesh);
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY}, diag = 0;
    for (int64_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], pos[i * 3 + a]);
            hi[a] = fmax(hi[a], pos[i * 3 + a]);
        }
    for (int a = 0; a < 3; a++) diag += (hi[a] - lo[a]) * (hi[a] - lo[a]);
    diag = sqrt(diag);
    const double t = tau * diag * diag;

    mass = malloc((size_t)n * sizeof *mass);
    if (!mass) {
        fprintf(stderr, "%s: out of memory\n", ex_prog);
        goto fail;
    }
    CHECK(lc_graph_from_mesh(&g, mesh));
    CHECK(lc_mesh_laplacian(mesh, &lap, mass));
    CHECK(lc_diffusion_new(&dif, lap, mass, t));
    const lc_csr_t *a_hat;
    CHECK(lc_graph_gcn_operator(g, &a_hat));
    const int64_t n_edges = lc_graph_num_edges(g);

    /* data: columns are fields; the truth is one CHOLMOD solve per set */
    lc_rng_t rng;
    lc_rng_seed(&rng, (uint64_t)seed);
    CHECK(lc_tensor_new2(&x0, n, train));
    CHECK(lc_tensor_new2(&y0, n, train));
    CHECK(lc_tensor_new2(&x1, n, test));
    CHECK(lc_tensor_new2(&y1, n, test));
    make_fields(&rng, pos, n, train, (int)bumps, width, diag, lc_tensor_data(x0));
    make_fields(&rng, pos, n, test, (int)bumps, width, diag, lc_tensor_data(x1));
    CHECK(lc_diffusion_apply(dif, x0, y0));
    CHECK(lc_diffusion_apply(dif, x1, y1));
    const double identity = ex_rel_err(lc_tensor_data(x1), lc_tensor_data(y1), n * test);

    /* the exact step checked on the test set: ‖M·(y − x) + t·L·y‖ / ‖M·x‖ */
    double exact;
    CHECK(lc_tensor_new2(&ly, n, test));
    CHECK(lc_csr_spmm(lap, y1, ly));
    {
        double num = 0, den = 0;
        const float *yv = lc_tensor_data(y1), *xv = lc_tensor_data(x1), *lv = lc_tensor_data(ly);
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < test; k++) {
                const double r = (double)mass[i] * (yv[i * test + k] - xv[i * test + k]) + t * lv[i * test + k];
                num += r * r;
                den += (double)mass[i] * xv[i * test + k] * mass[i] * xv[i * test + k];
            }
        exact = sqrt(num / den);
    }

    /* the two models, each on a training graph (x0 → y0) and a test graph (x1 → y1) */
    CHECK(lc_tensor_new2(&a0, order + 1, 1));
    lc_tensor_data(a0)[0] = 1; /* both start at the identity */
    CHECK(lc_tensor_new2(&w0, n_edges, 1));
    lc_node yhat[2][2], loss[2][2];
    for (int s = 0; s < 2; s++) {
        const lc_tensor_t *xt = s ? x1 : x0, *yt = s ? y1 : y0;
        CHECK(lc_cg_new(&cg[0][s], (uint64_t)seed));
        CHECK(build_gcn(cg[0][s], a_hat, xt, yt, a0, (int)order, &yhat[0][s], &loss[0][s]));
        CHECK(lc_cg_compile(cg[0][s], loss[0][s]));
        CHECK(lc_cg_new(&cg[1][s], (uint64_t)seed));
        CHECK(build_lconv(cg[1][s], g, xt, yt, w0, (int)layers, &yhat[1][s], &loss[1][s]));
        CHECK(lc_cg_compile(cg[1][s], loss[1][s]));
    }
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
    oc.lr = (float)lr;
    for (int m = 0; m < 2; m++) CHECK(lc_optim_new(&opt[m], &oc, cg[m][0]));

    if (out_dir) {
        char path[4096];
        curve = fopen(ex_path(path, sizeof path, out_dir, "curves.csv"), "w");
        if (!curve) {
            fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
            goto fail;
        }
        fprintf(curve, "step,gcn_train_mse,lconv_train_mse,gcn_test_rel,lconv_test_rel\n");
    }
    printf("%s: %lld vertices, %lld directed edges, bounding-box diagonal D = %.4g\n", mesh_path, (long long)n,
           (long long)n_edges, diag);
    printf("t = %g·D² = %.4g; %ld train / %ld test fields of %ld bumps (sigma %.3g·D ± 50%%); identity test error %.4f\n",
           tau, t, train, test, bumps, width, identity);
    printf("GCN: sum_{k=0..%ld} a_k Â^k f (%ld parameters); L-conv: (I + L_w)^%ld f, w on %lld edges; "
           "Adam lr %g, %ld full-batch steps\n", order, order + 1, layers, (long long)n_edges, lr, steps);
    printf("%7s %14s %14s %12s %12s\n", "step", "gcn mse", "lconv mse", "gcn rel", "lconv rel");
    double first[2] = {NAN, NAN}, last[2] = {NAN, NAN}, rel[2] = {NAN, NAN};
    for (long st = 1; st <= steps; st++) {
        double l[2];
        for (int m = 0; m < 2; m++) {
            CHECK(lc_cg_forward(cg[m][0], 1));
            CHECK(lc_cg_backward(cg[m][0]));
            l[m] = lc_tensor_data(lc_cg_value(cg[m][0], loss[m][0]))[0];
            CHECK(lc_optim_step(opt[m]));
            if (st == 1) first[m] = l[m];
            last[m] = l[m];
        }
        if (st % eval_every == 0 || st == steps || st == 1) {
            for (int m = 0; m < 2; m++) {
                copy_params(cg[m][0], cg[m][1]);
                CHECK(lc_cg_forward(cg[m][1], 0));
                rel[m] = ex_rel_err(lc_tensor_data(lc_cg_value(cg[m][1], yhat[m][1])), lc_tensor_data(y1), n * test);
            }
            printf("%7ld %14.6g %14.6g %12.5f %12.5f\n", st, l[0], l[1], rel[0], rel[1]);
            if (curve) fprintf(curve, "%ld,%.9g,%.9g,%.9g,%.9g\n", st, l[0], l[1], rel[0], rel[1]);
        }
    }
    /* the last step's losses are before its update; the test errors after */

    /* the learned generator against the one an explicit Euler step of t/S would use:
     * w_e = (t/S)·(−L[v, u])/m_v for the edge v → u */
    double corr = NAN;
    {
        const float *w = lc_tensor_data(lc_cg_param_tensor(cg[1][0], 0));
        cot = calloc((size_t)n_edges, sizeof *cot);
        if (!cot) {
            fprintf(stderr, "%s: out of memory\n", ex_prog);
            goto fail;
        }
        edge_cotangents(mesh, g, cot);
        const int64_t *tl = lc_graph_tails(g);
        double ww = 0, wt = 0, tt = 0;
        for (int64_t e = 0; e < n_edges; e++) {
            const double truth = t / (double)layers * cot[e] / mass[tl[e]];
            ww += (double)w[e] * w[e];
            wt += w[e] * truth;
            tt += truth * truth;
        }
        corr = ww > 0 && tt > 0 ? wt / sqrt(ww * tt) : 0;
    }
    const float *av = lc_tensor_data(lc_cg_param_tensor(cg[0][0], 0));
    printf("learned GCN mixing a =");
    for (long k = 0; k <= order; k++) printf(" %.4f", av[k]);
    printf("\ncosine correlation of the learned edge weights with (t/S)·cot weights/mass: %.4f\n", corr);
    printf("test relative error: GCN %.4f, L-conv %.4f, identity %.4f, exact CHOLMOD 0 (residual %.2g)\n", rel[0],
           rel[1], identity, exact);
    if (curve) {
        if (fclose(curve) != 0) {
            curve = NULL;
            fprintf(stderr, "%s: cannot write curves.csv\n", ex_prog);
            goto fail;
        }
        curve = NULL;
        printf("wrote %s/curves.csv\n", out_dir);
    }
    printf("result gcn=%.6g lconv=%.6g identity=%.6g exact=0 residual=%.3g corr_w=%.4f "
           "gcn_first=%.6g gcn_last=%.6g lconv_first=%.6g lconv_last=%.6g\n",
           rel[0], rel[1], identity, exact, corr, first[0], last[0], first[1], last[1]);
    status = 0;
fail:
    if (curve && fclose(curve) != 0) status = 1;
    for (int m = 0; m < 2; m++) {
        lc_optim_free(&opt[m]);
        lc_cg_free(&cg[m][0]);
        lc_cg_free(&cg[m][1]);
    }
    lc_tensor_free(&x0);
    lc_tensor_free(&y0);
    lc_tensor_free(&x1);
    lc_tensor_free(&y1);
    lc_tensor_free(&a0);
    lc_tensor_free(&w0);
    lc_diffusion_free(&dif);
    lc_csr_free(&lap);
    lc_graph_free(&g);
    lc_mesh_free(&mesh);
    lc_tensor_free(&ly);
    free(mass);
    free(cot);
    return status;
}
