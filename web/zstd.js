// A Zstandard decompressor (RFC 8878) for SPZ version 4, whose attribute streams are zstd frames;
// browsers have no native zstd. Frames without dictionaries: raw, RLE and compressed blocks,
// Huffman literals (1 or 4 streams, FSE-compressed or direct weights, treeless reuse), FSE
// sequences (predefined, RLE, compressed and repeat modes), repeat offsets, skippable frames.
// Checksums are not verified. Every read is bounds-checked and output never grows past
// `maxSize`, so a corrupt or hostile stream ends in an Error.

class ZstdError extends Error {}

function zfail(message) {
    throw new ZstdError(`zstd: ${message}`);
}

// Bits [pos, pos + n) of `src` as a little-endian number (n <= 32). Bits below 0 read as zero,
// which is what a backward stream that is read past its start yields.
function bitsAt(src, pos, n) {
    if (n === 0) return 0;
    let lowZeros = 0;
    if (pos < 0) {
        lowZeros = -pos;
        n -= lowZeros;
        pos = 0;
        if (n <= 0) return 0;
    }
    let v = 0, got = 0;
    while (got < n) {
        const off = pos & 7;
        const take = Math.min(8 - off, n - got);
        v += ((src[pos >> 3] >> off) & ((1 << take) - 1)) * 2 ** got;
        got += take;
        pos += take;
    }
    return v * 2 ** lowZeros;
}

// A backward bitstream over src[start, end): reading starts below the final 1-bit of the last byte.
class BackwardBits {
    constructor(src, start, end) {
        if (end <= start) zfail('empty bitstream');
        const last = src[end - 1];
        if (last === 0) zfail('bitstream without its end marker');
        this.src = src;
        this.base = start * 8;
        this.pos = (end - 1 - start) * 8 + (31 - Math.clz32(last));  // bits available, relative to base
    }
    read(n) {
        this.pos -= n;
        return bitsAt(this.src, this.base + this.pos, n);
    }
    peek(n) {
        return bitsAt(this.src, this.base + this.pos - n, n);
    }
    skip(n) {
        this.pos -= n;
    }
    overflowed() {
        return this.pos < 0;
    }
}

// Normalised counts -> decoding table {symbol, bits, base} (RFC 8878 4.1.1).
function buildFseTable(norm, accuracyLog) {
    const size = 1 << accuracyLog;
    const symbol = new Uint8Array(size), bits = new Uint8Array(size), base = new Uint16Array(size);
    const next = new Uint16Array(norm.length);
    let high = size - 1;
    for (let s = 0; s < norm.length; ++s) {
        if (norm[s] === -1) {
            symbol[high--] = s;
            next[s] = 1;
        } else {
            next[s] = norm[s];
        }
    }
    const step = (size >> 1) + (size >> 3) + 3, mask = size - 1;
    let pos = 0;
    for (let s = 0; s < norm.length; ++s)
        for (let i = 0; i < norm[s]; ++i) {
            symbol[pos] = s;
            do pos = (pos + step) & mask;
            while (pos > high);
        }
    if (pos !== 0) zfail('corrupt FSE distribution');
    for (let u = 0; u < size; ++u) {
        const s = symbol[u];
        const n = next[s]++;
        const b = accuracyLog - (31 - Math.clz32(n));
        bits[u] = b;
        base[u] = (n << b) - size;
    }
    return { symbol, bits, base, accuracyLog };
}

