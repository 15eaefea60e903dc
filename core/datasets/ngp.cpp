// instant-ngp / nerfstudio transforms.json: OpenGL camera-to-world poses, intrinsics given once
// for all frames or per frame (a frame's own keys win), optional lens distortion, optional
// nerfstudio sparse points. No split of its own: every test_every-th image by name is held out.
#include <cmath>
#include <optional>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape::loaders {
namespace {

constexpr double kPi = 3.14159265358979323846;
// instant-ngp maps dataset coordinates into its unit cube as p * scale + offset (defaults below);
// the scene box is the cube of side aabb_scale centred at 0.5 in those coordinates.
constexpr double kNgpDefaultScale = 0.33;
constexpr double kNgpDefaultOffset = 0.5;

// A frame's key when it has one, else the file's global one.
class Keys {
public:
    Keys(const Json& global, const Json& frame, std::string frame_field, const std::string& file)
        : m_global(global), m_frame(frame), m_frame_field(std::move(frame_field)), m_file(file) {}

    std::optional<double> number(const char* key) const {
        if (m_frame.is_object() && m_frame.contains(key) && !m_frame[key].is_null())
            return json_number(m_frame[key], m_frame_field + "." + key, m_file);
        if (m_global.contains(key) && !m_global[key].is_null()) return json_number(m_global[key], key, m_file);
        return std::nullopt;
    }
    std::optional<std::string> string(const char* key) const {
        if (m_frame.is_object() && m_frame.contains(key) && !m_frame[key].is_null())
            return json_string(m_frame[key], m_frame_field + "." + key, m_file);
        if (m_global.contains(key) && !m_global[key].is_null()) return json_string(m_global[key], key, m_file);
        return std::nullopt;
    }
    bool boolean(const char* key) const {
        if (m_frame.is_object() && m_frame.contains(key))
            return json_bool(m_frame[key], m_frame_field + "." + key, m_file);
        if (m_global.contains(key)) return json_bool(m_global[key], key, m_file);
        return false;
    }
    // The field name to report for `key` (the frame's when it has one).
    std::string field(const char* key) const {
        return m_frame.is_object() && m_frame.contains(key) ? m_frame_field + "." + key : std::string(key);
    }

private:
    const Json& m_global;
    const Json& m_frame;
    std::string m_frame_field;
    const std::string& m_file;
};

double focal_from(const Keys& k, const char* focal, const char* angle_rad, const char* fov_deg, double size,
                  const std::string& file) {
    if (auto f = k.number(focal)) {
        if (!(*f > 0)) throw Error(file, k.field(focal), cat("expected a positive focal length, found ", *f));
        return *f;
    }
    double angle = 0;
    std::string field;
    if (auto a = k.number(angle_rad))
        angle = *a, field = k.field(angle_rad);
    else if (auto fov = k.number(fov_deg))
        angle = *fov * kPi / 180.0, field = k.field(fov_deg);
    else
        return 0.0;
    if (!(angle > 0 && angle < kPi))
        throw Error(file, field, cat("expected a field of view between 0 and 180 degrees"));
    return 0.5 * size / std::tan(0.5 * angle);
}

Distortion distortion_from(const Keys& k, const std::string& file) {
    auto get = [&](const char* key) { return k.number(key).value_or(0.0); };
    const double k1 = get("k1"), k2 = get("k2"), k3 = get("k3"), k4 = get("k4"), p1 = get("p1"), p2 = get("p2");
    std::string model = k.string("camera_model").value_or(k.boolean("is_fisheye") ? "OPENCV_FISHEYE" : "OPENCV");
    Distortion d;
    if (model == "OPENCV") {
        // OpenCV's k4 is a rational term; these files use k4 only with OPENCV_FISHEYE.
        if (k4 != 0.0) throw Error(file, k.field("k4"), "k4 is only meaningful with camera_model OPENCV_FISHEYE");
        d.model = DistortionModel::RadialTangential;
        d.k = {float(k1), float(k2), float(k3), 0, 0, 0};
        d.p1 = float(p1);
        d.p2 = float(p2);
        if (d.is_identity()) d = Distortion{};
    } else if (model == "OPENCV_FISHEYE") {
        if (p1 != 0.0 || p2 != 0.0)
            throw Error(file, k.field("p1"), "tangential terms p1 p2 do not exist in camera_model OPENCV_FISHEYE");
        d.model = DistortionModel::Fisheye;
        d.k = {float(k1), float(k2), float(k3), float(k4), 0, 0};
    } else if (model == "PINHOLE" || model == "SIMPLE_PINHOLE") {
        if (k1 != 0 || k2 != 0 || k3 != 0 || k4 != 0 || p1 != 0 || p2 != 0)
            throw Error(file, k.field("camera_model"),
                        cat("camera_model ", model, " has no distortion, but k1..k4/p1/p2 are set"));
    } else {
        throw Error(file, k.field("camera_model"),
                    cat("unsupported camera_model '", model.substr(0, 40),
                        "' (supported: OPENCV, OPENCV_FISHEYE, PINHOLE); undistort the images first"));
    }
    return d;
}

} // namespace

