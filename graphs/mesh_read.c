/* mesh_read.c — lc_mesh_read: OFF, OBJ and PLY files checked by lconv, then parsed by Assimp from
 * lconv's copy. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <assimp/cfileio.h>
#include <assimp/cimport.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include "mesh.h"

/* Why lconv checks the file before Assimp does: Assimp 5.2 (Debian 12)
 * aborts the process on an OFF file with fewer faces than its header
 * declares (an ai_assert in its triangulation step), silently clamps an OFF
 * face's out-of-range index to the last vertex, drops OFF faces of more than
 * 9 vertices, reads a PLY face's bad index into a wrong mesh, and allocates
 * whatever a header declares before reading a byte of data. The checks below
 * refuse all of that with a line number; Assimp then only sees files whose
 * structure is known to be sound, and its result is compared with what the
 * checks counted. */

static const char *const api = "lc_mesh_read";

#define MAX_FILE_BYTES ((int64_t)INT32_MAX)
/* Assimp's OFF reader copies each line into a 4096-byte buffer. */
#define OFF_MAX_LINE 4000
#define OFF_MAX_CORNERS 9
#define MAX_CORNERS 1024
#define OBJ_MAX_LINE 65536
#define MAX_NUMBER_LEN 64
#define PLY_MAX_PROPS 64

typedef enum { FMT_OFF, FMT_OBJ, FMT_PLY } mesh_format;
static const char *const format_ext[] = {"off", "obj", "ply"};

/* ---------------------------------------------------------------- the scan */

typedef struct {
    const char *path;
    const char *buf; /* the whole file, NUL-terminated */
    size_t len;
    size_t pos;      /* start of the next line */
    int64_t line_no; /* of the line last returned */
    size_t max_line;
    /* what the file holds, to check Assimp's result against */
    int64_t vertices;  /* declared (OFF, PLY) or counted (OBJ) */
    int64_t triangles; /* Σ (corners − 2) over the faces */
} scan;

typedef struct {
    const char *p;
    size_t n;
} span;

static lc_status scan_error_at(const scan *s, lc_status status, const char *where, int64_t at,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static lc_status scan_error_at(const scan *s, lc_status status, const char *where, int64_t at,
                               const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lc_i_error(status, api, "'%s' %s %lld: %s", s->path, where, (long long)at, msg);
}
#define LINE_FAIL(s, status, ...)                                                                  \
    do {                                                                                           \
        st = scan_error_at((s), (status), "line", (s)->line_no, __VA_ARGS__);                      \
        goto done;                                                                                 \
    } while (0)
#define BYTE_FAIL(s, at, status, ...)                                                              \
    do {                                                                                           \
        st = scan_error_at((s), (status), "byte", (int64_t)(at), __VA_ARGS__);                     \
        goto done;                                                                                 \
    } while (0)

/* Next line (without its "\n" or "\r\n") into *line; 1 on a line, 0 at the
 * end, an lc_status on a control character or an overlong line. */
static int next_line(scan *s, span *line)
{
    if (s->pos >= s->len) return 0;
    const char *p = s->buf + s->pos, *end = s->buf + s->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    s->line_no++;
    s->pos = (size_t)(stop - s->buf) + (nl ? 1 : 0);
    if (stop > p && stop[-1] == '\r') stop--;
    for (const char *c = p; c < stop; c++) {
        const unsigned char u = (unsigned char)*c;
        if (u < 0x20 && u != '\t')
            return (int)scan_error_at(
                s, LC_ERR_PARSE, "line", s->line_no, "control character 0x%02x at column %lld (%s)",
                u, (long long)(c - p) + 1, u == 0 ? "a binary file?" : "not a text mesh file");
    }
    if ((size_t)(stop - p) > s->max_line)
        return (int)scan_error_at(s, LC_ERR_PARSE, "line", s->line_no,
                                  "%lld characters, more than the %zu this format allows",
                                  (long long)(stop - p), s->max_line);
    line->p = p;
    line->n = (size_t)(stop - p);
    return 1;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Next token of *cur (blank-separated); false at the end of the line. */
static bool next_tok(span *cur, span *tok)
{
    while (cur->n && is_blank(*cur->p))
        cur->p++, cur->n--;
    tok->p = cur->p;
    tok->n = 0;
    if (!cur->n) return false;
    tok->p = cur->p;
    while (cur->n && !is_blank(*cur->p))
        cur->p++, cur->n--;
    tok->n = (size_t)(cur->p - tok->p);
    return true;
}

/* The line holds nothing but blanks, or a comment starting with '#'. */
static bool blank_or_comment(span line)
{
    span t;
    return !next_tok(&line, &t) || t.p[0] == '#';
}

static bool tok_is(span t, const char *word)
{
    return t.n == strlen(word) && memcmp(t.p, word, t.n) == 0;
}

/* A token for a message: at most 40 characters. */
#define TOK(t) (int)((t).n < 40 ? (t).n : 40), (t).p

/* Unsigned decimal digits only (as Assimp's strtoul10 reads them). */
static bool parse_uint(span t, int64_t *out)
{
    if (t.n == 0 || t.n > 18) return false;
    int64_t v = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] < '0' || t.p[i] > '9') return false;
        v = v * 10 + (t.p[i] - '0');
    }
    *out = v;
    return true;
}

/* An optional sign, then decimal digits. */
static bool parse_int(span t, int64_t *out)
{
    bool neg = t.n && t.p[0] == '-';
    if (t.n && (t.p[0] == '-' || t.p[0] == '+')) t.p++, t.n--;
    int64_t v;
    if (!parse_uint(t, &v)) return false;
    *out = neg ? -v : v;
    return true;
}

/* A plain decimal number, finite as a float: [+-] (d+ [. d*] | . d+) [(e|E) [+-] d+].
 * No hex, inf or nan: Assimp's fast_atof would read those otherwise. */
