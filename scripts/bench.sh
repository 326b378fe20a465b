#!/usr/bin/env bash
# Sets up, builds (native with the bench driver, wasm-simd with the ceiling kernel, wasm-scalar) and runs the
# benchmark: one table of medians and ratios, written to bench/results.json too.
# Usage: scripts/bench.sh [--quick] [bench/run.mjs options]   (--quick: tiny shapes, proves it runs)
# POSENC_SKIP_SETUP=1 skips set-up and build (when the caller, e.g. scripts/test.sh, has just done both).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${POSENC_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
  bash scripts/build.sh
fi
# The ceiling kernel (bench/ceiling.cpp) is a target of the wasm-simd build: build/bench/ceiling.wasm.
if [ ! -f build/bench/ceiling.wasm ]; then
  echo "build/bench/ceiling.wasm is missing: run scripts/build.sh wasm-simd first" >&2
  exit 1
fi
# --expose-gc: a forced GC before every sample of calls of 1 ms or more. --single-threaded-gc: no
# concurrent GC threads, whose sweeping after that GC would otherwise land in the next sample's CPU time
# (bench/lib/timing.mjs also primes each sample until V8 has recompiled what the GC threw away).
# Not --single-threaded: V8 without its compiler threads ran the JS side of small calls 3-4x slower than
# users see.
# --no-wasm-dynamic-tiering: wasm compiled optimised from the start, the code a warmed-up app runs; with
# dynamic tiering a kernel called a few times per sample was still being tiered up in the background
# during samples (CPU time 1.5-3x the wall time, 3x swings between runs).
# W7, a training step against tfjs's autograd (bench/train-step.mjs), has its own driver; --quick runs it tiny.
quick=""; for a in "$@"; do [ "$a" = "--quick" ] && quick="--quick"; done
node --no-wasm-dynamic-tiering bench/train-step.mjs $quick || exit 1
exec node --expose-gc --single-threaded-gc --no-wasm-dynamic-tiering bench/run.mjs "$@"
