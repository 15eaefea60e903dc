#pragma once
// Where the viewer starts: world up, the scene's centre and size, and a first view that shows it.
// Dataset cameras decide when there are any (they know which way is up: COLMAP captures usually
// have -y up, Blender scenes +z); otherwise the Gaussians' bounds do.
#include <optional>
#include <vector>

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"

namespace splatscape::gui {

struct SceneFraming {
    glm::vec3 up{0.0f, -1.0f, 0.0f}; // unit
    glm::vec3 center{0.0f};
    float radius = 1.0f;         // half the diagonal of the (outlier-trimmed) extent
    glm::mat4 start_pose{1.0f};  // camera-to-world, OpenCV axes
    float start_fov_y = 50.0f;   // degrees
    float pivot_distance = 3.0f; // from the start pose to the point orbiting turns about
    bool up_from_cameras = false;
};

// World up from cameras: against their mean image-down axis (OpenCV cameras have y down). nullopt
// when there are no cameras or their down axes cancel out.
std::optional<glm::vec3> up_from_cameras(const std::vector<Camera>& cameras);
// The point nearest to all the cameras' optical axes in the least-squares sense (where an
// object-centred capture looks); nullopt for fewer than two cameras or parallel axes.
std::optional<glm::vec3> look_at_point(const std::vector<Camera>& cameras);

// `cloud` may be null or empty and `cameras` empty. Without cameras, up is +z for a cloud much
// flatter in z than in x and y, else `default_up`.
SceneFraming frame_scene(const GaussianCloud* cloud, const std::vector<Camera>& cameras,
                         glm::vec3 default_up = {0.0f, -1.0f, 0.0f});

} // namespace splatscape::gui
