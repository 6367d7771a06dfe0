/* test_pointcloud.c — point clouds: .xyz, PCD and PointNet HDF5 readers on real and malformed
 * files, kNN and radius graphs against brute force, block-diagonal batches, pooling per graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "harness.h"
#include "internal.h"

static lc_rng_t rng;

/* ------------------------------------------------------------------ helpers */

/* A scratch file name under TMPDIR (the caller unlinks it). */
static const char *scratch(const char *suffix)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    const char *dir = getenv("TMPDIR");
    snprintf(p, 512, "%s/lc_pc_%ld_%d%s", dir && *dir ? dir : "/tmp", (long)getpid(), next, suffix);
    return p;
}

/* BIMNet10's raw copy: [m][2048][3] little-endian float32 and one label a line. */
static float *read_raw(const char *f32, const char *labels_txt, int64_t *m, int32_t **labels)
{
    *m = 0;
    *labels = NULL;
    FILE *f = fopen(f32, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *x = malloc((size_t)bytes);
    CU_ASSERT_FATAL(fread(x, 1, (size_t)bytes, f) == (size_t)bytes);
    fclose(f);
    *m = bytes / (2048 * 3 * 4);
    *labels = malloc((size_t)*m * sizeof **labels);
    FILE *t = fopen(labels_txt, "r");
    CU_ASSERT_FATAL(t != NULL);
    char line[256];
    int64_t k = 0;
    while (fgets(line, sizeof line, t))
        if (line[0] != '#' && k < *m) (*labels)[k++] = atoi(line);
    fclose(t);
    CU_ASSERT_EQUAL(k, *m);
    return x;
}

/* Brute-force neighbours of point i: the other points ordered by (squared
 * distance in double, index), into order[0 .. n-2]; distances into d2. */
static void brute_order(const float *p, int64_t n, int dim, int64_t i, int64_t *order, double *d2)
{
    int64_t m = 0;
    for (int64_t j = 0; j < n; j++) {
        if (j == i) continue;
        double s = 0;
        for (int c = 0; c < dim; c++) {
            const double d = (double)p[i * dim + c] - (double)p[j * dim + c];
            s += d * d;
        }
        order[m] = j;
        d2[m] = s;
        m++;
    }
    /* insertion sort: n is small, and the order is exactly (d2, j) */
    for (int64_t a = 1; a < m; a++)
        for (int64_t b = a;
             b > 0 && (d2[b] < d2[b - 1] || (d2[b] == d2[b - 1] && order[b] < order[b - 1])); b--) {
            double td = d2[b];
            d2[b] = d2[b - 1], d2[b - 1] = td;
            int64_t tj = order[b];
            order[b] = order[b - 1], order[b - 1] = tj;
        }
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The heads of node i's out-edges in g (sorted, as the graph keeps them) into out; count returned.
 */
static int64_t out_edges(const lc_graph_t *g, int64_t i, int64_t *out)
{
    int64_t c = 0;
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
        if (lc_graph_tails(g)[e] == i) out[c++] = lc_graph_heads(g)[e];
    return c;
}

/* g's edges equal, for every i, the first want[i] of the brute-force order (as a set). */
static void assert_knn_equals_brute(const lc_graph_t *g, const float *p, int64_t n, int dim, int k)
{
    int64_t *order = malloc((size_t)n * sizeof *order), *got = malloc((size_t)n * sizeof *got);
    double *d2 = malloc((size_t)n * sizeof *d2);
    int bad = 0;
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), n * k);
    for (int64_t i = 0; i < n && bad < 5; i++) {
        brute_order(p, n, dim, i, order, d2);
        qsort(order, (size_t)k, sizeof *order, cmp_i64);
        const int64_t c = out_edges(g, i, got);
        if (c != k || memcmp(order, got, (size_t)k * sizeof *got)) {
            bad++;
            fprintf(stderr, "\n  knn: node %lld has %lld edges, first head %lld (brute %lld)\n",
                    (long long)i, (long long)c, c ? (long long)got[0] : -1LL, (long long)order[0]);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(order);
    free(got);
    free(d2);
}

static float *random_points(int64_t n, int dim, float lo, float hi)
{
    float *p = malloc((size_t)(n * dim) * sizeof *p);
    for (int64_t i = 0; i < n * dim; i++)
        p[i] = lo + (hi - lo) * lc_rng_uniform(&rng);
    return p;
}

/* ------------------------------------------------------------------ .xyz */

static void test_xyz_valid(void)
{
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_read_xyz(lc_test_file("pointcloud/valid.xyz"), &t));
    CU_ASSERT_EQUAL(lc_tensor_ndim(t), 2);
    CU_ASSERT_EQUAL(lc_tensor_dim(t, 0), 3);
    CU_ASSERT_EQUAL(lc_tensor_dim(t, 1), 3);
    const float want[9] = {1, 2, 3, -1.5f, 25, -0.0f, 4, 5, 6};
    CU_ASSERT(!memcmp(lc_tensor_data(t), want, sizeof want));
    lc_tensor_free(&t);
}

typedef struct {
    const char *file;
    lc_status status;
    const char *needle;
} bad_file;

static void check_bad(lc_status (*reader)(const char *, lc_tensor_t **), const bad_file *b, int n)
{
    for (int k = 0; k < n; k++) {
        lc_tensor_t *t = NULL;
        const char *path = lc_test_file(b[k].file);
        lc_status st = reader(path, &t);
        if (st != b[k].status || !strstr(lc_last_error(), b[k].needle) ||
            !strstr(lc_last_error(), b[k].file))
            fprintf(stderr, "\n  %s: %s '%s' (expected %s, '%s')\n", b[k].file, lc_status_name(st),
                    lc_last_error(), lc_status_name(b[k].status), b[k].needle);
        CU_ASSERT_EQUAL(st, b[k].status);
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), b[k].needle));
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), b[k].file));
        CU_ASSERT_PTR_NULL(t);
    }
}

