#include "training/distill.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>

#include <glm/geometric.hpp>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/log.hpp"
#include "training/kernels/nerf_march.hpp"
#include "training/kernels/random.hpp"
#include "training/models/hmohe.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Streams of the counter-based random draws of the camera rule.
constexpr uint64_t kStreamCamera = 0x64697331ull;
constexpr int kTries = 64;
// Density evaluations per batch.
constexpr size_t kDensityBatch = size_t(1) << 17;

glm::vec3 camera_up(const Camera& c) {
    return -glm::transpose(c.R)[1]; // OpenCV: camera y points down
}

// Unit vectors a, b: the great-circle point at t (a normalised lerp where they nearly agree).
glm::vec3 slerp(glm::vec3 a, glm::vec3 b, float t) {
    const float d = std::clamp(glm::dot(a, b), -1.0f, 1.0f);
    const float angle = std::acos(d);
    if (angle < 1e-4f) return glm::normalize(a + t * (b - a));
    const float s = std::sin(angle);
    return (std::sin((1.0f - t) * angle) / s) * a + (std::sin(t * angle) / s) * b;
}

// Distinct names: a name already taken gets "_<n>" appended.
class NameSet {
public:
    std::string take(std::string name) {
        std::string n = name;
        for (int k = 2; m_names.count(n) > 0; ++k) n = cat(name, "_", k);
        m_names.insert(n);
        return n;
    }

private:
    std::set<std::string> m_names;
};

Json json_rows(const glm::mat4& m) {
    Json rows = Json::array();
    for (int r = 0; r < 4; ++r) rows.push_back({m[0][r], m[1][r], m[2][r], m[3][r]});
    return rows;
}

// A transforms_<split>.json frame: the OpenGL camera-to-world pose and the camera's own intrinsics.
Json transforms_frame(const std::string& name, const Camera& c) {
    return {{"file_path", name}, {"transform_matrix", json_rows(opengl_to_opencv_c2w(c.camera_to_world()))},
            {"fl_x", c.fx},      {"fl_y", c.fy},
            {"cx", c.cx},        {"cy", c.cy},
            {"w", c.width},      {"h", c.height}};
}

Json transforms_file(const std::vector<Json>& frames, const Camera& first) {
    Json j = Json::object();
    // For readers that only know the Blender keys: the first camera's horizontal field of view.
    j["camera_angle_x"] = first.fov_x();
    j["frames"] = frames;
    return j;
}

// Expected-depth points summed per voxel.
struct VoxelSum {
    glm::dvec3 position{0.0};
    glm::dvec3 colour{0.0};
    uint64_t count = 0;
};

class VoxelGrid {
public:
    VoxelGrid(glm::vec3 origin, float voxel) : m_origin(origin), m_voxel(voxel) {}

    float voxel() const { return m_voxel; }
    size_t size() const { return m_cells.size(); }

    void add(glm::vec3 p, glm::vec3 colour, uint64_t count = 1) {
        const glm::vec3 g = (p - m_origin) / m_voxel;
        if (!(g.x >= 0.0f && g.y >= 0.0f && g.z >= 0.0f && g.x < kAxis && g.y < kAxis && g.z < kAxis)) return;
        const uint64_t key = uint64_t(g.x) | (uint64_t(g.y) << 21) | (uint64_t(g.z) << 42);
        VoxelSum& v = m_cells[key];
        v.position += glm::dvec3(p) * double(count);
        v.colour += glm::dvec3(colour) * double(count);
        v.count += count;
    }
    void add(const VoxelSum& s) {
        const double n = double(s.count);
        add(glm::vec3(s.position / n), glm::vec3(s.colour / n), s.count);
    }

    // The voxels in a fixed order (by key).
    std::vector<VoxelSum> sums() const {
        std::vector<std::pair<uint64_t, VoxelSum>> all(m_cells.begin(), m_cells.end());
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<VoxelSum> out;
        out.reserve(all.size());
        for (const auto& [key, s] : all) out.push_back(s);
        return out;
    }

private:
    static constexpr float kAxis = float(1 << 21);
    glm::vec3 m_origin;
    float m_voxel;
    std::unordered_map<uint64_t, VoxelSum> m_cells;
};

