#include "app/gui/training_follower.hpp"

#include <algorithm>
#include <filesystem>

#include "app/gui/camera_rig.hpp"
#include "app/gui/scene_document.hpp"
#include "app/session/live_view_cuda.hpp"
#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "renderer/vk/context_vk.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;

// Snapshots are asked for at most this often, and never faster than four uploads' time.
constexpr double kSnapshotInterval = 0.3;
// With the live view drawing from shared memory, host snapshots only serve "save snapshot".
constexpr double kLiveSnapshotInterval = 5.0;

template <class T>
bool ready(const std::future<T>& f) {
    return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

double seconds_since(TrainingFollower::Clock::time_point t) {
    return std::chrono::duration<double>(TrainingFollower::Clock::now() - t).count();
}

} // namespace

void TrainingFollower::enable_live_view(vk::Context& context, TrainSetup& setup) {
    std::string why;
    if (!live_view_shares_memory(context, setup.options.device, &why)) {
        log::info("live view: snapshots copied through the host (", why, ")");
        return;
    }
    try {
        m_live_exchange = std::make_shared<LiveViewExchange>();
        m_live = std::make_unique<LiveViewHost>(context, m_live_exchange, size_t(1) << 16, 3);
        setup.live_view = make_cuda_live_sink(m_live_exchange);
        log::info("live view: drawing from GPU memory shared with CUDA training on ", context.info().name);
    } catch (const std::exception& e) {
        log::warn("live view: snapshots copied through the host (", e.what(), ")");
        m_live.reset();
        m_live_exchange.reset();
    }
}

TrainingFollower::~TrainingFollower() = default;

void TrainingFollower::attach(TrainingSession& session, const TrainSetup& setup) {
    m_session = &session;
    m_setup = &setup;
    // The first snapshot: the model as initialised, before the first iteration.
    session.send(TrainerCommand::Snapshot);
    m_snapshot_requested = true;
    m_last_snapshot = Clock::now();
}

void TrainingFollower::poll_jobs(SceneDocument& document) {
    if (ready(m_final_loading)) {
        try {
            document.show_cloud(m_final_loading.get());
            m_snapshot_cloud = document.cloud_shared();
            m_snapshot_iteration = m_monitor.saved_model_iteration();
        } catch (const std::exception& e) {
            document.fail(e.what());
        }
        m_final_loading = {};
        m_final_shown = true;
    }
    if (ready(m_final_sags_loading)) {
        try {
            document.show_sags(m_final_sags_loading.get());
            m_snapshot_cloud = document.cloud_shared();
            m_snapshot_iteration = m_monitor.saved_model_iteration();
        } catch (const std::exception& e) {
            document.fail(e.what());
        }
        m_final_sags_loading = {};
        m_final_shown = true;
    }
    if (ready(m_final_nerf_loading)) {
        try {
            m_snapshot_nerf = m_final_nerf_loading.get();
            m_snapshot_cloud.reset();
            document.show_nerf(m_snapshot_nerf);
            m_snapshot_iteration = m_monitor.saved_model_iteration();
        } catch (const std::exception& e) {
            document.fail(e.what());
        }
        m_final_nerf_loading = {};
        m_final_shown = true;
    }
    if (ready(m_snapshot_saving)) {
        try {
            m_snapshot_saved = "saved " + m_snapshot_saving.get();
        } catch (const std::exception& e) {
            m_snapshot_saved = e.what();
        }
        m_snapshot_saving = {};
    }
}

