#include "training/ops/encoding_ops.hpp"

#include <cmath>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/kernels/random.hpp"

namespace splatscape {

float HashGridConfig::scale_for(float base_resolution, float max_resolution, int levels) {
    if (levels <= 1) return 1.0f;
    return float(std::exp((std::log(double(max_resolution)) - std::log(double(base_resolution))) / (levels - 1)));
}

kern::HashGridLayout hash_grid_layout(const HashGridConfig& c) {
    const char* what = "hash grid";
    if (c.levels < 1 || c.levels > kern::kHashMaxLevels)
        throw Error(what, "levels", cat(c.levels, " is out of range (1 to ", kern::kHashMaxLevels, ")"));
    if (c.features != 1 && c.features != 2 && c.features != 4 && c.features != 8)
        throw Error(what, "features", cat(c.features, ": expected 1, 2, 4 or 8 per level"));
    if (c.log2_table_size < 4 || c.log2_table_size > 24)
        throw Error(what, "log2_table_size", cat(c.log2_table_size, " is out of range (4 to 24)"));
    if (!(c.base_resolution >= 1.0f))
        throw Error(what, "base_resolution", cat(c.base_resolution, ": expected at least 1"));
    if (!(c.per_level_scale >= 1.0f))
        throw Error(what, "per_level_scale", cat(c.per_level_scale, ": expected at least 1"));
    kern::HashGridLayout g;
    g.levels = c.levels;
    g.features = c.features;
    g.table_size = 1u << c.log2_table_size;
    uint64_t rows = 0;
    for (int l = 0; l < c.levels; ++l) {
        const double n = std::floor(double(c.base_resolution) * std::pow(double(c.per_level_scale), l));
        if (n > double(1 << 20))
            throw Error(what, "per_level_scale",
                        cat("level ", l, " would have ", n, " cells per axis (at most 2^20); lower the growth"));
        g.resolution[l] = uint32_t(n);
        const uint64_t vertices = uint64_t(n + 1) * uint64_t(n + 1) * uint64_t(n + 1);
        const uint64_t size = vertices <= g.table_size ? vertices : g.table_size;
        if (vertices > g.table_size) g.hashed |= 1u << l;
        g.offset[l] = uint32_t(rows);
        rows += size;
    }
    g.offset[c.levels] = uint32_t(rows);
    return g;
}

std::vector<float> hash_grid_initial_table(const kern::HashGridLayout& layout, uint64_t seed, float range) {
    std::vector<float> t(size_t(layout.rows()) * layout.features);
    for (size_t i = 0; i < t.size(); ++i) t[i] = range * (2.0f * kern::random_uniform(seed, 0x4a5bu, i) - 1.0f);
    return t;
}

HashGrid HashGrid::create(Backend& backend, const HashGridConfig& config, uint64_t seed) {
    HashGrid g;
    g.config = config;
    g.layout = hash_grid_layout(config);
    g.table = backend.zeros(g.layout.rows(), g.layout.features);
    const auto init = hash_grid_initial_table(g.layout, seed);
    backend.upload(g.table, init.data());
    return g;
}

} // namespace splatscape
