#include "tests/renderer/vk_test_support.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {

void prepare_vulkan_environment() {
    const char* dir = std::getenv("XDG_RUNTIME_DIR");
    if (dir && *dir && std::filesystem::is_directory(dir)) return;
    const fs::path runtime = test_tmp_root() / "xdg-runtime";
    std::filesystem::create_directories(runtime);
    std::filesystem::permissions(runtime, std::filesystem::perms::owner_all);
    setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
}

bool validation_wanted() {
    const char* v = std::getenv("SPLATSCAPE_VK_VALIDATION");
    return !(v && std::strcmp(v, "0") == 0);
}

namespace {

// Shared between tests, and destroyed when the tests end rather than during static destruction:
// by then a GPU driver may have run its own exit handlers, and destroying a device crashes.
std::unique_ptr<vk::Context> g_context;
std::unique_ptr<OffscreenRenderer> g_offscreen;

class VulkanEnvironment : public ::testing::Environment {
public:
    void TearDown() override {
        g_offscreen.reset();
        g_context.reset();
    }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new VulkanEnvironment);

} // namespace

vk::Context* shared_context(std::string* why) {
    auto& context = g_context;
    static std::string failure;
    static bool tried = false;
    if (!tried) {
        tried = true;
        prepare_vulkan_environment();
        try {
            vk::ContextOptions options;
            options.validation = validation_wanted() ? 1 : 0;
            if (const char* gpu = std::getenv("SPLATSCAPE_GPU"); gpu && *gpu) options.gpu_index = std::atoi(gpu);
            context = std::make_unique<vk::Context>(options);
        } catch (const Error& e) {
            failure = e.what();
        }
    }
    if (why) *why = failure;
    return context.get();
}

void VulkanTest::SetUp() {
    std::string why;
    m_context = shared_context(&why);
    if (!m_context) GTEST_SKIP() << "no usable Vulkan device: " << why;
    if (validation_wanted()) {
        ASSERT_TRUE(m_context->validation_enabled())
            << "the Khronos validation layer is not installed (Debian: vulkan-validationlayers); "
               "set SPLATSCAPE_VK_VALIDATION=0 to run without it";
    }
    m_errors_before = m_context->validation_errors();
}

void VulkanTest::TearDown() {
    if (m_context) {
        EXPECT_EQ(m_context->validation_errors(), m_errors_before) << "Vulkan validation errors (see log)";
    }
}

OffscreenRenderer* shared_offscreen(std::string* why) {
    auto& renderer = g_offscreen;
    static std::string failure;
    static bool tried = false;
    if (!tried) {
        tried = true;
        prepare_vulkan_environment();
        try {
            OffscreenOptions options;
            options.validation = validation_wanted() ? 1 : 0;
            if (const char* gpu = std::getenv("SPLATSCAPE_GPU"); gpu && *gpu) options.gpu_index = std::atoi(gpu);
            renderer = std::make_unique<OffscreenRenderer>(options);
        } catch (const Error& e) {
            failure = e.what();
        }
    }
    if (why) *why = failure;
    return renderer.get();
}

void OffscreenTest::SetUp() {
    std::string why;
    m_renderer = shared_offscreen(&why);
    if (!m_renderer) GTEST_SKIP() << "no usable Vulkan device: " << why;
    if (validation_wanted()) {
        ASSERT_TRUE(m_renderer->validation_enabled())
            << "the Khronos validation layer is not installed (Debian: vulkan-validationlayers); "
               "set SPLATSCAPE_VK_VALIDATION=0 to run without it";
    }
    m_errors_before = m_renderer->validation_errors();
}

void OffscreenTest::TearDown() {
    if (m_renderer) {
        EXPECT_EQ(m_renderer->validation_errors(), m_errors_before) << "Vulkan validation errors (see log)";
    }
}

} // namespace splatscape::test
