// The GPU prefix scan and radix sort against std::partial_sum and std::stable_sort.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "renderer/gpu_sort_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "tests/renderer/vk_test_support.hpp"

namespace splatscape::test {
namespace {

using vk::Buffer;
using vk::MemoryUsage;

constexpr VkBufferUsageFlags kStorage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

class GpuSortTest : public VulkanTest {
protected:
    struct Sorted {
        std::vector<uint32_t> keys, values;
    };

    // Sorts (keys[i], i) by the low `bits` bits of the keys on the GPU; `capacity` >= keys.size()
    // sizes the buffers and dispatches, as the renderer does with a capacity above the live count.
    Sorted gpu_sort(const std::vector<uint32_t>& keys, uint32_t bits, size_t capacity = 0) {
        if (!m_sort) m_sort = std::make_unique<vk::RadixSort>(context());
        const size_t n = keys.size();
        capacity = std::max(capacity, std::max<size_t>(n, 1));
        std::vector<uint32_t> values(n);
        std::iota(values.begin(), values.end(), 0u);
        const VkDeviceSize bytes = capacity * sizeof(uint32_t);
        Buffer k(context(), bytes, kStorage, MemoryUsage::GpuOnly, "keys");
        Buffer v(context(), bytes, kStorage, MemoryUsage::GpuOnly, "values");
        Buffer k2(context(), bytes, kStorage, MemoryUsage::GpuOnly, "keys alt");
        Buffer v2(context(), bytes, kStorage, MemoryUsage::GpuOnly, "values alt");
        Buffer count(context(), 4, kStorage, MemoryUsage::GpuOnly, "count");
        Buffer scratch(context(), vk::RadixSort::scratch_bytes(capacity), kStorage, MemoryUsage::GpuOnly, "scratch");
        const uint32_t n32 = uint32_t(n);
        vk::upload(context(), k, keys.data(), n * 4);
        vk::upload(context(), v, values.data(), n * 4);
        vk::upload(context(), count, &n32, 4);
        bool in_place = true;
        context().submit_and_wait([&](VkCommandBuffer cmd) {
            vk::RadixSort::Args args{k.address(),     v.address(),       k2.address(),      v2.address(),
                                     count.address(), scratch.address(), uint32_t(capacity)};
            in_place = m_sort->record(cmd, args, bits);
        });
        Sorted out{std::vector<uint32_t>(n), std::vector<uint32_t>(n)};
        vk::download(context(), in_place ? k : k2, out.keys.data(), n * 4);
        vk::download(context(), in_place ? v : v2, out.values.data(), n * 4);
        return out;
    }

    static Sorted cpu_sort(const std::vector<uint32_t>& keys, uint32_t bits) {
        const uint32_t mask = bits >= 32 ? ~0u : (1u << bits) - 1;
        std::vector<uint32_t> order(keys.size());
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(),
                         [&](uint32_t a, uint32_t b) { return (keys[a] & mask) < (keys[b] & mask); });
        Sorted out;
        for (uint32_t i : order) out.keys.push_back(keys[i]), out.values.push_back(i);
        return out;
    }

    void expect_sorted_like_cpu(const std::vector<uint32_t>& keys, uint32_t bits, size_t capacity = 0) {
        const Sorted gpu = gpu_sort(keys, bits, capacity);
        const Sorted cpu = cpu_sort(keys, bits);
        ASSERT_EQ(gpu.keys.size(), cpu.keys.size());
        size_t key_mismatch = 0, value_mismatch = 0, first = keys.size();
        for (size_t i = 0; i < keys.size(); ++i) {
            if (gpu.keys[i] != cpu.keys[i]) ++key_mismatch, first = std::min(first, i);
            if (gpu.values[i] != cpu.values[i]) ++value_mismatch, first = std::min(first, i);
        }
        EXPECT_EQ(key_mismatch, 0u) << "n=" << keys.size() << " bits=" << bits << ", first difference at " << first;
        EXPECT_EQ(value_mismatch, 0u) << "n=" << keys.size() << " bits=" << bits
                                      << " (values are the input positions: a mismatch means the sort is not stable)";
    }

    static std::vector<uint32_t> random_keys(size_t n, uint32_t seed, uint32_t max = ~0u) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<uint32_t> dist(0, max);
        std::vector<uint32_t> keys(n);
        for (auto& k : keys) k = dist(rng);
        return keys;
    }

