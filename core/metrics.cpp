#include "core/metrics.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"

namespace splatscape {
namespace {
void check_same(const Image& a, const Image& b, const char* what) {
    if (a.width != b.width || a.height != b.height || a.channels != b.channels || a.empty())
        throw Error(cat(what, ": images differ in size (", a.width, "x", a.height, "x", a.channels, " vs ", b.width,
                        "x", b.height, "x", b.channels, ") or are empty"));
}

// Separable Gaussian blur of one channel plane with zero padding ("same" size).
void blur(const std::vector<double>& in, std::vector<double>& out, int w, int h, const std::vector<double>& g) {
    const int r = int(g.size()) / 2;
    std::vector<double> tmp(in.size(), 0.0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double s = 0;
            for (int k = -r; k <= r; ++k) {
                int xx = x + k;
                if (xx >= 0 && xx < w) s += g[k + r] * in[size_t(y) * w + xx];
            }
            tmp[size_t(y) * w + x] = s;
        }
    out.assign(in.size(), 0.0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double s = 0;
            for (int k = -r; k <= r; ++k) {
                int yy = y + k;
                if (yy >= 0 && yy < h) s += g[k + r] * tmp[size_t(yy) * w + x];
            }
            out[size_t(y) * w + x] = s;
        }
}
}  // namespace

double mse(const Image& a, const Image& b) {
    check_same(a, b, "mse");
    double s = 0;
    for (size_t i = 0; i < a.data.size(); ++i) {
        double d = double(a.data[i]) - double(b.data[i]);
        s += d * d;
    }
    return s / double(a.data.size());
}

double psnr(const Image& a, const Image& b) {
    double m = mse(a, b);
    if (m <= 0) return std::numeric_limits<double>::infinity();
    return -10.0 * std::log10(m);
}

double ssim(const Image& a, const Image& b) {
    check_same(a, b, "ssim");
    constexpr int kWindow = 11;
    constexpr double kSigma = 1.5, kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;
    std::vector<double> g(kWindow);
    double gs = 0;
    for (int i = 0; i < kWindow; ++i) gs += g[i] = std::exp(-double((i - 5) * (i - 5)) / (2 * kSigma * kSigma));
    for (double& v : g) v /= gs;

    const int w = a.width, h = a.height;
    const size_t n = a.pixel_count();
    std::vector<double> x(n), y(n), xx(n), yy(n), xy(n), mx, my, sxx, syy, sxy;
    double total = 0;
    for (int c = 0; c < a.channels; ++c) {
        for (size_t i = 0; i < n; ++i) {
            x[i] = a.data[i * a.channels + c];
            y[i] = b.data[i * b.channels + c];
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        blur(x, mx, w, h, g);
        blur(y, my, w, h, g);
        blur(xx, sxx, w, h, g);
        blur(yy, syy, w, h, g);
        blur(xy, sxy, w, h, g);
        for (size_t i = 0; i < n; ++i) {
            double mu_x = mx[i], mu_y = my[i];
            double var_x = sxx[i] - mu_x * mu_x, var_y = syy[i] - mu_y * mu_y, cov = sxy[i] - mu_x * mu_y;
            total += ((2 * mu_x * mu_y + kC1) * (2 * cov + kC2)) /
                     ((mu_x * mu_x + mu_y * mu_y + kC1) * (var_x + var_y + kC2));
        }
    }
    return total / double(n * a.channels);
}

}  // namespace splatscape
