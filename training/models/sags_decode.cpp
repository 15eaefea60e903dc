#include "training/models/sags_decode.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/sh.hpp"
#include "training/models/sags.hpp"

namespace splatscape {

void sags_store_camera(const kern::RasterCamera<float>& c, float* out) {
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) out[3 * r + k] = c.R.m[r][k];
    out[9] = c.t.x;
    out[10] = c.t.y;
    out[11] = c.t.z;
    out[12] = c.fx;
    out[13] = c.fy;
    out[14] = c.cx;
    out[15] = c.cy;
    out[16] = float(c.width);
    out[17] = float(c.height);
}

kern::RasterCamera<float> sags_load_camera(const float* s) {
    kern::RasterCamera<float> c;
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) c.R.m[r][k] = s[3 * r + k];
    c.t = {s[9], s[10], s[11]};
    const kern::Vec3<float> rt = kern::mul_transposed(c.R, c.t);
    c.center = {-rt.x, -rt.y, -rt.z};
    c.fx = s[12];
    c.fy = s[13];
    c.cx = s[14];
    c.cy = s[15];
    c.width = int(s[16]);
    c.height = int(s[17]);
    return c;
}

namespace {

struct Decoded {
    std::vector<int32_t> rows;
    std::vector<float> means, log_scales, rotations, opacities, colors;
    size_t size() const { return rows.size(); }
};

Decoded decode(SagsModel& model, const kern::RasterCamera<float>& camera) {
    Backend& b = model.backend();
    ViewInfo view;
    view.camera = camera;
    const RasterTensors t = model.raster_inputs(view);
    Decoded d;
    d.rows.resize(model.visible_rows().rows());
    if (!d.rows.empty()) b.download(model.visible_rows(), d.rows.data());
    d.means = b.download_f32(*t.means);
    d.log_scales = b.download_f32(*t.log_scales);
    d.rotations = b.download_f32(*t.rotations);
    d.opacities = b.download_f32(*t.opacities);
    d.colors = b.download_f32(*t.colors);
    return d;
}

bool dropped(float logit) {
    return logit <= kern::kSagsDroppedLogit + 1.0f;
}

// Virtual cameras on a sphere around the hash grid's cube, looking at its centre (models stored
// without their training cameras).
std::vector<kern::RasterCamera<float>> sphere_cameras(SagsModel& model, int count) {
    float frame[4];
    model.backend().download(model.params().get("frame").value, frame);
    const kern::Vec3<float> centre = {frame[0] + 0.5f * frame[3], frame[1] + 0.5f * frame[3],
                                      frame[2] + 0.5f * frame[3]};
    const float radius = 1.5f * frame[3];
    std::vector<kern::RasterCamera<float>> out;
    const float golden = float(M_PI) * (3.0f - std::sqrt(5.0f));
    for (int i = 0; i < count; ++i) {
        const float z = 1.0f - 2.0f * (float(i) + 0.5f) / float(count), r = std::sqrt(1.0f - z * z);
        const kern::Vec3<float> dir = {r * std::cos(golden * float(i)), r * std::sin(golden * float(i)), z};
        const kern::Vec3<float> eye = centre + radius * dir;
        const kern::Vec3<float> f = {-dir.x, -dir.y, -dir.z};
        const kern::Vec3<float> a = std::abs(f.z) < 0.9f ? kern::Vec3<float>{0, 0, 1} : kern::Vec3<float>{0, 1, 0};
        kern::Vec3<float> x = kern::cross(f, a);
        x = (1.0f / kern::length(x)) * x;
        const kern::Vec3<float> y = kern::cross(f, x);
        kern::RasterCamera<float> c;
        const kern::Vec3<float> rows[3] = {x, y, f};
        for (int q = 0; q < 3; ++q) c.R.m[q][0] = rows[q].x, c.R.m[q][1] = rows[q].y, c.R.m[q][2] = rows[q].z;
        const kern::Vec3<float> re = kern::mul(c.R, eye);
        c.t = {-re.x, -re.y, -re.z};
        c.center = eye;
        c.width = c.height = 512;
        c.fx = c.fy = 256.0f / std::tan(float(M_PI) / 6.0f);
        c.cx = c.cy = 256.0f;
        out.push_back(c);
    }
    return out;
}

} // namespace

GaussianCloud sags_decode_view(SagsModel& model, const kern::RasterCamera<float>& camera) {
    const Decoded d = decode(model, camera);
    GaussianCloud c;
    c.sh_degree = 0;
    for (size_t m = 0; m < d.size(); ++m) {
        if (dropped(d.opacities[m])) continue;
        for (int a = 0; a < 3; ++a) {
            c.positions.push_back(d.means[3 * m + a]);
            c.log_scales.push_back(d.log_scales[3 * m + a]);
            c.sh.push_back(sh_dc_from_rgb(d.colors[3 * m + a]));
        }
        for (int k = 0; k < 4; ++k) c.rotations.push_back(d.rotations[4 * m + k]);
        c.opacities.push_back(d.opacities[m]);
    }
    return c;
}

