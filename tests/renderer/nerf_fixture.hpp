#pragma once
// A small hmohe model with random but plausible parameters, and cameras around it: what the Vulkan
// ray marcher's tests (test_nerf_vk.cpp) and the viewer's (tests/gui/test_gui_window.cpp) render
// and compare with the CPU render, without training anything.
#include <cstdint>

#include "core/camera.hpp"
#include "core/nerf_scene.hpp"
#include "training/backend.hpp"

namespace splatscape::test {

struct NerfFixtureOptions {
    int cascades = 1;
    float cone_angle = 0.0f;
    int appearance = 0;
    uint32_t seed = 1;
};

// 4 experts of 6 levels (the coarse ones dense, the fine ones hashed), 32 hidden units, SH degree
// 3; hash tables and weights drawn at random with magnitudes a trained model has (tables of +-1
// rather than the initial +-1e-4, a sharper gate, densities around e^2); occupied cells inside a
// sphere and a slab of the inner cube ([-1, 1]^3 in world units), so that rays also cross empty
// space and miss. Background (0.1, 0.2, 0.3).
NerfScene random_nerf_scene(Backend& backend, const NerfFixtureOptions& options = {});

// A camera on a circle of radius 2.6 around the origin, slightly above it (OpenCV axes, y down),
// `angle` radians along the circle, focal length 1.1 x width.
Camera nerf_orbit_camera(float angle, int width, int height);

} // namespace splatscape::test
