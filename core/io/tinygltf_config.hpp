#pragma once
// tinygltf (Debian's libtinygltf-dev) with the same configuration in every translation unit: no
// image decoding or encoding (core already links stb for images; splat primitives carry none), and
// nlohmann_json from the system. Its implementation is compiled once, in tinygltf_impl.cpp.
#define TINYGLTF_NO_STB_IMAGE
#define TINYGLTF_NO_STB_IMAGE_WRITE
#define TINYGLTF_NO_INCLUDE_STB_IMAGE
#define TINYGLTF_NO_INCLUDE_STB_IMAGE_WRITE
#include <tiny_gltf.h>
