#!/usr/bin/env bash
# Prints E家's figures (a measurement, not a test): the weight of /join (HTML+CSS and the
# WASM+JS it loads; raw, gzip -9, brotli -q 11), a scripted driver's join at human pace, and
# join throughput and latency at 50 concurrent beside the raw insert ceiling measured in the
# same run, on SQLite and on PostgreSQL. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo leptos build --release --precompress >/dev/null
bin="$CARGO_TARGET_DIR/release/ejia"
export LEPTOS_OUTPUT_NAME=ejia LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=true
export EJIA_TEST_PG_URL="${EJIA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start

data=$(mktemp -d)
addr=127.0.0.1:3100
LEPTOS_SITE_ADDR=$addr EJIA_DATA_DIR="$data" EJIA_LIMIT_IP_HOUR=100000 RUST_LOG=warn "$bin" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

curl -fsS "http://$addr/join" -o "$data/join.html"
# The build's files carry their hash in their names: take them from the page.
for ext in css js wasm; do
  path=$(grep -o "/pkg/ejia[^\"]*\.$ext" "$data/join.html" | head -1)
  curl -fsS "http://$addr$path" -o "$data/ejia.$ext"
done
kib() { awk "BEGIN { printf \"%.1f\", $1 / 1024 }"; }
row() { # name files…
  local raw=0 gz=0 br=0
  for f in "${@:2}"; do
    raw=$((raw + $(wc -c <"$f"))); gz=$((gz + $(gzip -9c "$f" | wc -c))); br=$((br + $(brotli -q 11 -c "$f" | wc -c)))
  done
  printf '  %-26s %9s KiB %9s KiB %9s KiB\n' "$1" "$(kib $raw)" "$(kib $gz)" "$(kib $br)"
}
echo "page weight of /join (release)            raw          gzip -9     brotli -q 11"
row "HTML (/join)" "$data/join.html"
row "CSS" "$data/ejia.css"
row "HTML+CSS (target 20)" "$data/join.html" "$data/ejia.css"
row "WASM" "$data/ejia.wasm"
row "JS glue" "$data/ejia.js"
row "WASM+JS (target 200)" "$data/ejia.wasm" "$data/ejia.js"
echo "  pages without a form (home, status, poster) load no WASM at all"

(cd end2end && EJIA_BASE_URL="http://$addr" EJIA_SMS_LOG="$data/sms.jsonl" npx playwright test -c playwright.bench.config.ts 2>&1 | grep 'human-pace')

for db in sqlite postgres; do
  RUST_LOG=warn EJIA_BENCH_PG_URL="$EJIA_TEST_PG_URL" "$bin" bench --db $db --n "${BENCH_N:-2000}" --concurrency 50
done

# The command centre on a generated city (built once, kept in the temp dir between runs):
# board time at the root and at a county, decision → 200 live dashboards.
for db in sqlite postgres; do
  RUST_LOG=warn "$bin" bench-command --db $db --pg-url "$EJIA_TEST_PG_URL" --members "${BENCH_CITY_MEMBERS:-1000000}" --dashboards 200
done

# Rosters: one export of 1,000,000 members per format and database, each in a process of its own
# (time and peak memory above idle).
for db in sqlite postgres; do
  for format in xlsx csv; do
    RUST_LOG=warn "$bin" bench-export --db $db --pg-url "$EJIA_TEST_PG_URL" --n "${BENCH_EXPORT_N:-1000000}" --format $format
  done
done

# member: the e-member card's public check (GET /v/{code}) over HTTP, latency and throughput.
for db in sqlite postgres; do
  RUST_LOG=warn "$bin" bench-card --db $db --pg-url "$EJIA_TEST_PG_URL" --members "${BENCH_CARD_MEMBERS:-10000}" --n "${BENCH_CARD_N:-20000}" --concurrency 50
done
# benefits
# Claims: 1,000 members claim at once over HTTP — exactly 100 on a stock of 100, and claims per
# second — on SQLite, PostgreSQL, and two instances on one PostgreSQL.
RUST_LOG=off "$bin" bench-claims --pg-url "$EJIA_TEST_PG_URL" --n "${BENCH_CLAIMS_N:-1000}"
