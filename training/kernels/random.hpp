#pragma once
// Counter-based random numbers: a value is a pure function of (seed, stream, index), so a CPU loop,
// a CUDA kernel and a resumed run draw exactly the same numbers in any order or thread count.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

// The splitmix64 finaliser: a bijective 64-bit mix with good avalanche.
SPLATSCAPE_HD uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

SPLATSCAPE_HD uint64_t random_bits(uint64_t seed, uint64_t stream, uint64_t index) {
    return mix64(mix64(seed ^ mix64(stream)) + index);
}

// Uniform in (0, 1), never 0 or 1.
SPLATSCAPE_HD float random_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
    return (float(random_bits(seed, stream, index) >> 40) + 0.5f) * (1.0f / 16777216.0f);
}

// Standard normal by Box-Muller from draws 2 * index and 2 * index + 1 of the stream.
SPLATSCAPE_HD float random_normal(uint64_t seed, uint64_t stream, uint64_t index) {
    const float u1 = random_uniform(seed, stream, 2 * index);
    const float u2 = random_uniform(seed, stream, 2 * index + 1);
    // The max guards device builds with fast-math logf, which may return a tiny positive value for
    // u1 just below 1 (the square root would then be NaN); elsewhere it changes nothing.
    return ::sqrtf(hd_max(-2.0f * ::logf(u1), 0.0f)) * ::cosf(6.283185307179586f * u2);
}

} // namespace splatscape::kern
