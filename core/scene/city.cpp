#include "core/scene/city.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <glm/geometric.hpp>

#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/scene/random.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;
using scene::Pattern;
using scene::Primitive;
using scene::SceneDescription;
using scene::Shape;

constexpr float kPi = 3.14159265358979f;

Primitive box(const std::string& name, glm::vec3 center, glm::vec3 half, scene::Texture tex) {
    Primitive p;
    p.name = name;
    p.shape = Shape::Box;
    p.position = center;
    p.size = half;
    p.material.texture = tex;
    return p;
}

scene::Texture solid_noise(glm::vec3 a, glm::vec3 b, float frequency) {
    scene::Texture t;
    t.pattern = Pattern::Noise;
    t.color_a = a;
    t.color_b = b;
    t.frequency = frequency;
    return t;
}

// Street centre lines along x (and y): -E/2 + street/2 + k (block + street).
float street_line(const CityOptions& o, int k) {
    return -0.5f * o.extent() + 0.5f * o.street_width + float(k) * (o.block_size + o.street_width);
}

glm::vec3 flight_point(const CityOptions& o, float u) {
    // A superellipse over the second street lines from the edge: nearly square, so it follows the
    // streets, with rounded corners.
    const float a = std::abs(street_line(o, std::min(1, o.blocks / 2)));
    const float theta = 2.0f * kPi * u;
    const float c = std::cos(theta), s = std::sin(theta), p = 0.25f; // |cos|^p
    const float x = a * std::copysign(std::pow(std::abs(c), p), c);
    const float y = a * std::copysign(std::pow(std::abs(s), p), s);
    // Altitude: 25-60 m, with a low pass (12 m) over the street along one side.
    float z = 42.5f + 17.5f * std::sin(2.0f * kPi * 2.0f * u);
    const float low = std::exp(-std::pow((u - 0.62f) / 0.05f, 2.0f));
    z = z * (1.0f - low) + 12.0f * low;
    return {x, y, z};
}

Camera look_at(glm::vec3 eye, glm::vec3 target, int width, int height, float fov_y_degrees) {
    const glm::vec3 up(0.0f, 0.0f, 1.0f);
    const glm::vec3 f = glm::normalize(target - eye);
    glm::vec3 r = glm::cross(f, up);
    r = glm::length(r) > 1e-6f ? glm::normalize(r) : glm::vec3(1, 0, 0);
    const glm::vec3 d = glm::cross(f, r);
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(r, 0);
    c2w[1] = glm::vec4(d, 0);
    c2w[2] = glm::vec4(f, 0);
    c2w[3] = glm::vec4(eye, 1);
    const float fy = 0.5f * float(height) / std::tan(0.5f * fov_y_degrees * kPi / 180.0f);
    return Camera::from_camera_to_world(c2w, width, height, fy, fy, 0.5f * float(width), 0.5f * float(height));
}

Json vec_json(glm::vec3 v) {
    return Json::array({v.x, v.y, v.z});
}

} // namespace

void CityOptions::validate() const {
    if (blocks < 1 || blocks > 64) throw UsageError(cat("--blocks ", blocks, " is outside 1..64"));
    if (!(block_size >= 20.0f && block_size <= 500.0f))
        throw UsageError(cat("block size ", block_size, " m is outside 20..500"));
    if (!(street_width >= 4.0f && street_width <= 100.0f))
        throw UsageError(cat("street width ", street_width, " m is outside 4..100"));
}

