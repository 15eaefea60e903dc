#include "app/gui/viewer_app.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <GLFW/glfw3.h>
#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <imgui.h>

#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/scene_io.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "renderer/vk/check_vk.hpp"
#include "app/session/live_view_cuda.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;

constexpr float kPi = 3.14159265358979f;
// How long after the last camera change the view still counts as moving (renders stay small).
constexpr double kMotionHold = 0.25;
// Longest wait for events when nothing animates; an idle frame only re-shows the last render.
constexpr double kIdleWait = 0.25;
// Frame period while following something that changes by itself (training, loading): 30 FPS.
constexpr double kFollowFrame = 1.0 / 30.0;
// Snapshots are asked for at most this often, and never faster than four uploads' time.
constexpr double kSnapshotInterval = 0.3;
// With the live view drawing from shared memory, host snapshots only serve "save snapshot".
constexpr double kLiveSnapshotInterval = 5.0;

template <class T>
bool ready(const std::future<T>& f) {
    return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

double seconds_since(ViewerApp::Clock::time_point t) {
    return std::chrono::duration<double>(ViewerApp::Clock::now() - t).count();
}

bool same_camera(const Camera& a, const Camera& b) {
    return a.width == b.width && a.height == b.height && a.fx == b.fx && a.fy == b.fy && a.cx == b.cx && a.cy == b.cy &&
           a.R == b.R && a.t == b.t;
}

bool same_settings(const RenderSettings& a, const RenderSettings& b) {
    return a.mode == b.mode && a.sh_degree == b.sh_degree && a.background == b.background &&
           a.scale_modifier == b.scale_modifier && a.antialiased == b.antialiased && a.center_radius == b.center_radius;
}

// The largest rectangle of `aspect` (width / height) inside `area`, centred.
PixelRect fit(const PixelRect& area, float aspect) {
    if (area.empty() || !(aspect > 0.0f)) return area;
    int w = area.width, h = int(std::lround(float(area.width) / aspect));
    if (h > area.height) {
        h = area.height;
        w = int(std::lround(float(area.height) * aspect));
    }
    w = std::max(w, 1);
    h = std::max(h, 1);
    return {area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h};
}

float fov_of(const Camera& c) {
    return 2.0f * std::atan(0.5f * float(c.height) / c.fy) * 180.0f / kPi;
}

Json camera_json(const Camera& c) {
    const glm::mat4 m = c.camera_to_world();
    Json rows = Json::array();
    for (int r = 0; r < 4; ++r) rows.push_back({m[0][r], m[1][r], m[2][r], m[3][r]});
    return Json{{"width", c.width}, {"height", c.height},     {"fx", c.fx}, {"fy", c.fy}, {"cx", c.cx},
                {"cy", c.cy},       {"camera_to_world", rows}};
}

} // namespace

// ---- set-up ---------------------------------------------------------------------------------------

ViewerApp::ViewerApp(const WindowOptions& options, const std::string& title)
    : m_options(options), m_window(m_glfw, options.width, options.height, title),
      m_recent(RecentFiles::default_file()) {
    vk::ContextOptions c;
    c.gpu_index = options.gpu;
    c.validation = options.validation;
    c.instance_extensions = m_glfw.vulkan_instance_extensions();
    c.create_surface = [this](VkInstance instance) { return m_window.create_surface(instance); };
    m_context = std::make_unique<vk::Context>(c);
    log::info("view: Vulkan device ", vk::describe(m_context->info()),
              m_context->validation_enabled() ? ", validation layer on" : "");

    // Screenshots of the window read its images back, when the surface allows it.
    VkSurfaceCapabilitiesKHR caps{};
    SPLATSCAPE_VK_CHECK(
        vkGetPhysicalDeviceSurfaceCapabilitiesKHR(m_context->physical_device(), m_context->surface(), &caps));
    m_window_capture = caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT))
        throw Error("the window surface cannot be drawn to by the UI (no colour-attachment usage)");
    vk::SwapchainOptions so;
    so.vsync = options.vsync;
    so.readable = m_window_capture;
    m_target = std::make_unique<vk::SwapchainTarget>(*m_context, uint32_t(m_window.framebuffer_width()),
                                                     uint32_t(m_window.framebuffer_height()), so);
    if (!options.screenshot.empty() && !m_window_capture)
        throw Error("--screenshot: this window system does not let the window's pixels be read back");

    m_view.render.mode = parse_render_mode(options.mode);
    m_view.continuous = options.continuous;
    m_show_ui = !options.hide_ui;
    if (!options.camera_path.empty()) {
        m_path = CameraPathModel::load(options.camera_path);
        set_path_changed();
    }
    set_text(m_inputs.path_file, options.camera_path.empty() ? "camera_path.json" : options.camera_path.string());
    m_run_start = m_frame_start = Clock::now();
}

ViewerApp::~ViewerApp() {
    if (m_context) m_context->wait_idle();
}

void ViewerApp::finish_training() {
    if (!m_session) return;
    m_window.hide();
    if (!m_monitor.done()) {
        log::info("stopping training at iteration ", m_monitor.progress().iteration, " (writing a checkpoint)");
        m_session->send(TrainerCommand::Stop);
    }
    while (!m_monitor.done()) {
        std::optional<TrainerMessage> m = m_session->wait(std::chrono::milliseconds(100));
        if (m) {
            m_monitor.apply(*m);
        } else if (!m_session->running()) {
            m = m_session->poll();
            if (!m) break;
            m_monitor.apply(*m);
        }
    }
    m_session->join();
}

