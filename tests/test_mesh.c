/* test_mesh.c — meshes: readers on real and malformed files, icosphere, mesh graph, cotangent
 * Laplacian, CHOLMOD diffusion and its gradient. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static lc_rng_t rng;

/* ------------------------------------------------------------------ helpers */

/* Distinct undirected edges of the triangles, counted naively. */
static int64_t unique_edges(const lc_mesh_t *m)
{
    const int64_t nt = lc_mesh_num_triangles(m);
    const int64_t *tri = lc_mesh_triangles(m);
    lc_test_pair *p = malloc((size_t)(3 * nt) * sizeof *p);
    for (int64_t t = 0; t < nt; t++)
        for (int k = 0; k < 3; k++)
            p[3 * t + k].a = tri[3 * t + k], p[3 * t + k].b = tri[3 * t + (k + 1) % 3];
    const int64_t u = lc_test_distinct_pairs(p, 3 * nt);
    free(p);
    return u;
}

/* The graph has 2·(unique edges) directed edges, each with its reverse, no
 * self loop, weight 1, positions = the vertices; returns the unique edges. */
static int64_t check_mesh_graph(const lc_mesh_t *m)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_mesh(&g, m));
    if (!g) return -1;
    const int64_t e = unique_edges(m), ne = lc_graph_num_edges(g);
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), lc_mesh_num_vertices(m));
    CU_ASSERT_EQUAL(ne, 2 * e);
    lc_test_assert_simple_undirected(g);
    int loops = 0;
    for (int64_t k = 0; k < ne; k++)
        loops += lc_graph_tails(g)[k] == lc_graph_heads(g)[k];
    CU_ASSERT_EQUAL(loops, 0);
    int dim = 0;
    const float *pos = lc_graph_positions(g, &dim);
    CU_ASSERT_EQUAL(dim, 3);
    CU_ASSERT(pos && !memcmp(pos, lc_mesh_vertices(m),
                             (size_t)lc_mesh_num_vertices(m) * 3 * sizeof(float)));
    lc_graph_free(&g);
    return e;
}

/* The cotangent Laplacian of m in *l and its masses (malloc'd, the caller frees them). */
static float *laplacian_of(const lc_mesh_t *m, lc_csr_t **l)
{
    float *mass = malloc((size_t)lc_mesh_num_vertices(m) * sizeof *mass);
    LC_ASSERT_OK(lc_mesh_laplacian(m, l, mass));
    return mass;
}

/* The icosphere of k subdivisions in *m, with its Laplacian and masses. */
static float *sphere_laplacian(int k, lc_mesh_t **m, lc_csr_t **l)
{
    LC_ASSERT_OK(lc_mesh_icosphere(m, k));
    return laplacian_of(*m, l);
}

static int64_t euler(const lc_mesh_t *m)
{
    return lc_mesh_num_vertices(m) - unique_edges(m) + lc_mesh_num_triangles(m);
}

/* The dense n × n matrix of a CSR, in double. */
static double *dense_of(const lc_csr_t *a)
{
    const int64_t n = a->n_rows;
    double *d = calloc((size_t)(n * a->n_cols), sizeof *d);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
            d[i * a->n_cols + a->col[k]] += a->val[k];
    return d;
}

/* Solve A·X = B (A n × n, B n × c, both row-major, overwritten) by Gaussian
 * elimination with partial pivoting: the dense reference. */
static void dense_solve(double *a, double *b, int64_t n, int64_t c)
{
    for (int64_t k = 0; k < n; k++) {
        int64_t p = k;
        for (int64_t i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > fabs(a[p * n + k])) p = i;
        for (int64_t j = 0; j < n && p != k; j++) {
            double s = a[k * n + j];
            a[k * n + j] = a[p * n + j], a[p * n + j] = s;
        }
        for (int64_t j = 0; j < c && p != k; j++) {
            double s = b[k * c + j];
            b[k * c + j] = b[p * c + j], b[p * c + j] = s;
        }
        for (int64_t i = k + 1; i < n; i++) {
            const double f = a[i * n + k] / a[k * n + k];
            for (int64_t j = k; j < n; j++)
                a[i * n + j] -= f * a[k * n + j];
            for (int64_t j = 0; j < c; j++)
                b[i * c + j] -= f * b[k * c + j];
        }
    }
    for (int64_t k = n - 1; k >= 0; k--)
        for (int64_t j = 0; j < c; j++) {
            double s = b[k * c + j];
            for (int64_t i = k + 1; i < n; i++)
                s -= a[k * n + i] * b[i * c + j];
            b[k * c + j] = s / a[k * n + k];
        }
}

/* ------------------------------------------------------------------ construction */

