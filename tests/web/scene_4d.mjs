// A 4D test scene for the web viewer tests, written as Splatscape's 4D Gaussian PLY
// (core/io/ply_4d.hpp): Gaussians in front of a camera at the origin looking along +z, moving
// through space-time (their 4D rotations mix space and time), some short-lived, with temporal colour
// (SH degree 2, temporal degree 2), over the time range [0, 1].
import fs from 'node:fs';

function makeRng(seed) {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 15), z | 1);
        z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
        return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    };
}

export function makeTestScene4d(count = 60, seed = 11) {
    const rnd = makeRng(seed);
    const u = (lo, hi) => lo + (hi - lo) * rnd();
    const degree = 2, degreeT = 2, K = 9, J = K * (degreeT + 1);
    const s = {
        count, degree, degreeT, K, J, positions: [], times: [], logScales: [], rotL: [], rotR: [], opacities: [], sh: [],
    };
    for (let i = 0; i < count; ++i) {
        s.positions.push(u(-1.5, 1.5), u(-1.1, 1.1), u(3.5, 6));
        s.times.push(u(-0.1, 1.1));
        s.logScales.push(Math.log(u(0.08, 0.4)), Math.log(u(0.08, 0.4)), Math.log(u(0.08, 0.4)),
            Math.log(i % 4 === 0 ? 0.1 : u(0.3, 0.8)));
        s.rotL.push(1 + u(-0.5, 0.5), u(-0.5, 0.5), u(-0.5, 0.5), u(-0.5, 0.5));
        s.rotR.push(1 + u(-0.5, 0.5), u(-0.5, 0.5), u(-0.5, 0.5), u(-0.5, 0.5));
        s.opacities.push(u(-0.5, 3));
        for (let j = 0; j < J; ++j)
            for (let c = 0; c < 3; ++c) s.sh.push(j === 0 ? u(-1.4, 1.4) : u(-0.4, 0.4));
    }
    return s;
}

export function write4dPly(path, s) {
    const props = ['x', 'y', 'z', 't', 'f_dc_0', 'f_dc_1', 'f_dc_2'];
    for (let i = 0; i < 3 * (s.K - 1); ++i) props.push(`f_rest_${i}`);
    for (let n = 1; n <= s.degreeT; ++n)
        for (let i = 0; i < 3 * s.K; ++i) props.push(`f_t${n}_${i}`);
    props.push('opacity', 'scale_0', 'scale_1', 'scale_2', 'scale_3', 'rot_0', 'rot_1', 'rot_2', 'rot_3',
        'rotr_0', 'rotr_1', 'rotr_2', 'rotr_3');
    const header = 'ply\nformat binary_little_endian 1.0\ncomment time_range 0 1\ncomment time_period 1\n' +
        `element vertex ${s.count}\n` + props.map((p) => `property float ${p}\n`).join('') + 'end_header\n';
    const body = Buffer.alloc(s.count * props.length * 4);
    let o = 0;
    const coef = (i, j, c) => s.sh[(i * s.J + j) * 3 + c];
    for (let i = 0; i < s.count; ++i) {
        const row = [...s.positions.slice(3 * i, 3 * i + 3), s.times[i], coef(i, 0, 0), coef(i, 0, 1), coef(i, 0, 2)];
        for (let c = 0; c < 3; ++c)
            for (let k = 1; k < s.K; ++k) row.push(coef(i, k, c));
        for (let n = 1; n <= s.degreeT; ++n)
            for (let c = 0; c < 3; ++c)
                for (let k = 0; k < s.K; ++k) row.push(coef(i, n * s.K + k, c));
        row.push(s.opacities[i], ...s.logScales.slice(4 * i, 4 * i + 4), ...s.rotL.slice(4 * i, 4 * i + 4),
            ...s.rotR.slice(4 * i, 4 * i + 4));
        for (const v of row) o = body.writeFloatLE(v, o);
    }
    fs.writeFileSync(path, Buffer.concat([Buffer.from(header, 'latin1'), body]));
}
