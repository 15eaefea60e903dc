// The Vulkan NeRF ray marcher (renderer/nerf_vk.hpp): frame time, per-pass GPU milliseconds and
// samples per pixel of an hmohe model, at 320x240 on any device and at 1920x1080 on a GPU (or as
// --sizes asks), with the CPU render of the same frame (HmoheNetwork::render) for comparison. Prints
// one JSON line per figure; never fails on speed.
//
//   bench_nerf [--model FILE.hmohe | --preset demo|default] [--frames N] [--sizes 320x240,1920x1080]
//              [--mode color|depth|experts] [--cpu-frames N] [--gpu N] [--validation]
//
// Without --model, a model of the preset's sizes (assets/presets/hmohe/NAME.json: demo is what
// `splatscape demo --model hmohe` trains, default the paper-scale one) with random parameters of a
// trained model's magnitudes (hash tables of +-1, densities around e^2 inside the occupied cells:
// a sphere and a slab of the inner cube), seen from an orbit camera at 2.6 scene widths; a trained
// model is seen from the same orbit around its inner cube.
#ifndef SPLATSCAPE_HAVE_VULKAN
#include <cstdio>
int main() {
    std::fprintf(stderr, "bench_nerf: this build has no Vulkan renderer (SPLATSCAPE_VULKAN=OFF)\n");
    return 0;
}
#else
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glm/glm.hpp>

#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "core/metrics.hpp"
#include "renderer/nerf_vk.hpp"
#include "renderer/vk/command_buffer_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"
#include "shaders/shared/nerf_types.h"
#include "training/cpu/cpu_backend.hpp"
#include "training/models/hmohe.hpp"
#include "training/presets.hpp"

namespace splatscape {
namespace {

using Clock = std::chrono::steady_clock;

NerfScene synthetic_model(const std::string& preset) {
    HmoheConfig c;
    update_from_json(c, load_preset("hmohe", preset), "preset " + preset);
    kern::NerfSpace space;
    space.scale = 2.0f;
    space.cascades = c.cascades > 0 ? c.cascades : 1;
    space.resolution = c.occupancy_resolution;
    space.min_step = kern::kNerfSqrt3 / c.steps_per_unit;
    space.max_step = kern::kNerfSqrt3 * float(1 << (space.cascades - 1)) / float(space.resolution);
    space.cone_angle = c.cone_angle >= 0.0f ? c.cone_angle : (space.cascades == 1 ? 0.0f : 1.0f / 256.0f);
    space.max_samples = c.max_samples_per_ray;
    CpuBackend backend(0);
    HmoheNetwork net(backend, c, space, 1, 1, false);
    NerfScene s = net.to_scene(glm::vec3(0.0f));
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float& v : s.gate_grid.table) v = u(rng);
    for (NerfHashGrid& g : s.expert_grids)
        for (float& v : g.table) v = u(rng);
    for (NerfMlp& m : s.expert_mlps) m.params[m.params.size() - size_t(m.outputs())] += 5.0f;
    const int n = s.resolution;
    std::fill(s.occupancy.begin(), s.occupancy.end(), 0u);
    for (int k = 0; k < s.cascades; ++k)
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    const glm::vec3 q = ((glm::vec3(x, y, z) + 0.5f) / float(n) - 0.5f) * float(1 << k);
                    const bool sphere = glm::length(q) < 0.3f;
                    const bool slab = std::abs(q.z - 0.3f) < 0.08f && std::abs(q.x) < 0.45f && std::abs(q.y) < 0.35f;
                    if (sphere || slab) {
                        const size_t bit = size_t(k) * size_t(n) * size_t(n) * size_t(n) + size_t(x + n * (y + n * z));
                        s.occupancy[bit / 32] |= 1u << (bit % 32);
                    }
                }
    return s;
}

