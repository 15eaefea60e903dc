#include "core/scene/synthetic_scene.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/scene/random.hpp"

namespace splatscape {
namespace {

using scene::Motion;
using scene::Pattern;
using scene::Primitive;
using scene::rotation_about;
using scene::SceneDescription;
using scene::Shape;
using scene::Texture;

constexpr float kPi = 3.14159265358979f;
constexpr float kDegree = kPi / 180.0f;
// Where the cameras look, before jitter: about the middle of the objects' height.
constexpr glm::vec3 kLookAt{0.0f, 0.0f, 0.3f};
constexpr float kMinElevation = 12.0f * kDegree;
constexpr float kMaxElevation = 72.0f * kDegree;
constexpr glm::vec3 kUp{0.0f, 0.0f, 1.0f};
constexpr float kMarkerRadius = 0.05f;

Texture texture(Pattern pattern, glm::vec3 a, glm::vec3 b, float frequency, glm::vec3 axis = kUp) {
    Texture t;
    t.pattern = pattern;
    t.color_a = a;
    t.color_b = b;
    t.frequency = frequency;
    t.axis = glm::normalize(axis);
    return t;
}

Primitive object(std::string name, Shape shape, glm::vec3 size, glm::vec3 position, Texture tex) {
    Primitive p;
    p.name = std::move(name);
    p.shape = shape;
    p.size = size;
    p.position = position;
    p.material.texture = tex;
    return p;
}

// A marker rides on `parent` (offset in the parent's frame) or stands on its own (parent -1).
Primitive marker(std::string name, glm::vec3 color, int parent, glm::vec3 offset) {
    Primitive p = object(std::move(name), Shape::Sphere, glm::vec3(kMarkerRadius), offset,
                         texture(Pattern::Solid, color, color, 1.0f));
    p.parent = parent;
    p.material.emissive = true;
    p.casts_shadow = false;
    p.marker = true;
    return p;
}

// The objects' albedos stay within [0.1, 0.95] per channel and are lit by at most ambient + key
// = 1.0, so no lit surface comes near a marker colour (each channel 0 or 1, two or more at 1,
// or pure blue): markers are found in images by colour alone.
SceneDescription dynamic_shapes() {
    SceneDescription s;
    s.dynamic = true;
    s.lighting.direction = glm::normalize(glm::vec3(0.45f, -0.35f, 0.82f));
    s.lighting.key = 0.7f;
    s.lighting.ambient = 0.3f;
    s.lighting.ambient_ground = 0.2f;
    s.lighting.up = kUp;
    auto& p = s.primitives;

    Primitive ground = object("ground", Shape::Disc, glm::vec3(1.5f), glm::vec3(0.0f),
                              texture(Pattern::Checker, {0.78f, 0.74f, 0.64f}, {0.45f, 0.51f, 0.58f}, 2.0f));
    ground.material.texture.noise_amount = 0.08f;
    ground.material.texture.noise_frequency = 1.5f;
    p.push_back(ground);

    // Rises by 0.35 and comes back down over t in [0, 1].
    Primitive red =
        object("red_sphere", Shape::Sphere, glm::vec3(0.36f), {-0.55f, 0.5f, 0.36f},
               texture(Pattern::Stripes, {0.85f, 0.25f, 0.17f}, {0.95f, 0.72f, 0.3f}, 2.2f, {0.4f, 0.0f, 1.0f}));
    red.motion.amplitude = {0.0f, 0.0f, 0.35f};
    red.motion.frequency = 0.5f;
    const int red_index = int(p.size());
    p.push_back(red);

    // A quarter turn about its vertical axis.
    Primitive box = object("box", Shape::Box, glm::vec3(0.24f), {0.65f, 0.5f, 0.24f},
                           texture(Pattern::Checker, {0.2f, 0.55f, 0.35f}, {0.88f, 0.86f, 0.76f}, 2.5f));
    box.rotation = rotation_about(kUp, 30.0f * kDegree);
    box.motion.spin_axis = kUp;
    box.motion.spin = 0.5f * kPi;
    const int box_index = int(p.size());
    p.push_back(box);

    // Slides 0.25 either way along x, once over t in [0, 1].
    Primitive cylinder = object("cylinder", Shape::Cylinder, {0.2f, 0.2f, 0.32f}, {0.45f, -0.55f, 0.32f},
                                texture(Pattern::AngularStripes, {0.22f, 0.32f, 0.72f}, {0.75f, 0.8f, 0.9f}, 6.0f));
    cylinder.motion.amplitude = {0.25f, 0.0f, 0.0f};
    const int cylinder_index = int(p.size());
    p.push_back(cylinder);

    Primitive cone = object("cone", Shape::Cone, {0.26f, 0.26f, 0.3f}, {-0.6f, -0.35f, 0.3f},
                            texture(Pattern::Gradient, {0.5f, 0.2f, 0.5f}, {0.95f, 0.8f, 0.3f}, 1.4f));
    p.push_back(cone);

    // Tilted 60 degrees off vertical, half a turn about the world's vertical axis.
    Primitive torus = object("torus", Shape::Torus, {0.26f, 0.09f, 0.09f}, {0.05f, 0.05f, 0.33f},
                             texture(Pattern::Noise, {0.12f, 0.5f, 0.52f}, {0.9f, 0.85f, 0.45f}, 5.0f));
    torus.rotation = rotation_about({1.0f, 0.0f, 0.0f}, 60.0f * kDegree);
    torus.motion.spin_axis = kUp;
    torus.motion.spin = kPi;
    p.push_back(torus);

    // The view-dependent material: a broad white highlight.
    Primitive glossy = object("glossy_sphere", Shape::Sphere, glm::vec3(0.26f), {-0.15f, -0.95f, 0.26f},
                              texture(Pattern::Solid, {0.28f, 0.42f, 0.85f}, {0.28f, 0.42f, 0.85f}, 1.0f));
    glossy.material.texture.noise_amount = 0.1f;
    glossy.material.texture.noise_frequency = 3.0f;
    // A broad lobe (half maximum about 20 degrees off the mirror direction) that SH of degree 3 can follow.
    glossy.material.specular = 0.3f;
    glossy.material.shininess = 12.0f;
    p.push_back(glossy);

    p.push_back(marker("marker_magenta", {1.0f, 0.0f, 1.0f}, box_index, {0.0f, 0.0f, 0.40f}));
    p.push_back(marker("marker_yellow", {1.0f, 1.0f, 0.0f}, red_index, {0.0f, 0.0f, 0.54f}));
    p.push_back(marker("marker_cyan", {0.0f, 1.0f, 1.0f}, -1, {0.05f, 1.05f, kMarkerRadius}));
    p.push_back(marker("marker_blue", {0.0f, 0.0f, 1.0f}, cylinder_index, {0.0f, 0.0f, 0.47f}));
    return s;
}

// Every number here starts as a float: write it as the shortest decimal that reads back as the
// same float (0.65, not 0.6499999761581421).
void shorten_floats(Json& j) {
    if (j.is_number_float()) {
        char buf[32];
        auto end = std::to_chars(buf, buf + sizeof(buf), float(j.get<double>())).ptr;
        j = std::strtod(std::string(buf, end).c_str(), nullptr);
    } else if (j.is_structured()) {
        for (auto& child : j) shorten_floats(child);
    }
}

Json vec_json(glm::vec3 v) {
    return Json::array({v.x, v.y, v.z});
}

Json texture_json(const Texture& t) {
    Json j{{"pattern", scene::to_string(t.pattern)}, {"color_a", vec_json(t.color_a)}};
    if (t.pattern != Pattern::Solid) {
        j["color_b"] = vec_json(t.color_b);
        j["frequency"] = t.frequency;
    }
    if (t.pattern == Pattern::Stripes || t.pattern == Pattern::Gradient) j["axis"] = vec_json(t.axis);
    if (t.noise_amount > 0) {
        j["noise_amount"] = t.noise_amount;
        j["noise_frequency"] = t.noise_frequency;
    }
    if (t.detail_amount > 0) {
        j["detail_amount"] = t.detail_amount;
        j["detail_frequency"] = t.detail_frequency;
    }
    return j;
}

Json size_json(const Primitive& p) {
    const glm::vec3& s = p.size;
    switch (p.shape) {
    case Shape::Sphere:
        return {{"radius", s.x}};
    case Shape::Box:
        return {{"half_extents", vec_json(s)}};
    case Shape::Cylinder:
        return {{"radius", s.x}, {"half_height", s.z}};
    case Shape::Cone:
        return {{"base_radius", s.x}, {"half_height", s.z}};
    case Shape::Torus:
        return {{"major_radius", s.x}, {"minor_radius", s.y}};
    case Shape::Disc:
        return {{"radius", s.x}};
    }
    return {};
}

Json rows_json(const glm::mat4& m) {
    Json rows = Json::array();
    for (int r = 0; r < 4; ++r) rows.push_back(Json::array({m[0][r], m[1][r], m[2][r], m[3][r]}));
    return rows;
}

// Places on the spiral for each split: test and val places spread evenly through it, train takes the rest.
struct Slots {
    std::vector<int> train, val, test;
};

Slots assign_slots(int train, int val, int test) {
    const int total = train + val + test;
    std::vector<char> taken(size_t(total), 0);
    Slots s;
    auto spread = [&](int count, double offset, std::vector<int>& out) {
        for (int j = 0; j < count; ++j) {
            int k = int(std::floor((j + offset) * total / count)) % total;
            while (taken[size_t(k)]) k = (k + 1) % total;
            taken[size_t(k)] = 1;
            out.push_back(k);
        }
    };
    spread(test, 0.5, s.test);
    spread(val, 0.25, s.val);
    for (int k = 0; k < total; ++k)
        if (!taken[size_t(k)]) s.train.push_back(k);
    return s;
}

void shuffle(std::vector<int>& v, scene::Rng& rng) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(uint32_t(i))]);
}

