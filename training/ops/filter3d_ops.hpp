#pragma once
// The 3D smoothing filter family (training/kernels/filter3d.hpp): each Gaussian's filter variance
// from the highest rate at which the training cameras sample it. CPU: training/cpu/filter3d_ops_cpu.*;
// CUDA: training/cuda/filter3d_ops_cuda.* over training/cuda/image_terms_cuda.cu.
#include <vector>

#include "training/kernels/math.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class Filter3dOps : public OpFamily {
public:
    static constexpr const char* kName = "3D smoothing filter";

    // variance [N, 1] = kern::filter_3d_variance(rate, size) with rate the highest
    // kern::sampling_rate of the row's mean (the first three columns of means [N, >= 3]) over
    // `cameras`; rows no camera sees take the lowest rate of the rows that are seen (the
    // reference's farthest distance). All zero when no row is seen.
    virtual void compute(const Tensor& means, const std::vector<kern::RasterCamera<float>>& cameras, float near,
                         float size, Tensor& variance) = 0;
};

} // namespace splatscape
