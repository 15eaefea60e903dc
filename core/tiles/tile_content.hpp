#pragma once
// Tile contents of a tiled scene: glTF binary (.glb) with KHR_gaussian_splatting, either with plain
// float attributes or SPZ-compressed with KHR_gaussian_splatting_compression_spz_2 as CesiumJS reads
// it. Both are written and read by core/io/gltf.hpp (GltfOptions::spz); in short, for the compressed
// kind:
//   - the primitive's KHR_gaussian_splatting object has extensions.KHR_gaussian_splatting_compression_spz_2
//     = {bufferView}, and that buffer view holds one SPZ stream (gzip, version 2 by default here:
//     every SPZ reader reads it; 3 on request);
//   - accessors POSITION (with min/max), COLOR_0, KHR_gaussian_splatting:SCALE, :ROTATION and
//     :SH_DEGREE_l_COEF_n have a type and count but no buffer view (the data is in the SPZ stream);
//     both extensions are in extensionsUsed and extensionsRequired (and tileset.json lists both in
//     extensions.3DTILES_content_gltf.extensionsRequired, core/tiles/tileset.cpp);
//   - the SPZ stream holds the glTF-frame values as they are (CesiumJS decodes it with the coordinate
//     system UNSPECIFIED); from the internal RDF frame that is the glTF turn p' = (-x, -y, z).
#include <cstdint>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

constexpr const char* kSpzCompressionExtension = "KHR_gaussian_splatting_compression_spz_2";

struct TileEncoding {
    bool spz = false;    // SPZ-compressed (smaller, quantised as SPZ quantises: core/io/spz.hpp)
    int spz_version = 2; // 2 or 3 inside the glTF
};

std::vector<uint8_t> encode_tile(const GaussianCloud& cloud, const TileEncoding& encoding);
// Either kind of tile (and any glTF core/io/gltf.hpp reads); throws Error naming `file` and the field.
GaussianCloud decode_tile(const uint8_t* data, size_t size, const std::string& file);

} // namespace splatscape
