#pragma once
// The window's side of a training run (`train --gui`): the trainer's messages into a
// TrainingMonitor, the model shown as it trains (snapshots through the host, or the zero-copy live
// view of CUDA training), the final model once the run wrote it, and the Training panel's commands.
// It never waits on the trainer: TrainingSession::send and poll only, so a slow iteration never
// holds up a frame.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "app/gui/training_monitor.hpp"
#include "app/session/live_view_vk.hpp"
#include "app/session/training_session.hpp"
#include "core/nerf_scene.hpp"
#include "core/sags_scene.hpp"

namespace splatscape::gui {

class CameraRig;
class SceneDocument;

class TrainingFollower {
public:
    using Clock = std::chrono::steady_clock;

    TrainingFollower() = default;
    ~TrainingFollower();
    TrainingFollower(const TrainingFollower&) = delete;
    TrainingFollower& operator=(const TrainingFollower&) = delete;

    // Before the session starts: when the window's GPU is the CUDA device training runs on, the
    // live view draws the model from memory training writes (app/session/live_view.hpp) and `setup`
    // gets the sink; otherwise snapshots keep coming through the host.
    void enable_live_view(vk::Context& context, TrainSetup& setup);
    // Follows `session` (which trains `setup`), and asks it for the model as initialised.
    void attach(TrainingSession& session, const TrainSetup& setup);
    TrainingSession* session() const { return m_session; }

    // Once per frame: finished jobs, the trainer's messages, the newest model into `document`
    // (framing `camera` on the first when nothing framed it), the next snapshot asked for.
    void poll(SceneDocument& document, CameraRig& camera);
    // The Training panel's commands.
    void send(TrainerCommand command);
    void save_snapshot();
    // After the frame loop: stops the trainer if it still runs (it writes a checkpoint) and reads
    // its messages until it has ended.
    void finish();

    const TrainingMonitor& monitor() const { return m_monitor; }
    // The final model is shown (or the run failed before writing one): nothing more will come.
    bool final_shown() const { return m_final_shown; }
    bool loading_final() const {
        return m_final_loading.valid() || m_final_sags_loading.valid() || m_final_nerf_loading.valid();
    }
    // Something arrives by itself (the window keeps a steady frame rate meanwhile).
    bool following() const { return m_session && (!m_final_shown || loading_final() || saving()); }
    bool saving() const { return m_snapshot_saving.valid(); }
    const std::string& saved_message() const { return m_snapshot_saved; }

private:
    void poll_jobs(SceneDocument& document);

    TrainingSession* m_session = nullptr;
    const TrainSetup* m_setup = nullptr;
    TrainingMonitor m_monitor;

    // The zero-copy live view (null: snapshots through the host).
    std::shared_ptr<LiveViewExchange> m_live_exchange;
    std::unique_ptr<LiveViewHost> m_live;
    bool m_live_shown = false;

    bool m_snapshot_requested = false;
    Clock::time_point m_last_snapshot{};
    double m_upload_seconds = 0.0;
    std::shared_ptr<const GaussianCloud> m_snapshot_cloud; // the model shown, for "save snapshot"
    std::shared_ptr<const NerfScene> m_snapshot_nerf;      // ... when it is a NeRF (then saved as .hmohe)
    int m_snapshot_iteration = -1;
    std::future<std::string> m_snapshot_saving;
    std::string m_snapshot_saved;

    std::future<std::shared_ptr<const GaussianCloud>> m_final_loading;
    std::future<std::shared_ptr<const SagsDecodeCache>> m_final_sags_loading; // a sags run's model.sags
    std::future<std::shared_ptr<const NerfScene>> m_final_nerf_loading;       // an hmohe run's model.hmohe
    bool m_final_shown = false;
};

} // namespace splatscape::gui
