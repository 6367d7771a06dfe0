/* partition.c — split a graph operator's rows into parts (contiguous blocks, or METIS k-way) and
 * count the halo exchanges that a partition implies. */
#include "config.h" /* LC_HAVE_METIS */

#include <stdlib.h>
#include <string.h>

#include "dist.h"

#ifdef LC_HAVE_METIS
#include <metis.h>
#endif

static lc_status check_operator(const lc_csr_t *a, int parts, const char *func)
{
    if (!a) return lc_i_error(LC_ERR_INVALID_ARG, func, "the operator is NULL");
    if (a->n_rows != a->n_cols)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "the operator is %lld x %lld, not square",
                          (long long)a->n_rows, (long long)a->n_cols);
    if (parts < 1)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "%d parts: must be at least 1", parts);
    return LC_OK;
}

#ifdef LC_HAVE_METIS
static int cmp_idx(const void *x, const void *y)
{
    const idx_t a = *(const idx_t *)x, b = *(const idx_t *)y;
    return (a > b) - (a < b);
}

/* What a METIS status means, and what to do about it. METIS 5.1 (GKlib)
 * traps SIGTERM while it runs, to unwind its allocations, and returns
 * METIS_ERROR for it: a `timeout` or `kill` arriving during the call ends the
 * call, not the process, and reads as METIS's catch-all error. */
static const char *metis_failure(int rc)
{
    switch (rc) {
    case METIS_ERROR_INPUT:
        return "METIS_ERROR_INPUT (METIS rejected the graph or its options)";
    case METIS_ERROR_MEMORY:
        return "METIS_ERROR_MEMORY (METIS needs several times the graph's size in memory: "
               "free memory, or use the block partition)";
    default:
        return "METIS_ERROR (METIS 5.1's catch-all: an internal error, or a SIGTERM the "
               "process received while METIS ran, which METIS traps and returns as this "
               "error, e.g. from `timeout` or `kill`; if nothing was stopping the process, "
               "try fewer parts or the block partition)";
    }
}

/* METIS wants an undirected graph without self-loops, each edge listed from
 * both ends once: the pattern of a + aᵀ off the diagonal. */
static lc_status metis_parts(const lc_csr_t *a, int parts, int32_t *part)
{
    lc_status st = LC_OK;
    const int64_t n = a->n_rows;
    idx_t *xadj = NULL, *adj = NULL, *fill = NULL, *out = NULL;
    if (n > INT32_MAX - 1 || 2 * a->nnz > INT32_MAX)
        LC_FAIL(LC_ERR_UNSUPPORTED, "%lld rows and %lld nonzeros exceed METIS's 32-bit indices",
                (long long)n, (long long)a->nnz);
    xadj = lc_i_calloc((size_t)n + 1, sizeof *xadj);
    fill = lc_i_calloc((size_t)n + 1, sizeof *fill);
    out = lc_i_malloc((size_t)n * sizeof *out);
    adj = lc_i_malloc((size_t)(2 * a->nnz + 1) * sizeof *adj);
    if (!xadj || !fill || !out || !adj)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate METIS's copy of %lld nonzeros",
                (long long)a->nnz);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
            if (a->col[k] != i) xadj[i + 1]++, xadj[a->col[k] + 1]++;
    for (int64_t i = 0; i < n; i++)
        xadj[i + 1] += xadj[i];
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
            const int64_t j = a->col[k];
            if (j == i) continue;
            adj[xadj[i] + fill[i]++] = (idx_t)j;
            adj[xadj[j] + fill[j]++] = (idx_t)i;
        }
    /* Sort and drop the duplicates (an edge stored both ways), compacting in place. */
    idx_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        const idx_t begin = xadj[i], end = xadj[i + 1];
        qsort(adj + begin, (size_t)(end - begin), sizeof *adj, cmp_idx);
        xadj[i] = w;
        for (idx_t k = begin; k < end; k++)
            if (k == begin || adj[k] != adj[k - 1]) adj[w++] = adj[k];
    }
    xadj[n] = w;
    idx_t nv = (idx_t)n, ncon = 1, np = parts, cut = 0, options[METIS_NOPTIONS];
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_SEED] = 1; /* deterministic */
    options[METIS_OPTION_NUMBERING] = 0;
    const int rc = METIS_PartGraphKway(&nv, &ncon, xadj, adj, NULL, NULL, NULL, &np, NULL, NULL,
                                       options, &cut, out);
    if (rc != METIS_OK)
        LC_FAIL(rc == METIS_ERROR_MEMORY ? LC_ERR_OUT_OF_MEMORY : LC_ERR_BACKEND,
                "METIS_PartGraphKway failed on %lld rows (%lld edges) into %d parts: %s",
                (long long)n, (long long)w / 2, parts, metis_failure(rc));
    for (int64_t i = 0; i < n; i++)
        part[i] = (int32_t)out[i];
