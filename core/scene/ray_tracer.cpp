#include "core/scene/ray_tracer.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <glm/common.hpp>
#include <glm/geometric.hpp>
#include <glm/matrix.hpp>
#include <glm/vec2.hpp>

#include "core/error.hpp"
#include "core/scene/random.hpp"

namespace splatscape::scene {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr int kTile = 8; // pixels per side of the tiles whose candidate primitives are culled together

using glm::dmat3;
using glm::dvec3;

Pose local_pose(const Primitive& p, float t) {
    const Motion& m = p.motion;
    Pose pose;
    pose.position = p.position;
    pose.rotation = p.rotation;
    if (m.is_static()) return pose;
    pose.position += m.velocity * t + m.amplitude * float(std::sin(2.0 * kPi * (double(m.frequency) * t + m.phase)));
    if (m.spin != 0.0f) pose.rotation = rotation_about(m.spin_axis, m.spin * t) * p.rotation;
    return pose;
}

// Candidate hit of a canonical shape: keeps the nearest one inside (tmin, tmax).
struct Nearest {
    double tmin, tmax;
    double t = 0;
    dvec3 normal{0};
    bool found = false;
    void offer(double candidate, dvec3 n) {
        if (candidate > tmin && candidate < tmax && (!found || candidate < t)) {
            t = candidate;
            normal = n;
            found = true;
        }
    }
};

void hit_sphere(dvec3 o, dvec3 d, double r, Nearest& out) {
    // Distance of the centre from the ray rather than b^2 - c: no cancellation for small, far spheres.
    double b = glm::dot(o, d);
    dvec3 q = o - b * d;
    double h2 = r * r - glm::dot(q, q);
    if (h2 < 0) return;
    double h = std::sqrt(h2);
    for (double t : {-b - h, -b + h}) out.offer(t, (o + t * d) / r);
}

void hit_box(dvec3 o, dvec3 d, dvec3 half, Nearest& out) {
    double t_near = -1e300, t_far = 1e300;
    int axis_near = 0, axis_far = 0;
    for (int a = 0; a < 3; ++a) {
        if (d[a] == 0.0) {
            if (std::abs(o[a]) > half[a]) return;
            continue;
        }
        double t0 = (-half[a] - o[a]) / d[a], t1 = (half[a] - o[a]) / d[a];
        if (t0 > t1) std::swap(t0, t1);
        if (t0 > t_near) t_near = t0, axis_near = a;
        if (t1 < t_far) t_far = t1, axis_far = a;
    }
    if (t_near > t_far) return;
    dvec3 n_near(0), n_far(0);
    n_near[axis_near] = d[axis_near] > 0 ? -1.0 : 1.0;
    n_far[axis_far] = d[axis_far] > 0 ? 1.0 : -1.0;
    out.offer(t_near, n_near);
    out.offer(t_far, n_far);
}

void hit_cylinder(dvec3 o, dvec3 d, double r, double h, Nearest& out) {
    double a = d.x * d.x + d.y * d.y;
    if (a > 1e-14) {
        double b = o.x * d.x + o.y * d.y, c = o.x * o.x + o.y * o.y - r * r;
        double disc = b * b - a * c;
        if (disc >= 0) {
            double sq = std::sqrt(disc);
            for (double t : {(-b - sq) / a, (-b + sq) / a}) {
                dvec3 p = o + t * d;
                if (std::abs(p.z) <= h) out.offer(t, dvec3(p.x / r, p.y / r, 0));
            }
        }
    }
    if (d.z != 0.0) {
        for (double s : {-1.0, 1.0}) {
            double t = (s * h - o.z) / d.z;
            dvec3 p = o + t * d;
            if (p.x * p.x + p.y * p.y <= r * r) out.offer(t, dvec3(0, 0, s));
        }
    }
}

void hit_cone(dvec3 o, dvec3 d, double r, double h, Nearest& out) {
    // Lateral surface x^2 + y^2 = k^2 (h - z)^2 for z in [-h, h], k = r / (2h).
    double k = r / (2 * h), k2 = k * k, w = h - o.z;
    double a = d.x * d.x + d.y * d.y - k2 * d.z * d.z;
    double b = o.x * d.x + o.y * d.y + k2 * w * d.z; // half of the linear coefficient
    double c = o.x * o.x + o.y * o.y - k2 * w * w;
    auto lateral = [&](double t) {
        dvec3 p = o + t * d;
        if (p.z < -h || p.z > h) return;
        out.offer(t, glm::normalize(dvec3(p.x, p.y, k2 * (h - p.z))));
    };
    if (std::abs(a) > 1e-14) {
        double disc = b * b - a * c;
        if (disc >= 0) {
            double sq = std::sqrt(disc);
            lateral((-b - sq) / a);
            lateral((-b + sq) / a);
        }
    } else if (b != 0.0) {
        lateral(-c / (2 * b)); // ray parallel to a generator line
    }
    if (d.z != 0.0) {
        double t = (-h - o.z) / d.z;
        dvec3 p = o + t * d;
        if (p.x * p.x + p.y * p.y <= r * r) out.offer(t, dvec3(0, 0, -1));
    }
}

void hit_torus(dvec3 o, dvec3 d, double major, double minor, Nearest& out) {
    // Clip to the bounding sphere first and solve from its entry point: the quartic's coefficients
    // then stay small and well conditioned.
    double bound = major + minor;
    double b = glm::dot(o, d);
    dvec3 q = o - b * d;
    double h2 = bound * bound - glm::dot(q, q);
    if (h2 <= 0) return;
    double h = std::sqrt(h2);
    double s0 = std::max(out.tmin, -b - h), s1 = std::min(out.found ? out.t : out.tmax, -b + h);
    // The torus also lies within the slab |z| <= r: most rays through the bounding sphere leave early.
    if (d.z != 0.0) {
        double z0 = (-minor - o.z) / d.z, z1 = (minor - o.z) / d.z;
        s0 = std::max(s0, std::min(z0, z1));
        s1 = std::min(s1, std::max(z0, z1));
    } else if (std::abs(o.z) > minor) {
        return;
    }
    if (s0 >= s1) return;
    dvec3 p = o + s0 * d;
    // (|x|^2 + R^2 - r^2)^2 = 4 R^2 (x^2 + y^2), with x = p + s d and |d| = 1.
    double R2 = major * major, f = glm::dot(p, d), g = glm::dot(p, p) + R2 - minor * minor;
    double c[5];
    c[4] = 1.0;
    c[3] = 4.0 * f;
    c[2] = 4.0 * f * f + 2.0 * g - 4.0 * R2 * (d.x * d.x + d.y * d.y);
    c[1] = 4.0 * f * g - 8.0 * R2 * (p.x * d.x + p.y * d.y);
    c[0] = g * g - 4.0 * R2 * (p.x * p.x + p.y * p.y);
    double roots[4];
    int n = polynomial_roots(c, 4, 0.0, s1 - s0, roots, 2);
    for (int i = 0; i < n; ++i) {
        double t = s0 + roots[i];
        dvec3 x = o + t * d;
        double rho = std::sqrt(x.x * x.x + x.y * x.y);
        dvec3 ring = rho > 0 ? dvec3(x.x / rho * major, x.y / rho * major, 0) : dvec3(major, 0, 0);
        out.offer(t, glm::normalize(x - ring));
        if (out.found) return; // roots are ascending
    }
}

void hit_disc(dvec3 o, dvec3 d, double r, Nearest& out) {
    if (d.z == 0.0) return;
    double t = -o.z / d.z;
    dvec3 p = o + t * d;
    if (p.x * p.x + p.y * p.y <= r * r) out.offer(t, dvec3(0, 0, 1));
}

bool hit_local(Shape shape, glm::vec3 size, dvec3 o, dvec3 d, double tmin, double tmax, double& t, dvec3& normal) {
    Nearest out{tmin, tmax};
    dvec3 s(size);
    switch (shape) {
    case Shape::Sphere:
        hit_sphere(o, d, s.x, out);
        break;
    case Shape::Box:
        hit_box(o, d, s, out);
        break;
    case Shape::Cylinder:
        hit_cylinder(o, d, s.x, s.z, out);
        break;
    case Shape::Cone:
        hit_cone(o, d, s.x, s.z, out);
        break;
    case Shape::Torus:
        hit_torus(o, d, s.x, s.y, out);
        break;
    case Shape::Disc:
        hit_disc(o, d, s.x, out);
        break;
    }
    if (!out.found) return false;
    t = out.t;
    normal = out.normal;
    return true;
}

double eval_poly(const double* c, int degree, double x) {
    double v = c[degree];
    for (int k = degree - 1; k >= 0; --k) v = v * x + c[k];
    return v;
}

double eval_derivative(const double* c, int degree, double x) {
    double v = degree * c[degree];
    for (int k = degree - 1; k >= 1; --k) v = v * x + k * c[k];
    return v;
}

// A root of a polynomial that changes sign on [a, b] (fa = p(a)): Newton steps kept inside the
// shrinking bracket, bisection where Newton would leave it.
double refine_root(const double* c, int degree, double a, double b, double fa) {
    double x = 0.5 * (a + b);
    for (int it = 0; it < 100; ++it) {
        double f = eval_poly(c, degree, x);
        if (f == 0.0) return x;
        if ((f < 0) == (fa < 0))
            a = x, fa = f;
        else
            b = x;
        double df = eval_derivative(c, degree, x);
        double next = x - f / df;
        if (!(next > a && next < b)) next = 0.5 * (a + b);
        double tol = 1e-13 * std::max(1.0, std::abs(x));
        if (std::abs(next - x) <= tol || b - a <= tol) return next;
        x = next;
    }
    return x;
}

} // namespace

