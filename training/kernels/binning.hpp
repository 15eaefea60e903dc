#pragma once
// Keys that order the (tile, Gaussian) pairs: tile id in the high 32 bits, the depth's IEEE bits in
// the low 32 (docs/rasterizer.md, "Binning and sorting"). Depth is positive, so its bits sort as
// unsigned integers.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

SPLATSCAPE_HD uint32_t float_bits(float f) {
    union {
        float f;
        uint32_t u;
    } v;
    v.f = f;
    return v.u;
}

SPLATSCAPE_HD uint64_t tile_depth_key(uint32_t tile_id, float depth) {
    return (uint64_t(tile_id) << 32) | uint64_t(float_bits(depth));
}

SPLATSCAPE_HD uint32_t key_tile(uint64_t key) {
    return uint32_t(key >> 32);
}

// Slot of (Gaussian, tile) inside the Gaussian's own run of keys, which lists its tiles row by row
// over its rectangle [x0, x1) x [y0, y1).
SPLATSCAPE_HD int rect_slot(int tx, int ty, int x0, int y0, int x1) {
    return (ty - y0) * (x1 - x0) + (tx - x0);
}

} // namespace splatscape::kern
