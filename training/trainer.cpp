#include "training/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "core/metrics.hpp"
#include "training/checkpoint.hpp"
#include "training/densification.hpp"
#include "training/evaluation.hpp"
#include "training/kernels/random.hpp"
#include "training/models/gs4d.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/model.hpp"
#include "training/render.hpp"

namespace splatscape {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- run configuration ------------------------------------------------------------------------

Json to_json(const TrainOptions& o) {
    return {{"model", o.model},
            {"device", o.device},
            {"threads", o.threads},
            {"seed", o.seed},
            {"iterations", o.iterations},
            {"checkpoint_every", o.checkpoint_every},
            {"probe_every", o.probe_every},
            {"snapshot_every", o.snapshot_every},
            {"save_iterations", o.save_iterations},
            {"evaluate", o.evaluate},
            {"save_eval_images", o.save_eval_images}};
}

void update_from_json(TrainOptions& o, const Json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "options", "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string k = it.key(), f = "options." + k;
        if (k == "model")
            o.model = json_string(*it, f, where);
        else if (k == "device")
            o.device = json_string(*it, f, where);
        else if (k == "threads")
            o.threads = json_int(*it, f, where, 0, 4096);
        else if (k == "seed")
            o.seed = uint64_t(json_number(*it, f, where));
        else if (k == "iterations")
            o.iterations = json_int(*it, f, where, 0, 10000000);
        else if (k == "checkpoint_every")
            o.checkpoint_every = json_int(*it, f, where, 0, 10000000);
        else if (k == "probe_every")
            o.probe_every = json_int(*it, f, where, 0, 10000000);
        else if (k == "snapshot_every")
            o.snapshot_every = json_int(*it, f, where, 0, 10000000);
        else if (k == "evaluate")
            o.evaluate = json_bool(*it, f, where);
        else if (k == "save_eval_images")
            o.save_eval_images = json_bool(*it, f, where);
        else if (k == "save_iterations") {
            if (!it->is_array()) throw Error(where, f, "expected a list of iterations");
            o.save_iterations.clear();
            for (size_t i = 0; i < it->size(); ++i)
                o.save_iterations.push_back(json_int((*it)[i], cat(f, "[", i, "]"), where, 1, 10000000));
        } else
            throw Error(where, f, "unknown setting");
    }
}

Json to_json(const DatasetOptions& o) {
    return {{"format", o.format},       {"downscale", o.downscale},
            {"max_width", o.max_width}, {"background", {o.background.x, o.background.y, o.background.z}},
            {"undistort", o.undistort}, {"test_every", o.test_every}};
}

