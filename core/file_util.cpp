#include "core/file_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "core/error.hpp"

namespace splatscape {

std::vector<uint8_t> read_file_bytes(const fs::path& path, uint64_t max_bytes) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string(), "", "file not found");
    if (fs::is_directory(path, ec)) throw Error(path.string(), "", "is a directory, expected a file");
    auto size = fs::file_size(path, ec);
    if (ec) throw Error(path.string(), "", "cannot read file size: " + ec.message());
    if (size > max_bytes) throw Error(path.string(), "", cat("file is ", size, " bytes, more than the ", max_bytes, " allowed"));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string(), "", "cannot open file");
    std::vector<uint8_t> bytes(size);
    if (size && !in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size)))
        throw Error(path.string(), "", "read failed");
    return bytes;
}

std::string read_file_text(const fs::path& path, uint64_t max_bytes) {
    auto bytes = read_file_bytes(path, max_bytes);
    return std::string(bytes.begin(), bytes.end());
}

void write_file_atomic(const fs::path& path, const void* data, size_t size) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    fs::path tmp = path;
    tmp += cat(".tmp-", getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(path.string(), "", "cannot open for writing");
        out.write(static_cast<const char*>(data), std::streamsize(size));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            fs::remove(tmp, ec);
            throw Error(path.string(), "", "write failed (disk full?)");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw Error(path.string(), "", "cannot rename temporary file into place: " + ec.message());
    }
}

std::string lower_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

void ByteReader::seek(size_t offset, const char* field) {
    if (offset > m_size) throw Error(m_file, field, cat("offset ", offset, " is past the end of the file (", m_size, " bytes)"));
    m_offset = offset;
}

void ByteReader::skip(size_t bytes, const char* field) {
    if (bytes > remaining()) throw Error(m_file, field, cat("truncated: needs ", bytes, " more bytes, ", remaining(), " left"));
    m_offset += bytes;
}

void ByteReader::require(uint64_t count, uint64_t element_size, const char* field) const {
    if (element_size != 0 && count > remaining() / element_size)
        throw Error(m_file, field,
                    cat("truncated or lying count: ", count, " elements of ", element_size, " bytes need more than the ",
                        remaining(), " bytes left"));
}

void ByteReader::read_bytes(void* out, size_t bytes, const char* field) {
    if (bytes > remaining()) throw Error(m_file, field, cat("truncated: needs ", bytes, " bytes, ", remaining(), " left"));
    std::memcpy(out, m_data + m_offset, bytes);
    m_offset += bytes;
}

std::string ByteReader::read_cstring(const char* field, size_t max_length) {
    const uint8_t* begin = m_data + m_offset;
    size_t limit = std::min(remaining(), max_length);
    const void* nul = std::memchr(begin, 0, limit);
    if (!nul) throw Error(m_file, field, "unterminated string");
    size_t len = static_cast<const uint8_t*>(nul) - begin;
    std::string s(reinterpret_cast<const char*>(begin), len);
    m_offset += len + 1;
    return s;
}

}  // namespace splatscape
