// The built-in synthetic scene: ray-tracer geometry, determinism, alpha, and the camera
// conventions end to end (known 3D points land where the images show them, through the cameras
// as the transforms files and the dataset loader give them back).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <glm/geometric.hpp>

#include "core/camera.hpp"
#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/scene/random.hpp"
#include "core/scene/ray_tracer.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;
using scene::PosedScene;

// ---- the ray tracer ---------------------------------------------------------------------------

// The look-at camera the scene generators, distill and the tests build their views with.
TEST(Camera, LookAtCentresTheTargetWithUpUpInTheImage) {
    Camera c;
    ASSERT_TRUE(Camera::look_at({3, -2, 1}, {0, 0, 0.5f}, {0, 0, 1}, 64, 48, 50, 50, 32, 24, c));
    float depth = 0;
    const glm::vec2 target = c.project({0, 0, 0.5f}, &depth);
    EXPECT_NEAR(target.x, 32.0f, 1e-4f);
    EXPECT_NEAR(target.y, 24.0f, 1e-4f);
    EXPECT_GT(depth, 0.0f);
    EXPECT_LT(c.project({0, 0, 1.0f}).y, 24.0f) << "a point above the target is higher in the image";
    EXPECT_LT(glm::length(c.center() - glm::vec3(3, -2, 1)), 1e-5f);
    Camera untouched;
    EXPECT_FALSE(Camera::look_at({0, 0, 2}, {0, 0, 0}, {0, 0, 1}, 64, 48, 50, 50, 32, 24, untouched));
    EXPECT_FALSE(Camera::look_at({1, 1, 1}, {1, 1, 1}, {0, 0, 1}, 64, 48, 50, 50, 32, 24, untouched));
    EXPECT_EQ(untouched.width, 0);
}

TEST(RayTracer, PolynomialRootsFindSimpleDoubleAndNoRoots) {
    double roots[4];
    // (x-1)(x-2)(x-3)(x-4) = x^4 - 10x^3 + 35x^2 - 50x + 24
    const double quartic[5] = {24, -50, 35, -10, 1};
    ASSERT_EQ(scene::polynomial_roots(quartic, 4, 0.0, 5.0, roots), 4);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(roots[i], i + 1.0, 1e-9);
    ASSERT_EQ(scene::polynomial_roots(quartic, 4, 2.5, 3.5, roots), 1);
    EXPECT_NEAR(roots[0], 3.0, 1e-9);
    // (x-1)^2 (x+2) = x^3 - 3x + 2: the double root sits on a critical point.
    const double cubic[4] = {2, -3, 0, 1};
    ASSERT_EQ(scene::polynomial_roots(cubic, 3, -3.0, 3.0, roots), 2);
    EXPECT_NEAR(roots[0], -2.0, 1e-9);
    EXPECT_NEAR(roots[1], 1.0, 1e-9);
    // x^4 + 1 has no real roots.
    const double none[5] = {1, 0, 0, 0, 1};
    EXPECT_EQ(scene::polynomial_roots(none, 4, -10.0, 10.0, roots), 0);
}

scene::SceneDescription single(scene::Shape shape, glm::vec3 size, glm::mat3 rotation = glm::mat3(1.0f)) {
    scene::SceneDescription s;
    scene::Primitive p;
    p.shape = shape;
    p.size = size;
    p.position = {0.3f, -0.2f, 0.5f};
    p.rotation = rotation;
    s.primitives.push_back(p);
    return s;
}

