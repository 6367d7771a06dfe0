/* cgraph.c — compute-graph builders with shape checks, compilation (buffers, backward) and execution. */
#include <math.h>
#include <string.h>

#include "backend.h"
#include "plan.h"

const char *const lc_i_op_names[LC_OP_COUNT] = {
    "constant", "parameter", "matmul", "spmm", "add", "bias", "relu", "leaky_relu", "elu",
    "tanh", "sigmoid", "dropout", "log_softmax", "cross_entropy", "mse", "sum", "mean",
    "concat", "scale", "edge_conv", "lowrank", "pool", "flatten", "reshape", "mul",
    "diffusion"};

lc_status lc_cg_new(lc_cgraph_t **out, uint64_t seed)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    lc_cgraph_t *cg = lc_i_calloc(1, sizeof *cg);
    if (!cg) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a compute graph");
    lc_rng_seed(&cg->rng, seed);
    cg->loss = -1;
    cg->failed = -1;
    cg->backend = &lc_i_backend_cpu;
    *out = cg;
    return LC_OK;
}

void lc_cg_free(lc_cgraph_t **pcg)
{
    if (!pcg || !*pcg) return;
    lc_cgraph_t *cg = *pcg;
    if (cg->backend->detach) cg->backend->detach(cg);
    if (cg->host_plan) lc_i_plan_free(cg->host_plan);
    lc_i_free(cg->host_plan);
    lc_i_free(cg->host_arena);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        if (n->op != LC_OP_CONSTANT || n->owned) lc_tensor_free(&n->value);
        lc_tensor_free(&n->grad);
        lc_tensor_free(&n->aux);
        lc_i_free(n->name);
    }
    lc_i_free(cg->nodes);
    lc_i_free(cg->params);
    lc_i_free(cg);
    *pcg = NULL;
}

void lc_cg_seed(lc_cgraph_t *cg, uint64_t seed)
{
    if (cg) lc_rng_seed(&cg->rng, seed);
}

/* ---------- building ---------- */

static lc_status check_open(const lc_cgraph_t *cg, const char *func)
{
    if (!cg) return lc_i_error(LC_ERR_INVALID_ARG, func, "compute graph is NULL");
    if (cg->compiled)
        return lc_i_error(LC_ERR_STATE, func, "the graph is compiled; no node may be added");
    return LC_OK;
}

static lc_status check_node(const lc_cgraph_t *cg, lc_node n, const char *func)
{
    if (n < 0 || n >= cg->n_nodes)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "node %d does not exist (graph has %d)", n,
                          cg->n_nodes);
    return LC_OK;
}

static const lc_i_node *node_of(const lc_cgraph_t *cg, lc_node n) { return &cg->nodes[n]; }

const char *lc_i_node_shape_str(const lc_i_node *n, char *buf, size_t len)
{
    lc_tensor_t t = {.ndim = n->ndim};
    memcpy(t.shape, n->shape, sizeof t.shape);
    return lc_i_shape_str(&t, buf, len);
}

