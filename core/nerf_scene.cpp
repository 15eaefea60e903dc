#include "core/nerf_scene.hpp"

#include <algorithm>
#include <cmath>

namespace splatscape {

size_t NerfMlp::parameter_count() const {
    size_t n = 0;
    for (int l = 0; l + 1 < int(widths.size()); ++l) n += size_t(widths[size_t(l)] + 1) * size_t(widths[size_t(l) + 1]);
    return n;
}

size_t NerfScene::parameter_count() const {
    size_t n = gate_grid.table.size() + gate_mlp.params.size() + colour_mlp.params.size() + appearance.size();
    for (const NerfHashGrid& g : expert_grids) n += g.table.size();
    for (const NerfMlp& m : expert_mlps) n += m.params.size();
    return n;
}

Bounds NerfScene::inner_bounds() const {
    Bounds b;
    b.min = center - glm::vec3(0.5f * scale);
    b.max = center + glm::vec3(0.5f * scale);
    return b;
}

Bounds NerfScene::outer_bounds() const {
    const float half = 0.5f * scale * float(1 << (cascades - 1));
    Bounds b;
    b.min = center - glm::vec3(half);
    b.max = center + glm::vec3(half);
    return b;
}

size_t NerfScene::occupied_cells() const {
    size_t n = 0;
    for (uint32_t w : occupancy) n += size_t(__builtin_popcount(w));
    return n;
}

glm::vec3 nerf_expert_colour(int expert, int experts) {
    // Hues spread evenly, fully saturated, bright enough to read over black or white.
    const float h = 6.0f * float(expert) / float(std::max(experts, 1));
    const float x = 1.0f - std::abs(std::fmod(h, 2.0f) - 1.0f);
    glm::vec3 c;
    switch (int(h) % 6) {
    case 0:
        c = {1, x, 0};
        break;
    case 1:
        c = {x, 1, 0};
        break;
    case 2:
        c = {0, 1, x};
        break;
    case 3:
        c = {0, x, 1};
        break;
    case 4:
        c = {x, 0, 1};
        break;
    default:
        c = {1, 0, x};
        break;
    }
    return 0.15f + 0.8f * c;
}

} // namespace splatscape
