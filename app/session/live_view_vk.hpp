#pragma once
// The Vulkan side of the zero-copy live view (app/session/live_view.hpp): the slots' exportable
// buffers, grown when the model outgrows them, and the scene to draw from the newest publication.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/session/live_view.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/interop_vk.hpp"

namespace splatscape {

class LiveViewHost {
public:
    // `sh_degree`: the SH degree the model stores (the sh buffer's stride).
    LiveViewHost(vk::Context& context, std::shared_ptr<LiveViewExchange> exchange, size_t capacity, int sh_degree);

    // Call once per frame on the GUI thread: grows free slots when the trainer asked for room, and
    // when a newer model was published calls `show` with it. `show` must switch the renderer to that
    // scene and wait for the frames in flight that read the previous one (the GUI's Gaussians3dScene
    // set_external does); the previous slot is then given back to the trainer.
    // Returns the iteration shown, or -1 when nothing changed.
    int update(const std::function<void(const vk::GpuScene::External&)>& show);

    size_t capacity() const;
    // A slot's buffer k (0 means_opacity, 1 log_scales, 2 rotations, 3 sh), for tests and read-backs.
    const vk::ExportableBuffer& buffer(int slot, int k) const { return m_buffers[size_t(slot)][size_t(k)]; }

private:
    void allocate(int slot, size_t capacity);

    vk::Context& m_context;
    std::shared_ptr<LiveViewExchange> m_exchange;
    int m_sh_degree;
    std::array<std::array<vk::ExportableBuffer, 4>, LiveViewExchange::kSlots> m_buffers;
    int m_shown = -1;
};

// Whether the window's Vulkan device is the CUDA device training runs on (`device`: the train
// command's --device), so that the live view can share memory; `why` says why not otherwise.
bool live_view_shares_memory(const vk::Context& context, const std::string& device, std::string* why);

} // namespace splatscape
