// The test scene and the reference 3DGS PLY layout (binary little-endian, properties by name), so
// the web tests can make their input and read back what `splatscape convert` decoded.
import fs from 'node:fs';

// SplitMix64-style deterministic generator (same numbers on every machine).
function makeRng(seed) {
    let s = BigInt(seed);
    return () => {
        s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
        let z = s;
        z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
        z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
        z ^= z >> 31n;
        return Number(z >> 11n) / 2 ** 53;
    };
}

// A few dozen large, overlapping Gaussians of SH degree 3 in front of a camera at the origin that
// looks along +z, plus one behind it and one far off to the side (both must be culled). `scales`:
// the range of the Gaussians' scales (small ones are a pixel or less wide, as when zooming out).
export function makeTestScene(count = 48, seed = 7, scales = [0.04, 0.45]) {
    const rnd = makeRng(seed);
    const u = (lo, hi) => lo + (hi - lo) * rnd();
    const degree = 3, K = 16;
    const n = count + 2;
    const s = {
        count: n, shDegree: degree, positions: new Float32Array(n * 3), logScales: new Float32Array(n * 3),
        rotations: new Float32Array(n * 4), opacities: new Float32Array(n), sh: new Float32Array(n * K * 3),
    };
    for (let i = 0; i < n; ++i) {
        let p = [u(-1.6, 1.6), u(-1.2, 1.2), u(3, 6.5)];
        if (i === count) p = [0.2, 0.1, -1.5];       // behind the camera
        if (i === count + 1) p = [40, 0, 5];         // far outside the view
        s.positions.set(p, 3 * i);
        for (let a = 0; a < 3; ++a) s.logScales[3 * i + a] = Math.log(u(scales[0], scales[1]));
        s.rotations.set([u(-1, 1), u(-1, 1), u(-1, 1), u(-1, 1)], 4 * i);
        s.opacities[i] = u(-1.5, 3.5);
        for (let c = 0; c < 3; ++c) s.sh[i * K * 3 + c] = u(-1.4, 1.4);
        for (let j = 1; j < K; ++j)
            for (let c = 0; c < 3; ++c) s.sh[(i * K + j) * 3 + c] = u(-0.35, 0.35);
    }
    return s;
}

// `comments`: header comment lines ("antialiased eps2d 0.1").
export function writeGaussianPly(path, s, comments = []) {
    const K = (s.shDegree + 1) * (s.shDegree + 1);
    const props = ['x', 'y', 'z', 'f_dc_0', 'f_dc_1', 'f_dc_2'];
    for (let i = 0; i < 3 * (K - 1); ++i) props.push(`f_rest_${i}`);
    props.push('opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3');
    const header = `ply\nformat binary_little_endian 1.0\n` + comments.map((c) => `comment ${c}\n`).join('') +
        `element vertex ${s.count}\n` +
        props.map((p) => `property float ${p}\n`).join('') + 'end_header\n';
    const body = Buffer.alloc(s.count * props.length * 4);
    let o = 0;
    for (let i = 0; i < s.count; ++i) {
        const row = [...s.positions.subarray(3 * i, 3 * i + 3), ...[0, 1, 2].map((c) => s.sh[i * K * 3 + c])];
        for (let c = 0; c < 3; ++c)
            for (let j = 1; j < K; ++j) row.push(s.sh[(i * K + j) * 3 + c]);  // channel-major f_rest
        row.push(s.opacities[i], ...s.logScales.subarray(3 * i, 3 * i + 3), ...s.rotations.subarray(4 * i, 4 * i + 4));
        for (const v of row) o = body.writeFloatLE(v, o);
    }
    fs.writeFileSync(path, Buffer.concat([Buffer.from(header, 'latin1'), body]));
}

export function readGaussianPly(path) {
    const buf = fs.readFileSync(path);
    const end = buf.indexOf('end_header\n');
    const lines = buf.toString('latin1', 0, end).split('\n');
    const props = [];
    let count = 0, antialiased = false, eps2d = 0.3;
    for (const line of lines) {
        const w = line.trim().split(/\s+/);
        if (w[0] === 'comment' && w[1] === 'antialiased') {
            antialiased = true;
            if (w[2] === 'eps2d') eps2d = Number(w[3]);
        }
        if (w[0] === 'element' && w[1] === 'vertex') count = Number(w[2]);
        if (w[0] === 'property') {
            if (w[1] !== 'float') throw new Error(`${path}: expected float properties`);
            props.push(w[2]);
        }
    }
    const idx = Object.fromEntries(props.map((p, i) => [p, i]));
    const rest = props.filter((p) => p.startsWith('f_rest_')).length;
    const degree = { 0: 0, 9: 1, 24: 2, 45: 3 }[rest];
    const K = (degree + 1) * (degree + 1);
    const s = {
        count, shDegree: degree, positions: new Float32Array(count * 3), logScales: new Float32Array(count * 3),
        rotations: new Float32Array(count * 4), opacities: new Float32Array(count), sh: new Float32Array(count * K * 3),
        antialiased, eps2d,
    };
    let o = end + 'end_header\n'.length;
    const stride = props.length * 4;
    for (let i = 0; i < count; ++i, o += stride) {
        const f = (name) => buf.readFloatLE(o + 4 * idx[name]);
        for (let a = 0; a < 3; ++a) {
            s.positions[3 * i + a] = f('xyz'[a]);
            s.logScales[3 * i + a] = f(`scale_${a}`);
            s.sh[i * K * 3 + a] = f(`f_dc_${a}`);
            for (let j = 1; j < K; ++j) s.sh[(i * K + j) * 3 + a] = f(`f_rest_${a * (K - 1) + j - 1}`);
        }
        for (let a = 0; a < 4; ++a) s.rotations[4 * i + a] = f(`rot_${a}`);
        s.opacities[i] = f('opacity');
    }
    return s;
}
