#pragma once
// Niantic's SPZ ("splat zip"). Read: versions 2 and 3 (a gzip stream holding a 16-byte header and
// the attribute arrays; also accepted uncompressed) and 4 (a plain 32-byte header, a table of
// contents and one zstd stream per attribute). Write: version 3 by default, 2 or 4 on request.
//
// Layout (little-endian): header {magic "NGSP", version, count, sh_degree, fractional_bits, flags,
// reserved} then, per attribute for all splats: positions (3 x 24-bit fixed point), alphas (u8),
// colours (3 x u8), scales (3 x u8), rotations (v2: 3 x u8 of x y z with w >= 0; v3+: 4 bytes,
// "smallest three": 2-bit index of the largest component, 3 x (sign + 9-bit magnitude)), SH
// (u8 per coefficient, [dim, 3] colour-inner, without the DC term). v4 stores the same arrays as
// separate zstd streams listed by {compressed, uncompressed} u64 pairs at the header's TOC offset.
// SPZ's frame is RUB; points are converted to and from the internal RDF frame (frame_convert.hpp).
//
// Quantisation bounds of a round trip (writer: 12 fractional bits unless the scene needs fewer):
//   position  |error| <= 2^-(bits+1) per axis (1.2e-4 at 12 bits; range +-2048 at 12 bits);
//   log-scale |error| <= 1/32 within [-10, 5.94] (values outside are clamped);
//   rotation  v3/v4: the three smaller components to 0.5/511 of 1/sqrt(2), angle error < 0.25 deg
//             (measured 0.20); v2: x y z to 1/255 and w derived from them, so the error grows as
//             w -> 0, up to 13.4 deg (measured 8.9 on 3000 random rotations);
//   opacity   |error| <= 0.5/255 in probability (clamped to [0.5/255, 1 - 0.5/255] on read);
//   colour    SH DC to 0.5 / (0.15 * 255) = 0.013 (colour 0.0037) within DC in [-3.33, 3.33];
//   SH        band 1: 5 bits, |error| <= 1/32 + 1/256; bands 2-3: 4 bits, <= 1/16 + 1/256;
//             within [-1, 127/128] (clamped outside).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

constexpr uint32_t kSpzMagic = 0x5053474e; // "NGSP"

struct SpzOptions {
    int version = 3;      // 2, 3 or 4
    int sh1_bits = 5;     // band-1 SH precision, 1..8
    int sh_rest_bits = 4; // bands 2-3, 1..8
    bool antialiased = false;
};

std::vector<uint8_t> encode_spz(const GaussianCloud& cloud, const SpzOptions& options = {});
GaussianCloud decode_spz(const uint8_t* data, size_t size, const std::string& file);
void write_spz(const std::filesystem::path& path, const GaussianCloud& cloud, const SpzOptions& options = {});
GaussianCloud read_spz(const std::filesystem::path& path);

// The version of an SPZ file (2, 3 or 4), read from its first bytes; throws Error when not SPZ.
int spz_version(const uint8_t* data, size_t size, const std::string& file);

} // namespace splatscape
