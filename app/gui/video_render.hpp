#pragma once
// The camera-path editor's "Render video": the path rendered into an .mp4 or .webm on a worker
// thread, with the code `splatscape render -o x.mp4` runs (cli::render_path_video through a
// FrameRenderer of its own, made from the open scene's Gaussians), so the window keeps drawing and
// the two videos are the same. No ImGui and no window here; the shell polls it once a frame.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <glm/vec3.hpp>

#include "app/cli/camera_path.hpp"
#include "app/gui/scene_source.hpp"

namespace splatscape::gui {

// Why `scene` cannot be rendered into a video as `render` would (empty when it can): only 3D and
// 4D Gaussian scenes render along a path; `training`: the window follows a run.
std::string video_unavailable(const LoadedScene* scene, bool training);

// One video to render: the path's frames (cli::camera_path_frames of the editor's file), at `fps`.
struct VideoJob {
    std::filesystem::path path; // .mp4 or .webm
    std::vector<cli::PathFrame> frames;
    double fps = 30.0;
    glm::vec3 background{0.0f};                      // what the scene was trained over (as `render` picks it)
    std::shared_ptr<const GaussianCloud> cloud;      // static scenes
    std::shared_ptr<const GaussianCloud4d> cloud_4d; // dynamic scenes (then `cloud` is not used)
    float min_temporal_weight = 0.05f;
    std::filesystem::path scene_path;
    // sags and NeRF models (`cloud` is then their point skeleton or occupied cells): read from
    // scene_path and decoded or ray-marched for each frame's camera, as `render` does.
    bool read_model = false;
    std::string renderer = "auto"; // as `render --renderer`
    int threads = 0;               // CPU renderer threads (0: all cores)
};

// What the panel shows of it.
struct VideoStatus {
    bool running = false;
    size_t done = 0, total = 0; // frames
    std::string message;        // the last result: the file written, or what went wrong
    bool failed = false;
};

class VideoRender {
public:
    VideoRender() = default;
    ~VideoRender(); // cancels a running render and waits for its thread (the partial file is removed)
    VideoRender(const VideoRender&) = delete;
    VideoRender& operator=(const VideoRender&) = delete;

    // Starts rendering `job` on a worker thread. Settings a render would refuse (no frames, not
    // .mp4 / .webm) fail at once, with the reason in the status; a second start while one runs too.
    void start(VideoJob job);
    // Records why a render was not started (shown as its result).
    void refuse(const std::string& why);
    // Asks the running render to stop after its current frame.
    void cancel() { m_cancel = true; }
    // Once a frame: collects a finished render (joins its thread). True when one finished now.
    bool poll();
    bool running() const { return m_thread.joinable(); }
    VideoStatus status() const;

private:
    std::thread m_thread;
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_finished{false};
    std::atomic<size_t> m_done{0}, m_total{0};
    mutable std::mutex m_mutex; // guards the two below, written by the worker
    std::string m_message;
    bool m_failed = false;
};

} // namespace splatscape::gui
