// The CUDA backend's host side: validates shapes, owns and grows the buffers, and sequences the
// launchers of rasterize_cuda.hpp, loss_cuda.hpp and ops_cuda.hpp.
#include "training/cuda/cuda_backend.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/encoding_ops_cuda.hpp"
#include "training/cuda/loss_cuda.hpp"
#include "training/cuda/mlp_ops_cuda.hpp"
#include "training/cuda/neighbour_ops_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"
#include "training/cuda/rasterize_cuda.hpp"
#include "training/cuda/slice4d_cuda.hpp"
#include "training/kernels/sh4d.hpp"

namespace splatscape {

using cuda::DeviceBuffer;

namespace {

void release_cuda(void* p) {
    cuda::device_free(p);
}

void require(bool ok, const char* op, const std::string& what) {
    if (!ok) throw Error(cat("cuda backend: ", op, ": ", what));
}

void require_cuda(const Tensor* t, const char* op, const char* name) {
    if (t && t->device() != Device::Cuda && !t->empty())
        throw Error(cat("cuda backend: ", op, ": tensor '", name, "' is not in GPU memory"));
}

void require_shape(const Tensor* t, size_t rows, int cols, const char* op, const char* name) {
    if (!t) return;
    require_cuda(t, op, name);
    if (t->rows() != rows || t->cols() != cols)
        throw Error(cat("cuda backend: ", op, ": tensor '", name, "' is ", t->rows(), " x ", t->cols(), ", expected ",
                        rows, " x ", cols));
}

float* f32(Tensor* t) {
    return t ? t->f32() : nullptr;
}

void sync() {
    SPLATSCAPE_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
}

int bit_width(uint32_t v) {
    int b = 0;
    while (v) {
        ++b;
        v >>= 1;
    }
    return b;
}

class CudaRasterContext final : public RasterContext {
public:
    CudaRasterContext() : host(64) {}

    size_t visible() const override {
        if (n == 0) return 0;
        count.ensure(sizeof(unsigned long long), "visible count");
        SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(count.get(), 0, sizeof(unsigned long long), cudaStreamLegacy));
        cuda::launch_count_visible(n, radii.as<int32_t>(), count.as<unsigned long long>());
        unsigned long long v = 0;
        SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&v, count.get(), sizeof v, cudaMemcpyDeviceToHost));
        return size_t(v);
    }
    size_t entries() const override { return m; }

    cuda::SplatBuffers buffers() const {
        cuda::SplatBuffers s;
        s.radii = radii.as<int32_t>();
        s.mean2d = mean2d.as<float>();
        s.conic_opacity = conic_opacity.as<float>();
        s.rgb_depth = rgb_depth.as<float>();
        s.rects = rects.as<int32_t>();
        s.tiles = tiles.as<uint64_t>();
        s.offsets = offsets.as<uint64_t>();
        s.tile_ranges = tile_ranges.as<uint32_t>();
        s.final_T = final_T.as<float>();
        s.n_contrib = n_contrib.as<uint32_t>();
        return s;
    }
    const uint32_t* sorted_ids() const { return values[sorted].as<uint32_t>(); }

    cuda::TileGrid grid;
    size_t n = 0; // Gaussians of the last forward
    size_t m = 0; // entries of the last forward
    bool has_forward = false;
    DeviceBuffer radii, mean2d, conic_opacity, rgb_depth, rects, tiles, offsets;
    DeviceBuffer keys[2], values[2];
    int sorted = 0;
    DeviceBuffer scan_temp, sort_temp;
    DeviceBuffer tile_ranges, final_T, n_contrib, entry_grads, grad_scratch;
    cuda::PinnedBuffer host;
    mutable DeviceBuffer count;
};

cuda::GaussianInputs gaussian_inputs(const RasterTensors& t, const char* op) {
    require(t.means && t.opacities, op, "means and opacities are required");
    require(t.covariances || (t.log_scales && t.rotations), op, "either covariances or log_scales and rotations");
    require(t.colors || t.sh, op, "either colors or sh");
    const size_t n = t.count();
    require_shape(t.means, n, 3, op, "means");
    require_shape(t.opacities, n, 1, op, "opacities");
    cuda::GaussianInputs in;
    in.count = n;
    in.means = t.means->f32();
    in.opacities = t.opacities->f32();
    if (t.covariances) {
        require_shape(t.covariances, n, 6, op, "covariances");
        in.covariances = t.covariances->f32();
    } else {
        require_shape(t.log_scales, n, 3, op, "log_scales");
        require_shape(t.rotations, n, 4, op, "rotations");
        in.log_scales = t.log_scales->f32();
        in.rotations = t.rotations->f32();
    }
    if (t.colors) {
        require_shape(t.colors, n, 3, op, "colors");
        in.colors = t.colors->f32();
    } else {
        require_cuda(t.sh, op, "sh");
        require(t.sh->rows() == n && t.sh->cols() % 3 == 0, op, "sh must be [N, K * 3]");
        in.sh = t.sh->f32();
        in.sh_stride = t.sh->cols() / 3;
        in.sh_degree = t.sh_degree;
        require(in.sh_stride <= 16 && t.sh_degree >= 0 && t.sh_degree <= 3 &&
                    (t.sh_degree + 1) * (t.sh_degree + 1) <= in.sh_stride,
                op, cat("SH degree ", t.sh_degree, " with ", in.sh_stride, " coefficients"));
    }
    return in;
}

} // namespace

