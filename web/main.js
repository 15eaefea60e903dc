// Splatscape web viewer: loads a scene (URL parameter ?url=, the file picker, drag and drop, or the
// scene embedded by `splatscape export --format html`), shows it while it downloads, sorts splats
// by depth in a worker and draws them with WebGL2. URL parameters:
//   url=<scene file>   bg=r,g,b (0..1)   sh=<max SH degree>   fov=<vertical degrees>
//   float=0 (blend in the 8-bit canvas instead of a float target)
//   continuous=1 (draw every animation frame, to measure FPS; otherwise frames are drawn on change)
//   camera=<JSON {R: row-major 3x3 world-to-camera, t: [3], fx, fy, cx, cy}> (OpenCV convention)
//   4D scenes (gs4d PLY): time=<scene time>  play=1  speed=<x>  loop=0
//   tiled scenes (tiles.js): tileset=<tileset.json>  budget=<splats drawn>  budget_mb=<MiB resident>  tau=<px>
// window.splatscape exposes the same controls to scripts and tests.

import { SceneLoader, detectFormat } from './formats.js';
import { DepthSorter } from './sort.js';
import { ViewCamera, CameraControls } from './camera.js';
import { SplatRenderer } from './renderer.js';
import { MIN_TEMPORAL_WEIGHT, sliceMotion } from './splat4d.js';
import { TileStreamer, loadTileHierarchy } from './tiles.js';
import { addViewMenu, embeddedViews, showView } from './views.js';

const params = new URLSearchParams(location.search);
const canvas = document.getElementById('canvas');
const ui = {
    progress: document.getElementById('progress'),
    bar: document.getElementById('bar'),
    message: document.getElementById('message'),
    fps: document.getElementById('fps'),
    name: document.getElementById('name'),
    mode: document.getElementById('mode'),
    timebar: document.getElementById('timebar'),
    time: document.getElementById('time'),
    timeValue: document.getElementById('timevalue'),
    play: document.getElementById('play'),
    speed: document.getElementById('speed'),
    loop: document.getElementById('loop'),
    drop: document.getElementById('drop'),
    file: document.getElementById('file'),
};

const pageViews = embeddedViews();  // cameras and up of an exported page (views.js)
const viewer = {
    views: pageViews,
    viewIndex: 0,
    camera: new ViewCamera(),
    renderer: null,
    sorter: null,
    controls: null,
    scene: null,
    background: params.has('bg') ? params.get('bg').split(',').map(Number) : (pageViews && pageViews.background) || [0, 0, 0],
    maxShDegree: params.has('sh') ? Number(params.get('sh')) : 3,
    manualCamera: false,
    continuous: params.get('continuous') === '1',
    dirty: true,
    userMoved: false,
    sortedId: 0,
    requestedId: 0,
    waiters: [],
    loadToken: 0,
    frames: 0,
    totalFrames: 0,
    fpsStart: performance.now(),
    fps: 0,
    // 4D scenes: the scene time shown, and playback (1x plays the time range in kPlaySeconds).
    time: 0,
    playing: params.get('play') === '1',
    speed: params.has('speed') ? Number(params.get('speed')) : 1,
    loop: params.get('loop') !== '0',
};

const kPlaySeconds = 5;

function is4d() {
    return !!(viewer.scene && viewer.scene.is4d);
}

function setTime(time) {
    if (!is4d()) return;
    const s = viewer.scene;
    viewer.time = Math.min(s.timeMax, Math.max(s.timeMin, Number(time)));
    viewer.renderer.time = viewer.time;
    ui.time.value = String(viewer.time);
    ui.timeValue.textContent = viewer.time.toFixed(3);
    requestSort();
    viewer.dirty = true;
}

function setPlaying(playing) {
    viewer.playing = playing;
    ui.play.textContent = playing ? '❚❚' : '▶';
}

