#include "core/io/s4d.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/compression.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/quantize.hpp"

namespace splatscape {
namespace {

constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 40;
constexpr uint64_t kMaxCount = uint64_t(1) << 28;
constexpr int kDefaultFractionalBits = 12;
constexpr float kColorScale = 0.15f; // as SPZ: DC colours slightly outside [0, 1] survive

struct Header {
    uint32_t count = 0;
    int sh_degree = 0;
    int sh_degree_t = 0;
    int fractional_bits = kDefaultFractionalBits;
    float time_min = 0.0f, time_max = 1.0f, time_period = 1.0f;
    float time_origin = 0.0f, time_step = 0.0f, coeff_scale = 0.0f;

    int coeffs() const { return (sh_degree + 1) * (sh_degree + 1) * (sh_degree_t + 1); }
    // Bytes of the attribute arrays.
    uint64_t payload() const { return uint64_t(count) * (9 + 2 + 1 + 4 + 8 + 3 + uint64_t(coeffs() - 1) * 3); }
};

void put_f32(std::vector<uint8_t>& out, float v) {
    quant::put_u32(out, std::bit_cast<uint32_t>(v));
}
float load_f32(const uint8_t* p) {
    return std::bit_cast<float>(quant::load_u32(p));
}

Header parse_header(const uint8_t* p, const std::string& file) {
    if (quant::load_u32(p) != kS4dMagic) throw Error(file, "magic", "not a compact 4D Gaussian file (expected 'S4DG')");
    const uint32_t version = quant::load_u32(p + 4);
    if (version != kVersion) throw Error(file, "version", cat("version ", version, " is not supported (1)"));
    Header h;
    h.count = quant::load_u32(p + 8);
    h.sh_degree = p[12];
    h.sh_degree_t = p[13];
    h.fractional_bits = p[14];
    if (h.count > kMaxCount) throw Error(file, "count", cat(h.count, " Gaussians is more than this reader accepts"));
    if (h.sh_degree > 3) throw Error(file, "sh_degree", cat("SH degree ", h.sh_degree, " (0..3)"));
    if (h.sh_degree_t > kMaxShDegreeT)
        throw Error(file, "sh_degree_t", cat("temporal degree ", h.sh_degree_t, " (0..", kMaxShDegreeT, ")"));
    if (h.fractional_bits > 24) throw Error(file, "fractional_bits", cat(h.fractional_bits, " (at most 24)"));
    h.time_min = load_f32(p + 16);
    h.time_max = load_f32(p + 20);
    h.time_period = load_f32(p + 24);
    h.time_origin = load_f32(p + 28);
    h.time_step = load_f32(p + 32);
    h.coeff_scale = load_f32(p + 36);
    if (!(std::isfinite(h.time_min) && std::isfinite(h.time_max) && h.time_max >= h.time_min))
        throw Error(file, "time_range", cat(h.time_min, " .. ", h.time_max, " is not a time range"));
    if (!(std::isfinite(h.time_period) && h.time_period > 0.0f))
        throw Error(file, "time_period", cat(h.time_period, " (must be positive)"));
    if (!(std::isfinite(h.time_origin) && std::isfinite(h.time_step) && h.time_step >= 0.0f))
        throw Error(file, "time_step", "the times' origin and step must be finite, the step not negative");
    if (!(std::isfinite(h.coeff_scale) && h.coeff_scale >= 0.0f))
        throw Error(file, "coeff_scale", cat(h.coeff_scale, " (must be finite and not negative)"));
    return h;
}

GaussianCloud4d decode_payload(const Header& h, const uint8_t* data, const std::string& file) {
    const size_t n = h.count;
    GaussianCloud4d c;
    c.resize(n, h.sh_degree, h.sh_degree_t);
    c.time_min = h.time_min;
    c.time_max = h.time_max;
    c.time_period = h.time_period;
    const int J = c.sh_coeffs();
    const uint8_t* pos = data;
    const uint8_t* times = pos + 9 * n;
    const uint8_t* alpha = times + 2 * n;
    const uint8_t* scale = alpha + n;
    const uint8_t* rot = scale + 4 * n;
    const uint8_t* color = rot + 8 * n;
    const uint8_t* coeff = color + 3 * n;
    const float coeff_unit = h.coeff_scale / 127.0f;
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a)
            c.positions[3 * i + a] = quant::load_fixed24(pos + 9 * i + 3 * a, h.fractional_bits);
        const uint32_t q = uint32_t(times[2 * i]) | uint32_t(times[2 * i + 1]) << 8;
        c.times[i] = h.time_origin + float(q) * h.time_step;
        const float p = std::clamp(float(alpha[i]) / 255.0f, 0.5f / 255.0f, 1.0f - 0.5f / 255.0f);
        c.opacities[i] = logit(p);
        for (int a = 0; a < 4; ++a) c.log_scales[4 * i + a] = float(scale[4 * i + a]) / 16.0f - 10.0f;
        float* out[2] = {&c.rotations_l[4 * i], &c.rotations_r[4 * i]};
        for (int side = 0; side < 2; ++side) {
            float xyzw[4];
            quant::unpack_smallest_three(rot + 8 * i + 4 * side, xyzw);
            out[side][0] = xyzw[3];
            for (int a = 0; a < 3; ++a) out[side][1 + a] = xyzw[a];
        }
        for (int ch = 0; ch < 3; ++ch) {
            c.sh[i * J * 3 + ch] = (float(color[3 * i + ch]) / 255.0f - 0.5f) / kColorScale;
            for (int j = 1; j < J; ++j)
                c.sh[(i * J + j) * 3 + ch] = (float(coeff[(i * (J - 1) + j - 1) * 3 + ch]) - 128.0f) * coeff_unit;
        }
    }
    c.validate(file.c_str());
    return c;
}

} // namespace

