// Kernels and host side of RayMarchOpsCuda (ray_march_ops_cuda.hpp), over the per-element functions
// of training/kernels/nerf_march.hpp. The host side mirrors training/cpu/ray_march_ops_cpu.cpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/rasterize_cuda.hpp"
#include "training/cuda/ray_march_ops_cuda.hpp"
#include "training/ops/row_selection.hpp"

namespace splatscape {
namespace {

using kern::Vec3;

constexpr int kThreads = 128;
constexpr Device kCuda = Device::Cuda;

unsigned blocks_for(size_t n) {
    return unsigned((n + kThreads - 1) / kThreads);
}

void use_device(int device) {
    int current = -1;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
}

template <class T>
T read_one(const T* device_value) {
    T v{};
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&v, device_value, sizeof v, cudaMemcpyDeviceToHost));
    return v;
}

void check_rays(const NerfRays& r, const char* op) {
    const size_t n = r.size();
    ops_check::shape(r.origin, n, 3, kCuda, DType::F32, op, "rays.origin");
    ops_check::shape(r.direction, n, 3, kCuda, DType::F32, op, "rays.direction");
    ops_check::shape(r.range, n, 2, kCuda, DType::F32, op, "rays.range");
    ops_check::shape(r.target, n, 3, kCuda, DType::F32, op, "rays.target");
    ops_check::shape(r.background, n, 3, kCuda, DType::F32, op, "rays.background");
    ops_check::shape(r.image, n, 1, kCuda, DType::I32, op, "rays.image");
}

void check_samples(const NerfSamples& s, const char* op) {
    const size_t n = s.size();
    ops_check::shape(s.position, n, 3, kCuda, DType::F32, op, "samples.position");
    ops_check::shape(s.direction, n, 3, kCuda, DType::F32, op, "samples.direction");
    ops_check::shape(s.step, n, 2, kCuda, DType::F32, op, "samples.step");
    ops_check::shape(s.ray, n, 1, kCuda, DType::I32, op, "samples.ray");
}

void check_images(const NerfImages& im, const char* op) {
    const size_t n = im.images();
    ops_check::shape(im.cameras, n, kNerfCameraCols, kCuda, DType::F32, op, "images.cameras");
    ops_check::shape(im.offsets, n + 1, 1, kCuda, DType::I32, op, "images.offsets");
    ops_check::shape(im.pixels, SIZE_MAX, 1, kCuda, DType::I32, op, "images.pixels");
    if (n == 0 || size_t(read_one(im.offsets.i32() + n)) != im.pixels.rows())
        throw Error(cat(op, ": image offsets do not end at the pixel count"));
}

void check_bits(const kern::NerfSpace& s, const Tensor& bits, const char* op) {
    ops_check::shape(bits, (size_t(s.cells()) + 31) / 32, 1, kCuda, DType::I32, op, "bits");
}

struct CameraRow {
    float v[kNerfCameraCols];
};

// An inclusive prefix sum of n uint64 counts (device), through the backend's CUB scan.
Tensor inclusive_scan(Backend& backend, const uint64_t* counts, size_t n) {
    Tensor out = backend.zeros(std::max<size_t>(n, 1), 2, DType::I32);
    if (n == 0) return out;
    const size_t bytes = cuda::inclusive_scan_temp_bytes(n);
    Tensor temp = backend.zeros(std::max<size_t>((bytes + 3) / 4, 1), 1, DType::I32);
    cuda::inclusive_scan(temp.raw(), bytes, counts, static_cast<uint64_t*>(out.raw()), n);
    return out;
}

__global__ void training_rays_kernel(kern::NerfSpace space, const int32_t* pixels, const int32_t* offsets, int images,
                                     const float* cameras, uint64_t seed, uint64_t step, size_t n,
                                     bool random_background, Vec3<float> background, float* origin, float* dir,
                                     float* range, float* target, float* bg, int32_t* image) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float fixed[3] = {background.x, background.y, background.z};
    kern::nerf_training_ray(space, pixels, offsets, images, cameras, kNerfCameraCols, seed, step, i, random_background,
                            fixed, origin + 3 * i, dir + 3 * i, range + 2 * i, target + 3 * i, bg + 3 * i, image[i]);
}