struct CudaBackend::Workspace {
    // image_loss
    DeviceBuffer loss_derivatives, loss_partials, loss_sums;
    // densification
    DeviceBuffer flags_a, flags_b, positions_a, positions_b, scan_temp;
    cuda::PinnedBuffer host{64};
};

CudaBackend::CudaBackend(int device_index) : m_device(device_index) {
    std::string why;
    const auto devices = cuda::list_devices(&why);
    if (devices.empty()) throw UsageError(cat("cuda:", device_index, ": no CUDA device is available (", why, ")"));
    if (device_index < 0 || size_t(device_index) >= devices.size())
        throw UsageError(cat("cuda:", device_index, ": this machine has ", devices.size(), " CUDA device",
                             devices.size() == 1 ? "" : "s", " (cuda:0",
                             devices.size() > 1 ? cat("..cuda:", devices.size() - 1) : "", ")"));
    use_device();
    cuda::configure_pool(m_device);
    m_description = cuda::describe(devices[size_t(device_index)]);
    m_ws = std::make_unique<Workspace>();
    provide<EncodingOps>(std::make_unique<EncodingOpsCuda>(*this));
    provide<MlpOps>(std::make_unique<MlpOpsCuda>(*this));
    provide<NeighbourOps>(std::make_unique<NeighbourOpsCuda>(*this));
}

CudaBackend::~CudaBackend() = default;

void CudaBackend::use_device() const {
    SPLATSCAPE_CUDA_CHECK(cudaSetDevice(m_device));
}

void CudaBackend::synchronize() {
    sync();
}

CudaBackend::MemoryUse CudaBackend::memory_use() const {
    use_device();
    const cuda::PoolStats s = cuda::pool_stats();
    return {s.used, s.used_high, s.reserved_high};
}

void CudaBackend::reset_peak_memory() {
    use_device();
    cuda::reset_pool_peaks();
}

// ---- memory -------------------------------------------------------------------------------------

Tensor CudaBackend::zeros(size_t rows, int cols, DType dtype) {
    use_device();
    const size_t bytes = rows * size_t(cols) * dtype_size(dtype);
    void* p = cuda::device_alloc(bytes, "a training tensor");
    if (bytes) SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cudaStreamLegacy));
    return Tensor(p, rows, cols, dtype, Device::Cuda, release_cuda);
}

void CudaBackend::upload(Tensor& dst, const void* host) {
    require_cuda(&dst, "upload", "dst");
    if (dst.bytes()) SPLATSCAPE_CUDA_CHECK(cudaMemcpy(dst.raw(), host, dst.bytes(), cudaMemcpyHostToDevice));
}

void CudaBackend::download(const Tensor& src, void* host) {
    require_cuda(&src, "download", "src");
    if (src.bytes()) SPLATSCAPE_CUDA_CHECK(cudaMemcpy(host, src.raw(), src.bytes(), cudaMemcpyDeviceToHost));
}

void CudaBackend::fill(Tensor& t, float value) {
    require_cuda(&t, "fill", "t");
    if (t.empty()) return;
    if (value == 0.0f && !std::signbit(value)) {
        SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(t.raw(), 0, t.bytes(), cudaStreamLegacy));
    } else if (t.dtype() == DType::F32) {
        cuda::launch_fill_f32(t.f32(), t.numel(), value);
    } else {
        cuda::launch_fill_i32(t.i32(), t.numel(), int32_t(value));
    }
}

