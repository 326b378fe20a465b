#!/usr/bin/env bash
# Sets up, builds and runs the main job: the demo page served on localhost (the URL is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -f web/vite.config.js ]; then
  port=${PORT:-5173}
  echo
  echo "[demo] posenc demo page: http://127.0.0.1:${port}/   (open it in a browser; Ctrl-C stops the server)"
  echo
  exec npx vite --config web/vite.config.js --host 127.0.0.1 --port "$port" --strictPort
fi
# Until the demo page exists: the native example prints encodings and an attention map.
exec build/native/posenc_example
