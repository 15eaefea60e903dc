// The Vulkan core: device listing, the memory sub-allocator, buffer limits, uploads and
// downloads, and timestamps.
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "renderer/gpu_sort_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"
#include "tests/renderer/vk_test_support.hpp"

namespace splatscape::test {
namespace {

constexpr VkBufferUsageFlags kStorage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

class VkCoreTest : public VulkanTest {};

TEST_F(VkCoreTest, DevicesAreListedWithTheChosenOneUsable) {
    const auto devices = vk::Context::list_devices();
    ASSERT_FALSE(devices.empty());
    const auto& chosen = devices.at(context().info().index);
    EXPECT_EQ(chosen.name, context().info().name);
    EXPECT_TRUE(chosen.unsuitable.empty()) << vk::describe(chosen);
    EXPECT_GE(context().subgroup_size(), 4u);
    EXPECT_LE(context().subgroup_size(), 128u);
}

TEST_F(VkCoreTest, SmallBuffersShareBlocksAndFreedRangesAreReused) {
    vk::Allocator& allocator = context().allocator();
    const VkDeviceSize reserved_before = allocator.bytes_reserved();
    {
        vk::Buffer a(context(), 1 << 20, kStorage, vk::MemoryUsage::GpuOnly, "a");
        vk::Buffer b(context(), 1 << 20, kStorage, vk::MemoryUsage::GpuOnly, "b");
        EXPECT_NE(a.address(), 0u);
        EXPECT_NE(a.address(), b.address());
        // Both fit in one 64 MiB block (at most one new block for this memory type).
        EXPECT_LE(allocator.bytes_reserved(), reserved_before + vk::Allocator::kBlockSize);
        EXPECT_GE(allocator.bytes_in_use(), VkDeviceSize(2) << 20);
    }
    // Everything freed: the empty block went back to the driver.
    EXPECT_EQ(allocator.bytes_reserved(), reserved_before);
    {
        vk::Buffer keep(context(), 1 << 20, kStorage, vk::MemoryUsage::GpuOnly, "keep");
        const VkDeviceSize reserved = allocator.bytes_reserved();
        for (int i = 0; i < 20; ++i) {
            // Freed and allocated again: the range is reused, no block is added.
            vk::Buffer scratch(context(), 3 << 20, kStorage, vk::MemoryUsage::GpuOnly, "scratch");
            EXPECT_EQ(allocator.bytes_reserved(), reserved);
        }
    }
}

TEST_F(VkCoreTest, LargeBuffersGetTheirOwnAllocation) {
    vk::Allocator& allocator = context().allocator();
    const VkDeviceSize before = allocator.bytes_reserved();
    {
        vk::Buffer big(context(), 100 << 20, kStorage, vk::MemoryUsage::GpuOnly, "big");
        EXPECT_GE(allocator.bytes_reserved(), before + (VkDeviceSize(100) << 20));
        EXPECT_LT(allocator.bytes_reserved(), before + (VkDeviceSize(100) << 20) + vk::Allocator::kBlockSize);
    }
    EXPECT_EQ(allocator.bytes_reserved(), before);
}

TEST_F(VkCoreTest, BufferBeyondTheDeviceLimitFailsWithTheFigures) {
    const VkDeviceSize too_big = context().max_buffer_size() + 4096;
    try {
        vk::Buffer b(context(), too_big, kStorage, vk::MemoryUsage::GpuOnly, "scene SH coefficients");
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("scene SH coefficients"), std::string::npos) << message;
        EXPECT_NE(message.find(vk::format_bytes(context().max_buffer_size())), std::string::npos) << message;
    }
}

TEST_F(VkCoreTest, UploadAndDownloadRoundTrip) {
    std::vector<uint32_t> data(300'000);
    std::iota(data.begin(), data.end(), 7u);
    vk::Buffer b(context(), data.size() * 4, kStorage, vk::MemoryUsage::GpuOnly, "round trip");
    vk::upload(context(), b, data.data(), data.size() * 4);
    std::vector<uint32_t> back(data.size() - 100);
    vk::download(context(), b, back.data(), back.size() * 4, 400);
    EXPECT_TRUE(std::equal(back.begin(), back.end(), data.begin() + 100));
}

TEST_F(VkCoreTest, TimestampsMeasureEachPass) {
    vk::TimestampQueries timer(context(), 8);
    if (!timer.enabled()) GTEST_SKIP() << "the device has no timestamps on this queue";
    vk::Buffer b(context(), 16 << 20, kStorage, vk::MemoryUsage::GpuOnly, "fill");
    context().submit_and_wait([&](VkCommandBuffer cmd) {
        timer.begin(cmd);
        vkCmdFillBuffer(cmd, b.handle(), 0, VK_WHOLE_SIZE, 1u);
        timer.mark(cmd, "fill");
        vk::memory_barrier(cmd);
        vkCmdFillBuffer(cmd, b.handle(), 0, VK_WHOLE_SIZE, 2u);
        timer.mark(cmd, "fill again");
    });
    const auto passes = timer.read();
    ASSERT_EQ(passes.size(), 2u);
    EXPECT_EQ(passes[0].pass, "fill");
    EXPECT_EQ(passes[1].pass, "fill again");
    for (auto& p : passes) {
        EXPECT_GE(p.ms, 0.0);
        EXPECT_LT(p.ms, 10'000.0);
    }
    EXPECT_GT(passes[0].ms + passes[1].ms, 0.0);
}

} // namespace
} // namespace splatscape::test
