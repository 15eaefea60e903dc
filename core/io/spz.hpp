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
//
// Frame. Niantic's spec stores RUB (x right, y up, z back); PlayCanvas's splat-transform (the reader
// behind SuperSplat, and the main writer of v4 files) reads and writes the bytes as they are, in the
// PLY frame (RDF). Version 4 can say which it is: an extension record SPZ_ADOBE_coordinate_system
// (header flag 0x2; records between the 32-byte header and the TOC, each u32 type, u32 byte length,
// payload; this one is type 0xADBE0003 with a u32 holding spz::CoordinateSystem: RUB 4, RDF 6, ...),
// which Niantic's reference library honours when it loads and splat-transform skips. So the default
// write is v4 in RDF with that record: upright in SuperSplat (bytes as PLY) and in Niantic's reader
// (record). v2/v3 have no record: written in RUB (the spec) unless asked otherwise. Reading takes the
// record's frame, else RUB, unless the caller names the frame (SpzReadOptions).
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
#include <optional>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

constexpr uint32_t kSpzMagic = 0x5053474e; // "NGSP"

// Frames an SPZ file may hold that are turns of the internal RDF frame (the rest of
// spz::CoordinateSystem are mirror images or swap axes, and are refused).
enum class SpzFrame { Rdf, Rub, Luf, Ldb };
const char* to_string(SpzFrame frame);                            // "RDF", ...
std::optional<SpzFrame> parse_spz_frame(const std::string& name); // "rub", "RDF", ... (any case)

struct SpzOptions {
    int version = 4; // 2, 3 (gzip) or 4 (zstd)
    // The frame of the bytes; unset: RDF with its record in v4, RUB (the spec's) in v2/v3.
    std::optional<SpzFrame> frame;
    int sh1_bits = 5;     // band-1 SH precision, 1..8
    int sh_rest_bits = 4; // bands 2-3, 1..8
    bool antialiased = false;
};

struct SpzReadOptions {
    std::optional<SpzFrame> frame; // the frame the bytes are in; unset: the file's record, else RUB
};

// The frame a writer with these options stores (the default resolved).
SpzFrame spz_write_frame(const SpzOptions& options);

std::vector<uint8_t> encode_spz(const GaussianCloud& cloud, const SpzOptions& options = {});
GaussianCloud decode_spz(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& options = {});
void write_spz(const std::filesystem::path& path, const GaussianCloud& cloud, const SpzOptions& options = {});
GaussianCloud read_spz(const std::filesystem::path& path, const SpzReadOptions& options = {});

// The version of an SPZ file (2, 3 or 4), read from its first bytes; throws Error when not SPZ.
int spz_version(const uint8_t* data, size_t size, const std::string& file);

// What the header says, and the frame a reader with `options` takes the bytes to be in.
struct SpzHeaderInfo {
    int version = 0;
    uint32_t count = 0;
    int sh_degree = 0;
    SpzFrame frame = SpzFrame::Rub;
    std::string frame_source; // "recorded in the file", "given", or "assumed: ..."
};
SpzHeaderInfo spz_header_info(const uint8_t* data, size_t size, const std::string& file,
                              const SpzReadOptions& options = {});

} // namespace splatscape
