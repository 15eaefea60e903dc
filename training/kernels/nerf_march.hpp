#pragma once
// Ray marching and volume rendering of the NeRF families (hmohe), after instant-ngp (Mueller et al.
// 2022): an occupancy grid of cascades skips empty space, samples are taken at a fixed step (growing
// with distance when cone_angle > 0), and compositing stops once the transmittance falls below a
// threshold. The Vulkan ray marcher (shaders/nerf_march.comp) follows these functions line for line.
//
// Spaces. World points p map to the *unit cube* u = (p - center) / scale + 0.5, where the inner
// cube [0, 1]^3 holds the scene's object (its side is `scale` world units). Cascade k covers
// u in [0.5 - 2^(k-1), 0.5 + 2^(k-1)]^3 (k = 0: the inner cube) with `resolution`^3 cells; the
// networks see the outermost cascade mapped to [0, 1]^3: x = (u - 0.5) / 2^(K-1) + 0.5. Distances
// along rays (t, dt) are in unit-cube units; depth in world units is t * scale.
//
// Occupancy bits: one bit per cell, cell c of cascade k at bit k * resolution^3 + c, with
// c = x + resolution * (y + resolution * z); 32 bits per uint32 word.
#include "training/kernels/math.hpp"
#include "training/kernels/random.hpp"

namespace splatscape::kern {

struct NerfSpace {
    float center[3] = {0.0f, 0.0f, 0.0f};  // world centre of the inner cube
    float scale = 1.0f;                    // world units per unit-cube unit (the inner cube's side)
    int cascades = 1;                      // K
    int resolution = 128;                  // cells per axis of each cascade
    float min_step = 1.7320508f / 1024.0f; // unit-cube units
    float max_step = 1.7320508f / 128.0f;
    float cone_angle = 0.0f; // dt = clamp(t * cone_angle, min_step, max_step)
    int max_samples = 1024;  // per ray

