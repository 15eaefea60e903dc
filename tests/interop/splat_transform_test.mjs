// Interop with PlayCanvas's splat-transform (the reader and writer behind SuperSplat), Niantic's
// reference SPZ library (@adobe/spz, its WebAssembly build) and GaussianSplats3D's .ksplat writer,
// each through its own code from npm. Both directions:
//   Splatscape writes .ply, .compressed.ply, .splat, .spz (v4 default, v3, v3 with --spz-frame rdf)
//   and .sog; splat-transform converts each to PLY and the values must equal Splatscape's own
//   decoding of the same file (and the scene within the format's quantisation), in the frame each
//   side documents (splat-transform takes SPZ bytes as the PLY frame, RDF);
//   splat-transform writes .ply, .compressed.ply, .spz (v4, v3) and .sog, GaussianSplats3D writes
//   .ksplat (levels 0-2); Splatscape reads each and must agree with the writer's own reading.
//   Niantic's library loads Splatscape's .spz files into RDF (`to: RDF`): the default v4 file must
//   come out upright (its frame record), as must v3 in RUB.
//
//   node splat_transform_test.mjs --bin build/splatscape [--out DIR]
import fs from 'node:fs';
import path from 'node:path';

import { makeTestScene, readGaussianPly, writeGaussianPly } from '../web/scene_files.mjs';
import { cloudDiff, finish, flipCloud, fmt, here, matchByPosition, outDir, parseArgs, requirePackages, run, within } from './harness.mjs';

const args = parseArgs();
if (!args.bin || !fs.existsSync(args.bin)) {
    console.error(`splatscape binary not found (${args.bin}); pass --bin`);
    process.exit(1);
}
requirePackages(['@playcanvas/splat-transform', '@adobe/spz', '@mkkellogg/gaussian-splats-3d', 'three']);
const out = outDir(args, 'interop-st');
const file = (name) => path.join(out, name);
const stCli = path.join(here, 'node_modules', '@playcanvas', 'splat-transform', 'bin', 'cli.mjs');
// -g cpu: SOG's SH clustering on the CPU (no WebGPU adapter here or in CI).
const st = (input, output, extra = []) => run([process.execPath, stCli, '-w', '-g', 'cpu', ...extra, input, output]);
const splatscape = (...argv) => run([args.bin, ...argv]);
const RUB = [1, -1, -1];

// Readers agree to float rounding and their clamps: opacity bytes 0 and 255 are clamped to
// 1e-6 / 1 - 1e-6 by splat-transform and to 0.5/255 by Splatscape (0.002 in probability).
const AGREE = { position: 1e-5, logScale: 1e-4, rotationDeg: 0.05, opacity: 2.0e-3, color: 1e-4, sh: 1e-4 };
// .splat rotation bytes: antimatter15's writer (and Splatscape) store round(128 q + 128) and read
// (v - 128) / 128; splat-transform reads v / 127.5 - 1. The two readings differ by up to 0.9 degrees.
const AGREE_SPLAT = { ...AGREE, rotationDeg: 1.0 };
// Each format's quantisation against the scene it was written from (core/io/*.hpp state them);
// scene positions span +-1.6 x +-1.2 x [3, 6.5], one outlier at x = 40.
const BOUNDS = {
    ply: { position: 1e-6, logScale: 1e-6, rotationDeg: 0.01, opacity: 1e-6, color: 1e-6, sh: 1e-6 },
    'compressed.ply': { position: 0.03, logScale: 0.01, rotationDeg: 0.25, opacity: 0.5 / 255 + 1e-6, color: 0.0025, sh: 8 / 256 + 1e-6 },
    splat: { position: 1e-6, logScale: 1e-5, rotationDeg: 1.5, opacity: 0.5 / 255 + 1e-6, color: 0.5 / 255 + 1e-6 },
    spz: { position: 1 / 8192 + 1e-6, logScale: 1 / 32 + 1e-5, rotationDeg: 0.25, opacity: 0.5 / 255 + 1e-6, color: 0.0037, sh: 1 / 16 + 1 / 256 + 1e-6 },
    sog: { position: 0.01, logScale: 0.02, rotationDeg: 0.7, opacity: 0.5 / 255 + 1e-6, color: 0.01, sh: 0.02 },
    // GaussianSplats3D truncates colour and opacity to 8 bits (up to 1/255).
    'ksplat-0': { position: 1e-6, logScale: 1e-5, rotationDeg: 0.01, opacity: 1 / 255 + 1e-6, color: 1 / 255 + 1e-6, sh: 1e-6 },
    'ksplat-1': { position: 2e-3, logScale: 2e-3, rotationDeg: 0.2, opacity: 1 / 255 + 1e-6, color: 1 / 255 + 1e-6, sh: 2e-3 },
    'ksplat-2': { position: 2e-3, logScale: 2e-3, rotationDeg: 0.2, opacity: 1 / 255 + 1e-6, color: 1 / 255 + 1e-6, sh: 1.5 / 255 + 1e-6 },
};
// What splat-transform's own writers keep of the scene (the files Splatscape then reads): it truncates
// opacity and rotation bytes, and clusters the SH of a small .sog into a palette of 32 entries for
// 50 splats (splat-transform's size rule), so SH there is far off; Splatscape must read what is there.
const ST_WRITTEN = {
    ...BOUNDS,
    spz: { ...BOUNDS.spz },
    sog: { position: 0.01, logScale: 0.02, rotationDeg: 1.5, opacity: 1 / 255 + 1e-6, color: 0.01, sh: 0.6 },
};

