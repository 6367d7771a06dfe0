/* cgraph.h — internal layout of the compute graph, shared by the builder, autodiff and backends. */
#ifndef LC_CGRAPH_H
#define LC_CGRAPH_H

#include "internal.h"

typedef enum {
    LC_OP_CONSTANT = 0,
    LC_OP_PARAMETER,
    LC_OP_MATMUL,
    LC_OP_SPMM,
    LC_OP_ADD,
    LC_OP_BIAS,
    LC_OP_RELU,
    LC_OP_LEAKY_RELU,
    LC_OP_ELU,
    LC_OP_TANH,
    LC_OP_SIGMOID,
    LC_OP_DROPOUT,
    LC_OP_LOG_SOFTMAX,
    LC_OP_CROSS_ENTROPY,
    LC_OP_MSE,
    LC_OP_SUM,
    LC_OP_MEAN,
    LC_OP_CONCAT,
    LC_OP_SCALE,
    LC_OP_EDGE_CONV, /* ops_edge.c */
    LC_OP_LOWRANK,   /* ops_lowrank.c */
    LC_OP_POOL,      /* ops_pool.c */
    LC_OP_FLATTEN,   /* ops_pool.c */
    LC_OP_RESHAPE,   /* ops_shape.c */
    LC_OP_MUL,       /* ops_shape.c */
    LC_OP_DIFFUSION, /* diffusion.c */
    LC_OP_COUNT
} lc_i_op;

typedef struct {
    lc_i_op op;
    int n_in;
    lc_node in[2];
    float fparam;            /* leaky slope, elu alpha, dropout p, scale */
    int iparam[4];           /* small integer options: form, p, pool kind, transposes */
    const void *ptr;         /* op-specific borrowed object: the graph of EDGE_CONV, graph_of of POOL */
    const lc_csr_t *sparse;  /* SPMM: S */
    const lc_csr_t *sparse_t; /* SPMM: Sᵀ, for the backward pass */
    const int32_t *labels;   /* CROSS_ENTROPY */
    const uint8_t *mask;     /* CROSS_ENTROPY */
    int64_t count;           /* CROSS_ENTROPY: masked rows */
    int ndim;
    int64_t shape[LC_MAX_DIMS];
    const lc_tensor_t *constant; /* CONSTANT: the caller's tensor (not owned) */
    lc_tensor_t *value;      /* owned, except for constants (then == constant) */
    lc_tensor_t *grad;       /* owned; NULL when no parameter flows into the node */
    lc_tensor_t *aux;        /* DROPOUT: scaled keep mask */
    bool needs_grad;
    bool owned;              /* CONSTANT whose value the graph frees */
    int tag;                 /* the builder's tag when the node was added (model: layer index) */
    char *name;              /* PARAMETER */
    /* On a device backend (lc_cg_to): the device copies of value, grad, aux,
     * and whether the host's constant or parameter data is newer. */
    float *dvalue, *dgrad, *daux;
    bool host_newer;
} lc_i_node;

struct lc_i_backend;

struct lc_cgraph {
    lc_i_node *nodes;
    int n_nodes, cap;
    lc_node *params;
    int n_params;
    lc_node loss;
    bool compiled;
    bool training;
    /* Under a memory plan a backward pass spends the values it reads (their
     * memory goes to gradients): each needs a forward pass of its own. */
    bool values_fresh;
    lc_rng_t rng;
    const struct lc_i_backend *backend;
    int tag;          /* given to the nodes built next (lc_i_cg_set_tag) */
    bool check_finite; /* test every op's results for NaN/Inf */
    void *device_state; /* the device backend's own (handles, buffers), or NULL */
    /* A memory plan the buffers follow (plan.h; a device backend's), or NULL:
     * then gradients are zeroed just before their first writer, not all at
     * once. keep_buffers asks the next plan to share nothing. */
    const struct lc_i_plan_s *plan;
    bool keep_buffers;
    /* lc_cg_share_buffers: the CPU's own plan and the arena its node buffers
     * live in (NULL when every buffer has its own memory). */
    bool share_buffers;
    struct lc_i_plan_s *host_plan;
    void *host_arena;
    /* A copy from the device that failed inside an accessor (which returns
     * the host's last copy rather than NULL): the next pass reports it. */
    lc_status pending;
    char pending_msg[256];
    lc_node failed;   /* the node whose check failed last, or -1 */
};

