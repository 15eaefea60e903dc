// Scene file parsers of the web viewer: .ply (the reference 3DGS layout, binary, and PlayCanvas's
// compressed PLY), .splat (antimatter15), .spz (Niantic, versions 2 and 3: gzip or plain; 4: zstd) and
// .glb / .gltf (KHR_gaussian_splatting, plain or SPZ-compressed with
// KHR_gaussian_splatting_compression_spz_2). Each returns a SplatScene in the viewer's internal frame,
// which is the desktop application's: OpenCV / COLMAP, x right, y down, z forward. SPZ (RUB) and
// glTF (LUF) data are turned back into it here, exactly as core/io/frame_convert.hpp does.

import { zstdDecompress } from './zstd.js';

export const SH_C0 = 0.28209479177387814;

// Gaussians in structure-of-arrays form, ready for the renderer.
export class SplatScene {
    constructor(count, shDegree) {
        this.count = count;
        this.shDegree = shDegree;
        this.shCoeffs = (shDegree + 1) * (shDegree + 1);
        this.positions = new Float32Array(count * 3);  // [N, 3] world
        this.scales = new Float32Array(count * 3);     // [N, 3] linear (exp of the log-scales)
        this.rotations = new Float32Array(count * 4);  // [N, 4] w x y z, unit
        this.opacities = new Float32Array(count);      // [N] in [0, 1]
        this.sh = new Float32Array(count * this.shCoeffs * 3);  // [N, K, 3], coefficient 0 = DC
        this.loaded = count;  // rows decoded so far (progressive loading)
        // Trained with the opacity compensation of the 2D filter of variance eps2d pixels^2
        // (docs/rasterizer.md step 4): SPZ's flag, Splatscape's PLY comment, Mip-Splatting's PLYs.
        this.antialiased = false;
        this.eps2d = 0.3;
    }
}

// The 16 real SH basis functions of bands 0..3 with the 3DGS reference's constants and signs.
function shBasisValues(x, y, z) {
    const xx = x * x, yy = y * y, zz = z * z;
    return [0.28209479177387814, -0.4886025119029199 * y, 0.4886025119029199 * z, -0.4886025119029199 * x,
        1.0925484305920792 * x * y, -1.0925484305920792 * y * z, 0.31539156525252005 * (2 * zz - xx - yy),
        -1.0925484305920792 * x * z, 0.5462742152960396 * (xx - yy), -0.5900435899266435 * y * (3 * xx - yy),
        2.890611442640554 * x * y * z, -0.4570457994644658 * y * (4 * zz - xx - yy),
        0.3731763325901154 * z * (2 * zz - 3 * xx - 3 * yy), -0.4570457994644658 * x * (4 * zz - xx - yy),
        1.445305721320277 * z * (xx - yy), -0.5900435899266435 * x * (xx - 3 * yy)];
}

// Applies p' = F p for a diagonal F of +-1 with an even number of flips (a 180-degree turn):
// quaternion (w, F v), SH coefficient k times Y_k(F d) / Y_k(d). Its own inverse.
function applyAxisFlip(scene, fx, fy, fz) {
    const d = [0.31, 0.47, 0.83];
    const a = shBasisValues(d[0], d[1], d[2]);
    const b = shBasisValues(fx * d[0], fy * d[1], fz * d[2]);
    const signs = a.map((v, k) => (v * b[k] >= 0 ? 1 : -1));
    const f = [fx, fy, fz];
    const k = scene.shCoeffs;
    for (let i = 0; i < scene.count; ++i) {
        for (let c = 0; c < 3; ++c) {
            scene.positions[3 * i + c] *= f[c];
            scene.rotations[4 * i + 1 + c] *= f[c];
        }
        for (let j = 1; j < k; ++j)
            for (let c = 0; c < 3; ++c) scene.sh[(i * k + j) * 3 + c] *= signs[j];
    }
}

function normalizeRotation(scene, i) {
    const r = scene.rotations;
    const n = Math.hypot(r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    if (n > 0) for (let c = 0; c < 4; ++c) r[4 * i + c] /= n;
    else r.set([1, 0, 0, 0], 4 * i);
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

export function detectFormat(name, bytes) {
    const lower = (name || '').toLowerCase();
    if (lower.endsWith('.s4d')) return 's4d';
    if (bytes && bytes.length >= 4) {
        if (bytes[0] === 0x67 && bytes[1] === 0x6c && bytes[2] === 0x54 && bytes[3] === 0x46) return 'glb';  // glTF
        if (bytes[0] === 0x70 && bytes[1] === 0x6c && bytes[2] === 0x79) return 'ply';
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'spz';
        if (bytes[0] === 0x4e && bytes[1] === 0x47 && bytes[2] === 0x53 && bytes[3] === 0x50) return 'spz';  // NGSP
    }
    for (const ext of ['ply', 'splat', 'spz', 'glb', 'gltf'])
        if (lower.endsWith('.' + ext)) return ext;
    return null;
}

// ---------------------------------------------------------------------------------------------
// PLY

const PLY_TYPES = {
    char: ['getInt8', 1], int8: ['getInt8', 1], uchar: ['getUint8', 1], uint8: ['getUint8', 1],
    short: ['getInt16', 2], int16: ['getInt16', 2], ushort: ['getUint16', 2], uint16: ['getUint16', 2],
    int: ['getInt32', 4], int32: ['getInt32', 4], uint: ['getUint32', 4], uint32: ['getUint32', 4],
    float: ['getFloat32', 4], float32: ['getFloat32', 4], double: ['getFloat64', 8], float64: ['getFloat64', 8],
};

// Returns null while the header is incomplete.
export function parsePlyHeader(bytes) {
    const limit = Math.min(bytes.length, 1 << 20);
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, limit));
    const end = text.indexOf('end_header');
    if (end < 0) {
        if (limit >= 1 << 20) throw new Error('PLY: no end_header in the first MiB');
        return null;
    }
    const newline = text.indexOf('\n', end);
    if (newline < 0) return null;
    const header = { dataOffset: newline + 1, elements: [], format: '', comments: [] };
    for (const raw of text.slice(0, end).split('\n')) {
        const w = raw.trim().split(/\s+/);
        if (w[0] === 'format') header.format = w[1];
        else if (w[0] === 'comment') header.comments.push(w.slice(1));
        else if (w[0] === 'element') header.elements.push({ name: w[1], count: parseInt(w[2], 10), props: [], stride: 0 });
        else if (w[0] === 'property') {
            const el = header.elements[header.elements.length - 1];
            if (!el) throw new Error('PLY: property before any element');
            if (w[1] === 'list') throw new Error(`PLY: list property '${w[4]}' in element '${el.name}' is not supported here`);
            const type = PLY_TYPES[w[1]];
            if (!type) throw new Error(`PLY: unknown property type '${w[1]}'`);
            el.props.push({ name: w[2], getter: type[0], size: type[1], offset: el.stride });
            el.stride += type[1];
        }
    }
    if (header.format !== 'binary_little_endian')
        throw new Error(`PLY: format '${header.format}' is not supported by the web viewer (binary_little_endian only)`);
    let offset = header.dataOffset;
    for (const el of header.elements) {
        if (!(el.count >= 0)) throw new Error(`PLY: bad count for element '${el.name}'`);
        el.offset = offset;
        offset += el.count * el.stride;
    }
    header.totalBytes = offset;
    return header;
}

