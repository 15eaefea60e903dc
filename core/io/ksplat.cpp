#include "core/io/ksplat.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/quantize.hpp"

namespace splatscape {
namespace {

using quant::load_u32;

constexpr size_t kHeaderBytes = 4096;
constexpr size_t kSectionHeaderBytes = 1024;
constexpr size_t kMaxSplats = size_t(1) << 28;
constexpr uint32_t kDefaultQuantisationRange = 32767;
constexpr float kDefaultShRange = 1.5f;

struct Level {
    size_t center, scale, rotation, color, sh_component;
};
constexpr Level kLevels[] = {{12, 12, 16, 4, 4}, {6, 6, 8, 4, 2}, {6, 6, 8, 4, 1}};

uint16_t load_u16(const uint8_t* p) {
    return uint16_t(p[0] | p[1] << 8);
}
float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}
float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31, exponent = (h >> 10) & 31u, mantissa = h & 1023u;
    float magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(float(mantissa), -24);
    else if (exponent == 31)
        magnitude = mantissa ? std::nanf("") : INFINITY;
    else
        magnitude = std::ldexp(float(mantissa | 1024u), int(exponent) - 25);
    return sign ? -magnitude : magnitude;
}

int sh_components(int degree) {
    return degree == 0 ? 0 : 3 * (sh_coeff_count(degree) - 1);
}

} // namespace

