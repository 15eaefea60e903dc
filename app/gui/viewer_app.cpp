#include "app/gui/viewer_app.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include <imgui.h>

#include "app/gui/command_script.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

// Longest wait for events when nothing animates; an idle frame only re-shows the last render.
constexpr double kIdleWait = 0.25;
// Frame period while following something that changes by itself (training, loading): 30 FPS.
constexpr double kFollowFrame = 1.0 / 30.0;

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

} // namespace

// ---- set-up ---------------------------------------------------------------------------------------

ViewerApp::ViewerApp(const WindowOptions& options, const std::string& title)
    : m_options(options), m_frames(options, title),
      m_document(m_frames.context(), DrawOptions{options.budget_splats, options.budget_mb}) {
    if (!options.screenshot.empty() && !m_frames.can_capture())
        throw Error("--screenshot: this window system does not let the window's pixels be read back");
    ViewSettings view = m_document.view();
    view.render.mode = parse_render_mode(options.mode);
    view.continuous = options.continuous;
    m_document.set_view(view);
    m_show_ui = !options.hide_ui;
    if (!options.camera_path.empty()) m_camera.load_path(options.camera_path);
    set_text(m_inputs.path_file, options.camera_path.empty() ? "camera_path.json" : options.camera_path.string());
    set_text(m_inputs.video_file, "camera_path.mp4");
    if (!options.commands.empty()) m_script = read_command_script(options.commands);
}

ViewerApp::~ViewerApp() = default;

const TrainingMonitor& ViewerApp::training() const {
    static const TrainingMonitor kNone;
    return m_training ? m_training->monitor() : kNone;
}

void ViewerApp::finish_training() {
    if (!m_training || !m_training->session()) return;
    m_frames.window().hide();
    m_training->finish();
}

void ViewerApp::show_scene(LoadedScene scene) {
    show_source(std::move(scene), true);
}

void ViewerApp::enable_live_view(TrainSetup& setup) {
    if (!m_training) m_training = std::make_unique<TrainingFollower>();
    m_training->enable_live_view(m_frames.context(), setup);
}

void ViewerApp::attach_training(TrainingSession& session, const TrainSetup& setup) {
    if (!m_training) m_training = std::make_unique<TrainingFollower>();
    m_document.open_training(setup);
    m_training->attach(session, setup);
}

// ---- scene and jobs ---------------------------------------------------------------------------------

void ViewerApp::open(const std::string& path) {
    if (m_training)
        m_document.fail("the window follows a training run; open other scenes with `splatscape view`");
    else
        m_document.open(path);
}

void ViewerApp::show_source(LoadedScene scene, bool reframe) {
    // While training, the trainer's models are drawn; the source brings the dataset's cameras.
    m_document.set_source(std::move(scene), !m_training);
    m_camera.unsnap();
    m_ground_truth.reset(m_viewport.get());
    if (reframe) m_camera.frame(m_document.framing());
    std::string title = cat("Splatscape - ", m_document.source()->path.filename().string());
    if (m_training) title += " (training)";
    m_frames.window().set_title(title);
}

void ViewerApp::poll() {
    if (std::optional<LoadedScene> s = m_document.take_loaded()) {
        try {
            if (!m_training) m_document.recent().add(s->path);
            show_source(std::move(*s), !m_training || !m_camera.framed());
        } catch (const std::exception& e) {
            m_document.fail(e.what());
        }
    }
    m_ground_truth.poll(m_viewport.get());
    m_video.poll();
    if (m_training) m_training->poll(m_document, m_camera);
    for (const std::string& path : m_frames.window().take_drops()) open(path);
}

void ViewerApp::snap_to_view(int index) {
    const LoadedScene* scene = m_document.source();
    if (!scene || index < 0 || index >= int(scene->views.size())) return;
    m_camera.snap_to(index, scene->views[size_t(index)].frame.camera);
    m_inputs.selected_view = index;
    m_ground_truth.follow(scene, index);
}

// What the command line asked for once the scene is there: a dataset view, the photo beside it,
// the camera path's preview.
void ViewerApp::start_options() {
    if (m_options.start_view >= 0 && m_document.source() && !m_document.loading()) {
        snap_to_view(m_options.start_view);
        if (m_options.compare) m_ground_truth.set(true, m_document.source(), m_camera.last_snapped());
        m_options.start_view = -1;
    }
    if (m_options.play_path && !m_camera.path_frames().empty()) {
        apply(command::PathPreview{true});
        m_options.play_path = false;
    }
    // --commands: what the panels would push, in order, once the scene is shown and framed.
    if (!m_script.empty() && m_document.source() && !m_document.loading()) {
        const Commands script = std::move(m_script);
        m_script.clear();
        for (const Command& c : script) apply(c);
    }
}

