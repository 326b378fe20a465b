#!/usr/bin/env bash
# Sets up, builds what the demo page needs (the package's two WebAssembly modules, not the test builds)
# and serves the page on localhost. PORT picks the port (default 5173); when it is taken the next free
# one is used, and the URL printed is the one actually served.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NODE_PATH=/usr/share/nodejs  # emcc 3.1.6 needs Debian's acorn at -O2+
jobs=${POSENC_JOBS:-2}

# Configured as scripts/build.sh does, so the two share build folders; only the package target is built.
[ -f build/wasm-simd/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm-simd -DCMAKE_BUILD_TYPE=Release >/dev/null
[ -f build/wasm-scalar/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm-scalar -DCMAKE_BUILD_TYPE=Release -DPOSENC_SIMD=OFF >/dev/null
for b in wasm-simd wasm-scalar; do
  echo "[demo] building the package's $b module"
  cmake --build "build/$b" --target posenc_core -j"$jobs"
done

wanted=${PORT:-5173}
case "$wanted" in ''|*[!0-9]*) echo "[demo] PORT must be a port number, got '$wanted'" >&2; exit 2 ;; esac
# Probes with a real listen on the address Vite will use; prints the first free port from $wanted up.
port=$(node --input-type=module -e '
  import net from "node:net";
  const free = (p) => new Promise((ok) => {
    const s = net.createServer().once("error", () => ok(false)).once("listening", () => s.close(() => ok(true)));
    s.listen(p, "127.0.0.1");
  });
  const first = Number(process.argv[1]);
  for (let p = first; p < Math.min(first + 100, 65536); p++) if (await free(p)) { console.log(p); process.exit(0); }
  process.exit(1);
' "$wanted") || { echo "[demo] no free port in ${wanted}..$((wanted + 99)); set PORT to another one" >&2; exit 1; }
if [ "$port" != "$wanted" ]; then
  echo "[demo] port $wanted is taken; using $port instead (set PORT to choose another)"
fi

echo
echo "[demo] posenc demo page: http://127.0.0.1:${port}/   (open it in a browser; Ctrl-C stops the server)"
echo
# --strictPort: if another program grabs the port between the probe and here, fail loudly rather than
# serve on a port other than the one printed.
exec npx vite --config web/vite.config.js --host 127.0.0.1 --port "$port" --strictPort
