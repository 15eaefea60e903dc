#pragma once
// Picking sharp frames out of a video: the variance of the Laplacian as a blur metric (a blurred
// frame has weak second derivatives everywhere) and a choice of the sharpest frame per window.
#include <cstddef>
#include <vector>

#include "core/image.hpp"

namespace splatscape::process {

// Variance of the 3x3 Laplacian (4-neighbour) of the image's luma, over interior pixels, in 8-bit
// units squared (the scale OpenCV's cv::Laplacian on 8-bit images gives). Higher is sharper; 0 for
// a flat image or one smaller than 3x3. RGB(A) uses Rec. 601 luma; alpha is ignored.
double laplacian_variance(const Image& image);

// Splits `count` = sharpness.size() frames into `windows` consecutive windows of (nearly) equal
// length and keeps the sharpest frame of each (the earliest on ties): the indices kept, ascending.
// windows >= count keeps every frame; windows == 0 keeps none.
std::vector<size_t> select_sharpest(const std::vector<double>& sharpness, size_t windows);

} // namespace splatscape::process
