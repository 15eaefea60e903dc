#pragma once
// ZIP archives (PKWARE APPNOTE 6.3), the container of PlayCanvas's bundled .sog files. Reading
// accepts stored (method 0) and deflated (method 8) entries, checks every offset and size against
// the file before using it, refuses entries that would inflate past the deflate ratio bound or a
// caller's limit, and verifies each entry's CRC-32. ZIP64 archives are refused (a .sog holds a few
// textures, far below 4 GiB). Writing stores entries uncompressed (the payloads are WebP already).
#include <cstdint>
#include <string>
#include <vector>

namespace splatscape {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0;
    uint64_t size = 0;
    uint64_t data_offset = 0; // of the entry's data (after its local header), from the start of the archive
};

class ZipReader {
public:
    // `data` must outlive the reader. Throws Error naming `file` when the archive is malformed.
    ZipReader(const uint8_t* data, size_t size, std::string file);
    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(const std::string& name) const;
    // The entry's bytes; throws when absent, larger than `max_bytes`, corrupt or failing its CRC.
    std::vector<uint8_t> read(const std::string& name, uint64_t max_bytes) const;

private:
    const uint8_t* m_data;
    size_t m_size;
    std::string m_file;
    std::vector<ZipEntry> m_entries;
};

bool is_zip(const uint8_t* data, size_t size);

// An archive of stored entries, in the order given.
std::vector<uint8_t> zip_store(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files);

} // namespace splatscape
