/* ops_pool.c — pooling over nodes and flattening for graph- and image-level heads. */
#include "backend.h"

lc_status lc_cg_pool(lc_cgraph_t *cg, lc_node x, lc_pool_kind kind, const int32_t *graph_of,
                     int64_t n_graphs, lc_node *out)
{
    (void)cg, (void)x, (void)kind, (void)graph_of, (void)n_graphs, (void)out;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "not implemented yet");
}
lc_status lc_cg_flatten(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    (void)cg, (void)x, (void)out;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "not implemented yet");
}
void lc_i_pool_fwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
void lc_i_pool_bwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
void lc_i_flatten_fwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
void lc_i_flatten_bwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
