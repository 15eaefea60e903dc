#pragma once
// The CPU backend: host memory, and every op family as threaded loops over the per-element
// functions (training/cpu/*_ops_cpu.*). The reference that every other backend is compared with,
// and usable on its own for small scenes. Results are deterministic and do not depend on the number
// of threads.
#include "training/backend.hpp"

namespace splatscape {

class CpuBackend final : public Backend {
public:
    // threads 0: all cores (OpenMP's default).
    explicit CpuBackend(int threads = 0);
    ~CpuBackend() override;

    Device device() const override { return Device::Cpu; }
    std::string description() const override;

    Tensor zeros(size_t rows, int cols, DType dtype = DType::F32) override;
    void upload(Tensor& dst, const void* host) override;
    void download(const Tensor& src, void* host) override;
    void fill(Tensor& t, float value) override;
    Tensor clone(const Tensor& src) override;
    Tensor gather_rows(const Tensor& src, const Tensor& rows) override;
    Tensor concat_rows(const Tensor& a, const Tensor& b) override;

    int threads() const { return m_threads; }

private:
    int m_threads;
};

} // namespace splatscape
