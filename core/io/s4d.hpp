#pragma once
// Splatscape's compact 4D Gaussian file (.s4d): the gs4d scene quantised as SPZ quantises 3D
// Gaussians, about 4.5 times smaller than the 4D PLY (core/io/ply_4d.hpp), which stays the exact,
// canonical format. The standalone web page of a 4D scene embeds it; the web viewer, `convert`,
// `export`, `info`, `render` and `view` read it.
//
// A gzip stream (RFC 1952) holding, little-endian:
//   header, 40 bytes: magic "S4DG" (u32 0x47443453), version u32 (1), count u32, sh_degree u8
//     (0..3), sh_degree_t u8 (0..4), fractional_bits u8 (0..24), reserved u8 (0), then f32
//     time_min, time_max, time_period, time_origin, time_step, coeff_scale;
//   then each attribute for all Gaussians in turn:
//     positions    [N, 3] 24-bit signed fixed point with fractional_bits fractional bits (the
//                  internal OpenCV frame of GaussianCloud4d, as the 4D PLY);
//     times        [N] u16 q: t = time_origin + q * time_step;
//     opacities    [N] u8: sigmoid(logit) * 255;
//     log-scales   [N, 4] u8 (x y z t): (s + 10) * 16;
//     rotations    [N, 2] x 4 bytes: the left, then the right quaternion, "smallest three" as SPZ v3
//                  (each stored with its largest component positive: the 4D covariance
//                  R diag(s^2) R^T, R = L(q_l) R(q_r), does not change when either changes sign);
//     colours      [N, 3] u8: the DC coefficient of temporal frequency 0, dc * 0.15 * 255 + 127.5;
//     coefficients [N, J - 1, 3] u8: every other coefficient j = 1 .. J - 1 in GaussianCloud4d's
//                  order (J = (sh_degree + 1)^2 (sh_degree_t + 1)), round(v / coeff_scale * 127) + 128.
//
// Round-trip bounds (measured in tests/core/test_s4d.cpp):
//   position  2^-(bits + 1) per axis (bits = 12 unless the scene needs fewer);
//   time      time_step / 2, time_step = (max - min of the times) / 65535;
//   log-scale 1/32 within [-10, 5.94] (clamped outside);
//   rotation  each quaternion as SPZ v3 (under 0.25 degrees);
//   opacity   0.5/255 in probability; colour DC 0.5 / (0.15 * 255) within [-3.33, 3.33];
//   coefficients coeff_scale / 254, coeff_scale = the largest |coefficient| (never clamped).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud_4d.hpp"

namespace splatscape {

constexpr uint32_t kS4dMagic = 0x47443453; // "S4DG"

std::vector<uint8_t> encode_s4d(const GaussianCloud4d& cloud);
// Throws Error naming the field on anything malformed, truncated or inconsistent.
GaussianCloud4d decode_s4d(const uint8_t* data, size_t size, const std::string& file);
void write_s4d(const std::filesystem::path& path, const GaussianCloud4d& cloud);
GaussianCloud4d read_s4d(const std::filesystem::path& path);

// Whether `path` is a 4D Gaussian scene: a 4D PLY, or an .s4d file. Throws Error only when a file
// cannot be read.
bool is_4d_scene_file(const std::filesystem::path& path);
// A 4D PLY or an .s4d file (by content).
GaussianCloud4d read_4d_scene(const std::filesystem::path& path);

} // namespace splatscape
