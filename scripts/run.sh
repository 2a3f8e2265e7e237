#!/usr/bin/env bash
# Sets up a fresh machine and runs E家 on the embedded default: a SQLite file in data/, SMS
# written to data/sms.jsonl (log only), the Bengbu demo tree seeded on first start.
# Open http://127.0.0.1:3000 — a channel: http://127.0.0.1:3000/j/LY2608 (poster: …/poster).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
exec cargo leptos serve --release --precompress
