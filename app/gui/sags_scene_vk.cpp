#include "app/gui/sags_scene_vk.hpp"

#include <algorithm>
#include <cmath>

#include "app/gui/panels.hpp"
#include "app/gui/scene_source.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {
namespace {

// Blue (flat) through white to red (curved) over standardised curvature in [-2, 2].
glm::vec3 curvature_colour(float z) {
    const float t = std::clamp(0.25f * z + 0.5f, 0.0f, 1.0f);
    const glm::vec3 blue(0.15f, 0.35f, 0.95f), white(0.95f), red(0.95f, 0.2f, 0.15f);
    return t < 0.5f ? blue + (white - blue) * (2.0f * t) : white + (red - white) * (2.0f * t - 2.0f * 0.5f);
}

} // namespace

SagsDecodedScene::SagsDecodedScene(const ScenePasses& passes, const std::shared_ptr<const SagsDecodeCache>& cache)
    : m_context(passes.context), m_renderer(passes.splats) {
    set_cache(cache);
}

SagsDecodedScene::~SagsDecodedScene() {
    m_context.wait_idle(); // frames in flight may still read the scene
}

void SagsDecodedScene::set_cache(const std::shared_ptr<const SagsDecodeCache>& cache) {
    m_context.wait_idle();
    m_scene.reset();
    m_skeleton.reset();
    m_curvature.reset();
    m_edges.clear();
    if (cache && cache->size() > 0) {
        const SagsDecodeCache& c = *cache;
        m_scene = std::make_unique<vk::GpuSagsScene>(m_context, c);
        if (!m_decode) m_decode = std::make_unique<vk::SagsDecodePass>(m_context);
        GaussianCloud skeleton = sags_skeleton_cloud(c);
        m_skeleton = std::make_unique<vk::GpuScene>(m_context, skeleton);
        if (c.curvature.size() == c.size()) {
            for (size_t i = 0; i < c.size(); ++i) {
                const glm::vec3 col = curvature_colour(c.curvature[i]);
                for (int a = 0; a < 3; ++a) skeleton.sh[3 * i + size_t(a)] = sh_dc_from_rgb(col[a]);
            }
            m_curvature = std::make_unique<vk::GpuScene>(m_context, skeleton);
        }
        // Graph edges of evenly spaced points, each edge once per listing point.
        const size_t n = c.size(), k = size_t(c.neighbour_count);
        if (k > 0) {
            const size_t stride = std::max<size_t>(1, (n * k + kMaxGraphEdges - 1) / kMaxGraphEdges);
            for (size_t i = 0; i < n; i += stride)
                for (size_t s = 0; s < k; ++s) {
                    const int32_t j = c.neighbours[i * k + s];
                    if (j < 0) continue;
                    for (int a = 0; a < 3; ++a) m_edges.push_back(c.points[3 * i + size_t(a)]);
                    for (int a = 0; a < 3; ++a) m_edges.push_back(c.points[3 * size_t(j) + size_t(a)]);
                }
        }
        const Bounds b = skeleton.bounds();
        m_near_z = 1e-4f * std::max(glm::length(b.size()), 1e-3f);
    }
    content_changed();
}

std::vector<RenderModeChoice> SagsDecodedScene::render_modes() const {
    std::vector<RenderModeChoice> modes = splat_render_modes();
    modes.push_back({RenderMode::Points, "point skeleton"});
    modes.push_back({RenderMode::Graph, "kNN graph"});
    if (m_curvature) modes.push_back({RenderMode::Curvature, "curvature"});
    return modes;
}

void SagsDecodedScene::record(const DrawRequest& r) {
    m_last_mode = r.settings->mode;
    const RenderMode mode = r.settings->mode;
    if (mode == RenderMode::Points || mode == RenderMode::Graph || mode == RenderMode::Curvature) {
        const vk::GpuScene& dots = mode == RenderMode::Curvature && m_curvature ? *m_curvature : *m_skeleton;
        RenderSettings settings = *r.settings;
        settings.mode = RenderMode::Color;
        m_renderer->prepare(dots, uint32_t(r.camera->width), uint32_t(r.camera->height));
        m_renderer->record(r.cmd, dots, *r.camera, settings, r.target, r.timer, r.slot);
        return;
    }
    const vk::GpuScene& decoded = m_scene->decoded();
    m_renderer->prepare(decoded, uint32_t(r.camera->width), uint32_t(r.camera->height));
    m_decode->record(r.cmd, *m_scene, *r.camera);
    m_renderer->record(r.cmd, decoded, *r.camera, *r.settings, r.target, r.timer, r.slot);
}

vk::FrameResult SagsDecodedScene::finish(uint32_t slot, const vk::TimestampQueries* timer) {
    return m_renderer->finish(slot, timer);
}

void SagsDecodedScene::draw_overlay(const Camera& camera, const UiRect& rect) const {
    if (m_last_mode == RenderMode::Graph && !m_edges.empty())
        draw_segments_overlay(m_edges, camera, rect, m_near_z, 0x50E6FFA0u);
}

} // namespace splatscape::gui