/* Append a node of the given op and shape (for builders outside cgraph.c).
 * The inputs must exist; needs_grad is derived from them. */
lc_status lc_i_push_node(lc_cgraph_t *cg, lc_i_op op, int n_in, lc_node a, lc_node b, int ndim,
                         const int64_t *shape, lc_node *out, lc_i_node **slot);
/* The checks every builder starts with: graph open (not compiled), inputs
 * exist, out not NULL. */
lc_status lc_i_check_build(const lc_cgraph_t *cg, const char *func, int n_in, const lc_node *in,
                           const lc_node *out);
/* Nodes built from now on carry `tag` (the model tags each layer's nodes). */
static inline void lc_i_cg_set_tag(lc_cgraph_t *cg, int tag) { cg->tag = tag; }
extern const char *const lc_i_op_names[];

/* "[2708, 16]" of a node's shape. */
const char *lc_i_node_shape_str(const lc_i_node *n, char *buf, size_t len);

/* Elements of a node's shape; its last dimension; the rest as rows (the
 * shape alone: valid before compile, and for device buffers). */
static inline int64_t lc_i_node_numel(const lc_i_node *n)
{
    int64_t c = 1;
    for (int i = 0; i < n->ndim; i++) c *= n->shape[i];
    return c;
}
static inline int64_t lc_i_node_cols(const lc_i_node *n) { return n->shape[n->ndim - 1]; }
static inline int64_t lc_i_node_rows(const lc_i_node *n)
{
    return lc_i_node_numel(n) / lc_i_node_cols(n);
}

/* The next entry of an inverted-dropout mask drawn from rng: 0 with
 * probability p, else 1/(1-p). On the CPU backend every dropout mask of one
 * process is drawn by this rule, in order, from the compute graph's RNG, and
 * partitioned training (lib/dist_graph.c) draws the same stream by it; the
 * CUDA kernels hash (a key per op and pass, element) instead. */
static inline float lc_i_dropout_draw(lc_rng_t *rng, float p)
{
    return lc_rng_uniform(rng) >= p ? 1.0f / (1.0f - p) : 0.0f;
}

static inline lc_i_node *lc_i_in(const lc_cgraph_t *cg, const lc_i_node *n, int k)
{
    return &cg->nodes[n->in[k]];
}

/* The error a failed accessor copy left (LC_OK when none), now raised under
 * `func` and cleared. */
lc_status lc_i_cg_take_pending(lc_cgraph_t *cg, const char *func);
/* Bring a node's device value or gradient to its host tensor (nothing to do
 * on the CPU, for a constant, whose host tensor is the source, or for a value
 * the host wrote since: host_newer). */
lc_status lc_i_cg_host_copy(const lc_cgraph_t *cg, lc_i_node *n, bool grad);
/* Parameter i's values to read (on a device graph copied home first), without
 * marking them written as lc_cg_param_tensor does (which would upload them
 * again before the next pass). NULL when i is out of range. */
const lc_tensor_t *lc_i_cg_param_value(const lc_cgraph_t *cg, int i);

/* A low-rank node's sizes (ops_lowrank.c, the layout of its aux there): n
 * nodes, p generators of rank r, R batch slices, f output columns per
 * generator and slice (the expand form's f is p·c). */
typedef struct {
    int n, p, r, R, f;
} lc_i_lowrank_dims;
lc_i_lowrank_dims lc_i_lowrank_dims_of(const lc_i_node *node);

/* Scratch floats of a LOWRANK node in expand mode (ops_lowrank.c). */
int64_t lc_i_lowrank_expand_aux(const lc_i_node *node);
/* Scratch floats of a DIFFUSION node (diffusion.c). */
int64_t lc_i_diffusion_aux(const lc_i_node *node);

#endif