SceneDescription city_description(const CityOptions& o) {
    o.validate();
    SceneDescription d;
    scene::Rng rng(o.seed * 0x9E3779B97F4A7C15ull + 17);
    const float E = o.extent();
    Primitive ground;
    ground.name = "ground";
    ground.shape = Shape::Disc;
    ground.size = glm::vec3(0.75f * E + 40.0f);
    ground.material.texture = solid_noise({0.20f, 0.20f, 0.22f}, {0.30f, 0.29f, 0.28f}, 0.4f);
    d.primitives.push_back(ground);
    // Lane markings along every street.
    for (int k = 0; k <= o.blocks; ++k) {
        const float c = street_line(o, k);
        scene::Texture paint;
        paint.color_a = paint.color_b = {0.85f, 0.78f, 0.35f};
        d.primitives.push_back(box(cat("marking x", k), {c, 0.0f, 0.02f}, {0.25f, 0.5f * E, 0.02f}, paint));
        d.primitives.push_back(box(cat("marking y", k), {0.0f, c, 0.02f}, {0.5f * E, 0.25f, 0.02f}, paint));
    }
    const glm::vec3 walls[] = {{0.75f, 0.70f, 0.62f}, {0.55f, 0.58f, 0.62f}, {0.72f, 0.52f, 0.42f},
                               {0.85f, 0.83f, 0.78f}, {0.45f, 0.47f, 0.52f}, {0.62f, 0.66f, 0.55f}};
    const glm::vec3 glass[] = {{0.18f, 0.24f, 0.32f}, {0.25f, 0.30f, 0.35f}, {0.12f, 0.16f, 0.20f}};
    for (int bx = 0; bx < o.blocks; ++bx)
        for (int by = 0; by < o.blocks; ++by) {
            const float cx = street_line(o, bx) + 0.5f * (o.block_size + o.street_width);
            const float cy = street_line(o, by) + 0.5f * (o.block_size + o.street_width);
            const float half = 0.5f * o.block_size;
            d.primitives.push_back(box(cat("pavement ", bx, ",", by), {cx, cy, 0.1f}, {half, half, 0.1f},
                                       solid_noise({0.55f, 0.54f, 0.52f}, {0.66f, 0.65f, 0.62f}, 1.5f)));
            // Taller towards the centre of the city.
            const float centrality = 1.0f - glm::length(glm::vec2(cx, cy)) / (0.75f * E);
            const float lot = 0.5f * (o.block_size - 8.0f);
            for (int lx = 0; lx < 2; ++lx)
                for (int ly = 0; ly < 2; ++ly) {
                    if (rng.uniform() < 0.15f) continue; // an open lot
                    const glm::vec2 lc(cx + (float(lx) - 0.5f) * lot, cy + (float(ly) - 0.5f) * lot);
                    const float w = lot * rng.uniform(0.35f, 0.45f), h = lot * rng.uniform(0.35f, 0.45f);
                    const float height = 8.0f + rng.uniform() * (20.0f + 55.0f * std::max(0.0f, centrality));
                    scene::Texture t;
                    t.color_a = walls[rng.below(6)];
                    t.color_b = glass[rng.below(3)];
                    t.noise_amount = 0.08f;
                    t.noise_frequency = 0.2f;
                    if (rng.uniform() < 0.6f) {
                        t.pattern = Pattern::Checker; // window grid
                        t.frequency = 1.0f / rng.uniform(1.6f, 2.4f);
                    } else {
                        t.pattern = Pattern::Stripes; // floors
                        t.frequency = 1.0f / 3.2f;
                        t.axis = {0.0f, 0.0f, 1.0f};
                    }
                    if (rng.uniform() < 0.12f) {
                        Primitive tower;
                        tower.name = cat("tower ", bx, ",", by, ",", lx, ly);
                        tower.shape = Shape::Cylinder;
                        tower.size = {std::min(w, h), 0.0f, 0.5f * height};
                        tower.position = {lc.x, lc.y, 0.2f + 0.5f * height};
                        tower.material.texture = t;
                        tower.material.texture.pattern = Pattern::Stripes;
                        d.primitives.push_back(tower);
                    } else {
                        d.primitives.push_back(box(cat("building ", bx, ",", by, ",", lx, ly),
                                                   {lc.x, lc.y, 0.2f + 0.5f * height}, {w, h, 0.5f * height}, t));
                    }
                }
            // Trees along two sides of the pavement.
            for (int side = 0; side < 2; ++side)
                for (float s = -half + 5.0f; s <= half - 5.0f; s += 12.0f) {
                    const glm::vec2 p =
                        side == 0 ? glm::vec2(cx + s, cy - half + 2.0f) : glm::vec2(cx - half + 2.0f, cy + s);
                    const float tall = rng.uniform(0.8f, 1.2f);
                    Primitive trunk;
                    trunk.name = "trunk";
                    trunk.shape = Shape::Cylinder;
                    trunk.size = {0.3f, 0.0f, 1.8f * tall};
                    trunk.position = {p.x, p.y, 0.2f + 1.8f * tall};
                    trunk.material.texture = solid_noise({0.30f, 0.22f, 0.15f}, {0.40f, 0.30f, 0.20f}, 2.0f);
                    d.primitives.push_back(trunk);
                    Primitive crown;
                    crown.name = "crown";
                    crown.shape = Shape::Sphere;
                    crown.size = glm::vec3(2.4f * tall);
                    crown.position = {p.x, p.y, 0.2f + 3.6f * tall + 1.8f * tall};
                    crown.material.texture = solid_noise({0.18f, 0.38f, 0.16f}, {0.32f, 0.52f, 0.22f}, 1.2f);
                    d.primitives.push_back(crown);
                }
        }
    d.lighting.direction = glm::normalize(glm::vec3(0.45f, -0.35f, 0.82f));
    d.lighting.key = 0.65f;
    d.lighting.ambient = 0.35f;
    d.lighting.ambient_ground = 0.25f;
    return d;
}

