// The zero-copy live view (app/session/live_view*.hpp). The hand-over protocol runs everywhere
// (label unit); the Vulkan slots on lavapipe (vulkan); training on a CUDA device writing into the
// window's memory on a GPU machine (gpu), where the last published model must equal the trained one.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app/session/live_view.hpp"
#include "app/session/live_view_cuda.hpp"
#include "app/session/live_view_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/checkpoint.hpp"
#include "training/cuda/device_cuda.hpp"

namespace splatscape::test {
namespace {

bool fd_open(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

LiveSlotMemory fake_memory(size_t capacity) {
    LiveSlotMemory m;
    for (int& fd : m.fds) fd = open("/dev/null", O_RDONLY);
    m.sizes = {capacity * 16, capacity * 16, capacity * 16, capacity * 192};
    m.capacity = capacity;
    return m;
}

TEST(LiveViewExchange, HandsSlotsBackAndForth) {
    LiveViewExchange ex;
    EXPECT_FALSE(ex.claim(10)) << "no memory offered yet";
    const LiveSlotMemory a = fake_memory(100), b = fake_memory(100);
    ex.offer(0, a);
    ex.offer(1, b);
    EXPECT_FALSE(ex.take_ready());

    // The first claim of a generation carries the fds; later ones do not.
    auto c0 = ex.claim(50);
    ASSERT_TRUE(c0);
    EXPECT_EQ(c0->memory.fds, a.fds);
    ex.publish(c0->slot, 50, 1);
    auto c1 = ex.claim(60);
    ASSERT_TRUE(c1);
    EXPECT_NE(c1->slot, c0->slot);
    ex.publish(c1->slot, 60, 2); // supersedes the publication nobody took
    auto r = ex.take_ready();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->slot, c1->slot);
    EXPECT_EQ(r->count, 60u);
    EXPECT_EQ(r->iteration, 2);
    EXPECT_FALSE(ex.take_ready());

    // The shown slot is not handed to the trainer until released.
    auto c2 = ex.claim(10);
    ASSERT_TRUE(c2);
    EXPECT_EQ(c2->slot, c0->slot);
    EXPECT_EQ(c2->generation, c0->generation);
    EXPECT_EQ(c2->memory.fds[0], -1);
    EXPECT_FALSE(ex.claim(10)) << "one slot claimed, the other shown";
    ex.publish(c2->slot, 10, 3);
    r = ex.take_ready();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->slot, c0->slot);
    ex.release(c1->slot);
    EXPECT_TRUE(ex.is_free(c1->slot));
    EXPECT_FALSE(ex.is_free(c0->slot));

    // Outgrowing the slots asks for room; offering larger memory answers it.
    EXPECT_FALSE(ex.claim(500));
    EXPECT_EQ(ex.wanted_capacity(), 500u);
    EXPECT_THROW(ex.offer(c0->slot, fake_memory(1000)), Error) << "the shown slot cannot be replaced";
    const LiveSlotMemory big = fake_memory(1000);
    ex.offer(c1->slot, big);
    EXPECT_EQ(ex.wanted_capacity(), 0u);
    auto c3 = ex.claim(500);
    ASSERT_TRUE(c3);
    EXPECT_EQ(c3->slot, c1->slot);
    EXPECT_NE(c3->generation, c1->generation);
    EXPECT_EQ(c3->memory.fds, big.fds);
    ex.abandon(c3->slot);
    EXPECT_TRUE(ex.is_free(c3->slot));
    // The fds handed out belong to the claimer: close them as an importer would.
    for (const auto* m : {&c0->memory, &c1->memory, &c3->memory})
        for (int fd : m->fds)
            if (fd >= 0) close(fd);