// An orbit camera looking at the inner cube's centre from 1.3 of its widths away.
Camera orbit_camera(const NerfScene& s, int width, int height) {
    const glm::vec3 eye = s.center + 1.3f * s.scale * glm::normalize(glm::vec3(0.7f, -0.5f, -0.6f));
    const float focal = 1.2f * float(width);
    Camera c;
    Camera::look_at(eye, s.center, glm::vec3(0, 0, 1), width, height, focal, focal, 0.5f * width, 0.5f * height, c);
    return c;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

struct Reporter {
    std::string prefix; // common fields
    void figure(const std::string& name, double value, const std::string& unit, const std::string& extra = "") const {
        std::printf("{%s, \"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"%s}\n", prefix.c_str(), name.c_str(),
                    value, unit.c_str(), extra.c_str());
        std::fflush(stdout);
    }
};

void bench_size(vk::Context& context, const vk::GpuNerfScene& scene, const NerfScene& model, int width, int height,
                RenderMode mode, int frames, int cpu_frames, Reporter base) {
    const Camera camera = orbit_camera(model, width, height);
    base.prefix += cat(", \"width\": ", width, ", \"height\": ", height, ", \"mode\": \"", to_string(mode), "\"");
    vk::NerfRenderer renderer(context);
    vk::TimestampQueries timer(context, 8);
    vk::CommandBuffer commands(context);
    RenderSettings settings;
    settings.background = model.background;
    settings.mode = mode;
    renderer.prepare(scene, uint32_t(width), uint32_t(height), settings.mode);
    // The first frame builds what the driver builds lazily; then the timed ones.
    auto frame = [&] {
        renderer.record(commands.begin(), scene, camera, settings, nullptr, &timer);
        commands.end();
        const double wall = commands.submit_and_wait();
        return std::make_pair(wall, renderer.finish(0, &timer));
    };
    frame();
    std::vector<double> wall_ms, gpu_ms;
    std::map<std::string, std::vector<double>> pass_ms;
    vk::FrameResult last;
    for (int f = 0; f < frames; ++f) {
        const auto [wall, result] = frame();
        wall_ms.push_back(wall * 1e3);
        gpu_ms.push_back(result.stats.gpu_ms);
        for (const PassTiming& p : result.stats.passes) pass_ms[p.pass].push_back(p.ms);
        last = result;
    }
    for (const PassTiming& p : last.stats.passes)
        base.figure("pass_ms", median(pass_ms[p.pass]), "ms", cat(", \"pass\": \"", p.pass, "\""));
    base.figure("frame_gpu_ms", median(gpu_ms), "ms");
    base.figure("frame_wall_ms", median(wall_ms), "ms");
    base.figure("fps", 1e3 / median(wall_ms), "frames/s");
    const double pixels = double(width) * double(height);
    base.figure("samples_per_pixel", double(last.stats.samples) / pixels, "samples");
    base.figure("pixels_hit", double(last.stats.visible) / pixels, "fraction");
    base.figure("rounds", double(renderer.rounds()), "rounds", cat(", \"round_samples\": ", renderer.round_samples()));
    base.figure("unfinished_rays", double(last.stats.unfinished), "rays");
    base.figure("gpu_memory", double(context.allocator().bytes_reserved()) / (1 << 20), "MiB");
    if (cpu_frames > 0 && mode == RenderMode::Color) {
        // The same frame on the CPU: its time, and how far the ray marcher's picture is from it.
        CpuBackend backend(0);
        HmoheNetwork cpu(backend, model, "bench model");
        std::vector<double> ms;
        Image reference;
        for (int f = 0; f < cpu_frames; ++f) {
            const auto t0 = Clock::now();
            reference = cpu.render(camera, settings.background, NerfRenderMode::Colour).colour;
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
        base.figure("cpu_frame_ms", median(ms), "ms", cat(", \"threads\": ", backend.threads()));
        std::vector<gpu::NerfPixel> px(size_t(width) * size_t(height));
        vk::download(context, renderer.pixel_buffer(), px.data(), VkDeviceSize(px.size() * sizeof(gpu::NerfPixel)));
        Image marched(width, height, 3);
        for (size_t p = 0; p < px.size(); ++p)
            for (int c = 0; c < 3; ++c) marched.data[3 * p + size_t(c)] = px[p].colour[c];
        base.figure("psnr_vs_cpu", psnr(marched, reference), "dB");
    }
}

} // namespace
} // namespace splatscape

