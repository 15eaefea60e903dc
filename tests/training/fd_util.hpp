#pragma once
// Finite-difference checks shared by the gradient tests.
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "training/kernels/covariance.hpp"
#include "training/kernels/math.hpp"

namespace splatscape::test {

// Central differences of f at x, one coordinate at a time.
inline std::vector<double> numeric_gradient(const std::function<double(const std::vector<double>&)>& f,
                                            std::vector<double> x, double h) {
    std::vector<double> g(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double x0 = x[i];
        x[i] = x0 + h;
        const double fp = f(x);
        x[i] = x0 - h;
        const double fm = f(x);
        x[i] = x0;
        g[i] = (fp - fm) / (2 * h);
    }
    return g;
}

// |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|), element by element.
inline void expect_gradients_near(const std::vector<double>& analytic, const std::vector<double>& numeric, double rtol,
                                  double atol, const std::string& what) {
    ASSERT_EQ(analytic.size(), numeric.size()) << what;
    int failures = 0;
    for (size_t i = 0; i < analytic.size(); ++i) {
        const double a = analytic[i], n = numeric[i];
        const double tol = atol + rtol * std::max(std::abs(a), std::abs(n));
        if (!(std::abs(a - n) <= tol) && failures++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: analytic " << a << " numeric " << n << " (tolerance " << tol
                          << ")";
    }
}

// A camera at `eye` looking at `target` (OpenCV frame: y down), pinhole with focal f.
template <class T>
kern::RasterCamera<T> look_at_camera(kern::Vec3<T> eye, kern::Vec3<T> target, int width, int height, T focal) {
    using V = kern::Vec3<T>;
    V fwd = target - eye;
    fwd = (T(1) / kern::length(fwd)) * fwd;
    V up = {T(0), T(-1), T(0)};
    V right = kern::cross(fwd, up);
    if (kern::length(right) < T(1e-6)) right = kern::cross(fwd, V{T(0), T(0), T(1)});
    right = (T(1) / kern::length(right)) * right;
    V down = kern::cross(fwd, right);
    kern::RasterCamera<T> c;
    const V rows[3] = {right, down, fwd};
    for (int r = 0; r < 3; ++r) {
        c.R.m[r][0] = rows[r].x;
        c.R.m[r][1] = rows[r].y;
        c.R.m[r][2] = rows[r].z;
    }
    const V re = kern::mul(c.R, eye);
    c.t = {-re.x, -re.y, -re.z};
    c.center = eye;
    c.fx = c.fy = focal;
    c.cx = T(width) * T(0.5);
    c.cy = T(height) * T(0.5);
    c.width = width;
    c.height = height;
    return c;
}

} // namespace splatscape::test
