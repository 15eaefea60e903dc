#include "core/io/colmap.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape {
namespace {

// Ids and parameter counts from COLMAP's camera model definitions (src/colmap/sensor/models.h).
constexpr ColmapCameraModelInfo kModels[] = {
    {0, "SIMPLE_PINHOLE", 3, "f, cx, cy"},
    {1, "PINHOLE", 4, "fx, fy, cx, cy"},
    {2, "SIMPLE_RADIAL", 4, "f, cx, cy, k"},
    {3, "RADIAL", 5, "f, cx, cy, k1, k2"},
    {4, "OPENCV", 8, "fx, fy, cx, cy, k1, k2, p1, p2"},
    {5, "OPENCV_FISHEYE", 8, "fx, fy, cx, cy, k1, k2, k3, k4"},
    {6, "FULL_OPENCV", 12, "fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6"},
    {7, "FOV", 5, "fx, fy, cx, cy, omega"},
    {8, "SIMPLE_RADIAL_FISHEYE", 4, "f, cx, cy, k"},
    {9, "RADIAL_FISHEYE", 5, "f, cx, cy, k1, k2"},
    {10, "THIN_PRISM_FISHEYE", 12, "fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, sx1, sy1"},
    {11, "RAD_TAN_THIN_PRISM_FISHEYE", 16, "fx, fy, cx, cy, k0, k1, k2, k3, k4, k5, p0, p1, s0, s1, s2, s3"},
    {12, "SIMPLE_DIVISION", 4, "f, cx, cy, k"},
    {13, "DIVISION", 5, "fx, fy, cx, cy, k"},
    {14, "SIMPLE_FISHEYE", 3, "f, cx, cy"},
    {15, "FISHEYE", 4, "fx, fy, cx, cy"},
    {16, "EUCM", 6, "fx, fy, cx, cy, alpha, beta"},
    {17, "EQUIRECTANGULAR", 2, "w, h"},
};

constexpr size_t kMaxNameLength = 4096;
// Smallest record each binary file can hold; used to reject counts the file cannot contain.
constexpr uint64_t kMinCameraBytes = 4 + 4 + 8 + 8;
constexpr uint64_t kMinImageBytes = 4 + 4 * 8 + 3 * 8 + 4 + 1 + 8;
constexpr uint64_t kMinPointBytes = 8 + 3 * 8 + 3 + 8 + 8;
constexpr uint64_t kPoint2dBytes = 8 + 8 + 8;
constexpr uint64_t kTrackElementBytes = 4 + 4;

std::string known_model_names() {
    std::string s;
    for (auto& m : kModels) s += (s.empty() ? "" : ", ") + std::string(m.name);
    return s;
}

void require_finite(double v, const std::string& file, const std::string& field) {
    if (!std::isfinite(v)) throw Error(file, field, "expected a finite number");
}

void check_quaternion(const std::array<double, 4>& q, const std::string& file, const std::string& field) {
    for (double v : q) require_finite(v, file, field);
    double n = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    if (!(n > 1e-12)) throw Error(file, field, "the rotation quaternion has zero length");
}

// ---- text ------------------------------------------------------------------------------------

// Splits a text file into lines and lines into whitespace-separated tokens, tracking line numbers
// for messages.
class LineReader {
public:
    LineReader(std::string_view text) : m_text(text) {}
    // Next line (without its end-of-line), or false at the end.
    bool next(std::string_view& line) {
        if (m_pos >= m_text.size()) return false;
        size_t end = m_text.find('\n', m_pos);
        if (end == std::string_view::npos) end = m_text.size();
        line = m_text.substr(m_pos, end - m_pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        m_pos = end + 1;
        ++m_line;
        return true;
    }
    // Next line that is neither blank nor a comment.
    bool next_content(std::string_view& line) {
        while (next(line)) {
            std::string_view t = trim(line);
            if (!t.empty() && t[0] != '#') {
                line = t;
                return true;
            }
        }
        return false;
    }
    int line_number() const { return m_line; }

    static std::string_view trim(std::string_view s) {
        size_t b = 0, e = s.size();
        while (b < e && is_space(s[b])) ++b;
        while (e > b && is_space(s[e - 1])) --e;
        return s.substr(b, e - b);
    }
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

private:
    std::string_view m_text;
    size_t m_pos = 0;
    int m_line = 0;
};

class Tokens {
public:
    Tokens(std::string_view line, const std::string& file, int line_number)
        : m_line(line), m_file(file), m_where(cat("line ", line_number)) {}

