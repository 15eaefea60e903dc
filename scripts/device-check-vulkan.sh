#!/usr/bin/env bash
# The Vulkan renderer's GPU check (../shared/DEVICE.md): its tests and benchmarks on the GPU machine.
#
#   scripts/device-check-vulkan.sh bundle [BUILD_DIR]   on a build machine: gathers the test and
#       benchmark executables, the shared libraries the GPU machine lacks and the donut scene into
#       .device/vulkan (git ignores .device/); BUILD_DIR defaults to build.
#   scripts/device-check-vulkan.sh run                  on the GPU machine, from the checkout root
#       (with .device/vulkan carried along, and the Vulkan loader and glvnd unpacked as DEVICE.md
#       says): writes tests.log, test XML and bench.jsonl (one JSON line per figure) to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=.device/vulkan
case "${1:-}" in
bundle)
    build=${2:-build}
    rm -rf "$bundle"
    mkdir -p "$bundle/lib" "$bundle/datasets/gs_ply_donut/point_cloud/iteration_30000"
    for exe in bench/bench_render tests/renderer/test_renderer tests/renderer/test_renderer_vs_cpu; do
        cp "$build/$exe" "$bundle/"
        strip "$bundle/$(basename "$exe")"
    done
    for lib in libvulkan.so.1 libstb.so.0 libgomp.so.1 libzstd.so.1; do
        cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')" "$bundle/lib/"
    done
    donut=../shared/datasets/gs_ply_donut/point_cloud/iteration_30000/fused.ply
    if [[ -f "$donut" ]]; then cp "$donut" "$bundle/datasets/gs_ply_donut/point_cloud/iteration_30000/"; fi
    du -sh "$bundle"
    ;;
run)
    out=${OUT:-/tmp/device-check-vulkan}
    mkdir -p "$out"
    export LD_LIBRARY_PATH=$PWD/$bundle/lib XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
    export SPLATSCAPE_VK_VALIDATION=0 SPLATSCAPE_DATASETS=$PWD/$bundle/datasets
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
        if [[ -f $icd ]]; then export VK_DRIVER_FILES=$icd; break; fi
    done
    cd "$bundle"
    nvidia-smi -L > "$out/gpu.txt" 2>&1 || true
    status=0
    timeout 180 ./test_renderer --gtest_output="xml:$out/test_renderer.xml" > "$out/tests.log" 2>&1 || status=1
    timeout 180 ./test_renderer_vs_cpu --gtest_output="xml:$out/test_renderer_vs_cpu.xml" >> "$out/tests.log" 2>&1 || status=1
    grep -E "^\[ [a-z]|PASSED|FAILED" "$out/tests.log" || true
    scenes=(stress1m stress6m)
    if [[ -f datasets/gs_ply_donut/point_cloud/iteration_30000/fused.ply ]]; then scenes+=(donut); fi
    for scene in "${scenes[@]}"; do
        extra=()
        if [[ $scene == stress1m ]]; then extra=(--sort-keys 10000000); fi
        timeout 240 ./bench_render --scene "$scene" --frames 50 "${extra[@]}" >> "$out/bench.jsonl" 2>> "$out/bench.err" || status=1
    done
    cat "$out/bench.jsonl"
    exit $status
    ;;
*)
    echo "usage: scripts/device-check-vulkan.sh bundle [BUILD_DIR] | run" >&2
    exit 2
    ;;
esac