Camera city_flight_camera(const CityOptions& o, float u, int width, int height, float fov_y_degrees) {
    u -= std::floor(u);
    const glm::vec3 eye = flight_point(o, u);
    glm::vec3 target = flight_point(o, u + 0.04f);
    target.z = std::max(0.0f, eye.z - 22.0f);
    return look_at(eye, target, width, height, fov_y_degrees);
}

void write_city_flight(const fs::path& path, const CityOptions& o, int frames, float fov_y_degrees) {
    Json keys = Json::array();
    for (int i = 0; i < frames; ++i) {
        const float u = float(i) / float(frames);
        const glm::vec3 eye = flight_point(o, u);
        glm::vec3 target = flight_point(o, u + 0.04f);
        target.z = std::max(0.0f, eye.z - 22.0f);
        keys.push_back({{"t", double(i) / 30.0},
                        {"position", vec_json(eye)},
                        {"look_at", vec_json(target)},
                        {"fov_y", fov_y_degrees}});
    }
    save_json(path, {{"fps", 30}, {"interpolation", "smooth"}, {"up", {0, 0, 1}}, {"keyframes", keys}});
}

CityDatasetStats generate_city_dataset(const CityDatasetOptions& o, const fs::path& dir) {
    const auto start = std::chrono::steady_clock::now();
    if (o.width < 16 || o.height < 16 || o.width > 8192 || o.height > 8192)
        throw UsageError(cat("image size ", o.width, "x", o.height, " is outside 16..8192"));
    if (o.train_views < 1 || o.test_views < 1 || o.train_views + o.test_views > 100000)
        throw UsageError("--train and --test must be at least 1");
    const SceneDescription description = city_description(o.city);
    const scene::PosedScene posed(description, 0.0f);
    fs::create_directories(dir / "train");
    fs::create_directories(dir / "test");
    struct View {
        std::string file;
        Camera camera;
    };
    std::vector<View> train, test;
    for (int i = 0; i < o.train_views; ++i) {
        // Every fourth view looks from higher up, so the dataset sees roofs and the whole grid.
        Camera c = city_flight_camera(o.city, float(i) / float(o.train_views), o.width, o.height, o.fov_y_degrees);
        if (i % 4 == 3) {
            const glm::vec3 eye = c.center() + glm::vec3(0, 0, 60.0f);
            c = look_at(eye, glm::vec3(0.3f * eye.x, 0.3f * eye.y, 0.0f), o.width, o.height, o.fov_y_degrees);
        }
        train.push_back({cat("train/r_", i), c});
    }
    for (int i = 0; i < o.test_views; ++i)
        test.push_back({cat("test/r_", i), city_flight_camera(o.city, (float(i) + 0.5f) / float(o.test_views), o.width,
                                                              o.height, o.fov_y_degrees)});
    std::vector<View*> all;
    for (auto& v : train) all.push_back(&v);
    for (auto& v : test) all.push_back(&v);
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < all.size(); ++i)
        save_image(dir / (all[i]->file + ".png"), posed.render(all[i]->camera, o.samples_per_axis, false));
    const float fx = all.front()->camera.fx;
    const float angle_x = 2.0f * std::atan(0.5f * float(o.width) / fx);
    auto transforms = [&](const std::vector<View>& views) {
        Json frames = Json::array();
        for (const View& v : views) {
            const glm::mat4 m = opengl_to_opencv_c2w(v.camera.camera_to_world());
            Json rows = Json::array();
            for (int r = 0; r < 4; ++r) rows.push_back({m[0][r], m[1][r], m[2][r], m[3][r]});
            frames.push_back({{"file_path", "./" + v.file}, {"rotation", 0.0}, {"transform_matrix", rows}});
        }
        return Json{{"camera_angle_x", angle_x}, {"frames", frames}};
    };
    save_json(dir / "transforms_train.json", transforms(train));
    save_json(dir / "transforms_test.json", transforms(test));
    save_json(dir / "transforms_val.json", transforms(test));
    write_city_flight(dir / "flight.json", o.city, o.flight_frames, o.fov_y_degrees);
    if (o.points > 0) {
        // Surface points with their lit colour, to start training from (as `generate shapes` writes).
        const GaussianCloud g = city_gaussians(o.city, size_t(o.points));
        PointCloud points;
        points.positions = g.positions;
        points.colors.resize(g.size() * 3);
        for (size_t i = 0; i < g.size() * 3; ++i) points.colors[i] = rgb_from_sh_dc(g.sh[i]);
        write_point_ply(dir / "points3d.ply", points);
    }
    save_json(dir / "scene.json",
              {{"scene", "city"},
               {"frame", "world +z up, ground z = 0, metres; transform_matrix is OpenGL camera-to-world"},
               {"blocks", o.city.blocks},
               {"block_size", o.city.block_size},
               {"street_width", o.city.street_width},
               {"extent", o.city.extent()},
               {"seed", o.city.seed},
               {"primitives", description.primitives.size()}});
    CityDatasetStats s;
    s.images = all.size();
    s.primitives = description.primitives.size();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return s;
}

