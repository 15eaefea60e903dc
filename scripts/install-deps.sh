#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Splatscape needs to build, test and run its GUI.
# Idempotent: packages already present are skipped, and nothing is fetched when all are there.
# Usage: scripts/install-deps.sh [--web]   (--web adds Chromium and Node.js for the web-viewer tests, and
# the npm packages of tests/web and tests/interop from their package-lock.json files)
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build pkg-config git ca-certificates
    # Vulkan: headers and loader, shader compiler, Mesa's CPU driver (lavapipe), validation layers
    libvulkan-dev glslc spirv-tools mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
    # windowing and UI
    libglfw3-dev libimgui-dev xvfb xauth
    # header libraries and formats
    libglm-dev libtinygltf-dev libstb-dev nlohmann-json3-dev libcli11-dev libzstd-dev zlib1g-dev libwebp-dev
    # tests
    libgtest-dev
    # sanitizer and fuzzing builds
    clang libclang-rt-dev
    # video decoding for multi-view video datasets and `splatscape process`
    ffmpeg
    # structure from motion for `splatscape process` (CPU SIFT)
    colmap
)
want=("${packages[@]}")
if [[ "${1:-}" == "--web" ]]; then
    want+=(chromium)
    # Node.js may come from elsewhere (nodesource ships npm inside nodejs): only ask apt when absent.
    command -v node >/dev/null 2>&1 || want+=(nodejs)
    command -v npm >/dev/null 2>&1 || want+=(npm)
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: this system has no apt. Install these packages (or their equivalents) by hand:" >&2
    printf '  %s\n' "${want[@]}" >&2
    echo "CUDA is optional: when nvcc is found (PATH or /usr/local/cuda), the CUDA backend is built." >&2
    exit 1
fi

missing=()
for p in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# npm packages of the browser and interop tests (pinned by package-lock.json; node_modules is ignored
# by git): installed when missing or older than the lock file.
install_npm() {
    [[ "${1:-}" == "--web" ]] || return 0
    local dir
    for dir in tests/web tests/interop; do
        local root
        root="$(cd "$(dirname "$0")/.." && pwd)/$dir"
        if [[ ! -d "$root/node_modules" || "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]]; then
            echo "install-deps: npm ci in $dir"
            (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
        fi
    done
}

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#want[@]} packages present"
    install_npm "${1:-}"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
        echo "install-deps: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_npm "${1:-}"
