#pragma once
// Camera paths for `splatscape render`: keyframes in a JSON file, interpolated into one camera per
// frame. The schema (all positions in the scene's world frame):
//
//   {
//     "width": 800, "height": 600,     optional; else --width/--height or the dataset's camera size
//     "fps": 30,                       frames per second of path time (default 30), or
//     "frames": 120,                   a total frame count spread evenly from the first to the last key
//     "interpolation": "smooth",       "smooth" (C1 Hermite / Catmull-Rom through the keys) or "linear"
//     "up": [0, 0, 1],                 world up for look_at keys (default +z)
//     "keyframes": [
//       {"t": 0.0,                     seconds along the path (default: the key's index); increasing
//        "position": [x, y, z],        camera centre
//        "look_at": [x, y, z],         the point the camera faces ...
//        "rotation": [w, x, y, z],     ... or its camera-to-world rotation, OpenCV axes (x right, y down,
//                                      z forward); exactly one of look_at and rotation
//        "fov_y": 50,                  vertical field of view in degrees (default: the previous key's, 50)
//        "time": 0.0}                  scene time in [0, 1] for dynamic scenes (default 0)
//     ]
//   }
//
// Frames are taken at t = t_first + k / fps up to t_last (inclusive), or at `frames` evenly spaced
// times. Orientations are interpolated as quaternions (sign-aligned, normalised), positions, fields
// of view and times componentwise.
#include <filesystem>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/json_util.hpp"

namespace splatscape::cli {

struct PathFrame {
    Camera camera;
    float time = 0.0f;
};

struct PathDefaults {
    int width = 800;
    int height = 600;
    float fov_y_degrees = 50.0f;
};

std::vector<PathFrame> camera_path_frames(const Json& path, const std::string& where, const PathDefaults& defaults);
std::vector<PathFrame> read_camera_path(const std::filesystem::path& file, const PathDefaults& defaults);

// `count` frames on a circle about `center` (axis `up`) at `radius`, `elevation_degrees` above the
// circle's plane, looking at the centre.
std::vector<PathFrame> orbit_frames(glm::vec3 center, glm::vec3 up, float radius, float elevation_degrees, int count,
                                    const PathDefaults& defaults);

// A pinhole camera at `position` looking at `target` with world `up` (OpenCV axes).
Camera look_at_camera(glm::vec3 position, glm::vec3 target, glm::vec3 up, int width, int height, float fov_y_degrees);

} // namespace splatscape::cli
