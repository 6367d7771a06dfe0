/* test_truth.c — ground truths of the symmetry experiments: band-limited shift and its generator, rotation generators, image rotation, batched exp(θL)·x, and the ops and optimizer setter the experiments use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static lc_rng_t rng;

static float at(const lc_tensor_t *t, int64_t i, int64_t j)
{
    return lc_tensor_data(t)[i * lc_tensor_dim(t, 1) + j];
}

/* max |a - b| over two tensors of the same size */
static double max_diff(const lc_tensor_t *a, const lc_tensor_t *b)
{
    double m = 0;
    for (int64_t k = 0; k < lc_tensor_numel(a); k++)
        m = fmax(m, fabs((double)lc_tensor_data(a)[k] - lc_tensor_data(b)[k]));
    return m;
}

/* c = a·b for n × n double matrices (c may be a or b) */
static void matmul_d(int n, const double *a, const double *b, double *c)
{
    double *t = malloc((size_t)n * n * sizeof *t);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int l = 0; l < n; l++) s += a[i * n + l] * b[l * n + j];
            t[i * n + j] = s;
        }
    memcpy(c, t, (size_t)n * n * sizeof *c);
    free(t);
}

/* Q(d, u) written another way than the library: 1 + 2 Σ_{p ≥ 1} cos, over d. */
static double q_ref(int d, double u)
{
    double s = 1.0;
    for (int p = 1; 2 * p < d; p++) s += 2.0 * cos(2.0 * M_PI * p * u / d);
    return s / d;
}

/* ---------- 1-D shift and generator ---------- */

static void test_shift_circulant(void)
{
    const int d = 20;
    lc_tensor_t *q = NULL, *l0 = NULL;
    LC_ASSERT_OK(lc_shift_1d(d, 0.3, &q));
    LC_ASSERT_OK(lc_shift_generator_1d(d, &l0));
    CU_ASSERT_EQUAL(lc_tensor_dim(q, 0), d);
    CU_ASSERT_EQUAL(lc_tensor_dim(q, 1), d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            /* entry (i, j) depends on (i - j) mod d only */
            const int k = ((i - j) % d + d) % d;
            CU_ASSERT_EQUAL(at(q, i, j), at(q, k, 0));
            CU_ASSERT_EQUAL(at(l0, i, j), at(l0, k, 0));
            CU_ASSERT_DOUBLE_EQUAL(at(q, i, j), q_ref(d, i - j - 0.3), 1e-6);
            CU_ASSERT_DOUBLE_EQUAL(at(l0, i, j), -at(l0, j, i), 1e-7); /* antisymmetric */
        }
    lc_tensor_free(&q);
    lc_tensor_free(&l0);
}

static void test_shift_identity(void)
{
    /* Even d: the Nyquist mode is out of the band, Q(d, 0) = I - (-1)^(i-j)/d, a projector. */
    const int d = 20;
    lc_tensor_t *q = NULL;
    LC_ASSERT_OK(lc_shift_1d(d, 0.0, &q));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            CU_ASSERT_DOUBLE_EQUAL(at(q, i, j), (i == j) - (((i - j) & 1) ? -1.0 : 1.0) / d, 1e-6);
    lc_tensor_free(&q);
    /* Odd d: the band is complete, Q(d, 0) = I. */
    LC_ASSERT_OK(lc_shift_1d(21, 0.0, &q));
    for (int i = 0; i < 21; i++)
        for (int j = 0; j < 21; j++) CU_ASSERT_DOUBLE_EQUAL(at(q, i, j), i == j, 1e-6);
    lc_tensor_free(&q);
    /* An integer shift moves the band-limited part by whole places: Q(d, m)[i, j] = Q(d, 0)[i - m, j]. */
    LC_ASSERT_OK(lc_shift_1d(d, 2.0, &q));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            const int k = ((i - j - 2) % d + d) % d;
            CU_ASSERT_DOUBLE_EQUAL(at(q, i, j), (k == 0) - ((k & 1) ? -1.0 : 1.0) / d, 1e-6);
        }
    lc_tensor_free(&q);
}

