# Sourced by the other scripts: where tools and the build cache live, outside the clone, so a
# fresh clone (CI) reuses a warm build.
export EJIA_TOOLS_DIR="${EJIA_TOOLS_DIR:-/var/cache/ejia-tools}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/ejia-target}"
export PATH="$EJIA_TOOLS_DIR/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
