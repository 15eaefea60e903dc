#include "app/gui/scene_framing.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

namespace splatscape::gui {
namespace {

constexpr float kPi = 3.14159265358979f;

glm::mat4 look_pose(glm::vec3 position, glm::vec3 target, glm::vec3 up) {
    const glm::vec3 f = glm::normalize(target - position);
    glm::vec3 r = glm::cross(f, up);
    if (glm::length(r) < 1e-6f) r = glm::cross(f, std::abs(f.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0));
    r = glm::normalize(r);
    glm::mat4 m(glm::mat3(r, glm::cross(f, r), f));
    m[3] = glm::vec4(position, 1.0f);
    return m;
}

} // namespace

std::optional<glm::vec3> up_from_cameras(const std::vector<Camera>& cameras) {
    glm::vec3 down{0.0f};
    for (const Camera& c : cameras) down += glm::vec3(c.camera_to_world()[1]);
    if (cameras.empty() || glm::length(down) < 1e-3f * float(cameras.size())) return std::nullopt;
    return -glm::normalize(down);
}

std::optional<glm::vec3> look_at_point(const std::vector<Camera>& cameras) {
    if (cameras.size() < 2) return std::nullopt;
    // Minimises sum |(I - d d^T)(x - c)|^2 over the axes (c, d).
    glm::dmat3 a(0.0);
    glm::dvec3 b(0.0);
    for (const Camera& cam : cameras) {
        const glm::dvec3 d = glm::normalize(glm::dvec3(cam.forward()));
        const glm::dvec3 c(cam.center());
        const glm::dmat3 p = glm::dmat3(1.0) - glm::outerProduct(d, d);
        a += p;
        b += p * c;
    }
    if (std::abs(glm::determinant(a)) < 1e-9 * double(cameras.size() * cameras.size() * cameras.size()))
        return std::nullopt;
    const glm::dvec3 x = glm::inverse(a) * b;
    if (!std::isfinite(x.x) || !std::isfinite(x.y) || !std::isfinite(x.z)) return std::nullopt;
    return glm::vec3(x);
}

SceneFraming frame_scene(const GaussianCloud* cloud, const std::vector<Camera>& cameras, glm::vec3 default_up) {
    SceneFraming f;
    f.up = glm::length(default_up) > 0.0f ? glm::normalize(default_up) : glm::vec3(0, -1, 0);
    if (auto up = up_from_cameras(cameras)) {
        f.up = *up;
        f.up_from_cameras = true;
    }

    const bool have_cloud = cloud && cloud->size() > 0;
    if (have_cloud) {
        // Trim far-flung Gaussians (sky, floaters) so that the view frames what matters.
        const Bounds b = cloud->bounds(cloud->size() > 100 ? 0.02f : 0.0f);
        f.center = b.center();
        f.radius = 0.5f * glm::length(b.size());
        // Without cameras nothing says which way is up. A scene flat in z was most likely made z-up
        // (Blender, photogrammetry tools); other scenes keep `default_up` (-y: COLMAP captures).
        const glm::vec3 e = b.size();
        if (!f.up_from_cameras && e.z < 0.5f * std::min(e.x, e.y)) f.up = {0.0f, 0.0f, 1.0f};
    } else if (!cameras.empty()) {
        glm::vec3 centroid{0.0f};
        for (const Camera& c : cameras) centroid += c.center();
        centroid /= float(cameras.size());
        f.center = look_at_point(cameras).value_or(centroid);
        float spread = 0.0f;
        for (const Camera& c : cameras) spread = std::max(spread, glm::length(c.center() - f.center));
        f.radius = 0.5f * spread;
    }
    if (!(f.radius > 1e-6f) || !std::isfinite(f.radius)) f.radius = 1.0f;

    if (!cameras.empty()) {
        // The first camera's own view: a real viewpoint of the capture, roll and all.
        const Camera& c = cameras.front();
        f.start_pose = c.camera_to_world();
        f.start_fov_y = c.fov_y() * 180.0f / kPi;
        const float ahead = glm::dot(f.center - c.center(), c.forward());
        f.pivot_distance = std::max(ahead, 0.1f * f.radius);
        return f;
    }
    // No cameras: from the side, 20 degrees above the horizon, far enough that the sphere holding the
    // trimmed extent fits the vertical field of view.
    glm::vec3 side = glm::vec3(0, 0, 1) - glm::dot(glm::vec3(0, 0, 1), f.up) * f.up;
    if (glm::length(side) < 1e-3f) side = glm::vec3(0, 1, 0) - glm::dot(glm::vec3(0, 1, 0), f.up) * f.up;
    side = glm::normalize(side);
    const float elevation = 20.0f * kPi / 180.0f;
    const glm::vec3 forward = glm::normalize(side * std::cos(elevation) - f.up * std::sin(elevation));
    f.start_fov_y = 50.0f;
    f.pivot_distance = 1.05f * f.radius / std::sin(0.5f * f.start_fov_y * kPi / 180.0f);
    f.start_pose = look_pose(f.center - forward * f.pivot_distance, f.center, f.up);
    return f;
}

} // namespace splatscape::gui
