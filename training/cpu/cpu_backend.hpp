#pragma once
// The CPU backend: host memory and OpenMP launchers over the per-element functions. The reference
// that every other backend is compared with, and usable on its own for small scenes. Results are
// deterministic and do not depend on the number of threads.
#include "training/backend.hpp"
#include "training/cpu/loss_cpu.hpp"

namespace splatscape {

class CpuBackend final : public Backend {
public:
    // threads 0: all cores (OpenMP's default).
    explicit CpuBackend(int threads = 0);

    Device device() const override { return Device::Cpu; }
    std::string description() const override;

    Tensor zeros(size_t rows, int cols, DType dtype = DType::F32) override;
    void upload(Tensor& dst, const void* host) override;
    void download(const Tensor& src, void* host) override;
    void fill(Tensor& t, float value) override;
    Tensor clone(const Tensor& src) override;

    std::unique_ptr<RasterContext> create_raster_context() override;
    void rasterize_forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                           RenderTensors& out) override;
    void rasterize_backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                            const RenderTensors& d_out, RasterGradTensors& grads) override;
    void raster_radii(const RasterContext& ctx, Tensor& radii) override;

    LossValue image_loss(const Tensor& rendered, const Tensor& target, int width, int height, float ssim_weight,
                         Tensor* d_rendered) override;
    void compose_over(const Tensor& premultiplied_rgba, const float background[3], Tensor& target) override;

    void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a, int split_col,
                   const kern::AdamStep& b) override;

    void accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
                               Tensor& denom, Tensor& max_radii) override;
    AdcCounts adc_grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                       const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) override;
    Tensor adc_keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                    const kern::AdcThresholds& t, const Tensor& drop) override;
    void split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations, const Tensor& rows,
                        float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                        Tensor& child_log_scales) override;
    void clamp_opacity(Tensor& opacity_logits, float max_opacity) override;

    Tensor gather_rows(const Tensor& src, const Tensor& rows) override;
    Tensor concat_rows(const Tensor& a, const Tensor& b) override;

    // 4D Gaussians (training/cpu/slice4d_cpu.cpp).
    void slice4d_forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) override;
    void slice4d_backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
                          const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& grads) override;
    void gs4d_view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm, const Tensor& time_grad,
                         Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom, Tensor& max_radii) override;
    AdcCounts gs4d_grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                        const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                        Tensor& split_rows) override;
    Tensor gs4d_keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
                     const Tensor& drop) override;
    void split_children_4d(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                           uint64_t stream, Tensor& child_means, Tensor& child_log_scales) override;

    int threads() const { return m_threads; }

private:
    int m_threads;
    cpu::LossWorkspace<float> m_loss_ws;
};

} // namespace splatscape
