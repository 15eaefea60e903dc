#include "training/checkpoint.hpp"

#include <cstring>
#include <set>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/byte_writer.hpp"

namespace splatscape {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'L', 'T', 'C', 'K', 'P', 'T'};
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr uint32_t kMaxTypeBytes = 64;
constexpr uint32_t kMaxMetaBytes = 16u << 20;
constexpr uint32_t kMaxTensors = 1024;
constexpr uint32_t kMaxNameBytes = 256;

std::string get_string(ByteReader& r, uint32_t max, const char* field) {
    const uint32_t n = r.read<uint32_t>(field);
    if (n > max) throw Error(r.file(), field, cat("length ", n, " exceeds the limit of ", max, " bytes"));
    r.require(n, 1, field);
    std::string s(reinterpret_cast<const char*>(r.current()), n);
    r.skip(n, field);
    return s;
}

} // namespace

const HostTensor* CheckpointData::find(const std::string& name) const {
    for (auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<uint8_t> encode_checkpoint(const CheckpointData& d) {
    std::vector<uint8_t> payload;
    append_string(payload, d.model_type);
    append_string(payload, d.meta.dump());
    append_value<uint32_t>(payload, uint32_t(d.tensors.size()));
    for (const auto& t : d.tensors) {
        append_string(payload, t.name);
        append_value<uint64_t>(payload, t.rows);
        append_value<uint32_t>(payload, t.cols);
        append_value<uint32_t>(payload, t.dtype == DType::F32 ? 0u : 1u);
        payload.insert(payload.end(), t.data.begin(), t.data.end());
    }
    std::vector<uint8_t> out(kMagic, kMagic + 8);
    append_value<uint32_t>(out, kCheckpointVersion);
    append_value<uint32_t>(out, 0);
    append_value<uint64_t>(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
    append_value<uint64_t>(out, fnv1a64(payload.data(), payload.size()));
    return out;
}

CheckpointData decode_checkpoint(const uint8_t* bytes, size_t size, const std::string& file) {
    ByteReader r(bytes, size, file);
    char magic[8];
    r.read_bytes(magic, 8, "magic");
    if (std::memcmp(magic, kMagic, 8) != 0)
        throw Error(file, "magic", "not a Splatscape checkpoint (expected the bytes SPLTCKPT at the start)");
    const uint32_t version = r.read<uint32_t>("version");
    if (version != kCheckpointVersion)
        throw Error(file, "version",
                    cat("checkpoint format version ", version, "; this build reads version ", kCheckpointVersion));
    r.read<uint32_t>("flags");
    const uint64_t payload_size = r.read<uint64_t>("payload size");
    if (payload_size != uint64_t(size) - kHeaderBytes - 8 || size < kHeaderBytes + 8)
        throw Error(file, "payload size",
                    cat("header says ", payload_size, " bytes, the file holds ",
                        size >= kHeaderBytes + 8 ? size - kHeaderBytes - 8 : 0, " (truncated or corrupted)"));
    const uint8_t* payload = bytes + kHeaderBytes;
    uint64_t stored_hash;
    std::memcpy(&stored_hash, bytes + size - 8, 8);
    if (fnv1a64(payload, payload_size) != stored_hash)
        throw Error(file, "checksum", "the checkpoint's contents do not match its checksum (corrupted file)");

    ByteReader p(payload, payload_size, file);
    CheckpointData d;
    d.model_type = get_string(p, kMaxTypeBytes, "model type");
    d.meta = parse_json(get_string(p, kMaxMetaBytes, "metadata"), file + " (metadata)");
    if (!d.meta.is_object()) throw Error(file, "metadata", "expected a JSON object");
    const uint32_t count = p.read<uint32_t>("tensor count");
    if (count > kMaxTensors) throw Error(file, "tensor count", cat(count, " exceeds the limit of ", kMaxTensors));
    std::set<std::string> names;
    for (uint32_t i = 0; i < count; ++i) {
        HostTensor t;
        t.name = get_string(p, kMaxNameBytes, "tensor name");
        const std::string field = "tensor " + t.name;
        if (!names.insert(t.name).second) throw Error(file, field, "appears twice");
        t.rows = p.read<uint64_t>(field.c_str());
        t.cols = p.read<uint32_t>(field.c_str());
        const uint32_t dtype = p.read<uint32_t>(field.c_str());
        if (dtype > 1) throw Error(file, field, cat("unknown element type ", dtype, " (expected 0 or 1)"));
        t.dtype = dtype == 0 ? DType::F32 : DType::I32;
        if (t.cols == 0 || t.cols > 4096) throw Error(file, field, cat("column count ", t.cols, " outside 1..4096"));
        // Bounds checked before allocating: rows * cols elements of 4 bytes must be present.
        if (t.rows > p.remaining() / 4 / t.cols)
            throw Error(file, field,
                        cat(t.rows, " x ", t.cols, " elements do not fit in the ", p.remaining(),
                            " bytes left (truncated or corrupted)"));
        t.data.resize(size_t(t.rows) * t.cols * 4);
        p.read_bytes(t.data.data(), t.data.size(), field.c_str());
        d.tensors.push_back(std::move(t));
    }
    if (p.remaining() != 0) throw Error(file, "payload", cat(p.remaining(), " unexpected bytes after the last tensor"));
    return d;
}

void write_checkpoint(const std::filesystem::path& path, const CheckpointData& data) {
    write_file_atomic(path, encode_checkpoint(data));
}

CheckpointData read_checkpoint(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path);
    return decode_checkpoint(bytes.data(), bytes.size(), path.string());
}

} // namespace splatscape
