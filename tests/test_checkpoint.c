/* test_checkpoint.c — checkpoint format: round trip, atomic overwrite, corruption and mismatch
 * refusal. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

/* ---------- helpers ---------- */

static char tmpdir[256];

/* A fresh private directory per test, removed by cleanup_dir(). */
static const char *make_dir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lc_ckp_test_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
    return tmpdir;
}

static const char *in_dir(const char *name)
{
    return lc_test_path_in(tmpdir, name);
}

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir) { return lc_test_count_entries(dir); }

static void cleanup_dir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        const char *p = in_dir(e->d_name);
        if (remove(p) != 0) rmdir(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static int spit(const char *path, const unsigned char *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(buf, 1, size, f);
    return fclose(f) == 0 && w == size ? 0 : -1;
}

static void put32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Recompute the trailing CRC after a deliberate edit, so that the test
 * reaches the check behind the checksum. */
static void fix_crc(unsigned char *buf, size_t size)
{
    put32(buf + size - 4, lc_i_crc32(0, buf, size - 4));
}

/* Two small tensors: "w" [2, 3] and "b" [3], filled from a seed. */
typedef struct {
    lc_tensor_t *t[2];
    const char *names[2];
} pair;

static void pair_new(pair *p, float seed)
{
    LC_ASSERT_OK(lc_tensor_new2(&p->t[0], 2, 3));
    int64_t n = 3;
    LC_ASSERT_OK(lc_tensor_new(&p->t[1], 1, &n));
    for (int k = 0; k < 2; k++)
        for (int64_t i = 0; i < lc_tensor_numel(p->t[k]); i++)
            lc_tensor_data(p->t[k])[i] = seed * (float)(i + 1) - 0.37f * (float)k;
    p->names[0] = "w";
    p->names[1] = "b";
}

static void pair_free(pair *p)
{
    lc_tensor_free(&p->t[0]);
    lc_tensor_free(&p->t[1]);
}

static int pair_equal(const pair *a, const pair *b)
{
    for (int k = 0; k < 2; k++) {
        if (lc_tensor_numel(a->t[k]) != lc_tensor_numel(b->t[k])) return 0;
        if (memcmp(lc_tensor_data(a->t[k]), lc_tensor_data(b->t[k]),
                   (size_t)lc_tensor_numel(a->t[k]) * sizeof(float)))
            return 0;
    }
    return 1;
}

static lc_status pair_write(const char *path, const char *spec, const pair *p)
{
    const lc_tensor_t *t[2] = {p->t[0], p->t[1]};
    return lc_i_checkpoint_write(path, spec, 2, p->names, t);
}

static lc_status pair_read(const char *path, const char *spec, pair *p)
{
    return lc_i_checkpoint_read(path, spec, 2, p->names, p->t);
}

/* ---------- tests ---------- */

static void test_crc32(void)
{
    CU_ASSERT_EQUAL(lc_i_crc32(0, "123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(lc_i_crc32(0, "", 0), 0u);
    /* Chaining gives the CRC of the concatenation. */
    CU_ASSERT_EQUAL(lc_i_crc32(lc_i_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    /* "The quick brown fox jumps over the lazy dog", a second well-known value. */
    const char *fox = "The quick brown fox jumps over the lazy dog";
    CU_ASSERT_EQUAL(lc_i_crc32(0, fox, strlen(fox)), 0x414FA339u);
}

static void test_round_trip(void)
{
    make_dir();
    const char *path = in_dir("model.ckp");
    /* Values that a lossy (text, double) path would not keep bit for bit. */
    const float special[] = {-0.0f, 1e-45f, 3.4028235e38f, INFINITY,       -INFINITY,
                             NAN,   0.1f,   -7.25f,        1.17549435e-38f};
    int64_t shape[3] = {3, 1, 3};
    lc_tensor_t *a = NULL, *b = NULL, *c = NULL, *c2 = NULL;
    LC_ASSERT_OK(lc_tensor_new(&a, 3, shape));
    memcpy(lc_tensor_data(a), special, sizeof special);
    LC_ASSERT_OK(lc_tensor_new2(&b, 40, 17));
    lc_rng_t rng;
    lc_rng_seed(&rng, 7);
    for (int64_t i = 0; i < lc_tensor_numel(b); i++)
        lc_tensor_data(b)[i] = lc_rng_normal(&rng);
    int64_t shape4[4] = {2, 2, 2, 2};
    LC_ASSERT_OK(lc_tensor_new(&c, 4, shape4));
    for (int64_t i = 0; i < 16; i++)
        lc_tensor_data(c)[i] = (float)i / 3.0f;

    const char *names[3] = {"layer0.special", "layer1.weight", "x"};
    const lc_tensor_t *out[3] = {a, b, c};
    LC_ASSERT_OK(lc_i_checkpoint_write(path, "linear:17,relu,gcn", 3, names, out));

    lc_tensor_t *ra = NULL, *rb = NULL, *rc = NULL;
    LC_ASSERT_OK(lc_tensor_new(&ra, 3, shape));
    LC_ASSERT_OK(lc_tensor_new2(&rb, 40, 17));
    LC_ASSERT_OK(lc_tensor_new(&rc, 4, shape4));
    lc_tensor_t *in[3] = {ra, rb, rc};
    LC_ASSERT_OK(lc_i_checkpoint_read(path, "linear:17,relu,gcn", 3, names, in));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(a), lc_tensor_data(ra), sizeof special), 0);
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(b), lc_tensor_data(rb), 40 * 17 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(c), lc_tensor_data(rc), 16 * sizeof(float)), 0);

    /* Loading into a view writes through to the viewed storage. */
    int64_t flat = 16;
    LC_ASSERT_OK(lc_tensor_reshape(&c2, rc, 4, shape4));
    lc_tensor_fill(rc, 0.0f);
    lc_tensor_t *in2[3] = {ra, rb, c2};
    LC_ASSERT_OK(lc_i_checkpoint_read(path, "linear:17,relu,gcn", 3, names, in2));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(c), lc_tensor_data(rc), (size_t)flat * sizeof(float)), 0);

    /* The file size is exactly what the documented format says. */
    size_t size;
    unsigned char *buf = slurp(path, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    size_t expect = 8 + 4 + 4 + strlen("linear:17,relu,gcn") + 4;
    expect += 4 + 14 + 4 + 3 * 8 + 9 * 4;
    expect += 4 + 13 + 4 + 2 * 8 + 680 * 4;
    expect += 4 + 1 + 4 + 4 * 8 + 16 * 4;
    expect += 4;
    CU_ASSERT_EQUAL(size, expect);
    CU_ASSERT_EQUAL(memcmp(buf, "LCONVCKP\x01\x00\x00\x00", 12), 0);
    free(buf);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1); /* no temp file left */

    lc_tensor_free(&a), lc_tensor_free(&b), lc_tensor_free(&c), lc_tensor_free(&c2);
    lc_tensor_free(&ra), lc_tensor_free(&rb), lc_tensor_free(&rc);
    cleanup_dir();
}

