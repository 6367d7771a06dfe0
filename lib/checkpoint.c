/* checkpoint.c — versioned, checksummed model checkpoints written atomically. */

/*
 * File format, version 1. Every integer is little-endian; floats are IEEE-754
 * binary32, little-endian.
 *
 *   offset  size        field
 *   0       8           magic "LCONVCKP"
 *   8       u32         format version (1)
 *   12      u32         spec length S
 *   16      S bytes     model spec (no terminating NUL)
 *           u32         tensor count T
 *   then T times:
 *           u32         name length N
 *           N bytes     name (no terminating NUL)
 *           u32         ndim D (1..LC_MAX_DIMS)
 *           D × i64     dims (each >= 1)
 *           numel × f32 values, row-major
 *   last    u32         CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 *
 * Writing goes to "<path>.tmp.<pid>", is flushed and fsync'ed, then renamed
 * over <path>: a crash or an error never leaves a half-written checkpoint at
 * <path>, and the previous one survives any failure.
 *
 * Reading loads the whole file, checks magic, version, structure (so that a
 * truncated file is reported as such) and checksum, then compares spec, names
 * and shapes with the caller's tensors; the tensors are written only once all
 * of that has passed, so a refused load leaves them unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CKP_MAGIC "LCONVCKP"
#define CKP_MAGIC_LEN 8
#define CKP_VERSION 1u
/* Larger files are refused before anything is allocated. */
#define CKP_MAX_FILE ((int64_t)16 << 30)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CKP_HOST_LE 1
#else
#define CKP_HOST_LE 0
#endif

/* ---------- CRC-32 ---------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
}

/* Running CRC in zlib's convention: start with crc = 0, feed the result of one
 * call into the next, and crc32(crc32(0, a), b) == crc32(0, a || b). */
uint32_t lc_i_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_table_init);
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* ---------- little-endian encoding ---------- */

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *b)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static int64_t get_i64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return (int64_t)v;
}

/* ---------- writing ---------- */

void lc_i_crc_write(lc_i_crc_writer *w, const void *data, size_t len)
{
    if (w->err || len == 0) return;
    if (fwrite(data, 1, len, w->f) != len) {
        w->err = errno ? errno : EIO;
        return;
    }
    w->crc = lc_i_crc32(w->crc, data, len);
}

lc_status lc_i_crc_commit(lc_i_crc_writer *w, lc_i_atomic *out, const char *path, const char *func)
{
    unsigned char crc_bytes[4];
    put_u32(crc_bytes, w->crc);
    lc_i_crc_write(w, crc_bytes, 4);
    if (w->err)
        return lc_i_error(LC_ERR_IO, func, "'%s': write to '%s' failed: %s", path, out->tmp,
                          strerror(w->err));
    return lc_i_atomic_commit(out);
}

static void w_u32(lc_i_crc_writer *w, uint32_t v)
{
    unsigned char b[4];
    put_u32(b, v);
    lc_i_crc_write(w, b, 4);
}

static void w_floats(lc_i_crc_writer *w, const float *x, int64_t n)
{
    if (CKP_HOST_LE) {
        lc_i_crc_write(w, x, (size_t)n * sizeof(float));
        return;
    }
    /* Big-endian host: convert through a small buffer. */
    unsigned char buf[4096];
    int64_t i = 0;
    while (i < n) {
        size_t k = 0;
        for (; k < sizeof buf / 4 && i < n; k++, i++) {
            uint32_t bits;
            memcpy(&bits, &x[i], 4);
            put_u32(buf + 4 * k, bits);
        }
        lc_i_crc_write(w, buf, 4 * k);
    }
}

lc_status lc_i_checkpoint_write(const char *path, const char *spec, int count,
                                const char *const *names, const lc_tensor_t *const *tensors)
{
    LC_CHECK_ARG(path && *path, "path is NULL or empty");
    LC_CHECK_ARG(spec, "'%s': spec is NULL", path);
    LC_CHECK_ARG(count >= 0, "'%s': tensor count %d is negative", path, count);
    LC_CHECK_ARG(count == 0 || (names && tensors), "'%s': names or tensors is NULL", path);
    LC_CHECK_ARG(strlen(spec) <= UINT32_MAX, "'%s': spec is too long", path);
    for (int i = 0; i < count; i++) {
        LC_CHECK_ARG(names[i] && tensors[i], "'%s': name or tensor %d is NULL", path, i);
        LC_CHECK_ARG(strlen(names[i]) <= UINT32_MAX, "'%s': name of tensor %d is too long", path,
                     i);
    }

    lc_status st = LC_OK;
    lc_i_atomic out;
    LC_TRY(lc_i_atomic_open(&out, path));
    lc_i_crc_writer w = {out.f, 0, 0};

    lc_i_crc_write(&w, CKP_MAGIC, CKP_MAGIC_LEN);
    w_u32(&w, CKP_VERSION);
    w_u32(&w, (uint32_t)strlen(spec));
    lc_i_crc_write(&w, spec, strlen(spec));
    w_u32(&w, (uint32_t)count);
    for (int i = 0; i < count; i++) {
        const lc_tensor_t *t = tensors[i];
        w_u32(&w, (uint32_t)strlen(names[i]));
        lc_i_crc_write(&w, names[i], strlen(names[i]));
        w_u32(&w, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) {
            unsigned char b[8];
            put_u64(b, (uint64_t)t->shape[d]);
            lc_i_crc_write(&w, b, 8);
        }
        w_floats(&w, t->data, t->numel);
    }
    st = lc_i_crc_commit(&w, &out, path, __func__);

done:
    lc_i_atomic_abort(&out);
    return st;
}

