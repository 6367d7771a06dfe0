/* pointcloud.c — point-cloud readers: .xyz text, PCD (ASCII), PointNet HDF5 (libhdf5). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "internal.h"

/* Node ids end up as 32-bit CSR columns: a cloud holds at most this many points. */
#define PC_MAX_POINTS ((int64_t)INT32_MAX - 1)
/* PCD header limits: a header beyond these is hostile or corrupt, not a cloud. */
#define PCD_MAX_FIELDS 256
#define PCD_MAX_COUNT (1 << 20) /* values per field, and per point */
/* HDF5: the largest element count read (refused from the header, before allocating). */
#define H5_MAX_NUMEL ((int64_t)1 << 31)
/* Class labels above this are a corrupt file, not a class count. */
#define H5_MAX_LABEL (1 << 20)

/* ---------------------------------------------------------------- growable [n, 3] */

typedef struct {
    float *xyz;
    int64_t n, cap;
} pc_buf;

/* Append one point; `limit` is the most points the file may hold. */
static lc_status pc_push(pc_buf *b, const float p[3], int64_t limit)
{
    if (b->n >= limit)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "more than %lld points", (long long)limit);
    if (b->n == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 1024;
        if (cap > limit) cap = limit;
        float *xyz = lc_i_realloc(b->xyz, (size_t)cap * 3 * sizeof *xyz);
        if (!xyz)
            return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow the point list to %lld points",
                            (long long)cap);
        b->xyz = xyz;
        b->cap = cap;
    }
    memcpy(b->xyz + 3 * b->n, p, 3 * sizeof *p);
    b->n++;
    return LC_OK;
}

/* The points as a fresh [n, 3] tensor. */
static lc_status pc_tensor(const pc_buf *b, lc_tensor_t **out)
{
    lc_tensor_t *t = NULL;
    lc_status st = lc_tensor_new2(&t, b->n, 3);
    if (st) return st;
    memcpy(t->data, b->xyz, (size_t)b->n * 3 * sizeof *b->xyz);
    *out = t;
    return LC_OK;
}

/* ---------------------------------------------------------------- .xyz */

