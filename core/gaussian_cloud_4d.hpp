#pragma once
// A 4D Gaussian scene (the gs4d model of Yang et al., ICLR 2024) in structure-of-arrays form: each
// Gaussian has a world position and a time (its mean in space-time), four log-scales (x y z t,
// before rotation), a 4D rotation given by a left and a right quaternion (w x y z, unnormalised),
// an opacity logit and 4D spherindrical-harmonic colour coefficients. Slicing it at a time gives an
// ordinary GaussianCloud (training/models/gs4d_slice.hpp); the file layout is core/io/ply_4d.hpp.
#include <cstddef>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

// Highest temporal frequency of the colour's cosine series that files and renderers accept.
constexpr int kMaxShDegreeT = 4;

struct GaussianCloud4d {
    int sh_degree = 0;     // spatial SH degree, 0..3
    int sh_degree_t = 0;   // temporal frequencies 0..sh_degree_t, at most kMaxShDegreeT
    float time_min = 0.0f; // the scene's time range (normalised time for the datasets Splatscape loads)
    float time_max = 1.0f;
    float time_period = 1.0f; // period T of the colour's cosine series cos(2 pi n (t - mu_t) / T)

    std::vector<float> positions;   // [N, 3] world (OpenCV/COLMAP frame)
    std::vector<float> times;       // [N] temporal mean
    std::vector<float> log_scales;  // [N, 4] x y z t
    std::vector<float> rotations_l; // [N, 4] left quaternion, w x y z
    std::vector<float> rotations_r; // [N, 4] right quaternion, w x y z
    std::vector<float> opacities;   // [N] logits
    // [N, sh_coeffs(), 3]: coefficient j = n * K + k (temporal frequency n, spatial coefficient
    // k < K = (sh_degree + 1)^2) of channel c at (i * sh_coeffs() + j) * 3 + c.
    std::vector<float> sh;

    size_t size() const { return opacities.size(); }
    int spatial_coeffs() const { return sh_coeff_count(sh_degree); }
    int sh_coeffs() const { return spatial_coeffs() * (sh_degree_t + 1); }
    void resize(size_t n, int degree, int degree_t);
    // Throws Error when degrees are out of range, array sizes disagree, values are not finite or
    // the time range and period are not sensible (after loading a file, say).
    void validate(const char* where) const;
    // Axis-aligned bounds of the spatial means; percentile bounds drop outliers (0 = plain min/max).
    Bounds bounds(float outlier_fraction = 0.0f) const;
    // Appends element i of `other` (same degrees).
    void push_back_from(const GaussianCloud4d& other, size_t i);
};

} // namespace splatscape