std::vector<uint8_t> encode_s4d(const GaussianCloud4d& cloud) {
    cloud.validate("compact 4D writer input");
    const size_t n = cloud.size();
    if (n > kMaxCount) throw Error("s4d", "count", cat(n, " Gaussians is more than the format holds"));
    Header h;
    h.count = uint32_t(n);
    h.sh_degree = cloud.sh_degree;
    h.sh_degree_t = cloud.sh_degree_t;
    h.time_min = cloud.time_min;
    h.time_max = cloud.time_max;
    h.time_period = cloud.time_period;
    float max_abs = 0.0f;
    for (float v : cloud.positions) max_abs = std::max(max_abs, std::abs(v));
    h.fractional_bits = quant::fixed24_fractional_bits(max_abs, kDefaultFractionalBits);
    if (h.fractional_bits < 0)
        throw Error("s4d", "positions", cat("coordinate ", max_abs, " is too large for 24-bit fixed point"));
    if (n) {
        const auto [lo, hi] = std::minmax_element(cloud.times.begin(), cloud.times.end());
        h.time_origin = *lo;
        h.time_step = (*hi - *lo) / 65535.0f;
    }
    const int J = cloud.sh_coeffs();
    for (size_t i = 0; i < n; ++i)
        for (int j = 1; j < J; ++j)
            for (int ch = 0; ch < 3; ++ch)
                h.coeff_scale = std::max(h.coeff_scale, std::abs(cloud.sh[(i * J + j) * 3 + ch]));

    std::vector<uint8_t> out;
    out.reserve(kHeaderBytes + h.payload());
    quant::put_u32(out, kS4dMagic);
    quant::put_u32(out, kVersion);
    quant::put_u32(out, h.count);
    out.push_back(uint8_t(h.sh_degree));
    out.push_back(uint8_t(h.sh_degree_t));
    out.push_back(uint8_t(h.fractional_bits));
    out.push_back(0);
    for (float v : {h.time_min, h.time_max, h.time_period, h.time_origin, h.time_step, h.coeff_scale}) put_f32(out, v);
    const size_t base = out.size();
    out.resize(base + h.payload());
    uint8_t* pos = out.data() + base;
    uint8_t* times = pos + 9 * n;
    uint8_t* alpha = times + 2 * n;
    uint8_t* scale = alpha + n;
    uint8_t* rot = scale + 4 * n;
    uint8_t* color = rot + 8 * n;
    uint8_t* coeff = color + 3 * n;
    const float coeff_inv = h.coeff_scale > 0.0f ? 127.0f / h.coeff_scale : 0.0f;
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a)
            quant::put_fixed24(cloud.positions[3 * i + a], h.fractional_bits, pos + 9 * i + 3 * a);
        const long q = h.time_step > 0.0f ? std::lround((cloud.times[i] - h.time_origin) / h.time_step) : 0;
        const uint32_t qt = uint32_t(std::clamp(q, 0L, 65535L));
        times[2 * i] = uint8_t(qt);
        times[2 * i + 1] = uint8_t(qt >> 8);
        alpha[i] = quant::to_u8(sigmoid(cloud.opacities[i]) * 255.0f);
        for (int a = 0; a < 4; ++a) scale[4 * i + a] = quant::to_u8((cloud.log_scales[4 * i + a] + 10.0f) * 16.0f);
        const float* in[2] = {&cloud.rotations_l[4 * i], &cloud.rotations_r[4 * i]};
        for (int side = 0; side < 2; ++side) {
            float xyzw[4];
            quant::unit_xyzw(in[side], xyzw);
            quant::pack_smallest_three(xyzw, rot + 8 * i + 4 * side);
        }
        for (int ch = 0; ch < 3; ++ch) {
            color[3 * i + ch] = quant::to_u8(cloud.sh[i * J * 3 + ch] * (kColorScale * 255.0f) + 127.5f);
            for (int j = 1; j < J; ++j)
                coeff[(i * (J - 1) + j - 1) * 3 + ch] =
                    uint8_t(std::clamp(std::lround(cloud.sh[(i * J + j) * 3 + ch] * coeff_inv) + 128L, 1L, 255L));
        }
    }
    return gzip_compress(out.data(), out.size());
}

