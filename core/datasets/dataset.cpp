#include "core/datasets/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <glm/geometric.hpp>

#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/datasets/subset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape {

glm::vec3 Dataset::camera_centroid() const {
    glm::vec3 c{0.0f};
    if (train.empty()) return c;
    for (auto& f : train) c += f.camera.center();
    return c / float(train.size());
}

float Dataset::camera_extent() const {
    glm::vec3 c = camera_centroid();
    float r = 0.0f;
    for (auto& f : train) r = std::max(r, glm::length(f.camera.center() - c));
    if (r <= 0.0f) r = 1.0f;  // a single camera: fall back to unit extent
    return r * 1.1f;
}

Camera Dataset::render_camera(const Frame& frame) const {
    if (options.undistort && !frame.camera.distortion.is_identity()) return pinhole_of(frame.camera);
    return frame.camera;
}

Image Dataset::load_image(const Frame& frame) const {
    Image img = splatscape::load_image(frame.image);
    const std::string file = frame.image.string();
    if (frame.source_width && (img.width != frame.source_width || img.height != frame.source_height))
        throw Error(file, "image size",
                    cat("expected ", frame.source_width, "x", frame.source_height, " (from the dataset), found ",
                        img.width, "x", img.height));
    if (img.channels == 4) {
        img = composite_over(img, background);
    } else if (img.channels == 2) {
        throw Error(file, "channels", "grey+alpha images are not supported; expected RGB or RGBA");
    } else if (img.channels == 1) {
        Image rgb(img.width, img.height, 3);
        for (size_t i = 0; i < img.pixel_count(); ++i)
            for (int k = 0; k < 3; ++k) rgb.data[i * 3 + k] = img.data[i];
        img = std::move(rgb);
    }
    if (img.width != frame.camera.width || img.height != frame.camera.height)
        img = resize_area(img, frame.camera.width, frame.camera.height);
    if (options.undistort && !frame.camera.distortion.is_identity())
        img = undistort_image(img, frame.camera, pinhole_of(frame.camera));
    return img;
}

namespace {

// Resized and undistorted as the frame's image is.
Image to_camera(const Dataset& d, const Frame& frame, Image img) {
    if (img.width != frame.camera.width || img.height != frame.camera.height)
        img = resize_area(img, frame.camera.width, frame.camera.height);
    if (d.options.undistort && !frame.camera.distortion.is_identity())
        img = undistort_image(img, frame.camera, pinhole_of(frame.camera));
    return img;
}

// Masks beside the images: ROOT/masks/ holding a file named as the frame's image (any image
// extension), or with ".png" appended (IMG_0001.jpg.png), as COLMAP and nerfstudio pipelines write
// them: first by the frame's name with its folders (cam0/0001.jpg, train/r_0), then without the
// first folder (images/0001.jpg -> 0001.jpg), then by the image file's name.
void find_masks(Dataset& d) {
    namespace fs = std::filesystem;
    const fs::path folder = d.root / "masks";
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return;
    loaders::ImageResolver resolver;
    for (auto* frames : {&d.train, &d.val, &d.test})
        for (Frame& f : *frames) {
            if (!f.mask.empty()) continue;
            const fs::path name = fs::path(f.name).lexically_normal();
            std::vector<std::string> candidates = {name.generic_string()};
            if (name.has_parent_path()) {
                auto it = name.begin();
                fs::path rest;
                for (++it; it != name.end(); ++it) rest /= *it;
                candidates.push_back(rest.generic_string());
            }
            // Names without the image's extension (Blender's file_path): the image file's own name.
            candidates.push_back(f.image.filename().generic_string());
            for (const std::string& c : candidates) {
                for (const std::string& n : {c, c + ".png"}) {
                    f.mask = resolver.find(folder, n);
                    if (!f.mask.empty()) break;
                }
                if (!f.mask.empty()) break;
            }
        }
}

} // namespace

Image Dataset::load_mask(const Frame& frame, bool from_alpha) const {
    Image mask;
    if (from_alpha) {
        const Image img = splatscape::load_image(frame.image);
        if (img.channels != 4 && img.channels != 2)
            throw Error(frame.image.string(), "alpha channel", "expected an RGBA image for masks from alpha");
        mask = Image(img.width, img.height, 1);
        for (size_t i = 0; i < img.pixel_count(); ++i) mask.data[i] = img.data[i * img.channels + img.channels - 1];
    } else {
        if (frame.mask.empty()) return {};
        const Image img = splatscape::load_image(frame.mask);
        mask = img.channels == 1 ? img : take_channels(img, 1);
    }
    return to_camera(*this, frame, std::move(mask));
}

size_t Dataset::mask_count() const {
    size_t n = 0;
    for (const Frame& f : train) n += f.mask.empty() ? 0 : 1;
    return n;
}

std::string detect_dataset_format(const std::filesystem::path& p) {
    namespace fs = std::filesystem;
    if (fs::exists(p / kSubsetFile)) return "subset"; // part of another dataset (core/datasets/subset.hpp)
    if (fs::exists(p / "transforms_train.json")) return "blender";  // D-NeRF is detected by the loader (times)
    if (fs::exists(p / "transforms.json")) return "ngp";
    if (fs::exists(p / "sparse" / "0") || fs::exists(p / "sparse" / "cameras.bin") ||
        fs::exists(p / "sparse" / "cameras.txt") || fs::exists(p / "colmap" / "sparse" / "0"))
        return "colmap";
    if (fs::exists(p / "poses_bounds.npy")) {
        // DyNeRF / Neural 3D Video: poses_bounds.npy beside one video per camera, no images/ folder.
        std::error_code ec;
        if (!fs::exists(p / "images", ec))
            for (const auto& e : fs::directory_iterator(p, ec))
                if (e.path().extension() == ".mp4" || e.path().extension() == ".MP4") return "dynerf";
        return "llff";
    }
    return "";
}

Dataset load_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
    if (!std::filesystem::is_directory(path)) throw Error(path.string(), "", "not a folder (expected a dataset folder)");
    if (options.downscale < 1 || options.downscale > 64)
        throw UsageError(cat("--downscale must be in 1..64, got ", options.downscale));
    std::string fmt = options.format == "auto" ? detect_dataset_format(path) : options.format;
    if (fmt == "subset") return loaders::load_subset(path); // loaded with the options it records
    Dataset d;
    if (fmt == "blender" || fmt == "dnerf") d = loaders::load_blender(path, options);
    else if (fmt == "ngp" || fmt == "nerfstudio") d = loaders::load_ngp(path, options);
    else if (fmt == "colmap") d = loaders::load_colmap(path, options);
    else if (fmt == "llff") d = loaders::load_llff(path, options);
    else if (fmt == "dynerf" || fmt == "n3v") d = loaders::load_dynerf(path, options);
    else if (fmt.empty())
        throw Error(path.string(), "",
                    "no known dataset layout (expected transforms_train.json, transforms.json, sparse/0 or "
                    "poses_bounds.npy); use --format to choose");
    else
        throw UsageError(
            cat("unknown dataset format '", fmt, "' (expected auto, blender, dnerf, ngp, colmap, llff, dynerf, subset)"));
    d.root = path;
    d.options = options;
    if (d.train.empty()) throw Error(path.string(), "", "the dataset has no training frames");
    find_masks(d);
    return d;
}

}  // namespace splatscape
