#include "app/gui/video_render.hpp"

#include <cstdio>

#include "app/cli/frame_renderer.hpp"
#include "app/cli/video_encoder.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape::gui {
namespace {

// Thrown from the progress callback to stop render_path_video between frames; the encoder it owns
// then stops ffmpeg and removes the partial file.
struct Cancelled {};

} // namespace

std::string video_unavailable(const LoadedScene* scene, bool training) {
    if (training) return "the window follows a training run: render its video with `splatscape view RUN` or `render`";
    if (!scene) return "open a scene first";
    if (!scene->tileset.empty())
        return "tiled scenes stream from disk: render their video with `splatscape render TILES -o x.mp4`";
    if (scene->cloud_from_points) return "a dataset's sparse points are not a trained scene";
    if (!scene->cloud && !scene->cloud_4d) return "the scene has no Gaussians";
    return "";
}

VideoRender::~VideoRender() {
    if (m_thread.joinable()) {
        m_cancel = true;
        m_thread.join();
    }
}

void VideoRender::refuse(const std::string& message) {
    log::error("video: ", message);
    std::lock_guard lock(m_mutex);
    m_message = message;
    m_failed = true;
}

void VideoRender::start(VideoJob job) {
    if (running()) return refuse("a video is already being rendered");
    if (!cli::is_video_path(job.path)) return refuse(job.path.string() + ": a video must be .mp4 or .webm");
    if (job.frames.empty()) return refuse("the camera path has no frames");
    if (!job.cloud && !job.cloud_4d) return refuse("the scene has no Gaussians");
    {
        std::lock_guard lock(m_mutex);
        m_message.clear();
        m_failed = false;
    }
    m_cancel = false;
    m_finished = false;
    m_done = 0;
    m_total = job.frames.size();
    m_thread = std::thread([this, job = std::move(job)] {
        std::string message;
        bool failed = false;
        try {
            // The scene as `render` reads it (cli::read_scene_data), from the Gaussians already loaded.
            cli::SceneData data;
            data.path = job.scene_path;
            if (job.read_model) data = cli::read_scene_data(job.scene_path);
            if (job.cloud_4d) {
                data.cloud_4d = *job.cloud_4d;
                data.min_temporal_weight = job.min_temporal_weight;
            }
            std::unique_ptr<cli::FrameRenderer> renderer =
                data.dynamic() || data.sags || data.nerf
                    ? cli::create_frame_renderer(job.renderer, data, job.threads)
                    : cli::create_frame_renderer(job.renderer, *job.cloud, job.threads);
            if (m_cancel) throw Cancelled{};
            cli::render_path_video(*renderer, job.frames, job.background, job.path, job.fps, [&](size_t done, size_t) {
                m_done = done;
                if (m_cancel) throw Cancelled{};
            });
            char line[512];
            std::snprintf(line, sizeof line, "wrote %s: %zu frames, %dx%d at %g fps (%s renderer)",
                          job.path.string().c_str(), job.frames.size(), job.frames.front().camera.width,
                          job.frames.front().camera.height, job.fps, renderer->name().c_str());
            message = line;
        } catch (const Cancelled&) {
            message = "cancelled; " + job.path.string() + " was not written";
        } catch (const std::exception& e) {
            message = e.what();
            failed = true;
        }
        {
            std::lock_guard lock(m_mutex);
            m_message = message;
            m_failed = failed;
        }
        m_finished = true;
    });
}

bool VideoRender::poll() {
    if (!m_thread.joinable() || !m_finished) return false;
    m_thread.join();
    const VideoStatus s = status();
    if (s.failed)
        log::error("video: ", s.message);
    else
        log::info("video: ", s.message);
    return true;
}

VideoStatus VideoRender::status() const {
    VideoStatus s;
    s.running = running();
    s.done = m_done;
    s.total = m_total;
    std::lock_guard lock(m_mutex);
    s.message = m_message;
    s.failed = m_failed;
    return s;
}

} // namespace splatscape::gui
