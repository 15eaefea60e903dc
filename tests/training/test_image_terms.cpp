// What training adds around the rasterizer: the 3D smoothing filter's sampling rates
// (training/kernels/filter3d.hpp), the per-image colour transform (training/kernels/appearance.hpp,
// its backward against finite differences) and loss masks, including where the dataset loaders
// find mask files.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/fd_util.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/kernels/appearance.hpp"
#include "training/kernels/filter3d.hpp"
#include "training/ops/appearance_ops.hpp"
#include "training/ops/filter3d_ops.hpp"

namespace splatscape::test {
namespace {

TEST(Filter3d, VarianceFromTheHighestSamplingRate) {
    CpuBackend backend(2);
    // Two cameras on the z axis looking along +z (focal 100 and 200, 64 x 64), 5 and 2 units from
    // the origin.
    auto camera = [](float z, float focal) {
        auto c = look_at_camera<float>({0.0f, 0.0f, z}, {0.0f, 0.0f, 10.0f}, 64, 64, focal);
        return c;
    };
    const std::vector<kern::RasterCamera<float>> cams = {camera(-5.0f, 100.0f), camera(-2.0f, 200.0f)};
    // At the origin (seen by both: rates 100 / 5 = 20 and 200 / 2 = 100), far off to the side (seen
    // by neither), and just outside the second camera's image but inside its 15 % margin.
    const std::vector<float> means = {0, 0, 0, 50, 0, 0, 0.35f, 0, 0};
    Tensor m = backend.zeros(3, 3), v = backend.zeros(3, 1);
    backend.upload(m, means.data());
    backend.ops<Filter3dOps>().compute(m, cams, 0.01f, 0.2f, v);
    const std::vector<float> var = backend.download_f32(v);
    EXPECT_NEAR(var[0], 0.2f / (100.0f * 100.0f), 1e-9f);
    // Unseen: the lowest rate of the seen ones (the third: camera 2 at depth 2 sees x = 0.35 at
    // pixel 32 + 200 * 0.35 / 2 = 67, inside 64 + 9.6).
    EXPECT_NEAR(var[2], 0.2f / (100.0f * 100.0f), 1e-9f);
    EXPECT_NEAR(var[1], 0.2f / (100.0f * 100.0f), 1e-9f);
    EXPECT_EQ(kern::sampling_rate(&means[3], cams[0], 0.01f), 0.0f);
    EXPECT_NEAR(kern::sampling_rate(&means[6], cams[0], 0.01f), 20.0f, 1e-4f);
}

TEST(Filter3d, CovarianceFormMatchesScaleForm) {
    // An axis-aligned Gaussian: Sigma + v I and the filtered scales describe the same Gaussian, and
    // both give coef3d = prod s / s'.
    const double ls[3] = {std::log(0.1), std::log(0.02), std::log(0.3)}, v = 0.001;
    double out[3];
    const double coef = kern::filter_3d_log_scales(ls, v, out);
    kern::Sym3<double> cov = {std::exp(2 * ls[0]), 0, 0, std::exp(2 * ls[1]), 0, std::exp(2 * ls[2])}, f;
    const double coef_cov = kern::filter_3d_covariance(cov, v, f);
    EXPECT_NEAR(coef, coef_cov, 1e-12);
    EXPECT_NEAR(std::exp(2 * out[1]), f.yy, 1e-12);
    // The covariance backward against finite differences on a rotated one.
    const kern::Sym3<double> c0 = {0.02, 0.004, -0.003, 0.01, 0.002, 0.015};
    auto loss = [&](const std::vector<double>& x) {
        kern::Sym3<double> c = {x[0], x[1], x[2], x[3], x[4], x[5]}, o;
        const double k = kern::filter_3d_covariance(c, v, o);
        return 0.7 * k + 1.3 * o.xx - 0.4 * o.xy + 0.9 * o.yz;
    };
    kern::Sym3<double> d = {0, 0, 0, 0, 0, 0};
    kern::filter_3d_covariance_backward(c0, v, kern::Sym3<double>{1.3, -0.4, 0.0, 0.0, 0.9, 0.0}, 0.7, d);
    expect_gradients_near({d.xx, d.xy, d.xz, d.yy, d.yz, d.zz},
                          numeric_gradient(loss, {c0.xx, c0.xy, c0.xz, c0.yy, c0.yz, c0.zz}, 1e-7), 1e-6, 1e-9,
                          "filter_3d_covariance");
}

TEST(Appearance, AffineBackwardMatchesFiniteDifferences) {
    std::mt19937 rng(4);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<double> x(15); // 12 parameters, then an RGB value
    for (double& v : x) v = u(rng);
    const double w[3] = {0.3, -1.1, 0.8}; // dL/dout
    auto loss = [&](const std::vector<double>& v) {
        double out[3];
        kern::affine_color(v.data(), v.data() + 12, out);
        return w[0] * out[0] + w[1] * out[1] + w[2] * out[2];
    };
    std::vector<double> analytic(15, 0.0);
    kern::affine_color_backward(x.data(), x.data() + 12, w, analytic.data() + 12, analytic.data());
    expect_gradients_near(analytic, numeric_gradient(loss, x, 1e-6), 1e-8, 1e-10, "affine colour");
}

TEST(Appearance, OpsSumOverPixelsAndMask) {
    CpuBackend backend(2);
    AppearanceOps& ops = backend.ops<AppearanceOps>();
    const size_t pixels = 10000; // more than one of the CPU's partial-sum chunks
    std::mt19937 rng(8);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> rgb(pixels * 3), d(pixels * 3);
    for (float& v : rgb) v = u(rng);
    for (float& v : d) v = u(rng) - 0.5f;
    std::vector<float> params(2 * 12);
    for (int k = 0; k < 24; ++k) params[size_t(k)] = kern::appearance_identity(k % 12) + 0.1f * (u(rng) - 0.5f);
    auto make = [&](const std::vector<float>& v, size_t rows, int cols) {
        Tensor t = backend.zeros(rows, cols);
        backend.upload(t, v.data());
        return t;
    };
    const Tensor in = make(rgb, pixels, 3), d_out = make(d, pixels, 3), p = make(params, 2, 12);
    Tensor out = backend.zeros(pixels, 3), d_in = backend.zeros(pixels, 3), d_p = backend.zeros(2, 12);
    ops.affine_forward(in, p, 1, out);
    ops.affine_backward(in, d_out, p, 1, d_in, d_p);
    const std::vector<float> o = backend.download_f32(out), gp = backend.download_f32(d_p);
    const float* q = params.data() + 12;
    double want[12] = {};
    for (size_t i = 0; i < pixels; ++i)
        for (int c = 0; c < 3; ++c) {
            const double e =
                q[4 * c] * rgb[3 * i] + q[4 * c + 1] * rgb[3 * i + 1] + q[4 * c + 2] * rgb[3 * i + 2] + q[4 * c + 3];
            ASSERT_NEAR(o[3 * i + c], e, 1e-6);
            for (int k = 0; k < 3; ++k) want[4 * c + k] += double(d[3 * i + c]) * rgb[3 * i + k];
            want[4 * c + 3] += d[3 * i + c];
        }
    for (int k = 0; k < 12; ++k) {
        EXPECT_EQ(gp[size_t(k)], 0.0f) << "row 0 is untouched";
        EXPECT_NEAR(gp[12 + size_t(k)], want[k], 1e-3) << k;
    }
    // Masks: zero where the mask is 0.
    std::vector<float> mask(pixels, 1.0f);
    mask[5] = 0.0f;
    Tensor mk = make(mask, pixels, 1);
    ops.apply_mask(out, mk);
    const std::vector<float> masked = backend.download_f32(out);
    EXPECT_EQ(masked[15], 0.0f);
    EXPECT_EQ(masked[18], o[18]);
}

// Loaders find masks in the dataset's masks/ folder by the image's name (with any image extension,
// or with ".png" appended), and load them at the camera's resolution; the alpha channel serves as a
// mask when asked for.
TEST(Masks, LoadersFindTheMasksFolder) {
    TempDir dir("masks");
    write_gaussian_dataset(dir.path(), ground_truth_gaussians(4, 2), 4, 2, 32, true);
    const Dataset before = load_dataset(dir.path());
    EXPECT_EQ(before.mask_count(), 0u);
    std::filesystem::create_directories(dir.path() / "masks");
    Image half(32, 32, 1, 1.0f);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 16; ++x) half.at(x, y, 0) = 0.0f;
    const Frame& f0 = before.train[0];
    const Frame& f1 = before.train[1];
    // One named as the image, one with ".png" appended to the image's name.
    save_image(dir.path() / "masks" / (f0.image.stem().string() + ".png"), half);
    save_image(dir.path() / "masks" / (f1.image.filename().string() + ".png"), half);
    const Dataset d = load_dataset(dir.path());
    EXPECT_EQ(d.mask_count(), 2u);
    const Image m = d.load_mask(d.train[0]);
    ASSERT_EQ(m.width, d.train[0].camera.width);
    ASSERT_EQ(m.channels, 1);
    EXPECT_EQ(m.at(3, 5, 0), 0.0f);
    EXPECT_EQ(m.at(20, 5, 0), 1.0f);
    EXPECT_TRUE(d.load_mask(d.train[2]).empty());
    // From the alpha channel (the fixture writes RGBA with the rendered alpha).
    const Image a = d.load_mask(d.train[2], true);
    ASSERT_EQ(a.channels, 1);
    float lo = 1.0f, hi = 0.0f;
    for (float v : a.data) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_LT(lo, 0.01f);
    EXPECT_GT(hi, 0.5f);
}

} // namespace
} // namespace splatscape::test