Tensor CudaBackend::clone(const Tensor& src) {
    require_cuda(&src, "clone", "src");
    Tensor t = zeros(src.rows(), src.cols(), src.dtype());
    if (src.bytes())
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(t.raw(), src.raw(), src.bytes(), cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    return t;
}

// ---- rasterizer ---------------------------------------------------------------------------------

std::unique_ptr<RasterContext> CudaBackend::create_raster_context() {
    return std::make_unique<CudaRasterContext>();
}

void CudaBackend::rasterize_forward(const RasterTensors& t, const FrameSpec& frame, RasterContext& base,
                                    RenderTensors& out) {
    use_device();
    auto& c = dynamic_cast<CudaRasterContext&>(base);
    const cuda::GaussianInputs in = gaussian_inputs(t, "rasterize_forward");
    const int W = frame.camera.width, H = frame.camera.height;
    require(W > 0 && H > 0, "rasterize_forward", cat("image size ", W, " x ", H));
    const size_t pixels = size_t(W) * H;
    require_shape(out.rgb, pixels, 3, "rasterize_forward", "rgb");
    require(out.rgb != nullptr, "rasterize_forward", "an rgb output is required");
    require_shape(out.alpha, pixels, 1, "rasterize_forward", "alpha");
    require_shape(out.depth, pixels, 1, "rasterize_forward", "depth");

    const size_t n = in.count;
    c.grid.width = W;
    c.grid.height = H;
    c.grid.tiles_x = (W + kern::kTileSize - 1) / kern::kTileSize;
    c.grid.tiles_y = (H + kern::kTileSize - 1) / kern::kTileSize;
    const int tiles = c.grid.tiles();
    c.n = n;
    c.radii.ensure(std::max<size_t>(n, 1) * 4, "rasterizer radii");
    c.mean2d.ensure(std::max<size_t>(n, 1) * 8, "rasterizer 2D means");
    c.conic_opacity.ensure(std::max<size_t>(n, 1) * 16, "rasterizer conics");
    c.rgb_depth.ensure(std::max<size_t>(n, 1) * 16, "rasterizer colours");
    c.rects.ensure(std::max<size_t>(n, 1) * 16, "rasterizer tile rectangles");
    c.tiles.ensure(std::max<size_t>(n, 1) * 8, "rasterizer tile counts");
    c.offsets.ensure(std::max<size_t>(n, 1) * 8, "rasterizer tile offsets");
    c.tile_ranges.ensure(size_t(tiles) * 8, "rasterizer tile ranges");
    c.final_T.ensure(pixels * 4, "rasterizer transmittance");
    c.n_contrib.ensure(pixels * 4, "rasterizer contributor counts");
    cuda::SplatBuffers s = c.buffers();

    cuda::launch_preprocess(in, frame.camera, frame.settings, s);
    c.m = 0;
    if (n > 0) {
        const size_t scan_bytes = cuda::inclusive_scan_temp_bytes(n);
        c.scan_temp.ensure(std::max<size_t>(scan_bytes, 1), "rasterizer scan scratch");
        cuda::inclusive_scan(c.scan_temp.get(), c.scan_temp.bytes(), s.tiles, s.offsets, n);
        // The one wait the forward needs: the number of entries sizes the sort.
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(c.host.as<uint64_t>(), s.offsets + (n - 1), sizeof(uint64_t),
                                              cudaMemcpyDeviceToHost, cudaStreamLegacy));
        sync();
        c.m = size_t(*c.host.as<uint64_t>());
    }
    const size_t m = c.m;
    if (m > size_t(UINT32_MAX))
        throw Error(cat("the rasterizer needs ", m, " (tile, Gaussian) entries for one ", W, " x ", H,
                        " image, more than it indexes; reduce the image size or the number of Gaussians"));
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(s.tile_ranges, 0, size_t(tiles) * 8, cudaStreamLegacy));
    c.sorted = 0;
    if (m > 0) {
        for (int b = 0; b < 2; ++b) {
            c.keys[b].ensure(m * 8, "rasterizer sort keys");
            c.values[b].ensure(m * 4, "rasterizer sort values");
        }
        uint64_t* keys[2] = {c.keys[0].as<uint64_t>(), c.keys[1].as<uint64_t>()};
        uint32_t* values[2] = {c.values[0].as<uint32_t>(), c.values[1].as<uint32_t>()};
        cuda::launch_emit_keys(n, c.grid, s, keys[0], values[0]);
        const int end_bit = 32 + bit_width(uint32_t(tiles - 1));
        const size_t sort_bytes = cuda::sort_pairs_temp_bytes(m, end_bit);
        c.sort_temp.ensure(std::max<size_t>(sort_bytes, 1), "rasterizer sort scratch");
        c.sorted = cuda::sort_pairs(c.sort_temp.get(), c.sort_temp.bytes(), keys, values, m, end_bit);
        cuda::launch_tile_ranges(m, keys[c.sorted], s.tile_ranges);
    }
    cuda::launch_rasterize_forward(c.grid, m > 0 ? c.sorted_ids() : nullptr, s, frame.background, out.rgb->f32(),
                                   f32(out.alpha), f32(out.depth));
    c.has_forward = true;
}