/* Append a node; on success *out is its index and *slot points at it. */
lc_status lc_i_push_node(lc_cgraph_t *cg, lc_i_op op, int n_in, lc_node a, lc_node b, int ndim,
                           const int64_t *shape, lc_node *out, lc_i_node **slot)
{
    int64_t dims[LC_MAX_DIMS]; /* `shape` may point into a node that realloc moves */
    memcpy(dims, shape, (size_t)ndim * sizeof *shape);
    if (cg->n_nodes == cg->cap) {
        int cap = cg->cap ? cg->cap * 2 : 32;
        lc_i_node *nodes = lc_i_realloc(cg->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) { /* reported under the public builder's name, lc_cg_<op> */
            char func[64];
            snprintf(func, sizeof func, "lc_cg_%s", lc_i_op_names[op]);
            return lc_i_error(LC_ERR_OUT_OF_MEMORY, func, "cannot grow the graph to %d nodes", cap);
        }
        cg->nodes = nodes;
        cg->cap = cap;
    }
    lc_i_node *n = &cg->nodes[cg->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->n_in = n_in;
    n->in[0] = a;
    n->in[1] = b;
    n->ndim = ndim;
    memcpy(n->shape, dims, (size_t)ndim * sizeof *dims);
    for (int k = 0; k < n_in; k++) n->needs_grad |= cg->nodes[n->in[k]].needs_grad;
    n->tag = cg->tag;
    *out = cg->n_nodes++;
    if (slot) *slot = n;
    return LC_OK;
}

lc_status lc_cg_constant(lc_cgraph_t *cg, const lc_tensor_t *value, lc_node *out)
{
    lc_status st = check_open(cg, __func__);
    if (st) return st;
    LC_CHECK_ARG(value && out, "NULL argument");
    lc_i_node *n;
    st = lc_i_push_node(cg, LC_OP_CONSTANT, 0, -1, -1, value->ndim, value->shape, out, &n);
    if (st) return st;
    n->constant = value;
    n->value = (lc_tensor_t *)value; /* read only: constants are never written */
    return LC_OK;
}

lc_status lc_i_owned_constant(lc_cgraph_t *cg, lc_tensor_t *value, lc_node *out)
{
    lc_status st = lc_cg_constant(cg, value, out);
    if (!st) cg->nodes[*out].owned = true;
    return st;
}

lc_status lc_cg_parameter(lc_cgraph_t *cg, const lc_tensor_t *init, const char *name,
                          lc_node *out)
{
    lc_status st = check_open(cg, __func__);
    if (st) return st;
    LC_CHECK_ARG(init && out, "NULL argument");
    lc_tensor_t *value = NULL;
    char *copy = lc_i_strdup(name ? name : "param");
    lc_node *params = lc_i_realloc(cg->params, (size_t)(cg->n_params + 1) * sizeof *params);
    if (params) cg->params = params;
    if (!copy || !params) {
        lc_i_free(copy);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate parameter '%s'", name);
    }
    st = lc_tensor_new(&value, init->ndim, init->shape);
    if (st) {
        lc_i_free(copy);
        return st;
    }
    lc_tensor_copy(value, init);
    lc_i_node *n;
    st = lc_i_push_node(cg, LC_OP_PARAMETER, 0, -1, -1, init->ndim, init->shape, out, &n);
    if (st) {
        lc_i_free(copy);
        lc_tensor_free(&value);
        return st;
    }
    n->value = value;
    n->name = copy;
    n->needs_grad = true;
    cg->params[cg->n_params++] = *out;
    return LC_OK;
}

lc_status lc_i_check_build(const lc_cgraph_t *cg, const char *func, int n_in, const lc_node *in,
                           const lc_node *out)
{
    lc_status st = check_open(cg, func);
    if (st) return st;
    if (!out) return lc_i_error(LC_ERR_INVALID_ARG, func, "output node pointer is NULL");
    for (int k = 0; k < n_in; k++)
        if ((st = check_node(cg, in[k], func))) return st;
    return LC_OK;
}

/* Checks common to every op builder: graph open, inputs exist. */
#define BUILD_PROLOGUE(...)                                                                    \
    lc_status st = check_open(cg, __func__);                                                   \
    if (st) return st;                                                                         \
    LC_CHECK_ARG(out, "output node pointer is NULL");                                          \
    lc_node ins_[] = {__VA_ARGS__};                                                            \
    for (size_t k_ = 0; k_ < sizeof ins_ / sizeof ins_[0]; k_++)                               \
        if ((st = check_node(cg, ins_[k_], __func__))) return st;

static lc_status shape_error(const char *func, const lc_i_node *a, const lc_i_node *b,
                             const char *why)
{
    char sa[64], sb[64];
    return lc_i_error(LC_ERR_SHAPE, func, "%s: %s and %s", why, lc_i_node_shape_str(a, sa, sizeof sa),
                      lc_i_node_shape_str(b, sb, sizeof sb));
}

lc_status lc_cg_matmul(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out)
{
    BUILD_PROLOGUE(a, b);
    const lc_i_node *na = node_of(cg, a), *nb = node_of(cg, b);
    if (nb->ndim != 2 || lc_i_node_cols(na) != nb->shape[0])
        return shape_error(__func__, na, nb, "inner dimensions differ (or B is not 2-D)");
    if (lc_i_node_rows(na) > INT32_MAX || lc_i_node_cols(na) > INT32_MAX || nb->shape[1] > INT32_MAX)
        return shape_error(__func__, na, nb, "a dimension exceeds BLAS's 32-bit sizes");
    int64_t shape[LC_MAX_DIMS];
    memcpy(shape, na->shape, sizeof shape);
    shape[na->ndim - 1] = nb->shape[1];
    return lc_i_push_node(cg, LC_OP_MATMUL, 2, a, b, na->ndim, shape, out, NULL);
}

static lc_status spmm_node(lc_cgraph_t *cg, const lc_csr_t *s, lc_node x, float p, lc_node *out,
                           const char *func)
{
    lc_status st;
    if ((st = check_open(cg, func)) || (st = check_node(cg, x, func))) return st;
    if (!out) return lc_i_error(LC_ERR_INVALID_ARG, func, "output node pointer is NULL");
    if (!s) return lc_i_error(LC_ERR_INVALID_ARG, func, "sparse operator is NULL");
    if (!(p >= 0 && p < 1))
        return lc_i_error(LC_ERR_INVALID_ARG, func, "dropout probability %g not in [0, 1)", p);
    const lc_i_node *nx = node_of(cg, x);
    if (nx->shape[0] != s->n_cols) {
        char sx[64];
        return lc_i_error(LC_ERR_SHAPE, func, "operator is %lld x %lld but X is %s",
                          (long long)s->n_rows, (long long)s->n_cols, lc_i_node_shape_str(nx, sx, sizeof sx));
    }
    const lc_csr_t *st_ = NULL;
    if (nx->needs_grad) {
        /* The transpose is cached inside S: built once, shared by every layer. */
        st = lc_i_csr_transpose((lc_csr_t *)s, &st_);
        if (st) return st;
    }
    int64_t shape[LC_MAX_DIMS];
    memcpy(shape, nx->shape, sizeof shape);
    shape[0] = s->n_rows;
    lc_i_node *n;
    st = lc_i_push_node(cg, LC_OP_SPMM, 1, x, -1, nx->ndim, shape, out, &n);
    if (st) return st;
    n->sparse = s;
    n->sparse_t = st_;
    n->fparam = p;
    return LC_OK;
}

lc_status lc_cg_matmul_t(lc_cgraph_t *cg, lc_node a, int trans_a, lc_node b, int trans_b,
                         lc_node *out)
{
    BUILD_PROLOGUE(a, b);
    const lc_i_node *na = node_of(cg, a), *nb = node_of(cg, b);
    if (na->ndim != 2 || nb->ndim != 2)
        return shape_error(__func__, na, nb, "operands must be 2-D");
    int64_t m = trans_a ? na->shape[1] : na->shape[0], ka = trans_a ? na->shape[0] : na->shape[1];
    int64_t kb = trans_b ? nb->shape[1] : nb->shape[0], n = trans_b ? nb->shape[0] : nb->shape[1];
    if (ka != kb) return shape_error(__func__, na, nb, "inner dimensions differ");
    if (m > INT32_MAX || n > INT32_MAX || ka > INT32_MAX)
        return shape_error(__func__, na, nb, "a dimension exceeds BLAS's 32-bit sizes");
    const int64_t shape[2] = {m, n};
    lc_i_node *node;
    st = lc_i_push_node(cg, LC_OP_MATMUL, 2, a, b, 2, shape, out, &node);
    if (st) return st;
    node->iparam[0] = trans_a != 0;
    node->iparam[1] = trans_b != 0;
    return LC_OK;
}

lc_status lc_cg_spmm(lc_cgraph_t *cg, const lc_csr_t *s, lc_node x, lc_node *out)
{
    return spmm_node(cg, s, x, 0.0f, out, __func__);
}

lc_status lc_cg_spmm_dropout(lc_cgraph_t *cg, const lc_csr_t *s, lc_node x, float p,
                             lc_node *out)
{
    return spmm_node(cg, s, x, p, out, __func__);
}

static lc_status same_shape_op(lc_cgraph_t *cg, lc_i_op op, lc_node a, lc_node b, lc_node *out,
                               const char *func)
{
    const lc_i_node *na = node_of(cg, a), *nb = node_of(cg, b);
    if (na->ndim != nb->ndim || memcmp(na->shape, nb->shape, (size_t)na->ndim * sizeof(int64_t)))
        return shape_error(func, na, nb, "shapes differ");
    return lc_i_push_node(cg, op, 2, a, b, na->ndim, na->shape, out, NULL);
}

lc_status lc_cg_add(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out)
{
    BUILD_PROLOGUE(a, b);
    return same_shape_op(cg, LC_OP_ADD, a, b, out, __func__);
}

lc_status lc_cg_mse(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out)
{
    BUILD_PROLOGUE(a, b);
    lc_node diff_shape;
    st = same_shape_op(cg, LC_OP_MSE, a, b, &diff_shape, __func__);
    if (st) return st;
    /* same_shape_op gave the node the inputs' shape; MSE yields a scalar. */
    lc_i_node *n = &cg->nodes[diff_shape];
    n->ndim = 1;
    n->shape[0] = 1;
    *out = diff_shape;
    return LC_OK;
}

lc_status lc_cg_bias(lc_cgraph_t *cg, lc_node x, lc_node b, lc_node *out)
{
    BUILD_PROLOGUE(x, b);
    const lc_i_node *nx = node_of(cg, x), *nb = node_of(cg, b);
    if (lc_i_node_numel(nb) != lc_i_node_cols(nx))
        return shape_error(__func__, nx, nb, "bias length differs from the last dimension");
    return lc_i_push_node(cg, LC_OP_BIAS, 2, x, b, nx->ndim, nx->shape, out, NULL);
}

static lc_status unary(lc_cgraph_t *cg, lc_i_op op, lc_node x, float fparam, lc_node *out)
{
    const lc_i_node *nx = node_of(cg, x);
    lc_i_node *n;
    lc_status st = lc_i_push_node(cg, op, 1, x, -1, nx->ndim, nx->shape, out, &n);
    if (!st) n->fparam = fparam;
    return st;
}

lc_status lc_cg_relu(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return unary(cg, LC_OP_RELU, x, 0, out);
}
lc_status lc_cg_leaky_relu(lc_cgraph_t *cg, lc_node x, float slope, lc_node *out)
{
    BUILD_PROLOGUE(x);
    LC_CHECK_ARG(slope == slope, "slope is NaN");
    return unary(cg, LC_OP_LEAKY_RELU, x, slope, out);
}
lc_status lc_cg_elu(lc_cgraph_t *cg, lc_node x, float alpha, lc_node *out)
{
    BUILD_PROLOGUE(x);
    LC_CHECK_ARG(alpha >= 0, "alpha %g must be >= 0", alpha);
    return unary(cg, LC_OP_ELU, x, alpha, out);
}
lc_status lc_cg_tanh(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return unary(cg, LC_OP_TANH, x, 0, out);
}
lc_status lc_cg_sigmoid(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return unary(cg, LC_OP_SIGMOID, x, 0, out);
}
lc_status lc_cg_dropout(lc_cgraph_t *cg, lc_node x, float p, lc_node *out)
{
    BUILD_PROLOGUE(x);
    LC_CHECK_ARG(p >= 0 && p < 1, "dropout probability %g not in [0, 1)", p);
    return unary(cg, LC_OP_DROPOUT, x, p, out);
}
lc_status lc_cg_log_softmax(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return unary(cg, LC_OP_LOG_SOFTMAX, x, 0, out);
}
lc_status lc_cg_scale(lc_cgraph_t *cg, lc_node x, float alpha, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return unary(cg, LC_OP_SCALE, x, alpha, out);
}

static lc_status reduce_to_scalar(lc_cgraph_t *cg, lc_i_op op, lc_node x, lc_node *out)
{
    const int64_t one = 1;
    return lc_i_push_node(cg, op, 1, x, -1, 1, &one, out, NULL);
}
lc_status lc_cg_sum(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return reduce_to_scalar(cg, LC_OP_SUM, x, out);
}
lc_status lc_cg_mean(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    BUILD_PROLOGUE(x);
    return reduce_to_scalar(cg, LC_OP_MEAN, x, out);
}

lc_status lc_cg_cross_entropy(lc_cgraph_t *cg, lc_node logp, const int32_t *labels,
                              const uint8_t *mask, lc_node *out)
{
    BUILD_PROLOGUE(logp);
    LC_CHECK_ARG(labels && mask, "labels or mask is NULL");
    const lc_i_node *nx = node_of(cg, logp);
    int64_t rows = lc_i_node_rows(nx), classes = lc_i_node_cols(nx), count = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!mask[r]) continue;
        if (labels[r] < 0 || labels[r] >= classes)
            return LC_ERROR(LC_ERR_INVALID_ARG, "row %lld is in the mask but its label %d is not in [0, %lld)",
                            (long long)r, labels[r], (long long)classes);
        count++;
    }
    lc_i_node *n;
    st = reduce_to_scalar(cg, LC_OP_CROSS_ENTROPY, logp, out);
    if (st) return st;
    n = &cg->nodes[*out];
    n->labels = labels;
    n->mask = mask;
    n->count = count;
    return LC_OK;
}

