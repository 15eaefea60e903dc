#pragma once
// Checks and helpers shared by the CUDA backend's op families (training/cuda/*_ops_cuda.cpp):
// shape and device validation with errors naming the op and the tensor.
#include <cuda_runtime_api.h>

#include <string>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/tensor.hpp"

namespace splatscape::cuda {

inline void require(bool ok, const char* op, const std::string& what) {
    if (!ok) throw Error(cat("cuda backend: ", op, ": ", what));
}

inline void require_on_gpu(const Tensor* t, const char* op, const char* name) {
    if (t && t->device() != Device::Cuda && !t->empty())
        throw Error(cat("cuda backend: ", op, ": tensor '", name, "' is not in GPU memory"));
}

// Null tensors pass (optional arguments).
inline void require_shape(const Tensor* t, size_t rows, int cols, const char* op, const char* name) {
    if (!t) return;
    require_on_gpu(t, op, name);
    if (t->rows() != rows || t->cols() != cols)
        throw Error(cat("cuda backend: ", op, ": tensor '", name, "' is ", t->rows(), " x ", t->cols(), ", expected ",
                        rows, " x ", cols));
}

inline float* f32_or_null(Tensor* t) {
    return t ? t->f32() : nullptr;
}

// Waits for the legacy default stream, which every op runs on.
inline void sync() {
    SPLATSCAPE_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
}

} // namespace splatscape::cuda
