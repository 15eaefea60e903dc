#include "training/cpu/mlp_ops_cpu.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "training/cpu/encoding_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"

namespace splatscape {
namespace cpu {
namespace {

// Every layer's weights transposed to [in, out], so the forward's product reads rows of it.
template <class T>
std::vector<T> transposed_weights(const kern::MlpLayout& net, const T* params) {
    std::vector<T> wt(net.params);
    for (int l = 0; l < net.layers; ++l) {
        const T* w = params + net.weight[l];
        T* t = wt.data() + net.weight[l];
        for (int o = 0; o < net.out[l]; ++o)
            for (int i = 0; i < net.in[l]; ++i) t[size_t(i) * net.out[l] + o] = w[size_t(o) * net.in[l] + i];
    }
    return wt;
}

// The micro-kernel of every product: C[q, j] += sum_k A(q, k) B[k, j] for q < Q, j < n, k < K, with
// A(q, k) = A[q * a_q + k * a_k] and B, C row-major (strides ldb, ldc). Columns go 16 at a time in
// 32-byte vectors held in registers; every element sums over k in order, however it is blocked.
template <class T, int Q>
inline __attribute__((always_inline)) void product_rows(int n, int K, const T* A, ptrdiff_t a_q, ptrdiff_t a_k,
                                                        const T* B, int ldb, T* C, int ldc) {
    typedef T V __attribute__((vector_size(32)));
    constexpr int kLanes = int(sizeof(V) / sizeof(T));
    constexpr int kCols = 16, kVecs = kCols / kLanes;
    int j0 = 0;
    for (; j0 + kCols <= n; j0 += kCols) {
        V acc[Q][kVecs];
        for (int q = 0; q < Q; ++q)
            for (int v = 0; v < kVecs; ++v) __builtin_memcpy(&acc[q][v], C + q * ldc + j0 + v * kLanes, sizeof(V));
        for (int k = 0; k < K; ++k) {
            V b[kVecs];
            for (int v = 0; v < kVecs; ++v) __builtin_memcpy(&b[v], B + size_t(k) * ldb + j0 + v * kLanes, sizeof(V));
            for (int q = 0; q < Q; ++q) {
                const T a = A[q * a_q + k * a_k];
                for (int v = 0; v < kVecs; ++v) acc[q][v] += a * b[v];
            }
        }
        for (int q = 0; q < Q; ++q)
            for (int v = 0; v < kVecs; ++v) __builtin_memcpy(C + q * ldc + j0 + v * kLanes, &acc[q][v], sizeof(V));
    }
    for (int q = 0; q < Q; ++q)
        for (int j = j0; j < n; ++j) {
            T acc = C[q * ldc + j];
            for (int k = 0; k < K; ++k) acc += A[q * a_q + k * a_k] * B[size_t(k) * ldb + j];
            C[q * ldc + j] = acc;
        }
}

// C [m, n] += A(m, K) B [K, n] in blocks of 4 rows of C.
template <class T>
inline __attribute__((always_inline)) void product_body(int m, int n, int K, const T* A, ptrdiff_t a_q, ptrdiff_t a_k,
                                                        const T* B, int ldb, T* C, int ldc) {
    int q0 = 0;
    for (; q0 + 4 <= m; q0 += 4) product_rows<T, 4>(n, K, A + q0 * a_q, a_q, a_k, B, ldb, C + q0 * ldc, ldc);
    switch (m - q0) {
    case 3:
        product_rows<T, 3>(n, K, A + q0 * a_q, a_q, a_k, B, ldb, C + q0 * ldc, ldc);
        break;
    case 2:
        product_rows<T, 2>(n, K, A + q0 * a_q, a_q, a_k, B, ldb, C + q0 * ldc, ldc);
        break;
    case 1:
        product_rows<T, 1>(n, K, A + q0 * a_q, a_q, a_k, B, ldb, C + q0 * ldc, ldc);
        break;
    default:
        break;
    }
}

// The float products run with AVX2 and FMA where the processor has them (chosen at load time);
// the double ones serve the gradient tests only.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void
product(int m, int n, int K, const float* A, ptrdiff_t a_q, ptrdiff_t a_k, const float* B, int ldb, float* C, int ldc) {
    product_body(m, n, K, A, a_q, a_k, B, ldb, C, ldc);
}

void product(int m, int n, int K, const double* A, ptrdiff_t a_q, ptrdiff_t a_k, const double* B, int ldb, double* C,
             int ldc) {
    product_body(m, n, K, A, a_q, a_k, B, ldb, C, ldc);
}

// out [rb, n_out] = act(a [rb, n_in] W^T + b), wt = W^T [n_in, n_out].
template <class T>
void layer_forward(const T* a, int rb, int n_in, int n_out, const T* wt, const T* bias, kern::Activation act, T* out) {
    for (int r = 0; r < rb; ++r) std::copy(bias, bias + n_out, out + size_t(r) * n_out);
    product(rb, n_out, n_in, a, n_in, 1, wt, n_out, out, n_out);
    for (size_t e = 0; e < size_t(rb) * n_out; ++e) out[e] = kern::activate(act, out[e]);
}

// Rows [b, b + rb) of the span into a dense block [rb, n_in].
template <class T>
void load_rows(const T* src, int stride, int col, int width, const kern::RowSpan& rows, size_t b, int rb, T* dst) {
    for (int r = 0; r < rb; ++r) {
        const T* s = src + size_t(rows.row(b + size_t(r))) * stride + col;
        std::copy(s, s + width, dst + size_t(r) * width);
    }
}

// Chunks of rows whose weight gradients are summed separately: a function of the row count only.
size_t chunk_rows(size_t count) {
    const size_t by_count = (count + 255) / 256;
    const size_t c = std::max<size_t>(1024, by_count);
    return (c + kMlpBlockRows - 1) / kMlpBlockRows * kMlpBlockRows;
}

} // namespace

template <class T>
void mlp_forward(const kern::MlpLayout& net, const T* params, const T* input, int in_stride, int in_col,
                 const kern::RowSpan& rows, T* output, int out_stride, int out_col) {
    if (rows.count == 0) return;
    const std::vector<T> wt = transposed_weights(net, params);
    const int width = std::max(net.inputs(), net.max_width());
    const size_t blocks = (rows.count + kMlpBlockRows - 1) / kMlpBlockRows;
    cpu_pool().parallel_for(blocks, 8, [&](size_t bb, size_t be, int) {
        std::vector<T> buf[2] = {std::vector<T>(size_t(kMlpBlockRows) * width),
                                 std::vector<T>(size_t(kMlpBlockRows) * width)};
        for (size_t block = bb; block < be; ++block) {
            const size_t b = block * kMlpBlockRows;
            const int rb = int(std::min<size_t>(kMlpBlockRows, rows.count - b));
            load_rows(input, in_stride, in_col, net.inputs(), rows, b, rb, buf[0].data());
            int cur = 0;
            for (int l = 0; l < net.layers; ++l) {
                layer_forward(buf[cur].data(), rb, net.in[l], net.out[l], wt.data() + net.weight[l],
                              params + net.bias[l], net.activation(l), buf[1 - cur].data());
                cur = 1 - cur;
            }
            const int n_out = net.outputs();
            for (int r = 0; r < rb; ++r) {
                const T* s = buf[cur].data() + size_t(r) * n_out;
                std::copy(s, s + n_out, output + size_t(rows.row(b + size_t(r))) * out_stride + out_col);
            }
        }
    });
}

template <class T>
void mlp_backward(const kern::MlpLayout& net, const T* params, const T* input, int in_stride, int in_col,
                  const kern::RowSpan& rows, const T* d_output, int dout_stride, int dout_col, T* d_params, T* d_input,
                  int din_stride, int din_col) {
    if (rows.count == 0) return;
    const std::vector<T> wt = transposed_weights(net, params);
    const size_t chunk = chunk_rows(rows.count);
    const size_t chunks = (rows.count + chunk - 1) / chunk;
    std::vector<T> partial(chunks * net.params, T(0));
    // Activations of a block: a_0 (the input) then the output of every layer.
    size_t act_size[kern::kMlpMaxLayers + 1];
    size_t act_offset[kern::kMlpMaxLayers + 1];
    size_t total = 0;
    for (int l = 0; l <= net.layers; ++l) {
        act_size[l] = size_t(l == 0 ? net.inputs() : net.out[l - 1]);
        act_offset[l] = total;
        total += act_size[l] * kMlpBlockRows;
    }
    const int width = std::max(net.inputs(), net.max_width());

    cpu_pool().parallel_for(chunks, 1, [&](size_t cb, size_t ce, int) {
        std::vector<T> acts(total);
        std::vector<T> delta[2] = {std::vector<T>(size_t(kMlpBlockRows) * width),
                                   std::vector<T>(size_t(kMlpBlockRows) * width)};
        for (size_t ch = cb; ch < ce; ++ch) {
            T* grad = partial.data() + ch * net.params;
            const size_t chunk_end = std::min(rows.count, (ch + 1) * chunk);
            for (size_t b = ch * chunk; b < chunk_end; b += kMlpBlockRows) {
                const int rb = int(std::min<size_t>(kMlpBlockRows, chunk_end - b));
                T* a0 = acts.data();
                load_rows(input, in_stride, in_col, net.inputs(), rows, b, rb, a0);
                for (int l = 0; l < net.layers; ++l)
                    layer_forward(acts.data() + act_offset[l], rb, net.in[l], net.out[l], wt.data() + net.weight[l],
                                  params + net.bias[l], net.activation(l), acts.data() + act_offset[l + 1]);
                // delta = dL/d(pre-activation) of the last layer.
                const int n_out = net.outputs();
                const T* y = acts.data() + act_offset[net.layers];
                T* d = delta[0].data();
                for (int r = 0; r < rb; ++r) {
                    const T* g = d_output + size_t(rows.row(b + size_t(r))) * dout_stride + dout_col;
                    for (int o = 0; o < n_out; ++o)
                        d[size_t(r) * n_out + o] =
                            g[o] * kern::activation_derivative(net.output, y[size_t(r) * n_out + o]);
                }
                int cur = 0;
                for (int l = net.layers - 1; l >= 0; --l) {
                    const int n_in = net.in[l], no = net.out[l];
                    const T* a = acts.data() + act_offset[l];
                    const T* dl = delta[cur].data();
                    T* dw = grad + net.weight[l];
                    T* db = grad + net.bias[l];
                    // dW [no, n_in] += delta^T a; db += the column sums of delta.
                    product(no, n_in, rb, dl, 1, no, a, n_in, dw, n_in);
                    for (int r = 0; r < rb; ++r)
                        for (int o = 0; o < no; ++o) db[o] += dl[size_t(r) * no + o];
                    if (l == 0 && !d_input) break;
                    // delta of the layer's input: (delta W) * act'(a).
                    const T* w = params + net.weight[l];
                    T* dn = delta[1 - cur].data();
                    std::fill(dn, dn + size_t(rb) * n_in, T(0));
                    product(rb, n_in, no, dl, no, 1, w, n_in, dn, n_in);
                    for (int r = 0; r < rb; ++r) {
                        T* dn_row = dn + size_t(r) * n_in;
                        if (l > 0) {
                            const T* a_row = a + size_t(r) * n_in;
                            for (int i = 0; i < n_in; ++i)
                                dn_row[i] *= kern::activation_derivative(net.hidden, a_row[i]);
                        } else {
                            T* out = d_input + size_t(rows.row(b + size_t(r))) * din_stride + din_col;
                            for (int i = 0; i < n_in; ++i) out[i] += dn_row[i];
                        }
                    }
                    cur = 1 - cur;
                }
            }
        }
    });
    // The chunks' gradients, added in chunk order.
    parallel_for_each((net.params + 255) / 256, 1, [&](size_t pb) {
        const size_t p0 = pb * 256, p1 = std::min<size_t>(net.params, p0 + 256);
        for (size_t ch = 0; ch < chunks; ++ch) {
            const T* src = partial.data() + ch * net.params;
            for (size_t p = p0; p < p1; ++p) d_params[p] += src[p];
        }
    });
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template void mlp_forward<T>(const kern::MlpLayout&, const T*, const T*, int, int, const kern::RowSpan&, T*, int,  \
                                 int);                                                                                 \
    template void mlp_backward<T>(const kern::MlpLayout&, const T*, const T*, int, int, const kern::RowSpan&,          \
                                  const T*, int, int, T*, T*, int, int);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace cpu

namespace {

void check_net(const kern::MlpLayout& net, const Tensor& params, const char* op) {
    if (net.layers < 1 || net.layers > kern::kMlpMaxLayers || net.params == 0)
        throw Error(cat(op, ": the network layout is not initialised (use mlp_layout)"));
    ops_check::shape(params, net.params, 1, Device::Cpu, DType::F32, op, "params");
}

} // namespace

void MlpOpsCpu::forward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                        const RowSelection& rows, Tensor& output, int output_col) {
    const char* op = "mlp forward";
    check_net(net, params, op);
    const size_t n = input.rows();
    ops_check::window(input, n, input_col, net.inputs(), Device::Cpu, op, "input");
    ops_check::window(output, n, output_col, net.outputs(), Device::Cpu, op, "output");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, false, op);
    cpu::mlp_forward(net, params.f32(), input.f32(), input.cols(), input_col, span, output.f32(), output.cols(),
                     output_col);
}

void MlpOpsCpu::backward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                         const RowSelection& rows, const Tensor& d_output, int d_output_col, Tensor& d_params,
                         Tensor* d_input, int d_input_col) {
    const char* op = "mlp backward";
    check_net(net, params, op);
    const size_t n = input.rows();
    ops_check::window(input, n, input_col, net.inputs(), Device::Cpu, op, "input");
    ops_check::window(d_output, n, d_output_col, net.outputs(), Device::Cpu, op, "d_output");
    ops_check::shape(d_params, net.params, 1, Device::Cpu, DType::F32, op, "d_params");
    if (d_input) ops_check::window(*d_input, n, d_input_col, net.inputs(), Device::Cpu, op, "d_input");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, d_input != nullptr, op);
    cpu::mlp_backward(net, params.f32(), input.f32(), input.cols(), input_col, span, d_output.f32(), d_output.cols(),
                      d_output_col, d_params.f32(), d_input ? d_input->f32() : nullptr, d_input ? d_input->cols() : 0,
                      d_input_col);
}

} // namespace splatscape
