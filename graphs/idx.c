/* idx.c — reader of IDX files (LeCun's MNIST format), gzip-compressed or plain, through zlib. */

/*
 * An IDX file is
 *   offset  size        field
 *   0       2           0x00 0x00
 *   2       1           element type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)
 *   3       1           number of dimensions D
 *   4       4·D         the dimensions, big-endian u32
 *   4 + 4·D numel·size  the elements, row-major, big-endian
 * and nothing after. zlib's gzread reads a gzip file and a plain one alike;
 * offsets in error messages count bytes of the IDX data (after inflating).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "internal.h"

/* The largest element count read (refused from the header, before allocating). */
#define IDX_MAX_NUMEL ((int64_t)1 << 31)
/* deflate emits at most 258 bytes for 2 bits, so a gzip stream of n bytes
 * inflates to less than 1032·n: a longer declared payload cannot be there. */
#define GZIP_MAX_RATIO 1032
/* Bytes inflated and converted per step; a multiple of every element size. */
#define IDX_CHUNK 32768

static const char *const api = "lc_read_idx";

#define IDX_FAIL(status, ...)                                                                      \
    do {                                                                                           \
        st = lc_i_error((status), api, __VA_ARGS__);                                               \
        goto done;                                                                                 \
    } while (0)

typedef struct {
    uint8_t code;
    uint8_t size;
    const char *name;
} idx_type;

static const idx_type idx_types[] = {{0x08, 1, "u8"},  {0x09, 1, "i8"},  {0x0B, 2, "i16"},
                                     {0x0C, 4, "i32"}, {0x0D, 4, "f32"}, {0x0E, 8, "f64"}};

static const idx_type *find_type(uint8_t code)
{
    for (size_t i = 0; i < sizeof idx_types / sizeof idx_types[0]; i++)
        if (idx_types[i].code == code) return &idx_types[i];
    return NULL;
}

typedef struct {
    gzFile gz;
    const char *path;
    int64_t offset; /* bytes of IDX data read so far */
    bool cut;       /* the gzip stream ended before its trailer */
} idx_in;

/* The error zlib recorded, reported at byte `at` of the data. */
static lc_status stream_error(const idx_in *in, int64_t at)
{
    int errnum = Z_OK;
    const char *msg = gzerror(in->gz, &errnum);
    /* zlib prefixes its name of the stream ("<fd:3>: ") */
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    msg = colon ? colon + 2 : msg ? msg : "unknown error";
    if (errnum == Z_MEM_ERROR)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "'%s' byte %lld: zlib: %s", in->path,
                          (long long)at, msg);
    if (errnum == Z_ERRNO)
        return lc_i_error(LC_ERR_IO, api, "'%s' byte %lld: read error: %s", in->path, (long long)at,
                          msg);
    return lc_i_error(LC_ERR_IO, api, "'%s' byte %lld: corrupt gzip stream: %s", in->path,
                      (long long)at, msg);
}

/* Read n bytes, fewer only at the end of the data (*got says how many). A
 * gzip stream that ends early sets in->cut; any other zlib error fails. */
static lc_status read_full(idx_in *in, void *buf, size_t n, size_t *got)
{
    size_t have = 0;
    while (have < n) {
        int k = gzread(in->gz, (char *)buf + have, (unsigned)(n - have));
        if (k < 0) return stream_error(in, in->offset + (int64_t)have);
        if (k == 0) break;
        have += (size_t)k;
    }
    in->offset += (int64_t)have;
    *got = have;
    if (have < n) {
        int errnum = Z_OK;
        gzerror(in->gz, &errnum);
        if (errnum == Z_BUF_ERROR)
            in->cut = true;
        else if (errnum != Z_OK)
            return stream_error(in, in->offset);
    }
    return LC_OK;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* n elements of type `code` at b (big-endian) to floats. */
static void convert(const uint8_t *b, size_t n, uint8_t code, float *dst)
{
    switch (code) {
    case 0x08:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)b[i];
        break;
    case 0x09:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)(int8_t)b[i];
        break;
    case 0x0B:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)(int16_t)(uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
        break;
    case 0x0C:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)(int32_t)be32(b + 4 * i);
        break;
    case 0x0D:
        for (size_t i = 0; i < n; i++) {
            uint32_t bits = be32(b + 4 * i);
            memcpy(&dst[i], &bits, sizeof bits);
        }
        break;
    default: /* 0x0E: values beyond float's range become ±inf */
        for (size_t i = 0; i < n; i++) {
            uint64_t bits = (uint64_t)be32(b + 8 * i) << 32 | be32(b + 8 * i + 4);
            double d;
            memcpy(&d, &bits, sizeof d);
            dst[i] = (float)d;
        }
        break;
    }
}

/* "60000 x 28 x 28" into buf. */
static const char *dims_str(const int64_t *dims, int nd, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int k = 0; k < nd && off < len; k++)
        off += (size_t)snprintf(buf + off, len - off, "%s%lld", k ? " x " : "", (long long)dims[k]);
    return buf;
}