// FSE table description at src[offset]; returns {table, size} (bytes consumed).
function readFseTable(src, offset, end, maxSymbol, maxLog) {
    if (offset >= end) zfail('truncated FSE table description');
    let bit = offset * 8;
    const endBit = end * 8;
    const read = (n) => {
        if (bit + n > endBit) zfail('truncated FSE table description');
        const v = bitsAt(src, bit, n);
        bit += n;
        return v;
    };
    const peek = (n) => bitsAt(src, bit, Math.min(n, endBit - bit));
    const accuracyLog = read(4) + 5;
    if (accuracyLog > maxLog) zfail(`FSE accuracy log ${accuracyLog} above ${maxLog}`);
    const norm = [];
    let remaining = (1 << accuracyLog) + 1, threshold = 1 << accuracyLog, nbBits = accuracyLog + 1;
    let previousZero = false;
    while (remaining > 1) {
        if (previousZero) {
            let repeat = read(2), n = repeat;
            while (repeat === 3) {
                repeat = read(2);
                n += repeat;
            }
            for (let i = 0; i < n; ++i) norm.push(0);
            if (norm.length > maxSymbol + 1) zfail('too many FSE symbols');
            previousZero = false;
            continue;
        }
        const max = 2 * threshold - 1 - remaining;
        let count;
        const low = peek(nbBits - 1) & (threshold - 1);
        if (low < max) {
            count = low;
            read(nbBits - 1);
        } else {
            count = read(nbBits) & (2 * threshold - 1);
            if (count >= threshold) count -= max;
        }
        count -= 1;
        remaining -= Math.abs(count);
        norm.push(count);
        if (norm.length > maxSymbol + 1) zfail('too many FSE symbols');
        previousZero = count === 0;
        while (remaining < threshold) {
            nbBits--;
            threshold >>= 1;
        }
    }
    if (remaining !== 1) zfail('corrupt FSE distribution');
    return { table: buildFseTable(norm, accuracyLog), size: Math.ceil(bit / 8) - offset };
}

const LL_DEFAULT = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1];
const ML_DEFAULT = [1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1];
const OF_DEFAULT = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];
const LL_BASE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128,
    256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const LL_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16];
const ML_BASE = [];
const ML_BITS = [];
for (let c = 0; c < 32; ++c) {
    ML_BASE.push(c + 3);
    ML_BITS.push(0);
}
ML_BASE.push(35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539);
ML_BITS.push(1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);

let defaultTables = null;
function zstdDefaultTables() {
    if (!defaultTables)
        defaultTables = { ll: buildFseTable(LL_DEFAULT, 6), ml: buildFseTable(ML_DEFAULT, 6), of: buildFseTable(OF_DEFAULT, 5) };
    return defaultTables;
}

function rleTable(symbol) {
    return { symbol: Uint8Array.of(symbol), bits: Uint8Array.of(0), base: Uint16Array.of(0), accuracyLog: 0 };
}

// Huffman weights -> lookup table of 2^maxBits entries {symbol, bits}.
function buildHuffman(weights) {
    let sum = 0;
    for (const w of weights) {
        if (w > 11) zfail('Huffman weight above 11');
        if (w > 0) sum += 1 << (w - 1);
    }
    if (sum === 0) zfail('Huffman tree without symbols');
    const maxBits = 32 - Math.clz32(sum);  // highest bit of sum, plus one
    if (maxBits > 11) zfail('Huffman codes longer than 11 bits');
    const rest = (1 << maxBits) - sum;
    if (rest & (rest - 1)) zfail('Huffman weights do not complete a tree');
    const all = weights.concat([32 - Math.clz32(rest)]);  // the last weight is implied
    const size = 1 << maxBits;
    const symbol = new Uint8Array(size), bits = new Uint8Array(size);
    let pos = 0;
    for (let w = 1; w <= maxBits; ++w)
        for (let s = 0; s < all.length; ++s) {
            if (all[s] !== w) continue;
            const span = 1 << (w - 1);
            symbol.fill(s, pos, pos + span);
            bits.fill(maxBits + 1 - w, pos, pos + span);
            pos += span;
        }
    if (pos !== size) zfail('corrupt Huffman table');
    return { symbol, bits, maxBits };
}