void CudaBackend::rasterize_backward(const RasterTensors& t, const FrameSpec& frame, RasterContext& base,
                                     const RenderTensors& d_out, RasterGradTensors& g) {
    use_device();
    auto& c = dynamic_cast<CudaRasterContext&>(base);
    require(c.has_forward, "rasterize_backward", "no forward on this context");
    const cuda::GaussianInputs in = gaussian_inputs(t, "rasterize_backward");
    require(in.count == c.n, "rasterize_backward", "the Gaussians changed since the forward");
    const size_t n = in.count, pixels = size_t(c.grid.width) * c.grid.height;
    require(d_out.rgb != nullptr, "rasterize_backward", "an rgb gradient is required");
    require_shape(d_out.rgb, pixels, 3, "rasterize_backward", "d_rgb");
    require_shape(d_out.alpha, pixels, 1, "rasterize_backward", "d_alpha");
    require_shape(d_out.depth, pixels, 1, "rasterize_backward", "d_depth");
    require_shape(g.means, n, 3, "rasterize_backward", "grad means");
    require_shape(g.log_scales, n, 3, "rasterize_backward", "grad log_scales");
    require_shape(g.rotations, n, 4, "rasterize_backward", "grad rotations");
    require_shape(g.covariances, n, 6, "rasterize_backward", "grad covariances");
    require_shape(g.opacities, n, 1, "rasterize_backward", "grad opacities");
    if (g.sh) require_shape(g.sh, n, in.sh_stride * 3, "rasterize_backward", "grad sh");
    require_shape(g.colors, n, 3, "rasterize_backward", "grad colors");
    require_shape(g.view_grad_norm, n, 1, "rasterize_backward", "view_grad_norm");

    const cuda::SplatBuffers s = c.buffers();
    if (c.m > 0) {
        c.entry_grads.ensure(c.m * cuda::kEntryGradFloats * 4, "rasterizer entry gradients");
        cuda::launch_rasterize_backward(c.grid, c.sorted_ids(), s, frame.background, d_out.rgb->f32(), f32(d_out.alpha),
                                        f32(d_out.depth), c.entry_grads.as<float>());
    }
    cuda::GaussianGrads out;
    out.means = f32(g.means);
    out.log_scales = f32(g.log_scales);
    out.rotations = f32(g.rotations);
    out.covariances = f32(g.covariances);
    out.opacities = f32(g.opacities);
    out.sh = f32(g.sh);
    out.colors = f32(g.colors);
    out.view_grad_norm = f32(g.view_grad_norm);
    // Outputs the inputs call for but the caller does not want go to scratch rows.
    size_t scratch_cols = 0;
    auto need = [&](float*& p, bool needed, size_t cols) {
        if (needed && !p) scratch_cols += cols;
    };
    need(out.means, true, 3);
    need(out.opacities, true, 1);
    need(out.log_scales, !in.covariances, 3);
    need(out.rotations, !in.covariances, 4);
    need(out.covariances, in.covariances != nullptr, 6);
    need(out.sh, !in.colors, size_t(in.sh_stride) * 3);
    need(out.colors, in.colors != nullptr, 3);
    if (scratch_cols) {
        c.grad_scratch.ensure(n * scratch_cols * 4, "rasterizer gradient scratch");
        float* next = c.grad_scratch.as<float>();
        auto assign = [&](float*& p, bool needed, size_t cols) {
            if (!needed || p) return;
            p = next;
            next += n * cols;
        };
        assign(out.means, true, 3);
        assign(out.opacities, true, 1);
        assign(out.log_scales, !in.covariances, 3);
        assign(out.rotations, !in.covariances, 4);
        assign(out.covariances, in.covariances != nullptr, 6);
        assign(out.sh, !in.colors, size_t(in.sh_stride) * 3);
        assign(out.colors, in.colors != nullptr, 3);
    }
    cuda::launch_gaussian_backward(in, frame.camera, frame.settings, s, c.entry_grads.as<float>(), out);
}

void CudaBackend::raster_radii(const RasterContext& base, Tensor& radii) {
    use_device();
    const auto& c = dynamic_cast<const CudaRasterContext&>(base);
    require_shape(&radii, c.n, 1, "raster_radii", "radii");
    cuda::launch_radii_to_float(c.n, c.radii.as<int32_t>(), radii.f32());
}

// ---- loss ---------------------------------------------------------------------------------------

LossValue CudaBackend::image_loss(const Tensor& rendered, const Tensor& target, int width, int height,
                                  float ssim_weight, Tensor* d_rendered) {
    use_device();
    const size_t pixels = size_t(width) * height;
    require(width > 0 && height > 0, "image_loss", cat("image size ", width, " x ", height));
    require_shape(&rendered, pixels, 3, "image_loss", "rendered");
    require_shape(&target, pixels, 3, "image_loss", "target");
    require_shape(d_rendered, pixels, 3, "image_loss", "d_rendered");
    Workspace& w = *m_ws;
    const size_t blocks = cuda::loss_blocks(width, height);
    w.loss_partials.ensure(2 * blocks * sizeof(double), "loss partial sums");
    w.loss_sums.ensure(2 * sizeof(double), "loss sums");
    if (d_rendered) w.loss_derivatives.ensure(9 * pixels * sizeof(float), "SSIM derivatives");
    cuda::launch_ssim_l1_forward(rendered.f32(), target.f32(), width, height, d_rendered != nullptr,
                                 w.loss_derivatives.as<float>(), w.loss_partials.as<double>(),
                                 w.loss_sums.as<double>());
    if (d_rendered)
        cuda::launch_ssim_l1_backward(rendered.f32(), target.f32(), width, height, ssim_weight,
                                      w.loss_derivatives.as<float>(), d_rendered->f32());
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(w.host.as<double>(), w.loss_sums.get(), 2 * sizeof(double),
                                          cudaMemcpyDeviceToHost, cudaStreamLegacy));
    sync();
    const double count = double(pixels) * 3.0;
    LossValue v;
    v.ssim = w.host.as<double>()[0] / count;
    v.l1 = w.host.as<double>()[1] / count;
    const double lambda = ssim_weight;
    v.loss = (1.0 - lambda) * v.l1 + lambda * (1.0 - v.ssim);
    return v;
}

