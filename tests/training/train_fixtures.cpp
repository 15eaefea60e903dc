#include "tests/training/train_fixtures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>

#include <glm/geometric.hpp>
#include <glm/mat4x4.hpp>

#include "core/camera.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "tests/support/test_support.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/presets.hpp"
#include "training/render.hpp"

namespace splatscape::test {

GaussianCloud ground_truth_gaussians(int count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    GaussianCloud c;
    c.resize(size_t(count), 1);
    for (int i = 0; i < count; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = 0.6f * u(rng);
            c.log_scales[3 * i + a] = std::log(0.12f + 0.08f * u(rng));
        }
        c.rotations[4 * i] = 1.0f;
        for (int a = 1; a < 4; ++a) c.rotations[4 * i + a] = 0.4f * u(rng);
        c.opacities[i] = logit(0.75f + 0.2f * u(rng));
        for (int k = 0; k < 4; ++k)
            for (int ch = 0; ch < 3; ++ch) c.sh[(i * 4 + k) * 3 + ch] = k == 0 ? 1.2f * u(rng) : 0.2f * u(rng);
    }
    return c;
}

namespace {

// Camera centre on a sphere, looking at the origin, world +z up (OpenCV axes).
Camera sphere_camera(float azimuth, float elevation, int size) {
    const glm::vec3 eye = 3.0f * glm::vec3(std::cos(elevation) * std::cos(azimuth),
                                           std::cos(elevation) * std::sin(azimuth), std::sin(elevation));
    const glm::vec3 f = glm::normalize(-eye);
    const glm::vec3 r = glm::normalize(glm::cross(f, glm::vec3(0, 0, 1)));
    const glm::vec3 d = glm::cross(f, r);
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(r, 0);
    c2w[1] = glm::vec4(d, 0);
    c2w[2] = glm::vec4(f, 0);
    c2w[3] = glm::vec4(eye, 1);
    const float focal = 1.2f * float(size);
    return Camera::from_camera_to_world(c2w, size, size, focal, focal, 0.5f * size, 0.5f * size);
}

} // namespace

void write_gaussian_dataset(const std::filesystem::path& dir, const GaussianCloud& gt, int train_views, int test_views,
                            int size, bool rgba) {
    CpuBackend backend(0);
    CloudRenderer renderer(backend, gt);
    const float angle_x = 2.0f * std::atan(0.5f / 1.2f);
    for (const char* split : {"train", "test"}) {
        const int n = std::string(split) == "train" ? train_views : test_views;
        Json frames = Json::array();
        for (int i = 0; i < n; ++i) {
            // Interleaved golden-angle azimuths, so test views fall between training views.
            const float t = (float(i) + (std::string(split) == "test" ? 0.5f : 0.0f)) / float(n);
            const Camera cam =
                sphere_camera(6.2831853f * 0.618034f * float(i) * (std::string(split) == "test" ? 1.7f : 1.0f),
                              -0.6f + 1.4f * t, size);
            RenderOptions ro;
            Image alpha;
            const Image rgb = renderer.render(cam, ro, &alpha, nullptr);
            if (rgba) {
                // Straight alpha: the render over black is premultiplied.
                Image out(size, size, 4);
                for (size_t p = 0; p < rgb.pixel_count(); ++p) {
                    const float a = alpha.data[p];
                    for (int c = 0; c < 3; ++c)
                        out.data[p * 4 + c] = a > 1e-6f ? std::min(1.0f, rgb.data[p * 3 + c] / a) : 0.0f;
                    out.data[p * 4 + 3] = a;
                }
                save_image(dir / split / cat("r_", i, ".png"), out);
            } else {
                save_image(dir / split / cat("r_", i, ".png"), rgb);
            }
            const glm::mat4 gl = opengl_to_opencv_c2w(cam.camera_to_world());
            Json m = Json::array();
            for (int r = 0; r < 4; ++r) m.push_back({gl[0][r], gl[1][r], gl[2][r], gl[3][r]});
            frames.push_back({{"file_path", cat("./", split, "/r_", i)}, {"transform_matrix", m}});
        }
        save_json(dir / cat("transforms_", split, ".json"), {{"camera_angle_x", angle_x}, {"frames", frames}});
    }
    // Initial points: jittered copies of the means, grey.
    PointCloud pts;
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 0.08f);
    for (size_t i = 0; i < gt.size(); ++i)
        for (int k = 0; k < 20; ++k) {
            for (int a = 0; a < 3; ++a) pts.positions.push_back(gt.positions[3 * i + a] + nd(rng));
            for (int a = 0; a < 3; ++a) pts.colors.push_back(0.5f);
        }
    write_point_ply(dir / "points3d.ply", pts);
}