function plyElement(header, name) {
    return header.elements.find((e) => e.name === name);
}

// A 4D Gaussian PLY (Splatscape's gs4d runs, core/io/ply_4d.hpp): vertices with t and rotr_0.
function is4dPly(header) {
    const v = plyElement(header, 'vertex');
    return !!(v && v.props.some((p) => p.name === 't') && v.props.some((p) => p.name === 'rotr_0'));
}

// Incremental decoder of the 4D layout: x y z t, f_dc_*, f_rest_* (frequency 0, channel-major),
// f_t<n>_* (frequency n, channel-major over all K coefficients), opacity, scale_0..3, rot_0..3 (left
// quaternion), rotr_0..3 (right), and the comments time_range and time_period. The scene gets the
// fields renderer.js and splat4d.js read: is4d, times, scales4 (linear), rotations (left, unit),
// rotationsR (unit), sh [N, J, 3] with J = K (shDegreeT + 1), shStride = J, timeMin, timeMax, timePeriod.
class Ply4dRowDecoder {
    constructor(header, totalBytes) {
        const v = plyElement(header, 'vertex');
        if (totalBytes > 0 && v.offset + v.count * v.stride > totalBytes)
            throw new Error(`PLY: ${v.count} vertices need more bytes than the file's ${totalBytes} (truncated?)`);
        const prop = (name) => v.props.find((p) => p.name === name);
        for (const name of ['x', 'y', 'z', 't', 'opacity', 'f_dc_0', 'f_dc_1', 'f_dc_2'].concat(
            [0, 1, 2, 3].flatMap((a) => [`scale_${a}`, `rot_${a}`, `rotr_${a}`])))
            if (!prop(name)) throw new Error(`PLY: property '${name}' is missing (not a 4D Gaussian PLY)`);
        let rest = 0;
        while (prop(`f_rest_${rest}`)) ++rest;
        const degree = { 0: 0, 9: 1, 24: 2, 45: 3 }[rest];
        if (degree === undefined) throw new Error(`PLY: ${rest} f_rest properties (expected 0, 9, 24 or 45)`);
        const K = (degree + 1) * (degree + 1);
        let degreeT = 0;
        while (prop(`f_t${degreeT + 1}_0`)) ++degreeT;
        if (degreeT > 4) throw new Error(`PLY: temporal degree ${degreeT} (at most 4)`);
        for (let n = 1; n <= degreeT; ++n)
            for (let i = 0; i < 3 * K; ++i)
                if (!prop(`f_t${n}_${i}`)) throw new Error(`PLY: property 'f_t${n}_${i}' is missing`);
        const s = new SplatScene(v.count, degree);
        s.is4d = true;
        s.shDegreeT = degreeT;
        s.shStride = K * (degreeT + 1);
        s.sh = new Float32Array(v.count * s.shStride * 3);
        s.times = new Float32Array(v.count);
        s.scales4 = new Float32Array(v.count * 4);
        s.rotationsR = new Float32Array(v.count * 4);
        s.timeMin = 0;
        s.timeMax = 1;
        s.timePeriod = null;
        for (const c of header.comments) {
            const nums = c.slice(1).map(Number);
            if (c[0] === 'time_range' && nums.length === 2 && nums.every(Number.isFinite) && nums[1] >= nums[0])
                [s.timeMin, s.timeMax] = nums;
            if (c[0] === 'time_period' && nums.length === 1 && nums[0] > 0) s.timePeriod = nums[0];
        }
        if (s.timePeriod === null) s.timePeriod = s.timeMax > s.timeMin ? s.timeMax - s.timeMin : 1;
        s.loaded = 0;
        this.element = v;
        this.scene = s;
        this.K = K;
        this.p = {};
        for (const p of v.props) this.p[p.name] = p;
    }
    decode(bytes) {
        const v = this.element, s = this.scene, K = this.K, J = s.shStride;
        const available = Math.min(v.count, Math.floor((bytes.length - v.offset) / v.stride));
        if (available <= s.loaded) return;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        const get = (p, base) => view[p.getter](base + p.offset, true);
        const P = this.p;
        const unit = (arr, i) => {
            const n = Math.hypot(arr[4 * i], arr[4 * i + 1], arr[4 * i + 2], arr[4 * i + 3]);
            if (n > 0) for (let c = 0; c < 4; ++c) arr[4 * i + c] /= n;
            else arr.set([1, 0, 0, 0], 4 * i);
        };
        for (let i = s.loaded; i < available; ++i) {
            const base = v.offset + i * v.stride;
            s.positions[3 * i] = get(P.x, base);
            s.positions[3 * i + 1] = get(P.y, base);
            s.positions[3 * i + 2] = get(P.z, base);
            s.times[i] = get(P.t, base);
            for (let a = 0; a < 4; ++a) {
                s.scales4[4 * i + a] = Math.exp(get(P[`scale_${a}`], base));
                s.rotations[4 * i + a] = get(P[`rot_${a}`], base);
                s.rotationsR[4 * i + a] = get(P[`rotr_${a}`], base);
            }
            for (let a = 0; a < 3; ++a) s.scales[3 * i + a] = s.scales4[4 * i + a];
            unit(s.rotations, i);
            unit(s.rotationsR, i);
            s.opacities[i] = sigmoid(get(P.opacity, base));
            for (let c = 0; c < 3; ++c) {
                s.sh[i * J * 3 + c] = get(P[`f_dc_${c}`], base);
                for (let k = 1; k < K; ++k) s.sh[(i * J + k) * 3 + c] = get(P[`f_rest_${c * (K - 1) + k - 1}`], base);
                for (let n = 1; n <= s.shDegreeT; ++n)
                    for (let k = 0; k < K; ++k) s.sh[(i * J + n * K + k) * 3 + c] = get(P[`f_t${n}_${c * K + k}`], base);
            }
        }
        s.loaded = available;
    }
}