lc_status lc_cg_concat(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out)
{
    BUILD_PROLOGUE(a, b);
    const lc_i_node *na = node_of(cg, a), *nb = node_of(cg, b);
    if (lc_i_node_rows(na) != lc_i_node_rows(nb)) return shape_error(__func__, na, nb, "row counts differ");
    int64_t shape[2] = {lc_i_node_rows(na), lc_i_node_cols(na) + lc_i_node_cols(nb)};
    return lc_i_push_node(cg, LC_OP_CONCAT, 2, a, b, 2, shape, out, NULL);
}

/* ---------- compile and execute ---------- */

/* lc_cg_share_buffers: move the node buffers the plan places into one arena
 * (their own allocations, never touched yet, are given back) and let the
 * executor follow the plan. */
static lc_status share_host_buffers(lc_cgraph_t *cg)
{
    lc_i_plan *plan = lc_i_calloc(1, sizeof *plan);
    if (!plan) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the memory plan");
    lc_status st = lc_i_plan_build(cg, 64, false, true, false, plan);
    char *arena = st ? NULL : lc_i_malloc((size_t)plan->bytes + 64);
    if (!st && !arena)
        st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the %lld-byte shared arena",
                      (long long)plan->bytes);
    if (st) {
        lc_i_plan_free(plan);
        lc_i_free(plan);
        return lc_i_error_from(st, "lc_cg_compile");
    }
    char *base = (char *)(((uintptr_t)arena + 63) & ~(uintptr_t)63);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        lc_tensor_t *t[3] = {n->value, n->grad, n->aux};
        const int64_t off[3] = {plan->value_off[i], plan->grad_off[i], plan->aux_off[i]};
        for (int k = 0; k < 3; k++) {
            if (off[k] < 0) continue;
            lc_i_free(t[k]->storage->data); /* the tensor's own, now unused */
            t[k]->storage->data = NULL;
            t[k]->data = (float *)(base + off[k]);
        }
    }
    cg->host_plan = plan;
    cg->host_arena = arena;
    cg->plan = plan;
    return LC_OK;
}