// Writes transforms_<split>.json.
void write_transforms(const std::filesystem::path& path, const SyntheticSceneOptions& options,
                      const std::vector<const SyntheticView*>& views) {
    Json frames = Json::array();
    for (const SyntheticView* v : views) {
        Json f{{"file_path", "./" + v->file},
               {"rotation", 0.0},
               {"transform_matrix", rows_json(opengl_to_opencv_c2w(v->camera.camera_to_world()))}};
        if (options.kind == SyntheticSceneKind::Dynamic) f["time"] = v->time;
        frames.push_back(std::move(f));
    }
    Json j{{"camera_angle_x", options.camera_angle_x}, {"frames", std::move(frames)}};
    shorten_floats(j);
    save_json(path, j);
}

} // namespace

std::string to_string(SyntheticSceneKind kind) {
    return kind == SyntheticSceneKind::Dynamic ? "dynamic" : "shapes";
}

SyntheticSceneKind parse_synthetic_scene_kind(const std::string& name) {
    if (name == "shapes" || name == "static") return SyntheticSceneKind::Shapes;
    if (name == "dynamic") return SyntheticSceneKind::Dynamic;
    throw UsageError(cat("unknown built-in scene '", name, "' (expected shapes, static or dynamic)"));
}

void SyntheticSceneOptions::validate() const {
    auto check = [](bool ok, const std::string& message) {
        if (!ok) throw UsageError(message);
    };
    check(width >= 8 && width <= 8192 && height >= 8 && height <= 8192,
          cat("image size must be within 8..8192 pixels per side, got ", width, "x", height));
    check(train_views >= 1 && train_views <= 100000, cat("train views must be within 1..100000, got ", train_views));
    check(test_views >= 1 && test_views <= 100000, cat("test views must be within 1..100000, got ", test_views));
    check(val_views >= 0 && val_views <= 100000, cat("val views must be within 0..100000, got ", val_views));
    check(samples_per_axis >= 1 && samples_per_axis <= 16,
          cat("samples per axis must be within 1..16, got ", samples_per_axis));
    check(points >= 0 && points <= 10000000, cat("points must be within 0..10000000, got ", points));
    check(std::isfinite(camera_angle_x) && camera_angle_x >= 0.1f && camera_angle_x <= 2.5f,
          cat("camera_angle_x must be within 0.1..2.5 radians, got ", camera_angle_x));
    check(std::isfinite(camera_distance) && camera_distance >= 2.5f && camera_distance <= 100.0f,
          cat("camera distance must be within 2.5..100 (the scene has radius 1.5), got ", camera_distance));
    check(std::isfinite(detail) && detail >= 0.0f && detail <= 1.0f, cat("detail must be within 0..1, got ", detail));
}

