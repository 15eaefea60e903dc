#pragma once
// RAII owners of CUDA memory and events. Device memory comes from the stream-ordered allocator on
// the legacy default stream, which every op of the CUDA backend runs on, so a buffer freed while
// kernels that read it are queued is only reused after them. The pool keeps freed memory (release
// threshold: unlimited), so buffers that come and go every iteration cost no driver calls.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace splatscape::cuda {

// Device memory; `what` names it in out-of-memory errors.
void* device_alloc(size_t bytes, const char* what);
// Stream-ordered free; never throws (used from destructors and Tensor release functions).
void device_free(void* p) noexcept;

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(size_t bytes, const char* what) : m_data(device_alloc(bytes, what)), m_bytes(bytes) {}
    ~DeviceBuffer() { device_free(m_data); }
    DeviceBuffer(DeviceBuffer&& o) noexcept : m_data(o.m_data), m_bytes(o.m_bytes) {
        o.m_data = nullptr;
        o.m_bytes = 0;
    }
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        if (this != &o) {
            device_free(m_data);
            m_data = o.m_data;
            m_bytes = o.m_bytes;
            o.m_data = nullptr;
            o.m_bytes = 0;
        }
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    // At least `bytes`, grown by half again when it must grow, so buffers sized by the scene settle
    // after a few iterations; the contents are not kept.
    void ensure(size_t bytes, const char* what);

    void* get() const { return m_data; }
    template <class T>
    T* as() const {
        return static_cast<T*>(m_data);
    }
    size_t bytes() const { return m_bytes; }

private:
    void* m_data = nullptr;
    size_t m_bytes = 0;
};

// Page-locked host memory for small read-backs (counts, loss sums).
class PinnedBuffer {
public:
    PinnedBuffer() = default;
    explicit PinnedBuffer(size_t bytes);
    ~PinnedBuffer();
    PinnedBuffer(PinnedBuffer&& o) noexcept : m_data(o.m_data) { o.m_data = nullptr; }
    PinnedBuffer& operator=(PinnedBuffer&& o) noexcept;
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;
    template <class T>
    T* as() const {
        return static_cast<T*>(m_data);
    }

private:
    void* m_data = nullptr;
};

class Event {
public:
    Event();
    ~Event();
    Event(Event&& o) noexcept : m_event(o.m_event) { o.m_event = nullptr; }
    Event& operator=(Event&& o) noexcept;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    void record(); // on the legacy default stream
    void synchronize();
    // Milliseconds from `start` to this event (both recorded and complete).
    float since(const Event& start) const;
    cudaEvent_t get() const { return m_event; }

private:
    cudaEvent_t m_event = nullptr;
};

// The stream-ordered pool of the current device: bytes in use now and the highest use and
// reservation since the last reset.
struct PoolStats {
    size_t used = 0;
    size_t used_high = 0;
    size_t reserved_high = 0;
};
PoolStats pool_stats();
void reset_pool_peaks();
// Keeps freed memory in the pool of `device` instead of returning it to the driver.
void configure_pool(int device);

} // namespace splatscape::cuda
