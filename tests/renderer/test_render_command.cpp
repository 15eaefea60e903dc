// `splatscape render` with the Vulkan renderer, as a user runs it (this is also the check that a
// headless build, -DSPLATSCAPE_GUI=OFF, renders): frames agree with the CPU renderer's.
#include <cmath>
#include <cstdio>
#include <random>

#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/scene_io.hpp"
#include "core/metrics.hpp"
#include "tests/renderer/vk_test_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {
namespace {

GaussianCloud blob_scene() {
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    GaussianCloud c;
    c.resize(3000, 1);
    for (size_t i = 0; i < c.size(); ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = 0.4f * g(rng);
            c.log_scales[3 * i + a] = -3.2f + 0.4f * g(rng);
        }
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = g(rng);
        c.opacities[i] = 0.5f + g(rng);
        for (int k = 0; k < 12; ++k) c.sh[i * 12 + k] = (k < 3 ? 1.0f : 0.2f) * g(rng);
    }
    return c;
}

std::string render_command(const fs::path& scene, const std::string& renderer, const fs::path& out) {
    return cat(splatscape_exe().string(), " render ", scene.string(), " --orbit 2 --width 96 --height 72 --renderer ",
               renderer, " -o ", out.string());
}

TEST(RenderCommand, VulkanFramesMatchCpuFrames) {
    prepare_vulkan_environment();
    std::string why;
    if (!OffscreenRenderer::available(&why)) GTEST_SKIP() << "no usable Vulkan device: " << why;
    TempDir dir("render_command");
    const fs::path scene = dir / "blob.ply";
    write_scene(scene, blob_scene());
    std::string log;
    ASSERT_EQ(run_command(render_command(scene, "vulkan", dir / "vulkan"), &log), 0) << log;
    EXPECT_NE(log.find("vulkan renderer"), std::string::npos) << log;
    ASSERT_EQ(run_command(render_command(scene, "cpu", dir / "cpu"), &log), 0) << log;
    for (const char* frame : {"frame_00000.png", "frame_00001.png"}) {
        const Image vulkan = load_image(dir / "vulkan" / frame), cpu = load_image(dir / "cpu" / frame);
        ASSERT_EQ(vulkan.width, 96);
        ASSERT_EQ(vulkan.height, 72);
        // 8-bit PNGs of frames that agree to float rounding: at most a level apart here and there.
        EXPECT_GE(psnr(vulkan, cpu), 40.0) << frame;
        double mean = 0.0;
        for (float v : vulkan.data) mean += v;
        EXPECT_GT(mean / double(vulkan.data.size()), 0.02) << frame << " is black";
    }
}

TEST(RenderCommand, BadGpuIndexIsAUsageError) {
    prepare_vulkan_environment();
    std::string why;
    if (!OffscreenRenderer::available(&why)) GTEST_SKIP() << "no usable Vulkan device: " << why;
    TempDir dir("render_command_gpu");
    const fs::path scene = dir / "blob.ply";
    write_scene(scene, blob_scene());
    std::string log;
    EXPECT_EQ(run_command(render_command(scene, "vulkan", dir / "out") + " --gpu 63", &log), 2) << log;
    EXPECT_NE(log.find("--gpu 63"), std::string::npos) << log;
}

} // namespace
} // namespace splatscape::test
