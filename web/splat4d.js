// 4D Gaussian scenes (Splatscape's gs4d model) in the web viewer: each splat is sliced at the
// current time in the vertex shader, exactly as training/kernels/slice4d.hpp and sh4d.hpp do it:
//   mean3  = mu_xyz + Sigma12 / Sigma22 (t - mu_t)
//   cov3   = Sigma11 - Sigma12 Sigma12^T / Sigma22
//   weight = exp(-(t - mu_t)^2 / (2 Sigma22)), opacity times weight; splats below minWeight are left out
//   colour = the 3D SH of coefficients sum_n cos(2 pi n (t - mu_t) / T) c_{n,k}
// then projected and composited by the same code path as 3D splats (renderer.js). The 4D covariance
// Sigma = R S S^T R^T with R = L(ql) R(qr) is computed once per splat on the CPU.
//
// Texels per splat (RGBA32F):
//   0: x y z opacity   1: S00 S01 S02 S11   2: S12 S22 S03 S13   3: S23 S33 mu_t -
//   4..: the SH coefficients, all temporal frequencies (J = K (degreeT + 1) of them, DC included),
//        three floats each, packed four per texel.

import { splatVertexHeader } from './splat_glsl.js';

// Weights below this leave a splat out of the slice (gs4d's min_temporal_weight).
export const MIN_TEMPORAL_WEIGHT = 0.05;

export const SPLAT4D_VS = `${splatVertexHeader(`uniform int u_shCoeffs;      // K, spatial coefficients stored per temporal frequency
uniform int u_shDegreeT;     // temporal frequencies 0..u_shDegreeT
uniform float u_time;
uniform float u_timePeriod;
uniform float u_minWeight;`)}

float shFloat(int i, int f) {
    vec4 v = splatTexel(i, 4 + f / 4);
    int c = f % 4;
    return c == 0 ? v.x : c == 1 ? v.y : c == 2 ? v.z : v.w;
}

// The colour at time offset dt: SH coefficients collapsed over the temporal frequencies.
vec3 shColor4d(int i, vec3 d, float dt) {
    float f[48];
    int coeffs = (u_shDegree + 1) * (u_shDegree + 1);
    for (int k = 0; k < 48; ++k) {
        if (k >= coeffs * 3) break;
        float s = shFloat(i, k);
        for (int n = 1; n <= 4; ++n) {
            if (n > u_shDegreeT) break;
            s += cos(6.283185307179586 * float(n) * dt / u_timePeriod) * shFloat(i, n * u_shCoeffs * 3 + k);
        }
        f[k] = s;
    }
    return evalSh(f, d);
}

void main() {
    int i = int(a_index);
    vec4 t0 = splatTexel(i, 0), t1 = splatTexel(i, 1), t2 = splatTexel(i, 2), t3 = splatTexel(i, 3);
    // The slice at u_time.
    float v = t3.y;
    float dt = u_time - t3.z;
    float weight = exp(-0.5 * dt * dt / v);
    if (!(weight >= u_minWeight)) { cull(); return; }
    vec3 s12 = vec3(t2.z, t2.w, t3.x);
    vec3 mu = t0.xyz + s12 * (dt / v);
    mat3 sigma = mat3(t1.x, t1.y, t1.z, t1.y, t1.w, t2.x, t1.z, t2.x, t2.y) - outerProduct(s12, s12) / v;
    if (!projectSplat(mu, sigma, t0.w * weight)) return;
    v_color = shColor4d(i, normalize(mu - u_camCenter), dt);
}
`;

// Isoclinic matrices of unit quaternions (w x y z) as training/kernels/slice4d.hpp writes them.
function leftIsoclinic(a, b, c, d) {
    return [a, -b, -c, -d, b, a, -d, c, c, d, a, -b, d, -c, b, a];
}
function rightIsoclinic(p, q, r, s) {
    return [p, -q, -r, -s, q, p, s, -r, r, -s, p, q, s, r, -q, p];
}

// The 4D covariance of splat i as 10 floats: S00 S01 S02 S11 S12 S22 S03 S13 S23 S33.
export function covariance4d(scene, i, out) {
    const l = scene.rotations, r = scene.rotationsR, s = scene.scales4;
    const L = leftIsoclinic(l[4 * i], l[4 * i + 1], l[4 * i + 2], l[4 * i + 3]);
    const Rr = rightIsoclinic(r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    const M = new Float64Array(16);
    for (let row = 0; row < 4; ++row)
        for (let k = 0; k < 4; ++k) {
            let v = 0;
            for (let j = 0; j < 4; ++j) v += L[4 * row + j] * Rr[4 * j + k];
            M[4 * row + k] = v * s[4 * i + k];
        }
    const e = (a, b) => M[4 * a] * M[4 * b] + M[4 * a + 1] * M[4 * b + 1] + M[4 * a + 2] * M[4 * b + 2] +
        M[4 * a + 3] * M[4 * b + 3];
    out[0] = e(0, 0); out[1] = e(0, 1); out[2] = e(0, 2); out[3] = e(1, 1); out[4] = e(1, 2); out[5] = e(2, 2);
    out[6] = e(0, 3); out[7] = e(1, 3); out[8] = e(2, 3); out[9] = e(3, 3);
}

// Per splat what the depth sorter needs to follow the motion: the velocity of the sliced mean
// (Sigma12 / Sigma22), the temporal mean and the temporal variance.
export function sliceMotion(scene, count) {
    const motion = new Float32Array(count * 5);
    const cov = new Float64Array(10);
    for (let i = 0; i < count; ++i) {
        covariance4d(scene, i, cov);
        motion[5 * i] = cov[6] / cov[9];
        motion[5 * i + 1] = cov[7] / cov[9];
        motion[5 * i + 2] = cov[8] / cov[9];
        motion[5 * i + 3] = scene.times[i];
        motion[5 * i + 4] = cov[9];
    }
    return motion;
}

// Texels per splat and the packing of rows [from, to) into `data` (texels from `base`).
export function texelsPerSplat4d(scene) {
    return 4 + Math.ceil((scene.shStride * 3) / 4);
}

export function packSplat4d(scene, i, T, base, data) {
    const cov = new Float64Array(10);
    covariance4d(scene, i, cov);
    const J3 = scene.shStride * 3;
    const texels = [
        [scene.positions[3 * i], scene.positions[3 * i + 1], scene.positions[3 * i + 2], scene.opacities[i]],
        [cov[0], cov[1], cov[2], cov[3]], [cov[4], cov[5], cov[6], cov[7]], [cov[8], cov[9], scene.times[i], 0]];
    for (let t = 0; t < T; ++t) {
        const o = (i * T + t - base) * 4;
        if (o < 0) continue;
        if (t < 4) data.set(texels[t], o);
        else
            for (let c = 0; c < 4; ++c) {
                const f = (t - 4) * 4 + c;
                data[o + c] = f < J3 ? scene.sh[i * J3 + f] : 0;
            }
    }
}
