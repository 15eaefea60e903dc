// Vulkan splat renderer benchmark: per-pass GPU milliseconds, frame time and FPS, and radix sort
// throughput. Prints one JSON line per figure; never fails on speed.
//
//   bench_render [--scene donut|stress1m|stress6m|FILE] [--frames N] [--width W] [--height H]
//                [--gpu N] [--sort-keys N] [--validation]
//
// The stress scenes are the dense random scene of gsplat's render benchmark (../shared/DEVICE.md):
// seed 0; means uniform in [-2,2]x[-1.2,1.2]x[-1.2,1.2]; log-scales N(-4.6, 0.5); opacity
// sigmoid(N(0, 1)); SH degree 3, coefficients N(0, 0.1) with +1 on the DC term; seen by a camera at
// (0, 0, -4) looking along +z (OpenCV axes), fx = fy = 1400, principal point at the image centre.
// The random numbers come from std::mt19937, so the scene matches gsplat's in distribution, not
// value by value. Rotations (unstated there) are uniform: normalised N(0, 1) quaternions.
#ifndef SPLATSCAPE_HAVE_VULKAN
#include <cstdio>
int main() {
    std::fprintf(stderr, "bench_render: this build has no Vulkan renderer (SPLATSCAPE_VULKAN=OFF)\n");
    return 0;
}
#else
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glm/glm.hpp>

#include "bench/bench_data.hpp"
#include "core/error.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/gpu_sort_vk.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/command_buffer_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"