SyntheticSceneOptions small_builtin_scene(int train_views, int test_views) {
    SyntheticSceneOptions o;
    o.width = o.height = 64;
    o.train_views = train_views;
    o.test_views = test_views;
    o.samples_per_axis = 2;
    o.points = 2000;
    return o;
}

void write_small_builtin_scene(const std::filesystem::path& dir, int train_views, int test_views) {
    generate_synthetic_scene(small_builtin_scene(train_views, test_views), dir);
}

Json hmohe_small_config(int iterations) {
    setenv("SPLATSCAPE_ASSETS", (binary_dir() / "assets").c_str(), 1);
    Json c = load_preset("hmohe", "demo");
    c["iterations"] = iterations;
    c["target_samples"] = 8192;
    c["occupancy_warmup"] = 32;
    return c;
}

TrainOutcome train_now(const TrainSetup& setup, int stop_after) {
    TrainerMessageQueue messages;
    TrainerCommandQueue commands;
    TrainOutcome out;
    std::thread worker([&] { Trainer(setup, messages, commands).run(); });
    bool done = false, stop_sent = false;
    while (!done) {
        auto m = messages.pop_for(std::chrono::milliseconds(200));
        if (!m) continue;
        if (auto* p = std::get_if<msg::Progress>(&*m)) {
            if (stop_after > 0 && !stop_sent && p->iteration >= stop_after) {
                commands.push(TrainerCommand::Stop);
                stop_sent = true;
            }
        } else if (auto* pr = std::get_if<msg::Probe>(&*m)) {
            out.probes.push_back(*pr);
        } else if (auto* f = std::get_if<msg::Finished>(&*m)) {
            out.finished = *f;
            done = true;
        } else if (auto* e = std::get_if<msg::Failed>(&*m)) {
            out.failure = e->message;
            done = true;
        }
    }
    worker.join();
    return out;
}

ResumedRuns train_whole_and_resumed(const fs::path& data, const fs::path& dir, const std::string& device,
                                    const Json& model_config, int total, int stop) {
    ResumedRuns out;
    auto setup = [&](const char* run, int iterations) {
        TrainSetup s;
        s.data = data;
        s.run_dir = dir / run;
        s.model_config = model_config;
        s.model_config["iterations"] = total;
        s.options.device = device;
        s.options.seed = 7;
        s.options.iterations = iterations;
        s.options.evaluate = false;
        s.options.probe_every = 0;
        s.options.checkpoint_every = 0;
        s.options.progress_interval_ms = 10;
        return s;
    };
    TrainOutcome r = train_now(setup("whole", total));
    if (!r.failure.empty() || r.finished.iteration != total) {
        out.failure = cat("the uninterrupted run: ", r.failure, " (ended at ", r.finished.iteration, ")");
        return out;
    }
    r = train_now(setup("resumed", stop));
    out.stopped_at = r.finished.iteration;
    if (!r.failure.empty() || r.finished.iteration != stop) {
        out.failure = cat("the run to ", stop, ": ", r.failure, " (ended at ", r.finished.iteration, ")");
        return out;
    }
    TrainSetup resume;
    resume.run_dir = dir / "resumed";
    resume.options.resume = true;
    resume.options.iterations = total;
    resume.options.progress_interval_ms = 10;
    r = train_now(resume);
    if (!r.failure.empty() || r.finished.iteration != total) {
        out.failure = cat("the resumed run: ", r.failure, " (ended at ", r.finished.iteration, ")");
        return out;
    }
    out.whole = read_file_bytes(dir / "whole" / "point_cloud.ply");
    out.resumed = read_file_bytes(dir / "resumed" / "point_cloud.ply");
    return out;
}

} // namespace splatscape::test
