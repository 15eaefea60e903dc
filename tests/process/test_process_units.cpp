// Unit tests of core/process: blur metric, frame selection, parsers of COLMAP / ffprobe / ffmpeg
// output (good and bad lines), the subprocess runner, and the errors a person sees when a tool is
// missing, no photos are found or the output would land inside the input.
#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/process/pipeline.hpp"
#include "core/process/sharpness.hpp"
#include "core/process/subprocess.hpp"
#include "core/process/tool_output.hpp"
#include "core/process/video_frames.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {
namespace {

using namespace splatscape::process;
using Kind = ColmapProgress::Kind;

// A grey image of random fine detail (each pixel independent).
Image noise_image(int size, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Image im(size, size, 3);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const float v = u(rng);
            for (int c = 0; c < 3; ++c) im.at(x, y, c) = v;
        }
    return im;
}

// A 3x3 box blur, applied `times` times.
Image box_blur(Image im, int times) {
    for (int t = 0; t < times; ++t) {
        Image out = im;
        for (int y = 1; y + 1 < im.height; ++y)
            for (int x = 1; x + 1 < im.width; ++x)
                for (int c = 0; c < im.channels; ++c) {
                    float s = 0;
                    for (int dy = -1; dy <= 1; ++dy)
                        for (int dx = -1; dx <= 1; ++dx) s += im.at(x + dx, y + dy, c);
                    out.at(x, y, c) = s / 9.0f;
                }
        im = std::move(out);
    }
    return im;
}

TEST(Sharpness, FlatImageHasNoLaplacianVariance) {
    EXPECT_EQ(laplacian_variance(Image(32, 32, 3, 0.4f)), 0.0);
    EXPECT_EQ(laplacian_variance(Image(2, 2, 3, 0.4f)), 0.0); // too small for a 3x3 stencil
    EXPECT_EQ(laplacian_variance(Image()), 0.0);
}

TEST(Sharpness, MatchesTheClosedFormOnACheckerboard) {
    // A one-pixel checkerboard of 0 and 1: the Laplacian is -4 * 255 on ones and +4 * 255 on zeros,
    // so its mean is ~0 and its variance (4 * 255)^2.
    Image im(16, 16, 1);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) im.at(x, y, 0) = float((x + y) % 2);
    EXPECT_NEAR(laplacian_variance(im), 1020.0 * 1020.0, 1.0);
    // A linear ramp has no second derivative.
    Image ramp(16, 16, 3);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x)
            for (int c = 0; c < 3; ++c) ramp.at(x, y, c) = 0.05f * float(x) + 0.01f * float(y);
    EXPECT_NEAR(laplacian_variance(ramp), 0.0, 1e-6);
}

TEST(Sharpness, BlurLowersTheScoreMonotonically) {
    const Image sharp = noise_image(64, 7);
    double previous = laplacian_variance(sharp);
    EXPECT_GT(previous, 0.0);
    for (int times = 1; times <= 4; ++times) {
        const double v = laplacian_variance(box_blur(sharp, times));
        EXPECT_LT(v, previous) << times << " blurs";
        previous = v;
    }
}

TEST(FrameSelection, KeepsTheSharpestOfEachWindow) {
    //                                   window 0      window 1      window 2
    const std::vector<double> s = {1, 5, 2, /**/ 9, 3, 4, /**/ 0, 0, 8};
    EXPECT_EQ(select_sharpest(s, 3), (std::vector<size_t>{1, 3, 8}));
    // Uneven windows: 9 frames into 2 windows of 4 and 5.
    EXPECT_EQ(select_sharpest(s, 2), (std::vector<size_t>{3, 8}));
    // Ties keep the earliest; NaN never wins.
    EXPECT_EQ(select_sharpest({2, 2, 2, 2}, 2), (std::vector<size_t>{0, 2}));
    EXPECT_EQ(select_sharpest({NAN, 1.0, NAN}, 1), (std::vector<size_t>{1}));
    EXPECT_EQ(select_sharpest({NAN, NAN}, 1), (std::vector<size_t>{0}));
    // More windows than frames keeps them all; none keeps none.
    EXPECT_EQ(select_sharpest({3, 1}, 5), (std::vector<size_t>{0, 1}));
    EXPECT_TRUE(select_sharpest(s, 0).empty());
    EXPECT_TRUE(select_sharpest({}, 3).empty());
}

