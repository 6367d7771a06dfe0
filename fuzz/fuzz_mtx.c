/* fuzz_mtx.c — libFuzzer target: lc_read_matrix_market (prescan, then CHOLMOD) on any file. */
#include "common.h"

/* The input is the whole file; its length picks the graph flags. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_temp_file(data, size, path, sizeof path);
    int flags = (int)(size & 15);
    lc_graph_t *g = NULL;
    lc_status st = lc_read_matrix_market(&g, path, flags);
    fuzz_check(st, g, "lc_read_matrix_market");
    if (g && (lc_graph_num_nodes(g) < 0 || lc_graph_num_edges(g) < 0)) abort();
    lc_graph_free(&g);
    unlink(path);
    return 0;
}
