#include "training/ops/expert_ops.hpp"

namespace splatscape {

double GateBalance::loss() const {
    double s = 0.0;
    for (size_t e = 0; e < fraction.size(); ++e) s += fraction[e] * mean_probability[e];
    return double(fraction.size()) * s;
}

} // namespace splatscape
