// WebGL2 splat renderer. It draws one instanced quad per splat, back to front with "over"
// blending of premultiplied colour, and evaluates each splat exactly as docs/rasterizer.md does:
// the same projection (with the 1.3 guard band in the Jacobian), EWA 2D covariance with the scene's
// dilation (0.3, or what it was trained with) and opacity compensation when it was antialiased, conic, SH colour with the +0.5 offset and clamp at 0, alpha = min(0.99, o exp(power))
// and the 1/255 cut. Each quad covers the pixels the tile rasterizer would consider: the splat's
// 16x16-tile rectangle from its 3-sigma radius, clipped to the ellipse beyond which alpha < 1/255.
// What remains different from the tile rasterizer: its early stop once transmittance drops below
// 1e-4, and float rounding in blending (a float colour target is used when the browser offers one).
//
// Splat data lives in one RGBA32F texture, `texelsPerSplat` texels per splat:
//   0: x y z opacity   1: cov xx xy xz yy   2: cov yz zz - -   3: SH DC r g b -
//   4..: SH coefficients 1..K-1, three floats each, packed four per texel.

import { splatVertexHeader } from './splat_glsl.js';
import { SPLAT4D_VS, MIN_TEMPORAL_WEIGHT, packSplat4d, texelsPerSplat4d } from './splat4d.js';

const SPLAT_VS = `${splatVertexHeader()}
void main() {
    int i = int(a_index);
    vec4 t0 = splatTexel(i, 0);
    vec4 t1 = splatTexel(i, 1);
    vec4 t2 = splatTexel(i, 2);
    mat3 sigma = mat3(t1.x, t1.y, t1.z, t1.y, t1.w, t2.x, t1.z, t2.x, t2.y);
    if (!projectSplat(t0.xyz, sigma, t0.w)) return;
    float f[48];
    vec4 dc = splatTexel(i, 3);
    f[0] = dc.x; f[1] = dc.y; f[2] = dc.z;
    int rest = (u_shDegree + 1) * (u_shDegree + 1) * 3 - 3;
    for (int q = 0; q < 12; ++q) {  // the rest, packed four per texel: at most 45 floats
        if (4 * q >= rest) break;
        vec4 v = splatTexel(i, 4 + q);
        f[3 + 4 * q] = v.x;
        if (4 * q + 1 < rest) f[4 + 4 * q] = v.y;
        if (4 * q + 2 < rest) f[5 + 4 * q] = v.z;
        if (4 * q + 3 < rest) f[6 + 4 * q] = v.w;
    }
    v_color = evalSh(f, normalize(t0.xyz - u_camCenter));
}
`;

const SPLAT_FS = `#version 300 es
precision highp float;
uniform vec2 u_size;
flat in vec3 v_color;
flat in float v_opacity;
flat in vec3 v_conic;
flat in vec2 v_mean;
out vec4 outColor;
void main() {
    vec2 pixel = vec2(gl_FragCoord.x, u_size.y - gl_FragCoord.y);  // image rows run down
    vec2 d = v_mean - pixel;
    float power = -0.5 * (v_conic.x * d.x * d.x + v_conic.z * d.y * d.y) - v_conic.y * d.x * d.y;
    if (power > 0.0) discard;
    float alpha = min(0.99, v_opacity * exp(power));
    if (alpha < 1.0 / 255.0) discard;
    outColor = vec4(v_color * alpha, alpha);
}
`;

const COPY_VS = `#version 300 es
const vec2 corners[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
void main() { gl_Position = vec4(corners[gl_VertexID], 0.0, 1.0); }
`;

const COPY_FS = `#version 300 es
precision highp float;
uniform sampler2D u_image;
out vec4 outColor;
void main() {
    vec4 c = texelFetch(u_image, ivec2(gl_FragCoord.xy), 0);
    outColor = vec4(clamp(c.rgb, 0.0, 1.0), 1.0);
}
`;

