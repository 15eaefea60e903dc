// Kernels and host side of MlpOpsCuda (mlp_ops_cuda.hpp): the fused forward and backward of a small
// network over tiles of rows, activations from training/kernels/mlp.hpp.
//
// A tile is R rows (R a multiple of 4). A layer's product is split into 4 x 4 blocks of (row,
// output) per thread, strided so that the 32 lanes of a warp take 32 consecutive rows of the same
// outputs: activations are read at an odd row stride (no bank conflicts), weights as a broadcast.
// The weight gradient is split the same way over (output, input) with lanes along the inputs.
#include <cuda_runtime.h>

#include <algorithm>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/mlp_ops_cuda.hpp"

namespace splatscape {
namespace {

constexpr int kThreads = 256;
constexpr Device kCuda = Device::Cuda;

// Row stride of an activation buffer of `width` columns: odd, so consecutive rows start in
// different shared-memory banks.
__host__ __device__ __forceinline__ int act_stride(int width) {
    return width | 1;
}

__host__ __device__ __forceinline__ int widest(const kern::MlpLayout& net) {
    return net.inputs() > net.max_width() ? net.inputs() : net.max_width();
}

__host__ __device__ __forceinline__ uint32_t weights_floats(const kern::MlpLayout& net) {
    return (net.params + 3u) & ~3u;
}

__device__ __forceinline__ int64_t tile_row(const kern::RowSpan& rows, size_t base, int r, int rb, size_t n) {
    if (r >= rb) return -1;
    const int64_t row = rows.row(base + size_t(r));
    return row >= 0 && size_t(row) < n ? row : -1;
}

// dst [R, width] (row stride sd) = the tile's input rows; rows past the tile or outside [0, n) are 0.
__device__ void load_tile(const float* src, int stride, int col, int width, const kern::RowSpan& rows, size_t base,
                          int rb, size_t n, int R, float* dst, int sd) {
    for (int e = threadIdx.x; e < R * width; e += blockDim.x) {
        const int r = e / width, i = e - r * width;
        const int64_t row = tile_row(rows, base, r, rb, n);
        dst[r * sd + i] = row < 0 ? 0.0f : src[size_t(row) * stride + col + i];
    }
}

// b[r, o] = act(sum_i a[r, i] W[o, i] + bias[o]) for the R rows of a tile. W [n_out, n_in].
__device__ void layer_forward(const float* W, const float* bias, int n_in, int n_out, kern::Activation act,
                              const float* a, int sa, float* b, int sb, int R) {
    const int n_rg = R >> 2, n_og = (n_out + 3) >> 2;
    for (int t = threadIdx.x; t < n_rg * n_og; t += blockDim.x) {
        const int rg = t % n_rg, og = t / n_rg;
        int o[4];
        float acc[4][4];
#pragma unroll
        for (int p = 0; p < 4; ++p) {
            o[p] = og + p * n_og;
            const float b0 = o[p] < n_out ? bias[o[p]] : 0.0f;
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[q][p] = b0;
        }
        const float* a0 = a + rg * sa;
        const int step = n_rg * sa;
        for (int i = 0; i < n_in; ++i) {
            float av[4], wv[4];
#pragma unroll
            for (int q = 0; q < 4; ++q) av[q] = a0[q * step + i];
#pragma unroll
            for (int p = 0; p < 4; ++p) wv[p] = o[p] < n_out ? W[o[p] * n_in + i] : 0.0f;
#pragma unroll
            for (int q = 0; q < 4; ++q)
#pragma unroll
                for (int p = 0; p < 4; ++p) acc[q][p] = fmaf(av[q], wv[p], acc[q][p]);
        }
#pragma unroll
        for (int q = 0; q < 4; ++q)
#pragma unroll
            for (int p = 0; p < 4; ++p)
                if (o[p] < n_out) b[(rg + q * n_rg) * sb + o[p]] = kern::activate(act, acc[q][p]);
    }
}

// gw[o, i] += sum_r D[r, o] a[r, i] and gb[o] += sum_r D[r, o]: this block's row of the scratch
// buffer; every (o, i) has one owner thread, the same for every tile.
__device__ void layer_backward_weights(const float* D, int sd, const float* a, int sa, int n_in, int n_out, int R,
                                       float* gw, float* gb) {
    const int n_ig = (n_in + 3) >> 2, n_og = (n_out + 3) >> 2;
    for (int t = threadIdx.x; t < n_ig * n_og; t += blockDim.x) {
        const int ig = t % n_ig, og = t / n_ig;
        int i[4], o[4];
        float acc[4][4];
#pragma unroll
        for (int p = 0; p < 4; ++p) {
            i[p] = ig + p * n_ig;
            o[p] = og + p * n_og;
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[q][p] = 0.0f;
        }
        for (int r = 0; r < R; ++r) {
            float dv[4], av[4];
#pragma unroll
            for (int q = 0; q < 4; ++q) dv[q] = o[q] < n_out ? D[r * sd + o[q]] : 0.0f;
#pragma unroll
            for (int p = 0; p < 4; ++p) av[p] = i[p] < n_in ? a[r * sa + i[p]] : 0.0f;
#pragma unroll
            for (int q = 0; q < 4; ++q)
#pragma unroll
                for (int p = 0; p < 4; ++p) acc[q][p] = fmaf(dv[q], av[p], acc[q][p]);
        }
#pragma unroll
        for (int q = 0; q < 4; ++q)
#pragma unroll
            for (int p = 0; p < 4; ++p)
                if (o[q] < n_out && i[p] < n_in) gw[o[q] * n_in + i[p]] += acc[q][p];
    }
    for (int o = threadIdx.x; o < n_out; o += blockDim.x) {
        float s = 0.0f;
        for (int r = 0; r < R; ++r) s += D[r * sd + o];
        gb[o] += s;
    }
}

// E[r, i] = sum_o D[r, o] W[o, i]. For a hidden layer's input (a = that layer's input
// activations): Dn[r, i] = E * act'(a[r, i]). For the network's input: d_input[row, i] += E.
__device__ void layer_backward_data(const float* W, int n_in, int n_out, const float* D, int sd, const float* a, int sa,
                                    kern::Activation act, float* Dn, int sn, int R, bool to_input, float* d_input,
                                    int din_stride, int din_col, const kern::RowSpan& rows, size_t base, int rb,
                                    size_t n) {
    const int n_rg = R >> 2, n_ig = (n_in + 3) >> 2;
    for (int t = threadIdx.x; t < n_rg * n_ig; t += blockDim.x) {
        const int rg = t % n_rg, ig = t / n_rg;
        int i[4];
        float acc[4][4];
#pragma unroll
        for (int p = 0; p < 4; ++p) {
            i[p] = ig + p * n_ig;
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[q][p] = 0.0f;
        }
        const float* d0 = D + rg * sd;
        const int step = n_rg * sd;
        for (int o = 0; o < n_out; ++o) {
            float dv[4], wv[4];
#pragma unroll
            for (int q = 0; q < 4; ++q) dv[q] = d0[q * step + o];
#pragma unroll
            for (int p = 0; p < 4; ++p) wv[p] = i[p] < n_in ? W[o * n_in + i[p]] : 0.0f;
#pragma unroll
            for (int q = 0; q < 4; ++q)
#pragma unroll
                for (int p = 0; p < 4; ++p) acc[q][p] = fmaf(dv[q], wv[p], acc[q][p]);
        }
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            const int r = rg + q * n_rg;
            if (to_input) {
                const int64_t row = tile_row(rows, base, r, rb, n);
                if (row < 0) continue;
                float* dst = d_input + size_t(row) * din_stride + din_col;
#pragma unroll
                for (int p = 0; p < 4; ++p)
                    if (i[p] < n_in) dst[i[p]] += acc[q][p];
            } else {
#pragma unroll
                for (int p = 0; p < 4; ++p)
                    if (i[p] < n_in) Dn[r * sn + i[p]] = acc[q][p] * kern::activation_derivative(act, a[r * sa + i[p]]);
            }
        }
    }
}

// The weights in shared memory when `weights_shared` (copied once per block), else read from
// global memory; returns where the activation buffers start.
__device__ float* setup_weights(const kern::MlpLayout& net, const float* params, bool weights_shared, float* smem,
                                const float*& W) {
    if (!weights_shared) {
        W = params;
        return smem;
    }
    for (uint32_t p = threadIdx.x; p < net.params; p += blockDim.x) smem[p] = params[p];
    W = smem;
    return smem + weights_floats(net);
}

__global__ void __launch_bounds__(kThreads)
    mlp_forward_kernel(kern::MlpLayout net, const float* params, bool weights_shared, int R, const float* input,
                       int in_stride, int in_col, kern::RowSpan rows, size_t n, float* output, int out_stride,
                       int out_col) {
    extern __shared__ float smem[];
    const float* W;
    float* buf = setup_weights(net, params, weights_shared, smem, W);
    const int S = act_stride(widest(net));
    float* x0 = buf;
    float* y0 = buf + R * S;
    __syncthreads();
    const size_t tiles = (rows.count + size_t(R) - 1) / size_t(R);
    for (size_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const size_t base = tile * size_t(R);
        const int rb = int(rows.count - base < size_t(R) ? rows.count - base : size_t(R));
        load_tile(input, in_stride, in_col, net.inputs(), rows, base, rb, n, R, x0, S);
        __syncthreads();
        float* x = x0;
        float* y = y0;
        for (int l = 0; l < net.layers; ++l) {
            layer_forward(W + net.weight[l], W + net.bias[l], net.in[l], net.out[l], net.activation(l), x, S, y, S, R);
            __syncthreads();
            float* t = x;
            x = y;
            y = t;
        }
        const int n_out = net.outputs();
        for (int e = threadIdx.x; e < rb * n_out; e += blockDim.x) {
            const int r = e / n_out, o = e - r * n_out;
            const int64_t row = tile_row(rows, base, r, rb, n);
            if (row >= 0) output[size_t(row) * out_stride + out_col + o] = x[r * S + o];
        }
        __syncthreads();
    }
}

__global__ void __launch_bounds__(kThreads)
    mlp_backward_kernel(kern::MlpLayout net, const float* params, bool weights_shared, int R, const float* input,
                        int in_stride, int in_col, kern::RowSpan rows, size_t n, const float* d_output, int dout_stride,
                        int dout_col, float* partial, float* d_input, int din_stride, int din_col) {
    extern __shared__ float smem[];
    const float* W;
    float* p = setup_weights(net, params, weights_shared, smem, W);
    // Activations a_0 (the input) .. a_L (the output), then two delta buffers.
    float* act[kern::kMlpMaxLayers + 1];
    int S[kern::kMlpMaxLayers + 1];
    for (int l = 0; l <= net.layers; ++l) {
        S[l] = act_stride(l == 0 ? net.inputs() : net.out[l - 1]);
        act[l] = p;
        p += R * S[l];
    }
    const int sd = act_stride(widest(net));
    float* D0 = p;
    float* D1 = p + R * sd;
    float* grad = partial + size_t(blockIdx.x) * net.params;
    const int L = net.layers;
    __syncthreads();
    const size_t tiles = (rows.count + size_t(R) - 1) / size_t(R);
    for (size_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const size_t base = tile * size_t(R);
        const int rb = int(rows.count - base < size_t(R) ? rows.count - base : size_t(R));
        load_tile(input, in_stride, in_col, net.inputs(), rows, base, rb, n, R, act[0], S[0]);
        __syncthreads();
        for (int l = 0; l < L; ++l) {
            layer_forward(W + net.weight[l], W + net.bias[l], net.in[l], net.out[l], net.activation(l), act[l], S[l],
                          act[l + 1], S[l + 1], R);
            __syncthreads();
        }
        // dL/d(pre-activation) of the output; 0 for rows outside the tile, so they add nothing.
        const int n_out = net.outputs();
        for (int e = threadIdx.x; e < R * n_out; e += blockDim.x) {
            const int r = e / n_out, o = e - r * n_out;
            const int64_t row = tile_row(rows, base, r, rb, n);
            D0[r * sd + o] = row < 0 ? 0.0f
                                     : d_output[size_t(row) * dout_stride + dout_col + o] *
                                           kern::activation_derivative(net.output, act[L][r * S[L] + o]);
        }
        __syncthreads();
        float* D = D0;
        float* Dn = D1;
        for (int l = L - 1; l >= 0; --l) {
            layer_backward_weights(D, sd, act[l], S[l], net.in[l], net.out[l], R, grad + net.weight[l],
                                   grad + net.bias[l]);
            if (l > 0 || d_input)
                layer_backward_data(W + net.weight[l], net.in[l], net.out[l], D, sd, act[l], S[l], net.hidden, Dn, sd,
                                    R, l == 0, d_input, din_stride, din_col, rows, base, rb, n);
            __syncthreads();
            float* t = D;
            D = Dn;
            Dn = t;
        }
    }
}

// d_params[p] += sum over blocks b, in order, of partial[b, p].
__global__ void sum_partials_kernel(const float* partial, int blocks, uint32_t params, float* d_params) {
    const uint32_t p = blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= params) return;
    float s = 0.0f;
    for (int b = 0; b < blocks; ++b) s += partial[size_t(b) * params + p];
    d_params[p] += s;
}

