#pragma once
// The `.sags` run artifact: a trained structure-aware Gaussian splatting model (core/sags_scene.hpp)
// with everything needed to decode it (points, features, scales, hash table, affine, networks, the
// training cameras). docs/training.md describes it for users.
//
// Layout (little-endian), version 2 (version 1 is read too: the same, without encodings 2 and 3):
//   char[8]  magic "SPLTSAGS"
//   u32      format version (kSagsVersion; a reader refuses newer versions by name)
//   u32      flags: bit 0 set for SAGS-Lite (mirrors the header's "lite")
//   u64      payload size in bytes (the file is exactly 24 + payload + 8 bytes)
//   payload:
//     u32 + bytes  header JSON (at most 1 MiB): "points" N, "cameras" V, "feature_dim",
//                  "neighbours", "learned_edges", "local_residual" (absent: false), "point_frames"
//                  (absent: false), "voxel_size", "lite", "lite_neighbours",
//                  "hash" {levels, features, log2_table, base_resolution, growth}, "frame" [x, y, z, size],
//                  "networks" {opacity, color, covariance, offset[, edge]}: each {inputs, hidden,
//                  hidden_layers, outputs, hidden_activation, output_activation}
//     u32          section count (at most 32)
//     per section: u32 + bytes name (at most 64), u64 rows, u32 cols, u32 encoding, then
//                  encoding 0: rows * cols float32;  1: rows * cols float16;
//                  2 (3): cols pairs of float32 (low, step), then rows * cols u8 (u16) codes q,
//                  each value low_c + q * step_c (linear quantisation per column)
//   u64      FNV-1a 64 hash of the payload
// Sections: points [N, 3], features [N, feature_dim], scales [N, 6], hash [R, hash.features],
// affine [E, 2], mlp.opacity / mlp.color / mlp.covariance / mlp.offset [P, 1] (mlp.edge with
// learned edges), cameras [V, 18]. By default (SagsFileOptions, "compact") the writer stores
// features, scales and the hash table as 8-bit codes and the rest as float32 (points included: the
// model's neighbour graph is rebuilt from them, and 16-bit codes moved points enough to change it). A reader checks
// every count against the header and the bytes present before allocating, the networks against the encoder's widths,
// and every value for finiteness; one Error names the file, the field and what was expected.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/sags_scene.hpp"

namespace splatscape {

constexpr uint32_t kSagsVersion = 2;

// How a section's values are stored (the section's `encoding` field).
enum class SagsPrecision : uint32_t { Float32 = 0, Float16 = 1, Linear8 = 2, Linear16 = 3 };

// The encodings of the per-point and hash sections (networks, affine and cameras stay float32).
struct SagsFileOptions {
    SagsPrecision points = SagsPrecision::Float32;
    SagsPrecision features = SagsPrecision::Linear8;
    SagsPrecision scales = SagsPrecision::Linear8;
    SagsPrecision hash = SagsPrecision::Linear8;

    static SagsFileOptions uniform(SagsPrecision p) { return {p, p, p, p}; }
    // "compact" (the default above), "half" (float32 points, the rest float16, as version 1 files
    // were written) or "full" (float32).
    static SagsFileOptions named(const std::string& name);
};

// Does not validate (tests write malformed files with it).
std::vector<uint8_t> encode_sags(const SagsScene& scene, const SagsFileOptions& options = {});
SagsScene decode_sags(const uint8_t* data, size_t size, const std::string& file);
// Validates, then writes atomically.
void write_sags(const std::filesystem::path& path, const SagsScene& scene, const SagsFileOptions& options = {});
SagsScene read_sags(const std::filesystem::path& path);
// Whether the file starts with the .sags magic (false when it cannot be read).
bool is_sags_file(const std::filesystem::path& path);

// IEEE half precision, round to nearest even (NaN stays NaN, overflow becomes infinity).
uint16_t float_to_half(float value);
float half_to_float(uint16_t value);

} // namespace splatscape
