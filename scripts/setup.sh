#!/usr/bin/env bash
# Installs what building, running and testing E家 needs — each piece only when it is missing or
# at another version: Debian's chromium, brotli and nginx, the wasm32 target, cargo-leptos (no
# downloads of its own), wasm-bindgen-cli matching Cargo.lock, npm's binaryen (Debian's breaks
# hydration of release builds) and the end-to-end test packages.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mkdir -p "$EJIA_TOOLS_DIR" "$CARGO_TARGET_DIR"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
command -v "$CHROMIUM_PATH" >/dev/null 2>&1 || missing+=(chromium)
command -v brotli >/dev/null 2>&1 || missing+=(brotli)
# nginx: the two-instances script and its test put it in front of two instances.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  echo "setup: installing cargo-leptos 0.3.10"
  # A build tool run a few times per build: its release profile's fat LTO over one codegen unit
  # cost most of a cold CI run, so it is built without LTO and unoptimised, on every core.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_INCREMENTAL=false \
    cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi
bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
  echo "setup: installing wasm-bindgen-cli $bindgen"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install wasm-bindgen-cli --version "$bindgen"
fi
if [ "$(wasm-opt --version 2>/dev/null | cut -d' ' -f3)" != "132" ]; then
  echo "setup: installing binaryen 132 from npm"
  mkdir -p "$EJIA_TOOLS_DIR/npm"
  (cd "$EJIA_TOOLS_DIR/npm" && npm install --no-audit --no-fund --silent binaryen@132)
fi
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  (cd end2end && npm ci --no-audit --no-fund --silent)
fi