lc_status lc_cg_compile(lc_cgraph_t *cg, lc_node loss)
{
    lc_status st = check_open(cg, __func__);
    if (st) return st;
    if ((st = check_node(cg, loss, __func__))) return st;
    if (lc_i_node_numel(&cg->nodes[loss]) != 1)
        return LC_ERROR(LC_ERR_SHAPE, "loss node %d (%s) is not a scalar", loss,
                        lc_i_op_names[cg->nodes[loss].op]);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        if (n->op != LC_OP_CONSTANT && n->op != LC_OP_PARAMETER)
            LC_TRY(lc_tensor_new(&n->value, n->ndim, n->shape));
        if (n->needs_grad && i <= loss) LC_TRY(lc_tensor_new(&n->grad, n->ndim, n->shape));
        if (n->op == LC_OP_DROPOUT) LC_TRY(lc_tensor_new(&n->aux, n->ndim, n->shape));
        if (n->op == LC_OP_DIFFUSION) { /* the solves' work blocks */
            int64_t len = lc_i_diffusion_aux(n);
            LC_TRY(lc_tensor_new(&n->aux, 1, &len));
        }
        if (n->op == LC_OP_SPMM && n->fparam > 0 && n->sparse->nnz > 0) {
            /* masked values of S, then of Sᵀ for the backward pass */
            int64_t len = 2 * n->sparse->nnz;
            LC_TRY(lc_tensor_new(&n->aux, 1, &len));
        }
        if (n->op == LC_OP_LOWRANK || n->op == LC_OP_POOL) {
            /* LOWRANK: S = Vᵀ·Z [p·r, R·f], then dS (expand: see ops_lowrank.c); POOL max: the argmax of each output;
             * POOL sum/mean: double sums and node counts per graph (as floats: 2 per double) */
            int64_t len = n->op != LC_OP_LOWRANK ? (n->iparam[0] == LC_POOL_MAX
                                                         ? lc_i_node_numel(n)
                                                         : 2 * (lc_i_node_numel(n) + n->shape[0]))
                          : n->iparam[2] ? lc_i_lowrank_expand_aux(n)
                                         : (n->needs_grad ? 2 : 1) * (int64_t)n->iparam[0] *
                                               n->iparam[1] * (lc_i_node_numel(n) / n->shape[0]);
            LC_TRY(lc_tensor_new(&n->aux, 1, &len));
        }
    }
    cg->loss = loss;
    if (cg->share_buffers) LC_TRY(share_host_buffers(cg));
    cg->compiled = true;
