#pragma once
// Procedural surface textures for the synthetic scenes. They are evaluated in an object's local
// frame, so they move with the object, and are band-limited on purpose (sinusoids, softened
// checkers, smooth noise): a splat model trained on a few hundred pixels per object must be able
// to fit them, and pixels average them over their area without aliasing.
#include <string>

#include <glm/vec3.hpp>

namespace splatscape::scene {

enum class Pattern {
    Solid,          // color_a
    Stripes,        // sinusoidal bands across `axis`, `frequency` periods per unit length
    AngularStripes, // sinusoidal bands around the local z axis, `frequency` periods per turn (faded near the axis)
    Checker,        // softened 3D checker, cells 1/frequency units wide
    Gradient,       // linear ramp along `axis` from color_a to color_b over 1/frequency units, centred at 0
    Noise,          // smooth value noise (two octaves), features about 1/frequency units wide
};

std::string to_string(Pattern pattern);

struct Texture {
    Pattern pattern = Pattern::Solid;
    glm::vec3 color_a{0.5f};
    glm::vec3 color_b{0.5f};
    float frequency = 1.0f;
    glm::vec3 axis{0.0f, 0.0f, 1.0f}; // local direction for Stripes and Gradient (unit)
    // Multiplies the colour by 1 + noise_amount * (2 n - 1), n smooth noise at noise_frequency:
    // gentle mottling so large flat areas are not perfectly uniform.
    float noise_amount = 0.0f;
    float noise_frequency = 2.0f;
    // Fine detail: multiplies the colour by 1 + detail_amount * (2 d - 1), d three octaves of
    // value noise from detail_frequency up. Off (0) in the standard scenes; an option of the
    // generator turns it on for structure-from-motion tests, which need many corner-like features.
    float detail_amount = 0.0f;
    float detail_frequency = 12.0f;
};

// Albedo at local point `p` (units of the scene), in [0, 1].
glm::vec3 evaluate_texture(const Texture& texture, glm::vec3 p);

// Smooth 3D value noise in [0, 1] (quintic interpolation of hashed lattice values; fixed hash,
// so it is the same for every seed and platform).
float value_noise(glm::vec3 p);

} // namespace splatscape::scene
