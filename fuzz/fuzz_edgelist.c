/* fuzz_edgelist.c — libFuzzer target: lc_read_edgelist on arbitrary file contents. */
#include "common.h"

/* The input is the whole file, so that the corpus holds ordinary edge lists.
 * Its length picks the flags (low 4 bits: every combination of the graph
 * flags) and whether an n_hint bounds the ids (bit 4). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_temp_file(data, size, path, sizeof path);
    int flags = (int)(size & 15);
    int64_t n_hint = (size & 16) ? 64 : 0;
    lc_graph_t *g = NULL;
    lc_status st = lc_read_edgelist(&g, path, n_hint, flags);
    fuzz_check(st, g, "lc_read_edgelist");
    if (g) {
        int64_t n = lc_graph_num_nodes(g);
        if (n < 1 || (n_hint > 0 && n != n_hint) || lc_graph_num_edges(g) < 0) abort();
    }
    lc_graph_free(&g);
    unlink(path);
    return 0;
}