lc_status lc_read_idx(const char *path, lc_tensor_t **out)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    lc_status st = LC_OK;
    lc_tensor_t *t = NULL;
    idx_in in = {NULL, path, 0, false};
    uint8_t buf[IDX_CHUNK];
    char shape_buf[96];
    size_t got;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) IDX_FAIL(LC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) IDX_FAIL(LC_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) IDX_FAIL(LC_ERR_IO, "cannot read '%s': it is a directory", path);
    in.gz = gzdopen(fd, "rb");
    if (!in.gz) IDX_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': zlib cannot allocate its reader", path);
    fd = -1; /* closed by gzclose */
    if (gzbuffer(in.gz, IDX_CHUNK) != 0)
        IDX_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': zlib refused its buffer size", path);

    /* magic: 0 0 type ndims */
    LC_TRY(read_full(&in, buf, 4, &got));
    if (got < 4)
        IDX_FAIL(LC_ERR_PARSE, "'%s' byte %zu: truncated header: expected 4 bytes, found %zu%s",
                 path, got, got, in.cut ? " (the gzip stream ends early)" : "");
    if (buf[0] || buf[1])
        IDX_FAIL(LC_ERR_PARSE,
                 "'%s' byte 0: bad magic %02X %02X %02X %02X (an IDX file starts with 00 00, "
                 "then its type and number of dimensions)",
                 path, buf[0], buf[1], buf[2], buf[3]);
    const idx_type *type = find_type(buf[2]);
    if (!type)
        IDX_FAIL(LC_ERR_PARSE,
                 "'%s' byte 2: unknown data type 0x%02X (known: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C "
                 "i32, 0x0D f32, 0x0E f64)",
                 path, buf[2]);
    const int nd = buf[3];
    if (nd == 0) IDX_FAIL(LC_ERR_PARSE, "'%s' byte 3: 0 dimensions (1 to 4 are read)", path);
    if (nd > LC_MAX_DIMS)
        IDX_FAIL(LC_ERR_PARSE, "'%s' byte 3: %d dimensions; at most %d are supported", path, nd,
                 LC_MAX_DIMS);

    /* the dimensions; their product is checked before anything is allocated */
    const int64_t header = 4 + 4 * nd;
    LC_TRY(read_full(&in, buf, (size_t)(4 * nd), &got));
    if (got < (size_t)(4 * nd))
        IDX_FAIL(LC_ERR_PARSE,
                 "'%s' byte %lld: truncated header: expected %lld bytes, found %lld%s", path,
                 (long long)in.offset, (long long)header, (long long)in.offset,
                 in.cut ? " (the gzip stream ends early)" : "");
    int64_t dims[LC_MAX_DIMS];
    double product = 1; /* exact up to 2^53, enough to name a refused size */
    for (int k = 0; k < nd; k++) {
        dims[k] = be32(buf + 4 * k);
        if (dims[k] == 0)
            IDX_FAIL(LC_ERR_PARSE, "'%s' byte %d: dimension %d is 0", path, 4 + 4 * k, k);
        product *= (double)dims[k];
    }
    const char *shape = dims_str(dims, nd, shape_buf, sizeof shape_buf);
    if (product > (double)IDX_MAX_NUMEL)
        IDX_FAIL(LC_ERR_OUT_OF_MEMORY,
                 "'%s' byte 4: %s = %.15g elements, more than the 2^31 that are read", path, shape,
                 product);
    const int64_t numel = (int64_t)product;
    const int64_t bytes = numel * type->size;

    /* a payload the file cannot hold is refused before it is allocated */
    if (S_ISREG(sb.st_mode)) {
        if (gzdirect(in.gz)) {
            int64_t avail = (int64_t)sb.st_size - header;
            if (avail < bytes)
                IDX_FAIL(LC_ERR_PARSE,
                         "'%s' byte %lld: truncated data: %s %s needs %lld bytes, found %lld", path,
                         (long long)(header + (avail > 0 ? avail : 0)), shape, type->name,
                         (long long)bytes, (long long)(avail > 0 ? avail : 0));
        } else if ((double)bytes > (double)sb.st_size * GZIP_MAX_RATIO + 4096) {
            IDX_FAIL(LC_ERR_PARSE,
                     "'%s' byte %lld: truncated data: %s %s needs %lld bytes, more than the "
                     "%lld-byte gzip file can hold",
                     path, (long long)header, shape, type->name, (long long)bytes,
                     (long long)sb.st_size);
        }
    }

    st = lc_tensor_new(&t, nd, dims);
    if (st != LC_OK) {
        char why[512];
        const char *colon = strstr(lc_last_error(), ": ");
        snprintf(why, sizeof why, "%s", colon ? colon + 2 : lc_last_error());
        IDX_FAIL(st, "'%s': %s %s: %s", path, shape, type->name, why);
    }

    float *dst = t->data;
    for (int64_t done_bytes = 0; done_bytes < bytes;) {
        size_t want = (size_t)(bytes - done_bytes < IDX_CHUNK ? bytes - done_bytes : IDX_CHUNK);
        LC_TRY(read_full(&in, buf, want, &got));
        convert(buf, got / type->size, type->code, dst);
        dst += got / type->size;
        done_bytes += (int64_t)got;
        if (got < want)
            IDX_FAIL(LC_ERR_PARSE,
                     "'%s' byte %lld: truncated data: %s %s needs %lld bytes, found %lld%s", path,
                     (long long)in.offset, shape, type->name, (long long)bytes,
                     (long long)done_bytes, in.cut ? " (the gzip stream ends early)" : "");
    }

    /* nothing may follow the data; reading on also makes zlib check the gzip trailer */
    int64_t end = in.offset, trailing = 0;
    do {
        LC_TRY(read_full(&in, buf, sizeof buf, &got));
        trailing += (int64_t)got;
    } while (got == sizeof buf);
    if (trailing > 0)
        IDX_FAIL(LC_ERR_PARSE, "'%s' byte %lld: %lld trailing bytes after the data of %s %s", path,
                 (long long)end, (long long)trailing, shape, type->name);
    if (in.cut)
        IDX_FAIL(LC_ERR_IO, "'%s' byte %lld: corrupt gzip stream: it ends before its trailer", path,
                 (long long)end);
    *out = t;
    t = NULL;

done:
    if (in.gz) gzclose_r(in.gz);
    if (fd >= 0) close(fd);
    lc_tensor_free(&t);
    return st;
}
