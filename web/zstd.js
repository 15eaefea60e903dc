// Zstandard decompression for SPZ version 4, whose attribute streams are zstd frames (browsers have
// no native zstd): fzstd (third_party/fzstd, MIT; web/fzstd.js links to it), about 10 times faster
// than the decoder this viewer wrote itself before (web/README.md has the measurement). Here the
// size a frame declares is checked against what the caller expects before anything is allocated.
import { decompress } from './fzstd.js';

// The content size the first frame of `src` declares, or -1 when it does not say.
function zstdFrameContentSize(src) {
    if (src.length < 5 || ((src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0) !== 0xfd2fb528)
        throw new Error('zstd: bad frame magic');
    const fhd = src[4];
    const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1;
    const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
    if (!fcsBytes) return -1;
    const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3];
    if (at + fcsBytes > src.length) throw new Error('zstd: truncated frame header');
    let size = 0;
    for (let i = 0; i < fcsBytes; ++i) size += src[at + i] * 2 ** (8 * i);
    return fcsBytes === 2 ? size + 256 : size;
}

// Decompresses `src`; `maxSize` bounds the output (an Error past it).
export function zstdDecompress(src, maxSize) {
    const size = zstdFrameContentSize(src);
    if (size > maxSize) throw new Error(`zstd: frame holds ${size} bytes, more than the ${maxSize} expected`);
    try {
        // A frame that does not declare its size is decoded into a buffer of the expected size.
        return size >= 0 ? decompress(src) : decompress(src, new Uint8Array(maxSize));
    } catch (e) {
        throw new Error(`zstd: ${e.message}`);
    }
}
