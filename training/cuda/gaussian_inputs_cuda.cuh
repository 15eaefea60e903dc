#pragma once
// Device-side access to one Gaussian of GaussianInputs, shared by the forward and backward kernels.
#include "training/cuda/rasterize_cuda.hpp"
#include "training/kernels/preprocess.hpp"

namespace splatscape::cuda {

__device__ __forceinline__ kern::GaussianRef<float> gaussian_ref(const GaussianInputs& in, size_t i) {
    kern::GaussianRef<float> g;
    g.mean = in.means + 3 * i;
    g.log_scale = in.covariances ? nullptr : in.log_scales + 3 * i;
    g.rotation = in.covariances ? nullptr : in.rotations + 4 * i;
    g.cov3d = in.covariances ? in.covariances + 6 * i : nullptr;
    g.opacity_logit = in.opacities[i];
    g.sh = in.colors ? nullptr : in.sh + i * size_t(in.sh_stride) * 3;
    g.sh_degree = in.sh_degree;
    g.rgb = in.colors ? in.colors + 3 * i : nullptr;
    g.filter_3d = in.filter_3d ? in.filter_3d[i] : 0.0f;
    return g;
}

constexpr int kTileThreads = kern::kTileSize * kern::kTileSize;

inline unsigned blocks_for(size_t n, int threads) {
    return unsigned((n + size_t(threads) - 1) / size_t(threads));
}

} // namespace splatscape::cuda
