#pragma once
// Screenshots: the requests (F12, the Screenshot panel, --screenshot) and the files. Each PNG gets a
// JSON sidecar with the exact camera (intrinsics and camera-to-world), the render settings, the
// viewport rectangle and the same view as a one-key camera path that `splatscape render
// --camera-path FILE.json` accepts.
#include <optional>
#include <string>
#include <vector>

#include "app/gui/viewport_vk.hpp"
#include "core/camera.hpp"
#include "core/image.hpp"
#include "renderer/render_settings.hpp"

namespace splatscape::gui {

// What a sidecar records beside the camera.
struct ShotContext {
    RenderSettings settings;
    const ViewportLayout* layout = nullptr; // a window screenshot: where the render is shown
    bool reference_shown = false;           // the photo is beside the render (layout->reference)
    std::string reference_image;            // its file, when known
    std::string scene;                      // what is open (empty: nothing)
};

class Screenshots {
public:
    // A request from the UI: the whole window at the next frame, or the render alone once the
    // view settles. An empty path names the next free screenshot_NNN.png in the working folder.
    void request(const std::string& path, bool window);
    bool window_pending() const { return m_window.has_value(); }
    bool renders_pending() const { return !m_renders.empty(); }
    bool pending() const { return window_pending() || renders_pending(); }
    // The requests to answer now (they are then forgotten).
    std::string take_window();
    std::vector<std::string> take_renders();

    // Writes `image` as `path` and its sidecar; `what` names it in the log ("window", "render").
    // Throws Error naming the file.
    void save(const std::string& path, const Image& image, const Camera& camera, const ShotContext& context,
              const char* what);
    // The last file written.
    const std::string& last() const { return m_last; }

private:
    std::string name(const std::string& requested);

    std::vector<std::string> m_renders; // waiting for a settled render
    std::optional<std::string> m_window;
    std::string m_last;
    int m_counter = 0;
};

} // namespace splatscape::gui
