/* tensor.c — dense float32 tensors with reference-counted storage and reshape views. */
#include <math.h>
#include <string.h>

#include "internal.h"

static lc_status check_shape(const char *func, int ndim, const int64_t *shape, int64_t *numel)
{
    if (ndim < 1 || ndim > LC_MAX_DIMS)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "ndim %d not in 1..%d", ndim, LC_MAX_DIMS);
    if (!shape) return lc_i_error(LC_ERR_INVALID_ARG, func, "shape is NULL");
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1)
            return lc_i_error(LC_ERR_INVALID_ARG, func, "dim %d is %lld (must be >= 1)", i,
                              (long long)shape[i]);
        if (shape[i] > LC_MAX_NUMEL || count > LC_MAX_NUMEL / shape[i])
            return lc_i_error(LC_ERR_OUT_OF_MEMORY, func,
                              "tensor of more than 2^36 elements refused (dim %d = %lld)", i,
                              (long long)shape[i]);
        count *= shape[i];
    }
    *numel = count;
    return LC_OK;
}

static lc_tensor_t *header_new(int ndim, const int64_t *shape, int64_t numel)
{
    lc_tensor_t *t = lc_i_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = numel;
    return t;
}

lc_status lc_tensor_new(lc_tensor_t **out, int ndim, const int64_t *shape)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    int64_t numel;
    lc_status st = check_shape(__func__, ndim, shape, &numel);
    if (st) return st;
    lc_tensor_t *t = header_new(ndim, shape, numel);
    lc_i_storage *s = lc_i_calloc(1, sizeof *s);
    float *data = lc_i_calloc((size_t)numel, sizeof(float));
    if (!t || !s || !data) {
        lc_i_free(t), lc_i_free(s), lc_i_free(data);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld floats", (long long)numel);
    }
    s->data = data;
    s->refs = 1;
    t->storage = s;
    t->data = data;
    *out = t;
    return LC_OK;
}

lc_status lc_tensor_new2(lc_tensor_t **out, int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    return lc_tensor_new(out, 2, shape);
}

/* A view of the first numel (<= src's, or == when exact) elements of src. */
static lc_status view_of(lc_tensor_t **view, const lc_tensor_t *src, int ndim, const int64_t *shape,
                         bool exact, const char *func)
{
    if (!view || !src) return lc_i_error(LC_ERR_INVALID_ARG, func, "NULL argument");
    int64_t numel;
    lc_status st = check_shape(func, ndim, shape, &numel);
    if (st) return st;
    if (exact ? numel != src->numel : numel > src->numel)
        return lc_i_error(LC_ERR_SHAPE, func, "cannot view %lld elements as %lld",
                          (long long)src->numel, (long long)numel);
    lc_tensor_t *t = header_new(ndim, shape, numel);
    if (!t) return lc_i_error(LC_ERR_OUT_OF_MEMORY, func, "cannot allocate a tensor header");
    t->storage = src->storage;
    t->data = src->data;
    t->storage->refs++;
    *view = t;
    return LC_OK;
}

lc_status lc_tensor_reshape(lc_tensor_t **view, const lc_tensor_t *src, int ndim,
                            const int64_t *shape)
{
    return view_of(view, src, ndim, shape, true, __func__);
}

lc_status lc_i_tensor_view2(lc_tensor_t **view, const lc_tensor_t *src, int64_t rows, int64_t cols)
{
    const int64_t shape[2] = {rows, cols};
    return view_of(view, src, 2, shape, false, __func__);
}

void lc_tensor_free(lc_tensor_t **pt)
{
    if (!pt || !*pt) return;
    lc_tensor_t *t = *pt;
    if (t->storage && --t->storage->refs == 0) {
        lc_i_free(t->storage->data);
        lc_i_free(t->storage);
    }
    lc_i_free(t);
    *pt = NULL;
}

float *lc_tensor_data(const lc_tensor_t *t) { return t ? t->data : NULL; }
int lc_tensor_ndim(const lc_tensor_t *t) { return t ? t->ndim : 0; }
int64_t lc_tensor_dim(const lc_tensor_t *t, int axis)
{
    return (t && axis >= 0 && axis < t->ndim) ? t->shape[axis] : 0;
}
int64_t lc_tensor_numel(const lc_tensor_t *t) { return t ? t->numel : 0; }

lc_status lc_tensor_copy(lc_tensor_t *dst, const lc_tensor_t *src)
{
    LC_CHECK_ARG(dst && src, "NULL argument");
    if (dst->numel != src->numel)
        return LC_ERROR(LC_ERR_SHAPE, "element counts differ (%lld vs %lld)",
                        (long long)dst->numel, (long long)src->numel);
    memmove(dst->data, src->data, (size_t)src->numel * sizeof(float));
    return LC_OK;
}

void lc_tensor_fill(lc_tensor_t *t, float value)
{
    if (!t) return;
    if (value == 0.0f && !signbit(value)) { /* every gradient, every pass: memset, threaded */
        enum { BLOCK = 1 << 18 };               /* floats, 1 MiB */
        const int64_t blocks = (t->numel + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static) num_threads(lc_i_threads()) if (blocks >= 4)
        for (int64_t b = 0; b < blocks; b++) {
            const int64_t lo = b * BLOCK, len = t->numel - lo < BLOCK ? t->numel - lo : BLOCK;
            memset(t->data + lo, 0, (size_t)len * sizeof *t->data);
        }
    } else {
        for (int64_t i = 0; i < t->numel; i++) t->data[i] = value;
    }
}

const char *lc_i_shape_str(const lc_tensor_t *t, char *buf, size_t len)
{
    size_t off = 0;
    off += (size_t)snprintf(buf + off, len - off, "[");
    for (int i = 0; i < t->ndim && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, i ? ", %lld" : "%lld",
                                (long long)t->shape[i]);
    if (off < len) snprintf(buf + off, len - off, "]");
    return buf;
}
