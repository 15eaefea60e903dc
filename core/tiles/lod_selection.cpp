#include "core/tiles/lod_selection.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

#include <glm/common.hpp>
#include <glm/geometric.hpp>

namespace splatscape {
namespace {

constexpr float kNear = 0.01f;
// Splats reach a little past their 3-sigma boxes on screen (the rasterizer's 0.3 px dilation and
// whole-tile rectangles): the frustum is widened by this many pixels.
constexpr float kMarginPx = 8.0f;

// Whether any part of the box may be inside the camera's view: the box is culled when all eight
// corners are outside one of the near, left, right, top or bottom planes (camera space).
bool in_frustum(const Camera& cam, const Bounds& b) {
    glm::vec3 p[8];
    for (int k = 0; k < 8; ++k) {
        const glm::vec3 w((k & 1) ? b.max.x : b.min.x, (k & 2) ? b.max.y : b.min.y, (k & 4) ? b.max.z : b.min.z);
        p[k] = cam.R * w + cam.t;
    }
    const float W = float(cam.width) + kMarginPx, H = float(cam.height) + kMarginPx, m = kMarginPx;
    auto all_outside = [&](auto&& outside) {
        for (const glm::vec3& q : p)
            if (!outside(q)) return false;
        return true;
    };
    if (all_outside([&](const glm::vec3& q) { return q.z < kNear; })) return false;
    if (all_outside([&](const glm::vec3& q) { return cam.fx * q.x + (cam.cx + m) * q.z < 0.0f; })) return false;
    if (all_outside([&](const glm::vec3& q) { return cam.fx * q.x + (cam.cx - W) * q.z > 0.0f; })) return false;
    if (all_outside([&](const glm::vec3& q) { return cam.fy * q.y + (cam.cy + m) * q.z < 0.0f; })) return false;
    if (all_outside([&](const glm::vec3& q) { return cam.fy * q.y + (cam.cy - H) * q.z > 0.0f; })) return false;
    return true;
}

double screen_space_error(const Camera& cam, const TileNode& n) {
    const glm::vec3 c = cam.center();
    const glm::vec3 d = glm::max(glm::max(n.box.min - c, c - n.box.max), glm::vec3(0.0f));
    const double dist = glm::length(glm::dvec3(d));
    if (dist <= 0.0) return std::numeric_limits<double>::infinity();
    return n.geometric_error * double(cam.fy) / dist;
}

} // namespace

LodSelector::LodSelector(const TileTree& tree, SelectionBudget budget, std::function<uint64_t(uint64_t)> bytes_of)
    : m_tree(tree), m_budget(budget), m_bytes_of(std::move(bytes_of)) {
    const size_t n = tree.nodes.size();
    m_state.assign(n, TileResidency::Absent);
    m_known_splats.assign(n, 0);
    m_charged.assign(n, 0);
    m_last_used.assign(n, 0);
    m_sse.assign(n, 0.0);
    m_fade.assign(n, 0.0f);
    uint64_t largest = 0;
    for (const TileNode& t : tree.nodes) largest = std::max(largest, t.splats);
    if (largest > 0) m_unknown_splats = largest;
}

uint64_t LodSelector::splats(int t) const {
    if (!has_content(t) || m_state[size_t(t)] == TileResidency::Failed) return 0;
    if (m_state[size_t(t)] == TileResidency::Resident) return m_known_splats[size_t(t)];
    const uint64_t s = m_tree.nodes[size_t(t)].splats;
    return s > 0 ? s : m_unknown_splats;
}

uint64_t LodSelector::cost(int t) const {
    if (!has_content(t) || m_state[size_t(t)] == TileResidency::Failed) return 0;
    if (m_state[size_t(t)] == TileResidency::Resident || m_state[size_t(t)] == TileResidency::Loading)
        return m_charged[size_t(t)];
    return m_bytes_of(splats(t));
}

uint64_t LodSelector::resident_splats() const {
    uint64_t s = 0;
    for (size_t t = 0; t < m_state.size(); ++t)
        if (m_state[t] == TileResidency::Resident) s += m_known_splats[t];
    return s;
}

size_t LodSelector::resident_tiles() const {
    return size_t(std::count(m_state.begin(), m_state.end(), TileResidency::Resident));
}
size_t LodSelector::loading_tiles() const {
    return size_t(std::count(m_state.begin(), m_state.end(), TileResidency::Loading));
}
size_t LodSelector::failed_tiles() const {
    return size_t(std::count(m_state.begin(), m_state.end(), TileResidency::Failed));
}

bool LodSelector::set_state(int t, TileResidency s, uint64_t count) {
    const size_t i = size_t(t);
    m_resident_bytes -= m_charged[i];
    m_charged[i] = 0;
    m_state[i] = s;
    if (s == TileResidency::Resident) {
        m_known_splats[i] = count;
        const uint64_t bytes = m_bytes_of(count);
        if (m_resident_bytes + bytes > m_budget.max_bytes) {
            m_state[i] = TileResidency::Absent; // larger than announced, and no room
            return false;
        }
        m_charged[i] = bytes;
        m_resident_bytes += bytes;
        m_last_used[i] = m_frame;
    }
    if (s != TileResidency::Resident) m_fade[i] = 0.0f;
    return true;
}

SelectionPlan LodSelector::plan(const Camera& cam, size_t max_new_loads) {
    ++m_frame;
    SelectionPlan plan;
    const size_t n = m_tree.nodes.size();
    if (n == 0) return plan;
    const auto& nodes = m_tree.nodes;
    std::vector<char> visible(n, 0), desired(n, 0), ancestor(n, 0);
    auto visible_children = [&](int t) {
        std::vector<int> kids;
        for (int c : nodes[size_t(t)].children)
            if (in_frustum(cam, nodes[size_t(c)].box)) {
                visible[size_t(c)] = 1;
                m_sse[size_t(c)] = screen_space_error(cam, nodes[size_t(c)]);
                kids.push_back(c);
            }
        return kids;
    };
    std::fill(m_sse.begin(), m_sse.end(), 0.0);

    // 2. The desired cut, best first within the budgets.
    if (in_frustum(cam, nodes[0].box)) {
        visible[0] = 1;
        m_sse[0] = screen_space_error(cam, nodes[0]);
        uint64_t S = splats(0), B = cost(0);
        if (S <= m_budget.max_splats && B <= m_budget.max_bytes) {
            using Entry = std::pair<double, int>;
            auto cmp = [](const Entry& a, const Entry& b) {
                return a.first < b.first || (a.first == b.first && a.second > b.second);
            };
            std::priority_queue<Entry, std::vector<Entry>, decltype(cmp)> queue(cmp);
            queue.push({m_sse[0], 0});
            while (!queue.empty()) {
                const int t = queue.top().second;
                queue.pop();
                const std::vector<int> kids = visible_children(t);
                const bool force = !has_content(t) || m_state[size_t(t)] == TileResidency::Failed;
                const bool has_children = !nodes[size_t(t)].children.empty();
                // A merged tile reaches further than its children: when none of them is in view, its
                // detail is not either, and it refines to nothing.
                if (has_children && (force || m_sse[size_t(t)] > m_budget.tau_px)) {
                    uint64_t ks = 0, kb = 0;
                    for (int c : kids) ks += splats(c), kb += cost(c);
                    const uint64_t s_after = S - splats(t) + ks;
                    if (s_after <= m_budget.max_splats && B + kb <= m_budget.max_bytes) {
                        S = s_after;
                        B += kb;
                        ancestor[size_t(t)] = 1;
                        for (int c : kids) queue.push({m_sse[size_t(c)], c});
                        continue;
                    }
                }
                desired[size_t(t)] = 1;
                plan.desired.push_back(t);
            }
            plan.desired_splats = S;
        }
    }
    std::sort(plan.desired.begin(), plan.desired.end());

    // 4. Memory: make room within the budget (it may have been lowered), then start loads.
    std::vector<char> drawn_before(n, 0);
    for (size_t t = 0; t < n; ++t) drawn_before[t] = m_fade[t] > 0.0f;
    for (size_t t = 0; t < n; ++t)
        if ((desired[t] || ancestor[t] || drawn_before[t]) && m_state[t] == TileResidency::Resident)
            m_last_used[t] = m_frame;
    auto evictable = [&](int tier) {
        std::vector<int> out;
        for (size_t t = 0; t < n; ++t) {
            if (m_state[t] != TileResidency::Resident || !has_content(int(t))) continue;
            const bool wanted = desired[t] || ancestor[t];
            if (tier == 1 && !wanted && !drawn_before[t]) out.push_back(int(t));
            if (tier == 2 && !wanted && drawn_before[t]) out.push_back(int(t));
            if (tier == 3 && wanted) out.push_back(int(t));
        }
        std::sort(out.begin(), out.end(), [&](int a, int b) {
            if (tier == 3)
                return nodes[size_t(a)].level > nodes[size_t(b)].level ||
                       (nodes[size_t(a)].level == nodes[size_t(b)].level && a > b);
            return m_last_used[size_t(a)] < m_last_used[size_t(b)] ||
                   (m_last_used[size_t(a)] == m_last_used[size_t(b)] && a < b);
        });
        return out;
    };
    auto evict = [&](int t) {
        set_state(t, TileResidency::Absent);
        plan.evict.push_back(t);
    };
    // Room for `need` more bytes, dropping the least wanted tiles; `max_tier` 3 also drops wanted ones.
    auto make_room = [&](uint64_t need, int max_tier) {
        for (int tier = 1; tier <= max_tier && m_resident_bytes + need > m_budget.max_bytes; ++tier)
            for (int t : evictable(tier)) {
                if (m_resident_bytes + need <= m_budget.max_bytes) break;
                evict(t);
            }
        return m_resident_bytes + need <= m_budget.max_bytes;
    };
    make_room(0, 3);

    std::vector<int> wanted;
    for (size_t t = 0; t < n; ++t)
        if ((desired[t] || ancestor[t]) && has_content(int(t)) && m_state[t] == TileResidency::Absent)
            wanted.push_back(int(t));
    std::sort(wanted.begin(), wanted.end(), [&](int a, int b) {
        const auto &na = nodes[size_t(a)], &nb = nodes[size_t(b)];
        if (na.level != nb.level) return na.level < nb.level;
        if (m_sse[size_t(a)] != m_sse[size_t(b)]) return m_sse[size_t(a)] > m_sse[size_t(b)];
        return a < b;
    });
    for (int t : wanted) {
        if (plan.load.size() >= max_new_loads) break;
        const uint64_t need = m_bytes_of(splats(t));
        if (!make_room(need, 2)) break;
        m_state[size_t(t)] = TileResidency::Loading;
        m_charged[size_t(t)] = need;
        m_resident_bytes += need;
        plan.load.push_back(t);
    }

    // 3. What is drawn, from what is resident now.
    std::vector<signed char> complete_memo(n, -1);
    std::function<bool(int)> complete = [&](int t) -> bool {
        signed char& m = complete_memo[size_t(t)];
        if (m >= 0) return m;
        bool ok = drawable(t);
        if (!ok) {
            bool any = false;
            ok = true;
            for (int c : nodes[size_t(t)].children)
                if (visible[size_t(c)] || in_frustum(cam, nodes[size_t(c)].box)) {
                    visible[size_t(c)] = 1;
                    any = true;
                    if (!complete(c)) {
                        ok = false;
                        break;
                    }
                }
            ok = ok && any;
        }
        m = ok ? 1 : 0;
        return ok;
    };
    std::vector<char> drawn(n, 0);
    auto emit = [&](int t) {
        if (!has_content(t)) return;
        const uint64_t s = m_known_splats[size_t(t)];
        if (plan.drawn_splats + s > m_budget.max_splats) return; // a hole rather than over the budget
        plan.drawn_splats += s;
        drawn[size_t(t)] = 1;
        plan.draw.push_back({t, 1.0f});
    };
    // The shallowest resident cover of a complete subtree.
    std::function<void(int)> cover = [&](int t) {
        if (drawable(t)) {
            emit(t);
            return;
        }
        for (int c : nodes[size_t(t)].children)
            if (visible[size_t(c)]) cover(c);
    };
    std::function<void(int)> draw = [&](int t) {
        if (desired[size_t(t)]) {
            if (complete(t)) cover(t);
            return;
        }
        if (!ancestor[size_t(t)]) return;
        std::vector<int> kids;
        bool all = true;
        for (int c : nodes[size_t(t)].children)
            if (desired[size_t(c)] || ancestor[size_t(c)]) {
                kids.push_back(c);
                all = all && complete(c);
            }
        if (!all && drawable(t) && has_content(t)) {
            emit(t); // the parent until its children have arrived
            return;
        }
        for (int c : kids) draw(c);
    };
    if (visible[0]) draw(0);

    // 5. Fades.
    bool fading = false;
    const float step = m_budget.fade_frames > 0 ? 1.0f / float(m_budget.fade_frames) : 1.0f;
    for (DrawnTile& d : plan.draw) {
        float& f = m_fade[size_t(d.tile)];
        f = f > 0.0f ? std::min(1.0f, f + step) : step;
        d.fade = f;
        fading = fading || f < 1.0f;
    }
    for (size_t t = 0; t < n; ++t) {
        if (drawn[t] || m_fade[t] <= 0.0f) continue;
        float& f = m_fade[t];
        f = std::max(0.0f, f - step);
        const uint64_t s = m_known_splats[t];
        if (f > 0.0f && m_state[t] == TileResidency::Resident && plan.drawn_splats + s <= m_budget.max_splats) {
            plan.draw.push_back({int(t), f});
            plan.drawn_splats += s;
            fading = true;
        } else {
            f = 0.0f;
        }
    }

    bool pending = false;
    for (size_t t = 0; t < n && !pending; ++t)
        if ((desired[t] || ancestor[t]) && has_content(int(t)) &&
            (m_state[t] == TileResidency::Absent || m_state[t] == TileResidency::Loading))
            pending = true;
    bool all_desired_drawn = true;
    for (int t : plan.desired)
        if (has_content(t) && m_state[size_t(t)] != TileResidency::Failed && !drawn[size_t(t)])
            all_desired_drawn = false;
    plan.refined = !pending && !fading && all_desired_drawn;
    return plan;
}

} // namespace splatscape
