#include "core/io/ply_4d.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"

namespace splatscape {
namespace {

std::string temporal_name(int n, int index) {
    return cat("f_t", n, "_", index);
}

// "time_range 0 1" -> {0, 1}; false when the comment is not of that key.
bool comment_numbers(const std::string& comment, const std::string& key, std::vector<double>& out,
                     const std::string& file) {
    std::istringstream in(comment);
    std::string word;
    if (!(in >> word) || word != key) return false;
    out.clear();
    std::string token;
    while (in >> token) {
        char* end = nullptr;
        const double v = std::strtod(token.c_str(), &end);
        if (end == token.c_str() || *end != '\0' || !std::isfinite(v))
            throw Error(file, "comment " + key, cat("expected numbers, found '", token.substr(0, 32), "'"));
        out.push_back(v);
    }
    return true;
}

} // namespace

bool is_gaussian_4d_ply(const uint8_t* data, size_t size) {
    try {
        const PlyHeader h = parse_ply_header(data, size, "");
        const PlyElement* v = h.find("vertex");
        return v && v->find("t") >= 0 && v->find("rotr_0") >= 0;
    } catch (const Error&) {
        return false;
    }
}

bool is_gaussian_4d_ply(const std::filesystem::path& path) {
    if (lower_extension(path) != ".ply") return false;
    // The header is at most 1 MiB (the PLY reader's limit); read no more than that.
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string(), "", "cannot open the file");
    std::vector<uint8_t> head(size_t(1) << 20);
    in.read(reinterpret_cast<char*>(head.data()), std::streamsize(head.size()));
    head.resize(size_t(in.gcount()));
    return is_gaussian_4d_ply(head.data(), head.size());
}

GaussianCloud4d read_gaussian_4d_ply(const uint8_t* data, size_t size, const std::string& file) {
    PlyHeader header;
    const PlyTable t = read_ply_element(data, size, file, "vertex", &header);
    for (const char* name :
         {"x",     "y",     "z",     "t",      "opacity", "scale_0", "scale_1", "scale_2", "scale_3", "rot_0",
          "rot_1", "rot_2", "rot_3", "rotr_0", "rotr_1",  "rotr_2",  "rotr_3",  "f_dc_0",  "f_dc_1",  "f_dc_2"})
        if (!t.has(name))
            throw Error(file, std::string("property ") + name,
                        "missing: not a 4D Gaussian PLY (expected x y z t f_dc_* f_rest_* f_t<n>_* opacity scale_0..3 "
                        "rot_0..3 rotr_0..3)");
    int rest = 0;
    while (t.has("f_rest_" + std::to_string(rest))) ++rest;
    int degree = -1;
    for (int d = 0; d <= kMaxShDegree; ++d)
        if (rest == 3 * (sh_coeff_count(d) - 1)) degree = d;
    if (degree < 0) throw Error(file, "f_rest_*", cat("found ", rest, " f_rest properties; expected 0, 9, 24 or 45"));
    const int K = sh_coeff_count(degree);
    int degree_t = 0;
    while (t.has(temporal_name(degree_t + 1, 0))) ++degree_t;
    if (degree_t > kMaxShDegreeT)
        throw Error(file, "f_t*", cat("temporal degree ", degree_t, " exceeds ", kMaxShDegreeT));
    for (auto& [name, col] : t.columns) {
        (void)col;
        if (name.rfind("f_rest_", 0) == 0 && std::atoi(name.c_str() + 7) >= rest)
            throw Error(file, "property " + name, cat("f_rest_* indices are not contiguous (", rest, " before a gap)"));
        if (name.rfind("f_t", 0) == 0) {
            const int n = std::atoi(name.c_str() + 3);
            const size_t us = name.find('_');
            const int index = us == std::string::npos ? -1 : std::atoi(name.c_str() + us + 1);
            if (n < 1 || n > degree_t || index < 0 || index >= 3 * K)
                throw Error(file, "property " + name,
                            cat("unexpected: frequencies 1..", degree_t, " with ", 3 * K, " coefficients each (0..",
                                3 * K - 1, ") fit this file's spatial degree ", degree));
        }
    }
    for (int n = 1; n <= degree_t; ++n)
        for (int i = 0; i < 3 * K; ++i)
            if (!t.has(temporal_name(n, i)))
                throw Error(file, "property " + temporal_name(n, i),
                            cat("missing: frequency ", n, " needs ", 3 * K, " coefficients"));

    GaussianCloud4d c;
    const size_t N = t.count;
    c.resize(N, degree, degree_t);
    bool has_range = false, has_period = false;
    std::vector<double> v;
    for (const std::string& comment : header.comments) {
        if (comment_numbers(comment, "time_range", v, file)) {
            if (v.size() != 2) throw Error(file, "comment time_range", "expected two numbers: min max");
            c.time_min = float(v[0]);
            c.time_max = float(v[1]);
            has_range = true;
        } else if (comment_numbers(comment, "time_period", v, file)) {
            if (v.size() != 1) throw Error(file, "comment time_period", "expected one number");
            c.time_period = float(v[0]);
            has_period = true;
        }
    }
    if (!has_range) c.time_min = 0.0f, c.time_max = 1.0f;
    if (!has_period) c.time_period = c.time_max > c.time_min ? c.time_max - c.time_min : 1.0f;

    const int J = c.sh_coeffs();
    auto col = [&](const std::string& name) -> const std::vector<float>& { return t.column(name, file); };
    for (int a = 0; a < 3; ++a) {
        const auto& pos = col(std::string(1, "xyz"[a]));
        const auto& dc = col("f_dc_" + std::to_string(a));
        for (size_t i = 0; i < N; ++i) {
            c.positions[3 * i + a] = pos[i];
            c.sh[(i * J) * 3 + a] = dc[i];
        }
    }
    c.times = col("t");
    c.opacities = col("opacity");
    for (int a = 0; a < 4; ++a) {
        const auto& s = col("scale_" + std::to_string(a));
        const auto& l = col("rot_" + std::to_string(a));
        const auto& r = col("rotr_" + std::to_string(a));
        for (size_t i = 0; i < N; ++i) {
            c.log_scales[4 * i + a] = s[i];
            c.rotations_l[4 * i + a] = l[i];
            c.rotations_r[4 * i + a] = r[i];
        }
    }
    for (int ch = 0; ch < 3; ++ch)
        for (int k = 1; k < K; ++k) {
            const auto& r = col("f_rest_" + std::to_string(ch * (K - 1) + (k - 1)));
            for (size_t i = 0; i < N; ++i) c.sh[(i * J + k) * 3 + ch] = r[i];
        }
    for (int n = 1; n <= degree_t; ++n)
        for (int ch = 0; ch < 3; ++ch)
            for (int k = 0; k < K; ++k) {
                const auto& r = col(temporal_name(n, ch * K + k));
                for (size_t i = 0; i < N; ++i) c.sh[(i * J + n * K + k) * 3 + ch] = r[i];
            }
    c.validate(file.c_str());
    return c;
}

