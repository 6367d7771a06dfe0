/* plan.c — when each buffer of a compiled graph is live, and a placement of them in one arena that lets buffers whose lives do not overlap share memory. */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* The timeline: forward of node i at step i, backward of node i at step
 * 2N − 1 − i (the executor runs backward in reverse order), the host's reads
 * after both passes at step 2N. */
static int fwd_t(int i) { return i; }
static int bwd_t(const lc_cgraph_t *cg, int i) { return 2 * cg->n_nodes - 1 - i; }

/* Does node c's backward read the value of its input k (k = -1: its own output)? */
static bool backward_reads(const lc_cgraph_t *cg, const lc_i_node *c, int k)
{
    switch (c->op) {
    case LC_OP_MATMUL: /* dA needs B, dB needs A */
        return k >= 0 && cg->nodes[c->in[1 - k]].grad != NULL;
    case LC_OP_RELU: /* its derivative reads y (ops.c) */
        return k == -1;
    case LC_OP_LEAKY_RELU:
        return k == 0;
    case LC_OP_ELU:
        return k == 0 || k == -1;
    case LC_OP_TANH:
    case LC_OP_SIGMOID:
    case LC_OP_LOG_SOFTMAX:
        return k == -1;
    case LC_OP_MSE:
    case LC_OP_MUL:
    case LC_OP_EDGE_CONV: /* dZ needs w, dw needs Z */
        return k >= 0;
    case LC_OP_LOWRANK: /* kept whole: no finer account of it here */
        return true;
    case LC_OP_DIFFUSION: /* its backward solves with dy alone */
        return false;
    default: /* spmm, add, bias, scale, dropout, cross-entropy, sums, concat, pool, flatten, reshape */
        return false;
    }
}

/* Ops whose backward gives input 0 a gradient of its shape, element by element
 * from dy alone, so that it may write it over dy (ops.c checks dx == dy). */
static bool grad_in_place(lc_i_op op)
{
    switch (op) {
    case LC_OP_RELU:
    case LC_OP_LEAKY_RELU:
    case LC_OP_ELU:
    case LC_OP_TANH:
    case LC_OP_SIGMOID:
    case LC_OP_DROPOUT:
    case LC_OP_BIAS:
        return true;
    default:
        return false;
    }
}

static bool in_arena(const lc_i_node *n) { return n->op != LC_OP_CONSTANT && n->op != LC_OP_PARAMETER; }

/* Place the buffers, largest first, each at the lowest offset clear of every
 * placed buffer whose life overlaps its own (first fit). */
typedef struct {
    int64_t bytes, offset;
    int start, end; /* steps, inclusive */
    int64_t *out;   /* where the offset goes */
} buffer;

