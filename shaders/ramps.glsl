// Colour ramps of the render modes that show a value as a colour (splat and NeRF compose passes).
#ifndef SPLATSCAPE_RAMPS_GLSL
#define SPLATSCAPE_RAMPS_GLSL

// Piecewise-linear colour ramps, t in [0, 1].
vec3 ramp(vec3 stops[5], float t) {
    float x = clamp(t, 0.0, 1.0) * 4.0;
    int i = min(int(x), 3);
    return mix(stops[i], stops[i + 1], x - float(i));
}

// Depth: far is dark purple, near is pale yellow.
vec3 depth_ramp(float t) {
    vec3 stops[5] = vec3[5](vec3(0.05, 0.02, 0.15), vec3(0.35, 0.07, 0.45), vec3(0.75, 0.2, 0.35),
                            vec3(0.97, 0.55, 0.15), vec3(0.99, 0.95, 0.6));
    return ramp(stops, t);
}

#endif
