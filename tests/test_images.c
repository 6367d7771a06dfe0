/* test_images.c — image I/O: the IDX reader (real MNIST files, every type, every malformed file)
 * and the PNG heatmap writer (pixels read back with libpng, argument and I/O errors). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <zlib.h>

#include "harness.h"

/* ------------------------------------------------------------------ helpers */

static char tmp_dir[256];

static void make_tmp_dir(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/lc_images_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp_dir));
}

static void remove_tmp_dir(void)
{
    CU_ASSERT_EQUAL(rmdir(tmp_dir), 0);
}

static const char *tmp_path(const char *name)
{
    return lc_test_path_in(tmp_dir, name);
}

/* data[0..n) to path, through zlib's gzip writer when gz. */
static void write_file(const char *path, const void *data, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb9");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(gzwrite(f, data, (unsigned)n), (int)n);
        CU_ASSERT_EQUAL(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fwrite(data, 1, n, f), n);
        CU_ASSERT_EQUAL(fclose(f), 0);
    }
}

/* An IDX header into b; returns its length. */
static size_t idx_header(uint8_t *b, uint8_t type, int nd, const int64_t *dims)
{
    b[0] = b[1] = 0;
    b[2] = type;
    b[3] = (uint8_t)nd;
    for (int k = 0; k < nd; k++)
        for (int j = 0; j < 4; j++)
            b[4 + 4 * k + j] = (uint8_t)((uint64_t)dims[k] >> (24 - 8 * j));
    return 4 + 4 * (size_t)nd;
}

static void put_be(uint8_t *b, uint64_t v, int size)
{
    for (int j = 0; j < size; j++)
        b[j] = (uint8_t)(v >> (8 * (size - 1 - j)));
}

/* ------------------------------------------------------------------ IDX: real files */

static int64_t label_histogram(const lc_tensor_t *labels, int64_t *hist)
{
    memset(hist, 0, 10 * sizeof *hist);
    int64_t bad = 0;
    const float *y = lc_tensor_data(labels);
    for (int64_t i = 0; i < lc_tensor_numel(labels); i++) {
        if (y[i] >= 0 && y[i] <= 9 && y[i] == floorf(y[i]))
            hist[(int)y[i]]++;
        else
            bad++;
    }
    return bad;
}

/* Pixels: integers in 0..255 (unscaled), the extremes present; their sum in *sum. */
static void check_pixels(const lc_tensor_t *images, double *sum)
{
    const float *x = lc_tensor_data(images);
    float lo = 255, hi = 0;
    int64_t not_int = 0;
    double s = 0;
    for (int64_t i = 0; i < lc_tensor_numel(images); i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        not_int += x[i] != floorf(x[i]);
        s += x[i];
    }
    CU_ASSERT_EQUAL(lo, 0.0f);
    CU_ASSERT_EQUAL(hi, 255.0f);
    CU_ASSERT_EQUAL(not_int, 0);
    *sum = s;
}

static void check_image_shape(const lc_tensor_t *images, int64_t n)
{
    CU_ASSERT_EQUAL(lc_tensor_ndim(images), 3);
    CU_ASSERT_EQUAL(lc_tensor_dim(images, 0), n);
    CU_ASSERT_EQUAL(lc_tensor_dim(images, 1), 28);
    CU_ASSERT_EQUAL(lc_tensor_dim(images, 2), 28);
}