// Every shape: a ray fired back along the normal at a sampled surface point, from just outside,
// hits that very point with that normal; rays that pass outside the bounding sphere miss.
TEST(RayTracer, RaysAlongSampledNormalsHitTheSampledPoints) {
    const float c = std::cos(0.7f), s = std::sin(0.7f);
    const glm::mat3 tilt(1, 0, 0, 0, c, s, 0, -s, c);
    const std::vector<std::pair<scene::Shape, glm::vec3>> shapes = {
        {scene::Shape::Sphere, glm::vec3(0.4f)},        {scene::Shape::Box, {0.3f, 0.2f, 0.5f}},
        {scene::Shape::Cylinder, {0.25f, 0.25f, 0.4f}}, {scene::Shape::Cone, {0.3f, 0.3f, 0.35f}},
        {scene::Shape::Torus, {0.35f, 0.1f, 0.1f}},     {scene::Shape::Disc, glm::vec3(0.8f)}};
    for (auto& [shape, size] : shapes) {
        SCOPED_TRACE(scene::to_string(shape));
        const scene::SceneDescription description = single(shape, size, tilt);
        PosedScene posed(description, 0.0f);
        scene::Rng rng(11);
        for (int i = 0; i < 300; ++i) {
            scene::Hit h = posed.sample_surface(0, rng);
            glm::vec3 p = posed.world_point(h), n = posed.world_normal(h);
            const float back = 0.03f;
            auto hit = posed.intersect(p + back * n, -n);
            ASSERT_TRUE(hit.has_value()) << "sample " << i;
            EXPECT_NEAR(hit->distance, back, 2e-4f);
            EXPECT_LT(glm::length(posed.world_point(*hit) - p), 2e-4f);
            EXPECT_GT(glm::dot(posed.world_normal(*hit), n), 0.999f);
        }
        glm::vec3 centre = posed.pose(0).position;
        float r = scene::bounding_radius(posed.description().primitives[0]);
        EXPECT_FALSE(posed.intersect(centre + glm::vec3(-5.0f, r + 0.01f, 0.0f), {1.0f, 0.0f, 0.0f}).has_value());
    }
}

TEST(RayTracer, TorusHasAHoleAndHitsItsOuterRim) {
    const scene::SceneDescription description = single(scene::Shape::Torus, {0.35f, 0.1f, 0.1f});
    PosedScene posed(description, 0.0f);
    glm::vec3 centre = posed.pose(0).position;
    // Down the axis: through the hole.
    EXPECT_FALSE(posed.intersect(centre + glm::vec3(0, 0, 3), {0, 0, -1}).has_value());
    // Along x through the centre: first the outer rim at R + r, then three more surfaces behind.
    auto hit = posed.intersect(centre - glm::vec3(2, 0, 0), {1, 0, 0});
    ASSERT_TRUE(hit.has_value());
    EXPECT_NEAR(hit->distance, 2.0f - 0.45f, 1e-5f);
    auto second = posed.intersect(centre - glm::vec3(2, 0, 0), {1, 0, 0}, hit->distance + 1e-4f);
    ASSERT_TRUE(second.has_value());
    EXPECT_NEAR(second->distance, 2.0f - 0.25f, 1e-5f);
    // Grazing the top of the tube (z = r) from the side: tangent, one touching point at most;
    // slightly above: a miss.
    EXPECT_FALSE(posed.intersect(centre + glm::vec3(-2, 0, 0.1001f), {1, 0, 0}).has_value());
}

TEST(RayTracer, MotionMovesChildrenWithTheirParents) {
    scene::SceneDescription s = synthetic_scene_description(SyntheticSceneKind::Dynamic);
    auto landmarks0 = synthetic_landmarks(SyntheticSceneKind::Dynamic, 0.0f);
    auto landmarks1 = synthetic_landmarks(SyntheticSceneKind::Dynamic, 0.5f);
    std::map<std::string, glm::vec3> at0, at1;
    for (auto& l : landmarks0) at0[l.name] = l.position;
    for (auto& l : landmarks1) at1[l.name] = l.position;
    // The red sphere rises 0.35 by t = 0.5 and carries the yellow marker with it.
    EXPECT_NEAR(at1["red_sphere"].z - at0["red_sphere"].z, 0.35f, 1e-5f);
    EXPECT_LT(glm::length((at1["marker_yellow"] - at0["marker_yellow"]) - glm::vec3(0, 0, 0.35f)), 1e-5f);
    // The cone stands still; the static scene equals the dynamic one at t = 0.
    EXPECT_EQ(at0["cone"], at1["cone"]);
    auto still = synthetic_landmarks(SyntheticSceneKind::Shapes, 0.7f);
    for (auto& l : still) EXPECT_EQ(l.position, at0[l.name]) << l.name;
}