GaussianCloud city_gaussians(const CityOptions& o, size_t count) {
    if (count == 0 || count > (size_t(1) << 31)) throw UsageError(cat("--gaussians ", count, " is outside 1..2^31"));
    const SceneDescription description = city_description(o);
    const scene::PosedScene posed(description, 0.0f);
    const size_t np = description.primitives.size();
    std::vector<double> cdf(np);
    double area = 0.0;
    for (size_t p = 0; p < np; ++p) {
        // A box's bottom face is hidden (it stands on the ground): 5/6 of its area is seen.
        const Primitive& prim = description.primitives[p];
        area += double(scene::surface_area(prim)) * (prim.shape == Shape::Box ? 5.0 / 6.0 : 1.0);
        cdf[p] = area;
    }
    const float spacing = float(std::sqrt(area / double(count)));
    const float log_tangent = std::log(0.55f * spacing), log_normal = std::log(0.05f * spacing);
    const glm::vec3 light = description.lighting.direction;
    GaussianCloud c;
    c.resize(count, 0);
#pragma omp parallel for schedule(static, 65536)
    for (long long ii = 0; ii < (long long)count; ++ii) {
        const size_t i = size_t(ii);
        scene::Rng rng((o.seed + 1) * 0xD1B54A32D192ED03ull ^ (uint64_t(i) * 0x9E3779B97F4A7C15ull));
        scene::Hit hit;
        glm::vec3 n(0, 0, 1);
        for (int attempt = 0; attempt < 16; ++attempt) {
            const double r = double(rng.uniform()) * area;
            const size_t p = size_t(std::lower_bound(cdf.begin(), cdf.end(), r) - cdf.begin());
            hit = posed.sample_surface(int(std::min(p, np - 1)), rng);
            hit.primitive = int(std::min(p, np - 1));
            n = posed.world_normal(hit);
            if (n.z > -0.5f) break; // not a face on the ground
        }
        const glm::vec3 pos = posed.world_point(hit);
        const float up = 0.5f + 0.5f * n.z;
        const float ambient = description.lighting.ambient_ground +
                              (description.lighting.ambient - description.lighting.ambient_ground) * up;
        const glm::vec3 rgb =
            glm::clamp(posed.albedo(hit) * (ambient + description.lighting.key * std::max(0.0f, glm::dot(n, light))),
                       glm::vec3(0.0f), glm::vec3(1.0f));
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = pos[a];
            c.sh[3 * i + a] = sh_dc_from_rgb(rgb[a]);
        }
        c.log_scales[3 * i] = log_tangent;
        c.log_scales[3 * i + 1] = log_tangent;
        c.log_scales[3 * i + 2] = log_normal;
        // The rotation turning +z onto the normal: q = (1 + z.n, z x n), normalised.
        glm::vec4 q(1.0f + n.z, -n.y, n.x, 0.0f); // w, x, y, z
        if (q.x < 1e-6f && q.x > -1e-6f && n.z < -0.999f) q = {0.0f, 1.0f, 0.0f, 0.0f};
        q = glm::normalize(q);
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = q[a];
        c.opacities[i] = logit(0.92f);
    }
    return c;
}

} // namespace splatscape
