#include "core/io/sog.hpp"

#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/zip.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape {
namespace {

constexpr size_t kMaxSplats = size_t(1) << 28;
constexpr int kMaxTextureSide = 16383; // WebP's limit
constexpr size_t kPaletteMax = 65536;  // labels are 16 bit
constexpr size_t kPaletteRow = 64;     // palette entries per centroid-texture row
constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 31;
const int kShRest[] = {0, 3, 8, 15}; // SH coefficients beyond DC per channel, by bands

struct Rgba {
    int width = 0, height = 0;
    std::vector<uint8_t> px; // [H, W, 4]
};

// ---- WebP ---------------------------------------------------------------------------------------

std::vector<uint8_t> encode_webp_lossless(const Rgba& img, const std::string& name) {
    WebPConfig config;
    WebPPicture pic;
    if (!WebPConfigInit(&config) || !WebPPictureInit(&pic)) throw Error("SOG", name, "libwebp version mismatch");
    config.lossless = 1;
    config.exact = 1; // keep RGB under alpha 0 (colour indices of fully transparent splats)
    config.quality = 75;
    config.method = 4;
    pic.use_argb = 1;
    pic.width = img.width;
    pic.height = img.height;
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &writer;
    std::unique_ptr<WebPPicture, void (*)(WebPPicture*)> picture(&pic, WebPPictureFree);
    if (!WebPPictureImportRGBA(&pic, img.px.data(), img.width * 4))
        throw Error("SOG", name, "WebP import failed (out of memory?)");
    const bool ok = WebPEncode(&config, &pic);
    std::vector<uint8_t> out(writer.mem, writer.mem + writer.size);
    WebPMemoryWriterClear(&writer);
    if (!ok) throw Error("SOG", name, cat("WebP encoding failed (error ", int(pic.error_code), ")"));
    return out;
}

// Decodes a texture that must hold at least `min_texels` texels and at most `max_texels`.
Rgba decode_webp(const std::vector<uint8_t>& bytes, const std::string& file, const std::string& name,
                 uint64_t min_texels, uint64_t max_texels) {
    Rgba img;
    if (!WebPGetInfo(bytes.data(), bytes.size(), &img.width, &img.height))
        throw Error(file, name, "not a WebP image (or a corrupt one)");
    const uint64_t texels = uint64_t(img.width) * uint64_t(img.height);
    if (texels < min_texels)
        throw Error(file, name, cat(img.width, "x", img.height, " texels cannot hold ", min_texels, " entries"));
    if (texels > max_texels)
        throw Error(file, name,
                    cat(img.width, "x", img.height, " texels is far more than ", min_texels, " entries need"));
    std::unique_ptr<uint8_t, void (*)(void*)> px(WebPDecodeRGBA(bytes.data(), bytes.size(), &img.width, &img.height),
                                                 WebPFree);
    if (!px) throw Error(file, name, "corrupt WebP data");
    img.px.assign(px.get(), px.get() + texels * 4);
    return img;
}

// ---- 1D codebooks ------------------------------------------------------------------------------

struct Codebook {
    std::vector<float> centroids; // ascending, at most 256
    std::vector<uint8_t> labels;  // per input value
};

// Lloyd's k-means in one dimension with 256 centroids, initialised at quantiles; exact when the
// data has at most 256 distinct values.
Codebook fit_codebook(const std::vector<float>& values) {
    Codebook cb;
    std::vector<float> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<float> distinct = sorted;
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.empty()) distinct.push_back(0.0f);
    if (distinct.size() <= 256) {
        cb.centroids = distinct;
    } else {
        std::vector<double> c(256);
        for (int j = 0; j < 256; ++j) c[j] = sorted[size_t((double(j) + 0.5) / 256.0 * double(sorted.size()))];
        for (int iter = 0; iter < 24; ++iter) {
            std::sort(c.begin(), c.end());
            c.erase(std::unique(c.begin(), c.end()), c.end());
            std::vector<double> sum(c.size(), 0.0);
            std::vector<size_t> cnt(c.size(), 0);
            size_t j = 0;
            for (float v : sorted) { // both sorted: the nearest centroid only moves up
                while (j + 1 < c.size() && std::abs(c[j + 1] - v) <= std::abs(c[j] - v)) ++j;
                sum[j] += v;
                ++cnt[j];
            }
            bool moved = false;
            for (size_t k = 0; k < c.size(); ++k)
                if (cnt[k]) {
                    const double m = sum[k] / double(cnt[k]);
                    moved |= m != c[k];
                    c[k] = m;
                }
            if (!moved) break;
        }
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        cb.centroids.assign(c.begin(), c.end());
    }
    cb.labels.resize(values.size());
    const auto& c = cb.centroids;
    for (size_t i = 0; i < values.size(); ++i) {
        const size_t hi = size_t(std::lower_bound(c.begin(), c.end(), values[i]) - c.begin());
        size_t best = std::min(hi, c.size() - 1);
        if (hi > 0 && (hi == c.size() || std::abs(c[hi - 1] - values[i]) <= std::abs(c[hi] - values[i]))) best = hi - 1;
        cb.labels[i] = uint8_t(best);
    }
    return cb;
}

