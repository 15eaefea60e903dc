// COLMAP: a sparse model (sparse/0, sparse or colmap/sparse/0; text or binary) with the photos in
// images/ beside it (or images_N/ when downscaling). COLMAP's world-to-camera poses are already in
// the internal OpenCV convention; its points become the initial point cloud.
#include <cmath>
#include <map>

#include <glm/matrix.hpp>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/io/colmap.hpp"
#include "core/log.hpp"

namespace splatscape::loaders {

std::array<std::array<double, 3>, 3> colmap_rotation(const std::array<double, 4>& q) {
    const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    const double w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
    return {{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
             {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
             {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}};
}

Intrinsics colmap_intrinsics(const ColmapCamera& c, const std::string& file) {
    const ColmapCameraModelInfo* info = colmap_camera_model(c.model);
    const std::string field = cat("camera ", c.id, " model");
    if (!info) throw Error(file, field, cat("unknown camera model '", c.model, "'"));
    if (c.params.size() != size_t(info->num_params))
        throw Error(file, cat("camera ", c.id, " params"), cat(c.model, " takes ", info->num_params, " parameters"));
    const std::vector<double>& p = c.params;
    Intrinsics in;
    in.ref_width = double(c.width);
    in.ref_height = double(c.height);
    Distortion& d = in.distortion;
    auto radial = [&](std::array<double, 6> k, double p1, double p2) {
        d.model = DistortionModel::RadialTangential;
        for (int i = 0; i < 6; ++i) d.k[i] = float(k[i]);
        d.p1 = float(p1);
        d.p2 = float(p2);
    };
    auto fisheye = [&](std::array<double, 4> k) {
        d.model = DistortionModel::Fisheye;
        for (int i = 0; i < 4; ++i) d.k[i] = float(k[i]);
    };
    const std::string m = c.model;
    // Single-focal models: f, cx, cy, ...; the others fx, fy, cx, cy, ... (COLMAP's parameter order).
    const bool one_focal = m == "SIMPLE_PINHOLE" || m == "SIMPLE_RADIAL" || m == "RADIAL" ||
                           m == "SIMPLE_RADIAL_FISHEYE" || m == "RADIAL_FISHEYE" || m == "SIMPLE_FISHEYE";
    const bool two_focal =
        m == "PINHOLE" || m == "OPENCV" || m == "OPENCV_FISHEYE" || m == "FULL_OPENCV" || m == "FISHEYE";
    if (!one_focal && !two_focal)
        throw Error(file, field,
                    cat("camera model ", m,
                        " is not supported (supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, "
                        "FULL_OPENCV, OPENCV_FISHEYE, SIMPLE_RADIAL_FISHEYE, RADIAL_FISHEYE, SIMPLE_FISHEYE, FISHEYE); "
                        "undistort the images with `colmap image_undistorter` and load its output"));
    size_t e; // index of the first extra (distortion) parameter
    if (one_focal) {
        in.fx = in.fy = p[0];
        in.cx = p[1];
        in.cy = p[2];
        e = 3;
    } else {
        in.fx = p[0];
        in.fy = p[1];
        in.cx = p[2];
        in.cy = p[3];
        e = 4;
    }
    if (m == "SIMPLE_RADIAL")
        radial({p[e], 0, 0, 0, 0, 0}, 0, 0);
    else if (m == "RADIAL")
        radial({p[e], p[e + 1], 0, 0, 0, 0}, 0, 0);
    else if (m == "OPENCV")
        radial({p[e], p[e + 1], 0, 0, 0, 0}, p[e + 2], p[e + 3]);
    // FULL_OPENCV: k1 k2 p1 p2 k3 k4 k5 k6, radial (1 + k1 r2 + k2 r4 + k3 r6) / (1 + k4 r2 + k5 r4 + k6 r6).
    else if (m == "FULL_OPENCV")
        radial({p[e], p[e + 1], p[e + 4], p[e + 5], p[e + 6], p[e + 7]}, p[e + 2], p[e + 3]);
    else if (m == "OPENCV_FISHEYE")
        fisheye({p[e], p[e + 1], p[e + 2], p[e + 3]});
    else if (m == "SIMPLE_RADIAL_FISHEYE")
        fisheye({p[e], 0, 0, 0});
    else if (m == "RADIAL_FISHEYE")
        fisheye({p[e], p[e + 1], 0, 0});
    else if (m == "SIMPLE_FISHEYE" || m == "FISHEYE")
        fisheye({0, 0, 0, 0}); // equidistant, no extra terms
    if (d.model == DistortionModel::RadialTangential && d.is_identity()) d = Distortion{};
    return in;
}

namespace {

fs::path find_model_folder(const fs::path& root) {
    for (const fs::path& sub : {fs::path("sparse") / "0", fs::path("sparse"), fs::path("colmap") / "sparse" / "0"})
        if (is_colmap_model_folder(root / sub)) return root / sub;
    return {};
}

std::string model_file(const fs::path& folder, const char* stem) {
    std::error_code ec;
    fs::path bin = folder / (std::string(stem) + ".bin");
    return (fs::exists(bin, ec) ? bin : folder / (std::string(stem) + ".txt")).string();
}

} // namespace

Dataset load_colmap(const std::filesystem::path& root, const DatasetOptions& options) {
    const fs::path model_dir = find_model_folder(root);
    if (model_dir.empty())
        throw Error(root.string(), "sparse/0",
                    "no COLMAP model (cameras and images, .bin or .txt) in sparse/0, sparse or colmap/sparse/0");
    const ColmapModel model = read_colmap_model(model_dir, /*with_observations=*/false);
    const std::string cameras_file = model_file(model_dir, "cameras");
    const std::string images_file = model_file(model_dir, "images");
    if (model.images.empty()) throw Error(images_file, "", "the model has no registered images");

    const fs::path images_dir = root / "images";
    std::error_code ec;
    if (!fs::is_directory(images_dir, ec))
        throw Error(root.string(), "images", cat("image folder ", images_dir.string(), " not found beside the model"));
    const fs::path ds_dir = downscaled_folder(images_dir, options.downscale);

    Dataset d;
    d.format = "colmap";
    d.background = options.background;
    ImageResolver resolver;
    SizeProbe probe;
    std::map<uint32_t, Intrinsics> intrinsics;
    std::vector<Frame> all;
    all.reserve(model.images.size());
    for (const ColmapImage& im : model.images) {
        const std::string field = cat("image ", im.id);
        const ColmapCamera* cam = model.find_camera(im.camera_id);
        if (!cam)
            throw Error(images_file, field + " camera_id", cat("camera ", im.camera_id, " is not in ", cameras_file));
        auto it = intrinsics.find(cam->id);
        if (it == intrinsics.end()) it = intrinsics.emplace(cam->id, colmap_intrinsics(*cam, cameras_file)).first;

        fs::path image;
        bool already_downscaled = false;
        if (!ds_dir.empty()) {
            image = resolver.find(ds_dir, im.name);
            already_downscaled = !image.empty();
        }
        if (image.empty()) image = resolver.find(images_dir, im.name);
        if (image.empty())
            throw Error(images_file, field + " name",
                        cat("image file ", (images_dir / im.name).string(), " not found"));
        // One header read per camera (and folder): COLMAP cameras are per image size.
        const ImageInfo& info = probe.get(cat(cam->id, already_downscaled ? " ds" : ""), image);

        const auto r = colmap_rotation(im.qvec);
        glm::dmat3 rot;
        for (int row = 0; row < 3; ++row)
            for (int col = 0; col < 3; ++col) rot[col][row] = r[size_t(row)][size_t(col)];
        const glm::dvec3 t(im.tvec[0], im.tvec[1], im.tvec[2]);
        const glm::dmat3 rt = glm::transpose(rot);
        glm::dmat4 c2w(rt);
        c2w[3] = glm::dvec4(-(rt * t), 1.0);
        Frame f = make_frame(im.name, image, info.width, info.height, it->second, glm::mat4(c2w), options,
                             already_downscaled, images_file, field);
        // Keep COLMAP's pose exactly as stored (to float precision) rather than re-derived from c2w.
        f.camera.R = glm::mat3(rot);
        f.camera.t = glm::vec3(t);
        all.push_back(std::move(f));
    }
    split_every_nth(d, std::move(all), options.test_every);
    d.has_alpha = probe.any_alpha();

    d.points.positions.reserve(model.points.size() * 3);
    d.points.colors.reserve(model.points.size() * 3);
    for (const ColmapPoint3D& p : model.points)
        for (int a = 0; a < 3; ++a) {
            d.points.positions.push_back(float(p.xyz[size_t(a)]));
            d.points.colors.push_back(float(p.rgb[size_t(a)]) / 255.0f);
        }
    if (model.points.empty()) log::warn(model_dir.string(), ": the COLMAP model has no 3D points");
    compute_bounds(d);
    return d;
}

} // namespace splatscape::loaders
