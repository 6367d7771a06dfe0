/* model.h — the model's private state, shared by model.c (building) and train.c (training). */
#ifndef LC_MODEL_H
#define LC_MODEL_H

#include "cgraph.h"

struct lc_model {
    lc_layer_desc *layers;
    int n_layers, cap;
    char *spec;        /* cache of lc_model_spec */
    int classes;       /* set by build */
    /* built state */
    lc_cgraph_t *cg;
    lc_node output, loss;
    int *param_layer;  /* per parameter: index of its layer */
    bool *param_decay; /* per parameter: a weight (decay applies) rather than a bias */
    lc_optim_t *opt;
    lc_train_config opt_cfg;   /* the settings opt was made with */
    float built_dropout;       /* the dropout override the graph was built with */
    const lc_dataset_t *built_for;
    /* built on a part file with L-conv layers: its edge weights are the
     * part's edges' alone, one row each in the part's order (edge_part->adj;
     * gathered into the whole graph's [m, p] for checkpoints). The data set
     * must outlive the model's saves and loads. */
    const struct lc_i_part *edge_part;
    int64_t edge_count; /* then: the whole graph's edges (edge_part->m) */
    /* graph-level data: the batch the graph runs on, filled by the trainer */
    lc_tensor_t *batch_x;  /* [n, B, c] node-major */
    int32_t *batch_labels; /* B */
    uint8_t *batch_mask;   /* B: 0 for the padding of a short last batch */
    int64_t *batch_rows;   /* B: scratch for evaluation (which samples fill the batch) */
    int64_t batch_size;    /* B */
    lc_node batch_node;    /* the constant node of batch_x */
    lc_device device;      /* where the graph runs (lc_model_to) */
    lc_dist_t *dist;       /* data-parallel ranks the model was built for (NULL: alone) */
    int64_t dist_steps;    /* optimizer steps since lc_i_dist_begin (the debug check) */
    struct lc_i_dist_graph *dist_graph; /* node-level data on several ranks: this rank's part */
    /* data-parallel: how the gradients are summed, chosen at the first step
     * ("": not yet), and the device's communicator when that is its own */
    char dist_path[192];
    void *dist_comm;
    const struct lc_i_backend *dist_comm_on; /* the backend that made dist_comm */
};

/* Dropout masks get their own stream, so changing one never shifts the other. */
static inline uint64_t lc_i_dropout_seed(uint64_t seed) { return seed ^ 0x5DEECE66DULL; }
/* So does the shuffling of graph-level samples (apart from initialisation and dropout). */
static inline uint64_t lc_i_shuffle_seed(uint64_t seed) { return seed ^ 0x9E3779B97F4A7C15ULL; }

/* The spec token of a layer kind ("gcn"). */
const char *lc_i_layer_name(lc_layer_kind kind);

/* Drop the compute graph and optimizer (the layer list stays). */
void lc_i_model_unbuild(lc_model_t *m);

#endif
