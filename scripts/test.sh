#!/usr/bin/env bash
# Sets up, builds and runs every test: the Catch2 suite natively and as wasm (SIMD and scalar) under
# Node through ctest, natively again under ASan+UBSan (clang) with the fuzz corpus replayed, a bounded
# libFuzzer run over the C++ API, the npm package's node:test suite, and the demo in headless Chromium.
# POSENC_FUZZ_SECONDS sets the fuzz run's length (default 60; 0 skips it).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/build.sh || exit 1
bash scripts/build.sh sanitize || exit 1

status=0
run() { echo; echo "== $*"; "$@" || status=1; }
for b in native wasm-simd wasm-scalar sanitize; do
  run ctest --test-dir "build/$b" --output-on-failure -j2
done
# New inputs go to a scratch folder (the repo's corpus is only read); a crash is saved in test-output/fuzz/.
# A bounded run (a seed, 200 inputs per second of POSENC_FUZZ_SECONDS, at most that long; allocations up to
# 8 GiB allowed: the API legitimately accepts requests above libFuzzer's 2 GiB default): what it finds is
# saved and goes into tests/fuzz/corpus/ with its fix; the longer exploratory run is in docs/testing.md.
fuzz_seconds=${POSENC_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  mkdir -p test-output/fuzz/new
  run build/sanitize/posenc_fuzz -seed=1 -runs=$((fuzz_seconds * 200)) -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=8192 -malloc_limit_mb=8192 -print_final_stats=1 \
    -artifact_prefix=test-output/fuzz/ test-output/fuzz/new tests/fuzz/corpus
fi
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
