#pragma once
// The CPU launchers of the neighbourhood ops (training/ops/neighbour_ops.hpp) and the CPU op family.
// Scatters (the gradient a neighbour receives from every point that lists it) are turned into
// gathers over the reverse neighbour lists, built per call by a counting sort in (point, slot)
// order, so results do not depend on the number of threads.
#include <cstddef>
#include <cstdint>

#include "training/kernels/aggregate.hpp"
#include "training/ops/neighbour_ops.hpp"

namespace splatscape {

class Backend;

namespace cpu {

// Exact k nearest neighbours (k 1..16, training/kernels/knn.hpp) of points [n, 3] for queries
// [q, 3], or for the points themselves (each left out of its own list) when queries is null.
// Writes indices [q, k] (-1 past the last neighbour) and d2 [q, k] (+infinity there). Throws
// Error for non-finite coordinates.
void knn(const float* points, size_t n, const float* queries, size_t q, int k, int32_t* indices, float* d2);

// values [n, channels] ([n * k, channels] for Edge messages); out and d_out rows of `stride`
// values, window at `col`; argmax [n, channels].
template <class T>
void aggregate(kern::NeighbourMessage m, kern::NeighbourReduce r, const T* values, int channels, const int32_t* ids,
               size_t n, int k, const T* weights, T* out, int stride, int col, int32_t* argmax);
template <class T>
void aggregate_backward(kern::NeighbourMessage m, kern::NeighbourReduce r, const T* values, int channels,
                        const int32_t* ids, size_t n, int k, const T* weights, const int32_t* argmax, const T* d_out,
                        int stride, int col, T* d_values, T* d_weights);
template <class T>
void gather_edges(kern::NeighbourMessage m, const T* values, int channels, const int32_t* ids, size_t n, int k,
                  T* edges, int stride, int col);
template <class T>
void gather_edges_backward(kern::NeighbourMessage m, int channels, const int32_t* ids, size_t n, int k,
                           const T* d_edges, int stride, int col, T* d_values);

} // namespace cpu

class NeighbourOpsCpu final : public NeighbourOps {
public:
    explicit NeighbourOpsCpu(Backend& backend) : m_backend(backend) {}

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
    Backend& m_backend;
};

} // namespace splatscape
