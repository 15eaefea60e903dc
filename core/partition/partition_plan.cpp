#include "core/partition/partition_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>
#include <glm/trigonometric.hpp>

#include "core/datasets/subset.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/log.hpp"

namespace splatscape {

namespace fs = std::filesystem;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Json side_json(float v) {
    return std::isfinite(v) ? Json(v) : Json(nullptr);
}

Json rect_json(const CellRect& r) {
    return {{"min", {side_json(r.min.x), side_json(r.min.y)}}, {"max", {side_json(r.max.x), side_json(r.max.y)}}};
}

Json vec3_json(glm::vec3 v) {
    return {v.x, v.y, v.z};
}

glm::vec3 read_vec3(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_array() || j.size() != 3) throw Error(where, field, "expected [x, y, z]");
    return {float(json_number(j[0], field, where)), float(json_number(j[1], field, where)),
            float(json_number(j[2], field, where))};
}

CellRect read_rect(const Json& j, const std::string& field, const std::string& where) {
    CellRect r;
    const Json &mn = json_member(j, "min", field, where), &mx = json_member(j, "max", field, where);
    if (!mn.is_array() || mn.size() != 2 || !mx.is_array() || mx.size() != 2)
        throw Error(where, field, "expected {\"min\": [x, y], \"max\": [x, y]} (numbers, or null for an open side)");
    for (int a = 0; a < 2; ++a) {
        r.min[a] = mn[a].is_null() ? -kInf : float(json_number(mn[a], field + ".min", where));
        r.max[a] = mx[a].is_null() ? kInf : float(json_number(mx[a], field + ".max", where));
        if (!(r.min[a] < r.max[a])) throw Error(where, field, "min must be below max on both axes");
    }
    return r;
}

std::vector<std::string> read_names(const Json& cell, const char* key, const std::string& field,
                                    const std::string& where) {
    std::vector<std::string> names;
    if (!cell.contains(key)) return names;
    const Json& list = cell[key];
    if (!list.is_array()) throw Error(where, field + "." + key, "expected a list of frame names");
    for (size_t i = 0; i < list.size(); ++i)
        names.push_back(json_string(list[i], cat(field, ".", key, "[", i, "]"), where));
    return names;
}

// Eigenvalues (ascending) and unit eigenvectors of a symmetric 3x3 matrix, by Jacobi rotations.
struct Eigen3 {
    glm::vec3 values{0.0f};
    glm::vec3 vectors[3];
};

Eigen3 symmetric_eigen(const glm::mat3& m) {
    double a[3][3], v[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) a[i][j] = m[j][i];
    for (int sweep = 0; sweep < 50; ++sweep) {
        const double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        if (off < 1e-30) break;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (std::abs(a[p][q]) < 1e-300) continue;
                const double theta = 0.5 * (a[q][q] - a[p][p]) / a[p][q];
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 3; ++k) {
                    const double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; ++k) {
                    const double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; ++k) {
                    const double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
    }
    int order[3] = {0, 1, 2};
    std::sort(order, order + 3, [&](int x, int y) { return a[x][x] < a[y][y]; });
    Eigen3 e;
    for (int i = 0; i < 3; ++i) {
        e.values[i] = float(a[order[i]][order[i]]);
        e.vectors[i] = glm::vec3(float(v[0][order[i]]), float(v[1][order[i]]), float(v[2][order[i]]));
    }
    return e;
}

