#include "core/sags_scene.hpp"

#include <cmath>

#include "core/error.hpp"

namespace splatscape {

size_t SagsNetwork::expected_params() const {
    if (inputs < 1 || inputs > 1024 || hidden < 1 || hidden > 128 || hidden_layers < 0 || hidden_layers > 8 ||
        outputs < 1 || outputs > 128)
        return 0;
    size_t total = 0;
    int in = inputs;
    for (int l = 0; l <= hidden_layers; ++l) {
        const int out = l == hidden_layers ? outputs : hidden;
        total += size_t(in + 1) * size_t(out);
        in = out;
    }
    return total;
}

namespace {

void check_finite(const std::vector<float>& v, const std::string& where, const std::string& field) {
    for (size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i])) throw Error(where, field, cat("value ", i, " is not finite (", v[i], ")"));
}

void check_network(const SagsNetwork& n, int inputs, int outputs, int output_activation, const std::string& where,
                   const std::string& name) {
    const std::string f = "networks." + name;
    if (n.inputs != inputs) throw Error(where, f + ".inputs", cat("expected ", inputs, ", found ", n.inputs));
    if (n.outputs != outputs) throw Error(where, f + ".outputs", cat("expected ", outputs, ", found ", n.outputs));
    if (n.hidden < 1 || n.hidden > 128) throw Error(where, f + ".hidden", cat("expected 1 .. 128, found ", n.hidden));
    if (n.hidden_layers < 0 || n.hidden_layers > 8)
        throw Error(where, f + ".hidden_layers", cat("expected 0 .. 8, found ", n.hidden_layers));
    if (n.hidden_activation < 0 || n.hidden_activation > 4)
        throw Error(where, f + ".hidden_activation", cat("expected an activation 0 .. 4, found ", n.hidden_activation));
    if (n.output_activation != output_activation)
        throw Error(where, f + ".output_activation",
                    cat("expected ", output_activation, ", found ", n.output_activation));
    if (n.params.size() != n.expected_params())
        throw Error(where, f,
                    cat("expected ", n.expected_params(), " parameters for its widths, found ", n.params.size()));
    check_finite(n.params, where, f);
}

} // namespace