scene::SceneDescription synthetic_scene_description(SyntheticSceneKind kind, float detail) {
    SceneDescription s = dynamic_shapes();
    if (kind == SyntheticSceneKind::Shapes) {
        s.dynamic = false;
        for (auto& p : s.primitives) p.motion = Motion{};
    }
    if (detail > 0.0f)
        for (auto& p : s.primitives)
            if (!p.marker) p.material.texture.detail_amount = detail;
    return s;
}

std::vector<SyntheticLandmark> synthetic_landmarks(SyntheticSceneKind kind, float time) {
    SceneDescription s = synthetic_scene_description(kind);
    std::vector<SyntheticLandmark> out;
    for (size_t i = 0; i < s.primitives.size(); ++i) {
        const Primitive& p = s.primitives[i];
        if (p.shape == Shape::Disc) continue;
        SyntheticLandmark l;
        l.name = p.name;
        l.position = scene::pose_at(s, int(i), time).position;
        l.radius = scene::bounding_radius(p);
        l.marker = p.marker;
        l.color = p.material.texture.color_a;
        l.primitive = int(i);
        out.push_back(l);
    }
    return out;
}

std::vector<SyntheticView> synthetic_views(const SyntheticSceneOptions& options) {
    options.validate();
    const int total = options.train_views + options.val_views + options.test_views;
    Slots slots = assign_slots(options.train_views, options.val_views, options.test_views);
    scene::Rng rng(options.seed * 0x9E3779B97F4A7C15ull + 0x5CE1E);

    // Jitter per place on the spiral, drawn in place order so that it does not depend on the split.
    const float golden_angle = kPi * (3.0f - std::sqrt(5.0f));
    const float azimuth0 = 2.0f * kPi * rng.uniform();
    std::vector<Camera> cameras;
    const float fx = 0.5f * float(options.width) / std::tan(0.5f * options.camera_angle_x);
    const float z_lo = std::sin(kMinElevation), z_hi = std::sin(kMaxElevation);
    for (int k = 0; k < total; ++k) {
        // Uniform in sin(elevation) = uniform by area on the sphere zone.
        float u = (float(k) + 0.5f) / float(total);
        float elevation = std::asin(z_lo + (z_hi - z_lo) * u) + rng.uniform(-1.5f, 1.5f) * kDegree;
        float azimuth = azimuth0 + float(k) * golden_angle + rng.uniform(-3.0f, 3.0f) * kDegree;
        float distance = options.camera_distance * (1.0f + rng.uniform(-0.03f, 0.03f));
        // Drawn one statement at a time: the order of evaluation of function arguments is unspecified.
        glm::vec3 aim_offset;
        for (int a = 0; a < 3; ++a) aim_offset[a] = rng.uniform(-0.05f, 0.05f);
        glm::vec3 target = kLookAt + aim_offset;
        glm::vec3 eye = target + distance * glm::vec3(std::cos(elevation) * std::cos(azimuth),
                                                      std::cos(elevation) * std::sin(azimuth), std::sin(elevation));
        // OpenCV camera axes: z forward, x right (forward x up), y down (z x x).
        glm::vec3 z = glm::normalize(target - eye);
        glm::vec3 x = glm::normalize(glm::cross(z, kUp));
        glm::vec3 y = glm::cross(z, x);
        glm::mat4 c2w(glm::vec4(x, 0.0f), glm::vec4(y, 0.0f), glm::vec4(z, 0.0f), glm::vec4(eye, 1.0f));
        cameras.push_back(Camera::from_camera_to_world(c2w, options.width, options.height, fx, fx,
                                                       0.5f * float(options.width), 0.5f * float(options.height)));
    }

    const bool dynamic = options.kind == SyntheticSceneKind::Dynamic;
    std::vector<SyntheticView> views;
    auto add_split = [&](const std::string& split, std::vector<int> places, bool centred_times) {
        if (dynamic) shuffle(places, rng);
        const int n = int(places.size());
        for (int i = 0; i < n; ++i) {
            SyntheticView v;
            v.split = split;
            v.file = cat(split, "/r_", i);
            v.camera = cameras[size_t(places[size_t(i)])];
            if (dynamic) v.time = centred_times ? (float(i) + 0.5f) / float(n) : n > 1 ? float(i) / float(n - 1) : 0.0f;
            views.push_back(std::move(v));
        }
    };
    // Train times span [0, 1] end to end; held-out times fall between them.
    add_split("train", slots.train, false);
    add_split("val", slots.val, true);
    add_split("test", slots.test, true);
    return views;
}

