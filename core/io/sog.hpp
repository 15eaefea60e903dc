#pragma once
// PlayCanvas SOG ("spatially ordered Gaussians", version 2, as @playcanvas/splat-transform writes
// and reads it): a meta.json and lossless WebP textures, either as files beside meta.json or
// bundled in one ZIP archive (.sog). Every texture holds one splat per texel, row-major, in a
// W x H image (W = 4 ceil(sqrt(N) / 4), H = 4 ceil(N / W / 4)):
//   means_l / means_u  low and high bytes of a 16-bit value per axis (RGB): the position through
//                      t(x) = sign(x) ln(|x| + 1), spread between meta.means.mins and maxs;
//   quats              "smallest three" of the unit rotation (w x y z order): RGB = 255 (c sqrt2 / 2
//                      + 1/2) for the three other components in index order, A = 252 + index of
//                      the largest one (stored positive);
//   scales             RGB index meta.scales.codebook (256 log-scales);
//   sh0                RGB index meta.sh0.codebook (256 SH DC values), A = opacity (probability) x 255;
//   shN (optional)     shN_labels: a 16-bit palette index per splat (R low, G high); shN_centroids:
//                      palette entry p at row p / 64, columns (p mod 64) C .. + C - 1 for its C =
//                      (bands + 1)^2 - 1 coefficients, RGB indexing meta.shN.codebook (256 values).
// The frame is the PLY's (internal RDF): no conversion. Writing keeps the splats' order (the tool
// reorders along a Morton curve for smaller textures), fits the codebooks by 1D k-means, and gives
// every splat its own palette entry up to 65,536 splats; beyond that the palette is a median-cut
// partition of the SH vectors into 65,536 cells (their means).
//
// Round trip: position |error| <= (range of t) / 131070 per axis in t, i.e. about 1.5e-5 x (1 + |x|)
// for a scene of size 10; log-scale, DC and SH within the codebooks' cells (typically 1e-3 .. 1e-2);
// rotation within sqrt2 / 2 / 255 per component (0.82 degrees at most measured on 3000 random
// rotations); opacity within 0.5/255.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

// A bundled .sog archive (ZIP with meta.json and the textures).
std::vector<uint8_t> encode_sog(const GaussianCloud& cloud);
GaussianCloud decode_sog(const uint8_t* data, size_t size, const std::string& file);
// `path` is a .sog archive, or a meta.json with its textures beside it; writing picks by name the
// same way (meta.json: the textures are written beside it).
void write_sog(const std::filesystem::path& path, const GaussianCloud& cloud);
GaussianCloud read_sog(const std::filesystem::path& path);

} // namespace splatscape