glm::mat3 rotation_about(glm::vec3 axis, float radians) {
    // Rodrigues' formula, written out so that angle 0 gives the identity bit for bit and static
    // scenes keep their poses exactly.
    glm::vec3 a = glm::normalize(axis);
    float c = std::cos(radians), s = std::sin(radians), k = 1.0f - c;
    return glm::mat3(c + a.x * a.x * k, a.y * a.x * k + a.z * s, a.z * a.x * k - a.y * s, // column 0
                     a.x * a.y * k - a.z * s, c + a.y * a.y * k, a.z * a.y * k + a.x * s, // column 1
                     a.x * a.z * k + a.y * s, a.y * a.z * k - a.x * s, c + a.z * a.z * k);
}

std::string to_string(Shape shape) {
    switch (shape) {
    case Shape::Sphere:
        return "sphere";
    case Shape::Box:
        return "box";
    case Shape::Cylinder:
        return "cylinder";
    case Shape::Cone:
        return "cone";
    case Shape::Torus:
        return "torus";
    case Shape::Disc:
        return "disc";
    }
    return "?";
}

bool Motion::is_static() const {
    return velocity == glm::vec3(0.0f) && amplitude == glm::vec3(0.0f) && spin == 0.0f;
}

int polynomial_roots(const double* c, int degree, double lo, double hi, double* roots, int max_roots) {
    while (degree > 0 && c[degree] == 0.0) --degree;
    if (degree <= 0 || !(lo <= hi) || max_roots <= 0) return 0;
    int n = 0;
    auto add = [&](double x) {
        if (x >= lo && x <= hi && (n == 0 || roots[n - 1] != x) && n < max_roots) roots[n++] = x;
    };
    if (degree == 1) {
        add(-c[0] / c[1]);
        return n;
    }
    if (degree == 2) {
        // The cancellation-free form: q = -(b + sign(b) sqrt(disc)) / 2, roots q / a and c / q.
        double a = c[2], b = c[1], disc = b * b - 4.0 * a * c[0];
        if (disc < 0) return 0;
        double q = -0.5 * (b + std::copysign(std::sqrt(disc), b));
        double x0 = q / a, x1 = q != 0.0 ? c[0] / q : x0;
        if (x0 > x1) std::swap(x0, x1);
        add(x0);
        add(x1);
        return n;
    }
    // Between consecutive critical points the polynomial is monotonic: at most one root each.
    double deriv[4];
    for (int k = 1; k <= degree; ++k) deriv[k - 1] = k * c[k];
    double points[6];
    points[0] = lo;
    int np = 1 + polynomial_roots(deriv, degree - 1, lo, hi, points + 1, 4);
    points[np++] = hi;
    double fa = eval_poly(c, degree, lo);
    for (int i = 0; i + 1 < np && n < max_roots; ++i) {
        double a = points[i], b = points[i + 1];
        double fb = eval_poly(c, degree, b);
        if (fa == 0.0)
            add(a);
        else if (fb != 0.0 && (fa < 0) != (fb < 0))
            add(refine_root(c, degree, a, b, fa));
        fa = fb;
    }
    if (fa == 0.0) add(hi);
    return n;
}

