#include "core/camera.hpp"

#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include "core/error.hpp"
#include "core/image.hpp"

namespace splatscape {

bool Distortion::is_identity() const {
    if (model == DistortionModel::None) return true;
    // The equidistant fisheye projection differs from a pinhole one even with all k zero.
    if (model == DistortionModel::Fisheye) return false;
    for (float v : k)
        if (v != 0.0f) return false;
    return p1 == 0.0f && p2 == 0.0f;
}

std::string to_string(DistortionModel model) {
    switch (model) {
        case DistortionModel::None: return "none";
        case DistortionModel::RadialTangential: return "radial-tangential";
        case DistortionModel::Fisheye: return "fisheye";
    }
    return "?";
}

glm::vec2 Distortion::distort(glm::vec2 p) const {
    switch (model) {
        case DistortionModel::None: return p;
        case DistortionModel::RadialTangential: {
            float x = p.x, y = p.y;
            float r2 = x * x + y * y, r4 = r2 * r2, r6 = r4 * r2;
            float radial = (1 + k[0] * r2 + k[1] * r4 + k[2] * r6) / (1 + k[3] * r2 + k[4] * r4 + k[5] * r6);
            float xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
            float yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
            return {xd, yd};
        }
        case DistortionModel::Fisheye: {
            float r = std::sqrt(p.x * p.x + p.y * p.y);
            if (r < 1e-9f) return p;
            float th = std::atan(r);
            float th2 = th * th;
            float thd = th * (1 + th2 * (k[0] + th2 * (k[1] + th2 * (k[2] + th2 * k[3]))));
            return p * (thd / r);
        }
    }
    return p;
}

bool Distortion::undistort(glm::vec2 d, glm::vec2& out) const {
    if (model == DistortionModel::None) {
        out = d;
        return true;
    }
    // Newton's method with a numerical Jacobian, started at the distorted point.
    glm::vec2 p = d;
    for (int it = 0; it < 50; ++it) {
        glm::vec2 f = distort(p) - d;
        if (std::abs(f.x) < 1e-7f && std::abs(f.y) < 1e-7f) {
            out = p;
            return true;
        }
        const float h = 1e-4f * std::max(1.0f, std::abs(p.x) + std::abs(p.y));
        glm::vec2 fx = (distort(p + glm::vec2(h, 0)) - distort(p - glm::vec2(h, 0))) / (2 * h);
        glm::vec2 fy = (distort(p + glm::vec2(0, h)) - distort(p - glm::vec2(0, h))) / (2 * h);
        float det = fx.x * fy.y - fy.x * fx.y;
        if (std::abs(det) < 1e-12f) break;
        glm::vec2 step{(fy.y * f.x - fy.x * f.y) / det, (-fx.y * f.x + fx.x * f.y) / det};
        p -= step;
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) break;
    }
    out = p;
    glm::vec2 f = distort(p) - d;
    return std::abs(f.x) < 1e-4f && std::abs(f.y) < 1e-4f;
}

bool Camera::look_at(glm::vec3 eye, glm::vec3 target, glm::vec3 up, int width, int height, float fx, float fy,
                     float cx, float cy, Camera& out) {
    const glm::vec3 forward = target - eye;
    if (glm::length(forward) <= 0.0f) return false;
    const glm::vec3 z = glm::normalize(forward);
    const glm::vec3 down = -(up - glm::dot(up, z) * z);
    if (glm::length(down) < 1e-4f * glm::length(up)) return false;
    const glm::vec3 y = glm::normalize(down);
    const glm::vec3 x = glm::cross(y, z);
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(x, 0.0f);
    c2w[1] = glm::vec4(y, 0.0f);
    c2w[2] = glm::vec4(z, 0.0f);
    c2w[3] = glm::vec4(eye, 1.0f);
    out = from_camera_to_world(c2w, width, height, fx, fy, cx, cy);
    return true;
}

Camera Camera::from_camera_to_world(const glm::mat4& c2w, int width, int height, float fx, float fy, float cx,
                                    float cy) {
    Camera cam;
    cam.width = width;
    cam.height = height;
    cam.fx = fx;
    cam.fy = fy;
    cam.cx = cx;
    cam.cy = cy;
    cam.set_camera_to_world(c2w);
    return cam;
}

