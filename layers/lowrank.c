/* lowrank.c — low-rank dense generators L_i = U_i·V_iᵀ for unknown topology (placeholder). */
#include <math.h>

#include "layer.h"

static lc_status build_lowrank(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    (void)ctx, (void)d, (void)in, (void)out;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "lowrank layers are not implemented yet");
}

const lc_i_layer_type lc_i_layer_lowrank = {LC_LAYER_LOWRANK, "lowrank", true,
                                            LC_OPT_NOBIAS | LC_OPT_P | LC_OPT_R | LC_OPT_FROZEN |
                                                LC_OPT_NOW0,
                                            NAN, build_lowrank};
