#pragma once
// SPIR-V modules compiled from shaders/*.comp at build time, embedded in the binary.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace splatscape::shaders {

struct SpirvModule {
    const char* name;      // the .comp file name without extension
    const uint32_t* words; // SPIR-V words
    size_t word_count;
};

// The module named `name`; throws Error when this build has no such shader.
std::span<const uint32_t> spirv(std::string_view name);

extern const SpirvModule kSpirvModules[];
extern const size_t kSpirvModuleCount;

} // namespace splatscape::shaders