    std::unique_ptr<vk::RadixSort> m_sort;
};

TEST_F(GpuSortTest, RandomFullKeysAtAwkwardSizes) {
    // Sizes around the 4096-key block and the subgroup chunk, and not powers of two.
    for (size_t n : {1u, 2u, 7u, 255u, 256u, 257u, 4095u, 4096u, 4097u, 12289u, 100003u})
        expect_sorted_like_cpu(random_keys(n, uint32_t(n)), 32);
}

TEST_F(GpuSortTest, LargeRandomInput) {
    expect_sorted_like_cpu(random_keys(1'000'003, 7), 32);
}

TEST_F(GpuSortTest, FewDistinctKeysStayStable) {
    // Many equal keys: values must keep their input order within each key.
    expect_sorted_like_cpu(random_keys(50'001, 3, 5), 32);
    expect_sorted_like_cpu(random_keys(50'001, 4, 300), 13);
}

TEST_F(GpuSortTest, AllEqualKeys) {
    expect_sorted_like_cpu(std::vector<uint32_t>(70'001, 0x12345678u), 32);
    expect_sorted_like_cpu(std::vector<uint32_t>(4096, 0u), 8);
}

TEST_F(GpuSortTest, PartialKeyBitsIgnoreHigherBits) {
    // 13 bits (two passes, the second with a 5-bit digit) as for 8160 tiles at 1080p; 9 bits leaves
    // the result in the alternate buffers (odd pass count is fine there too).
    expect_sorted_like_cpu(random_keys(30'011, 11), 13);
    expect_sorted_like_cpu(random_keys(30'011, 12), 9);
    expect_sorted_like_cpu(random_keys(30'011, 13), 1);
}

TEST_F(GpuSortTest, AlreadySortedAndReversed) {
    std::vector<uint32_t> up(20'000), down(20'000);
    for (uint32_t i = 0; i < 20'000; ++i) up[i] = i * 3, down[i] = 1'000'000 - i * 7;
    expect_sorted_like_cpu(up, 32);
    expect_sorted_like_cpu(down, 32);
}

TEST_F(GpuSortTest, CountBelowCapacity) {
    // Buffers and dispatches sized for 3 blocks more than the live count.
    expect_sorted_like_cpu(random_keys(5'000, 21), 32, 5'000 + 3 * 4096);
    expect_sorted_like_cpu({}, 32, 1000);
}

TEST_F(GpuSortTest, ExclusiveScanMatchesPartialSum) {
    vk::PrefixScan scan(context());
    for (size_t n : {1u, 4095u, 4096u, 4097u, 300'007u}) {
        std::vector<uint32_t> in = random_keys(n, uint32_t(n) + 1, 100);
        const size_t capacity = n + 5000;
        Buffer src(context(), capacity * 4, kStorage, MemoryUsage::GpuOnly, "scan in");
        Buffer dst(context(), capacity * 4, kStorage, MemoryUsage::GpuOnly, "scan out");
        Buffer counts(context(), 8, kStorage, MemoryUsage::GpuOnly, "count and total");
        Buffer scratch(context(), vk::PrefixScan::scratch_bytes(capacity), kStorage, MemoryUsage::GpuOnly, "scratch");
        const uint32_t header[2] = {uint32_t(n), 0xdeadbeefu};
        vk::upload(context(), src, in.data(), n * 4);
        vk::upload(context(), counts, header, 8);
        context().submit_and_wait([&](VkCommandBuffer cmd) {
            vk::PrefixScan::Args args;
            args.source = src.address();
            args.destination = dst.address();
            args.count = counts.address();
            args.total = counts.address() + 4;
            args.scratch = scratch.address();
            args.max_count = uint32_t(capacity);
            scan.record(cmd, args);
        });
        std::vector<uint32_t> out(n);
        uint32_t total = 0;
        vk::download(context(), dst, out.data(), n * 4);
        vk::download(context(), counts, &total, 4, 4);
        uint32_t running = 0;
        size_t wrong = 0;
        for (size_t i = 0; i < n; ++i) {
            if (out[i] != running) ++wrong;
            running += in[i];
        }
        EXPECT_EQ(wrong, 0u) << "n=" << n;
        EXPECT_EQ(total, running) << "n=" << n;
    }
}

} // namespace
} // namespace splatscape::test
