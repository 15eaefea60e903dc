#pragma once
// Frames of a video for structure-from-motion: ffmpeg decodes `blur_window` candidates per frame
// wanted, evenly spaced in time, and the sharpest candidate of each window (variance of the
// Laplacian, core/process/sharpness.hpp) is kept; the others are deleted.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/process/tool_output.hpp"

namespace splatscape::process {

struct FrameOptions {
    int frames = 120;    // frames to keep over the whole video (used when fps is 0)
    double fps = 0.0;    // > 0: keep this many frames per second of video instead
    int blur_window = 3; // candidates decoded per kept frame (1: no selection)
    std::string ffmpeg = "ffmpeg";
    std::string ffprobe = "ffprobe";
};

// How many frames to keep and at what rate ffmpeg samples candidates (0: every frame of the video).
struct FramePlan {
    size_t keep = 0;
    double candidate_rate = 0.0;
};
// Plans from what ffprobe reported. Throws Error naming the video when its length is unknown and
// fps was asked for.
FramePlan plan_frames(const VideoInfo& info, const FrameOptions& options, const std::string& file);

// ffprobe's report on the video's first video stream. Throws Error naming the video when it cannot
// be read (not a video, no video stream).
VideoInfo probe_video(const std::filesystem::path& video, const std::string& ffprobe = "ffprobe");

struct FrameExtraction {
    size_t candidates = 0;         // frames ffmpeg decoded
    size_t kept = 0;               // written to the output folder
    std::vector<double> times;     // [kept] each kept frame's time in the video, seconds
    std::vector<double> sharpness; // [kept] its variance of the Laplacian
    double seconds = 0.0;
};

// "frame_00042.png": the name of the k-th kept frame.
std::string frame_file_name(size_t k);

// Writes the kept frames to `dest`/frame_00000.png, ... in video order. `work` is a scratch folder
// (removed afterwards); the ffmpeg log goes to `logs`/ffmpeg.log. Shown as step `step` of `steps`.
FrameExtraction extract_sharp_frames(const std::filesystem::path& video, const std::filesystem::path& dest,
                                     const std::filesystem::path& work, const std::filesystem::path& logs,
                                     const FrameOptions& options, int step, int steps);

} // namespace splatscape::process
