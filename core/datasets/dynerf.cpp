// DyNeRF / Neural 3D Video: one video per camera (ROOT/cam00.mp4, cam01.mp4, ...) and
// ROOT/poses_bounds.npy, an (N, 17) array in the LLFF layout (core/datasets/llff.cpp) with one row
// per video in name order. Frames are decoded once by the ffmpeg command-line tool into a cache
// (PNG files, at the size training loads them) and reused while the video files are unchanged.
// Frame k of F has time k / (F - 1). The first camera (cam00) is held out: all its frames are the
// test split, as in the dataset's own protocol; every other camera's frames are the training split.
//
// Cache: $SPLATSCAPE_CACHE_DIR, else $XDG_CACHE_HOME/splatscape, else ~/.cache/splatscape;
// under it dynerf/<hash of the dataset path>/<W>x<H>/<video stem>/NNNNN.png, with a `complete`
// file naming the video's size and modification time once every frame is written.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/npy.hpp"
#include "core/log.hpp"
#include "core/process/subprocess.hpp"

namespace splatscape::loaders {
namespace {

bool is_video(const fs::path& p) {
    const std::string ext = lower_extension(p);
    return ext == ".mp4" || ext == ".mov" || ext == ".mkv" || ext == ".avi" || ext == ".webm";
}

std::vector<fs::path> list_videos(const fs::path& root) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec))
        if (e.is_regular_file(ec) && is_video(e.path())) out.push_back(e.path());
    std::sort(out.begin(), out.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    return out;
}

// Runs a program (looked up in PATH) with `args`, no shell; returns its exit status and the end of
// what it wrote to stdout and stderr. 127 when it could not be started.
int run_program(const std::vector<std::string>& args, std::string& output) {
    process::SubprocessResult r = process::run_subprocess(args);
    output = std::move(r.output);
    return r.started ? r.exit_code : 127;
}

using process::last_lines;

[[noreturn]] void missing_tool(const std::string& tool, const fs::path& video) {
    throw Error(video.string(), "",
                cat("decoding the video needs the ", tool,
                    " command-line tool, which was not found (Debian: apt install ffmpeg; scripts/install-deps.sh "
                    "installs it)"));
}

struct VideoSize {
    int width = 0, height = 0;
};

