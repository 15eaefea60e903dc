#pragma once
// PlayCanvas / SuperSplat "compressed PLY". A binary little-endian PLY with:
//   element chunk: one per 256 splats, float min/max of x y z, of the log-scales, and optionally
//                  of the DC colour (min_r .. max_b);
//   element vertex: uint packed_position (11-10-11 bits, unorm within the chunk's box),
//                   packed_rotation (2-bit index of the largest component of rot_0..rot_3, then
//                   three 10-bit components in (-1/sqrt2, 1/sqrt2)), packed_scale (11-10-11 within
//                   the chunk's log-scale range), packed_color (8-8-8-8: colour, then opacity);
//   element sh (optional): uchar f_rest_0 .. f_rest_{9,24,44}, in the reference PLY's order,
//                   decoded as ((v + 0.5) / 256 - 0.5) * 8, with 0 and 255 meaning -4 and +4.
// The frame is the reference PLY's (internal RDF): no conversion. Writing keeps the splats' order
// (SuperSplat sorts them along a Morton curve first, which makes each chunk's box tighter) and
// stores chunk colour ranges; log-scales are clamped to [-20, 20] as SuperSplat does.
//
// Round trip: position |error| <= (chunk extent) / 4094 per axis (11 bits; 10 bits for y: / 2046);
// log-scale likewise within the chunk's range; rotation components to (sqrt2 / 2) / 1023; colour
// within (chunk range) / 510; opacity 0.5 / 255; SH to 8 / 256 (values outside [-4, 4) clamped).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

constexpr size_t kPlayCanvasChunkSize = 256;

// True when the PLY header has the compressed layout (chunk + vertex.packed_position).
bool is_playcanvas_ply(const uint8_t* data, size_t size);
GaussianCloud decode_playcanvas_ply(const uint8_t* data, size_t size, const std::string& file);
GaussianCloud read_playcanvas_ply(const std::filesystem::path& path);
std::vector<uint8_t> encode_playcanvas_ply(const GaussianCloud& cloud);

} // namespace splatscape
