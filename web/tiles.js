// Tiled level-of-detail scenes in the web viewer: a 3D Tiles 1.1 tileset of KHR_gaussian_splatting
// glTF tiles written by `splatscape export --format tiles` (docs/tiles.md), fetched over HTTP tile by
// tile (no server logic), decoded in a worker (tile_worker.js), and selected with the desktop
// viewer's rules (core/tiles/lod_selection.hpp, line for line, without the fades):
//   - screen-space error = geometric error * fy / distance to the tile's box; tiles outside the view
//     (widened by 8 px) are neither refined nor drawn;
//   - the desired cut refines the largest error first while it exceeds tau and the drawn splats and
//     the bytes of the cut with its ancestors stay within the budgets; a tile whose children are all
//     out of view refines to nothing;
//   - each desired tile is drawn when resident, else its resident descendants when they cover it, else
//     its nearest resident ancestor (the parent until its children arrive); never over the splat budget;
//   - loads coarse levels first, then by error, when they fit the memory budget, dropping the least
//     recently used tiles that are neither wanted nor drawn (then drawn ones that are not wanted).
// The hierarchy comes from hierarchy.json when the tileset names one (one request), else from
// tileset.json and its external tilesets (boxes turned from the 3D Tiles frame into the scene's).

import { SplatScene } from './formats.js';

const TILE_NEAR = 0.01;
const TILE_MARGIN_PX = 8;
const TILE_MAX_NODES = 1 << 20;
const TILE_MAX_SPLATS = 1 << 26;

// Columns of M: internal x, y, z -> 3D Tiles (-x, -z, -y); M^-1 = M^T.
function tilesToInternal(p) {
    return [-p[0], -p[2], -p[1]];
}