const rows = [];
function check(row, body) {
    try {
        Object.assign(row, body());
    } catch (e) {
        row.read = 'error';
        row.ok = false;
        row.problem = e.message.split('\n').slice(0, 4).join(' / ');
    }
    rows.push(row);
    console.log(JSON.stringify(row));
}

// The scene with SH limited to `degree` (formats with fewer bands drop the rest).
function limitSh(s, degree) {
    if (degree >= s.shDegree) return s;
    const k0 = (s.shDegree + 1) ** 2, k = (degree + 1) ** 2;
    const sh = new Float32Array(s.count * k * 3);
    for (let i = 0; i < s.count; ++i) for (let j = 0; j < k; ++j) for (let c = 0; c < 3; ++c) sh[(i * k + j) * 3 + c] = s.sh[(i * k0 + j) * 3 + c];
    return { ...s, shDegree: degree, sh };
}

async function main() {
    const scene = makeTestScene();
    const scenePly = file('scene.ply');
    writeGaussianPly(scenePly, scene);

    // ---- Splatscape writes, splat-transform reads ---------------------------------------------
    const written = [
        { format: 'ply', name: 'ss.ply', argv: [] },
        { format: 'compressed.ply', name: 'ss.compressed.ply', argv: [] },
        { format: 'splat', name: 'ss.splat', argv: [], reordered: true, degree: 0 },
        { format: 'spz', name: 'ss_v4.spz', argv: [], label: 'spz v4 (default: RDF + frame record)' },
        { format: 'spz', name: 'ss_v3.spz', argv: ['--spz-version', '3'], label: 'spz v3 (RUB, the spec)', frame: RUB },
        { format: 'spz', name: 'ss_v3_rdf.spz', argv: ['--spz-version', '3', '--spz-frame', 'rdf'], label: 'spz v3 --spz-frame rdf' },
        { format: 'sog', name: 'ss.sog', argv: [] },
    ];
    for (const w of written) {
        splatscape('convert', scenePly, file(w.name), ...w.argv);
        // Splatscape's own reading, in the frame splat-transform reads the bytes in.
        const oursPly = file(`${w.name}.splatscape.ply`);
        splatscape('convert', file(w.name), oursPly, ...(w.format === 'spz' ? ['--spz-frame', w.frame ? 'rub' : 'rdf'] : []));
        check({ case: `splat-transform reads Splatscape ${w.label || w.format}`, reader: 'splat-transform 3.10.2', writer: 'Splatscape',
            format: w.label || w.format }, () => {
            const stPly = file(`${w.name}.st.ply`);
            st(file(w.name), stPly);
            const theirs = readGaussianPly(stPly);
            let ours = readGaussianPly(oursPly);
            // A RUB file is taken as RDF by splat-transform: what it shows is our scene turned 180
            // degrees about x (upside down in SuperSplat), as the export message says.
            if (w.frame) ours = flipCloud(ours, w.frame);
            if (theirs.count !== ours.count) throw new Error(`${theirs.count} splats, Splatscape reads ${ours.count}`);
            const agree = cloudDiff(theirs, ours);
            const original = limitSh(scene, w.degree ?? scene.shDegree);
            const back = readGaussianPly(oursPly);
            const vsScene = cloudDiff(original, back, w.reordered ? matchByPosition(original, back) : null);
            const ok = within(agree, w.format === 'splat' ? AGREE_SPLAT : AGREE) && within(vsScene, BOUNDS[w.format]);
            return { read: 'ok', frame: w.frame ? 'RUB (shown flipped)' : 'RDF', agree: fmt(agree), vs_scene: fmt(vsScene), ok,
                problem: ok ? undefined : 'outside the bounds' };
        });
    }

    // ---- splat-transform writes, Splatscape reads --------------------------------------------
    const theirsWritten = [
        { format: 'ply', name: 'st.ply' },
        { format: 'compressed.ply', name: 'st.compressed.ply' },
        { format: 'spz', name: 'st_v4.spz', label: 'spz v4 (RDF, no record)' },
        { format: 'spz', name: 'st_v3.spz', extra: ['--spz-version', '3'], label: 'spz v3 (RDF, no record)' },
        { format: 'sog', name: 'st.sog' },
    ];
    for (const w of theirsWritten) {
        check({ case: `Splatscape reads splat-transform ${w.label || w.format}`, reader: 'Splatscape', writer: 'splat-transform 3.10.2',
            format: w.label || w.format }, () => {
            st(scenePly, file(w.name), w.extra || []);
            const stBack = file(`${w.name}.st.ply`), oursBack = file(`${w.name}.splatscape.ply`);
            st(file(w.name), stBack);
            // splat-transform's SPZ bytes are the PLY frame: tell Splatscape so (no record says it).
            splatscape('convert', file(w.name), oursBack, ...(w.format === 'spz' ? ['--spz-frame', 'rdf'] : []));
            const theirs = readGaussianPly(stBack), ours = readGaussianPly(oursBack);
            if (theirs.count !== ours.count) throw new Error(`${ours.count} splats, splat-transform reads ${theirs.count}`);
            const agree = cloudDiff(ours, theirs);
            // splat-transform reorders splats along a Morton curve for .compressed.ply and .sog.
            const vsScene = cloudDiff(scene, ours, matchByPosition(scene, ours));
            const ok = within(agree, AGREE) && within(vsScene, ST_WRITTEN[w.format]);
            return { read: 'ok', frame: 'RDF', agree: fmt(agree), vs_scene: fmt(vsScene), ok, problem: ok ? undefined : 'outside the bounds' };
        });
    }

    // ---- GaussianSplats3D writes .ksplat, Splatscape and splat-transform read it ---------------
    globalThis.window = globalThis; // GaussianSplats3D schedules its work with window.setTimeout
    const { PlyLoader } = await import('@mkkellogg/gaussian-splats-3d');
    const plyBytes = fs.readFileSync(scenePly);
    for (const level of [0, 1, 2]) {
        const row = { case: `Splatscape reads GaussianSplats3D .ksplat level ${level}`, reader: 'Splatscape',
            writer: 'GaussianSplats3D 0.4.7', format: `ksplat level ${level}` };
        try {
            const buffer = await PlyLoader.loadFromFileData(plyBytes.buffer.slice(plyBytes.byteOffset, plyBytes.byteOffset + plyBytes.length),
                0, level, true, 2);
            const name = `gs3d_${level}.ksplat`;
            fs.writeFileSync(file(name), Buffer.from(buffer.bufferData));
            const oursBack = file(`${name}.splatscape.ply`), stBack = file(`${name}.st.ply`);
            splatscape('convert', file(name), oursBack);
            st(file(name), stBack);
            const ours = readGaussianPly(oursBack), theirs = readGaussianPly(stBack);
            if (theirs.count !== ours.count) throw new Error(`${ours.count} splats, splat-transform reads ${theirs.count}`);
            const agree = cloudDiff(ours, theirs);
            const original = limitSh(scene, 2);
            // GaussianSplats3D partitions splats into sections and buckets; match them by position.
            const vsScene = cloudDiff(original, ours, matchByPosition(original, ours));
            const ok = ours.count === scene.count && within(agree, AGREE) && within(vsScene, BOUNDS[`ksplat-${level}`]);
            Object.assign(row, { read: 'ok', frame: 'RDF', agree: fmt(agree), vs_scene: fmt(vsScene), ok,
                problem: ok ? undefined : `outside the bounds (${ours.count} of ${scene.count} splats)` });
        } catch (e) {
            Object.assign(row, { read: 'error', ok: false, problem: e.message.split('\n')[0] });
        }
        rows.push(row);
        console.log(JSON.stringify(row));
    }

    // ---- Niantic's reference library loads Splatscape's .spz into RDF ------------------------
    const { default: createSpzModule } = await import('@adobe/spz');
    const spz = await createSpzModule({ print: () => {}, printErr: () => {} });
    const nianticCloud = (bytes) => {
        const g = spz.loadSpzFromBuffer(new Uint8Array(bytes), { to: spz.CoordinateSystem.RDF });
        const n = g.numPoints, degree = g.shDegree, k = (degree + 1) ** 2, dim = k - 1;
        const s = { count: n, shDegree: degree, positions: Float32Array.from(g.positions), logScales: Float32Array.from(g.scales),
            rotations: new Float32Array(4 * n), opacities: Float32Array.from(g.alphas), sh: new Float32Array(n * k * 3) };
        for (let i = 0; i < n; ++i) {
            s.rotations.set([g.rotations[4 * i + 3], g.rotations[4 * i], g.rotations[4 * i + 1], g.rotations[4 * i + 2]], 4 * i);
            for (let c = 0; c < 3; ++c) {
                s.sh[i * k * 3 + c] = g.colors[3 * i + c];
                for (let j = 1; j < k; ++j) s.sh[(i * k + j) * 3 + c] = g.sh[(i * dim + j - 1) * 3 + c];
            }
        }
        return s;
    };
    for (const w of [
        { name: 'ss_v4.spz', label: 'spz v4 (default: RDF + frame record)', upright: true },
        { name: 'ss_v3.spz', label: 'spz v3 (RUB, the spec)', upright: true },
        { name: 'ss_v3_rdf.spz', label: 'spz v3 --spz-frame rdf', upright: false },
    ]) {
        check({ case: `Niantic's reader (to RDF) loads Splatscape ${w.label}`, reader: "Niantic spz (@adobe/spz 0.2.3)", writer: 'Splatscape',
            format: w.label }, () => {
            const theirs = nianticCloud(fs.readFileSync(file(w.name)));
            // Splatscape's reading told the frame the bytes are in, i.e. the scene upright in RDF; a v3
            // RDF file has no record, so Niantic's reader takes it as RUB and turns it over.
            const ours = readGaussianPly(file(`${w.name}.splatscape.ply`));
            const expected = w.upright ? ours : flipCloud(ours, RUB);
            const agree = cloudDiff(theirs, expected);
            const upright = cloudDiff(theirs, limitSh(scene, 3)).position < 1e-3;
            const ok = within(agree, AGREE) && upright === w.upright;
            return { read: 'ok', frame: upright ? 'upright (RDF)' : 'flipped: no record, read as RUB', agree: fmt(agree), ok,
                problem: ok ? undefined : `upright ${upright}, expected ${w.upright}` };
        });
    }

    finish('splat-transform / Niantic spz / GaussianSplats3D interop (max |difference| per field)', rows,
        ['case', 'read', 'frame', 'agree', 'vs_scene', 'ok']);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