static void test_xyz_malformed(void)
{
    static const bad_file bad[] = {
        {"pointcloud/short.xyz", LC_ERR_PARSE, "line 2: 2 fields"},
        {"pointcloud/mixedcols.xyz", LC_ERR_PARSE, "line 2: 4 fields but line 1 has 3"},
        {"pointcloud/nonnumeric.xyz", LC_ERR_PARSE, "line 2: y 'abc' is not a finite number"},
        {"pointcloud/nan.xyz", LC_ERR_PARSE, "line 2: y 'nan'"},
        {"pointcloud/overflow.xyz", LC_ERR_PARSE, "line 2: z '1e39'"},
        {"pointcloud/empty.xyz", LC_ERR_PARSE, "line 3 (end of file): no point"},
        {"pointcloud/nul.xyz", LC_ERR_PARSE, "line 2: contains a NUL byte"},
        {"pointcloud/missing.xyz", LC_ERR_IO, "cannot open"},
    };
    check_bad(lc_read_xyz, bad, (int)(sizeof bad / sizeof bad[0]));
    lc_tensor_t *t = NULL;
    LC_ASSERT_STATUS(lc_read_xyz(NULL, &t), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_read_xyz("x.xyz", NULL), LC_ERR_INVALID_ARG);
}

/* ------------------------------------------------------------------ PCD */

static void test_pcd_valid(void)
{
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_read_pcd(lc_test_file("pointcloud/valid.pcd"), &t));
    /* fields "rgb z y x normal(3)": x is the 4th column; the nan point is dropped */
    CU_ASSERT_EQUAL(lc_tensor_dim(t, 0), 3);
    const float want[9] = {1, 2, 3, 4, 5, 6, -7, -8.5f, -9};
    CU_ASSERT(t && !memcmp(lc_tensor_data(t), want, sizeof want));
    lc_tensor_free(&t);
}

static void test_pcd_malformed(void)
{
    static const bad_file bad[] = {
        {"pointcloud/binary.pcd", LC_ERR_UNSUPPORTED, "line 9: DATA binary is not supported"},
        {"pointcloud/noz.pcd", LC_ERR_PARSE, "line 2: no field 'z'"},
        {"pointcloud/fewer.pcd", LC_ERR_PARSE, "2 points; POINTS says 3"},
        {"pointcloud/more.pcd", LC_ERR_PARSE, "line 11: more points than POINTS 1"},
        {"pointcloud/hugepoints.pcd", LC_ERR_PARSE, "1 points; POINTS says 2147483646"},
        {"pointcloud/widthheight.pcd", LC_ERR_PARSE, "WIDTH 2 x HEIGHT 2 is not POINTS 3"},
        {"pointcloud/repeated.pcd", LC_ERR_PARSE, "line 3: FIELDS given twice"},
        {"pointcloud/order.pcd", LC_ERR_PARSE, "line 4: SIZE after TYPE"},
        {"pointcloud/unknown.pcd", LC_ERR_PARSE, "line 3: unknown header keyword 'COLOUR'"},
        {"pointcloud/sizecount.pcd", LC_ERR_PARSE, "SIZE has 2 entries but FIELDS names 3"},
        {"pointcloud/countx.pcd", LC_ERR_PARSE, "field 'x' has COUNT 2"},
        {"pointcloud/hugecount.pcd", LC_ERR_PARSE, "COUNT of field 4 is '99999999'"},
        {"pointcloud/values.pcd", LC_ERR_PARSE, "line 10: 2 values; the header gives 3"},
        {"pointcloud/badcoord.pcd", LC_ERR_PARSE, "z 'inf' is not a finite number or nan"},
        {"pointcloud/nodata.pcd", LC_ERR_PARSE, "no DATA line"},
        {"pointcloud/allnan.pcd", LC_ERR_PARSE, "every point is nan"},
        {"pointcloud/nopoints.pcd", LC_ERR_PARSE, "no POINTS line"},
        {"pointcloud/badsize.pcd", LC_ERR_PARSE, "SIZE of field 2 is '3'"},
        {"pointcloud/badtype.pcd", LC_ERR_PARSE, "TYPE of field 2 is 'D'"},
        {"pointcloud/dupx.pcd", LC_ERR_PARSE, "field 'x' named twice"},
        {"pointcloud/valid.xyz", LC_ERR_PARSE, "line 3: unknown header keyword '1'"},
    };
    check_bad(lc_read_pcd, bad, (int)(sizeof bad / sizeof bad[0]));
}

