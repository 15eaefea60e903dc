#include "app/gui/ground_truth.hpp"

#include "app/gui/viewport_vk.hpp"

namespace splatscape::gui {

void GroundTruth::set(bool on, const LoadedScene* scene, int view) {
    m_on = on;
    if (on) request(scene, view);
}

void GroundTruth::follow(const LoadedScene* scene, int view) {
    if (m_on) request(scene, view);
}

void GroundTruth::reset(ViewportRenderer* viewport) {
    m_on = false;
    m_view = -1;
    if (viewport) viewport->clear_reference();
}

void GroundTruth::request(const LoadedScene* scene, int view) {
    if (!scene || !scene->dataset || view < 0 || view >= int(scene->views.size()) || m_view == view) return;
    if (m_loading.valid()) m_loading.wait(); // a quick photo; keep one job at a time
    m_view = view;
    m_error.clear();
    m_loading = std::async(std::launch::async,
                           [d = scene->dataset, f = scene->views[size_t(view)].frame] { return d->load_image(f); });
}

void GroundTruth::poll(ViewportRenderer* viewport) {
    if (!m_loading.valid() || m_loading.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    try {
        Image img = m_loading.get();
        if (viewport) viewport->set_reference(img);
    } catch (const std::exception& e) {
        m_error = e.what();
        m_view = -1;
        if (viewport) viewport->clear_reference();
    }
    m_loading = {};
}

} // namespace splatscape::gui
