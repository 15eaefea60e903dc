#pragma once
// Per-Gaussian trainable tensors with their gradients and Adam moments. Every tensor of a set has
// one row per Gaussian, so densification moves rows of all of them together.
#include <string>
#include <vector>

#include "training/backend.hpp"

namespace splatscape {

struct Parameter {
    std::string name;
    Tensor value;      // [N, cols]
    Tensor grad;       // [N, cols]
    Tensor exp_avg;    // [N, cols] Adam first moment
    Tensor exp_avg_sq; // [N, cols] Adam second moment
};

class ParameterSet {
public:
    Parameter& add(Backend& backend, const std::string& name, size_t rows, int cols);
    Parameter& get(const std::string& name);
    const Parameter& get(const std::string& name) const;
    Parameter* find(const std::string& name);
    std::vector<Parameter>& all() { return m_params; }
    const std::vector<Parameter>& all() const { return m_params; }
    size_t rows() const { return m_params.empty() ? 0 : m_params.front().value.rows(); }

    void zero_grads(Backend& backend);
    // Keeps the listed rows (int32 [M, 1]) of every tensor, moments included.
    void keep_rows(Backend& backend, const Tensor& rows);
    // Appends rows: `values[i]` extends parameter i (same order as all()); gradients and moments of
    // the new rows start at zero, as 3DGS's optimizer surgery does.
    void append_rows(Backend& backend, std::vector<Tensor> values);

private:
    std::vector<Parameter> m_params;
};

} // namespace splatscape
