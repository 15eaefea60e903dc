// Lets one header declare structs and constants for both C++ and GLSL.
// GLSL side: every struct is read through buffer references or push constants declared with the
// scalar block layout (GL_EXT_scalar_block_layout), whose offsets are C's natural ones, so the C++
// compiler's layout matches as long as each member sits at a multiple of its own size. The headers
// that use this one check sizes and offsets with static_asserts.
#ifndef SPLATSCAPE_GPU_COMPAT_H
#define SPLATSCAPE_GPU_COMPAT_H

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>

#include <glm/vec2.hpp>
#include <glm/vec4.hpp>

namespace splatscape::gpu {
using uint = uint32_t;
using vec2 = glm::vec2;
using vec4 = glm::vec4;
using uvec2 = glm::uvec2;
using uvec4 = glm::uvec4;
using address = uint64_t;  // a VkDeviceAddress
}  // namespace splatscape::gpu
#define SPLATSCAPE_GPU_BEGIN namespace splatscape::gpu {
#define SPLATSCAPE_GPU_END }
#define SPLATSCAPE_CONST(type, name, value) inline constexpr type name = value;
#define SPLATSCAPE_CHECK_LAYOUT(type, size) static_assert(sizeof(type) == (size), #type " size differs from GLSL");
#define SPLATSCAPE_CHECK_OFFSET(type, member, offset) \
    static_assert(offsetof(type, member) == (offset), #type "." #member " offset differs from GLSL");

#else  // GLSL

#define address uint64_t
#define SPLATSCAPE_GPU_BEGIN
#define SPLATSCAPE_GPU_END
#define SPLATSCAPE_CONST(type, name, value) const type name = value;
#define SPLATSCAPE_CHECK_LAYOUT(type, size)
#define SPLATSCAPE_CHECK_OFFSET(type, member, offset)

#endif
#endif