// The voxels whose averaged point the NeRF marks occupied and finds dense (DistillSeedOptions).
std::vector<VoxelSum> dense_voxels(Backend& backend, HmoheNetwork& teacher, const NerfScene& scene,
                                   const std::vector<VoxelSum>& voxels, float min_thickness) {
    const kern::NerfSpace& space = teacher.space();
    std::vector<VoxelSum> kept;
    std::vector<float> positions;
    std::vector<size_t> rows; // voxel index of each position
    std::vector<float> cell;  // its occupancy cell's size (unit-cube units)
    Tensor out;
    auto flush = [&] {
        if (rows.empty()) return;
        Tensor t = backend.zeros(rows.size(), 3);
        backend.upload(t, positions.data());
        teacher.density(t, out);
        const std::vector<float> raw = backend.download_f32(out);
        const size_t cols = size_t(teacher.out_cols());
        for (size_t i = 0; i < rows.size(); ++i)
            if (kern::nerf_density(raw[i * cols]) * cell[i] >= min_thickness) kept.push_back(voxels[rows[i]]);
        positions.clear();
        rows.clear();
        cell.clear();
    };
    for (size_t i = 0; i < voxels.size(); ++i) {
        const glm::dvec3 p = voxels[i].position / double(voxels[i].count);
        const kern::Vec3<float> u = kern::nerf_world_to_unit(space, {float(p.x), float(p.y), float(p.z)});
        const int k = kern::nerf_cascade_of(space, u);
        if (!kern::nerf_bit_set(scene.occupancy.data(), kern::nerf_cell_bit(space, k, u))) continue;
        const kern::Vec3<float> x = kern::nerf_unit_to_network(space, u);
        positions.insert(positions.end(), {x.x, x.y, x.z});
        rows.push_back(i);
        cell.push_back(float(1 << k) / float(space.resolution));
        if (rows.size() == kDensityBatch) flush();
    }
    flush();
    return kept;
}

} // namespace

glm::vec3 distill_scene_centre(const NerfScene& scene) {
    return scene.center;
}

std::vector<float> holdout_keep_out(const Dataset& dataset, float clearance) {
    std::vector<float> radius;
    for (const Frame& h : evaluation_frames(dataset)) {
        float nearest = std::numeric_limits<float>::infinity();
        for (const Frame& f : dataset.train)
            nearest = std::min(nearest, glm::length(h.camera.center() - f.camera.center()));
        radius.push_back(std::isfinite(nearest) ? clearance * nearest : 0.0f);
    }
    return radius;
}

std::vector<TeacherView> teacher_views(const Dataset& dataset, glm::vec3 centre, const DistillCameraRule& rule) {
    std::vector<TeacherView> views;
    NameSet names;
    const size_t N = dataset.train.size();
    for (size_t i = 0; i < N; ++i) {
        TeacherView v;
        v.name = names.take("train/" + safe_file_name(dataset.train[i].name));
        v.camera = dataset.render_camera(dataset.train[i]);
        v.from = v.to = int(i);
        views.push_back(std::move(v));
    }
    if (rule.extra <= 0 || N < 2) return views;

    // Each training camera's nearest others, by centre.
    const int m = std::clamp(rule.neighbours, 1, int(N) - 1);
    std::vector<std::vector<int>> near(N);
    for (size_t i = 0; i < N; ++i) {
        std::vector<std::pair<float, int>> d;
        for (size_t j = 0; j < N; ++j)
            if (j != i) d.push_back({glm::length(views[i].camera.center() - views[j].camera.center()), int(j)});
        std::partial_sort(d.begin(), d.begin() + m, d.end());
        for (int k = 0; k < m; ++k) near[i].push_back(d[size_t(k)].second);
    }
    const std::vector<Frame>& held = evaluation_frames(dataset);
    const std::vector<float> keep_out = holdout_keep_out(dataset, rule.holdout_clearance);
    auto clear_of_held_out = [&](glm::vec3 c) {
        for (size_t h = 0; h < held.size(); ++h)
            if (glm::length(c - held[h].camera.center()) < keep_out[h]) return false;
        return true;
    };

    int placed = 0;
    for (int k = 0; k < rule.extra; ++k) {
        for (int attempt = 0; attempt < kTries; ++attempt) {
            const uint64_t draw = (uint64_t(k) * kTries + uint64_t(attempt)) * 4;
            const int a = std::min(int(kern::random_uniform(rule.seed, kStreamCamera, draw) * float(N)), int(N) - 1);
            const int pick = std::min(int(kern::random_uniform(rule.seed, kStreamCamera, draw + 1) * float(m)), m - 1);
            const int b = near[size_t(a)][size_t(pick)];
            const float t =
                rule.t_min + (rule.t_max - rule.t_min) * kern::random_uniform(rule.seed, kStreamCamera, draw + 2);
            const Camera& ca = views[size_t(a)].camera;
            const Camera& cb = views[size_t(b)].camera;
            const glm::vec3 va = ca.center() - centre, vb = cb.center() - centre;
            const float ra = glm::length(va), rb = glm::length(vb);
            if (ra <= 0.0f || rb <= 0.0f || glm::length(va / ra + vb / rb) < 1e-3f) continue;
            const glm::vec3 c = centre + (ra + t * (rb - ra)) * slerp(va / ra, vb / rb, t);
            if (!clear_of_held_out(c)) continue;
            const glm::vec3 up = camera_up(ca) + t * (camera_up(cb) - camera_up(ca));
            TeacherView v;
            if (!Camera::look_at(c, centre, up, ca.width, ca.height, ca.fx, ca.fy, ca.cx, ca.cy, v.camera)) continue;
            char name[32];
            std::snprintf(name, sizeof(name), "extra/extra_%04d", placed);
            v.name = names.take(name);
            v.from = a;
            v.to = b;
            v.t = t;
            views.push_back(std::move(v));
            ++placed;
            break;
        }
    }
    if (placed < rule.extra)
        log::warn("distill: ", rule.extra - placed, " of ", rule.extra,
                  " extra cameras found no place clear of the held-out cameras in ", kTries, " tries");
    return views;
}