    SPLATSCAPE_HD float outer_half() const { return 0.5f * float(1 << (cascades - 1)); }
    SPLATSCAPE_HD uint32_t cells_per_cascade() const {
        return uint32_t(resolution) * uint32_t(resolution) * uint32_t(resolution);
    }
    SPLATSCAPE_HD uint32_t cells() const { return cells_per_cascade() * uint32_t(cascades); }
};

constexpr float kNerfSqrt3 = 1.7320508075688772f;

SPLATSCAPE_HD Vec3<float> nerf_world_to_unit(const NerfSpace& s, Vec3<float> p) {
    const float inv = 1.0f / s.scale;
    return {(p.x - s.center[0]) * inv + 0.5f, (p.y - s.center[1]) * inv + 0.5f, (p.z - s.center[2]) * inv + 0.5f};
}

// Unit-cube point -> the networks' [0, 1]^3.
SPLATSCAPE_HD Vec3<float> nerf_unit_to_network(const NerfSpace& s, Vec3<float> u) {
    const float inv = 0.5f / s.outer_half();
    return {(u.x - 0.5f) * inv + 0.5f, (u.y - 0.5f) * inv + 0.5f, (u.z - 0.5f) * inv + 0.5f};
}

// The smallest cascade holding u (the outermost when u is outside every one).
SPLATSCAPE_HD int nerf_cascade_of(const NerfSpace& s, Vec3<float> u) {
    const float m = hd_max(hd_abs(u.x - 0.5f), hd_max(hd_abs(u.y - 0.5f), hd_abs(u.z - 0.5f)));
    int k = 0;
    while (k < s.cascades - 1 && m > 0.5f * float(1 << k)) ++k;
    return k;
}

// The cascade a sample of step dt at u is looked up in: the one holding u, or a coarser one whose
// cells are at least dt wide.
SPLATSCAPE_HD int nerf_march_cascade(const NerfSpace& s, Vec3<float> u, float dt) {
    int k = nerf_cascade_of(s, u);
    while (k < s.cascades - 1 && float(1 << k) / float(s.resolution) < dt) ++k;
    return k;
}

// Cell coordinate along one axis of cascade k, in cells (may lie outside [0, resolution)).
SPLATSCAPE_HD float nerf_cell_coordinate(const NerfSpace& s, int k, float u) {
    return ((u - 0.5f) / float(1 << k) + 0.5f) * float(s.resolution);
}

// Bit of the cell of cascade k holding u; -1 outside the cascade.
SPLATSCAPE_HD int64_t nerf_cell_bit(const NerfSpace& s, int k, Vec3<float> u) {
    const float cx = nerf_cell_coordinate(s, k, u.x), cy = nerf_cell_coordinate(s, k, u.y),
                cz = nerf_cell_coordinate(s, k, u.z);
    const float r = float(s.resolution);
    if (!(cx >= 0.0f && cy >= 0.0f && cz >= 0.0f && cx < r && cy < r && cz < r)) return -1;
    const uint32_t n = uint32_t(s.resolution);
    return int64_t(k) * int64_t(s.cells_per_cascade()) + int64_t(uint32_t(cx) + n * (uint32_t(cy) + n * uint32_t(cz)));
}

SPLATSCAPE_HD bool nerf_bit_set(const uint32_t* bits, int64_t bit) {
    return bit >= 0 && ((bits[bit >> 5] >> (bit & 31)) & 1u) != 0;
}

SPLATSCAPE_HD float nerf_step_size(const NerfSpace& s, float t) {
    return hd_clamp(t * s.cone_angle, s.min_step, s.max_step);
}

// Distance along unit direction d from u to the boundary of u's cell in cascade k (> 0).
SPLATSCAPE_HD float nerf_cell_exit(const NerfSpace& s, int k, Vec3<float> u, Vec3<float> d) {
    const float cell = float(1 << k) / float(s.resolution); // unit-cube units
    const float p[3] = {nerf_cell_coordinate(s, k, u.x), nerf_cell_coordinate(s, k, u.y),
                        nerf_cell_coordinate(s, k, u.z)};
    const float dir[3] = {d.x, d.y, d.z};
    float t = 1e30f;
    for (int a = 0; a < 3; ++a) {
        if (dir[a] == 0.0f) continue;
        const float f = hd_floor(p[a]);
        const float to = dir[a] > 0.0f ? (f + 1.0f - p[a]) : (p[a] - f);
        t = hd_min(t, (to > 0.0f ? to : 1.0f) * cell / hd_abs(dir[a]));
    }
    return t;
}

// [t0, t1] where the ray o + t d (unit-cube space, |d| = 1) crosses the outermost cascade; t0 >= 0.
// Returns false when it misses.
SPLATSCAPE_HD bool nerf_ray_range(const NerfSpace& s, Vec3<float> o, Vec3<float> d, float& t0, float& t1) {
    const float lo = 0.5f - s.outer_half(), hi = 0.5f + s.outer_half();
    const float oo[3] = {o.x, o.y, o.z}, dd[3] = {d.x, d.y, d.z};
    t0 = 0.0f;
    t1 = 1e30f;
    for (int a = 0; a < 3; ++a) {
        if (dd[a] == 0.0f) {
            if (oo[a] < lo || oo[a] > hi) return false;
            continue;
        }
        const float inv = 1.0f / dd[a];
        float ta = (lo - oo[a]) * inv, tb = (hi - oo[a]) * inv;
        if (ta > tb) {
            const float x = ta;
            ta = tb;
            tb = x;
        }
        t0 = hd_max(t0, ta);
        t1 = hd_min(t1, tb);
    }
    return t1 > t0;
}

// Marches one ray from t towards t_end through occupied cells, calling emit(t, dt, u) for at most
// max_n samples; returns the t where the next sample would be looked for. Empty cells are crossed
// in whole steps, so with cone_angle 0 samples stay on the lattice t_start + m * min_step.
template <class Emit>
SPLATSCAPE_HD float nerf_march(const NerfSpace& s, const uint32_t* bits, Vec3<float> o, Vec3<float> d, float t,
                               float t_end, int max_n, Emit&& emit) {
    int n = 0;
    while (t < t_end && n < max_n) {
        const Vec3<float> u = {o.x + t * d.x, o.y + t * d.y, o.z + t * d.z};
        const float dt = nerf_step_size(s, t);
        const int k = nerf_march_cascade(s, u, dt);
        const int64_t bit = nerf_cell_bit(s, k, u);
        if (nerf_bit_set(bits, bit)) {
            emit(t, dt, u);
            ++n;
            t += dt;
        } else if (bit < 0) {
            t += dt; // just outside the grid (its entry, by rounding): no cell to skip
        } else {
            // To the first lattice point past the cell (a point that rounding leaves on the near side
            // of the boundary is looked up again and stepped over).
            const float skip = nerf_cell_exit(s, k, u, d);
            t += hd_max(hd_ceil(skip / dt - 1e-3f), 1.0f) * dt;
        }
    }
    return t;
}

// A camera row (training/ops/ray_march_ops.hpp, kNerfCameraCols floats): width, height, fx, fy,
// cx, cy, camera-to-world rotation (row-major, OpenCV axes), centre. The world ray through pixel
// coordinates (px, py) (pixel centres at +0.5): origin and unit direction.
SPLATSCAPE_HD void nerf_camera_ray(const float* cam, float px, float py, Vec3<float>& origin, Vec3<float>& dir) {
    const float x = (px - cam[4]) / cam[2], y = (py - cam[5]) / cam[3];
    const float* R = cam + 6;
    Vec3<float> d = {R[0] * x + R[1] * y + R[2], R[3] * x + R[4] * y + R[5], R[6] * x + R[7] * y + R[8]};
    const float inv = 1.0f / length(d);
    dir = inv * d;
    origin = {cam[15], cam[16], cam[17]};
}

// Whether a camera row sees world point p (in front of it and inside its image).
SPLATSCAPE_HD bool nerf_camera_sees(const float* cam, Vec3<float> p) {
    const float* R = cam + 6;
    const Vec3<float> v = {p.x - cam[15], p.y - cam[16], p.z - cam[17]};
    // Camera coordinates: R^T v.
    const float xc = R[0] * v.x + R[3] * v.y + R[6] * v.z;
    const float yc = R[1] * v.x + R[4] * v.y + R[7] * v.z;
    const float zc = R[2] * v.x + R[5] * v.y + R[8] * v.z;
    if (!(zc > 0.0f)) return false;
    const float px = cam[2] * xc / zc + cam[4], py = cam[3] * yc / zc + cam[5];
    return px >= 0.0f && py >= 0.0f && px <= cam[0] && py <= cam[1];
}

// A world ray in the unit cube: origin (the direction keeps its length), the range where it
// crosses the grid, starting `jitter` (in [0, 1)) of the smallest step past its entry; a ray that
// misses gets an empty range.
SPLATSCAPE_HD void nerf_ray_setup(const NerfSpace& s, Vec3<float> world_origin, Vec3<float> dir, float jitter,
                                  Vec3<float>& origin, float range[2]) {
    origin = nerf_world_to_unit(s, world_origin);
    float t0, t1;
    if (!nerf_ray_range(s, origin, dir, t0, t1)) {
        range[0] = 1.0f;
        range[1] = 0.0f;
        return;
    }
    range[0] = t0 + jitter * s.min_step;
    range[1] = t1;
}

// Premultiplied RGBA, 8 bits each (r in the low byte), as floats in [0, 1].
SPLATSCAPE_HD void nerf_unpack_rgba(int32_t packed, float out[4]) {
    const uint32_t v = uint32_t(packed);
    for (int c = 0; c < 4; ++c) out[c] = float((v >> (8 * c)) & 255u) * (1.0f / 255.0f);
}

// Cascade and cell coordinates of an occupancy cell index.
SPLATSCAPE_HD void nerf_cell_coords(const NerfSpace& s, uint32_t cell, int& k, uint32_t xyz[3]) {
    const uint32_t per = s.cells_per_cascade(), n = uint32_t(s.resolution);
    k = int(cell / per);
    const uint32_t c = cell % per;
    xyz[0] = c % n;
    xyz[1] = (c / n) % n;
    xyz[2] = c / (n * n);
}

// Unit-cube point at fraction f ([0, 1]^3) inside an occupancy cell.
SPLATSCAPE_HD Vec3<float> nerf_cell_point(const NerfSpace& s, uint32_t cell, const float f[3]) {
    int k;
    uint32_t xyz[3];
    nerf_cell_coords(s, cell, k, xyz);
    const float size = float(1 << k), n = float(s.resolution);
    return {((float(xyz[0]) + f[0]) / n - 0.5f) * size + 0.5f, ((float(xyz[1]) + f[1]) / n - 0.5f) * size + 0.5f,
            ((float(xyz[2]) + f[2]) / n - 0.5f) * size + 0.5f};
}

// Optical thickness over the smallest step of a cell's cascade (instant-ngp's occupancy measure).
SPLATSCAPE_HD float nerf_cell_thickness(const NerfSpace& s, uint32_t cell, float density) {
    const int k = int(cell / s.cells_per_cascade());
    return density * s.min_step * float(1 << k);
}

// Streams of the counter-based random numbers (training/kernels/random.hpp) the marcher draws.
constexpr uint64_t kNerfPixelStream = 0x6e65726670697865ull;      // which pixel a training ray goes through
constexpr uint64_t kNerfBackgroundStream = 0x6e65726662616b67ull; // its random background
constexpr uint64_t kNerfJitterStream = 0x6e6572666a697474ull;     // its first sample's offset
constexpr uint64_t kNerfCellStream = 0x6e65726663656c6cull;       // occupancy update samples

// Training ray i of a step: a uniformly drawn pixel of all images (pixels [P] premultiplied RGBA8,
// offsets [I + 1], cameras [I, kNerfCameraCols]), its unit-cube ray, target and background.
SPLATSCAPE_HD void nerf_training_ray(const NerfSpace& s, const int32_t* pixels, const int32_t* offsets, int images,
                                     const float* cameras, int camera_cols, uint64_t seed, uint64_t step, uint64_t i,
                                     bool random_background, const float* fixed_background, float origin[3],
                                     float dir[3], float range[2], float target[3], float bg[3], int32_t& image) {
    const int64_t total = offsets[images];
    const uint64_t stream = step * 0x100000001b3ull;
    const int64_t p = int64_t(random_bits(seed, kNerfPixelStream ^ stream, i) % uint64_t(total));
    // The image holding pixel p: the last offset <= p.
    int lo = 0, hi = images - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (int64_t(offsets[mid]) <= p)
            lo = mid;
        else
            hi = mid - 1;
    }
    image = lo;
    const float* cam = cameras + size_t(lo) * size_t(camera_cols);
    const int64_t local = p - offsets[lo];
    const int64_t w = int64_t(cam[0]);
    Vec3<float> wo, d;
    nerf_camera_ray(cam, float(local % w) + 0.5f, float(local / w) + 0.5f, wo, d);
    Vec3<float> o;
    nerf_ray_setup(s, wo, d, random_uniform(seed, kNerfJitterStream ^ stream, i), o, range);
    origin[0] = o.x, origin[1] = o.y, origin[2] = o.z;
    dir[0] = d.x, dir[1] = d.y, dir[2] = d.z;
    float rgba[4];
    nerf_unpack_rgba(pixels[p], rgba);
    for (int c = 0; c < 3; ++c) {
        bg[c] = random_background ? random_uniform(seed, kNerfBackgroundStream ^ stream, 3 * i + uint64_t(c))
                                  : fixed_background[c];
        target[c] = rgba[c] + (1.0f - rgba[3]) * bg[c];
    }
}

