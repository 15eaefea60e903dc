#pragma once
// Turning a sags model into plain 3D Gaussians, for every format and viewer that reads them: the
// Gaussians one camera sees (exact, view-dependent colour and opacity baked for that camera), or
// view-independent ones whose colour is a degree-3 SH fit to the decoded colours over many views.
#include <memory>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/sags_scene.hpp"
#include "training/backend.hpp"
#include "training/kernels/math.hpp"

namespace splatscape {

class SagsModel;

// A camera as stored with a sags model (kSagsCameraFloats floats), and back.
void sags_store_camera(const kern::RasterCamera<float>& camera, float* out);
kern::RasterCamera<float> sags_load_camera(const float* stored);

// The Gaussians `camera` decodes (SH degree 0: the decoded colour), without the points dropped for it.
GaussianCloud sags_decode_view(SagsModel& model, const kern::RasterCamera<float>& camera);

struct SagsShFit {
    int max_views = 64;                // training cameras decoded (evenly spaced through the stored ones)
    float ridge = 0.05f;               // weight of |c_k|^2 (k >= 1, per view seen) in the least squares
    float min_opacity = 1.0f / 255.0f; // points whose mean opacity is below this are left out
};

// For every point: its Gaussian decoded from each training camera that sees it (virtual cameras on a
// sphere around the scene when the model has none): colours fitted with degree-3 SH to
// (direction, decoded colour) by ridge-regularised least squares, opacity the mean of max(alpha, 0)
// over those views, log-scales averaged, rotations averaged (signs aligned, normalised). Points no
// camera sees are left out.
GaussianCloud sags_decode_view_independent(SagsModel& model, const SagsShFit& options);

// The view-independent part of the encoder for every point, and the decoders (what the Vulkan viewer
// decodes each frame from).
SagsDecodeCache sags_decode_cache(SagsModel& model);

// A model for decoding a stored scene (a .sags file) on `backend`; `where` names the file in errors.
std::unique_ptr<SagsModel> sags_model_from_scene(Backend& backend, const SagsScene& scene, const std::string& where);

} // namespace splatscape