// The world direction most cameras call up: the mean of their up vectors (camera -y, OpenCV frame)
// and of their backward directions, or the normal of the plane the cameras lie in when they spread over one (aerial and
// street grids, whose cameras share a pitch that biases their mean up), signed by that mean; snapped to a world axis
// within 20 degrees, as most datasets are axis-aligned up to the cameras' common pitch.
glm::vec3 camera_up(const std::vector<Frame>& frames) {
    glm::vec3 sum{0.0f}, centre{0.0f};
    for (const Frame& f : frames) {
        // Up vectors, and the way the cameras look (they look down more than up): a nadir capture
        // has only the second.
        sum -= glm::vec3(f.camera.R[0][1], f.camera.R[1][1], f.camera.R[2][1]);
        sum -= f.camera.forward();
        centre += f.camera.center();
    }
    const float n = glm::length(sum);
    // Cameras looking every which way (a capture from above and below) give no up: take +z.
    glm::vec3 up = n > 0.1f * float(frames.size()) ? sum / n : glm::vec3(0, 0, 1);
    if (frames.size() >= 3) {
        centre /= float(frames.size());
        glm::mat3 cov(0.0f);
        for (const Frame& f : frames) {
            const glm::vec3 d = f.camera.center() - centre;
            cov += glm::outerProduct(d, d);
        }
        const Eigen3 e = symmetric_eigen(cov);
        if (e.values[1] > 0.0f && e.values[0] < 0.1f * e.values[1]) {
            const glm::vec3 normal = glm::normalize(e.vectors[0]);
            up = glm::dot(normal, up) >= 0.0f ? normal : -normal;
        }
    }
    for (int a = 0; a < 3; ++a)
        if (std::abs(up[a]) > std::cos(glm::radians(20.0f))) {
            glm::vec3 axis{0.0f};
            axis[a] = up[a] > 0 ? 1.0f : -1.0f;
            return axis;
        }
    return up;
}

glm::vec3 parse_up(const std::string& up, const std::vector<Frame>& frames) {
    if (up == "auto") return camera_up(frames);
    const float s = up.size() == 2 && up[0] == '-' ? -1.0f : 1.0f;
    const char axis = up.empty() ? ' ' : up.back();
    if ((up.size() == 1 || (up.size() == 2 && up[0] == '-')) && axis >= 'x' && axis <= 'z') {
        glm::vec3 v{0.0f};
        v[axis - 'x'] = s;
        return v;
    }
    throw UsageError(cat("--up: expected auto, x, y, z, -x, -y or -z, got '", up, "'"));
}

PlanFrame make_frame(glm::vec3 up, glm::vec3 origin) {
    // Ground x: the world axis least aligned with up, projected onto the ground plane.
    glm::vec3 best{1, 0, 0};
    for (int a = 0; a < 3; ++a) {
        glm::vec3 e{0.0f};
        e[a] = 1.0f;
        if (std::abs(glm::dot(e, up)) < std::abs(glm::dot(best, up)) - 1e-6f) best = e;
    }
    const glm::vec3 x = glm::normalize(best - glm::dot(best, up) * up);
    const glm::vec3 y = glm::cross(up, x);
    PlanFrame f;
    f.origin = origin;
    f.axes = glm::mat3(1.0f);
    for (int c = 0; c < 3; ++c) {
        // glm is column-major: axes[c][r] is row r, column c.
        f.axes[c][0] = x[c];
        f.axes[c][1] = y[c];
        f.axes[c][2] = up[c];
    }
    return f;
}

glm::vec3 frame_row(const PlanFrame& f, int r) {
    return {f.axes[0][r], f.axes[1][r], f.axes[2][r]};
}

// Splits `rect` (holding the ground positions `pts`) into `n` cells of balanced counts: the longer
// side of the points' extent is cut at the quantile that gives each half its share of cells.
void split_cells(const CellRect& rect, std::vector<glm::vec2> pts, int n, std::vector<CellRect>& out) {
    if (n <= 1) {
        out.push_back(rect);
        return;
    }
    glm::vec2 lo{kInf}, hi{-kInf};
    for (glm::vec2 p : pts) lo = glm::min(lo, p), hi = glm::max(hi, p);
    const int axis = (hi.x - lo.x) >= (hi.y - lo.y) ? 0 : 1;
    std::sort(pts.begin(), pts.end(), [axis](glm::vec2 a, glm::vec2 b) { return a[axis] < b[axis]; });
    const int n0 = n / 2;
    const size_t k = std::clamp<size_t>(size_t(std::llround(double(pts.size()) * n0 / n)), 1, pts.size() - 1);
    // Cut halfway between neighbours, so no camera sits on the border.
    const float cut = 0.5f * (pts[k - 1][axis] + pts[k][axis]);
    CellRect a = rect, b = rect;
    a.max[axis] = cut;
    b.min[axis] = cut;
    std::vector<glm::vec2> pa(pts.begin(), pts.begin() + long(k)), pb(pts.begin() + long(k), pts.end());
    split_cells(a, std::move(pa), n0, out);
    split_cells(b, std::move(pb), n - n0, out);
}

