#pragma once
// Structure-aware Gaussian splatting (Ververas et al., "SAGS: Structure-Aware 3D Gaussian
// Splatting", 2024) and SAGS-Lite. The scene's points stay fixed; each carries learned features and
// log-scales. For a view the model encodes every point with a local-global graph network over its k
// nearest neighbours (a channel-wise maximum of inverse-distance weighted messages; the global
// feature is the maximum over the points the view sees) and a multiresolution hash encoding of its
// position, then small MLPs decode one Gaussian per visible point (opacity, colour, covariance,
// offset; training/kernels/sags.hpp) for the shared rasterizer. The backward runs through the
// decoders, the encoder, the features, scales and hash tables. Growth and pruning follow Scaffold-GS
// (SagsGrowth). SAGS-Lite trains key points only: mid-points to each one's nearest key points take
// averaged features and scales.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/point_cloud.hpp"
#include "core/sags_scene.hpp"
#include "training/densification.hpp"
#include "training/models/model.hpp"
#include "training/models/sags_config.hpp"
#include "training/ops/encoding_ops.hpp"
#include "training/ops/mlp_ops.hpp"
#include "training/ops/neighbour_ops.hpp"
#include "training/ops/sags_ops.hpp"

namespace splatscape {

class SagsModel final : public GaussianModel {
public:
    // `extent` sets the voxel size (voxel_fraction of it) when voxel_size is 0.
    SagsModel(Backend& backend, const SagsConfig& config, float extent);

    std::string type() const override { return m_config.lite ? "sags-lite" : "sags"; }
    ParameterSet& params() override { return m_params; }
    const ParameterSet& params() const override { return m_params; }
    void set_iteration(int) override {}
    int active_sh_degree() const override { return 0; }
    std::vector<ParamLr> learning_rates(int iteration) const override;

    // Encodes, decodes the view's visible points and composes their Gaussians ([M, ...]).
    RasterTensors raster_inputs(const ViewInfo& view) override;
    RasterGradTensors raster_grads() override;
    // Through the composition, the decoders, the encoder, to every parameter's gradient.
    void backward(const ViewInfo& view) override;

    // The per-point log-scales [N, 6] (no Gaussian of its own: densification is SagsGrowth's).
    const Tensor& log_scales() const override { return m_params.get("scales").value; }
    Parameter& opacity() override;
    std::vector<Tensor> split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) override;

    // Voxelised points (the dataset's, else random ones in `bounds`, with a warning), upsampled
    // where flat; SAGS-Lite's key points and pairs; features, scales and networks initialised.
    void initialize(const PointCloud& points, const Bounds& bounds, uint64_t seed) override;

    // View-independent Gaussians: colours fitted with degree-3 SH over the directions from the
    // training cameras (training/models/sags_decode.hpp).
    GaussianCloud to_cloud() const override;
    void from_cloud(const GaussianCloud&) override;
    Json config_json() const override { return to_json(m_config); }
    bool view_dependent() const override { return true; }
    // model.sags (and point_cloud.ply, the view-independent decode every 3DGS tool reads).
    std::vector<std::filesystem::path> save_files(const std::filesystem::path& run_dir, int iteration,
                                                  bool versioned) override;
    std::unique_ptr<DensificationStrategy> make_densifier(const AdcConfig& config, float extent, uint64_t seed,
                                                          bool white_background) override;

    // The model as host arrays (what .sags stores), and back. from_scene checks the scene against
    // the layouts this build computes (hash table rows) and names `where` in errors.
    SagsScene to_scene() const;
    void from_scene(const SagsScene& scene, const std::string& where);
    // The training cameras ([V, kSagsCameraFloats], core/sags_scene.hpp), kept with the model for
    // view-independent decoding.
    void set_cameras(std::vector<float> cameras) { m_cameras = std::move(cameras); }
    const std::vector<float>& cameras() const { return m_cameras; }

    // The rows, structure and decode of the last raster_inputs() (SagsGrowth reads them).
    const Tensor& visible_rows() const { return m_rows; }
    const Tensor& decoded() const { return m_decoded; }
    const Tensor& decoded_means() const { return m_means; }
    const Tensor& view_grad_norm() const { return m_view_grad_norm; }
    // Every point (key and mid-points for SAGS-Lite) [N_e, 3] and its kNN graph [N_e, k].
    const Tensor& all_points();
    const Tensor& neighbour_indices();
    // Per-point curvature of all_points() (PCA over the graph; the GUI's curvature mode).
    std::vector<float> curvature();
    // The view-independent encoder output of every point and the decoders (the Vulkan decode's input).
    SagsDecodeCache decode_cache();
    size_t key_points() const { return size(); }

