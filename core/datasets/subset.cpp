#include "core/datasets/subset.hpp"

#include <cmath>
#include <limits>
#include <set>

#include <glm/geometric.hpp>

#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape {

Json dataset_options_json(const DatasetOptions& o) {
    return {{"format", o.format},       {"downscale", o.downscale},
            {"max_width", o.max_width}, {"background", {o.background.x, o.background.y, o.background.z}},
            {"undistort", o.undistort}, {"test_every", o.test_every}};
}

void update_dataset_options(DatasetOptions& o, const Json& j, const std::string& where, const std::string& object) {
    if (!j.is_object()) throw Error(where, object, "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string k = it.key(), f = object + "." + k;
        if (k == "format")
            o.format = json_string(*it, f, where);
        else if (k == "downscale")
            o.downscale = json_int(*it, f, where, 1, 64);
        else if (k == "max_width")
            o.max_width = json_int(*it, f, where, 0, 100000);
        else if (k == "undistort")
            o.undistort = json_bool(*it, f, where);
        else if (k == "test_every")
            o.test_every = json_int(*it, f, where, 0, 1000000);
        else if (k == "background") {
            if (!it->is_array() || it->size() != 3) throw Error(where, f, "expected [r, g, b]");
            for (int c = 0; c < 3; ++c) o.background[c] = float(json_number((*it)[c], f, where));
        } else
            throw Error(where, f, "unknown setting");
    }
}

DatasetOptions dataset_options_from_json(const Json& j, const std::string& where) {
    DatasetOptions o;
    update_dataset_options(o, j, where);
    return o;
}

namespace loaders {
namespace {

namespace fs = std::filesystem;

glm::vec3 read_vec3(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_array() || j.size() != 3) throw Error(where, field, "expected [x, y, z]");
    return {float(json_number(j[0], field, where)), float(json_number(j[1], field, where)),
            float(json_number(j[2], field, where))};
}

// One side of the region's rectangle: a number, or null for an open side.
float read_side(const Json& j, float open, const std::string& field, const std::string& where) {
    return j.is_null() ? open : float(json_number(j, field, where));
}

void keep_named(std::vector<Frame>& frames, const Json& names, const std::string& split, const std::string& where,
                const fs::path& source) {
    if (!names.is_array()) throw Error(where, split, "expected a list of frame names");
    std::set<std::string> wanted;
    for (size_t i = 0; i < names.size(); ++i) wanted.insert(json_string(names[i], cat(split, "[", i, "]"), where));
    std::vector<Frame> kept;
    for (Frame& f : frames)
        if (wanted.erase(f.name)) kept.push_back(std::move(f));
    if (!wanted.empty())
        throw Error(where, split,
                    cat("frame '", *wanted.begin(), "' is not in the ", split, " split of ", source.string(),
                        wanted.size() > 1 ? cat(" (nor are ", wanted.size() - 1, " more)") : std::string()));
    frames = std::move(kept);
}

} // namespace

Dataset load_subset(const fs::path& dir) {
    const fs::path file = dir / kSubsetFile;
    const std::string where = file.string();
    const Json j = load_json(file);
    if (!j.is_object()) throw Error(where, "(root)", "expected an object");
    const std::string format = json_string(json_member(j, "format", "", where), "format", where);
    if (format != kSubsetFormat)
        throw Error(where, "format", cat("expected \"", kSubsetFormat, "\", found \"", format, "\""));
    const int version = json_int(json_member(j, "version", "", where), "version", where, 1, 1000);
    if (version != 1) throw Error(where, "version", cat("version ", version, " is newer than this build reads (1)"));
    fs::path source = json_string(json_member(j, "source", "", where), "source", where);
    if (source.is_relative()) source = dir / source;
    // Subsets of subsets are fine; a cycle of them is not.
    thread_local int depth = 0;
    if (depth >= 8) throw Error(where, "source", "subsets nested more than 8 deep (a cycle of subsets?)");
    struct Nest {
        Nest() { ++depth; }
        ~Nest() { --depth; }
    } nest;
    const DatasetOptions options =
        dataset_options_from_json(json_member(j, "source_options", "", where), where + ": source_options");

    Dataset d = load_dataset(source, options);
    keep_named(d.train, json_member(j, "train", "", where), "train", where, source);
    keep_named(d.val, j.contains("val") ? j["val"] : Json::array(), "val", where, source);
    keep_named(d.test, j.contains("test") ? j["test"] : Json::array(), "test", where, source);
    if (d.train.empty()) throw Error(where, "train", "no training frames listed");

    if (j.contains("points_region") && !j["points_region"].is_null()) {
        const Json& r = j["points_region"];
        const std::string f = "points_region";
        const glm::vec3 origin = read_vec3(json_member(r, "origin", f, where), f + ".origin", where);
        const Json& axes = json_member(r, "axes", f, where);
        if (!axes.is_array() || axes.size() != 3) throw Error(where, f + ".axes", "expected three rows [x, y, z]");
        const glm::vec3 ax = read_vec3(axes[0], f + ".axes[0]", where), ay = read_vec3(axes[1], f + ".axes[1]", where);
        const Json &mn = json_member(r, "min", f, where), &mx = json_member(r, "max", f, where);
        if (!mn.is_array() || mn.size() != 2 || !mx.is_array() || mx.size() != 2)
            throw Error(where, f + ".min/max", "expected [x, y] with numbers or null");
        const float inf = std::numeric_limits<float>::infinity();
        const float x0 = read_side(mn[0], -inf, f + ".min[0]", where),
                    y0 = read_side(mn[1], -inf, f + ".min[1]", where);
        const float x1 = read_side(mx[0], inf, f + ".max[0]", where), y1 = read_side(mx[1], inf, f + ".max[1]", where);
        PointCloud kept;
        for (size_t i = 0; i < d.points.size(); ++i) {
            const glm::vec3 p{d.points.positions[3 * i], d.points.positions[3 * i + 1], d.points.positions[3 * i + 2]};
            const float x = glm::dot(ax, p - origin), y = glm::dot(ay, p - origin);
            if (x < x0 || x >= x1 || y < y0 || y >= y1) continue;
            kept.positions.insert(kept.positions.end(), &d.points.positions[3 * i], &d.points.positions[3 * i + 3]);
            if (!d.points.colors.empty())
                kept.colors.insert(kept.colors.end(), &d.points.colors[3 * i], &d.points.colors[3 * i + 3]);
        }
        log::debug(where, ": ", kept.size(), " of ", d.points.size(), " points inside the region");
        d.points = std::move(kept);
        if (d.points.size() > 0) compute_bounds(d);
    }
    d.format = "subset";
    d.root = dir;
    return d;
}

} // namespace loaders
} // namespace splatscape