    bool done() {
        skip_space();
        return m_pos >= m_line.size();
    }
    std::string_view next(const char* what) {
        skip_space();
        if (m_pos >= m_line.size()) throw Error(m_file, m_where, cat("missing ", what));
        size_t b = m_pos;
        while (m_pos < m_line.size() && !LineReader::is_space(m_line[m_pos])) ++m_pos;
        return m_line.substr(b, m_pos - b);
    }
    std::string_view rest() {
        skip_space();
        return LineReader::trim(m_line.substr(m_pos));
    }
    template <class T>
    T integer(const char* what) {
        std::string_view tok = next(what);
        T v{};
        auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
        if (ec != std::errc() || p != tok.data() + tok.size())
            throw Error(m_file, m_where, cat(what, ": expected an integer, found '", tok.substr(0, 32), "'"));
        return v;
    }
    double number(const char* what, bool finite = true) {
        std::string_view tok = next(what);
        double v = 0;
        auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
        if (ec == std::errc::result_out_of_range || (ec == std::errc() && finite && !std::isfinite(v)))
            throw Error(m_file, m_where, cat(what, ": expected a finite number, found '", tok.substr(0, 32), "'"));
        if (ec != std::errc() || p != tok.data() + tok.size())
            throw Error(m_file, m_where, cat(what, ": expected a number, found '", tok.substr(0, 32), "'"));
        return v;
    }
    const std::string& where() const { return m_where; }

private:
    void skip_space() {
        while (m_pos < m_line.size() && LineReader::is_space(m_line[m_pos])) ++m_pos;
    }
    std::string_view m_line;
    size_t m_pos = 0;
    const std::string& m_file;
    std::string m_where;
};

void put_double(std::string& out, double v) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.17g", v); // 17 significant digits round-trip a double
    out.append(buf, size_t(n));
}

// ---- binary ----------------------------------------------------------------------------------

template <class T>
void put(std::vector<uint8_t>& out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
}

} // namespace

const ColmapCameraModelInfo* colmap_camera_model(int id) {
    for (auto& m : kModels)
        if (m.id == id) return &m;
    return nullptr;
}

const ColmapCameraModelInfo* colmap_camera_model(std::string_view name) {
    for (auto& m : kModels)
        if (name == m.name) return &m;
    return nullptr;
}

const ColmapCamera* ColmapModel::find_camera(uint32_t id) const {
    for (auto& c : cameras)
        if (c.id == id) return &c;
    return nullptr;
}

// ---- binary readers --------------------------------------------------------------------------

std::vector<ColmapCamera> parse_colmap_cameras_binary(const uint8_t* data, size_t size, const std::string& file) {
    ByteReader in(data, size, file);
    uint64_t count = in.read<uint64_t>("number of cameras");
    in.require(count, kMinCameraBytes, "number of cameras");
    std::vector<ColmapCamera> cameras;
    cameras.reserve(size_t(count));
    std::unordered_set<uint32_t> ids;
    for (uint64_t i = 0; i < count; ++i) {
        const std::string field = cat("camera ", i);
        ColmapCamera c;
        c.id = in.read<uint32_t>("camera_id");
        int32_t model_id = in.read<int32_t>("model_id");
        const ColmapCameraModelInfo* info = colmap_camera_model(model_id);
        if (!info)
            throw Error(
                file, cat("camera ", c.id, " model_id"),
                cat("unknown camera model id ", model_id, " (COLMAP documents ids 0..17: ", known_model_names(), ")"));
        c.model = info->name;
        c.width = in.read<uint64_t>("width");
        c.height = in.read<uint64_t>("height");
        in.require(uint64_t(info->num_params), 8, "params");
        c.params.resize(size_t(info->num_params));
        for (double& p : c.params) {
            p = in.read<double>("params");
            require_finite(p, file, cat("camera ", c.id, " params"));
        }
        if (!ids.insert(c.id).second) throw Error(file, field, cat("duplicate camera id ", c.id));
        cameras.push_back(std::move(c));
    }
    return cameras;
}

