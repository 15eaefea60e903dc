// Reference frames for the web viewer tests: renders a scene file with the CPU backend's tile
// rasterizer (training/cpu, docs/rasterizer.md) from a camera given as JSON.
//   splatscape_web_reference SCENE CAMERA.json OUT.f32
// CAMERA.json: {R: row-major world-to-camera 3x3, t: [3], fx, fy, cx, cy, width, height,
// background: [3]} in the OpenCV convention. OUT: float32 RGB, [height, width, 3], row-major.
// A 4D scene (gs4d PLY) is rendered at the camera's "time" (default: the start of its time range); a
// sags model (.sags) is decoded for the camera (its view-dependent colours and opacities) and rendered.
#include <cstdio>
#include <exception>

#include <nlohmann/json.hpp>

#include "core/camera.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/render.hpp"

int main(int argc, char** argv) {
    using namespace splatscape;
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s SCENE CAMERA.json OUT.f32\n", argv[0]);
        return 2;
    }
    try {
        const auto j = nlohmann::json::parse(read_file_text(argv[2]));
        Camera cam;
        cam.width = j.at("width").get<int>();
        cam.height = j.at("height").get<int>();
        cam.fx = j.at("fx").get<float>();
        cam.fy = j.at("fy").get<float>();
        cam.cx = j.at("cx").get<float>();
        cam.cy = j.at("cy").get<float>();
        const auto R = j.at("R").get<std::vector<float>>();
        const auto t = j.at("t").get<std::vector<float>>();
        if (R.size() != 9 || t.size() != 3) throw Error(argv[2], "R, t", "expected 9 and 3 numbers");
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) cam.R[c][r] = R[3 * r + c]; // glm is column-major
        cam.t = {t[0], t[1], t[2]};
        RenderOptions options;
        const auto bg = j.value("background", std::vector<float>{0, 0, 0});
        options.background = {bg.at(0), bg.at(1), bg.at(2)};
        auto backend = create_backend("cpu");
        Image image;
        if (is_sags_file(argv[1])) {
            auto model = sags_model_from_scene(*backend, read_sags(argv[1]), argv[1]);
            ViewInfo view;
            view.camera = raster_camera(cam);
            auto ctx = backend->ops<RasterOps>().create_context();
            image = rasterize_images(*backend, *ctx, model->raster_inputs(view), cam, options, nullptr, nullptr);
        } else if (is_gaussian_4d_ply(argv[1])) {
            const GaussianCloud4d cloud = read_gaussian_4d_ply(argv[1]);
            Cloud4dRenderer renderer(*backend, cloud);
            image = renderer.render(cam, j.value("time", cloud.time_min), options);
        } else {
            const GaussianCloud cloud = read_scene(argv[1]);
            options.antialiased = cloud.antialiased; // as the scene says it was trained
            options.eps2d = cloud.eps2d;
            CloudRenderer renderer(*backend, cloud);
            image = renderer.render(cam, options);
        }
        write_file_atomic(argv[3], image.data.data(), image.data.size() * sizeof(float));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