void update_from_json(DatasetOptions& o, const Json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "dataset", "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string k = it.key(), f = "dataset." + k;
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

namespace {

Json run_config_json(const TrainSetup& s) {
    return {{"model", s.options.model},
            {"data", fs::absolute(s.data).lexically_normal().string()},
            {"dataset", to_json(s.dataset)},
            {"options", to_json(s.options)},
            {"model_config", s.model_config}};
}

} // namespace

TrainSetup read_run_config(const fs::path& run_dir) {
    const fs::path file = run_dir / "config.json";
    if (!fs::exists(file))
        throw Error(run_dir.string(), "",
                    "not a run folder (no config.json; expected the -o folder of `splatscape train`)");
    const Json j = load_json(file);
    const std::string where = file.string();
    TrainSetup s;
    s.run_dir = run_dir;
    s.data = json_string(json_member(j, "data", "", where), "data", where);
    update_from_json(s.dataset, json_member(j, "dataset", "", where), where);
    update_from_json(s.options, json_member(j, "options", "", where), where);
    s.options.model = json_string(json_member(j, "model", "", where), "model", where);
    s.model_config = json_member(j, "model_config", "", where);
    return s;
}

// ---- training ---------------------------------------------------------------------------------

namespace {

struct TrainView {
    std::string name;
    ViewInfo view;
    Tensor image; // [H * W, 3], or premultiplied RGBA [H * W, 4] with random backgrounds
    int width = 0, height = 0;
};

class Run {
public:
    Run(TrainSetup& setup, TrainerMessageQueue& messages, TrainerCommandQueue& commands)
        : m_setup(setup), m_messages(messages), m_commands(commands) {}

    void execute();

private:
    void setup();
    void restore(const CheckpointData& ckpt);
    void step(int iteration);
    void step_view(int iteration); // forward, loss and backward of one view
    CheckpointData make_checkpoint(int iteration);
    void save_checkpoint(int iteration);
    void save_ply(int iteration, bool versioned);
    double probe(int iteration);
    void evaluate_final(int iteration, msg::Finished& finished);
    bool handle_commands(int iteration); // false: stop requested
    void emit_progress(int iteration, bool force);
    int next_view();
    void log(const std::string& text) { m_messages.push(msg::Log{text}); }
    void publish_live(int iteration);

    TrainSetup& m_setup;
    TrainerMessageQueue& m_messages;
    TrainerCommandQueue& m_commands;

    Dataset m_dataset;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<GaussianModel> m_model;
    std::unique_ptr<DensificationStrategy> m_densifier;
    TrainingRecipe m_recipe;
    std::vector<TrainView> m_views;
    std::unique_ptr<RasterContext> m_ctx;
    Tensor m_render, m_d_render, m_target;
    float m_background[3] = {0, 0, 0};
    float m_extent = 1.0f;
    int m_start_iteration = 0;
    int m_adam_step = 0;
    std::mt19937_64 m_rng;
    std::vector<int> m_view_order;
    size_t m_view_pos = 0;

    // Probe view (host).
    Camera m_probe_camera;
    Image m_probe_image;
    std::string m_probe_name;
    bool m_has_probe = false;
    float m_probe_time = 0.0f;
    float m_min_temporal_weight = 0.05f; // dynamic models: the slice's cut-off when rendering

    // Progress accounting.
    double m_loss_sum = 0, m_l1_sum = 0, m_ssim_sum = 0;
    int m_loss_count = 0;
    double m_train_seconds = 0; // this session
    double m_total_seconds = 0; // including earlier sessions of a resumed run
    Clock::time_point m_last_progress;
    int m_last_progress_iteration = 0;
    double m_last_progress_seconds = 0;
};

void Run::setup() {
    TrainOptions& opt = m_setup.options;
    const fs::path& dir = m_setup.run_dir;
    std::optional<CheckpointData> ckpt;
    if (opt.resume) {
        const fs::path file = dir / "checkpoint.bin";
        if (!fs::exists(file)) throw Error(file.string(), "", "no checkpoint to resume from");
        ckpt = read_checkpoint(file);
        // The run's own settings come from the checkpoint; iterations, device and threads may change.
        const std::string where = file.string();
        const Json& rc = json_member(ckpt->meta, "run_config", "", where);
        TrainOptions saved;
        update_from_json(saved, json_member(rc, "options", "", where), where);
        saved.model = json_string(json_member(rc, "model", "", where), "model", where);
        saved.device = opt.device;
        saved.threads = opt.threads;
        saved.iterations = opt.iterations > 0 ? opt.iterations : saved.iterations;
        saved.resume = true;
        saved.progress_interval_ms = opt.progress_interval_ms;
        if (opt.snapshot_every) saved.snapshot_every = opt.snapshot_every;
        opt = saved;
        m_setup.data = json_string(json_member(rc, "data", "", where), "data", where);
        m_setup.dataset = DatasetOptions{};
        update_from_json(m_setup.dataset, json_member(rc, "dataset", "", where), where);
        m_setup.model_config = json_member(rc, "model_config", "", where);
    }
    if (opt.iterations > 0) m_setup.model_config["iterations"] = opt.iterations;

    log(cat("loading ", m_setup.data.string()));
    m_dataset = load_dataset(m_setup.data, m_setup.dataset);
    if (m_dataset.train.empty()) throw Error(m_setup.data.string(), "", "the dataset has no training views");
    m_backend = create_backend(opt.device, opt.threads);
    m_extent = m_dataset.camera_extent();
    ModelBundle bundle =
        create_model(opt.model, *m_backend, m_setup.model_config, m_extent, (dir / "config.json").string());
    m_model = std::move(bundle.model);
    m_recipe = bundle.recipe;
    m_setup.model_config = m_model->config_json();
    {
        // The scene's time range (dynamic datasets), over every split: held-out times lie inside it.
        float t0 = 0.0f, t1 = 0.0f;
        bool any = false;
        for (const auto* frames : {&m_dataset.train, &m_dataset.val, &m_dataset.test})
            for (const Frame& f : *frames)
                if (f.time) {
                    t0 = any ? std::min(t0, *f.time) : *f.time;
                    t1 = any ? std::max(t1, *f.time) : *f.time;
                    any = true;
                }
        m_model->set_time_range(t0, t1);
    }

    // Background: the configured one, else the colour RGBA images were composited on, else black.
    glm::vec3 bg{0.0f};
    if (m_recipe.background.size() == 3)
        bg = {m_recipe.background[0], m_recipe.background[1], m_recipe.background[2]};
    else if (m_dataset.has_alpha)
        bg = m_dataset.background;
    m_background[0] = bg.x;
    m_background[1] = bg.y;
    m_background[2] = bg.z;
    const bool white = bg.x == 1.0f && bg.y == 1.0f && bg.z == 1.0f;
    m_densifier = m_model->make_densifier(m_recipe.densify, m_extent, opt.seed, white);
    if (!m_densifier)
        m_densifier = std::make_unique<AdaptiveDensityControl>(*m_backend, m_recipe.densify, m_extent, opt.seed, white);

    // Training images on the device. With random backgrounds and RGBA images, keep premultiplied
    // RGBA (from composites over black and over white) so each iteration can compose its own target.
    const bool premultiplied = m_recipe.random_background && m_dataset.has_alpha;
    Dataset black = m_dataset, whiteds = m_dataset;
    black.background = glm::vec3(0.0f);
    whiteds.background = glm::vec3(1.0f);
    Dataset training_bg = m_dataset;
    training_bg.background = bg;
    log(cat("loading ", m_dataset.train.size(), " training images"));
    for (const Frame& f : m_dataset.train) {
        TrainView v;
        v.name = f.name;
        const Camera cam = m_dataset.render_camera(f);
        v.view.camera = raster_camera(cam);
        v.view.time = f.time.value_or(0.0f);
        v.width = cam.width;
        v.height = cam.height;
        const size_t pixels = size_t(cam.width) * cam.height;
        if (premultiplied) {
            const Image b = black.load_image(f), w = whiteds.load_image(f);
            std::vector<float> rgba(pixels * 4);
            for (size_t i = 0; i < pixels; ++i) {
                float a = 0;
                for (int c = 0; c < 3; ++c) {
                    rgba[i * 4 + c] = b.data[i * 3 + c];
                    a += 1.0f - (w.data[i * 3 + c] - b.data[i * 3 + c]);
                }
                rgba[i * 4 + 3] = std::clamp(a / 3.0f, 0.0f, 1.0f);
            }
            v.image = m_backend->zeros(pixels, 4);
            m_backend->upload(v.image, rgba.data());
        } else {
            const Image img = training_bg.load_image(f);
            v.image = m_backend->zeros(pixels, 3);
            m_backend->upload(v.image, img.data.data());
        }
        m_views.push_back(std::move(v));
    }

    // The probe: the first held-out view, else the first training view.
    const auto& held_out = evaluation_frames(m_dataset);
    const Frame& probe = held_out.empty() ? m_dataset.train.front() : held_out.front();
    m_probe_camera = m_dataset.render_camera(probe);
    m_probe_image = training_bg.load_image(probe);
    m_probe_name = probe.name;
    m_probe_time = probe.time.value_or(0.0f);
    if (m_model->dynamic())
        m_min_temporal_weight =
            float(json_number(json_member(m_setup.model_config, "min_temporal_weight", "", "model config"),
                              "min_temporal_weight", "model config"));
    m_has_probe = opt.probe_every > 0;

    m_ctx = m_backend->create_raster_context();
    m_rng.seed(opt.seed);
    if (ckpt) {
        restore(*ckpt);
    } else {
        // Dynamic models without points start from random Gaussians where the cameras look.
        const bool focus = m_model->dynamic() && m_dataset.points.size() == 0;
        m_model->initialize(m_dataset.points, focus ? camera_focus_bounds(m_dataset) : m_dataset.bounds, opt.seed);
        m_densifier->reset(m_model->size());
        log(cat("initialised ", m_model->size(), " Gaussians from ",
                m_dataset.points.size() ? "the dataset's points" : "random points in the scene bounds"));
    }
    fs::create_directories(dir);
    save_json(dir / "config.json", run_config_json(m_setup));
}

void Run::restore(const CheckpointData& ckpt) {
    const std::string where = (m_setup.run_dir / "checkpoint.bin").string();
    if (ckpt.model_type != m_model->type())
        throw Error(where, "model type", cat("checkpoint of a ", ckpt.model_type, " model, run is ", m_model->type()));
    m_start_iteration = json_int(json_member(ckpt.meta, "iteration", "", where), "iteration", where, 0, 100000000);
    m_adam_step = json_int(json_member(ckpt.meta, "adam_step", "", where), "adam_step", where, 0, 100000000);
    m_total_seconds = json_number(json_member(ckpt.meta, "train_seconds", "", where), "train_seconds", where);
    {
        std::istringstream in(json_string(json_member(ckpt.meta, "rng", "", where), "rng", where));
        in >> m_rng;
        if (!in) throw Error(where, "rng", "unreadable random generator state");
    }
    const Json& order = json_member(ckpt.meta, "view_order", "", where);
    if (!order.is_array()) throw Error(where, "view_order", "expected a list");
    m_view_order.clear();
    for (size_t i = 0; i < order.size(); ++i)
        m_view_order.push_back(json_int(order[i], "view_order", where, 0, int(m_views.size()) - 1));
    m_view_pos =
        size_t(json_int(json_member(ckpt.meta, "view_pos", "", where), "view_pos", where, 0, int(m_view_order.size())));

    auto load = [&](const std::string& name, Tensor& t, size_t rows, int cols) {
        const HostTensor* h = ckpt.find(name);
        if (!h) throw Error(where, name, "missing from the checkpoint");
        if (h->rows != rows || h->cols != uint32_t(cols) || h->dtype != DType::F32)
            throw Error(where, name,
                        cat("expected ", rows, " x ", cols, " float values, found ", h->rows, " x ", h->cols));
        m_backend->upload(t, h->data.data());
    };
    const HostTensor* first = ckpt.find(m_model->params().all().front().name);
    if (!first) throw Error(where, m_model->params().all().front().name, "missing from the checkpoint");
    const size_t rows = first->rows;
    ParameterSet& ps = m_model->params();
    ps.resize_rows(*m_backend, rows);
    for (Parameter& p : ps.all()) {
        load(p.name, p.value, rows, p.value.cols());
        load(p.name + ".exp_avg", p.exp_avg, rows, p.value.cols());
        load(p.name + ".exp_avg_sq", p.exp_avg_sq, rows, p.value.cols());
    }
    m_densifier->reset(rows);
    for (auto& [name, tensor] : m_densifier->state()) load(name, *tensor, rows, tensor->cols());
    log(cat("resumed at iteration ", m_start_iteration, " with ", rows, " Gaussians"));
}

CheckpointData Run::make_checkpoint(int iteration) {
    CheckpointData d;
    d.model_type = m_model->type();
    std::ostringstream rng;
    rng << m_rng;
    d.meta = {{"iteration", iteration},
              {"adam_step", m_adam_step},
              {"rng", rng.str()},
              {"view_order", m_view_order},
              {"view_pos", m_view_pos},
              {"train_seconds", m_total_seconds},
              {"run_config", run_config_json(m_setup)}};
    auto add = [&](const std::string& name, const Tensor& t) {
        HostTensor h;
        h.name = name;
        h.rows = t.rows();
        h.cols = uint32_t(t.cols());
        h.dtype = t.dtype();
        h.data.resize(t.bytes());
        m_backend->download(t, h.data.data());
        d.tensors.push_back(std::move(h));
    };
    for (const Parameter& p : m_model->params().all()) {
        add(p.name, p.value);
        add(p.name + ".exp_avg", p.exp_avg);
        add(p.name + ".exp_avg_sq", p.exp_avg_sq);
    }
    if (m_densifier->state().front().second->rows() != m_model->size()) m_densifier->reset(m_model->size());
    for (auto& [name, tensor] : m_densifier->state()) add(name, *tensor);
    return d;
}

void Run::save_checkpoint(int iteration) {
    const fs::path path = m_setup.run_dir / "checkpoint.bin";
    write_checkpoint(path, make_checkpoint(iteration));
    m_messages.push(msg::Saved{iteration, "checkpoint", path});
}

void Run::save_ply(int iteration, bool versioned) {
    const fs::path main = m_setup.run_dir / "point_cloud.ply";
    const fs::path numbered = m_setup.run_dir / "point_cloud" / cat("iteration_", iteration) / "point_cloud.ply";
    if (m_model->dynamic()) {
        // The 4D layout of core/io/ply_4d.hpp.
        const GaussianCloud4d cloud = m_model->to_cloud_4d();
        write_gaussian_4d_ply(main, cloud);
        if (versioned) write_gaussian_4d_ply(numbered, cloud);
        m_messages.push(msg::Saved{iteration, "ply", main});
        return;
    }
    const GaussianCloud cloud = m_model->to_cloud();
    write_gaussian_ply(main, cloud);
    if (versioned) write_gaussian_ply(numbered, cloud);
    m_messages.push(msg::Saved{iteration, "ply", main});
}

int Run::next_view() {
    // A random permutation of the training views per epoch, as the reference's viewpoint stack.
    if (m_view_pos >= m_view_order.size()) {
        m_view_order.resize(m_views.size());
        for (size_t i = 0; i < m_views.size(); ++i) m_view_order[i] = int(i);
        std::shuffle(m_view_order.begin(), m_view_order.end(), m_rng);
        m_view_pos = 0;
    }
    return m_view_order[m_view_pos++];
}

void Run::step(int iteration) {
    m_model->set_iteration(iteration);
    // Several views per step (gs4d: several timestamps): the model's backward adds each view's share
    // of the mean gradient, so the gradients start from zero.
    const int batch = std::max(1, m_recipe.batch_size);
    if (batch > 1 || m_model->dynamic()) m_model->params().zero_grads(*m_backend);
    for (int b = 0; b < batch; ++b) step_view(iteration);

    const DensifyReport report = m_densifier->update(*m_model, iteration);
    if (report.changed())
        m_messages.push(msg::Densified{iteration, report.cloned, report.split, report.pruned, report.opacity_reset,
                                       m_model->size()});

    ++m_adam_step;
    const std::vector<ParamLr> lrs = m_model->learning_rates(iteration);
    auto& params = m_model->params().all();
    for (size_t i = 0; i < params.size(); ++i) {
        Parameter& p = params[i];
        // Tensors replaced by densification this iteration have no gradient: no step, as in the reference.
        if (report.replaced_all || (report.replaced_opacity && &p == &m_model->opacity())) continue;
        const kern::AdamStep a = kern::adam_step_for(lrs[i].lr_a, m_adam_step);
        const kern::AdamStep b = kern::adam_step_for(lrs[i].lr_b, m_adam_step);
        m_backend->adam_step(p.value, p.grad, p.exp_avg, p.exp_avg_sq, a, lrs[i].split_col, b);
    }
}

void Run::step_view(int iteration) {
    TrainView& v = m_views[size_t(next_view())];
    FrameSpec frame;
    frame.camera = v.view.camera;
    frame.settings.antialiased = m_recipe.antialiased ? 1 : 0;
    frame.settings.eps2d = m_recipe.eps2d;
    if (m_recipe.random_background)
        for (int c = 0; c < 3; ++c)
            frame.background[c] = kern::random_uniform(m_setup.options.seed, 0x6267ull, uint64_t(iteration) * 3 + c);
    else
        for (int c = 0; c < 3; ++c) frame.background[c] = m_background[c];

    const size_t pixels = size_t(v.width) * v.height;
    if (m_render.rows() != pixels) {
        m_render = m_backend->zeros(pixels, 3);
        m_d_render = m_backend->zeros(pixels, 3);
    }
    const Tensor* target = &v.image;
    if (v.image.cols() == 4) {
        if (m_target.rows() != pixels) m_target = m_backend->zeros(pixels, 3);
        m_backend->compose_over(v.image, frame.background, m_target);
        target = &m_target;
    }

    RasterTensors in = m_model->raster_inputs(v.view);
    RenderTensors out{&m_render, nullptr, nullptr};
    m_backend->rasterize_forward(in, frame, *m_ctx, out);
    const LossValue loss =
        m_backend->image_loss(m_render, *target, v.width, v.height, m_recipe.ssim_weight, &m_d_render);
    RasterGradTensors grads = m_model->raster_grads();
    RenderTensors d_out{&m_d_render, nullptr, nullptr};
    m_backend->rasterize_backward(in, frame, *m_ctx, d_out, grads);
    m_model->backward(v.view);
    m_densifier->after_backward(*m_model, *m_ctx, iteration);

    m_loss_sum += loss.loss;
    m_l1_sum += loss.l1;
    m_ssim_sum += loss.ssim;
    ++m_loss_count;
}

void Run::publish_live(int iteration) {
    if (!m_setup.live_view) return;
    try {
        m_setup.live_view->publish(*m_backend, *m_model, iteration);
    } catch (const std::exception& e) {
        log(cat("live view off: ", e.what()));
        m_setup.live_view.reset();
    }
}

double Run::probe(int iteration) {
    RenderOptions ro;
    ro.background = {m_background[0], m_background[1], m_background[2]};
    ro.antialiased = m_recipe.antialiased;
    ro.eps2d = m_recipe.eps2d;
    ro.sh_degree = m_model->active_sh_degree();
    double p = 0.0;
    if (m_model->dynamic()) {
        Cloud4dRenderer renderer(*m_backend, m_model->to_cloud_4d(), m_min_temporal_weight);
        p = psnr(renderer.render(m_probe_camera, m_probe_time, ro), m_probe_image);
    } else {
        CloudRenderer renderer(*m_backend, m_model->to_cloud());
        p = psnr(renderer.render(m_probe_camera, ro), m_probe_image);
    }
    m_messages.push(msg::Probe{iteration, p, m_probe_name});
    return p;
}

void Run::emit_progress(int iteration, bool force) {
    const auto now = Clock::now();
    if (!force && now - m_last_progress < std::chrono::milliseconds(m_setup.options.progress_interval_ms)) return;
    if (m_loss_count == 0 && iteration == m_last_progress_iteration && m_last_progress_iteration > 0) return;
    msg::Progress p;
    p.iteration = iteration;
    p.iterations = m_recipe.iterations;
    if (m_loss_count) {
        p.loss = m_loss_sum / m_loss_count;
        p.l1 = m_l1_sum / m_loss_count;
        p.ssim = m_ssim_sum / m_loss_count;
    }
    p.gaussians = m_model->size();
    const double dt = m_train_seconds - m_last_progress_seconds;
    p.iterations_per_second = dt > 0 ? double(iteration - m_last_progress_iteration) / dt : 0.0;
    p.elapsed_seconds = m_train_seconds;
    m_messages.push(p);
    m_last_progress = now;
    m_last_progress_iteration = iteration;
    m_last_progress_seconds = m_train_seconds;
    m_loss_sum = m_l1_sum = m_ssim_sum = 0;
    m_loss_count = 0;
}

bool Run::handle_commands(int iteration) {
    bool paused = false;
    while (true) {
        std::optional<TrainerCommand> c =
            paused ? m_commands.pop_for(std::chrono::milliseconds(100)) : m_commands.try_pop();
        if (!c) {
            if (paused) continue;
            return true;
        }
        switch (*c) {
        case TrainerCommand::Pause:
            if (!paused) m_messages.push(msg::Paused{iteration, true});
            paused = true;
            break;
        case TrainerCommand::Resume:
            if (paused) m_messages.push(msg::Paused{iteration, false});
            paused = false;
            break;
        case TrainerCommand::Stop:
            return false;
        case TrainerCommand::SaveCheckpoint:
            save_checkpoint(iteration);
            break;
        case TrainerCommand::Snapshot:
            m_messages.push(msg::Snapshot{iteration, std::make_shared<const GaussianCloud>(m_model->to_cloud())});
            break;
        }
    }
}

void Run::evaluate_final(int iteration, msg::Finished& finished) {
    const auto& frames = evaluation_frames(m_dataset);
    if (frames.empty()) {
        log("no held-out views: skipping the final evaluation");
        return;
    }
    log(cat("evaluating ", frames.size(), " held-out views"));
    RenderOptions ro;
    ro.background = {m_background[0], m_background[1], m_background[2]};
    ro.antialiased = m_recipe.antialiased;
    ro.eps2d = m_recipe.eps2d;
    Dataset eval_ds = m_dataset;
    eval_ds.background = ro.background;
    const fs::path out = m_setup.options.save_eval_images ? m_setup.run_dir / "eval" : fs::path();
    EvalResult r;
    if (m_model->dynamic()) {
        // Held-out views at their own times.
        Cloud4dRenderer renderer(*m_backend, m_model->to_cloud_4d(), m_min_temporal_weight);
        r = evaluate_frames(
            eval_ds, frames,
            [&](const Frame& f, const Camera& c) { return renderer.render(c, f.time.value_or(0.0f), ro); }, out);
    } else {
        CloudRenderer renderer(*m_backend, m_model->to_cloud());
        r = evaluate_views(
            eval_ds, frames, [&](const Camera& c) { return renderer.render(c, ro); }, out);
    }
    Json j = r.to_json();
    j["iteration"] = iteration;
    j["gaussians"] = m_model->size();
    j["train_seconds"] = m_total_seconds;
    j["background"] = {ro.background.x, ro.background.y, ro.background.z};
    save_json(m_setup.run_dir / "eval.json", j);
    m_messages.push(msg::Saved{iteration, "evaluation", m_setup.run_dir / "eval.json"});
    finished.evaluated = true;
    finished.psnr = r.psnr;
    finished.ssim = r.ssim;
}

void Run::execute() {
    setup();
    const TrainOptions& opt = m_setup.options;
    const int total = m_recipe.iterations;
    m_messages.push(msg::Started{m_start_iteration, total, m_model->size(), m_backend->description(), m_setup.run_dir});
    m_last_progress = Clock::now();
    m_last_progress_iteration = m_start_iteration;
    std::ofstream metrics(m_setup.run_dir / "metrics.jsonl", std::ios::app);

    int iteration = m_start_iteration;
    bool stopped = false;
    publish_live(iteration);
    while (iteration < total) {
        if (!handle_commands(iteration)) {
            stopped = true;
            break;
        }
        const auto t0 = Clock::now();
        step(iteration + 1);
        ++iteration;
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        m_train_seconds += dt;
        m_total_seconds += dt;
        emit_progress(iteration, iteration == total);
        publish_live(iteration);
        if (m_has_probe && (iteration % opt.probe_every == 0 || iteration == total)) {
            const double p = probe(iteration);
            metrics << Json{{"iteration", iteration},
                            {"probe_psnr", p},
                            {"gaussians", m_model->size()},
                            {"train_seconds", m_total_seconds}}
                           .dump()
                    << "\n";
            metrics.flush();
        }
        if (opt.snapshot_every > 0 && iteration % opt.snapshot_every == 0)
            m_messages.push(msg::Snapshot{iteration, std::make_shared<const GaussianCloud>(m_model->to_cloud())});
        if (std::find(opt.save_iterations.begin(), opt.save_iterations.end(), iteration) != opt.save_iterations.end())
            save_ply(iteration, true);
        if (opt.checkpoint_every > 0 && iteration % opt.checkpoint_every == 0 && iteration < total)
            save_checkpoint(iteration);
    }
    emit_progress(iteration, true);
    save_checkpoint(iteration);
    save_ply(iteration, !stopped);
    msg::Finished finished;
    finished.iteration = iteration;
    finished.completed = !stopped;
    finished.train_seconds = m_total_seconds;
    if (!stopped && opt.evaluate) evaluate_final(iteration, finished);
    m_messages.push(finished);
}

} // namespace

Trainer::Trainer(TrainSetup setup, TrainerMessageQueue& messages, TrainerCommandQueue& commands)
    : m_setup(std::move(setup)), m_messages(messages), m_commands(commands) {}

void Trainer::run() {
    try {
        run_impl();
    } catch (const std::exception& e) {
        m_messages.push(msg::Failed{e.what()});
    }
}

void Trainer::run_impl() {
    Run run(m_setup, m_messages, m_commands);
    run.execute();
}

} // namespace splatscape