void TrainingFollower::poll(SceneDocument& document, CameraRig& camera) {
    if (!m_session) return;
    poll_jobs(document);
    // Everything queued, without waiting: the trainer never holds up a frame.
    for (int i = 0; i < 10000; ++i) {
        std::optional<TrainerMessage> m = m_session->poll();
        if (!m) break;
        m_monitor.apply(*m);
    }
    // The live view: the newest model training published into shared memory, drawn as it is.
    if (m_live && !m_final_shown &&
        m_live->update([&](const vk::GpuScene::External& e) { document.show_external(e); }) >= 0)
        m_live_shown = true;
    if (auto snap = m_monitor.take_snapshot(); snap && snap->sags) {
        // A sags model: decoded on the GPU for each frame.
        m_snapshot_requested = false;
        const auto t0 = Clock::now();
        document.show_sags(snap->sags);
        m_upload_seconds = seconds_since(t0);
        log::debug("live view: the model at iteration ", snap->iteration, ", sags with ", snap->sags->points.size() / 3,
                   " points, uploaded in ", int(1e3 * m_upload_seconds), " ms");
        m_snapshot_cloud = document.cloud_shared();
        m_snapshot_iteration = snap->iteration;
        if (!camera.framed() && !document.loading()) camera.frame(document.framing());
    } else if (snap && snap->nerf) {
        // A NeRF: ray-marched on the GPU for each frame.
        m_snapshot_requested = false;
        const auto t0 = Clock::now();
        document.show_nerf(snap->nerf);
        m_upload_seconds = seconds_since(t0);
        log::debug("live view: the NeRF at iteration ", snap->iteration, ", uploaded in ", int(1e3 * m_upload_seconds),
                   " ms");
        m_snapshot_nerf = snap->nerf;
        m_snapshot_cloud.reset();
        m_snapshot_iteration = snap->iteration;
        if (!camera.framed() && !document.loading()) camera.frame(document.framing());
    } else if (snap) {
        m_snapshot_requested = false;
        const auto t0 = Clock::now();
        // With the live view, the snapshot is kept for framing and saving; the live view draws it.
        document.show_model(snap->cloud, m_live_shown);
        m_upload_seconds = seconds_since(t0);
        log::debug("live view: the model at iteration ", snap->iteration, ", ", snap->cloud->size(),
                   " Gaussians, uploaded in ", int(1e3 * m_upload_seconds), " ms");
        m_snapshot_cloud = snap->cloud;
        m_snapshot_iteration = snap->iteration;
        if (!camera.framed() && !document.loading()) camera.frame(document.framing());
    }
    const bool running = m_monitor.state() == TrainingState::Running || m_monitor.state() == TrainingState::Starting;
    if (running && !m_snapshot_requested &&
        seconds_since(m_last_snapshot) >
            std::max(m_live_shown ? kLiveSnapshotInterval : kSnapshotInterval, 4.0 * m_upload_seconds)) {
        m_session->send(TrainerCommand::Snapshot);
        m_snapshot_requested = true;
        m_last_snapshot = Clock::now();
    }
    // The run wrote its final model: show that (snapshots stop with the trainer).
    if (m_monitor.done() && !m_final_shown && !loading_final()) {
        if (!m_monitor.saved_model().empty() && is_nerf_file(m_monitor.saved_model())) {
            m_final_nerf_loading = std::async(std::launch::async, [p = m_monitor.saved_model()] {
                return std::shared_ptr<const NerfScene>(std::make_shared<NerfScene>(read_nerf_scene(p)));
            });
        } else if (!m_monitor.saved_model().empty() && is_sags_file(m_monitor.saved_model())) {
            m_final_sags_loading =
                std::async(std::launch::async, [p = m_monitor.saved_model()] { return load_sags_cache(p); });
        } else if (!m_monitor.saved_model().empty()) {
            m_final_loading = std::async(std::launch::async, [p = m_monitor.saved_model()] {
                return std::shared_ptr<const GaussianCloud>(std::make_shared<GaussianCloud>(read_scene(p)));
            });
        } else {
            m_final_shown = true; // failed before writing one: nothing more will come
        }
    }
}

void TrainingFollower::send(TrainerCommand command) {
    if (m_session && !m_monitor.done()) m_session->send(command);
}

void TrainingFollower::save_snapshot() {
    if (!m_setup || m_snapshot_saving.valid()) return;
    if (m_snapshot_nerf) {
        const fs::path file = m_setup->run_dir / "snapshots" / cat("iteration_", m_snapshot_iteration, ".hmohe");
        m_snapshot_saving = std::async(std::launch::async, [file, nerf = m_snapshot_nerf] {
            write_nerf_scene(file, *nerf);
            return file.string();
        });
        return;
    }
    if (!m_snapshot_cloud) return;
    const fs::path file = m_setup->run_dir / "snapshots" / cat("iteration_", m_snapshot_iteration, ".ply");
    m_snapshot_saving = std::async(std::launch::async, [file, cloud = m_snapshot_cloud] {
        fs::create_directories(file.parent_path());
        write_scene(file, *cloud);
        return file.string();
    });
}

void TrainingFollower::finish() {
    if (!m_session) return;
    if (!m_monitor.done()) {
        log::info("stopping training at iteration ", m_monitor.progress().iteration, " (writing a checkpoint)");
        m_session->send(TrainerCommand::Stop);
    }
    while (!m_monitor.done()) {
        std::optional<TrainerMessage> m = m_session->wait(std::chrono::milliseconds(100));
        if (m) {
            m_monitor.apply(*m);
        } else if (!m_session->running()) {
            m = m_session->poll();
            if (!m) break;
            m_monitor.apply(*m);
        }
    }
    m_session->join();
}

} // namespace splatscape::gui
