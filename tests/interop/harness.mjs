// Shared pieces of the interop tests (ctest label `interop`): arguments, the npm packages they need
// (installed by `scripts/install-deps.sh --web` from package-lock.json), running the `splatscape`
// binary, comparing Gaussian clouds, PSNR, a static file server and headless Chromium.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = path.resolve(here, '..', '..');

export function parseArgs(argv = process.argv.slice(2)) {
    const args = {};
    for (let i = 0; i < argv.length; ++i)
        if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : true;
    return args;
}

// The npm packages must be there: in CI (CI=true) their absence fails the test with the hint; on a
// developer's machine `npm ci` installs them from the lock file first.
export function requirePackages(names) {
    const missing = names.filter((n) => !fs.existsSync(path.join(here, 'node_modules', n, 'package.json')));
    if (missing.length === 0) return;
    const hint = `the interop tests need the npm packages of tests/interop (missing: ${missing.join(', ')}); ` +
        'install them with `scripts/install-deps.sh --web` (runs `npm ci` in tests/interop)';
    if (process.env.CI) {
        console.error(`FAILED: ${hint}`);
        process.exit(1);
    }
    console.log(`${hint}: running npm ci now`);
    const r = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    if (r.status !== 0) {
        console.error(`FAILED: npm ci in tests/interop failed; ${hint}`);
        process.exit(1);
    }
}