static bool parse_real(span t, float *out)
{
    if (t.n == 0 || t.n > MAX_NUMBER_LEN) return false;
    size_t i = 0, digits = 0;
    if (t.p[i] == '+' || t.p[i] == '-') i++;
    while (i < t.n && t.p[i] >= '0' && t.p[i] <= '9')
        i++, digits++;
    if (i < t.n && t.p[i] == '.') {
        i++;
        while (i < t.n && t.p[i] >= '0' && t.p[i] <= '9')
            i++, digits++;
    }
    if (!digits) return false;
    if (i < t.n && (t.p[i] == 'e' || t.p[i] == 'E')) {
        i++;
        if (i < t.n && (t.p[i] == '+' || t.p[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < t.n && t.p[i] >= '0' && t.p[i] <= '9')
            i++, exp_digits++;
        if (!exp_digits) return false;
    }
    if (i != t.n) return false;
    char copy[MAX_NUMBER_LEN + 1];
    memcpy(copy, t.p, t.n);
    copy[t.n] = '\0';
    const double v = strtod(copy, NULL);
    if (!isfinite(v) || fabs(v) > FLT_MAX) return false;
    if (out) *out = (float)v;
    return true;
}

/* The rest of a data line: more numbers (colours and the like), then
 * optionally a '#' comment; *bad is the first other token. */
static bool only_numbers_left(span cur, span *bad)
{
    while (next_tok(&cur, bad)) {
        if (bad->p[0] == '#') return true;
        if (!parse_real(*bad, NULL)) return false;
    }
    return true;
}

/* ---------------------------------------------------------------- OFF */

static lc_status scan_off(scan *s)
{
    lc_status st = LC_OK;
    span line, cur, t;
    int rc;
    s->max_line = OFF_MAX_LINE;
    /* the "OFF" header, then the counts, each after blank and comment lines */
    while ((rc = next_line(s, &line)) == 1 && blank_or_comment(line)) {
    }
    if (rc < 0) return (lc_status)rc;
    if (rc == 0)
        return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                             "no 'OFF' header (empty file)");
    cur = line;
    next_tok(&cur, &t);
    if (!tok_is(t, "OFF")) {
        static const char *const variants[] = {"COFF", "NOFF", "CNOFF", "STOFF", "4OFF", "nOFF"};
        for (size_t k = 0; k < sizeof variants / sizeof *variants; k++)
            if (tok_is(t, variants[k]))
                LINE_FAIL(s, LC_ERR_UNSUPPORTED, "'%s' files are not supported (plain 'OFF' only)",
                          variants[k]);
        LINE_FAIL(s, LC_ERR_PARSE, "expected the header 'OFF', found '%.*s'", TOK(t));
    }
    if (!blank_or_comment(cur))
        LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                  "'OFF' followed by '%.*s': only a plain 'OFF' header "
                  "line is supported (no binary OFF)",
                  TOK(cur));
    while ((rc = next_line(s, &line)) == 1 && blank_or_comment(line)) {
    }
    if (rc < 0) return (lc_status)rc;
    if (rc == 0)
        return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                             "no counts line 'vertices faces edges' (end of file)");
    int64_t count[3];
    cur = line;
    for (int k = 0; k < 3; k++)
        if (!next_tok(&cur, &t) || !parse_uint(t, &count[k]))
            LINE_FAIL(s, LC_ERR_PARSE,
                      "expected the counts 'vertices faces edges' (three unsigned integers)");
    if (!blank_or_comment(cur))
        LINE_FAIL(s, LC_ERR_PARSE, "'%.*s' after the counts 'vertices faces edges'", TOK(cur));
    const int64_t nv = count[0], nf = count[1];
    if (nv > LC_MESH_MAX_COUNT || nf > LC_MESH_MAX_COUNT)
        LINE_FAIL(s, LC_ERR_OUT_OF_MEMORY,
                  "absurd counts: %lld vertices, %lld faces (at most "
                  "2^31 - 2 each)",
                  (long long)nv, (long long)nf);
    if (nv < 3 || nf < 1)
        LINE_FAIL(s, LC_ERR_PARSE, "%lld vertices and %lld faces: no triangle mesh", (long long)nv,
                  (long long)nf);
    /* a vertex line takes at least "0 0 0\n", a face line "3 0 1 2\n" */
    if ((double)nv * 6 + (double)nf * 8 > (double)(s->len - s->pos))
        LINE_FAIL(s, LC_ERR_PARSE,
                  "%lld vertices and %lld faces need at least %.0f bytes, but only %zu follow "
                  "(truncated file?)",
                  (long long)nv, (long long)nf, (double)nv * 6 + (double)nf * 8, s->len - s->pos);
    /* Blank and comment lines may precede the first vertex; within the lists
     * Assimp skips empty lines only (it would read a comment as numbers). */
    bool first = true;
    for (int64_t i = 0; i < nv + nf; i++) {
        const bool vertex = i < nv;
        while ((rc = next_line(s, &line)) == 1 &&
               (line.n == 0 || (first && blank_or_comment(line)))) {
        }
        first = false;
        if (rc < 0) return (lc_status)rc;
        if (rc == 0)
            return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                                 "end of file at %s %lld of %lld (truncated file?)",
                                 vertex ? "vertex" : "face", (long long)(vertex ? i : i - nv) + 1,
                                 (long long)(vertex ? nv : nf));
        cur = line;
        if (vertex) {
            for (int k = 0; k < 3; k++)
                if (!next_tok(&cur, &t) || !parse_real(t, NULL))
                    LINE_FAIL(s, LC_ERR_PARSE, "vertex %lld of %lld: coordinate %d is %s'%.*s'%s",
                              (long long)i + 1, (long long)nv, k + 1, t.n ? "" : "missing", TOK(t),
                              t.n ? ", not a finite decimal number" : "");
        } else {
            int64_t corners, idx;
            if (!next_tok(&cur, &t) || !parse_uint(t, &corners))
                LINE_FAIL(s, LC_ERR_PARSE,
                          "face %lld of %lld: expected its vertex count, found '%.*s'",
                          (long long)(i - nv) + 1, (long long)nf, TOK(t));
            if (corners < 3)
                LINE_FAIL(s, LC_ERR_PARSE, "face %lld of %lld has %lld vertices (at least 3)",
                          (long long)(i - nv) + 1, (long long)nf, (long long)corners);
            if (corners > OFF_MAX_CORNERS)
                LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                          "face %lld of %lld has %lld vertices; Assimp's OFF reader takes at most "
                          "%d",
                          (long long)(i - nv) + 1, (long long)nf, (long long)corners,
                          OFF_MAX_CORNERS);
            for (int64_t k = 0; k < corners; k++) {
                if (!next_tok(&cur, &t) || !parse_uint(t, &idx))
                    LINE_FAIL(s, LC_ERR_PARSE, "face %lld of %lld: vertex index %lld is %s'%.*s'%s",
                              (long long)(i - nv) + 1, (long long)nf, (long long)k + 1,
                              t.n ? "" : "missing", TOK(t), t.n ? ", not an unsigned integer" : "");
                if (idx >= nv)
                    LINE_FAIL(s, LC_ERR_PARSE,
                              "face %lld of %lld: vertex index %lld out of range [0, %lld)",
                              (long long)(i - nv) + 1, (long long)nf, (long long)idx,
                              (long long)nv);
            }
            s->triangles += corners - 2;
        }
        if (!only_numbers_left(cur, &t))
            LINE_FAIL(s, LC_ERR_PARSE, "%s %lld: unexpected '%.*s' after its %s",
                      vertex ? "vertex" : "face", (long long)(vertex ? i : i - nv) + 1, TOK(t),
                      vertex ? "coordinates" : "indices");
    }
    while ((rc = next_line(s, &line)) == 1)
        if (!blank_or_comment(line))
            LINE_FAIL(s, LC_ERR_PARSE, "data after the %lld faces the header declares",
                      (long long)nf);
    if (rc < 0) return (lc_status)rc;
    s->vertices = nv;
