// libFuzzer target: PLY files, the general element reader and the 3DGS Gaussian layout (core/io/ply.hpp).
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "core/io/ply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        splatscape::read_gaussian_ply(data, size, "fuzz.ply");
    } catch (const splatscape::Error&) {
    }
    try {
        splatscape::PlyTable t = splatscape::read_ply_element(data, size, "fuzz.ply", "vertex");
        for (auto& [name, column] : t.columns)
            if (column.size() != t.count) __builtin_trap(); // every column holds one value per element
    } catch (const splatscape::Error&) {
    }
    return 0;
}
