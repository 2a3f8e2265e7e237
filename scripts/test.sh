#!/usr/bin/env bash
# Sets up a fresh machine, checks formatting, lints (server and browser builds; warnings are
# errors) and that the browser bundle pulls in no server-only crate, then runs every test: unit
# and property tests, the CLI's usage, the HTTP integration tests on SQLite and on PostgreSQL
# (each test on its own new database), and the end-to-end suite in Chromium against a debug
# build (the driver's phone with JavaScript) and against a release build (all three projects).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase's wall time, printed at the end (the README's CI figures come from these lines).
started=$(date +%s); phase_name=""; phase_start=$started; timings=""
phase() {
  local now; now=$(date +%s)
  if [ -n "$phase_name" ]; then
    timings+=$(printf '%6d s  %s' $((now - phase_start)) "$phase_name")$'\n'
  fi
  phase_name="$1"; phase_start=$now
  [ -z "$1" ] || echo "== $1"
}

phase "setup: tools (chromium, nginx, wasm32, cargo-leptos, wasm-bindgen, binaryen, npm packages)"
scripts/setup.sh
source scripts/env.sh

# Warm runs. A fresh clone gives every file the clone's time, so cargo would rebuild the project
# though the cache holds it built from the same bytes. A passing run leaves in the cache the
# content hash of each tracked file it built from; in CI, on a clean tree, files whose content
# matches get an old time and changed ones keep theirs, so only what changed is rebuilt. The
# stamp is believed only when nothing was built into the cache after it was written.
stamp="$CARGO_TARGET_DIR/.ejia-built-sources"
source_hashes() { paste <(git ls-files) <(git ls-files -z | xargs -0 git hash-object --no-filters --); }
run_sources=$(mktemp)
source_hashes >"$run_sources"
if [ "${CI:-}" = true ] && [ -z "$(git status --porcelain)" ] && [ -f "$stamp" ] &&
  [ -z "$(find "$CARGO_TARGET_DIR" -path '*/.fingerprint/*' -newer "$stamp" -print -quit)" ]; then
  same=$(mktemp)
  awk -F'\t' 'NR == FNR { built[$1] = $2; next } built[$1] == $2 { print $1 }' "$stamp" "$run_sources" >"$same"
  tr '\n' '\0' <"$same" | xargs -0 -r touch -m -d '2000-01-01 00:00:00 UTC' --
  echo "test: $(wc -l <"$same") of $(wc -l <"$run_sources") files as the cache built them; the others are rebuilt"
  rm -f "$same"
fi

# The build cache lives outside the clone and grows with every build. A full disk fails a run
# half-way, so when less than 20 GB is left, the incremental caches go (they are rebuilt), and
# below 8 GB the whole cache does (the run is then a cold one, but it finishes).
free_gb() { df -Pk "$CARGO_TARGET_DIR" | awk 'NR == 2 { print int($4 / 1048576) }'; }
echo "test: $(free_gb) GB free for the build cache ($CARGO_TARGET_DIR)"
if [ "$(free_gb)" -lt 20 ]; then
  echo "test: dropping the incremental build caches"
  find "$CARGO_TARGET_DIR" -maxdepth 4 -type d -name incremental -prune -exec rm -rf {} +