// Occupancy update sample j: with every_cell, cell j; else the first `uniform` samples take a
// uniformly drawn cell and the rest the first of 8 drawn cells whose value exceeds threshold (or the
// last drawn). Returns the cell; `point` is a random point in it (network coordinates).
SPLATSCAPE_HD uint32_t nerf_occupancy_sample(const NerfSpace& s, const float* values, uint64_t seed, uint64_t step,
                                             uint64_t j, bool every_cell, uint64_t uniform, float threshold,
                                             Vec3<float>& point) {
    const uint32_t cells = s.cells();
    const uint64_t stream = kNerfCellStream ^ (step * 0x100000001b3ull);
    uint32_t cell = 0;
    if (every_cell) {
        cell = uint32_t(j);
    } else if (j < uniform) {
        cell = uint32_t(random_bits(seed, stream, 16 * j) % cells);
    } else {
        for (int k = 0; k < 8; ++k) {
            cell = uint32_t(random_bits(seed, stream, 16 * j + uint64_t(k)) % cells);
            if (values[cell] > threshold) break;
        }
    }
    const float f[3] = {random_uniform(seed, stream, 16 * j + 8), random_uniform(seed, stream, 16 * j + 9),
                        random_uniform(seed, stream, 16 * j + 10)};
    point = nerf_unit_to_network(s, nerf_cell_point(s, cell, f));
    return cell;
}

