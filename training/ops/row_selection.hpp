#pragma once
// Which rows an op of the neural families visits, and the shape checks both backends share.
//
// Row-aligned tensors: an op reads row r of its inputs and writes row r of its outputs, for every
// selected row r, and leaves the other rows alone. So a mixture of experts runs each expert on the
// block of samples routed to it (a range after sorting by expert, or a list), writing into one
// shared output. Column offsets (`col` arguments) let encodings and networks read and write a
// window of a wider tensor, so concatenated features need no copies.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "training/kernels/rows.hpp"
#include "training/tensor.hpp"

namespace splatscape {

struct RowSelection {
    static constexpr size_t kEnd = SIZE_MAX;
    size_t begin = 0;
    size_t end = kEnd;            // kEnd: the last row of the tensors
    const Tensor* list = nullptr; // int32 [M, 1] of row numbers; when set, begin / end are unused

    static RowSelection all() { return {}; }
    static RowSelection range(size_t begin, size_t end) { return {begin, end, nullptr}; }
    static RowSelection listed(const Tensor& rows) { return {0, 0, &rows}; }
};

namespace ops_check {

inline const char* device_name(Device d) {
    return d == Device::Cpu ? "host" : "GPU";
}

inline void device(const Tensor& t, Device d, const char* op, const char* name) {
    if (t.device() != d && !t.empty())
        throw Error(cat(op, ": tensor '", name, "' is in ", device_name(t.device()), " memory, expected ",
                        device_name(d), " memory"));
}

inline void dtype(const Tensor& t, DType dt, const char* op, const char* name) {
    if (t.dtype() != dt)
        throw Error(cat(op, ": tensor '", name, "' is ", t.dtype() == DType::F32 ? "float32" : "int32", ", expected ",
                        dt == DType::F32 ? "float32" : "int32"));
}

// rows x cols exactly (rows == SIZE_MAX: any).
inline void shape(const Tensor& t, size_t rows, int cols, Device d, DType dt, const char* op, const char* name) {
    device(t, d, op, name);
    dtype(t, dt, op, name);
    if ((rows != SIZE_MAX && t.rows() != rows) || t.cols() != cols)
        throw Error(cat(op, ": tensor '", name, "' is ", t.rows(), " x ", t.cols(), ", expected ",
                        rows == SIZE_MAX ? std::string("N") : cat(rows), " x ", cols));
}

// rows x (at least col + width), float32: a column window [col, col + width) of a row-aligned tensor.
inline void window(const Tensor& t, size_t rows, int col, int width, Device d, const char* op, const char* name) {
    device(t, d, op, name);
    dtype(t, DType::F32, op, name);
    if (col < 0 || t.rows() != rows || t.cols() < col + width)
        throw Error(cat(op, ": tensor '", name, "' is ", t.rows(), " x ", t.cols(), ", expected ", rows,
                        " rows with columns [", col, ", ", col + width, ")"));
}

// The span of `sel` over tensors of n rows. List entries are checked by the CPU backend only
// (reading them on a GPU would wait for it); CUDA kernels skip entries outside [0, n).
inline kern::RowSpan rows(const RowSelection& sel, size_t n, Device d, const char* op) {
    kern::RowSpan s;
    if (sel.list) {
        shape(*sel.list, SIZE_MAX, 1, d, DType::I32, op, "rows");
        s.count = sel.list->rows();
        s.list = sel.list->i32();
        return s;
    }
    const size_t end = sel.end == RowSelection::kEnd ? n : sel.end;
    if (sel.begin > end || end > n)
        throw Error(cat(op, ": rows [", sel.begin, ", ", end, ") are not within the ", n, " rows of its tensors"));
    s.begin = sel.begin;
    s.count = end - sel.begin;
    return s;
}

} // namespace ops_check
} // namespace splatscape