done:
    if (st) /* leave the graph as it was: open and without buffers */
        for (int i = 0; i < cg->n_nodes; i++) {
            lc_i_node *n = &cg->nodes[i];
            if (n->op != LC_OP_CONSTANT && n->op != LC_OP_PARAMETER) lc_tensor_free(&n->value);
            lc_tensor_free(&n->grad);
            lc_tensor_free(&n->aux);
        }
    return st;
}

void lc_cg_check_finite(lc_cgraph_t *cg, int on)
{
    if (cg) cg->check_finite = on != 0;
}

/* The first NaN or Inf of t, or -1. */
static int64_t first_non_finite(const lc_tensor_t *t)
{
    for (int64_t i = 0; i < t->numel; i++)
        if (!isfinite(t->data[i])) return i;
    return -1;
}

static lc_status numeric_fault(lc_cgraph_t *cg, lc_node culprit, const char *pass,
                               lc_node holder, const lc_tensor_t *t, int64_t at, const char *func)
{
    char what[96] = "";
    if (holder != culprit)
        snprintf(what, sizeof what, " into the gradient of node %d ('%s')", holder,
                 lc_i_op_names[cg->nodes[holder].op]);
    cg->failed = culprit;
    return lc_i_error(LC_ERR_NUMERIC, func, "%s of '%s' (node %d) wrote %g at element %lld%s",
                      pass, lc_i_op_names[cg->nodes[culprit].op], culprit, (double)t->data[at],
                      (long long)at, what);
}

