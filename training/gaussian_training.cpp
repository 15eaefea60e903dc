#include "training/gaussian_training.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "training/evaluation.hpp"
#include "training/kernels/random.hpp"
#include "training/models/gs4d.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/sags.hpp"
#include "training/render.hpp"

namespace splatscape {

namespace fs = std::filesystem;

struct GaussianTraining::View {
    std::string name;
    ViewInfo view;
    Tensor image; // [H * W, 3], or premultiplied RGBA [H * W, 4] with random backgrounds
    int width = 0, height = 0;
};

GaussianTraining::GaussianTraining(const TrainableSetup& setup, ModelBundle bundle)
    : m_backend(setup.backend), m_raster(setup.backend.ops<RasterOps>(bundle.model->type())),
      m_loss(setup.backend.ops<ImageLossOps>(bundle.model->type())),
      m_optimizer(setup.backend.ops<OptimizerOps>(bundle.model->type())), m_dataset(setup.dataset),
      m_seed(setup.seed), m_model(std::move(bundle.model)), m_recipe(bundle.recipe) {
    const Dataset& ds = m_dataset;
    {
        // The scene's time range (dynamic datasets), over every split: held-out times lie inside it.
        float t0 = 0.0f, t1 = 0.0f;
        bool any = false;
        for (const auto* frames : {&ds.train, &ds.val, &ds.test})
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
    else if (ds.has_alpha)
        bg = ds.background;
    m_background[0] = bg.x;
    m_background[1] = bg.y;
    m_background[2] = bg.z;
    const bool white = bg.x == 1.0f && bg.y == 1.0f && bg.z == 1.0f;
    const float extent = ds.camera_extent();
    m_densifier = m_model->make_densifier(m_recipe.densify, extent, m_seed, white);
    if (!m_densifier)
        m_densifier = std::make_unique<AdaptiveDensityControl>(m_backend, m_recipe.densify, extent, m_seed, white);

    // Training images on the device. With random backgrounds and RGBA images, keep premultiplied
    // RGBA (from composites over black and over white) so each iteration can compose its own target.
    const bool premultiplied = m_recipe.random_background && ds.has_alpha;
    Dataset black = ds, whiteds = ds;
    black.background = glm::vec3(0.0f);
    whiteds.background = glm::vec3(1.0f);
    Dataset training_bg = ds;
    training_bg.background = bg;
    for (const Frame& f : ds.train) {
        View v;
        v.name = f.name;
        const Camera cam = ds.render_camera(f);
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
            v.image = m_backend.zeros(pixels, 4);
            m_backend.upload(v.image, rgba.data());
        } else {
            const Image img = training_bg.load_image(f);
            v.image = m_backend.zeros(pixels, 3);
            m_backend.upload(v.image, img.data.data());
        }
        m_views.push_back(std::move(v));
    }
    if (m_model->dynamic())
        m_min_temporal_weight = float(json_number(json_member(m_model->config_json(), "min_temporal_weight", "", setup.where),
                                                  "min_temporal_weight", setup.where));
    m_ctx = m_raster.create_context();
    m_rng.seed(m_seed);
}

GaussianTraining::~GaussianTraining() = default;

std::string GaussianTraining::initialize() {
    // Dynamic models without points start from random Gaussians where the cameras look.
    const bool focus = m_model->dynamic() && m_dataset.points.size() == 0;
    m_model->initialize(m_dataset.points, focus ? camera_focus_bounds(m_dataset) : m_dataset.bounds, m_seed);
    m_densifier->reset(m_model->size());
    return cat("initialised ", m_model->size(), " Gaussians from ",
               m_dataset.points.size() ? "the dataset's points" : "random points in the scene bounds");
}

int GaussianTraining::next_view() {
    // A random permutation of the training views per epoch, as the reference's viewpoint stack.
    if (m_view_pos >= m_view_order.size()) {
        m_view_order.resize(m_views.size());
        for (size_t i = 0; i < m_views.size(); ++i) m_view_order[i] = int(i);
        std::shuffle(m_view_order.begin(), m_view_order.end(), m_rng);
        m_view_pos = 0;
    }
    return m_view_order[m_view_pos++];
}

StepResult GaussianTraining::step(int iteration, bool final_step, StepProfiler* profiler) {
    StepResult result;
    if (profiler) profiler->start();
    m_model->set_iteration(iteration);
    // Several views per step (gs4d: several timestamps): the model's backward adds each view's share
    // of the mean gradient, so the gradients start from zero.
    const int batch = std::max(1, m_recipe.batch_size);
    if (batch > 1 || m_model->dynamic()) m_model->params().zero_grads(m_backend);
    for (int b = 0; b < batch; ++b) step_view(iteration, profiler, result);

    const DensifyReport report = m_densifier->update(*m_model, iteration, final_step);
    if (report.changed()) {
        result.densified = true;
        result.densify = msg::Densified{iteration,      report.cloned,          report.split,
                                        report.pruned, report.opacity_reset, m_model->size()};
    }
    if (profiler) profiler->lap("densification");

    ++m_adam_step;
    const std::vector<ParamLr> lrs = m_model->learning_rates(iteration);
    auto& params = m_model->params().all();
    for (size_t i = 0; i < params.size(); ++i) {
        Parameter& p = params[i];
        // Tensors replaced by densification this iteration have no gradient: no step, as in the reference.
        if (report.replaced_all || (report.replaced_opacity && &p == &m_model->opacity())) continue;
        const kern::AdamStep a = kern::adam_step_for(lrs[i].lr_a, m_adam_step);
        const kern::AdamStep b = kern::adam_step_for(lrs[i].lr_b, m_adam_step);
        m_optimizer.adam_step(p.value, p.grad, p.exp_avg, p.exp_avg_sq, a, lrs[i].split_col, b);
    }
    if (profiler) profiler->lap("optimizer");
    return result;
}

void GaussianTraining::step_view(int iteration, StepProfiler* profiler, StepResult& result) {
    View& v = m_views[size_t(next_view())];
    FrameSpec frame;
    frame.camera = v.view.camera;
    frame.settings.antialiased = m_recipe.antialiased ? 1 : 0;
    frame.settings.eps2d = m_recipe.eps2d;
    if (m_recipe.random_background)
        for (int c = 0; c < 3; ++c)
            frame.background[c] = kern::random_uniform(m_seed, 0x6267ull, uint64_t(iteration) * 3 + c);
    else
        for (int c = 0; c < 3; ++c) frame.background[c] = m_background[c];

    const size_t pixels = size_t(v.width) * v.height;
    if (m_render.rows() != pixels) {
        m_render = m_backend.zeros(pixels, 3);
        m_d_render = m_backend.zeros(pixels, 3);
    }
    const Tensor* target = &v.image;
    if (v.image.cols() == 4) {
        if (m_target.rows() != pixels) m_target = m_backend.zeros(pixels, 3);
        m_loss.compose_over(v.image, frame.background, m_target);
        target = &m_target;
    }

    RasterTensors in = m_model->raster_inputs(v.view);
    RenderTensors out{&m_render, nullptr, nullptr};
    m_raster.forward(in, frame, *m_ctx, out);
    if (profiler) profiler->lap("forward");
    const LossValue loss = m_loss.image_loss(m_render, *target, v.width, v.height, m_recipe.ssim_weight, &m_d_render);
    if (profiler) profiler->lap("loss");
    RasterGradTensors grads = m_model->raster_grads();
    RenderTensors d_out{&m_d_render, nullptr, nullptr};
    m_raster.backward(in, frame, *m_ctx, d_out, grads);
    m_model->backward(v.view);
    if (profiler) profiler->lap("backward");
    m_densifier->after_backward(*m_model, *m_ctx, iteration);
    if (profiler) profiler->lap("densification");

    result.loss_sum.loss += loss.loss;
    result.loss_sum.l1 += loss.l1;
    result.loss_sum.ssim += loss.ssim;
    ++result.samples;
}

void GaussianTraining::save_state(CheckpointData& d) {
    std::ostringstream rng;
    rng << m_rng;
    d.meta["adam_step"] = m_adam_step;
    d.meta["rng"] = rng.str();
    d.meta["view_order"] = m_view_order;
    d.meta["view_pos"] = m_view_pos;
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
    for (const Parameter& p : m_model->params().all()) {
        add(p.name, p.value);
        add(p.name + ".exp_avg", p.exp_avg);
        add(p.name + ".exp_avg_sq", p.exp_avg_sq);
    }
    if (m_densifier->state().front().second->rows() != m_model->size()) m_densifier->reset(m_model->size());
    for (auto& [name, tensor] : m_densifier->state()) add(name, *tensor);
}

void GaussianTraining::restore_state(const CheckpointData& ckpt, const std::string& where) {
    m_adam_step = json_int(json_member(ckpt.meta, "adam_step", "", where), "adam_step", where, 0, 100000000);
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
        m_backend.upload(t, h->data.data());
    };
    // Each parameter at its saved row count: per-Gaussian tensors share one, but a model may also
    // hold others (network weights of a decoded family).
    for (Parameter& p : m_model->params().all()) {
        const HostTensor* h = ckpt.find(p.name);
        if (!h) throw Error(where, p.name, "missing from the checkpoint");
        const size_t rows = h->rows;
        const int cols = p.value.cols();
        p.value = m_backend.zeros(rows, cols);
        p.grad = m_backend.zeros(rows, cols);
        p.exp_avg = m_backend.zeros(rows, cols);
        p.exp_avg_sq = m_backend.zeros(rows, cols);
        load(p.name, p.value, rows, cols);
        load(p.name + ".exp_avg", p.exp_avg, rows, cols);
        load(p.name + ".exp_avg_sq", p.exp_avg_sq, rows, cols);
    }
    const size_t rows = m_model->size();
    m_densifier->reset(rows);
    for (auto& [name, tensor] : m_densifier->state()) load(name, *tensor, rows, tensor->cols());
}