void ViewerApp::show_scene(LoadedScene scene) {
    apply_scene(std::move(scene), true);
}

void ViewerApp::attach_training(TrainingSession& session, const TrainSetup& setup) {
    m_session = &session;
    m_setup = &setup;
    m_loading_what = setup.data.string();
    m_loading = std::async(std::launch::async, [s = setup] { return load_training_scene(s); });
    // The first snapshot: the model as initialised, before the first iteration.
    session.send(TrainerCommand::Snapshot);
    m_snapshot_requested = true;
    m_last_snapshot = Clock::now();
}

void ViewerApp::enable_live_view(TrainSetup& setup) {
    std::string why;
    if (!live_view_shares_memory(*m_context, setup.options.device, &why)) {
        log::info("live view: snapshots copied through the host (", why, ")");
        return;
    }
    try {
        m_live_exchange = std::make_shared<LiveViewExchange>();
        m_live = std::make_unique<LiveViewHost>(*m_context, m_live_exchange, size_t(1) << 16, 3);
        setup.live_view = make_cuda_live_sink(m_live_exchange);
        log::info("live view: drawing from GPU memory shared with CUDA training on ", m_context->info().name);
    } catch (const std::exception& e) {
        log::warn("live view: snapshots copied through the host (", e.what(), ")");
        m_live.reset();
        m_live_exchange.reset();
    }
}

// ---- scene ----------------------------------------------------------------------------------------

void ViewerApp::open(const std::string& path) {
    if (m_session) {
        m_error = "the window follows a training run; open other scenes with `splatscape view`";
        return;
    }
    if (m_loading.valid()) {
        m_error = cat("still loading ", m_loading_what);
        return;
    }
    m_error.clear();
    m_loading_what = path;
    m_loading = std::async(std::launch::async, [p = fs::path(path)] { return load_scene_source(p); });
}

void ViewerApp::apply_scene(LoadedScene scene, bool reframe) {
    m_scene = std::move(scene);
    if (!m_session) show_cloud(m_scene->cloud);
    m_tiles.reset();
    if (!m_scene->tileset.empty() && !m_session) {
        m_context->wait_idle();
        m_tiles = std::make_unique<TiledSceneView>(*m_context, m_scene->tileset, m_options.budget_splats,
                                                   m_options.budget_mb);
    }
    // Dynamic scenes: the viewport slices the 4D Gaussians at the time shown (the time panel).
    m_time.reset();
    if (m_scene->cloud_4d && !m_session) {
        m_time.emplace();
        m_time->set_range(m_scene->cloud_4d->time_min, m_scene->cloud_4d->time_max);
        m_view.render.time = m_time->time;
        if (m_viewport) m_viewport->set_scene_4d(m_scene->cloud_4d, m_scene->min_temporal_weight);
    }
    m_view.render.background = m_scene->background;
    m_view.render.antialiased = m_scene->antialiased;
    m_view.render.sh_degree = m_cloud ? m_cloud->sh_degree : 3;
    m_snapped = -1;
    m_compare = false;
    m_reference_view = -1;
    if (m_viewport) m_viewport->clear_reference();
    m_dirty = true;
    if (reframe) {
        std::vector<Camera> cameras;
        for (const DatasetView& v : m_scene->views)
            if (v.label.rfind("train", 0) == 0) cameras.push_back(v.frame.camera);
        m_framing = frame_scene(m_cloud.get(), cameras);
        m_framed = true;
        reset_camera();
    }
    for (const std::string& w : m_scene->warnings) log::warn(w);
    std::string title = cat("Splatscape - ", m_scene->path.filename().string());
    if (m_session) title += " (training)";
    m_window.set_title(title);
}

void ViewerApp::show_cloud(std::shared_ptr<const GaussianCloud> cloud) {
    m_cloud = std::move(cloud);
    // Before the first frame there is no viewport yet: it uploads m_cloud when it is made.
    if (m_viewport) m_viewport->set_scene(m_cloud);
    m_dirty = true;
}

void ViewerApp::reset_camera() {
    m_camera.set_world_up(m_framing.up);
    m_camera.set_scene_radius(m_framing.radius);
    m_camera.set_pose(m_framing.start_pose, m_framing.pivot_distance);
    m_camera.set_fov_y(m_framing.start_fov_y);
    m_view.fov_y = m_camera.fov_y();
    m_snapped = -1;
}

void ViewerApp::snap_to_view(int index) {
    if (!m_scene || index < 0 || index >= int(m_scene->views.size())) return;
    const Camera& c = m_scene->views[size_t(index)].frame.camera;
    const float ahead = glm::dot(m_framing.center - c.center(), c.forward());
    m_camera.set_pose(c.camera_to_world(), std::max(ahead, 0.1f * m_framing.radius));
    m_camera.set_fov_y(fov_of(c));
    m_view.fov_y = m_camera.fov_y();
    m_snapped = index;
    m_snap_version = m_camera.version();
    m_inputs.selected_view = index;
    m_previewing = false;
    m_preview_camera.reset();
    if (m_compare) request_reference();
}