done:
    return st;
}

/* ---------------------------------------------------------------- PLY */

typedef enum { T_NONE, T_I8, T_U8, T_I16, T_U16, T_I32, T_U32, T_F32, T_F64 } ply_type;
static const int type_size[] = {0, 1, 1, 2, 2, 4, 4, 4, 8};

static ply_type ply_type_of(span t)
{
    static const struct {
        const char *name;
        ply_type type;
    } names[] = {{"char", T_I8},   {"int8", T_I8},     {"uchar", T_U8},   {"uint8", T_U8},
                 {"short", T_I16}, {"int16", T_I16},   {"ushort", T_U16}, {"uint16", T_U16},
                 {"int", T_I32},   {"int32", T_I32},   {"uint", T_U32},   {"uint32", T_U32},
                 {"float", T_F32}, {"float32", T_F32}, {"double", T_F64}, {"float64", T_F64}};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (tok_is(t, names[k].name)) return names[k].type;
    return T_NONE;
}

static bool type_is_int(ply_type t)
{
    return t != T_F32 && t != T_F64;
}

static void type_range(ply_type t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case T_I8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case T_U8:
        *lo = 0, *hi = UINT8_MAX;
        break;
    case T_I16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case T_U16:
        *lo = 0, *hi = UINT16_MAX;
        break;
    case T_I32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    default:
        *lo = 0, *hi = UINT32_MAX;
        break;
    }
}

typedef struct {
    ply_type type;       /* of a scalar, or of a list's items */
    ply_type count_type; /* T_NONE for a scalar */
    bool indices;        /* the face's vertex_indices list */
} ply_prop;

typedef struct {
    int64_t count;
    int nprops;
    ply_prop props[PLY_MAX_PROPS];
    int64_t header_line;
} ply_elem;

/* Read one value of the given type at p (the caller checked the bytes). */
static int64_t ply_read_int(const unsigned char *p, ply_type t, bool big)
{
    const int size = type_size[t];
    uint64_t u = 0;
    for (int k = 0; k < size; k++)
        u |= (uint64_t)p[big ? k : size - 1 - k] << (8 * (size - 1 - k));
    switch (t) {
    case T_I8:
        return (int8_t)u;
    case T_I16:
        return (int16_t)u;
    case T_I32:
        return (int32_t)u;
    default:
        return (int64_t)u;
    }
}

static lc_status scan_ply_ascii(scan *s, ply_elem elems[2], int64_t nv)
{
    lc_status st = LC_OK;
    span line, cur, t;
    int rc;
    static const char *const names[2] = {"vertex", "face"};
    for (int e = 0; e < 2; e++)
        for (int64_t i = 0; i < elems[e].count; i++) {
            if ((rc = next_line(s, &line)) < 0) return (lc_status)rc;
            if (rc == 0)
                return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                                     "end of file at %s %lld of %lld (truncated file?)", names[e],
                                     (long long)i + 1, (long long)elems[e].count);
            cur = line;
            for (int k = 0; k < elems[e].nprops; k++) {
                const ply_prop *p = &elems[e].props[k];
                int64_t n = 1, v, lo, hi;
                if (p->count_type != T_NONE) {
                    type_range(p->count_type, &lo, &hi);
                    if (!next_tok(&cur, &t) || !parse_int(t, &n) || n < 0 || n > hi)
                        LINE_FAIL(s, LC_ERR_PARSE,
                                  "%s %lld: list length '%.*s' is not an integer "
                                  "in [0, %lld]",
                                  names[e], (long long)i + 1, TOK(t), (long long)hi);
                    if (n < 3)
                        LINE_FAIL(s, LC_ERR_PARSE, "face %lld has %lld vertices (at least 3)",
                                  (long long)i + 1, (long long)n);
                    if (n > MAX_CORNERS)
                        LINE_FAIL(s, LC_ERR_UNSUPPORTED, "face %lld has %lld vertices (at most %d)",
                                  (long long)i + 1, (long long)n, MAX_CORNERS);
                    s->triangles += n - 2;
                }
                for (int64_t j = 0; j < n; j++) {
                    if (!next_tok(&cur, &t))
                        LINE_FAIL(s, LC_ERR_PARSE,
                                  "%s %lld: fewer values than its properties "
                                  "declare",
                                  names[e], (long long)i + 1);
                    if (!type_is_int(p->type)) {
                        if (!parse_real(t, NULL))
                            LINE_FAIL(s, LC_ERR_PARSE,
                                      "%s %lld: '%.*s' is not a finite decimal number", names[e],
                                      (long long)i + 1, TOK(t));
                        continue;
                    }
                    type_range(p->type, &lo, &hi);
                    if (!parse_int(t, &v) || v < lo || v > hi)
                        LINE_FAIL(s, LC_ERR_PARSE,
                                  "%s %lld: '%.*s' is not an integer in [%lld, "
                                  "%lld]",
                                  names[e], (long long)i + 1, TOK(t), (long long)lo, (long long)hi);
                    if (p->indices && v >= nv)
                        LINE_FAIL(s, LC_ERR_PARSE,
                                  "face %lld: vertex index %lld out of range [0, %lld)",
                                  (long long)i + 1, (long long)v, (long long)nv);
                    if (p->indices && v < 0)
                        LINE_FAIL(s, LC_ERR_PARSE, "face %lld: vertex index %lld is negative",
                                  (long long)i + 1, (long long)v);
                }
            }
            if (next_tok(&cur, &t))
                LINE_FAIL(s, LC_ERR_PARSE,
                          "%s %lld: '%.*s' after the values its properties "
                          "declare",
                          names[e], (long long)i + 1, TOK(t));
        }
    while ((rc = next_line(s, &line)) == 1)
        if (next_tok(&line, &t))
            LINE_FAIL(s, LC_ERR_PARSE, "data after the %lld faces the header declares",
                      (long long)elems[1].count);
    if (rc < 0) return (lc_status)rc;
