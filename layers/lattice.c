/* lattice.c — the CNN as an L-conv: fixed shift generators on a grid (placeholder). */
#include <math.h>

#include "layer.h"

static lc_status build_lattice(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    (void)ctx, (void)d, (void)in, (void)out;
    return LC_ERROR(LC_ERR_UNSUPPORTED, "lattice layers are not implemented yet");
}

const lc_i_layer_type lc_i_layer_lattice = {LC_LAYER_LATTICE, "lattice", true,
                                            LC_OPT_NOBIAS | LC_OPT_K | LC_OPT_NOW0, NAN,
                                            build_lattice};
