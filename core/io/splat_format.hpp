#pragma once
// The antimatter15 ".splat" format: 32 bytes a splat, no header, little-endian:
//   float32 position[3], float32 scale[3] (linear), uint8 rgba[4] (colour of the SH DC term and
//   sigmoid(opacity), both * 255), uint8 rotation[4] (unit quaternion w x y z, q * 128 + 128).
// Splats are sorted by decreasing size times opacity, as the format's viewers expect. Same frame
// as the reference PLY (no conversion). Higher SH bands are dropped.
//
// Quantisation bounds of a round trip: position and scale exact (float32; scale through exp/log,
// relative error ~1e-7); colour 0.5/255 per channel in [0,1] (values outside are clamped);
// opacity 0.5/255 in probability (clamped to [0.5/255, 1-0.5/255] on read); rotation each
// component 1/128 of the unit quaternion.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

constexpr size_t kSplatRecordBytes = 32;

std::vector<uint8_t> encode_splat(const GaussianCloud& cloud);
GaussianCloud decode_splat(const uint8_t* data, size_t size, const std::string& file);
void write_splat(const std::filesystem::path& path, const GaussianCloud& cloud);
GaussianCloud read_splat(const std::filesystem::path& path);

}  // namespace splatscape