// ---- SH palette ---------------------------------------------------------------------------------

// Splits `n` vectors of `dim` floats into at most kPaletteMax cells by recursive median cuts along
// the widest axis; returns each vector's cell and the cells' means.
void median_cut(const std::vector<float>& v, size_t n, int dim, std::vector<uint32_t>& label,
                std::vector<float>& centroids) {
    std::vector<uint32_t> index(n);
    std::iota(index.begin(), index.end(), 0u);
    std::vector<std::pair<size_t, size_t>> cells = {{0, n}};
    while (cells.size() < kPaletteMax) {
        std::vector<std::pair<size_t, size_t>> next;
        bool split = false;
        for (auto [lo, hi] : cells) {
            if (hi - lo < 2 || next.size() + 2 > kPaletteMax) {
                next.push_back({lo, hi});
                continue;
            }
            int axis = 0;
            float widest = -1.0f;
            for (int d = 0; d < dim; ++d) {
                float mn = v[size_t(index[lo]) * dim + d], mx = mn;
                for (size_t i = lo; i < hi; ++i) {
                    const float x = v[size_t(index[i]) * dim + d];
                    mn = std::min(mn, x);
                    mx = std::max(mx, x);
                }
                if (mx - mn > widest) widest = mx - mn, axis = d;
            }
            const size_t mid = lo + (hi - lo) / 2;
            std::nth_element(index.begin() + lo, index.begin() + mid, index.begin() + hi, [&](uint32_t a, uint32_t b) {
                return v[size_t(a) * dim + axis] < v[size_t(b) * dim + axis];
            });
            next.push_back({lo, mid});
            next.push_back({mid, hi});
            split = true;
        }
        cells.swap(next);
        if (!split) break;
    }
    label.assign(n, 0);
    centroids.assign(cells.size() * dim, 0.0f);
    for (size_t c = 0; c < cells.size(); ++c) {
        const auto [lo, hi] = cells[c];
        std::vector<double> sum(dim, 0.0);
        for (size_t i = lo; i < hi; ++i) {
            label[index[i]] = uint32_t(c);
            for (int d = 0; d < dim; ++d) sum[d] += v[size_t(index[i]) * dim + d];
        }
        for (int d = 0; d < dim; ++d) centroids[c * dim + d] = float(sum[d] / double(std::max<size_t>(1, hi - lo)));
    }
}

float log_transform(float x) {
    return std::copysign(std::log(std::abs(x) + 1.0f), x);
}
float inverse_log_transform(float v) {
    return std::copysign(std::exp(std::abs(v)) - 1.0f, v);
}

// ---- meta.json helpers --------------------------------------------------------------------------

const Json& member(const Json& obj, const char* key, const std::string& file, const std::string& where) {
    if (!obj.is_object() || !obj.contains(key)) throw Error(file, where + "." + key, "missing");
    return obj.at(key);
}

std::vector<float> number_array(const Json& j, size_t min_size, size_t max_size, const std::string& file,
                                const std::string& field) {
    if (!j.is_array() || j.size() < min_size || j.size() > max_size)
        throw Error(file, field, cat("expected an array of ", min_size, "..", max_size, " numbers"));
    std::vector<float> out;
    for (const auto& v : j) out.push_back(float(json_number(v, field, file)));
    return out;
}

