#include "training/models/sags_points.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "training/ops/neighbour_ops.hpp"

namespace splatscape {

PointCloud voxelize_points(const PointCloud& points, float voxel) {
    if (!(voxel > 0.0f)) throw Error(cat("voxelize: voxel size ", voxel, " is not positive"));
    const size_t n = points.size();
    const bool colored = points.colors.size() == points.positions.size();
    std::vector<std::pair<std::array<int64_t, 3>, uint32_t>> keys(n);
    for (size_t i = 0; i < n; ++i) {
        std::array<int64_t, 3> k;
        for (int a = 0; a < 3; ++a) k[a] = int64_t(std::llround(double(points.positions[3 * i + a]) / voxel));
        keys[i] = {{k[2], k[1], k[0]}, uint32_t(i)};
    }
    std::sort(keys.begin(), keys.end());
    PointCloud out;
    for (size_t b = 0; b < n;) {
        size_t e = b;
        double col[3] = {0, 0, 0};
        while (e < n && keys[e].first == keys[b].first) {
            if (colored)
                for (int a = 0; a < 3; ++a) col[a] += points.colors[3 * keys[e].second + a];
            ++e;
        }
        const auto& k = keys[b].first;
        for (int a = 0; a < 3; ++a) out.positions.push_back(float(double(k[2 - a]) * voxel));
        for (int a = 0; a < 3; ++a) out.colors.push_back(colored ? float(col[a] / double(e - b)) : 0.5f);
        b = e;
    }
    return out;
}

namespace {

Tensor upload_points(Backend& backend, const std::vector<float>& positions) {
    Tensor t = backend.zeros(positions.size() / 3, 3);
    if (!positions.empty()) backend.upload(t, positions.data());
    return t;
}

std::vector<int32_t> download_i32(Backend& backend, const Tensor& t) {
    std::vector<int32_t> v(t.numel());
    if (!v.empty()) backend.download(t, v.data());
    return v;
}

} // namespace

std::vector<float> standardised_curvature(Backend& backend, NeighbourOps& ops, const std::vector<float>& positions,
                                          int k) {
    const size_t n = positions.size() / 3;
    if (n < 2) return std::vector<float>(n, 0.0f);
    const Tensor pts = upload_points(backend, positions);
    const KnnResult knn = ops.knn(pts, std::min<int>(k, int(n - 1)));
    std::vector<float> c = backend.download_f32(ops.pca_curvature(pts, knn.indices));
    double mean = 0, var = 0;
    for (float v : c) mean += v;
    mean /= double(n);
    for (float v : c) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / double(n));
    for (float& v : c) v = sd > 1e-12 ? float((v - mean) / sd) : 0.0f;
    return c;
}

int upsample_pairs(const SagsConfig& c, float z) {
    const float t = std::clamp((c.upsample_z_high - z) / (c.upsample_z_high - c.upsample_z_low), 0.0f, 1.0f);
    return int(std::lround(float(c.upsample_max_pairs) * t));
}

PointCloud upsample_flat_regions(Backend& backend, NeighbourOps& ops, const PointCloud& points,
                                 const SagsConfig& config, float voxel) {
    const size_t n = points.size();
    if (n < 2 || config.upsample_max_pairs == 0) return voxelize_points(points, voxel);
    const int k = std::min<int>(config.curvature_neighbours, int(n - 1));
    const Tensor pts = upload_points(backend, points.positions);
    const KnnResult knn = ops.knn(pts, k);
    const std::vector<int32_t> ids = download_i32(backend, knn.indices);
    std::vector<float> c = backend.download_f32(ops.pca_curvature(pts, knn.indices));
    double mean = 0, var = 0;
    for (float v : c) mean += v;
    mean /= double(n);
    for (float v : c) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / double(n));
    // Unordered pairs, each once.
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t i = 0; i < n; ++i) {
        const float z = sd > 1e-12 ? float((c[i] - mean) / sd) : 0.0f;
        const int m = std::min(upsample_pairs(config, z), k);
        for (int s = 0; s < m; ++s) {
            const int32_t j = ids[i * size_t(k) + size_t(s)];
            if (j < 0) continue;
            pairs.emplace_back(std::min<int32_t>(int32_t(i), j), std::max<int32_t>(int32_t(i), j));
        }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    PointCloud all = points;
    const bool colored = points.colors.size() == points.positions.size();
    if (!colored) all.colors.assign(points.positions.size(), 0.5f);
    for (const auto& [a, b] : pairs)
        for (int q = 0; q < 3; ++q) {
            all.positions.push_back(0.5f * (points.positions[3 * size_t(a) + q] + points.positions[3 * size_t(b) + q]));
            all.colors.push_back(0.5f * (all.colors[3 * size_t(a) + q] + all.colors[3 * size_t(b) + q]));
        }
    // Re-ordered so that colours follow positions through voxelisation.
    return voxelize_points(all, voxel);
}

std::vector<int32_t> lite_pairs(Backend& backend, NeighbourOps& ops, const std::vector<float>& positions, int k) {
    const size_t n = positions.size() / 3;
    if (n < 2) return {};
    k = std::min<int>(k, int(n - 1));
    const Tensor pts = upload_points(backend, positions);
    const std::vector<int32_t> ids = download_i32(backend, ops.knn(pts, k).indices);
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t i = 0; i < n; ++i)
        for (int s = 0; s < k; ++s) {
            const int32_t j = ids[i * size_t(k) + size_t(s)];
            if (j >= 0) pairs.emplace_back(std::min<int32_t>(int32_t(i), j), std::max<int32_t>(int32_t(i), j));
        }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<int32_t> out;
    out.reserve(pairs.size() * 2);
    for (const auto& [a, b] : pairs) {
        out.push_back(a);
        out.push_back(b);
    }
    return out;
}

} // namespace splatscape