static void test_mnist(void)
{
    const char *images_p = lc_test_data("mnist-test/t10k-images-idx3-ubyte.gz");
    const char *labels_p = lc_test_data("mnist-test/t10k-labels-idx1-ubyte.gz");
    if (!images_p || !labels_p) {
        lc_test_skip("MNIST test set: ../shared/data/mnist-test absent (LCONV_DATA_DIR)");
        return;
    }
    char labels_path[4096];
    snprintf(labels_path, sizeof labels_path, "%s", labels_p);
    lc_tensor_t *images = NULL, *labels = NULL;
    LC_ASSERT_OK(lc_read_idx(images_p, &images));
    LC_ASSERT_OK(lc_read_idx(labels_path, &labels));
    check_image_shape(images, 10000);
    CU_ASSERT_EQUAL(lc_tensor_ndim(labels), 1);
    CU_ASSERT_EQUAL_FATAL(lc_tensor_dim(labels, 0), 10000);
    const float *y = lc_tensor_data(labels);
    CU_ASSERT(y[0] == 7 && y[1] == 2 && y[2] == 1 && y[3] == 0 && y[4] == 4);
    /* the MNIST test set's class counts */
    static const int64_t counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int64_t hist[10], total = 0;
    CU_ASSERT_EQUAL(label_histogram(labels, hist), 0);
    for (int c = 0; c < 10; c++) {
        CU_ASSERT_EQUAL(hist[c], counts[c]);
        total += hist[c];
    }
    CU_ASSERT_EQUAL(total, 10000);
    double sum;
    check_pixels(images, &sum);
    CU_ASSERT_EQUAL(sum, 264923200.0); /* mean 33.79, as computed from the raw bytes */
    /* the first digit (a 7): 18454 in all, blank corners */
    double first = 0;
    for (int i = 0; i < 784; i++)
        first += lc_tensor_data(images)[i];
    CU_ASSERT_EQUAL(first, 18454.0);
    CU_ASSERT_EQUAL(lc_tensor_data(images)[0], 0.0f);
    lc_tensor_free(&images);
    lc_tensor_free(&labels);
}

/* Fashion-MNIST from Debian's dataset-fashion-mnist (or LCONV_FASHION_DIR). */
static void test_fashion_mnist(void)
{
    const char *dir = getenv("LCONV_FASHION_DIR");
    if (!dir || !*dir) dir = "/usr/share/datasets/fashion-mnist";
    char images_p[4096], labels_p[4096];
    snprintf(images_p, sizeof images_p, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(labels_p, sizeof labels_p, "%s/train-labels-idx1-ubyte.gz", dir);
    if (access(images_p, R_OK) != 0 || access(labels_p, R_OK) != 0) {
        char why[4200];
        snprintf(why, sizeof why,
                 "Fashion-MNIST: %s absent (apt-get install dataset-fashion-mnist, or set "
                 "LCONV_FASHION_DIR)",
                 images_p);
        lc_test_skip(why);
        return;
    }
    lc_tensor_t *images = NULL, *labels = NULL;
    LC_ASSERT_OK(lc_read_idx(images_p, &images));
    LC_ASSERT_OK(lc_read_idx(labels_p, &labels));
    check_image_shape(images, 60000);
    CU_ASSERT_EQUAL_FATAL(lc_tensor_numel(labels), 60000);
    const float *y = lc_tensor_data(labels);
    CU_ASSERT(y[0] == 9 && y[1] == 0 && y[2] == 0 && y[3] == 3); /* ankle boot, T-shirts, dress */
    int64_t hist[10];
    CU_ASSERT_EQUAL(label_histogram(labels, hist), 0);
    for (int c = 0; c < 10; c++)
        CU_ASSERT_EQUAL(hist[c], 6000); /* balanced classes */
    double sum;
    check_pixels(images, &sum);
    CU_ASSERT_EQUAL(sum, 3431114169.0);
    lc_tensor_free(&images);
    lc_tensor_free(&labels);
}

/* ------------------------------------------------------------------ IDX: every type */

typedef struct {
    uint8_t code;
    int size;
    int nd;
    int64_t dims[4];
    uint64_t raw[6]; /* the six elements as stored (the low `size` bytes, big-endian) */
    float expect[6]; /* as read */
} type_case;

static uint64_t bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint64_t bits_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static void test_idx_types(void)
{
    const type_case cases[] = {
        {0x08, 1, 1, {6}, {0, 1, 127, 128, 254, 255}, {0, 1, 127, 128, 254, 255}},
        {0x09, 1, 2, {2, 3}, {0x80, 0xFF, 0, 1, 100, 127}, {-128, -1, 0, 1, 100, 127}},
        {0x0B, 2, 2, {3, 2}, {0x8000, 0xFFFF, 0, 1, 300, 0x7FFF}, {-32768, -1, 0, 1, 300, 32767}},
        {0x0C,
         4,
         3,
         {1, 2, 3},
         {0x80000000u, 0xFFFFFFFFu, 0, 1, 16777216, 0x7FFFFFFF},
         {-2147483648.0f, -1, 0, 1, 16777216.0f, 2147483648.0f}},
        {0x0D,
         4,
         4,
         {1, 1, 2, 3},
         {bits_f32(-0.5f), bits_f32(1e30f), bits_f32(-1e-30f), 0, bits_f32(INFINITY),
          bits_f32(NAN)},
         {-0.5f, 1e30f, -1e-30f, 0, INFINITY, NAN}},
        {0x0E,
         8,
         2,
         {6, 1},
         {bits_f64(0.1), bits_f64(-2.5), bits_f64(1e300), bits_f64(-1e-300), bits_f64(3.0),
          bits_f64(NAN)},
         {0.1f, -2.5f, INFINITY, -0.0f, 3.0f, NAN}},
    };
    make_tmp_dir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const type_case *c = &cases[i];
        uint8_t file[64];
        size_t len = idx_header(file, c->code, c->nd, c->dims);
        for (int e = 0; e < 6; e++, len += (size_t)c->size)
            put_be(file + len, c->raw[e], c->size);
        for (int gz = 0; gz < 2; gz++) {
            const char *path = tmp_path(gz ? "t.idx.gz" : "t.idx");
            write_file(path, file, len, gz);
            lc_tensor_t *t = NULL;
            LC_ASSERT_OK(lc_read_idx(path, &t));
            CU_ASSERT_EQUAL_FATAL(lc_tensor_ndim(t), c->nd);
            for (int k = 0; k < c->nd; k++)
                CU_ASSERT_EQUAL(lc_tensor_dim(t, k), c->dims[k]);
            CU_ASSERT_EQUAL(lc_tensor_numel(t), 6);
            /* bit for bit: NaN, inf and the sign of zero included */
            for (int e = 0; e < 6; e++) {
                float got = lc_tensor_data(t)[e];
                bool same = isnan(c->expect[e]) ? isnan(got) : !memcmp(&got, &c->expect[e], 4);
                if (!same)
                    fprintf(stderr, "\n  type 0x%02X %s element %d: %g, expected %g\n", c->code,
                            gz ? "gzip" : "plain", e, got, c->expect[e]);
                CU_ASSERT(same);
            }
            lc_tensor_free(&t);
            remove(path);
        }
    }
    remove_tmp_dir();
}

