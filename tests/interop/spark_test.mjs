// Spark (@sparkjsdev/spark, three.js) renders Splatscape's exports in headless Chromium from a fixed
// camera; each frame is compared with Splatscape's CPU render of the same camera (PSNR). A frame
// turned over or a wrong colour space drops the PSNR to about 10 dB.
//   node spark_test.mjs --bin build/splatscape --reference-bin build/tests/web/splatscape_web_reference
//                       [--out DIR] [--screenshot docs/images/interop_spark.png]
import fs from 'node:fs';
import path from 'node:path';

import { decodePng, encodePng } from '../web/png.mjs';
import { makeTestScene, writeGaussianPly } from '../web/scene_files.mjs';
import { finish, here, launchChromium, lookAt, outDir, parseArgs, psnr, referenceFrame, requirePackages, run, startServer,
    watchedPage } from './harness.mjs';

const args = parseArgs();
for (const [flag, value] of [['--bin', args.bin], ['--reference-bin', args['reference-bin']]])
    if (!value || !fs.existsSync(value)) {
        console.error(`${flag} not found (${value})`);
        process.exit(1);
    }
requirePackages(['@sparkjsdev/spark', 'three', 'playwright-core']);
const out = outDir(args, 'interop-spark');
const file = (name) => path.join(out, name);
const W = 256, H = 192, BACKGROUND = [0.1, 0.2, 0.3];
// Measured with Spark 2.2.0 in Chromium 156 on SwiftShader (docs/interop.md): 42.4-50.6 dB; the bound
// leaves room for differences between Spark's and Splatscape's splat kernels on other scenes. A file
// read in the wrong frame gives about 12 dB here (the control case below).
const MIN_PSNR = Number(args['min-psnr'] || 35);

const CAMERAS = [
    { name: 'front', R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] },
    { name: 'oblique', ...lookAt([1.8, -1.2, -0.6], [0, 0, 4.6], [0, -1, 0]) },
].map((c) => ({ ...c, fx: 220, fy: 220, cx: W / 2, cy: H / 2, width: W, height: H }));

async function main() {
    const scenePly = file('scene.ply');
    writeGaussianPly(scenePly, makeTestScene());
    const cases = [
        { name: 'ply', file: 'scene_out.ply', argv: [] },
        { name: 'compressed.ply', file: 'scene.compressed.ply', argv: [] },
        { name: 'splat', file: 'scene.splat', argv: [] },
        // Spark 2.2 reads SPZ only as gzip (versions 2 and 3): it refuses version 4, the default.
        { name: 'spz v4 (default)', file: 'scene_v4.spz', argv: [], refused: /gzip/ },
        // Spark reads SPZ bytes as they are: a RUB file needs the mesh turned into the PLY frame.
        { name: 'spz v3 (RUB)', file: 'scene_v3.spz', argv: ['--spz-version', '3'], flipX: true },
        // Control: the same file without the turn must fail the bound (a frame error shows at once).
        { name: 'spz v3 (RUB) shown without the turn (control)', file: 'scene_v3.spz', argv: ['--spz-version', '3'],
            below: true },
        { name: 'sog', file: 'scene.sog', argv: [] },
    ];
    for (const c of cases) {
        run([args.bin, 'convert', scenePly, file(c.file), ...c.argv]);
        run([args.bin, 'convert', file(c.file), file(`${c.file}.back.ply`)]); // what the file holds, for the reference
    }
    const server = await startServer({ nm: path.join(here, 'node_modules'), data: out, page: here });
    const origin = `http://127.0.0.1:${server.address().port}`;
    const browser = await launchChromium(W, H);
    const rows = [];
    try {
        const problems = [];
        const page = await watchedPage(browser.context, problems);
        await page.goto(`${origin}/page/spark_page.html`);
        await page.waitForFunction(() => window.sparkReady === true, null, { timeout: 30000 });
        for (const [index, c] of cases.entries())
            for (const cam of CAMERAS) {
                const tag = `spark-${index}-${c.file}-${cam.name}`;
                const row = { case: `Spark renders Splatscape ${c.name}, ${cam.name} camera`, format: c.name };
                problems.length = 0;
                try {
                    const shown = await page.evaluate((spec) => window.renderSplat(spec),
                        { url: `/data/${c.file}`, camera: cam, background: BACKGROUND, flipX: !!c.flipX });
                    const shot = decodePng(await page.locator('canvas').screenshot({ type: 'png' }));
                    const ref = referenceFrame(args['reference-bin'], file(`${c.file}.back.ply`), cam, BACKGROUND, out, tag);
                    const value = psnr(shot.rgb, ref);
                    fs.writeFileSync(file(`${tag}.spark.png`), encodePng(W, H, shot.rgb));
                    fs.writeFileSync(file(`${tag}.reference.png`), encodePng(W, H, ref));
                    if (args.screenshot && c.name === 'spz v3 (RUB)' && cam.name === 'oblique')
                        fs.copyFileSync(file(`${tag}.spark.png`), args.screenshot);
                    const psnrOk = c.below ? value < MIN_PSNR - 10 : value >= MIN_PSNR;
                    const ok = !c.refused && psnrOk && problems.length === 0 && shown.count === 50;
                    Object.assign(row, { read: 'ok', splats: shown.count, psnr_db: Number(value.toFixed(2)),
                        bound_db: c.below ? `< ${MIN_PSNR - 10}` : MIN_PSNR, ok,
                        problem: ok ? undefined : [c.refused ? 'read a file it was expected to refuse' : '',
                            `PSNR ${value.toFixed(2)} dB`, `${shown.count} splats`, ...problems].filter(Boolean).join('; ') });
                } catch (e) {
                    const message = e.message.split('\n')[0];
                    const expected = c.refused && c.refused.test(message);
                    Object.assign(row, { read: expected ? `refused: ${message.replace(/^page.evaluate: /, '')}` : 'error',
                        ok: expected, problem: expected ? undefined : [message, ...problems].join('; ') });
                    // The refusal is logged as a page error: it is the expected outcome here.
                    if (expected) problems.length = 0;
                }
                rows.push(row);
                console.log(JSON.stringify(row));
            }
        await page.close();
    } finally {
        await browser.close();
        server.close();
    }
    finish('Spark 2.2.0 (three.js 0.187) against Splatscape\'s CPU rasterizer, same camera', rows,
        ['case', 'read', 'splats', 'psnr_db', 'bound_db', 'ok']);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
