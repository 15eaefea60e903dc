#pragma once
// Cameras in the internal OpenCV / COLMAP convention: camera x right, y down, z forward;
// world-to-camera x_cam = R * x_world + t. Pixel (i, j) covers [i, i+1) x [j, j+1), so its centre
// is at (i + 0.5, j + 0.5) and the image spans [0, width] x [0, height] (COLMAP's convention).
#include <array>
#include <string>

#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

namespace splatscape {

struct Image;

enum class DistortionModel {
    None,
    // OpenCV radial-tangential: k1 k2 k3 (and optional rational k4 k5 k6), p1 p2.
    RadialTangential,
    // OpenCV fisheye (equidistant, Kannala-Brandt): k1 k2 k3 k4 on theta.
    Fisheye,
};

struct Distortion {
    DistortionModel model = DistortionModel::None;
    // radial-tangential: k = {k1, k2, k3, k4, k5, k6}; fisheye: k = {k1, k2, k3, k4, 0, 0}
    std::array<float, 6> k{};
    float p1 = 0.0f;
    float p2 = 0.0f;

    bool is_identity() const;
    // Normalised undistorted image coordinates (x/z, y/z) -> distorted ones.
    glm::vec2 distort(glm::vec2 xy) const;
    // Inverse of distort, by Newton iteration; returns false when it did not converge.
    bool undistort(glm::vec2 distorted, glm::vec2& xy) const;
};

std::string to_string(DistortionModel model);

struct Camera {
    int width = 0;
    int height = 0;
    float fx = 0, fy = 0, cx = 0, cy = 0;
    Distortion distortion;
    glm::mat3 R{1.0f};  // world -> camera rotation
    glm::vec3 t{0.0f};  // world -> camera translation

    // From a camera-to-world matrix in the OpenCV convention.
    static Camera from_camera_to_world(const glm::mat4& c2w, int width, int height, float fx, float fy, float cx,
                                       float cy);
    // A pinhole camera at `eye` looking at `target`, `up` pointing up in the image (OpenCV axes:
    // +y is down). False (out untouched) when eye and target coincide or the view is along `up`.
    static bool look_at(glm::vec3 eye, glm::vec3 target, glm::vec3 up, int width, int height, float fx, float fy,
                        float cx, float cy, Camera& out);
    glm::mat4 world_to_camera() const;
    glm::mat4 camera_to_world() const;
    glm::vec3 center() const;       // camera centre in world coordinates
    glm::vec3 forward() const;      // +z of the camera in world coordinates
    void set_camera_to_world(const glm::mat4& c2w);

    // World point -> pixel coordinates (with distortion). `depth` receives camera-space z.
    glm::vec2 project(glm::vec3 world, float* depth = nullptr) const;
    // Pixel coordinates -> unit world-space ray direction (undistorting when needed).
    glm::vec3 ray_direction(glm::vec2 pixel) const;

    // Same camera for an image resized by `sx`, `sy` (new_size / old_size); keeps the pose.
    Camera scaled(int new_width, int new_height) const;
    // Horizontal and vertical field of view in radians (pinhole part).
    float fov_x() const;
    float fov_y() const;
};

// OpenGL / Blender camera-to-world (x right, y up, looking down -z) -> OpenCV camera-to-world
// (x right, y down, looking down +z): flips the camera's y and z axes. Its own inverse.
glm::mat4 opengl_to_opencv_c2w(const glm::mat4& c2w_gl);

// Resamples a distorted image into the pinhole camera `out` (same pose; intrinsics of `out` are
// used as given: typically the input's fx fy cx cy). Bilinear sampling, black outside.
Image undistort_image(const Image& image, const Camera& distorted, const Camera& pinhole);
// A pinhole camera with the same pose and intrinsics as `camera` and no distortion.
Camera pinhole_of(const Camera& camera);

}  // namespace splatscape
