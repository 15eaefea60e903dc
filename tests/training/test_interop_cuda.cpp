// Sharing GPU memory between the Vulkan renderer and CUDA training (labels vulkan and gpu): the
// Vulkan export side runs wherever the driver offers VK_KHR_external_memory_fd (lavapipe does);
// CUDA writing into exported memory that Vulkan then reads runs on a GPU machine with both.
#include <unistd.h>

#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "renderer/gpu_scene_vk.hpp"
#include "renderer/interop_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/cuda/interop_cuda.hpp"

namespace splatscape::test {
namespace {

TEST(InteropVulkan, ExportsDeviceAddressableBuffers) {
    vk::Context context;
    if (!vk::can_export_memory(context))
        GTEST_SKIP() << context.info().name << " cannot export memory (no VK_KHR_external_memory_fd)";
    std::vector<uint32_t> data(100000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint32_t(i * 2654435761u);
    vk::ExportableBuffer buffer(context, data.size() * 4, "test buffer");
    EXPECT_GE(buffer.allocation_size(), data.size() * 4);
    EXPECT_NE(buffer.address(), 0u);
    const int fd = buffer.export_fd();
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    vk::write_buffer(context, buffer, data.data(), data.size() * 4);
    std::vector<uint32_t> back(data.size());
    vk::read_buffer(context, buffer, back.data(), back.size() * 4);
    EXPECT_EQ(back, data);
    // The device is found again by its UUID.
    EXPECT_EQ(vk::find_device(vk::device_uuid(context)), int(context.info().index))
        << vk::to_string(vk::device_uuid(context));
    EXPECT_EQ(context.validation_errors(), 0u);
}

TEST(InteropCuda, VulkanReadsWhatCudaWrites) {
    const auto cuda_devices = cuda::list_devices();
    if (cuda_devices.empty()) GTEST_SKIP() << "no CUDA device on this machine; skipping";
    const auto vulkan_devices = vk::list_device_uuids();
    if (vulkan_devices.empty()) GTEST_SKIP() << "no Vulkan device on this machine; skipping";
    vk::DeviceUuid uuid;
    const auto cu = cuda::device_uuid(0);
    std::memcpy(uuid.data(), cu.data(), 16);
    const int index = vk::find_device(uuid);
    ASSERT_GE(index, 0) << "no Vulkan device has the UUID of " << cuda::describe(cuda_devices[0]) << " ("
                        << vk::to_string(uuid) << ")";
    vk::ContextOptions options;
    options.gpu_index = index;
    vk::Context context(options);
    ASSERT_TRUE(vk::can_export_memory(context)) << context.info().name;

    // A model on the CUDA backend.
    const size_t n = 3001;
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> means(n * 3), opacities(n), scales(n * 3), rotations(n * 4), sh(n * 12);
    for (auto* v : {&means, &opacities, &scales, &rotations, &sh})
        for (float& x : *v) x = g(rng);
    CudaBackend backend(0);
    auto tensor = [&](const std::vector<float>& v, int cols) {
        Tensor t = backend.zeros(v.size() / size_t(cols), cols);
        backend.upload(t, v.data());
        return t;
    };
    const Tensor tm = tensor(means, 3), to = tensor(opacities, 1), ts = tensor(scales, 3), tr = tensor(rotations, 4),
                 tsh = tensor(sh, 12);

    // The renderer's buffers, exported and imported; the renderer's scene layout with SH degree 3.
    const int out_stride = 16;
    vk::ExportableBuffer buffers[4] = {
        vk::ExportableBuffer(context, n * 16, "means"), vk::ExportableBuffer(context, n * 16, "scales"),
        vk::ExportableBuffer(context, n * 16, "rotations"), vk::ExportableBuffer(context, n * out_stride * 12, "sh")};
    cuda::ImportedMemory imported[4];
    for (int b = 0; b < 4; ++b)
        imported[b] = cuda::ImportedMemory(buffers[b].export_fd(), buffers[b].allocation_size(), 0);
    cuda::RendererScene out;
    out.means_opacity = static_cast<float*>(imported[0].data());
    out.log_scales = static_cast<float*>(imported[1].data());
    out.rotations = static_cast<float*>(imported[2].data());
    out.sh = static_cast<float*>(imported[3].data());
    out.out_sh_stride = out_stride;
    cuda::write_renderer_scene(n, tm, to, ts, tr, tsh, out);
    cuda::finish_writes();

    std::vector<float> got[4] = {std::vector<float>(n * 4), std::vector<float>(n * 4), std::vector<float>(n * 4),
                                 std::vector<float>(n * out_stride * 3)};
    for (int b = 0; b < 4; ++b) vk::read_buffer(context, buffers[b], got[b].data(), got[b].size() * 4);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            ASSERT_EQ(got[0][4 * i + a], means[3 * i + a]) << i;
            ASSERT_EQ(got[1][4 * i + a], scales[3 * i + a]) << i;
        }
        ASSERT_EQ(got[0][4 * i + 3], opacities[i]) << i;
        ASSERT_EQ(got[1][4 * i + 3], 0.0f) << i;
        for (int a = 0; a < 4; ++a) ASSERT_EQ(got[2][4 * i + a], rotations[4 * i + a]) << i;
        for (int k = 0; k < out_stride * 3; ++k)
            ASSERT_EQ(got[3][i * out_stride * 3 + k], k < 12 ? sh[i * 12 + k] : 0.0f) << i << " " << k;
    }
    // The renderer reads a scene from those addresses.
    vk::GpuScene::External e;
    e.count = uint32_t(n);
    e.sh_degree = 3;
    e.means_opacity = buffers[0].address();
    e.log_scales = buffers[1].address();
    e.rotations = buffers[2].address();
    e.sh = buffers[3].address();
    const vk::GpuScene scene(e);
    EXPECT_EQ(scene.means_opacity(), buffers[0].address());
    EXPECT_EQ(scene.sh(), buffers[3].address());
    EXPECT_EQ(context.validation_errors(), 0u);
}

} // namespace
} // namespace splatscape::test
