#pragma once
// The 3D smoothing filter family on the CPU: training/kernels/filter3d.hpp over host rows.
#include "training/ops/filter3d_ops.hpp"

namespace splatscape {

class Filter3dOpsCpu final : public Filter3dOps {
public:
    void compute(const Tensor& means, const std::vector<kern::RasterCamera<float>>& cameras, float near, float size,
                 Tensor& variance) override;
};

} // namespace splatscape