// The path as the editor samples it (what `render --camera-path` reads from its saved file), with
// the open scene's Gaussians and background, on the video's own thread.
void ViewerApp::render_video(const std::string& path) {
    const LoadedScene* scene = m_document.source();
    const std::string why = video_unavailable(scene, m_training != nullptr);
    if (!why.empty()) return m_video.refuse("cannot render a video: " + why);
    VideoJob job;
    job.path = path.empty() ? "camera_path.mp4" : path;
    set_text(m_inputs.video_file, job.path.string()); // the field shows the file being written
    job.frames = m_camera.path_frames();
    job.fps = m_camera.path().fps;
    job.background = scene->background;
    job.cloud = scene->cloud;
    job.cloud_4d = scene->cloud_4d;
    job.min_temporal_weight = scene->min_temporal_weight;
    job.scene_path = scene->path;
    job.read_model = scene->sags != nullptr || scene->nerf != nullptr;
    // Leave a core to the window (the CPU renderer's picture does not depend on its thread count).
    job.threads = int(std::max(2u, std::thread::hardware_concurrency()) - 1);
    m_video.start(std::move(job));
}

// ---- commands -------------------------------------------------------------------------------------

void ViewerApp::apply(const Command& command) {
    if (m_camera.apply(command)) return;
    std::visit(
        [&](auto&& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, command::OpenScene>) {
                open(c.path);
            } else if constexpr (std::is_same_v<T, command::ForgetRecent>) {
                m_document.recent().remove(c.path);
            } else if constexpr (std::is_same_v<T, command::SetView>) {
                if (c.view.fov_y != m_camera.fov_y()) m_camera.set_fov_y(c.view.fov_y);
                m_document.set_view(c.view);
            } else if constexpr (std::is_same_v<T, command::SnapToView>) {
                snap_to_view(c.index);
            } else if constexpr (std::is_same_v<T, command::SetCompare>) {
                m_ground_truth.set(c.on, m_document.source(), m_camera.last_snapped());
            } else if constexpr (std::is_same_v<T, command::Screenshot>) {
                m_shots.request(c.path, c.window);
            } else if constexpr (std::is_same_v<T, command::PathRenderVideo>) {
                render_video(c.path);
            } else if constexpr (std::is_same_v<T, command::PathCancelVideo>) {
                m_video.cancel();
            } else if constexpr (std::is_same_v<T, command::Train>) {
                if (m_training) m_training->send(c.command);
            } else if constexpr (std::is_same_v<T, command::SaveSnapshot>) {
                if (m_training) m_training->save_snapshot();
            } else if constexpr (std::is_same_v<T, command::ToggleUi>) {
                m_show_ui = !m_show_ui;
            } else if constexpr (std::is_same_v<T, command::SceneCommand>) {
                m_document.apply(c.payload);
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
    const int fb_w = m_frames.window().framebuffer_width(), fb_h = m_frames.window().framebuffer_height();
    l.viewport_px = {x0, 0, std::max(fb_w - x0, 0), fb_h};
    return l;
}

ViewerSnapshot ViewerApp::snapshot() const {
    ViewerSnapshot s;
    s.scene = m_document.source();
    s.loading = m_document.loading();
    s.loading_what = m_document.loading_what();
    s.error = m_document.error();
    s.recent = &m_document.recent().items();
    s.can_open = !m_training;
    s.drawn = m_document.drawn();
    s.render_modes = m_document.render_modes();
    s.splat_settings = !s.drawn || s.drawn->splat_settings();
    s.view = m_document.view();
    s.view.fov_y = m_camera.fov_y();
    s.scene_sh_degree = m_document.cloud() ? m_document.cloud()->sh_degree : 0;
    const CameraController& c = m_camera.controller();
    s.position = c.position();
    s.pivot = c.pivot();
    s.up = c.world_up();
    s.pivot_distance = c.pivot_distance();
    s.scene_radius = m_camera.framing().radius;
    s.snapped_view = m_camera.snapped();
    s.compare = m_ground_truth.on();
    s.reference_loading = m_ground_truth.loading();
    s.reference_error = m_ground_truth.error();
    s.timing.fps = m_frames.fps();
    s.timing.frame_ms = m_frames.frame_ms();
    s.timing.frames = m_frames.frames();
    s.timing.stats = m_planner.stats();
    s.timing.render_width = m_planner.render_width();
    s.timing.render_height = m_planner.render_height();
    s.timing.render_scale = m_planner.render_scale();
    s.timing.renders = m_planner.renders();
    const vk::Context& context = m_frames.context();
    s.device = vk::describe(context.info());
    s.device_local_bytes = context.device_local_bytes();
    s.gpu_memory_bytes = m_viewport ? m_viewport->gpu_memory_bytes() : 0;
    s.validation = context.validation_enabled();
    s.validation_errors = context.validation_errors();
    s.last_screenshot = m_shots.last();
    s.window_capture = m_frames.can_capture();
    s.path = &m_camera.path();
    s.path_frames = &m_camera.path_frames();
    s.path_message = m_camera.path_message();
    s.previewing = m_camera.previewing();
    s.preview_time = m_camera.preview_time();
    s.video = m_video.status();
    s.video_unavailable = video_unavailable(s.scene, m_training != nullptr);
    s.training = m_training ? &m_training->monitor() : nullptr;
    s.snapshot_saving = m_training && m_training->saving();
    s.snapshot_saved = m_training ? m_training->saved_message() : "";
    return s;
}

ViewerApp::RenderPlan ViewerApp::plan(const Layout& layout) {
    RenderPlan p;
    p.layout.window_color = glm::vec3(0.08f);
    if (layout.viewport_px.empty()) return p;
    const ViewSettings& view = m_document.view();
    const bool moving =
        m_input.dragging() || m_camera.previewing() || m_planner.recently_moved(RenderPlanner::Clock::now());
    p.scale = m_planner.scale(moving, view);

    PixelRect shown = layout.viewport_px;
    const std::optional<Camera> fixed = m_camera.fixed_camera(m_document.source());
    const bool compare = m_ground_truth.on() && fixed && !m_camera.in_preview_frame() && m_viewport->has_reference();
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
    p.render = m_planner.needs_render(p.camera, view);
    return p;
}

bool ViewerApp::settled(const RenderPlan& p) const {
    if (m_document.loading() || m_ground_truth.loading() || (m_training && m_training->loading_final())) return false;
    if (!m_document.source() && !m_document.cloud()) return false;
    if (p.scale < 1.0f || m_camera.previewing() || m_input.dragging()) return false;
    if (m_ground_truth.on() && m_camera.fixed_camera(m_document.source()) && !m_viewport->has_reference()) return false;
    // A render is final once its counters were read back without an overflow (which re-renders).
    if (m_document.view().continuous) return m_planner.renders() > 2 && !m_planner.overflowed();
    return !p.render && !m_viewport->results_pending(m_document.drawn()) && !m_planner.overflowed() &&
           !m_planner.dirty();
}

// The exit conditions of the options, decided before recording so that the last frame can be captured.
bool ViewerApp::last_frame(bool is_settled) const {
    if (m_video.running() || !m_script.empty()) return false; // the exit options wait for the video
    if (m_options.exit_after_frames > 0 && m_settled_frames >= m_options.exit_after_frames) return true;
    if (!m_options.exit_when_done || !m_training) return false;
    const TrainingMonitor& t = m_training->monitor();
    return (t.done() && m_training->final_shown() && is_settled) || t.state() == TrainingState::Failed;
}

double ViewerApp::event_wait() const {
    if (!m_frames.ui_ready()) return 0.0;
    // Animating: draw as fast as frames complete.
    if (m_document.view().continuous || m_camera.previewing() || m_input.dragging() || m_planner.dirty() ||
        m_document.has_changes() || m_document.animating())
        return 0.0;
    if (m_planner.recently_moved(RenderPlanner::Clock::now(), 0.1) || ViewportInput::flying()) return 0.0;
    // Something to follow (jobs, training, exit conditions): a steady frame rate, leaving the CPU to
    // the trainer between frames. Otherwise only input wakes the loop (and an occasional frame).
    const bool following = m_document.loading() || m_ground_truth.loading() ||
                           (m_training && m_training->following()) || m_shots.pending() || m_video.running() ||
                           m_options.exit_after_frames > 0 || m_options.exit_when_done;
    return std::max(0.0, (following ? kFollowFrame : kIdleWait) - m_frames.seconds_in_frame());
}

void ViewerApp::run() {
    while (!m_frames.window().should_close() && !m_exit) frame();
    m_frames.context().wait_idle();
    if (m_options.exit_after_frames > 0 || m_options.exit_when_done) print_summary();
}

void ViewerApp::print_summary() const {
    const double seconds = m_frames.seconds_running();
    const RenderStats& r = m_planner.stats();
    char line[256];
    const std::string drawn = r.parameters > 0 ? cat(r.samples, " NeRF samples, ", r.visible, " pixels hit")
                                               : cat(r.visible, " of ", r.gaussians, " Gaussians visible");
    std::snprintf(line, sizeof line,
                  "view: %llu frames in %.1f s (%.1f FPS), %llu renders; last render %ux%u in %.2f ms GPU, %s",
                  (unsigned long long)m_frames.frames(), seconds, double(m_frames.frames()) / std::max(seconds, 1e-9),
                  (unsigned long long)m_planner.renders(), m_planner.render_width(), m_planner.render_height(),
                  r.gpu_ms, drawn.c_str());
    log::info(line);
    std::string passes;
    for (const PassTiming& t : r.passes) passes += cat(passes.empty() ? "" : ", ", t.pass, " ", t.ms);
    if (!passes.empty()) log::debug("view: last render's passes (ms): ", passes);
    if (m_planner.motion_frames() > 0)
        log::info(
            "view: while moving ", m_planner.motion_frames(), " frames at ",
            std::to_string(double(m_planner.motion_frames()) / std::max(m_planner.motion_seconds(), 1e-9)).substr(0, 5),
            " FPS, renders at ", int(100.0f * m_planner.motion_scale()), "% of the viewport's size");
}

void ViewerApp::frame() {
    m_frames.wait_events(event_wait());
    poll();

    std::optional<vk::SwapchainFrame> frame = m_frames.begin_frame();
    if (!frame) return;
    if (!m_viewport) {
        m_viewport = std::make_unique<ViewportRenderer>(m_frames.context(), frame->format);
        m_planner.invalidate();
    }
    if (auto r = m_viewport->collect(frame->slot, m_document.drawn()))
        m_planner.completed(r->stats, r->overflowed, m_frames.frame_ms(), m_document.view().frame_budget_ms);

    const Layout layout = compute_layout();
    Commands commands;
    if (m_show_ui) draw_sidebar(snapshot(), layout.sidebar, m_inputs, commands);
    for (const Command& c : commands) apply(c);
    // Gestures move the camera continuously (renders may shrink meanwhile); jumps such as a reset or
    // snapping to a view are not motion and render at full size at once.
    const uint64_t before = m_camera.version();
    Commands shortcuts;
    m_input.handle(layout.viewport_ui, layout.pixel_scale, layout.viewport_px.height, m_camera.controller(), shortcuts);
    if (m_camera.version() != before) m_planner.moved(RenderPlanner::Clock::now());
    if (ViewportInput::keyboard_free()) {
        if (m_training)
            training_shortcuts(m_training->monitor(), shortcuts);
        else if (const DrawnScene* drawn = m_document.drawn())
            drawn->shortcuts(shortcuts);
    }
    for (const Command& c : shortcuts) apply(c);
    m_camera.advance_preview(CameraRig::Clock::now());
    m_document.update(std::min(double(ImGui::GetIO().DeltaTime), 0.1));
    start_options();
    if (m_document.take_changes()) m_planner.invalidate();

    RenderPlan p = plan(layout);
    const ViewSettings& view = m_document.view();
    if (m_show_ui && (view.show_cameras || view.show_path))
        draw_viewport_overlays(snapshot(), p.display_camera, p.render_ui);
    if (m_show_ui && m_document.drawn()) m_document.drawn()->draw_overlay(p.display_camera, p.render_ui);

    const bool is_settled = settled(p);
    if (is_settled) ++m_settled_frames;
    const bool last = last_frame(is_settled);
    if (!m_options.screenshot.empty() &&
        (last || (is_settled && m_options.exit_after_frames == 0 && !m_options.exit_when_done))) {
        m_shots.request(m_options.screenshot.string(), true);
        m_options.screenshot.clear();
    }
    const bool capture = m_shots.window_pending() && m_frames.can_capture();

    m_viewport->record(*frame, m_document.drawn(), p.render ? &p.camera : nullptr, view.render, p.layout);
    if (p.render) m_planner.rendered(p.camera, view.render, p.scale);
    m_frames.end_frame(*frame, capture);
    if (capture) {
        const std::string path = m_shots.take_window();
        try {
            // The viewport shows the render of `p.camera` 1:1 when the view is settled at full size.
            m_shots.save(path, m_frames.read_capture(), p.camera, shot_context(&p.layout), "window");
        } catch (const Error& e) {
            m_document.fail(e.what());
        }
    }
    if (m_shots.renders_pending() && is_settled) {
        for (const std::string& path : m_shots.take_renders()) {
            try {
                m_shots.save(path, m_viewport->read_render(), m_planner.last_camera(), shot_context(nullptr), "render");
            } catch (const Error& e) {
                m_document.fail(e.what());
            }
        }
    }

    m_frames.count_frame();
    m_planner.count_frame(p.scale, m_frames.frame_ms());
    if (last) m_exit = true;
}

ShotContext ViewerApp::shot_context(const ViewportLayout* layout) const {
    ShotContext c;
    c.settings = m_document.view().render;
    c.layout = layout;
    c.reference_shown = m_viewport && m_viewport->has_reference();
    const LoadedScene* scene = m_document.source();
    if (scene && m_ground_truth.view() >= 0 && m_ground_truth.view() < int(scene->views.size()))
        c.reference_image = scene->views[size_t(m_ground_truth.view())].frame.image.string();
    if (scene) c.scene = scene->path.string();
    return c;
}

} // namespace splatscape::gui
