#include "core/io/splat_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape {

std::vector<uint8_t> encode_splat(const GaussianCloud& c) {
    const size_t n = c.size();
    const int k = c.sh_coeffs();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::vector<float> key(n);
    for (size_t i = 0; i < n; ++i) {
        float s = c.log_scales[3 * i] + c.log_scales[3 * i + 1] + c.log_scales[3 * i + 2];
        key[i] = std::exp(s) * sigmoid(c.opacities[i]);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] > key[b]; });

    std::vector<uint8_t> out(n * kSplatRecordBytes);
    auto to_u8 = [](float v) { return uint8_t(std::clamp(std::lround(v * 255.0f), 0L, 255L)); };
    for (size_t r = 0; r < n; ++r) {
        const size_t i = order[r];
        uint8_t* rec = &out[r * kSplatRecordBytes];
        float f[6];
        for (int a = 0; a < 3; ++a) {
            f[a] = c.positions[3 * i + a];
            f[3 + a] = std::exp(c.log_scales[3 * i + a]);
        }
        std::memcpy(rec, f, 24);
        for (int a = 0; a < 3; ++a) rec[24 + a] = to_u8(rgb_from_sh_dc(c.sh[(i * k) * 3 + a]));
        rec[27] = to_u8(sigmoid(c.opacities[i]));
        const float* q = &c.rotations[4 * i];
        float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int a = 0; a < 4; ++a) {
            float v = norm > 0 ? q[a] / norm : (a == 0 ? 1.0f : 0.0f);
            rec[28 + a] = uint8_t(std::clamp(std::lround(v * 128.0f + 128.0f), 0L, 255L));
        }
    }
    return out;
}

GaussianCloud decode_splat(const uint8_t* data, size_t size, const std::string& file) {
    if (size % kSplatRecordBytes != 0)
        throw Error(file, "size", cat(size, " bytes is not a whole number of 32-byte splats (truncated or not a .splat file)"));
    const size_t n = size / kSplatRecordBytes;
    GaussianCloud c;
    c.resize(n, 0);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* rec = data + i * kSplatRecordBytes;
        float f[6];
        std::memcpy(f, rec, 24);
        for (int a = 0; a < 3; ++a) {
            if (!std::isfinite(f[a])) throw Error(file, cat("splat ", i, " position"), "not a finite number");
            if (!(f[3 + a] > 0.0f) || !std::isfinite(f[3 + a]))
                throw Error(file, cat("splat ", i, " scale"), cat("expected a positive finite scale, found ", f[3 + a]));
            c.positions[3 * i + a] = f[a];
            c.log_scales[3 * i + a] = std::log(f[3 + a]);
            c.sh[3 * i + a] = sh_dc_from_rgb(rec[24 + a] / 255.0f);
        }
        float alpha = std::clamp(rec[27] / 255.0f, 0.5f / 255.0f, 1.0f - 0.5f / 255.0f);
        c.opacities[i] = logit(alpha);
        float q[4], norm = 0;
        for (int a = 0; a < 4; ++a) {
            q[a] = (float(rec[28 + a]) - 128.0f) / 128.0f;
            norm += q[a] * q[a];
        }
        norm = std::sqrt(norm);
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = norm > 0 ? q[a] / norm : (a == 0 ? 1.0f : 0.0f);
    }
    return c;
}

void write_splat(const std::filesystem::path& path, const GaussianCloud& cloud) {
    write_file_atomic(path, encode_splat(cloud));
}

GaussianCloud read_splat(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return decode_splat(bytes.data(), bytes.size(), path.string());
}

}  // namespace splatscape