    // Point rows changed (growth, pruning, a restored checkpoint): the graph is rebuilt before the
    // next decode.
    void structure_changed() { m_structure_dirty = true; }
    float voxel_size() const { return m_voxel; }
    const SagsConfig& config() const { return m_config; }
    Backend& backend() { return m_backend; }

private:
    const Tensor* point_frames() const { return m_config.point_frames ? &m_frames : nullptr; }
    // kern::sags_compose's revive floor for a view: the setting in training views, else none.
    float revive(const ViewInfo& view) const { return view.training ? m_config.revive_opacity : 0.0f; }

    struct Net {
        std::string name;
        MlpConfig config;
        kern::MlpLayout layout;
    };
    void allocate(size_t n);
    void set_networks();
    void rebuild_structure();
    Parameter& net_param(const Net& n) { return m_params.get(n.name); }
    const Tensor& point_features();            // [N_e, fd]
    const Tensor& point_scales();              // [N_e, 6]
    void encode_local(const Tensor& features); // m_local [N_e, fd] and its argmax
    SagsNetwork network(const Net& n) const;

    Backend& m_backend;
    EncodingOps& m_encoding;
    MlpOps& m_mlp;
    NeighbourOps& m_neighbours;
    SagsOps& m_ops;
    SagsConfig m_config;
    float m_extent;
    float m_voxel;
    kern::HashGridLayout m_hash;
    Net m_edge, m_opacity, m_color, m_cov, m_offset;
    // points [N,3] (fixed), features [N,fd], scales [N,6], frame [1,4] (hash cube: corner, size;
    // fixed), hash [R,F], affine [E,2], then the networks' parameters [P,1] each.
    ParameterSet m_params;
    std::vector<float> m_cameras;

    // Structure (rebuilt when dirty): SAGS-Lite pairs [P,2], every point, unit positions for the
    // hash grid, the kNN graph and its weights.
    bool m_structure_dirty = true;

    Tensor m_pairs, m_points_all, m_unit, m_knn, m_knn_weights;
    Tensor m_frames; // [N_e, 4] with point_frames (kern::pca_frame), else empty
    // Per view: expanded features and scales (SAGS-Lite), the encoder's tensors, the decode.
    Tensor m_features_all, m_scales_all;
    Tensor m_edges, m_edge_out, m_local, m_local_argmax, m_global, m_global_argmax, m_hash_enc;
    Tensor m_rows, m_x, m_decoded;
    Tensor m_means, m_log_scales_out, m_rotations, m_opacities, m_colors;
    Tensor m_d_means, m_d_log_scales, m_d_rotations, m_d_opacities, m_d_colors, m_view_grad_norm;
    Tensor m_d_decoded, m_d_x, m_d_hash, m_d_local, m_d_global, m_d_edge_out, m_d_edges;
    Tensor m_d_features_all, m_d_scales_all;
};

// Scaffold-GS growth and pruning for sags (see SagsConfig): statistics per key point over the views
// that decoded it, growth at voxel centres near high-gradient Gaussians, pruning of points that stay
// transparent. Decisions run on the host from downloaded statistics, every grow_every iterations.
class SagsGrowth final : public DensificationStrategy {
public:
    SagsGrowth(Backend& backend, SagsModel& model, const SagsConfig& config);

    std::string name() const override { return "sags-growth"; }
    void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) override;
    DensifyReport update(GaussianModel& model, int iteration, bool final_step) override;
    bool reshapes_at(int iteration) const override;
    std::vector<std::pair<std::string, Tensor*>> state() override;
    void reset(size_t rows) override;

private:
    Backend& m_backend;
    SagsOps& m_ops;
    SagsModel& m_model;
    SagsConfig m_config;
    Tensor m_grad_accum;    // [N, 1] sum of view-space gradient norms
    Tensor m_views;         // [N, 1] views that decoded the point
    Tensor m_opacity_accum; // [N, 1] sum of max(alpha, 0)
    Tensor m_last_means;    // [N, 3] the point's decoded mean
};

// The sags entries of create_model() ("sags", "sags-lite").
ModelBundle create_sags_model(const std::string& type, Backend& backend, const Json& config, float extent,
                              const std::string& where);

} // namespace splatscape