function readHuffmanTree(src, offset, end) {
    if (offset >= end) zfail('truncated Huffman tree');
    const header = src[offset];
    const weights = [];
    if (header >= 128) {
        const count = header - 127, bytes = Math.ceil(count / 2);
        if (offset + 1 + bytes > end) zfail('truncated Huffman weights');
        for (let i = 0; i < count; ++i) {
            const b = src[offset + 1 + (i >> 1)];
            weights.push(i & 1 ? b & 15 : b >> 4);
        }
        return { huffman: buildHuffman(weights), size: 1 + bytes };
    }
    const streamEnd = offset + 1 + header;
    if (streamEnd > end) zfail('truncated Huffman weights');
    const { table, size } = readFseTable(src, offset + 1, streamEnd, 255, 6);
    const bits = new BackwardBits(src, offset + 1 + size, streamEnd);
    let s1 = bits.read(table.accuracyLog), s2 = bits.read(table.accuracyLog);
    for (;;) {
        weights.push(table.symbol[s1]);
        s1 = table.base[s1] + bits.read(table.bits[s1]);
        if (bits.overflowed()) {
            weights.push(table.symbol[s2]);
            break;
        }
        weights.push(table.symbol[s2]);
        s2 = table.base[s2] + bits.read(table.bits[s2]);
        if (bits.overflowed()) {
            weights.push(table.symbol[s1]);
            break;
        }
        if (weights.length > 255) zfail('too many Huffman weights');
    }
    return { huffman: buildHuffman(weights), size: 1 + header };
}

function decodeHuffmanStream(src, start, end, huffman, out, outPos, count) {
    const bits = new BackwardBits(src, start, end);
    const { symbol, bits: nb, maxBits } = huffman;
    for (let i = 0; i < count; ++i) {
        const index = bits.peek(maxBits);
        out[outPos + i] = symbol[index];
        bits.skip(nb[index]);
    }
    if (bits.pos !== 0) zfail('Huffman stream not consumed exactly');
}

// Literals section at src[offset]: returns {literals, size}.
function readLiterals(src, offset, end, state) {
    const b0 = src[offset];
    const type = b0 & 3, format = (b0 >> 2) & 3;
    let regen, compressed, headerSize, streams = 1;
    if (type < 2) {
        if (format === 0 || format === 2) {
            regen = b0 >> 3;
            headerSize = 1;
        } else if (format === 1) {
            regen = (b0 >> 4) + (src[offset + 1] << 4);
            headerSize = 2;
        } else {
            regen = (b0 >> 4) + (src[offset + 1] << 4) + (src[offset + 2] << 12);
            headerSize = 3;
        }
        if (offset + headerSize > end) zfail('truncated literals header');
        if (type === 0) {
            if (offset + headerSize + regen > end) zfail('truncated raw literals');
            return { literals: src.subarray(offset + headerSize, offset + headerSize + regen), size: headerSize + regen };
        }
        if (offset + headerSize + 1 > end) zfail('truncated RLE literals');
        return { literals: new Uint8Array(regen).fill(src[offset + headerSize]), size: headerSize + 1 };
    }
    headerSize = format < 2 ? 3 : format + 2;
    if (offset + headerSize > end) zfail('truncated literals header');
    let h = 0;
    for (let i = 0; i < headerSize; ++i) h += src[offset + i] * 2 ** (8 * i);
    const sizeBits = format < 2 ? 10 : format === 2 ? 14 : 18;
    regen = Math.floor(h / 16) % 2 ** sizeBits;
    compressed = Math.floor(h / 2 ** (4 + sizeBits)) % 2 ** sizeBits;
    streams = format === 0 ? 1 : 4;
    let p = offset + headerSize;
    const blockEnd = p + compressed;
    if (blockEnd > end) zfail('truncated compressed literals');
    if (type === 2) {
        const tree = readHuffmanTree(src, p, blockEnd);
        state.huffman = tree.huffman;
        p += tree.size;
    } else if (!state.huffman) {
        zfail('treeless literals without a previous Huffman table');
    }
    const literals = new Uint8Array(regen);
    if (streams === 1) {
        decodeHuffmanStream(src, p, blockEnd, state.huffman, literals, 0, regen);
    } else {
        if (p + 6 > blockEnd) zfail('truncated jump table');
        const s1 = src[p] | (src[p + 1] << 8), s2 = src[p + 2] | (src[p + 3] << 8), s3 = src[p + 4] | (src[p + 5] << 8);
        const starts = [p + 6, p + 6 + s1, p + 6 + s1 + s2, p + 6 + s1 + s2 + s3];
        if (starts[3] >= blockEnd) zfail('corrupt jump table');
        const ends = [starts[1], starts[2], starts[3], blockEnd];
        const seg = Math.floor((regen + 3) / 4);
        for (let k = 0; k < 4; ++k) {
            const count = k < 3 ? seg : regen - 3 * seg;
            if (count < 0) zfail('corrupt literals size');
            decodeHuffmanStream(src, starts[k], ends[k], state.huffman, literals, k * seg, count);
        }
    }
    return { literals, size: blockEnd - offset };
}

