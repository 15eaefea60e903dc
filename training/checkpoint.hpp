#pragma once
// Training checkpoints: everything needed to continue a run exactly where it stopped.
//
// File layout (little-endian):
//   char[8]  magic "SPLTCKPT"
//   u32      format version (kCheckpointVersion)
//   u32      flags (0)
//   u64      payload size in bytes
//   payload:
//     u32 + bytes   model type ("gs3d"), at most 64 bytes
//     u32 + bytes   metadata JSON (iteration, optimizer step, RNG state, run config), at most 16 MiB
//     u32           tensor count, at most 1024
//     per tensor:   u32 + bytes name (at most 256), u64 rows, u32 cols, u32 dtype (0 f32, 1 i32),
//                   rows * cols * 4 bytes of data
//   u64      FNV-1a 64 hash of the payload
// Readers check every size against the bytes present before allocating and verify the hash.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_util.hpp"
#include "training/tensor.hpp"

namespace splatscape {

constexpr uint32_t kCheckpointVersion = 1;

struct HostTensor {
    std::string name;
    uint64_t rows = 0;
    uint32_t cols = 0;
    DType dtype = DType::F32;
    std::vector<uint8_t> data; // rows * cols * 4 bytes
};

struct CheckpointData {
    std::string model_type;
    Json meta = Json::object();
    std::vector<HostTensor> tensors;
    const HostTensor* find(const std::string& name) const;
};

std::vector<uint8_t> encode_checkpoint(const CheckpointData& data);
CheckpointData decode_checkpoint(const uint8_t* bytes, size_t size, const std::string& file);
// Atomic write (temporary file, then rename).
void write_checkpoint(const std::filesystem::path& path, const CheckpointData& data);
CheckpointData read_checkpoint(const std::filesystem::path& path);

} // namespace splatscape
