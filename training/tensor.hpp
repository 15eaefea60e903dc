#pragma once
// Device arrays for training state. A Tensor is a contiguous rows x cols array of float32 or int32
// that lives on one device and is released by the allocator that made it; it is move-only, and only
// a Backend creates, fills and reads one (so the host never touches device memory by accident).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace splatscape {

enum class Device : uint8_t { Cpu, Cuda };
enum class DType : uint8_t { F32, I32 };

std::string to_string(Device device);
inline size_t dtype_size(DType) {
    return 4;
}

class Tensor {
public:
    using Release = void (*)(void*);

    Tensor() = default;
    Tensor(void* data, size_t rows, int cols, DType dtype, Device device, Release release)
        : m_data(data), m_rows(rows), m_cols(cols), m_dtype(dtype), m_device(device), m_release(release) {}
    ~Tensor() { reset(); }
    Tensor(Tensor&& o) noexcept { swap(o); }
    Tensor& operator=(Tensor&& o) noexcept {
        if (this != &o) {
            reset();
            swap(o);
        }
        return *this;
    }
    Tensor(const Tensor&) = delete;
    Tensor& operator=(const Tensor&) = delete;

    size_t rows() const { return m_rows; }
    int cols() const { return m_cols; }
    size_t numel() const { return m_rows * size_t(m_cols); }
    size_t bytes() const { return numel() * dtype_size(m_dtype); }
    DType dtype() const { return m_dtype; }
    Device device() const { return m_device; }
    bool empty() const { return numel() == 0; }

    // Raw device pointers, for launchers.
    float* f32() { return static_cast<float*>(m_data); }
    const float* f32() const { return static_cast<const float*>(m_data); }
    int32_t* i32() { return static_cast<int32_t*>(m_data); }
    const int32_t* i32() const { return static_cast<const int32_t*>(m_data); }
    void* raw() { return m_data; }
    const void* raw() const { return m_data; }

    void reset() {
        if (m_data && m_release) m_release(m_data);
        m_data = nullptr;
        m_rows = 0;
        m_cols = 0;
    }

private:
    void swap(Tensor& o) noexcept {
        std::swap(m_data, o.m_data);
        std::swap(m_rows, o.m_rows);
        std::swap(m_cols, o.m_cols);
        std::swap(m_dtype, o.m_dtype);
        std::swap(m_device, o.m_device);
        std::swap(m_release, o.m_release);
    }

    void* m_data = nullptr;
    size_t m_rows = 0;
    int m_cols = 0;
    DType m_dtype = DType::F32;
    Device m_device = Device::Cpu;
    Release m_release = nullptr;
};

} // namespace splatscape
