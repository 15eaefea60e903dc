#include "training/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "core/datasets/subset.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/metrics.hpp"
#include "training/checkpoint.hpp"
#include "training/evaluation.hpp"
#include "training/trainable.hpp"

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
            {"eval_iterations", o.eval_iterations},
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
        else if (k == "save_iterations" || k == "eval_iterations") {
            if (!it->is_array()) throw Error(where, f, "expected a list of iterations");
            std::vector<int>& list = k == "save_iterations" ? o.save_iterations : o.eval_iterations;
            list.clear();
            for (size_t i = 0; i < it->size(); ++i)
                list.push_back(json_int((*it)[i], cat(f, "[", i, "]"), where, 1, 10000000));
        } else
            throw Error(where, f, "unknown setting");
    }
}

Json to_json(const DatasetOptions& o) {
    return dataset_options_json(o);
}

void update_from_json(DatasetOptions& o, const Json& j, const std::string& where) {
    update_dataset_options(o, j, where, "dataset");
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

class Run {
public:
    Run(TrainSetup& setup, TrainerMessageQueue& messages, TrainerCommandQueue& commands)
        : m_setup(setup), m_messages(messages), m_commands(commands) {}

    void execute();

private:
    void setup();
    void step(int iteration, bool final_step);
    void save_checkpoint(int iteration);
    void save_model(int iteration, bool versioned);
    void push_snapshot(int iteration);
    double probe(int iteration);
    EvalResult evaluate(int iteration, const std::filesystem::path& out_dir);
    void evaluate_final(int iteration, msg::Finished& finished);
    bool handle_commands(int iteration); // false: stop requested
    void emit_progress(int iteration, bool force);
    void log(const std::string& text) { m_messages.push(msg::Log{text}); }
    void publish_live(int iteration);

    TrainSetup& m_setup;
    TrainerMessageQueue& m_messages;
    TrainerCommandQueue& m_commands;

    Dataset m_dataset;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<Trainable> m_model;
    std::unique_ptr<StepProfiler> m_profiler;
    int m_total = 0;
    int m_start_iteration = 0;
    int m_profiled_steps = 0;

    // Probe view (host).
    Frame m_probe_frame;
    Camera m_probe_camera;
    Image m_probe_image;
    bool m_has_probe = false;

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
        saved.profile_every = opt.profile_every;
        if (opt.snapshot_every) saved.snapshot_every = opt.snapshot_every;
        if (!opt.eval_iterations.empty()) saved.eval_iterations = opt.eval_iterations;
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
    log(cat("loading ", m_dataset.train.size(), " training images"));
    m_model = create_trainable(opt.model, TrainableSetup{*m_backend, m_dataset, m_setup.model_config, opt.seed,
                                                         (dir / "config.json").string()});
    m_setup.model_config = m_model->config_json();
    m_total = m_model->iterations();

    // The probe: the first held-out view, else the first training view.
    const auto& held_out = evaluation_frames(m_dataset);
    m_probe_frame = held_out.empty() ? m_dataset.train.front() : held_out.front();
    m_probe_camera = m_dataset.render_camera(m_probe_frame);
    Dataset probe_ds = m_dataset;
    probe_ds.background = m_model->background();
    m_probe_image = probe_ds.load_image(m_probe_frame);
    m_has_probe = opt.probe_every > 0;
    if (opt.profile_every > 0) m_profiler = std::make_unique<StepProfiler>(*m_backend);

    if (ckpt) {
        const std::string where = (dir / "checkpoint.bin").string();
        if (ckpt->model_type != m_model->type())
            throw Error(where, "model type",
                        cat("checkpoint of a ", ckpt->model_type, " model, run is ", m_model->type()));
        m_start_iteration = json_int(json_member(ckpt->meta, "iteration", "", where), "iteration", where, 0, 100000000);
        m_total_seconds = json_number(json_member(ckpt->meta, "train_seconds", "", where), "train_seconds", where);
        m_model->restore_state(*ckpt, where);
        log(cat("resumed at iteration ", m_start_iteration, " with ", m_model->size(), " ", m_model->size_unit()));
    } else {
        log(m_model->initialize());
    }
    fs::create_directories(dir);
    save_json(dir / "config.json", run_config_json(m_setup));
}

void Run::save_checkpoint(int iteration) {
    CheckpointData d;
    d.model_type = m_model->type();
    d.meta = {{"iteration", iteration}, {"train_seconds", m_total_seconds}, {"run_config", run_config_json(m_setup)}};
    m_model->save_state(d);
    const fs::path path = m_setup.run_dir / "checkpoint.bin";
    write_checkpoint(path, d);
    m_messages.push(msg::Saved{iteration, "checkpoint", path});
}

void Run::save_model(int iteration, bool versioned) {
    const std::vector<fs::path> written = m_model->save(m_setup.run_dir, iteration, versioned);
    m_messages.push(msg::Saved{iteration, "ply", written.front()});
}

void Run::push_snapshot(int iteration) {
    msg::Snapshot s;
    s.iteration = iteration;
    s.cloud = m_model->snapshot();
    if (!s.cloud) s.sags = m_model->sags_snapshot();
    if (!s.cloud && !s.sags) s.nerf = m_model->nerf_snapshot();
    if (s.cloud || s.sags || s.nerf) m_messages.push(std::move(s));
}

void Run::step(int iteration, bool final_step) {
    const bool profile = m_profiler && iteration % m_setup.options.profile_every == 0;
    const StepResult r = m_model->step(iteration, final_step, profile ? m_profiler.get() : nullptr);
    if (profile) ++m_profiled_steps;
    if (r.densified) m_messages.push(r.densify);
    m_loss_sum += r.loss_sum.loss;
    m_l1_sum += r.loss_sum.l1;
    m_ssim_sum += r.loss_sum.ssim;
    m_loss_count += r.samples;
}

void Run::publish_live(int iteration) {
    if (!m_setup.live_view) return;
    try {
        m_model->publish_live(*m_setup.live_view, iteration);
    } catch (const std::exception& e) {
        log(cat("live view off: ", e.what()));
        m_setup.live_view.reset();
    }
}

double Run::probe(int iteration) {
    const double p = psnr(m_model->renderer(true)->render(m_probe_frame, m_probe_camera), m_probe_image);
    m_messages.push(msg::Probe{iteration, p, m_probe_frame.name});
    return p;
}

void Run::emit_progress(int iteration, bool force) {
    const auto now = Clock::now();
    if (!force && now - m_last_progress < std::chrono::milliseconds(m_setup.options.progress_interval_ms)) return;
    if (m_loss_count == 0 && iteration == m_last_progress_iteration && m_last_progress_iteration > 0) return;
    msg::Progress p;
    p.iteration = iteration;
    p.iterations = m_total;
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
            push_snapshot(iteration);
            break;
        }
    }
}

