/* fuzz_idx.c — libFuzzer target: lc_read_idx on any file, gzip or plain; plain files are also
 * decoded here independently and must give the same shape and values. */
#include <math.h>

#include "common.h"

static uint64_t be(const uint8_t *b, int size)
{
    uint64_t v = 0;
    for (int j = 0; j < size; j++)
        v = v << 8 | b[j];
    return v;
}

/* Element i of a plain file's payload as lc_read_idx must give it. */
static float reference(const uint8_t *p, uint8_t type, int size, int64_t i)
{
    uint64_t v = be(p + i * size, size);
    switch (type) {
    case 0x08: return (float)v;
    case 0x09: return (float)(int8_t)v;
    case 0x0B: return (float)(int16_t)v;
    case 0x0C: return (float)(int32_t)v;
    case 0x0D: {
        uint32_t u = (uint32_t)v;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    default: {
        double d;
        memcpy(&d, &v, 8);
        return (float)d;
    }
    }
}

static int type_size(uint8_t type)
{
    switch (type) {
    case 0x08:
    case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C:
    case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

/* A plain IDX file that was read: its header and size must match the tensor exactly. */
static void check_plain(const uint8_t *data, size_t size, const lc_tensor_t *t)
{
    int size_of = size >= 4 ? type_size(data[2]) : 0;
    int nd = size >= 4 ? data[3] : 0;
    if (size < 4 || data[0] || data[1] || !size_of || nd != lc_tensor_ndim(t)) {
        fprintf(stderr, "fuzz: lc_read_idx accepted a bad header\n");
        abort();
    }
    int64_t numel = 1;
    for (int k = 0; k < nd; k++) {
        if ((int64_t)be(data + 4 + 4 * k, 4) != lc_tensor_dim(t, k)) {
            fprintf(stderr, "fuzz: lc_read_idx: dimension %d differs from the header\n", k);
            abort();
        }
        numel *= lc_tensor_dim(t, k);
    }
    if ((size_t)(4 + 4 * nd) + (size_t)numel * (size_t)size_of != size) {
        fprintf(stderr, "fuzz: lc_read_idx accepted %zu bytes for %lld elements\n", size,
                (long long)numel);
        abort();
    }
    const float *x = lc_tensor_data(t);
    for (int64_t i = 0; i < numel; i++) {
        float r = reference(data + 4 + 4 * nd, data[2], size_of, i);
        if (isnan(r) ? !isnan(x[i]) : memcmp(&r, &x[i], sizeof r) != 0) {
            fprintf(stderr, "fuzz: lc_read_idx: element %lld is %g, expected %g\n", (long long)i,
                    x[i], r);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_temp_file(data, size, path, sizeof path);
    lc_tensor_t *t = NULL;
    lc_status st = lc_read_idx(path, &t);
    fuzz_check(st, t, "lc_read_idx");
    if (st != LC_OK && !strstr(lc_last_error(), path)) {
        fprintf(stderr, "fuzz: lc_read_idx: the error does not name the file: %s\n",
                lc_last_error());
        abort();
    }
    if (t) {
        int64_t product = 1;
        if (lc_tensor_ndim(t) < 1 || lc_tensor_ndim(t) > LC_MAX_DIMS) abort();
        for (int k = 0; k < lc_tensor_ndim(t); k++) {
            if (lc_tensor_dim(t, k) < 1) abort();
            product *= lc_tensor_dim(t, k);
        }
        if (product != lc_tensor_numel(t) || product > ((int64_t)1 << 31)) {
            fprintf(stderr, "fuzz: lc_read_idx: shape product %lld, numel %lld\n",
                    (long long)product, (long long)lc_tensor_numel(t));
            abort();
        }
        /* not gzip: this file is the IDX data itself */
        if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)) check_plain(data, size, t);
        else {
            /* every element is there (ASan would see a short buffer) */
            volatile float sink = 0;
            for (int64_t i = 0; i < product; i++)
                sink += lc_tensor_data(t)[i];
            (void)sink;
        }
    }
    lc_tensor_free(&t);
    unlink(path);
    return 0;
}
