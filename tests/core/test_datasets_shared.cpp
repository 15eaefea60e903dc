// The loaders on the real datasets in ../shared/datasets (skipped with a message when absent).
#include <algorithm>
#include <cmath>
#include <vector>

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

std::vector<const Frame*> by_name(const Dataset& d) {
    std::vector<const Frame*> frames;
    for (auto* split : {&d.train, &d.val, &d.test})
        for (auto& f : *split) frames.push_back(&f);
    std::sort(frames.begin(), frames.end(), [](auto* a, auto* b) { return a->name < b->name; });
    return frames;
}

// Angle in degrees of the rotation between camera i and camera j (world-frame independent).
double relative_angle(const Camera& a, const Camera& b) {
    glm::dmat3 rel = glm::dmat3(b.R) * glm::transpose(glm::dmat3(a.R));
    double c = std::clamp((rel[0][0] + rel[1][1] + rel[2][2] - 1.0) / 2.0, -1.0, 1.0);
    return std::acos(c) * 180.0 / 3.14159265358979;
}

// Direction from camera a to camera b, seen in camera a's frame (world-similarity independent).
glm::dvec3 baseline_in_camera(const Camera& a, const Camera& b) {
    return glm::normalize(glm::dmat3(a.R) * (glm::dvec3(b.center()) - glm::dvec3(a.center())));
}

TEST(SharedDatasets, FoxThroughTransformsJson) {
    SPLATSCAPE_REQUIRE_SHARED(root, "fox");
    Dataset d = load_dataset(root);
    EXPECT_EQ(d.format, "ngp");
    EXPECT_EQ(d.frame_count(), 67u);
    EXPECT_EQ(d.test.size(), 9u); // every 8th of 67 sorted names: 0, 8, ..., 64
    EXPECT_EQ(d.train.size(), 58u);
    EXPECT_EQ(d.test[0].name, "images/0001.jpg");
    EXPECT_FALSE(d.has_alpha);
    const Camera& c = d.train[0].camera;
    EXPECT_EQ(c.width, 1080); // portrait, under the 1600 px cap
    EXPECT_EQ(c.height, 1920);
    EXPECT_FLOAT_EQ(c.fx, 1375.52f);
    EXPECT_FLOAT_EQ(c.fy, 1374.49f);
    EXPECT_FLOAT_EQ(c.cx, 554.558f);
    EXPECT_FLOAT_EQ(c.cy, 965.268f);
    EXPECT_EQ(c.distortion.model, DistortionModel::RadialTangential);
    EXPECT_FLOAT_EQ(c.distortion.k[0], 0.0578421f);
    EXPECT_FLOAT_EQ(c.distortion.p2, 0.00015575f);
    // The photos look at the fox: the point nearest to all optical axes is in front of every
    // camera, close to its axis (a pose left in OpenGL axes would put it behind).
    glm::dmat3 a(0.0);
    glm::dvec3 rhs(0.0);
    for (auto* f : by_name(d)) {
        glm::dvec3 dir(f->camera.forward()), c(f->camera.center());
        glm::dmat3 proj = glm::dmat3(1.0) - glm::outerProduct(dir, dir);
        a += proj;
        rhs += proj * c;
    }
    const glm::dvec3 focus = glm::inverse(a) * rhs;
    for (auto* f : by_name(d)) {
        glm::dvec3 to_focus = glm::normalize(focus - glm::dvec3(f->camera.center()));
        EXPECT_GT(glm::dot(to_focus, glm::dvec3(f->camera.forward())), std::cos(20.0 * 3.14159265358979 / 180.0))
            << f->name;
    }
    Image img = d.load_image(d.test[0]);
    EXPECT_EQ(img.width, 1080);
    EXPECT_EQ(img.height, 1920);
    EXPECT_EQ(img.channels, 3);
}

TEST(SharedDatasets, FoxThroughItsColmapModelAgreesWithTransformsJson) {
    SPLATSCAPE_REQUIRE_SHARED(root, "fox");
    DatasetOptions o;
    o.format = "colmap";
    Dataset d = load_dataset(root, o);
    EXPECT_EQ(d.format, "colmap");
    EXPECT_EQ(d.frame_count(), 67u);
    EXPECT_EQ(d.points.size(), 17546u);
    const Camera& c = d.train[0].camera;
    EXPECT_EQ(c.width, 1080);
    EXPECT_EQ(c.height, 1920);
    EXPECT_EQ(c.distortion.model, DistortionModel::RadialTangential); // SIMPLE_RADIAL
    EXPECT_NEAR(c.fx, 1375.0f, 40.0f);
    // Most points are in front of most cameras (the world frames differ; this checks the poses' sense).
    size_t in_front = 0, total = 0;
    for (auto* f : by_name(d))
        for (size_t i = 0; i < d.points.size(); i += 97, ++total) {
            glm::vec3 p(d.points.positions[3 * i], d.points.positions[3 * i + 1], d.points.positions[3 * i + 2]);
            float depth = 0;
            f->camera.project(p, &depth);
            in_front += depth > 0;
        }
    EXPECT_GT(double(in_front) / double(total), 0.95);

    // Two reconstructions of the same photos: relative rotations and baselines agree.
    Dataset ngp = load_dataset(root);
    auto a = by_name(d), b = by_name(ngp);
    ASSERT_EQ(a.size(), b.size());
    std::vector<double> rot_err, dir_err;
    for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ("images/" + a[i]->name, b[i]->name);
        size_t j = (i + 5) % a.size();
        rot_err.push_back(
            std::abs(relative_angle(a[i]->camera, a[j]->camera) - relative_angle(b[i]->camera, b[j]->camera)));
        double cosang =
            glm::dot(baseline_in_camera(a[i]->camera, a[j]->camera), baseline_in_camera(b[i]->camera, b[j]->camera));
        dir_err.push_back(std::acos(std::clamp(cosang, -1.0, 1.0)) * 180.0 / 3.14159265358979);
    }
    std::sort(rot_err.begin(), rot_err.end());
    std::sort(dir_err.begin(), dir_err.end());
    // Measured: relative rotations within 0.09 deg (median) / 0.33 deg (worst), baselines 0.54 / 1.2 deg.
    EXPECT_LT(rot_err[rot_err.size() / 2], 0.5) << "median relative-rotation disagreement, degrees";
    EXPECT_LT(rot_err.back(), 1.5) << "worst relative-rotation disagreement, degrees";
    EXPECT_LT(dir_err[dir_err.size() / 2], 2.0) << "median baseline-direction disagreement, degrees";
    EXPECT_LT(dir_err.back(), 5.0) << "worst baseline-direction disagreement, degrees";
}