__global__ void camera_rays_kernel(kern::NerfSpace space, CameraRow cam, size_t first, int image, size_t n,
                                   float* origin, float* dir, float* range, float* target, float* bg, int32_t* images) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const size_t w = size_t(cam.v[0]);
    const size_t p = first + i;
    Vec3<float> wo, d, o;
    kern::nerf_camera_ray(cam.v, float(p % w) + 0.5f, float(p / w) + 0.5f, wo, d);
    kern::nerf_ray_setup(space, wo, d, 0.0f, o, range + 2 * i);
    origin[3 * i] = o.x, origin[3 * i + 1] = o.y, origin[3 * i + 2] = o.z;
    dir[3 * i] = d.x, dir[3 * i + 1] = d.y, dir[3 * i + 2] = d.z;
    for (int c = 0; c < 3; ++c) target[3 * i + c] = bg[3 * i + c] = 0.0f;
    images[i] = image;
}

// Each active ray marches into its own k slots (t, dt, unit-cube point).
__global__ void march_kernel(kern::NerfSpace space, const uint32_t* bits, const float* origin, const float* dir,
                             float* range, size_t R, const int32_t* active, size_t A, int k, float* slot_t,
                             float* slot_dt, float* slot_u, uint64_t* count) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= A) return;
    const int32_t r = active[i];
    if (r < 0 || size_t(r) >= R) {
        count[i] = 0;
        return;
    }
    const float* o = origin + 3 * size_t(r);
    const float* d = dir + 3 * size_t(r);
    float* rg = range + 2 * size_t(r);
    int n = 0;
    rg[0] = kern::nerf_march(space, bits, Vec3<float>{o[0], o[1], o[2]}, Vec3<float>{d[0], d[1], d[2]}, rg[0], rg[1], k,
                             [&](float t, float dt, Vec3<float> u) {
                                 const size_t s = i * size_t(k) + size_t(n);
                                 slot_t[s] = t;
                                 slot_dt[s] = dt;
                                 slot_u[3 * s] = u.x, slot_u[3 * s + 1] = u.y, slot_u[3 * s + 2] = u.z;
                                 ++n;
                             });
    count[i] = uint64_t(n);
}

// offsets [A + 1] int32 from the inclusive scan of the counts.
__global__ void offsets_kernel(size_t A, const uint64_t* scanned, int32_t* offsets) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i > A) return;
    offsets[i] = i == 0 ? 0 : int32_t(scanned[i - 1]);
}

__global__ void pack_kernel(kern::NerfSpace space, const float* dir, const int32_t* active, size_t A, int k,
                            const float* slot_t, const float* slot_dt, const float* slot_u, const int32_t* offsets,
                            float* position, float* sdir, float* step, int32_t* ray) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= A) return;
    const int32_t r = active[i];
    const float* d = dir + 3 * size_t(r < 0 ? 0 : r);
    const int32_t b = offsets[i], n = offsets[i + 1] - b;
    for (int j = 0; j < n; ++j) {
        const size_t s = size_t(b + j), src = i * size_t(k) + size_t(j);
        const Vec3<float> x =
            kern::nerf_unit_to_network(space, Vec3<float>{slot_u[3 * src], slot_u[3 * src + 1], slot_u[3 * src + 2]});
        position[3 * s] = x.x, position[3 * s + 1] = x.y, position[3 * s + 2] = x.z;
        sdir[3 * s] = d[0], sdir[3 * s + 1] = d[1], sdir[3 * s + 2] = d[2];
        step[2 * s] = slot_t[src];
        step[2 * s + 1] = slot_dt[src];
        ray[s] = r;
    }
}