PointCloud sample_synthetic_points(const SyntheticSceneOptions& options, const std::vector<SyntheticView>& views) {
    PointCloud cloud;
    if (options.points <= 0) return cloud;
    const SceneDescription description = synthetic_scene_description(options.kind, options.detail);
    const scene::PosedScene posed(description, 0.0f);
    std::vector<const Camera*> cameras;
    for (auto& v : views)
        if (v.split == "train") cameras.push_back(&v.camera);

    std::vector<double> cumulative;
    double area = 0.0;
    for (auto& p : description.primitives) cumulative.push_back(area += scene::surface_area(p));

    auto visible = [&](glm::vec3 p, glm::vec3 n) {
        for (const Camera* cam : cameras) {
            glm::vec3 eye = cam->center(), to = p - eye;
            float dist = glm::length(to);
            // Facing the camera, and not at a grazing angle, where a point is barely observed and
            // rounding decides whether its ray meets the surface.
            if (glm::dot(n, to) > -0.05f * dist) continue;
            float depth;
            glm::vec2 px = cam->project(p, &depth);
            if (depth <= 0.0f || px.x < 0 || px.y < 0 || px.x > float(cam->width) || px.y > float(cam->height))
                continue;
            // Seen when the camera's ray towards the point meets the scene first at the point (a
            // grazing ray that slips past the surface does not count).
            auto hit = posed.intersect(eye, to / dist, 0.0f, dist + 1e-2f);
            if (hit && std::abs(hit->distance - dist) < 1e-3f) return true;
        }
        return false;
    };

    scene::Rng rng(options.seed * 0xD1B54A32D192ED03ull + 0x9015);
    const size_t want = size_t(options.points);
    // Bottoms of objects and the ground beneath them are never seen: allow for rejections.
    const size_t max_attempts = want * 50;
    cloud.positions.reserve(3 * want);
    cloud.colors.reserve(3 * want);
    for (size_t attempt = 0; attempt < max_attempts && cloud.size() < want; ++attempt) {
        double u = double(rng.uniform()) * area;
        int index = int(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
        index = std::min(index, int(cumulative.size()) - 1);
        scene::Hit h = posed.sample_surface(index, rng);
        glm::vec3 p = posed.world_point(h), n = posed.world_normal(h);
        if (!visible(p, n)) continue;
        glm::vec3 c = posed.albedo(h);
        cloud.positions.insert(cloud.positions.end(), {p.x, p.y, p.z});
        cloud.colors.insert(cloud.colors.end(), {c.x, c.y, c.z});
    }
    return cloud;
}

Image render_synthetic_view(SyntheticSceneKind kind, const Camera& camera, float time, int samples_per_axis,
                            float detail) {
    const scene::SceneDescription description = synthetic_scene_description(kind, detail);
    scene::PosedScene posed(description, time);
    return posed.render(camera, samples_per_axis);
}

Json synthetic_scene_json(const SyntheticSceneOptions& options) {
    const SceneDescription s = synthetic_scene_description(options.kind, options.detail);
    Json objects = Json::array(), markers = Json::array();
    for (size_t i = 0; i < s.primitives.size(); ++i) {
        const Primitive& p = s.primitives[i];
        const scene::Pose pose = scene::pose_at(s, int(i), 0.0f);
        Json rotation = Json::array();
        for (int r = 0; r < 3; ++r)
            rotation.push_back(Json::array({pose.rotation[0][r], pose.rotation[1][r], pose.rotation[2][r]}));
        Json o{{"name", p.name},       {"shape", scene::to_string(p.shape)},
               {"size", size_json(p)}, {"position", vec_json(pose.position)},
               {"rotation", rotation}, {"texture", texture_json(p.material.texture)}};
        if (p.material.specular > 0) {
            o["specular"] = p.material.specular;
            o["shininess"] = p.material.shininess;
        }
        if (p.material.emissive) o["emissive"] = true;
        if (p.parent >= 0) {
            o["parent"] = s.primitives[size_t(p.parent)].name;
            o["offset"] = vec_json(p.position);
        }
        if (!p.motion.is_static()) {
            const Motion& m = p.motion;
            o["motion"] = Json{{"velocity", vec_json(m.velocity)},   {"amplitude", vec_json(m.amplitude)},
                               {"frequency", m.frequency},           {"phase", m.phase},
                               {"spin_axis", vec_json(m.spin_axis)}, {"spin_radians", m.spin}};
        }
        if (p.marker)
            markers.push_back(Json{{"name", p.name},
                                   {"color", vec_json(p.material.texture.color_a)},
                                   {"radius", p.size.x},
                                   {"position", vec_json(pose.position)}});
        objects.push_back(std::move(o));
    }
    const auto& l = s.lighting;
    Json scene{{"name", to_string(options.kind)},
               {"dynamic", s.dynamic},
               {"frame", "world +z up, ground plane z = 0; transform_matrix is OpenGL/Blender camera-to-world "
                         "(camera x right, y up, looking down -z)"},
               {"up", vec_json(kUp)},
               {"seed", options.seed},
               {"objects", std::move(objects)},
               {"markers", std::move(markers)},
               {"lighting",
                {{"direction", vec_json(l.direction)},
                 {"key", l.key},
                 {"ambient_sky", l.ambient},
                 {"ambient_ground", l.ambient_ground},
                 {"shadows", "hard, from the key light"}}},
               {"cameras",
                {{"look_at", vec_json(kLookAt)},
                 {"distance", options.camera_distance},
                 {"elevation_degrees", Json::array({kMinElevation / kDegree, kMaxElevation / kDegree})},
                 {"camera_angle_x", options.camera_angle_x},
                 {"width", options.width},
                 {"height", options.height},
                 {"train", options.train_views},
                 {"val", options.val_views},
                 {"test", options.test_views},
                 {"samples_per_pixel", options.samples_per_axis * options.samples_per_axis}}},
               {"images", "RGBA PNG, straight alpha; rays that miss every object are transparent"},
               {"points", options.points}};
    if (options.detail > 0.0f) scene["detail"] = options.detail; // absent in the standard scene's file
    shorten_floats(scene);
    return scene;
}

SyntheticSceneStats generate_synthetic_scene(const SyntheticSceneOptions& options, const std::filesystem::path& dir) {
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw Error(dir.string(), "", cat("cannot create the output folder: ", ec.message()));

    const std::vector<SyntheticView> views = synthetic_views(options);
    for (const char* split : {"train", "val", "test"}) {
        bool used = std::any_of(views.begin(), views.end(), [&](const SyntheticView& v) { return v.split == split; });
        if (used) fs::create_directories(dir / split);
    }

    // One posed scene per distinct time: the static scene needs only one.
    const SceneDescription description = synthetic_scene_description(options.kind, options.detail);
    const scene::PosedScene still(description, 0.0f);
    struct ImageStats {
        double alpha = 0, transparent = 0;
        glm::dvec3 colour{0.0};
    };
    std::vector<ImageStats> per_image(views.size());
    std::exception_ptr failure;
    std::mutex failure_mutex;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < views.size(); ++i) {
        try {
            const SyntheticView& v = views[i];
            Image img = description.dynamic
                            ? scene::PosedScene(description, v.time).render(v.camera, options.samples_per_axis, false)
                            : still.render(v.camera, options.samples_per_axis, false);
            ImageStats st;
            for (size_t p = 0; p < img.pixel_count(); ++p) {
                const float* px = &img.data[p * 4];
                st.alpha += px[3];
                st.transparent += px[3] == 0.0f;
                st.colour += glm::dvec3(px[0], px[1], px[2]) * double(px[3]);
            }
            per_image[i] = st;
            save_image(dir / (v.file + ".png"), img);
        } catch (...) {
            std::lock_guard<std::mutex> lock(failure_mutex);
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);

    auto split_views = [&](const std::string& split) {
        std::vector<const SyntheticView*> out;
        for (auto& v : views)
            if (v.split == split) out.push_back(&v);
        return out;
    };
    write_transforms(dir / "transforms_train.json", options, split_views("train"));
    write_transforms(dir / "transforms_test.json", options, split_views("test"));
    write_transforms(dir / "transforms_val.json", options, split_views(options.val_views > 0 ? "val" : "test"));

    PointCloud points = sample_synthetic_points(options, views);
    if (options.points > 0) write_point_ply(dir / "points3d.ply", points);
    save_json(dir / "scene.json", synthetic_scene_json(options));

    SyntheticSceneStats stats;
    stats.images = views.size();
    stats.points = points.size();
    double pixels = 0, alpha = 0, transparent = 0;
    glm::dvec3 colour(0.0);
    for (const ImageStats& st : per_image) {
        alpha += st.alpha;
        transparent += st.transparent;
        colour += st.colour;
    }
    pixels = double(views.size()) * options.width * options.height;
    stats.coverage = alpha / pixels;
    stats.transparent_fraction = transparent / pixels;
    stats.mean_color = alpha > 0 ? colour / alpha : glm::dvec3(0.0);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

} // namespace splatscape
