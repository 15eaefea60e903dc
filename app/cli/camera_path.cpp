#include "app/cli/camera_path.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>

#include "core/error.hpp"

namespace splatscape::cli {
namespace {

constexpr float kPi = 3.14159265358979f;

struct Key {
    float t = 0;
    glm::vec3 position{0.0f};
    glm::quat rotation{1, 0, 0, 0}; // camera-to-world
    float fov_y = 50;
    float time = 0;
};

glm::mat3 look_at_rotation(glm::vec3 position, glm::vec3 target, glm::vec3 up, const std::string& where,
                           const std::string& field) {
    glm::vec3 f = target - position;
    if (glm::length(f) < 1e-9f) throw Error(where, field, "look_at equals the position");
    f = glm::normalize(f);
    glm::vec3 r = glm::cross(f, up);
    if (glm::length(r) < 1e-6f) {
        // Looking straight along `up`: any right vector perpendicular to f will do.
        r = glm::cross(f, std::abs(f.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0));
    }
    r = glm::normalize(r);
    const glm::vec3 d = glm::cross(f, r);
    return glm::mat3(r, d, f); // columns: camera x (right), y (down), z (forward) in world
}

Camera make_camera(glm::vec3 position, const glm::mat3& rotation, int width, int height, float fov_y_degrees) {
    glm::mat4 c2w(rotation);
    c2w[3] = glm::vec4(position, 1.0f);
    const float fy = 0.5f * float(height) / std::tan(0.5f * fov_y_degrees * kPi / 180.0f);
    return Camera::from_camera_to_world(c2w, width, height, fy, fy, 0.5f * float(width), 0.5f * float(height));
}

glm::vec3 vec3_of(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_array() || j.size() != 3) throw Error(where, field, "expected [x, y, z]");
    return {float(json_number(j[0], field, where)), float(json_number(j[1], field, where)),
            float(json_number(j[2], field, where))};
}

// Cubic Hermite between keys i and i + 1 with Catmull-Rom tangents over non-uniform times.
template <class V>
V hermite(const std::vector<Key>& k, size_t i, float u, V (*get)(const Key&), bool smooth) {
    const V p0 = get(k[i]), p1 = get(k[i + 1]);
    if (!smooth) return p0 + (p1 - p0) * u;
    const float dt = k[i + 1].t - k[i].t;
    auto tangent = [&](size_t j) {
        const size_t a = j == 0 ? 0 : j - 1, b = j + 1 < k.size() ? j + 1 : j;
        const float span = k[b].t - k[a].t;
        return span > 0 ? (get(k[b]) - get(k[a])) * (dt / span) : get(k[b]) - get(k[b]);
    };
    const V m0 = tangent(i), m1 = tangent(i + 1);
    const float u2 = u * u, u3 = u2 * u;
    return p0 * (2 * u3 - 3 * u2 + 1) + m0 * (u3 - 2 * u2 + u) + p1 * (-2 * u3 + 3 * u2) + m1 * (u3 - u2);
}

glm::vec3 key_position(const Key& k) {
    return k.position;
}
glm::vec4 key_rotation(const Key& k) {
    return {k.rotation.w, k.rotation.x, k.rotation.y, k.rotation.z};
}
float key_fov(const Key& k) {
    return k.fov_y;
}
float key_time(const Key& k) {
    return k.time;
}

} // namespace

Camera look_at_camera(glm::vec3 position, glm::vec3 target, glm::vec3 up, int width, int height, float fov_y) {
    return make_camera(position, look_at_rotation(position, target, up, "", "look_at"), width, height, fov_y);
}

