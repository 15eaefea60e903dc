#include "core/gaussian_cloud_4d.hpp"

#include <cmath>

#include "core/error.hpp"

namespace splatscape {

void GaussianCloud4d::resize(size_t n, int degree, int degree_t) {
    if (degree < 0 || degree > kMaxShDegree) throw Error(cat("SH degree ", degree, " is outside 0..3"));
    if (degree_t < 0 || degree_t > kMaxShDegreeT)
        throw Error(cat("temporal SH degree ", degree_t, " is outside 0..", kMaxShDegreeT));
    sh_degree = degree;
    sh_degree_t = degree_t;
    positions.resize(n * 3);
    times.resize(n);
    log_scales.resize(n * 4);
    rotations_l.resize(n * 4);
    rotations_r.resize(n * 4);
    opacities.resize(n);
    sh.resize(n * size_t(sh_coeffs()) * 3);
}

void GaussianCloud4d::validate(const char* where) const {
    const size_t n = size();
    if (sh_degree < 0 || sh_degree > kMaxShDegree)
        throw Error(where, "sh_degree", cat("expected 0..3, found ", sh_degree));
    if (sh_degree_t < 0 || sh_degree_t > kMaxShDegreeT)
        throw Error(where, "sh_degree_t", cat("expected 0..", kMaxShDegreeT, ", found ", sh_degree_t));
    if (!(std::isfinite(time_min) && std::isfinite(time_max) && time_max >= time_min))
        throw Error(where, "time range", cat("expected finite min <= max, found ", time_min, " .. ", time_max));
    if (!(std::isfinite(time_period) && time_period > 0.0f))
        throw Error(where, "time period", cat("expected a positive period, found ", time_period));
    if (positions.size() != n * 3 || times.size() != n || log_scales.size() != n * 4 || rotations_l.size() != n * 4 ||
        rotations_r.size() != n * 4 || sh.size() != n * size_t(sh_coeffs()) * 3)
        throw Error(where, "", "4D Gaussian arrays have inconsistent sizes");
    auto finite = [&](const std::vector<float>& v, const char* field) {
        for (size_t i = 0; i < v.size(); ++i)
            if (!std::isfinite(v[i])) throw Error(where, field, cat("non-finite value at element ", i));
    };
    finite(positions, "position");
    finite(times, "time");
    finite(log_scales, "scale");
    finite(rotations_l, "rotation");
    finite(rotations_r, "right rotation");
    finite(opacities, "opacity");
    finite(sh, "sh");
}

Bounds GaussianCloud4d::bounds(float outlier_fraction) const {
    // The spatial means as a 3D cloud without colour: the same bounds code as for 3D scenes.
    GaussianCloud c;
    c.positions = positions;
    c.opacities.resize(size());
    return c.bounds(outlier_fraction);
}

void GaussianCloud4d::push_back_from(const GaussianCloud4d& o, size_t i) {
    if (o.sh_degree != sh_degree || o.sh_degree_t != sh_degree_t)
        throw Error("GaussianCloud4d::push_back_from: SH degrees differ");
    auto append = [i](std::vector<float>& dst, const std::vector<float>& src, size_t k) {
        dst.insert(dst.end(), src.begin() + std::ptrdiff_t(i * k), src.begin() + std::ptrdiff_t((i + 1) * k));
    };
    append(positions, o.positions, 3);
    append(times, o.times, 1);
    append(log_scales, o.log_scales, 4);
    append(rotations_l, o.rotations_l, 4);
    append(rotations_r, o.rotations_r, 4);
    append(opacities, o.opacities, 1);
    append(sh, o.sh, size_t(sh_coeffs()) * 3);
}

} // namespace splatscape
