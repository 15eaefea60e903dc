#pragma once
// The viewer's camera: a pose in the project's OpenCV frame (camera x right, y down, z forward)
// with a pivot point in front of it, moved by orbit / pan / zoom with the mouse and by WASD/QE
// flying. No window system or ImGui here, so the math is tested on its own.
#include <cstdint>

#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include "core/camera.hpp"

namespace splatscape::gui {

class CameraController {
public:
    CameraController();

    // World up (unit); orbiting turns about it and flying with Q/E moves along it.
    void set_world_up(glm::vec3 up);
    glm::vec3 world_up() const { return m_up; }
    // Sets how large the scene is (world units), which scales flying speed and the nearest zoom.
    void set_scene_radius(float radius);
    float scene_radius() const { return m_scene_radius; }

    // Looks at `target` from `position`, with no roll about the world up.
    void look_at(glm::vec3 position, glm::vec3 target);
    // Takes a camera-to-world pose as is (roll included); the pivot is `pivot_distance` ahead.
    void set_pose(const glm::mat4& camera_to_world, float pivot_distance);
    void set_fov_y(float degrees);

    // Mouse gestures in window pixels. Orbit turns about the pivot (dx: about world up; dy: about
    // the camera's right axis, stopping short of the poles); pan moves the pivot and the camera in
    // the view plane so that the point under the cursor follows it (`viewport_height` pixels tall);
    // zoom moves towards the pivot by a factor per wheel step.
    void orbit(float dx_pixels, float dy_pixels);
    void pan(float dx_pixels, float dy_pixels, float viewport_height);
    void zoom(float wheel_steps);
    // Flies by `local` (x right, y world up, z forward) scene radii per second for `seconds`.
    void fly(glm::vec3 local, float seconds);

    glm::vec3 position() const { return m_position; }
    glm::vec3 pivot() const { return m_position + forward() * m_pivot_distance; }
    float pivot_distance() const { return m_pivot_distance; }
    glm::vec3 right() const { return m_rotation[0]; }
    glm::vec3 down() const { return m_rotation[1]; }
    glm::vec3 forward() const { return m_rotation[2]; }
    const glm::mat3& rotation() const { return m_rotation; } // camera-to-world, columns right, down, forward
    glm::mat4 camera_to_world() const;
    float fov_y() const { return m_fov_y; }

    // A pinhole camera of width x height pixels with this pose, the vertical field of view, square
    // pixels and the principal point at the image centre (the camera-path file's convention).
    Camera camera(int width, int height) const;

    // Bumped by every change, so a view can tell when to render again.
    uint64_t version() const { return m_version; }

private:
    void changed() { ++m_version; }

    glm::vec3 m_up{0.0f, 0.0f, 1.0f};
    glm::vec3 m_position{0.0f, 0.0f, -3.0f};
    glm::mat3 m_rotation{1.0f};
    float m_pivot_distance = 3.0f;
    float m_scene_radius = 1.0f;
    float m_fov_y = 50.0f;
    uint64_t m_version = 1;
};

// Focal length in pixels for a vertical field of view over `height` pixels.
float focal_for_fov(float fov_y_degrees, int height);
// A camera's vertical field of view in degrees.
float fov_y_degrees(const Camera& camera);

} // namespace splatscape::gui
