#include "training/cpu/loss_cpu.hpp"

#include <algorithm>
#include <cmath>

#include "training/cpu/thread_pool.hpp"
#include "training/kernels/ssim.hpp"

namespace splatscape::cpu {
namespace {

using kern::kSsimRadius;
using kern::kSsimWindow;

// Zero-padded "same" separable filtering of `count` planes of w x h, in place through `tmp`.
template <class T>
void blur_planes(T* const* planes, int count, int w, int h, const T* win, std::vector<T>& tmp_storage) {
    const size_t plane = size_t(w) * h;
    tmp_storage.resize(plane * count);
    const size_t rows = size_t(count) * h;
    std::vector<std::vector<T>> row_buffers(size_t(cpu_pool().size()),
                                            std::vector<T>(size_t(w) + 2 * kSsimRadius, T(0)));
    // Horizontal pass into tmp.
    cpu_pool().parallel_for(rows, 16, [&](size_t rb, size_t re, int worker) {
        std::vector<T>& row = row_buffers[size_t(worker)];
        for (size_t r = rb; r < re; ++r) {
            const int pi = int(r / h), y = int(r % h);
            const T* src = planes[pi] + size_t(y) * w;
            std::copy(src, src + w, row.begin() + kSsimRadius);
            T* dst = tmp_storage.data() + pi * plane + size_t(y) * w;
            for (int x = 0; x < w; ++x) {
                T s = T(0);
                for (int k = 0; k < kSsimWindow; ++k) s += win[k] * row[x + k];
                dst[x] = s;
            }
        }
    });
    // Vertical pass back into the planes.
    parallel_for_each(rows, 16, [&](size_t r) {
        const int pi = int(r / h), y = int(r % h);
        const T* src = tmp_storage.data() + pi * plane;
        T* dst = planes[pi] + size_t(y) * w;
        std::fill(dst, dst + w, T(0));
        for (int k = 0; k < kSsimWindow; ++k) {
            const int yy = y + k - kSsimRadius;
            if (yy < 0 || yy >= h) continue;
            const T wk = win[k];
            const T* s = src + size_t(yy) * w;
            for (int x = 0; x < w; ++x) dst[x] += wk * s[x];
        }
    });
}

} // namespace

template <class T>
double ssim_forward_backward(const T* x, const T* y, int w, int h, int channels, T* d_x, LossWorkspace<T>& ws) {
    const size_t plane = size_t(w) * h;
    T win[kSsimWindow];
    kern::ssim_window(win);
    // Planes per channel: mx, my, exx, eyy, exy (forward), then A, B, C (backward, reusing mx, exx, exy).
    ws.planes.resize(plane * 5 * channels);
    std::vector<T> tmp;
    std::vector<T*> ptrs;
    for (int c = 0; c < channels; ++c) {
        T* base = ws.planes.data() + plane * 5 * c;
        for (size_t i = 0; i < plane; ++i) {
            const T a = x[i * channels + c], b = y[i * channels + c];
            base[i] = a;
            base[plane + i] = b;
            base[2 * plane + i] = a * a;
            base[3 * plane + i] = b * b;
            base[4 * plane + i] = a * b;
        }
        for (int k = 0; k < 5; ++k) ptrs.push_back(base + k * plane);
    }
    blur_planes(ptrs.data(), int(ptrs.size()), w, h, win, tmp);

    std::vector<double> row_sums(size_t(h) * channels, 0.0);
    parallel_for_each(size_t(channels) * h, 8, [&](size_t r) {
        const int c = int(r / h), yy = int(r % h);
        T* base = ws.planes.data() + plane * 5 * c;
        double s = 0.0;
        for (int xx = 0; xx < w; ++xx) {
            const size_t i = size_t(yy) * w + xx;
            T dmx = T(0), dexx = T(0), dexy = T(0);
            const T v = kern::ssim_pixel(base[i], base[plane + i], base[2 * plane + i], base[3 * plane + i],
                                         base[4 * plane + i], d_x ? &dmx : nullptr, &dexx, &dexy);
            s += double(v);
            if (d_x) {
                base[i] = dmx;
                base[2 * plane + i] = dexx;
                base[4 * plane + i] = dexy;
            }
        }
        row_sums[r] = s;
    });
    double total = 0.0;
    for (double v : row_sums) total += v;
    const double n = double(plane) * channels;
    if (!d_x) return total / n;

    ptrs.clear();
    for (int c = 0; c < channels; ++c) {
        T* base = ws.planes.data() + plane * 5 * c;
        ptrs.push_back(base);
        ptrs.push_back(base + 2 * plane);
        ptrs.push_back(base + 4 * plane);
    }
    // The adjoint of a zero-padded "same" filter with a symmetric window is the same filter.
    blur_planes(ptrs.data(), int(ptrs.size()), w, h, win, tmp);
    const T inv_n = T(1.0 / n);
    parallel_for_each(size_t(channels) * h, 8, [&](size_t r) {
        const int c = int(r / h), yy = int(r % h);
        const T* base = ws.planes.data() + plane * 5 * c;
        for (int xx = 0; xx < w; ++xx) {
            const size_t i = size_t(yy) * w + xx;
            const T a = x[i * channels + c], b = y[i * channels + c];
            d_x[i * channels + c] = inv_n * (base[i] + T(2) * a * base[2 * plane + i] + b * base[4 * plane + i]);
        }
    });
    return total / n;
}

template <class T>
LossValue image_loss(const T* rendered, const T* target, int w, int h, int channels, float ssim_weight, T* d_rendered,
                     LossWorkspace<T>& ws) {
    LossValue out;
    const size_t count = size_t(w) * h * channels;
    const double lambda = ssim_weight;
    if (lambda > 0.0) {
        out.ssim = ssim_forward_backward(rendered, target, w, h, channels, d_rendered, ws);
        if (d_rendered)
            for (size_t i = 0; i < count; ++i) d_rendered[i] = T(-lambda) * d_rendered[i];
    } else {
        out.ssim = ssim_forward_backward(rendered, target, w, h, channels, static_cast<T*>(nullptr), ws);
        if (d_rendered) std::fill(d_rendered, d_rendered + count, T(0));
    }
    std::vector<double> row_sums(h, 0.0);
    const T l1_scale = T((1.0 - lambda) / double(count));
    parallel_for_each(size_t(h), 8, [&](size_t y) {
        double s = 0.0;
        for (size_t i = size_t(y) * w * channels; i < size_t(y + 1) * w * channels; ++i) {
            const T d = rendered[i] - target[i];
            s += std::abs(double(d));
            if (d_rendered) d_rendered[i] += d > T(0) ? l1_scale : (d < T(0) ? -l1_scale : T(0));
        }
        row_sums[y] = s;
    });
    double l1 = 0.0;
    for (double v : row_sums) l1 += v;
    out.l1 = l1 / double(count);
    out.loss = (1.0 - lambda) * out.l1 + lambda * (1.0 - out.ssim);
    return out;
}

template double ssim_forward_backward<float>(const float*, const float*, int, int, int, float*, LossWorkspace<float>&);
template double ssim_forward_backward<double>(const double*, const double*, int, int, int, double*,
                                              LossWorkspace<double>&);
template LossValue image_loss<float>(const float*, const float*, int, int, int, float, float*, LossWorkspace<float>&);
template LossValue image_loss<double>(const double*, const double*, int, int, int, float, double*,
                                      LossWorkspace<double>&);

} // namespace splatscape::cpu
