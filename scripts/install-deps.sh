#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Splatscape needs to build, test and run its GUI.
# Idempotent: packages already present are skipped, and nothing is fetched when all are there.
# Usage: scripts/install-deps.sh [--web] [--slurm] [--test]
#   --web    Chromium and Node.js for the web-viewer tests, and the npm packages of tests/web,
#            tests/interop and tests/batch/k8s from their package-lock.json files
#   --slurm  Slurm and munge, for the test that starts a single-node Slurm (label slurm)
#   --test   everything the test suite uses (--web --slurm)
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
web=0
slurm=0
for arg in "$@"; do
    case "$arg" in
    --web) web=1 ;;
    --slurm) slurm=1 ;;
    --test) web=1 slurm=1 ;;
    *)
        echo "usage: scripts/install-deps.sh [--web] [--slurm] [--test]" >&2
        exit 2
        ;;
    esac
done
# Optional: installed when they can be; the tests that need them skip with a message otherwise.
optional=()
if ((slurm)); then
    # `splatscape batch --runner slurm` is tested on a real single-node Slurm (slurmctld, slurmd, munge).
    optional+=(slurm-wlm munge)
fi
if ((web)); then
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

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}
missing=()
for p in "${want[@]}"; do is_installed "$p" || missing+=("$p"); done
missing_optional=()
for p in "${optional[@]}"; do is_installed "$p" || missing_optional+=("$p"); done

# npm packages of the browser, interop and Kubernetes-manifest tests (pinned by package-lock.json;
# node_modules is ignored by git): installed when missing or older than the lock file.
install_npm() {
    ((web)) || return 0
    local dir root
    for dir in tests/web tests/interop tests/batch/k8s; do
        root="$(cd "$(dirname "$0")/.." && pwd)/$dir"
        if [[ ! -d "$root/node_modules" || "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]]; then
            echo "install-deps: npm ci in $dir"
            (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
        fi
    done
}

if ((${#missing[@]} == 0 && ${#missing_optional[@]} == 0)); then
    echo "install-deps: all $((${#want[@]} + ${#optional[@]})) packages present"
    install_npm
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
        echo "install-deps: not root and no sudo; as root run: apt-get install ${missing[*]} ${missing_optional[*]}" >&2
        if ((${#missing[@]} == 0)); then # only optional ones: their tests skip
            install_npm
            exit 0
        fi
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ((${#missing_optional[@]})); then
    echo "install-deps: installing ${missing_optional[*]}"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" ||
        echo "install-deps: could not install ${missing_optional[*]}; the tests that need them will be skipped" >&2
fi
install_npm