static void test_shift_known_values(void)
{
    /* d = 4: p in {-1, 0, 1}, Q(4, u) = (1 + 2 cos(πu/2))/4, L0(4, u) = -(π/4) sin(πu/2). */
    lc_tensor_t *q = NULL, *l0 = NULL;
    LC_ASSERT_OK(lc_shift_1d(4, 0.5, &q));
    LC_ASSERT_OK(lc_shift_generator_1d(4, &l0));
    CU_ASSERT_DOUBLE_EQUAL(at(q, 0, 0), (1 + 2 * cos(-M_PI / 4)) / 4, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(at(q, 1, 0), (1 + 2 * cos(M_PI / 4)) / 4, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(at(q, 2, 0), (1 + 2 * cos(3 * M_PI / 4)) / 4, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(at(l0, 1, 0), -M_PI / 4, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(at(l0, 0, 1), M_PI / 4, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(at(l0, 2, 0), 0.0, 1e-7);
    lc_tensor_free(&q);
    lc_tensor_free(&l0);
}

static void test_shift_composition(void)
{
    /* Q(d, a)·Q(d, b) = Q(d, a + b): the shifts form a group on the band. */
    const int d = 12;
    const double pairs[3][2] = {{0.3, 1.2}, {-2.5, 0.75}, {4.0, -4.0}};
    for (int t = 0; t < 3; t++) {
        lc_tensor_t *a = NULL, *b = NULL, *ab = NULL;
        LC_ASSERT_OK(lc_shift_1d(d, pairs[t][0], &a));
        LC_ASSERT_OK(lc_shift_1d(d, pairs[t][1], &b));
        LC_ASSERT_OK(lc_shift_1d(d, pairs[t][0] + pairs[t][1], &ab));
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) s += (double)at(a, i, k) * at(b, k, j);
                CU_ASSERT_DOUBLE_EQUAL(s, at(ab, i, j), 1e-6);
            }
        lc_tensor_free(&a);
        lc_tensor_free(&b);
        lc_tensor_free(&ab);
    }
}

static void test_generator_is_derivative(void)
{
    /* d/dz of Q(d, i - j - z) is -L0(d, i - j): central differences, step h. */
    const int d = 20;
    const double h = 1e-2;
    lc_tensor_t *qp = NULL, *qm = NULL, *l0 = NULL;
    LC_ASSERT_OK(lc_shift_1d(d, h, &qp));
    LC_ASSERT_OK(lc_shift_1d(d, -h, &qm));
    LC_ASSERT_OK(lc_shift_generator_1d(d, &l0));
    double worst = 0, largest = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            const double fd = ((double)at(qp, i, j) - at(qm, i, j)) / (2 * h);
            worst = fmax(worst, fabs(fd + at(l0, i, j)));
            largest = fmax(largest, fabs(at(l0, i, j)));
        }
    CU_ASSERT(largest > 0.1);
    CU_ASSERT(worst < 3e-4);
    lc_tensor_free(&qp);
    lc_tensor_free(&qm);
    lc_tensor_free(&l0);
}

static void test_shift_is_exponential(void)
{
    /* On the band, Q(d, z) = exp(-z·L0); L0 is 0 on the Nyquist mode, so
     * exp(-z·L0) = Q(d, z) + (-1)^(i-j)/d. Columns of I through lc_expm_apply. */
    const int d = 20;
    const double z = 2.0;
    lc_tensor_t *q = NULL, *l0 = NULL, *eye = NULL, *e = NULL;
    LC_ASSERT_OK(lc_shift_1d(d, z, &q));
    LC_ASSERT_OK(lc_shift_generator_1d(d, &l0));
    LC_ASSERT_OK(lc_tensor_new2(&eye, d, d));
    LC_ASSERT_OK(lc_tensor_new2(&e, d, d));
    float theta[20];
    for (int k = 0; k < d; k++) {
        lc_tensor_data(eye)[k * d + k] = 1.0f;
        theta[k] = (float)-z;
    }
    LC_ASSERT_OK(lc_expm_apply(l0, theta, eye, e));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            CU_ASSERT_DOUBLE_EQUAL(at(e, i, j), at(q, i, j) + (((i - j) & 1) ? -1.0 : 1.0) / d, 2e-5);
    lc_tensor_free(&q);
    lc_tensor_free(&l0);
    lc_tensor_free(&eye);
    lc_tensor_free(&e);
}

static void test_shift_paper_numbers(void)
{
    /* The paper's experiment 1 (d = 20, shift m = 2): (I - (m/n)·L0)^n against
     * Q(d, m) has cosine correlation 0.77 at n = 8 and 0.93 at n = 16; L0 0.30. */
    enum { D = 20 };
    const double m = 2;
    lc_tensor_t *q = NULL, *l0 = NULL;
    LC_ASSERT_OK(lc_shift_1d(D, m, &q));
    LC_ASSERT_OK(lc_shift_generator_1d(D, &l0));
    const double want[2] = {0.772, 0.931};
    for (int t = 0; t < 2; t++) {
        const int n = 8 << t;
        double p[D * D], step[D * D];
        for (int i = 0; i < D * D; i++) {
            step[i] = (i % (D + 1) == 0) - m / n * lc_tensor_data(l0)[i];
            p[i] = i % (D + 1) == 0;
        }
        for (int k = 0; k < n; k++) matmul_d(D, p, step, p);
        float pf[D * D];
        for (int i = 0; i < D * D; i++) pf[i] = (float)p[i];
        CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(pf, lc_tensor_data(q), D * D), want[t], 1e-3);
    }
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(lc_tensor_data(l0), lc_tensor_data(q), D * D),
                           0.296, 1e-3);
    lc_tensor_free(&q);
    lc_tensor_free(&l0);
}

