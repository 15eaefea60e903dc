// LLFF: poses_bounds.npy, an (N, 17) array with one row per image of images/ sorted by name:
// a row-major 3x5 matrix [R | t | hwf] and then the near and far depth bounds. R's columns are
// the camera's down, right and backward axes in the world (LLFF's own order), t the camera
// centre, and hwf the height, width and focal length in pixels of the photos as COLMAP saw them.
#include <cmath>
#include <map>

#include <glm/geometric.hpp>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/io/colmap.hpp"
#include "core/io/npy.hpp"
#include "core/log.hpp"

namespace splatscape::loaders {
namespace {

// The COLMAP model LLFF's poses were made from, when its cameras are where the poses say (the
// world frames agree): its points then serve as the initial point cloud.
bool adopt_colmap_points(Dataset& d, const fs::path& root) {
    const fs::path model_dir = root / "sparse" / "0";
    if (!is_colmap_model_folder(model_dir)) return false;
    ColmapModel model;
    try {
        model = read_colmap_model(model_dir, false);
    } catch (const Error& e) {
        log::warn("not using the points of ", model_dir.string(), ": ", e.what());
        return false;
    }
    if (model.points.empty()) return false;
    std::map<std::string, glm::dvec3> centres;
    for (const ColmapImage& im : model.images) {
        const auto r = colmap_rotation(im.qvec);
        glm::dvec3 c(0.0);
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) c[i] -= r[size_t(j)][size_t(i)] * im.tvec[size_t(j)]; // -R^T t
        centres[to_lower(fs::path(im.name).stem().string())] = c;
    }
    size_t matched = 0;
    double worst = 0.0;
    for (auto* frames : {&d.train, &d.test})
        for (const Frame& f : *frames) {
            auto it = centres.find(to_lower(fs::path(f.name).stem().string()));
            if (it == centres.end()) continue;
            ++matched;
            worst = std::max(worst, glm::length(glm::dvec3(f.camera.center()) - it->second));
        }
    const double tolerance = 1e-4 * (1.0 + double(d.camera_extent()));
    if (matched != d.frame_count() || worst > tolerance) {
        log::info("not using the points of ", model_dir.string(), ": its cameras do not match poses_bounds.npy");
        return false;
    }
    for (const ColmapPoint3D& p : model.points)
        for (int a = 0; a < 3; ++a) {
            d.points.positions.push_back(float(p.xyz[size_t(a)]));
            d.points.colors.push_back(float(p.rgb[size_t(a)]) / 255.0f);
        }
    return true;
}

} // namespace

Dataset load_llff(const std::filesystem::path& root, const DatasetOptions& options) {
    const fs::path path = root / "poses_bounds.npy";
    const std::string file = path.string();
    const NpyArray a = read_npy(path);
    if (a.shape.size() != 2 || a.shape[1] != 17 || a.shape[0] == 0) {
        std::string shape;
        for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
        throw Error(file, "shape",
                    cat("expected (N, 17) with N > 0 (a 3x5 pose and near, far per image), found (", shape, ")"));
    }
    const size_t n = size_t(a.shape[0]);

    const fs::path images_dir = root / "images";
    const fs::path ds_dir = downscaled_folder(images_dir, options.downscale);
    const fs::path folder = ds_dir.empty() ? images_dir : ds_dir;
    ImageResolver resolver;
    const std::vector<fs::path> files = resolver.list_images(folder);
    if (files.size() != n)
        throw Error(file, "shape",
                    cat(n, " poses, but ", folder.string(), " holds ", files.size(),
                        " images (LLFF pairs the rows with the images sorted by name)"));

    Dataset d;
    d.format = "llff";
    d.background = options.background;
    SizeProbe probe;
    std::vector<Frame> all;
    std::vector<glm::vec2> depth_range(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string field = cat("row ", i);
        for (size_t k = 0; k < 17; ++k)
            if (!std::isfinite(a.at(i, k))) throw Error(file, field, cat("value ", k, " is not a finite number"));
        // Row-major 3x5: element (r, c) at r * 5 + c.
        auto m = [&](int r, int c) { return a.at(i, size_t(r * 5 + c)); };
        const double h = m(0, 4), w = m(1, 4), focal = m(2, 4);
        const double near = a.at(i, 15), far = a.at(i, 16);
        if (!(h > 0 && w > 0 && focal > 0))
            throw Error(file, field + " hwf",
                        cat("height, width and focal must be positive, found ", h, ", ", w, ", ", focal));
        if (!(near >= 0 && far > near))
            throw Error(file, field + " near far", cat("expected 0 <= near < far, found ", near, ", ", far));
        // LLFF's columns are (down, right, back); OpenCV's camera axes are (right, down, forward).
        glm::mat4 c2w(1.0f);
        for (int r = 0; r < 3; ++r) {
            c2w[0][r] = float(m(r, 1));
            c2w[1][r] = float(m(r, 0));
            c2w[2][r] = float(-m(r, 2));
            c2w[3][r] = float(m(r, 3));
        }
        check_pose(c2w, file, field);
        const ImageInfo& info = probe.get("llff", files[i]);
        Intrinsics in;
        in.ref_width = w;
        in.ref_height = h;
        in.fx = in.fy = focal;
        in.cx = 0.5 * w; // LLFF assumes the principal point at the image centre
        in.cy = 0.5 * h;
        all.push_back(make_frame(files[i].filename().string(), files[i], info.width, info.height, in, c2w, options,
                                 !ds_dir.empty(), file, field));
        depth_range[i] = glm::vec2(float(near), float(far));
    }
    // Rows pair with sorted names; keep each frame's depth range with it through the split.
    std::map<std::string, glm::vec2> ranges;
    for (size_t i = 0; i < n; ++i) ranges[all[i].name] = depth_range[i];
    split_every_nth(d, std::move(all), options.test_every);
    d.has_alpha = probe.any_alpha();

    if (adopt_colmap_points(d, root)) log::debug("using ", d.points.size(), " points from sparse/0");
    compute_bounds(d);
    if (d.points.size() == 0) {
        // Only camera centres otherwise: widen the box to what the cameras see between near and far.
        for (auto* frames : {&d.train, &d.test})
            for (const Frame& f : *frames) {
                const glm::vec2 range = ranges[f.name];
                for (float depth : {range.x, range.y}) {
                    glm::vec3 p = f.camera.center() + f.camera.forward() * depth;
                    d.bounds.min = glm::min(d.bounds.min, p);
                    d.bounds.max = glm::max(d.bounds.max, p);
                }
            }
    }
    return d;
}

} // namespace splatscape::loaders
