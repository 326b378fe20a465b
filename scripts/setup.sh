#!/usr/bin/env bash
# Installs what posenc needs on a Debian 12 machine, skipping whatever is present.
# Called by `npm start` and `npm test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: compilers, test framework, headless browser.
# clang and its runtime libraries (libclang-rt-14-dev) build the sanitizer and fuzzing programs.
apt_packages=(emscripten catch2 cmake g++ chromium clang libclang-rt-14-dev)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "Debian packages present: ${apt_packages[*]}"
fi

# 2. xsimd 13 (header-only) from Debian trixie into .deps/, without touching the system's apt sources:
#    bookworm's xsimd 8.1 has no wasm arch and its wasm sin/cos are 2.3x slower.
xsimd_dir=.deps/xsimd13/usr/include
if [ ! -f "$xsimd_dir/xsimd/xsimd.hpp" ]; then
  say "fetching xsimd 13 headers from Debian's archive into .deps/xsimd13"
  d=$PWD/.deps/apt
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/dl"
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' > "$d/etc/sources.list"
  o=(-o "Dir::Etc::SourceList=$d/etc/sources.list" -o "Dir::Etc::SourceParts=$d/etc/sources.list.d"
     -o "Dir::Etc::Preferences=$d/etc/preferences" -o "Dir::Etc::PreferencesParts=$d/etc/preferences.d"
     -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
  as_root apt-get "${o[@]}" -q update >/dev/null
  (cd "$d/dl" && rm -f libxsimd-dev_*.deb && as_root apt-get "${o[@]}" -q download libxsimd-dev 2>&1 | grep -v unsandboxed || true)
  deb=$(ls "$d"/dl/libxsimd-dev_1[3-9].*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { echo "[setup] could not download libxsimd-dev >= 13 from Debian trixie" >&2; exit 1; }
  dpkg-deb -x "$deb" .deps/xsimd13
else
  say "xsimd 13 headers present in .deps/xsimd13"
fi

# 3. npm dependencies (dev tools: vite, playwright-core, typescript, benchmark peers).
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # `npm install` follows the lock like `npm ci` but tolerates vite's Windows-only optional dependency,
    # which the registry reachable here does not serve (npm ci then calls the lock "out of sync").
    say "installing npm dependencies (npm install, from package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
  else
    say "npm dependencies present"
  fi
fi