lc_status lc_cg_forward(lc_cgraph_t *cg, int training)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    if (!cg->compiled) return LC_ERROR(LC_ERR_STATE, "compile the graph before running it");
    cg->training = training != 0;
    cg->failed = -1;
    cg->values_fresh = false;
    const lc_i_backend *be = cg->backend;
    lc_status st = lc_i_cg_take_pending(cg, __func__);
    if (st) return st;
    if (be->begin_forward && (st = be->begin_forward(cg))) return lc_i_error_from(st, __func__);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        if (n->op == LC_OP_CONSTANT || n->op == LC_OP_PARAMETER) continue;
        be->forward[n->op](cg, n);
        int64_t at;
        if (cg->check_finite && (st = lc_i_cg_host_copy(cg, n, false)))
            return lc_i_error_from(st, __func__);
        if (cg->check_finite && (at = first_non_finite(n->value)) >= 0)
            return numeric_fault(cg, i, "forward", i, n->value, at, __func__);
    }
    st = be->finish ? lc_i_error_from(be->finish(cg), __func__) : LC_OK;
    cg->values_fresh = st == LC_OK;
    return st;
}

lc_status lc_cg_backward(lc_cgraph_t *cg)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    if (!cg->compiled) return LC_ERROR(LC_ERR_STATE, "compile the graph before running it");
    lc_i_node *loss = &cg->nodes[cg->loss];
    if (!loss->grad)
        return LC_ERROR(LC_ERR_STATE, "the loss does not depend on any parameter");
    const lc_i_backend *be = cg->backend;
    lc_status st = lc_i_cg_take_pending(cg, __func__);
    if (st) return st;
    const lc_i_plan *plan = cg->plan;
    if (plan && !cg->values_fresh)
        return LC_ERROR(LC_ERR_STATE, "with shared buffers (lc_cg_share_buffers) each backward "
                                      "pass needs a forward pass of its own: the last one's "
                                      "values were spent by a backward pass or it failed");
    cg->values_fresh = false;
    if (be->begin_backward) {
        if ((st = be->begin_backward(cg))) return lc_i_error_from(st, __func__);
    } else {
        for (int i = 0; i <= cg->loss; i++)
            if (cg->nodes[i].grad && (!plan || cg->nodes[i].op == LC_OP_PARAMETER))
                lc_tensor_fill(cg->nodes[i].grad, 0.0f);
        loss->grad->data[0] = 1.0f;
    }
    cg->failed = -1;
    for (int i = cg->loss; i >= 0; i--) {
        lc_i_node *n = &cg->nodes[i];
        if (!n->grad || n->op == LC_OP_PARAMETER) continue;
        for (int z = plan ? plan->zero_ptr[i] : 0; plan && z < plan->zero_ptr[i + 1]; z++) {
            lc_i_node *fresh = &cg->nodes[plan->zero_list[z]]; /* its memory was another's */
            if (be->zero_grad) be->zero_grad(cg, fresh);
            else lc_tensor_fill(fresh->grad, 0.0f);
        }
        be->backward[n->op](cg, n);
        if (!cg->check_finite) continue;
        for (int k = 0; k < n->n_in; k++) { /* the gradients this op just added to */
            lc_i_node *in = &cg->nodes[n->in[k]];
            int64_t at;
            if (in->grad && (st = lc_i_cg_host_copy(cg, in, true)))
                return lc_i_error_from(st, __func__);
            if (in->grad && (at = first_non_finite(in->grad)) >= 0)
                return numeric_fault(cg, i, "backward", n->in[k], in->grad, at, __func__);
        }
    }
    return be->finish ? lc_i_error_from(be->finish(cg), __func__) : LC_OK;
}