// Density from the experts' first output (instant-ngp's truncated exponential: exp forward, its
// derivative clamped).
template <class T>
SPLATSCAPE_HD T nerf_density(T raw) {
    return hd_exp(raw);
}
template <class T>
SPLATSCAPE_HD T nerf_density_derivative(T density) {
    const T lo = hd_exp(T(-15)), hi = hd_exp(T(15));
    return density < lo ? lo : (density > hi ? hi : density);
}

// Rendering: one sample composited onto a ray's state, kept as the optical depth so far (rays start
// at 0, transmittance exp(-depth)). Returns the sample's weight T_before - T_after.
SPLATSCAPE_HD float nerf_accumulate(float& optical_depth, float& transmittance, float sigma, float dt) {
    optical_depth += sigma * dt;
    const float next = hd_exp(-optical_depth);
    const float w = transmittance - next;
    transmittance = next;
    return w;
}

// Volume rendering of one ray's n samples (in order along the ray), densities from the experts'
// raw outputs: C = sum_i T_i a_i c_i + T_n bg, a_i = 1 - exp(-sigma_i dt_i), T_{i+1} = T_i (1 - a_i),
// sigma_i = nerf_density(raw_i). Sample i's raw value is raw[i * raw_stride], its step
// dt[i * dt_stride], its colour rgb[3 i .. 3 i + 2].
template <class T>
SPLATSCAPE_HD void nerf_composite(int n, const T* raw, int raw_stride, const T* dt, int dt_stride, const T* rgb,
                                  const T bg[3], T out[3], T& transmittance) {
    T tr = T(1);
    T c[3] = {T(0), T(0), T(0)};
    for (int i = 0; i < n; ++i) {
        const T a = T(1) - hd_exp(-nerf_density(raw[i * raw_stride]) * dt[i * dt_stride]);
        const T w = tr * a;
        for (int ch = 0; ch < 3; ++ch) c[ch] += w * rgb[3 * i + ch];
        tr *= T(1) - a;
    }
    for (int ch = 0; ch < 3; ++ch) out[ch] = c[ch] + tr * bg[ch];
    transmittance = tr;
}