// render() traces each ray only against its tile's candidates; with one ray per pixel it must
// cover exactly the pixels whose centre ray, traced against everything, hits something. Cameras
// far away, close up (inside the ground's bounding sphere) and with a wide angle.
TEST(RayTracer, TileCullingDropsNothing) {
    const scene::SceneDescription description = synthetic_scene_description(SyntheticSceneKind::Shapes);
    PosedScene posed(description, 0.0f);
    auto look_at = [](glm::vec3 eye, glm::vec3 target, int w, int h, float fx) {
        glm::vec3 z = glm::normalize(target - eye), x = glm::normalize(glm::cross(z, glm::vec3(0, 0, 1)));
        glm::mat4 c2w(glm::vec4(x, 0), glm::vec4(glm::cross(z, x), 0), glm::vec4(z, 0), glm::vec4(eye, 1));
        return Camera::from_camera_to_world(c2w, w, h, fx, fx, 0.5f * w, 0.5f * h);
    };
    const std::vector<Camera> cameras = {look_at({4, 0.5f, 1.5f}, {0, 0, 0.3f}, 120, 90, 150.0f),
                                         look_at({0.9f, -0.6f, 0.7f}, {0, 0, 0.3f}, 100, 100, 50.0f),
                                         look_at({-2.5f, 2.0f, 2.5f}, {0.2f, 0, 0}, 160, 100, 60.0f)};
    for (const Camera& cam : cameras) {
        Image img = posed.render(cam, 1);
        std::vector<int> ids = posed.primitive_ids(cam);
        size_t covered = 0;
        for (int y = 0; y < cam.height; ++y)
            for (int x = 0; x < cam.width; ++x) {
                bool hit = ids[size_t(y) * cam.width + x] >= 0;
                covered += hit;
                ASSERT_EQ(img.pixel(x, y)[3], hit ? 1.0f : 0.0f) << "(" << x << ", " << y << ")";
            }
        EXPECT_GT(covered, img.pixel_count() / 20);
    }
}

// ---- generated datasets -----------------------------------------------------------------------

SyntheticSceneOptions small_options(SyntheticSceneKind kind = SyntheticSceneKind::Shapes) {
    SyntheticSceneOptions o;
    o.kind = kind;
    o.width = 64;
    o.height = 48;
    o.train_views = 4;
    o.test_views = 2;
    o.samples_per_axis = 2;
    o.points = 300;
    o.seed = 7;
    return o;
}

std::map<std::string, std::string> folder_bytes(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_file_text(e.path());
    return files;
}

TEST(SyntheticScene, SameSeedGivesIdenticalBytesAndOtherSeedsDiffer) {
    test::TempDir dir("synthetic_determinism");
    for (SyntheticSceneKind kind : {SyntheticSceneKind::Shapes, SyntheticSceneKind::Dynamic}) {
        SCOPED_TRACE(to_string(kind));
        SyntheticSceneOptions o = small_options(kind);
        generate_synthetic_scene(o, dir / "a");
        generate_synthetic_scene(o, dir / "b");
        o.seed = 8;
        generate_synthetic_scene(o, dir / "c");
        auto a = folder_bytes(dir / "a"), b = folder_bytes(dir / "b"), c = folder_bytes(dir / "c");
        ASSERT_EQ(a.size(), 3u + 4u + 2u + 2u) << "3 transforms, 6 images, points3d.ply, scene.json";
        EXPECT_TRUE(a == b);
        ASSERT_EQ(a.size(), c.size());
        int differing_images = 0;
        for (auto& [name, bytes] : a)
            if (name.size() > 4 && name.substr(name.size() - 4) == ".png" && bytes != c[name]) ++differing_images;
        EXPECT_EQ(differing_images, 6);
        EXPECT_NE(a["points3d.ply"], c["points3d.ply"]);
        for (auto* d : {"a", "b", "c"}) fs::remove_all(dir / d);
    }
}

TEST(SyntheticScene, RejectsOptionsOutOfRange) {
    auto expect_usage = [](const std::function<void(SyntheticSceneOptions&)>& change) {
        SyntheticSceneOptions o;
        change(o);
        EXPECT_THROW(o.validate(), UsageError);
    };
    expect_usage([](auto& o) { o.width = 0; });
    expect_usage([](auto& o) { o.height = 100000; });
    expect_usage([](auto& o) { o.train_views = 0; });
    expect_usage([](auto& o) { o.test_views = -1; });
    expect_usage([](auto& o) { o.samples_per_axis = 0; });
    expect_usage([](auto& o) { o.camera_angle_x = std::nanf(""); });
    expect_usage([](auto& o) { o.points = -5; });
    EXPECT_NO_THROW(SyntheticSceneOptions{}.validate());
    EXPECT_THROW(parse_synthetic_scene_kind("lego"), UsageError);
    EXPECT_EQ(parse_synthetic_scene_kind("static"), SyntheticSceneKind::Shapes);
    EXPECT_EQ(parse_synthetic_scene_kind("dynamic"), SyntheticSceneKind::Dynamic);
}

