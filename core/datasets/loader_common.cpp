#include "core/datasets/loader_common.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/json_util.hpp"

namespace splatscape::loaders {

std::string to_lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool has_image_extension(const fs::path& path) {
    static const char* kExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff", ".webp"};
    std::string ext = to_lower(path.extension().string());
    for (const char* e : kExtensions)
        if (ext == e) return true;
    return false;
}

fs::path downscaled_folder(const fs::path& folder, int factor) {
    if (factor <= 1) return {};
    fs::path f = folder.lexically_normal();
    if (f.filename().empty()) f = f.parent_path();
    fs::path candidate = f.parent_path() / (f.filename().string() + "_" + std::to_string(factor));
    std::error_code ec;
    return fs::is_directory(candidate, ec) ? candidate : fs::path{};
}

const ImageResolver::Index& ImageResolver::index(const fs::path& folder) {
    auto it = m_cache.find(folder);
    if (it != m_cache.end()) return it->second;
    Index idx;
    std::error_code ec;
    if (fs::is_directory(folder, ec)) {
        idx.exists = true;
        for (fs::directory_iterator d(folder, ec), end; !ec && d != end; d.increment(ec)) {
            std::string name = d->path().filename().string();
            idx.by_lower_name.emplace(to_lower(name), name);
            if (has_image_extension(d->path())) {
                idx.by_lower_stem[to_lower(d->path().stem().string())].push_back(name);
                idx.images.push_back(name);
            }
        }
        std::sort(idx.images.begin(), idx.images.end());
        for (auto& [stem, names] : idx.by_lower_stem) std::sort(names.begin(), names.end());
    }
    return m_cache.emplace(folder, std::move(idx)).first->second;
}

fs::path ImageResolver::find(const fs::path& folder, const std::string& name) {
    fs::path rel = fs::path(name).lexically_normal();
    if (rel.is_absolute()) {
        std::error_code ec;
        if (fs::is_regular_file(rel, ec)) return rel;
        return find(rel.parent_path(), rel.filename().string());
    }
    fs::path dir = folder;
    std::vector<std::string> parts;
    for (auto& p : rel) parts.push_back(p.string());
    if (parts.empty()) return {};
    // Sub-folders: exact, else the one entry whose name matches ignoring case.
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        if (parts[i] == "." || parts[i].empty()) continue;
        if (parts[i] == "..") {
            dir = dir / "..";
            continue;
        }
        const Index& idx = index(dir);
        auto hit = idx.by_lower_name.find(to_lower(parts[i]));
        if (!idx.exists || hit == idx.by_lower_name.end()) return {};
        dir = dir / hit->second;
    }
    const std::string& file = parts.back();
    const Index& idx = index(dir);
    if (!idx.exists) return {};
    auto hit = idx.by_lower_name.find(to_lower(file));
    if (hit != idx.by_lower_name.end()) {
        // Prefer the exact spelling when the folder holds both (case-sensitive file systems).
        std::error_code ec;
        if (hit->second != file && fs::is_regular_file(dir / file, ec)) return dir / file;
        return dir / hit->second;
    }
    // By stem: the name without extension, or with one the folder's copy does not share.
    std::string stem = to_lower(has_image_extension(file) ? fs::path(file).stem().string() : file);
    auto s = idx.by_lower_stem.find(stem);
    if (s != idx.by_lower_stem.end() && !s->second.empty()) {
        // Several candidates (r_0.png and r_0.jpg): take PNG first, as Blender datasets use it.
        for (auto& n : s->second)
            if (to_lower(fs::path(n).extension().string()) == ".png") return dir / n;
        return dir / s->second.front();
    }
    return {};
}

std::vector<fs::path> ImageResolver::list_images(const fs::path& folder) {
    const Index& idx = index(folder);
    std::vector<fs::path> out;
    out.reserve(idx.images.size());
    for (auto& n : idx.images) out.push_back(folder / n);
    return out;
}

const ImageInfo& SizeProbe::get(const std::string& key, const fs::path& image) {
    auto it = m_cache.find(key);
    if (it != m_cache.end()) return it->second;
    ImageInfo info = read_image_info(image);
    if (info.channels == 4) m_any_alpha = true;
    return m_cache.emplace(key, info).first->second;
}

LoadSize load_size(int source_width, int source_height, const DatasetOptions& options, bool already_downscaled) {
    LoadSize s{source_width, source_height};
    if (!already_downscaled && options.downscale > 1) {
        s.width = std::max(1, int(std::lround(double(source_width) / options.downscale)));
        s.height = std::max(1, int(std::lround(double(source_height) / options.downscale)));
    }
    // The 3DGS default: photos wider than 1600 px are scaled to 1600 px wide, keeping the aspect.
    if (options.max_width > 0 && s.width > options.max_width) {
        s.height = std::max(1, int(std::lround(double(s.height) * options.max_width / s.width)));
        s.width = options.max_width;
    }
    return s;
}

