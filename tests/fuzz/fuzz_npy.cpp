// libFuzzer target: NumPy .npy arrays (core/io/npy.hpp).
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "core/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        splatscape::NpyArray a = splatscape::parse_npy(data, size, "fuzz.npy");
        // What parsed must be self-consistent: as many values as the shape says.
        if (a.values.size() != a.element_count()) __builtin_trap();
    } catch (const splatscape::Error&) {
    }
    return 0;
}
