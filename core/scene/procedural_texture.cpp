#include "core/scene/procedural_texture.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <glm/common.hpp>
#include <glm/geometric.hpp>

namespace splatscape::scene {
namespace {

constexpr float kTwoPi = 6.283185307179586f;

uint32_t hash3(int32_t x, int32_t y, int32_t z) {
    // Integer mixing (a PCG-style output permutation over a combined lattice index).
    uint32_t h = uint32_t(x) * 0x8DA6B343u ^ uint32_t(y) * 0xD8163841u ^ uint32_t(z) * 0xCB1AB31Fu;
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

float lattice(int32_t x, int32_t y, int32_t z) {
    return float(hash3(x, y, z) >> 8) * (1.0f / 16777216.0f);
}

float fade(float t) {
    return t * t * t * (t * (t * 6.0f - 15.0f) + 10.0f);
}

float smoothstep(float e0, float e1, float x) {
    float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

} // namespace

std::string to_string(Pattern pattern) {
    switch (pattern) {
    case Pattern::Solid:
        return "solid";
    case Pattern::Stripes:
        return "stripes";
    case Pattern::AngularStripes:
        return "angular-stripes";
    case Pattern::Checker:
        return "checker";
    case Pattern::Gradient:
        return "gradient";
    case Pattern::Noise:
        return "noise";
    }
    return "?";
}

float value_noise(glm::vec3 p) {
    glm::vec3 f = glm::floor(p);
    auto x0 = int32_t(f.x), y0 = int32_t(f.y), z0 = int32_t(f.z);
    float u = fade(p.x - f.x), v = fade(p.y - f.y), w = fade(p.z - f.z);
    float c[2][2][2];
    for (int dz = 0; dz < 2; ++dz)
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) c[dz][dy][dx] = lattice(x0 + dx, y0 + dy, z0 + dz);
    auto lerp = [](float a, float b, float t) { return a + (b - a) * t; };
    float a = lerp(lerp(c[0][0][0], c[0][0][1], u), lerp(c[0][1][0], c[0][1][1], u), v);
    float b = lerp(lerp(c[1][0][0], c[1][0][1], u), lerp(c[1][1][0], c[1][1][1], u), v);
    return lerp(a, b, w);
}

glm::vec3 evaluate_texture(const Texture& tex, glm::vec3 p) {
    float s = 0.0f; // blend weight from color_a (0) to color_b (1)
    switch (tex.pattern) {
    case Pattern::Solid:
        s = 0.0f;
        break;
    case Pattern::Stripes:
        s = 0.5f + 0.5f * std::sin(kTwoPi * tex.frequency * glm::dot(p, tex.axis));
        break;
    case Pattern::AngularStripes: {
        // Bands narrow towards the axis (on a cylinder's caps); fade them out where they would
        // be narrower than about 0.05 units instead of letting them converge to a point.
        float rho = std::sqrt(p.x * p.x + p.y * p.y);
        float contrast = smoothstep(0.0f, 0.015f * tex.frequency, rho);
        s = 0.5f + 0.5f * contrast * std::sin(tex.frequency * std::atan2(p.y, p.x));
        break;
    }
    case Pattern::Checker: {
        // The sign of a product of sines is a checker; smoothing it over a band of the product
        // rounds the cell corners and softens edges to a few hundredths of a unit.
        const float k = 3.14159265f * tex.frequency;
        float product = std::sin(k * p.x) * std::sin(k * p.y) * std::cos(k * p.z);
        s = smoothstep(-0.25f, 0.25f, product);
        break;
    }
    case Pattern::Gradient:
        s = std::clamp(0.5f + tex.frequency * glm::dot(p, tex.axis), 0.0f, 1.0f);
        break;
    case Pattern::Noise: {
        glm::vec3 q = p * tex.frequency;
        float n = (2.0f * value_noise(q) + value_noise(2.0f * q + glm::vec3(17.3f))) / 3.0f;
        // Value noise concentrates around 0.5; stretch it so both colours show.
        s = smoothstep(0.25f, 0.75f, n);
        break;
    }
    }
    glm::vec3 c = tex.color_a + (tex.color_b - tex.color_a) * s;
    if (tex.noise_amount > 0.0f) c *= 1.0f + tex.noise_amount * (2.0f * value_noise(p * tex.noise_frequency) - 1.0f);
    if (tex.detail_amount > 0.0f) {
        const glm::vec3 q = p * tex.detail_frequency;
        // Octave weights 4:2:1; the offsets decorrelate the octaves' lattices.
        const float d = (4.0f * value_noise(q) + 2.0f * value_noise(2.0f * q + glm::vec3(31.7f)) +
                         value_noise(4.0f * q + glm::vec3(-11.1f))) /
                        7.0f;
        c *= 1.0f + tex.detail_amount * (2.0f * smoothstep(0.3f, 0.7f, d) - 1.0f);
    }
    return glm::clamp(c, glm::vec3(0.0f), glm::vec3(1.0f));
}

} // namespace splatscape::scene
