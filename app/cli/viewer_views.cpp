#include "app/cli/viewer_views.hpp"

#include <glm/geometric.hpp>

#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

Json camera_json(const std::string& name, const Camera& c, glm::vec3 scene_center) {
    Json R = Json::array(), t = Json::array();
    for (int r = 0; r < 3; ++r)
        for (int col = 0; col < 3; ++col) R.push_back(c.R[col][r]); // glm is column-major; rows out
    for (int a = 0; a < 3; ++a) t.push_back(c.t[a]);
    const glm::vec3 forward(c.R[0][2], c.R[1][2], c.R[2][2]);
    const float focus = std::max(glm::dot(scene_center - c.center(), forward), 1e-3f);
    return {{"name", name}, {"R", R},     {"t", t},           {"fx", c.fx},         {"fy", c.fy},
            {"cx", c.cx},   {"cy", c.cy}, {"width", c.width}, {"height", c.height}, {"focus", focus}};
}

} // namespace

Json viewer_views(const std::filesystem::path& input, const std::string& dataset_path, const GaussianCloud& cloud,
                  int max_held_out, int max_training) {
    std::error_code ec;
    std::filesystem::path data;
    DatasetOptions options;
    glm::vec3 background{0.0f};
    bool have_background = false;
    if (!dataset_path.empty()) {
        data = dataset_path;
    } else if (std::filesystem::is_directory(input, ec) && std::filesystem::exists(input / "config.json", ec)) {
        const TrainSetup s = read_run_config(input);
        data = s.data;
        options = s.dataset;
        if (auto it = s.model_config.find("background");
            it != s.model_config.end() && it->is_array() && it->size() == 3) {
            background = {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
            have_background = true;
        }
    } else {
        return nullptr;
    }
    Dataset d;
    try {
        d = load_dataset(data, options);
    } catch (const Error& e) {
        log::warn("the exported page frames the scene itself: cannot read the dataset (", e.what(), ")");
        return nullptr;
    }
    if (d.train.empty() && d.test.empty()) return nullptr;
    if (!have_background && d.has_alpha) background = d.background, have_background = true;

    // Up: against the mean camera y axis (OpenCV cameras look with y down).
    glm::vec3 down{0.0f};
    for (const auto* frames : {&d.train, &d.test})
        for (const auto& f : *frames) down += glm::vec3(f.camera.camera_to_world()[1]);
    const glm::vec3 up = glm::length(down) > 1e-6f ? -glm::normalize(down) : glm::vec3(0, 0, 1);
    const glm::vec3 center = cloud.size() ? cloud.bounds(0.01f).center() : glm::vec3(0.0f);

    Json cameras = Json::array();
    for (int i = 0; i < int(d.test.size()) && i < max_held_out; ++i)
        cameras.push_back(camera_json("held-out " + d.test[i].name, d.render_camera(d.test[i]), center));
    const int n = int(d.train.size()), take = std::min(n, max_training);
    for (int i = 0; i < take; ++i) {
        const Frame& f = d.train[size_t(i) * size_t(n) / size_t(take)];
        cameras.push_back(camera_json("training " + f.name, d.render_camera(f), center));
    }
    Json views = {{"up", {up.x, up.y, up.z}}, {"cameras", cameras}};
    if (have_background) views["background"] = {background.x, background.y, background.z};
    return views;
}

} // namespace splatscape::cli