Pose pose_at(const SceneDescription& scene, int index, float time) {
    const Primitive& p = scene.primitives.at(size_t(index));
    Pose local = local_pose(p, time);
    if (p.parent < 0) return local;
    assert(p.parent < index && "a parent must come before its children");
    Pose parent = pose_at(scene, p.parent, time);
    return {parent.rotation * local.rotation, parent.position + parent.rotation * local.position};
}

float bounding_radius(const Primitive& p) {
    const glm::vec3& s = p.size;
    switch (p.shape) {
    case Shape::Sphere:
        return s.x;
    case Shape::Box:
        return glm::length(s);
    case Shape::Cylinder:
        return std::sqrt(s.x * s.x + s.z * s.z);
    case Shape::Cone:
        return std::sqrt(s.x * s.x + s.z * s.z);
    case Shape::Torus:
        return s.x + s.y;
    case Shape::Disc:
        return s.x;
    }
    return 0.0f;
}

float surface_area(const Primitive& p) {
    const float pi = float(kPi);
    const glm::vec3& s = p.size;
    switch (p.shape) {
    case Shape::Sphere:
        return 4 * pi * s.x * s.x;
    case Shape::Box:
        return 8 * (s.x * s.y + s.y * s.z + s.x * s.z);
    case Shape::Cylinder:
        return 2 * pi * s.x * (2 * s.z) + 2 * pi * s.x * s.x;
    case Shape::Cone:
        return pi * s.x * std::sqrt(s.x * s.x + 4 * s.z * s.z) + pi * s.x * s.x;
    case Shape::Torus:
        return 4 * pi * pi * s.x * s.y;
    case Shape::Disc:
        return pi * s.x * s.x;
    }
    return 0.0f;
}