GaussianCloud4d read_gaussian_4d_ply(const std::filesystem::path& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return read_gaussian_4d_ply(bytes.data(), bytes.size(), path.string());
}

std::vector<uint8_t> encode_gaussian_4d_ply(const GaussianCloud4d& c) {
    c.validate("4D PLY writer");
    const size_t N = c.size();
    const int K = c.spatial_coeffs(), J = c.sh_coeffs();
    std::ostringstream hs;
    hs.precision(9);
    hs << "ply\nformat binary_little_endian 1.0\ncomment splatscape 4D Gaussians (gs4d)\n";
    hs << "comment time_range " << c.time_min << " " << c.time_max << "\n";
    hs << "comment time_period " << c.time_period << "\n";
    hs << "element vertex " << N << "\n";
    std::vector<std::string> names = {"x", "y", "z", "t", "f_dc_0", "f_dc_1", "f_dc_2"};
    for (int i = 0; i < 3 * (K - 1); ++i) names.push_back("f_rest_" + std::to_string(i));
    for (int n = 1; n <= c.sh_degree_t; ++n)
        for (int i = 0; i < 3 * K; ++i) names.push_back(temporal_name(n, i));
    names.push_back("opacity");
    for (int i = 0; i < 4; ++i) names.push_back("scale_" + std::to_string(i));
    for (int i = 0; i < 4; ++i) names.push_back("rot_" + std::to_string(i));
    for (int i = 0; i < 4; ++i) names.push_back("rotr_" + std::to_string(i));
    for (const auto& n : names) hs << "property float " << n << "\n";
    hs << "end_header\n";
    const std::string header = hs.str();
    const size_t floats = names.size();
    std::vector<uint8_t> out(header.size() + N * floats * 4);
    std::memcpy(out.data(), header.data(), header.size());
    std::vector<float> row(floats);
    uint8_t* dst = out.data() + header.size();
    static_assert(std::endian::native == std::endian::little, "PLY writer assumes a little-endian host");
    for (size_t i = 0; i < N; ++i) {
        size_t o = 0;
        for (int a = 0; a < 3; ++a) row[o++] = c.positions[3 * i + a];
        row[o++] = c.times[i];
        for (int a = 0; a < 3; ++a) row[o++] = c.sh[(i * J) * 3 + a];
        for (int ch = 0; ch < 3; ++ch)
            for (int k = 1; k < K; ++k) row[o++] = c.sh[(i * J + k) * 3 + ch];
        for (int n = 1; n <= c.sh_degree_t; ++n)
            for (int ch = 0; ch < 3; ++ch)
                for (int k = 0; k < K; ++k) row[o++] = c.sh[(i * J + n * K + k) * 3 + ch];
        row[o++] = c.opacities[i];
        for (int a = 0; a < 4; ++a) row[o++] = c.log_scales[4 * i + a];
        for (int a = 0; a < 4; ++a) row[o++] = c.rotations_l[4 * i + a];
        for (int a = 0; a < 4; ++a) row[o++] = c.rotations_r[4 * i + a];
        std::memcpy(dst + i * floats * 4, row.data(), floats * 4);
    }
    return out;
}

void write_gaussian_4d_ply(const std::filesystem::path& path, const GaussianCloud4d& cloud) {
    write_file_atomic(path, encode_gaussian_4d_ply(cloud));
}

} // namespace splatscape
