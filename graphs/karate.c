/* karate.c — Zachary's karate club as a ready-made dataset (quick start, smoke tests). */
#include "internal.h"

#define KARATE_N 34

/* Faction of each member after the split (Zachary 1977), as networkx's 'club'
 * attribute: 0 = Mr. Hi, 1 = Officer. Node numbering is igraph's "Zachary",
 * which is networkx's. */
static const int32_t karate_faction[KARATE_N] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* 0-9 */
    0, 0, 0, 0, 1, 1, 0, 0, 1, 0, /* 10-19 */
    1, 0, 1, 1, 1, 1, 1, 1, 1, 1, /* 20-29 */
    1, 1, 1, 1                    /* 30-33 */
};

/* Split: the two leaders (Mr. Hi = 0, the officer = 33) are the only training
 * nodes, as in the semi-supervised karate demo of Kipf & Welling; the other
 * 32 members are the test set; validation is empty. */
lc_status lc_dataset_karate(lc_dataset_t **ds)
{
    LC_CHECK_ARG(ds, "output handle is NULL");
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_dataset_t *d = NULL;
    uint8_t train[KARATE_N] = {0}, test[KARATE_N] = {0};
    LC_TRY(lc_graph_famous(&g, "Zachary", LC_GRAPH_SYMMETRIZE));
    if (lc_graph_num_nodes(g) != KARATE_N)
        LC_FAIL(LC_ERR_BACKEND, "igraph's Zachary graph has %lld nodes, expected %d",
                (long long)lc_graph_num_nodes(g), KARATE_N);
    LC_TRY(lc_tensor_new2(&x, KARATE_N, KARATE_N));
    for (int i = 0; i < KARATE_N; i++)
        x->data[i * KARATE_N + i] = 1.0f; /* one-hot ids */
    LC_TRY(lc_dataset_new(&d, g, x, NULL, karate_faction, 2));
    g = NULL, x = NULL; /* owned by d now */
    for (int i = 0; i < KARATE_N; i++)
        test[i] = 1;
    train[0] = train[KARATE_N - 1] = 1;
    test[0] = test[KARATE_N - 1] = 0;
    LC_TRY(lc_dataset_set_split(d, train, NULL, test));
    *ds = d;
    d = NULL;
done:
    lc_graph_free(&g);
    lc_tensor_free(&x);
    lc_dataset_free(&d);
    return st;
}