TEST(FrameSelection, DropsBlurredFramesOfASequence) {
    // Every third frame is sharp, the others blurred: the sharp ones are picked in windows of three.
    std::vector<double> scores;
    for (int i = 0; i < 12; ++i) {
        const Image im = noise_image(48, uint32_t(100 + i));
        scores.push_back(laplacian_variance(i % 3 == 1 ? im : box_blur(im, 1 + i % 2)));
    }
    EXPECT_EQ(select_sharpest(scores, 4), (std::vector<size_t>{1, 4, 7, 10}));
}

TEST(FramePlan, CountsAndRates) {
    VideoInfo v;
    v.width = 640;
    v.height = 360;
    v.frame_rate = 30;
    v.duration = 10;
    v.frame_count = 300;
    FrameOptions o;
    o.frames = 50;
    o.blur_window = 3;
    FramePlan p = plan_frames(v, o, "v.mp4");
    EXPECT_EQ(p.keep, 50u);
    EXPECT_NEAR(p.candidate_rate, 15.0, 1e-9); // 150 candidates over 10 s
    o.fps = 2;
    p = plan_frames(v, o, "v.mp4");
    EXPECT_EQ(p.keep, 20u);
    EXPECT_NEAR(p.candidate_rate, 6.0, 1e-9);
    // More candidates than the video holds: every frame is decoded, at most every frame kept.
    o.fps = 0;
    o.frames = 200;
    p = plan_frames(v, o, "v.mp4");
    EXPECT_EQ(p.keep, 200u);
    EXPECT_EQ(p.candidate_rate, 0.0);
    o.frames = 1000;
    EXPECT_EQ(plan_frames(v, o, "v.mp4").keep, 300u);
    // --fps needs the video's length.
    v.duration = 0;
    o.fps = 2;
    EXPECT_THROW(plan_frames(v, o, "v.mp4"), Error);
}

TEST(ColmapLog, ParsesEachStagesProgressLines) {
    auto p = parse_colmap_line("Processed file [3/67]");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::ImageExtracted);
    EXPECT_EQ(p->done, 3u);
    EXPECT_EQ(p->total, 67u);

    p = parse_colmap_line("  Features:        8192");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::FeatureCount);
    EXPECT_EQ(p->done, 8192u);

    p = parse_colmap_line("Matching block [2/3, 1/3] in 12.184s");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::BlockMatched);
    EXPECT_EQ(p->done, 4u); // row 2, column 1 of a 3 x 3 grid
    EXPECT_EQ(p->total, 9u);

    p = parse_colmap_line("Matching image [12/67] in 0.812s");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::ImageMatched);
    EXPECT_EQ(p->done, 12u);
    EXPECT_EQ(p->total, 67u);

    p = parse_colmap_line("Initializing with image pair #21 and #26");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::InitialPair);
    EXPECT_EQ(p->done, 2u);
    EXPECT_EQ(p->image_id, 21u);

    p = parse_colmap_line("Registering image #31 (14)");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::ImageRegistered);
    EXPECT_EQ(p->done, 14u);
    EXPECT_EQ(p->image_id, 31u);

    p = parse_colmap_line("Undistorting image [5/67]\r");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::ImageUndistorted);
    EXPECT_EQ(p->done, 5u);
}

TEST(ColmapLog, AcceptsAGlogPrefix) {
    const auto p = parse_colmap_line("I0611 12:00:00.123456  4242 sequential.cc:87] Matching image [7/40] in 1.2s");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, Kind::ImageMatched);
    EXPECT_EQ(p->done, 7u);
    EXPECT_EQ(strip_glog_prefix("W1231 23:59:59.999999 1 a.cc:1] x"), "x");
    // Not a prefix: left alone.
    EXPECT_EQ(strip_glog_prefix("Image #3 ] x"), "Image #3 ] x");
    EXPECT_EQ(strip_glog_prefix("I06 short"), "I06 short");
}

