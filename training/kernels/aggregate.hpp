#pragma once
// Aggregation over a neighbour list (the local encoder of sags): for point i, neighbour slot s
// (neighbour j = ids[i, s], skipped when < 0) and channel c, a message
//     m_isc = w_is * v_isc,   v_isc = x_jc (Neighbour), x_jc - x_ic (Difference) or e_(ik+s)c (Edge)
// reduced over s by a channel-wise maximum or a mean over the valid slots. The weight-free local
// encoder of SAGS is Max of Difference with inverse-distance weights; its learned variant runs an
// edge MLP h([x_i | x_j - x_i]) on the gathered edge rows and reduces its output as Edge messages.
// The maximum's backward sends the gradient to the slot that won (the forward records it).
#include "training/kernels/math.hpp"

namespace splatscape::kern {

enum class NeighbourMessage : int32_t {
    Neighbour = 0,  // x_j
    Difference = 1, // x_j - x_i
    Edge = 2,       // a value per (point, slot): row i * k + s of an edge tensor
    Centre = 3,     // x_i (edge gathering only)
};

enum class NeighbourReduce : int32_t { Max = 0, Mean = 1 };

// v_isc (before the weight). x / e have `stride` floats per row; `j` is the neighbour (>= 0).
template <class T>
SPLATSCAPE_HD T neighbour_value(NeighbourMessage m, const T* x, int stride, int64_t i, int64_t j, int64_t edge_row,
                                int c) {
    switch (m) {
    case NeighbourMessage::Neighbour:
        return x[size_t(j) * stride + c];
    case NeighbourMessage::Difference:
        return x[size_t(j) * stride + c] - x[size_t(i) * stride + c];
    case NeighbourMessage::Edge:
        return x[size_t(edge_row) * stride + c];
    default:
        return x[size_t(i) * stride + c];
    }
}

// Result of reducing one (point, channel): the value, the winning slot of a maximum (-1: no valid
// neighbour, value 0) and the number of valid slots.
template <class T>
struct NeighbourReduction {
    T value;
    int32_t argmax;
    int valid;
};

// The reduced value once every slot has been stepped through (`valid` of them were valid).
template <class T>
SPLATSCAPE_HD T neighbour_reduce_finish(NeighbourReduce r, T acc, int32_t argmax, int valid) {
    if (r == NeighbourReduce::Max) return argmax < 0 ? T(0) : acc;
    return valid ? acc / T(valid) : T(0);
}

// Reduces channel c of point i. ids [k] and weights [k] (null: all 1) are row i of their tensors.
template <class T>
SPLATSCAPE_HD NeighbourReduction<T> neighbour_reduce(NeighbourMessage m, NeighbourReduce r, const T* x, int stride,
                                                     int64_t i, const int32_t* ids, const T* weights, int k, int c) {
    NeighbourReduction<T> out = {T(0), -1, 0};
    T acc = T(0);
    for (int s = 0; s < k; ++s) {
        if (ids[s] < 0) continue;
        const T w = weights ? weights[s] : T(1);
        const T v = w * neighbour_value(m, x, stride, i, int64_t(ids[s]), i * k + s, c);
        if (r == NeighbourReduce::Max) {
            if (out.argmax < 0 || v > acc) {
                acc = v;
                out.argmax = s;
            }
        } else {
            acc += v;
        }
        ++out.valid;
    }
    out.value = neighbour_reduce_finish(r, acc, out.argmax, out.valid);
    return out;
}

// d out_ic / d v_isc: the weight for the winning slot of a maximum (0 elsewhere), w / valid for a
// mean. `argmax` is the forward's winning slot, `valid` its number of valid slots.
template <class T>
SPLATSCAPE_HD T neighbour_value_grad(NeighbourReduce r, T w, int s, int32_t argmax, int valid) {
    if (r == NeighbourReduce::Max) return s == argmax ? w : T(0);
    return valid ? w / T(valid) : T(0);
}

// Inverse-distance weights of one row: w_s = 1 / (sqrt(d2_s) + eps) for valid slots (0 for
// missing ones), divided by their sum when `normalise`.
template <class T>
SPLATSCAPE_HD void inverse_distance_weights(const int32_t* ids, const T* d2, int k, T eps, bool normalise, T* w) {
    T sum = T(0);
    for (int s = 0; s < k; ++s) {
        w[s] = ids[s] < 0 ? T(0) : T(1) / (hd_sqrt(hd_max(d2[s], T(0))) + eps);
        sum += w[s];
    }
    if (normalise && sum > T(0))
        for (int s = 0; s < k; ++s) w[s] /= sum;
}

} // namespace splatscape::kern