static void test_zero_tensors(void)
{
    make_dir();
    const char *path = in_dir("empty.ckp");
    LC_ASSERT_OK(lc_i_checkpoint_write(path, "", 0, NULL, NULL));
    LC_ASSERT_OK(lc_i_checkpoint_read(path, "", 0, NULL, NULL));
    LC_ASSERT_STATUS(lc_i_checkpoint_read(path, "gcn", 0, NULL, NULL), LC_ERR_MISMATCH);
    cleanup_dir();
}

static void test_overwrite(void)
{
    make_dir();
    const char *path = in_dir("m.ckp");
    pair a, b, r;
    pair_new(&a, 1.0f);
    pair_new(&b, -2.5f);
    pair_new(&r, 0.0f);
    LC_ASSERT_OK(pair_write(path, "gcn:2", &a));
    LC_ASSERT_OK(pair_write(path, "gcn:2", &b));
    LC_ASSERT_OK(pair_read(path, "gcn:2", &r));
    CU_ASSERT_TRUE(pair_equal(&r, &b));
    CU_ASSERT_FALSE(pair_equal(&r, &a));
    CU_ASSERT_EQUAL(count_entries(tmpdir), 1);

    /* A failing write (the target is a directory, so rename fails after the
     * temp file was written) leaves no temp file and the old file intact. */
    const char *sub = in_dir("sub");
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    LC_ASSERT_STATUS(pair_write(sub, "gcn:2", &a), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS(sub);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 2); /* m.ckp and sub only */
    LC_ASSERT_OK(pair_read(path, "gcn:2", &r));
    CU_ASSERT_TRUE(pair_equal(&r, &b));

    pair_free(&a), pair_free(&b), pair_free(&r);
    cleanup_dir();
}

