#pragma once
// An exact, deterministic ray tracer for the built-in synthetic scenes: analytic ray-primitive
// intersections (sphere, box, capped cylinder, capped cone, torus, disc), procedural textures,
// a directional key light with hard shadows, hemispherical ambient light and an optional
// Blinn-Phong highlight. No random sampling anywhere: a pixel is the average of a fixed
// stratified grid of rays over its area, so the same scene and camera give the same bytes.
// The world frame is the scene's (the built-in scenes use +z up, as Blender does); cameras are in
// the internal OpenCV convention (core/camera.hpp).
#include <optional>
#include <string>
#include <vector>

#include <glm/mat3x3.hpp>
#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "core/scene/procedural_texture.hpp"

namespace splatscape::scene {

class Rng;

enum class Shape {
    Sphere,   // size.x = radius
    Box,      // size = half extents
    Cylinder, // size.x = radius, size.z = half height; axis local z, capped
    Cone,     // size.x = base radius, size.z = half height; base at z = -h, apex at z = +h, base capped
    Torus,    // size.x = major radius (centre to tube centre), size.y = tube radius; axis local z
    Disc,     // size.x = radius; the plane z = 0, seen from both sides
};

std::string to_string(Shape shape);

struct Material {
    Texture texture;
    float specular = 0.0f; // weight of a white Blinn-Phong highlight (the view-dependent term)
    float shininess = 16.0f;
    bool emissive = false; // unlit: always texture colour (markers, so their colour is known exactly)
};

// Motion over normalised time t in [0, 1]: the pose at t is
//   position(t) = position + velocity t + amplitude sin(2 pi (frequency t + phase))
//   rotation(t) = rotate(spin_axis, spin t) * rotation
// A primitive with a parent takes its position in the parent's local frame at time t and its
// rotation relative to the parent's.
struct Motion {
    glm::vec3 velocity{0.0f};  // units per unit time
    glm::vec3 amplitude{0.0f}; // units
    float frequency = 1.0f;    // cycles per unit time
    float phase = 0.0f;        // cycles
    glm::vec3 spin_axis{0.0f, 0.0f, 1.0f};
    float spin = 0.0f; // radians over t in [0, 1]
    bool is_static() const;
};

struct Primitive {
    std::string name;
    Shape shape = Shape::Sphere;
    glm::vec3 size{1.0f};
    glm::vec3 position{0.0f}; // local origin (the object's centre) at t = 0
    glm::mat3 rotation{1.0f}; // local -> world (or -> parent) at t = 0
    Motion motion;
    int parent = -1;
    Material material;
    bool casts_shadow = true;
    bool marker = false; // a small emissive sphere placed to check camera conventions
};

struct Lighting {
    glm::vec3 direction{0.0f, 0.0f, 1.0f}; // towards the key light, unit, world frame
    float key = 0.7f;                      // key light intensity
    float ambient = 0.3f;                  // ambient intensity facing the sky...
    float ambient_ground = 0.22f;          // ...and facing the ground (interpolated by normal . up)
    glm::vec3 up{0.0f, 0.0f, 1.0f};
};

struct SceneDescription {
    std::vector<Primitive> primitives;
    Lighting lighting;
    bool dynamic = false;
};

struct Pose {
    glm::mat3 rotation{1.0f}; // local -> world
    glm::vec3 position{0.0f};
};

// Rotation by `radians` about `axis` (any length > 0), right-handed; exactly the identity for 0.
glm::mat3 rotation_about(glm::vec3 axis, float radians);
// The pose of primitive `index` at time t (parents applied).
Pose pose_at(const SceneDescription& scene, int index, float time);
// Bounding-sphere radius of a primitive about its local origin.
float bounding_radius(const Primitive& primitive);
// Surface area (all faces, caps included; a disc counts one side).
float surface_area(const Primitive& primitive);

struct Hit {
    int primitive = -1;
    float distance = 0.0f;     // along the unit ray direction
    glm::vec3 local_point{0};  // in the primitive's local frame
    glm::vec3 local_normal{0}; // unit, outward (for a disc: +z)
};

// A scene frozen at one time: world poses and bounding spheres, ready for tracing. Thread-safe to
// read from many threads.
class PosedScene {
public:
    // Keeps a reference to `scene`, which must outlive this object.
    PosedScene(const SceneDescription& scene, float time);
    PosedScene(SceneDescription&&, float) = delete;

    const SceneDescription& description() const { return m_scene; }
    float time() const { return m_time; }
    const Pose& pose(int index) const { return m_poses[size_t(index)]; }
    size_t size() const { return m_poses.size(); }

    // First hit along origin + s dir (dir unit) with s in (min_distance, max_distance); `candidates`
    // restricts the search to those primitives (nullptr: all of them).
    std::optional<Hit> intersect(glm::vec3 origin, glm::vec3 dir, float min_distance = 0.0f, float max_distance = 1e30f,
                                 const std::vector<int>* candidates = nullptr) const;
    // Whether anything that casts shadows lies on origin + s dir, s in (0, max_distance).
    // `receiver` (a primitive index, or -1) is skipped when it is convex: a ray leaving a convex
    // surface on its lit side cannot meet that surface again.
    bool occluded(glm::vec3 origin, glm::vec3 dir, float max_distance = 1e30f, int receiver = -1) const;
    // Radiance seen along `dir` at a hit (texture, lighting, shadow, highlight), in [0, 1].
    glm::vec3 shade(const Hit& hit, glm::vec3 dir) const;
    // Albedo (texture colour) at a hit.
    glm::vec3 albedo(const Hit& hit) const;
    glm::vec3 world_point(const Hit& hit) const;
    glm::vec3 world_normal(const Hit& hit) const;

    // Renders an RGBA image (straight alpha: colour is the mean over the pixel's rays that hit
    // something, alpha the fraction that hit). `samples_per_axis`^2 rays per pixel on a regular
    // grid over the pixel's area. Rows are rendered in parallel unless `parallel` is false.
    Image render(const Camera& camera, int samples_per_axis, bool parallel = true) const;
    // The index of the primitive seen through each pixel centre (-1: none), [height, width]; the
    // rays are render()'s with one sample per pixel, traced against every primitive.
    std::vector<int> primitive_ids(const Camera& camera) const;
    // For each `tile` x `tile` block of pixels (row-major), the primitives that a ray through the
    // block may hit: render() traces each ray against its block's list only.
    std::vector<std::vector<int>> tile_candidates(const Camera& camera, int tile) const;

    // A uniformly distributed point on the surface of primitive `index` (local frame), with its
    // normal; draws from `rng`.
    Hit sample_surface(int index, Rng& rng) const;

private:
    // What tracing needs of a primitive, packed together.
    struct Placed {
        glm::mat3 to_local{1.0f}; // world -> local rotation
        glm::vec3 position{0.0f};
        float radius = 0.0f; // bounding sphere about `position`
        Shape shape = Shape::Sphere;
        glm::vec3 size{0.0f};
        bool casts_shadow = true;
        bool convex = true;
    };

    SceneDescription m_scene;
    float m_time;
    std::vector<Pose> m_poses;
    std::vector<Placed> m_placed;
};

// Real roots of c[0] + c[1] x + ... + c[degree] x^degree (degree <= 4) in [lo, hi], ascending,
// the first `max_roots` of them. Isolates roots between the roots of the derivative, then refines
// each bracket by safeguarded Newton steps, so it neither misses nor invents roots of nearly
// tangent rays the way closed-form quartic formulas can. Returns the number written to `roots`.
int polynomial_roots(const double* c, int degree, double lo, double hi, double* roots, int max_roots = 4);

} // namespace splatscape::scene
