#!/usr/bin/env bash
# Builds the three targets of DESIGN.md: native (tests, example, benchmarks), wasm-simd and wasm-scalar
# (tests under Node, and the npm package's .js/.wasm in dist/). Incremental: re-running is cheap.
# `sanitize` (not in the default) is the Catch2 suite and the libFuzzer target built by clang with
# AddressSanitizer and UndefinedBehaviorSanitizer, in build/sanitize; only those two programs are built.
# Usage: scripts/build.sh [native] [wasm-simd] [wasm-scalar] [sanitize]   (default: the first three)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # emcc 3.1.6 needs Debian's acorn at -O2+
jobs=${POSENC_JOBS:-2}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(native wasm-simd wasm-scalar)

for t in "${targets[@]}"; do
  echo "[build] $t"
  case "$t" in
    native) [ -f build/native/CMakeCache.txt ] || cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
    wasm-simd) [ -f build/wasm-simd/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm-simd -DCMAKE_BUILD_TYPE=Release >/dev/null ;;
    wasm-scalar) [ -f build/wasm-scalar/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm-scalar -DCMAKE_BUILD_TYPE=Release -DPOSENC_SIMD=OFF >/dev/null ;;
    sanitize)
      [ -f build/sanitize/CMakeCache.txt ] || CXX=clang++ cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPOSENC_SANITIZE=ON -DPOSENC_FUZZ=ON >/dev/null
      cmake --build build/sanitize -j"$jobs" --target posenc_tests posenc_fuzz
      continue ;;
    *) echo "unknown build '$t' (native, wasm-simd, wasm-scalar, sanitize)" >&2; exit 2 ;;
  esac
  cmake --build "build/$t" -j"$jobs"
done
