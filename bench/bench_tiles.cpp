// Streaming benchmark: the built-in city as a tiled scene (generated here at --generate N Gaussians,
// or read from --scene DIR), flown along its camera flight at 1920x1080 under a GPU memory budget,
// frame by frame as the viewer draws it (selection, uploads of arrived tiles, one render; tiles are
// read and decoded on loader threads meanwhile). One JSON line per figure:
//   time_to_first_frame_ms  from opening the tileset to the first frame with splats
//   frame_ms_median / _p99 / _max over the flight (wall time of a frame: update + render + wait)
//   gpu_ms_median           the renderer's own passes
//   refine_after_jump_ms    from a jump across the city until the view is fully refined
// plus the drawn and resident splats and the pool's size.
//
//   bench_tiles --generate 50M [--out DIR] [--budget-mb 4096] [--budget-splats 0] [--frames 300]
//   bench_tiles --scene DIR (a tiled city written by `splatscape generate city --gaussians N`)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/scene/city.hpp"
#include "core/tiles/tileset.hpp"
#ifdef SPLATSCAPE_HAVE_VULKAN
#include "renderer/tiled_renderer_vk.hpp"
#endif

using namespace splatscape;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}

void figure(const char* name, double value, const char* unit, const std::string& extra = "") {
    std::printf("{\"bench\": \"tiles\", \"figure\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"%s}\n", name, value, unit,
                extra.c_str());
    std::fflush(stdout);
}

size_t parse_count(std::string s) {
    double scale = 1;
    const char c = s.empty() ? 0 : char(std::toupper(static_cast<unsigned char>(s.back())));
    if (c == 'K' || c == 'M' || c == 'G') {
        scale = c == 'K' ? 1e3 : c == 'M' ? 1e6 : 1e9;
        s.pop_back();
    }
    return size_t(std::stod(s) * scale);
}

} // namespace

#ifndef SPLATSCAPE_HAVE_VULKAN
int main() {
    std::fprintf(stderr, "bench_tiles: this build has no Vulkan renderer\n");
    return 1;
}
#else
int main(int argc, char** argv) {
    std::string scene, generate, out = "/tmp/splatscape-bench-city";
    int width = 1920, height = 1080, frames = 300, gpu = -1, leaf = 65536;
    double budget_mb = 4096, budget_splats = 0, tau = 2.0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError(a + " needs a value");
            return argv[++i];
        };
        if (a == "--scene")
            scene = next();
        else if (a == "--generate")
            generate = next();
        else if (a == "--out")
            out = next();
        else if (a == "--width")
            width = std::stoi(next());
        else if (a == "--height")
            height = std::stoi(next());
        else if (a == "--frames")
            frames = std::stoi(next());
        else if (a == "--gpu")
            gpu = std::stoi(next());
        else if (a == "--leaf-splats")
            leaf = std::stoi(next());
        else if (a == "--budget-mb")
            budget_mb = std::stod(next());
        else if (a == "--budget-splats")
            budget_splats = double(parse_count(next()));
        else if (a == "--tau")
            tau = std::stod(next());
        else {
            std::fprintf(stderr,
                         "usage: bench_tiles (--generate N [--out DIR] | --scene DIR) [--width W] [--height H] "
                         "[--frames N] [--budget-mb MB] [--budget-splats N] [--tau PX] [--leaf-splats N] [--gpu N]\n");
            return 2;
        }
    }
    try {
        CityOptions city; // the default city, as `generate city` writes it
        if (!generate.empty()) {
            const size_t count = parse_count(generate);
            auto t0 = Clock::now();
            const GaussianCloud cloud = city_gaussians(city, count);
            figure("generate_gaussians_s", ms_since(t0) / 1e3, "s", ", \"gaussians\": " + std::to_string(count));
            t0 = Clock::now();
            TiledSceneOptions o;
            o.lod.leaf_splats = size_t(leaf);
            o.up = {0, 0, 1};
            std::filesystem::remove_all(out);
            const TiledSceneSummary s = write_tiled_scene(cloud, out, o);
            figure("write_tiles_s", ms_since(t0) / 1e3, "s",
                   ", \"tiles\": " + std::to_string(s.tiles) + ", \"bytes\": " + std::to_string(s.bytes));
            scene = out;
        }
        if (scene.empty()) throw UsageError("give --generate N or --scene DIR");

        vk::StreamingOptions so;
        so.budget_bytes = uint64_t(budget_mb * 1048576.0);
        so.budget_splats = uint64_t(budget_splats);
        so.tau_px = tau;
        so.fade_frames = 8;
        so.loader_threads = 4;
        OffscreenOptions oo;
        oo.gpu_index = gpu;
        oo.validation = 0;
        const auto open = Clock::now();
        TiledSceneRenderer r(read_tiled_scene(scene), so, oo);
        RenderSettings settings;
        const std::string device = ", \"device\": \"" + r.device_name() + "\"";
        auto flight = [&](double u) { return city_flight_camera(city, float(u), width, height, 60.0f); };

        // Time to first frame: frames from the flight's start until one has splats.
        double first = -1;
        for (int k = 0; k < 100000 && first < 0; ++k) {
            r.render_frame(flight(0.0), settings);
            if (r.stats().drawn_splats > 0) first = ms_since(open);
        }
        figure("time_to_first_frame_ms", first, "ms", device);

        std::vector<double> wall, gpu_ms;
        uint64_t most_drawn = 0, most_resident = 0;
        for (int f = 0; f < frames; ++f) {
            const auto t = Clock::now();
            const RenderOutput img = r.render_frame(flight(double(f) / double(frames)), settings);
            wall.push_back(ms_since(t));
            gpu_ms.push_back(img.stats.gpu_ms);
            most_drawn = std::max(most_drawn, r.stats().drawn_splats);
            most_resident = std::max(most_resident, r.stats().resident_bytes);
        }
        const std::string res = ", \"width\": " + std::to_string(width) + ", \"height\": " + std::to_string(height);
        figure("frame_ms_median", percentile(wall, 0.5), "ms", res + device);
        figure("frame_ms_p99", percentile(wall, 0.99), "ms", res + device);
        figure("frame_ms_max", percentile(wall, 1.0), "ms", res + device);
        figure("gpu_ms_median", percentile(gpu_ms, 0.5), "ms", res + device);
        figure("drawn_splats_max", double(most_drawn), "splats");
        figure("resident_bytes_max", double(most_resident), "bytes",
               ", \"pool_bytes\": " + std::to_string(r.stats().pool_bytes) +
                   ", \"gpu_memory_bytes\": " + std::to_string(r.gpu_memory_bytes()));

        // A jump across the city: frames until the new view is fully refined.
        const Camera there = flight(0.5);
        const auto jump = Clock::now();
        int jump_frames = 0;
        for (; jump_frames < 100000; ++jump_frames) {
            r.render_frame(there, settings);
            if (r.stats().refined) break;
        }
        figure("refine_after_jump_ms", ms_since(jump), "ms",
               ", \"frames\": " + std::to_string(jump_frames + 1) + device);
        figure("tiles_read", double(r.stats().loaded_total), "tiles",
               ", \"bytes_read\": " + std::to_string(r.stats().bytes_read));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_tiles: %s\n", e.what());
        return 1;
    }
    return 0;
}
#endif
