#pragma once
// Op families. A backend (training/backend.hpp) is a device and its memory; what runs on it comes
// in small interfaces, one per family of ops (raster, image loss, optimizer, densification, 4D
// slicing, hash encoding, MLP, neighbours, ...). Each family is an abstract class in
// training/ops/<family>_ops.hpp with a CPU implementation in training/cpu/<family>_ops_cpu.* and a
// CUDA one in training/cuda/<family>_ops_cuda.*, both calling the per-element math of
// training/kernels/. A backend provides the families it implements when it is made; a model asks
// for the ones it uses when it is created (Backend::ops), so a missing family is reported then, not
// in the middle of training. Adding a model family adds families, it does not widen Backend.
namespace splatscape {

class OpFamily {
public:
    virtual ~OpFamily() = default;
};

} // namespace splatscape