function compile(gl, vsSource, fsSource) {
    const make = (type, src) => {
        const s = gl.createShader(type);
        gl.shaderSource(s, src);
        gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
        return s;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, make(gl.VERTEX_SHADER, vsSource));
    gl.attachShader(prog, make(gl.FRAGMENT_SHADER, fsSource));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error('program: ' + gl.getProgramInfoLog(prog));
    const uniforms = {};
    const n = gl.getProgramParameter(prog, gl.ACTIVE_UNIFORMS);
    for (let i = 0; i < n; ++i) {
        const info = gl.getActiveUniform(prog, i);
        uniforms[info.name] = gl.getUniformLocation(prog, info.name);
    }
    return { prog, uniforms };
}

// World covariance R S S^T R^T of one splat: xx xy xz yy yz zz.
function covariance(scene, i, out) {
    const q = scene.rotations, s = scene.scales;
    const w = q[4 * i], x = q[4 * i + 1], y = q[4 * i + 2], z = q[4 * i + 3];
    const R = [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)];
    const sx = s[3 * i], sy = s[3 * i + 1], sz = s[3 * i + 2];
    const M = [R[0] * sx, R[1] * sy, R[2] * sz, R[3] * sx, R[4] * sy, R[5] * sz, R[6] * sx, R[7] * sy, R[8] * sz];
    const e = (r, c) => M[3 * r] * M[3 * c] + M[3 * r + 1] * M[3 * c + 1] + M[3 * r + 2] * M[3 * c + 2];
    out[0] = e(0, 0); out[1] = e(0, 1); out[2] = e(0, 2); out[3] = e(1, 1); out[4] = e(1, 2); out[5] = e(2, 2);
}