// Advances the time while playing; wraps at the end when looping, else stops there.
function advanceTime(dt) {
    if (!is4d() || !viewer.playing) return;
    const s = viewer.scene, span = s.timeMax - s.timeMin;
    let t = viewer.time + (dt * viewer.speed * (span > 0 ? span : 1)) / kPlaySeconds;
    if (t > s.timeMax) {
        if (viewer.loop && span > 0) t = s.timeMin + ((t - s.timeMin) % span);
        else {
            t = s.timeMax;
            setPlaying(false);
        }
    }
    setTime(t);
}

function showMessage(text, isError) {
    ui.message.textContent = text || '';
    ui.message.className = isError ? 'error' : '';
    ui.message.style.display = text ? 'block' : 'none';
}

function setProgress(fraction) {
    if (fraction === null) {
        ui.progress.style.display = 'none';
        return;
    }
    ui.progress.style.display = 'block';
    ui.bar.style.width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

// Robust bounds (2nd to 98th percentile per axis, on at most 100k samples) for framing.
function sceneBounds(scene) {
    const n = scene.loaded;
    const step = Math.max(1, Math.floor(n / 100000));
    const lo = [], hi = [];
    for (let a = 0; a < 3; ++a) {
        const values = [];
        for (let i = 0; i < n; i += step) values.push(scene.positions[3 * i + a]);
        values.sort((x, y) => x - y);
        lo.push(values[Math.floor(values.length * 0.02)] || 0);
        hi.push(values[Math.min(values.length - 1, Math.floor(values.length * 0.98))] || 0);
    }
    const center = lo.map((v, a) => 0.5 * (v + hi[a]));
    const radius = Math.max(1e-3, 0.5 * Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]));
    return { center, radius };
}

// The page's camera number `index` (views.js), with the orbit about the scene's own up.
function goToView(index) {
    viewer.viewIndex = index;
    viewer.manualCamera = false;
    viewer.controls.setUp(viewer.views.up);
    showView(viewer.camera, viewer.controls, viewer.views.cameras[index]);
    viewer.userMoved = false;
    viewer.dirty = true;
    requestSort();
}

function frameScene() {
    if (!viewer.scene || viewer.manualCamera) return;
    if (viewer.views) return goToView(viewer.viewIndex);
    const { center, radius } = sceneBounds(viewer.scene);
    viewer.controls.fit(center, radius);
    viewer.userMoved = false;
}

function requestSort() {
    if (!viewer.scene) return;
    viewer.requestedId = is4d()
        ? viewer.sorter.request(viewer.camera.R, viewer.camera.t, viewer.time, MIN_TEMPORAL_WEIGHT)
        : viewer.sorter.request(viewer.camera.R, viewer.camera.t);
}

function sortPositions(scene) {
    viewer.sorter.setPositions(scene.positions, scene.loaded, scene.is4d ? sliceMotion(scene, scene.loaded) : null);
}

function setScene(scene) {
    viewer.scene = scene;
    viewer.renderer.setScene(scene);
    sortPositions(scene);
    ui.timebar.style.display = scene.is4d ? 'flex' : 'none';
    if (scene.is4d) {
        ui.time.min = String(scene.timeMin);
        ui.time.max = String(scene.timeMax);
        ui.time.step = String(Math.max(1e-4, (scene.timeMax - scene.timeMin) / 1000));
        setTime(params.has('time') ? Number(params.get('time')) : scene.timeMin);
    }
    frameScene();
    viewer.controls.update(0);
    requestSort();
}

// Called as rows arrive: upload the new ones and re-sort.
function growScene(scene) {
    viewer.renderer.updateRows(scene.loaded);
    sortPositions(scene);
    requestSort();
}

function finishScene(scene, name) {
    if (scene !== viewer.scene) {
        setScene(scene);
    } else {
        growScene(scene);
        if (!viewer.userMoved) frameScene();
    }
    ui.name.textContent = `${name} · ${scene.count.toLocaleString()} splats · SH ${scene.shDegree}` +
        (scene.is4d ? ` · 4D, time ${scene.timeMin}..${scene.timeMax}` : '');
    window.splatscape.is4d = !!scene.is4d;
    window.splatscape.timeRange = scene.is4d ? [scene.timeMin, scene.timeMax] : null;
    window.splatscape.loaded = true;
    window.splatscape.count = scene.count;
    window.splatscape.shDegree = scene.shDegree;
    setProgress(null);
    showMessage('');
}