std::vector<std::string> file_names(const Json& group, size_t count, const std::string& file,
                                    const std::string& where) {
    const Json& files = member(group, "files", file, where);
    if (!files.is_array() || files.size() != count)
        throw Error(file, where + ".files", cat("expected ", count, " file name", count == 1 ? "" : "s"));
    std::vector<std::string> out;
    for (const auto& f : files) {
        if (!f.is_string()) throw Error(file, where + ".files", "expected strings");
        const std::string name = f.get<std::string>();
        // Texture names are plain file names beside meta.json (or inside the archive).
        if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
            name == "." || name == "..")
            throw Error(file, where + ".files", "'" + name + "' is not a plain file name");
        out.push_back(name);
    }
    return out;
}

using Loader = std::function<std::vector<uint8_t>(const std::string& name)>;

GaussianCloud decode_meta(const Json& meta, const Loader& load, const std::string& file) {
    if (!meta.is_object()) throw Error(file, "meta.json", "expected a JSON object");
    if (!meta.contains("version"))
        throw Error(file, "meta.json version",
                    "missing: a version 1 SOG (convert it with splat-transform to version 2 first)");
    const double version = json_number(meta.at("version"), "meta.json version", file);
    if (version != 2) throw Error(file, "meta.json version", cat(version, " is not supported (this build reads 2)"));
    const double count_d = json_number(member(meta, "count", file, "meta.json"), "meta.json count", file);
    if (!(count_d >= 0) || count_d != std::floor(count_d) || count_d > double(kMaxSplats))
        throw Error(file, "meta.json count", cat(count_d, " is not a splat count (0 .. ", kMaxSplats, ")"));
    const size_t n = size_t(count_d);
    // Textures are at least N texels; a writer rounds each side up to a multiple of 4.
    const uint64_t max_texels = uint64_t(n) * 2 + (uint64_t(1) << 20);
    auto texture = [&](const std::string& name) { return decode_webp(load(name), file, name, n, max_texels); };

    const Json& means = member(meta, "means", file, "meta.json");
    const auto mins = number_array(member(means, "mins", file, "means"), 3, 3, file, "means.mins");
    const auto maxs = number_array(member(means, "maxs", file, "means"), 3, 3, file, "means.maxs");
    const auto means_files = file_names(means, 2, file, "means");
    const Json& scales = member(meta, "scales", file, "meta.json");
    const auto scale_book = number_array(member(scales, "codebook", file, "scales"), 1, 256, file, "scales.codebook");
    const Json& sh0 = member(meta, "sh0", file, "meta.json");
    const auto color_book = number_array(member(sh0, "codebook", file, "sh0"), 1, 256, file, "sh0.codebook");
    int bands = 0;
    size_t palette = 0;
    std::vector<float> sh_book;
    if (meta.contains("shN")) {
        const Json& shn = meta.at("shN");
        const double b = json_number(member(shn, "bands", file, "shN"), "shN.bands", file);
        if (b != 1 && b != 2 && b != 3) throw Error(file, "shN.bands", cat(b, "; expected 1, 2 or 3"));
        bands = int(b);
        const double p = json_number(member(shn, "count", file, "shN"), "shN.count", file);
        if (!(p >= 1) || p > double(kPaletteMax) || p != std::floor(p))
            throw Error(file, "shN.count", cat(p, "; a palette holds 1 .. ", kPaletteMax, " entries"));
        palette = size_t(p);
        sh_book = number_array(member(shn, "codebook", file, "shN"), 1, 256, file, "shN.codebook");
    }

    GaussianCloud c;
    c.resize(n, bands);
    if (n == 0) return c;
    const Rgba lo = texture(means_files[0]), hi = texture(means_files[1]);
    const Rgba quats = texture(file_names(member(meta, "quats", file, "meta.json"), 1, file, "quats")[0]);
    const Rgba sc = texture(file_names(scales, 1, file, "scales")[0]);
    const Rgba col = texture(file_names(sh0, 1, file, "sh0")[0]);
    auto code = [&](const std::vector<float>& book, uint8_t index, const char* what) {
        if (index >= book.size())
            throw Error(file, what, cat("index ", int(index), " past the ", book.size(), "-entry codebook"));
        return book[index];
    };
    const int k = c.sh_coeffs();
    size_t bad_tags = 0;
    for (size_t i = 0; i < n; ++i) {
        const size_t o = 4 * i;
        for (int a = 0; a < 3; ++a) {
            const float q = float(lo.px[o + a] | hi.px[o + a] << 8) / 65535.0f;
            c.positions[3 * i + a] = inverse_log_transform(mins[a] + (maxs[a] - mins[a]) * q);
            c.log_scales[3 * i + a] = code(scale_book, sc.px[o + a], "scales.webp");
            c.sh[(i * k) * 3 + a] = code(color_book, col.px[o + a], "sh0.webp");
        }
        const float alpha = std::clamp(float(col.px[o + 3]) / 255.0f, 0.5f / 255.0f, 1.0f - 0.5f / 255.0f);
        c.opacities[i] = logit(alpha);
        const int tag = quats.px[o + 3] - 252;
        float q[4] = {1, 0, 0, 0}; // w x y z
        if (tag < 0 || tag > 3) {
            ++bad_tags;
        } else {
            float sum = 0.0f;
            for (int a = 0, s = 0; a < 4; ++a) {
                if (a == tag) continue;
                q[a] = (float(quats.px[o + s++]) / 255.0f * 2.0f - 1.0f) / std::sqrt(2.0f);
                sum += q[a] * q[a];
            }
            q[tag] = std::sqrt(std::max(0.0f, 1.0f - sum));
        }
        std::copy(q, q + 4, &c.rotations[4 * i]);
    }
    if (bad_tags) log::warn(file, ": ", bad_tags, " splats have no valid rotation tag (252..255); read as identity");
    if (bands > 0) {
        const auto shn_files = file_names(meta.at("shN"), 2, file, "shN");
        const int coeffs = kShRest[bands];
        const size_t rows = (palette + kPaletteRow - 1) / kPaletteRow;
        const Rgba centroids =
            decode_webp(load(shn_files[0]), file, shn_files[0], palette, uint64_t(kPaletteRow) * coeffs * rows);
        if (centroids.width != int(kPaletteRow) * coeffs)
            throw Error(file, shn_files[0],
                        cat("width ", centroids.width, "; ", bands, " bands need ", kPaletteRow * coeffs));
        const Rgba labels = texture(shn_files[1]);
        size_t out_of_palette = 0;
        for (size_t i = 0; i < n; ++i) {
            const size_t label = size_t(labels.px[4 * i]) | size_t(labels.px[4 * i + 1]) << 8;
            if (label >= palette) { // as the reference reader does: no view-dependent colour
                ++out_of_palette;
                continue;
            }
            const size_t row = label / kPaletteRow, base = (label % kPaletteRow) * size_t(coeffs);
            if (row >= size_t(centroids.height)) {
                ++out_of_palette;
                continue;
            }
            for (int j = 0; j < coeffs; ++j) {
                const size_t t = 4 * (row * size_t(centroids.width) + base + size_t(j));
                for (int ch = 0; ch < 3; ++ch)
                    c.sh[(i * k + 1 + j) * 3 + ch] = code(sh_book, centroids.px[t + ch], "shN_centroids.webp");
            }
        }
        if (out_of_palette)
            log::warn(file, ": ", out_of_palette, " splats point past the ", palette,
                      "-entry SH palette; their SH is 0");
    }
    c.validate(file.c_str());
    return c;
}