namespace splatscape {
namespace {

using Clock = std::chrono::steady_clock;

GaussianCloud stress_scene(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> ux(-2.0f, 2.0f), uyz(-1.2f, 1.2f);
    std::normal_distribution<float> scale(-4.6f, 0.5f), unit(0.0f, 1.0f), sh(0.0f, 0.1f);
    GaussianCloud c;
    c.resize(n, 3);
    for (size_t i = 0; i < n; ++i) {
        c.positions[3 * i] = ux(rng);
        c.positions[3 * i + 1] = uyz(rng);
        c.positions[3 * i + 2] = uyz(rng);
        for (int a = 0; a < 3; ++a) c.log_scales[3 * i + a] = scale(rng);
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = unit(rng);
        c.opacities[i] = unit(rng);
        for (int k = 0; k < 48; ++k) c.sh[i * 48 + k] = sh(rng) + (k < 3 ? 1.0f : 0.0f);
    }
    return c;
}

Camera stress_camera(int width, int height) {
    Camera c;
    c.width = width;
    c.height = height;
    c.fx = c.fy = 1400.0f;
    c.cx = width * 0.5f;
    c.cy = height * 0.5f;
    c.R = glm::mat3(1.0f);
    c.t = glm::vec3(0.0f, 0.0f, 4.0f); // camera centre at (0, 0, -4)
    return c;
}

// An oblique view of a scene file that fills most of the frame.
Camera file_camera(const GaussianCloud& cloud, int width, int height) {
    const Bounds b = cloud.bounds(0.01f);
    const glm::vec3 target = b.center();
    const float size = std::max(glm::length(b.size()), 1e-3f);
    const float focal = 1400.0f * float(height) / 1080.0f;
    const glm::vec3 eye = target + glm::normalize(glm::vec3(0.0f, -1.2f, 0.6f)) * size * 1.1f;
    const glm::vec3 forward = glm::normalize(target - eye);
    const glm::vec3 right = glm::normalize(glm::cross(forward, glm::vec3(0, 0, 1)));
    const glm::vec3 down = glm::cross(forward, right);
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(right, 0.0f);
    c2w[1] = glm::vec4(down, 0.0f);
    c2w[2] = glm::vec4(forward, 0.0f);
    c2w[3] = glm::vec4(eye, 1.0f);
    return Camera::from_camera_to_world(c2w, width, height, focal, focal, width * 0.5f, height * 0.5f);
}

// The donut of the shared datasets (bench/bench_data.hpp says where they are looked for).
std::filesystem::path donut_path() {
    const std::filesystem::path datasets = bench::shared_datasets_dir();
    if (datasets.empty())
        throw Error("the shared datasets were not found (no shared/datasets above this executable): set "
                    "SPLATSCAPE_DATASETS or pass --scene FILE");
    const std::filesystem::path path = datasets / "gs_ply_donut" / "point_cloud" / "iteration_30000" / "fused.ply";
    if (!std::filesystem::exists(path))
        throw Error(path.string(), "", "the donut scene is not there: set SPLATSCAPE_DATASETS or pass --scene FILE");
    return path;
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
    void figure(const std::string& name, double value, const std::string& unit, const std::string& extra = "") {
        std::printf("{%s, \"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"%s}\n", prefix.c_str(), name.c_str(),
                    value, unit.c_str(), extra.c_str());
        std::fflush(stdout);
    }
};

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Records `record` into a reusable command buffer that can be submitted many times.
class Submitter {
public:
    explicit Submitter(vk::Context& context) : m_commands(context) {}
    template <class Record>
    void record(Record record) {
        record(m_commands.begin());
        m_commands.end();
    }
    double run() { return m_commands.submit_and_wait(); }

private:
    vk::CommandBuffer m_commands;
};

void bench_frames(vk::Context& context, const std::string& scene_name, const GaussianCloud& cloud, const Camera& camera,
                  int frames, Reporter base) {
    const auto t_upload = Clock::now();
    vk::GpuScene scene(context, cloud);
    const double upload_s = std::chrono::duration<double>(Clock::now() - t_upload).count();
    vk::SplatRenderer renderer(context);
    vk::TimestampQueries timer(context, 32);
    RenderSettings settings;
    base.prefix +=
        cat(", \"scene\": \"", json_escape(scene_name), "\", \"gaussians\": ", cloud.size(),
            ", \"sh_degree\": ", cloud.sh_degree, ", \"width\": ", camera.width, ", \"height\": ", camera.height);
    base.figure("upload", upload_s * 1e3, "ms");

    Submitter submitter(context);
    // `repeats` frames back to back in one command buffer; timestamps only for a single frame.
    const auto record = [&](bool timed, int repeats = 1) {
        submitter.record([&](VkCommandBuffer cmd) {
            for (int r = 0; r < repeats; ++r)
                renderer.record(cmd, scene, camera, settings, nullptr, timed ? &timer : nullptr);
        });
    };
    // Warm-up: sizes the instance buffers (a first frame may overflow and grow them).
    vk::FrameResult result;
    for (int i = 0; i < 3; ++i) {
        renderer.prepare(scene, uint32_t(camera.width), uint32_t(camera.height));
        record(true);
        submitter.run();
        result = renderer.finish(0, &timer);
    }
    if (result.overflowed) throw Error("the frame still overflows after growing the buffers");

    std::map<std::string, std::vector<double>> pass_ms;
    std::vector<double> gpu_ms;
    record(true);
    for (int f = 0; f < frames; ++f) {
        submitter.run();
        result = renderer.finish(0, &timer);
        for (auto& p : result.stats.passes) pass_ms[p.pass].push_back(p.ms);
        gpu_ms.push_back(result.stats.gpu_ms);
    }
    for (auto& p : result.stats.passes)
        base.figure("pass_ms", median(pass_ms[p.pass]), "ms", cat(", \"pass\": \"", p.pass, "\""));
    const double frame_gpu = median(gpu_ms);
    base.figure("frame_gpu_ms", frame_gpu, "ms");
    base.figure("fps_gpu", 1e3 / frame_gpu, "frames/s");
    // Throughput: frames back to back without timestamps, one submission, wall clock.
    record(false, frames);
    const double wall = submitter.run();
    base.figure("frame_wall_ms", wall * 1e3 / frames, "ms");
    base.figure("fps", frames / wall, "frames/s");
    base.figure("visible", double(result.stats.visible), "gaussians");
    base.figure("instances", double(result.stats.instances), "pairs");
    base.figure("max_tile_count", double(result.stats.max_tile_count), "gaussians");
    const double sort_ms = median(pass_ms["tile sort"]);
    if (sort_ms > 0) base.figure("tile_sort_throughput", double(result.stats.instances) / (sort_ms * 1e-3), "keys/s");
    base.figure("gpu_memory", double(context.allocator().bytes_reserved()) / (1 << 20), "MiB");
}

void bench_sort(vk::Context& context, uint32_t count, int repeats, Reporter base) {
    vk::RadixSort sort(context);
    constexpr VkBufferUsageFlags usage =
        VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    const VkDeviceSize bytes = VkDeviceSize(count) * 4;
    vk::Buffer keys(context, bytes, usage, vk::MemoryUsage::GpuOnly, "keys");
    vk::Buffer values(context, bytes, usage, vk::MemoryUsage::GpuOnly, "values");
    vk::Buffer keys_alt(context, bytes, usage, vk::MemoryUsage::GpuOnly, "keys alt");
    vk::Buffer values_alt(context, bytes, usage, vk::MemoryUsage::GpuOnly, "values alt");
    vk::Buffer source(context, bytes, usage, vk::MemoryUsage::GpuOnly, "source keys");
    vk::Buffer counter(context, 4, usage, vk::MemoryUsage::GpuOnly, "count");
    vk::Buffer scratch(context, vk::RadixSort::scratch_bytes(count), usage, vk::MemoryUsage::GpuOnly, "scratch");
    std::vector<uint32_t> host(count);
    std::mt19937 rng(0);
    for (auto& k : host) k = rng();
    vk::upload(context, source, host.data(), bytes);
    vk::upload(context, counter, &count, 4);
    vk::TimestampQueries timer(context, 4);
    Submitter submitter(context);
    base.prefix += cat(", \"keys\": ", count);
    for (uint32_t bits : {32u, 16u}) {
        submitter.record([&](VkCommandBuffer cmd) {
            // Fresh unsorted keys each run: the copy is outside the timed span.
            VkBufferCopy copy{0, 0, bytes};
            vkCmdCopyBuffer(cmd, source.handle(), keys.handle(), 1, &copy);
            vk::memory_barrier(cmd);
            timer.begin(cmd);
            sort.record(cmd,
                        {keys.address(), values.address(), keys_alt.address(), values_alt.address(), counter.address(),
                         scratch.address(), count},
                        bits);
            timer.mark(cmd, "sort");
        });
        std::vector<double> ms;
        for (int r = 0; r < repeats; ++r) {
            submitter.run();
            for (auto& p : timer.read()) ms.push_back(p.ms);
        }
        const double m = median(ms);
        base.figure("sort_ms", m, "ms", cat(", \"key_bits\": ", bits));
        base.figure("sort_throughput", count / (m * 1e-3), "keys/s", cat(", \"key_bits\": ", bits));
    }
}

} // namespace
} // namespace splatscape