void SagsScene::validate(const std::string& where) const {
    if (feature_dim < 1 || feature_dim > 128)
        throw Error(where, "feature_dim", cat("expected 1 .. 128, found ", feature_dim));
    if (neighbours < 1 || neighbours > 16)
        throw Error(where, "neighbours", cat("expected 1 .. 16, found ", neighbours));
    if (hash_levels < 1 || hash_levels > 32)
        throw Error(where, "hash.levels", cat("expected 1 .. 32, found ", hash_levels));
    if (hash_features != 1 && hash_features != 2 && hash_features != 4 && hash_features != 8)
        throw Error(where, "hash.features", cat("expected 1, 2, 4 or 8, found ", hash_features));
    if (hash_log2_table < 4 || hash_log2_table > 24)
        throw Error(where, "hash.log2_table", cat("expected 4 .. 24, found ", hash_log2_table));
    if (!(hash_base_resolution >= 1 && hash_base_resolution <= 4096))
        throw Error(where, "hash.base_resolution", cat("expected 1 .. 4096, found ", hash_base_resolution));
    if (!(hash_growth >= 1 && hash_growth <= 4))
        throw Error(where, "hash.growth", cat("expected 1 .. 4, found ", hash_growth));
    for (int a = 0; a < 3; ++a)
        if (!std::isfinite(frame[a])) throw Error(where, "frame", "expected finite coordinates");
    if (!(frame[3] > 0 && std::isfinite(frame[3]))) throw Error(where, "frame", "expected a positive cube size");
    if (!(voxel_size > 0 && std::isfinite(voxel_size)))
        throw Error(where, "voxel_size", cat("expected a positive size, found ", voxel_size));
    if (lite && (lite_neighbours < 1 || lite_neighbours > 8))
        throw Error(where, "lite_neighbours", cat("expected 1 .. 8, found ", lite_neighbours));
    if (points.size() % 3) throw Error(where, "points", "expected [N, 3] values");
    const size_t n = size();
    if (features.size() != n * size_t(feature_dim))
        throw Error(where, "features", cat("expected ", n, " x ", feature_dim, " values, found ", features.size()));
    if (scales.size() != n * 6) throw Error(where, "scales", cat("expected ", n, " x 6 values, found ", scales.size()));
    if (hash_table.empty() || hash_table.size() % size_t(hash_features))
        throw Error(where, "hash_table", cat("expected rows of ", hash_features, " features"));
    if (affine.size() != size_t(encoded_width()) * 2)
        throw Error(where, "affine", cat("expected ", encoded_width(), " x 2 values, found ", affine.size()));
    if (cameras.size() % kSagsCameraFloats)
        throw Error(where, "cameras", cat("expected [V, ", kSagsCameraFloats, "] values"));
    for (size_t v = 0; v < camera_count(); ++v) {
        const float* c = cameras.data() + v * kSagsCameraFloats;
        if (!(c[12] > 0 && c[13] > 0 && c[16] >= 1 && c[17] >= 1 && c[16] <= 65536 && c[17] <= 65536))
            throw Error(where, "cameras", cat("camera ", v, " has no positive focal length or image size"));
    }
    check_finite(points, where, "points");
    check_finite(features, where, "features");
    check_finite(scales, where, "scales");
    check_finite(hash_table, where, "hash_table");
    check_finite(affine, where, "affine");
    check_finite(cameras, where, "cameras");
    const int E = encoded_width();
    // Activations: tanh opacity, sigmoid colour, raw covariance and offset (training/kernels/sags.hpp).
    check_network(opacity, E + 4, 1, 3, where, "opacity");
    check_network(color, E + 4, 3, 2, where, "color");
    check_network(covariance, E + 4, 7, 0, where, "covariance");
    check_network(offset, E, 3, 0, where, "offset");
    if (learned_edges)
        check_network(edge, 2 * feature_dim, feature_dim, 0, where, "edge");
    else if (!edge.empty())
        throw Error(where, "networks.edge", "present although learned_edges is false");
}

void SagsDecodeCache::validate(const std::string& where) const {
    if (hash_width < 0 || feature_dim < 1) throw Error(where, "feature_dim", "expected positive widths");
    if (points.size() % 3) throw Error(where, "points", "expected [N, 3] values");
    const size_t n = size();
    if (scales.size() != n * 6) throw Error(where, "scales", cat("expected ", n, " x 6 values"));
    if (!frames.empty() && frames.size() != n * 4) throw Error(where, "frames", cat("expected ", n, " x 4 values"));
    if (encoded.size() != n * size_t(hash_width + feature_dim))
        throw Error(where, "encoded", cat("expected ", n, " x ", hash_width + feature_dim, " values"));
    if (affine.size() != size_t(encoded_width()) * 2)
        throw Error(where, "affine", cat("expected ", encoded_width(), " x 2 values"));
    check_finite(points, where, "points");
    check_finite(scales, where, "scales");
    check_finite(encoded, where, "encoded");
    check_finite(affine, where, "affine");
    const int E = encoded_width();
    check_network(opacity, E + 4, 1, 3, where, "opacity");
    check_network(color, E + 4, 3, 2, where, "color");
    check_network(covariance, E + 4, 7, 0, where, "covariance");
    check_network(offset, E, 3, 0, where, "offset");
    if (neighbour_count < 0 || neighbour_count > 16 || neighbours.size() != n * size_t(neighbour_count))
        throw Error(where, "neighbours", cat("expected ", n, " x ", neighbour_count, " indices"));
    for (int32_t j : neighbours)
        if (j < -1 || j >= int64_t(n)) throw Error(where, "neighbours", cat("index ", j, " outside the points"));
    if (!curvature.empty() && curvature.size() != n)
        throw Error(where, "curvature", cat("expected ", n, " values, found ", curvature.size()));
}

} // namespace splatscape