// The rectangle grown by `expand` times its size on each finite side; sizes are measured inside
// the content rectangle (open cells would have none otherwise).
CellRect expand_rect(const CellRect& r, const CellRect& scene, float expand) {
    CellRect e = r;
    for (int a = 0; a < 2; ++a) {
        const float lo = std::max(r.min[a], scene.min[a]), hi = std::min(r.max[a], scene.max[a]);
        const float size = std::max(hi - lo, 1e-6f * std::max(1.0f, scene.max[a] - scene.min[a]));
        if (std::isfinite(r.min[a])) e.min[a] = r.min[a] - expand * size;
        if (std::isfinite(r.max[a])) e.max[a] = r.max[a] + expand * size;
    }
    return e;
}

std::string side_text(float v) {
    if (!std::isfinite(v)) return v < 0 ? "-inf" : "+inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", double(v));
    return buf;
}

std::string rect_text(const CellRect& r) {
    return cat("x [", side_text(r.min.x), ", ", side_text(r.max.x), "), y [", side_text(r.min.y), ", ",
               side_text(r.max.y), ")");
}

} // namespace

void PartitionOptions::validate() const {
    if (cells < 0 || cells > 4096) throw UsageError(cat("--cells must be in 1..4096, got ", cells));
    if (cells > 0 && cell_size > 0) throw UsageError("give --cells or --cell-size, not both");
    if (cells == 0 && !(cell_size > 0)) throw UsageError("give --cells N or --cell-size M");
    if (!std::isfinite(cell_size) || cell_size < 0) throw UsageError("--cell-size must be a positive length");
    if (!(expand >= 0.0f && expand <= 2.0f)) throw UsageError(cat("--expand must be in 0..2, got ", expand));
    if (!(min_share > 0.0f && min_share <= 1.0f))
        throw UsageError(cat("--min-share must be in (0, 1], got ", min_share));
    if (min_cameras < 1 || min_cameras > 100000) throw UsageError("--min-cameras must be at least 1");
    if (grid < 2 || grid > 1024) throw UsageError(cat("--grid must be in 2..1024, got ", grid));
    if (balance != "cameras" && balance != "points")
        throw UsageError(cat("--balance: expected cameras or points, got '", balance, "'"));
}

glm::vec3 PlanFrame::to_plan(glm::vec3 world) const {
    return axes * (world - origin);
}

int PartitionPlan::cell_of(glm::vec3 world) const {
    const glm::vec2 g = frame.ground(world);
    for (const PlanCell& c : cells)
        if (c.bounds.contains(g)) return c.index;
    return -1;
}

