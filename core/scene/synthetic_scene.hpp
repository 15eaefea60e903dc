#pragma once
// The built-in synthetic scenes: what `splatscape demo` trains on and the fixture most tests use.
//
//   shapes   a red striped sphere, a checkered box, a striped cylinder, a gradient cone, a tilted
//            noise-textured torus and a glossy blue sphere (the one view-dependent material) on a
//            checkered ground disc of radius 1.5, with four small emissive marker spheres
//            (magenta, yellow, cyan, blue) whose exact colours let tests find them in images.
//   dynamic  the same objects moving over normalised time t in [0, 1]: the red sphere rises and
//            falls, the box and torus spin, the cylinder slides to and fro; markers ride along.
//
// World frame: +z up (as in Blender and the NeRF-synthetic scenes), ground plane z = 0, units of
// about the objects' size (the scene fits in a sphere of radius 1.5 about the origin). Images are
// rendered by the exact ray tracer in core/scene/ray_tracer.hpp and written in the Blender /
// NeRF-synthetic layout (D-NeRF's, with a "time" per frame, for the dynamic scene):
//
//   DIR/transforms_{train,val,test}.json   camera_angle_x; frames with file_path "./train/r_N",
//                                          transform_matrix (OpenGL camera-to-world), time
//   DIR/{train,val,test}/r_N.png           RGBA, straight alpha; rays that miss are transparent
//   DIR/points3d.ply                       points on the visible surfaces (at t = 0), colour = albedo
//   DIR/scene.json                         the objects, markers, lighting and cameras, for tests and docs
//
// Shading: albedo times (hemispherical ambient + a directional key light with hard shadows), plus
// a broad Blinn-Phong highlight on the glossy sphere; 4x4 rays per pixel by default.
// transforms_val.json lists the test views unless extra val views are asked for.
//
// Everything is a function of the options: the same seed gives byte-identical files, whatever the
// number of threads. The seed moves the cameras and the point samples; the objects stay put.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "core/json_util.hpp"
#include "core/point_cloud.hpp"
#include "core/scene/ray_tracer.hpp"

namespace splatscape {

enum class SyntheticSceneKind { Shapes, Dynamic };

std::string to_string(SyntheticSceneKind kind);
// "shapes" (or "static") and "dynamic"; throws UsageError naming the choices otherwise.
SyntheticSceneKind parse_synthetic_scene_kind(const std::string& name);

struct SyntheticSceneOptions {
    SyntheticSceneKind kind = SyntheticSceneKind::Shapes;
    int width = 200;
    int height = 200;
    int train_views = 64;
    int test_views = 16;
    int val_views = 0; // 0: transforms_val.json lists the test views (no extra images)
    uint64_t seed = 0;
    int samples_per_axis = 4;          // anti-aliasing: samples_per_axis^2 rays per pixel over its area
    int points = 4000;                 // points3d.ply size (0: no file)
    float camera_angle_x = 0.6911112f; // horizontal field of view, radians (that of the NeRF-synthetic scenes)
    float camera_distance = 4.0f;      // from the look-at point, before jitter
    float detail = 0.0f; // 0..1: contrast of fine noise added to every object's albedo (markers excepted), for
                         // structure-from-motion tests that need many features; 0 is the standard scene

    // Throws UsageError on values out of range (sizes, counts, angles).
    void validate() const;
};

// One rendered view. The camera is in the internal OpenCV convention at the image's resolution.
struct SyntheticView {
    std::string split; // "train", "val" or "test"
    std::string file;  // relative path without extension, as in the transforms files: "train/r_0"
    Camera camera;
    float time = 0.0f; // always 0 for the static scene
};

// A known 3D point of the scene: an object's centre or a marker sphere's.
struct SyntheticLandmark {
    std::string name;
    glm::vec3 position{0.0f}; // world, at the queried time
    float radius = 0.0f;      // bounding radius about `position`
    bool marker = false;      // a small emissive sphere: it shows exactly `color` wherever it is seen
    glm::vec3 color{0.0f};    // markers: their colour; objects: the texture's first colour
    int primitive = -1;       // index into the scene description
};

struct SyntheticSceneStats {
    size_t images = 0;
    size_t points = 0;
    double seconds = 0.0;              // wall time of generate_synthetic_scene
    double coverage = 0.0;             // mean alpha over all pixels of all images
    double transparent_fraction = 0.0; // pixels with alpha 0
    glm::dvec3 mean_color{0.0};        // mean colour of the covered area (alpha-weighted)
};

// The objects, markers and lighting of a built-in scene (the static one is the dynamic one at rest);
// `detail` as in SyntheticSceneOptions.
scene::SceneDescription synthetic_scene_description(SyntheticSceneKind kind, float detail = 0.0f);
// Object centres and marker centres at `time`, in the order of the scene description (ground excluded).
std::vector<SyntheticLandmark> synthetic_landmarks(SyntheticSceneKind kind, float time = 0.0f);
// The cameras (and times) of every view, in file order: train, then val (when val_views > 0), then test.
// Cameras sit on the upper hemisphere around the look-at point (0, 0, 0.3) on a Fibonacci spiral
// between 12 and 72 degrees of elevation, with seeded jitter of azimuth, elevation, distance and
// aim; train, val and test views take different places on the spiral. Dynamic views take
// shuffled places, with times rising through each split (a camera that jumps around as time
// passes, as in D-NeRF).
std::vector<SyntheticView> synthetic_views(const SyntheticSceneOptions& options);
// options.points points, uniformly distributed by area over the surfaces that at least one train
// view sees at t = 0 (not at a grazing angle); colour = albedo. Fewer when the views see too
// little of the scene to find them in 50 tries per point.
PointCloud sample_synthetic_points(const SyntheticSceneOptions& options, const std::vector<SyntheticView>& views);
// Renders one view of a built-in scene (RGBA, straight alpha), as generate_synthetic_scene does.
Image render_synthetic_view(SyntheticSceneKind kind, const Camera& camera, float time, int samples_per_axis = 4,
                            float detail = 0.0f);
// The scene.json description: objects, markers, lighting, camera placement and options.
Json synthetic_scene_json(const SyntheticSceneOptions& options);

// Writes the whole dataset into `dir` (created when missing; files of the same names are
// replaced). Rendering runs on all cores (OpenMP).
SyntheticSceneStats generate_synthetic_scene(const SyntheticSceneOptions& options, const std::filesystem::path& dir);

} // namespace splatscape
