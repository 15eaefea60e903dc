#include "training/cuda/optimizer_ops_cuda.hpp"

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"

namespace splatscape {

using namespace cuda;

void OptimizerOpsCuda::adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                                 int split_col, const kern::AdamStep& b) {
    m_backend.use_device();
    require_shape(&grad, param.rows(), param.cols(), "adam_step", "grad");
    require_shape(&m, param.rows(), param.cols(), "adam_step", "exp_avg");
    require_shape(&v, param.rows(), param.cols(), "adam_step", "exp_avg_sq");
    require_on_gpu(&param, "adam_step", "param");
    cuda::launch_adam(param.f32(), grad.f32(), m.f32(), v.f32(), param.rows(), param.cols(), split_col, a, b);
}

} // namespace splatscape