function isCompressedPly(header) {
    const v = plyElement(header, 'vertex');
    return !!(plyElement(header, 'chunk') && v && v.props.some((p) => p.name === 'packed_position'));
}

// Incremental decoder of the reference layout: rows are decoded as bytes arrive.
class PlyRowDecoder {
    // `totalBytes`: the file's size when known (0 otherwise), to refuse lying counts before allocating.
    constructor(header, totalBytes) {
        const v = plyElement(header, 'vertex');
        if (!v) throw new Error('PLY: no vertex element');
        if (totalBytes > 0 && v.offset + v.count * v.stride > totalBytes)
            throw new Error(`PLY: ${v.count} vertices need more bytes than the file's ${totalBytes} (truncated?)`);
        const prop = (name) => v.props.find((p) => p.name === name);
        for (const name of ['x', 'y', 'z', 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2',
            'rot_3', 'f_dc_0', 'f_dc_1', 'f_dc_2'])
            if (!prop(name)) throw new Error(`PLY: property '${name}' is missing (not a 3D Gaussian splatting PLY)`);
        let rest = 0;
        while (prop(`f_rest_${rest}`)) ++rest;
        const degree = { 0: 0, 9: 1, 24: 2, 45: 3 }[rest];
        if (degree === undefined) throw new Error(`PLY: ${rest} f_rest properties (expected 0, 9, 24 or 45)`);
        this.element = v;
        this.scene = new SplatScene(v.count, degree);
        this.scene.loaded = 0;
        for (const c of header.comments)
            if (c[0] === 'antialiased') {
                this.scene.antialiased = true;
                const eps = Number(c[2]);
                if (c[1] === 'eps2d' && Number.isFinite(eps) && eps >= 0 && eps < 100) this.scene.eps2d = eps;
            }
        // Mip-Splatting keeps its 3D filter apart (filter_3D, a standard deviation): baked below as
        // docs/rasterizer.md (step 2) specifies, rendered with its 2D Mip filter.
        if (prop('filter_3D')) {
            this.scene.antialiased = true;
            this.scene.eps2d = 0.1;
        }
        this.p = {};
        for (const p of v.props) this.p[p.name] = p;
    }
    // Decodes every complete row in `bytes` (the file so far).
    decode(bytes) {
        const v = this.element, s = this.scene, k = s.shCoeffs;
        const available = Math.min(v.count, Math.floor((bytes.length - v.offset) / v.stride));
        if (available <= s.loaded) return;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        const get = (p, base) => view[p.getter](base + p.offset, true);
        const P = this.p;
        const rest = (k - 1);
        for (let i = s.loaded; i < available; ++i) {
            const base = v.offset + i * v.stride;
            s.positions[3 * i] = get(P.x, base);
            s.positions[3 * i + 1] = get(P.y, base);
            s.positions[3 * i + 2] = get(P.z, base);
            for (let a = 0; a < 3; ++a) {
                s.scales[3 * i + a] = Math.exp(get(P[`scale_${a}`], base));
                s.sh[i * k * 3 + a] = get(P[`f_dc_${a}`], base);
                for (let j = 1; j < k; ++j) s.sh[(i * k + j) * 3 + a] = get(P[`f_rest_${a * rest + j - 1}`], base);
            }
            for (let a = 0; a < 4; ++a) s.rotations[4 * i + a] = get(P[`rot_${a}`], base);
            normalizeRotation(s, i);
            s.opacities[i] = sigmoid(get(P.opacity, base));
            if (P.filter_3D) {
                const v2 = get(P.filter_3D, base) ** 2;
                let coef = 1;
                for (let a = 0; a < 3; ++a) {
                    const s2 = Math.hypot(s.scales[3 * i + a], Math.sqrt(v2));
                    coef *= s.scales[3 * i + a] / s2;
                    s.scales[3 * i + a] = s2;
                }
                s.opacities[i] *= coef;
            }
        }
        s.loaded = available;
    }
}

