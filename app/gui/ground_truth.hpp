#pragma once
// The dataset photo shown beside the render ("ground truth beside the render"): on or off, the
// view whose photo the viewport holds, loaded on a worker thread.
#include <future>
#include <string>

#include "app/gui/scene_source.hpp"
#include "core/image.hpp"

namespace splatscape::gui {

class ViewportRenderer;

class GroundTruth {
public:
    bool on() const { return m_on; }
    bool loading() const { return m_loading.valid(); }
    const std::string& error() const { return m_error; }
    // The view whose photo is shown (or loading), -1 for none.
    int view() const { return m_view; }

    // Turns the comparison on or off; on, loads the photo of `view` (the view last snapped to).
    void set(bool on, const LoadedScene* scene, int view);
    // The camera snapped to `view`: its photo, when the comparison is on.
    void follow(const LoadedScene* scene, int view);
    // A new scene: off, and no photo.
    void reset(ViewportRenderer* viewport);
    // A photo that finished loading goes to the viewport.
    void poll(ViewportRenderer* viewport);

private:
    void request(const LoadedScene* scene, int view);

    bool m_on = false;
    std::future<Image> m_loading;
    int m_view = -1;
    std::string m_error;
};

} // namespace splatscape::gui
