#include "core/process/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/colmap.hpp"
#include "core/log.hpp"
#include "core/process/stage.hpp"
#include "core/process/subprocess.hpp"
#include "core/process/tool_output.hpp"
#include "core/process/video_frames.hpp"

namespace splatscape::process {
namespace {

namespace fs = std::filesystem;

// Above this many photos exhaustive matching (all pairs) gets slow on CPUs; sequential is used.
constexpr size_t kExhaustiveLimit = 200;

[[noreturn]] void missing_tool(const std::string& tool, const std::string& package, const std::string& why) {
    throw Error(tool, "",
                cat("the ", tool, " command-line tool is needed to ", why,
                    " but was not found on PATH (Debian/Ubuntu: ", "sudo apt-get install ", package,
                    "; scripts/install-deps.sh installs it)"));
}

void require_tool(const std::string& tool, const std::string& package, const std::string& why) {
    if (!find_program(tool)) missing_tool(tool, package, why);
}

std::string list_names(const std::vector<std::string>& names, size_t shown = 20) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += cat(" and ", names.size() - shown, " more");
    return out;
}

// Refuses a DATA folder that is INPUT or lies inside it: nothing may be written into INPUT.
void check_output_outside_input(const fs::path& input, const fs::path& output) {
    const fs::path in = fs::weakly_canonical(fs::absolute(input));
    const fs::path out = fs::weakly_canonical(fs::absolute(output));
    auto it_in = in.begin(), it_out = out.begin();
    for (; it_in != in.end() && it_out != out.end(); ++it_in, ++it_out)
        if (*it_in != *it_out) return;
    if (it_in == in.end())
        throw UsageError(cat(output.string(), ": the output folder is inside the input ", input.string(),
                             "; choose a folder outside it (the input is never modified)"));
}

// The entries a previous run writes into DATA (and only those are removed by --force).
const char* const kOwnedEntries[] = {"input", "distorted",    "images",           "sparse",     "stereo",
                                     "logs",  "process.json", ".undistorted-tmp", ".frames-tmp"};

void prepare_output(const ProcessOptions& o) {
    const fs::path& dir = o.output;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) throw UsageError(cat(dir.string(), ": exists and is not a folder"));
        if (!fs::is_empty(dir, ec)) {
            if (!o.force)
                throw UsageError(cat(dir.string(), ": the folder is not empty; choose another or pass --force to redo ",
                                     "the processing there"));
            for (const char* name : kOwnedEntries) fs::remove_all(dir / name, ec);
        }
    }
    fs::create_directories(dir / "logs", ec);
    if (ec) throw Error(dir.string(), "", cat("cannot create the output folder: ", ec.message()));
}

// Photos into DATA/input: hard links where the file system allows, copies otherwise.
size_t link_photos(const fs::path& input, const fs::path& dest) {
    const std::vector<fs::path> photos = list_photos(input);
    if (photos.empty())
        throw Error(input.string(), "",
                    "no photos found (expected .jpg, .jpeg, .png or .bmp files directly in the folder)");
    fs::create_directories(dest);
    for (const fs::path& p : photos) {
        const fs::path target = dest / p.filename();
        std::error_code ec;
        fs::create_hard_link(p, target, ec);
        if (ec) {
            ec.clear();
            fs::copy_file(p, target, fs::copy_options::overwrite_existing, ec);
            if (ec) throw Error(p.string(), "", cat("cannot copy the photo into ", dest.string(), ": ", ec.message()));
        }
    }
    return photos.size();
}

std::string thread_arg(int threads) {
    return std::to_string(threads > 0 ? threads : -1);
}

// Fails with COLMAP's own words when a stage did not succeed.
void check_stage(const StageResult& r, const StageCommand& c) {
    if (r.exit_code == 0) return;
    throw Error(c.log.string(), "",
                cat(c.title, " failed (", c.args.size() > 1 ? c.args[0] + " " + c.args[1] : c.args[0], " exit status ",
                    r.exit_code, "): ", last_lines(r.tail, 600)));
}

