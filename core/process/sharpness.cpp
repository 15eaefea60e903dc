#include "core/process/sharpness.hpp"

#include <cmath>

namespace splatscape::process {

double laplacian_variance(const Image& image) {
    const int w = image.width, h = image.height, c = image.channels;
    if (w < 3 || h < 3 || c <= 0 || image.data.size() < size_t(w) * size_t(h) * size_t(c)) return 0.0;
    std::vector<double> luma(size_t(w) * size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float* p = image.pixel(x, y);
            luma[size_t(y) * w + x] = 255.0 * (c >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0]);
        }
    // Mean and variance in one pass (Welford), stable for large images.
    double mean = 0.0, m2 = 0.0;
    size_t n = 0;
    for (int y = 1; y + 1 < h; ++y)
        for (int x = 1; x + 1 < w; ++x) {
            const size_t i = size_t(y) * w + x;
            const double lap = luma[i - 1] + luma[i + 1] + luma[i - size_t(w)] + luma[i + size_t(w)] - 4.0 * luma[i];
            ++n;
            const double d = lap - mean;
            mean += d / double(n);
            m2 += d * (lap - mean);
        }
    return n ? m2 / double(n) : 0.0;
}

std::vector<size_t> select_sharpest(const std::vector<double>& sharpness, size_t windows) {
    const size_t n = sharpness.size();
    std::vector<size_t> kept;
    if (windows == 0 || n == 0) return kept;
    if (windows >= n) {
        for (size_t i = 0; i < n; ++i) kept.push_back(i);
        return kept;
    }
    kept.reserve(windows);
    for (size_t k = 0; k < windows; ++k) {
        const size_t begin = k * n / windows, end = (k + 1) * n / windows;
        size_t best = begin;
        for (size_t i = begin + 1; i < end; ++i)
            if (!std::isnan(sharpness[i]) && (std::isnan(sharpness[best]) || sharpness[i] > sharpness[best])) best = i;
        kept.push_back(best);
    }
    return kept;
}

} // namespace splatscape::process