PosedScene::PosedScene(const SceneDescription& scene, float time) : m_scene(scene), m_time(time) {
    for (size_t i = 0; i < scene.primitives.size(); ++i) {
        const Primitive& prim = scene.primitives[i];
        m_poses.push_back(pose_at(scene, int(i), time));
        Placed p;
        p.to_local = glm::transpose(m_poses.back().rotation);
        p.position = m_poses.back().position;
        p.radius = bounding_radius(prim);
        p.shape = prim.shape;
        p.size = prim.size;
        p.casts_shadow = prim.casts_shadow;
        p.convex = prim.shape != Shape::Torus;
        m_placed.push_back(p);
    }
}

std::optional<Hit> PosedScene::intersect(glm::vec3 origin, glm::vec3 dir, float min_distance, float max_distance,
                                         const std::vector<int>* candidates) const {
    Hit best;
    double best_t = max_distance;
    auto test = [&](int i) {
        const Placed& p = m_placed[size_t(i)];
        // Bounding sphere first: most rays miss most primitives.
        glm::vec3 oc = p.position - origin;
        float b = glm::dot(oc, dir);
        if (b + p.radius < min_distance || b - p.radius > best_t) return;
        if (glm::dot(oc, oc) - b * b > p.radius * p.radius * 1.0001f + 1e-6f) return;
        dvec3 o(p.to_local * -oc), d = glm::normalize(dvec3(p.to_local * dir));
        double t;
        dvec3 n;
        if (hit_local(p.shape, p.size, o, d, min_distance, best_t, t, n)) {
            best_t = t;
            best.primitive = i;
            best.distance = float(t);
            best.local_point = glm::vec3(o + t * d);
            best.local_normal = glm::vec3(n);
        }
    };
    if (candidates) {
        for (int i : *candidates) test(i);
    } else {
        for (size_t i = 0; i < m_placed.size(); ++i) test(int(i));
    }
    if (best.primitive < 0) return std::nullopt;
    return best;
}