/* The host tensors are a cache of the device's, which is why the const
 * accessors may refresh them. */
lc_status lc_i_cg_host_copy(const lc_cgraph_t *cg, lc_i_node *n, bool grad)
{
    if (!cg->backend->download || (!grad && (n->op == LC_OP_CONSTANT || n->host_newer)))
        return LC_OK;
    if (grad ? !n->grad : !n->value) return LC_OK;
    return cg->backend->download((lc_cgraph_t *)cg, n, grad);
}

/* An accessor's copy from the device failed: it hands out the host's last
 * copy (callers index it at once) and the graph's next pass reports why. */
static void copy_for_accessor(const lc_cgraph_t *cg, lc_i_node *n, bool grad)
{
    lc_status st = lc_i_cg_host_copy(cg, n, grad);
    lc_cgraph_t *g = (lc_cgraph_t *)cg;
    if (st && !g->pending) {
        g->pending = st;
        snprintf(g->pending_msg, sizeof g->pending_msg, "%s", lc_last_error());
    }
}

lc_status lc_i_cg_take_pending(lc_cgraph_t *cg, const char *func)
{
    if (!cg->pending) return LC_OK;
    const lc_status st = cg->pending;
    cg->pending = LC_OK;
    return lc_i_error(st, func, "an earlier copy from the device failed: %s", cg->pending_msg);
}

const lc_tensor_t *lc_cg_value(const lc_cgraph_t *cg, lc_node n)
{
    if (!cg || n < 0 || n >= cg->n_nodes) return NULL;
    copy_for_accessor(cg, &cg->nodes[n], false);
    return cg->nodes[n].value;
}

const lc_tensor_t *lc_cg_grad(const lc_cgraph_t *cg, lc_node n)
{
    if (!cg || n < 0 || n >= cg->n_nodes) return NULL;
    copy_for_accessor(cg, &cg->nodes[n], true);
    return cg->nodes[n].grad;
}

