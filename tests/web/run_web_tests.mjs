// Web viewer tests in headless Chromium (ctest label `web`). Writes a test scene, exports it with the
// `splatscape` binary as .spz, .glb, .splat and a standalone .html, opens each in the viewer (by URL,
// from disk, through the file picker and by drag and drop), and compares a screenshot of the
// canvas with a reference render of the same camera: the CPU rasterizer of training/cpu when
// --reference-bin is given, else the float64 implementation in reference_render.mjs.
//
//   node run_web_tests.mjs --bin build/splatscape --out build/tests/web/out [--reference-bin tool]
//                          [--run RUN --dataset DATA] [--cases all|synthetic|donut|biker]
//                          [--chromium /usr/bin/chromium]
// --run adds a trained run folder: it is exported to .spz, .splat, .glb and .html and viewed from
// the first two test cameras of DATA's transforms_test.json (Blender / NeRF-synthetic layout).
// --cases picks what runs: the scenes this script makes (synthetic), one of the real scenes of
// ../shared/datasets (donut, biker), or all of them (the default; real scenes that are absent are
// left out with a message). ctest runs each as its own test (tests/web/CMakeLists.txt).
//
// Exits non-zero on any failure, and when Chromium is missing (scripts/install-deps.sh --web
// installs it); exits 77 (ctest: skipped) when --cases names a real scene that is absent. Prints
// one JSON line per case.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { decodePng, encodePng } from './png.mjs';
import { renderReference } from './reference_render.mjs';
import { makeTestScene, readGaussianPly, writeGaussianPly } from './scene_files.mjs';
import { makeTestScene4d, write4dPly } from './scene_4d.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const sourceDir = path.resolve(args.source || path.join(here, '..', '..'));
const bin = args.bin || process.env.SPLATSCAPE_BIN;
const outDir = path.resolve(args.out || fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-web-')));
// Measured with headless Chromium 156 on SwiftShader (tests/web/README.md): 57.6-63.9 dB with the
// float colour target, 52.5 dB blending in the 8-bit canvas, 54.8 dB on the 45,624-splat donut.
const MIN_PSNR = Number(args['min-psnr'] || 50);
const MIN_PSNR_8BIT = Number(args['min-psnr-8bit'] || 45);
// The sags export's SH fit against the view-dependent decode it approximates: measured 42.8 and
// 38.3 dB on the two cameras (README), bound 2.3 dB under the lower one.
const SAGS_MIN_PSNR_VS_LIVE = Number(args['min-psnr-sags-live'] || 36);
const sharedDatasets = process.env.SPLATSCAPE_DATASETS || path.join(sourceDir, '..', 'shared', 'datasets');
const W = 256, H = 192;
const BACKGROUND = [0.1, 0.2, 0.3];
const chromiumPath = args.chromium || '/usr/bin/chromium';
const which = args.cases || 'all';
// Exit status for "skipped" (ctest's SKIP_RETURN_CODE).
const SKIPPED = 77;

// The real scenes of ../shared/datasets (tests that use them skip when the folder is absent).
const DATA_CASES = {
    donut: 'gs_ply_donut/point_cloud/iteration_30000/fused.ply',
    biker: 'gs_splats_playcanvas/biker.spz',
};
if (!['all', 'synthetic', ...Object.keys(DATA_CASES)].includes(which)) {
    console.error(`--cases ${which}: expected all, synthetic, ${Object.keys(DATA_CASES).join(' or ')}`);
    process.exit(2);
}
const runSynthetic = which === 'all' || which === 'synthetic';
const wantData = (name) => which === 'all' || which === name;
if (which in DATA_CASES && !fs.existsSync(path.join(sharedDatasets, DATA_CASES[which]))) {
    console.log(`SKIPPED: ${path.join(sharedDatasets, DATA_CASES[which])} not found (the shared datasets beside ` +
        'the checkout, or SPLATSCAPE_DATASETS)');
    process.exit(SKIPPED);
}
if (!fs.existsSync(chromiumPath)) {
    console.error(`Chromium not found at ${chromiumPath}: the web viewer tests run in headless Chromium. ` +
        'Install it with scripts/install-deps.sh --web (Debian package chromium), or pass --chromium PATH.');
    process.exit(1);
}
if (!bin || !fs.existsSync(bin)) {
    console.error(`splatscape binary not found (${bin}); pass --bin`);
    process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });

// Playwright from npm, installed on first use from the lock file.
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    if (r.status !== 0) {
        console.error('npm ci failed in tests/web');
        process.exit(1);
    }
}
const { chromium } = await import('playwright-core');

function run(argv) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

// Camera looking from `eye` at `target` in the OpenCV convention (rows of R: right, down, forward).
function lookAt(eye, target, up) {
    const sub = (a, b) => a.map((v, i) => v - b[i]);
    const norm = (v) => v.map((x) => x / Math.hypot(...v));
    const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    const z = norm(sub(target, eye));
    const y = norm(up.map((v, i) => -(v - dot(up, z) * z[i])));
    const x = cross(y, z);
    return { R: [...x, ...y, ...z], t: [-dot(x, eye), -dot(y, eye), -dot(z, eye)] };
}

const CAMERAS = [
    { name: 'front', R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] },
    { name: 'oblique', ...lookAt([1.8, -1.2, -0.6], [0, 0, 4.6], [0, -1, 0]) },
].map((c) => ({ ...c, fx: 220, fy: 225, cx: W / 2 + 3.5, cy: H / 2 - 2.25, width: W, height: H }));

// Test cameras of a Blender-layout dataset (OpenGL camera-to-world) in the OpenCV convention, with
// the dataset's horizontal field of view on this test's W x H canvas.
function blenderTestCameras(transforms, count) {
    const doc = JSON.parse(fs.readFileSync(transforms, 'utf8'));
    const fx = (0.5 * W) / Math.tan(0.5 * doc.camera_angle_x);
    return doc.frames.slice(0, count).map((f, i) => {
        const m = f.transform_matrix;  // rows; OpenGL camera axes: x right, y up, z back
        const axes = [0, 1, 2].map((c) => [m[0][c], m[1][c], m[2][c]]);
        const rows = [axes[0], axes[1].map((v) => -v), axes[2].map((v) => -v)];  // OpenCV: y down, z forward
        const eye = [m[0][3], m[1][3], m[2][3]];
        const R = rows.flat();
        const t = rows.map((r) => -(r[0] * eye[0] + r[1] * eye[1] + r[2] * eye[2]));
        return { name: `test${i}`, R, t, fx, fy: fx, cx: W / 2, cy: H / 2, width: W, height: H };
    });
}

// The CPU rasterizer's frame when its tool is given (the threshold applies to it), and always the
// float64 JavaScript one as a cross-check.
function referenceImages(plyPath, cam, tag) {
    // 4D scenes (cameras with a time) have only the CPU reference: the float64 one is 3D.
    const out = cam.time === undefined ? { js: renderReference(readGaussianPly(plyPath), cam, BACKGROUND) } : {};
    if (cam.time !== undefined && !args['reference-bin']) throw new Error(`${tag}: 4D cases need --reference-bin`);
    if (args['reference-bin']) {
        const camFile = path.join(outDir, `${tag}.camera.json`);
        const rawFile = path.join(outDir, `${tag}.reference.f32`);
        fs.writeFileSync(camFile, JSON.stringify({ ...cam, background: BACKGROUND }));
        run([args['reference-bin'], plyPath, camFile, rawFile]);
        const raw = fs.readFileSync(rawFile);
        out.cpu = Float64Array.from(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4));
    }
    return out;
}