function readSequenceTable(src, p, end, mode, kind, state) {
    const defaults = zstdDefaultTables();
    const limits = { ll: [35, 9], ml: [52, 9], of: [31, 8] }[kind];
    if (mode === 0) return { table: defaults[kind], size: 0 };
    if (mode === 1) {
        if (p >= end) zfail('truncated RLE sequence table');
        return { table: rleTable(src[p]), size: 1 };
    }
    if (mode === 2) return readFseTable(src, p, end, limits[0], limits[1]);
    if (!state.tables[kind]) zfail('repeat mode without a previous table');
    return { table: state.tables[kind], size: 0 };
}

function decompressBlock(src, p, end, state, out) {
    const lit = readLiterals(src, p, end, state);
    p += lit.size;
    if (p >= end) zfail('truncated sequences section');
    const b0 = src[p];
    let nbSeq;
    if (p + (b0 < 128 ? 1 : b0 < 255 ? 2 : 3) > end) zfail('truncated sequences header');
    if (b0 < 128) {
        nbSeq = b0;
        p += 1;
    } else if (b0 < 255) {
        nbSeq = ((b0 - 128) << 8) + src[p + 1];
        p += 2;
    } else {
        nbSeq = src[p + 1] + (src[p + 2] << 8) + 0x7f00;
        p += 3;
    }
    const literals = lit.literals;
    if (nbSeq === 0) {
        out.write(literals, 0, literals.length);
        return;
    }
    const modes = src[p++];
    if (p > end || (modes & 3)) zfail('corrupt sequence modes');
    const tables = {};
    for (const [kind, shift] of [['ll', 6], ['of', 4], ['ml', 2]]) {
        const t = readSequenceTable(src, p, end, (modes >> shift) & 3, kind, state);
        tables[kind] = t.table;
        p += t.size;
    }
    state.tables = tables;
    const bits = new BackwardBits(src, p, end);
    let ll = bits.read(tables.ll.accuracyLog), of = bits.read(tables.of.accuracyLog), ml = bits.read(tables.ml.accuracyLog);
    const rep = state.rep;
    let litPos = 0;
    for (let i = 0; i < nbSeq; ++i) {
        const ofCode = tables.of.symbol[of], mlCode = tables.ml.symbol[ml], llCode = tables.ll.symbol[ll];
        if (ofCode > 31 || mlCode > 52 || llCode > 35) zfail('corrupt sequence code');
        const offsetValue = 2 ** ofCode + bits.read(ofCode);
        const matchLength = ML_BASE[mlCode] + bits.read(ML_BITS[mlCode]);
        const literalLength = LL_BASE[llCode] + bits.read(LL_BITS[llCode]);
        let offset;
        if (offsetValue > 3) {
            offset = offsetValue - 3;
            rep[2] = rep[1];
            rep[1] = rep[0];
            rep[0] = offset;
        } else {
            const index = offsetValue - 1 + (literalLength === 0 ? 1 : 0);
            if (index === 0) {
                offset = rep[0];
            } else {
                offset = index === 3 ? rep[0] - 1 : rep[index];
                if (index !== 1) rep[2] = rep[1];
                rep[1] = rep[0];
                rep[0] = offset;
            }
        }
        if (i + 1 < nbSeq) {
            ll = tables.ll.base[ll] + bits.read(tables.ll.bits[ll]);
            ml = tables.ml.base[ml] + bits.read(tables.ml.bits[ml]);
            of = tables.of.base[of] + bits.read(tables.of.bits[of]);
        }
        if (litPos + literalLength > literals.length) zfail('sequence needs more literals than decoded');
        out.write(literals, litPos, literalLength);
        litPos += literalLength;
        out.copyMatch(offset, matchLength);
    }
    if (bits.pos !== 0) zfail('sequence bitstream not consumed exactly');
    out.write(literals, litPos, literals.length - litPos);
}