GaussianCloud decode_ksplat(const uint8_t* data, size_t size, const std::string& file) {
    if (size < kHeaderBytes)
        throw Error(file, "header", cat("truncated: ", size, " bytes, a .ksplat header needs ", kHeaderBytes));
    const int major = data[0], minor = data[1];
    if (major != 0 || minor < 1)
        throw Error(file, "version",
                    cat(major, ".", minor, " is not a .ksplat version this build reads (0.1 and later)"));
    const uint32_t max_sections = load_u32(data + 4), splats = load_u32(data + 16);
    const int level = load_u16(data + 20);
    if (level > 2) throw Error(file, "compression level", cat(level, "; expected 0, 1 or 2"));
    if (splats > kMaxSplats) throw Error(file, "splat count", cat(splats, " is more than supported"));
    if (max_sections > (size - kHeaderBytes) / kSectionHeaderBytes)
        throw Error(file, "section count",
                    cat(max_sections, " section headers do not fit in the ", size, "-byte file"));
    float sh_min = load_f32(data + 36), sh_max = load_f32(data + 40);
    if (sh_min == 0.0f) sh_min = -kDefaultShRange;
    if (sh_max == 0.0f) sh_max = kDefaultShRange;
    if (!std::isfinite(sh_min) || !std::isfinite(sh_max) || !(sh_max > sh_min))
        throw Error(file, "SH range", cat("[", sh_min, ", ", sh_max, "] is not a range"));
    const Level& L = kLevels[level];

    // First pass over the section headers: the SH degree and every size, checked before decoding.
    struct Section {
        uint32_t splats = 0, capacity = 0, buckets = 0, full = 0, partial = 0, range = 0;
        float block = 0;
        int degree = 0;
        size_t partial_sizes = 0, centers = 0, records = 0; // offsets in the file
        size_t stride = 0;
    };
    std::vector<Section> sections(max_sections);
    int degree = 0;
    uint64_t total = 0, offset = kHeaderBytes + uint64_t(max_sections) * kSectionHeaderBytes;
    for (uint32_t s = 0; s < max_sections; ++s) {
        const uint8_t* h = data + kHeaderBytes + size_t(s) * kSectionHeaderBytes;
        const std::string field = cat("section ", s);
        Section& sec = sections[s];
        sec.splats = load_u32(h);
        const uint32_t max_splats = load_u32(h + 4);
        sec.capacity = load_u32(h + 8);
        sec.buckets = load_u32(h + 12);
        sec.block = load_f32(h + 16);
        const uint32_t bucket_bytes = load_u16(h + 20);
        sec.range = load_u32(h + 24);
        if (sec.range == 0) sec.range = kDefaultQuantisationRange;
        sec.full = load_u32(h + 32);
        sec.partial = load_u32(h + 36);
        sec.degree = load_u16(h + 40);
        if (sec.degree > kMaxShDegree) throw Error(file, field, cat("SH degree ", sec.degree, " is more than 3"));
        if (sec.splats > max_splats) throw Error(file, field, cat(sec.splats, " splats in room for ", max_splats));
        if (max_splats > kMaxSplats) throw Error(file, field, cat(max_splats, " splats is more than supported"));
        total += sec.splats;
        if (sec.splats > 0) degree = std::max(degree, sec.degree);
        sec.stride = L.center + L.scale + L.rotation + L.color + size_t(sh_components(sec.degree)) * L.sh_component;
        if (level > 0 && sec.splats > 0) {
            if (bucket_bytes != 12)
                throw Error(file, field, cat("bucket storage of ", bucket_bytes, " bytes; expected 12"));
            if (sec.full > sec.buckets || sec.partial != sec.buckets - sec.full)
                throw Error(file, field,
                            cat(sec.full, " full and ", sec.partial, " partly filled buckets of ", sec.buckets));
            if (!(std::isfinite(sec.block) && sec.block > 0))
                throw Error(file, field, cat("bucket block size ", sec.block, " is not positive"));
            if (sec.capacity == 0 && sec.full > 0) throw Error(file, field, "bucket capacity 0");
        }
        const uint64_t meta = level > 0 ? uint64_t(sec.partial) * 4 + uint64_t(sec.buckets) * bucket_bytes : 0;
        const uint64_t records = uint64_t(max_splats) * sec.stride;
        if (offset > size || meta > size - offset || records > size - offset - meta)
            throw Error(file, field,
                        cat("its ", meta + records, " bytes at offset ", offset, " run past the end of the ", size,
                            "-byte file (truncated?)"));
        sec.partial_sizes = size_t(offset);
        sec.centers = size_t(offset + uint64_t(sec.partial) * 4);
        sec.records = size_t(offset + meta);
        offset += meta + records;
    }
    if (total != splats)
        throw Error(file, "splat count", cat("the header says ", splats, ", the sections hold ", total));

    GaussianCloud c;
    c.resize(splats, degree);
    const int k = c.sh_coeffs();
    size_t out = 0;
    for (uint32_t s = 0; s < max_sections; ++s) {
        const Section& sec = sections[s];
        if (sec.splats == 0) continue;
        const std::string field = cat("section ", s);
        const float position_scale = sec.block / 2.0f / float(sec.range);
        // Bucket of each splat: full buckets hold `capacity`, the partly filled ones their own sizes.
        uint64_t full_splats = uint64_t(sec.full) * sec.capacity;
        uint32_t bucket = sec.full, bucket_end = 0;
        if (level > 0) {
            uint64_t sum = full_splats;
            for (uint32_t p = 0; p < sec.partial; ++p) sum += load_u32(data + sec.partial_sizes + 4 * size_t(p));
            if (sum < sec.splats)
                throw Error(file, field, cat("buckets hold ", sum, " splats, the section ", sec.splats));
            bucket_end =
                sec.partial ? uint32_t(std::min<uint64_t>(full_splats + load_u32(data + sec.partial_sizes), UINT32_MAX))
                            : 0;
        }
        for (uint32_t i = 0; i < sec.splats; ++i, ++out) {
            const uint8_t* r = data + sec.records + size_t(i) * sec.stride;
            float pos[3];
            if (level == 0) {
                for (int a = 0; a < 3; ++a) pos[a] = load_f32(r + 4 * a);
            } else {
                uint32_t b;
                if (i < full_splats) {
                    b = i / sec.capacity;
                } else {
                    while (i >= bucket_end && bucket + 1 < sec.buckets) {
                        ++bucket;
                        bucket_end += load_u32(data + sec.partial_sizes + 4 * size_t(bucket - sec.full));
                    }
                    b = bucket;
                }
                if (b >= sec.buckets) throw Error(file, field, cat("splat ", i, " falls past the last bucket"));
                const uint8_t* center = data + sec.centers + 12 * size_t(b);
                for (int a = 0; a < 3; ++a)
                    pos[a] =
                        (float(load_u16(r + 2 * a)) - float(sec.range)) * position_scale + load_f32(center + 4 * a);
            }
            const uint8_t* sp = r + L.center;
            const uint8_t* rp = sp + L.scale;
            const uint8_t* cp = rp + L.rotation;
            const uint8_t* hp = cp + L.color;
            for (int a = 0; a < 3; ++a) {
                c.positions[3 * out + a] = pos[a];
                const float scale = level == 0 ? load_f32(sp + 4 * a) : half_to_float(load_u16(sp + 2 * a));
                if (!std::isfinite(scale) || scale < 0.0f)
                    throw Error(file, cat(field, " splat ", i, " scale"),
                                cat("expected a finite scale >= 0, found ", scale));
                c.log_scales[3 * out + a] = scale > 0.0f ? std::log(scale) : -20.0f;
                c.sh[(out * k) * 3 + a] = sh_dc_from_rgb(float(cp[a]) / 255.0f);
            }
            for (int a = 0; a < 4; ++a)
                c.rotations[4 * out + a] = level == 0 ? load_f32(rp + 4 * a) : half_to_float(load_u16(rp + 2 * a));
            c.opacities[out] = logit(std::clamp(float(cp[3]) / 255.0f, 0.5f / 255.0f, 1.0f - 0.5f / 255.0f));
            // SH: band by band, channel-major inside a band.
            int component = 0;
            for (int band = 1; band <= sec.degree; ++band) {
                const int m = 2 * band + 1, first = band * band;
                for (int ch = 0; ch < 3; ++ch)
                    for (int j = 0; j < m; ++j, ++component) {
                        float v;
                        if (level == 0)
                            v = load_f32(hp + 4 * size_t(component));
                        else if (level == 1)
                            v = half_to_float(load_u16(hp + 2 * size_t(component)));
                        else
                            v = sh_min + float(hp[component]) / 255.0f * (sh_max - sh_min);
                        c.sh[(out * k + first + j) * 3 + ch] = v;
                    }
            }
        }
    }
    c.validate(file.c_str());
    return c;
}

GaussianCloud read_ksplat(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return decode_ksplat(bytes.data(), bytes.size(), path.string());
}

} // namespace splatscape