std::vector<float> view_shares(const Camera& camera, const PointCloud& points, const std::vector<int>& cell_of_point,
                               size_t cell_count, int grid) {
    std::vector<float> shares(cell_count, 0.0f);
    if (camera.width <= 0 || camera.height <= 0) return shares;
    const float block = float(std::max(camera.width, camera.height)) / float(grid);
    const int gw = std::max(1, int(std::ceil(float(camera.width) / block)));
    const int gh = std::max(1, int(std::ceil(float(camera.height) / block)));
    std::vector<float> depth(size_t(gw) * gh, kInf);
    std::vector<int> owner(size_t(gw) * gh, -1);
    for (size_t i = 0; i < points.size(); ++i) {
        const int c = cell_of_point[i];
        if (c < 0) continue;
        float z = 0.0f;
        const glm::vec3 p{points.positions[3 * i], points.positions[3 * i + 1], points.positions[3 * i + 2]};
        const glm::vec2 px = camera.project(p, &z);
        if (!(z > 1e-6f) ||
            !(px.x >= 0.0f && px.y >= 0.0f && px.x < float(camera.width) && px.y < float(camera.height)))
            continue;
        const size_t b = size_t(std::min(gh - 1, int(px.y / block))) * gw + size_t(std::min(gw - 1, int(px.x / block)));
        if (z < depth[b]) depth[b] = z, owner[b] = c;
    }
    size_t seen = 0;
    std::vector<size_t> count(cell_count, 0);
    for (int o : owner)
        if (o >= 0) ++seen, ++count[size_t(o)];
    if (seen == 0) return shares;
    for (size_t c = 0; c < cell_count; ++c) shares[c] = float(count[c]) / float(seen);
    return shares;
}

