// Decodes the tiles of a tiled scene off the main thread (a module worker, so the page must be served
// over HTTP, as tiled scenes are). A tile is a glTF binary with KHR_gaussian_splatting, plain or
// SPZ-compressed with KHR_gaussian_splatting_compression_spz_2 (core/tiles/tile_content.hpp): the
// SPZ payload holds glTF-frame values as they are, so after the SPZ reader's RUB -> internal turn
// (1, -1, -1) the glTF -> internal turn needs (-1, 1, -1) more. Replies with the scene's arrays.
//   in:  {id, url}          out: {id, count, shDegree, positions, scales, rotations, opacities, sh} or {id, error}

import { parseScene, applyAxisFlip } from './formats.js';

const SPZ_EXTENSION = 'KHR_gaussian_splatting_compression_spz_2';

function glbChunks(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length < 20 || view.getUint32(0, true) !== 0x46546c67) return null;
    const length = Math.min(view.getUint32(8, true), bytes.length);
    const jsonLength = view.getUint32(12, true);
    if (view.getUint32(16, true) !== 0x4e4f534a || 20 + jsonLength > length) throw new Error('GLB: bad JSON chunk');
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
    let o = 20 + jsonLength;
    o += (4 - (o % 4)) % 4;
    let bin = null;
    if (o + 8 <= length && view.getUint32(o + 4, true) === 0x004e4942) bin = bytes.subarray(o + 8, Math.min(length, o + 8 + view.getUint32(o, true)));
    return { json, bin };
}

async function decodeTile(bytes) {
    const glb = glbChunks(bytes);
    const spz = [];
    if (glb && JSON.stringify(glb.json.extensionsUsed || []).includes(SPZ_EXTENSION)) {
        for (const mesh of glb.json.meshes || [])
            for (const prim of mesh.primitives || []) {
                const ext = prim.extensions && prim.extensions.KHR_gaussian_splatting;
                const e = ext && ext.extensions && ext.extensions[SPZ_EXTENSION];
                if (!e) continue;
                const bv = (glb.json.bufferViews || [])[e.bufferView];
                if (!bv || !glb.bin) throw new Error(`${SPZ_EXTENSION}: buffer view ${e.bufferView} is missing`);
                const start = bv.byteOffset || 0;
                if (start + bv.byteLength > glb.bin.length) throw new Error(`${SPZ_EXTENSION}: buffer view runs past the data`);
                spz.push(glb.bin.subarray(start, start + bv.byteLength));
            }
    }
    if (!spz.length) return parseScene(bytes, 'glb');
    if (spz.length > 1) throw new Error('tiles with several SPZ primitives are not supported here');
    const scene = await parseScene(spz[0], 'spz');
    applyAxisFlip(scene, -1, 1, -1);
    return scene;
}

self.onmessage = async (e) => {
    const { id, url } = e.data;
    try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const s = await decodeTile(bytes);
        const arrays = [s.positions, s.scales, s.rotations, s.opacities, s.sh];
        self.postMessage({ id, count: s.count, shDegree: s.shDegree, bytes: bytes.length, positions: s.positions,
            scales: s.scales, rotations: s.rotations, opacities: s.opacities, sh: s.sh }, arrays.map((a) => a.buffer));
    } catch (err) {
        self.postMessage({ id, error: `${url}: ${err && err.message ? err.message : err}` });
    }
};
