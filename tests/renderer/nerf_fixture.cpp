#include "tests/renderer/nerf_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <glm/glm.hpp>

#include "training/models/hmohe.hpp"

namespace splatscape::test {

NerfScene random_nerf_scene(Backend& backend, const NerfFixtureOptions& o) {
    HmoheConfig c;
    c.experts = 4;
    c.gate_levels = 4;
    c.gate_log2_table_size = 10;
    c.gate_base_resolution = 4.0f;
    c.gate_max_resolution = 32.0f;
    c.gate_hidden = 32;
    c.expert_levels = 6;
    c.expert_base_resolution = 4.0f;
    c.expert_max_resolution = {32.0f, 96.0f};
    c.expert_log2_table_size = {11, 12};
    c.expert_hidden = 32;
    c.colour_hidden = 32;
    c.colour_hidden_layers = 1;
    c.appearance_dims = o.appearance;
    kern::NerfSpace space;
    space.scale = 2.0f; // the inner cube is [-1, 1]^3
    space.cascades = o.cascades;
    space.resolution = 32;
    space.min_step = kern::kNerfSqrt3 / 256.0f;
    space.max_step = kern::kNerfSqrt3 * float(1 << (o.cascades - 1)) / float(space.resolution);
    space.cone_angle = o.cone_angle;
    HmoheNetwork net(backend, c, space, 1, o.seed, false);
    NerfScene s = net.to_scene(glm::vec3(0.1f, 0.2f, 0.3f));

    std::mt19937 rng(o.seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float& v : s.gate_grid.table) v = u(rng);
    for (NerfHashGrid& g : s.expert_grids)
        for (float& v : g.table) v = u(rng);
    // A sharper gate: its output layer times 4.
    const int h = s.gate_mlp.widths[1], E = s.experts();
    for (size_t i = s.gate_mlp.params.size() - size_t((h + 1) * E); i < s.gate_mlp.params.size(); ++i)
        s.gate_mlp.params[i] *= 4.0f;
    // Density logits around 2 (before the gate probability scales them).
    for (NerfMlp& m : s.expert_mlps) m.params[m.params.size() - size_t(m.outputs())] += 5.0f;
    for (float& v : s.appearance) v = u(rng);

    // Occupancy: cells of every cascade whose centre lies in the sphere or the slab.
    const int n = s.resolution;
    std::fill(s.occupancy.begin(), s.occupancy.end(), 0u);
    for (int k = 0; k < s.cascades; ++k)
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    const float size = float(1 << k);
                    const glm::vec3 centre = (glm::vec3(x, y, z) + 0.5f) / float(n) - 0.5f; // unit cube - 0.5
                    const glm::vec3 q = centre * size;
                    const bool sphere = glm::length(q - glm::vec3(0.05f, 0.0f, 0.0f)) < 0.3f;
                    const bool slab = std::abs(q.z - 0.3f) < 0.08f && std::abs(q.x) < 0.45f && std::abs(q.y) < 0.35f;
                    if (sphere || slab) {
                        const size_t bit = size_t(k) * size_t(n * n * n) + size_t(x + n * (y + n * z));
                        s.occupancy[bit / 32] |= 1u << (bit % 32);
                    }
                }
    return s;
}

Camera nerf_orbit_camera(float angle, int width, int height) {
    const glm::vec3 eye(2.6f * std::sin(angle), -0.8f, -2.6f * std::cos(angle));
    Camera c;
    Camera::look_at(eye, glm::vec3(0.0f), glm::vec3(0, -1, 0), width, height, 1.1f * width, 1.1f * width, 0.5f * width,
                    0.5f * height, c);
    return c;
}

} // namespace splatscape::test