async function loadStream(stream, name, totalBytes) {
    const token = ++viewer.loadToken;
    window.splatscape.loaded = false;
    showMessage(`Loading ${name}…`);
    setProgress(0);
    let buffer = new Uint8Array(totalBytes > 0 ? totalBytes : 1 << 20);
    let received = 0;
    let format = detectFormat(name, null);
    let loader = format ? new SceneLoader(format, totalBytes) : null;
    let lastUpdate = 0;
    const reader = stream.getReader();
    for (;;) {
        const { done, value } = await reader.read();
        if (token !== viewer.loadToken) return;  // a newer load started
        if (done) break;
        if (received + value.length > buffer.length) {
            const grown = new Uint8Array(Math.max(buffer.length * 2, received + value.length));
            grown.set(buffer.subarray(0, received));
            buffer = grown;
        }
        buffer.set(value, received);
        received += value.length;
        if (!loader) {
            format = detectFormat(name, buffer.subarray(0, received));
            if (format) loader = new SceneLoader(format, totalBytes);
        }
        if (totalBytes > 0) setProgress(received / totalBytes);
        const now = performance.now();
        if (loader && now - lastUpdate > 150) {
            lastUpdate = now;
            const partial = loader.progress(buffer.subarray(0, received));
            if (partial && partial.loaded > 0 && partial.loaded < partial.count) window.splatscape.partialUpdates++;
            if (partial && partial.loaded > 0) {
                if (partial !== viewer.scene) setScene(partial);
                else growScene(partial);
            }
        }
    }
    const bytes = buffer.subarray(0, received);
    if (!loader) {
        format = detectFormat(name, bytes);
        if (!format) throw new Error(`${name}: unknown scene format (expected .ply, .splat, .spz, .glb, .gltf or .s4d)`);
        loader = new SceneLoader(format, received);
    }
    showMessage(`Decoding ${name}…`);
    let scene;
    try {
        scene = await loader.finish(bytes);
    } catch (e) {
        throw new Error(`${name}: ${e.message}`);
    }
    if (token !== viewer.loadToken) return;
    finishScene(scene, name);
}

async function loadUrl(url) {
    const name = decodeURIComponent(url.split('/').pop().split('?')[0]) || url;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const length = Number(response.headers.get('Content-Length')) || 0;
    // A compressed transfer reports the compressed length; progress then is only indicative.
    const encoded = response.headers.get('Content-Encoding');
    await loadStream(response.body, name, encoded ? 0 : length);
}

async function loadFile(file) {
    await loadStream(file.stream(), file.name, file.size);
}

function decodeBase64(text) {
    const table = new Uint8Array(128);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let i = 0; i < 64; ++i) table[alphabet.charCodeAt(i)] = i;
    const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
    const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
    let o = 0;
    for (let i = 0; i < clean.length; i += 4) {
        const a = table[clean.charCodeAt(i)], b = table[clean.charCodeAt(i + 1)];
        const c = i + 2 < clean.length ? table[clean.charCodeAt(i + 2)] : 0;
        const d = i + 3 < clean.length ? table[clean.charCodeAt(i + 3)] : 0;
        const v = (a << 18) | (b << 12) | (c << 6) | d;
        if (o < out.length) out[o++] = v >> 16;
        if (o < out.length) out[o++] = (v >> 8) & 255;
        if (o < out.length) out[o++] = v & 255;
    }
    return out;
}

async function loadEmbedded(element) {
    const name = element.dataset.name || 'scene';
    showMessage(`Decoding ${name}…`);
    const bytes = decodeBase64(element.textContent);
    const scene = await new SceneLoader(element.dataset.format || 'spz', bytes.length).finish(bytes);
    finishScene(scene, name);
}

