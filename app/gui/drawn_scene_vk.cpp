#include "app/gui/drawn_scene_vk.hpp"

#include <atomic>

#include "app/gui/gaussians_3d_vk.hpp"
#include "app/gui/gaussians_4d_vk.hpp"
#include "app/gui/nerf_scene_vk.hpp"
#include "app/gui/sags_scene_vk.hpp"
#include "app/gui/scene_source.hpp"
#include "app/gui/tiled_scene_vk.hpp"

namespace splatscape::gui {

void DrawnScene::content_changed() {
    static std::atomic<uint64_t> next{1};
    m_content_version = next++;
}

std::unique_ptr<DrawnScene> make_drawn_scene(const ScenePasses& passes, const LoadedScene& scene,
                                             const DrawOptions& options) {
    // A new kind of scene: its own class, and a line here for what it is loaded from.
    if (!scene.tileset.empty())
        return std::make_unique<TiledScene>(passes, scene.tiles ? *scene.tiles : read_tiled_scene(scene.tileset),
                                            options);
    if (scene.cloud_4d) return std::make_unique<Gaussians4dScene>(passes, scene.cloud_4d, scene.min_temporal_weight);
    if (scene.sags) return std::make_unique<SagsDecodedScene>(passes, scene.sags);
    if (scene.nerf) return std::make_unique<NerfMarchedScene>(passes, scene.nerf);
    if (scene.cloud && scene.cloud->size() > 0) return std::make_unique<Gaussians3dScene>(passes, scene.cloud);
    return nullptr;
}

} // namespace splatscape::gui