void ViewerApp::set_compare(bool on) {
    m_compare = on;
    if (on) request_reference();
}

void ViewerApp::request_reference() {
    if (!m_scene || !m_scene->dataset || m_snapped < 0 || m_reference_view == m_snapped) return;
    if (m_reference_loading.valid()) m_reference_loading.wait(); // a quick photo; keep one job at a time
    m_reference_view = m_snapped;
    m_reference_error.clear();
    m_reference_loading =
        std::async(std::launch::async,
                   [d = m_scene->dataset, f = m_scene->views[size_t(m_snapped)].frame] { return d->load_image(f); });
}

void ViewerApp::set_path_changed() {
    try {
        m_path_frames = m_path.frames();
    } catch (const Error& e) {
        m_path_frames.clear();
        m_path_message = e.what();
    }
}

// ---- jobs and training ------------------------------------------------------------------------------

void ViewerApp::poll_jobs() {
    if (ready(m_loading)) {
        try {
            LoadedScene s = m_loading.get();
            if (!m_session) m_recent.add(s.path);
            apply_scene(std::move(s), !m_session || !m_framed);
        } catch (const std::exception& e) {
            m_error = e.what();
            log::error(e.what());
        }
        m_loading = {};
        m_loading_what.clear();
    }
    if (ready(m_reference_loading)) {
        try {
            Image img = m_reference_loading.get();
            if (m_viewport) m_viewport->set_reference(img);
        } catch (const std::exception& e) {
            m_reference_error = e.what();
            m_reference_view = -1;
            if (m_viewport) m_viewport->clear_reference();
        }
        m_reference_loading = {};
    }
    if (ready(m_final_loading)) {
        try {
            show_cloud(m_final_loading.get());
            m_snapshot_cloud = m_cloud;
            m_snapshot_iteration = m_monitor.saved_model_iteration();
        } catch (const std::exception& e) {
            m_error = e.what();
            log::error(e.what());
        }
        m_final_loading = {};
        m_final_shown = true;
    }
    if (ready(m_snapshot_saving)) {
        try {
            m_snapshot_saved = "saved " + m_snapshot_saving.get();
        } catch (const std::exception& e) {
            m_snapshot_saved = e.what();
        }
        m_snapshot_saving = {};
    }
}

void ViewerApp::poll_training() {
    if (!m_session) return;
    // Everything queued, without waiting: the trainer never holds up a frame.
    for (int i = 0; i < 10000; ++i) {
        std::optional<TrainerMessage> m = m_session->poll();
        if (!m) break;
        m_monitor.apply(*m);
    }
    // The live view: the newest model training published into shared memory, drawn as it is.
    if (m_live && m_viewport && !m_final_shown &&
        m_live->update([&](const vk::GpuScene::External& e) { m_viewport->set_external_scene(e); }) >= 0) {
        m_live_shown = true;
        m_dirty = true;
    }
    if (auto snap = m_monitor.take_snapshot()) {
        m_snapshot_requested = false;
        const auto t0 = Clock::now();
        if (m_live_shown)
            m_cloud = snap->cloud; // kept for framing and saving; the live view draws the model
        else
            show_cloud(snap->cloud);
        m_upload_seconds = seconds_since(t0);
        log::debug("live view: the model at iteration ", snap->iteration, ", ", snap->cloud->size(),
                   " Gaussians, uploaded in ", int(1e3 * m_upload_seconds), " ms");
        m_snapshot_cloud = snap->cloud;
        m_snapshot_iteration = snap->iteration;
        // Higher SH bands switch on as training goes; show what the model has.
        m_view.render.sh_degree = std::max(m_view.render.sh_degree, m_cloud->sh_degree);
        if (!m_framed && !m_loading.valid()) {
            m_framing = frame_scene(m_cloud.get(), {});
            m_framed = true;
            reset_camera();
        }
    }
    const bool running = m_monitor.state() == TrainingState::Running || m_monitor.state() == TrainingState::Starting;
    if (running && !m_snapshot_requested &&
        seconds_since(m_last_snapshot) >
            std::max(m_live_shown ? kLiveSnapshotInterval : kSnapshotInterval, 4.0 * m_upload_seconds)) {
        m_session->send(TrainerCommand::Snapshot);
        m_snapshot_requested = true;
        m_last_snapshot = Clock::now();
    }
    // The run wrote its final model: show that (snapshots stop with the trainer).
    if (m_monitor.done() && !m_final_shown && !m_final_loading.valid()) {
        if (!m_monitor.saved_model().empty()) {
            m_final_loading = std::async(std::launch::async, [p = m_monitor.saved_model()] {
                return std::shared_ptr<const GaussianCloud>(std::make_shared<GaussianCloud>(read_scene(p)));
            });
        } else {
            m_final_shown = true; // failed before writing one: nothing more will come
        }
    }
}

// ---- commands -------------------------------------------------------------------------------------