static float large_f64(int64_t i)
{
    return (float)((double)i * 0.25 - 1000);
}
static float large_u8(int64_t i)
{
    return (float)(uint8_t)(i * 7);
}

/* file[0..len) written plain and gzip; each read gives numel values value(i). */
static void check_large(const uint8_t *file, size_t len, int64_t numel, float (*value)(int64_t))
{
    for (int gz = 0; gz < 2; gz++) {
        const char *path = tmp_path("big");
        write_file(path, file, len, gz);
        lc_tensor_t *t = NULL;
        LC_ASSERT_OK(lc_read_idx(path, &t));
        CU_ASSERT_EQUAL_FATAL(lc_tensor_numel(t), numel);
        int64_t wrong = 0;
        for (int64_t i = 0; i < numel; i++)
            wrong += lc_tensor_data(t)[i] != value(i);
        CU_ASSERT_EQUAL(wrong, 0);
        lc_tensor_free(&t);
        remove(path);
    }
}

/* Several inflate-and-convert chunks: 3 x 5000 f64 (120 000 bytes), and u8 of 100 003 bytes. */
static void test_idx_large(void)
{
    make_tmp_dir();
    const int64_t dims[2] = {3, 5000}, dims8[1] = {100003};
    uint8_t *file = malloc(12 + 3 * 5000 * 8); /* the larger of the two files */
    CU_ASSERT_PTR_NOT_NULL_FATAL(file);
    size_t len = idx_header(file, 0x0E, 2, dims);
    for (int i = 0; i < 15000; i++, len += 8)
        put_be(file + len, bits_f64((double)i * 0.25 - 1000), 8);
    check_large(file, len, 15000, large_f64);
    len = idx_header(file, 0x08, 1, dims8);
    for (int i = 0; i < 100003; i++)
        file[len++] = (uint8_t)(i * 7);
    check_large(file, len, 100003, large_u8);
    free(file);
    remove_tmp_dir();
}

