#include "training/models/gs4d_render.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "training/kernels/covariance.hpp"

namespace splatscape {
namespace {

struct Uploaded {
    Tensor means, log_scales, rot_l, rot_r, opacities, sh;
};

Uploaded upload(Backend& b, const GaussianCloud4d& c) {
    const size_t n = c.size();
    Uploaded u;
    std::vector<float> means(n * 4);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) means[4 * i + a] = c.positions[3 * i + a];
        means[4 * i + 3] = c.times[i];
    }
    u.means = b.zeros(n, 4);
    u.log_scales = b.zeros(n, 4);
    u.rot_l = b.zeros(n, 4);
    u.rot_r = b.zeros(n, 4);
    u.opacities = b.zeros(n, 1);
    u.sh = b.zeros(n, c.sh_coeffs() * 3);
    b.upload(u.means, means.data());
    b.upload(u.log_scales, c.log_scales.data());
    b.upload(u.rot_l, c.rotations_l.data());
    b.upload(u.rot_r, c.rotations_r.data());
    b.upload(u.opacities, c.opacities.data());
    b.upload(u.sh, c.sh.data());
    return u;
}

Gaussian4dTensors view(const Uploaded& u, int sh_coeffs) {
    Gaussian4dTensors t;
    t.means = &u.means;
    t.log_scales = &u.log_scales;
    t.rot_l = &u.rot_l;
    t.rot_r = &u.rot_r;
    t.opacities = &u.opacities;
    t.sh = &u.sh;
    t.sh_coeffs = sh_coeffs;
    return t;
}

using Quatd = std::array<double, 4>;

Quatd qmul(const Quatd& a, const Quatd& b) {
    return {
        a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3], a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1], a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]};
}

} // namespace

void quaternion_from_rotation(const double R[3][3], double q[4]) {
    const double tr = R[0][0] + R[1][1] + R[2][2];
    double w, x, y, z;
    if (tr > 0.0) {
        const double s = 2.0 * std::sqrt(tr + 1.0);
        w = 0.25 * s;
        x = (R[2][1] - R[1][2]) / s;
        y = (R[0][2] - R[2][0]) / s;
        z = (R[1][0] - R[0][1]) / s;
    } else if (R[0][0] > R[1][1] && R[0][0] > R[2][2]) {
        const double s = 2.0 * std::sqrt(1.0 + R[0][0] - R[1][1] - R[2][2]);
        w = (R[2][1] - R[1][2]) / s;
        x = 0.25 * s;
        y = (R[0][1] + R[1][0]) / s;
        z = (R[0][2] + R[2][0]) / s;
    } else if (R[1][1] > R[2][2]) {
        const double s = 2.0 * std::sqrt(1.0 + R[1][1] - R[0][0] - R[2][2]);
        w = (R[0][2] - R[2][0]) / s;
        x = (R[0][1] + R[1][0]) / s;
        y = 0.25 * s;
        z = (R[1][2] + R[2][1]) / s;
    } else {
        const double s = 2.0 * std::sqrt(1.0 + R[2][2] - R[0][0] - R[1][1]);
        w = (R[1][0] - R[0][1]) / s;
        x = (R[0][2] + R[2][0]) / s;
        y = (R[1][2] + R[2][1]) / s;
        z = 0.25 * s;
    }
    const double sign = w < 0.0 ? -1.0 : 1.0;
    const double norm = std::sqrt(w * w + x * x + y * y + z * z);
    q[0] = sign * w / norm;
    q[1] = sign * x / norm;
    q[2] = sign * y / norm;
    q[3] = sign * z / norm;
}