done:
    return st;
}

static lc_status scan_ply_binary(scan *s, ply_elem elems[2], int64_t nv, bool big)
{
    lc_status st = LC_OK;
    const unsigned char *b = (const unsigned char *)s->buf;
    size_t at = s->pos;
    static const char *const names[2] = {"vertex", "face"};
    for (int e = 0; e < 2; e++)
        for (int64_t i = 0; i < elems[e].count; i++)
            for (int k = 0; k < elems[e].nprops; k++) {
                const ply_prop *p = &elems[e].props[k];
                int64_t n = 1;
                if (p->count_type != T_NONE) {
                    if (s->len - at < (size_t)type_size[p->count_type])
                        BYTE_FAIL(s, at, LC_ERR_PARSE,
                                  "the file ends inside %s %lld of %lld (truncated file?)",
                                  names[e], (long long)i + 1, (long long)elems[e].count);
                    n = ply_read_int(b + at, p->count_type, big);
                    if (n < 3)
                        BYTE_FAIL(s, at, LC_ERR_PARSE, "face %lld has %lld vertices (at least 3)",
                                  (long long)i + 1, (long long)n);
                    if (n > MAX_CORNERS)
                        BYTE_FAIL(s, at, LC_ERR_UNSUPPORTED,
                                  "face %lld has %lld vertices (at most %d)", (long long)i + 1,
                                  (long long)n, MAX_CORNERS);
                    at += (size_t)type_size[p->count_type];
                    s->triangles += n - 2;
                }
                const size_t size = (size_t)type_size[p->type];
                if ((s->len - at) / size < (size_t)n)
                    BYTE_FAIL(s, at, LC_ERR_PARSE,
                              "the file ends inside %s %lld of %lld (truncated file?)", names[e],
                              (long long)i + 1, (long long)elems[e].count);
                if (p->indices)
                    for (int64_t j = 0; j < n; j++) {
                        const int64_t v = ply_read_int(b + at + (size_t)j * size, p->type, big);
                        if (v < 0 || v >= nv)
                            BYTE_FAIL(s, at + (size_t)j * size, LC_ERR_PARSE,
                                      "face %lld: vertex index %lld out of range [0, %lld)",
                                      (long long)i + 1, (long long)v, (long long)nv);
                    }
                at += (size_t)n * size;
            }
    for (size_t k = at; k < s->len; k++)
        if (!is_blank(s->buf[k]) && s->buf[k] != '\n' && s->buf[k] != '\r')
            BYTE_FAIL(s, at, LC_ERR_PARSE, "%zu bytes after the %lld faces the header declares",
                      s->len - at, (long long)elems[1].count);
done:
    return st;
}

