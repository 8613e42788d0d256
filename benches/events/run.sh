#!/usr/bin/env bash
# Continuous-mode benchmark (issue 15): time from an SQS batch of change events to the end of
# the function's answer (SNS publishes included), for 1 and 100 events, API calls per event and
# peak memory, against re-scanning the account for the same change. Run by hand:
#
#   bash benches/events/run.sh             # 15 rounds
#   REPS=30 bash benches/events/run.sh
#   VIGIL_BIN=target/release/vigil bash benches/events/run.sh   # an existing binary
#
# Needs the test virtualenv (tests/run.sh creates it). Results go to
# benches/events/results/<UTC timestamp>/ (summary.md, results.json, logs). 127.0.0.1 only.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VIGIL_VENV:-$ROOT/.venv}"
# shellcheck source=../lib.sh
. "$ROOT/benches/lib.sh"
require_venv
vigil_binary
results_dir "$HERE"
"$VENV/bin/python" "$HERE/bench.py" --vigil "$VIGIL" --venv "$VENV" --out "$OUT" --reps "${REPS:-15}" \
    --env-line "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --env-line "host: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB; uptime at the start: $(uptime)" \
    --env-line "vigil: $("$VIGIL" --version 2>/dev/null || true) ($(cd "$ROOT" && git rev-parse --short HEAD))"
say "results: $OUT/summary.md"
