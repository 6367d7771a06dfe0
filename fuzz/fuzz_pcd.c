/* fuzz_pcd.c — libFuzzer target: lc_read_pcd on any file; a cloud that is read must be [n, 3]
 * finite floats whose kNN graph builds. */
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_point_cloud(lc_read_pcd, "lc_read_pcd", ".pcd", data, size);
    return 0;
}
