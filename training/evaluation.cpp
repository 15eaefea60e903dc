#include "training/evaluation.hpp"

#include <chrono>

#include "core/metrics.hpp"

namespace splatscape {

Json EvalResult::to_json() const {
    Json j = Json::object();
    j["psnr"] = psnr;
    j["ssim"] = ssim;
    j["views"] = Json::array();
    for (const auto& v : views) j["views"].push_back({{"name", v.name}, {"psnr", v.psnr}, {"ssim", v.ssim}});
    j["render_ms"] = render_ms;
    j["protocol"] = "8-bit quantised render and ground truth; PSNR peak 1; SSIM 11x11 Gaussian window, sigma 1.5";
    return j;
}

std::string safe_file_name(const std::string& name) {
    std::string s;
    for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
    while (!s.empty() && (s.front() == '_' || s.front() == '.')) s.erase(s.begin());
    return s.empty() ? "view" : s;
}

const std::vector<Frame>& evaluation_frames(const Dataset& dataset) {
    return dataset.test.empty() ? dataset.val : dataset.test;
}

EvalResult evaluate_views(const Dataset& dataset, const std::vector<Frame>& frames, const RenderFunction& render,
                          const std::filesystem::path& out_dir, const std::function<void(size_t, size_t)>& on_view) {
    return evaluate_frames(
        dataset, frames, [&](const Frame&, const Camera& camera) { return render(camera); }, out_dir, on_view);
}

EvalResult evaluate_frames(const Dataset& dataset, const std::vector<Frame>& frames, const FrameRenderFunction& render,
                           const std::filesystem::path& out_dir, const std::function<void(size_t, size_t)>& on_view) {
    EvalResult r;
    double render_seconds = 0.0;
    for (size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        const Image gt = quantize_8bit(dataset.load_image(f));
        const auto t0 = std::chrono::steady_clock::now();
        const Image out = quantize_8bit(render(f, dataset.render_camera(f)));
        render_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ViewMetrics m;
        m.name = f.name;
        m.psnr = psnr(out, gt);
        m.ssim = ssim(out, gt);
        r.views.push_back(m);
        r.psnr += m.psnr;
        r.ssim += m.ssim;
        if (!out_dir.empty()) {
            const std::string file = safe_file_name(f.name) + ".png";
            save_image(out_dir / "renders" / file, out);
            save_image(out_dir / "gt" / file, gt);
        }
        if (on_view) on_view(i + 1, frames.size());
    }
    if (!frames.empty()) {
        r.psnr /= double(frames.size());
        r.ssim /= double(frames.size());
        r.render_ms = 1000.0 * render_seconds / double(frames.size());
    }
    return r;
}

} // namespace splatscape