std::vector<ColmapImage> parse_colmap_images_binary(const uint8_t* data, size_t size, const std::string& file,
                                                    bool with_observations) {
    ByteReader in(data, size, file);
    uint64_t count = in.read<uint64_t>("number of images");
    in.require(count, kMinImageBytes, "number of images");
    std::vector<ColmapImage> images;
    images.reserve(size_t(count));
    std::unordered_set<uint32_t> ids;
    for (uint64_t i = 0; i < count; ++i) {
        ColmapImage im;
        im.id = in.read<uint32_t>("image_id");
        const std::string field = cat("image ", im.id);
        for (double& q : im.qvec) q = in.read<double>("qvec");
        for (double& t : im.tvec) t = in.read<double>("tvec");
        check_quaternion(im.qvec, file, field + " qvec");
        for (double t : im.tvec) require_finite(t, file, field + " tvec");
        im.camera_id = in.read<uint32_t>("camera_id");
        im.name = in.read_cstring("name", kMaxNameLength);
        if (im.name.empty()) throw Error(file, field + " name", "empty image name");
        uint64_t n = in.read<uint64_t>("number of points2D");
        in.require(n, kPoint2dBytes, "points2D");
        if (with_observations) {
            im.xys.resize(size_t(n));
            im.point3d_ids.resize(size_t(n));
            for (uint64_t k = 0; k < n; ++k) {
                im.xys[k][0] = in.read<double>("points2D x");
                im.xys[k][1] = in.read<double>("points2D y");
                im.point3d_ids[k] = in.read<int64_t>("points2D point3D_id");
            }
        } else {
            in.skip(size_t(n * kPoint2dBytes), "points2D");
        }
        if (!ids.insert(im.id).second) throw Error(file, field, cat("duplicate image id ", im.id));
        images.push_back(std::move(im));
    }
    return images;
}

std::vector<ColmapPoint3D> parse_colmap_points3d_binary(const uint8_t* data, size_t size, const std::string& file,
                                                        bool with_observations) {
    ByteReader in(data, size, file);
    uint64_t count = in.read<uint64_t>("number of points");
    in.require(count, kMinPointBytes, "number of points");
    std::vector<ColmapPoint3D> points;
    points.reserve(size_t(count));
    std::unordered_set<uint64_t> ids;
    ids.reserve(size_t(count));
    for (uint64_t i = 0; i < count; ++i) {
        ColmapPoint3D p;
        p.id = in.read<uint64_t>("point3D_id");
        for (double& x : p.xyz) {
            x = in.read<double>("xyz");
            require_finite(x, file, cat("point ", p.id, " xyz"));
        }
        for (uint8_t& c : p.rgb) c = in.read<uint8_t>("rgb");
        p.error = in.read<double>("error");
        uint64_t n = in.read<uint64_t>("track length");
        in.require(n, kTrackElementBytes, "track");
        if (with_observations) {
            p.track.resize(size_t(n));
            for (auto& t : p.track) {
                t.image_id = in.read<uint32_t>("track image_id");
                t.point2d_idx = in.read<uint32_t>("track point2D_idx");
            }
        } else {
            in.skip(size_t(n * kTrackElementBytes), "track");
        }
        if (!ids.insert(p.id).second) throw Error(file, cat("point ", p.id), cat("duplicate point id ", p.id));
        points.push_back(std::move(p));
    }
    return points;
}

// ---- text readers ----------------------------------------------------------------------------

