/* igraph.c — lc_graph from igraph graphs and generators (Erdős–Rényi, SBM, lattice, famous). */
#include <math.h>
#include <stdio.h>

#include <igraph.h>

#include "internal.h"

/* igraph reports errors through a process-wide handler whose default aborts.
 * While we call igraph we install one that keeps the reason (so the error
 * message can name it) and then frees igraph's cleanup stack as
 * igraph_error_handler_ignore does. Like igraph's own handler and RNG this is
 * global state: the generators must not run concurrently on several threads. */
static _Thread_local char igraph_reason[256];

static void keep_reason(const char *reason, const char *file, int line, igraph_error_t err)
{
    snprintf(igraph_reason, sizeof igraph_reason, "%s", reason ? reason : "");
    igraph_error_handler_ignore(reason, file, line, err);
}

typedef struct {
    igraph_error_handler_t *error;
    igraph_warning_handler_t *warning;
} handlers;

static handlers quiet_igraph(void)
{
    igraph_reason[0] = '\0';
    handlers old = {igraph_set_error_handler(keep_reason),
                    igraph_set_warning_handler(igraph_warning_handler_ignore)};
    return old;
}

static void restore_igraph(handlers old)
{
    igraph_set_error_handler(old.error);
    igraph_set_warning_handler(old.warning);
}

/* Turn an igraph error code into an lconv status and message. */
#define IG_TRY(call)                                                                               \
    do {                                                                                           \
        igraph_error_t ig_err_ = (call);                                                           \
        if (ig_err_ != IGRAPH_SUCCESS) {                                                           \
            st = LC_ERROR(ig_err_ == IGRAPH_ENOMEM   ? LC_ERR_OUT_OF_MEMORY                        \
                          : ig_err_ == IGRAPH_EINVAL ? LC_ERR_INVALID_ARG                          \
                                                     : LC_ERR_BACKEND,                             \
                          "igraph: %s (%s)", igraph_strerror(ig_err_), igraph_reason);             \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Copy the edges of an igraph graph into a new lc_graph. The caller has
 * installed the quiet handler. */
static lc_status from_igraph(lc_graph_t **out, const igraph_t *ig, int flags)
{
    lc_status st = LC_OK;
    igraph_vector_int_t el;
    bool have_el = false;
    int64_t *tail = NULL, *head = NULL;

    IG_TRY(igraph_vector_int_init(&el, 0));
    have_el = true;
    IG_TRY(igraph_get_edgelist(ig, &el, 0));
    const int64_t n = (int64_t)igraph_vcount(ig);
    const int64_t m = (int64_t)igraph_ecount(ig);
    tail = lc_i_malloc((size_t)m * sizeof *tail);
    head = lc_i_malloc((size_t)m * sizeof *head);
    if (!tail || !head) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld edges", (long long)m);
    for (int64_t e = 0; e < m; e++) {
        tail[e] = (int64_t)VECTOR(el)[2 * e];
        head[e] = (int64_t)VECTOR(el)[2 * e + 1];
    }
    if (!igraph_is_directed(ig)) flags |= LC_GRAPH_SYMMETRIZE;
    LC_TRY(lc_graph_from_edges(out, n, m, tail, head, NULL, flags));
done:
    if (have_el) igraph_vector_int_destroy(&el);
    lc_i_free(tail);
    lc_i_free(head);
    return st;
}

lc_status lc_graph_from_igraph(lc_graph_t **g, const void *igraph_graph, int flags)
{
    LC_CHECK_ARG(g && igraph_graph, "NULL argument");
    handlers old = quiet_igraph();
    lc_status st = lc_i_error_from(from_igraph(g, igraph_graph, flags), __func__);
    restore_igraph(old);
    return st;
}

lc_status lc_graph_erdos_renyi(lc_graph_t **g, int64_t n, int64_t m_undirected, uint64_t seed,
                               int flags)
{
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(n >= 0 && n <= INT32_MAX, "n = %lld outside [0, 2^31)", (long long)n);
    const int64_t max_m = n * (n - 1) / 2;
    LC_CHECK_ARG(m_undirected >= 0 && m_undirected <= max_m,
                 "m = %lld outside [0, n(n-1)/2 = %lld] for n = %lld", (long long)m_undirected,
                 (long long)max_m, (long long)n);
    lc_status st = LC_OK;
    igraph_t ig;
    bool have_ig = false;
    handlers old = quiet_igraph();
    IG_TRY(igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed));
    IG_TRY(igraph_erdos_renyi_game_gnm(&ig, n, m_undirected, IGRAPH_UNDIRECTED, IGRAPH_NO_LOOPS));
    have_ig = true;
    LC_TRY(lc_i_error_from(from_igraph(g, &ig, flags), __func__));
done:
    if (have_ig) igraph_destroy(&ig);
    restore_igraph(old);
    return st;
}

lc_status lc_graph_sbm(lc_graph_t **g, int k, const int64_t *block_sizes, double p_in, double p_out,
                       uint64_t seed, int flags)
{
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(k >= 1, "k = %d blocks, need at least 1", k);
    LC_CHECK_ARG(block_sizes, "block_sizes is NULL");
    LC_CHECK_ARG(p_in >= 0.0 && p_in <= 1.0, "p_in = %g outside [0, 1]", p_in);
    LC_CHECK_ARG(p_out >= 0.0 && p_out <= 1.0, "p_out = %g outside [0, 1]", p_out);
    int64_t n = 0;
    for (int i = 0; i < k; i++) {
        LC_CHECK_ARG(block_sizes[i] >= 0, "block %d has size %lld < 0", i,
                     (long long)block_sizes[i]);
        n += block_sizes[i];
        LC_CHECK_ARG(n <= INT32_MAX, "total size exceeds 2^31 - 1 nodes at block %d", i);
    }
    lc_status st = LC_OK;
    igraph_t ig;
    igraph_matrix_t pref;
    igraph_vector_int_t sizes;
    bool have_ig = false, have_pref = false, have_sizes = false;
    handlers old = quiet_igraph();
    IG_TRY(igraph_matrix_init(&pref, k, k));
    have_pref = true;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            MATRIX(pref, i, j) = i == j ? p_in : p_out;
    IG_TRY(igraph_vector_int_init(&sizes, k));
    have_sizes = true;
    for (int i = 0; i < k; i++)
        VECTOR(sizes)[i] = block_sizes[i];
    IG_TRY(igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed));
    IG_TRY(igraph_sbm_game(&ig, n, &pref, &sizes, IGRAPH_UNDIRECTED, IGRAPH_NO_LOOPS));
    have_ig = true;
    LC_TRY(lc_i_error_from(from_igraph(g, &ig, flags), __func__));
done:
    if (have_ig) igraph_destroy(&ig);
    if (have_pref) igraph_matrix_destroy(&pref);
    if (have_sizes) igraph_vector_int_destroy(&sizes);
    restore_igraph(old);
    return st;
}

