/* lattice.c — d-dimensional grids with stencil edges, node positions and edge types. */
#include "internal.h"

lc_status lc_graph_set_positions(lc_graph_t *g, int dim, const float *coords)
{
    (void)g, (void)dim, (void)coords;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "not implemented yet");
}
const float *lc_graph_positions(const lc_graph_t *g, int *dim)
{
    if (dim) *dim = g ? g->pos_dim : 0;
    return g ? g->positions : NULL;
}
const int32_t *lc_graph_edge_types(const lc_graph_t *g, int *n_types)
{
    if (n_types) *n_types = g ? g->n_edge_types : 0;
    return g ? g->edge_type : NULL;
}
lc_status lc_graph_grid(lc_graph_t **g, int d, const int64_t *dims, int k, lc_boundary boundary)
{
    (void)g, (void)d, (void)dims, (void)k, (void)boundary;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "not implemented yet");
}