__global__ void accumulate_kernel(kern::NerfSpace space, const float* range, size_t R, const int32_t* active, size_t A,
                                  const float* step, const int32_t* offsets, const float* raw, int stride, int raw_col,
                                  const float* rgb, const int32_t* expert, float stop_T, float* state,
                                  float* expert_weights, int E, int32_t* used, uint64_t* keep) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= A) return;
    keep[i] = 0;
    const int32_t r = active[i];
    if (r < 0 || size_t(r) >= R) return;
    float* st = state + size_t(r) * kNerfStateCols;
    float depth = st[0];
    float tr = kern::hd_exp(-depth);
    const int32_t b = offsets[i], e = offsets[i + 1];
    for (int32_t s = b; s < e; ++s) {
        if (!(tr > stop_T)) {
            used[s] = -1;
            continue;
        }
        const float sigma = kern::nerf_density(raw[size_t(s) * stride + raw_col]);
        const float t = step[2 * size_t(s)], dt = step[2 * size_t(s) + 1];
        const float w = kern::nerf_accumulate(depth, tr, sigma, dt);
        if (rgb)
            for (int c = 0; c < 3; ++c) st[1 + c] += w * rgb[3 * size_t(s) + c];
        st[4] += w * t;
        if (expert_weights) {
            const int32_t x = expert[s];
            if (x >= 0 && x < E) expert_weights[size_t(r) * E + size_t(x)] += w;
        }
        used[s] = r;
    }
    st[0] = depth;
    st[5] += float(e - b);
    const float* rg = range + 2 * size_t(r);
    keep[i] = tr > stop_T && rg[0] < rg[1] && st[5] < float(space.max_samples) ? 1 : 0;
}

__global__ void compact_kernel(size_t A, const int32_t* active, const uint64_t* keep, const uint64_t* scanned,
                               int32_t* next) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= A || !keep[i]) return;
    next[scanned[i] - 1] = active[i];
}

__global__ void composite_loss_kernel(size_t R, const int32_t* offsets, const float* raw, int rs, int raw_col,
                                      const float* step, const float* rgb, const float* background, const float* target,
                                      kern::NerfLoss loss, float delta, float grad_scale, float* d_raw, int ds,
                                      float* d_rgb, double* per_ray) {
    const size_t r = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (r >= R) return;
    const int32_t b = offsets[r], n = offsets[r + 1] - b;
    const float* raw_r = raw + size_t(b) * rs + raw_col;
    const float* dt_r = step + 2 * size_t(b) + 1;
    const float* rgb_r = rgb + 3 * size_t(b);
    float out[3], tr;
    kern::nerf_composite(n, raw_r, rs, dt_r, 2, rgb_r, background + 3 * r, out, tr);
    float g[3];
    double l = 0.0, ae = 0.0;
    for (int ch = 0; ch < 3; ++ch) {
        const float t = target[3 * r + ch];
        l += kern::nerf_channel_loss(loss, delta, out[ch], t, g[ch]);
        ae += kern::hd_abs(out[ch] - t);
        g[ch] *= grad_scale;
    }
    kern::nerf_composite_backward(n, raw_r, rs, dt_r, 2, rgb_r, out, g, d_raw + size_t(b) * ds + raw_col, ds,
                                  d_rgb + 3 * size_t(b));
    per_ray[2 * r] = l;
    per_ray[2 * r + 1] = ae;
}

__global__ void mark_unseen_kernel(kern::NerfSpace space, const float* cameras, size_t images, float* values) {
    const size_t cell = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (cell >= size_t(space.cells())) return;
    bool seen = false;
    for (int corner = 0; corner < 9 && !seen; ++corner) {
        const float f[3] = {corner == 8 ? 0.5f : float(corner & 1), corner == 8 ? 0.5f : float((corner >> 1) & 1),
                            corner == 8 ? 0.5f : float((corner >> 2) & 1)};
        const Vec3<float> u = kern::nerf_cell_point(space, uint32_t(cell), f);
        const Vec3<float> p = {(u.x - 0.5f) * space.scale + space.center[0],
                               (u.y - 0.5f) * space.scale + space.center[1],
                               (u.z - 0.5f) * space.scale + space.center[2]};
        for (size_t i = 0; i < images && !seen; ++i) seen = kern::nerf_camera_sees(cameras + i * kNerfCameraCols, p);
    }
    if (!seen) values[cell] = -1.0f;
}

__global__ void occupancy_samples_kernel(kern::NerfSpace space, const float* values, uint64_t seed, uint64_t step,
                                         bool every_cell, uint64_t uniform, float threshold, size_t M, float* positions,
                                         int32_t* cells) {
    const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= M) return;
    Vec3<float> x;
    cells[j] = int32_t(kern::nerf_occupancy_sample(space, values, seed, step, j, every_cell, uniform, threshold, x));
    positions[3 * j] = x.x, positions[3 * j + 1] = x.y, positions[3 * j + 2] = x.z;
}

