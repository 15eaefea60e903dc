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
// With KHR_gaussian_splatting_compression_spz_2 (GltfOptions::spz, what CesiumJS renders as splats)
// the primitive's data is one SPZ stream (version 3, or 2 by GltfOptions::spz_version; core/io/spz.hpp)
// in a buffer view named by
// extensions.KHR_gaussian_splatting.extensions.KHR_gaussian_splatting_compression_spz_2.bufferView,
// holding the glTF frame as it is; the attributes (POSITION with min/max, COLOR_0, :SCALE, :ROTATION,
// :SH_DEGREE_l_COEF_n for l >= 1) are accessors without a buffer view that give counts and types.
// Values then round-trip within SPZ's quantisation.
//
// Round trip: positions and SH exact (sign flips only); scale through exp/log (relative error
// ~1e-7); opacity through sigmoid/logit (~1e-7 in probability); rotations normalised.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

struct GltfOptions {
    bool spz = false;    // KHR_gaussian_splatting_compression_spz_2
    int spz_version = 3; // of the SPZ stream: 2 or 3 (gzip, what glTF clients' SPZ decoders read)
};

std::vector<uint8_t> encode_glb(const GaussianCloud& cloud, const GltfOptions& options = {});
// .gltf JSON, buffer as a data URI
std::string encode_gltf_embedded(const GaussianCloud& cloud, const GltfOptions& options = {});
// `base_dir` resolves external buffer URIs of .gltf files; they must stay inside it.
GaussianCloud decode_gltf(const uint8_t* data, size_t size, const std::string& file,
                          const std::filesystem::path& base_dir = {});

// .glb or .gltf by extension
void write_gltf(const std::filesystem::path& path, const GaussianCloud& cloud, const GltfOptions& options = {});
GaussianCloud read_gltf(const std::filesystem::path& path);

} // namespace splatscape
