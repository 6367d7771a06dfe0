/* shift_generator.c — the paper's experiment 1: a finite shift from its generator, (I − (m/n)·L0)^n against the band-limited shift Q(d, m); exports the 2-D rotation generators. */
#include "../common/experiment.h"

static const char *usage = "[--d D] [--shift M] [--seed S] [--side SIDE] [--export DIR]";

/* (I + c·L)^n for a d × d matrix L, in double; result as floats in out. */
static void power_of_step(const float *l, int d, double c, int n, float *out)
{
    double *p = calloc((size_t)d * d, sizeof *p), *step = calloc((size_t)d * d, sizeof *step),
           *tmp = calloc((size_t)d * d, sizeof *tmp);
    for (int i = 0; i < d * d; i++) {
        step[i] = (i % (d + 1) == 0) + c * l[i];
        p[i] = i % (d + 1) == 0;
    }
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int q = 0; q < d; q++) s += p[i * d + q] * step[q * d + j];
                tmp[i * d + j] = s;
            }
        memcpy(p, tmp, (size_t)d * d * sizeof *p);
    }
    for (int i = 0; i < d * d; i++) out[i] = (float)p[i];
    free(p);
    free(step);
    free(tmp);
}

int main(int argc, char **argv)
{
    ex_prog = "shift_generator";
    long d = 20, side = 7;
    double m = 2.0;
    unsigned long seed = 1;
    const char *export_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--d")) d = ex_long(ex_value(argc, argv, &i, usage), 2, 4096, usage);
        else if (!strcmp(argv[i], "--shift")) m = ex_double(ex_value(argc, argv, &i, usage), -1e6, 1e6, usage);
        else if (!strcmp(argv[i], "--seed")) seed = (unsigned long)ex_long(ex_value(argc, argv, &i, usage), 0, 1L << 30, usage);
        else if (!strcmp(argv[i], "--side")) side = ex_long(ex_value(argc, argv, &i, usage), 2, 64, usage);
        else if (!strcmp(argv[i], "--export")) export_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s %s\n", ex_prog, usage);
            return 0;
        } else ex_usage_error(usage, "unknown option '%s'", argv[i]);
    }

    int status = 1;
    lc_tensor_t *q = NULL, *l0 = NULL, *pw[2] = {NULL, NULL}, *rnd = NULL;
    lc_tensor_t *lx = NULL, *ly = NULL, *lrot = NULL;
    CHECK(lc_shift_1d(d, m, &q));
    CHECK(lc_shift_generator_1d(d, &l0));
    const float *qv = lc_tensor_data(q);
    const int64_t len = (int64_t)d * d;

    /* Q(d, m) moves a signal by +m places and (L0·f)[i] ≈ f'(i), so the shift is
     * exp(−m·L0): the minus sign follows the direction of the shift. */
    printf("d = %ld, shift m = %g: cosine correlation with the exact shift Q(d, m)\n", d, m);
    printf("%6s  %16s  %16s\n", "n", "(I - (m/n)L0)^n", "(I + (m/n)L0)^n");
    float *buf = malloc((size_t)len * sizeof *buf);
    double corr_n[2] = {0, 0};
    for (int n = 1; n <= 64; n *= 2) {
        double c[2];
        for (int s = 0; s < 2; s++) {
            power_of_step(lc_tensor_data(l0), (int)d, (s ? 1 : -1) * m / n, n, buf);
            c[s] = lc_cosine_correlation(buf, qv, len);
        }
        printf("%6d  %16.4f  %16.4f\n", n, c[0], c[1]);
        if (n == 8 || n == 16) {
            corr_n[n == 16] = c[0];
            CHECK(lc_tensor_new2(&pw[n == 16], d, d));
            power_of_step(lc_tensor_data(l0), (int)d, -m / n, n, lc_tensor_data(pw[n == 16]));
        }
    }
    free(buf);
    /* the controls: L0 itself and a random matrix of normal entries */
    CHECK(lc_tensor_new2(&rnd, d, d));
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    for (int64_t k = 0; k < len; k++) lc_tensor_data(rnd)[k] = lc_rng_normal(&rng);
    const double corr_l0 = lc_cosine_correlation(lc_tensor_data(l0), qv, len);
    const double corr_rnd = lc_cosine_correlation(lc_tensor_data(rnd), qv, len);
    printf("L0 itself: %.4f   random matrix (seed %lu): %.4f\n", corr_l0, seed, corr_rnd);
    printf("paper: 0.77 (n = 8), 0.93 (n = 16), L0 0.30, random -0.03\n");

    /* the 2-D generators built from L0(2·side, ·) */
    CHECK(lc_rotation_generators_2d(side, &lx, &ly, &lrot));
    {
        const int64_t n2 = side * side;
        double asym = 0;
        const float *r = lc_tensor_data(lrot);
        for (int64_t i = 0; i < n2; i++)
            for (int64_t j = 0; j < n2; j++) asym = fmax(asym, fabs(r[i * n2 + j] + r[j * n2 + i]));
        printf("rotation generators of a %ldx%ld image: %lld x %lld, max |L_rot + L_rot^T| = %g\n",
               side, side, (long long)n2, (long long)n2, asym);
    }
    if (export_dir) {
        char path[4096];
        const char *names[] = {"lx.csv", "ly.csv", "lrot.csv", "q.csv", "l0.csv"};
        const lc_tensor_t *mats[] = {lx, ly, lrot, q, l0};
        for (int k = 0; k < 5; k++)
            if (ex_write_matrix_csv(ex_path(path, sizeof path, export_dir, names[k]), mats[k])) goto fail;
        const lc_tensor_t *rot_panels[] = {lx, ly, lrot};
        CHECK(lc_write_heatmaps_png(ex_path(path, sizeof path, export_dir, "rotation_generators.png"), 3,
                                    rot_panels, 0));
        const lc_tensor_t *shift_panels[] = {q, pw[0], pw[1], l0};
        CHECK(lc_write_heatmaps_png(ex_path(path, sizeof path, export_dir, "shift.png"), 4,
                                    shift_panels, 0));
        printf("wrote %s/{lx,ly,lrot,q,l0}.csv, rotation_generators.png, shift.png\n", export_dir);
    }
    printf("result d=%ld m=%g corr_n8=%.4f corr_n16=%.4f corr_l0=%.4f corr_random=%.4f\n", d, m,
           corr_n[0], corr_n[1], corr_l0, corr_rnd);
    status = 0;
fail:
    lc_tensor_free(&q);
    lc_tensor_free(&l0);
    lc_tensor_free(&pw[0]);
    lc_tensor_free(&pw[1]);
    lc_tensor_free(&rnd);
    lc_tensor_free(&lx);
    lc_tensor_free(&ly);
    lc_tensor_free(&lrot);
    return status;
}