function decodeCompressedPly(bytes, header) {
    const chunk = plyElement(header, 'chunk'), v = plyElement(header, 'vertex'), shEl = plyElement(header, 'sh');
    if (bytes.length < header.totalBytes) throw new Error('PLY: file is truncated');
    if (chunk.count !== Math.ceil(v.count / 256)) throw new Error('PLY: chunk count does not match the vertex count');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const col = (el, name) => {
        const p = el.props.find((q) => q.name === name);
        if (!p) throw new Error(`PLY: ${el.name}.${name} is missing`);
        return (row) => view[p.getter](el.offset + row * el.stride + p.offset, true);
    };
    const names = ['min_x', 'min_y', 'min_z', 'max_x', 'max_y', 'max_z', 'min_scale_x', 'min_scale_y', 'min_scale_z',
        'max_scale_x', 'max_scale_y', 'max_scale_z'];
    const c = Object.fromEntries(names.map((n) => [n, col(chunk, n)]));
    const hasColor = chunk.props.some((p) => p.name === 'min_r');
    const cc = hasColor ? ['min_r', 'min_g', 'min_b', 'max_r', 'max_g', 'max_b'].map((n) => col(chunk, n)) : null;
    const pp = col(v, 'packed_position'), pr = col(v, 'packed_rotation'), ps = col(v, 'packed_scale'),
        pc = col(v, 'packed_color');
    const degree = shEl ? { 9: 1, 24: 2, 45: 3 }[shEl.props.length] : 0;
    if (degree === undefined) throw new Error('PLY: unexpected number of SH properties');
    const s = new SplatScene(v.count, degree);
    const k = s.shCoeffs;
    const un = (x, bits) => (x & ((1 << bits) - 1)) / ((1 << bits) - 1);
    const lerp = (a, b, t) => a * (1 - t) + b * t;
    for (let i = 0; i < v.count; ++i) {
        const ci = Math.floor(i / 256);
        const p = pp(i), r = pr(i), sc = ps(i), co = pc(i);
        s.positions[3 * i] = lerp(c.min_x(ci), c.max_x(ci), un(p >>> 21, 11));
        s.positions[3 * i + 1] = lerp(c.min_y(ci), c.max_y(ci), un(p >>> 11, 10));
        s.positions[3 * i + 2] = lerp(c.min_z(ci), c.max_z(ci), un(p, 11));
        s.scales[3 * i] = Math.exp(lerp(c.min_scale_x(ci), c.max_scale_x(ci), un(sc >>> 21, 11)));
        s.scales[3 * i + 1] = Math.exp(lerp(c.min_scale_y(ci), c.max_scale_y(ci), un(sc >>> 11, 10)));
        s.scales[3 * i + 2] = Math.exp(lerp(c.min_scale_z(ci), c.max_scale_z(ci), un(sc, 11)));
        const largest = r >>> 30;
        const stored = [(un(r >>> 20, 10) - 0.5) * Math.SQRT2, (un(r >>> 10, 10) - 0.5) * Math.SQRT2,
            (un(r, 10) - 0.5) * Math.SQRT2];
        let sum = 0;
        for (let a = 0, j = 0; a < 4; ++a)
            if (a !== largest) {
                s.rotations[4 * i + a] = stored[j++];
                sum += s.rotations[4 * i + a] ** 2;
            }
        s.rotations[4 * i + largest] = Math.sqrt(Math.max(0, 1 - sum));
        for (let a = 0; a < 3; ++a) {
            let value = un(co >>> (24 - 8 * a), 8);
            if (cc) value = lerp(cc[a](ci), cc[3 + a](ci), value);
            s.sh[i * k * 3 + a] = (value - 0.5) / SH_C0;
        }
        s.opacities[i] = un(co, 8);
    }
    if (shEl) {
        const view8 = bytes;
        for (let a = 0; a < 3; ++a)
            for (let j = 1; j < k; ++j) {
                const p = shEl.props.find((q) => q.name === `f_rest_${a * (k - 1) + j - 1}`);
                if (!p) throw new Error('PLY: SH properties are not f_rest_0..');
                for (let i = 0; i < v.count; ++i) {
                    const x = view8[shEl.offset + i * shEl.stride + p.offset];
                    const t = x === 0 ? 0 : x === 255 ? 1 : (x + 0.5) / 256;
                    s.sh[(i * k + j) * 3 + a] = (t - 0.5) * 8;
                }
            }
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// .splat: 32 bytes a splat: float position[3], float scale[3], u8 rgba, u8 quaternion (w x y z).

export const SPLAT_RECORD_BYTES = 32;

class SplatRowDecoder {
    constructor(totalBytes) {
        this.scene = new SplatScene(Math.floor(totalBytes / SPLAT_RECORD_BYTES), 0);
        this.scene.loaded = 0;
    }
    decode(bytes) {
        const s = this.scene;
        const available = Math.min(s.count, Math.floor(bytes.length / SPLAT_RECORD_BYTES));
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        for (let i = s.loaded; i < available; ++i) {
            const b = i * SPLAT_RECORD_BYTES;
            for (let a = 0; a < 3; ++a) {
                s.positions[3 * i + a] = view.getFloat32(b + 4 * a, true);
                s.scales[3 * i + a] = view.getFloat32(b + 12 + 4 * a, true);
                s.sh[3 * i + a] = (bytes[b + 24 + a] / 255 - 0.5) / SH_C0;
            }
            s.opacities[i] = bytes[b + 27] / 255;
            for (let a = 0; a < 4; ++a) s.rotations[4 * i + a] = (bytes[b + 28 + a] - 128) / 128;
            normalizeRotation(s, i);
        }
        s.loaded = available;
    }
}

// ---------------------------------------------------------------------------------------------
// SPZ

async function gunzip(bytes, what = 'SPZ') {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    try {
        return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
        throw new Error(`${what}: the gzip stream is truncated or corrupt (${e.message})`);
    }
}

// A 24-bit little-endian two's complement integer at bytes[b .. b + 2].
function fixed24(bytes, b) {
    const v = bytes[b] | (bytes[b + 1] << 8) | (bytes[b + 2] << 16);
    return v & 0x800000 ? v - 0x1000000 : v;
}

// A unit quaternion packed as SPZ v3 packs it ("smallest three" in 32 bits); returns x y z w.
function unpackSmallestThree(comp) {
    const q = [0, 0, 0, 0];
    const largest = comp >>> 30;
    let sum = 0;
    for (let c = 3; c >= 0; --c) {
        if (c === largest) continue;
        const mag = ((comp & 511) / 511) * Math.SQRT1_2;
        q[c] = (comp >>> 9) & 1 ? -mag : mag;
        sum += q[c] * q[c];
        comp >>>= 10;
    }
    q[largest] = Math.sqrt(Math.max(0, 1 - sum));
    return q;
}

// SPZ frames as turns of RDF, by the code of Niantic's spz::CoordinateSystem (RDF 6, RUB 4, LUF 7, LDB 1).
const SPZ_FRAME_FLIPS = { 6: [1, 1, 1], 4: [1, -1, -1], 7: [-1, -1, 1], 1: [-1, 1, -1] };

// The frame a v4 file records (SPZ_ADOBE_coordinate_system, type 0xADBE0003: u32 type, u32 length,
// u32 code, between the header and the TOC when flag 0x2 is set), or null (core/io/spz.hpp).
function spzRecordedFrame(bytes, view) {
    if (!(bytes[14] & 2)) return null;
    const toc = Math.min(view.getUint32(16, true), bytes.length);
    let frame = null;
    for (let at = 32; at + 8 <= toc;) {
        const type = view.getUint32(at, true), length = view.getUint32(at + 4, true);
        if (at + 8 + length > toc) throw new Error('SPZ: an extension record runs past the table of contents');
        if (type === 0xadbe0003 && length >= 4) {
            const code = view.getUint32(at + 8, true);
            if (code !== 0 && !SPZ_FRAME_FLIPS[code]) throw new Error(`SPZ: coordinate system ${code} is not supported`);
            if (code !== 0) frame = code;
        }
        at += 8 + length;
    }
    return frame;
}

// SPZ v4: a plain 32-byte header, a table of {compressed, uncompressed} u64 pairs at tocByteOffset,
// then one zstd stream per attribute array.
function spzV4Arrays(bytes, view, sizes) {
    if (bytes.length < 32) throw new Error('SPZ: v4 header is truncated');
    const streams = bytes[15], toc = view.getUint32(16, true);
    const wanted = sizes.filter((s, i) => i < 5 || s > 0);
    if (streams !== wanted.length) throw new Error(`SPZ: ${streams} streams, expected ${wanted.length}`);
    if (toc < 32 || toc + 16 * streams > bytes.length) throw new Error('SPZ: table of contents outside the file');
    let offset = toc + 16 * streams;
    const arrays = [];
    for (let s = 0; s < streams; ++s) {
        const compressed = Number(view.getBigUint64(toc + 16 * s, true));
        const raw = Number(view.getBigUint64(toc + 16 * s + 8, true));
        if (raw !== wanted[s]) throw new Error(`SPZ: stream ${s} holds ${raw} bytes, ${wanted[s]} expected`);
        if (offset + compressed > bytes.length) throw new Error(`SPZ: stream ${s} runs past the end of the file`);
        const data = zstdDecompress(bytes.subarray(offset, offset + compressed), raw);
        if (data.length !== raw) throw new Error(`SPZ: stream ${s} decompresses to ${data.length} bytes, ${raw} expected`);
        arrays.push(data);
        offset += compressed;
    }
    if (arrays.length === 5) arrays.push(new Uint8Array(0));
    return arrays;
}

// `asStored`: the values as the stream holds them, without turning its frame into RDF (an SPZ stream
// inside glTF holds the glTF frame as it is).
async function parseSpz(bytes, asStored = false) {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
    if (bytes.length < 16) throw new Error('SPZ: file is truncated');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    if (view.getUint32(0, true) === S4D_MAGIC) return parseS4dPayload(bytes);  // a gzip file of either kind
    if (view.getUint32(0, true) !== 0x5053474e) throw new Error('SPZ: bad magic (not an SPZ file)');
    const version = view.getUint32(4, true);
    if (version < 2 || version > 4) throw new Error(`SPZ: version ${version} is not supported (2, 3 or 4)`);
    const n = view.getUint32(8, true), fileDegree = bytes[12], fractional = bytes[13];
    if (fileDegree > 4) throw new Error(`SPZ: SH degree ${fileDegree}`);
    if (fractional > 24) throw new Error(`SPZ: ${fractional} fractional bits`);
    const dim = (fileDegree + 1) * (fileDegree + 1) - 1;
    const sizes = [n * 9, n, n * 3, n * 3, n * (version >= 3 ? 4 : 3), n * dim * 3];
    let arrays;
    let frame = 4;  // without a record: the spec's RUB
    if (version === 4) {
        frame = spzRecordedFrame(bytes, view) || 4;
        arrays = spzV4Arrays(bytes, view, sizes);
    } else {
        const need = 16 + sizes.reduce((a, b) => a + b, 0);
        if (bytes.length < need) throw new Error(`SPZ: truncated (${bytes.length} bytes, ${need} needed)`);
        arrays = [];
        let o = 16;
        for (const size of sizes) {
            arrays.push(bytes.subarray(o, o + size));
            o += size;
        }
    }
    const [pos, alpha, color, scale, rot, sh] = arrays;
    const s = new SplatScene(n, Math.min(fileDegree, 3));
    s.antialiased = (bytes[14] & 1) !== 0;  // flags: 0x1 antialiased (the size is not stored: 0.3)
    const k = s.shCoeffs;
    const posScale = 1 / (1 << fractional);
    const rotView = new DataView(rot.buffer, rot.byteOffset, rot.length);
    for (let i = 0; i < n; ++i) {
        for (let a = 0; a < 3; ++a) {
            s.positions[3 * i + a] = fixed24(pos, 9 * i + 3 * a) * posScale;
            s.scales[3 * i + a] = Math.exp(scale[3 * i + a] / 16 - 10);
            s.sh[i * k * 3 + a] = (color[3 * i + a] / 255 - 0.5) / 0.15;
        }
        s.opacities[i] = alpha[i] / 255;
        let q = [0, 0, 0, 0];  // x y z w
        if (version >= 3) {
            q = unpackSmallestThree(rotView.getUint32(4 * i, true));
        } else {
            let sum = 0;
            for (let c = 0; c < 3; ++c) {
                q[c] = rot[3 * i + c] / 127.5 - 1;
                sum += q[c] * q[c];
            }
            q[3] = Math.sqrt(Math.max(0, 1 - sum));
        }
        s.rotations.set([q[3], q[0], q[1], q[2]], 4 * i);
        normalizeRotation(s, i);
        for (let j = 1; j < k; ++j)
            for (let c = 0; c < 3; ++c) s.sh[(i * k + j) * 3 + c] = (sh[(i * dim + j - 1) * 3 + c] - 128) / 128;
    }
    if (frame !== 6 && !asStored) applyAxisFlip(s, ...SPZ_FRAME_FLIPS[frame]);  // to RDF (each flip is its own inverse)
    return s;
}

// ---------------------------------------------------------------------------------------------
// Splatscape's compact 4D Gaussians (.s4d, core/io/s4d.hpp): a gzip stream holding a 40-byte
// header and the quantised attribute arrays. Gives the fields Ply4dRowDecoder gives.

const S4D_MAGIC = 0x47443453;  // "S4DG"

function parseS4dPayload(bytes) {
    if (bytes.length < 40) throw new Error('s4d: header is truncated');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    if (view.getUint32(0, true) !== S4D_MAGIC) throw new Error('s4d: bad magic (not a compact 4D Gaussian file)');
    const version = view.getUint32(4, true);
    if (version !== 1) throw new Error(`s4d: version ${version} is not supported (1)`);
    const n = view.getUint32(8, true), degree = bytes[12], degreeT = bytes[13], fractional = bytes[14];
    if (degree > 3) throw new Error(`s4d: SH degree ${degree} (0..3)`);
    if (degreeT > 4) throw new Error(`s4d: temporal degree ${degreeT} (0..4)`);
    if (fractional > 24) throw new Error(`s4d: ${fractional} fractional bits`);
    const f = (o) => view.getFloat32(o, true);
    const timeMin = f(16), timeMax = f(20), timePeriod = f(24), timeOrigin = f(28), timeStep = f(32), coeffScale = f(36);
    if (!(Number.isFinite(timeMin) && Number.isFinite(timeMax) && timeMax >= timeMin)) throw new Error('s4d: bad time range');
    if (!(timePeriod > 0 && timePeriod < Infinity)) throw new Error(`s4d: time period ${timePeriod} (must be positive)`);
    if (!(Number.isFinite(timeOrigin) && timeStep >= 0 && timeStep < Infinity))
        throw new Error('s4d: the times\' origin and step must be finite, the step not negative');
    if (!(coeffScale >= 0 && coeffScale < Infinity)) throw new Error(`s4d: coefficient scale ${coeffScale} (must be finite, not negative)`);
    const K = (degree + 1) * (degree + 1), J = K * (degreeT + 1);
    const need = 40 + n * (9 + 2 + 1 + 4 + 8 + 3 + (J - 1) * 3);
    if (bytes.length !== need) throw new Error(`s4d: ${bytes.length} bytes, ${need} expected for ${n} Gaussians (truncated?)`);
    let o = 40;
    const take = (size) => { const a = bytes.subarray(o, o + size); o += size; return a; };
    const pos = take(9 * n), times = take(2 * n), alpha = take(n), scale = take(4 * n), rot = take(8 * n),
        color = take(3 * n), coeff = take((J - 1) * 3 * n);
    const rotView = new DataView(rot.buffer, rot.byteOffset, rot.length);
    const s = new SplatScene(n, degree);
    s.is4d = true;
    s.shDegreeT = degreeT;
    s.shStride = J;
    s.sh = new Float32Array(n * J * 3);
    s.times = new Float32Array(n);
    s.scales4 = new Float32Array(n * 4);
    s.rotationsR = new Float32Array(n * 4);
    s.timeMin = timeMin;
    s.timeMax = timeMax;
    s.timePeriod = timePeriod;
    const posScale = 1 / (1 << fractional), coeffUnit = coeffScale / 127;
    const quat = (comp, out, i) => {  // -> unit w x y z
        const q = unpackSmallestThree(comp);
        const norm = Math.hypot(q[0], q[1], q[2], q[3]);
        out.set([q[3] / norm, q[0] / norm, q[1] / norm, q[2] / norm], 4 * i);
    };
    for (let i = 0; i < n; ++i) {
        for (let a = 0; a < 3; ++a) s.positions[3 * i + a] = fixed24(pos, 9 * i + 3 * a) * posScale;
        s.times[i] = timeOrigin + (times[2 * i] | (times[2 * i + 1] << 8)) * timeStep;
        const p = Math.min(Math.max(alpha[i] / 255, 0.5 / 255), 1 - 0.5 / 255);
        s.opacities[i] = p;
        for (let a = 0; a < 4; ++a) s.scales4[4 * i + a] = Math.exp(scale[4 * i + a] / 16 - 10);
        for (let a = 0; a < 3; ++a) s.scales[3 * i + a] = s.scales4[4 * i + a];
        quat(rotView.getUint32(8 * i, true), s.rotations, i);
        quat(rotView.getUint32(8 * i + 4, true), s.rotationsR, i);
        for (let c = 0; c < 3; ++c) {
            s.sh[i * J * 3 + c] = (color[3 * i + c] / 255 - 0.5) / 0.15;
            for (let j = 1; j < J; ++j) s.sh[(i * J + j) * 3 + c] = (coeff[(i * (J - 1) + j - 1) * 3 + c] - 128) * coeffUnit;
        }
    }
    s.loaded = n;
    return s;
}

async function parseS4d(bytes) {
    if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) throw new Error('s4d: not a gzip stream (not a compact 4D Gaussian file)');
    return parseS4dPayload(await gunzip(bytes, 's4d'));
}

// ---------------------------------------------------------------------------------------------
// glTF / GLB with KHR_gaussian_splatting

const GL_COMPONENT = {
    5120: ['getInt8', 1, 127], 5121: ['getUint8', 1, 255], 5122: ['getInt16', 2, 32767],
    5123: ['getUint16', 2, 65535], 5125: ['getUint32', 4, 0], 5126: ['getFloat32', 4, 0],
};
const GL_TYPE_SIZE = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4 };