void covariance_to_scale_rotation(const float cov[6], float log_scales[3], float quaternion[4]) {
    // Cyclic Jacobi eigenvalue iteration in double: A = V diag(d) V^T.
    double A[3][3] = {{cov[0], cov[1], cov[2]}, {cov[1], cov[3], cov[4]}, {cov[2], cov[4], cov[5]}};
    double V[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (int sweep = 0; sweep < 32; ++sweep) {
        const double off = A[0][1] * A[0][1] + A[0][2] * A[0][2] + A[1][2] * A[1][2];
        const double diag = A[0][0] * A[0][0] + A[1][1] * A[1][1] + A[2][2] * A[2][2];
        if (off <= 1e-30 * diag || off == 0.0) break;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (A[p][q] == 0.0) continue;
                const double theta = (A[q][q] - A[p][p]) / (2.0 * A[p][q]);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 3; ++k) { // A = J^T A J
                    const double akp = A[k][p], akq = A[k][q];
                    A[k][p] = c * akp - s * akq;
                    A[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; ++k) {
                    const double apk = A[p][k], aqk = A[q][k];
                    A[p][k] = c * apk - s * aqk;
                    A[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; ++k) {
                    const double vkp = V[k][p], vkq = V[k][q];
                    V[k][p] = c * vkp - s * vkq;
                    V[k][q] = s * vkp + c * vkq;
                }
            }
    }
    // A proper rotation: flip the last eigenvector when V is a reflection.
    const double det = V[0][0] * (V[1][1] * V[2][2] - V[1][2] * V[2][1]) -
                       V[0][1] * (V[1][0] * V[2][2] - V[1][2] * V[2][0]) +
                       V[0][2] * (V[1][0] * V[2][1] - V[1][1] * V[2][0]);
    if (det < 0.0)
        for (int k = 0; k < 3; ++k) V[k][2] = -V[k][2];
    for (int k = 0; k < 3; ++k) log_scales[k] = float(0.5 * std::log(std::max(A[k][k], 1e-24)));
    double q[4];
    quaternion_from_rotation(V, q);
    for (int k = 0; k < 4; ++k) quaternion[k] = float(q[k]);
}

void rotation_4d_from_3d(const float quaternion[4], float rot_l[4], float rot_r[4]) {
    // With v = (x, y, z, t) read as the quaternion x + y i + z j + t k, the map v -> ql v qr with
    // qr = conj(k) conj(ql) k fixes k (the t axis) and turns w = v conj(k), whose imaginary part is
    // P (x, y, z) with P = [[0,0,-1],[0,1,0],[-1,0,0]], by ql. So ql is the quaternion of P R3 P.
    const auto q = kern::normalize_quat(kern::Quat<double>{quaternion[0], quaternion[1], quaternion[2], quaternion[3]});
    const auto R = kern::rotation_matrix(q);
    const double P[3][3] = {{0, 0, -1}, {0, 1, 0}, {-1, 0, 0}};
    double M[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double v = 0;
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 3; ++b) v += P[i][a] * R.m[a][b] * P[b][j];
            M[i][j] = v;
        }
    double l[4];
    quaternion_from_rotation(M, l);
    const Quatd ql{l[0], l[1], l[2], l[3]}, ql_conj{l[0], -l[1], -l[2], -l[3]};
    const Quatd k{0, 0, 0, 1}, k_conj{0, 0, 0, -1};
    const Quatd qr = qmul(qmul(k_conj, ql_conj), k);
    for (int a = 0; a < 4; ++a) {
        rot_l[a] = float(ql[size_t(a)]);
        rot_r[a] = float(qr[size_t(a)]);
    }
}

Cloud4dRenderer::Cloud4dRenderer(Backend& backend, const GaussianCloud4d& cloud, float min_weight)
    : m_backend(backend), m_count(cloud.size()), m_min_weight(min_weight) {
    cloud.validate("4D scene");
    m_info.sh_degree = cloud.sh_degree;
    m_info.sh_degree_t = cloud.sh_degree_t;
    m_info.time_min = cloud.time_min;
    m_info.time_max = cloud.time_max;
    m_info.time_period = cloud.time_period;
    Uploaded u = upload(backend, cloud);
    m_means = std::move(u.means);
    m_log_scales = std::move(u.log_scales);
    m_rot_l = std::move(u.rot_l);
    m_rot_r = std::move(u.rot_r);
    m_opacities = std::move(u.opacities);
    m_sh = std::move(u.sh);
    m_ctx = backend.ops<RasterOps>().create_context();
}

Image Cloud4dRenderer::render(const Camera& camera, float time, const RenderOptions& options, Image* alpha,
                              Image* depth) {
    Gaussian4dTensors in;
    in.means = &m_means;
    in.log_scales = &m_log_scales;
    in.rot_l = &m_rot_l;
    in.rot_r = &m_rot_r;
    in.opacities = &m_opacities;
    in.sh = &m_sh;
    in.sh_coeffs = m_info.spatial_coeffs();
    Slice4dSettings s;
    s.time = time;
    s.time_period = m_info.time_period;
    s.sh_degree = options.sh_degree < 0 ? m_info.sh_degree : std::min(options.sh_degree, m_info.sh_degree);
    s.sh_degree_t = m_info.sh_degree_t;
    s.min_weight = m_min_weight;
    m_backend.ops<Slice4dOps>().forward(in, s, m_slice);

    RasterTensors r;
    r.means = &m_slice.means;
    r.covariances = &m_slice.covariances;
    r.opacities = &m_slice.opacities;
    r.sh = &m_slice.sh;
    r.sh_degree = s.sh_degree;
    return rasterize_images(m_backend, *m_ctx, r, camera, options, alpha, depth);
}

GaussianCloud slice_cloud(Backend& backend, const GaussianCloud4d& cloud, float time, float min_weight) {
    cloud.validate("4D scene");
    const Uploaded u = upload(backend, cloud);
    Slice4dSettings s;
    s.time = time;
    s.time_period = cloud.time_period;
    s.sh_degree = cloud.sh_degree;
    s.sh_degree_t = cloud.sh_degree_t;
    s.min_weight = min_weight;
    Slice4dTensors slice;
    backend.ops<Slice4dOps>().forward(view(u, cloud.spatial_coeffs()), s, slice);
    const size_t m = slice.count();
    GaussianCloud out;
    out.resize(m, cloud.sh_degree);
    std::vector<float> cov(m * 6);
    backend.download(slice.means, out.positions.data());
    backend.download(slice.covariances, cov.data());
    backend.download(slice.opacities, out.opacities.data());
    backend.download(slice.sh, out.sh.data());
    for (size_t i = 0; i < m; ++i)
        covariance_to_scale_rotation(&cov[6 * i], &out.log_scales[3 * i], &out.rotations[4 * i]);
    return out;
}

} // namespace splatscape