// Pixels far (2 px) from any pixel whose centre ray hits are fully transparent, colour 0 as well
// (no shape here is thin enough to reach into them between the pixel centres); pixels inside an
// object's image are opaque; both kinds are common in the images.
TEST(SyntheticScene, MissedRaysAreTransparentAndSurfacesOpaque) {
    test::TempDir dir("synthetic_alpha");
    SyntheticSceneOptions o = small_options();
    o.width = 96;
    o.height = 80;
    o.samples_per_axis = 4;
    o.points = 0;
    auto views = synthetic_views(o);
    generate_synthetic_scene(o, dir.path());
    EXPECT_FALSE(fs::exists(dir / "points3d.ply"));
    const scene::SceneDescription description = synthetic_scene_description(o.kind);
    PosedScene posed(description, 0.0f);
    std::vector<scene::Shape> shapes;
    for (auto& p : posed.description().primitives) shapes.push_back(p.shape);
    size_t clear = 0, solid = 0, total = 0;
    for (auto& v : views) {
        Image img = load_image(dir / (v.file + ".png"));
        ASSERT_EQ(img.channels, 4);
        ASSERT_EQ(img.width, o.width);
        std::vector<int> ids = posed.primitive_ids(v.camera);
        auto id = [&](int x, int y) { return ids[size_t(y) * o.width + x]; };
        for (int y = 2; y + 2 < o.height; ++y) {
            for (int x = 2; x + 2 < o.width; ++x) {
                // A convex shape's image is convex, so when the 3x3 pixel centres around a pixel all
                // see the same convex shape, so does every ray through the pixel's area.
                const int centre = id(x, y);
                bool all_miss = true, all_hit = centre >= 0 && shapes[size_t(centre)] != scene::Shape::Torus;
                for (int dy = -2; dy <= 2; ++dy)
                    for (int dx = -2; dx <= 2; ++dx) {
                        all_miss &= id(x + dx, y + dy) < 0;
                        if (std::abs(dx) <= 1 && std::abs(dy) <= 1) all_hit &= id(x + dx, y + dy) == centre;
                    }
                const float* px = img.pixel(x, y);
                ++total;
                if (all_miss) {
                    ++clear;
                    ASSERT_EQ(px[3], 0.0f) << v.file << " (" << x << ", " << y << ")";
                    ASSERT_EQ(px[0] + px[1] + px[2], 0.0f);
                } else if (all_hit) {
                    ++solid;
                    ASSERT_EQ(px[3], 1.0f) << v.file << " (" << x << ", " << y << ")";
                }
            }
        }
    }
    EXPECT_GT(clear, total / 20);
    EXPECT_GT(solid, total / 5);
}

TEST(SyntheticScene, PointsLieOnSeenSurfacesWithAlbedoColours) {
    test::TempDir dir("synthetic_points");
    SyntheticSceneOptions o = small_options();
    o.points = 2000;
    o.train_views = 8;
    generate_synthetic_scene(o, dir.path());
    PointCloud pts = read_point_ply(dir / "points3d.ply");
    ASSERT_EQ(pts.size(), 2000u);
    const scene::SceneDescription description = synthetic_scene_description(o.kind);
    PosedScene posed(description, 0.0f);
    std::vector<Camera> cameras;
    for (auto& v : synthetic_views(o))
        if (v.split == "train") cameras.push_back(v.camera);
    size_t ground = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        glm::vec3 p{pts.positions[3 * i], pts.positions[3 * i + 1], pts.positions[3 * i + 2]};
        // On a surface that a train camera sees: the ray from some camera centre towards the point
        // first meets the scene at the point.
        bool seen = false;
        for (const Camera& cam : cameras) {
            glm::vec3 to = p - cam.center();
            auto hit = posed.intersect(cam.center(), to / glm::length(to));
            if (hit && std::abs(hit->distance - glm::length(to)) < 1e-3f) seen = true;
        }
        ASSERT_TRUE(seen) << "point " << i << " at " << p.x << ", " << p.y << ", " << p.z;
        if (std::abs(p.z) < 1e-5f) ++ground;
        for (int k = 0; k < 3; ++k) {
            ASSERT_GE(pts.colors[3 * i + k], 0.0f);
            ASSERT_LE(pts.colors[3 * i + k], 1.0f);
        }
    }
    // The ground disc is most of the visible area (7.1 of about 10 square units).
    EXPECT_GT(ground, pts.size() / 3);
    EXPECT_LT(ground, pts.size() * 9 / 10);
}

