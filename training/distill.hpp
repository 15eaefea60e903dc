#pragma once
// Distillation of a NeRF run (hmohe) into Gaussians, the data side of `splatscape distill`
// (docs/training.md, "distill"): the NeRF (the teacher) renders every training camera of its dataset
// and extra cameras between them; the renders become the training split of a Blender-layout dataset
// (the teacher dataset) whose test split is the original dataset's held-out images, as loaded, and
// whose sparse points are seeded from the NeRF's expected depth and density. A Gaussian model (the
// student) then trains on that dataset with the ordinary trainer, and is evaluated on those
// held-out images as any run is.
//
// The teacher dataset (DIR):
//   transforms_train.json   the teacher's views: OpenGL camera-to-world poses, per-frame fl_x fl_y
//                           cx cy w h (frames of different cameras share the split)
//   train/<frame>.png       renders from the training cameras (RGBA when the dataset has alpha:
//                           the NeRF's opacity as alpha; else RGB over the teacher's background)
//   extra/extra_NNNN.png    renders from the extra cameras
//   transforms_test.json    the held-out cameras; heldout/<frame>.png the original held-out images,
//                           loaded as evaluation loads them (resized, undistorted, composited over
//                           the teacher's background), 8-bit
//   points3d.ply            the seeded points (position, NeRF colour)
//   distill.json            where it came from: the teacher model, its dataset, the camera rule and
//                           seeding settings, each view's source cameras
// No held-out image and no render from a held-out camera is in the training split, and every
// extra camera keeps clear of the held-out cameras (DistillCameraRule::holdout_clearance).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/datasets/dataset.hpp"
#include "core/image.hpp"
#include "core/json_util.hpp"
#include "core/nerf_scene.hpp"
#include "core/point_cloud.hpp"
#include "training/evaluation.hpp"

namespace splatscape {

class Backend;
class HmoheNetwork;

// Where the extra cameras go. Extra camera k (a counter-based random draw from `seed`): a training
// camera a, one of its `neighbours` nearest training cameras b (by centre), and t uniform in
// [t_min, t_max]; its centre is at distance lerp(|a - c|, |b - c|, t) from the scene centre c, in
// the direction slerp(a - c, b - c, t); it looks at c with the up vector lerp(up_a, up_b, t), and
// has a's intrinsics and image size. A draw whose centre lies within `holdout_clearance` times a
// held-out camera's distance to its nearest training camera of that held-out camera is drawn again
// (at most 64 tries; a camera that finds no place is left out).
struct DistillCameraRule {
    int extra = 0;
    uint64_t seed = 0;
    int neighbours = 4;
    float t_min = 0.25f;
    float t_max = 0.75f;
    float holdout_clearance = 0.5f;
};

// A camera the teacher renders.
struct TeacherView {
    std::string name; // file path in the teacher dataset, without the extension
    Camera camera;    // pinhole
    int from = -1;    // training frames it lies between (from == to: that training camera)
    int to = -1;
    float t = 0.0f;
};

// The scene centre the extra cameras look at: the centre of the NeRF's inner box (its scene box).
glm::vec3 distill_scene_centre(const NerfScene& scene);
// Radius of each held-out camera's keep-out ball: `clearance` times the distance from its centre to
// the nearest training camera's ([evaluation_frames(dataset).size()]).
std::vector<float> holdout_keep_out(const Dataset& dataset, float clearance);
// Every training camera (render_camera, names "train/<safe frame name>"), then the extra cameras
// ("extra/extra_NNNN") by the rule.
std::vector<TeacherView> teacher_views(const Dataset& dataset, glm::vec3 centre, const DistillCameraRule& rule);

// How the student's sparse points are seeded. Every pixel of every teacher view whose opacity is
// at least `min_opacity` gives its expected-depth point with its straight (un-premultiplied)
// colour; points are averaged per voxel (the NeRF's inner box side / `voxels`); a voxel is kept
// when the NeRF's occupancy grid marks the cell its averaged point lies in and the density there
// times that cell's size (an optical thickness) reaches `min_thickness`, so that averages of a
// foreground and a background depth, which fall in empty space, are dropped; then voxels are
// merged (twice as large each time) until at most `max_points` remain.
struct DistillSeedOptions {
    float min_opacity = 0.5f;
    int voxels = 512;
    float min_thickness = 0.5f;
    size_t max_points = 100000;
};

struct DistillOptions {
    DistillCameraRule cameras;
    DistillSeedOptions seeding;
};

// What write_teacher_dataset made.
struct TeacherDataset {
    std::filesystem::path dir;
    size_t training_views = 0;
    size_t extra_views = 0;      // rendered (the rule may place fewer than asked)
    size_t held_out = 0;         // held-out images in the test split
    size_t depth_points = 0;     // voxels with an expected-depth point, before the density test
    size_t dense_points = 0;     // ... after it
    size_t points = 0;           // in points3d.ply
    float voxel = 0.0f;          // the final voxel size (world units)
    bool alpha = false;          // renders written as RGBA
    glm::vec3 background{0.0f};  // the teacher's background (held-out images are composited on it)
    EvalResult teacher;          // the teacher on the held-out views (3DGS protocol)
    double render_seconds = 0.0; // rendering and writing the views
    double seconds = 0.0;        // everything
    Json to_json() const;
};

// Renders the teacher views and the held-out evaluation with `teacher` (the network of `scene`, on
// `backend`) and writes the teacher dataset into `dir` (created; files of the same names replaced).
// The teacher's held-out renders and their ground truth go to `teacher_eval_dir`/{renders,gt}
// (named as the student's evaluation names its own, so the two compare file by file) unless it is
// empty. `on_view(done, total)` reports progress.
TeacherDataset write_teacher_dataset(Backend& backend, HmoheNetwork& teacher, const NerfScene& scene,
                                     const Dataset& dataset, const std::filesystem::path& dir,
                                     const DistillOptions& options, const std::filesystem::path& teacher_eval_dir = {},
                                     const std::function<void(size_t, size_t)>& on_view = {});

// The name a held-out frame has in the teacher dataset's test split.
std::string teacher_held_out_name(const Frame& frame);

} // namespace splatscape