void ViewerApp::apply(const Command& command) {
    std::visit(
        [&](auto&& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, command::OpenScene>) {
                open(c.path);
            } else if constexpr (std::is_same_v<T, command::ForgetRecent>) {
                m_recent.remove(c.path);
            } else if constexpr (std::is_same_v<T, command::SetView>) {
                if (c.view.fov_y != m_view.fov_y) m_camera.set_fov_y(c.view.fov_y);
                m_view = c.view;
            } else if constexpr (std::is_same_v<T, command::ResetCamera>) {
                reset_camera();
            } else if constexpr (std::is_same_v<T, command::SetUp>) {
                m_framing.up = glm::normalize(c.up);
                m_camera.set_world_up(m_framing.up);
                // Level the view about the new up, keeping where it looks.
                m_camera.look_at(m_camera.position(), m_camera.pivot());
            } else if constexpr (std::is_same_v<T, command::SnapToView>) {
                snap_to_view(c.index);
            } else if constexpr (std::is_same_v<T, command::SetCompare>) {
                set_compare(c.on);
            } else if constexpr (std::is_same_v<T, command::Screenshot>) {
                if (c.window)
                    m_window_shot = screenshot_name(c.path);
                else
                    m_render_shots.push_back(screenshot_name(c.path));
            } else if constexpr (std::is_same_v<T, command::PathAddKey>) {
                m_path.add(m_camera.camera_to_world(), m_camera.fov_y());
                m_path.up = m_camera.world_up();
                set_path_changed();
            } else if constexpr (std::is_same_v<T, command::PathRemoveKey>) {
                m_path.remove(c.index);
                set_path_changed();
            } else if constexpr (std::is_same_v<T, command::PathUpdateKey>) {
                m_path.set_pose(c.index, m_camera.camera_to_world(), m_camera.fov_y());
                set_path_changed();
            } else if constexpr (std::is_same_v<T, command::PathSetTime>) {
                m_path.set_time(c.index, c.t);
                set_path_changed();
            } else if constexpr (std::is_same_v<T, command::PathGoTo>) {
                if (c.index < m_path.keys().size()) {
                    const PathKey& k = m_path.keys()[c.index];
                    m_camera.set_pose(k.camera_to_world(), m_camera.pivot_distance());
                    m_camera.set_fov_y(k.fov_y);
                    m_view.fov_y = m_camera.fov_y();
                    m_previewing = false;
                    m_preview_camera.reset();
                }
            } else if constexpr (std::is_same_v<T, command::PathClear>) {
                m_path.clear();
                m_previewing = false;
                m_preview_camera.reset();
                set_path_changed();
            } else if constexpr (std::is_same_v<T, command::PathSettings>) {
                m_path.width = c.width;
                m_path.height = c.height;
                m_path.fps = c.fps;
                m_path.smooth = c.smooth;
                set_path_changed();
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
                    m_previewing = false;
                    m_preview_camera.reset();
                    set_path_changed();
                    m_path_message = "loaded " + file;
                } catch (const Error& e) {
                    m_path_message = e.what();
                }
            } else if constexpr (std::is_same_v<T, command::Train>) {
                if (m_session && !m_monitor.done()) m_session->send(c.command);
            } else if constexpr (std::is_same_v<T, command::SetTime>) {
                if (m_time) {
                    *m_time = c.controls;
                    m_view.render.time = m_time->time;
                    m_dirty = true;
                }
            } else if constexpr (std::is_same_v<T, command::SaveSnapshot>) {
                if (m_snapshot_cloud && m_setup && !m_snapshot_saving.valid()) {
                    const fs::path file =
                        m_setup->run_dir / "snapshots" / cat("iteration_", m_snapshot_iteration, ".ply");
                    m_snapshot_saving = std::async(std::launch::async, [file, cloud = m_snapshot_cloud] {
                        fs::create_directories(file.parent_path());
                        write_scene(file, *cloud);
                        return file.string();
                    });
                }
            }
        },
        command);
}

// ---- the frame --------------------------------------------------------------------------------------

ViewerApp::Layout ViewerApp::compute_layout() const {
    const ImGuiIO& io = ImGui::GetIO();
    Layout l;
    l.pixel_scale = io.DisplayFramebufferScale.x > 0.0f ? io.DisplayFramebufferScale.x : 1.0f;
    l.sidebar = m_show_ui ? std::min(360.0f, 0.5f * io.DisplaySize.x) : 0.0f;
    l.viewport_ui = {l.sidebar, 0.0f, std::max(io.DisplaySize.x - l.sidebar, 0.0f), io.DisplaySize.y};
    const int x0 = int(std::lround(l.viewport_ui.x * l.pixel_scale));
    const int fb_w = m_window.framebuffer_width(), fb_h = m_window.framebuffer_height();
    l.viewport_px = {x0, 0, std::max(fb_w - x0, 0), fb_h};
    return l;
}