lc_status lc_read_xyz(const char *path, lc_tensor_t **points)
{
    static const char *api = "lc_read_xyz";
    LC_CHECK_ARG(points, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    lc_status st = LC_OK;
    lc_i_lines r;
    pc_buf b = {0};
    int64_t ncols = 0, cols_line = 0;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        const int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (ntok < 3) PARSE_FAIL(&r, "%lld fields; a point needs 'x y z'", (long long)ntok);
        if (ncols == 0) {
            ncols = ntok;
            cols_line = r.line_no;
        } else if (ntok != ncols) {
            PARSE_FAIL(&r, "%lld fields but line %lld has %lld", (long long)ntok,
                       (long long)cols_line, (long long)ncols);
        }
        char *cur = line;
        float p[3];
        for (int k = 0; k < 3; k++) {
            const char *tok = lc_i_next_token(&cur);
            if (!lc_i_parse_real(tok, &p[k]))
                PARSE_FAIL(&r, "%c '%.40s' is not a finite number", "xyz"[k], tok);
        }
        if ((st = pc_push(&b, p, PC_MAX_POINTS)))
            API_FAIL(st, "'%s' line %lld: %s", path, (long long)r.line_no,
                     strstr(lc_last_error(), ": ") + 2);
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (b.n == 0) EOF_FAIL(&r, "no point (empty file or only comments)");
    if ((st = pc_tensor(&b, points))) st = lc_i_reraise(api, st);
done:
    lc_i_lines_close(&r);
    lc_i_free(b.xyz);
    return st;
}

/* ---------------------------------------------------------------- PCD (ASCII) */

/* The header keywords, in the order a PCD v0.7 file gives them. */
enum {
    K_VERSION,
    K_FIELDS,
    K_SIZE,
    K_TYPE,
    K_COUNT,
    K_WIDTH,
    K_HEIGHT,
    K_VIEWPOINT,
    K_POINTS,
    K_DATA,
    K_N
};
static const char *const pcd_keys[K_N] = {"VERSION", "FIELDS", "SIZE",      "TYPE",   "COUNT",
                                          "WIDTH",   "HEIGHT", "VIEWPOINT", "POINTS", "DATA"};

typedef struct {
    int64_t seen[K_N]; /* line of each keyword, 0 = absent */
    int nfields;
    int xyz_col[3];   /* value column of x, y, z (after expanding COUNT) */
    int xyz_field[3]; /* field index of x, y, z; -1 = absent */
    int count[PCD_MAX_FIELDS];
    int64_t values; /* values per point: the sum of COUNT */
    int64_t width, height, points;
} pcd_header;

/* An integer token in [lo, hi]. */
static bool int_in(const char *tok, int64_t lo, int64_t hi, int64_t *out)
{
    return tok && lc_i_parse_int(tok, out) && *out >= lo && *out <= hi;
}

/* One header line (its keyword already read into `key`); the rest of the line in `cur`. */
static lc_status pcd_header_line(const char *api, lc_i_lines *r, pcd_header *h, int key, char *cur)
{
    lc_status st = LC_OK;
    const int64_t ntok = lc_i_count_tokens(cur);
    const bool per_field = key == K_SIZE || key == K_TYPE || key == K_COUNT;
    if (per_field && !h->seen[K_FIELDS]) PARSE_FAIL(r, "%s before FIELDS", pcd_keys[key]);
    if (per_field && ntok != h->nfields)
        PARSE_FAIL(r, "%s has %lld entries but FIELDS names %d", pcd_keys[key], (long long)ntok,
                   h->nfields);
    switch (key) {
    case K_VERSION:
        if (ntok != 1) PARSE_FAIL(r, "VERSION takes one value");
        break;
    case K_FIELDS:
        if (ntok < 1 || ntok > PCD_MAX_FIELDS)
            PARSE_FAIL(r, "%lld fields; expected 1 to %d", (long long)ntok, PCD_MAX_FIELDS);
        h->nfields = (int)ntok;
        for (int f = 0; f < h->nfields; f++) {
            const char *name = lc_i_next_token(&cur);
            h->count[f] = 1;
            for (int a = 0; a < 3; a++)
                if (name[0] == "xyz"[a] && name[1] == '\0') {
                    if (h->xyz_field[a] >= 0)
                        PARSE_FAIL(r, "field '%c' named twice (fields %d and %d)", "xyz"[a],
                                   h -> xyz_field[a] + 1, f + 1);
                    h->xyz_field[a] = f;
                }
        }
        for (int a = 0; a < 3; a++)
            if (h->xyz_field[a] < 0)
                PARSE_FAIL(r, "no field '%c' (FIELDS must name x, y and z)", "xyz"[a]);
        break;
    case K_SIZE:
    case K_TYPE:
        for (int f = 0; f < h->nfields; f++) {
            const char *tok = lc_i_next_token(&cur);
            int64_t v;
            if (key == K_SIZE && !(int_in(tok, 1, 8, &v) && (v & (v - 1)) == 0))
                PARSE_FAIL(r, "SIZE of field %d is '%.40s'; expected 1, 2, 4 or 8", f + 1, tok);
            if (key == K_TYPE && strcmp(tok, "F") && strcmp(tok, "I") && strcmp(tok, "U"))
                PARSE_FAIL(r, "TYPE of field %d is '%.40s'; expected F, I or U", f + 1, tok);
        }
        break;
    case K_COUNT:
        for (int f = 0; f < h->nfields; f++) {
            const char *tok = lc_i_next_token(&cur);
            int64_t v;
            if (!int_in(tok, 1, PCD_MAX_COUNT, &v))
                PARSE_FAIL(r, "COUNT of field %d is '%.40s'; expected 1 to %d", f + 1, tok,
                           PCD_MAX_COUNT);
            h->count[f] = (int)v;
        }
        for (int a = 0; a < 3; a++)
            if (h->count[h->xyz_field[a]] != 1)
                PARSE_FAIL(r, "field '%c' has COUNT %d; a coordinate is one value", "xyz"[a],
                           h -> count[h->xyz_field[a]]);
        break;
    case K_WIDTH:
    case K_HEIGHT:
    case K_POINTS: {
        int64_t v;
        const char *tok = lc_i_next_token(&cur);
        if (ntok != 1 || !int_in(tok, 0, PC_MAX_POINTS, &v))
            PARSE_FAIL(r, "%s is '%.40s'; expected one integer in [0, %lld]", pcd_keys[key],
                       tok ? tok : "", (long long)PC_MAX_POINTS);
        if (key == K_WIDTH)
            h->width = v;
        else if (key == K_HEIGHT)
            h->height = v;
        else
            h->points = v;
        break;
    }
    case K_VIEWPOINT:
        if (ntok != 7)
            PARSE_FAIL(r, "VIEWPOINT has %lld values; expected 7 (tx ty tz qw qx qy qz)",
                       (long long)ntok);
        for (int k = 0; k < 7; k++) {
            float v;
            const char *tok = lc_i_next_token(&cur);
            if (!lc_i_parse_real(tok, &v))
                PARSE_FAIL(r, "VIEWPOINT value '%.40s' is not a finite number", tok);
        }
        break;
    case K_DATA: {
        const char *tok = lc_i_next_token(&cur);
        if (ntok == 1 && (!strcmp(tok, "binary") || !strcmp(tok, "binary_compressed")))
            API_FAIL(LC_ERR_UNSUPPORTED, "'%s' line %lld: DATA %s is not supported (ASCII only)",
                     r->path, (long long)r->line_no, tok);
        if (ntok != 1 || strcmp(tok, "ascii"))
            PARSE_FAIL(r, "DATA is '%.40s'; expected ascii", tok ? tok : "");
        break;
    }
    }
done:
    return st;
}

/* After DATA: every required keyword seen, the counts agree; the x, y, z columns. */
static lc_status pcd_header_check(const char *api, lc_i_lines *r, pcd_header *h)
{
    lc_status st = LC_OK;
    static const int required[] = {K_FIELDS, K_SIZE, K_TYPE, K_WIDTH, K_HEIGHT, K_POINTS};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (!h->seen[required[k]])
            PARSE_FAIL(r, "the header has no %s line", pcd_keys[required[k]]);
    if (h->width * h->height != h->points)
        PARSE_FAIL(r, "WIDTH %lld x HEIGHT %lld is not POINTS %lld", (long long)h->width,
                   (long long)h->height, (long long)h->points);
    if (h->points == 0) PARSE_FAIL(r, "POINTS is 0: no point");
    h->values = 0;
    for (int f = 0; f < h->nfields; f++) {
        for (int a = 0; a < 3; a++)
            if (h->xyz_field[a] == f) h->xyz_col[a] = (int)h->values;
        h->values += h->count[f];
    }
    if (h->values > PCD_MAX_COUNT)
        PARSE_FAIL(r, "%lld values per point (COUNT sums above %d)", (long long)h->values,
                   PCD_MAX_COUNT);
done:
    return st;
}

/* A coordinate: finite (and within float), or NaN (PCL's mark of an invalid point). */
static bool pcd_coord(const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return false;
    if (isnan(v)) {
        *out = NAN;
        return true;
    }
    return lc_i_parse_real(s, out);
}

lc_status lc_read_pcd(const char *path, lc_tensor_t **points)
{
    static const char *api = "lc_read_pcd";
    LC_CHECK_ARG(points, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    lc_status st = LC_OK;
    lc_i_lines r;
    pc_buf b = {0};
    pcd_header h = {.xyz_field = {-1, -1, -1}};
    int64_t rows = 0; /* data lines read, NaN points included */
    char *line;
    int rc;
    bool in_data = false;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        char *cur = line;
        if (!in_data) {
            const char *word = lc_i_next_token(&cur);
            if (!word) continue;
            int key = 0;
            while (key < K_N && strcmp(word, pcd_keys[key]))
                key++;
            if (key == K_N) PARSE_FAIL(&r, "unknown header keyword '%.40s'", word);
            if (h.seen[key])
                PARSE_FAIL(&r, "%s given twice (also on line %lld)", word, (long long)h.seen[key]);
            for (int later = key + 1; later < K_N; later++)
                if (h.seen[later])
                    PARSE_FAIL(&r, "%s after %s (header out of order)", word, pcd_keys[later]);
            h.seen[key] = r.line_no;
            LC_TRY(pcd_header_line(api, &r, &h, key, cur));
            if (key == K_DATA) {
                LC_TRY(pcd_header_check(api, &r, &h));
                in_data = true;
            }
            continue;
        }
        const int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (ntok != h.values)
            PARSE_FAIL(&r, "%lld values; the header gives %lld per point", (long long)ntok,
                       (long long)h.values);
        if (rows == h.points) PARSE_FAIL(&r, "more points than POINTS %lld", (long long)h.points);
        rows++;
        float p[3];
        bool invalid = false;
        for (int64_t c = 0; c < h.values; c++) {
            const char *tok = lc_i_next_token(&cur);
            for (int a = 0; a < 3; a++)
                if (c == h.xyz_col[a]) {
                    if (!pcd_coord(tok, &p[a]))
                        PARSE_FAIL(&r, "%c '%.40s' is not a finite number or nan", "xyz"[a], tok);
                    invalid |= isnan(p[a]);
                }
        }
        if (invalid) continue;
        if ((st = pc_push(&b, p, h.points)))
            API_FAIL(st, "'%s' line %lld: %s", path, (long long)r.line_no,
                     strstr(lc_last_error(), ": ") + 2);
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (!in_data) EOF_FAIL(&r, "no DATA line (not a PCD file, or its header is cut)");
    if (rows < h.points)
        EOF_FAIL(&r, "%lld points; POINTS says %lld", (long long)rows, (long long)h.points);
    if (b.n == 0) EOF_FAIL(&r, "every point is nan (no valid point)");
    if ((st = pc_tensor(&b, points))) st = lc_i_reraise(api, st);
done:
    lc_i_lines_close(&r);
    lc_i_free(b.xyz);
    return st;
}

/* ---------------------------------------------------------------- PointNet HDF5 */

/* libhdf5 (serial build) is not thread-safe, and its error printing is global. */
static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;

/* Open dataset `name` of `file`: it must exist, hold numbers of class `want`
 * (H5T_FLOAT also takes integers, which HDF5 converts), be a simple array of
 * 1 to 3 nonzero dimensions (*rank, dims[]) and have stored values. */
static lc_status h5_open_dataset(const char *api, const char *path, hid_t file, const char *name,
                                 H5T_class_t want, hid_t *ds, int *rank, hsize_t dims[3])
{
    lc_status st = LC_OK;
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID;
    *ds = H5I_INVALID_HID;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        API_FAIL(LC_ERR_PARSE,
                 "'%s': no dataset '%s' (PointNet's layout: 'data' M x N x 3 floats, 'label' M "
                 "integers)",
                 path, name);
    if ((*ds = H5Dopen2(file, name, H5P_DEFAULT)) < 0)
        API_FAIL(LC_ERR_PARSE, "'%s': '%s' is not a dataset that can be opened", path, name);
    if ((type = H5Dget_type(*ds)) < 0 || (space = H5Dget_space(*ds)) < 0)
        API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' has an unreadable type or shape", path, name);
    const H5T_class_t cls = H5Tget_class(type);
    if (cls != want && !(want == H5T_FLOAT && cls == H5T_INTEGER))
        API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' holds %s, not %s", path, name,
                 cls == H5T_FLOAT     ? "floats"
                 : cls == H5T_INTEGER ? "integers"
                 : cls == H5T_STRING  ? "strings"
                                      : "a compound or other non-numeric type",
                 want == H5T_FLOAT ? "numbers" : "integers");
    if (H5Sget_simple_extent_type(space) != H5S_SIMPLE)
        API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' is a scalar or empty, not an array", path, name);
    const int r = H5Sget_simple_extent_ndims(space);
    if (r < 1 || r > 3)
        API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' has %d dimensions", path, name, r);
    H5Sget_simple_extent_dims(space, dims, NULL);
    *rank = r;
    for (int k = 0; k < r; k++)
        if (dims[k] == 0 || dims[k] > (hsize_t)H5_MAX_NUMEL)
            API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' dimension %d is %llu", path, name, k,
                     (unsigned long long)dims[k]);
    /* An allocated-on-write dataset never written reads as its fill value:
     * no stored bytes means no data, whatever the header declares. */
    if (H5Dget_storage_size(*ds) == 0)
        API_FAIL(LC_ERR_PARSE, "'%s': dataset '%s' has no stored values", path, name);
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (st && *ds >= 0) {
        H5Dclose(*ds);
        *ds = H5I_INVALID_HID;
    }
    return st;
}

