#include "training/trainable.hpp"

#include "core/error.hpp"
#include "training/gaussian_training.hpp"
#include "training/hmohe_training.hpp"
#include "training/models/model.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/render.hpp"

namespace splatscape {

using Clock = std::chrono::steady_clock;

StepProfiler::StepProfiler(Backend& backend) : m_backend(backend) {}

void StepProfiler::start() {
    m_backend.synchronize();
    m_last = Clock::now();
}

void StepProfiler::lap(const char* phase) {
    m_backend.synchronize();
    const auto now = Clock::now();
    const double s = std::chrono::duration<double>(now - m_last).count();
    m_last = now;
    for (auto& [name, seconds] : m_seconds)
        if (name == phase) {
            seconds += s;
            return;
        }
    m_seconds.emplace_back(phase, s);
}

std::vector<std::pair<std::string, double>> StepProfiler::mean_ms(int steps) const {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& [name, seconds] : m_seconds) out.emplace_back(name, steps > 0 ? 1000.0 * seconds / steps : 0.0);
    return out;
}

std::vector<std::string> model_types() {
    return {"gs3d", "gs4d", "sags", "sags-lite", "hmohe"};
}

std::unique_ptr<Trainable> create_trainable(const std::string& type, const TrainableSetup& setup) {
    if (type == "gs3d" || type == "gs4d")
        return std::make_unique<GaussianTraining>(
            setup, create_model(type, setup.backend, setup.config, setup.dataset.camera_extent(), setup.where));
    if (type == "sags" || type == "sags-lite") {
        ModelBundle bundle =
            create_model(type, setup.backend, setup.config, setup.dataset.camera_extent(), setup.where);
        // The training cameras go with the model: view-independent exports decode from them.
        std::vector<float> cameras;
        for (const Frame& f : setup.dataset.train) {
            float c[kSagsCameraFloats];
            sags_store_camera(raster_camera(setup.dataset.render_camera(f)), c);
            cameras.insert(cameras.end(), c, c + kSagsCameraFloats);
        }
        static_cast<SagsModel&>(*bundle.model).set_cameras(std::move(cameras));
        return std::make_unique<GaussianTraining>(setup, std::move(bundle));
    }
    if (type == "hmohe") return std::make_unique<HmoheTraining>(setup);
    std::string known;
    for (const std::string& t : model_types()) known += (known.empty() ? "" : ", ") + t;
    throw UsageError(cat("--model ", type, ": unknown model family (this build trains ", known, ")"));
}

} // namespace splatscape
