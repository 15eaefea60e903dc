#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "core/error.hpp"
#include "core/io/npy.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

std::vector<uint8_t> to_bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

// A v1 file with a hand-written header dictionary and raw data bytes.
std::vector<uint8_t> npy_with_header(const std::string& dict, const std::string& data, int major = 1) {
    std::string out = "\x93NUMPY";
    out += char(major);
    out += char(0);
    std::string header = dict + "\n";
    if (major == 1) {
        out += char(header.size() & 0xff);
        out += char(header.size() >> 8);
    } else {
        for (int i = 0; i < 4; ++i) out += char((header.size() >> (8 * i)) & 0xff);
    }
    return to_bytes(out + header + data);
}

std::string raw_doubles(std::initializer_list<double> v) {
    std::string s(v.size() * 8, '\0');
    std::memcpy(s.data(), std::data(v), s.size());
    return s;
}

void expect_error(const std::vector<uint8_t>& bytes, const std::string& field, const std::string& text) {
    try {
        parse_npy(bytes.data(), bytes.size(), "x.npy");
        ADD_FAILURE() << "expected an error mentioning '" << text << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.file(), "x.npy");
        EXPECT_EQ(e.field(), field) << e.what();
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

TEST(Npy, RoundTripsEveryDtypeAndRank) {
    std::vector<double> values;
    for (int i = 0; i < 34; ++i) values.push_back(i * 1.5 - 7.0);
    for (NpyDtype dtype : {NpyDtype::Float32, NpyDtype::Float64, NpyDtype::Int32, NpyDtype::Int64}) {
        std::vector<double> v = values;
        if (dtype == NpyDtype::Int32 || dtype == NpyDtype::Int64)
            for (double& x : v) x = std::floor(x);
        for (auto shape : {std::vector<uint64_t>{2, 17}, std::vector<uint64_t>{34}, std::vector<uint64_t>{2, 1, 17}}) {
            auto bytes = encode_npy(shape, v, dtype);
            EXPECT_EQ(bytes.size() % 64, (v.size() * size_t(npy_dtype_size(dtype))) % 64) << "header padded to 64";
            NpyArray a = parse_npy(bytes.data(), bytes.size(), "rt.npy");
            EXPECT_EQ(a.shape, shape);
            EXPECT_EQ(a.dtype, dtype);
            EXPECT_EQ(a.values, v);
        }
    }
    auto scalar = encode_npy({}, {42.0});
    NpyArray s = parse_npy(scalar.data(), scalar.size(), "s.npy");
    EXPECT_TRUE(s.shape.empty());
    ASSERT_EQ(s.values.size(), 1u);
    EXPECT_EQ(s.values[0], 42.0);

    test::TempDir dir("npy_file");
    write_npy(dir / "a.npy", {2, 2}, {1, 2, 3, 4}, NpyDtype::Float32);
    NpyArray f = read_npy(dir / "a.npy");
    EXPECT_EQ(f.at(1, 0), 3.0);
}

TEST(Npy, ReadsVersion2And3HeadersAndBigEndian) {
    const std::string data = raw_doubles({1.0, -2.5, 3.25});
    for (int major : {2, 3}) {
        auto bytes = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", data, major);
        NpyArray a = parse_npy(bytes.data(), bytes.size(), "v.npy");
        EXPECT_EQ(a.values, (std::vector<double>{1.0, -2.5, 3.25}));
    }
    // Keys in another order, double quotes, no trailing comma: still the same dictionary.
    auto reordered = npy_with_header("{\"shape\": (1, 3), \"fortran_order\": False, \"descr\": \"<f8\"}", data);
    EXPECT_EQ(parse_npy(reordered.data(), reordered.size(), "r.npy").shape, (std::vector<uint64_t>{1, 3}));

    std::string be = raw_doubles({1.0, -2.5});
    for (size_t i = 0; i < be.size(); i += 8) std::reverse(be.begin() + long(i), be.begin() + long(i) + 8);
    auto bytes = npy_with_header("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", be);
    EXPECT_EQ(parse_npy(bytes.data(), bytes.size(), "be.npy").values, (std::vector<double>{1.0, -2.5}));
}

TEST(Npy, RejectsBadFilesWithTheField) {
    const std::string data = raw_doubles({1, 2, 3, 4});
    expect_error(to_bytes("P6\n2 2\n255\n...."), "magic", "not a NumPy .npy file");
    expect_error(to_bytes(""), "magic", "not a NumPy .npy file");
    auto v9 = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", data);
    v9[6] = 9;
    expect_error(v9, "version", "unsupported .npy format version 9");
    expect_error(npy_with_header("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", data), "descr",
                 "unsupported dtype '<c16'");
    expect_error(npy_with_header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data), "descr",
                 "unsupported dtype");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", data), "fortran_order",
                 "Fortran-ordered arrays are not supported");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False}", data), "shape", "missing");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (4,)}", data), "fortran_order",
                 "expected True or False");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4, -1)}", data), "shape",
                 "non-negative integer");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,) garbage", data), "header",
                 "expected '}'");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'extra': 1}", data), "header",
                 "unexpected key 'extra'");
    // Header length pointing past the end of the file.
    auto long_header = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", data);
    long_header[8] = char(0xff);
    long_header[9] = char(0x7f);
    expect_error(long_header, "header", "truncated");
}

TEST(Npy, LyingShapeIsRejectedBeforeAllocating) {
    const std::string data = raw_doubles({1, 2, 3, 4});
    // 10^9 x 10^9 elements of 8 bytes: 8 * 10^18 bytes. Must fail on the size check, not in the allocator.
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", data),
                 "data", "lying count");
    expect_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", data), "data",
                 "truncated");
    // Product overflowing 64 bits.
    expect_error(
        npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", data),
        "shape", "overflows");
    expect_error(
        npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", data),
        "shape", "too large");
}

TEST(Npy, RandomCorruptionOnlyEverThrowsError) {
    const auto valid = encode_npy({3, 17}, std::vector<double>(51, 0.5));
    std::mt19937 rng(1234);
    int ok = 0, rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        auto bytes = valid;
        const int edits = 1 + int(rng() % 4);
        for (int e = 0; e < edits; ++e) bytes[rng() % 128] = uint8_t(rng()); // within the header
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
        try {
            parse_npy(bytes.data(), bytes.size(), "fuzz.npy");
            ++ok;
        } catch (const Error&) {
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 0);
    EXPECT_EQ(ok + rejected, 3000);
}

} // namespace
} // namespace splatscape
