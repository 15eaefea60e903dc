#pragma once
// Parsers of what the external tools print: COLMAP 3.x progress lines, ffprobe's key=value report
// and ffmpeg's -progress lines. Their input is another program's output, so they are strict:
// anything that does not fit the expected form exactly (missing brackets, numbers that overflow,
// a count above its total, a zero total) is not a match, never a crash.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace splatscape::process {

// One progress report from a COLMAP log line.
struct ColmapProgress {
    enum class Kind {
        ImageExtracted,   // feature_extractor: "Processed file [3/67]"
        FeatureCount,     // feature_extractor: "  Features:        8192" (of the image just reported)
        BlockMatched,     // exhaustive_matcher: "Matching block [1/3, 2/3] in 12.3s"
        ImageMatched,     // sequential_matcher: "Matching image [12/67] in 0.8s"
        InitialPair,      // mapper: "Initializing with image pair #12 and #15" (two images registered)
        ImageRegistered,  // mapper: "Registering image #31 (14)": the 14th image of the current model
        ImageUndistorted, // image_undistorter: "Undistorting image [5/67]"
    };
    Kind kind = Kind::ImageExtracted;
    uint64_t done = 0;     // items done, 1-based (registered images for the mapper; features for FeatureCount)
    uint64_t total = 0;    // items in all; 0 when the line does not say (mapper, FeatureCount)
    uint64_t image_id = 0; // the COLMAP image id the mapper named (InitialPair: the first of the two)
};

// A line as COLMAP prints it, with or without a glog prefix ("I0611 12:00:00.123456 4242 file.cc:87] ").
std::optional<ColmapProgress> parse_colmap_line(std::string_view line);

// The line with a glog prefix removed (unchanged when it has none).
std::string_view strip_glog_prefix(std::string_view line);

// ffprobe -show_entries stream=width,height,avg_frame_rate,nb_frames:format=duration -of default=nw=1
struct VideoInfo {
    int width = 0, height = 0;
    double frame_rate = 0.0;  // frames per second (avg_frame_rate); 0 when unknown
    double duration = 0.0;    // seconds; 0 when unknown
    int64_t frame_count = -1; // nb_frames; -1 when the container does not say
};
// Throws Error(file, field, expected) when width or height are missing or not positive; the other
// fields stay unknown when absent or "N/A". Unknown keys are ignored.
VideoInfo parse_ffprobe_report(std::string_view text, const std::string& file);

// ffmpeg -progress: "frame=123" gives 123; any other line nullopt.
std::optional<uint64_t> parse_ffmpeg_progress_frame(std::string_view line);

} // namespace splatscape::process