/* ------------------------------------------------------------------ real data through all readers
 */

/* BIMNet10 through the HDF5 reader equals the raw float32 copy, labels included. */
static void test_h5_real(void)
{
    static const char *const sets[2] = {"train", "test"};
    static const int64_t counts[2] = {165, 51};
    for (int s = 0; s < 2; s++) {
        char rel[3][128];
        snprintf(rel[0], 128, "pointclouds/bimnet10/bimnet10_%s.h5", sets[s]);
        snprintf(rel[1], 128, "pointclouds/bimnet10/bimnet10_%s.points.f32", sets[s]);
        snprintf(rel[2], 128, "pointclouds/bimnet10/bimnet10_%s.labels.txt", sets[s]);
        const char *h5 = lc_test_data(rel[0]);
        if (!h5) {
            lc_test_skip("no pointclouds/bimnet10 under LCONV_DATA_DIR");
            return;
        }
        char h5path[1024], f32[1024], txt[1024];
        snprintf(h5path, sizeof h5path, "%s", h5);
        snprintf(f32, sizeof f32, "%s", lc_test_data(rel[1]));
        snprintf(txt, sizeof txt, "%s", lc_test_data(rel[2]));
        lc_tensor_t *pts = NULL, *lab = NULL;
        LC_ASSERT_OK(lc_read_pointnet_h5(h5path, &pts, &lab));
        int64_t m;
        int32_t *labels;
        float *raw = read_raw(f32, txt, &m, &labels);
        CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
        CU_ASSERT_EQUAL_FATAL(m, counts[s]);
        CU_ASSERT_EQUAL(lc_tensor_dim(pts, 0), m);
        CU_ASSERT_EQUAL(lc_tensor_dim(pts, 1), 2048);
        CU_ASSERT_EQUAL(lc_tensor_dim(pts, 2), 3);
        CU_ASSERT_EQUAL(lc_tensor_numel(lab), m);
        CU_ASSERT(!memcmp(lc_tensor_data(pts), raw, (size_t)(m * 2048 * 3) * sizeof(float)));
        int wrong = 0, classes[10] = {0};
        for (int64_t i = 0; i < m; i++) {
            wrong += lc_tensor_data(lab)[i] != (float)labels[i];
            if (labels[i] >= 0 && labels[i] < 10) classes[labels[i]]++;
        }
        CU_ASSERT_EQUAL(wrong, 0);
        for (int c = 0; c < 10; c++)
            CU_ASSERT(classes[c] > 0);
        /* points only */
        lc_tensor_t *pts2 = NULL;
        LC_ASSERT_OK(lc_read_pointnet_h5(h5path, &pts2, NULL));
        CU_ASSERT(!memcmp(lc_tensor_data(pts2), raw, (size_t)(m * 2048 * 3) * sizeof(float)));
        lc_tensor_free(&pts2);

        if (s == 0) {
            /* the first cloud written as .xyz and as PCD reads back bit for bit */
            const char *xyz = scratch(".xyz"), *pcd = scratch(".pcd");
            FILE *fx = fopen(xyz, "w"), *fp = fopen(pcd, "w");
            fprintf(fp, "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\n"
                        "COUNT 1 1 1\nWIDTH 2048\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\n"
                        "POINTS 2048\nDATA ascii\n");
            for (int v = 0; v < 2048; v++) {
                const float *q = raw + 3 * v;
                fprintf(fx, "%.9g %.9g %.9g\n", q[0], q[1], q[2]);
                fprintf(fp, "%.9g %.9g %.9g\n", q[0], q[1], q[2]);
            }
            fclose(fx);
            fclose(fp);
            lc_tensor_t *a = NULL, *b = NULL;
            LC_ASSERT_OK(lc_read_xyz(xyz, &a));
            LC_ASSERT_OK(lc_read_pcd(pcd, &b));
            CU_ASSERT(a && lc_tensor_dim(a, 0) == 2048 &&
                      !memcmp(lc_tensor_data(a), raw, 2048 * 12));
            CU_ASSERT(b && lc_tensor_dim(b, 0) == 2048 &&
                      !memcmp(lc_tensor_data(b), raw, 2048 * 12));
            lc_tensor_free(&a);
            lc_tensor_free(&b);
            unlink(xyz);
            unlink(pcd);

            /* a truncated copy of the real file is refused, not misread */
            FILE *in = fopen(h5path, "rb");
            const char *cut = scratch(".h5");
            FILE *out = fopen(cut, "wb");
            char *buf = malloc(200000);
            size_t got = fread(buf, 1, 200000, in);
            fwrite(buf, 1, got, out);
            fclose(in);
            fclose(out);
            free(buf);
            lc_tensor_t *t = NULL;
            lc_status st = lc_read_pointnet_h5(cut, &t, NULL);
            CU_ASSERT(st == LC_ERR_PARSE);
            CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), cut));
            CU_ASSERT_PTR_NULL(t);
            unlink(cut);
        }
        free(raw);
        free(labels);
        lc_tensor_free(&pts);
        lc_tensor_free(&lab);
    }
}

