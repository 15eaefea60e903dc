#pragma once
// The neighbourhood ops (training/ops/neighbour_ops.hpp) on the GPU. kNN builds the same grid as the
// CPU (bounds, resolution from occupied-cell counts, points radix-sorted by cell, a hash table of
// occupied cells) and runs kern::knn_search per query, so it returns exactly the CPU's neighbours
// and squared distances. The scatters of the backward passes use atomic adds. Neighbour indices
// outside [0, N) are treated as missing (the CPU backend reports them). No CUDA types here.
#include <memory>

#include "training/ops/neighbour_ops.hpp"

namespace splatscape {

class Backend;

class NeighbourOpsCuda final : public NeighbourOps {
public:
    explicit NeighbourOpsCuda(Backend& backend);
    ~NeighbourOpsCuda() override;

    KnnResult knn(const Tensor& points, int k, const Tensor* queries) override;
    Tensor inverse_distance_weights(const Tensor& indices, const Tensor& d2, float eps, bool normalise) override;
    Tensor pca_curvature(const Tensor& points, const Tensor& indices) override;
    Tensor pca_frames(const Tensor& points, const Tensor& indices) override;
    void aggregate(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                   const Tensor& indices, const Tensor* weights, Tensor& out, int col, Tensor* argmax) override;
    void aggregate_backward(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                            const Tensor& indices, const Tensor* weights, const Tensor* argmax, const Tensor& d_out,
                            int col, Tensor* d_values, Tensor* d_weights) override;
    void gather_edges(kern::NeighbourMessage message, const Tensor& values, const Tensor& indices, Tensor& edges,
                      int col) override;
    void gather_edges_backward(kern::NeighbourMessage message, const Tensor& indices, const Tensor& d_edges, int col,
                               Tensor& d_values) override;
    void max_rows(const Tensor& values, const RowSelection& rows, Tensor& out, Tensor& argmax) override;
    void max_rows_backward(const Tensor& argmax, const Tensor& d_out, Tensor& d_values) override;

private:
    struct Workspace;
    // Occupied cells of the points at `resolution` (a hash set on the device; one read-back).
    size_t occupied_cells(const float* points, size_t n, const float lo[3], const float hi[3], int resolution);

    Backend& m_backend;
    std::unique_ptr<Workspace> m_ws;
};

} // namespace splatscape
