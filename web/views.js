// Views an exported page carries (core/io/html_export.hpp): the scene's up direction, its background
// and a few cameras of the capture (held-out ones first). The page opens on the first camera, and a
// menu in the toolbar jumps between them as the desktop viewer's camera panel does; orbiting then
// turns about the scene with that up.
import { dot3 } from './camera.js';

// The views embedded in the page, or null.
export function embeddedViews() {
    const element = document.getElementById('splatscape-views');
    if (!element) return null;
    const views = JSON.parse(element.textContent);
    return views && Array.isArray(views.cameras) && views.cameras.length ? views : null;
}

// Puts the camera exactly at `view` (its vertical field of view on this canvas, centred), and the
// orbit controls at the same pose around the point `view.focus` ahead.
export function showView(camera, controls, view) {
    camera.fixedIntrinsics = null;
    camera.fovY = 2 * Math.atan(view.height / (2 * view.fy));
    camera.resize(camera.width, camera.height);
    camera.R = view.R.slice();
    camera.t = view.t.slice();
    const eye = camera.center();
    const forward = view.R.slice(6, 9);
    const focus = view.focus > 0 ? view.focus : 1;
    controls.setPose(eye, [0, 1, 2].map((a) => eye[a] + forward[a] * focus));
    return dot3(forward, forward) > 0;
}

// A <select> in the toolbar listing the views; `onPick(index)` when one is chosen.
export function addViewMenu(views, onPick) {
    const toolbar = document.getElementById('toolbar');
    if (!toolbar || document.getElementById('views')) return null;
    const select = document.createElement('select');
    select.id = 'views';
    select.className = 'button';
    select.title = 'cameras of the capture';
    views.cameras.forEach((view, i) => {
        const option = document.createElement('option');
        option.value = String(i);
        option.textContent = view.name || `camera ${i}`;
        select.appendChild(option);
    });
    select.addEventListener('change', () => onPick(Number(select.value)));
    toolbar.appendChild(select);
    return select;
}