static void test_idx_committed_valid(void)
{
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_read_idx(lc_test_file("idx/valid-u8.idx"), &t));
    CU_ASSERT_EQUAL(lc_tensor_ndim(t), 3);
    CU_ASSERT_EQUAL(lc_tensor_numel(t), 60);
    CU_ASSERT(t && lc_tensor_data(t)[59] == 236.0f);
    lc_tensor_free(&t);
    LC_ASSERT_OK(lc_read_idx(lc_test_file("idx/valid-i16.idx.gz"), &t));
    CU_ASSERT_EQUAL(lc_tensor_numel(t), 6);
    CU_ASSERT(t && lc_tensor_data(t)[0] == -32768.0f && lc_tensor_data(t)[5] == 32767.0f);
    lc_tensor_free(&t);
}

/* ------------------------------------------------------------------ IDX: malformed files */

static void test_idx_malformed(void)
{
    static const struct {
        const char *file;
        lc_status status;
        const char *needle; /* besides the file name */
    } cases[] = {
        {"empty.idx", LC_ERR_PARSE, "byte 0: truncated header: expected 4 bytes, found 0"},
        {"truncated-header.idx", LC_ERR_PARSE,
         "byte 9: truncated header: expected 12 bytes, found 9"},
        {"truncated-data.idx", LC_ERR_PARSE,
         "byte 14: truncated data: 10 u8 needs 10 bytes, found 6"},
        {"truncated-data.idx.gz", LC_ERR_PARSE,
         "byte 16: truncated data: 2 x 3 u8 needs 6 bytes, found 4"},
        {"cut.idx.gz", LC_ERR_PARSE, "needs 1000 bytes, found"},
        {"trailer-cut.idx.gz", LC_ERR_IO,
         "byte 1012: corrupt gzip stream: it ends before its trailer"},
        {"bad-magic.idx", LC_ERR_PARSE, "byte 0: bad magic 01 02 08 01"},
        {"unknown-type.idx", LC_ERR_PARSE, "byte 2: unknown data type 0x07"},
        {"zero-dims.idx", LC_ERR_PARSE, "byte 3: 0 dimensions"},
        {"five-dims.idx", LC_ERR_PARSE, "byte 3: 5 dimensions; at most 4"},
        {"zero-dim.idx", LC_ERR_PARSE, "byte 8: dimension 1 is 0"},
        {"trailing.idx", LC_ERR_PARSE, "byte 16: 3 trailing bytes after the data of 2 x 2 u8"},
        {"trailing.idx.gz", LC_ERR_PARSE, "byte 16: 3 trailing bytes"},
        {"bad-crc.idx.gz", LC_ERR_IO, "corrupt gzip stream: incorrect data check"},
        {"bad-deflate.idx.gz", LC_ERR_IO, "byte 0: corrupt gzip stream: invalid block type"},
        {"huge.idx", LC_ERR_OUT_OF_MEMORY, "1000000 x 1000000 = 1000000000000 elements"},
        {"overflow.idx", LC_ERR_OUT_OF_MEMORY, "4294967295 x 4294967295 x 4294967295 x 4294967295"},
        {"gzip-too-short.idx.gz", LC_ERR_PARSE,
         "32768 x 32768 u8 needs 1073741824 bytes, more than the 31-byte gzip file can hold"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", lc_test_file("idx/"));
        strncat(path, cases[i].file, sizeof path - strlen(path) - 1);
        static char sentinel; /* an output the reader must leave alone */
        lc_tensor_t *t = (lc_tensor_t *)&sentinel;
        lc_status st = lc_read_idx(path, &t);
        if (st != cases[i].status) fprintf(stderr, "\n  %s:", cases[i].file);
        LC_ASSERT_STATUS(st, cases[i].status);
        CU_ASSERT_PTR_EQUAL(t, (lc_tensor_t *)&sentinel); /* untouched on failure */
        LC_ASSERT_ERROR_HAS("lc_read_idx: ");
        LC_ASSERT_ERROR_HAS(path);
        LC_ASSERT_ERROR_HAS(cases[i].needle);
    }
}

static void test_idx_errors(void)
{
    lc_tensor_t *t = NULL;
    LC_ASSERT_STATUS(lc_read_idx("/nonexistent/mnist.idx", &t), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("cannot open '/nonexistent/mnist.idx': No such file or directory");
    LC_ASSERT_STATUS(lc_read_idx("/tmp", &t), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("'/tmp'");
    LC_ASSERT_STATUS(lc_read_idx(NULL, &t), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_read_idx(lc_test_file("idx/valid-u8.idx"), NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(t);
}

/* ------------------------------------------------------------------ PNG heatmaps */

/* The image at path as 8-bit RGB (malloc'd), its size in *w, *h; NULL when unreadable. */
static uint8_t *read_png(const char *path, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return NULL;
    img.format = PNG_FORMAT_RGB;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        png_image_free(&img);
        free(px);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

static bool pixel_is(const uint8_t *px, int w, int x, int y, int r, int g, int b)
{
    const uint8_t *p = px + 3 * ((size_t)y * (size_t)w + (size_t)x);
    if (p[0] == r && p[1] == g && p[2] == b) return true;
    fprintf(stderr, "\n  pixel (%d, %d) is (%d, %d, %d), expected (%d, %d, %d)\n", x, y, p[0], p[1],
            p[2], r, g, b);
    return false;
}

static lc_tensor_t *tensor2(int64_t rows, int64_t cols, const float *v)
{
    lc_tensor_t *t = NULL;
    if (lc_tensor_new2(&t, rows, cols) != LC_OK) return NULL;
    if (v) memcpy(lc_tensor_data(t), v, (size_t)(rows * cols) * sizeof(float));
    return t;
}

static void test_png_pixels(void)
{
    make_tmp_dir();
    /* panel A 2 x 3 (max |v| = 2), panel B 3 x 2 (max |v| = 4) */
    const float a[6] = {-2, 0, 1, 2, NAN, -1};
    const float b[6] = {0, 4, -4, 2, INFINITY, -INFINITY};
    lc_tensor_t *pa = tensor2(2, 3, a), *pb = tensor2(3, 2, b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
    const lc_tensor_t *panels[2] = {pa, pb};
    const char *path = tmp_path("pair.png");
    LC_ASSERT_OK(lc_write_heatmaps_png(path, 2, panels, 3));
    CU_ASSERT_EQUAL(lc_test_count_entries(tmp_dir), 1); /* no temp file left */
    int w = 0, h = 0;
    uint8_t *px = read_png(path, &w, &h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(px);
    /* 3·3 + 4 + 2·3 wide, max(2, 3)·3 high */
    CU_ASSERT_EQUAL(w, 19);
    CU_ASSERT_EQUAL(h, 9);
    if (w == 19 && h == 9) {
        /* panel A: entry (r, c) covers x = 3c..3c+2, y = 3r..3r+2 */
        CU_ASSERT(pixel_is(px, w, 0, 0, 0, 0, 255));     /* -2: most negative, pure blue */
        CU_ASSERT(pixel_is(px, w, 2, 2, 0, 0, 255));     /* the whole 3 x 3 block */
        CU_ASSERT(pixel_is(px, w, 4, 1, 255, 255, 255)); /* 0: white */
        CU_ASSERT(pixel_is(px, w, 7, 0, 255, 128, 128)); /* 1 = half of max: pale red */
        CU_ASSERT(pixel_is(px, w, 1, 4, 255, 0, 0));     /* 2: max, pure red */
        CU_ASSERT(pixel_is(px, w, 4, 5, 128, 128, 128)); /* NaN: grey */
        CU_ASSERT(pixel_is(px, w, 8, 3, 128, 128, 255)); /* -1: pale blue */
        CU_ASSERT(pixel_is(px, w, 0, 6, 211, 211, 211)); /* below A (2 rows of 3): light grey */
        CU_ASSERT(pixel_is(px, w, 8, 8, 211, 211, 211));
        for (int x = 9; x < 13; x++) /* the 4-pixel gap */
            CU_ASSERT(pixel_is(px, w, x, x - 9, 211, 211, 211));
        /* panel B from x = 13, scaled by its own max 4 */
        CU_ASSERT(pixel_is(px, w, 13, 0, 255, 255, 255)); /* 0 */
        CU_ASSERT(pixel_is(px, w, 18, 2, 255, 0, 0));     /* 4: max */
        CU_ASSERT(pixel_is(px, w, 13, 3, 0, 0, 255));     /* -4 */
        CU_ASSERT(pixel_is(px, w, 17, 4, 255, 128, 128)); /* 2 */
        CU_ASSERT(pixel_is(px, w, 14, 8, 255, 0, 0));     /* +inf: saturated red */
        CU_ASSERT(pixel_is(px, w, 18, 7, 0, 0, 255));     /* -inf: saturated blue */
    }
    free(px);

    /* written again over the old file: replaced in place, still one entry */
    LC_ASSERT_OK(lc_write_heatmaps_png(path, 1, panels, 1));
    px = read_png(path, &w, &h);
    CU_ASSERT_PTR_NOT_NULL(px);
    CU_ASSERT(w == 3 && h == 2);
    free(px);
    CU_ASSERT_EQUAL(lc_test_count_entries(tmp_dir), 1);

    /* all zeros: white, not NaN */
    lc_tensor_t *z = tensor2(2, 2, NULL);
    const lc_tensor_t *zp[1] = {z};
    LC_ASSERT_OK(lc_write_heatmaps_png(path, 1, zp, 2));
    px = read_png(path, &w, &h);
    CU_ASSERT(px && w == 4 && h == 4 && pixel_is(px, w, 3, 3, 255, 255, 255));
    free(px);
    lc_tensor_free(&z);
    remove(path);
    lc_tensor_free(&pa);
    lc_tensor_free(&pb);
    remove_tmp_dir();
}

/* scale 0: the largest integer <= 512 / max(rows, cols), at least 1. */
static void test_png_auto_scale(void)
{
    make_tmp_dir();
    static const struct {
        int64_t r1, c1, r2, c2;
        int width, height;
    } cases[] = {
        {10, 20, 10, 20, 25 * 20 * 2 + 4, 25 * 10}, /* 512 / 20 = 25 */
        {7, 7, 3, 5, 73 * 7 + 4 + 73 * 5, 73 * 7},  /* 512 / 7 = 73 */
        {600, 3, 2, 2, 3 + 4 + 2, 600},             /* 512 / 600 = 0 -> 1 */
        {512, 1, 1, 1, 1 + 4 + 1, 512},             /* exactly 1 */
    };
    const char *path = tmp_path("auto.png");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_tensor_t *p1 = tensor2(cases[i].r1, cases[i].c1, NULL);
        lc_tensor_t *p2 = tensor2(cases[i].r2, cases[i].c2, NULL);
        const lc_tensor_t *panels[2] = {p1, p2};
        LC_ASSERT_OK(lc_write_heatmaps_png(path, 2, panels, 0));
        int w = 0, h = 0;
        uint8_t *px = read_png(path, &w, &h);
        CU_ASSERT_PTR_NOT_NULL(px);
        if (w != cases[i].width || h != cases[i].height)
            fprintf(stderr, "\n  case %zu: %d x %d, expected %d x %d\n", i, w, h, cases[i].width,
                    cases[i].height);
        CU_ASSERT(w == cases[i].width && h == cases[i].height);
        free(px);
        lc_tensor_free(&p1);
        lc_tensor_free(&p2);
    }
    remove(path);
    remove_tmp_dir();
}

static void test_png_errors(void)
{
    make_tmp_dir();
    lc_tensor_t *ok = tensor2(2, 3, NULL), *wide = tensor2(1, 40000, NULL), *cube = NULL;
    lc_tensor_t *vec = NULL, *half = tensor2(1, 16383, NULL), *edge = tensor2(1, 16382, NULL);
    LC_ASSERT_OK(lc_tensor_new(&cube, 3, (const int64_t[]){2, 2, 2}));
    LC_ASSERT_OK(lc_tensor_new(&vec, 1, (const int64_t[]){4}));
    const char *path = tmp_path("bad.png");
    const lc_tensor_t *one[1] = {ok}, *with_null[2] = {ok, NULL}, *with_cube[2] = {ok, cube},
                      *with_vec[1] = {vec}, *with_wide[1] = {wide}, *halves[2] = {half, half},
                      *edges[2] = {edge, edge};
    static const struct {
        int count, which, scale;
        const char *needle;
    } cases[] = {
        {0, 0, 1, "count 0"},
        {-1, 0, 1, "count -1"},
        {1, 9, 1, "panels is NULL"},
        {2, 1, 1, "panel 1 is NULL"},
        {2, 2, 1, "panel 1 has 3 dimensions"},
        {1, 3, 1, "panel 0 has 1 dimensions"},
        {1, 0, -1, "scale -1"},
        {1, 4, 1, "more than 2^15"},     /* 40000 wide */
        {1, 0, 20000, "more than 2^15"}, /* 60000 x 40000 */
        {2, 5, 1, "more than 2^15"},     /* 2 · 16383 + 4 = 32770 wide */
        {2, 6, 2, "more than 2^15"},     /* 2 · 2 · 16382 + 4 */
    };
    const lc_tensor_t *const *sets[] = {one,       with_null, with_cube, with_vec,
                                        with_wide, halves,    edges};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lc_tensor_t *const *panels = cases[i].which == 9 ? NULL : sets[cases[i].which];
        LC_ASSERT_STATUS(lc_write_heatmaps_png(path, cases[i].count, panels, cases[i].scale),
                         LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS("lc_write_heatmaps_png: ");
        LC_ASSERT_ERROR_HAS(cases[i].needle);
        CU_ASSERT_EQUAL(lc_test_count_entries(tmp_dir), 0);
    }
    /* exactly 2^15: 2 · 16382 + 4 = 32768 wide, 1 high */
    LC_ASSERT_OK(lc_write_heatmaps_png(path, 2, edges, 1));
    int w = 0, h = 0;
    uint8_t *px = read_png(path, &w, &h);
    CU_ASSERT(px && w == 32768 && h == 1);
    free(px);
    remove(path);
    LC_ASSERT_STATUS(lc_write_heatmaps_png(NULL, 1, one, 1), LC_ERR_INVALID_ARG);

    /* unwritable: a missing directory; a directory in the way of the rename */
    LC_ASSERT_STATUS(lc_write_heatmaps_png("/nonexistent-dir/x.png", 1, one, 1), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("lc_write_heatmaps_png: '/nonexistent-dir/x.png'");
    const char *sub = tmp_path("sub");
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
    LC_ASSERT_STATUS(lc_write_heatmaps_png(sub, 1, one, 1), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("lc_write_heatmaps_png: '");
    LC_ASSERT_ERROR_HAS("/sub'");
    CU_ASSERT_EQUAL(lc_test_count_entries(tmp_dir), 1); /* sub, and no temp file beside it */
    CU_ASSERT_EQUAL(lc_test_count_entries(sub), 0);
    rmdir(sub);
    lc_tensor_free(&ok);
    lc_tensor_free(&wide);
    lc_tensor_free(&cube);
    lc_tensor_free(&vec);
    lc_tensor_free(&half);
    lc_tensor_free(&edge);
    remove_tmp_dir();
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"MNIST test set (real files)", test_mnist},
        {"Fashion-MNIST train set (real files)", test_fashion_mnist},
        {"IDX: every type, gzip and plain", test_idx_types},
        {"IDX: several chunks", test_idx_large},
        {"IDX: committed valid files", test_idx_committed_valid},
        {"IDX: every malformed file", test_idx_malformed},
        {"IDX: missing file, directory, NULL", test_idx_errors},
        {"PNG: pixels read back", test_png_pixels},
        {"PNG: automatic scale", test_png_auto_scale},
        {"PNG: bad arguments and unwritable paths", test_png_errors},
        {NULL, NULL}};
    return lc_test_main("images", cases);
}
