#pragma once
// The NeRF model file (.hmohe): a trained hmohe model (core/nerf_scene.hpp) for `view`, `render`,
// `eval`, `info` and `distill`.
//
// Layout (little-endian):
//   char[8]  magic "SPLTNERF"
//   u32      format version (kNerfFileVersion)
//   u32      flags (0)
//   u64      header size in bytes, at most 1 MiB
//   header   JSON: model, space (center, scale, cascades, resolution, min_step, max_step, cone_angle,
//            max_samples, stop_transmittance), occupancy_words, geometry_features, sh_degree,
//            appearance [A floats], background [3], and the layouts of gate_grid, gate_mlp,
//            expert_grids[E], expert_mlps[E], colour_mlp (grids: features, table_size, resolution[L],
//            offset[L + 1], hashed; MLPs: widths, hidden_activation, output_activation)
//   blobs    occupancy (u32 x occupancy_words), then float32 arrays: gate grid table, gate MLP,
//            for each expert its grid table and MLP, the colour MLP
//   u64      FNV-1a 64 of everything from the version to the end of the blobs
// The reader checks every count against the layout and the bytes present before allocating, and
// the hash; a bad file gives one Error naming the file and the field.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/nerf_scene.hpp"

namespace splatscape {

constexpr uint32_t kNerfFileVersion = 1;

std::vector<uint8_t> encode_nerf_scene(const NerfScene& scene);
NerfScene decode_nerf_scene(const uint8_t* bytes, size_t size, const std::string& file);
// Atomic write (temporary file, then rename); creates the parent folder.
void write_nerf_scene(const std::filesystem::path& path, const NerfScene& scene);
NerfScene read_nerf_scene(const std::filesystem::path& path);
// Whether a file starts with the NeRF magic.
bool is_nerf_file(const std::filesystem::path& path);

} // namespace splatscape