// The textures and meta.json of a cloud.
std::vector<std::pair<std::string, std::vector<uint8_t>>> encode_files(const GaussianCloud& in) {
    in.validate("SOG writer input");
    const size_t n = in.size();
    if (n > kMaxSplats) throw Error("SOG", "count", cat(n, " splats is more than supported"));
    const int width = std::max(4, int(std::ceil(std::sqrt(double(n)) / 4.0)) * 4);
    const int height = std::max(4, int(std::ceil(double(n) / width / 4.0)) * 4);
    if (width > kMaxTextureSide || height > kMaxTextureSide)
        throw Error("SOG", "count", cat(n, " splats need ", width, "x", height, " textures, more than WebP's 16383"));
    auto image = [&](int w = 0, int h = 0) {
        Rgba r;
        r.width = w ? w : width;
        r.height = h ? h : height;
        r.px.assign(size_t(r.width) * r.height * 4, 0);
        return r;
    };
    const int k = in.sh_coeffs();
    Json meta = {{"version", 2}, {"asset", {{"generator", "Splatscape"}}}, {"count", n}};
    std::vector<std::pair<std::string, std::vector<uint8_t>>> files;

    // means
    float mn[3] = {0, 0, 0}, mx[3] = {0, 0, 0};
    for (int a = 0; a < 3; ++a) {
        if (n) mn[a] = mx[a] = log_transform(in.positions[a]);
        for (size_t i = 0; i < n; ++i) {
            const float t = log_transform(in.positions[3 * i + a]);
            mn[a] = std::min(mn[a], t);
            mx[a] = std::max(mx[a], t);
        }
    }
    Rgba lo = image(), hi = image();
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            const float span = mx[a] - mn[a];
            const long q =
                span > 0 ? std::lround(65535.0 * (log_transform(in.positions[3 * i + a]) - mn[a]) / span) : 0;
            const uint32_t v = uint32_t(std::clamp(q, 0L, 65535L));
            lo.px[4 * i + a] = uint8_t(v & 255);
            hi.px[4 * i + a] = uint8_t(v >> 8);
            lo.px[4 * i + 3] = hi.px[4 * i + 3] = 255;
        }
    meta["means"] = {
        {"mins", {mn[0], mn[1], mn[2]}}, {"maxs", {mx[0], mx[1], mx[2]}}, {"files", {"means_l.webp", "means_u.webp"}}};
    files.push_back({"means_l.webp", encode_webp_lossless(lo, "means_l.webp")});
    files.push_back({"means_u.webp", encode_webp_lossless(hi, "means_u.webp")});

    // quats
    Rgba qt = image();
    for (size_t i = 0; i < n; ++i) {
        float q[4];
        const float* r = &in.rotations[4 * i];
        const float norm = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2] + r[3] * r[3]);
        for (int a = 0; a < 4; ++a) q[a] = norm > 0 ? r[a] / norm : (a == 0 ? 1.0f : 0.0f);
        int largest = 0;
        for (int a = 1; a < 4; ++a)
            if (std::abs(q[a]) > std::abs(q[largest])) largest = a;
        const float s = (q[largest] < 0 ? -1.0f : 1.0f) * std::sqrt(2.0f);
        for (int a = 0, t = 0; a < 4; ++a)
            if (a != largest)
                qt.px[4 * i + t++] = uint8_t(std::clamp(std::lround(255.0f * (q[a] * s * 0.5f + 0.5f)), 0L, 255L));
        qt.px[4 * i + 3] = uint8_t(252 + largest);
    }
    meta["quats"] = {{"files", {"quats.webp"}}};
    files.push_back({"quats.webp", encode_webp_lossless(qt, "quats.webp")});

    // scales and sh0: one codebook each over the three channels
    std::vector<float> s_values(3 * n), c_values(3 * n);
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            s_values[3 * i + a] = in.log_scales[3 * i + a];
            c_values[3 * i + a] = in.sh[(i * k) * 3 + a];
        }
    const Codebook sbook = fit_codebook(s_values), cbook = fit_codebook(c_values);
    Rgba st = image(), ct = image();
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            st.px[4 * i + a] = sbook.labels[3 * i + a];
            ct.px[4 * i + a] = cbook.labels[3 * i + a];
        }
        st.px[4 * i + 3] = 255;
        ct.px[4 * i + 3] = uint8_t(std::clamp(std::lround(sigmoid(in.opacities[i]) * 255.0f), 0L, 255L));
    }
    meta["scales"] = {{"codebook", sbook.centroids}, {"files", {"scales.webp"}}};
    meta["sh0"] = {{"codebook", cbook.centroids}, {"files", {"sh0.webp"}}};
    files.push_back({"scales.webp", encode_webp_lossless(st, "scales.webp")});
    files.push_back({"sh0.webp", encode_webp_lossless(ct, "sh0.webp")});

    // shN: a palette of SH vectors ([coeff][channel] per entry), labels, one codebook of values
    if (in.sh_degree > 0 && n > 0) {
        const int coeffs = k - 1, dim = 3 * coeffs;
        std::vector<float> vectors(n * dim);
        for (size_t i = 0; i < n; ++i)
            for (int j = 0; j < coeffs; ++j)
                for (int ch = 0; ch < 3; ++ch) vectors[i * dim + j * 3 + ch] = in.sh[(i * k + 1 + j) * 3 + ch];
        std::vector<uint32_t> label;
        std::vector<float> palette;
        if (n <= kPaletteMax) {
            label.resize(n);
            std::iota(label.begin(), label.end(), 0u);
            palette = vectors;
        } else {
            median_cut(vectors, n, dim, label, palette);
        }
        const size_t entries = palette.size() / dim;
        const Codebook book = fit_codebook(palette);
        const int rows = int((entries + kPaletteRow - 1) / kPaletteRow);
        Rgba cen = image(int(kPaletteRow) * coeffs, rows), lab = image();
        for (size_t p = 0; p < entries; ++p)
            for (int j = 0; j < coeffs; ++j) {
                const size_t t = 4 * ((p / kPaletteRow) * cen.width + (p % kPaletteRow) * coeffs + size_t(j));
                for (int ch = 0; ch < 3; ++ch) cen.px[t + ch] = book.labels[p * dim + j * 3 + ch];
                cen.px[t + 3] = 255;
            }
        for (size_t i = 0; i < n; ++i) {
            lab.px[4 * i] = uint8_t(label[i] & 255);
            lab.px[4 * i + 1] = uint8_t(label[i] >> 8);
            lab.px[4 * i + 3] = 255;
        }
        meta["shN"] = {{"count", entries},
                       {"bands", in.sh_degree},
                       {"codebook", book.centroids},
                       {"files", {"shN_centroids.webp", "shN_labels.webp"}}};
        files.push_back({"shN_centroids.webp", encode_webp_lossless(cen, "shN_centroids.webp")});
        files.push_back({"shN_labels.webp", encode_webp_lossless(lab, "shN_labels.webp")});
    }
    const std::string text = meta.dump();
    files.insert(files.begin(), {"meta.json", std::vector<uint8_t>(text.begin(), text.end())});
    return files;
}

