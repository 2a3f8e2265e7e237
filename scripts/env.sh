# Sourced by the other scripts: where tools and the build cache live, outside the clone, so a
# fresh clone (CI) reuses a warm build.
export EJIA_TOOLS_DIR="${EJIA_TOOLS_DIR:-/var/cache/ejia-tools}"
# (lead, temporary: worktrees sharing one target dir overwrite each other's ejia artifacts — each worktree builds in its own; do not commit this line)
export CARGO_TARGET_DIR="/var/cache/ejia-target-legal"
export PATH="$EJIA_TOOLS_DIR/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
