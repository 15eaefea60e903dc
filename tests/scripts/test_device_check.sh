#!/usr/bin/env bash
# The accounting of scripts/device-check.sh run, on fake bundles (no GPU needed): a run in which
# every test program passes exits 0; one in which a program reports a skipped test, a program is
# missing from the bundle, a program fails, or steps are dropped for lack of time exits non-zero
# and names each in its summary. The fake programs print what GoogleTest 1.12 prints.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/splatscape-device-check-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Every test program the script runs (its `gtest NAME ...` steps), so a new step needs no edit here.
mapfile -t programs < <(sed -nE 's/^ *gtest ([A-Za-z0-9_]+) .*/\1/p' "$root/scripts/device-check.sh" | sort -u)
if ((${#programs[@]} < 6)); then
    echo "FAIL: found only ${#programs[@]} test programs in scripts/device-check.sh: ${programs[*]}"
    exit 1
fi
problems=0

# fake_program FILE pass|skip|fail: a GoogleTest-like program with one test.
fake_program() {
    local file=$1 kind=$2
    case $kind in
    pass)
        cat > "$file" <<'PROGRAM'
#!/bin/sh
echo "[ RUN      ] Fake.Test"
echo "[       OK ] Fake.Test (3 ms)"
echo "[==========] 1 test from 1 test suite ran. (3 ms total)"
echo "[  PASSED  ] 1 test."
PROGRAM
        ;;
    skip)
        cat > "$file" <<'PROGRAM'
#!/bin/sh
echo "[ RUN      ] CudaKernels.MatchTheCpu"
echo "tests/training/test_kernels_cuda.cpp:16: Skipped"
echo "no CUDA device on this machine; skipping"
echo ""
echo "[  SKIPPED ] CudaKernels.MatchTheCpu (0 ms)"
echo "[==========] 1 test from 1 test suite ran. (0 ms total)"
echo "[  PASSED  ] 0 tests."
echo "[  SKIPPED ] 1 test, listed below:"
echo "[  SKIPPED ] CudaKernels.MatchTheCpu"
PROGRAM
        ;;
    fail)
        cat > "$file" <<'PROGRAM'
#!/bin/sh
echo "[  FAILED  ] Fake.Test (1 ms)"
exit 1
PROGRAM
        ;;
    esac
    chmod +x "$file"
}

# make_bundle DIR [NAME=KIND ...]: every test program passes unless named; KIND none leaves it out.
make_bundle() {
    local dir=$1
    shift
    rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/lib" "$dir/data"
    declare -A kinds=()
    local spec
    for spec in "$@"; do kinds[${spec%%=*}]=${spec#*=}; done
    local p
    for p in "${programs[@]}"; do
        local kind=${kinds[$p]:-pass}
        [[ $kind == none ]] || fake_program "$dir/bin/$p" "$kind"
    done
    tar -C "$dir" -cf - bin lib | xz -0 > "$dir/exe.tar.xz"
    rm -rf "${dir:?}/bin" "${dir:?}/lib"
}

# check NAME EXPECTED_STATUS MODE [PATTERN ...]: runs the script on $work/NAME; the summary must
# contain every pattern.
check() {
    local name=$1 expected=$2 mode=$3
    shift 3
    local status=0
    DEVICE_CHECK_BUNDLE=$work/$name OUT=$work/$name-out TMPDIR=$work \
        "$root/scripts/device-check.sh" run "$mode" > "$work/$name.log" 2>&1 || status=$?
    local ok=1
    if ((status != expected)); then
        echo "FAIL $name: exit status $status, expected $expected"
        ok=0
    fi
    local pattern
    for pattern in "$@"; do
        if ! grep -qE -- "$pattern" "$work/$name-out/steps.log"; then
            echo "FAIL $name: the summary lacks /$pattern/"
            ok=0
        fi
    done
    if ((ok)); then
        echo "ok   $name (exit status $status): $(grep '^summary:' "$work/$name-out/steps.log")"
    else
        problems=$((problems + 1))
        sed 's/^/     | /' "$work/$name.log"
    fi
}

make_bundle "$work/clean"
check clean 0 tests "^summary: 0 failed, 0 skipped tests, 0 steps missing from the bundle, 0 steps dropped"

make_bundle "$work/skip" test_kernels_cuda=skip
check skip 1 tests "^summary: 0 failed, 1 skipped tests," "^  skipped  test_kernels_cuda: CudaKernels.MatchTheCpu$"

make_bundle "$work/missing" test_live_view_cuda=none
check missing 1 tests "1 steps missing from the bundle" "^  missing  test_live_view_cuda$"

make_bundle "$work/failing" test_cuda_backend=fail
check failing 1 tests "^summary: 1 failed," "^  failed   test_cuda_backend$"

# 20 s leave no room for any step (each needs 15 s beyond a 10 s reserve).
make_bundle "$work/late"
DEVICE_CHECK_SECONDS=20 check late 1 tests "[1-9][0-9]* steps dropped" "^  dropped  test_device_selection_cuda$"

# `all` with no benchmark programs (and neither test_renderer nor test_renderer_tiles) in the bundle: each is missing, not quietly
# passed over.
make_bundle "$work/nobench" test_renderer=none test_renderer_tiles=none
check nobench 1 all "^  missing  bench_train$" "^  missing  bench_train_4d$" "^  missing  bench_render$" \
    "^  missing  test_renderer$" "^  missing  test_renderer_tiles$" "^  missing  bench_tiles$" \
    "^  missing  bench_neural$" "^  missing  bench_nerf$"

# `tiles` with a bundle of CUDA tests only: the tiled-scene steps are missing, not passed over.
make_bundle "$work/notiles" test_renderer_tiles=none
check notiles 1 tiles "^summary: 0 failed, 0 skipped tests, 2 steps missing" "^  missing  test_renderer_tiles$" \
    "^  missing  bench_tiles$"

if ((problems)); then
    echo "$problems of 7 device-check accounting cases failed"
    exit 1
fi
echo "all 7 device-check accounting cases behave"