// The densest sample of each cell: thicknesses are >= 0, so their bits order like the floats.
__global__ void occupancy_fresh_kernel(kern::NerfSpace space, size_t M, const int32_t* cells, const float* raw, int rs,
                                       int raw_col, int* fresh) {
    const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= M) return;
    const uint32_t cell = uint32_t(cells[j]);
    if (cell >= space.cells()) return;
    const float thick = kern::nerf_cell_thickness(space, cell, kern::nerf_density(raw[j * size_t(rs) + raw_col]));
    atomicMax(fresh + cell, __float_as_int(thick));
}

__global__ void occupancy_decay_kernel(size_t C, float decay, const float* fresh, float* values) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= C || values[i] < 0.0f) return;
    values[i] = kern::hd_max(values[i] * decay, fresh[i]);
}

__global__ void occupancy_bits_kernel(size_t C, size_t words, const float* values, float limit, uint32_t* bits) {
    const size_t w = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (w >= words) return;
    uint32_t word = 0;
    for (size_t k = 0; k < 32; ++k) {
        const size_t i = w * 32 + k;
        if (i < C && values[i] > limit) word |= 1u << k;
    }
    bits[w] = word;
}

__global__ void embedding_kernel(size_t S, int A, const float* table, size_t I, const int32_t* sample_ray,
                                 const int32_t* ray_image, size_t R, float* dst, int stride, int col) {
    const size_t s = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (s >= S) return;
    const int32_t r = sample_ray[s];
    const int32_t im = r >= 0 && size_t(r) < R ? ray_image[r] : -1;
    float* d = dst + s * size_t(stride) + col;
    for (int j = 0; j < A; ++j) d[j] = im >= 0 && size_t(im) < I ? table[size_t(im) * A + j] : 0.0f;
}

__global__ void embedding_backward_kernel(size_t S, int A, size_t I, const int32_t* sample_ray,
                                          const int32_t* ray_image, size_t R, const float* d_src, int stride, int col,
                                          float* d_table) {
    const size_t s = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (s >= S) return;
    const int32_t r = sample_ray[s];
    const int32_t im = r >= 0 && size_t(r) < R ? ray_image[r] : -1;
    if (im < 0 || size_t(im) >= I) return;
    const float* g = d_src + s * size_t(stride) + col;
    for (int j = 0; j < A; ++j) atomicAdd(d_table + size_t(im) * A + j, g[j]);
}

} // namespace

RayMarchOpsCuda::RayMarchOpsCuda(Backend& backend) : m_backend(backend) {
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&m_device));
}