/* ------------------------------------------------------------------ HDF5 */

/* Write an HDF5 file with dataset "data" (type, rank, dims, values) and, when
 * label_rank > 0, "label" (type, rank, dims, values). */
static void write_h5(const char *path, hid_t dtype, int rank, const hsize_t *dims, const void *data,
                     hid_t ltype, int label_rank, const hsize_t *ldims, const void *labels)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, "data", dtype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (data) H5Dwrite(d, dtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(s);
    if (label_rank > 0) {
        s = H5Screate_simple(label_rank, ldims, NULL);
        d = H5Dcreate2(f, "label", ltype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (labels) H5Dwrite(d, ltype, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels);
        H5Dclose(d);
        H5Sclose(s);
    }
    H5Fclose(f);
}

static lc_status read_h5(const char *path, lc_tensor_t **p, lc_tensor_t **l)
{
    *p = NULL;
    if (l) *l = NULL;
    lc_status st = lc_read_pointnet_h5(path, p, l);
    if (st != LC_OK) {
        CU_ASSERT_PTR_NULL(*p);
        if (l) CU_ASSERT_PTR_NULL(*l);
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), path));
    }
    return st;
}

static void test_h5_made(void)
{
    const char *path = scratch(".h5");
    float pts[2 * 4 * 3];
    for (int i = 0; i < 24; i++)
        pts[i] = (float)i - 5.5f;
    const hsize_t d3[3] = {2, 4, 3}, d1[1] = {2}, d2[2] = {2, 1}, d3b[3] = {2, 4, 4};
    const int16_t lab16[2] = {7, 0};
    const uint64_t lab64[2] = {1, 3};
    lc_tensor_t *p = NULL, *l = NULL;

    /* valid: float32 points, int16 labels [M] */
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, pts, H5T_NATIVE_INT16, 1, d1, lab16);
    LC_ASSERT_OK(read_h5(path, &p, &l));
    CU_ASSERT(p && !memcmp(lc_tensor_data(p), pts, sizeof pts));
    CU_ASSERT(l && lc_tensor_data(l)[0] == 7 && lc_tensor_data(l)[1] == 0);
    lc_tensor_free(&p);
    lc_tensor_free(&l);
    /* valid: float64 points, uint64 labels [M, 1] (PointNet's ModelNet files) */
    double pd[24];
    for (int i = 0; i < 24; i++)
        pd[i] = pts[i];
    write_h5(path, H5T_NATIVE_DOUBLE, 3, d3, pd, H5T_NATIVE_UINT64, 2, d2, lab64);
    LC_ASSERT_OK(read_h5(path, &p, &l));
    CU_ASSERT(p && !memcmp(lc_tensor_data(p), pts, sizeof pts));
    CU_ASSERT(l && lc_tensor_data(l)[0] == 1 && lc_tensor_data(l)[1] == 3);
    lc_tensor_free(&p);
    lc_tensor_free(&l);

    /* malformed */
    float wide[2 * 4 * 4] = {0};
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3b, wide, H5T_NATIVE_INT16, 1, d1, lab16);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("last dimension other than 3");
    write_h5(path, H5T_NATIVE_FLOAT, 2, d3, pts, H5T_NATIVE_INT16, 1, d1, lab16);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("expected M x N x 3");
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, NULL, H5T_NATIVE_INT16, 1, d1, lab16);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("dataset 'data' has no stored values");
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, pts, H5T_NATIVE_INT16, 0, NULL, NULL);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("no dataset 'label'");
    LC_ASSERT_OK(read_h5(path, &p, NULL)); /* points only: no label needed */
    lc_tensor_free(&p);
    const hsize_t d1b[1] = {3};
    const int16_t lab3[3] = {1, 2, 3};
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, pts, H5T_NATIVE_INT16, 1, d1b, lab3);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("dataset 'label' is 3; expected 2");
    const int16_t neg[2] = {1, -1};
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, pts, H5T_NATIVE_INT16, 1, d1, neg);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("dataset 'label' [1] is -1");
    const float flab[2] = {1, 2};
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, pts, H5T_NATIVE_FLOAT, 1, d1, flab);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("dataset 'label' holds floats, not integers");
    float nanpts[24];
    memcpy(nanpts, pts, sizeof pts);
    nanpts[3 * 5 + 1] = NAN; /* cloud 1, point 1, y */
    write_h5(path, H5T_NATIVE_FLOAT, 3, d3, nanpts, H5T_NATIVE_INT16, 1, d1, lab16);
    LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("[1][1][1] is nan");
    /* a hostile header: 2^20 x 2^20 x 3 declared (chunked, nothing stored) */
    {
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        const hsize_t big[3] = {1 << 20, 1 << 20, 3}, chunk[3] = {1, 16, 3};
        hid_t s = H5Screate_simple(3, big, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(pl, 3, chunk);
        hid_t d = H5Dcreate2(f, "data", H5T_NATIVE_FLOAT, s, H5P_DEFAULT, pl, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, NULL); /* nothing */
        H5Dclose(d);
        H5Pclose(pl);
        H5Sclose(s);
        H5Fclose(f);
        LC_ASSERT_STATUS(read_h5(path, &p, &l), LC_ERR_PARSE);
        LC_ASSERT_ERROR_HAS("no stored values");
    }
    unlink(path);
    LC_ASSERT_STATUS(read_h5(lc_test_file("pointcloud/text.h5"), &p, &l), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("not an HDF5 file");
    LC_ASSERT_STATUS(read_h5(lc_test_file("pointcloud/missing.h5"), &p, &l), LC_ERR_IO);
    LC_ASSERT_STATUS(read_h5(lc_test_file("pointcloud"), &p, &l), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("not a regular file");
}

/* ------------------------------------------------------------------ kNN and radius graphs */

static void test_knn_brute(void)
{
    /* random points in 3-D, in 2-D with many duplicates, and on an integer
     * lattice (every distance tied many times), for several k */
    const int64_t n = 150;
    float *p3 = random_points(n, 3, -1, 1);
    float *dup = random_points(n, 2, 0, 1);
    for (int64_t i = 50; i < n; i++) /* points 50.. repeat points 0..49 */
        memcpy(dup + 2 * i, dup + 2 * (i % 50), 2 * sizeof *dup);
    float *grid = malloc((size_t)n * 3 * sizeof *grid);
    for (int64_t i = 0; i < n; i++)
        grid[3 * i] = (float)(i % 5), grid[3 * i + 1] = (float)(i / 5 % 6),
                 grid[3 * i + 2] = (float)(i / 30);
    const struct {
        const float *p;
        int dim;
    } sets[3] = {{p3, 3}, {dup, 2}, {grid, 3}};
    const int ks[4] = {1, 4, 16, 149};
    for (int s = 0; s < 3; s++)
        for (int a = 0; a < 4; a++) {
            lc_graph_t *g = NULL;
            LC_ASSERT_OK(lc_graph_knn(&g, n, sets[s].dim, sets[s].p, ks[a], 0));
            assert_knn_equals_brute(g, sets[s].p, n, sets[s].dim, ks[a]);
            int dim = 0;
            const float *pos = lc_graph_positions(g, &dim);
            CU_ASSERT(dim == sets[s].dim && pos &&
                      !memcmp(pos, sets[s].p, (size_t)(n * dim) * sizeof *pos));
            /* the same input gives the same graph */
            lc_graph_t *g2 = NULL;
            LC_ASSERT_OK(lc_graph_knn(&g2, n, sets[s].dim, sets[s].p, ks[a], 0));
            CU_ASSERT(!memcmp(lc_graph_heads(g), lc_graph_heads(g2),
                              (size_t)lc_graph_num_edges(g) * sizeof(int64_t)));
            lc_graph_free(&g2);
            lc_graph_free(&g);
        }
    /* coordinates whose squared distances overflow float (FLANN searches a
     * scaled copy) or underflow it (ties everywhere for FLANN): still exact */
    float *big = random_points(n, 3, -1, 1), *tiny = random_points(n, 3, -1, 1);
    for (int64_t i = 0; i < 3 * n; i++)
        big[i] *= 1e30f, tiny[i] *= 1e-30f;
    big[5] = 3e38f;
    for (int a = 0; a < 3; a++) {
        lc_graph_t *gb = NULL, *gt = NULL;
        LC_ASSERT_OK(lc_graph_knn(&gb, n, 3, big, ks[a], 0));
        assert_knn_equals_brute(gb, big, n, 3, ks[a]);
        LC_ASSERT_OK(lc_graph_knn(&gt, n, 3, tiny, ks[a], 0));
        assert_knn_equals_brute(gt, tiny, n, 3, ks[a]);
        lc_graph_free(&gb);
        lc_graph_free(&gt);
    }
    free(big);
    free(tiny);
    /* symmetrised and binary: the union of both directions, weight 1 */
    lc_graph_t *g = NULL, *gs = NULL;
    LC_ASSERT_OK(lc_graph_knn(&g, n, 3, grid, 6, 0));
    LC_ASSERT_OK(lc_graph_knn(&gs, n, 3, grid, 6, LC_GRAPH_SYMMETRIZE | LC_GRAPH_BINARY));
    lc_test_assert_simple_undirected(gs);
    lc_test_pair *pairs = malloc((size_t)lc_graph_num_edges(g) * sizeof *pairs);
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        const int64_t t = lc_graph_tails(g)[e], h = lc_graph_heads(g)[e];
        pairs[e].a = t < h ? t : h, pairs[e].b = t < h ? h : t;
    }
    CU_ASSERT_EQUAL(lc_graph_num_edges(gs),
                    2 * lc_test_distinct_pairs(pairs, lc_graph_num_edges(g)));
    free(pairs);
    lc_graph_free(&g);
    lc_graph_free(&gs);
    /* high dimension: no positions (lc_graph_set_positions takes up to 16) */
    float *p20 = random_points(60, 20, 0, 1);
    LC_ASSERT_OK(lc_graph_knn(&g, 60, 20, p20, 5, 0));
    assert_knn_equals_brute(g, p20, 60, 20, 5);
    int dim = -1;
    CU_ASSERT_PTR_NULL(lc_graph_positions(g, &dim));
    lc_graph_free(&g);
    free(p20);

    /* errors */
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 3, p3, (int)n, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("k = 150 not in [1, n - 1] = [1, 149]");
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 3, p3, 0, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_knn(&g, 1, 3, p3, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 0, p3, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 3, NULL, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 3, p3, 1, LC_GRAPH_DROP_SELF_LOOPS), LC_ERR_INVALID_ARG);
    p3[3 * 7 + 2] = NAN;
    LC_ASSERT_STATUS(lc_graph_knn(&g, n, 3, p3, 2, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("point 7 coordinate 2 is nan");
    CU_ASSERT_PTR_NULL(g);
    free(p3);
    free(dup);
    free(grid);
}

static void test_radius_brute(void)
{
    const int64_t n = 120;
    float *p = random_points(n, 3, 0, 1);
    float *grid = malloc((size_t)n * 2 * sizeof *grid), *big = malloc((size_t)n * 3 * sizeof *big);
    for (int64_t i = 0; i < n; i++)
        grid[2 * i] = (float)(i % 10), grid[2 * i + 1] = (float)(i / 10);
    for (int64_t i = 0; i < 3 * n; i++)
        big[i] = p[i] * 1e30f;
    const struct {
        const float *p;
        int dim;
        float r;
    } sets[6] = {{p, 3, 0.25f},   {p, 3, 0.0f},  {grid, 2, 1.0f},
                 {grid, 2, 1.5f}, {p, 3, 10.0f}, {big, 3, 0.25e30f}};
    int64_t *order = malloc((size_t)n * sizeof *order), *got = malloc((size_t)n * sizeof *got);
    double *d2 = malloc((size_t)n * sizeof *d2);
    for (int s = 0; s < 6; s++) /* 4: every point within, more than the first buffer; 5: huge */
        for (int cap = 0; cap <= 3; cap += 3) {
            lc_graph_t *g = NULL;
            LC_ASSERT_OK(lc_graph_radius(&g, n, sets[s].dim, sets[s].p, sets[s].r, cap, 0));
            int bad = 0;
            int64_t total = 0;
            for (int64_t i = 0; i < n; i++) {
                brute_order(sets[s].p, n, sets[s].dim, i, order, d2);
                int64_t want = 0;
                const double r2 = (double)sets[s].r * sets[s].r;
                while (want < n - 1 && d2[want] <= r2)
                    want++;
                if (cap && want > cap) want = cap;
                qsort(order, (size_t)want, sizeof *order, cmp_i64);
                const int64_t c = out_edges(g, i, got);
                bad += c != want || memcmp(order, got, (size_t)want * sizeof *got);
                total += want;
            }
            CU_ASSERT_EQUAL(bad, 0);
            CU_ASSERT_EQUAL(lc_graph_num_edges(g), total);
            if (s == 2) CU_ASSERT(total > 0); /* the lattice's unit distances are included */
            lc_graph_free(&g);
        }
    lc_graph_t *g = NULL;
    LC_ASSERT_STATUS(lc_graph_radius(&g, n, 3, p, -1.0f, 0, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_radius(&g, n, 3, p, INFINITY, 0, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_radius(&g, n, 3, p, 1.0f, -1, 0), LC_ERR_INVALID_ARG);
    free(order);
    free(got);
    free(d2);
    free(p);
    free(grid);
    free(big);
}

/* ------------------------------------------------------------------ batches and pooling */

enum { N_CLOUDS = 3 };

/* Three small clouds of different sizes, their kNN graphs, and their batch. */
typedef struct {
    int64_t n[N_CLOUDS], total;
    float *pts[N_CLOUDS];
    lc_graph_t *g[N_CLOUDS], *batch;
    int32_t *graph_of;
} clouds;

static void make_clouds(clouds *c)
{
    memset(c, 0, sizeof *c);
    const int64_t sizes[N_CLOUDS] = {30, 17, 41};
    for (int k = 0; k < N_CLOUDS; k++) {
        c->n[k] = sizes[k];
        c->pts[k] = random_points(sizes[k], 3, -1, 1);
        LC_ASSERT_OK(lc_graph_knn(&c->g[k], sizes[k], 3, c->pts[k], 5, 0));
        c->total += sizes[k];
    }
    c->graph_of = malloc((size_t)c->total * sizeof *c->graph_of);
    LC_ASSERT_OK(lc_graph_batch(&c->batch, N_CLOUDS, (const lc_graph_t *const *)c->g, c->graph_of));
}

static void free_clouds(clouds *c)
{
    for (int k = 0; k < N_CLOUDS; k++) {
        free(c->pts[k]);
        lc_graph_free(&c->g[k]);
    }
    lc_graph_free(&c->batch);
    free(c->graph_of);
}

static void test_batch_structure(void)
{
    clouds c;
    make_clouds(&c);
    const lc_graph_t *b = c.batch;
    CU_ASSERT_EQUAL(lc_graph_num_nodes(b), c.total);
    int64_t off = 0, e0 = 0, bad = 0;
    int dim = 0;
    const float *pos = lc_graph_positions(b, &dim);
    CU_ASSERT_EQUAL_FATAL(dim, 3);
    for (int k = 0; k < N_CLOUDS; k++) {
        const lc_graph_t *g = c.g[k];
        for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
            bad += lc_graph_tails(b)[e0 + e] != lc_graph_tails(g)[e] + off ||
                   lc_graph_heads(b)[e0 + e] != lc_graph_heads(g)[e] + off ||
                   lc_graph_weights(b)[e0 + e] != lc_graph_weights(g)[e];
        for (int64_t v = 0; v < c.n[k]; v++)
            bad += c.graph_of[off + v] != k;
        bad += memcmp(pos + 3 * off, c.pts[k], (size_t)c.n[k] * 12) != 0;
        off += c.n[k];
        e0 += lc_graph_num_edges(g);
    }
    CU_ASSERT_EQUAL(e0, lc_graph_num_edges(b));
    CU_ASSERT_EQUAL(bad, 0);
    /* graph_of may be NULL; positions on some graphs only are refused */
    lc_graph_t *b2 = NULL, *bare = NULL;
    LC_ASSERT_OK(lc_graph_batch(&b2, 1, (const lc_graph_t *const *)c.g, NULL));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(b2), c.n[0]);
    lc_graph_free(&b2);
    const int64_t t[2] = {0, 1}, h[2] = {1, 0};
    LC_ASSERT_OK(lc_graph_from_edges(&bare, 2, 2, t, h, NULL, 0));
    const lc_graph_t *mixed[2] = {c.g[0], bare};
    LC_ASSERT_STATUS(lc_graph_batch(&b2, 2, mixed, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("graph 1 has positions of dimension 0 but graph 0 has 3");
    const lc_graph_t *none[2] = {c.g[0], NULL};
    LC_ASSERT_STATUS(lc_graph_batch(&b2, 2, none, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_batch(&b2, 0, mixed, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(b2);
    lc_graph_free(&bare);
    free_clouds(&c);
}

/* A GCN layer, a shared-generator L-conv term (edge vectors head − tail) and
 * max/mean/sum pooling per graph: on the batch (pooled with graph_of) and on
 * every graph alone, with the same weights; returns the pooled [rows, f]
 * values of `kind` (malloc'd). */
static float *forward_pool(lc_graph_t *g, const float *x, int64_t n, const int32_t *graph_of,
                           int64_t n_graphs, lc_pool_kind kind, const lc_tensor_t *w,
                           const lc_tensor_t *eps)
{
    const int64_t c = lc_tensor_dim(w, 0), f = lc_tensor_dim(w, 1), m = lc_graph_num_edges(g);
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *xt = NULL, *et = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&xt, n, c));
    memcpy(lc_tensor_data(xt), x, (size_t)(n * c) * sizeof(float));
    LC_ASSERT_OK(lc_tensor_new2(&et, m, 3));
    int dim;
    const float *pos = lc_graph_positions(g, &dim);
    for (int64_t e = 0; e < m; e++)
        for (int a = 0; a < 3; a++)
            lc_tensor_data(et)[3 * e + a] =
                pos[3 * lc_graph_heads(g)[e] + a] - pos[3 * lc_graph_tails(g)[e] + a];
    const lc_csr_t *a_hat;
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &a_hat));
    lc_node xn, wn, en, epsn, xw, h, r, we, lc, sum, pooled, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, xt, &xn));
    LC_ASSERT_OK(lc_cg_constant(cg, et, &en));
    LC_ASSERT_OK(lc_cg_parameter(cg, w, "w", &wn));
    LC_ASSERT_OK(lc_cg_parameter(cg, eps, "eps", &epsn));
    LC_ASSERT_OK(lc_cg_matmul(cg, xn, wn, &xw));
    LC_ASSERT_OK(lc_cg_spmm(cg, a_hat, xw, &h));
    LC_ASSERT_OK(lc_cg_matmul(cg, en, epsn, &we));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, g, xw, we, LC_LCONV_VECTOR_FIELD, &lc));
    LC_ASSERT_OK(lc_cg_add(cg, h, lc, &sum));
    LC_ASSERT_OK(lc_cg_relu(cg, sum, &r));
    LC_ASSERT_OK(lc_cg_pool(cg, r, kind, graph_of, n_graphs, &pooled));
    LC_ASSERT_OK(lc_cg_sum(cg, pooled, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const lc_tensor_t *out = lc_cg_value(cg, pooled);
    CU_ASSERT_EQUAL(lc_tensor_numel(out), (graph_of ? n_graphs : 1) * f);
    float *res = malloc((size_t)lc_tensor_numel(out) * sizeof *res);
    memcpy(res, lc_tensor_data(out), (size_t)lc_tensor_numel(out) * sizeof *res);
    lc_cg_free(&cg);
    lc_tensor_free(&xt);
    lc_tensor_free(&et);
    return res;
}

static void test_batch_equals_separate(void)
{
    clouds c;
    make_clouds(&c);
    const int64_t ch = 4, f = 6;
    float *x = random_points(c.total, (int)ch, -1, 1);
    lc_tensor_t *w = NULL, *eps = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&w, ch, f));
    LC_ASSERT_OK(lc_tensor_new2(&eps, 3, f / 3)); /* p = 2 generators of width 3: eps [3, 2] */
    lc_tensor_free(&eps);
    LC_ASSERT_OK(lc_tensor_new2(&eps, 3, 1));
    LC_ASSERT_OK(lc_init_glorot(w, &rng));
    LC_ASSERT_OK(lc_init_glorot(eps, &rng));
    for (int kind = LC_POOL_SUM; kind <= LC_POOL_MAX; kind++) {
        float *all =
            forward_pool(c.batch, x, c.total, c.graph_of, N_CLOUDS, (lc_pool_kind)kind, w, eps);
        int64_t off = 0;
        double worst = 0;
        for (int k = 0; k < N_CLOUDS; k++) {
            float *one =
                forward_pool(c.g[k], x + off * ch, c.n[k], NULL, 1, (lc_pool_kind)kind, w, eps);
            for (int64_t j = 0; j < f; j++) {
                const double d = fabs((double)one[j] - all[k * f + j]);
                worst = d > worst ? d : worst;
            }
            free(one);
            off += c.n[k];
        }
        if (worst > 1e-5)
            fprintf(stderr, "\n  pool %d: batch vs separate differ by %g\n", kind, worst);
        CU_ASSERT(worst <= 1e-5);
        free(all);
    }
    free(x);
    lc_tensor_free(&w);
    lc_tensor_free(&eps);
    free_clouds(&c);
}