VideoSize probe_video(const fs::path& video) {
    std::string out;
    const int rc = run_program({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=width,height", "-of", "csv=p=0:s=x", video.string()},
                               out);
    if (rc == 127) missing_tool("ffprobe", video);
    int w = 0, h = 0;
    if (rc != 0 || std::sscanf(out.c_str(), "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0)
        throw Error(
            video.string(), "video stream",
            cat("not a readable video (ffprobe: ", last_lines(out).empty() ? "no video stream" : last_lines(out), ")"));
    return {w, h};
}

fs::path cache_root() {
    if (const char* e = std::getenv("SPLATSCAPE_CACHE_DIR"); e && *e) return e;
    if (const char* e = std::getenv("XDG_CACHE_HOME"); e && *e) return fs::path(e) / "splatscape";
    if (const char* e = std::getenv("HOME"); e && *e) return fs::path(e) / ".cache" / "splatscape";
    return fs::temp_directory_path() / "splatscape-cache";
}

std::string fnv_hex(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// What the cache's `complete` file records about a video: a changed video is decoded again.
std::string video_stamp(const fs::path& video) {
    std::error_code ec;
    const auto size = fs::file_size(video, ec);
    const auto time = fs::last_write_time(video, ec).time_since_epoch().count();
    return cat(size, " ", time, "\n");
}

// The decoded frames of `video` at width x height in `dir` (decoding them first when needed).
std::vector<fs::path> decoded_frames(const fs::path& video, const fs::path& dir, int width, int height) {
    const fs::path marker = dir / "complete";
    const std::string stamp = video_stamp(video);
    std::error_code ec;
    if (fs::exists(marker, ec) && read_file_text(marker) == stamp) {
        ImageResolver r;
        return r.list_images(dir);
    }
    const fs::path tmp = dir.string() + cat(".tmp-", getpid());
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) throw Error(tmp.string(), "", cat("cannot create the frame cache folder: ", ec.message()));
    log::info("decoding ", video.filename().string(), " into ", dir.string());
    std::string out;
    const int rc = run_program({"ffmpeg", "-nostdin", "-v", "error", "-i", video.string(), "-vf",
                                cat("scale=", width, ":", height, ":flags=area"), "-pix_fmt", "rgb24", "-start_number",
                                "0", (tmp / "%05d.png").string()},
                               out);
    if (rc == 127) missing_tool("ffmpeg", video);
    if (rc != 0) {
        fs::remove_all(tmp, ec);
        throw Error(video.string(), "", cat("ffmpeg could not decode the video: ", last_lines(out)));
    }
    fs::remove_all(dir, ec);
    fs::rename(tmp, dir, ec);
    if (ec) throw Error(dir.string(), "", cat("cannot move the decoded frames into the cache: ", ec.message()));
    write_file_atomic(marker, stamp);
    ImageResolver r;
    return r.list_images(dir);
}

} // namespace

Dataset load_dynerf(const fs::path& root, const DatasetOptions& options) {
    const fs::path poses_path = root / "poses_bounds.npy";
    const std::string file = poses_path.string();
    if (!fs::exists(poses_path)) throw Error(file, "", "file not found (a DyNeRF dataset needs it)");
    const NpyArray a = read_npy(poses_path);
    if (a.shape.size() != 2 || a.shape[1] != 17 || a.shape[0] == 0)
        throw Error(file, "shape", "expected (N, 17) with N > 0: a 3x5 pose and near, far per camera");
    const size_t n = size_t(a.shape[0]);
    const std::vector<fs::path> videos = list_videos(root);
    if (videos.size() != n)
        throw Error(file, "shape",
                    cat(n, " camera poses, but ", root.string(), " holds ", videos.size(),
                        " videos (DyNeRF pairs the rows with the camXX.mp4 files sorted by name)"));

    Dataset d;
    d.format = "dynerf";
    d.background = options.background;
    d.dynamic = true;
    const fs::path cache = cache_root() / "dynerf" / fnv_hex(fs::weakly_canonical(root).string());

    struct VideoCamera {
        std::string stem;
        std::vector<fs::path> frames;
        Intrinsics in;
        glm::mat4 c2w;
        int width = 0, height = 0;
        Camera camera; // as its frames see the scene (set with the first frame)
        float near = 0, far = 0;
    };
    std::vector<VideoCamera> cams(n);
    size_t frame_count = SIZE_MAX, most = 0;
    for (size_t i = 0; i < n; ++i) {
        const std::string field = cat("row ", i, " (", videos[i].filename().string(), ")");
        for (size_t k = 0; k < 17; ++k)
            if (!std::isfinite(a.at(i, k))) throw Error(file, field, cat("value ", k, " is not a finite number"));
        auto m = [&](int r, int c) { return a.at(i, size_t(r * 5 + c)); };
        const double h = m(0, 4), w = m(1, 4), focal = m(2, 4);
        if (!(h > 0 && w > 0 && focal > 0))
            throw Error(file, field + " hwf",
                        cat("height, width and focal must be positive, found ", h, ", ", w, ", ", focal));
        // LLFF's columns are (down, right, back); OpenCV's camera axes are (right, down, forward).
        glm::mat4 c2w(1.0f);
        for (int r = 0; r < 3; ++r) {
            c2w[0][r] = float(m(r, 1));
            c2w[1][r] = float(m(r, 0));
            c2w[2][r] = float(-m(r, 2));
            c2w[3][r] = float(m(r, 3));
        }
        check_pose(c2w, file, field);
        VideoCamera& c = cams[i];
        c.stem = videos[i].stem().string();
        c.near = float(a.at(i, 15));
        c.far = float(a.at(i, 16));
        if (!(c.near >= 0 && c.far > c.near))
            throw Error(file, field + " near far", cat("expected 0 <= near < far, found ", c.near, ", ", c.far));
        c.c2w = c2w;
        c.in.ref_width = w;
        c.in.ref_height = h;
        c.in.fx = c.in.fy = focal;
        c.in.cx = 0.5 * w;
        c.in.cy = 0.5 * h;
        const VideoSize vs = probe_video(videos[i]);
        if (std::abs(double(vs.width) / vs.height - w / h) > 0.01 * w / h)
            throw Error(file, field + " hwf",
                        cat("the video is ", vs.width, "x", vs.height, " but the pose's height and width are ", h,
                            " and ", w, " (a different aspect ratio)"));
        const LoadSize ls = load_size(vs.width, vs.height, options, false);
        c.width = ls.width;
        c.height = ls.height;
        c.frames = decoded_frames(videos[i], cache / cat(ls.width, "x", ls.height) / c.stem, ls.width, ls.height);
        if (c.frames.empty()) throw Error(videos[i].string(), "", "the video has no frames");
        frame_count = std::min(frame_count, c.frames.size());
        most = std::max(most, c.frames.size());
    }
    if (most != frame_count)
        log::warn(root.string(), ": the videos have between ", frame_count, " and ", most, " frames; using the first ",
                  frame_count, " of each");

    // cam00 (else the first camera by name) is held out.
    size_t held_out = 0;
    for (size_t i = 0; i < n; ++i)
        if (to_lower(cams[i].stem) == "cam00") held_out = i;
    for (size_t i = 0; i < n; ++i) {
        VideoCamera& c = cams[i];
        for (size_t k = 0; k < frame_count; ++k) {
            Frame f = make_frame(cat(c.stem, "/", c.frames[k].stem().string()), c.frames[k], c.width, c.height, c.in,
                                 c.c2w, options, true, file, cat("row ", i));
            f.time = frame_count > 1 ? float(double(k) / double(frame_count - 1)) : 0.0f;
            if (k == 0) c.camera = f.camera;
            (n > 1 && i == held_out ? d.test : d.train).push_back(std::move(f));
        }
    }
    compute_bounds(d);
    // Only camera centres: widen the box to what the cameras see between their near and far bounds.
    for (const VideoCamera& c : cams)
        for (float depth : {c.near, c.far}) {
            const glm::vec3 p = c.camera.center() + c.camera.forward() * depth;
            d.bounds.min = glm::min(d.bounds.min, p);
            d.bounds.max = glm::max(d.bounds.max, p);
        }
    return d;
}

} // namespace splatscape::loaders
