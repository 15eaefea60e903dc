#include "app/gui/camera_controller.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_transform.hpp>

namespace splatscape::gui {
namespace {

constexpr float kPi = 3.14159265358979f;
// Radians of orbit per pixel of mouse travel.
constexpr float kOrbitPerPixel = 0.005f;
// How close the view direction may come to world up or down when orbiting: 87 degrees.
constexpr float kMaxElevation = 87.0f * kPi / 180.0f;

glm::mat3 rotation_about(glm::vec3 axis, float angle) {
    return glm::mat3(glm::rotate(glm::mat4(1.0f), angle, axis));
}

// Re-orthonormalises a camera-to-world rotation (keeps forward, then right), so that many small
// rotations do not drift.
glm::mat3 orthonormal(const glm::mat3& m) {
    const glm::vec3 f = glm::normalize(m[2]);
    glm::vec3 r = m[0] - glm::dot(m[0], f) * f;
    r = glm::length(r) > 1e-6f ? glm::normalize(r) : glm::normalize(glm::cross(f, glm::vec3(0, 0, 1)));
    return glm::mat3(r, glm::cross(f, r), f);
}

} // namespace

float focal_for_fov(float fov_y_degrees, int height) {
    return 0.5f * float(height) / std::tan(0.5f * fov_y_degrees * kPi / 180.0f);
}

float fov_y_degrees(const Camera& c) {
    return 2.0f * std::atan(0.5f * float(c.height) / c.fy) * 180.0f / kPi;
}

CameraController::CameraController() {
    look_at({0.0f, -3.0f, 0.0f}, {0.0f, 0.0f, 0.0f});
}

void CameraController::set_world_up(glm::vec3 up) {
    if (glm::length(up) < 1e-9f) return;
    m_up = glm::normalize(up);
    changed();
}

void CameraController::set_scene_radius(float radius) {
    if (radius > 0.0f && std::isfinite(radius)) m_scene_radius = radius;
}

void CameraController::look_at(glm::vec3 position, glm::vec3 target) {
    glm::vec3 f = target - position;
    const float d = glm::length(f);
    if (d < 1e-9f) return;
    f /= d;
    // OpenCV axes are right-handed with y down: right = down x forward = forward x up.
    glm::vec3 r = glm::cross(f, m_up);
    if (glm::length(r) < 1e-6f) r = glm::cross(f, std::abs(f.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0));
    r = glm::normalize(r);
    // right x down = forward, so down = forward x right.
    m_rotation = glm::mat3(r, glm::cross(f, r), f);
    m_position = position;
    m_pivot_distance = d;
    changed();
}

void CameraController::set_pose(const glm::mat4& c2w, float pivot_distance) {
    m_rotation = orthonormal(glm::mat3(c2w));
    m_position = glm::vec3(c2w[3]);
    m_pivot_distance = std::max(pivot_distance, 1e-4f * m_scene_radius);
    changed();
}

void CameraController::set_fov_y(float degrees) {
    m_fov_y = std::clamp(degrees, 1.0f, 170.0f);
    changed();
}

void CameraController::orbit(float dx, float dy) {
    if (dx == 0.0f && dy == 0.0f) return;
    const glm::vec3 center = pivot();
    // Dragging right turns the scene to the right, so the camera goes the other way about up.
    glm::mat3 rot = rotation_about(m_up, -dx * kOrbitPerPixel) * m_rotation;
    // Dragging down tilts the scene's top towards the viewer: the camera rises over the pivot. Turning
    // about the camera's right axis by `a` raises the view's elevation by `a`; the elevation is held
    // short of the poles, so the view never flips over them.
    const float elevation = std::asin(std::clamp(glm::dot(rot[2], m_up), -1.0f, 1.0f));
    const float pitch = std::clamp(elevation - dy * kOrbitPerPixel, -kMaxElevation, kMaxElevation) - elevation;
    rot = rotation_about(rot[0], pitch) * rot;
    m_rotation = orthonormal(rot);
    m_position = center - m_rotation[2] * m_pivot_distance;
    changed();
}

void CameraController::pan(float dx, float dy, float viewport_height) {
    if ((dx == 0.0f && dy == 0.0f) || viewport_height <= 0.0f) return;
    // World units per pixel at the pivot's depth.
    const float units = m_pivot_distance / focal_for_fov(m_fov_y, int(viewport_height));
    m_position -= (right() * dx + down() * dy) * units;
    changed();
}

void CameraController::zoom(float steps) {
    if (steps == 0.0f) return;
    const glm::vec3 center = pivot();
    const float min_distance = 1e-3f * m_scene_radius;
    m_pivot_distance = std::max(m_pivot_distance * std::pow(0.85f, steps), min_distance);
    m_position = center - forward() * m_pivot_distance;
    changed();
}

void CameraController::fly(glm::vec3 local, float seconds) {
    if (local == glm::vec3(0.0f) || seconds <= 0.0f) return;
    const float step = m_scene_radius * seconds;
    m_position += (right() * local.x + m_up * local.y + forward() * local.z) * step;
    changed();
}

glm::mat4 CameraController::camera_to_world() const {
    glm::mat4 m(m_rotation);
    m[3] = glm::vec4(m_position, 1.0f);
    return m;
}

Camera CameraController::camera(int width, int height) const {
    const float f = focal_for_fov(m_fov_y, height);
    return Camera::from_camera_to_world(camera_to_world(), width, height, f, f, 0.5f * float(width),
                                        0.5f * float(height));
}

} // namespace splatscape::gui