PartitionPlan make_partition_plan(const Dataset& d, const PartitionOptions& o) {
    o.validate();
    if (d.train.empty()) throw Error(d.root.string(), "", "the dataset has no training cameras to partition");
    PartitionPlan plan;
    plan.data = fs::absolute(d.root).lexically_normal();
    plan.dataset = d.options;
    plan.expand = o.expand;
    plan.min_share = o.min_share;
    plan.frame = make_frame(parse_up(o.up, d.train), d.camera_centroid());

    // Ground positions of the training cameras and of the points; the scene rectangle holds both.
    std::vector<glm::vec2> cams;
    for (const Frame& f : d.train) cams.push_back(plan.frame.ground(f.camera.center()));
    std::vector<glm::vec2> pts(d.points.size());
    for (size_t i = 0; i < d.points.size(); ++i)
        pts[i] = plan.frame.ground(
            {d.points.positions[3 * i], d.points.positions[3 * i + 1], d.points.positions[3 * i + 2]});
    plan.scene.min = glm::vec2(kInf);
    plan.scene.max = glm::vec2(-kInf);
    for (const auto* list : {&cams, &pts})
        for (glm::vec2 p : *list)
            if (std::isfinite(p.x) && std::isfinite(p.y))
                plan.scene.min = glm::min(plan.scene.min, p), plan.scene.max = glm::max(plan.scene.max, p);
    for (int a = 0; a < 2; ++a)
        if (plan.scene.max[a] - plan.scene.min[a] < 1e-6f) plan.scene.min[a] -= 0.5f, plan.scene.max[a] += 0.5f;

    std::vector<CellRect> rects;
    if (o.cells > 0 && o.balance == "points") {
        if (size_t(o.cells) * 16 > pts.size())
            throw UsageError(cat(o.cells, " cells balanced by points need at least ", o.cells * 16,
                                 " sparse points; the dataset has ", pts.size(), " (use --balance cameras)"));
        // A sample is enough to place the cuts.
        const size_t stride = std::max<size_t>(1, pts.size() / 200000);
        std::vector<glm::vec2> sample;
        for (size_t i = 0; i < pts.size(); i += stride) sample.push_back(pts[i]);
        split_cells(CellRect{}, std::move(sample), o.cells, rects);
    } else if (o.cells > 0) {
        if (size_t(o.cells) > cams.size())
            throw UsageError(
                cat(o.cells, " cells need at least as many training cameras; the dataset has ", cams.size()));
        split_cells(CellRect{}, cams, o.cells, rects);
    } else {
        const glm::vec2 size = plan.scene.max - plan.scene.min;
        const int nx = std::max(1, int(std::ceil(size.x / o.cell_size))),
                  ny = std::max(1, int(std::ceil(size.y / o.cell_size)));
        if (size_t(nx) * size_t(ny) > 4096)
            throw UsageError(cat("--cell-size ", o.cell_size, " gives ", nx, " x ", ny, " cells over a scene of ",
                                 size.x, " x ", size.y, "; choose a larger size (at most 4096 cells)"));
        for (int j = 0; j < ny; ++j)
            for (int i = 0; i < nx; ++i) {
                CellRect r;
                if (i > 0) r.min.x = plan.scene.min.x + float(i) * o.cell_size;
                if (i < nx - 1) r.max.x = plan.scene.min.x + float(i + 1) * o.cell_size;
                if (j > 0) r.min.y = plan.scene.min.y + float(j) * o.cell_size;
                if (j < ny - 1) r.max.y = plan.scene.min.y + float(j + 1) * o.cell_size;
                // A grid cell with neither cameras nor points holds nothing to train.
                const bool used = std::any_of(cams.begin(), cams.end(), [&](glm::vec2 p) { return r.contains(p); }) ||
                                  std::any_of(pts.begin(), pts.end(), [&](glm::vec2 p) { return r.contains(p); });
                if (used) rects.push_back(r);
            }
    }

    // Cell sizes for the margins are measured over the content (the sparse points), not over the
    // cameras: a capture circling its subject has cameras far outside what the cells hold.
    CellRect content = plan.scene;
    if (pts.size() >= 16) {
        content.min = glm::vec2(kInf);
        content.max = glm::vec2(-kInf);
        for (glm::vec2 p : pts)
            if (std::isfinite(p.x) && std::isfinite(p.y))
                content.min = glm::min(content.min, p), content.max = glm::max(content.max, p);
        for (int a = 0; a < 2; ++a)
            if (!(content.max[a] - content.min[a] > 1e-6f))
                content.min[a] = plan.scene.min[a], content.max[a] = plan.scene.max[a];
    }

    std::vector<int> owner(pts.size(), -1);
    for (size_t i = 0; i < pts.size(); ++i)
        for (size_t c = 0; c < rects.size(); ++c)
            if (rects[c].contains(pts[i])) {
                owner[i] = int(c);
                break;
            }

    std::vector<PlanCell> cells(rects.size());
    for (size_t c = 0; c < rects.size(); ++c) {
        cells[c].bounds = rects[c];
        cells[c].expanded = expand_rect(rects[c], content, o.expand);
        for (glm::vec2 p : pts) cells[c].points += cells[c].expanded.contains(p) ? 1 : 0;
    }

    // Visibility per split: a camera trains (or evaluates) every cell it stands in or sees enough of.
    auto assign = [&](const std::vector<Frame>& frames, std::vector<std::string> PlanCell::*names, bool fill) {
        std::vector<std::vector<float>> shares(frames.size());
#pragma omp parallel for schedule(dynamic, 4)
        for (long k = 0; k < long(frames.size()); ++k)
            shares[size_t(k)] = view_shares(d.render_camera(frames[size_t(k)]), d.points, owner, cells.size(), o.grid);
        for (size_t c = 0; c < cells.size(); ++c) {
            std::vector<char> taken(frames.size(), 0);
            for (size_t k = 0; k < frames.size(); ++k) {
                const bool inside = cells[c].expanded.contains(plan.frame.ground(frames[k].camera.center()));
                if (inside && fill) ++cells[c].cameras_inside;
                if (inside || shares[k][c] >= o.min_share) taken[k] = 1;
            }
            size_t count = size_t(std::count(taken.begin(), taken.end(), 1));
            if (fill && count < size_t(o.min_cameras)) {
                // Too few: add the cameras that see most of the cell.
                std::vector<size_t> order(frames.size());
                std::iota(order.begin(), order.end(), size_t(0));
                std::stable_sort(order.begin(), order.end(),
                                 [&](size_t a, size_t b) { return shares[a][c] > shares[b][c]; });
                for (size_t k : order) {
                    if (count >= size_t(o.min_cameras) || shares[k][c] <= 0.0f) break;
                    if (!taken[k]) taken[k] = 1, ++count;
                }
            }
            for (size_t k = 0; k < frames.size(); ++k)
                if (taken[k]) (cells[c].*names).push_back(frames[k].name);
        }
    };
    assign(d.train, &PlanCell::train, true);
    assign(d.val, &PlanCell::val, false);
    assign(d.test, &PlanCell::test, false);

    for (PlanCell& c : cells) {
        if (c.train.empty()) {
            log::warn("partition: dropping a cell at ", rect_text(c.bounds), ": no training camera sees it");
            continue;
        }
        c.index = int(plan.cells.size());
        plan.cells.push_back(std::move(c));
    }
    if (plan.cells.empty()) throw Error(d.root.string(), "", "no cell of the partition is seen by a training camera");
    return plan;
}