bool PosedScene::occluded(glm::vec3 origin, glm::vec3 dir, float max_distance, int receiver) const {
    for (size_t i = 0; i < m_placed.size(); ++i) {
        const Placed& p = m_placed[i];
        if (!p.casts_shadow || (int(i) == receiver && p.convex)) continue;
        glm::vec3 oc = p.position - origin;
        float b = glm::dot(oc, dir);
        if (b + p.radius < 0 || b - p.radius > max_distance) continue;
        if (glm::dot(oc, oc) - b * b > p.radius * p.radius * 1.0001f + 1e-6f) continue;
        dvec3 o(p.to_local * -oc), d = glm::normalize(dvec3(p.to_local * dir));
        double t;
        dvec3 n;
        if (hit_local(p.shape, p.size, o, d, 0.0, max_distance, t, n)) return true;
    }
    return false;
}

glm::vec3 PosedScene::world_point(const Hit& hit) const {
    const Pose& pose = m_poses[size_t(hit.primitive)];
    return pose.position + pose.rotation * hit.local_point;
}

glm::vec3 PosedScene::world_normal(const Hit& hit) const {
    return glm::normalize(m_poses[size_t(hit.primitive)].rotation * hit.local_normal);
}

glm::vec3 PosedScene::albedo(const Hit& hit) const {
    return evaluate_texture(m_scene.primitives[size_t(hit.primitive)].material.texture, hit.local_point);
}

glm::vec3 PosedScene::shade(const Hit& hit, glm::vec3 dir) const {
    const Material& mat = m_scene.primitives[size_t(hit.primitive)].material;
    glm::vec3 albedo = evaluate_texture(mat.texture, hit.local_point);
    if (mat.emissive) return albedo;
    const Lighting& light = m_scene.lighting;
    glm::vec3 n = world_normal(hit);
    if (glm::dot(n, dir) > 0) n = -n; // the underside of the disc, seen from below
    glm::vec3 p = world_point(hit);
    float up = 0.5f + 0.5f * glm::dot(n, light.up);
    float ambient = light.ambient_ground + (light.ambient - light.ambient_ground) * up;
    float n_dot_l = glm::dot(n, light.direction);
    float direct = 0.0f, highlight = 0.0f;
    // The offset keeps a shadow ray from finding its own surface again; 1e-4 units is far below a
    // pixel's footprint (about 0.015 units at 200 px).
    if (n_dot_l > 0.0f && !occluded(p + n * 1e-4f, light.direction, 1e30f, hit.primitive)) {
        direct = light.key * n_dot_l;
        if (mat.specular > 0.0f) {
            glm::vec3 half = glm::normalize(light.direction - dir);
            highlight = mat.specular * std::pow(std::max(0.0f, glm::dot(n, half)), mat.shininess);
        }
    }
    return glm::clamp(albedo * (ambient + direct) + glm::vec3(highlight), glm::vec3(0.0f), glm::vec3(1.0f));
}

namespace {

// Rays of a pinhole camera through image points (pixel units), the same for render() and
// primitive_ids() so that the two agree ray for ray.
struct PinholeRays {
    explicit PinholeRays(const Camera& camera)
        : c2w(glm::transpose(camera.R)), eye(camera.center()), fx(camera.fx), fy(camera.fy), cx(camera.cx),
          cy(camera.cy) {
        if (!camera.distortion.is_identity())
            throw Error("the synthetic scene renderer takes pinhole cameras only (no lens distortion)");
    }
    glm::vec3 operator()(float px, float py) const {
        return glm::normalize(c2w * glm::vec3((px - cx) / fx, (py - cy) / fy, 1.0f));
    }
    glm::mat3 c2w;
    glm::vec3 eye;
    float fx, fy, cx, cy;
};

} // namespace

