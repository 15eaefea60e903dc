#include "training/cpu/ray_march_ops_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/ops/row_selection.hpp"

namespace splatscape {
namespace {

using kern::Vec3;

constexpr size_t kRayGrain = 256;
constexpr size_t kCellGrain = 4096;

void check_rays(const NerfRays& r, const char* op) {
    const size_t n = r.size();
    ops_check::shape(r.origin, n, 3, Device::Cpu, DType::F32, op, "rays.origin");
    ops_check::shape(r.direction, n, 3, Device::Cpu, DType::F32, op, "rays.direction");
    ops_check::shape(r.range, n, 2, Device::Cpu, DType::F32, op, "rays.range");
    ops_check::shape(r.target, n, 3, Device::Cpu, DType::F32, op, "rays.target");
    ops_check::shape(r.background, n, 3, Device::Cpu, DType::F32, op, "rays.background");
    ops_check::shape(r.image, n, 1, Device::Cpu, DType::I32, op, "rays.image");
}

void check_samples(const NerfSamples& s, const char* op) {
    const size_t n = s.size();
    ops_check::shape(s.position, n, 3, Device::Cpu, DType::F32, op, "samples.position");
    ops_check::shape(s.direction, n, 3, Device::Cpu, DType::F32, op, "samples.direction");
    ops_check::shape(s.step, n, 2, Device::Cpu, DType::F32, op, "samples.step");
    ops_check::shape(s.ray, n, 1, Device::Cpu, DType::I32, op, "samples.ray");
}

void check_images(const NerfImages& im, const char* op) {
    const size_t n = im.images();
    ops_check::shape(im.cameras, n, kNerfCameraCols, Device::Cpu, DType::F32, op, "images.cameras");
    ops_check::shape(im.offsets, n + 1, 1, Device::Cpu, DType::I32, op, "images.offsets");
    ops_check::shape(im.pixels, SIZE_MAX, 1, Device::Cpu, DType::I32, op, "images.pixels");
    if (n == 0 || size_t(im.offsets.i32()[n]) != im.pixels.rows())
        throw Error(cat(op, ": image offsets do not end at the pixel count"));
}

void check_bits(const kern::NerfSpace& s, const Tensor& bits, const char* op) {
    ops_check::shape(bits, (size_t(s.cells()) + 31) / 32, 1, Device::Cpu, DType::I32, op, "bits");
}

} // namespace

void RayMarchOpsCpu::training_rays(const kern::NerfSpace& space, const NerfImages& images, uint64_t seed, uint64_t step,
                                   bool random_background, const float background[3], NerfRays& rays) {
    const char* op = "nerf training rays";
    check_images(images, op);
    check_rays(rays, op);
    const int n_images = int(images.images());
    cpu::parallel_for_each(rays.size(), kRayGrain, [&](size_t i) {
        kern::nerf_training_ray(space, images.pixels.i32(), images.offsets.i32(), n_images, images.cameras.f32(),
                                kNerfCameraCols, seed, step, i, random_background, background,
                                rays.origin.f32() + 3 * i, rays.direction.f32() + 3 * i, rays.range.f32() + 2 * i,
                                rays.target.f32() + 3 * i, rays.background.f32() + 3 * i, rays.image.i32()[i]);
    });
}

void RayMarchOpsCpu::camera_rays(const kern::NerfSpace& space, const float* camera, size_t first, int image,
                                 NerfRays& rays) {
    const char* op = "nerf camera rays";
    check_rays(rays, op);
    const size_t w = size_t(camera[0]);
    cpu::parallel_for_each(rays.size(), kRayGrain, [&](size_t i) {
        const size_t p = first + i;
        Vec3<float> wo, d, o;
        kern::nerf_camera_ray(camera, float(p % w) + 0.5f, float(p / w) + 0.5f, wo, d);
        kern::nerf_ray_setup(space, wo, d, 0.0f, o, rays.range.f32() + 2 * i);
        float* ro = rays.origin.f32() + 3 * i;
        float* rd = rays.direction.f32() + 3 * i;
        ro[0] = o.x, ro[1] = o.y, ro[2] = o.z;
        rd[0] = d.x, rd[1] = d.y, rd[2] = d.z;
        for (int c = 0; c < 3; ++c) rays.target.f32()[3 * i + c] = rays.background.f32()[3 * i + c] = 0.0f;
        rays.image.i32()[i] = image;
    });
}

size_t RayMarchOpsCpu::march(const kern::NerfSpace& space, const Tensor& bits, NerfRays& rays, const Tensor& active,
                             int max_per_ray, NerfSamples& samples, Tensor& ray_offsets) {
    const char* op = "nerf march";
    check_rays(rays, op);
    check_bits(space, bits, op);
    ops_check::shape(active, SIZE_MAX, 1, Device::Cpu, DType::I32, op, "active");
    if (max_per_ray < 1) throw Error(cat(op, ": max_per_ray must be at least 1"));
    const size_t A = active.rows(), R = rays.size(), k = size_t(max_per_ray);
    const uint32_t* b = reinterpret_cast<const uint32_t*>(bits.i32());
    // Each active ray marches into its own k slots, then the slots are packed in active order.
    std::vector<float> slot_t(A * k), slot_dt(A * k), slot_u(A * k * 3);
    std::vector<int32_t> count(A);
    cpu::parallel_for_each(A, kRayGrain, [&](size_t i) {
        const int32_t r = active.i32()[i];
        if (r < 0 || size_t(r) >= R) {
            count[i] = 0;
            return;
        }
        const float* o = rays.origin.f32() + 3 * size_t(r);
        const float* d = rays.direction.f32() + 3 * size_t(r);
        float* range = rays.range.f32() + 2 * size_t(r);
        int n = 0;
        range[0] = kern::nerf_march(space, b, Vec3<float>{o[0], o[1], o[2]}, Vec3<float>{d[0], d[1], d[2]}, range[0],
                                    range[1], max_per_ray, [&](float t, float dt, Vec3<float> u) {
                                        const size_t s = i * k + size_t(n);
                                        slot_t[s] = t;
                                        slot_dt[s] = dt;
                                        slot_u[3 * s] = u.x, slot_u[3 * s + 1] = u.y, slot_u[3 * s + 2] = u.z;
                                        ++n;
                                    });
        count[i] = n;
    });
    ray_offsets = m_backend.zeros(A + 1, 1, DType::I32);
    int32_t* off = ray_offsets.i32();
    for (size_t i = 0; i < A; ++i) off[i + 1] = off[i] + count[i];
    const size_t S = size_t(off[A]);
    samples.position = m_backend.zeros(S, 3);
    samples.direction = m_backend.zeros(S, 3);
    samples.step = m_backend.zeros(S, 2);
    samples.ray = m_backend.zeros(S, 1, DType::I32);
    cpu::parallel_for_each(A, kRayGrain, [&](size_t i) {
        const int32_t r = active.i32()[i];
        const float* d = rays.direction.f32() + 3 * size_t(std::max(r, 0));
        for (int j = 0; j < count[i]; ++j) {
            const size_t s = size_t(off[i] + j), src = i * k + size_t(j);
            const Vec3<float> x = kern::nerf_unit_to_network(
                space, Vec3<float>{slot_u[3 * src], slot_u[3 * src + 1], slot_u[3 * src + 2]});
            float* p = samples.position.f32() + 3 * s;
            p[0] = x.x, p[1] = x.y, p[2] = x.z;
            float* sd = samples.direction.f32() + 3 * s;
            sd[0] = d[0], sd[1] = d[1], sd[2] = d[2];
            samples.step.f32()[2 * s] = slot_t[src];
            samples.step.f32()[2 * s + 1] = slot_dt[src];
            samples.ray.i32()[s] = r;
        }
    });
    return S;
}

size_t RayMarchOpsCpu::accumulate(const kern::NerfSpace& space, const NerfRays& rays, const Tensor& active,
                                  const NerfSamples& samples, const Tensor& ray_offsets, const Tensor& raw, int raw_col,
                                  const Tensor* rgb, const Tensor* expert, float stop_T, Tensor& state,
                                  Tensor* expert_weights, Tensor& used, Tensor& next_active) {
    const char* op = "nerf accumulate";
    check_rays(rays, op);
    check_samples(samples, op);
    const size_t A = active.rows(), S = samples.size(), R = rays.size();
    ops_check::shape(active, A, 1, Device::Cpu, DType::I32, op, "active");
    ops_check::shape(ray_offsets, A + 1, 1, Device::Cpu, DType::I32, op, "ray_offsets");
    ops_check::window(raw, S, raw_col, 1, Device::Cpu, op, "raw");
    if (rgb) ops_check::shape(*rgb, S, 3, Device::Cpu, DType::F32, op, "rgb");
    if (expert) ops_check::shape(*expert, S, 1, Device::Cpu, DType::I32, op, "expert");
    ops_check::shape(state, R, kNerfStateCols, Device::Cpu, DType::F32, op, "state");
    const int E = expert_weights ? expert_weights->cols() : 0;
    if (expert_weights) ops_check::shape(*expert_weights, R, E, Device::Cpu, DType::F32, op, "expert_weights");
    if (size_t(ray_offsets.i32()[A]) != S) throw Error(cat(op, ": ray offsets do not end at the sample count"));
    used = m_backend.zeros(S, 1, DType::I32);
    std::vector<uint8_t> keep(A, 0);
    const int stride = raw.cols();
    cpu::parallel_for_each(A, kRayGrain, [&](size_t i) {
        const int32_t r = active.i32()[i];
        if (r < 0 || size_t(r) >= R) return;
        float* st = state.f32() + size_t(r) * kNerfStateCols;
        // st[0] is the optical depth so far: transmittance exp(-st[0]).
        float depth = st[0];
        float tr = std::exp(-depth);
        const int32_t b = ray_offsets.i32()[i], e = ray_offsets.i32()[i + 1];
        for (int32_t s = b; s < e; ++s) {
            if (!(tr > stop_T)) {
                used.i32()[s] = -1;
                continue;
            }
            const float sigma = kern::nerf_density(raw.f32()[size_t(s) * stride + raw_col]);
            const float t = samples.step.f32()[2 * size_t(s)], dt = samples.step.f32()[2 * size_t(s) + 1];
            const float w = kern::nerf_accumulate(depth, tr, sigma, dt);
            if (rgb)
                for (int c = 0; c < 3; ++c) st[1 + c] += w * rgb->f32()[3 * size_t(s) + c];
            st[4] += w * t;
            if (expert_weights) {
                const int32_t x = expert->i32()[s];
                if (x >= 0 && x < E) expert_weights->f32()[size_t(r) * E + size_t(x)] += w;
            }
            used.i32()[s] = r;
        }
        st[0] = depth;
        st[5] += float(e - b);
        const float* range = rays.range.f32() + 2 * size_t(r);
        keep[i] = tr > stop_T && range[0] < range[1] && st[5] < float(space.max_samples);
    });
    size_t n = 0;
    for (size_t i = 0; i < A; ++i) n += keep[i];
    next_active = m_backend.zeros(n, 1, DType::I32);
    for (size_t i = 0, j = 0; i < A; ++i)
        if (keep[i]) next_active.i32()[j++] = active.i32()[i];
    return n;
}

NerfLossSums RayMarchOpsCpu::composite_loss(const NerfSamples& samples, const Tensor& ray_offsets, const NerfRays& rays,
                                            const Tensor& raw, int raw_col, const Tensor& rgb, kern::NerfLoss loss,
                                            float delta, float grad_scale, Tensor& d_raw, Tensor& d_rgb) {
    const char* op = "nerf composite loss";
    check_rays(rays, op);
    check_samples(samples, op);
    const size_t R = rays.size(), S = samples.size();
    ops_check::shape(ray_offsets, R + 1, 1, Device::Cpu, DType::I32, op, "ray_offsets");
    ops_check::window(raw, S, raw_col, 1, Device::Cpu, op, "raw");
    ops_check::window(d_raw, S, raw_col, 1, Device::Cpu, op, "d_raw");
    ops_check::shape(rgb, S, 3, Device::Cpu, DType::F32, op, "rgb");
    ops_check::shape(d_rgb, S, 3, Device::Cpu, DType::F32, op, "d_rgb");
    if (size_t(ray_offsets.i32()[R]) != S) throw Error(cat(op, ": ray offsets do not end at the sample count"));
    // Per-chunk sums, added in chunk order.
    const size_t chunk = 1024, chunks = (R + chunk - 1) / chunk;
    std::vector<double> part(2 * chunks, 0.0);
    const int rs = raw.cols(), ds = d_raw.cols();
    cpu::parallel_for_each(chunks, 1, [&](size_t c) {
        double l = 0.0, ae = 0.0;
        for (size_t r = c * chunk; r < std::min(R, (c + 1) * chunk); ++r) {
            const int32_t b = ray_offsets.i32()[r], n = ray_offsets.i32()[r + 1] - b;
            const float* raw_r = raw.f32() + size_t(b) * rs + raw_col;
            const float* dt_r = samples.step.f32() + 2 * size_t(b) + 1;
            const float* rgb_r = rgb.f32() + 3 * size_t(b);
            float out[3], tr;
            kern::nerf_composite(n, raw_r, rs, dt_r, 2, rgb_r, rays.background.f32() + 3 * r, out, tr);
            float g[3];
            for (int ch = 0; ch < 3; ++ch) {
                const float target = rays.target.f32()[3 * r + ch];
                l += kern::nerf_channel_loss(loss, delta, out[ch], target, g[ch]);
                ae += std::abs(out[ch] - target);
                g[ch] *= grad_scale;
            }
            kern::nerf_composite_backward(n, raw_r, rs, dt_r, 2, rgb_r, out, g, d_raw.f32() + size_t(b) * ds + raw_col,
                                          ds, d_rgb.f32() + 3 * size_t(b));
        }
        part[2 * c] = l;
        part[2 * c + 1] = ae;
    });
    NerfLossSums sums;
    for (size_t c = 0; c < chunks; ++c) {
        sums.loss += part[2 * c];
        sums.abs_error += part[2 * c + 1];
    }
    sums.rays = R;
    return sums;
}

void RayMarchOpsCpu::occupancy_mark_unseen(const kern::NerfSpace& space, const NerfImages& images, Tensor& values) {
    const char* op = "nerf occupancy mark unseen";
    check_images(images, op);
    ops_check::shape(values, space.cells(), 1, Device::Cpu, DType::F32, op, "values");
    const size_t n_images = images.images();
    cpu::parallel_for_each(space.cells(), kCellGrain, [&](size_t cell) {
        bool seen = false;
        for (int corner = 0; corner < 9 && !seen; ++corner) {
            // The centre first, then the corners.
            const float f[3] = {corner == 8 ? 0.5f : float(corner & 1), corner == 8 ? 0.5f : float((corner >> 1) & 1),
                                corner == 8 ? 0.5f : float((corner >> 2) & 1)};
            const Vec3<float> u = kern::nerf_cell_point(space, uint32_t(cell), f);
            const Vec3<float> p = {(u.x - 0.5f) * space.scale + space.center[0],
                                   (u.y - 0.5f) * space.scale + space.center[1],
                                   (u.z - 0.5f) * space.scale + space.center[2]};
            for (size_t i = 0; i < n_images && !seen; ++i)
                seen = kern::nerf_camera_sees(images.cameras.f32() + i * kNerfCameraCols, p);
        }
        if (!seen) values.f32()[cell] = -1.0f;
    });
}

void RayMarchOpsCpu::occupancy_samples(const kern::NerfSpace& space, const Tensor& values, uint64_t seed, uint64_t step,
                                       bool every_cell, size_t uniform, size_t occupied, float threshold,
                                       Tensor& positions, Tensor& cells) {
    const char* op = "nerf occupancy samples";
    ops_check::shape(values, space.cells(), 1, Device::Cpu, DType::F32, op, "values");
    const size_t M = every_cell ? size_t(space.cells()) : uniform + occupied;
    positions = m_backend.zeros(M, 3);
    cells = m_backend.zeros(M, 1, DType::I32);
    cpu::parallel_for_each(M, kCellGrain, [&](size_t j) {
        Vec3<float> x;
        cells.i32()[j] =
            int32_t(kern::nerf_occupancy_sample(space, values.f32(), seed, step, j, every_cell, uniform, threshold, x));
        float* p = positions.f32() + 3 * j;
        p[0] = x.x, p[1] = x.y, p[2] = x.z;
    });
}

double RayMarchOpsCpu::occupancy_update(const kern::NerfSpace& space, const Tensor& cells, const Tensor& raw,
                                        int raw_col, float decay, float threshold, Tensor& values, Tensor& bits) {
    const char* op = "nerf occupancy update";
    const size_t M = cells.rows(), C = space.cells();
    ops_check::shape(cells, M, 1, Device::Cpu, DType::I32, op, "cells");
    ops_check::window(raw, M, raw_col, 1, Device::Cpu, op, "raw");
    ops_check::shape(values, C, 1, Device::Cpu, DType::F32, op, "values");
    check_bits(space, bits, op);
    std::vector<float> fresh(C, 0.0f);
    const int rs = raw.cols();
    for (size_t j = 0; j < M; ++j) {
        const uint32_t cell = uint32_t(cells.i32()[j]);
        if (cell >= C) continue;
        const float thick = kern::nerf_cell_thickness(space, cell, kern::nerf_density(raw.f32()[j * rs + raw_col]));
        fresh[cell] = std::max(fresh[cell], thick);
    }
    float* v = values.f32();
    const size_t chunks = (C + kCellGrain - 1) / kCellGrain;
    std::vector<double> sum(chunks, 0.0), count(chunks, 0.0);
    cpu::parallel_for_each(chunks, 1, [&](size_t c) {
        for (size_t i = c * kCellGrain; i < std::min(C, (c + 1) * kCellGrain); ++i) {
            if (v[i] < 0.0f) continue;
            v[i] = std::max(v[i] * decay, fresh[i]);
            sum[c] += double(v[i]);
            count[c] += 1.0;
        }
    });
    double total = 0.0, n = 0.0;
    for (size_t c = 0; c < chunks; ++c) total += sum[c], n += count[c];
    const float limit = std::min(threshold, float(n > 0 ? total / n : 0.0));
    uint32_t* b = reinterpret_cast<uint32_t*>(bits.i32());
    const size_t words = bits.rows();
    std::vector<double> on(words, 0.0);
    cpu::parallel_for_each(words, 1024, [&](size_t w) {
        uint32_t word = 0;
        for (size_t k = 0; k < 32; ++k) {
            const size_t i = w * 32 + k;
            if (i < C && v[i] > limit) word |= 1u << k;
        }
        b[w] = word;
        on[w] = double(__builtin_popcount(word));
    });
    double occupied = 0.0;
    for (double x : on) occupied += x;
    return occupied / double(C);
}

void RayMarchOpsCpu::embedding_forward(const Tensor& table, const NerfRays& rays, const NerfSamples& samples,
                                       Tensor& dst, int col) {
    const char* op = "nerf embedding";
    const size_t S = samples.size();
    const int A = table.cols();
    ops_check::window(dst, S, col, A, Device::Cpu, op, "dst");
    ops_check::shape(samples.ray, S, 1, Device::Cpu, DType::I32, op, "samples.ray");
    const size_t I = table.rows(), R = rays.size();
    cpu::parallel_for_each(S, 4096, [&](size_t s) {
        const int32_t r = samples.ray.i32()[s];
        const int32_t im = r >= 0 && size_t(r) < R ? rays.image.i32()[r] : -1;
        float* d = dst.f32() + s * dst.cols() + col;
        for (int j = 0; j < A; ++j) d[j] = im >= 0 && size_t(im) < I ? table.f32()[size_t(im) * A + j] : 0.0f;
    });
}

void RayMarchOpsCpu::embedding_backward(const NerfRays& rays, const NerfSamples& samples, const Tensor& d_src, int col,
                                        Tensor& d_table) {
    const char* op = "nerf embedding backward";
    const size_t S = samples.size();
    const int A = d_table.cols();
    ops_check::window(d_src, S, col, A, Device::Cpu, op, "d_src");
    const size_t I = d_table.rows(), R = rays.size();
    // Samples in order: the sum does not depend on the thread count.
    for (size_t s = 0; s < S; ++s) {
        const int32_t r = samples.ray.i32()[s];
        const int32_t im = r >= 0 && size_t(r) < R ? rays.image.i32()[r] : -1;
        if (im < 0 || size_t(im) >= I) continue;
        const float* g = d_src.f32() + s * d_src.cols() + col;
        for (int j = 0; j < A; ++j) d_table.f32()[size_t(im) * A + j] += g[j];
    }
}

} // namespace splatscape
