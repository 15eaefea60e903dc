// Extensions and buffer-reference types every compute shader here uses. All buffers are reached
// through device addresses, so no binding hits maxStorageBufferRange (128 MiB on lavapipe) and
// scenes of several million Gaussians fit.
#ifndef SPLATSCAPE_COMMON_GLSL
#define SPLATSCAPE_COMMON_GLSL

#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference2 : require
#extension GL_EXT_scalar_block_layout : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_KHR_shader_subgroup_vote : require
#extension GL_KHR_shader_subgroup_shuffle : require

layout(buffer_reference, scalar, buffer_reference_align = 4) buffer UintBuf { uint v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 4) buffer FloatBuf { float v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 8) buffer Uvec2Buf { uvec2 v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 16) buffer Vec4Buf { vec4 v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 16) buffer Uvec4Buf { uvec4 v[]; };

// Position of this invocation in subgroup-major order. Scans and the key generation order their
// elements this way so that subgroup operations see consecutive elements (Vulkan does not promise
// that gl_LocalInvocationIndex is laid out like this, though drivers do).
uint subgroup_major_index() { return gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID; }

// Large dispatches are split over x and y (x at most 65535 groups); this is the linear group index.
uint linear_group_id() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

#endif