function fail(error) {
    console.warn(error);
    setProgress(null);
    showMessage(error && error.message ? error.message : String(error), true);
    window.splatscape.error = error && error.message ? error.message : String(error);
}

function resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h || viewer.camera.width !== w || viewer.camera.height !== h) {
        canvas.width = w;
        canvas.height = h;
        viewer.camera.resize(w, h);
        return true;
    }
    return false;
}

// A tiled scene: the streamer selects and fetches tiles as the camera moves (tiles.js); each new
// drawn set becomes the scene shown.
async function loadTileset(url) {
    showMessage(`Loading ${url}…`);
    const tree = await loadTileHierarchy(url);
    const mib = Number(params.get('budget_mb') || 0);
    viewer.tiles = new TileStreamer(tree, { budgetSplats: Number(params.get('budget') || 0), budgetBytes: mib * 1048576,
        tau: Number(params.get('tau') || 4) }, (scene) => {
        viewer.scene = scene;
        viewer.renderer.setScene(scene);
        sortPositions(scene);
        requestSort();
        viewer.dirty = true;
        window.splatscape.count = scene.count;
    });
    viewer.controls.setUp(tree.up);  // the scene's own up (tileset.json records it)
    const b = tree.nodes[0].box;
    if (!viewer.manualCamera) {
        viewer.controls.fit(b.min.map((v, a) => 0.5 * (v + b.max[a])), 0.5 * Math.hypot(...b.max.map((v, a) => v - b.min[a])));
        viewer.controls.update(0);
    }
    ui.name.textContent = `${url} · ${tree.nodes.length} tiles`;
    window.splatscape.tiled = true;
    window.splatscape.loaded = true;
    window.splatscape.shDegree = tree.shDegree;
    showMessage('');
}

function drawFrame() {
    viewer.renderer.render(viewer.camera, viewer.background, viewer.maxShDegree);
    viewer.frames++;
    viewer.totalFrames++;
    viewer.dirty = false;
}

function tick(now) {
    const dt = Math.min(0.1, (now - (viewer.lastTick || now)) / 1000);
    viewer.lastTick = now;
    const resized = resize();
    advanceTime(dt);
    const moved = !viewer.manualCamera && viewer.controls.update(dt);
    if (moved && viewer.controls.home) viewer.userMoved = true;
    if (moved || resized) {
        requestSort();
        viewer.dirty = true;
    }
    if (viewer.tiles && (moved || resized || viewer.tiles.dirty || !viewer.tiles.refined)) {
        viewer.tiles.dirty = false;
        viewer.tiles.update(viewer.camera);
    }
    if (viewer.dirty || viewer.continuous) drawFrame();
    if (now - viewer.fpsStart >= 1000) {
        // Frames drawn in the last second: the frame rate while the view changes (or always, with
        // continuous=1); an idle view is not redrawn.
        viewer.fps = (viewer.frames * 1000) / (now - viewer.fpsStart);
        viewer.frames = 0;
        viewer.fpsStart = now;
        const count = viewer.scene ? viewer.scene.loaded.toLocaleString() : '0';
        ui.fps.textContent = `${viewer.fps > 0 ? viewer.fps.toFixed(0) + ' FPS' : 'idle'} · ${count} splats`;
        window.splatscape.fps = viewer.fps;
    }
    ui.mode.textContent = viewer.controls.mode;
    requestAnimationFrame(tick);
}

function setCamera(spec) {
    viewer.manualCamera = true;
    viewer.dirty = true;
    viewer.camera.fixedIntrinsics = { fx: spec.fx, fy: spec.fy, cx: spec.cx, cy: spec.cy };
    viewer.camera.resize(viewer.camera.width, viewer.camera.height);
    viewer.camera.R = spec.R.slice();
    viewer.camera.t = spec.t.slice();
    requestSort();
}

// Resolves once the newest requested sort has arrived and a frame with it has been drawn.
function renderOnce() {
    resize();
    requestSort();
    const wanted = viewer.requestedId;
    return new Promise((resolve) => {
        const check = () => {
            if (viewer.sortedId >= wanted) {
                drawFrame();
                viewer.renderer.gl.finish();
                resolve();
            } else {
                viewer.waiters.push(check);
            }
        };
        check();
    });
}

