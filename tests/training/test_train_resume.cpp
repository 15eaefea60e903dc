// A run stopped half-way and resumed from its checkpoint ends with the same model, byte for byte, as
// one that was never interrupted (label train), through the trainer's API and through the command
// line (`splatscape train --iters N/2`, then `train --resume --iters N`). The same check on the GPU
// is CudaTraining.ResumedRunMatchesAnUninterruptedOne (test_cuda_backend.cpp).
#include <string>

#include <gtest/gtest.h>

#include "core/file_util.hpp"
#include "core/json_util.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"

namespace splatscape::test {
namespace {

constexpr int kTotal = 300, kStop = kTotal / 2;

// 300 iterations of the tiny scene: densification every 40 from 80 to 200 (at 120 before the
// stop, 160 and 200 after it), SH steps every 100, an opacity reset at 250. The stop (150) is on
// none of these schedules, so that a run ending there does all the steps the longer run does.
Json resume_config() {
    return {{"position_lr_max_steps", kTotal},
            {"sh_increase_every", 100},
            {"densify",
             {{"densify_from", 80}, {"densify_until", 201}, {"densify_every", 40}, {"opacity_reset_every", 250}}}};
}

class Resume : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir("train_resume");
        write_gaussian_dataset(s_dir->path() / "data", ground_truth_gaussians(12, 5), 24, 6, 48);
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static TempDir* s_dir;
};
TempDir* Resume::s_dir = nullptr;

TEST_F(Resume, ResumedRunMatchesAnUninterruptedOne) {
    const ResumedRuns r =
        train_whole_and_resumed(s_dir->path() / "data", s_dir->path() / "api", "cpu", resume_config(), kTotal, kStop);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.stopped_at, kStop);
    ASSERT_FALSE(r.whole.empty());
    EXPECT_EQ(r.whole.size(), r.resumed.size());
    EXPECT_TRUE(r.whole == r.resumed) << "the model resumed at " << kStop << " differs from the uninterrupted one";
}

TEST_F(Resume, CommandLine) {
    const std::string exe = splatscape_exe().string();
    const fs::path dir = s_dir->path() / "cli", data = s_dir->path() / "data";
    fs::create_directories(dir);
    Json config = resume_config();
    config["iterations"] = kTotal;
    save_json(dir / "config.json", config);
    const std::string common = " --config " + (dir / "config.json").string() + " --seed 7 --no-eval --probe-every 0";
    std::string out;
    ASSERT_EQ(run_command(cat(exe, " train ", data.string(), " -o ", (dir / "whole").string(), common), &out), 0)
        << out;
    ASSERT_EQ(
        run_command(cat(exe, " train ", data.string(), " -o ", (dir / "resumed").string(), common, " --iters ", kStop),
                    &out),
        0)
        << out;
    ASSERT_EQ(run_command(cat(exe, " train --resume -o ", (dir / "resumed").string(), " --iters ", kTotal), &out), 0)
        << out;
    const auto whole = read_file_bytes(dir / "whole" / "point_cloud.ply");
    const auto resumed = read_file_bytes(dir / "resumed" / "point_cloud.ply");
    EXPECT_EQ(whole.size(), resumed.size());
    EXPECT_TRUE(whole == resumed) << "`train --resume` continued to a different model";
}

} // namespace
} // namespace splatscape::test
