#pragma once
// Vulkan tests run on whatever device the loader offers (lavapipe in CI) with the Khronos
// validation layer on, and fail on any validation error. SPLATSCAPE_VK_VALIDATION=0 turns the layer
// off (the GPU machine has none installed); without any Vulkan device the tests are skipped.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/gaussian_cloud.hpp"
#include "renderer/offscreen_renderer.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::test {

// The loader warns on stderr when XDG_RUNTIME_DIR is unset; give it a folder of its own.
void prepare_vulkan_environment();
// Whether the validation layer should be on (yes unless SPLATSCAPE_VK_VALIDATION=0).
bool validation_wanted();
// One context for the whole test program (creating one on lavapipe with validation takes a while);
// null when no device exists, with the reason in `why`.
vk::Context* shared_context(std::string* why = nullptr);

// Fixture: skips without a device; fails the test when validation reported errors during it.
class VulkanTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    vk::Context& context() { return *m_context; }

private:
    vk::Context* m_context = nullptr;
    uint32_t m_errors_before = 0;
};

// One headless renderer for the whole test program, validation on as above; null without a device.
OffscreenRenderer* shared_offscreen(std::string* why = nullptr);

// Fixture for tests of the headless renderer: skips without a device, fails on validation errors.
class OffscreenTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    OffscreenRenderer& renderer() { return *m_renderer; }
    RenderOutput render(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings = {}) {
        m_renderer->set_scene(cloud);
        return m_renderer->render(camera, settings);
    }

private:
    OffscreenRenderer* m_renderer = nullptr;
    uint32_t m_errors_before = 0;
};

} // namespace splatscape::test
