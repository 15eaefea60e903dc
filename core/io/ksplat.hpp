#pragma once
// .ksplat, the splat buffer of GaussianSplats3D (mkkellogg), read only. Little-endian:
//   main header (4096 bytes): u8 major 0, u8 minor >= 1, u32 max sections @4, u32 sections @8,
//     u32 max splats @12, u32 splats @16, u16 compression level @20 (0, 1, 2), f32 scene centre
//     @24, f32 min / max SH value @36 / @40 (level 2's 8-bit SH range; 0 means -+1.5);
//   one 1024-byte header per section (max sections of them): u32 splats, u32 max splats,
//     u32 bucket capacity, u32 buckets, f32 bucket block size, u16 bucket storage bytes @20,
//     u32 position quantisation range @24 (0: 32767), u32 full buckets @32, u32 partly filled
//     buckets @36, u16 SH degree @40;
//   then per section: u32 sizes of the partly filled buckets, the buckets' centres (3 f32 each),
//     and max-splats records of: centre (level 0: 3 f32; else 3 u16, offset from the bucket's
//     centre in units of block size / 2 / range, biased by range), scale (linear; 3 f32 / f16),
//     rotation (w x y z; 4 f32 / f16), colour and opacity (4 u8), SH beyond DC (f32 / f16 / u8 in
//     [min, max]) grouped by band, each band channel-major (r's coefficients, then g's, then b's).
// The frame is the PLY's (internal RDF), as GaussianSplats3D reads PLY files without conversion.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

GaussianCloud decode_ksplat(const uint8_t* data, size_t size, const std::string& file);
GaussianCloud read_ksplat(const std::filesystem::path& path);

} // namespace splatscape
