#!/usr/bin/env bash
# Sets up, builds and runs every test: the Catch2 suite natively and as wasm (SIMD and scalar) under
# Node through ctest, the npm package's node:test suite, and the demo in headless Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/build.sh || exit 1

status=0
run() { echo; echo "== $*"; "$@" || status=1; }
for b in native wasm-simd wasm-scalar; do
  run ctest --test-dir "build/$b" --output-on-failure -j2
done
if compgen -G "tests/js/*.test.js" >/dev/null; then
  run node --test tests/js/
fi
if compgen -G "tests/browser/*.test.js" >/dev/null; then
  run node --test --test-concurrency=1 tests/browser/
fi
# The benchmark in its quick mode: tiny shapes, proves every implementation runs (never a timing test).
POSENC_SKIP_SETUP=1 run npm run --silent bench -- --quick
# The train-short-test-long experiment on a tiny grid (into build/experiment-quick/): proves it runs.
run npm run --silent experiment -- --quick
echo
if [ $status -eq 0 ]; then echo "all test suites passed"; else echo "some test suites FAILED"; fi
exit $status
