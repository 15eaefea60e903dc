#include "core/io/frame_convert.hpp"

#include <cassert>
#include <cmath>

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>

namespace splatscape {

std::array<float, 16> sh_basis(const glm::vec3& d) {
    // Constants of the 3DGS reference: SH_C0, SH_C1, SH_C2[5], SH_C3[7].
    const float x = d.x, y = d.y, z = d.z;
    const float xx = x * x, yy = y * y, zz = z * z;
    return {0.28209479177387814f,
            -0.4886025119029199f * y,
            0.4886025119029199f * z,
            -0.4886025119029199f * x,
            1.0925484305920792f * x * y,
            -1.0925484305920792f * y * z,
            0.31539156525252005f * (2.0f * zz - xx - yy),
            -1.0925484305920792f * x * z,
            0.5462742152960396f * (xx - yy),
            -0.5900435899266435f * y * (3.0f * xx - yy),
            2.890611442640554f * x * y * z,
            -0.4570457994644658f * y * (4.0f * zz - xx - yy),
            0.3731763325901154f * z * (2.0f * zz - 3.0f * xx - 3.0f * yy),
            -0.4570457994644658f * x * (4.0f * zz - xx - yy),
            1.445305721320277f * z * (xx - yy),
            -0.5900435899266435f * x * (xx - 3.0f * yy)};
}

glm::vec3 sh_eval(const float* sh, int degree, const glm::vec3& dir) {
    auto basis = sh_basis(dir);
    glm::vec3 c(0.0f);
    for (int k = 0; k < sh_coeff_count(degree); ++k)
        for (int ch = 0; ch < 3; ++ch) c[ch] += basis[k] * sh[k * 3 + ch];
    return c;
}

std::array<float, 16> sh_flip_signs(AxisFlip f) {
    // A direction where no basis function vanishes, so the ratio is exactly +-1.
    const glm::vec3 d = glm::normalize(glm::vec3(0.31f, 0.47f, 0.83f));
    auto a = sh_basis(d);
    auto b = sh_basis(glm::vec3(f.x, f.y, f.z) * d);
    std::array<float, 16> s{};
    for (int k = 0; k < 16; ++k) s[k] = (a[k] * b[k] >= 0.0f) ? 1.0f : -1.0f;
    return s;
}

void apply_axis_flip(GaussianCloud& c, AxisFlip f) {
    assert(f.x * f.y * f.z > 0.0f && "an axis flip at a file boundary must be a rotation");
    const size_t n = c.size();
    const int k = c.sh_coeffs();
    const auto signs = sh_flip_signs(f);
    const float axis[3] = {f.x, f.y, f.z};
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] *= axis[a];
            // R' = F R F for a rotation F keeps the angle and maps the axis by F: (w, F v).
            c.rotations[4 * i + 1 + a] *= axis[a];
        }
        for (int j = 1; j < k; ++j)
            for (int ch = 0; ch < 3; ++ch) c.sh[(i * k + j) * 3 + ch] *= signs[j];
    }
}

std::vector<std::vector<float>> sh_rotation(const glm::mat3& r, int degree) {
    // For each band, D^T solves Y(R^T d_j) = D Y(d_j) in the least-squares sense over directions
    // spread on the sphere; coefficients then map as c' = D^T c so that c'.Y(d') = c.Y(R^T d').
    constexpr int kDirs = 64;
    std::vector<glm::vec3> dirs;
    for (int j = 0; j < kDirs; ++j) {
        float zc = 1.0f - 2.0f * (float(j) + 0.5f) / float(kDirs);
        float rad = std::sqrt(std::max(0.0f, 1.0f - zc * zc));
        float phi = float(j) * 2.399963229728653f; // golden angle
        dirs.push_back({rad * std::cos(phi), rad * std::sin(phi), zc});
    }
    const glm::mat3 rt = glm::transpose(r);
    std::vector<std::vector<float>> out;
    for (int l = 1; l <= degree; ++l) {
        const int m = 2 * l + 1, first = l * l;
        // Normal equations (Y0^T Y0) X = Y0^T Y1, solved in double with partial pivoting.
        std::vector<double> a(m * m, 0.0), b(m * m, 0.0);
        for (const auto& d : dirs) {
            auto y0 = sh_basis(d);
            auto y1 = sh_basis(rt * d);
            for (int p = 0; p < m; ++p)
                for (int q = 0; q < m; ++q) {
                    a[p * m + q] += double(y0[first + p]) * y0[first + q];
                    b[p * m + q] += double(y0[first + p]) * y1[first + q];
                }
        }
        for (int col = 0; col < m; ++col) {
            int piv = col;
            for (int row = col + 1; row < m; ++row)
                if (std::abs(a[row * m + col]) > std::abs(a[piv * m + col])) piv = row;
            for (int q = 0; q < m; ++q) {
                std::swap(a[col * m + q], a[piv * m + q]);
                std::swap(b[col * m + q], b[piv * m + q]);
            }
            for (int row = 0; row < m; ++row) {
                if (row == col) continue;
                double f = a[row * m + col] / a[col * m + col];
                for (int q = 0; q < m; ++q) {
                    a[row * m + q] -= f * a[col * m + q];
                    b[row * m + q] -= f * b[col * m + q];
                }
            }
        }
        // Y1 = Y0 X (rows are directions) means Y(R^T d)_q = sum_p Y(d)_p X[p][q]; then
        // c.Y(R^T d) = sum_p Y(d)_p (sum_q X[p][q] c_q), so c'_p = sum_q X[p][q] c_q.
        std::vector<float> band(m * m);
        for (int p = 0; p < m; ++p)
            for (int q = 0; q < m; ++q) band[p * m + q] = float(b[p * m + q] / a[p * m + p]);
        out.push_back(std::move(band));
    }
    return out;
}

} // namespace splatscape
