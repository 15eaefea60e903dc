// Blender / NeRF-synthetic (transforms_{train,val,test}.json) and D-NeRF, the same layout with a
// per-frame "time". Poses are OpenGL camera-to-world; intrinsics come from camera_angle_x (and
// optionally camera_angle_y, fl_x, fl_y, cx, cy, w, h) and refer to the images' own size. A frame's
// own fl_x, fl_y, cx, cy, w, h win over the file's (as in instant-ngp's transforms.json), so frames
// of different cameras can share a split (`splatscape distill` writes its renders so).
#include <algorithm>
#include <cmath>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape::loaders {
namespace {

constexpr double kPi = 3.14159265358979323846;

double angle_to_focal(double angle, double size, const std::string& file, const std::string& field) {
    if (!(angle > 0.0 && angle < kPi))
        throw Error(file, field, cat("expected an angle in (0, pi) radians, found ", angle));
    return 0.5 * size / std::tan(0.5 * angle);
}

} // namespace

Dataset load_blender(const std::filesystem::path& root, const DatasetOptions& options) {
    Dataset d;
    d.background = options.background;
    ImageResolver resolver;
    SizeProbe probe;
    size_t with_time = 0, total = 0;
    std::string first_without_time; // "file: field" of a frame lacking a time, for the message

    for (const char* split : {"train", "val", "test"}) {
        const fs::path path = root / cat("transforms_", split, ".json");
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            if (std::string(split) == "train")
                throw Error(path.string(), "", "file not found (a Blender dataset needs it)");
            continue;
        }
        const std::string file = path.string();
        const Json j = load_json(path);
        if (!j.is_object()) throw Error(file, "(root)", cat("expected an object, found ", j.type_name()));
        const Json& frames = json_member(j, "frames", "", file);
        if (!frames.is_array()) throw Error(file, "frames", cat("expected an array, found ", frames.type_name()));

        const double angle_x = json_number_or(j, "camera_angle_x", 0.0, "", file);
        const double angle_y = json_number_or(j, "camera_angle_y", 0.0, "", file);
        const double fl_x = json_number_or(j, "fl_x", 0.0, "", file);
        const double fl_y = json_number_or(j, "fl_y", 0.0, "", file);
        const bool has_cx = j.contains("cx"), has_cy = j.contains("cy");
        const double cx = json_number_or(j, "cx", 0.0, "", file);
        const double cy = json_number_or(j, "cy", 0.0, "", file);
        const double w = json_number_or(j, "w", 0.0, "", file);
        const double h = json_number_or(j, "h", 0.0, "", file);
        const bool frames_have_focal =
            frames.size() > 0 && std::all_of(frames.begin(), frames.end(),
                                             [](const Json& f) { return f.is_object() && f.contains("fl_x"); });
        if (!j.contains("camera_angle_x") && !j.contains("fl_x") && !frames_have_focal)
            throw Error(file, "camera_angle_x", "missing (a Blender dataset needs camera_angle_x or fl_x)");
        if ((w != 0.0) != (h != 0.0) || w < 0.0 || h < 0.0)
            throw Error(file, "w, h", "give both image width and height as positive numbers, or neither");

        std::vector<Frame>& out = std::string(split) == "train" ? d.train
                                  : std::string(split) == "val" ? d.val
                                                                : d.test;
        for (size_t i = 0; i < frames.size(); ++i) {
            const std::string field = cat("frames[", i, "]");
            const Json& frame = frames[i];
            const std::string file_path =
                json_string(json_member(frame, "file_path", field, file), field + ".file_path", file);
            fs::path image = resolver.find(root, file_path);
            if (image.empty())
                throw Error(file, field + ".file_path",
                            cat("image file ", (root / file_path).lexically_normal().string(),
                                fs::path(file_path).has_extension() ? "" : " (with any image extension)",
                                " not found"));
            const glm::mat4 c2w =
                json_pose(json_member(frame, "transform_matrix", field, file), field + ".transform_matrix", file);

            // The frame's own intrinsics where it has them.
            auto own = [&](const char* key, double fallback) {
                if (!frame.is_object() || !frame.contains(key)) return fallback;
                const double v = json_number(frame[key], cat(field, ".", key), file);
                if (!(v > 0.0)) throw Error(file, cat(field, ".", key), cat("expected a positive number, found ", v));
                return v;
            };
            const double fw = own("w", w), fh = own("h", h);
            if ((fw != 0.0) != (fh != 0.0))
                throw Error(file, field + ".w, h", "give both image width and height as positive numbers, or neither");
            const double ffx = own("fl_x", fl_x), ffy = own("fl_y", fl_y);
            const bool fhas_cx = has_cx || (frame.is_object() && frame.contains("cx"));
            const bool fhas_cy = has_cy || (frame.is_object() && frame.contains("cy"));

            // One header read per declared size (or per split when no size is declared).
            const std::string key = fw > 0 ? cat(fw, "x", fh) : cat("split ", split);
            const ImageInfo& info = probe.get(key, image);
            Intrinsics in;
            in.ref_width = fw > 0 ? fw : info.width;
            in.ref_height = fh > 0 ? fh : info.height;
            in.fx = ffx > 0 ? ffx : angle_to_focal(angle_x, in.ref_width, file, "camera_angle_x");
            in.fy = ffy > 0                        ? ffy
                    : j.contains("camera_angle_y") ? angle_to_focal(angle_y, in.ref_height, file, "camera_angle_y")
                                                   : in.fx;
            in.cx = fhas_cx ? own("cx", cx) : 0.5 * in.ref_width;
            in.cy = fhas_cy ? own("cy", cy) : 0.5 * in.ref_height;
            Frame f = make_frame(file_path, image, info.width, info.height, in, opengl_to_opencv_c2w(c2w), options,
                                 false, file, field);

            ++total;
            if (frame.is_object() && frame.contains("time") && !frame["time"].is_null()) {
                const double t = json_number(frame["time"], field + ".time", file);
                if (t < 0.0 || t > 1.0) throw Error(file, field + ".time", cat("expected a time in [0, 1], found ", t));
                f.time = float(t);
                ++with_time;
            } else if (first_without_time.empty()) {
                first_without_time = file + ": " + field;
            }
            out.push_back(std::move(f));
        }
    }

    if (with_time > 0 && with_time != total)
        throw Error(first_without_time, "time",
                    cat("missing, while ", with_time, " of the ", total, " frames have times (D-NeRF needs all)"));
    d.dynamic = with_time > 0;
    if (options.format == "dnerf" && !d.dynamic)
        throw Error(root.string(), "time",
                    "no frame has a \"time\"; this is a static Blender dataset (use --format blender)");
    d.format = d.dynamic ? "dnerf" : "blender";
    d.has_alpha = probe.any_alpha();

    for (const char* name : {"points3d.ply", "sparse_pc.ply"}) {
        std::error_code ec;
        if (fs::exists(root / name, ec)) {
            d.points = read_point_ply(root / name);
            log::debug("loaded ", d.points.size(), " initial points from ", (root / name).string());
            break;
        }
    }
    compute_bounds(d);
    return d;
}

} // namespace splatscape::loaders