static void test_icosphere(void)
{
    static const int64_t expected[5] = {12, 42, 162, 642, 2562};
    for (int k = 0; k <= 4; k++) {
        lc_mesh_t *m = NULL;
        LC_ASSERT_OK(lc_mesh_icosphere(&m, k));
        const int64_t nv = lc_mesh_num_vertices(m), nt = lc_mesh_num_triangles(m);
        CU_ASSERT_EQUAL(nv, expected[k]);
        CU_ASSERT_EQUAL(nt, 20 * (1 << (2 * k)));
        const float *v = lc_mesh_vertices(m), *nrm = lc_mesh_normals(m);
        double worst = 0, worst_normal = 1;
        for (int64_t i = 0; i < nv; i++) {
            const float *p = v + 3 * i;
            worst = fmax(
                worst,
                fabs(sqrt((double)p[0] * p[0] + (double)p[1] * p[1] + (double)p[2] * p[2]) - 1.0));
            /* outward: the normal is close to the position on a fine sphere */
            double dot = 0;
            for (int d = 0; d < 3; d++)
                dot += (double)p[d] * nrm[3 * i + d];
            worst_normal = fmin(worst_normal, dot);
        }
        CU_ASSERT(worst < 1e-6);
        CU_ASSERT(worst_normal > (k == 0 ? 0.99 : 0.999));
        /* V − E + F = 2, and E = 30·4^k */
        CU_ASSERT_EQUAL(euler(m), 2);
        CU_ASSERT_EQUAL(check_mesh_graph(m), 30 * (1 << (2 * k)));
        lc_mesh_free(&m);
        CU_ASSERT_PTR_NULL(m);
    }
    lc_mesh_t *m = NULL;
    LC_ASSERT_STATUS(lc_mesh_icosphere(&m, -1), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_mesh_icosphere(&m, 11), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_mesh_icosphere: subdivisions = 11");
    LC_ASSERT_STATUS(lc_mesh_icosphere(NULL, 1), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(m);
    lc_mesh_free(&m);
    lc_mesh_free(NULL);
}

static void test_mesh_new(void)
{
    const float v[12] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    const int64_t t[6] = {0, 2, 1, 0, 1, 3};
    lc_mesh_t *m = NULL;
    LC_ASSERT_OK(lc_mesh_new(&m, 4, v, 2, t));
    CU_ASSERT_EQUAL(lc_mesh_num_vertices(m), 4);
    CU_ASSERT_EQUAL(lc_mesh_num_triangles(m), 2);
    CU_ASSERT(!memcmp(lc_mesh_vertices(m), v, sizeof v));
    CU_ASSERT(!memcmp(lc_mesh_triangles(m), t, sizeof t));
    /* normals: face (0, 2, 1) points to −z, face (0, 1, 3) to −y; vertex 2 is
     * only in the first, vertex 0 in both (equal areas: the diagonal) */
    const float *n = lc_mesh_normals(m);
    CU_ASSERT_DOUBLE_EQUAL(n[3 * 2 + 2], -1.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(n[3 * 3 + 1], -1.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(n[1], -sqrt(0.5), 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(n[2], -sqrt(0.5), 1e-7);
    lc_mesh_free(&m);

    const int64_t bad_range[3] = {0, 1, 4}, bad_repeat[3] = {0, 1, 1};
    const float nan_v[9] = {0, 0, 0, 1, NAN, 0, 0, 1, 0};
    LC_ASSERT_STATUS(lc_mesh_new(&m, 4, v, 1, bad_range), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("triangle 0 has vertex 4, outside [0, 4)");
    LC_ASSERT_STATUS(lc_mesh_new(&m, 4, v, 1, bad_repeat), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("repeats a vertex");
    LC_ASSERT_STATUS(lc_mesh_new(&m, 3, nan_v, 1, t), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("coordinate 1 of vertex 1");
    LC_ASSERT_STATUS(lc_mesh_new(&m, 2, v, 1, t), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_mesh_new(&m, 4, v, 0, t), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_mesh_new(&m, 4, NULL, 1, t), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_mesh_new(&m, (int64_t)1 << 40, v, 1, t), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_EQUAL(lc_mesh_num_vertices(NULL), 0);
    CU_ASSERT_PTR_NULL(lc_mesh_vertices(NULL));
    lc_graph_t *g = NULL;
    LC_ASSERT_STATUS(lc_graph_from_mesh(&g, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(g);
}

/* ------------------------------------------------------------------ readers */

/* The same tetrahedron in every format gives the same mesh. */
static void test_read_formats(void)
{
    static const char *files[] = {"mesh/tet.off", "mesh/tet.ply", "mesh/tet_le.ply",
                                  "mesh/tet_be.ply", "mesh/tet.obj"};
    lc_mesh_t *ref = NULL;
    LC_ASSERT_OK(lc_mesh_read(&ref, lc_test_file(files[0])));
    if (!ref) return;
    CU_ASSERT_EQUAL(lc_mesh_num_vertices(ref), 4);
    CU_ASSERT_EQUAL(lc_mesh_num_triangles(ref), 4);
    static const float v[12] = {1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1};
    static const int64_t t[12] = {0, 1, 2, 0, 3, 1, 0, 2, 3, 1, 3, 2};
    CU_ASSERT(!memcmp(lc_mesh_vertices(ref), v, sizeof v));
    CU_ASSERT(!memcmp(lc_mesh_triangles(ref), t, sizeof t));
    for (size_t k = 1; k < sizeof files / sizeof *files; k++) {
        lc_mesh_t *m = NULL;
        LC_ASSERT_OK(lc_mesh_read(&m, lc_test_file(files[k])));
        if (!m) continue;
        /* OBJ: Assimp's order (first use by a face) happens to be the file's here */
        CU_ASSERT(lc_mesh_num_vertices(m) == 4 && lc_mesh_num_triangles(m) == 4);
        CU_ASSERT(!memcmp(lc_mesh_vertices(m), v, sizeof v));
        CU_ASSERT(!memcmp(lc_mesh_triangles(m), t, sizeof t));
        if (memcmp(lc_mesh_triangles(m), t, sizeof t))
            fprintf(stderr, "\n  %s: triangles differ from tet.off's\n", files[k]);
        lc_mesh_free(&m);
    }
    lc_mesh_free(&ref);

    /* a cube of quads in two OBJ groups: the groups are joined at their
     * shared positions (8 vertices, not 4 + 8), 12 triangles, closed */
    lc_mesh_t *cube = NULL;
    LC_ASSERT_OK(lc_mesh_read(&cube, lc_test_file("mesh/cube.obj")));
    if (cube) {
        CU_ASSERT_EQUAL(lc_mesh_num_vertices(cube), 8);
        CU_ASSERT_EQUAL(lc_mesh_num_triangles(cube), 12);
        CU_ASSERT_EQUAL(euler(cube), 2);
        CU_ASSERT_EQUAL(check_mesh_graph(cube), 18);
    }
    lc_mesh_free(&cube);
}

typedef struct {
    const char *file;
    lc_status status;
    const char *needle; /* part of the message (after the file name) */
} bad_file;

static const bad_file bad_files[] = {
    {"mesh/off_empty.off", LC_ERR_PARSE, "line 1: no 'OFF' header (empty file)"},
    {"mesh/off_comments_only.off", LC_ERR_PARSE, "no 'OFF' header"},
    {"mesh/off_truncated.off", LC_ERR_PARSE,
     "line 2: 4 vertices and 4 faces need at least 56 "
     "bytes, but only 54 follow (truncated file?)"},
    {"mesh/off_shortface.off", LC_ERR_PARSE, "line 8: face 2 of 4: vertex index 3 is missing"},
    {"mesh/off_badcount.off", LC_ERR_PARSE, "end of file at face 5 of 5 (truncated file?)"},
    {"mesh/off_badindex.off", LC_ERR_PARSE,
     "line 8: face 2 of 4: vertex index 7 out of range [0, 4)"},
    {"mesh/off_negindex.off", LC_ERR_PARSE, "vertex index 3 is '-1', not an unsigned integer"},
    {"mesh/off_nonnumeric.off", LC_ERR_PARSE, "line 4: vertex 2 of 4: coordinate 2 is 'x'"},
    {"mesh/off_nan.off", LC_ERR_PARSE, "vertex 3 of 4: coordinate 1 is 'nan', not a finite"},
    {"mesh/off_hex.off", LC_ERR_PARSE, "coordinate 1 is '0x1p0'"},
    {"mesh/off_overflow.off", LC_ERR_PARSE, "coordinate 1 is '1e39'"},
    {"mesh/off_huge.off", LC_ERR_OUT_OF_MEMORY, "line 2: absurd counts: 3000000000 vertices"},
    {"mesh/off_liar.off", LC_ERR_PARSE, "1000000 vertices and 2000000 faces need at least"},
    {"mesh/off_bigface.off", LC_ERR_UNSUPPORTED, "face 1 of 1 has 10 vertices; Assimp's OFF"},
    {"mesh/off_smallface.off", LC_ERR_PARSE, "face 2 of 4 has 2 vertices (at least 3)"},
    {"mesh/off_coff.off", LC_ERR_UNSUPPORTED, "'COFF' files are not supported"},
    {"mesh/off_binary.off", LC_ERR_UNSUPPORTED, "(no binary OFF)"},
    {"mesh/off_noheader.off", LC_ERR_PARSE, "line 1: expected the header 'OFF', found '4'"},
    {"mesh/off_badcounts.off", LC_ERR_PARSE, "line 2: expected the counts"},
    {"mesh/off_extra.off", LC_ERR_PARSE, "line 11: data after the 4 faces"},
    {"mesh/off_comment_in_list.off", LC_ERR_PARSE, "line 4: vertex 2 of 4: coordinate 1 is '#'"},
    {"mesh/off_nul.off", LC_ERR_PARSE, "line 4: control character 0x00"},
    {"mesh/off_degenerate.off", LC_ERR_PARSE, "every triangle repeats a vertex"},
    {"mesh/off_longline.off", LC_ERR_PARSE, "line 3: 4105 characters"},
    {"mesh/off_trailing.off", LC_ERR_PARSE, "vertex 1: unexpected 'abc' after its coordinates"},
    {"mesh/ply_garbage.ply", LC_ERR_PARSE, "line 1: "},
    {"mesh/ply_badindex.ply", LC_ERR_PARSE, "line 16: face 2: vertex index 5 out of range [0, 4)"},
    {"mesh/ply_huge.ply", LC_ERR_OUT_OF_MEMORY, "line 4: absurd count 3000000000"},
    {"mesh/ply_liar.ply", LC_ERR_PARSE, "need at least"},
    {"mesh/ply_truncated.ply", LC_ERR_PARSE, "need at least 100 bytes, but only 93 follow"},
    {"mesh/ply_truncated_quad.ply", LC_ERR_PARSE, "byte 235: the file ends inside face 2 of 2"},
    {"mesh/ply_badindex_binary.ply", LC_ERR_PARSE, "face 4: vertex index 9 out of range [0, 4)"},
    {"mesh/ply_noface.ply", LC_ERR_PARSE, "no 'face' element (a point cloud"},
    {"mesh/ply_nonnumeric.ply", LC_ERR_PARSE, "line 12: vertex 2: 'abc' is not a finite"},
    {"mesh/ply_badformat.ply", LC_ERR_PARSE, "line 2: unknown format 'binary_middle_endian'"},
    {"mesh/ply_edges.ply", LC_ERR_UNSUPPORTED, "element 'edge'"},
    {"mesh/ply_noz.ply", LC_ERR_PARSE, "the vertex element has no property 'z'"},
    {"mesh/ply_extra.ply", LC_ERR_PARSE, "vertex 1: '7' after the values"},
    {"mesh/ply_bigcount.ply", LC_ERR_PARSE,
     "face 2: list length '300' is not an integer in [0, 255]"},
    {"mesh/ply_noheader_end.ply", LC_ERR_PARSE, "no 'end_header' line"},
    {"mesh/ply_binary_newline.ply", LC_ERR_UNSUPPORTED,
     "byte 169: the binary data starts with byte 0x0a"},
    {"mesh/obj_empty.obj", LC_ERR_PARSE, "0 vertices and 0 faces: no triangle mesh"},
    {"mesh/obj_badindex.obj", LC_ERR_PARSE, "line 4: corner '9': vertex index 9 out of range"},
    {"mesh/obj_zeroindex.obj", LC_ERR_PARSE, "corner '0' is not"},
    {"mesh/obj_negindex.obj", LC_ERR_PARSE, "corner '-7': vertex index -7 out of range"},
    {"mesh/obj_nonnumeric.obj", LC_ERR_PARSE, "line 2: 'zz' is not a finite decimal number"},
    {"mesh/obj_mixed.obj", LC_ERR_PARSE, "corner '2' is not of the form"},
    {"mesh/obj_line.obj", LC_ERR_UNSUPPORTED, "line 4: statement 'l' is not supported"},
    {"mesh/obj_homogeneous.obj", LC_ERR_UNSUPPORTED, "'v' with 4 numbers"},
    {"mesh/obj_badnormal.obj", LC_ERR_PARSE, "normal index 2 out of range (1 defined above)"},
    {"mesh/obj_smallface.obj", LC_ERR_PARSE, "a face of 2 corners"},
    {"mesh/obj_continuation.obj", LC_ERR_UNSUPPORTED, "line continuation"},
    {"mesh/obj_indented.obj", LC_ERR_UNSUPPORTED, "line 2: 'v' is indented"},
    {"mesh/obj_texcoord.obj", LC_ERR_PARSE, "line 4: 'vt' with 1 numbers (expected 2 or 3)"},
    {"mesh/obj_leading_dot.obj", LC_ERR_UNSUPPORTED,
     "line 3: '.5': Assimp's OBJ reader needs a digit or a sign first"},
};

/* Read every malformed file: the exact status, a message naming the
 * function, the file and the problem, no output. */
static void check_bad_files(void)
{
    for (size_t k = 0; k < sizeof bad_files / sizeof *bad_files; k++) {
        const bad_file *b = &bad_files[k];
        const char *path = lc_test_file(b->file);
        lc_mesh_t *m = NULL;
        lc_status st = lc_mesh_read(&m, path);
        const char *msg = lc_last_error();
        const bool ok = st == b->status && !strncmp(msg, "lc_mesh_read: '", 15) &&
                        strstr(msg, b->file) && strstr(msg, b->needle);
        if (!ok)
            fprintf(stderr, "\n  %s: %s (expected %s) '%s' (expected '%s')\n", b->file,
                    lc_status_name(st), lc_status_name(b->status), msg, b->needle);
        CU_ASSERT(ok);
        CU_ASSERT_PTR_NULL(m);
        lc_mesh_free(&m);
    }
}

static void test_read_malformed(void)
{
    check_bad_files();
    lc_mesh_t *m = NULL;
    LC_ASSERT_STATUS(lc_mesh_read(&m, "/nonexistent/bunny.off"), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("cannot open '/nonexistent/bunny.off': No such file");
    LC_ASSERT_STATUS(lc_mesh_read(&m, lc_test_file("edgelist_valid.txt")), LC_ERR_UNSUPPORTED);
    LC_ASSERT_ERROR_HAS("unknown mesh format (the name must end in .off, .obj or .ply)");
    LC_ASSERT_STATUS(lc_mesh_read(&m, "/tmp/dir.d/mesh"), LC_ERR_UNSUPPORTED);
    LC_ASSERT_STATUS(lc_mesh_read(&m, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_mesh_read(NULL, lc_test_file("mesh/tet.off")), LC_ERR_INVALID_ARG);
    /* a directory with a mesh's name */
    char dir[64] = "/tmp/lc_mesh_XXXXXX", sub[128];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/x.OFF", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    LC_ASSERT_STATUS(lc_mesh_read(&m, sub), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("is not a regular file");
    rmdir(sub);
    rmdir(dir);
    CU_ASSERT_PTR_NULL(m);
}

/* Neither lconv nor Assimp writes anything to stderr or stdout, whatever the file. */
static void test_read_quiet(void)
{
    char path[64] = "/tmp/lc_mesh_stderr_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    const int saved = dup(2), saved_out = dup(1);
    dup2(fd, 2);
    dup2(fd, 1);
    for (size_t k = 0; k < sizeof bad_files / sizeof *bad_files; k++) {
        lc_mesh_t *m = NULL;
        lc_mesh_read(&m, lc_test_file(bad_files[k].file));
        lc_mesh_free(&m);
    }
    static const char *good[] = {"mesh/tet.off",    "mesh/tet.ply", "mesh/tet_le.ply",
                                 "mesh/tet_be.ply", "mesh/tet.obj", "mesh/cube.obj"};
    int read_ok = 0;
    for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
        lc_mesh_t *m = NULL;
        read_ok += lc_mesh_read(&m, lc_test_file(good[k])) == LC_OK;
        lc_mesh_free(&m);
    }
    fflush(stdout);
    fflush(stderr);
    dup2(saved, 2);
    dup2(saved_out, 1);
    close(saved);
    close(saved_out);
    struct stat sb;
    CU_ASSERT(fstat(fd, &sb) == 0 && sb.st_size == 0);
    if (sb.st_size)
        fprintf(stderr, "\n  %lld bytes on stderr or stdout (see %s)\n", (long long)sb.st_size,
                path);
    else
        remove(path);
    close(fd);
    CU_ASSERT_EQUAL(read_ok, 6);
}

/* The counts and first line of an OFF file's header, read here directly. */
static int off_header(const char *path, int64_t *nv, int64_t *nf, float first[3])
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char word[8];
    long long v, fc, e;
    int ok = fscanf(f, "%7s %lld %lld %lld %f %f %f", word, &v, &fc, &e, &first[0], &first[1],
                    &first[2]) == 7 &&
             !strcmp(word, "OFF");
    fclose(f);
    *nv = v, *nf = fc;
    return ok ? 0 : -1;
}

/* Lines of an OBJ file starting with "v " and the triangles its faces make. */
static void obj_counts(const char *path, int64_t *nv, int64_t *nt)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    *nv = *nt = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "v ", 2)) (*nv)++;
        if (!strncmp(line, "f ", 2)) {
            int corners = 0;
            for (char *tok = strtok(line + 2, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
                corners++;
            *nt += corners - 2;
        }
    }
    if (f) fclose(f);
}

typedef struct {
    const char *file;
    int64_t joined; /* vertices at a position another one has: joined */
    int64_t edges;  /* unique edges, counted from the file by an independent script */
    int closed;     /* V − E + F = 2 */
} real_mesh;

static void test_read_real(void)
{
    static const real_mesh meshes[] = {
        {"meshes/bunny.off", 0, 10449, 1},
        {"meshes/cow.off", 1, 8279, 1}, /* vertices 621 and 2761 share a position */
        {"meshes/fandisk.off", 0, 21681, 1},
        {"meshes/decimated-knight.off", 0, 1500, 1},
        {"meshes/bun_zipper_res4.ply", 0, 1363, 0}, /* the scan has holes */
        {"meshes/spot.obj", 0, 8784, 1},            /* 3225 in Assimp: texture seams */
        {"meshes/suzanne.obj", 2, 1472, 0},
    };
    if (!lc_test_data("meshes")) {
        lc_test_skip("meshes: shared data absent (LCONV_DATA_DIR/meshes); real meshes not read");
        return;
    }
    for (size_t k = 0; k < sizeof meshes / sizeof *meshes; k++) {
        const real_mesh *r = &meshes[k];
        const char *path = lc_test_data(r->file);
        if (!path) {
            fprintf(stderr, "\n  %s is missing from the shared data\n", r->file);
            CU_FAIL("a shared mesh is missing");
            continue;
        }
        char *p = strdup(path);
        int64_t nv = 0, nt = 0;
        float first[3] = {0, 0, 0};
        const char *ext = strrchr(p, '.') + 1;
        if (!strcmp(ext, "off")) {
            CU_ASSERT_EQUAL(off_header(p, &nv, &nt, first), 0);
        } else if (!strcmp(ext, "ply")) {
            nv = 453, nt = 948; /* its header: element vertex 453, element face 948 */
            FILE *f = fopen(p, "r");
            char text[512];
            size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
            text[got] = '\0';
            CU_ASSERT(strstr(text, "element vertex 453\n") && strstr(text, "element face 948\n"));
            CU_ASSERT(strstr(text, "property list uchar int vertex_indices\n") != NULL);
            if (f) fclose(f);
        } else {
            obj_counts(p, &nv, &nt);
        }
        lc_mesh_t *m = NULL;
        LC_ASSERT_OK(lc_mesh_read(&m, p));
        if (m) {
            const int64_t v = lc_mesh_num_vertices(m), t = lc_mesh_num_triangles(m);
            if (v != nv - r->joined || t != nt)
                fprintf(stderr, "\n  %s: %lld vertices, %lld triangles; file: %lld - %lld, %lld\n",
                        r->file, (long long)v, (long long)t, (long long)nv, (long long)r->joined,
                        (long long)nt);
            CU_ASSERT_EQUAL(v, nv - r->joined);
            CU_ASSERT_EQUAL(t, nt);
            /* the file's vertex order is kept; Assimp's fast_atof is not
             * correctly rounded (fandisk: 1.95635 becomes 1.95635009, one ulp
             * above strtod's 1.95634997) */
            if (!strcmp(ext, "off")) {
                bool near = true;
                for (int d = 0; d < 3; d++)
                    near &= fabsf(lc_mesh_vertices(m)[d] - first[d]) <= 2e-7f * fabsf(first[d]);
                CU_ASSERT(near);
                if (!near)
                    fprintf(stderr,
                            "\n  %s: vertex 0 is %.9g %.9g %.9g, the file's %.9g %.9g %.9g\n",
                            r->file, lc_mesh_vertices(m)[0], lc_mesh_vertices(m)[1],
                            lc_mesh_vertices(m)[2], first[0], first[1], first[2]);
            }
            CU_ASSERT_EQUAL(check_mesh_graph(m), r->edges);
            if (r->closed) CU_ASSERT_EQUAL(euler(m), 2);
        }
        lc_mesh_free(&m);
        free(p);
    }
}

/* ------------------------------------------------------------------ Laplacian */

/* Entries of L and the masses against hand-computed values. */
static void check_laplacian(const lc_mesh_t *m, const double *expect, const double *mass_expect,
                            double tol)
{
    const int64_t n = lc_mesh_num_vertices(m);
    lc_csr_t *l = NULL;
    float mass[8];
    LC_ASSERT_OK(lc_mesh_laplacian(m, &l, mass));
    if (!l) return;
    CU_ASSERT_EQUAL(lc_csr_rows(l), n);
    double *d = dense_of(l);
    for (int64_t i = 0; i < n * n; i++) {
        if (fabs(d[i] - expect[i]) > tol)
            fprintf(stderr, "\n  L[%lld, %lld] = %.9g, expected %.9g\n", (long long)(i / n),
                    (long long)(i % n), d[i], expect[i]);
        CU_ASSERT(fabs(d[i] - expect[i]) <= tol);
    }
    for (int64_t i = 0; i < n; i++)
        CU_ASSERT_DOUBLE_EQUAL(mass[i], mass_expect[i], tol);
    free(d);
    lc_csr_free(&l);
}

static void test_laplacian_hand(void)
{
    /* a unit square split along 0–2: 45° and 90° angles. Edges 0–1, 1–2,
     * 2–3, 3–0 face one 45° angle (cot 1): −½; 0–2 faces two right angles: 0 */
    const float sq[12] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
    const int64_t sq_t[6] = {0, 1, 2, 0, 2, 3};
    const double sq_l[16] = {1, -.5, 0, -.5, -.5, 1, -.5, 0, 0, -.5, 1, -.5, -.5, 0, -.5, 1};
    const double sq_m[4] = {1. / 3, 1. / 6, 1. / 3, 1. / 6};
    lc_mesh_t *m = NULL;
    LC_ASSERT_OK(lc_mesh_new(&m, 4, sq, 2, sq_t));
    check_laplacian(m, sq_l, sq_m, 1e-7);
    lc_mesh_free(&m);

    /* an obtuse triangle (0,0) (4,0) (1,1): cot at vertex 2 is −½ (so L[0,1]
     * is positive), at vertex 0 it is 1, at vertex 1 it is 3; area 2 */
    const float ob[9] = {0, 0, 0, 4, 0, 0, 1, 1, 0};
    const int64_t ob_t[3] = {0, 1, 2};
    const double ob_l[9] = {1.25, 0.25, -1.5, 0.25, 0.25, -0.5, -1.5, -0.5, 2};
    const double ob_m[3] = {2. / 3, 2. / 3, 2. / 3};
    LC_ASSERT_OK(lc_mesh_new(&m, 3, ob, 1, ob_t));
    check_laplacian(m, ob_l, ob_m, 1e-6);
    lc_mesh_free(&m);

    /* the regular tetrahedron of tests/data (edge 2√2): every angle 60°, so
     * L[i, j] = −2·½·cot 60° = −1/√3, L[i, i] = √3; mass = 3·area/3 = 2√3 */
    LC_ASSERT_OK(lc_mesh_read(&m, lc_test_file("mesh/tet.off")));
    if (m) {
        double tl[16], tm[4];
        for (int i = 0; i < 16; i++)
            tl[i] = i % 5 == 0 ? sqrt(3.0) : -1 / sqrt(3.0);
        for (int i = 0; i < 4; i++)
            tm[i] = 2 * sqrt(3.0);
        check_laplacian(m, tl, tm, 1e-6);
    }
    lc_mesh_free(&m);

    lc_csr_t *l = NULL;
    LC_ASSERT_STATUS(lc_mesh_laplacian(NULL, &l, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(l);
}

/* Symmetric, rows summing to zero, positive semidefinite; −M⁻¹L z ≈ −2z on
 * the unit sphere (z is a degree-1 spherical harmonic, eigenvalue l(l+1) = 2);
 * the masses add up to the area. */
static void test_laplacian_properties(void)
{
    lc_mesh_t *m = NULL;
    lc_csr_t *l = NULL;
    float *mass = sphere_laplacian(4, &m, &l);
    const int64_t n = lc_mesh_num_vertices(m);
    CU_ASSERT_EQUAL(lc_csr_nnz(l), n + 2 * unique_edges(m));
    double worst_sym = 0, worst_row = 0, area = 0;
    for (int64_t i = 0; i < n; i++) {
        double row = 0, diag = 0;
        for (int64_t k = l->rowptr[i]; k < l->rowptr[i + 1]; k++) {
            row += l->val[k];
            if (l->col[k] == i) diag = l->val[k];
            /* the transposed entry, by a linear search of its row */
            const int64_t j = l->col[k];
            double vt = NAN;
            for (int64_t q = l->rowptr[j]; q < l->rowptr[j + 1]; q++)
                if (l->col[q] == i) vt = l->val[q];
            worst_sym = fmax(worst_sym, isnan(vt) ? INFINITY : fabs(vt - l->val[k]));
        }
        worst_row = fmax(worst_row, fabs(row) / diag);
        area += mass[i];
    }
    CU_ASSERT_EQUAL(worst_sym, 0.0);
    CU_ASSERT(worst_row < 1e-6);
    CU_ASSERT(fabs(area - 4 * M_PI) < 0.01 * 4 * M_PI);
    lc_tensor_t *z = NULL, *lz = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&z, n, 2));
    LC_ASSERT_OK(lc_tensor_new2(&lz, n, 2));
    for (int64_t i = 0; i < n; i++) {
        z->data[2 * i] = lc_mesh_vertices(m)[3 * i + 2];
        z->data[2 * i + 1] = 2 * lc_rng_uniform(&rng) - 1;
    }
    LC_ASSERT_OK(lc_csr_spmm(l, z, lz));
    double num = 0, den = 0, energy = 0;
    for (int64_t i = 0; i < n; i++) {
        const double want = 2.0 * mass[i] * z->data[2 * i];
        num += (lz->data[2 * i] - want) * (lz->data[2 * i] - want);
        den += want * want;
        energy += (double)z->data[2 * i + 1] * lz->data[2 * i + 1];
    }
    CU_ASSERT(sqrt(num / den) < 0.01);
    CU_ASSERT(energy > 0);
    lc_tensor_free(&z);
    lc_tensor_free(&lz);
    lc_csr_free(&l);
    free(mass);
    lc_mesh_free(&m);
}

/* On a flat mesh the cotangent Laplacian of a linear function vanishes at
 * every interior vertex, however irregular the triangles. */
static void test_laplacian_linear(void)
{
    enum { S = 7 };
    float v[S * S * 3];
    int64_t t[(S - 1) * (S - 1) * 6];
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            const bool inside = r > 0 && r < S - 1 && c > 0 && c < S - 1;
            v[3 * (r * S + c)] = c + (inside ? 0.3f * (lc_rng_uniform(&rng) - 0.5f) : 0);
            v[3 * (r * S + c) + 1] = r + (inside ? 0.3f * (lc_rng_uniform(&rng) - 0.5f) : 0);
            v[3 * (r * S + c) + 2] = 0;
        }
    int nt = 0;
    for (int r = 0; r + 1 < S; r++)
        for (int c = 0; c + 1 < S; c++) {
            const int64_t a = r * S + c, b = a + 1, d = a + S, e = d + 1;
            const int64_t two[6] = {a, b, e, a, e, d}, other[6] = {a, b, d, b, e, d};
            memcpy(t + 6 * nt / 2, (r + c) % 2 ? two : other, sizeof two);
            nt += 2;
        }
    lc_mesh_t *m = NULL;
    LC_ASSERT_OK(lc_mesh_new(&m, S * S, v, nt, t));
    lc_csr_t *l = NULL;
    LC_ASSERT_OK(lc_mesh_laplacian(m, &l, NULL));
    lc_tensor_t *f = NULL, *lf = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&f, S * S, 1));
    LC_ASSERT_OK(lc_tensor_new2(&lf, S * S, 1));
    for (int i = 0; i < S * S; i++)
        f->data[i] = 0.7f * v[3 * i] - 1.3f * v[3 * i + 1] + 2.0f;
    LC_ASSERT_OK(lc_csr_spmm(l, f, lf));
    double worst = 0, boundary = 0;
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            const bool inside = r > 0 && r < S - 1 && c > 0 && c < S - 1;
            if (inside)
                worst = fmax(worst, fabs(lf->data[r * S + c]));
            else
                boundary = fmax(boundary, fabs(lf->data[r * S + c]));
        }
    CU_ASSERT(worst < 1e-5);
    CU_ASSERT(boundary > 0.1); /* not vanishing trivially: the boundary sees the slope */
    lc_tensor_free(&f);
    lc_tensor_free(&lf);
    lc_csr_free(&l);
    lc_mesh_free(&m);
}

/* ------------------------------------------------------------------ diffusion */

/* y = (M + tL)⁻¹ M x by the dense reference, x [n, c]. */
static double *dense_diffusion(const lc_csr_t *l, const float *mass, double t, const float *x,
                               int64_t c)
{
    const int64_t n = l->n_rows;
    double *a = dense_of(l), *b = malloc((size_t)(n * c) * sizeof *b);
    for (int64_t i = 0; i < n * n; i++)
        a[i] *= t;
    for (int64_t i = 0; i < n; i++) {
        a[i * n + i] += mass[i];
        for (int64_t j = 0; j < c; j++)
            b[i * c + j] = mass[i] * (double)x[i * c + j];
    }
    dense_solve(a, b, n, c);
    free(a);
    return b;
}

static void test_diffusion_dense(void)
{
    for (int which = 0; which < 2; which++) {
        lc_mesh_t *m = NULL;
        if (which == 0)
            LC_ASSERT_OK(lc_mesh_icosphere(&m, 2));
        else
            LC_ASSERT_OK(lc_mesh_read(&m, lc_test_file("mesh/cube.obj")));
        if (!m) continue;
        const int64_t n = lc_mesh_num_vertices(m), c = 37; /* three blocks of 16 columns */
        lc_csr_t *l = NULL;
        float *mass = laplacian_of(m, &l);
        lc_tensor_t *x = lc_test_rand_tensor(&rng, 2, (int64_t[]){n, c}, -1, 1, 0), *y = NULL,
                    *y2 = NULL;
        LC_ASSERT_OK(lc_tensor_new2(&y, n, c));
        LC_ASSERT_OK(lc_tensor_new2(&y2, n, c));
        static const double ts[3] = {0.01, 0.5, 20};
        for (int k = 0; k < 3; k++) {
            lc_diffusion_t *d = NULL;
            LC_ASSERT_OK(lc_diffusion_new(&d, l, mass, ts[k]));
            CU_ASSERT_EQUAL(lc_diffusion_size(d), n);
            LC_ASSERT_OK(lc_diffusion_apply(d, x, y));
            double *ref = dense_diffusion(l, mass, ts[k], x->data, c);
            const double err = lc_test_max_rel_diff(y->data, ref, n * c);
            if (err > 1e-5) fprintf(stderr, "\n  t = %g: relative error %.3g\n", ts[k], err);
            CU_ASSERT(err <= 1e-5);
            /* mass is conserved (1ᵀL = 0): Σ M y = Σ M x, column by column */
            for (int64_t j = 0; j < c; j++) {
                double before = 0, after = 0, scale = 0;
                for (int64_t i = 0; i < n; i++) {
                    before += mass[i] * (double)x->data[i * c + j];
                    after += mass[i] * (double)y->data[i * c + j];
                    scale += mass[i] * fabs(x->data[i * c + j]);
                }
                CU_ASSERT(fabs(before - after) <= 1e-5 * scale);
            }
            /* the same bits with two threads, and in place */
            LC_ASSERT_OK(lc_set_threads(2));
            LC_ASSERT_OK(lc_diffusion_apply(d, x, y2));
            LC_ASSERT_OK(lc_set_threads(1));
            CU_ASSERT(!memcmp(y->data, y2->data, (size_t)(n * c) * sizeof(float)));
            LC_ASSERT_OK(lc_tensor_copy(y2, x));
            LC_ASSERT_OK(lc_diffusion_apply(d, y2, y2));
            CU_ASSERT(!memcmp(y->data, y2->data, (size_t)(n * c) * sizeof(float)));
            free(ref);
            lc_diffusion_free(&d);
            CU_ASSERT_PTR_NULL(d);
        }
        /* t = 0 is the identity; constants stay constant for any t */
        lc_diffusion_t *d = NULL;
        LC_ASSERT_OK(lc_diffusion_new(&d, l, mass, 0.0));
        LC_ASSERT_OK(lc_diffusion_apply(d, x, y));
        double worst = 0;
        for (int64_t i = 0; i < n * c; i++)
            worst = fmax(worst, fabs(y->data[i] - x->data[i]));
        CU_ASSERT(worst <= 1e-7);
        lc_diffusion_free(&d);
        LC_ASSERT_OK(lc_diffusion_new(&d, l, mass, 3.0));
        lc_tensor_fill(y2, 2.5f);
        LC_ASSERT_OK(lc_diffusion_apply(d, y2, y));
        worst = 0;
        for (int64_t i = 0; i < n * c; i++)
            worst = fmax(worst, fabs(y->data[i] - 2.5));
        CU_ASSERT(worst <= 1e-5);
        /* x [n, B, c]: the trailing dimensions are columns */
        lc_tensor_t *x3 = NULL, *y3 = NULL;
        LC_ASSERT_OK(lc_tensor_reshape(&x3, x, 3, (int64_t[]){n, 1, c}));
        LC_ASSERT_OK(lc_tensor_new(&y3, 3, (int64_t[]){n, 1, c}));
        LC_ASSERT_OK(lc_diffusion_apply(d, x3, y3));
        LC_ASSERT_OK(lc_diffusion_apply(d, x, y));
        CU_ASSERT(!memcmp(y->data, y3->data, (size_t)(n * c) * sizeof(float)));
        LC_ASSERT_STATUS(lc_diffusion_apply(d, x, y3), LC_ERR_SHAPE);
        lc_tensor_free(&x3);
        lc_tensor_free(&y3);
        lc_diffusion_free(&d);
        lc_tensor_free(&x);
        lc_tensor_free(&y);
        lc_tensor_free(&y2);
        lc_csr_free(&l);
        free(mass);
        lc_mesh_free(&m);
    }
}

static void test_diffusion_errors(void)
{
    lc_mesh_t *m = NULL;
    lc_csr_t *l = NULL, *bad = NULL;
    float *mass = sphere_laplacian(1, &m, &l);
    const int64_t n = lc_mesh_num_vertices(m);
    lc_diffusion_t *d = NULL;
    LC_ASSERT_STATUS(lc_diffusion_new(&d, l, mass, -1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_diffusion_new: t = -1");
    LC_ASSERT_STATUS(lc_diffusion_new(&d, l, mass, NAN), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_diffusion_new(&d, l, mass, INFINITY), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_diffusion_new(&d, NULL, mass, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_diffusion_new(&d, l, NULL, 1), LC_ERR_INVALID_ARG);
    const float saved = mass[7];
    mass[7] = 0;
    LC_ASSERT_STATUS(lc_diffusion_new(&d, l, mass, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("mass[7] = 0");
    mass[7] = saved;
    /* not square; not symmetric; not positive definite */
    LC_ASSERT_OK(lc_csr_from_coo(&bad, 2, 3, 1, (int64_t[]){0}, (int64_t[]){2}, (float[]){1}));
    LC_ASSERT_STATUS(lc_diffusion_new(&d, bad, mass, 1), LC_ERR_SHAPE);
    lc_csr_free(&bad);
    LC_ASSERT_OK(
        lc_csr_from_coo(&bad, 3, 3, 2, (int64_t[]){0, 1}, (int64_t[]){1, 0}, (float[]){-1, -2}));
    LC_ASSERT_STATUS(lc_diffusion_new(&d, bad, mass, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("L is not symmetric: L[0, 1] = -1 but L[1, 0] = -2");
    lc_csr_free(&bad);
    LC_ASSERT_OK(lc_csr_from_coo(&bad, 3, 3, 1, (int64_t[]){0}, (int64_t[]){2}, (float[]){-1}));
    LC_ASSERT_STATUS(lc_diffusion_new(&d, bad, mass, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("L[0, 2] = -1 but L[2, 0] = 0");
    lc_csr_free(&bad);
    LC_ASSERT_OK(lc_csr_from_coo(&bad, 3, 3, 3, (int64_t[]){0, 1, 2}, (int64_t[]){0, 1, 2},
                                 (float[]){1, -5, 1}));
    LC_ASSERT_STATUS(lc_diffusion_new(&d, bad, mass, 1), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("is not positive definite");
    lc_csr_free(&bad);
    LC_ASSERT_OK(lc_csr_from_coo(&bad, 3, 3, 1, (int64_t[]){1}, (int64_t[]){1}, (float[]){NAN}));
    LC_ASSERT_STATUS(lc_diffusion_new(&d, bad, mass, 1), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("L[1, 1] = nan is not finite");
    lc_csr_free(&bad);
    CU_ASSERT_PTR_NULL(d);
    /* apply and the op: shapes */
    LC_ASSERT_OK(lc_diffusion_new(&d, l, mass, 1));
    lc_tensor_t *x = NULL, *y = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, n + 1, 2));
    LC_ASSERT_OK(lc_tensor_new2(&y, n + 1, 2));
    LC_ASSERT_STATUS(lc_diffusion_apply(d, x, y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_diffusion_apply: x [43, 2] and y [43, 2] must have the same shape [42");
    LC_ASSERT_STATUS(lc_diffusion_apply(NULL, x, y), LC_ERR_INVALID_ARG);
    lc_cgraph_t *cg = NULL;
    lc_node xn, out = -1;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, x, &xn));
    LC_ASSERT_STATUS(lc_cg_diffusion(cg, d, xn, &out), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_cg_diffusion: x [43, 2] does not have the operator's 42 rows");
    LC_ASSERT_STATUS(lc_cg_diffusion(cg, NULL, xn, &out), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_cg_diffusion(cg, d, 99, &out), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(out, -1);
    CU_ASSERT_EQUAL(lc_diffusion_size(NULL), 0);
    lc_cg_free(&cg);
    lc_tensor_free(&x);
    lc_tensor_free(&y);
    lc_diffusion_free(&d);
    lc_diffusion_free(NULL);
    lc_csr_free(&l);
    free(mass);
    lc_mesh_free(&m);
}

/* The op's forward equals lc_diffusion_apply, its backward the transpose
 * M·A⁻¹ (dense reference), and finite differences agree (gradcheck) when the
 * diffused x comes out of a linear layer. */
static void test_diffusion_op(void)
{
    lc_mesh_t *m = NULL;
    lc_csr_t *l = NULL;
    float *mass = sphere_laplacian(1, &m, &l);
    const int64_t n = lc_mesh_num_vertices(m);
    lc_diffusion_t *d = NULL;
    LC_ASSERT_OK(lc_diffusion_new(&d, l, mass, 0.3));
    lc_tensor_t *x0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){n, 3}, -1, 1, 0),
                *w0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){3, 2}, -1, 1, 0), *target = NULL,
                *ref = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node x, w, xw, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_matmul(cg, x, w, &xw));
    LC_ASSERT_OK(lc_cg_diffusion(cg, d, xw, &y));
    loss = lc_test_mse_loss(cg, &rng, y, &target);
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_tensor_new2(&ref, n, 2));
    LC_ASSERT_OK(lc_diffusion_apply(d, lc_cg_value(cg, xw), ref));
    CU_ASSERT(!memcmp(ref->data, lc_cg_value(cg, y)->data, (size_t)(2 * n) * sizeof(float)));
    LC_ASSERT_OK(lc_cg_backward(cg));
    /* d loss / d xw = M·A⁻¹·(d loss / d y), d loss / d y = 2 (y − target) / numel */
    const float *yv = lc_cg_value(cg, y)->data, *gxw = lc_cg_grad(cg, xw)->data;
    float *gy = malloc((size_t)(2 * n) * sizeof *gy);
    for (int64_t i = 0; i < 2 * n; i++)
        gy[i] = 2.0f * (yv[i] - target->data[i]) / (float)(2 * n);
    /* M·A⁻¹·g = (A⁻¹·M)ᵀ·g: solve A·z = g densely, then scale by M */
    double *a = dense_of(l), *z = malloc((size_t)(2 * n) * sizeof *z);
    for (int64_t i = 0; i < n * n; i++)
        a[i] *= 0.3;
    for (int64_t i = 0; i < n; i++)
        a[i * n + i] += mass[i];
    for (int64_t i = 0; i < 2 * n; i++)
        z[i] = gy[i];
    dense_solve(a, z, n, 2);
    for (int64_t i = 0; i < 2 * n; i++)
        z[i] *= mass[i / 2];
    CU_ASSERT(lc_test_max_rel_diff(gxw, z, 2 * n) < 1e-5);
    lc_test_grad_opts o = {.h = 1e-2f, .tol = 1e-2f};
    CU_ASSERT(lc_test_gradcheck(cg, &o) > 0);
    free(a);
    free(z);
    free(gy);
    lc_cg_free(&cg);
    lc_tensor_free(&x0);
    lc_tensor_free(&w0);
    lc_tensor_free(&target);
    lc_tensor_free(&ref);
    lc_diffusion_free(&d);
    lc_csr_free(&l);
    free(mass);
    lc_mesh_free(&m);
}

/* The graph's own diffusion (I + t·L)⁻¹, L = D − A (lc_graph_diffusion), and
 * the "diffusion" layer on it: against dense solves, cached per t, errors. */
static void test_graph_diffusion_layer(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_graph_t *g = lc_dataset_graph(ds);
    const int64_t n = lc_graph_num_nodes(g), m = lc_graph_num_edges(g);
    /* the Laplacian densely, from the edge list */
    double *a = calloc((size_t)(n * n), sizeof *a);
    const int64_t *tail = lc_graph_tails(g), *head = lc_graph_heads(g);
    const float *w = lc_graph_weights(g);
    const double t = 0.75; /* exact as a float too: the layer's t (a float) finds this factor */
    for (int64_t e = 0; e < m; e++) {
        a[tail[e] * n + head[e]] -= t * w[e];
        a[tail[e] * n + tail[e]] += t * w[e];
    }
    for (int64_t i = 0; i < n; i++)
        a[i * n + i] += 1.0;
    const lc_diffusion_t *d = NULL, *again = NULL;
    LC_ASSERT_OK(lc_graph_diffusion(g, t, &d));
    LC_ASSERT_OK(lc_graph_diffusion(g, t, &again));
    CU_ASSERT_PTR_EQUAL(d, again); /* factorised once */
    /* the model diffusion:0.75,linear: log_softmax((I + tL)⁻¹·X·W + b) */
    lc_model_t *model = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&model, "diffusion:0.75,linear"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(model), "diffusion:0.75,linear");
    LC_ASSERT_OK(lc_model_build(model, ds, NULL));
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_evaluate(model, ds, &ev));
    const lc_tensor_t *x = lc_dataset_features(ds), *out = lc_model_output(model);
    lc_cgraph_t *cg = lc_model_graph(model);
    const lc_tensor_t *wt = lc_cg_param_tensor(cg, 0), *bt = lc_cg_param_tensor(cg, 1);
    const int64_t f = lc_tensor_dim(x, 1), c = lc_tensor_dim(wt, 1);
    double *z = malloc((size_t)(n * f) * sizeof *z), *ref = malloc((size_t)(n * c) * sizeof *ref);
    for (int64_t i = 0; i < n * f; i++)
        z[i] = lc_tensor_data(x)[i];
    dense_solve(a, z, n, f);
    for (int64_t i = 0; i < n; i++) {
        double top = -INFINITY, sum = 0;
        for (int64_t k = 0; k < c; k++) {
            double v = lc_tensor_data(bt)[k];
            for (int64_t j = 0; j < f; j++)
                v += z[i * f + j] * lc_tensor_data(wt)[j * c + k];
            ref[i * c + k] = v;
            top = fmax(top, v);
        }
        for (int64_t k = 0; k < c; k++)
            sum += exp(ref[i * c + k] - top);
        for (int64_t k = 0; k < c; k++)
            ref[i * c + k] -= top + log(sum);
    }
    CU_ASSERT(lc_test_max_rel_diff(lc_tensor_data(out), ref, n * c) < 1e-5);
    /* gradients through the layer, by central differences */
    lc_model_free(&model);
    /* gradients through the layer's backward (the adjoint solve), by central differences */
    LC_ASSERT_OK(lc_model_from_spec(&model, "linear:4,tanh,diffusion:0.75,linear"));
    LC_ASSERT_OK(lc_model_build(model, ds, NULL));
    lc_test_grad_opts o = {.h = 1e-2f, .tol = 1e-2f, .samples = 20};
    CU_ASSERT(lc_test_gradcheck(lc_model_graph(model), &o) > 0);
    lc_model_free(&model);
    /* t = 0 is the identity; four values of t are kept, a fifth refused */
    LC_ASSERT_OK(lc_graph_diffusion(g, 0.0, &d));
    LC_ASSERT_OK(lc_graph_diffusion(g, 2.0, &d));
    LC_ASSERT_OK(lc_graph_diffusion(g, 3.0, &d));
    LC_ASSERT_STATUS(lc_graph_diffusion(g, 4.0, &d), LC_ERR_UNSUPPORTED);
    LC_ASSERT_ERROR_HAS("lc_graph_diffusion: t = 4");
    LC_ASSERT_STATUS(lc_graph_diffusion(g, -1.0, &d), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_diffusion(g, NAN, &d), LC_ERR_INVALID_ARG);
    /* a directed graph has no symmetric Laplacian */
    lc_graph_t *dir = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&dir, 3, 2, (int64_t[]){0, 1}, (int64_t[]){1, 2}, NULL, 0));
    LC_ASSERT_STATUS(lc_graph_diffusion(dir, 1.0, &d), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_graph_diffusion: the graph's Laplacian (t = 1): ");
    LC_ASSERT_ERROR_HAS("symmetric");
    lc_graph_free(&dir);
    free(a);
    free(z);
    free(ref);
    lc_dataset_free(&ds);
}

/* The mesh graph carries the shared-generator L-conv: a model with 'shared'
 * layers builds and trains on the icosphere (the sign of z from the
 * coordinates), with finite losses that fall. */
static void test_shared_layer_on_mesh(void)
{
    lc_mesh_t *m = NULL;
    LC_ASSERT_OK(lc_mesh_icosphere(&m, 2));
    const int64_t n = lc_mesh_num_vertices(m);
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_mesh(&g, m));
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, n, 3));
    memcpy(x->data, lc_mesh_vertices(m), (size_t)n * 3 * sizeof(float));
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    uint8_t *train = malloc((size_t)n), *val = calloc((size_t)n, 1), *test = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        labels[i] = lc_mesh_vertices(m)[3 * i + 2] > 0;
        train[i] = i % 2 == 0, test[i] = i % 2 == 1;
    }
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_new(&ds, g, x, NULL, labels, 2));
    LC_ASSERT_OK(lc_dataset_set_split(ds, train, val, test));
    lc_model_t *model = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&model, "shared:8,relu,shared"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 60;
    cfg.patience = 0;
    cfg.lr = 0.05f;
    lc_train_result res;
    LC_ASSERT_OK(lc_model_train(model, ds, &cfg, &res));
    CU_ASSERT_EQUAL(res.epochs_run, 60);
    CU_ASSERT(isfinite(res.final.loss[0]));
    CU_ASSERT(res.final.accuracy[2] > 0.8f);
    lc_model_free(&model);
    lc_dataset_free(&ds);
    free(labels);
    free(train);
    free(val);
    free(test);
    lc_mesh_free(&m);
}

int main(void)
{
    lc_rng_seed(&rng, 2026);
    static const lc_test_case cases[] = {
        {"icosphere counts, unit sphere, Euler", test_icosphere},
        {"mesh from arrays, normals, errors", test_mesh_new},
        {"one tetrahedron in every format", test_read_formats},
        {"malformed files", test_read_malformed},
        {"nothing on stderr", test_read_quiet},
        {"real meshes", test_read_real},
        {"Laplacian by hand", test_laplacian_hand},
        {"Laplacian properties", test_laplacian_properties},
        {"Laplacian of a linear function", test_laplacian_linear},
        {"diffusion against a dense solve", test_diffusion_dense},
        {"diffusion errors", test_diffusion_errors},
        {"diffusion op gradient", test_diffusion_op},
        {"graph diffusion and its layer", test_graph_diffusion_layer},
        {"shared L-conv on a mesh", test_shared_layer_on_mesh},
        {NULL, NULL}};
    return lc_test_main("mesh", cases);
}
