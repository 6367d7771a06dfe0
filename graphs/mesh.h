/* mesh.h — the triangle mesh object, shared by the mesh file reader and the mesh operators. */
#ifndef LC_MESH_H
#define LC_MESH_H

#include "internal.h"

/* Largest vertex or triangle count: node ids end up as 32-bit CSR columns. */
#define LC_MESH_MAX_COUNT ((int64_t)INT32_MAX - 1)

struct lc_mesh {
    int64_t nv, nt;
    float *vertices;    /* nv × 3 */
    int64_t *triangles; /* nt × 3, each in [0, nv) with three distinct vertices */
    float *normals;     /* nv × 3: unit area-weighted vertex normals (0 where undefined) */
};

/* A mesh that takes ownership of `vertices` and `triangles` (lc_i_malloc'd,
 * already checked) and computes the normals. On failure both arrays are freed
 * and the error is raised under `api`. */
lc_status lc_i_mesh_adopt(lc_mesh_t **m, int64_t nv, float *vertices, int64_t nt,
                          int64_t *triangles, const char *api);

#endif