GaussianCloud sags_decode_view_independent(SagsModel& model, const SagsShFit& options) {
    std::vector<kern::RasterCamera<float>> cameras;
    const std::vector<float>& stored = model.cameras();
    const size_t stored_count = stored.size() / kSagsCameraFloats;
    if (stored_count == 0) {
        cameras = sphere_cameras(model, std::max(8, options.max_views));
    } else {
        const size_t use = std::min<size_t>(stored_count, size_t(std::max(1, options.max_views)));
        for (size_t v = 0; v < use; ++v)
            cameras.push_back(sags_load_camera(stored.data() + (v * stored_count / use) * kSagsCameraFloats));
    }
    const size_t n = model.all_points().rows();
    constexpr int K = 16;
    constexpr int kTri = K * (K + 1) / 2;
    // Per point: normal equations of the SH fit (upper triangle, then K x 3 right-hand sides), and the
    // sums of the other attributes.
    std::vector<float> normal(n * kTri, 0.0f), rhs(n * K * 3, 0.0f);
    std::vector<float> seen(n, 0.0f), alpha(n, 0.0f), mean(n * 3, 0.0f), log_scale(n * 3, 0.0f), rot(n * 4, 0.0f);
    for (const auto& cam : cameras) {
        const Decoded d = decode(model, cam);
        cpu::parallel_for_each(d.size(), 1024, [&](size_t m) {
            const size_t i = size_t(d.rows[m]);
            seen[i] += 1.0f;
            alpha[i] += dropped(d.opacities[m]) ? 0.0f : 1.0f / (1.0f + std::exp(-d.opacities[m]));
            for (int a = 0; a < 3; ++a) {
                mean[3 * i + a] += d.means[3 * m + a];
                log_scale[3 * i + a] += d.log_scales[3 * m + a];
            }
            const float* q = &d.rotations[4 * m];
            float* acc = &rot[4 * i];
            const float sign = acc[0] * q[0] + acc[1] * q[1] + acc[2] * q[2] + acc[3] * q[3] < 0 ? -1.0f : 1.0f;
            const float len = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
            for (int k = 0; k < 4; ++k) acc[k] += sign * q[k] / std::max(len, 1e-12f);
            const kern::Vec3<float> dir = kern::view_direction(
                kern::Vec3<float>{d.means[3 * m], d.means[3 * m + 1], d.means[3 * m + 2]}, cam.center);
            float basis[K];
            kern::sh_basis(3, dir, basis);
            float* A = &normal[i * kTri];
            int e = 0;
            for (int r = 0; r < K; ++r)
                for (int c = r; c < K; ++c) A[e++] += basis[r] * basis[c];
            for (int r = 0; r < K; ++r)
                for (int ch = 0; ch < 3; ++ch) rhs[(i * K + r) * 3 + ch] += basis[r] * (d.colors[3 * m + ch] - 0.5f);
        });
    }

    GaussianCloud out;
    out.sh_degree = 3;
    std::vector<uint8_t> keep(n, 0);
    for (size_t i = 0; i < n; ++i) keep[i] = seen[i] > 0 && alpha[i] / seen[i] >= options.min_opacity;
    std::vector<size_t> index(n, 0);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i)
        if (keep[i]) index[i] = count++;
    out.resize(count, 3);
    cpu::parallel_for_each(n, 256, [&](size_t i) {
        if (!keep[i]) return;
        const size_t o = index[i];
        const float s = seen[i];
        for (int a = 0; a < 3; ++a) {
            out.positions[3 * o + a] = mean[3 * i + a] / s;
            out.log_scales[3 * o + a] = log_scale[3 * i + a] / s;
        }
        const float* q = &rot[4 * i];
        const float len = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int k = 0; k < 4; ++k) out.rotations[4 * o + k] = len > 0 ? q[k] / len : (k == 0 ? 1.0f : 0.0f);
        out.opacities[o] = logit(std::clamp(alpha[i] / s, 1e-6f, 1.0f - 1e-6f));
        // Solve (A + ridge * seen * diag(0, 1, ..., 1)) c = b by Cholesky, in double.
        double A[K][K], b[K][3];
        int e = 0;
        for (int r = 0; r < K; ++r)
            for (int c = r; c < K; ++c) A[r][c] = A[c][r] = normal[i * kTri + size_t(e++)];
        for (int r = 1; r < K; ++r) A[r][r] += double(options.ridge) * s;
        A[0][0] += 1e-6 * s;
        for (int r = 0; r < K; ++r)
            for (int ch = 0; ch < 3; ++ch) b[r][ch] = rhs[(i * K + r) * 3 + ch];
        for (int c = 0; c < K; ++c) {
            double d = A[c][c];
            for (int k = 0; k < c; ++k) d -= A[c][k] * A[c][k];
            d = std::sqrt(std::max(d, 1e-12));
            A[c][c] = d;
            for (int r = c + 1; r < K; ++r) {
                double v = A[r][c];
                for (int k = 0; k < c; ++k) v -= A[r][k] * A[c][k];
                A[r][c] = v / d;
            }
        }
        for (int ch = 0; ch < 3; ++ch) {
            double y[K];
            for (int r = 0; r < K; ++r) {
                double v = b[r][ch];
                for (int k = 0; k < r; ++k) v -= A[r][k] * y[k];
                y[r] = v / A[r][r];
            }
            for (int r = K - 1; r >= 0; --r) {
                double v = y[r];
                for (int k = r + 1; k < K; ++k) v -= A[k][r] * y[k];
                y[r] = v / A[r][r];
            }
            for (int r = 0; r < K; ++r) out.sh[(o * K + size_t(r)) * 3 + size_t(ch)] = float(y[r]);
        }
    });
    return out;
}

SagsDecodeCache sags_decode_cache(SagsModel& model) {
    return model.decode_cache();
}

std::unique_ptr<SagsModel> sags_model_from_scene(Backend& backend, const SagsScene& scene, const std::string& where) {
    SagsConfig c;
    c.lite = scene.lite;
    c.learned_edges = scene.learned_edges;
    auto model = std::make_unique<SagsModel>(backend, c, 1.0f);
    model->from_scene(scene, where);
    return model;
}

} // namespace splatscape