function main() {
    window.splatscape = {
        loaded: false, error: null, count: 0, shDegree: 0, fps: 0, partialUpdates: 0,
        setCamera, renderOnce,
        is4d: false, timeRange: null,
        setTime: (t) => setTime(t), time: () => viewer.time,
        play: () => setPlaying(true), pause: () => setPlaying(false),
        hideUi: () => document.body.classList.add('no-ui'),
        cameraPose: () => ({ R: viewer.camera.R.slice(), t: viewer.camera.t.slice(), mode: viewer.controls.mode }),
        views: viewer.views,
        showView: (i) => goToView(i),
        framesDrawn: () => viewer.totalFrames,
        load: (url) => loadUrl(url).catch(fail),
        tiled: false,
        tileStats: () => (viewer.tiles ? viewer.tiles.stats() : null),
    };
    window.addEventListener('error', (e) => fail(e.error || e.message));
    window.addEventListener('unhandledrejection', (e) => fail(e.reason));
    try {
        viewer.renderer = new SplatRenderer(canvas);
    } catch (e) {
        fail(e);
        return;
    }
    if (params.get('float') === '0') viewer.renderer.floatTarget = null;
    window.splatscape.rendererName = viewer.renderer.rendererName;
    window.splatscape.floatTarget = viewer.renderer.floatTarget;
    if (params.has('fov')) viewer.camera.fovY = (Number(params.get('fov')) * Math.PI) / 180;
    viewer.controls = new CameraControls(canvas, viewer.camera);
    if (viewer.views) addViewMenu(viewer.views, (i) => goToView(i));
    viewer.sorter = new DepthSorter((order, id) => {
        viewer.renderer.setOrder(order);
        viewer.dirty = true;
        viewer.sortedId = Math.max(viewer.sortedId, id);
        const waiters = viewer.waiters;
        viewer.waiters = [];
        for (const w of waiters) w();
    });
    resize();
    if (params.has('camera')) setCamera(JSON.parse(params.get('camera')));

    ui.time.addEventListener('input', () => setTime(Number(ui.time.value)));
    ui.play.addEventListener('click', () => setPlaying(!viewer.playing));
    ui.speed.value = String(viewer.speed);
    ui.speed.addEventListener('change', () => { viewer.speed = Number(ui.speed.value); });
    ui.loop.checked = viewer.loop;
    ui.loop.addEventListener('change', () => { viewer.loop = ui.loop.checked; });
    setPlaying(viewer.playing);
    window.addEventListener('keydown', (e) => {
        if (e.code === 'Space' && is4d() && e.target === document.body) {
            e.preventDefault();
            setPlaying(!viewer.playing);
        }
    });
    ui.file.addEventListener('change', () => {
        if (ui.file.files.length) loadFile(ui.file.files[0]).catch(fail);
    });
    window.addEventListener('dragover', (e) => {
        e.preventDefault();
        ui.drop.style.display = 'flex';
    });
    window.addEventListener('dragleave', (e) => {
        if (e.relatedTarget === null) ui.drop.style.display = 'none';
    });
    window.addEventListener('drop', (e) => {
        e.preventDefault();
        ui.drop.style.display = 'none';
        if (e.dataTransfer.files.length) loadFile(e.dataTransfer.files[0]).catch(fail);
    });

    const embedded = document.getElementById('splatscape-scene');
    const tileset = params.get('tileset') || document.body.dataset.tileset;
    if (tileset) loadTileset(tileset).catch(fail);
    else if (embedded) loadEmbedded(embedded).catch(fail);
    else if (params.has('url')) loadUrl(params.get('url')).catch(fail);
    else showMessage('Open a .ply, .splat, .spz or .glb file, drop one here, or pass ?url=');
    window.splatscape.ready = true;
    requestAnimationFrame(tick);
}

main();