// Backward of nerf_composite given g = dL/dC and the forward's C (out): writes d_raw[i * d_stride]
// and d_rgb [n, 3]. dC/dsigma_i = dt_i (T_{i+1} c_i - (C - sum_{j <= i} w_j c_j)).
template <class T>
SPLATSCAPE_HD void nerf_composite_backward(int n, const T* raw, int raw_stride, const T* dt, int dt_stride,
                                           const T* rgb, const T out[3], const T g[3], T* d_raw, int d_stride,
                                           T* d_rgb) {
    T tr = T(1);
    T prefix[3] = {T(0), T(0), T(0)};
    for (int i = 0; i < n; ++i) {
        const T sigma = nerf_density(raw[i * raw_stride]);
        const T step = dt[i * dt_stride];
        const T a = T(1) - hd_exp(-sigma * step);
        const T w = tr * a;
        const T next = tr * (T(1) - a);
        T ds = T(0);
        for (int ch = 0; ch < 3; ++ch) {
            const T c = rgb[3 * i + ch];
            prefix[ch] += w * c;
            d_rgb[3 * i + ch] = w * g[ch];
            ds += g[ch] * (next * c - (out[ch] - prefix[ch]));
        }
        d_raw[i * d_stride] = step * ds * nerf_density_derivative(sigma);
        tr = next;
    }
}

enum class NerfLoss : int32_t { Huber = 0, L2 = 1 };

// Loss of one colour channel and its derivative with respect to the prediction. Huber as
// instant-ngp: 0.5 d^2 / delta inside delta, |d| - 0.5 delta outside; L2: d^2.
template <class T>
SPLATSCAPE_HD T nerf_channel_loss(NerfLoss kind, T delta, T prediction, T target, T& d_prediction) {
    const T d = prediction - target;
    if (kind == NerfLoss::L2) {
        d_prediction = T(2) * d;
        return d * d;
    }
    const T ad = hd_abs(d);
    if (ad > delta) {
        d_prediction = d > T(0) ? T(1) : T(-1);
        return ad - T(0.5) * delta;
    }
    d_prediction = d / delta;
    return T(0.5) * d * d / delta;
}

// Gate: softmax over E logits and the top-1 expert (the lowest index among equal maxima).
template <class T>
SPLATSCAPE_HD int gate_route(int E, const T* logits, T* probs) {
    int best = 0;
    for (int e = 1; e < E; ++e)
        if (logits[e] > logits[best]) best = e;
    T sum = T(0);
    for (int e = 0; e < E; ++e) {
        probs[e] = hd_exp(logits[e] - logits[best]);
        sum += probs[e];
    }
    const T inv = T(1) / sum;
    for (int e = 0; e < E; ++e) probs[e] *= inv;
    return best;
}

// Backward of the gate for one sample: d_p is dL/d(probability of the chosen expert k); balance[e]
// is dL/dp_e of the load-balancing loss (w E f_e / N for every sample). Writes d_logits [E]:
// dL/dlogit_j = d_p p_k (delta_jk - p_j) + p_j (balance_j - sum_e balance_e p_e).
template <class T>
SPLATSCAPE_HD void gate_backward(int E, const T* probs, int k, T d_p, const T* balance, T* d_logits) {
    T s = T(0);
    for (int e = 0; e < E; ++e) s += balance[e] * probs[e];
    const T pk = probs[k];
    for (int j = 0; j < E; ++j)
        d_logits[j] = d_p * pk * ((j == k ? T(1) : T(0)) - probs[j]) + probs[j] * (balance[j] - s);
}

} // namespace splatscape::kern