std::vector<std::vector<int>> PosedScene::tile_candidates(const Camera& camera, int tile) const {
    // Per tile, the primitives whose bounding sphere meets the cone of the tile's rays. The cone
    // about the centre ray through the four corners holds every ray of the tile (the image-plane
    // points within an angle of a direction form a convex set). Double precision and a margin of
    // 1e-3 radians keep rounding from dropping a primitive that a ray grazes.
    const PinholeRays ray(camera);
    const int W = camera.width, H = camera.height;
    const int tiles_x = (W + tile - 1) / tile, tiles_y = (H + tile - 1) / tile;
    auto dray = [&](double px, double py) {
        return glm::normalize(dmat3(ray.c2w) * dvec3((px - ray.cx) / ray.fx, (py - ray.cy) / ray.fy, 1.0));
    };
    auto angle = [](dvec3 a, dvec3 b) { return std::acos(std::clamp(glm::dot(a, b), -1.0, 1.0)); };
    std::vector<std::vector<int>> candidates(size_t(tiles_x) * tiles_y);
    for (int ty = 0; ty < tiles_y; ++ty) {
        for (int tx = 0; tx < tiles_x; ++tx) {
            double x0 = tx * tile, x1 = std::min(W, (tx + 1) * tile);
            double y0 = ty * tile, y1 = std::min(H, (ty + 1) * tile);
            dvec3 centre = dray(0.5 * (x0 + x1), 0.5 * (y0 + y1));
            double spread = std::max(std::max(angle(centre, dray(x0, y0)), angle(centre, dray(x1, y0))),
                                     std::max(angle(centre, dray(x0, y1)), angle(centre, dray(x1, y1))));
            auto& list = candidates[size_t(ty) * tiles_x + tx];
            for (size_t i = 0; i < m_placed.size(); ++i) {
                dvec3 to = dvec3(m_placed[i].position) - dvec3(ray.eye);
                double dist = glm::length(to), r = m_placed[i].radius;
                if (dist <= r * 1.001 || angle(centre, to / dist) <= std::asin(r / dist) + spread + 1e-3)
                    list.push_back(int(i));
            }
        }
    }
    return candidates;
}

Image PosedScene::render(const Camera& camera, int samples_per_axis, bool parallel) const {
    if (camera.width <= 0 || camera.height <= 0 || samples_per_axis < 1)
        throw Error(cat("cannot render a ", camera.width, "x", camera.height, " image with ", samples_per_axis,
                        " samples per axis"));
    const PinholeRays ray(camera);
    const int W = camera.width, H = camera.height, S = samples_per_axis;
    const auto candidates = tile_candidates(camera, kTile);
    const int tiles_x = (W + kTile - 1) / kTile;

    Image image(W, H, 4);
    const float inv_s = 1.0f / float(S), inv_count = 1.0f / float(S * S);
#pragma omp parallel for schedule(dynamic, 4) if (parallel)
    for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
            const auto& tile = candidates[size_t(y / kTile) * tiles_x + x / kTile];
            glm::vec3 sum(0.0f);
            int hits = 0;
            for (int sy = 0; sy < S; ++sy) {
                for (int sx = 0; sx < S; ++sx) {
                    glm::vec3 dir = ray(float(x) + (float(sx) + 0.5f) * inv_s, float(y) + (float(sy) + 0.5f) * inv_s);
                    auto hit = intersect(ray.eye, dir, 0.0f, 1e30f, &tile);
                    if (!hit) continue;
                    sum += shade(*hit, dir);
                    ++hits;
                }
            }
            float* px = image.pixel(x, y);
            glm::vec3 colour = hits ? sum / float(hits) : glm::vec3(0.0f);
            px[0] = colour.x;
            px[1] = colour.y;
            px[2] = colour.z;
            px[3] = float(hits) * inv_count;
        }
    }
    return image;
}

std::vector<int> PosedScene::primitive_ids(const Camera& camera) const {
    const PinholeRays ray(camera);
    std::vector<int> ids(size_t(camera.width) * camera.height, -1);
    for (int y = 0; y < camera.height; ++y)
        for (int x = 0; x < camera.width; ++x)
            if (auto hit = intersect(ray.eye, ray(float(x) + 0.5f, float(y) + 0.5f)))
                ids[size_t(y) * camera.width + x] = hit->primitive;
    return ids;
}