function tileUpRotation(up) {
    // The rotation U taking M up onto +z (as the writer's root transform), row-major.
    const a = [-up[0], -up[2], -up[1]];  // M up
    const n = Math.hypot(...a);
    const x = a.map((v) => v / n), b = [0, 0, 1];
    const c = x[2];
    if (c > 1 - 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
    if (c < -1 + 1e-12) return [1, 0, 0, 0, -1, 0, 0, 0, -1];
    const v = [x[1] * b[2] - x[2] * b[1], x[2] * b[0] - x[0] * b[2], x[0] * b[1] - x[1] * b[0]];
    const k = 1 / (1 + c);
    return [1 - k * (v[1] * v[1] + v[2] * v[2]), -v[2] + k * v[0] * v[1], v[1] + k * v[0] * v[2],
        v[2] + k * v[0] * v[1], 1 - k * (v[0] * v[0] + v[2] * v[2]), -v[0] + k * v[1] * v[2],
        -v[1] + k * v[0] * v[2], v[0] + k * v[1] * v[2], 1 - k * (v[0] * v[0] + v[1] * v[1])];
}

function tileMat4Mul(a, b) {  // column-major 4x4
    const out = new Array(16).fill(0);
    for (let c = 0; c < 4; ++c)
        for (let r = 0; r < 4; ++r)
            for (let k = 0; k < 4; ++k) out[c * 4 + r] += a[k * 4 + r] * b[c * 4 + k];
    return out;
}

function tileFinite(v) {
    return typeof v === 'number' && Number.isFinite(v);
}

// Reads the hierarchy: {nodes: [{parent, children, level, box: {min, max}, error, uri, splats, bytes}], shDegree, up, problems}.
export async function loadTileHierarchy(url) {
    const base = new URL(url, location.href);
    const fetchJson = async (u) => {
        const r = await fetch(u);
        if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
        return r.json();
    };
    const doc = await fetchJson(base.href);
    if (!doc || !doc.asset || !doc.root) throw new Error(`${base.href}: not a 3D Tiles tileset (no asset or root)`);
    const extras = (doc.asset.extras && doc.asset.extras.splatscape) || {};
    const tree = { nodes: [], shDegree: Number.isInteger(extras.shDegree) ? extras.shDegree : 3, up: [0, -1, 0], problems: [],
        base: base.href, fromHierarchy: false };
    if (Array.isArray(extras.up) && extras.up.length === 3 && extras.up.every(tileFinite) && Math.hypot(...extras.up) > 1e-6) {
        const n = Math.hypot(...extras.up);
        tree.up = extras.up.map((v) => v / n);
    }
    if (typeof extras.hierarchy === 'string' && !extras.hierarchy.includes('..')) {
        try {
            const h = await fetchJson(new URL(extras.hierarchy, base).href);
            if (h.format !== 'splatscape-tile-hierarchy' || !Array.isArray(h.nodes) || !h.nodes.length) throw new Error('not a tile hierarchy');
            if (h.nodes.length > TILE_MAX_NODES) throw new Error(`${h.nodes.length} tiles is more than supported`);
            h.nodes.forEach((n, i) => {
                if (!(Number.isInteger(n.parent) && n.parent < i && (i === 0) === (n.parent < 0)))
                    throw new Error(`nodes[${i}].parent: parents come first`);
                if (!(Array.isArray(n.box) && n.box.length === 6 && n.box.every(tileFinite))) throw new Error(`nodes[${i}].box`);
                if (!(tileFinite(n.error) && n.error >= 0)) throw new Error(`nodes[${i}].error`);
                if (!(tileFinite(n.splats) && n.splats >= 0 && n.splats <= TILE_MAX_SPLATS)) throw new Error(`nodes[${i}].splats is absurd`);
                const level = n.parent < 0 ? 0 : tree.nodes[n.parent].level + 1;
                tree.nodes.push({ parent: n.parent, children: [], level, box: { min: n.box.slice(0, 3), max: n.box.slice(3) },
                    error: n.error, uri: n.uri ? new URL(n.uri, base).href : '', splats: n.splats, bytes: n.bytes || 0 });
                if (n.parent >= 0) tree.nodes[n.parent].children.push(i);
            });
            tree.shDegree = Number.isInteger(h.shDegree) ? h.shDegree : tree.shDegree;
            tree.fromHierarchy = true;
            return tree;
        } catch (e) {
            tree.problems.push(`${extras.hierarchy}: ${e.message}; reading tileset.json instead`);
            tree.nodes = [];
        }
    }
    // tileset.json and its external tilesets.
    const U = tileUpRotation(tree.up);
    const Ut = [U[0], U[3], U[6], U[1], U[4], U[7], U[2], U[5], U[8]];  // U^-1 = U^T, row-major
    const toInternal = (p) => tilesToInternal([Ut[0] * p[0] + Ut[1] * p[1] + Ut[2] * p[2],
        Ut[3] * p[0] + Ut[4] * p[1] + Ut[5] * p[2], Ut[6] * p[0] + Ut[7] * p[1] + Ut[8] * p[2]]);
    const stack = [base.href];
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const readTile = async (t, parent, level, world, fileUrl) => {
        try {
            if (tree.nodes.length >= TILE_MAX_NODES) throw new Error('too many tiles');
            if (level >= 64) throw new Error('nested too deep');
            if (Array.isArray(t.transform) && t.transform.length === 16 && t.transform.every(tileFinite)) world = tileMat4Mul(world, t.transform);
            const bv = t.boundingVolume || {};
            let corners = [];
            if (Array.isArray(bv.box) && bv.box.length === 12 && bv.box.every(tileFinite)) {
                const b = bv.box;
                for (let k = 0; k < 8; ++k)
                    corners.push([0, 1, 2].map((a) => b[a] + ((k & 1) ? 1 : -1) * b[3 + a] + ((k & 2) ? 1 : -1) * b[6 + a] + ((k & 4) ? 1 : -1) * b[9 + a]));
            } else if (Array.isArray(bv.sphere) && bv.sphere.length === 4 && bv.sphere.every(tileFinite)) {
                const s = bv.sphere;
                for (let k = 0; k < 8; ++k) corners.push([0, 1, 2].map((a) => s[a] + ((k >> a) & 1 ? s[3] : -s[3])));
            } else {
                throw new Error(bv.region ? 'geographic regions are not supported' : 'boundingVolume: expected a box or a sphere');
            }
            const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
            for (const c of corners) {
                const w = [0, 1, 2].map((r) => world[r] * c[0] + world[4 + r] * c[1] + world[8 + r] * c[2] + world[12 + r]);
                const q = toInternal(w);
                for (let a = 0; a < 3; ++a) { min[a] = Math.min(min[a], q[a]); max[a] = Math.max(max[a], q[a]); }
            }
            if (!min.concat(max).every(Number.isFinite) || Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]) > 1e8)
                throw new Error('the box is absurd');
            if (!(tileFinite(t.geometricError) && t.geometricError >= 0)) throw new Error('geometricError: expected a finite number >= 0');
            const content = t.content || (Array.isArray(t.contents) ? t.contents[0] : null);
            const uri = content ? (content.uri || content.url || '') : '';
            if (uri && /^[a-z]+:|^\//i.test(uri)) throw new Error(`content ${uri}: only relative paths are read`);
            const resolved = uri ? new URL(uri, fileUrl).href : '';
            if (uri.toLowerCase().endsWith('.json')) {
                if (stack.includes(resolved)) throw new Error(`content ${uri} refers back to a tileset being read (a cycle)`);
                const sub = await fetchJson(resolved);
                if (!sub || !sub.root) throw new Error(`${uri}: no root tile`);
                stack.push(resolved);
                await readTile(sub.root, parent, level, world, resolved);
                stack.pop();
                return;
            }
            const id = tree.nodes.length;
            tree.nodes.push({ parent, children: [], level, box: { min, max }, error: t.geometricError, uri: resolved, splats: 0, bytes: 0 });
            if (parent >= 0) tree.nodes[parent].children.push(id);
            for (const c of t.children || []) await readTile(c, id, level + 1, world, fileUrl);
        } catch (e) {
            tree.problems.push(`${fileUrl}: ${e.message} (tile at level ${level} skipped with its subtree)`);
        }
    };
    await readTile(doc.root, -1, 0, identity, base.href);
    if (!tree.nodes.length) throw new Error(`${base.href}: no tile could be read${tree.problems.length ? ': ' + tree.problems[0] : ''}`);
    return tree;
}

