#pragma once
// A 3D Gaussian scene in structure-of-arrays form, with the parameterisation of the reference
// 3DGS PLY: world positions (OpenCV/COLMAP frame), log-scales, unnormalised rotation quaternions
// stored w x y z, opacity logits, and SH coefficients (the DC term is the "f_dc" of the PLY).
#include <cmath>
#include <cstddef>
#include <vector>

#include <glm/vec3.hpp>

namespace splatscape {

constexpr int kMaxShDegree = 3;
constexpr int sh_coeff_count(int degree) { return (degree + 1) * (degree + 1); }
// SH band-0 constant: colour = 0.5 + kShC0 * dc.
constexpr float kShC0 = 0.28209479177387814f;
inline float sh_dc_from_rgb(float rgb) { return (rgb - 0.5f) / kShC0; }
inline float rgb_from_sh_dc(float dc) { return dc * kShC0 + 0.5f; }

struct Bounds {
    glm::vec3 min{0.0f};
    glm::vec3 max{0.0f};
    glm::vec3 center() const { return (min + max) * 0.5f; }
    glm::vec3 size() const { return max - min; }
};

struct GaussianCloud {
    int sh_degree = 0;              // 0..3
    std::vector<float> positions;   // [N, 3]
    std::vector<float> log_scales;  // [N, 3]
    std::vector<float> rotations;   // [N, 4] w x y z, not necessarily normalised
    std::vector<float> opacities;   // [N] logits: opacity = sigmoid(value)
    std::vector<float> sh;          // [N, K, 3], K = (sh_degree+1)^2; coefficient k of channel c at (i*K + k)*3 + c
    // How the scene was trained to be rendered (docs/rasterizer.md, step 4): with the opacity
    // compensation of the 2D low-pass filter (SPZ's "antialiased" flag) of variance eps2d pixels^2.
    bool antialiased = false;
    float eps2d = 0.3f;

    size_t size() const { return opacities.size(); }
    int sh_coeffs() const { return sh_coeff_count(sh_degree); }
    void resize(size_t n, int degree);
    // Changes the SH degree, keeping lower-order coefficients and zeroing new ones.
    void set_sh_degree(int degree);
    // Throws Error when array sizes disagree or values are not finite (after loading a file, say).
    void validate(const char* where) const;
    // Axis-aligned bounds of the positions; percentile bounds drop outliers (0 = plain min/max).
    Bounds bounds(float outlier_fraction = 0.0f) const;
    // Appends element i of `other` (same SH degree).
    void push_back_from(const GaussianCloud& other, size_t i);

    glm::vec3 position(size_t i) const { return {positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]}; }
};

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float logit(float p) { return std::log(p / (1.0f - p)); }

}  // namespace splatscape
