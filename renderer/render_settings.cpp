#include "renderer/render_settings.hpp"

#include "core/error.hpp"

namespace splatscape {

std::string to_string(RenderMode mode) {
    switch (mode) {
    case RenderMode::Color:
        return "color";
    case RenderMode::Depth:
        return "depth";
    case RenderMode::Alpha:
        return "alpha";
    case RenderMode::Centers:
        return "centers";
    case RenderMode::Heatmap:
        return "heatmap";
    case RenderMode::Points:
        return "points";
    case RenderMode::Graph:
        return "graph";
    case RenderMode::Curvature:
        return "curvature";
    case RenderMode::Experts:
        return "experts";
    }
    return "color";
}

RenderMode parse_render_mode(const std::string& name) {
    if (name == "color" || name == "colour") return RenderMode::Color;
    if (name == "depth") return RenderMode::Depth;
    if (name == "alpha") return RenderMode::Alpha;
    if (name == "centers" || name == "centres") return RenderMode::Centers;
    if (name == "heatmap") return RenderMode::Heatmap;
    if (name == "points") return RenderMode::Points;
    if (name == "graph") return RenderMode::Graph;
    if (name == "curvature") return RenderMode::Curvature;
    if (name == "experts") return RenderMode::Experts;
    throw UsageError("", "--mode",
                     cat("unknown render mode '", name,
                         "': expected color, depth, alpha, centers, heatmap, for sags scenes points, graph or "
                         "curvature, for NeRF scenes experts"));
}

} // namespace splatscape
