/* common.h — helpers of the libFuzzer targets: temp files, input splitting, contract checks. */
#ifndef LC_FUZZ_COMMON_H
#define LC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lconv.h"

/* A failure of the harness itself (disk full, no /tmp) is not a finding of
 * the library; stop loudly so that it is not mistaken for one either. */
static inline void fuzz_die(const char *what)
{
    perror(what);
    abort();
}

static inline const char *fuzz_tmpdir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

static inline void fuzz_write_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t k = write(fd, data, size);
        if (k <= 0) fuzz_die("fuzz: write");
        data += k;
        size -= (size_t)k;
    }
}

/* Write data to a fresh file made by mkstemp; the path goes to path[cap]. */
static inline void fuzz_temp_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    snprintf(path, cap, "%s/lcfuzz-XXXXXX", fuzz_tmpdir());
    int fd = mkstemp(path);
    if (fd < 0) fuzz_die("fuzz: mkstemp");
    fuzz_write_all(fd, data, size);
    if (close(fd) != 0) fuzz_die("fuzz: close");
}

/* Write data to dir/name (created, truncated). */
static inline void fuzz_write_named(const char *dir, const char *name, const uint8_t *data,
                                    size_t size, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) fuzz_die("fuzz: fopen");
    if (size > 0 && fwrite(data, 1, size, f) != size) fuzz_die("fuzz: fwrite");
    if (fclose(f) != 0) fuzz_die("fuzz: fclose");
}

/* Cut data at its first `parts - 1` NUL bytes into parts[k] = (start, len);
 * parts past the last NUL are empty. The text readers refuse NUL bytes, so
 * the separator never hides a case they would have seen. */
typedef struct {
    const uint8_t *data;
    size_t size;
} fuzz_part;

static inline void fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int n)
{
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        parts[k].data = data + at;
        size_t len = 0;
        if (k < n - 1) {
            while (at + len < size && data[at + len] != 0)
                len++;
        } else {
            len = size - at;
        }
        parts[k].size = len;
        at += len;
        if (at < size && k < n - 1) at++; /* skip the separator */
    }
}

/* The public contract every call must keep, whatever the input: a known
 * status; on failure a message and no output (outputs are assigned only on
 * success); on success an output. A breach aborts, so that libFuzzer keeps
 * the input as a crash. */
static inline void fuzz_check(lc_status st, const void *out, const char *call)
{
    if (strcmp(lc_status_name(st), "LC_ERR_UNKNOWN") == 0) {
        fprintf(stderr, "fuzz: %s returned unknown status %d\n", call, (int)st);
        abort();
    }
    if (st != LC_OK && out != NULL) {
        fprintf(stderr, "fuzz: %s failed (%s: %s) but set its output\n", call, lc_status_name(st),
                lc_last_error());
        abort();
    }
    if (st != LC_OK && lc_last_error()[0] == '\0') {
        fprintf(stderr, "fuzz: %s failed (%s) without a message\n", call, lc_status_name(st));
        abort();
    }
    if (st == LC_OK && out == NULL) {
        fprintf(stderr, "fuzz: %s succeeded without an output\n", call);
        abort();
    }
}

/* The point-cloud text readers' target: write the input to a file with
 * `suffix`, read it with `reader`; the error must name the file; a cloud
 * that is read must be [n, 3] of finite floats, and (when small) its kNN
 * graph must build with out-degree k for every point. */
static inline void fuzz_point_cloud(lc_status (*reader)(const char *, lc_tensor_t **),
                                    const char *name, const char *suffix, const uint8_t *data,
                                    size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lcfuzz-XXXXXX%s", fuzz_tmpdir(), suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) fuzz_die("fuzz: mkstemps");
    fuzz_write_all(fd, data, size);
    if (close(fd) != 0) fuzz_die("fuzz: close");
    lc_tensor_t *t = NULL;
    lc_status st = reader(path, &t);
    fuzz_check(st, t, name);
    if (st != LC_OK && !strstr(lc_last_error(), path)) {
        fprintf(stderr, "fuzz: the error does not name the file: %s\n", lc_last_error());
        abort();
    }
    if (t) {
        const int64_t n = lc_tensor_dim(t, 0);
        const float *x = lc_tensor_data(t);
        if (lc_tensor_ndim(t) != 2 || lc_tensor_dim(t, 1) != 3 || n < 1) {
            fprintf(stderr, "fuzz: %s returned a tensor of %d dims, not [n, 3]\n", name,
                    lc_tensor_ndim(t));
            abort();
        }
        for (int64_t i = 0; i < 3 * n; i++)
            if (!(x[i] - x[i] == 0)) { /* NaN or inf */
                fprintf(stderr, "fuzz: %s: point %lld is not finite\n", name, (long long)(i / 3));
                abort();
            }
        if (n >= 2 && n <= 256) {
            const int k = n - 1 < 3 ? (int)n - 1 : 3;
            lc_graph_t *g = NULL;
            st = lc_graph_knn(&g, n, 3, x, k, 0);
            fuzz_check(st, g, "lc_graph_knn");
            if (g && lc_graph_num_edges(g) != n * k) {
                fprintf(stderr, "fuzz: kNN graph of %lld points has %lld edges, not n·%d\n",
                        (long long)n, (long long)lc_graph_num_edges(g), k);
                abort();
            }
            lc_graph_free(&g);
        }
    }
    lc_tensor_free(&t);
    unlink(path);
}

/* CRC-32 (IEEE 802.3, zlib's), as the checksummed formats store it. */
static inline uint32_t fuzz_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

/* For a format that ends in a CRC-32 of the bytes before it: load the input
 * as it is, then (when that changes it) with its last four bytes replaced by
 * the right CRC, so that mutations also reach the checks behind the checksum. */
static inline void fuzz_as_is_and_crc_fixed(const uint8_t *data, size_t size,
                                            void (*load)(const uint8_t *, size_t))
{
    load(data, size);
    if (size < 16) return;
    uint8_t *fixed = malloc(size);
    if (!fixed) fuzz_die("fuzz: malloc");
    memcpy(fixed, data, size);
    const uint32_t crc = fuzz_crc32(fixed, size - 4);
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    if (memcmp(fixed, data, size) != 0) load(fixed, size);
    free(fixed);
}

#endif