static lc_status scan_ply(scan *s)
{
    lc_status st = LC_OK;
    span line, cur, t;
    int rc;
    ply_elem elems[2] = {{.count = -1}, {.count = -1}}; /* vertex, face */
    int current = -1;                                   /* element the properties belong to */
    bool seen_xyz[3] = {false, false, false};
    enum { ASCII, LITTLE, BIG } format = ASCII;
    s->max_line = OBJ_MAX_LINE;
    if ((rc = next_line(s, &line)) < 0) return (lc_status)rc;
    if (rc == 0 || !(line.n == 3 && memcmp(line.p, "ply", 3) == 0))
        return scan_error_at(s, LC_ERR_PARSE, "line", 1, "missing the magic line 'ply'%s",
                             rc == 0 ? " (empty file)" : "");
    if ((rc = next_line(s, &line)) < 0) return (lc_status)rc;
    cur = line;
    span fmt = {0}, version = {0};
    if (rc == 0 || !next_tok(&cur, &t) || !tok_is(t, "format") || !next_tok(&cur, &fmt) ||
        !next_tok(&cur, &version) || next_tok(&cur, &t))
        return scan_error_at(s, LC_ERR_PARSE, "line", 2,
                             "expected 'format <ascii|"
                             "binary_little_endian|binary_big_endian> "
                             "1.0'");
    if (tok_is(fmt, "binary_little_endian"))
        format = LITTLE;
    else if (tok_is(fmt, "binary_big_endian"))
        format = BIG;
    else if (!tok_is(fmt, "ascii"))
        return scan_error_at(s, LC_ERR_PARSE, "line", 2, "unknown format '%.*s'", TOK(fmt));
    if (!tok_is(version, "1.0"))
        return scan_error_at(s, LC_ERR_UNSUPPORTED, "line", 2, "PLY version '%.*s' (only 1.0)",
                             TOK(version));
    for (;;) {
        if ((rc = next_line(s, &line)) < 0) return (lc_status)rc;
        if (rc == 0)
            return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                                 "the header has no 'end_header' line");
        cur = line;
        if (!next_tok(&cur, &t)) LINE_FAIL(s, LC_ERR_PARSE, "empty line in the header");
        if (tok_is(t, "comment") || tok_is(t, "obj_info")) continue;
        if (tok_is(t, "end_header")) {
            if (next_tok(&cur, &t)) LINE_FAIL(s, LC_ERR_PARSE, "'%.*s' after 'end_header'", TOK(t));
            break;
        }
        if (tok_is(t, "element")) {
            span name, count_tok;
            int64_t count;
            if (!next_tok(&cur, &name) || !next_tok(&cur, &count_tok) || next_tok(&cur, &t) ||
                !parse_uint(count_tok, &count))
                LINE_FAIL(s, LC_ERR_PARSE, "expected 'element <name> <count>'");
            if (tok_is(name, "vertex"))
                current = 0;
            else if (tok_is(name, "face"))
                current = 1;
            else
                LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                          "element '%.*s': only 'vertex' and 'face' elements are supported",
                          TOK(name));
            if (elems[current].count >= 0)
                LINE_FAIL(s, LC_ERR_PARSE, "a second '%.*s' element", TOK(name));
            if (current == 1 && elems[0].count < 0)
                LINE_FAIL(s, LC_ERR_UNSUPPORTED, "the 'face' element comes before 'vertex'");
            if (count > LC_MESH_MAX_COUNT)
                LINE_FAIL(s, LC_ERR_OUT_OF_MEMORY, "absurd count %lld (at most 2^31 - 2)",
                          (long long)count);
            elems[current].count = count;
            elems[current].header_line = s->line_no;
            continue;
        }
        if (!tok_is(t, "property"))
            LINE_FAIL(s, LC_ERR_PARSE, "unknown header keyword '%.*s'", TOK(t));
        if (current < 0) LINE_FAIL(s, LC_ERR_PARSE, "a property before any element");
        ply_elem *el = &elems[current];
        if (el->nprops == PLY_MAX_PROPS)
            LINE_FAIL(s, LC_ERR_UNSUPPORTED, "more than %d properties", PLY_MAX_PROPS);
        ply_prop *p = &el->props[el->nprops];
        span type_tok, name;
        if (!next_tok(&cur, &type_tok)) LINE_FAIL(s, LC_ERR_PARSE, "'property' without a type");
        if (tok_is(type_tok, "list")) {
            span ct, it;
            if (!next_tok(&cur, &ct) || !next_tok(&cur, &it) || !next_tok(&cur, &name) ||
                next_tok(&cur, &t))
                LINE_FAIL(s, LC_ERR_PARSE,
                          "expected 'property list <count type> <item type> "
                          "<name>'");
            p->count_type = ply_type_of(ct);
            p->type = ply_type_of(it);
            if (p->count_type == T_NONE || p->type == T_NONE || !type_is_int(p->count_type))
                LINE_FAIL(s, LC_ERR_PARSE, "bad list types '%.*s' '%.*s'", TOK(ct), TOK(it));
            if (current == 0 || !(tok_is(name, "vertex_indices") || tok_is(name, "vertex_index")))
                LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                          "list property '%.*s': the only list supported is the face's "
                          "'vertex_indices'",
                          TOK(name));
            if (!type_is_int(p->type))
                LINE_FAIL(s, LC_ERR_PARSE, "vertex indices of type '%.*s' (not an integer type)",
                          TOK(it));
            for (int k = 0; k < el->nprops; k++)
                if (el->props[k].indices) LINE_FAIL(s, LC_ERR_PARSE, "a second vertex index list");
            p->indices = true;
        } else {
            if (!next_tok(&cur, &name) || next_tok(&cur, &t))
                LINE_FAIL(s, LC_ERR_PARSE, "expected 'property <type> <name>'");
            p->type = ply_type_of(type_tok);
            if (p->type == T_NONE)
                LINE_FAIL(s, LC_ERR_PARSE, "unknown property type '%.*s'", TOK(type_tok));
            if (current == 0)
                for (int k = 0; k < 3; k++)
                    if (tok_is(name, (const char *[]){"x", "y", "z"}[k])) {
                        if (seen_xyz[k]) LINE_FAIL(s, LC_ERR_PARSE, "a second '%.*s'", TOK(name));
                        seen_xyz[k] = true;
                    }
        }
        el->nprops++;
    }
    if (elems[0].count < 0 || elems[1].count < 0)
        LINE_FAIL(s, LC_ERR_PARSE, "the header declares no '%s' element%s",
                  elems[0].count < 0 ? "vertex" : "face",
                  elems[0].count < 0 ? "" : " (a point cloud, not a triangle mesh)");
    for (int k = 0; k < 3; k++)
        if (!seen_xyz[k])
            LINE_FAIL(s, LC_ERR_PARSE, "the vertex element has no property '%c'", 'x' + k);
    bool has_indices = false;
    for (int k = 0; k < elems[1].nprops; k++)
        has_indices |= elems[1].props[k].indices;
    if (!has_indices) LINE_FAIL(s, LC_ERR_PARSE, "the face element has no 'vertex_indices' list");
    if (elems[0].count < 3 || elems[1].count < 1)
        LINE_FAIL(s, LC_ERR_PARSE, "%lld vertices and %lld faces: no triangle mesh",
                  (long long)elems[0].count, (long long)elems[1].count);
    /* the least bytes the data can take: a value is at least 2 characters in
     * ASCII ("0 "), its type's size in binary; a face has at least 3 indices */
    double need = 0;
    for (int e = 0; e < 2; e++) {
        double per = 0;
        for (int k = 0; k < elems[e].nprops; k++) {
            const ply_prop *p = &elems[e].props[k];
            per += format == ASCII ? (p->indices ? 8 : 2)
                                   : (p->indices ? type_size[p->count_type] + 3 * type_size[p->type]
                                                 : type_size[p->type]);
        }
        need += per * (double)elems[e].count;
    }
    if (need > (double)(s->len - s->pos))
        LINE_FAIL(s, LC_ERR_PARSE,
                  "%lld vertices and %lld faces need at least %.0f bytes, but only %zu follow the "
                  "header (truncated file?)",
                  (long long)elems[0].count, (long long)elems[1].count, need, s->len - s->pos);
    /* Assimp's PLY reader swallows a newline byte right after end_header, so
     * it would read every binary value one byte off (the fuzzer found an
     * ai_assert abort in its triangulation; valid files come out as garbage) */
    if (format != ASCII && s->buf[s->pos] == '\n')
        return scan_error_at(s, LC_ERR_UNSUPPORTED, "byte", (int64_t)s->pos,
                             "the binary data starts with byte 0x0a, which Assimp's PLY reader "
                             "skips as a line end (convert the file to ASCII PLY or OFF)");
    s->vertices = elems[0].count;
    st = format == ASCII ? scan_ply_ascii(s, elems, elems[0].count)
                         : scan_ply_binary(s, elems, elems[0].count, format == BIG);
done:
    return st;
}

/* ---------------------------------------------------------------- OBJ */

/* One face corner "v", "v/t", "v//n" or "v/t/n": the form (1, 2, 3, 4) and
 * the indices, relative ones resolved against the counts so far. */