ViewerSnapshot ViewerApp::snapshot() const {
    ViewerSnapshot s;
    s.scene = m_scene ? &*m_scene : nullptr;
    s.loading = m_loading.valid();
    s.loading_what = m_loading_what;
    s.error = m_error;
    s.recent = &m_recent.items();
    s.can_open = m_session == nullptr;
    s.view = m_view;
    s.scene_sh_degree = m_cloud ? m_cloud->sh_degree : 0;
    s.position = m_camera.position();
    s.pivot = m_camera.pivot();
    s.up = m_camera.world_up();
    s.pivot_distance = m_camera.pivot_distance();
    s.scene_radius = m_framing.radius;
    s.snapped_view = m_snapped >= 0 && m_camera.version() == m_snap_version ? m_snapped : -1;
    s.compare = m_compare;
    s.reference_loading = m_reference_loading.valid();
    s.reference_error = m_reference_error;
    s.timing = m_timing;
    s.device = vk::describe(m_context->info());
    s.device_local_bytes = m_context->device_local_bytes();
    s.gpu_memory_bytes = m_viewport ? m_viewport->gpu_memory_bytes() : 0;
    s.validation = m_context->validation_enabled();
    s.validation_errors = m_context->validation_errors();
    s.last_screenshot = m_last_screenshot;
    s.window_capture = m_window_capture;
    s.path = &m_path;
    s.path_frames = &m_path_frames;
    s.path_message = m_path_message;
    s.previewing = m_previewing;
    s.preview_time = m_preview_time;
    s.training = m_session ? &m_monitor : nullptr;
    s.time = m_time;
    s.snapshot_saving = m_snapshot_saving.valid();
    s.snapshot_saved = m_snapshot_saved;
    return s;
}

void ViewerApp::draw_sidebar(const Layout& layout, Commands& commands) {
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos({0.0f, 0.0f});
    ImGui::SetNextWindowSize({layout.sidebar, io.DisplaySize.y});
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                   ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoBringToFrontOnFocus;
    if (ImGui::Begin("Splatscape", nullptr, flags)) {
        const ViewerSnapshot s = snapshot();
        draw_training_panel(s, commands);
        draw_scene_panel(s, m_inputs, commands);
        draw_time_panel(s, commands);
        draw_view_panel(s, commands);
        draw_camera_panel(s, m_inputs, commands);
        draw_stats_panel(s);
        if (m_tiles) m_tiles->panel();
        draw_camera_path_panel(s, m_inputs, commands);
        draw_screenshot_panel(s, m_inputs, commands);
    }
    ImGui::End();
}

void ViewerApp::handle_input(const Layout& layout, Commands& shortcuts) {
    const ImGuiIO& io = ImGui::GetIO();
    const bool over = layout.viewport_ui.contains(io.MousePos.x, io.MousePos.y) && !io.WantCaptureMouse;
    if (m_drag == Drag::None && over) {
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))
            m_drag = io.KeyShift ? Drag::Pan : Drag::Orbit;
        else if (ImGui::IsMouseClicked(ImGuiMouseButton_Right) || ImGui::IsMouseClicked(ImGuiMouseButton_Middle))
            m_drag = Drag::Pan;
    }
    if (m_drag != Drag::None) {
        const bool held = ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
                          ImGui::IsMouseDown(ImGuiMouseButton_Middle);
        if (!held) {
            m_drag = Drag::None;
        } else if (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f) {
            const float dx = io.MouseDelta.x * layout.pixel_scale, dy = io.MouseDelta.y * layout.pixel_scale;
            if (m_drag == Drag::Orbit)
                m_camera.orbit(dx, dy);
            else
                m_camera.pan(dx, dy, float(layout.viewport_px.height));
        }
    }
    if (over && io.MouseWheel != 0.0f) m_camera.zoom(io.MouseWheel);

    if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) m_show_ui = !m_show_ui;
    if (ImGui::IsKeyPressed(GLFW_KEY_F12, false)) shortcuts.push_back(command::Screenshot{"", false});
    if (io.WantCaptureKeyboard) return;
    if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) shortcuts.push_back(command::ResetCamera{});
    if (m_time && !m_session && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) {
        TimeControls t = *m_time;
        t.playing = !t.playing;
        shortcuts.push_back(command::SetTime{t});
    }
    if (m_session && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false))
        shortcuts.push_back(command::Train{m_monitor.state() == TrainingState::Paused ? TrainerCommand::Resume
                                                                                      : TrainerCommand::Pause});
    glm::vec3 move{0.0f};
    if (ImGui::IsKeyDown(GLFW_KEY_W)) move.z += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_S)) move.z -= 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_D)) move.x += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_A)) move.x -= 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_E)) move.y += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_Q)) move.y -= 1.0f;
    if (move != glm::vec3(0.0f)) m_camera.fly(move * (io.KeyShift ? 4.0f : 1.0f), std::min(io.DeltaTime, 0.1f));
}

void ViewerApp::advance_preview() {
    if (!m_previewing || m_path_frames.empty()) return;
    m_preview_time = float(seconds_since(m_preview_start));
    const size_t i = std::min(size_t(double(m_preview_time) * m_path.fps), m_path_frames.size() - 1);
    m_preview_camera = m_path_frames[i].camera;
    if (i + 1 == m_path_frames.size()) {
        // The end: leave the free camera where the path ends.
        m_previewing = false;
        m_camera.set_pose(m_preview_camera->camera_to_world(), m_camera.pivot_distance());
        m_camera.set_fov_y(fov_of(*m_preview_camera));
        m_view.fov_y = m_camera.fov_y();
        m_preview_camera.reset();
    }
}

