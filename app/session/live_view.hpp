#pragma once
// The zero-copy live view of CUDA training (`train --gui` on a CUDA device): the model the window
// draws lives in Vulkan memory exported to CUDA, which the training thread writes between
// iterations. This header holds the hand-over between the two threads; live_view_vk.hpp the
// Vulkan side (GUI thread), live_view_cuda.hpp the CUDA side (training thread).
//
// The fence scheme (no external semaphores: the CUDA side synchronises on the host, the Vulkan
// side through its own waits):
//  1. The GUI allocates kSlots (3) slots, each the four buffers of vk::GpuScene's layout for a capacity
//     of Gaussians, exports their memory as fds and offers them here: the slots are free.
//  2. The training thread claims a free slot that holds the model, imports its fds the first time
//     (cudaImportExternalMemory), writes the Gaussians with one kernel and waits for it to finish
//     (cudaStreamSynchronize) before it publishes the slot as ready: a ready slot has no CUDA work
//     pending, so Vulkan may read it at once. A newer publication frees an older one not yet shown.
//  3. The GUI takes the newest ready slot and draws from it. It gives the slot it showed before back
//     (release) only after waiting for the frames in flight that read it (the viewport waits for
//     the device when its scene changes), so CUDA never writes memory a frame still reads.
//  4. A model that outgrows the slots asks for a capacity; the GUI reallocates the free slots larger
//     and offers them again (a new generation, imported again).
// The trainer never waits for the GUI: without a free slot it skips that publication.
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

namespace splatscape {

// One slot's memory as the GUI exports it: means_opacity, log_scales, rotations, sh.
struct LiveSlotMemory {
    std::array<int, 4> fds = {-1, -1, -1, -1};  // opaque POSIX fds; the receiver owns them
    std::array<size_t, 4> sizes = {0, 0, 0, 0}; // allocation sizes
    size_t capacity = 0;                        // Gaussians the buffers hold
    int sh_stride = 16;                         // SH coefficients per Gaussian in the sh buffer
};

class LiveViewExchange {
public:
    // Three: one shown, one the GUI is switching away from (until its frames complete), one free
    // for the trainer, so that a publication is rarely skipped.
    static constexpr int kSlots = 3;

    LiveViewExchange() = default;
    ~LiveViewExchange(); // closes fds nobody took
    LiveViewExchange(const LiveViewExchange&) = delete;
    LiveViewExchange& operator=(const LiveViewExchange&) = delete;

    // ---- GUI thread ----
    // Gives a slot (new) memory; the slot must not be claimed, ready or shown. It becomes free.
    void offer(int slot, LiveSlotMemory memory);
    struct Ready {
        int slot = -1;
        size_t count = 0;
        int iteration = 0;
    };
    // The newest ready slot, which is now shown; nullopt when nothing newer was published.
    std::optional<Ready> take_ready();
    // A shown slot that no frame reads any more: free again.
    void release(int slot);
    // The capacity the trainer asked for (0: none), and the slots that may be reallocated now.
    size_t wanted_capacity() const;
    bool is_free(int slot) const;
    size_t capacity(int slot) const;
    // Takes a free slot away from the trainer (before new memory is offered for it); false when the
    // slot is claimed, ready or shown.
    bool withdraw(int slot);

    // ---- training thread ----
    struct Claim {
        int slot = -1;
        uint64_t generation = 0; // changes whenever the slot's memory is offered again
        LiveSlotMemory memory;   // fds are -1 after the first claim of a generation
    };
    // A slot that holds `count` Gaussians, now being written: a free one, else the ready one the GUI
    // has not taken (that publication is dropped). nullopt when none is large enough; then the
    // capacity is asked for.
    std::optional<Claim> claim(size_t count);
    // The claimed slot holds `count` Gaussians after `iteration`, with no GPU work pending.
    void publish(int slot, size_t count, int iteration);
    // The claimed slot was not written (an error): free again.
    void abandon(int slot);

private:
    enum class State { Empty, Free, Claimed, Ready, Shown };
    struct Slot {
        State state = State::Empty;
        LiveSlotMemory memory;
        uint64_t generation = 0;
        size_t count = 0;
        int iteration = 0;
        uint64_t published = 0; // order of publication
    };
    static void close_fds(LiveSlotMemory& m);
    Slot& at(int slot);
    const Slot& at(int slot) const;

    mutable std::mutex m_mutex;
    std::array<Slot, kSlots> m_slots;
    size_t m_wanted = 0;
    uint64_t m_generations = 0;
    uint64_t m_publications = 0;
};

} // namespace splatscape