struct TileShape {
    int rows = 0;
    bool weights_shared = false;
    size_t smem = 0;
};

size_t shared_bytes(const kern::MlpLayout& net, int R, bool weights, bool backward) {
    size_t floats = weights ? weights_floats(net) : 0;
    const size_t sd = size_t(act_stride(widest(net)));
    if (backward) {
        for (int l = 0; l <= net.layers; ++l) floats += size_t(R) * act_stride(l == 0 ? net.inputs() : net.out[l - 1]);
        floats += 2 * size_t(R) * sd;
    } else {
        floats += 2 * size_t(R) * sd;
    }
    return floats * sizeof(float);
}

// The largest tile that leaves room for two blocks per SM with the weights in shared memory; then
// one block per SM; then the weights in global memory.
TileShape choose_tiles(const kern::MlpLayout& net, bool backward, size_t optin, const char* op) {
    struct Try {
        bool weights;
        size_t limit;
        int min_rows;
    };
    const size_t half = optin / 2 > 1024 ? optin / 2 - 1024 : 0;
    const Try tries[] = {{true, half, 32}, {true, optin, 16}, {false, half, 32}, {false, optin, 4}};
    for (const Try& t : tries)
        for (int R = 128; R >= t.min_rows; R /= 2) {
            const size_t bytes = shared_bytes(net, R, t.weights, backward);
            if (bytes <= t.limit) return {R, t.weights, bytes};
        }
    throw Error(cat(op, ": the network (", net.inputs(), " inputs, widest layer ", widest(net),
                    ") does not fit in shared memory"));
}