/* Every single-byte change of a small checkpoint is refused with
 * LC_ERR_CORRUPT, and the target tensors are left as they were. */
static void test_flip_every_byte(void)
{
    make_dir();
    const char *path = in_dir("m.ckp");
    const char *bad = in_dir("bad.ckp");
    pair a, r, sentinel;
    pair_new(&a, 0.75f);
    pair_new(&r, 9.0f);
    pair_new(&sentinel, 9.0f);
    LC_ASSERT_OK(pair_write(path, "gcn:2", &a));
    size_t size;
    unsigned char *buf = slurp(path, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_TRUE(size > 50);

    int refused = 0, corrupt = 0, unchanged = 0, tries = 0;
    const unsigned char masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
    for (size_t i = 0; i < size; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            buf[i] ^= masks[m];
            CU_ASSERT_EQUAL_FATAL(spit(bad, buf, size), 0);
            buf[i] ^= masks[m];
            tries++;
            lc_status st = pair_read(bad, "gcn:2", &r);
            if (st != LC_OK) refused++;
            if (st == LC_ERR_CORRUPT)
                corrupt++;
            else
                fprintf(stderr, "\n  byte %zu ^ 0x%02x -> %s\n", i, masks[m], lc_status_name(st));
            if (pair_equal(&r, &sentinel)) unchanged++;
        }
    }
    CU_ASSERT_EQUAL(refused, tries);
    CU_ASSERT_EQUAL(corrupt, tries);
    CU_ASSERT_EQUAL(unchanged, tries);
    /* And the untouched copy still loads. */
    LC_ASSERT_OK(pair_read(path, "gcn:2", &r));
    CU_ASSERT_TRUE(pair_equal(&r, &a));
    free(buf);
    pair_free(&a), pair_free(&r), pair_free(&sentinel);
    cleanup_dir();
}

static void test_truncation(void)
{
    make_dir();
    const char *path = in_dir("m.ckp");
    const char *bad = in_dir("cut.ckp");
    pair a, r, sentinel;
    pair_new(&a, 0.5f);
    pair_new(&r, 3.0f);
    pair_new(&sentinel, 3.0f);
    LC_ASSERT_OK(pair_write(path, "gcn:2", &a));
    size_t size;
    unsigned char *buf = slurp(path, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    /* Every length short of the full file: inside the magic, the version, the
     * spec, a name, a shape, the data and the CRC. */
    for (size_t len = 0; len < size; len++) {
        CU_ASSERT_EQUAL_FATAL(spit(bad, buf, len), 0);
        lc_status st = pair_read(bad, "gcn:2", &r);
        CU_ASSERT_EQUAL(st, LC_ERR_CORRUPT);
        char want[64];
        snprintf(want, sizeof want, "truncated at byte %zu", len);
        if (!strstr(lc_last_error(), want))
            fprintf(stderr, "\n  length %zu: '%s' lacks '%s'\n", len, lc_last_error(), want);
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), want));
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), bad));
        CU_ASSERT_TRUE(pair_equal(&r, &sentinel));
    }
    /* One byte too many is refused as well. */
    unsigned char *longer = malloc(size + 1);
    memcpy(longer, buf, size);
    longer[size] = 0;
    CU_ASSERT_EQUAL_FATAL(spit(bad, longer, size + 1), 0);
    LC_ASSERT_STATUS(pair_read(bad, "gcn:2", &r), LC_ERR_CORRUPT);
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));
    free(longer);
    free(buf);
    pair_free(&a), pair_free(&r), pair_free(&sentinel);
    cleanup_dir();
}

