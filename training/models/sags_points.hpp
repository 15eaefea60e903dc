#pragma once
// The point skeleton of sags: voxelisation, curvature-driven upsampling of flat regions, and the
// mid-point pairs of SAGS-Lite. Host code around the neighbour ops (training/ops/neighbour_ops.hpp).
#include <cstdint>
#include <vector>

#include "core/point_cloud.hpp"
#include "training/backend.hpp"
#include "training/models/sags_config.hpp"

namespace splatscape {

class NeighbourOps;

// One point per occupied voxel: positions snapped to the nearest multiple of `voxel` on every axis,
// colours averaged over the points that fell in it; ordered by voxel (z, then y, then x).
PointCloud voxelize_points(const PointCloud& points, float voxel);

// Standardised PCA curvature (training/kernels/curvature.hpp over each point and its k nearest
// neighbours, then (c - mean) / standard deviation; all 0 when every point has the same).
std::vector<float> standardised_curvature(Backend& backend, NeighbourOps& ops, const std::vector<float>& positions,
                                          int k);

// How many of its nearest neighbours a point of standardised curvature z pairs with (SagsConfig).
int upsample_pairs(const SagsConfig& config, float z);

// The points plus a mid-point between every point and the upsample_pairs() nearest of its
// curvature_neighbours neighbours (each unordered pair once), voxelised again at `voxel`.
PointCloud upsample_flat_regions(Backend& backend, NeighbourOps& ops, const PointCloud& points,
                                 const SagsConfig& config, float voxel);

// SAGS-Lite: every unordered pair (i, j), i < j, of a key point and one of its k nearest key points,
// ascending; [P, 2] row-major.
std::vector<int32_t> lite_pairs(Backend& backend, NeighbourOps& ops, const std::vector<float>& positions, int k);

} // namespace splatscape