GaussianCloud4d decode_s4d(const uint8_t* data, size_t size, const std::string& file) {
    if (!is_gzip(data, size)) throw Error(file, "magic", "not a compact 4D Gaussian file (expected a gzip stream)");
    InflateStream in(data, size, file);
    std::vector<uint8_t> head;
    in.read_exact(head, kHeaderBytes, "header");
    const Header h = parse_header(head.data(), file);
    // Before inflating: the count must fit what this much deflate data can expand to.
    if (h.payload() > deflate_max_output(size))
        throw Error(file, "count",
                    cat(h.count, " Gaussians need ", h.payload(), " bytes, more than a ", size,
                        "-byte gzip stream can hold (corrupt or lying header)"));
    std::vector<uint8_t> payload;
    in.read_exact(payload, size_t(h.payload()), "attributes");
    uint8_t extra = 0;
    if (in.read(&extra, 1, "end") != 0)
        throw Error(file, "count", cat("data continues after the ", h.count, " Gaussians the header lists"));
    return decode_payload(h, payload.data(), file);
}

void write_s4d(const std::filesystem::path& path, const GaussianCloud4d& cloud) {
    write_file_atomic(path, encode_s4d(cloud));
}

GaussianCloud4d read_s4d(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path);
    return decode_s4d(bytes.data(), bytes.size(), path.string());
}

bool is_4d_scene_file(const std::filesystem::path& path) {
    return lower_extension(path) == ".s4d" || is_gaussian_4d_ply(path);
}

GaussianCloud4d read_4d_scene(const std::filesystem::path& path) {
    if (lower_extension(path) == ".s4d") return read_s4d(path);
    return read_gaussian_4d_ply(path);
}

} // namespace splatscape
