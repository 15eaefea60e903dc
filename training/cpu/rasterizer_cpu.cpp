#include "training/cpu/rasterizer_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "training/cpu/thread_pool.hpp"
#include "training/kernels/binning.hpp"

namespace splatscape::cpu {
namespace {

using kern::kTileSize;
constexpr int kTilePixels = kTileSize * kTileSize;

template <class T>
kern::GaussianRef<T> gaussian_ref(const RasterInputs<T>& in, size_t i) {
    kern::GaussianRef<T> g;
    g.mean = in.means + 3 * i;
    g.log_scale = in.covariances ? nullptr : in.log_scales + 3 * i;
    g.rotation = in.covariances ? nullptr : in.rotations + 4 * i;
    g.cov3d = in.covariances ? in.covariances + 6 * i : nullptr;
    g.opacity_logit = in.opacities[i];
    g.sh = in.colors ? nullptr : in.sh + i * size_t(in.sh_stride) * 3;
    g.sh_degree = in.sh_degree;
    g.rgb = in.colors ? in.colors + 3 * i : nullptr;
    g.filter_3d = in.filter_3d ? in.filter_3d[i] : T(0);
    return g;
}

// Half-size in pixels of the box around a splat outside which its alpha stays below 1/255: the
// bounding box of the ellipse alpha_base * exp(power) >= 1/255. Skipping the pixels outside it
// changes nothing (each would fail the alpha test); it only saves work. Negative when no pixel can
// reach 1/255.
template <class T>
void splat_half_extent(T alpha_base, const kern::Vec3<T>& conic, T* half) {
    const T level = T(255) * alpha_base;
    if (!(level >= T(1))) {
        half[0] = half[1] = T(-1);
        return;
    }
    const T L = T(2) * std::log(level);
    const T det_q = conic.x * conic.z - conic.y * conic.y;
    if (!(det_q > T(0))) {
        half[0] = half[1] = T(1e9);
        return;
    }
    half[0] = std::sqrt(L * conic.z / det_q);
    half[1] = std::sqrt(L * conic.x / det_q);
}

// The splat's box within a tile, tile-local and inclusive, widened by a pixel against rounding.
template <class Splat>
inline __attribute__((always_inline)) bool splat_pixel_box(const Splat& s, int px0, int py0, int pw, int ph, int& xa,
                                                           int& xb, int& ya, int& yb) {
    using T = std::remove_cv_t<decltype(s.alpha_base)>;
    const T hx = s.half_extent[0], hy = s.half_extent[1];
    if (hx < T(0)) return false;
    // Pixel centres at i + 0.5 within [m - h, m + h].
    const T fx0 = std::ceil(s.mean2d[0] - hx - T(0.5)) - T(1), fx1 = std::floor(s.mean2d[0] + hx - T(0.5)) + T(1);
    const T fy0 = std::ceil(s.mean2d[1] - hy - T(0.5)) - T(1), fy1 = std::floor(s.mean2d[1] + hy - T(0.5)) + T(1);
    xa = int(std::max(fx0 - T(px0), T(0)));
    xb = int(std::min(fx1 - T(px0), T(pw - 1)));
    ya = int(std::max(fy0 - T(py0), T(0)));
    yb = int(std::min(fy1 - T(py0), T(ph - 1)));
    return xa <= xb && ya <= yb;
}

// Per-tile pixel state, structure of arrays so the loops over a row of pixels vectorise.
template <class T>
struct alignas(64) ForwardTile {
    T trans[kTilePixels], c0[kTilePixels], c1[kTilePixels], c2[kTilePixels], depth[kTilePixels];
    uint32_t last[kTilePixels], done[kTilePixels];
};

template <class T>
struct alignas(64) BackwardTile {
    T trans[kTilePixels], s0[kTilePixels], s1[kTilePixels], s2[kTilePixels], sd[kTilePixels];
    T t_final[kTilePixels], dc0[kTilePixels], dc1[kTilePixels], dc2[kTilePixels], da[kTilePixels], dd[kTilePixels];
    uint32_t visits[kTilePixels];
};

// Composites one tile front to back, Gaussian by Gaussian over the tile's pixels. Per pixel this is
// exactly the loop of the specification: a pixel stops at the first Gaussian that would take its
// transmittance below 1e-4. Each row of the splat's box is processed as a whole tile row of 16
// lanes (pixels outside the box fail the alpha test), which compiles to straight vector code.
template <class T>
inline __attribute__((always_inline)) void forward_tile_impl(const typename RasterWorkspace<T>::Splat* splats,
                                                             uint64_t count, int px0, int py0, int pw, int ph,
                                                             ForwardTile<T>& st) {
    for (int p = 0; p < kTilePixels; ++p) {
        st.trans[p] = T(1);
        st.c0[p] = st.c1[p] = st.c2[p] = st.depth[p] = T(0);
        st.last[p] = 0;
        // Pixels outside the image count as done.
        st.done[p] = (p % kTileSize < pw && p / kTileSize < ph) ? 0u : 1u;
    }
    int remaining = pw * ph;
    for (uint64_t k = 0; k < count && remaining > 0; ++k) {
        const auto& sp = splats[k];
        int xa, xb, ya, yb;
        if (!splat_pixel_box(sp, px0, py0, pw, ph, xa, xb, ya, yb)) continue;
        const kern::Vec3<T> conic = {sp.conic[0], sp.conic[1], sp.conic[2]};
        const T mx = sp.mean2d[0] - T(px0) - T(0.5), ab = sp.alpha_base;
        const T r0 = sp.rgb[0], r1 = sp.rgb[1], r2 = sp.rgb[2], dep = sp.depth;
        const uint32_t visit = uint32_t(k + 1);
        for (int ly = ya; ly <= yb; ++ly) {
            const T dy = sp.mean2d[1] - (T(py0 + ly) + T(0.5));
            const int row = ly * kTileSize;
            T* __restrict tr = st.trans + row;
            T* __restrict c0 = st.c0 + row;
            T* __restrict c1 = st.c1 + row;
            T* __restrict c2 = st.c2 + row;
            T* __restrict de = st.depth + row;
            uint32_t* __restrict last = st.last + row;
            uint32_t* __restrict done = st.done + row;
            int finished = 0;
            // Conditions as 0/1 factors and single-comparison selects: GCC does not vectorise
            // combinations of boolean masks of different widths.
#pragma omp simd reduction(+ : finished)
            for (int lx = 0; lx < kTileSize; ++lx) {
                const T live = done[lx] == 0u ? T(1) : T(0);
                const T alpha = kern::splat_alpha(ab, conic, mx - T(lx), dy) * live;
                const T next = tr[lx] * (T(1) - alpha);
                const T hit = alpha > T(0) ? T(1) : T(0);
                const T fin = next < T(kern::kTransmittanceMin) ? hit : T(0);
                const T comp = hit - fin;
                const T w = comp * alpha * tr[lx];
                c0[lx] += r0 * w;
                c1[lx] += r1 * w;
                c2[lx] += r2 * w;
                de[lx] += dep * w;
                tr[lx] = comp > T(0) ? next : tr[lx];
                last[lx] = comp > T(0) ? visit : last[lx];
                done[lx] = fin > T(0) ? 1u : done[lx];
                finished += int(fin);
            }
            remaining -= finished;
        }
    }
}

// Walks one tile back to front and writes each entry's gradient, summed over the tile's pixels.
// Sums are kept per lane and reduced lane by lane in a fixed order, so results do not depend on
// the vector width.
template <class T>
inline __attribute__((always_inline)) void backward_tile_impl(const typename RasterWorkspace<T>::Splat* splats,
                                                              uint32_t max_visit, int px0, int py0, int pw, int ph,
                                                              BackwardTile<T>& st, kern::SplatGrad<T>* entry_grads) {
    constexpr int kLanes = kTileSize;
    for (uint32_t k = max_visit; k-- > 0;) {
        const auto& sp = splats[k];
        alignas(64) T acc[10][kLanes];
        for (int a = 0; a < 10; ++a)
            for (int l = 0; l < kLanes; ++l) acc[a][l] = T(0);
        int xa, xb, ya, yb;
        if (splat_pixel_box(sp, px0, py0, pw, ph, xa, xb, ya, yb)) {
            const kern::Vec3<T> conic = {sp.conic[0], sp.conic[1], sp.conic[2]};
            const T mx = sp.mean2d[0] - T(px0) - T(0.5), ab = sp.alpha_base, dep = sp.depth;
            const T rgb[3] = {sp.rgb[0], sp.rgb[1], sp.rgb[2]};
            for (int ly = ya; ly <= yb; ++ly) {
                const T dy = sp.mean2d[1] - (T(py0 + ly) + T(0.5));
                const int row = ly * kTileSize;
                T* __restrict trans = st.trans + row;
                T* __restrict s0p = st.s0 + row;
                T* __restrict s1p = st.s1 + row;
                T* __restrict s2p = st.s2 + row;
                T* __restrict sdp = st.sd + row;
                const T* __restrict dc0p = st.dc0 + row;
                const T* __restrict dc1p = st.dc1 + row;
                const T* __restrict dc2p = st.dc2 + row;
                const T* __restrict ddp = st.dd + row;
                const T* __restrict dap = st.da + row;
                const T* __restrict tfp = st.t_final + row;
                const uint32_t* __restrict visits = st.visits + row;
#pragma omp simd
                for (int lx = 0; lx < kLanes; ++lx) {
                    kern::PixelBackward<T> px;
                    px.trans = trans[lx];
                    px.S[0] = s0p[lx];
                    px.S[1] = s1p[lx];
                    px.S[2] = s2p[lx];
                    px.S_depth = sdp[lx];
                    px.T_final = tfp[lx];
                    px.dC[0] = dc0p[lx];
                    px.dC[1] = dc1p[lx];
                    px.dC[2] = dc2p[lx];
                    px.dA = dap[lx];
                    px.dD = ddp[lx];
                    kern::SplatGrad<T> g;
                    g.mean2d[0] = g.mean2d[1] = T(0);
                    g.conic[0] = g.conic[1] = g.conic[2] = T(0);
                    g.alpha_base = g.depth = T(0);
                    g.rgb[0] = g.rgb[1] = g.rgb[2] = T(0);
                    kern::composite_backward_step(px, ab, conic, mx - T(lx), dy, k, visits[lx], rgb, dep, g);
                    trans[lx] = px.trans;
                    s0p[lx] = px.S[0];
                    s1p[lx] = px.S[1];
                    s2p[lx] = px.S[2];
                    sdp[lx] = px.S_depth;
                    acc[0][lx] += g.mean2d[0];
                    acc[1][lx] += g.mean2d[1];
                    acc[2][lx] += g.conic[0];
                    acc[3][lx] += g.conic[1];
                    acc[4][lx] += g.conic[2];
                    acc[5][lx] += g.alpha_base;
                    acc[6][lx] += g.rgb[0];
                    acc[7][lx] += g.rgb[1];
                    acc[8][lx] += g.rgb[2];
                    acc[9][lx] += g.depth;
                }
            }
        }
        // Lane sums as a fixed pairwise tree (the same on every vector width).
        for (int half = kLanes / 2; half >= 1; half /= 2)
            for (int a = 0; a < 10; ++a)
                for (int l = 0; l < half; ++l) acc[a][l] += acc[a][l + half];
        T sum[10];
        for (int a = 0; a < 10; ++a) sum[a] = acc[a][0];
        kern::SplatGrad<T>& out = entry_grads[sp.slot];
        out.mean2d[0] = sum[0];
        out.mean2d[1] = sum[1];
        out.conic[0] = sum[2];
        out.conic[1] = sum[3];
        out.conic[2] = sum[4];
        out.alpha_base = sum[5];
        out.rgb[0] = sum[6];
        out.rgb[1] = sum[7];
        out.rgb[2] = sum[8];
        out.depth = sum[9];
    }
}

// Float tile loops are compiled for several x86 vector widths and picked at run time; all give the
// same results (no floating-point contraction, lane sums in a fixed order).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SPLATSCAPE_NO_CLONES)
#define SPLATSCAPE_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SPLATSCAPE_CPU_CLONES
#endif

SPLATSCAPE_CPU_CLONES void forward_tile(const RasterWorkspace<float>::Splat* splats, uint64_t count, int px0, int py0,
                                        int pw, int ph, ForwardTile<float>& st) {
    forward_tile_impl<float>(splats, count, px0, py0, pw, ph, st);
}
void forward_tile(const RasterWorkspace<double>::Splat* splats, uint64_t count, int px0, int py0, int pw, int ph,
                  ForwardTile<double>& st) {
    forward_tile_impl<double>(splats, count, px0, py0, pw, ph, st);
}
SPLATSCAPE_CPU_CLONES void backward_tile(const RasterWorkspace<float>::Splat* splats, uint32_t max_visit, int px0,
                                         int py0, int pw, int ph, BackwardTile<float>& st,
                                         kern::SplatGrad<float>* entry_grads) {
    backward_tile_impl<float>(splats, max_visit, px0, py0, pw, ph, st, entry_grads);
}
void backward_tile(const RasterWorkspace<double>::Splat* splats, uint32_t max_visit, int px0, int py0, int pw, int ph,
                   BackwardTile<double>& st, kern::SplatGrad<double>* entry_grads) {
    backward_tile_impl<double>(splats, max_visit, px0, py0, pw, ph, st, entry_grads);
}

} // namespace

template <class T>
int RasterWorkspace<T>::visible_count() const {
    int n = 0;
    for (uint8_t v : visible) n += v;
    return n;
}

template <class T>
void rasterize_forward(const RasterInputs<T>& in, const kern::RasterCamera<T>& cam, const kern::RasterSettings& s,
                       const T background[3], RasterWorkspace<T>& ws, RasterImages<T>& out) {
    const size_t n = in.count;
    const int W = cam.width, H = cam.height;
    ws.width = W;
    ws.height = H;
    ws.tiles_x = (W + kTileSize - 1) / kTileSize;
    ws.tiles_y = (H + kTileSize - 1) / kTileSize;
    for (int c = 0; c < 3; ++c) ws.background[c] = background[c];
    const int tiles = ws.tiles_x * ws.tiles_y;
    ws.pre.resize(n);
    ws.visible.assign(n, 0);
    ws.half_extent.resize(2 * n);

    // Preprocess every Gaussian.
    parallel_for_each(n, 1024, [&](size_t i) {
        kern::Preprocessed<T>& p = ws.pre[i];
        ws.visible[i] = kern::preprocess_gaussian(gaussian_ref(in, i), cam, s, p) ? 1 : 0;
        if (ws.visible[i]) splat_half_extent(p.alpha_base, p.proj.conic, &ws.half_extent[2 * i]);
    });

    // Bin: slot ranges per Gaussian, entries per tile, then each tile's entries by (depth, index),
    // which is the order of a stable sort of (tile, depth) keys.
    ws.offsets.assign(n + 1, 0);
    std::vector<uint32_t> tile_count(tiles, 0);
    for (size_t i = 0; i < n; ++i) {
        uint64_t touched = 0;
        if (ws.visible[i]) {
            const auto& p = ws.pre[i].proj;
            touched = uint64_t(p.x1 - p.x0) * uint64_t(p.y1 - p.y0);
            for (int ty = p.y0; ty < p.y1; ++ty)
                for (int tx = p.x0; tx < p.x1; ++tx) tile_count[ty * ws.tiles_x + tx]++;
        }
        ws.offsets[i + 1] = ws.offsets[i] + touched;
    }
    const uint64_t m = ws.offsets[n];
    ws.tile_ranges.assign(tiles + 1, 0);
    for (int t = 0; t < tiles; ++t) ws.tile_ranges[t + 1] = ws.tile_ranges[t] + tile_count[t];
    ws.order.resize(m);
    {
        std::vector<uint64_t> cursor(ws.tile_ranges.begin(), ws.tile_ranges.end() - 1);
        for (size_t i = 0; i < n; ++i) {
            if (!ws.visible[i]) continue;
            const auto& p = ws.pre[i].proj;
            const uint64_t key = (uint64_t(kern::float_bits(float(p.depth))) << 32) | uint64_t(i);
            for (int ty = p.y0; ty < p.y1; ++ty)
                for (int tx = p.x0; tx < p.x1; ++tx) ws.order[cursor[ty * ws.tiles_x + tx]++] = key;
        }
    }
    ws.splats.resize(m);
    parallel_for_each(size_t(tiles), 4, [&](size_t ti) {
        const int t = int(ti);
        const uint64_t b = ws.tile_ranges[t], e = ws.tile_ranges[t + 1];
        std::sort(ws.order.begin() + b, ws.order.begin() + e);
        const int tx = t % ws.tiles_x, ty = t / ws.tiles_x;
        for (uint64_t k = b; k < e; ++k) {
            const uint32_t g = uint32_t(ws.order[k]);
            const auto& p = ws.pre[g];
            auto& sp = ws.splats[k];
            sp.mean2d[0] = p.proj.mean2d.x;
            sp.mean2d[1] = p.proj.mean2d.y;
            sp.conic[0] = p.proj.conic.x;
            sp.conic[1] = p.proj.conic.y;
            sp.conic[2] = p.proj.conic.z;
            sp.alpha_base = p.alpha_base;
            sp.rgb[0] = p.rgb.x;
            sp.rgb[1] = p.rgb.y;
            sp.rgb[2] = p.rgb.z;
            sp.depth = p.proj.depth;
            sp.half_extent[0] = ws.half_extent[2 * g];
            sp.half_extent[1] = ws.half_extent[2 * g + 1];
            sp.gaussian = g;
            sp.slot = uint32_t(ws.offsets[g] + kern::rect_slot(tx, ty, p.proj.x0, p.proj.y0, p.proj.x1));
        }
    });

    // Composite each tile.
    ws.final_T.resize(size_t(W) * H);
    ws.n_contrib.resize(size_t(W) * H);
    std::vector<std::unique_ptr<ForwardTile<T>>> scratch(size_t(cpu_pool().size()));
    for (auto& sc : scratch) sc = std::make_unique<ForwardTile<T>>();
    cpu_pool().parallel_for(size_t(tiles), 1, [&](size_t tb, size_t te, int worker) {
        ForwardTile<T>* st = scratch[size_t(worker)].get();
        for (int t = int(tb); t < int(te); ++t) {
            const int tx = t % ws.tiles_x, ty = t / ws.tiles_x;
            const int px0 = tx * kTileSize, py0 = ty * kTileSize;
            const int pw = std::min(kTileSize, W - px0), ph = std::min(kTileSize, H - py0);
            const uint64_t b = ws.tile_ranges[t], e = ws.tile_ranges[t + 1];
            forward_tile(ws.splats.data() + b, e - b, px0, py0, pw, ph, *st);
            for (int ly = 0; ly < ph; ++ly)
                for (int lx = 0; lx < pw; ++lx) {
                    const int p = ly * kTileSize + lx;
                    const size_t pix = size_t(py0 + ly) * W + (px0 + lx);
                    const T tr = st->trans[p];
                    ws.final_T[pix] = tr;
                    ws.n_contrib[pix] = st->last[p];
                    out.rgb[pix * 3] = st->c0[p] + tr * background[0];
                    out.rgb[pix * 3 + 1] = st->c1[p] + tr * background[1];
                    out.rgb[pix * 3 + 2] = st->c2[p] + tr * background[2];
                    if (out.alpha) out.alpha[pix] = T(1) - tr;
                    if (out.depth) out.depth[pix] = st->depth[p];
                }
        }
    });
}

template <class T>
void rasterize_backward(const RasterInputs<T>& in, const kern::RasterCamera<T>& cam, const kern::RasterSettings& s,
                        RasterWorkspace<T>& ws, const T* d_rgb, const T* d_alpha, const T* d_depth,
                        RasterGrads<T>& grads) {
    const size_t n = in.count;
    const int W = ws.width, H = ws.height;
    const int tiles = ws.tiles_x * ws.tiles_y;
    ws.entry_grads.resize(ws.splats.size());

    // Per tile, back to front: each entry's gradient summed over the tile's pixels.
    std::vector<std::unique_ptr<BackwardTile<T>>> scratch(size_t(cpu_pool().size()));
    for (auto& sc : scratch) sc = std::make_unique<BackwardTile<T>>();
    cpu_pool().parallel_for(size_t(tiles), 1, [&](size_t tb, size_t te, int worker) {
        BackwardTile<T>* st = scratch[size_t(worker)].get();
        for (int t = int(tb); t < int(te); ++t) {
            const int tx = t % ws.tiles_x, ty = t / ws.tiles_x;
            const int px0 = tx * kTileSize, py0 = ty * kTileSize;
            const int pw = std::min(kTileSize, W - px0), ph = std::min(kTileSize, H - py0);
            const uint64_t b = ws.tile_ranges[t], e = ws.tile_ranges[t + 1];
            if (b == e) continue;
            uint32_t max_visit = 0;
            for (int p = 0; p < kTilePixels; ++p) {
                const int lx = p % kTileSize, ly = p / kTileSize;
                if (lx >= pw || ly >= ph) {
                    // Outside the image: no Gaussian is visited, the state is never read.
                    st->visits[p] = 0;
                    st->trans[p] = T(1);
                    st->s0[p] = st->s1[p] = st->s2[p] = st->sd[p] = st->t_final[p] = T(0);
                    st->dc0[p] = st->dc1[p] = st->dc2[p] = st->da[p] = st->dd[p] = T(0);
                    continue;
                }
                const size_t pix = size_t(py0 + ly) * W + (px0 + lx);
                const T tf = ws.final_T[pix];
                st->trans[p] = tf;
                st->t_final[p] = tf;
                st->s0[p] = tf * ws.background[0];
                st->s1[p] = tf * ws.background[1];
                st->s2[p] = tf * ws.background[2];
                st->sd[p] = T(0);
                st->dc0[p] = d_rgb[pix * 3];
                st->dc1[p] = d_rgb[pix * 3 + 1];
                st->dc2[p] = d_rgb[pix * 3 + 2];
                st->da[p] = d_alpha ? d_alpha[pix] : T(0);
                st->dd[p] = d_depth ? d_depth[pix] : T(0);
                st->visits[p] = ws.n_contrib[pix];
                max_visit = std::max(max_visit, st->visits[p]);
            }
            for (uint64_t k = b + max_visit; k < e; ++k) ws.entry_grads[ws.splats[k].slot] = {};
            backward_tile(ws.splats.data() + b, max_visit, px0, py0, pw, ph, *st, ws.entry_grads.data());
        }
    });

    // Per Gaussian: sum its entries in slot order, then chain back to the parameters.
    const int K = in.sh_stride;
    parallel_for_each(n, 512, [&](size_t gi) {
        const bool vis = ws.visible[gi] != 0;
        auto zero = [](T* p, int count) {
            if (p) std::fill(p, p + count, T(0));
        };
        if (!vis) {
            zero(grads.means ? grads.means + 3 * gi : nullptr, 3);
            zero(grads.log_scales ? grads.log_scales + 3 * gi : nullptr, 3);
            zero(grads.rotations ? grads.rotations + 4 * gi : nullptr, 4);
            zero(grads.covariances ? grads.covariances + 6 * gi : nullptr, 6);
            zero(grads.opacities ? grads.opacities + gi : nullptr, 1);
            zero(grads.sh ? grads.sh + gi * K * 3 : nullptr, K * 3);
            zero(grads.colors ? grads.colors + 3 * gi : nullptr, 3);
            if (grads.view_grad_norm) grads.view_grad_norm[gi] = 0.0f;
            return;
        }
        kern::SplatGrad<T> sum{};
        for (uint64_t k = ws.offsets[gi]; k < ws.offsets[gi + 1]; ++k) {
            const auto& g = ws.entry_grads[k];
            sum.mean2d[0] += g.mean2d[0];
            sum.mean2d[1] += g.mean2d[1];
            for (int c = 0; c < 3; ++c) {
                sum.conic[c] += g.conic[c];
                sum.rgb[c] += g.rgb[c];
            }
            sum.alpha_base += g.alpha_base;
            sum.depth += g.depth;
        }
        T mean[3], ls[3], rot[4], cov[6], op, rgb[3];
        T sh_buf[16 * 3];
        kern::GaussianGradRef<T> out;
        out.mean = grads.means ? grads.means + 3 * gi : mean;
        out.log_scale = grads.log_scales ? grads.log_scales + 3 * gi : ls;
        out.rotation = grads.rotations ? grads.rotations + 4 * gi : rot;
        out.cov3d = grads.covariances ? grads.covariances + 6 * gi : cov;
        out.opacity = grads.opacities ? grads.opacities + gi : &op;
        out.sh = grads.sh ? grads.sh + gi * K * 3 : sh_buf;
        out.rgb = grads.colors ? grads.colors + 3 * gi : rgb;
        if (grads.sh && !in.colors) zero(out.sh, K * 3);
        kern::preprocess_gaussian_backward(gaussian_ref(in, gi), cam, s, ws.pre[gi], sum, out);
        if (grads.view_grad_norm) {
            const double gx = double(sum.mean2d[0]) * W * 0.5, gy = double(sum.mean2d[1]) * H * 0.5;
            grads.view_grad_norm[gi] = float(std::sqrt(gx * gx + gy * gy));
        }
    });
}

template <class T>
void raster_radii(const RasterWorkspace<T>& ws, float* radii) {
    for (size_t i = 0; i < ws.pre.size(); ++i) radii[i] = ws.visible[i] ? float(ws.pre[i].proj.radius) : 0.0f;
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template struct RasterWorkspace<T>;                                                                                \
    template void rasterize_forward<T>(const RasterInputs<T>&, const kern::RasterCamera<T>&,                           \
                                       const kern::RasterSettings&, const T[3], RasterWorkspace<T>&,                   \
                                       RasterImages<T>&);                                                              \
    template void rasterize_backward<T>(const RasterInputs<T>&, const kern::RasterCamera<T>&,                          \
                                        const kern::RasterSettings&, RasterWorkspace<T>&, const T*, const T*,          \
                                        const T*, RasterGrads<T>&);                                                    \
    template void raster_radii<T>(const RasterWorkspace<T>&, float*);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace splatscape::cpu
