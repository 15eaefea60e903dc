// The first view of an exported page (ctest web_first_view, label web). A short training run of the
// built-in scene is exported with `splatscape export RUN -o page.html`; opened from disk in headless
// Chromium at the held-out camera's size, the page's first frame must be the held-out view that
// `eval` rendered (RUN/eval/renders/<name>.png; PSNR stated), the page must know the scene's up
// (+z for the built-in scene) and list the cameras in a menu that jumps between them.
//   node first_view_test.mjs --bin build/splatscape --out DIR [--screenshot FILE.png]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { decodePng, encodePng } from './png.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const bin = args.bin;
const out = path.resolve(args.out || fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-first-view-')));
// Measured with Chromium 156 on SwiftShader (tests/web/README.md): 45.35 dB against eval's render of
// the float scene (the page holds it as SPZ); another camera's view gives under 20 dB.
const MIN_PSNR = Number(args['min-psnr'] || 40);
if (!bin || !fs.existsSync(bin)) {
    console.error(`splatscape binary not found (${bin}); pass --bin`);
    process.exit(1);
}
fs.mkdirSync(out, { recursive: true });
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    if (r.status !== 0) {
        console.error('npm ci failed in tests/web (scripts/install-deps.sh --web installs Node.js and Chromium)');
        process.exit(1);
    }
}
const { chromium } = await import('playwright-core');

function run(argv) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

function psnr(a, b) {
    let se = 0;
    for (let i = 0; i < a.length; ++i) se += (a[i] - b[i]) ** 2;
    return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

async function main() {
    const W = 96, H = 72;
    const data = path.join(out, 'data'), runDir = path.join(out, 'run'), page = path.join(out, 'page.html');
    run([bin, 'generate', 'shapes', '-o', data, '--width', String(W), '--height', String(H), '--train', '12', '--test', '2',
        '--samples', '1', '--points', '2000', '--force']);
    run([bin, 'train', data, '-o', runDir, '--iters', '300', '--scale-schedule', '--device', 'cpu', '--force']);
    const exported = run([bin, 'export', runDir, '-o', page]);
    console.log(exported.trim());
    const transforms = JSON.parse(fs.readFileSync(path.join(data, 'transforms_test.json'), 'utf8'));
    const first = transforms.frames[0].file_path;
    const renders = fs.readdirSync(path.join(runDir, 'eval', 'renders'));
    // eval names renders after the frame with path separators made safe (./test/r_0 -> test_r_0.png).
    const heldOut = renders.find((f) => f.replace(/\.png$/, '').endsWith(path.basename(first)));
    if (!heldOut) throw new Error(`no eval render of ${first} among ${renders.join(', ')}`);
    const reference = decodePng(fs.readFileSync(path.join(runDir, 'eval', 'renders', heldOut)));

    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatscape-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium', headless: true, viewport: { width: W, height: H }, deviceScaleFactor: 1,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const problems = [];
    let result;
    try {
        const p = await context.newPage();
        p.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
        p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        await p.goto(pathToFileURL(page).href);
        await p.waitForFunction(() => window.splatscape && (window.splatscape.loaded || window.splatscape.error), null,
            { timeout: 60000 });
        const state = await p.evaluate(() => ({ error: window.splatscape.error, views: window.splatscape.views,
            menu: [...document.querySelectorAll('#views option')].map((o) => o.textContent) }));
        if (state.error) problems.push(`viewer error: ${state.error}`);
        await p.evaluate(() => window.splatscape.hideUi());
        await p.evaluate(() => window.splatscape.renderOnce());
        const shot = decodePng(await p.locator('#canvas').screenshot({ type: 'png' }));
        const value = psnr(shot.rgb, reference.rgb);
        fs.writeFileSync(path.join(out, 'first_view.png'), encodePng(W, H, shot.rgb));
        if (args.screenshot) fs.copyFileSync(path.join(out, 'first_view.png'), args.screenshot);
        const up = state.views ? state.views.up : null;
        const upDot = up ? up[2] / Math.hypot(...up) : 0;
        // The menu jumps to another camera: the pose changes to that camera's.
        const before = await p.evaluate(() => window.splatscape.cameraPose());
        await p.evaluate(() => document.body.classList.remove('no-ui'));
        await p.selectOption('#views', '2');
        const after = await p.evaluate(() => window.splatscape.cameraPose());
        const wanted = state.views ? state.views.cameras[2] : null;
        const jumped = wanted && after.R.every((v, i) => Math.abs(v - wanted.R[i]) < 1e-6) &&
            before.R.some((v, i) => Math.abs(v - after.R[i]) > 1e-3);
        result = { case: 'first-view', held_out: heldOut, psnr_db: Number(value.toFixed(2)), threshold_db: MIN_PSNR,
            up, cameras: state.menu.length, first: state.menu[0], menu_jump: !!jumped };
        console.log(JSON.stringify(result));
        if (!(value >= MIN_PSNR)) problems.push(`the first frame differs from ${heldOut}: PSNR ${value.toFixed(2)} dB < ${MIN_PSNR}`);
        if (!(upDot > 0.99)) problems.push(`the page's up is ${JSON.stringify(up)}; the built-in scene's is +z`);
        if (state.menu.length < 4 || !state.menu[0].startsWith('held-out')) problems.push(`camera menu: ${JSON.stringify(state.menu)}`);
        if (!jumped) problems.push('choosing a camera in the menu did not move the view there');
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    if (problems.length) {
        console.error(`FAILED (files in ${out}):\n  ${problems.join('\n  ')}`);
        process.exit(1);
    }
    console.log('first view matches the held-out render');
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
