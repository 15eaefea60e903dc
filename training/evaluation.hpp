#pragma once
// Held-out evaluation following the 3DGS protocol: each view rendered, both the render and the
// ground truth quantised to 8 bits (as the reference compares saved PNGs), PSNR and SSIM per view,
// then the means.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/datasets/dataset.hpp"
#include "core/image.hpp"
#include "core/json_util.hpp"

namespace splatscape {

struct ViewMetrics {
    std::string name;
    double psnr = 0.0;
    double ssim = 0.0;
};

struct EvalResult {
    std::vector<ViewMetrics> views;
    double psnr = 0.0; // mean of per-view PSNR
    double ssim = 0.0;
    double render_ms = 0.0; // mean render time per view
    Json to_json() const;
};

using RenderFunction = std::function<Image(const Camera&)>;

// Renders `frames` of `dataset` with `render` and compares them with the dataset's images. When
// `out_dir` is not empty, writes out_dir/renders/<name>.png and out_dir/gt/<name>.png.
// `on_view` (optional) is called after each view with (done, total).
EvalResult evaluate_views(const Dataset& dataset, const std::vector<Frame>& frames, const RenderFunction& render,
                          const std::filesystem::path& out_dir = {},
                          const std::function<void(size_t, size_t)>& on_view = {});

// The same with a renderer that also sees the frame (dynamic scenes render at frame.time).
using FrameRenderFunction = std::function<Image(const Frame&, const Camera&)>;
EvalResult evaluate_frames(const Dataset& dataset, const std::vector<Frame>& frames, const FrameRenderFunction& render,
                           const std::filesystem::path& out_dir = {},
                           const std::function<void(size_t, size_t)>& on_view = {});

// The frames evaluation uses: the test split, or the validation split when there is no test split.
const std::vector<Frame>& evaluation_frames(const Dataset& dataset);

// A file-name-safe version of a frame name ("test/r_0" -> "test_r_0").
std::string safe_file_name(const std::string& name);

} // namespace splatscape
