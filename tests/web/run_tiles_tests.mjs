// Tiled scenes in the web viewer (ctest `web_tiles`, label web): a city of 60,000 Gaussians written as
// a tiled scene with SPZ-compressed tiles and exported as a folder (`export --format html`), served
// by a local static server, opened in headless Chromium under a splat and a memory budget. Checks:
//   - the budgets hold in every sampled frame while tiles stream in (and the viewer's own maxima);
//   - the picture, once refined, matches the desktop renderer (`splatscape render --renderer vulkan`)
//     drawing exactly the tiles the page selected (`export --tiles`);
//   - a tileset with a missing tile is shown without it, with one message, and no page error.
// Prints one JSON line per case, with the tiles fetched for the view.
//
//   node run_tiles_tests.mjs --bin build/splatscape --out build/tests/web/tiles-out [--chromium /usr/bin/chromium]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodePng, encodePng } from './png.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const bin = args.bin || process.env.SPLATSCAPE_BIN;
const outDir = path.resolve(args.out || fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-tiles-')));
const W = 256, H = 192;
const BUDGET_SPLATS = 24000;
const BUDGET_MB = 2;
// Measured with headless Chromium on SwiftShader against the Vulkan renderer on lavapipe: 71.7 dB
// (tests/web/README.md); the bound leaves a margin below it.
const MIN_PSNR = Number(args['min-psnr'] || 55);

const chromiumPath = args.chromium || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
    console.error(`Chromium not found at ${chromiumPath}: install it with scripts/install-deps.sh --web, or pass --chromium PATH.`);
    process.exit(1);
}
if (!bin || !fs.existsSync(bin)) {
    console.error(`splatscape binary not found (${bin}); pass --bin`);
    process.exit(1);
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    if (r.status !== 0) process.exit(1);
}
const { chromium } = await import('playwright-core');

function run(argv) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || os.tmpdir() } });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

function lookAt(eye, target, up) {
    const sub = (a, b) => a.map((v, i) => v - b[i]);
    const norm = (v) => v.map((x) => x / Math.hypot(...v));
    const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    const z = norm(sub(target, eye));
    const x = norm(cross(z, up));
    const y = cross(z, x);
    return { R: [...x, ...y, ...z], t: [-dot(x, eye), -dot(y, eye), -dot(z, eye)] };
}