namespace {

class StaticRenderer final : public ViewRenderer {
public:
    StaticRenderer(Backend& backend, const GaussianCloud& cloud, const RenderOptions& ro)
        : m_renderer(backend, cloud), m_options(ro) {}
    Image render(const Frame&, const Camera& camera) override { return m_renderer.render(camera, m_options); }

private:
    CloudRenderer m_renderer;
    RenderOptions m_options;
};

class DynamicRenderer final : public ViewRenderer {
public:
    DynamicRenderer(Backend& backend, const GaussianCloud4d& cloud, float min_weight, const RenderOptions& ro)
        : m_renderer(backend, cloud, min_weight), m_options(ro) {}
    Image render(const Frame& frame, const Camera& camera) override {
        return m_renderer.render(camera, frame.time.value_or(0.0f), m_options);
    }

private:
    Cloud4dRenderer m_renderer;
    RenderOptions m_options;
};

// Renders each view from the model's own Gaussians for that view (decoded families); valid until the
// model's next step.
class ModelViewRenderer final : public ViewRenderer {
public:
    ModelViewRenderer(Backend& backend, RasterOps& raster, GaussianModel& model, const RenderOptions& ro)
        : m_backend(backend), m_model(model), m_ctx(raster.create_context()), m_options(ro) {}
    Image render(const Frame& frame, const Camera& camera) override {
        ViewInfo view;
        view.camera = raster_camera(camera);
        view.time = frame.time.value_or(0.0f);
        const RasterTensors in = m_model.raster_inputs(view);
        return rasterize_images(m_backend, *m_ctx, in, camera, m_options, nullptr, nullptr);
    }

private:
    Backend& m_backend;
    GaussianModel& m_model;
    std::unique_ptr<RasterContext> m_ctx;
    RenderOptions m_options;
};

} // namespace

