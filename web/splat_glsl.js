// GLSL shared by the vertex shaders of 3D splats (renderer.js) and 4D splats (splat4d.js): the
// splat texture, the real SH of bands 0..3 with the 3DGS reference's constants, and the projection
// of a 3D Gaussian to the screen quad the tile rasterizer would consider (docs/rasterizer.md).

// Declarations and helpers; `extraUniforms` is inserted after the common uniforms.
export function splatVertexHeader(extraUniforms = '') {
    return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
uniform sampler2D u_splats;
uniform int u_texelsPerSplat;
uniform int u_texWidth;
uniform mat3 u_R;
uniform vec3 u_t;
uniform vec4 u_intrinsics;   // fx fy cx cy
uniform vec2 u_size;         // width height in pixels
uniform vec3 u_camCenter;
uniform int u_shDegree;      // active spatial degree
uniform float u_eps2d;       // the 2D low-pass filter's variance, pixels^2
uniform bool u_antialiased;  // opacity compensation of that filter
${extraUniforms}
in vec2 a_corner;
in uint a_index;
flat out vec3 v_color;
flat out float v_opacity;
flat out vec3 v_conic;
flat out vec2 v_mean;

vec4 splatTexel(int i, int t) {
    int idx = i * u_texelsPerSplat + t;
    return texelFetch(u_splats, ivec2(idx % u_texWidth, idx / u_texWidth), 0);
}

void cull() {
    gl_Position = vec4(0.0, 0.0, 2.0, 1.0);  // outside the clip volume
}

// SH colour in direction d from coefficients f (coefficient k at 3k..3k+2, DC first), bands
// 0..u_shDegree, with the +0.5 offset and the clamp at 0.
vec3 evalSh(float f[48], vec3 d) {
    #define COEF(j) vec3(f[3 * (j)], f[3 * (j) + 1], f[3 * (j) + 2])
    vec3 c = 0.28209479177387814 * COEF(0);
    if (u_shDegree > 0) {
        float x = d.x, y = d.y, z = d.z;
        c += -0.4886025119029199 * y * COEF(1) + 0.4886025119029199 * z * COEF(2) - 0.4886025119029199 * x * COEF(3);
        if (u_shDegree > 1) {
            float xx = x * x, yy = y * y, zz = z * z;
            c += 1.0925484305920792 * x * y * COEF(4) - 1.0925484305920792 * y * z * COEF(5)
               + 0.31539156525252005 * (2.0 * zz - xx - yy) * COEF(6) - 1.0925484305920792 * x * z * COEF(7)
               + 0.5462742152960396 * (xx - yy) * COEF(8);
            if (u_shDegree > 2) {
                c += -0.5900435899266435 * y * (3.0 * xx - yy) * COEF(9) + 2.890611442640554 * x * y * z * COEF(10)
                   - 0.4570457994644658 * y * (4.0 * zz - xx - yy) * COEF(11)
                   + 0.3731763325901154 * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * COEF(12)
                   - 0.4570457994644658 * x * (4.0 * zz - xx - yy) * COEF(13)
                   + 1.445305721320277 * z * (xx - yy) * COEF(14) - 0.5900435899266435 * x * (xx - 3.0 * yy) * COEF(15);
            }
        }
    }
    #undef COEF
    return max(c + 0.5, vec3(0.0));
}

// Projects the Gaussian (world mean mu, covariance sigma, opacity) and places this vertex of its
// quad; sets v_conic, v_mean and v_opacity. False (and the quad culled) when it draws nothing.
bool projectSplat(vec3 mu, mat3 sigma, float opacity) {
    vec3 p = u_R * mu + u_t;
    if (p.z <= 0.01 || p.z >= 1e10 || opacity < 1.0 / 255.0) { cull(); return false; }
    float fx = u_intrinsics.x, fy = u_intrinsics.y;
    float lx = 1.3 * 0.5 * u_size.x / fx, ly = 1.3 * 0.5 * u_size.y / fy;
    float tx = clamp(p.x / p.z, -lx, lx) * p.z, ty = clamp(p.y / p.z, -ly, ly) * p.z;
    vec3 j0 = vec3(fx / p.z, 0.0, -fx * tx / (p.z * p.z));
    vec3 j1 = vec3(0.0, fy / p.z, -fy * ty / (p.z * p.z));
    vec3 r0 = j0 * u_R, r1 = j1 * u_R;  // rows of J R
    float a0 = dot(r0, sigma * r0), c0 = dot(r1, sigma * r1);
    float b = dot(r0, sigma * r1);
    float a = a0 + u_eps2d, c = c0 + u_eps2d;
    float det = a * c - b * b;
    if (det <= 0.0) { cull(); return false; }
    if (u_antialiased) opacity *= sqrt(max((a0 * c0 - b * b) / det, 0.0));
    vec2 mean = vec2(fx * p.x / p.z + u_intrinsics.z, fy * p.y / p.z + u_intrinsics.w);
    float mid = 0.5 * (a + c);
    float radius = ceil(3.0 * sqrt(mid + sqrt(max(0.1, mid * mid - det))));
    vec2 tiles = ceil(u_size / 16.0);
    vec2 lo = clamp(floor((mean - radius) / 16.0), vec2(0.0), tiles) * 16.0;
    vec2 hi = min(clamp(floor((mean + radius) / 16.0) + 1.0, vec2(0.0), tiles) * 16.0, u_size);
    // Beyond Mahalanobis distance sqrt(2 ln(255 o)) alpha falls under 1/255; one pixel of margin.
    float m = sqrt(max(0.0, 2.0 * log(255.0 * opacity)));
    vec2 extent = m * sqrt(vec2(a, c)) + 1.0;
    lo = max(lo, mean - extent);
    hi = min(hi, mean + extent);
    if (hi.x <= lo.x || hi.y <= lo.y) { cull(); return false; }
    v_conic = vec3(c / det, -b / det, a / det);
    v_mean = mean;
    v_opacity = opacity;
    vec2 pixel = mix(lo, hi, a_corner);
    gl_Position = vec4(pixel.x / u_size.x * 2.0 - 1.0, 1.0 - pixel.y / u_size.y * 2.0, 0.0, 1.0);
    return true;
}
`;
}
