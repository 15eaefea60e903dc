#include "core/process/video_frames.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/process/sharpness.hpp"
#include "core/process/stage.hpp"
#include "core/process/subprocess.hpp"

namespace splatscape::process {

namespace fs = std::filesystem;

std::string frame_file_name(size_t k) {
    char name[40];
    std::snprintf(name, sizeof name, "frame_%05zu.png", k);
    return name;
}

FramePlan plan_frames(const VideoInfo& info, const FrameOptions& o, const std::string& file) {
    FramePlan plan;
    // The frames the video holds, as far as the container says.
    double available = 0.0;
    if (info.frame_count > 0)
        available = double(info.frame_count);
    else if (info.duration > 0 && info.frame_rate > 0)
        available = info.duration * info.frame_rate;
    if (o.fps > 0) {
        if (!(info.duration > 0))
            throw Error(file, "duration", "the video does not say how long it is; use --frames N instead of --fps");
        plan.keep = size_t(std::max(1.0, std::floor(info.duration * o.fps)));
    } else {
        plan.keep = size_t(std::max(1, o.frames));
    }
    if (available > 0) plan.keep = std::min(plan.keep, size_t(available));
    const double candidates = double(plan.keep) * double(std::max(1, o.blur_window));
    // Sample candidates evenly over the duration; when that would need every frame (or more), decode all.
    if (info.duration > 0 && (available <= 0 || candidates < available))
        plan.candidate_rate = candidates / info.duration;
    return plan;
}

VideoInfo probe_video(const fs::path& video, const std::string& ffprobe) {
    const SubprocessResult r = run_subprocess({ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries",
                                               "stream=width,height,avg_frame_rate,nb_frames:format=duration", "-of",
                                               "default=nw=1", video.string()});
    if (!r.started)
        throw Error(ffprobe, "",
                    "the ffprobe command-line tool was not found (Debian/Ubuntu: sudo apt-get install ffmpeg)");
    if (r.exit_code != 0)
        throw Error(video.string(), "",
                    cat("cannot be decoded as a video (ffprobe: ",
                        last_lines(r.output).empty() ? "no output" : last_lines(r.output), ")"));
    return parse_ffprobe_report(r.output, video.string());
}

FrameExtraction extract_sharp_frames(const fs::path& video, const fs::path& dest, const fs::path& work,
                                     const fs::path& logs, const FrameOptions& o, int step, int steps) {
    const auto start = std::chrono::steady_clock::now();
    const VideoInfo info = probe_video(video, o.ffprobe);
    const FramePlan plan = plan_frames(info, o, video.string());
    std::error_code ec;
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);
    if (ec) throw Error(work.string(), "", cat("cannot create a scratch folder: ", ec.message()));

    StageCommand c;
    c.title = "frames";
    c.log = logs / "ffmpeg.log";
    c.args = {o.ffmpeg,    "-nostdin", "-hide_banner", "-v", "error",
              "-progress", "pipe:1",   "-nostats",     "-i", video.string()};
    char rate_filter[64];
    if (plan.candidate_rate > 0) {
        std::snprintf(rate_filter, sizeof rate_filter, "fps=%.6f", plan.candidate_rate);
        c.args.insert(c.args.end(), {"-vf", rate_filter});
    }
    c.args.insert(c.args.end(), {"-pix_fmt", "rgb24", "-start_number", "0", (work / "%06d.png").string()});
    const uint64_t expected = plan.candidate_rate > 0 ? uint64_t(std::ceil(plan.candidate_rate * info.duration))
                              : info.frame_count > 0  ? uint64_t(info.frame_count)
                                                      : 0;
    c.parse = [&](std::string_view line, StageStatus& s) {
        s.unit = "frames decoded";
        s.total = expected;
        if (const auto f = parse_ffmpeg_progress_frame(line)) s.done = std::min<uint64_t>(*f, expected ? expected : *f);
    };
    const StageResult r = run_stage(c, step, steps);
    std::vector<fs::path> candidates;
    for (const auto& e : fs::directory_iterator(work, ec))
        if (lower_extension(e.path()) == ".png") candidates.push_back(e.path());
    std::sort(candidates.begin(), candidates.end());
    if (r.exit_code != 0 || candidates.empty()) {
        fs::remove_all(work, ec);
        throw Error(video.string(), "",
                    cat("ffmpeg could not decode the video (", c.log.string(),
                        "): ", last_lines(r.tail).empty() ? "no frames" : last_lines(r.tail)));
    }

    // Sharpness of every candidate, then the sharpest of each window.
    std::vector<double> sharpness(candidates.size(), 0.0);
    std::vector<std::string> failures(candidates.size());
#pragma omp parallel for schedule(dynamic)
    for (long i = 0; i < long(candidates.size()); ++i) {
        try {
            sharpness[size_t(i)] = laplacian_variance(load_image(candidates[size_t(i)], 3));
        } catch (const Error& e) {
            failures[size_t(i)] = e.what();
        }
    }
    for (const auto& f : failures)
        if (!f.empty()) throw Error(video.string(), "", cat("a decoded frame cannot be read: ", f));
    const std::vector<size_t> kept = select_sharpest(sharpness, std::min(plan.keep, candidates.size()));
    fs::create_directories(dest, ec);
    for (size_t k = 0; k < kept.size(); ++k) {
        const std::string name = frame_file_name(k);
        fs::rename(candidates[kept[k]], dest / name, ec);
        if (ec) throw Error((dest / name).string(), "", cat("cannot move the frame into place: ", ec.message()));
    }
    fs::remove_all(work, ec);

    FrameExtraction x;
    x.candidates = candidates.size();
    x.kept = kept.size();
    // Candidate k was sampled at k / rate (the fps filter), or is the video's frame k.
    const double rate = plan.candidate_rate > 0 ? plan.candidate_rate : info.frame_rate;
    for (size_t k : kept) {
        x.times.push_back(rate > 0 ? double(k) / rate : 0.0);
        x.sharpness.push_back(sharpness[k]);
    }
    x.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_stage_done(
        step, steps, "frames", x.seconds,
        cat(x.kept, " sharpest of ", x.candidates, " decoded frames (", info.width, "x", info.height, ")"));
    return x;
}

} // namespace splatscape::process
