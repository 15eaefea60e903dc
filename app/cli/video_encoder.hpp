#pragma once
// Video output for `splatscape render -o x.mp4|x.webm` and the GUI's camera-path editor: frames are
// piped as raw RGB into ffmpeg (a child process; its messages go to a log file beside the output),
// which writes H.264 in MP4 (yuv420p, CRF 18, +faststart; odd sizes padded by one pixel) or VP9 in
// WebM (yuv420p, CRF 30). The file appears only when ffmpeg has finished it (written under a
// temporary name, then renamed).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "app/cli/camera_path.hpp"
#include "app/cli/frame_renderer.hpp"
#include "core/image.hpp"

namespace splatscape::cli {

// True for the extensions this encoder writes (.mp4, .webm; any case).
bool is_video_path(const std::filesystem::path& path);

struct VideoSettings {
    std::filesystem::path path; // .mp4 or .webm
    int width = 0, height = 0;  // of every frame
    double fps = 30.0;
    std::string ffmpeg = "ffmpeg";
};

class VideoEncoder {
public:
    // Starts ffmpeg; throws Error when it is missing or the settings are invalid.
    explicit VideoEncoder(const VideoSettings& settings);
    ~VideoEncoder(); // an unfinished video is abandoned: ffmpeg is stopped and the partial file removed
    VideoEncoder(const VideoEncoder&) = delete;
    VideoEncoder& operator=(const VideoEncoder&) = delete;

    // One frame, RGB floats in [0, 1] of the settings' size.
    void write(const Image& frame);
    // Waits for ffmpeg and moves the file into place; throws Error with the end of ffmpeg's log.
    void finish();
    int frames_written() const { return m_frames; }

private:
    struct Process;
    std::unique_ptr<Process> m_process;
    VideoSettings m_settings;
    std::filesystem::path m_partial, m_log;
    std::vector<uint8_t> m_buffer;
    int m_frames = 0;
};

// Renders every frame of a camera path with `renderer` (scene time from each frame) into a video at
// `fps`, calling `progress(done, total)` after each frame. This is what `render -o x.mp4` runs, and
// what a GUI camera-path editor calls (from a worker thread) to make the same video:
//   cli::render_path_video(*cli::create_frame_renderer("auto", scene_data), model.frames(),
//                          background, "orbit.mp4", model.fps, on_progress);
void render_path_video(FrameRenderer& renderer, const std::vector<PathFrame>& frames, glm::vec3 background,
                       const std::filesystem::path& path, double fps,
                       const std::function<void(size_t done, size_t total)>& progress = {});

} // namespace splatscape::cli
