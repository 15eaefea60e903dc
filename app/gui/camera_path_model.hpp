#pragma once
// The camera-path editor's keyframes, saved and loaded as the JSON that `splatscape render
// --camera-path` reads (schema in app/cli/camera_path.hpp). Files are checked, and previews
// interpolated, by that same module, so the editor cannot write a path the renderer reads otherwise.
#include <filesystem>
#include <string>
#include <vector>

#include <glm/gtc/quaternion.hpp>
#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include "app/cli/camera_path.hpp"
#include "core/json_util.hpp"

namespace splatscape::gui {

struct PathKey {
    float t = 0.0f;                 // seconds along the path
    glm::vec3 position{0.0f};       // camera centre, world frame
    glm::quat rotation{1, 0, 0, 0}; // camera-to-world, OpenCV axes
    float fov_y = 50.0f;            // degrees
    glm::mat4 camera_to_world() const;
};

class CameraPathModel {
public:
    const std::vector<PathKey>& keys() const { return m_keys; }
    bool empty() const { return m_keys.empty(); }
    float duration() const { return m_keys.empty() ? 0.0f : m_keys.back().t - m_keys.front().t; }

    // Appends a key `seconds_after` the last one (at t = 0 for the first).
    void add(const glm::mat4& camera_to_world, float fov_y, float seconds_after = 1.0f);
    void remove(size_t index);
    void clear() { m_keys.clear(); }
    // Sets a key's time, kept strictly between its neighbours' (the file format requires increasing times).
    void set_time(size_t index, float t);
    // Replaces a key's pose with `camera_to_world` (the current view).
    void set_pose(size_t index, const glm::mat4& camera_to_world, float fov_y);

    // Frame size and rate written into the file; `up` is the world up a reader uses for look_at keys.
    int width = 1280;
    int height = 720;
    double fps = 30.0;
    bool smooth = true;
    glm::vec3 up{0.0f, 0.0f, 1.0f};

    Json to_json() const;
    // Throws Error (from the shared parser) naming the file and field when the file is not a valid path.
    static CameraPathModel from_json(const Json& json, const std::string& where);
    void save(const std::filesystem::path& file) const;
    static CameraPathModel load(const std::filesystem::path& file);

    // The frames `splatscape render --camera-path` would render from this path.
    std::vector<cli::PathFrame> frames() const;

private:
    std::vector<PathKey> m_keys;
};

} // namespace splatscape::gui