export class SplatRenderer {
    constructor(canvas) {
        const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, depth: false, stencil: false,
            premultipliedAlpha: false, preserveDrawingBuffer: true });
        if (!gl) throw new Error('WebGL2 is not available in this browser');
        this.gl = gl;
        this.canvas = canvas;
        this.splat = compile(gl, SPLAT_VS, SPLAT_FS);
        this.splat4d = compile(gl, SPLAT4D_VS, SPLAT_FS);  // 4D scenes: sliced in the shader (splat4d.js)
        this.copy = compile(gl, COPY_VS, COPY_FS);
        this.maxTexture = gl.getParameter(gl.MAX_TEXTURE_SIZE);
        // Blending into a float target avoids rounding colour to 8 bits at every layer.
        this.floatTarget = null;
        if (gl.getExtension('EXT_color_buffer_float')) this.floatTarget = gl.getExtension('EXT_float_blend') ? 'rgba32f' : 'rgba16f';
        const dbg = gl.getExtension('WEBGL_debug_renderer_info');
        this.rendererName = dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);

        this.vao = gl.createVertexArray();
        gl.bindVertexArray(this.vao);
        const corners = gl.createBuffer();
        gl.bindBuffer(gl.ARRAY_BUFFER, corners);
        gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
        const cornerLoc = gl.getAttribLocation(this.splat.prog, 'a_corner');
        gl.enableVertexAttribArray(cornerLoc);
        gl.vertexAttribPointer(cornerLoc, 2, gl.FLOAT, false, 0, 0);
        this.orderBuffer = gl.createBuffer();
        gl.bindBuffer(gl.ARRAY_BUFFER, this.orderBuffer);
        const indexLoc = gl.getAttribLocation(this.splat.prog, 'a_index');
        gl.enableVertexAttribArray(indexLoc);
        gl.vertexAttribIPointer(indexLoc, 1, gl.UNSIGNED_INT, 0, 0);
        gl.vertexAttribDivisor(indexLoc, 1);
        gl.bindVertexArray(null);
        // The same buffers for the 4D program, whose attribute locations may differ.
        this.vao4d = gl.createVertexArray();
        gl.bindVertexArray(this.vao4d);
        gl.bindBuffer(gl.ARRAY_BUFFER, corners);
        const cornerLoc4d = gl.getAttribLocation(this.splat4d.prog, 'a_corner');
        gl.enableVertexAttribArray(cornerLoc4d);
        gl.vertexAttribPointer(cornerLoc4d, 2, gl.FLOAT, false, 0, 0);
        gl.bindBuffer(gl.ARRAY_BUFFER, this.orderBuffer);
        const indexLoc4d = gl.getAttribLocation(this.splat4d.prog, 'a_index');
        gl.enableVertexAttribArray(indexLoc4d);
        gl.vertexAttribIPointer(indexLoc4d, 1, gl.UNSIGNED_INT, 0, 0);
        gl.vertexAttribDivisor(indexLoc4d, 1);
        gl.bindVertexArray(null);
        this.emptyVao = gl.createVertexArray();
        this.time = 0;  // 4D scenes: the scene time drawn

        this.texture = null;
        this.instances = 0;
        this.scene = null;
        this.target = null;
    }

    // Allocates the splat texture for `scene` and uploads its decoded rows.
    setScene(scene) {
        const gl = this.gl;
        const restFloats = (scene.shCoeffs - 1) * 3;
        this.texelsPerSplat = scene.is4d ? texelsPerSplat4d(scene) : 4 + Math.ceil(restFloats / 4);
        this.texWidth = Math.min(this.maxTexture, 4096);
        this.texHeight = Math.max(1, Math.ceil((scene.count * this.texelsPerSplat) / this.texWidth));
        if (this.texHeight > this.maxTexture)
            throw new Error(`${scene.count} splats with SH degree ${scene.shDegree} exceed this GPU's texture size`);
        if (this.texture) gl.deleteTexture(this.texture);
        this.texture = gl.createTexture();
        gl.bindTexture(gl.TEXTURE_2D, this.texture);
        gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA32F, this.texWidth, this.texHeight);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
        this.scene = scene;
        this.uploaded = 0;
        this.instances = 0;
        this.updateRows(scene.loaded);
    }

    // Uploads splats [uploaded, upTo) of the current scene (for progressive loading).
    updateRows(upTo) {
        const gl = this.gl, scene = this.scene, T = this.texelsPerSplat, W = this.texWidth;
        if (!scene || upTo <= this.uploaded) return;
        const from = this.uploaded;
        const rowStart = Math.floor((from * T) / W), rowEnd = Math.ceil((upTo * T) / W);
        const data = new Float32Array((rowEnd - rowStart) * W * 4);
        const base = rowStart * W;
        // Rows are re-uploaded whole: keep what an earlier call wrote into the first row.
        const cov = new Float32Array(6);
        const k = scene.shCoeffs;
        for (let i = Math.floor(base / T); i < upTo; ++i) {
            if ((i + 1) * T <= base) continue;
            if (scene.is4d) {
                packSplat4d(scene, i, T, base, data);
                continue;
            }
            covariance(scene, i, cov);
            const texel = [
                [scene.positions[3 * i], scene.positions[3 * i + 1], scene.positions[3 * i + 2], scene.opacities[i]],
                [cov[0], cov[1], cov[2], cov[3]], [cov[4], cov[5], 0, 0],
                [scene.sh[i * k * 3], scene.sh[i * k * 3 + 1], scene.sh[i * k * 3 + 2], 0]];
            for (let t = 0; t < T; ++t) {
                const o = (i * T + t - base) * 4;
                if (o < 0) continue;
                if (t < 4) data.set(texel[t], o);
                else
                    for (let c = 0; c < 4; ++c) {
                        const f = (t - 4) * 4 + c;  // index among the rest coefficients' floats
                        data[o + c] = f < (k - 1) * 3 ? scene.sh[i * k * 3 + 3 + f] : 0;
                    }
            }
        }
        gl.bindTexture(gl.TEXTURE_2D, this.texture);
        gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, rowStart, W, rowEnd - rowStart, gl.RGBA, gl.FLOAT, data);
        this.uploaded = upTo;
    }

    // Back-to-front splat indices from the sorter.
    setOrder(order) {
        const gl = this.gl;
        gl.bindBuffer(gl.ARRAY_BUFFER, this.orderBuffer);
        gl.bufferData(gl.ARRAY_BUFFER, order, gl.DYNAMIC_DRAW);
        this.instances = order.length;
    }

    ensureTarget(w, h) {
        const gl = this.gl;
        if (!this.floatTarget) return null;
        if (this.target && this.target.w === w && this.target.h === h) return this.target;
        if (this.target) {
            gl.deleteFramebuffer(this.target.fbo);
            gl.deleteTexture(this.target.tex);
        }
        const tex = gl.createTexture();
        gl.bindTexture(gl.TEXTURE_2D, tex);
        gl.texStorage2D(gl.TEXTURE_2D, 1, this.floatTarget === 'rgba32f' ? gl.RGBA32F : gl.RGBA16F, w, h);
        // Float textures are not filterable by default; with the default filters they read as black.
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
        const fbo = gl.createFramebuffer();
        gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
        gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
        if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) {
            gl.bindFramebuffer(gl.FRAMEBUFFER, null);
            this.floatTarget = null;
            return null;
        }
        gl.bindFramebuffer(gl.FRAMEBUFFER, null);
        this.target = { tex, fbo, w, h };
        return this.target;
    }

    render(camera, background, maxShDegree) {
        const gl = this.gl;
        const w = camera.width, h = camera.height;
        const target = this.ensureTarget(w, h);
        gl.bindFramebuffer(gl.FRAMEBUFFER, target ? target.fbo : null);
        gl.viewport(0, 0, w, h);
        gl.disable(gl.DEPTH_TEST);
        gl.clearColor(background[0], background[1], background[2], 1);
        gl.clear(gl.COLOR_BUFFER_BIT);
        if (this.scene && this.instances > 0) {
            const program = this.scene.is4d ? this.splat4d : this.splat;
            const u = program.uniforms;
            gl.useProgram(program.prog);
            gl.activeTexture(gl.TEXTURE0);
            gl.bindTexture(gl.TEXTURE_2D, this.texture);
            gl.uniform1i(u.u_splats, 0);
            gl.uniform1i(u.u_texelsPerSplat, this.texelsPerSplat);
            gl.uniform1i(u.u_texWidth, this.texWidth);
            gl.uniformMatrix3fv(u.u_R, true, new Float32Array(camera.R));  // R is row-major
            gl.uniform3fv(u.u_t, camera.t);
            gl.uniform4f(u.u_intrinsics, camera.fx, camera.fy, camera.cx, camera.cy);
            gl.uniform2f(u.u_size, w, h);
            gl.uniform3fv(u.u_camCenter, camera.center());
            gl.uniform1i(u.u_shDegree, Math.min(this.scene.shDegree, maxShDegree));
            gl.uniform1f(u.u_eps2d, this.scene.eps2d ?? 0.3);
            gl.uniform1i(u.u_antialiased, this.scene.antialiased ? 1 : 0);
            if (this.scene.is4d) {
                gl.uniform1i(u.u_shCoeffs, this.scene.shCoeffs);
                gl.uniform1i(u.u_shDegreeT, this.scene.shDegreeT);
                gl.uniform1f(u.u_time, this.time);
                gl.uniform1f(u.u_timePeriod, this.scene.timePeriod);
                gl.uniform1f(u.u_minWeight, MIN_TEMPORAL_WEIGHT);
            }
            gl.enable(gl.BLEND);
            gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);  // premultiplied "over", back to front
            gl.bindVertexArray(this.scene.is4d ? this.vao4d : this.vao);
            gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, this.instances);
            gl.bindVertexArray(null);
            gl.disable(gl.BLEND);
        }
        if (target) {
            gl.bindFramebuffer(gl.FRAMEBUFFER, null);
            gl.viewport(0, 0, w, h);
            gl.useProgram(this.copy.prog);
            gl.activeTexture(gl.TEXTURE0);
            gl.bindTexture(gl.TEXTURE_2D, target.tex);
            gl.uniform1i(this.copy.uniforms.u_image, 0);
            gl.bindVertexArray(this.emptyVao);
            gl.drawArrays(gl.TRIANGLES, 0, 3);
            gl.bindVertexArray(null);
        }
    }
}
