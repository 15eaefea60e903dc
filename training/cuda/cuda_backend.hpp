#pragma once
// The CUDA backend: every tensor in GPU memory, every op a kernel over the per-element functions of
// training/kernels/ (docs/rasterizer.md). The host sees only what the interface returns (loss
// values, counts) and explicit downloads; an iteration synchronises twice, for the number of
// (tile, Gaussian) entries the sort must hold and for the loss value. Everything runs on the legacy
// default stream with the stream-ordered allocator, so buffers freed mid-iteration are reused
// without waiting. Results match the CPU backend to float rounding (tests/training/test_cuda_backend.cpp).
// No CUDA types in this header: the rest of the project includes it from plain C++.
#include <memory>
#include <string>

#include "training/backend.hpp"

namespace splatscape {

class CudaBackend final : public Backend {
public:
    // Throws UsageError when the device does not exist.
    explicit CudaBackend(int device_index = 0);
    ~CudaBackend() override;

    Device device() const override { return Device::Cuda; }
    std::string description() const override { return m_description; }

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

    int device_index() const { return m_device; }
    // Waits for every queued op (timing; the ops themselves never need it).
    void synchronize();
    // Device memory held by training through the stream-ordered pool: now, and the highest use and
    // reservation since the backend was made or reset_peak_memory().
    struct MemoryUse {
        size_t used = 0;
        size_t used_high = 0;
        size_t reserved_high = 0;
    };
    MemoryUse memory_use() const;
    void reset_peak_memory();

private:
    void use_device() const;
    // Densification's row selection: flag buffers for n rows (clone/split or keep/drop flags), then
    // the flagged rows as ascending int32 [M, 1] tensors (one prefix sum and one read-back each).
    void ensure_flag_buffers(size_t n);
    AdcCounts grow_rows_from_flags(size_t n, Tensor& clone_rows, Tensor& split_rows);
    Tensor keep_rows_from_flags(size_t n);
    void mark_dropped(size_t n, const Tensor& drop, const char* op);

    struct Workspace;
    int m_device = 0;
    std::string m_description;
    std::unique_ptr<Workspace> m_ws;
};

} // namespace splatscape