void CudaBackend::compose_over(const Tensor& rgba, const float background[3], Tensor& target) {
    use_device();
    require_cuda(&rgba, "compose_over", "rgba");
    require(rgba.cols() == 4, "compose_over", "rgba must be [P, 4]");
    require_shape(&target, rgba.rows(), 3, "compose_over", "target");
    cuda::launch_compose_over(rgba.f32(), rgba.rows(), background, target.f32());
}

// ---- optimizer ----------------------------------------------------------------------------------

void CudaBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                            int split_col, const kern::AdamStep& b) {
    use_device();
    require_shape(&grad, param.rows(), param.cols(), "adam_step", "grad");
    require_shape(&m, param.rows(), param.cols(), "adam_step", "exp_avg");
    require_shape(&v, param.rows(), param.cols(), "adam_step", "exp_avg_sq");
    require_cuda(&param, "adam_step", "param");
    cuda::launch_adam(param.f32(), grad.f32(), m.f32(), v.f32(), param.rows(), param.cols(), split_col, a, b);
}

// ---- densification ------------------------------------------------------------------------------

void CudaBackend::accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& base, Tensor& grad_accum,
                                        Tensor& denom, Tensor& max_radii) {
    use_device();
    const auto& c = dynamic_cast<const CudaRasterContext&>(base);
    const size_t n = grad_accum.rows();
    require(n == c.n, "accumulate_view_stats", cat(n, " rows, the last forward had ", c.n));
    require_shape(&view_grad_norm, n, 1, "accumulate_view_stats", "view_grad_norm");
    require_shape(&grad_accum, n, 1, "accumulate_view_stats", "grad_accum");
    require_shape(&denom, n, 1, "accumulate_view_stats", "denom");
    require_shape(&max_radii, n, 1, "accumulate_view_stats", "max_radii");
    cuda::launch_accumulate_view_stats(n, view_grad_norm.f32(), c.radii.as<int32_t>(), grad_accum.f32(), denom.f32(),
                                       max_radii.f32());
}

void CudaBackend::ensure_flag_buffers(size_t n) {
    Workspace& w = *m_ws;
    const size_t bytes = std::max<size_t>(n, 1) * 8;
    w.flags_a.ensure(bytes, "densification flags");
    w.flags_b.ensure(bytes, "densification flags");
    w.positions_a.ensure(bytes, "densification positions");
    w.positions_b.ensure(bytes, "densification positions");
    w.scan_temp.ensure(std::max<size_t>(cuda::inclusive_scan_temp_bytes(n), 1), "densification scan scratch");
}

// flags_a: clone, flags_b: split.
AdcCounts CudaBackend::grow_rows_from_flags(size_t n, Tensor& clone_rows, Tensor& split_rows) {
    Workspace& w = *m_ws;
    AdcCounts counts;
    if (n > 0) {
        cuda::inclusive_scan(w.scan_temp.get(), w.scan_temp.bytes(), w.flags_a.as<uint64_t>(),
                             w.positions_a.as<uint64_t>(), n);
        cuda::inclusive_scan(w.scan_temp.get(), w.scan_temp.bytes(), w.flags_b.as<uint64_t>(),
                             w.positions_b.as<uint64_t>(), n);
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(w.host.as<uint64_t>(), w.positions_a.as<uint64_t>() + (n - 1), 8,
                                              cudaMemcpyDeviceToHost, cudaStreamLegacy));
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(w.host.as<uint64_t>() + 1, w.positions_b.as<uint64_t>() + (n - 1), 8,
                                              cudaMemcpyDeviceToHost, cudaStreamLegacy));
        sync();
        counts.clone = size_t(w.host.as<uint64_t>()[0]);
        counts.split = size_t(w.host.as<uint64_t>()[1]);
    }
    clone_rows = zeros(counts.clone, 1, DType::I32);
    split_rows = zeros(counts.split, 1, DType::I32);
    if (counts.clone)
        cuda::launch_compact_rows(n, w.flags_a.as<uint64_t>(), w.positions_a.as<uint64_t>(), clone_rows.i32());
    if (counts.split)
        cuda::launch_compact_rows(n, w.flags_b.as<uint64_t>(), w.positions_b.as<uint64_t>(), split_rows.i32());
    return counts;
}