void RayMarchOpsCuda::training_rays(const kern::NerfSpace& space, const NerfImages& images, uint64_t seed,
                                    uint64_t step, bool random_background, const float background[3], NerfRays& rays) {
    const char* op = "nerf training rays";
    use_device(m_device);
    check_images(images, op);
    check_rays(rays, op);
    const size_t n = rays.size();
    if (n == 0) return;
    training_rays_kernel<<<blocks_for(n), kThreads>>>(
        space, images.pixels.i32(), images.offsets.i32(), int(images.images()), images.cameras.f32(), seed, step, n,
        random_background, Vec3<float>{background[0], background[1], background[2]}, rays.origin.f32(),
        rays.direction.f32(), rays.range.f32(), rays.target.f32(), rays.background.f32(), rays.image.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("training_rays_kernel");
}

void RayMarchOpsCuda::camera_rays(const kern::NerfSpace& space, const float* camera, size_t first, int image,
                                  NerfRays& rays) {
    const char* op = "nerf camera rays";
    check_rays(rays, op);
    const size_t n = rays.size();
    if (n == 0) return;
    CameraRow row{};
    std::copy(camera, camera + kNerfCameraCols, row.v);
    use_device(m_device);
    camera_rays_kernel<<<blocks_for(n), kThreads>>>(space, row, first, image, n, rays.origin.f32(),
                                                    rays.direction.f32(), rays.range.f32(), rays.target.f32(),
                                                    rays.background.f32(), rays.image.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("camera_rays_kernel");
}

size_t RayMarchOpsCuda::march(const kern::NerfSpace& space, const Tensor& bits, NerfRays& rays, const Tensor& active,
                              int max_per_ray, NerfSamples& samples, Tensor& ray_offsets) {
    const char* op = "nerf march";
    check_rays(rays, op);
    check_bits(space, bits, op);
    ops_check::shape(active, SIZE_MAX, 1, kCuda, DType::I32, op, "active");
    if (max_per_ray < 1) throw Error(cat(op, ": max_per_ray must be at least 1"));
    const size_t A = active.rows(), k = size_t(max_per_ray);
    use_device(m_device);
    Tensor slot_t = m_backend.zeros(std::max<size_t>(A * k, 1), 1),
           slot_dt = m_backend.zeros(std::max<size_t>(A * k, 1), 1);
    Tensor slot_u = m_backend.zeros(std::max<size_t>(A * k, 1), 3);
    Tensor count = m_backend.zeros(std::max<size_t>(A, 1), 2, DType::I32);
    auto* cnt = static_cast<uint64_t*>(count.raw());
    if (A > 0) {
        march_kernel<<<blocks_for(A), kThreads>>>(space, reinterpret_cast<const uint32_t*>(bits.i32()),
                                                  rays.origin.f32(), rays.direction.f32(), rays.range.f32(),
                                                  rays.size(), active.i32(), A, max_per_ray, slot_t.f32(),
                                                  slot_dt.f32(), slot_u.f32(), cnt);
        SPLATSCAPE_CUDA_CHECK_LAUNCH("march_kernel");
    }
    const Tensor scanned = inclusive_scan(m_backend, cnt, A);
    const auto* sc = static_cast<const uint64_t*>(scanned.raw());
    ray_offsets = m_backend.zeros(A + 1, 1, DType::I32);
    offsets_kernel<<<blocks_for(A + 1), kThreads>>>(A, sc, ray_offsets.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("offsets_kernel");
    const size_t S = A > 0 ? size_t(read_one(sc + A - 1)) : 0;
    samples.position = m_backend.zeros(S, 3);
    samples.direction = m_backend.zeros(S, 3);
    samples.step = m_backend.zeros(S, 2);
    samples.ray = m_backend.zeros(S, 1, DType::I32);
    if (S > 0) {
        pack_kernel<<<blocks_for(A), kThreads>>>(
            space, rays.direction.f32(), active.i32(), A, max_per_ray, slot_t.f32(), slot_dt.f32(), slot_u.f32(),
            ray_offsets.i32(), samples.position.f32(), samples.direction.f32(), samples.step.f32(), samples.ray.i32());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("pack_kernel");
    }
    return S;
}

size_t RayMarchOpsCuda::accumulate(const kern::NerfSpace& space, const NerfRays& rays, const Tensor& active,
                                   const NerfSamples& samples, const Tensor& ray_offsets, const Tensor& raw,
                                   int raw_col, const Tensor* rgb, const Tensor* expert, float stop_T, Tensor& state,
                                   Tensor* expert_weights, Tensor& used, Tensor& next_active) {
    const char* op = "nerf accumulate";
    check_rays(rays, op);
    check_samples(samples, op);
    const size_t A = active.rows(), S = samples.size(), R = rays.size();
    ops_check::shape(active, A, 1, kCuda, DType::I32, op, "active");
    ops_check::shape(ray_offsets, A + 1, 1, kCuda, DType::I32, op, "ray_offsets");
    ops_check::window(raw, S, raw_col, 1, kCuda, op, "raw");
    if (rgb) ops_check::shape(*rgb, S, 3, kCuda, DType::F32, op, "rgb");
    if (expert) ops_check::shape(*expert, S, 1, kCuda, DType::I32, op, "expert");
    ops_check::shape(state, R, kNerfStateCols, kCuda, DType::F32, op, "state");
    const int E = expert_weights ? expert_weights->cols() : 0;
    if (expert_weights) ops_check::shape(*expert_weights, R, E, kCuda, DType::F32, op, "expert_weights");
    if (expert_weights && !expert) throw Error(cat(op, ": expert weights need the samples' experts"));
    use_device(m_device);
    if (size_t(read_one(ray_offsets.i32() + A)) != S)
        throw Error(cat(op, ": ray offsets do not end at the sample count"));
    used = m_backend.zeros(S, 1, DType::I32);
    Tensor keep = m_backend.zeros(std::max<size_t>(A, 1), 2, DType::I32);
    auto* kp = static_cast<uint64_t*>(keep.raw());
    if (A > 0) {
        accumulate_kernel<<<blocks_for(A), kThreads>>>(
            space, rays.range.f32(), R, active.i32(), A, samples.step.f32(), ray_offsets.i32(), raw.f32(), raw.cols(),
            raw_col, rgb ? rgb->f32() : nullptr, expert ? expert->i32() : nullptr, stop_T, state.f32(),
            expert_weights ? expert_weights->f32() : nullptr, E, used.i32(), kp);
        SPLATSCAPE_CUDA_CHECK_LAUNCH("accumulate_kernel");
    }
    const Tensor scanned = inclusive_scan(m_backend, kp, A);
    const auto* sc = static_cast<const uint64_t*>(scanned.raw());
    const size_t n = A > 0 ? size_t(read_one(sc + A - 1)) : 0;
    next_active = m_backend.zeros(n, 1, DType::I32);
    if (n > 0) {
        compact_kernel<<<blocks_for(A), kThreads>>>(A, active.i32(), kp, sc, next_active.i32());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("compact_kernel");
    }
    return n;
}

NerfLossSums RayMarchOpsCuda::composite_loss(const NerfSamples& samples, const Tensor& ray_offsets,
                                             const NerfRays& rays, const Tensor& raw, int raw_col, const Tensor& rgb,
                                             kern::NerfLoss loss, float delta, float grad_scale, Tensor& d_raw,
                                             Tensor& d_rgb) {
    const char* op = "nerf composite loss";
    check_rays(rays, op);
    check_samples(samples, op);
    const size_t R = rays.size(), S = samples.size();
    ops_check::shape(ray_offsets, R + 1, 1, kCuda, DType::I32, op, "ray_offsets");
    ops_check::window(raw, S, raw_col, 1, kCuda, op, "raw");
    ops_check::window(d_raw, S, raw_col, 1, kCuda, op, "d_raw");
    ops_check::shape(rgb, S, 3, kCuda, DType::F32, op, "rgb");
    ops_check::shape(d_rgb, S, 3, kCuda, DType::F32, op, "d_rgb");
    use_device(m_device);
    if (size_t(read_one(ray_offsets.i32() + R)) != S)
        throw Error(cat(op, ": ray offsets do not end at the sample count"));
    NerfLossSums sums;
    sums.rays = R;
    if (R == 0) return sums;
    // Per-ray loss and absolute error as doubles (two int32 columns each).
    Tensor per_ray = m_backend.zeros(R, 4, DType::I32);
    auto* pr = static_cast<double*>(per_ray.raw());
    composite_loss_kernel<<<blocks_for(R), kThreads>>>(
        R, ray_offsets.i32(), raw.f32(), raw.cols(), raw_col, samples.step.f32(), rgb.f32(), rays.background.f32(),
        rays.target.f32(), loss, delta, grad_scale, d_raw.f32(), d_raw.cols(), d_rgb.f32(), pr);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("composite_loss_kernel");
    std::vector<double> host(2 * R);
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(host.data(), pr, host.size() * sizeof(double), cudaMemcpyDeviceToHost));
    // The CPU op's order: per chunk of 1024 rays, then the chunks.
    for (size_t c0 = 0; c0 < R; c0 += 1024) {
        double l = 0.0, ae = 0.0;
        for (size_t r = c0; r < std::min(R, c0 + 1024); ++r) l += host[2 * r], ae += host[2 * r + 1];
        sums.loss += l;
        sums.abs_error += ae;
    }
    return sums;
}

void RayMarchOpsCuda::occupancy_mark_unseen(const kern::NerfSpace& space, const NerfImages& images, Tensor& values) {
    const char* op = "nerf occupancy mark unseen";
    use_device(m_device);
    check_images(images, op);
    ops_check::shape(values, space.cells(), 1, kCuda, DType::F32, op, "values");
    mark_unseen_kernel<<<blocks_for(space.cells()), kThreads>>>(space, images.cameras.f32(), images.images(),
                                                                values.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("mark_unseen_kernel");
}

void RayMarchOpsCuda::occupancy_samples(const kern::NerfSpace& space, const Tensor& values, uint64_t seed,
                                        uint64_t step, bool every_cell, size_t uniform, size_t occupied,
                                        float threshold, Tensor& positions, Tensor& cells) {
    const char* op = "nerf occupancy samples";
    ops_check::shape(values, space.cells(), 1, kCuda, DType::F32, op, "values");
    const size_t M = every_cell ? size_t(space.cells()) : uniform + occupied;
    positions = m_backend.zeros(M, 3);
    cells = m_backend.zeros(M, 1, DType::I32);
    if (M == 0) return;
    use_device(m_device);
    occupancy_samples_kernel<<<blocks_for(M), kThreads>>>(space, values.f32(), seed, step, every_cell, uniform,
                                                          threshold, M, positions.f32(), cells.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("occupancy_samples_kernel");
}

double RayMarchOpsCuda::occupancy_update(const kern::NerfSpace& space, const Tensor& cells, const Tensor& raw,
                                         int raw_col, float decay, float threshold, Tensor& values, Tensor& bits) {
    const char* op = "nerf occupancy update";
    const size_t M = cells.rows(), C = space.cells();
    ops_check::shape(cells, M, 1, kCuda, DType::I32, op, "cells");
    ops_check::window(raw, M, raw_col, 1, kCuda, op, "raw");
    ops_check::shape(values, C, 1, kCuda, DType::F32, op, "values");
    check_bits(space, bits, op);
    use_device(m_device);
    Tensor fresh = m_backend.zeros(C, 1);
    if (M > 0) {
        occupancy_fresh_kernel<<<blocks_for(M), kThreads>>>(space, M, cells.i32(), raw.f32(), raw.cols(), raw_col,
                                                            reinterpret_cast<int*>(fresh.f32()));
        SPLATSCAPE_CUDA_CHECK_LAUNCH("occupancy_fresh_kernel");
    }
    occupancy_decay_kernel<<<blocks_for(C), kThreads>>>(C, decay, fresh.f32(), values.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("occupancy_decay_kernel");
    // The mean of the non-negative values, summed on the host in the CPU op's order (chunks of 4096).
    const std::vector<float> v = m_backend.download_f32(values);
    double total = 0.0, n = 0.0;
    for (size_t c0 = 0; c0 < C; c0 += 4096) {
        double s = 0.0, k = 0.0;
        for (size_t i = c0; i < std::min(C, c0 + 4096); ++i)
            if (v[i] >= 0.0f) s += double(v[i]), k += 1.0;
        total += s, n += k;
    }
    const float limit = std::min(threshold, float(n > 0 ? total / n : 0.0));
    const size_t words = bits.rows();
    occupancy_bits_kernel<<<blocks_for(words), kThreads>>>(C, words, values.f32(), limit,
                                                           reinterpret_cast<uint32_t*>(bits.i32()));
    SPLATSCAPE_CUDA_CHECK_LAUNCH("occupancy_bits_kernel");
    size_t occupied = 0;
    for (float x : v) occupied += x > limit ? 1 : 0;
    return double(occupied) / double(C);
}

void RayMarchOpsCuda::embedding_forward(const Tensor& table, const NerfRays& rays, const NerfSamples& samples,
                                        Tensor& dst, int col) {
    const char* op = "nerf embedding";
    const size_t S = samples.size();
    const int A = table.cols();
    ops_check::window(dst, S, col, A, kCuda, op, "dst");
    ops_check::shape(samples.ray, S, 1, kCuda, DType::I32, op, "samples.ray");
    ops_check::shape(table, table.rows(), A, kCuda, DType::F32, op, "table");
    if (S == 0) return;
    use_device(m_device);
    embedding_kernel<<<blocks_for(S), kThreads>>>(S, A, table.f32(), table.rows(), samples.ray.i32(), rays.image.i32(),
                                                  rays.size(), dst.f32(), dst.cols(), col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("embedding_kernel");
}

void RayMarchOpsCuda::embedding_backward(const NerfRays& rays, const NerfSamples& samples, const Tensor& d_src, int col,
                                         Tensor& d_table) {
    const char* op = "nerf embedding backward";
    const size_t S = samples.size();
    const int A = d_table.cols();
    ops_check::window(d_src, S, col, A, kCuda, op, "d_src");
    ops_check::shape(d_table, d_table.rows(), A, kCuda, DType::F32, op, "d_table");
    if (S == 0) return;
    use_device(m_device);
    embedding_backward_kernel<<<blocks_for(S), kThreads>>>(S, A, d_table.rows(), samples.ray.i32(), rays.image.i32(),
                                                           rays.size(), d_src.f32(), d_src.cols(), col, d_table.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("embedding_backward_kernel");
}

} // namespace splatscape