std::vector<ColmapCamera> parse_colmap_cameras_text(std::string_view text, const std::string& file) {
    LineReader lines(text);
    std::string_view line;
    std::vector<ColmapCamera> cameras;
    std::unordered_set<uint32_t> ids;
    while (lines.next_content(line)) {
        Tokens tok(line, file, lines.line_number());
        ColmapCamera c;
        c.id = tok.integer<uint32_t>("CAMERA_ID");
        std::string_view model = tok.next("MODEL");
        const ColmapCameraModelInfo* info = colmap_camera_model(model);
        if (!info)
            throw Error(
                file, tok.where() + " MODEL",
                cat("unknown camera model '", model.substr(0, 40), "' (COLMAP documents: ", known_model_names(), ")"));
        c.model = info->name;
        c.width = tok.integer<uint64_t>("WIDTH");
        c.height = tok.integer<uint64_t>("HEIGHT");
        while (!tok.done()) {
            c.params.push_back(tok.number("PARAMS"));
            if (c.params.size() > size_t(info->num_params)) break;
        }
        if (c.params.size() != size_t(info->num_params))
            throw Error(file, tok.where() + " PARAMS",
                        cat(info->name, " takes ", info->num_params, " parameters (", info->params, "), found ",
                            c.params.size() > size_t(info->num_params) ? "more" : std::to_string(c.params.size())));
        if (!ids.insert(c.id).second) throw Error(file, tok.where(), cat("duplicate camera id ", c.id));
        cameras.push_back(std::move(c));
    }
    return cameras;
}

std::vector<ColmapImage> parse_colmap_images_text(std::string_view text, const std::string& file,
                                                  bool with_observations) {
    LineReader lines(text);
    std::string_view line;
    std::vector<ColmapImage> images;
    std::unordered_set<uint32_t> ids;
    while (lines.next_content(line)) {
        Tokens tok(line, file, lines.line_number());
        ColmapImage im;
        im.id = tok.integer<uint32_t>("IMAGE_ID");
        for (double& q : im.qvec) q = tok.number("QW QX QY QZ");
        for (double& t : im.tvec) t = tok.number("TX TY TZ");
        check_quaternion(im.qvec, file, tok.where() + " QW QX QY QZ");
        im.camera_id = tok.integer<uint32_t>("CAMERA_ID");
        std::string_view name = tok.rest();
        if (name.empty()) throw Error(file, tok.where() + " NAME", "missing image name");
        if (name.size() > kMaxNameLength) throw Error(file, tok.where() + " NAME", "image name too long");
        im.name = std::string(name);
        // Every image line is followed by its keypoint line, which may be empty (COLMAP writes it so).
        std::string_view points;
        if (lines.next(points) && with_observations) {
            Tokens pt(points, file, lines.line_number());
            while (!pt.done()) {
                double x = pt.number("POINTS2D X", false);
                double y = pt.number("POINTS2D Y", false);
                im.xys.push_back({x, y});
                im.point3d_ids.push_back(pt.integer<int64_t>("POINTS2D POINT3D_ID"));
            }
        }
        if (!ids.insert(im.id).second) throw Error(file, tok.where(), cat("duplicate image id ", im.id));
        images.push_back(std::move(im));
    }
    return images;
}

std::vector<ColmapPoint3D> parse_colmap_points3d_text(std::string_view text, const std::string& file,
                                                      bool with_observations) {
    LineReader lines(text);
    std::string_view line;
    std::vector<ColmapPoint3D> points;
    std::unordered_set<uint64_t> ids;
    while (lines.next_content(line)) {
        Tokens tok(line, file, lines.line_number());
        ColmapPoint3D p;
        p.id = tok.integer<uint64_t>("POINT3D_ID");
        for (double& x : p.xyz) x = tok.number("X Y Z");
        for (uint8_t& c : p.rgb) {
            int v = tok.integer<int>("R G B");
            if (v < 0 || v > 255) throw Error(file, tok.where() + " R G B", cat("colour ", v, " is outside 0..255"));
            c = uint8_t(v);
        }
        p.error = tok.number("ERROR", false);
        while (!tok.done()) {
            ColmapTrackElement t;
            t.image_id = tok.integer<uint32_t>("TRACK IMAGE_ID");
            t.point2d_idx = tok.integer<uint32_t>("TRACK POINT2D_IDX");
            if (with_observations) p.track.push_back(t);
        }
        if (!ids.insert(p.id).second) throw Error(file, tok.where(), cat("duplicate point id ", p.id));
        points.push_back(std::move(p));
    }
    return points;
}

