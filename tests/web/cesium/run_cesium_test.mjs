// CesiumJS (npm `cesium`, from tests/interop's packages; another 3D Tiles client) loads a Splatscape
// tiled scene in headless Chromium (ctest `web_cesium`, label web): proof that the files are real 3D Tiles 1.1 with
// KHR_gaussian_splatting + KHR_gaussian_splatting_compression_spz_2 contents. Writes a small city as
// SPZ-compressed tiles, serves it beside Cesium's build, and expects tiles to load as Gaussian splat
// contents (splats counted by Cesium), none to fail, and no page error.
//
//   node run_cesium_test.mjs --bin build/splatscape --out build/tests/web/cesium-out [--chromium /usr/bin/chromium]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const bin = args.bin || process.env.SPLATSCAPE_BIN;
const outDir = path.resolve(args.out || fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-cesium-')));
const chromiumPath = args.chromium || '/usr/bin/chromium';
if (!bin || !fs.existsSync(bin)) {
    console.error(`splatscape binary not found (${bin}); pass --bin`);
    process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
    console.error(`Chromium not found at ${chromiumPath}: install it with scripts/install-deps.sh --web, or pass --chromium PATH.`);
    process.exit(1);
}
// CesiumJS and Playwright are the interop tests' npm packages (tests/interop/package-lock.json).
const interopModules = path.join(here, '..', '..', 'interop', 'node_modules');
const cesium = path.join(interopModules, 'cesium', 'Build', 'Cesium');
if (!fs.existsSync(path.join(cesium, 'Cesium.js')) || !fs.existsSync(path.join(interopModules, 'playwright-core'))) {
    console.error(`CesiumJS not found in ${interopModules}: install the interop tests' npm packages with ` +
        'scripts/install-deps.sh --web (npm ci in tests/interop)');
    process.exit(1);
}
const { chromium } = await import(path.join(interopModules, 'playwright-core', 'index.mjs'));

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8">
<script>window.CESIUM_BASE_URL = '/cesium/';</script>
<script src="/cesium/Cesium.js"></script>
<link href="/cesium/Widgets/widgets.css" rel="stylesheet">
</head><body style="margin:0"><div id="c" style="width:320px;height:240px"></div>
<script>
const r = window.result = { loaded: 0, splats: 0, failed: [], errors: [], allLoaded: false, version: Cesium.VERSION };
(async () => {
    try {
        const widget = new Cesium.CesiumWidget('c', { baseLayer: false, globe: false, skyBox: false, skyAtmosphere: false,
            shadows: false, scene3DOnly: true });
        const tileset = await Cesium.Cesium3DTileset.fromUrl(new URLSearchParams(location.search).get('tileset'),
            { maximumScreenSpaceError: 4 });
        tileset.tileLoad.addEventListener((tile) => {
            r.loaded += 1;
            r.splats += (tile.content && tile.content.pointsLength) || 0;
        });
        tileset.tileFailed.addEventListener((e) => r.failed.push(e.url + ': ' + e.message));
        tileset.allTilesLoaded.addEventListener(() => { r.allLoaded = true; });
        widget.scene.primitives.add(tileset);
        r.radius = tileset.boundingSphere.radius;
        widget.camera.viewBoundingSphere(tileset.boundingSphere, new Cesium.HeadingPitchRange(0.3, -0.6, 1.6 * tileset.boundingSphere.radius));
    } catch (e) {
        r.errors.push(String(e && e.stack || e));
    }
})();
</script></body></html>`;

function run(argv) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

async function main() {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    const scene = path.join(outDir, 'city');
    run([bin, 'generate', 'city', '--blocks', '2', '--gaussians', '40K', '--leaf-splats', '4096', '--spz', '-o', scene]);
    const missing = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://localhost');
        const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        const root = parts[0] === 'cesium' ? cesium : parts[0] === 'tiles' ? scene : null;
        if (url.pathname === '/favicon.ico') {
            res.writeHead(204);
            res.end();
            return;
        }
        if (url.pathname === '/index.html') {
            res.writeHead(200, { 'Content-Type': 'text/html' });
            res.end(PAGE);
            return;
        }
        const file = root && path.join(root, ...parts.slice(1));
        if (!file || !file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
            missing.push(url.pathname);
            res.writeHead(404);
            res.end();
            return;
        }
        const types = { '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css', '.wasm': 'application/wasm' };
        res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
        fs.createReadStream(file).pipe(res);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath, headless: true, viewport: { width: 320, height: 240 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const problems = [];
    let result = null;
    try {
        const page = await context.newPage();
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
        await page.goto(`${origin}/index.html?tileset=/tiles/tileset.json`);
        const start = Date.now();
        while (Date.now() - start < 120000) {
            result = await page.evaluate(() => window.result);
            if (result && (result.allLoaded || result.errors.length || result.failed.length)) break;
            await page.waitForTimeout(250);
        }
        await page.waitForTimeout(3000); // splats are sorted in a worker before they show
        await page.screenshot({ path: path.join(outDir, 'cesium.png') });
    } finally {
        await context.close();
        server.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(JSON.stringify({ case: 'cesium-loads-tileset', cesium: result && result.version, tiles_loaded: result && result.loaded,
        splats: result && result.splats, not_found: missing, all_loaded: result && result.allLoaded, failed: result && result.failed,
        errors: result && result.errors }));
    if (!result) problems.push('no result from the page');
    else {
        if (result.errors.length) problems.push(`errors: ${result.errors.join('; ')}`);
        if (result.failed.length) problems.push(`tiles failed: ${result.failed.join('; ')}`);
        if (!result.allLoaded) problems.push('Cesium did not finish loading the tiles it selected');
        if (!(result.loaded > 0 && result.splats > 0)) problems.push(`no Gaussian splats loaded (${result.loaded} tiles, ${result.splats} splats)`);
    }
    if (problems.length) {
        console.error(`FAILED:\n  ${problems.join('\n  ')}`);
        process.exit(1);
    }
    console.log('CesiumJS loaded the tiled scene');
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