// ---- camera conventions end to end ------------------------------------------------------------

struct Blob {
    int count = 0;
    glm::vec2 centroid{0.0f};
};

// Opaque pixels within 0.1 of `colour` per channel (the interior of a marker's disc).
Blob find_colour(const Image& rgba, glm::vec3 colour) {
    Blob b;
    glm::dvec2 sum(0.0);
    for (int y = 0; y < rgba.height; ++y)
        for (int x = 0; x < rgba.width; ++x) {
            const float* p = rgba.pixel(x, y);
            if (p[3] < 0.99f) continue;
            if (std::abs(p[0] - colour.x) > 0.1f || std::abs(p[1] - colour.y) > 0.1f ||
                std::abs(p[2] - colour.z) > 0.1f)
                continue;
            ++b.count;
            sum += glm::dvec2(x + 0.5, y + 0.5);
        }
    if (b.count) b.centroid = glm::vec2(sum / double(b.count));
    return b;
}

bool matches(const Image& rgba, glm::vec2 pixel, glm::vec3 colour) {
    int x = int(std::floor(pixel.x)), y = int(std::floor(pixel.y));
    if (x < 0 || y < 0 || x >= rgba.width || y >= rgba.height) return false;
    const float* p = rgba.pixel(x, y);
    return p[3] > 0.99f && std::abs(p[0] - colour.x) < 0.1f && std::abs(p[1] - colour.y) < 0.1f &&
           std::abs(p[2] - colour.z) < 0.1f;
}

// Whether the whole marker sphere is seen by `camera`: rays to points just inside its silhouette
// reach it first, and its disc lies inside the image with a margin.
bool fully_visible(const PosedScene& posed, const Camera& camera, const SyntheticLandmark& m) {
    glm::vec3 eye = camera.center();
    glm::vec3 view = glm::normalize(m.position - eye);
    glm::vec3 a = glm::normalize(glm::cross(view, glm::vec3(0, 0, 1))), b = glm::cross(view, a);
    float depth;
    glm::vec2 centre = camera.project(m.position, &depth);
    float r_px = camera.fx * m.radius / depth + 2.0f;
    if (depth <= 0 || centre.x < r_px || centre.y < r_px || centre.x > camera.width - r_px ||
        centre.y > camera.height - r_px)
        return false;
    for (int k = 0; k <= 8; ++k) {
        float th = float(k) * 0.785398f;
        glm::vec3 target = k == 8 ? m.position : m.position + 0.95f * m.radius * (std::cos(th) * a + std::sin(th) * b);
        auto hit = posed.intersect(eye, glm::normalize(target - eye));
        if (!hit || hit->primitive != m.primitive) return false;
    }
    return true;
}

struct PosedFrame {
    std::string name;
    fs::path image;
    Camera camera;
    float time = 0.0f;
};

// For every frame and marker: when the marker is fully in view, its projected centre lands on a
// pixel of its colour and on the centroid of those pixels; a marker that is not in view may
// not show at all (its colour is unique). Object centres in view project onto opaque pixels.
// Returns how many (frame, marker) pairs were checked.
int check_landmarks(SyntheticSceneKind kind, const std::vector<PosedFrame>& frames) {
    int checked = 0;
    for (auto& f : frames) {
        SCOPED_TRACE(f.name);
        Image img = load_image(f.image);
        EXPECT_EQ(img.channels, 4);
        const scene::SceneDescription description = synthetic_scene_description(kind);
        PosedScene posed(description, f.time);
        for (const SyntheticLandmark& l : synthetic_landmarks(kind, f.time)) {
            float depth;
            glm::vec2 px = f.camera.project(l.position, &depth);
            if (!l.marker) {
                // The torus's centre is in its hole: only centres on a line of sight to a surface count.
                bool inside = depth > 0 && px.x >= 0 && px.y >= 0 && px.x < img.width && px.y < img.height;
                glm::vec3 eye = f.camera.center();
                if (inside && posed.intersect(eye, glm::normalize(l.position - eye))) {
                    EXPECT_GT(img.pixel(int(px.x), int(px.y))[3], 0.99f)
                        << l.name << " centre at " << px.x << ", " << px.y;
                }
                continue;
            }
            Blob blob = find_colour(img, l.color);
            if (!fully_visible(posed, f.camera, l)) continue;
            ++checked;
            float r_px = f.camera.fx * l.radius / depth;
            EXPECT_TRUE(matches(img, px, l.color)) << l.name << " projects to " << px.x << ", " << px.y;
            EXPECT_GT(blob.count, int(0.5f * 3.14159f * r_px * r_px)) << l.name;
            EXPECT_LT(glm::length(blob.centroid - px), 0.5f)
                << l.name << ": pixels centred at " << blob.centroid.x << ", " << blob.centroid.y << ", projection "
                << px.x << ", " << px.y;
        }
    }
    return checked;
}

