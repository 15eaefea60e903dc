#pragma once
// glTF 2.0 (.glb binary, .gltf with embedded buffers) with KHR_gaussian_splatting (the Release
// Candidate text): one POINTS primitive per scene with POSITION, KHR_gaussian_splatting:ROTATION
// (unit quaternion x y z w), :SCALE (linear, non-negative), :OPACITY (probability), :SH_DEGREE_l_COEF_n
// (RGB per coefficient, m = -l..l), COLOR_0 as the point-cloud fallback (linear RGB + opacity), and
// the extension object {kernel "ellipse", colorSpace "srgb_rec709_display", projection, sortingMethod}.
//
// Frame: glTF is +y up, +z the asset's front, +x its left (LUF); from the internal RDF frame that
// is a 180-degree turn about z: p' = (-x, -y, z), q' = (w, -qx, -qy, qz), SH coefficient of order m
// times (-1)^m (frame_convert.hpp). Reading applies each node's global transform (translation,
// rotation, uniform scale; SH rotated with it) and converts back.
//
// Reading accepts the quantised component types the extension allows (normalised byte/short
// rotations, u8/u16 scales and opacities) and files from the pre-release drafts whose SCALE holds
// log-scales (any negative value marks a primitive as such).
//
// Round trip: positions and SH exact (sign flips only); scale through exp/log (relative error
// ~1e-7); opacity through sigmoid/logit (~1e-7 in probability); rotations normalised.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

std::vector<uint8_t> encode_glb(const GaussianCloud& cloud);
std::string encode_gltf_embedded(const GaussianCloud& cloud); // .gltf JSON, buffer as a data URI
// `base_dir` resolves external buffer URIs of .gltf files; they must stay inside it.
GaussianCloud decode_gltf(const uint8_t* data, size_t size, const std::string& file,
                          const std::filesystem::path& base_dir = {});

void write_gltf(const std::filesystem::path& path, const GaussianCloud& cloud); // .glb or .gltf by extension
GaussianCloud read_gltf(const std::filesystem::path& path);

} // namespace splatscape