static void test_shift_errors(void)
{
    lc_tensor_t *q = NULL;
    LC_ASSERT_STATUS(lc_shift_1d(1, 0.0, &q), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("d = 1");
    LC_ASSERT_ERROR_HAS("lc_shift_1d");
    LC_ASSERT_STATUS(lc_shift_1d(8, NAN, &q), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("not finite");
    LC_ASSERT_STATUS(lc_shift_1d(8, 0.0, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_shift_generator_1d(0, &q), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_shift_generator_1d");
    CU_ASSERT_PTR_NULL(q);
}

/* ---------- 2-D rotation generators ---------- */

static void test_rotation_side2_by_hand(void)
{
    /* Period 4: L0(4, ±1) = ∓π/4. Pixels 0 (x, y) = (-½, -½), 1 (½, -½), 2 (-½, ½), 3 (½, ½). */
    lc_tensor_t *lx = NULL, *ly = NULL, *lr = NULL;
    LC_ASSERT_OK(lc_rotation_generators_2d(2, &lx, &ly, &lr));
    const double a = M_PI / 4, b = M_PI / 8;
    const double ex[4][4] = {{0, a, 0, 0}, {-a, 0, 0, 0}, {0, 0, 0, a}, {0, 0, -a, 0}};
    const double ey[4][4] = {{0, 0, a, 0}, {0, 0, 0, a}, {-a, 0, 0, 0}, {0, -a, 0, 0}};
    /* L_rot = diag(x)·L_y - diag(y)·L_x, entry by entry */
    const double er[4][4] = {{0, b, -b, 0}, {-b, 0, 0, b}, {b, 0, 0, -b}, {0, -b, b, 0}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            CU_ASSERT_DOUBLE_EQUAL(at(lx, i, j), ex[i][j], 1e-7);
            CU_ASSERT_DOUBLE_EQUAL(at(ly, i, j), ey[i][j], 1e-7);
            CU_ASSERT_DOUBLE_EQUAL(at(lr, i, j), er[i][j], 1e-7);
        }
    lc_tensor_free(&lx);
    lc_tensor_free(&ly);
    lc_tensor_free(&lr);
}

static void test_rotation_side3_by_hand(void)
{
    /* Period 6: L0(6, u) = -(π/9)(sin(πu/3) + 2 sin(2πu/3)), L0(6, -1) = π√3/6. */
    lc_tensor_t *lr = NULL;
    LC_ASSERT_OK(lc_rotation_generators_2d(3, NULL, NULL, &lr));
    const double l1 = M_PI * sqrt(3.0) / 6, l2 = -(M_PI / 9) * (sin(2 * M_PI / 3) + 2 * sin(4 * M_PI / 3));
    /* the centre (x = y = 0) does not move: its row is zero */
    for (int j = 0; j < 9; j++) CU_ASSERT_DOUBLE_EQUAL(at(lr, 4, j), 0.0, 1e-7);
    /* pixel 0 (x, y) = (-1, -1): row neighbours 1, 2 weigh -y·L0(x_0 - x_j) */
    CU_ASSERT_DOUBLE_EQUAL(at(lr, 0, 1), 1.0 * l1, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(at(lr, 0, 2), -l2, 1e-6); /* L0(6, -2) = -L0(6, 2) */
    /* column neighbours 3, 6 weigh x·L0(y_0 - y_j) */
    CU_ASSERT_DOUBLE_EQUAL(at(lr, 0, 3), -1.0 * l1, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(at(lr, 0, 6), l2, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(at(lr, 0, 4), 0.0, 0); /* neither row nor column */
    lc_tensor_free(&lr);
}

static void test_rotation_structure(void)
{
    const int side = 7, n = 49;
    lc_tensor_t *lx = NULL, *ly = NULL, *lr = NULL;
    LC_ASSERT_OK(lc_rotation_generators_2d(side, &lx, &ly, &lr));
    CU_ASSERT_EQUAL(lc_tensor_dim(lr, 0), n);
    int off_row = 0, off_col = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            const int ri = i / side, ci = i % side, rj = j / side, cj = j % side;
            if (ri != rj && at(lx, i, j) != 0) off_row++; /* L_x only within a row */
            if (ci != cj && at(ly, i, j) != 0) off_col++; /* L_y only within a column */
            CU_ASSERT_EQUAL(at(lr, i, j), -at(lr, j, i));
            CU_ASSERT_EQUAL(at(lx, i, j), -at(lx, j, i));
            const double x = ci - 3.0, y = ri - 3.0;
            CU_ASSERT_DOUBLE_EQUAL(at(lr, i, j), x * at(ly, i, j) - y * at(lx, i, j), 1e-6);
            if (ri == rj) { /* the same on every row, and a function of ci - cj only */
                CU_ASSERT_EQUAL(at(lx, i, j), at(lx, ci, cj));
                if (ci > 0 && cj > 0) CU_ASSERT_EQUAL(at(lx, i, j), at(lx, i - 1, j - 1));
            }
        }
    CU_ASSERT_EQUAL(off_row, 0);
    CU_ASSERT_EQUAL(off_col, 0);
    /* L_y is L_x with rows and columns swapped (pixel (r, c) ↔ (c, r)) */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            const int it = (i % side) * side + i / side, jt = (j % side) * side + j / side;
            CU_ASSERT_EQUAL(at(ly, i, j), at(lx, it, jt));
        }
    lc_tensor_free(&lx);
    lc_tensor_free(&ly);
    lc_tensor_free(&lr);
}

static void test_rotation_errors(void)
{
    lc_tensor_t *lr = NULL;
    LC_ASSERT_STATUS(lc_rotation_generators_2d(1, NULL, NULL, &lr), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("side = 1");
    LC_ASSERT_STATUS(lc_rotation_generators_2d(257, NULL, NULL, &lr), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_rotation_generators_2d(4, NULL, NULL, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("NULL");
    CU_ASSERT_PTR_NULL(lr);
}

/* ---------- image rotation ---------- */

static void test_rotate_quarter_turns(void)
{
    /* 90° of a square image is an exact transpose and flip, in both fill modes. */
    for (int side = 4; side <= 5; side++) {
        float src[25], dst[25];
        for (int k = 0; k < side * side; k++) src[k] = (float)(1 + k);
        for (int fill = 0; fill < 2; fill++) {
            LC_ASSERT_OK(lc_image_rotate(src, side, side, M_PI / 2, (lc_fill_mode)fill, dst));
            for (int i = 0; i < side; i++)
                for (int j = 0; j < side; j++)
                    CU_ASSERT_DOUBLE_EQUAL(dst[i * side + j], src[j * side + side - 1 - i], 1e-5);
            LC_ASSERT_OK(lc_image_rotate(src, side, side, -M_PI / 2, (lc_fill_mode)fill, dst));
            for (int i = 0; i < side; i++)
                for (int j = 0; j < side; j++)
                    CU_ASSERT_DOUBLE_EQUAL(dst[i * side + j], src[(side - 1 - j) * side + i], 1e-5);
            LC_ASSERT_OK(lc_image_rotate(src, side, side, M_PI, (lc_fill_mode)fill, dst));
            for (int k = 0; k < side * side; k++)
                CU_ASSERT_DOUBLE_EQUAL(dst[k], src[side * side - 1 - k], 1e-5);
            LC_ASSERT_OK(lc_image_rotate(src, side, side, 0.0, (lc_fill_mode)fill, dst));
            CU_ASSERT_EQUAL(memcmp(src, dst, (size_t)side * side * sizeof *src), 0);
        }
    }
}

static void test_rotate_small_angle_by_hand(void)
{
    /* 4 × 4 ramp src[r][c] = 1 + 4r + c, angle 0.1. Output pixel (i, j) samples
     * (ix, iy) = (2·xs + 1.5, 2·ys + 1.5) with (xs, ys) = R(0.1)·(xn, yn) and
     * xn = (2j + 1)/4 - 1; a ramp is reproduced exactly by bilinear
     * interpolation where all four taps lie inside. */
    float src[16], zero[16], border[16];
    for (int k = 0; k < 16; k++) src[k] = (float)(1 + k);
    const double a = 0.1, c = cos(a), s = sin(a);
    LC_ASSERT_OK(lc_image_rotate(src, 4, 4, a, LC_FILL_ZERO, zero));
    LC_ASSERT_OK(lc_image_rotate(src, 4, 4, a, LC_FILL_BORDER, border));
    /* interior pixel (1, 1): xn = yn = -1/4 */
    {
        const double xs = c * -0.25 - s * -0.25, ys = s * -0.25 + c * -0.25;
        const double ix = 2 * xs + 1.5, iy = 2 * ys + 1.5;
        CU_ASSERT_DOUBLE_EQUAL(zero[5], 1 + 4 * iy + ix, 1e-5);
        CU_ASSERT_DOUBLE_EQUAL(border[5], 1 + 4 * iy + ix, 1e-5);
    }
    /* corner pixel (0, 0): xn = yn = -3/4 samples (ix, iy) = (0.1572, -0.1423),
     * above the first row. Zero fill: the taps of row -1 count 0, the row-0
     * taps weigh 1 - (0 - iy)... i.e. (1 + iy). Border fill: iy is clipped to 0. */
    {
        const double xs = c * -0.75 - s * -0.75, ys = s * -0.75 + c * -0.75;
        const double ix = 2 * xs + 1.5, iy = 2 * ys + 1.5;
        CU_ASSERT(iy < 0 && iy > -1 && ix > 0 && ix < 1);
        const double row0 = (1 - ix) * src[0] + ix * src[1];
        CU_ASSERT_DOUBLE_EQUAL(zero[0], (1 + iy) * row0, 1e-5);
        CU_ASSERT_DOUBLE_EQUAL(border[0], row0, 1e-5);
        CU_ASSERT(fabs(zero[0] - border[0]) > 0.1);
    }
}

static void test_rotate_matches_generator(void)
{
    /* (rotate(f, θ) - rotate(f, -θ)) / 2θ ≈ L_rot·f for a smooth blob away from
     * the border: the sign conventions of lc_image_rotate and L_rot agree. */
    enum { S = 20, N = S * S };
    float f[N], fp[N], fm[N], d[N], lf[N];
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            const double x = c - 12.0, y = r - 7.5;
            f[r * S + c] = (float)exp(-(x * x + y * y) / 8.0);
        }
    const double th = 0.02;
    LC_ASSERT_OK(lc_image_rotate(f, S, S, th, LC_FILL_ZERO, fp));
    LC_ASSERT_OK(lc_image_rotate(f, S, S, -th, LC_FILL_ZERO, fm));
    for (int k = 0; k < N; k++) d[k] = (float)((fp[k] - fm[k]) / (2 * th));
    lc_tensor_t *lr = NULL;
    LC_ASSERT_OK(lc_rotation_generators_2d(S, NULL, NULL, &lr));
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < N; j++) s += (double)at(lr, i, j) * f[j];
        lf[i] = (float)s;
    }
    const double corr = lc_cosine_correlation(d, lf, N);
    CU_ASSERT(corr > 0.9);
    if (corr <= 0.9) fprintf(stderr, "\n  correlation %g\n", corr);
    lc_tensor_free(&lr);
}

static void test_rotate_errors(void)
{
    float img[16] = {0}, out[16];
    LC_ASSERT_STATUS(lc_image_rotate(img, 4, 4, 0.1, LC_FILL_ZERO, img), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("overlap");
    LC_ASSERT_STATUS(lc_image_rotate(img, 2, 4, 0.1, LC_FILL_ZERO, img + 7), LC_ERR_INVALID_ARG);
    LC_ASSERT_OK(lc_image_rotate(img, 2, 4, 0.1, LC_FILL_ZERO, img + 8)); /* adjacent is fine */
    LC_ASSERT_STATUS(lc_image_rotate(NULL, 4, 4, 0.1, LC_FILL_ZERO, out), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_image_rotate");
    LC_ASSERT_STATUS(lc_image_rotate(img, 4, 4, INFINITY, LC_FILL_ZERO, out), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("angle");
    LC_ASSERT_STATUS(lc_image_rotate(img, 0, 4, 0.1, LC_FILL_ZERO, out), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_image_rotate(img, 4, 4, 0.1, (lc_fill_mode)7, out), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("fill");
}

/* ---------- exp(θL)·x ---------- */

/* exp(a) of a dense n × n matrix in double: scaling, Taylor to 30 terms, squaring. */
static void expm_ref(int n, const double *a, double *e)
{
    double norm = 0;
    for (int j = 0; j < n; j++) {
        double c = 0;
        for (int i = 0; i < n; i++) c += fabs(a[i * n + j]);
        norm = fmax(norm, c);
    }
    int k = 0;
    while (norm / ldexp(1.0, k) > 0.25) k++;
    double *t = calloc((size_t)n * n, sizeof *t), *u = calloc((size_t)n * n, sizeof *u);
    for (int i = 0; i < n * n; i++) e[i] = (i % (n + 1) == 0), t[i] = e[i];
    for (int m = 1; m <= 30; m++) { /* t ← t·a / (2^k m), e += t */
        matmul_d(n, t, a, u);
        for (int i = 0; i < n * n; i++) t[i] = u[i] / ldexp(1.0, k) / m, e[i] += t[i];
    }
    for (int q = 0; q < k; q++) matmul_d(n, e, e, e);
    free(t);
    free(u);
}

static void test_expm_against_reference(void)
{
    enum { N = 6, B = 7 };
    const float theta[B] = {0.0f, 0.3f, -0.7f, 1.0f, 2.5f, -4.0f, 0.05f};
    lc_tensor_t *l = lc_test_rand_tensor(&rng, 2, (int64_t[]){N, N}, -0.6f, 0.6f, 0);
    lc_tensor_t *x = lc_test_rand_tensor(&rng, 2, (int64_t[]){N, B}, -1, 1, 0), *y = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&y, N, B));
    LC_ASSERT_OK(lc_expm_apply(l, theta, x, y));
    for (int k = 0; k < B; k++) {
        double a[N * N], e[N * N];
        for (int i = 0; i < N * N; i++) a[i] = theta[k] * (double)lc_tensor_data(l)[i];
        expm_ref(N, a, e);
        double worst = 0, size = 0;
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int j = 0; j < N; j++) s += e[i * N + j] * at(x, j, k);
            worst = fmax(worst, fabs(s - at(y, i, k)));
            size = fmax(size, fabs(s));
        }
        CU_ASSERT(worst <= 2e-6 * fmax(1.0, size));
        if (worst > 2e-6 * fmax(1.0, size))
            fprintf(stderr, "\n  column %d (theta %g): error %g of %g\n", k, theta[k], worst, size);
    }
    /* theta = 0 leaves its column exactly as it was */
    for (int i = 0; i < N; i++) CU_ASSERT_EQUAL(at(y, i, 0), at(x, i, 0));
    lc_tensor_free(&l);
    lc_tensor_free(&x);
    lc_tensor_free(&y);
}

static void test_expm_identity_and_norm(void)
{
    /* exp of the antisymmetric L_rot is orthogonal: norms are kept; in place. */
    const int side = 6, n = 36, b = 2100; /* two blocks of columns */
    lc_tensor_t *lr = NULL, *x = NULL, *y = NULL;
    LC_ASSERT_OK(lc_rotation_generators_2d(side, NULL, NULL, &lr));
    x = lc_test_rand_tensor(&rng, 2, (int64_t[]){n, b}, -0.5f, 0.5f, 0);
    LC_ASSERT_OK(lc_tensor_new2(&y, n, b));
    lc_tensor_copy(y, x);
    float *theta = malloc((size_t)b * sizeof *theta), *zeros = calloc((size_t)b, sizeof *zeros);
    for (int k = 0; k < b; k++) theta[k] = (float)(M_PI / 4 * lc_rng_uniform(&rng));
    LC_ASSERT_OK(lc_expm_apply(lr, zeros, y, y));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(x), lc_tensor_data(y), (size_t)n * b * sizeof(float)), 0);
    LC_ASSERT_OK(lc_expm_apply(lr, theta, y, y));
    double worst = 0, moved = 0;
    for (int k = 0; k < b; k++) {
        double nx = 0, ny = 0, dxy = 0;
        for (int i = 0; i < n; i++) {
            nx += (double)at(x, i, k) * at(x, i, k);
            ny += (double)at(y, i, k) * at(y, i, k);
            dxy += ((double)at(x, i, k) - at(y, i, k)) * ((double)at(x, i, k) - at(y, i, k));
        }
        worst = fmax(worst, fabs(sqrt(ny / nx) - 1));
        moved = fmax(moved, sqrt(dxy / nx));
    }
    CU_ASSERT(worst < 1e-5);
    CU_ASSERT(moved > 0.1); /* it did rotate */
    /* and back: exp(-θL)·exp(θL)·x = x */
    for (int k = 0; k < b; k++) theta[k] = -theta[k];
    LC_ASSERT_OK(lc_expm_apply(lr, theta, y, y));
    CU_ASSERT(max_diff(x, y) < 1e-4);
    free(theta);
    free(zeros);
    lc_tensor_free(&lr);
    lc_tensor_free(&x);
    lc_tensor_free(&y);
}

static void test_expm_errors(void)
{
    lc_tensor_t *l = NULL, *x = NULL, *y = NULL, *bad = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&l, 3, 3));
    LC_ASSERT_OK(lc_tensor_new2(&x, 3, 2));
    LC_ASSERT_OK(lc_tensor_new2(&y, 3, 2));
    LC_ASSERT_OK(lc_tensor_new2(&bad, 2, 2));
    float theta[2] = {0.5f, 1.0f};
    LC_ASSERT_STATUS(lc_expm_apply(NULL, theta, x, y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_expm_apply");
    LC_ASSERT_STATUS(lc_expm_apply(l, theta, bad, y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("x [2, 2]");
    LC_ASSERT_STATUS(lc_expm_apply(l, theta, x, bad), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_expm_apply(x, theta, x, y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("square");
    theta[1] = NAN;
    LC_ASSERT_STATUS(lc_expm_apply(l, theta, x, y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("theta[1]");
    theta[1] = 1.0f;
    lc_tensor_data(l)[4] = INFINITY;
    LC_ASSERT_STATUS(lc_expm_apply(l, theta, x, y), LC_ERR_NUMERIC);
    lc_tensor_free(&l);
    lc_tensor_free(&x);
    lc_tensor_free(&y);
    lc_tensor_free(&bad);
}

/* ---------- the compute-graph ops and the optimizer setter the experiments use ---------- */

static void test_grad_reshape_mul(void)
{
    /* loss = mse(pool_sum(reshape(L·reshape(X)) ∘ Y), t): the recurrent model's dot products */
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *l0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){5, 5}, -1, 1, 0);
    lc_tensor_t *x0 = lc_test_rand_tensor(&rng, 3, (int64_t[]){5, 3, 2}, -1, 1, 0);
    lc_tensor_t *y0 = lc_test_rand_tensor(&rng, 3, (int64_t[]){5, 3, 2}, -1, 1, 0), *target = NULL;
    lc_node l, x, y, x2, lx, lx3, prod, sq, s;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, l0, "L", &l));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "X", &x));
    LC_ASSERT_OK(lc_cg_parameter(cg, y0, "Y", &y));
    LC_ASSERT_OK(lc_cg_reshape(cg, x, 2, (int64_t[]){5, 6}, &x2));
    LC_ASSERT_OK(lc_cg_matmul(cg, l, x2, &lx));
    LC_ASSERT_OK(lc_cg_reshape(cg, lx, 3, (int64_t[]){5, 3, 2}, &lx3));
    LC_ASSERT_OK(lc_cg_mul(cg, lx3, y, &prod));
    LC_ASSERT_OK(lc_cg_mul(cg, prod, prod, &sq)); /* the same node twice */
    LC_ASSERT_OK(lc_cg_pool(cg, sq, LC_POOL_SUM, NULL, 0, &s));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, s, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    /* forward against a loop: s[b, c] = Σ_i ((L·X)[i, b, c]·Y[i, b, c])² */
    const float *lv = lc_tensor_data(l0), *xv = lc_tensor_data(x0), *yv = lc_tensor_data(y0);
    for (int bc = 0; bc < 6; bc++) {
        double sum = 0;
        for (int i = 0; i < 5; i++) {
            double v = 0;
            for (int j = 0; j < 5; j++) v += (double)lv[i * 5 + j] * xv[j * 6 + bc];
            v *= yv[i * 6 + bc];
            sum += v * v;
        }
        CU_ASSERT_DOUBLE_EQUAL(lc_tensor_data(lc_cg_value(cg, s))[bc], sum, 1e-4 * fmax(1, sum));
    }
    lc_test_grad_opts o = {.h = 1e-3f, .tol = 1e-2f};
    CU_ASSERT(lc_test_gradcheck(cg, &o) > 0);
    lc_cg_free(&cg);
    lc_tensor_free(&l0);
    lc_tensor_free(&x0);
    lc_tensor_free(&y0);
    lc_tensor_free(&target);
}

static void test_reshape_mul_errors(void)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *a0 = NULL, *b0 = NULL;
    lc_node a, b, out;
    LC_ASSERT_OK(lc_tensor_new2(&a0, 4, 6));
    LC_ASSERT_OK(lc_tensor_new2(&b0, 6, 4));
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, a0, &a));
    LC_ASSERT_OK(lc_cg_constant(cg, b0, &b));
    LC_ASSERT_STATUS(lc_cg_reshape(cg, a, 2, (int64_t[]){5, 5}, &out), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_cg_reshape");
    LC_ASSERT_ERROR_HAS("24 elements");
    LC_ASSERT_STATUS(lc_cg_reshape(cg, a, 5, (int64_t[]){1, 1, 1, 4, 6}, &out), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_cg_reshape(cg, a, 2, (int64_t[]){0, 24}, &out), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_cg_reshape(cg, a, 2, NULL, &out), LC_ERR_INVALID_ARG);
    LC_ASSERT_OK(lc_cg_reshape(cg, a, 4, (int64_t[]){2, 2, 3, 2}, &out));
    LC_ASSERT_STATUS(lc_cg_mul(cg, a, b, &out), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_cg_mul: shapes differ: [4, 6] and [6, 4]");
    LC_ASSERT_STATUS(lc_cg_mul(cg, a, 99, &out), LC_ERR_INVALID_ARG);
    lc_cg_free(&cg);
    lc_tensor_free(&a0);
    lc_tensor_free(&b0);
}

static void test_optim_set_lr(void)
{
    /* SGD on loss = mean(w): each step moves w by -lr/numel; a new rate applies at once */
    lc_cgraph_t *cg = NULL;
    lc_optim_t *opt = NULL;
    lc_tensor_t *w0 = NULL;
    lc_node w, loss;
    LC_ASSERT_OK(lc_tensor_new2(&w0, 1, 2));
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_mean(cg, w, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    lc_optim_config cfg = lc_optim_defaults(LC_OPTIM_SGD);
    cfg.lr = 0.5f;
    LC_ASSERT_OK(lc_optim_new(&opt, &cfg, cg));
    CU_ASSERT_EQUAL(lc_optim_lr(opt), 0.5f);
    for (int step = 0; step < 2; step++) {
        LC_ASSERT_OK(lc_cg_forward(cg, 1));
        LC_ASSERT_OK(lc_cg_backward(cg));
        LC_ASSERT_OK(lc_optim_step(opt));
        if (step == 0) LC_ASSERT_OK(lc_optim_set_lr(opt, 0.5f * 0.7f));
    }
    CU_ASSERT_DOUBLE_EQUAL(lc_tensor_data(lc_cg_param_tensor(cg, 0))[0], -(0.5 + 0.35) / 2, 1e-6);
    CU_ASSERT_EQUAL(lc_optim_lr(opt), 0.35f);
    LC_ASSERT_STATUS(lc_optim_set_lr(opt, 0.0f), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_optim_set_lr");
    LC_ASSERT_STATUS(lc_optim_set_lr(opt, NAN), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_optim_set_lr(NULL, 0.1f), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(lc_optim_lr(NULL), 0.0f);
    CU_ASSERT_EQUAL(lc_optim_lr(opt), 0.35f); /* refused values change nothing */
    lc_optim_free(&opt);
    lc_cg_free(&cg);
    lc_tensor_free(&w0);
}

int main(void)
{
    lc_rng_seed(&rng, 5);
    static const lc_test_case cases[] = {
        {"shift circulant", test_shift_circulant},
        {"shift at 0 and whole shifts", test_shift_identity},
        {"shift known values", test_shift_known_values},
        {"shift composition", test_shift_composition},
        {"L0 is the derivative of Q", test_generator_is_derivative},
        {"Q = exp(-z L0) on the band", test_shift_is_exponential},
        {"shift: the paper's numbers", test_shift_paper_numbers},
        {"shift errors", test_shift_errors},
        {"rotation generators side 2 by hand", test_rotation_side2_by_hand},
        {"rotation generators side 3 by hand", test_rotation_side3_by_hand},
        {"rotation generators structure", test_rotation_structure},
        {"rotation generator errors", test_rotation_errors},
        {"rotate quarter turns", test_rotate_quarter_turns},
        {"rotate small angle by hand", test_rotate_small_angle_by_hand},
        {"rotate agrees with L_rot", test_rotate_matches_generator},
        {"rotate errors", test_rotate_errors},
        {"expm against dense reference", test_expm_against_reference},
        {"expm identity and norm", test_expm_identity_and_norm},
        {"expm errors", test_expm_errors},
        {"grad reshape and mul", test_grad_reshape_mul},
        {"reshape and mul errors", test_reshape_mul_errors},
        {"optimizer learning rate", test_optim_set_lr},
        {NULL, NULL}};
    return lc_test_main("truth", cases);
}