Json PartitionPlan::to_json() const {
    Json cj = Json::array();
    for (const PlanCell& c : cells)
        cj.push_back({{"index", c.index},
                      {"bounds", rect_json(c.bounds)},
                      {"expanded", rect_json(c.expanded)},
                      {"points", c.points},
                      {"cameras_inside", c.cameras_inside},
                      {"train", c.train},
                      {"val", c.val},
                      {"test", c.test}});
    return {
        {"format", "splatscape-partition-plan"},
        {"version", 1},
        {"data", data.string()},
        {"dataset", dataset_options_json(dataset)},
        {"frame",
         {{"origin", vec3_json(frame.origin)},
          {"axes", {vec3_json(frame_row(frame, 0)), vec3_json(frame_row(frame, 1)), vec3_json(frame_row(frame, 2))}}}},
        {"scene", rect_json(scene)},
        {"expand", expand},
        {"min_share", min_share},
        {"cells", cj}};
}

PartitionPlan PartitionPlan::from_json(const Json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "(root)", "expected an object");
    const std::string format = json_string(json_member(j, "format", "", where), "format", where);
    if (format != "splatscape-partition-plan")
        throw Error(where, "format", cat("expected \"splatscape-partition-plan\", found \"", format, "\""));
    const int version = json_int(json_member(j, "version", "", where), "version", where, 1, 1000);
    if (version != 1) throw Error(where, "version", cat("version ", version, " is newer than this build reads (1)"));
    PartitionPlan p;
    p.data = json_string(json_member(j, "data", "", where), "data", where);
    p.dataset = dataset_options_from_json(json_member(j, "dataset", "", where), where);
    const Json& fr = json_member(j, "frame", "", where);
    p.frame.origin = read_vec3(json_member(fr, "origin", "frame", where), "frame.origin", where);
    const Json& axes = json_member(fr, "axes", "frame", where);
    if (!axes.is_array() || axes.size() != 3) throw Error(where, "frame.axes", "expected three rows [x, y, z]");
    for (int r = 0; r < 3; ++r) {
        const glm::vec3 row = read_vec3(axes[size_t(r)], cat("frame.axes[", r, "]"), where);
        if (std::abs(glm::length(row) - 1.0f) > 1e-3f)
            throw Error(where, cat("frame.axes[", r, "]"), "expected a unit vector");
        for (int c = 0; c < 3; ++c) p.frame.axes[c][r] = row[c];
    }
    p.scene = read_rect(json_member(j, "scene", "", where), "scene", where);
    p.expand = float(json_number(json_member(j, "expand", "", where), "expand", where));
    p.min_share = float(json_number(json_member(j, "min_share", "", where), "min_share", where));
    const Json& cells = json_member(j, "cells", "", where);
    if (!cells.is_array() || cells.empty()) throw Error(where, "cells", "expected a non-empty list of cells");
    if (cells.size() > 4096) throw Error(where, "cells", cat("at most 4096 cells, found ", cells.size()));
    for (size_t i = 0; i < cells.size(); ++i) {
        const std::string f = cat("cells[", i, "]");
        const Json& c = cells[i];
        PlanCell cell;
        cell.index = json_int(json_member(c, "index", f, where), f + ".index", where, 0, 4095);
        if (cell.index != int(i)) throw Error(where, f + ".index", cat("expected ", i, " (cells are listed in order)"));
        cell.bounds = read_rect(json_member(c, "bounds", f, where), f + ".bounds", where);
        cell.expanded = read_rect(json_member(c, "expanded", f, where), f + ".expanded", where);
        cell.points = size_t(json_number_or(c, "points", 0, f, where));
        cell.cameras_inside = size_t(json_number_or(c, "cameras_inside", 0, f, where));
        cell.train = read_names(c, "train", f, where);
        cell.val = read_names(c, "val", f, where);
        cell.test = read_names(c, "test", f, where);
        if (cell.train.empty()) throw Error(where, f + ".train", "a cell needs training frames");
        p.cells.push_back(std::move(cell));
    }
    return p;
}