static void test_magic_and_version(void)
{
    make_dir();
    const char *path = in_dir("m.ckp");
    const char *bad = in_dir("bad.ckp");
    pair a, r;
    pair_new(&a, 0.5f);
    pair_new(&r, 0.0f);
    LC_ASSERT_OK(pair_write(path, "gcn:2", &a));
    size_t size;
    unsigned char *buf = slurp(path, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);

    /* Another format, even with a valid CRC. */
    memcpy(buf, "PK\x03\x04zzzz", 8);
    fix_crc(buf, size);
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, size), 0);
    LC_ASSERT_STATUS(pair_read(bad, "gcn:2", &r), LC_ERR_CORRUPT);
    LC_ASSERT_ERROR_HAS("not an lconv checkpoint");
    LC_ASSERT_ERROR_HAS(bad);
    /* A text file. */
    const char *text = "hello world, this is not a checkpoint at all\n";
    CU_ASSERT_EQUAL_FATAL(spit(bad, (const unsigned char *)text, strlen(text)), 0);
    LC_ASSERT_STATUS(pair_read(bad, "gcn:2", &r), LC_ERR_CORRUPT);
    LC_ASSERT_ERROR_HAS("not an lconv checkpoint");

    /* A future version with a valid CRC. */
    memcpy(buf, "LCONVCKP", 8);
    put32(buf + 8, 2);
    fix_crc(buf, size);
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, size), 0);
    LC_ASSERT_STATUS(pair_read(bad, "gcn:2", &r), LC_ERR_CORRUPT);
    LC_ASSERT_ERROR_HAS("version 2 not supported");
    LC_ASSERT_ERROR_HAS(bad);

    /* Version 1 again but a wrong CRC. */
    put32(buf + 8, 1);
    fix_crc(buf, size);
    buf[size - 1] ^= 0x40;
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, size), 0);
    LC_ASSERT_STATUS(pair_read(bad, "gcn:2", &r), LC_ERR_CORRUPT);
    LC_ASSERT_ERROR_HAS("checksum mismatch");
    LC_ASSERT_ERROR_HAS(bad);
    buf[size - 1] ^= 0x40;
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, size), 0);
    LC_ASSERT_OK(pair_read(bad, "gcn:2", &r));
    CU_ASSERT_TRUE(pair_equal(&r, &a));

    free(buf);
    pair_free(&a), pair_free(&r);
    cleanup_dir();
}

/* Absurd counts and dims with a valid CRC are refused without allocating. */
static void test_absurd_sizes(void)
{
    make_dir();
    const char *bad = in_dir("bad.ckp");
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&t, 2, 2));
    const char *name = "w";
    unsigned char buf[64];
    size_t n = 0;
    memcpy(buf, "LCONVCKP", 8), n = 8;
    put32(buf + n, 1), n += 4;
    put32(buf + n, 0), n += 4;           /* empty spec */
    put32(buf + n, 0xFFFFFFFFu), n += 4; /* 4 billion tensors */
    n += 4;
    fix_crc(buf, n);
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, n), 0);
    LC_ASSERT_STATUS(lc_i_checkpoint_read(bad, "", 1, &name, &t), LC_ERR_CORRUPT);

    /* One tensor of 2^40 × 2^40 elements. */
    n = 16;
    put32(buf + n, 1), n += 4;
    put32(buf + n, 1), n += 4;
    buf[n++] = 'w';
    put32(buf + n, 2), n += 4;
    for (int d = 0; d < 2; d++) {
        memset(buf + n, 0, 8);
        buf[n + 5] = 1; /* 2^40 */
        n += 8;
    }
    n += 4;
    fix_crc(buf, n);
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, n), 0);
    LC_ASSERT_STATUS(lc_i_checkpoint_read(bad, "", 1, &name, &t), LC_ERR_CORRUPT);

    /* ndim 9. */
    put32(buf + 16 + 4 + 4 + 1, 9);
    fix_crc(buf, n);
    CU_ASSERT_EQUAL_FATAL(spit(bad, buf, n), 0);
    LC_ASSERT_STATUS(lc_i_checkpoint_read(bad, "", 1, &name, &t), LC_ERR_CORRUPT);
    LC_ASSERT_ERROR_HAS("dimensions");
    lc_tensor_free(&t);
    cleanup_dir();
}

