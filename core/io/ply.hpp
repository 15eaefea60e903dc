#pragma once
// PLY: a general reader (ASCII, binary little- and big-endian; properties by name) and the
// reference 3DGS Gaussian layout on top of it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"
#include "core/point_cloud.hpp"

namespace splatscape {

enum class PlyType : uint8_t { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };
int ply_type_size(PlyType type);

struct PlyProperty {
    std::string name;
    PlyType type = PlyType::Float32;
    bool is_list = false;
    PlyType count_type = PlyType::UInt8;  // lists only
};

struct PlyElement {
    std::string name;
    uint64_t count = 0;
    std::vector<PlyProperty> properties;
    int find(const std::string& property) const;  // index or -1
};

enum class PlyFormat { Ascii, BinaryLittleEndian, BinaryBigEndian };

struct PlyHeader {
    PlyFormat format = PlyFormat::BinaryLittleEndian;
    std::vector<PlyElement> elements;
    std::vector<std::string> comments;
    size_t data_offset = 0;  // byte offset of the body
    const PlyElement* find(const std::string& element) const;
};

// The scalar properties of one element, converted to float, by name. List properties are skipped.
struct PlyTable {
    uint64_t count = 0;
    std::map<std::string, std::vector<float>> columns;
    bool has(const std::string& name) const { return columns.count(name) != 0; }
    const std::vector<float>& column(const std::string& name, const std::string& file) const;
};

// Parses the header of an in-memory PLY; throws Error naming `file` on anything malformed.
PlyHeader parse_ply_header(const uint8_t* data, size_t size, const std::string& file);
// Reads every scalar property of `element` (other elements are skipped, lists included).
// Counts are checked against the bytes actually present before anything is allocated.
PlyTable read_ply_element(const uint8_t* data, size_t size, const std::string& file, const std::string& element,
                          PlyHeader* header_out = nullptr);
PlyTable read_ply_element(const std::filesystem::path& path, const std::string& element,
                          PlyHeader* header_out = nullptr);

// A Gaussian scene in the reference 3DGS layout: x y z nx ny nz f_dc_0..2 f_rest_* opacity
// scale_0..2 rot_0..3 (f_rest channel-major, as the reference writes it). SH degree is inferred
// from the number of f_rest_* properties (0, 9, 24 or 45).
GaussianCloud read_gaussian_ply(const std::filesystem::path& path);
GaussianCloud read_gaussian_ply(const uint8_t* data, size_t size, const std::string& file);
GaussianCloud gaussians_from_ply_table(const PlyTable& table, const std::string& file);
// Writes the reference layout, binary little-endian, atomically.
void write_gaussian_ply(const std::filesystem::path& path, const GaussianCloud& cloud);
std::vector<uint8_t> encode_gaussian_ply(const GaussianCloud& cloud);

// Coloured point clouds: x y z (float) red green blue (uchar). Reading accepts float colours too.
PointCloud read_point_ply(const std::filesystem::path& path);
void write_point_ply(const std::filesystem::path& path, const PointCloud& points);

}  // namespace splatscape
