/* ops_lowrank.c — low-rank generators Σ_i U_i (V_iᵀ Z_i): builder and CPU kernels. */
#include "backend.h"

lc_status lc_cg_lowrank(lc_cgraph_t *cg, lc_node u, lc_node v, lc_node z, int p, lc_node *out)
{
    (void)cg, (void)u, (void)v, (void)z, (void)p, (void)out;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "not implemented yet");
}
void lc_i_lowrank_fwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
void lc_i_lowrank_bwd(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }
