#include "core/io/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>

#include "core/error.hpp"

namespace splatscape {
namespace {

constexpr size_t kChunk = size_t(1) << 20;

} // namespace

uint64_t deflate_max_output(uint64_t compressed_bytes) {
    return compressed_bytes * kDeflateMaxRatio + 1024;
}
uint64_t zstd_max_output(uint64_t compressed_bytes) {
    return compressed_bytes * kZstdMaxRatio + (128 << 10);
}

bool is_gzip(const uint8_t* data, size_t size) {
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

bool is_zstd_frame(const uint8_t* data, size_t size) {
    return size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd;
}

std::vector<uint8_t> gzip_compress(const uint8_t* data, size_t size, int level) {
    z_stream s{};
    // windowBits 15 + 16: a gzip wrapper rather than zlib's.
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error("gzip: deflateInit2 failed");
    std::vector<uint8_t> out(deflateBound(&s, uLong(size)) + 32);
    s.next_in = const_cast<Bytef*>(data);
    s.next_out = out.data();
    size_t in_left = size;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        // zlib counts in uInt; feed large buffers in pieces.
        uInt step = uInt(std::min<size_t>(in_left, UINT_MAX / 2));
        s.avail_in = step;
        s.avail_out = uInt(std::min<size_t>(out.size() - s.total_out, UINT_MAX / 2));
        rc = deflate(&s, in_left == step ? Z_FINISH : Z_NO_FLUSH);
        in_left -= step - s.avail_in;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            deflateEnd(&s);
            throw Error(cat("gzip: deflate failed (", rc, ")"));
        }
        if (s.avail_out == 0 && rc != Z_STREAM_END) {
            size_t used = s.total_out;
            out.resize(out.size() * 2);
            s.next_out = out.data() + used;
        }
    }
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

std::vector<uint8_t> zstd_compress(const uint8_t* data, size_t size, int level) {
    std::vector<uint8_t> out(ZSTD_compressBound(size));
    size_t n = ZSTD_compress(out.data(), out.size(), data, size, level);
    if (ZSTD_isError(n)) throw Error(cat("zstd: compression failed: ", ZSTD_getErrorName(n)));
    out.resize(n);
    return out;
}

struct InflateStream::State {
    z_stream z{};
    size_t left = 0; // input bytes not yet handed to zlib
};

InflateStream::InflateStream(const uint8_t* data, size_t size, std::string file)
    : InflateStream(data, size, std::move(file), false) {}

InflateStream::InflateStream(const uint8_t* data, size_t size, std::string file, bool raw)
    : m_state(std::make_unique<State>()), m_file(std::move(file)) {
    // windowBits 15 + 32: accept gzip and zlib headers alike; -15: no header at all.
    if (inflateInit2(&m_state->z, raw ? -15 : 15 + 32) != Z_OK) throw Error(m_file, "", "cannot initialise zlib");
    m_state->z.next_in = const_cast<Bytef*>(data);
    m_state->left = size;
}

InflateStream::~InflateStream() {
    inflateEnd(&m_state->z);
}

size_t InflateStream::read(uint8_t* out, size_t n, const char* field) {
    z_stream& z = m_state->z;
    size_t produced = 0;
    while (produced < n && !m_finished) {
        uInt in_step = uInt(std::min<size_t>(m_state->left, UINT_MAX / 2));
        uInt out_step = uInt(std::min<size_t>(n - produced, UINT_MAX / 2));
        z.avail_in = in_step;
        z.next_out = out + produced;
        z.avail_out = out_step;
        int rc = inflate(&z, Z_NO_FLUSH);
        const size_t used = in_step - z.avail_in, made = out_step - z.avail_out;
        m_state->left -= used;
        produced += made;
        if (rc == Z_STREAM_END) {
            m_finished = true;
        } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (used == 0 && made == 0) {
                if (m_state->left == 0)
                    throw Error(m_file, field, "truncated: the compressed stream ends early (file cut short?)");
                throw Error(m_file, field, "corrupt compressed data (zlib made no progress)");
            }
        } else {
            throw Error(m_file, field, cat("corrupt compressed data (zlib: ", z.msg ? z.msg : "error", " ", rc, ")"));
        }
    }
    return produced;
}

void InflateStream::read_exact(std::vector<uint8_t>& out, size_t n, const char* field) {
    size_t start = out.size();
    size_t done = 0;
    while (done < n) {
        // Grow with the data actually produced, never by the size the header claims.
        size_t step = std::min(n - done, std::max(kChunk, done));
        out.resize(start + done + step);
        size_t got = read(out.data() + start + done, step, field);
        done += got;
        if (got < step) {
            out.resize(start + done);
            throw Error(m_file, field,
                        cat("truncated: the header promises ", n, " bytes but the stream holds only ", done));
        }
    }
}

std::vector<uint8_t> zstd_decompress_exact(const uint8_t* data, size_t size, size_t expected, const std::string& file,
                                           const std::string& field) {
    if (!is_zstd_frame(data, size)) throw Error(file, field, "not a zstd stream (bad frame magic)");
    if (expected > zstd_max_output(size))
        throw Error(file, field,
                    cat("claims ", expected, " bytes from a ", size, "-byte zstd stream, more than zstd can encode"));
    unsigned long long declared = ZSTD_getFrameContentSize(data, size);
    if (declared == ZSTD_CONTENTSIZE_ERROR) throw Error(file, field, "corrupt zstd frame header");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != expected)
        throw Error(file, field, cat("zstd frame holds ", declared, " bytes, the header promises ", expected));

    std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!ctx) throw Error(file, field, "cannot create a zstd context");
    // Bound the window so a crafted frame cannot ask for gigabytes of history.
    ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, 27);
    std::vector<uint8_t> out;
    ZSTD_inBuffer in{data, size, 0};
    size_t produced = 0;
    size_t rc = 1;
    while (true) {
        if (produced == out.size()) {
            // One byte past `expected` lets us see a stream that is longer than promised.
            size_t room = std::min(expected + 1 - produced, std::max(kChunk, produced));
            if (room == 0) break;
            out.resize(produced + room);
        }
        ZSTD_outBuffer ob{out.data(), out.size(), produced};
        rc = ZSTD_decompressStream(ctx.get(), &ob, &in);
        if (ZSTD_isError(rc)) throw Error(file, field, cat("corrupt zstd data: ", ZSTD_getErrorName(rc)));
        produced = ob.pos;
        if (produced > expected)
            throw Error(file, field, cat("zstd stream decompresses to more than the ", expected, " bytes promised"));
        if (rc == 0) break; // frame complete
        if (in.pos == in.size && ob.pos < ob.size)
            throw Error(file, field, cat("truncated zstd stream: ", produced, " of ", expected, " bytes"));
    }
    if (produced != expected)
        throw Error(file, field, cat("zstd stream holds ", produced, " bytes, the header promises ", expected));
    if (in.pos != in.size) throw Error(file, field, "trailing bytes after the zstd frame");
    out.resize(produced);
    return out;
}

} // namespace splatscape