// flags_b: 1 at the rows `drop` lists.
void CudaBackend::mark_dropped(size_t n, const Tensor& drop, const char* op) {
    require_cuda(&drop, op, "drop");
    require(drop.dtype() == DType::I32, op, "drop must be int32 rows");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(m_ws->flags_b.get(), 0, n * 8, cudaStreamLegacy));
    cuda::launch_mark_rows(drop.i32(), drop.rows(), m_ws->flags_b.as<uint64_t>());
}

// flags_a: keep.
Tensor CudaBackend::keep_rows_from_flags(size_t n) {
    Workspace& w = *m_ws;
    cuda::inclusive_scan(w.scan_temp.get(), w.scan_temp.bytes(), w.flags_a.as<uint64_t>(), w.positions_a.as<uint64_t>(),
                         n);
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(w.host.as<uint64_t>(), w.positions_a.as<uint64_t>() + (n - 1), 8,
                                          cudaMemcpyDeviceToHost, cudaStreamLegacy));
    sync();
    const size_t kept = size_t(w.host.as<uint64_t>()[0]);
    Tensor out = zeros(kept, 1, DType::I32);
    if (kept) cuda::launch_compact_rows(n, w.flags_a.as<uint64_t>(), w.positions_a.as<uint64_t>(), out.i32());
    return out;
}

AdcCounts CudaBackend::adc_grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                                const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) {
    use_device();
    const size_t n = grad_accum.rows();
    require_shape(&denom, n, 1, "adc_grow", "denom");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "adc_grow", "log_scales must be [N, >= 3]");
    ensure_flag_buffers(n);
    cuda::launch_adc_grow_flags(n, grad_accum.f32(), denom.f32(), log_scales.f32(), log_scales.cols(), t,
                                m_ws->flags_a.as<uint64_t>(), m_ws->flags_b.as<uint64_t>());
    return grow_rows_from_flags(n, clone_rows, split_rows);
}

Tensor CudaBackend::adc_keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                             const kern::AdcThresholds& t, const Tensor& drop) {
    use_device();
    const size_t n = opacity_logits.rows();
    require_shape(&opacity_logits, n, 1, "adc_keep", "opacity_logits");
    require_shape(&max_radii, n, 1, "adc_keep", "max_radii");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "adc_keep", "log_scales must be [N, >= 3]");
    if (n == 0) return zeros(0, 1, DType::I32);
    ensure_flag_buffers(n);
    mark_dropped(n, drop, "adc_keep");
    cuda::launch_adc_keep_flags(n, opacity_logits.f32(), max_radii.f32(), log_scales.f32(), log_scales.cols(), t,
                                m_ws->flags_b.as<uint64_t>(), m_ws->flags_a.as<uint64_t>());
    return keep_rows_from_flags(n);
}

void CudaBackend::split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                 const Tensor& rows, float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                                 Tensor& child_log_scales) {
    use_device();
    const size_t n = means.rows();
    require_shape(&means, n, 3, "split_children", "means");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "split_children", "log_scales must be [N, >= 3]");
    require_shape(&rotations, n, 4, "split_children", "rotations");
    require_cuda(&rows, "split_children", "rows");
    const size_t m = rows.rows();
    child_means = zeros(2 * m, 3);
    child_log_scales = zeros(2 * m, log_scales.cols());
    cuda::launch_split_children(means.f32(), log_scales.f32(), log_scales.cols(), rotations.f32(), rows.i32(), m,
                                divisor, seed, stream, child_means.f32(), child_log_scales.f32());
}

void CudaBackend::clamp_opacity(Tensor& opacity_logits, float max_opacity) {
    use_device();
    require_cuda(&opacity_logits, "clamp_opacity", "opacity_logits");
    // The same float expression as the CPU backend, so both clamp to the same logit.
    const float max_logit = std::log(max_opacity / (1.0f - max_opacity));
    cuda::launch_clamp_max(opacity_logits.f32(), opacity_logits.numel(), max_logit);
}

// ---- rows ---------------------------------------------------------------------------------------

Tensor CudaBackend::gather_rows(const Tensor& src, const Tensor& rows) {
    use_device();
    require_cuda(&src, "gather_rows", "src");
    require_cuda(&rows, "gather_rows", "rows");
    require(rows.dtype() == DType::I32 && rows.cols() == 1, "gather_rows", "rows must be int32 [M, 1]");
    Tensor out = zeros(rows.rows(), src.cols(), src.dtype());
    cuda::launch_gather_rows(static_cast<const uint32_t*>(src.raw()), src.cols(), rows.i32(), rows.rows(),
                             static_cast<uint32_t*>(out.raw()));
    return out;
}

