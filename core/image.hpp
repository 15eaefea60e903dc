#pragma once
// Float images: interleaved channels, rows top to bottom, values nominally in [0, 1] (sRGB-encoded,
// as stored in the file; training works on these values as 3DGS does).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

namespace splatscape {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<float> data;  // [height, width, channels]

    Image() = default;
    Image(int w, int h, int c, float fill = 0.0f) : width(w), height(h), channels(c), data(size_t(w) * h * c, fill) {}

    bool empty() const { return data.empty(); }
    size_t pixel_count() const { return size_t(width) * size_t(height); }
    float& at(int x, int y, int c) { return data[(size_t(y) * width + x) * channels + c]; }
    float at(int x, int y, int c) const { return data[(size_t(y) * width + x) * channels + c]; }
    float* pixel(int x, int y) { return &data[(size_t(y) * width + x) * channels]; }
    const float* pixel(int x, int y) const { return &data[(size_t(y) * width + x) * channels]; }
};

struct ImageInfo {
    int width = 0;
    int height = 0;
    int channels = 0;
};

// Reads only the header (PNG, JPEG, and whatever stb_image knows). Throws Error naming the file.
ImageInfo read_image_info(const std::filesystem::path& path);
// Loads PNG/JPEG (8 or 16 bit) to floats in [0,1]. `channels` 0 keeps the file's count, else
// converts (1, 3 or 4). Throws Error naming the file when missing or undecodable.
Image load_image(const std::filesystem::path& path, int channels = 0);
// Decodes an image held in memory (same rules as load_image); `name` is used in errors.
Image decode_image(const uint8_t* bytes, size_t size, const std::string& name, int channels = 0);
// Writes PNG (8-bit) or JPEG (quality 95) by extension, atomically. 1, 3 or 4 channels.
void save_image(const std::filesystem::path& path, const Image& image);
// Encodes to PNG bytes in memory.
std::vector<uint8_t> encode_png(const Image& image);

// Box-filter resize ("area" interpolation): each output pixel averages the input area it covers,
// with fractional weights at the edges. Exact for integer factors.
Image resize_area(const Image& image, int width, int height);
// Composites an RGBA image over a constant background: rgb * a + bg * (1 - a). RGB input is returned as is.
Image composite_over(const Image& rgba, glm::vec3 background);
// Keeps `count` channels (dropping alpha, say).
Image take_channels(const Image& image, int count);
// Rounds to 8-bit levels and back, as an image saved to PNG would be.
Image quantize_8bit(const Image& image);

}  // namespace splatscape
