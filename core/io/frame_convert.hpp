#pragma once
// Frame changes at file boundaries. Internally scenes live in the OpenCV/COLMAP frame (x right,
// y down, z forward, "RDF") with quaternions stored w x y z (docs/design.md, "Conventions"). Formats
// that define another frame are converted when written and read:
//   SPZ   RUB (x right, y up, z back, as OpenGL/three.js): 180 degrees about x, p' = (x, -y, -z).
//   glTF  LUF (+y up, +z the asset's front, +x its left):   180 degrees about z, p' = (-x, -y, z).
// Both are proper rotations whose matrix is a diagonal of +-1, so they are their own inverse and
// act on each SH coefficient as a sign.
#include <array>
#include <vector>

#include <glm/mat3x3.hpp>
#include <glm/vec3.hpp>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

struct AxisFlip {
    float x = 1, y = 1, z = 1;
};
constexpr AxisFlip kColmapToSpz{1, -1, -1};
constexpr AxisFlip kColmapToGltf{-1, -1, 1};

// The 16 real SH basis functions of bands 0..3 at a unit direction, with the constants and signs
// of the 3DGS reference (which KHR_gaussian_splatting's appendix repeats).
std::array<float, 16> sh_basis(const glm::vec3& dir);
// Colour of coefficient set `sh` ([K, 3], K = (degree+1)^2) seen along `dir`, before the +0.5 offset.
glm::vec3 sh_eval(const float* sh, int degree, const glm::vec3& dir);

// Sign of each SH coefficient under the flip: Y_k(F d) = sign_k * Y_k(d).
std::array<float, 16> sh_flip_signs(AxisFlip flip);
// Applies the flip to positions, rotations (w x y z) and SH in place. Requires an even number of
// flipped axes (a rotation); applying it twice restores the input.
void apply_axis_flip(GaussianCloud& cloud, AxisFlip flip);

// Per-band SH rotation for a general rotation R (world' = R world): coefficients c of band l map
// to M_l c. Returned as one (2l+1)^2 row-major matrix per band 1..degree (band 0 is invariant).
std::vector<std::vector<float>> sh_rotation(const glm::mat3& rotation, int degree);

} // namespace splatscape