// ---- folders ---------------------------------------------------------------------------------

bool is_colmap_model_folder(const std::filesystem::path& f) {
    std::error_code ec;
    return (fs::exists(f / "cameras.bin", ec) || fs::exists(f / "cameras.txt", ec)) &&
           (fs::exists(f / "images.bin", ec) || fs::exists(f / "images.txt", ec));
}

ColmapModel read_colmap_model(const std::filesystem::path& folder, bool with_observations) {
    ColmapModel model;
    std::error_code ec;
    auto pick = [&](const char* stem, bool required) -> std::filesystem::path {
        auto bin = folder / (std::string(stem) + ".bin");
        if (fs::exists(bin, ec)) return bin;
        auto txt = folder / (std::string(stem) + ".txt");
        if (fs::exists(txt, ec)) return txt;
        if (required)
            throw Error(folder.string(), stem, cat("no ", stem, ".bin or ", stem, ".txt in the COLMAP model folder"));
        return {};
    };
    auto cameras = pick("cameras", true);
    auto images = pick("images", true);
    auto points = pick("points3D", false);
    auto is_bin = [](const std::filesystem::path& p) { return p.extension() == ".bin"; };
    if (is_bin(cameras)) {
        auto b = read_file_bytes(cameras);
        model.cameras = parse_colmap_cameras_binary(b.data(), b.size(), cameras.string());
    } else {
        model.cameras = parse_colmap_cameras_text(read_file_text(cameras), cameras.string());
    }
    if (is_bin(images)) {
        auto b = read_file_bytes(images);
        model.images = parse_colmap_images_binary(b.data(), b.size(), images.string(), with_observations);
    } else {
        model.images = parse_colmap_images_text(read_file_text(images), images.string(), with_observations);
    }
    if (!points.empty()) {
        if (is_bin(points)) {
            auto b = read_file_bytes(points);
            model.points = parse_colmap_points3d_binary(b.data(), b.size(), points.string(), with_observations);
        } else {
            model.points = parse_colmap_points3d_text(read_file_text(points), points.string(), with_observations);
        }
    }
    return model;
}

// ---- writers ---------------------------------------------------------------------------------

std::string encode_colmap_cameras_text(const std::vector<ColmapCamera>& cameras) {
    std::string out = "# Camera list with one line of data per camera:\n"
                      "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n";
    out += cat("# Number of cameras: ", cameras.size(), "\n");
    for (auto& c : cameras) {
        const ColmapCameraModelInfo* info = colmap_camera_model(c.model);
        if (!info || size_t(info->num_params) != c.params.size())
            throw Error(cat("write COLMAP cameras: camera ", c.id, " has model '", c.model, "' with ", c.params.size(),
                            " parameters"));
        out += cat(c.id, " ", c.model, " ", c.width, " ", c.height);
        for (double p : c.params) {
            out += ' ';
            put_double(out, p);
        }
        out += '\n';
    }
    return out;
}

std::string encode_colmap_images_text(const std::vector<ColmapImage>& images) {
    std::string out = "# Image list with two lines of data per image:\n"
                      "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
                      "#   POINTS2D[] as (X, Y, POINT3D_ID)\n";
    out += cat("# Number of images: ", images.size(), "\n");
    for (auto& im : images) {
        if (im.name.empty() || im.name.find_first_of("\r\n") != std::string::npos)
            throw Error(cat("write COLMAP images: image ", im.id, " has an empty name or one with a line break"));
        out += std::to_string(im.id);
        for (double q : im.qvec) out += ' ', put_double(out, q);
        for (double t : im.tvec) out += ' ', put_double(out, t);
        out += cat(" ", im.camera_id, " ", im.name, "\n");
        for (size_t k = 0; k < im.xys.size(); ++k) {
            if (k) out += ' ';
            put_double(out, im.xys[k][0]);
            out += ' ';
            put_double(out, im.xys[k][1]);
            out += cat(" ", k < im.point3d_ids.size() ? im.point3d_ids[k] : -1);
        }
        out += '\n';
    }
    return out;
}

