#include "core/io/zip.hpp"

#include <zlib.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/io/compression.hpp"
#include "core/io/quantize.hpp"

namespace splatscape {
namespace {

using quant::load_u32;
using quant::put_u32;

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr size_t kLocalHeaderBytes = 30;
constexpr size_t kCentralHeaderBytes = 46;
constexpr size_t kEndBytes = 22;
constexpr size_t kMaxComment = 0xffff;
constexpr size_t kMaxEntries = 4096;

uint16_t load_u16(const uint8_t* p) {
    return uint16_t(p[0] | p[1] << 8);
}
void put_u16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(uint8_t(v));
    out.push_back(uint8_t(v >> 8));
}

uint32_t crc32_of(const uint8_t* data, size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        const uInt step = uInt(std::min<size_t>(size, 1u << 30));
        crc = crc32(crc, data, step);
        data += step;
        size -= step;
    }
    return uint32_t(crc);
}

} // namespace

bool is_zip(const uint8_t* data, size_t size) {
    return size >= 4 && load_u32(data) == kLocalSignature;
}

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string file)
    : m_data(data), m_size(size), m_file(std::move(file)) {
    if (size < kEndBytes)
        throw Error(m_file, "zip", cat("truncated: ", size, " bytes is shorter than a ZIP directory"));
    // The end-of-central-directory record sits in the last 22 + (up to 65535 comment) bytes.
    size_t end = size_t(-1);
    const size_t lowest = size > kEndBytes + kMaxComment ? size - kEndBytes - kMaxComment : 0;
    for (size_t at = size - kEndBytes + 1; at-- > lowest;)
        if (load_u32(data + at) == kEndSignature) {
            end = at;
            break;
        }
    if (end == size_t(-1))
        throw Error(m_file, "zip", "no end-of-central-directory record (not a ZIP archive, or cut short)");
    const uint16_t count = load_u16(data + end + 10);
    const uint32_t dir_size = load_u32(data + end + 12), dir_offset = load_u32(data + end + 16);
    if (count == 0xffff || dir_size == 0xffffffffu || dir_offset == 0xffffffffu)
        throw Error(m_file, "zip", "ZIP64 archives are not supported");
    if (count > kMaxEntries) throw Error(m_file, "zip", cat(count, " entries; at most ", kMaxEntries, " are read"));
    if (dir_offset > end || dir_size > end - dir_offset)
        throw Error(m_file, "zip central directory",
                    cat(dir_size, " bytes at ", dir_offset, " run past the end record at ", end));
    size_t at = dir_offset;
    const size_t dir_end = size_t(dir_offset) + dir_size;
    for (uint16_t i = 0; i < count; ++i) {
        const std::string field = cat("zip central directory entry ", i);
        if (dir_end - at < kCentralHeaderBytes || load_u32(data + at) != kCentralSignature)
            throw Error(m_file, field, "truncated or bad signature");
        ZipEntry e;
        const uint16_t flags = load_u16(data + at + 8);
        e.method = load_u16(data + at + 10);
        e.crc32 = load_u32(data + at + 16);
        e.compressed_size = load_u32(data + at + 20);
        e.size = load_u32(data + at + 24);
        const size_t name_len = load_u16(data + at + 28), extra_len = load_u16(data + at + 30),
                     comment_len = load_u16(data + at + 32);
        const uint32_t local = load_u32(data + at + 42);
        if (dir_end - at - kCentralHeaderBytes < name_len + extra_len + comment_len)
            throw Error(m_file, field, "name, extra field or comment runs past the directory");
        e.name.assign(reinterpret_cast<const char*>(data + at + kCentralHeaderBytes), name_len);
        at += kCentralHeaderBytes + name_len + extra_len + comment_len;
        if (flags & 0x1) throw Error(m_file, "zip entry " + e.name, "encrypted entries are not supported");
        if (e.method != 0 && e.method != 8)
            throw Error(m_file, "zip entry " + e.name,
                        cat("compression method ", e.method, "; only stored (0) and deflate (8) are read"));
        if (local > end || end - local < kLocalHeaderBytes || load_u32(data + local) != kLocalSignature)
            throw Error(m_file, "zip entry " + e.name,
                        cat("local header at ", local, " is missing or outside the file"));
        const size_t local_name = load_u16(data + local + 26), local_extra = load_u16(data + local + 28);
        e.data_offset = uint64_t(local) + kLocalHeaderBytes + local_name + local_extra;
        if (e.data_offset > size || e.compressed_size > size - e.data_offset)
            throw Error(
                m_file, "zip entry " + e.name,
                cat(e.compressed_size, " bytes of data at ", e.data_offset, " run past the ", size, "-byte file"));
        if (e.method == 0 && e.size != e.compressed_size)
            throw Error(m_file, "zip entry " + e.name, "a stored entry whose sizes differ");
        m_entries.push_back(std::move(e));
    }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
    for (const auto& e : m_entries)
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<uint8_t> ZipReader::read(const std::string& name, uint64_t max_bytes) const {
    const ZipEntry* e = find(name);
    const std::string field = "zip entry " + name;
    if (!e) throw Error(m_file, field, "missing from the archive");
    if (e->size > max_bytes) throw Error(m_file, field, cat(e->size, " bytes; at most ", max_bytes, " expected"));
    const uint8_t* src = m_data + e->data_offset;
    std::vector<uint8_t> out;
    if (e->method == 0) {
        out.assign(src, src + e->size);
    } else {
        if (e->size > deflate_max_output(e->compressed_size))
            throw Error(
                m_file, field,
                cat(e->size, " bytes from ", e->compressed_size, " compressed is more than deflate can encode"));
        InflateStream in(src, size_t(e->compressed_size), m_file, true);
        in.read_exact(out, size_t(e->size), field.c_str());
    }
    if (crc32_of(out.data(), out.size()) != e->crc32) throw Error(m_file, field, "CRC-32 mismatch (corrupt data)");
    return out;
}

std::vector<uint8_t> zip_store(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files) {
    std::vector<uint8_t> out, directory;
    for (const auto& [name, bytes] : files) {
        if (bytes.size() >= 0xffffffffu || out.size() >= 0xffffffffu)
            throw Error("zip", name, "entries and archives of 4 GiB or more need ZIP64, which is not written");
        const uint32_t crc = crc32_of(bytes.data(), bytes.size()), offset = uint32_t(out.size());
        auto header = [&](std::vector<uint8_t>& h, bool central) {
            put_u32(h, central ? kCentralSignature : kLocalSignature);
            if (central) put_u16(h, 20); // version made by
            put_u16(h, 20);              // version needed: 2.0
            put_u16(h, 0x0800);          // flags: UTF-8 names
            put_u16(h, 0);               // stored
            put_u16(h, 0);               // time
            put_u16(h, 0x21);            // date: 1980-01-01
            put_u32(h, crc);
            put_u32(h, uint32_t(bytes.size()));
            put_u32(h, uint32_t(bytes.size()));
            put_u16(h, uint16_t(name.size()));
            put_u16(h, 0); // extra
            if (central) {
                put_u16(h, 0); // comment
                put_u16(h, 0); // disk
                put_u16(h, 0); // internal attributes
                put_u32(h, 0); // external attributes
                put_u32(h, offset);
            }
            h.insert(h.end(), name.begin(), name.end());
        };
        header(out, false);
        out.insert(out.end(), bytes.begin(), bytes.end());
        header(directory, true);
    }
    const uint32_t dir_offset = uint32_t(out.size());
    out.insert(out.end(), directory.begin(), directory.end());
    put_u32(out, kEndSignature);
    put_u16(out, 0);
    put_u16(out, 0);
    put_u16(out, uint16_t(files.size()));
    put_u16(out, uint16_t(files.size()));
    put_u32(out, uint32_t(directory.size()));
    put_u32(out, dir_offset);
    put_u16(out, 0);
    return out;
}

} // namespace splatscape
