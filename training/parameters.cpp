#include "training/parameters.hpp"

#include "core/error.hpp"

namespace splatscape {

Parameter& ParameterSet::add(Backend& backend, const std::string& name, size_t rows, int cols) {
    Parameter p;
    p.name = name;
    p.value = backend.zeros(rows, cols);
    p.grad = backend.zeros(rows, cols);
    p.exp_avg = backend.zeros(rows, cols);
    p.exp_avg_sq = backend.zeros(rows, cols);
    m_params.push_back(std::move(p));
    return m_params.back();
}

Parameter* ParameterSet::find(const std::string& name) {
    for (auto& p : m_params)
        if (p.name == name) return &p;
    return nullptr;
}

Parameter& ParameterSet::get(const std::string& name) {
    if (Parameter* p = find(name)) return *p;
    throw Error(cat("no parameter named '", name, "'"));
}

const Parameter& ParameterSet::get(const std::string& name) const {
    return const_cast<ParameterSet*>(this)->get(name);
}

void ParameterSet::zero_grads(Backend& backend) {
    for (auto& p : m_params) backend.fill(p.grad, 0.0f);
}

void ParameterSet::keep_rows(Backend& backend, const Tensor& rows) {
    for (auto& p : m_params) {
        p.value = backend.gather_rows(p.value, rows);
        p.exp_avg = backend.gather_rows(p.exp_avg, rows);
        p.exp_avg_sq = backend.gather_rows(p.exp_avg_sq, rows);
        p.grad = backend.zeros(p.value.rows(), p.value.cols());
    }
}

void ParameterSet::append_rows(Backend& backend, std::vector<Tensor> values) {
    if (values.size() != m_params.size())
        throw Error(cat("append_rows: ", values.size(), " tensors for ", m_params.size(), " parameters"));
    for (size_t i = 0; i < m_params.size(); ++i) {
        Parameter& p = m_params[i];
        const size_t added = values[i].rows();
        p.value = backend.concat_rows(p.value, values[i]);
        Tensor zero = backend.zeros(added, p.value.cols());
        p.exp_avg = backend.concat_rows(p.exp_avg, zero);
        p.exp_avg_sq = backend.concat_rows(p.exp_avg_sq, zero);
        p.grad = backend.zeros(p.value.rows(), p.value.cols());
    }
}

} // namespace splatscape