void split_every_nth(Dataset& dataset, std::vector<Frame> frames, int test_every) {
    std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.name < b.name; });
    for (size_t i = 0; i < frames.size(); ++i) {
        if (test_every > 0 && i % size_t(test_every) == 0)
            dataset.test.push_back(std::move(frames[i]));
        else
            dataset.train.push_back(std::move(frames[i]));
    }
}

void compute_bounds(Dataset& dataset) {
    Bounds b;
    const size_t n = dataset.points.size();
    if (n > 0) {
        // Drop 0.5% at each end of each axis: SfM clouds carry a few far-away points.
        const size_t lo = size_t(0.005 * double(n - 1)), hi = n - 1 - lo;
        std::vector<float> axis(n);
        for (int a = 0; a < 3; ++a) {
            for (size_t i = 0; i < n; ++i) axis[i] = dataset.points.positions[3 * i + a];
            std::nth_element(axis.begin(), axis.begin() + lo, axis.end());
            b.min[a] = axis[lo];
            std::nth_element(axis.begin(), axis.begin() + hi, axis.end());
            b.max[a] = axis[hi];
        }
    } else {
        bool first = true;
        for (auto* frames : {&dataset.train, &dataset.val, &dataset.test})
            for (auto& f : *frames) {
                glm::vec3 c = f.camera.center();
                b.min = first ? c : glm::min(b.min, c);
                b.max = first ? c : glm::max(b.max, c);
                first = false;
            }
        // A single camera (or cameras on a line) gives an empty box: give it a unit size.
        for (int a = 0; a < 3; ++a)
            if (b.max[a] - b.min[a] <= 0.0f) b.min[a] -= 0.5f, b.max[a] += 0.5f;
    }
    dataset.bounds = b;
}

Frame make_frame(std::string name, const fs::path& image, int source_width, int source_height, const Intrinsics& in,
                 const glm::mat4& c2w, const DatasetOptions& options, bool already_downscaled, const std::string& file,
                 const std::string& field) {
    for (double v : {in.fx, in.fy, in.cx, in.cy})
        if (!std::isfinite(v)) throw Error(file, field, "intrinsics must be finite numbers");
    if (!(in.fx > 0 && in.fy > 0))
        throw Error(file, field, cat("focal lengths must be positive, got ", in.fx, ", ", in.fy));
    if (!(in.ref_width > 0 && in.ref_height > 0))
        throw Error(file, field, cat("image size must be positive, got ", in.ref_width, "x", in.ref_height));
    // The intrinsics refer to ref_width x ref_height; the file may have been resized since (an
    // images_N folder, photos exported smaller). Same aspect ratio within a pixel of rounding, or
    // the camera does not describe this image.
    const double sx = source_width / in.ref_width, sy = source_height / in.ref_height;
    const double expected_h = in.ref_height * sx;
    if (std::abs(source_height - expected_h) > std::max(1.0, 0.005 * source_height))
        throw Error(image.string(), "image size",
                    cat(source_width, "x", source_height, " does not match the camera's ", in.ref_width, "x",
                        in.ref_height, " (", file, ", ", field, "): a different aspect ratio"));
    Camera cam;
    cam.width = source_width;
    cam.height = source_height;
    cam.fx = float(in.fx * sx);
    cam.fy = float(in.fy * sy);
    cam.cx = float(in.cx * sx);
    cam.cy = float(in.cy * sy);
    cam.distortion = in.distortion;
    cam.set_camera_to_world(c2w);
    LoadSize ls = load_size(source_width, source_height, options, already_downscaled);
    if (ls.width != source_width || ls.height != source_height) cam = cam.scaled(ls.width, ls.height);

    Frame f;
    f.name = std::move(name);
    f.image = image;
    f.camera = cam;
    f.source_width = source_width;
    f.source_height = source_height;
    return f;
}

void check_pose(const glm::mat4& m, const std::string& file, const std::string& field) {
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 4; ++r)
            if (!std::isfinite(m[c][r])) throw Error(file, field, "the pose holds a non-finite number");
    glm::mat3 rot(m);
    float lx = glm::length(rot[0]), ly = glm::length(rot[1]), lz = glm::length(rot[2]);
    float det = glm::determinant(rot);
    if (!(lx > 1e-6f && ly > 1e-6f && lz > 1e-6f) || !(std::abs(det) > 1e-6f * lx * ly * lz))
        throw Error(file, field, "the pose's rotation is degenerate (its axes are zero or not independent)");
}

glm::mat4 json_pose(const Json& j, const std::string& field, const std::string& file) {
    if (!j.is_array() || (j.size() != 4 && j.size() != 3))
        throw Error(file, field, "expected a 4x4 (or 3x4) matrix as an array of rows");
    glm::mat4 m(1.0f);
    for (size_t r = 0; r < j.size(); ++r) {
        const std::string row_field = cat(field, "[", r, "]");
        if (!j[r].is_array() || j[r].size() != 4) throw Error(file, row_field, "expected a row of 4 numbers");
        for (size_t c = 0; c < 4; ++c)
            m[int(c)][int(r)] = float(json_number(j[r][c], cat(row_field, "[", c, "]"), file)); // glm: m[col][row]
    }
    check_pose(m, file, field);
    return m;
}

} // namespace splatscape::loaders