// Cameras read straight from the transforms files, as the NeRF-synthetic convention defines
// them: focal = 0.5 W / tan(0.5 camera_angle_x), principal point at the image centre,
// transform_matrix rows of an OpenGL camera-to-world matrix.
std::vector<PosedFrame> frames_from_transforms(const fs::path& dir, const std::string& split, int width, int height) {
    Json j = load_json(dir / ("transforms_" + split + ".json"));
    float focal = 0.5f * float(width) / std::tan(0.5f * j["camera_angle_x"].get<float>());
    std::vector<PosedFrame> frames;
    for (auto& f : j["frames"]) {
        glm::mat4 gl(1.0f);
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) gl[c][r] = f["transform_matrix"][r][c].get<float>();
        PosedFrame pf;
        pf.name = f["file_path"].get<std::string>();
        pf.image = dir / (pf.name + ".png");
        pf.camera = Camera::from_camera_to_world(opengl_to_opencv_c2w(gl), width, height, focal, focal, 0.5f * width,
                                                 0.5f * height);
        if (f.contains("time")) pf.time = f["time"].get<float>();
        frames.push_back(pf);
    }
    return frames;
}

std::vector<PosedFrame> frames_from_loader(const Dataset& d) {
    std::vector<PosedFrame> frames;
    for (auto* split : {&d.train, &d.test})
        for (const Frame& f : *split) frames.push_back({f.name, f.image, f.camera, f.time.value_or(0.0f)});
    return frames;
}

SyntheticSceneOptions convention_options(SyntheticSceneKind kind) {
    SyntheticSceneOptions o;
    o.kind = kind;
    o.train_views = 10;
    o.test_views = 4;
    o.points = 500;
    o.seed = 3;
    return o;
}

TEST(SyntheticScene, MarkersLandWhereTheCamerasProjectThem) {
    test::TempDir dir("synthetic_conventions");
    const SyntheticSceneOptions o = convention_options(SyntheticSceneKind::Shapes);
    generate_synthetic_scene(o, dir.path());

    // 1. The generator's own cameras.
    std::vector<PosedFrame> own;
    for (auto& v : synthetic_views(o)) own.push_back({v.file, dir / (v.file + ".png"), v.camera, v.time});
    int checked = check_landmarks(o.kind, own);
    EXPECT_GE(checked, int(own.size()) * 2) << "too few markers in full view to test anything";

    // 2. The cameras as the transforms files state them.
    std::vector<PosedFrame> from_files = frames_from_transforms(dir.path(), "train", o.width, o.height);
    auto test_frames = frames_from_transforms(dir.path(), "test", o.width, o.height);
    from_files.insert(from_files.end(), test_frames.begin(), test_frames.end());
    ASSERT_EQ(from_files.size(), own.size());
    for (size_t i = 0; i < own.size(); ++i) {
        EXPECT_LT(glm::length(from_files[i].camera.center() - own[i].camera.center()), 1e-5f);
        glm::vec2 a = from_files[i].camera.project({0.2f, -0.3f, 0.4f}), b = own[i].camera.project({0.2f, -0.3f, 0.4f});
        EXPECT_LT(glm::length(a - b), 1e-3f);
    }
    EXPECT_EQ(check_landmarks(o.kind, from_files), checked);
    // transforms_val.json lists the test views when no extra val views are asked for.
    EXPECT_EQ(load_json(dir / "transforms_val.json"), load_json(dir / "transforms_test.json"));

    // 3. The cameras as the Blender loader reads them back.
    Dataset d = load_dataset(dir.path());
    EXPECT_EQ(d.train.size(), size_t(o.train_views));
    EXPECT_EQ(d.test.size(), size_t(o.test_views));
    EXPECT_FALSE(d.dynamic);
    EXPECT_EQ(d.points.size(), size_t(o.points));
    EXPECT_EQ(check_landmarks(o.kind, frames_from_loader(d)), checked);
}

