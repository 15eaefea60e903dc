#pragma once
// Writing Splatscape's own binary files (checkpoints, .sags, .hmohe): values appended to a byte
// buffer in the machine's (little-endian) order, length-prefixed strings, and the FNV-1a 64
// checksum their headers carry. ByteReader (core/file_util.hpp) reads them back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace splatscape {

// FNV-1a 64 of `size` bytes.
inline uint64_t fnv1a64(const uint8_t* data, size_t size) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; ++i) {
        h ^= data[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

// The bytes of a plain value.
template <class T>
void append_value(std::vector<uint8_t>& out, T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}

// A u32 byte count, then the bytes.
inline void append_string(std::vector<uint8_t>& out, const std::string& s) {
    append_value<uint32_t>(out, uint32_t(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}

} // namespace splatscape
