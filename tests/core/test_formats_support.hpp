#pragma once
// Helpers shared by the scene-format tests (test_formats*.cpp): generated clouds, error metrics
// between two clouds, and a hand-made GLB builder for files our writer would never produce.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gaussian_cloud.hpp"

namespace splatscape::test {

// Values inside every format's representable range (SPZ's is the narrowest: DC colour within
// +-3.33, higher SH within [-1, 1), log-scales within [-10, 5.9]).
inline GaussianCloud format_test_cloud(size_t n, int degree, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto range = [&](float lo, float hi) { return lo + (hi - lo) * u(rng); };
    GaussianCloud c;
    c.resize(n, degree);
    const int k = c.sh_coeffs();
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = range(-8.0f, 8.0f);
            c.log_scales[3 * i + a] = range(-6.0f, 0.5f);
            c.sh[(i * k) * 3 + a] = range(-3.0f, 3.0f);
        }
        const float scale = range(0.3f, 3.0f); // rotations are stored unnormalised
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = nd(rng) * scale;
        c.opacities[i] = range(-5.0f, 5.0f);
        for (int j = 1; j < k; ++j)
            for (int ch = 0; ch < 3; ++ch) c.sh[(i * k + j) * 3 + ch] = range(-0.95f, 0.95f);
    }
    return c;
}

// Largest per-element differences between two clouds of the same size and order.
struct CloudDiff {
    double position = 0, log_scale = 0, rotation_deg = 0, opacity = 0, color = 0, sh1 = 0, sh_rest = 0;
};

inline double rotation_angle_deg(const float* a, const float* b) {
    double na = 0, nb = 0, d = 0;
    for (int i = 0; i < 4; ++i) na += double(a[i]) * a[i], nb += double(b[i]) * b[i], d += double(a[i]) * b[i];
    const double c = std::min(1.0, std::abs(d) / std::sqrt(na * nb));
    return 2.0 * std::acos(c) * 180.0 / M_PI;
}

inline CloudDiff cloud_diff(const GaussianCloud& a, const GaussianCloud& b) {
    CloudDiff d;
    const size_t n = std::min(a.size(), b.size());
    const int ka = a.sh_coeffs(), kb = b.sh_coeffs(), k = std::min(ka, kb);
    for (size_t i = 0; i < n; ++i) {
        for (int x = 0; x < 3; ++x) {
            d.position = std::max(d.position, double(std::abs(a.positions[3 * i + x] - b.positions[3 * i + x])));
            d.log_scale = std::max(d.log_scale, double(std::abs(a.log_scales[3 * i + x] - b.log_scales[3 * i + x])));
            d.color = std::max(d.color, double(std::abs(a.sh[i * ka * 3 + x] - b.sh[i * kb * 3 + x]) * kShC0));
            for (int j = 1; j < k; ++j) {
                const double e = std::abs(a.sh[(i * ka + j) * 3 + x] - b.sh[(i * kb + j) * 3 + x]);
                if (j < 4)
                    d.sh1 = std::max(d.sh1, e);
                else
                    d.sh_rest = std::max(d.sh_rest, e);
            }
        }
        d.rotation_deg = std::max(d.rotation_deg, rotation_angle_deg(&a.rotations[4 * i], &b.rotations[4 * i]));
        d.opacity = std::max(d.opacity, double(std::abs(sigmoid(a.opacities[i]) - sigmoid(b.opacities[i]))));
    }
    return d;
}

inline std::ostream& operator<<(std::ostream& o, const CloudDiff& d) {
    return o << "position " << d.position << ", log-scale " << d.log_scale << ", rotation " << d.rotation_deg
             << " deg, opacity " << d.opacity << ", colour " << d.color << ", SH band 1 " << d.sh1 << ", SH bands 2-3 "
             << d.sh_rest;
}

// A GLB from a JSON document and a binary chunk (both padded to 4 bytes as the format requires).
inline std::vector<uint8_t> make_glb(const nlohmann::json& doc, std::vector<uint8_t> bin) {
    std::string json = doc.dump();
    while (json.size() % 4) json += ' ';
    while (bin.size() % 4) bin.push_back(0);
    std::vector<uint8_t> out;
    auto u32 = [&](uint32_t v) {
        for (int s = 0; s < 32; s += 8) out.push_back(uint8_t(v >> s));
    };
    const uint32_t total = 12 + 8 + uint32_t(json.size()) + (bin.empty() ? 0 : 8 + uint32_t(bin.size()));
    out.insert(out.end(), {'g', 'l', 'T', 'F'});
    u32(2);
    u32(total);
    u32(uint32_t(json.size()));
    u32(0x4E4F534A); // JSON
    out.insert(out.end(), json.begin(), json.end());
    if (!bin.empty()) {
        u32(uint32_t(bin.size()));
        u32(0x004E4942); // BIN
        out.insert(out.end(), bin.begin(), bin.end());
    }
    return out;
}

// Builds splat-primitive GLBs attribute by attribute: each call appends an accessor (and a view).
struct GlbBuilder {
    nlohmann::json doc;
    std::vector<uint8_t> bin;
    nlohmann::json attributes = nlohmann::json::object();

    GlbBuilder() {
        doc["asset"] = {{"version", "2.0"}};
        doc["extensionsUsed"] = {"KHR_gaussian_splatting"};
        doc["bufferViews"] = nlohmann::json::array();
        doc["accessors"] = nlohmann::json::array();
    }
    template <class T>
    int add(const std::string& semantic, const std::vector<T>& values, int component, const char* type, size_t count,
            bool normalized = false) {
        while (bin.size() % 4) bin.push_back(0);
        const size_t offset = bin.size();
        const auto* p = reinterpret_cast<const uint8_t*>(values.data());
        bin.insert(bin.end(), p, p + values.size() * sizeof(T));
        doc["bufferViews"].push_back(
            {{"buffer", 0}, {"byteOffset", offset}, {"byteLength", values.size() * sizeof(T)}});
        nlohmann::json acc = {{"bufferView", doc["bufferViews"].size() - 1},
                              {"componentType", component},
                              {"count", count},
                              {"type", type}};
        if (normalized) acc["normalized"] = true;
        doc["accessors"].push_back(acc);
        const int index = int(doc["accessors"].size() - 1);
        attributes[semantic] = index;
        return index;
    }
    // The document with one POINTS primitive under one node (optionally transformed).
    std::vector<uint8_t> build(const nlohmann::json& node_extra = nlohmann::json::object(), int mode = 0) {
        nlohmann::json d = doc;
        d["buffers"] = {{{"byteLength", (bin.size() + 3) / 4 * 4}}};
        d["meshes"] = {
            {{"primitives",
              {{{"attributes", attributes},
                {"mode", mode},
                {"extensions",
                 {{"KHR_gaussian_splatting", {{"kernel", "ellipse"}, {"colorSpace", "srgb_rec709_display"}}}}}}}}}};
        nlohmann::json node = {{"mesh", 0}};
        for (auto& [k, v] : node_extra.items()) node[k] = v;
        d["nodes"] = {node};
        d["scenes"] = {{{"nodes", {0}}}};
        d["scene"] = 0;
        return make_glb(d, bin);
    }
};

constexpr int kGlFloat = 5126, kGlByte = 5120, kGlUByte = 5121, kGlShort = 5122, kGlUShort = 5123;

} // namespace splatscape::test
