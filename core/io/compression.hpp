#pragma once
// gzip and zstd for the scene formats. Compressed input is untrusted: every decompressor is told
// how many bytes the container's header promises and refuses to produce more (a "bomb") or fewer
// (truncation), and output buffers grow with the data actually produced, so a lying header never
// makes us allocate what the file cannot hold.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace splatscape {

// Deflate cannot expand input by more than 1032:1 (258-byte matches coded in 2 bits); zstd's
// densest block is a 4-byte RLE block standing for 128 KiB. Sizes past these bounds are lies.
constexpr uint64_t kDeflateMaxRatio = 1032;
constexpr uint64_t kZstdMaxRatio = 32768;
uint64_t deflate_max_output(uint64_t compressed_bytes);
uint64_t zstd_max_output(uint64_t compressed_bytes);

bool is_gzip(const uint8_t* data, size_t size);
bool is_zstd_frame(const uint8_t* data, size_t size);

// gzip container (RFC 1952), for files other tools open with their gzip readers.
std::vector<uint8_t> gzip_compress(const uint8_t* data, size_t size, int level = 6);
std::vector<uint8_t> zstd_compress(const uint8_t* data, size_t size, int level = 9);

// Incremental inflation of a gzip (or zlib, detected from the header) stream, for containers
// whose header sits inside the compressed stream (SPZ v2/v3).
class InflateStream {
public:
    InflateStream(const uint8_t* data, size_t size, std::string file);
    // `raw`: a bare deflate stream (as ZIP entries hold), no gzip or zlib header.
    InflateStream(const uint8_t* data, size_t size, std::string file, bool raw);
    ~InflateStream();
    InflateStream(const InflateStream&) = delete;
    InflateStream& operator=(const InflateStream&) = delete;

    // Produces up to `n` bytes; fewer only at the end of the stream. Throws Error on corrupt data.
    size_t read(uint8_t* out, size_t n, const char* field);
    // Appends exactly `n` bytes to `out`, growing it as data arrives; throws "truncated" otherwise.
    void read_exact(std::vector<uint8_t>& out, size_t n, const char* field);
    bool finished() const { return m_finished; }

private:
    struct State;
    std::unique_ptr<State> m_state;
    std::string m_file;
    bool m_finished = false;
};

// One zstd stream that must decompress to exactly `expected` bytes.
std::vector<uint8_t> zstd_decompress_exact(const uint8_t* data, size_t size, size_t expected, const std::string& file,
                                           const std::string& field);

} // namespace splatscape
