#include "app/gui/scene_document.hpp"

#include "app/gui/nerf_scene_vk.hpp"
#include "app/gui/sags_scene_vk.hpp"

#include <algorithm>

#include "app/gui/gaussians_3d_vk.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "renderer/vk/context_vk.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

template <class T>
bool ready(const std::future<T>& f) {
    return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

} // namespace

SceneDocument::SceneDocument(vk::Context& context, const DrawOptions& options)
    : m_context(context), m_passes{context, std::make_shared<vk::SplatRenderer>(context)}, m_options(options),
      m_recent(RecentFiles::default_file()) {}

SceneDocument::~SceneDocument() {
    m_context.wait_idle(); // frames in flight may still read the drawn scene
}

void SceneDocument::open(const std::filesystem::path& path) {
    if (m_loading.valid()) {
        m_error = cat("still loading ", m_loading_what);
        return;
    }
    m_error.clear();
    m_loading_what = path.string();
    m_loading = std::async(std::launch::async, [path] { return load_scene_source(path); });
}

void SceneDocument::open_training(const TrainSetup& setup) {
    m_loading_what = setup.data.string();
    m_loading = std::async(std::launch::async, [s = setup] { return load_training_scene(s); });
}

std::optional<LoadedScene> SceneDocument::take_loaded() {
    if (!ready(m_loading)) return std::nullopt;
    std::optional<LoadedScene> scene;
    try {
        scene = m_loading.get();
    } catch (const std::exception& e) {
        fail(e.what());
    }
    m_loading = {};
    m_loading_what.clear();
    return scene;
}

void SceneDocument::fail(const std::string& message) {
    m_error = message;
    log::error(message);
}

void SceneDocument::set_source(LoadedScene scene, bool draw) {
    // Made first: when it cannot be (a tiled scene's budget too small for one page), nothing changes.
    std::unique_ptr<DrawnScene> drawn = draw ? make_drawn_scene(m_passes, scene, m_options) : nullptr;
    m_source = std::move(scene);
    if (draw) {
        replace_drawn(std::move(drawn));
        m_cloud = m_source->cloud;
    }
    m_view.render.background = m_source->background;
    m_view.render.antialiased = m_source->antialiased;
    m_view.render.sh_degree = m_cloud ? m_cloud->sh_degree : 3;
    keep_render_mode();
    for (const std::string& w : m_source->warnings) log::warn(w);
    m_changed = true;
}

SceneFraming SceneDocument::framing() const {
    std::vector<Camera> cameras;
    if (m_source)
        for (const DatasetView& v : m_source->views)
            if (v.label.rfind("train", 0) == 0) cameras.push_back(v.frame.camera);
    return frame_scene(m_cloud.get(), cameras);
}

void SceneDocument::replace_drawn(std::unique_ptr<DrawnScene> drawn) {
    m_context.wait_idle(); // frames in flight may still read the old scene
    m_drawn = std::move(drawn);
    m_changed = true;
}

void SceneDocument::show_cloud(std::shared_ptr<const GaussianCloud> cloud) {
    m_cloud = std::move(cloud);
    if (auto* g = dynamic_cast<Gaussians3dScene*>(m_drawn.get()))
        g->set_cloud(m_cloud);
    else
        replace_drawn(std::make_unique<Gaussians3dScene>(m_passes, m_cloud));
    keep_render_mode();
    m_changed = true;
}

void SceneDocument::show_model(std::shared_ptr<const GaussianCloud> cloud, bool drawn_elsewhere) {
    if (drawn_elsewhere)
        m_cloud = std::move(cloud);
    else
        show_cloud(std::move(cloud));
    // Higher SH bands switch on as training goes; show what the model has.
    m_view.render.sh_degree = std::max(m_view.render.sh_degree, m_cloud->sh_degree);
}

void SceneDocument::show_sags(std::shared_ptr<const SagsDecodeCache> cache) {
    m_cloud = std::make_shared<const GaussianCloud>(sags_skeleton_cloud(*cache));
    if (auto* g = dynamic_cast<SagsDecodedScene*>(m_drawn.get()))
        g->set_cache(cache);
    else
        replace_drawn(std::make_unique<SagsDecodedScene>(m_passes, cache));
    keep_render_mode();
    m_changed = true;
}

void SceneDocument::show_nerf(std::shared_ptr<const NerfScene> scene) {
    m_cloud = std::make_shared<const GaussianCloud>(nerf_occupancy_cloud(*scene));
    if (auto* g = dynamic_cast<NerfMarchedScene*>(m_drawn.get()))
        g->set_scene(scene);
    else
        replace_drawn(std::make_unique<NerfMarchedScene>(m_passes, scene));
    keep_render_mode();
    m_changed = true;
}

void SceneDocument::show_external(const vk::GpuScene::External& scene) {
    auto* g = dynamic_cast<Gaussians3dScene*>(m_drawn.get());
    if (!g) {
        replace_drawn(std::make_unique<Gaussians3dScene>(m_passes, nullptr));
        g = static_cast<Gaussians3dScene*>(m_drawn.get());
    }
    g->set_external(scene);
    keep_render_mode();
    m_changed = true;
}

std::vector<RenderModeChoice> SceneDocument::render_modes() const {
    return m_drawn ? m_drawn->render_modes() : splat_render_modes();
}

void SceneDocument::keep_render_mode() {
    // A mode the new kind of scene does not draw falls back to its first.
    const std::vector<RenderModeChoice> modes = render_modes();
    if (!modes.empty() && std::none_of(modes.begin(), modes.end(),
                                       [&](const RenderModeChoice& m) { return m.mode == m_view.render.mode; }))
        m_view.render.mode = modes.front().mode;
}

void SceneDocument::update(double seconds) {
    if (m_drawn && m_drawn->update(seconds)) m_changed = true;
}

void SceneDocument::apply(const std::any& payload) {
    if (m_drawn && m_drawn->apply(payload)) m_changed = true;
}

bool SceneDocument::take_changes() {
    const bool changed = m_changed;
    m_changed = false;
    return changed;
}

} // namespace splatscape::gui
