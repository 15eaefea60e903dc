// The one translation unit that compiles tinygltf's implementation (see tinygltf_config.hpp).
#define TINYGLTF_IMPLEMENTATION
#include "core/io/tinygltf_config.hpp"