int main(int argc, char** argv) {
    using namespace splatscape;
    CLI::App app{"Vulkan splat renderer benchmark (one JSON line per figure)"};
    std::string scene = "stress1m";
    int frames = 20, width = 1920, height = 1080, gpu = -1;
    uint32_t sort_keys = 0;
    bool validation = false;
    app.add_option("--scene", scene,
                   "donut, stress1m, stress6m, stressN (N Gaussians, e.g. stress50000) or a scene file");
    app.add_option("--frames", frames, "Timed frames")->check(CLI::Range(1, 100000));
    app.add_option("--width", width, "Image width")->check(CLI::Range(1, 16384));
    app.add_option("--height", height, "Image height")->check(CLI::Range(1, 16384));
    bool list_gpus = false;
    app.add_option("--gpu", gpu, "Vulkan device index (see --list-gpus)");
    app.add_flag("--list-gpus", list_gpus, "List the Vulkan devices and exit");
    app.add_option("--sort-keys", sort_keys, "Also time the radix sort alone on this many random keys");
    app.add_flag("--validation", validation, "Khronos validation layer on");
    CLI11_PARSE(app, argc, argv);
    try {
        if (!std::getenv("XDG_RUNTIME_DIR")) setenv("XDG_RUNTIME_DIR", "/tmp", 0);
        if (list_gpus) {
            for (auto& d : vk::Context::list_devices()) std::printf("%s\n", vk::describe(d).c_str());
            return 0;
        }
        vk::ContextOptions options;
        options.gpu_index = gpu;
        options.validation = validation ? 1 : 0;
        vk::Context context(options);
        Reporter base{cat("\"bench\": \"render\", \"device\": \"", json_escape(context.info().name),
                          "\", \"subgroup_size\": ", context.subgroup_size())};
        GaussianCloud cloud;
        Camera camera;
        if (scene == "donut") {
            cloud = read_scene(donut_path());
            camera = file_camera(cloud, width, height);
        } else if (scene.rfind("stress", 0) == 0) {
            size_t n = 0;
            if (scene == "stress1m")
                n = 1'000'000;
            else if (scene == "stress6m")
                n = 6'000'000;
            else
                n = std::stoul(scene.substr(6));
            cloud = stress_scene(n, 0);
            camera = stress_camera(width, height);
        } else {
            cloud = read_scene(scene);
            camera = file_camera(cloud, width, height);
        }
        bench_frames(context, scene, cloud, camera, frames, base);
        if (sort_keys > 0) bench_sort(context, sort_keys, std::max(3, frames / 2), base);
        if (context.validation_errors() > 0) {
            std::fprintf(stderr, "bench_render: %u Vulkan validation errors\n", context.validation_errors());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_render: %s\n", e.what());
        return 1;
    }
    return 0;
}
#endif // SPLATSCAPE_HAVE_VULKAN
