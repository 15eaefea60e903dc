#include "renderer/gpu_sort_vk.hpp"

#include <algorithm>

#include "renderer/vk/context_vk.hpp"
#include "shaders/shared/sort_types.h"

namespace splatscape::vk {
namespace {

uint32_t div_up(uint64_t a, uint64_t b) {
    return uint32_t((a + b - 1) / b);
}

uint64_t histogram_entries(uint64_t max_count) {
    return uint64_t(gpu::kRadix) * div_up(max_count, gpu::kSortBlock);
}

} // namespace

PrefixScan::PrefixScan(Context& context)
    : m_reduce(context, "scan_reduce", sizeof(gpu::ScanPush)),
      m_block_sums(context, "scan_block_sums", sizeof(gpu::ScanPush)),
      m_downsweep(context, "scan_downsweep", sizeof(gpu::ScanPush)) {}

VkDeviceSize PrefixScan::scratch_bytes(uint64_t max_count) {
    return VkDeviceSize(std::max<uint32_t>(div_up(max_count, gpu::kScanBlock), 1)) * sizeof(uint32_t);
}

void PrefixScan::record(VkCommandBuffer cmd, const Args& args) const {
    gpu::ScanPush push{};
    push.source = args.source;
    push.destination = args.destination;
    push.block_sums = args.scratch;
    push.count = args.count;
    push.total = args.total;
    push.max_count = args.max_count;
    push.count_div = args.count_div;
    push.count_mul = args.count_mul;
    uint64_t capacity = args.max_count;
    if (args.count_div > 0) capacity = uint64_t(div_up(capacity, args.count_div)) * args.count_mul;
    const uint32_t blocks = std::max<uint32_t>(div_up(capacity, gpu::kScanBlock), 1);
    m_reduce.run(cmd, push, blocks);
    memory_barrier(cmd);
    m_block_sums.run(cmd, push, 1);
    memory_barrier(cmd);
    m_downsweep.run(cmd, push, blocks);
    memory_barrier(cmd);
}

RadixSort::RadixSort(Context& context)
    : m_scan(context), m_histogram(context, "sort_histogram", sizeof(gpu::SortPush)),
      m_scatter(context, "sort_scatter", sizeof(gpu::SortPush), {context.subgroup_size()}) {}

VkDeviceSize RadixSort::scratch_bytes(uint64_t max_count) {
    const uint64_t entries = histogram_entries(std::max<uint64_t>(max_count, 1));
    return entries * sizeof(uint32_t) + PrefixScan::scratch_bytes(entries);
}

bool RadixSort::record(VkCommandBuffer cmd, const Args& args, uint32_t key_bits) const {
    const uint64_t entries = histogram_entries(std::max<uint32_t>(args.max_count, 1));
    const uint32_t blocks = std::max<uint32_t>(div_up(args.max_count, gpu::kSortBlock), 1);
    const VkDeviceAddress histogram = args.scratch;
    const VkDeviceAddress scan_scratch = args.scratch + entries * sizeof(uint32_t);
    VkDeviceAddress keys[2] = {args.keys, args.keys_alt};
    VkDeviceAddress values[2] = {args.values, args.values_alt};
    const uint32_t pass_count = passes(key_bits);
    for (uint32_t p = 0; p < pass_count; ++p) {
        const uint32_t in = p & 1, out = in ^ 1;
        gpu::SortPush push{};
        push.keys_in = keys[in];
        push.values_in = values[in];
        push.keys_out = keys[out];
        push.values_out = values[out];
        push.histogram = histogram;
        push.count = args.count;
        push.max_count = args.max_count;
        push.shift = p * gpu::kRadixBits;
        const uint32_t bits = std::min(gpu::kRadixBits, key_bits - p * gpu::kRadixBits);
        push.digit_mask = (1u << bits) - 1;
        m_histogram.run(cmd, push, blocks);
        memory_barrier(cmd);
        PrefixScan::Args scan;
        scan.source = histogram;
        scan.destination = histogram;
        scan.count = args.count;
        scan.scratch = scan_scratch;
        scan.max_count = args.max_count;
        scan.count_div = gpu::kSortBlock;
        scan.count_mul = gpu::kRadix;
        m_scan.record(cmd, scan);
        m_scatter.run(cmd, push, blocks);
        memory_barrier(cmd);
    }
    return pass_count % 2 == 0;
}

} // namespace splatscape::vk