std::unique_ptr<ViewRenderer> GaussianTraining::renderer(bool probe) {
    RenderOptions ro;
    ro.background = background();
    ro.antialiased = m_recipe.antialiased;
    ro.eps2d = m_recipe.eps2d;
    if (probe) ro.sh_degree = m_model->active_sh_degree();
    if (m_model->view_dependent()) return std::make_unique<ModelViewRenderer>(m_backend, m_raster, *m_model, ro);
    if (m_model->dynamic())
        return std::make_unique<DynamicRenderer>(m_backend, m_model->to_cloud_4d(), m_min_temporal_weight, ro);
    return std::make_unique<StaticRenderer>(m_backend, m_model->to_cloud(), ro);
}

std::vector<fs::path> GaussianTraining::save(const fs::path& run_dir, int iteration, bool versioned) {
    if (std::vector<fs::path> own = m_model->save_files(run_dir, iteration, versioned); !own.empty()) return own;
    const fs::path main = run_dir / "point_cloud.ply";
    const fs::path numbered = run_dir / "point_cloud" / cat("iteration_", iteration) / "point_cloud.ply";
    if (m_model->dynamic()) {
        // The 4D layout of core/io/ply_4d.hpp.
        const GaussianCloud4d cloud = m_model->to_cloud_4d();
        write_gaussian_4d_ply(main, cloud);
        if (versioned) write_gaussian_4d_ply(numbered, cloud);
    } else {
        const GaussianCloud cloud = m_model->to_cloud();
        write_gaussian_ply(main, cloud);
        if (versioned) write_gaussian_ply(numbered, cloud);
    }
    if (versioned) return {main, numbered};
    return {main};
}

std::shared_ptr<const GaussianCloud> GaussianTraining::snapshot() {
    // Decoded families: a viewer decodes each of its frames from sags_snapshot().
    if (m_model->view_dependent()) return nullptr;
    return std::make_shared<const GaussianCloud>(m_model->to_cloud());
}

std::shared_ptr<const SagsDecodeCache> GaussianTraining::sags_snapshot() {
    if (auto* sags = dynamic_cast<SagsModel*>(m_model.get()))
        return std::make_shared<const SagsDecodeCache>(sags->decode_cache());
    return nullptr;
}

void GaussianTraining::publish_live(LiveModelSink& sink, int iteration) {
    // Decoded families have no Gaussian parameters to share; viewers take snapshots.
    if (m_model->view_dependent()) return;
    sink.publish(m_backend, *m_model, iteration);
}

} // namespace splatscape