EvalResult Run::evaluate(int iteration, const fs::path& out_dir) {
    const auto& frames = evaluation_frames(m_dataset);
    log(cat("evaluating ", frames.size(), " held-out views"));
    Dataset eval_ds = m_dataset;
    eval_ds.background = m_model->background();
    const auto t0 = Clock::now();
    std::unique_ptr<ViewRenderer> renderer = m_model->renderer(false);
    const EvalResult r = evaluate_frames(
        eval_ds, frames, [&](const Frame& f, const Camera& c) { return renderer->render(f, c); }, out_dir);
    msg::Evaluated e;
    e.iteration = iteration;
    e.psnr = r.psnr;
    e.ssim = r.ssim;
    e.views = r.views.size();
    e.model_size = m_model->size();
    e.train_seconds = m_total_seconds;
    e.eval_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (m_profiler && m_profiled_steps) e.phase_ms = m_profiler->mean_ms(m_profiled_steps);
    const Backend::MemoryUse mem = m_backend->memory_use();
    e.peak_device_memory = mem.used_high;
    e.peak_device_reserved = mem.reserved_high;
    m_messages.push(e);
    return r;
}

void Run::evaluate_final(int iteration, msg::Finished& finished) {
    if (evaluation_frames(m_dataset).empty()) {
        log("no held-out views: skipping the final evaluation");
        return;
    }
    const fs::path out = m_setup.options.save_eval_images ? m_setup.run_dir / "eval" : fs::path();
    const EvalResult r = evaluate(iteration, out);
    Json j = r.to_json();
    j["iteration"] = iteration;
    // What the model's size counts, under its own name ("parameters" for the NeRF family), as `eval` writes it.
    j[m_model->size_unit() == "Gaussians" ? std::string("gaussians") : m_model->size_unit()] = m_model->size();
    j["train_seconds"] = m_total_seconds;
    const glm::vec3 bg = m_model->background();
    j["background"] = {bg.x, bg.y, bg.z};
    save_json(m_setup.run_dir / "eval.json", j);
    m_messages.push(msg::Saved{iteration, "evaluation", m_setup.run_dir / "eval.json"});
    finished.evaluated = true;
    finished.psnr = r.psnr;
    finished.ssim = r.ssim;
}

void Run::execute() {
    setup();
    const TrainOptions& opt = m_setup.options;
    const int total = m_total;
    m_messages.push(msg::Started{m_start_iteration, total, m_model->size(), m_backend->description(), m_setup.run_dir,
                                 m_model->size_unit()});
    m_last_progress = Clock::now();
    m_last_progress_iteration = m_start_iteration;
    std::ofstream metrics(m_setup.run_dir / "metrics.jsonl", std::ios::app);

    int iteration = m_start_iteration;
    bool stopped = false;
    // Set when the final step was shortened (no densification or reset before saving): the run's
    // checkpoint is then the state before that step, so a longer resumed run replays it in full.
    bool checkpointed_before_final = false;
    publish_live(iteration);
    while (iteration < total) {
        if (!handle_commands(iteration)) {
            stopped = true;
            break;
        }
        const bool final_step = iteration + 1 == total;
        if (final_step && m_model->reshapes_at(total)) {
            save_checkpoint(iteration);
            checkpointed_before_final = true;
        }
        const auto t0 = Clock::now();
        step(iteration + 1, final_step);
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
        if (opt.snapshot_every > 0 && iteration % opt.snapshot_every == 0) push_snapshot(iteration);
        if (std::find(opt.save_iterations.begin(), opt.save_iterations.end(), iteration) != opt.save_iterations.end())
            save_model(iteration, true);
        if (iteration < total &&
            std::find(opt.eval_iterations.begin(), opt.eval_iterations.end(), iteration) != opt.eval_iterations.end() &&
            !evaluation_frames(m_dataset).empty())
            evaluate(iteration, {});
        if (opt.checkpoint_every > 0 && iteration % opt.checkpoint_every == 0 && iteration < total)
            save_checkpoint(iteration);
    }
    emit_progress(iteration, true);
    if (stopped || !checkpointed_before_final) save_checkpoint(iteration);
    save_model(iteration, !stopped);
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
