// The kernel behind cuda::write_renderer_scene (training/cuda/interop_cuda.hpp): training tensors
// into the Vulkan renderer's scene layout, in memory the renderer exported.
#include <cuda_runtime.h>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/interop_cuda.hpp"

namespace splatscape::cuda {
namespace {

__global__ void write_renderer_scene_kernel(size_t n, const float* means, const float* opacities,
                                            const float* log_scales, int scale_cols, const float* rotations,
                                            const float* sh, int sh_stride, RendererScene out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    reinterpret_cast<float4*>(out.means_opacity)[i] =
        make_float4(means[3 * i], means[3 * i + 1], means[3 * i + 2], opacities[i]);
    const float* ls = log_scales + i * size_t(scale_cols);
    reinterpret_cast<float4*>(out.log_scales)[i] = make_float4(ls[0], ls[1], ls[2], 0.0f);
    reinterpret_cast<float4*>(out.rotations)[i] =
        make_float4(rotations[4 * i], rotations[4 * i + 1], rotations[4 * i + 2], rotations[4 * i + 3]);
    const float* src = sh + i * size_t(sh_stride) * 3;
    float* dst = out.sh + i * size_t(out.out_sh_stride) * 3;
    for (int k = 0; k < out.out_sh_stride * 3; ++k) dst[k] = k < sh_stride * 3 ? src[k] : 0.0f;
}

} // namespace

void launch_write_renderer_scene(size_t n, const float* means, const float* opacities, const float* log_scales,
                                 int scale_cols, const float* rotations, const float* sh, int sh_stride,
                                 const RendererScene& out) {
    if (n == 0) return;
    write_renderer_scene_kernel<<<unsigned((n + 255) / 256), 256>>>(n, means, opacities, log_scales, scale_cols,
                                                                    rotations, sh, sh_stride, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("write_renderer_scene_kernel");
}

} // namespace splatscape::cuda
