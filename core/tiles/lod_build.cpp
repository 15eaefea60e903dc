#include "core/tiles/lod_build.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <glm/common.hpp>

#include "core/error.hpp"

namespace splatscape {
namespace {

using Range = std::pair<size_t, size_t>; // [begin, end) into an index array

// Cyclic Jacobi eigen-decomposition of a symmetric 3x3 matrix in place: A becomes diagonal (the
// eigenvalues), V holds the eigenvectors as columns.
void jacobi3(double A[3][3], double V[3][3]) {
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) V[r][c] = r == c ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 32; ++sweep) {
        const double off = A[0][1] * A[0][1] + A[0][2] * A[0][2] + A[1][2] * A[1][2];
        const double diag = A[0][0] * A[0][0] + A[1][1] * A[1][1] + A[2][2] * A[2][2];
        if (off == 0.0 || off <= 1e-30 * diag) break;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (A[p][q] == 0.0) continue;
                const double theta = (A[q][q] - A[p][p]) / (2.0 * A[p][q]);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 3; ++k) {
                    const double akp = A[k][p], akq = A[k][q];
                    A[k][p] = c * akp - s * akq;
                    A[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; ++k) {
                    const double apk = A[p][k], aqk = A[q][k];
                    A[p][k] = c * apk - s * aqk;
                    A[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; ++k) {
                    const double vkp = V[k][p], vkq = V[k][q];
                    V[k][p] = c * vkp - s * vkq;
                    V[k][q] = s * vkp + c * vkq;
                }
            }
    }
}

// Rotation matrix (row-major) of a quaternion w x y z (normalised here).
void rotation_of(const float* q, double R[3][3]) {
    double w = q[0], x = q[1], y = q[2], z = q[3];
    const double n = std::sqrt(w * w + x * x + y * y + z * z);
    if (n > 0)
        w /= n, x /= n, y /= n, z /= n;
    else
        w = 1, x = y = z = 0;
    R[0][0] = 1 - 2 * (y * y + z * z), R[0][1] = 2 * (x * y - w * z), R[0][2] = 2 * (x * z + w * y);
    R[1][0] = 2 * (x * y + w * z), R[1][1] = 1 - 2 * (x * x + z * z), R[1][2] = 2 * (y * z - w * x);
    R[2][0] = 2 * (x * z - w * y), R[2][1] = 2 * (y * z + w * x), R[2][2] = 1 - 2 * (x * x + y * y);
}

// World covariance of Gaussian i of `c`: xx xy xz yy yz zz.
void covariance_of(const GaussianCloud& c, size_t i, double cov[6]) {
    double R[3][3];
    rotation_of(&c.rotations[4 * i], R);
    double s2[3];
    for (int a = 0; a < 3; ++a) s2[a] = std::exp(2.0 * double(c.log_scales[3 * i + a]));
    auto e = [&](int r, int col) {
        return R[r][0] * R[col][0] * s2[0] + R[r][1] * R[col][1] * s2[1] + R[r][2] * R[col][2] * s2[2];
    };
    cov[0] = e(0, 0), cov[1] = e(0, 1), cov[2] = e(0, 2), cov[3] = e(1, 1), cov[4] = e(1, 2), cov[5] = e(2, 2);
}

double projected_area(const float* log_scales) {
    const double a = std::exp(double(log_scales[0])), b = std::exp(double(log_scales[1])),
                 c = std::exp(double(log_scales[2]));
    return a * b + b * c + c * a;
}

int longest_axis(const GaussianCloud& c, const std::vector<uint32_t>& idx, Range r) {
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (size_t k = r.first; k < r.second; ++k) {
        const glm::vec3 p = c.position(idx[k]);
        lo = glm::min(lo, p);
        hi = glm::max(hi, p);
    }
    const glm::vec3 e = hi - lo;
    return e.x >= e.y && e.x >= e.z ? 0 : (e.y >= e.z ? 1 : 2);
}

// Reorders idx[r] so that [r.first, mid) lie below the median along the longest axis.
void median_split(const GaussianCloud& c, std::vector<uint32_t>& idx, Range r, size_t mid) {
    const int axis = longest_axis(c, idx, r);
    std::nth_element(idx.begin() + long(r.first), idx.begin() + long(mid), idx.begin() + long(r.second),
                     [&](uint32_t a, uint32_t b) { return c.positions[3 * a + axis] < c.positions[3 * b + axis]; });
}

