#pragma once
// The rows an op of the neural families visits (training/ops/row_selection.hpp on the host): a
// contiguous range of its row-aligned tensors, or the rows a list names, in list order.
#include <stddef.h>
#include <stdint.h>

#include "training/kernels/math.hpp"

namespace splatscape::kern {

struct RowSpan {
    size_t begin = 0;              // first row of a range
    size_t count = 0;              // rows visited
    const int32_t* list = nullptr; // [count] row numbers; a range when null

    SPLATSCAPE_HD int64_t row(size_t i) const { return list ? int64_t(list[i]) : int64_t(begin + i); }
};

} // namespace splatscape::kern
