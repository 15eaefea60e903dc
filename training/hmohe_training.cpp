#include "training/hmohe_training.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "training/kernels/adam.hpp"

namespace splatscape {

namespace fs = std::filesystem;

namespace {

constexpr int kRayGranularity = 64;

NerfRays make_rays(Backend& backend, size_t n) {
    NerfRays r;
    r.origin = backend.zeros(n, 3);
    r.direction = backend.zeros(n, 3);
    r.range = backend.zeros(n, 2);
    r.target = backend.zeros(n, 3);
    r.background = backend.zeros(n, 3);
    r.image = backend.zeros(n, 1, DType::I32);
    return r;
}

Tensor iota(Backend& backend, size_t n) {
    std::vector<int32_t> v(n);
    std::iota(v.begin(), v.end(), 0);
    Tensor t = backend.zeros(n, 1, DType::I32);
    backend.upload(t, v.data());
    return t;
}

// Rows of every round's samples, in round order.
NerfSamples concat(Backend& backend, std::vector<NerfSamples>& rounds) {
    if (rounds.size() == 1) return std::move(rounds.front());
    NerfSamples all = std::move(rounds.front());
    for (size_t r = 1; r < rounds.size(); ++r) {
        all.position = backend.concat_rows(all.position, rounds[r].position);
        all.direction = backend.concat_rows(all.direction, rounds[r].direction);
        all.step = backend.concat_rows(all.step, rounds[r].step);
        all.ray = backend.concat_rows(all.ray, rounds[r].ray);
    }
    return all;
}

// The host values of a space, for checkpoints.
Json space_json(const kern::NerfSpace& s) {
    return {{"center", {s.center[0], s.center[1], s.center[2]}},
            {"scale", s.scale},
            {"cascades", s.cascades},
            {"resolution", s.resolution},
            {"min_step", s.min_step},
            {"max_step", s.max_step},
            {"cone_angle", s.cone_angle},
            {"max_samples", s.max_samples}};
}

class NerfViewRenderer final : public ViewRenderer {
public:
    NerfViewRenderer(HmoheNetwork& network, glm::vec3 background) : m_network(network), m_background(background) {}
    Image render(const Frame&, const Camera& camera) override {
        return m_network.render(camera, m_background, NerfRenderMode::Colour).colour;
    }

private:
    HmoheNetwork& m_network;
    glm::vec3 m_background;
};

} // namespace

HmoheTraining::HmoheTraining(const TrainableSetup& setup)
    : m_backend(setup.backend), m_march(setup.backend.ops<RayMarchOps>("hmohe")),
      m_dispatch(setup.backend.ops<ExpertOps>("hmohe")), m_optimizer(setup.backend.ops<OptimizerOps>("hmohe")),
      m_dataset(setup.dataset), m_seed(setup.seed) {
    update_from_json(m_config, setup.config.is_null() ? Json::object() : setup.config, setup.where);
    m_config.validate(setup.where);
    const Dataset& ds = m_dataset;
    if (ds.dynamic) throw Error(setup.where, "model", "hmohe trains static scenes; this dataset has times (use gs4d)");

    // Background: the configured one, else the colour RGBA images were composited on, else black.
    if (m_config.background.size() == 3)
        m_background = {m_config.background[0], m_config.background[1], m_config.background[2]};
    else if (ds.has_alpha)
        m_background = ds.background;
    m_random_background = m_config.random_background && ds.has_alpha;

    // Training images as premultiplied RGBA8 (alpha from composites over black and over white).
    std::vector<int32_t> pixels, offsets{0};
    std::vector<float> cameras;
    Dataset black = ds, white = ds;
    black.background = glm::vec3(0.0f);
    white.background = glm::vec3(1.0f);
    auto byte = [](float v) { return uint32_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
    for (const Frame& f : ds.train) {
        const Camera cam = ds.render_camera(f);
        const Image b = black.load_image(f);
        const Image w = ds.has_alpha ? white.load_image(f) : Image();
        const size_t n = size_t(cam.width) * size_t(cam.height);
        if (size_t(offsets.back()) + n > size_t(INT32_MAX))
            throw Error(ds.root.string(), "", "the training images hold more than 2^31 pixels; use --downscale");
        for (size_t i = 0; i < n; ++i) {
            float a = 1.0f;
            if (ds.has_alpha) {
                a = 0.0f;
                for (int c = 0; c < 3; ++c) a += 1.0f - (w.data[3 * i + size_t(c)] - b.data[3 * i + size_t(c)]);
                a = std::clamp(a / 3.0f, 0.0f, 1.0f);
            }
            const uint32_t v =
                byte(b.data[3 * i]) | byte(b.data[3 * i + 1]) << 8 | byte(b.data[3 * i + 2]) << 16 | byte(a) << 24;
            pixels.push_back(int32_t(v));
        }
        offsets.push_back(int32_t(pixels.size()));
        const std::vector<float> row = nerf_camera_row(cam);
        cameras.insert(cameras.end(), row.begin(), row.end());
    }
    m_images.pixels = m_backend.zeros(pixels.size(), 1, DType::I32);
    m_backend.upload(m_images.pixels, pixels.data());
    m_images.offsets = m_backend.zeros(offsets.size(), 1, DType::I32);
    m_backend.upload(m_images.offsets, offsets.data());
    m_images.cameras = m_backend.zeros(ds.train.size(), kNerfCameraCols);
    m_backend.upload(m_images.cameras, cameras.data());

    m_network = std::make_unique<HmoheNetwork>(m_backend, m_config, nerf_space_for(m_config, ds), ds.train.size(),
                                               m_seed, true);
    m_rays_per_batch = m_config.initial_rays;
}

HmoheTraining::~HmoheTraining() = default;

std::string HmoheTraining::initialize() {
    // Cells no training camera sees never become occupied (they would only hold floaters).
    m_march.occupancy_mark_unseen(m_network->space(), m_images, m_network->occupancy_values());
    const kern::NerfSpace& s = m_network->space();
    return cat("hmohe: ", m_network->experts(), " experts, ", m_network->parameter_count(), " parameters; scene cube ",
               s.scale, " wide at (", s.center[0], ", ", s.center[1], ", ", s.center[2], "), ", s.cascades,
               s.cascades == 1 ? " cascade" : " cascades", " of ", s.resolution, "^3 cells");
}

void HmoheTraining::update_occupancy(int iteration) {
    const kern::NerfSpace& s = m_network->space();
    const bool every = iteration <= m_config.occupancy_warmup;
    const size_t uniform = size_t(double(s.cells()) * m_config.occupancy_sample_fraction);
    Tensor positions, cells, raw;
    m_march.occupancy_samples(s, m_network->occupancy_values(), m_seed, uint64_t(iteration), every, uniform, uniform,
                              m_config.occupancy_threshold, positions, cells);
    m_network->density(positions, raw);
    m_occupied = m_march.occupancy_update(s, cells, raw, 0, m_config.occupancy_decay, m_config.occupancy_threshold,
                                          m_network->occupancy_values(), m_network->occupancy_bits());
}

StepResult HmoheTraining::step(int iteration, bool, StepProfiler* profiler) {
    StepResult result;
    if (profiler) profiler->start();
    if ((iteration - 1) % m_config.occupancy_update_every == 0) update_occupancy(iteration);
    if (profiler) profiler->lap("occupancy");

    const kern::NerfSpace& space = m_network->space();
    const size_t R = size_t(m_rays_per_batch);
    NerfRays rays = make_rays(m_backend, R);
    const float bg[3] = {m_background.x, m_background.y, m_background.z};
    m_march.training_rays(space, m_images, m_seed, uint64_t(iteration), m_random_background, bg, rays);

    // March in rounds, evaluating densities only, until every ray stopped; keep each round's samples
    // with the ray they count for (-1 behind the ray's early stop).
    Tensor state = m_backend.zeros(R, kNerfStateCols);
    Tensor active = iota(m_backend, R), next, offsets, used, raw;
    std::vector<NerfSamples> rounds;
    std::vector<Tensor> keys;
    size_t alive = R;
    for (int round = 0; alive > 0; ++round) {
        NerfSamples samples;
        const int k = std::min(64, 8 << std::min(round, 3));
        const size_t S = m_march.march(space, m_network->occupancy_bits(), rays, active, k, samples, offsets);
        if (S > 0)
            m_network->forward(samples, &rays, false, raw, nullptr);
        else
            raw = m_backend.zeros(0, m_network->out_cols());
        alive = m_march.accumulate(space, rays, active, samples, offsets, raw, 0, nullptr, nullptr,
                                   m_network->stop_transmittance(), state, nullptr, used, next);
        std::swap(active, next);
        if (S > 0) {
            rounds.push_back(std::move(samples));
            keys.push_back(std::move(used));
        }
    }
    if (profiler) profiler->lap("march");

    // The samples in front of each ray's stop, grouped by ray.
    NerfSamples batch;
    Tensor ray_offsets, perm;
    if (rounds.empty()) {
        batch.position = m_backend.zeros(0, 3);
        batch.direction = m_backend.zeros(0, 3);
        batch.step = m_backend.zeros(0, 2);
        batch.ray = m_backend.zeros(0, 1, DType::I32);
        m_dispatch.group(m_backend.zeros(0, 1, DType::I32), int(R), perm, ray_offsets, false);
    } else {
        Tensor all_keys = std::move(keys.front());
        for (size_t r = 1; r < keys.size(); ++r) all_keys = m_backend.concat_rows(all_keys, keys[r]);
        NerfSamples all = concat(m_backend, rounds);
        m_dispatch.group(all_keys, int(R), perm, ray_offsets, false);
        m_dispatch.gather(all.position, perm, batch.position);
        m_dispatch.gather(all.direction, perm, batch.direction);
        m_dispatch.gather(all.step, perm, batch.step);
        m_dispatch.gather(all.ray, perm, batch.ray);
    }
    const size_t S = batch.size();
    m_last_samples = S;
    if (profiler) profiler->lap("compact");

    // Full forward, composite and loss, backward.
    Tensor out, rgb;
    if (S > 0)
        m_network->forward(batch, &rays, true, out, &rgb);
    else {
        out = m_backend.zeros(0, m_network->out_cols());
        rgb = m_backend.zeros(0, 3);
    }
    Tensor d_out = m_backend.zeros(S, m_network->out_cols());
    Tensor d_rgb = m_backend.zeros(S, 3);
    const float scale = 1.0f / float(3 * R);
    const kern::NerfLoss kind = m_config.loss == "l2" ? kern::NerfLoss::L2 : kern::NerfLoss::Huber;
    const NerfLossSums sums =
        m_march.composite_loss(batch, ray_offsets, rays, out, 0, rgb, kind, m_config.huber_delta, scale, d_out, d_rgb);
    if (profiler) profiler->lap("forward");
    const double loss = sums.loss * double(scale);
    if (!std::isfinite(loss))
        throw Error(cat("hmohe: the loss is not finite (", loss, ") at iteration ", iteration,
                        ": training diverged; the run's last checkpoint is kept (resume from it with a lower lr)"));
    double balance = 0.0;
    if (S > 0) {
        m_network->params().zero_grads(m_backend);
        balance = m_network->backward(batch, rays, out, d_out, d_rgb, m_config.balance_weight);
    }
    if (profiler) profiler->lap("backward");

    if (S > 0) {
        ++m_adam_step;
        const kern::AdamStep a =
            kern::adam_step_for(m_config.lr_at(iteration), m_adam_step, m_config.beta1, m_config.beta2, m_config.eps);
        for (Parameter& p : m_network->params().all())
            m_optimizer.adam_step(p.value, p.grad, p.exp_avg, p.exp_avg_sq, a, p.value.cols(), a);
    }
    if (profiler) profiler->lap("optimizer");

    // The next batch's ray count, so that it trains about target_samples samples.
    const double per_ray = S > 0 ? double(S) / double(R) : 1.0;
    const double want = double(m_config.target_samples) / std::max(per_ray, 1e-3);
    const int rays_next = int(std::lround(want / kRayGranularity)) * kRayGranularity;
    m_rays_per_batch = std::clamp(rays_next, kRayGranularity, m_config.max_rays);

    result.loss_sum.loss = loss + balance;
    result.loss_sum.l1 = sums.abs_error * double(scale);
    result.samples = 1;
    return result;
}

void HmoheTraining::save_state(CheckpointData& d) {
    d.meta["adam_step"] = m_adam_step;
    d.meta["rays_per_batch"] = m_rays_per_batch;
    d.meta["occupied"] = m_occupied;
    d.meta["images"] = m_dataset.train.size();
    d.meta["space"] = space_json(m_network->space());
    auto add = [&](const std::string& name, const Tensor& t) {
        HostTensor h;
        h.name = name;
        h.rows = t.rows();
        h.cols = uint32_t(t.cols());
        h.dtype = t.dtype();
        h.data.resize(t.bytes());
        m_backend.download(t, h.data.data());
        d.tensors.push_back(std::move(h));
    };
    for (const Parameter& p : m_network->params().all()) {
        add(p.name, p.value);
        add(p.name + ".exp_avg", p.exp_avg);
        add(p.name + ".exp_avg_sq", p.exp_avg_sq);
    }
    add("occupancy.values", m_network->occupancy_values());
    add("occupancy.bits", m_network->occupancy_bits());
}

void HmoheTraining::restore_state(const CheckpointData& ckpt, const std::string& where) {
    m_adam_step = json_int(json_member(ckpt.meta, "adam_step", "", where), "adam_step", where, 0, 100000000);
    m_rays_per_batch =
        json_int(json_member(ckpt.meta, "rays_per_batch", "", where), "rays_per_batch", where, 1, m_config.max_rays);
    m_occupied = json_number(json_member(ckpt.meta, "occupied", "", where), "occupied", where);
    const int images = json_int(json_member(ckpt.meta, "images", "", where), "images", where, 0, 100000000);
    if (size_t(images) != m_dataset.train.size())
        throw Error(where, "images",
                    cat("the checkpoint was trained on ", images, " images, the dataset has ", m_dataset.train.size(),
                        " training images (resume with the run's own dataset and settings)"));
    const Json saved = json_member(ckpt.meta, "space", "", where);
    if (saved != space_json(m_network->space()))
        throw Error(where, "space",
                    cat("the checkpoint's scene cube and occupancy grid ", saved.dump(), " differ from the run's ",
                        space_json(m_network->space()).dump(), " (the dataset or the settings changed)"));
    auto load = [&](const std::string& name, Tensor& t) {
        const HostTensor* h = ckpt.find(name);
        if (!h) throw Error(where, name, "missing from the checkpoint");
        if (h->rows != t.rows() || h->cols != uint32_t(t.cols()) || h->dtype != t.dtype())
            throw Error(where, name,
                        cat("expected ", t.rows(), " x ", t.cols(), " values (the run's settings), found ", h->rows,
                            " x ", h->cols));
        m_backend.upload(t, h->data.data());
    };
    for (Parameter& p : m_network->params().all()) {
        load(p.name, p.value);
        load(p.name + ".exp_avg", p.exp_avg);
        load(p.name + ".exp_avg_sq", p.exp_avg_sq);
    }
    load("occupancy.values", m_network->occupancy_values());
    load("occupancy.bits", m_network->occupancy_bits());
}

std::unique_ptr<ViewRenderer> HmoheTraining::renderer(bool) {
    return std::make_unique<NerfViewRenderer>(*m_network, m_background);
}

std::vector<fs::path> HmoheTraining::save(const fs::path& run_dir, int iteration, bool versioned) {
    const fs::path main = run_dir / "model.hmohe";
    const NerfScene s = scene();
    write_nerf_scene(main, s);
    if (!versioned) return {main};
    const fs::path numbered = run_dir / "model" / cat("iteration_", iteration) / "model.hmohe";
    write_nerf_scene(numbered, s);
    return {main, numbered};
}

void HmoheTraining::publish_live(LiveModelSink&, int) {
    // The zero-copy live view carries Gaussians; a NeRF reaches viewers as snapshots (nerf_snapshot).
}

} // namespace splatscape