TEST(ColmapLog, RejectsMalformedLines) {
    for (const char* bad : {
             "",
             "Processed file",
             "Processed file [",
             "Processed file [3/]",
             "Processed file [/67]",
             "Processed file [0/67]",                                            // counts are 1-based
             "Processed file [68/67]",                                           // above its total
             "Processed file [3/0]",                                             // zero total
             "Processed file [3/67] trailing",                                   // junk after the counter
             "Processed file [-3/67]",                                           // negative
             "Processed file [3.5/67]",                                          // not an integer
             "Processed file [99999999999999999999999/99999999999999999999999]", // overflows 64 bits
             "Processed file [3/67",
             "Matching block [1/3 1/3] in 1s",  // missing comma
             "Matching block [4/3, 1/3] in 1s", // row above the grid
             "Matching block [1/3, 1/0] in 1s",
             "Matching block [1/9999999999, 1/9999999999]", // grid size would overflow
             "Matching block [1/3, 1/3] in abc",
             "Matching block [1/3, 1/3] in 1.2", // no unit
             "Matching image [5/4] in 1s",
             "Matching image [5/40] at 1s",
             "Registering image #",
             "Registering image #31",
             "Registering image #31 (0)", // the first image is 1
             "Registering image #31 (14",
             "Registering image #x (14)",
             "Initializing with image pair #3 and #3", // the same image twice
             "Initializing with image pair #3 and",
             "Features:",
             "Features: many",
             "Features: 12 13",
             "Undistorting image [0/5]",
             "Elapsed time: 0.066 [minutes]",
             "  => No good initial image pair found.",
         })
        EXPECT_FALSE(parse_colmap_line(bad)) << "'" << bad << "'";
    // Arbitrary bytes never crash the parser.
    std::mt19937 rng(3);
    for (int i = 0; i < 2000; ++i) {
        std::string line = "Matching block [";
        const int n = int(rng() % 24);
        for (int k = 0; k < n; ++k) line.push_back(char(rng() % 256));
        (void)parse_colmap_line(line);
    }
}

TEST(FfprobeReport, ParsesSizeRateDurationAndCount) {
    const VideoInfo v = parse_ffprobe_report("width=1920\nheight=1080\navg_frame_rate=30000/1001\nnb_frames=300\n"
                                             "duration=10.010000\n",
                                             "clip.mp4");
    EXPECT_EQ(v.width, 1920);
    EXPECT_EQ(v.height, 1080);
    EXPECT_NEAR(v.frame_rate, 29.97, 0.01);
    EXPECT_NEAR(v.duration, 10.01, 1e-9);
    EXPECT_EQ(v.frame_count, 300);
    // Unknown values stay unknown.
    const VideoInfo u =
        parse_ffprobe_report("width=64\nheight=48\navg_frame_rate=0/0\nnb_frames=N/A\nduration=N/A\n", "c.mkv");
    EXPECT_EQ(u.frame_rate, 0.0);
    EXPECT_EQ(u.duration, 0.0);
    EXPECT_EQ(u.frame_count, -1);
}

TEST(FfprobeReport, RejectsReportsWithoutAUsableSize) {
    for (const char* bad :
         {"", "duration=3.0\n", "width=64\n", "width=0\nheight=48\n", "width=-5\nheight=48\n",
          "width=64px\nheight=48\n", "width=99999999999999999999\nheight=4\n", "width=100000\nheight=48\n"}) {
        try {
            parse_ffprobe_report(bad, "clip.mp4");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.file(), "clip.mp4");
        }
    }
}

TEST(FfmpegProgress, ReadsTheFrameCounter) {
    EXPECT_EQ(parse_ffmpeg_progress_frame("frame=123"), 123u);
    EXPECT_FALSE(parse_ffmpeg_progress_frame("frame="));
    EXPECT_FALSE(parse_ffmpeg_progress_frame("frame=12a"));
    EXPECT_FALSE(parse_ffmpeg_progress_frame("fps=30.0"));
    EXPECT_FALSE(parse_ffmpeg_progress_frame("frame=-1"));
}

TEST(Subprocess, StreamsLinesAndReportsTheExitStatus) {
    std::vector<std::string> lines;
    SubprocessOptions o;
    o.on_line = [&](std::string_view l) { lines.emplace_back(l); };
    const SubprocessResult r =
        run_subprocess({"sh", "-c", "printf 'one\\ntwo\\r\\nthree\\rfour\\n'; echo err >&2; printf last; exit 3"}, o);
    EXPECT_TRUE(r.started);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three", "four", "err", "last"})); // "last" has no end
    EXPECT_NE(r.output.find("err"), std::string::npos);
}