function base64Bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
    return out;
}

function readAccessor(gltf, buffers, index, name) {
    const acc = gltf.accessors && gltf.accessors[index];
    if (!acc) throw new Error(`glTF: accessor ${index} (${name}) does not exist`);
    const comps = GL_TYPE_SIZE[acc.type];
    const comp = GL_COMPONENT[acc.componentType];
    if (!comps || !comp) throw new Error(`glTF: ${name} has an unsupported accessor type`);
    if (acc.sparse) throw new Error(`glTF: ${name} uses a sparse accessor (not supported)`);
    if (!(acc.count >= 0 && acc.count <= 1 << 28)) throw new Error(`glTF: ${name}: bad count ${acc.count}`);
    if (acc.bufferView === undefined) return { data: new Float32Array(acc.count * comps), comps, count: acc.count };
    const bv = gltf.bufferViews && gltf.bufferViews[acc.bufferView];
    const buf = bv && buffers[bv.buffer];
    if (!buf) throw new Error(`glTF: ${name}: buffer view ${acc.bufferView} is missing`);
    const elem = comp[1] * comps;
    const stride = bv.byteStride || elem;
    if (stride < elem) throw new Error(`glTF: ${name}: byte stride ${stride} is smaller than an element`);
    const start = (bv.byteOffset || 0) + (acc.byteOffset || 0);
    if (acc.count > 0 && start + stride * (acc.count - 1) + elem > Math.min(buf.length, (bv.byteOffset || 0) + bv.byteLength))
        throw new Error(`glTF: ${name}: ${acc.count} elements run past the end of the buffer`);
    const out = new Float32Array(acc.count * comps);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    const scale = acc.normalized ? comp[2] : 0;
    for (let i = 0; i < acc.count; ++i)
        for (let c = 0; c < comps; ++c) {
            let v = view[comp[0]](start + i * stride + c * comp[1], true);
            if (scale) v = Math.max(v / scale, -1);
            out[i * comps + c] = v;
        }
    return { data: out, comps, count: acc.count };
}