    // Memory replaced or left behind before anyone claimed it is closed by the exchange.
    const LiveSlotMemory first = fake_memory(10), second = fake_memory(20);
    {
        LiveViewExchange other;
        other.offer(0, first);
        other.offer(0, second);
        for (int fd : first.fds) EXPECT_FALSE(fd_open(fd));
        for (int fd : second.fds) EXPECT_TRUE(fd_open(fd));
    }
    for (int fd : second.fds) EXPECT_FALSE(fd_open(fd));
}

TEST(LiveViewHost, AllocatesGrowsAndShowsSlots) {
    vk::Context context;
    if (!vk::can_export_memory(context))
        GTEST_SKIP() << context.info().name << " cannot export memory (no VK_KHR_external_memory_fd)";
    auto ex = std::make_shared<LiveViewExchange>();
    LiveViewHost host(context, ex, 1000, 3);
    EXPECT_EQ(host.capacity(), 1000u);
    int shows = 0;
    vk::GpuScene::External shown;
    auto show = [&](const vk::GpuScene::External& e) {
        ++shows;
        shown = e;
    };
    EXPECT_EQ(host.update(show), -1);
    // A trainer stand-in: claims, writes through Vulkan, publishes.
    auto c = ex->claim(700);
    ASSERT_TRUE(c);
    for (int fd : c->memory.fds) close(fd);
    EXPECT_EQ(c->memory.sh_stride, 16);
    std::vector<float> rows(700 * 4, 1.5f);
    vk::write_buffer(context, host.buffer(c->slot, 0), rows.data(), rows.size() * 4);
    ex->publish(c->slot, 700, 42);
    EXPECT_EQ(host.update(show), 42);
    EXPECT_EQ(shows, 1);
    EXPECT_EQ(shown.count, 700u);
    EXPECT_EQ(shown.sh_degree, 3);
    EXPECT_EQ(shown.means_opacity, host.buffer(c->slot, 0).address());
    // A model of 5000 Gaussians: the free slot grows, the shown one stays until released.
    EXPECT_FALSE(ex->claim(5000));
    EXPECT_EQ(host.update(show), -1);
    EXPECT_GE(host.capacity(), 5000u);
    auto big = ex->claim(5000);
    ASSERT_TRUE(big);
    EXPECT_NE(big->slot, c->slot);
    for (int fd : big->memory.fds) close(fd);
    ex->publish(big->slot, 5000, 43);
    EXPECT_EQ(host.update(show), 43);
    EXPECT_EQ(shown.count, 5000u);
    EXPECT_TRUE(ex->is_free(c->slot)) << "the slot shown before is given back";
    EXPECT_EQ(context.validation_errors(), 0u);
}

// Training on the GPU with the live view attached and no window: the trainer publishes after every
// iteration, and the last publication holds exactly the model of the final checkpoint.
TEST(LiveViewCuda, PublishesTheTrainedModel) {
#if !defined(SPLATSCAPE_HAVE_CUDA)
    GTEST_SKIP() << "this build has no CUDA training backend (SPLATSCAPE_CUDA=OFF); skipping";
#else
    const auto cuda_devices = cuda::list_devices();
    if (cuda_devices.empty()) GTEST_SKIP() << "no CUDA device on this machine; skipping";
    const int index = vk::find_device([&] {
        vk::DeviceUuid u;
        std::memcpy(u.data(), cuda_devices[0].uuid.data(), 16);
        return u;
    }());
    ASSERT_GE(index, 0) << "no Vulkan device is " << cuda::describe(cuda_devices[0]);
    vk::ContextOptions options;
    options.gpu_index = index;
    vk::Context context(options);
    std::string why;
    ASSERT_TRUE(live_view_shares_memory(context, "cuda", &why)) << why;

    TempDir dir("live_view_cuda");
    write_gaussian_dataset(dir / "data", ground_truth_gaussians(12, 5), 16, 2, 48);
    auto ex = std::make_shared<LiveViewExchange>();
    LiveViewHost host(context, ex, 64, 3); // small: the model grows past it and the slots are reallocated
    TrainSetup s;
    s.data = dir / "data";
    s.run_dir = dir / "run";
    s.model_config = {{"iterations", 120},
                      {"densify", {{"densify_from", 20}, {"densify_until", 100}, {"densify_every", 20}}}};
    s.options.device = "cuda";
    s.options.evaluate = false;
    s.options.probe_every = 0;
    // The CUDA sink, wrapped to see what it did (the trainer only logs a sink's failure).
    struct Recorder final : LiveModelSink {
        std::shared_ptr<LiveModelSink> inner;
        std::string error;
        int last = -1;
        void publish(Backend& b, GaussianModel& m, int it) override {
            try {
                inner->publish(b, m, it);
                last = it;
            } catch (const std::exception& e) {
                error = e.what();
                throw;
            }
        }
    };
    auto recorder = std::make_shared<Recorder>();
    recorder->inner = make_cuda_live_sink(ex, 0.0);
    ASSERT_TRUE(recorder->inner);
    s.live_view = recorder;
    // The window's part runs beside the trainer: take publications, give slots back, grow them.
    std::atomic<bool> done{false};
    int last_shown = -1, shows = 0;
    vk::GpuScene::External shown_scene;
    auto show = [&](const vk::GpuScene::External& e) {
        context.wait_idle();
        shown_scene = e;
    };
    std::thread gui([&] {
        while (!done.load()) {
            const int it = host.update(show);
            if (it >= 0) {
                last_shown = it;
                ++shows;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    const TrainOutcome r = train_now(s);
    done = true;
    gui.join();
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_TRUE(recorder->error.empty()) << recorder->error;
    EXPECT_EQ(recorder->last, 120);
    EXPECT_GT(shows, 3);
    // The newest publication, if the window thread did not take it yet.
    if (const int it = host.update(show); it >= 0) last_shown = it;
    EXPECT_EQ(last_shown, 120);
    int slot = -1;
    for (int k = 0; k < LiveViewExchange::kSlots; ++k)
        if (host.buffer(k, 0).address() == shown_scene.means_opacity) slot = k;
    ASSERT_GE(slot, 0);

    const CheckpointData ckpt = read_checkpoint(s.run_dir / "checkpoint.bin");
    const HostTensor* means = ckpt.find("means");
    const HostTensor* sh = ckpt.find("sh");
    ASSERT_TRUE(means && sh);
    const size_t n = means->rows;
    EXPECT_GT(n, 64u) << "densification should have grown the model past the first slots";
    ASSERT_EQ(shown_scene.count, n);
    std::vector<float> got(n * 4), want(n * 3);
    vk::read_buffer(context, host.buffer(slot, 0), got.data(), got.size() * 4);
    std::memcpy(want.data(), means->data.data(), want.size() * 4);
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) ASSERT_EQ(got[4 * i + a], want[3 * i + a]) << i;
    std::vector<float> got_sh(n * 48), want_sh(n * 48);
    vk::read_buffer(context, host.buffer(slot, 3), got_sh.data(), got_sh.size() * 4);
    std::memcpy(want_sh.data(), sh->data.data(), want_sh.size() * 4);
    EXPECT_EQ(got_sh, want_sh);
#endif
}

} // namespace
} // namespace splatscape::test