// Splits r into exactly `k` spatially compact groups of nearly equal size.
void partition_groups(const GaussianCloud& c, std::vector<uint32_t>& idx, Range r, size_t k, std::vector<Range>& out) {
    const size_t m = r.second - r.first;
    if (k <= 1 || m <= 1) {
        out.push_back(r);
        return;
    }
    const size_t k1 = k / 2;
    const size_t mid = r.first + m * k1 / k;
    median_split(c, idx, r, mid);
    partition_groups(c, idx, {r.first, mid}, k1, out);
    partition_groups(c, idx, {mid, r.second}, k - k1, out);
}

GaussianCloud gather(const GaussianCloud& c, const std::vector<uint32_t>& idx, Range r) {
    GaussianCloud out;
    out.resize(r.second - r.first, c.sh_degree);
    const int k = c.sh_coeffs();
    for (size_t j = 0; j < r.second - r.first; ++j) {
        const size_t i = idx[r.first + j];
        std::copy_n(&c.positions[3 * i], 3, &out.positions[3 * j]);
        std::copy_n(&c.log_scales[3 * i], 3, &out.log_scales[3 * j]);
        std::copy_n(&c.rotations[4 * i], 4, &out.rotations[4 * j]);
        out.opacities[j] = c.opacities[i];
        std::copy_n(&c.sh[i * k * 3], k * 3, &out.sh[j * k * 3]);
    }
    return out;
}

void append(GaussianCloud& dst, const GaussianCloud& src) {
    dst.positions.insert(dst.positions.end(), src.positions.begin(), src.positions.end());
    dst.log_scales.insert(dst.log_scales.end(), src.log_scales.begin(), src.log_scales.end());
    dst.rotations.insert(dst.rotations.end(), src.rotations.begin(), src.rotations.end());
    dst.opacities.insert(dst.opacities.end(), src.opacities.begin(), src.opacities.end());
    dst.sh.insert(dst.sh.end(), src.sh.begin(), src.sh.end());
}

// The hierarchy's shape, before any content: nodes in pre-order with their index ranges.
struct Shape {
    std::vector<LodNodeInfo> nodes;
    std::vector<Range> ranges; // leaves: their Gaussians in `idx`
};

int build_shape(const GaussianCloud& c, std::vector<uint32_t>& idx, Range r, int parent, int level,
                const LodBuildOptions& o, Shape& s) {
    const int id = int(s.nodes.size());
    s.nodes.push_back({});
    s.ranges.push_back(r);
    s.nodes[id].id = id;
    s.nodes[id].parent = parent;
    s.nodes[id].level = level;
    const size_t m = r.second - r.first;
    if (m <= o.leaf_splats || level >= o.max_depth) return id;
    // Two median splits: up to four children.
    std::vector<Range> parts;
    const size_t mid = r.first + m / 2;
    median_split(c, idx, r, mid);
    for (Range half : {Range{r.first, mid}, Range{mid, r.second}}) {
        const size_t hm = half.second - half.first;
        if (hm > o.leaf_splats) {
            const size_t q = half.first + hm / 2;
            median_split(c, idx, half, q);
            parts.push_back({half.first, q});
            parts.push_back({q, half.second});
        } else if (hm > 0) {
            parts.push_back(half);
        }
    }
    for (Range p : parts) {
        const int child = build_shape(c, idx, p, id, level + 1, o, s);
        s.nodes[id].children.push_back(child);
    }
    return id;
}

Bounds union_bounds(const Bounds& a, const Bounds& b) {
    return {glm::min(a.min, b.min), glm::max(a.max, b.max)};
}

} // namespace

