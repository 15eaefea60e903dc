#pragma once
// Input encodings of the neural families (docs/neural.md): the multiresolution hash encoding of
// positions (sags' positional feature; hmohe's gate and experts, one grid each) and the spherical
// harmonics encoding of directions (hmohe's colour head). A grid is a HashGridConfig, its layout
// and a parameter tensor; the ops take the layout and the table, so any number of grids with
// different resolutions and table sizes share one implementation.
#include <cstdint>
#include <string>
#include <vector>

#include "training/kernels/hash_grid.hpp"
#include "training/ops/op_family.hpp"
#include "training/ops/row_selection.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class Backend;

struct HashGridConfig {
    int levels = 16;
    int features = 2;         // per level: 1, 2, 4 or 8
    int log2_table_size = 19; // T = 2^log2_table_size: the most entries one level holds
    float base_resolution = 16.0f;
    float per_level_scale = 1.3819128f; // growth b: 16 levels from 16 to 2048 cells per axis

    // b that takes `levels` levels from base_resolution to max_resolution (the paper's formula).
    static float scale_for(float base_resolution, float max_resolution, int levels);
};

// Level l has N_l = floor(base_resolution * per_level_scale^l) cells per axis, (N_l + 1)^3 vertices;
// it is dense when those fit in T entries, hashed into T entries otherwise. Throws Error naming the
// field when the config is out of range (levels 1..32, features 1/2/4/8, log2_table_size 4..24,
// base_resolution >= 1, per_level_scale >= 1, N_l <= 2^20).
kern::HashGridLayout hash_grid_layout(const HashGridConfig& config);

// Initial table [rows, features]: uniform in [-range, range] (instant-ngp: 1e-4), a pure function
// of the seed.
std::vector<float> hash_grid_initial_table(const kern::HashGridLayout& layout, uint64_t seed, float range = 1e-4f);

// A grid: config, layout and its table in the backend's memory.
struct HashGrid {
    HashGridConfig config;
    kern::HashGridLayout layout;
    Tensor table; // [layout.rows(), features]

    static HashGrid create(Backend& backend, const HashGridConfig& config, uint64_t seed);
};

class EncodingOps : public OpFamily {
public:
    static constexpr const char* kName = "encoding";

    // For every selected row r: encoded[r, col + l * F + f] = feature f of level l at positions[r]
    // ([N, 3], the unit cube; clamped into it, see training/kernels/hash_grid.hpp).
    // table [grid.rows(), F]; encoded [N, >= col + L * F].
    virtual void hash_encode(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                             const RowSelection& rows, Tensor& encoded, int col) = 0;
    // Backward of hash_encode for the same rows, given d_encoded [N, >= col + L * F] (the same
    // window): adds to d_table [grid.rows(), F] and, when not null, to d_positions [N, 3].
    virtual void hash_encode_backward(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                                      const RowSelection& rows, const Tensor& d_encoded, int col, Tensor& d_table,
                                      Tensor* d_positions) = 0;

    // For every selected row r: encoded[r, col + k] = the k-th SH basis function (bands 0..degree,
    // degree 0..3) of directions[r] ([N, 3], normalised first). encoded [N, >= col + (degree + 1)^2].
    virtual void sh_encode(int degree, const Tensor& directions, const RowSelection& rows, Tensor& encoded,
                           int col) = 0;
    // Adds the gradient with respect to directions [N, 3] to d_directions.
    virtual void sh_encode_backward(int degree, const Tensor& directions, const RowSelection& rows,
                                    const Tensor& d_encoded, int col, Tensor& d_directions) = 0;
};

} // namespace splatscape