/* Pooling with the batch index: against a naive loop, and its gradient. */
static void test_pool_graph_of(void)
{
    clouds c;
    make_clouds(&c);
    const int64_t f = 3;
    lc_tensor_t *x = NULL;
    const int64_t shape[2] = {c.total, f};
    LC_ASSERT_OK(lc_tensor_new(&x, 2, shape));
    /* distinct values at least 2/(n·f) apart, so that a step of 1e-3 never
     * changes which node is the maximum */
    for (int64_t i = 0; i < c.total * f; i++)
        lc_tensor_data(x)[i] = 2.0f * (float)((i * 37) % (c.total * f)) / (float)(c.total * f) - 1;
    for (int kind = LC_POOL_SUM; kind <= LC_POOL_MAX; kind++) {
        lc_cgraph_t *cg = NULL;
        lc_node xn, p, loss;
        lc_tensor_t *target = NULL;
        LC_ASSERT_OK(lc_cg_new(&cg, 3));
        LC_ASSERT_OK(lc_cg_parameter(cg, x, "x", &xn));
        LC_ASSERT_OK(lc_cg_pool(cg, xn, (lc_pool_kind)kind, c.graph_of, N_CLOUDS, &p));
        loss = lc_test_mse_loss(cg, &rng, p, &target);
        LC_ASSERT_OK(lc_cg_compile(cg, loss));
        LC_ASSERT_OK(lc_cg_forward(cg, 0));
        const float *got = lc_tensor_data(lc_cg_value(cg, p));
        int bad = 0;
        for (int k = 0; k < N_CLOUDS; k++)
            for (int64_t j = 0; j < f; j++) {
                double s = 0, mx = -INFINITY;
                int64_t cnt = 0;
                for (int64_t v = 0; v < c.total; v++)
                    if (c.graph_of[v] == k) {
                        const double val = lc_tensor_data(x)[v * f + j];
                        s += val;
                        mx = val > mx ? val : mx;
                        cnt++;
                    }
                const double want = kind == LC_POOL_SUM ? s : kind == LC_POOL_MEAN ? s / cnt : mx;
                bad += fabs(want - got[k * f + j]) > 1e-5;
            }
        CU_ASSERT_EQUAL(bad, 0);
        lc_test_grad_opts o = {.h = 1e-3f, .tol = 2e-2f};
        CU_ASSERT(lc_test_gradcheck(cg, &o) > 0);
        lc_cg_free(&cg);
        lc_tensor_free(&target);
    }
    lc_tensor_free(&x);
    free_clouds(&c);
}

int main(void)
{
    lc_rng_seed(&rng, 20261127);
    static const lc_test_case cases[] = {
        {"xyz: valid file", test_xyz_valid},
        {"xyz: malformed files", test_xyz_malformed},
        {"pcd: valid file (field order, COUNT, nan point)", test_pcd_valid},
        {"pcd: malformed files", test_pcd_malformed},
        {"hdf5: BIMNet10 equals its raw copy; xyz/pcd round trip", test_h5_real},
        {"hdf5: made and malformed files", test_h5_made},
        {"knn graph equals brute force (ties, duplicates)", test_knn_brute},
        {"radius graph equals brute force", test_radius_brute},
        {"batch: structure, positions, graph index", test_batch_structure},
        {"batch: GCN + L-conv + pool equals separate runs", test_batch_equals_separate},
        {"pool with graph index: naive and gradient", test_pool_graph_of},
        {NULL, NULL}};
    return lc_test_main("pointcloud", cases);
}