void use_device(int device) {
    int current = -1;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
}

void check_net(const kern::MlpLayout& net, const Tensor& params, const char* op) {
    if (net.layers < 1 || net.layers > kern::kMlpMaxLayers || net.params == 0)
        throw Error(cat(op, ": the network layout is not initialised (use mlp_layout)"));
    ops_check::shape(params, net.params, 1, kCuda, DType::F32, op, "params");
}

// Blocks of a persistent launch: as many as fit on the device at once, at most one per tile.
template <class Kernel>
int grid_blocks(Kernel kernel, const TileShape& shape, size_t tiles, int sms) {
    if (shape.smem > 48 * 1024)
        SPLATSCAPE_CUDA_CHECK(
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(shape.smem)));
    int per_sm = 0;
    SPLATSCAPE_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, shape.smem));
    const size_t resident = size_t(std::max(1, per_sm)) * size_t(sms);
    return int(std::min(tiles, resident));
}

} // namespace

struct MlpOpsCuda::Workspace {
    int device = 0;
    int sms = 1;
    size_t optin = 48 * 1024;
    cuda::DeviceBuffer partial;
};

MlpOpsCuda::MlpOpsCuda(Backend& backend) : m_backend(backend), m_ws(std::make_unique<Workspace>()) {
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&m_ws->device));
    int sms = 0, optin = 0;
    SPLATSCAPE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, m_ws->device));
    SPLATSCAPE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, m_ws->device));
    m_ws->sms = std::max(1, sms);
    m_ws->optin = size_t(std::max(optin, 48 * 1024));
}

