/* fuzz_xyz.c — libFuzzer target: lc_read_xyz on any file; a cloud that is read must be [n, 3]
 * finite floats whose kNN graph builds. */
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_point_cloud(lc_read_xyz, "lc_read_xyz", ".xyz", data, size);
    return 0;
}
