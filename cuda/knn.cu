/* knn.cu — brute-force k-nearest-neighbour candidates on the GPU, for lc_graph_knn_device.
 *
 * Every point scans every other in tiles staged through shared memory and
 * keeps its kc best (float squared distance, index) in sorted order. The
 * distance is Σ (q − r)² over the coordinates, not |q|² + |r|² − 2 q·r: for
 * the low dimensions of point clouds a GEMM would have an inner dimension of
 * 3 and would only move bytes (n² distances written and read back: 8 TB at a
 * million points), while the direct form stays in registers and has no
 * cancellation. The host (graphs/knn.c) recomputes the candidates' distances
 * in double and decides ties exactly, as it does for FLANN's answers. */
#include <stdio.h>

#include "cuda_backend.h"

#define KNN_TILE 256
#define KNN_MAX_DIM 16

/* DIM > 0 fixes the dimension at compile time, so that the query's
 * coordinates stay in registers (indexed by a runtime dim they would live in
 * local memory and be reloaded for every pair); DIM = 0 takes dim. The
 * current k-th distance is kept in a register too: most pairs compare with it
 * and go on. */
template <int DIM>
__global__ void knn_candidates_k(const float *pts, int64_t n, int dim_arg, int kc, int32_t *idx_out,
                                 float *dist_out)
{
    __shared__ float tile[KNN_TILE * KNN_MAX_DIM];
    const int dim = DIM > 0 ? DIM : dim_arg;
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    float q[DIM > 0 ? DIM : KNN_MAX_DIM];
    for (int c = 0; c < dim; c++) q[c] = i < n ? pts[i * dim + c] : 0.0f;
    float bd[LC_CUDA_KNN_MAX];
    int32_t bi[LC_CUDA_KNN_MAX];
    int cnt = 0;
    float worst = INFINITY; /* bd[kc − 1] once kc are kept */
    for (int64_t t0 = 0; t0 < n; t0 += KNN_TILE) {
        const int rows = (int)(n - t0 < KNN_TILE ? n - t0 : KNN_TILE);
        __syncthreads(); /* the previous tile is no longer read */
        for (int s = threadIdx.x; s < rows * dim; s += blockDim.x) tile[s] = pts[t0 * dim + s];
        __syncthreads();
        if (i >= n) continue;
        for (int r = 0; r < rows; r++) {
            const int64_t j = t0 + r;
            if (j == i) continue;
            float d = 0;
#pragma unroll
            for (int c = 0; c < dim; c++) {
                const float e = q[c] - tile[r * dim + c];
                d += e * e;
            }
            /* j grows: at an equal distance the earlier (lower) index stays ahead */
            if (!(d < worst)) continue;
            int p = cnt < kc ? cnt++ : kc - 1;
            while (p > 0 && bd[p - 1] > d) {
                bd[p] = bd[p - 1];
                bi[p] = bi[p - 1];
                p--;
            }
            bd[p] = d;
            bi[p] = (int32_t)j;
            if (cnt == kc) worst = bd[kc - 1];
        }
    }
    if (i >= n) return;
    for (int t = 0; t < kc; t++) {
        idx_out[i * kc + t] = t < cnt ? bi[t] : -1;
        dist_out[i * kc + t] = t < cnt ? bd[t] : INFINITY;
    }
}

lc_status lc_cuda_knn(const float *points, int64_t n, int dim, int kc, int32_t *idx, float *dist)
{
    static const char *api = "lc_graph_knn_device";
    if (dim > KNN_MAX_DIM || kc > LC_CUDA_KNN_MAX)
        return lc_i_error(LC_ERR_UNSUPPORTED, api,
                          "the GPU search takes dim <= %d and k <= %d (dim %d, %d candidates of "
                          "k + 8): use lc_graph_knn",
                          KNN_MAX_DIM, LC_CUDA_KNN_MAX - 8, dim, kc);
    float *d_pts = NULL, *d_dist = NULL;
    int32_t *d_idx = NULL;
    const size_t out = (size_t)n * (size_t)kc;
    cudaError_t e = cudaMalloc((void **)&d_pts, (size_t)n * dim * sizeof(float));
    if (e == cudaSuccess) e = cudaMalloc((void **)&d_idx, out * sizeof(int32_t));
    if (e == cudaSuccess) e = cudaMalloc((void **)&d_dist, out * sizeof(float));
    if (e == cudaSuccess)
        e = cudaMemcpy(d_pts, points, (size_t)n * dim * sizeof(float), cudaMemcpyHostToDevice);
    lc_status st = LC_OK;
    if (e != cudaSuccess) st = lc_cuda_status(e, "device buffers", api);
    if (!st) {
        const int threads = 128;
        const unsigned blocks = (unsigned)((n + threads - 1) / threads);
        if (dim == 2) knn_candidates_k<2><<<blocks, threads>>>(d_pts, n, dim, kc, d_idx, d_dist);
        else if (dim == 3) knn_candidates_k<3><<<blocks, threads>>>(d_pts, n, dim, kc, d_idx, d_dist);
        else knn_candidates_k<0><<<blocks, threads>>>(d_pts, n, dim, kc, d_idx, d_dist);
        e = cudaGetLastError();
        if (e == cudaSuccess) e = cudaDeviceSynchronize();
        if (e != cudaSuccess) st = lc_cuda_status(e, "the search kernel", api);
    }
    if (!st) {
        e = cudaMemcpy(idx, d_idx, out * sizeof(int32_t), cudaMemcpyDeviceToHost);
        if (e == cudaSuccess) e = cudaMemcpy(dist, d_dist, out * sizeof(float), cudaMemcpyDeviceToHost);
        if (e != cudaSuccess) st = lc_cuda_status(e, "copying the candidates home", api);
    }
    cudaFree(d_pts);
    cudaFree(d_idx);
    cudaFree(d_dist);
    return st;
}
