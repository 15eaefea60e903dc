// The raster family's host side on CUDA: validates shapes, owns and grows the context's buffers,
// and sequences the launchers of rasterize_cuda.hpp.
#include "training/cuda/raster_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

#include "core/error.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"

namespace splatscape {

using namespace cuda;

namespace {

int bit_width(uint32_t v) {
    int b = 0;
    while (v) {
        ++b;
        v >>= 1;
    }
    return b;
}

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
    if (t.filter_3d) {
        require_shape(t.filter_3d, n, 1, op, "filter_3d");
        in.filter_3d = t.filter_3d->f32();
    }
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
        require_on_gpu(t.sh, op, "sh");
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

size_t CudaRasterContext::visible() const {
    if (n == 0) return 0;
    count.ensure(sizeof(unsigned long long), "visible count");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(count.get(), 0, sizeof(unsigned long long), cudaStreamLegacy));
    cuda::launch_count_visible(n, radii.as<int32_t>(), count.as<unsigned long long>());
    unsigned long long v = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&v, count.get(), sizeof v, cudaMemcpyDeviceToHost));
    return size_t(v);
}

std::unique_ptr<RasterContext> RasterOpsCuda::create_context() {
    return std::make_unique<CudaRasterContext>();
}

void RasterOpsCuda::forward(const RasterTensors& t, const FrameSpec& frame, RasterContext& base, RenderTensors& out) {
    m_backend.use_device();
    auto& c = dynamic_cast<CudaRasterContext&>(base);
    const cuda::GaussianInputs in = gaussian_inputs(t, "raster forward");
    const int W = frame.camera.width, H = frame.camera.height;
    require(W > 0 && H > 0, "raster forward", cat("image size ", W, " x ", H));
    const size_t pixels = size_t(W) * H;
    require_shape(out.rgb, pixels, 3, "raster forward", "rgb");
    require(out.rgb != nullptr, "raster forward", "an rgb output is required");
    require_shape(out.alpha, pixels, 1, "raster forward", "alpha");
    require_shape(out.depth, pixels, 1, "raster forward", "depth");

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
                                   f32_or_null(out.alpha), f32_or_null(out.depth));
    c.has_forward = true;
}

void RasterOpsCuda::backward(const RasterTensors& t, const FrameSpec& frame, RasterContext& base,
                             const RenderTensors& d_out, RasterGradTensors& g) {
    m_backend.use_device();
    auto& c = dynamic_cast<CudaRasterContext&>(base);
    require(c.has_forward, "raster backward", "no forward on this context");
    const cuda::GaussianInputs in = gaussian_inputs(t, "raster backward");
    require(in.count == c.n, "raster backward", "the Gaussians changed since the forward");
    const size_t n = in.count, pixels = size_t(c.grid.width) * c.grid.height;
    require(d_out.rgb != nullptr, "raster backward", "an rgb gradient is required");
    require_shape(d_out.rgb, pixels, 3, "raster backward", "d_rgb");
    require_shape(d_out.alpha, pixels, 1, "raster backward", "d_alpha");
    require_shape(d_out.depth, pixels, 1, "raster backward", "d_depth");
    require_shape(g.means, n, 3, "raster backward", "grad means");
    require_shape(g.log_scales, n, 3, "raster backward", "grad log_scales");
    require_shape(g.rotations, n, 4, "raster backward", "grad rotations");
    require_shape(g.covariances, n, 6, "raster backward", "grad covariances");
    require_shape(g.opacities, n, 1, "raster backward", "grad opacities");
    if (g.sh) require_shape(g.sh, n, in.sh_stride * 3, "raster backward", "grad sh");
    require_shape(g.colors, n, 3, "raster backward", "grad colors");
    require_shape(g.view_grad_norm, n, 1, "raster backward", "view_grad_norm");

    const cuda::SplatBuffers s = c.buffers();
    if (c.m > 0) {
        c.entry_grads.ensure(c.m * cuda::kEntryGradFloats * 4, "rasterizer entry gradients");
        cuda::launch_rasterize_backward(c.grid, c.sorted_ids(), s, frame.background, d_out.rgb->f32(), f32_or_null(d_out.alpha),
                                        f32_or_null(d_out.depth), c.entry_grads.as<float>());
    }
    cuda::GaussianGrads out;
    out.means = f32_or_null(g.means);
    out.log_scales = f32_or_null(g.log_scales);
    out.rotations = f32_or_null(g.rotations);
    out.covariances = f32_or_null(g.covariances);
    out.opacities = f32_or_null(g.opacities);
    out.sh = f32_or_null(g.sh);
    out.colors = f32_or_null(g.colors);
    out.view_grad_norm = f32_or_null(g.view_grad_norm);
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

void RasterOpsCuda::radii(const RasterContext& base, Tensor& radii) {
    m_backend.use_device();
    const auto& c = dynamic_cast<const CudaRasterContext&>(base);
    require_shape(&radii, c.n, 1, "raster radii", "radii");
    cuda::launch_radii_to_float(c.n, c.radii.as<int32_t>(), radii.f32());
}

} // namespace splatscape
