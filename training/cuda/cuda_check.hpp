#pragma once
// Every CUDA runtime call goes through SPLATSCAPE_CUDA_CHECK, which throws an Error naming the call,
// the file and the line; kernel launches are checked with SPLATSCAPE_CUDA_CHECK_LAUNCH. Out-of-memory
// errors of allocations are reported by throw_out_of_memory with the size asked for and what to change.
#include <cstddef>

#include <cuda_runtime_api.h>

namespace splatscape::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line);
// `what` names the buffer ("rasterizer sort keys"); the message adds the free and total memory of
// the current device and the settings that reduce memory use.
[[noreturn]] void throw_out_of_memory(size_t bytes, const char* what);

inline void check(cudaError_t error, const char* call, const char* file, int line) {
    if (error != cudaSuccess) throw_cuda_error(error, call, file, line);
}

} // namespace splatscape::cuda

#define SPLATSCAPE_CUDA_CHECK(call) ::splatscape::cuda::check((call), #call, __FILE__, __LINE__)
#define SPLATSCAPE_CUDA_CHECK_LAUNCH(kernel_name)                                                                      \
    ::splatscape::cuda::check(cudaGetLastError(), "launch of " kernel_name, __FILE__, __LINE__)
