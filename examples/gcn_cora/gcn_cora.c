/* gcn_cora.c — build and train Kipf & Welling's two-layer GCN on Cora with the C API. */
#include <stdio.h>

#include <lconv.h>

#define CHECK(call)                                                                            \
    do {                                                                                       \
        if ((call) != LC_OK) {                                                                 \
            fprintf(stderr, "gcn_cora: %s\n", lc_last_error());                                \
            goto fail;                                                                         \
        }                                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    /* DIR/NAME of the Planetoid text files; Zachary's karate club if none is given. */
    const char *prefix = argc > 1 ? argv[1] : NULL;
    lc_dataset_t *data = NULL;
    lc_model_t *model = NULL;

    if (prefix)
        CHECK(lc_dataset_from_planetoid(&data, prefix, NULL)); /* row-normalised features */
    else
        CHECK(lc_dataset_karate(&data));

    /* dropout 0.5 → GCN(16) → ReLU → dropout 0.5 → GCN(classes), no biases: Kipf & Welling exactly */
    CHECK(lc_model_new(&model));
    CHECK(lc_model_add(model, (lc_layer_desc){.kind = LC_LAYER_DROPOUT, .arg = 0.5f}));
    CHECK(lc_model_add(model, (lc_layer_desc){.kind = LC_LAYER_GCN, .width = 16, .no_bias = 1}));
    CHECK(lc_model_add(model, (lc_layer_desc){.kind = LC_LAYER_RELU}));
    CHECK(lc_model_add(model, (lc_layer_desc){.kind = LC_LAYER_DROPOUT, .arg = 0.5f}));
    CHECK(lc_model_add(model, (lc_layer_desc){.kind = LC_LAYER_GCN, .no_bias = 1})); /* width: classes */

    lc_train_config cfg = lc_train_defaults(); /* Adam 0.01, L2 5e-4 on layer 1, 200 epochs, patience 10 */
    lc_train_result res;
    CHECK(lc_model_train(model, data, &cfg, &res));

    printf("model %s\n", lc_model_spec(model));
    printf("epochs %d%s, %.3f s\n", res.epochs_run, res.stopped_early ? " (early stop)" : "",
           res.seconds);
    printf("accuracy: train %.4f  val %.4f  test %.4f\n", res.final.accuracy[0],
           res.final.accuracy[1], res.final.accuracy[2]);
    lc_model_free(&model);
    lc_dataset_free(&data);
    return 0;
fail:
    lc_model_free(&model);
    lc_dataset_free(&data);
    return 1;
}