void factor_covariance(const double cov[6], float log_scales[3], float quaternion[4]) {
    double A[3][3] = {{cov[0], cov[1], cov[2]}, {cov[1], cov[3], cov[4]}, {cov[2], cov[4], cov[5]}};
    double V[3][3];
    jacobi3(A, V);
    const double det = V[0][0] * (V[1][1] * V[2][2] - V[1][2] * V[2][1]) -
                       V[0][1] * (V[1][0] * V[2][2] - V[1][2] * V[2][0]) +
                       V[0][2] * (V[1][0] * V[2][1] - V[1][1] * V[2][0]);
    if (det < 0.0)
        for (int k = 0; k < 3; ++k) V[k][2] = -V[k][2];
    for (int k = 0; k < 3; ++k) log_scales[k] = float(0.5 * std::log(std::max(A[k][k], 1e-24)));
    // Quaternion of V (columns are the rotated axes), w >= 0.
    const double tr = V[0][0] + V[1][1] + V[2][2];
    double w, x, y, z;
    if (tr > 0) {
        const double t = std::sqrt(tr + 1.0) * 2.0;
        w = 0.25 * t, x = (V[2][1] - V[1][2]) / t, y = (V[0][2] - V[2][0]) / t, z = (V[1][0] - V[0][1]) / t;
    } else if (V[0][0] > V[1][1] && V[0][0] > V[2][2]) {
        const double t = std::sqrt(1.0 + V[0][0] - V[1][1] - V[2][2]) * 2.0;
        w = (V[2][1] - V[1][2]) / t, x = 0.25 * t, y = (V[0][1] + V[1][0]) / t, z = (V[0][2] + V[2][0]) / t;
    } else if (V[1][1] > V[2][2]) {
        const double t = std::sqrt(1.0 + V[1][1] - V[0][0] - V[2][2]) * 2.0;
        w = (V[0][2] - V[2][0]) / t, x = (V[0][1] + V[1][0]) / t, y = 0.25 * t, z = (V[1][2] + V[2][1]) / t;
    } else {
        const double t = std::sqrt(1.0 + V[2][2] - V[0][0] - V[1][1]) * 2.0;
        w = (V[1][0] - V[0][1]) / t, x = (V[0][2] + V[2][0]) / t, y = (V[1][2] + V[2][1]) / t, z = 0.25 * t;
    }
    const double sign = w < 0 ? -1.0 : 1.0, n = std::sqrt(w * w + x * x + y * y + z * z);
    quaternion[0] = float(sign * w / n), quaternion[1] = float(sign * x / n);
    quaternion[2] = float(sign * y / n), quaternion[3] = float(sign * z / n);
}

Bounds splat_extent_bounds(const GaussianCloud& c) {
    Bounds b;
    if (c.size() == 0) return b;
    b.min = glm::vec3(1e30f);
    b.max = glm::vec3(-1e30f);
    for (size_t i = 0; i < c.size(); ++i) {
        double cov[6];
        covariance_of(c, i, cov);
        const glm::vec3 half(3.0 * std::sqrt(cov[0]), 3.0 * std::sqrt(cov[3]), 3.0 * std::sqrt(cov[5]));
        b.min = glm::min(b.min, c.position(i) - half);
        b.max = glm::max(b.max, c.position(i) + half);
    }
    return b;
}