TEST(SharedDatasets, DNerfLegoTiny) {
    SPLATSCAPE_REQUIRE_SHARED(root, "dnerf_lego_tiny/dnerf_format");
    Dataset d = load_dataset(root);
    EXPECT_EQ(d.format, "dnerf");
    EXPECT_TRUE(d.dynamic);
    EXPECT_EQ(d.train.size(), 50u);
    EXPECT_EQ(d.val.size(), 11u);
    EXPECT_EQ(d.test.size(), 20u);
    const Camera& c = d.train[0].camera;
    EXPECT_EQ(c.width, 100);
    EXPECT_EQ(c.height, 100);
    EXPECT_NEAR(c.fx, 138.8889f, 1e-3f); // 50 / tan(0.6911 / 2)
    float t0 = 2, t1 = -1;
    for (auto* f : by_name(d)) {
        ASSERT_TRUE(f->time.has_value()) << f->name;
        t0 = std::min(t0, *f->time);
        t1 = std::max(t1, *f->time);
    }
    EXPECT_EQ(t0, 0.0f);
    EXPECT_EQ(t1, 1.0f);
    // Blender scenes sit at the origin, cameras on a sphere around it looking in.
    for (auto* f : by_name(d)) EXPECT_GT(glm::dot(glm::normalize(-f->camera.center()), f->camera.forward()), 0.95f);
    EXPECT_EQ(d.load_image(d.val[3]).width, 100);
}

TEST(SharedDatasets, FernTwoViewColmapAndLlffAgree) {
    SPLATSCAPE_REQUIRE_SHARED(root, "colmap_fern_2view");
    Dataset col = load_dataset(root);
    EXPECT_EQ(col.format, "colmap");
    ASSERT_EQ(col.frame_count(), 2u);
    EXPECT_EQ(col.points.size(), 1448u);
    auto a = by_name(col);
    EXPECT_EQ(a[0]->name, "IMG_4026.JPG");
    EXPECT_EQ(a[0]->source_width, 4032);
    EXPECT_EQ(a[0]->camera.width, 1600); // 4032 x 3024 capped to 1600 wide, as 3DGS does
    EXPECT_EQ(a[0]->camera.height, 1200);
    EXPECT_EQ(a[0]->camera.distortion.model, DistortionModel::RadialTangential); // SIMPLE_RADIAL

    DatasetOptions o;
    o.format = "llff";
    Dataset llff = load_dataset(root, o);
    EXPECT_EQ(llff.format, "llff");
    auto b = by_name(llff);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[1]->name, "IMG_4027.JPG");
    EXPECT_EQ(b[0]->camera.width, 1600);
    EXPECT_EQ(b[0]->camera.height, 1200);
    // hwf's focal (3273.08 px at 4032 wide) scaled to 1600 wide.
    EXPECT_NEAR(b[0]->camera.fx, 3273.07578 * 1600.0 / 4032.0, 1e-2);

    // poses_bounds.npy was made from this very model: after LLFF's axis permutation the poses
    // must coincide in COLMAP's world frame, so the loader also adopts the model's points.
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_LT(glm::length(a[i]->camera.center() - b[i]->camera.center()), 1e-4f) << a[i]->name;
        EXPECT_LT(relative_angle(a[i]->camera, b[i]->camera), 0.01) << a[i]->name;
    }
    EXPECT_EQ(llff.points.size(), 1448u);
    // And what holds whatever the world frame: same relative rotation, same baseline direction.
    EXPECT_NEAR(relative_angle(a[0]->camera, a[1]->camera), relative_angle(b[0]->camera, b[1]->camera), 0.5);
    double cosang =
        glm::dot(baseline_in_camera(a[0]->camera, a[1]->camera), baseline_in_camera(b[0]->camera, b[1]->camera));
    EXPECT_GT(cosang, std::cos(2.0 * 3.14159265358979 / 180.0));
    Image img = col.load_image(*a[1]);
    EXPECT_EQ(img.width, 1600);
    EXPECT_EQ(img.height, 1200);
}

} // namespace
} // namespace splatscape
