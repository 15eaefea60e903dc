#pragma once
// The level-of-detail hierarchy of a Gaussian scene: a kd-tree over the Gaussians whose leaves hold
// at most `leaf_splats` of them, and whose inner nodes hold a coarser version of their children
// made by merging Gaussians.
//
// Splits: a node's Gaussians are split at the median of the longest axis of their centres' box,
// twice (so an inner node has up to four children, as a quadtree-like kd-tree), until a part holds
// at most `leaf_splats`.
//
// Merging (moment matching, as Hierarchical 3DGS does): an inner node's content is its children's
// contents clustered into at most `leaf_splats` spatially compact groups (the same median splits,
// down to groups of ceil(n / target)), each group replaced by one Gaussian whose mean and covariance
// are those of the weighted mixture of its members,
//   mu = sum w_i mu_i / W,  Sigma = sum w_i (Sigma_i + (mu_i - mu)(mu_i - mu)^T) / W,
// with weights w_i = opacity_i times the ellipsoid's mean projected area (pi/4 of its surface area
// over all directions, approximated by s_a s_b + s_b s_c + s_c s_a); SH coefficients are the
// same weighted mean; the opacity keeps the group's coverage, alpha A = sum alpha_i A_i (A the
// projected area), clamped to [0, 0.995].
//
// Geometric error (scene units): 0 for leaves; for an inner node the size of the detail its merging
// drops, the 95th percentile over its groups of 2 sqrt(largest eigenvalue of the spread of the
// members' centres about the merged mean), and never less than its children's errors (times
// 1.0001, so that errors strictly grow towards the root).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

struct LodBuildOptions {
    size_t leaf_splats = 65536; // the most Gaussians in one tile (leaves and merged inner nodes)
    int max_depth = 40;         // splits stop here whatever the count (coincident centres)
};

// One node of the hierarchy as the builder produces it. `box` bounds the 3-sigma extents of the
// node's content and of all its descendants (internal frame, axis-aligned).
struct LodNodeInfo {
    int id = 0;
    int parent = -1;
    int level = 0;
    std::vector<int> children;
    Bounds box;
    double geometric_error = 0.0;
    size_t splats = 0;
};

// Builds the hierarchy and hands each node's content to `emit` in post-order (children before their
// parent), so a caller can write tiles as they come and memory stays near the input's size. `emit`
// is called from several threads at once (subtrees are built in parallel).
// Returns the nodes, indexed by id; node 0 is the root. The input must be valid (validate()).
std::vector<LodNodeInfo> build_lod_hierarchy(const GaussianCloud& cloud, const LodBuildOptions& options,
                                             const std::function<void(const LodNodeInfo&, const GaussianCloud&)>& emit);

// Merges `cloud` into at most `target` Gaussians as described above; `error` receives the merge's
// geometric error. Exposed for tests.
GaussianCloud merge_gaussians(const GaussianCloud& cloud, size_t target, double* error = nullptr);

// Axis-aligned bounds of the 3-sigma ellipsoids of `cloud` (empty cloud: a zero box at the origin).
Bounds splat_extent_bounds(const GaussianCloud& cloud);

// Factors a symmetric covariance (xx xy xz yy yz zz) as R diag(s^2) R^T: log-scales (floored at
// log(1e-12)) and R's unit quaternion (w x y z).
void factor_covariance(const double cov[6], float log_scales[3], float quaternion[4]);

} // namespace splatscape