std::string cell_name(int index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "cell_%03d", index);
    return buf;
}

fs::path cell_dataset_folder(const fs::path& plan_dir, int index) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%03d", index);
    return plan_dir / "cells" / buf;
}

fs::path plan_folder(const fs::path& path) {
    return fs::is_directory(path) ? path : path.parent_path();
}

void write_partition_plan(const fs::path& dir, const PartitionPlan& plan) {
    fs::create_directories(dir);
    const Json region_frame = plan.to_json()["frame"];
    for (const PlanCell& c : plan.cells) {
        const fs::path cd = cell_dataset_folder(dir, c.index);
        fs::create_directories(cd);
        Json region = rect_json(c.expanded);
        region["origin"] = region_frame["origin"];
        region["axes"] = region_frame["axes"];
        save_json(cd / kSubsetFile, {{"format", kSubsetFormat},
                                     {"version", 1},
                                     {"source", plan.data.string()},
                                     {"source_options", dataset_options_json(plan.dataset)},
                                     {"train", c.train},
                                     {"val", c.val},
                                     {"test", c.test},
                                     {"points_region", region}});
    }
    // A batch jobs file with one job per cell (paths relative to the plan folder).
    save_json(dir / "jobs.json",
              {{"name", dir.filename().string().empty() ? std::string("plan") : dir.filename().string()},
               {"jobs", Json::array({{{"plan", "."}}})}});

    std::ostringstream md;
    md << "# Partition of " << plan.data.string() << "\n\n"
       << plan.cells.size() << " cells over the ground plane (plan x, y; z up), expanded by " << plan.expand
       << " of their size on each side; a camera trains a cell it stands in or whose points cover at least "
       << plan.min_share << " of its view.\n\n"
       << "| cell | bounds | expanded | train cameras (inside) | val | test | points |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (const PlanCell& c : plan.cells)
        md << "| " << cell_name(c.index) << " | " << rect_text(c.bounds) << " | " << rect_text(c.expanded) << " | "
           << c.train.size() << " (" << c.cameras_inside << ") | " << c.val.size() << " | " << c.test.size() << " | "
           << c.points << " |\n";
    write_file_atomic(dir / "plan.md", md.str());
    save_json(dir / "plan.json", plan.to_json());
}

PartitionPlan read_partition_plan(const fs::path& path) {
    const fs::path file = fs::is_directory(path) ? path / "plan.json" : path;
    if (!fs::exists(file))
        throw Error(file.string(), "", "no partition plan here (write one with `splatscape partition DATA -o PLAN`)");
    return PartitionPlan::from_json(load_json(file), file.string());
}

GaussianCloud crop_to_cell(const GaussianCloud& cloud, const PartitionPlan& plan, int cell, bool expanded) {
    if (cell < 0 || size_t(cell) >= plan.cells.size())
        throw UsageError(cat("cell ", cell, " is not in the plan (it has cells 0..", plan.cells.size() - 1, ")"));
    const CellRect& r = expanded ? plan.cells[size_t(cell)].expanded : plan.cells[size_t(cell)].bounds;
    GaussianCloud out;
    out.sh_degree = cloud.sh_degree;
    for (size_t i = 0; i < cloud.size(); ++i)
        if (r.contains(plan.frame.ground(cloud.position(i)))) out.push_back_from(cloud, i);
    return out;
}

} // namespace splatscape