TEST(Subprocess, KeepsTheEndOfLongOutput) {
    SubprocessOptions o;
    o.keep_tail = 100;
    const SubprocessResult r = run_subprocess({"sh", "-c", "seq 1 5000"}, o);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_LE(r.output.size(), 100u);
    EXPECT_NE(r.output.find("5000"), std::string::npos);
    EXPECT_EQ(last_lines("a\nbb\nccc\n", 5), "ccc");
}

TEST(Subprocess, AMissingProgramIsNotStarted) {
    const SubprocessResult r = run_subprocess({"splatscape-no-such-program-xyz"});
    EXPECT_FALSE(r.started);
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_FALSE(find_program("splatscape-no-such-program-xyz"));
    EXPECT_TRUE(find_program("sh"));
}

TEST(Subprocess, TicksWhileTheProgramIsSilent) {
    int ticks = 0;
    SubprocessOptions o;
    o.tick = std::chrono::milliseconds(20);
    o.on_tick = [&] { ++ticks; };
    EXPECT_EQ(run_subprocess({"sleep", "0.3"}, o).exit_code, 0);
    EXPECT_GE(ticks, 5);
}

// A folder of `count` small PNG photos.
void write_photos(const fs::path& dir, int count) {
    fs::create_directories(dir);
    for (int i = 0; i < count; ++i) save_image(dir / cat("p", i, ".png"), noise_image(16, uint32_t(i)));
}

void write_script(const fs::path& path, const std::string& text) {
    write_bytes(path, text);
    chmod(path.c_str(), 0755);
}

TEST(ProcessCommand, NamesTheMissingToolAndItsPackage) {
    TempDir dir("process_missing_tools");
    write_photos(dir / "photos", 4);
    write_bytes(dir / "clip.mp4", "not really a video");
    fs::create_directories(dir / "empty_bin");
    const std::string exe = splatscape_exe().string();
    std::string out;
    // No colmap at all.
    EXPECT_EQ(run_command("env PATH=" + (dir / "empty_bin").string() + " " + exe + " process " +
                              (dir / "photos").string() + " -o " + (dir / "data").string(),
                          &out),
              1)
        << out;
    EXPECT_NE(out.find("colmap command-line tool"), std::string::npos) << out;
    EXPECT_NE(out.find("apt-get install colmap"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(dir / "data")) << "nothing is written before the tools are found";
    // colmap present, ffmpeg missing: a video needs the ffmpeg package.
    fs::create_directories(dir / "colmap_only");
    write_script(dir / "colmap_only" / "colmap", "#!/bin/sh\nexit 0\n");
    out.clear();
    EXPECT_EQ(run_command("env PATH=" + (dir / "colmap_only").string() + " " + exe + " process " +
                              (dir / "clip.mp4").string() + " -o " + (dir / "data").string(),
                          &out),
              1)
        << out;
    EXPECT_NE(out.find("apt-get install ffmpeg"), std::string::npos) << out;
    // The same through train on a folder of plain photos.
    out.clear();
    EXPECT_EQ(run_command("env PATH=" + (dir / "empty_bin").string() + " " + exe + " train " +
                              (dir / "photos").string() + " -o " + (dir / "run").string(),
                          &out),
              1)
        << out;
    EXPECT_NE(out.find("apt-get install colmap"), std::string::npos) << out;
}

TEST(ProcessCommand, RejectsInputsWithoutPhotosAndOutputsInsideTheInput) {
    TempDir dir("process_bad_inputs");
    fs::create_directories(dir / "nothing");
    write_bytes(dir / "nothing" / "notes.txt", "no photos here");
    ProcessOptions o;
    o.input = dir / "nothing";
    o.output = dir / "data";
    o.colmap = "sh"; // found on PATH; never run, the input is refused first
    try {
        run_process(o);
        ADD_FAILURE() << "accepted a folder without photos";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no photos found"), std::string::npos) << e.what();
    }
    write_photos(dir / "photos", 3);
    o.input = dir / "photos";
    o.output = dir / "photos" / "data";
    EXPECT_THROW(run_process(o), UsageError);
    EXPECT_FALSE(fs::exists(dir / "photos" / "data"));
    o.output = dir / "data";
    o.matcher = "vocab_tree";
    EXPECT_THROW(run_process(o), UsageError);
}

// A stand-in for colmap that prints what COLMAP prints and, as mapper, writes a model that
// registers only p0, p1 and p2 of six photos.
constexpr const char* kFakeColmap = R"sh(#!/bin/sh
cmd=$1; shift
out=
while [ $# -gt 0 ]; do [ "$1" = --output_path ] && out=$2; shift; done
case $cmd in
feature_extractor) for i in 1 2 3 4 5 6; do echo "Processed file [$i/6]"; echo "  Features:        100"; done ;;
exhaustive_matcher) echo "Matching block [1/1, 1/1] in 0.1s" ;;
mapper)
  mkdir -p "$out/0"
  echo "# cameras" > "$out/0/cameras.txt"
  echo "1 PINHOLE 16 16 20 20 8 8" >> "$out/0/cameras.txt"
  : > "$out/0/images.txt"
  for i in 0 1 2; do echo "$((i+1)) 1 0 0 0 $i 0 0 1 p$i.png" >> "$out/0/images.txt"; echo "" >> "$out/0/images.txt"; done
  : > "$out/0/points3D.txt"
  echo "Initializing with image pair #1 and #2"; echo "Registering image #3 (3)" ;;
