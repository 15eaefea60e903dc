// splatscape generate city: the built-in city (core/scene/city.hpp) as a dataset with a camera
// flight, or directly as a tiled Gaussian scene of a chosen size (--gaussians 50M).
#include "app/cli/generate_city.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/scene/city.hpp"
#include "core/tiles/tileset.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

// "50M", "2.5k", "1000000".
size_t parse_count(const std::string& text) {
    if (text.empty()) return 0;
    char suffix = char(std::toupper(static_cast<unsigned char>(text.back())));
    double scale = suffix == 'K' ? 1e3 : suffix == 'M' ? 1e6 : suffix == 'G' || suffix == 'B' ? 1e9 : 1.0;
    const std::string digits = scale == 1.0 ? text : text.substr(0, text.size() - 1);
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(digits, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != digits.size() || !(v > 0) || v * scale > 2147483648.0)
        throw UsageError(cat("--gaussians '", text, "': expected a count such as 2000000, 500K or 50M (at most 2^31)"));
    return size_t(v * scale + 0.5);
}

} // namespace

void add_city_options(CLI::App& cmd, CityArgs& a) {
    const std::string group = "city";
    cmd.add_option("--blocks", a.dataset.city.blocks, "city: blocks along each side")
        ->capture_default_str()
        ->group(group);
    cmd.add_option("--gaussians", a.gaussians,
                   "city: write the city directly as a tiled Gaussian scene of this many Gaussians (e.g. 2M, 50M) "
                   "instead of a dataset")
        ->group(group);
    cmd.add_option("--leaf-splats", a.leaf_splats, "city --gaussians: most Gaussians in one tile")
        ->check(CLI::Range(16, 1 << 24))
        ->capture_default_str()
        ->group(group);
    cmd.add_flag("--spz", a.spz, "city --gaussians: SPZ-compressed tiles")->group(group);
    cmd.add_option("--flight-frames", a.dataset.flight_frames, "city: keys of the camera flight (30 per second)")
        ->check(CLI::Range(2, 1000000))
        ->capture_default_str()
        ->group(group);
}

int run_generate_city(CityArgs a, const fs::path& dir, const SyntheticSceneOptions& common, bool width_set,
                      bool height_set, bool train_set, bool test_set, bool points_set) {
    a.dataset.city.seed = common.seed;
    a.dataset.city.validate();
    if (width_set) a.dataset.width = common.width;
    if (height_set) a.dataset.height = common.height;
    if (train_set) a.dataset.train_views = common.train_views;
    if (test_set) a.dataset.test_views = common.test_views;
    a.dataset.samples_per_axis = std::max(1, std::min(common.samples_per_axis, 2));
    if (points_set) a.dataset.points = common.points;
    if (!a.gaussians.empty()) {
        const size_t count = parse_count(a.gaussians);
        log::info("generating the city (", a.dataset.city.blocks, "x", a.dataset.city.blocks, " blocks, ",
                  a.dataset.city.extent(), " m across) as ", count, " Gaussians");
        const GaussianCloud cloud = city_gaussians(a.dataset.city, count);
        TiledSceneOptions o;
        o.lod.leaf_splats = a.leaf_splats;
        o.encoding.spz = a.spz;
        o.up = {0.0f, 0.0f, 1.0f};
        const TiledSceneSummary s = write_tiled_scene(cloud, dir, o);
        write_city_flight(dir / "flight.json", a.dataset.city, a.dataset.flight_frames, a.dataset.fov_y_degrees);
        std::printf("scene       city as %zu Gaussians (%s)\n", count, dir.string().c_str());
        std::printf("tiles       %zu in %d levels, %.2f MB, %.1f s\n", s.tiles, s.levels, double(s.bytes) / 1e6,
                    s.seconds);
        std::printf("flight      %s (render --camera-path)\n", (dir / "flight.json").string().c_str());
        return 0;
    }
    log::info("generating the city dataset: ", a.dataset.train_views, " train and ", a.dataset.test_views,
              " test views at ", a.dataset.width, "x", a.dataset.height);
    const CityDatasetStats s = generate_city_dataset(a.dataset, dir);
    std::printf("scene       city (%s), %zu primitives, %.0f m across\n", dir.string().c_str(), s.primitives,
                a.dataset.city.extent());
    std::printf("images      %zu at %dx%d\n", s.images, a.dataset.width, a.dataset.height);
    std::printf("flight      %s (render --camera-path)\n", (dir / "flight.json").string().c_str());
    std::printf("time        %.2f s\n", s.seconds);
    return 0;
}

} // namespace splatscape::cli