function tileInFrustum(cam, b) {
    const R = cam.R, t = cam.t;
    const p = [];
    for (let k = 0; k < 8; ++k) {
        const w = [(k & 1) ? b.max[0] : b.min[0], (k & 2) ? b.max[1] : b.min[1], (k & 4) ? b.max[2] : b.min[2]];
        p.push([0, 1, 2].map((r) => R[3 * r] * w[0] + R[3 * r + 1] * w[1] + R[3 * r + 2] * w[2] + t[r]));
    }
    const m = TILE_MARGIN_PX, W = cam.width + m, H = cam.height + m;
    const allOut = (f) => p.every(f);
    if (allOut((q) => q[2] < TILE_NEAR)) return false;
    if (allOut((q) => cam.fx * q[0] + (cam.cx + m) * q[2] < 0)) return false;
    if (allOut((q) => cam.fx * q[0] + (cam.cx - W) * q[2] > 0)) return false;
    if (allOut((q) => cam.fy * q[1] + (cam.cy + m) * q[2] < 0)) return false;
    if (allOut((q) => cam.fy * q[1] + (cam.cy - H) * q[2] > 0)) return false;
    return true;
}

function tileSse(cam, node, center) {
    let d2 = 0;
    for (let a = 0; a < 3; ++a) {
        const d = Math.max(node.box.min[a] - center[a], center[a] - node.box.max[a], 0);
        d2 += d * d;
    }
    const dist = Math.sqrt(d2);
    return dist <= 0 ? Infinity : (node.error * cam.fy) / dist;
}

