#pragma once
// Point-cloud neighbourhoods (docs/neural.md): exact k-nearest neighbours on a uniform grid,
// inverse-distance weights, PCA curvature, aggregation of messages over a neighbour list (the local
// encoder of sags, training/kernels/aggregate.hpp), edge gathering for a learned edge function, and
// a channel-wise maximum over rows (sags' global feature over the points a view sees).
#include "training/kernels/aggregate.hpp"
#include "training/kernels/knn.hpp"
#include "training/ops/op_family.hpp"
#include "training/ops/row_selection.hpp"
#include "training/tensor.hpp"

namespace splatscape {

struct KnnResult {
    Tensor indices; // [Q, k] int32, ascending by (squared distance, index); -1 past the last neighbour
    Tensor d2;      // [Q, k] squared distances; +infinity past the last neighbour
};

class NeighbourOps : public OpFamily {
public:
    static constexpr const char* kName = "neighbours";

    // The k (1..16) nearest of points [N, 3] to every query [Q, 3]. Without queries, the queries
    // are the points themselves and each point is left out of its own list (duplicates of it are
    // not: they come first, at distance 0). Rows have fewer than k neighbours only when there are
    // fewer than k candidates (k > N - 1). Throws Error for non-finite coordinates.
    virtual KnnResult knn(const Tensor& points, int k, const Tensor* queries = nullptr) = 0;

    // [N, k]: kern::inverse_distance_weights per row (0 for missing neighbours).
    virtual Tensor inverse_distance_weights(const Tensor& indices, const Tensor& d2, float eps, bool normalise) = 0;

    // [N, 1]: kern::pca_curvature of every point from itself and its neighbours indices [N, k].
    virtual Tensor pca_curvature(const Tensor& points, const Tensor& indices) = 0;
    // [N, 4]: kern::pca_frame (in double precision) of every point from itself and its neighbours
    // indices [N, k].
    virtual Tensor pca_frames(const Tensor& points, const Tensor& indices) = 0;

    // out[i, col + c] = reduction over the neighbour slots of indices [N, k] of the messages (see
    // training/kernels/aggregate.hpp); out [N, >= col + C]. values: [N, C] for Neighbour and
    // Difference messages, [N * k, C] (row i * k + s) for Edge messages. weights [N, k] or null (all 1). argmax [N, C]
    // int32 receives the winning slot of Max (-1: no neighbour) and is required for its backward; unused by Mean.
    virtual void aggregate(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                           const Tensor& indices, const Tensor* weights, Tensor& out, int col, Tensor* argmax) = 0;
    // Adds the gradients of sum(d_out * out) (d_out in the forward's window) to d_values (values' shape) and d_weights
    // ([N, k]), each when not null.
    virtual void aggregate_backward(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                                    const Tensor& indices, const Tensor* weights, const Tensor* argmax,
                                    const Tensor& d_out, int col, Tensor* d_values, Tensor* d_weights) = 0;

    // edges[i * k + s, col + c] = x_i (Centre), x_j (Neighbour) or x_j - x_i (Difference) for
    // j = indices[i, s], values x [N, C]; 0 for missing neighbours. edges [N * k, >= col + C].
    virtual void gather_edges(kern::NeighbourMessage message, const Tensor& values, const Tensor& indices,
                              Tensor& edges, int col) = 0;
    // Adds the gradient with respect to the values [N, C] given d_edges in the same window.
    virtual void gather_edges_backward(kern::NeighbourMessage message, const Tensor& indices, const Tensor& d_edges,
                                       int col, Tensor& d_values) = 0;

    // out [1, C] = channel-wise maximum of values [N, C] over the selected rows; argmax [1, C] int32
    // the row that holds it (the first in selection order on ties; -1 and 0 when no row is selected).
    virtual void max_rows(const Tensor& values, const RowSelection& rows, Tensor& out, Tensor& argmax) = 0;
    // Adds d_out [1, C] to d_values [N, C] at the rows argmax names.
    virtual void max_rows_backward(const Tensor& argmax, const Tensor& d_out, Tensor& d_values) = 0;
};

} // namespace splatscape