function to8bit(img) {
    return Uint8Array.from(img, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

function psnr(a, b) {
    let se = 0;
    for (let i = 0; i < a.length; ++i) se += (a[i] - b[i]) ** 2;
    const mse = se / a.length;
    return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
const db = (v) => (Number.isFinite(v) ? Number(v.toFixed(2)) : 'inf');

// Static files: /web/* from the source tree, /data/* from the output folder.
function startServer() {
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://localhost');
        const [, root, ...rest] = url.pathname.split('/');
        const base = root === 'web' ? path.join(sourceDir, 'web') : root === 'data' ? outDir
            : root === 'shared' ? sharedDatasets : null;
        const file = base && path.join(base, ...rest.map(decodeURIComponent));
        if (!file || !file.startsWith(base) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
            res.writeHead(404);
            res.end();
            return;
        }
        const body = fs.readFileSync(file);
        res.writeHead(200, {
            'Content-Type': types[path.extname(file)] || 'application/octet-stream',
            'Content-Length': body.length,
        });
        if (url.searchParams.has('slow')) {
            // A slow connection: eight pieces, 250 ms apart, to see splats appear while downloading.
            const piece = Math.ceil(body.length / 8);
            let sent = 0;
            const next = () => {
                res.write(body.subarray(sent, sent + piece));
                sent += piece;
                if (sent < body.length) setTimeout(next, 250);
                else res.end();
            };
            next();
            return;
        }
        res.end(body);
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
    // Inputs: the scene, and what splatscape writes from it.
    const scenePly = path.join(outDir, 'scene.ply');
    writeGaussianPly(scenePly, makeTestScene());
    const file = (name) => path.join(outDir, name);
    run([bin, 'convert', scenePly, file('scene.spz')]);
    run([bin, 'convert', scenePly, file('scene.glb')]);
    run([bin, 'convert', scenePly, file('scene_spz.glb'), '--glb-spz']);
    run([bin, 'convert', scenePly, file('scene.splat')]);
    run([bin, 'convert', scenePly, file('scene_v4.spz'), '--spz-version', '4']);
    run([bin, 'export', scenePly, '--format', 'html', '-o', file('scene.html')]);
    // What each file holds once decoded by splatscape: the reference renders these.
    for (const ext of ['spz', 'glb', 'splat']) run([bin, 'convert', file(`scene.${ext}`), file(`back_${ext}.ply`)]);
    run([bin, 'convert', file('scene_v4.spz'), file('back_spz_v4.ply')]);
    run([bin, 'convert', file('scene_spz.glb'), file('back_glb_spz.ply')]);
    // The standalone page embeds SPZ v3 in RUB (core/io/html_export.cpp): its reference is that file's content.
    run([bin, 'convert', scenePly, file('scene_v3.spz'), '--spz-version', '3']);
    run([bin, 'convert', file('scene_v3.spz'), file('back_spz_v3.ply')]);
    // Anti-aliased scenes (docs/rasterizer.md, step 4): Mip-Splatting's 2D filter (0.1) in the PLY's
    // comment, and SPZ's antialiased flag (the format keeps no size: 0.3), on Gaussians a pixel or
    // less wide, where the filter decides what is seen.
    const sceneAa = file('scene_aa.ply'), scenePlainSmall = file('scene_small.ply');
    writeGaussianPly(sceneAa, makeTestScene(800, 11, [0.003, 0.012]), ['antialiased eps2d 0.1']);
    writeGaussianPly(scenePlainSmall, makeTestScene(800, 11, [0.003, 0.012]));
    run([bin, 'convert', sceneAa, file('scene_aa.spz')]);
    run([bin, 'convert', file('scene_aa.spz'), file('back_aa_spz.ply')]);
    {
        // The filter must change these frames, or the cases below could not tell.
        const plainRef = referenceImages(scenePlainSmall, CAMERAS[0], 'aa-check-plain');
        const aaRef = referenceImages(sceneAa, CAMERAS[0], 'aa-check-aa');
        const diff = psnr(to8bit(plainRef.cpu || plainRef.js), to8bit(aaRef.cpu || aaRef.js));
        console.log(JSON.stringify({ case: 'aa-sensitivity', psnr_plain_vs_antialiased_db: db(diff) }));
        if (!(diff < 40)) throw new Error(`the antialiased test scene renders as the plain one (${db(diff)} dB)`);
    }
    // A 4D scene: played by the viewer from its PLY, its compact .s4d and a standalone page (which
    // embeds the .s4d), sliced in the shader.
    write4dPly(file('scene_4d.ply'), makeTestScene4d());
    run([bin, 'export', file('scene_4d.ply'), '--format', 'html', '-o', file('scene_4d.html')]);
    run([bin, 'convert', file('scene_4d.ply'), file('scene_4d.s4d')]);
    run([bin, 'convert', file('scene_4d.s4d'), file('back_4d.ply')]);
    const cameras4d = [0.1, 0.5, 0.9].map((time) => ({ ...CAMERAS[0], name: `t${time}`, time }));

    const runCases = [];
    if (args.run) {
        for (const ext of ['spz', 'splat', 'glb']) {
            run([bin, 'export', args.run, '--format', ext, '-o', file(`run.${ext}`)]);
            run([bin, 'convert', file(`run.${ext}`), file(`run_back_${ext}.ply`)]);
        }
        run([bin, 'export', args.run, '--format', 'html', '-o', file('run.html')]);
        run([bin, 'export', args.run, '--format', 'spz', '--spz-version', '3', '-o', file('run_v3.spz')]);
        run([bin, 'convert', file('run_v3.spz'), file('run_back_spz_v3.ply')]);
        const cameras = blenderTestCameras(path.join(args.dataset, 'transforms_test.json'), 2);
        runCases.push(
            { name: 'run-spz', url: `/web/index.html?url=/data/run.spz`, reference: 'run_back_spz.ply', cameras },
            { name: 'run-splat', url: `/web/index.html?url=/data/run.splat`, reference: 'run_back_splat.ply', cameras },
            { name: 'run-glb', url: `/web/index.html?url=/data/run.glb`, reference: 'run_back_glb.ply', cameras },
            { name: 'run-html', url: pathToFileURL(file('run.html')).href, reference: 'run_back_spz_v3.ply', cameras });
    }

    // sags: a short training on a small built-in scene, exported view-independently (every point's
    // colour a degree-3 SH fit to its decoded colours over the training cameras). The viewer shows
    // the export as any other scene (checked against the CPU rasterizer of the same file), and its
    // frames are compared with the live, view-dependent decode of model.sags (reported, with a bound).
    const sagsRun = file('sags_run');
    run([bin, 'generate', 'shapes', '--width', '96', '--height', '96', '--train', '16', '--test', '4', '--points', '1200',
        '--force', '-o', file('sags_scene')]);
    fs.writeFileSync(file('sags.json'), JSON.stringify({ iterations: 300, grow_from: 100, grow_until: 250, grow_every: 50,
        hash_log2_table: 12, learned_edges: false }));
    run([bin, '-q', 'train', file('sags_scene'), '--model', 'sags', '--config', file('sags.json'), '--device', 'cpu',
        '-o', sagsRun, '--no-eval', '--checkpoint-every', '0', '--probe-every', '0', '--force']);
    run([bin, 'export', sagsRun, '-o', file('sags.spz')]);
    run([bin, 'convert', file('sags.spz'), file('sags_back.ply')]);
    const sagsCameras = blenderTestCameras(path.join(file('sags_scene'), 'transforms_test.json'), 2);

    const server = await startServer();
    const origin = `http://127.0.0.1:${server.address().port}`;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        viewport: { width: W, height: H },
        deviceScaleFactor: 1,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const failures = [];
    const results = [];
    try {
        const cases = !runSynthetic ? [] : [
            { name: 'spz-url', url: `${origin}/web/index.html?url=/data/scene.spz`, reference: 'back_spz.ply', cameras: CAMERAS },
            { name: 'glb-url', url: `${origin}/web/index.html?url=/data/scene.glb`, reference: 'back_glb.ply', cameras: CAMERAS.slice(0, 1) },
            // SPZ-compressed glTF (KHR_gaussian_splatting_compression_spz_2, `--glb-spz`; also the tiles' form).
            { name: 'glb-spz-url', url: `${origin}/web/index.html?url=/data/scene_spz.glb`, reference: 'back_glb_spz.ply',
                cameras: CAMERAS.slice(1) },
            { name: 'html-standalone', url: pathToFileURL(file('scene.html')).href, reference: 'back_spz_v3.ply', cameras: CAMERAS },
            { name: 'ply-picker', url: `${origin}/web/index.html`, picker: scenePly, reference: 'scene.ply', cameras: CAMERAS.slice(1) },
            { name: 'splat-drop', url: `${origin}/web/index.html`, drop: file('scene.splat'), reference: 'back_splat.ply', cameras: CAMERAS.slice(0, 1) },
            { name: 'spz-v4-url', url: `${origin}/web/index.html?url=/data/scene_v4.spz`, reference: 'back_spz_v4.ply',
                cameras: CAMERAS.slice(1) },
            { name: '4d-ply-url', url: `${origin}/web/index.html?url=/data/scene_4d.ply`, reference: 'scene_4d.ply',
                cameras: cameras4d },
            { name: '4d-s4d-url', url: `${origin}/web/index.html?url=/data/scene_4d.s4d`, reference: 'back_4d.ply',
                cameras: cameras4d.slice(0, 2) },
            { name: '4d-html-standalone', url: pathToFileURL(file('scene_4d.html')).href, reference: 'back_4d.ply',
                cameras: cameras4d.slice(1) },
            { name: 'aa-ply-url', url: `${origin}/web/index.html?url=/data/scene_aa.ply`, reference: 'scene_aa.ply',
                cameras: CAMERAS.slice(0, 1) },
            { name: 'aa-spz-url', url: `${origin}/web/index.html?url=/data/scene_aa.spz`, reference: 'back_aa_spz.ply',
                cameras: CAMERAS.slice(1) },
            // Blending in the 8-bit canvas, for browsers without float colour targets.
            { name: 'spz-8bit', url: `${origin}/web/index.html?url=/data/scene.spz&float=0`, reference: 'back_spz.ply',
                cameras: CAMERAS.slice(0, 1), minPsnr: MIN_PSNR_8BIT },
        ];
        for (const c of runCases) cases.push({ ...c, url: c.url.startsWith('/') ? origin + c.url : c.url });
        cases.push({ name: 'sags-sh-spz', url: `${origin}/web/index.html?url=/data/sags.spz`, reference: 'sags_back.ply',
            cameras: sagsCameras, liveDecode: path.join(sagsRun, 'model.sags') });
        // A real trained scene (45,624 Gaussians) when ../shared/datasets is present.
        const donut = path.join(sharedDatasets, DATA_CASES.donut);
        if (!wantData('donut')) {
            // another ctest entry runs it
        } else if (fs.existsSync(donut)) {
            cases.push({ name: 'donut-ply', url: `${origin}/web/index.html?url=/shared/gs_ply_donut/point_cloud/iteration_30000/fused.ply`,
                referencePath: donut, cameras: [{ name: 'view', ...lookAt([0.06, -0.09, -0.26], [0.0, 0.005, 0.04], [0, -1, 0]),
                    fx: 240, fy: 240, cx: W / 2, cy: H / 2, width: W, height: H }] });
        } else {
            console.log('skipping the donut case: ../shared/datasets/gs_ply_donut not found (set SPLATSCAPE_DATASETS)');
        }
        // A real SPZ version 4 file (zstd streams, 152,746 splats), decoded by the viewer's own zstd.
        const biker = path.join(sharedDatasets, DATA_CASES.biker);
        if (!wantData('biker')) {
            // another ctest entry runs it
        } else if (fs.existsSync(biker)) {
            run([bin, 'convert', biker, file('biker_back.ply')]);
            cases.push({ name: 'biker-spz-v4', url: `${origin}/web/index.html?url=/shared/gs_splats_playcanvas/biker.spz`,
                reference: 'biker_back.ply', cameras: [{ name: 'view', ...lookAt([0.8, -2.2, -4.2], [-0.05, -1.55, 0.0], [0, -1, 0]),
                    fx: 240, fy: 240, cx: W / 2, cy: H / 2, width: W, height: H }] });
        } else {
            console.log('skipping the biker case: ../shared/datasets/gs_splats_playcanvas not found');
        }
        // A broken file must end in a message on the page, not a crash or a console error.
        if (runSynthetic) {
            const spz = fs.readFileSync(file('scene.spz'));
            fs.writeFileSync(file('truncated.spz'), spz.subarray(0, spz.length >> 1));
            const page = await context.newPage();
            const problems = [];
            page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            await page.goto(`${origin}/web/index.html?url=/data/truncated.spz`);
            await page.waitForFunction(() => window.splatscape && (window.splatscape.error || window.splatscape.loaded),
                null, { timeout: 30000 });
            const shown = await page.evaluate(() => ({ error: window.splatscape.error,
                text: document.getElementById('message').textContent }));
            if (!shown.error || !shown.text.includes(shown.error)) problems.push(`no error shown: ${JSON.stringify(shown)}`);
            console.log(JSON.stringify({ case: 'truncated-spz', message: shown.text }));
            if (problems.length) failures.push(`truncated-spz:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
        // Progressive loading: a slowly arriving PLY is shown in parts before it completes.
        if (runSynthetic) {
            const page = await context.newPage();
            const problems = [];
            page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            await page.goto(`${origin}/web/index.html?url=${encodeURIComponent('/data/scene.ply?slow=1')}`);
            let sawBar = false;
            for (let i = 0; i < 100 && !(await page.evaluate(() => window.splatscape && window.splatscape.loaded)); ++i) {
                sawBar ||= await page.evaluate(() => getComputedStyle(document.getElementById('progress')).display !== 'none');
                await page.waitForTimeout(100);
            }
            const state = await page.evaluate(() => ({ loaded: window.splatscape.loaded, partial: window.splatscape.partialUpdates,
                error: window.splatscape.error }));
            if (!state.loaded || state.error) problems.push(`did not load: ${JSON.stringify(state)}`);
            if (state.partial < 2) problems.push(`only ${state.partial} partial updates while downloading`);
            if (!sawBar) problems.push('no progress bar while downloading');
            console.log(JSON.stringify({ case: 'progressive-ply', partial_updates: state.partial, progress_bar: sawBar }));
            if (problems.length) failures.push(`progressive-ply:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
        // 4D playback: the time bar appears, play advances the time and redraws, pause holds it, a
        // faster speed advances faster, and looping wraps from the end to the start.
        if (runSynthetic) {
            const page = await context.newPage();
            const problems = [];
            page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            await page.goto(`${origin}/web/index.html?url=/data/scene_4d.ply`);
            await page.waitForFunction(() => window.splatscape && window.splatscape.loaded, null, { timeout: 60000 });
            const state = () => page.evaluate(() => ({ time: window.splatscape.time(), frames: window.splatscape.framesDrawn(),
                bar: getComputedStyle(document.getElementById('timebar')).display, range: window.splatscape.timeRange }));
            const s0 = await state();
            if (s0.bar === 'none') problems.push('no time bar for a 4D scene');
            if (!s0.range || s0.range[0] !== 0 || s0.range[1] !== 1) problems.push(`time range ${JSON.stringify(s0.range)}`);
            await page.click('#play');
            await page.waitForTimeout(600);
            const s1 = await state();
            if (!(s1.time > s0.time) || !(s1.frames > s0.frames)) problems.push(`play: ${JSON.stringify([s0, s1])}`);
            await page.click('#play');  // pause
            const s2 = await state();
            await page.waitForTimeout(400);
            const s3 = await state();
            if (s3.time !== s2.time) problems.push(`pause: time moved from ${s2.time} to ${s3.time}`);
            await page.selectOption('#speed', '4');
            await page.evaluate(() => window.splatscape.setTime(0.98));
            await page.click('#play');
            await page.waitForTimeout(600);
            const s4 = await state();
            await page.click('#play');
            if (!(s4.time < 0.9)) problems.push(`loop: at 4x from 0.98 the time should have wrapped, found ${s4.time}`);
            console.log(JSON.stringify({ case: '4d-playback', start: s0.time, playing: s1.time, paused: s3.time, looped: s4.time }));
            if (problems.length) failures.push(`4d-playback:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
        // The standalone page opened from disk can be orbited, panned, zoomed and flown with the mouse and keys.
        if (runSynthetic) {
            const page = await context.newPage();
            const problems = [];
            page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            await page.goto(pathToFileURL(file('scene.html')).href);
            await page.waitForFunction(() => window.splatscape && window.splatscape.loaded, null, { timeout: 60000 });
            const pose = () => page.evaluate(() => window.splatscape.cameraPose());
            const frames = () => page.evaluate(() => window.splatscape.framesDrawn());
            const moved = (a, b) => a.R.some((v, i) => Math.abs(v - b.R[i]) > 1e-6) || a.t.some((v, i) => Math.abs(v - b.t[i]) > 1e-6);
            const steps = [];
            let before = await pose(), drawn = await frames();
            const check = async (what) => {
                await page.waitForTimeout(200);
                const after = await pose(), now = await frames();
                steps.push(`${what}: ${moved(before, after) ? 'moved' : 'STILL'}, ${now - drawn} frames`);
                if (!moved(before, after) || now === drawn) problems.push(`${what} did not change the view`);
                before = after;
                drawn = now;
            };
            await page.mouse.move(W / 2, H / 2);
            await page.mouse.down();
            await page.mouse.move(W / 2 + 40, H / 2 + 10, { steps: 5 });
            await page.mouse.up();
            await check('orbit drag');
            await page.mouse.move(W / 2, H / 2);
            await page.mouse.down({ button: 'right' });
            await page.mouse.move(W / 2 - 30, H / 2, { steps: 5 });
            await page.mouse.up({ button: 'right' });
            await check('pan drag');
            await page.mouse.wheel(0, 300);
            await check('wheel zoom');
            await page.keyboard.press('f');
            await page.keyboard.down('w');
            await page.waitForTimeout(300);
            await page.keyboard.up('w');
            await check('fly forward');
            if ((await pose()).mode !== 'fly') problems.push('F did not switch to fly mode');
            console.log(JSON.stringify({ case: 'html-standalone-controls', steps }));
            if (problems.length) failures.push(`html-standalone-controls:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
        for (const c of cases) {
            const page = await context.newPage();
            const problems = [];
            page.on('console', (m) => {
                if (m.type() === 'error') problems.push(`console ${m.type()}: ${m.text()}`);
            });
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            const url = c.url + (c.url.includes('?') ? '&' : '?') + `bg=${BACKGROUND.join(',')}`;
            await page.goto(url);
            await page.waitForFunction(() => window.splatscape && window.splatscape.ready, null, { timeout: 30000 });
            if (c.picker) await page.setInputFiles('#file', c.picker);
            if (c.drop) {
                const bytes = fs.readFileSync(c.drop).toString('base64');
                await page.evaluate(({ bytes, name }) => {
                    const data = Uint8Array.from(atob(bytes), (ch) => ch.charCodeAt(0));
                    const dt = new DataTransfer();
                    dt.items.add(new File([data], name));
                    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, cancelable: true }));
                    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
                }, { bytes, name: path.basename(c.drop) });
            }
            await page.waitForFunction(() => window.splatscape.loaded || window.splatscape.error, null, { timeout: 60000 });
            const state = await page.evaluate(() => ({ error: window.splatscape.error, count: window.splatscape.count,
                renderer: window.splatscape.rendererName, target: window.splatscape.floatTarget }));
            if (state.error) problems.push(`viewer error: ${state.error}`);
            if (c === cases[0]) console.log(`WebGL renderer: ${state.renderer}`);
            if (!/SwiftShader/i.test(state.renderer || ''))
                problems.push(`WebGL is not running on SwiftShader (renderer: ${state.renderer})`);
            await page.evaluate(() => window.splatscape.hideUi());
            for (const cam of c.cameras) {
                const tag = `${c.name}-${cam.name}`;
                await page.evaluate((spec) => window.splatscape.setCamera(spec), cam);
                if (cam.time !== undefined) {
                    const shown = await page.evaluate((t) => {
                        window.splatscape.setTime(t);
                        return { is4d: window.splatscape.is4d, time: window.splatscape.time(),
                            bar: getComputedStyle(document.getElementById('timebar')).display };
                    }, cam.time);
                    if (!shown.is4d || Math.abs(shown.time - cam.time) > 1e-6 || shown.bar === 'none')
                        problems.push(`${tag}: not shown as a 4D scene at time ${cam.time}: ${JSON.stringify(shown)}`);
                }
                await page.evaluate(() => window.splatscape.renderOnce());
                const shot = decodePng(await page.locator('#canvas').screenshot({ type: 'png' }));
                if (shot.width !== W || shot.height !== H) problems.push(`${tag}: screenshot is ${shot.width}x${shot.height}`);
                const refs = referenceImages(c.referencePath || file(c.reference), cam, tag);
                const ref = to8bit(refs.cpu || refs.js);
                const value = psnr(shot.rgb, ref);
                fs.writeFileSync(file(`${tag}.viewer.png`), encodePng(W, H, shot.rgb));
                fs.writeFileSync(file(`${tag}.reference.png`), encodePng(W, H, ref));
                const result = { case: tag, psnr_db: db(value),
                    reference: refs.cpu ? 'cpu-rasterizer' : 'js-float64', splats: state.count, target: state.target };
                if (refs.cpu && refs.js) {
                    result.psnr_vs_js_db = db(psnr(shot.rgb, to8bit(refs.js)));
                    result.cpu_vs_js_db = db(psnr(ref, to8bit(refs.js)));
                }
                if (c.liveDecode) {
                    // The view-independent export against the model decoded for this very camera (a camera
                    // with a time takes the CPU reference only: the float64 one reads PLY files).
                    const live = to8bit(referenceImages(c.liveDecode, { ...cam, time: 0 }, `${tag}-live`).cpu);
                    fs.writeFileSync(file(`${tag}.live.png`), encodePng(W, H, live));
                    const vsLive = psnr(shot.rgb, live);
                    result.psnr_vs_live_decode_db = db(vsLive);
                    result.live_decode_threshold_db = SAGS_MIN_PSNR_VS_LIVE;
                    if (!(vsLive >= SAGS_MIN_PSNR_VS_LIVE))
                        problems.push(`${tag}: ${vsLive.toFixed(2)} dB against the live decode, below ${SAGS_MIN_PSNR_VS_LIVE} dB`);
                }
                const minPsnr = c.minPsnr || MIN_PSNR;
                result.threshold_db = minPsnr;
                results.push({ ...result, value });
                console.log(JSON.stringify(result));
                if (!(value >= minPsnr)) problems.push(`${tag}: PSNR ${value.toFixed(2)} dB is below ${minPsnr} dB`);
            }
            if (problems.length) failures.push(`${c.name}:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
    } finally {
        await context.close();
        server.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    if (!results.length) failures.push('no render was compared with its reference');
    if (failures.length) {
        console.error(`FAILED (images in ${outDir}):\n${failures.join('\n')}`);
        process.exit(1);
    }
    console.log(`all ${results.length} renders match their reference (min PSNR ` +
        `${db(Math.min(...results.map((r) => r.value)))} dB)`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
