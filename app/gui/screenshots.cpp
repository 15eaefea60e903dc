#include "app/gui/screenshots.hpp"

#include <cstdio>
#include <filesystem>

#include <glm/gtc/quaternion.hpp>

#include "app/gui/camera_controller.hpp"
#include "core/error.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;

Json camera_json(const Camera& c) {
    const glm::mat4 m = c.camera_to_world();
    Json rows = Json::array();
    for (int r = 0; r < 4; ++r) rows.push_back({m[0][r], m[1][r], m[2][r], m[3][r]});
    return Json{{"width", c.width}, {"height", c.height},     {"fx", c.fx}, {"fy", c.fy}, {"cx", c.cx},
                {"cy", c.cy},       {"camera_to_world", rows}};
}

// Enough to render the same picture again: `splatscape render --camera-path` reads the key, and
// "camera" holds the exact intrinsics and pose.
void write_sidecar(const std::string& image_path, const Camera& camera, const ShotContext& context) {
    const glm::mat4 c2w = camera.camera_to_world();
    const glm::quat q = glm::normalize(glm::quat_cast(glm::mat3(c2w)));
    const RenderSettings& s = context.settings;
    Json j{{"image", fs::path(image_path).filename().string()},
           {"width", camera.width},
           {"height", camera.height},
           {"frames", 1},
           {"keyframes",
            {{{"t", 0.0},
              {"position", {c2w[3][0], c2w[3][1], c2w[3][2]}},
              {"rotation", {q.w, q.x, q.y, q.z}},
              {"fov_y", fov_y_degrees(camera)}}}},
           {"camera", camera_json(camera)},
           {"render_mode", to_string(s.mode)},
           {"sh_degree", s.sh_degree},
           {"background", {s.background.x, s.background.y, s.background.z}},
           {"scale_modifier", s.scale_modifier},
           {"antialiased", s.antialiased}};
    if (const ViewportLayout* layout = context.layout) {
        const PixelRect& r = layout->render;
        j["viewport"] = {r.x, r.y, r.width, r.height};
        if (layout->reference && context.reference_shown) {
            const PixelRect& g = *layout->reference;
            j["reference"] = {g.x, g.y, g.width, g.height};
            if (!context.reference_image.empty()) j["reference_image"] = context.reference_image;
        }
    }
    if (!context.scene.empty()) j["scene"] = context.scene;
    fs::path sidecar = image_path;
    sidecar.replace_extension(".json");
    save_json(sidecar, j);
}

} // namespace

std::string Screenshots::name(const std::string& requested) {
    if (!requested.empty()) return requested;
    std::error_code ec;
    for (;;) {
        char name[64];
        std::snprintf(name, sizeof name, "screenshot_%03d.png", ++m_counter);
        if (!fs::exists(name, ec)) return name;
    }
}

void Screenshots::request(const std::string& path, bool window) {
    if (window)
        m_window = name(path);
    else
        m_renders.push_back(name(path));
}

std::string Screenshots::take_window() {
    std::string path = m_window.value_or("");
    m_window.reset();
    return path;
}

std::vector<std::string> Screenshots::take_renders() {
    std::vector<std::string> paths;
    paths.swap(m_renders);
    return paths;
}

void Screenshots::save(const std::string& path, const Image& image, const Camera& camera, const ShotContext& context,
                       const char* what) {
    if (image.empty()) throw Error(path, "", cat("no ", what, " image to save yet"));
    save_image(path, image);
    write_sidecar(path, camera, context);
    m_last = path;
    log::info("saved the ", what, " to ", path);
}

} // namespace splatscape::gui
