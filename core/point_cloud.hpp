#pragma once
#include <cstddef>
#include <vector>

namespace splatscape {

// Coloured sparse points (SfM points, or points sampled on the surfaces of a generated scene).
struct PointCloud {
    std::vector<float> positions;  // [M, 3], world frame
    std::vector<float> colors;     // [M, 3] in [0, 1]
    size_t size() const { return positions.size() / 3; }
};

}  // namespace splatscape
