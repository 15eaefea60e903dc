#pragma once
// A backend is a device and its memory: it creates, fills, moves and reads the Tensors training
// works on, and it holds the op families it implements (training/ops/op_family.hpp): raster, image
// loss, optimizer, Gaussian densification, 4D slicing, and those the neural families add. Models,
// the optimizer and densification are written once against these interfaces; the CPU backend
// (training/cpu/) is the reference and the CUDA backend (training/cuda/) implements the same
// families with all state on the GPU. The host sees only what it asks for: loss values, counts, and
// downloads of tensors (snapshots, checkpoints). docs/design.md lists every family with its files.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class Backend {
public:
    virtual ~Backend() = default;
    virtual Device device() const = 0;
    virtual std::string description() const = 0;

    // The op family F of this backend. Throws Error naming the family, the backend and `user` (the
    // model that needs it) when the backend does not implement it: models ask when they are created.
    template <class F>
    F& ops(const std::string& user = "") {
        if (F* f = find_ops<F>()) return *f;
        throw Error(cat("the ", description(), " backend does not implement the ", F::kName, " ops",
                        user.empty() ? std::string() : cat(" that ", user, " needs"),
                        device() == Device::Cpu ? std::string() : std::string("; use --device cpu")));
    }
    template <class F>
    F* find_ops() {
        auto it = m_families.find(F::kName);
        return it == m_families.end() ? nullptr : static_cast<F*>(it->second.get());
    }
    // The names of the families this backend implements (F::kName), sorted.
    std::vector<std::string> op_families() const;

    // Memory. Transfers are whole tensors; `host` must hold numel() elements of the tensor's dtype.
    virtual Tensor zeros(size_t rows, int cols, DType dtype = DType::F32) = 0;
    virtual void upload(Tensor& dst, const void* host) = 0;
    virtual void download(const Tensor& src, void* host) = 0;
    std::vector<float> download_f32(const Tensor& src) {
        std::vector<float> host(src.numel());
        download(src, host.data());
        return host;
    }
    virtual void fill(Tensor& t, float value) = 0;
    virtual Tensor clone(const Tensor& src) = 0;

    // Row surgery shared by every per-row tensor (int32 row lists [M, 1]).
    virtual Tensor gather_rows(const Tensor& src, const Tensor& rows) = 0;
    virtual Tensor concat_rows(const Tensor& a, const Tensor& b) = 0;

    // Waits until every queued op has finished (timing; the ops themselves never need it).
    virtual void synchronize() {}
    // Device memory held by training: now, and the highest use and reservation since the backend
    // was made or reset_peak_memory(). All zero where the backend does not track it (the CPU).
    struct MemoryUse {
        size_t used = 0;
        size_t used_high = 0;
        size_t reserved_high = 0;
    };
    virtual MemoryUse memory_use() const { return {}; }
    virtual void reset_peak_memory() {}

protected:
    // Called by a backend's constructor for every family it implements.
    template <class F>
    void provide(std::unique_ptr<F> family) {
        m_families[F::kName] = std::move(family);
    }
    // Families release their device buffers here, while the derived backend still exists.
    void release_families() { m_families.clear(); }

private:
    std::map<std::string, std::unique_ptr<OpFamily>> m_families; // by F::kName
};

// "cpu", "auto" (CUDA device 0 when there is one, logged; else the CPU), "cuda[:N]". Throws UsageError for
// devices this build cannot use. `threads` 0: all cores.
std::unique_ptr<Backend> create_backend(const std::string& device, int threads = 0);

} // namespace splatscape
