#pragma once
// A small seeded generator whose output is the same on every platform and standard library
// (std::uniform_real_distribution is not specified bit for bit, so generated scenes would differ).
#include <cstdint>

namespace splatscape::scene {

// SplitMix64 (Steele, Lea and Flood 2014): 64-bit state, one multiply-xorshift chain per draw.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}

    uint64_t next() {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1), 24 random bits.
    float uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [0, n), n > 0 (multiply-shift; bias below 2^-32 for the sizes used here).
    uint32_t below(uint32_t n) { return uint32_t(((next() >> 32) * uint64_t(n)) >> 32); }

private:
    uint64_t m_state;
};

} // namespace splatscape::scene
