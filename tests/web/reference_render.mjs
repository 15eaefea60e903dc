// An independent float64 implementation of the tile rasterizer's forward pass (docs/rasterizer.md),
// used as the reference image for the web viewer while no compiled reference is available: same
// projection, dilation, 16x16 tile rectangles, stable (tile, depth) order, front-to-back
// compositing with the 1/255 cut, the 0.99 clamp and the 1e-4 transmittance stop.

const SH_C0 = 0.28209479177387814;

function shColor(sh, k, degree, d) {
    const [x, y, z] = d;
    const xx = x * x, yy = y * y, zz = z * z;
    const basis = [SH_C0, -0.4886025119029199 * y, 0.4886025119029199 * z, -0.4886025119029199 * x,
        1.0925484305920792 * x * y, -1.0925484305920792 * y * z, 0.31539156525252005 * (2 * zz - xx - yy),
        -1.0925484305920792 * x * z, 0.5462742152960396 * (xx - yy), -0.5900435899266435 * y * (3 * xx - yy),
        2.890611442640554 * x * y * z, -0.4570457994644658 * y * (4 * zz - xx - yy),
        0.3731763325901154 * z * (2 * zz - 3 * xx - 3 * yy), -0.4570457994644658 * x * (4 * zz - xx - yy),
        1.445305721320277 * z * (xx - yy), -0.5900435899266435 * x * (xx - 3 * yy)];
    const rgb = [0.5, 0.5, 0.5];
    const used = (degree + 1) * (degree + 1);
    for (let j = 0; j < used; ++j)
        for (let c = 0; c < 3; ++c) rgb[c] += basis[j] * sh[j * 3 + c];
    return rgb.map((v) => Math.max(v, 0));
}

// scene: {count, shDegree, positions, logScales, rotations (w x y z), opacities (logits), sh [N, K, 3]}
// camera: {R (row-major), t, fx, fy, cx, cy, width, height}; returns Float64Array [H, W, 3].
export function renderReference(scene, cam, background) {
    const { width: W, height: H, fx, fy, cx, cy, R, t } = cam;
    const K = (scene.shDegree + 1) * (scene.shDegree + 1);
    const center = [0, 1, 2].map((a) => -(R[a] * t[0] + R[3 + a] * t[1] + R[6 + a] * t[2]));
    const tilesX = Math.ceil(W / 16), tilesY = Math.ceil(H / 16);
    const tiles = Array.from({ length: tilesX * tilesY }, () => []);
    const pre = [];
    for (let i = 0; i < scene.count; ++i) {
        const mu = [scene.positions[3 * i], scene.positions[3 * i + 1], scene.positions[3 * i + 2]];
        const p = [0, 1, 2].map((r) => R[3 * r] * mu[0] + R[3 * r + 1] * mu[1] + R[3 * r + 2] * mu[2] + t[r]);
        if (p[2] <= 0.01 || p[2] >= 1e10) continue;
        let [w, x, y, z] = [0, 1, 2, 3].map((c) => scene.rotations[4 * i + c]);
        const n = Math.hypot(w, x, y, z);
        [w, x, y, z] = [w / n, x / n, y / n, z / n];
        const Rq = [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)];
        const s = [0, 1, 2].map((a) => Math.exp(scene.logScales[3 * i + a]));
        const M = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((e) => Rq[e] * s[e % 3]);
        const sig = (r, c) => M[3 * r] * M[3 * c] + M[3 * r + 1] * M[3 * c + 1] + M[3 * r + 2] * M[3 * c + 2];
        const lx = 1.3 * 0.5 * W / fx, ly = 1.3 * 0.5 * H / fy;
        const tx = Math.min(lx, Math.max(-lx, p[0] / p[2])) * p[2];
        const ty = Math.min(ly, Math.max(-ly, p[1] / p[2])) * p[2];
        const J = [[fx / p[2], 0, -fx * tx / (p[2] * p[2])], [0, fy / p[2], -fy * ty / (p[2] * p[2])]];
        // T = J R (2x3)
        const T = J.map((row) => [0, 1, 2].map((c) => row[0] * R[c] + row[1] * R[3 + c] + row[2] * R[6 + c]));
        const cov = (u, v) => {
            let acc = 0;
            for (let r = 0; r < 3; ++r)
                for (let c = 0; c < 3; ++c) acc += T[u][r] * sig(r, c) * T[v][c];
            return acc;
        };
        let a = cov(0, 0), b = cov(0, 1), c = cov(1, 1);
        const det0 = a * c - b * b, eps = scene.eps2d ?? 0.3;
        a += eps;
        c += eps;
        const det = a * c - b * b;
        if (det <= 0) continue;
        const compensation = scene.antialiased ? Math.sqrt(Math.max(det0 / det, 0)) : 1;
        const conic = [c / det, -b / det, a / det];
        const mean = [fx * p[0] / p[2] + cx, fy * p[1] / p[2] + cy];
        const mid = 0.5 * (a + c);
        const radius = Math.ceil(3 * Math.sqrt(mid + Math.sqrt(Math.max(0.1, mid * mid - det))));
        const clampT = (v, hi) => Math.min(hi, Math.max(0, v));
        const x0 = clampT(Math.floor((mean[0] - radius) / 16), tilesX), x1 = clampT(Math.floor((mean[0] + radius) / 16) + 1, tilesX);
        const y0 = clampT(Math.floor((mean[1] - radius) / 16), tilesY), y1 = clampT(Math.floor((mean[1] + radius) / 16) + 1, tilesY);
        if ((x1 - x0) * (y1 - y0) === 0) continue;
        const dir = [0, 1, 2].map((q) => mu[q] - center[q]);
        const dn = Math.hypot(...dir);
        const rgb = shColor(scene.sh.subarray(i * K * 3, (i + 1) * K * 3), K, scene.shDegree, dir.map((v) => v / dn));
        const entry = { i, depth: Math.fround(p[2]), mean, conic, alpha: compensation / (1 + Math.exp(-scene.opacities[i])), rgb };
        pre.push(entry);
        for (let ty2 = y0; ty2 < y1; ++ty2)
            for (let tx2 = x0; tx2 < x1; ++tx2) tiles[ty2 * tilesX + tx2].push(entry);
    }
    const out = new Float64Array(W * H * 3);
    for (let tile = 0; tile < tiles.length; ++tile) {
        const list = tiles[tile].sort((p, q) => p.depth - q.depth || p.i - q.i);
        const tx = tile % tilesX, ty = Math.floor(tile / tilesX);
        for (let py = ty * 16; py < Math.min(H, ty * 16 + 16); ++py)
            for (let px = tx * 16; px < Math.min(W, tx * 16 + 16); ++px) {
                let T = 1;
                const C = [0, 0, 0];
                for (const g of list) {
                    const dx = g.mean[0] - (px + 0.5), dy = g.mean[1] - (py + 0.5);
                    const power = -0.5 * (g.conic[0] * dx * dx + g.conic[2] * dy * dy) - g.conic[1] * dx * dy;
                    if (power > 0) continue;
                    const alpha = Math.min(0.99, g.alpha * Math.exp(power));
                    if (alpha < 1 / 255) continue;
                    const Tn = T * (1 - alpha);
                    if (Tn < 1e-4) break;
                    for (let c = 0; c < 3; ++c) C[c] += g.rgb[c] * alpha * T;
                    T = Tn;
                }
                for (let c = 0; c < 3; ++c) out[(py * W + px) * 3 + c] = C[c] + T * background[c];
            }
    }
    return out;
}