struct ModelChoice {
    fs::path folder;
    ColmapModel model;
    size_t models = 0;
};

// The mapper's largest model under DATA/distorted/sparse (it writes 0/, 1/, ... when the images
// fall into groups it cannot connect).
ModelChoice largest_model(const fs::path& sparse) {
    ModelChoice best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(sparse, ec)) {
        if (!e.is_directory() || !is_colmap_model_folder(e.path())) continue;
        ColmapModel m = read_colmap_model(e.path(), false);
        ++best.models;
        if (best.folder.empty() || m.images.size() > best.model.images.size()) {
            best.folder = e.path();
            best.model = std::move(m);
        }
    }
    return best;
}

[[noreturn]] void too_few_registered(size_t registered, size_t total, const std::vector<std::string>& unregistered,
                                     const fs::path& log, double min_fraction) {
    throw Error(log.string(), "",
                cat("COLMAP registered ", registered, " of ", total, " images (at least ",
                    size_t(std::ceil(min_fraction * double(total))),
                    " needed); not registered: ", list_names(unregistered),
                    ". Photos need more overlap (each spot seen from several places, 60-80% overlap between "
                    "neighbours), texture and sharpness; try --matcher exhaustive, or more frames of a video"));
}

} // namespace

void ProcessOptions::validate() const {
    if (input.empty()) throw UsageError("process: the INPUT folder or video is required");
    if (output.empty()) throw UsageError("process: -o DATA is required");
    if (frames < 1 || frames > 100000) throw UsageError(cat("--frames must be within 1..100000, got ", frames));
    if (!(fps >= 0.0 && fps <= 1000.0)) throw UsageError(cat("--fps must be within 0..1000, got ", fps));
    if (blur_window < 1 || blur_window > 30)
        throw UsageError(cat("--blur-window must be within 1..30, got ", blur_window));
    static const char* const models[] = {
        "SIMPLE_PINHOLE", "PINHOLE",        "SIMPLE_RADIAL",         "RADIAL",         "OPENCV",
        "FULL_OPENCV",    "OPENCV_FISHEYE", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE", "THIN_PRISM_FISHEYE"};
    if (std::find(std::begin(models), std::end(models), camera_model) == std::end(models))
        throw UsageError(
            cat("--camera-model '", camera_model,
                "' is not one COLMAP knows (SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, "
                "FULL_OPENCV, OPENCV_FISHEYE, SIMPLE_RADIAL_FISHEYE, RADIAL_FISHEYE, THIN_PRISM_FISHEYE)"));
    if (max_image_size < 100 || max_image_size > 20000)
        throw UsageError(cat("--max-image-size must be within 100..20000, got ", max_image_size));
    if (matcher != "auto" && matcher != "exhaustive" && matcher != "sequential")
        throw UsageError(cat("--matcher must be auto, exhaustive or sequential, got '", matcher, "'"));
    if (overlap < 1 || overlap > 1000) throw UsageError(cat("--overlap must be within 1..1000, got ", overlap));
    if (threads < 0 || threads > 4096) throw UsageError(cat("--threads must be within 0..4096, got ", threads));
    if (!(min_registered >= 0.0 && min_registered <= 1.0))
        throw UsageError(cat("--min-registered must be within 0..1, got ", min_registered));
}

Json ProcessReport::to_json() const {
    Json stage_list = Json::array();
    for (const auto& s : stages) stage_list.push_back(Json{{"name", s.name}, {"seconds", s.seconds}});
    Json j{{"video", video},    {"images", images}, {"registered", registered}, {"unregistered", unregistered},
           {"models", models},  {"points", points}, {"matcher", matcher},       {"stages", stage_list},
           {"seconds", seconds}};
    if (video) {
        Json frames = Json::array();
        for (size_t k = 0; k < frame_times.size(); ++k)
            frames.push_back(Json{{"file", "input/" + frame_file_name(k)}, {"time", frame_times[k]}});
        j["frames"] = std::move(frames);
    }
    return j;
}

bool is_video_file(const fs::path& path) {
    const std::string ext = lower_extension(path);
    return ext == ".mp4" || ext == ".mov" || ext == ".mkv" || ext == ".avi" || ext == ".webm" || ext == ".m4v" ||
           ext == ".mts" || ext == ".mpg" || ext == ".mpeg";
}

std::vector<fs::path> list_photos(const fs::path& folder) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder, ec)) {
        if (!e.is_regular_file(ec)) continue;
        const std::string ext = lower_extension(e.path());
        if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    return out;
}