/* Refuse an allocation that cannot fit in a quarter of this machine's memory. */
static bool fits_memory(double bytes)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = (pages > 0 && page > 0) ? (double)pages * (double)page : 0x1p40;
    return bytes <= phys / 4;
}

lc_status lc_read_pointnet_h5(const char *path, lc_tensor_t **points, lc_tensor_t **labels)
{
    static const char *api = "lc_read_pointnet_h5";
    LC_CHECK_ARG(points, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    lc_status st = LC_OK;
    lc_tensor_t *pts = NULL, *lab = NULL;
    int64_t *raw = NULL;
    hid_t file = H5I_INVALID_HID, data = H5I_INVALID_HID, label = H5I_INVALID_HID;
    struct stat sb;
    pthread_mutex_lock(&h5_lock);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported through lconv, not printed */
    if (stat(path, &sb) != 0) API_FAIL(LC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) API_FAIL(LC_ERR_IO, "'%s' is not a regular file", path);
    if (H5Fis_hdf5(path) <= 0)
        API_FAIL(LC_ERR_PARSE, "'%s': not an HDF5 file (no HDF5 signature, or unreadable)", path);
    if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        API_FAIL(LC_ERR_PARSE, "'%s': libhdf5 cannot open it (corrupt or truncated file)", path);

    int rank;
    hsize_t dims[3];
    LC_TRY(h5_open_dataset(api, path, file, "data", H5T_FLOAT, &data, &rank, dims));
    if (rank != 3 || dims[2] != 3)
        API_FAIL(LC_ERR_PARSE, "'%s': dataset 'data' is %llu%s%s; expected M x N x 3 (x, y, z)",
                 path, (unsigned long long)dims[0], rank > 1 ? " x ..." : "",
                 rank == 3 ? " with a last dimension other than 3" : "");
    const int64_t m = (int64_t)dims[0], n = (int64_t)dims[1];
    if ((double)m * (double)n * 3 > (double)H5_MAX_NUMEL || n > PC_MAX_POINTS)
        API_FAIL(LC_ERR_OUT_OF_MEMORY,
                 "'%s': dataset 'data' is %lld x %lld x 3, more than 2^31 values (refused "
                 "before allocating)",
                 path, (long long)m, (long long)n);
    if (!fits_memory((double)m * (double)n * 12))
        API_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': dataset 'data' (%.3g GB) exceeds a quarter of memory",
                 path, (double)m * (double)n * 12 / 1e9);
    const int64_t shape[3] = {m, n, 3};
    if ((st = lc_tensor_new(&pts, 3, shape)))
        API_FAIL(st, "'%s': cannot allocate the points", path);
    if (H5Dread(data, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, pts->data) < 0)
        API_FAIL(LC_ERR_PARSE, "'%s': cannot read dataset 'data' (corrupt or truncated file?)",
                 path);
    for (int64_t i = 0; i < pts->numel; i++)
        if (!isfinite(pts->data[i]))
            API_FAIL(LC_ERR_PARSE,
                     "'%s': dataset 'data' [%lld][%lld][%lld] is %g, not a finite float", path,
                     (long long)(i / (3 * n)), (long long)(i / 3 % n), (long long)(i % 3),
                     (double)pts->data[i]);

    if (labels) {
        LC_TRY(h5_open_dataset(api, path, file, "label", H5T_INTEGER, &label, &rank, dims));
        if (!((rank == 1 && dims[0] == (hsize_t)m) ||
              (rank == 2 && dims[0] == (hsize_t)m && dims[1] == 1)))
            API_FAIL(LC_ERR_PARSE,
                     "'%s': dataset 'label' is %llu%s; expected %lld (or %lld x 1), one per cloud",
                     path, (unsigned long long)dims[0], rank > 1 ? " x ..." : "", (long long)m,
                     (long long)m);
        raw = lc_i_malloc((size_t)m * sizeof *raw);
        if (!raw || (st = lc_tensor_new(&lab, 1, &m)))
            API_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %lld labels", path, (long long)m);
        if (H5Dread(label, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
            API_FAIL(LC_ERR_PARSE, "'%s': cannot read dataset 'label' (corrupt or truncated file?)",
                     path);
        for (int64_t i = 0; i < m; i++) {
            if (raw[i] < 0 || raw[i] >= H5_MAX_LABEL)
                API_FAIL(LC_ERR_PARSE,
                         "'%s': dataset 'label' [%lld] is %lld, not a class in [0, %d)", path,
                         (long long)i, (long long)raw[i], H5_MAX_LABEL);
            lab->data[i] = (float)raw[i];
        }
    }
    *points = pts;
    pts = NULL;
    if (labels) {
        *labels = lab;
        lab = NULL;
    }
done:
    if (label >= 0) H5Dclose(label);
    if (data >= 0) H5Dclose(data);
    if (file >= 0) H5Fclose(file);
    pthread_mutex_unlock(&h5_lock);
    lc_tensor_free(&pts);
    lc_tensor_free(&lab);
    lc_i_free(raw);
    return st;
}