function psnr(a, b) {
    let se = 0;
    for (let i = 0; i < a.length; ++i) se += (a[i] - b[i]) ** 2;
    return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

// Static files of one folder; counts the requests per path.
function startServer(root, counts) {
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.glb': 'model/gltf-binary' };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://localhost');
        const file = path.join(root, ...url.pathname.split('/').filter(Boolean).map(decodeURIComponent));
        counts[url.pathname] = (counts[url.pathname] || 0) + 1;
        if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
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

async function main() {
    const city = path.join(outDir, 'city'), site = path.join(outDir, 'site');
    run([bin, 'generate', 'city', '--blocks', '2', '--gaussians', '60K', '--leaf-splats', '4096', '--spz', '-o', city]);
    run([bin, 'export', city, '--format', 'html', '-o', site]);
    // The same scene with one tile missing.
    const broken = path.join(outDir, 'broken');
    fs.cpSync(city, broken, { recursive: true });
    fs.cpSync(broken, path.join(site, 'broken'), { recursive: true });
    fs.rmSync(path.join(site, 'broken', 'tiles', '0.glb')); // the root: every view asks for it first

    const counts = {};
    const server = await startServer(site, counts);
    const origin = `http://127.0.0.1:${server.address().port}`;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath, headless: true, viewport: { width: W, height: H }, deviceScaleFactor: 1,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const failures = [];
    const eye = [-60, -95, 70], target = [5, 10, 0], up = [0, 0, 1];
    const fy = 220;
    const cam = { ...lookAt(eye, target, up), fx: fy, fy, cx: W / 2, cy: H / 2, width: W, height: H };
    try {
        // 1. Budgets while streaming, and the refined picture against the desktop renderer.
        {
            const problems = [];
            const page = await context.newPage();
            page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            for (const k of Object.keys(counts)) delete counts[k];
            await page.goto(`${origin}/index.html?budget=${BUDGET_SPLATS}&budget_mb=${BUDGET_MB}&tau=2&camera=${encodeURIComponent(JSON.stringify(cam))}`);
            let stats = null, samples = 0;
            const start = Date.now();
            while (Date.now() - start < 90000) {
                stats = await page.evaluate(() => window.splatscape && window.splatscape.tileStats && window.splatscape.tileStats());
                if (stats) {
                    ++samples;
                    if (stats.drawnSplats > BUDGET_SPLATS) problems.push(`${stats.drawnSplats} splats drawn, over the budget`);
                    if (stats.residentBytes > BUDGET_MB * 1048576) problems.push(`${stats.residentBytes} bytes resident, over the budget`);
                    if (stats.refined && stats.drawn.length) break;
                }
                await page.waitForTimeout(50);
            }
            if (!stats || !stats.refined) problems.push(`not refined: ${JSON.stringify(stats)}`);
            if (stats.maxDrawnSplats > BUDGET_SPLATS || stats.maxResidentBytes > BUDGET_MB * 1048576)
                problems.push(`the viewer's own maxima exceed the budgets: ${stats.maxDrawnSplats}, ${stats.maxResidentBytes}`);
            await page.evaluate(() => window.splatscape.hideUi());
            await page.evaluate(() => window.splatscape.renderOnce());
            const shot = decodePng(await page.locator('#canvas').screenshot({ type: 'png' }));
            // The desktop renderer drawing the same tiles from the same camera.
            const selected = path.join(outDir, 'selected.ply');
            run([bin, 'export', site, '--tiles', stats.drawn.join(','), '-o', selected]);
            const camPath = path.join(outDir, 'camera.json');
            fs.writeFileSync(camPath, JSON.stringify({ fps: 1, up, keyframes: [{ t: 0, position: eye, look_at: target,
                fov_y: (2 * Math.atan(H / 2 / fy) * 180) / Math.PI }] }));
            const frames = path.join(outDir, 'desktop');
            run([bin, 'render', selected, '--camera-path', camPath, '--renderer', 'vulkan', '--width', String(W),
                '--height', String(H), '-o', frames]);
            const ref = decodePng(fs.readFileSync(path.join(frames, 'frame_00000.png')));
            const value = psnr(shot.rgb, ref.rgb);
            fs.writeFileSync(path.join(outDir, 'tiles.viewer.png'), encodePng(W, H, shot.rgb));
            const fetched = Object.keys(counts).filter((k) => k.endsWith('.glb'));
            const result = { case: 'tiles-budget', psnr_vs_desktop_db: Number(value.toFixed(2)), threshold_db: MIN_PSNR,
                drawn_tiles: stats.drawn.length, drawn_splats: stats.drawnSplats, budget_splats: BUDGET_SPLATS,
                max_drawn_splats: stats.maxDrawnSplats, max_resident_bytes: stats.maxResidentBytes,
                budget_bytes: BUDGET_MB * 1048576, tiles_fetched: fetched.length, bytes_fetched: stats.fetchedBytes,
                tiles_in_scene: stats.tiles, stats_samples: samples, hierarchy_json: stats.fromHierarchy };
            console.log(JSON.stringify(result));
            if (!(value >= MIN_PSNR)) problems.push(`PSNR ${value.toFixed(2)} dB against the desktop render is below ${MIN_PSNR} dB`);
            if (fetched.length >= stats.tiles) problems.push('every tile was fetched: the view should need only some');
            if (problems.length) failures.push(`tiles-budget:\n  ${[...new Set(problems)].join('\n  ')}`);
            await page.close();
        }
        // 2. A missing tile: skipped with a message; the rest is shown.
        {
            const problems = [];
            const page = await context.newPage();
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            await page.goto(`${origin}/index.html?tileset=broken/tileset.json&tau=0.5&camera=${encodeURIComponent(JSON.stringify(cam))}`);
            await page.waitForFunction(() => window.splatscape && window.splatscape.tileStats && window.splatscape.tileStats() &&
                window.splatscape.tileStats().refined, null, { timeout: 90000 });
            const stats = await page.evaluate(() => window.splatscape.tileStats());
            console.log(JSON.stringify({ case: 'tiles-missing', failed: stats.failed, drawn_tiles: stats.drawn.length, problems: stats.problems }));
            if (stats.failed !== 1 || stats.problems.length !== 1) problems.push(`expected one failed tile and one message: ${JSON.stringify(stats)}`);
            if (!stats.drawn.length) problems.push('nothing drawn');
            if (problems.length) failures.push(`tiles-missing:\n  ${problems.join('\n  ')}`);
            await page.close();
        }
    } finally {
        await context.close();
        server.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    if (failures.length) {
        console.error(`FAILED:\n${failures.join('\n')}`);
        process.exit(1);
    }
    console.log('tiled scene web tests passed');
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