bool is_processed(const fs::path& data, const fs::path& input) {
    std::error_code ec;
    const fs::path marker = data / "process.json";
    if (!fs::is_regular_file(marker, ec) || !fs::is_directory(data / "images", ec) ||
        !is_colmap_model_folder(data / "sparse" / "0"))
        return false;
    try {
        const Json j = load_json(marker);
        return j.value("complete", false) &&
               j.value("input", std::string()) == fs::weakly_canonical(fs::absolute(input)).string();
    } catch (const Error&) {
        return false; // a damaged marker means the run is redone
    }
}

bool needs_processing(const fs::path& input) {
    std::error_code ec;
    if (fs::is_regular_file(input, ec)) return is_video_file(input);
    if (!fs::is_directory(input, ec)) return false;
    return detect_dataset_format(input).empty() && !list_photos(input).empty();
}

fs::path processed_folder_for(const fs::path& input) {
    fs::path abs = fs::absolute(input).lexically_normal();
    if (!abs.has_filename()) abs = abs.parent_path(); // "photos/" -> "photos"
    const std::string name = fs::is_regular_file(abs) ? abs.stem().string() : abs.filename().string();
    return abs.parent_path() / (name + "_processed");
}

ProcessReport run_process(const ProcessOptions& o) {
    o.validate();
    const auto start = std::chrono::steady_clock::now();
    std::error_code ec;
    if (!fs::exists(o.input, ec))
        throw Error(o.input.string(), "", "not found (expected a folder of photos or a video)");
    const bool video = fs::is_regular_file(o.input, ec);
    if (video && !is_video_file(o.input))
        throw Error(o.input.string(), "",
                    "not a folder of photos or a video file (.mp4, .mov, .mkv, .avi, .webm, .m4v, .mts, .mpg)");
    check_output_outside_input(o.input, o.output);

    // Every tool is checked before any work starts.
    require_tool(o.colmap, "colmap", "reconstruct camera poses");
    if (video) {
        require_tool(o.ffprobe, "ffmpeg", "read the video");
        require_tool(o.ffmpeg, "ffmpeg", "decode the video");
    } else if (list_photos(o.input).empty()) {
        throw Error(o.input.string(), "",
                    "no photos found (expected .jpg, .jpeg, .png or .bmp files directly in the folder)");
    }
    prepare_output(o);

    const fs::path& data = o.output;
    const fs::path input_dir = data / "input", logs = data / "logs", distorted = data / "distorted";
    const fs::path database = distorted / "database.db";
    constexpr int kSteps = 5;
    ProcessReport report;
    report.output = data;
    report.video = video;

    // 1. Images: photos linked, or frames picked from the video.
    if (video) {
        FrameOptions f;
        f.frames = o.frames;
        f.fps = o.fps;
        f.blur_window = o.blur_window;
        f.ffmpeg = o.ffmpeg;
        f.ffprobe = o.ffprobe;
        const FrameExtraction x = extract_sharp_frames(o.input, input_dir, data / ".frames-tmp", logs, f, 1, kSteps);
        report.images = x.kept;
        report.frame_times = x.times;
        report.stages.push_back({"frames", x.seconds});
    } else {
        const auto t0 = std::chrono::steady_clock::now();
        report.images = link_photos(o.input, input_dir);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        print_stage_done(1, kSteps, "images", s, cat(report.images, " photos from ", o.input.string()));
        report.stages.push_back({"images", s});
    }
    if (report.images < 3)
        throw Error(o.input.string(), "",
                    cat("only ", report.images, " image", report.images == 1 ? "" : "s",
                        " to reconstruct from; structure-from-motion needs at least 3 (more is better: 20-300)"));

    // 2. Features.
    fs::create_directories(distorted / "sparse", ec);
    {
        StageCommand c;
        c.title = "feature extraction";
        c.log = logs / "feature_extractor.log";
        c.args = {o.colmap,
                  "feature_extractor",
                  "--database_path",
                  database.string(),
                  "--image_path",
                  input_dir.string(),
                  "--ImageReader.camera_model",
                  o.camera_model,
                  "--ImageReader.single_camera",
                  o.single_camera ? "1" : "0",
                  "--SiftExtraction.use_gpu",
                  "0",
                  "--SiftExtraction.max_image_size",
                  std::to_string(o.max_image_size),
                  "--SiftExtraction.num_threads",
                  thread_arg(o.threads)};
        uint64_t features = 0, counted = 0;
        c.parse = [&](std::string_view line, StageStatus& s) {
            s.unit = "images";
            const auto p = parse_colmap_line(line);
            if (!p) return;
            if (p->kind == ColmapProgress::Kind::ImageExtracted) {
                s.done = p->done;
                s.total = p->total;
            } else if (p->kind == ColmapProgress::Kind::FeatureCount) {
                features += p->done;
                ++counted;
                s.detail = cat(features / std::max<uint64_t>(1, counted), " features per image");
            }
        };
        const StageResult r = run_stage(c, 2, kSteps);
        check_stage(r, c);
        print_stage_done(
            2, kSteps, c.title, r.seconds,
            cat(r.status.done, " images, ", features / std::max<uint64_t>(1, counted), " features per image"));
        report.stages.push_back({"feature_extractor", r.seconds});
    }

    // 3. Matching.
    {
        const bool sequential =
            o.matcher == "sequential" || (o.matcher == "auto" && (video || report.images > kExhaustiveLimit));
        report.matcher = sequential ? "sequential" : "exhaustive";
        StageCommand c;
        c.title = cat(report.matcher, " matching");
        c.log = logs / cat(report.matcher, "_matcher.log");
        c.args = {o.colmap,
                  cat(report.matcher, "_matcher"),
                  "--database_path",
                  database.string(),
                  "--SiftMatching.use_gpu",
                  "0",
                  "--SiftMatching.num_threads",
                  thread_arg(o.threads)};
        if (sequential) {
            c.args.insert(c.args.end(), {"--SequentialMatching.overlap", std::to_string(o.overlap)});
        }
        c.parse = [&](std::string_view line, StageStatus& s) {
            const auto p = parse_colmap_line(line);
            if (!p) return;
            if (p->kind == ColmapProgress::Kind::BlockMatched || p->kind == ColmapProgress::Kind::ImageMatched) {
                s.unit = p->kind == ColmapProgress::Kind::BlockMatched ? "blocks" : "images";
                s.done = p->done;
                s.total = p->total;
            }
        };
        const StageResult r = run_stage(c, 3, kSteps);
        check_stage(r, c);
        print_stage_done(3, kSteps, c.title, r.seconds, cat(r.status.done, " ", r.status.unit));
        report.stages.push_back({cat(report.matcher, "_matcher"), r.seconds});
    }

    // 4. Mapping.
    const fs::path mapper_log = logs / "mapper.log";
    std::vector<std::string> input_names;
    for (const auto& e : fs::directory_iterator(input_dir)) input_names.push_back(e.path().filename().string());
    std::sort(input_names.begin(), input_names.end());
    ModelChoice chosen;
    {
        StageCommand c;
        c.title = "mapping";
        c.log = mapper_log;
        c.args = {o.colmap, "mapper", "--database_path", database.string(), "--image_path", input_dir.string(),
                  "--output_path", (distorted / "sparse").string(), "--Mapper.num_threads", thread_arg(o.threads),
                  // As 3DGS's convert script: stops global bundle adjustment earlier, little loss in accuracy.
                  "--Mapper.ba_global_function_tolerance", "0.000001"};
        const uint64_t total = report.images;
        c.parse = [&](std::string_view line, StageStatus& s) {
            s.unit = "registered";
            s.total = total;
            const auto p = parse_colmap_line(line);
            if (!p) return;
            if (p->kind == ColmapProgress::Kind::InitialPair || p->kind == ColmapProgress::Kind::ImageRegistered)
                s.done = p->done;
        };
        const StageResult r = run_stage(c, 4, kSteps);
        chosen = largest_model(distorted / "sparse");
        std::set<std::string> registered;
        for (const auto& im : chosen.model.images) registered.insert(im.name);
        for (const auto& n : input_names)
            if (!registered.count(n)) report.unregistered.push_back(n);
        report.registered = registered.size();
        report.models = chosen.models;
        report.points = chosen.model.points.size();
        const size_t needed = std::max<size_t>(3, size_t(std::ceil(o.min_registered * double(report.images))));
        // COLMAP exits non-zero when it finds no model; that is the same problem as too few images.
        if (chosen.folder.empty() || report.registered < needed)
            too_few_registered(report.registered, report.images, report.unregistered, mapper_log, o.min_registered);
        check_stage(r, c);
        print_stage_done(4, kSteps, c.title, r.seconds,
                         cat(report.registered, "/", report.images, " images registered, ", report.points, " points",
                             chosen.models > 1 ? cat(" (largest of ", chosen.models, " models)") : ""));
        if (!report.unregistered.empty())
            log::warn("not registered (left out of the dataset): ", list_names(report.unregistered));
        report.stages.push_back({"mapper", r.seconds});
    }

    // 5. Undistortion to PINHOLE, then images/ and sparse/0 moved into place.
    {
        const fs::path tmp = data / ".undistorted-tmp";
        fs::remove_all(tmp, ec);
        StageCommand c;
        c.title = "undistortion";
        c.log = logs / "image_undistorter.log";
        c.args = {o.colmap,        "image_undistorter",
                  "--image_path",  input_dir.string(),
                  "--input_path",  chosen.folder.string(),
                  "--output_path", tmp.string(),
                  "--output_type", "COLMAP"};
        c.parse = [&](std::string_view line, StageStatus& s) {
            s.unit = "images";
            const auto p = parse_colmap_line(line);
            if (p && p->kind == ColmapProgress::Kind::ImageUndistorted) {
                s.done = p->done;
                s.total = p->total;
            }
        };
        const StageResult r = run_stage(c, 5, kSteps);
        check_stage(r, c);
        if (!is_colmap_model_folder(tmp / "sparse"))
            throw Error(c.log.string(), "", cat("image_undistorter wrote no model into ", (tmp / "sparse").string()));
        fs::create_directories(data / "sparse", ec);
        fs::rename(tmp / "images", data / "images", ec);
        if (!ec) fs::rename(tmp / "sparse", data / "sparse" / "0", ec);
        if (ec)
            throw Error(data.string(), "",
                        cat("cannot move the undistorted images and model into place: ", ec.message()));
        fs::remove_all(tmp, ec);
        print_stage_done(5, kSteps, c.title, r.seconds, cat(r.status.done, " images to PINHOLE"));
        report.stages.push_back({"image_undistorter", r.seconds});
    }

    // The result must load as the COLMAP dataset that training reads.
    const Dataset check = load_dataset(data, DatasetOptions{.format = "colmap"});
    if (check.frame_count() != report.registered)
        throw Error(data.string(), "",
                    cat("the processed dataset holds ", check.frame_count(), " frames but ", report.registered,
                        " images were registered"));

    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Json j = report.to_json();
    j["complete"] = true;
    j["input"] = fs::weakly_canonical(fs::absolute(o.input)).string();
    j["settings"] = Json{{"frames", o.frames},
                         {"fps", o.fps},
                         {"blur_window", o.blur_window},
                         {"camera_model", o.camera_model},
                         {"single_camera", o.single_camera},
                         {"max_image_size", o.max_image_size},
                         {"matcher", o.matcher},
                         {"overlap", o.overlap}};
    save_json(data / "process.json", j);
    return report;
}

} // namespace splatscape::process
