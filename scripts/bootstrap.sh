#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, then run the main job or the tests.
#   scripts/bootstrap.sh demo     install, build, run `splatscape demo` on the built-in scene
#   scripts/bootstrap.sh test     install (with the web and Slurm test packages), build, run every test
#   scripts/bootstrap.sh build    install and build only
# Environment: BUILD_DIR (default build), SPLATSCAPE_CMAKE_ARGS (extra configure flags),
# CTEST_ARGS (extra ctest flags, e.g. "-L unit").
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}
case "$mode" in demo | test | build) ;; *)
    echo "usage: scripts/bootstrap.sh demo|test|build" >&2
    exit 2
    ;;
esac

if [[ "$mode" == test ]]; then scripts/install-deps.sh --test; else scripts/install-deps.sh; fi

build=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${SPLATSCAPE_CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"

export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d /tmp/splatscape-xdg.XXXXXX)}
case "$mode" in
demo)
    exec "$build/splatscape" demo
    ;;
test)
    # GUI tests need a display: run the suite under a virtual X server when there is none.
    wrap=()
    if [[ -z "${DISPLAY:-}" ]] && command -v xvfb-run >/dev/null 2>&1; then
        wrap=(xvfb-run -a -s "-screen 0 1600x1200x24")
    fi
    # shellcheck disable=SC2086
    "${wrap[@]}" ctest --test-dir "$build" -j "$jobs" --output-on-failure --no-tests=error ${CTEST_ARGS:-}
    ;;
esac
