#pragma once
// The built-in city: a procedural grid of city blocks several hundred metres across, for testing
// tiled, streamed scenes at scale on any machine (`splatscape generate city`).
//
//   - streets (dark asphalt with lane markings) between square blocks; each block a raised pavement
//     with two to four buildings: boxes 8 to 80 m tall with window grids (checker and stripe
//     textures), a few cylindrical towers; trees (a trunk and a round crown) along the pavements;
//   - a camera flight: a closed loop over the streets at 25-60 m, looking ahead and down, with a
//     low pass between the buildings (CityFlight), written as a camera path that `splatscape render
//     --camera-path` and the viewer's editor read;
//   - as a dataset (Blender layout, as `generate shapes`): views along the flight and on an orbit,
//     rendered by the exact ray tracer (core/scene/ray_tracer.hpp);
//   - as Gaussians (city_gaussians): any number of flat Gaussians on the surfaces, distributed by
//     area, each facing along its surface normal, coloured by the albedo under the key and ambient
//     light (no shadows), SH degree 0: a scene of 50 million Gaussians without training.
//
// World frame: +z up, ground z = 0, metres; the city spans [-extent/2, extent/2] in x and y.
// Everything is a function of the options: the same seed gives the same city.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/scene/ray_tracer.hpp"

namespace splatscape {

struct CityOptions {
    int blocks = 6;             // blocks along x and along y
    float block_size = 60.0f;   // metres, pavement included
    float street_width = 14.0f; // metres
    uint64_t seed = 0;

    float extent() const { return float(blocks) * (block_size + street_width) + street_width; }
    void validate() const; // throws UsageError on values out of range
};

struct CityDatasetOptions {
    CityOptions city;
    int width = 320;
    int height = 240;
    int train_views = 96;
    int test_views = 12;
    int samples_per_axis = 2;
    float fov_y_degrees = 60.0f;
    int flight_frames = 600; // camera path keys (30 per second)
    int points = 20000;      // points3d.ply: surface points for initialisation (0: no file)
};

scene::SceneDescription city_description(const CityOptions& options);

// The flight at parameter u in [0, 1) (a closed loop): camera-to-world in OpenCV axes.
Camera city_flight_camera(const CityOptions& options, float u, int width, int height, float fov_y_degrees);
// The flight as a camera-path document (the render --camera-path schema), `frames` keys at 30 fps.
void write_city_flight(const std::filesystem::path& path, const CityOptions& options, int frames, float fov_y_degrees);

struct CityDatasetStats {
    size_t images = 0;
    size_t primitives = 0;
    double seconds = 0.0;
};
// transforms_{train,val,test}.json, {train,test}/r_N.png, points3d.ply, flight.json and scene.json in `dir`.
CityDatasetStats generate_city_dataset(const CityDatasetOptions& options, const std::filesystem::path& dir);

// `count` Gaussians on the city's surfaces (threads: OpenMP; the same options give the same cloud).
GaussianCloud city_gaussians(const CityOptions& options, size_t count);

} // namespace splatscape
