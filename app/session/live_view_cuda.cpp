#include "app/session/live_view_cuda.hpp"

#include <chrono>

#include "core/error.hpp"
#include "training/densification.hpp" // GaussianModel, complete with its densifier type
#include "training/models/model.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/interop_cuda.hpp"
#endif

namespace splatscape {

#if defined(SPLATSCAPE_HAVE_CUDA)
namespace {

class CudaLiveSink final : public LiveModelSink {
public:
    CudaLiveSink(std::shared_ptr<LiveViewExchange> exchange, double interval)
        : m_exchange(std::move(exchange)), m_interval(interval) {}

    void publish(Backend& backend, GaussianModel& model, int iteration) override {
        auto* cuda_backend = dynamic_cast<CudaBackend*>(&backend);
        if (!cuda_backend) return;
        const auto now = std::chrono::steady_clock::now();
        if (m_published && std::chrono::duration<double>(now - m_last).count() < m_interval) return;
        ParameterSet& ps = model.params();
        const Parameter *means = ps.find("means"), *opacities = ps.find("opacities"),
                        *log_scales = ps.find("log_scales"), *rotations = ps.find("rotations"), *sh = ps.find("sh");
        if (!means || !opacities || !log_scales || !rotations || !sh)
            throw Error(cat("the ", model.type(), " model has no 3D Gaussian parameters to show directly"));
        const size_t n = model.size();
        const auto claim = m_exchange->claim(n);
        if (!claim) return;
        try {
            Slot& slot = m_slots[size_t(claim->slot)];
            if (slot.generation != claim->generation) {
                for (int k = 0; k < 4; ++k) {
                    if (claim->memory.fds[size_t(k)] < 0)
                        throw Error("live view: the slot's memory was handed out before and is not mapped here");
                    slot.memory[size_t(k)] = cuda::ImportedMemory(
                        claim->memory.fds[size_t(k)], claim->memory.sizes[size_t(k)], cuda_backend->device_index());
                }
                slot.generation = claim->generation;
            }
            cuda::RendererScene out;
            out.means_opacity = static_cast<float*>(slot.memory[0].data());
            out.log_scales = static_cast<float*>(slot.memory[1].data());
            out.rotations = static_cast<float*>(slot.memory[2].data());
            out.sh = static_cast<float*>(slot.memory[3].data());
            out.out_sh_stride = claim->memory.sh_stride;
            cuda::write_renderer_scene(n, means->value, opacities->value, log_scales->value, rotations->value,
                                       sh->value, out);
            cuda::finish_writes(); // the fence: nothing pending on the slot once it is published
            m_exchange->publish(claim->slot, n, iteration);
        } catch (...) {
            m_exchange->abandon(claim->slot);
            throw;
        }
        m_published = true;
        m_last = now;
    }

private:
    struct Slot {
        uint64_t generation = 0;
        std::array<cuda::ImportedMemory, 4> memory;
    };
    std::shared_ptr<LiveViewExchange> m_exchange;
    double m_interval;
    std::array<Slot, LiveViewExchange::kSlots> m_slots;
    bool m_published = false;
    std::chrono::steady_clock::time_point m_last;
};

} // namespace

std::shared_ptr<LiveModelSink> make_cuda_live_sink(std::shared_ptr<LiveViewExchange> exchange,
                                                   double interval_seconds) {
    return std::make_shared<CudaLiveSink>(std::move(exchange), interval_seconds);
}
#else
std::shared_ptr<LiveModelSink> make_cuda_live_sink(std::shared_ptr<LiveViewExchange>, double) {
    return nullptr;
}
#endif

} // namespace splatscape
