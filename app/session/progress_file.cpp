#include "app/session/progress_file.hpp"

#include <unistd.h>

#include <type_traits>

#include "core/json_util.hpp"

namespace splatscape {

namespace {

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "";
    return buf;
}

} // namespace

ProgressFile::ProgressFile(std::filesystem::path path, std::chrono::milliseconds period)
    : m_path(std::move(path)), m_period(period) {
    if (m_path.has_parent_path()) std::filesystem::create_directories(m_path.parent_path());
    write();
}

void ProgressFile::on_message(const TrainerMessage& message) {
    bool now = false;
    std::visit(
        [&](auto&& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, msg::Started>) {
                m_state = "running";
                m_first_iteration = m_iteration = v.first_iteration;
                m_iterations = v.iterations;
                m_gaussians = v.gaussians;
                now = true;
            } else if constexpr (std::is_same_v<T, msg::Progress>) {
                m_iteration = v.iteration;
                m_iterations = v.iterations;
                m_loss = v.loss;
                m_gaussians = v.gaussians;
                m_rate = v.iterations_per_second;
                m_elapsed = v.elapsed_seconds;
            } else if constexpr (std::is_same_v<T, msg::Probe>) {
                m_probe_psnr = v.psnr;
            } else if constexpr (std::is_same_v<T, msg::Densified>) {
                m_gaussians = v.gaussians;
            } else if constexpr (std::is_same_v<T, msg::Finished>) {
                m_iteration = v.iteration;
                m_elapsed = v.train_seconds;
                m_state = v.completed ? "finished" : "stopped";
                m_psnr = v.psnr;
                m_ssim = v.ssim;
                m_evaluated = v.evaluated;
                if (!v.completed) m_message = "stopped before the last iteration; the checkpoint is saved";
                now = true;
            } else if constexpr (std::is_same_v<T, msg::Failed>) {
                m_state = "failed";
                m_message = v.message;
                now = true;
            }
        },
        message);
    if (now || std::chrono::steady_clock::now() - m_last_write >= m_period) write();
}

void ProgressFile::fail(const std::string& message) {
    if (m_state == "finished" || m_state == "stopped") return;
    m_state = "failed";
    m_message = message;
    write();
}

void ProgressFile::flush() {
    write();
}

void ProgressFile::write() {
    const double eta = m_rate > 0 && m_iterations > m_iteration ? double(m_iterations - m_iteration) / m_rate : 0.0;
    const double unix_now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    Json j = {{"format", "splatscape-progress"},
              {"version", 1},
              {"state", m_state},
              {"pid", long(getpid())},
              {"host", host_name()},
              {"updated", unix_now},
              {"iteration", m_iteration},
              {"first_iteration", m_first_iteration},
              {"iterations", m_iterations},
              {"loss", m_loss},
              {"probe_psnr", m_probe_psnr},
              {"gaussians", m_gaussians},
              {"iterations_per_second", m_rate},
              {"elapsed_seconds", m_elapsed},
              {"eta_seconds", eta},
              {"psnr", m_psnr},
              {"ssim", m_ssim},
              {"evaluated", m_evaluated},
              {"message", m_message}};
    save_json(m_path, j);
    m_last_write = std::chrono::steady_clock::now();
}

} // namespace splatscape