bool is_meta_json(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return name.ends_with("meta.json");
}

} // namespace

std::vector<uint8_t> encode_sog(const GaussianCloud& cloud) {
    return zip_store(encode_files(cloud));
}

GaussianCloud decode_sog(const uint8_t* data, size_t size, const std::string& file) {
    if (!is_zip(data, size)) throw Error(file, "", "not a bundled SOG (a .sog is a ZIP archive)");
    const ZipReader zip(data, size, file);
    const std::vector<uint8_t> text = zip.read("meta.json", 64 << 20);
    const Json meta = parse_json(std::string(text.begin(), text.end()), file + " (meta.json)");
    return decode_meta(
        meta, [&](const std::string& name) { return zip.read(name, kMaxEntryBytes); }, file);
}

void write_sog(const std::filesystem::path& path, const GaussianCloud& cloud) {
    if (!is_meta_json(path)) return write_file_atomic(path, encode_sog(cloud));
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::filesystem::create_directories(dir);
    for (const auto& [name, bytes] : encode_files(cloud))
        write_file_atomic(name == "meta.json" ? path : dir / name, bytes);
}

GaussianCloud read_sog(const std::filesystem::path& path) {
    if (!is_meta_json(path)) {
        const auto bytes = read_file_bytes(path);
        return decode_sog(bytes.data(), bytes.size(), path.string());
    }
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const Json meta = parse_json(read_file_text(path), path.string());
    return decode_meta(
        meta, [&](const std::string& name) { return read_file_bytes(dir / name, kMaxEntryBytes); }, path.string());
}

} // namespace splatscape
