#pragma once
// The scene source and what is drawn: what `view` opened (a run, a scene file, a dataset; loaded on
// a worker thread) or the dataset a training run shows, the DrawnScene made from it or from the
// trainer's models, and the View panel's settings for drawing it. Nothing here knows the window,
// the camera or the panels.
#include <any>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/drawn_scene_vk.hpp"
#include "app/gui/recent_files.hpp"
#include "app/gui/scene_framing.hpp"
#include "app/gui/scene_source.hpp"
#include "app/gui/viewer_state.hpp"
#include "renderer/gpu_scene_vk.hpp"

namespace splatscape {
struct TrainSetup;
}

namespace splatscape::gui {

class SceneDocument {
public:
    // `options`: what the command line asks of the kinds of scene (a tiled scene's budgets).
    SceneDocument(vk::Context& context, const DrawOptions& options);
    ~SceneDocument();
    SceneDocument(const SceneDocument&) = delete;
    SceneDocument& operator=(const SceneDocument&) = delete;

    // ---- the source
    // Opens X on a worker thread (one at a time; a second while loading records an error).
    void open(const std::filesystem::path& path);
    // Reads a training run's dataset on a worker thread (its cameras and background).
    void open_training(const TrainSetup& setup);
    // The scene the worker finished loading, once; nullopt while loading, or when it failed (the
    // error is recorded).
    std::optional<LoadedScene> take_loaded();
    bool loading() const { return m_loading.valid(); }
    const std::string& loading_what() const { return m_loading_what; }
    // The last failure to open or show something, for the Scene panel.
    const std::string& error() const { return m_error; }
    void fail(const std::string& message);
    RecentFiles& recent() { return m_recent; }
    const RecentFiles& recent() const { return m_recent; }

    // Makes `scene` the source: its cameras, facts and background; with `draw`, what it holds is
    // drawn (otherwise a training run supplies the models through show_model). Throws Error, changing
    // nothing, when what it holds cannot be drawn (a tiled scene whose memory budget holds no page).
    void set_source(LoadedScene scene, bool draw);
    const LoadedScene* source() const { return m_source ? &*m_source : nullptr; }
    // Where a camera starts for this scene: the source's training cameras and the Gaussians shown.
    SceneFraming framing() const;

    // ---- what is drawn
    DrawnScene* drawn() { return m_drawn.get(); }
    const DrawnScene* drawn() const { return m_drawn.get(); }
    // The 3D Gaussians shown (also a 4D scene's first slice), for framing and the SH degree; null
    // when there are none.
    const GaussianCloud* cloud() const { return m_cloud.get(); }
    std::shared_ptr<const GaussianCloud> cloud_shared() const { return m_cloud; }
    // Draws `cloud` as a 3D Gaussian scene (a training run's final model).
    void show_cloud(std::shared_ptr<const GaussianCloud> cloud);
    // A training snapshot: drawn, unless `drawn_elsewhere` (the live view draws the same model from
    // shared memory); the SH degree shown rises with the model's.
    void show_model(std::shared_ptr<const GaussianCloud> cloud, bool drawn_elsewhere);
    // A sags model (a training snapshot or a run's final model.sags): decoded on the GPU for each
    // frame; its point skeleton serves framing.
    void show_sags(std::shared_ptr<const SagsDecodeCache> cache);
    // A NeRF (a training snapshot or a run's final model.hmohe): ray-marched on the GPU each frame;
    // its occupied cells serve framing.
    void show_nerf(std::shared_ptr<const NerfScene> scene);
    // Draws Gaussians from buffers owned elsewhere (the live view; waits for frames in flight).
    void show_external(const vk::GpuScene::External& scene);

    // ---- how it is drawn
    const ViewSettings& view() const { return m_view; }
    void set_view(const ViewSettings& view) { m_view = view; }
    std::vector<RenderModeChoice> render_modes() const;

    // ---- per frame
    // Lets the drawn scene change by itself (`seconds` since the last frame).
    void update(double seconds);
    bool animating() const { return m_drawn && m_drawn->animating(); }
    // A SceneCommand for the drawn scene.
    void apply(const std::any& payload);
    // Whether the picture changed since the last call (the viewport renders again), and clears it.
    bool take_changes();
    bool has_changes() const { return m_changed; }

private:
    void replace_drawn(std::unique_ptr<DrawnScene> drawn);
    void keep_render_mode();

    vk::Context& m_context;
    ScenePasses m_passes;
    DrawOptions m_options;
    RecentFiles m_recent;
    std::optional<LoadedScene> m_source;
    std::future<LoadedScene> m_loading;
    std::string m_loading_what;
    std::string m_error;

    std::unique_ptr<DrawnScene> m_drawn;
    std::shared_ptr<const GaussianCloud> m_cloud;
    ViewSettings m_view;
    bool m_changed = true;
};

} // namespace splatscape::gui