done:
    lc_i_free(xadj);
    lc_i_free(adj);
    lc_i_free(fill);
    lc_i_free(out);
    return st;
}
#endif

lc_status lc_partition(const lc_csr_t *a, int parts, lc_partition_method method, int32_t *part)
{
    lc_status st = check_operator(a, parts, __func__);
    if (st) return st;
    LC_CHECK_ARG(part, "the part array is NULL");
    LC_CHECK_ARG(parts <= a->n_rows, "%d parts for %lld rows: a part would be empty", parts,
                 (long long)a->n_rows);
    const int64_t n = a->n_rows;
    switch (method) {
    case LC_PARTITION_BLOCK:
        /* part p gets rows [n·p/P, n·(p+1)/P): sizes differ by at most one */
        for (int64_t p = 0, i = 0; p < parts; p++)
            for (const int64_t end = n * (p + 1) / parts; i < end; i++)
                part[i] = (int32_t)p;
        return LC_OK;
    case LC_PARTITION_METIS:
        if (parts == 1) { /* METIS would be asked for nothing */
            memset(part, 0, (size_t)n * sizeof *part);
            return LC_OK;
        }
#ifdef LC_HAVE_METIS
        return lc_i_error_from(metis_parts(a, parts, part), __func__);
#else
        return LC_ERROR(LC_ERR_UNSUPPORTED,
                        "lconv was built without METIS: install libmetis-dev and reconfigure, "
                        "or use the block partition");
#endif
    }
    return LC_ERROR(LC_ERR_INVALID_ARG, "unknown partition method %d", (int)method);
}

void lc_i_group_by_part(const int32_t *part, int64_t n, int parts, int64_t *start, int64_t *rows)
{
    memset(start, 0, ((size_t)parts + 1) * sizeof *start);
    for (int64_t i = 0; i < n; i++)
        start[part[i] + 1]++;
    for (int p = 0; p < parts; p++)
        start[p + 1] += start[p];
    for (int64_t i = 0; i < n; i++)
        rows[start[part[i]]++] = i;
    for (int p = parts; p > 0; p--)
        start[p] = start[p - 1];
    start[0] = 0;
}

lc_status lc_partition_stats_of(const lc_csr_t *a, int parts, const int32_t *part,
                                lc_partition_stats *stats)
{
    lc_status st = check_operator(a, parts, __func__);
    if (st) return st;
    LC_CHECK_ARG(part && stats, "NULL argument");
    const int64_t n = a->n_rows;
    for (int64_t i = 0; i < n; i++)
        LC_CHECK_ARG(part[i] >= 0 && part[i] < parts, "row %lld is in part %d, outside [0, %d)",
                     (long long)i, part[i], parts);
    int64_t *start = lc_i_calloc((size_t)parts + 1, sizeof *start);
    int64_t *rows = lc_i_malloc(((size_t)n + 1) * sizeof *rows);
    int32_t *seen = lc_i_malloc(((size_t)n + 1) * sizeof *seen); /* last part that read row j */
    int32_t *peer =
        lc_i_malloc(((size_t)parts + 1) * sizeof *peer); /* last part that read part q */
    lc_partition_stats s = {
        .parts = parts, .rows = n, .nnz = a->nnz, .rows_min = INT64_MAX, .halo_min = INT64_MAX};
    if (!start || !rows || !seen || !peer)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the counts of %lld rows", (long long)n);
    /* the rows of each part together, so each part is one sweep */
    lc_i_group_by_part(part, n, parts, start, rows);
    for (int64_t j = 0; j < n; j++)
        seen[j] = -1;
    for (int q = 0; q < parts; q++)
        peer[q] = -1;
    for (int p = 0; p < parts; p++) {
        int64_t halo = 0, peers = 0;
        for (int64_t k = start[p]; k < start[p + 1]; k++) {
            const int64_t i = rows[k];
            for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++) {
                const int32_t j = a->col[e], q = part[j];
                if (q == p) continue;
                s.edge_cut++;
                if (seen[j] != p) seen[j] = p, halo++;
                if (peer[q] != p) peer[q] = p, peers++;
            }
        }
        const int64_t owned = start[p + 1] - start[p];
        if (owned < s.rows_min) s.rows_min = owned;
        if (owned > s.rows_max) s.rows_max = owned;
        if (halo < s.halo_min) s.halo_min = halo;
        if (halo > s.halo_max) s.halo_max = halo;
        if (peers > s.peers_max) s.peers_max = peers;
        s.halo_total += halo;
    }
    *stats = s;
done:
    lc_i_free(start);
    lc_i_free(rows);
    lc_i_free(seen);
    lc_i_free(peer);
    return st;
}