// Column-major 4x4 of a node (glTF stores matrices column-major).
function nodeMatrix(node) {
    if (node.matrix) return node.matrix.slice();
    const [x, y, z, w] = node.rotation || [0, 0, 0, 1];
    const [sx, sy, sz] = node.scale || [1, 1, 1];
    const [tx, ty, tz] = node.translation || [0, 0, 0];
    return [
        (1 - 2 * (y * y + z * z)) * sx, (2 * (x * y + z * w)) * sx, (2 * (x * z - y * w)) * sx, 0,
        (2 * (x * y - z * w)) * sy, (1 - 2 * (x * x + z * z)) * sy, (2 * (y * z + x * w)) * sy, 0,
        (2 * (x * z + y * w)) * sz, (2 * (y * z - x * w)) * sz, (1 - 2 * (x * x + y * y)) * sz, 0,
        tx, ty, tz, 1];
}

function mulMat4(a, b) {
    const out = new Array(16).fill(0);
    for (let c = 0; c < 4; ++c)
        for (let r = 0; r < 4; ++r)
            for (let k = 0; k < 4; ++k) out[c * 4 + r] += a[k * 4 + r] * b[c * 4 + k];
    return out;
}

function matToQuat(m, s) {  // rotation part of a column-major 4x4 with uniform scale s; returns w x y z
    const r = (row, col) => m[col * 4 + row] / s;
    const tr = r(0, 0) + r(1, 1) + r(2, 2);
    let w, x, y, z;
    if (tr > 0) {
        const t = Math.sqrt(tr + 1) * 2;
        w = 0.25 * t; x = (r(2, 1) - r(1, 2)) / t; y = (r(0, 2) - r(2, 0)) / t; z = (r(1, 0) - r(0, 1)) / t;
    } else if (r(0, 0) > r(1, 1) && r(0, 0) > r(2, 2)) {
        const t = Math.sqrt(1 + r(0, 0) - r(1, 1) - r(2, 2)) * 2;
        w = (r(2, 1) - r(1, 2)) / t; x = 0.25 * t; y = (r(0, 1) + r(1, 0)) / t; z = (r(0, 2) + r(2, 0)) / t;
    } else if (r(1, 1) > r(2, 2)) {
        const t = Math.sqrt(1 + r(1, 1) - r(0, 0) - r(2, 2)) * 2;
        w = (r(0, 2) - r(2, 0)) / t; x = (r(0, 1) + r(1, 0)) / t; y = 0.25 * t; z = (r(1, 2) + r(2, 1)) / t;
    } else {
        const t = Math.sqrt(1 + r(2, 2) - r(0, 0) - r(1, 1)) * 2;
        w = (r(1, 0) - r(0, 1)) / t; x = (r(0, 2) + r(2, 0)) / t; y = (r(1, 2) + r(2, 1)) / t; z = 0.25 * t;
    }
    return [w, x, y, z];
}