class ZstdOutput {
    constructor(maxSize) {
        this.max = maxSize;
        this.buf = new Uint8Array(Math.min(maxSize, 1 << 20));
        this.len = 0;
        this.frameStart = 0;
    }
    reserve(n) {
        if (this.len + n > this.max) zfail(`output larger than the ${this.max} bytes expected`);
        if (this.len + n > this.buf.length) {
            const grown = new Uint8Array(Math.min(this.max, Math.max(this.buf.length * 2, this.len + n)));
            grown.set(this.buf.subarray(0, this.len));
            this.buf = grown;
        }
    }
    write(src, start, n) {
        if (n <= 0) return;
        this.reserve(n);
        this.buf.set(src.subarray(start, start + n), this.len);
        this.len += n;
    }
    fill(value, n) {
        this.reserve(n);
        this.buf.fill(value, this.len, this.len + n);
        this.len += n;
    }
    copyMatch(offset, n) {
        if (offset <= 0 || offset > this.len - this.frameStart) zfail('match offset before the start of the data');
        this.reserve(n);
        const b = this.buf;
        let from = this.len - offset;
        for (let i = 0; i < n; ++i) b[this.len++] = b[from++];
    }
}

// Decompresses every frame in `src`; `maxSize` bounds the output (an Error past it).
export function zstdDecompress(src, maxSize) {
    const out = new ZstdOutput(maxSize);
    let p = 0;
    while (p < src.length) {
        if (p + 4 > src.length) zfail('truncated frame');
        const magic = (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
        p += 4;
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {  // skippable frame
            if (p + 4 > src.length) zfail('truncated skippable frame');
            p += 4 + ((src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0);
            continue;
        }
        if (magic !== 0xfd2fb528) zfail('bad frame magic');
        if (p >= src.length) zfail('truncated frame header');
        const fhd = src[p++];
        const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1, dictFlag = fhd & 3;
        if (fhd & 8) zfail('reserved frame header bit set');
        if (!single) p += 1;  // window descriptor: output is bounded by maxSize instead
        const dictBytes = [0, 1, 2, 4][dictFlag];
        let dictId = 0;
        for (let i = 0; i < dictBytes; ++i) dictId += src[p + i] * 2 ** (8 * i);
        if (dictId !== 0) zfail('frames with dictionaries are not supported');
        p += dictBytes;
        const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
        let contentSize = -1;
        if (fcsBytes) {
            contentSize = 0;
            for (let i = 0; i < fcsBytes; ++i) contentSize += src[p + i] * 2 ** (8 * i);
            if (fcsBytes === 2) contentSize += 256;
            if (contentSize > maxSize - out.len) zfail(`frame holds ${contentSize} bytes, more than expected`);
        }
        p += fcsBytes;
        if (p > src.length) zfail('truncated frame header');
        out.frameStart = out.len;
        const state = { rep: [1, 4, 8], huffman: null, tables: { ll: null, ml: null, of: null } };
        for (;;) {
            if (p + 3 > src.length) zfail('truncated block header');
            const header = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
            p += 3;
            const last = header & 1, type = (header >> 1) & 3, size = header >>> 3;
            if (size > 1 << 17) zfail('block larger than 128 KiB');
            if (type === 0) {
                if (p + size > src.length) zfail('truncated raw block');
                out.write(src, p, size);
                p += size;
            } else if (type === 1) {
                if (p + 1 > src.length) zfail('truncated RLE block');
                out.fill(src[p], size);
                p += 1;
            } else if (type === 2) {
                if (p + size > src.length) zfail('truncated compressed block');
                decompressBlock(src, p, p + size, state, out);
                p += size;
            } else {
                zfail('reserved block type');
            }
            if (last) break;
        }
        if (contentSize >= 0 && out.len - out.frameStart !== contentSize) zfail('frame size differs from its header');
        if (checksum) p += 4;
    }
    return out.buf.subarray(0, out.len);
}
