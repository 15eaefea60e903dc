#include "core/gaussian_cloud.hpp"

#include <algorithm>
#include <cmath>

#include <glm/common.hpp>

#include "core/error.hpp"

namespace splatscape {

void GaussianCloud::resize(size_t n, int degree) {
    if (degree < 0 || degree > kMaxShDegree) throw Error(cat("SH degree ", degree, " is outside 0..3"));
    sh_degree = degree;
    positions.resize(n * 3);
    log_scales.resize(n * 3);
    rotations.resize(n * 4);
    opacities.resize(n);
    sh.resize(n * size_t(sh_coeff_count(degree)) * 3);
}

void GaussianCloud::set_sh_degree(int degree) {
    if (degree < 0 || degree > kMaxShDegree) throw Error(cat("SH degree ", degree, " is outside 0..3"));
    if (degree == sh_degree) return;
    const size_t n = size();
    const int k_old = sh_coeff_count(sh_degree), k_new = sh_coeff_count(degree);
    std::vector<float> out(n * k_new * 3, 0.0f);
    const int k_keep = std::min(k_old, k_new);
    for (size_t i = 0; i < n; ++i)
        std::copy_n(&sh[i * k_old * 3], k_keep * 3, &out[i * k_new * 3]);
    sh = std::move(out);
    sh_degree = degree;
}

void GaussianCloud::validate(const char* where) const {
    const size_t n = size();
    if (sh_degree < 0 || sh_degree > kMaxShDegree) throw Error(where, "sh_degree", cat("expected 0..3, found ", sh_degree));
    if (positions.size() != n * 3 || log_scales.size() != n * 3 || rotations.size() != n * 4 ||
        sh.size() != n * size_t(sh_coeffs()) * 3)
        throw Error(where, "", "Gaussian arrays have inconsistent sizes");
    auto finite = [&](const std::vector<float>& v, const char* field) {
        for (size_t i = 0; i < v.size(); ++i)
            if (!std::isfinite(v[i])) throw Error(where, field, cat("non-finite value at element ", i));
    };
    finite(positions, "position");
    finite(log_scales, "scale");
    finite(rotations, "rotation");
    finite(opacities, "opacity");
    finite(sh, "sh");
}

Bounds GaussianCloud::bounds(float outlier_fraction) const {
    Bounds b;
    const size_t n = size();
    if (n == 0) return b;
    if (outlier_fraction <= 0.0f) {
        b.min = b.max = position(0);
        for (size_t i = 1; i < n; ++i) {
            b.min = glm::min(b.min, position(i));
            b.max = glm::max(b.max, position(i));
        }
        return b;
    }
    std::vector<float> axis(n);
    for (int a = 0; a < 3; ++a) {
        for (size_t i = 0; i < n; ++i) axis[i] = positions[3 * i + a];
        size_t lo = size_t(outlier_fraction * float(n - 1)), hi = n - 1 - lo;
        std::nth_element(axis.begin(), axis.begin() + lo, axis.end());
        b.min[a] = axis[lo];
        std::nth_element(axis.begin(), axis.begin() + hi, axis.end());
        b.max[a] = axis[hi];
    }
    return b;
}

void GaussianCloud::push_back_from(const GaussianCloud& o, size_t i) {
    const int k = sh_coeffs();
    positions.insert(positions.end(), &o.positions[3 * i], &o.positions[3 * i + 3]);
    log_scales.insert(log_scales.end(), &o.log_scales[3 * i], &o.log_scales[3 * i + 3]);
    rotations.insert(rotations.end(), &o.rotations[4 * i], &o.rotations[4 * i + 4]);
    opacities.push_back(o.opacities[i]);
    sh.insert(sh.end(), &o.sh[i * k * 3], &o.sh[(i + 1) * k * 3]);
}

}  // namespace splatscape
