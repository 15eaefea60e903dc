#pragma once
// The CUDA backend: every tensor in GPU memory, every op family (training/cuda/*_ops_cuda.*) kernels
// over the per-element functions of training/kernels/ (docs/rasterizer.md). The host sees only what
// the interfaces return (loss values, counts) and explicit downloads; a 3DGS iteration synchronises
// twice, for the number of (tile, Gaussian) entries the sort must hold and for the loss value.
// Everything runs on the legacy default stream with the stream-ordered allocator, so buffers freed
// mid-iteration are reused without waiting. Results match the CPU backend to float rounding
// (tests/training/test_cuda_backend.cpp). No CUDA types in this header: the rest of the project
// includes it from plain C++.
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
    Tensor gather_rows(const Tensor& src, const Tensor& rows) override;
    Tensor concat_rows(const Tensor& a, const Tensor& b) override;

    void synchronize() override;
    MemoryUse memory_use() const override;
    void reset_peak_memory() override;

    int device_index() const { return m_device; }
    // Makes this backend's device current on the calling thread (every op family does it first).
    void use_device() const;

private:
    int m_device = 0;
    std::string m_description;
};

} // namespace splatscape
