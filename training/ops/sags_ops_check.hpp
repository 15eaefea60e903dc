#pragma once
// Shape checks of the sags family, shared by its CPU and CUDA launchers (row lists are not read:
// on a GPU that would wait for it).
#include "core/error.hpp"
#include "training/kernels/sags.hpp"
#include "training/ops/row_selection.hpp"
#include "training/ops/sags_ops.hpp"

namespace splatscape::sags_check {

struct Encoded {
    int hw = 0; // hash columns
    int fd = 0; // local (and global) columns
};

inline void points(const Tensor& p, Device d, const char* op) {
    ops_check::shape(p, SIZE_MAX, 3, d, DType::F32, op, "points");
}

inline void rows(const Tensor& r, Device d, const char* op) {
    ops_check::shape(r, SIZE_MAX, 1, d, DType::I32, op, "rows");
}

inline Encoded encoded(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine, Device d,
                       const char* op) {
    Encoded e{hash.cols(), local.cols()};
    ops_check::shape(local, hash.rows(), e.fd, d, DType::F32, op, "local");
    ops_check::shape(global, 1, e.fd, d, DType::F32, op, "global");
    ops_check::shape(affine, size_t(e.hw + 2 * e.fd), 2, d, DType::F32, op, "affine");
    ops_check::device(hash, d, op, "hash");
    ops_check::dtype(hash, DType::F32, op, "hash");
    return e;
}

inline Encoded assemble(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                        const Tensor& pts, const Tensor& r, const Tensor& x, Device d) {
    const char* op = "sags assemble";
    const Encoded e = encoded(hash, local, global, affine, d, op);
    ops_check::shape(pts, hash.rows(), 3, d, DType::F32, op, "points");
    rows(r, d, op);
    ops_check::shape(x, r.rows(), e.hw + 2 * e.fd + kern::kSagsViewCols, d, DType::F32, op, "x");
    return e;
}

inline Encoded assemble_backward(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                                 const Tensor& r, const Tensor& d_x, const Tensor& d_hash, const Tensor& d_local,
                                 const Tensor& d_global, const Tensor& d_affine, Device d) {
    const char* op = "sags assemble_backward";
    const Encoded e = encoded(hash, local, global, affine, d, op);
    rows(r, d, op);
    ops_check::window(d_x, r.rows(), 0, e.hw + 2 * e.fd, d, op, "d_x");
    ops_check::shape(d_hash, hash.rows(), e.hw, d, DType::F32, op, "d_hash");
    ops_check::shape(d_local, hash.rows(), e.fd, d, DType::F32, op, "d_local");
    ops_check::shape(d_global, 1, e.fd, d, DType::F32, op, "d_global");
    ops_check::shape(d_affine, affine.rows(), 2, d, DType::F32, op, "d_affine");
    return e;
}

inline void gaussians(const SagsGaussianTensors& g, size_t m, Device d, const char* op) {
    if (!g.means || !g.log_scales || !g.rotations || !g.opacities || !g.colors)
        throw Error(cat(op, ": every Gaussian tensor is required"));
    ops_check::shape(*g.means, m, 3, d, DType::F32, op, "means");
    ops_check::shape(*g.log_scales, m, 3, d, DType::F32, op, "log_scales");
    ops_check::shape(*g.rotations, m, 4, d, DType::F32, op, "rotations");
    ops_check::shape(*g.opacities, m, 1, d, DType::F32, op, "opacities");
    ops_check::shape(*g.colors, m, 3, d, DType::F32, op, "colors");
}

inline void compose(const Tensor& decoded, const Tensor& pts, const Tensor& scales, const Tensor* frames,
                    const Tensor& r, const SagsGaussianTensors& out, Device d) {
    const char* op = "sags compose";
    rows(r, d, op);
    ops_check::shape(decoded, r.rows(), kern::kSagsDecodedCols, d, DType::F32, op, "decoded");
    points(pts, d, op);
    ops_check::shape(scales, pts.rows(), kern::kSagsScaleCols, d, DType::F32, op, "scales");
    if (frames) ops_check::shape(*frames, pts.rows(), 4, d, DType::F32, op, "frames");
    gaussians(out, r.rows(), d, op);
}

inline void compose_backward(const Tensor& decoded, const Tensor& scales, const Tensor* frames, const Tensor& r,
                             const SagsGaussianTensors& grads, const Tensor& d_decoded, const Tensor& d_scales,
                             Device d) {
    const char* op = "sags compose_backward";
    rows(r, d, op);
    ops_check::shape(decoded, r.rows(), kern::kSagsDecodedCols, d, DType::F32, op, "decoded");
    ops_check::shape(scales, SIZE_MAX, kern::kSagsScaleCols, d, DType::F32, op, "scales");
    if (frames) ops_check::shape(*frames, scales.rows(), 4, d, DType::F32, op, "frames");
    gaussians(grads, r.rows(), d, op);
    ops_check::shape(d_decoded, r.rows(), kern::kSagsDecodedCols, d, DType::F32, op, "d_decoded");
    ops_check::shape(d_scales, scales.rows(), kern::kSagsScaleCols, d, DType::F32, op, "d_scales");
}

inline void stats(const Tensor& r, const Tensor& grad_norm, const Tensor& decoded, const Tensor& means,
                  const Tensor& grad_accum, const Tensor& views, const Tensor& opacity_accum, const Tensor& last_means,
                  Device d) {
    const char* op = "sags accumulate_stats";
    rows(r, d, op);
    ops_check::shape(grad_norm, r.rows(), 1, d, DType::F32, op, "view_grad_norm");
    ops_check::shape(decoded, r.rows(), kern::kSagsDecodedCols, d, DType::F32, op, "decoded");
    ops_check::shape(means, r.rows(), 3, d, DType::F32, op, "means");
    ops_check::shape(grad_accum, SIZE_MAX, 1, d, DType::F32, op, "grad_accum");
    ops_check::shape(views, grad_accum.rows(), 1, d, DType::F32, op, "views");
    ops_check::shape(opacity_accum, grad_accum.rows(), 1, d, DType::F32, op, "opacity_accum");
    ops_check::shape(last_means, grad_accum.rows(), 3, d, DType::F32, op, "last_means");
}

// features and local (or their gradients) [N, C], the same shape.
inline void residual(const Tensor& features, const Tensor& local, Device d) {
    const char* op = "sags residual";
    ops_check::shape(features, SIZE_MAX, features.cols(), d, DType::F32, op, "features");
    ops_check::shape(local, features.rows(), features.cols(), d, DType::F32, op, "local");
}

// values [N, C], pairs [P, 2] int32, expanded [N + P, C].
inline void midpoints(const Tensor& values, const Tensor& pairs, const Tensor& expanded, Device d) {
    const char* op = "sags midpoints";
    ops_check::shape(pairs, SIZE_MAX, 2, d, DType::I32, op, "pairs");
    ops_check::shape(values, SIZE_MAX, values.cols(), d, DType::F32, op, "values");
    ops_check::shape(expanded, values.rows() + pairs.rows(), values.cols(), d, DType::F32, op, "expanded");
}

} // namespace splatscape::sags_check
