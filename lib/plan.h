/* plan.h — a memory plan for a compiled graph: buffers whose lives do not overlap share memory (plan.c). */
#ifndef LC_PLAN_H
#define LC_PLAN_H

#include "cgraph.h"

/* Offsets in one arena of every node's value, gradient and scratch (-1: not
 * in the arena: constants' and parameters' values, parameters' gradients,
 * which keep their own memory). A value lives from its forward to the last
 * pass that reads it; the loss, outputs nobody consumes and the
 * cross-entropy's input (a model's log-probabilities) to the end, for the
 * host to read. A gradient lives from the backward step that first writes it
 * to its node's own backward, and must be zeroed just before that step:
 * zero_list[zero_ptr[c] .. zero_ptr[c + 1]) lists the nodes whose gradients
 * are zeroed before node c's backward. */
typedef struct lc_i_plan_s {
    int64_t bytes;           /* the arena */
    int64_t unplanned_bytes; /* the same buffers without sharing, for the record */
    int64_t *value_off, *grad_off, *aux_off;
    int *zero_ptr, *zero_list;
} lc_i_plan;

/* keep_all: every buffer lives to the end (nothing shared; lc_cg_value and
 * lc_cg_grad of any node stay meaningful). grads_in_place: for the backends
 * whose kernels allow it (ops.c), the input of an element-wise op (relu, the
 * other activations, dropout, bias) that has no other reader gets the op's
 * gradient buffer: the op writes dx over dy (no zeroing, no copy; one buffer
 * fewer at the backward pass's peak). device: the plan of a device's arena,
 * where the diffusion op's scratch is host memory (its solves run on the
 * host) and gets no place. Offsets are multiples of align.
 * Errors: LC_ERR_OUT_OF_MEMORY. Cost: O(nodes² + buffers²), once. */
lc_status lc_i_plan_build(const lc_cgraph_t *cg, int64_t align, bool keep_all, bool grads_in_place,
                          bool device, lc_i_plan *p);
void lc_i_plan_free(lc_i_plan *p);

#endif