fi
if [ "$(free_gb)" -lt 8 ]; then
  echo "test: still under 8 GB free: emptying the build cache"
  rm -rf "${CARGO_TARGET_DIR:?}"/* "$stamp"
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`): start the cluster when it is down.
export EJIA_TEST_PG_URL="${EJIA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Databases left by earlier runs of the integration tests.
psql "$EJIA_TEST_PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'ejia_t_%'" |
  while read -r db; do psql "$EJIA_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" || true; done

phase "static checks: formatting, lints (server and browser builds), the browser's dependencies"
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
cargo fmt --check
cargo clippy --locked --all-targets --features ssr -- -D warnings
cargo clippy --locked --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings
# The WASM bundle must not pull in a server-only crate (a misplaced feature or dependency would).
# Proc macros run on the build machine, not in the browser: their dependencies (leptos's
# wasm_split_macros uses sha2) are left out.
server_only="sqlx tokio axum leptos_axum tower tower-http hyper reqwest argon2 chacha20poly1305 hmac sha2 rand qrcode tracing-subscriber prometheus-client sm4 sm3 aes-gcm tar"
wasm_crates=$(cargo tree --locked --no-default-features --features hydrate --target wasm32-unknown-unknown -e normal,no-proc-macro --prefix none |
  awk '{ print $1 }' | sort -u)
offending=""
for crate in $server_only; do
  if grep -qx -- "$crate" <<<"$wasm_crates"; then offending="$offending $crate"; fi
done
if [ -n "$offending" ]; then
  echo "test: the WASM build depends on server-only crates:$offending" >&2
  for crate in $offending; do
    cargo tree --locked --no-default-features --features hydrate --target wasm32-unknown-unknown -e normal,no-proc-macro -i "$crate" >&2 || true
  done
  exit 1
fi
echo "the WASM dependency tree holds no server-only crate"

log=$(mktemp)
trap 'rm -f "$log" "$run_sources"' EXIT
# The Rust tests run under cargo-nextest when the machine has it: each test its own process, the
# tests of every binary side by side (most of them wait on a database, a clock or a child
# process, so more run at once than there are cores); else under cargo test, binary by binary.
# `rust_tests [cargo args] [-- test name filters]`.
threads="${EJIA_TEST_THREADS:-4}"
rust_tests() {
  local args=() filters=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && filters=("$@")
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --features ssr --locked --no-fail-fast --test-threads "$threads" --hide-progress-bar \
      --status-level fail --final-status-level slow "${args[@]}" "${filters[@]}"
  else
    cargo test --features ssr --locked --no-fail-fast "${args[@]}" -- "${filters[@]}"
  fi
}

phase "unit, property and integration tests (SQLite and PostgreSQL)"
rust_tests 2>&1 | tee -a "$log"

# The national algorithms (商用密码): every test app's EJIA_DATA_KEY an SM4 key (SM4-GCM,
# HMAC-SM3), for the suites that seal, index, MAC and chain: joining (codes and picture checks as
# MACs, the sealed ID, blind-index duplicates), join security, joins written together, members
# (card codes, leaving and erasure), keys (rotation, here from SM4 to XChaCha), and of review
# security the audit chain's two tamper tests, the search by ID number and the reveal (its
# bursts and races seal nothing new). About 4 minutes of test time on 2 cores. The
# known-answer tests of SM4, SM3, HMAC-SM3 and SM4-GCM ran above (`--lib crypto`).
phase "on SM4 keys: join, join_security, join_group, member, keys; review_security's audit, search and reveal"
export EJIA_TEST_KEY_ALG=sm4
rust_tests --test join --test join_security --test join_group --test member --test keys 2>&1 | tee -a "$log"
rust_tests --test review_security -- audit_row search_needs no_page_lets 2>&1 | tee -a "$log"
unset EJIA_TEST_KEY_ALG

# The suite runs in several Playwright workers (E2E_WORKERS, 2 by default), each against a server
# of its own on port 3000 + its index, with its own SQLite file and SMS log under the run's data
# directory: a test waiting for an SMS (a decision's ten-second undo window) leaves the cores to
# the other worker, and no test sees another worker's data.
# Every spec runs on both builds. The release build — what ships — runs all three projects
# (phone with JavaScript, phone without, desktop); the debug build runs the driver's phone with
# JavaScript, where what a debug build adds shows (the server's debug assertions and overflow
# checks, the unoptimised WASM island): the other two projects differ from it in the browser, not
# in the build. E2E_DEBUG_PROJECTS=all runs all three there too (about 2.5 minutes more on 2
# cores); E2E_DEBUG_PROJECTS="phone-js desktop-js" a list.
e2e_workers="${E2E_WORKERS:-2}"
for mode in debug release; do
  projects=()
  if [ "$mode" = debug ] && [ "${E2E_DEBUG_PROJECTS:-phone-js}" != all ]; then
    for p in ${E2E_DEBUG_PROJECTS:-phone-js}; do projects+=("--project=$p"); done
  fi
  phase "end-to-end, $mode build (build, then the suite in $e2e_workers workers${projects[*]:+: ${projects[*]#--project=}})"
  data=$(mktemp -d)
  flag=""; [ "$mode" = release ] && flag="--release --precompress"
  cargo leptos build $flag
  bin="$CARGO_TARGET_DIR/$mode/ejia"
  # What `cargo leptos end-to-end` gives the server, and per server a port, a database and an
  # SMS log. One IP sends every code here, so its limit is raised, and so is the
  # one-code-a-minute per phone (tested in the Rust suite): no minute's wait per member.
  export LEPTOS_OUTPUT_NAME=ejia LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=true
  export EJIA_LIMIT_IP_HOUR=100000 EJIA_LIMIT_IP_HARD_HOUR=100000 EJIA_LIMIT_PHONE_MINUTE=1000 E2E_CODE_GAP_MS=0
  # The reviewers the review specs sign in as, made as an operator would (`ejia admin add`).
  export E2E_ADMIN_PASSWORD="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  servers=()
  for i in $(seq 0 $((e2e_workers - 1))); do
    mkdir -p "$data/$i"
    for who in "340300 city_admin,manager,reviewer e2e_city" "340302 reviewer e2e_lzh" "340303 reviewer e2e_bs" \
      "340300 leader e2e_leader" "340302 manager,reviewer e2e_lzh_mgr" "340300-HY01-LY manager,reviewer e2e_ly" \
      "340302-DF manager,reviewer e2e_df"; do
      # shellcheck disable=SC2086
      echo "$E2E_ADMIN_PASSWORD" | EJIA_DATA_DIR="$data/$i" RUST_LOG=warn "$bin" admin add $who
    done
    EJIA_DATA_DIR="$data/$i" EJIA_SMS_LOG="$data/$i/sms.jsonl" LEPTOS_SITE_ADDR="127.0.0.1:$((3000 + i))" RUST_LOG=warn \
      "$bin" >"$data/$i/server.log" 2>&1 &
    servers+=($!)
  done
  status=0
  (cd end2end && E2E_WORKERS="$e2e_workers" E2E_DATA_DIR="$data" npx playwright test "${projects[@]}") 2>&1 | tee -a "$log" || status=$?
  kill "${servers[@]}" 2>/dev/null || true
  wait "${servers[@]}" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    for i in $(seq 0 $((e2e_workers - 1))); do echo "== server $i's log (last lines)"; tail -n 30 "$data/$i/server.log"; done
    rm -rf "$data"
    exit "$status"
  fi
  rm -rf "$data"
done

phase ""
# The cache now holds this run's sources, built; unless a file changed while it ran.
if [ "$(source_hashes)" = "$(cat "$run_sources")" ]; then cp "$run_sources" "$stamp"; else rm -f "$stamp"; fi
echo "== wall time per phase"
printf '%s' "$timings"
printf '%6d s  in all\n' $(($(date +%s) - started))
echo "test: $(free_gb) GB free for the build cache after the run"

# One closing line for every runner above: the Rust tests and both end-to-end runs.
rust=$(sed -n -e 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' -e 's/^ *Summary .* tests\{0,1\} run: \([0-9]*\) passed.*/\1/p' "$log" |
  awk '{ s += $1 } END { print s + 0 }')
e2e=$(sed -n 's/^ *\([0-9]*\) passed (.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
echo "$((rust + e2e)) passed, 0 failed"
