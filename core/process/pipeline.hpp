#pragma once
// From photos or a video to a trainable COLMAP dataset, with COLMAP's command-line tool (CPU SIFT)
// and, for a video, ffmpeg. INPUT is never modified; DATA is laid out as
//
//   DATA/input/             the photos (hard links, or copies across file systems) or the frames
//                           picked from the video (frame_00000.png, ...): what COLMAP reads
//   DATA/distorted/         database.db and sparse/N: COLMAP's database and mapper models
//   DATA/images/            the registered images undistorted to the PINHOLE camera
//   DATA/sparse/0/          the undistorted model (cameras.bin, images.bin, points3D.bin)
//   DATA/logs/<stage>.log   every line each tool printed (ffmpeg, feature_extractor, ..._matcher,
//                           mapper, image_undistorter)
//   DATA/process.json       settings and results; written last, with "complete": true
//
// images/ + sparse/0 is what the COLMAP loader (core/datasets/colmap.cpp) reads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_util.hpp"

namespace splatscape::process {

struct ProcessOptions {
    std::filesystem::path input;  // a folder of photos or a video file
    std::filesystem::path output; // DATA
    // Video: keep `frames` frames spread over the video, or (when fps > 0) `fps` frames per second;
    // `blur_window` candidates are decoded per kept frame and the sharpest of each window is kept.
    int frames = 120;
    double fps = 0.0;
    int blur_window = 3;
    // COLMAP.
    std::string camera_model = "SIMPLE_RADIAL"; // COLMAP's default: one focal length, one radial term
    bool single_camera = true;                  // one camera shared by every image
    int max_image_size = 1024;                  // SIFT extraction works on images at most this large (pixels)
    std::string matcher = "auto";               // auto | exhaustive | sequential
    int overlap = 10;                           // sequential matching: each image is matched to the next `overlap`
    int threads = 0;                            // 0: all cores
    double min_registered = 0.5;                // fail when fewer than this fraction of the images are registered
    bool force = false;                         // redo into a DATA that already holds files
    std::string colmap = "colmap";              // executables (looked up in PATH)
    std::string ffmpeg = "ffmpeg";
    std::string ffprobe = "ffprobe";

    // Throws UsageError for values out of range or unknown choices.
    void validate() const;
};

struct StageTime {
    std::string name; // "frames", "feature_extractor", "exhaustive_matcher", "mapper", "image_undistorter"
    double seconds = 0.0;
};

struct ProcessReport {
    std::filesystem::path output;
    bool video = false;
    size_t images = 0;                     // images given to COLMAP
    size_t registered = 0;                 // in the model that was kept
    std::vector<std::string> unregistered; // names (in DATA/input) of the images left out
    size_t models = 0;                     // models the mapper made (the largest is kept)
    size_t points = 0;                     // 3D points of the kept model
    std::string matcher;                   // the matcher that ran
    std::vector<StageTime> stages;
    std::vector<double> frame_times; // video: each input/frame_NNNNN.png's time in the video, seconds
    double seconds = 0.0;

    Json to_json() const;
};

// Runs the whole pipeline (showing each stage as a step) and returns what it did. Throws Error with
// an actionable message when a tool is missing (naming the Debian package), no images are found,
// a video cannot be decoded, a tool fails (naming its log), or too few images are registered
// (naming how many and which). Throws UsageError when DATA already holds files and !force.
ProcessReport run_process(const ProcessOptions& options);

// Photo and video inputs.
bool is_video_file(const std::filesystem::path& path);
// The photo files directly in `folder` (.jpg, .jpeg, .png, .bmp; any case), sorted by name.
std::vector<std::filesystem::path> list_photos(const std::filesystem::path& folder);

// True when DATA/process.json says a run completed from `input` (same absolute path) and
// images/ and sparse/0 are there.
bool is_processed(const std::filesystem::path& data, const std::filesystem::path& input);

// What `splatscape train` does with INPUT: true for a video file, or a folder holding photos
// that is no dataset of a known format (no sparse model, no transforms files).
bool needs_processing(const std::filesystem::path& input);
// Where `train` puts the processed dataset of INPUT: beside it, "<name>_processed" (the video's
// name without its extension: clip.mp4 -> clip_processed/).
std::filesystem::path processed_folder_for(const std::filesystem::path& input);

} // namespace splatscape::process
