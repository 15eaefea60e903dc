#include "shaders/embedded_spirv.hpp"

#include <string>

#include "core/error.hpp"

namespace splatscape::shaders {

std::span<const uint32_t> spirv(std::string_view name) {
    for (size_t i = 0; i < kSpirvModuleCount; ++i)
        if (name == kSpirvModules[i].name) return {kSpirvModules[i].words, kSpirvModules[i].word_count};
    throw Error(cat("no embedded shader named '", std::string(name), "' in this build"));
}

} // namespace splatscape::shaders
