/* backends.c — the one place that knows which backends this build has; device names and availability. */
#include "config.h" /* LC_HAVE_CUDA */

#include <string.h>

#include "backend.h"

#ifdef LC_HAVE_CUDA
/* The CUDA backend (cuda/device.cu): its table, whether a GPU answers
 * (message set if not; loads cuBLAS and cuSPARSE), its memory in use. */
const lc_i_backend *lc_i_backend_cuda(void);
lc_status lc_i_cuda_available(void);
lc_status lc_i_cuda_memory(int64_t *used, int64_t *total);
#endif

const lc_i_backend *lc_i_backend_of(lc_device d)
{
    switch (d) {
    case LC_DEVICE_CPU: return &lc_i_backend_cpu;
#ifdef LC_HAVE_CUDA
    case LC_DEVICE_CUDA: return lc_i_backend_cuda();
#else
    case LC_DEVICE_CUDA: return NULL;
#endif
    }
    return NULL;
}

lc_status lc_device_parse(const char *name, lc_device *out)
{
    LC_CHECK_ARG(name && out, "NULL argument");
    if (!strcmp(name, "cpu")) *out = LC_DEVICE_CPU;
    else if (!strcmp(name, "cuda")) *out = LC_DEVICE_CUDA;
    else return LC_ERROR(LC_ERR_INVALID_ARG, "unknown device '%s' (cpu or cuda)", name);
    return LC_OK;
}

const char *lc_device_name(lc_device d)
{
    return d == LC_DEVICE_CPU ? "cpu" : d == LC_DEVICE_CUDA ? "cuda" : "unknown";
}

lc_status lc_device_memory(lc_device d, int64_t *used, int64_t *total)
{
    LC_CHECK_ARG(used && total, "NULL argument");
    if (d == LC_DEVICE_CPU)
        return LC_ERROR(LC_ERR_UNSUPPORTED, "the cpu's memory is the process's (getrusage)");
    lc_status st = lc_device_available(d);
    if (st) return lc_i_error_from(st, __func__);
#ifdef LC_HAVE_CUDA
    return lc_i_error_from(lc_i_cuda_memory(used, total), __func__);
#else
    return LC_ERROR(LC_ERR_UNSUPPORTED, "built without CUDA");
#endif
}

lc_status lc_device_available(lc_device d)
{
    if (d == LC_DEVICE_CPU) return LC_OK;
    LC_CHECK_ARG(d == LC_DEVICE_CUDA, "unknown device %d", (int)d);
#ifdef LC_HAVE_CUDA
    return lc_i_error_from(lc_i_cuda_available(), __func__);
#else
    return LC_ERROR(LC_ERR_UNSUPPORTED, "this lconv was built without CUDA (configure --with-cuda)");
#endif
}