void Camera::set_camera_to_world(const glm::mat4& c2w) {
    glm::mat3 rot(c2w);  // columns: camera axes in world
    // Re-orthonormalise: poses from files carry rounding and sometimes scale.
    glm::vec3 x = glm::normalize(rot[0]);
    glm::vec3 y = glm::normalize(rot[1] - glm::dot(rot[1], x) * x);
    glm::vec3 z = glm::cross(x, y);
    if (glm::dot(z, rot[2]) < 0) z = -z;  // keep handedness of the input
    glm::mat3 c2w_rot(x, y, z);
    R = glm::transpose(c2w_rot);
    t = -(R * glm::vec3(c2w[3]));
}

glm::mat4 Camera::world_to_camera() const {
    glm::mat4 m(R);
    m[3] = glm::vec4(t, 1.0f);
    return m;
}

glm::mat4 Camera::camera_to_world() const {
    glm::mat3 rt = glm::transpose(R);
    glm::mat4 m(rt);
    m[3] = glm::vec4(-(rt * t), 1.0f);
    return m;
}

glm::vec3 Camera::center() const { return -(glm::transpose(R) * t); }
glm::vec3 Camera::forward() const { return glm::transpose(R)[2]; }

glm::vec2 Camera::project(glm::vec3 world, float* depth) const {
    glm::vec3 c = R * world + t;
    if (depth) *depth = c.z;
    glm::vec2 n{c.x / c.z, c.y / c.z};
    n = distortion.distort(n);
    return {fx * n.x + cx, fy * n.y + cy};
}

glm::vec3 Camera::ray_direction(glm::vec2 pixel) const {
    glm::vec2 d{(pixel.x - cx) / fx, (pixel.y - cy) / fy};
    glm::vec2 n;
    distortion.undistort(d, n);
    glm::vec3 dir_cam = glm::normalize(glm::vec3(n, 1.0f));
    return glm::transpose(R) * dir_cam;
}

Camera Camera::scaled(int new_width, int new_height) const {
    Camera c = *this;
    float sx = float(new_width) / float(width), sy = float(new_height) / float(height);
    c.width = new_width;
    c.height = new_height;
    c.fx *= sx;
    c.cx *= sx;
    c.fy *= sy;
    c.cy *= sy;
    return c;
}

float Camera::fov_x() const { return 2.0f * std::atan(0.5f * float(width) / fx); }
float Camera::fov_y() const { return 2.0f * std::atan(0.5f * float(height) / fy); }

glm::mat4 opengl_to_opencv_c2w(const glm::mat4& c2w_gl) {
    glm::mat4 m = c2w_gl;
    m[1] = -m[1];
    m[2] = -m[2];
    return m;
}

Camera pinhole_of(const Camera& camera) {
    Camera c = camera;
    c.distortion = Distortion{};
    return c;
}

Image undistort_image(const Image& image, const Camera& distorted, const Camera& pinhole) {
    if (image.width != distorted.width || image.height != distorted.height)
        throw Error(cat("undistort_image: image is ", image.width, "x", image.height, " but the camera expects ",
                        distorted.width, "x", distorted.height));
    Image out(pinhole.width, pinhole.height, image.channels);
    for (int y = 0; y < out.height; ++y) {
        for (int x = 0; x < out.width; ++x) {
            glm::vec2 n{(x + 0.5f - pinhole.cx) / pinhole.fx, (y + 0.5f - pinhole.cy) / pinhole.fy};
            glm::vec2 d = distorted.distortion.distort(n);
            float sx = distorted.fx * d.x + distorted.cx - 0.5f;
            float sy = distorted.fy * d.y + distorted.cy - 0.5f;
            int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
            float tx = sx - x0, ty = sy - y0;
            if (x0 < -1 || y0 < -1 || x0 >= image.width || y0 >= image.height) continue;
            auto sample = [&](int xi, int yi, int ch) {
                xi = std::clamp(xi, 0, image.width - 1);
                yi = std::clamp(yi, 0, image.height - 1);
                return image.at(xi, yi, ch);
            };
            for (int ch = 0; ch < image.channels; ++ch) {
                float v = (1 - tx) * (1 - ty) * sample(x0, y0, ch) + tx * (1 - ty) * sample(x0 + 1, y0, ch) +
                          (1 - tx) * ty * sample(x0, y0 + 1, ch) + tx * ty * sample(x0 + 1, y0 + 1, ch);
                out.at(x, y, ch) = v;
            }
        }
    }
    return out;
}

}  // namespace splatscape
