#pragma once
// GPU exclusive prefix sum and least-significant-digit radix sort of (uint32 key, uint32 value)
// pairs, both reduce-then-scan (no inter-workgroup spinning, so they also run on lavapipe). Element
// counts are read on the GPU from a buffer, so a pass that produced the count need not round-trip
// to the host; dispatches are sized for the capacity and surplus workgroups return at once.
#include <cstdint>

#include <vulkan/vulkan.h>

#include "renderer/vk/pipeline_vk.hpp"

namespace splatscape::vk {

class Context;

class PrefixScan {
public:
    explicit PrefixScan(Context& context);

    struct Args {
        VkDeviceAddress source = 0;      // uint [n]
        VkDeviceAddress destination = 0; // uint [n]; may equal source
        VkDeviceAddress count = 0;       // uint n (clamped to max_count)
        VkDeviceAddress total = 0;       // uint, receives the sum; 0: not written
        VkDeviceAddress scratch = 0;     // scratch_bytes(max_count)
        uint32_t max_count = 0;
        uint32_t count_div = 0; // when > 0 the scan covers ceil(n / count_div) * count_mul values
        uint32_t count_mul = 1;
    };
    static VkDeviceSize scratch_bytes(uint64_t max_count);
    // Records the scan, with a memory barrier after each of its dispatches.
    void record(VkCommandBuffer cmd, const Args& args) const;

private:
    ComputePipeline m_reduce;
    ComputePipeline m_block_sums;
    ComputePipeline m_downsweep;
};

class RadixSort {
public:
    explicit RadixSort(Context& context);

    struct Args {
        VkDeviceAddress keys = 0;       // uint [max_count], sorted in place (see record)
        VkDeviceAddress values = 0;     // uint [max_count]
        VkDeviceAddress keys_alt = 0;   // uint [max_count], ping-pong partners
        VkDeviceAddress values_alt = 0; // uint [max_count]
        VkDeviceAddress count = 0;      // uint n (clamped to max_count)
        VkDeviceAddress scratch = 0;    // scratch_bytes(max_count)
        uint32_t max_count = 0;
    };
    static VkDeviceSize scratch_bytes(uint64_t max_count);
    // 8-bit digits: a 32-bit key takes 4 passes.
    static uint32_t passes(uint32_t key_bits) { return (key_bits + 7) / 8; }
    // Sorts the pairs by the low `key_bits` bits of the keys, stably. Returns true when the result
    // is in keys/values, false when it is in keys_alt/values_alt (an odd number of passes).
    bool record(VkCommandBuffer cmd, const Args& args, uint32_t key_bits) const;

private:
    PrefixScan m_scan;
    ComputePipeline m_histogram;
    ComputePipeline m_scatter;
};

} // namespace splatscape::vk