std::optional<Camera> ViewerApp::fixed_camera() const {
    if (m_preview_camera) return m_preview_camera;
    if (m_scene && m_snapped >= 0 && m_snapped < int(m_scene->views.size()) && m_camera.version() == m_snap_version)
        return m_scene->dataset->render_camera(m_scene->views[size_t(m_snapped)].frame);
    return std::nullopt;
}

ViewerApp::RenderPlan ViewerApp::plan(const Layout& layout) {
    RenderPlan p;
    p.layout.window_color = glm::vec3(0.08f);
    if (layout.viewport_px.empty()) return p;
    const bool moving = m_drag != Drag::None || m_previewing || seconds_since(m_last_motion) < kMotionHold;
    p.scale = moving && m_view.adaptive_resolution ? m_motion_scale : 1.0f;

    PixelRect shown = layout.viewport_px;
    const std::optional<Camera> fixed = fixed_camera();
    const bool compare = m_compare && fixed && !m_preview_camera && m_viewport->has_reference();
    if (compare) {
        const int gap = 4;
        PixelRect left = shown, right = shown;
        left.width = (shown.width - gap) / 2;
        right.width = left.width;
        right.x = shown.x + shown.width - right.width;
        const float aspect = float(fixed->width) / float(fixed->height);
        shown = fit(left, aspect);
        p.layout.reference = fit(right, aspect);
    } else if (fixed) {
        shown = fit(shown, float(fixed->width) / float(fixed->height));
    }
    p.layout.render = shown;
    const int iw = std::max(1, int(std::lround(float(shown.width) * p.scale)));
    const int ih = std::max(1, int(std::lround(float(shown.height) * p.scale)));
    if (fixed) {
        p.camera = fixed->scaled(iw, ih);
        p.display_camera = fixed->scaled(shown.width, shown.height);
    } else {
        p.camera = m_camera.camera(iw, ih);
        p.display_camera = m_camera.camera(shown.width, shown.height);
    }
    p.render_ui = {float(shown.x) / layout.pixel_scale, float(shown.y) / layout.pixel_scale,
                   float(shown.width) / layout.pixel_scale, float(shown.height) / layout.pixel_scale};
    p.render = m_dirty || m_view.continuous || !m_has_render || !same_camera(p.camera, m_rendered_camera) ||
               !same_settings(m_view.render, m_rendered_settings) || m_last_overflowed;
    return p;
}

void ViewerApp::on_render_result(const vk::FrameResult& r) {
    m_timing.stats = r.stats;
    m_last_overflowed = r.overflowed;
    const double pixels = double(m_timing.render_width) * double(m_timing.render_height);
    // Without timestamps, the frame time stands in (frames in flight wait for the device).
    const double ms = r.stats.gpu_ms > 0.0 ? r.stats.gpu_ms : m_timing.frame_ms;
    if (pixels > 0.0 && ms > 0.0) {
        m_ms_per_pixel = ms / pixels;
        // While moving, render as large as fits the frame budget (rasterising scales with pixels).
        const double full = m_ms_per_pixel * double(std::max(m_timing.render_width, 1u)) /
                            std::max(m_timing.render_scale, 0.05f) * double(std::max(m_timing.render_height, 1u)) /
                            std::max(m_timing.render_scale, 0.05f);
        const double s = std::sqrt(double(m_view.frame_budget_ms) / std::max(full, 1e-6));
        m_motion_scale = float(std::clamp(std::floor(s * 20.0) / 20.0, 0.2, 1.0));
    }
}

bool ViewerApp::settled(const RenderPlan& p) const {
    if (m_loading.valid() || m_reference_loading.valid() || m_final_loading.valid()) return false;
    if (!m_scene && !m_cloud) return false;
    if (p.scale < 1.0f || m_previewing || m_drag != Drag::None) return false;
    if (m_compare && fixed_camera() && !m_viewport->has_reference()) return false;
    // A render is final once its counters were read back without an overflow (which re-renders).
    if (m_view.continuous) return m_timing.renders > 2 && !m_last_overflowed;
    return !p.render && !m_viewport->results_pending() && !m_last_overflowed && !m_dirty;
}

double ViewerApp::event_wait() const {
    if (!m_imgui) return 0.0;
    // Animating: draw as fast as frames complete.
    if (m_view.continuous || m_previewing || m_drag != Drag::None || m_dirty) return 0.0;
    if (m_time && m_time->playing) return 0.0;
    if (seconds_since(m_last_motion) < kMotionHold + 0.1) return 0.0;
    const ImGuiIO& io = ImGui::GetIO();
    for (int key : {GLFW_KEY_W, GLFW_KEY_A, GLFW_KEY_S, GLFW_KEY_D, GLFW_KEY_Q, GLFW_KEY_E})
        if (io.KeysDown[key]) return 0.0;
    // Something to follow (jobs, training, exit conditions): a steady frame rate, leaving the CPU to
    // the trainer between frames. Otherwise only input wakes the loop (and an occasional frame).
    const double since = seconds_since(m_frame_start);
    const bool following = m_loading.valid() || m_reference_loading.valid() || m_final_loading.valid() ||
                           m_snapshot_saving.valid() || (m_session && !m_final_shown) || !m_render_shots.empty() ||
                           m_window_shot || m_options.exit_after_frames > 0 || m_options.exit_when_done;
    return std::max(0.0, (following ? kFollowFrame : kIdleWait) - since);
}