Dataset load_ngp(const std::filesystem::path& root, const DatasetOptions& options) {
    const fs::path path = root / "transforms.json";
    const std::string file = path.string();
    const Json j = load_json(path);
    if (!j.is_object()) throw Error(file, "(root)", cat("expected an object, found ", j.type_name()));
    const Json& frames = json_member(j, "frames", "", file);
    if (!frames.is_array()) throw Error(file, "frames", cat("expected an array, found ", frames.type_name()));

    Dataset d;
    d.format = "ngp";
    d.background = options.background;
    ImageResolver resolver;
    SizeProbe probe;
    std::vector<Frame> all;
    all.reserve(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        const std::string field = cat("frames[", i, "]");
        const Json& frame = frames[i];
        const Keys k(j, frame, field, file);
        const std::string file_path =
            json_string(json_member(frame, "file_path", field, file), field + ".file_path", file);
        const fs::path full = resolver.find(root, file_path);
        if (full.empty())
            throw Error(file, field + ".file_path",
                        cat("image file ", (root / file_path).lexically_normal().string(), " not found"));
        // nerfstudio keeps downscaled copies in images_2, images_4, ... beside images/.
        fs::path image = full;
        bool already_downscaled = false;
        if (fs::path ds = downscaled_folder(full.parent_path(), options.downscale); !ds.empty()) {
            fs::path hit = resolver.find(ds, full.filename().string());
            if (!hit.empty()) image = hit, already_downscaled = true;
        }

        const std::optional<double> w = k.number("w"), h = k.number("h");
        if (w.has_value() != h.has_value() || (w && !(*w > 0 && *h > 0)))
            throw Error(file, k.field("w"), "give both image width and height (w, h) as positive numbers, or neither");
        // One header read per declared size; undeclared sizes come from the first image.
        const std::string suffix = already_downscaled ? cat(" /", options.downscale) : std::string();
        const std::string key = w ? cat(*w, "x", *h, suffix) : "undeclared" + suffix;
        const ImageInfo& info = probe.get(key, image);
        Intrinsics in;
        if (w) {
            in.ref_width = *w;
            in.ref_height = *h;
        } else {
            const ImageInfo& ref = already_downscaled ? probe.get("undeclared", full) : info;
            in.ref_width = ref.width;
            in.ref_height = ref.height;
        }
        in.fx = focal_from(k, "fl_x", "camera_angle_x", "x_fov", in.ref_width, file);
        if (in.fx == 0.0) throw Error(file, field, "no focal length (fl_x, camera_angle_x or x_fov) for this frame");
        in.fy = focal_from(k, "fl_y", "camera_angle_y", "y_fov", in.ref_height, file);
        if (in.fy == 0.0) in.fy = in.fx;
        in.cx = k.number("cx").value_or(0.5 * in.ref_width);
        in.cy = k.number("cy").value_or(0.5 * in.ref_height);
        in.distortion = distortion_from(k, file);
        const glm::mat4 c2w =
            json_pose(json_member(frame, "transform_matrix", field, file), field + ".transform_matrix", file);
        Frame f = make_frame(file_path, image, info.width, info.height, in, opengl_to_opencv_c2w(c2w), options,
                             already_downscaled, file, field);
        if (frame.contains("mask_path") && !frame["mask_path"].is_null()) {
            const std::string mask = json_string(frame["mask_path"], field + ".mask_path", file);
            f.mask = resolver.find(root, mask);
            if (f.mask.empty())
                throw Error(file, field + ".mask_path",
                            cat("mask file ", (root / mask).lexically_normal().string(), " not found"));
        }
        all.push_back(std::move(f));
    }
    split_every_nth(d, std::move(all), options.test_every);
    d.has_alpha = probe.any_alpha();

    if (j.contains("ply_file_path") && !j["ply_file_path"].is_null()) {
        const fs::path ply = root / json_string(j["ply_file_path"], "ply_file_path", file);
        std::error_code ec;
        if (!fs::exists(ply, ec)) throw Error(file, "ply_file_path", cat("point file ", ply.string(), " not found"));
        d.points = read_point_ply(ply);
    }
    compute_bounds(d);
    if (d.points.size() == 0 && j.contains("aabb_scale")) {
        const double aabb = json_number(j["aabb_scale"], "aabb_scale", file);
        if (!(aabb > 0)) throw Error(file, "aabb_scale", cat("expected a positive number, found ", aabb));
        const double scale = json_number_or(j, "scale", kNgpDefaultScale, "", file);
        if (!(scale > 0)) throw Error(file, "scale", cat("expected a positive number, found ", scale));
        glm::dvec3 offset(kNgpDefaultOffset);
        if (j.contains("offset")) {
            const Json& o = j["offset"];
            if (!o.is_array() || o.size() != 3) throw Error(file, "offset", "expected an array of 3 numbers");
            for (int a = 0; a < 3; ++a) offset[a] = json_number(o[size_t(a)], cat("offset[", a, "]"), file);
        }
        for (int a = 0; a < 3; ++a) {
            d.bounds.min[a] = float((0.5 - 0.5 * aabb - offset[a]) / scale);
            d.bounds.max[a] = float((0.5 + 0.5 * aabb - offset[a]) / scale);
        }
    }
    return d;
}

} // namespace splatscape::loaders
