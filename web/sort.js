// Depth sorting in a Web Worker. The worker holds the splat centres; for each view it returns the
// indices of the splats in front of the near plane, back to front. Keys are the view-space depths
// p.z = R[2] . mu + t.z as float bits (positive, so their bits order like unsigned integers),
// sorted by a stable 4-pass LSD radix sort: equal depths keep index order front to back, as the
// tile rasterizer's stable sort does (docs/rasterizer.md). For 4D scenes the worker also holds each
// splat's motion (splat4d.js sliceMotion) and sorts the splats of the requested time by the depth of
// their sliced means, leaving out those whose marginal in t is below the cut-off.

export const NEAR_PLANE = 0.01;

// Runs inside the worker; created from its own source text so that it also works when the page
// is opened from disk (no worker script to fetch) and inside the standalone HTML export.
function sortWorkerMain() {
    let positions = null;
    let motion = null;  // 4D scenes: vx vy vz mu_t Sigma22 per splat
    let count = 0;
    let keys = null, keys2 = null, idx = null, idx2 = null;
    const counts = new Uint32Array(256 * 4);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    self.onmessage = (e) => {
        const msg = e.data;
        if (msg.positions) {
            positions = msg.positions;
            motion = msg.motion || null;
            count = msg.count;
            keys = new Uint32Array(count);
            keys2 = new Uint32Array(count);
            idx = new Uint32Array(count);
            idx2 = new Uint32Array(count);
            return;
        }
        if (!msg.view || !positions) return;
        const [r0, r1, r2, tz, near] = msg.view;
        const time = msg.time || 0, minWeight = msg.minWeight || 0;
        let n = 0;
        for (let i = 0; i < count; ++i) {
            let x = positions[3 * i], y = positions[3 * i + 1], zw = positions[3 * i + 2];
            if (motion) {
                const dt = time - motion[5 * i + 3];
                if (!(Math.exp((-0.5 * dt * dt) / motion[5 * i + 4]) >= minWeight)) continue;
                x += motion[5 * i] * dt;
                y += motion[5 * i + 1] * dt;
                zw += motion[5 * i + 2] * dt;
            }
            const z = r0 * x + r1 * y + r2 * zw + tz;
            if (!(z > near)) continue;
            f32[0] = z;
            keys[n] = u32[0];
            idx[n] = i;
            ++n;
        }
        counts.fill(0);
        for (let i = 0; i < n; ++i) {
            const k = keys[i];
            counts[k & 255]++;
            counts[256 + ((k >>> 8) & 255)]++;
            counts[512 + ((k >>> 16) & 255)]++;
            counts[768 + (k >>> 24)]++;
        }
        let srcK = keys, srcI = idx, dstK = keys2, dstI = idx2;
        for (let pass = 0; pass < 4; ++pass) {
            const base = pass * 256, shift = pass * 8;
            let sum = 0;
            for (let b = 0; b < 256; ++b) {
                const c = counts[base + b];
                counts[base + b] = sum;
                sum += c;
            }
            for (let i = 0; i < n; ++i) {
                const k = srcK[i];
                const slot = counts[base + ((k >>> shift) & 255)]++;
                dstK[slot] = k;
                dstI[slot] = srcI[i];
            }
            [srcK, dstK] = [dstK, srcK];
            [srcI, dstI] = [dstI, srcI];
        }
        // Ascending depth (front to back) -> back to front for "over" blending.
        const order = new Uint32Array(n);
        for (let i = 0; i < n; ++i) order[i] = srcI[n - 1 - i];
        self.postMessage({ order, id: msg.id }, [order.buffer]);
    };
}

export class DepthSorter {
    // `onSorted(order, id)` receives the back-to-front indices for request `id`.
    constructor(onSorted) {
        const source = `(${sortWorkerMain.toString()})();`;
        const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
        this.worker = new Worker(url);
        URL.revokeObjectURL(url);
        this.busy = false;
        this.pending = null;
        this.nextId = 1;
        this.worker.onmessage = (e) => {
            this.busy = false;
            onSorted(e.data.order, e.data.id);
            if (this.pending) {
                const p = this.pending;
                this.pending = null;
                this.post(p);
            }
        };
        this.worker.onerror = (e) => console.error('sort worker: ' + e.message);
    }
    // `motion` (4D scenes, splat4d.js sliceMotion): per splat vx vy vz mu_t Sigma22, or null.
    setPositions(positions, count, motion = null) {
        this.pending = null;
        this.worker.postMessage({ positions: positions.slice(0, count * 3), count,
            motion: motion ? motion.slice(0, count * 5) : null });
    }
    // Queues a sort for the camera (R row-major 3x3, t); returns the request id. Only the newest
    // request waits while the worker is busy.
    // `time` and `minWeight` matter for 4D scenes only.
    request(R, t, time = 0, minWeight = 0) {
        const req = { view: [R[6], R[7], R[8], t[2], NEAR_PLANE], time, minWeight, id: this.nextId++ };
        if (this.busy) this.pending = req;
        else this.post(req);
        return req.id;
    }
    post(req) {
        this.busy = true;
        this.worker.postMessage(req);
    }
}