// The streaming state and the selection of one tiled scene.
export class TileStreamer {
    // options: budgetSplats (drawn), budgetBytes (resident, the splat texture's bytes), tau (pixels),
    // maxInFlight. `onChange` is called when the drawn set changed (a new scene to show).
    constructor(tree, options, onChange) {
        this.tree = tree;
        this.budgetSplats = options.budgetSplats > 0 ? options.budgetSplats : Infinity;
        this.budgetBytes = options.budgetBytes > 0 ? options.budgetBytes : Infinity;
        this.tau = options.tau > 0 ? options.tau : 4;
        this.maxInFlight = options.maxInFlight || 6;
        // Bytes a splat takes in the renderer's texture (renderer.js: 4 + ceil(3 (K - 1) / 4) RGBA32F texels).
        const K = (tree.shDegree + 1) * (tree.shDegree + 1);
        this.bytesPerSplat = 16 * (4 + Math.ceil((3 * (K - 1)) / 4));
        this.onChange = onChange;
        const n = tree.nodes.length;
        this.state = new Array(n).fill('absent');  // absent, loading, resident, failed
        this.data = new Array(n).fill(null);        // decoded arrays of resident tiles
        this.known = new Array(n).fill(0);          // splats of loaded tiles
        this.charged = new Array(n).fill(0);
        this.lastUsed = new Array(n).fill(0);
        this.residentBytes = 0;
        this.frame = 0;
        this.drawn = [];
        this.drawnKey = '';
        this.refined = false;
        this.fetched = 0;
        this.fetchedBytes = 0;
        this.maxDrawnSplats = 0;
        this.maxResidentBytes = 0;
        this.problems = tree.problems.slice();
        let largest = 0;
        for (const t of tree.nodes) largest = Math.max(largest, t.splats);
        this.unknownSplats = largest > 0 ? largest : 65536;
        this.worker = new Worker(new URL('./tile_worker.js', import.meta.url), { type: 'module' });
        this.worker.onmessage = (e) => this.arrived(e.data);
        this.worker.onerror = (e) => this.problems.push(`tile worker: ${e.message}`);
    }

    hasContent(t) { return !!this.tree.nodes[t].uri; }
    drawable(t) { return this.state[t] === 'resident' || !this.hasContent(t); }
    splats(t) {
        if (!this.hasContent(t) || this.state[t] === 'failed') return 0;
        if (this.state[t] === 'resident') return this.known[t];
        return this.tree.nodes[t].splats > 0 ? this.tree.nodes[t].splats : this.unknownSplats;
    }
    bytesOf(splats) { return splats * this.bytesPerSplat; }
    cost(t) {
        if (!this.hasContent(t) || this.state[t] === 'failed') return 0;
        if (this.state[t] === 'resident' || this.state[t] === 'loading') return this.charged[t];
        return this.bytesOf(this.splats(t));
    }
    setState(t, s, count = 0) {
        this.residentBytes -= this.charged[t];
        this.charged[t] = 0;
        this.state[t] = s;
        if (s !== 'resident') this.data[t] = null;
        if (s === 'resident') {
            const bytes = this.bytesOf(count);
            if (this.residentBytes + bytes > this.budgetBytes) {
                this.state[t] = 'absent';
                this.data[t] = null;
                return false;
            }
            this.known[t] = count;
            this.charged[t] = bytes;
            this.residentBytes += bytes;
            this.lastUsed[t] = this.frame;
        }
        return true;
    }

    arrived(msg) {
        const t = msg.id;
        if (this.state[t] !== 'loading') return;
        if (msg.error) {
            this.setState(t, 'failed');
            this.problems.push(msg.error);
            return;
        }
        this.fetched += 1;
        this.fetchedBytes += msg.bytes || 0;
        if (this.setState(t, 'resident', msg.count)) this.data[t] = msg;
        this.dirty = true;
    }