static int obj_corner(span t, const int64_t counts[3], int64_t idx[3], int *bad)
{
    int64_t part[3] = {0, 0, 0};
    int parts = 0;
    bool present[3] = {false, false, false};
    size_t start = 0;
    for (size_t i = 0; i <= t.n; i++) {
        if (i < t.n && t.p[i] != '/') continue;
        if (parts == 3) return 0;
        span piece = {t.p + start, i - start};
        if (piece.n) {
            if (piece.p[0] == '+' || !parse_int(piece, &part[parts]) || part[parts] == 0) return 0;
            present[parts] = true;
        }
        parts++;
        start = i + 1;
    }
    if (!present[0] || (parts == 2 && !present[1]) || (parts == 3 && !present[2])) return 0;
    for (int k = 0; k < parts; k++) {
        if (!present[k]) continue;
        idx[k] = part[k] < 0 ? counts[k] + 1 + part[k] : part[k];
        if (idx[k] < 1 || idx[k] > counts[k]) {
            *bad = k;
            idx[k] = part[k];
            return -1;
        }
    }
    return parts == 1 ? 1 : parts == 2 ? 2 : present[1] ? 4 : 3;
}

static lc_status scan_obj(scan *s)
{
    lc_status st = LC_OK;
    span line, cur, t;
    int rc;
    int64_t counts[3] = {0, 0, 0}, faces = 0; /* v, vt, vn */
    s->max_line = OBJ_MAX_LINE;
    while ((rc = next_line(s, &line)) == 1) {
        cur = line;
        if (!next_tok(&cur, &t) || t.p[0] == '#') continue;
        if (memchr(line.p, '\\', line.n))
            LINE_FAIL(s, LC_ERR_UNSUPPORTED, "a backslash (line continuation) is not supported");
        /* Assimp's OBJ reader looks at the first character only: it would
         * skip an indented statement (the fuzzer found " v 1 0 1") */
        if (is_blank(line.p[0]))
            LINE_FAIL(s, LC_ERR_UNSUPPORTED, "'%.*s' is indented: statements must start the line",
                      TOK(t));
        int numbers = 0;
        if (tok_is(t, "v") || tok_is(t, "vt") || tok_is(t, "vn")) {
            const int kind = t.n == 1 ? 0 : t.p[1] == 't' ? 1 : 2;
            span key = t;
            while (next_tok(&cur, &t)) {
                if (!parse_real(t, NULL))
                    LINE_FAIL(s, LC_ERR_PARSE, "'%.*s' is not a finite decimal number", TOK(t));
                /* Assimp's OBJ reader counts a token as a number only when it
                 * starts with a digit or a sign: "v .5 1 0" would be no vertex
                 * to it (and then leak its mesh on the error that follows) */
                if (t.p[0] == '.')
                    LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                              "'%.*s': Assimp's OBJ reader needs a digit or a sign first", TOK(t));
                numbers++;
            }
            const bool ok = kind == 0   ? numbers == 3 || numbers == 6
                            : kind == 1 ? numbers == 2 || numbers == 3
                                        : numbers == 3;
            if (!ok)
                LINE_FAIL(s, kind == 0 && numbers == 4 ? LC_ERR_UNSUPPORTED : LC_ERR_PARSE,
                          "'%.*s' with %d numbers (expected %s)", TOK(key), numbers,
                          kind == 0   ? "3, or 6 with a colour"
                          : kind == 1 ? "2 or 3"
                                      : "3");
            if (counts[kind] == LC_MESH_MAX_COUNT)
                LINE_FAIL(s, LC_ERR_OUT_OF_MEMORY, "more than 2^31 - 2 '%.*s' lines", TOK(key));
            counts[kind]++;
        } else if (tok_is(t, "f")) {
            int form = 0, corners = 0;
            while (next_tok(&cur, &t)) {
                int64_t idx[3];
                int bad = 0;
                const int f = obj_corner(t, counts, idx, &bad);
                if (f == 0)
                    LINE_FAIL(s, LC_ERR_PARSE,
                              "corner '%.*s' is not 'v', 'v/t', 'v//n' or "
                              "'v/t/n' with nonzero integers",
                              TOK(t));
                if (f < 0)
                    LINE_FAIL(s, LC_ERR_PARSE,
                              "corner '%.*s': %s index %lld out of range (%lld "
                              "defined above)",
                              TOK(t), (const char *[]){"vertex", "texture", "normal"}[bad],
                              (long long)idx[bad], (long long)counts[bad]);
                if (form && f != form)
                    LINE_FAIL(s, LC_ERR_PARSE,
                              "corner '%.*s' is not of the form of the face's "
                              "first corner",
                              TOK(t));
                form = f;
                if (++corners > MAX_CORNERS)
                    LINE_FAIL(s, LC_ERR_UNSUPPORTED, "a face of more than %d corners", MAX_CORNERS);
            }
            if (corners < 3)
                LINE_FAIL(s, LC_ERR_PARSE, "a face of %d corners (at least 3)", corners);
            s->triangles += corners - 2;
            if (++faces > LC_MESH_MAX_COUNT)
                LINE_FAIL(s, LC_ERR_OUT_OF_MEMORY, "more than 2^31 - 2 faces");
        } else if (tok_is(t, "o") || tok_is(t, "g") || tok_is(t, "s") || tok_is(t, "usemtl") ||
                   tok_is(t, "mtllib")) {
            span key = t;
            if (!tok_is(key, "g") && !next_tok(&cur, &t))
                LINE_FAIL(s, LC_ERR_PARSE, "'%.*s' without its argument", TOK(key));
        } else {
            LINE_FAIL(s, LC_ERR_UNSUPPORTED,
                      "statement '%.*s' is not supported (lconv reads v, vt, vn, f, o, g, s, "
                      "usemtl, mtllib)",
                      TOK(t));
        }
    }
    if (rc < 0) return (lc_status)rc;
    if (counts[0] < 3 || faces < 1)
        return scan_error_at(s, LC_ERR_PARSE, "line", s->line_no + 1,
                             "%lld vertices and %lld faces: no triangle mesh (end of file)",
                             (long long)counts[0], (long long)faces);
    s->vertices = counts[0];
done:
    return st;
}

/* ---------------------------------------------------------------- Assimp's view of the file */

/* Assimp reads through these callbacks from lconv's copy of the file, and
 * may open nothing else (an OBJ's mtllib, say). No allocation: a few slots. */
#define MEMIO_SLOTS 8
typedef struct {
    struct aiFile file; /* first: the slot is found from the aiFile pointer */
    size_t pos;
    bool used;
    const struct memio *io;
} memfile;

typedef struct memio {
    const char *name;
    const char *data;
    size_t len;
    memfile slots[MEMIO_SLOTS];
} memio;

