/* experiment.h — helpers shared by the experiment examples (shift_generator, fixed_rotation, symmetry_discovery, mesh_diffusion, mesh_rotation): option parsing, CSV and PNG output, generator comparisons, the least-squares generator. */
#ifndef LC_EXAMPLE_EXPERIMENT_H
#define LC_EXAMPLE_EXPERIMENT_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>
#include <lconv.h>

/* LAPACK from OpenBLAS: Cholesky solve of A·X = B (column-major). */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info);

/* The examples' one cleanup path: on failure print lconv's message and jump to `fail`. */
#define CHECK(call)                                                                            \
    do {                                                                                       \
        if ((call) != LC_OK) {                                                                 \
            fprintf(stderr, "%s: %s\n", ex_prog, lc_last_error());                             \
            goto fail;                                                                         \
        }                                                                                      \
    } while (0)

static const char *ex_prog = "example";

/* ---------- options: "--name value" pairs; a bad value exits with status 2 ---------- */

static inline void ex_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", ex_prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: %s %s\n", ex_prog, usage);
    exit(2);
}

/* The value after option argv[*i] (advancing *i), or a usage error. */
static inline const char *ex_value(int argc, char **argv, int *i, const char *usage)
{
    if (*i + 1 >= argc) ex_usage_error(usage, "option %s needs a value", argv[*i]);
    return argv[++*i];
}

static inline long ex_long(const char *s, long lo, long hi, const char *usage)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        ex_usage_error(usage, "'%s' is not an integer in the allowed range", s);
    return v;
}

static inline double ex_double(const char *s, double lo, double hi, const char *usage)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        ex_usage_error(usage, "'%s' is not a number in the allowed range", s);
    return v;
}

/* ---------- data and comparisons ---------- */

/* A file of the shared real data: $LCONV_DATA_DIR/relative, else ../shared/data/relative. */
static inline const char *ex_data_path(char *buf, size_t len, const char *relative)
{
    const char *dir = getenv("LCONV_DATA_DIR");
    snprintf(buf, len, "%s/%s", dir && *dir ? dir : "../shared/data", relative);
    return buf;
}

/* ‖a − b‖ / ‖b‖ over all entries (NaN when b is zero). */
static inline double ex_rel_err(const float *a, const float *b, int64_t len)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < len; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : NAN;
}

/* ---------- output files ---------- */

/* dir/name into buf; creates dir (one level) when it does not exist. */
static inline const char *ex_path(char *buf, size_t len, const char *dir, const char *name)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot create %s: %s\n", ex_prog, dir, strerror(errno));
        exit(1);
    }
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

/* A 2-D tensor as comma-separated rows (numpy.loadtxt(path, delimiter=',')). */
static inline int ex_write_matrix_csv(const char *path, const lc_tensor_t *t)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: cannot write %s: %s\n", ex_prog, path, strerror(errno));
        return -1;
    }
    const int64_t rows = lc_tensor_dim(t, 0), cols = lc_tensor_dim(t, 1);
    const float *v = lc_tensor_data(t);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) fprintf(f, "%.9g%c", v[i * cols + j], j + 1 < cols ? ',' : '\n');
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
        return -1;
    }
    return 0;
}

/* ---------- comparing a generator with a truth ---------- */

/* Cosine correlation of `learned` with the truth or with its transpose,
 * whichever is larger in magnitude (the sign of an antisymmetric truth is a
 * convention); *transposed says which. n × n matrices. */
static inline double ex_generator_corr(const float *learned, const lc_tensor_t *truth, int *transposed)
{
    const int64_t n = lc_tensor_dim(truth, 0);
    const float *t = lc_tensor_data(truth);
    double xy = 0, xyt = 0, xx = 0, yy = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            const double a = learned[i * n + j];
            xy += a * t[i * n + j];
            xyt += a * t[j * n + i];
            xx += a * a;
            yy += (double)t[i * n + j] * t[i * n + j];
        }
    if (xx == 0 || yy == 0) return 0.0;
    const int tr = fabs(xyt) > fabs(xy);
    if (transposed) *transposed = tr;
    return (tr ? xyt : xy) / sqrt(xx * yy);
}

