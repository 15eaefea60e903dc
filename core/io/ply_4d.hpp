#pragma once
// The 4D Gaussian PLY that Splatscape writes and reads (gs4d runs: RUN/point_cloud.ply). Binary
// little-endian, one `vertex` element, properties read by name:
//
//   x y z t                   spatial mean (OpenCV/COLMAP world frame) and temporal mean
//   f_dc_0..2                 spatial SH band 0 of temporal frequency 0, as in the 3DGS layout
//   f_rest_*                  the other spatial coefficients of frequency 0, channel-major as the 3DGS
//                             reference writes them (f_rest_{c * (K - 1) + k - 1}); 0, 9, 24 or 45
//                             of them give the spatial degree 0..3
//   f_t<n>_*                  every spatial coefficient of temporal frequency n = 1..N (cos(2 pi n dt / T)),
//                             channel-major: f_t<n>_{c * K + k}, 3 K of them per frequency; the
//                             highest n present is the temporal degree
//   opacity                   logit
//   scale_0..3                log-scales x y z t (before the 4D rotation)
//   rot_0..3                  left quaternion of the 4D rotation, w x y z (rot_0 = w)
//   rotr_0..3                 right quaternion, w x y z
//
// and header comments `comment time_range <min> <max>` and `comment time_period <T>` (absent:
// [0, 1] and the range's length). A file is 4D when its vertices have `t` and `rotr_0`; 3DGS
// readers that ignore unknown properties would see the frequency-0 Gaussians without motion.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud_4d.hpp"

namespace splatscape {

// Whether a PLY file holds 4D Gaussians (reads the header only). False for other PLYs and
// non-PLY files; throws Error only when the file cannot be read.
bool is_gaussian_4d_ply(const std::filesystem::path& path);
bool is_gaussian_4d_ply(const uint8_t* data, size_t size);

GaussianCloud4d read_gaussian_4d_ply(const std::filesystem::path& path);
GaussianCloud4d read_gaussian_4d_ply(const uint8_t* data, size_t size, const std::string& file);
// Writes the layout above atomically.
void write_gaussian_4d_ply(const std::filesystem::path& path, const GaussianCloud4d& cloud);
std::vector<uint8_t> encode_gaussian_4d_ply(const GaussianCloud4d& cloud);

} // namespace splatscape
