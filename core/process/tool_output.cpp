#include "core/process/tool_output.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace splatscape::process {
namespace {

// A cursor over one line: each step consumes what it matched and fails without consuming otherwise.
class Cursor {
public:
    explicit Cursor(std::string_view s) : m_s(s) {}
    bool literal(std::string_view lit) {
        if (m_s.substr(0, lit.size()) != lit) return false;
        m_s.remove_prefix(lit.size());
        return true;
    }
    bool number(uint64_t& out) {
        const char* begin = m_s.data();
        const char* end = begin + m_s.size();
        if (begin == end || !std::isdigit(static_cast<unsigned char>(*begin))) return false;
        auto [ptr, ec] = std::from_chars(begin, end, out);
        if (ec != std::errc()) return false; // overflow
        m_s.remove_prefix(size_t(ptr - begin));
        return true;
    }
    void spaces() {
        while (!m_s.empty() && (m_s.front() == ' ' || m_s.front() == '\t')) m_s.remove_prefix(1);
    }
    bool at_end() const { return m_s.empty(); }
    std::string_view rest() const { return m_s; }

private:
    std::string_view m_s;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// "[i/n]" with 1 <= i <= n.
bool fraction(Cursor& c, uint64_t& done, uint64_t& total) {
    return c.literal("[") && c.number(done) && c.literal("/") && c.number(total) && c.literal("]") && total > 0 &&
           done >= 1 && done <= total;
}

// What may follow a matcher's counter: nothing, or " in <seconds>s".
bool timing_tail(Cursor& c) {
    if (c.at_end()) return true;
    if (!c.literal(" in ")) return false;
    std::string_view r = c.rest();
    if (r.size() < 2 || r.back() != 's') return false;
    r.remove_suffix(1);
    for (char ch : r)
        if (!std::isdigit(static_cast<unsigned char>(ch)) && ch != '.') return false;
    return true;
}

bool parse_double(std::string_view s, double& out) {
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

} // namespace

std::string_view strip_glog_prefix(std::string_view line) {
    // Severity letter, MMDD, space, hh:mm:ss.micro, thread id, file:line, "] ".
    if (line.size() < 6 || std::string_view("IWEF").find(line[0]) == std::string_view::npos) return line;
    for (int i = 1; i <= 4; ++i)
        if (!std::isdigit(static_cast<unsigned char>(line[size_t(i)]))) return line;
    if (line[5] != ' ') return line;
    const size_t close = line.find("] ");
    if (close == std::string_view::npos) return line;
    for (size_t i = 6; i < close; ++i) {
        const char ch = line[i];
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == ' ' || ch == ':' || ch == '.' || ch == '_' ||
              ch == '-' || ch == '/'))
            return line;
    }
    return line.substr(close + 2);
}

std::optional<ColmapProgress> parse_colmap_line(std::string_view raw) {
    const std::string_view line = trim(strip_glog_prefix(raw));
    using Kind = ColmapProgress::Kind;
    ColmapProgress p;
    {
        Cursor c(line);
        if (c.literal("Processed file ") && fraction(c, p.done, p.total) && c.at_end()) {
            p.kind = Kind::ImageExtracted;
            return p;
        }
    }
    {
        Cursor c(line);
        if (c.literal("Features:")) {
            c.spaces();
            if (c.number(p.done) && c.at_end()) {
                p.kind = Kind::FeatureCount;
                return p;
            }
            return std::nullopt;
        }
    }
    {
        Cursor c(line);
        uint64_t i = 0, n = 0, j = 0, m = 0;
        if (c.literal("Matching block ") && c.literal("[") && c.number(i) && c.literal("/") && c.number(n) &&
            c.literal(", ") && c.number(j) && c.literal("/") && c.number(m) && c.literal("]") && timing_tail(c)) {
            // Blocks run row by row: block (i, j) of an n x m grid is number (i - 1) m + j.
            if (n == 0 || m == 0 || i < 1 || i > n || j < 1 || j > m) return std::nullopt;
            if (n > (uint64_t(1) << 31) || m > (uint64_t(1) << 31)) return std::nullopt; // n m must not overflow
            p.kind = Kind::BlockMatched;
            p.done = (i - 1) * m + j;
            p.total = n * m;
            return p;
        }
    }
    {
        Cursor c(line);
        if (c.literal("Matching image ") && fraction(c, p.done, p.total) && timing_tail(c)) {
            p.kind = Kind::ImageMatched;
            return p;
        }
    }
    {
        Cursor c(line);
        uint64_t a = 0, b = 0;
        if (c.literal("Initializing with image pair #") && c.number(a) && c.literal(" and #") && c.number(b) &&
            c.at_end() && a != b) {
            p.kind = Kind::InitialPair;
            p.done = 2;
            p.image_id = a;
            return p;
        }
    }
    {
        Cursor c(line);
        uint64_t id = 0, k = 0;
        if (c.literal("Registering image #") && c.number(id) && c.literal(" (") && c.number(k) && c.literal(")") &&
            c.at_end() && k >= 1) {
            p.kind = Kind::ImageRegistered;
            p.done = k;
            p.image_id = id;
            return p;
        }
    }
    {
        Cursor c(line);
        if (c.literal("Undistorting image ") && fraction(c, p.done, p.total) && c.at_end()) {
            p.kind = Kind::ImageUndistorted;
            return p;
        }
    }
    return std::nullopt;
}

VideoInfo parse_ffprobe_report(std::string_view text, const std::string& file) {
    VideoInfo info;
    bool have_width = false, have_height = false;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        const size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "width" || key == "height") {
            uint64_t v = 0;
            Cursor c(value);
            if (!c.number(v) || !c.at_end() || v == 0 || v > 65536)
                throw Error(file, cat("video stream ", key),
                            cat("expected a size in pixels (1..65536), found '", value, "'"));
            (key == "width" ? info.width : info.height) = int(v);
            (key == "width" ? have_width : have_height) = true;
        } else if (key == "avg_frame_rate") {
            // "30000/1001", "25/1", or "0/0" when unknown.
            const size_t slash = value.find('/');
            double num = 0, den = 1;
            if (slash == std::string_view::npos
                    ? parse_double(value, num)
                    : parse_double(value.substr(0, slash), num) && parse_double(value.substr(slash + 1), den))
                if (num > 0 && den > 0 && num / den < 1e4) info.frame_rate = num / den;
        } else if (key == "duration") {
            double d = 0;
            if (parse_double(value, d) && d > 0 && d < 1e7) info.duration = d;
        } else if (key == "nb_frames") {
            uint64_t v = 0;
            Cursor c(value);
            if (c.number(v) && c.at_end() && v > 0 && v < (uint64_t(1) << 40)) info.frame_count = int64_t(v);
        }
    }
    if (!have_width || !have_height)
        throw Error(file, "video stream", "no video stream with a width and height (is it a video file?)");
    return info;
}

std::optional<uint64_t> parse_ffmpeg_progress_frame(std::string_view line) {
    Cursor c(trim(line));
    uint64_t v = 0;
    if (c.literal("frame=") && c.number(v) && c.at_end()) return v;
    return std::nullopt;
}

} // namespace splatscape::process
