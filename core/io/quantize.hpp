#pragma once
// Byte-level quantisation shared by the compact scene formats (SPZ, core/io/spz.hpp, and the compact
// 4D file, core/io/s4d.hpp): little-endian integers, clamped u8, 24-bit signed fixed point and the
// "smallest three" packing of a unit quaternion into 32 bits.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace splatscape::quant {

inline uint32_t load_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t load_u64(const uint8_t* p) {
    return uint64_t(load_u32(p)) | uint64_t(load_u32(p + 4)) << 32;
}
inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
    for (int s = 0; s < 32; s += 8) out.push_back(uint8_t(v >> s));
}
inline void put_u64(std::vector<uint8_t>& out, uint64_t v) {
    put_u32(out, uint32_t(v));
    put_u32(out, uint32_t(v >> 32));
}

inline uint8_t to_u8(float v) {
    return uint8_t(std::clamp(std::lround(v), 0L, 255L));
}

// 24-bit two's complement fixed point with `fractional_bits` bits after the point.
inline void put_fixed24(float v, int fractional_bits, uint8_t out[3]) {
    const int32_t fixed = int32_t(std::lround(v * float(1u << fractional_bits)));
    for (int b = 0; b < 3; ++b) out[b] = uint8_t(uint32_t(fixed) >> (8 * b));
}
inline float load_fixed24(const uint8_t in[3], int fractional_bits) {
    int32_t fixed = int32_t(uint32_t(in[0]) | uint32_t(in[1]) << 8 | uint32_t(in[2]) << 16);
    if (fixed & 0x800000) fixed -= 0x1000000; // sign-extend
    return float(fixed) / float(1u << fractional_bits);
}
// The most fractional bits, up to `preferred`, that keep |v| <= max_abs inside 24-bit fixed point;
// -1 when no count does.
inline int fixed24_fractional_bits(float max_abs, int preferred) {
    if (!(max_abs < float(1 << 23) - 1.0f)) return -1;
    int bits = preferred;
    while (bits > 0 && max_abs * float(1u << bits) >= float(1 << 23) - 1.0f) --bits;
    return bits;
}

// A unit quaternion (x y z w) in 32 bits: the 2-bit index of the largest component, then for each
// other component a sign bit and a 9-bit magnitude in units of 1/511 of 1/sqrt(2). q and -q are
// the same rotation; the largest component is stored positive.
inline void pack_smallest_three(const float q_in[4], uint8_t out[4]) {
    const float sqrt_half = std::sqrt(0.5f);
    int largest = 0;
    for (int i = 1; i < 4; ++i)
        if (std::abs(q_in[i]) > std::abs(q_in[largest])) largest = i;
    const bool negate = q_in[largest] < 0.0f;
    uint32_t comp = uint32_t(largest);
    for (int i = 0; i < 4; ++i) {
        if (i == largest) continue;
        const uint32_t neg = (q_in[i] < 0.0f) != negate ? 1u : 0u;
        const uint32_t mag = uint32_t(std::min(511.0f, std::floor(511.0f * std::abs(q_in[i]) / sqrt_half + 0.5f)));
        comp = (comp << 10) | (neg << 9) | mag;
    }
    for (int b = 0; b < 4; ++b) out[b] = uint8_t(comp >> (8 * b));
}

inline void unpack_smallest_three(const uint8_t in[4], float q[4]) { // q: x y z w
    const float sqrt_half = std::sqrt(0.5f);
    uint32_t comp = load_u32(in);
    const int largest = int(comp >> 30);
    float sum = 0.0f;
    for (int i = 3; i >= 0; --i) {
        if (i == largest) continue;
        const float mag = float(comp & 511u) / 511.0f * sqrt_half;
        q[i] = (comp >> 9) & 1u ? -mag : mag;
        sum += q[i] * q[i];
        comp >>= 10;
    }
    q[largest] = std::sqrt(std::max(0.0f, 1.0f - sum));
}

// A stored quaternion (w x y z, any length) as unit x y z w; the identity when its length is 0.
inline void unit_xyzw(const float* wxyz, float q[4]) {
    const float norm = std::sqrt(wxyz[0] * wxyz[0] + wxyz[1] * wxyz[1] + wxyz[2] * wxyz[2] + wxyz[3] * wxyz[3]);
    q[0] = q[1] = q[2] = 0.0f;
    q[3] = 1.0f;
    if (norm > 0.0f) q[0] = wxyz[1] / norm, q[1] = wxyz[2] / norm, q[2] = wxyz[3] / norm, q[3] = wxyz[0] / norm;
}

} // namespace splatscape::quant