GaussianCloud merge_gaussians(const GaussianCloud& c, size_t target, double* error) {
    const size_t n = c.size();
    if (error) *error = 0.0;
    if (target == 0) throw Error("merge_gaussians: the target count must be positive");
    if (n <= target) return c;
    std::vector<uint32_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0u);
    std::vector<Range> groups;
    partition_groups(c, idx, {0, n}, target, groups);

    GaussianCloud out;
    out.resize(groups.size(), c.sh_degree);
    const int K = c.sh_coeffs();
    std::vector<double> group_error(groups.size(), 0.0);
    for (size_t g = 0; g < groups.size(); ++g) {
        const Range r = groups[g];
        double W = 0.0, coverage = 0.0;
        double mu[3] = {0, 0, 0};
        std::vector<double> w(r.second - r.first);
        for (size_t k = r.first; k < r.second; ++k) {
            const size_t i = idx[k];
            const double alpha = sigmoid(c.opacities[i]);
            const double area = projected_area(&c.log_scales[3 * i]);
            w[k - r.first] = alpha * area + 1e-30;
            coverage += alpha * area;
            W += w[k - r.first];
            for (int a = 0; a < 3; ++a) mu[a] += w[k - r.first] * c.positions[3 * i + a];
        }
        for (double& v : mu) v /= W;
        double cov[6] = {0, 0, 0, 0, 0, 0}, spread[6] = {0, 0, 0, 0, 0, 0};
        std::vector<double> sh(size_t(K) * 3, 0.0);
        for (size_t k = r.first; k < r.second; ++k) {
            const size_t i = idx[k];
            const double wi = w[k - r.first] / W;
            double ci[6];
            covariance_of(c, i, ci);
            const double d[3] = {c.positions[3 * i] - mu[0], c.positions[3 * i + 1] - mu[1],
                                 c.positions[3 * i + 2] - mu[2]};
            const double dd[6] = {d[0] * d[0], d[0] * d[1], d[0] * d[2], d[1] * d[1], d[1] * d[2], d[2] * d[2]};
            for (int e = 0; e < 6; ++e) {
                cov[e] += wi * (ci[e] + dd[e]);
                spread[e] += wi * dd[e];
            }
            for (int j = 0; j < K * 3; ++j) sh[size_t(j)] += wi * c.sh[i * K * 3 + size_t(j)];
        }
        for (int a = 0; a < 3; ++a) out.positions[3 * g + a] = float(mu[a]);
        factor_covariance(cov, &out.log_scales[3 * g], &out.rotations[4 * g]);
        for (int j = 0; j < K * 3; ++j) out.sh[g * K * 3 + size_t(j)] = float(sh[size_t(j)]);
        const double area = projected_area(&out.log_scales[3 * g]);
        const double alpha = std::clamp(coverage / std::max(area, 1e-30), 1e-4, 0.995);
        out.opacities[g] = float(std::log(alpha / (1.0 - alpha)));
        double S[3][3] = {
            {spread[0], spread[1], spread[2]}, {spread[1], spread[3], spread[4]}, {spread[2], spread[4], spread[5]}};
        double V[3][3];
        jacobi3(S, V);
        group_error[g] = 2.0 * std::sqrt(std::max({S[0][0], S[1][1], S[2][2], 0.0}));
    }
    if (error) {
        const size_t q = std::min(group_error.size() - 1, size_t(0.95 * double(group_error.size())));
        std::nth_element(group_error.begin(), group_error.begin() + long(q), group_error.end());
        *error = group_error[q];
    }
    return out;
}

std::vector<LodNodeInfo>
build_lod_hierarchy(const GaussianCloud& cloud, const LodBuildOptions& o,
                    const std::function<void(const LodNodeInfo&, const GaussianCloud&)>& emit) {
    if (o.leaf_splats < 16) throw UsageError(cat("--leaf-splats ", o.leaf_splats, " is too small (at least 16)"));
    if (cloud.size() > size_t(UINT32_MAX)) throw Error(cat(cloud.size(), " Gaussians are more than a hierarchy holds"));
    const size_t n = cloud.size();
    std::vector<uint32_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0u);
    Shape shape;
    build_shape(cloud, idx, {0, n}, -1, 0, o, shape);

    // Post-order: a node's content is its leaf Gaussians, or its children's contents merged.
    // Subtrees run as parallel tasks near the top.
    std::function<GaussianCloud(int)> process = [&](int id) -> GaussianCloud {
        LodNodeInfo& node = shape.nodes[size_t(id)];
        GaussianCloud content;
        if (node.children.empty()) {
            content = gather(cloud, idx, shape.ranges[size_t(id)]);
            node.geometric_error = 0.0;
            node.box = splat_extent_bounds(content);
        } else {
            std::vector<GaussianCloud> parts(node.children.size());
#pragma omp taskloop if (node.level < 4) default(shared)
            for (size_t k = 0; k < node.children.size(); ++k) parts[k] = process(node.children[k]);
            GaussianCloud all;
            all.resize(0, cloud.sh_degree);
            double child_error = 0.0;
            bool first = true;
            for (size_t k = 0; k < parts.size(); ++k) {
                append(all, parts[k]);
                parts[k] = GaussianCloud{};
                const LodNodeInfo& child = shape.nodes[size_t(node.children[k])];
                child_error = std::max(child_error, child.geometric_error);
                node.box = first ? child.box : union_bounds(node.box, child.box);
                first = false;
            }
            double merge_error = 0.0;
            content = merge_gaussians(all, o.leaf_splats, &merge_error);
            node.geometric_error = std::max({merge_error, child_error * 1.0001, 1e-9});
            if (content.size() > 0) node.box = union_bounds(node.box, splat_extent_bounds(content));
        }
        node.splats = content.size();
        emit(node, content);
        return content;
    };
    if (n > 0) {
#pragma omp parallel
#pragma omp single
        process(0);
    } else {
        GaussianCloud empty;
        empty.resize(0, cloud.sh_degree);
        emit(shape.nodes[0], empty);
    }
    return shape.nodes;
}

} // namespace splatscape