/* Node (r, c) is r·cols + c (row-major, as images are stored): igraph varies
 * its first dimension fastest, so the dimension vector is (cols, rows).
 * igraph keeps the lattice simple: a periodic side of length 2 gets no second
 * (wrap) link and a side of length 1 no self loop. */
lc_status lc_graph_lattice(lc_graph_t **g, int64_t rows, int64_t cols, int periodic, int flags)
{
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(rows >= 1 && cols >= 1, "lattice %lld x %lld: both sides must be ≥ 1",
                 (long long)rows, (long long)cols);
    LC_CHECK_ARG(rows <= INT32_MAX / cols, "lattice %lld x %lld has more than 2^31 - 1 nodes",
                 (long long)rows, (long long)cols);
    lc_status st = LC_OK;
    igraph_t ig;
    igraph_vector_int_t dims;
    igraph_vector_bool_t circ;
    bool have_ig = false, have_dims = false, have_circ = false;
    handlers old = quiet_igraph();
    IG_TRY(igraph_vector_int_init(&dims, 2));
    have_dims = true;
    VECTOR(dims)[0] = cols;
    VECTOR(dims)[1] = rows;
    IG_TRY(igraph_vector_bool_init(&circ, 2));
    have_circ = true;
    VECTOR(circ)[0] = VECTOR(circ)[1] = periodic != 0;
    IG_TRY(igraph_square_lattice(&ig, &dims, 1, IGRAPH_UNDIRECTED, 0, &circ));
    have_ig = true;
    LC_TRY(lc_i_error_from(from_igraph(g, &ig, flags), __func__));
done:
    if (have_ig) igraph_destroy(&ig);
    if (have_dims) igraph_vector_int_destroy(&dims);
    if (have_circ) igraph_vector_bool_destroy(&circ);
    restore_igraph(old);
    return st;
}

lc_status lc_graph_famous(lc_graph_t **g, const char *name, int flags)
{
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(name, "name is NULL");
    lc_status st = LC_OK;
    igraph_t ig;
    bool have_ig = false;
    handlers old = quiet_igraph();
    igraph_error_t err = igraph_famous(&ig, name);
    if (err == IGRAPH_EINVAL) LC_FAIL(LC_ERR_INVALID_ARG, "unknown famous graph '%s'", name);
    IG_TRY(err);
    have_ig = true;
    LC_TRY(lc_i_error_from(from_igraph(g, &ig, flags), __func__));
done:
    if (have_ig) igraph_destroy(&ig);
    restore_igraph(old);
    return st;
}
