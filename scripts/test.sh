#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: unit and property tests, the HTTP integration
# tests on SQLite and on PostgreSQL (each test on its own new database), and the end-to-end
# suite in Chromium against a debug build and again against a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh

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

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== unit, property and integration tests (SQLite and PostgreSQL)"
cargo test --features ssr --locked 2>&1 | tee -a "$log"

for mode in debug release; do
  echo "== end-to-end, $mode build"
  data=$(mktemp -d)
  flag=""; [ "$mode" = release ] && flag="--release --precompress"
  # A fresh database and SMS log per run; one IP sends every code here, so its limit is raised.
  export EJIA_DATA_DIR="$data" EJIA_SMS_LOG="$data/sms.jsonl" EJIA_LIMIT_IP_HOUR=100000 EJIA_LIMIT_IP_HARD_HOUR=100000
  cargo leptos build $flag
  # The reviewers the review specs sign in as, made as an operator would (`ejia admin add`).
  export E2E_ADMIN_PASSWORD="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  for who in "340300 city_admin,manager,reviewer e2e_city" "340302 reviewer e2e_lzh" "340303 reviewer e2e_bs"; do
    # shellcheck disable=SC2086
    echo "$E2E_ADMIN_PASSWORD" | RUST_LOG=warn "$CARGO_TARGET_DIR/$mode/ejia" admin add $who
  done
  cargo leptos end-to-end $flag 2>&1 | tee -a "$log"
  rm -rf "$data"
  unset EJIA_DATA_DIR EJIA_SMS_LOG
done

# One closing line for every runner above: the Rust tests and both end-to-end runs.
rust=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
e2e=$(sed -n 's/^ *\([0-9]*\) passed (.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
echo "$((rust + e2e)) passed, 0 failed"