static size_t mem_read(struct aiFile *f, char *buf, size_t size, size_t count)
{
    memfile *m = (memfile *)f;
    if (size == 0 || count == 0) return 0;
    const size_t avail = m->io->len - m->pos;
    size_t n = count <= avail / size ? count : avail / size;
    memcpy(buf, m->io->data + m->pos, n * size);
    m->pos += n * size;
    return n;
}
static size_t mem_write(struct aiFile *f, const char *buf, size_t size, size_t count)
{
    (void)f, (void)buf, (void)size, (void)count;
    return 0;
}
static size_t mem_tell(struct aiFile *f)
{
    return ((memfile *)f)->pos;
}
static size_t mem_size(struct aiFile *f)
{
    return ((memfile *)f)->io->len;
}
static void mem_flush(struct aiFile *f)
{
    (void)f;
}
static enum aiReturn mem_seek(struct aiFile *f, size_t offset, enum aiOrigin origin)
{
    memfile *m = (memfile *)f;
    const size_t len = m->io->len;
    size_t to;
    switch (origin) {
    case aiOrigin_SET:
        to = offset;
        break;
    case aiOrigin_CUR:
        to = m->pos + offset;
        break; /* size_t: a negative offset wraps */
    case aiOrigin_END:
        to = len + offset;
        break;
    default:
        return aiReturn_FAILURE;
    }
    if (to > len) return aiReturn_FAILURE;
    m->pos = to;
    return aiReturn_SUCCESS;
}

static struct aiFile *mem_open(struct aiFileIO *fio, const char *name, const char *mode)
{
    memio *io = (memio *)(void *)fio->UserData;
    if (strcmp(name, io->name) != 0 || strchr(mode, 'w') || strchr(mode, 'a')) return NULL;
    for (int k = 0; k < MEMIO_SLOTS; k++) {
        memfile *m = &io->slots[k];
        if (m->used) continue;
        memset(m, 0, sizeof *m);
        m->used = true;
        m->io = io;
        m->file.ReadProc = mem_read;
        m->file.WriteProc = mem_write;
        m->file.TellProc = mem_tell;
        m->file.FileSizeProc = mem_size;
        m->file.SeekProc = mem_seek;
        m->file.FlushProc = mem_flush;
        return &m->file;
    }
    return NULL;
}

static void mem_close(struct aiFileIO *fio, struct aiFile *f)
{
    (void)fio;
    if (f) ((memfile *)f)->used = false;
}

/* ---------------------------------------------------------------- from the scene to a mesh */

/* Vertices at the same position (bit for bit, −0 = +0) get one index: the
 * first. rep[i] is vertex i's representative. */
static lc_status weld(const float *pos, int64_t n, int64_t *rep)
{
    uint64_t slots = 1;
    while (slots < (uint64_t)n * 2)
        slots <<= 1;
    int64_t *table = lc_i_malloc((size_t)slots * sizeof *table);
    if (!table)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "cannot allocate a table of %lld vertices",
                          (long long)n);
    memset(table, 0xff, (size_t)slots * sizeof *table); /* -1: empty */
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits[3];
        for (int d = 0; d < 3; d++) {
            const float x = pos[3 * i + d] + 0.0f; /* −0 → +0 */
            memcpy(&bits[d], &x, sizeof x);
        }
        uint64_t h = 1469598103934665603ull;
        for (int d = 0; d < 3; d++)
            h = (h ^ bits[d]) * 1099511628211ull;
        for (uint64_t s = h & (slots - 1);; s = (s + 1) & (slots - 1)) {
            const int64_t j = table[s];
            if (j < 0) {
                table[s] = i;
                rep[i] = i;
                break;
            }
            if (pos[3 * j] == pos[3 * i] && pos[3 * j + 1] == pos[3 * i + 1] &&
                pos[3 * j + 2] == pos[3 * i + 2]) {
                rep[i] = j;
                break;
            }
        }
    }
    lc_i_free(table);
    return LC_OK;
}

/* The triangles of every mesh of the scene, joined, compacted and checked
 * against what the scan counted. */
static lc_status mesh_from_scene(lc_mesh_t **out, const struct aiScene *sc, const scan *s)
{
    lc_status st = LC_OK;
    float *pos = NULL, *vout = NULL;
    int64_t *tri = NULL, *rep = NULL, *newidx = NULL;
    int64_t nv = 0, nt = 0;
    for (unsigned k = 0; k < sc->mNumMeshes; k++) {
        const struct aiMesh *am = sc->mMeshes[k];
        nv += am->mNumVertices;
        for (unsigned f = 0; f < am->mNumFaces; f++)
            nt += am->mFaces[f].mNumIndices == 3;
    }
    if (nt != s->triangles)
        return lc_i_error(LC_ERR_BACKEND, api,
                          "'%s': Assimp returned %lld triangles, but the file's faces make %lld",
                          s->path, (long long)nt, (long long)s->triangles);
    if (nv < 3 || nv > LC_MESH_MAX_COUNT)
        return lc_i_error(LC_ERR_BACKEND, api, "'%s': Assimp returned %lld vertices", s->path,
                          (long long)nv);
    pos = lc_i_malloc((size_t)nv * 3 * sizeof *pos);
    tri = lc_i_malloc((size_t)nt * 3 * sizeof *tri);
    rep = lc_i_malloc((size_t)nv * sizeof *rep);
    newidx = lc_i_malloc((size_t)nv * sizeof *newidx);
    if (!pos || !tri || !rep || !newidx) {
        st = lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "cannot allocate a mesh of %lld vertices",
                        (long long)nv);
        goto done;
    }
    int64_t v0 = 0, t = 0;
    for (unsigned k = 0; k < sc->mNumMeshes; k++) {
        const struct aiMesh *am = sc->mMeshes[k];
        for (unsigned i = 0; i < am->mNumVertices; i++) {
            const float p[3] = {am->mVertices[i].x, am->mVertices[i].y, am->mVertices[i].z};
            if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) {
                st = lc_i_error(LC_ERR_PARSE, api,
                                "'%s': vertex %lld has a coordinate that is "
                                "not finite",
                                s->path, (long long)(v0 + i));
                goto done;
            }
            memcpy(pos + 3 * (v0 + i), p, sizeof p);
        }
        for (unsigned f = 0; f < am->mNumFaces; f++) {
            const struct aiFace *af = &am->mFaces[f];
            if (af->mNumIndices != 3) continue;
            for (int c = 0; c < 3; c++) {
                if (af->mIndices[c] >= am->mNumVertices) {
                    st = lc_i_error(LC_ERR_BACKEND, api,
                                    "'%s': Assimp returned vertex index %u "
                                    "of %u",
                                    s->path, af->mIndices[c], am->mNumVertices);
                    goto done;
                }
                tri[3 * t + c] = v0 + af->mIndices[c];
            }
            t++;
        }
        v0 += am->mNumVertices;
    }
    LC_TRY(weld(pos, nv, rep));
    /* Keep the triangles with three distinct vertices after the joining, and
     * the vertices they use, in their order. */
    for (int64_t i = 0; i < nv; i++)
        newidx[i] = -1;
    int64_t kept = 0, used = 0;
    for (int64_t k = 0; k < nt; k++) {
        const int64_t a = rep[tri[3 * k]], b = rep[tri[3 * k + 1]], c = rep[tri[3 * k + 2]];
        if (a == b || b == c || a == c) continue;
        tri[3 * kept] = a, tri[3 * kept + 1] = b, tri[3 * kept + 2] = c;
        newidx[a] = newidx[b] = newidx[c] = 0;
        kept++;
    }
    if (kept == 0) {
        st = lc_i_error(LC_ERR_PARSE, api, "'%s': every triangle repeats a vertex (no area)",
                        s->path);
        goto done;
    }
    for (int64_t i = 0; i < nv; i++)
        if (newidx[i] == 0) newidx[i] = used++;
    if (used > s->vertices) {
        st = lc_i_error(LC_ERR_BACKEND, api,
                        "'%s': Assimp returned %lld distinct vertices, but the file has %lld",
                        s->path, (long long)used, (long long)s->vertices);
        goto done;
    }
    vout = lc_i_malloc((size_t)used * 3 * sizeof *vout);
    if (!vout) {
        st =
            lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "cannot allocate %lld vertices", (long long)used);
        goto done;
    }
    for (int64_t i = 0; i < nv; i++)
        if (newidx[i] >= 0) memcpy(vout + 3 * newidx[i], pos + 3 * i, 3 * sizeof *vout);
    for (int64_t k = 0; k < 3 * kept; k++)
        tri[k] = newidx[tri[k]];
    /* (the array keeps room for the dropped triangles, if any: not worth an
     * allocation that could fail) */
    st = lc_i_mesh_adopt(out, used, vout, kept, tri, api);
    vout = NULL, tri = NULL;