int main(int argc, char** argv) {
    using namespace splatscape;
    CLI::App app{"Vulkan NeRF ray marcher benchmark (one JSON line per figure)"};
    std::string model_file, preset = "demo", sizes, mode = "color";
    int frames = 10, cpu_frames = 3, gpu = -1;
    bool validation = false;
    app.add_option("--model", model_file, "A trained model (an hmohe run's model.hmohe)");
    app.add_option("--preset", preset, "Without --model: a synthetic model of this hmohe preset's sizes")
        ->capture_default_str();
    app.add_option("--frames", frames, "Timed frames per size")->check(CLI::Range(1, 100000));
    app.add_option("--sizes", sizes, "Frame sizes WxH,... (default: 320x240, and 1920x1080 on a GPU)");
    app.add_option("--mode", mode, "Render mode: color, depth or experts")->capture_default_str();
    app.add_option("--cpu-frames", cpu_frames, "CPU renders of the first size for comparison (0: none)")
        ->check(CLI::Range(0, 1000));
    app.add_option("--gpu", gpu, "Vulkan device index");
    app.add_flag("--validation", validation, "Khronos validation layer on");
    CLI11_PARSE(app, argc, argv);
    try {
        if (!std::getenv("XDG_RUNTIME_DIR")) setenv("XDG_RUNTIME_DIR", "/tmp", 0);
        vk::ContextOptions options;
        options.gpu_index = gpu;
        options.validation = validation ? 1 : 0;
        vk::Context context(options);
        const NerfScene model = model_file.empty() ? synthetic_model(preset) : read_nerf_scene(model_file);
        std::vector<std::pair<int, int>> frame_sizes;
        if (sizes.empty()) {
            frame_sizes.push_back({320, 240});
            if (context.info().type != VK_PHYSICAL_DEVICE_TYPE_CPU) frame_sizes.push_back({1920, 1080});
        } else {
            for (size_t at = 0; at < sizes.size();) {
                const size_t end = std::min(sizes.find(',', at), sizes.size());
                const std::string item = sizes.substr(at, end - at);
                const size_t x = item.find('x');
                if (x == std::string::npos) throw UsageError("--sizes expects WxH,WxH,...");
                frame_sizes.push_back({std::stoi(item.substr(0, x)), std::stoi(item.substr(x + 1))});
                at = end + 1;
            }
        }
        const auto t_upload = Clock::now();
        vk::GpuNerfScene scene(context, model, model_file.empty() ? "synthetic model" : model_file);
        const double upload_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_upload).count();
        Reporter base{cat("\"bench\": \"nerf\", \"device\": \"", json_escape(context.info().name), "\", \"model\": \"",
                          json_escape(model_file.empty() ? "synthetic " + preset : model_file),
                          "\", \"experts\": ", model.experts(), ", \"parameters\": ", model.parameter_count())};
        base.figure("upload", upload_ms, "ms");
        for (size_t i = 0; i < frame_sizes.size(); ++i)
            bench_size(context, scene, model, frame_sizes[i].first, frame_sizes[i].second, parse_render_mode(mode),
                       frames, i == 0 ? cpu_frames : 0, base);
        if (context.validation_errors() > 0) {
            std::fprintf(stderr, "bench_nerf: %u Vulkan validation errors\n", context.validation_errors());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_nerf: %s\n", e.what());
        return 1;
    }
    return 0;
}
#endif // SPLATSCAPE_HAVE_VULKAN
