#include "core/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy itself refuses headers longer than this by default; anything larger is not a real file.
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;
constexpr int kMaxDims = 32;

// The header is a Python dict literal, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (2, 17), }.
// A small tokeniser over exactly that grammar: strings, True/False, tuples of integers.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& file) : m_s(text), m_file(file) {}

    void parse(std::string& descr, bool& fortran_order, std::vector<uint64_t>& shape) {
        bool has_descr = false, has_fortran = false, has_shape = false;
        expect('{');
        while (true) {
            skip_space();
            if (peek() == '}') {
                ++m_pos;
                break;
            }
            std::string key = parse_string("header key");
            expect(':');
            if (key == "descr") {
                descr = parse_string("descr");
                has_descr = true;
            } else if (key == "fortran_order") {
                fortran_order = parse_bool("fortran_order");
                has_fortran = true;
            } else if (key == "shape") {
                shape = parse_shape();
                has_shape = true;
            } else {
                throw Error(m_file, "header", cat("unexpected key '", key.substr(0, 40), "'"));
            }
            skip_space();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            expect('}');
            break;
        }
        skip_space();
        if (m_pos != m_s.size()) throw Error(m_file, "header", "unexpected text after the header dictionary");
        if (!has_descr) throw Error(m_file, "descr", "missing from the header");
        if (!has_fortran) throw Error(m_file, "fortran_order", "missing from the header");
        if (!has_shape) throw Error(m_file, "shape", "missing from the header");
    }

private:
    char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }
    void skip_space() {
        // numpy pads the header with spaces and ends it with a newline.
        while (m_pos < m_s.size() &&
               (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
            ++m_pos;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c)
            throw Error(m_file, "header", cat("expected '", c, "' at offset ", m_pos, " of the header dictionary"));
        ++m_pos;
    }
    std::string parse_string(const char* field) {
        skip_space();
        char q = peek();
        if (q != '\'' && q != '"') throw Error(m_file, field, "expected a quoted string");
        size_t end = m_s.find(q, m_pos + 1);
        if (end == std::string_view::npos) throw Error(m_file, field, "unterminated string");
        std::string s(m_s.substr(m_pos + 1, end - m_pos - 1));
        m_pos = end + 1;
        return s;
    }
    bool parse_bool(const char* field) {
        skip_space();
        if (m_s.substr(m_pos, 4) == "True") {
            m_pos += 4;
            return true;
        }
        if (m_s.substr(m_pos, 5) == "False") {
            m_pos += 5;
            return false;
        }
        throw Error(m_file, field, "expected True or False");
    }
    std::vector<uint64_t> parse_shape() {
        std::vector<uint64_t> shape;
        expect('(');
        while (true) {
            skip_space();
            if (peek() == ')') {
                ++m_pos;
                return shape;
            }
            if (peek() < '0' || peek() > '9') throw Error(m_file, "shape", "expected a non-negative integer");
            uint64_t v = 0;
            while (peek() >= '0' && peek() <= '9') {
                uint64_t digit = uint64_t(peek() - '0');
                if (v > (UINT64_MAX - digit) / 10) throw Error(m_file, "shape", "dimension too large");
                v = v * 10 + digit;
                ++m_pos;
            }
            if (peek() == 'L') ++m_pos; // Python 2 long literals
            shape.push_back(v);
            if (shape.size() > size_t(kMaxDims))
                throw Error(m_file, "shape", cat("more than ", kMaxDims, " dimensions"));
            skip_space();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            expect(')');
            return shape;
        }
    }

    std::string_view m_s;
    size_t m_pos = 0;
    const std::string& m_file;
};

bool parse_descr(const std::string& descr, NpyDtype& dtype, bool& big_endian) {
    if (descr.size() != 3) return false;
    char order = descr[0];
    if (order == '<')
        big_endian = false;
    else if (order == '>')
        big_endian = true;
    else if (order == '=')
        big_endian = std::endian::native == std::endian::big;
    else
        return false;
    std::string kind = descr.substr(1);
    if (kind == "f4")
        dtype = NpyDtype::Float32;
    else if (kind == "f8")
        dtype = NpyDtype::Float64;
    else if (kind == "i4")
        dtype = NpyDtype::Int32;
    else if (kind == "i8")
        dtype = NpyDtype::Int64;
    else
        return false;
    return true;
}

template <class T>
T load(const uint8_t* p, bool swap) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, p, sizeof(T));
    if (swap) std::reverse(b, b + sizeof(T));
    T v;
    std::memcpy(&v, b, sizeof(T));
    return v;
}

} // namespace

std::string to_string(NpyDtype dtype) {
    switch (dtype) {
    case NpyDtype::Float32:
        return "<f4";
    case NpyDtype::Float64:
        return "<f8";
    case NpyDtype::Int32:
        return "<i4";
    case NpyDtype::Int64:
        return "<i8";
    }
    return "?";
}

int npy_dtype_size(NpyDtype dtype) {
    return dtype == NpyDtype::Float32 || dtype == NpyDtype::Int32 ? 4 : 8;
}

uint64_t NpyArray::element_count() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
}

NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& file) {
    ByteReader in(data, size, file);
    if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
        throw Error(file, "magic", "not a NumPy .npy file (it does not start with \\x93NUMPY)");
    in.skip(kMagicSize, "magic");
    uint8_t major = in.read<uint8_t>("version");
    in.read<uint8_t>("version");
    uint64_t header_len = 0;
    // The reader and writer assume a little-endian host, as the rest of the binary IO does.
    if (major == 1)
        header_len = in.read<uint16_t>("header length");
    else if (major == 2 || major == 3)
        header_len = in.read<uint32_t>("header length");
    else
        throw Error(file, "version", cat("unsupported .npy format version ", int(major), " (expected 1, 2 or 3)"));
    if (header_len > kMaxHeaderBytes)
        throw Error(file, "header length", cat(header_len, " bytes is not a plausible header"));
    if (header_len > in.remaining())
        throw Error(file, "header",
                    cat("truncated: the header needs ", header_len, " bytes, ", in.remaining(), " left"));
    std::string_view text(reinterpret_cast<const char*>(in.current()), size_t(header_len));
    in.skip(size_t(header_len), "header");

    std::string descr;
    bool fortran_order = false;
    NpyArray array;
    HeaderParser(text, file).parse(descr, fortran_order, array.shape);
    bool big_endian = false;
    if (!parse_descr(descr, array.dtype, big_endian))
        throw Error(file, "descr",
                    cat("unsupported dtype '", descr.substr(0, 40), "' (expected '<f4', '<f8', '<i4' or '<i8')"));
    if (fortran_order)
        throw Error(file, "fortran_order",
                    "Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");

    const uint64_t item = uint64_t(npy_dtype_size(array.dtype));
    uint64_t count = 1;
    for (uint64_t d : array.shape) {
        if (d != 0 && count > UINT64_MAX / d) throw Error(file, "shape", "element count overflows");
        count *= d;
    }
    // Compare with the bytes present before allocating: a lying shape must not allocate terabytes.
    in.require(count, item, "data");
    array.values.resize(size_t(count));
    const bool swap = big_endian != (std::endian::native == std::endian::big);
    const uint8_t* p = in.current();
    for (size_t i = 0; i < size_t(count); ++i, p += item) {
        switch (array.dtype) {
        case NpyDtype::Float32:
            array.values[i] = double(load<float>(p, swap));
            break;
        case NpyDtype::Float64:
            array.values[i] = load<double>(p, swap);
            break;
        case NpyDtype::Int32:
            array.values[i] = double(load<int32_t>(p, swap));
            break;
        case NpyDtype::Int64:
            array.values[i] = double(load<int64_t>(p, swap));
            break;
        }
    }
    return array;
}

NpyArray read_npy(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return parse_npy(bytes.data(), bytes.size(), path.string());
}

std::vector<uint8_t> encode_npy(const std::vector<uint64_t>& shape, const std::vector<double>& values, NpyDtype dtype) {
    uint64_t count = 1;
    for (uint64_t d : shape) count *= d;
    if (count != values.size())
        throw Error(cat("encode_npy: shape holds ", count, " elements but ", values.size(), " values were given"));
    std::string dict = "{'descr': '" + to_string(dtype) + "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) dict += (i ? ", " : "") + std::to_string(shape[i]);
    dict += shape.size() == 1 ? ",), }" : "), }"; // a 1-tuple is written "(n,)" in Python
    // numpy pads magic + version + length + header to a multiple of 64 bytes, ending with '\n'.
    size_t prefix = kMagicSize + 2 + 2;
    int major = 1;
    if (dict.size() + 1 + 63 > 65535) {
        major = 2;
        prefix = kMagicSize + 2 + 4;
    }
    size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
    dict.append(total - prefix - dict.size() - 1, ' ');
    dict += '\n';

    std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
    out.push_back(uint8_t(major));
    out.push_back(0);
    uint32_t len = uint32_t(dict.size());
    out.push_back(uint8_t(len & 0xff));
    out.push_back(uint8_t((len >> 8) & 0xff));
    if (major == 2) {
        out.push_back(uint8_t((len >> 16) & 0xff));
        out.push_back(uint8_t((len >> 24) & 0xff));
    }
    out.insert(out.end(), dict.begin(), dict.end());
    const size_t item = size_t(npy_dtype_size(dtype));
    size_t base = out.size();
    out.resize(base + values.size() * item);
    static_assert(std::endian::native == std::endian::little, "the writer emits little-endian data");
    for (size_t i = 0; i < values.size(); ++i) {
        uint8_t* p = out.data() + base + i * item;
        switch (dtype) {
        case NpyDtype::Float32: {
            float v = float(values[i]);
            std::memcpy(p, &v, 4);
            break;
        }
        case NpyDtype::Float64:
            std::memcpy(p, &values[i], 8);
            break;
        case NpyDtype::Int32: {
            if (!(values[i] >= -2147483648.0 && values[i] <= 2147483647.0))
                throw Error(cat("encode_npy: value ", values[i], " does not fit int32"));
            int32_t v = int32_t(values[i]);
            std::memcpy(p, &v, 4);
            break;
        }
        case NpyDtype::Int64: {
            if (!(values[i] >= -9223372036854775808.0 && values[i] < 9223372036854775808.0))
                throw Error(cat("encode_npy: value ", values[i], " does not fit int64"));
            int64_t v = int64_t(values[i]);
            std::memcpy(p, &v, 8);
            break;
        }
        }
    }
    return out;
}

void write_npy(const std::filesystem::path& path, const std::vector<uint64_t>& shape, const std::vector<double>& values,
               NpyDtype dtype) {
    write_file_atomic(path, encode_npy(shape, values, dtype));
}

} // namespace splatscape