/* ‖(L − Lᵀ)/2‖_F / ‖L‖_F: the share of L that an antisymmetric truth can see
 * (the symmetric part is orthogonal to it); |corr| / share is then the
 * correlation of the antisymmetric part alone. */
static inline double ex_antisym_share(const float *l, int64_t n)
{
    double all = 0, anti = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            const double a = l[i * n + j], h = 0.5 * (a - l[j * n + i]);
            all += a * a;
            anti += h * h;
        }
    return all > 0 ? sqrt(anti / all) : 0.0;
}

/* ‖L·T − T·L‖_F / (‖L‖_F·‖T‖_F) for n × n matrices: 0 when L commutes with
 * the truth T, i.e. L is a function of T (generates transformations that
 * commute with T's), whatever its cosine correlation with T. */
static inline double ex_commutator(const float *l, const lc_tensor_t *truth)
{
    const int n = (int)lc_tensor_dim(truth, 0);
    const float *t = lc_tensor_data(truth);
    float *c = malloc((size_t)n * n * sizeof *c);
    if (!c) return NAN;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, l, n, t, n, 0.0f, c, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, -1.0f, t, n, l, n, 1.0f, c, n);
    double cc = 0, ll = 0, tt = 0;
    for (int64_t k = 0; k < (int64_t)n * n; k++) {
        cc += (double)c[k] * c[k];
        ll += (double)l[k] * l[k];
        tt += (double)t[k] * t[k];
    }
    free(c);
    return ll > 0 && tt > 0 ? sqrt(cc / (ll * tt)) : NAN;
}

/* The least-squares generator of pairs y_k ≈ x_k + w_k·L·x_k (w = NULL: all 1):
 * L = [Σ w_k (y_k − x_k) x_kᵀ]·[Σ w_k² x_k x_kᵀ]⁻¹, samples stored one per
 * row of x and y ([count, n]); in double, solved by Cholesky (LAPACK dposv).
 * Returns 0, or -1 when the Gram matrix is singular (fewer samples than n). */
static inline int ex_least_squares_generator(const float *x, const float *y, const float *w, int64_t count,
                                      int n, float *l)
{
    double *g = calloc((size_t)n * n, sizeof *g), *r = calloc((size_t)n * n, sizeof *r);
    if (!g || !r) {
        free(g);
        free(r);
        return -1;
    }
    for (int64_t k = 0; k < count; k++) {
        const float *xk = x + k * n, *yk = y + k * n;
        const double wk = w ? w[k] : 1.0;
        for (int i = 0; i < n; i++) {
            const double di = wk * ((double)yk[i] - xk[i]), xi = wk * wk * xk[i];
            for (int j = 0; j < n; j++) {
                r[i * n + j] += di * xk[j];
                g[i * n + j] += xi * xk[j];
            }
        }
    }
    /* L·G = R  ⇔  G·Lᵀ = Rᵀ (G symmetric); R row-major is Rᵀ column-major,
     * and the solution Lᵀ column-major is L row-major. */
    int info = 0;
    dposv_("L", &n, &n, g, &n, r, &n, &info);
    for (int i = 0; i < n * n; i++) l[i] = (float)r[i];
    free(g);
    free(r);
    return info == 0 ? 0 : -1;
}

/* ---------- statistics over seeds ---------- */

static inline void ex_mean_std(const double *v, int count, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (int k = 0; k < count; k++) s += v[k];
    *mean = s / count;
    for (int k = 0; k < count; k++) ss += (v[k] - *mean) * (v[k] - *mean);
    *std = count > 1 ? sqrt(ss / (count - 1)) : 0.0;
}

#endif
