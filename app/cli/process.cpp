// splatscape process INPUT -o DATA: photos or a video to a COLMAP dataset that `train` reads
// (core/process/pipeline.hpp holds the stages and the layout of DATA; docs/process.md the options).
#include "app/cli/process.hpp"

#include <cstdio>
#include <memory>

#include "app/cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/process/pipeline.hpp"
#include "core/progress.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct ProcessArgs {
    std::string input;
    std::string output;
    process::ProcessOptions options;
    bool multiple_cameras = false;
};

void print_report(const process::ProcessReport& r) {
    std::printf("dataset      %s (images/ + sparse/0)\n", r.output.string().c_str());
    std::printf("registered   %zu of %zu images, %zu points\n", r.registered, r.images, r.points);
    std::printf("matcher      %s\n", r.matcher.c_str());
    std::string stages;
    for (const auto& s : r.stages)
        stages += cat(stages.empty() ? "" : ", ", s.name, " ", ProgressBar::format_duration(s.seconds));
    std::printf("stages       %s\n", stages.c_str());
    std::printf("time         %s (logs in %s)\n", ProgressBar::format_duration(r.seconds).c_str(),
                (r.output / "logs").string().c_str());
}

int run_process_command(const ProcessArgs& a) {
    process::ProcessOptions o = a.options;
    o.input = a.input;
    o.output = a.output;
    o.single_camera = !a.multiple_cameras;
    const process::ProcessReport r = process::run_process(o);
    print_report(r);
    return 0;
}

} // namespace

std::filesystem::path dataset_for_training(const std::filesystem::path& input) {
    if (!process::needs_processing(input)) return input;
    process::ProcessOptions o;
    o.input = input;
    o.output = process::processed_folder_for(input);
    if (process::is_processed(o.output, input)) {
        log::info("using the processed dataset ", o.output.string(), " (made earlier from ", input.string(), ")");
        return o.output;
    }
    // A folder left by an interrupted run (logs but no complete process.json) is redone; anything else,
    // such as a dataset made from another input, is not ours to replace.
    std::error_code ec;
    if (fs::exists(o.output / "logs", ec) && !fs::exists(o.output / "process.json", ec)) o.force = true;
    log::info(input.string(), " holds no posed dataset: running `splatscape process` into ", o.output.string());
    print_report(process::run_process(o));
    return o.output;
}

void add_process(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("process", "Photos or a video to a COLMAP dataset (structure from motion)");
    cmd->footer("Runs ffmpeg (videos) and COLMAP's command-line tool (CPU SIFT): feature extraction, matching,\n"
                "mapping and undistortion to PINHOLE. DATA gets images/ + sparse/0 (train it with `splatscape train\n"
                "DATA`), input/ (the photos, linked, or the picked frames), distorted/ (database, raw models),\n"
                "logs/<stage>.log and process.json. INPUT is never modified. Needs the Debian packages colmap and\n"
                "ffmpeg. See docs/process.md.");
    auto a = std::make_shared<ProcessArgs>();
    process::ProcessOptions& o = a->options;
    cmd->add_option("input", a->input, "Folder of photos, or a video file")->required();
    cmd->add_option("-o,--output", a->output, "Dataset folder to write (DATA)")->required();
    cmd->add_option("--frames", o.frames, "Video: frames to keep over the whole video")->capture_default_str();
    cmd->add_option("--fps", o.fps, "Video: frames to keep per second instead of --frames");
    cmd->add_option("--blur-window", o.blur_window,
                    "Video: frames decoded per frame kept; the sharpest of each window is kept (1: no selection)")
        ->capture_default_str();
    cmd->add_option("--camera-model", o.camera_model,
                    "COLMAP camera model (SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, OPENCV_FISHEYE, ...)")
        ->capture_default_str();
    cmd->add_flag("--multiple-cameras", a->multiple_cameras,
                  "One camera per image instead of one shared by all (photos from several cameras or zoom settings)");
    cmd->add_option("--max-image-size", o.max_image_size, "Largest image side SIFT extraction works at (pixels)")
        ->capture_default_str();
    cmd->add_option("--matcher", o.matcher,
                    "auto (exhaustive for up to 200 photos, sequential for videos and more photos), exhaustive or "
                    "sequential")
        ->capture_default_str();
    cmd->add_option("--overlap", o.overlap, "Sequential matching: images matched with each image's next N")
        ->capture_default_str();
    cmd->add_option("--min-registered", o.min_registered,
                    "Fail when fewer than this fraction of the images are registered")
        ->capture_default_str();
    cmd->add_option("--threads", o.threads, "CPU threads for COLMAP (0: all cores)")->capture_default_str();
    cmd->add_flag("--force", o.force, "Redo the processing in a DATA folder that is not empty");
    cmd->callback([&registry, a] { registry.action = [a] { return run_process_command(*a); }; });
}

} // namespace splatscape::cli
