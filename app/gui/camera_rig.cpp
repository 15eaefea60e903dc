#include "app/gui/camera_rig.hpp"

#include <algorithm>

#include <glm/geometric.hpp>

#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape::gui {

void CameraRig::frame(const SceneFraming& framing) {
    m_framing = framing;
    m_framed = true;
    reset();
}

void CameraRig::reset() {
    m_camera.set_world_up(m_framing.up);
    m_camera.set_scene_radius(m_framing.radius);
    m_camera.set_pose(m_framing.start_pose, m_framing.pivot_distance);
    m_camera.set_fov_y(m_framing.start_fov_y);
    m_snapped = -1;
}

void CameraRig::set_up(glm::vec3 up) {
    m_framing.up = glm::normalize(up);
    m_camera.set_world_up(m_framing.up);
    m_camera.look_at(m_camera.position(), m_camera.pivot());
}

void CameraRig::snap_to(int index, const Camera& c) {
    const float ahead = glm::dot(m_framing.center - c.center(), c.forward());
    m_camera.set_pose(c.camera_to_world(), std::max(ahead, 0.1f * m_framing.radius));
    m_camera.set_fov_y(fov_y_degrees(c));
    m_snapped = index;
    m_snap_version = m_camera.version();
    stop_preview();
}

void CameraRig::load_path(const std::filesystem::path& file) {
    m_path = CameraPathModel::load(file);
    path_changed();
}

void CameraRig::path_changed() {
    try {
        m_path_frames = m_path.frames();
    } catch (const Error& e) {
        m_path_frames.clear();
        m_path_message = e.what();
    }
}

void CameraRig::stop_preview() {
    m_previewing = false;
    m_preview_camera.reset();
}

bool CameraRig::apply(const Command& command) {
    return std::visit(
        [&](auto&& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, command::ResetCamera>) {
                reset();
            } else if constexpr (std::is_same_v<T, command::SetUp>) {
                set_up(c.up);
            } else if constexpr (std::is_same_v<T, command::PathAddKey>) {
                m_path.add(m_camera.camera_to_world(), m_camera.fov_y());
                m_path.up = m_camera.world_up();
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathRemoveKey>) {
                m_path.remove(c.index);
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathUpdateKey>) {
                m_path.set_pose(c.index, m_camera.camera_to_world(), m_camera.fov_y());
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathSetTime>) {
                m_path.set_time(c.index, c.t);
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathGoTo>) {
                if (c.index < m_path.keys().size()) {
                    const PathKey& k = m_path.keys()[c.index];
                    m_camera.set_pose(k.camera_to_world(), m_camera.pivot_distance());
                    m_camera.set_fov_y(k.fov_y);
                    stop_preview();
                }
            } else if constexpr (std::is_same_v<T, command::PathClear>) {
                m_path.clear();
                stop_preview();
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathSettings>) {
                m_path.width = c.width;
                m_path.height = c.height;
                m_path.fps = c.fps;
                m_path.smooth = c.smooth;
                path_changed();
            } else if constexpr (std::is_same_v<T, command::PathPreview>) {
                m_previewing = c.on && !m_path_frames.empty();
                m_preview_start = Clock::now();
                m_preview_time = 0.0f;
                if (!m_previewing) m_preview_camera.reset();
            } else if constexpr (std::is_same_v<T, command::PathSave>) {
                try {
                    const std::string file = c.path.empty() ? "camera_path.json" : c.path;
                    m_path.save(file);
                    log::info("saved the camera path to ", file);
                    m_path_message = "saved " + file;
                } catch (const Error& e) {
                    m_path_message = e.what();
                }
            } else if constexpr (std::is_same_v<T, command::PathLoad>) {
                try {
                    const std::string file = c.path.empty() ? "camera_path.json" : c.path;
                    m_path = CameraPathModel::load(file);
                    stop_preview();
                    path_changed();
                    m_path_message = "loaded " + file;
                } catch (const Error& e) {
                    m_path_message = e.what();
                }
            } else {
                return false;
            }
            return true;
        },
        command);
}

void CameraRig::advance_preview(Clock::time_point now) {
    if (!m_previewing || m_path_frames.empty()) return;
    m_preview_time = float(std::chrono::duration<double>(now - m_preview_start).count());
    const size_t i = std::min(size_t(double(m_preview_time) * m_path.fps), m_path_frames.size() - 1);
    m_preview_camera = m_path_frames[i].camera;
    if (i + 1 == m_path_frames.size()) {
        // The end: leave the free camera where the path ends.
        m_previewing = false;
        m_camera.set_pose(m_preview_camera->camera_to_world(), m_camera.pivot_distance());
        m_camera.set_fov_y(fov_y_degrees(*m_preview_camera));
        m_preview_camera.reset();
    }
}

std::optional<Camera> CameraRig::fixed_camera(const LoadedScene* scene) const {
    if (m_preview_camera) return m_preview_camera;
    const int view = snapped();
    if (scene && scene->dataset && view >= 0 && view < int(scene->views.size()))
        return scene->dataset->render_camera(scene->views[size_t(view)].frame);
    return std::nullopt;
}

} // namespace splatscape::gui