MlpOpsCuda::~MlpOpsCuda() = default;

void MlpOpsCuda::forward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                         const RowSelection& rows, Tensor& output, int output_col) {
    const char* op = "mlp forward";
    check_net(net, params, op);
    const size_t n = input.rows();
    ops_check::window(input, n, input_col, net.inputs(), kCuda, op, "input");
    ops_check::window(output, n, output_col, net.outputs(), kCuda, op, "output");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_ws->device);
    const TileShape shape = choose_tiles(net, false, m_ws->optin, op);
    const size_t tiles = (span.count + size_t(shape.rows) - 1) / size_t(shape.rows);
    const int blocks = grid_blocks(mlp_forward_kernel, shape, tiles, m_ws->sms);
    mlp_forward_kernel<<<blocks, kThreads, shape.smem>>>(net, params.f32(), shape.weights_shared, shape.rows,
                                                         input.f32(), input.cols(), input_col, span, n, output.f32(),
                                                         output.cols(), output_col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("mlp_forward_kernel");
}

void MlpOpsCuda::backward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                          const RowSelection& rows, const Tensor& d_output, int d_output_col, Tensor& d_params,
                          Tensor* d_input, int d_input_col) {
    const char* op = "mlp backward";
    check_net(net, params, op);
    const size_t n = input.rows();
    ops_check::window(input, n, input_col, net.inputs(), kCuda, op, "input");
    ops_check::window(d_output, n, d_output_col, net.outputs(), kCuda, op, "d_output");
    ops_check::shape(d_params, net.params, 1, kCuda, DType::F32, op, "d_params");
    if (d_input) ops_check::window(*d_input, n, d_input_col, net.inputs(), kCuda, op, "d_input");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_ws->device);
    const TileShape shape = choose_tiles(net, true, m_ws->optin, op);
    const size_t tiles = (span.count + size_t(shape.rows) - 1) / size_t(shape.rows);
    const int blocks = grid_blocks(mlp_backward_kernel, shape, tiles, m_ws->sms);
    const size_t partial_bytes = size_t(blocks) * net.params * sizeof(float);
    m_ws->partial.ensure(partial_bytes, "mlp gradient scratch");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(m_ws->partial.get(), 0, partial_bytes, cudaStreamLegacy));
    mlp_backward_kernel<<<blocks, kThreads, shape.smem>>>(
        net, params.f32(), shape.weights_shared, shape.rows, input.f32(), input.cols(), input_col, span, n,
        d_output.f32(), d_output.cols(), d_output_col, m_ws->partial.as<float>(), d_input ? d_input->f32() : nullptr,
        d_input ? d_input->cols() : 0, d_input_col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("mlp_backward_kernel");
    sum_partials_kernel<<<(net.params + 255) / 256, 256>>>(m_ws->partial.as<float>(), blocks, net.params,
                                                           d_params.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sum_partials_kernel");
}

} // namespace splatscape