/* ---------- reading ---------- */

/* One tensor record as found in the file; pointers into the file buffer. */
typedef struct {
    const unsigned char *name;
    uint32_t name_len;
    int ndim;
    int64_t shape[LC_MAX_DIMS];
    int64_t numel;
    const unsigned char *data;
} ckp_entry;

/* The helpers below report under the name of the function that was called. */
#define READ_ERROR(status, ...) lc_i_error((status), "lc_i_checkpoint_read", __VA_ARGS__)
#define READ_FAIL(status, ...)                                                                     \
    do {                                                                                           \
        st = READ_ERROR((status), __VA_ARGS__);                                                    \
        goto done;                                                                                 \
    } while (0)

/* The whole file in memory. Refuses non-regular files and sizes above
 * CKP_MAX_FILE before allocating. */
static lc_status read_file(const char *path, unsigned char **buf_out, size_t *size_out)
{
    lc_status st = LC_OK;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) READ_FAIL(LC_ERR_IO, "'%s': cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        READ_FAIL(LC_ERR_IO, "'%s': cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) READ_FAIL(LC_ERR_IO, "'%s': not a regular file", path);
    if ((int64_t)sb.st_size > CKP_MAX_FILE)
        READ_FAIL(LC_ERR_CORRUPT, "'%s': size %lld bytes exceeds the 16 GiB limit", path,
                  (long long)sb.st_size);
    size_t size = (size_t)sb.st_size;
    buf = lc_i_malloc(size);
    if (!buf) READ_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %zu bytes", path, size);
    if (size > 0 && fread(buf, 1, size, f) != size)
        READ_FAIL(LC_ERR_IO, "'%s': read error (file changed while reading?)", path);
    *buf_out = buf;
    *size_out = size;
    buf = NULL;
done:
    if (f) fclose(f);
    lc_i_free(buf);
    return st;
}

/* Walk the records of buf[0, size) after magic and version. Nothing is
 * allocated: every length is checked against the bytes that remain, so
 * absurd counts and dims end in LC_ERR_CORRUPT. With entries == NULL only
 * the structure is checked; *count_out gets the tensor count. */
static lc_status parse_body(const char *path, const unsigned char *buf, size_t size,
                            const unsigned char **spec, uint32_t *spec_len, uint32_t *count_out,
                            ckp_entry *entries)
{
    size_t pos = CKP_MAGIC_LEN + 4;
/* Need n more bytes at pos (plus the 4-byte CRC after all records). */
#define NEED(n)                                                                                    \
    do {                                                                                           \
        if ((uint64_t)(n) > (uint64_t)(size - pos))                                                \
            return READ_ERROR(LC_ERR_CORRUPT, "'%s': truncated at byte %zu", path, size);          \
    } while (0)
    NEED(4);
    *spec_len = get_u32(buf + pos);
    pos += 4;
    NEED(*spec_len);
    *spec = buf + pos;
    pos += *spec_len;
    NEED(4);
    uint32_t count = get_u32(buf + pos);
    pos += 4;
    /* Each record takes at least 4 + 4 + 8 + 4 bytes. */
    if ((uint64_t)count * 20u > (uint64_t)(size - pos))
        return READ_ERROR(LC_ERR_CORRUPT, "'%s': truncated at byte %zu (%u tensors announced)",
                          path, size, count);
    for (uint32_t i = 0; i < count; i++) {
        ckp_entry e;
        NEED(4);
        e.name_len = get_u32(buf + pos);
        pos += 4;
        NEED(e.name_len);
        e.name = buf + pos;
        pos += e.name_len;
        NEED(4);
        uint32_t ndim = get_u32(buf + pos);
        pos += 4;
        if (ndim < 1 || ndim > LC_MAX_DIMS)
            return READ_ERROR(LC_ERR_CORRUPT, "'%s': tensor %u has %u dimensions (1..%d allowed)",
                              path, i, ndim, LC_MAX_DIMS);
        e.ndim = (int)ndim;
        NEED(8 * (size_t)ndim);
        e.numel = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            int64_t dim = get_i64(buf + pos + 8 * d);
            if (dim < 1 || dim > LC_MAX_NUMEL || e.numel > LC_MAX_NUMEL / dim)
                return READ_ERROR(LC_ERR_CORRUPT, "'%s': tensor %u has an absurd dim %lld", path, i,
                                  (long long)dim);
            e.shape[d] = dim;
            e.numel *= dim;
        }
        pos += 8 * (size_t)ndim;
        NEED((uint64_t)e.numel * 4u);
        e.data = buf + pos;
        pos += (size_t)e.numel * 4u;
        if (entries) entries[i] = e;
    }
    NEED(4); /* the CRC */
    pos += 4;