export function run(argv, options = {}) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
    if (r.status !== 0)
        throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stdout || '').slice(-2000)}\n${(r.stderr || '').slice(-2000)}`);
    return r.stdout;
}

export function outDir(args, name) {
    const dir = path.resolve(args.out || fs.mkdtempSync(path.join(os.tmpdir(), `splatscape-${name}-`)));
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

// ---- Gaussian clouds (the shape of tests/web/scene_files.mjs) ---------------------------------

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const SH_C0 = 0.28209479177387814;

// Largest differences between two clouds, splat i against splat match[i] (identity by default):
// position, log-scale, rotation angle (degrees, q ~ -q), opacity (probability), DC colour
// (0.5 + SH_C0 dc) and the higher SH coefficients.
export function cloudDiff(a, b, match = null) {
    const d = { position: 0, logScale: 0, rotationDeg: 0, opacity: 0, color: 0, sh: 0 };
    const ka = (a.shDegree + 1) ** 2, kb = (b.shDegree + 1) ** 2, k = Math.min(ka, kb);
    for (let i = 0; i < a.count; ++i) {
        const j = match ? match[i] : i;
        for (let c = 0; c < 3; ++c) {
            d.position = Math.max(d.position, Math.abs(a.positions[3 * i + c] - b.positions[3 * j + c]));
            d.logScale = Math.max(d.logScale, Math.abs(a.logScales[3 * i + c] - b.logScales[3 * j + c]));
            d.color = Math.max(d.color, SH_C0 * Math.abs(a.sh[i * ka * 3 + c] - b.sh[j * kb * 3 + c]));
            for (let s = 1; s < k; ++s) d.sh = Math.max(d.sh, Math.abs(a.sh[(i * ka + s) * 3 + c] - b.sh[(j * kb + s) * 3 + c]));
        }
        let na = 0, nb = 0, dot = 0;
        for (let c = 0; c < 4; ++c) {
            const x = a.rotations[4 * i + c], y = b.rotations[4 * j + c];
            na += x * x;
            nb += y * y;
            dot += x * y;
        }
        const cos = Math.min(1, Math.abs(dot) / Math.sqrt(na * nb));
        d.rotationDeg = Math.max(d.rotationDeg, (2 * Math.acos(cos) * 180) / Math.PI);
        d.opacity = Math.max(d.opacity, Math.abs(sigmoid(a.opacities[i]) - sigmoid(b.opacities[j])));
    }
    return d;
}

// For every splat of `a`, the index of the splat of `b` nearest to it (files that reorder splats).
export function matchByPosition(a, b) {
    const match = new Int32Array(a.count);
    for (let i = 0; i < a.count; ++i) {
        let best = -1, bestD = Infinity;
        for (let j = 0; j < b.count; ++j) {
            let dd = 0;
            for (let c = 0; c < 3; ++c) dd += (a.positions[3 * i + c] - b.positions[3 * j + c]) ** 2;
            if (dd < bestD) bestD = dd, best = j;
        }
        match[i] = best;
    }
    return match;
}

// The cloud seen from a frame rotated by a diagonal of signs (RUB <-> RDF: [1, -1, -1]): positions,
// rotation axes and each SH coefficient's sign, as core/io/frame_convert.hpp does.
export function flipCloud(s, f) {
    const basis = (x, y, z) => {
        const xx = x * x, yy = y * y, zz = z * z;
        return [1, -y, z, -x, x * y, -y * z, 2 * zz - xx - yy, -x * z, xx - yy, -y * (3 * xx - yy), x * y * z,
            -y * (4 * zz - xx - yy), z * (2 * zz - 3 * xx - 3 * yy), -x * (4 * zz - xx - yy), z * (xx - yy), -x * (xx - 3 * yy)];
    };
    const d = [0.31, 0.47, 0.83];
    const a = basis(...d), b = basis(d[0] * f[0], d[1] * f[1], d[2] * f[2]);
    const signs = a.map((v, i) => (v * b[i] >= 0 ? 1 : -1));
    const out = { ...s, positions: Float32Array.from(s.positions), rotations: Float32Array.from(s.rotations), sh: Float32Array.from(s.sh) };
    const k = (s.shDegree + 1) ** 2;
    for (let i = 0; i < s.count; ++i) {
        for (let c = 0; c < 3; ++c) {
            out.positions[3 * i + c] *= f[c];
            out.rotations[4 * i + 1 + c] *= f[c];
        }
        for (let j = 1; j < k; ++j) for (let c = 0; c < 3; ++c) out.sh[(i * k + j) * 3 + c] *= signs[j];
    }
    return out;
}

// Whether every field of `d` is within `bounds` (fields missing from `bounds` are not checked).
export function within(d, bounds) {
    return Object.entries(bounds).every(([key, bound]) => d[key] <= bound);
}

export const fmt = (d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Number(v.toPrecision(3))]));

// A cloudDiff as one short table cell: "pos 1.2e-4 · scale 0.03 · rot 0.2° · α 0.002 · rgb 0.004 · SH 0.07".
export function diffCell(d) {
    if (!d || typeof d !== 'object') return d;
    const g = (v) => (v === 0 ? '0' : v < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(2))));
    return `pos ${g(d.position)} · scale ${g(d.logScale)} · rot ${g(d.rotationDeg)}° · α ${g(d.opacity)} · rgb ${g(d.color)} · SH ${g(d.sh)}`;
}

// ---- images -----------------------------------------------------------------------------------

export function psnr(a, b) {
    let se = 0;
    for (let i = 0; i < a.length; ++i) se += (a[i] - b[i]) ** 2;
    const mse = se / a.length;
    return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export function to8bit(img) {
    return Uint8Array.from(img, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

// The CPU rasterizer's frame of `scene` (any file splatscape reads) from `camera` ({R, t, fx, fy,
// cx, cy, width, height}, OpenCV convention), as 8-bit RGB.
export function referenceFrame(referenceBin, scene, camera, background, workDir, tag) {
    const camFile = path.join(workDir, `${tag}.camera.json`), rawFile = path.join(workDir, `${tag}.reference.f32`);
    fs.writeFileSync(camFile, JSON.stringify({ ...camera, background }));
    run([referenceBin, scene, camFile, rawFile]);
    const raw = fs.readFileSync(rawFile);
    return to8bit(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4));
}

// Camera looking from `eye` at `target` in the OpenCV convention (rows of R: right, down, forward).
export function lookAt(eye, target, up) {
    const sub = (a, b) => a.map((v, i) => v - b[i]);
    const norm = (v) => v.map((x) => x / Math.hypot(...v));
    const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    const z = norm(sub(target, eye));
    const y = norm(up.map((v, i) => -(v - dot(up, z) * z[i])));
    const x = cross(y, z);
    return { R: [...x, ...y, ...z], t: [-dot(x, eye), -dot(y, eye), -dot(z, eye)] };
}

// ---- browser ----------------------------------------------------------------------------------

// A static file server: `roots` maps the first path segment to a folder.
export function startServer(roots) {
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
        '.json': 'application/json', '.wasm': 'application/wasm' };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://localhost');
        const [, root, ...rest] = url.pathname.split('/');
        const base = roots[root];
        const file = base && path.join(base, ...rest.map(decodeURIComponent));
        if (!file || !file.startsWith(base) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
            res.writeHead(404);
            res.end();
            return;
        }
        const body = fs.readFileSync(file);
        res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Content-Length': body.length });
        res.end(body);
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Headless Chromium (Debian's) with WebGL2 on SwiftShader, as the web viewer tests run it.
export async function launchChromium(width, height) {
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-interop-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        viewport: { width, height },
        deviceScaleFactor: 1,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--enable-unsafe-swiftshader'],
    });
    return {
        context,
        close: async () => {
            await context.close();
            fs.rmSync(profile, { recursive: true, force: true });
        },
    };
}

// A page that records console errors and page errors in `problems`.
export async function watchedPage(context, problems) {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    return page;
}

// Prints the results as a Markdown table (the figures docs/interop.md quotes) and exits non-zero
// on any failure.
export function finish(title, rows, columns) {
    console.log(`\n${title}\n`);
    console.log(`| ${columns.join(' | ')} |`);
    console.log(`|${columns.map(() => '---').join('|')}|`);
    const cell = (v) => (v === undefined ? '' : typeof v === 'object' ? diffCell(v) : String(v));
    for (const r of rows) console.log(`| ${columns.map((c) => cell(r[c])).join(' | ')} |`);
    const failed = rows.filter((r) => !r.ok);
    if (failed.length) {
        console.error(`\nFAILED (${failed.length} of ${rows.length}):\n${failed.map((r) => `  ${r.case}: ${r.problem || ''}`).join('\n')}`);
        process.exit(1);
    }
    console.log(`\nall ${rows.length} checks passed`);
}
