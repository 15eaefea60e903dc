// Compiles every per-element function of training/kernels/ for the device and runs each once per
// thread: the first brick of the CUDA backend, and the guard that keeps those headers nvcc-clean.
// kernels_probe_run() (training/cuda/kernels_probe.hpp) evaluates the functions on given inputs so
// that a GPU test can compare them with the same functions on the CPU.
#include <cuda_runtime.h>

#include "training/cuda/kernels_probe.hpp"

namespace splatscape::cuda {
namespace {

__global__ void probe_kernel(int count, const float* in, const kern::RasterCamera<float> cam,
                             kern::RasterSettings settings, float* out) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    probe_gaussian(i, in + size_t(i) * kProbeInputs, cam, settings, out + size_t(i) * kProbeOutputs);
}

} // namespace

std::string kernels_probe_run(int count, const float* inputs, const kern::RasterCamera<float>& camera,
                              const kern::RasterSettings& settings, float* outputs) {
    float *d_in = nullptr, *d_out = nullptr;
    const size_t in_bytes = size_t(count) * kProbeInputs * sizeof(float);
    const size_t out_bytes = size_t(count) * kProbeOutputs * sizeof(float);
    cudaError_t e = cudaMalloc(&d_in, in_bytes);
    if (e == cudaSuccess) e = cudaMalloc(&d_out, out_bytes);
    if (e == cudaSuccess) e = cudaMemcpy(d_in, inputs, in_bytes, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
        probe_kernel<<<(count + 127) / 128, 128>>>(count, d_in, camera, settings, d_out);
        e = cudaGetLastError();
    }
    if (e == cudaSuccess) e = cudaMemcpy(outputs, d_out, out_bytes, cudaMemcpyDeviceToHost);
    cudaFree(d_in);
    cudaFree(d_out);
    return e == cudaSuccess ? std::string() : std::string(cudaGetErrorString(e));
}

bool cuda_device_present() {
    int n = 0;
    return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

} // namespace splatscape::cuda