#undef NEED
    if (pos != size)
        return READ_ERROR(LC_ERR_CORRUPT, "'%s': %zu unexpected bytes after byte %zu", path,
                          size - pos, pos);
    *count_out = count;
    return LC_OK;
}

static void shape_of_entry(const ckp_entry *e, char *buf, size_t len)
{
    size_t off = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < e->ndim && off < len; d++)
        off +=
            (size_t)snprintf(buf + off, len - off, d ? ", %lld" : "%lld", (long long)e->shape[d]);
    if (off < len) snprintf(buf + off, len - off, "]");
}

static int same_shape(const ckp_entry *e, const lc_tensor_t *t)
{
    if (e->ndim != t->ndim) return 0;
    for (int d = 0; d < e->ndim; d++)
        if (e->shape[d] != t->shape[d]) return 0;
    return 1;
}

lc_status lc_i_checkpoint_read(const char *path, const char *spec, int count,
                               const char *const *names, lc_tensor_t *const *tensors)
{
    LC_CHECK_ARG(path && *path, "path is NULL or empty");
    LC_CHECK_ARG(spec, "'%s': spec is NULL", path);
    LC_CHECK_ARG(count >= 0, "'%s': tensor count %d is negative", path, count);
    LC_CHECK_ARG(count == 0 || (names && tensors), "'%s': names or tensors is NULL", path);
    for (int i = 0; i < count; i++)
        LC_CHECK_ARG(names[i] && tensors[i], "'%s': name or tensor %d is NULL", path, i);

    lc_status st = LC_OK;
    unsigned char *buf = NULL;
    ckp_entry *entries = NULL;
    size_t size = 0;
    LC_TRY(read_file(path, &buf, &size));

    /* Magic: a file shorter than the magic that starts like it was cut off. */
    size_t head = size < CKP_MAGIC_LEN ? size : CKP_MAGIC_LEN;
    if (memcmp(buf, CKP_MAGIC, head) != 0)
        LC_FAIL(LC_ERR_CORRUPT, "'%s': not an lconv checkpoint", path);
    if (size < CKP_MAGIC_LEN + 4)
        LC_FAIL(LC_ERR_CORRUPT, "'%s': truncated at byte %zu", path, size);
    uint32_t version = get_u32(buf + CKP_MAGIC_LEN);
    if (version != CKP_VERSION)
        LC_FAIL(LC_ERR_CORRUPT, "'%s': version %u not supported (this build reads %u)", path,
                version, CKP_VERSION);

    const unsigned char *fspec;
    uint32_t fspec_len, fcount;
    LC_TRY(parse_body(path, buf, size, &fspec, &fspec_len, &fcount, NULL));
    if (lc_i_crc32(0, buf, size - 4) != get_u32(buf + size - 4))
        LC_FAIL(LC_ERR_CORRUPT, "'%s': checksum mismatch", path);

    /* The file is intact; now is it this model's? */
    if (fspec_len != strlen(spec) || memcmp(fspec, spec, fspec_len) != 0)
        LC_FAIL(LC_ERR_MISMATCH, "'%s': checkpoint is of model '%.*s', this model is '%s'", path,
                (int)fspec_len, (const char *)fspec, spec);
    if (fcount != (uint32_t)count)
        LC_FAIL(LC_ERR_MISMATCH, "'%s': checkpoint holds %u tensors, this model has %d", path,
                fcount, count);
    entries = lc_i_calloc(fcount ? fcount : 1, sizeof *entries);
    if (!entries) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %u entries", path, fcount);
    LC_TRY(parse_body(path, buf, size, &fspec, &fspec_len, &fcount, entries));
    for (int i = 0; i < count; i++) {
        const ckp_entry *e = &entries[i];
        if (e->name_len != strlen(names[i]) || memcmp(e->name, names[i], e->name_len) != 0)
            LC_FAIL(LC_ERR_MISMATCH,
                    "'%s': tensor %d is '%.*s' in the checkpoint, '%s' in this model", path, i,
                    (int)e->name_len, (const char *)e->name, names[i]);
        if (!same_shape(e, tensors[i])) {
            char a[128], b[128];
            shape_of_entry(e, a, sizeof a);
            lc_i_shape_str(tensors[i], b, sizeof b);
            LC_FAIL(LC_ERR_MISMATCH,
                    "'%s': tensor '%s' has shape %s in the checkpoint, %s in this model", path,
                    names[i], a, b);
        }
    }

    /* Everything checked: only now touch the caller's tensors. */
    for (int i = 0; i < count; i++) {
        const ckp_entry *e = &entries[i];
        if (CKP_HOST_LE) {
            memcpy(tensors[i]->data, e->data, (size_t)e->numel * 4u);
        } else {
            for (int64_t k = 0; k < e->numel; k++) {
                uint32_t bits = get_u32(e->data + 4 * k);
                memcpy(&tensors[i]->data[k], &bits, 4);
            }
        }
    }

done:
    lc_i_free(entries);
    lc_i_free(buf);
    return st;
}
