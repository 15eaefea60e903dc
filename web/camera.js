// The viewer's camera, in the desktop application's convention (docs/design.md, "Conventions"): the
// OpenCV / COLMAP camera frame (x right, y down, z forward), a world-to-camera rotation R
// (row-major 3x3) and translation t, and pinhole intrinsics fx fy cx cy in pixels of the canvas'
// drawing buffer, pixel (i, j) centred at (i + 0.5, j + 0.5). A world point mu lands at
// p = R mu + t, pixel (fx p.x / p.z + cx, fy p.y / p.z + cy), exactly as in docs/rasterizer.md.
//
// Controls: orbit (left drag: orbit, right or shift drag: pan, wheel: zoom) and fly (F toggles;
// W A S D move, Q E down and up, drag looks around). World "up" defaults to -y, the usual up of
// COLMAP-frame captures (an exported page sets the scene's own, web/views.js); U cycles it through
// -y, +y, +z, -z. R resets the view.

export function normalize3(v) {
    const n = Math.hypot(v[0], v[1], v[2]);
    return n > 0 ? [v[0] / n, v[1] / n, v[2] / n] : [0, 0, 0];
}
export function cross3(a, b) {
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export function dot3(a, b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export class ViewCamera {
    constructor() {
        this.R = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        this.t = [0, 0, 0];
        this.width = 1;
        this.height = 1;
        this.fovY = (50 * Math.PI) / 180;
        this.fixedIntrinsics = null;  // {fx, fy, cx, cy} set from outside (tests, URL)
        this.fx = this.fy = 1;
        this.cx = this.cy = 0.5;
    }
    resize(width, height) {
        this.width = width;
        this.height = height;
        if (this.fixedIntrinsics) {
            Object.assign(this, this.fixedIntrinsics);
        } else {
            this.fy = (0.5 * height) / Math.tan(this.fovY / 2);
            this.fx = this.fy;
            this.cx = width / 2;
            this.cy = height / 2;
        }
    }
    center() {  // camera centre in world: -R^T t
        const R = this.R, t = this.t;
        return [-(R[0] * t[0] + R[3] * t[1] + R[6] * t[2]), -(R[1] * t[0] + R[4] * t[1] + R[7] * t[2]),
            -(R[2] * t[0] + R[5] * t[1] + R[8] * t[2])];
    }
    // Rows of R are the camera axes in world coordinates: x right, y down, z forward.
    lookAt(eye, target, up) {
        const z = normalize3([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
        let u = [up[0] - dot3(up, z) * z[0], up[1] - dot3(up, z) * z[1], up[2] - dot3(up, z) * z[2]];
        if (Math.hypot(...u) < 1e-6) u = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
        const y = normalize3([-u[0], -u[1], -u[2]]);
        const x = cross3(y, z);
        this.R = [...x, ...y, ...z];
        this.t = [-dot3(x, eye), -dot3(y, eye), -dot3(z, eye)];
    }
}

const UP_AXES = [[0, -1, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1]];

export class CameraControls {
    constructor(canvas, camera) {
        this.canvas = canvas;
        this.camera = camera;
        this.mode = 'orbit';
        this.upIndex = 0;
        this.target = [0, 0, 0];
        this.distance = 5;
        this.yaw = 0;
        this.pitch = 0;
        this.home = null;
        this.customUp = null;  // a scene's own up direction (setUp), instead of UP_AXES
        this.keys = new Set();
        this.changed = true;
        this.enabled = true;
        this.attach();
    }
    get up() {
        return this.customUp || UP_AXES[this.upIndex];
    }
    setUp(up) {
        this.customUp = normalize3(up);
        this.changed = true;
    }
    // A horizontal basis (forward, side) perpendicular to up, fixed per up axis.
    basis() {
        const u = this.up;
        const ref = Math.abs(u[2]) > 0.5 ? [0, 1, 0] : [0, 0, 1];
        const f0 = normalize3(ref.map((v, a) => v - dot3(ref, u) * u[a]));
        return { u, f0, s0: cross3(u, f0) };
    }
    // Orbit state (target, distance, yaw, pitch) for an eye looking at `target`, without moving the
    // camera: the view set from outside stays exact until the user moves it. It is also the home view.
    setPose(eye, target) {
        const { u, f0, s0 } = this.basis();
        const d = [0, 1, 2].map((a) => target[a] - eye[a]);
        this.distance = Math.max(1e-4, Math.hypot(...d));
        const n = normalize3(d);
        this.pitch = Math.asin(Math.max(-1, Math.min(1, -dot3(n, u))));
        this.yaw = Math.atan2(dot3(n, s0), dot3(n, f0));
        this.target = target.slice();
        this.mode = 'orbit';
        this.home = { target: this.target.slice(), distance: this.distance, yaw: this.yaw, pitch: this.pitch };
        this.changed = false;
    }
    direction() {  // from the eye towards the target
        const { u, f0, s0 } = this.basis();
        const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch), cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
        return normalize3([0, 1, 2].map((a) => cp * (cy * f0[a] + sy * s0[a]) - sp * u[a]));
    }
    eye() {
        const d = this.direction();
        return [0, 1, 2].map((a) => this.target[a] - d[a] * this.distance);
    }
    // Frames a bounding sphere, looking along the horizontal forward axis from slightly above.
    fit(center, radius) {
        this.target = center.slice();
        this.distance = Math.max(1e-3, (radius / Math.tan(this.camera.fovY / 2)) * 1.05);
        this.yaw = 0;
        this.pitch = 0.25;
        this.home = { target: this.target.slice(), distance: this.distance, yaw: 0, pitch: 0.25 };
        this.changed = true;
    }
    reset() {
        if (!this.home) return;
        Object.assign(this, { target: this.home.target.slice(), distance: this.home.distance, yaw: this.home.yaw,
            pitch: this.home.pitch });
        this.changed = true;
    }
    apply() {
        this.camera.lookAt(this.eye(), this.target, this.up);
    }
    attach() {
        const c = this.canvas;
        let last = null, button = 0;
        c.addEventListener('contextmenu', (e) => e.preventDefault());
        c.addEventListener('pointerdown', (e) => {
            if (!this.enabled) return;
            last = [e.clientX, e.clientY];
            button = e.button === 2 || e.shiftKey ? 2 : 0;
            c.setPointerCapture(e.pointerId);
        });
        c.addEventListener('pointerup', (e) => {
            last = null;
            if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
        });
        c.addEventListener('pointermove', (e) => {
            if (!last || !this.enabled) return;
            const dx = e.clientX - last[0], dy = e.clientY - last[1];
            last = [e.clientX, e.clientY];
            if (button === 2) this.pan(dx, dy);
            else this.rotate(dx, dy);
        });
        c.addEventListener('wheel', (e) => {
            if (!this.enabled) return;
            e.preventDefault();
            this.zoom(Math.exp(e.deltaY * 0.001));
        }, { passive: false });
        window.addEventListener('keydown', (e) => {
            if (!this.enabled || e.target instanceof HTMLInputElement) return;
            const k = e.key.toLowerCase();
            if (k === 'f') this.setMode(this.mode === 'orbit' ? 'fly' : 'orbit');
            else if (k === 'u') {
                if (this.customUp) this.customUp = null;
                else this.upIndex = (this.upIndex + 1) % UP_AXES.length;
                this.yaw = 0;
                this.pitch = 0;
                this.changed = true;
            } else if (k === 'r') this.reset();
            else this.keys.add(k);
        });
        window.addEventListener('keyup', (e) => this.keys.delete(e.key.toLowerCase()));
        window.addEventListener('blur', () => this.keys.clear());
    }
    setMode(mode) {
        if (mode === this.mode) return;
        if (mode === 'orbit') {
            // Keep the eye; the new target sits at the old viewing distance.
            const eye = this.flyEye || this.eye();
            const d = this.direction();
            this.target = [0, 1, 2].map((a) => eye[a] + d[a] * this.distance);
        } else {
            this.flyEye = this.eye();
        }
        this.mode = mode;
        this.changed = true;
    }
    rotate(dx, dy) {
        const s = 0.005;
        this.yaw -= dx * s;
        this.pitch = Math.max(-1.55, Math.min(1.55, this.pitch + dy * s));
        if (this.mode === 'fly') this.target = this.flyTarget();
        this.changed = true;
    }
    flyTarget() {
        const d = this.direction();
        return [0, 1, 2].map((a) => this.flyEye[a] + d[a] * this.distance);
    }
    pan(dx, dy) {
        const R = this.camera.R;
        const scale = this.distance / this.camera.fy;
        for (let a = 0; a < 3; ++a) {
            // Drag moves the scene with the pointer: opposite to the camera's x (right) and y (down).
            const delta = -(R[a] * dx + R[3 + a] * dy) * scale;
            this.target[a] += delta;
            if (this.flyEye) this.flyEye[a] += delta;
        }
        this.changed = true;
    }
    zoom(factor) {
        if (this.mode === 'fly') {
            const d = this.direction();
            const step = this.distance * (factor - 1);
            for (let a = 0; a < 3; ++a) this.flyEye[a] -= d[a] * step;
            this.target = this.flyTarget();
        } else {
            this.distance = Math.max(1e-4, this.distance * factor);
        }
        this.changed = true;
    }
    // Moves with held keys in fly mode; returns whether the camera changed since the last call.
    update(dt) {
        if (this.mode === 'fly' && this.keys.size) {
            const d = this.direction();
            const right = [this.camera.R[0], this.camera.R[1], this.camera.R[2]];
            const u = this.up;
            const speed = this.distance * 0.8 * dt;
            const move = [0, 0, 0];
            const add = (v, s) => { for (let a = 0; a < 3; ++a) move[a] += v[a] * s; };
            if (this.keys.has('w')) add(d, speed);
            if (this.keys.has('s')) add(d, -speed);
            if (this.keys.has('d')) add(right, speed);
            if (this.keys.has('a')) add(right, -speed);
            if (this.keys.has('e')) add(u, speed);
            if (this.keys.has('q')) add(u, -speed);
            if (move.some((v) => v !== 0)) {
                for (let a = 0; a < 3; ++a) this.flyEye[a] += move[a];
                this.target = this.flyTarget();
                this.changed = true;
            }
        }
        const changed = this.changed;
        if (changed) {
            if (this.mode === 'fly') this.camera.lookAt(this.flyEye, this.flyTarget(), this.up);
            else this.apply();
        }
        this.changed = false;
        return changed;
    }
}