TEST(SyntheticScene, DynamicFramesCarryTimesAndObjectsMove) {
    test::TempDir dir("synthetic_dynamic");
    const SyntheticSceneOptions o = convention_options(SyntheticSceneKind::Dynamic);
    generate_synthetic_scene(o, dir.path());

    // Times: train from 0 to 1 in order, test in between; each frame its own camera.
    Json train = load_json(dir / "transforms_train.json");
    ASSERT_EQ(train["frames"].size(), size_t(o.train_views));
    float previous = -1.0f;
    for (auto& f : train["frames"]) {
        ASSERT_TRUE(f.contains("time"));
        float t = f["time"].get<float>();
        EXPECT_GT(t, previous);
        previous = t;
    }
    EXPECT_EQ(train["frames"][0]["time"].get<float>(), 0.0f);
    EXPECT_EQ(previous, 1.0f);
    const Json test = load_json(dir / "transforms_test.json");
    for (auto& f : test["frames"]) {
        float t = f["time"].get<float>();
        EXPECT_GT(t, 0.0f);
        EXPECT_LT(t, 1.0f);
    }

    // The markers are where their positions at each frame's time project.
    std::vector<PosedFrame> frames = frames_from_transforms(dir.path(), "train", o.width, o.height);
    auto test_frames = frames_from_transforms(dir.path(), "test", o.width, o.height);
    frames.insert(frames.end(), test_frames.begin(), test_frames.end());
    EXPECT_GE(check_landmarks(o.kind, frames), int(frames.size()) * 2);

    // One camera, two times: the yellow marker rides up on the red sphere, and the image shows it
    // at its new place and no longer at its old one.
    SyntheticLandmark yellow0, yellow1;
    for (auto& l : synthetic_landmarks(o.kind, 0.0f))
        if (l.name == "marker_yellow") yellow0 = l;
    for (auto& l : synthetic_landmarks(o.kind, 0.5f))
        if (l.name == "marker_yellow") yellow1 = l;
    ASSERT_EQ(yellow0.name, "marker_yellow");
    const glm::vec3 p0 = yellow0.position, p1 = yellow1.position;
    const SyntheticLandmark& yellow = yellow0;
    const scene::SceneDescription description = synthetic_scene_description(o.kind);
    PosedScene posed0(description, 0.0f), posed1(description, 0.5f);
    std::optional<SyntheticView> chosen;
    for (auto& v : synthetic_views(o))
        if (!chosen && fully_visible(posed0, v.camera, yellow0) && fully_visible(posed1, v.camera, yellow1)) chosen = v;
    ASSERT_TRUE(chosen.has_value()) << "no view sees the yellow marker at both times";
    const SyntheticView& view = *chosen;
    glm::vec2 px0 = view.camera.project(p0), px1 = view.camera.project(p1);
    ASSERT_GT(glm::length(px1 - px0), 10.0f) << "the marker should move on screen";
    Image at0 = render_synthetic_view(o.kind, view.camera, 0.0f);
    Image at1 = render_synthetic_view(o.kind, view.camera, 0.5f);
    EXPECT_TRUE(matches(at0, px0, yellow.color));
    EXPECT_FALSE(matches(at0, px1, yellow.color));
    EXPECT_TRUE(matches(at1, px1, yellow.color));
    EXPECT_FALSE(matches(at1, px0, yellow.color));

    // The loader sees a dynamic dataset with the same times.
    Dataset d = load_dataset(dir.path());
    EXPECT_TRUE(d.dynamic);
    ASSERT_EQ(d.train.size(), size_t(o.train_views));
    for (size_t i = 0; i < d.train.size(); ++i) {
        ASSERT_TRUE(d.train[i].time.has_value());
        EXPECT_FLOAT_EQ(*d.train[i].time, train["frames"][i]["time"].get<float>());
    }
    EXPECT_GE(check_landmarks(o.kind, frames_from_loader(d)), int(frames.size()) * 2);
}

} // namespace
} // namespace splatscape
