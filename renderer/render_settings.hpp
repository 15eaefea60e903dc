#pragma once
// What to render and what a frame cost: shared by the offscreen renderer, the window and the CLI.
// No Vulkan types here, so callers that only render headless need no Vulkan headers.
#include <cstdint>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

namespace splatscape {

enum class RenderMode {
    Color,   // the splatted image over the background
    Depth,   // expected depth (alpha-weighted depth / alpha) as a colour ramp, near is bright
    Alpha,   // accumulated opacity, grey
    Centers, // each visible Gaussian's centre as a dot of its colour, nearest in front
    Heatmap, // Gaussians listed per 16x16 tile, log scale, blue (few) to red (the frame's most)
    // sags scenes (the viewer's sags kind draws them; the splat renderer alone draws colour):
    Points,    // the point skeleton, each point a small dot coloured by its position
    Graph,     // the skeleton with its k-nearest-neighbour graph as lines
    Curvature, // the skeleton coloured by standardised PCA curvature, blue (flat) to red (curved)
    // NeRF scenes (the ray marcher draws Color and Depth too; the splat renderer alone draws colour):
    Experts, // each pixel in the colour of the expert carrying most of its weight, faded by opacity
};

// "color", "depth", "alpha", "centers", "heatmap", "points", "graph", "curvature", "experts"
std::string to_string(RenderMode mode);
// Accepts the names above (and "centres"); throws UsageError listing them otherwise.
RenderMode parse_render_mode(const std::string& name);

struct RenderSettings {
    RenderMode mode = RenderMode::Color;
    int sh_degree = 3;           // used up to the scene's degree
    glm::vec3 background{0.0f};  // rgb in [0, 1]
    float scale_modifier = 1.0f; // multiplies every Gaussian's scale (viewer only)
    bool antialiased = false;    // docs/rasterizer.md, step 4: opacity compensation of the 2D filter
    float eps2d = 0.3f;          // the 2D filter's variance, pixels^2 (Mip-Splatting's 2D Mip filter: 0.1)
    int center_radius = 1;       // Centers mode: dots are (2r+1) pixels wide
    float time = 0.0f;           // 4D scenes: the scene time they are sliced at
};

struct PassTiming {
    std::string pass;
    double ms = 0.0;
};

struct RenderStats {
    uint64_t gaussians = 0;      // in the scene
    uint64_t visible = 0;        // survived culling
    uint64_t instances = 0;      // (tile, Gaussian) pairs sorted
    uint32_t max_tile_count = 0; // most Gaussians in one tile
    float depth_min = 0.0f;      // nearest and farthest visible centre
    float depth_max = 0.0f;
    std::vector<PassTiming> passes; // GPU time per pass; empty without timestamps
    double gpu_ms = 0.0;            // sum of the passes
    uint64_t gpu_memory_bytes = 0;  // device memory this renderer holds
    // NeRF scenes (gaussians, instances and max_tile_count are then 0; visible counts the pixels
    // whose opacity exceeds 0.5; the depth range is the pixels' in the depth mode):
    uint64_t samples = 0;    // network evaluations along the rays
    uint64_t parameters = 0; // the networks' parameters
    uint64_t unfinished = 0; // rays still marching when the frame's marching rounds ran out (0)
};

} // namespace splatscape
