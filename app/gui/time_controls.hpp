#pragma once
// Playback of a dynamic (4D) scene's time in the viewer: the time shown in [time_min, time_max],
// play / pause, speed and loop. 1x plays the whole time range in kPlaySeconds. No ImGui here, so
// the logic is tested without a window (tests/gui/test_time_controls_4d.cpp).
#include <algorithm>
#include <cmath>

namespace splatscape::gui {

struct TimeControls {
    static constexpr double kPlaySeconds = 5.0;

    float time_min = 0.0f, time_max = 1.0f;
    float time = 0.0f;
    bool playing = false;
    float speed = 1.0f;
    bool loop = true;

    // A new scene's range; the time starts at its beginning, paused.
    void set_range(float t0, float t1) {
        time_min = t0;
        time_max = std::max(t0, t1);
        time = time_min;
        playing = false;
    }
    void set_time(float t) { time = std::clamp(t, time_min, time_max); }
    // Advances the time by `seconds` of wall time while playing: wraps to the start at the end when
    // looping, else stops there. Returns whether the time changed.
    bool advance(double seconds) {
        if (!playing || !(seconds > 0.0)) return false;
        const double span = double(time_max) - double(time_min);
        if (!(span > 0.0)) {
            playing = false;
            return false;
        }
        double t = double(time) + seconds * double(speed) * span / kPlaySeconds;
        if (t > time_max) {
            if (loop)
                t = time_min + std::fmod(t - time_min, span);
            else {
                t = time_max;
                playing = false;
            }
        }
        const float before = time;
        time = float(t);
        return time != before;
    }
};

// The Time panel's command (inside command::SceneCommand): the new time and playback settings.
struct SetTime {
    TimeControls controls;
};

} // namespace splatscape::gui