void ViewerApp::run() {
    while (!m_window.should_close() && !m_exit) frame_loop_iteration();
    m_context->wait_idle();
    if (m_options.exit_after_frames > 0 || m_options.exit_when_done) {
        const double seconds = seconds_since(m_run_start);
        char line[256];
        std::snprintf(line, sizeof line,
                      "view: %llu frames in %.1f s (%.1f FPS), %llu renders; last render %ux%u in %.2f ms GPU, "
                      "%llu of %llu Gaussians visible",
                      (unsigned long long)m_timing.frames, seconds, double(m_timing.frames) / std::max(seconds, 1e-9),
                      (unsigned long long)m_timing.renders, m_timing.render_width, m_timing.render_height,
                      m_timing.stats.gpu_ms, (unsigned long long)m_timing.stats.visible,
                      (unsigned long long)m_timing.stats.gaussians);
        log::info(line);
        std::string passes;
        for (const PassTiming& t : m_timing.stats.passes) passes += cat(passes.empty() ? "" : ", ", t.pass, " ", t.ms);
        if (!passes.empty()) log::debug("view: last render's passes (ms): ", passes);
        if (m_motion_frames > 0)
            log::info("view: while moving ", m_motion_frames, " frames at ",
                      std::to_string(double(m_motion_frames) / std::max(m_motion_seconds, 1e-9)).substr(0, 5),
                      " FPS, renders at ", int(100.0f * m_motion_scale), "% of the viewport's size");
    }
}

void ViewerApp::frame_loop_iteration() {
    if (const double wait = event_wait(); wait > 0.0)
        glfwWaitEventsTimeout(wait);
    else
        glfwPollEvents();
    poll_jobs();
    poll_training();
    for (const std::string& path : m_window.take_drops()) open(path);

    const int fb_w = m_window.framebuffer_width(), fb_h = m_window.framebuffer_height();
    m_target->resize(uint32_t(std::max(fb_w, 0)), uint32_t(std::max(fb_h, 0)));
    std::optional<vk::SwapchainFrame> frame = m_target->begin_frame();
    if (!frame) {
        // Minimised (or the swapchain was just rebuilt): nothing to draw; do not spin.
        if (m_target->minimized()) glfwWaitEventsTimeout(kFollowFrame);
        return;
    }
    if (!m_imgui) {
        // The UI's render pass needs the swapchain's format, known once it exists.
        m_imgui =
            std::make_unique<ImGuiLayer>(*m_context, m_window.handle(), m_target->format(), m_target->image_count());
        m_viewport = std::make_unique<ViewportRenderer>(*m_context, m_target->format());
        m_viewport->set_scene(m_cloud);
        if (m_time && m_scene && m_scene->cloud_4d)
            m_viewport->set_scene_4d(m_scene->cloud_4d, m_scene->min_temporal_weight);
        m_dirty = true;
    }
    if (auto r = m_viewport->collect(frame->slot)) on_render_result(*r);

    m_imgui->new_frame();
    const Layout layout = compute_layout();
    Commands commands;
    if (m_show_ui) draw_sidebar(layout, commands);
    for (const Command& c : commands) apply(c);
    // Gestures move the camera continuously (renders may shrink meanwhile); jumps such as a reset or
    // snapping to a view are not motion and render at full size at once.
    const uint64_t before = m_camera.version();
    Commands shortcuts;
    handle_input(layout, shortcuts);
    if (m_camera.version() != before) m_last_motion = Clock::now();
    for (const Command& c : shortcuts) apply(c);
    advance_preview();
    if (m_time && m_time->advance(std::min(double(ImGui::GetIO().DeltaTime), 0.1))) {
        m_view.render.time = m_time->time;
        m_dirty = true;
    }
    if (m_options.start_view >= 0 && m_scene && !m_loading.valid()) {
        snap_to_view(m_options.start_view);
        if (m_options.compare) set_compare(true);
        m_options.start_view = -1;
    }
    if (m_options.play_path && !m_path_frames.empty()) {
        apply(command::PathPreview{true});
        m_options.play_path = false;
    }
    if (m_tiles && m_tiles->busy()) m_dirty = true; // tiles streaming in: render again
    RenderPlan p = plan(layout);
    if (m_show_ui && (m_view.show_cameras || m_view.show_path)) {
        const ViewerSnapshot s = snapshot();
        draw_viewport_overlays(s, p.display_camera, p.render_ui);
    }
    if (m_tiles && m_show_ui) m_tiles->draw_boxes(p.display_camera, p.render_ui);
    ImGui::Render();

    const bool is_settled = settled(p);
    if (is_settled) ++m_settled_frames;
    // Exit conditions of the options, decided before recording so the last frame can be captured.
    bool last = false;
    if (m_options.exit_after_frames > 0 && m_settled_frames >= m_options.exit_after_frames) last = true;
    if (m_options.exit_when_done && m_session && m_monitor.done() && m_final_shown && is_settled) last = true;
    if (m_options.exit_when_done && m_session && m_monitor.state() == TrainingState::Failed) last = true;
    if (!m_options.screenshot.empty() && !m_cli_shot_taken &&
        (last || (is_settled && m_options.exit_after_frames == 0 && !m_options.exit_when_done))) {
        m_window_shot = m_options.screenshot.string();
        m_cli_shot_taken = true;
    }
    const bool capture = m_window_shot.has_value() && m_window_capture;

    if (m_tiles && p.render) m_tiles->update(p.camera, frame->slot, *m_viewport);
    m_viewport->record(*frame, p.render ? &p.camera : nullptr, m_view.render, p.layout);
    if (p.render) {
        m_has_render = true;
        m_rendered_camera = p.camera;
        m_rendered_settings = m_view.render;
        m_rendered_scale = p.scale;
        m_dirty = false;
        m_last_overflowed = false;
        ++m_timing.renders;
        m_timing.render_width = uint32_t(p.camera.width);
        m_timing.render_height = uint32_t(p.camera.height);
        m_timing.render_scale = p.scale;
    }
    m_imgui->record(*frame, m_target->rebuilds());
    if (capture) m_viewport->record_window_capture(*frame);
    m_target->end_frame(*frame,
                        capture ? VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);

    if (capture) {
        save_window_screenshot(*m_window_shot, p);
        m_window_shot.reset();
    }
    if (!m_render_shots.empty() && is_settled) {
        for (const std::string& path : m_render_shots) save_render_screenshot(path);
        m_render_shots.clear();
    }

    const auto now = Clock::now();
    m_timing.frame_ms = 1e3 * std::chrono::duration<double>(now - m_frame_start).count();
    if (p.scale < 1.0f) {
        ++m_motion_frames;
        m_motion_seconds += 1e-3 * m_timing.frame_ms;
    }
    m_frame_start = now;
    ++m_timing.frames;
    m_frame_times.push_back(now);
    while (m_frame_times.size() > 2 && now - m_frame_times.front() > std::chrono::seconds(1)) m_frame_times.pop_front();
    if (m_frame_times.size() > 1)
        m_timing.fps =
            double(m_frame_times.size() - 1) /
            std::max(std::chrono::duration<double>(m_frame_times.back() - m_frame_times.front()).count(), 1e-9);
    if (last) m_exit = true;
}

