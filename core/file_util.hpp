#pragma once
// Small file helpers shared by every reader and writer.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace splatscape {

namespace fs = std::filesystem;

// Whole file into memory; throws Error naming the file when it is missing or unreadable.
// `max_bytes` guards against reading something absurd by mistake.
std::vector<uint8_t> read_file_bytes(const fs::path& path, uint64_t max_bytes = uint64_t(1) << 36);
std::string read_file_text(const fs::path& path, uint64_t max_bytes = uint64_t(1) << 30);

// Writes to "<path>.tmp-<pid>" and renames over `path`, so readers never see a half-written file.
void write_file_atomic(const fs::path& path, const void* data, size_t size);
inline void write_file_atomic(const fs::path& path, const std::string& text) {
    write_file_atomic(path, text.data(), text.size());
}
inline void write_file_atomic(const fs::path& path, const std::vector<uint8_t>& bytes) {
    write_file_atomic(path, bytes.data(), bytes.size());
}

// Lower-case extension with the dot (".ply"); "" when none.
std::string lower_extension(const fs::path& path);

// A bounds-checked little-endian reader over a byte buffer: every read that would run past the
// end throws Error(file, field, "truncated ...") instead of reading out of bounds.
class ByteReader {
public:
    ByteReader(const uint8_t* data, size_t size, std::string file) : m_data(data), m_size(size), m_file(std::move(file)) {}

    size_t offset() const { return m_offset; }
    size_t remaining() const { return m_size - m_offset; }
    const std::string& file() const { return m_file; }
    void seek(size_t offset, const char* field);
    void skip(size_t bytes, const char* field);
    // Throws unless `count` elements of `element_size` bytes remain (overflow-safe).
    void require(uint64_t count, uint64_t element_size, const char* field) const;
    void read_bytes(void* out, size_t bytes, const char* field);
    const uint8_t* current() const { return m_data + m_offset; }

    template <class T>
    T read(const char* field) {
        T value;
        read_bytes(&value, sizeof(T), field);
        return value;
    }
    std::string read_cstring(const char* field, size_t max_length = 1 << 16);

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_offset = 0;
    std::string m_file;
};

}  // namespace splatscape