// A node's transform applied to a scene of glTF-frame splats (linear scales, w x y z rotations).
function transformScene(s, matrix) {
    const scaleOf = Math.hypot(matrix[0], matrix[1], matrix[2]);
    const q0 = matToQuat(matrix, scaleOf);
    const rotates = Math.abs(q0[0]) < 1 - 1e-9;
    if (rotates && s.shDegree > 0) console.warn('glTF: node rotation applied to splats; higher SH bands are not rotated');
    for (let i = 0; i < s.count; ++i) {
        const [x, y, z] = [s.positions[3 * i], s.positions[3 * i + 1], s.positions[3 * i + 2]];
        for (let r = 0; r < 3; ++r)
            s.positions[3 * i + r] = matrix[r] * x + matrix[4 + r] * y + matrix[8 + r] * z + matrix[12 + r];
        for (let a = 0; a < 3; ++a) s.scales[3 * i + a] *= scaleOf;
        const [qw, qx, qy, qz] = [s.rotations[4 * i], s.rotations[4 * i + 1], s.rotations[4 * i + 2], s.rotations[4 * i + 3]];
        const [aw, ax, ay, az] = q0;  // q0 * q
        s.rotations.set([aw * qw - ax * qx - ay * qy - az * qz, aw * qx + ax * qw + ay * qz - az * qy,
            aw * qy - ax * qz + ay * qw + az * qx, aw * qz + ax * qy - ay * qx + az * qw], 4 * i);
        normalizeRotation(s, i);
    }
    return s;
}

function primitiveScene(gltf, buffers, prim, matrix) {
    const P = 'KHR_gaussian_splatting:';
    const at = prim.attributes || {};
    for (const name of ['POSITION', P + 'ROTATION', P + 'SCALE', P + 'OPACITY', P + 'SH_DEGREE_0_COEF_0'])
        if (at[name] === undefined) throw new Error(`glTF: splat primitive lacks ${name}`);
    const pos = readAccessor(gltf, buffers, at.POSITION, 'POSITION');
    const rot = readAccessor(gltf, buffers, at[P + 'ROTATION'], 'ROTATION');
    const scl = readAccessor(gltf, buffers, at[P + 'SCALE'], 'SCALE');
    const opa = readAccessor(gltf, buffers, at[P + 'OPACITY'], 'OPACITY');
    let degree = 0;
    for (let l = 1; l <= 3 && at[`${P}SH_DEGREE_${l}_COEF_0`] !== undefined; ++l) degree = l;
    const n = pos.count;
    for (const a of [rot, scl, opa])
        if (a.count !== n) throw new Error('glTF: splat attributes have different counts');
    const s = new SplatScene(n, degree);
    const k = s.shCoeffs;
    for (let l = 0; l <= degree; ++l)
        for (let j = 0; j < 2 * l + 1; ++j) {
            const a = readAccessor(gltf, buffers, at[`${P}SH_DEGREE_${l}_COEF_${j}`], `SH_DEGREE_${l}_COEF_${j}`);
            if (a.count !== n) throw new Error('glTF: SH attribute count differs from POSITION');
            for (let i = 0; i < n; ++i)
                for (let c = 0; c < 3; ++c) s.sh[(i * k + l * l + j) * 3 + c] = a.data[3 * i + c];
        }
    // Drafts before the release candidate stored log-scales: any negative value marks them.
    const logSpace = scl.data.some((v) => v < 0);
    for (let i = 0; i < n; ++i) {
        s.positions.set(pos.data.subarray(3 * i, 3 * i + 3), 3 * i);
        for (let a = 0; a < 3; ++a) {
            const v = scl.data[3 * i + a];
            s.scales[3 * i + a] = logSpace ? Math.exp(v) : v;
        }
        const [qx, qy, qz, qw] = [rot.data[4 * i], rot.data[4 * i + 1], rot.data[4 * i + 2], rot.data[4 * i + 3]];
        s.rotations.set([qw, qx, qy, qz], 4 * i);
        s.opacities[i] = Math.min(1, Math.max(0, opa.data[i]));
    }
    return transformScene(s, matrix);
}

// KHR_gaussian_splatting_compression_spz_2 (what CesiumJS draws, `--glb-spz` and SPZ tiles): the
// primitive's splats are one SPZ stream in a buffer view, holding the glTF-frame values as they are
// (core/io/gltf.hpp); the attribute accessors only give counts and types.
const SPZ_GLTF_EXTENSION = 'KHR_gaussian_splatting_compression_spz_2';

function spzExtension(prim) {
    const ext = prim.extensions && prim.extensions.KHR_gaussian_splatting;
    return (ext && ext.extensions && ext.extensions[SPZ_GLTF_EXTENSION]) || null;
}

async function spzPrimitiveScene(gltf, buffers, prim, matrix) {
    const e = spzExtension(prim);
    const bv = gltf.bufferViews && gltf.bufferViews[e.bufferView];
    const buf = bv && buffers[bv.buffer || 0];
    if (!buf) throw new Error(`glTF: ${SPZ_GLTF_EXTENSION}: buffer view ${e.bufferView} is missing`);
    const start = bv.byteOffset || 0;
    if (!(bv.byteLength >= 0) || start + bv.byteLength > buf.length)
        throw new Error(`glTF: ${SPZ_GLTF_EXTENSION}: buffer view ${e.bufferView} runs past the end of the buffer`);
    const s = await parseSpz(buf.subarray(start, start + bv.byteLength), true);
    const position = prim.attributes && prim.attributes.POSITION;
    const declared = position !== undefined && gltf.accessors && gltf.accessors[position];
    if (declared && declared.count !== s.count)
        throw new Error(`glTF: the SPZ stream holds ${s.count} splats, the POSITION accessor ${declared.count}`);
    return transformScene(s, matrix);
}

