// Decodes the tiles of a tiled scene off the main thread (a module worker, so the page must be served
// over HTTP, as tiled scenes are). A tile is a glTF binary with KHR_gaussian_splatting, plain or
// SPZ-compressed with KHR_gaussian_splatting_compression_spz_2 (core/tiles/tile_content.hpp), both
// read by formats.js as any .glb is. Replies with the scene's arrays.
//   in:  {id, url}          out: {id, count, shDegree, positions, scales, rotations, opacities, sh} or {id, error}

import { parseScene } from './formats.js';

self.onmessage = async (e) => {
    const { id, url } = e.data;
    try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const s = await parseScene(bytes, 'glb');
        const arrays = [s.positions, s.scales, s.rotations, s.opacities, s.sh];
        self.postMessage({ id, count: s.count, shDegree: s.shDegree, bytes: bytes.length, positions: s.positions,
            scales: s.scales, rotations: s.rotations, opacities: s.opacities, sh: s.sh }, arrays.map((a) => a.buffer));
    } catch (err) {
        self.postMessage({ id, error: `${url}: ${err && err.message ? err.message : err}` });
    }
};