int lc_cg_num_params(const lc_cgraph_t *cg) { return cg ? cg->n_params : 0; }

lc_node lc_cg_param_node(const lc_cgraph_t *cg, int i)
{
    return (cg && i >= 0 && i < cg->n_params) ? cg->params[i] : -1;
}

const char *lc_cg_param_name(const lc_cgraph_t *cg, int i)
{
    return (cg && i >= 0 && i < cg->n_params) ? cg->nodes[cg->params[i]].name : NULL;
}

const lc_tensor_t *lc_i_cg_param_value(const lc_cgraph_t *cg, int i)
{
    if (!cg || i < 0 || i >= cg->n_params) return NULL;
    lc_i_node *n = (lc_i_node *)&cg->nodes[cg->params[i]];
    copy_for_accessor(cg, n, false);
    return n->value;
}

lc_tensor_t *lc_cg_param_tensor(lc_cgraph_t *cg, int i)
{
    if (!cg || i < 0 || i >= cg->n_params) return NULL;
    lc_i_node *n = &cg->nodes[cg->params[i]];
    copy_for_accessor(cg, n, false);
    /* The caller may write to it: a device graph uploads it before its next use. */
    if (cg->backend->download) n->host_newer = true;
    return n->value;
}

/* ---------- devices ---------- */

lc_device lc_cg_device(const lc_cgraph_t *cg) { return cg ? cg->backend->device : LC_DEVICE_CPU; }

lc_status lc_cg_share_buffers(lc_cgraph_t *cg, int on)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    if (cg->compiled) return LC_ERROR(LC_ERR_STATE, "call it before lc_cg_compile");
    cg->share_buffers = on != 0;
    return LC_OK;
}

lc_status lc_cg_keep_buffers(lc_cgraph_t *cg, int on)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    cg->keep_buffers = on != 0;
    return LC_OK;
}

lc_status lc_cg_sync(lc_cgraph_t *cg)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    lc_status st = lc_i_cg_take_pending(cg, __func__);
    if (st || !cg->backend->synchronize) return st;
    return lc_i_error_from(cg->backend->synchronize(cg), __func__);
}

lc_status lc_cg_touch(lc_cgraph_t *cg, lc_node n)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    LC_CHECK_ARG(n >= 0 && n < cg->n_nodes, "node %d does not exist (graph has %d)", n,
                 cg->n_nodes);
    lc_i_node *node = &cg->nodes[n];
    LC_CHECK_ARG(node->op == LC_OP_CONSTANT || node->op == LC_OP_PARAMETER,
                 "node %d is a '%s', not a constant or a parameter", n, lc_i_op_names[node->op]);
    if (cg->backend->download) node->host_newer = true;
    return LC_OK;
}

lc_status lc_cg_to(lc_cgraph_t *cg, lc_device d)
{
    LC_CHECK_ARG(cg, "compute graph is NULL");
    if (!cg->compiled) return LC_ERROR(LC_ERR_STATE, "compile the graph before moving it");
    const lc_i_backend *from = cg->backend, *to = lc_i_backend_of(d);
    lc_status st;
    if (from == to) return LC_OK;
    if (!to) return LC_ERROR(LC_ERR_UNSUPPORTED, "no '%s' backend in this build", lc_device_name(d));
    if ((st = lc_device_available(d))) return lc_i_error_from(st, __func__);
    if (from->download) { /* everything home first, while the device still has it */
        for (int i = 0; i < cg->n_nodes; i++)
            if ((st = lc_i_cg_host_copy(cg, &cg->nodes[i], false)) ||
                (st = lc_i_cg_host_copy(cg, &cg->nodes[i], true)))
                return lc_i_error_from(st, __func__);
    }
    if (to->attach) {
        /* Attach before detaching: on failure the graph stays where it was. A
         * device-to-device move does not occur (one device backend). */
        cg->backend = to;
        if ((st = to->attach(cg))) {
            cg->backend = from;
            return lc_i_error_from(st, __func__);
        }
    } else {
        if (from->detach) from->detach(cg);
        cg->backend = to;
    }
    for (int i = 0; i < cg->n_nodes; i++) cg->nodes[i].host_newer = false;
    return LC_OK;
}
