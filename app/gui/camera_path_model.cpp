#include "app/gui/camera_path_model.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>

#include "core/error.hpp"

namespace splatscape::gui {

glm::mat4 PathKey::camera_to_world() const {
    glm::mat4 m(glm::mat3_cast(rotation));
    m[3] = glm::vec4(position, 1.0f);
    return m;
}

void CameraPathModel::add(const glm::mat4& c2w, float fov_y, float seconds_after) {
    PathKey k;
    k.t = m_keys.empty() ? 0.0f : m_keys.back().t + std::max(seconds_after, 1e-3f);
    m_keys.push_back(k);
    set_pose(m_keys.size() - 1, c2w, fov_y);
}

void CameraPathModel::remove(size_t index) {
    if (index < m_keys.size()) m_keys.erase(m_keys.begin() + std::ptrdiff_t(index));
}

void CameraPathModel::set_time(size_t index, float t) {
    if (index >= m_keys.size() || !std::isfinite(t)) return;
    constexpr float kGap = 1e-3f;
    if (index > 0) t = std::max(t, m_keys[index - 1].t + kGap);
    if (index + 1 < m_keys.size()) t = std::min(t, m_keys[index + 1].t - kGap);
    m_keys[index].t = t;
}

void CameraPathModel::set_pose(size_t index, const glm::mat4& c2w, float fov_y) {
    if (index >= m_keys.size()) return;
    PathKey& k = m_keys[index];
    k.position = glm::vec3(c2w[3]);
    k.rotation = glm::normalize(glm::quat_cast(glm::mat3(c2w)));
    k.fov_y = std::clamp(fov_y, 1.0f, 179.0f);
}

Json CameraPathModel::to_json() const {
    Json keys = Json::array();
    for (const PathKey& k : m_keys)
        keys.push_back({{"t", k.t},
                        {"position", {k.position.x, k.position.y, k.position.z}},
                        {"rotation", {k.rotation.w, k.rotation.x, k.rotation.y, k.rotation.z}},
                        {"fov_y", k.fov_y}});
    return Json{
        {"width", width},           {"height", height}, {"fps", fps}, {"interpolation", smooth ? "smooth" : "linear"},
        {"up", {up.x, up.y, up.z}}, {"keyframes", keys}};
}

CameraPathModel CameraPathModel::from_json(const Json& j, const std::string& where) {
    // The renderer's parser decides what is valid; after it accepted the file, the fields below are
    // known to be present and well-formed.
    cli::PathDefaults defaults;
    const std::vector<cli::PathFrame> check = cli::camera_path_frames(j, where, defaults);
    (void)check;
    CameraPathModel m;
    m.width = int(json_number_or(j, "width", defaults.width, "", where));
    m.height = int(json_number_or(j, "height", defaults.height, "", where));
    m.fps = j.contains("fps") ? json_number(j["fps"], "fps", where) : 30.0;
    m.smooth = !j.contains("interpolation") || j["interpolation"] != "linear";
    if (j.contains("up")) {
        const Json& u = j["up"];
        m.up =
            glm::normalize(glm::vec3(float(u[0].get<double>()), float(u[1].get<double>()), float(u[2].get<double>())));
    }
    float fov = defaults.fov_y_degrees;
    const Json& keys = j["keyframes"];
    for (size_t i = 0; i < keys.size(); ++i) {
        const Json& kj = keys[i];
        auto vec = [](const Json& v) { return glm::vec3(v[0].get<float>(), v[1].get<float>(), v[2].get<float>()); };
        PathKey k;
        k.t = kj.contains("t") ? kj["t"].get<float>() : float(i);
        k.position = vec(kj["position"]);
        if (kj.contains("rotation")) {
            const Json& r = kj["rotation"];
            k.rotation =
                glm::normalize(glm::quat(r[0].get<float>(), r[1].get<float>(), r[2].get<float>(), r[3].get<float>()));
        } else {
            const Camera c = cli::look_at_camera(k.position, vec(kj["look_at"]), m.up, 2, 2, fov);
            k.rotation = glm::normalize(glm::quat_cast(glm::mat3(c.camera_to_world())));
        }
        if (kj.contains("fov_y")) fov = kj["fov_y"].get<float>();
        k.fov_y = fov;
        m.m_keys.push_back(k);
    }
    return m;
}

void CameraPathModel::save(const std::filesystem::path& file) const {
    if (m_keys.empty()) throw Error(file.string(), "", "the camera path has no keyframes to save");
    save_json(file, to_json());
}

CameraPathModel CameraPathModel::load(const std::filesystem::path& file) {
    return from_json(load_json(file), file.string());
}

std::vector<cli::PathFrame> CameraPathModel::frames() const {
    if (m_keys.empty()) return {};
    return cli::camera_path_frames(to_json(), "camera path", {});
}

} // namespace splatscape::gui