Tensor CudaBackend::concat_rows(const Tensor& a, const Tensor& b) {
    use_device();
    require_cuda(&a, "concat_rows", "a");
    require_cuda(&b, "concat_rows", "b");
    if (a.cols() != b.cols() || a.dtype() != b.dtype())
        throw Error(cat("concat_rows: column counts differ (", a.cols(), " vs ", b.cols(), ")"));
    Tensor out = zeros(a.rows() + b.rows(), a.cols(), a.dtype());
    if (a.bytes())
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(out.raw(), a.raw(), a.bytes(), cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    if (b.bytes())
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(static_cast<uint8_t*>(out.raw()) + a.bytes(), b.raw(), b.bytes(),
                                              cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    return out;
}

// ---- 4D Gaussians (gs4d) ------------------------------------------------------------------------

namespace {

cuda::Slice4dDevice slice_inputs(const Gaussian4dTensors& t, const char* op) {
    require(t.means && t.log_scales && t.rot_l && t.rot_r && t.opacities && t.sh, op, "every 4D tensor is required");
    const size_t n = t.count();
    require_shape(t.means, n, 4, op, "means");
    require_shape(t.log_scales, n, 4, op, "log_scales");
    require_shape(t.rot_l, n, 4, op, "rot_l");
    require_shape(t.rot_r, n, 4, op, "rot_r");
    require_shape(t.opacities, n, 1, op, "opacities");
    require_cuda(t.sh, op, "sh");
    const int stride = t.sh->cols() / 3;
    require(t.sh->rows() == n && t.sh->cols() % 3 == 0 && t.sh_coeffs >= 1 && stride % t.sh_coeffs == 0 &&
                stride <= kern::kMaxSh4dCoeffs,
            op,
            cat(t.sh->cols(), " SH columns do not hold whole sets of ", t.sh_coeffs, " coefficients (at most ",
                kern::kMaxSh4dCoeffs, ")"));
    cuda::Slice4dDevice in;
    in.count = n;
    in.means = t.means->f32();
    in.log_scales = t.log_scales->f32();
    in.rot_l = t.rot_l->f32();
    in.rot_r = t.rot_r->f32();
    in.opacities = t.opacities->f32();
    in.sh = t.sh->f32();
    in.sh_coeffs = t.sh_coeffs;
    in.sh_stride = stride;
    return in;
}

cuda::Slice4dLaunch slice_launch(const Slice4dSettings& s) {
    return {s.time, s.time_period, s.sh_degree, s.sh_degree_t, s.min_weight};
}

float* f32_or_null(Tensor* t) {
    return t ? t->f32() : nullptr;
}

} // namespace

void CudaBackend::slice4d_forward(const Gaussian4dTensors& t, const Slice4dSettings& s, Slice4dTensors& out) {
    use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "slice4d_forward");
    const cuda::Slice4dLaunch p = slice_launch(s);
    const int K_out = (s.sh_degree + 1) * (s.sh_degree + 1);
    require(s.sh_degree >= 0 && K_out <= t.sh_coeffs, "slice4d_forward",
            cat("SH degree ", s.sh_degree, " with ", t.sh_coeffs, " coefficients"));
    // Selected rows go to a tensor of N rows first; the outputs are then sized to the M selected.
    Tensor rows = zeros(in.count, 1, DType::I32);
    const size_t m = cuda::launch_slice4d_select(in, p, rows.i32());
    auto ensure = [&](Tensor& x, int cols, DType dtype) {
        if (x.rows() != m || x.cols() != cols || x.dtype() != dtype) x = zeros(m, cols, dtype);
    };
    ensure(out.rows, 1, DType::I32);
    if (m)
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(out.rows.raw(), rows.raw(), m * 4, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    ensure(out.means, 3, DType::F32);
    ensure(out.covariances, 6, DType::F32);
    ensure(out.opacities, 1, DType::F32);
    ensure(out.sh, K_out * 3, DType::F32);
    cuda::launch_slice4d_forward(in, p, out.rows.i32(), m, out.means.f32(), out.covariances.f32(), out.opacities.f32(),
                                 out.sh.f32());
}

void CudaBackend::slice4d_backward(const Gaussian4dTensors& t, const Slice4dSettings& s, const Slice4dTensors& fwd,
                                   const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& g) {
    use_device();
    const char* op = "slice4d_backward";
    const cuda::Slice4dDevice in = slice_inputs(t, op);
    const size_t m = fwd.count();
    require(d.means && d.covariances && d.opacities && d.sh, op, "every slice gradient is required");
    require_shape(d.means, m, 3, op, "d_means");
    require_shape(d.covariances, m, 6, op, "d_covariances");
    require_shape(d.opacities, m, 1, op, "d_opacities");
    require_shape(d.sh, m, fwd.sh.cols(), op, "d_sh");
    if (d.time_grad) require_shape(d.time_grad, m, 1, op, "time_grad");
    const size_t n = in.count;
    if (g.means) require_shape(g.means, n, 4, op, "grad means");
    if (g.log_scales) require_shape(g.log_scales, n, 4, op, "grad log_scales");
    if (g.rot_l) require_shape(g.rot_l, n, 4, op, "grad rot_l");
    if (g.rot_r) require_shape(g.rot_r, n, 4, op, "grad rot_r");
    if (g.opacities) require_shape(g.opacities, n, 1, op, "grad opacities");
    if (g.sh) require_shape(g.sh, n, t.sh->cols(), op, "grad sh");
    cuda::Slice4dDeviceGrads grads;
    grads.means = f32_or_null(g.means);
    grads.log_scales = f32_or_null(g.log_scales);
    grads.rot_l = f32_or_null(g.rot_l);
    grads.rot_r = f32_or_null(g.rot_r);
    grads.opacities = f32_or_null(g.opacities);
    grads.sh = f32_or_null(g.sh);
    cuda::launch_slice4d_backward(in, slice_launch(s), fwd.rows.i32(), m, d.means->f32(), d.covariances->f32(),
                                  d.opacities->f32(), d.sh->f32(), scale, grads, f32_or_null(d.time_grad));
}

void CudaBackend::gs4d_view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
                                  const Tensor& time_grad, Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom,
                                  Tensor& max_radii) {
    use_device();
    const char* op = "gs4d_view_stats";
    const size_t m = rows.rows(), n = grad_accum.rows();
    require_cuda(&rows, op, "rows");
    require(rows.dtype() == DType::I32, op, "rows must be int32");
    require_cuda(&grad_accum, op, "grad_accum");
    require_shape(&radii, m, 1, op, "radii");
    require_shape(&view_grad_norm, m, 1, op, "view_grad_norm");
    require_shape(&time_grad, m, 1, op, "time_grad");
    require_shape(&time_grad_accum, n, 1, op, "time_grad_accum");
    require_shape(&denom, n, 1, op, "denom");
    require_shape(&max_radii, n, 1, op, "max_radii");
    cuda::launch_gs4d_view_stats(m, rows.i32(), radii.f32(), view_grad_norm.f32(), time_grad.f32(), grad_accum.f32(),
                                 time_grad_accum.f32(), denom.f32(), max_radii.f32());
}

AdcCounts CudaBackend::gs4d_grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                                 const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                                 Tensor& split_rows) {
    use_device();
    const size_t n = grad_accum.rows();
    require_shape(&time_grad_accum, n, 1, "gs4d_grow", "time_grad_accum");
    require_shape(&denom, n, 1, "gs4d_grow", "denom");
    require_shape(&log_scales, n, 4, "gs4d_grow", "log_scales");
    ensure_flag_buffers(n);
    cuda::launch_gs4d_grow_flags(n, grad_accum.f32(), time_grad_accum.f32(), denom.f32(), log_scales.f32(), t.adc,
                                 t.time_grad_threshold, m_ws->flags_a.as<uint64_t>(), m_ws->flags_b.as<uint64_t>());
    return grow_rows_from_flags(n, clone_rows, split_rows);
}

