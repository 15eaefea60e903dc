// libFuzzer target: COLMAP cameras, images and points3D, text and binary (core/io/colmap.hpp).
// Every input goes through all six parsers; a parsed binary model must also survive re-encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "core/io/colmap.hpp"

using namespace splatscape;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto cameras = parse_colmap_cameras_binary(data, size, "cameras.bin");
        auto bytes = encode_colmap_cameras_binary(cameras);
        if (bytes.size() > size) __builtin_trap(); // re-encoding never grows a parsed file
    } catch (const Error&) {
    }
    try {
        parse_colmap_images_binary(data, size, "images.bin");
    } catch (const Error&) {
    }
    try {
        parse_colmap_points3d_binary(data, size, "points3D.bin", /*with_observations=*/false);
    } catch (const Error&) {
    }
    try {
        auto cameras = parse_colmap_cameras_text(text, "cameras.txt");
        encode_colmap_cameras_text(cameras);
    } catch (const Error&) {
    }
    try {
        parse_colmap_images_text(text, "images.txt");
    } catch (const Error&) {
    }
    try {
        parse_colmap_points3d_text(text, "points3D.txt");
    } catch (const Error&) {
    }
    return 0;
}