static void test_mismatch(void)
{
    make_dir();
    const char *path = in_dir("m.ckp");
    pair a, r, sentinel;
    pair_new(&a, 0.5f);
    pair_new(&r, 4.0f);
    pair_new(&sentinel, 4.0f);
    LC_ASSERT_OK(pair_write(path, "gcn:2", &a));

    /* Another model spec. */
    LC_ASSERT_STATUS(pair_read(path, "gcn:3", &r), LC_ERR_MISMATCH);
    LC_ASSERT_ERROR_HAS("checkpoint is of model 'gcn:2', this model is 'gcn:3'");
    LC_ASSERT_ERROR_HAS(path);
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));

    /* Fewer tensors. */
    LC_ASSERT_STATUS(lc_i_checkpoint_read(path, "gcn:2", 1, r.names, r.t), LC_ERR_MISMATCH);
    LC_ASSERT_ERROR_HAS("2 tensors");
    LC_ASSERT_ERROR_HAS(path);
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));

    /* Another name for the second tensor. */
    const char *names[2] = {"w", "bias"};
    LC_ASSERT_STATUS(lc_i_checkpoint_read(path, "gcn:2", 2, names, r.t), LC_ERR_MISMATCH);
    LC_ASSERT_ERROR_HAS("'b'");
    LC_ASSERT_ERROR_HAS("'bias'");
    LC_ASSERT_ERROR_HAS(path);
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));

    /* Same element count, another shape: [3, 2] instead of [2, 3]. Tensor 1
     * is correct so that a partial copy would show. */
    lc_tensor_t *t32 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&t32, 3, 2));
    lc_tensor_fill(t32, 4.0f);
    const char *swapped[2] = {"w", "b"};
    lc_tensor_t *in_ws[2] = {t32, r.t[1]};
    LC_ASSERT_STATUS(lc_i_checkpoint_read(path, "gcn:2", 2, swapped, in_ws), LC_ERR_MISMATCH);
    LC_ASSERT_ERROR_HAS("'w'");
    LC_ASSERT_ERROR_HAS("[2, 3]");
    LC_ASSERT_ERROR_HAS("[3, 2]");
    LC_ASSERT_ERROR_HAS(path);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(lc_tensor_data(t32)[i], 4.0f);
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));
    /* Shape mismatch on the last tensor: the first must not be written either. */
    lc_tensor_t *b2 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&b2, 1, 3));
    lc_tensor_t *in_b[2] = {r.t[0], b2};
    LC_ASSERT_STATUS(lc_i_checkpoint_read(path, "gcn:2", 2, swapped, in_b), LC_ERR_MISMATCH);
    LC_ASSERT_ERROR_HAS("'b'");
    LC_ASSERT_ERROR_HAS("[3]");
    LC_ASSERT_ERROR_HAS("[1, 3]");
    CU_ASSERT_TRUE(pair_equal(&r, &sentinel));

    lc_tensor_free(&t32), lc_tensor_free(&b2);
    pair_free(&a), pair_free(&r), pair_free(&sentinel);
    cleanup_dir();
}

static void test_io_errors(void)
{
    make_dir();
    pair a;
    pair_new(&a, 1.0f);
    const char *missing = in_dir("no-such-file.ckp");
    LC_ASSERT_STATUS(pair_read(missing, "gcn:2", &a), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS(missing);

    /* Reading a directory. */
    LC_ASSERT_STATUS(pair_read(tmpdir, "gcn:2", &a), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS(tmpdir);

    /* Writing into a directory that does not exist: nothing is created. */
    const char *nodir = in_dir("no-such-dir/m.ckp");
    LC_ASSERT_STATUS(pair_write(nodir, "gcn:2", &a), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS(nodir);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 0);

    /* Bad arguments. */
    LC_ASSERT_STATUS(pair_write(NULL, "gcn:2", &a), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(pair_read(in_dir("x"), NULL, &a), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_i_checkpoint_write(in_dir("x"), "s", -1, NULL, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_i_checkpoint_write(in_dir("x"), "s", 1, NULL, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(count_entries(tmpdir), 0);
    pair_free(&a);
    cleanup_dir();
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"crc32 known values", test_crc32},
        {"round trip is bit-exact", test_round_trip},
        {"zero tensors", test_zero_tensors},
        {"overwrite and failed write", test_overwrite},
        {"every flipped byte is refused", test_flip_every_byte},
        {"truncation at every length", test_truncation},
        {"wrong magic, version, checksum", test_magic_and_version},
        {"absurd counts and dims", test_absurd_sizes},
        {"spec, count, name, shape mismatch", test_mismatch},
        {"missing file and bad directory", test_io_errors},
        {NULL, NULL},
    };
    return lc_test_main("checkpoint", cases);
}