*) echo "unexpected $cmd"; exit 9 ;;
esac
)sh";

TEST(ProcessCommand, TooFewRegisteredImagesAreNamed) {
    TempDir dir("process_too_few");
    write_photos(dir / "photos", 6);
    fs::create_directories(dir / "bin");
    write_script(dir / "bin" / "colmap", kFakeColmap);
    ProcessOptions o;
    o.input = dir / "photos";
    o.output = dir / "data";
    o.colmap = (dir / "bin" / "colmap").string();
    o.min_registered = 0.6;
    try {
        run_process(o);
        ADD_FAILURE() << "accepted 3 of 6 registered images";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("registered 3 of 6 images"), std::string::npos) << m;
        EXPECT_NE(m.find("p3.png, p4.png, p5.png"), std::string::npos) << m;
        EXPECT_NE(m.find("mapper.log"), std::string::npos) << m;
    }
    // Every line the tool printed is in the stage's log; the input folder is untouched.
    const std::string log = read_file_text(dir / "data" / "logs" / "feature_extractor.log");
    EXPECT_NE(log.find("Processed file [6/6]"), std::string::npos) << log;
    EXPECT_EQ(list_photos(dir / "photos").size(), 6u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "photos"), fs::directory_iterator()), 6);
    EXPECT_FALSE(is_processed(dir / "data", dir / "photos"));
    // A second run into the same folder must be asked for.
    EXPECT_THROW(run_process(o), UsageError);
}

TEST(ProcessCommand, TrainTellsPhotosAndVideosFromDatasets) {
    TempDir dir("process_detect");
    write_photos(dir / "photos", 3);
    write_bytes(dir / "clip.MOV", "x");
    EXPECT_TRUE(needs_processing(dir / "photos"));
    EXPECT_TRUE(needs_processing(dir / "clip.MOV"));
    EXPECT_FALSE(needs_processing(dir / "missing"));
    fs::create_directories(dir / "empty");
    EXPECT_FALSE(needs_processing(dir / "empty"));
    // A COLMAP dataset is trained on as it is.
    write_photos(dir / "colmap" / "images", 3);
    fs::create_directories(dir / "colmap" / "sparse" / "0");
    write_bytes(dir / "colmap" / "sparse" / "0" / "cameras.txt", "");
    EXPECT_FALSE(needs_processing(dir / "colmap"));
    EXPECT_EQ(processed_folder_for(dir / "photos"), fs::absolute(dir / "photos_processed"));
    EXPECT_EQ(processed_folder_for((dir / "photos").string() + "/"), fs::absolute(dir / "photos_processed"));
    EXPECT_EQ(processed_folder_for(dir / "clip.MOV"), fs::absolute(dir / "clip_processed"));
}

} // namespace
} // namespace splatscape::test