std::string encode_colmap_points3d_text(const std::vector<ColmapPoint3D>& points) {
    std::string out = "# 3D point list with one line of data per point:\n"
                      "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n";
    out += cat("# Number of points: ", points.size(), "\n");
    for (auto& p : points) {
        out += std::to_string(p.id);
        for (double x : p.xyz) out += ' ', put_double(out, x);
        out += cat(" ", int(p.rgb[0]), " ", int(p.rgb[1]), " ", int(p.rgb[2]), " ");
        put_double(out, p.error);
        for (auto& t : p.track) out += cat(" ", t.image_id, " ", t.point2d_idx);
        out += '\n';
    }
    return out;
}

std::vector<uint8_t> encode_colmap_cameras_binary(const std::vector<ColmapCamera>& cameras) {
    std::vector<uint8_t> out;
    put<uint64_t>(out, cameras.size());
    for (auto& c : cameras) {
        const ColmapCameraModelInfo* info = colmap_camera_model(c.model);
        if (!info || size_t(info->num_params) != c.params.size())
            throw Error(cat("write COLMAP cameras: camera ", c.id, " has model '", c.model, "' with ", c.params.size(),
                            " parameters"));
        put<uint32_t>(out, c.id);
        put<int32_t>(out, info->id);
        put<uint64_t>(out, c.width);
        put<uint64_t>(out, c.height);
        for (double p : c.params) put<double>(out, p);
    }
    return out;
}

std::vector<uint8_t> encode_colmap_images_binary(const std::vector<ColmapImage>& images) {
    std::vector<uint8_t> out;
    put<uint64_t>(out, images.size());
    for (auto& im : images) {
        put<uint32_t>(out, im.id);
        for (double q : im.qvec) put<double>(out, q);
        for (double t : im.tvec) put<double>(out, t);
        put<uint32_t>(out, im.camera_id);
        out.insert(out.end(), im.name.begin(), im.name.end());
        out.push_back(0);
        put<uint64_t>(out, im.xys.size());
        for (size_t k = 0; k < im.xys.size(); ++k) {
            put<double>(out, im.xys[k][0]);
            put<double>(out, im.xys[k][1]);
            put<int64_t>(out, k < im.point3d_ids.size() ? im.point3d_ids[k] : -1);
        }
    }
    return out;
}

std::vector<uint8_t> encode_colmap_points3d_binary(const std::vector<ColmapPoint3D>& points) {
    std::vector<uint8_t> out;
    put<uint64_t>(out, points.size());
    for (auto& p : points) {
        put<uint64_t>(out, p.id);
        for (double x : p.xyz) put<double>(out, x);
        for (uint8_t c : p.rgb) put<uint8_t>(out, c);
        put<double>(out, p.error);
        put<uint64_t>(out, p.track.size());
        for (auto& t : p.track) {
            put<uint32_t>(out, t.image_id);
            put<uint32_t>(out, t.point2d_idx);
        }
    }
    return out;
}

void write_colmap_text(const std::filesystem::path& folder, const ColmapModel& model) {
    write_file_atomic(folder / "cameras.txt", encode_colmap_cameras_text(model.cameras));
    write_file_atomic(folder / "images.txt", encode_colmap_images_text(model.images));
    write_file_atomic(folder / "points3D.txt", encode_colmap_points3d_text(model.points));
}

void write_colmap_binary(const std::filesystem::path& folder, const ColmapModel& model) {
    write_file_atomic(folder / "cameras.bin", encode_colmap_cameras_binary(model.cameras));
    write_file_atomic(folder / "images.bin", encode_colmap_images_binary(model.images));
    write_file_atomic(folder / "points3D.bin", encode_colmap_points3d_binary(model.points));
}

} // namespace splatscape