Hit PosedScene::sample_surface(int index, Rng& rng) const {
    const Primitive& prim = m_scene.primitives.at(size_t(index));
    const glm::vec3 s = prim.size;
    const float two_pi = float(2 * kPi);
    Hit h;
    h.primitive = index;
    auto on_disc = [&](float radius, float z, float nz) {
        float rho = radius * std::sqrt(rng.uniform()), phi = two_pi * rng.uniform();
        h.local_point = {rho * std::cos(phi), rho * std::sin(phi), z};
        h.local_normal = {0, 0, nz};
    };
    switch (prim.shape) {
    case Shape::Sphere: {
        float z = 1.0f - 2.0f * rng.uniform(), phi = two_pi * rng.uniform();
        float rxy = std::sqrt(std::max(0.0f, 1.0f - z * z));
        h.local_normal = {rxy * std::cos(phi), rxy * std::sin(phi), z};
        h.local_point = s.x * h.local_normal;
        break;
    }
    case Shape::Box: {
        // Faces normal to x, y, z have areas 4 s.y s.z, 4 s.x s.z, 4 s.x s.y (each of two).
        float ax = s.y * s.z, ay = s.x * s.z, az = s.x * s.y;
        float u = rng.uniform() * (ax + ay + az);
        int axis = u < ax ? 0 : u < ax + ay ? 1 : 2;
        float side = rng.uniform() < 0.5f ? -1.0f : 1.0f;
        glm::vec3 p;
        for (int a = 0; a < 3; ++a) p[a] = s[a] * (2.0f * rng.uniform() - 1.0f);
        p[axis] = side * s[axis];
        h.local_point = p;
        h.local_normal = glm::vec3(0.0f);
        h.local_normal[axis] = side;
        break;
    }
    case Shape::Cylinder: {
        float side = 4.0f * s.x * s.z, cap = s.x * s.x; // areas divided by pi
        float u = rng.uniform() * (side + 2.0f * cap);
        if (u < side) {
            float phi = two_pi * rng.uniform(), z = s.z * (2.0f * rng.uniform() - 1.0f);
            h.local_normal = {std::cos(phi), std::sin(phi), 0.0f};
            h.local_point = {s.x * h.local_normal.x, s.x * h.local_normal.y, z};
        } else {
            float sign = u < side + cap ? -1.0f : 1.0f;
            on_disc(s.x, sign * s.z, sign);
        }
        break;
    }
    case Shape::Cone: {
        float slant = std::sqrt(s.x * s.x + 4.0f * s.z * s.z);
        float lateral = s.x * slant, base = s.x * s.x; // both over pi
        if (rng.uniform() * (lateral + base) < lateral) {
            // Area grows with the square of the distance from the apex.
            float f = std::sqrt(rng.uniform()), phi = two_pi * rng.uniform(), k = s.x / (2.0f * s.z);
            float z = s.z - 2.0f * s.z * f;
            h.local_point = {s.x * f * std::cos(phi), s.x * f * std::sin(phi), z};
            h.local_normal = glm::normalize(glm::vec3(std::cos(phi), std::sin(phi), k));
        } else {
            on_disc(s.x, -s.z, -1.0f);
        }
        break;
    }
    case Shape::Torus: {
        // The area element is proportional to R + r cos(theta): rejection sampling over theta.
        float theta;
        do theta = two_pi * rng.uniform();
        while (rng.uniform() * (s.x + s.y) > s.x + s.y * std::cos(theta));
        float phi = two_pi * rng.uniform();
        glm::vec3 n{std::cos(theta) * std::cos(phi), std::cos(theta) * std::sin(phi), std::sin(theta)};
        h.local_normal = n;
        h.local_point = glm::vec3(s.x * std::cos(phi), s.x * std::sin(phi), 0.0f) + s.y * n;
        break;
    }
    case Shape::Disc:
        on_disc(s.x, 0.0f, 1.0f);
        break;
    }
    return h;
}

} // namespace splatscape::scene
