#include "core/image.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape {
namespace {

constexpr int kMaxImageSide = 1 << 15;

void check_dimensions(int w, int h, const std::string& name) {
    if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
        throw Error(name, "image size", cat("unsupported dimensions ", w, "x", h));
}

}  // namespace

ImageInfo read_image_info(const std::filesystem::path& path) {
    ImageInfo info;
    if (!std::filesystem::exists(path)) throw Error(path.string(), "", "image not found");
    if (!stbi_info(path.c_str(), &info.width, &info.height, &info.channels))
        throw Error(path.string(), "", cat("not a readable image: ", stbi_failure_reason()));
    check_dimensions(info.width, info.height, path.string());
    return info;
}

Image decode_image(const uint8_t* bytes, size_t size, const std::string& name, int channels) {
    if (size > size_t(INT32_MAX)) throw Error(name, "", "image file too large");
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(bytes, int(size), &w, &h, &n))
        throw Error(name, "", cat("not a readable image: ", stbi_failure_reason()));
    check_dimensions(w, h, name);
    int want = channels == 0 ? n : channels;
    if (want < 1 || want > 4) throw Error(name, "channels", cat("cannot convert to ", want, " channels"));
    Image img(w, h, want);
    if (stbi_is_16_bit_from_memory(bytes, int(size))) {
        stbi_us* px = stbi_load_16_from_memory(bytes, int(size), &w, &h, &n, want);
        if (!px) throw Error(name, "", cat("cannot decode image: ", stbi_failure_reason()));
        for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = px[i] / 65535.0f;
        stbi_image_free(px);
    } else {
        stbi_uc* px = stbi_load_from_memory(bytes, int(size), &w, &h, &n, want);
        if (!px) throw Error(name, "", cat("cannot decode image: ", stbi_failure_reason()));
        for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = px[i] / 255.0f;
        stbi_image_free(px);
    }
    return img;
}

Image load_image(const std::filesystem::path& path, int channels) {
    auto bytes = read_file_bytes(path, uint64_t(1) << 31);
    return decode_image(bytes.data(), bytes.size(), path.string(), channels);
}

namespace {
std::vector<uint8_t> to_8bit(const Image& image) {
    std::vector<uint8_t> px(image.data.size());
    for (size_t i = 0; i < px.size(); ++i) {
        float v = image.data[i];
        if (!(v >= 0.0f)) v = 0.0f;  // also catches NaN
        px[i] = uint8_t(std::lround(std::min(v, 1.0f) * 255.0f));
    }
    return px;
}

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    auto* p = static_cast<uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}
}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
    if (image.channels < 1 || image.channels > 4 || image.empty()) throw Error("encode_png: empty image or bad channel count");
    auto px = to_8bit(image);
    std::vector<uint8_t> out;
    if (!stbi_write_png_to_func(append_bytes, &out, image.width, image.height, image.channels, px.data(),
                                image.width * image.channels))
        throw Error("PNG encoding failed");
    return out;
}

void save_image(const std::filesystem::path& path, const Image& image) {
    std::string ext = lower_extension(path);
    if (image.channels < 1 || image.channels > 4 || image.empty())
        throw Error(path.string(), "", cat("cannot save an image with ", image.channels, " channels"));
    std::vector<uint8_t> out;
    if (ext == ".png") {
        out = encode_png(image);
    } else if (ext == ".jpg" || ext == ".jpeg") {
        auto px = to_8bit(image);
        if (!stbi_write_jpg_to_func(append_bytes, &out, image.width, image.height, image.channels, px.data(), 95))
            throw Error(path.string(), "", "JPEG encoding failed");
    } else {
        throw Error(path.string(), "", "unknown image extension (expected .png, .jpg or .jpeg)");
    }
    write_file_atomic(path, out);
}

Image resize_area(const Image& src, int width, int height) {
    if (width <= 0 || height <= 0) throw Error(cat("resize_area: bad target size ", width, "x", height));
    if (width == src.width && height == src.height) return src;
    const int c = src.channels;
    // Separable: rows first, then columns; each output sample integrates the source over its footprint.
    auto weights = [](int in, int out) {
        // For each output index, a list of (input index, weight) covering [o*s, (o+1)*s).
        std::vector<std::vector<std::pair<int, float>>> w(out);
        double s = double(in) / out;
        for (int o = 0; o < out; ++o) {
            double a = o * s, b = (o + 1) * s;
            if (s < 1.0) {  // upsampling: linear interpolation at the output centre
                double x = (o + 0.5) * s - 0.5;
                int x0 = int(std::floor(x));
                double t = x - x0;
                int i0 = std::clamp(x0, 0, in - 1), i1 = std::clamp(x0 + 1, 0, in - 1);
                w[o] = {{i0, float(1 - t)}, {i1, float(t)}};
                continue;
            }
            for (int i = int(std::floor(a)); i < int(std::ceil(b)); ++i) {
                double lo = std::max(a, double(i)), hi = std::min(b, double(i + 1));
                if (hi > lo) w[o].push_back({std::min(i, in - 1), float((hi - lo) / s)});
            }
        }
        return w;
    };
    auto wx = weights(src.width, width);
    auto wy = weights(src.height, height);
    Image tmp(width, src.height, c);
    for (int y = 0; y < src.height; ++y)
        for (int x = 0; x < width; ++x)
            for (auto [i, w] : wx[x])
                for (int k = 0; k < c; ++k) tmp.at(x, y, k) += w * src.at(i, y, k);
    Image out(width, height, c);
    for (int y = 0; y < height; ++y)
        for (auto [j, w] : wy[y])
            for (int x = 0; x < width; ++x)
                for (int k = 0; k < c; ++k) out.at(x, y, k) += w * tmp.at(x, j, k);
    return out;
}

Image composite_over(const Image& rgba, glm::vec3 bg) {
    if (rgba.channels != 4) return rgba;
    Image out(rgba.width, rgba.height, 3);
    for (size_t i = 0; i < rgba.pixel_count(); ++i) {
        const float* p = &rgba.data[i * 4];
        float a = p[3];
        for (int k = 0; k < 3; ++k) out.data[i * 3 + k] = p[k] * a + bg[k] * (1.0f - a);
    }
    return out;
}

Image take_channels(const Image& image, int count) {
    if (count == image.channels) return image;
    if (count > image.channels) throw Error(cat("take_channels: image has ", image.channels, " channels, asked for ", count));
    Image out(image.width, image.height, count);
    for (size_t i = 0; i < image.pixel_count(); ++i)
        for (int k = 0; k < count; ++k) out.data[i * count + k] = image.data[i * image.channels + k];
    return out;
}

Image quantize_8bit(const Image& image) {
    Image out = image;
    for (float& v : out.data) v = std::round(std::clamp(std::isnan(v) ? 0.0f : v, 0.0f, 1.0f) * 255.0f) / 255.0f;
    return out;
}

}  // namespace splatscape