done:
    lc_i_free(pos);
    lc_i_free(vout);
    lc_i_free(tri);
    lc_i_free(rep);
    lc_i_free(newidx);
    return st;
}

/* ---------------------------------------------------------------- the reader */

static pthread_mutex_t assimp_lock = PTHREAD_MUTEX_INITIALIZER;

/* The whole file into a NUL-terminated buffer. */
static lc_status read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return lc_i_error(LC_ERR_IO, api, "cannot open '%s': %s", path, strerror(errno));
    lc_status st = LC_OK;
    char *buf = NULL;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = lc_i_error(LC_ERR_IO, api, "'%s' is not a regular file", path);
        goto done;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    const double phys = (pages > 0 && page > 0) ? (double)pages * (double)page : 0x1p40;
    if ((int64_t)sb.st_size > MAX_FILE_BYTES || (double)sb.st_size * 4 > phys) {
        st = lc_i_error(LC_ERR_OUT_OF_MEMORY, api,
                        "'%s' has %lld bytes: more than lconv reads for a mesh (2^31 - 1 bytes, "
                        "and a quarter of the %.3g GB of memory)",
                        path, (long long)sb.st_size, phys / 1e9);
        goto done;
    }
    const size_t size = (size_t)sb.st_size;
    buf = lc_i_malloc(size + 1);
    if (!buf) {
        st = lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "cannot allocate %zu bytes for '%s'", size + 1,
                        path);
        goto done;
    }
    if (size && fread(buf, 1, size, f) != size) {
        st = lc_i_error(LC_ERR_IO, api, "cannot read '%s': %s", path,
                        ferror(f) ? strerror(errno) : "the file shrank while being read");
        goto done;
    }
    buf[size] = '\0';
    *data = buf;
    *len = size;
    buf = NULL;
done:
    lc_i_free(buf);
    fclose(f);
    return st;
}

static lc_status format_of(const char *path, mesh_format *fmt)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash))
        for (int k = 0; k < 3; k++)
            if (strcasecmp(dot + 1, format_ext[k]) == 0) {
                *fmt = (mesh_format)k;
                return LC_OK;
            }
    return lc_i_error(LC_ERR_UNSUPPORTED, api,
                      "'%s': unknown mesh format (the name must end in .off, .obj or .ply)", path);
}

lc_status lc_mesh_read(lc_mesh_t **out, const char *path)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    mesh_format fmt = FMT_OFF;
    lc_status st = format_of(path, &fmt);
    if (st) return st;
    char *data = NULL;
    size_t len = 0;
    if ((st = read_file(path, &data, &len))) return st;
    scan s = {.path = path, .buf = data, .len = len};
    st = fmt == FMT_OFF ? scan_off(&s) : fmt == FMT_PLY ? scan_ply(&s) : scan_obj(&s);
    if (st) goto done;

    /* Assimp picks its importer by the name's extension; the name is ours. */
    char name[16];
    snprintf(name, sizeof name, "lconv-mesh.%s", format_ext[fmt]);
    memio io = {.name = name, .data = data, .len = len};
    struct aiFileIO fio = {
        .OpenProc = mem_open, .CloseProc = mem_close, .UserData = (aiUserData)(void *)&io};
    pthread_mutex_lock(&assimp_lock);
    const struct aiScene *sc = aiImportFileEx(
        name,
        aiProcess_Triangulate | aiProcess_JoinIdenticalVertices | aiProcess_ValidateDataStructure,
        &fio);
    if (!sc) {
        const char *why = aiGetErrorString();
        const bool oom = why && strstr(why, "bad_alloc");
        st = lc_i_error(oom ? LC_ERR_OUT_OF_MEMORY : LC_ERR_PARSE, api,
                        "'%s': Assimp cannot read it: %s", path, why && *why ? why : "no reason");
    }
    pthread_mutex_unlock(&assimp_lock);
    if (st) goto done;
    if (sc->mFlags & AI_SCENE_FLAGS_INCOMPLETE)
        st = lc_i_error(LC_ERR_BACKEND, api, "'%s': Assimp returned an incomplete scene", path);
    else
        st = mesh_from_scene(out, sc, &s);
    aiReleaseImport(sc);
done:
    lc_i_free(data);
    return st;
}