Tensor CudaBackend::gs4d_keep(const Gaussian4dTensors& t, const Tensor& max_radii, const Gs4dDensifyThresholds& th,
                              const Tensor& drop) {
    use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "gs4d_keep");
    const size_t n = in.count;
    require_shape(&max_radii, n, 1, "gs4d_keep", "max_radii");
    if (n == 0) return zeros(0, 1, DType::I32);
    ensure_flag_buffers(n);
    mark_dropped(n, drop, "gs4d_keep");
    cuda::launch_gs4d_keep_flags(in, max_radii.f32(), th.adc, th.time_min, th.time_max, th.min_weight,
                                 m_ws->flags_b.as<uint64_t>(), m_ws->flags_a.as<uint64_t>());
    return keep_rows_from_flags(n);
}

void CudaBackend::split_children_4d(const Gaussian4dTensors& t, const Tensor& rows, float divisor, uint64_t seed,
                                    uint64_t stream, Tensor& child_means, Tensor& child_log_scales) {
    use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "split_children_4d");
    require_cuda(&rows, "split_children_4d", "rows");
    require(rows.dtype() == DType::I32 && rows.cols() == 1, "split_children_4d", "rows must be int32 [M, 1]");
    const size_t m = rows.rows();
    child_means = zeros(2 * m, 4);
    child_log_scales = zeros(2 * m, 4);
    cuda::launch_split_children_4d(in, rows.i32(), m, divisor, seed, stream, child_means.f32(), child_log_scales.f32());
}

} // namespace splatscape