std::vector<PathFrame> camera_path_frames(const Json& j, const std::string& where, const PathDefaults& defaults) {
    if (!j.is_object()) throw Error(where, "(root)", "expected a JSON object with \"keyframes\"");
    const int width = int(json_number_or(j, "width", defaults.width, "", where));
    const int height = int(json_number_or(j, "height", defaults.height, "", where));
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        throw Error(where, "width/height", cat("expected 1..16384 pixels, found ", width, "x", height));
    const std::string interpolation =
        j.contains("interpolation") ? json_string(j["interpolation"], "interpolation", where) : "smooth";
    if (interpolation != "smooth" && interpolation != "linear")
        throw Error(where, "interpolation", cat("expected \"smooth\" or \"linear\", found \"", interpolation, "\""));
    const glm::vec3 up = j.contains("up") ? vec3_of(j["up"], "up", where) : glm::vec3(0, 0, 1);
    if (glm::length(up) < 1e-9f) throw Error(where, "up", "must not be zero");

    const Json& keys = json_member(j, "keyframes", "", where);
    if (!keys.is_array() || keys.empty()) throw Error(where, "keyframes", "expected a non-empty list");
    if (keys.size() > 100000) throw Error(where, "keyframes", "more than 100000 keyframes");
    std::vector<Key> k;
    float fov = defaults.fov_y_degrees;
    for (size_t i = 0; i < keys.size(); ++i) {
        const std::string f = cat("keyframes[", i, "]");
        const Json& kj = keys[i];
        if (!kj.is_object()) throw Error(where, f, "expected an object");
        Key key;
        key.t = float(json_number_or(kj, "t", double(i), f, where));
        key.position = vec3_of(json_member(kj, "position", f, where), f + ".position", where);
        const bool has_look = kj.contains("look_at"), has_rot = kj.contains("rotation");
        if (has_look == has_rot) throw Error(where, f, "give exactly one of \"look_at\" and \"rotation\"");
        if (has_look) {
            key.rotation = glm::quat_cast(look_at_rotation(key.position, vec3_of(kj["look_at"], f + ".look_at", where),
                                                           glm::normalize(up), where, f + ".look_at"));
        } else {
            const Json& r = kj["rotation"];
            if (!r.is_array() || r.size() != 4) throw Error(where, f + ".rotation", "expected [w, x, y, z]");
            glm::quat q(
                float(json_number(r[0], f + ".rotation", where)), float(json_number(r[1], f + ".rotation", where)),
                float(json_number(r[2], f + ".rotation", where)), float(json_number(r[3], f + ".rotation", where)));
            if (glm::length(q) < 1e-6f) throw Error(where, f + ".rotation", "must not be zero");
            key.rotation = glm::normalize(q);
        }
        fov = float(json_number_or(kj, "fov_y", fov, f, where));
        if (!(fov > 0.5f && fov < 179.5f))
            throw Error(where, f + ".fov_y", cat("expected degrees in (0.5, 179.5), found ", fov));
        key.fov_y = fov;
        key.time = float(json_number_or(kj, "time", 0.0, f, where));
        if (!k.empty() && !(key.t > k.back().t)) throw Error(where, f + ".t", "key times must increase");
        // Quaternions q and -q are the same rotation: keep neighbours in the same hemisphere.
        if (!k.empty() && glm::dot(k.back().rotation, key.rotation) < 0) key.rotation = -key.rotation;
        k.push_back(key);
    }

    std::vector<float> times;
    const float t0 = k.front().t, t1 = k.back().t;
    if (j.contains("frames")) {
        const int n = json_int(j["frames"], "frames", where, 1, 1000000);
        for (int i = 0; i < n; ++i) times.push_back(n == 1 ? t0 : t0 + (t1 - t0) * float(i) / float(n - 1));
    } else {
        const double fps = json_number_or(j, "fps", 30.0, "", where);
        if (!(fps > 0 && fps <= 1000)) throw Error(where, "fps", "expected a rate in (0, 1000]");
        const double count = std::floor(double(t1 - t0) * fps + 1e-6) + 1;
        if (count > 1000000) throw Error(where, "fps", "the path would have more than 1000000 frames");
        for (int i = 0; i < int(count); ++i) times.push_back(t0 + float(i / fps));
    }

    const bool smooth = interpolation == "smooth";
    std::vector<PathFrame> frames;
    for (float t : times) {
        size_t i = 0;
        while (i + 2 < k.size() && t > k[i + 1].t) ++i;
        glm::vec3 pos;
        glm::quat rot;
        float fv, tm;
        if (k.size() == 1) {
            pos = k[0].position;
            rot = k[0].rotation;
            fv = k[0].fov_y;
            tm = k[0].time;
        } else {
            const float u = std::clamp((t - k[i].t) / (k[i + 1].t - k[i].t), 0.0f, 1.0f);
            pos = hermite<glm::vec3>(k, i, u, key_position, smooth);
            const glm::vec4 q = hermite<glm::vec4>(k, i, u, key_rotation, smooth);
            rot = glm::normalize(glm::quat(q.x, q.y, q.z, q.w));
            fv = hermite<float>(k, i, u, key_fov, smooth);
            tm = hermite<float>(k, i, u, key_time, smooth);
        }
        PathFrame f;
        f.camera = make_camera(pos, glm::mat3_cast(rot), width, height, std::clamp(fv, 0.5f, 179.5f));
        f.time = tm;
        frames.push_back(f);
    }
    return frames;
}

std::vector<PathFrame> read_camera_path(const std::filesystem::path& file, const PathDefaults& defaults) {
    return camera_path_frames(load_json(file), file.string(), defaults);
}

std::vector<PathFrame> orbit_frames(glm::vec3 center, glm::vec3 up, float radius, float elevation_degrees, int count,
                                    const PathDefaults& d) {
    up = glm::normalize(up);
    // Two axes spanning the orbit's plane.
    glm::vec3 a = glm::cross(up, std::abs(up.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0));
    a = glm::normalize(a);
    const glm::vec3 b = glm::cross(up, a);
    const float el = elevation_degrees * kPi / 180.0f;
    std::vector<PathFrame> frames;
    for (int i = 0; i < count; ++i) {
        const float az = 2.0f * kPi * float(i) / float(count);
        const glm::vec3 pos =
            center + radius * (std::cos(el) * (std::cos(az) * a + std::sin(az) * b) + std::sin(el) * up);
        PathFrame f;
        f.camera = look_at_camera(pos, center, up, d.width, d.height, d.fov_y_degrees);
        frames.push_back(f);
    }
    return frames;
}

} // namespace splatscape::cli