static int by_size(const void *x, const void *y)
{
    const buffer *a = x, *b = y;
    if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

static int by_offset(const void *x, const void *y)
{
    const buffer *a = *(buffer *const *)x, *b = *(buffer *const *)y;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

void lc_i_plan_free(lc_i_plan *p)
{
    if (!p) return;
    lc_i_free(p->value_off);
    lc_i_free(p->grad_off);
    lc_i_free(p->aux_off);
    lc_i_free(p->zero_ptr);
    lc_i_free(p->zero_list);
    memset(p, 0, sizeof *p);
}

lc_status lc_i_plan_build(const lc_cgraph_t *cg, int64_t align, bool keep_all, bool grads_in_place,
                          bool device, lc_i_plan *p)
{
    const int n = cg->n_nodes;
    lc_status st = LC_OK;
    memset(p, 0, sizeof *p);
    buffer *b = lc_i_calloc(3 * (size_t)n + 1, sizeof *b);
    buffer **placed = lc_i_calloc(3 * (size_t)n + 1, sizeof *placed);
    int *birth = lc_i_malloc(((size_t)n + 1) * sizeof *birth);
    int *cursor = lc_i_malloc(((size_t)n + 1) * sizeof *cursor);
    bool *zeroed = lc_i_calloc((size_t)n + 1, sizeof *zeroed);
    int *uses = lc_i_calloc((size_t)n + 1, sizeof *uses);
    int *grad_root = lc_i_malloc(((size_t)n + 1) * sizeof *grad_root);
    p->value_off = lc_i_malloc((size_t)n * sizeof *p->value_off);
    p->grad_off = lc_i_malloc((size_t)n * sizeof *p->grad_off);
    p->aux_off = lc_i_malloc((size_t)n * sizeof *p->aux_off);
    p->zero_ptr = lc_i_calloc((size_t)n + 1, sizeof *p->zero_ptr);
    p->zero_list = lc_i_malloc(((size_t)n + 1) * sizeof *p->zero_list);
    if (!b || !placed || !birth || !cursor || !zeroed || !uses || !grad_root || !p->value_off ||
        !p->grad_off || !p->aux_off || !p->zero_ptr || !p->zero_list)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot plan %d nodes", n);
    const int end = 2 * n; /* the host's reads */
    int nb = 0;
    for (int i = 0; i < n; i++) p->value_off[i] = p->grad_off[i] = p->aux_off[i] = -1;
    /* values: from their forward to their last reader */
    for (int i = 0; i < n; i++) {
        const lc_i_node *v = &cg->nodes[i];
        if (!in_arena(v)) continue;
        int last = fwd_t(i), consumers = 0;
        if (keep_all || i == cg->loss) last = end;
        if (v->grad && backward_reads(cg, v, -1)) last = last > bwd_t(cg, i) ? last : bwd_t(cg, i);
        for (int c = i + 1; c < n; c++) {
            const lc_i_node *u = &cg->nodes[c];
            for (int k = 0; k < u->n_in; k++) {
                if (u->in[k] != i) continue;
                consumers++;
                int t = fwd_t(c);
                if (u->grad && backward_reads(cg, u, k)) t = bwd_t(cg, c);
                /* a model's log-probabilities (the loss's input) are read by the host */
                if (u->op == LC_OP_CROSS_ENTROPY) t = end;
                if (t > last) last = t;
            }
        }
        if (!consumers) last = end; /* an output nobody consumes: the caller's to read */
        b[nb++] = (buffer){v->value->numel * (int64_t)sizeof(float), 0, fwd_t(i), last, &p->value_off[i]};
    }
    /* gradients written over their consumer's (grads_in_place): the input j of
     * such an op c, when c is j's only reader, takes c's gradient buffer, whose
     * root (the chain's last node) is placed once, for the whole chain */
    for (int c = 0; c < n; c++)
        for (int k = 0; k < cg->nodes[c].n_in; k++) uses[cg->nodes[c].in[k]]++;
    for (int i = 0; i < n; i++) grad_root[i] = i;
    for (int c = n - 1; grads_in_place && !keep_all && c >= 0; c--) {
        const lc_i_node *u = &cg->nodes[c];
        if (!u->grad || c == cg->loss || !grad_in_place(u->op)) continue;
        const int j = u->in[0];
        const lc_i_node *v = &cg->nodes[j];
        if (v->grad && v->op != LC_OP_PARAMETER && j != cg->loss && uses[j] == 1 &&
            v->grad->numel == u->grad->numel)
            grad_root[j] = grad_root[c];
    }
    /* gradients of non-parameters: from the first backward that writes one
     * (zeroed just before it) to their node's own backward */
    for (int i = 0; i < n; i++) birth[i] = -1;
    for (int c = n - 1; c >= 0; c--) {
        const lc_i_node *u = &cg->nodes[c];
        if (!u->grad) continue;
        for (int k = 0; k < u->n_in; k++) {
            const int j = u->in[k];
            if (cg->nodes[j].grad && birth[j] < 0) birth[j] = c;
        }
    }
    /* zero lists: a gradient is zeroed just before the backward step that
     * first writes it (its own, if nothing writes it: a dead branch) */
    for (int i = 0; i < n; i++) {
        const lc_i_node *v = &cg->nodes[i];
        zeroed[i] = v->grad && v->op != LC_OP_PARAMETER && i != cg->loss && grad_root[i] == i;
        if (zeroed[i] && birth[i] < 0) birth[i] = i;
        if (zeroed[i]) p->zero_ptr[birth[i] + 1]++;
    }
    for (int c = 0; c < n; c++) p->zero_ptr[c + 1] += p->zero_ptr[c];
    memcpy(cursor, p->zero_ptr, (size_t)n * sizeof *cursor);
    for (int i = 0; i < n; i++)
        if (zeroed[i]) p->zero_list[cursor[birth[i]]++] = i;
    for (int i = 0; i < n; i++) {
        const lc_i_node *v = &cg->nodes[i];
        if (!v->grad || v->op == LC_OP_PARAMETER) continue;
        const int64_t bytes = v->grad->numel * (int64_t)sizeof(float);
        if (grad_root[i] != i) { /* placed with its root */
            p->unplanned_bytes += (bytes + align - 1) / align * align;
            continue;
        }
        const int start = i == cg->loss ? n /* the seed, at the start of backward */
                                         : bwd_t(cg, birth[i]);
        int last = keep_all ? end : bwd_t(cg, i);
        for (int j = 0; j < i; j++) /* the chain's members, read by their own backward */
            if (grad_root[j] == i && bwd_t(cg, j) > last) last = bwd_t(cg, j);
        b[nb++] = (buffer){bytes, 0, start, last, &p->grad_off[i]};
    }
    /* scratch (dropout masks, masked operator values, max-pool winners, solver
     * blocks) lives from its node's forward to its backward */
    for (int i = 0; i < n; i++) {
        const lc_i_node *v = &cg->nodes[i];
        if (!v->aux || (device && v->op == LC_OP_DIFFUSION)) continue;
        const int last = keep_all ? end : v->grad ? bwd_t(cg, i) : fwd_t(i);
        b[nb++] = (buffer){v->aux->numel * (int64_t)sizeof(float), 0, fwd_t(i), last, &p->aux_off[i]};
    }
    qsort(b, (size_t)nb, sizeof *b, by_size);
    int np = 0;
    for (int x = 0; x < nb; x++) {
        /* candidate offsets: 0 and the end of each placed, overlapping buffer */
        int64_t off = 0;
        for (;;) {
            bool moved = false;
            for (int y = 0; y < np; y++) {
                const buffer *q = placed[y];
                if (q->end < b[x].start || b[x].end < q->start) continue; /* lives apart */
                const int64_t qend = (q->offset + q->bytes + align - 1) / align * align;
                if (off < q->offset + q->bytes && q->offset < off + b[x].bytes) {
                    off = qend;
                    moved = true;
                }
            }
            if (!moved) break;
        }
        b[x].offset = off;
        *b[x].out = off;
        placed[np++] = &b[x];
        qsort(placed, (size_t)np, sizeof *placed, by_offset);
        const int64_t top = off + b[x].bytes;
        if (top > p->bytes) p->bytes = top;
    }
    for (int x = 0; x < nb; x++) p->unplanned_bytes += (b[x].bytes + align - 1) / align * align;
    for (int i = 0; i < n; i++) /* roots come after their members: no chains to follow */
        if (grad_root[i] != i) p->grad_off[i] = p->grad_off[grad_root[i]];
done:
    lc_i_free(b);
    lc_i_free(placed);
    lc_i_free(birth);
    lc_i_free(cursor);
    lc_i_free(zeroed);
    lc_i_free(uses);
    lc_i_free(grad_root);
    if (st) lc_i_plan_free(p);
    return st;
}