    // One frame for the camera {R, t, fx, fy, cx, cy, width, height}: loads, drops and the drawn set.
    update(cam) {
        this.frame++;
        const nodes = this.tree.nodes, n = nodes.length;
        const visible = new Uint8Array(n), desired = new Uint8Array(n), ancestor = new Uint8Array(n);
        const sse = new Float64Array(n);
        const center = [0, 1, 2].map((a) => -(cam.R[a] * cam.t[0] + cam.R[3 + a] * cam.t[1] + cam.R[6 + a] * cam.t[2]));
        const visibleChildren = (t) => nodes[t].children.filter((c) => {
            if (!tileInFrustum(cam, nodes[c].box)) return false;
            visible[c] = 1;
            sse[c] = tileSse(cam, nodes[c], center);
            return true;
        });
        const wantedList = [];
        if (tileInFrustum(cam, nodes[0].box)) {
            visible[0] = 1;
            sse[0] = tileSse(cam, nodes[0], center);
            let S = this.splats(0), B = this.cost(0);
            if (S <= this.budgetSplats && B <= this.budgetBytes) {
                const queue = [0];
                while (queue.length) {
                    // The largest error first; ties by id.
                    let best = 0;
                    for (let i = 1; i < queue.length; ++i)
                        if (sse[queue[i]] > sse[queue[best]] || (sse[queue[i]] === sse[queue[best]] && queue[i] < queue[best])) best = i;
                    const t = queue.splice(best, 1)[0];
                    const kids = visibleChildren(t);
                    const force = !this.hasContent(t) || this.state[t] === 'failed';
                    if (nodes[t].children.length && (force || sse[t] > this.tau)) {
                        let ks = 0, kb = 0;
                        for (const c of kids) { ks += this.splats(c); kb += this.cost(c); }
                        const after = S - this.splats(t) + ks;
                        if (after <= this.budgetSplats && B + kb <= this.budgetBytes) {
                            S = after;
                            B += kb;
                            ancestor[t] = 1;
                            queue.push(...kids);
                            continue;
                        }
                    }
                    desired[t] = 1;
                }
            }
        }
        const drawnBefore = new Uint8Array(n);
        for (const t of this.drawn) drawnBefore[t] = 1;
        for (let t = 0; t < n; ++t) if ((desired[t] || ancestor[t] || drawnBefore[t]) && this.state[t] === 'resident') this.lastUsed[t] = this.frame;
        const evictable = (tier) => {
            const out = [];
            for (let t = 0; t < n; ++t) {
                if (this.state[t] !== 'resident' || !this.hasContent(t)) continue;
                const wanted = desired[t] || ancestor[t];
                if ((tier === 1 && !wanted && !drawnBefore[t]) || (tier === 2 && !wanted && drawnBefore[t]) || (tier === 3 && wanted)) out.push(t);
            }
            if (tier === 3) out.sort((a, b) => nodes[b].level - nodes[a].level || b - a);
            else out.sort((a, b) => this.lastUsed[a] - this.lastUsed[b] || a - b);
            return out;
        };
        const makeRoom = (need, maxTier) => {
            for (let tier = 1; tier <= maxTier && this.residentBytes + need > this.budgetBytes; ++tier)
                for (const t of evictable(tier)) {
                    if (this.residentBytes + need <= this.budgetBytes) break;
                    this.setState(t, 'absent');
                }
            return this.residentBytes + need <= this.budgetBytes;
        };
        makeRoom(0, 3);
        for (let t = 0; t < n; ++t) if ((desired[t] || ancestor[t]) && this.hasContent(t) && this.state[t] === 'absent') wantedList.push(t);
        wantedList.sort((a, b) => nodes[a].level - nodes[b].level || sse[b] - sse[a] || a - b);
        let inFlight = this.state.filter((s) => s === 'loading').length;
        for (const t of wantedList) {
            if (inFlight >= this.maxInFlight) break;
            const need = this.bytesOf(this.splats(t));
            if (!makeRoom(need, 2)) break;
            this.state[t] = 'loading';
            this.charged[t] = need;
            this.residentBytes += need;
            inFlight++;
            this.worker.postMessage({ id: t, url: nodes[t].uri });
        }

        const completeMemo = new Int8Array(n).fill(-1);
        const complete = (t) => {
            if (completeMemo[t] >= 0) return completeMemo[t] === 1;
            let ok = this.drawable(t);
            if (!ok) {
                let any = false;
                ok = true;
                for (const c of nodes[t].children) {
                    if (!(visible[c] || tileInFrustum(cam, nodes[c].box))) continue;
                    visible[c] = 1;
                    any = true;
                    if (!complete(c)) { ok = false; break; }
                }
                ok = ok && any;
            }
            completeMemo[t] = ok ? 1 : 0;
            return ok;
        };
        const draw = [];
        let drawnSplats = 0;
        const emit = (t) => {
            if (!this.hasContent(t)) return;
            const s = this.known[t];
            if (drawnSplats + s > this.budgetSplats) return;
            drawnSplats += s;
            draw.push(t);
        };
        const cover = (t) => {
            if (this.drawable(t)) { emit(t); return; }
            for (const c of nodes[t].children) if (visible[c]) cover(c);
        };
        const walk = (t) => {
            if (desired[t]) { if (complete(t)) cover(t); return; }
            if (!ancestor[t]) return;
            const kids = nodes[t].children.filter((c) => desired[c] || ancestor[c]);
            const all = kids.every((c) => complete(c));
            if (!all && this.drawable(t) && this.hasContent(t)) { emit(t); return; }
            for (const c of kids) walk(c);
        };
        if (visible[0]) walk(0);
        let pending = false;
        for (let t = 0; t < n && !pending; ++t)
            if ((desired[t] || ancestor[t]) && this.hasContent(t) && (this.state[t] === 'absent' || this.state[t] === 'loading')) pending = true;
        const drawnSet = new Set(draw);
        let allDesired = true;
        for (let t = 0; t < n; ++t) if (desired[t] && this.hasContent(t) && this.state[t] !== 'failed' && !drawnSet.has(t)) allDesired = false;
        this.refined = !pending && allDesired;
        this.maxDrawnSplats = Math.max(this.maxDrawnSplats, drawnSplats);
        this.maxResidentBytes = Math.max(this.maxResidentBytes, this.residentBytes);
        this.drawnSplats = drawnSplats;
        const key = draw.join(',');
        const changed = key !== this.drawnKey;
        this.drawn = draw;
        this.drawnKey = key;
        if (changed && this.onChange) this.onChange(this.scene());
        return changed;
    }