std::string teacher_held_out_name(const Frame& frame) {
    return "heldout/" + safe_file_name(frame.name);
}

Json TeacherDataset::to_json() const {
    Json j = Json::object();
    j["dir"] = dir.string();
    j["training_views"] = training_views;
    j["extra_views"] = extra_views;
    j["held_out"] = held_out;
    j["depth_points"] = depth_points;
    j["dense_points"] = dense_points;
    j["points"] = points;
    j["voxel"] = voxel;
    j["alpha"] = alpha;
    j["background"] = {background.x, background.y, background.z};
    j["teacher_eval"] = teacher.to_json();
    j["render_seconds"] = render_seconds;
    j["seconds"] = seconds;
    return j;
}

TeacherDataset write_teacher_dataset(Backend& backend, HmoheNetwork& teacher, const NerfScene& scene,
                                     const Dataset& dataset, const fs::path& dir, const DistillOptions& options,
                                     const fs::path& teacher_eval_dir,
                                     const std::function<void(size_t, size_t)>& on_view) {
    const auto t0 = Clock::now();
    if (dataset.dynamic) throw Error(dataset.root.string(), "time", "distillation takes static scenes");
    TeacherDataset out;
    out.dir = dir;
    out.alpha = dataset.has_alpha;
    out.background = scene.background;
    const std::vector<TeacherView> views = teacher_views(dataset, distill_scene_centre(scene), options.cameras);
    const std::vector<Frame>& held = evaluation_frames(dataset);
    const size_t total = views.size() + held.size();
    fs::create_directories(dir);

    // Seeding: expected-depth points per voxel of the NeRF's inner box side / voxels.
    const DistillSeedOptions& seed = options.seeding;
    const Bounds outer = scene.outer_bounds();
    VoxelGrid grid(outer.min, scene.scale / float(std::max(seed.voxels, 1)));

    std::vector<Json> train_frames;
    Json view_list = Json::array();
    for (size_t v = 0; v < views.size(); ++v) {
        const TeacherView& view = views[v];
        const Camera& cam = view.camera;
        // Over black: the premultiplied colour.
        const HmoheNetwork::RenderResult r = teacher.render(cam, glm::vec3(0.0f), NerfRenderMode::Colour);
        Image image(cam.width, cam.height, out.alpha ? 4 : 3);
        const glm::vec3 centre = cam.center(), forward = cam.forward();
        for (int y = 0; y < cam.height; ++y)
            for (int x = 0; x < cam.width; ++x) {
                const size_t p = size_t(y) * size_t(cam.width) + size_t(x);
                const float a = std::clamp(r.opacity.data[p], 0.0f, 1.0f);
                const glm::vec3 pre{r.colour.data[3 * p], r.colour.data[3 * p + 1], r.colour.data[3 * p + 2]};
                const glm::vec3 straight = a > 1e-4f ? glm::clamp(pre / a, 0.0f, 1.0f) : glm::vec3(0.0f);
                float* px = image.pixel(x, y);
                if (out.alpha) {
                    for (int c = 0; c < 3; ++c) px[c] = straight[c];
                    px[3] = a;
                } else {
                    for (int c = 0; c < 3; ++c) px[c] = pre[c] + (1.0f - a) * out.background[c];
                }
                const float depth = r.depth.data[p];
                if (a >= seed.min_opacity && depth > 0.0f) {
                    const glm::vec3 d = cam.ray_direction({float(x) + 0.5f, float(y) + 0.5f});
                    const float along = glm::dot(d, forward);
                    if (along > 0.0f) grid.add(centre + d * (depth / along), straight);
                }
            }
        save_image(dir / (view.name + ".png"), image);
        train_frames.push_back(transforms_frame(view.name, cam));
        view_list.push_back({{"name", view.name}, {"from", view.from}, {"to", view.to}, {"t", view.t}});
        if (view.from == view.to)
            ++out.training_views;
        else
            ++out.extra_views;
        if (on_view) on_view(v + 1, total);
    }
    save_json(dir / "transforms_train.json", transforms_file(train_frames, views.front().camera));

    // The held-out images as evaluation loads them, over the teacher's background, and the teacher
    // evaluated on them.
    Dataset over = dataset;
    over.background = scene.background;
    std::vector<Frame> renamed = held;
    std::vector<Json> test_frames;
    NameSet names;
    for (size_t i = 0; i < held.size(); ++i) {
        renamed[i].name = names.take(teacher_held_out_name(held[i]));
        save_image(dir / (renamed[i].name + ".png"), over.load_image(held[i]));
        test_frames.push_back(transforms_frame(renamed[i].name, dataset.render_camera(held[i])));
    }
    out.held_out = held.size();
    if (!held.empty()) {
        save_json(dir / "transforms_test.json", transforms_file(test_frames, dataset.render_camera(held.front())));
        out.teacher = evaluate_views(
            over, renamed,
            [&](const Camera& c) { return teacher.render(c, scene.background, NerfRenderMode::Colour).colour; },
            teacher_eval_dir,
            [&](size_t done, size_t) {
                if (on_view) on_view(views.size() + done, total);
            });
    } else {
        fs::remove(dir / "transforms_test.json");
    }
    fs::remove(dir / "transforms_val.json");
    out.render_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

    // Points: the dense voxels, merged until the budget holds.
    out.depth_points = grid.size();
    std::vector<VoxelSum> kept = dense_voxels(backend, teacher, scene, grid.sums(), seed.min_thickness);
    out.dense_points = kept.size();
    float voxel = grid.voxel();
    while (kept.size() > seed.max_points) {
        voxel *= 2.0f;
        VoxelGrid coarser(outer.min, voxel);
        for (const VoxelSum& s : kept) coarser.add(s);
        kept = coarser.sums();
    }
    out.voxel = voxel;
    PointCloud points;
    for (const VoxelSum& s : kept) {
        const glm::dvec3 p = s.position / double(s.count), c = s.colour / double(s.count);
        points.positions.insert(points.positions.end(), {float(p.x), float(p.y), float(p.z)});
        points.colors.insert(points.colors.end(), {float(c.x), float(c.y), float(c.z)});
    }
    out.points = points.size();
    if (points.size() == 0)
        throw Error(dir.string(), "points",
                    "the NeRF's renders hold no dense surface to seed Gaussians from (is the teacher trained?)");
    write_point_ply(dir / "points3d.ply", points);

    Json provenance = Json::object();
    provenance["format"] = "splatscape-distill-teacher";
    provenance["version"] = 1;
    provenance["dataset"] = fs::absolute(dataset.root).lexically_normal().string();
    provenance["cameras"] = {
        {"extra", options.cameras.extra},
        {"seed", options.cameras.seed},
        {"neighbours", options.cameras.neighbours},
        {"t_min", options.cameras.t_min},
        {"t_max", options.cameras.t_max},
        {"holdout_clearance", options.cameras.holdout_clearance},
        {"look_at", {distill_scene_centre(scene).x, distill_scene_centre(scene).y, distill_scene_centre(scene).z}}};
    provenance["seeding"] = {{"min_opacity", seed.min_opacity},
                             {"voxels", seed.voxels},
                             {"min_thickness", seed.min_thickness},
                             {"max_points", seed.max_points}};
    provenance["views"] = view_list;
    provenance["held_out"] = Json::array();
    for (size_t i = 0; i < held.size(); ++i)
        provenance["held_out"].push_back({{"name", renamed[i].name}, {"source", held[i].name}});
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    provenance["result"] = out.to_json();
    save_json(dir / "distill.json", provenance);
    return out;
}

} // namespace splatscape