function mergeScenes(parts) {
    const degree = Math.max(0, ...parts.map((p) => p.shDegree));
    const total = parts.reduce((a, p) => a + p.count, 0);
    const out = new SplatScene(total, degree);
    let o = 0;
    for (const p of parts) {
        out.positions.set(p.positions, 3 * o);
        out.scales.set(p.scales, 3 * o);
        out.rotations.set(p.rotations, 4 * o);
        out.opacities.set(p.opacities, o);
        for (let i = 0; i < p.count; ++i)
            for (let j = 0; j < p.shCoeffs; ++j)
                for (let c = 0; c < 3; ++c) out.sh[((o + i) * out.shCoeffs + j) * 3 + c] = p.sh[(i * p.shCoeffs + j) * 3 + c];
        o += p.count;
    }
    return out;
}

async function parseGltf(bytes) {
    let json, bin = null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length >= 4 && view.getUint32(0, true) === 0x46546c67) {  // "glTF"
        if (bytes.length < 20) throw new Error('GLB: file is truncated');
        const length = Math.min(view.getUint32(8, true), bytes.length);
        const jsonLength = view.getUint32(12, true);
        if (view.getUint32(16, true) !== 0x4e4f534a || 20 + jsonLength > length) throw new Error('GLB: bad JSON chunk');
        json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
        let o = 20 + jsonLength;
        o += (4 - (o % 4)) % 4;
        if (o + 8 <= length && view.getUint32(o + 4, true) === 0x004e4942) {  // "BIN\0"
            const binLength = view.getUint32(o, true);
            bin = bytes.subarray(o + 8, Math.min(length, o + 8 + binLength));
        }
    } else {
        json = JSON.parse(new TextDecoder().decode(bytes));
    }
    const buffers = (json.buffers || []).map((b, i) => {
        if (b.uri === undefined) {
            if (i !== 0 || !bin) throw new Error('glTF: buffer without data');
            return bin;
        }
        const m = /^data:[^;,]*;base64,(.*)$/.exec(b.uri);
        if (!m) throw new Error(`glTF: external buffer '${b.uri}' (open the .glb, or a .gltf with embedded buffers)`);
        return base64Bytes(m[1]);
    });
    const parts = [];
    const visitMesh = (mesh, matrix) => {
        for (const prim of (json.meshes[mesh] || { primitives: [] }).primitives) {
            const isSplat = (prim.extensions && prim.extensions.KHR_gaussian_splatting) ||
                Object.keys(prim.attributes || {}).some((a) => a.startsWith('KHR_gaussian_splatting:'));
            if (isSplat) parts.push(spzExtension(prim) ? spzPrimitiveScene(json, buffers, prim, matrix)
                : primitiveScene(json, buffers, prim, matrix));
        }
    };
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    if (json.scenes && json.scenes.length) {
        const seen = new Set();
        const visit = (index, parent) => {
            if (seen.has(index)) throw new Error('glTF: node hierarchy has a cycle');
            seen.add(index);
            const node = json.nodes[index];
            if (!node) throw new Error(`glTF: node ${index} does not exist`);
            const m = mulMat4(parent, nodeMatrix(node));
            if (node.mesh !== undefined) visitMesh(node.mesh, m);
            for (const child of node.children || []) visit(child, m);
        };
        for (const root of json.scenes[json.scene || 0].nodes || []) visit(root, identity);
    } else {
        for (let m = 0; m < (json.meshes || []).length; ++m) visitMesh(m, identity);
    }
    const scene = mergeScenes(await Promise.all(parts));
    applyAxisFlip(scene, -1, -1, 1);  // glTF (LUF) -> RDF
    return scene;
}

// ---------------------------------------------------------------------------------------------

// A decoder fed the file as it downloads: formats with fixed-size rows (.splat, the reference PLY)
// show splats before the download ends; the others decode at the end.
export class SceneLoader {
    constructor(format, totalBytes) {
        this.format = format;
        this.totalBytes = totalBytes;
        this.rows = null;  // row decoder once known
        this.plyHeader = null;
    }
    // `bytes`: everything received so far. Returns the scene being filled, or null.
    progress(bytes) {
        if (this.format === 'splat' && this.totalBytes > 0) {
            if (!this.rows) this.rows = new SplatRowDecoder(this.totalBytes);
        } else if (this.format === 'ply' && !this.rows && !this.plyHeader) {
            const h = parsePlyHeader(bytes);
            if (h) {
                this.plyHeader = h;
                if (is4dPly(h)) this.rows = new Ply4dRowDecoder(h, this.totalBytes);
                else if (!isCompressedPly(h)) this.rows = new PlyRowDecoder(h, this.totalBytes);
            }
        }
        if (!this.rows) return null;
        this.rows.decode(bytes);
        return this.rows.scene;
    }
    async finish(bytes) {
        switch (this.format) {
            case 'splat': {
                if (bytes.length % SPLAT_RECORD_BYTES) throw new Error('.splat: size is not a multiple of 32 bytes');
                const d = this.rows && this.rows.scene.count === bytes.length / SPLAT_RECORD_BYTES ? this.rows
                    : new SplatRowDecoder(bytes.length);
                d.decode(bytes);
                return d.scene;
            }
            case 'ply': {
                const h = this.plyHeader || parsePlyHeader(bytes);
                if (!h) throw new Error('PLY: header is truncated');
                if (isCompressedPly(h)) return decodeCompressedPly(bytes, h);
                const d = this.rows || (is4dPly(h) ? new Ply4dRowDecoder(h, bytes.length) : new PlyRowDecoder(h, bytes.length));
                d.decode(bytes);
                if (d.scene.loaded !== d.scene.count) throw new Error('PLY: file is truncated');
                return d.scene;
            }
            case 'spz': return parseSpz(bytes);
            case 's4d': return parseS4d(bytes);
            case 'glb':
            case 'gltf': return parseGltf(bytes);
            default: throw new Error(`unknown scene format '${this.format}'`);
        }
    }
}

export async function parseScene(bytes, format) {
    return new SceneLoader(format, bytes.length).finish(bytes);
}