// ---- screenshots ----------------------------------------------------------------------------------

std::string ViewerApp::screenshot_name(const std::string& requested) {
    if (!requested.empty()) return requested;
    std::error_code ec;
    for (;;) {
        char name[64];
        std::snprintf(name, sizeof name, "screenshot_%03d.png", ++m_shot_counter);
        if (!fs::exists(name, ec)) return name;
    }
}

void ViewerApp::write_sidecar(const std::string& image_path, const Camera& camera, const ViewportLayout* layout) const {
    // Enough to render the same picture again: `splatscape render --camera-path` reads the key, and
    // "camera" holds the exact intrinsics and pose.
    const glm::mat4 c2w = camera.camera_to_world();
    const glm::quat q = glm::normalize(glm::quat_cast(glm::mat3(c2w)));
    Json j{{"image", fs::path(image_path).filename().string()},
           {"width", camera.width},
           {"height", camera.height},
           {"frames", 1},
           {"keyframes",
            {{{"t", 0.0},
              {"position", {c2w[3][0], c2w[3][1], c2w[3][2]}},
              {"rotation", {q.w, q.x, q.y, q.z}},
              {"fov_y", fov_of(camera)}}}},
           {"camera", camera_json(camera)},
           {"render_mode", to_string(m_view.render.mode)},
           {"sh_degree", m_view.render.sh_degree},
           {"background", {m_view.render.background.x, m_view.render.background.y, m_view.render.background.z}},
           {"scale_modifier", m_view.render.scale_modifier},
           {"antialiased", m_view.render.antialiased}};
    if (layout) {
        const PixelRect& r = layout->render;
        j["viewport"] = {r.x, r.y, r.width, r.height};
        if (layout->reference && m_viewport->has_reference()) {
            const PixelRect& g = *layout->reference;
            j["reference"] = {g.x, g.y, g.width, g.height};
            if (m_scene && m_reference_view >= 0)
                j["reference_image"] = m_scene->views[size_t(m_reference_view)].frame.image.string();
        }
    }
    if (m_scene) j["scene"] = m_scene->path.string();
    fs::path sidecar = image_path;
    sidecar.replace_extension(".json");
    save_json(sidecar, j);
}

void ViewerApp::save_window_screenshot(const std::string& path, const RenderPlan& plan) {
    try {
        const Image image = m_viewport->read_window_capture();
        if (image.empty()) throw Error(path, "", "no window image to save");
        save_image(path, image);
        // The viewport shows the render of `plan.camera` 1:1 when the view is settled at full size.
        write_sidecar(path, plan.camera, &plan.layout);
        m_last_screenshot = path;
        log::info("saved the window to ", path);
    } catch (const Error& e) {
        m_error = e.what();
        log::error(e.what());
    }
}

void ViewerApp::save_render_screenshot(const std::string& path) {
    try {
        const Image image = m_viewport->read_render();
        if (image.empty()) throw Error(path, "", "nothing rendered yet");
        save_image(path, image);
        write_sidecar(path, m_rendered_camera, nullptr);
        m_last_screenshot = path;
        log::info("saved the render to ", path);
    } catch (const Error& e) {
        m_error = e.what();
        log::error(e.what());
    }
}

} // namespace splatscape::gui
