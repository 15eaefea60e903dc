#include "training/gaussian_training.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "core/log.hpp"
#include "training/densification_mcmc.hpp"
#include "training/evaluation.hpp"
#include "training/kernels/appearance.hpp"
#include "training/kernels/filter3d.hpp"
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
    Tensor mask;  // [H * W, 1] loss mask, or empty
    int width = 0, height = 0;
};

namespace {

// Mip-Splatting recomputes the filter every 100 iterations once densification is over, and stops
// 100 iterations before the end (its reference schedule); during densification, whenever the model
// changes shape.
constexpr int kFilterEvery = 100;

} // namespace

GaussianTraining::GaussianTraining(const TrainableSetup& setup, ModelBundle bundle)
    : m_backend(setup.backend), m_raster(setup.backend.ops<RasterOps>(bundle.model->type())),
      m_loss(setup.backend.ops<ImageLossOps>(bundle.model->type())),
      m_optimizer(setup.backend.ops<OptimizerOps>(bundle.model->type())), m_dataset(setup.dataset), m_seed(setup.seed),
      m_model(std::move(bundle.model)), m_recipe(bundle.recipe) {
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
    if (!m_densifier && m_recipe.densify.mcmc())
        m_densifier = std::make_unique<McmcDensification>(m_backend, m_recipe.densify, m_seed);
    if (!m_densifier)
        m_densifier = std::make_unique<AdaptiveDensityControl>(m_backend, m_recipe.densify, extent, m_seed, white);
    if (m_recipe.filter_3d) {
        if (m_model->dynamic())
            throw Error(setup.where, "filter_3d", cat("not available for the ", m_model->type(), " model"));
        m_filter_ops = &m_backend.ops<Filter3dOps>(m_model->type());
    }
    const bool from_alpha = m_recipe.masks == "alpha";
    const bool masks = m_recipe.masks != "none" && (from_alpha || ds.mask_count() > 0);
    m_affine = m_recipe.appearance == "affine";
    if (masks || m_affine) m_appearance_ops = &m_backend.ops<AppearanceOps>(m_model->type());

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
        v.view.training = true;
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
        if (masks) {
            const Image mask = ds.load_mask(f, from_alpha);
            if (!mask.empty()) {
                v.mask = m_backend.zeros(pixels, 1);
                m_backend.upload(v.mask, mask.data.data());
                // Fixed targets are masked once here; composed ones (random backgrounds) every step.
                if (v.image.cols() == 3) m_appearance_ops->apply_mask(v.image, v.mask);
            }
        }
        m_cameras.push_back(v.view.camera);
        m_views.push_back(std::move(v));
    }
    if (masks) {
        size_t masked = 0;
        for (const View& v : m_views) masked += v.mask.empty() ? 0 : 1;
        log::info("loss masks on ", masked, " of ", m_views.size(), " training images",
                  from_alpha ? " (from their alpha channel)" : "");
    }
    if (m_affine) {
        // Identity transforms, one per training view.
        Parameter& p = m_appearance.add(m_backend, "appearance", m_views.size(), kern::kAppearanceParams);
        std::vector<float> identity(m_views.size() * kern::kAppearanceParams);
        for (size_t i = 0; i < identity.size(); ++i)
            identity[i] = kern::appearance_identity(int(i % kern::kAppearanceParams));
        m_backend.upload(p.value, identity.data());
    }
    if (m_model->dynamic())
        m_min_temporal_weight =
            float(json_number(json_member(m_model->config_json(), "min_temporal_weight", "", setup.where),
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
    update_filter();
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
    if (m_affine) m_appearance.zero_grads(m_backend);
    for (int b = 0; b < batch; ++b) step_view(iteration, profiler, result);

    const DensifyReport report = m_densifier->update(*m_model, iteration, final_step);
    if (report.changed()) {
        result.densified = true;
        result.densify =
            msg::Densified{iteration,       report.cloned,   report.split, report.pruned, report.opacity_reset,
                           m_model->size(), report.relocated};
    }
    // The filter follows the model's shape at once, and its positions every kFilterEvery iterations.
    if (m_filter_ops && (report.changed() || filter_due(iteration))) update_filter();
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
    if (m_affine) {
        // The 3DGS reference's exposure schedule: exponential decay over the whole run.
        const float lr = exponential_lr(iteration, m_recipe.appearance_lr_init, m_recipe.appearance_lr_final, 0, 0.0f,
                                        m_recipe.iterations);
        const kern::AdamStep a = kern::adam_step_for(lr, m_adam_step);
        Parameter& p = m_appearance.get("appearance");
        m_optimizer.adam_step(p.value, p.grad, p.exp_avg, p.exp_avg_sq, a, kern::kAppearanceParams, a);
    }
    if (!final_step) m_densifier->after_optimizer_step(*m_model, iteration);
    if (profiler) profiler->lap("optimizer");
    return result;
}

bool GaussianTraining::filter_due(int iteration) const {
    return iteration % kFilterEvery == 0 && iteration < m_recipe.iterations - kFilterEvery;
}

void GaussianTraining::update_filter() {
    if (!m_filter_ops) return;
    if (m_filter.rows() != m_model->size()) m_filter = m_backend.zeros(m_model->size(), 1);
    const kern::RasterSettings defaults;
    m_filter_ops->compute(m_model->params().get("means").value, m_cameras, defaults.near_plane, m_recipe.filter_3d_size,
                          m_filter);
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
    if (m_filter_ops) in.filter_3d = &m_filter;
    RenderTensors out{&m_render, nullptr, nullptr};
    m_raster.forward(in, frame, *m_ctx, out);
    if (profiler) profiler->lap("forward");
    // The loss sees the render after the view's colour transform and mask; the gradient goes back
    // through both.
    const size_t view_index = size_t(&v - m_views.data());
    Tensor* predicted = &m_render;
    Tensor* d_predicted = &m_d_render;
    if (m_affine) {
        if (m_adjusted.rows() != pixels) {
            m_adjusted = m_backend.zeros(pixels, 3);
            m_d_adjusted = m_backend.zeros(pixels, 3);
        }
        m_appearance_ops->affine_forward(m_render, m_appearance.get("appearance").value, view_index, m_adjusted);
        predicted = &m_adjusted;
        d_predicted = &m_d_adjusted;
    }
    if (!v.mask.empty()) {
        m_appearance_ops->apply_mask(*predicted, v.mask);
        if (target == &m_target) m_appearance_ops->apply_mask(m_target, v.mask);
    }
    const LossValue loss = m_loss.image_loss(*predicted, *target, v.width, v.height, m_recipe.ssim_weight, d_predicted);
    if (!v.mask.empty()) m_appearance_ops->apply_mask(*d_predicted, v.mask);
    if (m_affine) {
        Parameter& p = m_appearance.get("appearance");
        m_appearance_ops->affine_backward(m_render, m_d_adjusted, p.value, view_index, m_d_render, p.grad);
    }
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
    const auto state = m_densifier->state();
    if (!state.empty() && state.front().second->rows() != m_model->size()) m_densifier->reset(m_model->size());
    for (auto& [name, tensor] : m_densifier->state()) add(name, *tensor);
    if (m_filter_ops) add("filter_3d", m_filter);
    for (const Parameter& p : m_appearance.all()) {
        add(p.name, p.value);
        add(p.name + ".exp_avg", p.exp_avg);
        add(p.name + ".exp_avg_sq", p.exp_avg_sq);
    }
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
    if (m_filter_ops) {
        m_filter = m_backend.zeros(rows, 1);
        load("filter_3d", m_filter, rows, 1);
    }
    for (Parameter& p : m_appearance.all()) {
        load(p.name, p.value, p.value.rows(), p.value.cols());
        load(p.name + ".exp_avg", p.exp_avg, p.value.rows(), p.value.cols());
        load(p.name + ".exp_avg_sq", p.exp_avg_sq, p.value.rows(), p.value.cols());
    }
}

GaussianCloud GaussianTraining::baked_cloud() const {
    GaussianCloud cloud = m_model->to_cloud();
    cloud.antialiased = m_recipe.antialiased;
    cloud.eps2d = m_recipe.eps2d;
    if (!m_filter_ops) return cloud;
    // docs/rasterizer.md, step 2: s' and logit(sigmoid(o) * coef3d) render as the filtered Gaussian.
    const std::vector<float> v = m_backend.download_f32(m_filter);
    for (size_t i = 0; i < cloud.size(); ++i) {
        float ls[3];
        const float coef = kern::filter_3d_log_scales(&cloud.log_scales[3 * i], v[i], ls);
        std::copy(ls, ls + 3, &cloud.log_scales[3 * i]);
        cloud.opacities[i] = kern::filter_3d_baked_logit(cloud.opacities[i], coef);
    }
    return cloud;
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
    return std::make_unique<StaticRenderer>(m_backend, baked_cloud(), ro);
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
        const GaussianCloud cloud = baked_cloud();
        write_gaussian_ply(main, cloud);
        if (versioned) write_gaussian_ply(numbered, cloud);
    }
    if (versioned) return {main, numbered};
    return {main};
}

std::shared_ptr<const GaussianCloud> GaussianTraining::snapshot() {
    // Decoded families: a viewer decodes each of its frames from sags_snapshot().
    if (m_model->view_dependent()) return nullptr;
    if (m_model->dynamic()) return std::make_shared<const GaussianCloud>(m_model->to_cloud());
    return std::make_shared<const GaussianCloud>(baked_cloud());
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
