/* fuzz_mesh.c — libFuzzer target: lc_mesh_read on any file named .off, .obj or .ply (the first
 * byte picks the name); a mesh that is read must be sound, and its graph and Laplacian build. */
#include <math.h>

#include "common.h"

static const char *const suffixes[3] = {".off", ".obj", ".ply"};

/* Everything lc_mesh_read promises of a mesh it returns. */
static void check_mesh(const lc_mesh_t *m)
{
    const int64_t nv = lc_mesh_num_vertices(m), nt = lc_mesh_num_triangles(m);
    const float *v = lc_mesh_vertices(m), *n = lc_mesh_normals(m);
    const int64_t *t = lc_mesh_triangles(m);
    if (nv < 3 || nt < 1 || !v || !n || !t) {
        fprintf(stderr, "fuzz: a mesh of %lld vertices and %lld triangles\n", (long long)nv,
                (long long)nt);
        abort();
    }
    unsigned char *used = calloc((size_t)nv, 1);
    for (int64_t k = 0; k < nt; k++) {
        const int64_t *c = t + 3 * k;
        for (int j = 0; j < 3; j++)
            if (c[j] < 0 || c[j] >= nv) {
                fprintf(stderr, "fuzz: triangle %lld has vertex %lld of %lld\n", (long long)k,
                        (long long)c[j], (long long)nv);
                abort();
            } else {
                used[c[j]] = 1;
            }
        if (c[0] == c[1] || c[1] == c[2] || c[0] == c[2]) {
            fprintf(stderr, "fuzz: triangle %lld repeats a vertex\n", (long long)k);
            abort();
        }
    }
    for (int64_t i = 0; i < nv; i++) {
        double len = 0;
        for (int d = 0; d < 3; d++) {
            if (!isfinite(v[3 * i + d]) || !isfinite(n[3 * i + d])) {
                fprintf(stderr, "fuzz: vertex %lld is not finite\n", (long long)i);
                abort();
            }
            len += (double)n[3 * i + d] * n[3 * i + d];
        }
        if (!used[i] || (len != 0 && fabs(len - 1) > 1e-5)) {
            fprintf(stderr, "fuzz: vertex %lld is %s\n", (long long)i,
                    used[i] ? "not of unit normal" : "in no triangle");
            abort();
        }
    }
    free(used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/lcfuzz-XXXXXX%s", fuzz_tmpdir(), suffixes[data[0] % 3]);
    int fd = mkstemps(path, 4);
    if (fd < 0) fuzz_die("fuzz: mkstemps");
    fuzz_write_all(fd, data + 1, size - 1);
    if (close(fd) != 0) fuzz_die("fuzz: close");

    lc_mesh_t *m = NULL;
    lc_status st = lc_mesh_read(&m, path);
    fuzz_check(st, m, "lc_mesh_read");
    if (st != LC_OK && !strstr(lc_last_error(), path)) {
        fprintf(stderr, "fuzz: the error does not name the file: %s\n", lc_last_error());
        abort();
    }
    if (m) {
        check_mesh(m);
        lc_graph_t *g = NULL;
        st = lc_graph_from_mesh(&g, m);
        fuzz_check(st, g, "lc_graph_from_mesh");
        lc_graph_free(&g);
        /* a nearly flat triangle may overflow a cotangent: LC_ERR_NUMERIC */
        lc_csr_t *l = NULL;
        st = lc_mesh_laplacian(m, &l, NULL);
        fuzz_check(st, l, "lc_mesh_laplacian");
        if (st != LC_OK && st != LC_ERR_NUMERIC && st != LC_ERR_OUT_OF_MEMORY) {
            fprintf(stderr, "fuzz: lc_mesh_laplacian: %s\n", lc_last_error());
            abort();
        }
        lc_csr_free(&l);
    }
    lc_mesh_free(&m);
    unlink(path);
    return 0;
}
