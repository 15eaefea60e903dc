// The web viewer's zstd decoders compared: fzstd (npm; what web/zstd.js uses) and the decoder the
// viewer wrote itself before (`git show 7321bb4:web/zstd.js > /tmp/zstd_handwritten.mjs`):
// decompression time of a real SPZ v4 file's streams and of a larger generated scene's, and each
// decoder's source size. Prints one JSON line per figure (web/README.md quotes them).
//   node zstd_bench.mjs --bin build/splatscape --old /tmp/zstd_handwritten.mjs [--spz FILE.spz]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { pathToFileURL } from 'node:url';

import { decompress as fzstdDecompress } from 'fzstd';
import { makeTestScene, writeGaussianPly } from '../web/scene_files.mjs';
import { parseArgs, requirePackages, run, sourceDir } from './harness.mjs';

const args = parseArgs();
requirePackages(['fzstd']);
const decoders = [['fzstd 0.1.1', (c) => fzstdDecompress(c)]];
if (args.old) {
    const { zstdDecompress } = await import(pathToFileURL(path.resolve(args.old)).href);
    decoders.unshift(['hand-written (7321bb4)', (c, raw) => zstdDecompress(c, raw)]);
}

// The zstd streams of an SPZ v4 file: [compressed bytes, uncompressed size].
function streams(file) {
    const b = fs.readFileSync(file);
    const toc = b.readUInt32LE(16), n = b[15];
    let offset = toc + 16 * n;
    const out = [];
    for (let s = 0; s < n; ++s) {
        const comp = Number(b.readBigUInt64LE(toc + 16 * s)), raw = Number(b.readBigUInt64LE(toc + 16 * s + 8));
        out.push([new Uint8Array(b.subarray(offset, offset + comp)), raw]);
        offset += comp;
    }
    return out;
}

function time(fn, repeats) {
    fn(); // warm up the JIT
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < repeats; ++i) fn();
    return Number(process.hrtime.bigint() - t0) / 1e6 / repeats;
}

const files = [];
if (args.spz) files.push(args.spz);
const shared = path.join(sourceDir, '..', 'shared', 'datasets', 'gs_splats_playcanvas', 'biker.spz');
if (!args.spz && fs.existsSync(shared)) files.push(shared);
if (args.bin) {
    // A 200,000-splat SH degree 3 scene (the test scene repeated with jitter) as SPZ v4.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zstd-bench-'));
    const s = makeTestScene(200000, 3);
    writeGaussianPly(path.join(dir, 'big.ply'), s);
    run([args.bin, 'convert', path.join(dir, 'big.ply'), path.join(dir, 'big.spz')]);
    files.push(path.join(dir, 'big.spz'));
}
for (const file of files) {
    const st = streams(file);
    const total = st.reduce((a, [, raw]) => a + raw, 0);
    for (const [name, fn] of decoders) {
        for (const [c, raw] of st) if (fn(c, raw).length !== raw) throw new Error(`${name}: wrong size`);
        const ms = time(() => { for (const [c, raw] of st) fn(c, raw); }, 5);
        console.log(JSON.stringify({ file: path.basename(file), decoder: name, uncompressed_mb: Number((total / 1e6).toFixed(2)),
            ms: Number(ms.toFixed(1)), mb_per_s: Number((total / 1e3 / ms).toFixed(1)) }));
    }
}
const size = (f) => fs.statSync(f).size;
if (args.old) console.log(JSON.stringify({ decoder: 'hand-written (7321bb4)', source_bytes: size(args.old) }));
console.log(JSON.stringify({ decoder: 'fzstd 0.1.1', source_bytes: size(path.join(sourceDir, 'tests', 'interop', 'node_modules', 'fzstd', 'esm', 'index.mjs')) }));