    // The drawn tiles as one scene (their arrays concatenated in draw order).
    scene() {
        const degree = this.tree.shDegree;
        let count = 0;
        for (const t of this.drawn) count += this.known[t];
        const s = new SplatScene(count, degree);
        let o = 0;
        for (const t of this.drawn) {
            const d = this.data[t];
            s.positions.set(d.positions, 3 * o);
            s.scales.set(d.scales, 3 * o);
            s.rotations.set(d.rotations, 4 * o);
            s.opacities.set(d.opacities, o);
            const kd = (d.shDegree + 1) * (d.shDegree + 1), k = s.shCoeffs;
            if (kd === k) s.sh.set(d.sh, o * k * 3);
            else
                for (let i = 0; i < d.count; ++i)
                    for (let j = 0; j < Math.min(k, kd) * 3; ++j) s.sh[(o + i) * k * 3 + j] = d.sh[i * kd * 3 + j];
            o += d.count;
        }
        return s;
    }

    stats() {
        const count = (s) => this.state.filter((v) => v === s).length;
        return {
            tiles: this.tree.nodes.length, drawn: this.drawn.slice(), drawnSplats: this.drawnSplats || 0,
            resident: count('resident'), loading: count('loading'), failed: count('failed'), residentBytes: this.residentBytes,
            budgetSplats: this.budgetSplats, budgetBytes: this.budgetBytes, fetched: this.fetched, fetchedBytes: this.fetchedBytes,
            maxDrawnSplats: this.maxDrawnSplats, maxResidentBytes: this.maxResidentBytes, refined: this.refined,
            problems: this.problems.slice(), fromHierarchy: this.tree.fromHierarchy,
        };
    }
}
