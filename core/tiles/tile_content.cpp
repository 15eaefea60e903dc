#include "core/tiles/tile_content.hpp"

#include "core/io/gltf.hpp"

namespace splatscape {

std::vector<uint8_t> encode_tile(const GaussianCloud& cloud, const TileEncoding& e) {
    cloud.validate("tile writer input");
    GltfOptions o;
    o.spz = e.spz;
    o.spz_version = e.spz_version;
    return encode_glb(cloud, o);
}

GaussianCloud decode_tile(const uint8_t* data, size_t size, const std::string& file) {
    return decode_gltf(data, size, file);
}

} // namespace splatscape
