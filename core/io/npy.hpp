#pragma once
// NumPy .npy arrays (format versions 1.0, 2.0 and 3.0): little- or big-endian float32, float64,
// int32 and int64, C order only. Input is untrusted: the header is parsed with bounds checks and
// the shape is compared with the bytes present before anything is allocated.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace splatscape {

enum class NpyDtype { Float32, Float64, Int32, Int64 };

// "<f4", "<f8", "<i4", "<i8" (what numpy writes on little-endian machines).
std::string to_string(NpyDtype dtype);
int npy_dtype_size(NpyDtype dtype);

struct NpyArray {
    std::vector<uint64_t> shape;        // () for a scalar
    NpyDtype dtype = NpyDtype::Float64; // as stored in the file
    std::vector<double> values;         // every element converted to double, C order

    uint64_t element_count() const;
    // Element (i, j) of a 2-D array.
    double at(size_t i, size_t j) const { return values[i * size_t(shape[1]) + j]; }
};

// Throws Error(file, field, problem) on anything malformed: magic, version, header syntax,
// unsupported dtype or Fortran order, or a shape that the data does not fill.
NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& file);
NpyArray read_npy(const std::filesystem::path& path);

// Encodes version 1.0 (2.0 when the header needs it) with the values converted to `dtype`.
std::vector<uint8_t> encode_npy(const std::vector<uint64_t>& shape, const std::vector<double>& values,
                                NpyDtype dtype = NpyDtype::Float64);
void write_npy(const std::filesystem::path& path, const std::vector<uint64_t>& shape, const std::vector<double>& values,
               NpyDtype dtype = NpyDtype::Float64);

} // namespace splatscape
